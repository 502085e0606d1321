/*-------------------------------------------------------------------------
 *
 * arm_qdot.h
 *	  Integer dot products and gemm tiles of the quantized weight types
 *	  against Q8_0 / Q8_K activations, written once for the NEON and the
 *	  dotprod variants, which differ only in how sixteen int8 products are
 *	  summed.  Internal; included by arm_neon.c and arm_dotprod.c, each
 *	  after defining:
 *
 *	LLM_QDOT_ATTR		 target attribute of every function here
 *	LLM_QDOT16(acc, a, b) acc (int32x4) plus the products of the int8x16
 *						 vectors a and b, summed into the lanes somehow;
 *						 only the total over the four lanes is used
 *	LLM_QDOT_NAME(x)	 the exported name of x, e.g. Llm##x##_neon
 *
 * Every block's integer dot product is exact.  For the K-quants the block
 * scales are applied in float per lane and the lanes added once at the
 * end; Q8_0/Q4_0/Q5_0 add each block's whole sum times dw * da in one FMA,
 * the order the i8mm tiles have.  Results differ from the reference only
 * in float summation order.
 *
 * Tiles: gemm covers the matrix with 4 weight rows x 2 activations, so each
 * unpacked weight block serves two activations and each activation block
 * four rows; a single activation (token generation) uses 4 x 1 tiles, and
 * rows left over 1 x 2 and 1 x 1.  The K-quant tiles of four rows keep the
 * rows in the lanes of their accumulators (LlmQdotStepK45Rows), the only
 * arrangement found to fit the 32 vector registers.
 *
 *-------------------------------------------------------------------------
 */

#define LLM_QDOT_TB 2

/*
 * One block of Q8_0 / Q4_0 / Q5_0 for an R x T tile: acc[r][t] gets
 * (integer dot) * dw * da in its lanes.
 */
LLM_ARM_INLINE LLM_QDOT_ATTR void
LlmQdotStep32(LlmType type, const int R, const int T, int64_t ib,
			  const char *w, size_t ws, const char *a, size_t as,
			  float32x4_t acc[4][4])
{
	int8x16_t	wlo[4];
	int8x16_t	whi[4];
	float		wd[4];

	LLM_ARM_UNROLL
	for (int r = 0; r < R; r++)
		LlmArmUnpack32(type, w + ws * r, ib, &wlo[r], &whi[r], &wd[r]);

	LLM_ARM_UNROLL
	for (int t = 0; t < T; t++)
	{
		const BlockQ8_0 *y = (const BlockQ8_0 *) (a + as * t) + ib;
		int8x16_t	alo = vld1q_s8(y->qs);
		int8x16_t	ahi = vld1q_s8(y->qs + 16);
		float		ad = LlmArmHalf(y->d);

		LLM_ARM_UNROLL
		for (int r = 0; r < R; r++)
		{
			int32x4_t	p = LLM_QDOT16(vdupq_n_s32(0), wlo[r], alo);

			/*
			 * The block's whole integer sum, one FMA per block in order
			 * (every lane alike; lane 0 is the result): the i8mm tiles
			 * compute each element in exactly this order, so gemm gives
			 * the same bits through either.
			 */
			p = LLM_QDOT16(p, whi[r], ahi);
			acc[r][t] = vfmaq_n_f32(acc[r][t], vdupq_n_f32((float) vaddvq_s32(p)), wd[r] * ad);
		}
	}
}

/*
 * One Q4_K / Q5_K super-block.  Per sub-block j the integer dot S_j is
 * scaled by the 6-bit scale; pairwise adds gather the S_j of sub-blocks
 * 0..3 and 4..7 into the lanes of one vector each so that the scales apply
 * with one multiply.  The min term, dmin * sum_j m_j * (activation sum of
 * sub-block j), comes from the Q8_K group sums.
 */
