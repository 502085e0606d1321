/*-------------------------------------------------------------------------
 *
 * llm_array.c
 *	  Array forms of llm_generate, llm_summarize, llm_classify and
 *	  llm_embed: many rows in one call, decoded together.
 *
 * A call on one row streams every weight of the model from memory for each
 * generated token; up to llm.batch_size rows decoded together share that
 * stream, so generating their answers costs about one pass per step
 * instead of one per row.  Prompts that share a prefix (the chat template
 * and instruction) start from the prefix cache, or have the prefix
 * evaluated once and copied.  Each element's result is exactly what the
 * one-row function gives for it, in input order; a NULL input gives NULL.
 * (llm_extract's array form, in llm_extract.c, generates through
 * LlmGenerateMany too.)
 *
 *-------------------------------------------------------------------------
 */
#include "llm.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "generate.h"
#include "scoring.h"

#define MODEL_ARG(n) (PG_ARGISNULL(n) ? NULL : PG_GETARG_TEXT_PP(n))
#define SHARED_PREFIX_MIN 16

/* The elements of a one-dimensional text[] in UTF-8; NULLs stay NULL. */
int
LlmArrayInputs(ArrayType *arr, char ***utf8)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("inputs must be a one-dimensional array"));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	*utf8 = palloc0(sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		size_t		len;

		if (!nulls[i])
			(*utf8)[i] = LlmTextToUtf8(DatumGetTextPP(elems[i]), &len);
	}
	return n;
}

/* A text[] of n results, NULL where results[i] is NULL. */
static Datum
ResultArray(text **results, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));
	int			dims[1] = {n};
	int			lbs[1] = {1};

	for (int i = 0; i < n; i++)
	{
		nulls[i] = results[i] == NULL;
		elems[i] = nulls[i] ? (Datum) 0 : PointerGetDatum(results[i]);
	}
	if (n == 0)
		return PointerGetDatum(construct_empty_array(TEXTOID));
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, TEXTOID, -1, false,
											  TYPALIGN_INT));
}

/*
 * A context of k sequences of n_ctx cells on this backend's threads, with
 * the compute budget's threads taken for it (LlmComputeBegin).  The context
 * holds threads and malloc'd memory: if waiting for the budget throws (a
 * cancel), it is freed before the error goes on.
 */
static LlmContext *
BeginBatch(LlmLoadedModel *lm, int k, int n_ctx, LlmCompute *c)
{
	LlmContext *ctx;
	LlmError	err;
	LlmStatus	s;

	s = LlmContextCreateKv(lm->model, n_ctx, LLM_BATCH, k, lm->ctx->kv_type, &ctx, &err);
	if (s != LLM_OK)
		LlmReportError(s, &err, psprintf("could not create a context of %d sequences of %d tokens for model \"%s\"",
										 k, n_ctx, lm->name));
	ctx->cancel = LlmCancelRequested;
	s = LlmContextSetThreads(ctx, LlmThreadPoolSize(lm->ctx->pool), &err);
	if (s != LLM_OK)
	{
		LlmContextFree(ctx);
		LlmReportError(s, &err, "could not start the inference threads");
	}
	PG_TRY();
	{
		LlmComputeBegin(lm, ctx, c);
	}
	PG_CATCH();
	{
		LlmContextFree(ctx);
		PG_RE_THROW();
	}
	PG_END_TRY();
	return ctx;
}

/*
 * Start each of k sequences from the longest cached prefix of its prompt;
 * if none is cached and the prompts share a prefix, evaluate it once in
 * sequence 0, cache it, and copy it to the others.  Engine code only: runs
 * between LlmComputeBegin and LlmComputeEnd.
 */
