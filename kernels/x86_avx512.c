/*-------------------------------------------------------------------------
 *
 * x86_avx512.c
 *	  AVX-512 kernel variants: "avx512vnni" (F/BW/VL/DQ + VNNI) and
 *	  "avx512bf16" (the same plus AVX512_BF16 for BF16 weights).
 *
 * Integer dot products use VPDPBUSD (unsigned bytes times signed bytes,
 * four products summed into each 32-bit lane).  Weights are made the
 * unsigned operand (Q4_0/Q5_0 quants are already 0..15/0..31, Q8_0 quants
 * are flipped to w + 128) and the offset is taken back out exactly, in
 * integers, with the activation block sums: sum (q - off) a = sum q a -
 * off sum a.  No saturation, no sign tricks, every input value works.
 *
 * Three ways through a matrix multiplication:
 *
 * - vec_dot: one weight row by one activation row, straight from the GGUF
 *	 layouts.
 * - GEMV (gemm with few activation rows): the activation row is first
 *	 rearranged once (quants regrouped to match how four weight blocks sit
 *	 in a register, block sums and scales precomputed), so that the loop
 *	 over weight rows does little more than load, mask and VPDPBUSD per four
 *	 blocks; it has to keep up with memory bandwidth.  Weight rows are
 *	 streamed strictly in order: on the machines measured, reading two or
 *	 more rows side by side lost a third of the bandwidth to the hardware
 *	 prefetcher.  The block sums are then finished in the packed GEMM's
 *	 float order (see LlmGemvQ32), so that one activation row gets the same
 *	 bits through either path.
 * - packed GEMM (prompt processing): sixteen weight rows are transposed
 *	 into a panel where 32-bit lane i holds four quants of row i, so that
 *	 one VPDPBUSD with a broadcast activation dword advances sixteen rows,
 *	 and the block scale costs one conversion and one FMA per sixteen rows.
 *	 Each panel is reused for many activation rows.
 *
 * The K-quants multiply 64 small unsigned quants at a time with VPMADDUBSW
 * and apply the sub-block scales with VPDPWSSD (GEMV: the activation
 * regrouped to match one 64-byte load of nibbles; GEMM: 4 x 2 tiles that
 * decode each weight chunk once).  Float formats use FMA (VDPBF16PS for
 * BF16 in "avx512bf16") in 4 x 4 tiles, or for one activation row sixteen
 * weight rows in the tiles' order.
 *
 * Within the variant, every gemm computes each output element in one fixed
 * order whatever the number of rows and the element's place in a tile:
 * batched decoding relies on a sequence getting the same bits alone and
 * among others (test_kernel_variants checks it).
 *
 * What was measured on Zen 4 (one 512-bit VPDPBUSD or FMA per cycle, about
 * one 64-byte load per cycle) shaped this: software prefetching lowered
 * streaming bandwidth every time it was tried, and layouts that need fewer
 * shuffles but more loads per weight byte lost to plain ones once the
 * weights came from L2 instead of L1.
 *
 * Scratch lives on the stack, at most about 70 kB per call (prepared
 * activations and the GEMV's block sums, or a packed panel); nothing is allocated, nothing is kept
 * between calls, so every function is safe to call from several threads.
 *
 * Activation converters are bit-identical to the reference (see
 * quant_ref.c); dequantizers repeat the reference's float operations
 * without fused multiply-adds.  Dot products differ from the reference only
 * in the order float partial sums are added.
 *
 * Compiled with baseline flags: every function carries a target attribute
 * and dispatch.c calls none of them unless LlmCpuDetect agrees.
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

#define LLM_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")))
#define LLM_AVX512BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512bf16,avx2,fma,f16c")))
#define LLM_INLINE static inline __attribute__((always_inline))

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------
 */

/*
 * Keep a loaded vector in a register.  GCC otherwise folds the load into
 * every instruction that uses the value, reading the same 64 bytes two or
 * three times, and the weight-decoding loops are close to the load limit.
 */
#define LLM_KEEP(v) __asm__("" : "+v"(v))

LLM_INLINE LLM_AVX512 float
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

/* four fp16 values (e.g. the scales of four consecutive blocks) as floats */
LLM_INLINE LLM_AVX512 __m128
LlmHalves4(LlmHalf h0, LlmHalf h1, LlmHalf h2, LlmHalf h3)
{
	uint64_t	h = (uint64_t) h0 | ((uint64_t) h1 << 16) |
		((uint64_t) h2 << 32) | ((uint64_t) h3 << 48);

	return _mm_cvtph_ps(_mm_cvtsi64_si128((long long) h));
}

/* all bits set in the low n lanes (n <= 16) */
LLM_INLINE __mmask16
LlmMask16(int64_t n)
{
	return (__mmask16) ((1u << n) - 1);
}

/* two 32-byte runs (e.g. the quants of two Q8_0 blocks) in one register */
LLM_INLINE LLM_AVX512 __m512i
LlmLoad2x256(const void *p0, const void *p1)
{
	return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *) p0)),
							  _mm256_loadu_si256((const __m256i *) p1), 1);
}

/* four 16-byte runs (e.g. the nibbles of four Q4_0 blocks) in one register */
LLM_INLINE LLM_AVX512 __m512i
LlmLoad4x128(const void *p0, const void *p1, const void *p2, const void *p3)
{
	__m512i		v = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *) p0));

	v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *) p1), 1);
	v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *) p2), 2);
	return _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *) p3), 3);
}

/*
 * Sixteen 32-bit sums of one 16-lane accumulator each, in one register:
 * lane i of the result is the sum of all lanes of v[i].  A transposing
 * reduction tree costs about three instructions per row instead of the
 * eight of a separate _mm512_reduce_add_ps per row.
 */
LLM_INLINE LLM_AVX512 __m512
LlmHsum16x16(const __m512 *v)
{
	__m512		t[8];
	__m512		u[4];
	__m512		w[2];

	/* pairs: lane groups of 4 hold (v[2i] half-sums, v[2i+1] half-sums) */
#pragma GCC unroll 16
	for (int i = 0; i < 8; i++)
		t[i] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]),
							 _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
	/* each 128-bit lane now holds [a0+a2, b0+b2, a1+a3, b1+b3] pieces */
#pragma GCC unroll 16
	for (int i = 0; i < 4; i++)
		u[i] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[2 * i]),
																 _mm512_castps_pd(t[2 * i + 1]))),
							 _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[2 * i]),
																 _mm512_castps_pd(t[2 * i + 1]))));

	/*
	 * u[i] 128-bit lane L holds, for rows 4i..4i+3, the sum of that row's
	 * lane L.  Add the four 128-bit lanes of four registers together.
	 */
#pragma GCC unroll 16
	for (int i = 0; i < 2; i++)
	{
		__m512		a = _mm512_shuffle_f32x4(u[2 * i], u[2 * i + 1], _MM_SHUFFLE(2, 0, 2, 0));
		__m512		b = _mm512_shuffle_f32x4(u[2 * i], u[2 * i + 1], _MM_SHUFFLE(3, 1, 3, 1));

		w[i] = _mm512_add_ps(a, b);
	}
	{
		__m512		a = _mm512_shuffle_f32x4(w[0], w[1], _MM_SHUFFLE(2, 0, 2, 0));
		__m512		b = _mm512_shuffle_f32x4(w[0], w[1], _MM_SHUFFLE(3, 1, 3, 1));

		return _mm512_add_ps(a, b);
	}
}

/* ------------------------------------------------------------------------
 * Activation converters (bit-identical to quant_ref.c)
 * ------------------------------------------------------------------------
 */

static void
LlmFromFloatF32_avx512(const float *x, void *y, int64_t n)
{
	memcpy(y, x, (size_t) n * sizeof(float));
}

/* VCVTPS2PH with round-to-nearest-even is what LlmFloatToHalf emulates */
static LLM_AVX512 void
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

static LLM_AVX512 void
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
static LLM_AVX512 void
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
static LLM_AVX512 void
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

static void
LlmToFloatF32_avx512(const void *x, float *y, int64_t n)
{
	memcpy(y, x, (size_t) n * sizeof(float));
}

static LLM_AVX512 void
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

LLM_INLINE LLM_AVX512 __m512
LlmBf16To16(__m256i h)
{
	return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

static LLM_AVX512 void
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

static LLM_AVX512 void
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

static LLM_AVX512 void
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

static LLM_AVX512 void
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

/*
 * The eight 6-bit scales and mins of a Q4_K/Q5_K block, as bytes 0..7
 * (scales) and 8..15 (mins) of the result.  Words: u0 = bytes 0..3 hold
 * scales 0..3 in their low 6 bits, u1 = bytes 4..7 mins 0..3; scales and
 * mins 4..7 take their low 4 bits from the nibbles of u2 = bytes 8..11
 * and their top 2 bits from the spare top bits of u0 and u1 (see
 * LlmScaleMinK4).
 */
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

static LLM_AVX512 void
LlmDequantizeQ4_K_avx512(const void *vx, float *y, int64_t n)
{
	const BlockQ4_K *x = vx;
	int64_t		nb = n / QK_K;
	const __m128i m4 = _mm_set1_epi8(0x0F);

	for (int64_t i = 0; i < nb; i++)
	{
		const uint8_t *q = x[i].qs;
		float		d = LlmH2F(x[i].d);
		float		min = LlmH2F(x[i].dmin);
		uint32_t	sm[4];
		const uint8_t *sc;
		const uint8_t *mn;

		LlmUnpackScalesK4(x[i].scales, sm);
		sc = (const uint8_t *) sm;
		mn = sc + 8;
		for (int j = 0; j < 8; j++)
		{
			/* d1 = d * sc and m1 = min * m in float, then d1 * q - m1 */
			__m512		d1 = _mm512_set1_ps(d * sc[j]);
			__m512		m1 = _mm512_set1_ps(min * mn[j]);
			const uint8_t *qb = q + 32 * (j / 2);

			for (int h = 0; h < 2; h++)
			{
				__m128i		v = _mm_loadu_si128((const __m128i *) (qb + 16 * h));

				v = (j & 1) ? _mm_and_si128(_mm_srli_epi16(v, 4), m4) : _mm_and_si128(v, m4);
				_mm512_storeu_ps(y + 16 * h, _mm512_sub_ps(_mm512_mul_ps(d1, LlmU8x16ToF(v)), m1));
			}
			y += 32;
		}
	}
}

static LLM_AVX512 void
LlmDequantizeQ5_K_avx512(const void *vx, float *y, int64_t n)
{
	const BlockQ5_K *x = vx;
	int64_t		nb = n / QK_K;
	const __m128i m4 = _mm_set1_epi8(0x0F);
	const __m128i b16 = _mm_set1_epi8(16);

	for (int64_t i = 0; i < nb; i++)
	{
		const uint8_t *q = x[i].qs;
		float		d = LlmH2F(x[i].d);
		float		min = LlmH2F(x[i].dmin);
		uint32_t	sm[4];
		const uint8_t *sc;
		const uint8_t *mn;

		LlmUnpackScalesK4(x[i].scales, sm);
		sc = (const uint8_t *) sm;
		mn = sc + 8;
		for (int j = 0; j < 8; j++)
		{
			__m512		d1 = _mm512_set1_ps(d * sc[j]);
			__m512		m1 = _mm512_set1_ps(min * mn[j]);
			const uint8_t *qb = q + 32 * (j / 2);
			const __m128i bit = _mm_set1_epi8((char) (1 << j));

			for (int h = 0; h < 2; h++)
			{
				__m128i		v = _mm_loadu_si128((const __m128i *) (qb + 16 * h));
				__m128i		hb = _mm_loadu_si128((const __m128i *) (x[i].qh + 16 * h));

				v = (j & 1) ? _mm_and_si128(_mm_srli_epi16(v, 4), m4) : _mm_and_si128(v, m4);
				v = _mm_mask_add_epi8(v, _mm_test_epi8_mask(hb, bit), v, b16);
				_mm512_storeu_ps(y + 16 * h, _mm512_sub_ps(_mm512_mul_ps(d1, LlmU8x16ToF(v)), m1));
			}
			y += 32;
		}
	}
}

static LLM_AVX512 void
LlmDequantizeQ6_K_avx512(const void *vx, float *y, int64_t n)
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

			/* weight l + 32k of this half; k picks nibble, ql half and qh bits */
			for (int k = 0; k < 4; k++)
			{
				for (int g = 0; g < 2; g++)
				{
					__m128i		l = _mm_loadu_si128((const __m128i *) (ql + 32 * (k & 1) + 16 * g));
					__m128i		hb = _mm_loadu_si128((const __m128i *) (qh + 16 * g));
					__m128i		v;
					__m512		dd = _mm512_set1_ps(d * sc[2 * k + g]);

					l = (k >> 1) ? _mm_and_si128(_mm_srli_epi16(l, 4), m4) : _mm_and_si128(l, m4);
					hb = _mm_and_si128(_mm_srli_epi16(hb, 2 * k), m2);
					v = _mm_sub_epi8(_mm_or_si128(l, _mm_slli_epi16(hb, 4)), off);
					_mm512_storeu_ps(y + 32 * k + 16 * g, _mm512_mul_ps(dd, LlmI8x16ToF(v)));
				}
			}
			y += 128;
		}
	}
}

