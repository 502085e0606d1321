/*-------------------------------------------------------------------------
 *
 * cmd_bench_grammar.c
 *	  llm-cli bench-grammar MODEL (--grammar FILE | --json-schema FILE)
 *	  [-n N] [-t T] [--reps R] [--prompt TEXT] [sampling options]: what
 *	  constrained decoding costs per generated token.
 *
 * Each repetition generates up to N tokens from the prompt twice, without
 * and with the grammar, and times the steps after the prompt: the forward
 * pass of the last token, the mask (constrained only), sampling, and the
 * grammar's advance.  The figures are medians over the repetitions of the
 * mean time per step, so that outputs of different lengths compare.  The
 * trie of the vocabulary is built once, as the SQL functions keep it, and
 * its build time is reported apart; so are the masks the matcher had to
 * compute (a walk of the trie) and those it found remembered.
 *
 * --masks-only needs only the vocabulary (a vocabulary-only GGUF will do,
 * such as those of ../shared/vocab): it times the masks alone, along a
 * walk of N tokens drawn at random (seeded by --seed) among those each
 * mask allows, with a fresh matcher each repetition, so that real
 * vocabularies of any size can be measured without their weights.
 *
 *-------------------------------------------------------------------------
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "context.h"
#include "grammar/matcher.h"
#include "kernels.h"

typedef struct BenchRun
{
	int			steps;
	double		ms_per_step;
	double		mask_ms;		/* time in the masks */
	LlmGrammarStats stats;
} BenchRun;

