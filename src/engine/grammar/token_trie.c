/*-------------------------------------------------------------------------
 *
 * token_trie.c
 *	  Building a vocabulary's byte trie (see token_trie.h).
 *
 * Every token's text is made once; the texts are sorted bytewise, and the
 * trie is laid out from the sorted list in one pass: a text shares the
 * nodes of its common prefix with the text before it and adds nodes for
 * the rest, so the nodes come out in depth-first order and a node's
 * subtree ends where the first text not under it begins.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "grammar/token_trie.h"

typedef struct SortedPiece
{
	const char *data;
	uint32_t	len;
	int32_t		id;
} SortedPiece;

static int
PieceCmp(const void *a, const void *b)
{
	const SortedPiece *x = a;
	const SortedPiece *y = b;
	uint32_t	n = x->len < y->len ? x->len : y->len;
	int			c = memcmp(x->data, y->data, n);

	if (c != 0)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->id < y->id ? -1 : (x->id > y->id);
}

/*
 * The text llama.cpp's grammar sampler sees for a token (its cached
 * token_to_piece with special = true): the written text of a control or
 * unknown token, the detokenized piece of the others.
 */
static LlmStatus
TokenPiece(const LlmVocab *vocab, int32_t id, char **text, size_t *len, LlmError *err)
{
	uint8_t		attr = vocab->attr[id];

	if (attr == LLM_TOKEN_CONTROL || attr == LLM_TOKEN_UNKNOWN)
	{
		GgufString	t = vocab->text[id];

		*text = malloc(t.len + 1);
		if (*text == NULL)
			return LlmSetError(err, LLM_ERR_NOMEM, "out of memory building the token trie");
		memcpy(*text, t.data, t.len);
		(*text)[t.len] = '\0';
		*len = t.len;
		return LLM_OK;
	}
	return LlmDetokenize(vocab, &id, 1, false, text, len, err);
}

/* The texts of all tokens, and their kinds. */
static LlmStatus
CollectPieces(const LlmVocab *vocab, LlmTokenTrie *t, LlmError *err)
{
	size_t		total = 0;
	size_t		cap = 1 << 20;
	LlmStatus	s;

	t->pieces = malloc(cap);
	if (t->pieces == NULL)
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory building the token trie");
	for (int32_t id = 0; id < t->n_vocab; id++)
	{
		char	   *text = NULL;
		size_t		len = 0;

		t->piece_off[id] = (uint32_t) total;
		t->kind[id] = LLM_TRIE_NEVER;
		if (id >= vocab->n_tokens)
			continue;
		if (LlmVocabIsEog(vocab, id))
		{
			t->kind[id] = LLM_TRIE_EOG;
			continue;
		}
		s = TokenPiece(vocab, id, &text, &len, err);
		if (s != LLM_OK)
			return s;
		if (len == 0 || memchr(text, '\0', len) != NULL || total + len > UINT32_MAX)
		{
			free(text);
			continue;
		}
		if (total + len > cap)
		{
			char	   *grown;

			while (total + len > cap)
				cap *= 2;
			grown = realloc(t->pieces, cap);
			if (grown == NULL)
			{
				free(text);
				return LlmSetError(err, LLM_ERR_NOMEM, "out of memory building the token trie");
			}
			t->pieces = grown;
		}
		memcpy(t->pieces + total, text, len);
		total += len;
		free(text);
		t->kind[id] = LLM_TRIE_TEXT;
	}
	t->piece_off[t->n_vocab] = (uint32_t) total;
	return LLM_OK;
}

