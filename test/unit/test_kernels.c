/*-------------------------------------------------------------------------
 *
 * test_kernels.c
 *	  Unit test of the scalar reference kernels: 16-bit float conversions,
 *	  type traits, weight quantize/dequantize round trips, dot products
 *	  against a double-precision dot of the dequantized rows, the x86
 *	  activation quantizers on hand-computed blocks, and the dispatch table.
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "fp16.h"
#include "kernels_ref.h"

#define MAX_N 4096

/* ------------------------------------------------------------------------
 * Deterministic data
 * ------------------------------------------------------------------------
 */

static uint32_t rng_state = 0x9E3779B9u;

static uint32_t
XorShift32(void)
{
	uint32_t	x = rng_state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	rng_state = x;
	return x;
}

/* uniform in [-1, 1) */
static float
RandUniform(void)
{
	return (float) (XorShift32() >> 8) * (2.0f / 16777216.0f) - 1.0f;
}

/*
 * Weight-like data: every 16 values share a scale in [0.5, 1.5) and an
 * offset in [-0.3, 0.3) (so the K-quant mins matter), with an occasional
 * 3x outlier.
 */
static void
FillWeights(float *x, int n)
{
	float		scale = 1.0f;
	float		offset = 0.0f;

	for (int i = 0; i < n; i++)
	{
		if (i % 16 == 0)
		{
			scale = 1.0f + 0.5f * RandUniform();
			offset = 0.3f * RandUniform();
		}
		x[i] = scale * (RandUniform() + offset);
		if ((XorShift32() & 63) == 0)
			x[i] *= 3.0f;
	}
}

/* activation-like data: zero-mean, a few large channels */
static void
FillActivations(float *x, int n)
{
	for (int i = 0; i < n; i++)
	{
		x[i] = 2.0f * RandUniform();
		if ((XorShift32() & 127) == 0)
			x[i] *= 8.0f;
	}
}

static const LlmKernelTable *ref;

/* ------------------------------------------------------------------------
 * (a) fp16 / bf16
 * ------------------------------------------------------------------------
 */

