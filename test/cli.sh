#!/usr/bin/env bash
# llm-cli's command line as a user meets it: help and usage on the right
# stream with the right exit status, one-line errors (status 2) for unknown
# options, missing values and values out of range, before any model loads;
# the names the usage lists (synth shapes and types, bench-kernels types,
# chat templates, kernel variants) are the ones the commands accept; info
# describes vocabulary-only files and models it cannot run; parity explains
# its columns; inputs that are not regular files, malformed references,
# crafted metadata and long paths are refused or shown plainly, and a
# failed write to stdout is a failure; --grammar and --json-schema files
# are checked before the model loads, their errors placed in the file.  Needs bin/llm-cli,
# ../shared/models/stories260K.gguf, ../shared/vocab and ../shared/parity
# (valgrind for the leak checks, if installed); runs in under a minute.
set -uo pipefail
cd "$(dirname "$0")/.."
cli=${LLM_CLI:-bin/llm-cli}
shared=${LLM_SHARED:-../shared}
model=$shared/models/stories260K.gguf
vocab=$shared/vocab/ggml-vocab-qwen2.gguf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
status=0

# llm-cli ARGS, its exit status into $status, its streams into out and err;
# a command that hangs (on a FIFO) is stopped, status 124
run() {
	timeout 60 "$cli" "$@" >"$tmp/out" 2>"$tmp/err"
	status=$?
}

check() {
	if [ "$1" = ok ]; then
		passed=$((passed + 1))
		echo "ok   $2"
	else
		failed=$((failed + 1))
		echo "FAIL $2"
		sed -n '1,4s/^/     stderr: /p' "$tmp/err"
	fi
}

# expect STATUS STREAM REGEX ARGS...: the status, and an extended regex
# that stream (out or err) matches
expect() {
	local want=$1 stream=$2 pattern=$3
	shift 3
	run "$@"
	if [ "$status" != "$want" ]; then
		check fail "llm-cli $*: exit status $status, not $want"
	elif ! grep -Eq -- "$pattern" "$tmp/$stream"; then
		check fail "llm-cli $*: std$stream does not match /$pattern/"
	else
		check ok "llm-cli $*: $want, /$pattern/"
	fi
}

# usage_error REGEX ARGS...: status 2, nothing on stdout, and one line on
# stderr that matches (the option and its valid range)
usage_error() {
	local pattern=$1
	shift
	run "$@"
	if [ "$status" != 2 ]; then
		check fail "llm-cli $*: exit status $status, not 2"
	elif [ -s "$tmp/out" ]; then
		check fail "llm-cli $*: printed to stdout"
	elif [ "$(wc -l <"$tmp/err")" != 1 ]; then
		check fail "llm-cli $*: $(wc -l <"$tmp/err") lines on stderr, not one"
	elif ! grep -Eq -- "$pattern" "$tmp/err"; then
		check fail "llm-cli $*: stderr does not match /$pattern/"
	else
		check ok "llm-cli $*: 2, $(cat "$tmp/err")"
	fi
}

# The usage with wrapped lines joined, so that a list reads as one line.
joined_usage() {
	"$cli" --help | awk '/^      / { sub(/^ +/, " "); line = line $0; next }
		{ if (NR > 1) print line; line = $0 } END { print line }'
}

# The names of a table in a source file: the first string of each entry.
table_names() {
	sed -n "/$2\[\] = {/,/^};/p" "$1" | grep -o '{"[^"]*"\|{\.name = "[^"]*"' | sed 's/^{\(\.name = \)\?"//; s/"$//'
}

commands="info tokenize logits generate chat bench parity synth vocab-test bench-tokenize bench-kernels grammar bench-grammar"

echo "== help and usage"
for args in --help -h help; do
	run $args
	if [ $status = 0 ] && grep -q '^usage: llm-cli COMMAND' "$tmp/out" && [ ! -s "$tmp/err" ]; then
		check ok "llm-cli $args: usage on stdout, 0"
	else
		check fail "llm-cli $args: status $status, usage not on stdout alone"
	fi
done
for args in "" nope; do
	run $args
	if [ $status = 2 ] && grep -q '^usage: llm-cli COMMAND' "$tmp/err" && [ ! -s "$tmp/out" ]; then
		check ok "llm-cli $args: usage on stderr, 2"
	else
		check fail "llm-cli $args: status $status, usage not on stderr alone"
	fi
