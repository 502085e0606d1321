/*-------------------------------------------------------------------------
 *
 * dispatch.c
 *	  Choose the kernel table: the best variant this CPU runs, or one named
 *	  by the LLM_KERNEL environment variable or by LlmKernelsSelect.
 *
 * Variants are listed best first, each with a predicate saying whether the
 * running CPU supports it; SIMD variants (AVX2, NEON, ...) are added to
 * llm_kernel_variants ahead of "ref" when they exist.
 *
 * The choice is one pointer, written on the first LlmKernelsGet and by
 * LlmKernelsSelect.  A PostgreSQL backend is single-threaded; should two
 * threads race on the first call, both store the same table.
 *
 * Pure C: no PostgreSQL headers.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "kernels_ref.h"
#if defined(__x86_64__)
#include "kernels_x86.h"
#elif defined(__aarch64__)
#include "kernels_arm.h"
#endif

typedef struct LlmKernelVariant
{
	const char *name;
	const LlmKernelTable *(*table) (void);
	bool		(*cpu_supports) (void);
} LlmKernelVariant;

static bool
LlmCpuAlways(void)
{
	return true;
}

/* best first; "ref" is last and always runs */
static const LlmKernelVariant llm_kernel_variants[] = {
#if defined(__x86_64__)
	{"amx", LlmKernelsAmx, LlmCpuRunsAmx},
	{"avx512bf16", LlmKernelsAvx512Bf16, LlmCpuRunsAvx512Bf16},
	{"avx512vnni", LlmKernelsAvx512Vnni, LlmCpuRunsAvx512Vnni},
	{"avx2", LlmKernelsAvx2, LlmCpuRunsAvx2},
#elif defined(__aarch64__)
	/* the order is argued in kernels_arm.h */
#ifdef LLM_ARM_HAVE_I8MM
	{"i8mm", LlmKernelsI8mm, LlmCpuRunsI8mm},
#endif
#ifdef LLM_ARM_HAVE_SVE
	{"sve", LlmKernelsSve, LlmCpuRunsSve},
#endif
#ifdef LLM_ARM_HAVE_DOTPROD
	{"dotprod", LlmKernelsDotprod, LlmCpuRunsDotprod},
#endif
	{"neon", LlmKernelsNeon, LlmCpuRunsNeon},
#endif
	{"ref", LlmKernelsRef, LlmCpuAlways},
};

#define LLM_N_VARIANTS (sizeof(llm_kernel_variants) / sizeof(llm_kernel_variants[0]))

static const LlmKernelTable *llm_kernels_current = NULL;

