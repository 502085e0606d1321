/*-------------------------------------------------------------------------
 *
 * arm_i8mm.c
 *	  The "i8mm" kernel variant: the dotprod variant plus SMMLA tiles for
 *	  prompt processing (Neoverse V1/V2/N2: Graviton 3 and 4, and other
 *	  Armv8.6+ cores).
 *
 * SMMLA multiplies a 2x8 int8 matrix by an 8x2 one into a 2x2 int32
 * accumulator: with two weight rows in the first operand and two
 * activation rows in the second, one instruction does the work of two
 * SDOTs.  A gemm tile is 4 weight rows x 4 activations: every unpacked
 * weight block serves four activations and every activation block four
 * rows.  An accumulator's lanes are (r0,t0) (r0,t1) (r1,t0) (r1,t1), so
 * the per-row block scales go in as {a, a, b, b} and the per-activation
 * ones as {x, y, x, y}.
 *
 * A single activation (token generation) has nothing to pair, so vec_dot
 * and gemms with fewer than four activations, as well as the edges of a
 * gemm, are the dotprod variant's.  Converters and float formats are the
 * NEON variant's.
 *
 * Compiles to nothing on other architectures, or where the compiler cannot
 * build it (kernels_arm.h).
 *
 *-------------------------------------------------------------------------
 */
#include "kernels_arm.h"

#if defined(__aarch64__) && defined(LLM_ARM_HAVE_I8MM)

#include "arm_common.h"

/* rows 0..7 of a and of b, then rows 8..15: the operand layout of SMMLA */
static inline void
LlmI8mmInterleave(int8x16_t a, int8x16_t b, int8x16_t *z0, int8x16_t *z1)
{
	int64x2_t	a64 = vreinterpretq_s64_s8(a);
	int64x2_t	b64 = vreinterpretq_s64_s8(b);

	*z0 = vreinterpretq_s8_s64(vzip1q_s64(a64, b64));
	*z1 = vreinterpretq_s8_s64(vzip2q_s64(a64, b64));
}

/* {a, a, b, b}: a per-row value in accumulator lane order */
static inline float32x4_t
LlmI8mmRowPair(float a, float b)
{
	return vcombine_f32(vdup_n_f32(a), vdup_n_f32(b));
}

/* {x, y, x, y}: a per-activation value in accumulator lane order */
static inline float32x4_t
LlmI8mmColPair(float x, float y)
{
	float32x2_t xy = vset_lane_f32(y, vdup_n_f32(x), 1);

	return vcombine_f32(xy, xy);
}

/* the four sums of a 2 x 2 tile, from the four-lane vectors p[r][t] */
static inline int32x4_t
LlmI8mmPairSums(int32x4_t p00, int32x4_t p01, int32x4_t p10, int32x4_t p11)
{
	return vpaddq_s32(vpaddq_s32(p00, p01), vpaddq_s32(p10, p11));
}

/* store a 2 x 2 accumulator at rows r, r + 1 and activations t, t + 1 */
static inline void
LlmI8mmStore(float *s, size_t ldc, float32x4_t v)
{
	s[0] = vgetq_lane_f32(v, 0);
	s[ldc] = vgetq_lane_f32(v, 1);
	s[1] = vgetq_lane_f32(v, 2);
	s[ldc + 1] = vgetq_lane_f32(v, 3);
}

/* 32 int8 values of each of two rows, as the four SMMLA operands they make */
static inline void
LlmI8mmLoad32(const int8_t *q0, const int8_t *q1, int8x16_t z[4])
{
	LlmI8mmInterleave(vld1q_s8(q0), vld1q_s8(q1), &z[0], &z[1]);
	LlmI8mmInterleave(vld1q_s8(q0 + 16), vld1q_s8(q1 + 16), &z[2], &z[3]);
}

