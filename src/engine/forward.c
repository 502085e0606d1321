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
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "fp16.h"
#include "kernels.h"
#include "ops.h"

typedef struct AttentionTask
{
	LlmContext *ctx;
	int			layer;
} AttentionTask;

/*
 * Causal self-attention of a set of query rows that read one key/value
 * head (grouped-query: query head h reads key/value head h / (n_head /
 * n_head_kv)) in one sequence, into ctx->att_out: either one query head
 * over a block of the chunk's rows (consecutive cells), or, for a block of
 * one row, every query head of the group at once, so that the keys and
 * values are read once for the group, not once per head.
 *
 * Both products are matrix products through the kernel table's gemm, all
 * query rows at once: S = Q K^T over every key the last row sees, then
 * each row is scaled, masked and softmaxed, and out = S V over the
 * transposed value cache (masked keys weigh exactly 0).  The gemm computes
 * each element in one fixed order, whatever the tile and however many
 * zero-weighted keys follow, so a row's result does not depend on which
 * rows share its product.
 */
typedef struct QueryRows
{
	const LlmAttnBlock *b;
	int			kvh;			/* the key/value head */
	int			n;				/* query rows */
	bool		heads;			/* rows are heads of one chunk row (else
								 * chunk rows of one head) */
	const float *q;				/* first query row */
	size_t		q_stride;		/* floats between query rows */
	float	   *out;			/* first output row */
	size_t		out_stride;
} QueryRows;

/*
 * out[t][i] = sum over keys j in [from, to) of w[t][j] v_j[i], the weights
 * w (F32 scores, or their F16 copy over an F16 cache) in rows of n_keys.
 */
static void
SumValues(const LlmContext *ctx, const char *vt, const QueryRows *qr, const void *w,
		  int n_keys, int from, int to, float *out, size_t out_stride)
{
	const LlmKernelTable *k = LlmKernelsGet();
	const int	hd = ctx->model->hp.head_dim;
	const bool	half = ctx->kv_type == LLM_TYPE_F16;
	const size_t welem = half ? sizeof(LlmHalf) : sizeof(float);

	k->gemm[half ? LLM_TYPE_F16 : LLM_TYPE_F32] (to - from, hd, qr->n, out, out_stride,
												 vt + ((size_t) qr->kvh * hd * ctx->n_ctx + from) * ctx->kv_elem,
												 ctx->kv_elem * ctx->n_ctx,
												 (const char *) w + welem * from, welem * n_keys);
}

