/*-------------------------------------------------------------------------
 *
 * fuzz_model.c
 *	  libFuzzer harness of the model loader: mutated small models through
 *	  LlmModelFromGguf, then a chat prompt and a few sampled tokens with
 *	  whatever it accepted.
 *
 * LlmModelLoad is GgufOpen (the mapping, fuzzed by fuzz_gguf.c) then
 * LlmModelFromGguf; this harness opens the bytes with GgufOpenMemory so
 * that AddressSanitizer sees a read past the end of the file.  A model the
 * loader accepts is one the forward pass trusts (shapes, hyperparameters,
 * rope settings), so every accepted model is run: its chat template
 * rendered, a prompt tokenized, decoded and two tokens sampled.
 *
 * Two kinds of input, so that mutations land where the loader looks:
 *	- a whole GGUF file (it starts with "GGUF"), up to MAX_FILE bytes;
 *	- byte 0 picks a base model of fuzz.h and the rest is a GGUF header
 *	  (metadata and tensor infos); the base's tensor data is appended at
 *	  the next multiple of 32, where the header's offsets point when the
 *	  header keeps the base's alignment.  seeds.c writes every base's own
 *	  header this way, so the seeds load as the real models do.  Byte 0
 *	  divided by the number of bases also picks the KV cache type.
 *
 *-------------------------------------------------------------------------
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "chat.h"
#include "context.h"
#include "fuzz.h"
#include "generate.h"
#include "gguf.h"
#include "model.h"

/* whole files larger than this are ignored: a load must stay fast */
#define MAX_FILE (2 << 20)
#define MAX_HEADER (1 << 20)
#define GRAFT_ALIGN 32

static uint8_t *base_data[FUZZ_N_MODELS];	/* each base's tensor data */
static size_t base_size[FUZZ_N_MODELS];
static bool verbose;			/* $LLM_FUZZ_VERBOSE: say why inputs fail */

int			LLVMFuzzerInitialize(int *argc, char ***argv);
int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	verbose = getenv("LLM_FUZZ_VERBOSE") != NULL;
	for (int i = 0; i < FUZZ_N_MODELS; i++)
	{
		const char *path = FuzzSharedPath(fuzz_models[i]);
		GgufFile   *f;
		LlmError	err;

		if (GgufOpen(path, &f, &err) != LLM_OK)
			FuzzDie(path, err.message);
		if (f->data_offset % GRAFT_ALIGN != 0)
			FuzzDie(path, "data section not at a multiple of 32");
		base_size[i] = f->size - f->data_offset;
		base_data[i] = malloc(base_size[i] + 1);
		if (base_data[i] == NULL)
			abort();
		memcpy(base_data[i], f->base + f->data_offset, base_size[i]);
		GgufClose(f);
	}
	return 0;
}

