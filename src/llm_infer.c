/*-------------------------------------------------------------------------
 *
 * llm_infer.c
 *	  SQL functions over raw text: llm_generate, llm_tokenize,
 *	  llm_detokenize, llm_token_count, llm_embed, llm_score.
 *
 *-------------------------------------------------------------------------
 */
#include "llm.h"

#include "funcapi.h"

#include "catalog/pg_type.h"
#include "common/pg_prng.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "scoring.h"

/* the model argument (NULL allowed) of a function */
#define MODEL_ARG(n) (PG_ARGISNULL(n) ? NULL : PG_GETARG_TEXT_PP(n))

/*
 * Tokenize UTF-8 text for a model; the ids are copied to palloc'd memory
 * so that nothing malloc'd is left behind by a later error.
 */
int32 *
LlmTokenizeOrReport(LlmLoadedModel *lm, const char *utf8, size_t len, bool add_bos,
					bool parse_special, int *n_tokens)
{
	LlmError	err;
	int32_t    *ids;
	int32	   *copy;
	LlmStatus	s;

	s = LlmTokenize(lm->model->vocab, utf8, len, add_bos, parse_special, &ids, n_tokens, &err);
	if (s != LLM_OK)
		LlmReportError(s, &err, "could not tokenize the input");
	copy = palloc(sizeof(int32) * Max(*n_tokens, 1));
	memcpy(copy, ids, sizeof(int32) * *n_tokens);
	free(ids);
	return copy;
}

void
LlmCheckFits(LlmLoadedModel *lm, int n_tokens, int room_after)
{
	LlmCheckFitsInput(lm, n_tokens, room_after, NULL, 0);
}

/*
 * A function that generates, classifies or scores refuses an encoder
 * (BERT and its kin read a whole text at once and predict no next token)
 * up front, saying what the model is for, rather than failing inside the
 * engine.
 */
void
LlmRequireGenerative(LlmLoadedModel *lm)
{
	if (lm->model->hp.causal)
		return;
	ereport(ERROR,
			errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			errmsg("model \"%s\" is an embedding model: it cannot generate, classify or score text",
				   lm->name),
			errdetail("It is a %s encoder, which reads a whole text at once and predicts no next token.",
					  lm->model->arch_name),
			errhint("Use it with llm_embed, or name a generative model (llm_models.kind)."));
}

/*
 * Before tokenizing bytes of input for a call that needs room_after more
 * positions: refuse, from the length alone, an input that cannot fit,
 * so that 100 MB of text is an error at once, not after seconds of
 * tokenizing.  Inputs that might fit, and any under 256 kB (tokenized in
 * milliseconds, and then LlmCheckFits says exactly how many tokens they
 * are), are left to LlmCheckFits.
 */
void
LlmCheckInputSize(LlmLoadedModel *lm, size_t bytes, int room_after)
{
	size_t		fewest;

	if (bytes < 256 * 1024)
		return;
	if (lm->bytes_model != lm->model)
	{
		lm->max_token_bytes = LlmVocabMaxTokenBytes(lm->model->vocab);
		lm->bytes_model = lm->model;
	}
	if (lm->max_token_bytes == 0)
		return;
	fewest = bytes / lm->max_token_bytes + (bytes % lm->max_token_bytes != 0);
	if (fewest + (size_t) Max(room_after, 0) <= (size_t) lm->ctx->n_ctx)
		return;
	ereport(ERROR,
			errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			errmsg("input of at least %zu tokens does not fit in the context of %d tokens of model \"%s\"",
				   fewest, lm->ctx->n_ctx, lm->name),
			errdetail("The text has %zu bytes, and one token of this model stands for at most %zu.",
					  bytes, lm->max_token_bytes),
			errhint("Shorten the input or raise llm.context_size (the model was trained with %d).",
					lm->model->hp.n_ctx_train));
}

/*
 * As LlmCheckFits for a prompt built around n_inputs texts (UTF-8: the
 * input, or a conversation's messages; none: the prompt is the input):
 * the error then says how much of the prompt they are and how much the
 * template and instruction around them.  They are counted as the prompt
 * tokenizes them, special tokens recognised.
 */
