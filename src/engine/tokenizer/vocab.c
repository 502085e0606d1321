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

size_t
LlmVocabMaxTokenBytes(const LlmVocab *vocab)
{
	size_t		most = 1;

	/*
	 * SPM, byte-level BPE and Gemma 4 keep every input byte: a space is
	 * U+2581 (three bytes) or a byte's stand-in character (one or two), a
	 * byte token stands for one byte, so a token never stands for more
	 * bytes than its text has.
	 */
	if (vocab->type != LLM_VOCAB_SPM && vocab->type != LLM_VOCAB_BPE &&
		vocab->type != LLM_VOCAB_GEMMA4)
		return 0;
	for (int i = 0; i < vocab->n_tokens; i++)
		if (vocab->text[i].len > most)
			most = (size_t) vocab->text[i].len;
	return most;
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

/* true for the tokenizer.ggml.pre values llama.cpp gives Gemma 4's tokenizer */
static bool
VocabPreIsGemma4(GgufString pre)
{
	return GgufStrEq(pre, "gemma4") || GgufStrEq(pre, "granite-embed-multi-311m");
}

/*
 * The type of tokenizer, and for BPE its pre-tokenizer and merges.  Gemma 4
 * is a BPE tokenizer to llama.cpp, with a pre-tokenizer of its own that
 * changes everything (spaces as U+2581, no byte alphabet): here it is a
 * type of its own, whether the file says model "gemma4" or "gpt2" with
 * that pre-tokenizer.
 */
static LlmStatus
VocabLoadModel(const GgufFile *gguf, LlmVocab *vocab, LlmError *err)
{
	GgufString	model;
	GgufString	pre;
	bool		has_pre;
	const GgufKV *merges;

	if (!GgufGetString(gguf, "tokenizer.ggml.model", &model))
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "the file has no tokenizer (tokenizer.ggml.model is missing)");
	has_pre = GgufGetString(gguf, "tokenizer.ggml.pre", &pre);
	if (GgufStrEq(model, "llama"))
	{
		vocab->type = LLM_VOCAB_SPM;
		return LLM_OK;
	}
	if (GgufStrEq(model, "bert"))
	{
		vocab->type = LLM_VOCAB_WPM;
		return LLM_OK;
	}
	if (GgufStrEq(model, "t5"))
	{
		vocab->type = LLM_VOCAB_UGM;
		return LLM_OK;
	}
	if (GgufStrEq(model, "gemma4") || (GgufStrEq(model, "gpt2") && has_pre && VocabPreIsGemma4(pre)))
		vocab->type = LLM_VOCAB_GEMMA4;
	else if (GgufStrEq(model, "gpt2"))
	{
		vocab->type = LLM_VOCAB_BPE;

		/* llama.cpp falls back to "default" (with a warning) when pre is absent */
		if (!has_pre)
			pre = (GgufString) {7, "default"};
		vocab->pre = LlmPreLookup(pre.data, pre.len);
		if (vocab->pre == NULL)
			return LlmSetError(err, LLM_ERR_UNSUPPORTED,
							   "unknown pre-tokenizer type: '%.*s' (tokenizer.ggml.pre)",
							   (int) (pre.len > 64 ? 64 : pre.len), pre.data);
	}
	else
		return LlmSetError(err, LLM_ERR_UNSUPPORTED,
						   "tokenizer model \"%.*s\" is not supported (only \"llama\", \"gpt2\", "
						   "\"bert\", \"t5\" and \"gemma4\")",
						   (int) (model.len > 64 ? 64 : model.len), model.data);
	merges = GgufGetArray(gguf, "tokenizer.ggml.merges", GGUF_TYPE_STRING);
	if (merges == NULL)
		return LlmSetError(err, LLM_ERR_FORMAT, "%s tokenizer without tokenizer.ggml.merges",
						   vocab->type == LLM_VOCAB_GEMMA4 ? "Gemma 4" : "byte-level BPE");
	return LlmBpeMergesLoad(merges, &vocab->merges, err);
}

/*
 * llama.cpp's defaults for a tokenizer type, which the file's keys then
 * override: BOS, EOS, unknown and separator ids, whether BOS and EOS are
 * added, whether a space goes in front of the text.
 */
typedef struct VocabDefaults
{
	int32_t		bos;
	int32_t		eos;
	int32_t		unk;
	int32_t		sep;
	bool		add_bos;
	bool		add_eos;
	bool		add_space_prefix;
} VocabDefaults;

