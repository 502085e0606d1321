/*-------------------------------------------------------------------------
 *
 * loader.h
 *	  Reading a model's metadata and tensors, for model.c and the family
 *	  files that load their own layers.
 *
 * Every lookup checks what the forward pass will trust: an integer's
 * range, a tensor's shape and type.  A failure sets the loader's error,
 * naming the key or tensor, and returns its status.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_MODEL_LOADER_H
#define LLM_ENGINE_MODEL_LOADER_H

#include "model.h"

typedef struct LlmLoader
{
	LlmModel   *m;
	LlmError   *err;
	char		key[160];		/* the last metadata key built */
	char		name[96];		/* the last layer tensor name built */
} LlmLoader;

/* "<arch>.<suffix>", in the loader's buffer */
extern const char *LlmLoaderKey(LlmLoader *ld, const char *suffix);

/* "blk.<layer>.<suffix>", in the loader's buffer */
extern const char *LlmLoaderLayerName(LlmLoader *ld, int layer, const char *suffix);

/* <arch>.<suffix> as an integer in [min, max]; required, or dflt if absent. */
extern LlmStatus LlmLoadInt(LlmLoader *ld, const char *suffix, int min, int max, int *out);
extern LlmStatus LlmLoadIntOr(LlmLoader *ld, const char *suffix, int min, int max, int dflt,
							  int *out);

/* <arch>.<suffix> as a float, dflt if absent. */
extern LlmStatus LlmLoadFloatOr(LlmLoader *ld, const char *suffix, float dflt, float *out);

/* <arch>.<suffix> as a boolean, dflt if absent. */
extern LlmStatus LlmLoadBoolOr(LlmLoader *ld, const char *suffix, bool dflt, bool *out);

/*
 * An F32 vector of n elements (a norm weight, a bias); *out is NULL when an
 * optional one is absent.
 */
extern LlmStatus LlmLoadVector(LlmLoader *ld, const char *name, int64_t n, bool required,
							   const float **out);

/*
 * A weight matrix of n_out rows of n_in elements, of a type the kernels
 * multiply; w->data is NULL when an optional one is absent.
 */
extern LlmStatus LlmLoadMatrix(LlmLoader *ld, const char *name, int64_t n_in, int64_t n_out,
							   bool required, LlmWeight *w);

/*
 * Rows [first, first + n) of a matrix as a matrix of their own: a view of
 * a fused projection (qkv, gate and up), no copy.
 */
extern LlmWeight LlmWeightRows(const LlmWeight *w, int64_t first, int64_t n);

/*
 * The decoder's output: output_norm and output.weight, or token_embd when
 * the file ties them (no output.weight).
 */
extern LlmStatus LlmLoadOutput(LlmLoader *ld);

/*
 * How layers of this model rotate positions with the given base and
 * linear scale (the file's, or a local layer's own), with the file's rope
 * scaling (YaRN's ramp and magnitude, the attention factor) applied as
 * llama.cpp applies it.
 */
extern LlmRopeParams LlmRopeParamsFor(const LlmHParams *hp, float freq_base, float freq_scale);

#endif							/* LLM_ENGINE_MODEL_LOADER_H */
