#!/usr/bin/env bash
# The main job: install, build, start a temporary PostgreSQL cluster and
# run a short demo.  LLM_MODEL may name another GGUF file.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

MODEL=${LLM_MODEL:-../shared/models/stories260K.gguf}

install_deps
build

echo "== the engine on its own: bin/llm-cli generate $MODEL"
bin/llm-cli generate "$MODEL" --prompt "Once upon a time" -n 48 --temp 0

start_cluster
echo "== inside PostgreSQL"
psql -X -q -d postgres <<'SQL'
CREATE EXTENSION llm;
SELECT llm_version();
SQL
