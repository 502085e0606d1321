-- llm_generate: raw completion
-- greedy from an empty prompt (just BOS) writes the Lily story
SELECT llm_generate('', 'stories', max_tokens => 32);

-- the model argument defaults to llm.default_model
SET llm.default_model = 'stories';
SELECT llm_generate('Once upon a time', max_tokens => 16);
RESET llm.default_model;

-- equal to llm-cli generate --temp 0 on the same model and prompt
SELECT llm_generate('Once upon a time, there was a little girl named Lily.', 'stories', max_tokens => 40)
	= rtrim(pg_read_file('/tmp/llm-fixtures/cli-generate.txt'), E'\n') AS same_as_cli;
SELECT llm_generate('Once upon a time, there was a little girl named Lily.', 'qwen', max_tokens => 20)
	= rtrim(pg_read_file('/tmp/llm-fixtures/cli-generate-qwen.txt'), E'\n') AS same_as_cli_qwen;

-- stop strings end the text before them
SELECT llm_generate('', 'stories', max_tokens => 64, stop => ARRAY['park', 'ball']);
SELECT llm_generate('', 'stories', max_tokens => 64, stop => ARRAY[NULL, '']::text[]) IS NOT NULL AS ignores_empty_stops;

-- a seed makes sampling reproducible; different seeds differ
SELECT llm_generate('Once', 'stories', max_tokens => 30, temperature => 1.0, seed => 42)
     = llm_generate('Once', 'stories', max_tokens => 30, temperature => 1.0, seed => 42) AS same_seed_same_text;
SELECT count(DISTINCT llm_generate('Once', 'stories', max_tokens => 30, temperature => 1.0, seed => s)) > 1 AS seeds_differ
FROM generate_series(1, 4) AS s;
SELECT llm_generate('Once', 'stories', max_tokens => 30, temperature => 0.8, top_k => 1, seed => 7)
     = llm_generate('Once', 'stories', max_tokens => 30) AS top_k_1_is_greedy;
SELECT length(llm_generate('Once', 'stories', max_tokens => 20, temperature => 0.7, top_p => 0.9)) > 0 AS top_p_runs;

-- NULL, empty and odd inputs
SELECT llm_generate(NULL, 'stories') IS NULL AS null_prompt;
SELECT llm_generate('Once', 'stories', max_tokens => 0) = '' AS zero_tokens;
SELECT length(llm_generate(E'caf\u00e9 \u65e5\u672c \U0001F600 tab\there', 'stories', max_tokens => 8)) > 0 AS unicode_prompt;
SELECT length(llm_generate(repeat('the ', 150), 'stories', max_tokens => 4)) > 0 AS long_prompt;

-- llm_chat renders the model's chat template (ChatML for models without one)
SELECT llm_chat('[{"role": "system", "content": "You tell stories."},
                  {"role": "user", "content": "Tell me about Lily."}]', 'stories', max_tokens => 16) IS NOT NULL AS chat_runs;
SELECT llm_chat('[{"role": "user", "content": "Hi"}]', 'stories', max_tokens => 12, seed => 1, temperature => 0.5)
     = llm_chat('[{"role": "user", "content": "Hi"}]', 'stories', max_tokens => 12, seed => 1, temperature => 0.5) AS chat_reproducible;
SELECT llm_chat(NULL, 'stories') IS NULL AS null_messages;
SELECT llm_chat('{"role": "user"}', 'stories');
SELECT llm_chat('[{"role": "wizard", "content": "x"}]', 'stories');
SELECT llm_chat('[{"role": "user", "content": 5}]', 'stories');
SELECT llm_chat('[]', 'stories');

-- a template llm does not know: ChatML is used, and a notice says so once per backend
INSERT INTO llm_models (name, path) VALUES ('odd-template', '/tmp/llm-fixtures/template-unknown.gguf');
SELECT chat_template FROM llm_models WHERE name = 'odd-template';
SELECT llm_chat('[{"role": "user", "content": "Hi"}]', 'odd-template', max_tokens => 4) IS NOT NULL AS first_call;
SELECT llm_chat('[{"role": "user", "content": "Hi"}]', 'odd-template', max_tokens => 4) IS NOT NULL AS second_call_is_quiet;
DELETE FROM llm_models WHERE name = 'odd-template';

-- llm_summarize keeps to the word limit
SELECT array_length(regexp_split_to_array(trim(llm_summarize(
	'Lily went to the park. She saw a big red ball. She played with it all day and was happy.',
	'stories', max_words => 5)), '\s+'), 1) <= 5 AS within_limit;
SELECT llm_summarize(NULL, 'stories') IS NULL AS null_input;
SELECT llm_summarize('text', 'stories', max_words => 0);

-- bad arguments
SELECT llm_generate('x', 'stories', max_tokens => -1);
SELECT llm_generate('x', 'stories', temperature => -0.5);
SELECT llm_generate('x', 'stories', top_p => 0);
SELECT llm_generate('x', 'stories', top_k => -3);

-- parallel safe: the same answers from a parallel worker
SET force_parallel_mode = on;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SELECT llm_generate('', 'stories', max_tokens => 16) AS in_worker;
SELECT llm_token_count('Once upon a time', 'stories') AS count_in_worker;
EXPLAIN (COSTS OFF) SELECT llm_generate('', 'stories', max_tokens => 16);
RESET force_parallel_mode;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