done
expect 2 err '^llm-cli: unknown command "nope"' nope
expect 2 err '^llm-cli: no command given' 
for c in $commands; do
	run "$c" --help
	if [ $status = 0 ] && grep -q "^usage: llm-cli $c " "$tmp/out" && grep -q -- '--help' "$tmp/out" &&
		[ ! -s "$tmp/err" ]; then
		check ok "llm-cli $c --help: its usage on stdout, 0"
	else
		check fail "llm-cli $c --help: status $status, its usage not on stdout alone"
	fi
	grep -q "^  $c " <("$cli" --help) && check ok "usage lists $c" || check fail "usage lists $c"
done
expect 0 out '^usage: llm-cli generate MODEL --prompt TEXT' help generate
expect 0 out '^usage: llm-cli bench MODEL' bench -h
expect 0 out '^usage: llm-cli synth ' synth --shape nope --help
expect 2 err 'unknown command "nope"' help nope

echo "== options: unknown, missing values, numbers out of range"
usage_error 'unknown option "--bogus"' generate "$model" --prompt hi --bogus
usage_error 'unknown option "--tokens"' generate "$model" --prompt hi --tokens 1
usage_error 'unknown option "-x"' info "$model" -x
usage_error 'unknown option "--nope"' synth --nope
usage_error '-n needs a value' generate "$model" --prompt hi -n
usage_error '--prompt needs a value' generate "$model" --prompt
usage_error '--prompt TEXT is required' generate "$model"
usage_error 'needs MODEL' generate --prompt hi
usage_error 'needs MODEL TEXT' tokenize "$model"
usage_error 'needs FILE' info
usage_error 'unexpected argument "extra"' info "$model" extra
usage_error '--pieces takes no value' tokenize "$model" hi --pieces=yes
usage_error '--out FILE is required' synth --shape smollm2-135m --type q8_0
usage_error '--user TEXT is required' chat "$model"
usage_error '-n must be an integer >= 0, not "abc"' generate "$model" --prompt hi -n abc
usage_error '-n must be an integer >= 0, not "-3"' generate "$model" --prompt hi -n -3
usage_error '-n must be an integer >= 0, not "12x"' generate "$model" --prompt hi -n 12x
usage_error '-n must be an integer >= 0, not " 5"' generate "$model" --prompt hi -n " 5"
usage_error '-n must be an integer >= 0, not ""' generate "$model" --prompt hi -n ""
usage_error '-n must be an integer >= 0' chat "$model" --user hi -n -1
usage_error '--ctx must be an integer from 0 to 16777216, not "-1"' generate "$model" --prompt hi --ctx -1
usage_error '-t must be an integer from 1 to 256, not "0"' bench "$model" -t 0
usage_error '--reps must be an integer from 1 to 1000000, not "x"' bench "$model" --reps x
usage_error '-p must be an integer from 1 to [0-9]+, not "-1"' bench "$model" -p -1
usage_error '-n must be an integer from 1 to [0-9]+, not "0"' bench "$model" -n 0
usage_error '--batch must be an integer from 0 to [0-9]+, not "-2"' bench "$model" --batch -2
usage_error '--top-p must be a number > 0 and <= 1, not "5"' generate "$model" --prompt hi --top-p 5
usage_error '--top-p must be a number > 0 and <= 1, not "-0.1"' generate "$model" --prompt hi --top-p -0.1
usage_error '--top-p must be a number > 0 and <= 1, not "0"' generate "$model" --prompt hi --top-p 0
usage_error '--top-p must be a number > 0 and <= 1' chat "$model" --user hi --top-p 1.5
usage_error '--temp must be a number from 0 to 100, not "-1"' generate "$model" --prompt hi --temp -1
usage_error '--temp must be a number from 0 to 100, not "101"' generate "$model" --prompt hi --temp 101
usage_error '--temp must be a number from 0 to 100, not "nan"' generate "$model" --prompt hi --temp nan
usage_error '--temp must be a number from 0 to 100, not "0.5x"' chat "$model" --user hi --temp 0.5x
usage_error '--min-p must be a number from 0 to 1, not "2"' generate "$model" --prompt hi --min-p 2
usage_error '--min-p must be a number from 0 to 1, not "-0.5"' generate "$model" --prompt hi --min-p -0.5
usage_error '--repeat-penalty must be a number > 0, not "0"' generate "$model" --prompt hi --repeat-penalty 0
usage_error '--repeat-penalty must be a number > 0, not "-1"' generate "$model" --prompt hi --repeat-penalty -1
usage_error '--top-k must be an integer >= 0, not "-1"' generate "$model" --prompt hi --top-k -1
usage_error '--seed must be an integer from 0 to 18446744073709551615, not "-1"' generate "$model" --prompt hi --seed -1
usage_error '--seed must be an integer from 0 to 18446744073709551615' synth --shape smollm2-135m --type q8_0 --out "$tmp/x.gguf" --seed x
usage_error '--mb must be a number > 0 and <= 1024, not "0"' bench-tokenize "$vocab" --mb 0
usage_error '--reps must be an integer from 1 to 1000000, not "0"' bench-tokenize "$vocab" --reps 0
usage_error '--mb must be an integer from 1 to [0-9]+, not "x"' bench-kernels --mb x
usage_error '-t must be an integer from 1 to 64, not "0"' bench-kernels -t 0
usage_error '--kv must be one of f32, f16, not "q8"' parity "$shared/parity" --kv q8
# checked before the model loads: a file that does not exist is not reached
usage_error '--top-p must be a number > 0 and <= 1' generate "$tmp/none.gguf" --prompt hi --top-p 2
none=$tmp/none.gguf

