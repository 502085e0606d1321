/*-------------------------------------------------------------------------
 *
 * x86_avx2.c
 *	  The "avx2" kernel variant: AVX2 + FMA + F16C (Haswell and later, Zen
 *	  and later).
 *
 * Without VNNI, byte dot products use VPMADDUBSW (unsigned bytes times
 * signed bytes, adjacent pairs summed into saturating 16-bit lanes) and
 * VPMADDWD.  Pair sums must stay below 32768: Q4_0/Q5_0 and K-quant quants
 * are small unsigned numbers, and Q8_0 weights are multiplied as |w| with
 * the sign moved onto the activation (at most 2 * 128 * 127 per pair).  The
 * offsets of Q4_0/Q5_0 (8, 16) come out through the activation block sums,
 * the K-quant mins and Q6_K's 32 through the Q8_K group sums.
 *
 * The structure follows x86_avx512.c at half the width: a GEMV that
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
#if defined(__x86_64__)

#include <immintrin.h>
#include <string.h>

#include "fp16.h"
#include "kernels_ref.h"
#include "kernels_x86.h"
#include "quant_internal.h"

#define LLM_AVX2 __attribute__((target("avx2,fma,f16c")))
#define LLM_INLINE static inline __attribute__((always_inline))

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------
 */

/* keep a loaded vector in a register instead of reloading it per use */
#define LLM_KEEP(v) __asm__("" : "+x"(v))

LLM_INLINE LLM_AVX2 float
LlmH2F(LlmHalf h)
{
	return _cvtsh_ss(h);
}

LLM_INLINE uint32_t
LlmLoadU32(const void *p)
{
	uint32_t	v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* four fp16 values as floats */
LLM_INLINE LLM_AVX2 __m128
LlmHalves4(LlmHalf h0, LlmHalf h1, LlmHalf h2, LlmHalf h3)
{
	uint64_t	h = (uint64_t) h0 | ((uint64_t) h1 << 16) |
		((uint64_t) h2 << 32) | ((uint64_t) h3 << 48);

	return _mm_cvtph_ps(_mm_cvtsi64_si128((long long) h));
}

LLM_INLINE LLM_AVX2 __m256i
LlmLoad2x128(const void *p0, const void *p1)
{
	return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *) p0)),
								   _mm_loadu_si128((const __m128i *) p1), 1);
}

LLM_INLINE LLM_AVX2 float
LlmHsum128(__m128 s)
{
	s = _mm_add_ps(s, _mm_movehl_ps(s, s));
	s = _mm_add_ss(s, _mm_movehdup_ps(s));
	return _mm_cvtss_f32(s);
}

LLM_INLINE LLM_AVX2 float
LlmHsum256(__m256 v)
{
	return LlmHsum128(_mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1)));
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

/* ------------------------------------------------------------------------
 * Activation converters (bit-identical to quant_ref.c)
 * ------------------------------------------------------------------------
 */

static void
LlmFromFloatF32_avx2(const float *x, void *y, int64_t n)
{
	memcpy(y, x, (size_t) n * sizeof(float));
}

/* VCVTPS2PH with round-to-nearest-even is what LlmFloatToHalf emulates */
static LLM_AVX2 void
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

static LLM_AVX2 void
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
static LLM_AVX2 void
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
static LLM_AVX2 void
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

static void
LlmToFloatF32_avx2(const void *x, float *y, int64_t n)
{
	memcpy(y, x, (size_t) n * sizeof(float));
}

static LLM_AVX2 void
LlmToFloatF16_avx2(const void *vx, float *y, int64_t n)
{
	const LlmHalf *x = vx;
	int64_t		i = 0;

	for (; i + 8 <= n; i += 8)
		_mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) (x + i))));
	for (; i < n; i++)
		y[i] = LlmH2F(x[i]);
}

LLM_INLINE LLM_AVX2 __m256
LlmBf16To8(__m128i h)
{
	return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

static LLM_AVX2 void
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

static LLM_AVX2 void
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

static LLM_AVX2 void
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

static LLM_AVX2 void
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

/* the eight 6-bit scales and mins of a Q4_K/Q5_K block (see x86_avx512.c) */
LLM_INLINE void
LlmUnpackScalesK4(const uint8_t *q, uint32_t out[4])
{
	uint32_t	u0 = LlmLoadU32(q);
	uint32_t	u1 = LlmLoadU32(q + 4);
	uint32_t	u2 = LlmLoadU32(q + 8);

	out[0] = u0 & 0x3f3f3f3f;
	out[1] = (u2 & 0x0f0f0f0f) | (((u0 >> 6) & 0x03030303) << 4);
	out[2] = u1 & 0x3f3f3f3f;
	out[3] = ((u2 >> 4) & 0x0f0f0f0f) | (((u1 >> 6) & 0x03030303) << 4);
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

static LLM_AVX2 void
LlmDequantizeQ4_K_avx2(const void *vx, float *y, int64_t n)
{
	const BlockQ4_K *x = vx;
	int64_t		nb = n / QK_K;
	const __m256i m4 = _mm256_set1_epi8(0x0F);

	for (int64_t i = 0; i < nb; i++)
	{
		float		d = LlmH2F(x[i].d);
		float		min = LlmH2F(x[i].dmin);
		uint32_t	sm[4];
		const uint8_t *sc = (const uint8_t *) sm;

		LlmUnpackScalesK4(x[i].scales, sm);
		for (int c = 0; c < 4; c++)
		{
			__m256i		q = _mm256_loadu_si256((const __m256i *) (x[i].qs + 32 * c));

			LlmStoreK32(y, _mm256_and_si256(q, m4), d * sc[2 * c], min * sc[8 + 2 * c]);
			LlmStoreK32(y + 32, _mm256_and_si256(_mm256_srli_epi16(q, 4), m4),
						d * sc[2 * c + 1], min * sc[8 + 2 * c + 1]);
			y += 64;
		}
	}
}

static LLM_AVX2 void
LlmDequantizeQ5_K_avx2(const void *vx, float *y, int64_t n)
{
	const BlockQ5_K *x = vx;
	int64_t		nb = n / QK_K;
	const __m256i m4 = _mm256_set1_epi8(0x0F);
	const __m256i b16 = _mm256_set1_epi8(16);

	for (int64_t i = 0; i < nb; i++)
	{
		float		d = LlmH2F(x[i].d);
		float		min = LlmH2F(x[i].dmin);
		uint32_t	sm[4];
		const uint8_t *sc = (const uint8_t *) sm;
		__m256i		qh = _mm256_loadu_si256((const __m256i *) x[i].qh);

		LlmUnpackScalesK4(x[i].scales, sm);
		for (int c = 0; c < 4; c++)
		{
			__m256i		q = _mm256_loadu_si256((const __m256i *) (x[i].qs + 32 * c));
			__m256i		b0 = _mm256_set1_epi8((char) (1 << (2 * c)));
			__m256i		b1 = _mm256_set1_epi8((char) (1 << (2 * c + 1)));
			__m256i		h0 = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, b0), b0), b16);
			__m256i		h1 = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, b1), b1), b16);

			LlmStoreK32(y, _mm256_or_si256(_mm256_and_si256(q, m4), h0), d * sc[2 * c], min * sc[8 + 2 * c]);
			LlmStoreK32(y + 32, _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 4), m4), h1),
						d * sc[2 * c + 1], min * sc[8 + 2 * c + 1]);
			y += 64;
		}
	}
}

