/*-------------------------------------------------------------------------
 *
 * vocab.c
 *	  Loading the tokenizer.ggml.* metadata and looking tokens up by text.
 *	  Special and end-of-generation tokens are set up in vocab_special.c.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tokenize.h"


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

		/*
		 * On duplicate texts the highest id wins: llama.cpp (de3ff815) fills
		 * its map in id order, each assignment replacing the last.
		 */
		while (hash->slots[slot] >= 0)
		{
			if (VocabTextEq(vocab->text[hash->slots[slot]], t.data, t.len))
				break;
			slot = (slot + 1) & hash->mask;
		}
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
	if (id < 0)
		return false;
	for (int i = 0; i < vocab->n_eog; i++)
		if (vocab->eog_ids[i] == id)
			return true;
	return false;
}

/*
 * An optional token id key.  As in llama.cpp, a default outside the
 * vocabulary means "none" and a key outside it keeps the default.
 */
static int32_t
VocabSpecialId(const GgufFile *gguf, const char *key, int n_tokens, int32_t dflt)
{
	uint32_t	v;

	if (dflt >= n_tokens)
		dflt = -1;
	if (!GgufGetU32(gguf, key, &v) || v >= (uint32_t) n_tokens)
		return dflt;
	return (int32_t) v;
}

/*
 * true if U+2581 appears in no token after its first character, except in
 * tokens made of U+2581 only (Llama 2, Phi-3): see tokenize_spm.c.
 */
static bool
VocabSpaceOnlyLeads(const LlmVocab *vocab)
{
	for (int id = 0; id < vocab->n_tokens; id++)
	{
		GgufString	t = vocab->text[id];
		bool		inner = false;
		bool		other = false;

		for (size_t i = 0; i < t.len;)
		{
			if (i + 3 <= t.len && memcmp(t.data + i, "\xe2\x96\x81", 3) == 0)
			{
				inner |= i > 0;
				i += 3;
			}
			else
			{
				other = true;
				i++;
			}
		}
		if (inner && other)
			return false;
	}
	return true;
}

/* The type of tokenizer, and for BPE its pre-tokenizer and merges. */
static LlmStatus
VocabLoadModel(const GgufFile *gguf, LlmVocab *vocab, LlmError *err)
{
	GgufString	model;
	GgufString	pre;
	const GgufKV *merges;

	if (!GgufGetString(gguf, "tokenizer.ggml.model", &model))
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "the file has no tokenizer (tokenizer.ggml.model is missing)");
	if (GgufStrEq(model, "llama"))
	{
		vocab->type = LLM_VOCAB_SPM;
		return LLM_OK;
	}
	if (!GgufStrEq(model, "gpt2"))
		return LlmSetError(err, LLM_ERR_UNSUPPORTED,
						   "tokenizer model \"%.*s\" is not supported (only \"llama\" and \"gpt2\")",
						   (int) (model.len > 64 ? 64 : model.len), model.data);
	vocab->type = LLM_VOCAB_BPE;

	/* llama.cpp falls back to "default" (with a warning) when pre is absent */
	if (!GgufGetString(gguf, "tokenizer.ggml.pre", &pre))
		pre = (GgufString) {7, "default"};
	vocab->pre = LlmPreLookup(pre.data, pre.len);
	if (vocab->pre == NULL)
		return LlmSetError(err, LLM_ERR_UNSUPPORTED,
						   "unknown pre-tokenizer type: '%.*s' (tokenizer.ggml.pre)",
						   (int) (pre.len > 64 ? 64 : pre.len), pre.data);
	merges = GgufGetArray(gguf, "tokenizer.ggml.merges", GGUF_TYPE_STRING);
	if (merges == NULL)
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "byte-level BPE tokenizer without tokenizer.ggml.merges");
	return LlmBpeMergesLoad(merges, &vocab->merges, err);
}

