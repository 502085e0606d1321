#!/usr/bin/env bash
# Greedy constrained generation, llm-cli against llama.cpp (node-llama-cpp's
# prebuilt CPU binaries, through test/grammar_peer.mjs): the same model
# file, the same prompt tokens and the same grammar give the same tokens.
# The grammars are llama.cpp's examples (test/unit/grammars/), a worst case
# for masks (scripts/grammar/wide.gbnf), and JSON Schemas converted by
# llm-cli grammar --json-schema, whose GBNF llama.cpp is given, so that its
# grammar sampler checks our matcher and our conversion's output alike.
#
# Models: llm-cli synth writes F16 files of two shapes (F16, so that the
# logits agree closely enough for greedy choices not to flip on near-ties
# of a random model), and ../shared/models/stories260K.gguf (F32).  The
# peer is installed into $LLM_PEER (default /tmp/llm-peer), never into the
# repository.
set -uo pipefail
cd "$(dirname "$0")/.."
peer=${LLM_PEER:-/tmp/llm-peer}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
passed=0
failed=0
N=${LLM_PEER_TOKENS:-48}

if [ ! -d "$peer/node_modules/node-llama-cpp" ]; then
	npm install --prefix "$peer" --no-audit --no-fund node-llama-cpp@3.22.1 >/dev/null 2>&1 ||
		echo "FAIL could not install node-llama-cpp into $peer"
fi

# JSON Schemas: llama.cpp's kind of schema, each feature once
cat >"$dir/s1.json" <<'JSON'
{"type": "object", "properties": {"id": {"type": "integer", "minimum": -50, "maximum": 1200},
 "kind": {"enum": ["cat", "dog", "caf\u00e9", 3.5, null]}, "when": {"type": "string", "format": "date-time"},
 "tags": {"type": "array", "items": {"type": "string", "maxLength": 6}, "minItems": 1, "maxItems": 3}},
 "required": ["id", "kind", "tags"], "additionalProperties": false}
JSON
cat >"$dir/s2.json" <<'JSON'
{"anyOf": [{"type": "boolean"}, {"$ref": "#/$defs/p"}], "$defs": {"p": {"type": "object",
 "properties": {"code": {"type": "string", "pattern": "^[A-Z]{2}-\\d{3}$"}, "n": {"type": ["number", "null"]}},
 "required": ["code"]}}}
JSON
cp scripts/grammar/person.schema.json "$dir/s3.json"
for s in "$dir"/s*.json; do
	if ! bin/llm-cli grammar --json-schema "$s" >"${s%.json}.gbnf" 2>"$dir/err"; then
		echo "FAIL llm-cli grammar --json-schema $(basename "$s"): $(cat "$dir/err")"
		failed=$((failed + 1))
	fi
done

# A random model's greedy choice can hang on a near-tie that float order
# decides (F16 products summed in another order): where the two outputs
# part, our logits of the two choices (an end of generation: the best of
# EOS and <|im_end|>) must be within $tie_tol, or it is a real difference.
tie_tol=0.002
ties=0
near_tie() {
	local m=$1 prompt=$2 ours=$3 theirs=$4 k a b prefix ends
	read -r k a b prefix < <(python3 - "$prompt" "$ours" "$theirs" <<'PY'
import sys
p, o, t = sys.argv[1].split(), sys.argv[2].split(), sys.argv[3].split()
k = 0
while k < min(len(o), len(t)) and o[k] == t[k]:
    k += 1
print(k, o[k] if k < len(o) else "end", t[k] if k < len(t) else "end", ",".join(p + o[:k]))
PY
	)
	ends="$(bin/llm-cli info "$m" | sed -n 's/^  tokenizer.ggml.eos_token_id = //p')
		$(bin/llm-cli tokenize "$m" "<|im_end|>" --special --no-bos 2>/dev/null | grep -Ex '[0-9]+')"
	bin/llm-cli logits "$m" --tokens "$prefix" --out "$dir/logits.f32" >/dev/null 2>&1 || return 1
	python3 - "$dir/logits.f32" "$(bin/llm-cli info "$m" | sed -n 's/^n_vocab \([0-9]*\),.*/\1/p')" \
		"$k" "$a" "$b" "$tie_tol" $ends <<'PY'
import struct, sys
path, V, k, a, b, tol = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], float(sys.argv[6])
ends = [int(e) for e in sys.argv[7:]]
data = open(path, "rb").read()
row = struct.unpack_from("%df" % V, data, len(data) - 4 * V)
logit = lambda t: max(row[e] for e in ends) if t == "end" else row[int(t)]
d = abs(logit(a) - logit(b))
print("token %s: ours %s, llama.cpp's %s, logits %.5f apart" % (k, a, b, d))
sys.exit(0 if d < tol else 1)
PY
}

models="$dir/smollm2-135m.gguf $dir/qwen2.5-0.5b.gguf ../shared/models/stories260K.gguf"
for shape in smollm2-135m qwen2.5-0.5b; do
	bin/llm-cli synth --shape "$shape" --type f16 --out "$dir/$shape.gguf" >/dev/null 2>&1 ||
		echo "FAIL llm-cli synth --shape $shape --type f16"
done

for m in $models; do
	[ -f "$m" ] || continue
	for prompt in "Answer:" "Once upon a time"; do
		ids=$(bin/llm-cli tokenize "$m" "$prompt")
		for g in test/unit/grammars/*.gbnf scripts/grammar/wide.gbnf "$dir"/s*.json; do
			name=$(basename "$m" .gguf) case=$(basename "$g")
			if [[ $g == *.json ]]; then
				gbnf=${g%.json}.gbnf
				opt=--json-schema
			else
				gbnf=$g
				opt=--grammar
			fi
			# the token ids: texts of pieces cut inside a character would not compare
			text=$(bin/llm-cli generate "$m" --prompt "$prompt" "$opt" "$g" -n "$N" --show-tokens 2>"$dir/err")
			ours=$(sed -n 's/^tokens: *//p' "$dir/err")
			theirs=$(NODE_PATH="$peer/node_modules" timeout 600 node test/grammar_peer.mjs "$m" "$gbnf" "$ids" "$N" |
				python3 -c 'import json, sys; print(" ".join(map(str, json.load(sys.stdin)["tokens"])))')
			if grep -q '^tokens:' "$dir/err" && [ "$ours" = "$theirs" ]; then
				passed=$((passed + 1))
				echo "ok   $name \"$prompt\" $case: $(wc -w <<<"$ours") tokens, $(head -c 50 <<<"$text" | tr '\n\t' '  ')"
			elif tie=$(near_tie "$m" "$ids" "$ours" "$theirs"); then
				passed=$((passed + 1))
				ties=$((ties + 1))
				echo "ok   $name \"$prompt\" $case: the same up to a near-tie ($tie)"
			else
				failed=$((failed + 1))
				echo "FAIL $name \"$prompt\" $case"
				echo "     ours:      $ours"
				echo "     llama.cpp: $theirs"
			fi
		done
	done
done
echo "grammar-peer: $passed passed ($ties of them up to a near-tie), $failed failed"
[ $failed = 0 ]
