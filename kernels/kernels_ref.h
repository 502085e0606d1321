/*-------------------------------------------------------------------------
 *
 * kernels_ref.h
 *	  Scalar reference kernels: the specification every SIMD variant is
 *	  tested against, and the weight quantizers used to write model files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_KERNELS_KERNELS_REF_H
#define LLM_KERNELS_KERNELS_REF_H

#include "kernels.h"

/* activation converters (vec_dot types) */
extern void LlmFromFloatF32_ref(const float *x, void *y, int64_t n);
extern void LlmFromFloatF16_ref(const float *x, void *y, int64_t n);
extern void LlmFromFloatBf16_ref(const float *x, void *y, int64_t n);
extern void LlmQuantizeQ8_0_ref(const float *x, void *y, int64_t n);
extern void LlmQuantizeQ8_K_ref(const float *x, void *y, int64_t n);

/* dot products: weight row of the named type against its vec_dot_type */
extern void LlmVecDotF32_ref(int64_t n, float *s, const void *w, const void *a);
extern void LlmVecDotF16_ref(int64_t n, float *s, const void *w, const void *a);
extern void LlmVecDotBf16_ref(int64_t n, float *s, const void *w, const void *a);
extern void LlmVecDotQ8_0_ref(int64_t n, float *s, const void *w, const void *a);
extern void LlmVecDotQ4_0_ref(int64_t n, float *s, const void *w, const void *a);
extern void LlmVecDotQ5_0_ref(int64_t n, float *s, const void *w, const void *a);
extern void LlmVecDotQ4_K_ref(int64_t n, float *s, const void *w, const void *a);
extern void LlmVecDotQ5_K_ref(int64_t n, float *s, const void *w, const void *a);
extern void LlmVecDotQ6_K_ref(int64_t n, float *s, const void *w, const void *a);

/* tiles of dot products: vec_dot over every (row, activation) pair */
extern void LlmGemmF32_ref(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);
extern void LlmGemmF16_ref(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);
extern void LlmGemmBf16_ref(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);
extern void LlmGemmQ8_0_ref(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);
extern void LlmGemmQ4_0_ref(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);
extern void LlmGemmQ5_0_ref(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);
extern void LlmGemmQ4_K_ref(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);
extern void LlmGemmQ5_K_ref(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);
extern void LlmGemmQ6_K_ref(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);

/*
 * The reference tiling, reusable by SIMD variants for types they have no
 * special tile kernel for: calls dot for every pair.
 */
extern void LlmGemmByVecDot(LlmVecDotFn dot, int64_t n, int nr, int nt, float *s,
							size_t ldc, const void *w, size_t w_stride,
							const void *a, size_t a_stride);

/* elementwise activations (act_ref.c) */
extern void LlmSoftmax_ref(float *x, int64_t n);
extern void LlmSwiGlu_ref(float *gate, const float *up, int64_t n);

/* dequantizers (embedding lookup, tests) */
extern void LlmToFloatF32_ref(const void *x, float *y, int64_t n);
extern void LlmToFloatF16_ref(const void *x, float *y, int64_t n);
extern void LlmToFloatBf16_ref(const void *x, float *y, int64_t n);
extern void LlmDequantizeQ8_0_ref(const void *x, float *y, int64_t n);
extern void LlmDequantizeQ4_0_ref(const void *x, float *y, int64_t n);
extern void LlmDequantizeQ5_0_ref(const void *x, float *y, int64_t n);
extern void LlmDequantizeQ4_K_ref(const void *x, float *y, int64_t n);
extern void LlmDequantizeQ5_K_ref(const void *x, float *y, int64_t n);
extern void LlmDequantizeQ6_K_ref(const void *x, float *y, int64_t n);
extern void LlmDequantizeQ8_K_ref(const void *x, float *y, int64_t n);

/*
 * Weight quantizers (as llama-quantize's reference path, no importance
 * matrix), for the synthetic-model generator and tests.  Any type with a
 * to_float converter can be written; returns false for other types.
 */
extern bool LlmQuantizeWeights(LlmType type, const float *x, void *y, int64_t n);

#endif							/* LLM_KERNELS_KERNELS_REF_H */
