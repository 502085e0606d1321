/*-------------------------------------------------------------------------
 *
 * x86_avx2_convert.c
 *	  The AVX2 converters: activations to F16, BF16, Q8_0 and Q8_K
 *	  (from_float), and every type back to floats (to_float).
 *
 * Activation converters are bit-identical to the reference (see
 * quant_ref.c); dequantizers repeat its float operations lane by lane,
 * without fused multiply-adds.  F32 needs no conversion: the table uses
 * the reference's copy.
 *
 * Pure C: no PostgreSQL headers.
 *
 *-------------------------------------------------------------------------
 */
#include "x86_avx2.h"

#if defined(__x86_64__)

/* ------------------------------------------------------------------------
 * Activation converters (bit-identical to quant_ref.c)
 * ------------------------------------------------------------------------
 */

/* VCVTPS2PH with round-to-nearest-even is what LlmFloatToHalf emulates */
LLM_AVX2 void
LlmFromFloatF16_avx2(const float *x, void *vy, int64_t n)
{
	LlmHalf    *y = vy;
	int64_t		i = 0;

	for (; i + 8 <= n; i += 8)
		_mm_storeu_si128((__m128i *) (y + i),
						 _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
	for (; i < n; i++)
		y[i] = LlmFloatToHalf(x[i]);
}

/* ggml's float -> bf16 on the raw bits: round to nearest even, NaN quiet */
LLM_INLINE LLM_AVX2 __m256i
LlmBf16From8(__m256 x)
{
	const __m256i u = _mm256_castps_si256(x);
	__m256i		abs = _mm256_and_si256(u, _mm256_set1_epi32(0x7fffffff));
	/* abs > 0x7f800000 as signed compare: abs is non-negative */
	__m256i		nan = _mm256_cmpgt_epi32(abs, _mm256_set1_epi32(0x7f800000));
	__m256i		r = _mm256_add_epi32(u, _mm256_add_epi32(_mm256_set1_epi32(0x7fff),
													 _mm256_and_si256(_mm256_srli_epi32(u, 16),
																	  _mm256_set1_epi32(1))));
	__m256i		q = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(64));

	return _mm256_blendv_epi8(_mm256_srli_epi32(r, 16), q, nan);
}

LLM_AVX2 void
LlmFromFloatBf16_avx2(const float *x, void *vy, int64_t n)
{
	LlmBf16    *y = vy;
	int64_t		i = 0;

	for (; i + 16 <= n; i += 16)
	{
		/* packus interleaves 128-bit lanes; the permute puts them back */
		__m256i		p = _mm256_packus_epi32(LlmBf16From8(_mm256_loadu_ps(x + i)),
											LlmBf16From8(_mm256_loadu_ps(x + i + 8)));

		_mm256_storeu_si256((__m256i *) (y + i), _mm256_permute4x64_epi64(p, _MM_SHUFFLE(3, 1, 2, 0)));
	}
	for (; i < n; i++)
		y[i] = LlmFloatToBf16(x[i]);
}

/* |x| with NaN lanes zeroed: the reference's "if (a > amax)" skips NaN */
LLM_INLINE LLM_AVX2 __m256
LlmAbsNoNan(__m256 x)
{
	__m256		a = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);

	return _mm256_and_ps(a, _mm256_cmp_ps(a, a, _CMP_ORD_Q));
}

LLM_INLINE LLM_AVX2 float
LlmHmax256(__m256 v)
{
	__m128		m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));

	m = _mm_max_ps(m, _mm_movehl_ps(m, m));
	m = _mm_max_ss(m, _mm_movehdup_ps(m));
	return _mm_cvtss_f32(m);
}

/*
 * Q8_0: amax / 127 as the scale, x * (127 / amax) rounded half-even and
 * packed with signed saturation (NaN -> INT_MIN -> -128), as ggml's AVX2
 * quantize_row_q8_0 and LlmQuantizeQ8_0_ref.
 */