/* the 2 x 2 integer dot products of 32 values, by four SMMLAs */
LLM_ARM_INLINE LLM_ARM_I8MM int32x4_t
LlmI8mmDot32(const int8x16_t wz[4], const int8x16_t az[4])
{
	int32x4_t	p = vmmlaq_s32(vdupq_n_s32(0), wz[0], az[0]);

	p = vmmlaq_s32(p, wz[1], az[1]);
	p = vmmlaq_s32(p, wz[2], az[2]);
	return vmmlaq_s32(p, wz[3], az[3]);
}

/*
 * A 4 x 4 tile is 2 x 2 accumulators acc[rp][tp], each the 2 x 2 pair of
 * rows 2rp, 2rp + 1 and activations 2tp, 2tp + 1.  Forced inline like the
 * tiles, so that the arrays stay in registers.
 */
LLM_ARM_INLINE void
LlmI8mmZeroTile(float32x4_t acc[2][2])
{
	LLM_ARM_UNROLL
	for (int rp = 0; rp < 2; rp++)
		LLM_ARM_UNROLL
		for (int tp = 0; tp < 2; tp++)
			acc[rp][tp] = vdupq_n_f32(0.0f);
}

/* acc += isum scaled by the rows' d times the activations' d */
LLM_ARM_INLINE void
LlmI8mmAddTile(float32x4_t acc[2][2], int32x4_t isum[2][2],
			   const float32x4_t wd[2], const float32x4_t ad[2])
{
	LLM_ARM_UNROLL
	for (int rp = 0; rp < 2; rp++)
		LLM_ARM_UNROLL
		for (int tp = 0; tp < 2; tp++)
			acc[rp][tp] = vfmaq_f32(acc[rp][tp], vcvtq_f32_s32(isum[rp][tp]),
									vmulq_f32(wd[rp], ad[tp]));
}

LLM_ARM_INLINE void
LlmI8mmStoreTile(float *s, size_t ldc, float32x4_t acc[2][2])
{
	LLM_ARM_UNROLL
	for (int rp = 0; rp < 2; rp++)
		LLM_ARM_UNROLL
		for (int tp = 0; tp < 2; tp++)
			LlmI8mmStore(s + ldc * (2 * tp) + 2 * rp, ldc, acc[rp][tp]);
}

/*
 * Q8_0 / Q4_0 / Q5_0: a 32-weight block is four SMMLAs per 2 x 2 pair, its
 * integer result scaled by {dw} * {da} in float.
 */
LLM_ARM_INLINE LLM_ARM_I8MM void
LlmI8mmTile32(LlmType type, int64_t n, const char *w, size_t ws,
			  const char *a, size_t as, float *s, size_t ldc)
{
	int64_t		nb = n / QK8_0;
	float32x4_t acc[2][2];

	LlmI8mmZeroTile(acc);

	for (int64_t ib = 0; ib < nb; ib++)
	{
		int8x16_t	wz[2][4];
		float32x4_t wd[2];

		LLM_ARM_UNROLL
		for (int rp = 0; rp < 2; rp++)
		{
			int8x16_t	lo0,
						hi0,
						lo1,
						hi1;
			float		d0,
						d1;

			LlmArmUnpack32(type, w + ws * (2 * rp), ib, &lo0, &hi0, &d0);
			LlmArmUnpack32(type, w + ws * (2 * rp + 1), ib, &lo1, &hi1, &d1);
			LlmI8mmInterleave(lo0, lo1, &wz[rp][0], &wz[rp][1]);
			LlmI8mmInterleave(hi0, hi1, &wz[rp][2], &wz[rp][3]);
			wd[rp] = LlmI8mmRowPair(d0, d1);
		}

		LLM_ARM_UNROLL
		for (int tp = 0; tp < 2; tp++)
		{
			const BlockQ8_0 *y0 = (const BlockQ8_0 *) (a + as * (2 * tp)) + ib;
			const BlockQ8_0 *y1 = (const BlockQ8_0 *) (a + as * (2 * tp + 1)) + ib;
			int8x16_t	az[4];
			float32x4_t ad = LlmI8mmColPair(LlmArmHalf(y0->d), LlmArmHalf(y1->d));

			LlmI8mmLoad32(y0->qs, y1->qs, az);

			LLM_ARM_UNROLL
			for (int rp = 0; rp < 2; rp++)
			{
				int32x4_t	p = LlmI8mmDot32(wz[rp], az);

				acc[rp][tp] = vfmaq_f32(acc[rp][tp], vcvtq_f32_s32(p),
										vmulq_f32(wd[rp], ad));
			}
		}
	}

	LlmI8mmStoreTile(s, ldc, acc);
}