LLM_ARM_INLINE LLM_QDOT_ATTR void
LlmQdotStepK45(LlmType type, const int R, const int T, int64_t i,
			   const char *w, size_t ws, const char *a, size_t as,
			   float32x4_t acc[4][4])
{
	const void *x[4];
	const BlockQ8_K *y[4];
	int32x4_t	sc[4][2];
	int32x4_t	isum[4][4];
	float		d[4];
	float		yd[4];

	LLM_ARM_UNROLL
	for (int t = 0; t < T; t++)
	{
		y[t] = (const BlockQ8_K *) (a + as * t) + i;
		yd[t] = y[t]->d;
	}

	LLM_ARM_UNROLL
	for (int r = 0; r < R; r++)
	{
		uint8x8_t	sc8;
		uint8x8_t	m8;
		int16x8_t	mins;
		uint16x8_t	sc16;
		float		dmin;

		x[r] = LlmArmBlockK45(type, w + ws * r, i);
		LlmArmUnpackScalesK4(LlmArmHeadK45(type, x[r], &d[r], &dmin), &sc8, &m8);
		sc16 = vmovl_u8(sc8);
		sc[r][0] = vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(sc16)));
		sc[r][1] = vreinterpretq_s32_u32(vmovl_high_u16(sc16));
		mins = vreinterpretq_s16_u16(vmovl_u8(m8));

		LLM_ARM_UNROLL
		for (int t = 0; t < T; t++)
		{
			int32x4_t	m = LlmArmMinTerm(mins, LlmArmBsumPairs(y[t]));

			acc[r][t] = vfmsq_n_f32(acc[r][t], vcvtq_f32_s32(m), dmin * yd[t]);
		}
	}

	/* chunk c holds sub-blocks 2c (low nibbles) and 2c + 1 (high) */
	LLM_ARM_UNROLL
	for (int half = 0; half < 2; half++)
	{
		int32x4_t	part[4][4][2];

		LLM_ARM_UNROLL
		for (int cc = 0; cc < 2; cc++)
		{
			int			c = 2 * half + cc;
			int8x16_t	lo[4][2];
			int8x16_t	hi[4][2];

			LLM_ARM_UNROLL
			for (int r = 0; r < R; r++)
				LlmArmUnpackK45Chunk(type, x[r], c, lo[r], hi[r]);
			LLM_ARM_UNROLL
			for (int t = 0; t < T; t++)
			{
				const int8_t *q8 = y[t]->qs + 64 * c;
				int8x16_t	a0 = vld1q_s8(q8);
				int8x16_t	a1 = vld1q_s8(q8 + 16);
				int8x16_t	a2 = vld1q_s8(q8 + 32);
				int8x16_t	a3 = vld1q_s8(q8 + 48);

				LLM_ARM_UNROLL
				for (int r = 0; r < R; r++)
				{
					int32x4_t	plo = LLM_QDOT16(vdupq_n_s32(0), lo[r][0], a0);
					int32x4_t	phi = LLM_QDOT16(vdupq_n_s32(0), hi[r][0], a2);

					plo = LLM_QDOT16(plo, lo[r][1], a1);
					phi = LLM_QDOT16(phi, hi[r][1], a3);
					part[r][t][cc] = vpaddq_s32(plo, phi);
				}
			}
		}
		/* lanes: S_4half, S_4half+1, S_4half+2, S_4half+3 */
		LLM_ARM_UNROLL
		for (int r = 0; r < R; r++)
			LLM_ARM_UNROLL
			for (int t = 0; t < T; t++)
			{
				int32x4_t	sums = vpaddq_s32(part[r][t][0], part[r][t][1]);

				if (half == 0)
					isum[r][t] = vmulq_s32(sums, sc[r][0]);
				else
					isum[r][t] = vmlaq_s32(isum[r][t], sums, sc[r][1]);
			}
	}

	LLM_ARM_UNROLL
	for (int r = 0; r < R; r++)
		LLM_ARM_UNROLL
		for (int t = 0; t < T; t++)
			acc[r][t] = vfmaq_n_f32(acc[r][t], vcvtq_f32_s32(isum[r][t]), d[r] * yd[t]);
}

