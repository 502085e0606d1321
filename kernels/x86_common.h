/*-------------------------------------------------------------------------
 *
 * x86_common.h
 *	  Internal to the x86-64 kernel variants: what the AVX2 and the AVX-512
 *	  files share whatever their vector width (block layouts, fp16 scales,
 *	  horizontal sums of 128- and 256-bit vectors).
 *
 * The helpers here carry the AVX2 target attribute, a subset of every x86
 * variant's, so they inline into the functions of each; inlined, they are
 * compiled for the caller's target.  x86_avx2.h and x86_avx512.h add the
 * helpers of one instruction set on top.
 *
 * Pure C: no PostgreSQL headers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_KERNELS_X86_COMMON_H
#define LLM_KERNELS_X86_COMMON_H

#if defined(__x86_64__)

#include <immintrin.h>
#include <string.h>

#include "fp16.h"
#include "kernels_ref.h"
#include "kernels_x86.h"
#include "quant_internal.h"

#define LLM_AVX2 __attribute__((target("avx2,fma,f16c")))
#define LLM_INLINE static inline __attribute__((always_inline))

/*
 * The kernels the tables point at are entries into inline implementations
 * shared by several types, each specialized by the type (or float kind)
 * passed as a constant.
 */
#define LLM_X86_VEC_DOT(NAME, ATTR, IMPL, ARG) \
	ATTR void \
	NAME(int64_t n, float *s, const void *w, const void *a) \
	{ \
		IMPL(ARG, n, s, w, a); \
	}

#define LLM_X86_TO_FLOAT(NAME, ATTR, IMPL, ARG) \
	ATTR void \
	NAME(const void *x, float *y, int64_t n) \
	{ \
		IMPL(ARG, x, y, n); \
	}

#define LLM_X86_GEMM(NAME, ATTR, IMPL, ARG) \
	ATTR void \
	NAME(int64_t n, int nr, int nt, float *s, size_t ldc, \
		 const void *w, size_t ws, const void *a, size_t as) \
	{ \
		IMPL(ARG, n, nr, nt, s, ldc, w, ws, a, as); \
	}

/* the float formats the float kernels read */
typedef enum LlmFloatKind
{
	LLM_FK_F32,
	LLM_FK_F16,
	LLM_FK_BF16					/* widened by a shift */
} LlmFloatKind;

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

