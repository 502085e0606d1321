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
	LlmContextReset(ctx);
	return LlmScoreContinuationsBatch(ctx, &prompt, &n_prompt, NULL, 1, cont, cont_len, n_cont,
									  logprob, err);
}

/*
 * How continuations are scored: the prompt's rows and, after them, every
 * continuation's tokens but the last as a branch (see LlmRow) go through
 * the model together.  Branch c of an input lies in the cells after its
 * prompt, behind the branches before it, sees the prompt and its own
 * earlier tokens, and is rotated as if it followed the prompt directly;
 * the logits of its token k score its token k + 1, the prompt's last
 * logits its first token.  So n labels of a classification cost a few
 * more rows of the prompt's pass instead of n passes over the weights.
 * Branches that do not fit in the cells left after a prompt go in later
 * passes.  The sums are added in token order.
 */
typedef struct ScoreRow
{
	int			input;
	int			cont;			/* -1: the prompt's last row */
	int			k;				/* branch row k scores cont token k + 1 */
} ScoreRow;

/* Rows of logits one decode call may return: about 32 MB of them. */
static int
LogitsRowsPerCall(int n_vocab)
{
	int			n = (int) ((32u << 20) / (sizeof(float) * (size_t) n_vocab));

	return n < 16 ? 16 : n;
}

/*
 * The rows of pass `pass` of input i into the arrays at *n: the prompt's
 * undecoded rows in pass 0, then the branches of continuations [c0, c1),
 * where c1 is as far as the cells after the prompt allow.  Returns c1.
 */
static int
PlanInput(const LlmContext *ctx, int i, const int32_t *prompt, int n_prompt, int cached,
		  const int32_t *const *cont, const int *cont_len, int n_cont, int c0,
		  int32_t *tokens, LlmRow *rows, bool *want, ScoreRow *who, int *n)
{
	int			off = 0;
	int			c = c0;

	if (c0 == 0)
		for (int j = cached; j < n_prompt; j++)
		{
			tokens[*n] = prompt[j];
			rows[*n] = (LlmRow) {.seq = i, .pos = j, .cell = j};
			want[*n] = j == n_prompt - 1;
			who[*n] = (ScoreRow) {i, -1, 0};
			(*n)++;
		}
	for (; c < n_cont; c++)
	{
		int			len = cont_len[c] - 1;	/* the last token predicts nothing we
											 * score */

		if (len <= 0)
			continue;
		/* one branch always goes, to fail with the context's error if too long */
		if (off > 0 && n_prompt + off + len > ctx->n_ctx)
			break;
		for (int k = 0; k < len; k++)
		{
			tokens[*n] = cont[c][k];
			rows[*n] = (LlmRow) {.seq = i, .pos = n_prompt + k, .cell = n_prompt + off + k,
			.prefix = n_prompt, .branch = n_prompt + off};
			want[*n] = true;
			who[*n] = (ScoreRow) {i, c, k};
			(*n)++;
		}
		off += len;
	}
	return c;
}

