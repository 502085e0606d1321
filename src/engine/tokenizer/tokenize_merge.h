/*-------------------------------------------------------------------------
 *
 * tokenize_merge.h
 *	  The pair-merging loop the SPM and BPE tokenizers share.
 *
 * The text is a doubly linked list of symbols: single characters (SPM) or
 * bytes in GPT-2's alphabet (BPE).  Every adjacent pair the tokenizer could
 * merge waits in a priority queue, and the best pair, ties going to the
 * leftmost, is merged and its new neighbours queued, until no pair is left.
 * This is llama.cpp's order of merges for both tokenizers, which is what
 * makes the ids identical.  The tokenizers differ only in which pairs merge
 * and which is best, which their priority function says.
 *
 * A merge leaves the pairs queued with the old neighbours behind; they are
 * recognised as stale when they come up, by a side that is gone or a
 * combined length that no longer matches.
 *
 * Everything is static inline so that the merge loop is compiled into each
 * tokenizer with its priority function inlined: the loop is the hot part
 * of tokenizing.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_TOKENIZE_MERGE_H
#define LLM_ENGINE_TOKENIZE_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

typedef struct LlmMergeSymbol
{
	int			prev;
	int			next;
	size_t		start;			/* byte offset in the text being merged */
	size_t		len;			/* 0 once merged into its left neighbour */
} LlmMergeSymbol;

typedef struct LlmMergePair
{
	double		priority;		/* higher first; exact for a float score
								 * and for a negated int32 rank alike */
	int			left;
	int			right;
	size_t		len;			/* combined length when it was queued */
} LlmMergePair;

/* A binary max-heap of pairs, reused from one merge to the next. */
typedef struct LlmMergeQueue
{
	LlmMergePair *items;
	int			count;
	int			cap;
} LlmMergeQueue;

/*
 * Whether the tokenizer merges left with right, and if so how urgently
 * (SPM: the score of the joined token; BPE: minus the merge rank).
 */
typedef bool (*LlmMergePriorityFn) (void *arg, const LlmMergeSymbol *left,
									const LlmMergeSymbol *right,
									double *priority);

/* a goes before b: higher priority, then further left */
static inline bool
LlmMergePairBefore(const LlmMergePair *a, const LlmMergePair *b)
{
	if (a->priority != b->priority)
		return a->priority > b->priority;
	return a->left < b->left;
}

static inline bool
LlmMergeQueuePush(LlmMergeQueue *q, LlmMergePair pair)
{
	int			i;

	if (q->count == q->cap)
	{
		int			cap = q->cap ? q->cap * 2 : 64;
		LlmMergePair *items = realloc(q->items, sizeof(LlmMergePair) * cap);

		if (items == NULL)
			return false;
		q->items = items;
		q->cap = cap;
	}
	i = q->count++;
	while (i > 0)
	{
		int			parent = (i - 1) / 2;

		if (!LlmMergePairBefore(&pair, &q->items[parent]))
			break;
		q->items[i] = q->items[parent];
		i = parent;
	}
	q->items[i] = pair;
	return true;
}

static inline LlmMergePair
LlmMergeQueuePop(LlmMergeQueue *q)
{
	LlmMergePair top = q->items[0];
	LlmMergePair last = q->items[--q->count];
	int			i = 0;

	for (;;)
	{
		int			child = 2 * i + 1;

		if (child >= q->count)
			break;
		if (child + 1 < q->count &&
			LlmMergePairBefore(&q->items[child + 1], &q->items[child]))
			child++;
		if (!LlmMergePairBefore(&q->items[child], &last))
			break;
		q->items[i] = q->items[child];
		i = child;
	}
	if (q->count > 0)
		q->items[i] = last;
	return top;
}

/* Queue the pair left+right if the tokenizer merges it; false when out of memory. */
static inline bool
LlmMergeTryPair(LlmMergeQueue *q, const LlmMergeSymbol *sym, int left, int right,
				LlmMergePriorityFn priority, void *arg)
{
	LlmMergePair pair;

	if (left < 0 || right < 0)
		return true;
	if (!priority(arg, &sym[left], &sym[right], &pair.priority))
		return true;
	pair.left = left;
	pair.right = right;
	pair.len = sym[left].len + sym[right].len;
	return LlmMergeQueuePush(q, pair);
}

/*
 * Merge the symbols first..last, linked in order, as far as they go.
 * False when out of memory.  q->items is the caller's to free.
 */
static inline bool
LlmMergeSymbols(LlmMergeQueue *q, LlmMergeSymbol *sym, int first, int last,
				LlmMergePriorityFn priority, void *arg)
{
	sym[first].prev = -1;
	sym[last].next = -1;
	q->count = 0;
	for (int i = first + 1; i <= last; i++)
		if (!LlmMergeTryPair(q, sym, i - 1, i, priority, arg))
			return false;

	while (q->count > 0)
	{
		LlmMergePair pair = LlmMergeQueuePop(q);
		LlmMergeSymbol *l = &sym[pair.left];
		LlmMergeSymbol *r = &sym[pair.right];

		/* stale: one side was merged away since this pair was queued */
		if (l->len == 0 || r->len == 0 || l->len + r->len != pair.len)
			continue;
		l->len += r->len;
		r->len = 0;
		l->next = r->next;
		if (r->next >= 0)
			sym[r->next].prev = pair.left;
		if (!LlmMergeTryPair(q, sym, l->prev, pair.left, priority, arg) ||
			!LlmMergeTryPair(q, sym, pair.left, l->next, priority, arg))
			return false;
	}
	return true;
}

#endif							/* LLM_ENGINE_TOKENIZE_MERGE_H */
