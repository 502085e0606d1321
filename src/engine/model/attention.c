/*-------------------------------------------------------------------------
 *
 * attention.c
 *	  Self-attention over the KV cache, for every architecture family: row
 *	  planning, storing keys and values, and the two products of each
 *	  block of query rows, shared out over the context's threads.  Causal
 *	  (a row sees its sequence up to itself), windowed on a local layer
 *	  (only the last n_swa positions), or whole (an encoder).
 *
 * Every row's result is computed the same way whatever other rows share
 * its chunk (a fixed summation order per element, masked keys weighing
 * exactly 0), so a sequence decoded inside a batch gets the bits it gets
 * alone.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fp16.h"
#include "kernels.h"
#include "model/attention.h"
#include "model/ggml_order.h"
#include "model/ops.h"

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
	const float scale = hp->kq_scale;
	const int	n_swa = ctx->model->layers[task->layer].n_swa;
	const LlmAttnBlock *b = qr->b;
	const size_t slab = ((size_t) task->layer * ctx->n_seq + b->seq) * ctx->n_ctx * kv_dim;
	const char *kc = (const char *) ctx->k_cache + slab * ctx->kv_elem;
	const char *vt = (const char *) ctx->v_cache + slab * ctx->kv_elem;
	const LlmRow *r0 = &ctx->rows[b->t0];
	const int	n = qr->n;
	const int	n_keys = b->n_keys; /* seen by the block's last row */
	const int	gap = r0->branch - r0->prefix;	/* masked cells before a branch */
	const bool	branch_row = r0->prefix > 0;
	const bool	half = ctx->kv_type == LLM_TYPE_F16;
	const bool	ggml = ctx->ggml_order;

	/* scores[t][j] = q_t . k_j; over an F16 cache the queries go to F16 first */
	if (half)
	{
		for (int t = 0; t < n; t++)
			k->from_float[LLM_TYPE_F16] (qr->q + qr->q_stride * t, (LlmHalf *) halves + (size_t) t * hd, hd);
		k->gemm[LLM_TYPE_F16] (hd, n_keys, n, scores, n_keys, kc + (size_t) qr->kvh * hd * ctx->kv_elem,
							   ctx->kv_elem * kv_dim, halves, sizeof(LlmHalf) * hd);
	}
	else if (ctx->ggml_order)
	{
		/* ggml_vec_dot_f32 of every key with every query row */
		for (int t = 0; t < n; t++)
			for (int j = 0; j < n_keys; j++)
				scores[(size_t) t * n_keys + j] =
					LlmGgmlDotVec((const float *) kc + (size_t) j * kv_dim + (size_t) qr->kvh * hd, 1,
								  qr->q + qr->q_stride * t, hd, false);
	}
	else
		k->gemm[LLM_TYPE_F32] (hd, n_keys, n, scores, n_keys, kc + (size_t) qr->kvh * hd * ctx->kv_elem,
							   ctx->kv_elem * kv_dim, qr->q, sizeof(float) * qr->q_stride);
	for (int t = 0; t < n; t++)
	{
		float	   *row = scores + (size_t) t * n_keys;
		/* the row's own cell; an encoder's rows see all their sequence */
		int			last = hp->causal ? r0->cell + (qr->heads ? 0 : t) : n_keys - 1;
		int			visible = last + 1 - gap;
		/* a local layer sees the last n_swa of those (llama.cpp's SWA mask) */
		int			lo = n_swa > 0 && visible > n_swa ? visible - n_swa : 0;

		/*
		 * A branch row sees [0, prefix) and [branch, last]: move the branch
		 * down to close the gap, so that the softmax runs over one
		 * contiguous row as for a plain row, then back.
		 */
		if (gap > 0)
			memmove(row + r0->prefix, row + r0->branch, sizeof(float) * (last + 1 - r0->branch));
		for (int j = lo; j < visible; j++)
			row[j] *= scale;
		if (ggml && !half)
		{
			/*
			 * llama.cpp's row: masked entries first, its KV length padded
			 * to sixteen for a cache, the input's length for an encoder
			 */
			for (int j = 0; j < lo; j++)
				row[j] = -INFINITY;
			LlmGgmlSoftmax(row, visible, hp->causal ? (visible + 15) & ~15 : visible);
		}
		else
		{
			LlmSoftmax(row + lo, visible - lo);
			memset(row, 0, sizeof(float) * lo);
		}
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
	if (ggml && !half)
	{
		/* tinyBLAS over the padded cache; an encoder's ragged input by vec_dot */
		const bool	tiny = hp->causal || n_keys % 16 == 0;

		for (int t = 0; t < n; t++)
			for (int i = 0; i < hd; i++)
			{
				const float *vrow = (const float *) vt + ((size_t) qr->kvh * hd + i) * ctx->n_ctx;
				const float *w = scores + (size_t) t * n_keys;

				qr->out[qr->out_stride * t + i] = tiny ? LlmGgmlDotTiny(vrow, 1, w, n_keys) :
					LlmGgmlDotVec(vrow, 1, w, n_keys, true);
			}
		return;
	}
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
	const int	n_keys = b->n_keys;
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
 *
 * An encoder's rows see every cell their sequence has in the chunk, later
 * ones too: its blocks score all of them (a sequence is whole in one
 * chunk, see decode.c).
 */
void
LlmAttentionPlan(LlmContext *ctx, int n_rows)
{
	const LlmRow *r = ctx->rows;
	const bool	causal = ctx->model->hp.causal;

	ctx->n_blocks = 0;
	for (int t = 0; t < n_rows; t++)
	{
		LlmAttnBlock *b = ctx->n_blocks > 0 ? &ctx->blocks[ctx->n_blocks - 1] : NULL;
		int			end = r[t].cell + 1;

		if (!causal)
			for (int u = 0; u < n_rows; u++)
				if (r[u].seq == r[t].seq && r[u].cell + 1 > end)
					end = r[u].cell + 1;
		if (b != NULL && r[t].seq == b->seq &&
			r[t].cell == r[t - 1].cell + 1 && r[t].prefix == r[t - 1].prefix &&
			r[t].branch == r[t - 1].branch && b->n < 64 &&
			(size_t) (b->n + 1) * end <= ctx->scores_per_thread)
		{
			b->n++;
			b->n_keys = end;
		}
		else
		{
			b = &ctx->blocks[ctx->n_blocks++];
			b->seq = r[t].seq;
			b->t0 = t;
			b->n = 1;
			b->n_keys = end;
		}
	}
}

void
LlmAttentionStore(LlmContext *ctx, int layer, int n_rows)
{
	const LlmHParams *hp = &ctx->model->hp;
	const int	kv_dim = hp->n_head_kv * hp->head_dim;

	for (int t = 0; t < n_rows; t++)
	{
		const int	cell = ctx->rows[t].cell;
		const size_t slab = ((size_t) layer * ctx->n_seq + ctx->rows[t].seq) * ctx->n_ctx * kv_dim;
		const size_t kpos = slab + (size_t) cell * kv_dim;
		const size_t vpos = slab + cell;
		const float *kr = ctx->k + (size_t) t * kv_dim;
		const float *v = ctx->v + (size_t) t * kv_dim;

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
}

void
LlmAttention(LlmContext *ctx, int layer)
{
	AttentionTask task = {ctx, layer};

	LlmThreadPoolRun(ctx->pool, AttentionShare, &task);
}
