/*-------------------------------------------------------------------------
 *
 * family.h
 *	  What the forward pass asks of an architecture family.
 *
 * Each family (llama.c: llama, qwen2, qwen3; gemma3.c; phi3.c; bert.c)
 * has a file of its own that loads its tensors and puts its layers
 * together from the shared ops and attention, and one table of these
 * functions; the loader picks the table once, by the file's
 * general.architecture (model.c), and decode.c runs every chunk through it
 * without knowing which architecture it is.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_MODEL_FAMILY_H
#define LLM_ENGINE_MODEL_FAMILY_H

#include "context.h"
#include "model/ggml_order.h"
#include "model/loader.h"
#include "model/ops.h"

typedef struct LlmFamily
{
	const char *name;

	/*
	 * The family's own settings and tensors, after model.c has read what
	 * every file has (sizes, rope, token_embd) and set each layer's rope
	 * to the file's.
	 */
	LlmStatus	(*load) (LlmLoader *ld);

	/*
	 * The chunk's input: the embedding of token t of the n_rows rows into
	 * row t of ctx->x.  tokens are read stride bytes apart.
	 */
	void		(*embed) (LlmContext *ctx, const int32_t *tokens, size_t stride, int n_rows);

	/*
	 * Layer l over the chunk's rows in ctx->x, in place.  False if the
	 * cancel callback asked to stop (polled between the layer's large
	 * steps, so that a long prompt stops within milliseconds).
	 */
	bool		(*block) (LlmContext *ctx, int l, int n_rows);

	/* The final hidden state of n_rows rows x into y, before the output matrix. */
	void		(*output_norm) (const LlmContext *ctx, float *y, const float *x, int n_rows);
} LlmFamily;

extern const LlmFamily LlmFamilyLlama;
extern const LlmFamily LlmFamilyGemma3;
extern const LlmFamily LlmFamilyPhi3;
extern const LlmFamily LlmFamilyBert;

/*
 * Called by a block after it stored the chunk's keys and values: in the
 * last layer, where only the rows the caller reads (ctx->out_rows) need
 * the rest of the layer, move those rows' residual (ctx->x) and queries
 * (ctx->q) to the front, plan their attention again, and return how many
 * there are; otherwise return n_rows.  Each row is computed alone, so the
 * kept rows get the bits they would have got among all of them.
 */
extern int	LlmKeepOutputRows(LlmContext *ctx, int l, int n_rows);

/* The output_norm of the RMS-normed decoders (llama, gemma3, phi3): output_norm.weight. */
extern void LlmRmsOutputNorm(const LlmContext *ctx, float *y, const float *x, int n_rows);

static inline bool
LlmCancelled(const LlmContext *ctx)
{
	return ctx->cancel != NULL && ctx->cancel(ctx->cancel_arg);
}

/* y[t] = W x[t] for the chunk's n_rows rows, on the context's threads */
static inline void
LlmProject(LlmContext *ctx, float *y, const LlmWeight *w, const float *x, int n_rows)
{
	if (ctx->ggml_order && w->type == LLM_TYPE_F32)
		LlmGgmlMatmul(y, w, x, n_rows, ctx->pool);
	else
		LlmMatmul(y, w, x, n_rows, ctx->act_scratch, ctx->pool);
}

/* gate = silu(gate) * up for n_rows rows of n_ff */
static inline void
LlmSwiGluRows(LlmContext *ctx, float *gate, const float *up, int n_rows, int n_ff)
{
	/* per row: a vector kernel's tail must fall on the same elements */
	for (int t = 0; t < n_rows; t++)
	{
		if (ctx->ggml_order)
			LlmGgmlSwiGlu(gate + (size_t) t * n_ff, up + (size_t) t * n_ff, n_ff);
		else
			LlmSwiGlu(gate + (size_t) t * n_ff, up + (size_t) t * n_ff, n_ff);
	}
}

#endif							/* LLM_ENGINE_MODEL_FAMILY_H */
