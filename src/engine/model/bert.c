/*-------------------------------------------------------------------------
 *
 * bert.c
 *	  The BERT encoder (bge, MiniLM, e5 and other sentence embedders), as
 *	  llama.cpp's llm_build_bert computes it.
 *
 * The input is the sum of the token's, the first token type's and the
 * position's embeddings, LayerNormed.  Each layer is post-norm:
 * x = LayerNorm(x + Wo attention(x) + bo), then
 * x = LayerNorm(x + W_down gelu(W_up x + b_up) + b_down), every projection
 * with its bias and every LayerNorm with weight and bias.  Attention is
 * bidirectional: every token sees its whole input (model/attention.c), so
 * an input goes through in one chunk and cannot be continued, and there is
 * no output layer: the result is the last layer's hidden states, pooled as
 * the file says (bert.pooling_type; see scoring.c).
 *
 * Token types are always 0 ("sentence A"), as llama.cpp has them.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "model/attention.h"
#include "model/family.h"
#include "model/ops.h"

static LlmStatus
BertLoad(LlmLoader *ld)
{
	LlmModel   *m = ld->m;
	LlmHParams *hp = &m->hp;
	const int64_t q_dim = (int64_t) hp->n_head * hp->head_dim;
	const int64_t kv_dim = (int64_t) hp->n_head_kv * hp->head_dim;
	const GgufTensor *types = GgufFindTensor(m->gguf, "token_types.weight");
	LlmStatus	s;

	if (GgufFind(m->gguf, LlmLoaderKey(ld, "attention.layer_norm_epsilon")) == NULL)
		return LlmSetError(ld->err, LLM_ERR_FORMAT, "metadata key %s is missing", ld->key);
	if ((s = LlmLoadBoolOr(ld, "attention.causal", false, &hp->causal)))
		return s;
	m->kind = LLM_KIND_EMBEDDING;

	if (types == NULL)
		return LlmSetError(ld->err, LLM_ERR_FORMAT, "tensor token_types.weight is missing");
	if ((s = LlmLoadMatrix(ld, "token_types.weight", hp->n_embd,
						   types->ne[1] >= 1 && types->ne[1] <= 1024 ? (int64_t) types->ne[1] : 1,
						   true, &m->type_embd)) ||
		(s = LlmLoadMatrix(ld, "position_embd.weight", hp->n_embd, hp->n_ctx_train, true,
						   &m->pos_embd)) ||
		(s = LlmLoadVector(ld, "token_embd_norm.weight", hp->n_embd, true, &m->tok_norm)) ||
		(s = LlmLoadVector(ld, "token_embd_norm.bias", hp->n_embd, true, &m->tok_norm_b)))
		return s;

	for (int l = 0; l < hp->n_layer; l++)
	{
		LlmLayer   *L = &m->layers[l];

#define BLK(suffix) LlmLoaderLayerName(ld, l, suffix)
		if ((s = LlmLoadMatrix(ld, BLK("attn_q.weight"), hp->n_embd, q_dim, true, &L->wq)) ||
			(s = LlmLoadVector(ld, BLK("attn_q.bias"), q_dim, true, &L->bq)) ||
			(s = LlmLoadMatrix(ld, BLK("attn_k.weight"), hp->n_embd, kv_dim, true, &L->wk)) ||
			(s = LlmLoadVector(ld, BLK("attn_k.bias"), kv_dim, true, &L->bk)) ||
			(s = LlmLoadMatrix(ld, BLK("attn_v.weight"), hp->n_embd, kv_dim, true, &L->wv)) ||
			(s = LlmLoadVector(ld, BLK("attn_v.bias"), kv_dim, true, &L->bv)) ||
			(s = LlmLoadMatrix(ld, BLK("attn_output.weight"), q_dim, hp->n_embd, true, &L->wo)) ||
			(s = LlmLoadVector(ld, BLK("attn_output.bias"), hp->n_embd, true, &L->bo)) ||
			(s = LlmLoadVector(ld, BLK("attn_output_norm.weight"), hp->n_embd, true,
							   &L->attn_post_norm)) ||
			(s = LlmLoadVector(ld, BLK("attn_output_norm.bias"), hp->n_embd, true,
							   &L->attn_post_norm_b)) ||
			(s = LlmLoadMatrix(ld, BLK("ffn_up.weight"), hp->n_embd, hp->n_ff, true, &L->w_up)) ||
			(s = LlmLoadVector(ld, BLK("ffn_up.bias"), hp->n_ff, true, &L->b_up)) ||
			(s = LlmLoadMatrix(ld, BLK("ffn_down.weight"), hp->n_ff, hp->n_embd, true, &L->w_down)) ||
			(s = LlmLoadVector(ld, BLK("ffn_down.bias"), hp->n_embd, true, &L->b_down)) ||
			(s = LlmLoadVector(ld, BLK("layer_output_norm.weight"), hp->n_embd, true,
							   &L->ffn_post_norm)) ||
			(s = LlmLoadVector(ld, BLK("layer_output_norm.bias"), hp->n_embd, true,
							   &L->ffn_post_norm_b)))
			return s;
#undef BLK
	}
	return LLM_OK;
}

/* LayerNorm(token + token type 0 + position), xb serving as scratch */
static void
BertEmbed(LlmContext *ctx, const int32_t *tokens, size_t stride, int n_rows)
{
	const LlmModel *m = ctx->model;
	const int	n_embd = m->hp.n_embd;

	for (int t = 0; t < n_rows; t++)
	{
		float	   *x = ctx->x + (size_t) t * n_embd;
		float	   *tmp = ctx->xb + (size_t) t * n_embd;

		LlmWeightRow(&m->tok_embd, *(const int32_t *) ((const char *) tokens + stride * t), x);
		LlmWeightRow(&m->type_embd, 0, tmp);
		LlmAdd(x, tmp, n_embd);
		/* positions fit the table: contexts are no longer (context.c) */
		LlmWeightRow(&m->pos_embd, ctx->rows[t].pos, tmp);
		LlmAdd(x, tmp, n_embd);
	}
	LlmLayerNorm(ctx->x, ctx->x, m->tok_norm, m->tok_norm_b, n_rows, n_embd, m->hp.norm_eps);
}

