/*-------------------------------------------------------------------------
 *
 * tokenize_bpe.c
 *	  Byte-level BPE tokenization (tokenizer.ggml.model = "gpt2").
 *
 * The text is decoded to code points and split into words by the model's
 * pre-tokenizer (pretokenize.c).  Each word's UTF-8 bytes are written in
 * GPT-2's byte alphabet (every byte becomes one printable code point, the
 * alphabet the token texts and merges use); then, repeatedly, the adjacent
 * pair with the lowest merge rank is merged, ties going to the leftmost
 * pair, until no pair has a rank.  This is llama.cpp's llm_tokenizer_bpe
 * order of merges, which is what makes the ids identical.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tokenize.h"
#include "tokenizer/tokenize_merge.h"
#include "tokenizer/unicode.h"

/* ---- GPT-2's byte alphabet ---- */

/*
 * Printable bytes ('!'..'~', 0xA1..0xAC, 0xAE..0xFF) stand for
 * themselves; the other 68 take the code points 256.. in byte order:
 * 0x00..0x20 first, then 0x7F..0xA0, then 0xAD.
 */
uint32_t
LlmBpeByteToCpt(uint8_t b)
{
	if ((b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE)
		return b;
	if (b <= 0x20)
		return 256 + b;
	if (b <= 0xA0)
		return 256 + 33 + (b - 0x7F);
	return 256 + 67;			/* 0xAD */
}

int
LlmBpeCptToByte(uint32_t cpt)
{
	if ((cpt >= 0x21 && cpt <= 0x7E) || (cpt >= 0xA1 && cpt <= 0xAC) ||
		(cpt >= 0xAE && cpt <= 0xFF))
		return (int) cpt;
	if (cpt >= 256 && cpt <= 256 + 32)
		return (int) (cpt - 256);
	if (cpt >= 256 + 33 && cpt <= 256 + 66)
		return (int) (cpt - 256 - 33 + 0x7F);
	if (cpt == 256 + 67)
		return 0xAD;
	return -1;
}

/* ---- merges: (left, right) -> rank ---- */


/* FNV-1a of "left right": the hash a merge string has in the table */
static uint32_t
BpePairHash(const char *left, size_t left_len, const char *right, size_t right_len)
{
	uint32_t	h = 2166136261u;

	for (size_t i = 0; i < left_len; i++)
		h = (h ^ (uint8_t) left[i]) * 16777619u;
	h = (h ^ (uint8_t) ' ') * 16777619u;
	for (size_t i = 0; i < right_len; i++)
		h = (h ^ (uint8_t) right[i]) * 16777619u;
	return h;
}

static bool
BpeMergeIs(const LlmBpeMerges *m, int32_t rank, const char *left, size_t left_len,
		   const char *right, size_t right_len)
{
	const GgufString *t = &m->text[rank];
	uint32_t	split = m->split[rank];

	return split == left_len && t->len == left_len + 1 + right_len &&
		memcmp(t->data, left, left_len) == 0 &&
		memcmp(t->data + left_len + 1, right, right_len) == 0;
}

int32_t
LlmBpeRank(const LlmBpeMerges *m, const char *left, size_t left_len,
		   const char *right, size_t right_len)
{
	uint32_t	h = BpePairHash(left, left_len, right, right_len);

	for (uint32_t slot = h & m->mask; m->slots[slot] >= 0; slot = (slot + 1) & m->mask)
		if (m->slot_hash[slot] == h &&
			BpeMergeIs(m, m->slots[slot], left, left_len, right, right_len))
			return m->slots[slot];
	return -1;
}

void
LlmBpeMergesFree(LlmBpeMerges *m)
{
	if (m == NULL)
		return;
	free(m->split);
	free(m->slots);
	free(m->slot_hash);
	free(m);
}

LlmStatus
LlmBpeMergesLoad(const GgufKV *kv, LlmBpeMerges **out, LlmError *err)
{
	uint64_t	n = kv->v.arr.len;
	uint32_t	size = 16;
	LlmBpeMerges *m;

	*out = NULL;
	if (n > INT32_MAX / 4)
		return LlmSetError(err, LLM_ERR_FORMAT, "tokenizer.ggml.merges has %llu entries",
						   (unsigned long long) n);
	while (size < n * 2)
		size <<= 1;
	m = calloc(1, sizeof(LlmBpeMerges));
	if (m == NULL)
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory loading the merges");
	m->text = kv->v.arr.strings;
	m->n = (uint32_t) n;
	m->mask = size - 1;
	m->split = malloc(sizeof(uint32_t) * (n ? n : 1));
	m->slots = malloc(sizeof(int32_t) * size);
	m->slot_hash = malloc(sizeof(uint32_t) * size);
	if (m->split == NULL || m->slots == NULL || m->slot_hash == NULL)
	{
		LlmBpeMergesFree(m);
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory loading the merges");
	}
	memset(m->slots, 0xff, sizeof(int32_t) * size);

	for (uint64_t i = 0; i < n; i++)
	{
		GgufString	t = m->text[i];
		const char *space = t.len > 1 ? memchr(t.data + 1, ' ', t.len - 1) : NULL;
		size_t		left_len;
		uint32_t	h;
		uint32_t	slot;

		/* llama.cpp splits at the first space after the first byte */
		m->split[i] = UINT32_MAX;
		if (space == NULL)
			continue;			/* a pair of empty strings: never matches */
		left_len = (size_t) (space - t.data);
		m->split[i] = (uint32_t) left_len;
		h = BpePairHash(t.data, left_len, space + 1, t.len - left_len - 1);
		/* the first rank of a repeated pair wins, as with emplace */
		if (LlmBpeRank(m, t.data, left_len, space + 1, t.len - left_len - 1) >= 0)
			continue;
		for (slot = h & m->mask; m->slots[slot] >= 0; slot = (slot + 1) & m->mask)
			;
		m->slots[slot] = (int32_t) i;
		m->slot_hash[slot] = h;
	}
	*out = m;
	return LLM_OK;
}

/* ---- merging one word ---- */

typedef struct BpeSession
{
	const LlmVocab *vocab;
	const LlmPreText *text;
	LlmTokenBuf *out;

	char	   *word;			/* the word in the byte alphabet */
	size_t		word_cap;
	LlmMergeSymbol *sym;
	size_t		sym_cap;
	LlmMergeQueue queue;
} BpeSession;

/* Symbols merge when the merges list the pair; the lower its rank, the sooner. */
static bool
BpePriority(void *arg, const LlmMergeSymbol *left, const LlmMergeSymbol *right,
			double *priority)
{
	const BpeSession *s = arg;
	int32_t		rank = LlmBpeRank(s->vocab->merges, s->word + left->start, left->len,
							   s->word + right->start, right->len);

	if (rank < 0)
		return false;
	*priority = -(double) rank;
	return true;
}

static bool
BpeGrow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t		c = *cap ? *cap : 64;
	void	   *q;

	if (need <= *cap)
		return true;
	while (c < need)
		c *= 2;
	q = realloc(*p, c * elem);
	if (q == NULL)
		return false;
	*p = q;
	*cap = c;
	return true;
}

