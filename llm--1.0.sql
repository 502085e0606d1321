-- llm: in-database inference with quantized GGUF language models

\echo Use "CREATE EXTENSION llm" to load this file. \quit

CREATE FUNCTION llm_version() RETURNS text
	AS 'MODULE_PATHNAME', 'llm_version'
	LANGUAGE C STABLE STRICT PARALLEL SAFE;

-- ---------------------------------------------------------------------------
-- The model catalog.  The trigger validates each file and fills in the
-- metadata columns; whatever a user writes into them is replaced.
-- ---------------------------------------------------------------------------

CREATE TABLE llm_models (
	name text PRIMARY KEY,
	path text NOT NULL,
	sha256 text,
	architecture text,
	quantization text,
	parameters bigint,
	context_length int,
	vocab_size int,
	chat_template text,
	options jsonb NOT NULL DEFAULT '{}',
	created_at timestamptz NOT NULL DEFAULT now()
);

-- registrations are user data: pg_dump keeps them
SELECT pg_catalog.pg_extension_config_dump('llm_models', '');

CREATE FUNCTION llm_models_validate() RETURNS trigger
	AS 'MODULE_PATHNAME', 'llm_models_validate'
	LANGUAGE C;

CREATE TRIGGER llm_models_validate
	BEFORE INSERT OR UPDATE ON llm_models
	FOR EACH ROW EXECUTE FUNCTION llm_models_validate();

-- anyone may see which models exist; registering reads server files
REVOKE ALL ON llm_models FROM PUBLIC;
GRANT SELECT ON llm_models TO PUBLIC;
GRANT INSERT, UPDATE, DELETE ON llm_models TO pg_read_server_files;

CREATE FUNCTION llm_register_model(name text, path text, options jsonb DEFAULT '{}')
	RETURNS llm_models
	LANGUAGE sql VOLATILE STRICT
	BEGIN ATOMIC
		INSERT INTO llm_models (name, path, options)
			VALUES (llm_register_model.name, llm_register_model.path, llm_register_model.options)
			RETURNING *;
	END;

REVOKE EXECUTE ON FUNCTION llm_register_model(text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION llm_register_model(text, text, jsonb) TO pg_read_server_files;

-- ---------------------------------------------------------------------------
-- Inference.  A NULL model means llm.default_model, or the only registered
-- model.  Sampling functions are VOLATILE; the deterministic ones STABLE
-- (they depend on the catalog).  All are PARALLEL SAFE.
-- ---------------------------------------------------------------------------

CREATE FUNCTION llm_generate(prompt text, model text DEFAULT NULL,
							 max_tokens int DEFAULT 128, temperature float8 DEFAULT 0,
							 top_p float8 DEFAULT 1, top_k int DEFAULT 0,
							 seed bigint DEFAULT NULL, stop text[] DEFAULT NULL)
	RETURNS text
	AS 'MODULE_PATHNAME', 'llm_generate'
	LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE FUNCTION llm_chat(messages jsonb, model text DEFAULT NULL,
						 max_tokens int DEFAULT 128, temperature float8 DEFAULT 0,
						 top_p float8 DEFAULT 1, top_k int DEFAULT 0,
						 seed bigint DEFAULT NULL, stop text[] DEFAULT NULL)
	RETURNS text
	AS 'MODULE_PATHNAME', 'llm_chat'
	LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE FUNCTION llm_summarize(input text, model text DEFAULT NULL, max_words int DEFAULT 60)
	RETURNS text
	AS 'MODULE_PATHNAME', 'llm_summarize'
	LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION llm_classify(input text, labels text[], model text DEFAULT NULL,
							 instruction text DEFAULT NULL)
	RETURNS text
	AS 'MODULE_PATHNAME', 'llm_classify'
	LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION llm_classify_scores(input text, labels text[], model text DEFAULT NULL,
									instruction text DEFAULT NULL)
	RETURNS TABLE (label text, probability float8)
	AS 'MODULE_PATHNAME', 'llm_classify_scores'
	LANGUAGE C STABLE PARALLEL SAFE ROWS 4;

CREATE FUNCTION llm_embed(input text, model text DEFAULT NULL)
	RETURNS float4[]
	AS 'MODULE_PATHNAME', 'llm_embed'
	LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION llm_score(input text, model text DEFAULT NULL)
	RETURNS float8
	AS 'MODULE_PATHNAME', 'llm_score'
	LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION llm_tokenize(input text, model text DEFAULT NULL)
	RETURNS int[]
	AS 'MODULE_PATHNAME', 'llm_tokenize'
	LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION llm_detokenize(tokens int[], model text DEFAULT NULL)
	RETURNS text
	AS 'MODULE_PATHNAME', 'llm_detokenize'
	LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION llm_token_count(input text, model text DEFAULT NULL)
	RETURNS int
	AS 'MODULE_PATHNAME', 'llm_token_count'
	LANGUAGE C STABLE PARALLEL SAFE;

-- ---------------------------------------------------------------------------
-- Documentation
-- ---------------------------------------------------------------------------

COMMENT ON TABLE llm_models IS
	'registered GGUF models; INSERT (name, path) validates the file and fills in the metadata';
COMMENT ON FUNCTION llm_version() IS
	'version of the llm extension and the kernel variant this server uses';
COMMENT ON FUNCTION llm_models_validate() IS
	'trigger: checks privileges and the model file, fills in llm_models metadata';
COMMENT ON FUNCTION llm_register_model(text, text, jsonb) IS
	'register a GGUF model file under a name and return its catalog row';
COMMENT ON FUNCTION llm_generate(text, text, int, float8, float8, int, bigint, text[]) IS
	'continue a prompt as raw text (no chat template); temperature 0 is greedy';
COMMENT ON FUNCTION llm_chat(jsonb, text, int, float8, float8, int, bigint, text[]) IS
	'answer a conversation [{"role": "system"|"user"|"assistant", "content": "..."}] with the model''s chat template';
COMMENT ON FUNCTION llm_summarize(text, text, int) IS
	'a summary of the input in at most max_words words (greedy)';
COMMENT ON FUNCTION llm_classify(text, text[], text, text) IS
	'the label the model finds most likely for the input, by log-probability of each label';
COMMENT ON FUNCTION llm_classify_scores(text, text[], text, text) IS
	'each label with its normalised probability for the input';
COMMENT ON FUNCTION llm_embed(text, text) IS
	'normalised mean of the model''s last hidden states over the input''s tokens';
COMMENT ON FUNCTION llm_score(text, text) IS
	'mean log-probability per token of the input under the model';
COMMENT ON FUNCTION llm_tokenize(text, text) IS
	'token ids of the input (with BOS when the model adds one)';
COMMENT ON FUNCTION llm_detokenize(int[], text) IS
	'text of a sequence of token ids';
COMMENT ON FUNCTION llm_token_count(text, text) IS
	'number of tokens of the input (as llm_tokenize counts them)';