static bool
HalfIsNan(LlmHalf h)
{
	return (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0;
}

static void
TestHalfKnownValues(void)
{
	static const struct
	{
		float		f;
		LlmHalf		h;
	}			cases[] = {
		{0.0f, 0x0000},
		{-0.0f, 0x8000},
		{1.0f, 0x3c00},
		{-2.5f, 0xc100},
		{0.5f, 0x3800},
		{65504.0f, 0x7bff},		/* largest finite half */
		{65519.0f, 0x7bff},		/* below the midpoint to 2^16 */
		{65520.0f, 0x7c00},		/* the midpoint: ties to even = inf */
		{1e10f, 0x7c00},
		{-1e10f, 0xfc00},
		{0x1p-14f, 0x0400},		/* smallest normal */
		{0x1p-24f, 0x0001},		/* smallest subnormal */
		{0x1p-25f, 0x0000},		/* half of it: ties to even = 0 */
		{0x1.000002p-25f, 0x0001},	/* just above the tie */
		{0x1.8p-24f, 0x0002},	/* 1.5 units: tie to even = 2 */
		{0x1.4p-23f, 0x0002},	/* 2.5 units: tie to even = 2 */
		{0x1.cp-23f, 0x0004},	/* 3.5 units: tie to even = 4 */
		{0x1.ffcp-15f, 0x0400}, /* 1023.5 units: tie, up to the normal */
		{1.0f + 0x1p-11f, 0x3c00},	/* tie between 1 and 1 + 2^-10: even */
		{1.0f + 0x1.8p-10f, 0x3c02},	/* tie between odd and even: up */
		{0x1.002002p+0f, 0x3c01},	/* just above that tie */
		{-0x1p-24f, 0x8001},
		{INFINITY, 0x7c00},
		{-INFINITY, 0xfc00},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		LlmHalf		h = LlmFloatToHalf(cases[i].f);

		CHECK(h == cases[i].h, "LlmFloatToHalf(%a) = 0x%04x, want 0x%04x",
			  cases[i].f, h, cases[i].h);
	}

	CHECK(LlmHalfToFloat(0x3c00) == 1.0f, "half 1.0");
	CHECK(LlmHalfToFloat(0xc100) == -2.5f, "half -2.5");
	CHECK(LlmHalfToFloat(0x7bff) == 65504.0f, "half max");
	CHECK(LlmHalfToFloat(0x0001) == 0x1p-24f, "half smallest subnormal");
	CHECK(LlmHalfToFloat(0x03ff) == 0x1.ff8p-15f, "half largest subnormal");
	CHECK(LlmHalfToFloat(0x0400) == 0x1p-14f, "half smallest normal");
	CHECK(isinf(LlmHalfToFloat(0x7c00)) && LlmHalfToFloat(0x7c00) > 0, "half +inf");
	CHECK(isinf(LlmHalfToFloat(0xfc00)) && LlmHalfToFloat(0xfc00) < 0, "half -inf");
	CHECK(isnan(LlmHalfToFloat(0x7e00)), "half NaN");
	CHECK(isnan(LlmHalfToFloat(0x7c01)), "half signalling NaN stays NaN");
	CHECK(signbit(LlmHalfToFloat(0x8000)) && LlmHalfToFloat(0x8000) == 0.0f,
		  "half -0");

	CHECK(HalfIsNan(LlmFloatToHalf(NAN)), "NaN -> half NaN");
	CHECK(HalfIsNan(LlmFloatToHalf(-NAN)), "-NaN -> half NaN");
	/* a float NaN whose payload lies below the kept bits must stay NaN */
	CHECK(HalfIsNan(LlmFloatToHalf(LlmBitsFloat(0x7f800001))),
		  "low-payload NaN -> half NaN (0x%04x)",
		  LlmFloatToHalf(LlmBitsFloat(0x7f800001)));
}

/*
 * Every non-NaN half survives half -> float -> half, and the float midpoint
 * between two neighbouring halves rounds to the even one while a nudge
 * either way rounds to the nearer.
 */
static void
TestHalfExhaustive(void)
{
	int			bad_roundtrip = 0;
	int			bad_mid = 0;
	uint32_t	first_bad = 0;

	for (uint32_t h = 0; h < 65536; h++)
	{
		float		f;

		if (HalfIsNan((LlmHalf) h))
			continue;
		f = LlmHalfToFloat((LlmHalf) h);
		if (LlmFloatToHalf(f) != h)
		{
			if (bad_roundtrip++ == 0)
				first_bad = h;
		}
	}
	CHECK(bad_roundtrip == 0, "%d halves fail the round trip, first 0x%04x",
		  bad_roundtrip, first_bad);

	/* positive finite neighbours h, h + 1 (h + 1 <= 0x7bff) */
	for (uint32_t h = 0; h < 0x7bff; h++)
	{
		float		lo = LlmHalfToFloat((LlmHalf) h);
		float		hi = LlmHalfToFloat((LlmHalf) (h + 1));
		float		mid = (float) (((double) lo + (double) hi) / 2.0);
		LlmHalf		even = (LlmHalf) ((h & 1) ? h + 1 : h);

		if (LlmFloatToHalf(mid) != even ||
			LlmFloatToHalf(nextafterf(mid, 0.0f)) != h ||
			LlmFloatToHalf(nextafterf(mid, INFINITY)) != h + 1 ||
			LlmFloatToHalf(-mid) != (even | 0x8000))
		{
			if (bad_mid++ == 0)
				first_bad = h;
		}
	}
	CHECK(bad_mid == 0, "%d half midpoints round wrongly, first 0x%04x",
		  bad_mid, first_bad);
}

static void
TestBf16(void)
{
	static const struct
	{
		uint32_t	f;
		LlmBf16		h;
	}			cases[] = {
		{0x3f800000, 0x3f80},	/* 1.0 */
		{0xc0200000, 0xc020},	/* -2.5 */
		{0x3f808000, 0x3f80},	/* tie, even stays */
		{0x3f818000, 0x3f82},	/* tie, odd rounds up */
		{0x3f808001, 0x3f81},	/* above the tie */
		{0x3f807fff, 0x3f80},	/* below the tie */
		{0x7f7fffff, 0x7f80},	/* FLT_MAX rounds to inf */
		{0x7f800000, 0x7f80},	/* inf */
		{0xff800000, 0xff80},	/* -inf */
		{0x7f800001, 0x7fc0},	/* sNaN, low payload: quieted, not inf */
		{0xff812345, 0xffc1},	/* negative NaN keeps sign and top payload */
		{0x7fc00000, 0x7fc0},	/* qNaN */
		{0x00000001, 0x0000},	/* tiny subnormal rounds to 0 */
		{0x00018000, 0x0002},	/* subnormal tie, odd: up (not flushed) */
		{0x80008000, 0x8000},	/* negative subnormal tie, even */
	};
	int			bad = 0;
	uint32_t	first_bad = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		LlmBf16		h = LlmFloatToBf16(LlmBitsFloat(cases[i].f));

		CHECK(h == cases[i].h, "LlmFloatToBf16(0x%08x) = 0x%04x, want 0x%04x",
			  cases[i].f, h, cases[i].h);
	}
	CHECK(LlmBf16ToFloat(0x3f80) == 1.0f, "bf16 1.0");
	CHECK(LlmBf16ToFloat(0xc020) == -2.5f, "bf16 -2.5");
	CHECK(isnan(LlmBf16ToFloat(0x7fc0)), "bf16 NaN");

	for (uint32_t h = 0; h < 65536; h++)
	{
		if ((h & 0x7f80) == 0x7f80 && (h & 0x7f) != 0)
			continue;
		if (LlmFloatToBf16(LlmBf16ToFloat((LlmBf16) h)) != h)
		{
			if (bad++ == 0)
				first_bad = h;
		}
	}
	CHECK(bad == 0, "%d bf16 values fail the round trip, first 0x%04x",
		  bad, first_bad);
}

/* ------------------------------------------------------------------------
 * Type traits
 * ------------------------------------------------------------------------
 */

