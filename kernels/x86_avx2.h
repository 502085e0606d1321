/*-------------------------------------------------------------------------
 *
 * x86_avx2.h
 *	  Internal to the "avx2" kernel variant (AVX2 + FMA + F16C: Haswell and
 *	  later, Zen and later): the inline helpers its files share.
 *
 * The variant is split by job, with the same layout as the AVX-512 ones:
 *
 *	x86_avx2_convert.c	from_float and to_float: activation converters,
 *						F16/BF16 conversions, dequantizers
 *	x86_avx2_dot.c		vec_dot, one weight row by one activation row
 *	x86_avx2_gemm.c		gemm: the float tiles and the quantized tiles
 *
 * and x86_tables.c assembles the table from them.
 *
 * Without VNNI, byte dot products use VPMADDUBSW (unsigned bytes times
 * signed bytes, adjacent pairs summed into saturating 16-bit lanes) and
 * VPMADDWD.  Pair sums must stay below 32768: Q4_0/Q5_0 and K-quant quants
 * are small unsigned numbers, and Q8_0 weights are multiplied as |w| with
 * the sign moved onto the activation (at most 2 * 128 * 127 per pair).  The
 * offsets of Q4_0/Q5_0 (8, 16) come out through the activation block sums,
 * the K-quant mins and Q6_K's 32 through the Q8_K group sums.
 *
 * The structure follows the AVX-512 variants at half the width: a GEMV that
 * prepares the activation row once and streams weight rows in order, a
 * GEMM over packed eight-row panels (32-bit lane i = row i) with broadcast
 * activation words, and tiles for the K-quants and float formats.  Within
 * the variant every gemm computes each output element in one fixed order
 * whatever the number of rows (the GEMV finishes its block sums in the
 * packed GEMM's float order), so that batched decoding gives a sequence
 * the bits it gets alone.
 *
 * Activation converters are bit-identical to the reference; dequantizers
 * repeat its float operations without fused multiply-adds.  Dot products
 * differ from the reference only in the order float partial sums are
 * added.  Compiled with baseline flags; every function carries a target
 * attribute and dispatch.c calls none of them unless LlmCpuDetect agrees.
 *
 * Pure C: no PostgreSQL headers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_KERNELS_X86_AVX2_H
#define LLM_KERNELS_X86_AVX2_H

#if defined(__x86_64__)

#include "x86_common.h"

/* keep a loaded vector in a register instead of reloading it per use */
#define LLM_KEEP(v) __asm__("" : "+x"(v))

LLM_INLINE LLM_AVX2 __m256i
LlmLoad2x128(const void *p0, const void *p1)
{
	return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *) p0)),
								   _mm_loadu_si128((const __m128i *) p1), 1);
}

/* eight accumulators reduced at once: lane i of the result sums v[i] */
LLM_INLINE LLM_AVX2 __m256
LlmHsum8x8(const __m256 *v)
{
	__m256		t0 = _mm256_hadd_ps(v[0], v[1]);
	__m256		t1 = _mm256_hadd_ps(v[2], v[3]);
	__m256		t2 = _mm256_hadd_ps(v[4], v[5]);
	__m256		t3 = _mm256_hadd_ps(v[6], v[7]);
	__m256		u0 = _mm256_hadd_ps(t0, t1);
	__m256		u1 = _mm256_hadd_ps(t2, t3);

	/* u0: v0..v3 sums of the low and of the high 128 bits; u1: v4..v7 */
	return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20),
						 _mm256_permute2f128_ps(u0, u1, 0x31));
}

