/*-------------------------------------------------------------------------
 *
 * quant_internal.h
 *	  Small helpers shared by the reference quantizers and dot products.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_KERNELS_QUANT_INTERNAL_H
#define LLM_KERNELS_QUANT_INTERNAL_H

#include <math.h>
#include <stdint.h>

/* ggml's threshold below which a group counts as all zero */
#define LLM_GROUP_MAX_EPS 1e-15f

/*
 * Round to nearest, ties to even, as ggml's nearest_int (the 12582912.f
 * magic-number trick) does for |v| < 2^22.  rintf under the default
 * rounding mode gives the same integers, and unlike "v + 12582912.f" it
 * cannot be fused with the multiply that produced v.  Out-of-range values
 * (which ggml asserts away) saturate instead of being undefined; NaN -> 0.
 */
static inline int
LlmNearestInt(float v)
{
	if (!(v == v))
		return 0;
	if (v > 4194303.f)
		return 4194303;
	if (v < -4194303.f)
		return -4194303;
	return (int) rintf(v);
}

/*
 * The 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K block: the
 * first four live in the low 6 bits of bytes 0..3 (scales) and 4..7 (mins);
 * the last four take their low 4 bits from bytes 8..11 and their top 2 bits
 * from the spare top bits of bytes 0..7.
 */
static inline void
LlmScaleMinK4(int j, const uint8_t *q, uint8_t *sc, uint8_t *m)
{
	if (j < 4)
	{
		*sc = q[j] & 63;
		*m = q[j + 4] & 63;
	}
	else
	{
		*sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
		*m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
	}
}

/*
 * Sub-block j's factors as the Q4_K/Q5_K dequantizers apply them, a weight
 * being dj * q - mj: its scale times the block's d and its min times dmin,
 * one rounding each.
 */
static inline void
LlmScaleMinK4Float(int j, const uint8_t *q, float d, float dmin,
				   float *dj, float *mj)
{
	uint8_t		sc,
				m;

	LlmScaleMinK4(j, q, &sc, &m);
	*dj = d * sc;
	*mj = dmin * m;
}

#endif							/* LLM_KERNELS_QUANT_INTERNAL_H */
