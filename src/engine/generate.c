/*-------------------------------------------------------------------------
 *
 * generate.c
 *	  The generation loop.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "generate.h"
#include "grammar/matcher.h"

size_t
LlmUtf8CompletePrefix(const char *s, size_t len)
{
	size_t		i = len;
	int			cont = 0;

	/* walk back over at most 3 continuation bytes to the lead byte */
	while (i > 0 && cont < 3 && ((uint8_t) s[i - 1] & 0xC0) == 0x80)
	{
		i--;
		cont++;
	}
	if (i > 0)
	{
		uint8_t		lead = (uint8_t) s[i - 1];
		int			need = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;

		if (lead >= 0xC0 && need > cont)
			return i - 1;
	}
	return len;
}

/* Position of the first stop string in text, or -1. */
static long
FindStop(const LlmGenerateParams *p, const char *text, size_t len)
{
	long		best = -1;

	for (int i = 0; i < p->n_stop; i++)
	{
		size_t		n = strlen(p->stop[i]);

		if (n == 0 || n > len)
			continue;
		for (size_t at = 0; at + n <= len; at++)
			if (memcmp(text + at, p->stop[i], n) == 0)
			{
				if (best < 0 || (long) at < best)
					best = (long) at;
				break;
			}
	}
	return best;
}

void
LlmGenerateResultFree(LlmGenerateResult *result)
{
	free(result->text);
	free(result->tokens);
	memset(result, 0, sizeof(*result));
}

/*
 * One sequence being generated.  LlmGenerate and LlmGenerateBatch drive the
 * same steps, so a prompt gets the same answer alone or in a batch: start
 * (checks, sampler), then after each decode one step (sample, stop
 * conditions, text), then finish (whole characters only).
 */
typedef struct GenState
{
	const LlmGenerateParams *params;
	LlmGenerateResult *result;
	LlmSampler *sampler;
	LlmGrammarMatcher *matcher; /* with a grammar */
	const LlmTokenTrie *trie;	/* the texts the grammar matched */
	LlmThinkFilter think;		/* with params->strip_think */
	bool		prompt_has_text;
	bool		done;
	int32_t		next;			/* token to decode when !done */
	int			max_tokens;		/* this sequence's limit */
} GenState;

static LlmStatus
GenStart(GenState *g, const LlmContext *ctx, const int32_t *prompt, int n_prompt,
		 const LlmGenerateParams *params, const LlmTokenTrie *trie,
		 LlmGenerateResult *result, LlmError *err)
{
	const LlmModel *m = ctx->model;
	const LlmVocab *vocab = m->vocab;
	LlmStatus	s;

	memset(g, 0, sizeof(*g));
	memset(result, 0, sizeof(*result));
	g->params = params;
	g->result = result;
	result->n_prompt = n_prompt;
	if (n_prompt <= 0)
		return LlmSetError(err, LLM_ERR_ARGUMENT, "the prompt is empty (not even a BOS token)");
	if (n_prompt >= ctx->n_ctx)
		return LlmSetError(err, LLM_ERR_CONTEXT,
						   "the prompt has %d tokens but the context holds %d",
						   n_prompt, ctx->n_ctx);

	for (int i = 0; i < n_prompt; i++)
		if (!(prompt[i] >= 0 && prompt[i] < vocab->n_tokens &&
			  vocab->attr[prompt[i]] == LLM_TOKEN_CONTROL))
			g->prompt_has_text = true;

	result->tokens = malloc(sizeof(int32_t) * (params->max_tokens > 0 ? params->max_tokens : 1));
	result->text = calloc(1, 1);
	if (result->tokens == NULL || result->text == NULL)
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory starting generation");
	s = LlmSamplerCreate(&params->sampling, m->hp.n_vocab, &g->sampler, err);
	if (s != LLM_OK)
		return s;
	for (int i = 0; i < n_prompt; i++)
		LlmSamplerAccept(g->sampler, prompt[i]);
	result->stop_reason = "length";
	LlmThinkFilterInit(&g->think, params->think_open);
	g->max_tokens = params->max_tokens;
	g->done = params->max_tokens <= 0;
	if (params->grammar != NULL)
	{
		g->trie = trie;
		s = LlmGrammarMatcherCreate(params->grammar, trie, &g->matcher, err);
		if (s != LLM_OK)
			return s;
		/* a grammar of the empty text alone: nothing to generate */
		if (LlmGrammarMatcherMustEnd(g->matcher))
		{
			result->stop_reason = "eos";
			g->done = true;
		}
	}
	return LLM_OK;
}

