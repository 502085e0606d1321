/*-------------------------------------------------------------------------
 *
 * dot_ref.c
 *	  Scalar reference dot products of one weight row with one activation
 *	  row already converted to the weight type's vec_dot_type.
 *
 * Each follows the accumulation of ggml's generic (scalar) vec_dot: exact
 * integer sums inside a block, one float multiply by the block scales, and
 * float accumulation across blocks (the K-quants spread it over 8 lanes, as
 * ggml_vec_dot_q*_K_q8_K_generic does); the float formats accumulate in
 * double like ggml's scalar ggml_vec_dot_f16/bf16/f32.  Build without
 * floating-point contraction (see quant_ref.c).
 *
 * n must be a multiple of the weight type's block size.
 *
 * Pure C: no PostgreSQL headers.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "fp16.h"
#include "kernels_ref.h"
#include "quant_internal.h"

/*
 * ggml's scalar ggml_vec_dot_f32 multiplies in float and sums in double;
 * for F16 and BF16 the float product of two 16-bit values is exact.
 */
void
LlmVecDotF32_ref(int64_t n, float *s, const void *w, const void *a)
{
	const float *x = w;
	const float *y = a;
	double		sum = 0.0;

	for (int64_t i = 0; i < n; i++)
		sum += (double) (x[i] * y[i]);
	*s = (float) sum;
}

void
LlmVecDotF16_ref(int64_t n, float *s, const void *w, const void *a)
{
	const LlmHalf *x = w;
	const LlmHalf *y = a;
	double		sum = 0.0;

	for (int64_t i = 0; i < n; i++)
		sum += (double) (LlmHalfToFloat(x[i]) * LlmHalfToFloat(y[i]));
	*s = (float) sum;
}

void
LlmVecDotBf16_ref(int64_t n, float *s, const void *w, const void *a)
{
	const LlmBf16 *x = w;
	const LlmBf16 *y = a;
	double		sum = 0.0;

	for (int64_t i = 0; i < n; i++)
		sum += (double) (LlmBf16ToFloat(x[i]) * LlmBf16ToFloat(y[i]));
	*s = (float) sum;
}

void
LlmVecDotQ8_0_ref(int64_t n, float *s, const void *w, const void *a)
{
	const BlockQ8_0 *x = w;
	const BlockQ8_0 *y = a;
	int64_t		nb = n / QK8_0;
	float		sumf = 0;

	for (int64_t ib = 0; ib < nb; ib++)
	{
		int			sumi = 0;

		for (int j = 0; j < QK8_0; j++)
			sumi += x[ib].qs[j] * y[ib].qs[j];
		sumf += sumi * (LlmHalfToFloat(x[ib].d) * LlmHalfToFloat(y[ib].d));
	}
	*s = sumf;
}

void
LlmVecDotQ4_0_ref(int64_t n, float *s, const void *w, const void *a)
{
	const BlockQ4_0 *x = w;
	const BlockQ8_0 *y = a;
	int64_t		nb = n / QK8_0;
	float		sumf = 0;

	for (int64_t ib = 0; ib < nb; ib++)
	{
		int			sumi0 = 0;
		int			sumi1 = 0;

		for (int j = 0; j < QK8_0 / 2; j++)
		{
			int			v0 = (x[ib].qs[j] & 0x0F) - 8;
			int			v1 = (x[ib].qs[j] >> 4) - 8;

			sumi0 += v0 * y[ib].qs[j];
			sumi1 += v1 * y[ib].qs[j + QK8_0 / 2];
		}
		/* ggml's order: (sumi * dx) * dy */
		sumf += (sumi0 + sumi1) * LlmHalfToFloat(x[ib].d) * LlmHalfToFloat(y[ib].d);
	}
	*s = sumf;
}

