/*-------------------------------------------------------------------------
 *
 * llm_chat.c
 *	  SQL functions that talk to a model through its chat template:
 *	  llm_chat, llm_summarize, llm_classify, llm_classify_scores.
 *
 *-------------------------------------------------------------------------
 */
#include "llm.h"

#include <ctype.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "chat.h"
#include "scoring.h"

#define MODEL_ARG(n) (PG_ARGISNULL(n) ? NULL : PG_GETARG_TEXT_PP(n))

/* A string member of a JSON object, or NULL (error if not a string). */
static char *
JsonbMemberString(JsonbContainer *obj, const char *key, int index)
{
	JsonbValue	v;
	char	   *s;

	if (getKeyJsonValueFromContainer(obj, key, strlen(key), &v) == NULL)
		return NULL;
	if (v.type != jbvString)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("message %d: \"%s\" must be a string", index + 1, key));
	s = pnstrdup(v.val.string.val, v.val.string.len);
	return (char *) pg_server_to_any(s, strlen(s), PG_UTF8);
}

/* [{"role": ..., "content": ...}, ...] as engine messages (UTF-8). */
static LlmChatMessage *
ParseMessages(Jsonb *jb, int *n)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	LlmChatMessage *msgs;
	int			count = 0;

	if (!JB_ROOT_IS_ARRAY(jb) || JB_ROOT_IS_SCALAR(jb))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("messages must be a JSON array of {\"role\": ..., \"content\": ...} objects"));
	*n = JB_ROOT_COUNT(jb);
	if (*n == 0)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("messages must not be empty"));
	msgs = palloc0(sizeof(LlmChatMessage) * *n);

	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *role;
		char	   *content;

		if (tok != WJB_ELEM)
			continue;
		if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
			ereport(ERROR,
					errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("message %d is not a JSON object", count + 1));
		role = JsonbMemberString(v.val.binary.data, "role", count);
		content = JsonbMemberString(v.val.binary.data, "content", count);
		if (role == NULL || content == NULL)
			ereport(ERROR,
					errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("message %d needs both \"role\" and \"content\"", count + 1));
		if (strcmp(role, "system") != 0 && strcmp(role, "user") != 0 &&
			strcmp(role, "assistant") != 0)
		{
			/* at most 64 bytes of it: a role may be a megabyte of text */
			int			len = strlen(role);
			int			shown = pg_encoding_mbcliplen(PG_UTF8, role, len, 64);

			ereport(ERROR,
					errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("message %d has role \"%s%s\"", count + 1,
						   pg_any_to_server(pnstrdup(role, shown), shown, PG_UTF8),
						   shown < len ? "..." : ""),
					errhint("Roles are \"system\", \"user\" and \"assistant\"."));
		}
		msgs[count].role = role;
		msgs[count].content = content;
		count++;
	}
	*n = count;
	return msgs;
}

/*
 * The conversation rendered with the model's template and tokenized with
 * special tokens recognised.  *rendered (UTF-8, palloc'd) is the text and
 * *add_bos whether tokenizing it adds BOS (the template may hold it).
 */
int32 *
LlmChatPrompt(LlmLoadedModel *lm, const LlmChatMessage *msgs, int n, char **rendered,
		   bool *add_bos, int *n_tokens, bool *think_open)
{
	LlmChatResult res;
	LlmError	err;
	LlmStatus	s;
	int32	   *ids;
	size_t		bytes = 0;

	LlmRequireGenerative(lm);

	/*
	 * Refuse messages too long to fit before rendering and tokenizing
	 * them.  A template may trim a message, never change its inside: count
	 * from its first to its last printable ASCII character.
	 */
	for (int i = 0; i < n; i++)
	{
		const char *c = msgs[i].content;
		size_t		len = strlen(c);
		size_t		first = 0;

		while (first < len && (c[first] <= ' ' || c[first] > '~'))
			first++;
		while (len > first && (c[len - 1] <= ' ' || c[len - 1] > '~'))
			len--;
		bytes += len - first;
	}
	LlmCheckInputSize(lm, bytes, 0);

	s = LlmChatRenderModelAs(lm->model->gguf, lm->model->vocab,
							 lm->options.chat_template[0] ? lm->options.chat_template : NULL,
							 msgs, n, true, &res, &err);
	if (s != LLM_OK)
		LlmReportError(s, &err, psprintf("could not render the chat template of model \"%s\"", lm->name));
	/* said once per backend and model, not once per row of a query */
	if (res.unknown && !lm->warned_template)
	{
		lm->warned_template = true;
		ereport(NOTICE,
				errmsg("the chat template of model \"%s\" is not one llm knows; using ChatML", lm->name),
				errhint("Known families: ChatML, Llama 2, Llama 3, Mistral, Zephyr, Phi-3, Phi-4, Qwen 3, Gemma."));
	}
	*rendered = pnstrdup(res.text, res.len);
	*add_bos = !res.bos_in_text;
	if (think_open != NULL)
		*think_open = res.think_open;
	LlmChatResultFree(&res);
	ids = LlmTokenizeOrReport(lm, *rendered, strlen(*rendered), *add_bos, true, n_tokens);
	return ids;
}

