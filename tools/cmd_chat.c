/*-------------------------------------------------------------------------
 *
 * cmd_chat.c
 *	  llm-cli chat MODEL [--system S] --user U [--template T] [--prompt-only]
 *	  [-n N] [--temp T] [--seed S]: render a one-turn conversation with the
 *	  model's chat template, then generate the answer.
 *
 * --prompt-only prints the rendered prompt and its tokens instead of
 * generating; it also works on vocabulary-only GGUF files.  --template
 * overrides the model's template (a family name such as "chatml" or a
 * Jinja text).
 *
 *-------------------------------------------------------------------------
 */
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

int
CliChat(int argc, char **argv)
{
	const char *system = CliOpt(argc, argv, "--system", NULL);
	const char *user = CliOpt(argc, argv, "--user", NULL);
	const char *tmpl = CliOpt(argc, argv, "--template", NULL);
	const char *v;
	LlmChatMessage msgs[2];
	int			n_msgs = 0;
	LlmChatResult r;
	LlmChatOptions opts = {0};
	LlmGenerateParams gp = {0};
	LlmGenerateResult res;
	LlmModel   *m = NULL;
	GgufFile   *gguf = NULL;
	LlmVocab   *vocab = NULL;
	LlmContext *ctx;
	LlmError	err;
	int32_t    *ids;
	int			n;
	int			rc = 0;
	bool		prompt_only = CliFlag(argc, argv, "--prompt-only");
	LlmStatus	s;

	if (argc < 1 || user == NULL)
	{
		fprintf(stderr, "llm-cli: chat needs MODEL --user TEXT\n");
		return 2;
	}
	if (system != NULL)
		msgs[n_msgs++] = (LlmChatMessage) {"system", system};
	msgs[n_msgs++] = (LlmChatMessage) {"user", user};

	/* the prompt alone needs only the tokenizer */
	if (prompt_only)
	{
		if (GgufOpen(argv[0], &gguf, &err) != LLM_OK)
			return CliFail(&err);
		if (LlmVocabLoad(gguf, &vocab, &err) != LLM_OK)
		{
			GgufClose(gguf);
			return CliFail(&err);
		}
	}
	else
	{
		if (LlmModelLoad(argv[0], &m, &err) != LLM_OK)
			return CliFail(&err);
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
		LlmSamplerDefaults(&gp.sampling);
		gp.max_tokens = (v = CliOpt(argc, argv, "-n", NULL)) ? atoi(v) : 256;
		if ((v = CliOpt(argc, argv, "--temp", NULL)))
			gp.sampling.temperature = strtof(v, NULL);
		if ((v = CliOpt(argc, argv, "--seed", NULL)))
			gp.sampling.seed = strtoull(v, NULL, 10);
		fprintf(stderr, "[template %s%s, %d prompt tokens]\n", r.family_name,
				r.fallback ? " (fallback)" : "", n);
		if (LlmContextCreate(m, n + gp.max_tokens + 1, 0, &ctx, &err) != LLM_OK)
			rc = CliFail(&err);
		else
		{
			if (LlmGenerate(ctx, ids, n, &gp, &res, &err) != LLM_OK)
				rc = CliFail(&err);
			else
			{
				printf("%s\n", res.text);
				fprintf(stderr, "[%d tokens, stop: %s]\n", res.n_tokens, res.stop_reason);
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
	return rc;
}