static LLM_AVX512 void
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

/* ------------------------------------------------------------------------
 * Float dot products.  Four accumulators, each lane summing a quarter of
 * the products in float (the reference sums in double: the difference is
 * rounding, well inside the tested bound).
 * ------------------------------------------------------------------------
 */

static LLM_AVX512 void
LlmVecDotF32_avx512(int64_t n, float *s, const void *w, const void *a)
{
	const float *x = w;
	const float *y = a;
	__m512		acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(),
	_mm512_setzero_ps(), _mm512_setzero_ps()};
	int64_t		i = 0;

	for (; i + 64 <= n; i += 64)
		for (int k = 0; k < 4; k++)
			acc[k] = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16 * k),
									 _mm512_loadu_ps(y + i + 16 * k), acc[k]);
	for (; i + 16 <= n; i += 16)
		acc[0] = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), acc[0]);
	if (i < n)
	{
		__mmask16	m = LlmMask16(n - i);

		acc[1] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x + i),
								 _mm512_maskz_loadu_ps(m, y + i), acc[1]);
	}
	*s = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc[0], acc[1]),
											_mm512_add_ps(acc[2], acc[3])));
}

static LLM_AVX512 void
LlmVecDotF16_avx512(int64_t n, float *s, const void *w, const void *a)
{
	const LlmHalf *x = w;
	const LlmHalf *y = a;
	__m512		acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(),
	_mm512_setzero_ps(), _mm512_setzero_ps()};
	int64_t		i = 0;

	for (; i + 64 <= n; i += 64)
		for (int k = 0; k < 4; k++)
			acc[k] = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) (x + i + 16 * k))),
									 _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) (y + i + 16 * k))),
									 acc[k]);
	for (; i + 16 <= n; i += 16)
		acc[0] = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) (x + i))),
								 _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) (y + i))), acc[0]);
	if (i < n)
	{
		__mmask16	m = LlmMask16(n - i);

		acc[1] = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, x + i)),
								 _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, y + i)), acc[1]);
	}
	*s = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc[0], acc[1]),
											_mm512_add_ps(acc[2], acc[3])));
}

/* BF16 without AVX512_BF16: widen to float by a shift and use FMA */
static LLM_AVX512 void
LlmVecDotBf16_avx512(int64_t n, float *s, const void *w, const void *a)
{
	const LlmBf16 *x = w;
	const LlmBf16 *y = a;
	__m512		acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(),
	_mm512_setzero_ps(), _mm512_setzero_ps()};
	int64_t		i = 0;

	for (; i + 64 <= n; i += 64)
		for (int k = 0; k < 4; k++)
			acc[k] = _mm512_fmadd_ps(LlmBf16To16(_mm256_loadu_si256((const __m256i *) (x + i + 16 * k))),
									 LlmBf16To16(_mm256_loadu_si256((const __m256i *) (y + i + 16 * k))),
									 acc[k]);
	for (; i + 16 <= n; i += 16)
		acc[0] = _mm512_fmadd_ps(LlmBf16To16(_mm256_loadu_si256((const __m256i *) (x + i))),
								 LlmBf16To16(_mm256_loadu_si256((const __m256i *) (y + i))), acc[0]);
	if (i < n)
	{
		__mmask16	m = LlmMask16(n - i);

		acc[1] = _mm512_fmadd_ps(LlmBf16To16(_mm256_maskz_loadu_epi16(m, x + i)),
								 LlmBf16To16(_mm256_maskz_loadu_epi16(m, y + i)), acc[1]);
	}
	*s = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc[0], acc[1]),
											_mm512_add_ps(acc[2], acc[3])));
}

/*
 * BF16 with VDPBF16PS: 32 products per instruction, each exact (8-bit
 * mantissas), summed pairwise into float lanes.  The instruction treats
 * subnormal inputs as zero; at bf16 magnitudes below 1e-38 that changes a
 * sum by less than any tolerance can see.
 */
static LLM_AVX512BF16 void
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

LLM_INLINE LLM_AVX512 float
LlmHsum256(__m256 v)
{
	__m128		s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));

	s = _mm_add_ps(s, _mm_movehl_ps(s, s));
	s = _mm_add_ss(s, _mm_movehdup_ps(s));
	return _mm_cvtss_f32(s);
}

/* the fp16 scale of block i of a row of the given type */
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

/* the weight offset taken out through the activation sums */
LLM_INLINE int
LlmQ32Offset(LlmType type)
{
	return type == LLM_TYPE_Q4_0 ? 8 : type == LLM_TYPE_Q5_0 ? 16 : 128;
}

/* 32 nibbles of a Q4_0/Q5_0 block as 32 bytes in element order */
LLM_INLINE LLM_AVX512 __m256i
LlmNibbles32(const uint8_t *qs)
{
	__m256i		v = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *) qs));

	/* low nibbles are elements 0..15, high nibbles 16..31 */
	v = _mm256_srlv_epi64(v, _mm256_set_epi64x(4, 4, 0, 0));
	return _mm256_and_si256(v, _mm256_set1_epi8(0x0F));
}

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

/* the same for one block */
LLM_INLINE LLM_AVX512 __m256i
LlmQ32One(LlmType type, const void *x, int64_t i)
{
	if (type == LLM_TYPE_Q8_0)
		return _mm256_xor_si256(_mm256_loadu_si256((const __m256i *) ((const BlockQ8_0 *) x)[i].qs),
								_mm256_set1_epi8((char) 0x80));
	if (type == LLM_TYPE_Q4_0)
		return LlmNibbles32(((const BlockQ4_0 *) x)[i].qs);
	{
		const BlockQ5_0 *b = (const BlockQ5_0 *) x + i;
		__m256i		v = LlmNibbles32(b->qs);

		return _mm256_mask_add_epi8(v, (__mmask32) LlmLoadU32(b->qh), v, _mm256_set1_epi8(16));
	}
}

/* exact integer dot of one unsigned weight block with one Q8_0 block */
LLM_INLINE LLM_AVX512 __m256i
LlmQ32DotOne(LlmType type, const void *x, int64_t i, const BlockQ8_0 *y)
{
	__m256i		aq = _mm256_loadu_si256((const __m256i *) y->qs);
	__m256i		d = _mm256_dpbusd_epi32(_mm256_setzero_si256(), LlmQ32One(type, x, i), aq);

	return _mm256_sub_epi32(d, _mm256_dpbusd_epi32(_mm256_setzero_si256(),
												   _mm256_set1_epi8((char) LlmQ32Offset(type)), aq));
}

LLM_INLINE LLM_AVX512 void
LlmVecDotQ32(LlmType type, int64_t n, float *s, const void *x, const BlockQ8_0 *y)
{
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

static LLM_AVX512 void
LlmVecDotQ8_0_avx512(int64_t n, float *s, const void *w, const void *a)
{
	LlmVecDotQ32(LLM_TYPE_Q8_0, n, s, w, a);
}

static LLM_AVX512 void
LlmVecDotQ4_0_avx512(int64_t n, float *s, const void *w, const void *a)
{
	LlmVecDotQ32(LLM_TYPE_Q4_0, n, s, w, a);
}

static LLM_AVX512 void
LlmVecDotQ5_0_avx512(int64_t n, float *s, const void *w, const void *a)
{
	LlmVecDotQ32(LLM_TYPE_Q5_0, n, s, w, a);
}

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

/* VPSHUFB control bytes that copy 16-bit word w across a 128-bit lane */
LLM_INLINE int
LlmWordCtl(int w)
{
	int			v = ((2 * w + 1) << 8) | (2 * w);

	return v | (v << 16);
}

/*
 * Control selecting word w0 in the low 256 bits and w1 in the high 256
 * bits of a register whose 128-bit lanes all hold the same eight words.
 */
LLM_INLINE LLM_AVX512 __m512i
LlmWordPick2(int w0, int w1)
{
	return _mm512_inserti64x4(_mm512_set1_epi32(LlmWordCtl(w0)),
							  _mm256_set1_epi32(LlmWordCtl(w1)), 1);
}

/* the same, word w0 + j in 128-bit lane j */
LLM_INLINE LLM_AVX512 __m512i
LlmWordPick4(int w0)
{
	int			c0 = LlmWordCtl(w0),
				c1 = LlmWordCtl(w0 + 1),
				c2 = LlmWordCtl(w0 + 2),
				c3 = LlmWordCtl(w0 + 3);

	return _mm512_set_epi32(c3, c3, c3, c3, c2, c2, c2, c2,
							c1, c1, c1, c1, c0, c0, c0, c0);
}

LLM_INLINE LLM_AVX512 float
LlmHsum128(__m128 s)
{
	s = _mm_add_ps(s, _mm_movehl_ps(s, s));
	s = _mm_add_ss(s, _mm_movehdup_ps(s));
	return _mm_cvtss_f32(s);
}

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
		const uint8_t *scales;
		const uint8_t *qs;
		const uint8_t *qh = NULL;
		LlmHalf		hd,
					hdmin;
		uint32_t	sm[4];
		__m128i		s8;
		__m512i		scz;
		__m512i		sum = _mm512_setzero_si512();
		__m512i		hz = _mm512_setzero_si512();

		if (five)
		{
			const BlockQ5_K *b = (const BlockQ5_K *) w + i;

			scales = b->scales;
			qs = b->qs;
			qh = b->qh;
			hd = b->d;
			hdmin = b->dmin;
			hz = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *) qh));
		}
		else
		{
			const BlockQ4_K *b = (const BlockQ4_K *) w + i;

			scales = b->scales;
			qs = b->qs;
			hd = b->d;
			hdmin = b->dmin;
		}

		LlmUnpackScalesK4(scales, sm);
		s8 = _mm_loadu_si128((const __m128i *) sm);
		scz = _mm512_broadcast_i32x4(_mm_cvtepu8_epi16(s8));
		accm = _mm_fmadd_ps(_mm_cvtepi32_ps(LlmMinTermK4(_mm_cvtepu8_epi16(_mm_srli_si128(s8, 8)),
														 y[i].bsums)),
							_mm_set1_ps(LlmH2F(hdmin) * y[i].d), accm);

		for (int c = 0; c < 4; c++)
		{
			__m512i		q = LlmNibbles64K(qs + 32 * c);

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
		acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_set1_ps(LlmH2F(hd) * y[i].d), acc);
	}
	*s = _mm512_reduce_add_ps(acc) - LlmHsum128(accm);
}

