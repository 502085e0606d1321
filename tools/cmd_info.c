/*-------------------------------------------------------------------------
 *
 * cmd_info.c
 *	  llm-cli info FILE: what a GGUF file holds.
 *
 * A model the engine runs is described with its shapes, as loaded.  A
 * file it cannot run is still worth describing: a vocabulary-only file
 * (llama.cpp's ggml-vocab-*.gguf, which vocab-test, bench-tokenize and
 * chat --prompt-only use) or a model of another architecture.  For those
 * the metadata is read with the GGUF reader alone, and the output says
 * plainly why the file is not a model llm-cli can run; that is an answer,
 * not a failure, so the exit status is 0.  A file that is not GGUF, or a
 * model of a supported architecture that fails to load, is an error.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "model.h"

/* Most bytes of a string value shown: a chat template runs to kilobytes. */
#define INFO_STRING_SHOWN 200

/*
 * A string of the file, quoted and escaped: it could hold terminal escape
 * sequences, and a line break (a chat template has many) would break the
 * one key a line layout.  A long one is cut where a character begins.
 */
static void
PrintString(const char *s, uint64_t len)
{
	size_t		shown = len;

	if (len > INFO_STRING_SHOWN)
	{
		shown = INFO_STRING_SHOWN;
		while (shown > 0 && ((unsigned char) s[shown] & 0xC0) == 0x80)
			shown--;
	}
	CliPrintEscaped(stdout, s, shown, '"');
	if (shown < len)
		printf("... (%llu bytes)", (unsigned long long) len);
}

