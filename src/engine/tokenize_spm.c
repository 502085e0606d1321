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

#include "tokenize.h"

typedef struct SpmSymbol
{
	int			prev;
	int			next;
	size_t		start;			/* byte offset in the escaped text */
	size_t		len;			/* 0 once merged into its left neighbour */
} SpmSymbol;

typedef struct SpmBigram
{
	float		score;
	int			left;
	int			right;
	size_t		len;			/* combined length when it was queued */
} SpmBigram;

/* A binary max-heap of bigrams: best score first, then leftmost. */
typedef struct SpmHeap
{
	SpmBigram  *items;
	int			count;
	int			cap;
} SpmHeap;

static bool
SpmBigramBefore(const SpmBigram *a, const SpmBigram *b)
{
	if (a->score != b->score)
		return a->score > b->score;
	return a->left < b->left;
}

static bool
SpmHeapPush(SpmHeap *h, SpmBigram b)
{
	int			i;

	if (h->count == h->cap)
	{
		int			cap = h->cap ? h->cap * 2 : 64;
		SpmBigram  *items = realloc(h->items, sizeof(SpmBigram) * cap);

		if (items == NULL)
			return false;
		h->items = items;
		h->cap = cap;
	}
	i = h->count++;
	while (i > 0)
	{
		int			parent = (i - 1) / 2;

		if (!SpmBigramBefore(&b, &h->items[parent]))
			break;
		h->items[i] = h->items[parent];
		i = parent;
	}
	h->items[i] = b;
	return true;
}

static SpmBigram
SpmHeapPop(SpmHeap *h)
{
	SpmBigram	top = h->items[0];
	SpmBigram	last = h->items[--h->count];
	int			i = 0;

	for (;;)
	{
		int			child = 2 * i + 1;

		if (child >= h->count)
			break;
		if (child + 1 < h->count && SpmBigramBefore(&h->items[child + 1], &h->items[child]))
			child++;
		if (!SpmBigramBefore(&h->items[child], &last))
			break;
		h->items[i] = h->items[child];
		i = child;
	}
	if (h->count > 0)
		h->items[i] = last;
	return top;
}

typedef struct SpmState
{
	const LlmVocab *vocab;
	const char *text;
	SpmSymbol  *sym;
	SpmHeap		heap;
	bool		oom;
} SpmState;

static void
SpmTryBigram(SpmState *st, int left, int right)
{
	SpmBigram	b;
	int32_t		id;

	if (left < 0 || right < 0)
		return;
	b.len = st->sym[left].len + st->sym[right].len;
	id = LlmVocabFind(st->vocab, st->text + st->sym[left].start, b.len);
	if (id < 0)
		return;
	b.score = st->vocab->scores ? st->vocab->scores[id] : 0.0f;
	b.left = left;
	b.right = right;
	if (!SpmHeapPush(&st->heap, b))
		st->oom = true;
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

	st->sym[first].prev = -1;
	st->sym[last].next = -1;
	st->heap.count = 0;
	for (int i = first + 1; i <= last; i++)
		SpmTryBigram(st, i - 1, i);

	while (st->heap.count > 0 && !st->oom)
	{
		SpmBigram	b = SpmHeapPop(&st->heap);
		SpmSymbol  *l = &st->sym[b.left];
		SpmSymbol  *r = &st->sym[b.right];

		/* stale: one side was merged away since this pair was queued */
		if (l->len == 0 || r->len == 0 || l->len + r->len != b.len)
			continue;
		l->len += r->len;
		r->len = 0;
		l->next = r->next;
		if (r->next >= 0)
			st->sym[r->next].prev = b.left;
		SpmTryBigram(st, l->prev, b.left);
		SpmTryBigram(st, b.left, l->next);
	}
	if (st->oom)
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
	st.sym = malloc(sizeof(SpmSymbol) * n_sym);
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

	free(st.heap.items);
	free(st.sym);
	free(text);
	return status;
}