/*
 * One Q6_K super-block: sixteen sub-blocks of 16 with signed 8-bit scales.
 * The weights are used as 0..63 and the "- 32" is taken off afterwards as
 * 32 * sum_j scale_j * bsums_j.
 */
LLM_ARM_INLINE LLM_QDOT_ATTR void
LlmQdotStepQ6_K(const int R, const int T, int64_t i,
				const char *w, size_t ws, const char *a, size_t as,
				float32x4_t acc[4][4])
{
	const BlockQ6_K *x[4];
	const BlockQ8_K *y[4];
	int32x4_t	isum[4][4];

	LLM_ARM_UNROLL
	for (int r = 0; r < R; r++)
		x[r] = (const BlockQ6_K *) (w + ws * r) + i;
	LLM_ARM_UNROLL
	for (int t = 0; t < T; t++)
		y[t] = (const BlockQ8_K *) (a + as * t) + i;

	LLM_ARM_UNROLL
	for (int r = 0; r < R; r++)
		LLM_ARM_UNROLL
		for (int t = 0; t < T; t++)
			isum[r][t] = vmulq_n_s32(LlmArmQ6_KBias(x[r], y[t]), -32);

	/* quarter q: sub-blocks 4q .. 4q + 3, half q / 2 */
	LLM_ARM_UNROLL
	for (int q = 0; q < 4; q++)
	{
		int32x4_t	part[4][4][2];
		int32x4_t	scq[4];

		LLM_ARM_UNROLL
		for (int kk = 0; kk < 2; kk++)
		{
			int			h = q / 2;
			int			k = 2 * (q % 2) + kk;
			uint8x16_t	v[4][2];

			LLM_ARM_UNROLL
			for (int r = 0; r < R; r++)
				LlmArmUnpackQ6_KPair(x[r], h, k, v[r]);
			LLM_ARM_UNROLL
			for (int t = 0; t < T; t++)
			{
				const int8_t *q8 = y[t]->qs + 128 * h + 32 * k;
				int8x16_t	a0 = vld1q_s8(q8);
				int8x16_t	a1 = vld1q_s8(q8 + 16);

				LLM_ARM_UNROLL
				for (int r = 0; r < R; r++)
				{
					int32x4_t	p0 = LLM_QDOT16(vdupq_n_s32(0), vreinterpretq_s8_u8(v[r][0]), a0);
					int32x4_t	p1 = LLM_QDOT16(vdupq_n_s32(0), vreinterpretq_s8_u8(v[r][1]), a1);

					part[r][t][kk] = vpaddq_s32(p0, p1);
				}
			}
		}
		LLM_ARM_UNROLL
		for (int r = 0; r < R; r++)
		{
			int8x16_t	sc = vld1q_s8(x[r]->scales);
			int16x8_t	s16 = q < 2 ? vmovl_s8(vget_low_s8(sc)) : vmovl_high_s8(sc);

			scq[r] = q % 2 == 0 ? vmovl_s16(vget_low_s16(s16)) : vmovl_high_s16(s16);
		}
		LLM_ARM_UNROLL
		for (int r = 0; r < R; r++)
			LLM_ARM_UNROLL
			for (int t = 0; t < T; t++)
				isum[r][t] = vmlaq_s32(isum[r][t],
									   vpaddq_s32(part[r][t][0], part[r][t][1]),
									   scq[r]);
	}

	LLM_ARM_UNROLL
	for (int r = 0; r < R; r++)
	{
		float		d = LlmArmHalf(x[r]->d);

		LLM_ARM_UNROLL
		for (int t = 0; t < T; t++)
			acc[r][t] = vfmaq_n_f32(acc[r][t], vcvtq_f32_s32(isum[r][t]), d * y[t]->d);
	}
}

