/*-------------------------------------------------------------------------
 *
 * x86_avx512_gemm.c
 *	  The AVX-512 gemm kernels: GEMV and packed GEMM tiles for the 32-weight
 *	  block types, tiles for the float formats and for the K-quants.
 *
 * Within the variant, every gemm computes each output element in one fixed
 * order whatever the number of rows and the element's place in a tile:
 * batched decoding relies on a sequence getting the same bits alone and
 * among others (test_kernel_variants checks it).
 *
 * Pure C: no PostgreSQL headers.
 *
 *-------------------------------------------------------------------------
 */
#include "x86_avx512.h"

#if defined(__x86_64__)

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

#define LLM_PK_TS 96			/* activation rows per group */
#define LLM_PK_T 8				/* activation rows per micro-kernel call */

typedef struct LlmQ32Aux
{
	float		da[LLM_PK_TS][LLM_PK_KB];
	int32_t		corr[LLM_PK_TS][LLM_PK_KB];
} LlmQ32Aux;

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

/* pack the panel of weight rows [0, rows) and multiply all ng rows of the group */
LLM_INLINE LLM_AVX512 void
LlmPanelQ32(LlmType type, const char *w, size_t ws, int rows, int64_t b0, int kb,
			LlmQ32Panel *panel, const char *ag, size_t as, int ng, const LlmQ32Aux *aux,
			float *s, size_t ldc)
{
	__mmask16	m = LlmMask16(rows);
	int			t = 0;

	LlmPackQ32(type, true, w, ws, rows, b0, kb, panel);
	for (; t + LLM_PK_T <= ng; t += LLM_PK_T)
		LlmPanelRowsQ32(LLM_PK_T, kb, panel, ag, as, b0, aux, t, s, ldc, m, b0 > 0);
	switch (ng - t)
	{
		case 7:
			LlmPanelRowsQ32(7, kb, panel, ag, as, b0, aux, t, s, ldc, m, b0 > 0);
			break;
		case 6:
			LlmPanelRowsQ32(6, kb, panel, ag, as, b0, aux, t, s, ldc, m, b0 > 0);
			break;
		case 5:
			LlmPanelRowsQ32(5, kb, panel, ag, as, b0, aux, t, s, ldc, m, b0 > 0);
			break;
		case 4:
			LlmPanelRowsQ32(4, kb, panel, ag, as, b0, aux, t, s, ldc, m, b0 > 0);
			break;
		case 3:
			LlmPanelRowsQ32(3, kb, panel, ag, as, b0, aux, t, s, ldc, m, b0 > 0);
			break;
		case 2:
			LlmPanelRowsQ32(2, kb, panel, ag, as, b0, aux, t, s, ldc, m, b0 > 0);
			break;
		case 1:
			LlmPanelRowsQ32(1, kb, panel, ag, as, b0, aux, t, s, ldc, m, b0 > 0);
			break;
		default:
			break;
	}
}

LLM_INLINE LLM_AVX512 void
LlmGemmPackedQ32(LlmType type, int64_t n, int nr, int nt, float *s, size_t ldc,
				 const void *w, size_t ws, const void *a, size_t as)
{
	LlmQ32Panel panel;
	LlmQ32Aux	aux;

	LLM_Q32_PACKED_LOOPS(16, LlmPanelQ32(type, (const char *) w + ws * r0, ws, rows, b0, kb, &panel,
										 ag, as, ng, &aux, sg + r0, ldc));
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

LLM_X86_GEMM(LlmGemmQ8_0_avx512, LLM_AVX512, LlmGemmQ32, LLM_TYPE_Q8_0)
LLM_X86_GEMM(LlmGemmQ4_0_avx512, LLM_AVX512, LlmGemmQ32, LLM_TYPE_Q4_0)
LLM_X86_GEMM(LlmGemmQ5_0_avx512, LLM_AVX512, LlmGemmQ32, LLM_TYPE_Q5_0)

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

LLM_INLINE LLM_AVX512 void
LlmGemmTilesF(LlmFloatKind kind, int64_t n, int nr, int nt, float *s, size_t ldc,
			  const void *w, size_t ws, const void *a, size_t as)
{
	LLM_FLOAT_TILES(LlmTileF(kind, n, wr, at, s + ldc * t0 + r0, ldc, rows, tn), kind, 4);
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

LLM_X86_GEMM(LlmGemmF32_avx512, LLM_AVX512, LlmGemmF, LLM_FK_F32)
LLM_X86_GEMM(LlmGemmF16_avx512, LLM_AVX512, LlmGemmF, LLM_FK_F16)
LLM_X86_GEMM(LlmGemmBf16_avx512, LLM_AVX512, LlmGemmF, LLM_FK_BF16)

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
LLM_AVX512BF16 void
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
	LLM_FLOAT_TILES(LlmTileBf16Dp(n, wr, at, s + ldc * t0 + r0, ldc, rows, tn), LLM_FK_BF16, 4);
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
	LlmK4Block	b = LlmK4At(five, w, i);
	uint32_t	sm[4];
	__m128i		s8;
	__m512i		scz;
	__m512i		z0,
				z1;

	*d = LlmH2F(b.d);
	*dmin = LlmH2F(b.dmin);
	LlmUnpackScalesK4(b.scales, sm);
	s8 = _mm_loadu_si128((const __m128i *) sm);
	scz = _mm512_broadcast_i32x4(_mm_cvtepu8_epi16(s8));
	z0 = _mm512_loadu_si512(b.qs);
	z1 = _mm512_loadu_si512(b.qs + 64);
	LLM_KEEP(z0);
	LLM_KEEP(z1);
	q[0] = _mm512_and_si512(z0, m4);
	q[1] = _mm512_and_si512(_mm512_srli_epi16(z0, 4), m4);
	q[2] = _mm512_and_si512(z1, m4);
	q[3] = _mm512_and_si512(_mm512_srli_epi16(z1, 4), m4);
	if (five)
	{
		__m512i		hz = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *) b.qh));
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

/* one activation row against nr weight rows, sixteen reduced together */
LLM_INLINE LLM_AVX512 void
LlmGemvK(LlmType type, int64_t n, int nr, float *s, const void *w, size_t ws, const BlockQ8_K *y)
{
	const int64_t nb = n / QK_K;
	const size_t bb = LlmKBlockBytes(type);
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
	const size_t bb = LlmKBlockBytes(type);
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

LLM_X86_GEMM(LlmGemmQ4_K_avx512, LLM_AVX512, LlmGemmK, LLM_TYPE_Q4_K)
LLM_X86_GEMM(LlmGemmQ5_K_avx512, LLM_AVX512, LlmGemmK, LLM_TYPE_Q5_K)
LLM_X86_GEMM(LlmGemmQ6_K_avx512, LLM_AVX512, LlmGemmK, LLM_TYPE_Q6_K)

#endif							/* __x86_64__ */