LlmStatus
LlmScoreContinuationsBatch(LlmContext *ctx, const int32_t *const *prompts,
						   const int *n_prompt, const int *n_cached, int n_inputs,
						   const int32_t *const *cont, const int *cont_len, int n_cont,
						   double *logprob, LlmError *err)
{
	const int	V = ctx->model->hp.n_vocab;
	const int	per_call = LogitsRowsPerCall(V);
	int			n_rows = 0;
	int			branch_rows = 0;
	int		   *next_cont = NULL;
	int32_t    *tokens = NULL;
	LlmRow	   *rows = NULL;
	bool	   *want = NULL;
	ScoreRow   *who = NULL;
	float	   *logits = NULL;
	LlmStatus	s = LLM_OK;

	if (n_inputs < 1 || n_inputs > ctx->n_seq)
		return LlmSetError(err, LLM_ERR_ARGUMENT, "%d inputs for a context of %d sequences",
						   n_inputs, ctx->n_seq);
	if (n_cont < 0)
		return LlmSetError(err, LLM_ERR_ARGUMENT, "%d continuations", n_cont);
	for (int c = 0; c < n_cont; c++)
	{
		if (cont_len[c] < 0)
			return LlmSetError(err, LLM_ERR_ARGUMENT, "continuation %d has length %d", c, cont_len[c]);
		for (int k = 0; k < cont_len[c]; k++)
			if (cont[c][k] < 0 || cont[c][k] >= V)
				return LlmSetError(err, LLM_ERR_ARGUMENT,
								   "token id %d of continuation %d is outside the vocabulary (0..%d)",
								   cont[c][k], c, V - 1);
		if (cont_len[c] > 1)
			branch_rows += cont_len[c] - 1;
	}
	for (int i = 0; i < n_inputs; i++)
	{
		int			cached = n_cached ? n_cached[i] : 0;

		if (n_prompt[i] <= 0)
			return LlmSetError(err, LLM_ERR_ARGUMENT, "input %d has an empty prompt", i);
		if (cached < 0 || cached >= n_prompt[i] || cached > ctx->seq_past[i])
			return LlmSetError(err, LLM_ERR_ARGUMENT,
							   "input %d: %d cached tokens of a prompt of %d, sequence holding %d",
							   i, cached, n_prompt[i], ctx->seq_past[i]);
		if (n_prompt[i] > ctx->n_ctx)
			return LlmSetError(err, LLM_ERR_CONTEXT,
							   "a prompt of %d tokens does not fit in the context of %d",
							   n_prompt[i], ctx->n_ctx);
		for (int c = 0; c < n_cont; c++)
			if (n_prompt[i] + cont_len[c] - 1 > ctx->n_ctx)
				return LlmSetError(err, LLM_ERR_CONTEXT,
								   "continuation %d of %d tokens does not fit after the %d tokens of prompt %d in the context of %d",
								   c, cont_len[c], n_prompt[i], i, ctx->n_ctx);
		n_rows += n_prompt[i] - cached + branch_rows;
	}

	next_cont = calloc(n_inputs, sizeof(int));
	tokens = malloc(sizeof(int32_t) * n_rows);
	rows = malloc(sizeof(LlmRow) * n_rows);
	want = malloc(sizeof(bool) * n_rows);
	who = malloc(sizeof(ScoreRow) * n_rows);
	logits = malloc(sizeof(float) * V * (size_t) per_call);
	if (!next_cont || !tokens || !rows || !want || !who || !logits)
		s = LlmSetError(err, LLM_ERR_NOMEM, "out of memory scoring %d inputs", n_inputs);
	for (int i = 0; i < n_inputs; i++)
		for (int c = 0; c < n_cont; c++)
			logprob[(size_t) i * n_cont + c] = 0.0;

	/* passes until every input's branches are done (one, unless they overflow) */
	for (int pass = 0; s == LLM_OK; pass++)
	{
		int			n = 0;

		for (int i = 0; i < n_inputs; i++)
			if (pass == 0 || next_cont[i] < n_cont)
				next_cont[i] = PlanInput(ctx, i, prompts[i], n_prompt[i],
										 n_cached ? n_cached[i] : 0, cont, cont_len, n_cont,
										 pass == 0 ? 0 : next_cont[i], tokens, rows, want, who, &n);
		if (n == 0)
			break;

		/* in calls of at most per_call wanted rows, each scored as it comes */
		for (int first = 0; first < n && s == LLM_OK;)
		{
			int			last = first;
			int			n_want = 0;
			int			w = 0;

			while (last < n && n_want + want[last] <= per_call)
				n_want += want[last++];
			s = LlmDecodeRows(ctx, tokens + first, rows + first, want + first, last - first,
							  false, logits, err);
			for (int r = first; r < last && s == LLM_OK; r++)
			{
				const ScoreRow *o = &who[r];
				const float *l = logits + (size_t) w * V;
				double	   *lp = logprob + (size_t) o->input * n_cont;

				if (!want[r])
					continue;
				w++;
				if (o->cont < 0)
				{
					for (int c = 0; c < n_cont; c++)
						lp[c] = cont_len[c] > 0 ? LlmLogProb(l, V, cont[c][0]) : 0.0;
				}
				else
					lp[o->cont] += LlmLogProb(l, V, cont[o->cont][o->k + 1]);
			}
			first = last;
		}
	}

	/* the prompts stay, the branches' cells are overwritten by what comes next */
	for (int i = 0; i < n_inputs; i++)
		ctx->seq_past[i] = s == LLM_OK ? n_prompt[i] : (n_cached ? n_cached[i] : 0);
	free(next_cont);
	free(tokens);
	free(rows);
	free(want);
	free(who);
	free(logits);
	return s;
}

