/*-------------------------------------------------------------------------
 *
 * llm_prefix.c
 *	  The prompt-prefix cache: the KV state of a prompt prefix that calls
 *	  share (chat template, instruction, label list), computed once per
 *	  backend and loaded by every later call that starts with it, so that
 *	  only the row's own tokens are evaluated.
 *
 * Entries are keyed by token ids, not text: a prompt uses the cached entry
 * with which it shares the longest run of leading tokens, and the KV cells
 * of those positions depend on those tokens only, so results are the same
 * bits as evaluating the whole prompt (test/unit/test_batch.c).  An entry
 * is made when two successive prompts of a model share a prefix of at
 * least LLM_PREFIX_MIN tokens that no entry holds yet: a template prefix
 * is cached from the second row on.  The cache takes at most
 * llm.prefix_cache_size MB per backend; the least recently used entries go
 * first.
 *
 * Nothing here throws: it runs between LlmComputeBegin and LlmComputeEnd,
 * uses malloc, and a cache that cannot grow simply does not.
 *
 *-------------------------------------------------------------------------
 */
#include "llm.h"

#define LLM_PREFIX_MIN 16

typedef struct PrefixEntry
{
	LlmLoadedModel *lm;
	int32	   *tokens;
	int			n_tokens;
	void	   *state;
	size_t		bytes;
	uint64		last_used;
	struct PrefixEntry *next;
} PrefixEntry;

static PrefixEntry *entries = NULL;
static size_t cache_bytes = 0;
static uint64 use_clock = 0;

/* the previous prompt of each model, to find the prefix prompts share */
typedef struct LastPrompt
{
	LlmLoadedModel *lm;
	int32	   *tokens;
	int			n_tokens;
} LastPrompt;

#define LLM_PREFIX_MODELS 8
static LastPrompt last[LLM_PREFIX_MODELS];

static int
CommonPrefix(const int32 *a, int na, const int32 *b, int nb)
{
	int			n = 0;

	while (n < na && n < nb && a[n] == b[n])
		n++;
	return n;
}

static void
FreeEntry(PrefixEntry *e)
{
	cache_bytes -= e->bytes;
	free(e->tokens);
	free(e->state);
	free(e);
}

/* Drop least recently used entries until extra more bytes fit. */
static bool
MakeRoom(size_t extra)
{
	size_t		limit = (size_t) llm_prefix_cache_size << 20;

	if (extra > limit)
		return false;
	while (cache_bytes + extra > limit && entries != NULL)
	{
		PrefixEntry **oldest = &entries;

		for (PrefixEntry **p = &entries; *p; p = &(*p)->next)
			if ((*p)->last_used < (*oldest)->last_used)
				oldest = p;
		{
			PrefixEntry *e = *oldest;

			*oldest = e->next;
			FreeEntry(e);
		}
	}
	return true;
}

int
LlmPrefixLoad(LlmLoadedModel *lm, LlmContext *ctx, int seq, const int32 *prompt, int n,
			  LlmModelCounters *counters)
{
	PrefixEntry *best = NULL;
	int			best_n = 0;
	LlmError	err;

	if (llm_prefix_cache_size <= 0)
		return 0;
	for (PrefixEntry *e = entries; e; e = e->next)
	{
		int			common;

		if (e->lm != lm)
			continue;
		/* at least one token must be left to decode: it gives the logits */
		common = Min(CommonPrefix(e->tokens, e->n_tokens, prompt, n), n - 1);
		if (common > best_n)
		{
			best = e;
			best_n = common;
		}
	}
	if (best == NULL || best_n < LLM_PREFIX_MIN ||
		LlmSeqStateLoad(ctx, seq, best->state, best->bytes, &err) != LLM_OK ||
		LlmSeqTruncate(ctx, seq, best_n, &err) != LLM_OK)
	{
		counters->prefix_misses++;
		return 0;
	}
	best->last_used = ++use_clock;
	counters->prefix_hits++;
	counters->prefix_tokens += best_n;
	return best_n;
}

void
LlmPrefixStore(LlmLoadedModel *lm, LlmContext *ctx, int seq, const int32 *prompt, int n)
{
	PrefixEntry *e;
	LlmError	err;

	if (llm_prefix_cache_size <= 0 || n < LLM_PREFIX_MIN || LlmSeqPast(ctx, seq) < n)
		return;
	for (e = entries; e; e = e->next)
		if (e->lm == lm && e->n_tokens == n && memcmp(e->tokens, prompt, sizeof(int32) * n) == 0)
			return;				/* held already */
	if (!MakeRoom(LlmSeqStateSize(ctx, n)))
		return;
	e = calloc(1, sizeof(PrefixEntry));
	if (e == NULL)
		return;
	e->lm = lm;
	e->n_tokens = n;
	e->bytes = LlmSeqStateSize(ctx, n);
	e->tokens = malloc(sizeof(int32) * n);
	e->state = malloc(e->bytes);
	if (e->tokens == NULL || e->state == NULL ||
		LlmSeqStateSave(ctx, seq, n, e->state, e->bytes, &err) != LLM_OK)
	{
		free(e->tokens);
		free(e->state);
		free(e);
		return;
	}
	memcpy(e->tokens, prompt, sizeof(int32) * n);
	e->last_used = ++use_clock;
	e->next = entries;
	entries = e;
	cache_bytes += e->bytes;
}

void
LlmPrefixRemember(LlmLoadedModel *lm, LlmContext *ctx, int seq, const int32 *prompt, int n)
{
	LastPrompt *slot = NULL;
	int			common;

	if (llm_prefix_cache_size <= 0)
		return;
	for (int i = 0; i < LLM_PREFIX_MODELS && slot == NULL; i++)
		if (last[i].lm == lm)
			slot = &last[i];
	for (int i = 0; i < LLM_PREFIX_MODELS && slot == NULL; i++)
		if (last[i].lm == NULL)
			slot = &last[i];
	if (slot == NULL)
	{
		slot = &last[0];
		free(slot->tokens);
		slot->tokens = NULL;
		slot->n_tokens = 0;
	}
	common = slot->lm == lm ? CommonPrefix(slot->tokens, slot->n_tokens, prompt, n) : 0;
	if (common >= LLM_PREFIX_MIN)
		LlmPrefixStore(lm, ctx, seq, prompt, Min(common, n - 1));

	free(slot->tokens);
	slot->lm = lm;
	slot->tokens = malloc(sizeof(int32) * n);
	slot->n_tokens = slot->tokens ? n : 0;
	if (slot->tokens)
		memcpy(slot->tokens, prompt, sizeof(int32) * n);
}

/* A model this backend lets go of takes its entries along. */
void
LlmPrefixForget(LlmLoadedModel *lm)
{
	for (PrefixEntry **p = &entries; *p;)
	{
		PrefixEntry *e = *p;

		if (e->lm == lm)
		{
			*p = e->next;
			FreeEntry(e);
		}
		else
			p = &e->next;
	}
	for (int i = 0; i < LLM_PREFIX_MODELS; i++)
		if (last[i].lm == lm)
		{
			free(last[i].tokens);
			memset(&last[i], 0, sizeof(last[i]));
		}
}