static void
AttentionRows(AttentionTask *task, float *scores, float *part, void *halves, const QueryRows *qr)
{
	LlmContext *ctx = task->ctx;
	const LlmHParams *hp = &ctx->model->hp;
	const LlmKernelTable *k = LlmKernelsGet();
	const int	hd = hp->head_dim;
	const int	kv_dim = hp->n_head_kv * hd;
	const float scale = 1.0f / sqrtf((float) hd);
	const LlmAttnBlock *b = qr->b;
	const size_t slab = ((size_t) task->layer * ctx->n_seq + b->seq) * ctx->n_ctx * kv_dim;
	const char *kc = (const char *) ctx->k_cache + slab * ctx->kv_elem;
	const char *vt = (const char *) ctx->v_cache + slab * ctx->kv_elem;
	const LlmRow *r0 = &ctx->rows[b->t0];
	const int	n = qr->n;
	const int	n_keys = r0->cell + b->n;	/* seen by the block's last row */
	const int	gap = r0->branch - r0->prefix;	/* masked cells before a branch */
	const bool	branch_row = r0->prefix > 0;
	const bool	half = ctx->kv_type == LLM_TYPE_F16;

	/* scores[t][j] = q_t . k_j; over an F16 cache the queries go to F16 first */
	if (half)
	{
		for (int t = 0; t < n; t++)
			k->from_float[LLM_TYPE_F16] (qr->q + qr->q_stride * t, (LlmHalf *) halves + (size_t) t * hd, hd);
		k->gemm[LLM_TYPE_F16] (hd, n_keys, n, scores, n_keys, kc + (size_t) qr->kvh * hd * ctx->kv_elem,
							   ctx->kv_elem * kv_dim, halves, sizeof(LlmHalf) * hd);
	}
	else
		k->gemm[LLM_TYPE_F32] (hd, n_keys, n, scores, n_keys, kc + (size_t) qr->kvh * hd * ctx->kv_elem,
							   ctx->kv_elem * kv_dim, qr->q, sizeof(float) * qr->q_stride);
	for (int t = 0; t < n; t++)
	{
		float	   *row = scores + (size_t) t * n_keys;
		int			last = r0->cell + (qr->heads ? 0 : t);	/* the row's own cell */
		int			visible = last + 1 - gap;

		/*
		 * A branch row sees [0, prefix) and [branch, last]: move the branch
		 * down to close the gap, so that the softmax runs over one
		 * contiguous row as for a plain row, then back.
		 */
		if (gap > 0)
			memmove(row + r0->prefix, row + r0->branch, sizeof(float) * (last + 1 - r0->branch));
		for (int j = 0; j < visible; j++)
			row[j] *= scale;
		LlmSoftmax(row, visible);
		if (gap > 0)
		{
			memmove(row + r0->branch, row + r0->prefix, sizeof(float) * (last + 1 - r0->branch));
			memset(row + r0->prefix, 0, sizeof(float) * gap);
		}
		memset(row + last + 1, 0, sizeof(float) * (n_keys - last - 1));
	}
	/*
	 * out[t][i] = sum_j scores[t][j] v_j[i]; the weights go to F16 likewise.
	 * A branch sums its prompt's keys and its own keys apart and adds the
	 * two, so that how many masked cells lie between them (where the
	 * branch's cells are) does not change the rounding: a label scores the
	 * same bits whatever other labels share the pass.
	 */
	if (half)
		k->from_float[LLM_TYPE_F16] (scores, halves, (int64_t) n * n_keys);
	SumValues(ctx, vt, qr, half ? (const void *) halves : (const void *) scores, n_keys,
			  0, branch_row ? r0->prefix : n_keys, qr->out, qr->out_stride);
	if (branch_row)
	{
		SumValues(ctx, vt, qr, half ? (const void *) halves : (const void *) scores, n_keys,
				  r0->branch, n_keys, part, hd);
		for (int t = 0; t < n; t++)
			for (int i = 0; i < hd; i++)
				qr->out[qr->out_stride * t + i] += part[(size_t) hd * t + i];
	}
}

/*
 * Attention of key/value head kvh's query heads over one block (or of
 * query head h_only alone, when h_only >= 0): one product for all of them
 * when the block is a single row (decoding) and their scores fit, else
 * one per head.  Both give the same bits.
 */
static void
AttentionGroup(AttentionTask *task, float *scores, float *part, void *halves, int kvh,
			   int h_only, const LlmAttnBlock *b)
{
	LlmContext *ctx = task->ctx;
	const LlmHParams *hp = &ctx->model->hp;
	const int	hd = hp->head_dim;
	const size_t q_dim = (size_t) hp->n_head * hd;
	const int	group = hp->n_head / hp->n_head_kv;
	const int	n_keys = ctx->rows[b->t0].cell + b->n;
	const int	h0 = h_only >= 0 ? h_only : kvh * group;
	const int	h1 = h_only >= 0 ? h_only + 1 : h0 + group;
	/* (the F16 scratch and the branch part hold 64 query rows) */
	const bool	heads = h_only < 0 && b->n == 1 && group > 1 && group <= 64 &&
		(size_t) group * n_keys <= ctx->scores_per_thread;
	/* heads: one call, query rows = the heads of the row; else a call per head */
	const size_t stride = heads ? (size_t) hd : q_dim;

	for (int h = h0; h < (heads ? h0 + 1 : h1); h++)
	{
		QueryRows	qr = {.b = b, .kvh = kvh, .n = heads ? group : b->n, .heads = heads,
			.q = ctx->q + (size_t) b->t0 * q_dim + (size_t) h * hd, .q_stride = stride,
		.out = ctx->att_out + (size_t) b->t0 * q_dim + (size_t) h * hd, .out_stride = stride};

		AttentionRows(task, scores, part, halves, &qr);
	}
}

