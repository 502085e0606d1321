/*-------------------------------------------------------------------------
 *
 * x86_avx2_gemm.c
 *	  The AVX2 gemm kernels: tiles for the float formats, GEMV and packed
 *	  GEMM for the 32-weight block types, and the K-quants' row tiles.
 *
 * Within the variant every gemm computes each output element in one fixed
 * order whatever the number of rows (the GEMV finishes its block sums in
 * the packed GEMM's float order), so that batched decoding gives a
 * sequence the bits it gets alone.
 *
 * Pure C: no PostgreSQL headers.
 *
 *-------------------------------------------------------------------------
 */
#include "x86_avx2.h"

#if defined(__x86_64__)

/* ------------------------------------------------------------------------
 * GEMV for 32-weight blocks: one activation row, prepared once, against
 * every weight row in turn.
 * ------------------------------------------------------------------------
 */

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
 * through the sign trick and is widened every time.  Blocking as in the
 * AVX-512 variants (x86_avx512_gemm.c).
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

/* pack the panel of weight rows [0, rows) and multiply all ng rows of the group */
LLM_INLINE LLM_AVX2 void
LlmPanelQ32(LlmType type, const char *w, size_t ws, int rows, int64_t b0, int kb,
			LlmQ32Panel *panel, const char *ag, size_t as, int ng, const LlmQ32Aux *aux,
			float *s, size_t ldc)
{
	int			t = 0;

	LlmPackQ32(type, w, ws, rows, b0, kb, panel);
	for (; t + LLM_PK_T <= ng; t += LLM_PK_T)
		LlmPanelRowsQ32(type, LLM_PK_T, kb, panel, ag, as, b0, aux, t, s, ldc, rows, b0 > 0);
	switch (ng - t)
	{
		case 3:
			LlmPanelRowsQ32(type, 3, kb, panel, ag, as, b0, aux, t, s, ldc, rows, b0 > 0);
			break;
		case 2:
			LlmPanelRowsQ32(type, 2, kb, panel, ag, as, b0, aux, t, s, ldc, rows, b0 > 0);
			break;
		case 1:
			LlmPanelRowsQ32(type, 1, kb, panel, ag, as, b0, aux, t, s, ldc, rows, b0 > 0);
			break;
		default:
			break;
	}
}

LLM_INLINE LLM_AVX2 void
LlmGemmPackedQ32(LlmType type, int64_t n, int nr, int nt, float *s, size_t ldc,
				 const void *w, size_t ws, const void *a, size_t as)
{
	LlmQ32Panel panel;
	LlmQ32Aux	aux;

	LLM_Q32_PACKED_LOOPS(8, LlmPanelQ32(type, (const char *) w + ws * r0, ws, rows, b0, kb, &panel,
										ag, as, ng, &aux, sg + r0, ldc));
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

LLM_X86_GEMM(LlmGemmQ8_0_avx2, LLM_AVX2, LlmGemmQ32, LLM_TYPE_Q8_0)
LLM_X86_GEMM(LlmGemmQ4_0_avx2, LLM_AVX2, LlmGemmQ32, LLM_TYPE_Q4_0)
LLM_X86_GEMM(LlmGemmQ5_0_avx2, LLM_AVX2, LlmGemmQ32, LLM_TYPE_Q5_0)

/* ------------------------------------------------------------------------
 * Float formats (F32, F16, BF16): for one activation row eight weight rows
 * reduced together, for more 4 x 2 tiles (LLM_FLOAT_TILES).
 * ------------------------------------------------------------------------
 */

/*
 * One 4 x 2 tile: acc[4t + r] = row wr[r] times activation at[t], reduced
 * and stored for the first `rows` rows and `tn` activations.
 */
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
		LlmGemvF(kind, n, nr, s, w, ws, a);
	else
		LLM_FLOAT_TILES(LlmTileF(kind, n, wr, at, s + ldc * t0 + r0, ldc, rows, tn), kind, 2);
}

LLM_X86_GEMM(LlmGemmF32_avx2, LLM_AVX2, LlmGemmF, LLM_FK_F32)
LLM_X86_GEMM(LlmGemmF16_avx2, LLM_AVX2, LlmGemmF, LLM_FK_F16)
LLM_X86_GEMM(LlmGemmBf16_avx2, LLM_AVX2, LlmGemmF, LLM_FK_BF16)

/* ------------------------------------------------------------------------
 * gemm for the K-quants.
 * ------------------------------------------------------------------------
 */

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

LLM_X86_GEMM(LlmGemmQ4_K_avx2, LLM_AVX2, LlmGemmK, LLM_TYPE_Q4_K)
LLM_X86_GEMM(LlmGemmQ5_K_avx2, LLM_AVX2, LlmGemmK, LLM_TYPE_Q5_K)
LLM_X86_GEMM(LlmGemmQ6_K_avx2, LLM_AVX2, LlmGemmK, LLM_TYPE_Q6_K)

#endif							/* __x86_64__ */
