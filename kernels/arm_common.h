/*-------------------------------------------------------------------------
 *
 * arm_common.h
 *	  Internal to the aarch64 kernel variants: plain Advanced SIMD helpers
 *	  for unpacking the quantized blocks, the tiling loop every gemm uses,
 *	  and the functions one variant borrows from another.
 *
 * Everything here is base Armv8-A NEON, so it inlines into functions of
 * every variant whatever their target attribute.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_KERNELS_ARM_COMMON_H
#define LLM_KERNELS_ARM_COMMON_H

#if defined(__aarch64__)

/*
 * GCC's scheduling before register allocation hoists the loads and
 * unpacking of whole K-quant blocks ahead of their use and then spills
 * hundreds of vectors per block in the tile kernels; without it they fit
 * in the 32 registers.  Out-of-order cores reorder the code anyway.  This
 * must come before any function definition of the file (kernels_arm.h,
 * included first, has none), so that everything, arm_neon.h included, is
 * compiled with the same options and inlines.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("no-schedule-insns")
#endif

#include <arm_neon.h>
#include <string.h>

#include "fp16.h"
#include "kernels_arm.h"
#include "kernels_ref.h"
#include "quant_internal.h"

/*
 * Target attributes for the optional extensions.  GCC 12 refuses to inline
 * the arm_neon.h dot-product and matrix intrinsics into a function marked
 * only "+dotprod" ("target specific option mismatch"); naming the base
 * architecture as well works.  Armv8.2 is the oldest architecture any of
 * these extensions appears with, and it adds nothing the compiler would
 * use in this code on its own.
 */
#if defined(__clang__)
/* clang builds a variant only when -march enables it (kernels_arm.h) */
#define LLM_ARM_DOTPROD
#define LLM_ARM_I8MM
#define LLM_ARM_SVE
#else
#define LLM_ARM_DOTPROD __attribute__((target("arch=armv8.2-a+dotprod")))
#define LLM_ARM_I8MM __attribute__((target("arch=armv8.2-a+dotprod+i8mm")))
#define LLM_ARM_SVE __attribute__((target("arch=armv8.2-a+sve")))
#endif

/*
 * Tile kernels are written once with the tile shape as parameters and
 * instantiated with constants; forcing the inlining lets the compiler
 * unroll the shape loops and keep the per-tile arrays in registers.
 */
#define LLM_ARM_INLINE static inline __attribute__((always_inline))
#define LLM_ARM_UNROLL _Pragma("GCC unroll 16")

/* a block's fp16 scale; the hardware conversion is exact */
static inline float
LlmArmHalf(LlmHalf h)
{
	__fp16		f;

	memcpy(&f, &h, sizeof(f));
	return (float) f;
}

/* ------------------------------------------------------------------------
 * Gemm tiling
 * ------------------------------------------------------------------------
 */

/*
 * A tile kernel computes s[t * ldc + r] for a fixed shape of r and t,
 * weight rows ws bytes apart and activation rows as bytes apart.
 */
typedef void (*LlmArmTileFn) (int64_t n, const char *w, size_t ws,
							  const char *a, size_t as, float *s, size_t ldc);

/*
 * Activations are taken in runs of about this many bytes, so that a run
 * stays in L2 while every weight row streams past it once.
 */
#define LLM_ARM_ACT_RUN_BYTES (192 * 1024)

/*
 * Cover an nr x nt gemm with tiles: big (rb weight rows x tb activations)
 * wherever it fits, rows (rb x 1) for activations left over.  Within a run
 * of activations the weight rows are the outer loop, so each group of rb
 * rows is read from memory once per run and then served from L1.
 *
 * Rows left over (fewer than rb) go through the same two tiles with a
 * weight stride of 0, into a scratch tile of which the first row is kept:
 * every element of the gemm then comes from the same kernel code in the
 * same order whatever nr and nt are, which batched decoding needs (a row
 * must get the same bits alone and among others).  col and one are no
 * longer used here (vec_dot still is one).
 */