/*
 * out = the pooled vector: the sum of n hidden states divided by n (one
 * state and n = 1 for cls and last pooling), scaled to unit length when
 * normalize, computed in double.
 */
static void
EmbedFinish(const double *sum, int n, int n_embd, bool normalize, float *out)
{
	double		norm = 0.0;

	for (int j = 0; j < n_embd; j++)
		norm += (sum[j] / n) * (sum[j] / n);
	norm = sqrt(norm);
	for (int j = 0; j < n_embd; j++)
	{
		if (!normalize)
			out[j] = (float) (sum[j] / n);
		else
			out[j] = norm > 0 ? (float) (sum[j] / n / norm) : 0.0f;
	}
}

/* The model's pooling, or an error when it pools nothing. */
static LlmStatus
EmbedPooling(const LlmContext *ctx, LlmPooling *pooling, LlmError *err)
{
	*pooling = ctx->model->hp.pooling;
	if (*pooling == LLM_POOLING_NONE)
		return LlmSetError(err, LLM_ERR_UNSUPPORTED,
						   "the model's pooling type is none: it gives one vector per token, not one per input");
	return LLM_OK;
}

/* Whether token j of an input of n tokens is part of its pooled vector. */
static bool
EmbedWants(LlmPooling pooling, int j, int n)
{
	return pooling == LLM_POOLING_MEAN ||
		(pooling == LLM_POOLING_CLS && j == 0) ||
		(pooling == LLM_POOLING_LAST && j == n - 1);
}

LlmStatus
LlmEmbedPooled(LlmContext *ctx, const int32_t *tokens, int n, bool normalize, float *out,
			   LlmError *err)
{
	const int	n_embd = ctx->model->hp.n_embd;

	/* an encoder sees its whole input at once: one slice (decode.c checks) */
	const int	slice = ctx->model->hp.causal ? SCORE_SLICE : (n > 0 ? n : 1);
	float	   *hidden;
	double	   *sum;
	LlmPooling	pooling;
	int			n_pooled;
	LlmStatus	s;

	if (n <= 0)
		return LlmSetError(err, LLM_ERR_ARGUMENT, "nothing to embed");
	if ((s = EmbedPooling(ctx, &pooling, err)) != LLM_OK)
		return s;
	hidden = malloc(sizeof(float) * slice * n_embd);
	sum = calloc(n_embd, sizeof(double));
	if (hidden == NULL || sum == NULL)
	{
		free(hidden);
		free(sum);
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory embedding %d tokens", n);
	}
	LlmContextReset(ctx);
	for (int done = 0; done < n && s == LLM_OK; done += slice)
	{
		int			m = n - done < slice ? n - done : slice;

		s = LlmDecodeHidden(ctx, tokens + done, m, hidden, err);
		for (int i = 0; s == LLM_OK && i < m; i++)
			if (EmbedWants(pooling, done + i, n))
				for (int j = 0; j < n_embd; j++)
					sum[j] += hidden[(size_t) i * n_embd + j];
	}
	n_pooled = pooling == LLM_POOLING_MEAN ? n : 1;
	if (s == LLM_OK)
		EmbedFinish(sum, n_pooled, n_embd, normalize, out);
	free(hidden);
	free(sum);
	return s;
}

LlmStatus
LlmEmbedTokens(LlmContext *ctx, const int32_t *tokens, int n, float *out,
			   LlmError *err)
{
	return LlmEmbedPooled(ctx, tokens, n, true, out, err);
}

/*
 * Run n rows of a batch of inputs and add each wanted row's hidden state to
 * its input's sum (owner[r]: which input row r is of).
 */
static LlmStatus
EmbedRows(LlmContext *ctx, const int32_t *tok, const LlmRow *rows, const bool *want,
		  const int *owner, int n, float *hidden, double *sum, LlmError *err)
{
	const int	n_embd = ctx->model->hp.n_embd;
	LlmStatus	s = LlmDecodeRows(ctx, tok, rows, want, n, true, hidden, err);
	int			w = 0;

	for (int r = 0; r < n && s == LLM_OK; r++)
	{
		double	   *acc = sum + (size_t) owner[r] * n_embd;
		const float *h = hidden + (size_t) w * n_embd;

		if (!want[r])
			continue;
		for (int d = 0; d < n_embd; d++)
			acc[d] += h[d];
		w++;
	}
	return s;
}

