-- the newer model families: what each is for, generation on the decoders,
-- embeddings on the encoder, and errors for a generating function called
-- on an encoder
SET llm.model_path = '/tmp/llm-fixtures';
INSERT INTO llm_models (name, path) VALUES
	('bert', 'syn-bert.Q8_0.gguf'), ('qwen3', 'syn-qwen3.Q8_0.gguf'),
	('gemma3', 'syn-gemma3.Q8_0.gguf'), ('phi3', 'syn-phi3.Q4_K_M.gguf');
RESET llm.model_path;
SELECT name, architecture, kind FROM llm_models
WHERE name IN ('bert', 'qwen3', 'gemma3', 'phi3', 'stories') ORDER BY name;
-- decoders generate, greedy and deterministic
SELECT name, length(llm_generate('Once upon a time', name, max_tokens => 8)) > 0 AS generated,
       llm_generate('Once upon a time', name, max_tokens => 8) = llm_generate('Once upon a time', name, max_tokens => 8) AS deterministic
FROM (VALUES ('qwen3'), ('gemma3'), ('phi3')) m(name);
-- Qwen 3 chats with its thinking off: the answer holds no <think> block
SELECT position('<think>' IN llm_chat('[{"role": "user", "content": "Hi"}]', 'qwen3', max_tokens => 16)) = 0 AS no_think;
SELECT llm_classify('Lily was happy.', ARRAY['happy', 'sad'], 'gemma3') IN ('happy', 'sad') AS classified;
-- the encoder embeds: a unit vector of its width, the same alone and in an array
SELECT array_length(llm_embed('Lily likes the park.', 'bert'), 1) AS bert_dims;
SELECT round(sqrt(sum(x * x))::numeric, 4) AS norm FROM unnest(llm_embed('Lily likes the park.', 'bert')) AS x;
SELECT n, embedding IS NOT DISTINCT FROM llm_embed(t, 'bert') AS same_as_alone
FROM llm_embed(ARRAY['Lily likes the park.', NULL, 'A cat sat.'], 'bert') e
JOIN unnest(ARRAY['Lily likes the park.', NULL, 'A cat sat.']) WITH ORDINALITY AS u(t, i) ON u.i = e.n
ORDER BY n;
SELECT llm_embed('Lily likes the park.', 'bert') <> llm_embed('A cat sat.', 'bert') AS differ;
-- its context is the positions it learned, whatever llm.context_size says
SET llm.context_size = 4096;
SELECT array_length(llm_embed('Lily likes the park.', 'bert'), 1) AS bert_dims_any_setting;
RESET llm.context_size;
-- generating functions refuse an encoder
SELECT llm_generate('Once upon a time', 'bert');
SELECT llm_chat('[{"role": "user", "content": "Hi"}]', 'bert');
SELECT llm_summarize('Lily was happy.', 'bert');
SELECT llm_classify('Lily was happy.', ARRAY['happy', 'sad'], 'bert');
SELECT llm_score('Lily was happy.', 'bert');
SELECT llm_generate(ARRAY['Once'], 'bert');
DELETE FROM llm_models WHERE name IN ('bert', 'qwen3', 'gemma3', 'phi3');
