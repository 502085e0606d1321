/*-------------------------------------------------------------------------
 *
 * vocab_special.c
 *	  Special tokens of a vocabulary: the end-of-generation set, the list
 *	  of tokens matched in text before tokenization, and the per-model
 *	  strip attributes, all as llama.cpp's llama_vocab::load sets them up.
 *
 * GGUF files rarely list every end-of-turn token, so llama.cpp also
 * recognises them by text (<|eot_id|>, <|im_end|>, <end_of_turn>...) and
 * makes them control tokens; this file keeps those lists.  Where several
 * tokens have texts of one list, llama.cpp takes whichever its hash map
 * yields first; here the lowest id wins.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tokenize.h"

#define DEEPSEEK_EOS "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>"

/*
 * Texts by which llama.cpp recognises the end-of-turn and fill-in-the-
 * middle tokens a file does not name, and the texts of tokens that end
 * generation (llama.cpp commit de3ff815, the one the tests compare with).
 */
static const char *const eot_texts[] = {
	"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
	"<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", DEEPSEEK_EOS, "<end_of_utterance>", NULL
};
static const char *const eom_texts[] = {"<|eom_id|>", NULL};
static const char *const fim_pre_texts[] = {
	"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<\xef\xbd\x9c" "fim\xe2\x96\x81" "begin\xef\xbd\x9c>",
	"<PRE>", "\xe2\x96\x81<PRE>", "<|code_prefix|>", "<|prefix|>", NULL
};
static const char *const fim_suf_texts[] = {
	"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<\xef\xbd\x9c" "fim\xe2\x96\x81" "hole\xef\xbd\x9c>",
	"<SUF>", "\xe2\x96\x81<SUF>", "<|code_suffix|>", "<|suffix|>", NULL
};
static const char *const fim_mid_texts[] = {
	"<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<\xef\xbd\x9c" "fim\xe2\x96\x81" "end\xef\xbd\x9c>",
	"<MID>", "\xe2\x96\x81<MID>", "<|code_middle|>", "<|middle|>", NULL
};
static const char *const fim_pad_texts[] = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]", NULL};
static const char *const fim_rep_texts[] = {
	"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>", NULL
};
static const char *const fim_sep_texts[] = {"<|file_sep|>", NULL};
static const char *const eog_texts[] = {
	"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
	"<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
	"<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
	DEEPSEEK_EOS, "[e~[", NULL
};

static bool
TextIn(GgufString t, const char *const *list)
{
	for (int i = 0; list[i] != NULL; i++)
		if (GgufStrEq(t, list[i]))
			return true;
	return false;
}

/*
 * A token id from a key, else the first token whose text is in the list
 * (made a control token, as llama.cpp does with tokens it finds by text).
 */
static int32_t
IdFromKeyOrText(LlmVocab *vocab, const GgufFile *gguf, const char *key,
				const char *old_key, int32_t id, const char *const *list)
{
	uint32_t	v;

	if (id >= 0)
		return id;
	if ((GgufGetU32(gguf, key, &v) || (old_key && GgufGetU32(gguf, old_key, &v))) &&
		v < (uint32_t) vocab->n_tokens)
		return (int32_t) v;
	for (int32_t t = 0; t < vocab->n_tokens; t++)
		if (TextIn(vocab->text[t], list))
		{
			vocab->attr[t] = LLM_TOKEN_CONTROL;
			return t;
		}
	return -1;
}

static bool
EogAdd(LlmVocab *vocab, int32_t id, int *cap)
{
	if (id < 0 || LlmVocabIsEog(vocab, id))
		return true;
	if (vocab->n_eog == *cap)
	{
		int			ncap = *cap ? *cap * 2 : 8;
		int32_t    *grown = realloc(vocab->eog_ids, sizeof(int32_t) * ncap);

		if (grown == NULL)
			return false;
		vocab->eog_ids = grown;
		*cap = ncap;
	}
	vocab->eog_ids[vocab->n_eog++] = id;
	return true;
}

/* The EOG token with this text, removed from the set; -1 if none. */
static int32_t
EogTake(LlmVocab *vocab, const char *text, bool remove)
{
	for (int i = 0; i < vocab->n_eog; i++)
		if (GgufStrEq(vocab->text[vocab->eog_ids[i]], text))
		{
			int32_t		id = vocab->eog_ids[i];

			if (remove)
				vocab->eog_ids[i] = vocab->eog_ids[--vocab->n_eog];
			return id;
		}
	return -1;
}

