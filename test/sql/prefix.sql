-- the prompt-prefix cache: later rows start from the shared template
-- prefix, with exactly the results of evaluating every prompt whole
CREATE TABLE prefix_rows (id int, body text);
INSERT INTO prefix_rows VALUES
	(1, 'Once upon a time, there was a little girl named Lily.'),
	(2, 'The dog ran to the park and played with a red ball.'),
	(3, 'Tom was sad because his toy was broken.'),
	(4, 'The sun was warm and the birds sang in the tall tree.'),
	(5, 'Mia found a big box. Inside was a tiny kitten.');
SELECT llm_model_status_reset();
SET llm.prefix_cache_size = '64MB';
CREATE TEMP TABLE cached AS
SELECT id, llm_classify(body, ARRAY['happy', 'sad', 'animal'], 'stories') AS label,
       (SELECT array_agg(probability ORDER BY label) FROM llm_classify_scores(body, ARRAY['happy', 'sad', 'animal'], 'stories')) AS probs,
       llm_summarize(body, 'stories', max_words => 8) AS summary
FROM prefix_rows;
SELECT prefix_hits > 0 AS hits, prefix_misses > 0 AS first_rows_missed,
       prefix_tokens >= 16 * prefix_hits AS whole_prefixes
FROM llm_model_status WHERE name = 'stories';
SET llm.prefix_cache_size = 0;
CREATE TEMP TABLE uncached AS
SELECT id, llm_classify(body, ARRAY['happy', 'sad', 'animal'], 'stories') AS label,
       (SELECT array_agg(probability ORDER BY label) FROM llm_classify_scores(body, ARRAY['happy', 'sad', 'animal'], 'stories')) AS probs,
       llm_summarize(body, 'stories', max_words => 8) AS summary
FROM prefix_rows;
-- identical to the bit: labels, probabilities and summaries
SELECT count(*) AS rows, count(*) FILTER (WHERE c.label = u.label AND c.probs = u.probs AND c.summary = u.summary) AS identical
FROM cached c JOIN uncached u USING (id);
RESET llm.prefix_cache_size;
-- the size is a memory setting
SET llm.prefix_cache_size = '1GB';
SHOW llm.prefix_cache_size;
SET llm.prefix_cache_size = -1;
RESET llm.prefix_cache_size;
DROP TABLE prefix_rows;