static LLM_AVX2 void
LlmDequantizeQ6_K_avx2(const void *vx, float *y, int64_t n)
{
	const BlockQ6_K *x = vx;
	int64_t		nb = n / QK_K;
	const __m128i m4 = _mm_set1_epi8(0x0F);
	const __m128i m2 = _mm_set1_epi8(3);
	const __m128i off = _mm_set1_epi8(32);

	for (int64_t i = 0; i < nb; i++)
	{
		float		d = LlmH2F(x[i].d);

		for (int h = 0; h < 2; h++)
		{
			const uint8_t *ql = x[i].ql + 64 * h;
			const uint8_t *qh = x[i].qh + 32 * h;
			const int8_t *sc = x[i].scales + 8 * h;

			for (int k = 0; k < 4; k++)
				for (int g = 0; g < 2; g++)
				{
					__m128i		l = _mm_loadu_si128((const __m128i *) (ql + 32 * (k & 1) + 16 * g));
					__m128i		hb = _mm_loadu_si128((const __m128i *) (qh + 16 * g));
					__m128i		v;

					l = (k >> 1) ? _mm_and_si128(_mm_srli_epi16(l, 4), m4) : _mm_and_si128(l, m4);
					hb = _mm_and_si128(_mm_srl_epi16(hb, _mm_cvtsi32_si128(2 * k)), m2);
					v = _mm_sub_epi8(_mm_or_si128(l, _mm_slli_epi16(hb, 4)), off);
					LlmStore16I8(y + 32 * k + 16 * g, v, _mm256_set1_ps(d * sc[2 * k + g]));
				}
			y += 128;
		}
	}
}

static LLM_AVX2 void
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

/* ------------------------------------------------------------------------
 * Float formats: dot products, GEMV (eight rows reduced together) and
 * 4 x 2 tiles.  Partial sums in float lanes (the reference sums in double:
 * the difference is rounding, well inside the tested bound).
 * ------------------------------------------------------------------------
 */

typedef enum LlmFloatKind
{
	LLM_FK_F32,
	LLM_FK_F16,
	LLM_FK_BF16
} LlmFloatKind;

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

static LLM_AVX2 void
LlmVecDotF32_avx2(int64_t n, float *s, const void *w, const void *a)
{
	*s = LlmHsum256(LlmRowFF(LLM_FK_F32, n, w, a));
}

static LLM_AVX2 void
LlmVecDotF16_avx2(int64_t n, float *s, const void *w, const void *a)
{
	*s = LlmHsum256(LlmRowFF(LLM_FK_F16, n, w, a));
}

static LLM_AVX2 void
LlmVecDotBf16_avx2(int64_t n, float *s, const void *w, const void *a)
{
	*s = LlmHsum256(LlmRowFF(LLM_FK_BF16, n, w, a));
}

/*
 * 4 x 2 tiles over panels of weight rows small enough to stay in L2 while
 * every activation row passes by; acc[4t + r] = row r times activation t.
 * Rows and activations past the edge repeat the last valid one and are not
 * stored.
 */
#define LLM_FLOAT_PANEL_BYTES (256 * 1024)

LLM_INLINE LLM_AVX2 void
LlmTileF(LlmFloatKind kind, int64_t n, const char *const *wr, const char *const *at,
		 float *s, size_t ldc, int rows, int tn)
{
	__m256		acc[8];
	__m256		sum;
	int64_t		i = 0;

#pragma GCC unroll 8
	for (int j = 0; j < 8; j++)
		acc[j] = _mm256_setzero_ps();
	for (; i < n; i += 8)
	{
		int			m = n - i >= 8 ? 8 : (int) (n - i);
		__m256		wv[4];

#pragma GCC unroll 4
		for (int r = 0; r < 4; r++)
			wv[r] = m == 8 ? LlmLoadF(kind, wr[r], i) : LlmLoadFPart(kind, wr[r], i, m);
#pragma GCC unroll 2
		for (int t = 0; t < 2; t++)
		{
			__m256		av = m == 8 ? LlmLoadF(kind, at[t], i) : LlmLoadFPart(kind, at[t], i, m);

#pragma GCC unroll 4
			for (int r = 0; r < 4; r++)
				acc[4 * t + r] = _mm256_fmadd_ps(wv[r], av, acc[4 * t + r]);
		}
	}
	sum = LlmHsum8x8(acc);
	for (int t = 0; t < tn; t++)
	{
		__m128		v = t ? _mm256_extractf128_ps(sum, 1) : _mm256_castps256_ps128(sum);

		_mm_maskstore_ps(s + ldc * t, _mm256_castsi256_si128(LlmMask8(rows)), v);
	}
}

/*
 * One activation row, eight weight rows at a time.  Each row keeps one
 * accumulator and runs over the common dimension exactly as in LlmTileF
 * (eight lanes, the partial tail zero-padded, the same LlmHsum8x8 tree), so
 * an output element has the same bits whether its activation row came alone
 * or inside a tile: batched and single-sequence decoding must agree exactly.
 * The eight independent chains also hide the FMA latency.
 */