echo "== numbers: decimal only, no '+', no -0 integers, ranges at the engine's precision"
usage_error '-n must be an integer >= 0, not "\+3"' generate "$none" --prompt hi -n +3
usage_error '-n must be an integer >= 0, not "-0"' generate "$none" --prompt hi -n -0
usage_error '-n must be an integer >= 0, not "0x10"' generate "$none" --prompt hi -n 0x10
usage_error '-t must be an integer from 1 to 256, not "\+1"' bench "$none" -t +1
usage_error '--seed must be an integer from 0 to [0-9]+, not "-0"' generate "$none" --prompt hi --seed -0
usage_error '--seed must be an integer from 0 to [0-9]+, not "\+1"' generate "$none" --prompt hi --seed +1
usage_error '--temp must be a number from 0 to 100, not "\+1"' generate "$none" --prompt hi --temp +1
usage_error '--temp must be a number from 0 to 100, not "0x10"' generate "$none" --prompt hi --temp 0x10
usage_error '--top-p must be a number > 0 and <= 1, not "0x1p-1"' generate "$none" --prompt hi --top-p 0x1p-1
usage_error '--top-p must be a number > 0 and <= 1, not "infinity"' generate "$none" --prompt hi --top-p infinity
usage_error '--mb must be a number > 0 and <= 1024, not "1e"' bench-tokenize "$none" --mb 1e
usage_error '--top-p must be a number > 0 and <= 1, not "1e-320" \(too small: it rounds to 0 as a float\)' \
	generate "$none" --prompt hi --top-p 1e-320
usage_error '--mb must be a number > 0 and <= 1024, not "1e-400" \(too small: it rounds to 0\)' \
	bench-tokenize "$none" --mb 1e-400
usage_error '--temp must be a number from 0 to 100, not "1e999" \(too large\)' generate "$none" --prompt hi --temp 1e999
# positive as a double, 0 as the float the sampler divides by
usage_error '--repeat-penalty must be a number > 0, not "1e-300" \(too small' generate "$none" --prompt hi --repeat-penalty 1e-300
usage_error '--repeat-penalty must be a number > 0, not "1e39" \(too large for a float\)' \
	generate "$none" --prompt hi --repeat-penalty 1e39
for ids in " 1" "+1" "1," ",1" "1,,2" "-0" "0x1" "1, 2" "1;2" "2147483648"; do
	usage_error "--tokens must be a comma-separated list of at most 16777216 token ids \\(integers >= 0\\), not \"${ids/+/\\+}\"" \
		logits "$none" --tokens "$ids" --out "$tmp/l.f32"
done
# what the help accepts does not fail once the model is loaded
usage_error '--ctx must be an integer from 0 to 16777216, not "16777217"' generate "$none" --prompt hi --ctx 16777217
usage_error '-p \+ -n must be at most 16777216 \(one context\), not 16777217' bench "$none" -p 16777216 -n 1
usage_error '-p \+ -n must be at most 16777216' bench "$none" -p 16777215 -n 2
usage_error '--reps must be an integer from 1 to 1000000, not "1000001"' bench "$none" --reps 1000001
usage_error '--reps must be an integer from 1 to 1000000, not "2147483647"' bench-kernels --reps 2147483647
# bench keeps a figure per repetition: 24 MB for a million, more than 16 MB of address space
printf '#!/bin/sh\nulimit -v 16000 && exec "%s" "$@"\n' "$(realpath "$cli")" >"$tmp/limited-cli"
chmod +x "$tmp/limited-cli"
cli=$tmp/limited-cli expect 1 err '^llm-cli: out of memory$' bench "$model" -p 1 -n 1 --reps 1000000
expect 0 err 'stop: context' chat "$model" --user hi -n 2147483647
expect 0 err 'stop: context' generate "$model" --prompt hi -n 2147483647
expect 0 err 'stop: length' generate "$model" --prompt hi -n 4 --temp -0 --top-p .5 --min-p 0.05 --repeat-penalty 1e-30

