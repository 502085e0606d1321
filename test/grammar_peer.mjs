// Greedy constrained generation by llama.cpp (node-llama-cpp's prebuilt CPU
// binaries), for test/grammar_peer.sh to compare with llm-cli's: the prompt
// is token ids (as llm-cli tokenize gives them, so both start alike), the
// GBNF grammar goes through llama.cpp's own parser and sampler, and the
// text is every generated token's piece (special tokens by their text, no
// leading space removed: as the grammar sampler sees them), so the texts
// compare byte for byte.  Prints one line of JSON: tokens, text, stop.
//
//   NODE_PATH=/tmp/llm-peer/node_modules node test/grammar_peer.mjs MODEL.gguf GRAMMAR.gbnf "1 354 11036" N
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const [modelArg, grammarArg, promptIds, nArg] = process.argv.slice(2);
const require = createRequire(path.join(process.env.NODE_PATH || process.cwd(), "x.js"));
const { getLlama } = await import(require.resolve("node-llama-cpp"));

const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });
const model = await llama.loadModel({ modelPath: path.resolve(modelArg) });
const grammar = await llama.createGrammar({ grammar: fs.readFileSync(grammarArg, "utf8") });
const { LlamaGrammarEvaluationState } = await import(require.resolve("node-llama-cpp"));
const ctx = await model.createContext({ contextSize: 1024, threads: 1 });
const seq = ctx.getSequence();

const tokens = promptIds.trim().split(/\s+/).map(Number);
const state = new LlamaGrammarEvaluationState({ model, grammar });
const out = [];
let stop = "length";
for await (const token of seq.evaluate(tokens, { temperature: 0, grammarEvaluationState: state })) {
  if (model.isEogToken(token)) {
    stop = "eos";
    break;
  }
  out.push(token);
  if (out.length >= Number(nArg))
    break;
}
// a piece after what came before it: no leading space is taken off
const text = out.map((t, i) => model.detokenize([t], true, [...tokens, ...out.slice(0, i)])).join("");
process.stdout.write(JSON.stringify({ tokens: out, text, stop }) + "\n");
await ctx.dispose();
await model.dispose();
await llama.dispose();
