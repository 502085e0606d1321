-- ALTER EXTENSION llm UPDATE from 1.0 gives exactly the objects of a fresh
-- install: every member's definition, volatility, privileges and comment.
\set members 'SELECT md5(string_agg(d, E''\n'' ORDER BY d)) AS digest, count(*) AS n FROM (SELECT pg_describe_object(dep.classid, dep.objid, 0) || '' '' || coalesce(CASE WHEN dep.classid = ''pg_proc''::regclass THEN pg_get_functiondef(dep.objid) || coalesce((SELECT proacl::text FROM pg_proc WHERE oid = dep.objid), '''') WHEN dep.classid = ''pg_class''::regclass THEN coalesce(pg_get_viewdef(dep.objid), '''') || (SELECT coalesce(relacl::text, '''') FROM pg_class WHERE oid = dep.objid) || (SELECT string_agg(attname || '':'' || format_type(atttypid, atttypmod), '','' ORDER BY attnum) FROM pg_attribute WHERE attrelid = dep.objid AND attnum > 0) END, '''') || coalesce(obj_description(dep.objid), '''') AS d FROM pg_depend dep JOIN pg_extension e ON e.oid = dep.refobjid AND e.extname = ''llm'' WHERE dep.deptype = ''e'') s'
CREATE DATABASE llm_fresh;
CREATE DATABASE llm_updated;
\c llm_fresh
CREATE EXTENSION llm;
SELECT extversion FROM pg_extension WHERE extname = 'llm';
:members \gset fresh_
\c llm_updated
CREATE EXTENSION llm VERSION '1.0';
SELECT extversion FROM pg_extension WHERE extname = 'llm';
-- a registration of 1.0, when options were free-form (written past today's trigger)
SELECT name FROM llm_register_model('tmp', '/tmp/llm-fixtures/stories260K.gguf');
ALTER TABLE llm_models DISABLE TRIGGER USER;
UPDATE llm_models SET name = 'old', options = '{"purpose": "tests", "context_size": 256}' WHERE name = 'tmp';
INSERT INTO llm_models (name, path, sha256, options)
SELECT n, path, sha256, o::jsonb FROM llm_models,
	(VALUES ('old-string', '{"context_size": "4096"}'), ('old-small', '{"context_size": 8}'),
			('old-case', '{"chat_template": "ChatML"}'), ('old-array', '[1]'),
			('old-good', '{"context_size": 64, "chat_template": "chatml"}')) v(n, o)
WHERE name = 'old';
ALTER TABLE llm_models ENABLE TRIGGER USER;
-- this library under the SQL definitions of 1.0 (a server that runs it
-- before ALTER EXTENSION UPDATE): llm_generate and llm_chat without grammars
SELECT length(llm_generate('Once upon a time', 'old', max_tokens => 4)) > 0 AS generate_of_1_0,
       length(llm_chat('[{"role": "user", "content": "Hi"}]', 'old', max_tokens => 4)) >= 0 AS chat_of_1_0;
ALTER EXTENSION llm UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'llm';
:members \gset updated_
-- it keeps working, with the option 1.1 knows; its next UPDATE must drop the others
SELECT length(llm_generate('Once upon a time', 'old', max_tokens => 4)) > 0 AS old_registration_works;
SELECT llm_generate('Once upon a time', 'old', grammar => 'root ::= "yes" | "no"') IN ('yes', 'no') AS grammar_after_update;
UPDATE llm_models SET path = path WHERE name = 'old';
UPDATE llm_models SET options = options - 'purpose' WHERE name = 'old';
SELECT options FROM llm_models WHERE name = 'old';
SELECT :'fresh_digest' = :'updated_digest' AS same_objects,
       :fresh_n AS fresh_members, :updated_n AS updated_members;
\c contrib_regression
DROP DATABASE llm_fresh;
DROP DATABASE llm_updated;
