-- loading, unloading and the status view with the shared pool off (this
-- server does not preload llm); test/tap/ covers the pool itself
SET llm.model_path = '/tmp/llm-fixtures';
INSERT INTO llm_models (name, path) VALUES ('pooled', 'stories260K.Q8_0.gguf');
-- registered but not loaded: the view says where models live
SELECT name, state, loaded, storage, bytes, attached_backends, calls
FROM llm_model_status WHERE name = 'pooled';
SELECT llm_load('pooled') AS loaded_now;
SELECT llm_load('pooled') AS loaded_now;
SELECT name, state, loaded, storage, bytes > 0 AS has_bytes, attached_backends,
       load_ms >= 0 AS timed, loaded_at IS NOT NULL AS stamped
FROM llm_model_status WHERE name = 'pooled';
-- every call is counted, with its tokens
SELECT llm_generate('Once', 'pooled', max_tokens => 5, temperature => 0) IS NOT NULL AS generated;
SELECT llm_classify('a happy day', ARRAY['happy', 'sad'], 'pooled') IS NOT NULL AS classified;
SELECT calls, prompt_tokens > 0 AS prompt_counted, generated_tokens, errors,
       compute_ms > 0 AS timed, last_used IS NOT NULL AS used
FROM llm_model_status WHERE name = 'pooled';
SELECT llm_model_status_reset();
SELECT calls, prompt_tokens, generated_tokens FROM llm_model_status WHERE name = 'pooled';
-- unloading: gone from this backend, and loaded again by the next call
SELECT llm_unload('pooled') AS was_loaded;
SELECT llm_unload('pooled') AS was_loaded;
SELECT state, loaded FROM llm_model_status WHERE name = 'pooled';
SELECT llm_token_count('hello', 'pooled') AS works_again;
SELECT state FROM llm_model_status WHERE name = 'pooled';
-- errors
SELECT llm_load('no-such-model');
SELECT llm_unload('no-such-model');
-- only those granted it may unload or reset
CREATE ROLE llm_pool_user;
SET ROLE llm_pool_user;
SELECT llm_load('pooled') AS loaded_now;
SELECT count(*) > 0 AS sees_status FROM llm_model_status;
SELECT llm_unload('pooled');
SELECT llm_model_status_reset();
RESET ROLE;
DROP ROLE llm_pool_user;
DELETE FROM llm_models WHERE name = 'pooled';
