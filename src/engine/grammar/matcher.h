/*-------------------------------------------------------------------------
 *
 * matcher.h
 *	  Constrained decoding: which tokens may come next under a grammar,
 *	  and the grammar's state after each chosen token.
 *
 * The matching is llama.cpp's (llama_grammar_apply / accept): the state is
 * the set of parse stacks the output so far leaves, each stack topped by
 * the character set it expects next (an empty stack: the grammar may end);
 * a token is allowed if some stack can take its whole text, and a text
 * ending inside a UTF-8 character is allowed if some stack could take a
 * character it may complete to.  Ends of generation are allowed exactly
 * where the grammar may end.  Greedy decoding therefore picks the same
 * tokens as llama.cpp's for the same logits.
 *
 * What differs is the cost.  Stacks are interned (a stack is a frame id,
 * a frame an element on top of a parent frame), sets of stacks are
 * interned too, and a set's transition on a character is computed once
 * and remembered; a step's mask is a walk of the vocabulary's trie
 * (token_trie.h) through those transitions, cut short wherever a prefix
 * is refused, and masks are remembered per state, since a grammar state
 * (inside a JSON string, say) tends to come back.
 *
 * Memory is bounded: once the tables pass their size the matcher starts
 * them afresh from the current state, and a single step that would need
 * more stacks than allowed (a grammar too ambiguous, or nesting deeper
 * than the limits) is an error, not unbounded growth.
 *
 * A matcher is one sequence's: not shared between threads or sequences
 * (the grammar and the trie it reads are).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_GRAMMAR_MATCHER_H
#define LLM_ENGINE_GRAMMAR_MATCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "grammar/gbnf.h"
#include "grammar/token_trie.h"

/* Most parse stacks one state may hold. */
#define LLM_GRAMMAR_MAX_STACKS 4096

typedef struct LlmGrammarMatcher LlmGrammarMatcher;

/*
 * A matcher at the start of the grammar's root rule.  The grammar and the
 * trie must outlive it.  Without a trie (NULL) it matches text only
 * (LlmGrammarMatcherAcceptText): no masks, no tokens.
 */
extern LlmStatus LlmGrammarMatcherCreate(const LlmGrammar *grammar, const LlmTokenTrie *trie,
										 LlmGrammarMatcher **out, LlmError *err);
extern void LlmGrammarMatcherFree(LlmGrammarMatcher *m);

/*
 * Set to -INFINITY the logits (trie->n_vocab of them) of every token that
 * cannot come next.  An error if none can (and the grammar may not end):
 * the vocabulary cannot spell what the grammar asks for here.
 */
extern LlmStatus LlmGrammarMatcherApply(LlmGrammarMatcher *m, float *logits, LlmError *err);

/*
 * The allowed tokens as a bitset (bit id % 64 of word id / 64), valid until
 * the next call on m; *n_allowed gets how many there are.
 */
extern LlmStatus LlmGrammarMatcherMask(LlmGrammarMatcher *m, const uint64_t **bits,
									   int *n_allowed, LlmError *err);

/*
 * Advance past a chosen token.  An error if the grammar does not allow it
 * here (the state is then unchanged); an end-of-generation token is
 * allowed only where the grammar may end.
 */
extern LlmStatus LlmGrammarMatcherAccept(LlmGrammarMatcher *m, int32_t token, LlmError *err);

/* Advance past len bytes of text, as if generated; false if refused. */
extern bool LlmGrammarMatcherAcceptText(LlmGrammarMatcher *m, const char *text, size_t len,
										LlmError *err);

/*
 * Whether len bytes of text could come next (the state is unchanged; the
 * matcher's caches may grow).  False also when a limit is reached.
 */
extern bool LlmGrammarMatcherAllows(LlmGrammarMatcher *m, const char *text, size_t len);

/* Whether the output so far is a complete match of the grammar. */
extern bool LlmGrammarMatcherCanEnd(const LlmGrammarMatcher *m);

/* Whether nothing but the end may come: the output can only stop here. */
extern bool LlmGrammarMatcherMustEnd(const LlmGrammarMatcher *m);

/* Counters for tests and benchmarks. */
typedef struct LlmGrammarStats
{
	long		masks_computed; /* trie walks */
	long		masks_reused;	/* masks found remembered */
	long		nodes_walked;	/* trie nodes visited by the walks */
	long		restarts;		/* tables started afresh */
	int			frames;			/* interned now */
	int			sets;
} LlmGrammarStats;

extern void LlmGrammarMatcherGetStats(const LlmGrammarMatcher *m, LlmGrammarStats *stats);

#endif							/* LLM_ENGINE_GRAMMAR_MATCHER_H */
