/*-------------------------------------------------------------------------
 *
 * llm_extract.c
 *	  llm_extract: structured data out of text, as jsonb valid under a JSON
 *	  Schema, one row or an array of rows at a time.
 *
 * The model is asked, through its chat template, to extract what the
 * schema describes, and its decoding is constrained by the schema's
 * grammar (grammar/json_schema.h), greedy, so that the answer is valid by
 * construction even from a model that knows little: it parses, and it has
 * the required properties with their types.  The budget is llm.max_tokens
 * (and the context's room); an answer it cuts short is an error, never a
 * half object.
 *
 *-------------------------------------------------------------------------
 */
#include "llm.h"

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#define MODEL_ARG(n) (PG_ARGISNULL(n) ? NULL : PG_GETARG_TEXT_PP(n))

#define DEFAULT_INSTRUCTION \
	"Extract from the user's text the information that the JSON Schema below describes. " \
	"Answer with JSON that follows the schema, and take every value from the text."

/* The system message: the instruction (UTF-8), or ours, then the schema. */
static char *
ExtractInstruction(FunctionCallInfo fcinfo, int arg, const char *schema_utf8)
{
	size_t		len;
	const char *instruction = PG_ARGISNULL(arg) ? DEFAULT_INSTRUCTION :
		LlmTextToUtf8(PG_GETARG_TEXT_PP(arg), &len);

	return psprintf("%s\n\nJSON Schema:\n%s", instruction, schema_utf8);
}

/*
 * The prompt of extracting from input (UTF-8).  No <think> handling: under
 * a grammar the answer is what the grammar allows from its first token.
 */
static int32 *
ExtractPrompt(LlmLoadedModel *lm, const char *system, const char *input, int *n_tokens)
{
	LlmChatMessage msgs[2];
	char	   *rendered;
	bool		add_bos;
	int32	   *ids;

	msgs[0].role = "system";
	msgs[0].content = (char *) system;
	msgs[1].role = "user";
	msgs[1].content = (char *) input;
	ids = LlmChatPrompt(lm, msgs, 2, &rendered, &add_bos, n_tokens, NULL);
	LlmCheckFitsInput(lm, *n_tokens, 1, &input, 1);
	return ids;
}

/* Greedy, within llm.max_tokens, under the schema's grammar. */
static void
ExtractParams(const LlmGrammar *grammar, LlmGenerateParams *gp)
{
	memset(gp, 0, sizeof(*gp));
	LlmSamplerDefaults(&gp->sampling);
	gp->max_tokens = llm_max_tokens;
	gp->grammar = grammar;
}

typedef struct AnswerContext
{
	LlmLoadedModel *lm;
	const char *json;
	int			element;		/* from 1; 0 for a one-row call */
} AnswerContext;

/* CONTEXT of an error reading an answer: which model, row and text */
static void
AnswerErrorContext(void *arg)
{
	AnswerContext *a = (AnswerContext *) arg;
	int			len = strlen(a->json);
	int			shown = pg_mbcliplen(a->json, len, 200);

	if (a->element > 0)
		errcontext("reading the answer of model \"%s\" to element %d as jsonb: %.*s%s",
				   a->lm->name, a->element, shown, a->json, shown < len ? "..." : "");
	else
		errcontext("reading the answer of model \"%s\" as jsonb: %.*s%s",
				   a->lm->name, shown, a->json, shown < len ? "..." : "");
}

/*
 * The answer as jsonb.  The grammar made it JSON valid under the schema,
 * but JSON allows what jsonb refuses: a number past numeric's range
 * (1e999999) or a \u0000 escape; that error then says whose answer it is.
 */
static Datum
AnswerJsonb(LlmLoadedModel *lm, text *answer, int element)
{
	AnswerContext a = {lm, text_to_cstring(answer), element};
	ErrorContextCallback cb = {error_context_stack, AnswerErrorContext, &a};
	Datum		result;

	error_context_stack = &cb;
	result = DirectFunctionCall1(jsonb_in, CStringGetDatum(a.json));
	error_context_stack = cb.previous;
	return result;
}

PG_FUNCTION_INFO_V1(llm_extract);

/* llm_extract(input text, schema jsonb, model text, instruction text) RETURNS jsonb */
Datum
llm_extract(PG_FUNCTION_ARGS)
{
	LlmGenerateParams gp;
	LlmLoadedModel *lm;
	char	   *schema;
	char	   *input;
	size_t		len;
	int32	   *ids;
	int			n;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	ExtractParams(LlmSchemaGrammar(fcinfo, PG_GETARG_JSONB_P(1), &schema), &gp);
	lm = LlmGetModel(MODEL_ARG(2));
	input = LlmTextToUtf8(PG_GETARG_TEXT_PP(0), &len);
	ids = ExtractPrompt(lm, ExtractInstruction(fcinfo, 3, schema), input, &n);
	/* an answer the budget cut short is reported there */
	PG_RETURN_DATUM(AnswerJsonb(lm, LlmGenerateText(lm, ids, n, &gp, NULL), 0));
}

PG_FUNCTION_INFO_V1(llm_extract_array);

/*
 * llm_extract(inputs text[], schema jsonb, model text, instruction text)
 * RETURNS jsonb[]: each element's llm_extract, decoded together
 * (llm.batch_size at a time), in input order, NULL for NULL.
 */
Datum
llm_extract_array(PG_FUNCTION_ARGS)
{
	LlmGenerateParams gp;
	LlmLoadedModel *lm;
	char	   *schema;
	char	   *system;
	char	  **inputs;
	int32	  **prompts;
	int		   *n_prompt;
	text	  **answers;
	Datum	   *elems;
	bool	   *nulls;
	int			dims[1];
	int			lbs[1] = {1};
	int			n;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	n = LlmArrayInputs(PG_GETARG_ARRAYTYPE_P(0), &inputs);
	ExtractParams(LlmSchemaGrammar(fcinfo, PG_GETARG_JSONB_P(1), &schema), &gp);
	lm = LlmGetModel(MODEL_ARG(2));
	system = ExtractInstruction(fcinfo, 3, schema);
	prompts = palloc0(sizeof(int32 *) * Max(n, 1));
	n_prompt = palloc0(sizeof(int) * Max(n, 1));
	answers = palloc0(sizeof(text *) * Max(n, 1));
	for (int i = 0; i < n; i++)
		if (inputs[i] != NULL)
			prompts[i] = ExtractPrompt(lm, system, inputs[i], &n_prompt[i]);
	LlmGenerateMany(lm, prompts, n_prompt, n, &gp, answers, 0);

	if (n == 0)
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(JSONBOID));
	elems = palloc(sizeof(Datum) * n);
	nulls = palloc(sizeof(bool) * n);
	for (int i = 0; i < n; i++)
	{
		nulls[i] = answers[i] == NULL;
		elems[i] = nulls[i] ? (Datum) 0 : AnswerJsonb(lm, answers[i], i + 1);
	}
	dims[0] = n;
	PG_RETURN_ARRAYTYPE_P(construct_md_array(elems, nulls, 1, dims, lbs, JSONBOID, -1, false,
											 TYPALIGN_INT));
}