static inline void
LlmArmGemmTiles(int64_t n, int nr, int nt, float *s, size_t ldc,
				const void *w, size_t ws, const void *a, size_t as,
				int rb, int tb, LlmArmTileFn big, LlmArmTileFn rows,
				LlmArmTileFn col, LlmArmTileFn one)
{
	const char *wc = w;
	const char *ac = a;
	int			run = (int) (LLM_ARM_ACT_RUN_BYTES / (as > 0 ? as : 1));

	run -= run % tb;
	if (run < tb)
		run = tb;

	for (int t0 = 0; t0 < nt; t0 += run)
	{
		int			t1 = t0 + run < nt ? t0 + run : nt;
		int			r = 0;

		for (; r + rb <= nr; r += rb)
		{
			int			t = t0;

			for (; t + tb <= t1; t += tb)
				big(n, wc + ws * r, ws, ac + as * t, as, s + ldc * t + r, ldc);
			for (; t < t1; t++)
				rows(n, wc + ws * r, ws, ac + as * t, as, s + ldc * t + r, ldc);
		}
		for (; r < nr; r++)
		{
			float		tile[16 * 16];	/* rb x tb, rb <= 16 and tb <= 16 */
			int			t = t0;

			for (; t + tb <= t1; t += tb)
			{
				big(n, wc + ws * r, 0, ac + as * t, as, tile, rb);
				for (int j = 0; j < tb; j++)
					s[ldc * (t + j) + r] = tile[rb * j];
			}
			for (; t < t1; t++)
			{
				rows(n, wc + ws * r, 0, ac + as * t, as, tile, rb);
				s[ldc * t + r] = tile[0];
			}
		}
	}
}

/* ------------------------------------------------------------------------
 * Block unpacking to int8 vectors
 * ------------------------------------------------------------------------
 */

/* Q4_0: elements 0..15 are the low nibbles, 16..31 the high, minus 8 */
static inline void
LlmArmUnpackQ4_0(const BlockQ4_0 *b, int8x16_t *lo, int8x16_t *hi)
{
	uint8x16_t	q = vld1q_u8(b->qs);
	int8x16_t	eight = vdupq_n_s8(8);

	*lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(0x0F))), eight);
	*hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), eight);
}

/*
 * Q5_0: as Q4_0 with bit j of qh as the fifth bit of element j, minus 16.
 * nibble | (bit << 4) - 16 is nibble - 16 where the bit is clear and the
 * nibble itself where it is set.  Each qh byte is spread over the eight
 * lanes it covers and tested against that lane's bit.
 */
static inline void
LlmArmUnpackQ5_0(const BlockQ5_0 *b, int8x16_t *lo, int8x16_t *hi)
{
	static const uint8_t bit[16] = {1, 2, 4, 8, 16, 32, 64, 128,
	1, 2, 4, 8, 16, 32, 64, 128};
	static const uint8_t spread_lo[16] = {0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 1, 1, 1, 1, 1, 1};
	static const uint8_t spread_hi[16] = {2, 2, 2, 2, 2, 2, 2, 2,
	3, 3, 3, 3, 3, 3, 3, 3};
	uint32_t	qh;
	uint8x16_t	qhv;
	uint8x16_t	q = vld1q_u8(b->qs);
	uint8x16_t	sixteen = vdupq_n_u8(0x10);
	uint8x16_t	bits = vld1q_u8(bit);
	uint8x16_t	clear_lo;
	uint8x16_t	clear_hi;

	memcpy(&qh, b->qh, sizeof(qh));
	qhv = vreinterpretq_u8_u32(vdupq_n_u32(qh));
	clear_lo = vbicq_u8(sixteen, vtstq_u8(vqtbl1q_u8(qhv, vld1q_u8(spread_lo)), bits));
	clear_hi = vbicq_u8(sixteen, vtstq_u8(vqtbl1q_u8(qhv, vld1q_u8(spread_hi)), bits));
	*lo = vreinterpretq_s8_u8(vsubq_u8(vandq_u8(q, vdupq_n_u8(0x0F)), clear_lo));
	*hi = vreinterpretq_s8_u8(vsubq_u8(vshrq_n_u8(q, 4), clear_hi));
}

/*
 * Block ib of a row of 32-weight blocks (Q8_0, Q4_0 or Q5_0; type is a
 * constant after inlining) as two int8 vectors and its scale.
 */