LLM_AVX2 void
LlmQuantizeQ8_0_avx2(const float *x, void *vy, int64_t n)
{
	BlockQ8_0  *y = vy;
	int64_t		nb = n / QK8_0;

	for (int64_t i = 0; i < nb; i++)
	{
		const float *xb = x + i * QK8_0;
		__m256		v[4];
		__m256		m;
		float		amax,
					d,
					id;
		__m256i		q[4];
		__m256i		p;

		for (int j = 0; j < 4; j++)
			v[j] = _mm256_loadu_ps(xb + 8 * j);
		m = _mm256_max_ps(_mm256_max_ps(LlmAbsNoNan(v[0]), LlmAbsNoNan(v[1])),
						  _mm256_max_ps(LlmAbsNoNan(v[2]), LlmAbsNoNan(v[3])));
		amax = LlmHmax256(m);
		d = amax / 127.f;
		id = (amax != 0.0f) ? 127.f / amax : 0.0f;
		for (int j = 0; j < 4; j++)
			q[j] = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v[j], _mm256_set1_ps(id)),
													  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
		/* pack with saturation, then undo the per-lane interleaving */
		p = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
		p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
		y[i].d = LlmFloatToHalf(d);
		_mm256_storeu_si256((__m256i *) y[i].qs, p);
	}
}

/* the low byte of each 32-bit lane of four registers, in order (a C cast) */
LLM_INLINE LLM_AVX2 __m256i
LlmLowBytes32(const __m256i *q)
{
	const __m256i pick = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
										  0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
	__m256i		b0 = _mm256_shuffle_epi8(q[0], pick);
	__m256i		b1 = _mm256_shuffle_epi8(q[1], pick);
	__m256i		b2 = _mm256_shuffle_epi8(q[2], pick);
	__m256i		b3 = _mm256_shuffle_epi8(q[3], pick);
	/* each bN holds 4 bytes in dword 0 and 4 in dword 4 */
	__m256i		lo = _mm256_unpacklo_epi32(b0, b1);	/* b0.0 b1.0 . . | b0.4 b1.4 . . */
	__m256i		hi = _mm256_unpacklo_epi32(b2, b3);
	__m256i		all = _mm256_unpacklo_epi64(lo, hi);	/* b0.0 b1.0 b2.0 b3.0 | b0.4 ... */

	return _mm256_permutevar8x32_epi32(all, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/*
 * Q8_K: the x of largest magnitude (first one on a tie) sets iscale =
 * -127 / max; q = MIN(127, nearest_int(iscale * x)) with nearest_int's
 * saturation at +-4194303 and NaN -> 0, stored as (int8_t); bsums are sums
 * of the stored quants.  See LlmQuantizeQ8_K_ref.
 */
LLM_AVX2 void
LlmQuantizeQ8_K_avx2(const float *x, void *vy, int64_t n)
{
	BlockQ8_K  *y = vy;
	int64_t		nb = n / QK_K;

	for (int64_t i = 0; i < nb; i++)
	{
		const float *xb = x + i * QK_K;
		__m256		vmax = _mm256_setzero_ps();
		float		amax;
		float		max = 0.0f;
		float		iscale;
		__m256		vis;

		for (int j = 0; j < QK_K; j += 8)
			vmax = _mm256_max_ps(vmax, LlmAbsNoNan(_mm256_loadu_ps(xb + j)));
		amax = LlmHmax256(vmax);
		if (amax == 0.0f)
		{
			y[i].d = 0.0f;
			memset(y[i].qs, 0, sizeof(y[i].qs));
			memset(y[i].bsums, 0, sizeof(y[i].bsums));
			continue;
		}
		for (int j = 0; j < QK_K; j += 8)
		{
			__m256		a = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), _mm256_loadu_ps(xb + j));
			int			m = _mm256_movemask_ps(_mm256_cmp_ps(a, _mm256_set1_ps(amax), _CMP_EQ_OQ));

			if (m != 0)
			{
				max = xb[j + __builtin_ctz(m)];
				break;
			}
		}

		iscale = -127.f / max;
		vis = _mm256_set1_ps(iscale);
		for (int j = 0; j < QK_K; j += 32)
		{
			__m256i		q[4];
			__m256i		b;

			for (int k = 0; k < 4; k++)
			{
				__m256		v = _mm256_mul_ps(vis, _mm256_loadu_ps(xb + j + 8 * k));
				__m256		ord = _mm256_cmp_ps(v, v, _CMP_ORD_Q);

				v = _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(-4194303.f)), _mm256_set1_ps(4194303.f));
				q[k] = _mm256_cvtps_epi32(_mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
				q[k] = _mm256_and_si256(q[k], _mm256_castps_si256(ord));
				q[k] = _mm256_min_epi32(q[k], _mm256_set1_epi32(127));
			}
			b = LlmLowBytes32(q);
			_mm256_storeu_si256((__m256i *) (y[i].qs + j), b);
			{
				/* sums of the stored bytes, 16 at a time */
				__m256i		w = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_castsi256_si128(b)),
												  _mm256_set1_epi16(1));
				__m256i		w2 = _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm256_extracti128_si256(b, 1)),
												   _mm256_set1_epi16(1));
				__m128i		s1 = _mm_add_epi32(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
				__m128i		s2 = _mm_add_epi32(_mm256_castsi256_si128(w2), _mm256_extracti128_si256(w2, 1));
				__m128i		h = _mm_hadd_epi32(s1, s2);

				h = _mm_hadd_epi32(h, h);
				y[i].bsums[j / 16] = (int16_t) _mm_cvtsi128_si32(h);
				y[i].bsums[j / 16 + 1] = (int16_t) _mm_extract_epi32(h, 1);
			}
		}
		y[i].d = 1.0f / iscale;
	}
}

