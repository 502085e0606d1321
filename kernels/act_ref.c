/*-------------------------------------------------------------------------
 *
 * act_ref.c
 *	  Scalar reference of the elementwise activations: softmax and SwiGLU.
 *
 * Sums are taken in double and exp is libm's expf, as ggml's scalar paths
 * do; SIMD variants use a polynomial exp within a few ulp of it.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>

#include "kernels_ref.h"

void
LlmSoftmax_ref(float *x, int64_t n)
{
	float		max = -INFINITY;
	double		sum = 0.0;
	float		inv;

	for (int64_t i = 0; i < n; i++)
		if (x[i] > max)
			max = x[i];
	for (int64_t i = 0; i < n; i++)
	{
		x[i] = expf(x[i] - max);
		sum += (double) x[i];
	}
	inv = (float) (1.0 / sum);
	for (int64_t i = 0; i < n; i++)
		x[i] *= inv;
}

void
LlmSwiGlu_ref(float *gate, const float *up, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
	{
		float		g = gate[i];

		gate[i] = g / (1.0f + expf(-g)) * up[i];
	}
}
