/*-------------------------------------------------------------------------
 *
 * vocab_trie.c
 *	  A byte trie of token texts for the tokenizers that look for the
 *	  tokens starting at a position (WordPiece's longest match, Unigram's
 *	  lattice), built flat so that it can be copied into a vocabulary image.
 *
 * The texts are sorted; then every node stands for a range of the sorted
 * list whose texts share the node's prefix, and its children split that
 * range by the next byte.  Walking the nodes breadth first numbers them so
 * that the children of each node are contiguous and in byte order, which
 * is all the layout needs.  The number of nodes is known before building:
 * one per distinct prefix, i.e. one for the root plus, for each text in
 * sorted order, the bytes it does not share with the text before it.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tokenize.h"

/* A token to sort: its text travels with it (qsort passes no context). */
typedef struct TrieEntry
{
	GgufString	text;
	int32_t		id;
} TrieEntry;

/* byte order, a prefix before its extensions, equal texts by id */
static int
TrieEntryCmp(const void *a, const void *b)
{
	const TrieEntry *x = a;
	const TrieEntry *y = b;
	size_t		n = x->text.len < y->text.len ? x->text.len : y->text.len;
	int			c = n ? memcmp(x->text.data, y->text.data, n) : 0;

	if (c != 0)
		return c;
	if (x->text.len != y->text.len)
		return x->text.len < y->text.len ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

void
LlmVocabTrieFree(LlmVocabTrie *trie)
{
	if (trie == NULL)
		return;
	free(trie->first_child);
	free(trie->value);
	free(trie->label);
	free(trie);
}

LlmStatus
LlmVocabTrieBuild(const LlmVocab *vocab, LlmVocabTrieFilter keep, LlmVocabTrie **out,
				  LlmError *err)
{
	TrieEntry  *e = malloc(sizeof(TrieEntry) * (size_t) (vocab->n_tokens ? vocab->n_tokens : 1));
	uint32_t   *lo = NULL;
	uint32_t   *hi = NULL;
	uint32_t   *depth = NULL;
	LlmVocabTrie *trie = calloc(1, sizeof(LlmVocabTrie));
	uint64_t	n_nodes = 1;
	uint32_t	next = 1;
	int			n = 0;

	*out = NULL;
	if (e == NULL || trie == NULL)
		goto oom;
	for (int32_t id = 0; id < vocab->n_tokens; id++)
		if (vocab->text[id].len > 0 && keep(vocab, id))
		{
			e[n].text = vocab->text[id];
			e[n].id = id;
			n++;
		}
	qsort(e, n, sizeof(TrieEntry), TrieEntryCmp);

	for (int i = 0; i < n; i++)
	{
		GgufString	t = e[i].text;
		size_t		shared = 0;

		if (i > 0)
		{
			GgufString	p = e[i - 1].text;

			while (shared < p.len && shared < t.len && p.data[shared] == t.data[shared])
				shared++;
		}
		n_nodes += t.len - shared;
	}
	if (n_nodes >= UINT32_MAX)
	{
		free(e);
		LlmVocabTrieFree(trie);
		return LlmSetError(err, LLM_ERR_FORMAT, "the token texts are too long to index");
	}

	trie->n_nodes = (uint32_t) n_nodes;
	trie->first_child = malloc(sizeof(uint32_t) * (n_nodes + 1));
	trie->value = malloc(sizeof(int32_t) * n_nodes);
	trie->label = malloc(n_nodes);
	lo = malloc(sizeof(uint32_t) * n_nodes);
	hi = malloc(sizeof(uint32_t) * n_nodes);
	depth = malloc(sizeof(uint32_t) * n_nodes);
	if (trie->first_child == NULL || trie->value == NULL || trie->label == NULL ||
		lo == NULL || hi == NULL || depth == NULL)
		goto oom;

	trie->label[0] = 0;
	lo[0] = 0;
	hi[0] = (uint32_t) n;
	depth[0] = 0;
	for (uint32_t k = 0; k < trie->n_nodes; k++)
	{
		uint32_t	i = lo[k];
		uint32_t	d = depth[k];

		/* texts that end here sort first; the last of them has the highest id */
		trie->value[k] = -1;
		while (i < hi[k] && e[i].text.len == d)
			trie->value[k] = e[i++].id;
		trie->first_child[k] = next;
		while (i < hi[k])
		{
			uint8_t		c = (uint8_t) e[i].text.data[d];
			uint32_t	j = i;

			while (j < hi[k] && (uint8_t) e[j].text.data[d] == c)
				j++;
			trie->label[next] = c;
			lo[next] = i;
			hi[next] = j;
			depth[next] = d + 1;
			next++;
			i = j;
		}
	}
	trie->first_child[trie->n_nodes] = next;

	free(e);
	free(lo);
	free(hi);
	free(depth);
	*out = trie;
	return LLM_OK;

oom:
	free(e);
	free(lo);
	free(hi);
	free(depth);
	LlmVocabTrieFree(trie);
	return LlmSetError(err, LLM_ERR_NOMEM, "out of memory indexing the token texts");
}