/* ------------------------------------------------------------------------
 * Dequantizers: the reference's float operations, lane by lane
 * ------------------------------------------------------------------------
 */

LLM_AVX2 void
LlmToFloatF16_avx2(const void *vx, float *y, int64_t n)
{
	const LlmHalf *x = vx;
	int64_t		i = 0;

	for (; i + 8 <= n; i += 8)
		_mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) (x + i))));
	for (; i < n; i++)
		y[i] = LlmH2F(x[i]);
}

LLM_AVX2 void
LlmToFloatBf16_avx2(const void *vx, float *y, int64_t n)
{
	const LlmBf16 *x = vx;
	int64_t		i = 0;

	for (; i + 8 <= n; i += 8)
		_mm256_storeu_ps(y + i, LlmBf16To8(_mm_loadu_si128((const __m128i *) (x + i))));
	for (; i < n; i++)
		y[i] = LlmBf16ToFloat(x[i]);
}

/* eight signed / unsigned bytes (the low 8 of v) as floats */
LLM_INLINE LLM_AVX2 __m256
LlmI8x8ToF(__m128i v)
{
	return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v));
}

LLM_INLINE LLM_AVX2 __m256
LlmU8x8ToF(__m128i v)
{
	return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v));
}

/* y[0..16) = (bytes of v as signed) * d */
LLM_INLINE LLM_AVX2 void
LlmStore16I8(float *y, __m128i v, __m256 d)
{
	_mm256_storeu_ps(y, _mm256_mul_ps(LlmI8x8ToF(v), d));
	_mm256_storeu_ps(y + 8, _mm256_mul_ps(LlmI8x8ToF(_mm_srli_si128(v, 8)), d));
}

LLM_AVX2 void
LlmDequantizeQ8_0_avx2(const void *vx, float *y, int64_t n)
{
	const BlockQ8_0 *x = vx;
	int64_t		nb = n / QK8_0;

	for (int64_t i = 0; i < nb; i++)
	{
		__m256		d = _mm256_set1_ps(LlmH2F(x[i].d));

		LlmStore16I8(y, _mm_loadu_si128((const __m128i *) x[i].qs), d);
		LlmStore16I8(y + 16, _mm_loadu_si128((const __m128i *) (x[i].qs + 16)), d);
		y += QK8_0;
	}
}

LLM_AVX2 void
LlmDequantizeQ4_0_avx2(const void *vx, float *y, int64_t n)
{
	const BlockQ4_0 *x = vx;
	int64_t		nb = n / QK4_0;
	const __m128i m4 = _mm_set1_epi8(0x0F);
	const __m128i off = _mm_set1_epi8(8);

	for (int64_t i = 0; i < nb; i++)
	{
		__m256		d = _mm256_set1_ps(LlmH2F(x[i].d));
		__m128i		q = _mm_loadu_si128((const __m128i *) x[i].qs);

		LlmStore16I8(y, _mm_sub_epi8(_mm_and_si128(q, m4), off), d);
		LlmStore16I8(y + 16, _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(q, 4), m4), off), d);
		y += QK4_0;
	}
}

/* 16 bytes, each 0xFF where bit i of bits is set */
LLM_INLINE LLM_AVX2 __m128i
LlmBitsToBytes16(uint32_t bits)
{
	const __m128i sel = _mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, (char) 128,
									  1, 2, 4, 8, 16, 32, 64, (char) 128);
	__m128i		v = _mm_shuffle_epi8(_mm_cvtsi32_si128((int) bits),
									 _mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));

	return _mm_cmpeq_epi8(_mm_and_si128(v, sel), sel);
}

