/*-------------------------------------------------------------------------
 *
 * quantize_weights.c
 *	  Weight quantizers, following ggml's *_ref functions (llama-quantize
 *	  without an importance matrix): used to write model files (llm-cli
 *	  synth) and by the tests.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "fp16.h"
#include "kernels_ref.h"
#include "quant_internal.h"

/* ------------------------------------------------------------------------
 * Weight quantizers (ggml's quantize_row_*_ref)
 * ------------------------------------------------------------------------
 */

/* Q8_0 weights: generic ref, id = 1 / d and roundf (not the x86 path) */
static void
LlmQuantizeWeightsQ8_0(const float *x, BlockQ8_0 *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++)
	{
		const float *xb = x + i * QK8_0;
		float		amax = 0.0f;
		float		d;
		float		id;

		for (int j = 0; j < QK8_0; j++)
			amax = fmaxf(amax, fabsf(xb[j]));

		d = amax / 127.f;
		id = d != 0.0f ? 1.0f / d : 0.0f;
		y[i].d = LlmFloatToHalf(d);
		for (int j = 0; j < QK8_0; j++)
			y[i].qs[j] = (int8_t) roundf(xb[j] * id);
	}
}

/*
 * Q4_0 / Q5_0: the value of largest magnitude maps to -8 (-16), the scale
 * carries its sign; quants round half up by truncating q + 0.5 (the
 * argument is never negative) and the one level missing on the far side
 * is clamped.
 */
static void
LlmQuantizeWeightsQ4_0(const float *x, BlockQ4_0 *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++)
	{
		const float *xb = x + i * QK4_0;
		float		amax = 0.0f;
		float		max = 0.0f;
		float		d;
		float		id;

		for (int j = 0; j < QK4_0; j++)
		{
			if (amax < fabsf(xb[j]))
			{
				amax = fabsf(xb[j]);
				max = xb[j];
			}
		}

		d = max / -8;
		id = d != 0.0f ? 1.0f / d : 0.0f;
		y[i].d = LlmFloatToHalf(d);

		for (int j = 0; j < QK4_0 / 2; j++)
		{
			int			q0 = (int) (xb[j] * id + 8.5f);
			int			q1 = (int) (xb[j + QK4_0 / 2] * id + 8.5f);

			q0 = q0 < 15 ? q0 : 15;
			q1 = q1 < 15 ? q1 : 15;
			y[i].qs[j] = (uint8_t) (q0 | (q1 << 4));
		}
	}
}

static void
LlmQuantizeWeightsQ5_0(const float *x, BlockQ5_0 *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++)
	{
		const float *xb = x + i * QK5_0;
		float		amax = 0.0f;
		float		max = 0.0f;
		float		d;
		float		id;
		uint32_t	qh = 0;

		for (int j = 0; j < QK5_0; j++)
		{
			if (amax < fabsf(xb[j]))
			{
				amax = fabsf(xb[j]);
				max = xb[j];
			}
		}

		d = max / -16;
		id = d != 0.0f ? 1.0f / d : 0.0f;
		y[i].d = LlmFloatToHalf(d);

		for (int j = 0; j < QK5_0 / 2; j++)
		{
			int			q0 = (int) (xb[j] * id + 16.5f);
			int			q1 = (int) (xb[j + QK5_0 / 2] * id + 16.5f);

			q0 = q0 < 31 ? q0 : 31;
			q1 = q1 < 31 ? q1 : 31;
			y[i].qs[j] = (uint8_t) ((q0 & 0x0F) | ((q1 & 0x0F) << 4));
			qh |= (uint32_t) ((q0 >> 4) & 1) << j;
			qh |= (uint32_t) ((q1 >> 4) & 1) << (j + QK5_0 / 2);
		}
		for (int k = 0; k < 4; k++)
			y[i].qh[k] = (uint8_t) (qh >> (8 * k));
	}
}

