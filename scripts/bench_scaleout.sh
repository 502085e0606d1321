#!/usr/bin/env bash
# Scale-out: llm-batch --read-from over two hot standbys against one, on
# throw-away clusters on this machine (a primary and two streaming
# standbys, llm.threads = 1 on each), classifying Debian package
# descriptions (/var/lib/dpkg/status) with a SmolLM2-135M-shaped Q8_0 model
# written by llm-cli synth.  Each configuration runs --reps times from a
# clean column (the standbys caught up first); the table gives the median
# rows/s, wall clock around llm-batch (planning, fan-out, final pass), and
# the ratio to one standby.  The labels of every run must be those of the
# first.
#
#   bash scripts/bench_scaleout.sh [--rows 160] [--reps 3] [--chunk 4] [--no-build]
#
# Configurations: the primary alone (llm-batch without --read-from, one
# connection), one standby (--jobs 1), one standby with --jobs 2 (its two
# backends take both cores: the same compute as two standbys), and two
# standbys (--jobs 1 each).  The clusters live in /tmp/llm-scaleout and are
# removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

rows=160
reps=3
chunk=4
do_build=yes
while [ $# -gt 0 ]; do
	case $1 in
		--rows) rows=$2; shift 2 ;;
		--reps) reps=$2; shift 2 ;;
		--chunk) chunk=$2; shift 2 ;;
		--no-build) do_build=no; shift ;;
		*) echo "unknown option $1" >&2; exit 2 ;;
	esac
done

if [ $do_build = yes ]; then
	install_deps
	build
fi
bench_models
model=$bench_dir/smol-q8_0.gguf

base=/tmp/llm-scaleout
sock=/tmp/llm-scaleout-sock
ports=(54341 54342 54343)		# primary, standby 1, standby 2
names=(primary standby1 standby2)

stop_all() {
	for i in 0 1 2; do
		if [ -f "$base/${names[$i]}/postmaster.pid" ]; then
			pg_run "$PG_BIN/pg_ctl" -D "$base/${names[$i]}" -m immediate -w stop >/dev/null 2>&1 || true
		fi
	done
}
cleanup() {
	stop_all
	as_root rm -rf "$base" "$sock"
}
trap cleanup EXIT
cleanup
as_root mkdir -p "$base" "$sock"
if [ "$(id -u)" = 0 ]; then chown postgres "$base" "$sock"; fi

start_node() {
	local i=$1
	pg_run "$PG_BIN/pg_ctl" -D "$base/${names[$i]}" -l "$base/${names[$i]}.log" -w \
		-o "-p ${ports[$i]} -k $sock -c listen_addresses=''" start >/dev/null
}
conn() { echo "host=$sock port=${ports[$1]} user=postgres dbname=postgres"; }
q() { local i=$1; shift; psql -X -Atq -v ON_ERROR_STOP=1 -h "$sock" -p "${ports[$i]}" -U postgres "$@"; }

# the primary; the standbys are its base backups (-R: streaming from it)
pg_run "$PG_BIN/initdb" -D "$base/primary" --auth=trust -U postgres --encoding=UTF8 --locale=C.UTF-8 >/dev/null
cat <<EOF | pg_run tee -a "$base/primary/postgresql.conf" >/dev/null
shared_preload_libraries = 'llm'
llm.threads = 1
max_wal_senders = 10
hot_standby = on
EOF
start_node 0
for i in 1 2; do
	pg_run "$PG_BIN/pg_basebackup" -D "$base/${names[$i]}" -R -h "$sock" -p "${ports[0]}" -U postgres \
		--checkpoint fast >/dev/null
	start_node "$i"
done

# the rows: the full descriptions (continuation lines joined), cut to 400 characters
rows_file=$(mktemp)
awk '
	function flush() { if (pkg != "" && syn != "") { gsub(/\t/, " ", long); print pkg "\t" substr(syn " " long, 1, 400) } }
	/^Package: / { flush(); pkg = $2; syn = ""; long = ""; indesc = 0; next }
	/^Description: / { syn = substr($0, 14); indesc = 1; next }
	/^ / && indesc { line = substr($0, 2); if (line != ".") long = long " " line; next }
	{ indesc = 0 }
	END { flush() }
