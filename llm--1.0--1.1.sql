-- llm 1.0 -> 1.1: the shared model pool, array forms, the prefix cache,
-- constrained decoding (grammars, JSON Schemas, llm_extract)

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
							 seed bigint DEFAULT NULL, stop text[] DEFAULT NULL,
							 grammar text DEFAULT NULL, json_schema jsonb DEFAULT NULL)
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

CREATE FUNCTION llm_embed(inputs text[], model text DEFAULT NULL)
	RETURNS TABLE (n int, embedding float4[])
	AS 'MODULE_PATHNAME', 'llm_embed_array'
	LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION llm_embed(text[], text) IS
	'llm_embed of every element, with its position in the array';
COMMENT ON FUNCTION llm_generate(text[], text, int, float8, float8, int, bigint, text[], text, jsonb) IS
	'llm_generate of every element, decoded together (llm.batch_size at a time)';
COMMENT ON FUNCTION llm_summarize(text[], text, int) IS
	'llm_summarize of every element, decoded together (llm.batch_size at a time)';
COMMENT ON FUNCTION llm_classify(text[], text[], text, text) IS
	'llm_classify of every element, scored together (llm.batch_size at a time)';
-- The big job inside the database: every row whose output is NULL, in
-- batches through the array forms, committing after each batch, so that an
-- interrupted run keeps what it did and a rerun resumes.
CREATE PROCEDURE llm_process(tbl regclass, key text, input text, output text,
							 task text DEFAULT 'classify', labels text[] DEFAULT NULL,
							 model text DEFAULT NULL, batch int DEFAULT 32,
							 instruction text DEFAULT NULL, max_words int DEFAULT 60,
							 max_tokens int DEFAULT 128)
LANGUAGE plpgsql
AS $proc$
DECLARE
	call text;
	step text;
	total bigint;
	done bigint := 0;
	n bigint;
	k text;
	failed text[] := '{}';
	failures int;
	started timestamptz;
	secs float8;
BEGIN
	-- built-in functions and operators before anything of the caller's
	-- search_path, for this procedure's statements and the SQL it builds
	-- (a path that puts a schema before pg_catalog could otherwise
	-- replace count() or format()); the caller's schemas stay after it,
	-- for the operators of a key column's own type.  Local to the
	-- transaction, so set again after every COMMIT.
	PERFORM pg_catalog.set_config('search_path',
		'pg_catalog, ' || pg_catalog.current_setting('search_path'), true);
	started := clock_timestamp();
	IF pg_is_in_recovery() THEN
		RAISE EXCEPTION 'llm_process cannot run on a standby: it writes its results'
			USING ERRCODE = 'read_only_sql_transaction',
				  HINT = 'Run it on the primary, or run llm-batch against the primary with --read-from naming this standby: the inference runs here and the answers are written to the primary.';
	END IF;
	IF batch IS NULL OR batch < 1 THEN
		RAISE EXCEPTION 'batch must be at least 1' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	call := CASE task
		WHEN 'classify' THEN '@extschema@.llm_classify(b.ins, $2, $3, $4)'
		WHEN 'summarize' THEN '@extschema@.llm_summarize(b.ins, $3, $5)'
		WHEN 'generate' THEN '@extschema@.llm_generate(b.ins, $3, $6)'
	END;
	IF call IS NULL THEN
		RAISE EXCEPTION 'unknown task "%"', task
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Tasks are classify, summarize and generate.';
	END IF;
	IF task = 'classify' AND labels IS NULL THEN
		RAISE EXCEPTION 'task classify needs labels' USING ERRCODE = 'invalid_parameter_value';
	END IF;

	EXECUTE format('SELECT count(*) FROM %s WHERE %I IS NULL AND %I IS NOT NULL', tbl, output, input)
		INTO total;
	-- one statement per batch: pick pending rows, infer, write (no SET
	-- clause on the procedure: it would forbid the COMMITs).  $7 holds the
	-- keys of rows that failed on their own; $8, one key to do alone.
	step := format($q$
		WITH todo AS (
			SELECT %1$I AS k, %2$I::text AS i FROM %4$s
			WHERE %3$I IS NULL AND %2$I IS NOT NULL
			  AND %1$I::text <> ALL ($7) AND ($8::text IS NULL OR %1$I::text = $8)
			ORDER BY %1$I LIMIT $1 FOR UPDATE SKIP LOCKED),
		b AS (SELECT array_agg(k ORDER BY k) AS ks, array_agg(i ORDER BY k) AS ins FROM todo),
		r AS (SELECT u.k, u.o FROM b, unnest(b.ks, %5$s) AS u(k, o) WHERE b.ks IS NOT NULL)
		UPDATE %4$s t SET %3$I = r.o FROM r WHERE t.%1$I = r.k$q$,
		key, input, output, tbl, call);
	LOOP
		failures := 0;
		BEGIN
			EXECUTE step USING batch, labels, model, instruction, max_words, max_tokens, failed, NULL::text;
			GET DIAGNOSTICS n = ROW_COUNT;
		EXCEPTION
			WHEN program_limit_exceeded OR data_exception THEN
				-- a row of the batch cannot be done (its input is too long for
				-- the context, say): do the batch's rows one by one and leave
				-- out those that fail, so the rest goes on.  Errors that are
				-- not about a row's data (a wrong column, a cancel) stop it.
				n := 0;
				FOR k IN EXECUTE format(
						'SELECT %1$I::text FROM %4$s WHERE %3$I IS NULL AND %2$I IS NOT NULL'
						' AND %1$I::text <> ALL ($1) ORDER BY %1$I LIMIT $2', key, input, output, tbl)
					USING failed, batch
				LOOP
					BEGIN
						EXECUTE step USING 1, labels, model, instruction, max_words, max_tokens, failed, k;
						n := n + 1;
					EXCEPTION
						WHEN program_limit_exceeded OR data_exception THEN
							failed := failed || k;
							failures := failures + 1;
							RAISE WARNING 'llm_process: row with % = % left out: %', key, k, SQLERRM;
					END;
				END LOOP;
		END;
		EXIT WHEN n = 0 AND failures = 0;
		done := done + n;
		COMMIT;
		PERFORM pg_catalog.set_config('search_path',
			'pg_catalog, ' || pg_catalog.current_setting('search_path'), true);
		CONTINUE WHEN n = 0;
		secs := extract(epoch FROM clock_timestamp() - started);
		RAISE NOTICE 'llm_process: % of % rows', done, total
			USING DETAIL = format('%s rows/s; %s s so far.',
								  round((done / greatest(secs, 0.001))::numeric, 2), round(secs::numeric, 1));
	END LOOP;
	IF cardinality(failed) > 0 THEN
		RAISE WARNING 'llm_process: rows left out, their output still NULL: %', cardinality(failed)
			USING DETAIL = format('%s: %s', key, array_to_string(failed[1:20], ', ')),
				  HINT = 'Fix or shorten their input and call llm_process again.';
	END IF;