static bool
BertBlock(LlmContext *ctx, int l, int n_rows)
{
	const LlmModel *m = ctx->model;
	const LlmHParams *hp = &m->hp;
	const LlmLayer *L = &m->layers[l];
	const int	q_dim = hp->n_head * hp->head_dim;
	const int	kv_dim = hp->n_head_kv * hp->head_dim;
	const size_t n_x = (size_t) n_rows * hp->n_embd;

	/* attention over the whole input, then x = norm(x + attention) */
	if (LlmCancelled(ctx))
		return false;
	LlmProject(ctx, ctx->q, &L->wq, ctx->x, n_rows);
	LlmProject(ctx, ctx->k, &L->wk, ctx->x, n_rows);
	LlmProject(ctx, ctx->v, &L->wv, ctx->x, n_rows);
	LlmAddBias(ctx->q, L->bq, n_rows, q_dim);
	LlmAddBias(ctx->k, L->bk, n_rows, kv_dim);
	LlmAddBias(ctx->v, L->bv, n_rows, kv_dim);
	LlmAttentionStore(ctx, l, n_rows);
	LlmAttention(ctx, l);
	if (LlmCancelled(ctx))
		return false;
	LlmProject(ctx, ctx->xb, &L->wo, ctx->att_out, n_rows);
	LlmAddBias(ctx->xb, L->bo, n_rows, hp->n_embd);
	LlmAdd(ctx->xb, ctx->x, n_x);
	LlmLayerNorm(ctx->x, ctx->xb, L->attn_post_norm, L->attn_post_norm_b, n_rows, hp->n_embd,
				 hp->norm_eps);

	/* feed-forward, then x = norm(x + ffn) */
	if (LlmCancelled(ctx))
		return false;
	LlmProject(ctx, ctx->up, &L->w_up, ctx->x, n_rows);
	LlmAddBias(ctx->up, L->b_up, n_rows, hp->n_ff);
	LlmGelu(ctx->up, (int64_t) n_rows * hp->n_ff);
	if (LlmCancelled(ctx))
		return false;
	LlmProject(ctx, ctx->xb, &L->w_down, ctx->up, n_rows);
	LlmAddBias(ctx->xb, L->b_down, n_rows, hp->n_embd);
	LlmAdd(ctx->xb, ctx->x, n_x);
	LlmLayerNorm(ctx->x, ctx->xb, L->ffn_post_norm, L->ffn_post_norm_b, n_rows, hp->n_embd,
				 hp->norm_eps);
	return true;
}

/* No final norm: the hidden state is the last layer's output. */
static void
BertOutputNorm(const LlmContext *ctx, float *y, const float *x, int n_rows)
{
	memcpy(y, x, sizeof(float) * n_rows * ctx->model->hp.n_embd);
}

const LlmFamily LlmFamilyBert = {
	.name = "bert",
	.load = BertLoad,
	.embed = BertEmbed,
	.block = BertBlock,
	.output_norm = BertOutputNorm,
};
