/*-------------------------------------------------------------------------
 *
 * quant_ref.c
 *	  Scalar reference conversions: activations to their vec_dot types and
 *	  every supported type back to float.
 *
 * Activation quantizers (Q8_0, Q8_K) must reproduce, bit for bit, what
 * llama.cpp's CPU backend computes on x86-64 with AVX2/AVX-512, because
 * parity logits were produced there; see the comments on each.  Weight
 * quantizers follow ggml's *_ref functions (llama-quantize without an
 * importance matrix).  Dequantizers follow ggml's dequantize_row_* float
 * expressions so that embedding rows come out the same.
 *
 * The float expressions keep ggml's order of operations.  Build without
 * floating-point contraction (-ffp-contract=off, which -std=c11 implies for
 * GCC): fusing a multiply and an add into an FMA changes the rounding.
 *
 * Pure C: no PostgreSQL headers.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "fp16.h"
#include "kernels_ref.h"
#include "quant_internal.h"

/* ------------------------------------------------------------------------
 * Activation converters
 * ------------------------------------------------------------------------
 */

void
LlmFromFloatF32_ref(const float *x, void *y, int64_t n)
{
	memcpy(y, x, (size_t) n * sizeof(float));
}

void
LlmFromFloatF16_ref(const float *x, void *y, int64_t n)
{
	LlmHalf    *out = y;

	for (int64_t i = 0; i < n; i++)
		out[i] = LlmFloatToHalf(x[i]);
}

void
LlmFromFloatBf16_ref(const float *x, void *y, int64_t n)
{
	LlmBf16    *out = y;

	for (int64_t i = 0; i < n; i++)
		out[i] = LlmFloatToBf16(x[i]);
}

/*
 * Q8_0 activations, as ggml-cpu's x86 quantize_row_q8_0 (AVX2/AVX path, also
 * taken on AVX-512 machines, and by the 4-row repack variant):
 *
 *	amax = max |x|; d = amax / 127; id = amax != 0 ? 127 / amax : 0;
 *	q = round-half-even(x * id)		(_mm256_round_ps, _MM_ROUND_NEAREST)
 *
 * This is NOT ggml's generic quantize_row_q8_0_ref, which computes
 * id = 1 / d (two roundings instead of one) and rounds with roundf (ties
 * away from zero); the two disagree on some inputs.  _mm256_round_ps uses
 * ties-to-even whatever MXCSR says; rintf does under the default rounding
 * mode, which nothing here changes.  The vector code packs with signed
 * saturation; |x * id| cannot exceed 127.5, but we clamp the same way, and
 * send NaN where cvtps_epi32 does (INT_MIN, saturating to -128).
 */
void
LlmQuantizeQ8_0_ref(const float *x, void *vy, int64_t n)
{
	BlockQ8_0  *y = vy;
	int64_t		nb = n / QK8_0;

	for (int64_t i = 0; i < nb; i++)
	{
		const float *xb = x + i * QK8_0;
		float		amax = 0.0f;
		float		d;
		float		id;

		for (int j = 0; j < QK8_0; j++)
		{
			float		a = fabsf(xb[j]);

			if (a > amax)
				amax = a;
		}

		d = amax / 127.f;
		id = (amax != 0.0f) ? 127.f / amax : 0.0f;
		y[i].d = LlmFloatToHalf(d);

		for (int j = 0; j < QK8_0; j++)
		{
			float		r = rintf(xb[j] * id);

			if (!(r >= -128.f))
				y[i].qs[j] = -128;
			else if (r > 127.f)
				y[i].qs[j] = 127;
			else
				y[i].qs[j] = (int8_t) r;
		}
	}
}

/*
 * Q8_K activations.  On x86 ggml-cpu's quantize_row_q8_K is just ggml's
 * quantize_row_q8_K_ref:
 *
 *	max = the x of largest |x| (first one wins a tie), iscale = -127 / max,
 *	q = MIN(127, nearest_int(iscale * x)), bsums = sums of 16 quants,
 *	d = 1 / iscale
 *
 * (-127, not the older -128, "for IQ2_XXS"; note the sign flip: the largest
 * magnitude always quantizes to -127 and d carries the sign.)  An all-zero
 * block gets d = 0 and zero quants; ggml leaves its bsums unwritten, we
 * zero them (they are multiplied by d = 0 anyway).
 *
 * The AVX2 four-row variant used with repacked Q4_K weights
 * (ggml_quantize_mat_q8_K_4x8) differs only when +amax and -amax both occur:
 * it takes the positive one.  That negates q, bsums and d together, so
 * every dot product is unchanged.
 */
