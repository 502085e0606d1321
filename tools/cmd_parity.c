/*-------------------------------------------------------------------------
 *
 * cmd_parity.c
 *	  llm-cli parity DIR: compare the engine with llama.cpp's reference
 *	  logits and greedy continuations (laid out as ../shared/parity, see its
 *	  README), with that README's suggested tolerances; for an embedding
 *	  model (index kind "embedding": bert) its per-token hidden states and
 *	  pooled vectors instead.  F32 models run in llama.cpp's order of float
 *	  operations (LlmContextSetGgmlOrder).
 *
 * Every figure is relative to the prompt's logit standard deviation, and
 * near-ties of the reference (margin below the threshold) are exempt from
 * top-1 and greedy agreement, because there even two llama.cpp code paths
 * disagree.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_input.h"
#include "context.h"
#include "kernels.h"
#include "scoring.h"

/* the KV cache the models run with (--kv) */
static LlmType parity_kv_type = LLM_TYPE_F32;

typedef struct Tolerance
{
	const char *quant;			/* index.json "quant"; NULL = any other */
	double		max_abs;		/* x std */
	double		rms;			/* x std */
	double		margin;			/* x std: below this a reference tie is exempt */
} Tolerance;

static const Tolerance tolerances[] = {
	{"F32", 1e-4, 1e-4, 1e-3},
	{"F16", 0.01, 0.002, 0.01},
	{"BF16", 0.05, 0.01, 0.02},
	{NULL, 0.25, 0.05, 0.1},	/* Q8_0, Q4_0, Q4_K(_M), Q6_K */
};

/* Measured agreement of one model over all its prompts. */
typedef struct ParityStats
{
	double		max_abs;		/* worst over prompts, x std */
	double		rms;			/* worst over prompts, x std */
	int			top1_clear;		/* positions with a clear reference margin */
	int			top1_clear_ok;
	int			top1_all;
	int			top1_all_ok;
	int		   *greedy_same;	/* identical steps per prompt */
	int		   *greedy_len;
	bool		greedy_ok;
	int			n_prompts;
	double		min_cos;		/* embeddings: least cosine of a pooled vector */
} ParityStats;

static const Tolerance *
ToleranceFor(const char *quant)
{
	for (size_t i = 0;; i++)
		if (tolerances[i].quant == NULL || strcmp(tolerances[i].quant, quant) == 0)
			return &tolerances[i];
}

static int
ArgmaxRow(const float *row, int n)
{
	int			best = 0;

	for (int i = 1; i < n; i++)
		if (row[i] > row[best])
			best = i;
	return best;
}

static float *
ReadFloats(const char *path, size_t count, char *msg, size_t msglen)
{
	FILE	   *f = CliOpenInput(path, msg, msglen);
	float	   *buf;
	CliPathText shown;

	if (f == NULL)
		return NULL;
	buf = malloc(sizeof(float) * count);
	if (buf == NULL)
		snprintf(msg, msglen, "out of memory");
	else if (fread(buf, sizeof(float), count, f) != count || fgetc(f) != EOF)
		snprintf(msg, msglen, "%s: does not hold %zu float32 values",
				 CliShortPath(path, &shown), count);
	else
	{
		fclose(f);
		return buf;
	}
	free(buf);
	fclose(f);
	return NULL;
}

/*
 * Whether v is an array of n numbers (any count if n is 0), each a token
 * id of the vocabulary if n_vocab is not 0: what the reference holds
 * before its values are read.
 */
static bool
NumberArray(const LlmJsonValue *v, size_t n, int n_vocab)
{
	if (v == NULL || v->type != LLM_JSON_ARRAY || (n != 0 && v->count != n))
		return false;
	for (size_t i = 0; i < v->count; i++)
	{
		double		x = v->items[i].number;

		if (v->items[i].type != LLM_JSON_NUMBER ||
			(n_vocab != 0 && !(x >= 0 && x < n_vocab && x == (int32_t) x)))
			return false;
	}
	return true;
}