void
LlmVecDotQ5_0_ref(int64_t n, float *s, const void *w, const void *a)
{
	const BlockQ5_0 *x = w;
	const BlockQ8_0 *y = a;
	int64_t		nb = n / QK8_0;
	float		sumf = 0;

	for (int64_t ib = 0; ib < nb; ib++)
	{
		uint32_t	qh = (uint32_t) x[ib].qh[0] | ((uint32_t) x[ib].qh[1] << 8) |
			((uint32_t) x[ib].qh[2] << 16) | ((uint32_t) x[ib].qh[3] << 24);
		int			sumi0 = 0;
		int			sumi1 = 0;

		for (int j = 0; j < QK8_0 / 2; j++)
		{
			int			x0 = ((x[ib].qs[j] & 0x0F) | (((qh >> j) & 1) << 4)) - 16;
			int			x1 = ((x[ib].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - 16;

			sumi0 += x0 * y[ib].qs[j];
			sumi1 += x1 * y[ib].qs[j + QK8_0 / 2];
		}
		/* ggml's order: (dx * dy) * sumi */
		sumf += (LlmHalfToFloat(x[ib].d) * LlmHalfToFloat(y[ib].d)) * (sumi0 + sumi1);
	}
	*s = sumf;
}

/*
 * The K-quant dot products: per super-block, integer products summed into
 * eight lanes (lane = element index mod 8), each lane scaled by the
 * sub-block scale; then sums[lane] += d * lane_total in float, and after all
 * blocks the eight lanes are added to the running total.  The Q4_K/Q5_K min
 * term sum_i dmin * m * q8_i is computed from the Q8_K group sums (bsums):
 * each 32-weight sub-block covers two groups of 16.
 */
static void
LlmDotKFinish(const int32_t *aux32, float d, float *sums)
{
	for (int l = 0; l < 8; l++)
		sums[l] += d * aux32[l];
}

void
LlmVecDotQ4_K_ref(int64_t n, float *s, const void *w, const void *a)
{
	const BlockQ4_K *x = w;
	const BlockQ8_K *y = a;
	int64_t		nb = n / QK_K;
	float		sums[8] = {0};
	float		sumf = 0;

	for (int64_t i = 0; i < nb; i++)
	{
		const uint8_t *q4 = x[i].qs;
		const int8_t *q8 = y[i].qs;
		uint8_t		scales[8];
		uint8_t		mins[8];
		int32_t		aux32[8] = {0};
		int			sumi = 0;

		for (int j = 0; j < 8; j++)
			LlmScaleMinK4(j, x[i].scales, &scales[j], &mins[j]);
		for (int j = 0; j < QK_K / 16; j++)
			sumi += y[i].bsums[j] * mins[j / 2];

		for (int c = 0; c < 4; c++)
		{
			for (int l = 0; l < 32; l++)
				aux32[l % 8] += scales[2 * c] * (q8[l] * (q4[l] & 0xF));
			for (int l = 0; l < 32; l++)
				aux32[l % 8] += scales[2 * c + 1] * (q8[l + 32] * (q4[l] >> 4));
			q4 += 32;
			q8 += 64;
		}

		LlmDotKFinish(aux32, LlmHalfToFloat(x[i].d) * y[i].d, sums);
		sumf -= (LlmHalfToFloat(x[i].dmin) * y[i].d) * sumi;
	}
	for (int l = 0; l < 8; l++)
		sumf += sums[l];
	*s = sumf;
}

void
LlmVecDotQ5_K_ref(int64_t n, float *s, const void *w, const void *a)
{
	const BlockQ5_K *x = w;
	const BlockQ8_K *y = a;
	int64_t		nb = n / QK_K;
	float		sums[8] = {0};
	float		sumf = 0;

	for (int64_t i = 0; i < nb; i++)
	{
		const uint8_t *q4 = x[i].qs;
		const uint8_t *hm = x[i].qh;
		const int8_t *q8 = y[i].qs;
		uint8_t		scales[8];
		uint8_t		mins[8];
		int32_t		aux32[8] = {0};
		int			sumi = 0;
		uint8_t		m = 1;

		for (int j = 0; j < 8; j++)
			LlmScaleMinK4(j, x[i].scales, &scales[j], &mins[j]);
		for (int j = 0; j < QK_K / 16; j++)
			sumi += y[i].bsums[j] * mins[j / 2];

		for (int c = 0; c < 4; c++)
		{
			for (int l = 0; l < 32; l++)
			{
				int			v = (q4[l] & 0xF) + ((hm[l] & m) ? 16 : 0);

				aux32[l % 8] += scales[2 * c] * (q8[l] * v);
			}
			m <<= 1;
			for (int l = 0; l < 32; l++)
			{
				int			v = (q4[l] >> 4) + ((hm[l] & m) ? 16 : 0);

				aux32[l % 8] += scales[2 * c + 1] * (q8[l + 32] * v);
			}
			m <<= 1;
			q4 += 32;
			q8 += 64;
		}

		LlmDotKFinish(aux32, LlmHalfToFloat(x[i].d) * y[i].d, sums);
		sumf -= (LlmHalfToFloat(x[i].dmin) * y[i].d) * sumi;
	}
	for (int l = 0; l < 8; l++)
		sumf += sums[l];
	*s = sumf;
}

void
LlmVecDotQ6_K_ref(int64_t n, float *s, const void *w, const void *a)
{
	const BlockQ6_K *x = w;
	const BlockQ8_K *y = a;
	int64_t		nb = n / QK_K;
	float		sums[8] = {0};
	float		sumf = 0;

	for (int64_t i = 0; i < nb; i++)
	{
		const uint8_t *ql = x[i].ql;
		const uint8_t *qh = x[i].qh;
		int8_t		q6[QK_K];
		int32_t		aux32[8] = {0};

		/* unpack to signed 6-bit values, in dequantize order */
		for (int h = 0; h < 2; h++)
		{
			int8_t	   *v = q6 + 128 * h;

			for (int l = 0; l < 32; l++)
			{
				v[l] = (int8_t) (((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32);
				v[l + 32] = (int8_t) (((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
				v[l + 64] = (int8_t) (((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
				v[l + 96] = (int8_t) (((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
			}
			ql += 64;
			qh += 32;
		}

		for (int j = 0; j < QK_K; j++)
			aux32[j % 8] += x[i].scales[j / 16] * (y[i].qs[j] * q6[j]);

		LlmDotKFinish(aux32, LlmHalfToFloat(x[i].d) * y[i].d, sums);
	}
	for (int l = 0; l < 8; l++)
		sumf += sums[l];
	*s = sumf;
}

void
LlmGemmByVecDot(LlmVecDotFn dot, int64_t n, int nr, int nt, float *s,
				size_t ldc, const void *w, size_t w_stride,
				const void *a, size_t a_stride)
{
	/* weight row outermost: each row is read once, the activations stay cached */
	for (int r = 0; r < nr; r++)
	{
		const char *wr = (const char *) w + w_stride * r;

		for (int t = 0; t < nt; t++)
			dot(n, &s[(size_t) t * ldc + r], wr, (const char *) a + a_stride * t);
	}
}

#define LLM_DEFINE_GEMM_REF(T) \
void \
LlmGemm##T##_ref(int64_t n, int nr, int nt, float *s, size_t ldc, \
				 const void *w, size_t ws, const void *a, size_t as) \
{ \
	LlmGemmByVecDot(LlmVecDot##T##_ref, n, nr, nt, s, ldc, w, ws, a, as); \
}

LLM_DEFINE_GEMM_REF(F32)
LLM_DEFINE_GEMM_REF(F16)
LLM_DEFINE_GEMM_REF(Bf16)
LLM_DEFINE_GEMM_REF(Q8_0)
LLM_DEFINE_GEMM_REF(Q4_0)
LLM_DEFINE_GEMM_REF(Q5_0)
LLM_DEFINE_GEMM_REF(Q4_K)
LLM_DEFINE_GEMM_REF(Q5_K)
LLM_DEFINE_GEMM_REF(Q6_K)
