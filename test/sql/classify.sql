-- llm_classify picks one of the labels by log-probability
SELECT llm_classify('The dog ran in the park.', ARRAY['happy', 'sad'], 'stories') = ANY (ARRAY['happy', 'sad']) AS one_of_labels;

-- always exactly one element of labels, whatever the input
SELECT count(*) AS rows, bool_and(l = ANY (ARRAY['park', 'ball', 'tree'])) AS all_valid
FROM (SELECT llm_classify(t, ARRAY['park', 'ball', 'tree'], 'stories') AS l
      FROM (VALUES ('She played in the park.'), ('A red ball.'), (''), ('zzz qqq')) AS v(t)) AS s;

-- the scores are a distribution over the labels, in their order
SELECT label, probability > 0 AND probability < 1 AS in_range
FROM llm_classify_scores('Lily saw a big red ball.', ARRAY['ball', 'cat', 'tree'], 'stories');
SELECT round(sum(probability)::numeric, 6) AS total
FROM llm_classify_scores('Lily saw a big red ball.', ARRAY['ball', 'cat', 'tree'], 'stories');

-- llm_classify is the most probable label of llm_classify_scores
SELECT llm_classify('Lily saw a big red ball.', ARRAY['ball', 'cat', 'tree'], 'stories')
     = (SELECT label FROM llm_classify_scores('Lily saw a big red ball.', ARRAY['ball', 'cat', 'tree'], 'stories')
        ORDER BY probability DESC LIMIT 1) AS consistent;

-- pinned: what this (tiny story) model prefers, by a wide margin
SELECT llm_classify('Lily played with her red ball in the park.', ARRAY['ball', 'cat', 'tree'], 'stories');

-- an instruction changes the prompt, not the rules
SELECT llm_classify('x', ARRAY['yes', 'no'], 'stories', instruction => 'Answer yes or no.') IN ('yes', 'no') AS ok;

-- a single label is certain
SELECT label, probability FROM llm_classify_scores('anything', ARRAY['only'], 'stories');

-- NULLs and bad labels
SELECT llm_classify(NULL, ARRAY['a', 'b'], 'stories') IS NULL AS null_input;
SELECT llm_classify('x', NULL, 'stories') IS NULL AS null_labels;
SELECT llm_classify('x', ARRAY[]::text[], 'stories');
SELECT llm_classify('x', ARRAY['a', NULL], 'stories');
SELECT llm_classify('x', ARRAY['a', ''], 'stories');
SELECT llm_classify('x', ARRAY['a', 'a'], 'stories');
