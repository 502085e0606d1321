-- llm_process: the whole table in committed batches, the same labels as
-- the one-row function, resumable, with errors for bad arguments
CREATE TABLE tickets (id int PRIMARY KEY, body text, label text, summary text);
INSERT INTO tickets SELECT g, (ARRAY['Lily was happy in the sun.', 'The dog ran to the park.',
	'Tom was sad and cried.', 'A big box with a tiny kitten.'])[1 + g % 4] || ' Row ' || g, NULL, NULL
FROM generate_series(1, 7) g;
INSERT INTO tickets VALUES (8, NULL, NULL, NULL);
-- the progress notices' details hold timings
\set VERBOSITY terse
CALL llm_process('tickets', 'id', 'body', 'label', task => 'classify',
				 labels => ARRAY['happy', 'sad', 'animal'], model => 'stories', batch => 3);
SELECT count(*) FILTER (WHERE label IS NOT NULL) AS labelled,
       count(*) FILTER (WHERE label = llm_classify(body, ARRAY['happy', 'sad', 'animal'], 'stories')) AS same_as_per_row,
       count(*) FILTER (WHERE body IS NULL AND label IS NULL) AS null_input_left
FROM tickets;
-- a rerun has nothing left to do; a cleared row is done again
UPDATE tickets SET label = NULL WHERE id = 5;
CALL llm_process('tickets', 'id', 'body', 'label', labels => ARRAY['happy', 'sad', 'animal'], model => 'stories');
SELECT label = llm_classify(body, ARRAY['happy', 'sad', 'animal'], 'stories') AS redone FROM tickets WHERE id = 5;
CALL llm_process('tickets', 'id', 'body', 'summary', task => 'summarize', model => 'stories', max_words => 6);
SELECT count(*) FILTER (WHERE summary = llm_summarize(body, 'stories', max_words => 6)) AS summaries_as_per_row
FROM tickets;
-- a row that cannot be done is left out with a warning; the rest goes on
SET llm.context_size = 200;
UPDATE tickets SET label = NULL;
UPDATE tickets SET body = repeat('too long ', 60) WHERE id = 3;
CALL llm_process('tickets', 'id', 'body', 'label', labels => ARRAY['happy', 'sad', 'animal'], model => 'stories', batch => 3);
SELECT count(*) FILTER (WHERE label IS NOT NULL) AS labelled, array_agg(id ORDER BY id) FILTER (WHERE label IS NULL) AS left_out
FROM tickets;
RESET llm.context_size;
\set VERBOSITY default
-- errors
CALL llm_process('tickets', 'id', 'body', 'label', task => 'translate', model => 'stories');
CALL llm_process('tickets', 'id', 'body', 'label', task => 'classify', model => 'stories');
CALL llm_process('tickets', 'id', 'body', 'label', labels => ARRAY['a'], model => 'stories', batch => 0);
CALL llm_process('no_such_table', 'id', 'body', 'label', labels => ARRAY['a']);
CALL llm_process('tickets', 'nope', 'body', 'label', labels => ARRAY['a'], model => 'stories');
-- inside a transaction block the batches cannot commit
BEGIN;
UPDATE tickets SET label = NULL WHERE id = 1;
CALL llm_process('tickets', 'id', 'body', 'label', labels => ARRAY['a', 'b'], model => 'stories');
ROLLBACK;
DROP TABLE tickets;
-- identifiers that need quoting: a table and columns named like SQL
CREATE TABLE "Odd ""Table""; --" ("Key Col" int PRIMARY KEY, "in put" text, "out;put" text);
INSERT INTO "Odd ""Table""; --" VALUES (1, 'Lily was happy.', NULL), (2, 'Tom was sad.', NULL);
\set VERBOSITY terse
CALL llm_process('"Odd ""Table""; --"', 'Key Col', 'in put', 'out;put',
				 labels => ARRAY['happy', 'sad'], model => 'stories');
\set VERBOSITY default
SELECT "Key Col", "out;put" = llm_classify("in put", ARRAY['happy', 'sad'], 'stories') AS as_per_row
FROM "Odd ""Table""; --" ORDER BY 1;
-- a hostile search_path: a schema before pg_catalog whose functions and
-- operators would take over unqualified calls; none of them is called
CREATE SCHEMA evil;
CREATE FUNCTION evil.trap(text) RETURNS text LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'evil % called', $1; END$$;
CREATE FUNCTION evil.lower(text) RETURNS text LANGUAGE sql AS $$SELECT evil.trap('lower')$$;
CREATE FUNCTION evil.quote_literal(text) RETURNS text LANGUAGE sql AS $$SELECT evil.trap('quote_literal')$$;
CREATE FUNCTION evil.pg_is_in_recovery() RETURNS bool LANGUAGE sql AS $$SELECT evil.trap('pg_is_in_recovery') IS NULL$$;
CREATE FUNCTION evil.clock_timestamp() RETURNS timestamptz LANGUAGE sql AS $$SELECT evil.trap('clock_timestamp')::timestamptz$$;
CREATE FUNCTION evil.cardinality(anyarray) RETURNS int LANGUAGE sql AS $$SELECT evil.trap('cardinality')::int$$;
CREATE FUNCTION evil.text_eq(text, text) RETURNS bool LANGUAGE sql AS $$SELECT evil.trap('=') IS NULL$$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.text_eq);
CREATE FUNCTION evil.name_eq(name, name) RETURNS bool LANGUAGE sql AS $$SELECT evil.trap('= on names') IS NULL$$;
CREATE OPERATOR evil.= (LEFTARG = name, RIGHTARG = name, FUNCTION = evil.name_eq);
SET search_path = evil, pg_catalog, public;
SELECT 'a'::text = 'a'::text AS trap_is_set;
SELECT llm_generate('Once upon a time', 'stories', max_tokens => 2) IS NOT NULL AS generated;
SELECT llm_generate('Once upon a time', 'Stories', max_tokens => 2);
UPDATE "Odd ""Table""; --" SET "out;put" = NULL;
\set VERBOSITY terse
CALL llm_process('"Odd ""Table""; --"', 'Key Col', 'in put', 'out;put',
				 labels => ARRAY['happy', 'sad'], model => 'stories');
\set VERBOSITY default
RESET search_path;
SELECT count(*) AS labelled FROM "Odd ""Table""; --" WHERE "out;put" IS NOT NULL;
DROP SCHEMA evil CASCADE;
DROP TABLE "Odd ""Table""; --";
