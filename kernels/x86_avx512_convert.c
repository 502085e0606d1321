/*-------------------------------------------------------------------------
 *
 * x86_avx512_convert.c
 *	  The AVX-512 converters: activations to F16, BF16, Q8_0 and Q8_K
 *	  (from_float), and every type back to floats (to_float).
 *
 * Activation converters are bit-identical to the reference (see
 * quant_ref.c): parity with llama.cpp depends on the exact quants.
 * Dequantizers repeat the reference's float operations lane by lane,
 * without fused multiply-adds.  F32 needs no conversion: the tables use
 * the reference's copy.
 *
 * Pure C: no PostgreSQL headers.
 *
 *-------------------------------------------------------------------------
 */
#include "x86_avx512.h"

#if defined(__x86_64__)

/* ------------------------------------------------------------------------
 * Activation converters (bit-identical to quant_ref.c)
 * ------------------------------------------------------------------------
 */

/* VCVTPS2PH with round-to-nearest-even is what LlmFloatToHalf emulates */
LLM_AVX512 void
LlmFromFloatF16_avx512(const float *x, void *vy, int64_t n)
{
	LlmHalf    *y = vy;
	int64_t		i = 0;

	for (; i + 16 <= n; i += 16)
		_mm256_storeu_si256((__m256i *) (y + i),
							_mm512_cvtps_ph(_mm512_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
	if (i < n)
	{
		__mmask16	m = LlmMask16(n - i);

		_mm256_mask_storeu_epi16(y + i, m,
								 _mm512_cvtps_ph(_mm512_maskz_loadu_ps(m, x + i),
												 _MM_FROUND_TO_NEAREST_INT));
	}
}

/*
 * ggml's float -> bf16 on the raw bits (VCVTNEPS2BF16 would flush
 * subnormals, which ggml_compute_fp32_to_bf16 keeps): round to nearest
 * even, NaN made quiet.
 */
LLM_INLINE LLM_AVX512 __m256i
LlmBf16From16(__m512 x)
{
	const __m512i u = _mm512_castps_si512(x);
	__m512i		r;
	__m512i		q;
	__mmask16	nan;

	nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff)),
								  _mm512_set1_epi32(0x7f800000));
	r = _mm512_add_epi32(u, _mm512_add_epi32(_mm512_set1_epi32(0x7fff),
											 _mm512_and_si512(_mm512_srli_epi32(u, 16),
															  _mm512_set1_epi32(1))));
	r = _mm512_srli_epi32(r, 16);
	q = _mm512_or_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(64));
	return _mm512_cvtepi32_epi16(_mm512_mask_mov_epi32(r, nan, q));
}

LLM_AVX512 void
LlmFromFloatBf16_avx512(const float *x, void *vy, int64_t n)
{
	LlmBf16    *y = vy;
	int64_t		i = 0;

	for (; i + 16 <= n; i += 16)
		_mm256_storeu_si256((__m256i *) (y + i), LlmBf16From16(_mm512_loadu_ps(x + i)));
	if (i < n)
	{
		__mmask16	m = LlmMask16(n - i);

		_mm256_mask_storeu_epi16(y + i, m, LlmBf16From16(_mm512_maskz_loadu_ps(m, x + i)));
	}
}

/* |x| with NaN lanes zeroed: the reference's "if (a > amax)" skips NaN */
LLM_INLINE LLM_AVX512 __m512
LlmAbsNoNan(__m512 x)
{
	__m512		a = _mm512_abs_ps(x);

	return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(a, a, _CMP_ORD_Q), a);
}

/*
 * Q8_0: amax / 127 as the scale, x * (127 / amax) rounded half-even and
 * packed with signed saturation (NaN -> INT_MIN -> -128), as ggml's x86
 * quantize_row_q8_0 and LlmQuantizeQ8_0_ref.
 */
