/*-------------------------------------------------------------------------
 *
 * llm_grammar.c
 *	  Constrained decoding in SQL: the grammar and json_schema arguments,
 *	  the token trie a loaded model keeps for them, and the error of an
 *	  answer the token budget cut short.
 *
 * A grammar is parsed once per query, not once per row: the parsed form
 * stays with the call site (fn_extra) while the argument stays the same,
 * and is freed with the query's memory, an error's included.  The token
 * trie, 50-100 ms to build for a vocabulary of 150k tokens, is built at a
 * model's first constrained call in this backend and kept with the model
 * (LlmLoadedModel.trie) until the model is let go.
 *
 * Under a grammar, what a function returns is in the grammar's language or
 * is not returned at all: an answer that max_tokens, llm.max_tokens or the
 * end of the context stopped before the grammar was complete is an error
 * (the *_details functions give its stop_reason and a NULL text instead).
 *
 *-------------------------------------------------------------------------
 */
#include "llm.h"

#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "grammar/json_schema.h"
#include "grammar/matcher.h"

/* A parsed grammar and the argument it was parsed from. */
typedef struct GrammarCache
{
	bool		from_schema;
	char	   *source;			/* UTF-8 */
	size_t		len;
	LlmGrammar *grammar;		/* malloc'd by the engine; NULL: none yet */
	MemoryContextCallback free_grammar;
} GrammarCache;

static void
FreeGrammarCache(void *arg)
{
	GrammarCache *cache = (GrammarCache *) arg;

	LlmGrammarFree(cache->grammar);
	cache->grammar = NULL;
}

/*
 * The compiled grammar of len bytes of UTF-8 source: GBNF, or a JSON
 * Schema's JSON text.  Kept in the call site's memory for the next row
 * (or, without one, in the current memory context for this call only);
 * the engine's malloc'd grammar goes when that memory does.
 */
static const LlmGrammar *
CachedGrammar(FunctionCallInfo fcinfo, bool from_schema, const char *source, size_t len)
{
	FmgrInfo   *flinfo = fcinfo->flinfo;
	GrammarCache *cache = flinfo ? (GrammarCache *) flinfo->fn_extra : NULL;
	LlmError	err;
	LlmStatus	s;

	if (cache != NULL && cache->grammar != NULL && cache->from_schema == from_schema &&
		cache->len == len && memcmp(cache->source, source, len) == 0)
		return cache->grammar;

	if (cache == NULL)
	{
		MemoryContext mcxt = flinfo ? flinfo->fn_mcxt : CurrentMemoryContext;

		cache = MemoryContextAllocZero(mcxt, sizeof(GrammarCache));
		cache->free_grammar.func = FreeGrammarCache;
		cache->free_grammar.arg = cache;
		MemoryContextRegisterResetCallback(mcxt, &cache->free_grammar);
		if (flinfo)
			flinfo->fn_extra = cache;
	}
	else
	{
		LlmGrammarFree(cache->grammar);
		cache->grammar = NULL;
		if (cache->source)
			pfree(cache->source);
		cache->source = NULL;
	}

	if (from_schema)
		s = LlmGrammarFromJsonSchema(source, len, &cache->grammar, &err);
	else
		s = LlmGrammarParse(source, len, &cache->grammar, &err);
	if (s == LLM_ERR_ARGUMENT)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				from_schema ?
				errmsg("json_schema cannot be converted to a grammar") :
				errmsg("invalid grammar"),
				errdetail("%s", err.message),
				from_schema ?
				errhint("JSON Schema keywords are converted as llama.cpp converts them; docs/sql.md lists those supported.") :
				errhint("The grammar is GBNF, llama.cpp's notation, with a rule named \"root\"."));
	if (s != LLM_OK)
		LlmReportError(s, &err, from_schema ? "could not convert json_schema to a grammar" :
					   "could not parse the grammar");
	cache->source = MemoryContextAlloc(GetMemoryChunkContext(cache), Max(len, 1));
	memcpy(cache->source, source, len);
	cache->len = len;
	cache->from_schema = from_schema;
	return cache->grammar;
}

/*
 * The grammar of a JSON Schema; *schema_utf8, if not NULL, gets the
 * schema's JSON text (UTF-8, palloc'd), as the grammar was made from it.
 * jsonb keeps an object's keys sorted (shorter keys first), not as they
 * were written, so properties come in that order.
 */
const LlmGrammar *
LlmSchemaGrammar(FunctionCallInfo fcinfo, Jsonb *schema, char **schema_utf8)
{
	char	   *json = JsonbToCString(NULL, &schema->root, VARSIZE(schema));
	char	   *utf8 = (char *) pg_server_to_any(json, strlen(json), PG_UTF8);

	if (schema_utf8 != NULL)
		*schema_utf8 = utf8;
	return CachedGrammar(fcinfo, true, utf8, strlen(utf8));
}

