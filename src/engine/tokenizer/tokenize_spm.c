/*-------------------------------------------------------------------------
 *
 * tokenize_spm.c
 *	  SentencePiece-style tokenization (tokenizer.ggml.model = "llama").
 *
 * The text is split into UTF-8 characters; then, repeatedly, the adjacent
 * pair whose concatenation is the highest-scoring token is merged (ties go
 * to the leftmost pair).  A final piece that is no token falls back to one
 * <0xXX> byte token per byte.  This is the order of merges llama.cpp uses,
 * which is what makes the ids identical.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tokenize.h"
#include "tokenizer/tokenize_merge.h"

typedef struct SpmState
{
	const LlmVocab *vocab;
	const char *text;
	LlmMergeSymbol *sym;
	LlmMergeQueue queue;
} SpmState;

/* Symbols merge when together they are a token; the higher its score, the sooner. */
static bool
SpmPriority(void *arg, const LlmMergeSymbol *left, const LlmMergeSymbol *right,
			double *priority)
{
	const SpmState *st = arg;
	int32_t		id = LlmVocabFind(st->vocab, st->text + left->start,
								  left->len + right->len);

	if (id < 0)
		return false;
	*priority = st->vocab->scores ? st->vocab->scores[id] : 0.0f;
	return true;
}

/* Length of the UTF-8 sequence a lead byte starts (1 for stray bytes). */
static size_t
SpmUtf8Len(uint8_t c)
{
	static const uint8_t lookup[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};

	return lookup[c >> 4];
}

static bool
SpmIsSpace(const SpmState *st, int i)
{
	return st->sym[i].len == 3 && memcmp(st->text + st->sym[i].start, "\xe2\x96\x81", 3) == 0;
}

/* Merge the symbols [first, last] and append their tokens. */
static LlmStatus
SpmTokenizeSegment(SpmState *st, int first, int last, LlmTokenBuf *out, LlmError *err)
{
	const LlmVocab *vocab = st->vocab;
	LlmStatus	status = LLM_OK;

	if (!LlmMergeSymbols(&st->queue, st->sym, first, last, SpmPriority, st))
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory tokenizing");

	for (int i = first; status == LLM_OK && i >= 0; i = st->sym[i].next)
	{
		const char *piece = st->text + st->sym[i].start;
		int32_t		id = LlmVocabFind(vocab, piece, st->sym[i].len);

		if (id >= 0)
		{
			status = LlmTokenBufPush(out, id, err);
			continue;
		}
		/* a piece that is no token: one <0xXX> token per byte */
		for (size_t j = 0; j < st->sym[i].len && status == LLM_OK; j++)
		{
			int32_t		byte_id = vocab->byte_token[(uint8_t) piece[j]];

			if (byte_id < 0)
				byte_id = vocab->unk_id;
			if (byte_id >= 0)
				status = LlmTokenBufPush(out, byte_id, err);
		}
	}
	return status;
}

LlmStatus
LlmTokenizeSpm(const LlmVocab *vocab, const char *raw, size_t raw_len,
			   bool add_prefix, LlmTokenBuf *out, LlmError *err)
{
	static const char space_marker[] = "\xe2\x96\x81";	/* U+2581 */
	SpmState	st = {0};
	char	   *text;
	size_t		len = 0;
	int			n_sym = 0;
	int			first = 0;
	LlmStatus	status = LLM_OK;

	if (raw_len == 0)
		return LLM_OK;
	if (raw_len >= INT32_MAX / 4)
		return LlmSetError(err, LLM_ERR_ARGUMENT, "text of %zu bytes is too long to tokenize",
						   raw_len);

	/* leading space (if the caller wants one), then every ' ' becomes U+2581 */
	text = malloc(3 * (raw_len + 1));
	if (text == NULL)
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory tokenizing %zu bytes", raw_len);
	if (add_prefix)
	{
		memcpy(text, space_marker, 3);
		len = 3;
	}
	for (size_t i = 0; i < raw_len; i++)
	{
		if (raw[i] == ' ')
		{
			memcpy(text + len, space_marker, 3);
			len += 3;
		}
		else
			text[len++] = raw[i];
	}

	/*
	 * Characters by their lead byte; a stray lead byte may swallow part of
	 * an escaped space, so count before allocating.
	 */
	for (size_t off = 0; off < len; n_sym++)
		off += SpmUtf8Len((uint8_t) text[off]);
	st.sym = malloc(sizeof(LlmMergeSymbol) * n_sym);
	if (st.sym == NULL)
	{
		free(text);
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory tokenizing %zu bytes", raw_len);
	}
	n_sym = 0;
	for (size_t off = 0; off < len;)
	{
		size_t		n = SpmUtf8Len((uint8_t) text[off]);

		if (n > len - off)
			n = len - off;
		st.sym[n_sym].prev = n_sym - 1;
		st.sym[n_sym].next = off + n < len ? n_sym + 1 : -1;
		st.sym[n_sym].start = off;
		st.sym[n_sym].len = n;
		n_sym++;
		off += n;
	}
	st.vocab = vocab;
	st.text = text;

	/*
	 * When no token has U+2581 after its first character (except runs of
	 * U+2581 alone), no merge can join a character to a U+2581 after it:
	 * the text falls apart into words that merge independently, and the
	 * order of merges inside each word is the same as over the whole text.
	 * Small heaps instead of one over the whole input.
	 */
	for (int i = 1; i <= n_sym && status == LLM_OK; i++)
	{
		if (i < n_sym &&
			!(vocab->spm_words && SpmIsSpace(&st, i) && !SpmIsSpace(&st, i - 1)))
			continue;
		status = SpmTokenizeSegment(&st, first, i - 1, out, err);
		first = i;
	}

	free(st.queue.items);
	free(st.sym);
	free(text);
	return status;
}
