/*-------------------------------------------------------------------------
 *
 * tokenize.h
 *	  Internal interface between the tokenizer front end (tokenize.c) and
 *	  the per-model-type tokenizers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_TOKENIZE_H
#define LLM_ENGINE_TOKENIZE_H

#include "vocab.h"

/* A growable array of token ids. */
typedef struct LlmTokenBuf
{
	int32_t    *ids;
	int			count;
	int			cap;
} LlmTokenBuf;

extern LlmStatus LlmTokenBufPush(LlmTokenBuf *buf, int32_t id, LlmError *err);

/* Append the tokens of one run of plain text (no special tokens in it). */
extern LlmStatus LlmTokenizeSpm(const LlmVocab *vocab, const char *text,
								size_t len, LlmTokenBuf *out, LlmError *err);

#endif							/* LLM_ENGINE_TOKENIZE_H */