/*
 * The grammar (GBNF text) and json_schema (jsonb) arguments of a
 * generating function, at positions arg and arg + 1, into gp->grammar
 * (NULL when neither is given).  The function's SQL definition may be one
 * without them (llm 1.0's llm_generate and llm_chat, still in place until
 * ALTER EXTENSION llm UPDATE): then there is no grammar.  Call after the
 * stop strings are in gp, which a grammar excludes.
 */
void
LlmGrammarArgs(FunctionCallInfo fcinfo, int arg, LlmGenerateParams *gp)
{
	bool		has_grammar = PG_NARGS() > arg && !PG_ARGISNULL(arg);
	bool		has_schema = PG_NARGS() > arg + 1 && !PG_ARGISNULL(arg + 1);

	gp->grammar = NULL;
	if (has_grammar && has_schema)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("grammar and json_schema cannot be combined"),
				errhint("Give one of them: a json_schema is turned into a grammar."));
	if (!has_grammar && !has_schema)
		return;
	if (gp->n_stop > 0)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("stop cannot be combined with %s", has_grammar ? "grammar" : "json_schema"),
				errdetail("The grammar says where the answer ends."));
	if (has_grammar)
	{
		size_t		len;
		char	   *gbnf = LlmTextToUtf8(PG_GETARG_TEXT_PP(arg), &len);

		gp->grammar = CachedGrammar(fcinfo, false, gbnf, len);
	}
	else
		gp->grammar = LlmSchemaGrammar(fcinfo, PG_GETARG_JSONB_P(arg + 1), NULL);
}

/*
 * The token trie of a model, built at its first constrained call in this
 * backend and kept with it: building costs as much as tens of tokens of a
 * small model, and the trie is read-only, so every call and sequence
 * shares it.  FreeLoaded frees it with the model.
 */
const LlmTokenTrie *
LlmModelTrie(LlmLoadedModel *lm)
{
	LlmError	err;
	LlmStatus	s;

	if (lm->trie != NULL)
		return lm->trie;
	s = LlmTokenTrieBuild(lm->model->vocab, lm->model->hp.n_vocab, &lm->trie, &err);
	if (s != LLM_OK)
	{
		lm->trie = NULL;
		LlmReportError(s, &err, psprintf("could not index the vocabulary of model \"%s\" for a grammar",
										 lm->name));
	}
	return lm->trie;
}

/* Whether a grammar matches the empty text (an answer of no tokens). */
bool
LlmGrammarAcceptsEmpty(const LlmGrammar *grammar)
{
	LlmGrammarMatcher *m;
	LlmError	err;
	LlmStatus	s;
	bool		can_end;

	s = LlmGrammarMatcherCreate(grammar, NULL, &m, &err);
	if (s != LLM_OK)
		LlmReportError(s, &err, "could not start matching the grammar");
	can_end = LlmGrammarMatcherCanEnd(m);
	LlmGrammarMatcherFree(m);
	return can_end;
}

/*
 * Which limit stopped a generation that did not end by itself: "context
 * full" when the context's room (asked, the max_tokens the call was
 * given, or what the context had left) ran out, "llm.max_tokens" when the
 * administrator's cap set the budget, else "max_tokens".
 */
const char *
LlmStopLimit(const char *engine_reason, int asked, int allowed, bool capped)
{
	if (strcmp(engine_reason, "context") == 0 || allowed < asked)
		return "context full";
	if (capped)
		return "llm.max_tokens";
	return "max_tokens";
}

/*
 * An answer under a grammar that limit (LlmStopLimit) cut short after
 * n_tokens, following a prompt of n_prompt: never returned as text, since
 * it does not parse.  element is the array element (from 1), or 0 for a
 * one-row call.  (lm->ctx may be gone: a long call's context is trimmed.)
 */
void
LlmReportUnfinished(LlmLoadedModel *lm, int element, const char *limit, int n_prompt,
					int n_tokens)
{
	bool		context = strcmp(limit, "context full") == 0;

	ereport(ERROR,
			errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			element > 0 ?
			errmsg("the answer of model \"%s\" to element %d did not finish within the token budget",
				   lm->name, element) :
			errmsg("the answer of model \"%s\" did not finish within the token budget", lm->name),
			context ?
			errdetail("The prompt of %d tokens and %d tokens of the answer filled the context, where the grammar did not allow the answer to end.",
					  n_prompt, n_tokens) :
			errdetail("The answer stopped at the limit of %d tokens that %s sets, where the grammar did not allow it to end.",
					  n_tokens, limit),
			context ?
			errhint("Shorten the input, or raise llm.context_size.") :
			strcmp(limit, "llm.max_tokens") == 0 ?
			errhint("Raise llm.max_tokens (now %d), or bound the answer in the grammar or schema (maxLength, maxItems, enum).",
					llm_max_tokens) :
			errhint("Raise max_tokens, or bound the answer in the grammar or schema (maxLength, maxItems, enum)."));
}
