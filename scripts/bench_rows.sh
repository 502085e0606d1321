#!/usr/bin/env bash
# Row throughput on real text nobody here wrote (Debian package
# descriptions from /var/lib/dpkg/status: long rows = the full description,
# short rows = the one-line synopsis), on a throw-away cluster with the
# shared pool, against `llm-cli bench` in the same run:
#  1. per-row llm_classify UPDATE over long rows: the rows' own tokens per
#     second against the llm-cli bench -p 512 prompt rate, same threads;
#  2. summaries of long rows: the array form (batches of 16) against one
#     row at a time, generated tokens per second over the whole statement
#     and in the generation phase alone (the same statement with
#     llm.max_tokens = 1 gives the prompts' time);
#  3. classify over short rows: the array form against per-row, rows/s;
#  4. summaries again with llm.kv_cache_type = f16 (llama.cpp's default);
#  5. parallel query: CREATE TABLE AS with llm_classify over the long rows
#     in 2 workers of 1 thread against 1 backend of 2 threads.
#
#   bash scripts/bench_rows.sh [--models "smol qwen"] [--threads "1 2"] [--rows 64] [--reps 3]
#
# Models are written by llm-cli synth into $LLM_BENCH_DIR (default
# /tmp/llm-bench); the cluster lives in /tmp/llm-rows-pg and is removed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

models="smol qwen"
threads="1 2"
rows=64
reps=3
while [ $# -gt 0 ]; do
	case $1 in
		--models) models=$2; shift 2 ;;
		--threads) threads=$2; shift 2 ;;
		--rows) rows=$2; shift 2 ;;
		--reps) reps=$2; shift 2 ;;
		*) echo "unknown option $1" >&2; exit 2 ;;
	esac
done

install_deps
build
bench_models
dir=$bench_dir
declare -A file=([smol]="$dir/smol-q8_0.gguf" [qwen]="$dir/qwen-q4_k_m.gguf")

# the rows: package, synopsis, full description (continuation lines joined)
awk '
	function flush() { if (pkg != "" && syn != "") { gsub(/\t/, " ", long); print pkg "\t" syn "\t" syn " " long } }
	/^Package: / { flush(); pkg = $2; syn = ""; long = ""; indesc = 0; next }
	/^Description: / { syn = substr($0, 14); indesc = 1; next }
	/^ / && indesc { line = substr($0, 2); if (line != ".") long = long " " line; next }
	{ indesc = 0 }
	END { flush() }
' /var/lib/dpkg/status | awk -F'\t' -v n="$rows" 'length($3) > 300 && c++ < n' > "$dir/rows.tsv"

PG_PORT=54332 PG_SOCK=/tmp/llm-rows-sock PG_DATA=/tmp/llm-rows-pg
start_cluster >/dev/null
trap 'stop_cluster; as_root rm -rf "$PG_DATA" "$PG_SOCK"' EXIT
pg_run "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w \
	-o "-p $PG_PORT -k $PG_SOCK -c listen_addresses='' -c shared_preload_libraries=llm" restart >/dev/null
q() { psql -X -Atq -v ON_ERROR_STOP=1 "$@"; }
# seconds a SQL script takes (the last \timing line)
timed() { psql -X -q -v ON_ERROR_STOP=1 -c '\timing on' "$@" | awk '/^Time:/ { t = $2 } END { printf "%.3f", t / 1000 }'; }

q -c "CREATE EXTENSION llm"
for m in $models; do q -c "INSERT INTO llm_models (name, path) VALUES ('$m', '${file[$m]}')"; done
q -c "CREATE TABLE rows (pkg text PRIMARY KEY, short text, long text, label text, short_label text)"
q -c "\\copy rows (pkg, short, long) FROM '$dir/rows.tsv'"
n_rows=$(q -c "SELECT count(*) FROM rows")
labels="ARRAY['library', 'tool', 'documentation', 'data']"