END
$proc$;

-- Why a generation stopped and what it cost
CREATE FUNCTION llm_generate_details(prompt text, model text DEFAULT NULL,
									 max_tokens int DEFAULT 128, temperature float8 DEFAULT 0,
									 top_p float8 DEFAULT 1, top_k int DEFAULT 0,
									 seed bigint DEFAULT NULL, stop text[] DEFAULT NULL,
									 grammar text DEFAULT NULL, json_schema jsonb DEFAULT NULL,
									 OUT text text, OUT stop_reason text, OUT prompt_tokens int,
									 OUT generated_tokens int, OUT duration_ms float8)
	AS 'MODULE_PATHNAME', 'llm_generate_details'
	LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE FUNCTION llm_chat_details(messages jsonb, model text DEFAULT NULL,
								 max_tokens int DEFAULT 128, temperature float8 DEFAULT 0,
								 top_p float8 DEFAULT 1, top_k int DEFAULT 0,
								 seed bigint DEFAULT NULL, stop text[] DEFAULT NULL,
								 grammar text DEFAULT NULL, json_schema jsonb DEFAULT NULL,
								 OUT text text, OUT stop_reason text, OUT prompt_tokens int,
								 OUT generated_tokens int, OUT duration_ms float8)
	AS 'MODULE_PATHNAME', 'llm_chat_details'
	LANGUAGE C VOLATILE PARALLEL SAFE;

COMMENT ON FUNCTION llm_generate_details(text, text, int, float8, float8, int, bigint, text[], text, jsonb) IS
	'llm_generate with why it stopped (end of text, stop string, max_tokens, llm.max_tokens, context full), its token counts and duration; under a grammar, a NULL text when a limit stopped it first';
COMMENT ON FUNCTION llm_chat_details(jsonb, text, int, float8, float8, int, bigint, text[], text, jsonb) IS
	'llm_chat with why it stopped, its token counts and duration';

-- Constrained decoding: the answer matches a GBNF grammar, or is JSON valid
-- under a JSON Schema (converted to a grammar as llama.cpp converts it).
-- llm_generate and llm_chat of 1.0 take the two new arguments: dropped and
-- created again, since a function's arguments cannot be added in place (a
-- view using them must be dropped before the update and made again after).
DROP FUNCTION llm_generate(text, text, int, float8, float8, int, bigint, text[]);
DROP FUNCTION llm_chat(jsonb, text, int, float8, float8, int, bigint, text[]);