void
LlmCheckFitsInput(LlmLoadedModel *lm, int n_tokens, int room_after,
				  const char *const *inputs, int n_inputs)
{
	int			n_input = 0;

	if (n_tokens + room_after <= lm->ctx->n_ctx)
		return;
	if (n_inputs == 0)
		ereport(ERROR,
				errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				errmsg("input of %d tokens does not fit in the context of %d tokens of model \"%s\"",
					   n_tokens, lm->ctx->n_ctx, lm->name),
				room_after > 0 ?
				errdetail_plural("%d position is needed for the answer.",
								 "%d positions are needed for the answer.",
								 room_after, room_after) : 0,
				errhint("Shorten the input or raise llm.context_size (the model was trained with %d).",
						lm->model->hp.n_ctx_train));
	for (int i = 0; i < n_inputs; i++)
	{
		int			n;

		pfree(LlmTokenizeOrReport(lm, inputs[i], strlen(inputs[i]), false, true, &n));
		n_input += n;
	}
	ereport(ERROR,
			errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			errmsg("prompt of %d tokens does not fit in the context of %d tokens of model \"%s\"",
				   n_tokens, lm->ctx->n_ctx, lm->name),
			errdetail("The %s %d tokens; the chat template and instruction around %s add %d, and %d %s needed for the answer.",
					  n_inputs == 1 ? "input is" : "messages are", n_input,
					  n_inputs == 1 ? "it" : "them", n_tokens - n_input, room_after,
					  room_after == 1 ? "position is" : "positions are"),
			errhint("Shorten the input or raise llm.context_size (the model was trained with %d).",
					lm->model->hp.n_ctx_train));
}

/* Whether llm.max_tokens cut the max_tokens argument (arg 2). */
bool
LlmCappedMaxTokens(FunctionCallInfo fcinfo)
{
	return (PG_ARGISNULL(2) ? 128 : PG_GETARG_INT32(2)) > llm_max_tokens;
}

/*
 * Sampling arguments shared by llm_generate and llm_chat (args 2..7), and
 * their grammar or json_schema (args 8 and 9, llm_grammar.c).
 */
void
LlmSamplingArgs(FunctionCallInfo fcinfo, LlmGenerateParams *gp)
{
	int			max_tokens = PG_ARGISNULL(2) ? 128 : PG_GETARG_INT32(2);
	double		temperature = PG_ARGISNULL(3) ? 0 : PG_GETARG_FLOAT8(3);
	double		top_p = PG_ARGISNULL(4) ? 1 : PG_GETARG_FLOAT8(4);
	int			top_k = PG_ARGISNULL(5) ? 0 : PG_GETARG_INT32(5);

	if (max_tokens < 0)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("max_tokens must not be negative"));
	if (!(temperature >= 0) || temperature > 100)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("temperature must be between 0 and 100"));
	if (!(top_p > 0 && top_p <= 1))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("top_p must be greater than 0 and at most 1"));
	if (top_k < 0)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("top_k must not be negative"));

	memset(gp, 0, sizeof(*gp));
	LlmSamplerDefaults(&gp->sampling);
	/* llm.max_tokens is the administrator's cap on every call */
	gp->max_tokens = Min(max_tokens, llm_max_tokens);
	gp->sampling.temperature = (float) temperature;
	gp->sampling.top_p = (float) top_p;
	gp->sampling.top_k = top_k;
	gp->sampling.seed = PG_ARGISNULL(6) ? pg_prng_uint64(&pg_global_prng_state) :
		(uint64) PG_GETARG_INT64(6);

	if (!PG_ARGISNULL(7))
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(7);
		Datum	   *elems;
		bool	   *nulls;
		int			n;
		const char **stop;

		deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
		stop = palloc(sizeof(char *) * Max(n, 1));
		for (int i = 0; i < n; i++)
		{
			size_t		len;

			if (nulls[i])
				continue;
			stop[gp->n_stop] = LlmTextToUtf8(DatumGetTextPP(elems[i]), &len);
			if (len > 0)
				gp->n_stop++;
		}
		gp->stop = stop;
	}
	LlmGrammarArgs(fcinfo, 8, gp);
}

/*
 * Generate from a token prompt and return the text, or report.  The prompt
 * starts from the longest cached prefix it has (llm_prefix.c).  details,
 * if not NULL, gets why the generation stopped and what it cost.  Under a
 * grammar, an answer a limit stopped before the grammar was complete is
 * not returned: an error, or with details a NULL text.
 */