static LlmStatus
StartFromPrefix(LlmLoadedModel *lm, LlmContext *ctx, int32 **prompts, const int *n_prompt,
				int k, int *cached, LlmModelCounters *counters, LlmError *err)
{
	int			shared;
	bool		any = false;
	LlmBatchToken *items;
	LlmStatus	s = LLM_OK;

	for (int i = 0; i < k; i++)
	{
		cached[i] = LlmPrefixLoad(lm, ctx, i, prompts[i], n_prompt[i], counters);
		any |= cached[i] > 0;
	}
	if (any || k < 2)
		return LLM_OK;

	shared = n_prompt[0] - 1;
	for (int i = 1; i < k; i++)
	{
		int			n = 0;

		while (n < shared && n < n_prompt[i] - 1 && prompts[i][n] == prompts[0][n])
			n++;
		shared = n;
	}
	if (shared < SHARED_PREFIX_MIN)
		return LLM_OK;
	items = malloc(sizeof(LlmBatchToken) * shared);
	if (items == NULL)
		return LLM_OK;			/* then without the shortcut */
	for (int j = 0; j < shared; j++)
		items[j] = (LlmBatchToken) {prompts[0][j], 0, false};
	s = LlmSeqReset(ctx, 0, err);
	if (s == LLM_OK)
		s = LlmDecodeBatch(ctx, items, shared, NULL, err);
	free(items);
	if (s == LLM_OK)
		LlmPrefixStore(lm, ctx, 0, prompts[0], shared);
	for (int i = 0; i < k && s == LLM_OK; i++)
	{
		if (i > 0)
			s = LlmSeqCopy(ctx, 0, i, shared, err);
		cached[i] = shared;
	}
	return s;
}

/*
 * Elements todo[first .. first + k) of a call, as the engine takes them:
 * their token arrays and lengths; returns their total tokens.
 */
static int
TakeBatch(int32 **all, const int *all_n, const int *todo, int first, int k,
		  int32 ***p_out, int **np_out)
{
	int32	  **p = palloc(sizeof(int32 *) * k);
	int		   *np = palloc(sizeof(int) * k);
	int			total = 0;

	for (int j = 0; j < k; j++)
	{
		p[j] = all[todo[first + j]];
		np[j] = all_n[todo[first + j]];
		total += np[j];
	}
	*p_out = p;
	*np_out = np;
	return total;
}

/*
 * Generate for every prompt (NULL: no result), llm.batch_size at a time;
 * max_words > 0 keeps that many words of each answer.  Under a grammar, an
 * answer the token budget cut short is an error naming its element.
 */
void
LlmGenerateMany(LlmLoadedModel *lm, int32 **prompts, int *n_prompt, int n,
				const LlmGenerateParams *gp, text **results, int max_words)
{
	int			batch = Max(1, llm_batch_size);
	int		   *todo = palloc(sizeof(int) * Max(n, 1));
	int			n_todo = 0;
	const LlmTokenTrie *trie = NULL;

	for (int i = 0; i < n; i++)
		if (prompts[i] != NULL)
		{
			LlmCheckFits(lm, n_prompt[i], 1);
			todo[n_todo++] = i;
		}
	/* built before any context takes the compute budget's threads */
	if (gp->grammar != NULL && n_todo > 0)
		trie = LlmModelTrie(lm);

	for (int first = 0; first < n_todo; first += batch)
	{
		int			k = Min(batch, n_todo - first);
		int32	  **p;
		int		   *np;
		int			prompt_tokens = TakeBatch(prompts, n_prompt, todo, first, k, &p, &np);
		int		   *cached = palloc0(sizeof(int) * k);
		int		   *cap = palloc(sizeof(int) * k);
		LlmGenerateResult *res = palloc0(sizeof(LlmGenerateResult) * k);
		LlmGenerateParams params = *gp;
		LlmModelCounters cache = {0};
		int			n_ctx = 0;
		int			generated = 0;
		int			unfinished = -1;
		LlmContext *ctx;
		LlmCompute	c;
		LlmError	err;
		LlmStatus	s;

		params.trie = trie;
		for (int j = 0; j < k; j++)
		{
			/* as the one-row call: the answer gets what the context has left */
			cap[j] = Min(params.max_tokens, lm->ctx->n_ctx - np[j]);
			n_ctx = Max(n_ctx, np[j] + cap[j]);
		}
		ctx = BeginBatch(lm, k, n_ctx, &c);
		s = StartFromPrefix(lm, ctx, p, np, k, cached, &cache, &err);
		if (s == LLM_OK)
			s = LlmGenerateBatch(ctx, (const int32_t *const *) p, np, cached, cap, k, &params,
								 res, &err);
		if (s == LLM_OK)
		{
			LlmPrefixRemember(lm, ctx, k - 1, p[k - 1], np[k - 1]);
			for (int j = 0; j < k; j++)
				generated += res[j].n_tokens;
		}
		LlmComputeEnd(&c, s, k, prompt_tokens, generated, &cache);
		LlmContextFree(ctx);
		if (s != LLM_OK)
			LlmReportError(s, &err, psprintf("generation with model \"%s\" failed", lm->name));
		/* never half an answer: the first element cut short is the error */
		for (int j = 0; j < k && gp->grammar != NULL && unfinished < 0; j++)
			if (!res[j].grammar_complete)
				unfinished = j;
		if (unfinished >= 0)
		{
			const char *limit = LlmStopLimit(res[unfinished].stop_reason, params.max_tokens,
											 cap[unfinished], params.max_tokens == llm_max_tokens);
			int			n_tokens = res[unfinished].n_tokens;

			for (int j = 0; j < k; j++)
				LlmGenerateResultFree(&res[j]);
			LlmReportUnfinished(lm, todo[first + unfinished] + 1, limit, np[unfinished], n_tokens);
		}
		for (int j = 0; j < k; j++)
		{
			text	   *t = LlmUtf8ToText(res[j].text, res[j].len);

			results[todo[first + j]] = max_words > 0 ? LlmFirstWords(t, max_words) : t;
			LlmGenerateResultFree(&res[j]);
		}
		CHECK_FOR_INTERRUPTS();
	}
}

