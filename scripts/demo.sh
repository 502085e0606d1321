#!/usr/bin/env bash
# The main job: install, build, start a temporary PostgreSQL cluster,
# register a model and run a short demo table through it.
# LLM_MODEL may name another GGUF file (default: the bundled stories260K).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

MODEL=${LLM_MODEL:-../shared/models/stories260K.gguf}
if [ ! -r "$MODEL" ]; then
	if [ -z "${LLM_MODEL:-}" ]; then
		echo "demo: the demo model $(pwd)/../shared/models/stories260K.gguf is missing." >&2
		echo "demo: the project's shared data folder belongs beside this checkout, as ../shared" >&2
		echo "demo: (models/, vocab/, parity/); or run with LLM_MODEL=/path/to/a/model.gguf." >&2
	else
		echo "demo: LLM_MODEL=$MODEL is not a readable file." >&2
	fi
	exit 1
fi
MODEL=$(realpath "$MODEL")

install_deps
build

echo "== the engine on its own: bin/llm-cli generate"
bin/llm-cli generate "$MODEL" --prompt "Once upon a time" -n 32 --temp 0

start_cluster
echo "== inside PostgreSQL, model $MODEL"
psql -X -q -d postgres -v ON_ERROR_STOP=1 -v model="$MODEL" <<'SQL'
\pset footer off
CREATE EXTENSION llm;
SELECT llm_version();
INSERT INTO llm_models (name, path) VALUES ('demo', :'model');
SELECT name, architecture, quantization, parameters, context_length, vocab_size FROM llm_models;

CREATE TABLE stories (id int PRIMARY KEY, body text);
INSERT INTO stories VALUES
	(1, 'Once upon a time, there was a little girl named Lily. She loved to play outside in the park.'),
	(2, 'Tom had a big red ball. One day the ball rolled into the river and Tom was very sad.'),
	(3, 'The cat sat in the sun and purred. It was a warm and happy day.');

\echo == llm_generate: continue each story
SELECT id, llm_generate(body, max_tokens => 24) AS continuation FROM stories ORDER BY id;

\echo == llm_classify: always one of the labels, chosen by probability
SELECT id, llm_classify(body, ARRAY['happy', 'sad']) AS mood FROM stories ORDER BY id;

\echo == llm_summarize (a 260K-parameter story model writes stories, not summaries: try LLM_MODEL=a real instruct model)
SELECT id, llm_summarize(body, max_words => 12) AS summary FROM stories ORDER BY id;

\echo == tokens
SELECT id, llm_token_count(body) AS tokens FROM stories ORDER BY id;
SQL
