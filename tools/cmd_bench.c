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
 *	  An encoder (bert) generates nothing: it is measured by embeddings of
 *	  P-token inputs (LlmEmbedTokens), tokens and embeddings per second, and
 *	  with --batch B by B inputs embedded together (LlmEmbedBatch).
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
#include "scoring.h"

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

static int
OutOfMemory(void)
{
	fprintf(stderr, "llm-cli: out of memory\n");
	return 1;
}

/*
 * Median tokens/s of N steps of B sequences decoded together, each after a
 * P-token prompt decoded once into sequence 0 and copied to the others.
 */
static int
BenchBatch(LlmModel *m, int P, int N, int B, int threads, int reps, const int32_t *prompt,
		   double *tgb)
{
	LlmContext *ctx = NULL;
	LlmError	err;
	LlmBatchToken *items = malloc(sizeof(LlmBatchToken) * B);
	float	   *logits = malloc(sizeof(float) * m->hp.n_vocab * B);
	int			rc = 1;

	if (items == NULL || logits == NULL)
	{
		rc = OutOfMemory();
		goto done;
	}
	if (LlmContextCreateSeq(m, P + N, P > B ? P : B, B, &ctx, &err) != LLM_OK ||
		LlmContextSetThreads(ctx, threads, &err) != LLM_OK)
		goto fail;
	for (int r = 0; r < reps; r++)
	{
		double		t0;

		LlmContextReset(ctx);
		if (LlmDecode(ctx, prompt, P, logits, false, &err) != LLM_OK)
			goto fail;
		for (int b = 1; b < B; b++)
			if (LlmSeqCopy(ctx, 0, b, P, &err) != LLM_OK)
				goto fail;
		t0 = CliNow();
		for (int i = 0; i < N; i++)
		{
			for (int b = 0; b < B; b++)
				items[b] = (LlmBatchToken) {BenchToken(i + 17 * b, 31, m->hp.n_vocab), b, true};
			if (LlmDecodeBatch(ctx, items, B, logits, &err) != LLM_OK)
				goto fail;
		}
		tgb[r] = (double) N * B / (CliNow() - t0);
	}
	qsort(tgb, reps, sizeof(double), CompareDouble);
	rc = 0;

fail:
	if (rc != 0)
		CliFail(&err);
done:
	LlmContextFree(ctx);
	free(items);
	free(logits);
	return rc;
}

/*
 * An encoder's speed: median embeddings per second of one P-token input,
 * and of B inputs embedded together when B > 0.
 */
static int
BenchEmbed(LlmModel *m, int P, int B, int threads, int reps, const int32_t *prompt)
{
	const int	n_in = B > 0 ? B : 1;
	LlmContext *ctx = NULL;
	LlmContext *many = NULL;
	LlmError	err;
	double	   *one = malloc(sizeof(double) * reps);
	double	   *all = malloc(sizeof(double) * reps);
	float	   *out = malloc(sizeof(float) * m->hp.n_embd * n_in);
	const int32_t **inputs = malloc(sizeof(int32_t *) * n_in);
	int		   *lens = malloc(sizeof(int) * n_in);
	int			rc = 1;

	if (one == NULL || all == NULL || out == NULL || inputs == NULL || lens == NULL)
	{
		rc = OutOfMemory();
		goto done;
	}
	for (int i = 0; i < n_in; i++)
	{
		inputs[i] = prompt;
		lens[i] = P;
	}
	/* a batch holds as many whole inputs as fit in 4096 rows */
	if (LlmContextCreate(m, P, P, &ctx, &err) != LLM_OK ||
		LlmContextSetThreads(ctx, threads, &err) != LLM_OK ||
		(B > 0 && (LlmContextCreateSeq(m, P, P * (4096 / P < B ? 4096 / P : B), B, &many,
									   &err) != LLM_OK ||
				   LlmContextSetThreads(many, threads, &err) != LLM_OK)))
		goto fail;
	for (int r = 0; r < reps; r++)
	{
		double		t0 = CliNow();

		if (LlmEmbedTokens(ctx, prompt, P, out, &err) != LLM_OK)
			goto fail;
		one[r] = 1.0 / (CliNow() - t0);
		if (B > 0)
		{
			t0 = CliNow();
			if (LlmEmbedBatch(many, inputs, lens, B, out, &err) != LLM_OK)
				goto fail;
			all[r] = B / (CliNow() - t0);
		}
	}
	qsort(one, reps, sizeof(double), CompareDouble);
	qsort(all, reps, sizeof(double), CompareDouble);
	printf("threads: %d (kernels: %s)\n", threads, LlmKernelsGet()->name);
	printf("embed%d t/s: %.2f (%.2f embeddings/s; an encoder: no generation)\n", P,
		   one[reps / 2] * P, one[reps / 2]);
	if (B > 0)
		printf("embed%d x %d inputs t/s: %.2f (%.2f embeddings/s, %.2fx one input)\n", P, B,
			   all[reps / 2] * P, all[reps / 2], all[reps / 2] / one[reps / 2]);
	rc = 0;

fail:
	if (rc != 0)
		CliFail(&err);
done:
	LlmContextFree(ctx);
	LlmContextFree(many);
	free(one);
	free(all);
	free(out);
	free(inputs);
	free(lens);
	return rc;
}

