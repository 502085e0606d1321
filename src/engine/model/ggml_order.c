/*-------------------------------------------------------------------------
 *
 * ggml_order.c
 *	  Float arithmetic in the order of llama.cpp's CPU backend (see
 *	  ggml_order.h for what and why).
 *
 * Each vector instruction of llama.cpp is written out lane by lane: an
 * FMA of a lane is fmaf(), a horizontal add is the tree GCC builds for
 * _mm512_reduce_add_ps.  The results are exact IEEE operations, so they
 * are the same on every CPU and with every kernel variant.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>

#include "model/ggml_order.h"

/*
 * _mm512_reduce_add_ps: the upper eight lanes onto the lower, then four,
 * then lanes 2 and 3 onto 0 and 1, then 1 onto 0.
 */
static float
Reduce16(const float *a)
{
	float		t8[8];
	float		t4[4];

	for (int i = 0; i < 8; i++)
		t8[i] = a[i + 8] + a[i];
	for (int i = 0; i < 4; i++)
		t4[i] = t8[i + 4] + t8[i];
	return (t4[0] + t4[2]) + (t4[1] + t4[3]);
}

float
LlmGgmlDotTiny(const float *a, size_t a_stride, const float *b, int64_t n)
{
	float		acc[16] = {0};

	for (int64_t l = 0; l < n; l += 16)
		for (int i = 0; i < 16 && l + i < n; i++)
			acc[i] = fmaf(a[(l + i) * a_stride], b[l + i], acc[i]);
	return Reduce16(acc);
}

float
LlmGgmlDotVec(const float *a, size_t a_stride, const float *b, int64_t n, bool fused_tail)
{
	const int64_t np = n & ~(int64_t) 63;
	float		acc[4][16] = {{0}};
	float		sum[16];
	float		s;

	/* GGML_F32_STEP: four vectors of sixteen, one FMA each per block */
	for (int64_t i = 0; i < np; i += 64)
		for (int j = 0; j < 4; j++)
			for (int l = 0; l < 16; l++)
				acc[j][l] = fmaf(a[(i + 16 * j + l) * a_stride], b[i + 16 * j + l], acc[j][l]);
	/* GGML_F32_VEC_REDUCE: 0 += 2, 1 += 3, 0 += 1, then across lanes */
	for (int l = 0; l < 16; l++)
		sum[l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]);
	s = Reduce16(sum);
	/* the leftovers, one product at a time (see ggml_order.h) */
	for (int64_t i = np; i < n; i++)
		s = fused_tail ? fmaf(a[i * a_stride], b[i], s) : s + a[i * a_stride] * b[i];
	return s;
}

typedef struct GgmlMatmulTask
{
	float	   *y;
	const LlmWeight *w;
	const float *x;
	int			n_rows;
} GgmlMatmulTask;

static void
GgmlMatmulShare(void *arg, int ith, int nth)
{
	GgmlMatmulTask *t = arg;
	const int64_t n_in = t->w->n_in;
	const bool	tiny = n_in % 16 == 0;	/* else tinyBLAS declines */
	int64_t		lo,
				hi;

	LlmSplitRange(t->w->n_out, ith, nth, 1, &lo, &hi);
	for (int r = 0; r < t->n_rows; r++)
		for (int64_t o = lo; o < hi; o++)
		{
			const float *wr = (const float *) t->w->data + o * n_in;
			const float *xr = t->x + (size_t) r * n_in;

			t->y[(size_t) r * t->w->n_out + o] = tiny ? LlmGgmlDotTiny(wr, 1, xr, n_in) :
				LlmGgmlDotVec(wr, 1, xr, n_in, true);
		}
}

void
LlmGgmlMatmul(float *y, const LlmWeight *w, const float *x, int n_rows, LlmThreadPool *pool)
{
	GgmlMatmulTask t = {y, w, x, n_rows};

	LlmThreadPoolRun(pool, GgmlMatmulShare, &t);
}

/*
 * ggml_v_expf (AVX-512) of one lane: 2^n * p(b) with n = round(x / ln 2),
 * b the remainder in two parts, p a degree-5 polynomial; beyond |n| > 192
 * the result is 0 or infinity.
 */
static float
GgmlExp(float x)
{
	const float r = 0x1.8p23f;
	const float z = fmaf(x, 0x1.715476p+0f, r);
	const float n = z - r;
	const float b = fmaf(-n, 0x1.7f7d1cp-20f, fmaf(-n, 0x1.62e4p-1f, x));
	const float u = b * b;
	const float j = fmaf(fmaf(fmaf(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u,
							  fmaf(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
						 u, fmaf(0x1.ffffecp-1f, b, 1.0f));

	if (fabsf(n) > 192.0f)
		return n <= 0.0f ? 0.0f : INFINITY;
	/* _mm512_scalef_ps: j * 2^n, n integral here */
	return ldexpf(j, (int) n);
}

void
LlmGgmlSoftmax(float *x, int n, int n_row)
{
	const int	full = n_row & ~15;
	float		max = -INFINITY;
	double		sum = 0.0;
	float		inv;

	for (int i = 0; i < n; i++)
		max = x[i] > max ? x[i] : max;
	for (int i = 0; i < n; i += 16)
	{
		float		block[16] = {0};

		/* past the whole blocks, expf (the masked entries add nothing) */
		for (int l = 0; l < 16 && i + l < n; l++)
			block[l] = i + l < full ? GgmlExp(x[i + l] - max) : expf(x[i + l] - max);
		for (int l = 0; l < 16 && i + l < n; l++)
			x[i + l] = block[l];
		if (i < full)
			sum += (double) Reduce16(block);
		else
			for (int l = 0; l < 16 && i + l < n; l++)
				sum += (double) block[l];
	}
	/* ggml_vec_scale_f32 by the float of 1/sum */
	inv = (float) (1.0 / sum);
	for (int i = 0; i < n; i++)
		x[i] *= inv;
}

void
LlmGgmlSwiGlu(float *gate, const float *up, int64_t n)
{
	const int64_t full = n & ~(int64_t) 15;

	for (int64_t i = 0; i < n; i++)
	{
		float		g = gate[i];

		/* ggml_v_silu on whole blocks, ggml_silu_f32 after */
		if (i < full)
			gate[i] = g / (1.0f + GgmlExp(0.0f - g)) * up[i];
		else
			gate[i] = g / (1.0f + expf(-g)) * up[i];
	}
}
