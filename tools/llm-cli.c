/*-------------------------------------------------------------------------
 *
 * llm-cli.c
 *	  Command-line front end of the engine: debugging, parity checks and
 *	  benchmarks outside the database.  This file holds the dispatcher and
 *	  the small commands; larger ones live in cmd_*.c.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
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
	fprintf(stderr, "llm-cli: %s\n", err->message);
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
Usage(const char *msg)
{
	if (msg)
		fprintf(stderr, "llm-cli: %s\n", msg);
	fprintf(stderr,
			"usage: llm-cli COMMAND ...\n"
			"  info MODEL                          metadata, shapes and tensor types\n"
			"  tokenize MODEL TEXT [--no-bos] [--pieces] [--special]\n"
			"  logits MODEL --tokens 1,2,3 --out FILE    raw float32 [n_tokens][n_vocab]\n"
			"  generate MODEL --prompt TEXT [-n N] [--temp T] [--seed S] [--top-k K]\n"
			"           [--top-p P] [--min-p P] [--repeat-penalty R] [--ctx N] [--stop S]\n"
			"  bench MODEL [-p 512] [-n 128] [-t THREADS] [--reps 3] [--batch B]\n"
			"  parity DIR [--all-kernels]          check models against llama.cpp references\n"
			"  synth --shape NAME --type TYPE --out FILE   random-weight model of a real shape\n"
			"  vocab-test VOCAB.gguf               llama.cpp tokenizer cases (.inp/.out beside it)\n"
			"  bench-tokenize VOCAB.gguf [--mb 1] [--reps 3]   tokenizer MB/s on mixed text\n"
			"  chat MODEL [--system S] --user U [--template T] [--prompt-only] [-n N] [--temp T]\n"
			"  bench-kernels [--type q8_0|q4_0|q4_k|q6_k|f16|all] [--mb 512] [-t 1]   GEMV GB/s, GEMM GFLOP/s\n"
			"Environment: LLM_KERNEL=ref|auto|... forces a kernel variant.\n");
	return 2;
}

static int
LoadModel(const char *path, LlmModel **model)
{
	LlmError	err;

	if (LlmModelLoad(path, model, &err) != LLM_OK)
		return CliFail(&err);
	return 0;
}

static void
PrintKV(const GgufKV *kv)
{
	printf("  %.*s = ", (int) kv->key.len, kv->key.data);
	switch (kv->type)
	{
		case GGUF_TYPE_STRING:
			printf("\"%.*s\"", (int) (kv->v.str.len > 200 ? 200 : kv->v.str.len), kv->v.str.data);
			if (kv->v.str.len > 200)
				printf("... (%llu bytes)", (unsigned long long) kv->v.str.len);
			break;
		case GGUF_TYPE_ARRAY:
			printf("[%s x %llu]", GgufTypeName(kv->v.arr.type), (unsigned long long) kv->v.arr.len);
			break;
		case GGUF_TYPE_FLOAT32:
		case GGUF_TYPE_FLOAT64:
			printf("%g", kv->v.f64);
			break;
		case GGUF_TYPE_BOOL:
			printf("%s", kv->v.u64 ? "true" : "false");
			break;
		case GGUF_TYPE_INT8:
		case GGUF_TYPE_INT16:
		case GGUF_TYPE_INT32:
		case GGUF_TYPE_INT64:
			printf("%lld", (long long) kv->v.i64);
			break;
		default:
			printf("%llu", (unsigned long long) kv->v.u64);
			break;
	}
	printf("\n");
}

int
CliInfo(int argc, char **argv)
{
	LlmModel   *m;
	const LlmHParams *hp;
	uint64_t	count[LLM_TYPE_COUNT] = {0};

	if (argc < 1)
		return Usage("info needs a MODEL");
	if (LoadModel(argv[0], &m))
		return 1;
	hp = &m->hp;
	printf("file: %s (GGUF v%u, %.2f MB)\n", argv[0], m->gguf->version, m->gguf->size / 1e6);
	printf("architecture: %s, %.1fM parameters, %s\n", m->arch_name, m->n_params / 1e6,
		   LlmModelQuantName(m));
	printf("n_vocab %d, n_embd %d, n_layer %d, n_head %d, n_head_kv %d, head_dim %d, n_ff %d\n",
		   hp->n_vocab, hp->n_embd, hp->n_layer, hp->n_head, hp->n_head_kv, hp->head_dim, hp->n_ff);
	printf("context %d, rope %s n_rot %d freq_base %g freq_scale %g%s, rms_eps %g, output %s\n",
		   hp->n_ctx_train, hp->rope_type == LLM_ROPE_NEOX ? "neox" : "normal", hp->n_rot,
		   hp->rope_freq_base, hp->rope_freq_scale, m->rope_freqs ? " (freq factors)" : "",
		   hp->rms_eps, m->tied_output ? "tied to token_embd" : "separate");
	printf("metadata (%llu keys):\n", (unsigned long long) m->gguf->n_kv);
	for (uint64_t i = 0; i < m->gguf->n_kv; i++)
		PrintKV(&m->gguf->kv[i]);
	for (uint64_t i = 0; i < m->gguf->n_tensors; i++)
		count[m->gguf->tensors[i].type]++;
	printf("tensors (%llu):", (unsigned long long) m->gguf->n_tensors);
	for (int t = 0; t < LLM_TYPE_COUNT; t++)
		if (count[t])
			printf(" %s x %llu", LlmTypeGetTraits(t)->name, (unsigned long long) count[t]);
	printf("\n");
	LlmModelFree(m);
	return 0;
}

int
CliTokenize(int argc, char **argv)
{
	LlmModel   *m;
	LlmError	err;
	int32_t    *ids;
	int			n;
	bool		pieces = CliFlag(argc, argv, "--pieces");

	if (argc < 2)
		return Usage("tokenize needs MODEL and TEXT");
	if (LoadModel(argv[0], &m))
		return 1;
	if (LlmTokenize(m->vocab, argv[1], strlen(argv[1]), !CliFlag(argc, argv, "--no-bos"),
					CliFlag(argc, argv, "--special"), &ids, &n, &err) != LLM_OK)
	{
		LlmModelFree(m);
		return CliFail(&err);
	}
	for (int i = 0; i < n; i++)
	{
		if (pieces)
		{
			GgufString	t = m->vocab->text[ids[i]];

			printf("%6d -> '%.*s'\n", ids[i], (int) t.len, t.data);
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

/* Parse "1,2,3" into a malloc'd array. */
static int32_t *
ParseIds(const char *s, int *n)
{
	int			cap = 16;
	int32_t    *ids = malloc(sizeof(int32_t) * cap);
	char	   *end;

	*n = 0;
	while (ids != NULL && *s)
	{
		long		v;

		errno = 0;
		v = strtol(s, &end, 10);
		if (end == s || errno || v < 0 || v > INT32_MAX || (*end && *end != ','))
		{
			free(ids);
			return NULL;
		}
		if (*n == cap)
		{
			int32_t    *grown = realloc(ids, sizeof(int32_t) * (cap *= 2));

			if (grown == NULL)
			{
				free(ids);
				return NULL;
			}
			ids = grown;
		}
		ids[(*n)++] = (int32_t) v;
		s = *end ? end + 1 : end;
	}
	return ids;
}

