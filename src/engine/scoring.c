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

/*
 * Add the log-probabilities of continuation c of every input: its tokens
 * but the last go through in batches of SCORE_SLICE rows (any mix of
 * inputs), the logits of token k scoring token k + 1; the first token is
 * scored from the prompt's logits.  Terms are added in token order, as
 * LlmScoreContinuations adds them, so the sums have the same bits.
 */
static LlmStatus
ScoreContinuationBatch(LlmContext *ctx, const int *n_prompt, int n_inputs,
					   const int32_t *cont, int len, const float *after_prompt,
					   float *logits, LlmBatchToken *items, int *owner, int *index,
					   double *logprob, int stride, LlmError *err)
{
	const int	V = ctx->model->hp.n_vocab;
	const int	total = n_inputs * (len - 1);
	LlmStatus	s = LLM_OK;

	for (int i = 0; i < n_inputs; i++)
		logprob[(size_t) i * stride] = len > 0 ? LlmLogProb(after_prompt + (size_t) i * V, V, cont[0]) : 0.0;
	for (int done = 0; done < total && s == LLM_OK; done += SCORE_SLICE)
	{
		int			m = total - done < SCORE_SLICE ? total - done : SCORE_SLICE;

		for (int r = 0; r < m; r++)
		{
			owner[r] = (done + r) / (len - 1);
			index[r] = (done + r) % (len - 1);
			items[r] = (LlmBatchToken) {cont[index[r]], owner[r], true};
		}
		s = LlmDecodeBatch(ctx, items, m, logits, err);
		for (int r = 0; r < m && s == LLM_OK; r++)
			logprob[(size_t) owner[r] * stride] +=
				LlmLogProb(logits + (size_t) r * V, V, cont[index[r] + 1]);
	}
	/* every continuation starts right after its prompt */
	for (int i = 0; i < n_inputs && s == LLM_OK; i++)
		s = LlmSeqTruncate(ctx, i, n_prompt[i], err);
	return s;
}

LlmStatus
LlmScoreContinuationsBatch(LlmContext *ctx, const int32_t *const *prompts,
						   const int *n_prompt, const int *n_cached, int n_inputs,
						   const int32_t *const *cont, const int *cont_len, int n_cont,
						   double *logprob, LlmError *err)
{
	const int	V = ctx->model->hp.n_vocab;
	int			n_items = 0;
	float	   *after_prompt;
	float	   *logits;
	LlmBatchToken *items;
	int		   *owner;
	int		   *index;
	LlmStatus	s = LLM_OK;

	if (n_inputs < 1 || n_inputs > ctx->n_seq)
		return LlmSetError(err, LLM_ERR_ARGUMENT, "%d inputs for a context of %d sequences",
						   n_inputs, ctx->n_seq);
	for (int i = 0; i < n_inputs; i++)
	{
		int			cached = n_cached ? n_cached[i] : 0;

		if (n_prompt[i] <= 0)
			return LlmSetError(err, LLM_ERR_ARGUMENT, "input %d has an empty prompt", i);
		if (cached < 0 || cached >= n_prompt[i] || cached > ctx->seq_past[i])
			return LlmSetError(err, LLM_ERR_ARGUMENT,
							   "input %d: %d cached tokens of a prompt of %d, sequence holding %d",
							   i, cached, n_prompt[i], ctx->seq_past[i]);
		n_items += n_prompt[i];
	}
	for (int c = 0; c < n_cont; c++)
		for (int k = 0; k < cont_len[c]; k++)
			if (cont[c][k] < 0 || cont[c][k] >= V)
				return LlmSetError(err, LLM_ERR_ARGUMENT,
								   "token id %d of continuation %d is outside the vocabulary (0..%d)",
								   cont[c][k], c, V - 1);
	after_prompt = malloc(sizeof(float) * V * n_inputs);
	logits = malloc(sizeof(float) * V * SCORE_SLICE);
	items = malloc(sizeof(LlmBatchToken) * (n_items > SCORE_SLICE ? n_items : SCORE_SLICE));
	owner = malloc(sizeof(int) * SCORE_SLICE);
	index = malloc(sizeof(int) * SCORE_SLICE);
	if (!after_prompt || !logits || !items || !owner || !index)
		s = LlmSetError(err, LLM_ERR_NOMEM, "out of memory scoring %d inputs", n_inputs);

	/* the prompts together, each once */
	if (s == LLM_OK)
	{
		n_items = 0;
		for (int i = 0; i < n_inputs; i++)
		{
			ctx->seq_past[i] = n_cached ? n_cached[i] : 0;
			for (int j = ctx->seq_past[i]; j < n_prompt[i]; j++)
				items[n_items++] = (LlmBatchToken) {prompts[i][j], i, j == n_prompt[i] - 1};
		}
		s = LlmDecodeBatch(ctx, items, n_items, after_prompt, err);
	}
	for (int c = 0; c < n_cont && s == LLM_OK; c++)
		s = ScoreContinuationBatch(ctx, n_prompt, n_inputs, cont[c], cont_len[c], after_prompt,
								   logits, items, owner, index, logprob + c, n_cont, err);
	free(after_prompt);
	free(logits);
	free(items);
	free(owner);
	free(index);
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