/* llm_chat and llm_chat_details: details NULL for the first */
static text *
Chat(FunctionCallInfo fcinfo, LlmCallDetails *details)
{
	LlmGenerateParams gp;
	LlmLoadedModel *lm;
	LlmChatMessage *msgs;
	char	   *rendered;
	bool		add_bos;
	int			n_msgs;
	int32	   *ids;
	int			n;

	LlmSamplingArgs(fcinfo, &gp);
	msgs = ParseMessages(PG_GETARG_JSONB_P(0), &n_msgs);
	lm = LlmGetModel(MODEL_ARG(1));
	ids = LlmChatPrompt(lm, msgs, n_msgs, &rendered, &add_bos, &n, &gp.think_open);
	/* a model that reasons anyway: its <think> block is not the answer */
	gp.strip_think = true;
	{
		const char **contents = palloc(sizeof(char *) * n_msgs);

		for (int i = 0; i < n_msgs; i++)
			contents[i] = msgs[i].content;
		LlmCheckFitsInput(lm, n, 1, contents, n_msgs);
	}
	if (details != NULL)
		details->capped = LlmCappedMaxTokens(fcinfo);
	return LlmGenerateText(lm, ids, n, &gp, details);
}

PG_FUNCTION_INFO_V1(llm_chat);

Datum
llm_chat(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(Chat(fcinfo, NULL));
}

PG_FUNCTION_INFO_V1(llm_chat_details);

Datum
llm_chat_details(PG_FUNCTION_ARGS)
{
	LlmCallDetails d;
	text	   *out;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	out = Chat(fcinfo, &d);
	PG_RETURN_DATUM(LlmDetailsRow(fcinfo, out, &d));
}

/* The first max_words whitespace-separated words of s. */
text *
LlmFirstWords(text *t, int max_words)
{
	char	   *s = text_to_cstring(t);
	char	   *p = s;
	int			words = 0;

	while (*p)
	{
		while (*p && isspace((unsigned char) *p))
			p++;
		if (*p == '\0')
			break;
		if (++words > max_words)
			break;
		while (*p && !isspace((unsigned char) *p))
			p++;
	}
	*p = '\0';
	/* drop the whitespace before the cut */
	while (p > s && isspace((unsigned char) p[-1]))
		*--p = '\0';
	p = s;
	while (*p && isspace((unsigned char) *p))
		p++;
	return cstring_to_text(p);
}

/* The prompt of a summary of input (UTF-8) in at most max_words words. */
int32 *
LlmSummarizePrompt(LlmLoadedModel *lm, const char *input, int max_words, int *n_tokens,
				   bool *think_open)
{
	LlmChatMessage msgs[2];
	char	   *rendered;
	bool		add_bos;
	int32	   *ids;

	msgs[0].role = "system";
	msgs[0].content = "You are a helpful assistant who writes short, faithful summaries.";
	msgs[1].role = "user";
	msgs[1].content = psprintf("Summarize the following text in at most %d words.\n\n%s",
							   max_words, input);
	ids = LlmChatPrompt(lm, msgs, 2, &rendered, &add_bos, n_tokens, think_open);
	LlmCheckFitsInput(lm, *n_tokens, 1, &input, 1);
	return ids;
}

/* The sampling of a summary: greedy; a word is rarely more than three tokens. */
void
LlmSummarizeParams(int max_words, LlmGenerateParams *gp)
{
	if (max_words < 1)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("max_words must be at least 1"));
	memset(gp, 0, sizeof(*gp));
	LlmSamplerDefaults(&gp->sampling);
	gp->max_tokens = Min(llm_max_tokens, 3 * max_words + 8);
	/* a model that reasons anyway: its <think> block is not the summary */
	gp->strip_think = true;
}

