/*-------------------------------------------------------------------------
 *
 * phi3.c
 *	  The Phi-3 forward pass (Phi-3, Phi-3.5, Phi-4-mini), as llama.cpp's
 *	  llm_build_phi3 computes it.
 *
 * A pre-norm decoder like llama with neox rope, whose projections come
 * fused: attn_qkv holds the q, k and v rows one after another, ffn_up the
 * gate rows then the up rows.  Both are split into views of their rows at
 * load time, so each part is multiplied as its own matrix (a row's dot
 * product does not depend on which rows are multiplied with it).  The
 * queries are scaled by 1/sqrt(head_dim) before attention.
 *
 * Long-context files (128k) carry longrope: per-pair rope divisors for
 * contexts within the original one (rope_factors_short) and beyond it
 * (rope_factors_long), chosen per context (context.c), and an attention
 * factor on cos and sin (rope.scaling.attn_factor).  A file without them
 * rotates plainly.  Phi's sliding window is ignored, as llama.cpp ignores
 * it.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>

#include "model/attention.h"
#include "model/family.h"
#include "model/ops.h"

/* q, k and v of a layer: rows of one fused matrix, or three matrices */
static LlmStatus
Phi3LoadQkv(LlmLoader *ld, int l, LlmLayer *L)
{
	const LlmHParams *hp = &ld->m->hp;
	const int64_t q_dim = (int64_t) hp->n_head * hp->head_dim;
	const int64_t kv_dim = (int64_t) hp->n_head_kv * hp->head_dim;
	LlmWeight	qkv;
	const float *bqkv;
	LlmStatus	s;

	if ((s = LlmLoadMatrix(ld, LlmLoaderLayerName(ld, l, "attn_qkv.weight"), hp->n_embd,
						   q_dim + 2 * kv_dim, false, &qkv)) ||
		(s = LlmLoadVector(ld, LlmLoaderLayerName(ld, l, "attn_qkv.bias"), q_dim + 2 * kv_dim,
						   false, &bqkv)))
		return s;
	if (qkv.data != NULL)
	{
		L->wq = LlmWeightRows(&qkv, 0, q_dim);
		L->wk = LlmWeightRows(&qkv, q_dim, kv_dim);
		L->wv = LlmWeightRows(&qkv, q_dim + kv_dim, kv_dim);
		if (bqkv != NULL)
		{
			L->bq = bqkv;
			L->bk = bqkv + q_dim;
			L->bv = bqkv + q_dim + kv_dim;
		}
		return LLM_OK;
	}
	if ((s = LlmLoadMatrix(ld, LlmLoaderLayerName(ld, l, "attn_q.weight"), hp->n_embd, q_dim,
						   false, &L->wq)))
		return s;
	if (L->wq.data == NULL)
		return LlmSetError(ld->err, LLM_ERR_FORMAT, "tensor blk.%d.attn_qkv.weight is missing", l);
	if ((s = LlmLoadMatrix(ld, LlmLoaderLayerName(ld, l, "attn_k.weight"), hp->n_embd, kv_dim,
						   true, &L->wk)) ||
		(s = LlmLoadMatrix(ld, LlmLoaderLayerName(ld, l, "attn_v.weight"), hp->n_embd, kv_dim,
						   true, &L->wv)) ||
		(s = LlmLoadVector(ld, LlmLoaderLayerName(ld, l, "attn_q.bias"), q_dim, false, &L->bq)) ||
		(s = LlmLoadVector(ld, LlmLoaderLayerName(ld, l, "attn_k.bias"), kv_dim, false, &L->bk)) ||
		(s = LlmLoadVector(ld, LlmLoaderLayerName(ld, l, "attn_v.bias"), kv_dim, false, &L->bv)))
		return s;
	return LLM_OK;
}

