/*-------------------------------------------------------------------------
 *
 * gemma3.c
 *	  The Gemma 3 forward pass, as llama.cpp's llm_build_gemma3 computes it.
 *
 * A pre-norm decoder with "sandwich" norms: the attention and the FFN
 * outputs are RMS-normalised again before they join the residual stream.
 * The embedding is scaled by sqrt(n_embd); q and k get per-head RMS norms
 * before rope; the FFN is GeGLU (GELU's tanh approximation through ggml's
 * F16 table, see ops.c).  Layers are local (sliding window, their own rope
 * base) or global: with pattern P, layer l is local unless l % P == P - 1.
 *
 * GGUF norm weights already hold Gemma's "1 + w" (the converter adds the
 * 1), so they are used as stored, as llama.cpp does.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>

#include "model/attention.h"
#include "model/family.h"
#include "model/ops.h"

/*
 * The scale of the queries.  GGUF files carry no query_pre_attn_scalar:
 * llama.cpp derives it from the size, 1/sqrt(head_dim) except for the 27B
 * (62 layers), whose query_pre_attn_scalar is n_embd / n_head.
 */
static float
Gemma3QueryScale(const LlmHParams *hp)
{
	if (hp->n_layer == 62)
		return 1.0f / sqrtf((float) (hp->n_embd / hp->n_head));
	return 1.0f / sqrtf((float) hp->head_dim);
}

static LlmStatus
Gemma3Load(LlmLoader *ld)
{
	LlmModel   *m = ld->m;
	LlmHParams *hp = &m->hp;
	const int64_t q_dim = (int64_t) hp->n_head * hp->head_dim;
	const int64_t kv_dim = (int64_t) hp->n_head_kv * hp->head_dim;
	int			pattern;
	float		base_swa;
	LlmStatus	s;

	/*
	 * Without a window every layer is global; the pattern defaults to
	 * llama.cpp's 6 (five local layers, then a global one), and local
	 * layers to rope base 10000 with no scaling, whatever the global
	 * layers' scaling (the 4B and larger scale only those).
	 */
	if ((s = LlmLoadIntOr(ld, "attention.sliding_window", 0, 1 << 24, 0, &hp->n_swa)) ||
		(s = LlmLoadIntOr(ld, "attention.sliding_window_pattern", 0, 1 << 16, 6, &pattern)) ||
		(s = LlmLoadFloatOr(ld, "rope.freq_base_swa", 10000.0f, &base_swa)) ||
		(s = LlmLoadFloatOr(ld, "final_logit_softcapping", 0.0f, &hp->final_logit_softcap)))
		return s;
	if (!(base_swa > 0.0f) || !(hp->final_logit_softcap >= 0.0f) || isinf(hp->final_logit_softcap))
		return LlmSetError(ld->err, LLM_ERR_FORMAT,
						   "rope.freq_base_swa must be positive and final_logit_softcapping not negative");
	/* the queries are scaled before attention (llama.cpp's kq_scale is 1) */
	hp->kq_scale = 1.0f;

	if ((s = LlmLoadOutput(ld)))
		return s;
	for (int l = 0; l < hp->n_layer; l++)
	{
		LlmLayer   *L = &m->layers[l];
		bool		local = hp->n_swa > 0 && (pattern == 0 || l % pattern < pattern - 1);

#define BLK(suffix) LlmLoaderLayerName(ld, l, suffix)
		if ((s = LlmLoadVector(ld, BLK("attn_norm.weight"), hp->n_embd, true, &L->attn_norm)) ||
			(s = LlmLoadMatrix(ld, BLK("attn_q.weight"), hp->n_embd, q_dim, true, &L->wq)) ||
			(s = LlmLoadMatrix(ld, BLK("attn_k.weight"), hp->n_embd, kv_dim, true, &L->wk)) ||
			(s = LlmLoadMatrix(ld, BLK("attn_v.weight"), hp->n_embd, kv_dim, true, &L->wv)) ||
			(s = LlmLoadVector(ld, BLK("attn_q_norm.weight"), hp->head_dim, true, &L->q_norm)) ||
			(s = LlmLoadVector(ld, BLK("attn_k_norm.weight"), hp->head_dim, true, &L->k_norm)) ||
			(s = LlmLoadMatrix(ld, BLK("attn_output.weight"), q_dim, hp->n_embd, true, &L->wo)) ||
			(s = LlmLoadVector(ld, BLK("post_attention_norm.weight"), hp->n_embd, true,
							   &L->attn_post_norm)) ||
			(s = LlmLoadVector(ld, BLK("ffn_norm.weight"), hp->n_embd, true, &L->ffn_norm)) ||
			(s = LlmLoadMatrix(ld, BLK("ffn_gate.weight"), hp->n_embd, hp->n_ff, true, &L->w_gate)) ||
			(s = LlmLoadMatrix(ld, BLK("ffn_up.weight"), hp->n_embd, hp->n_ff, true, &L->w_up)) ||
			(s = LlmLoadMatrix(ld, BLK("ffn_down.weight"), hp->n_ff, hp->n_embd, true, &L->w_down)) ||
			(s = LlmLoadVector(ld, BLK("post_ffw_norm.weight"), hp->n_embd, true, &L->ffn_post_norm)))
			return s;
#undef BLK
		if (local)
		{
			L->n_swa = hp->n_swa;
			L->rope = LlmRopeParamsFor(hp, base_swa, 1.0f);
		}
	}
	return LLM_OK;
}