static void
PrintKV(const GgufKV *kv)
{
	printf("  ");
	CliPrintEscaped(stdout, kv->key.data, kv->key.len, '\0');
	printf(" = ");
	switch (kv->type)
	{
		case GGUF_TYPE_STRING:
			PrintString(kv->v.str.data, kv->v.str.len);
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

/* Every key, then the tensors counted by type. */
static void
PrintContents(const GgufFile *gguf)
{
	uint64_t	count[LLM_TYPE_COUNT] = {0};

	printf("metadata (%llu keys):\n", (unsigned long long) gguf->n_kv);
	for (uint64_t i = 0; i < gguf->n_kv; i++)
		PrintKV(&gguf->kv[i]);
	for (uint64_t i = 0; i < gguf->n_tensors; i++)
		if (gguf->tensors[i].type < LLM_TYPE_COUNT)
			count[gguf->tensors[i].type]++;
	printf("tensors (%llu):", (unsigned long long) gguf->n_tensors);
	for (int t = 0; t < LLM_TYPE_COUNT; t++)
		if (count[t])
			printf(" %s x %llu", LlmTypeGetTraits(t)->name, (unsigned long long) count[t]);
	printf("\n");
}

static void
PrintModel(const char *path, const LlmModel *m)
{
	const LlmHParams *hp = &m->hp;

	printf("file: %s (GGUF v%u, %.2f MB)\n", path, m->gguf->version, m->gguf->size / 1e6);
	printf("architecture: %s, %.1fM parameters, %s\n", m->arch_name, m->n_params / 1e6,
		   LlmModelQuantName(m));
	printf("n_vocab %d, n_embd %d, n_layer %d, n_head %d, n_head_kv %d, head_dim %d, n_ff %d\n",
		   hp->n_vocab, hp->n_embd, hp->n_layer, hp->n_head, hp->n_head_kv, hp->head_dim, hp->n_ff);
	printf("kind: %s (pooling %s%s)\n", LlmModelKindName(m->kind), LlmPoolingName(hp->pooling),
		   hp->causal ? "" : ", bidirectional attention: an encoder");
	if (m->pos_embd.data != NULL)
		printf("context %d (learned positions), layer_norm_eps %g, output none: hidden states\n",
			   hp->n_ctx_train, hp->norm_eps);
	else
		printf("context %d, rope %s n_rot %d freq_base %g freq_scale %g%s, rms_eps %g, output %s\n",
			   hp->n_ctx_train, hp->rope_type == LLM_ROPE_NEOX ? "neox" : "normal", hp->n_rot,
			   hp->rope_freq_base, hp->rope_freq_scale, m->rope_freqs ? " (freq factors)" : "",
			   hp->rms_eps, m->tied_output ? "tied to token_embd" : "separate");
	if (strcmp(hp->rope_scaling, "none") != 0 || m->rope_long != NULL)
		printf("rope scaling %s%s, original context %d, attention factor %g\n",
			   m->rope_long != NULL ? "longrope" : hp->rope_scaling,
			   hp->yarn_ext_factor != 0.0f ? " (YaRN)" : "", hp->n_ctx_orig,
			   m->layers[0].rope.attn_factor);
	if (hp->n_swa > 0)
	{
		int			local = 0;
		float		base = 0.0f;

		for (int l = 0; l < hp->n_layer; l++)
			if (m->layers[l].n_swa > 0)
			{
				local++;
				base = m->layers[l].rope.freq_base;
			}
		printf("sliding window %d on %d of %d layers (local rope base %g)\n", hp->n_swa, local,
			   hp->n_layer, base);
	}
	if (hp->final_logit_softcap > 0.0f)
		printf("final logit soft-capping %g\n", hp->final_logit_softcap);
	PrintContents(m->gguf);
}

/* A GGUF string key, escaped (without quotes), or "(none)". */
static void
PrintKeyText(const GgufFile *gguf, const char *key)
{
	GgufString	s;

	if (GgufGetString(gguf, key, &s))
		CliPrintEscaped(stdout, s.data, s.len, '\0');
	else
		printf("(none)");
}

/*
 * A line with an engine message, which may quote the file (an
 * architecture's name), escaped.
 */
static void
PrintMessage(const char *before, const char *msg, const char *after)
{
	fputs(before, stdout);
	CliPrintEscaped(stdout, msg, strlen(msg), '\0');
	printf("%s\n", after);
}

/*
 * What a file llm-cli cannot run holds, why it cannot run it, and whether
 * its tokenizer is still of use (the commands that need no weights).
 */
static void
PrintNotRunnable(const char *path, const GgufFile *gguf, LlmStatus load_status,
				 const char *load_message)
{
	const GgufKV *tokens = GgufGetArray(gguf, "tokenizer.ggml.tokens", GGUF_TYPE_STRING);
	LlmVocab   *vocab;
	LlmError	err;

	printf("file: %s (GGUF v%u, %.2f MB)\n", path, gguf->version, gguf->size / 1e6);
	if (gguf->n_tensors == 0)
	{
		printf("this file holds only %s: no weights, so no model to run\n",
			   tokens != NULL ? "a vocabulary" : "metadata");
		if (load_status == LLM_ERR_UNSUPPORTED)
			PrintMessage("(nor would its architecture run: ", load_message, ")");
	}
	else
		PrintMessage("llm-cli cannot run this model: ", load_message, "");
	printf("architecture: ");
	PrintKeyText(gguf, "general.architecture");
	putchar('\n');
	if (tokens == NULL)
		printf("tokenizer: none\n");
	else
	{
		printf("tokenizer: ");
		PrintKeyText(gguf, "tokenizer.ggml.model");
		printf(" (pre-tokenizer ");
		PrintKeyText(gguf, "tokenizer.ggml.pre");
		printf("), vocabulary of %llu tokens\n", (unsigned long long) tokens->v.arr.len);
		if (LlmVocabLoad(gguf, &vocab, &err) == LLM_OK)
		{
			printf("its tokenizer works: vocab-test, bench-tokenize and chat --prompt-only use it\n");
			LlmVocabFree(vocab);
		}
		else
			PrintMessage("its tokenizer cannot be used either: ", err.message, "");
	}
	PrintContents(gguf);
}

static int
CliInfo(const CliArgs *args)
{
	const char *path = args->pos[0];
	GgufFile   *gguf;
	LlmModel   *m;
	LlmError	err;
	LlmStatus	s;
	uint64_t	n_tensors;
	char		load_message[LLM_ERROR_MESSAGE_SIZE];

	/* not GGUF, or not readable: nothing to describe */
	if (CliOpenGguf(path, &gguf, &err) != LLM_OK)
		return CliFail(&err);
	n_tensors = gguf->n_tensors;
	/* takes gguf, and closes it if the file is not a model it runs */
	s = LlmModelFromGguf(gguf, &m, &err);
	if (s == LLM_OK)
	{
		PrintModel(path, m);
		LlmModelFree(m);
		return 0;
	}
	if (n_tensors > 0 && s != LLM_ERR_UNSUPPORTED)
		return CliFail(CliNameFile(s, path, &err));

	/* the file opened a moment ago: open it again for its metadata */
	memcpy(load_message, err.message, sizeof(load_message));
	if (CliOpenGguf(path, &gguf, &err) != LLM_OK)
		return CliFail(&err);
	PrintNotRunnable(path, gguf, s, load_message);
	GgufClose(gguf);
	return 0;
}

static const CliOption info_options[] = {{NULL}};

const CliCommand cli_info = {
	"info", "FILE", 1,
	"metadata, shapes and tensor types of a GGUF file; also describes vocabulary-only files "
	"and models of architectures llm-cli cannot run",
	info_options, false, CliInfo
};
