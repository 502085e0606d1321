/*-------------------------------------------------------------------------
 *
 * ops.c
 *	  The numeric steps of the forward pass.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "fp16.h"
#include "kernels.h"
#include "model/ops.h"
#include "threadpool.h"

void
LlmRmsNorm(float *y, const float *x, const float *w, int n_rows, int n, float eps)
{
	for (int t = 0; t < n_rows; t++)
	{
		const float *xr = x + (size_t) t * n;
		float	   *yr = y + (size_t) t * n;
		double		sum = 0.0;
		float		mean;
		float		scale;

		/* float products summed in double, as ggml_compute_forward_rms_norm */
		for (int i = 0; i < n; i++)
			sum += (double) (xr[i] * xr[i]);
		mean = (float) (sum / n);
		scale = 1.0f / sqrtf(mean + eps);
		/* normalise, then multiply by the weight: two roundings, like ggml */
		for (int i = 0; i < n; i++)
			yr[i] = (xr[i] * scale) * w[i];
	}
}

void
LlmLayerNorm(float *y, const float *x, const float *w, const float *b, int n_rows, int n,
			 float eps)
{
	for (int t = 0; t < n_rows; t++)
	{
		const float *xr = x + (size_t) t * n;
		float	   *yr = y + (size_t) t * n;
		double		sum = 0.0;
		double		sum2 = 0.0;
		float		mean;
		float		variance;
		float		scale;

		/*
		 * As ggml_compute_forward_norm_f32: the mean summed in double and
		 * rounded to float, the centred values kept, their squares summed
		 * as ggml_vec_cvar_f32 sums them (each block of sixteen in float as
		 * _mm512_reduce_add_ps adds, the blocks and the leftovers in
		 * double: the population variance), then scale, weight and bias as
		 * three roundings.
		 */
		for (int i = 0; i < n; i++)
			sum += (double) xr[i];
		mean = (float) sum / n;
		for (int i = 0; i < n; i++)
			yr[i] = xr[i] - mean;
		for (int i = 0; i + 16 <= n; i += 16)
		{
			float		sq[16];
			float		t8[8];
			float		t4[4];

			for (int l = 0; l < 16; l++)
				sq[l] = yr[i + l] * yr[i + l];
			for (int l = 0; l < 8; l++)
				t8[l] = sq[l + 8] + sq[l];
			for (int l = 0; l < 4; l++)
				t4[l] = t8[l + 4] + t8[l];
			sum2 += (double) ((t4[0] + t4[2]) + (t4[1] + t4[3]));
		}
		for (int i = n & ~15; i < n; i++)
			sum2 += (double) (yr[i] * yr[i]);
		variance = (float) (sum2 / n);
		scale = 1.0f / sqrtf(variance + eps);
		for (int i = 0; i < n; i++)
			yr[i] = (yr[i] * scale) * w[i] + b[i];
	}
}

size_t
LlmMatmulScratchSize(int64_t n_in, int n_rows)
{
	size_t		widest = 0;

	/* enough for the widest conversion any weight type asks for */
	for (uint32_t t = 0; t < LLM_TYPE_COUNT; t++)
	{
		const LlmTypeTraits *tt = LlmTypeGetTraits(t);
		size_t		sz;

		if (tt == NULL || !tt->supported)
			continue;
		sz = LlmTypeRowSize(tt->vec_dot_type, n_in);
		if (sz > widest)
			widest = sz;
	}
	return widest * (size_t) n_rows;
}

typedef struct MatmulTask
{
	float	   *y;
	const LlmWeight *w;
	const float *x;
	int			n_rows;
	char	   *act;			/* converted activations */
	size_t		act_row;		/* bytes per converted row */
	LlmType		vdt;
	const LlmKernelTable *k;
} MatmulTask;