/*
 * The trie a grammar needs: the caller's, or one built for this call
 * (*owned, to be freed).  Also the checks a grammar makes of the rest.
 */
static LlmStatus
GenGrammarTrie(const LlmContext *ctx, const LlmGenerateParams *params,
			   const LlmTokenTrie **trie, LlmTokenTrie **owned, LlmError *err)
{
	const LlmModel *m = ctx->model;
	LlmStatus	s;

	*trie = params->trie;
	*owned = NULL;
	if (params->grammar == NULL)
		return LLM_OK;
	if (params->n_stop > 0)
		return LlmSetError(err, LLM_ERR_ARGUMENT,
						   "stop strings cannot be combined with a grammar: the grammar says where the text ends");
	if (*trie == NULL)
	{
		s = LlmTokenTrieBuild(m->vocab, m->hp.n_vocab, owned, err);
		if (s != LLM_OK)
			return s;
		*trie = *owned;
	}
	if ((*trie)->n_vocab != m->hp.n_vocab)
		return LlmSetError(err, LLM_ERR_ARGUMENT,
						   "the token trie is for %d logits, the model has %d",
						   (*trie)->n_vocab, m->hp.n_vocab);
	return LLM_OK;
}

/* ---- reasoning kept out of the text (params->strip_think) ---- */

static bool
GenStripsThink(const GenState *g)
{
	return g->params != NULL && g->params->strip_think && g->params->grammar == NULL;
}

/* The piece becomes what of it, and of what was held back, is answer. */
static LlmStatus
GenThinkPiece(GenState *g, char **piece, size_t *piece_len, LlmError *err)
{
	LlmStrBuf	answer = {0};
	bool		ok = LlmThinkFilterFeed(&g->think, *piece, *piece_len, &answer);

	free(*piece);
	*piece = NULL;
	if (!ok)
	{
		free(answer.data);
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory during generation");
	}
	*piece = answer.data;
	*piece_len = answer.len;
	return LLM_OK;
}

/*
 * The text has ended: what the filter held back (leading whitespace, a
 * tag that never completed) is answer after all, unless a stop string
 * already ended the text before it; it may hold a stop string itself.
 * Out of memory it is left out: it is at most whitespace and a few bytes.
 */
static void
GenThinkFinish(GenState *g)
{
	LlmGenerateResult *result = g->result;
	const char *rest;
	size_t		n;
	char	   *grown;
	long		stop_at;

	LlmThinkFilterFinish(&g->think, &rest, &n);
	if (n == 0 || strcmp(result->stop_reason, "stop") == 0 ||
		(grown = realloc(result->text, result->len + n + 1)) == NULL)
		return;
	memcpy(grown + result->len, rest, n);
	result->text = grown;
	result->len += n;
	result->text[result->len] = '\0';
	stop_at = FindStop(g->params, result->text, result->len);
	if (stop_at >= 0)
	{
		result->len = (size_t) stop_at;
		result->text[result->len] = '\0';
		result->stop_reason = "stop";
	}
}

/*
 * The sequence's latest logits are in; past is how many tokens it holds.
 * Sample the next token and append it, or finish: at an end-of-generation
 * token, a stop string, the token limit or the end of the context.
 */