/* Check one prompt; accumulates into st, returns false on a setup error. */
static bool
ParityPrompt(LlmContext *ctx, const LlmJsonValue *prompt, const char *dir,
			 const Tolerance *tol, ParityStats *st, char *msg, size_t msglen)
{
	const int	n_vocab = ctx->model->hp.n_vocab;
	const LlmJsonValue *jt = LlmJsonGet(prompt, "tokens");
	const LlmJsonValue *jmargin = LlmJsonGet(prompt, "argmax_margin");
	const LlmJsonValue *jgreedy = LlmJsonGet(prompt, "greedy");
	const LlmJsonValue *jgmargin = LlmJsonGet(prompt, "greedy_margin");
	const double std = LlmJsonGetNumber(prompt, "logit_std", 0);
	const char *file = LlmJsonGetString(prompt, "logits_file", NULL);
	const char *bad = NULL;
	char		path[4096];
	int			n;
	int32_t    *tokens;
	float	   *ours;
	float	   *ref;
	double		sq = 0;
	double		max_abs = 0;
	LlmError	err;
	int			p = st->n_prompts++;
	bool		ok = false;

	/* the values are read as they are used: their types first */
	if (!NumberArray(jt, 0, n_vocab) || jt->count == 0)
		bad = "\"tokens\" is not a non-empty array of the vocabulary's token ids";
	else if (!NumberArray(jmargin, jt->count, 0))
		bad = "\"argmax_margin\" is not an array of a number per token";
	else if (!NumberArray(jgreedy, 0, n_vocab))
		bad = "\"greedy\" is not an array of the vocabulary's token ids";
	else if (!NumberArray(jgmargin, jgreedy->count, 0))
		bad = "\"greedy_margin\" is not an array of a number per greedy token";
	else if (file == NULL)
		bad = "\"logits_file\" is not a string";
	else if (!(std > 0))
		bad = "\"logit_std\" is not a number > 0";
	if (bad != NULL)
	{
		snprintf(msg, msglen, "malformed prompt %d in the reference: %s", p, bad);
		return false;
	}
	n = (int) jt->count;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	ref = ReadFloats(path, (size_t) n * n_vocab, msg, msglen);
	tokens = malloc(sizeof(int32_t) * (n + jgreedy->count));
	ours = malloc(sizeof(float) * (size_t) n * n_vocab);
	if (ref == NULL || tokens == NULL || ours == NULL)
		goto done;
	for (int i = 0; i < n; i++)
		tokens[i] = (int32_t) LlmJsonAt(jt, i)->number;

	LlmContextReset(ctx);
	if (LlmDecode(ctx, tokens, n, ours, true, &err) != LLM_OK)
	{
		snprintf(msg, msglen, "%s", err.message);
		goto done;
	}
	for (size_t i = 0; i < (size_t) n * n_vocab; i++)
	{
		double		d = fabs((double) ours[i] - ref[i]);

		sq += d * d;
		if (d > max_abs || isnan(d))
			max_abs = isnan(d) ? INFINITY : d;
	}
	max_abs /= std;
	if (max_abs > st->max_abs)
		st->max_abs = max_abs;
	if (sqrt(sq / ((double) n * n_vocab)) / std > st->rms)
		st->rms = sqrt(sq / ((double) n * n_vocab)) / std;

	for (int i = 0; i < n; i++)
	{
		bool		same = ArgmaxRow(ours + (size_t) i * n_vocab, n_vocab) ==
			ArgmaxRow(ref + (size_t) i * n_vocab, n_vocab);

		st->top1_all++;
		st->top1_all_ok += same;
		if (LlmJsonAt(jmargin, i)->number >= tol->margin * std)
		{
			st->top1_clear++;
			st->top1_clear_ok += same;
		}
	}

	/* greedy continuation through the KV cache, one token at a time */
	st->greedy_len[p] = (int) jgreedy->count;
	st->greedy_same[p] = 0;
	{
		float	   *last = ours + (size_t) (n - 1) * n_vocab;

		for (size_t step = 0; step < jgreedy->count; step++)
		{
			int32_t		tok = ArgmaxRow(last, n_vocab);

			if (tok != (int32_t) LlmJsonAt(jgreedy, step)->number)
			{
				/* a divergence only counts where the reference was not a near-tie */
				if (LlmJsonAt(jgmargin, step)->number >= tol->margin * std)
					st->greedy_ok = false;
				break;
			}
			st->greedy_same[p]++;
			if (step + 1 == jgreedy->count)
				break;
			if (LlmDecode(ctx, &tok, 1, last, false, &err) != LLM_OK)
			{
				snprintf(msg, msglen, "%s", err.message);
				goto done;
			}
		}
	}
	ok = true;

done:
	free(ref);
	free(ours);
	free(tokens);
	return ok;
}

