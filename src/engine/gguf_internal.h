/*-------------------------------------------------------------------------
 *
 * gguf_internal.h
 *	  Internal to the GGUF reader (gguf_read.c) and writer (gguf_write.c):
 *	  the helpers both need, defined in gguf.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_GGUF_INTERNAL_H
#define LLM_ENGINE_GGUF_INTERNAL_H

#include "gguf.h"
#include "quant.h"

/* ggml's GGML_MAX_NAME is 64 including the terminating NUL */
#define GGUF_MAX_TENSOR_NAME 63

/*
 * Make room for one more element in a growing array of used elements:
 * double the capacity (16 at first) when it is full.  False when out of
 * memory or the size would overflow; *items is then unchanged.
 */
extern bool GgufGrow(void **items, size_t *cap, size_t used, size_t elem_size);

/*
 * Bytes of a tensor of type traits and shape ne[0..n_dims - 1]: rows of
 * ne[0] / block_size blocks each (ne[0] a multiple of the block size).
 * False if the size does not fit in size_t.
 */
extern bool GgufTensorBytes(const uint64_t *ne, uint32_t n_dims,
							const LlmTypeTraits *traits, size_t *nbytes);

#endif							/* LLM_ENGINE_GGUF_INTERNAL_H */