LLM_AVX512 void
LlmQuantizeQ8_0_avx512(const float *x, void *vy, int64_t n)
{
	BlockQ8_0  *y = vy;
	int64_t		nb = n / QK8_0;

	for (int64_t i = 0; i < nb; i++)
	{
		const float *xb = x + i * QK8_0;
		__m512		x0 = _mm512_loadu_ps(xb);
		__m512		x1 = _mm512_loadu_ps(xb + 16);
		float		amax = _mm512_reduce_max_ps(_mm512_max_ps(LlmAbsNoNan(x0), LlmAbsNoNan(x1)));
		float		d = amax / 127.f;
		float		id = (amax != 0.0f) ? 127.f / amax : 0.0f;
		__m512		vid = _mm512_set1_ps(id);
		__m512i		q0 = _mm512_cvt_roundps_epi32(_mm512_mul_ps(x0, vid),
												  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
		__m512i		q1 = _mm512_cvt_roundps_epi32(_mm512_mul_ps(x1, vid),
												  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);

		y[i].d = LlmFloatToHalf(d);
		_mm_storeu_si128((__m128i *) y[i].qs, _mm512_cvtsepi32_epi8(q0));
		_mm_storeu_si128((__m128i *) (y[i].qs + 16), _mm512_cvtsepi32_epi8(q1));
	}
}

/*
 * Q8_K: the x of largest magnitude (first one on a tie) sets iscale =
 * -127 / max; q = MIN(127, nearest_int(iscale * x)) with nearest_int's
 * saturation at +-4194303 and NaN -> 0, stored as (int8_t); bsums are sums
 * of the stored quants.  See LlmQuantizeQ8_K_ref.
 */
LLM_AVX512 void
LlmQuantizeQ8_K_avx512(const float *x, void *vy, int64_t n)
{
	BlockQ8_K  *y = vy;
	int64_t		nb = n / QK_K;

	for (int64_t i = 0; i < nb; i++)
	{
		const float *xb = x + i * QK_K;
		__m512		vmax = _mm512_setzero_ps();
		float		amax;
		float		max = 0.0f;
		float		iscale;
		__m512		vis;

		for (int j = 0; j < QK_K; j += 16)
			vmax = _mm512_max_ps(vmax, LlmAbsNoNan(_mm512_loadu_ps(xb + j)));
		amax = _mm512_reduce_max_ps(vmax);
		if (amax == 0.0f)
		{
			y[i].d = 0.0f;
			memset(y[i].qs, 0, sizeof(y[i].qs));
			memset(y[i].bsums, 0, sizeof(y[i].bsums));
			continue;
		}
		for (int j = 0; j < QK_K; j += 16)
		{
			__mmask16	m = _mm512_cmp_ps_mask(_mm512_abs_ps(_mm512_loadu_ps(xb + j)),
											   _mm512_set1_ps(amax), _CMP_EQ_OQ);

			if (m != 0)
			{
				max = xb[j + __builtin_ctz(m)];
				break;
			}
		}

		iscale = -127.f / max;
		vis = _mm512_set1_ps(iscale);
		for (int j = 0; j < QK_K; j += 16)
		{
			__m512		v = _mm512_mul_ps(vis, _mm512_loadu_ps(xb + j));
			__mmask16	ord = _mm512_cmp_ps_mask(v, v, _CMP_ORD_Q);
			__m512i		q;
			__m128i		q8;

			v = _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(-4194303.f)),
							  _mm512_set1_ps(4194303.f));
			q = _mm512_maskz_mov_epi32(ord, _mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT |
																	 _MM_FROUND_NO_EXC));
			q = _mm512_min_epi32(q, _mm512_set1_epi32(127));
			q8 = _mm512_cvtepi32_epi8(q);
			_mm_storeu_si128((__m128i *) (y[i].qs + j), q8);
			y[i].bsums[j / 16] = (int16_t) _mm512_reduce_add_epi32(_mm512_cvtepi8_epi32(q8));
		}
		y[i].d = 1.0f / iscale;
	}
}

/* ------------------------------------------------------------------------
 * Dequantizers: the reference's float operations, lane by lane
 * ------------------------------------------------------------------------
 */