static LlmStatus
VocabFindEog(LlmVocab *vocab, const GgufFile *gguf, LlmError *err)
{
	int			cap = 0;
	int32_t		eom;
	int32_t		fim[3];
	int32_t		id;

	vocab->eot_id = IdFromKeyOrText(vocab, gguf, "tokenizer.ggml.eot_token_id", NULL,
									vocab->eot_id, eot_texts);
	eom = IdFromKeyOrText(vocab, gguf, "tokenizer.ggml.eom_token_id", NULL, -1, eom_texts);
	/* found only to be made control tokens, as llama.cpp does */
	(void) IdFromKeyOrText(vocab, gguf, "tokenizer.ggml.fim_pre_token_id",
						   "tokenizer.ggml.prefix_token_id", -1, fim_pre_texts);
	(void) IdFromKeyOrText(vocab, gguf, "tokenizer.ggml.fim_suf_token_id",
						   "tokenizer.ggml.suffix_token_id", -1, fim_suf_texts);
	(void) IdFromKeyOrText(vocab, gguf, "tokenizer.ggml.fim_mid_token_id",
						   "tokenizer.ggml.middle_token_id", -1, fim_mid_texts);
	fim[0] = IdFromKeyOrText(vocab, gguf, "tokenizer.ggml.fim_pad_token_id", NULL, -1, fim_pad_texts);
	fim[1] = IdFromKeyOrText(vocab, gguf, "tokenizer.ggml.fim_rep_token_id", NULL, -1, fim_rep_texts);
	fim[2] = IdFromKeyOrText(vocab, gguf, "tokenizer.ggml.fim_sep_token_id", NULL, -1, fim_sep_texts);

	for (int i = 0; i < 3; i++)
		if (!EogAdd(vocab, fim[i], &cap))
			goto oom;
	for (id = 0; id < vocab->n_tokens; id++)
		if (TextIn(vocab->text[id], eog_texts))
		{
			vocab->attr[id] = LLM_TOKEN_CONTROL;
			if (!EogAdd(vocab, id, &cap))
				goto oom;
		}
	if (!EogAdd(vocab, vocab->eos_id, &cap) || !EogAdd(vocab, vocab->eot_id, &cap) ||
		!EogAdd(vocab, eom, &cap))
		goto oom;

	/* gpt-oss (and solar-open): <|end|> ends a message, not generation */
	if (((EogTake(vocab, "<|return|>", false) >= 0 && EogTake(vocab, "<|call|>", false) >= 0) ||
		 (EogTake(vocab, "<|calls|>", false) >= 0 && EogTake(vocab, "<|flush|>", false) >= 0)) &&
		(id = EogTake(vocab, "<|end|>", true)) >= 0)
		vocab->attr[id] = LLM_TOKEN_USER_DEFINED;
	/* Gemma 4 and PaddleOCR: </s> is ordinary text */
	if (EogTake(vocab, "<|tool_response>", false) >= 0 && (id = EogTake(vocab, "</s>", true)) >= 0)
		vocab->attr[id] = LLM_TOKEN_NORMAL;
	return LLM_OK;

oom:
	return LlmSetError(err, LLM_ERR_NOMEM, "out of memory listing end-of-generation tokens");
}

static int
KeyCmp(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *) a;
	uint64_t	y = *(const uint64_t *) b;

	return x < y ? -1 : x > y;
}

static inline bool
IsSpecialAttr(uint8_t a)
{
	return a == LLM_TOKEN_CONTROL || a == LLM_TOKEN_USER_DEFINED || a == LLM_TOKEN_UNKNOWN;
}

static void
SetStrip(LlmVocab *vocab, const char *text, uint8_t flag, bool on)
{
	int32_t		id = LlmVocabFind(vocab, text, strlen(text));

	for (int k = 0; id >= 0 && k < vocab->n_special; k++)
		if (vocab->special[k].id == id)
			vocab->special[k].strip = on ? (vocab->special[k].strip | flag) :
				(vocab->special[k].strip & ~flag);
}

/* true if the string holds one of the NULL-terminated list of substrings */
static bool
ContainsAny(GgufString s, const char *const *subs)
{
	for (int k = 0; subs[k] != NULL; k++)
	{
		size_t		n = strlen(subs[k]);

		for (size_t i = 0; i + n <= s.len; i++)
			if (memcmp(s.data + i, subs[k], n) == 0)
				return true;
	}
	return false;
}

