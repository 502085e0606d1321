#!/usr/bin/env bash
# Speed of llm-cli against llama.cpp (node-llama-cpp's prebuilt CPU
# binaries, run by ../shared/peer/llamacpp-bench.mjs) on the same GGUF
# files, same threads, same prompt and generation lengths, in the same run.
# Runs alternate between the two, and the table reports medians and ratios.
#
#   bash scripts/bench.sh [--shapes "smollm2-135m"] [--types "q8_0 q4_0 q4_k_m"]
#                         [--threads "1 2"] [--reps 3] [-p 512] [-n 128]
#
# Models are written by llm-cli synth (random weights, real shapes) into
# $LLM_BENCH_DIR (default /tmp/llm-bench); the peer is installed into
# $LLM_PEER (default /tmp/llm-peer), never into the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

shapes="smollm2-135m"
types="q8_0 q4_0 q4_k_m"
threads="1 2"
reps=3
P=512
N=128
while [ $# -gt 0 ]; do
	case $1 in
		--shapes) shapes=$2; shift 2 ;;
		--types) types=$2; shift 2 ;;
		--threads) threads=$2; shift 2 ;;
		--reps) reps=$2; shift 2 ;;
		-p) P=$2; shift 2 ;;
		-n) N=$2; shift 2 ;;
		*) echo "unknown option $1" >&2; exit 2 ;;
	esac
done

dir=${LLM_BENCH_DIR:-/tmp/llm-bench}
peer=${LLM_PEER:-/tmp/llm-peer}
mkdir -p "$dir"
# the build's packages, and Node.js with npm for the peer unless some node is here
if command -v node >/dev/null && command -v npm >/dev/null; then
	install_deps
else
	install_deps nodejs npm
fi
make -s bin/llm-cli
if [ ! -d "$peer/node_modules/node-llama-cpp" ]; then
	echo "installing node-llama-cpp into $peer" >&2
	npm install --prefix "$peer" --no-audit --no-fund node-llama-cpp@3.22.1 >/dev/null
fi

echo "| model | threads | pp$P ours | pp$P llama.cpp | ratio | tg$N ours | tg$N llama.cpp | ratio |"
echo "|---|---|---|---|---|---|---|---|"
for shape in $shapes; do
	for type in $types; do
		model="$dir/$shape-$type.gguf"
		[ -f "$model" ] || bin/llm-cli synth --shape "$shape" --type "$type" --out "$model" >&2
		for t in $threads; do
			: > "$dir/ours.pp"; : > "$dir/ours.tg"; : > "$dir/peer.pp"; : > "$dir/peer.tg"
			for _ in $(seq 1 "$reps"); do
				out=$(bin/llm-cli bench "$model" -p "$P" -n "$N" -t "$t" --reps 1)
				sed -n "s/^pp$P t\/s: //p" <<<"$out" >> "$dir/ours.pp"
				sed -n "s/^tg$N t\/s: //p" <<<"$out" >> "$dir/ours.tg"
				out=$(NODE_PATH="$peer/node_modules" node ../shared/peer/llamacpp-bench.mjs \
					"$model" -p "$P" -n "$N" -t "$t" --reps 1)
				sed -n "s/^pp$P t\/s: //p" <<<"$out" >> "$dir/peer.pp"
				sed -n "s/^tg$N t\/s: //p" <<<"$out" >> "$dir/peer.tg"
			done
			opp=$(median < "$dir/ours.pp"); otg=$(median < "$dir/ours.tg")
			lpp=$(median < "$dir/peer.pp"); ltg=$(median < "$dir/peer.tg")
			awk -v m="$shape $type" -v t="$t" -v a="$opp" -v b="$lpp" -v c="$otg" -v d="$ltg" \
				'BEGIN { printf "| %s | %s | %.1f | %.1f | %.2fx | %.1f | %.1f | %.2fx |\n", m, t, a, b, a / b, c, d, c / d }'
		done
	done
done
echo
echo "kernels: $(bin/llm-cli bench "$dir/$(set -- $shapes; echo "$1")-$(set -- $types; echo "$1").gguf" -p 1 -n 1 --reps 1 | sed -n 's/.*kernels: \([^)]*\).*/\1/p'), reps: $reps, $(nproc) cores, $(date -u +%Y-%m-%d)"
