/*-------------------------------------------------------------------------
 *
 * scoring.h
 *	  Uses of the model other than generation: log-probabilities of given
 *	  text (scoring, classification) and pooled hidden states (embeddings).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_SCORING_H
#define LLM_ENGINE_SCORING_H

#include "context.h"

/*
 * Sum of log p(token[i] | tokens before it) for i = 1 .. n - 1, in a reset
 * context; *n_scored = n - 1.
 */
extern LlmStatus LlmScoreTokens(LlmContext *ctx, const int32_t *tokens, int n,
								double *sum_logprob, int *n_scored, LlmError *err);

/*
 * Log-probability of each continuation after a common prompt:
 * logprob[i] = sum over the tokens of cont[i] of log p(token | prompt and
 * the continuation's earlier tokens).  The prompt and every continuation
 * go through the model in one pass (branches, see scoring.c), so the
 * scores match decoding each continuation after the prompt up to the last
 * bits of the attention sums.  The context is reset first.
 */
extern LlmStatus LlmScoreContinuations(LlmContext *ctx, const int32_t *prompt,
									   int n_prompt, const int32_t *const *cont,
									   const int *cont_len, int n_cont,
									   double *logprob, LlmError *err);

/*
 * LlmScoreContinuations for n_inputs prompts at once (classifying many
 * rows): prompt i goes in sequence i of a context made by
 * LlmContextCreateSeq (n_inputs <= n_seq); the prompts and all their
 * continuations go through together.  logprob[i * n_cont + c],
 * bit-identical to what LlmScoreContinuations gives for input i alone.  n_cached (or NULL: none) says how many of
 * prompt i's first tokens sequence i already holds (a prefix loaded from a
 * cache or copied from another sequence; fewer than the whole prompt):
 * only the rest is decoded.  Those sequences' other tokens are forgotten.
 */
extern LlmStatus LlmScoreContinuationsBatch(LlmContext *ctx, const int32_t *const *prompts,
											const int *n_prompt, const int *n_cached,
											int n_inputs,
											const int32_t *const *cont, const int *cont_len,
											int n_cont, double *logprob, LlmError *err);

/*
 * The embedding of one input, out[n_embd]: the final hidden states of its
 * tokens (after the output norm; a bert's last layer) pooled as the model
 * says (LlmModel.hp.pooling, from <arch>.pooling_type): their mean (also
 * for a decoder whose file names no pooling), the first token's (cls) or
 * the last token's (last, Qwen3-Embedding); scaled to unit length when
 * normalize.  A model whose pooling type is none has no such vector
 * (LLM_ERR_UNSUPPORTED: take LlmDecodeHidden's per-token states instead).
 * The context is reset first.  An encoder's input must fit in one batch
 * (n <= the context's n_batch).
 */
extern LlmStatus LlmEmbedPooled(LlmContext *ctx, const int32_t *tokens, int n,
								bool normalize, float *out, LlmError *err);

/* LlmEmbedPooled scaled to unit length: what the SQL layer embeds with. */
extern LlmStatus LlmEmbedTokens(LlmContext *ctx, const int32_t *tokens, int n,
								float *out, LlmError *err);

/*
 * LlmEmbedTokens of n_inputs inputs at once, input i in sequence i of a
 * context of at least n_inputs sequences (reset first): their tokens go
 * through the model together, so the weights are streamed once per chunk
 * for all of them (an encoder's input whole in one chunk).
 * out[i * n_embd ..], bit-identical to LlmEmbedTokens of input i alone.
 */
extern LlmStatus LlmEmbedBatch(LlmContext *ctx, const int32_t *const *tokens,
							   const int *n_tokens, int n_inputs, float *out, LlmError *err);

/* log softmax(logits)[id], computed stably in double */
extern double LlmLogProb(const float *logits, int n_vocab, int32_t id);

#endif							/* LLM_ENGINE_SCORING_H */