void
LlmQuantizeQ8_K_ref(const float *x, void *vy, int64_t n)
{
	BlockQ8_K  *y = vy;
	int64_t		nb = n / QK_K;

	for (int64_t i = 0; i < nb; i++)
	{
		const float *xb = x + i * QK_K;
		float		max = 0.0f;
		float		amax = 0.0f;
		float		iscale;

		for (int j = 0; j < QK_K; j++)
		{
			float		ax = fabsf(xb[j]);

			if (ax > amax)
			{
				amax = ax;
				max = xb[j];
			}
		}

		if (amax == 0.0f)
		{
			y[i].d = 0.0f;
			memset(y[i].qs, 0, sizeof(y[i].qs));
			memset(y[i].bsums, 0, sizeof(y[i].bsums));
			continue;
		}

		iscale = -127.f / max;
		for (int j = 0; j < QK_K; j++)
		{
			int			v = LlmNearestInt(iscale * xb[j]);

			y[i].qs[j] = (int8_t) (v < 127 ? v : 127);
		}
		for (int j = 0; j < QK_K / 16; j++)
		{
			int			sum = 0;

			for (int k = 0; k < 16; k++)
				sum += y[i].qs[j * 16 + k];
			y[i].bsums[j] = (int16_t) sum;
		}
		y[i].d = 1.0f / iscale;
	}
}

/* ------------------------------------------------------------------------
 * Dequantizers
 * ------------------------------------------------------------------------
 */

void
LlmToFloatF32_ref(const void *x, float *y, int64_t n)
{
	memcpy(y, x, (size_t) n * sizeof(float));
}

void
LlmToFloatF16_ref(const void *x, float *y, int64_t n)
{
	const LlmHalf *in = x;

	for (int64_t i = 0; i < n; i++)
		y[i] = LlmHalfToFloat(in[i]);
}

void
LlmToFloatBf16_ref(const void *x, float *y, int64_t n)
{
	const LlmBf16 *in = x;

	for (int64_t i = 0; i < n; i++)
		y[i] = LlmBf16ToFloat(in[i]);
}

void
LlmDequantizeQ8_0_ref(const void *vx, float *y, int64_t n)
{
	const BlockQ8_0 *x = vx;
	int64_t		nb = n / QK8_0;

	for (int64_t i = 0; i < nb; i++)
	{
		float		d = LlmHalfToFloat(x[i].d);

		for (int j = 0; j < QK8_0; j++)
			y[i * QK8_0 + j] = x[i].qs[j] * d;
	}
}

void
LlmDequantizeQ4_0_ref(const void *vx, float *y, int64_t n)
{
	const BlockQ4_0 *x = vx;
	int64_t		nb = n / QK4_0;

	for (int64_t i = 0; i < nb; i++)
	{
		float		d = LlmHalfToFloat(x[i].d);

		for (int j = 0; j < QK4_0 / 2; j++)
		{
			int			x0 = (x[i].qs[j] & 0x0F) - 8;
			int			x1 = (x[i].qs[j] >> 4) - 8;

			y[i * QK4_0 + j] = x0 * d;
			y[i * QK4_0 + j + QK4_0 / 2] = x1 * d;
		}
	}
}

/* the 32 fifth bits of a Q5_0 block, little-endian as in the file */
static inline uint32_t
LlmQ5_0HighBits(const BlockQ5_0 *b)
{
	return (uint32_t) b->qh[0] | ((uint32_t) b->qh[1] << 8) |
		((uint32_t) b->qh[2] << 16) | ((uint32_t) b->qh[3] << 24);
}

void
LlmDequantizeQ5_0_ref(const void *vx, float *y, int64_t n)
{
	const BlockQ5_0 *x = vx;
	int64_t		nb = n / QK5_0;

	for (int64_t i = 0; i < nb; i++)
	{
		float		d = LlmHalfToFloat(x[i].d);
		uint32_t	qh = LlmQ5_0HighBits(&x[i]);

		for (int j = 0; j < QK5_0 / 2; j++)
		{
			int			h0 = (qh >> j) & 1;
			int			h1 = (qh >> (j + 16)) & 1;
			int			x0 = ((x[i].qs[j] & 0x0F) | (h0 << 4)) - 16;
			int			x1 = ((x[i].qs[j] >> 4) | (h1 << 4)) - 16;

			y[i * QK5_0 + j] = x0 * d;
			y[i * QK5_0 + j + QK5_0 / 2] = x1 * d;
		}
	}
}

