/*-------------------------------------------------------------------------
 *
 * arm_neon.c
 *	  The "neon" kernel variant: Armv8-A Advanced SIMD only, so it runs on
 *	  every aarch64 CPU (Cortex-A53/A72, Graviton 1, ...).
 *
 * Besides its own dot products it provides the converters (activation
 * quantizers and dequantizers) and the float-format dot products that the
 * other Arm variants reuse: those gain nothing from SDOT or SMMLA.
 *
 * Converters are bit-identical to the scalar reference: the same float
 * operations in the same order, never fused (explicit vmulq / vsubq, and
 * the file is built with -ffp-contract=off), with FCVTNS / FCVTN rounding
 * to nearest even like rintf and the F16C instruction.  Where the
 * reference has a special case (NaN, saturation) the vector code spells
 * it out.
 *
 * Compiles to nothing on other architectures, or where the compiler cannot
 * build it (kernels_arm.h).
 *
 *-------------------------------------------------------------------------
 */
#include "kernels_arm.h"

#if defined(__aarch64__) && defined(LLM_ARM_HAVE_NEON)

#include "arm_common.h"

/* ------------------------------------------------------------------------
 * Activation converters
 * ------------------------------------------------------------------------
 */

void
LlmFromFloatF16_neon(const float *x, void *vy, int64_t n)
{
	LlmHalf    *y = vy;
	int64_t		i = 0;

	/* FCVTN rounds to nearest even, as VCVTPS2PH $0 does */
	for (; i + 8 <= n; i += 8)
	{
		float16x4_t lo = vcvt_f16_f32(vld1q_f32(x + i));
		float16x8_t h = vcvt_high_f16_f32(lo, vld1q_f32(x + i + 4));

		vst1q_u16(y + i, vreinterpretq_u16_f16(h));
	}
	for (; i < n; i++)
		y[i] = LlmFloatToHalf(x[i]);
}

/* LlmFloatToBf16 on four lanes: integer rounding, so no FPCR dependence */
static inline uint16x4_t
LlmNeonToBf16(float32x4_t v)
{
	uint32x4_t	u = vreinterpretq_u32_f32(v);
	uint32x4_t	lsb = vandq_u32(vshrq_n_u32(u, 16), vdupq_n_u32(1));
	uint32x4_t	rounded = vshrq_n_u32(vaddq_u32(vaddq_u32(u, vdupq_n_u32(0x7fff)), lsb), 16);
	uint32x4_t	quiet = vorrq_u32(vshrq_n_u32(u, 16), vdupq_n_u32(64));
	uint32x4_t	nan = vcgtq_u32(vandq_u32(u, vdupq_n_u32(0x7fffffff)),
								vdupq_n_u32(0x7f800000));

	return vmovn_u32(vbslq_u32(nan, quiet, rounded));
}

void
LlmFromFloatBf16_neon(const float *x, void *vy, int64_t n)
{
	LlmBf16    *y = vy;
	int64_t		i = 0;

	for (; i + 8 <= n; i += 8)
	{
		uint16x4_t	lo = LlmNeonToBf16(vld1q_f32(x + i));
		uint16x4_t	hi = LlmNeonToBf16(vld1q_f32(x + i + 4));

		vst1q_u16(y + i, vcombine_u16(lo, hi));
	}
	for (; i < n; i++)
		y[i] = LlmFloatToBf16(x[i]);
}

/*
 * |v| with NaN lanes as 0.  The reference's "if (|x| > amax)" never picks
 * a NaN; clearing them first lets plain FMAX (which would return NaN)
 * reduce the rest in any order.
 */
static inline float32x4_t
LlmNeonAbsNoNan(float32x4_t v)
{
	return vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(vabsq_f32(v)),
										   vceqq_f32(v, v)));
}

/* the fp16 bits of f, rounded to nearest even by FCVT */
static inline LlmHalf
LlmNeonFloatToHalf(float f)
{
	__fp16		h = (__fp16) f;
	LlmHalf		bits;

	memcpy(&bits, &h, sizeof(bits));
	return bits;
}

/*
 * Q8_0 as LlmQuantizeQ8_0_ref: id = 127 / amax, q = rintf(x * id) with NaN
 * to -128 and saturation to int8.  FCVTNS rounds half to even like rintf
 * but turns NaN into 0, hence the select; the saturating narrows do the
 * clamping.
 */
