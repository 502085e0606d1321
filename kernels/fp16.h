/*-------------------------------------------------------------------------
 *
 * fp16.h
 *	  Scalar conversions between float and the two 16-bit float formats of
 *	  GGUF files: IEEE binary16 ("F16") and bfloat16 ("BF16").
 *
 * The float -> half conversion rounds to nearest, ties to even, exactly as
 * the x86 F16C instruction VCVTPS2PH with immediate 0 does (which is what
 * llama.cpp's CPU backend uses on x86-64), including subnormals, infinities
 * and NaN payloads.  It is written with integer arithmetic only, so it does
 * not depend on the FPU rounding mode.
 *
 * The float -> bfloat16 conversion is bit-identical to ggml's
 * ggml_compute_fp32_to_bf16: round to nearest even on the raw bits, NaNs
 * made quiet by setting bit 6, subnormals kept (not flushed).
 *
 * Pure C: no PostgreSQL headers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_KERNELS_FP16_H
#define LLM_KERNELS_FP16_H

#include <stdint.h>
#include <string.h>

#include "quant.h"

static inline uint32_t
LlmFloatBits(float f)
{
	uint32_t	u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

static inline float
LlmBitsFloat(uint32_t u)
{
	float		f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

/*
 * binary16 -> float.  Every half is exactly representable as a float, so
 * this is exact.  A NaN keeps its payload and gets the quiet bit set, as
 * VCVTPH2PS does.
 */
static inline float
LlmHalfToFloat(LlmHalf h)
{
	uint32_t	sign = (uint32_t) (h & 0x8000) << 16;
	uint32_t	exp = (h >> 10) & 0x1f;
	uint32_t	mant = h & 0x3ff;

	if (exp == 0x1f)
	{
		if (mant == 0)
			return LlmBitsFloat(sign | 0x7f800000);
		return LlmBitsFloat(sign | 0x7fc00000 | (mant << 13));
	}
	if (exp == 0)
	{
		/* zero or subnormal: mant * 2^-24, exact in float */
		float		v = (float) mant * 5.9604644775390625e-8f;

		return LlmBitsFloat(sign | LlmFloatBits(v));
	}
	/* normal: rebias the exponent from 15 to 127 */
	return LlmBitsFloat(sign | ((exp + 112) << 23) | (mant << 13));
}

/*
 * float -> binary16, round to nearest even.  Overflow goes to infinity; a
 * NaN is quieted and keeps the top 9 bits of its payload (F16C behaviour).
 */
static inline LlmHalf
LlmFloatToHalf(float f)
{
	uint32_t	x = LlmFloatBits(f);
	uint32_t	sign = (x >> 16) & 0x8000;
	uint32_t	absx = x & 0x7fffffff;

	if (absx > 0x7f800000)
		return (LlmHalf) (sign | 0x7e00 | ((absx >> 13) & 0x3ff));

	/* 65520 is the midpoint between 65504 and 2^16; ties go up (odd) */
	if (absx >= 0x477ff000)
		return (LlmHalf) (sign | 0x7c00);

	if (absx >= 0x38800000)
	{
		/*
		 * Normal half.  Adding 0xfff plus the lowest kept bit rounds the 13
		 * dropped bits to nearest even; a carry ripples into the exponent,
		 * which is the right answer.  Then rebias 127 -> 15.
		 */
		absx += 0xfff + ((absx >> 13) & 1);
		return (LlmHalf) (sign | ((absx - (112u << 23)) >> 13));
	}

	if (absx < 0x33000000)
	{
		/* below 2^-25 (half the smallest subnormal): rounds to zero */
		return (LlmHalf) sign;
	}

	{
		/*
		 * Subnormal half: the result counts units of 2^-24.  The float is
		 * m * 2^(e - 150) with a 24-bit m, so the unit count is m >> (126 -
		 * e), rounded to nearest even by hand.  A result of 0x400 is the
		 * smallest normal, which is also the right encoding.
		 */
		uint32_t	e = absx >> 23;
		uint32_t	m = (absx & 0x7fffff) | 0x800000;
		uint32_t	shift = 126 - e;	/* 14 .. 24 */
		uint32_t	q = m >> shift;
		uint32_t	rem = m & ((1u << shift) - 1);
		uint32_t	half = 1u << (shift - 1);

		if (rem > half || (rem == half && (q & 1)))
			q++;
		return (LlmHalf) (sign | q);
	}
}

/* bfloat16 -> float: the bf16 bits are the top half of the float bits */
static inline float
LlmBf16ToFloat(LlmBf16 h)
{
	return LlmBitsFloat((uint32_t) h << 16);
}

/* float -> bfloat16, as ggml_compute_fp32_to_bf16 */
static inline LlmBf16
LlmFloatToBf16(float f)
{
	uint32_t	u = LlmFloatBits(f);

	if ((u & 0x7fffffff) > 0x7f800000)
		return (LlmBf16) ((u >> 16) | 64);
	return (LlmBf16) ((u + (0x7fff + ((u >> 16) & 1))) >> 16);
}

#endif							/* LLM_KERNELS_FP16_H */
