/*-------------------------------------------------------------------------
 *
 * quant.c
 *	  Static facts (name, block size, bytes per block) about every element
 *	  type ggml has defined up to id 39, so a loader can name the exact type
 *	  it refuses.
 *
 * Block and type sizes are those of ggml-common.h.  Ids ggml removed from
 * GGUF files (4, 5: old Q4_2/Q4_3; 31-33: Q4_0_4_4/4_8/8_8; 36-38:
 * IQ4_NL_4_4/4_8/8_8) have no entry, so they read as unknown.
 *
 * Pure C: no PostgreSQL headers.
 *
 *-------------------------------------------------------------------------
 */
#include "quant.h"

/*
 * Ids that quant.h does not name, because the engine cannot compute with
 * them; they only need a name and a size here.
 */
#define LLM_ID_IQ2_XXS	16
#define LLM_ID_IQ2_XS	17
#define LLM_ID_IQ3_XXS	18
#define LLM_ID_IQ1_S	19
#define LLM_ID_IQ4_NL	20
#define LLM_ID_IQ3_S	21
#define LLM_ID_IQ2_S	22
#define LLM_ID_IQ4_XS	23
#define LLM_ID_I8		24
#define LLM_ID_I16		25
#define LLM_ID_I32		26
#define LLM_ID_I64		27
#define LLM_ID_F64		28
#define LLM_ID_IQ1_M	29
#define LLM_ID_TQ1_0	34
#define LLM_ID_TQ2_0	35
#define LLM_ID_MXFP4	39

#define SUPPORTED(nm, bs, ts, vdt) \
	{ .name = (nm), .block_size = (bs), .type_size = (ts), \
	  .supported = true, .vec_dot_type = (vdt) }

/*
 * For types we cannot compute with, vec_dot_type still records what ggml
 * converts activations to, for the error message's benefit; plain integer
 * and F64 tensors have none in ggml and get F32.
 */
#define KNOWN(nm, bs, ts, vdt) \
	{ .name = (nm), .block_size = (bs), .type_size = (ts), \
	  .supported = false, .vec_dot_type = (LlmType) (vdt) }

static const LlmTypeTraits llm_type_traits[LLM_TYPE_COUNT] = {
	[LLM_TYPE_F32] = SUPPORTED("F32", 1, 4, LLM_TYPE_F32),
	[LLM_TYPE_F16] = SUPPORTED("F16", 1, 2, LLM_TYPE_F16),
	[LLM_TYPE_Q4_0] = SUPPORTED("Q4_0", QK4_0, sizeof(BlockQ4_0), LLM_TYPE_Q8_0),
	[LLM_TYPE_Q4_1] = KNOWN("Q4_1", 32, 20, LLM_TYPE_Q8_1),
	[LLM_TYPE_Q5_0] = SUPPORTED("Q5_0", QK5_0, sizeof(BlockQ5_0), LLM_TYPE_Q8_0),
	[LLM_TYPE_Q5_1] = KNOWN("Q5_1", 32, 24, LLM_TYPE_Q8_1),
	[LLM_TYPE_Q8_0] = SUPPORTED("Q8_0", QK8_0, sizeof(BlockQ8_0), LLM_TYPE_Q8_0),
	[LLM_TYPE_Q8_1] = KNOWN("Q8_1", 32, 36, LLM_TYPE_Q8_1),
	[LLM_TYPE_Q2_K] = KNOWN("Q2_K", QK_K, 84, LLM_TYPE_Q8_K),
	[LLM_TYPE_Q3_K] = KNOWN("Q3_K", QK_K, 110, LLM_TYPE_Q8_K),
	[LLM_TYPE_Q4_K] = SUPPORTED("Q4_K", QK_K, sizeof(BlockQ4_K), LLM_TYPE_Q8_K),
	[LLM_TYPE_Q5_K] = SUPPORTED("Q5_K", QK_K, sizeof(BlockQ5_K), LLM_TYPE_Q8_K),
	[LLM_TYPE_Q6_K] = SUPPORTED("Q6_K", QK_K, sizeof(BlockQ6_K), LLM_TYPE_Q8_K),

	/*
	 * Q8_K only ever holds converted activations: it has from_float and
	 * to_float but no vec_dot, and names itself as its vec_dot_type.
	 */
	[LLM_TYPE_Q8_K] = SUPPORTED("Q8_K", QK_K, sizeof(BlockQ8_K), LLM_TYPE_Q8_K),

	[LLM_ID_IQ2_XXS] = KNOWN("IQ2_XXS", QK_K, 66, LLM_TYPE_Q8_K),
	[LLM_ID_IQ2_XS] = KNOWN("IQ2_XS", QK_K, 74, LLM_TYPE_Q8_K),
	[LLM_ID_IQ3_XXS] = KNOWN("IQ3_XXS", QK_K, 98, LLM_TYPE_Q8_K),
	[LLM_ID_IQ1_S] = KNOWN("IQ1_S", QK_K, 50, LLM_TYPE_Q8_K),
	[LLM_ID_IQ4_NL] = KNOWN("IQ4_NL", 32, 18, LLM_TYPE_Q8_0),
	[LLM_ID_IQ3_S] = KNOWN("IQ3_S", QK_K, 110, LLM_TYPE_Q8_K),
	[LLM_ID_IQ2_S] = KNOWN("IQ2_S", QK_K, 82, LLM_TYPE_Q8_K),
	[LLM_ID_IQ4_XS] = KNOWN("IQ4_XS", QK_K, 136, LLM_TYPE_Q8_K),
	[LLM_ID_I8] = KNOWN("I8", 1, 1, LLM_TYPE_F32),
	[LLM_ID_I16] = KNOWN("I16", 1, 2, LLM_TYPE_F32),
	[LLM_ID_I32] = KNOWN("I32", 1, 4, LLM_TYPE_F32),
	[LLM_ID_I64] = KNOWN("I64", 1, 8, LLM_TYPE_F32),
	[LLM_ID_F64] = KNOWN("F64", 1, 8, LLM_TYPE_F32),
	[LLM_ID_IQ1_M] = KNOWN("IQ1_M", QK_K, 56, LLM_TYPE_Q8_K),
	[LLM_TYPE_BF16] = SUPPORTED("BF16", 1, 2, LLM_TYPE_BF16),
	[LLM_ID_TQ1_0] = KNOWN("TQ1_0", QK_K, 54, LLM_TYPE_Q8_K),
	[LLM_ID_TQ2_0] = KNOWN("TQ2_0", QK_K, 66, LLM_TYPE_Q8_K),
	[LLM_ID_MXFP4] = KNOWN("MXFP4", 32, 17, LLM_TYPE_Q8_0),
};

const LlmTypeTraits *
LlmTypeGetTraits(uint32_t type)
{
	if (type >= LLM_TYPE_COUNT || llm_type_traits[type].name == NULL)
		return NULL;
	return &llm_type_traits[type];
}

size_t
LlmTypeRowSize(LlmType type, int64_t n)
{
	const LlmTypeTraits *t = LlmTypeGetTraits((uint32_t) type);

	if (t == NULL || n < 0 || n % t->block_size != 0)
		return 0;
	return (size_t) (n / t->block_size) * t->type_size;
}
