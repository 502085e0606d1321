/*-------------------------------------------------------------------------
 *
 * vocab.c
 *	  Loading the tokenizer.ggml.* metadata and looking tokens up by text.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vocab.h"

/*
 * Open-addressing hash from token text to id.  Token texts stay in the file
 * mapping; the table only holds ids.
 */
struct LlmVocabHash
{
	uint32_t	mask;
	int32_t    *slots;			/* id, or -1 when empty */
};

static uint32_t
VocabHashBytes(const char *s, size_t len)
{
	uint32_t	h = 2166136261u;	/* FNV-1a */

	for (size_t i = 0; i < len; i++)
	{
		h ^= (uint8_t) s[i];
		h *= 16777619u;
	}
	return h;
}

static bool
VocabTextEq(GgufString a, const char *s, size_t len)
{
	return a.len == len && memcmp(a.data, s, len) == 0;
}

static LlmStatus
VocabBuildHash(LlmVocab *vocab, LlmError *err)
{
	uint32_t	size = 16;
	LlmVocabHash *hash;

	while (size < (uint32_t) vocab->n_tokens * 2)
		size <<= 1;
	hash = malloc(sizeof(LlmVocabHash));
	if (hash == NULL)
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory building the token table");
	hash->mask = size - 1;
	hash->slots = malloc(sizeof(int32_t) * size);
	if (hash->slots == NULL)
	{
		free(hash);
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory building the token table");
	}
	memset(hash->slots, 0xff, sizeof(int32_t) * size);

	for (int32_t id = 0; id < vocab->n_tokens; id++)
	{
		GgufString	t = vocab->text[id];
		uint32_t	slot = VocabHashBytes(t.data, t.len) & hash->mask;

		/* on duplicate texts the lowest id wins, as in llama.cpp's map */
		while (hash->slots[slot] >= 0)
		{
			if (VocabTextEq(vocab->text[hash->slots[slot]], t.data, t.len))
				break;
			slot = (slot + 1) & hash->mask;
		}
		if (hash->slots[slot] < 0)
			hash->slots[slot] = id;
	}
	vocab->hash = hash;
	return LLM_OK;
}

int32_t
LlmVocabFind(const LlmVocab *vocab, const char *text, size_t len)
{
	const LlmVocabHash *hash = vocab->hash;
	uint32_t	slot = VocabHashBytes(text, len) & hash->mask;

	while (hash->slots[slot] >= 0)
	{
		int32_t		id = hash->slots[slot];

		if (VocabTextEq(vocab->text[id], text, len))
			return id;
		slot = (slot + 1) & hash->mask;
	}
	return -1;
}

bool
LlmVocabIsEog(const LlmVocab *vocab, int32_t id)
{
	return id >= 0 && (id == vocab->eos_id || id == vocab->eot_id);
}

/* An optional token id key: absent, or out of range (e.g. 0xFFFFFFFF), is -1. */
static int32_t
VocabSpecialId(const GgufFile *gguf, const char *key, int n_tokens, int32_t dflt)
{
	uint32_t	v;

	if (!GgufGetU32(gguf, key, &v))
		return dflt;
	return v < (uint32_t) n_tokens ? (int32_t) v : -1;
}

