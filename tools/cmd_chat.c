/*-------------------------------------------------------------------------
 *
 * cmd_chat.c
 *	  llm-cli chat MODEL [--system S] --user U [--template T] [--prompt-only]
 *	  [-n N] [sampling options]: render a one-turn conversation with the
 *	  model's chat template, then generate the answer.
 *
 * --prompt-only prints the rendered prompt and its tokens instead of
 * generating; it also works on vocabulary-only GGUF files.  --template
 * overrides the model's template (a family name such as "chatml" or a
 * Jinja text).  A --template of no family the engine knows is an error
 * listing the names: the model's own template falls back to ChatML when
 * unrecognised, but a template asked for by name should not.
 *
 *-------------------------------------------------------------------------
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"
#include "cli.h"
#include "generate.h"
#include "model.h"

static void
PrintPrompt(const LlmChatResult *r, const LlmVocab *vocab, const int32_t *ids, int n)
{
	printf("template: %s%s%s, BOS %s\n", r->family_name,
		   r->unknown ? " (template not recognised: fallback)" : r->fallback ? " (no template: fallback)" : "",
		   r->system_merged ? ", system merged into the first user message" : "",
		   r->bos_in_text ? "in the text" : "added by the tokenizer if the model wants it");
	printf("---\n%s\n---\n%d tokens:", r->text, n);
	for (int i = 0; i < n; i++)
		printf(" %d", ids[i]);
	printf("\n");
	(void) vocab;
}

/* The template family names, for --template's usage and errors. */
static const char *
ChatFamilyName(int i)
{
	return i < LLM_CHAT_FAMILY_COUNT ? LlmChatFamilyName((LlmChatFamily) i) : NULL;
}

static int
CliChat(const CliArgs *args)
{
	const char *path = args->pos[0];
	const char *system = CliGet(args, "--system");
	const char *user = CliGet(args, "--user");
	const char *tmpl = CliGet(args, "--template");
	LlmChatMessage msgs[2];
	int			n_msgs = 0;
	LlmChatResult r;
	LlmChatOptions opts = {0};
	LlmChatFamily family;
	LlmGenerateParams gp = {0};
	LlmGenerateResult res;
	LlmGrammar *grammar = NULL;
	LlmModel   *m = NULL;
	GgufFile   *gguf = NULL;
	LlmVocab   *vocab = NULL;
	LlmContext *ctx;
	LlmError	err;
	int32_t    *ids;
	int			n;
	int			rc = 0;
	bool		prompt_only = CliHas(args, "--prompt-only");
	LlmStatus	s;

	LlmSamplerDefaults(&gp.sampling);
	if (!CliGetInt(args, "-n", 256, 0, INT_MAX, &gp.max_tokens) || !CliGetSampling(args, &gp))
		return 2;
	/* checked before anything loads, even with --prompt-only */
	if ((rc = CliGetGrammar(args, &grammar)) != 0)
		return rc;
	gp.grammar = grammar;
	if (tmpl != NULL && !LlmChatDetect(tmpl, &family))
	{
		fprintf(stderr, "llm-cli chat: unknown --template \"%.60s%s\": give one of ", tmpl,
				strlen(tmpl) > 60 ? "..." : "");
		CliPrintNames(stderr, ChatFamilyName);
		fprintf(stderr, ", or a Jinja template of one of those families\n");
		LlmGrammarFree(grammar);
		return 2;
	}
	if (system != NULL)
		msgs[n_msgs++] = (LlmChatMessage) {"system", system};
	msgs[n_msgs++] = (LlmChatMessage) {"user", user};

	/* the prompt alone needs only the tokenizer */
	if (prompt_only)
	{
		if (CliOpenGguf(path, &gguf, &err) != LLM_OK)
		{
			LlmGrammarFree(grammar);
			return CliFail(&err);
		}
		if (LlmVocabLoad(gguf, &vocab, &err) != LLM_OK)
		{
			GgufClose(gguf);
			LlmGrammarFree(grammar);
			return CliFail(&err);
		}
	}
	else
	{
		if (CliLoadModel(path, &m, &err) != LLM_OK)
		{
			LlmGrammarFree(grammar);
			return CliFail(&err);
		}
		gguf = m->gguf;
		vocab = m->vocab;
	}

	if (tmpl != NULL)
	{
		char		bos[256] = "";
		char		eos[256] = "";

		if (vocab->bos_id >= 0)
			snprintf(bos, sizeof(bos), "%.*s", (int) vocab->text[vocab->bos_id].len,
					 vocab->text[vocab->bos_id].data);
		if (vocab->eos_id >= 0)
			snprintf(eos, sizeof(eos), "%.*s", (int) vocab->text[vocab->eos_id].len,
					 vocab->text[vocab->eos_id].data);
		opts.bos_token = bos;
		opts.eos_token = eos;
		s = LlmChatRender(tmpl, &opts, msgs, n_msgs, true, &r, &err);
	}
	else
		s = LlmChatRenderModel(gguf, vocab, msgs, n_msgs, true, &r, &err);
	if (s == LLM_OK &&
		LlmTokenize(vocab, r.text, r.len, !r.bos_in_text, true, &ids, &n, &err) != LLM_OK)
	{
		LlmChatResultFree(&r);
		s = LLM_ERR_ARGUMENT;
	}
	if (s != LLM_OK)
	{
		rc = CliFail(&err);
		goto done;
	}

	if (prompt_only)
		PrintPrompt(&r, vocab, ids, n);
	else
	{
		fprintf(stderr, "[template %s%s, %d prompt tokens]\n", r.family_name,
				r.fallback ? " (fallback)" : "", n);
		/* as generate: -n is capped by the model's context */
		if (LlmContextCreate(m, CliContextSize(n, gp.max_tokens, m->hp.n_ctx_train), 0, &ctx,
							 &err) != LLM_OK)
			rc = CliFail(&err);
		else
		{
			if (LlmGenerate(ctx, ids, n, &gp, &res, &err) != LLM_OK)
				rc = CliFail(&err);
			else
			{
				printf("%s\n", res.text);
				fprintf(stderr, "[%d tokens, stop: %s]\n", res.n_tokens, res.stop_reason);
				rc = CliCheckGrammarResult(grammar, &res);
				LlmGenerateResultFree(&res);
			}
			LlmContextFree(ctx);
		}
	}
	free(ids);
	LlmChatResultFree(&r);

done:
	if (m != NULL)
		LlmModelFree(m);
	else
	{
		LlmVocabFree(vocab);
		GgufClose(gguf);
	}
	LlmGrammarFree(grammar);
	return rc;
}

static const CliOption chat_options[] = {
	{"--user", "TEXT", "the user's message", true, NULL},
	{"--system", "TEXT", "a system prompt", false, NULL},
	{"--template", "NAME", "chat template: a family name or a Jinja text (default: the model's own)",
	false, ChatFamilyName},
	{"--prompt-only", NULL, "print the rendered prompt and its tokens; works on vocabulary-only files", false, NULL},
	{"-n", "N", "tokens to generate at most, >= 0 (default 256; no more than the model's context holds)", false, NULL},
	{NULL}
};

const CliCommand cli_chat = {
	"chat", "MODEL", 1,
	"answer one user message, rendered with the model's chat template",
	chat_options, true, CliChat
};