echo "== valid commands"
expect 0 out '^architecture: llama' info "$model"
expect 0 out '^1 ' tokenize "$model" "Once upon a time"
expect 0 out '^ +[0-9]+ -> ' tokenize "$model" --pieces -- "-x"
expect 0 out '.' generate "$model" --prompt "Once upon a time" -n 8
expect 0 out '^$' generate "$model" --prompt "Once upon a time" -n 0
expect 0 out '.' generate "$model" --prompt="Once upon a time" -n 8 --temp 0.7 --seed 3 --top-k 40 \
	--top-p 0.9 --min-p 0.05 --repeat-penalty 1.1 --stop "."
run generate "$model" --prompt "Once upon a time" -n 16
a=$(cat "$tmp/out")
run generate "$model" -n 16 --prompt "Once upon a time" --temp 0
[ "$a" = "$(cat "$tmp/out")" ] && [ -n "$a" ] && check ok "generate: options in any order, --temp 0 is the default" ||
	check fail "generate: options in any order, --temp 0 is the default"
expect 0 out '^template: chatml' chat "$vocab" --user hi --prompt-only
expect 0 out '^wrote ' logits "$model" --tokens 1,2,3 --out "$tmp/l.f32"

echo "== chat templates"
usage_error 'unknown --template "nope": give one of chatml, llama3, .*gemma, or a Jinja template' \
	chat "$model" --user hi --template nope
names=$(sed -n 's/.*give one of \(.*\), or a Jinja.*/\1/p' "$tmp/err" | tr -d ',')
for t in $names; do
	expect 0 out "^template: $t," chat "$model" --user hi --template "$t" --prompt-only
done
joined_usage | grep -q "^  chat --template: $(sed 's/ /, /g' <<<$names)\$" && check ok "usage lists the chat templates" ||
	check fail "usage lists the chat templates"

echo "== grammars and JSON Schemas"
printf 'root ::= "yes" | "no"\n' >"$tmp/yesno.gbnf"
printf '{"type": "boolean"}\n' >"$tmp/bool.json"
printf 'root ::= "a"\nitem ::= ( "b" | "c"\n' >"$tmp/bad.gbnf"
printf 'root ::= "a" item\n' >"$tmp/undefined.gbnf"
printf '{"type": "object", "properties": {"a": {"oneOf": [{"type": "string"}]}}}' >"$tmp/bad.json"
printf '{"type": "object",\n "properties": [}' >"$tmp/broken.json"
usage_error '^llm-cli generate: --grammar and --json-schema cannot be combined: give one$' \
	generate "$model" --prompt hi --grammar "$tmp/yesno.gbnf" --json-schema "$tmp/bool.json"
usage_error '^llm-cli generate: --stop cannot be combined with --grammar' generate "$model" --prompt hi \
	--grammar "$tmp/yesno.gbnf" --stop x
usage_error '^llm-cli chat: --stop cannot be combined with --json-schema' chat "$model" --user hi \
	--json-schema "$tmp/bool.json" --stop x
usage_error '--grammar needs a value' generate "$model" --prompt hi --grammar
usage_error '^llm-cli bench-grammar: needs --grammar FILE or --json-schema FILE' bench-grammar "$model"
expect 1 err 'none.gbnf: No such file or directory$' generate "$model" --prompt hi --grammar "$tmp/none.gbnf"
expect 1 err ': not a regular file but a directory$' generate "$model" --prompt hi --json-schema "$tmp"
expect 1 err 'bad.gbnf: line 3 column 1: expected .\). to close the group that opens at line 2 column 10, found the end of the grammar$' \
	generate "$model" --prompt hi --grammar "$tmp/bad.gbnf"
expect 1 err 'undefined.gbnf: line 1 column 14: undefined rule "item"$' chat "$model" --user hi --grammar "$tmp/undefined.gbnf"
expect 1 err 'bad.json: at \$.properties.a: keyword "oneOf" is not supported' generate "$model" --prompt hi \
	--json-schema "$tmp/bad.json"
