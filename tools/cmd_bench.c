/*-------------------------------------------------------------------------
 *
 * cmd_bench.c
 *	  llm-cli bench: prompt processing and generation speed, measured the
 *	  way llama-bench (and ../shared/peer/llamacpp-bench.mjs) measure them:
 *	  P prompt tokens in one batch, then N single-token decode steps without
 *	  sampling, median of --reps runs.
 *
 *	  --batch B adds batched generation: B sequences forked from one
 *	  decoded prompt (LlmSeqCopy), then N steps that each decode one token
 *	  of every sequence in one LlmDecodeBatch, with logits for all; the
 *	  figure is generated tokens per second over all B sequences.
 *
 *-------------------------------------------------------------------------
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "context.h"
#include "kernels.h"

/* most prompt or generated tokens: their sum is a context size, an int */
#define BENCH_MAX_TOKENS 16777216

static int
CompareDouble(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/* The peer's token ids: plain vocabulary tokens for any model. */
static int32_t
BenchToken(int i, int stride, int n_vocab)
{
	int32_t		id = 259 + (int32_t) (((int64_t) i * stride) % 200);

	return id < n_vocab ? id : id % n_vocab;
}

/*
 * Median tokens/s of N steps of B sequences decoded together, each after a
 * P-token prompt decoded once into sequence 0 and copied to the others.
 */
static int
BenchBatch(LlmModel *m, int P, int N, int B, int threads, int reps, const int32_t *prompt,
		   double *tgb)
{
	LlmContext *ctx;
	LlmError	err;
	LlmBatchToken *items = malloc(sizeof(LlmBatchToken) * B);
	float	   *logits = malloc(sizeof(float) * m->hp.n_vocab * B);

	if (items == NULL || logits == NULL)
	{
		fprintf(stderr, "llm-cli: out of memory\n");
		return 1;
	}
	if (LlmContextCreateSeq(m, P + N + 16, P > B ? P : B, B, &ctx, &err) != LLM_OK ||
		LlmContextSetThreads(ctx, threads, &err) != LLM_OK)
		return CliFail(&err);
	for (int r = 0; r < reps; r++)
	{
		double		t0;

		LlmContextReset(ctx);
		if (LlmDecode(ctx, prompt, P, logits, false, &err) != LLM_OK)
			return CliFail(&err);
		for (int b = 1; b < B; b++)
			if (LlmSeqCopy(ctx, 0, b, P, &err) != LLM_OK)
				return CliFail(&err);
		t0 = CliNow();
		for (int i = 0; i < N; i++)
		{
			for (int b = 0; b < B; b++)
				items[b] = (LlmBatchToken) {BenchToken(i + 17 * b, 31, m->hp.n_vocab), b, true};
			if (LlmDecodeBatch(ctx, items, B, logits, &err) != LLM_OK)
				return CliFail(&err);
		}
		tgb[r] = (double) N * B / (CliNow() - t0);
	}
	qsort(tgb, reps, sizeof(double), CompareDouble);
	LlmContextFree(ctx);
	free(items);
	free(logits);
	return 0;
}

static int
CliBench(const CliArgs *args)
{
	int			P;
	int			N;
	int			threads;
	int			reps;
	int			B;
	double	   *pp;
	double	   *tg;
	int32_t    *prompt;
	LlmModel   *m;
	LlmContext *ctx;
	LlmError	err;
	float	   *logits;

	if (!CliGetInt(args, "-p", 512, 1, BENCH_MAX_TOKENS, &P) ||
		!CliGetInt(args, "-n", 128, 1, BENCH_MAX_TOKENS, &N) ||
		!CliGetInt(args, "-t", 1, 1, 256, &threads) ||
		!CliGetInt(args, "--reps", 3, 1, INT_MAX, &reps) ||
		!CliGetInt(args, "--batch", 0, 0, LLM_MAX_SEQ, &B))
		return 2;
	if (LlmModelLoad(args->pos[0], &m, &err) != LLM_OK)
		return CliFail(&err);
	if (LlmContextCreate(m, P + N + 16, P, &ctx, &err) != LLM_OK ||
		LlmContextSetThreads(ctx, threads, &err) != LLM_OK)
		return CliFail(&err);
	pp = malloc(sizeof(double) * reps);
	tg = malloc(sizeof(double) * reps);
	prompt = malloc(sizeof(int32_t) * P);
	logits = malloc(sizeof(float) * m->hp.n_vocab);
	for (int i = 0; i < P; i++)
		prompt[i] = BenchToken(i, 7919, m->hp.n_vocab);

	for (int r = 0; r < reps; r++)
	{
		double		t0;

		LlmContextReset(ctx);
		t0 = CliNow();
		if (LlmDecode(ctx, prompt, P, logits, false, &err) != LLM_OK)
			return CliFail(&err);
		pp[r] = P / (CliNow() - t0);

		LlmContextReset(ctx);
		t0 = CliNow();
		for (int i = 0; i < N; i++)
		{
			int32_t		tok = BenchToken(i, 31, m->hp.n_vocab);

			if (LlmDecode(ctx, &tok, 1, logits, false, &err) != LLM_OK)
				return CliFail(&err);
		}
		tg[r] = N / (CliNow() - t0);
	}
	qsort(pp, reps, sizeof(double), CompareDouble);
	qsort(tg, reps, sizeof(double), CompareDouble);
	printf("threads: %d (kernels: %s)\n", threads, LlmKernelsGet()->name);
	printf("pp%d t/s: %.2f\n", P, pp[reps / 2]);
	printf("tg%d t/s: %.2f\n", N, tg[reps / 2]);
	if (B > 0)
	{
		double	   *tgb = malloc(sizeof(double) * reps);

		if (tgb == NULL || BenchBatch(m, P, N, B, threads, reps, prompt, tgb) != 0)
			return 1;
		printf("tg%d x %d sequences t/s: %.2f (%.2fx one sequence; %.2f steps/s)\n",
			   N, B, tgb[reps / 2], tgb[reps / 2] / tg[reps / 2], tgb[reps / 2] / B);
		free(tgb);
	}

	free(pp);
	free(tg);
	free(prompt);
	free(logits);
	LlmContextFree(ctx);
	LlmModelFree(m);
	return 0;
}

static const CliOption bench_options[] = {
	{"-p", "N", "prompt tokens, decoded as one batch, 1 to " CLI_STR(BENCH_MAX_TOKENS) " (default 512)", false, NULL},
	{"-n", "N", "tokens generated one at a time, 1 to " CLI_STR(BENCH_MAX_TOKENS) " (default 128)", false, NULL},
	{"-t", "THREADS", "threads, 1 to 256 (default 1)", false, NULL},
	{"--reps", "N", "repetitions, >= 1; the median is reported (default 3)", false, NULL},
	{"--batch", "B", "also B sequences decoded together, 0 to " CLI_STR(LLM_MAX_SEQ) " (default 0: not measured)", false, NULL},
	{NULL}
};

const CliCommand cli_bench = {
	"bench", "MODEL", 1,
	"prompt processing and generation speed in tokens/s, measured as llama-bench does",
	bench_options, false, CliBench
};
