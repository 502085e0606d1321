/*-------------------------------------------------------------------------
 *
 * arm_sve.c
 *	  The "sve" kernel variant: vector-length-agnostic SVE dot products
 *	  and gemm tiles, with SVE's own SDOT (A64FX, which has SVE at 512 bits
 *	  but no NEON dot product, and any other SVE CPU).
 *
 * Nothing here assumes a vector length: loops step by svcntb() / svcntw()
 * and predicates (svwhilelt) cover the ends, so the code is right at 128,
 * 256, 512 bits and beyond.  Quantized blocks are 32 bytes of quants (or
 * 32-byte chunks of a K-quant super-block): at 128 bits a block takes two
 * vectors, at 256 one, and at 512 one with the upper half predicated off
 * (the activations are loaded with the predicate, so those lanes multiply
 * by zero).
 *
 * Gemm uses tiles of four weight rows sharing each activation load, which
 * is what token generation needs.  The converters and the small per-block
 * scale arithmetic are the NEON variant's: every SVE CPU has NEON.
 *
 * Compiles to nothing on other architectures, or where the compiler cannot
 * build it (kernels_arm.h).
 *
 *-------------------------------------------------------------------------
 */
#include "kernels_arm.h"

#if defined(__aarch64__) && defined(LLM_ARM_HAVE_SVE)

#include "arm_common.h"

#include <arm_sve.h>

/* ------------------------------------------------------------------------
 * Float formats
 * ------------------------------------------------------------------------
 */

/* the elements i.. of an F32 / F16 / BF16 row under pg, as floats */
LLM_ARM_INLINE LLM_ARM_SVE svfloat32_t
LlmSveLoadF(LlmType type, svbool_t pg, const char *row, int64_t i)
{
	if (type == LLM_TYPE_F32)
		return svld1_f32(pg, (const float *) row + i);
	if (type == LLM_TYPE_F16)
	{
		/* each half in the low half of a 32-bit lane, which FCVT reads */
		svuint32_t	h = svld1uh_u32(pg, (const uint16_t *) row + i);

		return svcvt_f32_f16_x(pg, svreinterpret_f16_u32(h));
	}
	return svreinterpret_f32_u32(svlsl_n_u32_x(pg, svld1uh_u32(pg, (const uint16_t *) row + i), 16));
}

/*
 * Float dot products of R (1 or 4) weight rows with one activation row.
 * Fused multiply-adds accumulate in float; a lone row (vec_dot only: the
 * gemm always uses four-row tiles) keeps four accumulators and four rows
 * two each, so that consecutive adds do not wait on each other.
 */