expect 1 err 'broken.json: line 2 column 17: expected a value' generate "$model" --prompt hi --json-schema "$tmp/broken.json"
# the grammar is compiled before the model loads: a bad one is found first
expect 1 err 'bad.gbnf: line 3' generate "$none" --prompt hi --grammar "$tmp/bad.gbnf"
expect 0 out '^(yes|no)$' generate "$model" --prompt "Once upon a time" --grammar "$tmp/yesno.gbnf"
expect 0 out '^(yes|no)$' chat "$model" --user hi --grammar "$tmp/yesno.gbnf" --temp 1 --seed 5
expect 0 out '^(true|false) ?$' generate "$model" --prompt "Once upon a time" --json-schema "$tmp/bool.json"
expect 0 out '^template: ' chat "$model" --user hi --grammar "$tmp/yesno.gbnf" --prompt-only
expect 1 err 'before the grammar was complete: it does not match it; allow more tokens with -n$' \
	generate "$model" --prompt hi --grammar test/unit/grammars/chess.gbnf -n 3
grep -q '^1\. ' "$tmp/out" && check ok "an unfinished output is printed" || check fail "an unfinished output is printed"
expect 0 out '^overhead: [-+][0-9.]+%$' bench-grammar "$model" --grammar test/unit/grammars/json.gbnf -n 8 --reps 1
usage_error '^llm-cli grammar: needs --grammar FILE or --json-schema FILE' grammar
expect 0 out '^root ::= \("true" \| "false"\) space$' grammar --json-schema "$tmp/bool.json"
expect 0 out '^root ::= "yes" \| "no"$' grammar --grammar "$tmp/yesno.gbnf"
expect 1 err 'bad.json: at \$.properties.a: keyword "oneOf" is not supported' grammar --json-schema "$tmp/bad.json"
expect 1 err 'bad.gbnf: line 3 column 1: ' grammar --grammar "$tmp/bad.gbnf"
expect 0 err '^tokens:( [0-9]+)+$' generate "$model" --prompt hi --grammar "$tmp/yesno.gbnf" --show-tokens
# the masks alone need only a vocabulary
expect 0 out '^masks: [0-9]+ steps, [0-9.]+ ms/token' bench-grammar "$vocab" --json-schema "$tmp/bool.json" \
	--masks-only -n 4 --reps 1

