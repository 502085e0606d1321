/*-------------------------------------------------------------------------
 *
 * test_engine.c
 *	  Unit tests of the engine on the real stories260K model: tokenizer,
 *	  detokenizer, forward pass, generation, sampling, stop conditions,
 *	  cancellation and error paths.  Run from the repository root.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "generate.h"
#include "unit.h"

#define STORIES "../shared/models/stories260K.gguf"

static LlmModel *model;

static bool
IdsEqual(const int32_t *a, int na, const int32_t *b, int nb)
{
	return na == nb && memcmp(a, b, sizeof(int32_t) * na) == 0;
}

static void
TestTokenizer(void)
{
	/* llama.cpp's ids for parity prompt p2 (add_special, no special parsing) */
	static const int32_t p2[] = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426};
	const char *text = "Once upon a time, there was a little girl named Lily.";
	const char *samples[] = {
		"Once upon a time, there was a little girl named Lily.",
		"  two leading spaces and trailing  ",
		"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 tab\tnew\nline",
		"x",
	};
	int32_t    *ids;
	int			n;
	LlmError	err;

	CHECK(LlmTokenize(model->vocab, text, strlen(text), true, false, &ids, &n, &err) == LLM_OK,
		  "tokenize: %s", err.message);
	CHECK(IdsEqual(ids, n, p2, 16), "p2 tokenizes to llama.cpp's ids (got %d tokens)", n);
	free(ids);

	CHECK(LlmTokenize(model->vocab, "", 0, true, false, &ids, &n, &err) == LLM_OK && n == 1 && ids[0] == 1,
		  "empty text is just BOS");
	free(ids);
	CHECK(LlmTokenize(model->vocab, "", 0, false, false, &ids, &n, &err) == LLM_OK && n == 0,
		  "empty text without BOS is nothing");
	free(ids);

	/* round trip, including text that needs byte fallback */
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
	{
		char	   *back;
		size_t		len;

		CHECK(LlmTokenize(model->vocab, samples[i], strlen(samples[i]), false, false, &ids, &n, &err) == LLM_OK,
			  "tokenize sample %zu", i);
		CHECK(LlmDetokenize(model->vocab, ids, n, true, &back, &len, &err) == LLM_OK,
			  "detokenize sample %zu", i);
		CHECK(len == strlen(samples[i]) && memcmp(back, samples[i], len) == 0,
			  "round trip of sample %zu: got \"%s\"", i, back);
		free(back);
		free(ids);
	}

	{
		int32_t		bad = 100000;
		char	   *back;
		size_t		len;

		CHECK(LlmDetokenize(model->vocab, &bad, 1, true, &back, &len, &err) == LLM_ERR_ARGUMENT &&
			  strstr(err.message, "out of range") != NULL,
			  "detokenizing an unknown id is an error: %s", err.message);
	}
}

static LlmStatus
Generate(const char *prompt, LlmGenerateParams *gp, LlmGenerateResult *res, LlmError *err)
{
	LlmContext *ctx;
	int32_t    *ids;
	int			n;
	LlmStatus	s;

	s = LlmTokenize(model->vocab, prompt, strlen(prompt), true, false, &ids, &n, err);
	if (s != LLM_OK)
		return s;
	s = LlmContextCreate(model, 256, 0, &ctx, err);
	if (s == LLM_OK)
		s = LlmGenerate(ctx, ids, n, gp, res, err);
	LlmContextFree(ctx);
	free(ids);
	return s;
}

