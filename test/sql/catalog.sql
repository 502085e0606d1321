-- registering models: the trigger validates the file and fills the metadata
SET llm.model_path = '/tmp/llm-fixtures';

INSERT INTO llm_models (name, path) VALUES ('stories', 'stories260K.gguf');
SELECT name, path, sha256, architecture, quantization, parameters,
       context_length, vocab_size, chat_template IS NULL AS no_template, options
FROM llm_models;

-- whatever the user writes into metadata columns is replaced from the file
INSERT INTO llm_models (name, path, sha256, architecture, parameters)
VALUES ('stories-q8', '/tmp/llm-fixtures/stories260K.Q8_0.gguf', 'fake', 'fake', 1);
SELECT name, sha256 = 'fake' AS kept_fake, architecture, quantization, parameters
FROM llm_models ORDER BY name;

-- llm_register_model does the same and returns the row
SELECT name, path, architecture, quantization, context_length, vocab_size, options
FROM llm_register_model('qwen', 'syn-qwen2.Q8_0.gguf', '{"context_size": 512}');
SELECT name, architecture, quantization
FROM llm_register_model('tied', '/tmp/llm-fixtures/syn-llama-tied.F16.gguf');

-- paths are stored absolute
SELECT name, path FROM llm_models ORDER BY name;

-- an update validates again and keeps the registration date
SELECT created_at AS before FROM llm_models WHERE name = 'tied' \gset
UPDATE llm_models SET path = 'stories260K.Q8_0.gguf', options = '{"chat_template": "chatml"}' WHERE name = 'tied';
SELECT name, path, architecture, quantization, options, created_at = :'before' AS same_date
FROM llm_models WHERE name = 'tied';

-- options: known keys of the right type and range only
UPDATE llm_models SET options = 'null' WHERE name = 'tied';
UPDATE llm_models SET options = '[1, 2]' WHERE name = 'tied';
UPDATE llm_models SET options = '"context_size"' WHERE name = 'tied';
UPDATE llm_models SET options = NULL WHERE name = 'tied';
UPDATE llm_models SET options = '{"context-size": 1024}' WHERE name = 'tied';
UPDATE llm_models SET options = '{"context_size": "big"}' WHERE name = 'tied';
UPDATE llm_models SET options = '{"context_size": 1.5}' WHERE name = 'tied';
UPDATE llm_models SET options = '{"context_size": 8}' WHERE name = 'tied';
UPDATE llm_models SET options = '{"context_size": 1e30}' WHERE name = 'tied';
UPDATE llm_models SET options = '{"chat_template": "nope"}' WHERE name = 'tied';
UPDATE llm_models SET options = '{"chat_template": 3}' WHERE name = 'tied';
UPDATE llm_models SET options = '{"context_size": 1024.0, "chat_template": "llama3"}' WHERE name = 'tied';
SELECT options FROM llm_models WHERE name = 'tied';

-- DELETE unregisters
DELETE FROM llm_models WHERE name = 'tied';
SELECT count(*) FROM llm_models;

-- errors name what is wrong
INSERT INTO llm_models (name, path) VALUES ('missing', 'no-such-file.gguf');
INSERT INTO llm_models (name, path) VALUES ('text', 'not-gguf.gguf');
INSERT INTO llm_models (name, path) VALUES ('short', 'truncated.gguf');
INSERT INTO llm_models (name, path) VALUES ('nothing', 'empty.gguf');
INSERT INTO llm_models (name, path) VALUES ('vocab', 'vocab-only.gguf');
INSERT INTO llm_models (name, path) VALUES ('broken', 'missing-tensor.gguf');
-- the SQLSTATE of each kind of file that is not a model
DO $$
DECLARE
	f text;
BEGIN
	FOREACH f IN ARRAY ARRAY['not-gguf.gguf', 'empty.gguf', 'truncated.gguf', 'vocab-only.gguf', 'missing-tensor.gguf',
							 'vocab-bert.gguf',
							 'arch-gemma.gguf', 'type-q2k.gguf', 'no-such-file.gguf'] LOOP
		BEGIN
			INSERT INTO llm_models (name, path) VALUES ('x', f);
		EXCEPTION WHEN OTHERS THEN
			RAISE NOTICE '%: %', f, SQLSTATE;
		END;
	END LOOP;
END
$$;
INSERT INTO llm_models (name, path) VALUES ('gemma', 'arch-gemma.gguf');
INSERT INTO llm_models (name, path) VALUES ('q2k', 'type-q2k.gguf');
INSERT INTO llm_models (name, path) VALUES ('dir', '/tmp/llm-fixtures');
INSERT INTO llm_models (name, path) VALUES ('', 'stories260K.gguf');
INSERT INTO llm_models (name, path) VALUES ('nopath', NULL);
INSERT INTO llm_models (name, path) VALUES ('empty', '');
INSERT INTO llm_models (name, path) VALUES ('stories', 'stories260K.gguf');
SELECT llm_register_model('stories', 'stories260K.gguf');
RESET llm.model_path;
INSERT INTO llm_models (name, path) VALUES ('relative', 'stories260K.gguf');
SELECT count(*) FROM llm_models;