CREATE FUNCTION llm_generate(prompt text, model text DEFAULT NULL,
							 max_tokens int DEFAULT 128, temperature float8 DEFAULT 0,
							 top_p float8 DEFAULT 1, top_k int DEFAULT 0,
							 seed bigint DEFAULT NULL, stop text[] DEFAULT NULL,
							 grammar text DEFAULT NULL, json_schema jsonb DEFAULT NULL)
	RETURNS text
	AS 'MODULE_PATHNAME', 'llm_generate'
	LANGUAGE C VOLATILE PARALLEL SAFE;

CREATE FUNCTION llm_chat(messages jsonb, model text DEFAULT NULL,
						 max_tokens int DEFAULT 128, temperature float8 DEFAULT 0,
						 top_p float8 DEFAULT 1, top_k int DEFAULT 0,
						 seed bigint DEFAULT NULL, stop text[] DEFAULT NULL,
						 grammar text DEFAULT NULL, json_schema jsonb DEFAULT NULL)
	RETURNS text
	AS 'MODULE_PATHNAME', 'llm_chat'
	LANGUAGE C VOLATILE PARALLEL SAFE;

-- Structured data out of text: greedy, so STABLE as llm_summarize is
CREATE FUNCTION llm_extract(input text, schema jsonb, model text DEFAULT NULL,
							instruction text DEFAULT NULL)
	RETURNS jsonb
	AS 'MODULE_PATHNAME', 'llm_extract'
	LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION llm_extract(inputs text[], schema jsonb, model text DEFAULT NULL,
							instruction text DEFAULT NULL)
	RETURNS jsonb[]
	AS 'MODULE_PATHNAME', 'llm_extract_array'
	LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION llm_generate(text, text, int, float8, float8, int, bigint, text[], text, jsonb) IS
	'continue a prompt as raw text (no chat template); temperature 0 is greedy; grammar (GBNF) or json_schema constrain the answer';
COMMENT ON FUNCTION llm_chat(jsonb, text, int, float8, float8, int, bigint, text[], text, jsonb) IS
	'answer a conversation [{"role": "system"|"user"|"assistant", "content": "..."}] with the model''s chat template; grammar (GBNF) or json_schema constrain the answer';
COMMENT ON FUNCTION llm_extract(text, jsonb, text, text) IS
	'the data the JSON Schema describes, extracted from the input as jsonb valid under the schema (greedy, constrained by it)';
COMMENT ON FUNCTION llm_extract(text[], jsonb, text, text) IS
	'llm_extract of every element, decoded together (llm.batch_size at a time)';

-- Progress of running inference statements (needs shared_preload_libraries)
CREATE FUNCTION llm_progress_rows(
	OUT pid int, OUT model text, OUT started timestamptz, OUT rows_done bigint,
	OUT calls bigint, OUT prompt_tokens bigint, OUT generated_tokens bigint,
	OUT tokens_per_second float8, OUT last_call timestamptz)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'llm_progress_rows'
	LANGUAGE C VOLATILE PARALLEL RESTRICTED;

CREATE VIEW llm_progress AS
	SELECT p.pid, a.usename, p.model, p.started, p.rows_done, p.calls,
		   p.prompt_tokens, p.generated_tokens, p.tokens_per_second, p.last_call,
		   a.query
	FROM llm_progress_rows() p
	JOIN pg_catalog.pg_stat_activity a
	  ON a.pid = p.pid AND a.state = 'active' AND a.query_start = p.started;

GRANT SELECT ON llm_progress TO PUBLIC;

COMMENT ON FUNCTION llm_progress_rows() IS
	'rows of the llm_progress view';
COMMENT ON VIEW llm_progress IS
	'each statement running inference now: rows and tokens done, tokens per second';
COMMENT ON PROCEDURE llm_process(regclass, text, text, text, text, text[], text, int, text, int, int) IS
	'fill output for every row whose output is NULL, batch rows at a time, committing after each batch';
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

