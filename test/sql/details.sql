-- why a generation stopped and what it cost
SELECT text IS NOT NULL AS has_text, stop_reason, prompt_tokens = llm_token_count('Once upon a time', 'stories') AS prompt_counted,
       generated_tokens, duration_ms >= 0 AS timed
FROM llm_generate_details('Once upon a time', 'stories', max_tokens => 5);
-- the text is the one llm_generate gives
SELECT text = llm_generate('Once upon a time', 'stories', max_tokens => 5) AS same_text
FROM llm_generate_details('Once upon a time', 'stories', max_tokens => 5);
SELECT stop_reason, generated_tokens FROM llm_generate_details('Once upon a time', 'stories', max_tokens => 400);
SELECT stop_reason, text FROM llm_generate_details('Once upon a time', 'stories', max_tokens => 50, stop => ARRAY['Lily']);
SET llm.max_tokens = 3;
SELECT stop_reason, generated_tokens FROM llm_generate_details('Once upon a time', 'stories', max_tokens => 10);
RESET llm.max_tokens;
SET llm.context_size = 12;
SELECT stop_reason, prompt_tokens, generated_tokens FROM llm_generate_details('Once upon a time', 'stories', max_tokens => 100);
RESET llm.context_size;
SELECT stop_reason, generated_tokens FROM llm_generate_details('Once upon a time', 'stories', max_tokens => 0);
SELECT stop_reason, generated_tokens <= 6 AS bounded
FROM llm_chat_details('[{"role": "user", "content": "Tell me about Lily."}]', 'stories', max_tokens => 6);
SELECT * FROM llm_generate_details(NULL, 'stories');
-- slow calls are logged with their figures (a superuser setting)
SET llm.log_min_duration = '1s';
SHOW llm.log_min_duration;
RESET llm.log_min_duration;
