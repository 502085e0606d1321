-- constrained decoding: grammar (GBNF) and json_schema arguments, llm_extract
-- (the models know nothing of the grammars: the constraint alone must make
-- every answer valid)

-- a grammar of fixed words: every answer is one of them, greedy or sampled
SELECT llm_generate('Once upon a time', 'stories', grammar => 'root ::= ("yes" | "no")') AS greedy;
SELECT count(*) AS answers,
       count(*) FILTER (WHERE a IN ('yes', 'no', 'maybe')) AS in_grammar,
       count(DISTINCT a) > 1 AS sampling_varies
FROM (SELECT llm_generate('Once upon a time', 'stories', temperature => 1.5, seed => s,
                          grammar => 'root ::= "yes" | "no" | "maybe"') AS a
      FROM generate_series(1, 24) AS s) t;
-- a grammar of words and a number; the random-weight qwen model too
SELECT count(*) AS answers,
       count(*) FILTER (WHERE a ~ '^[a-z]{1,8}( [a-z]{1,8}){2} [0-9]{1,3}\.$') AS in_grammar
FROM (SELECT llm_generate(p, m, max_tokens => 64, temperature => t, seed => 3,
                          grammar => E'root ::= word (" " word){2} " " [0-9]{1,3} "."\nword ::= [a-z]{1,8}') AS a
      FROM (VALUES ('Once upon a time'), ('The dog'), ('Lily said')) p(p),
           (VALUES ('stories'), ('qwen')) m(m), (VALUES (0.0), (0.9)) t(t)) t;
-- comments, character classes, repetitions and alternatives in one grammar
SELECT a ~ '^(Lily|Tom) (ran|sat)( very)* fast!$' AS in_grammar
FROM llm_generate('Once upon a time', 'stories', max_tokens => 40, grammar => $g$
# a sentence
root ::= name " " verb adverb* " fast!"
name ::= "Lily" | "Tom"   # two names
verb ::= "ran" | "sat"
adverb ::= " very"
$g$) AS a;
-- llm_chat takes the same arguments
SELECT llm_chat('[{"role": "user", "content": "Is the sky blue?"}]', 'stories',
                grammar => 'root ::= "yes" | "no"') IN ('yes', 'no') AS chat_in_grammar;
-- the grammar changes from row to row
SELECT g, llm_generate('Once', 'stories', grammar => g) AS a
FROM (VALUES ('root ::= "a"'), ('root ::= "b"'), ('root ::= "a"')) v(g);
-- a grammar that allows the empty answer, with max_tokens 0
SELECT llm_generate('Once', 'stories', max_tokens => 0, grammar => 'root ::= "" | "a"') = '' AS empty_answer;

-- json_schema: the answer parses and has the required keys with their types
CREATE TEMP TABLE schema_answers AS
SELECT m, s, llm_generate(p, m, max_tokens => 200, temperature => 0.8, seed => s, json_schema => $j$
{"type": "object",
 "properties": {"name": {"type": "string", "maxLength": 10},
                "age": {"type": "integer", "minimum": 0, "maximum": 120},
                "pet": {"enum": ["cat", "dog", null]},
                "tags": {"type": "array", "items": {"type": "boolean"}, "maxItems": 3},
                "born": {"type": "string", "format": "date"}},
 "required": ["name", "age", "pet", "tags"],
 "additionalProperties": false}$j$)::jsonb AS j
