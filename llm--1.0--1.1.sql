-- llm 1.0 -> 1.1: the shared model pool

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