void
LlmQuantizeQ8_0_neon(const float *x, void *vy, int64_t n)
{
	BlockQ8_0  *y = vy;
	int64_t		nb = n / QK8_0;

	for (int64_t i = 0; i < nb; i++)
	{
		const float *xb = x + i * QK8_0;
		float32x4_t v[8];
		float32x4_t m;
		float		amax;
		float		id;
		int32x4_t	q[8];

		for (int j = 0; j < 8; j++)
			v[j] = vld1q_f32(xb + 4 * j);
		m = vmaxq_f32(vmaxq_f32(LlmNeonAbsNoNan(v[0]), LlmNeonAbsNoNan(v[1])),
					  vmaxq_f32(LlmNeonAbsNoNan(v[2]), LlmNeonAbsNoNan(v[3])));
		m = vmaxq_f32(m, vmaxq_f32(vmaxq_f32(LlmNeonAbsNoNan(v[4]), LlmNeonAbsNoNan(v[5])),
								   vmaxq_f32(LlmNeonAbsNoNan(v[6]), LlmNeonAbsNoNan(v[7]))));
		amax = vmaxvq_f32(m);

		id = (amax != 0.0f) ? 127.f / amax : 0.0f;
		y[i].d = LlmNeonFloatToHalf(amax / 127.f);

		for (int j = 0; j < 8; j++)
		{
			float32x4_t p = vmulq_n_f32(v[j], id);
			uint32x4_t	nan = vmvnq_u32(vceqq_f32(p, p));

			q[j] = vbslq_s32(nan, vdupq_n_s32(-128), vcvtnq_s32_f32(p));
		}
		for (int j = 0; j < 2; j++)
		{
			int16x8_t	q0 = vcombine_s16(vqmovn_s32(q[4 * j]), vqmovn_s32(q[4 * j + 1]));
			int16x8_t	q1 = vcombine_s16(vqmovn_s32(q[4 * j + 2]), vqmovn_s32(q[4 * j + 3]));

			vst1q_s8(y[i].qs + 16 * j, vcombine_s8(vqmovn_s16(q0), vqmovn_s16(q1)));
		}
	}
}

/*
 * Q8_K as LlmQuantizeQ8_K_ref: the scale comes from the first element of
 * largest magnitude (found as the first lane equal to the maximum), and a
 * quant is LlmNearestInt(iscale * x) limited to 127 then truncated to
 * int8, which FCVTNS, a clamp to [-4194303, 127] and two plain narrows
 * reproduce exactly.
 */
void
LlmQuantizeQ8_K_neon(const float *x, void *vy, int64_t n)
{
	BlockQ8_K  *y = vy;
	int64_t		nb = n / QK_K;

	for (int64_t i = 0; i < nb; i++)
	{
		const float *xb = x + i * QK_K;
		float32x4_t m[4];
		float		amax;
		float		max = 0.0f;
		float		iscale;
		int			j;

		for (int k = 0; k < 4; k++)
			m[k] = LlmNeonAbsNoNan(vld1q_f32(xb + 4 * k));
		for (j = 16; j < QK_K; j += 16)
			for (int k = 0; k < 4; k++)
				m[k] = vmaxq_f32(m[k], LlmNeonAbsNoNan(vld1q_f32(xb + j + 4 * k)));
		amax = vmaxvq_f32(vmaxq_f32(vmaxq_f32(m[0], m[1]), vmaxq_f32(m[2], m[3])));

		if (amax == 0.0f)
		{
			y[i].d = 0.0f;
			memset(y[i].qs, 0, sizeof(y[i].qs));
			memset(y[i].bsums, 0, sizeof(y[i].bsums));
			continue;
		}

		for (j = 0; j < QK_K; j += 4)
		{
			uint32x4_t	eq = vceqq_f32(vabsq_f32(vld1q_f32(xb + j)), vdupq_n_f32(amax));

			if (vmaxvq_u32(eq) != 0)
				break;
		}
		for (int k = j; k < j + 4; k++)
		{
			if (fabsf(xb[k]) == amax)
			{
				max = xb[k];
				break;
			}
		}

		iscale = -127.f / max;
		for (j = 0; j < QK_K; j += 16)
		{
			int16x8_t	q16[2];
			int8x16_t	q8;

			for (int k = 0; k < 2; k++)
			{
				int32x4_t	q0 = vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(xb + j + 8 * k), iscale));
				int32x4_t	q1 = vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(xb + j + 8 * k + 4), iscale));

				q0 = vminq_s32(vmaxq_s32(q0, vdupq_n_s32(-4194303)), vdupq_n_s32(127));
				q1 = vminq_s32(vmaxq_s32(q1, vdupq_n_s32(-4194303)), vdupq_n_s32(127));
				q16[k] = vcombine_s16(vmovn_s32(q0), vmovn_s32(q1));
			}
			q8 = vcombine_s8(vmovn_s16(q16[0]), vmovn_s16(q16[1]));
			vst1q_s8(y[i].qs + j, q8);
			y[i].bsums[j / 16] = vaddlvq_s8(q8);
		}
		y[i].d = 1.0f / iscale;
	}
}