text *
LlmGenerateText(LlmLoadedModel *lm, int32 *prompt, int n_prompt, const LlmGenerateParams *gp,
				LlmCallDetails *details)
{
	LlmGenerateResult res;
	LlmGenerateParams p = *gp;
	LlmModelCounters cache = {0};
	LlmCompute	c;
	LlmError	err;
	LlmStatus	s;
	text	   *out;
	int			cached;
	const int32_t *prompts[1] = {prompt};
	instr_time	start;
	instr_time	took;
	bool		complete;
	const char *reason;
	int			n_generated;

	INSTR_TIME_SET_CURRENT(start);
	LlmCheckFits(lm, n_prompt, 1);
	/* the answer can use what the context has left */
	p.max_tokens = Min(p.max_tokens, lm->ctx->n_ctx - n_prompt);
	/* the model's trie, not one built for each call */
	if (p.grammar != NULL)
		p.trie = LlmModelTrie(lm);
	memset(&res, 0, sizeof(res));
	res.stop_reason = "length";
	if (p.max_tokens > 0)
	{
		LlmComputeBegin(lm, lm->ctx, &c);
		cached = LlmPrefixLoad(lm, lm->ctx, 0, prompt, n_prompt, &cache);
		s = LlmGenerateBatch(lm->ctx, prompts, &n_prompt, &cached, NULL, 1, &p, &res, &err);
		if (s == LLM_OK)
			LlmPrefixRemember(lm, lm->ctx, 0, prompt, n_prompt);
		LlmComputeEnd(&c, s, 1, n_prompt, s == LLM_OK ? res.n_tokens : 0, &cache);
		if (s != LLM_OK)
			LlmReportError(s, &err, psprintf("generation with model \"%s\" failed", lm->name));
		out = LlmUtf8ToText(res.text, res.len);
		complete = p.grammar == NULL || res.grammar_complete;
	}
	else
	{
		out = cstring_to_text("");
		complete = p.grammar == NULL || LlmGrammarAcceptsEmpty(p.grammar);
	}
	if (details != NULL)
	{
		INSTR_TIME_SET_CURRENT(took);
		INSTR_TIME_SUBTRACT(took, start);
		details->prompt_tokens = n_prompt;
		details->generated_tokens = res.n_tokens;
		details->duration_ms = INSTR_TIME_GET_MILLISEC(took);
		/* a limit: the context's room, the administrator's cap, or the argument */
		if (strcmp(res.stop_reason, "eos") == 0)
			details->stop_reason = "end of text";
		else if (strcmp(res.stop_reason, "stop") == 0)
			details->stop_reason = "stop string";
		else
			details->stop_reason = LlmStopLimit(res.stop_reason, gp->max_tokens, p.max_tokens,
												details->capped);
	}
	reason = res.stop_reason;
	n_generated = res.n_tokens;
	if (p.max_tokens > 0)
		LlmGenerateResultFree(&res);
	if (!complete)
	{
		/* never half an answer: the *_details functions say why, others fail */
		if (details == NULL)
			LlmReportUnfinished(lm, 0, LlmStopLimit(reason, gp->max_tokens, p.max_tokens,
													gp->max_tokens == llm_max_tokens),
								n_prompt, n_generated);
		out = NULL;
	}
	return out;
}

/*
 * A row (text, stop_reason, prompt_tokens, generated_tokens, duration_ms)
 * of the *_details functions; out NULL (an answer under a grammar that a
 * limit stopped first) gives a NULL text.
 */
Datum
LlmDetailsRow(FunctionCallInfo fcinfo, text *out, const LlmCallDetails *d)
{
	TupleDesc	desc;
	Datum		values[5];
	bool		nulls[5] = {out == NULL, false, false, false, false};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "llm details functions must return a row");
	values[0] = out ? PointerGetDatum(out) : (Datum) 0;
	values[1] = CStringGetTextDatum(d->stop_reason);
	values[2] = Int32GetDatum(d->prompt_tokens);
	values[3] = Int32GetDatum(d->generated_tokens);
	values[4] = Float8GetDatum(d->duration_ms);
	return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls));
}

/*
 * The model of argument 1 and the tokens of text argument 0 (with BOS when
 * the model adds one, special-token text as plain text): the start of
 * every function over plain input.  A call that runs the model and needs
 * room_after positions beyond the input refuses an input too long to fit
 * before tokenizing it; room_after < 0 (tokenizing only) takes any size.
 */
static int32 *
InputTokens(FunctionCallInfo fcinfo, LlmLoadedModel **lm, int *n, int room_after)
{
	char	   *input;
	size_t		len;

	*lm = LlmGetModel(MODEL_ARG(1));
	input = LlmTextToUtf8(PG_GETARG_TEXT_PP(0), &len);
	if (room_after >= 0)
		LlmCheckInputSize(*lm, len, room_after);
	return LlmTokenizeOrReport(*lm, input, len, true, false, n);
}

/* llm_generate and llm_generate_details: details NULL for the first */
static text *
Generate(FunctionCallInfo fcinfo, LlmCallDetails *details)
{
	LlmGenerateParams gp;
	LlmLoadedModel *lm;
	int32	   *ids;
	int			n;

	LlmSamplingArgs(fcinfo, &gp);
	ids = InputTokens(fcinfo, &lm, &n, 1);
	LlmRequireGenerative(lm);
	if (n == 0)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("model \"%s\" cannot continue an empty prompt", lm->name),
				errdetail("The model adds no beginning-of-text token, so an empty prompt gives it nothing to start from."));
	if (details != NULL)
		details->capped = LlmCappedMaxTokens(fcinfo);
	return LlmGenerateText(lm, ids, n, &gp, details);
}

