/*-------------------------------------------------------------------------
 *
 * tokenize_special.c
 *	  Finding special tokens (control, user-defined, unknown) in the text
 *	  before it is tokenized, as llama.cpp's tokenizer_st_partition does.
 *
 * llama.cpp takes the special tokens longest first and, for each one,
 * splits every remaining text fragment at its leftmost non-overlapping
 * occurrences; a token with the lstrip/rstrip attribute also eats the
 * whitespace next to it.  Doing literally that costs one scan of the text
 * per special token (hundreds for Llama 3 or Qwen).  Here the text is
 * scanned once for every occurrence of every special token, and the
 * occurrences are then replayed in llama.cpp's order over a per-byte state
 * (still text, taken by a token, eaten by a strip): an occurrence is taken
 * when all its bytes are still text, which is exactly when llama.cpp's
 * search inside one fragment would find it.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tokenize.h"

typedef struct SpecialHit
{
	int			order;			/* index in vocab->special */
	size_t		pos;
} SpecialHit;

typedef struct SpecialTaken
{
	size_t		pos;
	int32_t		id;
} SpecialTaken;

enum
{
	BYTE_TEXT = 0,
	BYTE_TOKEN,
	BYTE_STRIPPED
};

/* the whitespace of C's isspace() in the "C" locale, as llama.cpp uses */
static inline bool
SpecialIsSpace(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int
SpecialHitCmp(const void *a, const void *b)
{
	const SpecialHit *x = a;
	const SpecialHit *y = b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int
SpecialTakenCmp(const void *a, const void *b)
{
	const SpecialTaken *x = a;
	const SpecialTaken *y = b;

	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static bool
SpecialEligible(const LlmVocab *vocab, int32_t id, bool parse_special)
{
	uint8_t		a = vocab->attr[id];

	/* user-defined tokens are matched even in plain text, as in llama.cpp */
	return parse_special || (a != LLM_TOKEN_CONTROL && a != LLM_TOKEN_UNKNOWN);
}

static uint32_t
SpecialHash(const char *s, size_t len)
{
	uint32_t	h = 2166136261u;	/* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t) s[i]) * 16777619u;
	return h;
}

/* Index in vocab->special of the special token with this text, or -1. */
static int
SpecialLookupIn(const LlmVocab *vocab, const LlmSpecialIndex *ix, const char *text, size_t len)
{
	for (uint32_t slot = SpecialHash(text, len) & ix->mask; ix->slots[slot] >= 0;
		 slot = (slot + 1) & ix->mask)
	{
		GgufString	t = vocab->text[vocab->special[ix->slots[slot]].id];

		if (t.len == len && memcmp(t.data, text, len) == 0)
			return ix->slots[slot];
	}
	return -1;
}

/*
 * Every occurrence of an eligible special token, in no particular order.
 * At each position whose first byte starts some special token, every
 * special token length is looked up.
 */
static LlmStatus
SpecialFindAll(const LlmVocab *vocab, const char *text, size_t len,
			   bool parse_special, SpecialHit **hits, int *n_hits, LlmError *err)
{
	const LlmSpecialIndex *ix = vocab->special_index;
	SpecialHit *h = NULL;
	int			n = 0;
	int			cap = 0;

	*hits = NULL;
	*n_hits = 0;
	for (size_t pos = 0; pos < len; pos++)
	{
		uint8_t		c = (uint8_t) text[pos];

		if (!(ix->first_byte[c >> 3] & (1 << (c & 7))))
			continue;
		for (int l = 0; l < ix->n_lengths; l++)
		{
			size_t		tl = ix->lengths[l];
			int			order;

			if (tl > len - pos)
				continue;
			order = SpecialLookupIn(vocab, ix, text + pos, tl);
			if (order < 0 || !SpecialEligible(vocab, vocab->special[order].id, parse_special))
				continue;
			if (n == cap)
			{
				int			ncap = cap ? cap * 2 : 16;
				SpecialHit *grown = realloc(h, sizeof(SpecialHit) * ncap);

				if (grown == NULL)
				{
					free(h);
					return LlmSetError(err, LLM_ERR_NOMEM, "out of memory finding special tokens");
				}
				h = grown;
				cap = ncap;
			}
			h[n].order = order;
			h[n].pos = pos;
			n++;
		}
	}
	*hits = h;
	*n_hits = n;
	return LLM_OK;
}

static bool
FragPush(LlmFragment **frags, int *n, int *cap, size_t start, size_t len, int32_t token)
{
	if (*n == *cap)
	{
		int			ncap = *cap ? *cap * 2 : 16;
		LlmFragment *grown = realloc(*frags, sizeof(LlmFragment) * ncap);

		if (grown == NULL)
			return false;
		*frags = grown;
		*cap = ncap;
	}
	(*frags)[*n].start = start;
	(*frags)[*n].len = len;
	(*frags)[*n].token = token;
	(*n)++;
	return true;
}

LlmStatus
LlmSplitSpecial(const LlmVocab *vocab, const char *text, size_t len,
				bool parse_special, LlmFragment **frags, int *n_frags,
				LlmError *err)
{
	SpecialHit *hits = NULL;
	int			n_hits = 0;
	uint8_t    *state = NULL;
	SpecialTaken *taken = NULL;
	int			n_taken = 0;
	LlmFragment *f = NULL;
	int			n = 0;
	int			cap = 0;
	size_t		cur = 0;
	LlmStatus	status;

	*frags = NULL;
	*n_frags = 0;
	if (len == 0)
		return LLM_OK;
	if (vocab->n_special > 0 &&
		(status = SpecialFindAll(vocab, text, len, parse_special, &hits, &n_hits, err)) != LLM_OK)
		return status;
	if (n_hits == 0)
	{
		free(hits);
		if (!FragPush(&f, &n, &cap, 0, len, -1))
			return LlmSetError(err, LLM_ERR_NOMEM, "out of memory splitting the text");
		*frags = f;
		*n_frags = n;
		return LLM_OK;
	}

	/* replay: token by token in llama.cpp's order, each leftmost first */
	qsort(hits, n_hits, sizeof(SpecialHit), SpecialHitCmp);
	state = calloc(len, 1);
	taken = malloc(sizeof(SpecialTaken) * n_hits);
	if (state == NULL || taken == NULL)
	{
		status = LlmSetError(err, LLM_ERR_NOMEM, "out of memory splitting the text");
		goto done;
	}
	for (int i = 0; i < n_hits; i++)
	{
		const LlmSpecialToken *st = &vocab->special[hits[i].order];
		size_t		pos = hits[i].pos;
		size_t		tl = vocab->text[st->id].len;
		bool		free_run = true;

		for (size_t j = pos; j < pos + tl && free_run; j++)
			free_run = state[j] == BYTE_TEXT;
		if (!free_run)
			continue;
		memset(state + pos, BYTE_TOKEN, tl);
		taken[n_taken].pos = pos;
		taken[n_taken].id = st->id;
		n_taken++;
		if (st->strip & LLM_TOKEN_LSTRIP)
			for (size_t j = pos; j > 0 && state[j - 1] == BYTE_TEXT && SpecialIsSpace(text[j - 1]); j--)
				state[j - 1] = BYTE_STRIPPED;
		if (st->strip & LLM_TOKEN_RSTRIP)
			for (size_t j = pos + tl; j < len && state[j] == BYTE_TEXT && SpecialIsSpace(text[j]); j++)
				state[j] = BYTE_STRIPPED;
	}

	/* the fragments in text order: text runs between the taken tokens */
	qsort(taken, n_taken, sizeof(SpecialTaken), SpecialTakenCmp);
	status = LLM_OK;
	for (int i = 0; i <= n_taken && status == LLM_OK; i++)
	{
		size_t		stop = i < n_taken ? taken[i].pos : len;

		while (cur < stop && status == LLM_OK)
		{
			size_t		run;

			if (state[cur] != BYTE_TEXT)
			{
				cur++;
				continue;
			}
			for (run = cur; run < stop && state[run] == BYTE_TEXT; run++)
				;
			if (!FragPush(&f, &n, &cap, cur, run - cur, -1))
				status = LlmSetError(err, LLM_ERR_NOMEM, "out of memory splitting the text");
			cur = run;
		}
		if (i < n_taken && status == LLM_OK)
		{
			int32_t		id = taken[i].id;

			if (!FragPush(&f, &n, &cap, stop, vocab->text[id].len, id))
				status = LlmSetError(err, LLM_ERR_NOMEM, "out of memory splitting the text");
			cur = stop + vocab->text[id].len;
		}
	}

done:
	free(hits);
	free(state);
	free(taken);
	if (status != LLM_OK)
	{
		free(f);
		return status;
	}
	*frags = f;
	*n_frags = n;
	return LLM_OK;
}

void
LlmSpecialIndexFree(LlmSpecialIndex *ix)
{
	if (ix == NULL)
		return;
	free(ix->lengths);
	free(ix->slots);
	free(ix);
}

LlmStatus
LlmSpecialIndexBuild(const LlmVocab *vocab, LlmSpecialIndex **out, LlmError *err)
{
	LlmSpecialIndex *ix = calloc(1, sizeof(LlmSpecialIndex));
	uint32_t	size = 16;

	*out = NULL;
	while (size < (uint32_t) vocab->n_special * 2)
		size <<= 1;
	if (ix != NULL)
	{
		ix->mask = size - 1;
		ix->slots = malloc(sizeof(int32_t) * size);
		ix->lengths = malloc(sizeof(uint32_t) * (vocab->n_special + 1));
	}
	if (ix == NULL || ix->slots == NULL || ix->lengths == NULL)
	{
		LlmSpecialIndexFree(ix);
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory indexing special tokens");
	}
	memset(ix->slots, 0xff, sizeof(int32_t) * size);
	for (int k = 0; k < vocab->n_special; k++)
	{
		GgufString	t = vocab->text[vocab->special[k].id];
		uint8_t		c = (uint8_t) t.data[0];
		uint32_t	slot;
		int			l;

		ix->first_byte[c >> 3] |= (uint8_t) (1 << (c & 7));
		for (l = 0; l < ix->n_lengths && ix->lengths[l] != t.len; l++)
			;
		if (l == ix->n_lengths)
			ix->lengths[ix->n_lengths++] = (uint32_t) t.len;
		/* a repeated text: the one first in the list takes every match */
		if (SpecialLookupIn(vocab, ix, t.data, t.len) >= 0)
			continue;
		for (slot = SpecialHash(t.data, t.len) & ix->mask; ix->slots[slot] >= 0;
			 slot = (slot + 1) & ix->mask)
			;
		ix->slots[slot] = k;
	}
	*out = ix;
	return LLM_OK;
}
