/*-------------------------------------------------------------------------
 *
 * test_scoring.c
 *	  Scoring, continuation log-probabilities and embeddings, each checked
 *	  against a direct computation from LlmDecode's logits and hidden states.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scoring.h"
#include "unit.h"

static LlmModel *model;

/* sum of log p(t[i] | t[..i]) from one all-logits decode */
/* a cancel callback that only counts how often the forward pass polls it */
static bool
CountPolls(void *arg)
{
	(*(int *) arg)++;
	return false;
}

static double
DirectScore(LlmContext *ctx, const int32_t *t, int n)
{
	int			V = model->hp.n_vocab;
	float	   *logits = malloc(sizeof(float) * n * V);
	LlmError	err;
	double		sum = 0;

	LlmContextReset(ctx);
	if (LlmDecode(ctx, t, n, logits, true, &err) != LLM_OK)
		sum = NAN;
	for (int i = 1; i < n; i++)
		sum += LlmLogProb(logits + (size_t) (i - 1) * V, V, t[i]);
	free(logits);
	return sum;
}

/*
 * Each continuation's score against the direct difference
 * score(prompt + continuation) - score(prompt), computed in ctx.
 */
static void
CheckAgainstDirect(LlmContext *ctx, const int32_t *prompt, int n_prompt,
				   const int32_t *const *conts, const int *lens, const double *lp,
				   const char *what)
{
	for (int c = 0; c < 3; c++)
	{
		int32_t		joined[60];
		double		direct;

		memcpy(joined, prompt, sizeof(int32_t) * n_prompt);
		memcpy(joined + n_prompt, conts[c], sizeof(int32_t) * lens[c]);
		direct = DirectScore(ctx, joined, n_prompt + lens[c]) - DirectScore(ctx, prompt, n_prompt);
		CHECK(fabs(lp[c] - direct) < 1e-3, "%s %d: %f vs %f", what, c, lp[c], direct);
	}
}

