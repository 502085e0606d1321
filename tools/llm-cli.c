/*-------------------------------------------------------------------------
 *
 * llm-cli.c
 *	  Command-line front end of the engine: debugging, parity checks and
 *	  benchmarks outside the database.  This file holds the dispatcher and
 *	  the small commands; larger ones live in cmd_*.c.
 *
 * The usage text is printed from the commands' descriptions (cli.h), so
 * that it lists every option and every name an option accepts (synth
 * shapes and types, bench-kernels types, chat templates) as the commands
 * themselves check them.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "generate.h"
#include "kernels.h"
#include "model.h"

int
CliFail(const LlmError *err)
{
	fputs("llm-cli: ", stderr);
	CliPrintEscaped(stderr, err->message, strlen(err->message), '\0');
	fputc('\n', stderr);
	return 1;
}

double
CliNow(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int
CliTokenize(const CliArgs *args)
{
	const char *text = args->pos[1];
	LlmModel   *m;
	LlmError	err;
	int32_t    *ids;
	int			n;
	bool		pieces = CliHas(args, "--pieces");

	if (CliLoadModel(args->pos[0], &m, &err) != LLM_OK)
		return CliFail(&err);
	if (LlmTokenize(m->vocab, text, strlen(text), !CliHas(args, "--no-bos"),
					CliHas(args, "--special"), &ids, &n, &err) != LLM_OK)
	{
		LlmModelFree(m);
		return CliFail(&err);
	}
	for (int i = 0; i < n; i++)
	{
		if (pieces)
		{
			GgufString	t = m->vocab->text[ids[i]];

			/* a token's text comes from the file: escaped, one a line */
			printf("%6d -> ", ids[i]);
			CliPrintEscaped(stdout, t.data, t.len, '\'');
			putchar('\n');
		}
		else
			printf("%s%d", i ? " " : "", ids[i]);
	}
	if (!pieces)
		printf("\n");
	free(ids);
	LlmModelFree(m);
	return 0;
}

static const CliOption tokenize_options[] = {
	{"--no-bos", NULL, "without the beginning-of-text token the model would add", false, NULL},
	{"--pieces", NULL, "one token a line, with its text", false, NULL},
	{"--special", NULL, "read special tokens written in TEXT (\"<s>\") as such", false, NULL},
	{NULL}
};

const CliCommand cli_tokenize = {
	"tokenize", "MODEL TEXT", 2,
	"token ids of TEXT with the model's tokenizer",
	tokenize_options, false, CliTokenize
};

/*
 * Parse "1,2,3" (token ids written as the options write integers, at most
 * CLI_MAX_CTX of them: one context) into a malloc'd array; NULL if the text
 * is not such a list, or on out of memory (*oom).
 */
static int32_t *
ParseIds(const char *s, int *n, bool *oom)
{
	size_t		count = 1;
	int32_t    *ids;

	*n = 0;
	*oom = false;
	for (const char *c = s; *c; c++)
		count += *c == ',';
	if (count > CLI_MAX_CTX || (ids = malloc(sizeof(int32_t) * count)) == NULL)
	{
		*oom = count <= CLI_MAX_CTX;
		return NULL;
	}
	for (;;)
	{
		size_t		len = strcspn(s, ",");
		long long	v;

		/* an empty item too ("1,", ",1", "1,,2") is an error */
		if (!CliParseInteger(s, len, 0, INT32_MAX, &v))
		{
			free(ids);
			return NULL;
		}
		ids[(*n)++] = (int32_t) v;
		if (s[len] == '\0')
			return ids;
		s += len + 1;
	}
}

static int
CliLogits(const CliArgs *args)
{
	const char *out = CliGet(args, "--out");
	LlmModel   *m = NULL;
	LlmContext *ctx = NULL;
	LlmError	err;
	int32_t    *ids;
	int			n;
	bool		oom;
	float	   *logits = NULL;
	FILE	   *f;
	CliPathText shown;
	int			rc = 1;

	ids = ParseIds(CliGet(args, "--tokens"), &n, &oom);
	if (ids == NULL && !oom)
		return CliUsageError(args, "--tokens must be a comma-separated list of at most "
							 CLI_STR(CLI_MAX_CTX) " token ids (integers >= 0), not \"%s\"",
							 CliGet(args, "--tokens"));
	if (ids == NULL)
		fprintf(stderr, "llm-cli: out of memory\n");
	else if (CliLoadModel(args->pos[0], &m, &err) != LLM_OK ||
			 LlmContextCreate(m, n, n, &ctx, &err) != LLM_OK)
		CliFail(&err);
	else if ((logits = malloc(sizeof(float) * n * m->hp.n_vocab)) == NULL)
		fprintf(stderr, "llm-cli: out of memory\n");
	else if (LlmDecode(ctx, ids, n, logits, true, &err) != LLM_OK)
		CliFail(&err);
	else if ((f = fopen(out, "wb")) == NULL)
		fprintf(stderr, "llm-cli: cannot create %s: %s\n", CliShortPath(out, &shown),
				strerror(errno));
	else
	{
		size_t		count = (size_t) n * m->hp.n_vocab;
		bool		written = fwrite(logits, sizeof(float), count, f) == count;

		/* fclose flushes: it can fail too */
		if (fclose(f) != 0 || !written)
			fprintf(stderr, "llm-cli: cannot write %s: %s\n", CliShortPath(out, &shown),
					strerror(errno));
		else
		{
			printf("wrote %s: %d x %d float32\n", out, n, m->hp.n_vocab);
			rc = 0;
		}
	}
	free(logits);
	free(ids);
	LlmContextFree(ctx);
	LlmModelFree(m);
	return rc;
}