/*
 * llama.cpp sets these attributes by model name because GGUF files do not
 * carry them: Phi-3 eats the whitespace after its chat tokens, the mask
 * tokens of jina-v2, nomic-bert-moe, jina-bert-v3 and ModernBERT the
 * whitespace before them.  Names match as substrings, as there.
 */
static void
VocabSetStrip(LlmVocab *vocab, const GgufFile *gguf)
{
	static const char *const jina_pre[] = {"jina-v2-de", "jina-v2-es", "jina-v2-code", NULL};
	static const char *const mask_arch[] = {"nomic-bert-moe", "jina-bert-v3", NULL};
	static const char *const phi3[] = {"phi-3", "phi3", NULL};
	static const char *const modern_bert[] = {"modern-bert", NULL};
	GgufString	name = {0, ""};
	GgufString	pre = {0, ""};
	GgufString	arch = {0, ""};
	char		lower[256];
	size_t		n;

	GgufGetString(gguf, "general.name", &name);
	GgufGetString(gguf, "tokenizer.ggml.pre", &pre);
	GgufGetString(gguf, "general.architecture", &arch);
	n = name.len < sizeof(lower) - 1 ? name.len : sizeof(lower) - 1;
	for (size_t i = 0; i < n; i++)
		lower[i] = (char) tolower((unsigned char) name.data[i]);
	lower[n] = '\0';
	name = (GgufString) {n, lower};

	if (ContainsAny(pre, jina_pre) || ContainsAny(arch, mask_arch))
		SetStrip(vocab, "<mask>", LLM_TOKEN_LSTRIP, true);
	else if (ContainsAny(name, phi3))
	{
		for (int k = 0; k < vocab->n_special; k++)
			vocab->special[k].strip |= LLM_TOKEN_RSTRIP;
		SetStrip(vocab, "</s>", LLM_TOKEN_RSTRIP, true);
		SetStrip(vocab, "<unk>", LLM_TOKEN_RSTRIP, false);
		SetStrip(vocab, "<s>", LLM_TOKEN_RSTRIP, false);
		SetStrip(vocab, "<|endoftext|>", LLM_TOKEN_RSTRIP, false);
	}
	else if (ContainsAny(name, modern_bert))
		SetStrip(vocab, "[MASK]", LLM_TOKEN_LSTRIP, true);
}

LlmStatus
LlmVocabInitSpecial(LlmVocab *vocab, const GgufFile *gguf, LlmError *err)
{
	LlmStatus	status = VocabFindEog(vocab, gguf, err);
	uint64_t   *keys;
	int			n = 0;

	if (status != LLM_OK)
		return status;

	/*
	 * After the EOG pass: tokens it made control are special too.  Longest
	 * text first (llama.cpp's order), equal lengths by id: the sort key is
	 * the inverted length above the id.
	 */
	for (int32_t id = 0; id < vocab->n_tokens; id++)
		if (IsSpecialAttr(vocab->attr[id]) && vocab->text[id].len > 0)
			n++;
	keys = malloc(sizeof(uint64_t) * (n ? n : 1));
	vocab->special = malloc(sizeof(LlmSpecialToken) * (n ? n : 1));
	if (keys == NULL || vocab->special == NULL)
	{
		free(keys);
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory listing special tokens");
	}
	n = 0;
	for (int32_t id = 0; id < vocab->n_tokens; id++)
		if (IsSpecialAttr(vocab->attr[id]) && vocab->text[id].len > 0)
		{
			uint64_t	len = vocab->text[id].len < UINT32_MAX ? vocab->text[id].len : UINT32_MAX;

			keys[n++] = ((uint64_t) (UINT32_MAX - len) << 32) | (uint32_t) id;
		}
	qsort(keys, n, sizeof(uint64_t), KeyCmp);
	for (int k = 0; k < n; k++)
	{
		vocab->special[k].id = (int32_t) (keys[k] & 0xFFFFFFFF);
		vocab->special[k].strip = 0;
	}
	vocab->n_special = n;
	free(keys);

	VocabSetStrip(vocab, gguf);
	return LlmSpecialIndexBuild(vocab, &vocab->special_index, err);
}
