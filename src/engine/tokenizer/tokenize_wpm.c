/*-------------------------------------------------------------------------
 *
 * tokenize_wpm.c
 *	  WordPiece tokenization (tokenizer.ggml.model = "bert"), as llama.cpp's
 *	  llm_tokenizer_wpm does it.
 *
 * BERT's normaliser first, one code point at a time: with strip_accents
 * every code point becomes the first code point of its NFD form and
 * combining marks are dropped; whitespace ends a word; NUL, U+FFFD and
 * control characters vanish; with lowercase the simple lowercase mapping
 * applies; punctuation, ASCII symbols and CJK ideographs are words of one
 * character.  Then each word, with U+2581 in front (the converter wrote
 * word-initial pieces as "▁piece" and dropped the "##" of continuation
 * pieces), is cut greedily into the longest tokens from the left; a word
 * with a position where no token starts is the unknown token as a whole.
 *
 * llama.cpp neither caps the length of a word (BERT's 100 characters) nor
 * handles more of BERT's normaliser than this; neither is done here.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tokenize.h"
#include "tokenizer/unicode.h"

#define WPM_SPACE "\xe2\x96\x81"	/* U+2581, the phantom space of a word */

static bool
WpmKeepAll(const LlmVocab *vocab, int32_t id)
{
	return true;
}

/* Every token text can be matched, as llama.cpp's text_to_token can. */
LlmStatus
LlmWpmLoad(LlmVocab *vocab, LlmError *err)
{
	return LlmVocabTrieBuild(vocab, WpmKeepAll, &vocab->trie, err);
}

/*
 * BERT's CJK ranges, including the bound llama.cpp copied from Hugging
 * Face's Rust code (0x2B920 where the block starts at 0x2B820).
 */
static bool
WpmIsChinese(uint32_t cpt)
{
	return (cpt >= 0x04E00 && cpt <= 0x09FFF) ||
		(cpt >= 0x03400 && cpt <= 0x04DBF) ||
		(cpt >= 0x20000 && cpt <= 0x2A6DF) ||
		(cpt >= 0x2A700 && cpt <= 0x2B73F) ||
		(cpt >= 0x2B740 && cpt <= 0x2B81F) ||
		(cpt >= 0x2B920 && cpt <= 0x2CEAF) ||
		(cpt >= 0x0F900 && cpt <= 0x0FAFF) ||
		(cpt >= 0x2F800 && cpt <= 0x2FA1F);
}

/* The word being collected: U+2581, then its characters' UTF-8. */
typedef struct WpmWord
{
	char	   *data;
	size_t		len;
	size_t		cap;
} WpmWord;

static bool
WpmWordAppend(WpmWord *w, uint32_t cpt)
{
	if (w->len + 4 > w->cap)
	{
		size_t		cap = w->cap ? w->cap * 2 : 256;
		char	   *grown = realloc(w->data, cap);

		if (grown == NULL)
			return false;
		w->data = grown;
		w->cap = cap;
	}
	if (w->len == 0)
	{
		memcpy(w->data, WPM_SPACE, 3);
		w->len = 3;
	}
	w->len += (size_t) LlmUtf8Encode(cpt, w->data + w->len);
	return true;
}

/*
 * The tokens of one word: at each position the longest token that starts
 * there.  The trie walk stops where no token continues, so each position
 * costs at most the length of the longest token.
 */
static LlmStatus
WpmTokenizeWord(const LlmVocab *vocab, WpmWord *w, LlmTokenBuf *out, LlmError *err)
{
	const LlmVocabTrie *trie = vocab->trie;
	int			first = out->count;
	LlmStatus	status = LLM_OK;

	if (w->len == 0)
		return LLM_OK;
	for (size_t i = 0; i < w->len && status == LLM_OK;)
	{
		uint32_t	node = 0;
		int32_t		id = -1;
		size_t		end = i;

		for (size_t j = i; j < w->len; j++)
		{
			node = LlmVocabTrieChild(trie, node, (uint8_t) w->data[j]);
			if (node == 0)
				break;
			if (trie->value[node] >= 0)
			{
				id = trie->value[node];
				end = j + 1;
			}
		}
		if (id < 0)
		{
			/* no token starts here: the whole word is unknown */
			out->count = first;
			break;
		}
		status = LlmTokenBufPush(out, id, err);
		i = end;
	}
	if (status == LLM_OK && out->count == first && vocab->unk_id >= 0)
		status = LlmTokenBufPush(out, vocab->unk_id, err);
	w->len = 0;
	return status;
}

LlmStatus
LlmTokenizeWpm(const LlmVocab *vocab, const char *text, size_t len,
			   LlmTokenBuf *out, LlmError *err)
{
	WpmWord		w = {0};
	LlmStatus	status = LLM_OK;

	for (size_t pos = 0; pos < len && status == LLM_OK;)
	{
		uint32_t	cpt = LlmUtf8Decode(text, len, &pos);
		uint16_t	f;

		if (vocab->strip_accents)
			cpt = LlmUnicodeNfdBase(cpt);
		f = LlmUnicodeFlags(cpt);
		if (f & LLM_UNICODE_WHITESPACE)
		{
			status = WpmTokenizeWord(vocab, &w, out, err);
			continue;
		}
		if (cpt == 0 || cpt == LLM_UNICODE_REPLACEMENT || (f & LLM_UNICODE_CONTROL))
			continue;
		if (vocab->strip_accents && (f & LLM_UNICODE_MARK))
			continue;
		if ((f & LLM_UNICODE_PUNCTUATION) || (cpt < 0x7F && (f & LLM_UNICODE_SYMBOL)) ||
			WpmIsChinese(cpt))
		{
			/* a word of its own, ending the one before */
			status = WpmTokenizeWord(vocab, &w, out, err);
			if (status == LLM_OK && !WpmWordAppend(&w, vocab->lowercase ? LlmUnicodeToLower(cpt) : cpt))
				status = LlmSetError(err, LLM_ERR_NOMEM, "out of memory tokenizing");
			if (status == LLM_OK)
				status = WpmTokenizeWord(vocab, &w, out, err);
			continue;
		}
		if (!WpmWordAppend(&w, vocab->lowercase ? LlmUnicodeToLower(cpt) : cpt))
			status = LlmSetError(err, LLM_ERR_NOMEM, "out of memory tokenizing");
	}
	if (status == LLM_OK)
		status = WpmTokenizeWord(vocab, &w, out, err);
	free(w.data);
	return status;
}