/* ------------------------------------------------------------------------
 * Dequantizers
 * ------------------------------------------------------------------------
 */

void
LlmToFloatF16_neon(const void *vx, float *y, int64_t n)
{
	const LlmHalf *x = vx;
	int64_t		i = 0;

	for (; i + 8 <= n; i += 8)
	{
		float16x8_t h = vreinterpretq_f16_u16(vld1q_u16(x + i));

		vst1q_f32(y + i, vcvt_f32_f16(vget_low_f16(h)));
		vst1q_f32(y + i + 4, vcvt_high_f32_f16(h));
	}
	for (; i < n; i++)
		y[i] = LlmHalfToFloat(x[i]);
}

void
LlmToFloatBf16_neon(const void *vx, float *y, int64_t n)
{
	const LlmBf16 *x = vx;
	int64_t		i = 0;

	for (; i + 8 <= n; i += 8)
	{
		uint16x8_t	h = vld1q_u16(x + i);

		vst1q_f32(y + i, vreinterpretq_f32_u32(vshll_n_u16(vget_low_u16(h), 16)));
		vst1q_f32(y + i + 4, vreinterpretq_f32_u32(vshll_high_n_u16(h, 16)));
	}
	for (; i < n; i++)
		y[i] = LlmBf16ToFloat(x[i]);
}

/*
 * y[0..15] = q * d, or q * d - m when sub is set, one rounding per
 * operation as the reference.  (Subtracting a zero m is not skipped: it
 * turns -0 into +0.)
 */
static inline void
LlmNeonStoreScaled(float *y, int8x16_t q, float d, bool sub, float m)
{
	int16x8_t	lo = vmovl_s8(vget_low_s8(q));
	int16x8_t	hi = vmovl_high_s8(q);
	float32x4_t f[4];

	f[0] = vcvtq_f32_s32(vmovl_s16(vget_low_s16(lo)));
	f[1] = vcvtq_f32_s32(vmovl_high_s16(lo));
	f[2] = vcvtq_f32_s32(vmovl_s16(vget_low_s16(hi)));
	f[3] = vcvtq_f32_s32(vmovl_high_s16(hi));
	for (int k = 0; k < 4; k++)
	{
		float32x4_t v = vmulq_n_f32(f[k], d);

		if (sub)
			v = vsubq_f32(v, vdupq_n_f32(m));
		vst1q_f32(y + 4 * k, v);
	}
}

static inline void
LlmNeonDequantize32(LlmType type, const void *vx, float *y, int64_t n)
{
	int64_t		nb = n / QK8_0;

	for (int64_t i = 0; i < nb; i++)
	{
		int8x16_t	lo;
		int8x16_t	hi;
		float		d;

		LlmArmUnpack32(type, vx, i, &lo, &hi, &d);
		LlmNeonStoreScaled(y + QK8_0 * i, lo, d, false, 0.0f);
		LlmNeonStoreScaled(y + QK8_0 * i + 16, hi, d, false, 0.0f);
	}
}

void
LlmDequantizeQ8_0_neon(const void *x, float *y, int64_t n)
{
	LlmNeonDequantize32(LLM_TYPE_Q8_0, x, y, n);
}

void
LlmDequantizeQ4_0_neon(const void *x, float *y, int64_t n)
{
	LlmNeonDequantize32(LLM_TYPE_Q4_0, x, y, n);
}