static const CliOption logits_options[] = {
	{"--tokens", "IDS", "comma-separated token ids (\"1,2,3\"), decoded as one batch", true, NULL},
	{"--out", "FILE", "where to write the logits", true, NULL},
	{NULL}
};

const CliCommand cli_logits = {
	"logits", "MODEL", 1,
	"raw float32 logits [n_tokens][n_vocab] of every position, into a file",
	logits_options, false, CliLogits
};

static int
CliGenerate(const CliArgs *args)
{
	const char *prompt = CliGet(args, "--prompt");
	LlmGenerateParams gp = {0};
	LlmGenerateResult res;
	LlmGrammar *grammar = NULL;
	LlmModel   *m = NULL;
	LlmContext *ctx = NULL;
	LlmError	err;
	int32_t    *ids = NULL;
	int			n;
	int			n_ctx;
	double		t0;
	int			rc = 1;
	int			grammar_rc = 0;

	LlmSamplerDefaults(&gp.sampling);
	if (!CliGetInt(args, "-n", 128, 0, INT_MAX, &gp.max_tokens) ||
		!CliGetInt(args, "--ctx", 0, 0, CLI_MAX_CTX, &n_ctx) ||
		!CliGetSampling(args, &gp))
		return 2;
	if ((grammar_rc = CliGetGrammar(args, &grammar)) != 0)
		return grammar_rc;
	gp.grammar = grammar;

	if (CliLoadModel(args->pos[0], &m, &err) != LLM_OK ||
		LlmTokenize(m->vocab, prompt, strlen(prompt), true, false, &ids, &n, &err) != LLM_OK)
		goto fail;
	if (n_ctx == 0)
		n_ctx = CliContextSize(n, gp.max_tokens, m->hp.n_ctx_train);
	if (LlmContextCreate(m, n_ctx, 0, &ctx, &err) != LLM_OK)
		goto fail;
	t0 = CliNow();
	if (LlmGenerate(ctx, ids, n, &gp, &res, &err) != LLM_OK)
		goto fail;
	printf("%s\n", res.text);
	fprintf(stderr, "[%d prompt + %d generated tokens in %.3f s, stop: %s]\n",
			res.n_prompt, res.n_tokens, CliNow() - t0, res.stop_reason);
	if (CliHas(args, "--show-tokens"))
	{
		fprintf(stderr, "tokens:");
		for (int i = 0; i < res.n_tokens; i++)
			fprintf(stderr, " %d", res.tokens[i]);
		fprintf(stderr, "\n");
	}
	grammar_rc = CliCheckGrammarResult(grammar, &res);
	LlmGenerateResultFree(&res);
	rc = 0;

fail:
	if (rc != 0)
		CliFail(&err);
	free(ids);
	LlmContextFree(ctx);
	LlmModelFree(m);
	LlmGrammarFree(grammar);
	return rc != 0 ? rc : grammar_rc;
}

static const CliOption generate_options[] = {
	{"--prompt", "TEXT", "the text to continue", true, NULL},
	{"-n", "N", "tokens to generate at most, >= 0 (default 128; no more than the context holds)", false, NULL},
	{"--ctx", "N", "context size, 0 to " CLI_STR(CLI_MAX_CTX) "; 0 (default): the prompt and -n, at most the model's", false, NULL},
	{"--show-tokens", NULL, "also print the generated token ids on stderr (\"tokens: 1 2 3\")", false, NULL},
	{NULL}
};

const CliCommand cli_generate = {
	"generate", "MODEL", 1,
	"continue a prompt: greedy by default, sampled with --temp, constrained with --grammar or --json-schema",
	generate_options, true, CliGenerate
};

static const CliCommand *const commands[] = {
	&cli_info, &cli_tokenize, &cli_logits, &cli_generate, &cli_chat, &cli_bench,
	&cli_parity, &cli_synth, &cli_vocab_test, &cli_bench_tokenize, &cli_bench_kernels,
	&cli_grammar, &cli_bench_grammar,
};

