#!/usr/bin/env bash
# What constrained decoding costs per generated token (docs/benchmarks.md,
# "Constrained decoding").  For each model of real shape (random weights,
# written by llm-cli synth) and each grammar: llm-cli bench-grammar, which
# alternates unconstrained and constrained runs of -n tokens and reports
# medians; then the masks alone on the real vocabularies of ../shared/vocab,
# which decide the cost of a mask more than a synthetic vocabulary does.
#
#   bash scripts/bench_grammar.sh [--reps 3] [-n 64] [-t 1]
#
# Models go to $LLM_BENCH_DIR (default /tmp/llm-bench) and are kept there.
set -euo pipefail
cd "$(dirname "$0")/.."

reps=3
N=64
threads=1
while [ $# -gt 0 ]; do
	case $1 in
		--reps) reps=$2; shift 2 ;;
		-n) N=$2; shift 2 ;;
		-t) threads=$2; shift 2 ;;
		*) echo "unknown option $1" >&2; exit 2 ;;
	esac
done
dir=${LLM_BENCH_DIR:-/tmp/llm-bench}
mkdir -p "$dir"
make -s -j2 bin/llm-cli

grammars="--grammar:test/unit/grammars/json.gbnf --json-schema:scripts/grammar/person.schema.json --grammar:scripts/grammar/wide.gbnf"

echo "| model | grammar | unconstrained ms/token | constrained ms/token | overhead | masks ms/token (computed/reused) |"
echo "|---|---|---|---|---|---|"
for shape in smollm2-135m qwen2.5-0.5b; do
	f=$dir/$shape-q8_0.gguf
	[ -f "$f" ] || bin/llm-cli synth --shape "$shape" --type q8_0 --out "$f" >/dev/null
	for g in $grammars; do
		out=$(bin/llm-cli bench-grammar "$f" "${g%%:*}" "${g#*:}" -n "$N" --reps "$reps" -t "$threads")
		free=$(sed -n 's/^unconstrained: .*, \([0-9.]*\) ms\/token$/\1/p' <<<"$out")
		con=$(sed -n 's/^constrained: .*, \([0-9.]*\) ms\/token (masks.*/\1/p' <<<"$out")
		masks=$(sed -n 's/^constrained: .*(masks \([0-9.]*\) ms\/token: \([0-9]*\) computed, \([0-9]*\) reused.*/\1 (\2\/\3)/p' <<<"$out")
		over=$(sed -n 's/^overhead: \(.*\)$/\1/p' <<<"$out")
		echo "| $shape q8_0 | $(basename "${g#*:}") | $free | $con | $over | $masks |"
	done
done

echo
echo "| vocabulary | tokens | trie nodes | grammar | mask ms/token (computed/reused) |"
echo "|---|---|---|---|---|"
for v in qwen2 llama-bpe gpt-2 llama-spm; do
	f=../shared/vocab/ggml-vocab-$v.gguf
	[ -f "$f" ] || continue
	for g in $grammars; do
		out=$(bin/llm-cli bench-grammar "$f" "${g%%:*}" "${g#*:}" --masks-only -n "$N" --reps "$reps")
		tokens=$(sed -n 's/^trie: \([0-9]*\) tokens, \([0-9]*\) nodes.*/\1/p' <<<"$out")
		nodes=$(sed -n 's/^trie: \([0-9]*\) tokens, \([0-9]*\) nodes.*/\2/p' <<<"$out")
		masks=$(sed -n 's/^masks: .*, \([0-9.]*\) ms\/token (\([0-9]*\) computed, \([0-9]*\) reused.*/\1 (\2\/\3)/p' <<<"$out")
		echo "| $v | $tokens | $nodes | $(basename "${g#*:}") | $masks |"
	done
done
