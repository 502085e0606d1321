#!/usr/bin/env bash
# make check-fuzz: for each libFuzzer harness, replay the inputs of the
# crashes found and fixed (test/fuzz/regress/<name>/), then fuzz it for a
# bounded time from its corpus (BUILD/corpus/<name>, kept between runs) and
# its seeds.  A crash leaves its input in BUILD/crashes/ and fails.  Prints
# each harness's executions, the total, and "N passed, M failed" over the
# harnesses (the closing line of scripts/test.sh counts it).
#
# usage: check.sh BUILD SECONDS NAME...   (run from the repository's root)
# FUZZ_FLAGS adds libFuzzer options (say -jobs=2 -workers=2 for a long run).
set -uo pipefail

build=$1
seconds=$2
shift 2

# what each harness starts from (the directories that exist: the sampler
# has no seeds), and the longest input it is given
seeds_of() {
	local s=$build/seeds dirs d
	case $1 in
		gguf) dirs="$s/gguf $s/shared-models" ;;
		model) dirs="$s/model $s/shared-models" ;;
		json) dirs="$s/json $s/shared-json" ;;
		gbnf) dirs="$s/gbnf test/unit/grammars" ;;
		*) dirs="$s/$1" ;;
	esac
	for d in $dirs; do
		[ -d "$d" ] && echo "$d"
	done
}
max_len_of() {
	case $1 in
		gguf) echo 1048576 ;;	# the headers; stories260K.Q8_0 whole
		model) echo 2097152 ;;	# fuzz_model.c ignores whole files above 2 MB
		vocab) echo 524288 ;;	# trimmed vocabularies, one with its charsmap
		tokenize) echo 4096 ;;
		json) echo 16384 ;;
		*) echo 8192 ;;
	esac
}

mkdir -p "$build/crashes" "$build/logs"
status=0
passed=0
failed=0
total=0
for name in "$@"; do
	bin=$build/fuzz_$name
	log=$build/logs/$name.log
	fail=0
	if [ -d "test/fuzz/regress/$name" ]; then
		# -runs=0 executes every input of the directory once
		if ! "$bin" -runs=0 "test/fuzz/regress/$name" >"$build/logs/$name.regress" 2>&1; then
			tail -40 "$build/logs/$name.regress"
			echo "FAIL fuzz_$name: an input of test/fuzz/regress/$name crashes again"
			fail=1
		fi
	fi
	mkdir -p "$build/corpus/$name"
	dict=
	[ -f "test/fuzz/$name.dict" ] && dict=-dict=test/fuzz/$name.dict
	# shellcheck disable=SC2046,SC2086
	"$bin" -max_total_time="$seconds" -max_len=$(max_len_of "$name") -timeout=60 \
		-rss_limit_mb=2560 -print_final_stats=1 $dict ${FUZZ_FLAGS:-} \
		-artifact_prefix="$build/crashes/$name-" \
		"$build/corpus/$name" $(seeds_of "$name") >"$log" 2>&1 || fail=1
	# the last count (a leak report repeats the stats)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	runs=${runs:-0}
	total=$((total + runs))
	if [ $fail = 0 ]; then
		passed=$((passed + 1))
		echo "fuzz_$name: $runs executions, no crash"
	else
		failed=$((failed + 1))
		status=1
		grep -E -A30 "^==[0-9]+==ERROR|FUZZ_CHECK|runtime error|^SUMMARY" "$log" | head -60
		echo "FAIL fuzz_$name after $runs executions (log: $log, input: $build/crashes/$name-*)"
	fi
done
echo "check-fuzz: $total executions in total"
echo "check-fuzz: $passed passed, $failed failed"
exit $status
