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
#include "tokenizer/pretokenize.h"

typedef enum LlmVocabType
{
	LLM_VOCAB_SPM,				/* tokenizer.ggml.model = "llama" */
	LLM_VOCAB_BPE,				/* tokenizer.ggml.model = "gpt2" (byte-level) */
	LLM_VOCAB_WPM,				/* "bert": WordPiece, greedy longest match */
	LLM_VOCAB_UGM,				/* "t5": Unigram (SentencePiece), Viterbi */
	LLM_VOCAB_GEMMA4			/* "gemma4": BPE merges over raw UTF-8 with
								 * U+2581 for spaces */
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

/* Per-token strip flags of special tokens (llama.cpp's LSTRIP/RSTRIP). */
#define LLM_TOKEN_LSTRIP 0x01		/* eat the whitespace before it */
#define LLM_TOKEN_RSTRIP 0x02		/* eat the whitespace after it */

typedef struct LlmVocabHash LlmVocabHash;
typedef struct LlmBpeMerges LlmBpeMerges;
typedef struct LlmSpecialIndex LlmSpecialIndex;
typedef struct LlmVocabTrie LlmVocabTrie;

/*
 * A token that is matched in the text before tokenization (control,
 * user-defined and unknown tokens), as llama.cpp's cache_special_tokens.
 */
typedef struct LlmSpecialToken
{
	int32_t		id;
	uint8_t		strip;			/* LLM_TOKEN_LSTRIP | LLM_TOKEN_RSTRIP */
} LlmSpecialToken;

typedef struct LlmVocab
{
	LlmVocabType type;
	int			n_tokens;
	const GgufString *text;		/* [n_tokens], views into the file */
	const float *scores;		/* [n_tokens] or NULL */
	uint8_t    *attr;			/* [n_tokens] LlmTokenAttr; end-of-generation
								 * texts are forced to CONTROL */
	int32_t		bos_id;			/* -1 when the model has none */
	int32_t		eos_id;
	int32_t		eot_id;
	int32_t		unk_id;
	int32_t		sep_id;			/* WordPiece: [SEP], ends a sequence */
	bool		add_bos;
	bool		add_eos;
	bool		add_space_prefix;
	int32_t		byte_token[256];	/* id of <0xXX>, or -1 */
	LlmVocabHash *hash;			/* text -> id */

	/* SPM only: merges never join a character to a U+2581 after it */
	bool		spm_words;

	/* byte-level BPE only */
	const LlmPreInfo *pre;		/* from tokenizer.ggml.pre */
	LlmBpeMerges *merges;		/* tokenizer.ggml.merges: pair -> rank (and
								 * Gemma 4's) */

	/* WordPiece: BERT's normaliser (tokenizer.ggml.normalizer.*) */
	bool		lowercase;
	bool		strip_accents;

	/* Unigram: SentencePiece's normaliser flags, as llama.cpp keeps them */
	bool		remove_extra_whitespaces;
	bool		escape_whitespaces; /* spaces become U+2581 */
	bool		treat_whitespace_as_suffix;
	float		unk_score;		/* lowest normal score minus 10 */
	uint8_t    *charsmap;		/* tokenizer.ggml.precompiled_charsmap, or
								 * NULL; a 4-byte aligned copy */
	uint32_t	charsmap_size;

	/*
	 * WordPiece: every token text; Unigram: the normal, user-defined and
	 * unused ones.  user_trie: Unigram's user-defined tokens, which pass
	 * the normaliser untouched.
	 */
	LlmVocabTrie *trie;
	LlmVocabTrie *user_trie;

	/* special tokens, longest text first (ties: lower id first) */
	LlmSpecialToken *special;
	int			n_special;
	LlmSpecialIndex *special_index;

	/* every token that ends generation (EOS, EOT, <|im_end|>, ...) */
	int32_t    *eog_ids;
	int			n_eog;

	/* the arrays belong to a vocabulary image (LlmVocabAttach), not to us */
	bool		borrowed;
} LlmVocab;

extern LlmStatus LlmVocabLoad(const GgufFile *gguf, LlmVocab **out, LlmError *err);
extern void LlmVocabFree(LlmVocab *vocab);

/*
 * The vocabulary's derived tables (hashes, merges, special tokens) as one
 * position-independent block (vocab_image.c): size it, write it, and build
 * a vocabulary that uses a block in place, with the token texts taken from
 * gguf, the file the block was made from.  Attaching costs microseconds
 * where loading costs milliseconds; the block must outlive the vocabulary.
 */
extern size_t LlmVocabImageSize(const LlmVocab *vocab);
extern void LlmVocabImageWrite(const LlmVocab *vocab, void *dst);
extern LlmStatus LlmVocabAttach(const GgufFile *gguf, const void *image,
								size_t size, LlmVocab **out, LlmError *err);

/* id of a token text, or -1 */
extern int32_t LlmVocabFind(const LlmVocab *vocab, const char *text, size_t len);

/*
 * The most bytes of input text one token can stand for, or 0 when the
 * tokenizer may drop or fold input (WordPiece and Unigram normalise
 * whitespace and accents away): then no token count follows from a
 * text's length.  With a bound b, a text of n bytes is at least n / b
 * tokens, which lets a caller refuse a huge input without tokenizing it.
 * Scans the vocabulary: callers keep the result.
 */
extern size_t LlmVocabMaxTokenBytes(const LlmVocab *vocab);

/*
 * true if generation should stop at this token: EOS, EOT and the tokens
 * llama.cpp recognises by text (<|eot_id|>, <|im_end|>, <|end|>,
 * <end_of_turn>, <|endoftext|>, ...).
 */
extern bool LlmVocabIsEog(const LlmVocab *vocab, int32_t id);

/*
 * Tokenize len bytes of text, as llama.cpp's llama_tokenize does.
 *
 * add_bos: add the special tokens the model asks for (BOS when
 * tokenizer.ggml.add_bos_token says so, EOS when add_eos_token does).
 * parse_special: text such as "<|im_start|>" becomes that control token
 * (chat templates need this); otherwise it is tokenized as plain text.
 * User-defined tokens are matched either way, as in llama.cpp.
 *
 * On success *tokens is a malloc'd array of *n_tokens ids.
 */
extern LlmStatus LlmTokenize(const LlmVocab *vocab, const char *text, size_t len,
							 bool add_bos, bool parse_special,
							 int32_t **tokens, int *n_tokens, LlmError *err);

/*
 * Text of a token sequence, malloc'd and NUL-terminated in *text (*len
 * bytes): byte-level BPE pieces are decoded to their bytes, the pieces of
 * the other types have U+2581 turned back into spaces and <0xXX> into the
 * byte, so bytes of one character split across tokens join up again.
 * Control and unknown tokens (BOS, EOS, <|im_end|>, [CLS]) produce no
 * text.  The space an SPM or Unigram tokenizer (add_space_prefix) or a
 * WordPiece one (before every word) put in front of the text is removed
 * again when the sequence starts at the beginning of the text
 * (starts_text).
 */
extern LlmStatus LlmDetokenize(const LlmVocab *vocab, const int32_t *tokens,
							   int n_tokens, bool starts_text, char **text,
							   size_t *len, LlmError *err);

#endif							/* LLM_ENGINE_VOCAB_H */