LlmStatus
LlmEmbedBatch(LlmContext *ctx, const int32_t *const *tokens, const int *n_tokens,
			  int n_inputs, float *out, LlmError *err)
{
	const int	n_embd = ctx->model->hp.n_embd;
	const bool	encoder = !ctx->model->hp.causal;
	const int	slice = ctx->n_batch;
	float	   *hidden;
	double	   *sum;
	int32_t    *tok;
	LlmRow	   *rows;
	bool	   *want;
	int		   *owner;
	int			n = 0;
	LlmPooling	pooling;
	LlmStatus	s = LLM_OK;

	if (n_inputs < 1 || n_inputs > ctx->n_seq)
		return LlmSetError(err, LLM_ERR_ARGUMENT, "%d inputs for a context of %d sequences",
						   n_inputs, ctx->n_seq);
	if ((s = EmbedPooling(ctx, &pooling, err)) != LLM_OK)
		return s;
	for (int i = 0; i < n_inputs; i++)
	{
		if (n_tokens[i] <= 0)
			return LlmSetError(err, LLM_ERR_ARGUMENT, "input %d: nothing to embed", i);
		if (n_tokens[i] > ctx->n_ctx)
			return LlmSetError(err, LLM_ERR_CONTEXT,
							   "input %d: %d tokens do not fit in the context of %d",
							   i, n_tokens[i], ctx->n_ctx);
		if (encoder && n_tokens[i] > slice)
			return LlmSetError(err, LLM_ERR_CONTEXT,
							   "input %d: a %s model is an encoder: its %d tokens must fit in one batch of %d",
							   i, ctx->model->arch_name, n_tokens[i], slice);
		for (int j = 0; j < n_tokens[i]; j++)
			if (tokens[i][j] < 0 || tokens[i][j] >= ctx->model->hp.n_vocab)
				return LlmSetError(err, LLM_ERR_ARGUMENT,
								   "input %d: token id %d at position %d is outside the vocabulary (0..%d)",
								   i, tokens[i][j], j, ctx->model->hp.n_vocab - 1);
	}
	hidden = malloc(sizeof(float) * slice * n_embd);
	sum = calloc((size_t) n_inputs * n_embd, sizeof(double));
	tok = malloc(sizeof(int32_t) * slice);
	rows = malloc(sizeof(LlmRow) * slice);
	want = malloc(sizeof(bool) * slice);
	owner = malloc(sizeof(int) * slice);
	if (!hidden || !sum || !tok || !rows || !want || !owner)
		s = LlmSetError(err, LLM_ERR_NOMEM, "out of memory embedding %d inputs", n_inputs);

	/*
	 * Every token of every input, n_batch rows at a time (a chunk mixes
	 * inputs; an encoder's input is never split, as it must see itself
	 * whole); each input's pooled hidden states are summed in token order,
	 * as LlmEmbedTokens sums them, so the embeddings have its bits.  Only
	 * the pooled rows are wanted: their final norm and copy are all the
	 * output costs.
	 */
	for (int i = 0; i < n_inputs && s == LLM_OK; i++)
	{
		if (encoder && n > 0 && n + n_tokens[i] > slice)
		{
			s = EmbedRows(ctx, tok, rows, want, owner, n, hidden, sum, err);
			n = 0;
		}
		for (int j = 0; j < n_tokens[i] && s == LLM_OK; j++)
		{
			tok[n] = tokens[i][j];
			rows[n] = (LlmRow) {.seq = i, .pos = j, .cell = j};
			want[n] = EmbedWants(pooling, j, n_tokens[i]);
			owner[n] = i;
			if (++n == slice || (i == n_inputs - 1 && j == n_tokens[i] - 1))
			{
				s = EmbedRows(ctx, tok, rows, want, owner, n, hidden, sum, err);
				n = 0;
			}
		}
	}
	for (int i = 0; i < n_inputs && s == LLM_OK; i++)
		EmbedFinish(sum + (size_t) i * n_embd, pooling == LLM_POOLING_MEAN ? n_tokens[i] : 1,
					n_embd, true, out + (size_t) i * n_embd);
	for (int i = 0; i < n_inputs; i++)
		ctx->seq_past[i] = s == LLM_OK ? n_tokens[i] : 0;
	free(hidden);
	free(sum);
	free(tok);
	free(rows);
	free(want);
	free(owner);
	return s;
}
