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
#include "grammar/gbnf.h"
#include "grammar/token_trie.h"
#include "sampler.h"
#include "think.h"

typedef struct LlmGenerateParams
{
	int			max_tokens;
	LlmSamplerParams sampling;
	const char *const *stop;	/* stop strings (not included in the text) */
	int			n_stop;

	/*
	 * A grammar the text must match (NULL: none; see grammar/matcher.h).
	 * Tokens it refuses are masked before sampling (before the penalty,
	 * top-k, top-p, min-p and temperature), an end of generation is
	 * allowed only where it may end, and generation stops as soon as
	 * nothing else may come.  The text is then exactly the tokens' texts
	 * as the grammar matched them (special tokens by their written text,
	 * no leading space removed).  trie is the vocabulary's token trie,
	 * which the caller should build once (LlmTokenTrieBuild) and keep; if
	 * NULL, each call builds one.  Stop strings cannot be combined with a
	 * grammar: the grammar says where the text ends.
	 */
	const LlmGrammar *grammar;
	const LlmTokenTrie *trie;

	/*
	 * Reasoning (think.h): with strip_think a <think>...</think> block
	 * before the answer never reaches the text, and stop strings are looked
	 * for in the answer alone; think_open says the prompt opened the block
	 * (LlmChatResult.think_open).  Its tokens still count in max_tokens and
	 * n_tokens.  Not with a grammar, which decides the text itself.
	 */
	bool		strip_think;
	bool		think_open;
} LlmGenerateParams;

typedef struct LlmGenerateResult
{
	char	   *text;			/* malloc'd, NUL-terminated, valid UTF-8 end */
	size_t		len;
	int32_t    *tokens;			/* malloc'd generated ids */
	int			n_tokens;
	int			n_prompt;
	const char *stop_reason;	/* "eos", "stop", "length", "context" */
	bool		grammar_complete;	/* with a grammar: the text is a whole
									 * match (false when the token limit or
									 * the context stopped it first) */
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