static LLM_AVX512 void
LlmVecDotQ4_K_avx512(int64_t n, float *s, const void *w, const void *a)
{
	LlmVecDotK4(false, n, s, w, a);
}

static LLM_AVX512 void
LlmVecDotQ5_K_avx512(int64_t n, float *s, const void *w, const void *a)
{
	LlmVecDotK4(true, n, s, w, a);
}

/*
 * Q6_K, one half (128 weights) at a time: weights 0..63 take the low
 * nibbles of ql[0..63] and qh bits 0-1 (first 32) or 2-3 (next 32);
 * weights 64..127 the high nibbles and qh bits 4-5 or 6-7.  Each 16-weight
 * group has its own signed scale; the -32 comes out as 32 * sum(sc * bsum).
 */
static LLM_AVX512 void
LlmVecDotQ6_K_avx512(int64_t n, float *s, const void *w, const void *a)
{
	const BlockQ6_K *x = w;
	const BlockQ8_K *y = a;
	const int64_t nb = n / QK_K;
	const __m512i m4 = _mm512_set1_epi8(0x0F);
	const __m512i m30 = _mm512_set1_epi8(0x30);
	__m512		acc = _mm512_setzero_ps();

	for (int64_t i = 0; i < nb; i++)
	{
		__m256i		sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *) x[i].scales));
		__m256i		corr = _mm256_madd_epi16(sc16, _mm256_loadu_si256((const __m256i *) y[i].bsums));
		__m512i		sum = _mm512_sub_epi32(_mm512_setzero_si512(),
										   _mm512_zextsi256_si512(_mm256_slli_epi32(corr, 5)));

		for (int h = 0; h < 2; h++)
		{
			__m512i		l = _mm512_loadu_si512(x[i].ql + 64 * h);
			__m512i		hb = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *) (x[i].qh + 32 * h)));
			__m512i		scz = _mm512_broadcast_i32x4(h ? _mm256_extracti128_si256(sc16, 1) :
													 _mm256_castsi256_si128(sc16));
			__m512i		q01 = _mm512_ternarylogic_epi32(_mm512_sllv_epi64(hb, _mm512_set_epi64(2, 2, 2, 2, 4, 4, 4, 4)),
														m30, _mm512_and_si512(l, m4), 0xEA);
			__m512i		q23 = _mm512_ternarylogic_epi32(_mm512_srlv_epi64(hb, _mm512_set_epi64(2, 2, 2, 2, 0, 0, 0, 0)),
														m30, _mm512_and_si512(_mm512_srli_epi16(l, 4), m4), 0xEA);
			const int8_t *q8 = y[i].qs + 128 * h;

			sum = _mm512_dpwssd_epi32(sum, _mm512_maddubs_epi16(q01, _mm512_loadu_si512(q8)),
									  _mm512_shuffle_epi8(scz, LlmWordPick4(0)));
			sum = _mm512_dpwssd_epi32(sum, _mm512_maddubs_epi16(q23, _mm512_loadu_si512(q8 + 64)),
									  _mm512_shuffle_epi8(scz, LlmWordPick4(4)));
		}
		acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_set1_ps(LlmH2F(x[i].d) * y[i].d), acc);
	}
	*s = _mm512_reduce_add_ps(acc);
}

/* ------------------------------------------------------------------------
 * GEMV for 32-weight blocks: one activation row, prepared once, against
 * every weight row in turn.
 *
 * Four blocks A..D of a Q4_0/Q5_0 row fill one register with their 4x16
 * nibble bytes (18 or 22 bytes apart in the file); the low nibbles are
 * elements 0..15 of each block, the high nibbles 16..31.  The prepared
 * activation holds the matching quants in the same order
 * ([A0..15 B0..15 C0..15 D0..15] and the same for 16..31), an accumulator
 * start value carrying -offset * sum(a) of each block, and the float
 * scales.  Per four weight blocks that leaves: four loads, two masks and
 * two VPDPBUSD.  Q8_0 blocks keep their 32 quants together, two blocks per
 * register.
 * ------------------------------------------------------------------------
 */

#define LLM_GEMV_QUADS 128		/* blocks of four per prepared chunk */

typedef struct LlmQ32Prep
{
	int8_t		q[LLM_GEMV_QUADS][128] __attribute__((aligned(64)));
	int32_t		init[LLM_GEMV_QUADS][32] __attribute__((aligned(64)));
	float		da[LLM_GEMV_QUADS][4];
} LlmQ32Prep;

/* prepare quads [0, nq) of an activation row starting at block y */
LLM_INLINE LLM_AVX512 void
LlmPrepQ32(LlmType type, const BlockQ8_0 *y, int nq, LlmQ32Prep *p)
{
	const __m512i off = _mm512_set1_epi8((char) LlmQ32Offset(type));

	for (int q = 0; q < nq; q++)
	{
		const BlockQ8_0 *b = y + 4 * q;

		_mm_storeu_ps(p->da[q], LlmHalves4(b[0].d, b[1].d, b[2].d, b[3].d));
		if (type == LLM_TYPE_Q8_0)
		{
			__m512i		a0 = LlmLoad2x256(b[0].qs, b[1].qs);
			__m512i		a1 = LlmLoad2x256(b[2].qs, b[3].qs);

			_mm512_store_si512(p->q[q], a0);
			_mm512_store_si512(p->q[q] + 64, a1);
			_mm512_store_si512(p->init[q], _mm512_sub_epi32(_mm512_setzero_si512(),
															_mm512_dpbusd_epi32(_mm512_setzero_si512(), off, a0)));
			_mm512_store_si512(p->init[q] + 16, _mm512_sub_epi32(_mm512_setzero_si512(),
																 _mm512_dpbusd_epi32(_mm512_setzero_si512(), off, a1)));
		}
		else
		{
			__m512i		lo = LlmLoad4x128(b[0].qs, b[1].qs, b[2].qs, b[3].qs);
			__m512i		hi = LlmLoad4x128(b[0].qs + 16, b[1].qs + 16, b[2].qs + 16, b[3].qs + 16);
			__m512i		c = _mm512_dpbusd_epi32(_mm512_setzero_si512(), off, lo);

			c = _mm512_dpbusd_epi32(c, off, hi);
			_mm512_store_si512(p->q[q], lo);
			_mm512_store_si512(p->q[q] + 64, hi);
			_mm512_store_si512(p->init[q], _mm512_sub_epi32(_mm512_setzero_si512(), c));
		}
	}
}

/* the 5th bits of four Q5_0 blocks as two 64-bit masks (elements 0..15, 16..31) */
LLM_INLINE void
LlmQ5Masks4(const BlockQ5_0 *b, __mmask64 *klo, __mmask64 *khi)
{
	uint64_t	h0 = LlmLoadU32(b[0].qh),
				h1 = LlmLoadU32(b[1].qh),
				h2 = LlmLoadU32(b[2].qh),
				h3 = LlmLoadU32(b[3].qh);

	*klo = (h0 & 0xffff) | ((h1 & 0xffff) << 16) | ((h2 & 0xffff) << 32) | (h3 << 48);
	*khi = (h0 >> 16) | ((h1 >> 16) << 16) | ((h2 >> 16) << 32) | ((h3 >> 16) << 48);
}

/*
 * Exact integer dots of weight quad q (blocks 4q..4q+3 of row x) with
 * prepared quad q, offsets taken out: 128-bit lane j holds four partial
 * sums of block 4q + j.
 */
LLM_INLINE LLM_AVX512 __m512i
LlmQuadIntQ32(LlmType type, const void *x, int q, const LlmQ32Prep *p)
{
	if (type == LLM_TYPE_Q8_0)
	{
		const BlockQ8_0 *b = (const BlockQ8_0 *) x + 4 * q;
		const __m512i flip = _mm512_set1_epi8((char) 0x80);
		__m512i		d0 = _mm512_dpbusd_epi32(_mm512_load_si512(p->init[q]),
											 _mm512_xor_si512(LlmLoad2x256(b[0].qs, b[1].qs), flip),
											 _mm512_load_si512(p->q[q]));
		__m512i		d1 = _mm512_dpbusd_epi32(_mm512_load_si512(p->init[q] + 16),
											 _mm512_xor_si512(LlmLoad2x256(b[2].qs, b[3].qs), flip),
											 _mm512_load_si512(p->q[q] + 64));

		/* blocks 0 and 1 fill d0's halves, 2 and 3 d1's: fold to one lane each */
		return _mm512_add_epi32(_mm512_shuffle_i32x4(d0, d1, _MM_SHUFFLE(2, 0, 2, 0)),
								_mm512_shuffle_i32x4(d0, d1, _MM_SHUFFLE(3, 1, 3, 1)));
	}
	else
	{
		const __m512i m4 = _mm512_set1_epi8(0x0F);
		const uint8_t *q0,
				   *q1,
				   *q2,
				   *q3;
		__m512i		wv,
					lo,
					hi,
					d;

		if (type == LLM_TYPE_Q4_0)
		{
			const BlockQ4_0 *b = (const BlockQ4_0 *) x + 4 * q;

			q0 = b[0].qs;
			q1 = b[1].qs;
			q2 = b[2].qs;
			q3 = b[3].qs;
		}
		else
		{
			const BlockQ5_0 *b = (const BlockQ5_0 *) x + 4 * q;

			q0 = b[0].qs;
			q1 = b[1].qs;
			q2 = b[2].qs;
			q3 = b[3].qs;
		}
		wv = LlmLoad4x128(q0, q1, q2, q3);
		lo = _mm512_and_si512(wv, m4);
		hi = _mm512_and_si512(_mm512_srli_epi16(wv, 4), m4);
		if (type == LLM_TYPE_Q5_0)
		{
			__mmask64	klo,
						khi;

			LlmQ5Masks4((const BlockQ5_0 *) x + 4 * q, &klo, &khi);
			lo = _mm512_mask_add_epi8(lo, klo, lo, _mm512_set1_epi8(16));
			hi = _mm512_mask_add_epi8(hi, khi, hi, _mm512_set1_epi8(16));
		}
		d = _mm512_dpbusd_epi32(_mm512_load_si512(p->init[q]), lo, _mm512_load_si512(p->q[q]));
		return _mm512_dpbusd_epi32(d, hi, _mm512_load_si512(p->q[q] + 64));
	}
}

