/*-------------------------------------------------------------------------
 *
 * detokenize.c
 *	  Tokens back to text, piece by piece as llama.cpp's token_to_piece
 *	  (without special tokens) does.
 *
 * Pieces are bytes, not characters: a character split over several byte
 * tokens (SPM <0xE6><0x97><0xA5>, or BPE pieces cut inside a UTF-8
 * sequence) is whole again once the pieces are concatenated.  Callers
 * that stop mid-sequence trim the tail (LlmUtf8CompletePrefix).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "tokenizer/tokenize.h"
#include "tokenizer/unicode.h"

static int
HexDigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* SPM byte token <0xXX>: that raw byte (a malformed one as its text) */
static bool
DetokSpmByte(GgufString t, LlmStrBuf *b)
{
	if (t.len == 6 && HexDigit(t.data[3]) >= 0 && HexDigit(t.data[4]) >= 0)
	{
		char		c = (char) (HexDigit(t.data[3]) * 16 + HexDigit(t.data[4]));

		return LlmStrBufAppend(b, &c, 1);
	}
	return LlmStrBufAppend(b, t.data, t.len);
}

/* Normal token of the SentencePiece-like types: U+2581 is a space. */
static bool
DetokSpmText(GgufString t, LlmStrBuf *b)
{
	for (size_t i = 0; i < t.len;)
	{
		size_t		run = i;

		while (run < t.len && !(run + 3 <= t.len && memcmp(t.data + run, "\xe2\x96\x81", 3) == 0))
			run++;
		if (!LlmStrBufAppend(b, t.data + i, run - i))
			return false;
		if (run < t.len)
		{
			if (!LlmStrBufAppend(b, " ", 1))
				return false;
			run += 3;
		}
		i = run;
	}
	return true;
}

/* Byte-level BPE normal token: every code point of the text stands for one byte. */
static bool
DetokBpeText(GgufString t, LlmStrBuf *b)
{
	for (size_t pos = 0; pos < t.len;)
	{
		uint32_t	cpt = LlmUtf8Decode(t.data, t.len, &pos);
		int			byte = LlmBpeCptToByte(cpt);

		if (byte >= 0)
		{
			char		c = (char) byte;

			if (!LlmStrBufAppend(b, &c, 1))
				return false;
		}
		else
		{
			/* a code point outside the alphabet: llama.cpp shows it so */
			char		utf8[4];
			char		hex[3];
			int			k = LlmUtf8Encode(cpt, utf8);

			if (!LlmStrBufAppend(b, "[UNK_BYTE_0x", 12))
				return false;
			for (int j = 0; j < k; j++)
			{
				snprintf(hex, sizeof(hex), "%02x", (uint8_t) utf8[j]);
				if (!LlmStrBufAppend(b, hex, 2))
					return false;
			}
			if (!LlmStrBufAppend(b, t.data, t.len) || !LlmStrBufAppend(b, "]", 1))
				return false;
		}
	}
	return true;
}

/*
 * The text of one token; false when out of memory.  WordPiece tokens need
 * nothing of their own: the converter wrote a word's first piece with
 * U+2581 and dropped the "##" of the others, so "▁un" "aff" "able" is
 * " unaffable" as U+2581 is undone.
 */
static bool
DetokPiece(const LlmVocab *vocab, int32_t id, LlmStrBuf *b)
{
	GgufString	t = vocab->text[id];
	bool		bpe = vocab->type == LLM_VOCAB_BPE;

	switch (vocab->attr[id])
	{
		case LLM_TOKEN_USER_DEFINED:
			return LlmStrBufAppend(b, t.data, t.len);
		case LLM_TOKEN_NORMAL:
			return bpe ? DetokBpeText(t, b) : DetokSpmText(t, b);
		case LLM_TOKEN_BYTE:
			/* llama.cpp has no byte tokens for WordPiece */
			if (!bpe && vocab->type != LLM_VOCAB_WPM)
				return DetokSpmByte(t, b);
			break;
		default:
			break;
	}
	/* control, unknown, unused: no text, as llama.cpp without special */
	return true;
}

LlmStatus
LlmDetokenize(const LlmVocab *vocab, const int32_t *tokens, int n_tokens,
			  bool starts_text, char **text, size_t *len, LlmError *err)
{
	LlmStrBuf	b = {0};

	/*
	 * WordPiece puts U+2581 before every word, the first included; llama.cpp
	 * leaves that space in its text, which only this API's starts_text can
	 * tell from a space of the user's.
	 */
	bool		strip_space = starts_text &&
		(vocab->add_space_prefix || vocab->type == LLM_VOCAB_WPM);

	*text = NULL;
	*len = 0;
	if (!LlmStrBufAppend(&b, "", 0))
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory detokenizing");
	for (int i = 0; i < n_tokens; i++)
	{
		size_t		before = b.len;

		if (tokens[i] < 0 || tokens[i] >= vocab->n_tokens)
		{
			free(b.data);
			return LlmSetError(err, LLM_ERR_ARGUMENT,
							   "token id %d is out of range (the vocabulary has %d tokens)",
							   tokens[i], vocab->n_tokens);
		}
		if (!DetokPiece(vocab, tokens[i], &b))
		{
			free(b.data);
			return LlmSetError(err, LLM_ERR_NOMEM, "out of memory detokenizing");
		}
		/* the tokenizer's own leading space is not part of the user's text */
		if (strip_space && b.len > before)
		{
			if (b.data[before] == ' ')
			{
				memmove(b.data + before, b.data + before + 1, b.len - before);
				b.len--;
			}
			strip_space = false;
		}
	}
	*text = b.data;
	*len = b.len;
	return LLM_OK;
}