LLM_INLINE LLM_AVX2 void
LlmGemvF(LlmFloatKind kind, int64_t n, int nr, float *s, const void *w, size_t ws, const void *a)
{
	for (int r0 = 0; r0 < nr; r0 += 8)
	{
		int			rows = nr - r0 < 8 ? nr - r0 : 8;
		const char *wr[8];
		__m256		acc[8];

#pragma GCC unroll 8
		for (int j = 0; j < 8; j++)
		{
			wr[j] = (const char *) w + ws * (r0 + (j < rows ? j : rows - 1));
			acc[j] = _mm256_setzero_ps();
		}
		for (int64_t i = 0; i < n; i += 8)
		{
			int			m = n - i >= 8 ? 8 : (int) (n - i);
			__m256		av = m == 8 ? LlmLoadF(kind, a, i) : LlmLoadFPart(kind, a, i, m);

#pragma GCC unroll 8
			for (int j = 0; j < 8; j++)
				acc[j] = _mm256_fmadd_ps(m == 8 ? LlmLoadF(kind, wr[j], i) :
										 LlmLoadFPart(kind, wr[j], i, m), av, acc[j]);
		}
		LlmStore8(s + r0, LlmHsum8x8(acc), rows);
	}
}

LLM_INLINE LLM_AVX2 void
LlmGemmF(LlmFloatKind kind, int64_t n, int nr, int nt, float *s, size_t ldc,
		 const void *w, size_t ws, const void *a, size_t as)
{
	if (nt == 1)
	{
		LlmGemvF(kind, n, nr, s, w, ws, a);
		return;
	}
	{
		size_t		rowb = (size_t) n * (kind == LLM_FK_F32 ? 4 : 2);
		int			panel = (int) (LLM_FLOAT_PANEL_BYTES / (rowb ? rowb : 1)) / 4 * 4;

		if (panel < 4)
			panel = 4;
		for (int p0 = 0; p0 < nr; p0 += panel)
			for (int t0 = 0; t0 < nt; t0 += 2)
			{
				int			tn = nt - t0 < 2 ? nt - t0 : 2;
				const char *at[2];

				for (int j = 0; j < 2; j++)
					at[j] = (const char *) a + as * (t0 + (j < tn ? j : tn - 1));
				for (int r0 = p0; r0 < nr && r0 < p0 + panel; r0 += 4)
				{
					int			rows = nr - r0 < 4 ? nr - r0 : 4;
					const char *wr[4];

					for (int j = 0; j < 4; j++)
						wr[j] = (const char *) w + ws * (r0 + (j < rows ? j : rows - 1));
					LlmTileF(kind, n, wr, at, s + ldc * t0 + r0, ldc, rows, tn);
				}
			}
	}
}

static LLM_AVX2 void
LlmGemmF32_avx2(int64_t n, int nr, int nt, float *s, size_t ldc,
				const void *w, size_t ws, const void *a, size_t as)
{
	LlmGemmF(LLM_FK_F32, n, nr, nt, s, ldc, w, ws, a, as);
}

static LLM_AVX2 void
LlmGemmF16_avx2(int64_t n, int nr, int nt, float *s, size_t ldc,
				const void *w, size_t ws, const void *a, size_t as)
{
	LlmGemmF(LLM_FK_F16, n, nr, nt, s, ldc, w, ws, a, as);
}

static LLM_AVX2 void
LlmGemmBf16_avx2(int64_t n, int nr, int nt, float *s, size_t ldc,
				 const void *w, size_t ws, const void *a, size_t as)
{
	LlmGemmF(LLM_FK_BF16, n, nr, nt, s, ldc, w, ws, a, as);
}

/* ------------------------------------------------------------------------
 * 32-weight blocks (Q8_0, Q4_0, Q5_0) against Q8_0 activations.
 * ------------------------------------------------------------------------
 */

LLM_INLINE LlmHalf
LlmQ32Scale(LlmType type, const void *x, int64_t i)
{
	switch (type)
	{
		case LLM_TYPE_Q4_0:
			return ((const BlockQ4_0 *) x)[i].d;
		case LLM_TYPE_Q5_0:
			return ((const BlockQ5_0 *) x)[i].d;
		default:
			return ((const BlockQ8_0 *) x)[i].d;
	}
}

LLM_INLINE int
LlmQ32Offset(LlmType type)
{
	return type == LLM_TYPE_Q4_0 ? 8 : type == LLM_TYPE_Q5_0 ? 16 : 0;
}

LLM_INLINE size_t
LlmQ32BlockBytes(LlmType type)
{
	return type == LLM_TYPE_Q4_0 ? sizeof(BlockQ4_0) :
		type == LLM_TYPE_Q5_0 ? sizeof(BlockQ5_0) : sizeof(BlockQ8_0);
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

static LLM_AVX2 void
LlmVecDotQ8_0_avx2(int64_t n, float *s, const void *w, const void *a)
{
	*s = LlmHsum256(LlmRowQ32(LLM_TYPE_Q8_0, n / QK8_0, w, a));
}

static LLM_AVX2 void
LlmVecDotQ4_0_avx2(int64_t n, float *s, const void *w, const void *a)
{
	*s = LlmHsum256(LlmRowQ32(LLM_TYPE_Q4_0, n / QK8_0, w, a));
}

static LLM_AVX2 void
LlmVecDotQ5_0_avx2(int64_t n, float *s, const void *w, const void *a)
{
	*s = LlmHsum256(LlmRowQ32(LLM_TYPE_Q5_0, n / QK8_0, w, a));
}

/*
 * GEMV preparation for Q4_0/Q5_0: two blocks A, B fill one register with
 * their 2 x 16 nibble bytes, whose low nibbles are elements 0..15 and high
 * nibbles 16..31; the activation is prepared as [A0..15 B0..15] and
 * [A16..31 B16..31], with the block scales and the offset term
 * -off * sum(a) of each block.
 */
#define LLM_GEMV_PAIRS 256		/* pairs of blocks per prepared chunk */

typedef struct LlmPairPrep
{
	int8_t		q[LLM_GEMV_PAIRS][64] __attribute__((aligned(32)));
	float		da[2 * LLM_GEMV_PAIRS];
	int32_t		corr[2 * LLM_GEMV_PAIRS];
	int32_t		corr_lanes[2 * LLM_GEMV_PAIRS] __attribute__((aligned(32)));	/* per group of 8
																				 * blocks, in
																				 * LlmGemvQ32's lane
																				 * order */
} LlmPairPrep;

LLM_INLINE LLM_AVX2 void
LlmPrepPairs(LlmType type, const BlockQ8_0 *y, int nblk, LlmPairPrep *p)
{
	const int	off = LlmQ32Offset(type);

	for (int k = 0; k < nblk / 2; k++)
	{
		_mm256_store_si256((__m256i *) p->q[k], LlmLoad2x128(y[2 * k].qs, y[2 * k + 1].qs));
		_mm256_store_si256((__m256i *) (p->q[k] + 32), LlmLoad2x128(y[2 * k].qs + 16, y[2 * k + 1].qs + 16));
	}
	for (int b = 0; b < nblk; b++)
	{
		__m256i		s = LlmDot4(_mm256_set1_epi8(1), _mm256_loadu_si256((const __m256i *) y[b].qs));
		__m128i		s4 = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));

		s4 = _mm_hadd_epi32(s4, s4);
		s4 = _mm_hadd_epi32(s4, s4);
		p->da[b] = LlmH2F(y[b].d);
		p->corr[b] = -off * _mm_cvtsi128_si32(s4);
	}
	/* zero for the missing blocks of a last short group */
	for (int g = 0; g < nblk; g += 8)
		for (int l = 0; l < 8; l++)
			p->corr_lanes[g + l] = g + 2 * (l % 4) + l / 4 < nblk ? p->corr[g + 2 * (l % 4) + l / 4] : 0;
}