/*
 * Q4_K / Q5_K: per sub-block, four SMMLAs per 2 x 2 pair, scaled in int32
 * by that sub-block's 6-bit scale of each row; the scales of a row pair
 * make one 16-byte TBL table.  The min term is subtracted in float from
 * the Q8_K group sums, as in the dotprod variant.
 */
LLM_ARM_INLINE LLM_ARM_I8MM void
LlmI8mmTileK45(LlmType type, int64_t n, const char *w, size_t ws,
			   const char *a, size_t as, float *s, size_t ldc)
{
	/* TBL index of sub-block j's scale in lanes {r0, r0, r1, r1} */
	static const uint8_t scale_index[16] = {0, 255, 255, 255, 0, 255, 255, 255,
	8, 255, 255, 255, 8, 255, 255, 255};
	int64_t		nb = n / QK_K;
	float32x4_t acc[2][2];
	uint8x16_t	step = vreinterpretq_u8_u32(vdupq_n_u32(1));

	LlmI8mmZeroTile(acc);

	for (int64_t i = 0; i < nb; i++)
	{
		const void *x[4];
		const BlockQ8_K *y[4];
		uint8x16_t	tab[2];
		float32x4_t wd[2];
		float32x4_t wmin[2];
		float32x4_t ad[2];
		int32x4_t	isum[2][2];
		uint8x16_t	idx = vld1q_u8(scale_index);

		LLM_ARM_UNROLL
		for (int t = 0; t < 4; t++)
			y[t] = (const BlockQ8_K *) (a + as * t) + i;
		LLM_ARM_UNROLL
		for (int tp = 0; tp < 2; tp++)
			ad[tp] = LlmI8mmColPair(y[2 * tp]->d, y[2 * tp + 1]->d);

		LLM_ARM_UNROLL
		for (int rp = 0; rp < 2; rp++)
		{
			uint8x8_t	sc8[2];
			int16x8_t	mins[2];
			float		d[2];
			float		dmin[2];

			LLM_ARM_UNROLL
			for (int k = 0; k < 2; k++)
			{
				int			r = 2 * rp + k;
				uint8x8_t	m8;

				x[r] = LlmArmBlockK45(type, w + ws * r, i);
				LlmArmUnpackScalesK4(LlmArmHeadK45(type, x[r], &d[k], &dmin[k]),
									 &sc8[k], &m8);
				mins[k] = vreinterpretq_s16_u16(vmovl_u8(m8));
			}
			tab[rp] = vcombine_u8(sc8[0], sc8[1]);
			wd[rp] = LlmI8mmRowPair(d[0], d[1]);
			wmin[rp] = LlmI8mmRowPair(dmin[0], dmin[1]);

			LLM_ARM_UNROLL
			for (int tp = 0; tp < 2; tp++)
			{
				int16x8_t	p0 = LlmArmBsumPairs(y[2 * tp]);
				int16x8_t	p1 = LlmArmBsumPairs(y[2 * tp + 1]);
				int32x4_t	m = LlmI8mmPairSums(LlmArmMinTerm(mins[0], p0),
												LlmArmMinTerm(mins[0], p1),
												LlmArmMinTerm(mins[1], p0),
												LlmArmMinTerm(mins[1], p1));

				acc[rp][tp] = vfmsq_f32(acc[rp][tp], vcvtq_f32_s32(m),
										vmulq_f32(wmin[rp], ad[tp]));
				isum[rp][tp] = vdupq_n_s32(0);
			}
		}

		/* sub-block j = 2c + half: nibbles of chunk c, activations 32j.. */
		LLM_ARM_UNROLL
		for (int j = 0; j < 8; j++)
		{
			int			c = j / 2;
			int8x16_t	wz[2][4];
			int32x4_t	sc[2];

			LLM_ARM_UNROLL
			for (int rp = 0; rp < 2; rp++)
			{
				int8x16_t	q[2][2];

				LLM_ARM_UNROLL
				for (int k = 0; k < 2; k++)
				{
					int8x16_t	lo[2];
					int8x16_t	hi[2];

					LlmArmUnpackK45Chunk(type, x[2 * rp + k], c, lo, hi);
					q[k][0] = j % 2 == 0 ? lo[0] : hi[0];
					q[k][1] = j % 2 == 0 ? lo[1] : hi[1];
				}
				LlmI8mmInterleave(q[0][0], q[1][0], &wz[rp][0], &wz[rp][1]);
				LlmI8mmInterleave(q[0][1], q[1][1], &wz[rp][2], &wz[rp][3]);
				sc[rp] = vreinterpretq_s32_u8(vqtbl1q_u8(tab[rp], idx));
			}
			idx = vaddq_u8(idx, step);

			LLM_ARM_UNROLL
			for (int tp = 0; tp < 2; tp++)
			{
				const int8_t *q0 = y[2 * tp]->qs + 32 * j;
				const int8_t *q1 = y[2 * tp + 1]->qs + 32 * j;
				int8x16_t	az[4];

				LlmI8mmLoad32(q0, q1, az);

				LLM_ARM_UNROLL
				for (int rp = 0; rp < 2; rp++)
					isum[rp][tp] = vmlaq_s32(isum[rp][tp], LlmI8mmDot32(wz[rp], az), sc[rp]);
			}
		}

		LlmI8mmAddTile(acc, isum, wd, ad);
	}

	LlmI8mmStoreTile(s, ldc, acc);
}

