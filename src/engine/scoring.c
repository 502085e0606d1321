/*-------------------------------------------------------------------------
 *
 * scoring.c
 *	  Log-probabilities of given text and pooled hidden states.
 *
 * Logits of every position are needed here, and a [n][n_vocab] buffer for
 * a long input of a 150k-token vocabulary would be hundreds of megabytes,
 * so inputs go through in slices of SCORE_SLICE tokens.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scoring.h"

#define SCORE_SLICE 32

double
LlmLogProb(const float *logits, int n_vocab, int32_t id)
{
	float		max = logits[0];
	double		sum = 0.0;

	for (int i = 1; i < n_vocab; i++)
		if (logits[i] > max)
			max = logits[i];
	for (int i = 0; i < n_vocab; i++)
		sum += exp((double) logits[i] - max);
	return (double) logits[id] - max - log(sum);
}

/*
 * Decode tokens[0..n) after what the context holds and add log p of each
 * next token: the logits of position i predict tokens[i + 1], and *prev
 * (if not NULL) predicts tokens[0].  *prev is left holding the logits of
 * the last position.
 */
static LlmStatus
ScoreSlices(LlmContext *ctx, const int32_t *tokens, int n, float *prev,
			bool have_prev, double *sum, LlmError *err)
{
	const int	n_vocab = ctx->model->hp.n_vocab;
	float	   *logits = malloc(sizeof(float) * SCORE_SLICE * n_vocab);
	LlmStatus	s = LLM_OK;

	if (logits == NULL)
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory scoring %d tokens", n);
	for (int done = 0; done < n && s == LLM_OK; done += SCORE_SLICE)
	{
		int			m = n - done < SCORE_SLICE ? n - done : SCORE_SLICE;

		s = LlmDecode(ctx, tokens + done, m, logits, true, err);
		if (s != LLM_OK)
			break;
		for (int i = 0; i < m; i++)
		{
			if (have_prev)
				*sum += LlmLogProb(prev, n_vocab, tokens[done + i]);
			memcpy(prev, logits + (size_t) i * n_vocab, sizeof(float) * n_vocab);
			have_prev = true;
		}
	}
	free(logits);
	return s;
}

LlmStatus
LlmScoreTokens(LlmContext *ctx, const int32_t *tokens, int n, double *sum_logprob,
			   int *n_scored, LlmError *err)
{
	float	   *prev;
	LlmStatus	s;

	*sum_logprob = 0.0;
	*n_scored = n > 1 ? n - 1 : 0;
	if (n < 2)
		return LLM_OK;
	prev = malloc(sizeof(float) * ctx->model->hp.n_vocab);
	if (prev == NULL)
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory scoring");
	LlmContextReset(ctx);
	/* the last token predicts nothing we score: leave it out */
	s = ScoreSlices(ctx, tokens, n - 1, prev, false, sum_logprob, err);
	if (s == LLM_OK)
		*sum_logprob += LlmLogProb(prev, ctx->model->hp.n_vocab, tokens[n - 1]);
	free(prev);
	return s;
}

LlmStatus
LlmScoreContinuations(LlmContext *ctx, const int32_t *prompt, int n_prompt,
					  const int32_t *const *cont, const int *cont_len, int n_cont,
					  double *logprob, LlmError *err)
{
	const int	n_vocab = ctx->model->hp.n_vocab;
	float	   *after_prompt = malloc(sizeof(float) * n_vocab);
	float	   *prev = malloc(sizeof(float) * n_vocab);
	LlmStatus	s;

	if (after_prompt == NULL || prev == NULL)
	{
		free(after_prompt);
		free(prev);
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory scoring");
	}
	LlmContextReset(ctx);
	s = LlmDecode(ctx, prompt, n_prompt, after_prompt, false, err);
	for (int c = 0; c < n_cont && s == LLM_OK; c++)
	{
		logprob[c] = 0.0;
		if (cont_len[c] == 0)
			continue;
		/* every continuation starts right after the prompt */
		LlmContextTruncate(ctx, n_prompt);
		logprob[c] = LlmLogProb(after_prompt, n_vocab, cont[c][0]);
		if (cont_len[c] > 1)
		{
			/* the last token predicts nothing we score: leave it out */
			s = ScoreSlices(ctx, cont[c], cont_len[c] - 1, prev, false, &logprob[c], err);
			if (s == LLM_OK)
				logprob[c] += LlmLogProb(prev, n_vocab, cont[c][cont_len[c] - 1]);
		}
	}
	free(after_prompt);
	free(prev);
	return s;
}

LlmStatus
LlmEmbedTokens(LlmContext *ctx, const int32_t *tokens, int n, float *out,
			   LlmError *err)
{
	const int	n_embd = ctx->model->hp.n_embd;
	float	   *hidden = malloc(sizeof(float) * SCORE_SLICE * n_embd);
	double	   *sum = calloc(n_embd, sizeof(double));
	double		norm = 0.0;
	LlmStatus	s = LLM_OK;

	if (n <= 0 || hidden == NULL || sum == NULL)
	{
		free(hidden);
		free(sum);
		if (n <= 0)
			return LlmSetError(err, LLM_ERR_ARGUMENT, "nothing to embed");
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory embedding %d tokens", n);
	}
	LlmContextReset(ctx);
	for (int done = 0; done < n && s == LLM_OK; done += SCORE_SLICE)
	{
		int			m = n - done < SCORE_SLICE ? n - done : SCORE_SLICE;

		s = LlmDecodeHidden(ctx, tokens + done, m, hidden, err);
		for (int i = 0; s == LLM_OK && i < m; i++)
			for (int j = 0; j < n_embd; j++)
				sum[j] += hidden[(size_t) i * n_embd + j];
	}
	if (s == LLM_OK)
	{
		for (int j = 0; j < n_embd; j++)
			norm += (sum[j] / n) * (sum[j] / n);
		norm = sqrt(norm);
		for (int j = 0; j < n_embd; j++)
			out[j] = norm > 0 ? (float) (sum[j] / n / norm) : 0.0f;
	}
	free(hidden);
	free(sum);
	return s;
}