/* The trie of the sorted texts (see the file's comment). */
static LlmStatus
BuildNodes(LlmTokenTrie *t, SortedPiece *sp, int n, LlmError *err)
{
	size_t		max_nodes = 1 + (size_t) t->piece_off[t->n_vocab];
	uint32_t   *path;			/* node of each depth on the current text */
	int			depth = 0;		/* bytes of the current path */
	const SortedPiece *prev = NULL;

	t->byte = malloc(max_nodes);
	t->end = malloc(sizeof(uint32_t) * max_nodes);
	t->tok_first = calloc(max_nodes + 1, sizeof(uint32_t));
	t->ids = malloc(sizeof(int32_t) * (n > 0 ? n : 1));
	path = malloc(sizeof(uint32_t) * (t->max_depth + 1));
	if (t->byte == NULL || t->end == NULL || t->tok_first == NULL || t->ids == NULL ||
		path == NULL)
	{
		free(path);
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory building the token trie");
	}
	t->byte[0] = 0;
	path[0] = 0;
	t->n_nodes = 1;

	/* tok_first counts a node's tokens first, prefix sums come after */
	for (int k = 0; k < n; k++)
	{
		const SortedPiece *cur = &sp[k];
		int			common = 0;

		if (prev != NULL)
			while (common < (int) prev->len && common < (int) cur->len &&
				   prev->data[common] == cur->data[common])
				common++;
		/* the nodes past the common prefix end their subtrees here */
		while (depth > common)
			t->end[path[depth--]] = t->n_nodes;
		while (depth < (int) cur->len)
		{
			uint32_t	node = t->n_nodes++;

			t->byte[node] = (uint8_t) cur->data[depth];
			path[++depth] = node;
		}
		t->tok_first[path[depth] + 1]++;
		t->ids[k] = cur->id;
		prev = cur;
	}
	while (depth > 0)
		t->end[path[depth--]] = t->n_nodes;
	t->end[0] = t->n_nodes;
	for (uint32_t i = 0; i < t->n_nodes; i++)
		t->tok_first[i + 1] += t->tok_first[i];
	free(path);
	return LLM_OK;
}

LlmStatus
LlmTokenTrieBuild(const LlmVocab *vocab, int n_vocab, LlmTokenTrie **out, LlmError *err)
{
	LlmTokenTrie *t;
	SortedPiece *sp = NULL;
	int			n = 0;
	LlmStatus	s;

	*out = NULL;
	if (n_vocab < vocab->n_tokens)
		return LlmSetError(err, LLM_ERR_ARGUMENT,
						   "logits of %d entries for a vocabulary of %d tokens",
						   n_vocab, vocab->n_tokens);
	t = calloc(1, sizeof(LlmTokenTrie));
	if (t == NULL)
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory building the token trie");
	t->n_vocab = n_vocab;
	t->kind = malloc(n_vocab);
	t->piece_off = malloc(sizeof(uint32_t) * ((size_t) n_vocab + 1));
	if (t->kind == NULL || t->piece_off == NULL)
	{
		s = LlmSetError(err, LLM_ERR_NOMEM, "out of memory building the token trie");
		goto fail;
	}
	s = CollectPieces(vocab, t, err);
	if (s != LLM_OK)
		goto fail;

	sp = malloc(sizeof(SortedPiece) * (n_vocab > 0 ? n_vocab : 1));
	if (sp == NULL)
	{
		s = LlmSetError(err, LLM_ERR_NOMEM, "out of memory building the token trie");
		goto fail;
	}
	for (int32_t id = 0; id < n_vocab; id++)
		if (t->kind[id] == LLM_TRIE_TEXT)
		{
			uint32_t	len;

			sp[n].data = LlmTokenTriePiece(t, id, &len);
			sp[n].len = len;
			sp[n].id = id;
			if ((int) len > t->max_depth)
				t->max_depth = (int) len;
			n++;
		}
	qsort(sp, n, sizeof(SortedPiece), PieceCmp);
	s = BuildNodes(t, sp, n, err);
	free(sp);
	if (s != LLM_OK)
		goto fail;
	*out = t;
	return LLM_OK;

fail:
	LlmTokenTrieFree(t);
	return s;
}

void
LlmTokenTrieFree(LlmTokenTrie *t)
{
	if (t == NULL)
		return;
	free(t->kind);
	free(t->piece_off);
	free(t->pieces);
	free(t->byte);
	free(t->end);
	free(t->tok_first);
	free(t->ids);
	free(t);
}
