#!/usr/bin/env bash
# Query cancel and statement_timeout stop a long generation and a long
# prompt evaluation within 100 ms, and the same backend then answers
# correctly.  Runs against the server in PGHOST/PGPORT (scripts/test.sh
# starts one) with the extension installed; uses the fixtures of
# test/fixtures/setup.sh, including a SmolLM2-135M-shaped model.
set -uo pipefail
cd "$(dirname "$0")/.."
F=${LLM_FIXTURES:-/tmp/llm-fixtures}
LIMIT_MS=100
DB=llm_cancel
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

check() {
	if [ "$1" = ok ]; then
		passed=$((passed + 1))
		echo "ok   $2"
	else
		failed=$((failed + 1))
		echo "FAIL $2"
	fi
}

psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
psql -X -q -d $DB -v ON_ERROR_STOP=1 >/dev/null <<SQL
CREATE EXTENSION llm;
INSERT INTO llm_models (name, path) VALUES ('smol', '$F/smol.gguf'), ('stories', '$F/stories260K.gguf');
SQL
expected=$(psql -X -A -t -d $DB -c "SELECT llm_generate('', 'stories', max_tokens => 32)")

# A prompt of about 1900 tokens for the 2048-token context.
long_prompt="repeat('Once upon a time there was a girl who liked to play. ', 95)"

# run_session NAME SETUP QUERY: the query runs in a backend that has the
# models loaded already; then the same backend generates again.  Sets
# session_pid to the background psql.
run_session() {
	local name=$1 setup=$2 query=$3
	psql -X -d $DB -v ON_ERROR_STOP=0 > "$work/$name.out" 2>&1 <<SQL &
SET application_name = 'llm_$name';
SET llm.context_size = 2048;
SELECT llm_token_count('warm up', 'smol') > 0 AS loaded;
$setup
\\timing on
$query;
\\timing off
RESET statement_timeout;
SELECT 'after: ' || llm_generate('', 'stories', max_tokens => 32);
SQL
	session_pid=$!
}

# wait_active NAME SECONDS: until the long query has run that long
wait_active() {
	local name=$1 secs=$2
	for _ in $(seq 1 600); do
		if [ "$(psql -X -A -t -d $DB -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'llm_$name' AND state = 'active' AND query LIKE '%smol%max_tokens%' AND now() - query_start > interval '$secs s'")" = 1 ]; then
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# cancel_and_time NAME: pg_cancel_backend, then milliseconds until the query ended
cancel_and_time() {
	psql -X -A -t -d $DB -q <<SQL 2>&1 | sed -n 's/.*cancel_ms=\([0-9.]*\).*/\1/p'
DO \$\$
DECLARE
	target int;
	t0 timestamptz;
BEGIN
	SELECT pid INTO target FROM pg_stat_activity
	WHERE application_name = 'llm_$1' AND state = 'active' AND query LIKE '%smol%max_tokens%';
	t0 := clock_timestamp();
	PERFORM pg_cancel_backend(target);
	LOOP
		PERFORM pg_stat_clear_snapshot();
		EXIT WHEN NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = target
							  AND state = 'active' AND query LIKE '%smol%max_tokens%');
		PERFORM pg_sleep(0.001);
	END LOOP;
	RAISE NOTICE 'cancel_ms=%', round(extract(epoch FROM clock_timestamp() - t0) * 1000, 1);
END \$\$;
SQL
}

within() {
	awk -v v="$1" -v lim="$2" 'BEGIN { exit !(v != "" && v + 0 < lim + 0) }'
}

after_ok() {
	grep -q "after: $expected" "$work/$1.out"
}

# 1. cancel during generation to the full context
run_session gen "" "SELECT length(llm_generate('Once upon a time', 'smol', max_tokens => 2040))"
wait_active gen 1
ms=$(cancel_and_time gen)
wait $session_pid
grep -q "canceling statement due to user request" "$work/gen.out" && within "$ms" $LIMIT_MS && r=ok || r=fail
check $r "cancel stops a long generation in ${ms:-?} ms (limit $LIMIT_MS)"
after_ok gen && r=ok || r=fail
check $r "the same backend generates correctly after the cancel"

# 2. cancel during a long prompt evaluation
run_session prompt "" "SELECT llm_generate($long_prompt, 'smol', max_tokens => 1)"
wait_active prompt 0.5
ms=$(cancel_and_time prompt)
wait $session_pid
grep -q "canceling statement due to user request" "$work/prompt.out" && within "$ms" $LIMIT_MS && r=ok || r=fail
check $r "cancel stops a long prompt evaluation in ${ms:-?} ms (limit $LIMIT_MS)"
after_ok prompt && r=ok || r=fail
check $r "the same backend generates correctly after the cancel"

# 3. and 4. statement_timeout, measured by psql's \timing of the statement
for case in "gen|1000|SELECT length(llm_generate('Once upon a time', 'smol', max_tokens => 2040))" \
	"prompt|500|SELECT llm_generate($long_prompt, 'smol', max_tokens => 1)"; do
	IFS='|' read -r what timeout query <<<"$case"
	run_session "timeout_$what" "SET statement_timeout = '${timeout}ms';" "$query"
	wait $session_pid
	ms=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' "$work/timeout_$what.out" | head -1)
	over=$(awk -v t="${ms:-0}" -v lim="$timeout" 'BEGIN { printf "%.1f", t - lim }')
	grep -q "canceling statement due to statement timeout" "$work/timeout_$what.out" &&
		within "$over" $LIMIT_MS && r=ok || r=fail
	check $r "statement_timeout ${timeout}ms stops the $what after ${ms:-?} ms (${over} ms late, limit $LIMIT_MS)"
	after_ok "timeout_$what" && r=ok || r=fail
	check $r "the same backend generates correctly after the timeout"
done

if [ $failed -gt 0 ]; then
	for f in "$work"/*.out; do echo "--- $f"; cat "$f"; done
fi
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null
echo "cancel: $passed passed, $failed failed"
[ $failed = 0 ]