void
LlmDequantizeQ5_0_neon(const void *x, float *y, int64_t n)
{
	LlmNeonDequantize32(LLM_TYPE_Q5_0, x, y, n);
}

/* sub-block j of a Q4_K / Q5_K block: d * sc_j * q - dmin * m_j */
LLM_ARM_INLINE void
LlmNeonDequantizeK45(LlmType type, const void *vx, float *y, int64_t n)
{
	int64_t		nb = n / QK_K;

	for (int64_t i = 0; i < nb; i++)
	{
		const void *x = LlmArmBlockK45(type, vx, i);
		float		d;
		float		min;
		const uint8_t *scales = LlmArmHeadK45(type, x, &d, &min);

		for (int c = 0; c < 4; c++)
		{
			int8x16_t	lo[2];
			int8x16_t	hi[2];
			float		d0,
						m0,
						d1,
						m1;

			LlmScaleMinK4Float(2 * c, scales, d, min, &d0, &m0);
			LlmScaleMinK4Float(2 * c + 1, scales, d, min, &d1, &m1);
			LlmArmUnpackK45Chunk(type, x, c, lo, hi);
			for (int k = 0; k < 2; k++)
			{
				LlmNeonStoreScaled(y + 16 * k, lo[k], d0, true, m0);
				LlmNeonStoreScaled(y + 32 + 16 * k, hi[k], d1, true, m1);
			}
			y += 64;
		}
	}
}

void
LlmDequantizeQ4_K_neon(const void *x, float *y, int64_t n)
{
	LlmNeonDequantizeK45(LLM_TYPE_Q4_K, x, y, n);
}

void
LlmDequantizeQ5_K_neon(const void *x, float *y, int64_t n)
{
	LlmNeonDequantizeK45(LLM_TYPE_Q5_K, x, y, n);
}

/* sub-block j: (d * scales[j]) * (q - 32) */
void
LlmDequantizeQ6_K_neon(const void *vx, float *y, int64_t n)
{
	const BlockQ6_K *x = vx;
	int64_t		nb = n / QK_K;

	for (int64_t i = 0; i < nb; i++)
	{
		float		d = LlmArmHalf(x[i].d);

		for (int h = 0; h < 2; h++)
			for (int k = 0; k < 4; k++)
			{
				uint8x16_t	v[2];

				LlmArmUnpackQ6_KPair(&x[i], h, k, v);
				for (int m = 0; m < 2; m++)
				{
					int			j = 8 * h + 2 * k + m;
					int8x16_t	q = vsubq_s8(vreinterpretq_s8_u8(v[m]), vdupq_n_s8(32));

					LlmNeonStoreScaled(y + 16 * j, q, d * x[i].scales[j], false, 0.0f);
				}
			}
		y += QK_K;
	}
}

void
LlmDequantizeQ8_K_neon(const void *vx, float *y, int64_t n)
{
	const BlockQ8_K *x = vx;
	int64_t		nb = n / QK_K;

	for (int64_t i = 0; i < nb; i++)
		for (int j = 0; j < QK_K; j += 16)
			LlmNeonStoreScaled(y + QK_K * i + j, vld1q_s8(x[i].qs + j), x[i].d, false, 0.0f);
}

/* ------------------------------------------------------------------------
 * Float-format dot products
 * ------------------------------------------------------------------------
 */

/* eight elements of an F32 / F16 / BF16 row as floats (exact) */
static inline void
LlmNeonLoadF8(LlmType type, const char *row, int64_t i,
			  float32x4_t *v0, float32x4_t *v1)
{
	if (type == LLM_TYPE_F32)
	{
		const float *p = (const float *) row + i;

		*v0 = vld1q_f32(p);
		*v1 = vld1q_f32(p + 4);
	}
	else if (type == LLM_TYPE_F16)
	{
		float16x8_t h = vreinterpretq_f16_u16(vld1q_u16((const uint16_t *) row + i));

		*v0 = vcvt_f32_f16(vget_low_f16(h));
		*v1 = vcvt_high_f32_f16(h);
	}
	else
	{
		uint16x8_t	h = vld1q_u16((const uint16_t *) row + i);

		*v0 = vreinterpretq_f32_u32(vshll_n_u16(vget_low_u16(h), 16));
		*v1 = vreinterpretq_f32_u32(vshll_high_n_u16(h, 16));
	}
}