/*
 * Whole block sums of four quads: lane 4j + q of the result is block
 * 4q + j of the sixteen (the four partial sums of each added).
 */
LLM_INLINE LLM_AVX512 __m512i
LlmBlockSums16(const __m512i *v)
{
	__m512i		x = _mm512_add_epi32(_mm512_unpacklo_epi32(v[0], v[1]),
									 _mm512_unpackhi_epi32(v[0], v[1]));
	__m512i		y = _mm512_add_epi32(_mm512_unpacklo_epi32(v[2], v[3]),
									 _mm512_unpackhi_epi32(v[2], v[3]));

	return _mm512_add_epi32(_mm512_unpacklo_epi64(x, y), _mm512_unpackhi_epi64(x, y));
}

/* transpose sixteen rows of sixteen floats: lane i of r[l] becomes old lane l of r[i] */
LLM_INLINE LLM_AVX512 void
LlmTranspose16x16(__m512 r[16])
{
	__m512		t[16];
	__m512		u[16];

#pragma GCC unroll 16
	for (int i = 0; i < 8; i++)
	{
		t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
		t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
	}
	/* u[4i + p], 128-bit lane k: element 4k + p of rows 4i..4i+3 */
#pragma GCC unroll 16
	for (int i = 0; i < 4; i++)
	{
		u[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[4 * i]), _mm512_castps_pd(t[4 * i + 2])));
		u[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[4 * i]), _mm512_castps_pd(t[4 * i + 2])));
		u[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[4 * i + 1]), _mm512_castps_pd(t[4 * i + 3])));
		u[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[4 * i + 1]), _mm512_castps_pd(t[4 * i + 3])));
	}
	/* a 4 x 4 transpose of 128-bit lanes for each p */
#pragma GCC unroll 16
	for (int p = 0; p < 4; p++)
	{
		__m512		a = _mm512_shuffle_f32x4(u[p], u[4 + p], _MM_SHUFFLE(1, 0, 1, 0));
		__m512		b = _mm512_shuffle_f32x4(u[p], u[4 + p], _MM_SHUFFLE(3, 2, 3, 2));
		__m512		c = _mm512_shuffle_f32x4(u[8 + p], u[12 + p], _MM_SHUFFLE(1, 0, 1, 0));
		__m512		d = _mm512_shuffle_f32x4(u[8 + p], u[12 + p], _MM_SHUFFLE(3, 2, 3, 2));

		r[p] = _mm512_shuffle_f32x4(a, c, _MM_SHUFFLE(2, 0, 2, 0));
		r[4 + p] = _mm512_shuffle_f32x4(a, c, _MM_SHUFFLE(3, 1, 3, 1));
		r[8 + p] = _mm512_shuffle_f32x4(b, d, _MM_SHUFFLE(2, 0, 2, 0));
		r[12 + p] = _mm512_shuffle_f32x4(b, d, _MM_SHUFFLE(3, 1, 3, 1));
	}
}

/* bytes per block of a 32-weight type */
LLM_INLINE size_t
LlmQ32BlockBytes(LlmType type)
{
	return type == LLM_TYPE_Q4_0 ? sizeof(BlockQ4_0) :
		type == LLM_TYPE_Q5_0 ? sizeof(BlockQ5_0) : sizeof(BlockQ8_0);
}

/* ------------------------------------------------------------------------
 * Packed GEMM for 32-weight blocks (prompt processing).
 *
 * Sixteen weight rows are packed per block into eight registers: 32-bit
 * lane i of register k holds quants 4k..4k+3 of row i (unsigned, as in
 * LlmQ32One), plus the sixteen row scales as floats.  The micro-kernel then
 * computes sixteen rows by up to eight activation rows: per block and
 * activation row, eight VPDPBUSD with a broadcast activation dword, started
 * from -offset * sum(a); then one conversion, one multiply by the row
 * scales and one FMA with the activation scale.  Lane i of the result is
 * row i, so no horizontal sums are needed at all.
 *
 * Blocking: activation rows in groups of LLM_PK_TS, the common dimension
 * in chunks of LLM_PK_KB blocks; per chunk, the activation scales and
 * offsets of the group are computed once and each sixteen-row panel is
 * packed once, then reused by every activation row of the group.  Partial
 * sums of later chunks are added into s.  About 22 kB of stack.
 * ------------------------------------------------------------------------
 */

#define LLM_PK_KB 16			/* blocks per chunk of the common dimension */
#define LLM_PK_TS 96			/* activation rows per group */
#define LLM_PK_T 8				/* activation rows per micro-kernel call */

typedef struct LlmQ32Panel
{
	uint8_t		q[LLM_PK_KB][8][64] __attribute__((aligned(64)));
	float		d[LLM_PK_KB][16] __attribute__((aligned(64)));
} LlmQ32Panel;

typedef struct LlmQ32Aux
{
	float		da[LLM_PK_TS][LLM_PK_KB];
	int32_t		corr[LLM_PK_TS][LLM_PK_KB];
} LlmQ32Aux;

/*
 * Transpose sixteen rows of eight 32-bit words: on return, lane i of r[k]
 * is word k of row i.  On entry r[i] holds row i in its low 256 bits and
 * row i + 8 in its high 256 bits (i < 8).
 */
LLM_INLINE LLM_AVX512 void
LlmTranspose16x8(__m512i r[8])
{
	const __m512i lo = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0);
	const __m512i hi = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
	__m512i		t[8];
	__m512i		u[8];

#pragma GCC unroll 16
	for (int i = 0; i < 4; i++)
	{
		t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
		t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
	}
#pragma GCC unroll 16
	for (int i = 0; i < 2; i++)
	{
		/* u[4i + p]: word p of each 128-bit lane, rows 4i..4i+3 */
		u[4 * i + 0] = _mm512_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
		u[4 * i + 1] = _mm512_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
		u[4 * i + 2] = _mm512_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
		u[4 * i + 3] = _mm512_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
	}
#pragma GCC unroll 16
	for (int p = 0; p < 4; p++)
	{
		r[p] = _mm512_permutex2var_epi64(u[p], lo, u[4 + p]);
		r[4 + p] = _mm512_permutex2var_epi64(u[p], hi, u[4 + p]);
	}
}

/* pack rows [0, rows) of the panel, blocks [b0, b0 + kb); other rows zero */
LLM_INLINE LLM_AVX512 void
LlmPackQ32(LlmType type, const char *w, size_t ws, int rows, int64_t b0, int kb,
		   LlmQ32Panel *p)
{
	for (int b = 0; b < kb; b++)
	{
		__m512i		r[8];
		LlmHalf		hd[16];

#pragma GCC unroll 16
		for (int i = 0; i < 8; i++)
		{
			__m256i		r0 = i < rows ? LlmQ32One(type, w + ws * i, b0 + b) : _mm256_setzero_si256();
			__m256i		r1 = i + 8 < rows ? LlmQ32One(type, w + ws * (i + 8), b0 + b) : _mm256_setzero_si256();

			r[i] = _mm512_inserti64x4(_mm512_castsi256_si512(r0), r1, 1);
		}
#pragma GCC unroll 16
		for (int i = 0; i < 16; i++)
			hd[i] = i < rows ? LlmQ32Scale(type, w + ws * i, b0 + b) : 0;
		LlmTranspose16x8(r);
#pragma GCC unroll 16
		for (int k = 0; k < 8; k++)
			_mm512_store_si512(p->q[b][k], r[k]);
		_mm512_store_ps(p->d[b], _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) hd)));
	}
}

/* scales and -offset * sum(a) of blocks [b0, b0 + kb) of activation rows */
LLM_INLINE LLM_AVX512 void
LlmAuxQ32(LlmType type, const char *a, size_t as, int nt, int64_t b0, int kb, LlmQ32Aux *x)
{
	const int	off = LlmQ32Offset(type);

	for (int t = 0; t < nt; t++)
	{
		const BlockQ8_0 *y = (const BlockQ8_0 *) (a + as * t) + b0;

		for (int b = 0; b < kb; b++)
		{
			/* sum of 32 signed bytes: SAD of (q + 128) against zero, less 32 * 128 */
			__m256i		q = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *) y[b].qs),
											 _mm256_set1_epi8((char) 0x80));
			__m256i		sad = _mm256_sad_epu8(q, _mm256_setzero_si256());
			__m128i		s2 = _mm_add_epi64(_mm256_castsi256_si128(sad), _mm256_extracti128_si256(sad, 1));
			int			sum = (int) (_mm_cvtsi128_si64(s2) + _mm_extract_epi64(s2, 1)) - 32 * 128;

			x->da[t][b] = LlmH2F(y[b].d);
			x->corr[t][b] = -off * sum;
		}
	}
}

/*
 * acc[t] += rows of the panel times activation row t (T of them, given as
 * pointers to block b0), over kb blocks.
 */
LLM_INLINE LLM_AVX512 void
LlmMicroQ32(const int T, int kb, const LlmQ32Panel *p, const BlockQ8_0 *const *y,
			const LlmQ32Aux *x, int t0, __m512 *acc)
{
	for (int b = 0; b < kb; b++)
	{
		__m512i		d[LLM_PK_T];
		__m512		dw = _mm512_load_ps(p->d[b]);

#pragma GCC unroll 16
		for (int t = 0; t < T; t++)
			d[t] = _mm512_set1_epi32(x->corr[t0 + t][b]);
#pragma GCC unroll 16
		for (int k = 0; k < 8; k++)
		{
			__m512i		wk = _mm512_load_si512(p->q[b][k]);

#pragma GCC unroll 16
			for (int t = 0; t < T; t++)
				d[t] = _mm512_dpbusd_epi32(d[t], wk,
										   _mm512_set1_epi32((int) LlmLoadU32(y[t][b].qs + 4 * k)));
		}
#pragma GCC unroll 16
		for (int t = 0; t < T; t++)
			acc[t] = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(d[t]), dw),
									 _mm512_set1_ps(x->da[t0 + t][b]), acc[t]);
	}
}

/* T activation rows of the group against one packed panel, into s */
LLM_INLINE LLM_AVX512 void
LlmPanelRowsQ32(const int T, int kb, const LlmQ32Panel *p, const char *a, size_t as,
				int64_t b0, const LlmQ32Aux *x, int t0, float *s, size_t ldc,
				__mmask16 m, bool add)
{
	const BlockQ8_0 *y[LLM_PK_T];
	__m512		acc[LLM_PK_T];

#pragma GCC unroll 16
	for (int t = 0; t < T; t++)
	{
		y[t] = (const BlockQ8_0 *) (a + as * (t0 + t)) + b0;
		acc[t] = _mm512_setzero_ps();
	}
	LlmMicroQ32(T, kb, p, y, x, t0, acc);
#pragma GCC unroll 16
	for (int t = 0; t < T; t++)
	{
		float	   *st = s + ldc * (t0 + t);

		if (add)
			acc[t] = _mm512_add_ps(acc[t], _mm512_maskz_loadu_ps(m, st));
		_mm512_mask_storeu_ps(st, m, acc[t]);
	}
}

