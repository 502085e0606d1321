/*-------------------------------------------------------------------------
 *
 * arm_dotprod.c
 *	  The "dotprod" kernel variant: NEON plus the Armv8.2 SDOT instruction
 *	  (Neoverse N1 / Graviton 2, Ampere Altra, Cortex-A76 and later).
 *
 * SDOT adds four int8 products into each int32 lane in one instruction,
 * replacing the widening multiply and two pairwise adds the plain NEON
 * variant needs per sixteen products.  The quantized dot products and
 * gemm tiles come from arm_qdot.h; the converters and the float formats
 * have nothing to gain and are the NEON variant's.
 *
 * Compiles to nothing on other architectures, or where the compiler cannot
 * build it (kernels_arm.h).
 *
 *-------------------------------------------------------------------------
 */
#include "kernels_arm.h"

#if defined(__aarch64__) && defined(LLM_ARM_HAVE_DOTPROD)

#include "arm_common.h"

#define LLM_QDOT_ATTR LLM_ARM_DOTPROD
#define LLM_QDOT16(acc, a, b) vdotq_s32(acc, a, b)
#define LLM_QDOT_NAME(x) Llm##x##_dotprod
#include "arm_qdot.h"

static const LlmKernelTable llm_kernels_dotprod = {
	.name = "dotprod",
	.vec_dot = {
		[LLM_TYPE_F32] = LlmVecDotF32_neon,
		[LLM_TYPE_F16] = LlmVecDotF16_neon,
		[LLM_TYPE_BF16] = LlmVecDotBf16_neon,
		[LLM_TYPE_Q8_0] = LlmVecDotQ8_0_dotprod,
		[LLM_TYPE_Q4_0] = LlmVecDotQ4_0_dotprod,
		[LLM_TYPE_Q5_0] = LlmVecDotQ5_0_dotprod,
		[LLM_TYPE_Q4_K] = LlmVecDotQ4_K_dotprod,
		[LLM_TYPE_Q5_K] = LlmVecDotQ5_K_dotprod,
		[LLM_TYPE_Q6_K] = LlmVecDotQ6_K_dotprod,
	},
	.gemm = {
		[LLM_TYPE_F32] = LlmGemmF32_neon,
		[LLM_TYPE_F16] = LlmGemmF16_neon,
		[LLM_TYPE_BF16] = LlmGemmBf16_neon,
		[LLM_TYPE_Q8_0] = LlmGemmQ8_0_dotprod,
		[LLM_TYPE_Q4_0] = LlmGemmQ4_0_dotprod,
		[LLM_TYPE_Q5_0] = LlmGemmQ5_0_dotprod,
		[LLM_TYPE_Q4_K] = LlmGemmQ4_K_dotprod,
		[LLM_TYPE_Q5_K] = LlmGemmQ5_K_dotprod,
		[LLM_TYPE_Q6_K] = LlmGemmQ6_K_dotprod,
	},
	LLM_ARM_CONVERTERS,
};

const LlmKernelTable *
LlmKernelsDotprod(void)
{
	return &llm_kernels_dotprod;
}

#endif							/* LLM_ARM_HAVE_DOTPROD */
