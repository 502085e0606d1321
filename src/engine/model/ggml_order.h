/*-------------------------------------------------------------------------
 *
 * ggml_order.h
 *	  Float arithmetic in exactly the order of llama.cpp's CPU backend
 *	  (x86-64, AVX-512 build): the sums of its F32 matrix products, its
 *	  softmax and its SiLU, one element at a time.
 *
 * The kernels (kernels/) sum a float product in an order of their own,
 * which differs from llama.cpp's in the last bit of some results.  That
 * is invisible on most models, but a model whose activation goes through
 * an F16 lookup table (GELU: gemma3, bert) turns a last-bit difference into
 * a different table entry now and then, and its logits move by ~1e-4 x
 * std, which an F32 parity check cannot tell from a real error.  A context
 * in ggml order (LlmContextSetGgmlOrder) multiplies F32 weights, attends
 * over an F32 cache and applies SiLU with these functions instead, and
 * reproduces llama.cpp's F32 results bit for bit.  It is slower (scalar
 * fused multiply-adds), so it is for checking, not for serving.
 *
 * What llama.cpp does, and so what is copied here:
 * - an F32 weight times activations (llamafile's tinyBLAS): per output,
 *   sixteen lanes each accumulating every sixteenth product with an FMA,
 *   then the lanes added as _mm512_reduce_add_ps adds them;
 * - ggml_vec_dot_f32 (attention scores, and rows tinyBLAS refuses): four
 *   such accumulators over blocks of 64, added pairwise, reduced, then the
 *   leftover elements one at a time;
 * - softmax: exp by ggml_v_expf over blocks of sixteen, each block's sum
 *   reduced in float and added in double, the leftovers by expf;
 * - SiLU: x / (1 + ggml_v_expf(-x)) over blocks of sixteen, expf after.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_MODEL_GGML_ORDER_H
#define LLM_ENGINE_MODEL_GGML_ORDER_H

#include "model.h"
#include "threadpool.h"

/*
 * sum of a[i * a_stride] * b[i] for i < n in tinyBLAS's order; n need not
 * be a multiple of sixteen (missing products are zeros, which leave the
 * lanes as they are).
 */
extern float LlmGgmlDotTiny(const float *a, size_t a_stride, const float *b, int64_t n);

/*
 * sum of a[i * a_stride] * b[i] for i < n in ggml_vec_dot_f32's order;
 * fused_tail: the products after the last whole block of 64 are added
 * with an FMA (as llama.cpp's attention sums values over a ragged input),
 * else rounded first (as its attention scores a head of fewer than 64):
 * both measured against llama.cpp's bert, whose build differs there.
 */
extern float LlmGgmlDotVec(const float *a, size_t a_stride, const float *b, int64_t n,
						   bool fused_tail);

/*
 * y[t] = W x[t] for an F32 weight, as llama.cpp multiplies it: tinyBLAS
 * when rows are a multiple of sixteen, else ggml_vec_dot_f32.
 */
extern void LlmGgmlMatmul(float *y, const LlmWeight *w, const float *x, int n_rows,
						  LlmThreadPool *pool);

/*
 * In place: softmax of x[0..n) as ggml_soft_max computes it for a row of
 * n_row >= n entries whose entries from n on are masked: its blocks of
 * sixteen and its leftovers counted from the start of that row.
 */
extern void LlmGgmlSoftmax(float *x, int n, int n_row);

/* gate[i] = silu(gate[i]) * up[i], as ggml_vec_swiglu_f32 */
extern void LlmGgmlSwiGlu(float *gate, const float *up, int64_t n);

#endif							/* LLM_ENGINE_MODEL_GGML_ORDER_H */