/*
 * ggml's make_qkx2_quants: fit x ~ scale * L - min with L in 0..nmax,
 * min >= 0, minimising the weighted squared (or absolute) error.  Start
 * from the min/max grid, then try nstep + 1 slightly different grids and
 * refit scale and min by weighted least squares, keeping the best.
 * Returns the scale; *the_min receives the (non-negative) min.
 */
static float
LlmMakeQkx2Quants(int n, int nmax, const float *x, const float *weights,
				  uint8_t *L, float *the_min, uint8_t *Laux,
				  float rmin, float rdelta, int nstep, bool use_mad)
{
	float		min = x[0];
	float		max = x[0];
	float		sum_w = weights[0];
	float		sum_x = sum_w * x[0];
	float		iscale;
	float		scale;
	float		best_error = 0;

	for (int i = 1; i < n; i++)
	{
		float		w = weights[i];

		if (x[i] < min)
			min = x[i];
		if (x[i] > max)
			max = x[i];
		sum_w += w;
		sum_x += w * x[i];
	}
	if (min > 0)
		min = 0;
	if (max == min)
	{
		memset(L, 0, n);
		*the_min = -min;
		return 0.f;
	}

	iscale = nmax / (max - min);
	scale = 1 / iscale;
	for (int i = 0; i < n; i++)
	{
		int			l = LlmNearestInt(iscale * (x[i] - min));
		float		diff;

		l = l < 0 ? 0 : (l > nmax ? nmax : l);
		L[i] = (uint8_t) l;
		diff = scale * L[i] + min - x[i];
		diff = use_mad ? fabsf(diff) : diff * diff;
		best_error += weights[i] * diff;
	}
	if (nstep < 1)
	{
		*the_min = -min;
		return scale;
	}

	for (int is = 0; is <= nstep; is++)
	{
		float		sum_l = 0,
					sum_l2 = 0,
					sum_xl = 0;
		float		D;

		/* min may have moved to the best fit so far, as in ggml */
		iscale = (rmin + rdelta * is + nmax) / (max - min);
		for (int i = 0; i < n; i++)
		{
			int			l = LlmNearestInt(iscale * (x[i] - min));
			float		w = weights[i];

			l = l < 0 ? 0 : (l > nmax ? nmax : l);
			Laux[i] = (uint8_t) l;
			sum_l += w * l;
			sum_l2 += w * l * l;
			sum_xl += w * l * x[i];
		}
		D = sum_w * sum_l2 - sum_l * sum_l;
		if (D > 0)
		{
			float		this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
			float		this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
			float		cur_error = 0;

			if (this_min > 0)
			{
				this_min = 0;
				this_scale = sum_xl / sum_l2;
			}
			for (int i = 0; i < n; i++)
			{
				float		diff = this_scale * Laux[i] + this_min - x[i];

				diff = use_mad ? fabsf(diff) : diff * diff;
				cur_error += weights[i] * diff;
			}
			if (cur_error < best_error)
			{
				memcpy(L, Laux, n);
				best_error = cur_error;
				scale = this_scale;
				min = this_min;
			}
		}
	}
	*the_min = -min;
	return scale;
}

/*
 * ggml's make_qx_quants with rmse_type 1 and no importance weights: fit
 * x ~ scale * (L - nmax), L in 0..2*nmax-1, weighting each error by x^2.
 * The value of largest magnitude starts at -nmax; 18 nearby grids are
 * tried and the one with the best least-squares fit is kept.
 */