static void
TestTraits(void)
{
	static const struct
	{
		uint32_t	id;
		const char *name;
		int			block_size;
		size_t		type_size;
		bool		supported;
	}			known[] = {
		{0, "F32", 1, 4, true}, {1, "F16", 1, 2, true},
		{2, "Q4_0", 32, 18, true}, {3, "Q4_1", 32, 20, false},
		{6, "Q5_0", 32, 22, true}, {7, "Q5_1", 32, 24, false},
		{8, "Q8_0", 32, 34, true}, {9, "Q8_1", 32, 36, false},
		{10, "Q2_K", 256, 84, false}, {11, "Q3_K", 256, 110, false},
		{12, "Q4_K", 256, 144, true}, {13, "Q5_K", 256, 176, true},
		{14, "Q6_K", 256, 210, true}, {15, "Q8_K", 256, 292, true},
		{16, "IQ2_XXS", 256, 66, false}, {17, "IQ2_XS", 256, 74, false},
		{18, "IQ3_XXS", 256, 98, false}, {19, "IQ1_S", 256, 50, false},
		{20, "IQ4_NL", 32, 18, false}, {21, "IQ3_S", 256, 110, false},
		{22, "IQ2_S", 256, 82, false}, {23, "IQ4_XS", 256, 136, false},
		{24, "I8", 1, 1, false}, {25, "I16", 1, 2, false},
		{26, "I32", 1, 4, false}, {27, "I64", 1, 8, false},
		{28, "F64", 1, 8, false}, {29, "IQ1_M", 256, 56, false},
		{30, "BF16", 1, 2, true}, {34, "TQ1_0", 256, 54, false},
		{35, "TQ2_0", 256, 66, false}, {39, "MXFP4", 32, 17, false},
	};
	static const uint32_t unknown[] = {4, 5, 31, 32, 33, 36, 37, 38, 40, 41,
	1000, UINT32_MAX};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
	{
		const LlmTypeTraits *t = LlmTypeGetTraits(known[i].id);

		CHECK(t != NULL, "type %u has traits", known[i].id);
		if (t == NULL)
			continue;
		CHECK(strcmp(t->name, known[i].name) == 0, "type %u is %s, not %s",
			  known[i].id, known[i].name, t->name);
		CHECK(t->block_size == known[i].block_size &&
			  t->type_size == known[i].type_size,
			  "%s: block %d/%zu bytes, want %d/%zu", t->name,
			  t->block_size, t->type_size,
			  known[i].block_size, known[i].type_size);
		CHECK(t->supported == known[i].supported, "%s supported flag", t->name);
	}
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		CHECK(LlmTypeGetTraits(unknown[i]) == NULL, "id %u is unknown",
			  unknown[i]);

	CHECK(LlmTypeGetTraits(LLM_TYPE_F32)->vec_dot_type == LLM_TYPE_F32, "F32 vdt");
	CHECK(LlmTypeGetTraits(LLM_TYPE_F16)->vec_dot_type == LLM_TYPE_F16, "F16 vdt");
	CHECK(LlmTypeGetTraits(LLM_TYPE_BF16)->vec_dot_type == LLM_TYPE_BF16, "BF16 vdt");
	CHECK(LlmTypeGetTraits(LLM_TYPE_Q8_0)->vec_dot_type == LLM_TYPE_Q8_0, "Q8_0 vdt");
	CHECK(LlmTypeGetTraits(LLM_TYPE_Q4_0)->vec_dot_type == LLM_TYPE_Q8_0, "Q4_0 vdt");
	CHECK(LlmTypeGetTraits(LLM_TYPE_Q5_0)->vec_dot_type == LLM_TYPE_Q8_0, "Q5_0 vdt");
	CHECK(LlmTypeGetTraits(LLM_TYPE_Q4_K)->vec_dot_type == LLM_TYPE_Q8_K, "Q4_K vdt");
	CHECK(LlmTypeGetTraits(LLM_TYPE_Q5_K)->vec_dot_type == LLM_TYPE_Q8_K, "Q5_K vdt");
	CHECK(LlmTypeGetTraits(LLM_TYPE_Q6_K)->vec_dot_type == LLM_TYPE_Q8_K, "Q6_K vdt");

	CHECK(LlmTypeRowSize(LLM_TYPE_Q4_K, 4096) == 16 * 144, "Q4_K row size");
	CHECK(LlmTypeRowSize(LLM_TYPE_Q8_0, 4096) == 128 * 34, "Q8_0 row size");
	CHECK(LlmTypeRowSize(LLM_TYPE_F16, 7) == 14, "F16 row size");
	CHECK(LlmTypeRowSize(LLM_TYPE_Q8_0, 33) == 0, "partial block row size");
	CHECK(LlmTypeRowSize(LLM_TYPE_Q6_K, -256) == 0, "negative row size");
	CHECK(LlmTypeRowSize((LlmType) 4, 32) == 0, "removed type row size");
}

/* ------------------------------------------------------------------------
 * (b) weight quantize -> dequantize error, (c) dot products
 * ------------------------------------------------------------------------
 */

/*
 * What a weight round trip must satisfy, per format.
 *
 * F32, F16, BF16: |error| <= err_bound * |x| (exact; half an ulp of an
 * 11-bit significand; half an ulp of an 8-bit one).
 *
 * Quantized formats: every weight is stored as one point of a grid fixed
 * by the block's stored scale(s): (q - 8) * d for Q4_0, d * sc * q - dmin *
 * m for Q4_K, and so on.  A correct quantizer picks the nearest point, so
 * |error| <= err_bound * step + (how far x lies outside the grid's range),
 * where err_bound is one half plus what rounding the scale to fp16 after
 * choosing q can add: q * 2^-11 steps, at most 127 for Q8_0 (0.562), 8 for
 * Q4_0 (0.504), 16 for Q5_0 (0.508).  The K-quants requantize against the
 * stored scales, so only float rounding remains (0.5 + 1e-4).  Any packing
 * or unpacking mistake breaks this check.
 *
 * rms_bound caps the row's RMS error over its RMS value, so that the fit
 * itself (the choice of grids) is sensible.  They are about 1.5 times what
 * the reference quantizers reach on this data (Q8_0 0.0055, Q4_0 0.096,
 * Q5_0 0.050, Q4_K 0.069, Q5_K 0.035, Q6_K 0.017), which is in line with
 * a uniform quantizer's step / sqrt(12) over each block's range.
 */