LLM_ARM_INLINE LLM_ARM_SVE void
LlmSveTileF(LlmType type, const int R, int64_t n, const char *w, size_t ws,
			const char *a, float *s)
{
	int64_t		vl = (int64_t) svcntw();
	svbool_t	pt = svptrue_b32();
	svfloat32_t acc0 = svdup_n_f32(0.0f);
	svfloat32_t acc1 = svdup_n_f32(0.0f);
	svfloat32_t acc2 = svdup_n_f32(0.0f);
	svfloat32_t acc3 = svdup_n_f32(0.0f);
	svfloat32_t acc4 = svdup_n_f32(0.0f);
	svfloat32_t acc5 = svdup_n_f32(0.0f);
	svfloat32_t acc6 = svdup_n_f32(0.0f);
	svfloat32_t acc7 = svdup_n_f32(0.0f);
	int64_t		i = 0;

	if (R == 1)
	{
		for (; i + 4 * vl <= n; i += 4 * vl)
		{
			acc0 = svmla_f32_x(pt, acc0, LlmSveLoadF(type, pt, w, i),
							   LlmSveLoadF(type, pt, a, i));
			acc1 = svmla_f32_x(pt, acc1, LlmSveLoadF(type, pt, w, i + vl),
							   LlmSveLoadF(type, pt, a, i + vl));
			acc2 = svmla_f32_x(pt, acc2, LlmSveLoadF(type, pt, w, i + 2 * vl),
							   LlmSveLoadF(type, pt, a, i + 2 * vl));
			acc3 = svmla_f32_x(pt, acc3, LlmSveLoadF(type, pt, w, i + 3 * vl),
							   LlmSveLoadF(type, pt, a, i + 3 * vl));
		}
		for (; i < n; i += vl)
		{
			svbool_t	pg = svwhilelt_b32_s64(i, n);

			acc0 = svmla_f32_m(pg, acc0, LlmSveLoadF(type, pg, w, i),
							   LlmSveLoadF(type, pg, a, i));
		}
		acc0 = svadd_f32_x(pt, svadd_f32_x(pt, acc0, acc1), svadd_f32_x(pt, acc2, acc3));
		s[0] = svaddv_f32(pt, acc0);
		return;
	}

	for (; i + 2 * vl <= n; i += 2 * vl)
	{
		svfloat32_t av0 = LlmSveLoadF(type, pt, a, i);
		svfloat32_t av1 = LlmSveLoadF(type, pt, a, i + vl);

		acc0 = svmla_f32_x(pt, acc0, LlmSveLoadF(type, pt, w, i), av0);
		acc1 = svmla_f32_x(pt, acc1, LlmSveLoadF(type, pt, w, i + vl), av1);
		acc2 = svmla_f32_x(pt, acc2, LlmSveLoadF(type, pt, w + ws, i), av0);
		acc3 = svmla_f32_x(pt, acc3, LlmSveLoadF(type, pt, w + ws, i + vl), av1);
		acc4 = svmla_f32_x(pt, acc4, LlmSveLoadF(type, pt, w + 2 * ws, i), av0);
		acc5 = svmla_f32_x(pt, acc5, LlmSveLoadF(type, pt, w + 2 * ws, i + vl), av1);
		acc6 = svmla_f32_x(pt, acc6, LlmSveLoadF(type, pt, w + 3 * ws, i), av0);
		acc7 = svmla_f32_x(pt, acc7, LlmSveLoadF(type, pt, w + 3 * ws, i + vl), av1);
	}
	/*
	 * The rest: the accumulators of the main loop take the vectors they
	 * would have taken there (even, then odd), masked lanes adding
	 * nothing, so zero activations past n leave every sum unchanged.
	 */
	for (int odd = 0; i < n; i += vl, odd = !odd)
	{
		svbool_t	pg = svwhilelt_b32_s64(i, n);
		svfloat32_t av = LlmSveLoadF(type, pg, a, i);

		if (odd)
		{
			acc1 = svmla_f32_m(pg, acc1, LlmSveLoadF(type, pg, w, i), av);
			acc3 = svmla_f32_m(pg, acc3, LlmSveLoadF(type, pg, w + ws, i), av);
			acc5 = svmla_f32_m(pg, acc5, LlmSveLoadF(type, pg, w + 2 * ws, i), av);
			acc7 = svmla_f32_m(pg, acc7, LlmSveLoadF(type, pg, w + 3 * ws, i), av);
		}
		else
		{
			acc0 = svmla_f32_m(pg, acc0, LlmSveLoadF(type, pg, w, i), av);
			acc2 = svmla_f32_m(pg, acc2, LlmSveLoadF(type, pg, w + ws, i), av);
			acc4 = svmla_f32_m(pg, acc4, LlmSveLoadF(type, pg, w + 2 * ws, i), av);
			acc6 = svmla_f32_m(pg, acc6, LlmSveLoadF(type, pg, w + 3 * ws, i), av);
		}
	}
	s[0] = svaddv_f32(pt, svadd_f32_x(pt, acc0, acc1));
	s[1] = svaddv_f32(pt, svadd_f32_x(pt, acc2, acc3));
	s[2] = svaddv_f32(pt, svadd_f32_x(pt, acc4, acc5));
	s[3] = svaddv_f32(pt, svadd_f32_x(pt, acc6, acc7));
}

/* ------------------------------------------------------------------------
 * Q8_0, Q4_0, Q5_0
 * ------------------------------------------------------------------------
 */

/*
 * Weights off .. off + VL - 1 of block ib as int8 (lanes past element 31
 * are don't-care: their activations are zero).  The nibble formats load
 * their 16 bytes replicated into every 128-bit granule (LD1RQ); element e
 * is the low nibble of byte e for e < 16 and the high nibble of byte
 * e - 16 after, which a predicate on e < 16 selects.
 */
