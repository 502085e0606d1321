#!/usr/bin/env bash
# llama.cpp (node-llama-cpp's prebuilt CPU binaries, through
# ../shared/peer/llamacpp-bench.mjs) loads and runs the files llm-cli synth
# writes, and so does llm-cli.  The peer is installed into $LLM_PEER
# (default /tmp/llm-peer), never into the repository.
set -uo pipefail
cd "$(dirname "$0")/.."
peer=${LLM_PEER:-/tmp/llm-peer}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
passed=0
failed=0

if [ ! -d "$peer/node_modules/node-llama-cpp" ]; then
	npm install --prefix "$peer" --no-audit --no-fund node-llama-cpp@3.22.1 >/dev/null 2>&1 ||
		echo "FAIL could not install node-llama-cpp into $peer"
fi

for case in smollm2-135m:q8_0 smollm2-135m:q4_0 smollm2-135m:q4_k_m smollm2-135m:f16 qwen2.5-0.5b:q4_k_m; do
	shape=${case%:*}
	type=${case#*:}
	f="$dir/$shape-$type.gguf"
	if ! bin/llm-cli synth --shape "$shape" --type "$type" --out "$f" >/dev/null 2>&1; then
		echo "FAIL llm-cli synth --shape $shape --type $type"
		failed=$((failed + 1))
		continue
	fi
	out=$(NODE_PATH="$peer/node_modules" timeout 300 node ../shared/peer/llamacpp-bench.mjs "$f" -p 16 -n 4 -t 1 --reps 1 2>&1)
	if grep -q "^tg4 t/s: [0-9]" <<<"$out"; then
		echo "ok   llama.cpp runs $shape $type ($(grep '^tg4' <<<"$out"))"
		passed=$((passed + 1))
	else
		echo "FAIL llama.cpp on $shape $type: $out"
		failed=$((failed + 1))
	fi
	if bin/llm-cli bench "$f" -p 16 -n 4 --reps 1 | grep -q "^tg4 t/s: [0-9]"; then
		passed=$((passed + 1))
	else
		echo "FAIL llm-cli bench on $shape $type"
		failed=$((failed + 1))
	fi
	rm -f "$f"
done
echo "synth-peer: $passed passed, $failed failed"
[ $failed = 0 ]