LLM_AVX2 void
LlmDequantizeQ5_0_avx2(const void *vx, float *y, int64_t n)
{
	const BlockQ5_0 *x = vx;
	int64_t		nb = n / QK5_0;
	const __m128i m4 = _mm_set1_epi8(0x0F);
	const __m128i b16 = _mm_set1_epi8(16);

	for (int64_t i = 0; i < nb; i++)
	{
		__m256		d = _mm256_set1_ps(LlmH2F(x[i].d));
		uint32_t	qh = LlmLoadU32(x[i].qh);
		__m128i		q = _mm_loadu_si128((const __m128i *) x[i].qs);
		__m128i		lo = _mm_and_si128(q, m4);
		__m128i		hi = _mm_and_si128(_mm_srli_epi16(q, 4), m4);

		lo = _mm_or_si128(lo, _mm_and_si128(LlmBitsToBytes16(qh & 0xffff), b16));
		hi = _mm_or_si128(hi, _mm_and_si128(LlmBitsToBytes16(qh >> 16), b16));
		LlmStore16I8(y, _mm_sub_epi8(lo, b16), d);
		LlmStore16I8(y + 16, _mm_sub_epi8(hi, b16), d);
		y += QK5_0;
	}
}

/* y[0..32) = d1 * q - m1 for 32 unsigned quant bytes */
LLM_INLINE LLM_AVX2 void
LlmStoreK32(float *y, __m256i q, float d1, float m1)
{
	__m256		vd = _mm256_set1_ps(d1);
	__m256		vm = _mm256_set1_ps(m1);
	__m128i		lo = _mm256_castsi256_si128(q);
	__m128i		hi = _mm256_extracti128_si256(q, 1);

	_mm256_storeu_ps(y, _mm256_sub_ps(_mm256_mul_ps(vd, LlmU8x8ToF(lo)), vm));
	_mm256_storeu_ps(y + 8, _mm256_sub_ps(_mm256_mul_ps(vd, LlmU8x8ToF(_mm_srli_si128(lo, 8))), vm));
	_mm256_storeu_ps(y + 16, _mm256_sub_ps(_mm256_mul_ps(vd, LlmU8x8ToF(hi)), vm));
	_mm256_storeu_ps(y + 24, _mm256_sub_ps(_mm256_mul_ps(vd, LlmU8x8ToF(_mm_srli_si128(hi, 8))), vm));
}

/* Q4_K and Q5_K, 64 weights (two sub-blocks) per 32 bytes of quants */
LLM_INLINE LLM_AVX2 void
LlmDequantizeK4(bool five, const void *x, float *y, int64_t n)
{
	int64_t		nb = n / QK_K;

	for (int64_t i = 0; i < nb; i++)
	{
		LlmK4Block	b = LlmK4At(five, x, i);
		float		d = LlmH2F(b.d);
		float		min = LlmH2F(b.dmin);
		uint32_t	sm[4];
		const uint8_t *sc = (const uint8_t *) sm;
		__m256i		qh = five ? _mm256_loadu_si256((const __m256i *) b.qh) : _mm256_setzero_si256();

		LlmUnpackScalesK4(b.scales, sm);
		for (int c = 0; c < 4; c++)
		{
			__m256i		lo,
						hi;

			LlmQuantsK4(five, _mm256_loadu_si256((const __m256i *) (b.qs + 32 * c)), qh, c, &lo, &hi);
			LlmStoreK32(y, lo, d * sc[2 * c], min * sc[8 + 2 * c]);
			LlmStoreK32(y + 32, hi, d * sc[2 * c + 1], min * sc[8 + 2 * c + 1]);
			y += 64;
		}
	}
}

LLM_X86_TO_FLOAT(LlmDequantizeQ4_K_avx2, LLM_AVX2, LlmDequantizeK4, false)
LLM_X86_TO_FLOAT(LlmDequantizeQ5_K_avx2, LLM_AVX2, LlmDequantizeK4, true)

LLM_AVX2 void
LlmDequantizeQ6_K_avx2(const void *vx, float *y, int64_t n)
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
					LlmStore16I8(y + 32 * k + 16 * g, LlmQ6Quants16(&x[i], h, k, g),
								 _mm256_set1_ps(d * sc[2 * k + g]));
			y += 128;
		}
	}
}

LLM_AVX2 void
LlmDequantizeQ8_K_avx2(const void *vx, float *y, int64_t n)
{
	const BlockQ8_K *x = vx;
	int64_t		nb = n / QK_K;

	for (int64_t i = 0; i < nb; i++)
	{
		__m256		d = _mm256_set1_ps(x[i].d);

		for (int j = 0; j < QK_K; j += 16)
			LlmStore16I8(y + j, _mm_loadu_si128((const __m128i *) (x[i].qs + j)), d);
		y += QK_K;
	}
}

#endif							/* __x86_64__ */