/*
 * The K-quants again, for tiles of four weight rows, which keep one vector
 * per activation with the four rows in its lanes.  Holding a vector of
 * scales and a running sum per row would need more than the 32 registers;
 * here each sub-block's four row sums are gathered into one vector
 * (LlmArmRowSums) and multiplied by that sub-block's scales of the four
 * rows, picked out of a table of all 32 (two registers) by TBL.  The tile
 * result is then stored as one vector per activation.
 */
LLM_ARM_INLINE LLM_QDOT_ATTR void
LlmQdotStepK45Rows(LlmType type, const int T, int64_t i,
				   const char *w, size_t ws, const char *a, size_t as,
				   float32x4_t acc[4])
{
	/* TBL index of sub-block j's scale (byte) in each row's int32 lane */
	static const uint8_t scale_index[16] = {0, 255, 255, 255, 8, 255, 255, 255,
	16, 255, 255, 255, 24, 255, 255, 255};
	const void *x[4];
	const BlockQ8_K *y[4];
	uint8x8_t	sc8[4];
	int16x8_t	mins[4];
	float		d[4];
	float		dmin[4];
	uint8x16x2_t tab;
	uint8x16_t	idx = vld1q_u8(scale_index);
	uint8x16_t	step = vreinterpretq_u8_u32(vdupq_n_u32(1));
	int32x4_t	isum[4];
	float32x4_t dv;
	float32x4_t dminv;

	LLM_ARM_UNROLL
	for (int r = 0; r < 4; r++)
	{
		uint8x8_t	m8;

		x[r] = LlmArmBlockK45(type, w + ws * r, i);
		LlmArmUnpackScalesK4(LlmArmHeadK45(type, x[r], &d[r], &dmin[r]), &sc8[r], &m8);
		mins[r] = vreinterpretq_s16_u16(vmovl_u8(m8));
	}
	tab.val[0] = vcombine_u8(sc8[0], sc8[1]);
	tab.val[1] = vcombine_u8(sc8[2], sc8[3]);
	dv = vld1q_f32(d);
	dminv = vld1q_f32(dmin);

	LLM_ARM_UNROLL
	for (int t = 0; t < T; t++)
	{
		int16x8_t	pairs;
		int32x4_t	m;

		y[t] = (const BlockQ8_K *) (a + as * t) + i;
		pairs = LlmArmBsumPairs(y[t]);
		m = LlmArmRowSums(LlmArmMinTerm(mins[0], pairs), LlmArmMinTerm(mins[1], pairs),
						  LlmArmMinTerm(mins[2], pairs), LlmArmMinTerm(mins[3], pairs));
		acc[t] = vfmsq_f32(acc[t], vcvtq_f32_s32(m), vmulq_n_f32(dminv, y[t]->d));
		isum[t] = vdupq_n_s32(0);
	}

	/* chunk c holds sub-blocks 2c (low nibbles) and 2c + 1 (high) */
	LLM_ARM_UNROLL
	for (int c = 0; c < 4; c++)
	{
		int32x4_t	sc_lo = vreinterpretq_s32_u8(vqtbl2q_u8(tab, idx));
		int32x4_t	sc_hi;
		int32x4_t	hold[4][2];
		int32x4_t	pair01[4][2];

		idx = vaddq_u8(idx, step);
		sc_hi = vreinterpretq_s32_u8(vqtbl2q_u8(tab, idx));
		idx = vaddq_u8(idx, step);

		LLM_ARM_UNROLL
		for (int r = 0; r < 4; r++)
		{
			int8x16_t	lo[2];
			int8x16_t	hi[2];

			LlmArmUnpackK45Chunk(type, x[r], c, lo, hi);

			LLM_ARM_UNROLL
			for (int t = 0; t < T; t++)
			{
				const int8_t *q8 = y[t]->qs + 64 * c;
				int32x4_t	p[2];

				p[0] = LLM_QDOT16(vdupq_n_s32(0), lo[0], vld1q_s8(q8));
				p[0] = LLM_QDOT16(p[0], lo[1], vld1q_s8(q8 + 16));
				p[1] = LLM_QDOT16(vdupq_n_s32(0), hi[0], vld1q_s8(q8 + 32));
				p[1] = LLM_QDOT16(p[1], hi[1], vld1q_s8(q8 + 48));

				/* the LlmArmRowSums tree, built as the rows come */
				LLM_ARM_UNROLL
				for (int k = 0; k < 2; k++)
				{
					if (r % 2 == 0)
						hold[t][k] = p[k];
					else if (r == 1)
						pair01[t][k] = vpaddq_s32(hold[t][k], p[k]);
					else
					{
						int32x4_t	sums = vpaddq_s32(pair01[t][k],
													  vpaddq_s32(hold[t][k], p[k]));

						isum[t] = vmlaq_s32(isum[t], sums, k == 0 ? sc_lo : sc_hi);
					}
				}
			}
		}
	}

	LLM_ARM_UNROLL
	for (int t = 0; t < T; t++)
		acc[t] = vfmaq_f32(acc[t], vcvtq_f32_s32(isum[t]), vmulq_n_f32(dv, y[t]->d));
}