static inline float
LlmNeonLoadF1(LlmType type, const char *row, int64_t i)
{
	if (type == LLM_TYPE_F32)
		return ((const float *) row)[i];
	if (type == LLM_TYPE_F16)
		return LlmArmHalf(((const LlmHalf *) row)[i]);
	return LlmBf16ToFloat(((const LlmBf16 *) row)[i]);
}

/*
 * An R x T tile of float dot products.  The reference sums float products
 * in double; here fused multiply-adds accumulate in float over eight lanes,
 * which stays far inside the tolerance and is what ggml's NEON code does.
 * Every shape accumulates an element the same way, and a partial last
 * group of eight is zero-padded into the same lanes, so that an element's
 * bits depend neither on the tile nor on zero activations past n
 * (attention scores a block of rows against the keys its last row sees).
 */
LLM_ARM_INLINE void
LlmNeonTileF(LlmType type, const int R, const int T, int64_t n,
			 const char *w, size_t ws, const char *a, size_t as,
			 float *s, size_t ldc)
{
	float32x4_t acc[4][4][2];
	int64_t		i = 0;

	LLM_ARM_UNROLL
	for (int r = 0; r < R; r++)
		LLM_ARM_UNROLL
		for (int t = 0; t < T; t++)
		{
			acc[r][t][0] = vdupq_n_f32(0.0f);
			acc[r][t][1] = vdupq_n_f32(0.0f);
		}

	for (; i + 8 <= n; i += 8)
	{
		float32x4_t wv[4][2];

		LLM_ARM_UNROLL
		for (int r = 0; r < R; r++)
			LlmNeonLoadF8(type, w + ws * r, i, &wv[r][0], &wv[r][1]);
		LLM_ARM_UNROLL
		for (int t = 0; t < T; t++)
		{
			float32x4_t a0;
			float32x4_t a1;

			LlmNeonLoadF8(type, a + as * t, i, &a0, &a1);
			LLM_ARM_UNROLL
			for (int r = 0; r < R; r++)
			{
				acc[r][t][0] = vfmaq_f32(acc[r][t][0], wv[r][0], a0);
				acc[r][t][1] = vfmaq_f32(acc[r][t][1], wv[r][1], a1);
			}
		}
	}
	if (i < n)
	{
		float		wt[4][8] = {{0}};
		float		at[8] = {0};

		LLM_ARM_UNROLL
		for (int r = 0; r < R; r++)
			for (int64_t j = i; j < n; j++)
				wt[r][j - i] = LlmNeonLoadF1(type, w + ws * r, j);
		LLM_ARM_UNROLL
		for (int t = 0; t < T; t++)
		{
			float32x4_t a0;
			float32x4_t a1;

			for (int64_t j = i; j < n; j++)
				at[j - i] = LlmNeonLoadF1(type, a + as * t, j);
			a0 = vld1q_f32(at);
			a1 = vld1q_f32(at + 4);
			LLM_ARM_UNROLL
			for (int r = 0; r < R; r++)
			{
				acc[r][t][0] = vfmaq_f32(acc[r][t][0], vld1q_f32(wt[r]), a0);
				acc[r][t][1] = vfmaq_f32(acc[r][t][1], vld1q_f32(wt[r] + 4), a1);
			}
		}
	}

	LLM_ARM_UNROLL
	for (int r = 0; r < R; r++)
		LLM_ARM_UNROLL
		for (int t = 0; t < T; t++)
			s[ldc * t + r] = vaddvq_f32(vaddq_f32(acc[r][t][0], acc[r][t][1]));
}

