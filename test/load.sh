#!/usr/bin/env bash
# Load with cancellations: pgbench clients mix llm_generate, llm_classify,
# llm_tokenize, llm_embed and catalog reads on two models, while another
# session cancels calls at random (pg_cancel_backend) and every call's
# statement_timeout is drawn at random, so both fire all through the run;
# once with the shared pool on, models unloaded and loaded again while the
# clients use them, and once with it off.  Afterwards:
#   - no error but the cancels and timeouts (pgbench's and the server log's),
#   - no backend crashed (no "terminated by signal" in the server log),
#   - each client backend's memory where it was after the warm-up
#     (resident and private kB, at the warm-up and at the end of the run),
#   - a fixed greedy answer the same as before the run.
#
#   bash test/load.sh [--clients 32] [--seconds 300] [--modes "pool nopool"]
#
# The form scripts/test.sh runs: --clients 8 --seconds 30.  Exits 1 when a
# check fails.  The models are ../shared's small stories260K pair, so that
# the run measures the extension's handling of load, not the kernels.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

clients=32
seconds=300
modes="pool nopool"
while [ $# -gt 0 ]; do
	case $1 in
		--clients) clients=$2; shift 2 ;;
		--seconds) seconds=$2; shift 2 ;;
		--modes) modes=$2; shift 2 ;;
		*) echo "unknown option $1" >&2; exit 2 ;;
	esac
done