LLM_ARM_INLINE LLM_ARM_SVE svint8_t
LlmSveUnpack32(LlmType type, const char *row, int64_t ib, int off, svbool_t pg)
{
	svbool_t	pt = svptrue_b8();
	svuint8_t	v;
	svuint8_t	q;

	if (type == LLM_TYPE_Q8_0)
		return svld1_s8(pg, ((const BlockQ8_0 *) row + ib)->qs + off);

	if (type == LLM_TYPE_Q4_0)
	{
		v = svld1rq_u8(pt, ((const BlockQ4_0 *) row + ib)->qs);
		q = svsel_u8(svwhilelt_b8_s32(off, 16), svand_n_u8_x(pt, v, 0x0F),
					 svlsr_n_u8_x(pt, v, 4));
		return svsub_n_s8_x(pt, svreinterpret_s8_u8(q), 8);
	}
	else
	{
		/*
		 * Q5_0's fifth bit of element e is bit e % 8 of qh[e / 8]: a table
		 * lookup spreads the qh bytes (LD1RQ of qh reads qh and the first
		 * quants, all inside the block) and a shifted 1 tests the bit.
		 * Then q - 16, plus 16 where the bit is set.
		 */
		const BlockQ5_0 *b = (const BlockQ5_0 *) row + ib;
		svuint8_t	e = svindex_u8((uint8_t) off, 1);
		svuint8_t	qh = svtbl_u8(svld1rq_u8(pt, b->qh), svlsr_n_u8_x(pt, e, 3));
		svuint8_t	bit = svlsl_u8_x(pt, svdup_n_u8(1), svand_n_u8_x(pt, e, 7));
		svbool_t	set = svcmpne_n_u8(pt, svand_u8_x(pt, qh, bit), 0);
		svint8_t	r;

		v = svld1rq_u8(pt, b->qs);
		q = svsel_u8(svwhilelt_b8_s32(off, 16), svand_n_u8_x(pt, v, 0x0F),
					 svlsr_n_u8_x(pt, v, 4));
		r = svsub_n_s8_x(pt, svreinterpret_s8_u8(q), 16);
		return svadd_n_s8_m(set, r, 16);
	}
}

/* block scale of a Q8_0 / Q4_0 / Q5_0 block */
static inline float
LlmSveScale32(LlmType type, const char *row, int64_t ib)
{
	if (type == LLM_TYPE_Q8_0)
		return LlmArmHalf(((const BlockQ8_0 *) row + ib)->d);
	if (type == LLM_TYPE_Q4_0)
		return LlmArmHalf(((const BlockQ4_0 *) row + ib)->d);
	return LlmArmHalf(((const BlockQ5_0 *) row + ib)->d);
}

/* one block for R rows: acc_r += (integer dot) * dw_r * da */
LLM_ARM_INLINE LLM_ARM_SVE void
LlmSveStep32(LlmType type, const int R, int64_t ib, const char *w, size_t ws,
			 const char *a, svfloat32_t *acc0, svfloat32_t *acc1,
			 svfloat32_t *acc2, svfloat32_t *acc3)
{
	int			vl = (int) svcntb();
	svbool_t	pt = svptrue_b32();
	const BlockQ8_0 *y = (const BlockQ8_0 *) a + ib;
	float		ad = LlmArmHalf(y->d);
	svint32_t	p0 = svdup_n_s32(0);
	svint32_t	p1 = svdup_n_s32(0);
	svint32_t	p2 = svdup_n_s32(0);
	svint32_t	p3 = svdup_n_s32(0);

	for (int off = 0; off < QK8_0; off += vl)
	{
		svbool_t	pg = svwhilelt_b8_s32(off, QK8_0);
		svint8_t	av = svld1_s8(pg, y->qs + off);

		p0 = svdot_s32(p0, LlmSveUnpack32(type, w, ib, off, pg), av);
		if (R > 1)
		{
			p1 = svdot_s32(p1, LlmSveUnpack32(type, w + ws, ib, off, pg), av);
			p2 = svdot_s32(p2, LlmSveUnpack32(type, w + 2 * ws, ib, off, pg), av);
			p3 = svdot_s32(p3, LlmSveUnpack32(type, w + 3 * ws, ib, off, pg), av);
		}
	}
	*acc0 = svmla_n_f32_x(pt, *acc0, svcvt_f32_s32_x(pt, p0),
						  LlmSveScale32(type, w, ib) * ad);
	if (R > 1)
	{
		*acc1 = svmla_n_f32_x(pt, *acc1, svcvt_f32_s32_x(pt, p1),
							  LlmSveScale32(type, w + ws, ib) * ad);
		*acc2 = svmla_n_f32_x(pt, *acc2, svcvt_f32_s32_x(pt, p2),
							  LlmSveScale32(type, w + 2 * ws, ib) * ad);
		*acc3 = svmla_n_f32_x(pt, *acc3, svcvt_f32_s32_x(pt, p3),
							  LlmSveScale32(type, w + 3 * ws, ib) * ad);
	}
}

