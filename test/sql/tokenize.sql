-- llm_tokenize, llm_detokenize, llm_token_count
SELECT llm_tokenize('Once upon a time, there was a little girl named Lily.', 'stories');

-- equal to llm-cli tokenize on the same model and text
SELECT array_to_string(llm_tokenize('Once upon a time, there was a little girl named Lily.', 'stories'), ' ')
	= rtrim(pg_read_file('/tmp/llm-fixtures/cli-tokenize.txt'), E'\n') AS same_as_cli;
SELECT array_to_string(llm_tokenize('Once upon a time, there was a little girl named Lily.', 'qwen'), ' ')
	= rtrim(pg_read_file('/tmp/llm-fixtures/cli-tokenize-qwen.txt'), E'\n') AS same_as_cli_qwen;

SELECT llm_token_count('Once upon a time, there was a little girl named Lily.', 'stories');
SELECT llm_detokenize(llm_tokenize('Once upon a time, there was a little girl named Lily.', 'stories'), 'stories');

-- round trips, including characters the vocabulary only has bytes for
SELECT what, llm_detokenize(llm_tokenize(t, 'stories'), 'stories') = t AS round_trip
FROM (VALUES ('empty', ''), ('spaces', '  leading and trailing  '),
             ('unicode', E'caf\u00e9 \u65e5\u672c \U0001F600 e\u0301'),
             ('controls', E'tab\tnew\nline\r\u0001'), ('long', repeat('long text ', 500))) AS v(what, t);

-- special-token text is plain text here
SELECT (llm_tokenize('<s></s>', 'stories'))[1] = 1 AS bos_then_text,
       cardinality(llm_tokenize('<s></s>', 'stories')) > 2 AS not_control_tokens;

SELECT llm_tokenize(NULL, 'stories') IS NULL, llm_detokenize(NULL, 'stories') IS NULL,
       llm_token_count(NULL, 'stories') IS NULL;
SELECT llm_token_count('', 'stories') AS just_bos;
SELECT llm_detokenize(ARRAY[]::int[], 'stories') = '' AS empty;
SELECT llm_detokenize(ARRAY[1, 2], 'stories') = '' AS control_tokens_have_no_text;

-- bytes that are not valid UTF-8 on their own come back as U+FFFD
SELECT llm_detokenize(ARRAY[200], 'stories') = E'\uFFFD' AS replacement_char;

-- errors
SELECT llm_detokenize(ARRAY[100000], 'stories');
SELECT llm_detokenize(ARRAY[-1], 'stories');
SELECT llm_detokenize(ARRAY[5, NULL], 'stories');
SELECT llm_detokenize(ARRAY[[1, 2], [3, 4]], 'stories');