PG_FUNCTION_INFO_V1(llm_generate);

Datum
llm_generate(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(Generate(fcinfo, NULL));
}

PG_FUNCTION_INFO_V1(llm_generate_details);

Datum
llm_generate_details(PG_FUNCTION_ARGS)
{
	LlmCallDetails d;
	text	   *out;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	out = Generate(fcinfo, &d);
	PG_RETURN_DATUM(LlmDetailsRow(fcinfo, out, &d));
}

PG_FUNCTION_INFO_V1(llm_tokenize);

Datum
llm_tokenize(PG_FUNCTION_ARGS)
{
	LlmLoadedModel *lm;
	int32	   *ids;
	int			n;
	Datum	   *elems;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	ids = InputTokens(fcinfo, &lm, &n, -1);
	elems = palloc(sizeof(Datum) * Max(n, 1));
	for (int i = 0; i < n; i++)
		elems[i] = Int32GetDatum(ids[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, INT4OID, sizeof(int32), true, TYPALIGN_INT));
}

PG_FUNCTION_INFO_V1(llm_token_count);

Datum
llm_token_count(PG_FUNCTION_ARGS)
{
	LlmLoadedModel *lm;
	int			n;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	(void) InputTokens(fcinfo, &lm, &n, -1);
	PG_RETURN_INT32(n);
}

PG_FUNCTION_INFO_V1(llm_detokenize);

Datum
llm_detokenize(PG_FUNCTION_ARGS)
{
	LlmLoadedModel *lm;
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int32_t    *ids;
	char	   *out;
	size_t		len;
	LlmError	err;
	LlmStatus	s;
	text	   *result;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	arr = PG_GETARG_ARRAYTYPE_P(0);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("tokens must be a one-dimensional array"));
	deconstruct_array(arr, INT4OID, sizeof(int32), true, TYPALIGN_INT, &elems, &nulls, &n);
	lm = LlmGetModel(MODEL_ARG(1));
	ids = palloc(sizeof(int32_t) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					errmsg("token ids must not be NULL"),
					errdetail("Element %d is NULL.", i + 1));
		ids[i] = DatumGetInt32(elems[i]);
	}
	s = LlmDetokenize(lm->model->vocab, ids, n, true, &out, &len, &err);
	if (s != LLM_OK)
		LlmReportError(s, &err, psprintf("could not detokenize for model \"%s\"", lm->name));
	result = LlmUtf8ToText(out, len);
	free(out);
	PG_RETURN_TEXT_P(result);
}

PG_FUNCTION_INFO_V1(llm_embed);

Datum
llm_embed(PG_FUNCTION_ARGS)
{
	LlmLoadedModel *lm;
	int32	   *ids;
	int			n;
	int			n_embd;
	float	   *vec;
	Datum	   *elems;
	LlmCompute	c;
	LlmError	err;
	LlmStatus	s;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	ids = InputTokens(fcinfo, &lm, &n, 0);
	if (n == 0)
		PG_RETURN_NULL();
	LlmCheckFits(lm, n, 0);
	n_embd = lm->model->hp.n_embd;
	vec = palloc(sizeof(float) * n_embd);
	LlmComputeBegin(lm, lm->ctx, &c);
	s = LlmEmbedTokens(lm->ctx, ids, n, vec, &err);
	LlmComputeEnd(&c, s, 1, n, 0, NULL);
	if (s != LLM_OK)
		LlmReportError(s, &err, psprintf("embedding with model \"%s\" failed", lm->name));
	elems = palloc(sizeof(Datum) * n_embd);
	for (int i = 0; i < n_embd; i++)
		elems[i] = Float4GetDatum(vec[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n_embd, FLOAT4OID, sizeof(float4), true,
										  TYPALIGN_INT));
}

PG_FUNCTION_INFO_V1(llm_score);

Datum
llm_score(PG_FUNCTION_ARGS)
{
	LlmLoadedModel *lm;
	int32	   *ids;
	int			n;
	int			n_scored;
	double		sum;
	LlmCompute	c;
	LlmError	err;
	LlmStatus	s;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	ids = InputTokens(fcinfo, &lm, &n, 0);
	LlmRequireGenerative(lm);
	LlmCheckFits(lm, n, 0);
	LlmComputeBegin(lm, lm->ctx, &c);
	s = LlmScoreTokens(lm->ctx, ids, n, &sum, &n_scored, &err);
	LlmComputeEnd(&c, s, 1, n, 0, NULL);
	if (s != LLM_OK)
		LlmReportError(s, &err, psprintf("scoring with model \"%s\" failed", lm->name));
	/* nothing predicted (empty input): no score */
	if (n_scored == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(sum / n_scored);
}