static LlmStatus
GenStep(GenState *g, const LlmVocab *vocab, float *logits, int past, int n_ctx,
		LlmError *err)
{
	LlmGenerateResult *result = g->result;
	int32_t		tok;
	char	   *piece;
	size_t		piece_len;
	char	   *grown;
	long		stop_at;
	LlmStatus	s;

	/* the grammar's mask comes before any sampling step */
	if (g->matcher != NULL && (s = LlmGrammarMatcherApply(g->matcher, logits, err)) != LLM_OK)
		return s;
	tok = LlmSamplerSample(g->sampler, logits);
	if (tok < 0)
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "the model's logits are all NaN: its weights or metadata are broken");
	if (g->matcher != NULL && (s = LlmGrammarMatcherAccept(g->matcher, tok, err)) != LLM_OK)
		return s;
	if (LlmVocabIsEog(vocab, tok))
	{
		result->stop_reason = "eos";
		g->done = true;
		return LLM_OK;
	}
	result->tokens[result->n_tokens++] = tok;
	LlmSamplerAccept(g->sampler, tok);

	if (g->matcher != NULL)
	{
		/* under a grammar the text is what the grammar matched */
		uint32_t	len;
		const char *text = LlmTokenTriePiece(g->trie, tok, &len);

		piece = malloc(len + 1);
		if (piece == NULL)
			return LlmSetError(err, LLM_ERR_NOMEM, "out of memory during generation");
		memcpy(piece, text, len);
		piece[len] = '\0';
		piece_len = len;
	}
	/* the first piece of a text-less prompt starts the text */
	else if ((s = LlmDetokenize(vocab, &tok, 1, !g->prompt_has_text && result->len == 0,
								&piece, &piece_len, err)) != LLM_OK)
		return s;
	if (piece_len > 0)
		g->prompt_has_text = true;
	if (GenStripsThink(g) && (s = GenThinkPiece(g, &piece, &piece_len, err)) != LLM_OK)
		return s;
	grown = realloc(result->text, result->len + piece_len + 1);
	if (grown == NULL)
	{
		free(piece);
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory during generation");
	}
	memcpy(grown + result->len, piece, piece_len + 1);
	result->text = grown;
	result->len += piece_len;
	free(piece);

	stop_at = FindStop(g->params, result->text, result->len);
	if (g->matcher != NULL && LlmGrammarMatcherMustEnd(g->matcher))
	{
		/* only an end of generation could come: no need to decode for it */
		result->stop_reason = "eos";
		g->done = true;
	}
	else if (stop_at >= 0)
	{
		result->len = (size_t) stop_at;
		result->text[result->len] = '\0';
		result->stop_reason = "stop";
		g->done = true;
	}
	else if (result->n_tokens >= g->max_tokens)
		g->done = true;
	else if (past >= n_ctx)
	{
		result->stop_reason = "context";
		g->done = true;
	}
	else
		g->next = tok;
	return LLM_OK;
}

/* Never hand back half a character; on error, nothing at all. */
static void
GenFinish(GenState *g, LlmStatus s)
{
	LlmGenerateResult *result = g->result;

	LlmSamplerFree(g->sampler);
	g->sampler = NULL;
	if (g->matcher != NULL)
		result->grammar_complete = LlmGrammarMatcherCanEnd(g->matcher);
	LlmGrammarMatcherFree(g->matcher);
	g->matcher = NULL;
	if (s != LLM_OK)
	{
		LlmThinkFilterFree(&g->think);
		LlmGenerateResultFree(result);
		return;
	}
	if (GenStripsThink(g))
		GenThinkFinish(g);
	LlmThinkFilterFree(&g->think);
	result->len = LlmUtf8CompletePrefix(result->text, result->len);
	result->text[result->len] = '\0';
}

LlmStatus
LlmGenerate(LlmContext *ctx, const int32_t *prompt, int n_prompt,
			const LlmGenerateParams *params, LlmGenerateResult *result,
			LlmError *err)
{
	const LlmModel *m = ctx->model;
	float	   *logits = malloc(sizeof(float) * m->hp.n_vocab);
	const LlmTokenTrie *trie;
	LlmTokenTrie *owned;
	GenState	g;
	LlmStatus	s;

	memset(&g, 0, sizeof(g));
	memset(result, 0, sizeof(*result));
	g.result = result;
	s = GenGrammarTrie(ctx, params, &trie, &owned, err);
	if (s == LLM_OK)
		s = GenStart(&g, ctx, prompt, n_prompt, params, trie, result, err);
	if (s == LLM_OK && logits == NULL)
		s = LlmSetError(err, LLM_ERR_NOMEM, "out of memory starting generation");
	if (s == LLM_OK)
	{
		LlmContextReset(ctx);
		s = LlmDecode(ctx, prompt, n_prompt, logits, false, err);
	}
	while (s == LLM_OK && !g.done)
	{
		s = GenStep(&g, m->vocab, logits, LlmContextPast(ctx), ctx->n_ctx, err);
		if (s == LLM_OK && !g.done)
			s = LlmDecode(ctx, &g.next, 1, logits, false, err);
	}
	GenFinish(&g, s);
	LlmTokenTrieFree(owned);
	free(logits);
	return s;
}