echo "== synth and bench-kernels names"
usage=$(joined_usage)
for table in synth_shapes:--shape synth_quants:--type; do
	want=$(table_names tools/cmd_synth.c "${table%:*}" | paste -sd, | sed 's/,/, /g')
	opt=${table#*:}
	if [ -n "$want" ] && grep -qxF "  synth $opt: $want" <<<"$usage" &&
		"$cli" synth --help | tr -s ' \n' ' ' | grep -qF "$want"; then
		check ok "usage and synth --help list synth $opt: $want"
	else
		check fail "usage and synth --help list synth $opt: $want"
	fi
done
want="$(table_names tools/cmd_bench_kernels.c bk_types | paste -sd, | sed 's/,/, /g'), all"
if grep -qxF "  bench-kernels --type: $want" <<<"$usage" && "$cli" bench-kernels --help | tr -s ' \n' ' ' | grep -qF "$want"; then
	check ok "usage and bench-kernels --help list bench-kernels --type: $want"
else
	check fail "usage and bench-kernels --help list bench-kernels --type: $want"
fi
usage_error "--type must be one of $want, not \"nope\"" bench-kernels --type nope
usage_error '--shape must be one of smollm2-135m, .*, not "nope"' synth --shape nope --type q8_0 --out "$tmp/x.gguf"
usage_error '--type must be one of q8_0, .*, not "q9"' synth --shape smollm2-135m --type q9 --out "$tmp/x.gguf"

echo "== LLM_KERNEL"
for args in "info $model" "generate $model --prompt hi" "bench-kernels" "parity $shared/parity" \
	"synth --shape smollm2-135m --type q8_0 --out $tmp/x.gguf"; do
	LLM_KERNEL=foo usage_error '^llm-cli: LLM_KERNEL=foo is not a kernel variant; valid on this CPU: auto(, [a-z0-9]+)+; all known: ' $args
done
for k in $(LLM_KERNEL=foo "$cli" info "$model" 2>&1 | sed -n 's/.*valid on this CPU: \([^;]*\);.*/\1/p' | tr -d ,); do
	LLM_KERNEL=$k expect 0 out '^architecture: llama' info "$model"
done
LLM_KERNEL= expect 0 out '^architecture: llama' info "$model"
LLM_KERNEL=foo expect 0 out '^usage: llm-cli COMMAND' --help
# help works whatever the environment: it is how to find the valid names
for c in $commands; do
	LLM_KERNEL=foo expect 0 out "^usage: llm-cli $c " "$c" --help
done
expect 0 out 'LLM_KERNEL=NAME' --help

echo "== info on files it cannot run"
expect 0 out 'holds only a vocabulary' info "$vocab"
for p in '^architecture: qwen2$' '^tokenizer: gpt2 \(pre-tokenizer qwen2\), vocabulary of 151936 tokens$' \
	'^tensors \(0\):' '^  tokenizer.ggml.model = "gpt2"$' '^metadata \(20 keys\):$' 'tokenizer works'; do
	grep -Eq -- "$p" "$tmp/out" && check ok "info on a vocabulary: /$p/" || check fail "info on a vocabulary: /$p/"
done
n=$(sed -n 's/^metadata (\([0-9]*\) keys):$/\1/p' "$tmp/out")
[ "$(grep -c '^  [a-z_.0-9]* = ' "$tmp/out")" = "$n" ] && check ok "info on a vocabulary prints all $n keys" ||
	check fail "info on a vocabulary prints all $n keys"
for f in "$shared"/vocab/*.gguf; do
	expect 0 out 'holds only a vocabulary' info "$f"
done
# a model whose architecture no engine knows: stories260K, renamed
python3 - "$model" "$tmp/unknown-arch.gguf" <<'EOF'
import struct, sys
data = open(sys.argv[1], 'rb').read()
key = b'general.architecture' + struct.pack('<IQ', 8, 5)
assert data.count(key + b'llama') == 1
open(sys.argv[2], 'wb').write(data.replace(key + b'llama', key + b'nollm'))
EOF
expect 0 out '^llm-cli cannot run this model: architecture "nollm" is not supported' info "$tmp/unknown-arch.gguf"
for p in '^architecture: nollm$' '^tokenizer: llama .*vocabulary of 512 tokens$' '^tensors \(48\): F32 x 48$' \
	'^  llama.block_count = 5$'; do
	grep -Eq -- "$p" "$tmp/out" && check ok "info on an unknown architecture: /$p/" ||
		check fail "info on an unknown architecture: /$p/"
done
head -c 4096 "$model" >"$tmp/truncated.gguf"
expect 1 err '^llm-cli: ' info "$tmp/truncated.gguf"
expect 1 err 'not a GGUF file' info README.md
expect 1 err "none.gguf: No such file or directory" info "$tmp/none.gguf"
expect 1 err 'architecture "nollm" is not supported' generate "$tmp/unknown-arch.gguf" --prompt hi

echo "== parity explains its columns"
mkdir "$tmp/parity"
ln -s "$(cd "$shared/parity" && pwd)"/stories260K.Q8_0.* "$tmp/parity/"
echo '{"models": [{"name": "stories260K.Q8_0", "model_file": "stories260K.Q8_0.gguf",
	"ref": "stories260K.Q8_0.ref.json", "quant": "Q8_0"}]}' >"$tmp/parity/index.json"
expect 0 out '^PASS stories260K.Q8_0 ' parity "$tmp/parity"
legend=$(grep -n '^columns: ' "$tmp/out" | cut -d: -f1)
row=$(grep -n '^PASS ' "$tmp/out" | head -n 1 | cut -d: -f1)
[ -n "$legend" ] && [ "$legend" -lt "$row" ] && check ok "parity: the legend comes before the rows" ||
	check fail "parity: the legend comes before the rows"
for p in 'PASS or FAIL' 'quant' '^  max\|d\| rms ' 'x std' 'limits' '^  top-1 ' 'clear' '^  greedy '; do
	grep -Eq -- "$p" "$tmp/out" && check ok "parity legend: /$p/" || check fail "parity legend: /$p/"
done

echo "== parity: every prompt's greedy count, malformed references, --arch"
row=$(grep '^PASS ' "$tmp/out" | head -n 1)
[[ $row =~ greedy\ [0-9]+/32,[0-9]+/32,[0-9]+/32$ ]] && check ok "parity: greedy count/length per prompt: ${row##*greedy }" ||
	check fail "parity: greedy count/length per prompt: ${row##*greedy }"
# a reference whose prompt fields are not arrays of the right type
for bad in 'argmax_margin={"0": 1}' 'greedy={"a": 1}' 'greedy_margin=[1]' 'tokens=["x"]' 'tokens=[1e300]' \
	'tokens=[99999]' 'tokens=[1.5]' 'tokens=[]' 'greedy=[1, "x"]' 'logit_std="x"'; do
	key=${bad%%=*}
	python3 - "$shared/parity/stories260K.Q8_0.ref.json" "$tmp/parity/bad.ref.json" "$bad" <<'EOF2'
import json, sys
ref = json.load(open(sys.argv[1]))
key, value = sys.argv[3].split('=', 1)
ref['prompts'][0][key] = json.loads(value)
json.dump(ref, open(sys.argv[2], 'w'))
EOF2
	echo '{"models": [{"name": "bad", "model_file": "stories260K.Q8_0.gguf", "ref": "bad.ref.json",
		"quant": "Q8_0", "arch": "llama"}]}' >"$tmp/parity/index.json"
	expect 1 out "^FAIL bad +malformed prompt 0 in the reference: \"$key\" is not " parity "$tmp/parity"
done
echo '{"models": [{"name": "a", "model_file": "m.gguf", "ref": "r.json", "arch": "llama"},
	{"name": "b", "model_file": "m.gguf", "ref": "r.json", "arch": "qwen2"},
	{"name": "c", "model_file": "m.gguf", "ref": "r.json", "arch": "llama"}]}' >"$tmp/parity/index.json"
expect 1 err 'no model of architecture "nope" in .*/index.json; it has: llama, qwen2$' parity "$tmp/parity" --arch nope
[ ! -s "$tmp/out" ] && check ok "parity --arch nope: no rows, no \"0 passed\"" ||
	check fail "parity --arch nope: no rows, no \"0 passed\""

echo "== inputs that are not regular files are refused at once"
mkfifo "$tmp/fifo"
expect 1 err 'fifo: not a regular file but a FIFO$' info "$tmp/fifo"
expect 1 err 'fifo: not a regular file but a FIFO$' tokenize "$tmp/fifo" hi
expect 1 err 'fifo: not a regular file but a FIFO$' generate "$tmp/fifo" --prompt hi -n 1
expect 1 err 'fifo: not a regular file but a FIFO$' logits "$tmp/fifo" --tokens 1 --out "$tmp/l.f32"
expect 1 err 'fifo: not a regular file but a FIFO$' bench "$tmp/fifo" -p 1 -n 1 --reps 1
expect 1 err 'fifo: not a regular file but a FIFO$' bench-tokenize "$tmp/fifo"
expect 1 err 'fifo: not a regular file but a FIFO$' chat "$tmp/fifo" --user hi --prompt-only
expect 1 err 'fifo: not a regular file but a FIFO$' generate "$model" --prompt hi --grammar "$tmp/fifo"
expect 1 err 'fifo: not a regular file but a FIFO$' chat "$model" --user hi --json-schema "$tmp/fifo"
expect 1 err ': not a regular file but a directory$' info "$tmp"
mkdir "$tmp/fifos"
mkfifo "$tmp/fifos/index.json" "$tmp/fifos/v.gguf.inp"
expect 1 err 'fifos/index.json: not a regular file but a FIFO$' parity "$tmp/fifos"
expect 1 err 'fifos/v.gguf.inp: not a regular file but a FIFO$' vocab-test "$tmp/fifos/v.gguf"
rm "$tmp/parity/index.json"
mkfifo "$tmp/parity/fifo.ref.json"
echo '{"models": [{"name": "f", "model_file": "stories260K.Q8_0.gguf", "ref": "fifo.ref.json",
	"quant": "Q8_0"}]}' >"$tmp/parity/index.json"