static void
TestGenerate(void)
{
	LlmGenerateParams gp = {0};
	LlmGenerateResult res;
	LlmGenerateResult res2;
	LlmError	err;
	const char *stop[] = {"Lily"};

	LlmSamplerDefaults(&gp.sampling);
	gp.max_tokens = 32;
	CHECK(Generate("", &gp, &res, &err) == LLM_OK, "greedy generation: %s", err.message);
	CHECK(strncmp(res.text, "Once upon a time, there was a little girl named Lily. "
				  "She loved to play outside in the park.", 92) == 0,
		  "greedy from BOS writes the Lily story, got \"%s\"", res.text);
	CHECK(res.n_tokens == 32 && strcmp(res.stop_reason, "length") == 0, "stops at the token limit");
	LlmGenerateResultFree(&res);

	/* the parity README's sanity check: p2's greedy continuation */
	gp.max_tokens = 16;
	CHECK(Generate("Once upon a time, there was a little girl named Lily.", &gp, &res, &err) == LLM_OK,
		  "greedy after p2");
	CHECK(strncmp(res.text, " She loved to play outside in the park.", 39) == 0,
		  "p2 continues as llama.cpp does, got \"%s\"", res.text);
	LlmGenerateResultFree(&res);

	/* stop strings end the text before the stop string */
	gp.max_tokens = 32;
	gp.stop = stop;
	gp.n_stop = 1;
	CHECK(Generate("", &gp, &res, &err) == LLM_OK, "generation with a stop string");
	CHECK(strcmp(res.text, "Once upon a time, there was a little girl named ") == 0 &&
		  strcmp(res.stop_reason, "stop") == 0,
		  "stop string cuts the text, got \"%s\" (%s)", res.text, res.stop_reason);
	LlmGenerateResultFree(&res);
	gp.stop = NULL;
	gp.n_stop = 0;

	/* sampling: a seed makes it reproducible, another seed changes it */
	gp.sampling.temperature = 1.0f;
	gp.sampling.seed = 42;
	gp.max_tokens = 40;
	CHECK(Generate("Once", &gp, &res, &err) == LLM_OK, "sampled generation");
	CHECK(Generate("Once", &gp, &res2, &err) == LLM_OK, "sampled generation again");
	CHECK(strcmp(res.text, res2.text) == 0, "same seed, same text");
	LlmGenerateResultFree(&res2);
	gp.sampling.seed = 7;
	CHECK(Generate("Once", &gp, &res2, &err) == LLM_OK, "sampled with another seed");
	CHECK(strcmp(res.text, res2.text) != 0, "another seed, another text");
	LlmGenerateResultFree(&res);
	LlmGenerateResultFree(&res2);

	/* top-k 1 is greedy whatever the temperature */
	gp.sampling.top_k = 1;
	CHECK(Generate("", &gp, &res, &err) == LLM_OK, "top-k 1");
	CHECK(strncmp(res.text, "Once upon a time, there was a little girl named Lily.", 53) == 0,
		  "top-k 1 equals greedy, got \"%s\"", res.text);
	LlmGenerateResultFree(&res);

	/* a strong repetition penalty must change the greedy text */
	LlmSamplerDefaults(&gp.sampling);
	gp.sampling.repeat_penalty = 5.0f;
	gp.max_tokens = 32;
	CHECK(Generate("", &gp, &res, &err) == LLM_OK, "repetition penalty");
	CHECK(strncmp(res.text, "Once upon a time, there was a little girl named Lily. "
				  "She loved to play outside in the park.", 92) != 0,
		  "penalty changes the output");
	LlmGenerateResultFree(&res);
}

static void
TestSamplerUnit(void)
{
	LlmSamplerParams p;
	LlmSampler *s;
	LlmError	err;
	float		logits[4];
	int			counts[4] = {0};

	LlmSamplerDefaults(&p);
	p.temperature = 1.0f;
	p.min_p = 0.5f;
	p.seed = 3;
	CHECK(LlmSamplerCreate(&p, 4, &s, &err) == LLM_OK, "sampler");
	for (int i = 0; i < 2000; i++)
	{
		/* p ~ 0.47, 0.47, 0.06, 0.00: min-p 0.5 keeps only the first two */
		logits[0] = 2.0f;
		logits[1] = 2.0f;
		logits[2] = 0.0f;
		logits[3] = -5.0f;
		counts[LlmSamplerSample(s, logits)]++;
	}
	CHECK(counts[2] == 0 && counts[3] == 0, "min-p removes unlikely tokens (%d, %d)", counts[2], counts[3]);
	CHECK(counts[0] > 850 && counts[1] > 850, "the two equal tokens are drawn evenly (%d, %d)",
		  counts[0], counts[1]);
	LlmSamplerFree(s);

	LlmSamplerDefaults(&p);
	p.temperature = 1.0f;
	p.top_p = 0.5f;
	CHECK(LlmSamplerCreate(&p, 4, &s, &err) == LLM_OK, "sampler");
	for (int i = 0; i < 200; i++)
	{
		logits[0] = 1.0f;
		logits[1] = 3.0f;
		logits[2] = 0.0f;
		logits[3] = 0.0f;
		CHECK(LlmSamplerSample(s, logits) == 1, "top-p 0.5 keeps only the 0.8-probability token");
	}
	LlmSamplerFree(s);

	p.temperature = -1.0f;
	CHECK(LlmSamplerCreate(&p, 4, &s, &err) == LLM_ERR_ARGUMENT, "negative temperature is rejected");
}

/*
 * NaN logits (a broken model) are never picked; with nothing but NaN the
 * sampler says so with -1.  A NaN first logit once made the best logit NaN,
 * kept no candidate and returned c[-1] (with min-p, an uninitialised id;
 * found by fuzz_sampler).
 */
static void
TestSamplerNaN(void)
{
	LlmSamplerParams p;
	LlmSampler *s;
	LlmError	err;
	float		logits[3];

	for (int sampled = 0; sampled <= 1; sampled++)
		for (int min_p = 0; min_p <= 1; min_p++)
		{
			LlmSamplerDefaults(&p);
			p.temperature = sampled ? 0.8f : 0.0f;
			p.min_p = min_p ? 0.05f : 0.0f;
			CHECK(LlmSamplerCreate(&p, 3, &s, &err) == LLM_OK, "sampler");
			logits[0] = NAN;
			logits[1] = 0.0f;
			logits[2] = 5.0f;
			CHECK(LlmSamplerSample(s, logits) == 2, "a NaN first logit is passed over (temperature %g, min-p %g)",
				  p.temperature, p.min_p);
			logits[0] = logits[1] = logits[2] = NAN;
			CHECK(LlmSamplerSample(s, logits) == -1, "only NaN logits: -1 (temperature %g, min-p %g)",
				  p.temperature, p.min_p);
			logits[0] = 1.0f;
			logits[1] = INFINITY;
			logits[2] = NAN;
			CHECK(LlmSamplerSample(s, logits) == 1, "an infinite logit is the pick");
			LlmSamplerFree(s);
		}
}