int
CliLogits(int argc, char **argv)
{
	const char *tokens = CliOpt(argc, argv, "--tokens", NULL);
	const char *out = CliOpt(argc, argv, "--out", NULL);
	LlmModel   *m;
	LlmContext *ctx;
	LlmError	err;
	int32_t    *ids;
	int			n;
	float	   *logits;
	FILE	   *f;
	int			rc = 0;

	if (argc < 1 || tokens == NULL || out == NULL)
		return Usage("logits needs MODEL --tokens IDS --out FILE");
	ids = ParseIds(tokens, &n);
	if (ids == NULL || n == 0)
		return Usage("--tokens must be a comma-separated list of token ids");
	if (LoadModel(argv[0], &m))
		return 1;
	if (LlmContextCreate(m, n, n, &ctx, &err) != LLM_OK)
		return CliFail(&err);
	logits = malloc(sizeof(float) * n * m->hp.n_vocab);
	if (logits == NULL)
		rc = fprintf(stderr, "llm-cli: out of memory\n") > 0;
	else if (LlmDecode(ctx, ids, n, logits, true, &err) != LLM_OK)
		rc = CliFail(&err);
	else if ((f = fopen(out, "wb")) == NULL)
		rc = fprintf(stderr, "llm-cli: cannot create %s: %s\n", out, strerror(errno)) > 0;
	else
	{
		size_t		count = (size_t) n * m->hp.n_vocab;

		if (fwrite(logits, sizeof(float), count, f) != count)
			rc = 1;
		if (fclose(f) != 0)
			rc = 1;
		if (rc)
			fprintf(stderr, "llm-cli: cannot write %s: %s\n", out, strerror(errno));
		else
			printf("wrote %s: %d x %d float32\n", out, n, m->hp.n_vocab);
	}
	free(logits);
	free(ids);
	LlmContextFree(ctx);
	LlmModelFree(m);
	return rc;
}

