/*-------------------------------------------------------------------------
 *
 * x86_act.c
 *	  Softmax and SwiGLU with a vectorized exp, for AVX2 and AVX-512.
 *
 * exp(x) = 2^n * e^r with n = round(x / ln 2) and |r| <= ln 2 / 2, e^r by
 * the cephes minimax polynomial: within 2 ulp of libm's expf over the
 * range that matters (the variant test bounds it).  Softmax sums in double
 * per vector, like ggml's SIMD softmax.
 *
 *-------------------------------------------------------------------------
 */
#include "kernels_x86.h"

#if defined(__x86_64__)

#include <immintrin.h>
#include <math.h>

#include "kernels_ref.h"

#define LLM_AVX2 __attribute__((target("avx2,fma")))
#define LLM_AVX512 __attribute__((target("avx512f,avx512dq,avx2,fma")))

/* cephes expf coefficients of e^r - 1 - r = r^2 * P(r) */
#define EXP_P0 1.9875691500E-4f
#define EXP_P1 1.3981999507E-3f
#define EXP_P2 8.3334519073E-3f
#define EXP_P3 4.1665795894E-2f
#define EXP_P4 1.6666665459E-1f
#define EXP_P5 5.0000001201E-1f
#define EXP_LN2_HI 0.693359375f
#define EXP_LN2_LO -2.12194440E-4f

LLM_AVX512 static inline __m512
Exp512(__m512 x)
{
	__m512		n,
				r,
				r2,
				p;

	/* below -104 e^x is 0 in float; above 88.7 it overflows */
	x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-104.0f)), _mm512_set1_ps(88.72f));
	n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
							 _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
	r = _mm512_fnmadd_ps(n, _mm512_set1_ps(EXP_LN2_HI), x);
	r = _mm512_fnmadd_ps(n, _mm512_set1_ps(EXP_LN2_LO), r);
	r2 = _mm512_mul_ps(r, r);
	p = _mm512_fmadd_ps(_mm512_set1_ps(EXP_P0), r, _mm512_set1_ps(EXP_P1));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXP_P2));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXP_P3));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXP_P4));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXP_P5));
	p = _mm512_fmadd_ps(p, r2, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
	/* scalef handles the subnormal results a plain exponent add cannot */
	return _mm512_scalef_ps(p, n);
}

LLM_AVX2 static inline __m256
Exp256(__m256 x)
{
	__m256		n,
				r,
				r2,
				p;
	__m256i		e;

	/*
	 * Without scalef, 2^n is built in the exponent field: results below
	 * about e^-87 (subnormal in libm) come out as 0, which next to the 1 of
	 * a softmax's largest term makes no difference.
	 */
	x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.33f)), _mm256_set1_ps(88.72f));
	n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
						_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
	r = _mm256_fnmadd_ps(n, _mm256_set1_ps(EXP_LN2_HI), x);
	r = _mm256_fnmadd_ps(n, _mm256_set1_ps(EXP_LN2_LO), r);
	r2 = _mm256_mul_ps(r, r);
	p = _mm256_fmadd_ps(_mm256_set1_ps(EXP_P0), r, _mm256_set1_ps(EXP_P1));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P2));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P3));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P4));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P5));
	p = _mm256_fmadd_ps(p, r2, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
	/* n in [-126, 128]: 128 only at the clamp, where p < 1 keeps it finite */
	e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(126)), 23);
	return _mm256_mul_ps(_mm256_mul_ps(p, _mm256_castsi256_ps(e)), _mm256_set1_ps(2.0f));
}

LLM_AVX512 void
LlmSoftmax_avx512(float *x, int64_t n)
{
	__m512		vmax = _mm512_set1_ps(-INFINITY);
	float		max;
	double		sum = 0.0;
	float		inv;
	int64_t		i = 0;

	for (; i + 16 <= n; i += 16)
		vmax = _mm512_max_ps(vmax, _mm512_loadu_ps(x + i));
	max = _mm512_reduce_max_ps(vmax);
	for (; i < n; i++)
		max = x[i] > max ? x[i] : max;

	for (i = 0; i + 16 <= n; i += 16)
	{
		__m512		e = Exp512(_mm512_sub_ps(_mm512_loadu_ps(x + i), _mm512_set1_ps(max)));

		_mm512_storeu_ps(x + i, e);
		sum += (double) _mm512_reduce_add_ps(e);
	}
	for (; i < n; i++)
	{
		x[i] = expf(x[i] - max);
		sum += (double) x[i];
	}

	inv = (float) (1.0 / sum);
	for (i = 0; i + 16 <= n; i += 16)
		_mm512_storeu_ps(x + i, _mm512_mul_ps(_mm512_loadu_ps(x + i), _mm512_set1_ps(inv)));
	for (; i < n; i++)
		x[i] *= inv;
}

LLM_AVX512 void
LlmSwiGlu_avx512(float *gate, const float *up, int64_t n)
{
	int64_t		i = 0;

	for (; i + 16 <= n; i += 16)
	{
		__m512		g = _mm512_loadu_ps(gate + i);
		__m512		e = Exp512(_mm512_sub_ps(_mm512_setzero_ps(), g));
		__m512		silu = _mm512_div_ps(g, _mm512_add_ps(_mm512_set1_ps(1.0f), e));

		_mm512_storeu_ps(gate + i, _mm512_mul_ps(silu, _mm512_loadu_ps(up + i)));
	}
	LlmSwiGlu_ref(gate + i, up + i, n - i);
}

/* horizontal sum of 8 floats */
LLM_AVX2 static inline float
Sum256(__m256 v)
{
	__m128		s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));

	s = _mm_add_ps(s, _mm_movehl_ps(s, s));
	s = _mm_add_ss(s, _mm_movehdup_ps(s));
	return _mm_cvtss_f32(s);
}

LLM_AVX2 void
LlmSoftmax_avx2(float *x, int64_t n)
{
	__m256		vmax = _mm256_set1_ps(-INFINITY);
	float		max = -INFINITY;
	double		sum = 0.0;
	float		inv;
	int64_t		i = 0;
	float		lanes[8];

	for (; i + 8 <= n; i += 8)
		vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(x + i));
	_mm256_storeu_ps(lanes, vmax);
	for (int j = 0; j < 8; j++)
		max = lanes[j] > max ? lanes[j] : max;
	for (; i < n; i++)
		max = x[i] > max ? x[i] : max;

	for (i = 0; i + 8 <= n; i += 8)
	{
		__m256		e = Exp256(_mm256_sub_ps(_mm256_loadu_ps(x + i), _mm256_set1_ps(max)));

		_mm256_storeu_ps(x + i, e);
		sum += (double) Sum256(e);
	}
	for (; i < n; i++)
	{
		x[i] = expf(x[i] - max);
		sum += (double) x[i];
	}

	inv = (float) (1.0 / sum);
	for (i = 0; i + 8 <= n; i += 8)
		_mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), _mm256_set1_ps(inv)));
	for (; i < n; i++)
		x[i] *= inv;
}

LLM_AVX2 void
LlmSwiGlu_avx2(float *gate, const float *up, int64_t n)
{
	int64_t		i = 0;

	for (; i + 8 <= n; i += 8)
	{
		__m256		g = _mm256_loadu_ps(gate + i);
		__m256		e = Exp256(_mm256_sub_ps(_mm256_setzero_ps(), g));
		__m256		silu = _mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e));

		_mm256_storeu_ps(gate + i, _mm256_mul_ps(silu, _mm256_loadu_ps(up + i)));
	}
	LlmSwiGlu_ref(gate + i, up + i, n - i);
}

#endif							/* __x86_64__ */