PG_FUNCTION_INFO_V1(llm_generate_array);

/*
 * llm_generate(prompts text[], model, max_tokens, temperature, top_p,
 * top_k, seed, stop, grammar, json_schema) RETURNS text[]
 */
Datum
llm_generate_array(PG_FUNCTION_ARGS)
{
	LlmGenerateParams gp;
	LlmLoadedModel *lm;
	char	  **inputs;
	int32	  **prompts;
	int		   *n_prompt;
	text	  **results;
	int			n;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	n = LlmArrayInputs(PG_GETARG_ARRAYTYPE_P(0), &inputs);
	LlmSamplingArgs(fcinfo, &gp);
	lm = LlmGetModel(MODEL_ARG(1));
	LlmRequireGenerative(lm);
	prompts = palloc0(sizeof(int32 *) * Max(n, 1));
	n_prompt = palloc0(sizeof(int) * Max(n, 1));
	results = palloc0(sizeof(text *) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		if (inputs[i] == NULL)
			continue;
		LlmCheckInputSize(lm, strlen(inputs[i]), 1);
		prompts[i] = LlmTokenizeOrReport(lm, inputs[i], strlen(inputs[i]), true, false, &n_prompt[i]);
		if (n_prompt[i] == 0)
			ereport(ERROR,
					errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("model \"%s\" cannot continue an empty prompt (element %d)", lm->name, i + 1),
					errdetail("The model adds no beginning-of-text token, so an empty prompt gives it nothing to start from."));
	}
	if (gp.max_tokens == 0 && (gp.grammar == NULL || LlmGrammarAcceptsEmpty(gp.grammar)))
	{
		for (int i = 0; i < n; i++)
			results[i] = inputs[i] ? cstring_to_text("") : NULL;
	}
	else
		LlmGenerateMany(lm, prompts, n_prompt, n, &gp, results, 0);
	PG_RETURN_DATUM(ResultArray(results, n));
}

PG_FUNCTION_INFO_V1(llm_summarize_array);

/* llm_summarize(inputs text[], model, max_words) RETURNS text[] */
Datum
llm_summarize_array(PG_FUNCTION_ARGS)
{
	int			max_words = PG_ARGISNULL(2) ? 60 : PG_GETARG_INT32(2);
	LlmGenerateParams gp;
	LlmLoadedModel *lm;
	char	  **inputs;
	int32	  **prompts;
	int		   *n_prompt;
	text	  **results;
	int			n;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	LlmSummarizeParams(max_words, &gp);
	n = LlmArrayInputs(PG_GETARG_ARRAYTYPE_P(0), &inputs);
	lm = LlmGetModel(MODEL_ARG(1));
	prompts = palloc0(sizeof(int32 *) * Max(n, 1));
	n_prompt = palloc0(sizeof(int) * Max(n, 1));
	results = palloc0(sizeof(text *) * Max(n, 1));
	for (int i = 0; i < n; i++)
		if (inputs[i] != NULL)
			prompts[i] = LlmSummarizePrompt(lm, inputs[i], max_words, &n_prompt[i],
											&gp.think_open);
	LlmGenerateMany(lm, prompts, n_prompt, n, &gp, results, max_words);
	PG_RETURN_DATUM(ResultArray(results, n));
}