-- What a call costs, for the planner (in units of cpu_operator_cost, as
-- COST always is): a tokenizer call ~0.1 ms, a scoring or embedding pass
-- ~10-500 ms, a generation ~1 s per row, an array call tens of rows.
-- With these the planner evaluates cheap conditions before an inference
-- call, and prefers a parallel plan where the table allows workers.
ALTER FUNCTION llm_tokenize(text, text) COST 1000;
ALTER FUNCTION llm_detokenize(int[], text) COST 1000;
ALTER FUNCTION llm_token_count(text, text) COST 1000;
ALTER FUNCTION llm_classify(text, text[], text, text) COST 100000;
ALTER FUNCTION llm_classify_scores(text, text[], text, text) COST 100000;
ALTER FUNCTION llm_embed(text, text) COST 100000;
ALTER FUNCTION llm_score(text, text) COST 100000;
ALTER FUNCTION llm_generate(text, text, int, float8, float8, int, bigint, text[], text, jsonb) COST 1000000;
ALTER FUNCTION llm_generate_details(text, text, int, float8, float8, int, bigint, text[], text, jsonb) COST 1000000;
ALTER FUNCTION llm_chat(jsonb, text, int, float8, float8, int, bigint, text[], text, jsonb) COST 1000000;
ALTER FUNCTION llm_chat_details(jsonb, text, int, float8, float8, int, bigint, text[], text, jsonb) COST 1000000;
ALTER FUNCTION llm_summarize(text, text, int) COST 1000000;
ALTER FUNCTION llm_extract(text, jsonb, text, text) COST 1000000;
ALTER FUNCTION llm_classify(text[], text[], text, text) COST 1000000;
ALTER FUNCTION llm_embed(text[], text) COST 1000000;
ALTER FUNCTION llm_generate(text[], text, int, float8, float8, int, bigint, text[], text, jsonb) COST 10000000;
ALTER FUNCTION llm_summarize(text[], text, int) COST 10000000;
ALTER FUNCTION llm_extract(text[], jsonb, text, text) COST 10000000;

-- Version 1.1 gives options meaning (context_size, chat_template) and
-- refuses anything else when a registration is inserted or updated; calls
-- ignore what they do not know.  Say which registrations the change
-- touches: options that now take effect, and options the next UPDATE of
-- the registration will refuse.
DO $upgrade$
DECLARE
	r record;
	-- the template families of 1.1 (LlmChatFamilyName in src/engine/chat.c)
	families text[] := ARRAY['chatml', 'llama3', 'llama3.1', 'llama2', 'mistral', 'mistral-v1',
							 'mistral-v3', 'mistral-v3-tekken', 'mistral-v7', 'mistral-v7-tekken',
							 'zephyr', 'phi3', 'phi3-mini', 'phi4', 'qwen3', 'gemma'];
	bad text[];
	applied text[];
BEGIN
	FOR r IN SELECT name, options FROM llm_models WHERE options IS DISTINCT FROM '{}' LOOP
		IF jsonb_typeof(r.options) IS DISTINCT FROM 'object' THEN
			bad := ARRAY['(not a JSON object)'];
		ELSE
			SELECT array_agg(key ORDER BY key) INTO bad
			FROM jsonb_each(r.options)
			WHERE NOT (key = 'context_size' AND jsonb_typeof(value) = 'number'
					   AND value::text::numeric = trunc(value::text::numeric)
					   AND value::text::numeric BETWEEN 16 AND 1048576)
			  AND NOT (key = 'chat_template' AND jsonb_typeof(value) = 'string'
					   AND value #>> '{}' = ANY (families));
		END IF;
		-- (WARNINGs: extension scripts run with client_min_messages at WARNING at least)
		IF bad IS NOT NULL THEN
			RAISE WARNING 'model "%" has options % that llm 1.1 does not accept: %; calls ignore them, and the next UPDATE of the registration must drop or correct them',
				r.name, r.options, array_to_string(bad, ', ');
		END IF;
		applied := NULL;
		IF jsonb_typeof(r.options) = 'object' THEN
			SELECT array_agg(key ORDER BY key) INTO applied
			FROM jsonb_object_keys(r.options) key
			WHERE key IN ('context_size', 'chat_template') AND NOT key = ANY (coalesce(bad, '{}'));
		END IF;
		IF applied IS NOT NULL THEN
			RAISE WARNING 'model "%": from llm 1.1 on, its options % set the % of its calls',
				r.name, r.options, array_to_string(applied, ' and ');
		END IF;
	END LOOP;
END
$upgrade$;

-- What a model is for: "generative" (generation, classification, scores,
-- and embeddings by pooling) or "embedding" (an encoder such as BERT, or a
-- decoder whose file declares a pooling type, as Qwen3-Embedding).  The
-- registration trigger fills it from the file; every model 1.0 could
-- register was generative.
ALTER TABLE llm_models ADD COLUMN kind text NOT NULL DEFAULT 'generative';
ALTER TABLE llm_models ALTER COLUMN kind DROP DEFAULT;
COMMENT ON COLUMN llm_models.kind IS
	'generative or embedding (an encoder, or a decoder made to embed), read from the file';
-- a BEGIN ATOMIC body is bound to the row type it was created with: again
-- over the table with its new column
CREATE OR REPLACE FUNCTION llm_register_model(name text, path text, options jsonb DEFAULT '{}')
	RETURNS llm_models
	LANGUAGE sql VOLATILE STRICT
	BEGIN ATOMIC
		INSERT INTO llm_models (name, path, options)
			VALUES (llm_register_model.name, llm_register_model.path, llm_register_model.options)
			RETURNING *;
	END;