PG_FUNCTION_INFO_V1(llm_summarize);

Datum
llm_summarize(PG_FUNCTION_ARGS)
{
	int			max_words = PG_ARGISNULL(2) ? 60 : PG_GETARG_INT32(2);
	LlmGenerateParams gp;
	LlmLoadedModel *lm;
	size_t		len;
	int32	   *ids;
	int			n;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	LlmSummarizeParams(max_words, &gp);
	lm = LlmGetModel(MODEL_ARG(1));
	ids = LlmSummarizePrompt(lm, LlmTextToUtf8(PG_GETARG_TEXT_PP(0), &len), max_words, &n,
							 &gp.think_open);
	PG_RETURN_TEXT_P(LlmFirstWords(LlmGenerateText(lm, ids, n, &gp, NULL), max_words));
}

/*
 * The labels argument: non-empty, distinct, no NULL.  Returns their count;
 * *labels (database encoding) and *labels_utf8 get them.
 */
int
LlmParseLabels(ArrayType *arr, char ***labels_out, char ***labels_utf8_out)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n_labels;
	char	  **labels;
	char	  **labels_utf8;
	size_t		len;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("labels must be a one-dimensional array"));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n_labels);
	if (n_labels == 0)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("labels must not be empty"));
	labels = palloc(sizeof(char *) * n_labels);
	labels_utf8 = palloc(sizeof(char *) * n_labels);
	for (int i = 0; i < n_labels; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					errmsg("labels must not contain NULL"));
		labels[i] = TextDatumGetCString(elems[i]);
		if (labels[i][0] == '\0')
			ereport(ERROR,
					errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("labels must not be empty strings"));
		for (int j = 0; j < i; j++)
			if (strcmp(labels[i], labels[j]) == 0)
				ereport(ERROR,
						errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("label \"%s\" appears more than once", labels[i]));
		labels_utf8[i] = LlmTextToUtf8(DatumGetTextPP(elems[i]), &len);
	}
	*labels_out = labels;
	*labels_utf8_out = labels_utf8;
	return n_labels;
}

/* The system message of a classification: instruction (UTF-8) or ours. */
char *
LlmClassifyInstruction(const char *instruction, char **labels_utf8, int n_labels)
{
	StringInfoData buf;

	if (instruction != NULL)
		return pstrdup(instruction);
	initStringInfo(&buf);
	appendStringInfoString(&buf, "Classify the text into exactly one of these categories: ");
	for (int i = 0; i < n_labels; i++)
		appendStringInfo(&buf, "%s%s", i ? ", " : "", labels_utf8[i]);
	appendStringInfoString(&buf, ". Reply with the category only.");
	return buf.data;
}

/*
 * The prompt of classifying input (UTF-8), and each label's continuation:
 * its tokens as the model would write them after the prompt, then the
 * end-of-turn token.  Returns the prompt; *longest is the longest
 * continuation.  A prompt that leaves no room for it in the context is an
 * error here.
 */
int32 *
LlmClassifyPrompt(LlmLoadedModel *lm, const char *instruction, const char *input,
				  char **labels_utf8, int n_labels, int *n_prompt,
				  int32 ***cont_out, int **cont_len_out, int *longest)
{
	LlmChatMessage msgs[2];
	char	   *rendered;
	bool		add_bos;
	int32	   *prompt;
	int32	  **cont;
	int		   *cont_len;
	int32		end;

	msgs[0].role = "system";
	msgs[0].content = (char *) instruction;
	msgs[1].role = "user";
	msgs[1].content = (char *) input;
	prompt = LlmChatPrompt(lm, msgs, 2, &rendered, &add_bos, n_prompt, NULL);

	/*
	 * A label's tokens are those the model would write: tokenize the prompt
	 * text with the label appended and keep what follows the prompt, unless
	 * the label merged into the prompt's last token, then the label alone.
	 */
	end = lm->model->vocab->eot_id >= 0 ? lm->model->vocab->eot_id : lm->model->vocab->eos_id;
	cont = palloc(sizeof(int32 *) * n_labels);
	cont_len = palloc(sizeof(int) * n_labels);
	*longest = 0;
	for (int i = 0; i < n_labels; i++)
	{
		char	   *joined = psprintf("%s%s", rendered, labels_utf8[i]);
		int			n_joined;
		int32	   *ids = LlmTokenizeOrReport(lm, joined, strlen(joined), add_bos, true,
											  &n_joined);

		if (n_joined <= *n_prompt || memcmp(ids, prompt, sizeof(int32) * *n_prompt) != 0)
		{
			ids = LlmTokenizeOrReport(lm, labels_utf8[i], strlen(labels_utf8[i]), false, false, &n_joined);
			cont[i] = repalloc(ids, sizeof(int32) * (n_joined + 1));
			cont_len[i] = n_joined;
		}
		else
		{
			cont[i] = palloc(sizeof(int32) * (n_joined - *n_prompt + 1));
			memcpy(cont[i], ids + *n_prompt, sizeof(int32) * (n_joined - *n_prompt));
			cont_len[i] = n_joined - *n_prompt;
		}
		if (end >= 0)
			cont[i][cont_len[i]++] = end;
		*longest = Max(*longest, cont_len[i]);
	}
	LlmCheckFitsInput(lm, *n_prompt, *longest, &input, 1);
	*cont_out = cont;
	*cont_len_out = cont_len;
	return prompt;
}

