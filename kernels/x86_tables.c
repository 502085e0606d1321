/*-------------------------------------------------------------------------
 *
 * x86_tables.c
 *	  The x86-64 kernel tables: "avx2", "avx512vnni", "avx512bf16" and
 *	  "amx", assembled from the functions of each instruction set's files.
 *
 * F32 needs no conversion in either direction; every table uses the
 * reference's copy, as the Arm variants do.  Each variant's functions are
 * declared in kernels_x86.h.
 *
 * Pure C: no PostgreSQL headers.
 *
 *-------------------------------------------------------------------------
 */
#include "kernels_x86.h"

#if defined(__x86_64__)

#include "kernels_ref.h"

/*
 * A table of one instruction set's functions (LLM_X86_DECLARE).  The
 * AVX-512 tables differ only in BF16, where "avx512bf16" multiplies with
 * VDPBF16PS and "avx512vnni" widens to float by a shift and uses FMA, and
 * in Q8_0's gemm, which "amx" runs on AMX tiles.
 */
#define LLM_X86_TABLE(NAME, ISA, BF16_DOT, BF16_GEMM, Q8_0_GEMM) \
	{ \
		.name = NAME, \
		.softmax = LlmSoftmax_##ISA, \
		.swiglu = LlmSwiGlu_##ISA, \
		.vec_dot = { \
			[LLM_TYPE_F32] = LlmVecDotF32_##ISA, \
			[LLM_TYPE_F16] = LlmVecDotF16_##ISA, \
			[LLM_TYPE_BF16] = BF16_DOT, \
			[LLM_TYPE_Q8_0] = LlmVecDotQ8_0_##ISA, \
			[LLM_TYPE_Q4_0] = LlmVecDotQ4_0_##ISA, \
			[LLM_TYPE_Q5_0] = LlmVecDotQ5_0_##ISA, \
			[LLM_TYPE_Q4_K] = LlmVecDotQ4_K_##ISA, \
			[LLM_TYPE_Q5_K] = LlmVecDotQ5_K_##ISA, \
			[LLM_TYPE_Q6_K] = LlmVecDotQ6_K_##ISA, \
		}, \
		.gemm = { \
			[LLM_TYPE_F32] = LlmGemmF32_##ISA, \
			[LLM_TYPE_F16] = LlmGemmF16_##ISA, \
			[LLM_TYPE_BF16] = BF16_GEMM, \
			[LLM_TYPE_Q8_0] = Q8_0_GEMM, \
			[LLM_TYPE_Q4_0] = LlmGemmQ4_0_##ISA, \
			[LLM_TYPE_Q5_0] = LlmGemmQ5_0_##ISA, \
			[LLM_TYPE_Q4_K] = LlmGemmQ4_K_##ISA, \
			[LLM_TYPE_Q5_K] = LlmGemmQ5_K_##ISA, \
			[LLM_TYPE_Q6_K] = LlmGemmQ6_K_##ISA, \
		}, \
		.from_float = { \
			[LLM_TYPE_F32] = LlmFromFloatF32_ref, \
			[LLM_TYPE_F16] = LlmFromFloatF16_##ISA, \
			[LLM_TYPE_BF16] = LlmFromFloatBf16_##ISA, \
			[LLM_TYPE_Q8_0] = LlmQuantizeQ8_0_##ISA, \
			[LLM_TYPE_Q8_K] = LlmQuantizeQ8_K_##ISA, \
		}, \
		.to_float = { \
			[LLM_TYPE_F32] = LlmToFloatF32_ref, \
			[LLM_TYPE_F16] = LlmToFloatF16_##ISA, \
			[LLM_TYPE_BF16] = LlmToFloatBf16_##ISA, \
			[LLM_TYPE_Q8_0] = LlmDequantizeQ8_0_##ISA, \
			[LLM_TYPE_Q4_0] = LlmDequantizeQ4_0_##ISA, \
			[LLM_TYPE_Q5_0] = LlmDequantizeQ5_0_##ISA, \
			[LLM_TYPE_Q4_K] = LlmDequantizeQ4_K_##ISA, \
			[LLM_TYPE_Q5_K] = LlmDequantizeQ5_K_##ISA, \
			[LLM_TYPE_Q6_K] = LlmDequantizeQ6_K_##ISA, \
			[LLM_TYPE_Q8_K] = LlmDequantizeQ8_K_##ISA, \
		}, \
	}

static const LlmKernelTable llm_kernels_avx2 =
LLM_X86_TABLE("avx2", avx2, LlmVecDotBf16_avx2, LlmGemmBf16_avx2, LlmGemmQ8_0_avx2);

static const LlmKernelTable llm_kernels_avx512vnni =
LLM_X86_TABLE("avx512vnni", avx512, LlmVecDotBf16_avx512, LlmGemmBf16_avx512,
			  LlmGemmQ8_0_avx512);

static const LlmKernelTable llm_kernels_avx512bf16 =
LLM_X86_TABLE("avx512bf16", avx512, LlmVecDotBf16_avx512bf16, LlmGemmBf16_avx512bf16,
			  LlmGemmQ8_0_avx512);

static const LlmKernelTable llm_kernels_amx =
LLM_X86_TABLE("amx", avx512, LlmVecDotBf16_avx512bf16, LlmGemmBf16_avx512bf16,
			  LlmGemmQ8_0_amx);

const LlmKernelTable *
LlmKernelsAvx2(void)
{
	return &llm_kernels_avx2;
}

const LlmKernelTable *
LlmKernelsAvx512Vnni(void)
{
	return &llm_kernels_avx512vnni;
}

const LlmKernelTable *
LlmKernelsAvx512Bf16(void)
{
	return &llm_kernels_avx512bf16;
}

const LlmKernelTable *
LlmKernelsAmx(void)
{
	return &llm_kernels_amx;
}

#endif							/* __x86_64__ */
