/*-------------------------------------------------------------------------
 *
 * kernels_x86.h
 *	  The x86-64 kernel variants and the CPU checks that gate them.
 *
 * Every variant is compiled into every x86-64 build with baseline flags;
 * its functions carry target attributes, and dispatch.c offers it only when
 * LlmCpuDetect says the running CPU (and OS) supports all it uses:
 *
 *	avx512bf16	AVX-512 F/BW/VL/DQ + VNNI (vpdpbusd) + AVX512_BF16 (vdpbf16ps):
 *				Zen 4/5, Cooper Lake, Sapphire Rapids and later
 *	avx512vnni	AVX-512 F/BW/VL/DQ + VNNI: Cascade Lake, Ice Lake, Tiger Lake
 *	avx2		AVX2 + FMA + F16C: Haswell and later, Zen 1 and later
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_KERNELS_KERNELS_X86_H
#define LLM_KERNELS_KERNELS_X86_H

#if defined(__x86_64__)

#include "cpu.h"
#include "kernels.h"

extern const LlmKernelTable *LlmKernelsAvx2(void);
extern const LlmKernelTable *LlmKernelsAvx512Vnni(void);
extern const LlmKernelTable *LlmKernelsAvx512Bf16(void);

/* x86_act.c: activations with a vectorized exp */
extern void LlmSoftmax_avx2(float *x, int64_t n);
extern void LlmSwiGlu_avx2(float *gate, const float *up, int64_t n);
extern void LlmSoftmax_avx512(float *x, int64_t n);
extern void LlmSwiGlu_avx512(float *gate, const float *up, int64_t n);

static inline bool
LlmCpuRunsAvx2(void)
{
	const LlmCpuFeatures *f = LlmCpuDetect();

	return f->avx2 && f->fma && f->f16c;
}

static inline bool
LlmCpuRunsAvx512Vnni(void)
{
	const LlmCpuFeatures *f = LlmCpuDetect();

	return LlmCpuRunsAvx2() && f->avx512f && f->avx512bw && f->avx512vl &&
		f->avx512dq && f->avx512vnni;
}

static inline bool
LlmCpuRunsAvx512Bf16(void)
{
	return LlmCpuRunsAvx512Vnni() && LlmCpuDetect()->avx512bf16;
}

#endif							/* __x86_64__ */

#endif							/* LLM_KERNELS_KERNELS_X86_H */