static float
LlmMakeQxQuants(int n, int nmax, const float *x, int8_t *L)
{
	float		max = 0;
	float		amax = 0;
	float		iscale;
	float		sumlx = 0;
	float		suml2 = 0;
	float		scale;
	float		best;

	for (int i = 0; i < n; i++)
	{
		float		ax = fabsf(x[i]);

		if (ax > amax)
		{
			amax = ax;
			max = x[i];
		}
	}
	if (amax < LLM_GROUP_MAX_EPS)
	{
		memset(L, 0, n);
		return 0.f;
	}

	iscale = -nmax / max;
	for (int i = 0; i < n; i++)
	{
		int			l = LlmNearestInt(iscale * x[i]);
		float		w = x[i] * x[i];

		l = l < -nmax ? -nmax : (l > nmax - 1 ? nmax - 1 : l);
		L[i] = (int8_t) (l + nmax);
		sumlx += w * x[i] * l;
		suml2 += w * l * l;
	}
	scale = suml2 ? sumlx / suml2 : 0.0f;
	best = scale * sumlx;

	for (int is = -9; is <= 9; is++)
	{
		if (is == 0)
			continue;
		iscale = -(nmax + 0.1f * is) / max;
		sumlx = suml2 = 0;
		for (int i = 0; i < n; i++)
		{
			int			l = LlmNearestInt(iscale * x[i]);
			float		w = x[i] * x[i];

			l = l < -nmax ? -nmax : (l > nmax - 1 ? nmax - 1 : l);
			sumlx += w * x[i] * l;
			suml2 += w * l * l;
		}
		if (suml2 > 0 && sumlx * sumlx > best * suml2)
		{
			for (int i = 0; i < n; i++)
			{
				int			l = LlmNearestInt(iscale * x[i]);

				l = l < -nmax ? -nmax : (l > nmax - 1 ? nmax - 1 : l);
				L[i] = (int8_t) (l + nmax);
			}
			scale = sumlx / suml2;
			best = scale * sumlx;
		}
	}
	return scale;
}

/*
 * Pack the eight 6-bit sub-block scales and mins of a Q4_K/Q5_K block
 * (inverse of LlmScaleMinK4).
 */