int
main(void)
{
	LlmContext *ctx;
	LlmError	err;
	int32_t		toks[80];
	double		s;
	int			n_scored;

	if (LlmModelLoad("../shared/models/stories260K.gguf", &model, &err) != LLM_OK ||
		LlmContextCreate(model, 128, 0, &ctx, &err) != LLM_OK)
	{
		CHECK(false, "setup: %s", err.message);
		return UnitSummary("scoring");
	}
	toks[0] = 1;
	for (int i = 1; i < 80; i++)
		toks[i] = 3 + (i * 53) % 500;

	/* more than one slice of 32, and a short input */
	CHECK(LlmScoreTokens(ctx, toks, 80, &s, &n_scored, &err) == LLM_OK, "score 80 tokens");
	CHECK(n_scored == 79 && fabs(s - DirectScore(ctx, toks, 80)) < 1e-3,
		  "score equals the direct sum (%f vs %f)", s, DirectScore(ctx, toks, 80));
	CHECK(LlmScoreTokens(ctx, toks, 2, &s, &n_scored, &err) == LLM_OK && n_scored == 1 &&
		  fabs(s - DirectScore(ctx, toks, 2)) < 1e-4, "score 2 tokens");
	CHECK(LlmScoreTokens(ctx, toks, 1, &s, &n_scored, &err) == LLM_OK && n_scored == 0 && s == 0,
		  "one token scores nothing");
	CHECK(s <= 0, "log-probabilities are not positive");

	/* continuations: log p(cont | prompt) = score(prompt + cont) - score(prompt) */
	{
		const int32_t *conts[3] = {toks + 10, toks + 20, toks + 30};
		int			lens[3] = {1, 3, 40};
		double		lp[3];

		CHECK(LlmScoreContinuations(ctx, toks, 10, conts, lens, 3, lp, &err) == LLM_OK,
			  "score continuations: %s", err.message);
		CheckAgainstDirect(ctx, toks, 10, conts, lens, lp, "continuation");
	}

	/*
	 * Branches that do not all fit after the prompt go in later passes; one
	 * that cannot fit at all is a context error.
	 */
	{
		LlmContext *small;
		const int32_t *conts[3] = {toks + 10, toks + 20, toks + 30};
		int			lens[3] = {40, 30, 3};
		double		lp[3];

		CHECK(LlmContextCreate(model, 60, 0, &small, &err) == LLM_OK, "context of 60");
		CHECK(LlmScoreContinuations(small, toks, 10, conts, lens, 3, lp, &err) == LLM_OK,
			  "continuations of 39 + 29 + 2 branch rows after 10 in 60 cells: %s", err.message);
		CheckAgainstDirect(ctx, toks, 10, conts, lens, lp, "overflowing branch");
		/*
		 * Where a branch's cells lie (which pass, which other labels before
		 * it) does not change its bits: the same scores in one pass of a
		 * roomy context, in several passes, and with the labels reversed.
		 */
		{
			double		roomy[3];
			double		reversed[3];
			const int32_t *rconts[3] = {conts[2], conts[1], conts[0]};
			int			rlens[3] = {lens[2], lens[1], lens[0]};

			CHECK(LlmScoreContinuations(ctx, toks, 10, conts, lens, 3, roomy, &err) == LLM_OK &&
				  LlmScoreContinuations(ctx, toks, 10, rconts, rlens, 3, reversed, &err) == LLM_OK,
				  "score in a roomy context: %s", err.message);
			CHECK(memcmp(lp, roomy, sizeof(lp)) == 0,
				  "branches scored in several passes == in one pass, bit for bit");
			CHECK(reversed[0] == roomy[2] && reversed[1] == roomy[1] && reversed[2] == roomy[0],
				  "labels in the other order score the same bits");
		}
		/* with room for every branch, one pass: the cancel callback is polled for one chunk */
		{
			int			polls = 0;
			double		roomy[3];

			ctx->cancel = CountPolls;
			ctx->cancel_arg = &polls;
			CHECK(LlmScoreContinuations(ctx, toks, 10, conts, lens, 3, roomy, &err) == LLM_OK &&
				  polls == 4 * model->hp.n_layer,
				  "10 prompt tokens and 68 branch rows go through in one pass (%d polls for %d layers)",
				  polls, model->hp.n_layer);
			ctx->cancel = NULL;
		}
		lens[0] = 52;
		CHECK(LlmScoreContinuations(small, toks, 10, conts, lens, 1, lp, &err) == LLM_ERR_CONTEXT,
			  "a continuation longer than the cells after the prompt: %s", err.message);
		CHECK(LlmContextPast(small) == 0, "a failed call leaves no prompt behind");
		LlmContextFree(small);
	}

	/* embeddings: unit length, the normalised mean of the hidden states */
	{
		int			E = model->hp.n_embd;
		float	   *e = malloc(sizeof(float) * E);
		float	   *hidden = malloc(sizeof(float) * 40 * E);
		double		norm = 0,
					maxd = 0,
					len = 0;

		CHECK(LlmEmbedTokens(ctx, toks, 40, e, &err) == LLM_OK, "embed");
		for (int j = 0; j < E; j++)
			norm += (double) e[j] * e[j];
		CHECK(fabs(norm - 1.0) < 1e-5, "embedding has unit length (%f)", norm);
		LlmContextReset(ctx);
		CHECK(LlmDecodeHidden(ctx, toks, 40, hidden, &err) == LLM_OK, "hidden states");
		for (int j = 0; j < E; j++)
		{
			double		m = 0;

			for (int i = 0; i < 40; i++)
				m += hidden[i * E + j];
			len += (m / 40) * (m / 40);
		}
		len = sqrt(len);
		for (int j = 0; j < E; j++)
		{
			double		m = 0;

			for (int i = 0; i < 40; i++)
				m += hidden[i * E + j];
			if (fabs(m / 40 / len - e[j]) > maxd)
				maxd = fabs(m / 40 / len - e[j]);
		}
		CHECK(maxd < 1e-5, "embedding is the normalised mean (max diff %g)", maxd);
		CHECK(LlmEmbedTokens(ctx, toks, 0, e, &err) == LLM_ERR_ARGUMENT, "empty input is an error");
		free(e);
		free(hidden);
	}

	LlmContextFree(ctx);
	LlmModelFree(model);
	return UnitSummary("scoring");
}