/*
 * A share of a chunk's attention: the (key/value head, block) pairs when
 * there are enough of them to keep every thread busy (decoding many
 * sequences), else the (query head, block) pairs (decoding one sequence
 * has a single block, and a model may have one key/value head).
 */
static void
AttentionShare(void *arg, int ith, int nth)
{
	AttentionTask *task = arg;
	LlmContext *ctx = task->ctx;
	const int	n_kv = ctx->model->hp.n_head_kv;
	const int	n_head = ctx->model->hp.n_head;
	const bool	by_group = (int64_t) n_kv * ctx->n_blocks >= 4 * (int64_t) nth;
	const int	per_block = by_group ? n_kv : n_head;
	float	   *scores = ctx->scores + (size_t) ith * (ctx->scores_per_thread + ctx->part_per_thread);
	float	   *part = scores + ctx->scores_per_thread;
	LlmHalf    *halves = (LlmHalf *) ctx->att_half + (size_t) ith * (ctx->att_half_per_thread + 1);
	int64_t		lo,
				hi;

	LlmSplitRange((int64_t) per_block * ctx->n_blocks, ith, nth, 1, &lo, &hi);
	for (int64_t i = lo; i < hi; i++)
	{
		const LlmAttnBlock *b = &ctx->blocks[i / per_block];
		int			j = (int) (i % per_block);

		if (by_group)
			AttentionGroup(task, scores, part, halves, j, -1, b);
		else
			AttentionGroup(task, scores, part, halves, j / (n_head / n_kv), j, b);
	}
}

/*
 * Cut the chunk's rows (ctx->rows) into attention blocks: runs of one
 * sequence (or branch) at consecutive cells, at most 64 rows, each only
 * scoring the keys its last row sees (so the masked half of a causal
 * prompt chunk is mostly never computed), and no more scores than a
 * thread's buffer holds.  Rows of interleaved sequences make blocks of
 * one row.
 */