LLM_INLINE LLM_AVX512 void
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
			for (int r0 = 0; r0 < nr; r0 += 16)
			{
				int			rows = nr - r0 < 16 ? nr - r0 : 16;
				__mmask16	m = LlmMask16(rows);
				int			t = 0;

				LlmPackQ32(type, (const char *) w + ws * r0, ws, rows, b0, kb, &panel);
				for (; t + LLM_PK_T <= ng; t += LLM_PK_T)
					LlmPanelRowsQ32(LLM_PK_T, kb, &panel, ag, as, b0, &aux, t, sg + r0, ldc, m, b0 > 0);
				switch (ng - t)
				{
					case 7:
						LlmPanelRowsQ32(7, kb, &panel, ag, as, b0, &aux, t, sg + r0, ldc, m, b0 > 0);
						break;
					case 6:
						LlmPanelRowsQ32(6, kb, &panel, ag, as, b0, &aux, t, sg + r0, ldc, m, b0 > 0);
						break;
					case 5:
						LlmPanelRowsQ32(5, kb, &panel, ag, as, b0, &aux, t, sg + r0, ldc, m, b0 > 0);
						break;
					case 4:
						LlmPanelRowsQ32(4, kb, &panel, ag, as, b0, &aux, t, sg + r0, ldc, m, b0 > 0);
						break;
					case 3:
						LlmPanelRowsQ32(3, kb, &panel, ag, as, b0, &aux, t, sg + r0, ldc, m, b0 > 0);
						break;
					case 2:
						LlmPanelRowsQ32(2, kb, &panel, ag, as, b0, &aux, t, sg + r0, ldc, m, b0 > 0);
						break;
					case 1:
						LlmPanelRowsQ32(1, kb, &panel, ag, as, b0, &aux, t, sg + r0, ldc, m, b0 > 0);
						break;
					default:
						break;
				}
			}
		}
	}
}

/*
 * One activation row: s[r] = dot(weight row r, y) for r < nr, with the
 * bits of the packed GEMM above, so that a row decoded alone and a row in a
 * batch agree exactly.  That fixes the float order per element: per chunk
 * of LLM_PK_KB blocks, acc = fma(float(block sum) * dw, da, acc) over the
 * blocks in order, and the chunk sums added up in order.
 *
 * Instead of packing panels, each of sixteen weight rows is streamed from
 * start to end as in a plain GEMV (four blocks per prepared quad), leaving
 * float(block sum) * dw per block in a small buffer, a chunk of sixteen
 * blocks a vector (lane = block, in LlmBlockSums16's order); blocks of a
 * last short quad are summed one at a time, missing blocks give zero
 * lanes.  Then each chunk's sixteen vectors are transposed (lane = row)
 * and the FMA chain runs over its blocks.
 */
LLM_INLINE LLM_AVX512 void
LlmGemvQ32(LlmType type, int64_t n, int nr, float *s, const void *w, size_t ws,
		   const BlockQ8_0 *y)
{
	const int64_t nb = n / QK8_0;
	const size_t bb = LlmQ32BlockBytes(type);
	__m512i		lane_block;
	__m512i		sidx;
	LlmQ32Prep	prep;
	float		buf[16][4 * LLM_GEMV_QUADS] __attribute__((aligned(64)));

	/* block 4q + j of a chunk sits in lane 4j + q of LlmBlockSums16 */
	{
		int32_t		idx[16];

		for (int l = 0; l < 16; l++)
			idx[l] = 4 * (l % 4) + l / 4;
		lane_block = _mm512_loadu_si512(idx);
		sidx = _mm512_mullo_epi32(lane_block, _mm512_set1_epi32((int) bb));
	}
	for (int64_t b0 = 0; b0 < nb; b0 += 4 * LLM_GEMV_QUADS)
	{
		int			nbc = nb - b0 < 4 * LLM_GEMV_QUADS ? (int) (nb - b0) : 4 * LLM_GEMV_QUADS;
		const char *wc = (const char *) w + bb * b0;
		const BlockQ8_0 *yc = y + b0;

		LlmPrepQ32(type, yc, nbc / 4, &prep);
		for (int r0 = 0; r0 < nr; r0 += 16)
		{
			int			rows = nr - r0 < 16 ? nr - r0 : 16;
			__mmask16	m = LlmMask16(rows);
			__m512		sum = _mm512_setzero_ps();

			for (int i = 0; i < 16; i++)
			{
				const char *x = wc + ws * (r0 + (i < rows ? i : rows - 1));

				for (int c = 0; c < nbc; c += 16)
				{
					int			kc = nbc - c < 16 ? nbc - c : 16;
					__mmask16	valid = _mm512_cmpgt_epi32_mask(_mm512_set1_epi32(kc), lane_block);
					__m512i		v[4];
					__m512		dw;

#pragma GCC unroll 4
					for (int k = 0; k < 4; k++)
					{
						int			q = c / 4 + k;

						if (4 * q + 4 <= nbc)
							v[k] = LlmQuadIntQ32(type, x, q, &prep);
						else
						{
							/* a short last quad: whole block dots, offsets included */
							v[k] = _mm512_setzero_si512();
							for (int j = 0; 4 * q + j < nbc; j++)
							{
								__m256i		d = LlmQ32DotOne(type, x, 4 * q + j, &yc[4 * q + j]);

								v[k] = _mm512_mask_blend_epi32((__mmask16) (0xF << (4 * j)), v[k],
															   _mm512_broadcast_i32x4(_mm_add_epi32(_mm256_castsi256_si128(d),
																									_mm256_extracti128_si256(d, 1))));
							}
						}
					}
					dw = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(
															   _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), valid, sidx,
																						   x + bb * c, 1)));
					_mm512_store_ps(buf[i] + c, _mm512_mul_ps(_mm512_cvtepi32_ps(LlmBlockSums16(v)), dw));
				}
			}
			if (b0 > 0)
				sum = _mm512_maskz_loadu_ps(m, s + r0);
			for (int c = 0; c < nbc; c += 16)
			{
				int			kc = nbc - c < 16 ? nbc - c : 16;
				__m512		p[16];
				__m512		acc = _mm512_setzero_ps();

#pragma GCC unroll 16
				for (int i = 0; i < 16; i++)
					p[i] = _mm512_load_ps(buf[i] + c);
				LlmTranspose16x16(p);
				for (int b = 0; b < kc; b++)
					acc = _mm512_fmadd_ps(p[4 * (b % 4) + b / 4],
										  _mm512_set1_ps(LlmH2F(yc[c + b].d)), acc);
				sum = b0 == 0 && c == 0 ? acc : _mm512_add_ps(sum, acc);
			}
			_mm512_mask_storeu_ps(s + r0, m, sum);
		}
	}
}

/* few activation rows: stream the weights per row; many: packed panels */
#define LLM_PK_MIN_NT 4

LLM_INLINE LLM_AVX512 void
LlmGemmQ32(LlmType type, int64_t n, int nr, int nt, float *s, size_t ldc,
		   const void *w, size_t ws, const void *a, size_t as)
{
	if (nt >= LLM_PK_MIN_NT)
		LlmGemmPackedQ32(type, n, nr, nt, s, ldc, w, ws, a, as);
	else
		for (int t = 0; t < nt; t++)
			LlmGemvQ32(type, n, nr, s + ldc * t, w, ws,
					   (const BlockQ8_0 *) ((const char *) a + as * t));
}

static LLM_AVX512 void
LlmGemmQ8_0_avx512(int64_t n, int nr, int nt, float *s, size_t ldc,
				   const void *w, size_t ws, const void *a, size_t as)
{
	LlmGemmQ32(LLM_TYPE_Q8_0, n, nr, nt, s, ldc, w, ws, a, as);
}

static LLM_AVX512 void
LlmGemmQ4_0_avx512(int64_t n, int nr, int nt, float *s, size_t ldc,
				   const void *w, size_t ws, const void *a, size_t as)
{
	LlmGemmQ32(LLM_TYPE_Q4_0, n, nr, nt, s, ldc, w, ws, a, as);
}

static LLM_AVX512 void
LlmGemmQ5_0_avx512(int64_t n, int nr, int nt, float *s, size_t ldc,
				   const void *w, size_t ws, const void *a, size_t as)
{
	LlmGemmQ32(LLM_TYPE_Q5_0, n, nr, nt, s, ldc, w, ws, a, as);
}

/* ------------------------------------------------------------------------
 * gemm for the float formats (F32, F16, BF16).
 *
 * One activation row (attention's K q and V^T p go through here with
 * n = head_dim or n = number of keys): sixteen rows at a time, each summed
 * into its own register and the sixteen reduced together.  More activation
 * rows: 4 x 4 tiles of sixteen accumulators, which LlmHsum16x16 reduces in
 * one go.
 * ------------------------------------------------------------------------
 */

typedef enum LlmFloatKind
{
	LLM_FK_F32,
	LLM_FK_F16,
	LLM_FK_BF16					/* widened by a shift */
} LlmFloatKind;

/* 16 values of a row as floats */
LLM_INLINE LLM_AVX512 __m512
LlmLoadF(LlmFloatKind kind, const void *p, int64_t i)
{
	switch (kind)
	{
		case LLM_FK_F32:
			return _mm512_loadu_ps((const float *) p + i);
		case LLM_FK_F16:
			return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) ((const LlmHalf *) p + i)));
		default:
			return LlmBf16To16(_mm256_loadu_si256((const __m256i *) ((const LlmBf16 *) p + i)));
	}
}

/* the same, lanes outside m zero */
LLM_INLINE LLM_AVX512 __m512
LlmLoadFMask(LlmFloatKind kind, const void *p, int64_t i, __mmask16 m)
{
	switch (kind)
	{
		case LLM_FK_F32:
			return _mm512_maskz_loadu_ps(m, (const float *) p + i);
		case LLM_FK_F16:
			return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, (const LlmHalf *) p + i));
		default:
			return LlmBf16To16(_mm256_maskz_loadu_epi16(m, (const LlmBf16 *) p + i));
	}
}

/* sixteen lanes of row results into s[0..rows) */
LLM_INLINE LLM_AVX512 void
LlmStore16(float *s, const __m512 *acc, int rows)
{
	_mm512_mask_storeu_ps(s, LlmMask16(rows), LlmHsum16x16(acc));
}

/* lanes 4t..4t+3 of sum into s + ldc * t, for t < tn, the first rows of each */
LLM_INLINE LLM_AVX512 void
LlmStoreTile4(__m512 sum, float *s, size_t ldc, int rows, int tn)
{
	__mmask8	m = (__mmask8) ((1u << rows) - 1);

	_mm_mask_storeu_ps(s, m, _mm512_castps512_ps128(sum));
	if (tn > 1)
		_mm_mask_storeu_ps(s + ldc, m, _mm512_extractf32x4_ps(sum, 1));
	if (tn > 2)
		_mm_mask_storeu_ps(s + 2 * ldc, m, _mm512_extractf32x4_ps(sum, 2));
	if (tn > 3)
		_mm_mask_storeu_ps(s + 3 * ldc, m, _mm512_extractf32x4_ps(sum, 3));
}

/*
 * One activation row: sixteen weight rows at a time, each with one
 * accumulator running over the common dimension exactly as in LlmTileF
 * (sixteen lanes, the tail masked to zero, the same LlmHsum16x16 tree), so
 * an output element has the same bits whether its activation row came alone
 * or inside a tile: batched and single-sequence decoding must agree exactly.
 */