/*
 * Q6_K for four rows, as above.  The scales are signed, so the TBL puts
 * each in the top byte of its lane and an arithmetic shift brings it down;
 * one half-block's eight scales per row make a two-register table.
 */
LLM_ARM_INLINE LLM_QDOT_ATTR void
LlmQdotStepQ6_KRows(const int T, int64_t i,
					const char *w, size_t ws, const char *a, size_t as,
					float32x4_t acc[4])
{
	static const uint8_t scale_index[16] = {255, 255, 255, 0, 255, 255, 255, 8,
	255, 255, 255, 16, 255, 255, 255, 24};
	const BlockQ6_K *x[4];
	const BlockQ8_K *y[4];
	float		d[4];
	uint8x16_t	step = vreinterpretq_u8_u32(vdupq_n_u32(1u << 24));
	int32x4_t	isum[4];
	float32x4_t dv;

	LLM_ARM_UNROLL
	for (int r = 0; r < 4; r++)
	{
		x[r] = (const BlockQ6_K *) (w + ws * r) + i;
		d[r] = LlmArmHalf(x[r]->d);
	}
	dv = vld1q_f32(d);

	LLM_ARM_UNROLL
	for (int t = 0; t < T; t++)
	{
		int32x4_t	bias;

		y[t] = (const BlockQ8_K *) (a + as * t) + i;
		bias = LlmArmRowSums(LlmArmQ6_KBias(x[0], y[t]), LlmArmQ6_KBias(x[1], y[t]),
							 LlmArmQ6_KBias(x[2], y[t]), LlmArmQ6_KBias(x[3], y[t]));
		isum[t] = vmulq_n_s32(bias, -32);
	}

	LLM_ARM_UNROLL
	for (int h = 0; h < 2; h++)
	{
		uint8x16x2_t tab;
		uint8x16_t	idx = vld1q_u8(scale_index);

		tab.val[0] = vcombine_u8(vld1_u8((const uint8_t *) x[0]->scales + 8 * h),
								 vld1_u8((const uint8_t *) x[1]->scales + 8 * h));
		tab.val[1] = vcombine_u8(vld1_u8((const uint8_t *) x[2]->scales + 8 * h),
								 vld1_u8((const uint8_t *) x[3]->scales + 8 * h));

		LLM_ARM_UNROLL
		for (int k = 0; k < 4; k++)
		{
			int32x4_t	sc[2];
			int32x4_t	hold[4][2];
			int32x4_t	pair01[4][2];

			LLM_ARM_UNROLL
			for (int m = 0; m < 2; m++)
			{
				sc[m] = vshrq_n_s32(vreinterpretq_s32_u8(vqtbl2q_u8(tab, idx)), 24);
				idx = vaddq_u8(idx, step);
			}

			LLM_ARM_UNROLL
			for (int r = 0; r < 4; r++)
			{
				uint8x16_t	v[2];

				LlmArmUnpackQ6_KPair(x[r], h, k, v);
				LLM_ARM_UNROLL
				for (int t = 0; t < T; t++)
				{
					const int8_t *q8 = y[t]->qs + 128 * h + 32 * k;

					LLM_ARM_UNROLL
					for (int m = 0; m < 2; m++)
					{
						int32x4_t	p = LLM_QDOT16(vdupq_n_s32(0), vreinterpretq_s8_u8(v[m]),
												   vld1q_s8(q8 + 16 * m));

						if (r % 2 == 0)
							hold[t][m] = p;
						else if (r == 1)
							pair01[t][m] = vpaddq_s32(hold[t][m], p);
						else
						{
							int32x4_t	sums = vpaddq_s32(pair01[t][m],
														  vpaddq_s32(hold[t][m], p));

							isum[t] = vmlaq_s32(isum[t], sums, sc[m]);
						}
					}
				}
			}
		}
	}

	LLM_ARM_UNROLL
	for (int t = 0; t < T; t++)
		acc[t] = vfmaq_f32(acc[t], vcvtq_f32_s32(isum[t]), vmulq_n_f32(dv, y[t]->d));
}

