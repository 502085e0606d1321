/*-------------------------------------------------------------------------
 *
 * context.h
 *	  An inference session on a model: the KV cache of the tokens decoded so
 *	  far and the scratch buffers of the forward pass.  One context is used
 *	  by one thread at a time; many contexts can share one LlmModel.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_CONTEXT_H
#define LLM_ENGINE_CONTEXT_H

#include "model.h"
#include "threadpool.h"

/* Polled between layers and tokens; return true to abandon the call. */
typedef bool (*LlmCancelFn) (void *arg);

typedef struct LlmContext
{
	const LlmModel *model;
	int			n_ctx;			/* KV cache capacity in tokens */
	int			n_batch;		/* tokens per forward chunk */
	int			n_past;			/* tokens now in the KV cache */

	float	   *k_cache;		/* [n_layer][n_ctx][n_head_kv * head_dim] */
	float	   *v_cache;		/* [n_layer][n_head_kv * head_dim][n_ctx]
								 * (transposed) */

	/* scratch for one chunk of up to n_batch tokens */
	float	   *x;				/* [n_batch][n_embd] residual stream */
	float	   *xb;				/* [n_batch][n_embd] normed input / output */
	float	   *q;				/* [n_batch][n_head * head_dim] */
	float	   *k;				/* [n_batch][n_head_kv * head_dim] */
	float	   *v;				/* [n_batch][n_head_kv * head_dim] */
	float	   *att_out;		/* [n_batch][n_head * head_dim] */
	float	   *scores;			/* [n_threads][scores_per_thread] attention
								 * scores of one head over a block of rows */
	size_t		scores_per_thread;	/* >= n_ctx */
	float	   *gate;			/* [n_batch][n_ff] */
	float	   *up;				/* [n_batch][n_ff] */
	void	   *act_scratch;	/* converted activations for LlmMatmul */

	LlmThreadPool *pool;		/* NULL: single-threaded */
	int			n_threads;

	LlmCancelFn cancel;
	void	   *cancel_arg;
} LlmContext;

/* n_ctx <= 0 means the model's training context; n_batch <= 0 means 512. */
extern LlmStatus LlmContextCreate(const LlmModel *model, int n_ctx, int n_batch,
								  LlmContext **out, LlmError *err);
extern void LlmContextFree(LlmContext *ctx);

/*
 * Use n_threads threads (the caller's included) for the forward pass.  The
 * workers start here, once, not per token.
 */
extern LlmStatus LlmContextSetThreads(LlmContext *ctx, int n_threads, LlmError *err);

/* Forget every cached token. */
extern void LlmContextReset(LlmContext *ctx);

/* Forget the cached tokens from position n_keep on (n_keep <= n_past). */
extern void LlmContextTruncate(LlmContext *ctx, int n_keep);

/*
 * Run n_tokens more tokens through the model, appending them to the cache.
 * logits receives [n_tokens][n_vocab] floats when all_logits, else only the
 * last token's [n_vocab] (logits may be NULL to skip the output layer).
 * On error the cache keeps the chunks that completed.
 */
extern LlmStatus LlmDecode(LlmContext *ctx, const int32_t *tokens, int n_tokens,
						   float *logits, bool all_logits, LlmError *err);

/*
 * As LlmDecode, but hand back each token's final hidden state (after the
 * output norm, before the output matrix): [n_tokens][n_embd].
 */
extern LlmStatus LlmDecodeHidden(LlmContext *ctx, const int32_t *tokens,
								 int n_tokens, float *hidden, LlmError *err);

#endif							/* LLM_ENGINE_CONTEXT_H */