LLM_INLINE LLM_AVX512 void
LlmGemvF(LlmFloatKind kind, int64_t n, int nr, float *s, const void *w, size_t ws, const void *a)
{
	for (int r0 = 0; r0 < nr; r0 += 16)
	{
		int			rows = nr - r0 < 16 ? nr - r0 : 16;
		const char *wr[16];
		__m512		acc[16];

#pragma GCC unroll 16
		for (int j = 0; j < 16; j++)
		{
			wr[j] = (const char *) w + ws * (r0 + (j < rows ? j : rows - 1));
			acc[j] = _mm512_setzero_ps();
		}
		for (int64_t i = 0; i < n; i += 16)
		{
			__mmask16	m = n - i >= 16 ? (__mmask16) 0xffff : LlmMask16(n - i);
			__m512		av = m == 0xffff ? LlmLoadF(kind, a, i) : LlmLoadFMask(kind, a, i, m);

#pragma GCC unroll 16
			for (int j = 0; j < 16; j++)
				acc[j] = _mm512_fmadd_ps(m == 0xffff ? LlmLoadF(kind, wr[j], i) :
										 LlmLoadFMask(kind, wr[j], i, m), av, acc[j]);
		}
		LlmStore16(s + r0, acc, rows);
	}
}

/*
 * One 4 x 4 tile: acc[4t + r] = row wr[r] times activation at[t], reduced
 * and stored for the first `rows` rows and `tn` activations.
 */
LLM_INLINE LLM_AVX512 void
LlmTileF(LlmFloatKind kind, int64_t n, const char *const *wr, const char *const *at,
		 float *s, size_t ldc, int rows, int tn)
{
	__m512		acc[16];
	__m512		sum;
	int64_t		i = 0;

#pragma GCC unroll 16
	for (int j = 0; j < 16; j++)
		acc[j] = _mm512_setzero_ps();
	for (; i < n; i += 16)
	{
		__mmask16	m = n - i >= 16 ? (__mmask16) 0xffff : LlmMask16(n - i);
		__m512		wv[4];

#pragma GCC unroll 4
		for (int r = 0; r < 4; r++)
			wv[r] = m == 0xffff ? LlmLoadF(kind, wr[r], i) : LlmLoadFMask(kind, wr[r], i, m);
#pragma GCC unroll 4
		for (int t = 0; t < 4; t++)
		{
			__m512		av = m == 0xffff ? LlmLoadF(kind, at[t], i) : LlmLoadFMask(kind, at[t], i, m);

#pragma GCC unroll 4
			for (int r = 0; r < 4; r++)
				acc[4 * t + r] = _mm512_fmadd_ps(wv[r], av, acc[4 * t + r]);
		}
	}
	sum = LlmHsum16x16(acc);
	LlmStoreTile4(sum, s, ldc, rows, tn);
}

/*
 * 4 x 4 tiles over panels of weight rows small enough to stay in L2 while
 * every activation row passes by.  Rows and activations past the edge
 * repeat the last valid one; their results are not stored.
 */
#define LLM_FLOAT_PANEL_BYTES (256 * 1024)

/*
 * Attention's products read rows (keys, value dimensions) of a KV cache
 * that is far larger than the caches and streams from memory once per
 * step, in rows too short for the hardware prefetcher to pick up: each
 * tile fetches the rows of a tile this many rows ahead.  The first pass
 * over a panel only: later activation tiles find the panel in L2.
 */
#define LLM_FLOAT_PREFETCH 16

LLM_INLINE LLM_AVX512 void
LlmPrefetchRows(const void *w, size_t ws, size_t rowb, int r0, int nr)
{
	for (int r = r0; r < r0 + 4 && r < nr; r++)
		for (size_t b = 0; b < rowb; b += 64)
			_mm_prefetch((const char *) w + ws * r + b, _MM_HINT_T0);
}

#define LLM_FLOAT_TILES(TILE, KIND) \
	do { \
		size_t		rowb = (size_t) n * ((KIND) == LLM_FK_F32 ? 4 : 2); \
		int			panel = (int) (LLM_FLOAT_PANEL_BYTES / (rowb ? rowb : 1)) / 4 * 4; \
		if (panel < 4) \
			panel = 4; \
		for (int p0 = 0; p0 < nr; p0 += panel) \
			for (int t0 = 0; t0 < nt; t0 += 4) \
			{ \
				int			tn = nt - t0 < 4 ? nt - t0 : 4; \
				const char *at[4]; \
				for (int j = 0; j < 4; j++) \
					at[j] = (const char *) a + as * (t0 + (j < tn ? j : tn - 1)); \
				for (int r0 = p0; r0 < nr && r0 < p0 + panel; r0 += 4) \
				{ \
					int			rows = nr - r0 < 4 ? nr - r0 : 4; \
					const char *wr[4]; \
					for (int j = 0; j < 4; j++) \
						wr[j] = (const char *) w + ws * (r0 + (j < rows ? j : rows - 1)); \
					if (t0 == 0) \
						LlmPrefetchRows(w, ws, rowb, r0 + LLM_FLOAT_PREFETCH, nr); \
					TILE; \
				} \
			} \
	} while (0)

LLM_INLINE LLM_AVX512 void
LlmGemmTilesF(LlmFloatKind kind, int64_t n, int nr, int nt, float *s, size_t ldc,
			  const void *w, size_t ws, const void *a, size_t as)
{
	LLM_FLOAT_TILES(LlmTileF(kind, n, wr, at, s + ldc * t0 + r0, ldc, rows, tn), kind);
}

LLM_INLINE LLM_AVX512 void
LlmGemmF(LlmFloatKind kind, int64_t n, int nr, int nt, float *s, size_t ldc,
		 const void *w, size_t ws, const void *a, size_t as)
{
	if (nt == 1)
		LlmGemvF(kind, n, nr, s, w, ws, a);
	else
		LlmGemmTilesF(kind, n, nr, nt, s, ldc, w, ws, a, as);
}

static LLM_AVX512 void
LlmGemmF32_avx512(int64_t n, int nr, int nt, float *s, size_t ldc,
				  const void *w, size_t ws, const void *a, size_t as)
{
	LlmGemmF(LLM_FK_F32, n, nr, nt, s, ldc, w, ws, a, as);
}

static LLM_AVX512 void
LlmGemmF16_avx512(int64_t n, int nr, int nt, float *s, size_t ldc,
				  const void *w, size_t ws, const void *a, size_t as)
{
	LlmGemmF(LLM_FK_F16, n, nr, nt, s, ldc, w, ws, a, as);
}

static LLM_AVX512 void
LlmGemmBf16_avx512(int64_t n, int nr, int nt, float *s, size_t ldc,
				   const void *w, size_t ws, const void *a, size_t as)
{
	LlmGemmF(LLM_FK_BF16, n, nr, nt, s, ldc, w, ws, a, as);
}

/* one 4 x 4 tile with VDPBF16PS, 32 values per instruction */
LLM_INLINE LLM_AVX512BF16 void
LlmTileBf16Dp(int64_t n, const char *const *wr, const char *const *at,
			  float *s, size_t ldc, int rows, int tn)
{
	__m512		acc[16];
	int64_t		i = 0;

#pragma GCC unroll 16
	for (int j = 0; j < 16; j++)
		acc[j] = _mm512_setzero_ps();
	for (; i < n; i += 32)
	{
		__mmask32	m = n - i >= 32 ? ~(__mmask32) 0 : (__mmask32) ((1u << (n - i)) - 1);
		__m512i		wv[4];

#pragma GCC unroll 4
		for (int r = 0; r < 4; r++)
			wv[r] = _mm512_maskz_loadu_epi16(m, (const LlmBf16 *) wr[r] + i);
#pragma GCC unroll 4
		for (int t = 0; t < 4; t++)
		{
			__m512i		av = _mm512_maskz_loadu_epi16(m, (const LlmBf16 *) at[t] + i);

#pragma GCC unroll 4
			for (int r = 0; r < 4; r++)
				acc[4 * t + r] = _mm512_dpbf16_ps(acc[4 * t + r], (__m512bh) wv[r], (__m512bh) av);
		}
	}
	LlmStoreTile4(LlmHsum16x16(acc), s, ldc, rows, tn);
}

/* VDPBF16PS: sixteen rows reduced together, or 4 x 4 tiles */
static LLM_AVX512BF16 void
LlmGemmBf16_avx512bf16(int64_t n, int nr, int nt, float *s, size_t ldc,
					   const void *w, size_t ws, const void *a, size_t as)
{
	if (nt == 1)
	{
		/* one accumulator per row, in LlmTileBf16Dp's order (see LlmGemvF) */
		for (int r0 = 0; r0 < nr; r0 += 16)
		{
			int			rows = nr - r0 < 16 ? nr - r0 : 16;
			const LlmBf16 *wr[16];
			__m512		acc[16];

#pragma GCC unroll 16
			for (int j = 0; j < 16; j++)
			{
				wr[j] = (const LlmBf16 *) ((const char *) w + ws * (r0 + (j < rows ? j : rows - 1)));
				acc[j] = _mm512_setzero_ps();
			}
			for (int64_t i = 0; i < n; i += 32)
			{
				__mmask32	m = n - i >= 32 ? ~(__mmask32) 0 : (__mmask32) ((1u << (n - i)) - 1);
				__m512i		av = _mm512_maskz_loadu_epi16(m, (const LlmBf16 *) a + i);

#pragma GCC unroll 16
				for (int j = 0; j < 16; j++)
					acc[j] = _mm512_dpbf16_ps(acc[j], (__m512bh) _mm512_maskz_loadu_epi16(m, wr[j] + i),
											  (__m512bh) av);
			}
			LlmStore16(s + r0, acc, rows);
		}
		return;
	}
	LLM_FLOAT_TILES(LlmTileBf16Dp(n, wr, at, s + ldc * t0 + r0, ldc, rows, tn), LLM_FK_BF16);
}
/* ------------------------------------------------------------------------
 * gemm for the K-quants.
 *
 * A 64-byte load of Q4_K/Q5_K quants (qs[0..63] or qs[64..127]) holds, in
 * its low nibbles, sub-blocks 0 and 2 (or 4 and 6), and in its high nibbles
 * sub-blocks 1 and 3 (5 and 7).  The activation is prepared in that order
 * ([a0..31 a64..95] [a32..63 a96..127] ...), so each 128 weights cost one
 * load, three mask/shift operations, two VPMADDUBSW and two VPDPWSSD.
 * Q6_K needs no reordering: the low and high nibbles of ql[0..63] are
 * weights 0..63 and 64..127 of each half.
 *
 * One activation row: weight rows streamed in order, sixteen reduced
 * together.  Several: tiles of four weight rows by two activation rows, the
 * weights decoded once per tile.
 * ------------------------------------------------------------------------
 */

#define LLM_KPREP_BLOCKS 64		/* super-blocks per prepared chunk */

typedef struct LlmKPrep
{
	int8_t		q[LLM_KPREP_BLOCKS][256] __attribute__((aligned(64)));
	int16_t		bpair[LLM_KPREP_BLOCKS][8] __attribute__((aligned(16)));	/* bsums[2j] + bsums[2j+1] */
	float		d[LLM_KPREP_BLOCKS];
} LlmKPrep;