LLM_AVX512 void
LlmToFloatF16_avx512(const void *vx, float *y, int64_t n)
{
	const LlmHalf *x = vx;
	int64_t		i = 0;

	for (; i + 16 <= n; i += 16)
		_mm512_storeu_ps(y + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) (x + i))));
	if (i < n)
	{
		__mmask16	m = LlmMask16(n - i);

		_mm512_mask_storeu_ps(y + i, m, _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, x + i)));
	}
}

LLM_AVX512 void
LlmToFloatBf16_avx512(const void *vx, float *y, int64_t n)
{
	const LlmBf16 *x = vx;
	int64_t		i = 0;

	for (; i + 16 <= n; i += 16)
		_mm512_storeu_ps(y + i, LlmBf16To16(_mm256_loadu_si256((const __m256i *) (x + i))));
	if (i < n)
	{
		__mmask16	m = LlmMask16(n - i);

		_mm512_mask_storeu_ps(y + i, m, LlmBf16To16(_mm256_maskz_loadu_epi16(m, x + i)));
	}
}

/* sixteen signed bytes as floats */
LLM_INLINE LLM_AVX512 __m512
LlmI8x16ToF(__m128i q)
{
	return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q));
}

/* sixteen unsigned bytes as floats */
LLM_INLINE LLM_AVX512 __m512
LlmU8x16ToF(__m128i q)
{
	return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(q));
}

LLM_AVX512 void
LlmDequantizeQ8_0_avx512(const void *vx, float *y, int64_t n)
{
	const BlockQ8_0 *x = vx;
	int64_t		nb = n / QK8_0;

	for (int64_t i = 0; i < nb; i++)
	{
		__m512		d = _mm512_set1_ps(LlmH2F(x[i].d));

		_mm512_storeu_ps(y, _mm512_mul_ps(LlmI8x16ToF(_mm_loadu_si128((const __m128i *) x[i].qs)), d));
		_mm512_storeu_ps(y + 16, _mm512_mul_ps(LlmI8x16ToF(_mm_loadu_si128((const __m128i *) (x[i].qs + 16))), d));
		y += QK8_0;
	}
}

LLM_AVX512 void
LlmDequantizeQ4_0_avx512(const void *vx, float *y, int64_t n)
{
	const BlockQ4_0 *x = vx;
	int64_t		nb = n / QK4_0;
	const __m128i m4 = _mm_set1_epi8(0x0F);
	const __m128i off = _mm_set1_epi8(8);

	for (int64_t i = 0; i < nb; i++)
	{
		__m512		d = _mm512_set1_ps(LlmH2F(x[i].d));
		__m128i		q = _mm_loadu_si128((const __m128i *) x[i].qs);
		__m128i		lo = _mm_sub_epi8(_mm_and_si128(q, m4), off);
		__m128i		hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(q, 4), m4), off);

		_mm512_storeu_ps(y, _mm512_mul_ps(LlmI8x16ToF(lo), d));
		_mm512_storeu_ps(y + 16, _mm512_mul_ps(LlmI8x16ToF(hi), d));
		y += QK4_0;
	}
}

LLM_AVX512 void
LlmDequantizeQ5_0_avx512(const void *vx, float *y, int64_t n)
{
	const BlockQ5_0 *x = vx;
	int64_t		nb = n / QK5_0;
	const __m128i m4 = _mm_set1_epi8(0x0F);
	const __m128i off = _mm_set1_epi8(16);

	for (int64_t i = 0; i < nb; i++)
	{
		__m512		d = _mm512_set1_ps(LlmH2F(x[i].d));
		uint32_t	qh = LlmLoadU32(x[i].qh);
		__m128i		q = _mm_loadu_si128((const __m128i *) x[i].qs);
		__m128i		lo = _mm_and_si128(q, m4);
		__m128i		hi = _mm_and_si128(_mm_srli_epi16(q, 4), m4);

		lo = _mm_sub_epi8(_mm_mask_add_epi8(lo, (__mmask16) qh, lo, off), off);
		hi = _mm_sub_epi8(_mm_mask_add_epi8(hi, (__mmask16) (qh >> 16), hi, off), off);
		_mm512_storeu_ps(y, _mm512_mul_ps(LlmI8x16ToF(lo), d));
		_mm512_storeu_ps(y + 16, _mm512_mul_ps(LlmI8x16ToF(hi), d));
		y += QK5_0;
	}
}