/* Convert a share of the activation rows to the weight's vec_dot_type. */
static void
MatmulConvert(void *arg, int ith, int nth)
{
	MatmulTask *t = arg;
	int64_t		lo,
				hi;

	LlmSplitRange(t->n_rows, ith, nth, 1, &lo, &hi);
	for (int64_t r = lo; r < hi; r++)
		t->k->from_float[t->vdt] (t->x + r * t->w->n_in, t->act + t->act_row * r, t->w->n_in);
}

/* A share of the weight rows against every activation row. */
static void
MatmulRows(void *arg, int ith, int nth)
{
	MatmulTask *t = arg;
	int64_t		lo,
				hi;

	/* shares of whole tiles, so kernels see full 4- or 8-row groups */
	LlmSplitRange(t->w->n_out, ith, nth, 8, &lo, &hi);
	if (hi > lo)
		t->k->gemm[t->w->type] (t->w->n_in, (int) (hi - lo), t->n_rows, t->y + lo,
								t->w->n_out, (const char *) t->w->data + t->w->row_bytes * lo,
								t->w->row_bytes, t->act, t->act_row);
}

void
LlmMatmul(float *y, const LlmWeight *w, const float *x, int n_rows, void *scratch,
		  LlmThreadPool *pool)
{
	MatmulTask	t;

	t.y = y;
	t.w = w;
	t.x = x;
	t.n_rows = n_rows;
	t.k = LlmKernelsGet();
	t.vdt = LlmTypeGetTraits(w->type)->vec_dot_type;

	/* convert each activation row once; every weight row then reuses it */
	if (t.vdt == LLM_TYPE_F32)
	{
		t.act = (char *) x;
		t.act_row = sizeof(float) * w->n_in;
	}
	else
	{
		t.act = scratch;
		t.act_row = LlmTypeRowSize(t.vdt, w->n_in);
		if (n_rows > 1)
			LlmThreadPoolRun(pool, MatmulConvert, &t);
		else
			MatmulConvert(&t, 0, 1);
	}
	LlmThreadPoolRun(pool, MatmulRows, &t);
}

void
LlmAdd(float *x, const float *y, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x[i] += y[i];
}

void
LlmAddBias(float *y, const float *b, int n_rows, int n)
{
	for (int t = 0; t < n_rows; t++)
		for (int i = 0; i < n; i++)
			y[(size_t) t * n + i] += b[i];
}

/* ggml's rope_yarn_ramp: 1 below pair low, 0 above pair high, linear between */
static float
RopeYarnRamp(float low, float high, int i0)
{
	const float y = (i0 / 2 - low) / (high - low > 0.001f ? high - low : 0.001f);

	return 1.0f - (y < 0.0f ? 0.0f : (y > 1.0f ? 1.0f : y));
}

void
LlmRopeAngles(float *cs, int pos, const LlmRopeParams *rp, const float *freq_factors)
{
	const int	n_rot = rp->n_rot;
	const float theta_scale = powf(rp->freq_base, -2.0f / n_rot);
	float		theta = (float) pos;

	/*
	 * Angles by repeated multiplication in float, exactly as ggml's rope
	 * cache (ggml_rope_cache_init and rope_yarn), so that F32 models match
	 * llama.cpp to rounding.
	 */
	for (int i0 = 0; i0 < n_rot; i0 += 2)
	{
		float		ff = freq_factors ? freq_factors[i0 / 2] : 1.0f;
		float		theta_extrap = theta / ff;
		float		theta_interp = rp->freq_scale * theta_extrap;
		float		th = theta_interp;
		float		mscale = rp->attn_factor;

		if (rp->ext_factor != 0.0f)
		{
			float		ramp_mix = RopeYarnRamp(rp->corr_dims[0], rp->corr_dims[1], i0) *
				rp->ext_factor;

			/* as GCC contracts rope_yarn: the first product fused */
			th = fmaf(theta_interp, 1 - ramp_mix, theta_extrap * ramp_mix);
			mscale *= fmaf(0.1f, logf(1.0f / rp->freq_scale), 1.0f);
		}
		cs[i0] = cosf(th) * mscale;
		cs[i0 + 1] = sinf(th) * mscale;
		theta *= theta_scale;
	}
}

