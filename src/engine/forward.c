/*-------------------------------------------------------------------------
 *
 * forward.c
 *	  The transformer forward pass (llama / qwen2 architectures).
 *
 * Tokens go through in chunks: every step works on all rows of a chunk so
 * that each weight matrix is streamed from memory once per chunk, not once
 * per token.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "context.h"
#include "ops.h"

/*
 * Causal self-attention of the chunk's rows (positions pos0 ..) against the
 * cache of layer l, into ctx->att_out.  Grouped-query: query head h reads
 * key/value head h / (n_head / n_head_kv).
 */
static void
Attention(LlmContext *ctx, int l, int pos0, int n_rows)
{
	const LlmHParams *hp = &ctx->model->hp;
	const int	hd = hp->head_dim;
	const int	kv_dim = hp->n_head_kv * hd;
	const int	q_dim = hp->n_head * hd;
	const int	group = hp->n_head / hp->n_head_kv;
	const float scale = 1.0f / sqrtf((float) hd);
	const float *kc = ctx->k_cache + (size_t) l * ctx->n_ctx * kv_dim;
	const float *vc = ctx->v_cache + (size_t) l * ctx->n_ctx * kv_dim;

	for (int t = 0; t < n_rows; t++)
	{
		const int	n_keys = pos0 + t + 1;

		for (int h = 0; h < hp->n_head; h++)
		{
			const float *q = ctx->q + (size_t) t * q_dim + h * hd;
			const int	kvh = h / group;
			float	   *out = ctx->att_out + (size_t) t * q_dim + h * hd;

			for (int j = 0; j < n_keys; j++)
			{
				const float *k = kc + (size_t) j * kv_dim + kvh * hd;
				float		s = 0.0f;

				for (int i = 0; i < hd; i++)
					s += q[i] * k[i];
				ctx->scores[j] = s * scale;
			}
			LlmSoftmax(ctx->scores, n_keys);

			memset(out, 0, sizeof(float) * hd);
			for (int j = 0; j < n_keys; j++)
			{
				const float *v = vc + (size_t) j * kv_dim + kvh * hd;
				const float a = ctx->scores[j];

				for (int i = 0; i < hd; i++)
					out[i] += a * v[i];
			}
		}
	}
}

static void
AddInPlace(float *x, const float *y, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x[i] += y[i];
}

/* One transformer block over the chunk's n_rows rows in ctx->x. */
static void
Block(LlmContext *ctx, int l, int pos0, int n_rows)
{
	const LlmModel *m = ctx->model;
	const LlmHParams *hp = &m->hp;
	const LlmLayer *L = &m->layers[l];
	const int	q_dim = hp->n_head * hp->head_dim;
	const int	kv_dim = hp->n_head_kv * hp->head_dim;
	const size_t n_x = (size_t) n_rows * hp->n_embd;

	/* attention */
	LlmRmsNorm(ctx->xb, ctx->x, L->attn_norm, n_rows, hp->n_embd, hp->rms_eps);
	LlmMatmul(ctx->q, &L->wq, ctx->xb, n_rows, ctx->act_scratch);
	LlmMatmul(ctx->k, &L->wk, ctx->xb, n_rows, ctx->act_scratch);
	LlmMatmul(ctx->v, &L->wv, ctx->xb, n_rows, ctx->act_scratch);
	if (L->bq)
		LlmAddBias(ctx->q, L->bq, n_rows, q_dim);
	if (L->bk)
		LlmAddBias(ctx->k, L->bk, n_rows, kv_dim);
	if (L->bv)
		LlmAddBias(ctx->v, L->bv, n_rows, kv_dim);
	for (int t = 0; t < n_rows; t++)
	{
		size_t		slot = ((size_t) l * ctx->n_ctx + pos0 + t) * kv_dim;

		LlmRope(ctx->q + (size_t) t * q_dim, hp->n_head, hp->head_dim, pos0 + t, hp, m->rope_freqs);
		LlmRope(ctx->k + (size_t) t * kv_dim, hp->n_head_kv, hp->head_dim, pos0 + t, hp, m->rope_freqs);
		memcpy(ctx->k_cache + slot, ctx->k + (size_t) t * kv_dim, sizeof(float) * kv_dim);
		memcpy(ctx->v_cache + slot, ctx->v + (size_t) t * kv_dim, sizeof(float) * kv_dim);
	}
	Attention(ctx, l, pos0, n_rows);
	LlmMatmul(ctx->xb, &L->wo, ctx->att_out, n_rows, ctx->act_scratch);
	AddInPlace(ctx->x, ctx->xb, n_x);

	/* feed-forward: down(silu(gate(x)) * up(x)) */
	LlmRmsNorm(ctx->xb, ctx->x, L->ffn_norm, n_rows, hp->n_embd, hp->rms_eps);
	LlmMatmul(ctx->gate, &L->w_gate, ctx->xb, n_rows, ctx->act_scratch);
	LlmMatmul(ctx->up, &L->w_up, ctx->xb, n_rows, ctx->act_scratch);
	LlmSwiGlu(ctx->gate, ctx->up, (int64_t) n_rows * hp->n_ff);
	LlmMatmul(ctx->xb, &L->w_down, ctx->gate, n_rows, ctx->act_scratch);
	AddInPlace(ctx->x, ctx->xb, n_x);
}