/*
 * Compare n floats with a reference: the largest and the root-mean-square
 * difference as multiples of std, worst-of into st; the cosine of the two
 * vectors returned.
 */
static double
CompareFloats(const float *ours, const float *ref, size_t n, double std, ParityStats *st)
{
	double		sq = 0;
	double		max_abs = 0;
	double		dot = 0;
	double		n1 = 0;
	double		n2 = 0;

	for (size_t i = 0; i < n; i++)
	{
		double		d = fabs((double) ours[i] - ref[i]);

		sq += d * d;
		if (d > max_abs || isnan(d))
			max_abs = isnan(d) ? INFINITY : d;
		dot += (double) ours[i] * ref[i];
		n1 += (double) ours[i] * ours[i];
		n2 += (double) ref[i] * ref[i];
	}
	if (max_abs / std > st->max_abs)
		st->max_abs = max_abs / std;
	if (sqrt(sq / n) / std > st->rms)
		st->rms = sqrt(sq / n) / std;
	return n1 > 0 && n2 > 0 ? dot / sqrt(n1 * n2) : 0.0;
}

/* The standard deviation of n floats. */
static double
FloatsStd(const float *v, size_t n)
{
	double		sum = 0;
	double		sq = 0;

	for (size_t i = 0; i < n; i++)
		sum += v[i];
	for (size_t i = 0; i < n; i++)
		sq += (v[i] - sum / n) * (v[i] - sum / n);
	return sqrt(sq / n);
}

/*
 * Check one prompt of an embedding model (bert): the per-token hidden
 * states (hidden_file, in units of hidden_std), the pooled vector as
 * llama.cpp returns it and its L2-normalized copy (each in units of its
 * own standard deviation), through LlmDecodeHidden and LlmEmbedPooled.
 */
