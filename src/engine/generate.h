/*-------------------------------------------------------------------------
 *
 * generate.h
 *	  The generation loop: decode a prompt, then sample token after token
 *	  until a stop token, a stop string, the token limit or the context end.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_GENERATE_H
#define LLM_ENGINE_GENERATE_H

#include "context.h"
#include "sampler.h"

typedef struct LlmGenerateParams
{
	int			max_tokens;
	LlmSamplerParams sampling;
	const char *const *stop;	/* stop strings (not included in the text) */
	int			n_stop;
} LlmGenerateParams;

typedef struct LlmGenerateResult
{
	char	   *text;			/* malloc'd, NUL-terminated, valid UTF-8 end */
	size_t		len;
	int32_t    *tokens;			/* malloc'd generated ids */
	int			n_tokens;
	int			n_prompt;
	const char *stop_reason;	/* "eos", "stop", "length", "context" */
} LlmGenerateResult;

/*
 * Continue the prompt in a reset context.  The prompt must already hold
 * BOS if the model wants one.
 */
extern LlmStatus LlmGenerate(LlmContext *ctx, const int32_t *prompt, int n_prompt,
							 const LlmGenerateParams *params,
							 LlmGenerateResult *result, LlmError *err);

/*
 * Continue n_prompts prompts at once, prompt i in sequence i of a context
 * made by LlmContextCreateSeq (n_prompts <= n_seq; those sequences are
 * reset).  The prompts are decoded together, then every unfinished
 * sequence gets one token per forward pass, so the weights are streamed
 * once per step for all of them.  Each results[i] is exactly what
 * LlmGenerate gives for prompt i alone (same sampling, stops and limits,
 * each sequence with its own sampler and seed).  On error no result is
 * left allocated.  n_cached (or NULL) as for LlmScoreContinuationsBatch:
 * the first tokens of each prompt its sequence already holds.  max_tokens
 * (or NULL) lowers params->max_tokens for each prompt.
 */
extern LlmStatus LlmGenerateBatch(LlmContext *ctx, const int32_t *const *prompts,
								  const int *n_tokens, const int *n_cached,
								  const int *max_tokens, int n_prompts,
								  const LlmGenerateParams *params,
								  LlmGenerateResult *results, LlmError *err);

extern void LlmGenerateResultFree(LlmGenerateResult *result);

/* Length of the longest prefix of s that does not end inside a UTF-8 character. */
extern size_t LlmUtf8CompletePrefix(const char *s, size_t len);

#endif							/* LLM_ENGINE_GENERATE_H */