typedef struct FormatCase
{
	LlmType		type;
	double		err_bound;		/* see above */
	double		rms_bound;		/* RMS error / RMS value */
	double		dot_tol;		/* |got - exact| <= dot_tol * sum |w a| */
} FormatCase;

static const FormatCase formats[] = {
	{LLM_TYPE_F32, 0.0, 0.0, 1e-6},
	{LLM_TYPE_F16, 0x1p-11, 0x1p-11, 1e-6},
	{LLM_TYPE_BF16, 0x1p-8, 0x1p-8, 1e-6},
	{LLM_TYPE_Q8_0, 0.5 + 127 * 0x1p-11, 0.008, 1e-5},
	{LLM_TYPE_Q4_0, 0.5 + 8 * 0x1p-11, 0.14, 1e-5},
	{LLM_TYPE_Q5_0, 0.5 + 16 * 0x1p-11, 0.075, 1e-5},
	{LLM_TYPE_Q4_K, 0.5 + 1e-4, 0.10, 2e-5},
	{LLM_TYPE_Q5_K, 0.5 + 1e-4, 0.05, 2e-5},
	{LLM_TYPE_Q6_K, 0.5 + 1e-4, 0.025, 2e-5},
};

#define N_FORMATS (sizeof(formats) / sizeof(formats[0]))

static uint8_t qbuf[MAX_N * 4];
static uint8_t abuf[MAX_N * 4];

/* the stored grid element i of a quantized row lies on */
typedef struct Grid
{
	double		step;			/* distance between neighbouring points */
	double		lo;				/* smallest point */
	double		hi;				/* largest point */
} Grid;

/* a grid of the levels qmin..qmax times scale s, minus offset m */
static Grid
MakeGrid(double s, int qmin, int qmax, double m)
{
	Grid		g;
	double		a = s * qmin - m;
	double		b = s * qmax - m;

	g.step = fabs(s);
	g.lo = a < b ? a : b;
	g.hi = a < b ? b : a;
	return g;
}

/* the 6-bit scale and min of sub-block j, decoded independently */
static void
KScaleMin(const uint8_t *s, int j, int *sc, int *m)
{
	if (j < 4)
	{
		*sc = s[j] & 63;
		*m = s[j + 4] & 63;
	}
	else
	{
		*sc = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
		*m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
	}
}

static Grid
GridOf(LlmType type, const void *q, int i)
{
	int			sc,
				m;

	switch (type)
	{
		case LLM_TYPE_Q8_0:
			return MakeGrid(LlmHalfToFloat(((const BlockQ8_0 *) q)[i / 32].d),
							-127, 127, 0);
		case LLM_TYPE_Q4_0:
			return MakeGrid(LlmHalfToFloat(((const BlockQ4_0 *) q)[i / 32].d),
							-8, 7, 0);
		case LLM_TYPE_Q5_0:
			return MakeGrid(LlmHalfToFloat(((const BlockQ5_0 *) q)[i / 32].d),
							-16, 15, 0);
		case LLM_TYPE_Q4_K:
			{
				const BlockQ4_K *b = (const BlockQ4_K *) q + i / QK_K;

				KScaleMin(b->scales, (i % QK_K) / 32, &sc, &m);
				return MakeGrid((double) LlmHalfToFloat(b->d) * sc, 0, 15,
								(double) LlmHalfToFloat(b->dmin) * m);
			}
		case LLM_TYPE_Q5_K:
			{
				const BlockQ5_K *b = (const BlockQ5_K *) q + i / QK_K;

				KScaleMin(b->scales, (i % QK_K) / 32, &sc, &m);
				return MakeGrid((double) LlmHalfToFloat(b->d) * sc, 0, 31,
								(double) LlmHalfToFloat(b->dmin) * m);
			}
		case LLM_TYPE_Q6_K:
			{
				const BlockQ6_K *b = (const BlockQ6_K *) q + i / QK_K;

				return MakeGrid((double) LlmHalfToFloat(b->d) *
								b->scales[(i % QK_K) / 16], -32, 31, 0);
			}
		default:
			return MakeGrid(0, 0, 0, 0);
	}
}

