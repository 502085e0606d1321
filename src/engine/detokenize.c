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

#include "tokenize.h"
#include "unicode.h"

/* A growable byte string. */
typedef struct DetokBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} DetokBuf;

static bool
DetokAppend(DetokBuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap)
	{
		size_t		cap = b->cap ? b->cap : 64;
		char	   *data;

		while (cap < b->len + n + 1)
			cap *= 2;
		data = realloc(b->data, cap);
		if (data == NULL)
			return false;
		b->data = data;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return true;
}

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

/* SPM: U+2581 is a space, <0xXX> a raw byte. */
static bool
DetokSpmPiece(const LlmVocab *vocab, int32_t id, DetokBuf *b)
{
	GgufString	t = vocab->text[id];

	switch (vocab->attr[id])
	{
		case LLM_TOKEN_USER_DEFINED:
			return DetokAppend(b, t.data, t.len);
		case LLM_TOKEN_BYTE:
			if (t.len == 6 && HexDigit(t.data[3]) >= 0 && HexDigit(t.data[4]) >= 0)
			{
				char		c = (char) (HexDigit(t.data[3]) * 16 + HexDigit(t.data[4]));

				return DetokAppend(b, &c, 1);
			}
			return DetokAppend(b, t.data, t.len);
		case LLM_TOKEN_NORMAL:
			break;
		default:
			/* control, unknown, unused: no text, as llama.cpp without special */
			return true;
	}
	for (size_t i = 0; i < t.len;)
	{
		size_t		run = i;

		while (run < t.len && !(run + 3 <= t.len && memcmp(t.data + run, "\xe2\x96\x81", 3) == 0))
			run++;
		if (!DetokAppend(b, t.data + i, run - i))
			return false;
		if (run < t.len)
		{
			if (!DetokAppend(b, " ", 1))
				return false;
			run += 3;
		}
		i = run;
	}
	return true;
}

/* Byte-level BPE: every code point of the text stands for one byte. */
static bool
DetokBpePiece(const LlmVocab *vocab, int32_t id, DetokBuf *b)
{
	GgufString	t = vocab->text[id];

	switch (vocab->attr[id])
	{
		case LLM_TOKEN_USER_DEFINED:
			return DetokAppend(b, t.data, t.len);
		case LLM_TOKEN_NORMAL:
			break;
		default:
			return true;
	}
	for (size_t pos = 0; pos < t.len;)
	{
		uint32_t	cpt = LlmUtf8Decode(t.data, t.len, &pos);
		int			byte = LlmBpeCptToByte(cpt);

		if (byte >= 0)
		{
			char		c = (char) byte;

			if (!DetokAppend(b, &c, 1))
				return false;
		}
		else
		{
			/* a code point outside the alphabet: llama.cpp shows it so */
			char		utf8[4];
			char		hex[3];
			int			k = LlmUtf8Encode(cpt, utf8);

			if (!DetokAppend(b, "[UNK_BYTE_0x", 12))
				return false;
			for (int j = 0; j < k; j++)
			{
				snprintf(hex, sizeof(hex), "%02x", (uint8_t) utf8[j]);
				if (!DetokAppend(b, hex, 2))
					return false;
			}
			if (!DetokAppend(b, t.data, t.len) || !DetokAppend(b, "]", 1))
				return false;
		}
	}
	return true;
}

LlmStatus
LlmDetokenize(const LlmVocab *vocab, const int32_t *tokens, int n_tokens,
			  bool starts_text, char **text, size_t *len, LlmError *err)
{
	DetokBuf	b = {0};
	bool		strip_space = starts_text && vocab->add_space_prefix;

	*text = NULL;
	*len = 0;
	if (!DetokAppend(&b, "", 0))
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory detokenizing");
	for (int i = 0; i < n_tokens; i++)
	{
		size_t		before = b.len;
		bool		ok;

		if (tokens[i] < 0 || tokens[i] >= vocab->n_tokens)
		{
			free(b.data);
			return LlmSetError(err, LLM_ERR_ARGUMENT,
							   "token id %d is out of range (the vocabulary has %d tokens)",
							   tokens[i], vocab->n_tokens);
		}
		if (vocab->type == LLM_VOCAB_SPM)
			ok = DetokSpmPiece(vocab, tokens[i], &b);
		else
			ok = DetokBpePiece(vocab, tokens[i], &b);
		if (!ok)
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