expect 1 out '^FAIL f +.*fifo.ref.json: not a regular file but a FIFO$' parity "$tmp/parity"

echo "== a long path keeps the reason of its error"
long=$tmp/$(printf 'a%.0s' {1..5000})
for args in "info $long" "generate $long/m.gguf --prompt hi" "parity $long" "vocab-test $long/v.gguf" \
	"chat $long --user hi --prompt-only" "logits $model --tokens 1 --out $long" \
	"generate $model --prompt hi --grammar $long/g.gbnf"; do
	run $args
	if [ "$status" = 1 ] && grep -Eq '\.\.\.a+(/[a-z.]+)?: File name too long$' "$tmp/err" &&
		[ "$(wc -c <"$tmp/err")" -lt 400 ]; then
		check ok "${args%% *} LONG-PATH: 1, $(sed 's/a\{20,\}/aaa/g' "$tmp/err")"
	else
		check fail "${args%% *} LONG-PATH: status $status, $(head -c 120 "$tmp/err")...$(tail -c 80 "$tmp/err")"
	fi
done

echo "== info shows the file's strings escaped, one key a line"
python3 - "$model" "$tmp/escaped.gguf" <<'EOF2'
import struct, sys
data = open(sys.argv[1], 'rb').read()
name = b'general.name' + struct.pack('<IQ', 8, 5)
bos = struct.pack('<Q', 3) + b'<s>'
assert data.count(name + b'llama') == 1 and data.count(bos) == 1
data = data.replace(name + b'llama', name + b'\x1b[\n\xff\t')
open(sys.argv[2], 'wb').write(data.replace(bos, struct.pack('<Q', 3) + b'\x1b]\x9b'))
EOF2
expect 0 out '^  general\.name = "\\x1b\[\\n\\xff\\t"$' info "$tmp/escaped.gguf"
! grep -q $'\x1b' "$tmp/out" && check ok "info: no escape character printed" || check fail "info: no escape character printed"
n=$(sed -n 's/^metadata (\([0-9]*\) keys):$/\1/p' "$tmp/out")
[ "$(sed -n '/^metadata/,/^tensors/p' "$tmp/out" | grep -c '^  [a-z_.0-9]* = ')" = "$n" ] &&
	[ "$(sed -n '/^metadata/,/^tensors/p' "$tmp/out" | wc -l)" = $((n + 2)) ] &&
	check ok "info: $n keys on $n lines" || check fail "info: $n keys on $n lines"
