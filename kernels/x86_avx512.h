/*-------------------------------------------------------------------------
 *
 * x86_avx512.h
 *	  Internal to the AVX-512 kernel variants, "avx512vnni" (F/BW/VL/DQ +
 *	  VNNI) and "avx512bf16" (the same plus AVX512_BF16 for BF16 weights):
 *	  the inline helpers their files share.
 *
 * The variants are split by job, with the same layout as the AVX2 variant:
 *
 *	x86_avx512_convert.c	from_float and to_float: activation converters,
 *							F16/BF16 conversions, dequantizers
 *	x86_avx512_dot.c		vec_dot, one weight row by one activation row
 *	x86_avx512_gemm.c		gemm: the float tiles and the quantized tiles
 *
 * and x86_tables.c assembles the tables from them.
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
#ifndef LLM_KERNELS_X86_AVX512_H
#define LLM_KERNELS_X86_AVX512_H

#if defined(__x86_64__)

#include "x86_common.h"

#define LLM_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")))
#define LLM_AVX512BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512bf16,avx2,fma,f16c")))

/*
 * Keep a loaded vector in a register.  GCC otherwise folds the load into
 * every instruction that uses the value, reading the same 64 bytes two or
 * three times, and the weight-decoding loops are close to the load limit.
 */
#define LLM_KEEP(v) __asm__("" : "+v"(v))

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

/* sixteen bf16 values as floats: the bf16 bits are the float's top half */
LLM_INLINE LLM_AVX512 __m512
LlmBf16To16(__m256i h)
{
	return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

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

/*
 * The 32 quants of weight block i as unsigned bytes in element order:
 * Q8_0 flipped to w + 128, Q4_0/Q5_0 as they are (LlmQ32Offset).
 */
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

/* ------------------------------------------------------------------------
 * Panels of sixteen weight rows of a 32-weight type, for the packed GEMM
 * (x86_avx512_gemm.c) and the AMX tiles (x86_amx.c): per block, 32-bit
 * lane i of row k of the panel holds quants 4k..4k+3 of weight row i, and
 * the row scales as floats.
 *
 * Both compute each output element as the same float chain over chunks of
 * LLM_PK_KB blocks: per chunk, acc = fma(float(block sum) * dw, da, acc)
 * over its blocks in order from acc = 0, the chunk sums then added up in
 * order.  So a row gets the same bits through either (and through the
 * GEMV, which follows the same order).
 * ------------------------------------------------------------------------
 */

#define LLM_PK_KB 16			/* blocks per chunk of the common dimension */

typedef struct LlmQ32Panel
{
	uint8_t		q[LLM_PK_KB][8][64] __attribute__((aligned(64)));
	float		d[LLM_PK_KB][16] __attribute__((aligned(64)));
} LlmQ32Panel;

/* the quants of block i as LlmQ32One gives them, or (flip false) as stored */
LLM_INLINE LLM_AVX512 __m256i
LlmQ32Quants(LlmType type, bool flip, const void *x, int64_t i)
{
	if (!flip && type == LLM_TYPE_Q8_0)
		return _mm256_loadu_si256((const __m256i *) ((const BlockQ8_0 *) x)[i].qs);
	return LlmQ32One(type, x, i);
}

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

/*
 * Pack rows [0, rows) of the panel, blocks [b0, b0 + kb); other rows zero.
 * The quants are VPDPBUSD's unsigned operand (LlmQ32One) when flip is
 * true; else, for AMX's signed TDPBSSD, Q8_0 quants as stored.
 */
LLM_INLINE LLM_AVX512 void
LlmPackQ32(LlmType type, bool flip, const char *w, size_t ws, int rows, int64_t b0, int kb,
		   LlmQ32Panel *p)
{
	for (int b = 0; b < kb; b++)
	{
		__m512i		r[8];
		LlmHalf		hd[16];

#pragma GCC unroll 16
		for (int i = 0; i < 8; i++)
		{
			__m256i		r0 = i < rows ? LlmQ32Quants(type, flip, w + ws * i, b0 + b) : _mm256_setzero_si256();
			__m256i		r1 = i + 8 < rows ? LlmQ32Quants(type, flip, w + ws * (i + 8), b0 + b) :
				_mm256_setzero_si256();

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

/*
 * Decoded Q6_K half h (128 weights): q[0] pairs with activation bytes
 * 128h..128h+63, q[1] with the next 64; the scale words of its eight
 * 16-weight groups.  Weights 0..63 of the half take the low nibbles of
 * ql[0..63] and qh bits 0-1 (first 32) or 2-3 (next 32); weights 64..127
 * the high nibbles and qh bits 4-5 or 6-7.  Each 16-weight group has its
 * own signed scale; the -32 comes out as 32 * sum(sc * bsum) (LlmQ6Offset).
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

#endif							/* __x86_64__ */

#endif							/* LLM_KERNELS_X86_AVX512_H */
