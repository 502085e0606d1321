/*-------------------------------------------------------------------------
 *
 * ops.c
 *	  The numeric steps of the forward pass.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

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

void
LlmRope(float *x, int n_head, int head_dim, int pos, const LlmHParams *hp,
		const float *freq_factors)
{
	const int	n_rot = hp->n_rot;
	const float theta_scale = powf(hp->rope_freq_base, -2.0f / n_rot);
	float		cs[2 * 512];
	float		theta = (float) pos;

	/*
	 * Angles by repeated multiplication in float, exactly as ggml's rope
	 * cache, so that F32 models match llama.cpp to rounding.  n_rot <= 1024
	 * is checked at load time.
	 */
	for (int i0 = 0; i0 < n_rot; i0 += 2)
	{
		float		ff = freq_factors ? freq_factors[i0 / 2] : 1.0f;
		float		th = hp->rope_freq_scale * (theta / ff);

		cs[i0] = cosf(th);
		cs[i0 + 1] = sinf(th);
		theta *= theta_scale;
	}

	for (int h = 0; h < n_head; h++)
	{
		float	   *v = x + (size_t) h * head_dim;

		for (int i0 = 0; i0 < n_rot; i0 += 2)
		{
			float		c = cs[i0];
			float		s = cs[i0 + 1];
			int			a = hp->rope_type == LLM_ROPE_NEOX ? i0 / 2 : i0;
			int			b = hp->rope_type == LLM_ROPE_NEOX ? i0 / 2 + n_rot / 2 : i0 + 1;
			float		x0 = v[a];
			float		x1 = v[b];

			v[a] = x0 * c - x1 * s;
			v[b] = x0 * s + x1 * c;
		}
	}
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
