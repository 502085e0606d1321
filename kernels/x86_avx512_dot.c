/*-------------------------------------------------------------------------
 *
 * x86_avx512_dot.c
 *	  The AVX-512 vec_dot kernels: one weight row by one converted
 *	  activation row, straight from the GGUF layouts.
 *
 * Dot products differ from the reference only in the order float partial
 * sums are added.
 *
 * Pure C: no PostgreSQL headers.
 *
 *-------------------------------------------------------------------------
 */
#include "x86_avx512.h"

#if defined(__x86_64__)

/* ------------------------------------------------------------------------
 * Float dot products.  Four accumulators, each lane summing a quarter of
 * the products in float (the reference sums in double: the difference is
 * rounding, well inside the tested bound).
 * ------------------------------------------------------------------------
 */

LLM_INLINE LLM_AVX512 void
LlmVecDotF(LlmFloatKind kind, int64_t n, float *s, const void *x, const void *y)
{
	__m512		acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(),
	_mm512_setzero_ps(), _mm512_setzero_ps()};
	int64_t		i = 0;

	for (; i + 64 <= n; i += 64)
		for (int k = 0; k < 4; k++)
			acc[k] = _mm512_fmadd_ps(LlmLoadF(kind, x, i + 16 * k), LlmLoadF(kind, y, i + 16 * k),
									 acc[k]);
	for (; i + 16 <= n; i += 16)
		acc[0] = _mm512_fmadd_ps(LlmLoadF(kind, x, i), LlmLoadF(kind, y, i), acc[0]);
	if (i < n)
	{
		__mmask16	m = LlmMask16(n - i);

		acc[1] = _mm512_fmadd_ps(LlmLoadFMask(kind, x, i, m), LlmLoadFMask(kind, y, i, m), acc[1]);
	}
	*s = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc[0], acc[1]),
											_mm512_add_ps(acc[2], acc[3])));
}

/* BF16 without AVX512_BF16 (the "avx512vnni" table): widened by a shift */
LLM_X86_VEC_DOT(LlmVecDotF32_avx512, LLM_AVX512, LlmVecDotF, LLM_FK_F32)
LLM_X86_VEC_DOT(LlmVecDotF16_avx512, LLM_AVX512, LlmVecDotF, LLM_FK_F16)
LLM_X86_VEC_DOT(LlmVecDotBf16_avx512, LLM_AVX512, LlmVecDotF, LLM_FK_BF16)

/*
 * BF16 with VDPBF16PS: 32 products per instruction, each exact (8-bit
 * mantissas), summed pairwise into float lanes.  The instruction treats
 * subnormal inputs as zero; at bf16 magnitudes below 1e-38 that changes a
 * sum by less than any tolerance can see.
 */
LLM_AVX512BF16 void
LlmVecDotBf16_avx512bf16(int64_t n, float *s, const void *w, const void *a)
{
	const LlmBf16 *x = w;
	const LlmBf16 *y = a;
	__m512		acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(),
	_mm512_setzero_ps(), _mm512_setzero_ps()};
	int64_t		i = 0;

	for (; i + 128 <= n; i += 128)
		for (int k = 0; k < 4; k++)
			acc[k] = _mm512_dpbf16_ps(acc[k],
									  (__m512bh) _mm512_loadu_si512(x + i + 32 * k),
									  (__m512bh) _mm512_loadu_si512(y + i + 32 * k));
	for (; i + 32 <= n; i += 32)
		acc[0] = _mm512_dpbf16_ps(acc[0], (__m512bh) _mm512_loadu_si512(x + i),
								  (__m512bh) _mm512_loadu_si512(y + i));
	if (i < n)
	{
		__mmask32	m = (__mmask32) ((1ull << (n - i)) - 1);

		acc[1] = _mm512_dpbf16_ps(acc[1], (__m512bh) _mm512_maskz_loadu_epi16(m, x + i),
								  (__m512bh) _mm512_maskz_loadu_epi16(m, y + i));
	}
	*s = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc[0], acc[1]),
											_mm512_add_ps(acc[2], acc[3])));
}

/* ------------------------------------------------------------------------
 * Dot products of 32-weight blocks (Q8_0, Q4_0, Q5_0) against Q8_0
 * activations, from the file layouts.
 *
 * Per pair of blocks, one register holds 64 unsigned weight quants in
 * element order and VPDPBUSD multiplies them with the 64 activation quants;
 * lanes 0-7 belong to the first block, 8-15 to the second.  A second
 * VPDPBUSD of the activations with the weight offset (128, 8 or 16)
 * computes the correction, and the block's dw * da scales the lanes.
 * ------------------------------------------------------------------------
 */

