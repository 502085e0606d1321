/*-------------------------------------------------------------------------
 *
 * cmd_info.c
 *	  llm-cli info FILE: what a GGUF model holds, as loaded.
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

static int
CliInfo(const CliArgs *args)
{
	LlmModel   *m;
	LlmError	err;

	if (LlmModelLoad(args->pos[0], &m, &err) != LLM_OK)
		return CliFail(&err);
	PrintModel(args->pos[0], m);
	LlmModelFree(m);
	return 0;
}

static const CliOption info_options[] = {{NULL}};

const CliCommand cli_info = {
	"info", "FILE", 1,
	"metadata, shapes and tensor types of a GGUF model",
	info_options, false, CliInfo
};
