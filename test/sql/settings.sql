-- the llm.* settings (defined when the library loads)
LOAD 'llm';
SELECT name, setting, context FROM pg_settings WHERE name LIKE 'llm.%' AND name <> 'llm.max_threads' ORDER BY name;
SELECT setting::int >= 1 AS max_threads_set FROM pg_settings WHERE name = 'llm.max_threads';

-- llm.threads: more threads give the same answer
SET llm.threads = 2;
SELECT llm_generate('', 'stories', max_tokens => 32) AS two_threads;
SET llm.max_threads = 1;
SELECT llm_generate('', 'stories', max_tokens => 8) AS capped_to_one;
RESET llm.max_threads;
RESET llm.threads;

-- llm.context_size: the window every call gets
SET llm.context_size = 16;
SELECT llm_generate('Once upon a time', 'stories', max_tokens => 100) AS stops_at_context_end;
SELECT llm_generate(repeat('the ', 40), 'stories', max_tokens => 1);
SELECT llm_token_count(repeat('the ', 40), 'stories') AS counting_needs_no_context;
RESET llm.context_size;
-- a window larger than the model was trained for is allowed, with a warning once
SET llm.context_size = 4000;
SELECT llm_token_count('x', 'stories') AS warned;
SELECT llm_token_count('x', 'stories') AS warned_once;
RESET llm.context_size;
-- more threads than llm.max_threads allows: said, with what is used
SET llm.max_threads = 1;
SET llm.threads = 3;
SELECT llm_token_count('x', 'stories') AS capped;
RESET llm.threads;
RESET llm.max_threads;

-- llm.kv_cache_type: an F16 cache, as llama.cpp's default (half the memory)
SET llm.kv_cache_type = f16;
SHOW llm.kv_cache_type;
SELECT llm_generate('Once upon a time', 'stories', max_tokens => 24) AS with_f16_cache;
SELECT llm_classify('Lily was happy.', ARRAY['happy', 'sad'], 'stories') AS f16_classify;
RESET llm.kv_cache_type;
SELECT llm_generate('Once upon a time', 'stories', max_tokens => 24) AS with_f32_cache;
SET llm.kv_cache_type = q8_0;

-- llm.max_tokens caps every call
SET llm.max_tokens = 5;
SELECT llm_tokenize(llm_generate('', 'stories', max_tokens => 100), 'stories') AS at_most_five;
RESET llm.max_tokens;

-- llm.kernel forces a kernel variant
SET llm.kernel = 'ref';
SELECT llm_version();
SELECT llm_generate('', 'stories', max_tokens => 12) AS with_ref_kernels;
RESET llm.kernel;
-- (the hint lists this CPU's variants: terse)
\set VERBOSITY terse
SET llm.kernel = 'no-such-kernel';
\set VERBOSITY default

-- the llm. prefix is reserved
SET llm.no_such_setting = 1;