/* the unsigned quants of weight blocks i and i+1, in element order */
LLM_INLINE LLM_AVX512 __m512i
LlmQ32Pair(LlmType type, const void *x, int64_t i)
{
	if (type == LLM_TYPE_Q8_0)
	{
		const BlockQ8_0 *b = (const BlockQ8_0 *) x + i;

		return _mm512_xor_si512(LlmLoad2x256(b[0].qs, b[1].qs), _mm512_set1_epi8((char) 0x80));
	}
	else
	{
		const uint8_t *q0;
		const uint8_t *q1;
		__m512i		v;

		if (type == LLM_TYPE_Q4_0)
		{
			q0 = ((const BlockQ4_0 *) x)[i].qs;
			q1 = ((const BlockQ4_0 *) x)[i + 1].qs;
		}
		else
		{
			q0 = ((const BlockQ5_0 *) x)[i].qs;
			q1 = ((const BlockQ5_0 *) x)[i + 1].qs;
		}
		v = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *) q0))),
							   _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *) q1)), 1);
		v = _mm512_and_si512(_mm512_srlv_epi64(v, _mm512_set_epi64(4, 4, 0, 0, 4, 4, 0, 0)),
							 _mm512_set1_epi8(0x0F));
		if (type == LLM_TYPE_Q5_0)
		{
			const BlockQ5_0 *b = (const BlockQ5_0 *) x + i;
			__mmask64	hb = (__mmask64) LlmLoadU32(b[0].qh) |
				((__mmask64) LlmLoadU32(b[1].qh) << 32);

			v = _mm512_mask_add_epi8(v, hb, v, _mm512_set1_epi8(16));
		}
		return v;
	}
}

LLM_INLINE LLM_AVX512 void
LlmVecDotQ32(LlmType type, int64_t n, float *s, const void *x, const void *a)
{
	const BlockQ8_0 *y = a;
	const int64_t nb = n / QK8_0;
	const __m512i off = _mm512_set1_epi8((char) LlmQ32Offset(type));
	const __m512i idx01 = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m512i idx23 = _mm512_set_epi32(3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2);
	__m512		acc0 = _mm512_setzero_ps();
	__m512		acc1 = _mm512_setzero_ps();
	__m256		acc2 = _mm256_setzero_ps();
	int64_t		i = 0;

	for (; i + 4 <= nb; i += 4)
	{
		__m128		sc = _mm_mul_ps(LlmHalves4(LlmQ32Scale(type, x, i), LlmQ32Scale(type, x, i + 1),
											   LlmQ32Scale(type, x, i + 2), LlmQ32Scale(type, x, i + 3)),
									LlmHalves4(y[i].d, y[i + 1].d, y[i + 2].d, y[i + 3].d));
		__m512		scz = _mm512_castps128_ps512(sc);
		__m512i		a0 = LlmLoad2x256(y[i].qs, y[i + 1].qs);
		__m512i		a1 = LlmLoad2x256(y[i + 2].qs, y[i + 3].qs);
		__m512i		d0 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), LlmQ32Pair(type, x, i), a0);
		__m512i		d1 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), LlmQ32Pair(type, x, i + 2), a1);

		d0 = _mm512_sub_epi32(d0, _mm512_dpbusd_epi32(_mm512_setzero_si512(), off, a0));
		d1 = _mm512_sub_epi32(d1, _mm512_dpbusd_epi32(_mm512_setzero_si512(), off, a1));
		acc0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d0), _mm512_permutexvar_ps(idx01, scz), acc0);
		acc1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d1), _mm512_permutexvar_ps(idx23, scz), acc1);
	}
	for (; i < nb; i++)
	{
		__m256		sc = _mm256_set1_ps(LlmH2F(LlmQ32Scale(type, x, i)) * LlmH2F(y[i].d));

		acc2 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(LlmQ32DotOne(type, x, i, &y[i])), sc, acc2);
	}
	*s = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1)) + LlmHsum256(acc2);
}

LLM_X86_VEC_DOT(LlmVecDotQ8_0_avx512, LLM_AVX512, LlmVecDotQ32, LLM_TYPE_Q8_0)
LLM_X86_VEC_DOT(LlmVecDotQ4_0_avx512, LLM_AVX512, LlmVecDotQ32, LLM_TYPE_Q4_0)
LLM_X86_VEC_DOT(LlmVecDotQ5_0_avx512, LLM_AVX512, LlmVecDotQ32, LLM_TYPE_Q5_0)

