/*-------------------------------------------------------------------------
 *
 * token_trie.h
 *	  A vocabulary's token texts as a byte trie, built once per vocabulary,
 *	  for matching a grammar against every token at once.
 *
 * Masking a step's logits asks which tokens' texts can continue the output
 * in the grammar.  Tested one by one, a 150k-token vocabulary costs 150k
 * walks per generated token; in a trie, tokens sharing a prefix share the
 * work of matching it, and a prefix the grammar refuses rules out every
 * token under it at once (matcher.c walks it).
 *
 * A token's text here is what llama.cpp's grammar sampler matches: the
 * piece llama.cpp caches for it, special tokens included (special = true),
 * so a control token that is not an end of generation is matched by its
 * written text ("<|im_start|>"), and a byte-level BPE token by its bytes,
 * which may end inside a UTF-8 character.  Ends of generation are not in
 * the trie: the matcher allows them exactly where the grammar may end.
 * Tokens with no text, or with a NUL byte in it, are never allowed (as in
 * llama.cpp, which sees a text through its first NUL).
 *
 * The trie is read-only once built: one may serve every matcher, sequence
 * and thread of a model.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_GRAMMAR_TOKEN_TRIE_H
#define LLM_ENGINE_GRAMMAR_TOKEN_TRIE_H

#include <stdint.h>

#include "error.h"
#include "tokenizer/vocab.h"

/* What a token is to a grammar (LlmTokenTrie.kind). */
#define LLM_TRIE_NEVER 0		/* no text: never allowed */
#define LLM_TRIE_TEXT 1			/* matched by its text, in the trie */
#define LLM_TRIE_EOG 2			/* ends generation: allowed where the
								 * grammar may end */

typedef struct LlmTokenTrie
{
	int			n_vocab;		/* logits per step: tokens past the
								 * vocabulary's are never allowed */
	uint8_t    *kind;			/* [n_vocab] LLM_TRIE_* */

	/* each token's text: bytes[piece_off[id] .. piece_off[id + 1]) */
	uint32_t   *piece_off;		/* [n_vocab + 1] */
	char	   *pieces;

	/*
	 * Nodes in depth-first order, node 0 the empty prefix: node i is
	 * reached from its parent by byte[i], its subtree is the nodes
	 * [i, end[i]), and the tokens whose text ends there are
	 * ids[tok_first[i] .. tok_first[i + 1]).
	 */
	uint32_t	n_nodes;
	uint8_t    *byte;
	uint32_t   *end;
	uint32_t   *tok_first;		/* [n_nodes + 1] */
	int32_t    *ids;
	int			max_depth;		/* bytes of the longest text */
} LlmTokenTrie;

/*
 * Build the trie of a vocabulary for logits of n_vocab entries (the
 * model's hp.n_vocab, at least the vocabulary's size).
 */
extern LlmStatus LlmTokenTrieBuild(const LlmVocab *vocab, int n_vocab, LlmTokenTrie **out,
								   LlmError *err);
extern void LlmTokenTrieFree(LlmTokenTrie *trie);

/* A token's text as the grammar sees it (not NUL-terminated). */
static inline const char *
LlmTokenTriePiece(const LlmTokenTrie *trie, int32_t id, uint32_t *len)
{
	*len = trie->piece_off[id + 1] - trie->piece_off[id];
	return trie->pieces + trie->piece_off[id];
}

#endif							/* LLM_ENGINE_GRAMMAR_TOKEN_TRIE_H */