static int
CliBench(const CliArgs *args)
{
	int			P;
	int			N;
	int			threads;
	int			reps;
	int			B;
	double	   *pp = NULL;
	double	   *tg = NULL;
	double	   *tgb = NULL;
	int32_t    *prompt = NULL;
	LlmModel   *m = NULL;
	LlmContext *ctx = NULL;
	LlmError	err;
	float	   *logits = NULL;
	int			rc = 1;

	if (!CliGetInt(args, "-p", 512, 1, CLI_MAX_CTX, &P) ||
		!CliGetInt(args, "-n", 128, 1, CLI_MAX_CTX, &N) ||
		!CliGetInt(args, "-t", 1, 1, 256, &threads) ||
		!CliGetInt(args, "--reps", 3, 1, CLI_MAX_REPS, &reps) ||
		!CliGetInt(args, "--batch", 0, 0, LLM_MAX_SEQ, &B))
		return 2;
	/* one context holds them: a batch's sequences, both */
	if ((int64_t) P + N > CLI_MAX_CTX)
		return CliUsageError(args, "-p + -n must be at most %d (one context), not %lld",
							 CLI_MAX_CTX, (long long) P + N);

	if (CliLoadModel(args->pos[0], &m, &err) != LLM_OK)
		goto fail;
	if (m->output.data == NULL)
	{
		/* an encoder: inputs no longer than its learned positions */
		if ((prompt = malloc(sizeof(int32_t) * P)) == NULL)
		{
			rc = OutOfMemory();
			goto done;
		}
		if (P > m->hp.n_ctx_train)
			P = m->hp.n_ctx_train;
		for (int i = 0; i < P; i++)
			prompt[i] = BenchToken(i, 7919, m->hp.n_vocab);
		rc = BenchEmbed(m, P, B, threads, reps, prompt);
		goto done;
	}
	pp = malloc(sizeof(double) * reps);
	tg = malloc(sizeof(double) * reps);
	tgb = malloc(sizeof(double) * reps);
	prompt = malloc(sizeof(int32_t) * P);
	logits = malloc(sizeof(float) * m->hp.n_vocab);
	if (pp == NULL || tg == NULL || tgb == NULL || prompt == NULL || logits == NULL)
	{
		rc = OutOfMemory();
		goto done;
	}
	if (LlmContextCreate(m, P + N, P, &ctx, &err) != LLM_OK ||
		LlmContextSetThreads(ctx, threads, &err) != LLM_OK)
		goto fail;
	for (int i = 0; i < P; i++)
		prompt[i] = BenchToken(i, 7919, m->hp.n_vocab);

	for (int r = 0; r < reps; r++)
	{
		double		t0;

		LlmContextReset(ctx);
		t0 = CliNow();
		if (LlmDecode(ctx, prompt, P, logits, false, &err) != LLM_OK)
			goto fail;
		pp[r] = P / (CliNow() - t0);

		LlmContextReset(ctx);
		t0 = CliNow();
		for (int i = 0; i < N; i++)
		{
			int32_t		tok = BenchToken(i, 31, m->hp.n_vocab);

			if (LlmDecode(ctx, &tok, 1, logits, false, &err) != LLM_OK)
				goto fail;
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
		/* the single-sequence context is freed first: both may be large */
		LlmContextFree(ctx);
		ctx = NULL;
		if (BenchBatch(m, P, N, B, threads, reps, prompt, tgb) != 0)
			goto done;
		printf("tg%d x %d sequences t/s: %.2f (%.2fx one sequence; %.2f steps/s)\n",
			   N, B, tgb[reps / 2], tgb[reps / 2] / tg[reps / 2], tgb[reps / 2] / B);
	}
	rc = 0;

fail:
	if (rc != 0)
		CliFail(&err);
done:
	free(pp);
	free(tg);
	free(tgb);
	free(prompt);
	free(logits);
	LlmContextFree(ctx);
	LlmModelFree(m);
	return rc;
}

static const CliOption bench_options[] = {
	{"-p", "N", "prompt tokens, decoded as one batch, >= 1 (default 512)", false, NULL},
	{"-n", "N", "tokens generated one at a time, >= 1 (default 128); -p + -n at most " CLI_STR(CLI_MAX_CTX) " (one context)", false, NULL},
	{"-t", "THREADS", "threads, 1 to 256 (default 1)", false, NULL},
	{"--reps", "N", "repetitions, 1 to " CLI_STR(CLI_MAX_REPS) "; the median is reported (default 3)", false, NULL},
	{"--batch", "B", "also B sequences decoded together, 0 to " CLI_STR(LLM_MAX_SEQ) " (default 0: not measured)", false, NULL},
	{NULL}
};

const CliCommand cli_bench = {
	"bench", "MODEL", 1,
	"prompt processing and generation speed in tokens/s, measured as llama-bench does",
	bench_options, false, CliBench
};