/* a 4 x T tile of a K-quant, stored one vector of four rows per activation */
LLM_ARM_INLINE LLM_QDOT_ATTR void
LlmQdotTileRows(LlmType type, const int T, int64_t n,
				const char *w, size_t ws, const char *a, size_t as,
				float *s, size_t ldc)
{
	int64_t		nb = n / QK_K;
	float32x4_t acc[4];

	LLM_ARM_UNROLL
	for (int t = 0; t < T; t++)
		acc[t] = vdupq_n_f32(0.0f);
	for (int64_t i = 0; i < nb; i++)
	{
		if (type == LLM_TYPE_Q6_K)
			LlmQdotStepQ6_KRows(T, i, w, ws, a, as, acc);
		else
			LlmQdotStepK45Rows(type, T, i, w, ws, a, as, acc);
	}
	LLM_ARM_UNROLL
	for (int t = 0; t < T; t++)
		vst1q_f32(s + ldc * t, acc[t]);
}

LLM_ARM_INLINE LLM_QDOT_ATTR void
LlmQdotStep(LlmType type, const int R, const int T, int64_t ib,
			const char *w, size_t ws, const char *a, size_t as,
			float32x4_t acc[4][4])
{
	if (type == LLM_TYPE_Q4_K || type == LLM_TYPE_Q5_K)
		LlmQdotStepK45(type, R, T, ib, w, ws, a, as, acc);
	else if (type == LLM_TYPE_Q6_K)
		LlmQdotStepQ6_K(R, T, ib, w, ws, a, as, acc);
	else
		LlmQdotStep32(type, R, T, ib, w, ws, a, as, acc);
}

/*
 * s[t * ldc + r] = dot(weight row r, activation row t) for an R x T tile.
 * Every shape accumulates an element the same way (no faster path for a
 * lone dot product), so that its bits do not depend on the tile.
 */
LLM_ARM_INLINE LLM_QDOT_ATTR void
LlmQdotTile(LlmType type, const int R, const int T, int64_t n,
			const char *w, size_t ws, const char *a, size_t as,
			float *s, size_t ldc)
{
	int64_t		nb = n / (type == LLM_TYPE_Q4_K || type == LLM_TYPE_Q5_K ||
						  type == LLM_TYPE_Q6_K ? QK_K : QK8_0);
	float32x4_t acc[4][4];
	int64_t		ib = 0;

	LLM_ARM_UNROLL
	for (int r = 0; r < R; r++)
		LLM_ARM_UNROLL
		for (int t = 0; t < T; t++)
			acc[r][t] = vdupq_n_f32(0.0f);

	for (; ib < nb; ib++)
		LlmQdotStep(type, R, T, ib, w, ws, a, as, acc);

	LLM_ARM_UNROLL
	for (int r = 0; r < R; r++)
		LLM_ARM_UNROLL
		for (int t = 0; t < T; t++)
			s[ldc * t + r] = type == LLM_TYPE_Q8_0 || type == LLM_TYPE_Q4_0 ||
				type == LLM_TYPE_Q5_0 ? vgetq_lane_f32(acc[r][t], 0) : vaddvq_f32(acc[r][t]);
}