static bool
ParityEmbedPrompt(LlmContext *ctx, const LlmJsonValue *prompt, const char *dir,
				  ParityStats *st, char *msg, size_t msglen)
{
	const int	n_embd = ctx->model->hp.n_embd;
	const LlmJsonValue *jt = LlmJsonGet(prompt, "tokens");
	const double std = LlmJsonGetNumber(prompt, "hidden_std", 0);
	const char *files[3] = {LlmJsonGetString(prompt, "hidden_file", NULL),
		LlmJsonGetString(prompt, "embd_pooled_file", NULL),
	LlmJsonGetString(prompt, "embd_pooled_l2_file", NULL)};
	float	   *ref[3] = {NULL, NULL, NULL};
	float	   *hidden = NULL;
	float	   *pooled = NULL;
	int32_t    *tokens = NULL;
	char		path[4096];
	LlmError	err;
	int			p = st->n_prompts++;
	int			n;
	bool		ok = false;

	if (!NumberArray(jt, 0, ctx->model->hp.n_vocab) || jt->count == 0)
	{
		snprintf(msg, msglen, "malformed prompt %d in the reference: \"tokens\" is not a non-empty array of the vocabulary's token ids", p);
		return false;
	}
	if (files[0] == NULL || files[1] == NULL || files[2] == NULL || !(std > 0))
	{
		snprintf(msg, msglen, "malformed prompt %d in the reference: hidden_file, embd_pooled_file, embd_pooled_l2_file or hidden_std is missing", p);
		return false;
	}
	n = (int) jt->count;
	for (int i = 0; i < 3; i++)
	{
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if ((ref[i] = ReadFloats(path, (size_t) (i == 0 ? n : 1) * n_embd, msg, msglen)) == NULL)
			goto done;
	}
	tokens = malloc(sizeof(int32_t) * n);
	hidden = malloc(sizeof(float) * (size_t) n * n_embd);
	pooled = malloc(sizeof(float) * 2 * n_embd);
	if (tokens == NULL || hidden == NULL || pooled == NULL)
	{
		snprintf(msg, msglen, "out of memory");
		goto done;
	}
	for (int i = 0; i < n; i++)
		tokens[i] = (int32_t) LlmJsonAt(jt, i)->number;

	LlmContextReset(ctx);
	if (LlmDecodeHidden(ctx, tokens, n, hidden, &err) != LLM_OK ||
		LlmEmbedPooled(ctx, tokens, n, false, pooled, &err) != LLM_OK ||
		LlmEmbedPooled(ctx, tokens, n, true, pooled + n_embd, &err) != LLM_OK)
	{
		snprintf(msg, msglen, "%s", err.message);
		goto done;
	}
	CompareFloats(hidden, ref[0], (size_t) n * n_embd, std, st);
	for (int i = 0; i < 2; i++)
	{
		double		cos = CompareFloats(pooled + (size_t) i * n_embd, ref[i + 1], n_embd,
										FloatsStd(ref[i + 1], n_embd), st);

		if (cos < st->min_cos)
			st->min_cos = cos;
	}
	ok = true;

done:
	for (int i = 0; i < 3; i++)
		free(ref[i]);
	free(hidden);
	free(pooled);
	free(tokens);
	return ok;
}

/* Check one model of the index; prints its line, returns pass/fail. */
static bool
ParityModel(const char *dir, const LlmJsonValue *entry)
{
	const char *name = LlmJsonGetString(entry, "name", "?");
	const char *quant = LlmJsonGetString(entry, "quant", "?");
	const char *model_file = LlmJsonGetString(entry, "model_file", NULL);
	const char *ref_file = LlmJsonGetString(entry, "ref", NULL);
	const Tolerance *tol = ToleranceFor(quant);
	const bool	embedding = strcmp(LlmJsonGetString(entry, "kind", ""), "embedding") == 0;
	ParityStats st = {0};
	char		path[4096];
	char		msg[512] = "";
	LlmJsonValue *ref = NULL;
	const LlmJsonValue *prompts;
	LlmModel   *model = NULL;
	LlmContext *ctx = NULL;
	LlmError	err;
	CliPathText shown;
	bool		pass = false;

	st.greedy_ok = true;
	st.min_cos = 1.0;
	if (model_file == NULL || ref_file == NULL)
	{
		printf("FAIL %-24s index entry lacks model_file or ref\n", name);
		return false;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, ref_file);
	ref = CliParseJsonFile(path, msg, sizeof(msg));
	prompts = ref ? LlmJsonGet(ref, "prompts") : NULL;
	if (ref != NULL && (prompts == NULL || prompts->type != LLM_JSON_ARRAY || prompts->count == 0))
		snprintf(msg, sizeof(msg), "%s: has no prompts", CliShortPath(path, &shown));
	else if (ref != NULL &&
			 ((st.greedy_same = calloc(prompts->count, sizeof(int))) == NULL ||
			  (st.greedy_len = calloc(prompts->count, sizeof(int))) == NULL))
		snprintf(msg, sizeof(msg), "out of memory");
	else if (ref != NULL)
	{
		snprintf(path, sizeof(path), "%s/%s", dir, model_file);
		if (CliLoadModel(path, &model, &err) != LLM_OK ||
			LlmContextCreateKv(model, 512, 512, 1, parity_kv_type, &ctx, &err) != LLM_OK)
			snprintf(msg, sizeof(msg), "%s", err.message);
		else
		{
			/*
			 * The limits of an F32 model are those of float rounding, so it
			 * runs in llama.cpp's order of float operations: on a GELU model
			 * (gemma3, bert) any other order moves an F16 table lookup now
			 * and then, by more than they allow.
			 */
			LlmContextSetGgmlOrder(ctx, strcmp(quant, "F32") == 0);
			pass = true;
			for (size_t i = 0; i < prompts->count && pass; i++)
				pass = embedding ?
					ParityEmbedPrompt(ctx, LlmJsonAt(prompts, i), dir, &st, msg, sizeof(msg)) :
					ParityPrompt(ctx, LlmJsonAt(prompts, i), dir, tol, &st, msg, sizeof(msg));
		}
	}
	if (!pass)
	{
		printf("FAIL %-24s %s\n", name, msg);
		goto done;
	}

	pass = st.max_abs <= tol->max_abs && st.rms <= tol->rms &&
		st.top1_clear_ok == st.top1_clear && st.greedy_ok;
	if (embedding)
	{
		printf("%s %-24s %-9s max|d| %.2e rms %.2e (x std; limits %.0e %.0e)  hidden states and pooled vectors, least cosine %.7f\n",
			   pass ? "PASS" : "FAIL", name, quant, st.max_abs, st.rms, tol->max_abs, tol->rms,
			   st.min_cos);
		goto done;
	}
	printf("%s %-24s %-9s max|d| %.2e rms %.2e (x std; limits %.0e %.0e)  top-1 %d/%d clear, %.1f%% all  greedy",
		   pass ? "PASS" : "FAIL", name, quant, st.max_abs, st.rms, tol->max_abs, tol->rms,
		   st.top1_clear_ok, st.top1_clear, 100.0 * st.top1_all_ok / st.top1_all);
	for (int p = 0; p < st.n_prompts; p++)
		printf("%s%d/%d", p ? "," : " ", st.greedy_same[p], st.greedy_len[p]);
	printf("%s\n", st.greedy_ok ? "" : " (diverged at a clear margin)");

done:
	LlmContextFree(ctx);
	LlmModelFree(model);
	LlmJsonFree(ref);
	free(st.greedy_same);
	free(st.greedy_len);
	return pass;
}