static void
TestWeightRoundTrip(const FormatCase *fc, int n)
{
	const LlmTypeTraits *t = LlmTypeGetTraits(fc->type);
	float		x[MAX_N];
	float		y[MAX_N];
	double		worst = 0.0;
	int			worst_i = -1;
	double		sum_e2 = 0.0;
	double		sum_x2 = 0.0;
	double		rms;

	CHECK(ref->to_float[fc->type] != NULL, "%s has to_float", t->name);
	if (ref->to_float[fc->type] == NULL)
		return;
	FillWeights(x, n);
	memset(qbuf, 0xA5, sizeof(qbuf));
	CHECK(LlmQuantizeWeights(fc->type, x, qbuf, n), "%s: quantize n=%d",
		  t->name, n);
	ref->to_float[fc->type] (qbuf, y, n);

	for (int i = 0; i < n; i++)
	{
		double		err = fabs((double) x[i] - (double) y[i]);
		double		excess;		/* error beyond the allowance, >0 = bad */

		sum_e2 += err * err;
		sum_x2 += (double) x[i] * x[i];
		if (t->block_size == 1)
			excess = err - fc->err_bound * fabs((double) x[i]);
		else
		{
			Grid		g = GridOf(fc->type, qbuf, i);
			double		outside = 0.0;

			if (x[i] < g.lo)
				outside = g.lo - x[i];
			else if (x[i] > g.hi)
				outside = x[i] - g.hi;
			excess = err - (fc->err_bound * g.step + outside +
							1e-6 * fabs((double) x[i]));
		}
		if (excess > worst || isnan(excess))
		{
			worst = excess;
			worst_i = i;
		}
	}
	CHECK(worst_i < 0, "%s n=%d: x[%d] = %.9g came back as %.9g, off the "
		  "nearest grid point by %.3g", t->name, n, worst_i,
		  worst_i >= 0 ? x[worst_i] : 0.0, worst_i >= 0 ? y[worst_i] : 0.0,
		  worst);

	rms = sqrt(sum_e2 / sum_x2);
	if (getenv("KERNELS_VERBOSE"))
		printf("%s n=%d: rms error %.5f\n", t->name, n, rms);
	CHECK(rms <= fc->rms_bound, "%s n=%d: RMS error %.5f > %.5f", t->name, n,
		  rms, fc->rms_bound);

	/* zeros stay exactly zero */
	memset(x, 0, sizeof(float) * n);
	CHECK(LlmQuantizeWeights(fc->type, x, qbuf, n), "%s: quantize zeros",
		  t->name);
	ref->to_float[fc->type] (qbuf, y, n);
	{
		int			nonzero = 0;

		for (int i = 0; i < n; i++)
			nonzero += y[i] != 0.0f;
		CHECK(nonzero == 0, "%s: %d zeros did not come back as zero",
			  t->name, nonzero);
	}
}

static void
TestDot(const FormatCase *fc, int n)
{
	const LlmTypeTraits *t = LlmTypeGetTraits(fc->type);
	LlmType		vdt = t->vec_dot_type;
	float		w[MAX_N];
	float		a[MAX_N];
	float		wd[MAX_N];
	float		ad[MAX_N];
	double		exact = 0.0;
	double		l1 = 0.0;
	float		got = NAN;

	if (ref->vec_dot[fc->type] == NULL || ref->to_float[fc->type] == NULL ||
		ref->from_float[vdt] == NULL || ref->to_float[vdt] == NULL)
	{
		CHECK(false, "%s: a kernel of the dot product is missing", t->name);
		return;
	}
	FillWeights(w, n);
	FillActivations(a, n);
	LlmQuantizeWeights(fc->type, w, qbuf, n);
	ref->to_float[fc->type] (qbuf, wd, n);
	ref->from_float[vdt] (a, abuf, n);
	ref->to_float[vdt] (abuf, ad, n);

	for (int i = 0; i < n; i++)
	{
		exact += (double) wd[i] * (double) ad[i];
		l1 += fabs((double) wd[i] * (double) ad[i]);
	}
	ref->vec_dot[fc->type] (n, &got, qbuf, abuf);

	CHECK(fabs((double) got - exact) <= fc->dot_tol * l1,
		  "%s n=%d: dot %.9g, exact %.9g, diff %.3g > %.3g * %.6g",
		  t->name, n, got, exact, fabs((double) got - exact),
		  fc->dot_tol, l1);
}

static void
TestFormats(void)
{
	for (size_t f = 0; f < N_FORMATS; f++)
	{
		const FormatCase *fc = &formats[f];
		int			bs = LlmTypeGetTraits(fc->type)->block_size;
		int			lens[5] = {256, 512, 4096, 0, 0};
		int			nlens = 3;

		/* odd block counts, and for scalar types odd lengths */
		if (bs == 1)
		{
			lens[nlens++] = 257;
			lens[nlens++] = 1;
		}
		else if (bs == 32)
		{
			lens[nlens++] = 32 * 7;
			lens[nlens++] = 32;
		}
		else
			lens[nlens++] = 256 * 3;

		for (int k = 0; k < nlens; k++)
		{
			TestWeightRoundTrip(fc, lens[k]);
			TestDot(fc, lens[k]);
		}
	}

	/* requests the quantizer cannot honour */
	{
		float		x[64] = {0};

		CHECK(!LlmQuantizeWeights(LLM_TYPE_Q4_1, x, qbuf, 32), "Q4_1 refused");
		CHECK(!LlmQuantizeWeights((LlmType) 4, x, qbuf, 32), "id 4 refused");
		CHECK(!LlmQuantizeWeights(LLM_TYPE_Q8_0, x, qbuf, 33), "partial block refused");
		CHECK(!LlmQuantizeWeights(LLM_TYPE_Q4_K, x, qbuf, 64), "short K row refused");
	}
}

/*
 * A bug in the nibble or high-bit layout can leave round trips intact (the
 * same layout is used both ways) and dot products consistent with the
 * dequantizer, so check the layouts directly: write blocks whose value at
 * position i is known and dequantize them.
 */
