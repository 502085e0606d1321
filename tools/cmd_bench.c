/*-------------------------------------------------------------------------
 *
 * cmd_bench.c
 *	  llm-cli bench: prompt processing and generation speed, measured the
 *	  way llama-bench (and ../shared/peer/llamacpp-bench.mjs) measure them:
 *	  P prompt tokens in one batch, then N single-token decode steps without
 *	  sampling, median of --reps runs.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "context.h"
#include "kernels.h"

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

int
CliBench(int argc, char **argv)
{
	int			P = atoi(CliOpt(argc, argv, "-p", "512"));
	int			N = atoi(CliOpt(argc, argv, "-n", "128"));
	int			threads = atoi(CliOpt(argc, argv, "-t", "1"));
	int			reps = atoi(CliOpt(argc, argv, "--reps", "3"));
	double	   *pp;
	double	   *tg;
	int32_t    *prompt;
	LlmModel   *m;
	LlmContext *ctx;
	LlmError	err;
	float	   *logits;

	if (argc < 1 || P < 1 || N < 1 || reps < 1 || threads < 1)
	{
		fprintf(stderr, "usage: llm-cli bench MODEL [-p 512] [-n 128] [-t THREADS] [--reps 3]\n");
		return 2;
	}
	if (LlmModelLoad(argv[0], &m, &err) != LLM_OK)
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

	free(pp);
	free(tg);
	free(prompt);
	free(logits);
	LlmContextFree(ctx);
	LlmModelFree(m);
	return 0;
}