static VocabDefaults
VocabTypeDefaults(const LlmVocab *vocab)
{
	switch (vocab->type)
	{
		case LLM_VOCAB_SPM:
			return (VocabDefaults) {1, 2, 0, -1, true, false, true};
		case LLM_VOCAB_BPE:
			return (VocabDefaults) {11, 11, -1, -1, vocab->pre->add_bos, false, false};
		case LLM_VOCAB_WPM:
			return (VocabDefaults) {101, -1, 100, 102, true, false, false};
		case LLM_VOCAB_UGM:
			return (VocabDefaults) {-1, 1, 2, -1, false, true, false};
		case LLM_VOCAB_GEMMA4:
			break;
	}
	return (VocabDefaults) {-1, -1, -1, -1, true, false, false};
}

LlmStatus
LlmVocabLoad(const GgufFile *gguf, LlmVocab **out, LlmError *err)
{
	const GgufKV *tokens;
	const GgufKV *scores;
	const GgufKV *types;
	LlmVocab   *vocab;
	LlmStatus	status;
	VocabDefaults dflt;

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
	dflt = VocabTypeDefaults(vocab);
	/* BERT files name [CLS], the BOS of WordPiece, with a key of its own */
	if (vocab->type == LLM_VOCAB_WPM)
		dflt.bos = VocabSpecialId(gguf, "tokenizer.ggml.cls_token_id", vocab->n_tokens, dflt.bos);
	vocab->bos_id = VocabSpecialId(gguf, "tokenizer.ggml.bos_token_id", vocab->n_tokens, dflt.bos);
	vocab->eos_id = VocabSpecialId(gguf, "tokenizer.ggml.eos_token_id", vocab->n_tokens, dflt.eos);
	vocab->eot_id = -1;			/* vocab_special.c: from the key or by text */
	vocab->unk_id = VocabSpecialId(gguf, "tokenizer.ggml.unknown_token_id", vocab->n_tokens, dflt.unk);
	/* sic: the key is spelled so in llama.cpp and in the files */
	vocab->sep_id = VocabSpecialId(gguf, "tokenizer.ggml.seperator_token_id", vocab->n_tokens, dflt.sep);
	if (vocab->type == LLM_VOCAB_BPE && vocab->pre->no_bos)
		vocab->bos_id = -1;
	if (!GgufGetBool(gguf, "tokenizer.ggml.add_bos_token", &vocab->add_bos))
		vocab->add_bos = dflt.add_bos;
	/* llama.cpp insists on BOS for Gemma 4 whatever the file says */
	if (vocab->type == LLM_VOCAB_GEMMA4)
		vocab->add_bos = true;
	if (!GgufGetBool(gguf, "tokenizer.ggml.add_eos_token", &vocab->add_eos))
		vocab->add_eos = dflt.add_eos;
	if (!GgufGetBool(gguf, "tokenizer.ggml.add_space_prefix", &vocab->add_space_prefix))
		vocab->add_space_prefix = dflt.add_space_prefix;

	/* BERT's normaliser: strip_accents follows lowercase unless given */
	if (!GgufGetBool(gguf, "tokenizer.ggml.normalizer.lowercase", &vocab->lowercase))
		vocab->lowercase = true;
	if (!GgufGetBool(gguf, "tokenizer.ggml.normalizer.strip_accents", &vocab->strip_accents))
		vocab->strip_accents = vocab->lowercase;

	/*
	 * SentencePiece's flags: llama.cpp reads remove_extra_whitespaces from
	 * the file and keeps the other two at SentencePiece's defaults.
	 */
	if (!GgufGetBool(gguf, "tokenizer.ggml.remove_extra_whitespaces", &vocab->remove_extra_whitespaces))
		vocab->remove_extra_whitespaces = false;
	vocab->escape_whitespaces = true;
	vocab->treat_whitespace_as_suffix = false;

	status = VocabBuildHash(vocab, err);
	if (status == LLM_OK)
		status = LlmVocabInitSpecial(vocab, gguf, err);
	if (status != LLM_OK)
	{
		LlmVocabFree(vocab);
		return status;
	}
	vocab->spm_words = vocab->type == LLM_VOCAB_SPM && VocabSpaceOnlyLeads(vocab);
	if (vocab->type == LLM_VOCAB_WPM)
		status = LlmWpmLoad(vocab, err);
	else if (vocab->type == LLM_VOCAB_UGM)
		status = LlmUgmLoad(vocab, gguf, err);
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
	if (vocab->borrowed)
	{
		free(vocab->hash);
		free(vocab->merges);
		free(vocab->special_index);
		free(vocab->trie);
		free(vocab->user_trie);
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
	LlmVocabTrieFree(vocab->trie);
	LlmVocabTrieFree(vocab->user_trie);
	free(vocab->charsmap);
	free(vocab->special);
	free(vocab->eog_ids);
	free((void *) vocab->scores);
	free(vocab->attr);
	free(vocab);
}