/* prepare super-blocks y[0, nb) for Q4_K/Q5_K weights */
LLM_INLINE LLM_AVX512 void
LlmPrepK4(const BlockQ8_K *y, int nb, LlmKPrep *p)
{
	for (int i = 0; i < nb; i++)
	{
		for (int h = 0; h < 2; h++)
		{
			const int8_t *a = y[i].qs + 128 * h;
			int8_t	   *q = p->q[i] + 128 * h;

			/* low nibbles of qs[64h..64h+63]: sub-blocks 4h and 4h+2 */
			_mm512_store_si512(q, LlmLoad2x256(a, a + 64));
			_mm512_store_si512(q + 64, LlmLoad2x256(a + 32, a + 96));
		}
		_mm_store_si128((__m128i *) p->bpair[i],
						_mm_hadd_epi16(_mm_loadu_si128((const __m128i *) y[i].bsums),
									   _mm_loadu_si128((const __m128i *) (y[i].bsums + 8))));
		p->d[i] = y[i].d;
	}
}

/*
 * Decoded quants and 16-bit scales of one Q4_K/Q5_K block: q[j] pairs with
 * prepared activation bytes 64j..64j+63, and scale word pattern sc[j].
 * Returns the eight mins as 16-bit values; VPMADDWD with the prepared
 * bsum pairs gives the min term.
 */
LLM_INLINE LLM_AVX512 __m128i
LlmDecodeK4(bool five, const void *w, int64_t i, __m512i q[4], __m512i sc[4],
			float *d, float *dmin)
{
	const __m512i m4 = _mm512_set1_epi8(0x0F);
	const uint8_t *scales;
	const uint8_t *qs;
	uint32_t	sm[4];
	__m128i		s8;
	__m512i		scz;
	__m512i		z0,
				z1;

	if (five)
	{
		const BlockQ5_K *b = (const BlockQ5_K *) w + i;

		scales = b->scales;
		qs = b->qs;
		*d = LlmH2F(b->d);
		*dmin = LlmH2F(b->dmin);
	}
	else
	{
		const BlockQ4_K *b = (const BlockQ4_K *) w + i;

		scales = b->scales;
		qs = b->qs;
		*d = LlmH2F(b->d);
		*dmin = LlmH2F(b->dmin);
	}
	LlmUnpackScalesK4(scales, sm);
	s8 = _mm_loadu_si128((const __m128i *) sm);
	scz = _mm512_broadcast_i32x4(_mm_cvtepu8_epi16(s8));
	z0 = _mm512_loadu_si512(qs);
	z1 = _mm512_loadu_si512(qs + 64);
	LLM_KEEP(z0);
	LLM_KEEP(z1);
	q[0] = _mm512_and_si512(z0, m4);
	q[1] = _mm512_and_si512(_mm512_srli_epi16(z0, 4), m4);
	q[2] = _mm512_and_si512(z1, m4);
	q[3] = _mm512_and_si512(_mm512_srli_epi16(z1, 4), m4);
	if (five)
	{
		const BlockQ5_K *b = (const BlockQ5_K *) w + i;
		__m512i		hz = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *) b->qh));
		const __m512i b16 = _mm512_set1_epi8(16);

		/* bit j of qh[l] is the fifth bit of element l of sub-block j */
#pragma GCC unroll 4
		for (int j = 0; j < 4; j++)
		{
			int			lo = j / 2 * 4 + j % 2;	/* 0, 1, 4, 5 */
			__m512i		bit = _mm512_inserti64x4(_mm512_set1_epi8((char) (1 << lo)),
												 _mm256_set1_epi8((char) (1 << (lo + 2))), 1);

			q[j] = _mm512_mask_add_epi8(q[j], _mm512_test_epi8_mask(hz, bit), q[j], b16);
		}
	}
	sc[0] = _mm512_shuffle_epi8(scz, LlmWordPick2(0, 2));
	sc[1] = _mm512_shuffle_epi8(scz, LlmWordPick2(1, 3));
	sc[2] = _mm512_shuffle_epi8(scz, LlmWordPick2(4, 6));
	sc[3] = _mm512_shuffle_epi8(scz, LlmWordPick2(5, 7));
	return _mm_cvtepu8_epi16(_mm_srli_si128(s8, 8));
}

/* Q4_K/Q5_K row over prepared super-blocks: acc - min terms, as lanes */
LLM_INLINE LLM_AVX512 __m512
LlmRowK4(bool five, const void *w, int nb, const LlmKPrep *p)
{
	__m512		acc = _mm512_setzero_ps();
	__m128		accm = _mm_setzero_ps();

	for (int i = 0; i < nb; i++)
	{
		__m512i		q[4];
		__m512i		sc[4];
		__m512i		sum = _mm512_setzero_si512();
		float		d,
					dmin;
		__m128i		mins = LlmDecodeK4(five, w, i, q, sc, &d, &dmin);
		__m128i		mt = _mm_madd_epi16(mins, _mm_load_si128((const __m128i *) p->bpair[i]));

#pragma GCC unroll 4
		for (int j = 0; j < 4; j++)
			sum = _mm512_dpwssd_epi32(sum, _mm512_maddubs_epi16(q[j], _mm512_load_si512(p->q[i] + 64 * j)),
									  sc[j]);
		acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_set1_ps(d * p->d[i]), acc);
		accm = _mm_fmadd_ps(_mm_cvtepi32_ps(mt), _mm_set1_ps(dmin * p->d[i]), accm);
	}
	return _mm512_sub_ps(acc, _mm512_zextps128_ps512(accm));
}

/*
 * Decoded Q6_K half h (128 weights): q[0] pairs with activation bytes
 * 128h..128h+63, q[1] with the next 64; the scale words of its eight
 * 16-weight groups.
 */
LLM_INLINE LLM_AVX512 void
LlmDecodeQ6Half(const BlockQ6_K *b, int h, __m256i sc16, __m512i q[2], __m512i sc[2])
{
	const __m512i m4 = _mm512_set1_epi8(0x0F);
	const __m512i m30 = _mm512_set1_epi8(0x30);
	__m512i		l = _mm512_loadu_si512(b->ql + 64 * h);
	__m512i		hb = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *) (b->qh + 32 * h)));
	__m512i		scz = _mm512_broadcast_i32x4(h ? _mm256_extracti128_si256(sc16, 1) :
											 _mm256_castsi256_si128(sc16));

	LLM_KEEP(l);
	q[0] = _mm512_ternarylogic_epi32(_mm512_sllv_epi64(hb, _mm512_set_epi64(2, 2, 2, 2, 4, 4, 4, 4)),
									 m30, _mm512_and_si512(l, m4), 0xEA);
	q[1] = _mm512_ternarylogic_epi32(_mm512_srlv_epi64(hb, _mm512_set_epi64(2, 2, 2, 2, 0, 0, 0, 0)),
									 m30, _mm512_and_si512(_mm512_srli_epi16(l, 4), m4), 0xEA);
	sc[0] = _mm512_shuffle_epi8(scz, LlmWordPick4(0));
	sc[1] = _mm512_shuffle_epi8(scz, LlmWordPick4(4));
}

/* 32 * sum over the 16 groups of scale * bsum, as 32-bit lanes */
LLM_INLINE LLM_AVX512 __m512i
LlmQ6Offset(__m256i sc16, const int16_t *bsums)
{
	__m256i		c = _mm256_madd_epi16(sc16, _mm256_loadu_si256((const __m256i *) bsums));

	return _mm512_zextsi256_si512(_mm256_slli_epi32(c, 5));
}

/* Q6_K row times natural Q8_K activations, as lanes */
LLM_INLINE LLM_AVX512 __m512
LlmRowQ6K(const BlockQ6_K *x, int64_t nb, const BlockQ8_K *y)
{
	__m512		acc = _mm512_setzero_ps();

	for (int64_t i = 0; i < nb; i++)
	{
		__m256i		sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *) x[i].scales));
		__m512i		sum = _mm512_sub_epi32(_mm512_setzero_si512(), LlmQ6Offset(sc16, y[i].bsums));

#pragma GCC unroll 2
		for (int h = 0; h < 2; h++)
		{
			__m512i		q[2];
			__m512i		sc[2];

			LlmDecodeQ6Half(&x[i], h, sc16, q, sc);
			sum = _mm512_dpwssd_epi32(sum, _mm512_maddubs_epi16(q[0], _mm512_loadu_si512(y[i].qs + 128 * h)),
									  sc[0]);
			sum = _mm512_dpwssd_epi32(sum, _mm512_maddubs_epi16(q[1], _mm512_loadu_si512(y[i].qs + 128 * h + 64)),
									  sc[1]);
		}
		acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_set1_ps(LlmH2F(x[i].d) * y[i].d), acc);
	}
	return acc;
}

/* one activation row against nr weight rows, sixteen reduced together */
LLM_INLINE LLM_AVX512 void
LlmGemvK(LlmType type, int64_t n, int nr, float *s, const void *w, size_t ws, const BlockQ8_K *y)
{
	const int64_t nb = n / QK_K;
	const size_t bb = type == LLM_TYPE_Q4_K ? sizeof(BlockQ4_K) :
		type == LLM_TYPE_Q5_K ? sizeof(BlockQ5_K) : sizeof(BlockQ6_K);
	LlmKPrep	prep;

	for (int64_t b0 = 0; b0 == 0 || b0 < nb; b0 += LLM_KPREP_BLOCKS)
	{
		int			nbc = nb - b0 < LLM_KPREP_BLOCKS ? (int) (nb - b0) : LLM_KPREP_BLOCKS;
		const char *wc = (const char *) w + bb * b0;

		if (type != LLM_TYPE_Q6_K)
			LlmPrepK4(y + b0, nbc, &prep);
		for (int r0 = 0; r0 < nr; r0 += 16)
		{
			int			rows = nr - r0 < 16 ? nr - r0 : 16;
			__mmask16	m = LlmMask16(rows);
			__m512		acc[16];
			__m512		sum;

			for (int i = 0; i < 16; i++)
			{
				const char *x = wc + ws * (r0 + i);

				if (i >= rows)
					acc[i] = _mm512_setzero_ps();
				else if (type == LLM_TYPE_Q6_K)
					acc[i] = LlmRowQ6K((const BlockQ6_K *) x, nbc, y + b0);
				else
					acc[i] = LlmRowK4(type == LLM_TYPE_Q5_K, x, nbc, &prep);
			}
			sum = LlmHsum16x16(acc);
			if (b0 > 0)
				sum = _mm512_add_ps(sum, _mm512_maskz_loadu_ps(m, s + r0));
			_mm512_mask_storeu_ps(s + r0, m, sum);
		}
	}
}

/*
 * Tiles of four weight rows by two activation rows: each 64-weight chunk
 * of a row is decoded once and multiplied with both activations.  Rows and
 * activations past the edge repeat the last one and are not stored.
 * acc[4t + r] is row r times activation t; accm the Q4_K/Q5_K min terms.
 */