static void
LlmPackScaleMinK4(uint8_t *scales, const uint8_t *ls, const uint8_t *lm)
{
	for (int j = 0; j < QK_K / 32; j++)
	{
		if (j < 4)
		{
			scales[j] = ls[j];
			scales[j + 4] = lm[j];
		}
		else
		{
			scales[j + 4] = (uint8_t) ((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
			scales[j - 4] |= (uint8_t) ((ls[j] >> 4) << 6);
			scales[j] |= (uint8_t) ((lm[j] >> 4) << 6);
		}
	}
}

/*
 * Shared front half of quantize_row_q4_K_ref / q5_K_ref: fit each 32-weight
 * sub-block with make_qkx2_quants (weights av_x + |x|), quantize the eight
 * scales and mins to 6 bits against their maxima, then requantize every
 * weight against the scale and min actually stored.  Leaves L in 0..nmax.
 */
static void
LlmQuantizeKSuperBlock(const float *x, int nmax, float rmin, float rdelta,
					   int nstep, LlmHalf *d_out, LlmHalf *dmin_out,
					   uint8_t *scales_out, uint8_t *L)
{
	uint8_t		Laux[32];
	float		weights[32];
	float		mins[QK_K / 32];
	float		scales[QK_K / 32];
	uint8_t		ls[QK_K / 32];
	uint8_t		lm[QK_K / 32];
	float		max_scale = 0;
	float		max_min = 0;
	float		inv_scale;
	float		inv_min;
	float		d;
	float		dmin;

	for (int j = 0; j < QK_K / 32; j++)
	{
		float		sum_x2 = 0;
		float		av_x;

		for (int l = 0; l < 32; l++)
			sum_x2 += x[32 * j + l] * x[32 * j + l];
		av_x = sqrtf(sum_x2 / 32);
		for (int l = 0; l < 32; l++)
			weights[l] = av_x + fabsf(x[32 * j + l]);
		scales[j] = LlmMakeQkx2Quants(32, nmax, x + 32 * j, weights,
									  L + 32 * j, &mins[j], Laux,
									  rmin, rdelta, nstep, false);
		if (scales[j] > max_scale)
			max_scale = scales[j];
		if (mins[j] > max_min)
			max_min = mins[j];
	}

	inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
	inv_min = max_min > 0 ? 63.f / max_min : 0.f;
	for (int j = 0; j < QK_K / 32; j++)
	{
		/* ggml stores these into uint8_t before clamping; so do we */
		uint8_t		s = (uint8_t) LlmNearestInt(inv_scale * scales[j]);
		uint8_t		m = (uint8_t) LlmNearestInt(inv_min * mins[j]);

		ls[j] = s < 63 ? s : 63;
		lm[j] = m < 63 ? m : 63;
	}
	LlmPackScaleMinK4(scales_out, ls, lm);
	*d_out = LlmFloatToHalf(max_scale / 63.f);
	*dmin_out = LlmFloatToHalf(max_min / 63.f);

	d = LlmHalfToFloat(*d_out);
	dmin = LlmHalfToFloat(*dmin_out);
	for (int j = 0; j < QK_K / 32; j++)
	{
		uint8_t		sc,
					m;
		float		dj;
		float		dm;

		LlmScaleMinK4(j, scales_out, &sc, &m);
		dj = d * sc;
		if (dj == 0.0f)
			continue;
		dm = dmin * m;
		for (int ii = 0; ii < 32; ii++)
		{
			int			l = LlmNearestInt((x[32 * j + ii] + dm) / dj);

			l = l < 0 ? 0 : (l > nmax ? nmax : l);
			L[32 * j + ii] = (uint8_t) l;
		}
	}
}

static void
LlmQuantizeWeightsQ4_K(const float *x, BlockQ4_K *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++)
	{
		uint8_t		L[QK_K];
		uint8_t    *q = y[i].qs;

		LlmQuantizeKSuperBlock(x + i * QK_K, 15, -1.f, 0.1f, 20,
							   &y[i].d, &y[i].dmin, y[i].scales, L);
		for (int j = 0; j < QK_K; j += 64)
		{
			for (int l = 0; l < 32; l++)
				q[l] = (uint8_t) (L[j + l] | (L[j + l + 32] << 4));
			q += 32;
		}
	}
}

static void
LlmQuantizeWeightsQ5_K(const float *x, BlockQ5_K *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++)
	{
		uint8_t		L[QK_K];
		uint8_t    *qh = y[i].qh;
		uint8_t    *ql = y[i].qs;
		uint8_t		m1 = 1,
					m2 = 2;

		LlmQuantizeKSuperBlock(x + i * QK_K, 31, -0.5f, 0.1f, 15,
							   &y[i].d, &y[i].dmin, y[i].scales, L);
		memset(qh, 0, QK_K / 8);
		for (int n = 0; n < QK_K; n += 64)
		{
			for (int j = 0; j < 32; j++)
			{
				int			l1 = L[n + j];
				int			l2 = L[n + j + 32];

				if (l1 > 15)
				{
					l1 -= 16;
					qh[j] |= m1;
				}
				if (l2 > 15)
				{
					l2 -= 16;
					qh[j] |= m2;
				}
				ql[j] = (uint8_t) (l1 | (l2 << 4));
			}
			m1 <<= 2;
			m2 <<= 2;
			ql += 32;
		}
	}
}

/*
 * quantize_row_q6_K_ref: fit each 16-weight sub-block with make_qx_quants
 * (nmax 32), quantize the 16 scales to int8 against the one of largest
 * magnitude (which maps to -128), then requantize against the stored
 * scales.
 */