static inline void
LlmArmUnpack32(LlmType type, const char *row, int64_t ib,
			   int8x16_t *lo, int8x16_t *hi, float *d)
{
	if (type == LLM_TYPE_Q8_0)
	{
		const BlockQ8_0 *b = (const BlockQ8_0 *) row + ib;

		*lo = vld1q_s8(b->qs);
		*hi = vld1q_s8(b->qs + 16);
		*d = LlmArmHalf(b->d);
	}
	else if (type == LLM_TYPE_Q4_0)
	{
		const BlockQ4_0 *b = (const BlockQ4_0 *) row + ib;

		LlmArmUnpackQ4_0(b, lo, hi);
		*d = LlmArmHalf(b->d);
	}
	else
	{
		const BlockQ5_0 *b = (const BlockQ5_0 *) row + ib;

		LlmArmUnpackQ5_0(b, lo, hi);
		*d = LlmArmHalf(b->d);
	}
}

/*
 * The eight 6-bit scales and mins of a Q4_K/Q5_K block (LlmScaleMinK4 for
 * all j at once): the first four of each are the low six bits of bytes
 * 0..3 and 4..7; the last four take their low nibble from bytes 8..11 and
 * their top two bits from the top of bytes 0..3 (scales) or 4..7 (mins).
 */
static inline void
LlmArmScalesK4Bytes(const uint8_t *q, uint64_t *sc, uint64_t *m)
{
	uint32_t	w0,
				w1,
				w2;
	uint32_t	sc_lo,
				sc_hi,
				m_lo,
				m_hi;

	memcpy(&w0, q, 4);
	memcpy(&w1, q + 4, 4);
	memcpy(&w2, q + 8, 4);
	sc_lo = w0 & 0x3f3f3f3f;
	m_lo = w1 & 0x3f3f3f3f;
	sc_hi = (w2 & 0x0f0f0f0f) | (((w0 >> 6) & 0x03030303) << 4);
	m_hi = ((w2 >> 4) & 0x0f0f0f0f) | (((w1 >> 6) & 0x03030303) << 4);
	/* byte j (little-endian) is the value for sub-block j */
	*sc = ((uint64_t) sc_hi << 32) | sc_lo;
	*m = ((uint64_t) m_hi << 32) | m_lo;
}

static inline void
LlmArmUnpackScalesK4(const uint8_t *q, uint8x8_t *sc, uint8x8_t *m)
{
	uint64_t	sc64;
	uint64_t	m64;

	LlmArmScalesK4Bytes(q, &sc64, &m64);
	*sc = vcreate_u8(sc64);
	*m = vcreate_u8(m64);
}

/*
 * Chunk c (0..3) of a Q4_K block: 32 bytes whose low nibbles are sub-block
 * 2c and high nibbles sub-block 2c + 1, as values 0..15.
 */
static inline void
LlmArmUnpackQ4_KChunk(const BlockQ4_K *b, int c, int8x16_t *lo, int8x16_t *hi)
{
	uint8x16_t	m4 = vdupq_n_u8(0x0F);
	uint8x16_t	q0 = vld1q_u8(b->qs + 32 * c);
	uint8x16_t	q1 = vld1q_u8(b->qs + 32 * c + 16);

	lo[0] = vreinterpretq_s8_u8(vandq_u8(q0, m4));
	lo[1] = vreinterpretq_s8_u8(vandq_u8(q1, m4));
	hi[0] = vreinterpretq_s8_u8(vshrq_n_u8(q0, 4));
	hi[1] = vreinterpretq_s8_u8(vshrq_n_u8(q1, 4));
}

