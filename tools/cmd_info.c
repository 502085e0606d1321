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
	printf("context %d, rope %s n_rot %d freq_base %g freq_scale %g%s, rms_eps %g, output %s\n",
		   hp->n_ctx_train, hp->rope_type == LLM_ROPE_NEOX ? "neox" : "normal", hp->n_rot,
		   hp->rope_freq_base, hp->rope_freq_scale, m->rope_freqs ? " (freq factors)" : "",
		   hp->rms_eps, m->tied_output ? "tied to token_embd" : "separate");
	PrintContents(m->gguf);
}

/* A GGUF string key as printf's "%.*s" arguments would want it, or "(none)". */
static GgufString
KeyText(const GgufFile *gguf, const char *key)
{
	GgufString	s;

	if (!GgufGetString(gguf, key, &s))
	{
		s.data = "(none)";
		s.len = strlen(s.data);
	}
	return s;
}

/*
 * What a file llm-cli cannot run holds, why it cannot run it, and whether
 * its tokenizer is still of use (the commands that need no weights).
 */
static void
PrintNotRunnable(const char *path, const GgufFile *gguf, LlmStatus load_status,
				 const char *load_message)
{
	GgufString	arch = KeyText(gguf, "general.architecture");
	GgufString	tok = KeyText(gguf, "tokenizer.ggml.model");
	GgufString	pre = KeyText(gguf, "tokenizer.ggml.pre");
	const GgufKV *tokens = GgufGetArray(gguf, "tokenizer.ggml.tokens", GGUF_TYPE_STRING);
	LlmVocab   *vocab;
	LlmError	err;

	printf("file: %s (GGUF v%u, %.2f MB)\n", path, gguf->version, gguf->size / 1e6);
	if (gguf->n_tensors == 0)
	{
		printf("this file holds only %s: no weights, so no model to run\n",
			   tokens != NULL ? "a vocabulary" : "metadata");
		if (load_status == LLM_ERR_UNSUPPORTED)
			printf("(nor would its architecture run: %s)\n", load_message);
	}
	else
		printf("llm-cli cannot run this model: %s\n", load_message);
	printf("architecture: %.*s\n", (int) arch.len, arch.data);
	if (tokens == NULL)
		printf("tokenizer: none\n");
	else
	{
		printf("tokenizer: %.*s (pre-tokenizer %.*s), vocabulary of %llu tokens\n",
			   (int) tok.len, tok.data, (int) pre.len, pre.data,
			   (unsigned long long) tokens->v.arr.len);
		if (LlmVocabLoad(gguf, &vocab, &err) == LLM_OK)
		{
			printf("its tokenizer works: vocab-test, bench-tokenize and chat --prompt-only use it\n");
			LlmVocabFree(vocab);
		}
		else
			printf("its tokenizer cannot be used either: %s\n", err.message);
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
	s = GgufOpen(path, &gguf, &err);
	if (s != LLM_OK)
	{
		fprintf(stderr, "llm-cli: %s%s%s\n", s == LLM_ERR_IO ? "" : path,
				s == LLM_ERR_IO ? "" : ": ", err.message);
		return 1;
	}
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
	{
		fprintf(stderr, "llm-cli: %s: %s\n", path, err.message);
		return 1;
	}

	/* the file opened a moment ago: open it again for its metadata */
	memcpy(load_message, err.message, sizeof(load_message));
	if (GgufOpen(path, &gguf, &err) != LLM_OK)
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