static void
LlmQuantizeWeightsQ6_K(const float *x, BlockQ6_K *y, int64_t nb)
{
	for (int64_t i = 0; i < nb; i++)
	{
		const float *xb = x + i * QK_K;
		int8_t		L[QK_K];
		float		scales[QK_K / 16];
		float		max_scale = 0;
		float		max_abs_scale = 0;
		float		iscale;
		float		d;
		uint8_t    *ql;
		uint8_t    *qh;

		for (int ib = 0; ib < QK_K / 16; ib++)
		{
			float		scale = LlmMakeQxQuants(16, 32, xb + 16 * ib, L + 16 * ib);

			scales[ib] = scale;
			if (fabsf(scale) > max_abs_scale)
			{
				max_abs_scale = fabsf(scale);
				max_scale = scale;
			}
		}

		if (max_abs_scale < LLM_GROUP_MAX_EPS)
		{
			memset(&y[i], 0, sizeof(BlockQ6_K));
			y[i].d = LlmFloatToHalf(0.f);
			continue;
		}

		iscale = -128.f / max_scale;
		y[i].d = LlmFloatToHalf(1 / iscale);
		for (int ib = 0; ib < QK_K / 16; ib++)
		{
			int			s = LlmNearestInt(iscale * scales[ib]);

			y[i].scales[ib] = (int8_t) (s < 127 ? s : 127);
		}

		d = LlmHalfToFloat(y[i].d);
		for (int j = 0; j < QK_K / 16; j++)
		{
			float		dj = d * y[i].scales[j];

			if (dj == 0.0f)
				continue;
			for (int ii = 0; ii < 16; ii++)
			{
				int			l = LlmNearestInt(xb[16 * j + ii] / dj);

				l = l < -32 ? -32 : (l > 31 ? 31 : l);
				L[16 * j + ii] = (int8_t) (l + 32);
			}
		}

		ql = y[i].ql;
		qh = y[i].qh;
		for (int j = 0; j < QK_K; j += 128)
		{
			for (int l = 0; l < 32; l++)
			{
				uint8_t		q1 = L[j + l + 0] & 0xF;
				uint8_t		q2 = L[j + l + 32] & 0xF;
				uint8_t		q3 = L[j + l + 64] & 0xF;
				uint8_t		q4 = L[j + l + 96] & 0xF;

				ql[l + 0] = (uint8_t) (q1 | (q3 << 4));
				ql[l + 32] = (uint8_t) (q2 | (q4 << 4));
				qh[l] = (uint8_t) ((L[j + l] >> 4) |
								   ((L[j + l + 32] >> 4) << 2) |
								   ((L[j + l + 64] >> 4) << 4) |
								   ((L[j + l + 96] >> 4) << 6));
			}
			ql += 64;
			qh += 32;
		}
	}
}

bool
LlmQuantizeWeights(LlmType type, const float *x, void *y, int64_t n)
{
	const LlmTypeTraits *t = LlmTypeGetTraits((uint32_t) type);
	int64_t		nb;

	if (t == NULL || !t->supported || n < 0 || n % t->block_size != 0)
		return false;
	nb = n / t->block_size;

	switch (type)
	{
		case LLM_TYPE_F32:
			LlmFromFloatF32_ref(x, y, n);
			return true;
		case LLM_TYPE_F16:
			LlmFromFloatF16_ref(x, y, n);
			return true;
		case LLM_TYPE_BF16:
			LlmFromFloatBf16_ref(x, y, n);
			return true;
		case LLM_TYPE_Q8_0:
			LlmQuantizeWeightsQ8_0(x, y, nb);
			return true;
		case LLM_TYPE_Q4_0:
			LlmQuantizeWeightsQ4_0(x, y, nb);
			return true;
		case LLM_TYPE_Q5_0:
			LlmQuantizeWeightsQ5_0(x, y, nb);
			return true;
		case LLM_TYPE_Q4_K:
			LlmQuantizeWeightsQ4_K(x, y, nb);
			return true;
		case LLM_TYPE_Q5_K:
			LlmQuantizeWeightsQ5_K(x, y, nb);
			return true;
		case LLM_TYPE_Q6_K:
			LlmQuantizeWeightsQ6_K(x, y, nb);
			return true;
		case LLM_TYPE_Q8_K:
			/* only an activation format; its one quantizer is that one */
			LlmQuantizeQ8_K_ref(x, y, n);
			return true;
		default:
			return false;
	}
}
