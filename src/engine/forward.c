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
#include "kernels.h"
#include "ops.h"

#define Min(a, b) ((a) < (b) ? (a) : (b))
#define Max(a, b) ((a) > (b) ? (a) : (b))

typedef struct AttentionTask
{
	LlmContext *ctx;
	int			layer;
	int			pos0;
	int			n_rows;
	int			rows_per_block; /* query rows one score matrix holds */
} AttentionTask;

/*
 * Causal self-attention of one query head over a block of the chunk's rows
 * (positions pos0 + t0 ..), into ctx->att_out.  Grouped-query: query head
 * h reads key/value head h / (n_head / n_head_kv).  Both products are
 * matrix products through the kernel table's F32 gemm, all rows of the
 * block at once: S = Q K^T over every key any row of the block may see,
 * then each row is scaled, masked and softmaxed, and out = S V over the
 * transposed value cache (masked keys weigh exactly 0).
 */
static void
AttentionBlock(AttentionTask *task, float *scores, int h, int t0, int n)
{
	LlmContext *ctx = task->ctx;
	const LlmHParams *hp = &ctx->model->hp;
	const LlmKernelTable *k = LlmKernelsGet();
	const int	hd = hp->head_dim;
	const int	kv_dim = hp->n_head_kv * hd;
	const int	q_dim = hp->n_head * hd;
	const int	kvh = h / (hp->n_head / hp->n_head_kv);
	const float scale = 1.0f / sqrtf((float) hd);
	const float *kc = ctx->k_cache + (size_t) task->layer * ctx->n_ctx * kv_dim;
	const float *vt = ctx->v_cache + (size_t) task->layer * kv_dim * ctx->n_ctx;
	const int	n_keys = task->pos0 + t0 + n;	/* seen by the block's last row */

	/* scores[t][j] = q_t . k_j */
	k->gemm[LLM_TYPE_F32] (hd, n_keys, n, scores, n_keys, kc + kvh * hd,
						   sizeof(float) * kv_dim,
						   ctx->q + (size_t) t0 * q_dim + h * hd, sizeof(float) * q_dim);
	for (int t = 0; t < n; t++)
	{
		float	   *row = scores + (size_t) t * n_keys;
		int			visible = task->pos0 + t0 + t + 1;

		for (int j = 0; j < visible; j++)
			row[j] *= scale;
		LlmSoftmax(row, visible);
		memset(row + visible, 0, sizeof(float) * (n_keys - visible));
	}
	/* out[t][i] = sum_j scores[t][j] v_j[i] */
	k->gemm[LLM_TYPE_F32] (n_keys, hd, n, ctx->att_out + (size_t) t0 * q_dim + h * hd, q_dim,
						   vt + (size_t) kvh * hd * ctx->n_ctx, sizeof(float) * ctx->n_ctx,
						   scores, sizeof(float) * n_keys);
}

/* A share of the (head, block of rows) pairs of a chunk's attention. */
static void
AttentionShare(void *arg, int ith, int nth)
{
	AttentionTask *task = arg;
	const int	n_head = task->ctx->model->hp.n_head;
	const int	n_blocks = (task->n_rows + task->rows_per_block - 1) / task->rows_per_block;
	float	   *scores = task->ctx->scores + (size_t) ith * task->ctx->scores_per_thread;
	int64_t		lo,
				hi;

	LlmSplitRange((int64_t) n_head * n_blocks, ith, nth, 1, &lo, &hi);
	for (int64_t i = lo; i < hi; i++)
	{
		int			h = (int) (i % n_head);
		int			t0 = (int) (i / n_head) * task->rows_per_block;
		int			n = Min(task->rows_per_block, task->n_rows - t0);

		AttentionBlock(task, scores, h, t0, n);
	}
}

static void
AddInPlace(float *x, const float *y, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x[i] += y[i];
}

static bool
Cancelled(LlmContext *ctx)
{
	return ctx->cancel != NULL && ctx->cancel(ctx->cancel_arg);
}

/*
 * One transformer block over the chunk's n_rows rows in ctx->x.  Returns
 * false if the cancel callback asked to stop: it is polled between the
 * block's large steps so that a long prompt stops within milliseconds.
 */
