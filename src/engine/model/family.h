/*-------------------------------------------------------------------------
 *
 * family.h
 *	  What the forward pass asks of an architecture family.
 *
 * Each family (llama.c: llama, qwen2, qwen3; ...) has a file of its own
 * that puts its layers together from the shared ops and attention, and
 * one table of these functions; the loader picks the table once, by the
 * file's general.architecture (model.c), and decode.c runs every chunk
 * through it without knowing which architecture it is.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_MODEL_FAMILY_H
#define LLM_ENGINE_MODEL_FAMILY_H

#include "context.h"

typedef struct LlmFamily
{
	const char *name;

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

static inline bool
LlmCancelled(const LlmContext *ctx)
{
	return ctx->cancel != NULL && ctx->cancel(ctx->cancel_arg);
}

#endif							/* LLM_ENGINE_MODEL_FAMILY_H */
