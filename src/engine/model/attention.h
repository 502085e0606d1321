/*-------------------------------------------------------------------------
 *
 * attention.h
 *	  Self-attention over the KV cache, shared by every architecture family:
 *	  the chunk's rows cut into blocks, their keys and values stored in
 *	  their cells, and the attention of their queries over the cells each
 *	  row sees (its sequence's, or a branch's prefix and its own).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_MODEL_ATTENTION_H
#define LLM_ENGINE_MODEL_ATTENTION_H

#include "context.h"

/*
 * Cut the chunk's n_rows rows (ctx->rows) into attention blocks
 * (ctx->blocks), once per chunk: every layer attends in the same blocks.
 */
extern void LlmAttentionPlan(LlmContext *ctx, int n_rows);

/*
 * Store the keys (ctx->k) and values (ctx->v) of the chunk's n_rows rows,
 * already rotated, in layer's cache at each row's cell.
 */
extern void LlmAttentionStore(LlmContext *ctx, int layer, int n_rows);

/*
 * Attention of the chunk's queries (ctx->q, already rotated) over layer's
 * cache into ctx->att_out, [n_rows][n_head * head_dim], on the context's
 * threads.
 */
extern void LlmAttention(LlmContext *ctx, int layer);

#endif							/* LLM_ENGINE_MODEL_ATTENTION_H */
