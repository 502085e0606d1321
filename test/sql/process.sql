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