PG_PORT=54334 PG_SOCK=/tmp/llm-load-sock PG_DATA=/tmp/llm-load-pg
dir=$(mktemp -d /tmp/llm-load.XXXXXX)
chmod 755 "$dir"
cp ../shared/models/stories260K.gguf "$dir/stories.gguf"
cp ../shared/parity/stories260K.Q8_0.gguf "$dir/stories-q8.gguf"
chmod 644 "$dir"/*.gguf
trap 'remove_cluster; [ -n "${LLM_LOAD_KEEP:-}" ] || rm -rf "$dir"' EXIT

q() { psql -X -Atq -v ON_ERROR_STOP=1 "$@"; }
failures=0 passes=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
pass() { echo "ok   $*"; passes=$((passes + 1)); }

# every client backend's resident and private memory, kB: "pid rss private"
memory() {
	for pid in $(q -c "SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'pgbench%'"); do
		awk -v pid="$pid" '/^Rss:/ { r = $2 } /^Private_(Clean|Dirty):/ { p += $2 }
			END { if (r != "") print pid, r, p }' "/proc/$pid/smaps_rollup" 2>/dev/null || true
	done | sort
}

# One call of the mix, chosen by kind; a cancel or a timeout inside it is
# caught and counted by the caller as such, so that pgbench (which ends a
# client at its first error) keeps every client running.  Each call also
# draws the statement_timeout of the next.
cat > "$dir/mix.sql" <<'EOF'
\set kind random(0, 5)
\set m random(0, 1)
\set seed random(1, 1000000)
\set timeout random(20, 3000)
SELECT load_call(:kind, (ARRAY['stories', 'stories-q8'])[:m + 1], :seed, :timeout);
EOF

for mode in $modes; do
	echo "== $mode: $clients clients for $seconds s"
	start_cluster >/dev/null
	preload=""
	[ "$mode" = pool ] && preload=llm
	pg_run "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w \
		-o "-p $PG_PORT -k $PG_SOCK -c listen_addresses='' -c shared_preload_libraries='$preload' -c max_connections=$((clients + 20)) -c llm.threads=1 -c llm.context_size=512" \
		restart >/dev/null
	q -c "CREATE EXTENSION llm"
	q -c "INSERT INTO llm_models (name, path) VALUES ('stories', '$dir/stories.gguf'), ('stories-q8', '$dir/stories-q8.gguf')"
	q <<'EOF'
CREATE FUNCTION load_call(kind int, m text, seed int, next_timeout int) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r text;
BEGIN
	PERFORM set_config('application_name', 'pgbench-in-call', false);
	BEGIN
		r := CASE kind
			WHEN 0 THEN llm_generate('Once upon a time', m, max_tokens => 24, temperature => 0.8, seed => seed)
			WHEN 1 THEN llm_classify('The dog ran to the park.', ARRAY['happy', 'sad', 'animal'], m)
			WHEN 2 THEN cardinality(llm_tokenize(repeat('Lily was happy. ', 1 + seed % 40), m))::text
			WHEN 3 THEN cardinality(llm_embed('A big box with a tiny kitten.', m))::text
			WHEN 4 THEN llm_summarize(repeat('Tom was sad and cried. ', 1 + seed % 8), m, max_words => 8)
			ELSE (SELECT count(*) FROM llm_models)::text || '/' || (SELECT count(*) FROM llm_model_status)::text
		END;
		-- inside the block: a cancel that came as the call finished is
		-- taken at these statements' interrupt checks, and caught
		PERFORM set_config('application_name', 'pgbench', false);
		PERFORM set_config('statement_timeout', next_timeout::text, false);
	EXCEPTION WHEN query_canceled THEN
		r := 'canceled';
	END;
	IF r = 'canceled' THEN
		-- (the block's settings were rolled back with it)
		PERFORM set_config('application_name', 'pgbench', false);
		PERFORM set_config('statement_timeout', next_timeout::text, false);
	END IF;
	RETURN r;
END $$;
EOF
	fixed="SELECT md5(llm_generate('Once upon a time', 'stories', max_tokens => 64))"
	before=$(q -c "$fixed")

	# the canceller: a call in progress every 0.1-0.5 s
	( end=$((SECONDS + seconds)); n=0
	  while [ $SECONDS -lt $end ]; do
		  sleep "0.$((RANDOM % 5 + 1))"
		  n=$((n + $(q -c "SELECT count(*) FILTER (WHERE pg_cancel_backend(pid)) FROM (SELECT pid FROM pg_stat_activity
		                   WHERE application_name = 'pgbench-in-call' AND state = 'active' ORDER BY random() LIMIT 1) s" 2>/dev/null || echo 0)))
	  done
	  echo "$n" > "$dir/cancels" ) &
	canceller=$!
	# with the pool, models leave it and come back while in use
	loader=""
	if [ "$mode" = pool ]; then
		( end=$((SECONDS + seconds)); n=0
		  while [ $SECONDS -lt $end ]; do
			  sleep 2
			  q -c "SELECT llm_unload('stories-q8')" >/dev/null && n=$((n + 1))
			  sleep 1
			  q -c "SELECT llm_load('stories-q8')" >/dev/null
		  done
		  echo "$n" > "$dir/unloads" ) &
		loader=$!
	fi
	# memory after the warm-up (a fifth of the run) and near its end
	( sleep $((seconds / 5)); memory > "$dir/mem.warm"; sleep $((seconds * 3 / 4 - seconds / 5)); memory > "$dir/mem.end" ) &
	sampler=$!

	set +e
	pg_run env PGHOST=$PG_SOCK PGPORT=$PG_PORT "$PG_BIN/pgbench" -n -c "$clients" -j 2 -T "$seconds" \
		-f "$dir/mix.sql" postgres > "$dir/pgbench.out" 2> "$dir/pgbench.err"
	rc=$?
	set -e
	wait $canceller $sampler ${loader:+$loader}

	grep -E "^(number of transactions actually processed|tps)" "$dir/pgbench.out" || true
	echo "cancels sent: $(cat "$dir/cancels")${loader:+, unloads: $(cat "$dir/unloads")}"
	if [ $rc -eq 0 ] && ! grep -q "aborted" "$dir/pgbench.err"; then
		pass "$mode: pgbench ran every client to the end"
	else
		# a cancel landing just outside the call ends its client: allowed, any other error is not
		if grep -E "ERROR" "$dir/pgbench.err" | grep -vqE "canceling statement due to (user request|statement timeout)"; then
			fail "$mode: pgbench errors other than cancels and timeouts:"; grep ERROR "$dir/pgbench.err" | sort | uniq -c | head
		else
			pass "$mode: pgbench saw only cancels and timeouts ($(grep -c aborted "$dir/pgbench.err") clients ended by one)"
		fi
	fi
	others=$(grep -E "ERROR|FATAL|PANIC" "$PG_DATA/server.log" | grep -vE "canceling statement due to (user request|statement timeout)|terminating connection because of crash|the database system is" || true)
	if [ -z "$others" ]; then
		pass "$mode: the server log has no error but cancels and timeouts"
	else
		fail "$mode: server log errors:"; echo "$others" | sed 's/^[^]]*] //' | sort | uniq -c | head
	fi
	if grep -qE "terminated by signal|was terminated|server process .* exited with exit code [^0]" "$PG_DATA/server.log"; then
		fail "$mode: a backend crashed:"; grep -E "terminated by signal|was terminated|exited with exit code" "$PG_DATA/server.log" | head -3
	else
		pass "$mode: no backend crashed"
	fi
	# memory: per backend alive at both samples, growth after the warm-up
	join "$dir/mem.warm" "$dir/mem.end" | awk -v mode="$mode" '
		{ n++; dr = $4 - $2; dp = $5 - $3; if (dr > mr) mr = dr; if (dp > mp) mp = dp; sr += $2; er += $4; sp += $3; ep += $5 }
		END {
			if (n == 0) { print "FAIL " mode ": no backend sampled twice"; exit 1 }
			printf "%s: %d backends, resident kB after warm-up / at the end (mean): %d / %d, private: %d / %d; largest growth: resident %d kB, private %d kB\n",
				mode, n, sr / n, er / n, sp / n, ep / n, mr, mp
			if (mp > 8192) { print "FAIL " mode ": a backend'"'"'s private memory grew by more than 8 MB"; exit 1 }
		}' && passes=$((passes + 1)) || failures=$((failures + 1))
	after=$(q -c "RESET statement_timeout; $fixed")
	if [ "$before" = "$after" ]; then
		pass "$mode: the fixed greedy answer is unchanged"
	else
		fail "$mode: the fixed greedy answer changed ($before, then $after)"
	fi
	remove_cluster
done
echo "load: $passes passed, $failures failed"
[ $failures -eq 0 ]