/* The token's embedding times sqrt(n_embd). */
static void
Gemma3Embed(LlmContext *ctx, const int32_t *tokens, size_t stride, int n_rows)
{
	const LlmModel *m = ctx->model;
	const int	n_embd = m->hp.n_embd;

	for (int t = 0; t < n_rows; t++)
	{
		float	   *x = ctx->x + (size_t) t * n_embd;

		LlmWeightRow(&m->tok_embd, *(const int32_t *) ((const char *) tokens + stride * t), x);
		LlmScale(x, sqrtf((float) n_embd), n_embd);
	}
}

static bool
Gemma3Block(LlmContext *ctx, int l, int n_rows)
{
	const LlmModel *m = ctx->model;
	const LlmHParams *hp = &m->hp;
	const LlmLayer *L = &m->layers[l];
	const int	q_dim = hp->n_head * hp->head_dim;
	const int	kv_dim = hp->n_head_kv * hp->head_dim;

	/* attention: per-head q/k norms, the layer's rope, scaled queries */
	if (LlmCancelled(ctx))
		return false;
	LlmRmsNorm(ctx->xb, ctx->x, L->attn_norm, n_rows, hp->n_embd, hp->rms_eps);
	LlmProject(ctx, ctx->q, &L->wq, ctx->xb, n_rows);
	LlmProject(ctx, ctx->k, &L->wk, ctx->xb, n_rows);
	LlmProject(ctx, ctx->v, &L->wv, ctx->xb, n_rows);
	LlmRmsNorm(ctx->q, ctx->q, L->q_norm, n_rows * hp->n_head, hp->head_dim, hp->rms_eps);
	LlmRmsNorm(ctx->k, ctx->k, L->k_norm, n_rows * hp->n_head_kv, hp->head_dim, hp->rms_eps);
	for (int t = 0; t < n_rows; t++)
	{
		LlmRope(ctx->q + (size_t) t * q_dim, hp->n_head, hp->head_dim, ctx->rows[t].pos,
				&L->rope, NULL);
		LlmRope(ctx->k + (size_t) t * kv_dim, hp->n_head_kv, hp->head_dim, ctx->rows[t].pos,
				&L->rope, NULL);
	}
	LlmScale(ctx->q, Gemma3QueryScale(hp), (size_t) n_rows * q_dim);
	LlmAttentionStore(ctx, l, n_rows);
	n_rows = LlmKeepOutputRows(ctx, l, n_rows);
	if (n_rows == 0)
		return true;
	LlmAttention(ctx, l);
	if (LlmCancelled(ctx))
		return false;
	LlmProject(ctx, ctx->xb, &L->wo, ctx->att_out, n_rows);
	LlmRmsNorm(ctx->xb, ctx->xb, L->attn_post_norm, n_rows, hp->n_embd, hp->rms_eps);
	LlmAdd(ctx->x, ctx->xb, (size_t) n_rows * hp->n_embd);

	/* feed-forward: norm(down(gelu(gate(x)) * up(x))) */
	if (LlmCancelled(ctx))
		return false;
	LlmRmsNorm(ctx->xb, ctx->x, L->ffn_norm, n_rows, hp->n_embd, hp->rms_eps);
	LlmProject(ctx, ctx->gate, &L->w_gate, ctx->xb, n_rows);
	LlmProject(ctx, ctx->up, &L->w_up, ctx->xb, n_rows);
	LlmGeGlu(ctx->gate, ctx->up, (int64_t) n_rows * hp->n_ff);
	if (LlmCancelled(ctx))
		return false;
	LlmProject(ctx, ctx->xb, &L->w_down, ctx->gate, n_rows);
	LlmRmsNorm(ctx->xb, ctx->xb, L->ffn_post_norm, n_rows, hp->n_embd, hp->rms_eps);
	LlmAdd(ctx->x, ctx->xb, (size_t) n_rows * hp->n_embd);
	return true;
}

const LlmFamily LlmFamilyGemma3 = {
	.name = "gemma3",
	.load = Gemma3Load,
	.embed = Gemma3Embed,
	.block = Gemma3Block,
	.output_norm = LlmRmsOutputNorm,
};