/* Q4_K and Q5_K: d1 = d * sc and m1 = min * m in float, then d1 * q - m1 */
LLM_INLINE LLM_AVX512 void
LlmDequantizeK4(bool five, const void *x, float *y, int64_t n)
{
	int64_t		nb = n / QK_K;
	const __m128i m4 = _mm_set1_epi8(0x0F);
	const __m128i b16 = _mm_set1_epi8(16);

	for (int64_t i = 0; i < nb; i++)
	{
		LlmK4Block	b = LlmK4At(five, x, i);
		float		d = LlmH2F(b.d);
		float		min = LlmH2F(b.dmin);
		uint32_t	sm[4];
		const uint8_t *sc;
		const uint8_t *mn;

		LlmUnpackScalesK4(b.scales, sm);
		sc = (const uint8_t *) sm;
		mn = sc + 8;
		for (int j = 0; j < 8; j++)
		{
			__m512		d1 = _mm512_set1_ps(d * sc[j]);
			__m512		m1 = _mm512_set1_ps(min * mn[j]);
			const uint8_t *qb = b.qs + 32 * (j / 2);

			for (int h = 0; h < 2; h++)
			{
				__m128i		v = _mm_loadu_si128((const __m128i *) (qb + 16 * h));

				v = (j & 1) ? _mm_and_si128(_mm_srli_epi16(v, 4), m4) : _mm_and_si128(v, m4);
				if (five)
				{
					__m128i		hb = _mm_loadu_si128((const __m128i *) (b.qh + 16 * h));

					v = _mm_mask_add_epi8(v, _mm_test_epi8_mask(hb, _mm_set1_epi8((char) (1 << j))), v, b16);
				}
				_mm512_storeu_ps(y + 16 * h, _mm512_sub_ps(_mm512_mul_ps(d1, LlmU8x16ToF(v)), m1));
			}
			y += 32;
		}
	}
}

LLM_X86_TO_FLOAT(LlmDequantizeQ4_K_avx512, LLM_AVX512, LlmDequantizeK4, false)
LLM_X86_TO_FLOAT(LlmDequantizeQ5_K_avx512, LLM_AVX512, LlmDequantizeK4, true)

LLM_AVX512 void
LlmDequantizeQ6_K_avx512(const void *vx, float *y, int64_t n)
{
	const BlockQ6_K *x = vx;
	int64_t		nb = n / QK_K;

	for (int64_t i = 0; i < nb; i++)
	{
		float		d = LlmH2F(x[i].d);

		for (int h = 0; h < 2; h++)
		{
			const int8_t *sc = x[i].scales + 8 * h;

			for (int k = 0; k < 4; k++)
				for (int g = 0; g < 2; g++)
					_mm512_storeu_ps(y + 32 * k + 16 * g,
									 _mm512_mul_ps(_mm512_set1_ps(d * sc[2 * k + g]),
												   LlmI8x16ToF(LlmQ6Quants16(&x[i], h, k, g))));
			y += 128;
		}
	}
}

LLM_AVX512 void
LlmDequantizeQ8_K_avx512(const void *vx, float *y, int64_t n)
{
	const BlockQ8_K *x = vx;
	int64_t		nb = n / QK_K;

	for (int64_t i = 0; i < nb; i++)
	{
		__m512		d = _mm512_set1_ps(x[i].d);

		for (int j = 0; j < QK_K; j += 16)
			_mm512_storeu_ps(y + j, _mm512_mul_ps(d, LlmI8x16ToF(_mm_loadu_si128((const __m128i *) (x[i].qs + j)))));
		y += QK_K;
	}
}
#endif							/* __x86_64__ */