/* Q5_K: as Q4_K, plus bit 2c (low nibbles) or 2c + 1 (high) of qh as 16 */
static inline void
LlmArmUnpackQ5_KChunk(const BlockQ5_K *b, int c, int8x16_t *lo, int8x16_t *hi)
{
	uint8x16_t	m4 = vdupq_n_u8(0x0F);
	uint8x16_t	sixteen = vdupq_n_u8(0x10);
	uint8x16_t	bit_lo = vdupq_n_u8((uint8_t) (1 << (2 * c)));
	uint8x16_t	bit_hi = vdupq_n_u8((uint8_t) (2 << (2 * c)));
	uint8x16_t	q0 = vld1q_u8(b->qs + 32 * c);
	uint8x16_t	q1 = vld1q_u8(b->qs + 32 * c + 16);
	uint8x16_t	h0 = vld1q_u8(b->qh);
	uint8x16_t	h1 = vld1q_u8(b->qh + 16);

	lo[0] = vreinterpretq_s8_u8(vorrq_u8(vandq_u8(q0, m4),
										 vandq_u8(vtstq_u8(h0, bit_lo), sixteen)));
	lo[1] = vreinterpretq_s8_u8(vorrq_u8(vandq_u8(q1, m4),
										 vandq_u8(vtstq_u8(h1, bit_lo), sixteen)));
	hi[0] = vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(q0, 4),
										 vandq_u8(vtstq_u8(h0, bit_hi), sixteen)));
	hi[1] = vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(q1, 4),
										 vandq_u8(vtstq_u8(h1, bit_hi), sixteen)));
}

/*
 * Q4_K and Q5_K blocks begin alike (d, dmin, the packed 6-bit scales and
 * mins) and Q5_K adds the fifth bits, so the kernels of both are written
 * once, with the type (a constant after inlining) choosing the layout in
 * the three helpers below.
 */

/* block i of a Q4_K / Q5_K row */
static inline const void *
LlmArmBlockK45(LlmType type, const char *row, int64_t i)
{
	if (type == LLM_TYPE_Q4_K)
		return (const BlockQ4_K *) row + i;
	return (const BlockQ5_K *) row + i;
}

/* the packed scales and mins of a Q4_K / Q5_K block, with its d and dmin */
static inline const uint8_t *
LlmArmHeadK45(LlmType type, const void *block, float *d, float *dmin)
{
	if (type == LLM_TYPE_Q4_K)
	{
		const BlockQ4_K *x = block;

		*d = LlmArmHalf(x->d);
		*dmin = LlmArmHalf(x->dmin);
		return x->scales;
	}
	else
	{
		const BlockQ5_K *x = block;

		*d = LlmArmHalf(x->d);
		*dmin = LlmArmHalf(x->dmin);
		return x->scales;
	}
}

/* chunk c (0..3) of a Q4_K / Q5_K block: LlmArmUnpackQ4_KChunk or Q5_KChunk */
static inline void
LlmArmUnpackK45Chunk(LlmType type, const void *block, int c,
					 int8x16_t *lo, int8x16_t *hi)
{
	if (type == LLM_TYPE_Q4_K)
		LlmArmUnpackQ4_KChunk(block, c, lo, hi);
	else
		LlmArmUnpackQ5_KChunk(block, c, lo, hi);
}

/*
 * Sub-blocks 8h + 2k and 8h + 2k + 1 of a Q6_K block (half h, k = 0..3) as
 * two vectors of 16 values 0..63; the "- 32" is left to the caller.  The
 * weights of sub-block j are 16j .. 16j + 15, so its activations are the
 * j-th 16 bytes of the Q8_K block and its scale is scales[j].  Weight
 * 128h + 32k + l takes its low four bits from ql[64h + l] (k even) or
 * ql[64h + 32 + l] (k odd), low nibble for k < 2, and its top two bits from
 * bits 2k, 2k + 1 of qh[32h + l].
 */
static inline void
LlmArmUnpackQ6_KPair(const BlockQ6_K *b, int h, int k, uint8x16_t *v)
{
	const uint8_t *ql = b->ql + 64 * h + 32 * (k & 1);
	const uint8_t *qh = b->qh + 32 * h;
	uint8x16_t	m4 = vdupq_n_u8(0x0F);
	uint8x16_t	m30 = vdupq_n_u8(0x30);
	uint8x16_t	l0 = vld1q_u8(ql);
	uint8x16_t	l1 = vld1q_u8(ql + 16);
	uint8x16_t	h0 = vld1q_u8(qh);
	uint8x16_t	h1 = vld1q_u8(qh + 16);

	if (k < 2)
	{
		l0 = vandq_u8(l0, m4);
		l1 = vandq_u8(l1, m4);
	}
	else
	{
		l0 = vshrq_n_u8(l0, 4);
		l1 = vshrq_n_u8(l1, 4);
	}
	/* move qh bits 2k, 2k + 1 to bits 4, 5 */
	switch (k)
	{
		case 0:
			h0 = vshlq_n_u8(h0, 4);
			h1 = vshlq_n_u8(h1, 4);
			break;
		case 1:
			h0 = vshlq_n_u8(h0, 2);
			h1 = vshlq_n_u8(h1, 2);
			break;
		case 2:
			break;
		default:
			h0 = vshrq_n_u8(h0, 2);
			h1 = vshrq_n_u8(h1, 2);
			break;
	}
	v[0] = vorrq_u8(l0, vandq_u8(h0, m30));
	v[1] = vorrq_u8(l1, vandq_u8(h1, m30));
}