static LlmStatus
Phi3Load(LlmLoader *ld)
{
	LlmModel   *m = ld->m;
	LlmHParams *hp = &m->hp;
	const int64_t q_dim = (int64_t) hp->n_head * hp->head_dim;
	LlmStatus	s;

	/* the queries are scaled before attention (llama.cpp's kq_scale is 1) */
	hp->kq_scale = 1.0f;
	if ((s = LlmLoadOutput(ld)) ||
		(s = LlmLoadVector(ld, "rope_factors_short.weight", hp->n_rot / 2, false, &m->rope_short)) ||
		(s = LlmLoadVector(ld, "rope_factors_long.weight", hp->n_rot / 2, false, &m->rope_long)))
		return s;
	if ((m->rope_short == NULL) != (m->rope_long == NULL))
		return LlmSetError(ld->err, LLM_ERR_FORMAT, "tensor %s is missing (longrope needs both)",
						   m->rope_short == NULL ? "rope_factors_short.weight" : "rope_factors_long.weight");

	for (int l = 0; l < hp->n_layer; l++)
	{
		LlmLayer   *L = &m->layers[l];
		LlmWeight	up;

#define BLK(suffix) LlmLoaderLayerName(ld, l, suffix)
		if ((s = LlmLoadVector(ld, BLK("attn_norm.weight"), hp->n_embd, true, &L->attn_norm)) ||
			(s = Phi3LoadQkv(ld, l, L)) ||
			(s = LlmLoadMatrix(ld, BLK("attn_output.weight"), q_dim, hp->n_embd, true, &L->wo)) ||
			(s = LlmLoadVector(ld, BLK("ffn_norm.weight"), hp->n_embd, true, &L->ffn_norm)) ||
			(s = LlmLoadMatrix(ld, BLK("ffn_up.weight"), hp->n_embd, 2 * (int64_t) hp->n_ff, true,
							   &up)) ||
			(s = LlmLoadMatrix(ld, BLK("ffn_down.weight"), hp->n_ff, hp->n_embd, true, &L->w_down)))
			return s;
#undef BLK
		/* ggml_swiglu's halves: the first is the gate, the second the up */
		L->w_gate = LlmWeightRows(&up, 0, hp->n_ff);
		L->w_up = LlmWeightRows(&up, hp->n_ff, hp->n_ff);
	}
	return LLM_OK;
}

static void
Phi3Embed(LlmContext *ctx, const int32_t *tokens, size_t stride, int n_rows)
{
	const LlmModel *m = ctx->model;

	for (int t = 0; t < n_rows; t++)
		LlmWeightRow(&m->tok_embd, *(const int32_t *) ((const char *) tokens + stride * t),
					 ctx->x + (size_t) t * m->hp.n_embd);
}

static bool
Phi3Block(LlmContext *ctx, int l, int n_rows)
{
	const LlmModel *m = ctx->model;
	const LlmHParams *hp = &m->hp;
	const LlmLayer *L = &m->layers[l];
	const int	q_dim = hp->n_head * hp->head_dim;
	const int	kv_dim = hp->n_head_kv * hp->head_dim;

	/* attention */
	if (LlmCancelled(ctx))
		return false;
	LlmRmsNorm(ctx->xb, ctx->x, L->attn_norm, n_rows, hp->n_embd, hp->rms_eps);
	LlmProject(ctx, ctx->q, &L->wq, ctx->xb, n_rows);
	LlmProject(ctx, ctx->k, &L->wk, ctx->xb, n_rows);
	LlmProject(ctx, ctx->v, &L->wv, ctx->xb, n_rows);
	if (L->bq)
		LlmAddBias(ctx->q, L->bq, n_rows, q_dim);
	if (L->bk)
		LlmAddBias(ctx->k, L->bk, n_rows, kv_dim);
	if (L->bv)
		LlmAddBias(ctx->v, L->bv, n_rows, kv_dim);
	for (int t = 0; t < n_rows; t++)
	{
		LlmRope(ctx->q + (size_t) t * q_dim, hp->n_head, hp->head_dim, ctx->rows[t].pos,
				&L->rope, ctx->rope_factors);
		LlmRope(ctx->k + (size_t) t * kv_dim, hp->n_head_kv, hp->head_dim, ctx->rows[t].pos,
				&L->rope, ctx->rope_factors);
	}
	LlmScale(ctx->q, 1.0f / sqrtf((float) hp->head_dim), (size_t) n_rows * q_dim);
	LlmAttentionStore(ctx, l, n_rows);
	n_rows = LlmKeepOutputRows(ctx, l, n_rows);
	if (n_rows == 0)
		return true;
	LlmAttention(ctx, l);
	if (LlmCancelled(ctx))
		return false;
	LlmProject(ctx, ctx->xb, &L->wo, ctx->att_out, n_rows);
	LlmAdd(ctx->x, ctx->xb, (size_t) n_rows * hp->n_embd);

	/* feed-forward: down(silu(gate(x)) * up(x)), gate and up one fused matrix */
	if (LlmCancelled(ctx))
		return false;
	LlmRmsNorm(ctx->xb, ctx->x, L->ffn_norm, n_rows, hp->n_embd, hp->rms_eps);
	LlmProject(ctx, ctx->gate, &L->w_gate, ctx->xb, n_rows);
	LlmProject(ctx, ctx->up, &L->w_up, ctx->xb, n_rows);
	LlmSwiGluRows(ctx, ctx->gate, ctx->up, n_rows, hp->n_ff);
	if (LlmCancelled(ctx))
		return false;
	LlmProject(ctx, ctx->xb, &L->w_down, ctx->gate, n_rows);
	LlmAdd(ctx->x, ctx->xb, (size_t) n_rows * hp->n_embd);
	return true;
}

const LlmFamily LlmFamilyPhi3 = {
	.name = "phi3",
	.load = Phi3Load,
	.embed = Phi3Embed,
	.block = Phi3Block,
	.output_norm = LlmRmsOutputNorm,
};