/*
 * Exact integer dots of weight blocks 2k and 2k+1 of row x with the
 * activation (Q4_0/Q5_0 from the prepared pair k, without the offset term;
 * Q8_0 directly): the low 128 bits hold four partial sums of block 2k, the
 * high 128 bits of block 2k + 1.
 */
LLM_INLINE LLM_AVX2 __m256i
LlmPairIntQ32(LlmType type, const void *x, int k, const BlockQ8_0 *y, const LlmPairPrep *p)
{
	const __m256i m4 = _mm256_set1_epi8(0x0F);
	const uint8_t *qa;
	const uint8_t *qb;
	__m256i		w,
				lo,
				hi;

	if (type == LLM_TYPE_Q8_0)
	{
		__m256i		d0 = LlmQ32DotOne(type, x, 2 * k, &y[2 * k]);
		__m256i		d1 = LlmQ32DotOne(type, x, 2 * k + 1, &y[2 * k + 1]);

		return _mm256_add_epi32(_mm256_permute2x128_si256(d0, d1, 0x20),
								_mm256_permute2x128_si256(d0, d1, 0x31));
	}
	if (type == LLM_TYPE_Q4_0)
	{
		qa = ((const BlockQ4_0 *) x)[2 * k].qs;
		qb = ((const BlockQ4_0 *) x)[2 * k + 1].qs;
	}
	else
	{
		qa = ((const BlockQ5_0 *) x)[2 * k].qs;
		qb = ((const BlockQ5_0 *) x)[2 * k + 1].qs;
	}
	w = LlmLoad2x128(qa, qb);
	lo = _mm256_and_si256(w, m4);
	hi = _mm256_and_si256(_mm256_srli_epi16(w, 4), m4);
	if (type == LLM_TYPE_Q5_0)
	{
		uint32_t	ha = LlmLoadU32(((const BlockQ5_0 *) x)[2 * k].qh);
		uint32_t	hb = LlmLoadU32(((const BlockQ5_0 *) x)[2 * k + 1].qh);
		const __m256i b16 = _mm256_set1_epi8(16);

		lo = _mm256_or_si256(lo, _mm256_and_si256(LlmBitsToBytes32((ha & 0xffff) | (hb << 16)), b16));
		hi = _mm256_or_si256(hi, _mm256_and_si256(LlmBitsToBytes32((ha >> 16) | (hb & 0xffff0000)), b16));
	}
	return _mm256_madd_epi16(_mm256_add_epi16(_mm256_maddubs_epi16(lo, _mm256_load_si256((const __m256i *) p->q[k])),
											  _mm256_maddubs_epi16(hi, _mm256_load_si256((const __m256i *) (p->q[k] + 32)))),
							 _mm256_set1_epi16(1));
}

