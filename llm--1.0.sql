-- llm: in-database inference with quantized GGUF language models

\echo Use "CREATE EXTENSION llm" to load this file. \quit

CREATE FUNCTION llm_version() RETURNS text
	AS 'MODULE_PATHNAME', 'llm_version'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION llm_version() IS
	'version of the llm extension and the kernel variant this server uses';