LlmStatus
LlmGenerateBatch(LlmContext *ctx, const int32_t *const *prompts, const int *n_tokens,
				 const int *n_cached, const int *max_tokens, int n_prompts,
				 const LlmGenerateParams *params,
				 LlmGenerateResult *results, LlmError *err)
{
	const LlmModel *m = ctx->model;
	const int	V = m->hp.n_vocab;
	GenState   *g = calloc(n_prompts > 0 ? n_prompts : 1, sizeof(GenState));
	LlmBatchToken *items = NULL;
	float	   *logits = NULL;
	const LlmTokenTrie *trie;
	LlmTokenTrie *owned = NULL;
	int			n_items = 0;
	int			started = 0;
	LlmStatus	s = LLM_OK;

	if (g == NULL)
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory starting generation");
	if (n_prompts < 1 || n_prompts > ctx->n_seq)
	{
		free(g);
		return LlmSetError(err, LLM_ERR_ARGUMENT,
						   "%d prompts for a context of %d sequences", n_prompts, ctx->n_seq);
	}
	/* one trie serves every sequence's matcher */
	s = GenGrammarTrie(ctx, params, &trie, &owned, err);
	if (s != LLM_OK)
	{
		free(g);
		return s;
	}
	/* every prompt is checked before anything is decoded */
	for (int i = 0; i < n_prompts && n_cached != NULL && s == LLM_OK; i++)
		if (n_cached[i] < 0 || n_cached[i] >= n_tokens[i] || n_cached[i] > ctx->seq_past[i])
			s = LlmSetError(err, LLM_ERR_ARGUMENT,
							"prompt %d: %d cached tokens of %d, sequence holding %d",
							i, n_cached[i], n_tokens[i], ctx->seq_past[i]);
	for (; started < n_prompts && s == LLM_OK; started++)
	{
		s = GenStart(&g[started], ctx, prompts[started], n_tokens[started], params, trie,
					 &results[started], err);
		if (s == LLM_OK && max_tokens != NULL && max_tokens[started] < g[started].max_tokens)
		{
			g[started].max_tokens = max_tokens[started];
			g[started].done = g[started].done || max_tokens[started] <= 0;
		}
		n_items += n_tokens[started];
	}
	if (s == LLM_OK)
	{
		items = malloc(sizeof(LlmBatchToken) * n_items);
		logits = malloc(sizeof(float) * V * n_prompts);
		if (items == NULL || logits == NULL)
			s = LlmSetError(err, LLM_ERR_NOMEM, "out of memory starting generation");
	}

	/*
	 * All prompts in one batch (chunks mix sequences), with the logits of
	 * each running sequence's last token: logits row k then belongs to the
	 * k-th sequence still running, here and after every step.
	 */
	if (s == LLM_OK)
	{
		n_items = 0;
		for (int i = 0; i < n_prompts; i++)
		{
			ctx->seq_past[i] = n_cached ? n_cached[i] : 0;
			for (int j = ctx->seq_past[i]; j < n_tokens[i]; j++)
				items[n_items++] = (LlmBatchToken) {prompts[i][j], i,
					j == n_tokens[i] - 1 && !g[i].done};
		}
		s = LlmDecodeBatch(ctx, items, n_items, logits, err);
	}

	/* then one token of every unfinished sequence per forward pass */
	while (s == LLM_OK)
	{
		int			k = 0;

		n_items = 0;
		for (int i = 0; i < n_prompts && s == LLM_OK; i++)
		{
			if (g[i].done)
				continue;
			s = GenStep(&g[i], m->vocab, logits + (size_t) k++ * V, ctx->seq_past[i],
						ctx->n_ctx, err);
			if (s == LLM_OK && !g[i].done)
				items[n_items++] = (LlmBatchToken) {g[i].next, i, true};
		}
		if (s != LLM_OK || n_items == 0)
			break;
		s = LlmDecodeBatch(ctx, items, n_items, logits, err);
	}

	for (int i = 0; i < started; i++)
		GenFinish(&g[i], s);
	LlmTokenTrieFree(owned);
	free(g);
	free(items);
	free(logits);
	return s;
}