/* ------------------------------------------------------------------------
 * K-quant dot products against Q8_K activations.
 *
 * 64 weights at a time: one register holds 64 small unsigned quants in
 * element order, VPMADDUBSW multiplies them with the activation quants into
 * 16-bit pair sums (at most 2 * 63 * 128, no saturation), and VPDPWSSD
 * multiplies those by the 16-bit sub-block scales into 32-bit lanes.  The
 * Q4_K/Q5_K min term and the Q6_K offset of 32 come from the Q8_K group
 * sums (bsums).
 * ------------------------------------------------------------------------
 */

/*
 * The Q4_K/Q5_K min term of one block, before scaling: sum over the 8
 * sub-blocks of min[j] * (bsums[2j] + bsums[2j+1]), as four 32-bit lanes.
 */
LLM_INLINE LLM_AVX512 __m128i
LlmMinTermK4(__m128i mins16, const int16_t *bsums)
{
	__m128i		b0 = _mm_loadu_si128((const __m128i *) bsums);
	__m128i		b1 = _mm_loadu_si128((const __m128i *) (bsums + 8));

	return _mm_madd_epi16(mins16, _mm_hadd_epi16(b0, b1));
}

/*
 * 64 quants of a Q4_K/Q5_K block for sub-blocks 2c (low nibbles of
 * qs[32c..32c+31]) and 2c+1 (high nibbles), in element order.
 */
LLM_INLINE LLM_AVX512 __m512i
LlmNibbles64K(const uint8_t *qs32)
{
	__m512i		v = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *) qs32));

	return _mm512_and_si512(_mm512_srlv_epi64(v, _mm512_set_epi64(4, 4, 4, 4, 0, 0, 0, 0)),
							_mm512_set1_epi8(0x0F));
}

LLM_INLINE LLM_AVX512 void
LlmVecDotK4(bool five, int64_t n, float *s, const void *w, const BlockQ8_K *y)
{
	const int64_t nb = n / QK_K;
	__m512		acc = _mm512_setzero_ps();
	__m128		accm = _mm_setzero_ps();

	for (int64_t i = 0; i < nb; i++)
	{
		LlmK4Block	b = LlmK4At(five, w, i);
		uint32_t	sm[4];
		__m128i		s8;
		__m512i		scz;
		__m512i		sum = _mm512_setzero_si512();
		__m512i		hz = five ? _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *) b.qh)) :
			_mm512_setzero_si512();

		LlmUnpackScalesK4(b.scales, sm);
		s8 = _mm_loadu_si128((const __m128i *) sm);
		scz = _mm512_broadcast_i32x4(_mm_cvtepu8_epi16(s8));
		accm = _mm_fmadd_ps(_mm_cvtepi32_ps(LlmMinTermK4(_mm_cvtepu8_epi16(_mm_srli_si128(s8, 8)),
														 y[i].bsums)),
							_mm_set1_ps(LlmH2F(b.dmin) * y[i].d), accm);

		for (int c = 0; c < 4; c++)
		{
			__m512i		q = LlmNibbles64K(b.qs + 32 * c);

			if (five)
			{
				__m512i		bit = _mm512_inserti64x4(_mm512_set1_epi8((char) (1 << (2 * c))),
													 _mm256_set1_epi8((char) (1 << (2 * c + 1))), 1);

				q = _mm512_mask_add_epi8(q, _mm512_test_epi8_mask(hz, bit), q, _mm512_set1_epi8(16));
			}
			sum = _mm512_dpwssd_epi32(sum,
									  _mm512_maddubs_epi16(q, _mm512_loadu_si512(y[i].qs + 64 * c)),
									  _mm512_shuffle_epi8(scz, LlmWordPick2(2 * c, 2 * c + 1)));
		}
		acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_set1_ps(LlmH2F(b.d) * y[i].d), acc);
	}
	*s = _mm512_reduce_add_ps(acc) - LlmHsum128(accm);
}

LLM_INLINE LLM_AVX512 void
LlmVecDotK(LlmType type, int64_t n, float *s, const void *w, const void *a)
{
	/* Q6_K: the GEMV's row kernel, reduced */
	if (type == LLM_TYPE_Q6_K)
		*s = _mm512_reduce_add_ps(LlmRowQ6K(w, n / QK_K, a));
	else
		LlmVecDotK4(type == LLM_TYPE_Q5_K, n, s, w, a);
}

LLM_X86_VEC_DOT(LlmVecDotQ4_K_avx512, LLM_AVX512, LlmVecDotK, LLM_TYPE_Q4_K)
LLM_X86_VEC_DOT(LlmVecDotQ5_K_avx512, LLM_AVX512, LlmVecDotK, LLM_TYPE_Q5_K)
LLM_X86_VEC_DOT(LlmVecDotQ6_K_avx512, LLM_AVX512, LlmVecDotK, LLM_TYPE_Q6_K)

#endif							/* __x86_64__ */
