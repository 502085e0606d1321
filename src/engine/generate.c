/*-------------------------------------------------------------------------
 *
 * generate.c
 *	  The generation loop.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "generate.h"

size_t
LlmUtf8CompletePrefix(const char *s, size_t len)
{
	size_t		i = len;
	int			cont = 0;

	/* walk back over at most 3 continuation bytes to the lead byte */
	while (i > 0 && cont < 3 && ((uint8_t) s[i - 1] & 0xC0) == 0x80)
	{
		i--;
		cont++;
	}
	if (i > 0)
	{
		uint8_t		lead = (uint8_t) s[i - 1];
		int			need = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;

		if (lead >= 0xC0 && need > cont)
			return i - 1;
	}
	return len;
}

/* Position of the first stop string in text, or -1. */
static long
FindStop(const LlmGenerateParams *p, const char *text, size_t len)
{
	long		best = -1;

	for (int i = 0; i < p->n_stop; i++)
	{
		size_t		n = strlen(p->stop[i]);

		if (n == 0 || n > len)
			continue;
		for (size_t at = 0; at + n <= len; at++)
			if (memcmp(text + at, p->stop[i], n) == 0)
			{
				if (best < 0 || (long) at < best)
					best = (long) at;
				break;
			}
	}
	return best;
}

void
LlmGenerateResultFree(LlmGenerateResult *result)
{
	free(result->text);
	free(result->tokens);
	memset(result, 0, sizeof(*result));
}

LlmStatus
LlmGenerate(LlmContext *ctx, const int32_t *prompt, int n_prompt,
			const LlmGenerateParams *params, LlmGenerateResult *result,
			LlmError *err)
{
	const LlmModel *m = ctx->model;
	const LlmVocab *vocab = m->vocab;
	LlmSampler *sampler = NULL;
	float	   *logits = NULL;
	bool		prompt_has_text = false;
	LlmStatus	s;

	memset(result, 0, sizeof(*result));
	result->n_prompt = n_prompt;
	if (n_prompt <= 0)
		return LlmSetError(err, LLM_ERR_ARGUMENT, "the prompt is empty (not even a BOS token)");
	if (n_prompt >= ctx->n_ctx)
		return LlmSetError(err, LLM_ERR_CONTEXT,
						   "the prompt has %d tokens but the context holds %d",
						   n_prompt, ctx->n_ctx);

	for (int i = 0; i < n_prompt; i++)
		if (!(prompt[i] >= 0 && prompt[i] < vocab->n_tokens &&
			  vocab->attr[prompt[i]] == LLM_TOKEN_CONTROL))
			prompt_has_text = true;

	logits = malloc(sizeof(float) * m->hp.n_vocab);
	result->tokens = malloc(sizeof(int32_t) * (params->max_tokens > 0 ? params->max_tokens : 1));
	result->text = calloc(1, 1);
	if (logits == NULL || result->tokens == NULL || result->text == NULL)
	{
		s = LlmSetError(err, LLM_ERR_NOMEM, "out of memory starting generation");
		goto done;
	}
	s = LlmSamplerCreate(&params->sampling, m->hp.n_vocab, &sampler, err);
	if (s != LLM_OK)
		goto done;
	for (int i = 0; i < n_prompt; i++)
		LlmSamplerAccept(sampler, prompt[i]);

	LlmContextReset(ctx);
	s = LlmDecode(ctx, prompt, n_prompt, logits, false, err);
	result->stop_reason = "length";
	while (s == LLM_OK && result->n_tokens < params->max_tokens)
	{
		int32_t		tok = LlmSamplerSample(sampler, logits);
		char	   *piece;
		size_t		piece_len;
		char	   *grown;
		long		stop_at;

		if (LlmVocabIsEog(vocab, tok))
		{
			result->stop_reason = "eos";
			break;
		}
		result->tokens[result->n_tokens++] = tok;
		LlmSamplerAccept(sampler, tok);

		/* the first piece of a text-less prompt starts the text */
		s = LlmDetokenize(vocab, &tok, 1, !prompt_has_text && result->len == 0,
						  &piece, &piece_len, err);
		if (s != LLM_OK)
			break;
		grown = realloc(result->text, result->len + piece_len + 1);
		if (grown == NULL)
		{
			free(piece);
			s = LlmSetError(err, LLM_ERR_NOMEM, "out of memory during generation");
			break;
		}
		memcpy(grown + result->len, piece, piece_len + 1);
		result->text = grown;
		result->len += piece_len;
		if (piece_len > 0)
			prompt_has_text = true;
		free(piece);

		stop_at = FindStop(params, result->text, result->len);
		if (stop_at >= 0)
		{
			result->len = (size_t) stop_at;
			result->text[result->len] = '\0';
			result->stop_reason = "stop";
			break;
		}
		if (result->n_tokens >= params->max_tokens)
			break;
		if (LlmContextPast(ctx) >= ctx->n_ctx)
		{
			result->stop_reason = "context";
			break;
		}
		s = LlmDecode(ctx, &tok, 1, logits, false, err);
	}

	/* never hand back half a character */
	result->len = LlmUtf8CompletePrefix(result->text, result->len);
	result->text[result->len] = '\0';

done:
	LlmSamplerFree(sampler);
	free(logits);
	if (s != LLM_OK)
		LlmGenerateResultFree(result);
	return s;
}
