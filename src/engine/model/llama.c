/*-------------------------------------------------------------------------
 *
 * llama.c
 *	  The llama family's forward pass: llama (Llama 2/3, SmolLM2, TinyLlama),
 *	  qwen2 (q/k/v biases) and qwen3 (per-head q/k RMS norms), as llama.cpp's
 *	  llm_build_llama / llm_build_qwen2 / llm_build_qwen3 compute them.
 *
 * A pre-norm decoder: x += Wo attention(rope(Wq h), rope(Wk h), Wv h) with
 * h = RMSNorm(x), then x += W_down(SiLU(W_gate h) * W_up h) with
 * h = RMSNorm(x).  The three differ only in optional tensors (biases, q/k
 * norms) and the rope layout (normal for llama, neox for the Qwens), all
 * settled at load time.
 *
 *-------------------------------------------------------------------------
 */
#include "model/attention.h"
#include "model/family.h"
#include "model/ops.h"

/*
 * The layers' tensors.  qwen2 requires q/k/v biases, qwen3 per-head q/k
 * norms; llama may carry either (and rope_freqs, Llama 3's long-context
 * divisors), so they are optional there.
 */
static LlmStatus
LlamaLoad(LlmLoader *ld)
{
	LlmModel   *m = ld->m;
	const LlmHParams *hp = &m->hp;
	const int64_t q_dim = (int64_t) hp->n_head * hp->head_dim;
	const int64_t kv_dim = (int64_t) hp->n_head_kv * hp->head_dim;
	const bool	biases = m->arch == LLM_ARCH_QWEN2;
	const bool	qk_norm = m->arch == LLM_ARCH_QWEN3;
	LlmStatus	s;

	if ((s = LlmLoadOutput(ld)) ||
		(s = LlmLoadVector(ld, "rope_freqs.weight", hp->n_rot / 2, false, &m->rope_freqs)))
		return s;
	for (int l = 0; l < hp->n_layer; l++)
	{
		LlmLayer   *L = &m->layers[l];

#define BLK(suffix) LlmLoaderLayerName(ld, l, suffix)
		if ((s = LlmLoadVector(ld, BLK("attn_norm.weight"), hp->n_embd, true, &L->attn_norm)) ||
			(s = LlmLoadMatrix(ld, BLK("attn_q.weight"), hp->n_embd, q_dim, true, &L->wq)) ||
			(s = LlmLoadMatrix(ld, BLK("attn_k.weight"), hp->n_embd, kv_dim, true, &L->wk)) ||
			(s = LlmLoadMatrix(ld, BLK("attn_v.weight"), hp->n_embd, kv_dim, true, &L->wv)) ||
			(s = LlmLoadVector(ld, BLK("attn_q.bias"), q_dim, biases, &L->bq)) ||
			(s = LlmLoadVector(ld, BLK("attn_k.bias"), kv_dim, biases, &L->bk)) ||
			(s = LlmLoadVector(ld, BLK("attn_v.bias"), kv_dim, biases, &L->bv)) ||
			(s = LlmLoadVector(ld, BLK("attn_q_norm.weight"), hp->head_dim, qk_norm, &L->q_norm)) ||
			(s = LlmLoadVector(ld, BLK("attn_k_norm.weight"), hp->head_dim, qk_norm, &L->k_norm)) ||
			(s = LlmLoadMatrix(ld, BLK("attn_output.weight"), q_dim, hp->n_embd, true, &L->wo)) ||
			(s = LlmLoadVector(ld, BLK("ffn_norm.weight"), hp->n_embd, true, &L->ffn_norm)) ||
			(s = LlmLoadMatrix(ld, BLK("ffn_gate.weight"), hp->n_embd, hp->n_ff, true, &L->w_gate)) ||
			(s = LlmLoadMatrix(ld, BLK("ffn_up.weight"), hp->n_embd, hp->n_ff, true, &L->w_up)) ||
			(s = LlmLoadMatrix(ld, BLK("ffn_down.weight"), hp->n_ff, hp->n_embd, true, &L->w_down)))
			return s;
#undef BLK
	}
	return LLM_OK;
}

/* The token's row of the embedding matrix, unscaled. */
static void
LlamaEmbed(LlmContext *ctx, const int32_t *tokens, size_t stride, int n_rows)
{
	const LlmModel *m = ctx->model;

	for (int t = 0; t < n_rows; t++)
		LlmWeightRow(&m->tok_embd, *(const int32_t *) ((const char *) tokens + stride * t),
					 ctx->x + (size_t) t * m->hp.n_embd);
}

/*
 * One transformer block over the chunk's n_rows rows in ctx->x, row t
 * belonging to sequence ctx->rows[t].seq at position ctx->rows[t].pos.
 *
 * Every step computes a row the same way whatever the other rows are
 * (norms, rope and SwiGLU per row, gemm in a fixed order per element), so
 * a sequence decoded inside a batch gets the bits it gets alone.
 */
static bool
LlamaBlock(LlmContext *ctx, int l, int n_rows)
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
	/* Qwen3: each head of q and k RMS-normalised on its own, before rope */
	if (L->q_norm)
		LlmRmsNorm(ctx->q, ctx->q, L->q_norm, n_rows * hp->n_head, hp->head_dim, hp->rms_eps);
	if (L->k_norm)
		LlmRmsNorm(ctx->k, ctx->k, L->k_norm, n_rows * hp->n_head_kv, hp->head_dim, hp->rms_eps);
	for (int t = 0; t < n_rows; t++)
	{
		LlmRope(ctx->q + (size_t) t * q_dim, hp->n_head, hp->head_dim, ctx->rows[t].pos,
				&L->rope, m->rope_freqs);
		LlmRope(ctx->k + (size_t) t * kv_dim, hp->n_head_kv, hp->head_dim, ctx->rows[t].pos,
				&L->rope, m->rope_freqs);
	}
	LlmAttentionStore(ctx, l, n_rows);
	n_rows = LlmKeepOutputRows(ctx, l, n_rows);
	if (n_rows == 0)
		return true;
	LlmAttention(ctx, l);
	if (LlmCancelled(ctx))
		return false;
	LlmProject(ctx, ctx->xb, &L->wo, ctx->att_out, n_rows);
	LlmAdd(ctx->x, ctx->xb, (size_t) n_rows * hp->n_embd);

	/* feed-forward: down(silu(gate(x)) * up(x)) */
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

const LlmFamily LlmFamilyLlama = {
	.name = "llama",
	.load = LlamaLoad,
	.embed = LlamaEmbed,
	.block = LlamaBlock,
	.output_norm = LlmRmsOutputNorm,
};
