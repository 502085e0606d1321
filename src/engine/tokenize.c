/*-------------------------------------------------------------------------
 *
 * tokenize.c
 *	  Text to tokens and back, whatever the model's tokenizer type.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "tokenize.h"

LlmStatus
LlmTokenBufPush(LlmTokenBuf *buf, int32_t id, LlmError *err)
{
	if (buf->count == buf->cap)
	{
		int			cap = buf->cap ? buf->cap * 2 : 64;
		int32_t    *ids = realloc(buf->ids, sizeof(int32_t) * cap);

		if (ids == NULL)
			return LlmSetError(err, LLM_ERR_NOMEM, "out of memory storing %d tokens", cap);
		buf->ids = ids;
		buf->cap = cap;
	}
	buf->ids[buf->count++] = id;
	return LLM_OK;
}

LlmStatus
LlmTokenize(const LlmVocab *vocab, const char *text, size_t len, bool add_bos,
			int32_t **tokens, int *n_tokens, LlmError *err)
{
	LlmTokenBuf buf = {0};
	LlmStatus	status = LLM_OK;

	*tokens = NULL;
	*n_tokens = 0;
	if (add_bos && vocab->add_bos && vocab->bos_id >= 0)
		status = LlmTokenBufPush(&buf, vocab->bos_id, err);
	if (status == LLM_OK)
		status = LlmTokenizeSpm(vocab, text, len, &buf, err);
	if (status != LLM_OK)
	{
		free(buf.ids);
		return status;
	}
	if (buf.ids == NULL)
		buf.ids = malloc(sizeof(int32_t));	/* callers may free an empty result */
	*tokens = buf.ids;
	*n_tokens = buf.count;
	return LLM_OK;
}

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

/* Append the text of one SPM token: U+2581 is a space, <0xXX> a raw byte. */
static bool
DetokSpmPiece(const LlmVocab *vocab, int32_t id, DetokBuf *b)
{
	GgufString	t = vocab->text[id];

	switch (vocab->attr[id])
	{
		case LLM_TOKEN_CONTROL:
			return true;
		case LLM_TOKEN_UNKNOWN:
			return DetokAppend(b, "\xe2\x96\x85", 3);	/* as llama.cpp shows <unk> */
		case LLM_TOKEN_BYTE:
			for (int v = 0; v < 256; v++)
				if (vocab->byte_token[v] == id)
				{
					char		c = (char) v;

					return DetokAppend(b, &c, 1);
				}
			return DetokAppend(b, t.data, t.len);
		case LLM_TOKEN_USER_DEFINED:
			return DetokAppend(b, t.data, t.len);
		default:
			break;
	}
	for (size_t i = 0; i < t.len;)
	{
		if (i + 3 <= t.len && memcmp(t.data + i, "\xe2\x96\x81", 3) == 0)
		{
			if (!DetokAppend(b, " ", 1))
				return false;
			i += 3;
			continue;
		}
		if (!DetokAppend(b, t.data + i, 1))
			return false;
		i++;
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

		if (tokens[i] < 0 || tokens[i] >= vocab->n_tokens)
		{
			free(b.data);
			return LlmSetError(err, LLM_ERR_ARGUMENT,
							   "token id %d is out of range (the vocabulary has %d tokens)",
							   tokens[i], vocab->n_tokens);
		}
		if (!DetokSpmPiece(vocab, tokens[i], &b))
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