#define N_COMMANDS ((int) (sizeof(commands) / sizeof(commands[0])))

/* The kernel variants into buf: those this CPU runs, then all compiled in. */
static void
KernelList(char *buf, size_t size)
{
	const char *const *names = LlmKernelsNames();
	size_t		len = snprintf(buf, size, "valid on this CPU: auto");

	for (int k = 0; names[k] != NULL && len < size; k++)
		if (LlmKernelsByName(names[k]) != NULL)
			len += snprintf(buf + len, size - len, ", %s", names[k]);
	for (int k = 0; names[k] != NULL && len < size; k++)
		len += snprintf(buf + len, size - len, "%s%s", k ? ", " : "; all known: ", names[k]);
}

static void
Usage(FILE *out)
{
	char		kernels[512];

	fprintf(out, "usage: llm-cli COMMAND ARGUMENTS...\n"
			"commands (llm-cli COMMAND --help describes one, with its defaults and ranges):\n");
	for (int c = 0; c < N_COMMANDS; c++)
	{
		CliPrintSynopsis(out, "  ", commands[c], CLI_WIDTH);
		fprintf(out, "      ");
		CliPrintWrapped(out, commands[c]->summary, 6, 6, CLI_WIDTH);
	}
	fprintf(out, "names the options accept:\n");
	for (int c = 0; c < N_COMMANDS; c++)
	{
		const CliOption *o;

		for (int i = 0; (o = CliOptionAt(commands[c], i)) != NULL; i++)
			if (o->names != NULL)
			{
				int			col = fprintf(out, "  %s %s:", commands[c]->name, o->name);

				CliPrintNameList(out, o->names, col, 6);
			}
	}
	KernelList(kernels, sizeof(kernels));
	fprintf(out, "environment:\n  LLM_KERNEL=NAME forces a kernel variant:");
	CliPrintWrapped(out, kernels, 42, 6, CLI_WIDTH);
}

static const CliCommand *
FindCommand(const char *name)
{
	for (int c = 0; c < N_COMMANDS; c++)
		if (strcmp(name, commands[c]->name) == 0)
			return commands[c];
	return NULL;
}

static int
UnknownCommand(const char *name)
{
	fprintf(stderr, "llm-cli: unknown command \"%s\"\n", name);
	Usage(stderr);
	return 2;
}

/* LLM_KERNEL names a variant that is compiled in (whether or not it runs). */
static bool
KernelKnown(const char *name)
{
	const char *const *names = LlmKernelsNames();

	for (int k = 0; names[k] != NULL; k++)
		if (strcmp(names[k], name) == 0)
			return true;
	return false;
}

/*
 * The command line's exit status.  Help comes first: asking for it is not
 * an error, and works whatever the environment (LLM_KERNEL included), as
 * it is how to find the valid names.
 */
static int
Run(int argc, char **argv)
{
	const char *kernel = getenv("LLM_KERNEL");
	const CliCommand *cmd;
	CliArgs		args;
	int			rc;

	if (argc < 2)
	{
		fprintf(stderr, "llm-cli: no command given\n");
		Usage(stderr);
		return 2;
	}

	/* "help COMMAND" is "COMMAND --help" */
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
		strcmp(argv[1], "help") == 0)
	{
		if (argc == 2)
		{
			Usage(stdout);
			return 0;
		}
		if ((cmd = FindCommand(argv[2])) == NULL)
			return UnknownCommand(argv[2]);
		CliPrintCommandHelp(stdout, cmd);
		return 0;
	}
	if ((cmd = FindCommand(argv[1])) == NULL)
		return UnknownCommand(argv[1]);
	rc = CliParse(cmd, argc - 2, argv + 2, &args);
	if (rc != CLI_RUN)
		return rc;

	/* the engine would quietly fall back to the best variant */
	if (kernel != NULL && *kernel != '\0' && !LlmKernelsSelect(kernel))
	{
		char		kernels[512];

		KernelList(kernels, sizeof(kernels));
		fprintf(stderr, "llm-cli: LLM_KERNEL=%s is %s; %s\n", kernel,
				KernelKnown(kernel) ? "a kernel variant this CPU cannot run" :
				"not a kernel variant", kernels);
		return 2;
	}
	return cmd->run(&args);
}

int
main(int argc, char **argv)
{
	int			rc = Run(argc, argv);

	/*
	 * What was printed is the result: a full disk or a closed pipe under
	 * stdout is a failure, not a silent success.  fflush reports a failure
	 * of the last write; ferror one of an earlier write.
	 */
	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout))
	{
		fprintf(stderr, "llm-cli: cannot write to standard output: %s\n",
				errno != 0 ? strerror(errno) : "a write failed");
		if (rc == 0)
			rc = 1;
	}
	return rc;
}