/* ------------------------------------------------------------------------
 * K-quants
 * ------------------------------------------------------------------------
 */

/*
 * One Q4_K / Q5_K super-block of one row: the nibble dots of each
 * sub-block are scaled in int32 by its 6-bit scale, the block total in
 * float by d; the min term (NEON, from the Q8_K group sums) goes to a
 * scalar.
 */
LLM_ARM_INLINE LLM_ARM_SVE void
LlmSveRowK45(LlmType type, const char *row, int64_t i, const BlockQ8_K *y,
			 svfloat32_t *acc, float *minsum)
{
	int			vl = (int) svcntb();
	svbool_t	pt = svptrue_b8();
	svbool_t	pt32 = svptrue_b32();
	const uint8_t *scales;
	const uint8_t *qs;
	const uint8_t *qh = NULL;
	float		d;
	float		dmin;
	uint64_t	sc;
	uint64_t	m;
	svint32_t	isum = svdup_n_s32(0);

	if (type == LLM_TYPE_Q4_K)
	{
		const BlockQ4_K *x = (const BlockQ4_K *) row + i;

		scales = x->scales;
		qs = x->qs;
		d = LlmArmHalf(x->d);
		dmin = LlmArmHalf(x->dmin);
	}
	else
	{
		const BlockQ5_K *x = (const BlockQ5_K *) row + i;

		scales = x->scales;
		qs = x->qs;
		qh = x->qh;
		d = LlmArmHalf(x->d);
		dmin = LlmArmHalf(x->dmin);
	}
	LlmArmScalesK4Bytes(scales, &sc, &m);
	{
		int16x8_t	mins = vreinterpretq_s16_u16(vmovl_u8(vcreate_u8(m)));
		int32x4_t	mt = LlmArmMinTerm(mins, LlmArmBsumPairs(y));

		*minsum += dmin * y->d * (float) vaddvq_s32(mt);
	}

	for (int c = 0; c < 4; c++)
	{
		svint32_t	plo = svdup_n_s32(0);
		svint32_t	phi = svdup_n_s32(0);

		for (int off = 0; off < 32; off += vl)
		{
			svbool_t	pg = svwhilelt_b8_s32(off, 32);
			svuint8_t	q = svld1_u8(pg, qs + 32 * c + off);
			svuint8_t	lo = svand_n_u8_x(pt, q, 0x0F);
			svuint8_t	hi = svlsr_n_u8_x(pt, q, 4);

			if (type == LLM_TYPE_Q5_K)
			{
				/* bit 2c of qh[l] is 16 for the low nibble, bit 2c + 1 high */
				svuint8_t	h = svld1_u8(pg, qh + off);

				lo = svorr_n_u8_m(svcmpne_n_u8(pt, svand_n_u8_x(pt, h, (uint8_t) (1 << (2 * c))), 0),
								  lo, 0x10);
				hi = svorr_n_u8_m(svcmpne_n_u8(pt, svand_n_u8_x(pt, h, (uint8_t) (2 << (2 * c))), 0),
								  hi, 0x10);
			}
			plo = svdot_s32(plo, svreinterpret_s8_u8(lo), svld1_s8(pg, y->qs + 64 * c + off));
			phi = svdot_s32(phi, svreinterpret_s8_u8(hi), svld1_s8(pg, y->qs + 64 * c + 32 + off));
		}
		isum = svmla_n_s32_x(pt32, isum, plo, (int32_t) ((sc >> (16 * c)) & 0xFF));
		isum = svmla_n_s32_x(pt32, isum, phi, (int32_t) ((sc >> (16 * c + 8)) & 0xFF));
	}
	*acc = svmla_n_f32_x(pt32, *acc, svcvt_f32_s32_x(pt32, isum), d * y->d);
}