/* four fp16 values (e.g. the scales of four consecutive blocks) as floats */
LLM_INLINE LLM_AVX2 __m128
LlmHalves4(LlmHalf h0, LlmHalf h1, LlmHalf h2, LlmHalf h3)
{
	uint64_t	h = (uint64_t) h0 | ((uint64_t) h1 << 16) |
		((uint64_t) h2 << 32) | ((uint64_t) h3 << 48);

	return _mm_cvtph_ps(_mm_cvtsi64_si128((long long) h));
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

/* the fields of a Q4_K or Q5_K super-block (qh is NULL for Q4_K) */
typedef struct LlmK4Block
{
	const uint8_t *scales;
	const uint8_t *qs;
	const uint8_t *qh;
	LlmHalf		d;
	LlmHalf		dmin;
} LlmK4Block;

/* super-block i of a Q4_K (five false) or Q5_K (five true) row */
LLM_INLINE LlmK4Block
LlmK4At(bool five, const void *w, int64_t i)
{
	LlmK4Block	k;

	if (five)
	{
		const BlockQ5_K *b = (const BlockQ5_K *) w + i;

		k.scales = b->scales;
		k.qs = b->qs;
		k.qh = b->qh;
		k.d = b->d;
		k.dmin = b->dmin;
	}
	else
	{
		const BlockQ4_K *b = (const BlockQ4_K *) w + i;

		k.scales = b->scales;
		k.qs = b->qs;
		k.qh = NULL;
		k.d = b->d;
		k.dmin = b->dmin;
	}
	return k;
}

/*
 * Sixteen Q6_K quants as signed bytes (q - 32): weights 32k + 16g to
 * 32k + 16g + 15 of half h (128 weights) of the block.  k picks the low or
 * high nibbles and the first or second 32 bytes of ql, and qh's bits 2k
 * and 2k + 1.
 */
LLM_INLINE LLM_AVX2 __m128i
LlmQ6Quants16(const BlockQ6_K *b, int h, int k, int g)
{
	const __m128i m4 = _mm_set1_epi8(0x0F);
	__m128i		l = _mm_loadu_si128((const __m128i *) (b->ql + 64 * h + 32 * (k & 1) + 16 * g));
	__m128i		hb = _mm_loadu_si128((const __m128i *) (b->qh + 32 * h + 16 * g));

	l = (k >> 1) ? _mm_and_si128(_mm_srli_epi16(l, 4), m4) : _mm_and_si128(l, m4);
	hb = _mm_and_si128(_mm_srl_epi16(hb, _mm_cvtsi32_si128(2 * k)), _mm_set1_epi8(3));
	return _mm_sub_epi8(_mm_or_si128(l, _mm_slli_epi16(hb, 4)), _mm_set1_epi8(32));
}

/* the fp16 scale of block i of a row of a 32-weight type */
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

/* bytes per block of a 32-weight type */
LLM_INLINE size_t
LlmQ32BlockBytes(LlmType type)
{
	return type == LLM_TYPE_Q4_0 ? sizeof(BlockQ4_0) :
		type == LLM_TYPE_Q5_0 ? sizeof(BlockQ5_0) : sizeof(BlockQ8_0);
}

/* bytes per super-block of a K-quant */
LLM_INLINE size_t
LlmKBlockBytes(LlmType type)
{
	return type == LLM_TYPE_Q4_K ? sizeof(BlockQ4_K) :
		type == LLM_TYPE_Q5_K ? sizeof(BlockQ5_K) : sizeof(BlockQ6_K);
}

/* ------------------------------------------------------------------------
 * The loop over the float tiles (F32, F16, BF16 gemm with several
 * activation rows): tiles of 4 weight rows by TT activation rows over
 * panels of weight rows small enough to stay in L2 while every activation
 * row passes by.  Rows and activations past the edge repeat the last valid
 * one; the tile stores only the first `rows` rows and `tn` activations.
 * TILE is the tile kernel's call, in terms of n, wr, at, s, ldc, t0, r0,
 * rows and tn.
 * ------------------------------------------------------------------------
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

LLM_INLINE void
LlmPrefetchRows(const void *w, size_t ws, size_t rowb, int r0, int nr)
{
	for (int r = r0; r < r0 + 4 && r < nr; r++)
		for (size_t b = 0; b < rowb; b += 64)
			_mm_prefetch((const char *) w + ws * r + b, _MM_HINT_T0);
}

#define LLM_FLOAT_TILES(TILE, KIND, TT) \
	do { \
		size_t		rowb = (size_t) n * ((KIND) == LLM_FK_F32 ? 4 : 2); \
		int			panel = (int) (LLM_FLOAT_PANEL_BYTES / (rowb ? rowb : 1)) / 4 * 4; \
		if (panel < 4) \
			panel = 4; \
		for (int p0 = 0; p0 < nr; p0 += panel) \
			for (int t0 = 0; t0 < nt; t0 += (TT)) \
			{ \
				int			tn = nt - t0 < (TT) ? nt - t0 : (TT); \
				const char *at[TT]; \
				for (int j = 0; j < (TT); j++) \
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

/*
 * The loops of the packed GEMMs for 32-weight blocks (x86_avx2_gemm.c,
 * x86_avx512_gemm.c): activation rows in groups of LLM_PK_TS, the common
 * dimension in chunks of LLM_PK_KB blocks whose activation scales and
 * offsets (LlmAuxQ32, into aux) are computed once per group, then panels
 * of PR weight rows.  PANEL packs one panel and multiplies it with every
 * activation row of the group; it sees ag, sg (the group's activations
 * and outputs), ng, b0, kb, r0 and rows.
 */
#define LLM_Q32_PACKED_LOOPS(PR, PANEL) \
	do { \
		const int64_t nb = n / QK8_0; \
		for (int g0 = 0; g0 < nt; g0 += LLM_PK_TS) \
		{ \
			int			ng = nt - g0 < LLM_PK_TS ? nt - g0 : LLM_PK_TS; \
			const char *ag = (const char *) a + as * g0; \
			float	   *sg = s + ldc * g0; \
			for (int64_t b0 = 0; b0 < nb; b0 += LLM_PK_KB) \
			{ \
				int			kb = nb - b0 < LLM_PK_KB ? (int) (nb - b0) : LLM_PK_KB; \
				LlmAuxQ32(type, ag, as, ng, b0, kb, &aux); \
				for (int r0 = 0; r0 < nr; r0 += (PR)) \
				{ \
					int			rows = nr - r0 < (PR) ? nr - r0 : (PR); \
					PANEL; \
				} \
			} \
		} \
	} while (0)

#endif							/* __x86_64__ */

#endif							/* LLM_KERNELS_X86_COMMON_H */
