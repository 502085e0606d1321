-- errors users see, with hints
-- unknown model: the message lists the registered ones
SELECT llm_generate('x', 'nope');
-- several models and no default
SELECT llm_generate('x');
SET llm.default_model = 'nope';
SELECT llm_generate('x');
RESET llm.default_model;
-- a name that differs only in case points at the registered one
SELECT llm_generate('x', 'Stories');
-- NULL name and NULL path are the same kind of error
INSERT INTO llm_models (name, path) VALUES (NULL, '/tmp/llm-fixtures/stories260K.gguf');
INSERT INTO llm_models (name, path) VALUES ('nullpath', NULL);
-- a file the server's operating-system user cannot read
INSERT INTO llm_models (name, path) VALUES ('locked', '/tmp/llm-fixtures/syn-llama-tied.F16.gguf');
\! chmod 000 /tmp/llm-fixtures/syn-llama-tied.F16.gguf
SELECT llm_generate('x', 'locked');
-- registering such a file: the same SQLSTATE (42501) and hint
DO $$ BEGIN
	INSERT INTO llm_models (name, path) VALUES ('locked2', '/tmp/llm-fixtures/syn-llama-tied.F16.gguf');
EXCEPTION WHEN insufficient_privilege THEN
	RAISE NOTICE 'registering: %', SQLERRM;
END $$;
DO $$ BEGIN
	PERFORM llm_generate('x', 'locked');
EXCEPTION WHEN insufficient_privilege THEN
	RAISE NOTICE 'calling: %', SQLERRM;
END $$;
\! chmod 666 /tmp/llm-fixtures/syn-llama-tied.F16.gguf
DELETE FROM llm_models WHERE name = 'locked';
-- in a database without registrations, the error says the catalog is per database
CREATE DATABASE llm_empty;
\c llm_empty
CREATE EXTENSION llm;
SELECT llm_generate('x', 'stories');
\c contrib_regression
DROP DATABASE llm_empty;

-- a prompt longer than the context
SET llm.context_size = 32;
SELECT llm_generate(repeat('Once upon a time ', 20), 'stories');
SELECT llm_embed(repeat('Once upon a time ', 20), 'stories');
SELECT llm_score(repeat('Once upon a time ', 20), 'stories');
-- a templated prompt counts the input and the template apart
SELECT llm_summarize('Once upon a time', 'stories');
SELECT llm_classify('Once upon a time', ARRAY['happy', 'sad'], 'stories');
SELECT llm_chat('[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]', 'stories');
-- special tokens in the input count as the prompt counts them
SELECT llm_summarize(repeat('</s>', 12), 'stories');
RESET llm.context_size;
-- an input that cannot fit is refused by its length, before tokenizing
-- (5 MB here; 100 MB takes as long to refuse), in every calling form
SET llm.context_size = 64;
SELECT llm_generate(repeat('word ', 1000000), 'stories');
SELECT llm_generate(ARRAY['Once', repeat('word ', 1000000)], 'stories');
SELECT llm_embed(repeat('word ', 1000000), 'stories');
SELECT llm_embed(ARRAY[repeat('word ', 1000000)], 'stories');
SELECT llm_score(repeat('word ', 1000000), 'stories');
SELECT llm_summarize(repeat('word ', 1000000), 'stories');
SELECT llm_classify(repeat('word ', 1000000), ARRAY['happy', 'sad'], 'stories');
SELECT llm_chat(jsonb_build_array(jsonb_build_object('role', 'user', 'content', repeat('word ', 1000000))), 'stories');
-- spaces around a message may be trimmed by a template, so they do not
-- count towards the bound: this one is tokenized, and counted exactly
SELECT llm_chat(jsonb_build_array(jsonb_build_object('role', 'user', 'content', 'Hi' || repeat(' ', 1000000))), 'stories', max_tokens => 1);
-- tokenizing alone takes any length
SELECT llm_token_count(repeat('word ', 1000000), 'stories') > 64 AS counted;
RESET llm.context_size;
-- a registration's context_size option is the model's context unless llm.context_size is set
SET llm.model_path = '/tmp/llm-fixtures';
INSERT INTO llm_models (name, path, options) VALUES ('small', 'stories260K.gguf', '{"context_size": 32}');
SELECT llm_generate(repeat('Once upon a time ', 20), 'small');
SET llm.context_size = 128;
SELECT length(llm_generate(repeat('Once upon a time ', 20), 'small', max_tokens => 4)) > 0 AS setting_wins;
RESET llm.context_size;
-- and its chat_template option replaces the file's template
INSERT INTO llm_models (name, path, options) VALUES ('as-gemma', 'stories260K.gguf', '{"chat_template": "gemma"}');
SELECT c.prompt_tokens = cardinality(llm_tokenize(E'<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n', 'stories')) AS file_default_is_chatml,
       g.prompt_tokens = cardinality(llm_tokenize(E'<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n', 'stories')) AS option_is_gemma,
       c.prompt_tokens <> g.prompt_tokens AS they_differ