FROM (VALUES ('stories'), ('qwen')) m(m), generate_series(1, 6) s, (VALUES ('Once upon a time')) p(p);
SELECT count(*) AS answers,
       count(*) FILTER (WHERE jsonb_typeof(j) = 'object'
                        AND jsonb_typeof(j->'name') = 'string' AND length(j->>'name') <= 10
                        AND jsonb_typeof(j->'age') = 'number' AND (j->>'age')::numeric BETWEEN 0 AND 120
                        AND (j->>'age')::numeric = trunc((j->>'age')::numeric)
                        AND (j->'pet' IN ('"cat"', '"dog"', 'null'))
                        AND jsonb_typeof(j->'tags') = 'array' AND jsonb_array_length(j->'tags') <= 3
                        AND NOT EXISTS (SELECT FROM jsonb_array_elements(j->'tags') e WHERE jsonb_typeof(e) <> 'boolean')
                        AND (NOT j ? 'born' OR (j->>'born') ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$')
                        AND NOT EXISTS (SELECT FROM jsonb_object_keys(j) k WHERE k NOT IN ('name', 'age', 'pet', 'tags', 'born')))
         AS valid
FROM schema_answers;
-- a schema of other types: a top-level array of objects, $defs and $ref, anyOf, const
SELECT count(*) AS answers,
       count(*) FILTER (WHERE jsonb_typeof(j) = 'array' AND jsonb_array_length(j) BETWEEN 1 AND 2
                        AND NOT EXISTS (SELECT FROM jsonb_array_elements(j) e
                                        WHERE e->'v' IS NULL OR e->>'kind' <> 'point'
                                           OR jsonb_typeof(e->'v') NOT IN ('number', 'string')))
         AS valid
FROM (SELECT llm_generate('The dog', 'stories', max_tokens => 120, temperature => 1.0, seed => s, json_schema => $j$
{"type": "array", "minItems": 1, "maxItems": 2, "items": {"$ref": "#/$defs/p"},
 "$defs": {"p": {"type": "object", "required": ["kind", "v"],
                 "properties": {"kind": {"const": "point"},
                                "v": {"anyOf": [{"type": "integer"}, {"type": "string", "maxLength": 4}]}}}}}$j$)::jsonb AS j
      FROM generate_series(1, 8) s) t;
-- llm_chat with a schema; its greedy answer is stable
SELECT llm_chat('[{"role": "user", "content": "How old is Tom?"}]', 'stories', max_tokens => 60,
                json_schema => '{"type": "object", "properties": {"age": {"type": "integer"}, "ok": {"type": "boolean"}}, "required": ["age", "ok"]}')::jsonb
       ?& ARRAY['age', 'ok'] AS chat_schema_keys;

-- the array form: each element's answer is the one-row form's
CREATE TEMP TABLE prompts (id int, p text);
INSERT INTO prompts VALUES (1, 'Once upon a time'), (2, NULL), (3, 'The dog ran'), (4, 'Lily and Tom'), (5, 'The sun');
SET llm.batch_size = 2;
SELECT count(*) AS rows,
       count(*) FILTER (WHERE u.a IS NOT DISTINCT FROM llm_generate(r.p, 'stories', max_tokens => 80, temperature => 0.9, seed => 11,
                        json_schema => '{"type": "object", "properties": {"n": {"type": "integer"}, "w": {"enum": ["a", "b"]}}, "required": ["n", "w"]}'))
         AS same_sampled,
       count(*) FILTER (WHERE u.g IS NOT DISTINCT FROM llm_generate(r.p, 'stories', grammar => 'root ::= [a-z]{2,5} "!"'))
         AS same_greedy,
       count(u.a) AS not_null
FROM (SELECT array_agg(id ORDER BY id) AS ids, array_agg(p ORDER BY id) AS ps FROM prompts) b,
     unnest(b.ids,
            llm_generate(b.ps, 'stories', max_tokens => 80, temperature => 0.9, seed => 11,
                         json_schema => '{"type": "object", "properties": {"n": {"type": "integer"}, "w": {"enum": ["a", "b"]}}, "required": ["n", "w"]}'),
            llm_generate(b.ps, 'stories', grammar => 'root ::= [a-z]{2,5} "!"')) AS u(id, a, g),
     prompts r
WHERE r.id = u.id;
RESET llm.batch_size;

-- _details: a complete answer ends with "end of text"; one a limit cut has
-- a NULL text (never half an answer) and the limit as stop_reason
SELECT text, stop_reason, generated_tokens
FROM llm_generate_details('Once upon a time', 'stories', grammar => 'root ::= "yes" | "no"');
SELECT text IS NULL AS null_text, stop_reason, generated_tokens
FROM llm_generate_details('Once upon a time', 'stories', max_tokens => 4,
                          json_schema => '{"type": "object", "properties": {"s": {"type": "string"}}, "required": ["s"]}');
SET llm.max_tokens = 3;
SELECT text IS NULL AS null_text, stop_reason, generated_tokens
FROM llm_chat_details('[{"role": "user", "content": "Hi"}]', 'stories', max_tokens => 50,
                      grammar => 'root ::= "abc" [a-z]{5}');
RESET llm.max_tokens;
SET llm.context_size = 12;
SELECT text IS NULL AS null_text, stop_reason, prompt_tokens, generated_tokens
FROM llm_generate_details('Once upon a time', 'stories', max_tokens => 100, grammar => 'root ::= [a-z]{20}');
RESET llm.context_size;
-- a grammar that may end where the limit stopped it: the text is whole
SELECT text IS NOT NULL AS has_text, stop_reason, generated_tokens
FROM llm_generate_details('Once upon a time', 'stories', max_tokens => 3, grammar => 'root ::= [a-z ]*');

-- llm_extract: jsonb valid under the schema, for every row
CREATE TEMP TABLE emails (id int, body text);
INSERT INTO emails VALUES
	(1, 'Invoice 4711 from Acme: 250 dollars, due 2024-03-01. Lily will pay.'),
	(2, 'Tom bought a red ball for 3 dollars.'),
	(3, NULL),
	(4, 'The dog found a big box in the park.'),
	(5, '');
CREATE TEMP TABLE extracted AS
SELECT id, llm_extract(body, $j$
{"type": "object",
 "properties": {"invoice": {"type": "string", "maxLength": 12},
                "amount": {"type": "integer"},
                "currency": {"enum": ["USD", "EUR"]},
                "paid": {"type": "boolean"}},
 "required": ["invoice", "amount", "currency", "paid"]}$j$, 'stories') AS j
FROM emails;
SELECT id, j IS NULL AS null_input,
       jsonb_typeof(j->'invoice') AS invoice, jsonb_typeof(j->'amount') AS amount,
       j->>'currency' IN ('USD', 'EUR') AS currency_ok, jsonb_typeof(j->'paid') AS paid
FROM extracted ORDER BY id;
-- into typed columns
SELECT id, (j->>'amount')::int IS NOT NULL AS amount_int, (j->>'paid')::boolean IS NOT NULL AS paid_bool
FROM extracted WHERE j IS NOT NULL ORDER BY id;
-- the array form gives each row's answer, NULL for NULL, in order
SELECT count(*) AS rows, count(*) FILTER (WHERE u.j IS NOT DISTINCT FROM x.j) AS same_as_one_row, count(u.j) AS not_null
FROM (SELECT array_agg(id ORDER BY id) AS ids, array_agg(body ORDER BY id) AS bodies FROM emails) b,
     unnest(b.ids, llm_extract(b.bodies, $j$
{"type": "object",
 "properties": {"invoice": {"type": "string", "maxLength": 12},
                "amount": {"type": "integer"},
                "currency": {"enum": ["USD", "EUR"]},
                "paid": {"type": "boolean"}},
 "required": ["invoice", "amount", "currency", "paid"]}$j$, 'stories')) AS u(id, j),
     extracted x
WHERE x.id = u.id;
-- the random-weight qwen model, its answers decoded together
SELECT count(*) AS answers,
       count(*) FILTER (WHERE jsonb_typeof(j) = 'object' AND jsonb_typeof(j->'n') = 'number'
                        AND jsonb_typeof(j->'ok') = 'boolean' AND jsonb_typeof(j->'w') = 'string'
                        AND length(j->>'w') BETWEEN 1 AND 6) AS valid
FROM unnest(llm_extract(ARRAY['a', 'b c', 'The dog ran.', 'Lily'],
                        '{"type": "object", "properties": {"n": {"type": "integer"}, "ok": {"type": "boolean"}, "w": {"type": "string", "minLength": 1, "maxLength": 6}}, "required": ["n", "ok", "w"]}',
                        'qwen')) AS j;
-- an instruction of one's own; a schema that is not an object
SELECT jsonb_typeof(llm_extract('Tom is 7.', '{"type": "integer"}', 'stories', instruction => 'How old is Tom?')) AS integer_answer;
SELECT llm_extract('Tom is 7.', '{"enum": ["yes", "no"]}', 'stories') IN ('"yes"', '"no"') AS enum_answer;
-- NULL and empty inputs
SELECT llm_extract(NULL, '{"type": "integer"}', 'stories') AS null_input,
       llm_extract('x', NULL, 'stories') AS null_schema,
       llm_extract(NULL::text[], '{"type": "integer"}', 'stories') AS null_array,
       llm_extract(ARRAY['x'], NULL, 'stories') AS null_array_schema,
       llm_extract(ARRAY[]::text[], '{"type": "integer"}', 'stories') AS empty_array,
       llm_extract(ARRAY[NULL, NULL]::text[], '{"type": "integer"}', 'stories') AS all_null;
SELECT llm_generate(NULL, 'stories', grammar => 'root ::= "a"') AS null_prompt,
       llm_generate('x', 'stories', max_tokens => 4, grammar => NULL, json_schema => NULL) IS NOT NULL AS nulls_are_no_grammar;

-- errors
-- GBNF that does not parse: the line and column
SELECT llm_generate('Once', 'stories', grammar => E'root ::= "yes" | "no\n');
SELECT llm_generate('Once', 'stories', grammar => E'root ::= answer\n# answers\nanswer ::= [z-a]');
SELECT llm_generate('Once', 'stories', grammar => 'root ::= missing');
SELECT llm_generate('Once', 'stories', grammar => '');
SELECT llm_chat('[{"role": "user", "content": "Hi"}]', 'stories', grammar => 'answer ::= "a"');
-- a keyword the conversion does not support: its JSON path
SELECT llm_generate('Once', 'stories', json_schema => '{"type": "object", "properties": {"a": {"type": "string", "oneOf": []}}}');
SELECT llm_extract('x', '{"type": "array", "items": {"type": "integer"}, "uniqueItems": true}', 'stories');
SELECT llm_extract(ARRAY['x'], '{"$ref": "#/$defs/missing"}', 'stories');
SELECT llm_generate(ARRAY['x'], 'stories', json_schema => '{"type": "string", "minLength": 5, "maxLength": 2}');
-- both given; a grammar with stop strings (empty ones are ignored)
SELECT llm_generate('Once', 'stories', grammar => 'root ::= "a"', json_schema => '{"type": "integer"}');
SELECT llm_chat_details('[{"role": "user", "content": "Hi"}]', 'stories', grammar => 'root ::= "a"', json_schema => '{}');
SELECT llm_generate('Once', 'stories', grammar => 'root ::= "a"', stop => ARRAY['.']);
SELECT llm_generate(ARRAY['Once'], 'stories', json_schema => '{"type": "integer"}', stop => ARRAY['.']);
SELECT llm_generate('Once', 'stories', grammar => 'root ::= "a"', stop => ARRAY['', NULL]) AS empty_stops_ignored;
-- the token budget ran out before the answer was complete: an error, never half an answer
SELECT llm_generate('Once upon a time', 'stories', max_tokens => 5,
                    json_schema => '{"type": "object", "properties": {"s": {"type": "string"}}, "required": ["s"]}');
SELECT llm_generate('Once', 'stories', max_tokens => 0, grammar => 'root ::= "a"');
SELECT llm_generate(ARRAY['Once', NULL, 'The dog'], 'stories', max_tokens => 3, grammar => 'root ::= "a" [a-z]{10}');
SELECT llm_chat('[{"role": "user", "content": "Hi"}]', 'stories', max_tokens => 2, grammar => 'root ::= [a-z]{5}');
SET llm.max_tokens = 4;
SELECT llm_extract('Tom bought a ball.', '{"type": "object", "properties": {"item": {"type": "string"}}, "required": ["item"]}', 'stories');
SELECT llm_extract(ARRAY[NULL, 'Tom bought a ball.'], '{"type": "object", "properties": {"item": {"type": "string"}}, "required": ["item"]}', 'stories');
SET llm.max_tokens = 0;
SELECT llm_extract('Tom', '{"type": "integer"}', 'stories');
RESET llm.max_tokens;
SET llm.context_size = 40;
SELECT llm_generate('Once upon a time', 'stories', max_tokens => 100, grammar => 'root ::= [a-z]{60}');
SELECT llm_extract('Tom', '{"type": "object", "properties": {"item": {"type": "string"}}, "required": ["item"]}', 'stories');
RESET llm.context_size;
-- an answer that fills the context (a call that long gives its context's memory back)
SELECT llm_extract('Tom', '{"type": "array", "items": {"type": "integer"}, "minItems": 50}', 'stories');
SELECT llm_extract('Tom', '{"type": "integer"}', 'stories') IS NOT NULL AS next_call_works;
-- the error is program_limit_exceeded, as a prompt too long for the context
-- (llm_process leaves such a row out and goes on); a bad grammar invalid_parameter_value
DO $$ BEGIN
	PERFORM llm_generate('x', 'stories', max_tokens => 2, grammar => 'root ::= "abcdefgh"');
EXCEPTION WHEN program_limit_exceeded THEN
	RAISE NOTICE 'caught: %', SQLERRM;
END $$;
DO $$ BEGIN
	PERFORM llm_generate('x', 'stories', grammar => 'root ::= (');
EXCEPTION WHEN invalid_parameter_value THEN
	RAISE NOTICE 'caught: %', SQLERRM;
END $$;