' /var/lib/dpkg/status | awk -F'\t' -v n="$rows" 'length($2) >= 300 && c++ < n' > "$rows_file"
chmod 644 "$rows_file"

q 0 -c "CREATE EXTENSION llm"
q 0 -c "INSERT INTO llm_models (name, path) VALUES ('smol', '$model')"
q 0 -c "CREATE TABLE docs (pkg text PRIMARY KEY, body text, label text, first text)"
q 0 -c "\\copy docs (pkg, body) FROM '$rows_file'"
rm -f "$rows_file"
n_rows=$(q 0 -c "SELECT count(*) FROM docs")
labels=library,tool,documentation,data

# every server has replayed everything the primary has written
catch_up() {
	local lsn
	lsn=$(q 0 -c "SELECT pg_current_wal_insert_lsn()")
	for i in 1 2; do
		until [ "$(q "$i" -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" = t ]; do sleep 0.1; done
	done
}
catch_up
# the model in each server's shared pool before any run is timed
for i in 0 1 2; do q "$i" -c "SELECT llm_load('smol')" >/dev/null; done
tokens=$(q 0 -c "SELECT round(avg(llm_token_count(body, 'smol'))) FROM docs")

now() { date +%s.%N; }
# one run of llm-batch with the given options: rows/s over the wall clock
run() {
	local t0 t1 out
	q 0 -c "UPDATE docs SET label = NULL" -c "VACUUM docs"
	catch_up
	t0=$(now)
	out=$(bin/llm-batch "$(conn 0)" --table docs --key pkg --input body --output label \
		--task classify --labels "$labels" --model smol --chunk "$chunk" --quiet "$@")
	t1=$(now)
	echo "$out" | grep -q "done: $n_rows rows" || { echo "llm-batch did not finish: $out" >&2; exit 1; }
	# the labels of every run are those of the first
	if [ "$(q 0 -c "SELECT count(first) FROM docs")" = 0 ]; then
		q 0 -c "UPDATE docs SET first = label"
	fi
	local diff
	diff=$(q 0 -c "SELECT count(*) FROM docs WHERE label IS DISTINCT FROM first")
	[ "$diff" = 0 ] || { echo "labels differ from the first run's in $diff rows" >&2; exit 1; }
	awk -v n="$n_rows" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", n / (b - a) }'
}

config_names=("primary alone, 1 connection" "1 standby, --jobs 1" "1 standby, --jobs 2" "2 standbys, --jobs 1 each")
# the options of configuration $1, in args
config_args() {
	case $1 in
		0) args=(--jobs 1) ;;
		1) args=(--jobs 1 --read-from "$(conn 1)") ;;
		2) args=(--jobs 2 --read-from "$(conn 1)") ;;
		3) args=(--jobs 1 --read-from "$(conn 1)" --read-from "$(conn 2)") ;;
	esac
}
declare -A results=()
for rep in $(seq "$reps"); do
	for c in 0 1 2 3; do
		config_args "$c"
		r=$(run "${args[@]}")
		results[$c]+="$r "
		echo "rep $rep: ${config_names[$c]}: $r rows/s" >&2
	done
done

one=$(printf '%s\n' ${results[1]} | median)
echo "rows: $n_rows Debian package descriptions (~$tokens tokens each), labels $labels, --chunk $chunk, llm.threads = 1, $(nproc) CPUs"
echo
echo "| configuration | rows/s (median of $reps) | runs | vs 1 standby, --jobs 1 |"
echo "|---|---|---|---|"
for c in 0 1 2 3; do
	m=$(printf '%s\n' ${results[$c]} | median)
	echo "| ${config_names[$c]} | $m | ${results[$c]% } | $(awk -v a="$m" -v b="$one" 'BEGIN { printf "%.2fx", a / b }') |"
done
