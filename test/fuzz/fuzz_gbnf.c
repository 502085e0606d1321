/*-------------------------------------------------------------------------
 *
 * fuzz_gbnf.c
 *	  libFuzzer harness of GBNF grammars (src/engine/grammar/): arbitrary
 *	  grammar text through LlmGrammarParse, then the matcher with what it
 *	  accepted.
 *
 * Input: the grammar's text, a NUL, then text to match against it.  A
 * grammar comes from a SQL caller, so it is hostile: parsing must refuse
 * with an error or give a grammar the matcher can trust (every rule
 * reference a rule, every rule ended, the root a rule), and matching it
 * over a real vocabulary (stories260K's) must stay bounded whatever the
 * grammar: masks of allowed tokens, text accepted or refused, the logits
 * masked.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "gguf.h"
#include "grammar/gbnf.h"
#include "grammar/matcher.h"
#include "grammar/token_trie.h"
#include "tokenizer/vocab.h"

static GgufFile *gguf;			/* kept: the vocabulary's texts point into it */
static LlmVocab *vocab;
static LlmTokenTrie *trie;

int			LLVMFuzzerInitialize(int *argc, char ***argv);
int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *path = FuzzSharedPath("models/stories260K.gguf");
	LlmError	err;

	if (GgufOpen(path, &gguf, &err) != LLM_OK ||
		LlmVocabLoad(gguf, &vocab, &err) != LLM_OK ||
		LlmTokenTrieBuild(vocab, vocab->n_tokens, &trie, &err) != LLM_OK)
		FuzzDie(path, err.message);
	return 0;
}

/* What the matcher relies on. */
static void
CheckGrammar(const LlmGrammar *g)
{
	FUZZ_CHECK(g->n_rules > 0 && g->root >= 0 && g->root < g->n_rules, "root %d of %d", g->root, g->n_rules);
	for (int r = 0; r < g->n_rules; r++)
	{
		size_t		i = g->rule_start[r];

		FUZZ_CHECK(i < g->n_elems, "rule %d starts at %zu of %zu", r, i, g->n_elems);
		FUZZ_CHECK(g->rule_names[r] != NULL, "rule %d has no name", r);
		for (; i < g->n_elems && g->elems[i].type != LLM_GRE_END; i++)
			if (g->elems[i].type == LLM_GRE_RULE_REF)
				FUZZ_CHECK(g->elems[i].value < (uint32_t) g->n_rules,
						   "rule %d refers to rule %u of %d", r, g->elems[i].value, g->n_rules);
		FUZZ_CHECK(i < g->n_elems, "rule %d has no END", r);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *text,
			   *sample;
	size_t		text_len,
				sample_len;
	LlmGrammar *g;
	LlmGrammarMatcher *m;
	const uint64_t *bits;
	int			n_allowed;
	float	   *logits;
	LlmError	err;

	FuzzSplit(data, size, '\0', &text, &text_len, &sample, &sample_len);
	if (LlmGrammarParse((const char *) text, text_len, &g, &err) != LLM_OK)
	{
		FUZZ_CHECK(err.code == LLM_ERR_ARGUMENT || err.code == LLM_ERR_NOMEM,
				   "parse failed with %d: %s", (int) err.code, err.message);
		return 0;
	}
	CheckGrammar(g);
	if (LlmGrammarMatcherCreate(g, trie, &m, &err) == LLM_OK)
	{
		if (LlmGrammarMatcherMask(m, &bits, &n_allowed, &err) == LLM_OK)
			FUZZ_CHECK(n_allowed >= 0 && n_allowed <= vocab->n_tokens, "%d allowed", n_allowed);
		(void) LlmGrammarMatcherAcceptText(m, (const char *) sample, sample_len, &err);
		(void) LlmGrammarMatcherCanEnd(m);
		(void) LlmGrammarMatcherMustEnd(m);
		logits = calloc(vocab->n_tokens, sizeof(float));
		if (logits == NULL)
			abort();
		if (LlmGrammarMatcherApply(m, logits, &err) == LLM_OK)
		{
			/* accept the first token the mask left, as generation would */
			for (int i = 0; i < vocab->n_tokens; i++)
				if (logits[i] != -INFINITY)
				{
					(void) LlmGrammarMatcherAccept(m, i, &err);
					break;
				}
		}
		free(logits);
		LlmGrammarMatcherFree(m);
	}
	LlmGrammarFree(g);
	return 0;
}
