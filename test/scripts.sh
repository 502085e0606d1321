#!/usr/bin/env bash
# The set-up scripts' own behaviour: the demo without ../shared says what
# is missing and where it belongs; a temporary cluster is removed when the
# script that started it ends.  Prints "scripts: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }

# a checkout with no ../shared beside it
tmp=$(mktemp -d)
mkdir -p "$tmp/co" && cp -r scripts "$tmp/co/"
out=$(cd "$tmp/co" && bash scripts/demo.sh 2>&1); rc=$?
check "demo without ../shared exits 1" '[ $rc = 1 ]'
check "and names the missing file and where ../shared belongs" \
	'grep -q "stories260K.gguf is missing" <<<"$out" && grep -q "beside this checkout, as ../shared" <<<"$out"'
out=$(cd "$tmp/co" && LLM_MODEL=/no/such.gguf bash scripts/demo.sh 2>&1); rc=$?
check "an unreadable LLM_MODEL is named" '[ $rc = 1 ] && grep -q "LLM_MODEL=/no/such.gguf is not a readable file" <<<"$out"'
rm -rf "$tmp"

# start_cluster's cluster is gone when its script exits
data=/tmp/llm-scripts-test-pg sock=/tmp/llm-scripts-test-sock
LLM_PG_PORT=54341 LLM_PG_DATA=$data LLM_PG_SOCK=$sock bash -c '
	. scripts/common.sh
	start_cluster >/dev/null
	psql -X -Atq -d postgres -c "SELECT 1" >/dev/null' ; rc=$?
check "a temporary cluster starts and answers" '[ $rc = 0 ]'
check "and its data and socket folders are removed at exit" '[ ! -e $data ] && [ ! -e $sock ]'

echo "scripts: $pass passed, $fail failed"
[ $fail = 0 ]