#define LLM_NEON_FLOAT_TYPE(NAME, TYPE) \
static void \
LlmNeonTile##NAME##_big(int64_t n, const char *w, size_t ws, \
						const char *a, size_t as, float *s, size_t ldc) \
{ \
	LlmNeonTileF(TYPE, 4, 2, n, w, ws, a, as, s, ldc); \
} \
static void \
LlmNeonTile##NAME##_rows(int64_t n, const char *w, size_t ws, \
						 const char *a, size_t as, float *s, size_t ldc) \
{ \
	LlmNeonTileF(TYPE, 4, 1, n, w, ws, a, as, s, ldc); \
} \
static void \
LlmNeonTile##NAME##_col(int64_t n, const char *w, size_t ws, \
						const char *a, size_t as, float *s, size_t ldc) \
{ \
	LlmNeonTileF(TYPE, 1, 2, n, w, ws, a, as, s, ldc); \
} \
static void \
LlmNeonTile##NAME##_one(int64_t n, const char *w, size_t ws, \
						const char *a, size_t as, float *s, size_t ldc) \
{ \
	LlmNeonTileF(TYPE, 1, 1, n, w, ws, a, as, s, ldc); \
} \
void \
LlmVecDot##NAME##_neon(int64_t n, float *s, const void *w, const void *a) \
{ \
	LlmNeonTile##NAME##_one(n, w, 0, a, 0, s, 0); \
} \
void \
LlmGemm##NAME##_neon(int64_t n, int nr, int nt, float *s, size_t ldc, \
					 const void *w, size_t ws, const void *a, size_t as) \
{ \
	LlmArmGemmTiles(n, nr, nt, s, ldc, w, ws, a, as, 4, 2, \
					LlmNeonTile##NAME##_big, LlmNeonTile##NAME##_rows, \
					LlmNeonTile##NAME##_col, LlmNeonTile##NAME##_one); \
}

LLM_NEON_FLOAT_TYPE(F32, LLM_TYPE_F32)
LLM_NEON_FLOAT_TYPE(F16, LLM_TYPE_F16)
LLM_NEON_FLOAT_TYPE(Bf16, LLM_TYPE_BF16)

/* ------------------------------------------------------------------------
 * Quantized dot products: sixteen int8 products by widening multiplies
 * and pairwise widening adds (no SDOT before Armv8.2)
 * ------------------------------------------------------------------------
 */

static inline int32x4_t
LlmNeonDot16(int32x4_t acc, int8x16_t a, int8x16_t b)
{
	int16x8_t	lo = vmull_s8(vget_low_s8(a), vget_low_s8(b));
	int16x8_t	hi = vmull_high_s8(a, b);

	/* each int16 is one product, at most 128 * 128: no overflow */
	return vpadalq_s16(vpadalq_s16(acc, lo), hi);
}

#define LLM_QDOT_ATTR
#define LLM_QDOT16(acc, a, b) LlmNeonDot16(acc, a, b)
#define LLM_QDOT_NAME(x) Llm##x##_neon
#include "arm_qdot.h"

/* ------------------------------------------------------------------------
 * The table
 * ------------------------------------------------------------------------
 */

static const LlmKernelTable llm_kernels_neon = {
	.name = "neon",
	.vec_dot = {
		[LLM_TYPE_F32] = LlmVecDotF32_neon,
		[LLM_TYPE_F16] = LlmVecDotF16_neon,
		[LLM_TYPE_BF16] = LlmVecDotBf16_neon,
		[LLM_TYPE_Q8_0] = LlmVecDotQ8_0_neon,
		[LLM_TYPE_Q4_0] = LlmVecDotQ4_0_neon,
		[LLM_TYPE_Q5_0] = LlmVecDotQ5_0_neon,
		[LLM_TYPE_Q4_K] = LlmVecDotQ4_K_neon,
		[LLM_TYPE_Q5_K] = LlmVecDotQ5_K_neon,
		[LLM_TYPE_Q6_K] = LlmVecDotQ6_K_neon,
	},
	.gemm = {
		[LLM_TYPE_F32] = LlmGemmF32_neon,
		[LLM_TYPE_F16] = LlmGemmF16_neon,
		[LLM_TYPE_BF16] = LlmGemmBf16_neon,
		[LLM_TYPE_Q8_0] = LlmGemmQ8_0_neon,
		[LLM_TYPE_Q4_0] = LlmGemmQ4_0_neon,
		[LLM_TYPE_Q5_0] = LlmGemmQ5_0_neon,
		[LLM_TYPE_Q4_K] = LlmGemmQ4_K_neon,
		[LLM_TYPE_Q5_K] = LlmGemmQ5_K_neon,
		[LLM_TYPE_Q6_K] = LlmGemmQ6_K_neon,
	},
	LLM_ARM_CONVERTERS,
};

const LlmKernelTable *
LlmKernelsNeon(void)
{
	return &llm_kernels_neon;
}

#endif							/* LLM_ARM_HAVE_NEON */