LLM_INLINE LLM_AVX512 void
LlmTileK(LlmType type, const char *const *x, int nbc, const BlockQ8_K *const *y,
		 const LlmKPrep *prep, __m512 *acc, __m128 *accm)
{
	for (int i = 0; i < nbc; i++)
	{
#pragma GCC unroll 4
		for (int r = 0; r < 4; r++)
		{
			__m512i		s0 = _mm512_setzero_si512();
			__m512i		s1 = _mm512_setzero_si512();

			if (type == LLM_TYPE_Q6_K)
			{
				const BlockQ6_K *b = (const BlockQ6_K *) x[r] + i;
				__m256i		sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *) b->scales));
				float		d = LlmH2F(b->d);

#pragma GCC unroll 2
				for (int h = 0; h < 2; h++)
				{
					__m512i		q[2];
					__m512i		sc[2];

					LlmDecodeQ6Half(b, h, sc16, q, sc);
#pragma GCC unroll 2
					for (int j = 0; j < 2; j++)
					{
						s0 = _mm512_dpwssd_epi32(s0, _mm512_maddubs_epi16(q[j], _mm512_loadu_si512(y[0][i].qs + 128 * h + 64 * j)),
												 sc[j]);
						s1 = _mm512_dpwssd_epi32(s1, _mm512_maddubs_epi16(q[j], _mm512_loadu_si512(y[1][i].qs + 128 * h + 64 * j)),
												 sc[j]);
					}
				}
				/* the -32 offset: 32 * sum(sc * bsum) per activation */
				s0 = _mm512_sub_epi32(s0, LlmQ6Offset(sc16, y[0][i].bsums));
				s1 = _mm512_sub_epi32(s1, LlmQ6Offset(sc16, y[1][i].bsums));
				acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s0), _mm512_set1_ps(d * y[0][i].d), acc[r]);
				acc[4 + r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s1), _mm512_set1_ps(d * y[1][i].d), acc[4 + r]);
			}
			else
			{
				__m512i		q[4];
				__m512i		sc[4];
				float		d,
							dmin;
				__m128i		mins = LlmDecodeK4(type == LLM_TYPE_Q5_K, x[r], i, q, sc, &d, &dmin);

#pragma GCC unroll 4
				for (int j = 0; j < 4; j++)
				{
					s0 = _mm512_dpwssd_epi32(s0, _mm512_maddubs_epi16(q[j], _mm512_load_si512(prep[0].q[i] + 64 * j)), sc[j]);
					s1 = _mm512_dpwssd_epi32(s1, _mm512_maddubs_epi16(q[j], _mm512_load_si512(prep[1].q[i] + 64 * j)), sc[j]);
				}
				acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s0), _mm512_set1_ps(d * prep[0].d[i]), acc[r]);
				acc[4 + r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s1), _mm512_set1_ps(d * prep[1].d[i]), acc[4 + r]);
				accm[r] = _mm_fmadd_ps(_mm_cvtepi32_ps(_mm_madd_epi16(mins, _mm_load_si128((const __m128i *) prep[0].bpair[i]))),
									   _mm_set1_ps(dmin * prep[0].d[i]), accm[r]);
				accm[4 + r] = _mm_fmadd_ps(_mm_cvtepi32_ps(_mm_madd_epi16(mins, _mm_load_si128((const __m128i *) prep[1].bpair[i]))),
										   _mm_set1_ps(dmin * prep[1].d[i]), accm[4 + r]);
			}
		}
	}
}

LLM_INLINE LLM_AVX512 void
LlmGemmTilesK(LlmType type, int64_t n, int nr, int nt, float *s, size_t ldc,
			  const void *w, size_t ws, const void *a, size_t as)
{
	const int64_t nb = n / QK_K;
	const size_t bb = type == LLM_TYPE_Q4_K ? sizeof(BlockQ4_K) :
		type == LLM_TYPE_Q5_K ? sizeof(BlockQ5_K) : sizeof(BlockQ6_K);
	LlmKPrep	prep[2];

	for (int64_t b0 = 0; b0 < nb; b0 += LLM_KPREP_BLOCKS)
	{
		int			nbc = nb - b0 < LLM_KPREP_BLOCKS ? (int) (nb - b0) : LLM_KPREP_BLOCKS;

		for (int t0 = 0; t0 < nt; t0 += 2)
		{
			const BlockQ8_K *y[2];
			int			tn = nt - t0 < 2 ? nt - t0 : 2;

			for (int t = 0; t < 2; t++)
			{
				y[t] = (const BlockQ8_K *) ((const char *) a + as * (t0 + (t < tn ? t : tn - 1))) + b0;
				if (type != LLM_TYPE_Q6_K)
					LlmPrepK4(y[t], nbc, &prep[t]);
			}
			for (int r0 = 0; r0 < nr; r0 += 4)
			{
				int			rows = nr - r0 < 4 ? nr - r0 : 4;
				__mmask8	m = (__mmask8) ((1u << rows) - 1);
				const char *x[4];
				__m512		acc[16];
				__m128		accm[8];
				__m512		sum;

				for (int r = 0; r < 4; r++)
					x[r] = (const char *) w + ws * (r0 + (r < rows ? r : rows - 1)) + bb * b0;
#pragma GCC unroll 16
				for (int j = 0; j < 16; j++)
					acc[j] = _mm512_setzero_ps();
#pragma GCC unroll 8
				for (int j = 0; j < 8; j++)
					accm[j] = _mm_setzero_ps();
				LlmTileK(type, x, nbc, y, prep, acc, accm);
#pragma GCC unroll 8
				for (int j = 0; j < 8; j++)
					acc[j] = _mm512_sub_ps(acc[j], _mm512_zextps128_ps512(accm[j]));
				sum = LlmHsum16x16(acc);
				for (int t = 0; t < tn; t++)
				{
					float	   *st = s + ldc * (t0 + t) + r0;
					__m128		v = t ? _mm512_extractf32x4_ps(sum, 1) : _mm512_castps512_ps128(sum);

					if (b0 > 0)
						v = _mm_add_ps(v, _mm_maskz_loadu_ps(m, st));
					_mm_mask_storeu_ps(st, m, v);
				}
			}
		}
	}
}

LLM_INLINE LLM_AVX512 void
LlmGemmK(LlmType type, int64_t n, int nr, int nt, float *s, size_t ldc,
		 const void *w, size_t ws, const void *a, size_t as)
{
	if (nt == 1)
		LlmGemvK(type, n, nr, s, w, ws, a);
	else
		LlmGemmTilesK(type, n, nr, nt, s, ldc, w, ws, a, as);
}

static LLM_AVX512 void
LlmGemmQ4_K_avx512(int64_t n, int nr, int nt, float *s, size_t ldc,
				   const void *w, size_t ws, const void *a, size_t as)
{
	LlmGemmK(LLM_TYPE_Q4_K, n, nr, nt, s, ldc, w, ws, a, as);
}

static LLM_AVX512 void
LlmGemmQ5_K_avx512(int64_t n, int nr, int nt, float *s, size_t ldc,
				   const void *w, size_t ws, const void *a, size_t as)
{
	LlmGemmK(LLM_TYPE_Q5_K, n, nr, nt, s, ldc, w, ws, a, as);
}

static LLM_AVX512 void
LlmGemmQ6_K_avx512(int64_t n, int nr, int nt, float *s, size_t ldc,
				   const void *w, size_t ws, const void *a, size_t as)
{
	LlmGemmK(LLM_TYPE_Q6_K, n, nr, nt, s, ldc, w, ws, a, as);
}

/* ------------------------------------------------------------------------
 * Tables
 * ------------------------------------------------------------------------
 */

#define LLM_AVX512_COMMON \
	.softmax = LlmSoftmax_avx512, \
	.swiglu = LlmSwiGlu_avx512, \
	.vec_dot = { \
		[LLM_TYPE_F32] = LlmVecDotF32_avx512, \
		[LLM_TYPE_F16] = LlmVecDotF16_avx512, \
		[LLM_TYPE_Q8_0] = LlmVecDotQ8_0_avx512, \
		[LLM_TYPE_Q4_0] = LlmVecDotQ4_0_avx512, \
		[LLM_TYPE_Q5_0] = LlmVecDotQ5_0_avx512, \
		[LLM_TYPE_Q4_K] = LlmVecDotQ4_K_avx512, \
		[LLM_TYPE_Q5_K] = LlmVecDotQ5_K_avx512, \
		[LLM_TYPE_Q6_K] = LlmVecDotQ6_K_avx512, \
		LLM_AVX512_BF16_DOT \
	}, \
	.gemm = { \
		[LLM_TYPE_F32] = LlmGemmF32_avx512, \
		[LLM_TYPE_F16] = LlmGemmF16_avx512, \
		[LLM_TYPE_Q8_0] = LlmGemmQ8_0_avx512, \
		[LLM_TYPE_Q4_0] = LlmGemmQ4_0_avx512, \
		[LLM_TYPE_Q5_0] = LlmGemmQ5_0_avx512, \
		[LLM_TYPE_Q4_K] = LlmGemmQ4_K_avx512, \
		[LLM_TYPE_Q5_K] = LlmGemmQ5_K_avx512, \
		[LLM_TYPE_Q6_K] = LlmGemmQ6_K_avx512, \
		LLM_AVX512_BF16_GEMM \
	}, \
	.from_float = { \
		[LLM_TYPE_F32] = LlmFromFloatF32_avx512, \
		[LLM_TYPE_F16] = LlmFromFloatF16_avx512, \
		[LLM_TYPE_BF16] = LlmFromFloatBf16_avx512, \
		[LLM_TYPE_Q8_0] = LlmQuantizeQ8_0_avx512, \
		[LLM_TYPE_Q8_K] = LlmQuantizeQ8_K_avx512, \
	}, \
	.to_float = { \
		[LLM_TYPE_F32] = LlmToFloatF32_avx512, \
		[LLM_TYPE_F16] = LlmToFloatF16_avx512, \
		[LLM_TYPE_BF16] = LlmToFloatBf16_avx512, \
		[LLM_TYPE_Q8_0] = LlmDequantizeQ8_0_avx512, \
		[LLM_TYPE_Q4_0] = LlmDequantizeQ4_0_avx512, \
		[LLM_TYPE_Q5_0] = LlmDequantizeQ5_0_avx512, \
		[LLM_TYPE_Q4_K] = LlmDequantizeQ4_K_avx512, \
		[LLM_TYPE_Q5_K] = LlmDequantizeQ5_K_avx512, \
		[LLM_TYPE_Q6_K] = LlmDequantizeQ6_K_avx512, \
		[LLM_TYPE_Q8_K] = LlmDequantizeQ8_K_avx512, \
	}

#define LLM_AVX512_BF16_DOT [LLM_TYPE_BF16] = LlmVecDotBf16_avx512
#define LLM_AVX512_BF16_GEMM [LLM_TYPE_BF16] = LlmGemmBf16_avx512
static const LlmKernelTable llm_kernels_avx512vnni = {
	.name = "avx512vnni",
	LLM_AVX512_COMMON
};
#undef LLM_AVX512_BF16_DOT
#undef LLM_AVX512_BF16_GEMM

#define LLM_AVX512_BF16_DOT [LLM_TYPE_BF16] = LlmVecDotBf16_avx512bf16
#define LLM_AVX512_BF16_GEMM [LLM_TYPE_BF16] = LlmGemmBf16_avx512bf16
static const LlmKernelTable llm_kernels_avx512bf16 = {
	.name = "avx512bf16",
	LLM_AVX512_COMMON
};
#undef LLM_AVX512_BF16_DOT
#undef LLM_AVX512_BF16_GEMM

const LlmKernelTable *
LlmKernelsAvx512Vnni(void)
{
	return &llm_kernels_avx512vnni;
}

const LlmKernelTable *
LlmKernelsAvx512Bf16(void)
{
	return &llm_kernels_avx512bf16;
}

#endif							/* __x86_64__ */
