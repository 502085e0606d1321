/*-------------------------------------------------------------------------
 *
 * x86_avx2_dot.c
 *	  The AVX2 vec_dot kernels: one weight row by one converted activation
 *	  row, straight from the GGUF layouts.
 *
 * Dot products differ from the reference only in the order float partial
 * sums are added.
 *
 * Pure C: no PostgreSQL headers.
 *
 *-------------------------------------------------------------------------
 */
#include "x86_avx2.h"

#if defined(__x86_64__)

/* ------------------------------------------------------------------------
 * Float dot products.  Four accumulators, each lane summing a quarter of
 * the products in float (the reference sums in double: the difference is
 * rounding, well inside the tested bound).
 * ------------------------------------------------------------------------
 */

/* row x times row y, both of the given kind, as lanes */
LLM_INLINE LLM_AVX2 __m256
LlmRowFF(LlmFloatKind kind, int64_t n, const void *x, const void *y)
{
	__m256		acc0 = _mm256_setzero_ps();
	__m256		acc1 = _mm256_setzero_ps();
	__m256		acc2 = _mm256_setzero_ps();
	__m256		acc3 = _mm256_setzero_ps();
	int64_t		i = 0;

	for (; i + 32 <= n; i += 32)
	{
		acc0 = _mm256_fmadd_ps(LlmLoadF(kind, x, i), LlmLoadF(kind, y, i), acc0);
		acc1 = _mm256_fmadd_ps(LlmLoadF(kind, x, i + 8), LlmLoadF(kind, y, i + 8), acc1);
		acc2 = _mm256_fmadd_ps(LlmLoadF(kind, x, i + 16), LlmLoadF(kind, y, i + 16), acc2);
		acc3 = _mm256_fmadd_ps(LlmLoadF(kind, x, i + 24), LlmLoadF(kind, y, i + 24), acc3);
	}
	for (; i + 8 <= n; i += 8)
		acc0 = _mm256_fmadd_ps(LlmLoadF(kind, x, i), LlmLoadF(kind, y, i), acc0);
	if (i < n)
		acc1 = _mm256_fmadd_ps(LlmLoadFPart(kind, x, i, (int) (n - i)),
							   LlmLoadFPart(kind, y, i, (int) (n - i)), acc1);
	return _mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3));
}

LLM_INLINE LLM_AVX2 void
LlmVecDotF(LlmFloatKind kind, int64_t n, float *s, const void *w, const void *a)
{
	*s = LlmHsum256(LlmRowFF(kind, n, w, a));
}

LLM_X86_VEC_DOT(LlmVecDotF32_avx2, LLM_AVX2, LlmVecDotF, LLM_FK_F32)
LLM_X86_VEC_DOT(LlmVecDotF16_avx2, LLM_AVX2, LlmVecDotF, LLM_FK_F16)
LLM_X86_VEC_DOT(LlmVecDotBf16_avx2, LLM_AVX2, LlmVecDotF, LLM_FK_BF16)

/* ------------------------------------------------------------------------
 * Dot products of 32-weight blocks (Q8_0, Q4_0, Q5_0) against Q8_0
 * activations, from the file layouts, one block per register.
 * ------------------------------------------------------------------------
 */

/* a row of nb blocks times natural Q8_0 activations, as lanes */
LLM_INLINE LLM_AVX2 __m256
LlmRowQ32(LlmType type, int64_t nb, const void *x, const BlockQ8_0 *y)
{
	__m256		acc0 = _mm256_setzero_ps();
	__m256		acc1 = _mm256_setzero_ps();
	int64_t		i = 0;

	for (; i + 4 <= nb; i += 4)
	{
		__m256		sc = _mm256_castps128_ps256(_mm_mul_ps(LlmHalves4(LlmQ32Scale(type, x, i), LlmQ32Scale(type, x, i + 1),
																	   LlmQ32Scale(type, x, i + 2), LlmQ32Scale(type, x, i + 3)),
												   LlmHalves4(y[i].d, y[i + 1].d, y[i + 2].d, y[i + 3].d)));

		acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(LlmQ32DotOne(type, x, i, &y[i])),
							   _mm256_permutevar8x32_ps(sc, _mm256_set1_epi32(0)), acc0);
		acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(LlmQ32DotOne(type, x, i + 1, &y[i + 1])),
							   _mm256_permutevar8x32_ps(sc, _mm256_set1_epi32(1)), acc1);
		acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(LlmQ32DotOne(type, x, i + 2, &y[i + 2])),
							   _mm256_permutevar8x32_ps(sc, _mm256_set1_epi32(2)), acc0);
		acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(LlmQ32DotOne(type, x, i + 3, &y[i + 3])),
							   _mm256_permutevar8x32_ps(sc, _mm256_set1_epi32(3)), acc1);
	}
	for (; i < nb; i++)
		acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(LlmQ32DotOne(type, x, i, &y[i])),
							   _mm256_set1_ps(LlmH2F(LlmQ32Scale(type, x, i)) * LlmH2F(y[i].d)), acc0);
	return _mm256_add_ps(acc0, acc1);
}

LLM_INLINE LLM_AVX2 void
LlmVecDotQ32(LlmType type, int64_t n, float *s, const void *w, const void *a)
{
	*s = LlmHsum256(LlmRowQ32(type, n / QK8_0, w, a));
}

LLM_X86_VEC_DOT(LlmVecDotQ8_0_avx2, LLM_AVX2, LlmVecDotQ32, LLM_TYPE_Q8_0)
LLM_X86_VEC_DOT(LlmVecDotQ4_0_avx2, LLM_AVX2, LlmVecDotQ32, LLM_TYPE_Q4_0)
LLM_X86_VEC_DOT(LlmVecDotQ5_0_avx2, LLM_AVX2, LlmVecDotQ32, LLM_TYPE_Q5_0)
/* ------------------------------------------------------------------------
 * K-quant dot products against Q8_K activations (LlmRowK, shared with the
 * gemm).
 * ------------------------------------------------------------------------
 */

LLM_INLINE LLM_AVX2 void
LlmVecDotK(LlmType type, int64_t n, float *s, const void *w, const void *a)
{
	*s = LlmHsum256(LlmRowK(type, n, w, a));
}

LLM_X86_VEC_DOT(LlmVecDotQ4_K_avx2, LLM_AVX2, LlmVecDotK, LLM_TYPE_Q4_K)
LLM_X86_VEC_DOT(LlmVecDotQ5_K_avx2, LLM_AVX2, LlmVecDotK, LLM_TYPE_Q5_K)
LLM_X86_VEC_DOT(LlmVecDotQ6_K_avx2, LLM_AVX2, LlmVecDotK, LLM_TYPE_Q6_K)

#endif							/* __x86_64__ */
