/*-------------------------------------------------------------------------
 *
 * kernels.h
 *	  The one table through which the engine calls every numeric kernel.
 *
 * A matrix-vector product on a quantized weight row never sees float
 * activations: they are first converted to the weight type's vec_dot_type
 * (F16, BF16, Q8_0 or Q8_K, exactly as llama.cpp does) by from_float, then
 * vec_dot multiplies one weight row by one converted activation row.
 *
 * Every function here has a scalar *_ref twin in kernels_ref.h; SIMD
 * variants (later) fill the same table and are tested against the twins.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_KERNELS_KERNELS_H
#define LLM_KERNELS_KERNELS_H

#include "quant.h"

/* s = dot(weight row w, converted activation row a), both n elements long */
typedef void (*LlmVecDotFn) (int64_t n, float *s, const void *w, const void *a);

/*
 * Many dot products at once, for prompt processing: for r < nr and t < nt,
 * s[t * ldc + r] = dot(weight row r, activation row t), with weight rows
 * w_stride bytes apart and activation rows a_stride bytes apart.  A variant
 * tiles this so that each weight block is loaded once per tile (I8MM SMMLA,
 * VNNI); the reference calls vec_dot nr * nt times.
 */
typedef void (*LlmGemmFn) (int64_t n, int nr, int nt, float *s, size_t ldc,
						   const void *w, size_t w_stride,
						   const void *a, size_t a_stride);

/* convert n floats to the blocks of one type (n a multiple of its block size) */
typedef void (*LlmFromFloatFn) (const float *x, void *y, int64_t n);

/* In place over n floats: x = exp(x - max) / sum (attention weights). */
typedef void (*LlmSoftmaxFn) (float *x, int64_t n);

/* gate[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + exp(-g)). */
typedef void (*LlmSwiGluFn) (float *gate, const float *up, int64_t n);

/* convert n elements of one type back to floats */
typedef void (*LlmToFloatFn) (const void *x, float *y, int64_t n);

typedef struct LlmKernelTable
{
	const char *name;			/* "ref", "avx2", ... */
	LlmVecDotFn vec_dot[LLM_TYPE_COUNT];	/* indexed by weight type */
	LlmGemmFn	gemm[LLM_TYPE_COUNT];	/* indexed by weight type */
	LlmFromFloatFn from_float[LLM_TYPE_COUNT];	/* indexed by vec_dot_type */
	LlmToFloatFn to_float[LLM_TYPE_COUNT];	/* indexed by type */
	LlmSoftmaxFn softmax;
	LlmSwiGluFn swiglu;
} LlmKernelTable;

/*
 * The table in use.  The first call picks the best variant this CPU runs,
 * or the one named by the LLM_KERNEL environment variable.
 */
extern const LlmKernelTable *LlmKernelsGet(void);

/*
 * Force a variant by name ("auto" = best available).  Returns false, and
 * leaves the current choice alone, if the name is unknown or this CPU
 * cannot run it.
 */
extern bool LlmKernelsSelect(const char *name);

/* The named variant if it is compiled in and this CPU runs it, else NULL. */
extern const LlmKernelTable *LlmKernelsByName(const char *name);

/* Names of all compiled variants, best first, NULL-terminated. */
extern const char *const *LlmKernelsNames(void);

/* The scalar reference table (the spec). */
extern const LlmKernelTable *LlmKernelsRef(void);

#endif							/* LLM_KERNELS_KERNELS_H */