/*
 * Q6_K: sub-blocks of 16 are two SMMLAs per 2 x 2 pair.  The scales are
 * signed: the TBL puts each in the top byte of its lane and an arithmetic
 * shift brings it down.  The weights are used as 0..63; the "- 32" comes
 * off as 32 * sum_j scale_j * bsums_j.
 */
LLM_ARM_INLINE LLM_ARM_I8MM void
LlmI8mmTileQ6_K(int64_t n, const char *w, size_t ws,
				const char *a, size_t as, float *s, size_t ldc)
{
	static const uint8_t scale_index[16] = {255, 255, 255, 0, 255, 255, 255, 0,
	255, 255, 255, 8, 255, 255, 255, 8};
	int64_t		nb = n / QK_K;
	float32x4_t acc[2][2];
	uint8x16_t	step = vreinterpretq_u8_u32(vdupq_n_u32(1u << 24));

	LlmI8mmZeroTile(acc);

	for (int64_t i = 0; i < nb; i++)
	{
		const BlockQ6_K *x[4];
		const BlockQ8_K *y[4];
		float32x4_t wd[2];
		float32x4_t ad[2];
		int32x4_t	isum[2][2];

		LLM_ARM_UNROLL
		for (int r = 0; r < 4; r++)
		{
			x[r] = (const BlockQ6_K *) (w + ws * r) + i;
			y[r] = (const BlockQ8_K *) (a + as * r) + i;
		}
		LLM_ARM_UNROLL
		for (int p = 0; p < 2; p++)
		{
			wd[p] = LlmI8mmRowPair(LlmArmHalf(x[2 * p]->d), LlmArmHalf(x[2 * p + 1]->d));
			ad[p] = LlmI8mmColPair(y[2 * p]->d, y[2 * p + 1]->d);
		}
		LLM_ARM_UNROLL
		for (int rp = 0; rp < 2; rp++)
			LLM_ARM_UNROLL
			for (int tp = 0; tp < 2; tp++)
			{
				int32x4_t	bias = LlmI8mmPairSums(LlmArmQ6_KBias(x[2 * rp], y[2 * tp]),
												   LlmArmQ6_KBias(x[2 * rp], y[2 * tp + 1]),
												   LlmArmQ6_KBias(x[2 * rp + 1], y[2 * tp]),
												   LlmArmQ6_KBias(x[2 * rp + 1], y[2 * tp + 1]));

				isum[rp][tp] = vmulq_n_s32(bias, -32);
			}

		LLM_ARM_UNROLL
		for (int h = 0; h < 2; h++)
		{
			uint8x16_t	tab[2];
			uint8x16_t	idx = vld1q_u8(scale_index);

			LLM_ARM_UNROLL
			for (int rp = 0; rp < 2; rp++)
				tab[rp] = vcombine_u8(vld1_u8((const uint8_t *) x[2 * rp]->scales + 8 * h),
									  vld1_u8((const uint8_t *) x[2 * rp + 1]->scales + 8 * h));

			/* sub-blocks 8h + 2k + m, m = 0, 1 */
			LLM_ARM_UNROLL
			for (int k = 0; k < 4; k++)
			{
				int8x16_t	wz[2][2][2];
				int32x4_t	sc[2][2];

				LLM_ARM_UNROLL
				for (int rp = 0; rp < 2; rp++)
				{
					uint8x16_t	v0[2];
					uint8x16_t	v1[2];

					LlmArmUnpackQ6_KPair(x[2 * rp], h, k, v0);
					LlmArmUnpackQ6_KPair(x[2 * rp + 1], h, k, v1);
					LLM_ARM_UNROLL
					for (int m = 0; m < 2; m++)
						LlmI8mmInterleave(vreinterpretq_s8_u8(v0[m]), vreinterpretq_s8_u8(v1[m]),
										  &wz[rp][m][0], &wz[rp][m][1]);
				}
				LLM_ARM_UNROLL
				for (int m = 0; m < 2; m++)
				{
					LLM_ARM_UNROLL
					for (int rp = 0; rp < 2; rp++)
						sc[rp][m] = vshrq_n_s32(vreinterpretq_s32_u8(vqtbl1q_u8(tab[rp], idx)), 24);
					idx = vaddq_u8(idx, step);
				}

				LLM_ARM_UNROLL
				for (int tp = 0; tp < 2; tp++)
				{
					const int8_t *q0 = y[2 * tp]->qs + 128 * h + 32 * k;
					const int8_t *q1 = y[2 * tp + 1]->qs + 128 * h + 32 * k;

					LLM_ARM_UNROLL
					for (int m = 0; m < 2; m++)
					{
						int8x16_t	az0;
						int8x16_t	az1;

						LlmI8mmInterleave(vld1q_s8(q0 + 16 * m), vld1q_s8(q1 + 16 * m), &az0, &az1);
						LLM_ARM_UNROLL
						for (int rp = 0; rp < 2; rp++)
						{
							int32x4_t	p = vmmlaq_s32(vdupq_n_s32(0), wz[rp][m][0], az0);

							p = vmmlaq_s32(p, wz[rp][m][1], az1);
							isum[rp][tp] = vmlaq_s32(isum[rp][tp], p, sc[rp][m]);
						}
					}
				}
			}
		}

		LlmI8mmAddTile(acc, isum, wd, ad);
	}

	LlmI8mmStoreTile(s, ldc, acc);
}

