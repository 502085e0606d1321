-- who may register models, and who may use them
CREATE ROLE llm_user;
CREATE ROLE llm_reader IN ROLE pg_read_server_files;
GRANT USAGE ON SCHEMA public TO llm_user, llm_reader;
SET llm.model_path = '/tmp/llm-fixtures';

SET ROLE llm_user;
-- inference is granted to PUBLIC
SELECT llm_generate('', 'stories', max_tokens => 8) AS user_generates;
SELECT llm_token_count('Once upon a time', 'stories') AS user_counts;
SELECT count(*) > 0 AS user_sees_models FROM llm_models;
-- registering and unregistering are not
INSERT INTO llm_models (name, path) VALUES ('mine', 'stories260K.gguf');
SELECT llm_register_model('mine', 'stories260K.gguf');
DELETE FROM llm_models WHERE name = 'stories';
UPDATE llm_models SET options = '{}' WHERE name = 'stories';
-- nor reading files through the settings
SET llm.model_path = '/';
RESET ROLE;

-- members of pg_read_server_files register files inside llm.model_path only
SET ROLE llm_reader;
INSERT INTO llm_models (name, path) VALUES ('reader', 'stories260K.Q8_0.gguf');
SELECT name, path FROM llm_models WHERE name = 'reader';
INSERT INTO llm_models (name, path) VALUES ('escape', '../../etc/passwd');
INSERT INTO llm_models (name, path) VALUES ('outside', '/etc/passwd');
SELECT name FROM llm_register_model('reader2', 'syn-qwen2.Q8_0.gguf');
DELETE FROM llm_models WHERE name IN ('reader', 'reader2');
RESET ROLE;

-- the trigger checks too, even where a grant was added by mistake
GRANT INSERT ON llm_models TO llm_user;
SET ROLE llm_user;
INSERT INTO llm_models (name, path) VALUES ('mine', 'stories260K.gguf');
RESET ROLE;
REVOKE INSERT ON llm_models FROM llm_user;

-- a DBA can revoke inference
REVOKE EXECUTE ON FUNCTION llm_generate(text, text, int, float8, float8, int, bigint, text[], text, jsonb) FROM PUBLIC;
SET ROLE llm_user;
SELECT llm_generate('', 'stories', max_tokens => 8);
RESET ROLE;
GRANT EXECUTE ON FUNCTION llm_generate(text, text, int, float8, float8, int, bigint, text[], text, jsonb) TO PUBLIC;

REVOKE USAGE ON SCHEMA public FROM llm_user, llm_reader;
DROP ROLE llm_user;
DROP ROLE llm_reader;