LlmStatus
LlmVocabLoad(const GgufFile *gguf, LlmVocab **out, LlmError *err)
{
	const GgufKV *tokens;
	const GgufKV *scores;
	const GgufKV *types;
	LlmVocab   *vocab;
	LlmStatus	status;
	bool		spm;

	*out = NULL;
	vocab = calloc(1, sizeof(LlmVocab));
	if (vocab == NULL)
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory loading the vocabulary");
	status = VocabLoadModel(gguf, vocab, err);
	if (status != LLM_OK)
	{
		LlmVocabFree(vocab);
		return status;
	}

	tokens = GgufGetArray(gguf, "tokenizer.ggml.tokens", GGUF_TYPE_STRING);
	scores = GgufGetArray(gguf, "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32);
	types = GgufGetArray(gguf, "tokenizer.ggml.token_type", GGUF_TYPE_INT32);
	if (tokens == NULL || tokens->v.arr.len == 0 || tokens->v.arr.len > INT32_MAX / 4)
		status = LlmSetError(err, LLM_ERR_FORMAT,
							 "tokenizer.ggml.tokens is missing, empty or not an array of strings");
	else if (scores != NULL && scores->v.arr.len != tokens->v.arr.len)
		status = LlmSetError(err, LLM_ERR_FORMAT,
							 "tokenizer.ggml.scores has %llu entries for %llu tokens",
							 (unsigned long long) scores->v.arr.len,
							 (unsigned long long) tokens->v.arr.len);
	else if (types != NULL && types->v.arr.len != tokens->v.arr.len)
		status = LlmSetError(err, LLM_ERR_FORMAT,
							 "tokenizer.ggml.token_type has %llu entries for %llu tokens",
							 (unsigned long long) types->v.arr.len,
							 (unsigned long long) tokens->v.arr.len);
	if (status != LLM_OK)
	{
		LlmVocabFree(vocab);
		return status;
	}
	spm = vocab->type == LLM_VOCAB_SPM;
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

	/* llama.cpp's defaults per tokenizer type, then the file's keys */
	vocab->bos_id = VocabSpecialId(gguf, "tokenizer.ggml.bos_token_id", vocab->n_tokens,
								   spm ? 1 : 11);
	vocab->eos_id = VocabSpecialId(gguf, "tokenizer.ggml.eos_token_id", vocab->n_tokens,
								   spm ? 2 : 11);
	vocab->eot_id = -1;			/* vocab_special.c: from the key or by text */
	vocab->unk_id = VocabSpecialId(gguf, "tokenizer.ggml.unknown_token_id", vocab->n_tokens,
								   spm ? 0 : -1);
	if (!spm && vocab->pre->no_bos)
		vocab->bos_id = -1;
	if (!GgufGetBool(gguf, "tokenizer.ggml.add_bos_token", &vocab->add_bos))
		vocab->add_bos = spm ? true : vocab->pre->add_bos;
	if (!GgufGetBool(gguf, "tokenizer.ggml.add_eos_token", &vocab->add_eos))
		vocab->add_eos = false;
	if (!GgufGetBool(gguf, "tokenizer.ggml.add_space_prefix", &vocab->add_space_prefix))
		vocab->add_space_prefix = spm;

	status = VocabBuildHash(vocab, err);
	if (status == LLM_OK)
		status = LlmVocabInitSpecial(vocab, gguf, err);
	if (status != LLM_OK)
	{
		LlmVocabFree(vocab);
		return status;
	}
	vocab->spm_words = spm && VocabSpaceOnlyLeads(vocab);

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
	if (vocab->borrowed)
	{
		free(vocab->hash);
		free(vocab->merges);
		free(vocab->special_index);
		free(vocab);
		return;
	}
	if (vocab->hash != NULL)
	{
		free(vocab->hash->slots);
		free(vocab->hash);
	}
	LlmBpeMergesFree(vocab->merges);
	LlmSpecialIndexFree(vocab->special_index);
	free(vocab->special);
	free(vocab->eog_ids);
	free((void *) vocab->scores);
	free(vocab->attr);
	free(vocab);
}