expect 0 out "^     1 -> '[\\]x1b][\\]x9b'$" tokenize "$tmp/escaped.gguf" hi --pieces
run tokenize "$model" "it's a\\b" --pieces
got=$(sed 's/^ *[0-9]* -> //' "$tmp/out" | paste -sd' ')
[ "$got" = "'<s>' '▁it' '\\'' 's' '▁a' '\\\\' 'b'" ] && check ok "tokenize --pieces escapes quotes and backslashes: $got" ||
	check fail "tokenize --pieces escapes quotes and backslashes: $got"

echo "== a failed write to stdout is a failure"
for args in "--help" "info $model" "tokenize $model hi" "bench-tokenize $vocab --mb 0.01 --reps 1"; do
	"$cli" $args >/dev/full 2>"$tmp/err"
	status=$?
	[ "$status" = 1 ] && grep -q '^llm-cli: cannot write to standard output: No space left on device$' "$tmp/err" &&
		check ok "llm-cli $args >/dev/full: 1, $(cat "$tmp/err")" ||
		check fail "llm-cli $args >/dev/full: status $status, $(head -c 200 "$tmp/err")"
done

echo "== vocab-test: llama.cpp's tokenizer cases pass for every vocabulary in $shared/vocab"
n=0
for f in "$shared"/vocab/ggml-vocab-*.gguf; do
	n=$((n + 1))
	expect 0 out '^[1-9][0-9]* passed, 0 failed ' vocab-test "$f"
done
[ "$n" -ge 15 ] && check ok "vocab-test ran on $n vocabularies" || check fail "vocab-test ran on $n vocabularies, not 15 or more"

echo "== bench-kernels: the header gives the matrix size the rows show"
expect 0 out '^Q8_0 +8\.5 ' bench-kernels --mb 1 --type q8_0 --reps 1
grep -q 'weight matrix of 1 MB, or of 2048 rows where$' "$tmp/out" && check ok "bench-kernels: header says the matrix is enlarged to 2048 rows" ||
	check fail "bench-kernels: header says the matrix is enlarged to 2048 rows"

echo "== no leaks on error paths"
if command -v valgrind >/dev/null; then
	# the last malformed reference above: it fails once the model is loaded
	echo '{"models": [{"name": "bad", "model_file": "stories260K.Q8_0.gguf", "ref": "bad.ref.json",
		"quant": "Q8_0"}]}' >"$tmp/parity/index.json"
	for args in "generate $model --prompt hi --ctx 20000000" "bench $model -p 16777216 -n 1" \
		"generate $model --prompt hi --grammar $tmp/bad.gbnf" "generate $model --prompt hi --json-schema $tmp/bad.json" \
		"generate $model --prompt hi --grammar test/unit/grammars/json.gbnf -n 40" "chat $model --user hi --grammar $tmp/undefined.gbnf" \
		"generate $model --prompt Once_upon_a_time --ctx 2" "logits $model --tokens 1,99999 --out $tmp/l.f32" \
		"parity $tmp/parity" "info $tmp/truncated.gguf" "chat $model --user hi -n 0 --template nope"; do
		timeout 120 valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
			"$cli" $args >/dev/null 2>"$tmp/err"
		status=$?
		[ "$status" != 99 ] && ! grep -q 'definitely lost' "$tmp/err" && check ok "valgrind llm-cli $args: $status, no leak" ||
			check fail "valgrind llm-cli $args: $(grep -m1 'definitely lost' "$tmp/err")"
	done
else
	echo "(valgrind not installed: leak checks skipped)"
fi

echo "cli: $passed passed, $failed failed"
[ $failed = 0 ]