/* transpose eight rows of eight floats: lane i of r[l] becomes old lane l of r[i] */
LLM_INLINE LLM_AVX2 void
LlmTranspose8x8F(__m256 r[8])
{
	__m256		t[8];
	__m256		u[8];

#pragma GCC unroll 4
	for (int i = 0; i < 4; i++)
	{
		t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
		t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
	}
	/* u[4i + p], 128-bit lane k: element 4k + p of rows 4i..4i+3 */
#pragma GCC unroll 2
	for (int i = 0; i < 2; i++)
	{
		u[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
		u[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
		u[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
		u[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
	}
#pragma GCC unroll 4
	for (int p = 0; p < 4; p++)
	{
		r[p] = _mm256_permute2f128_ps(u[p], u[4 + p], 0x20);
		r[4 + p] = _mm256_permute2f128_ps(u[p], u[4 + p], 0x31);
	}
}

/* ------------------------------------------------------------------------
 * Packed GEMM for 32-weight blocks (prompt processing): panels of eight
 * weight rows, 32-bit lane i of packed register k holding quants 4k..4k+3
 * of row i; the micro-kernel multiplies them with broadcast activation
 * words for four activation rows at a time.  Q4_0 products (at most
 * 2 * 15 * 128 per pair) are summed in 16-bit lanes over a whole block and
 * widened once; Q5_0 pairs (2 * 31 * 128) over half a block; Q8_0 goes
 * through the sign trick and is widened every time.  Blocking as in
 * x86_avx512.c.
 * ------------------------------------------------------------------------
 */

#define LLM_PK_KB 16			/* blocks per chunk of the common dimension */
#define LLM_PK_TS 96			/* activation rows per group */
#define LLM_PK_T 4				/* activation rows per micro-kernel call */
#define LLM_PK_MIN_NT 4			/* fewer activation rows: GEMV per row */

typedef struct LlmQ32Panel
{
	uint8_t		q[LLM_PK_KB][8][32] __attribute__((aligned(32)));
	float		d[LLM_PK_KB][8] __attribute__((aligned(32)));
} LlmQ32Panel;

typedef struct LlmQ32Aux
{
	float		da[LLM_PK_TS][LLM_PK_KB];
	int32_t		corr[LLM_PK_TS][LLM_PK_KB];
} LlmQ32Aux;

/* transpose eight rows of eight 32-bit words in place */
LLM_INLINE LLM_AVX2 void
LlmTranspose8x8(__m256i r[8])
{
	__m256i		t[8];
	__m256i		u[8];

#pragma GCC unroll 4
	for (int i = 0; i < 4; i++)
	{
		t[2 * i] = _mm256_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
		t[2 * i + 1] = _mm256_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
	}
#pragma GCC unroll 2
	for (int i = 0; i < 2; i++)
	{
		u[4 * i + 0] = _mm256_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
		u[4 * i + 1] = _mm256_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
		u[4 * i + 2] = _mm256_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
		u[4 * i + 3] = _mm256_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
	}
	/* u[4i + p]: word p of each 128-bit half, rows 4i..4i+3 */
#pragma GCC unroll 4
	for (int p = 0; p < 4; p++)
	{
		r[p] = _mm256_permute2x128_si256(u[p], u[4 + p], 0x20);
		r[4 + p] = _mm256_permute2x128_si256(u[p], u[4 + p], 0x31);
	}
}

LLM_INLINE LLM_AVX2 void
LlmPackQ32(LlmType type, const char *w, size_t ws, int rows, int64_t b0, int kb, LlmQ32Panel *p)
{
	for (int b = 0; b < kb; b++)
	{
		__m256i		r[8];
		LlmHalf		hd[8];

#pragma GCC unroll 8
		for (int i = 0; i < 8; i++)
		{
			if (i >= rows)
				r[i] = _mm256_setzero_si256();
			else if (type == LLM_TYPE_Q8_0)
				r[i] = _mm256_loadu_si256((const __m256i *) ((const BlockQ8_0 *) (w + ws * i))[b0 + b].qs);
			else
				r[i] = LlmQ45Quants(type, w + ws * i, b0 + b);
			hd[i] = i < rows ? LlmQ32Scale(type, w + ws * i, b0 + b) : 0;
		}
		LlmTranspose8x8(r);
#pragma GCC unroll 8
		for (int k = 0; k < 8; k++)
			_mm256_store_si256((__m256i *) p->q[b][k], r[k]);
		_mm256_store_ps(p->d[b], _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) hd)));
	}
}

LLM_INLINE LLM_AVX2 void
LlmAuxQ32(LlmType type, const char *a, size_t as, int nt, int64_t b0, int kb, LlmQ32Aux *x)
{
	const int	off = LlmQ32Offset(type);

	for (int t = 0; t < nt; t++)
	{
		const BlockQ8_0 *y = (const BlockQ8_0 *) (a + as * t) + b0;

		for (int b = 0; b < kb; b++)
		{
			__m256i		s = LlmDot4(_mm256_set1_epi8(1), _mm256_loadu_si256((const __m256i *) y[b].qs));
			__m128i		s4 = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));

			s4 = _mm_hadd_epi32(s4, s4);
			s4 = _mm_hadd_epi32(s4, s4);
			x->da[t][b] = LlmH2F(y[b].d);
			x->corr[t][b] = -off * _mm_cvtsi128_si32(s4);
		}
	}
}

LLM_INLINE LLM_AVX2 void
LlmMicroQ32(LlmType type, const int T, int kb, const LlmQ32Panel *p, const BlockQ8_0 *const *y,
			const LlmQ32Aux *x, int t0, __m256 *acc)
{
	const __m256i ones = _mm256_set1_epi16(1);

	for (int b = 0; b < kb; b++)
	{
		__m256i		d[LLM_PK_T];
		__m256i		h[LLM_PK_T];
		__m256		dw = _mm256_load_ps(p->d[b]);

#pragma GCC unroll 4
		for (int t = 0; t < T; t++)
		{
			d[t] = _mm256_set1_epi32(x->corr[t0 + t][b]);
			h[t] = _mm256_setzero_si256();
		}
#pragma GCC unroll 8
		for (int k = 0; k < 8; k++)
		{
			__m256i		wk = _mm256_load_si256((const __m256i *) p->q[b][k]);
			__m256i		uk = type == LLM_TYPE_Q8_0 ? _mm256_sign_epi8(wk, wk) : wk;

#pragma GCC unroll 4
			for (int t = 0; t < T; t++)
			{
				__m256i		av = _mm256_set1_epi32((int) LlmLoadU32(y[t][b].qs + 4 * k));

				if (type == LLM_TYPE_Q8_0)
					d[t] = _mm256_add_epi32(d[t], LlmDot4(uk, _mm256_sign_epi8(av, wk)));
				else
					h[t] = _mm256_add_epi16(h[t], _mm256_maddubs_epi16(uk, av));
			}
			/* Q5_0 pair sums reach 7936: widen every four words */
			if (type == LLM_TYPE_Q5_0 && k == 3)
#pragma GCC unroll 4
				for (int t = 0; t < T; t++)
				{
					d[t] = _mm256_add_epi32(d[t], _mm256_madd_epi16(h[t], ones));
					h[t] = _mm256_setzero_si256();
				}
		}
#pragma GCC unroll 4
		for (int t = 0; t < T; t++)
		{
			if (type != LLM_TYPE_Q8_0)
				d[t] = _mm256_add_epi32(d[t], _mm256_madd_epi16(h[t], ones));
			acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(d[t]), dw),
									 _mm256_set1_ps(x->da[t0 + t][b]), acc[t]);
		}
	}
}

LLM_INLINE LLM_AVX2 void
LlmPanelRowsQ32(LlmType type, const int T, int kb, const LlmQ32Panel *p, const char *a, size_t as,
				int64_t b0, const LlmQ32Aux *x, int t0, float *s, size_t ldc, int rows, bool add)
{
	const BlockQ8_0 *y[LLM_PK_T];
	__m256		acc[LLM_PK_T];

	for (int t = 0; t < T; t++)
	{
		y[t] = (const BlockQ8_0 *) (a + as * (t0 + t)) + b0;
		acc[t] = _mm256_setzero_ps();
	}
	LlmMicroQ32(type, T, kb, p, y, x, t0, acc);
	for (int t = 0; t < T; t++)
	{
		if (add)
			LlmAdd8(s + ldc * (t0 + t), acc[t], rows);
		else
			LlmStore8(s + ldc * (t0 + t), acc[t], rows);
	}
}

