/*-------------------------------------------------------------------------
 *
 * kernels_arm.h
 *	  The aarch64 kernel variants and the CPU predicates that say whether
 *	  each may run.
 *
 * Variants, each a full LlmKernelTable:
 *	neon	 Advanced SIMD only (every aarch64 CPU)
 *	dotprod  NEON plus SDOT (Armv8.2+: Neoverse N1 / Graviton 2 and later)
 *	i8mm	 dotprod plus SMMLA matrix tiles for prompt processing (Neoverse
 *			 V1/V2/N2, Graviton 3/4)
 *	sve		 vector-length-agnostic SVE with SVE's own SDOT (A64FX, and any
 *			 other SVE CPU)
 *
 * None is compiled with -march: functions carry target attributes and the
 * dispatcher picks one at run time, so one binary runs everywhere.
 *
 * The dispatcher prefers i8mm to sve: on Neoverse V1 (Graviton 3, SVE at
 * 256 bits) NEON's four 128-bit pipes match SVE's two 256-bit ones and
 * the SMMLA tiles are the faster prompt path; at 128 bits (Neoverse V2,
 * Graviton 4) SVE gains nothing over NEON.  sve wins where there is no
 * I8MM, which means A64FX.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_KERNELS_KERNELS_ARM_H
#define LLM_KERNELS_KERNELS_ARM_H

#include "kernels.h"

#if defined(__aarch64__)

/*
 * Which variants this compiler can build for CPUs it was not told about.
 * GCC makes the intrinsics available inside functions with a target
 * attribute (dot product since GCC 8, I8MM and the SVE ACLE since 10).
 * Older clang (PostgreSQL compiles every file to LLVM bitcode with it for
 * JIT inlining) declares them only when the whole compilation has the
 * feature, so with clang a variant is built only under a matching -march.
 * The dispatcher lists exactly the variants built.
 */
#define LLM_ARM_HAVE_NEON 1
#if defined(__clang__)
#if defined(__ARM_FEATURE_DOTPROD)
#define LLM_ARM_HAVE_DOTPROD 1
#endif
#if defined(__ARM_FEATURE_DOTPROD) && defined(__ARM_FEATURE_MATMUL_INT8)
#define LLM_ARM_HAVE_I8MM 1
#endif
#if defined(__ARM_FEATURE_SVE)
#define LLM_ARM_HAVE_SVE 1
#endif
#elif defined(__GNUC__)
#if __GNUC__ >= 8
#define LLM_ARM_HAVE_DOTPROD 1
#endif
#if __GNUC__ >= 10
#define LLM_ARM_HAVE_I8MM 1
#define LLM_ARM_HAVE_SVE 1
#endif
#endif

/* arm_act.c: activations with a vectorized exp */
extern void LlmSoftmax_neon(float *x, int64_t n);
extern void LlmSwiGlu_neon(float *gate, const float *up, int64_t n);

extern const LlmKernelTable *LlmKernelsNeon(void);
extern const LlmKernelTable *LlmKernelsDotprod(void);
extern const LlmKernelTable *LlmKernelsI8mm(void);
extern const LlmKernelTable *LlmKernelsSve(void);

/* whether the running CPU (and OS) supports each variant */
extern bool LlmCpuRunsNeon(void);
extern bool LlmCpuRunsDotprod(void);
extern bool LlmCpuRunsI8mm(void);
extern bool LlmCpuRunsSve(void);

#endif							/* __aarch64__ */

#endif							/* LLM_KERNELS_KERNELS_ARM_H */