int
CliGenerate(int argc, char **argv)
{
	const char *prompt = CliOpt(argc, argv, "--prompt", NULL);
	const char *v;
	const char *stop[1];
	LlmGenerateParams gp = {0};
	LlmGenerateResult res;
	LlmModel   *m;
	LlmContext *ctx;
	LlmError	err;
	int32_t    *ids;
	int			n;
	int			n_ctx;
	double		t0;
	int			rc = 0;

	if (argc < 1 || prompt == NULL)
		return Usage("generate needs MODEL --prompt TEXT");
	LlmSamplerDefaults(&gp.sampling);
	gp.max_tokens = (v = CliOpt(argc, argv, "-n", NULL)) ? atoi(v) : 128;
	if ((v = CliOpt(argc, argv, "--temp", NULL)))
		gp.sampling.temperature = strtof(v, NULL);
	if ((v = CliOpt(argc, argv, "--seed", NULL)))
		gp.sampling.seed = strtoull(v, NULL, 10);
	if ((v = CliOpt(argc, argv, "--top-k", NULL)))
		gp.sampling.top_k = atoi(v);
	if ((v = CliOpt(argc, argv, "--top-p", NULL)))
		gp.sampling.top_p = strtof(v, NULL);
	if ((v = CliOpt(argc, argv, "--min-p", NULL)))
		gp.sampling.min_p = strtof(v, NULL);
	if ((v = CliOpt(argc, argv, "--repeat-penalty", NULL)))
		gp.sampling.repeat_penalty = strtof(v, NULL);
	if ((v = CliOpt(argc, argv, "--stop", NULL)))
	{
		stop[0] = v;
		gp.stop = stop;
		gp.n_stop = 1;
	}
	n_ctx = (v = CliOpt(argc, argv, "--ctx", NULL)) ? atoi(v) : 0;

	if (LoadModel(argv[0], &m))
		return 1;
	if (LlmTokenize(m->vocab, prompt, strlen(prompt), true, false, &ids, &n, &err) != LLM_OK)
		return CliFail(&err);
	if (n_ctx <= 0)
		n_ctx = n + gp.max_tokens < m->hp.n_ctx_train ? n + gp.max_tokens + 1 : m->hp.n_ctx_train;
	if (LlmContextCreate(m, n_ctx, 0, &ctx, &err) != LLM_OK)
		return CliFail(&err);
	t0 = CliNow();
	if (LlmGenerate(ctx, ids, n, &gp, &res, &err) != LLM_OK)
		rc = CliFail(&err);
	else
	{
		double		dt = CliNow() - t0;

		printf("%s\n", res.text);
		fprintf(stderr, "[%d prompt + %d generated tokens in %.3f s, stop: %s]\n",
				res.n_prompt, res.n_tokens, dt, res.stop_reason);
		LlmGenerateResultFree(&res);
	}
	free(ids);
	LlmContextFree(ctx);
	LlmModelFree(m);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct
	{
		const char *name;
		int			(*fn) (int, char **);
	}			commands[] = {
		{"info", CliInfo}, {"tokenize", CliTokenize}, {"logits", CliLogits},
		{"generate", CliGenerate}, {"bench", CliBench}, {"parity", CliParity},
		{"synth", CliSynth},
		{"vocab-test", CliVocabTest}, {"bench-tokenize", CliBenchTokenize},
		{"chat", CliChat},
		{"bench-kernels", CliBenchKernels},
	};
	const char *kernel = getenv("LLM_KERNEL");

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return Usage(NULL);
	if (kernel && *kernel && !LlmKernelsSelect(kernel))
	{
		fprintf(stderr, "llm-cli: LLM_KERNEL=%s is not a kernel variant this CPU can run\n", kernel);
		return 2;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 2, argv + 2);
	return Usage("unknown command");
}