/* Run an accepted model: chat prompt, tokens, a forward pass, sampling. */
static void
Exercise(const LlmModel *model, LlmType kv_type)
{
	static const LlmChatMessage msgs[] = {
		{"system", "Be brief."}, {"user", "Once upon a time"}
	};
	LlmChatResult chat;
	LlmContext *ctx;
	int32_t    *prompt = NULL;
	int			n_prompt = 0;
	int32_t		fallback = 0;
	LlmError	err;

	if (LlmChatRenderModel(model->gguf, model->vocab, msgs, 2, true, &chat, &err) == LLM_OK)
	{
		FUZZ_CHECK(chat.text != NULL && chat.text[chat.len] == '\0', "chat text not terminated");
		if (LlmTokenize(model->vocab, chat.text, chat.len, !chat.bos_in_text, true,
						&prompt, &n_prompt, &err) != LLM_OK)
			prompt = NULL;
		LlmChatResultFree(&chat);
	}
	for (int i = 0; i < n_prompt; i++)
		FUZZ_CHECK(prompt[i] >= 0 && prompt[i] < model->hp.n_vocab,
				   "prompt token %d is id %d of %d", i, prompt[i], model->hp.n_vocab);
	if (prompt == NULL || n_prompt == 0)
	{
		free(prompt);
		prompt = NULL;
		n_prompt = 1;
	}
	if (n_prompt > 8)
		n_prompt = 8;			/* the last ones hold the generation prompt */

	if (LlmContextCreateKv(model, 16, 8, 1, kv_type, &ctx, &err) != LLM_OK)
	{
		free(prompt);
		return;
	}
	if (!model->hp.causal)
	{
		float	   *hidden = malloc(sizeof(float) * n_prompt * model->hp.n_embd);

		if (hidden == NULL)
			abort();
		(void) LlmDecodeHidden(ctx, prompt ? prompt : &fallback, n_prompt, hidden, &err);
		free(hidden);
	}
	else
	{
		LlmGenerateParams params;
		LlmGenerateResult res;

		memset(&params, 0, sizeof(params));
		params.max_tokens = 2;
		LlmSamplerDefaults(&params.sampling);
		params.sampling.temperature = 0.8f;
		params.sampling.top_k = 40;
		params.sampling.top_p = 0.95f;
		params.sampling.min_p = 0.05f;
		params.sampling.repeat_penalty = 1.1f;
		params.sampling.repeat_last_n = 8;
		params.sampling.seed = 1;
		if (LlmGenerate(ctx, prompt ? prompt : &fallback, n_prompt, &params, &res, &err) == LLM_OK)
		{
			for (int i = 0; i < res.n_tokens; i++)
				FUZZ_CHECK(res.tokens[i] >= 0 && res.tokens[i] < model->hp.n_vocab,
						   "sampled id %d of %d", res.tokens[i], model->hp.n_vocab);
			FUZZ_CHECK(res.text != NULL && res.text[res.len] == '\0', "generated text not terminated");
			LlmGenerateResultFree(&res);
		}
	}
	LlmContextFree(ctx);
	free(prompt);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t    *file;
	size_t		file_size;
	LlmType		kv_type = LLM_TYPE_F32;
	GgufFile   *gguf;
	LlmModel   *model;
	LlmError	err;

	if (size >= 4 && memcmp(data, GGUF_MAGIC, 4) == 0)
	{
		if (size > MAX_FILE)
			return 0;
		/* a copy at the alignment a mapping has, ending where the file does */
		if (posix_memalign((void **) &file, 64, size) != 0)
			abort();
		memcpy(file, data, size);
		file_size = size;
	}
	else
	{
		int			base;
		size_t		header,
					at;

		if (size < 1 || size - 1 > MAX_HEADER)
			return 0;
		base = data[0] % FUZZ_N_MODELS;
		if ((data[0] / FUZZ_N_MODELS) & 1)
			kv_type = LLM_TYPE_F16;
		header = size - 1;
		at = (header + GRAFT_ALIGN - 1) / GRAFT_ALIGN * GRAFT_ALIGN;
		file_size = at + base_size[base];
		if (posix_memalign((void **) &file, 64, file_size) != 0)
			abort();
		memcpy(file, data + 1, header);
		memset(file + header, 0, at - header);
		memcpy(file + at, base_data[base], base_size[base]);
	}

	if (GgufOpenMemory(file, file_size, &gguf, &err) == LLM_OK)
	{
		/* LlmModelFromGguf owns gguf from here on, also when it fails */
		if (LlmModelFromGguf(gguf, &model, &err) == LLM_OK)
		{
			FUZZ_CHECK(model->hp.n_vocab == model->vocab->n_tokens, "vocabulary sizes differ");
			(void) LlmModelQuantName(model);
			if (verbose)
				fprintf(stderr, "fuzz_model: loaded %s\n", model->arch_name);
			Exercise(model, kv_type);
			LlmModelFree(model);
		}
		else
		{
			FUZZ_CHECK(model == NULL, "a failed load left a model");
			if (verbose)
				fprintf(stderr, "fuzz_model: not loaded: %s\n", err.message);
		}
	}
	else if (verbose)
		fprintf(stderr, "fuzz_model: not opened: %s\n", err.message);
	free(file);
	return 0;
}