/* The architecture an entry of the index names, "" if none. */
static const char *
EntryArch(const LlmJsonValue *entry)
{
	return LlmJsonGetString(entry, "arch", "");
}

/*
 * Whether the index has a model of architecture arch; if not, say so on
 * stderr with the architectures it has.
 */
static bool
IndexHasArch(const char *index_path, const LlmJsonValue *models, const char *arch)
{
	CliPathText shown;

	for (size_t i = 0; i < models->count; i++)
		if (strcmp(EntryArch(LlmJsonAt(models, i)), arch) == 0)
			return true;
	fprintf(stderr, "llm-cli: no model of architecture \"%s\" in %s; it has:", arch,
			CliShortPath(index_path, &shown));
	for (size_t i = 0; i < models->count; i++)
	{
		const char *a = EntryArch(LlmJsonAt(models, i));
		size_t		j = 0;

		/* each once, in the order of the index */
		while (j < i && strcmp(EntryArch(LlmJsonAt(models, j)), a) != 0)
			j++;
		if (j == i)
			fprintf(stderr, "%s %s", i ? "," : "", a[0] ? a : "(none)");
	}
	fputc('\n', stderr);
	return false;
}

/*
 * Every model of the index (of architecture arch, unless NULL) with the
 * current kernels, counted into passed and failed.
 */
static void
ParityAll(const char *dir, const LlmJsonValue *models, const char *arch, int *passed, int *failed)
{
	printf("parity against %s (kernels: %s)\n", dir, LlmKernelsGet()->name);
	for (size_t i = 0; i < models->count; i++)
	{
		if (arch != NULL && strcmp(EntryArch(LlmJsonAt(models, i)), arch) != 0)
			continue;
		if (ParityModel(dir, LlmJsonAt(models, i)))
			(*passed)++;
		else
			(*failed)++;
	}
}

