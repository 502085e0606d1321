/*-------------------------------------------------------------------------
 *
 * gbnf.h
 *	  GBNF grammars, llama.cpp's notation for constraining what a model may
 *	  generate: parsing a grammar's text into rules of elements.
 *
 * The syntax is llama.cpp's (grammars/README.md and llama-grammar.cpp):
 * rules "name ::= alternatives", names of letters, digits and '-', "|"
 * between alternatives, sequences, groups "( )", string literals, character
 * sets "[a-z]" and "[^...]", "." for any character, the escapes \n \r \t
 * \\ \" \[ \] \- \xHH \uHHHH \UHHHHHHHH, the repetitions "*", "+", "?",
 * "{m}", "{m,}" and "{m,n}", comments from "#" to the end of the line, and
 * a rule named "root" where matching starts.  A rule ends at the end of
 * its line unless inside parentheses or after "|".
 *
 * The compiled form is llama.cpp's too, so that a grammar means the same
 * here and there: each rule is a run of elements ending with END, its
 * alternatives separated by ALT; groups and repetitions become rules of
 * their own, named after the rule they were written in ("name_N"), the
 * way llama.cpp rewrites them (S{m,n} is m copies of S then n-m nested
 * optional rules, S* a right-recursive rule).
 *
 * Errors are LLM_ERR_ARGUMENT with "line L column C: what was expected"
 * (columns count characters); a grammar llama.cpp refuses is refused, and
 * so are a few it would accept but then hang on or misread (an empty
 * character set, a reversed range or repetition bound, left recursion
 * through rules that match the empty string).  Token references (<...>,
 * !<...>) of recent llama.cpp versions are refused as unsupported.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_GRAMMAR_GBNF_H
#define LLM_ENGINE_GRAMMAR_GBNF_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* llama.cpp's limit on repetition counts and the rules they expand to */
#define LLM_GRAMMAR_MAX_REPETITION 2000

/* Most elements a compiled grammar may hold (a bound on memory). */
#define LLM_GRAMMAR_MAX_ELEMS (1 << 22)

typedef enum LlmGrammarElemType
{
	LLM_GRE_END = 0,			/* end of a rule */
	LLM_GRE_ALT,				/* start of the rule's next alternative */
	LLM_GRE_RULE_REF,			/* value: a rule id */
	LLM_GRE_CHAR,				/* value: a code point; starts a character
								 * set (a literal's character is a set of
								 * one) */
	LLM_GRE_CHAR_NOT,			/* starts a negated set ([^...]) */
	LLM_GRE_CHAR_RNG_UPPER,		/* value: the end of a range the element
								 * before starts */
	LLM_GRE_CHAR_ALT,			/* value: another code point of the set */
	LLM_GRE_CHAR_ANY			/* "." (any character) */
} LlmGrammarElemType;

typedef struct LlmGrammarElem
{
	uint32_t	type;			/* LlmGrammarElemType */
	uint32_t	value;
} LlmGrammarElem;

/* A compiled grammar; read-only once parsed, so it may be shared. */
typedef struct LlmGrammar
{
	LlmGrammarElem *elems;		/* every rule, one after another */
	size_t		n_elems;
	int			n_rules;
	uint32_t   *rule_start;		/* [n_rules] index of each rule's first
								 * element */
	char	  **rule_names;		/* [n_rules] as written, or "name_N" for
								 * the rules groups and repetitions make */
	int			root;			/* the rule named "root" */
} LlmGrammar;

/* Parse len bytes of GBNF text (UTF-8) into *out. */
extern LlmStatus LlmGrammarParse(const char *text, size_t len, LlmGrammar **out,
								 LlmError *err);
extern void LlmGrammarFree(LlmGrammar *grammar);

/* Whether an element starts a character set (CHAR, CHAR_NOT, CHAR_ANY). */
static inline int
LlmGrammarIsCharStart(uint32_t type)
{
	return type == LLM_GRE_CHAR || type == LLM_GRE_CHAR_NOT || type == LLM_GRE_CHAR_ANY;
}

/* Whether an element ends an alternative (END or ALT). */
static inline int
LlmGrammarIsEndOfSeq(uint32_t type)
{
	return type == LLM_GRE_END || type == LLM_GRE_ALT;
}

#endif							/* LLM_ENGINE_GRAMMAR_GBNF_H */