static bool
Block(LlmContext *ctx, int l, int pos0, int n_rows)
{
	const LlmModel *m = ctx->model;
	const LlmHParams *hp = &m->hp;
	const LlmLayer *L = &m->layers[l];
	const int	q_dim = hp->n_head * hp->head_dim;
	const int	kv_dim = hp->n_head_kv * hp->head_dim;
	const size_t n_x = (size_t) n_rows * hp->n_embd;

	/* attention */
	if (Cancelled(ctx))
		return false;
	LlmRmsNorm(ctx->xb, ctx->x, L->attn_norm, n_rows, hp->n_embd, hp->rms_eps);
	LlmMatmul(ctx->q, &L->wq, ctx->xb, n_rows, ctx->act_scratch, ctx->pool);
	LlmMatmul(ctx->k, &L->wk, ctx->xb, n_rows, ctx->act_scratch, ctx->pool);
	LlmMatmul(ctx->v, &L->wv, ctx->xb, n_rows, ctx->act_scratch, ctx->pool);
	if (L->bq)
		LlmAddBias(ctx->q, L->bq, n_rows, q_dim);
	if (L->bk)
		LlmAddBias(ctx->k, L->bk, n_rows, kv_dim);
	if (L->bv)
		LlmAddBias(ctx->v, L->bv, n_rows, kv_dim);
	for (int t = 0; t < n_rows; t++)
	{
		const int	pos = pos0 + t;
		float	   *kc = ctx->k_cache + ((size_t) l * ctx->n_ctx + pos) * kv_dim;
		float	   *vt = ctx->v_cache + (size_t) l * kv_dim * ctx->n_ctx + pos;
		const float *v = ctx->v + (size_t) t * kv_dim;

		LlmRope(ctx->q + (size_t) t * q_dim, hp->n_head, hp->head_dim, pos, hp, m->rope_freqs);
		LlmRope(ctx->k + (size_t) t * kv_dim, hp->n_head_kv, hp->head_dim, pos, hp, m->rope_freqs);
		memcpy(kc, ctx->k + (size_t) t * kv_dim, sizeof(float) * kv_dim);
		/* values are stored transposed: one row per dimension, over positions */
		for (int i = 0; i < kv_dim; i++)
			vt[(size_t) i * ctx->n_ctx] = v[i];
	}
	{
		/*
		 * Blocks of at most 64 query rows: each block only scores the keys
		 * its last row sees, so the masked half of a causal chunk is mostly
		 * never computed.  Fewer rows if the per-thread buffer is smaller.
		 */
		int			rows = (int) Min(64, ctx->scores_per_thread / (pos0 + n_rows));
		AttentionTask task = {ctx, l, pos0, n_rows, Max(1, Min(rows, n_rows))};

		LlmThreadPoolRun(ctx->pool, AttentionShare, &task);
	}
	if (Cancelled(ctx))
		return false;
	LlmMatmul(ctx->xb, &L->wo, ctx->att_out, n_rows, ctx->act_scratch, ctx->pool);
	AddInPlace(ctx->x, ctx->xb, n_x);

	/* feed-forward: down(silu(gate(x)) * up(x)) */
	if (Cancelled(ctx))
		return false;
	LlmRmsNorm(ctx->xb, ctx->x, L->ffn_norm, n_rows, hp->n_embd, hp->rms_eps);
	LlmMatmul(ctx->gate, &L->w_gate, ctx->xb, n_rows, ctx->act_scratch, ctx->pool);
	LlmMatmul(ctx->up, &L->w_up, ctx->xb, n_rows, ctx->act_scratch, ctx->pool);
	LlmSwiGlu(ctx->gate, ctx->up, (int64_t) n_rows * hp->n_ff);
	if (Cancelled(ctx))
		return false;
	LlmMatmul(ctx->xb, &L->w_down, ctx->gate, n_rows, ctx->act_scratch, ctx->pool);
	AddInPlace(ctx->x, ctx->xb, n_x);
	return true;
}

/* Final norm of rows [first, first + n) of ctx->x into the same rows of ctx->xb. */
static float *
FinalNorm(LlmContext *ctx, int first, int n)
{
	const LlmModel *m = ctx->model;
	const int	n_embd = m->hp.n_embd;
	float	   *rows = ctx->xb + (size_t) first * n_embd;

	LlmRmsNorm(rows, ctx->x + (size_t) first * n_embd, m->output_norm, n, n_embd,
			   m->hp.rms_eps);
	return rows;
}

/* What a decode call hands back. */
typedef enum DecodeOutput
{
	DECODE_LAST_LOGITS,			/* [n_vocab] of the last token */
	DECODE_ALL_LOGITS,			/* [n_tokens][n_vocab] */
	DECODE_HIDDEN				/* [n_tokens][n_embd] after the final norm */
} DecodeOutput;

static LlmStatus
Decode(LlmContext *ctx, const int32_t *tokens, int n_tokens, DecodeOutput what,
	   float *out, LlmError *err)
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
			if (!Block(ctx, l, pos0, n))
				return LlmSetError(err, LLM_ERR_CANCELLED, "cancelled");

		if (out == NULL)
			;
		else if (what == DECODE_ALL_LOGITS)
			LlmMatmul(out + (size_t) done * n_vocab, &m->output, FinalNorm(ctx, 0, n), n,
					  ctx->act_scratch, ctx->pool);
		else if (what == DECODE_HIDDEN)
			memcpy(out + (size_t) done * n_embd, FinalNorm(ctx, 0, n), sizeof(float) * n * n_embd);
		else if (last_chunk)
			LlmMatmul(out, &m->output, FinalNorm(ctx, n - 1, 1), 1, ctx->act_scratch, ctx->pool);

		ctx->n_past += n;
		done += n;
	}
	return LLM_OK;
}

LlmStatus
LlmDecode(LlmContext *ctx, const int32_t *tokens, int n_tokens, float *logits,
		  bool all_logits, LlmError *err)
{
	return Decode(ctx, tokens, n_tokens, all_logits ? DECODE_ALL_LOGITS : DECODE_LAST_LOGITS,
				  logits, err);
}

LlmStatus
LlmDecodeHidden(LlmContext *ctx, const int32_t *tokens, int n_tokens, float *hidden,
				LlmError *err)
{
	return Decode(ctx, tokens, n_tokens, DECODE_HIDDEN, hidden, err);
}