/* the first n (< 8) lanes all ones, for maskload/maskstore */
LLM_INLINE LLM_AVX2 __m256i
LlmMask8(int n)
{
	return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* s[0..rows) = the lanes of v (rows <= 8) */
LLM_INLINE LLM_AVX2 void
LlmStore8(float *s, __m256 v, int rows)
{
	if (rows == 8)
		_mm256_storeu_ps(s, v);
	else
		_mm256_maskstore_ps(s, LlmMask8(rows), v);
}

/* s[0..rows) += the lanes of v */
LLM_INLINE LLM_AVX2 void
LlmAdd8(float *s, __m256 v, int rows)
{
	__m256i		m = LlmMask8(rows);

	_mm256_maskstore_ps(s, m, _mm256_add_ps(_mm256_maskload_ps(s, m), v));
}

/* sum of adjacent unsigned x signed byte products into 32-bit lanes */
LLM_INLINE LLM_AVX2 __m256i
LlmDot4(__m256i u, __m256i s)
{
	return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

/* eight bf16 values as floats: the bf16 bits are the float's top half */
LLM_INLINE LLM_AVX2 __m256
LlmBf16To8(__m128i h)
{
	return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

/* 32 bytes, each 0xFF where bit i of bits is set */
LLM_INLINE LLM_AVX2 __m256i
LlmBitsToBytes32(uint32_t bits)
{
	const __m256i sel = _mm256_set1_epi64x((long long) 0x8040201008040201ULL);
	__m256i		v = _mm256_shuffle_epi8(_mm256_set1_epi32((int) bits),
										_mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
														 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));

	return _mm256_cmpeq_epi8(_mm256_and_si256(v, sel), sel);
}

/* ------------------------------------------------------------------------
 * Float formats: dot products, GEMV (eight rows reduced together) and
 * 4 x 2 tiles.  Partial sums in float lanes (the reference sums in double:
 * the difference is rounding, well inside the tested bound).
 * ------------------------------------------------------------------------
 */

/* 8 values of a row as floats */
LLM_INLINE LLM_AVX2 __m256
LlmLoadF(LlmFloatKind kind, const void *p, int64_t i)
{
	switch (kind)
	{
		case LLM_FK_F32:
			return _mm256_loadu_ps((const float *) p + i);
		case LLM_FK_F16:
			return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) ((const LlmHalf *) p + i)));
		default:
			return LlmBf16To8(_mm_loadu_si128((const __m128i *) ((const LlmBf16 *) p + i)));
	}
}

/* up to 8 values (m of them), the rest zero */
LLM_INLINE LLM_AVX2 __m256
LlmLoadFPart(LlmFloatKind kind, const void *p, int64_t i, int m)
{
	float		f[8] = {0};

	for (int j = 0; j < m; j++)
	{
		switch (kind)
		{
			case LLM_FK_F32:
				f[j] = ((const float *) p)[i + j];
				break;
			case LLM_FK_F16:
				f[j] = LlmH2F(((const LlmHalf *) p)[i + j]);
				break;
			default:
				f[j] = LlmBf16ToFloat(((const LlmBf16 *) p)[i + j]);
				break;
		}
	}
	return _mm256_loadu_ps(f);
}

/* ------------------------------------------------------------------------
 * 32-weight blocks (Q8_0, Q4_0, Q5_0) against Q8_0 activations.
 * ------------------------------------------------------------------------
 */

/* the weight offset taken out through the activation sums (Q8_0: none) */
LLM_INLINE int
LlmQ32Offset(LlmType type)
{
	return type == LLM_TYPE_Q4_0 ? 8 : type == LLM_TYPE_Q5_0 ? 16 : 0;
}

/* the 32 unsigned quants of a Q4_0/Q5_0 block in element order */
LLM_INLINE LLM_AVX2 __m256i
LlmQ45Quants(LlmType type, const void *x, int64_t i)
{
	const uint8_t *qs = type == LLM_TYPE_Q4_0 ? ((const BlockQ4_0 *) x)[i].qs :
	((const BlockQ5_0 *) x)[i].qs;
	__m128i		q = _mm_loadu_si128((const __m128i *) qs);
	__m256i		v = _mm256_and_si256(_mm256_inserti128_si256(_mm256_castsi128_si256(q),
																 _mm_srli_epi16(q, 4), 1),
									 _mm256_set1_epi8(0x0F));

	if (type == LLM_TYPE_Q5_0)
		v = _mm256_or_si256(v, _mm256_and_si256(LlmBitsToBytes32(LlmLoadU32(((const BlockQ5_0 *) x)[i].qh)),
												_mm256_set1_epi8(16)));
	return v;
}

