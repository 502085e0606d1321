/*-------------------------------------------------------------------------
 *
 * tokenize.c
 *	  Text to tokens, whatever the model's tokenizer type: special tokens
 *	  first, then each run of plain text by the model's tokenizer (SPM, BPE,
 *	  WordPiece, Unigram, Gemma 4), as llama.cpp's
 *	  llama_vocab::impl::tokenize does.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tokenize.h"

LlmStatus
LlmTokenBufPush(LlmTokenBuf *buf, int32_t id, LlmError *err)
{
	if (buf->count == buf->cap)
	{
		int			cap = buf->cap ? buf->cap * 2 : 64;
		int32_t    *ids;

		if (buf->cap > INT32_MAX / 2)
			return LlmSetError(err, LLM_ERR_ARGUMENT, "the text has too many tokens");
		ids = realloc(buf->ids, sizeof(int32_t) * cap);
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
			bool parse_special, int32_t **tokens, int *n_tokens, LlmError *err)
{
	LlmTokenBuf buf = {0};
	LlmFragment *frags = NULL;
	int			n_frags = 0;
	LlmStatus	status;

	/* SPM puts a space in front of text that starts the input or follows a special token */
	bool		prev_special = true;

	/* WordPiece always frames the text: [CLS] ... [SEP] */
	bool		wpm = vocab->type == LLM_VOCAB_WPM;

	*tokens = NULL;
	*n_tokens = 0;
	status = LlmSplitSpecial(vocab, text, len, parse_special, &frags, &n_frags, err);
	if (status == LLM_OK && add_bos && (vocab->add_bos || wpm) && vocab->bos_id >= 0)
		status = LlmTokenBufPush(&buf, vocab->bos_id, err);
	for (int i = 0; i < n_frags && status == LLM_OK; i++)
	{
		const LlmFragment *f = &frags[i];

		if (f->token >= 0)
		{
			status = LlmTokenBufPush(&buf, f->token, err);
			prev_special = true;
		}
		else if (vocab->type == LLM_VOCAB_SPM)
		{
			status = LlmTokenizeSpm(vocab, text + f->start, f->len,
									vocab->add_space_prefix && prev_special, &buf, err);
			prev_special = false;
		}
		else if (vocab->type == LLM_VOCAB_BPE)
			status = LlmTokenizeBpe(vocab, text + f->start, f->len, &buf, err);
		else if (wpm)
			status = LlmTokenizeWpm(vocab, text + f->start, f->len, &buf, err);
		else if (vocab->type == LLM_VOCAB_UGM)
			status = LlmTokenizeUgm(vocab, text + f->start, f->len, &buf, err);
		else
			status = LlmTokenizeGemma4(vocab, text + f->start, f->len, &buf, err);
	}
	if (status == LLM_OK && add_bos && wpm && vocab->sep_id >= 0)
		status = LlmTokenBufPush(&buf, vocab->sep_id, err);
	else if (status == LLM_OK && add_bos && !wpm && vocab->add_eos && vocab->eos_id >= 0)
		status = LlmTokenBufPush(&buf, vocab->eos_id, err);
	free(frags);
	if (status != LLM_OK)
	{
		free(buf.ids);
		return status;
	}
	if (buf.ids == NULL)
	{
		/* callers may free an empty result */
		buf.ids = malloc(sizeof(int32_t));
		if (buf.ids == NULL)
			return LlmSetError(err, LLM_ERR_NOMEM, "out of memory tokenizing");
	}
	*tokens = buf.ids;
	*n_tokens = buf.count;
	return LLM_OK;
}