LLM_INLINE LLM_AVX2 void
LlmGemmPackedQ32(LlmType type, int64_t n, int nr, int nt, float *s, size_t ldc,
				 const void *w, size_t ws, const void *a, size_t as)
{
	const int64_t nb = n / QK8_0;
	LlmQ32Panel panel;
	LlmQ32Aux	aux;

	for (int g0 = 0; g0 < nt; g0 += LLM_PK_TS)
	{
		int			ng = nt - g0 < LLM_PK_TS ? nt - g0 : LLM_PK_TS;
		const char *ag = (const char *) a + as * g0;
		float	   *sg = s + ldc * g0;

		for (int64_t b0 = 0; b0 < nb; b0 += LLM_PK_KB)
		{
			int			kb = nb - b0 < LLM_PK_KB ? (int) (nb - b0) : LLM_PK_KB;

			LlmAuxQ32(type, ag, as, ng, b0, kb, &aux);
			for (int r0 = 0; r0 < nr; r0 += 8)
			{
				int			rows = nr - r0 < 8 ? nr - r0 : 8;
				int			t = 0;

				LlmPackQ32(type, (const char *) w + ws * r0, ws, rows, b0, kb, &panel);
				for (; t + LLM_PK_T <= ng; t += LLM_PK_T)
					LlmPanelRowsQ32(type, LLM_PK_T, kb, &panel, ag, as, b0, &aux, t, sg + r0, ldc, rows, b0 > 0);
				switch (ng - t)
				{
					case 3:
						LlmPanelRowsQ32(type, 3, kb, &panel, ag, as, b0, &aux, t, sg + r0, ldc, rows, b0 > 0);
						break;
					case 2:
						LlmPanelRowsQ32(type, 2, kb, &panel, ag, as, b0, &aux, t, sg + r0, ldc, rows, b0 > 0);
						break;
					case 1:
						LlmPanelRowsQ32(type, 1, kb, &panel, ag, as, b0, &aux, t, sg + r0, ldc, rows, b0 > 0);
						break;
					default:
						break;
				}
			}
		}
	}
}

/*
 * The same as LlmPairIntQ32 for one block i (offset term left out for
 * Q4_0/Q5_0): four partial sums in the low 128 bits, zero above.
 */
LLM_INLINE LLM_AVX2 __m256i
LlmOneIntQ32(LlmType type, const void *x, int i, const BlockQ8_0 *y)
{
	__m256i		d;

	if (type == LLM_TYPE_Q8_0)
		d = LlmQ32DotOne(type, x, i, &y[i]);
	else
		d = _mm256_madd_epi16(_mm256_maddubs_epi16(LlmQ45Quants(type, x, i),
												   _mm256_loadu_si256((const __m256i *) y[i].qs)),
							  _mm256_set1_epi16(1));
	return _mm256_inserti128_si256(_mm256_setzero_si256(),
								   _mm_add_epi32(_mm256_castsi256_si128(d), _mm256_extracti128_si256(d, 1)), 0);
}

/*
 * The fp16 scales of blocks 0..7 of a group of row x, block 2 (l % 4) + l / 4
 * in lane l (as the hadd folding leaves the block sums); blocks from kg on
 * are not read and give 0.
 */
LLM_INLINE LLM_AVX2 __m128i
LlmGroupScales(LlmType type, const char *x, int kg)
{
	uint64_t	h0 = 0;
	uint64_t	h1 = 0;

	if (kg == 8)
	{
		h0 = (uint64_t) LlmQ32Scale(type, x, 0) | ((uint64_t) LlmQ32Scale(type, x, 2) << 16) |
			((uint64_t) LlmQ32Scale(type, x, 4) << 32) | ((uint64_t) LlmQ32Scale(type, x, 6) << 48);
		h1 = (uint64_t) LlmQ32Scale(type, x, 1) | ((uint64_t) LlmQ32Scale(type, x, 3) << 16) |
			((uint64_t) LlmQ32Scale(type, x, 5) << 32) | ((uint64_t) LlmQ32Scale(type, x, 7) << 48);
	}
	else
		for (int l = 0; l < 4; l++)
		{
			if (2 * l < kg)
				h0 |= (uint64_t) LlmQ32Scale(type, x, 2 * l) << (16 * l);
			if (2 * l + 1 < kg)
				h1 |= (uint64_t) LlmQ32Scale(type, x, 2 * l + 1) << (16 * l);
		}
	return _mm_set_epi64x((long long) h1, (long long) h0);
}

/*
 * One activation row: s[r] = dot(weight row r, y) for r < nr, with the
 * bits of the packed GEMM above, so that a row decoded alone and a row in a
 * batch agree exactly.  That fixes the float order per element: per chunk
 * of LLM_PK_KB blocks, acc = fma(float(block sum) * dw, da, acc) over the
 * blocks in order, and the chunk sums added up in order.
 *
 * Instead of packing panels, each of eight weight rows is streamed from
 * start to end as in a plain GEMV (two blocks per register), leaving
 * float(block sum) * dw per block in a small buffer, eight blocks a
 * vector (lane = block, in the order the hadd folding leaves them); a last
 * group of fewer blocks is computed one block at a time, zeros in the
 * missing lanes.  Then groups of eight vectors are transposed
 * (lane = row) and the FMA chain runs over their blocks.
 */