void
LlmRope(float *x, int n_head, int head_dim, int pos, const LlmRopeParams *rp,
		const float *freq_factors)
{
	const int	n_rot = rp->n_rot;
	float		cs[2 * 512];

	/* n_rot <= head_dim <= 1024 is checked at load time */
	LlmRopeAngles(cs, pos, rp, freq_factors);
	for (int h = 0; h < n_head; h++)
	{
		float	   *v = x + (size_t) h * head_dim;

		for (int i0 = 0; i0 < n_rot; i0 += 2)
		{
			float		c = cs[i0];
			float		s = cs[i0 + 1];
			int			a = rp->type == LLM_ROPE_NEOX ? i0 / 2 : i0;
			int			b = rp->type == LLM_ROPE_NEOX ? i0 / 2 + n_rot / 2 : i0 + 1;
			float		x0 = v[a];
			float		x1 = v[b];

			/*
			 * ggml's rotation, as GCC contracts it: the first product of
			 * each line fused with the rounded second
			 */
			v[a] = fmaf(x0, c, -(x1 * s));
			v[b] = fmaf(x0, s, x1 * c);
		}
	}
}

void
LlmScale(float *x, float s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x[i] *= s;
}

void
LlmSoftcap(float *x, float cap, size_t n)
{
	/* ggml_scale by 1 / cap, ggml_tanh, ggml_scale by cap: three roundings */
	const float inv = 1.0f / cap;

	for (size_t i = 0; i < n; i++)
		x[i] = tanhf(x[i] * inv) * cap;
}

/*
 * ggml's GELU table: the tanh approximation of every half-precision
 * argument, rounded to half (GGML_GELU_FP16, the CPU backend's default),
 * built once per process.
 */
static LlmHalf gelu_table[1 << 16];
static pthread_once_t gelu_once = PTHREAD_ONCE_INIT;

static void
GeluTableInit(void)
{
	/* ggml_gelu_f32's constants, in float */
	const float coef_a = 0.044715f;
	const float sqrt_2_over_pi = 0.79788456080286535587989211986876f;

	for (int i = 0; i < (1 << 16); i++)
	{
		float		x = LlmHalfToFloat((LlmHalf) i);

		gelu_table[i] = LlmFloatToHalf(0.5f * x * (1.0f + tanhf(sqrt_2_over_pi * x *
																fmaf(coef_a * x, x, 1.0f))));
	}
}

/* ggml_vec_gelu_f32's value of one argument: the table between -10 and 10 */
static inline float
GeluOne(float x)
{
	if (x <= -10.0f)
		return 0.0f;
	if (x >= 10.0f)
		return x;
	return LlmHalfToFloat(gelu_table[LlmFloatToHalf(x)]);
}

void
LlmGelu(float *x, int64_t n)
{
	pthread_once(&gelu_once, GeluTableInit);
	for (int64_t i = 0; i < n; i++)
		x[i] = GeluOne(x[i]);
}

void
LlmGeGlu(float *gate, const float *up, int64_t n)
{
	pthread_once(&gelu_once, GeluTableInit);
	/* ggml_vec_geglu_f32: beyond +-10 the GELU is x or 0, times up */
	for (int64_t i = 0; i < n; i++)
		gate[i] = gate[i] <= -10.0f ? 0.0f : GeluOne(gate[i]) * up[i];
}

void
LlmSoftmax(float *x, int n)
{
	LlmKernelsGet()->softmax(x, n);
}

void
LlmSwiGlu(float *gate, const float *up, int64_t n)
{
	LlmKernelsGet()->swiglu(gate, up, n);
}

void
LlmWeightRow(const LlmWeight *w, int64_t row, float *out)
{
	const char *src = (const char *) w->data + w->row_bytes * row;

	LlmKernelsGet()->to_float[w->type] (src, out, w->n_in);
}
