/*-------------------------------------------------------------------------
 *
 * vocab.h
 *	  The tokenizer a GGUF file carries: token texts, scores and types from
 *	  the tokenizer.ggml.* metadata, and text <-> token conversion.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_VOCAB_H
#define LLM_ENGINE_VOCAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "gguf.h"

typedef enum LlmVocabType
{
	LLM_VOCAB_SPM				/* tokenizer.ggml.model = "llama" */
} LlmVocabType;

/* tokenizer.ggml.token_type values */
typedef enum LlmTokenAttr
{
	LLM_TOKEN_UNDEFINED = 0,
	LLM_TOKEN_NORMAL = 1,
	LLM_TOKEN_UNKNOWN = 2,
	LLM_TOKEN_CONTROL = 3,
	LLM_TOKEN_USER_DEFINED = 4,
	LLM_TOKEN_UNUSED = 5,
	LLM_TOKEN_BYTE = 6
} LlmTokenAttr;

typedef struct LlmVocabHash LlmVocabHash;

typedef struct LlmVocab
{
	LlmVocabType type;
	int			n_tokens;
	const GgufString *text;		/* [n_tokens], views into the file */
	const float *scores;		/* [n_tokens] or NULL */
	uint8_t    *attr;			/* [n_tokens] LlmTokenAttr */
	int32_t		bos_id;			/* -1 when the model has none */
	int32_t		eos_id;
	int32_t		eot_id;
	int32_t		unk_id;
	bool		add_bos;
	bool		add_space_prefix;
	int32_t		byte_token[256];	/* id of <0xXX>, or -1 */
	LlmVocabHash *hash;			/* text -> id */
} LlmVocab;

extern LlmStatus LlmVocabLoad(const GgufFile *gguf, LlmVocab **out, LlmError *err);
extern void LlmVocabFree(LlmVocab *vocab);

/* id of a token text, or -1 */
extern int32_t LlmVocabFind(const LlmVocab *vocab, const char *text, size_t len);

/* true if generation should stop at this token (EOS, EOT) */
extern bool LlmVocabIsEog(const LlmVocab *vocab, int32_t id);

/*
 * Tokenize len bytes of text.  add_bos prepends BOS when the model wants
 * one.  On success *tokens is a malloc'd array of *n_tokens ids.
 */
extern LlmStatus LlmTokenize(const LlmVocab *vocab, const char *text, size_t len,
							 bool add_bos, int32_t **tokens, int *n_tokens,
							 LlmError *err);

/*
 * Text of a token sequence, malloc'd and NUL-terminated in *text (*len
 * bytes).  Control tokens (BOS, EOS) produce no text.  The space an SPM
 * tokenizer put in front of the text is removed again when the sequence
 * starts at the beginning of the text (starts_text).
 */
extern LlmStatus LlmDetokenize(const LlmVocab *vocab, const int32_t *tokens,
							   int n_tokens, bool starts_text, char **text,
							   size_t *len, LlmError *err);

#endif							/* LLM_ENGINE_VOCAB_H */