/*
 * One Q6_K super-block of one row, 32 weights at a time (sub-blocks 2g,
 * 2g + 1 of 16).  SDOT's int32 lane j covers weights off + 4j .. + 3, so
 * lanes below (16 - off) / 4 take the first sub-block's scale.  The
 * weights are used as 0..63 and 32 * sum scale * bsums comes off lane 0.
 */
LLM_ARM_INLINE LLM_ARM_SVE void
LlmSveRowQ6_K(const char *row, int64_t i, const BlockQ8_K *y, svfloat32_t *acc)
{
	int			vl = (int) svcntb();
	svbool_t	pt = svptrue_b8();
	svbool_t	pt32 = svptrue_b32();
	const BlockQ6_K *x = (const BlockQ6_K *) row + i;
	int32_t		bias = vaddvq_s32(LlmArmQ6_KBias(x, y));
	svint32_t	isum = svdup_n_s32(0);

	isum = svsub_n_s32_m(svptrue_pat_b32(SV_VL1), isum, 32 * bias);

	for (int h = 0; h < 2; h++)
		for (int k = 0; k < 4; k++)
		{
			const uint8_t *ql = x->ql + 64 * h + 32 * (k & 1);
			const uint8_t *qh = x->qh + 32 * h;
			const int8_t *q8 = y->qs + 128 * h + 32 * k;
			int			g = 8 * h + 2 * k;

			for (int off = 0; off < 32; off += vl)
			{
				svbool_t	pg = svwhilelt_b8_s32(off, 32);
				svuint8_t	l = svld1_u8(pg, ql + off);
				svuint8_t	hb = svld1_u8(pg, qh + off);
				svuint8_t	q;
				svint32_t	p;
				svint32_t	scv;

				l = k < 2 ? svand_n_u8_x(pt, l, 0x0F) : svlsr_n_u8_x(pt, l, 4);
				hb = svand_n_u8_x(pt, svlsr_n_u8_x(pt, hb, (uint8_t) (2 * k)), 3);
				q = svorr_u8_x(pt, l, svlsl_n_u8_x(pt, hb, 4));
				p = svdot_s32(svdup_n_s32(0), svreinterpret_s8_u8(q), svld1_s8(pg, q8 + off));
				scv = svsel_s32(svwhilelt_b32_s32(off / 4, 4),
								svdup_n_s32(x->scales[g]), svdup_n_s32(x->scales[g + 1]));
				isum = svmla_s32_x(pt32, isum, p, scv);
			}
		}
	*acc = svmla_n_f32_x(pt32, *acc, svcvt_f32_s32_x(pt32, isum),
						 LlmArmHalf(x->d) * y->d);
}

/* one K-quant super-block for R rows */
LLM_ARM_INLINE LLM_ARM_SVE void
LlmSveStepK(LlmType type, const int R, int64_t i, const char *w, size_t ws,
			const char *a, svfloat32_t *acc0, svfloat32_t *acc1,
			svfloat32_t *acc2, svfloat32_t *acc3, float *minsum)
{
	const BlockQ8_K *y = (const BlockQ8_K *) a + i;

	if (type == LLM_TYPE_Q6_K)
	{
		LlmSveRowQ6_K(w, i, y, acc0);
		if (R > 1)
		{
			LlmSveRowQ6_K(w + ws, i, y, acc1);
			LlmSveRowQ6_K(w + 2 * ws, i, y, acc2);
			LlmSveRowQ6_K(w + 3 * ws, i, y, acc3);
		}
	}
	else
	{
		LlmSveRowK45(type, w, i, y, acc0, &minsum[0]);
		if (R > 1)
		{
			LlmSveRowK45(type, w + ws, i, y, acc1, &minsum[1]);
			LlmSveRowK45(type, w + 2 * ws, i, y, acc2, &minsum[2]);
			LlmSveRowK45(type, w + 3 * ws, i, y, acc3, &minsum[3]);
		}
	}
}