/*
 * Log-probability of each label as the model's answer: the prompt asks for
 * one of the labels, and each label is scored as the text of the
 * assistant's turn followed by its end-of-turn token.  Returns the number
 * of labels; *labels_out gets them (database encoding).
 */
static int
ClassifyLogProbs(FunctionCallInfo fcinfo, char ***labels_out, double **logprob_out)
{
	LlmLoadedModel *lm;
	int			n_labels;
	char	  **labels;
	char	  **labels_utf8;
	char	   *instruction;
	int32	   *prompt;
	int			n_prompt;
	int32	  **cont;
	int		   *cont_len;
	int			longest;
	int			cached;
	double	   *logprob;
	LlmModelCounters cache = {0};
	LlmCompute	c;
	LlmError	err;
	LlmStatus	s;
	size_t		len;

	n_labels = LlmParseLabels(PG_GETARG_ARRAYTYPE_P(1), &labels, &labels_utf8);
	lm = LlmGetModel(MODEL_ARG(2));
	instruction = LlmClassifyInstruction(PG_ARGISNULL(3) ? NULL :
										 LlmTextToUtf8(PG_GETARG_TEXT_PP(3), &len),
										 labels_utf8, n_labels);
	prompt = LlmClassifyPrompt(lm, instruction, LlmTextToUtf8(PG_GETARG_TEXT_PP(0), &len),
							   labels_utf8, n_labels, &n_prompt, &cont, &cont_len, &longest);

	logprob = palloc(sizeof(double) * n_labels);
	LlmComputeBegin(lm, lm->ctx, &c);
	cached = LlmPrefixLoad(lm, lm->ctx, 0, prompt, n_prompt, &cache);
	s = LlmScoreContinuationsBatch(lm->ctx, (const int32_t *const *) &prompt, &n_prompt, &cached, 1,
								   (const int32_t *const *) cont, cont_len, n_labels, logprob, &err);
	if (s == LLM_OK)
		LlmPrefixRemember(lm, lm->ctx, 0, prompt, n_prompt);
	LlmComputeEnd(&c, s, 1, n_prompt, 0, &cache);
	if (s != LLM_OK)
		LlmReportError(s, &err, psprintf("classification with model \"%s\" failed", lm->name));
	*labels_out = labels;
	*logprob_out = logprob;
	return n_labels;
}

PG_FUNCTION_INFO_V1(llm_classify);

Datum
llm_classify(PG_FUNCTION_ARGS)
{
	char	  **labels;
	double	   *logprob;
	int			n;
	int			best = 0;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	n = ClassifyLogProbs(fcinfo, &labels, &logprob);
	/* ties go to the first label */
	for (int i = 1; i < n; i++)
		if (logprob[i] > logprob[best])
			best = i;
	PG_RETURN_TEXT_P(cstring_to_text(labels[best]));
}

PG_FUNCTION_INFO_V1(llm_classify_scores);

Datum
llm_classify_scores(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	  **labels;
	double	   *logprob;
	double		max;
	double		sum = 0;
	int			n;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		return (Datum) 0;
	n = ClassifyLogProbs(fcinfo, &labels, &logprob);

	/* softmax over the labels, in the order given */
	max = logprob[0];
	for (int i = 1; i < n; i++)
		max = Max(max, logprob[i]);
	for (int i = 0; i < n; i++)
		sum += exp(logprob[i] - max);
	for (int i = 0; i < n; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = CStringGetTextDatum(labels[i]);
		values[1] = Float8GetDatum(exp(logprob[i] - max) / sum);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