LlmStatus
LlmVocabLoad(const GgufFile *gguf, LlmVocab **out, LlmError *err)
{
	GgufString	model;
	const GgufKV *tokens;
	const GgufKV *scores;
	const GgufKV *types;
	LlmVocab   *vocab;
	LlmStatus	status;

	*out = NULL;
	if (!GgufGetString(gguf, "tokenizer.ggml.model", &model))
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "the file has no tokenizer (tokenizer.ggml.model is missing)");
	if (!GgufStrEq(model, "llama"))
		return LlmSetError(err, LLM_ERR_UNSUPPORTED,
						   "tokenizer model \"%.*s\" is not supported yet",
						   (int) (model.len > 64 ? 64 : model.len), model.data);

	tokens = GgufGetArray(gguf, "tokenizer.ggml.tokens", GGUF_TYPE_STRING);
	if (tokens == NULL || tokens->v.arr.len == 0 || tokens->v.arr.len > INT32_MAX / 4)
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "tokenizer.ggml.tokens is missing, empty or not an array of strings");
	scores = GgufGetArray(gguf, "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32);
	types = GgufGetArray(gguf, "tokenizer.ggml.token_type", GGUF_TYPE_INT32);
	if (scores != NULL && scores->v.arr.len != tokens->v.arr.len)
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "tokenizer.ggml.scores has %llu entries for %llu tokens",
						   (unsigned long long) scores->v.arr.len,
						   (unsigned long long) tokens->v.arr.len);
	if (types != NULL && types->v.arr.len != tokens->v.arr.len)
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "tokenizer.ggml.token_type has %llu entries for %llu tokens",
						   (unsigned long long) types->v.arr.len,
						   (unsigned long long) tokens->v.arr.len);

	vocab = calloc(1, sizeof(LlmVocab));
	if (vocab == NULL)
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory loading the vocabulary");
	vocab->type = LLM_VOCAB_SPM;
	vocab->n_tokens = (int) tokens->v.arr.len;
	vocab->text = tokens->v.arr.strings;
	/* float arrays in the map are 4-byte aligned only by luck: copy */
	vocab->attr = malloc(vocab->n_tokens);
	if (scores != NULL)
	{
		float	   *s = malloc(sizeof(float) * vocab->n_tokens);

		if (s != NULL)
			memcpy(s, scores->v.arr.data, sizeof(float) * vocab->n_tokens);
		vocab->scores = s;
	}
	if (vocab->attr == NULL || (scores != NULL && vocab->scores == NULL))
	{
		LlmVocabFree(vocab);
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory loading the vocabulary");
	}
	for (int i = 0; i < vocab->n_tokens; i++)
	{
		int32_t		t = LLM_TOKEN_NORMAL;

		if (types != NULL)
			memcpy(&t, (const char *) types->v.arr.data + 4 * (size_t) i, 4);
		vocab->attr[i] = (t >= 0 && t <= LLM_TOKEN_BYTE) ? (uint8_t) t : LLM_TOKEN_UNDEFINED;
	}

	vocab->bos_id = VocabSpecialId(gguf, "tokenizer.ggml.bos_token_id", vocab->n_tokens, 1);
	vocab->eos_id = VocabSpecialId(gguf, "tokenizer.ggml.eos_token_id", vocab->n_tokens, 2);
	vocab->eot_id = VocabSpecialId(gguf, "tokenizer.ggml.eot_token_id", vocab->n_tokens, -1);
	vocab->unk_id = VocabSpecialId(gguf, "tokenizer.ggml.unknown_token_id", vocab->n_tokens, 0);
	if (!GgufGetBool(gguf, "tokenizer.ggml.add_bos_token", &vocab->add_bos))
		vocab->add_bos = true;
	if (!GgufGetBool(gguf, "tokenizer.ggml.add_space_prefix", &vocab->add_space_prefix))
		vocab->add_space_prefix = true;

	status = VocabBuildHash(vocab, err);
	if (status != LLM_OK)
	{
		LlmVocabFree(vocab);
		return status;
	}
	/* byte fallback looks the token up by text, as llama.cpp does */
	for (int b = 0; b < 256; b++)
	{
		char		name[8];

		snprintf(name, sizeof(name), "<0x%02X>", b);
		vocab->byte_token[b] = LlmVocabFind(vocab, name, 6);
	}

	*out = vocab;
	return LLM_OK;
}

void
LlmVocabFree(LlmVocab *vocab)
{
	if (vocab == NULL)
		return;
	if (vocab->hash != NULL)
	{
		free(vocab->hash->slots);
		free(vocab->hash);
	}
	free((void *) vocab->scores);
	free(vocab->attr);
	free(vocab);
}