/* Tokens of one symbol; unknown text falls back to single-byte tokens. */
static LlmStatus
BpeEmitSymbol(BpeSession *s, const char *text, size_t len, LlmError *err)
{
	int32_t		id = LlmVocabFind(s->vocab, text, len);
	LlmStatus	status = LLM_OK;

	if (id >= 0)
		return LlmTokenBufPush(s->out, id, err);
	/* llama.cpp looks each byte up as a one-byte text and skips misses */
	for (size_t i = 0; i < len && status == LLM_OK; i++)
	{
		id = LlmVocabFind(s->vocab, text + i, 1);
		if (id >= 0)
			status = LlmTokenBufPush(s->out, id, err);
	}
	return status;
}

static LlmStatus
BpeWord(void *arg, size_t start, size_t end, LlmError *err)
{
	BpeSession *s = arg;
	const LlmPreText *t = s->text;
	size_t		n_bytes = 0;
	int			n_sym = 0;
	LlmStatus	status = LLM_OK;

	/* at most 4 UTF-8 bytes per code point, 2 per byte in the alphabet */
	if (!BpeGrow((void **) &s->word, &s->word_cap, 8 * (end - start), 1) ||
		!BpeGrow((void **) &s->sym, &s->sym_cap, 4 * (end - start), sizeof(LlmMergeSymbol)))
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory tokenizing a word of %zu characters",
						   end - start);
	for (size_t i = start; i < end; i++)
	{
		char		utf8[4];
		int			k = LlmUtf8Encode(t->cpt[i], utf8);

		for (int j = 0; j < k; j++)
		{
			uint32_t	cpt = LlmBpeByteToCpt((uint8_t) utf8[j]);
			LlmMergeSymbol *sym = &s->sym[n_sym];

			sym->prev = n_sym - 1;
			sym->next = n_sym + 1;
			sym->start = n_bytes;
			sym->len = (size_t) LlmUtf8Encode(cpt, s->word + n_bytes);
			n_bytes += sym->len;
			n_sym++;
		}
	}
	s->sym[n_sym - 1].next = -1;

	/* Llama 3: a word that is a token is not merged at all */
	if (s->vocab->pre->ignore_merges)
	{
		int32_t		id = LlmVocabFind(s->vocab, s->word, n_bytes);

		if (id >= 0)
			return LlmTokenBufPush(s->out, id, err);
	}

	if (!LlmMergeSymbols(&s->queue, s->sym, 0, n_sym - 1, BpePriority, s))
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory tokenizing a word of %zu characters",
						   end - start);

	for (int i = 0; i >= 0 && status == LLM_OK; i = s->sym[i].next)
		status = BpeEmitSymbol(s, s->word + s->sym[i].start, s->sym[i].len, err);
	return status;
}

LlmStatus
LlmTokenizeBpe(const LlmVocab *vocab, const char *text, size_t len,
			   LlmTokenBuf *out, LlmError *err)
{
	BpeSession	s = {0};
	LlmPreText	pt = {0};
	uint32_t   *cpt;
	uint16_t   *flags;
	size_t		n = 0;
	LlmStatus	status;

	if (len == 0)
		return LLM_OK;
	cpt = malloc(sizeof(uint32_t) * len);
	flags = malloc(sizeof(uint16_t) * len);
	if (cpt == NULL || flags == NULL)
	{
		free(cpt);
		free(flags);
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory tokenizing %zu bytes", len);
	}
	for (size_t pos = 0; pos < len;)
	{
		uint32_t	c = LlmUtf8Decode(text, len, &pos);

		cpt[n] = c;
		flags[n] = LlmUnicodeFlags(c);
		n++;
	}

	pt.cpt = cpt;
	pt.flags = flags;
	pt.n = n;
	s.vocab = vocab;
	s.text = &pt;
	s.out = out;
	status = LlmPretokenize(vocab->pre->type, &pt, BpeWord, &s, err);

	free(s.word);
	free(s.sym);
	free(s.queue.items);
	free(cpt);
	free(flags);
	return status;
}