static void
TestLayouts(void)
{
	float		y[QK_K];
	int			bad;

	{
		BlockQ4_0	b;

		b.d = LlmFloatToHalf(1.0f);
		for (int j = 0; j < 16; j++)
			b.qs[j] = (uint8_t) ((j & 0xF) | ((15 - j) << 4));
		ref->to_float[LLM_TYPE_Q4_0] (&b, y, 32);
		bad = 0;
		for (int j = 0; j < 16; j++)
			bad += y[j] != (float) (j - 8) || y[j + 16] != (float) (7 - j);
		CHECK(bad == 0, "Q4_0 layout: %d wrong", bad);
	}
	{
		BlockQ5_0	b;
		uint32_t	qh = 0xA5C3F00Fu;

		b.d = LlmFloatToHalf(1.0f);
		for (int k = 0; k < 4; k++)
			b.qh[k] = (uint8_t) (qh >> (8 * k));
		for (int j = 0; j < 16; j++)
			b.qs[j] = (uint8_t) (j | ((15 - j) << 4));
		ref->to_float[LLM_TYPE_Q5_0] (&b, y, 32);
		bad = 0;
		for (int j = 0; j < 16; j++)
		{
			int			v0 = (j | (int) ((qh >> j) & 1) << 4) - 16;
			int			v1 = ((15 - j) | (int) ((qh >> (j + 16)) & 1) << 4) - 16;

			bad += y[j] != (float) v0 || y[j + 16] != (float) v1;
		}
		CHECK(bad == 0, "Q5_0 layout: %d wrong", bad);
	}
	{
		/* sub-block j: scale j + 1, min 2j; qs byte l of chunk c = l % 16 */
		BlockQ4_K	b;
		uint8_t		sc[8],
					mn[8];

		memset(&b, 0, sizeof(b));
		b.d = LlmFloatToHalf(1.0f);
		b.dmin = LlmFloatToHalf(1.0f);
		for (int j = 0; j < 8; j++)
		{
			sc[j] = (uint8_t) (j + 1 + (j >= 4 ? 40 : 0));	/* exercise bits 4-5 */
			mn[j] = (uint8_t) (2 * j + (j >= 4 ? 32 : 0));
		}
		for (int j = 0; j < 4; j++)
		{
			b.scales[j] = (uint8_t) (sc[j] | ((sc[j + 4] >> 4) << 6));
			b.scales[j + 4] = (uint8_t) (mn[j] | ((mn[j + 4] >> 4) << 6));
			b.scales[j + 8] = (uint8_t) ((sc[j + 4] & 0xF) | ((mn[j + 4] & 0xF) << 4));
		}
		for (int c = 0; c < 4; c++)
			for (int l = 0; l < 32; l++)
				b.qs[32 * c + l] = (uint8_t) ((l % 16) | ((15 - l % 16) << 4));
		ref->to_float[LLM_TYPE_Q4_K] (&b, y, QK_K);
		bad = 0;
		for (int i = 0; i < QK_K; i++)
		{
			int			j = i / 32;
			int			l = i % 32;
			int			q = (j % 2 == 0) ? l % 16 : 15 - l % 16;

			bad += y[i] != (float) (sc[j] * q - mn[j]);
		}
		CHECK(bad == 0, "Q4_K layout: %d wrong", bad);
	}
	{
		/* Q6_K: element i holds (i % 64) - 32, scale of sub-block s is s-8 */
		BlockQ6_K	b;
		int8_t		L[QK_K];

		memset(&b, 0, sizeof(b));
		b.d = LlmFloatToHalf(1.0f);
		for (int s = 0; s < 16; s++)
			b.scales[s] = (int8_t) (s - 8);
		for (int i = 0; i < QK_K; i++)
			L[i] = (int8_t) (i % 64);
		for (int h = 0; h < 2; h++)
			for (int l = 0; l < 32; l++)
			{
				const int8_t *v = L + 128 * h;

				b.ql[64 * h + l] = (uint8_t) ((v[l] & 0xF) | ((v[l + 64] & 0xF) << 4));
				b.ql[64 * h + l + 32] = (uint8_t) ((v[l + 32] & 0xF) | ((v[l + 96] & 0xF) << 4));
				b.qh[32 * h + l] = (uint8_t) ((v[l] >> 4) | ((v[l + 32] >> 4) << 2) |
											  ((v[l + 64] >> 4) << 4) | ((v[l + 96] >> 4) << 6));
			}
		ref->to_float[LLM_TYPE_Q6_K] (&b, y, QK_K);
		bad = 0;
		for (int i = 0; i < QK_K; i++)
			bad += y[i] != (float) ((i / 16 - 8) * (i % 64 - 32));
		CHECK(bad == 0, "Q6_K layout: %d wrong", bad);
	}
}

/* ------------------------------------------------------------------------
 * (d) activation quantizers, hand-computed
 * ------------------------------------------------------------------------
 */