LLM_INLINE LLM_AVX2 void
LlmGemvQ32(LlmType type, int64_t n, int nr, float *s, const void *w, size_t ws, const BlockQ8_0 *y)
{
	const int64_t nb = n / QK8_0;
	const size_t bb = LlmQ32BlockBytes(type);
	LlmPairPrep prep;
	float		buf[8][2 * LLM_GEMV_PAIRS] __attribute__((aligned(32)));

	for (int64_t b0 = 0; b0 < nb; b0 += 2 * LLM_GEMV_PAIRS)
	{
		int			nbc = nb - b0 < 2 * LLM_GEMV_PAIRS ? (int) (nb - b0) : 2 * LLM_GEMV_PAIRS;
		const char *wc = (const char *) w + bb * b0;
		const BlockQ8_0 *yc = y + b0;

		if (type != LLM_TYPE_Q8_0)
			LlmPrepPairs(type, yc, nbc, &prep);
		for (int r0 = 0; r0 < nr; r0 += 8)
		{
			int			rows = nr - r0 < 8 ? nr - r0 : 8;
			__m256		sum = _mm256_setzero_ps();

			for (int i = 0; i < 8; i++)
			{
				const char *x = wc + ws * (r0 + (i < rows ? i : rows - 1));

				for (int g = 0; g < nbc; g += 8)
				{
					int			kg = nbc - g < 8 ? nbc - g : 8;
					const char *xg = x + bb * g;
					__m256i		v[4];
					__m256i		z;

#pragma GCC unroll 4
					for (int k = 0; k < 4; k++)
						v[k] = 2 * k + 1 < kg ? LlmPairIntQ32(type, x, g / 2 + k, yc, &prep) :
							2 * k < kg ? LlmOneIntQ32(type, x, g + 2 * k, yc) :
							_mm256_setzero_si256();
					z = _mm256_hadd_epi32(_mm256_hadd_epi32(v[0], v[1]), _mm256_hadd_epi32(v[2], v[3]));
					if (type != LLM_TYPE_Q8_0)
						z = _mm256_add_epi32(z, _mm256_load_si256((const __m256i *) (prep.corr_lanes + g)));
					_mm256_store_ps(buf[i] + g, _mm256_mul_ps(_mm256_cvtepi32_ps(z),
															  _mm256_cvtph_ps(LlmGroupScales(type, xg, kg))));
				}
			}
			if (b0 > 0)
				sum = _mm256_maskload_ps(s + r0, LlmMask8(rows));
			for (int c = 0; c < nbc; c += LLM_PK_KB)
			{
				int			kc = nbc - c < LLM_PK_KB ? nbc - c : LLM_PK_KB;
				__m256		acc = _mm256_setzero_ps();

				for (int g = c; g < c + kc; g += 8)
				{
					int			kg = c + kc - g < 8 ? c + kc - g : 8;
					__m256		p[8];

#pragma GCC unroll 8
					for (int i = 0; i < 8; i++)
						p[i] = _mm256_load_ps(buf[i] + g);
					LlmTranspose8x8F(p);
					for (int b = 0; b < kg; b++)
						acc = _mm256_fmadd_ps(p[4 * (b % 2) + b / 2],
											  _mm256_set1_ps(LlmH2F(yc[g + b].d)), acc);
				}
				sum = b0 == 0 && c == 0 ? acc : _mm256_add_ps(sum, acc);
			}
			LlmStore8(s + r0, sum, rows);
		}
	}
}

LLM_INLINE LLM_AVX2 void
LlmGemmQ32(LlmType type, int64_t n, int nr, int nt, float *s, size_t ldc,
		   const void *w, size_t ws, const void *a, size_t as)
{
	if (nt >= LLM_PK_MIN_NT)
		LlmGemmPackedQ32(type, n, nr, nt, s, ldc, w, ws, a, as);
	else
		for (int t = 0; t < nt; t++)
			LlmGemvQ32(type, n, nr, s + ldc * t, w, ws, (const BlockQ8_0 *) ((const char *) a + as * t));
}

static LLM_AVX2 void
LlmGemmQ8_0_avx2(int64_t n, int nr, int nt, float *s, size_t ldc,
				 const void *w, size_t ws, const void *a, size_t as)
{
	LlmGemmQ32(LLM_TYPE_Q8_0, n, nr, nt, s, ldc, w, ws, a, as);
}

static LLM_AVX2 void
LlmGemmQ4_0_avx2(int64_t n, int nr, int nt, float *s, size_t ldc,
				 const void *w, size_t ws, const void *a, size_t as)
{
	LlmGemmQ32(LLM_TYPE_Q4_0, n, nr, nt, s, ldc, w, ws, a, as);
}

static LLM_AVX2 void
LlmGemmQ5_0_avx2(int64_t n, int nr, int nt, float *s, size_t ldc,
				 const void *w, size_t ws, const void *a, size_t as)
{
	LlmGemmQ32(LLM_TYPE_Q5_0, n, nr, nt, s, ldc, w, ws, a, as);
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

LLM_INLINE LLM_AVX2 __m256
LlmRowK4(bool five, int64_t nb, const void *w, const BlockQ8_K *y)
{
	const __m256i m4 = _mm256_set1_epi8(0x0F);
	__m256		acc = _mm256_setzero_ps();
	__m128		accm = _mm_setzero_ps();

	for (int64_t i = 0; i < nb; i++)
	{
		const uint8_t *scales;
		const uint8_t *qs;
		const uint8_t *qh = NULL;
		float		d,
					dmin;
		uint32_t	sm[4];
		__m128i		s8;
		__m256i		scz;
		__m256i		sum = _mm256_setzero_si256();
		__m256i		hz = _mm256_setzero_si256();

		if (five)
		{
			const BlockQ5_K *b = (const BlockQ5_K *) w + i;

			scales = b->scales;
			qs = b->qs;
			qh = b->qh;
			d = LlmH2F(b->d);
			dmin = LlmH2F(b->dmin);
			hz = _mm256_loadu_si256((const __m256i *) qh);
		}
		else
		{
			const BlockQ4_K *b = (const BlockQ4_K *) w + i;

			scales = b->scales;
			qs = b->qs;
			d = LlmH2F(b->d);
			dmin = LlmH2F(b->dmin);
		}
		LlmUnpackScalesK4(scales, sm);
		s8 = _mm_loadu_si128((const __m128i *) sm);
		scz = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(s8));
		accm = _mm_fmadd_ps(_mm_cvtepi32_ps(_mm_madd_epi16(_mm_cvtepu8_epi16(_mm_srli_si128(s8, 8)),
														   _mm_hadd_epi16(_mm_loadu_si128((const __m128i *) y[i].bsums),
																		  _mm_loadu_si128((const __m128i *) (y[i].bsums + 8))))),
							_mm_set1_ps(dmin * y[i].d), accm);
#pragma GCC unroll 4
		for (int c = 0; c < 4; c++)
		{
			__m256i		q = _mm256_loadu_si256((const __m256i *) (qs + 32 * c));
			__m256i		lo,
						hi;

			LLM_KEEP(q);
			lo = _mm256_and_si256(q, m4);
			hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
			if (five)
			{
				const __m256i b16 = _mm256_set1_epi8(16);
				__m256i		b0 = _mm256_set1_epi8((char) (1 << (2 * c)));
				__m256i		b1 = _mm256_set1_epi8((char) (1 << (2 * c + 1)));

				lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(hz, b0), b0), b16));
				hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(hz, b1), b1), b16));
			}
			sum = _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *) (y[i].qs + 64 * c))),
														  _mm256_shuffle_epi8(scz, LlmWordCtl(2 * c))));
			sum = _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *) (y[i].qs + 64 * c + 32))),
														  _mm256_shuffle_epi8(scz, LlmWordCtl(2 * c + 1))));
		}
		acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_set1_ps(d * y[i].d), acc);
	}
	return _mm256_sub_ps(acc, _mm256_castps128_ps256(accm));
}

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