static bool
CancelAfter(void *arg)
{
	int		   *left = arg;

	return (*left)-- <= 0;
}

static void
TestErrors(void)
{
	LlmContext *ctx;
	LlmError	err;
	int32_t		toks[8] = {1, 403, 407, 261, 378, 432, 383, 286};
	int32_t		bad = 512;
	float	   *logits = malloc(sizeof(float) * 512 * 8);
	int			polls = 3;

	CHECK(LlmContextCreate(model, 4, 0, &ctx, &err) == LLM_OK, "small context");
	CHECK(LlmDecode(ctx, toks, 8, logits, false, &err) == LLM_ERR_CONTEXT &&
		  strstr(err.message, "8 tokens do not fit") != NULL,
		  "overflowing the context is an error: %s", err.message);
	CHECK(LlmDecode(ctx, &bad, 1, logits, false, &err) == LLM_ERR_ARGUMENT &&
		  strstr(err.message, "outside the vocabulary") != NULL,
		  "an unknown token id is an error: %s", err.message);
	LlmContextFree(ctx);

	/* cancellation stops the pass; the context still works afterwards */
	CHECK(LlmContextCreate(model, 64, 0, &ctx, &err) == LLM_OK, "context");
	ctx->cancel = CancelAfter;
	ctx->cancel_arg = &polls;
	CHECK(LlmDecode(ctx, toks, 8, logits, false, &err) == LLM_ERR_CANCELLED, "cancel callback stops decoding");
	ctx->cancel = NULL;
	LlmContextReset(ctx);
	CHECK(LlmDecode(ctx, toks, 8, logits, true, &err) == LLM_OK, "decoding works after a cancel");
	LlmContextFree(ctx);

	{
		LlmModel   *m;

		CHECK(LlmModelLoad("../shared/no-such-model.gguf", &m, &err) == LLM_ERR_IO && m == NULL,
			  "a missing file is an I/O error: %s", err.message);
		CHECK(LlmModelLoad("../shared/vocab/ggml-vocab-llama-spm.gguf", &m, &err) != LLM_OK,
			  "a vocab-only file is not a model: %s", err.message);
	}
	free(logits);
}

static void
TestBatchEqualsSteps(void)
{
	/* one batch and token-by-token must agree: same math per row */
	int32_t		toks[6] = {1, 403, 407, 261, 378, 432};
	float		batch[6 * 512];
	float		step[512];
	LlmContext *ctx;
	LlmError	err;
	double		maxd = 0;

	CHECK(LlmContextCreate(model, 16, 0, &ctx, &err) == LLM_OK, "context");
	CHECK(LlmDecode(ctx, toks, 6, batch, true, &err) == LLM_OK, "batch decode");
	LlmContextReset(ctx);
	for (int i = 0; i < 6; i++)
	{
		CHECK(LlmDecode(ctx, &toks[i], 1, step, false, &err) == LLM_OK, "step decode");
		for (int j = 0; j < 512; j++)
		{
			double		d = step[j] - batch[i * 512 + j];

			if (d < 0)
				d = -d;
			if (d > maxd)
				maxd = d;
		}
	}
	CHECK(maxd < 1e-4, "batch and step logits agree (max diff %g)", maxd);
	LlmContextFree(ctx);
}

static void
TestUtf8(void)
{
	CHECK(LlmUtf8CompletePrefix("ab", 2) == 2, "ascii");
	CHECK(LlmUtf8CompletePrefix("a\xc3", 2) == 1, "cut 2-byte char");
	CHECK(LlmUtf8CompletePrefix("a\xe6\x97", 3) == 1, "cut 3-byte char");
	CHECK(LlmUtf8CompletePrefix("a\xe6\x97\xa5", 4) == 4, "whole 3-byte char");
	CHECK(LlmUtf8CompletePrefix("\xf0\x9f\x98", 3) == 0, "cut 4-byte char");
	CHECK(LlmUtf8CompletePrefix("\xf0\x9f\x98\x80", 4) == 4, "whole 4-byte char");
}

int
main(void)
{
	LlmError	err;

	if (LlmModelLoad(STORIES, &model, &err) != LLM_OK)
	{
		fprintf(stderr, "cannot load %s: %s\n", STORIES, err.message);
		CHECK(false, "load stories260K");
		return UnitSummary("engine");
	}
	CHECK(model->hp.n_vocab == 512 && model->hp.n_layer == 5 && model->hp.head_dim == 8,
		  "stories260K shapes from metadata");
	TestTokenizer();
	TestGenerate();
	TestSamplerUnit();
	TestSamplerNaN();
	TestErrors();
	TestBatchEqualsSteps();
	TestUtf8();
	LlmModelFree(model);
	return UnitSummary("engine");
}