/*
 * R (1 or 4) quantized weight rows against one activation row.  A lone
 * row alternates two accumulators over consecutive blocks.
 */
LLM_ARM_INLINE LLM_ARM_SVE void
LlmSveTileQ(LlmType type, const int R, int64_t n, const char *w, size_t ws,
			const char *a, float *s)
{
	bool		kquant = type == LLM_TYPE_Q4_K || type == LLM_TYPE_Q5_K ||
		type == LLM_TYPE_Q6_K;
	int64_t		nb = n / (kquant ? QK_K : QK8_0);
	svbool_t	pt = svptrue_b32();
	svfloat32_t acc0 = svdup_n_f32(0.0f);
	svfloat32_t acc1 = svdup_n_f32(0.0f);
	svfloat32_t acc2 = svdup_n_f32(0.0f);
	svfloat32_t acc3 = svdup_n_f32(0.0f);
	float		minsum[4] = {0.0f, 0.0f, 0.0f, 0.0f};
	int64_t		ib = 0;

	if (R == 1 && !kquant)
	{
		for (; ib + 1 < nb; ib += 2)
		{
			LlmSveStep32(type, 1, ib, w, ws, a, &acc0, NULL, NULL, NULL);
			LlmSveStep32(type, 1, ib + 1, w, ws, a, &acc1, NULL, NULL, NULL);
		}
		acc0 = svadd_f32_x(pt, acc0, acc1);
	}
	for (; ib < nb; ib++)
	{
		if (kquant)
			LlmSveStepK(type, R, ib, w, ws, a, &acc0, &acc1, &acc2, &acc3, minsum);
		else
			LlmSveStep32(type, R, ib, w, ws, a, &acc0, &acc1, &acc2, &acc3);
	}

	s[0] = svaddv_f32(pt, acc0) - minsum[0];
	if (R > 1)
	{
		s[1] = svaddv_f32(pt, acc1) - minsum[1];
		s[2] = svaddv_f32(pt, acc2) - minsum[2];
		s[3] = svaddv_f32(pt, acc3) - minsum[3];
	}
}

/* ------------------------------------------------------------------------
 * Per type: 4 x 1 and 1 x 1 tiles, the gemm and the vec_dot
 * ------------------------------------------------------------------------
 */