LLM_INLINE LLM_AVX2 __m256
LlmRowK(LlmType type, int64_t n, const void *x, const BlockQ8_K *y)
{
	if (type == LLM_TYPE_Q6_K)
		return LlmRowQ6K(n / QK_K, x, y);
	return LlmRowK4(type == LLM_TYPE_Q5_K, n / QK_K, x, y);
}

static LLM_AVX2 void
LlmVecDotQ4_K_avx2(int64_t n, float *s, const void *w, const void *a)
{
	*s = LlmHsum256(LlmRowK(LLM_TYPE_Q4_K, n, w, a));
}

static LLM_AVX2 void
LlmVecDotQ5_K_avx2(int64_t n, float *s, const void *w, const void *a)
{
	*s = LlmHsum256(LlmRowK(LLM_TYPE_Q5_K, n, w, a));
}

static LLM_AVX2 void
LlmVecDotQ6_K_avx2(int64_t n, float *s, const void *w, const void *a)
{
	*s = LlmHsum256(LlmRowK(LLM_TYPE_Q6_K, n, w, a));
}

/*
 * Eight weight rows at a time, each against every activation row (the
 * eight rows stay in cache while the activations pass), eight results
 * reduced together.
 */
LLM_INLINE LLM_AVX2 void
LlmGemmK(LlmType type, int64_t n, int nr, int nt, float *s, size_t ldc,
		 const void *w, size_t ws, const void *a, size_t as)
{
	for (int r0 = 0; r0 < nr; r0 += 8)
	{
		int			rows = nr - r0 < 8 ? nr - r0 : 8;

		for (int t = 0; t < nt; t++)
		{
			const BlockQ8_K *y = (const BlockQ8_K *) ((const char *) a + as * t);
			__m256		acc[8];

			for (int i = 0; i < 8; i++)
				acc[i] = i < rows ? LlmRowK(type, n, (const char *) w + ws * (r0 + i), y) :
					_mm256_setzero_ps();
			LlmStore8(s + ldc * t + r0, LlmHsum8x8(acc), rows);
		}
	}
}

static LLM_AVX2 void
LlmGemmQ4_K_avx2(int64_t n, int nr, int nt, float *s, size_t ldc,
				 const void *w, size_t ws, const void *a, size_t as)
{
	LlmGemmK(LLM_TYPE_Q4_K, n, nr, nt, s, ldc, w, ws, a, as);
}

static LLM_AVX2 void
LlmGemmQ5_K_avx2(int64_t n, int nr, int nt, float *s, size_t ldc,
				 const void *w, size_t ws, const void *a, size_t as)
{
	LlmGemmK(LLM_TYPE_Q5_K, n, nr, nt, s, ldc, w, ws, a, as);
}

static LLM_AVX2 void
LlmGemmQ6_K_avx2(int64_t n, int nr, int nt, float *s, size_t ldc,
				 const void *w, size_t ws, const void *a, size_t as)
{
	LlmGemmK(LLM_TYPE_Q6_K, n, nr, nt, s, ldc, w, ws, a, as);
}

/* ------------------------------------------------------------------------
 * Table
 * ------------------------------------------------------------------------
 */

static const LlmKernelTable llm_kernels_avx2 = {
	.name = "avx2",
	.softmax = LlmSoftmax_avx2,
	.swiglu = LlmSwiGlu_avx2,
	.vec_dot = {
		[LLM_TYPE_F32] = LlmVecDotF32_avx2,
		[LLM_TYPE_F16] = LlmVecDotF16_avx2,
		[LLM_TYPE_BF16] = LlmVecDotBf16_avx2,
		[LLM_TYPE_Q8_0] = LlmVecDotQ8_0_avx2,
		[LLM_TYPE_Q4_0] = LlmVecDotQ4_0_avx2,
		[LLM_TYPE_Q5_0] = LlmVecDotQ5_0_avx2,
		[LLM_TYPE_Q4_K] = LlmVecDotQ4_K_avx2,
		[LLM_TYPE_Q5_K] = LlmVecDotQ5_K_avx2,
		[LLM_TYPE_Q6_K] = LlmVecDotQ6_K_avx2,
	},
	.gemm = {
		[LLM_TYPE_F32] = LlmGemmF32_avx2,
		[LLM_TYPE_F16] = LlmGemmF16_avx2,
		[LLM_TYPE_BF16] = LlmGemmBf16_avx2,
		[LLM_TYPE_Q8_0] = LlmGemmQ8_0_avx2,
		[LLM_TYPE_Q4_0] = LlmGemmQ4_0_avx2,
		[LLM_TYPE_Q5_0] = LlmGemmQ5_0_avx2,
		[LLM_TYPE_Q4_K] = LlmGemmQ4_K_avx2,
		[LLM_TYPE_Q5_K] = LlmGemmQ5_K_avx2,
		[LLM_TYPE_Q6_K] = LlmGemmQ6_K_avx2,
	},
	.from_float = {
		[LLM_TYPE_F32] = LlmFromFloatF32_avx2,
		[LLM_TYPE_F16] = LlmFromFloatF16_avx2,
		[LLM_TYPE_BF16] = LlmFromFloatBf16_avx2,
		[LLM_TYPE_Q8_0] = LlmQuantizeQ8_0_avx2,
		[LLM_TYPE_Q8_K] = LlmQuantizeQ8_K_avx2,
	},
	.to_float = {
		[LLM_TYPE_F32] = LlmToFloatF32_avx2,
		[LLM_TYPE_F16] = LlmToFloatF16_avx2,
		[LLM_TYPE_BF16] = LlmToFloatBf16_avx2,
		[LLM_TYPE_Q8_0] = LlmDequantizeQ8_0_avx2,
		[LLM_TYPE_Q4_0] = LlmDequantizeQ4_0_avx2,
		[LLM_TYPE_Q5_0] = LlmDequantizeQ5_0_avx2,
		[LLM_TYPE_Q4_K] = LlmDequantizeQ4_K_avx2,
		[LLM_TYPE_Q5_K] = LlmDequantizeQ5_K_avx2,
		[LLM_TYPE_Q6_K] = LlmDequantizeQ6_K_avx2,
		[LLM_TYPE_Q8_K] = LlmDequantizeQ8_K_avx2,
	},
};

const LlmKernelTable *
LlmKernelsAvx2(void)
{
	return &llm_kernels_avx2;
}

#endif							/* __x86_64__ */