/* 4 x T tiles: the rows-in-lanes kernels for the K-quants */
LLM_ARM_INLINE LLM_QDOT_ATTR void
LlmQdotTile4(LlmType type, const int T, int64_t n,
			 const char *w, size_t ws, const char *a, size_t as,
			 float *s, size_t ldc)
{
	if (type == LLM_TYPE_Q4_K || type == LLM_TYPE_Q5_K || type == LLM_TYPE_Q6_K)
		LlmQdotTileRows(type, T, n, w, ws, a, as, s, ldc);
	else
		LlmQdotTile(type, 4, T, n, w, ws, a, as, s, ldc);
}

/*
 * Per weight type: the four tile shapes LlmArmGemmTiles wants, the gemm
 * and the vec_dot (the 1 x 1 tile).
 */
#define LLM_QDOT_TYPE(NAME, TYPE) \
static LLM_QDOT_ATTR void \
LlmQdotTile##NAME##_big(int64_t n, const char *w, size_t ws, \
						const char *a, size_t as, float *s, size_t ldc) \
{ \
	LlmQdotTile4(TYPE, LLM_QDOT_TB, n, w, ws, a, as, s, ldc); \
} \
static LLM_QDOT_ATTR void \
LlmQdotTile##NAME##_rows(int64_t n, const char *w, size_t ws, \
						 const char *a, size_t as, float *s, size_t ldc) \
{ \
	LlmQdotTile4(TYPE, 1, n, w, ws, a, as, s, ldc); \
} \
static LLM_QDOT_ATTR void \
LlmQdotTile##NAME##_col(int64_t n, const char *w, size_t ws, \
						const char *a, size_t as, float *s, size_t ldc) \
{ \
	LlmQdotTile(TYPE, 1, LLM_QDOT_TB, n, w, ws, a, as, s, ldc); \
} \
static LLM_QDOT_ATTR void \
LlmQdotTile##NAME##_one(int64_t n, const char *w, size_t ws, \
						const char *a, size_t as, float *s, size_t ldc) \
{ \
	LlmQdotTile(TYPE, 1, 1, n, w, ws, a, as, s, ldc); \
} \
LLM_QDOT_ATTR void \
LLM_QDOT_NAME(VecDot##NAME) (int64_t n, float *s, const void *w, const void *a) \
{ \
	LlmQdotTile##NAME##_one(n, w, 0, a, 0, s, 0); \
} \
LLM_QDOT_ATTR void \
LLM_QDOT_NAME(Gemm##NAME) (int64_t n, int nr, int nt, float *s, size_t ldc, \
						   const void *w, size_t ws, const void *a, size_t as) \
{ \
	LlmArmGemmTiles(n, nr, nt, s, ldc, w, ws, a, as, 4, LLM_QDOT_TB, \
					LlmQdotTile##NAME##_big, LlmQdotTile##NAME##_rows, \
					LlmQdotTile##NAME##_col, LlmQdotTile##NAME##_one); \
}

LLM_QDOT_TYPE(Q8_0, LLM_TYPE_Q8_0)
LLM_QDOT_TYPE(Q4_0, LLM_TYPE_Q4_0)
LLM_QDOT_TYPE(Q5_0, LLM_TYPE_Q5_0)
LLM_QDOT_TYPE(Q4_K, LLM_TYPE_Q4_K)
LLM_QDOT_TYPE(Q5_K, LLM_TYPE_Q5_K)
LLM_QDOT_TYPE(Q6_K, LLM_TYPE_Q6_K)