static bool
SameContinuations(int32 **a, int *a_len, int32 **b, int *b_len, int n)
{
	for (int c = 0; c < n; c++)
		if (a_len[c] != b_len[c] || memcmp(a[c], b[c], sizeof(int32) * a_len[c]) != 0)
			return false;
	return true;
}

PG_FUNCTION_INFO_V1(llm_classify_array);

/* llm_classify(inputs text[], labels text[], model, instruction) RETURNS text[] */
Datum
llm_classify_array(PG_FUNCTION_ARGS)
{
	LlmLoadedModel *lm;
	char	  **inputs;
	char	  **labels;
	char	  **labels_utf8;
	char	   *instruction;
	int			n_labels;
	int32	  **prompts;
	int		   *n_prompt;
	int32	 ***cont;
	int		  **cont_len;
	int		   *longest;
	bool	   *done;
	text	  **results;
	int			n;
	int			batch = Max(1, llm_batch_size);
	size_t		len;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	n = LlmArrayInputs(PG_GETARG_ARRAYTYPE_P(0), &inputs);
	n_labels = LlmParseLabels(PG_GETARG_ARRAYTYPE_P(1), &labels, &labels_utf8);
	lm = LlmGetModel(MODEL_ARG(2));
	instruction = LlmClassifyInstruction(PG_ARGISNULL(3) ? NULL :
										 LlmTextToUtf8(PG_GETARG_TEXT_PP(3), &len),
										 labels_utf8, n_labels);
	prompts = palloc0(sizeof(int32 *) * Max(n, 1));
	n_prompt = palloc0(sizeof(int) * Max(n, 1));
	cont = palloc0(sizeof(int32 **) * Max(n, 1));
	cont_len = palloc0(sizeof(int *) * Max(n, 1));
	longest = palloc0(sizeof(int) * Max(n, 1));
	done = palloc0(sizeof(bool) * Max(n, 1));
	results = palloc0(sizeof(text *) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		if (inputs[i] == NULL)
		{
			done[i] = true;
			continue;
		}
		prompts[i] = LlmClassifyPrompt(lm, instruction, inputs[i], labels_utf8, n_labels,
									   &n_prompt[i], &cont[i], &cont_len[i], &longest[i]);
	}

	/*
	 * Rows are scored together when their labels tokenize the same after
	 * their prompts, as they do whenever the template ends the prompt the
	 * same way: in practice all rows, llm.batch_size at a time.
	 */
	for (int lead = 0; lead < n;)
	{
		int		   *rows = palloc(sizeof(int) * batch);
		int32	  **p = palloc(sizeof(int32 *) * batch);
		int		   *np = palloc(sizeof(int) * batch);
		int		   *cached = palloc0(sizeof(int) * batch);
		double	   *logprob;
		LlmModelCounters cache = {0};
		int			k = 0;
		int			n_ctx = 0;
		int			branch_rows = 0;
		int			prompt_tokens = 0;
		LlmContext *ctx;
		LlmCompute	c;
		LlmError	err;
		LlmStatus	s;

		if (done[lead])
		{
			lead++;
			continue;
		}
		for (int l = 0; l < n_labels; l++)
			branch_rows += Max(cont_len[lead][l] - 1, 0);
		for (int i = lead; i < n && k < batch; i++)
			if (!done[i] && SameContinuations(cont[lead], cont_len[lead], cont[i], cont_len[i], n_labels))
			{
				rows[k] = i;
				p[k] = prompts[i];
				np[k] = n_prompt[i];
				/* room for every label's branch after the prompt: one pass */
				n_ctx = Max(n_ctx, Min(n_prompt[i] + branch_rows,
									   Max(lm->ctx->n_ctx, n_prompt[i] + longest[i])));
				prompt_tokens += n_prompt[i];
				done[i] = true;
				k++;
			}
		logprob = palloc(sizeof(double) * k * n_labels);
		ctx = BeginBatch(lm, k, n_ctx, &c);
		s = StartFromPrefix(lm, ctx, p, np, k, cached, &cache, &err);
		if (s == LLM_OK)
			s = LlmScoreContinuationsBatch(ctx, (const int32_t *const *) p, np, cached, k,
										   (const int32_t *const *) cont[lead], cont_len[lead],
										   n_labels, logprob, &err);
		if (s == LLM_OK)
			LlmPrefixRemember(lm, ctx, k - 1, p[k - 1], np[k - 1]);
		LlmComputeEnd(&c, s, k, prompt_tokens, 0, &cache);
		LlmContextFree(ctx);
		if (s != LLM_OK)
			LlmReportError(s, &err, psprintf("classification with model \"%s\" failed", lm->name));
		for (int j = 0; j < k; j++)
		{
			int			best = 0;

			/* ties go to the first label, as in the one-row form */
			for (int l = 1; l < n_labels; l++)
				if (logprob[j * n_labels + l] > logprob[j * n_labels + best])
					best = l;
			results[rows[j]] = cstring_to_text(labels[best]);
		}
		CHECK_FOR_INTERRUPTS();
	}
	PG_RETURN_DATUM(ResultArray(results, n));
}