/* --kv: the KV cache types a parity run can use */
static const char *
ParityKvName(int i)
{
	static const char *const names[] = {"f32", "f16"};

	return i < 2 ? names[i] : NULL;
}

/*
 * What the columns of a model's line mean, once before the lines: the
 * figures are only comparable, and the limits only make sense, knowing
 * what they measure.
 */
static void
ParityLegend(void)
{
	printf("columns: PASS or FAIL, the model, its weight type (quant), then against llama.cpp:\n"
		   "  max|d| rms  the largest and the root-mean-square difference of a logit, as a\n"
		   "              multiple of the prompt's logit standard deviation (x std);\n"
		   "              limits: the most each may be\n"
		   "  top-1       positions whose most likely next token is llama.cpp's: N/M of the\n"
		   "              clear ones (llama.cpp's best leads its second by a margin; all must\n"
		   "              agree), and the share of all positions (near-ties may go either way)\n"
		   "  greedy      per prompt, how many tokens of llama.cpp's greedy continuation came\n"
		   "              out the same / its length; only a divergence at a clear margin fails\n"
		   "an embedding model's max|d| and rms are over its hidden states (x their std) and\n"
		   "its pooled vectors, raw and L2-normalized (each x its own std), with the least\n"
		   "cosine of a pooled vector; F32 models run in llama.cpp's float order\n");
}

static int
CliParity(const CliArgs *args)
{
	const char *dir = args->pos[0];
	const char *arch = CliGet(args, "--arch");
	char		path[4096];
	char		msg[512];
	LlmJsonValue *index;
	const LlmJsonValue *models;
	CliPathText shown;
	int			passed = 0;
	int			failed = 0;
	int			kv;

	if (!CliGetChoice(args, "--kv", 0, &kv))
		return 2;
	/* llama.cpp's references use an F32 cache: F16 shows what it changes */
	parity_kv_type = kv == 1 ? LLM_TYPE_F16 : LLM_TYPE_F32;
	snprintf(path, sizeof(path), "%s/index.json", dir);
	index = CliParseJsonFile(path, msg, sizeof(msg));
	if (index == NULL)
	{
		fprintf(stderr, "llm-cli: %s\n", msg);
		return 1;
	}
	models = LlmJsonGet(index, "models");
	if (models == NULL || models->type != LLM_JSON_ARRAY || models->count == 0)
	{
		fprintf(stderr, "llm-cli: %s: lists no models\n", CliShortPath(path, &shown));
		LlmJsonFree(index);
		return 1;
	}
	/* a run that checks nothing must not pass */
	if (arch != NULL && !IndexHasArch(path, models, arch))
	{
		LlmJsonFree(index);
		return 1;
	}
	ParityLegend();
	if (CliHas(args, "--all-kernels"))
	{
		/* the whole suite once per variant this CPU runs */
		const char *const *names = LlmKernelsNames();

		for (int k = 0; names[k] != NULL; k++)
		{
			if (!LlmKernelsSelect(names[k]))
			{
				printf("kernels %s: skipped, this CPU cannot run them\n", names[k]);
				continue;
			}
			ParityAll(dir, models, arch, &passed, &failed);
		}
		LlmKernelsSelect("auto");
	}
	else
		ParityAll(dir, models, arch, &passed, &failed);
	printf("%d passed, %d failed\n", passed, failed);
	LlmJsonFree(index);
	return failed == 0 ? 0 : 1;
}

static const CliOption parity_options[] = {
	{"--all-kernels", NULL, "run the suite once per kernel variant this CPU runs", false, NULL},
	{"--kv", "TYPE", "KV cache type (default f32, as llama.cpp's references)", false, ParityKvName},
	{"--arch", "ARCH", "only the models of this architecture (the index's \"arch\")", false, NULL},
	{NULL}
};

const CliCommand cli_parity = {
	"parity", "DIR", 1,
	"check the models of DIR (laid out as ../shared/parity) against llama.cpp's logits",
	parity_options, false, CliParity
};