/* ------------------------------------------------------------------------
 * Small integer reductions of the K-quant correction terms
 * ------------------------------------------------------------------------
 */

/* the Q8_K group sums added in pairs: one sum per 32-weight sub-block */
static inline int16x8_t
LlmArmBsumPairs(const BlockQ8_K *y)
{
	return vpaddq_s16(vld1q_s16(y->bsums), vld1q_s16(y->bsums + 8));
}

/* lane r = the total of the four lanes of p[r] */
static inline int32x4_t
LlmArmRowSums(int32x4_t p0, int32x4_t p1, int32x4_t p2, int32x4_t p3)
{
	return vpaddq_s32(vpaddq_s32(p0, p1), vpaddq_s32(p2, p3));
}

/* four lanes whose total is sum_j mins[j] * pairs[j] */
static inline int32x4_t
LlmArmMinTerm(int16x8_t mins, int16x8_t pairs)
{
	return vmlal_high_s16(vmull_s16(vget_low_s16(mins), vget_low_s16(pairs)),
						  mins, pairs);
}

/* four lanes whose total is sum_j scales[j] * bsums[j] over a Q6_K block */
static inline int32x4_t
LlmArmQ6_KBias(const BlockQ6_K *x, const BlockQ8_K *y)
{
	int8x16_t	sc = vld1q_s8(x->scales);
	int16x8_t	s0 = vmovl_s8(vget_low_s8(sc));
	int16x8_t	s1 = vmovl_high_s8(sc);
	int16x8_t	b0 = vld1q_s16(y->bsums);
	int16x8_t	b1 = vld1q_s16(y->bsums + 8);
	int32x4_t	r = vmull_s16(vget_low_s16(s0), vget_low_s16(b0));

	r = vmlal_high_s16(r, s0, b0);
	r = vmlal_s16(r, vget_low_s16(s1), vget_low_s16(b1));
	return vmlal_high_s16(r, s1, b1);
}

/* ------------------------------------------------------------------------
 * Functions one variant borrows from another
 * ------------------------------------------------------------------------
 */

/* arm_neon.c */
extern void LlmFromFloatF16_neon(const float *x, void *y, int64_t n);
extern void LlmFromFloatBf16_neon(const float *x, void *y, int64_t n);
extern void LlmQuantizeQ8_0_neon(const float *x, void *y, int64_t n);
extern void LlmQuantizeQ8_K_neon(const float *x, void *y, int64_t n);
extern void LlmToFloatF16_neon(const void *x, float *y, int64_t n);
extern void LlmToFloatBf16_neon(const void *x, float *y, int64_t n);
extern void LlmDequantizeQ8_0_neon(const void *x, float *y, int64_t n);
extern void LlmDequantizeQ4_0_neon(const void *x, float *y, int64_t n);
extern void LlmDequantizeQ5_0_neon(const void *x, float *y, int64_t n);
extern void LlmDequantizeQ4_K_neon(const void *x, float *y, int64_t n);
extern void LlmDequantizeQ5_K_neon(const void *x, float *y, int64_t n);
extern void LlmDequantizeQ6_K_neon(const void *x, float *y, int64_t n);
extern void LlmDequantizeQ8_K_neon(const void *x, float *y, int64_t n);
extern void LlmVecDotF32_neon(int64_t n, float *s, const void *w, const void *a);
extern void LlmVecDotF16_neon(int64_t n, float *s, const void *w, const void *a);
extern void LlmVecDotBf16_neon(int64_t n, float *s, const void *w, const void *a);
extern void LlmGemmF32_neon(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);
extern void LlmGemmF16_neon(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);
extern void LlmGemmBf16_neon(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);