/* exact integer dot of weight block i with one Q8_0 block, in 8 lanes */
LLM_INLINE LLM_AVX2 __m256i
LlmQ32DotOne(LlmType type, const void *x, int64_t i, const BlockQ8_0 *y)
{
	__m256i		a = _mm256_loadu_si256((const __m256i *) y->qs);

	if (type == LLM_TYPE_Q8_0)
	{
		__m256i		w = _mm256_loadu_si256((const __m256i *) ((const BlockQ8_0 *) x)[i].qs);

		/* |w| times a with w's sign: pairs at most 2 * 128 * 127 */
		return LlmDot4(_mm256_sign_epi8(w, w), _mm256_sign_epi8(a, w));
	}
	else
	{
		/* q * a - off * a in 16-bit pairs (at most 2 * 31 * 128 each), then summed */
		__m256i		p = _mm256_sub_epi16(_mm256_maddubs_epi16(LlmQ45Quants(type, x, i), a),
										 _mm256_maddubs_epi16(_mm256_set1_epi8((char) LlmQ32Offset(type)), a));

		return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
	}
}

/* ------------------------------------------------------------------------
 * K-quants against Q8_K activations, 32 weights per register: VPMADDUBSW
 * into 16-bit pair sums (at most 2 * 63 * 128), VPMADDWD with the 16-bit
 * sub-block scales into 32-bit lanes.
 * ------------------------------------------------------------------------
 */

/* VPSHUFB control copying 16-bit word w across each 128-bit lane */
LLM_INLINE LLM_AVX2 __m256i
LlmWordCtl(int w)
{
	return _mm256_set1_epi16((short) (((2 * w + 1) << 8) | (2 * w)));
}

/* the same, word w0 in the low 128 bits and w1 in the high */
LLM_INLINE LLM_AVX2 __m256i
LlmWordCtl2(int w0, int w1)
{
	return _mm256_inserti128_si256(LlmWordCtl(w0), _mm256_castsi256_si128(LlmWordCtl(w1)), 1);
}

/*
 * The quants of sub-blocks 2c (lo) and 2c + 1 (hi) of a Q4_K/Q5_K block
 * as bytes, from q = qs[32c..32c+31]: low and high nibbles, plus 16 where
 * Q5_K's qh (32 bytes) has bit 2c or 2c + 1 set.
 */
LLM_INLINE LLM_AVX2 void
LlmQuantsK4(bool five, __m256i q, __m256i qh, int c, __m256i *lo, __m256i *hi)
{
	const __m256i m4 = _mm256_set1_epi8(0x0F);

	*lo = _mm256_and_si256(q, m4);
	*hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
	if (five)
	{
		const __m256i b16 = _mm256_set1_epi8(16);
		__m256i		b0 = _mm256_set1_epi8((char) (1 << (2 * c)));
		__m256i		b1 = _mm256_set1_epi8((char) (1 << (2 * c + 1)));

		*lo = _mm256_or_si256(*lo, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, b0), b0), b16));
		*hi = _mm256_or_si256(*hi, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, b1), b1), b16));
	}
}

