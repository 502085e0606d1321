-- the array forms: results in input order, NULL for NULL, exactly what the
-- one-row functions give, whatever the batch size and prefix cache
CREATE TABLE array_rows (id int, body text);
INSERT INTO array_rows VALUES
	(1, 'Once upon a time, there was a little girl named Lily.'),
	(2, NULL),
	(3, 'The dog ran to the park and played with a red ball.'),
	(4, 'Tom was sad because his toy was broken.'),
	(5, 'The sun was warm and the birds sang in the tall tree.'),
	(6, 'Mia found a big box. Inside was a tiny kitten.');
CREATE TEMP TABLE per_row AS
SELECT id, llm_classify(body, ARRAY['happy', 'sad', 'animal'], 'stories') AS label,
       llm_summarize(body, 'stories', max_words => 10) AS summary,
       llm_generate(body, 'stories', max_tokens => 12) AS greedy,
       llm_generate(body, 'stories', max_tokens => 12, temperature => 0.9, seed => 7) AS sampled
FROM array_rows;
-- the UPDATE pattern: one array call per batch of keys, unnested in order
CREATE FUNCTION array_results(size int) RETURNS TABLE (id int, label text, summary text, greedy text, sampled text)
LANGUAGE sql AS $$
	WITH b AS (SELECT array_agg(id ORDER BY id) AS ids, array_agg(body ORDER BY id) AS bodies FROM array_rows)
	SELECT u.* FROM b, unnest(b.ids,
		llm_classify(b.bodies, ARRAY['happy', 'sad', 'animal'], 'stories'),
		llm_summarize(b.bodies, 'stories', max_words => 10),
		llm_generate(b.bodies, 'stories', max_tokens => 12),
		llm_generate(b.bodies, 'stories', max_tokens => 12, temperature => 0.9, seed => 7)) AS u
$$;
SET llm.batch_size = 16;
SELECT count(*) AS rows,
       count(*) FILTER (WHERE a.label IS NOT DISTINCT FROM p.label AND a.summary IS NOT DISTINCT FROM p.summary
                        AND a.greedy IS NOT DISTINCT FROM p.greedy AND a.sampled IS NOT DISTINCT FROM p.sampled) AS identical,
       count(*) FILTER (WHERE a.label IS NULL) AS nulls
FROM array_results(16) a JOIN per_row p USING (id);
SET llm.batch_size = 2;
SET llm.prefix_cache_size = 0;
SELECT count(*) FILTER (WHERE a.label IS NOT DISTINCT FROM p.label AND a.summary IS NOT DISTINCT FROM p.summary
                        AND a.greedy IS NOT DISTINCT FROM p.greedy AND a.sampled IS NOT DISTINCT FROM p.sampled) AS identical_in_pairs
FROM array_results(2) a JOIN per_row p USING (id);
RESET llm.batch_size;
RESET llm.prefix_cache_size;
-- answers that reach the end of the context stop where the one-row form stops
SET llm.context_size = 40;
WITH b AS (SELECT array_agg(id ORDER BY id) AS ids, array_agg(body ORDER BY id) AS bodies
           FROM array_rows WHERE body IS NOT NULL)
SELECT count(*) AS rows,
       count(*) FILTER (WHERE u.a = llm_generate(r.body, 'stories', max_tokens => 100)) AS same_at_context_end
FROM b, unnest(b.ids, llm_generate(b.bodies, 'stories', max_tokens => 100)) AS u(id, a), array_rows r
WHERE r.id = u.id;
RESET llm.context_size;
-- embeddings of an array, by position, equal to the one-row form
SELECT count(*) AS rows, count(e.embedding) AS embedded,
       count(*) FILTER (WHERE e.embedding = llm_embed(r.body, 'stories')) AS identical
FROM (SELECT array_agg(body ORDER BY id) AS bodies, array_agg(id ORDER BY id) AS ids FROM array_rows) b,
     llm_embed(b.bodies, 'stories') e, array_rows r
WHERE r.id = b.ids[e.n];
SELECT n, embedding IS NULL AS null_embedding FROM llm_embed(ARRAY['', NULL, 'x'], 'stories');
-- shapes
SELECT llm_classify(ARRAY[]::text[], ARRAY['a', 'b'], 'stories') AS empty;
SELECT llm_classify(NULL::text[], ARRAY['a', 'b'], 'stories') AS null_array;
SELECT llm_summarize(ARRAY[NULL, NULL]::text[], 'stories') AS all_null;
SELECT cardinality(llm_generate(ARRAY['Once', 'The cat'], 'stories', max_tokens => 0)) AS zero_tokens;
SELECT llm_classify(ARRAY[['a', 'b'], ['c', 'd']], ARRAY['x', 'y'], 'stories');
SELECT llm_classify(ARRAY['a'], ARRAY['x', NULL], 'stories');
SELECT llm_summarize(ARRAY['a'], 'stories', max_words => 0);
SET llm.context_size = 32;
SELECT llm_generate(ARRAY['short', repeat('Once upon a time ', 20)], 'stories');
RESET llm.context_size;
-- a one-row literal still means the one-row function
SELECT pg_typeof(llm_classify('x', ARRAY['a', 'b'], 'stories')) AS literal_is_one_row;
DROP FUNCTION array_results(int);
DROP TABLE array_rows;
