/*-------------------------------------------------------------------------
 *
 * quant.h
 *	  Tensor element types and the byte-exact quantized block layouts of
 *	  GGUF files (the ggml formats), plus per-type traits.
 *
 * Pure C: no PostgreSQL headers.  Type ids are the ggml ids stored in GGUF
 * tensor tables, so they must never be renumbered.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_KERNELS_QUANT_H
#define LLM_KERNELS_QUANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ggml type ids as stored in GGUF tensor infos */
typedef enum LlmType
{
	LLM_TYPE_F32 = 0,
	LLM_TYPE_F16 = 1,
	LLM_TYPE_Q4_0 = 2,
	LLM_TYPE_Q4_1 = 3,
	LLM_TYPE_Q5_0 = 6,
	LLM_TYPE_Q5_1 = 7,
	LLM_TYPE_Q8_0 = 8,
	LLM_TYPE_Q8_1 = 9,
	LLM_TYPE_Q2_K = 10,
	LLM_TYPE_Q3_K = 11,
	LLM_TYPE_Q4_K = 12,
	LLM_TYPE_Q5_K = 13,
	LLM_TYPE_Q6_K = 14,
	LLM_TYPE_Q8_K = 15,
	LLM_TYPE_BF16 = 30,
	LLM_TYPE_COUNT = 40			/* one past the largest id we know a size for */
} LlmType;

#define QK8_0 32
#define QK4_0 32
#define QK5_0 32
#define QK_K 256
#define K_SCALE_SIZE 12

typedef uint16_t LlmHalf;		/* IEEE binary16 bits */
typedef uint16_t LlmBf16;		/* bfloat16 bits */

/* Q8_0: 32 int8 weights sharing one fp16 scale. value = d * qs[i] */
typedef struct BlockQ8_0
{
	LlmHalf		d;
	int8_t		qs[QK8_0];
} BlockQ8_0;

/*
 * Q4_0: 32 4-bit weights, value = d * (q - 8).  Element j (j < 16) is the
 * low nibble of qs[j]; element j + 16 is its high nibble.
 */
typedef struct BlockQ4_0
{
	LlmHalf		d;
	uint8_t		qs[QK4_0 / 2];
} BlockQ4_0;

/*
 * Q5_0: as Q4_0 with a fifth bit per weight in qh (bit j for element j),
 * value = d * (q - 16).
 */
typedef struct BlockQ5_0
{
	LlmHalf		d;
	uint8_t		qh[4];
	uint8_t		qs[QK5_0 / 2];
} BlockQ5_0;

/*
 * Q4_K: a 256-weight super-block of 8 sub-blocks of 32.  Each sub-block has
 * a 6-bit scale and 6-bit min packed into scales[12]; value =
 * d * sc * q - dmin * m.
 */
typedef struct BlockQ4_K
{
	LlmHalf		d;
	LlmHalf		dmin;
	uint8_t		scales[K_SCALE_SIZE];
	uint8_t		qs[QK_K / 2];
} BlockQ4_K;

/* Q5_K: Q4_K plus one high bit per weight in qh */
typedef struct BlockQ5_K
{
	LlmHalf		d;
	LlmHalf		dmin;
	uint8_t		scales[K_SCALE_SIZE];
	uint8_t		qh[QK_K / 8];
	uint8_t		qs[QK_K / 2];
} BlockQ5_K;

/*
 * Q6_K: 16 sub-blocks of 16 weights with signed 8-bit scales; 6-bit quants
 * split into 4 low bits (ql) and 2 high bits (qh); value = d * sc * (q - 32).
 */
typedef struct BlockQ6_K
{
	uint8_t		ql[QK_K / 2];
	uint8_t		qh[QK_K / 4];
	int8_t		scales[QK_K / 16];
	LlmHalf		d;
} BlockQ6_K;

/*
 * Q8_K: activation format for K-quant dot products.  A float scale and the
 * sums of each group of 16 quants (bsums) so that the min term of Q4_K/Q5_K
 * costs one multiply per group.
 */
typedef struct BlockQ8_K
{
	float		d;
	int8_t		qs[QK_K];
	int16_t		bsums[QK_K / 16];
} BlockQ8_K;

_Static_assert(sizeof(BlockQ8_0) == 34, "BlockQ8_0 must be 34 bytes");
_Static_assert(sizeof(BlockQ4_0) == 18, "BlockQ4_0 must be 18 bytes");
_Static_assert(sizeof(BlockQ5_0) == 22, "BlockQ5_0 must be 22 bytes");
_Static_assert(sizeof(BlockQ4_K) == 144, "BlockQ4_K must be 144 bytes");
_Static_assert(sizeof(BlockQ5_K) == 176, "BlockQ5_K must be 176 bytes");
_Static_assert(sizeof(BlockQ6_K) == 210, "BlockQ6_K must be 210 bytes");
_Static_assert(sizeof(BlockQ8_K) == 292, "BlockQ8_K must be 292 bytes");

/* Static facts about one element type. */
typedef struct LlmTypeTraits
{
	const char *name;			/* ggml spelling, e.g. "Q4_K"; NULL = unknown id */
	int			block_size;		/* elements per block */
	size_t		type_size;		/* bytes per block */
	bool		supported;		/* the engine can compute with it */
	LlmType		vec_dot_type;	/* what activations are converted to */
} LlmTypeTraits;

/* NULL when the id is out of range or not a known ggml type. */
extern const LlmTypeTraits *LlmTypeGetTraits(uint32_t type);

/* Bytes of a row of n elements; 0 if n is not a multiple of the block size. */
extern size_t LlmTypeRowSize(LlmType type, int64_t n);

#endif							/* LLM_KERNELS_QUANT_H */
