/*-------------------------------------------------------------------------
 *
 * ops.h
 *	  The numeric steps of the forward pass, each on a batch of rows.
 *
 * Each op follows llama.cpp's CPU backend in the order and precision of its
 * arithmetic (e.g. RMSNorm sums squares in double, rotary angles are built
 * by repeated multiplication in float), because parity with llama.cpp is
 * measured in logits, and F32 models must agree to ~1e-6.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_MODEL_OPS_H
#define LLM_ENGINE_MODEL_OPS_H

#include "model.h"
#include "threadpool.h"

/* y[t] = x[t] / rms(x[t]) * w for n_rows rows of n floats (y may be x) */
extern void LlmRmsNorm(float *y, const float *x, const float *w, int n_rows,
					   int n, float eps);

/*
 * Matrix multiply y[t] = W x[t] for n_rows activation rows, the weight rows
 * shared out over the pool's threads (pool may be NULL).  x is converted to
 * the weight's vec_dot_type first, into scratch (LlmMatmulScratchSize).
 */
extern void LlmMatmul(float *y, const LlmWeight *w, const float *x, int n_rows,
					  void *scratch, LlmThreadPool *pool);

/* Bytes of scratch LlmMatmul needs for n_rows rows of n_in elements. */
extern size_t LlmMatmulScratchSize(int64_t n_in, int n_rows);

/* x[i] += y[i] for n floats (a residual connection) */
extern void LlmAdd(float *x, const float *y, size_t n);

/* y[t] += b for n_rows rows of n floats */
extern void LlmAddBias(float *y, const float *b, int n_rows, int n);

/*
 * y[t] = (x[t] - mean) / sqrt(var + eps) * w + b for n_rows rows of n
 * floats (y may be x): BERT's LayerNorm.
 */
extern void LlmLayerNorm(float *y, const float *x, const float *w, const float *b,
						 int n_rows, int n, float eps);

/*
 * Rotate n_head heads of head_dim floats of one row at position pos; the
 * pairs' angles are divided by freq_factors (NULL: none).
 */
extern void LlmRope(float *x, int n_head, int head_dim, int pos,
					const LlmRopeParams *rp, const float *freq_factors);

/* cs[2i], cs[2i + 1] = cos, sin of pair i's angle at pos (times attn_factor) */
extern void LlmRopeAngles(float *cs, int pos, const LlmRopeParams *rp,
						  const float *freq_factors);

/* x[i] *= s */
extern void LlmScale(float *x, float s, size_t n);

/* x[i] = cap * tanh(x[i] / cap): Gemma's logit soft-capping */
extern void LlmSoftcap(float *x, float cap, size_t n);

/* x = gelu(x), the tanh approximation through ggml's F16 table */
extern void LlmGelu(float *x, int64_t n);

/* gate[i] = gelu(gate[i]) * up[i], likewise (GeGLU) */
extern void LlmGeGlu(float *gate, const float *up, int64_t n);

/* In place: x = exp(x - max) / sum */
extern void LlmSoftmax(float *x, int n);

/* gate[i] = silu(gate[i]) * up[i] */
extern void LlmSwiGlu(float *gate, const float *up, int64_t n);

/* Dequantize row `row` of a weight matrix (embedding lookup). */
extern void LlmWeightRow(const LlmWeight *w, int64_t row, float *out);

#endif							/* LLM_ENGINE_MODEL_OPS_H */