/* Final norm and output matrix for rows [first, first + n) of ctx->x. */
static void
Output(LlmContext *ctx, int first, int n, float *logits)
{
	const LlmModel *m = ctx->model;
	const int	n_embd = m->hp.n_embd;
	float	   *rows = ctx->xb + (size_t) first * n_embd;

	LlmRmsNorm(rows, ctx->x + (size_t) first * n_embd, m->output_norm, n, n_embd,
			   m->hp.rms_eps);
	LlmMatmul(logits, &m->output, rows, n, ctx->act_scratch);
}

static bool
Cancelled(LlmContext *ctx)
{
	return ctx->cancel != NULL && ctx->cancel(ctx->cancel_arg);
}

LlmStatus
LlmDecode(LlmContext *ctx, const int32_t *tokens, int n_tokens, float *logits,
		  bool all_logits, LlmError *err)
{
	const LlmModel *m = ctx->model;
	const int	n_embd = m->hp.n_embd;
	const int	n_vocab = m->hp.n_vocab;

	if (n_tokens <= 0)
		return LlmSetError(err, LLM_ERR_ARGUMENT, "no tokens to decode");
	if (n_tokens > ctx->n_ctx - ctx->n_past)
		return LlmSetError(err, LLM_ERR_CONTEXT,
						   "%d tokens do not fit in the context: %d of %d positions are used",
						   n_tokens, ctx->n_past, ctx->n_ctx);
	for (int i = 0; i < n_tokens; i++)
		if (tokens[i] < 0 || tokens[i] >= n_vocab)
			return LlmSetError(err, LLM_ERR_ARGUMENT,
							   "token id %d at position %d is outside the vocabulary (0..%d)",
							   tokens[i], i, n_vocab - 1);

	for (int done = 0; done < n_tokens;)
	{
		int			n = n_tokens - done < ctx->n_batch ? n_tokens - done : ctx->n_batch;
		int			pos0 = ctx->n_past;
		bool		last_chunk = done + n == n_tokens;

		for (int t = 0; t < n; t++)
			LlmWeightRow(&m->tok_embd, tokens[done + t], ctx->x + (size_t) t * n_embd);
		for (int l = 0; l < m->hp.n_layer; l++)
		{
			if (Cancelled(ctx))
				return LlmSetError(err, LLM_ERR_CANCELLED, "cancelled");
			Block(ctx, l, pos0, n);
		}

		if (logits != NULL && all_logits)
			Output(ctx, 0, n, logits + (size_t) done * n_vocab);
		else if (logits != NULL && last_chunk)
			Output(ctx, n - 1, 1, logits);

		ctx->n_past += n;
		done += n;
	}
	return LLM_OK;
}