/*
 * Q4_K: sub-blocks 2c and 2c+1 (c = 0..3) share the 32 bytes qs[32c..]:
 * low nibbles are sub-block 2c, high nibbles 2c+1.
 */
void
LlmDequantizeQ4_K_ref(const void *vx, float *y, int64_t n)
{
	const BlockQ4_K *x = vx;
	int64_t		nb = n / QK_K;

	for (int64_t i = 0; i < nb; i++)
	{
		const uint8_t *q = x[i].qs;
		float		d = LlmHalfToFloat(x[i].d);
		float		min = LlmHalfToFloat(x[i].dmin);

		for (int c = 0; c < 4; c++)
		{
			float		d1,
						m1,
						d2,
						m2;

			LlmScaleMinK4Float(2 * c, x[i].scales, d, min, &d1, &m1);
			LlmScaleMinK4Float(2 * c + 1, x[i].scales, d, min, &d2, &m2);
			for (int l = 0; l < 32; l++)
				*y++ = d1 * (q[l] & 0xF) - m1;
			for (int l = 0; l < 32; l++)
				*y++ = d2 * (q[l] >> 4) - m2;
			q += 32;
		}
	}
}

/* Q5_K: Q4_K plus bit 2c (low nibbles) or 2c+1 (high) of qh[l] as +16 */
void
LlmDequantizeQ5_K_ref(const void *vx, float *y, int64_t n)
{
	const BlockQ5_K *x = vx;
	int64_t		nb = n / QK_K;

	for (int64_t i = 0; i < nb; i++)
	{
		const uint8_t *ql = x[i].qs;
		const uint8_t *qh = x[i].qh;
		float		d = LlmHalfToFloat(x[i].d);
		float		min = LlmHalfToFloat(x[i].dmin);
		uint8_t		u1 = 1,
					u2 = 2;

		for (int c = 0; c < 4; c++)
		{
			float		d1,
						m1,
						d2,
						m2;

			LlmScaleMinK4Float(2 * c, x[i].scales, d, min, &d1, &m1);
			LlmScaleMinK4Float(2 * c + 1, x[i].scales, d, min, &d2, &m2);
			for (int l = 0; l < 32; l++)
				*y++ = d1 * ((ql[l] & 0xF) + ((qh[l] & u1) ? 16 : 0)) - m1;
			for (int l = 0; l < 32; l++)
				*y++ = d2 * ((ql[l] >> 4) + ((qh[l] & u2) ? 16 : 0)) - m2;
			ql += 32;
			u1 <<= 2;
			u2 <<= 2;
		}
	}
}

/*
 * Q6_K: each half of 128 weights uses 64 ql bytes, 32 qh bytes and 8
 * scales.  Within a half, weight l + 32k (k = 0..3) takes its low nibble
 * from ql[l] (k even) or ql[l + 32] (k odd), low or high nibble by k / 2,
 * and its top two bits from qh[l] bits 2k..2k+1.
 */
void
LlmDequantizeQ6_K_ref(const void *vx, float *y, int64_t n)
{
	const BlockQ6_K *x = vx;
	int64_t		nb = n / QK_K;

	for (int64_t i = 0; i < nb; i++)
	{
		float		d = LlmHalfToFloat(x[i].d);
		const uint8_t *ql = x[i].ql;
		const uint8_t *qh = x[i].qh;
		const int8_t *sc = x[i].scales;

		for (int h = 0; h < 2; h++)
		{
			for (int l = 0; l < 32; l++)
			{
				int			is = l / 16;
				int			q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
				int			q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
				int			q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
				int			q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;

				y[l] = d * sc[is + 0] * q1;
				y[l + 32] = d * sc[is + 2] * q2;
				y[l + 64] = d * sc[is + 4] * q3;
				y[l + 96] = d * sc[is + 6] * q4;
			}
			y += 128;
			ql += 64;
			qh += 32;
			sc += 8;
		}
	}
}

void
LlmDequantizeQ8_K_ref(const void *vx, float *y, int64_t n)
{
	const BlockQ8_K *x = vx;
	int64_t		nb = n / QK_K;

	for (int64_t i = 0; i < nb; i++)
	{
		for (int j = 0; j < QK_K; j++)
			y[i * QK_K + j] = x[i].d * x[i].qs[j];
	}
}
