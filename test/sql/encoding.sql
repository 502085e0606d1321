-- a database that is not UTF-8: text is converted both ways, and what the
-- encoding cannot hold comes back as "?" instead of an error
CREATE DATABASE llm_latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
\c llm_latin1
CREATE EXTENSION llm;
INSERT INTO llm_models (name, path) VALUES ('stories', '/tmp/llm-fixtures/stories260K.gguf');
-- é is one LATIN1 byte but two UTF-8 bytes: the model sees UTF-8
SELECT llm_tokenize(E'caf\u00e9', 'stories') AS latin1_tokens;
SELECT llm_detokenize(llm_tokenize(E'caf\u00e9', 'stories'), 'stories') = E'caf\u00e9' AS round_trip;
-- U+65E5 (bytes e6 97 a5 as tokens 233 154 168) has no LATIN1 form
SELECT llm_detokenize(ARRAY[233, 154, 168, 36], 'stories') AS cjk_in_latin1;
SELECT llm_generate('', 'stories', max_tokens => 8) AS generates;
\c contrib_regression
DROP DATABASE llm_latin1;
-- the same text in this UTF-8 database gives the same ids
SELECT llm_tokenize(E'caf\u00e9', 'stories') AS utf8_tokens;