static void
PlanAttention(LlmContext *ctx, int n_rows)
{
	const LlmRow *r = ctx->rows;

	ctx->n_blocks = 0;
	for (int t = 0; t < n_rows; t++)
	{
		LlmAttnBlock *b = ctx->n_blocks > 0 ? &ctx->blocks[ctx->n_blocks - 1] : NULL;

		if (b != NULL && r[t].seq == b->seq &&
			r[t].cell == r[t - 1].cell + 1 && r[t].prefix == r[t - 1].prefix &&
			r[t].branch == r[t - 1].branch && b->n < 64 &&
			(size_t) (b->n + 1) * (r[t].cell + 1) <= ctx->scores_per_thread)
			b->n++;
		else
		{
			b = &ctx->blocks[ctx->n_blocks++];
			b->seq = r[t].seq;
			b->t0 = t;
			b->n = 1;
		}
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
 * One transformer block over the chunk's n_rows rows in ctx->x, row t
 * belonging to sequence ctx->rows[t].seq at position ctx->rows[t].pos.
 * Returns false if the cancel callback asked to stop: it is polled between
 * the block's large steps so that a long prompt stops within milliseconds.
 *
 * Every step computes a row the same way whatever the other rows are
 * (norms, rope and SwiGLU per row, gemm in a fixed order per element), so
 * a sequence decoded inside a batch gets the bits it gets alone.
 */
static bool
Block(LlmContext *ctx, int l, int n_rows)
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
	/* Qwen3: each head of q and k RMS-normalised on its own, before rope */
	if (L->q_norm)
		LlmRmsNorm(ctx->q, ctx->q, L->q_norm, n_rows * hp->n_head, hp->head_dim, hp->rms_eps);
	if (L->k_norm)
		LlmRmsNorm(ctx->k, ctx->k, L->k_norm, n_rows * hp->n_head_kv, hp->head_dim, hp->rms_eps);
	for (int t = 0; t < n_rows; t++)
	{
		const int	pos = ctx->rows[t].pos;
		const int	cell = ctx->rows[t].cell;
		const size_t slab = ((size_t) l * ctx->n_seq + ctx->rows[t].seq) * ctx->n_ctx * kv_dim;
		const size_t kpos = slab + (size_t) cell * kv_dim;
		const size_t vpos = slab + cell;
		const float *kr = ctx->k + (size_t) t * kv_dim;
		const float *v = ctx->v + (size_t) t * kv_dim;

		LlmRope(ctx->q + (size_t) t * q_dim, hp->n_head, hp->head_dim, pos, hp, m->rope_freqs);
		LlmRope(ctx->k + (size_t) t * kv_dim, hp->n_head_kv, hp->head_dim, pos, hp, m->rope_freqs);
		/* values are stored transposed: one row per dimension, over positions */
		if (ctx->kv_type == LLM_TYPE_F16)
		{
			LlmHalf    *kc = (LlmHalf *) ctx->k_cache + kpos;
			LlmHalf    *vt = (LlmHalf *) ctx->v_cache + vpos;

			for (int i = 0; i < kv_dim; i++)
				kc[i] = LlmFloatToHalf(kr[i]);
			for (int i = 0; i < kv_dim; i++)
				vt[(size_t) i * ctx->n_ctx] = LlmFloatToHalf(v[i]);
		}
		else
		{
			float	   *vt = (float *) ctx->v_cache + vpos;

			memcpy((float *) ctx->k_cache + kpos, kr, sizeof(float) * kv_dim);
			for (int i = 0; i < kv_dim; i++)
				vt[(size_t) i * ctx->n_ctx] = v[i];
		}
	}
	{
		AttentionTask task = {ctx, l};

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
	/* per row: a vector kernel's tail must fall on the same elements */
	for (int t = 0; t < n_rows; t++)
		LlmSwiGlu(ctx->gate + (size_t) t * hp->n_ff, ctx->up + (size_t) t * hp->n_ff, hp->n_ff);
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

/*
 * Embed the chunk's tokens and run them through every layer; ctx->rows
 * says where each goes.  False if cancelled.
 */
static bool
Forward(LlmContext *ctx, const int32_t *tokens, int stride, int n_rows)
{
	const LlmModel *m = ctx->model;
	const int	n_embd = m->hp.n_embd;

	for (int t = 0; t < n_rows; t++)
		LlmWeightRow(&m->tok_embd, *(const int32_t *) ((const char *) tokens + (size_t) stride * t),
					 ctx->x + (size_t) t * n_embd);
	PlanAttention(ctx, n_rows);
	for (int l = 0; l < m->hp.n_layer; l++)
		if (!Block(ctx, l, n_rows))
			return false;
	return true;
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
	int		   *past = &ctx->seq_past[0];

	if (n_tokens <= 0)
		return LlmSetError(err, LLM_ERR_ARGUMENT, "no tokens to decode");
	if (n_tokens > ctx->n_ctx - *past)
		return LlmSetError(err, LLM_ERR_CONTEXT,
						   "%d tokens do not fit in the context: %d of %d positions are used",
						   n_tokens, *past, ctx->n_ctx);
	for (int i = 0; i < n_tokens; i++)
		if (tokens[i] < 0 || tokens[i] >= n_vocab)
			return LlmSetError(err, LLM_ERR_ARGUMENT,
							   "token id %d at position %d is outside the vocabulary (0..%d)",
							   tokens[i], i, n_vocab - 1);

	for (int done = 0; done < n_tokens;)
	{
		int			n = n_tokens - done < ctx->n_batch ? n_tokens - done : ctx->n_batch;
		bool		last_chunk = done + n == n_tokens;

		for (int t = 0; t < n; t++)
			ctx->rows[t] = (LlmRow) {.seq = 0, .pos = *past + t, .cell = *past + t};
		if (!Forward(ctx, tokens + done, sizeof(int32_t), n))
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

		*past += n;
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

/*
 * Run n placed rows through the model, n_batch at a time, and the output
 * layer over the rows that want logits (packed in row order into out), or
 * with hidden, their final hidden states ([n_wanted][n_embd]) instead.
 * tokens and want (NULL: none) are read with strides, so that a batch's
 * items serve directly.  *n_done gets the rows that completed (all unless cancelled).
 */
static LlmStatus
RunRows(LlmContext *ctx, const int32_t *tokens, size_t tok_stride, const bool *want,
		size_t want_stride, const LlmRow *rows, int n, bool hidden, float *out, int *n_done,
		LlmError *err)
{
	const LlmModel *m = ctx->model;
	const int	n_embd = m->hp.n_embd;
	const int	n_vocab = m->hp.n_vocab;
	size_t		n_out = 0;

	*n_done = 0;
	for (int done = 0; done < n;)
	{
		int			c = n - done < ctx->n_batch ? n - done : ctx->n_batch;
		int			n_want = 0;

		memcpy(ctx->rows, rows + done, sizeof(LlmRow) * c);
		if (!Forward(ctx, (const int32_t *) ((const char *) tokens + tok_stride * done),
					 (int) tok_stride, c))
			return LlmSetError(err, LLM_ERR_CANCELLED, "cancelled");

		/* final norm of the wanted rows, packed at the start of ctx->xb */
		for (int t = 0; want != NULL && t < c; t++)
			if (*(const bool *) ((const char *) want + want_stride * (done + t)))
			{
				LlmRmsNorm(ctx->xb + (size_t) n_want * n_embd, ctx->x + (size_t) t * n_embd,
						   m->output_norm, 1, n_embd, m->hp.rms_eps);
				n_want++;
			}
		if (n_want > 0 && hidden)
			memcpy(out + n_out * n_embd, ctx->xb, sizeof(float) * n_embd * n_want);
		else if (n_want > 0)
			LlmMatmul(out + n_out * n_vocab, &m->output, ctx->xb, n_want,
					  ctx->act_scratch, ctx->pool);
		n_out += n_want;
		done += c;
		*n_done = done;
	}
	return LLM_OK;
}

/* Check a batch before any of it runs: nothing is decoded if it is invalid. */
static LlmStatus
CheckBatch(const LlmContext *ctx, const LlmBatchToken *items, int n, const float *logits,
		   LlmError *err)
{
	const int	n_vocab = ctx->model->hp.n_vocab;
	int		   *count;
	LlmStatus	s = LLM_OK;

	if (n <= 0)
		return LlmSetError(err, LLM_ERR_ARGUMENT, "no tokens to decode");
	count = calloc(ctx->n_seq, sizeof(int));
	if (count == NULL)
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory checking a batch");
	for (int i = 0; i < n && s == LLM_OK; i++)
	{
		const LlmBatchToken *it = &items[i];

		if (it->seq < 0 || it->seq >= ctx->n_seq)
			s = LlmSetError(err, LLM_ERR_ARGUMENT,
							"batch item %d names sequence %d, but the context has %d",
							i, it->seq, ctx->n_seq);
		else if (it->token < 0 || it->token >= n_vocab)
			s = LlmSetError(err, LLM_ERR_ARGUMENT,
							"token id %d of batch item %d is outside the vocabulary (0..%d)",
							it->token, i, n_vocab - 1);
		else if (it->want_logits && logits == NULL)
			s = LlmSetError(err, LLM_ERR_ARGUMENT,
							"batch item %d wants logits but there is no logits buffer", i);
		else if (++count[it->seq] > ctx->n_ctx - ctx->seq_past[it->seq])
			s = LlmSetError(err, LLM_ERR_CONTEXT,
							"sequence %d is full: %d tokens do not fit, %d of %d positions are used",
							it->seq, count[it->seq], ctx->seq_past[it->seq], ctx->n_ctx);
	}
	free(count);
	return s;
}

LlmStatus
LlmDecodeBatch(LlmContext *ctx, const LlmBatchToken *items, int n, float *logits,
			   LlmError *err)
{
	LlmRow	   *rows;
	int		   *next;
	int			n_done = 0;
	LlmStatus	s = CheckBatch(ctx, items, n, logits, err);

	if (s != LLM_OK)
		return s;
	rows = malloc(sizeof(LlmRow) * n);
	next = malloc(sizeof(int) * ctx->n_seq);
	if (rows == NULL || next == NULL)
		s = LlmSetError(err, LLM_ERR_NOMEM, "out of memory decoding a batch of %d", n);
	else
	{
		/* a sequence's positions run on from its past, in item order */
		memcpy(next, ctx->seq_past, sizeof(int) * ctx->n_seq);
		for (int i = 0; i < n; i++)
		{
			int			p = next[items[i].seq]++;

			rows[i] = (LlmRow) {.seq = items[i].seq, .pos = p, .cell = p};
		}
		s = RunRows(ctx, &items[0].token, sizeof(LlmBatchToken), &items[0].want_logits,
					sizeof(LlmBatchToken), rows, n, false, logits, &n_done, err);
		/* what completed stays, also when cancelled */
		for (int i = 0; i < n_done; i++)
			ctx->seq_past[rows[i].seq] = rows[i].pos + 1;
	}
	free(rows);
	free(next);
	return s;
}

static LlmStatus
CheckRows(const LlmContext *ctx, const int32_t *tokens, const LlmRow *rows, const bool *want,
		  int n, const float *out, LlmError *err)
{
	const int	n_vocab = ctx->model->hp.n_vocab;

	if (n <= 0)
		return LlmSetError(err, LLM_ERR_ARGUMENT, "no tokens to decode");
	for (int i = 0; i < n; i++)
	{
		const LlmRow *r = &rows[i];

		if (r->seq < 0 || r->seq >= ctx->n_seq)
			return LlmSetError(err, LLM_ERR_ARGUMENT,
							   "row %d names sequence %d, but the context has %d",
							   i, r->seq, ctx->n_seq);
		if (tokens[i] < 0 || tokens[i] >= n_vocab)
			return LlmSetError(err, LLM_ERR_ARGUMENT,
							   "token id %d of row %d is outside the vocabulary (0..%d)",
							   tokens[i], i, n_vocab - 1);
		if (r->cell < 0 || r->cell >= ctx->n_ctx || r->pos < 0 || r->pos >= ctx->n_ctx)
			return LlmSetError(err, LLM_ERR_CONTEXT,
							   "row %d at cell %d, position %d does not fit in %d cells",
							   i, r->cell, r->pos, ctx->n_ctx);
		if (r->prefix < 0 || r->prefix > r->branch || r->branch > r->cell)
			return LlmSetError(err, LLM_ERR_ARGUMENT,
							   "row %d sees cells [0, %d) and [%d, %d]: not a prefix and a branch",
							   i, r->prefix, r->branch, r->cell);
		if (want != NULL && want[i] && out == NULL)
			return LlmSetError(err, LLM_ERR_ARGUMENT,
							   "row %d wants an output but there is no buffer", i);
	}
	return LLM_OK;
}

LlmStatus
LlmDecodeRows(LlmContext *ctx, const int32_t *tokens, const LlmRow *rows, const bool *want,
			  int n, bool hidden, float *out, LlmError *err)
{
	int			n_done;
	LlmStatus	s = CheckRows(ctx, tokens, rows, want, n, out, err);

	if (s != LLM_OK)
		return s;
	return RunRows(ctx, tokens, sizeof(int32_t), want, sizeof(bool), rows, n, hidden, out,
				   &n_done, err);
}
