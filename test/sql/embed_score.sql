-- llm_embed: unit-length mean of the last hidden states
SELECT array_length(llm_embed('Lily likes the park.', 'stories'), 1) AS dims;
SELECT round(sqrt(sum(x * x))::numeric, 4) AS norm
FROM unnest(llm_embed('Lily likes the park.', 'stories')) AS x;
SELECT llm_embed('Lily likes the park.', 'stories') = llm_embed('Lily likes the park.', 'stories') AS deterministic;
SELECT llm_embed('Lily likes the park.', 'stories') <> llm_embed('A cat sat.', 'stories') AS differ;
SELECT array_length(llm_embed('Hello there', 'qwen'), 1) AS qwen_dims;
SELECT llm_embed(NULL, 'stories') IS NULL AS null_input;
SELECT array_length(llm_embed('', 'stories'), 1) AS empty_input_dims;

-- llm_score: mean log-probability per token
SELECT llm_score('Once upon a time, there was a little girl named Lily.', 'stories') < 0 AS negative;
-- the model prefers its own kind of text
SELECT llm_score('Once upon a time, there was a little girl named Lily.', 'stories')
     > llm_score('Lily girl little a named there time upon was once.', 'stories') AS prefers_fluent;
SELECT llm_score('', 'stories') IS NULL AS empty_is_null;
SELECT llm_score(NULL, 'stories') IS NULL AS null_input;
SELECT llm_score('Hello there', 'qwen') < 0 AS qwen_negative;