echo "rows: $n_rows Debian package descriptions; labels: $labels"
echo
classify_rows=() summary_rows=()
for m in $models; do
	q -c "SELECT llm_load('$m')" >/dev/null
	row_tokens=$(q -c "SELECT sum(llm_token_count(long, '$m')) FROM rows")
	for t in $threads; do
		set_t="SET llm.threads = $t;"
		pp=() cls=() sp=() sa=()
		declare -A rate=()
		for rep in $(seq "$reps"); do
			pp+=("$(bin/llm-cli bench "${file[$m]}" -p 512 -n 1 -t "$t" --reps 1 2>/dev/null | awk '/^pp512/ { print $3 }')")

			# 1. per-row classify over the long rows
			q -c "UPDATE rows SET label = NULL"
			s=$(timed -c "$set_t UPDATE rows SET label = llm_classify(long, $labels, '$m')")
			cls+=("$(awk -v n="$row_tokens" -v s="$s" 'BEGIN { printf "%.1f", n / s }')")

			# 2. summaries of 16 long rows, one by one and as one array, F32
			# and F16 KV (4); each also with llm.max_tokens = 1, whose time
			# (the prompts and one token) is taken off to give the
			# generation phase's own rate
			for kv in f32 f16; do
				for form in one arr; do
					if [ $form = one ]; then
						sql="SELECT count(llm_summarize(long, '$m', max_words => 30)) FROM (SELECT long FROM rows ORDER BY pkg LIMIT 16) s"
					else
						sql="SET llm.batch_size = 16; SELECT cardinality(llm_summarize(array_agg(long ORDER BY pkg), '$m', max_words => 30)) FROM (SELECT pkg, long FROM rows ORDER BY pkg LIMIT 16) s"
					fi
					set_kv="$set_t SET llm.kv_cache_type = $kv;"
					q -c "SELECT llm_model_status_reset()" >/dev/null
					s=$(timed -c "$set_kv $sql")
					g=$(q -c "SELECT generated_tokens FROM llm_model_status WHERE name = '$m'")
					q -c "SELECT llm_model_status_reset()" >/dev/null
					s1=$(timed -c "$set_kv SET llm.max_tokens = 1; $sql")
					g1=$(q -c "SELECT generated_tokens FROM llm_model_status WHERE name = '$m'")
					rate[$kv.$form.all]+="$(awk -v n="$g" -v s="$s" 'BEGIN { printf "%.1f", n / s }') "
					rate[$kv.$form.gen]+="$(awk -v n="$g" -v n1="$g1" -v s="$s" -v s1="$s1" 'BEGIN { printf "%.1f", (n - n1) / (s - s1) }') "
				done
			done

			# 3. short rows: per-row UPDATE, then the array UPDATE pattern
			q -c "UPDATE rows SET short_label = NULL"
			s=$(timed -c "$set_t UPDATE rows SET short_label = llm_classify(short, $labels, '$m')")
			sp+=("$(awk -v n="$n_rows" -v s="$s" 'BEGIN { printf "%.2f", n / s }')")
			q -c "UPDATE rows SET short_label = NULL"
			s=$(timed -c "$set_t SET llm.batch_size = 16;
				WITH b AS (SELECT array_agg(pkg ORDER BY pkg) AS ks, array_agg(short ORDER BY pkg) AS ins FROM rows)
				UPDATE rows r SET short_label = u.o FROM b, unnest(b.ks, llm_classify(b.ins, $labels, '$m')) AS u(k, o)
				WHERE r.pkg = u.k")
			sa+=("$(awk -v n="$n_rows" -v s="$s" 'BEGIN { printf "%.2f", n / s }')")
		done
		ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
		med() { printf '%s\n' $1 | median; }
		P=$(med "${pp[*]}") C=$(med "${cls[*]}") SP=$(med "${sp[*]}") SA=$(med "${sa[*]}")
		classify_rows+=("| $m | $t | $P | $C | $(ratio "$C" "$P") | $SP | $SA | $(ratio "$SA" "$SP") |")
		row="| $m | $t |"
		for kv in f32 f16; do
			for phase in all gen; do
				O=$(med "${rate[$kv.one.$phase]}") A=$(med "${rate[$kv.arr.$phase]}")
				row+=" $O | $A | $(ratio "$A" "$O") |"
			done
		done
		summary_rows+=("$row")
		unset rate
	done
done
echo "| model | threads | llm-cli pp512 t/s | per-row classify UPDATE, row t/s | ratio | short rows per-row, rows/s | array, rows/s | ratio |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${classify_rows[@]}"
echo
echo "Summaries of 16 long rows, generated tokens/s: over the whole statement, and in the generation phase (the statement's time less that of the same statement with llm.max_tokens = 1):"
echo
echo "| model | threads | F32 KV, whole: one by one | array of 16 | ratio | generation phase: one by one | array of 16 | ratio | F16 KV, whole: one by one | array of 16 | ratio | generation phase: one by one | array of 16 | ratio |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${summary_rows[@]}"

# 5. parallel query, on the machine's 2 cores: one backend of 2 threads,
# then 2 parallel workers (the leader only gathers) of 1 thread each
echo
echo "| model | CREATE TABLE AS classify, 1 backend x 2 threads, rows/s | 2 parallel workers x 1 thread, rows/s | ratio |"
echo "|---|---|---|---|"
q -c "ALTER TABLE rows SET (parallel_workers = 2)"
for m in $models; do
	ser=() par=()
	for _ in $(seq "$reps"); do
		q -c "DROP TABLE IF EXISTS lab"
		s=$(timed -c "SET llm.threads = 2; SET max_parallel_workers_per_gather = 0;
			CREATE TABLE lab AS SELECT pkg, llm_classify(long, $labels, '$m') AS l FROM rows")
		ser+=("$(awk -v n="$n_rows" -v s="$s" 'BEGIN { printf "%.2f", n / s }')")
		q -c "DROP TABLE lab"
		s=$(timed -c "SET llm.threads = 1; SET max_parallel_workers_per_gather = 2; SET parallel_leader_participation = off;
			CREATE TABLE lab AS SELECT pkg, llm_classify(long, $labels, '$m') AS l FROM rows")
		par+=("$(awk -v n="$n_rows" -v s="$s" 'BEGIN { printf "%.2f", n / s }')")
	done
	S=$(printf '%s\n' "${ser[@]}" | median)
	P=$(printf '%s\n' "${par[@]}" | median)
	echo "| $m | $S | $P | $(awk -v a="$P" -v b="$S" 'BEGIN { printf "%.2fx", a / b }') |"
done
# the per-row and array labels agree
echo
echo "short rows whose array label differs from the per-row label: $(q -c "SELECT count(*) FROM rows WHERE short_label IS DISTINCT FROM llm_classify(short, $labels, '$(echo $models | awk '{print $NF}')')")"
