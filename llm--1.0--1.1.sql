-- llm 1.0 -> 1.1: the shared model pool, array forms, the prefix cache

\echo Use "ALTER EXTENSION llm UPDATE TO '1.1'" to load this file. \quit

-- Loading and unloading.  Anyone who may use a model may load it; unloading
-- takes it away from every session, so it is for those granted it.
CREATE FUNCTION llm_load(model text DEFAULT NULL)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'llm_load'
	LANGUAGE C VOLATILE PARALLEL RESTRICTED;

CREATE FUNCTION llm_unload(model text DEFAULT NULL)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'llm_unload'
	LANGUAGE C VOLATILE PARALLEL RESTRICTED;

REVOKE EXECUTE ON FUNCTION llm_unload(text) FROM PUBLIC;

CREATE FUNCTION llm_model_status_rows(
	OUT name text, OUT path text, OUT sha256 text, OUT state text,
	OUT loaded boolean, OUT storage text, OUT bytes bigint,
	OUT attached_backends int, OUT load_ms float8, OUT loaded_at timestamptz,
	OUT last_used timestamptz, OUT calls bigint, OUT prompt_tokens bigint,
	OUT generated_tokens bigint, OUT compute_ms float8, OUT errors bigint,
	OUT prefix_hits bigint, OUT prefix_misses bigint, OUT prefix_tokens bigint)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'llm_model_status_rows'
	LANGUAGE C VOLATILE PARALLEL RESTRICTED;

CREATE VIEW llm_model_status AS
	SELECT * FROM llm_model_status_rows();

GRANT SELECT ON llm_model_status TO PUBLIC;

CREATE FUNCTION llm_model_status_reset()
	RETURNS void
	AS 'MODULE_PATHNAME', 'llm_model_status_reset'
	LANGUAGE C VOLATILE PARALLEL RESTRICTED;

REVOKE EXECUTE ON FUNCTION llm_model_status_reset() FROM PUBLIC;

-- Array forms: many rows per call, decoded together; results in input
-- order, NULL for a NULL element.
CREATE FUNCTION llm_generate(prompts text[], model text DEFAULT NULL,
							 max_tokens int DEFAULT 128, temperature float8 DEFAULT 0,
							 top_p float8 DEFAULT 1, top_k int DEFAULT 0,
							 seed bigint DEFAULT NULL, stop text[] DEFAULT NULL)
	RETURNS text[]
	AS 'MODULE_PATHNAME', 'llm_generate_array'
	LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE FUNCTION llm_summarize(inputs text[], model text DEFAULT NULL, max_words int DEFAULT 60)
	RETURNS text[]
	AS 'MODULE_PATHNAME', 'llm_summarize_array'
	LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION llm_classify(inputs text[], labels text[], model text DEFAULT NULL,
							 instruction text DEFAULT NULL)
	RETURNS text[]
	AS 'MODULE_PATHNAME', 'llm_classify_array'
	LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION llm_generate(text[], text, int, float8, float8, int, bigint, text[]) IS
	'llm_generate of every element, decoded together (llm.batch_size at a time)';
COMMENT ON FUNCTION llm_summarize(text[], text, int) IS
	'llm_summarize of every element, decoded together (llm.batch_size at a time)';
COMMENT ON FUNCTION llm_classify(text[], text[], text, text) IS
	'llm_classify of every element, scored together (llm.batch_size at a time)';
COMMENT ON FUNCTION llm_load(text) IS
	'load a model now (into the shared pool when it is on); true if this call read the file';
COMMENT ON FUNCTION llm_unload(text) IS
	'unload a model from the shared pool; running calls finish on it first';
COMMENT ON FUNCTION llm_model_status_rows() IS
	'rows of the llm_model_status view';
COMMENT ON VIEW llm_model_status IS
	'models of the shared pool (or of this backend when the pool is off) and every registered model, with usage counters';
COMMENT ON FUNCTION llm_model_status_reset() IS
	'zero the usage counters of llm_model_status';