/*
 * Per weight type: the 4 x 4 SMMLA tile, the edge tiles (through the
 * dotprod gemm, whose own tiling handles those shapes) and the gemm.
 * Fewer than four activations go to the dotprod gemm whole.
 */
#define LLM_I8MM_TYPE(NAME, TILE) \
static LLM_ARM_I8MM void \
LlmI8mmTile##NAME##_big(int64_t n, const char *w, size_t ws, \
						const char *a, size_t as, float *s, size_t ldc) \
{ \
	TILE; \
} \
static void \
LlmI8mmTile##NAME##_rows(int64_t n, const char *w, size_t ws, \
						 const char *a, size_t as, float *s, size_t ldc) \
{ \
	LlmGemm##NAME##_dotprod(n, 4, 1, s, ldc, w, ws, a, as); \
} \
static void \
LlmI8mmTile##NAME##_col(int64_t n, const char *w, size_t ws, \
						const char *a, size_t as, float *s, size_t ldc) \
{ \
	LlmGemm##NAME##_dotprod(n, 1, 4, s, ldc, w, ws, a, as); \
} \
static void \
LlmI8mmTile##NAME##_one(int64_t n, const char *w, size_t ws, \
						const char *a, size_t as, float *s, size_t ldc) \
{ \
	LlmVecDot##NAME##_dotprod(n, s, w, a); \
} \
void \
LlmGemm##NAME##_i8mm(int64_t n, int nr, int nt, float *s, size_t ldc, \
					 const void *w, size_t ws, const void *a, size_t as) \
{ \
	if (nt < 4) \
		LlmGemm##NAME##_dotprod(n, nr, nt, s, ldc, w, ws, a, as); \
	else \
		LlmArmGemmTiles(n, nr, nt, s, ldc, w, ws, a, as, 4, 4, \
						LlmI8mmTile##NAME##_big, LlmI8mmTile##NAME##_rows, \
						LlmI8mmTile##NAME##_col, LlmI8mmTile##NAME##_one); \
}

LLM_I8MM_TYPE(Q8_0, LlmI8mmTile32(LLM_TYPE_Q8_0, n, w, ws, a, as, s, ldc))
LLM_I8MM_TYPE(Q4_0, LlmI8mmTile32(LLM_TYPE_Q4_0, n, w, ws, a, as, s, ldc))
LLM_I8MM_TYPE(Q5_0, LlmI8mmTile32(LLM_TYPE_Q5_0, n, w, ws, a, as, s, ldc))
LLM_I8MM_TYPE(Q4_K, LlmI8mmTileK45(LLM_TYPE_Q4_K, n, w, ws, a, as, s, ldc))
LLM_I8MM_TYPE(Q5_K, LlmI8mmTileK45(LLM_TYPE_Q5_K, n, w, ws, a, as, s, ldc))
LLM_I8MM_TYPE(Q6_K, LlmI8mmTileQ6_K(n, w, ws, a, as, s, ldc))

static const LlmKernelTable llm_kernels_i8mm = {
	.name = "i8mm",
	.vec_dot = {
		[LLM_TYPE_F32] = LlmVecDotF32_neon,
		[LLM_TYPE_F16] = LlmVecDotF16_neon,
		[LLM_TYPE_BF16] = LlmVecDotBf16_neon,
		[LLM_TYPE_Q8_0] = LlmVecDotQ8_0_dotprod,
		[LLM_TYPE_Q4_0] = LlmVecDotQ4_0_dotprod,
		[LLM_TYPE_Q5_0] = LlmVecDotQ5_0_dotprod,
		[LLM_TYPE_Q4_K] = LlmVecDotQ4_K_dotprod,
		[LLM_TYPE_Q5_K] = LlmVecDotQ5_K_dotprod,
		[LLM_TYPE_Q6_K] = LlmVecDotQ6_K_dotprod,
	},
	.gemm = {
		[LLM_TYPE_F32] = LlmGemmF32_neon,
		[LLM_TYPE_F16] = LlmGemmF16_neon,
		[LLM_TYPE_BF16] = LlmGemmBf16_neon,
		[LLM_TYPE_Q8_0] = LlmGemmQ8_0_i8mm,
		[LLM_TYPE_Q4_0] = LlmGemmQ4_0_i8mm,
		[LLM_TYPE_Q5_0] = LlmGemmQ5_0_i8mm,
		[LLM_TYPE_Q4_K] = LlmGemmQ4_K_i8mm,
		[LLM_TYPE_Q5_K] = LlmGemmQ5_K_i8mm,
		[LLM_TYPE_Q6_K] = LlmGemmQ6_K_i8mm,
	},
	LLM_ARM_CONVERTERS,
};

const LlmKernelTable *
LlmKernelsI8mm(void)
{
	return &llm_kernels_i8mm;
}

#endif							/* LLM_ARM_HAVE_I8MM */
