/*-------------------------------------------------------------------------
 *
 * pretokenize.h
 *	  Pre-tokenizers of byte-level BPE vocabularies: the regular expressions
 *	  that split text into words before merges run, hand-written in C.
 *
 * Each tokenizer.ggml.pre value names a list of regular expressions
 * (llama.cpp's llm_tokenizer_bpe).  They are applied in turn, each one to
 * every piece the previous one produced; a piece's matches and the text
 * between matches all become pieces.  The splitters here reproduce those
 * matches exactly, including lookaheads and what the end of a piece does
 * to them, over code points classified by unicode.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_PRETOKENIZE_H
#define LLM_ENGINE_PRETOKENIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef enum LlmPreType
{
	LLM_PRE_DEFAULT,			/* punctuation, gpt2, \p{N}+, [0-9]{3} */
	LLM_PRE_GPT2,				/* 's|'t|...| ?\p{L}+| ?\p{N}+|... */
	LLM_PRE_LLAMA3,				/* Llama 3: (?i:'s|...)|...|\p{N}{1,3}|... */
	LLM_PRE_QWEN2,				/* Llama 3's expression with \p{N} alone */
	LLM_PRE_SMOLLM,				/* \p{N}, then gpt2 */
	LLM_PRE_FALCON,				/* punctuation with `, gpt2, [0-9]{3} */
	LLM_PRE_QWEN35,				/* Qwen 2's, marks joining letters */
	LLM_PRE_DEEPSEEK_LLM,		/* line breaks, cased letters, punctuation,
								 * trailing space, CJK, \p{N}+ */
	LLM_PRE_DEEPSEEK_CODER		/* line breaks, \s?\p{L}+, \s?\p{P}+, CJK,
								 * \p{N} */
} LlmPreType;

/* What a tokenizer.ggml.pre value means. */
typedef struct LlmPreInfo
{
	const char *name;
	LlmPreType	type;
	bool		ignore_merges;	/* a word that is a token is used whole */
	bool		add_bos;		/* default of tokenizer.ggml.add_bos_token */
	bool		no_bos;			/* the model has no BOS token at all */
} LlmPreInfo;

/* The pre-tokenizer of a tokenizer.ggml.pre value, or NULL if unknown. */
extern const LlmPreInfo *LlmPreLookup(const char *name, size_t len);

/* Name of a pre-tokenizer type, for messages and documentation. */
extern const char *LlmPreTypeName(LlmPreType type);

/* Decoded text: code points and their unicode.h flags. */
typedef struct LlmPreText
{
	const uint32_t *cpt;
	const uint16_t *flags;
	size_t		n;
} LlmPreText;

/* Receives each word, as a range [start, end) of code point indexes. */
typedef LlmStatus (*LlmPreWordFn) (void *arg, size_t start, size_t end,
								   LlmError *err);

/* Split the whole text, calling emit for every word in order. */
extern LlmStatus LlmPretokenize(LlmPreType type, const LlmPreText *text,
								LlmPreWordFn emit, void *arg, LlmError *err);

#endif							/* LLM_ENGINE_PRETOKENIZE_H */