static void
TestQ8_0Activations(void)
{
	float		x[64];
	BlockQ8_0	b[2];
	int			bad;

	/* amax 127: id = 1, integers pass through, d = 1.0 */
	for (int j = 0; j < 32; j++)
		x[j] = (float) (j * 8 - 127);	/* -127, -119, ..., 121 */
	LlmQuantizeQ8_0_ref(x, b, 32);
	CHECK(b[0].d == 0x3c00, "Q8_0 amax 127: d = 0x%04x, want 0x3c00", b[0].d);
	bad = 0;
	for (int j = 0; j < 32; j++)
		bad += b[0].qs[j] != j * 8 - 127;
	CHECK(bad == 0, "Q8_0 amax 127: %d quants differ from the inputs", bad);

	/*
	 * Ties round to even (_mm256_round_ps), not away from zero as the
	 * generic ref's roundf would.
	 */
	{
		static const float tie_in[] = {2.5f, 3.5f, -2.5f, 0.5f, 1.5f, -0.5f, -1.5f, 126.5f};
		static const int tie_out[] = {2, 4, -2, 0, 2, 0, -2, 126};

		memset(x, 0, sizeof(float) * 32);
		x[0] = 127.0f;
		for (int j = 0; j < 8; j++)
			x[1 + j] = tie_in[j];
		LlmQuantizeQ8_0_ref(x, b, 32);
		for (int j = 0; j < 8; j++)
			CHECK(b[0].qs[1 + j] == tie_out[j], "Q8_0 tie %g -> %d, want %d",
				  tie_in[j], b[0].qs[1 + j], tie_out[j]);
	}

	/* all zero: d = 0 and zero quants; a second block is independent */
	memset(x, 0, sizeof(float) * 64);
	x[32 + 3] = -254.0f;		/* negative max: d = 2, q = -127 */
	x[32 + 4] = 100.0f;			/* 100 * 127/254 = 50 */
	x[32 + 5] = 1.0f;			/* 0.5: tie to even, 0 */
	x[32 + 6] = 3.0f;			/* 1.5: tie to even, 2 */
	memset(b, 0x55, sizeof(b));
	LlmQuantizeQ8_0_ref(x, b, 64);
	bad = 0;
	for (int j = 0; j < 32; j++)
		bad += b[0].qs[j] != 0;
	CHECK(b[0].d == 0 && bad == 0, "Q8_0 all-zero block: d 0x%04x, %d nonzero",
		  b[0].d, bad);
	CHECK(b[1].d == 0x4000, "Q8_0 amax 254: d = 0x%04x, want 0x4000", b[1].d);
	CHECK(b[1].qs[3] == -127 && b[1].qs[4] == 50 && b[1].qs[5] == 0 &&
		  b[1].qs[6] == 2 && b[1].qs[0] == 0,
		  "Q8_0 negative max: %d %d %d %d", b[1].qs[3], b[1].qs[4],
		  b[1].qs[5], b[1].qs[6]);

	/* d is amax / 127 rounded once to fp16 */
	memset(x, 0, sizeof(float) * 32);
	x[7] = 100.0f;
	LlmQuantizeQ8_0_ref(x, b, 32);
	CHECK(b[0].d == LlmFloatToHalf(100.0f / 127.0f) && b[0].d == 0x3a4d,
		  "Q8_0 amax 100: d = 0x%04x, want 0x3a4d", b[0].d);
	CHECK(b[0].qs[7] == 127, "Q8_0 amax 100: max quantizes to 127");

	/*
	 * The x86 path multiplies by 127 / amax (one rounding); the generic ref
	 * by 1 / (amax / 127) (two).  Find an amax where they differ and a value
	 * on which the quant flips, and check we follow the x86 path.
	 */
	{
		bool		found = false;

		for (int k = 0; k < 200000 && !found; k++)
		{
			float		amax = 0.37f + (float) k * 1e-5f;
			float		id_x86 = 127.f / amax;
			float		id_ref = 1.0f / (amax / 127.f);

			if (id_x86 == id_ref)
				continue;
			for (int m = 0; m < 127 && !found; m++)
			{
				float		v = ((float) m + 0.5f) / id_x86;

				for (int step = -2; step <= 2 && !found; step++)
				{
					float		xv = v;

					for (int s = 0; s < abs(step); s++)
						xv = nextafterf(xv, step < 0 ? 0.0f : INFINITY);
					if (xv > amax || rintf(xv * id_x86) == rintf(xv * id_ref))
						continue;

					found = true;
					memset(x, 0, sizeof(float) * 32);
					x[0] = amax;
					x[1] = xv;
					x[2] = -xv;
					LlmQuantizeQ8_0_ref(x, b, 32);
					CHECK(b[0].qs[1] == (int) rintf(xv * id_x86) &&
						  b[0].qs[2] == -(int) rintf(xv * id_x86),
						  "Q8_0 x86 scale: amax %a x %a -> %d, want %d (ref formula %d)",
						  amax, xv, b[0].qs[1], (int) rintf(xv * id_x86),
						  (int) rintf(xv * id_ref));
				}
			}
		}
		CHECK(found, "found an input where the x86 and generic Q8_0 differ");
	}
}

