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

#include "tokenizer/vocab.h"

/* A growable array of token ids. */
typedef struct LlmTokenBuf
{
	int32_t    *ids;
	int			count;
	int			cap;
} LlmTokenBuf;

extern LlmStatus LlmTokenBufPush(LlmTokenBuf *buf, int32_t id, LlmError *err);

/*
 * A piece of the input after special tokens were found in it: either a
 * special token (token >= 0) or a run of plain text [start, start + len).
 */
typedef struct LlmFragment
{
	size_t		start;
	size_t		len;
	int32_t		token;			/* -1 for text */
} LlmFragment;

/*
 * Open-addressing hash from token text to id.  Token texts stay in the file
 * image; the table only holds ids, so it can live in shared memory as is.
 */
struct LlmVocabHash
{
	uint32_t	mask;
	int32_t    *slots;			/* id, or -1 when empty */
};

/* tokenizer.ggml.merges as an open-addressing hash from pair to rank */
struct LlmBpeMerges
{
	const GgufString *text;		/* "left right", views into the file */
	uint32_t	n;				/* number of merges */
	uint32_t   *split;			/* [n] length of the left part of each merge */
	uint32_t	mask;
	int32_t    *slots;			/* [mask + 1] rank, or -1 when empty */
	uint32_t   *slot_hash;		/* [mask + 1] */
};

/*
 * A byte trie of token texts, flat and position-independent so that it can
 * live in a vocabulary image: nodes are numbered breadth first from the
 * root (node 0), so the children of node k are the nodes first_child[k] ..
 * first_child[k + 1] - 1, in the order of their labels.
 */
struct LlmVocabTrie
{
	uint32_t	n_nodes;
	uint32_t   *first_child;	/* [n_nodes + 1] */
	int32_t    *value;			/* [n_nodes] id of the token ending here, or
								 * -1 */
	uint8_t    *label;			/* [n_nodes] byte on the edge into the node */
};

/* The child of node along byte c, or 0 (the root is nobody's child). */
static inline uint32_t
LlmVocabTrieChild(const LlmVocabTrie *trie, uint32_t node, uint8_t c)
{
	uint32_t	lo = trie->first_child[node];
	uint32_t	hi = trie->first_child[node + 1];

	while (lo < hi)
	{
		uint32_t	mid = lo + (hi - lo) / 2;

		if (trie->label[mid] == c)
			return mid;
		if (trie->label[mid] < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Which tokens a trie holds. */
typedef bool (*LlmVocabTrieFilter) (const LlmVocab *vocab, int32_t id);

/*
 * Build the trie of the texts of the tokens the filter keeps; where texts
 * repeat, the highest id wins, as with the text hash (vocab_trie.c).
 */
extern LlmStatus LlmVocabTrieBuild(const LlmVocab *vocab, LlmVocabTrieFilter keep,
								   LlmVocabTrie **out, LlmError *err);
extern void LlmVocabTrieFree(LlmVocabTrie *trie);

/*
 * Lookup aids for finding special tokens in text, built when the
 * vocabulary is loaded: which bytes start a special token, which lengths
 * they have, and a hash from their texts to their place in vocab->special
 * (its own, so that a normal token with the same text cannot hide one).
 */
struct LlmSpecialIndex
{
	uint8_t		first_byte[32]; /* bitmap */
	int			n_lengths;
	uint32_t   *lengths;
	uint32_t	mask;
	int32_t    *slots;			/* text hash -> index in vocab->special, or -1 */
};

/*
 * Set up EOT/EOG tokens, the special token list and its index once the
 * token texts, types and hash are loaded (vocab_special.c).
 */
extern LlmStatus LlmVocabInitSpecial(LlmVocab *vocab, const GgufFile *gguf,
									 LlmError *err);

extern LlmStatus LlmSpecialIndexBuild(const LlmVocab *vocab, LlmSpecialIndex **out,
									  LlmError *err);
extern void LlmSpecialIndexFree(LlmSpecialIndex *ix);

/*
 * Split text at special tokens the way llama.cpp's tokenizer_st_partition
 * does (tokenize_special.c).  *frags is malloc'd (may be NULL when
 * *n_frags is 0).
 */
extern LlmStatus LlmSplitSpecial(const LlmVocab *vocab, const char *text,
								 size_t len, bool parse_special,
								 LlmFragment **frags, int *n_frags,
								 LlmError *err);

/*
 * Append the tokens of one run of plain text (no special tokens in it).
 * SPM: add_prefix puts the space marker in front (the run starts the text
 * or follows a special token and the model wants a space prefix).
 */
extern LlmStatus LlmTokenizeSpm(const LlmVocab *vocab, const char *text,
								size_t len, bool add_prefix,
								LlmTokenBuf *out, LlmError *err);
extern LlmStatus LlmTokenizeBpe(const LlmVocab *vocab, const char *text,
								size_t len, LlmTokenBuf *out, LlmError *err);
extern LlmStatus LlmTokenizeWpm(const LlmVocab *vocab, const char *text,
								size_t len, LlmTokenBuf *out, LlmError *err);
extern LlmStatus LlmTokenizeUgm(const LlmVocab *vocab, const char *text,
								size_t len, LlmTokenBuf *out, LlmError *err);
extern LlmStatus LlmTokenizeGemma4(const LlmVocab *vocab, const char *text,
								   size_t len, LlmTokenBuf *out, LlmError *err);

/* Unigram: set up the trie, score and charsmap at load (tokenize_ugm.c). */
extern LlmStatus LlmUgmLoad(LlmVocab *vocab, const GgufFile *gguf, LlmError *err);

/* WordPiece: set up the trie at load (tokenize_wpm.c). */
extern LlmStatus LlmWpmLoad(LlmVocab *vocab, LlmError *err);

/* tokenizer.ggml.merges as a hash from (left, right) to rank. */
extern LlmStatus LlmBpeMergesLoad(const GgufKV *merges, LlmBpeMerges **out,
								  LlmError *err);
extern void LlmBpeMergesFree(LlmBpeMerges *merges);

/* Rank of merging left with right, or -1. */
extern int32_t LlmBpeRank(const LlmBpeMerges *m, const char *left, size_t left_len,
						  const char *right, size_t right_len);

/*
 * GPT-2's byte-to-unicode mapping: the code point standing for a byte in
 * token texts, and back (-1 for code points that stand for no byte).
 */
extern uint32_t LlmBpeByteToCpt(uint8_t byte);
extern int	LlmBpeCptToByte(uint32_t cpt);

#endif							/* LLM_ENGINE_TOKENIZE_H */
