/*-------------------------------------------------------------------------
 *
 * arm_act.c
 *	  Softmax and SwiGLU with a vectorized exp, in plain NEON (every Arm
 *	  variant has it).
 *
 * The same method as x86_act.c: exp(x) = 2^n * e^r, n = round(x / ln 2),
 * e^r by the cephes polynomial, 2^n built in the exponent field (results
 * below about e^-87 come out as 0).  Softmax sums in double per vector.
 *
 *-------------------------------------------------------------------------
 */
#include "kernels_arm.h"

#if defined(__aarch64__)

#include <arm_neon.h>
#include <math.h>

#include "kernels_ref.h"

static inline float32x4_t
Exp128(float32x4_t x)
{
	float32x4_t n,
				r,
				r2,
				p;
	int32x4_t	e;

	x = vminq_f32(vmaxq_f32(x, vdupq_n_f32(-87.33f)), vdupq_n_f32(88.72f));
	n = vrndnq_f32(vmulq_f32(x, vdupq_n_f32(1.44269504088896341f)));
	r = vfmsq_f32(x, n, vdupq_n_f32(0.693359375f));
	r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440E-4f));
	r2 = vmulq_f32(r, r);
	p = vfmaq_f32(vdupq_n_f32(1.3981999507E-3f), vdupq_n_f32(1.9875691500E-4f), r);
	p = vfmaq_f32(vdupq_n_f32(8.3334519073E-3f), p, r);
	p = vfmaq_f32(vdupq_n_f32(4.1665795894E-2f), p, r);
	p = vfmaq_f32(vdupq_n_f32(1.6666665459E-1f), p, r);
	p = vfmaq_f32(vdupq_n_f32(5.0000001201E-1f), p, r);
	p = vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.0f)), p, r2);
	/* 2^(n-1) from its biased exponent n + 126, times 2: n may be 128 */
	e = vshlq_n_s32(vaddq_s32(vcvtnq_s32_f32(n), vdupq_n_s32(126)), 23);
	return vmulq_f32(vmulq_f32(p, vreinterpretq_f32_s32(e)), vdupq_n_f32(2.0f));
}

void
LlmSoftmax_neon(float *x, int64_t n)
{
	float32x4_t vmax = vdupq_n_f32(-INFINITY);
	float		max;
	double		sum = 0.0;
	float		inv;
	int64_t		i = 0;

	for (; i + 4 <= n; i += 4)
		vmax = vmaxq_f32(vmax, vld1q_f32(x + i));
	max = vmaxvq_f32(vmax);
	for (; i < n; i++)
		max = x[i] > max ? x[i] : max;

	for (i = 0; i + 4 <= n; i += 4)
	{
		float32x4_t e = Exp128(vsubq_f32(vld1q_f32(x + i), vdupq_n_f32(max)));

		vst1q_f32(x + i, e);
		sum += (double) vaddvq_f32(e);
	}
	for (; i < n; i++)
	{
		x[i] = expf(x[i] - max);
		sum += (double) x[i];
	}

	inv = (float) (1.0 / sum);
	for (i = 0; i + 4 <= n; i += 4)
		vst1q_f32(x + i, vmulq_n_f32(vld1q_f32(x + i), inv));
	for (; i < n; i++)
		x[i] *= inv;
}

void
LlmSwiGlu_neon(float *gate, const float *up, int64_t n)
{
	int64_t		i = 0;

	for (; i + 4 <= n; i += 4)
	{
		float32x4_t g = vld1q_f32(gate + i);
		float32x4_t e = Exp128(vnegq_f32(g));
		float32x4_t silu = vdivq_f32(g, vaddq_f32(vdupq_n_f32(1.0f), e));

		vst1q_f32(gate + i, vmulq_f32(silu, vld1q_f32(up + i)));
	}
	LlmSwiGlu_ref(gate + i, up + i, n - i);
}

#endif							/* __aarch64__ */