/* a Q4_K/Q5_K row times natural Q8_K activations, as lanes */
LLM_INLINE LLM_AVX2 __m256
LlmRowK4(bool five, int64_t nb, const void *w, const BlockQ8_K *y)
{
	__m256		acc = _mm256_setzero_ps();
	__m128		accm = _mm_setzero_ps();

	for (int64_t i = 0; i < nb; i++)
	{
		LlmK4Block	b = LlmK4At(five, w, i);
		float		d = LlmH2F(b.d);
		float		dmin = LlmH2F(b.dmin);
		uint32_t	sm[4];
		__m128i		s8;
		__m256i		scz;
		__m256i		sum = _mm256_setzero_si256();
		__m256i		hz = five ? _mm256_loadu_si256((const __m256i *) b.qh) : _mm256_setzero_si256();

		LlmUnpackScalesK4(b.scales, sm);
		s8 = _mm_loadu_si128((const __m128i *) sm);
		scz = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(s8));
		accm = _mm_fmadd_ps(_mm_cvtepi32_ps(_mm_madd_epi16(_mm_cvtepu8_epi16(_mm_srli_si128(s8, 8)),
														   _mm_hadd_epi16(_mm_loadu_si128((const __m128i *) y[i].bsums),
																		  _mm_loadu_si128((const __m128i *) (y[i].bsums + 8))))),
							_mm_set1_ps(dmin * y[i].d), accm);
#pragma GCC unroll 4
		for (int c = 0; c < 4; c++)
		{
			__m256i		q = _mm256_loadu_si256((const __m256i *) (b.qs + 32 * c));
			__m256i		lo,
						hi;

			LLM_KEEP(q);
			LlmQuantsK4(five, q, hz, c, &lo, &hi);
			sum = _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *) (y[i].qs + 64 * c))),
														  _mm256_shuffle_epi8(scz, LlmWordCtl(2 * c))));
			sum = _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *) (y[i].qs + 64 * c + 32))),
														  _mm256_shuffle_epi8(scz, LlmWordCtl(2 * c + 1))));
		}
		acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_set1_ps(d * y[i].d), acc);
	}
	return _mm256_sub_ps(acc, _mm256_castps128_ps256(accm));
}

/* a Q6_K row times natural Q8_K activations, as lanes */
LLM_INLINE LLM_AVX2 __m256
LlmRowQ6K(int64_t nb, const BlockQ6_K *x, const BlockQ8_K *y)
{
	const __m256i m4 = _mm256_set1_epi8(0x0F);
	const __m256i m30 = _mm256_set1_epi8(0x30);
	__m256		acc = _mm256_setzero_ps();

	for (int64_t i = 0; i < nb; i++)
	{
		__m256i		sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *) x[i].scales));
		__m256i		corr = _mm256_madd_epi16(sc16, _mm256_loadu_si256((const __m256i *) y[i].bsums));
		__m256i		sum = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(corr, 5));

#pragma GCC unroll 2
		for (int h = 0; h < 2; h++)
		{
			__m256i		l0 = _mm256_loadu_si256((const __m256i *) (x[i].ql + 64 * h));
			__m256i		l1 = _mm256_loadu_si256((const __m256i *) (x[i].ql + 64 * h + 32));
			__m256i		hb = _mm256_loadu_si256((const __m256i *) (x[i].qh + 32 * h));
			__m256i		scz = _mm256_broadcastsi128_si256(h ? _mm256_extracti128_si256(sc16, 1) :
														  _mm256_castsi256_si128(sc16));
			__m256i		q[4];
			const int8_t *a = y[i].qs + 128 * h;

			LLM_KEEP(l0);
			LLM_KEEP(l1);
			LLM_KEEP(hb);
			q[0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_and_si256(_mm256_slli_epi16(hb, 4), m30));
			q[1] = _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_and_si256(_mm256_slli_epi16(hb, 2), m30));
			q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_and_si256(hb, m30));
			q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
								   _mm256_and_si256(_mm256_srli_epi16(hb, 2), m30));
#pragma GCC unroll 4
			for (int k = 0; k < 4; k++)
				sum = _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_maddubs_epi16(q[k], _mm256_loadu_si256((const __m256i *) (a + 32 * k))),
															  _mm256_shuffle_epi8(scz, LlmWordCtl2(2 * k, 2 * k + 1))));
		}
		acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_set1_ps(LlmH2F(x[i].d) * y[i].d), acc);
	}
	return acc;
}

/* a row of any K-quant, as lanes: vec_dot reduces one, gemm eight together */
LLM_INLINE LLM_AVX2 __m256
LlmRowK(LlmType type, int64_t n, const void *x, const BlockQ8_K *y)
{
	if (type == LLM_TYPE_Q6_K)
		return LlmRowQ6K(n / QK_K, x, y);
	return LlmRowK4(type == LLM_TYPE_Q5_K, n / QK_K, x, y);
}

#endif							/* __x86_64__ */

#endif							/* LLM_KERNELS_X86_AVX2_H */
