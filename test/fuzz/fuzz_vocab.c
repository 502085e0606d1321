/*-------------------------------------------------------------------------
 *
 * fuzz_vocab.c
 *	  libFuzzer harness of vocabulary loading: mutated vocabulary GGUFs
 *	  through LlmVocabLoad, then tokenizing with what it accepted.
 *
 * A vocabulary comes from a file the engine does not trust: token texts,
 * scores, types, merges, special ids and Unigram's precompiled charsmap
 * are all the file's.  LlmVocabLoad must refuse what it cannot use with an
 * error; a vocabulary it accepts must tokenize and detokenize any text
 * without crashing, give ids inside the vocabulary, and tokenize the same
 * through its shared-memory image (LlmVocabImageWrite, LlmVocabAttach),
 * which is how a backend uses a model of the shared pool.
 *
 * Seeds: trimmed copies of every vocabulary of ../shared/vocab (seeds.c
 * writes them: a few thousand tokens each, so that mutations hit the
 * tables rather than megabytes of token texts).
 *
 *-------------------------------------------------------------------------
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "gguf.h"
#include "tokenizer/vocab.h"

/* texts that reach every tokenizer's corners: spaces, specials, UTF-8 */
static const char *const texts[] = {
	"",
	" ",
	"Hello world",
	"  leading spaces and\ttabs\n\nnewlines   ",
	"<s></s><unk><|im_start|>user\nhi<|im_end|>[CLS] x [SEP]<bos><eos>",
	"caf\xc3\xa9 \xe2\x96\x81 \xf0\x9f\x98\x80 \xe4\xb8\xad\xe6\x96\x87 \xef\xbc\xa1",
	"\xff\xfe\x80 invalid \xc3 utf8 \xed\xa0\x80",
	"1234567890 3.14159 don't we'll I'M",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
};

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Tokenize and detokenize one text; the ids (malloc'd) in *ids, or NULL. */
static void
RoundTrip(const LlmVocab *vocab, const char *text, size_t len, bool special,
		  int32_t **ids_out, int *n_out)
{
	int32_t    *ids = NULL;
	int			n = 0;
	char	   *back = NULL;
	size_t		back_len = 0;
	LlmError	err;

	*ids_out = NULL;
	*n_out = -1;
	if (LlmTokenize(vocab, text, len, true, special, &ids, &n, &err) != LLM_OK)
		return;
	for (int i = 0; i < n; i++)
		FUZZ_CHECK(ids[i] >= 0 && ids[i] < vocab->n_tokens,
				   "token %d is id %d of %d", i, ids[i], vocab->n_tokens);
	if (LlmDetokenize(vocab, ids, n, true, &back, &back_len, &err) == LLM_OK)
	{
		FUZZ_CHECK(back[back_len] == '\0', "detokenized text not terminated");
		free(back);
	}
	*ids_out = ids;
	*n_out = n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GgufFile   *gguf;
	LlmVocab   *vocab = NULL;
	LlmVocab   *attached = NULL;
	void	   *image = NULL;
	size_t		image_size;
	LlmError	err;

	if (GgufOpenMemory(data, size, &gguf, &err) != LLM_OK)
		return 0;
	if (LlmVocabLoad(gguf, &vocab, &err) != LLM_OK)
	{
		FUZZ_CHECK(vocab == NULL, "a failed load left a vocabulary");
		GgufClose(gguf);
		return 0;
	}
	FUZZ_CHECK(vocab->n_tokens > 0, "%d tokens", vocab->n_tokens);
	(void) LlmVocabMaxTokenBytes(vocab);
	for (int32_t id = -1; id <= vocab->n_tokens; id++)
		(void) LlmVocabIsEog(vocab, id);
	for (int i = 0; i < vocab->n_tokens && i < 64; i++)
		FUZZ_CHECK(LlmVocabFind(vocab, vocab->text[i].data, vocab->text[i].len) >= 0,
				   "token %d's text is not found", i);

	/* the shared-memory image: same tokens as the vocabulary it came from */
	image_size = LlmVocabImageSize(vocab);
	if (posix_memalign(&image, 64, image_size) != 0)
		abort();
	LlmVocabImageWrite(vocab, image);
	FUZZ_CHECK(LlmVocabAttach(gguf, image, image_size, &attached, &err) == LLM_OK,
			   "attaching the image of a loaded vocabulary: %s", err.message);

	for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++)
		for (int special = 0; special <= 1; special++)
		{
			int32_t    *a,
					   *b;
			int			na,
						nb;

			RoundTrip(vocab, texts[t], strlen(texts[t]), special, &a, &na);
			RoundTrip(attached, texts[t], strlen(texts[t]), special, &b, &nb);
			FUZZ_CHECK(na == nb && (na <= 0 || memcmp(a, b, na * sizeof(int32_t)) == 0),
					   "text %zu: %d tokens loaded, %d attached", t, na, nb);
			free(a);
			free(b);
		}

	LlmVocabFree(attached);
	free(image);
	LlmVocabFree(vocab);
	GgufClose(gguf);
	return 0;
}
