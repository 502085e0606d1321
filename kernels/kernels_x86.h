/*-------------------------------------------------------------------------
 *
 * kernels_x86.h
 *	  The x86-64 kernel variants, their functions and the CPU checks that
 *	  gate them.
 *
 * Every variant is compiled into every x86-64 build with baseline flags;
 * its functions carry target attributes, and dispatch.c offers it only when
 * LlmCpuDetect says the running CPU (and OS) supports all it uses:
 *
 *	amx			avx512bf16 + AMX-TILE/AMX-INT8 (tdpbssd) for Q8_0 prompt
 *				processing: Sapphire Rapids and later; on Linux only once
 *				the process was allowed the tile state (x86_amx.c)
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
extern const LlmKernelTable *LlmKernelsAmx(void);

/* x86_amx.c: also asks Linux for the tile state, once per process */
extern bool LlmCpuRunsAmx(void);

/*
 * The functions of the AVX2 and the AVX-512 variants: the same set for
 * each instruction set ISA (avx2, avx512), one file per job:
 *
 *	x86_ISA_convert.c	from_float and to_float
 *	x86_ISA_dot.c		vec_dot
 *	x86_ISA_gemm.c		gemm
 *
 * (see x86_avx2.h and x86_avx512.h); x86_tables.c assembles the tables.
 * F32 has no converters of its own: the tables use the reference's copy.
 */
#define LLM_X86_DECLARE(ISA) \
	extern void LlmFromFloatF16_##ISA(const float *x, void *y, int64_t n); \
	extern void LlmFromFloatBf16_##ISA(const float *x, void *y, int64_t n); \
	extern void LlmQuantizeQ8_0_##ISA(const float *x, void *y, int64_t n); \
	extern void LlmQuantizeQ8_K_##ISA(const float *x, void *y, int64_t n); \
	extern void LlmToFloatF16_##ISA(const void *x, float *y, int64_t n); \
	extern void LlmToFloatBf16_##ISA(const void *x, float *y, int64_t n); \
	extern void LlmDequantizeQ8_0_##ISA(const void *x, float *y, int64_t n); \
	extern void LlmDequantizeQ4_0_##ISA(const void *x, float *y, int64_t n); \
	extern void LlmDequantizeQ5_0_##ISA(const void *x, float *y, int64_t n); \
	extern void LlmDequantizeQ4_K_##ISA(const void *x, float *y, int64_t n); \
	extern void LlmDequantizeQ5_K_##ISA(const void *x, float *y, int64_t n); \
	extern void LlmDequantizeQ6_K_##ISA(const void *x, float *y, int64_t n); \
	extern void LlmDequantizeQ8_K_##ISA(const void *x, float *y, int64_t n); \
	LLM_X86_DECLARE_DOT(LlmVecDotF32_##ISA); \
	LLM_X86_DECLARE_DOT(LlmVecDotF16_##ISA); \
	LLM_X86_DECLARE_DOT(LlmVecDotBf16_##ISA); \
	LLM_X86_DECLARE_DOT(LlmVecDotQ8_0_##ISA); \
	LLM_X86_DECLARE_DOT(LlmVecDotQ4_0_##ISA); \
	LLM_X86_DECLARE_DOT(LlmVecDotQ5_0_##ISA); \
	LLM_X86_DECLARE_DOT(LlmVecDotQ4_K_##ISA); \
	LLM_X86_DECLARE_DOT(LlmVecDotQ5_K_##ISA); \
	LLM_X86_DECLARE_DOT(LlmVecDotQ6_K_##ISA); \
	LLM_X86_DECLARE_GEMM(LlmGemmF32_##ISA); \
	LLM_X86_DECLARE_GEMM(LlmGemmF16_##ISA); \
	LLM_X86_DECLARE_GEMM(LlmGemmBf16_##ISA); \
	LLM_X86_DECLARE_GEMM(LlmGemmQ8_0_##ISA); \
	LLM_X86_DECLARE_GEMM(LlmGemmQ4_0_##ISA); \
	LLM_X86_DECLARE_GEMM(LlmGemmQ5_0_##ISA); \
	LLM_X86_DECLARE_GEMM(LlmGemmQ4_K_##ISA); \
	LLM_X86_DECLARE_GEMM(LlmGemmQ5_K_##ISA); \
	LLM_X86_DECLARE_GEMM(LlmGemmQ6_K_##ISA)

#define LLM_X86_DECLARE_DOT(NAME) \
	extern void NAME(int64_t n, float *s, const void *w, const void *a)
#define LLM_X86_DECLARE_GEMM(NAME) \
	extern void NAME(int64_t n, int nr, int nt, float *s, size_t ldc, \
					 const void *w, size_t ws, const void *a, size_t as)

LLM_X86_DECLARE(avx2);
LLM_X86_DECLARE(avx512);
/* "avx512bf16" has BF16 products of its own (VDPBF16PS) */
LLM_X86_DECLARE_DOT(LlmVecDotBf16_avx512bf16);
LLM_X86_DECLARE_GEMM(LlmGemmBf16_avx512bf16);
/* "amx" has a Q8_0 gemm of its own (TDPBSSD) */
LLM_X86_DECLARE_GEMM(LlmGemmQ8_0_amx);

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
