/*-------------------------------------------------------------------------
 *
 * tokenize_gemma4.c
 *	  Gemma 4's tokenizer (tokenizer.ggml.model = "gemma4"), as llama.cpp
 *	  runs it: BPE merges over raw UTF-8, SentencePiece style.
 *
 * Every ' ' becomes U+2581; the text is split into runs of line feeds and
 * runs of everything else; a run of line feeds that is a token is that
 * token.  Otherwise the run's characters merge pairwise by the rank of
 * tokenizer.ggml.merges, the lowest rank first and ties to the leftmost,
 * as in byte-level BPE but without the byte alphabet.  A final piece that
 * is no token falls back to its bytes' <0xXX> tokens.
 *
 * The text goes through code points on the way, as in llama.cpp's regex
 * split: a byte that starts no UTF-8 character comes out as U+FFFD.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tokenize.h"
#include "tokenizer/tokenize_merge.h"
#include "tokenizer/unicode.h"

typedef struct Gemma4Session
{
	const LlmVocab *vocab;
	const char *word;
	LlmMergeSymbol *sym;
	size_t		sym_cap;
	LlmMergeQueue queue;
	LlmTokenBuf *out;
} Gemma4Session;

static bool
Gemma4Priority(void *arg, const LlmMergeSymbol *left, const LlmMergeSymbol *right,
			   double *priority)
{
	const Gemma4Session *s = arg;
	int32_t		rank = LlmBpeRank(s->vocab->merges, s->word + left->start, left->len,
								  s->word + right->start, right->len);

	if (rank < 0)
		return false;
	*priority = -(double) rank;
	return true;
}

/* The tokens of one run (its UTF-8 in word[0..len)). */
static LlmStatus
Gemma4Word(Gemma4Session *s, const char *word, size_t len, LlmError *err)
{
	const LlmVocab *vocab = s->vocab;
	int			n_sym = 0;
	LlmStatus	status = LLM_OK;

	if (word[0] == '\n')
	{
		int32_t		id = LlmVocabFind(vocab, word, len);

		if (id >= 0)
			return LlmTokenBufPush(s->out, id, err);
	}
	if (len > s->sym_cap)
	{
		LlmMergeSymbol *grown = realloc(s->sym, sizeof(LlmMergeSymbol) * len);

		if (grown == NULL)
			return LlmSetError(err, LLM_ERR_NOMEM, "out of memory tokenizing a word of %zu bytes", len);
		s->sym = grown;
		s->sym_cap = len;
	}
	for (size_t off = 0; off < len; n_sym++)
	{
		size_t		n = LlmUtf8SeqLen((uint8_t) word[off]);

		if (n > len - off)
			n = len - off;
		s->sym[n_sym].prev = n_sym - 1;
		s->sym[n_sym].next = n_sym + 1;
		s->sym[n_sym].start = off;
		s->sym[n_sym].len = n;
		off += n;
	}
	s->word = word;
	if (!LlmMergeSymbols(&s->queue, s->sym, 0, n_sym - 1, Gemma4Priority, s))
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory tokenizing a word of %zu bytes", len);

	for (int i = 0; i >= 0 && status == LLM_OK; i = s->sym[i].next)
	{
		const char *piece = word + s->sym[i].start;
		int32_t		id = LlmVocabFind(vocab, piece, s->sym[i].len);

		if (id >= 0)
		{
			status = LlmTokenBufPush(s->out, id, err);
			continue;
		}
		/* llama.cpp skips bytes that have no <0xXX> token */
		for (size_t j = 0; j < s->sym[i].len && status == LLM_OK; j++)
			if (vocab->byte_token[(uint8_t) piece[j]] >= 0)
				status = LlmTokenBufPush(s->out, vocab->byte_token[(uint8_t) piece[j]], err);
	}
	return status;
}

LlmStatus
LlmTokenizeGemma4(const LlmVocab *vocab, const char *text, size_t len,
				  LlmTokenBuf *out, LlmError *err)
{
	Gemma4Session s = {0};
	char	   *buf;
	size_t		n = 0;
	size_t		run = 0;
	LlmStatus	status = LLM_OK;

	if (len == 0)
		return LLM_OK;
	if (len >= SIZE_MAX / 4)
		return LlmSetError(err, LLM_ERR_ARGUMENT, "text of %zu bytes is too long to tokenize", len);

	/*
	 * Spaces as U+2581 (3 bytes for 1), then every code point re-encoded:
	 * an invalid byte becomes U+FFFD (3 bytes for 1) too.
	 */
	buf = malloc(3 * len);
	if (buf == NULL)
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory tokenizing %zu bytes", len);
	for (size_t pos = 0; pos < len;)
	{
		uint32_t	cpt;

		if (text[pos] == ' ')
		{
			memcpy(buf + n, "\xe2\x96\x81", 3);
			n += 3;
			pos++;
			continue;
		}
		cpt = LlmUtf8Decode(text, len, &pos);
		n += (size_t) LlmUtf8Encode(cpt, buf + n);
	}

	/* [^\n]+|[\n]+ */
	s.vocab = vocab;
	s.out = out;
	for (size_t i = 1; i <= n && status == LLM_OK; i++)
	{
		if (i < n && (buf[i] == '\n') == (buf[run] == '\n'))
			continue;
		status = Gemma4Word(&s, buf + run, i - run, err);
		run = i;
	}
	free(s.sym);
	free(s.queue.items);
	free(buf);
	return status;
}
