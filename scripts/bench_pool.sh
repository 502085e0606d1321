#!/usr/bin/env bash
# The shared model pool, measured on a throw-away cluster:
#  1. the first call of a new connection, with the pool off and on, for the
#     SmolLM2-135M (Q8_0) and Qwen2.5-0.5B (Q4_K_M) shapes;
#  2. 32 concurrent sessions scoring a ~300-token text (Debian package
#     descriptions) against one session, llm.threads = 2 everywhere, with
#     the pool on (compute budget llm.max_compute_threads = 2) and off:
#     calls per second of wall time, connections included, for the same
#     number of calls (--calls, default 64) either way.
#
#   bash scripts/bench_pool.sh [--reps 5] [--calls 64] [--clients 32]
#
# Models are written by llm-cli synth into $LLM_BENCH_DIR (default
# /tmp/llm-bench); the cluster lives in /tmp/llm-bench-pg and is removed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

reps=5
calls=64
clients=32
while [ $# -gt 0 ]; do
	case $1 in
		--reps) reps=$2; shift 2 ;;
		--calls) calls=$2; shift 2 ;;
		--clients) clients=$2; shift 2 ;;
		*) echo "unknown option $1" >&2; exit 2 ;;
	esac
done

install_deps
build
bench_models
dir=$bench_dir

PG_PORT=54331 PG_SOCK=/tmp/llm-bench-sock PG_DATA=/tmp/llm-bench-pg
start_cluster >/dev/null
trap 'remove_cluster; rm -rf "$work"' EXIT
work=$(mktemp -d)
chmod 777 "$work"

restart() {
	pg_run "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w \
		-o "-p $PG_PORT -k $PG_SOCK -c listen_addresses='' $*" restart >/dev/null
}
q() { psql -X -Atq -c "$1"; }

q "CREATE EXTENSION llm"
q "INSERT INTO llm_models (name, path) VALUES ('smol', '$dir/smol-q8_0.gguf'), ('qwen', '$dir/qwen-q4_k_m.gguf')"
# ~300 tokens of text nobody here wrote
q "CREATE TABLE bench_text AS SELECT string_agg(d, ' ') AS t FROM (SELECT d FROM regexp_split_to_table(pg_read_file('/var/lib/dpkg/status'), '\n') d WHERE d LIKE ' %' AND d NOT LIKE ' .%' LIMIT 40) s"
q "UPDATE bench_text SET t = (SELECT string_agg(w, ' ') FROM (SELECT w FROM regexp_split_to_table(t, '\s+') w WHERE w <> '' LIMIT 110) s)"
tokens=$(q "SELECT llm_token_count(t, 'smol') FROM bench_text")

# milliseconds of the first and the second call in a new connection
first_call() {
	psql -X -At -c '\timing on' -c "SELECT llm_token_count('hello', '$1')" \
		-c "SELECT llm_token_count('hello', '$1')" | awk '/^Time:/ { printf "%s ", $2 } END { print "" }'
}
first_calls() {
	local label=$1 model
	for model in smol qwen; do
		psql -X -Atq -c "SELECT llm_load('$model')" >/dev/null
		local f=() s=()
		for _ in $(seq "$reps"); do
			read -r a b <<<"$(first_call "$model")"
			f+=("$a"); s+=("$b")
		done
		echo "| $model | $label | $(printf '%s\n' "${f[@]}" | median) | $(printf '%s\n' "${s[@]}" | median) | $(printf '%s\n' "${f[@]}" | sort -g | tr '\n' ' ') |"
	done
}

echo "first call of a new connection ($reps connections each, median ms):"
echo "| model | pool | first call | second call | all first calls |"
echo "|---|---|---|---|---|"
first_calls off
restart "-c shared_preload_libraries=llm -c llm.preload_models=postgres:smol,postgres:qwen"
until [ "$(q "SELECT count(*) FROM llm_model_status WHERE state = 'loaded'")" = 2 ]; do sleep 0.5; done
first_calls on

# throughput: pgbench sessions scoring the text
echo "SELECT llm_score(t, 'smol') FROM bench_text;" > "$work/score.sql"
# calls per second of wall time for $calls calls over n sessions
run_pgbench() {
	local n=$1 start end
	rm -f "$work"/pgbench_log.*
	start=$(date +%s.%N)
	(cd "$work" && PGOPTIONS="-c llm.threads=2" pg_run env PGHOST="$PG_SOCK" PGPORT="$PG_PORT" PGUSER=postgres \
		/usr/lib/postgresql/$PG_MAJOR/bin/pgbench -n -c "$n" -j 2 -t $((calls / n)) -l -f score.sql postgres >/dev/null 2>&1)
	end=$(date +%s.%N)
	awk -v a="$start" -v b="$end" -v c="$calls" 'BEGIN { printf "%.3f", c / (b - a) }'
}
# per-session wall time from its first call's start to its last call's end: min / median / max
spread() {
	cat "$work"/pgbench_log.* | awk '{ end = $5 + $6 / 1e6; start = end - $3 / 1e6;
			if (!($1 in s) || start < s[$1]) s[$1] = start; if (end > e[$1]) e[$1] = end; if (start < t0 || t0 == 0) t0 = start }
		END { for (k in s) printf "%.1f\n", e[k] - t0 }' | sort -g |
		awk '{ v[NR] = $1 } END { printf "%s / %s / %s s", v[1], v[int((NR + 1) / 2)], v[NR] }'
}
throughput() {
	local label=$1 one=() many=() spreads=()
	for _ in $(seq 3); do
		one+=("$(run_pgbench 1)")
		many+=("$(run_pgbench "$clients")")
		spreads+=("$(spread)")
	done
	local t1 tn
	t1=$(printf '%s\n' "${one[@]}" | median)
	tn=$(printf '%s\n' "${many[@]}" | median)
	echo "| $label | $(awk -v t="$t1" -v k="$tokens" 'BEGIN { printf "%.0f", t * k }') | $(awk -v t="$tn" -v k="$tokens" 'BEGIN { printf "%.0f", t * k }') | $(awk -v a="$tn" -v b="$t1" 'BEGIN { printf "%.2fx", a / b }') | ${spreads[*]} |"
}
echo
echo "throughput: $calls calls of llm_score on a $tokens-token text, llm.threads = 2, median of 3 (prompt tokens/s of wall time):"
echo "| pool | 1 session | $clients sessions | ratio | when each of the $clients sessions was done (s after the first call began), min / median / max, each run |"
echo "|---|---|---|---|---|"
throughput "on (llm.max_compute_threads = 2)"
restart "-c shared_preload_libraries=''"
throughput "off"