static const LlmKernelTable llm_kernels_ref = {
	.name = "ref",
	.softmax = LlmSoftmax_ref,
	.swiglu = LlmSwiGlu_ref,
	.vec_dot = {
		[LLM_TYPE_F32] = LlmVecDotF32_ref,
		[LLM_TYPE_F16] = LlmVecDotF16_ref,
		[LLM_TYPE_BF16] = LlmVecDotBf16_ref,
		[LLM_TYPE_Q8_0] = LlmVecDotQ8_0_ref,
		[LLM_TYPE_Q4_0] = LlmVecDotQ4_0_ref,
		[LLM_TYPE_Q5_0] = LlmVecDotQ5_0_ref,
		[LLM_TYPE_Q4_K] = LlmVecDotQ4_K_ref,
		[LLM_TYPE_Q5_K] = LlmVecDotQ5_K_ref,
		[LLM_TYPE_Q6_K] = LlmVecDotQ6_K_ref,
	},
	.gemm = {
		[LLM_TYPE_F32] = LlmGemmF32_ref,
		[LLM_TYPE_F16] = LlmGemmF16_ref,
		[LLM_TYPE_BF16] = LlmGemmBf16_ref,
		[LLM_TYPE_Q8_0] = LlmGemmQ8_0_ref,
		[LLM_TYPE_Q4_0] = LlmGemmQ4_0_ref,
		[LLM_TYPE_Q5_0] = LlmGemmQ5_0_ref,
		[LLM_TYPE_Q4_K] = LlmGemmQ4_K_ref,
		[LLM_TYPE_Q5_K] = LlmGemmQ5_K_ref,
		[LLM_TYPE_Q6_K] = LlmGemmQ6_K_ref,
	},
	.from_float = {
		[LLM_TYPE_F32] = LlmFromFloatF32_ref,
		[LLM_TYPE_F16] = LlmFromFloatF16_ref,
		[LLM_TYPE_BF16] = LlmFromFloatBf16_ref,
		[LLM_TYPE_Q8_0] = LlmQuantizeQ8_0_ref,
		[LLM_TYPE_Q8_K] = LlmQuantizeQ8_K_ref,
	},
	.to_float = {
		[LLM_TYPE_F32] = LlmToFloatF32_ref,
		[LLM_TYPE_F16] = LlmToFloatF16_ref,
		[LLM_TYPE_BF16] = LlmToFloatBf16_ref,
		[LLM_TYPE_Q8_0] = LlmDequantizeQ8_0_ref,
		[LLM_TYPE_Q4_0] = LlmDequantizeQ4_0_ref,
		[LLM_TYPE_Q5_0] = LlmDequantizeQ5_0_ref,
		[LLM_TYPE_Q4_K] = LlmDequantizeQ4_K_ref,
		[LLM_TYPE_Q5_K] = LlmDequantizeQ5_K_ref,
		[LLM_TYPE_Q6_K] = LlmDequantizeQ6_K_ref,
		[LLM_TYPE_Q8_K] = LlmDequantizeQ8_K_ref,
	},
};

const LlmKernelTable *
LlmKernelsRef(void)
{
	return &llm_kernels_ref;
}

/* first variant the CPU supports; "ref" guarantees there is one */
static const LlmKernelTable *
LlmKernelsBest(void)
{
	for (size_t i = 0; i < LLM_N_VARIANTS; i++)
	{
		if (llm_kernel_variants[i].cpu_supports())
			return llm_kernel_variants[i].table();
	}
	return LlmKernelsRef();
}

/* the named variant if it exists and runs here, else NULL */
const LlmKernelTable *
LlmKernelsByName(const char *name)
{
	if (name == NULL)
		return NULL;
	if (strcmp(name, "auto") == 0)
		return LlmKernelsBest();
	for (size_t i = 0; i < LLM_N_VARIANTS; i++)
	{
		if (strcmp(llm_kernel_variants[i].name, name) == 0)
			return llm_kernel_variants[i].cpu_supports() ?
				llm_kernel_variants[i].table() : NULL;
	}
	return NULL;
}

const LlmKernelTable *
LlmKernelsGet(void)
{
	if (llm_kernels_current == NULL)
	{
		/*
		 * An unknown or unrunnable LLM_KERNEL falls back to the best
		 * variant: kernel code has no way to report, and the caller can
		 * compare LlmKernelsGet()->name with what it asked for.
		 */
		const char *env = getenv("LLM_KERNEL");
		const LlmKernelTable *t = NULL;

		if (env != NULL && env[0] != '\0')
			t = LlmKernelsByName(env);
		llm_kernels_current = t != NULL ? t : LlmKernelsBest();
	}
	return llm_kernels_current;
}

bool
LlmKernelsSelect(const char *name)
{
	const LlmKernelTable *t = LlmKernelsByName(name);

	if (t == NULL)
		return false;
	llm_kernels_current = t;
	return true;
}

const char *const *
LlmKernelsNames(void)
{
	static const char *names[LLM_N_VARIANTS + 1];

	/* refilled on every call with the same values, so harmless to race */
	for (size_t i = 0; i < LLM_N_VARIANTS; i++)
		names[i] = llm_kernel_variants[i].name;
	names[LLM_N_VARIANTS] = NULL;
	return names;
}