extern void LlmVecDotQ8_0_neon(int64_t n, float *s, const void *w, const void *a);
extern void LlmVecDotQ4_0_neon(int64_t n, float *s, const void *w, const void *a);
extern void LlmVecDotQ5_0_neon(int64_t n, float *s, const void *w, const void *a);
extern void LlmVecDotQ4_K_neon(int64_t n, float *s, const void *w, const void *a);
extern void LlmVecDotQ5_K_neon(int64_t n, float *s, const void *w, const void *a);
extern void LlmVecDotQ6_K_neon(int64_t n, float *s, const void *w, const void *a);
extern void LlmGemmQ8_0_neon(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);
extern void LlmGemmQ4_0_neon(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);
extern void LlmGemmQ5_0_neon(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);
extern void LlmGemmQ4_K_neon(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);
extern void LlmGemmQ5_K_neon(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);
extern void LlmGemmQ6_K_neon(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);

/* arm_dotprod.c */
extern void LlmVecDotQ8_0_dotprod(int64_t n, float *s, const void *w, const void *a);
extern void LlmVecDotQ4_0_dotprod(int64_t n, float *s, const void *w, const void *a);
extern void LlmVecDotQ5_0_dotprod(int64_t n, float *s, const void *w, const void *a);
extern void LlmVecDotQ4_K_dotprod(int64_t n, float *s, const void *w, const void *a);
extern void LlmVecDotQ5_K_dotprod(int64_t n, float *s, const void *w, const void *a);
extern void LlmVecDotQ6_K_dotprod(int64_t n, float *s, const void *w, const void *a);
extern void LlmGemmQ8_0_dotprod(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);
extern void LlmGemmQ4_0_dotprod(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);
extern void LlmGemmQ5_0_dotprod(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);
extern void LlmGemmQ4_K_dotprod(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);
extern void LlmGemmQ5_K_dotprod(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);
extern void LlmGemmQ6_K_dotprod(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);

/* arm_i8mm.c */
extern void LlmGemmQ8_0_i8mm(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);
extern void LlmGemmQ4_0_i8mm(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);
extern void LlmGemmQ5_0_i8mm(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);
extern void LlmGemmQ4_K_i8mm(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);
extern void LlmGemmQ5_K_i8mm(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);
extern void LlmGemmQ6_K_i8mm(int64_t n, int nr, int nt, float *s, size_t ldc, const void *w, size_t ws, const void *a, size_t as);

/*
 * The converters of every Arm variant's table.  They are the NEON
 * variant's, SDOT, SMMLA and SVE having nothing to add to them, and for
 * F32 the reference's: a copy, nothing to gain over memcpy.
 */
#define LLM_ARM_CONVERTERS \
	.softmax = LlmSoftmax_neon, \
	.swiglu = LlmSwiGlu_neon, \
	.from_float = { \
		[LLM_TYPE_F32] = LlmFromFloatF32_ref, \
		[LLM_TYPE_F16] = LlmFromFloatF16_neon, \
		[LLM_TYPE_BF16] = LlmFromFloatBf16_neon, \
		[LLM_TYPE_Q8_0] = LlmQuantizeQ8_0_neon, \
		[LLM_TYPE_Q8_K] = LlmQuantizeQ8_K_neon, \
	}, \
	.to_float = { \
		[LLM_TYPE_F32] = LlmToFloatF32_ref, \
		[LLM_TYPE_F16] = LlmToFloatF16_neon, \
		[LLM_TYPE_BF16] = LlmToFloatBf16_neon, \
		[LLM_TYPE_Q8_0] = LlmDequantizeQ8_0_neon, \
		[LLM_TYPE_Q4_0] = LlmDequantizeQ4_0_neon, \
		[LLM_TYPE_Q5_0] = LlmDequantizeQ5_0_neon, \
		[LLM_TYPE_Q4_K] = LlmDequantizeQ4_K_neon, \
		[LLM_TYPE_Q5_K] = LlmDequantizeQ5_K_neon, \
		[LLM_TYPE_Q6_K] = LlmDequantizeQ6_K_neon, \
		[LLM_TYPE_Q8_K] = LlmDequantizeQ8_K_neon, \
	}

#endif							/* __aarch64__ */

#endif							/* LLM_KERNELS_ARM_COMMON_H */
