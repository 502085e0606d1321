/*-------------------------------------------------------------------------
 *
 * fuzz_tokenize.c
 *	  libFuzzer harness of the tokenizers: arbitrary bytes as text through
 *	  LlmTokenize and back through LlmDetokenize, with real vocabularies.
 *
 * Input: byte 0 picks one of the vocabularies of fuzz.h (SPM, BPE and its
 * pre-tokenizers, WordPiece, Unigram, Gemma 4), byte 1 holds flags, the
 * rest is the text (any bytes: invalid UTF-8, NULs, special-token texts).
 *
 * Beyond not crashing, the tokenizer must keep its promises: every id in
 * the vocabulary, at least len / LlmVocabMaxTokenBytes tokens for the
 * tokenizers that give such a bound (the SQL layer refuses long inputs by
 * it), and detokenizing gives a NUL-terminated text of the stated length;
 * arbitrary token ids are refused or rendered, never read out of bounds.
 *
 *-------------------------------------------------------------------------
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "gguf.h"
#include "tokenizer/vocab.h"

#define FLAG_ADD_BOS		0x01
#define FLAG_PARSE_SPECIAL	0x02
#define FLAG_STARTS_TEXT	0x04
#define FLAG_RAW_IDS		0x08	/* also detokenize the text's bytes as ids */

static GgufFile *files[FUZZ_N_VOCABS];
static LlmVocab *vocabs[FUZZ_N_VOCABS];
static size_t max_bytes[FUZZ_N_VOCABS];

int			LLVMFuzzerInitialize(int *argc, char ***argv);
int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	LlmError	err;

	for (int i = 0; i < FUZZ_N_VOCABS; i++)
	{
		const char *path = FuzzSharedPath(fuzz_vocabs[i]);

		if (GgufOpen(path, &files[i], &err) != LLM_OK ||
			LlmVocabLoad(files[i], &vocabs[i], &err) != LLM_OK)
			FuzzDie(path, err.message);
		max_bytes[i] = LlmVocabMaxTokenBytes(vocabs[i]);
	}
	return 0;
}

static void
Detokenize(const LlmVocab *vocab, const int32_t *ids, int n, bool starts_text,
		   bool must_succeed)
{
	char	   *text = NULL;
	size_t		len = 0;
	LlmError	err;

	if (LlmDetokenize(vocab, ids, n, starts_text, &text, &len, &err) != LLM_OK)
	{
		FUZZ_CHECK(!must_succeed, "detokenizing valid ids failed: %s", err.message);
		return;
	}
	FUZZ_CHECK(text != NULL && text[len] == '\0', "detokenized text not terminated at its length");
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const LlmVocab *vocab;
	int			which;
	uint8_t		flags;
	const char *text;
	size_t		len;
	int32_t    *ids = NULL;
	int			n = 0;
	LlmError	err;
	LlmStatus	s;

	if (size < 2)
		return 0;
	which = data[0] % FUZZ_N_VOCABS;
	vocab = vocabs[which];
	flags = data[1];
	text = (const char *) data + 2;
	len = size - 2;

	s = LlmTokenize(vocab, text, len, (flags & FLAG_ADD_BOS) != 0,
					(flags & FLAG_PARSE_SPECIAL) != 0, &ids, &n, &err);
	if (s != LLM_OK)
	{
		/* only a resource can fail: any text has a tokenization */
		FUZZ_CHECK(s == LLM_ERR_NOMEM, "tokenizing failed: %s", err.message);
		return 0;
	}
	FUZZ_CHECK(n >= 0 && (n == 0 || ids != NULL), "%d tokens, ids %p", n, (void *) ids);
	for (int i = 0; i < n; i++)
		FUZZ_CHECK(ids[i] >= 0 && ids[i] < vocab->n_tokens,
				   "token %d is id %d of %d", i, ids[i], vocab->n_tokens);
	if (max_bytes[which] > 0 && !(flags & FLAG_PARSE_SPECIAL))
		FUZZ_CHECK((size_t) n * max_bytes[which] >= len,
				   "%zu bytes in %d tokens of at most %zu bytes each",
				   len, n, max_bytes[which]);
	Detokenize(vocab, ids, n, (flags & FLAG_STARTS_TEXT) != 0, true);
	free(ids);

	if (flags & FLAG_RAW_IDS)
	{
		int			n_raw = (int) (len / sizeof(int32_t));
		int32_t    *raw = malloc((n_raw + 1) * sizeof(int32_t));

		if (raw == NULL)
			abort();
		memcpy(raw, text, n_raw * sizeof(int32_t));
		/* as they are (negative, past the end): refused or rendered */
		Detokenize(vocab, raw, n_raw, (flags & FLAG_STARTS_TEXT) != 0, false);
		/* folded into the vocabulary: every sequence of ids has a text */
		for (int i = 0; i < n_raw; i++)
			raw[i] = (int32_t) ((uint32_t) raw[i] % (uint32_t) vocab->n_tokens);
		Detokenize(vocab, raw, n_raw, (flags & FLAG_STARTS_TEXT) != 0, true);
		free(raw);
	}
	return 0;
}