static int
CompareDouble(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/*
 * One generation of up to n tokens after the prompt, constrained if m is
 * not NULL; the steps timed into *run.
 */
static LlmStatus
RunOnce(LlmContext *ctx, const int32_t *prompt, int n_prompt, int n,
		const LlmSamplerParams *sp, LlmGrammarMatcher *gm, float *logits, BenchRun *run,
		LlmError *err)
{
	const LlmVocab *vocab = ctx->model->vocab;
	LlmSampler *sampler;
	double		t0;
	LlmStatus	s;

	memset(run, 0, sizeof(*run));
	s = LlmSamplerCreate(sp, ctx->model->hp.n_vocab, &sampler, err);
	if (s != LLM_OK)
		return s;
	LlmContextReset(ctx);
	s = LlmDecode(ctx, prompt, n_prompt, logits, false, err);
	t0 = CliNow();
	while (s == LLM_OK && run->steps < n && LlmContextPast(ctx) < ctx->n_ctx)
	{
		int32_t		tok;

		if (gm != NULL)
		{
			double		m0 = CliNow();

			s = LlmGrammarMatcherApply(gm, logits, err);
			run->mask_ms += (CliNow() - m0) * 1e3;
			if (s != LLM_OK)
				break;
		}
		tok = LlmSamplerSample(sampler, logits);
		if (tok < 0)
		{
			s = LlmSetError(err, LLM_ERR_FORMAT, "the model's logits are all NaN");
			break;
		}
		if (gm != NULL && (s = LlmGrammarMatcherAccept(gm, tok, err)) != LLM_OK)
			break;
		run->steps++;
		if (LlmVocabIsEog(vocab, tok) || (gm != NULL && LlmGrammarMatcherMustEnd(gm)))
			break;
		LlmSamplerAccept(sampler, tok);
		s = LlmDecode(ctx, &tok, 1, logits, false, err);
	}
	run->ms_per_step = (CliNow() - t0) * 1e3 / (run->steps > 0 ? run->steps : 1);
	if (gm != NULL)
		LlmGrammarMatcherGetStats(gm, &run->stats);
	LlmSamplerFree(sampler);
	return s;
}

/*
 * --masks-only: the mean time of a mask along a random walk of up to n
 * tokens, median of reps walks.
 */
static int
BenchMasks(const CliArgs *args, const LlmGrammar *grammar, int n, int reps, uint64_t seed)
{
	GgufFile   *gguf = NULL;
	LlmVocab   *vocab = NULL;
	LlmTokenTrie *trie = NULL;
	LlmGrammarMatcher *gm = NULL;
	LlmError	err;
	double	   *ms = malloc(sizeof(double) * reps);
	double		t0;
	double		trie_ms;
	int			steps = 0;
	LlmGrammarStats stats = {0};
	int			rc = 1;

	if (ms == NULL)
	{
		fprintf(stderr, "llm-cli: out of memory\n");
		return 1;
	}
	if (CliOpenGguf(args->pos[0], &gguf, &err) != LLM_OK || LlmVocabLoad(gguf, &vocab, &err) != LLM_OK)
		goto fail;
	t0 = CliNow();
	if (LlmTokenTrieBuild(vocab, vocab->n_tokens, &trie, &err) != LLM_OK)
		goto fail;
	trie_ms = (CliNow() - t0) * 1e3;
	for (int r = 0; r < reps; r++)
	{
		uint64_t	state = seed + (uint64_t) r * 0x9E3779B97F4A7C15ULL;
		double		total = 0;

		if (LlmGrammarMatcherCreate(grammar, trie, &gm, &err) != LLM_OK)
			goto fail;
		for (steps = 0; steps < n; steps++)
		{
			const uint64_t *bits;
			int			n_allowed;
			int			pick;
			int32_t		chosen = -1;

			t0 = CliNow();
			if (LlmGrammarMatcherMask(gm, &bits, &n_allowed, &err) != LLM_OK)
				goto fail;
			total += CliNow() - t0;
			if (n_allowed == 0)
				break;
			state = state * 6364136223846793005ULL + 1442695040888963407ULL;
			pick = (int) ((state >> 33) % (uint64_t) n_allowed);
			for (int32_t id = 0; id < trie->n_vocab && chosen < 0; id++)
				if ((bits[id >> 6] >> (id & 63)) & 1 && pick-- == 0)
					chosen = id;
			if (trie->kind[chosen] == LLM_TRIE_EOG || LlmGrammarMatcherAccept(gm, chosen, &err) != LLM_OK ||
				LlmGrammarMatcherMustEnd(gm))
			{
				steps++;
				break;
			}
		}
		ms[r] = total * 1e3 / (steps > 0 ? steps : 1);
		LlmGrammarMatcherGetStats(gm, &stats);
		LlmGrammarMatcherFree(gm);
		gm = NULL;
	}
	qsort(ms, reps, sizeof(double), CompareDouble);
	printf("trie: %d tokens, %u nodes, built in %.1f ms\n", trie->n_vocab, trie->n_nodes, trie_ms);
	printf("masks: %d steps, %.3f ms/token (%ld computed, %ld reused; trie nodes walked %ld)\n", steps,
		   ms[reps / 2], stats.masks_computed, stats.masks_reused, stats.nodes_walked);
	rc = 0;

fail:
	if (rc != 0)
		CliFail(&err);
	LlmGrammarMatcherFree(gm);
	LlmTokenTrieFree(trie);
	LlmVocabFree(vocab);
	if (gguf != NULL)
		GgufClose(gguf);
	free(ms);
	return rc;
}

static int
CliBenchGrammar(const CliArgs *args)
{
	const char *prompt_text = CliGet(args, "--prompt");
	LlmGenerateParams gp = {0};
	LlmGrammar *grammar = NULL;
	LlmTokenTrie *trie = NULL;
	LlmModel   *m = NULL;
	LlmContext *ctx = NULL;
	LlmGrammarMatcher *gm = NULL;
	LlmError	err;
	int32_t    *prompt = NULL;
	int			n_prompt;
	float	   *logits = NULL;
	double	   *free_ms = NULL;
	double	   *constrained_ms = NULL;
	BenchRun	run;
	BenchRun	last = {0};
	int			n;
	int			threads;
	int			reps;
	int			free_steps = 0;
	double		t0;
	double		trie_ms;
	double		mask_ms = 0;
	int			rc;

	if (prompt_text == NULL)
		prompt_text = "Answer in JSON:";
	LlmSamplerDefaults(&gp.sampling);
	if (!CliGetInt(args, "-n", 64, 1, CLI_MAX_CTX - 1, &n) ||
		!CliGetInt(args, "-t", 1, 1, 256, &threads) ||
		!CliGetInt(args, "--reps", 3, 1, CLI_MAX_REPS, &reps) ||
		!CliGetSampling(args, &gp))
		return 2;
	if (!CliHas(args, "--grammar") && !CliHas(args, "--json-schema"))
		return CliUsageError(args, "needs --grammar FILE or --json-schema FILE (see llm-cli bench-grammar --help)");
	if ((rc = CliGetGrammar(args, &grammar)) != 0)
		return rc;
	if (CliHas(args, "--masks-only"))
	{
		rc = BenchMasks(args, grammar, n, reps, gp.sampling.seed);
		LlmGrammarFree(grammar);
		return rc;
	}
	rc = 1;

	free_ms = malloc(sizeof(double) * reps);
	constrained_ms = malloc(sizeof(double) * reps);
	if (free_ms == NULL || constrained_ms == NULL)
	{
		fprintf(stderr, "llm-cli: out of memory\n");
		goto done;
	}
	if (CliLoadModel(args->pos[0], &m, &err) != LLM_OK ||
		LlmTokenize(m->vocab, prompt_text, strlen(prompt_text), true, false, &prompt, &n_prompt,
					&err) != LLM_OK)
		goto fail;
	if ((logits = malloc(sizeof(float) * m->hp.n_vocab)) == NULL)
	{
		fprintf(stderr, "llm-cli: out of memory\n");
		goto done;
	}
	if (LlmContextCreate(m, CliContextSize(n_prompt, n, m->hp.n_ctx_train), 0, &ctx, &err) != LLM_OK ||
		LlmContextSetThreads(ctx, threads, &err) != LLM_OK)
		goto fail;
	t0 = CliNow();
	if (LlmTokenTrieBuild(m->vocab, m->hp.n_vocab, &trie, &err) != LLM_OK)
		goto fail;
	trie_ms = (CliNow() - t0) * 1e3;

	for (int r = 0; r < reps; r++)
	{
		if (RunOnce(ctx, prompt, n_prompt, n, &gp.sampling, NULL, logits, &run, &err) != LLM_OK)
			goto fail;
		free_ms[r] = run.ms_per_step;
		free_steps = run.steps;
		/* a fresh matcher each time: nothing remembered from the last run */
		if (LlmGrammarMatcherCreate(grammar, trie, &gm, &err) != LLM_OK ||
			RunOnce(ctx, prompt, n_prompt, n, &gp.sampling, gm, logits, &last, &err) != LLM_OK)
			goto fail;
		LlmGrammarMatcherFree(gm);
		gm = NULL;
		constrained_ms[r] = last.ms_per_step;
		mask_ms += last.mask_ms;
	}
	qsort(free_ms, reps, sizeof(double), CompareDouble);
	qsort(constrained_ms, reps, sizeof(double), CompareDouble);
	printf("threads: %d (kernels: %s)\n", threads, LlmKernelsGet()->name);
	printf("trie: %d tokens, %u nodes, built in %.1f ms\n", trie->n_vocab, trie->n_nodes, trie_ms);
	printf("unconstrained: %d tokens, %.3f ms/token\n", free_steps, free_ms[reps / 2]);
	printf("constrained: %d tokens, %.3f ms/token (masks %.3f ms/token: %ld computed, %ld reused; trie nodes walked %ld)\n",
		   last.steps, constrained_ms[reps / 2], mask_ms / reps / (last.steps > 0 ? last.steps : 1),
		   last.stats.masks_computed, last.stats.masks_reused, last.stats.nodes_walked);
	printf("overhead: %+.1f%%\n", (constrained_ms[reps / 2] / free_ms[reps / 2] - 1) * 100);
	rc = 0;

fail:
	if (rc != 0)
		CliFail(&err);
done:
	LlmGrammarMatcherFree(gm);
	LlmTokenTrieFree(trie);
	LlmContextFree(ctx);
	LlmModelFree(m);
	LlmGrammarFree(grammar);
	free(prompt);
	free(logits);
	free(free_ms);
	free(constrained_ms);
	return rc;
}

static const CliOption bench_grammar_options[] = {
	{"--prompt", "TEXT", "the text to continue (default \"Answer in JSON:\")", false, NULL},
	{"-n", "N", "tokens to generate at most, >= 1 (default 64)", false, NULL},
	{"-t", "THREADS", "threads, 1 to 256 (default 1)", false, NULL},
	{"--reps", "N", "repetitions, 1 to " CLI_STR(CLI_MAX_REPS) "; the median is reported (default 3)", false, NULL},
	{"--masks-only", NULL, "time the masks alone along a random walk of allowed tokens (--seed); needs only a vocabulary", false, NULL},
	{NULL}
};

const CliCommand cli_bench_grammar = {
	"bench-grammar", "MODEL", 1,
	"time per generated token without and with a grammar (--grammar or --json-schema)",
	bench_grammar_options, true, CliBenchGrammar
};