#define LLM_SVE_TYPE(NAME, TILE) \
static LLM_ARM_SVE void \
LlmSveTile##NAME##_rows(int64_t n, const char *w, size_t ws, \
						const char *a, size_t as, float *s, size_t ldc) \
{ \
	TILE(4, n, w, ws, a, s); \
} \
static LLM_ARM_SVE void \
LlmSveTile##NAME##_one(int64_t n, const char *w, size_t ws, \
					   const char *a, size_t as, float *s, size_t ldc) \
{ \
	TILE(1, n, w, ws, a, s); \
} \
static LLM_ARM_SVE void \
LlmVecDot##NAME##_sve(int64_t n, float *s, const void *w, const void *a) \
{ \
	LlmSveTile##NAME##_one(n, w, 0, a, 0, s, 0); \
} \
static LLM_ARM_SVE void \
LlmGemm##NAME##_sve(int64_t n, int nr, int nt, float *s, size_t ldc, \
					const void *w, size_t ws, const void *a, size_t as) \
{ \
	LlmArmGemmTiles(n, nr, nt, s, ldc, w, ws, a, as, 4, 1, \
					LlmSveTile##NAME##_rows, LlmSveTile##NAME##_rows, \
					LlmSveTile##NAME##_one, LlmSveTile##NAME##_one); \
}

#define LLM_SVE_TILE_F32(R, n, w, ws, a, s) LlmSveTileF(LLM_TYPE_F32, R, n, w, ws, a, s)
#define LLM_SVE_TILE_F16(R, n, w, ws, a, s) LlmSveTileF(LLM_TYPE_F16, R, n, w, ws, a, s)
#define LLM_SVE_TILE_BF16(R, n, w, ws, a, s) LlmSveTileF(LLM_TYPE_BF16, R, n, w, ws, a, s)
#define LLM_SVE_TILE_Q8_0(R, n, w, ws, a, s) LlmSveTileQ(LLM_TYPE_Q8_0, R, n, w, ws, a, s)
#define LLM_SVE_TILE_Q4_0(R, n, w, ws, a, s) LlmSveTileQ(LLM_TYPE_Q4_0, R, n, w, ws, a, s)
#define LLM_SVE_TILE_Q5_0(R, n, w, ws, a, s) LlmSveTileQ(LLM_TYPE_Q5_0, R, n, w, ws, a, s)
#define LLM_SVE_TILE_Q4_K(R, n, w, ws, a, s) LlmSveTileQ(LLM_TYPE_Q4_K, R, n, w, ws, a, s)
#define LLM_SVE_TILE_Q5_K(R, n, w, ws, a, s) LlmSveTileQ(LLM_TYPE_Q5_K, R, n, w, ws, a, s)
#define LLM_SVE_TILE_Q6_K(R, n, w, ws, a, s) LlmSveTileQ(LLM_TYPE_Q6_K, R, n, w, ws, a, s)

LLM_SVE_TYPE(F32, LLM_SVE_TILE_F32)
LLM_SVE_TYPE(F16, LLM_SVE_TILE_F16)
LLM_SVE_TYPE(Bf16, LLM_SVE_TILE_BF16)
LLM_SVE_TYPE(Q8_0, LLM_SVE_TILE_Q8_0)
LLM_SVE_TYPE(Q4_0, LLM_SVE_TILE_Q4_0)
LLM_SVE_TYPE(Q5_0, LLM_SVE_TILE_Q5_0)
LLM_SVE_TYPE(Q4_K, LLM_SVE_TILE_Q4_K)
LLM_SVE_TYPE(Q5_K, LLM_SVE_TILE_Q5_K)
LLM_SVE_TYPE(Q6_K, LLM_SVE_TILE_Q6_K)

static const LlmKernelTable llm_kernels_sve = {
	.name = "sve",
	.vec_dot = {
		[LLM_TYPE_F32] = LlmVecDotF32_sve,
		[LLM_TYPE_F16] = LlmVecDotF16_sve,
		[LLM_TYPE_BF16] = LlmVecDotBf16_sve,
		[LLM_TYPE_Q8_0] = LlmVecDotQ8_0_sve,
		[LLM_TYPE_Q4_0] = LlmVecDotQ4_0_sve,
		[LLM_TYPE_Q5_0] = LlmVecDotQ5_0_sve,
		[LLM_TYPE_Q4_K] = LlmVecDotQ4_K_sve,
		[LLM_TYPE_Q5_K] = LlmVecDotQ5_K_sve,
		[LLM_TYPE_Q6_K] = LlmVecDotQ6_K_sve,
	},
	.gemm = {
		[LLM_TYPE_F32] = LlmGemmF32_sve,
		[LLM_TYPE_F16] = LlmGemmF16_sve,
		[LLM_TYPE_BF16] = LlmGemmBf16_sve,
		[LLM_TYPE_Q8_0] = LlmGemmQ8_0_sve,
		[LLM_TYPE_Q4_0] = LlmGemmQ4_0_sve,
		[LLM_TYPE_Q5_0] = LlmGemmQ5_0_sve,
		[LLM_TYPE_Q4_K] = LlmGemmQ4_K_sve,
		[LLM_TYPE_Q5_K] = LlmGemmQ5_K_sve,
		[LLM_TYPE_Q6_K] = LlmGemmQ6_K_sve,
	},
	LLM_ARM_CONVERTERS,
};

const LlmKernelTable *
LlmKernelsSve(void)
{
	return &llm_kernels_sve;
}

#endif							/* LLM_ARM_HAVE_SVE */