FROM llm_chat_details('[{"role": "user", "content": "Hi"}]', 'stories', max_tokens => 1) c,
     llm_chat_details('[{"role": "user", "content": "Hi"}]', 'as-gemma', max_tokens => 1) g;
DELETE FROM llm_models WHERE name IN ('small', 'as-gemma');

-- a registered file that changed or disappeared
SET llm.model_path = '/tmp/llm-fixtures';
INSERT INTO llm_models (name, path) VALUES ('changing', 'changing.gguf'), ('vanishing', 'vanishing.gguf');
COPY (SELECT 'not the model any more') TO '/tmp/llm-fixtures/changing.gguf';
SELECT llm_generate('x', 'changing');
\! rm -f /tmp/llm-fixtures/vanishing.gguf
SELECT llm_generate('x', 'vanishing');
DELETE FROM llm_models WHERE name IN ('changing', 'vanishing');

-- a symbolic link swapped to a new version: the catalog keeps the link,
-- the next validation follows it to the new file, and calls use that
\! ln -sfn stories260K.gguf /tmp/llm-fixtures/current.gguf
INSERT INTO llm_models (name, path) VALUES ('current', 'current.gguf');
SELECT path, quantization FROM llm_models WHERE name = 'current';
SELECT llm_generate('Once upon a time', 'current', max_tokens => 8) AS v1;
\! ln -sfn stories260K.Q8_0.gguf /tmp/llm-fixtures/current.gguf
SELECT llm_generate('Once upon a time', 'current', max_tokens => 8) AS refused_until_validated;
UPDATE llm_models SET path = path WHERE name = 'current';
SELECT path, quantization FROM llm_models WHERE name = 'current';
SELECT llm_generate('Once upon a time', 'current', max_tokens => 8) =
       llm_generate('Once upon a time', 'stories-q8', max_tokens => 8) AS v2_is_the_q8_file;
SELECT name, path FROM llm_model_status WHERE name = 'current';
-- a link swapped to something that is not the registered file: a user who
-- may not read server files learns neither where it leads nor its hash
CREATE ROLE llm_outsider;
GRANT SELECT ON llm_models TO llm_outsider;
\! ln -sfn stories260K.gguf /tmp/llm-fixtures/current.gguf
SET ROLE llm_outsider;
SELECT llm_generate('Once upon a time', 'current', max_tokens => 4);
RESET ROLE;
-- nor does a folder, a FIFO or an empty file crash or hang a call
\! ln -sfn /tmp/llm-fixtures /tmp/llm-fixtures/current.gguf
SELECT llm_generate('Once upon a time', 'current', max_tokens => 4);
\! rm -f /tmp/llm-fixtures/fifo && mkfifo /tmp/llm-fixtures/fifo && ln -sfn fifo /tmp/llm-fixtures/current.gguf
SELECT llm_generate('Once upon a time', 'current', max_tokens => 4);
\! : > /tmp/llm-fixtures/empty-now.gguf && ln -sfn empty-now.gguf /tmp/llm-fixtures/current.gguf
SELECT llm_generate('Once upon a time', 'current', max_tokens => 4);
REVOKE SELECT ON llm_models FROM llm_outsider;
DROP ROLE llm_outsider;
DELETE FROM llm_models WHERE name = 'current';
\! rm -f /tmp/llm-fixtures/current.gguf /tmp/llm-fixtures/fifo /tmp/llm-fixtures/empty-now.gguf

-- a relative llm.model_path is taken from the data directory, once: the
-- stored path is absolute, and the same file whatever the setting later
SELECT repeat('../', array_length(string_to_array(trim(BOTH '/' FROM setting), '/'), 1))
       || 'tmp/llm-fixtures' AS relpath, setting AS datadir
FROM pg_settings WHERE name = 'data_directory' \gset
SET llm.model_path = :'relpath';
INSERT INTO llm_models (name, path) VALUES ('rel', 'stories260K.gguf');
SELECT path = :'datadir' || '/' || :'relpath' || '/stories260K.gguf' AS absolute FROM llm_models WHERE name = 'rel';
RESET llm.model_path;
SELECT length(llm_generate('Once upon a time', 'rel', max_tokens => 4)) > 0 AS still_found;
SET llm.model_path = '/tmp/llm-fixtures';
DELETE FROM llm_models WHERE name = 'rel';

-- a failed call leaves the backend working
SELECT llm_generate('', 'stories', max_tokens => 16) AS still_works;

-- no model at all
DELETE FROM llm_models;
SELECT llm_generate('x');
-- the only model is the default
INSERT INTO llm_models (name, path) VALUES ('only', 'stories260K.gguf');
SELECT llm_generate('', max_tokens => 8) AS only_model;
DROP EXTENSION llm;