PG_FUNCTION_INFO_V1(llm_embed_array);

/*
 * llm_embed(inputs text[], model) RETURNS TABLE (n int, embedding float4[]):
 * the embedding of every element, with its position (from 1); NULL for a
 * NULL or empty element.  Elements go through the model together,
 * llm.batch_size at a time, each the bits of the one-row llm_embed.
 */
Datum
llm_embed_array(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LlmLoadedModel *lm;
	char	  **inputs;
	int32	  **ids;
	int		   *n_ids;
	int		   *todo;
	float	  **vecs;
	int			n_todo = 0;
	int			n;
	int			n_embd;
	int			batch = Max(1, llm_batch_size);

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0))
		return (Datum) 0;
	n = LlmArrayInputs(PG_GETARG_ARRAYTYPE_P(0), &inputs);
	lm = LlmGetModel(MODEL_ARG(1));
	n_embd = lm->model->hp.n_embd;
	ids = palloc0(sizeof(int32 *) * Max(n, 1));
	n_ids = palloc0(sizeof(int) * Max(n, 1));
	todo = palloc(sizeof(int) * Max(n, 1));
	vecs = palloc0(sizeof(float *) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		if (inputs[i] != NULL)
		{
			LlmCheckInputSize(lm, strlen(inputs[i]), 0);
			ids[i] = LlmTokenizeOrReport(lm, inputs[i], strlen(inputs[i]), true, false, &n_ids[i]);
		}
		if (n_ids[i] > 0)
		{
			LlmCheckFits(lm, n_ids[i], 0);
			todo[n_todo++] = i;
		}
	}

	for (int first = 0; first < n_todo; first += batch)
	{
		int			k = Min(batch, n_todo - first);
		int32	  **p;
		int		   *np;
		int			tokens = TakeBatch(ids, n_ids, todo, first, k, &p, &np);
		float	   *out = palloc(sizeof(float) * k * n_embd);
		int			n_ctx = 0;
		LlmContext *ctx;
		LlmCompute	c;
		LlmError	err;
		LlmStatus	s;

		for (int j = 0; j < k; j++)
			n_ctx = Max(n_ctx, np[j]);
		ctx = BeginBatch(lm, k, n_ctx, &c);
		s = LlmEmbedBatch(ctx, (const int32_t *const *) p, np, k, out, &err);
		LlmComputeEnd(&c, s, k, tokens, 0, NULL);
		LlmContextFree(ctx);
		if (s != LLM_OK)
			LlmReportError(s, &err, psprintf("embedding with model \"%s\" failed", lm->name));
		for (int j = 0; j < k; j++)
			vecs[todo[first + j]] = out + (size_t) j * n_embd;
		CHECK_FOR_INTERRUPTS();
	}

	for (int i = 0; i < n; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, vecs[i] == NULL};

		values[0] = Int32GetDatum(i + 1);
		values[1] = (Datum) 0;
		if (vecs[i] != NULL)
		{
			Datum	   *elems = palloc(sizeof(Datum) * n_embd);

			for (int j = 0; j < n_embd; j++)
				elems[j] = Float4GetDatum(vecs[i][j]);
			values[1] = PointerGetDatum(construct_array(elems, n_embd, FLOAT4OID, sizeof(float4),
														true, TYPALIGN_INT));
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