static void
TestQ8_KActivations(void)
{
	static float x[2 * QK_K];
	static BlockQ8_K b[2];
	int			bad;

	/*
	 * Positive max 127 first: iscale = -127/127 = -1, so q = -x and
	 * d = -1.  Integers in [-127, 127].
	 */
	for (int j = 0; j < QK_K; j++)
		x[j] = (float) ((j * 37) % 255 - 127);
	x[0] = 127.0f;
	x[1] = -127.0f;				/* same magnitude later: first one wins */
	memset(b, 0x55, sizeof(b));
	LlmQuantizeQ8_K_ref(x, b, QK_K);
	CHECK(b[0].d == -1.0f, "Q8_K max +127: d = %g, want -1", b[0].d);
	bad = 0;
	for (int j = 0; j < QK_K; j++)
		bad += b[0].qs[j] != -(int) x[j];
	CHECK(bad == 0, "Q8_K max +127: %d quants are not -x", bad);
	bad = 0;
	for (int g = 0; g < QK_K / 16; g++)
	{
		int			sum = 0;

		for (int k = 0; k < 16; k++)
			sum -= (int) x[g * 16 + k];
		bad += b[0].bsums[g] != sum;
	}
	CHECK(bad == 0, "Q8_K bsums: %d groups wrong", bad);

	/* the same block with the negative extreme first: iscale = +1 */
	x[0] = -127.0f;
	x[1] = 127.0f;
	LlmQuantizeQ8_K_ref(x, b, QK_K);
	CHECK(b[0].d == 1.0f && b[0].qs[0] == -127 && b[0].qs[1] == 127 &&
		  b[0].qs[2] == (int) x[2],
		  "Q8_K negative max: d = %g, q = %d %d", b[0].d, b[0].qs[0], b[0].qs[1]);

	/* ties to even under iscale = -1 */
	{
		static const float tie_in[] = {2.5f, 3.5f, 0.5f, -0.5f, -1.5f, 126.5f};
		static const int tie_out[] = {-2, -4, 0, 0, 2, -126};

		memset(x, 0, sizeof(float) * QK_K);
		x[100] = 127.0f;
		for (int j = 0; j < 6; j++)
			x[200 + j] = tie_in[j];
		LlmQuantizeQ8_K_ref(x, b, QK_K);
		for (int j = 0; j < 6; j++)
			CHECK(b[0].qs[200 + j] == tie_out[j], "Q8_K tie %g -> %d, want %d",
				  tie_in[j], b[0].qs[200 + j], tie_out[j]);
		CHECK(b[0].bsums[12] == -2 - 4 + 0 + 0 + 2 - 126,
			  "Q8_K bsums of ties: %d", b[0].bsums[12]);
	}

	/* a fractional scale: max 2.0 -> iscale -63.5, d = -1/63.5 */
	memset(x, 0, sizeof(float) * QK_K);
	x[5] = 2.0f;
	x[6] = -1.0f;				/* 63.5: tie to even, 64 */
	x[7] = 0.3f;
	LlmQuantizeQ8_K_ref(x, b, QK_K);
	CHECK(b[0].d == 1.0f / (-127.f / 2.0f) && b[0].qs[5] == -127 &&
		  b[0].qs[6] == 64 && b[0].qs[7] == (int) rintf(-63.5f * 0.3f),
		  "Q8_K max 2: d %a, q %d %d %d", b[0].d, b[0].qs[5], b[0].qs[6],
		  b[0].qs[7]);

	/* all-zero block among others: d 0, quants and bsums 0 */
	for (int j = 0; j < QK_K; j++)
		x[QK_K + j] = 0.0f;
	memset(b, 0x55, sizeof(b));
	LlmQuantizeQ8_K_ref(x, b, 2 * QK_K);
	bad = 0;
	for (int j = 0; j < QK_K; j++)
		bad += b[1].qs[j] != 0;
	for (int g = 0; g < QK_K / 16; g++)
		bad += b[1].bsums[g] != 0;
	CHECK(b[1].d == 0.0f && bad == 0, "Q8_K all-zero block: d %g, %d nonzero",
		  b[1].d, bad);
	CHECK(b[0].qs[5] == -127, "Q8_K first block unaffected by the second");
}

/* ------------------------------------------------------------------------
 * (e) dispatch table
 * ------------------------------------------------------------------------
 */

static void
TestDispatch(void)
{
	const char *const *names;

	/* an unknown LLM_KERNEL falls back to the best variant */
	setenv("LLM_KERNEL", "nonsense", 1);
	CHECK(LlmKernelsGet() != NULL && LlmKernelsGet() == LlmKernelsByName("auto"),
		  "LlmKernelsGet falls back to the best variant");

	CHECK(strcmp(ref->name, "ref") == 0, "ref table name");
	for (uint32_t id = 0; id < LLM_TYPE_COUNT; id++)
	{
		const LlmTypeTraits *t = LlmTypeGetTraits(id);

		if (t == NULL || !t->supported)
		{
			CHECK(id >= LLM_TYPE_COUNT || (ref->vec_dot[id] == NULL &&
										   ref->to_float[id] == NULL),
				  "no kernels for unsupported id %u", id);
			continue;
		}
		CHECK(ref->to_float[id] != NULL, "%s has to_float", t->name);
		if (id == LLM_TYPE_Q8_K)
		{
			CHECK(ref->from_float[id] != NULL, "Q8_K has from_float");
			continue;
		}
		CHECK(ref->vec_dot[id] != NULL, "%s has vec_dot", t->name);
		CHECK(ref->from_float[t->vec_dot_type] != NULL,
			  "%s's vec_dot_type has from_float", t->name);
		CHECK(ref->to_float[t->vec_dot_type] != NULL,
			  "%s's vec_dot_type has to_float", t->name);
	}

	CHECK(LlmKernelsSelect("ref"), "select ref");
	CHECK(LlmKernelsGet() == ref, "ref selected");
	CHECK(LlmKernelsSelect("auto"), "select auto");
	CHECK(!LlmKernelsSelect("nonsense"), "nonsense refused");
	CHECK(!LlmKernelsSelect(NULL), "NULL refused");
	CHECK(!LlmKernelsSelect(""), "empty name refused");
	CHECK(LlmKernelsGet() != NULL, "refused select keeps a table");

	names = LlmKernelsNames();
	{
		bool		has_ref = false;
		int			count = 0;

		for (; names[count] != NULL && count < 64; count++)
			has_ref |= strcmp(names[count], "ref") == 0;
		CHECK(has_ref && count < 64, "names list ref, NULL-terminated");
	}
}

int
main(void)
{
	ref = LlmKernelsRef();

	TestHalfKnownValues();
	TestHalfExhaustive();
	TestBf16();
	TestTraits();
	TestLayouts();
	TestFormats();
	TestQ8_0Activations();
	TestQ8_KActivations();
	TestDispatch();

	return UnitSummary("kernels");
}
