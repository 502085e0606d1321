/*-------------------------------------------------------------------------
 *
 * sampler.h
 *	  Choosing the next token from logits: greedy, or temperature sampling
 *	  narrowed by top-k, top-p and min-p, with a repetition penalty and a
 *	  seeded generator so that sampled output is reproducible.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_SAMPLER_H
#define LLM_ENGINE_SAMPLER_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

typedef struct LlmSamplerParams
{
	float		temperature;	/* <= 0: greedy (argmax, lowest id on ties) */
	int			top_k;			/* <= 0: off */
	float		top_p;			/* >= 1: off */
	float		min_p;			/* <= 0: off */
	float		repeat_penalty; /* 1: off */
	int			repeat_last_n;	/* how many recent tokens it looks at */
	uint64_t	seed;
} LlmSamplerParams;

typedef struct LlmSampler LlmSampler;

/* Defaults: greedy, no penalty, seed 0. */
extern void LlmSamplerDefaults(LlmSamplerParams *p);

extern LlmStatus LlmSamplerCreate(const LlmSamplerParams *p, int n_vocab,
								  LlmSampler **out, LlmError *err);
extern void LlmSamplerFree(LlmSampler *s);

/* Remember a token of the context (prompt or generated) for the penalty. */
extern void LlmSamplerAccept(LlmSampler *s, int32_t token);

/*
 * Pick a token; logits (n_vocab floats) may be modified.  NaN logits are
 * never picked: -1 when every logit is NaN (the model is broken).
 */
extern int32_t LlmSamplerSample(LlmSampler *s, float *logits);

#endif							/* LLM_ENGINE_SAMPLER_H */
