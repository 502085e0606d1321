/*-------------------------------------------------------------------------
 *
 * decode.c
 *	  Running tokens through the model: the decode calls (one sequence, a
 *	  batch of sequences, rows placed by the caller), their checks, and the
 *	  chunk loop over the architecture family's layers (see family.h).
 *
 * Tokens go through in chunks: every step works on all rows of a chunk so
 * that each weight matrix is streamed from memory once per chunk, not once
 * per token.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "model/attention.h"
#include "model/family.h"
#include "model/ops.h"

/* Final norm of rows [first, first + n) of ctx->x into the same rows of ctx->xb. */
static float *
FinalNorm(LlmContext *ctx, int first, int n)
{
	const int	n_embd = ctx->model->hp.n_embd;
	float	   *rows = ctx->xb + (size_t) first * n_embd;

	ctx->model->family->output_norm(ctx, rows, ctx->x + (size_t) first * n_embd, n);
	return rows;
}

int
LlmKeepOutputRows(LlmContext *ctx, int l, int n_rows)
{
	const LlmHParams *hp = &ctx->model->hp;
	const size_t q_dim = (size_t) hp->n_head * hp->head_dim;

	if (l != hp->n_layer - 1 || ctx->n_out < 0 || ctx->n_out == n_rows)
		return n_rows;
	for (int i = 0; i < ctx->n_out; i++)
	{
		int			t = ctx->out_rows[i];	/* >= i: ascending */

		if (t == i)
			continue;
		memcpy(ctx->x + (size_t) i * hp->n_embd, ctx->x + (size_t) t * hp->n_embd,
			   sizeof(float) * hp->n_embd);
		memcpy(ctx->q + i * q_dim, ctx->q + t * q_dim, sizeof(float) * q_dim);
		ctx->rows[i] = ctx->rows[t];
	}
	ctx->compacted = true;
	if (ctx->n_out > 0)
		LlmAttentionPlan(ctx, ctx->n_out);
	return ctx->n_out;
}

/*
 * The output layer over n final hidden states x, into logits [n][n_vocab],
 * soft-capped when the model says so (Gemma).
 */
static void
Logits(LlmContext *ctx, float *logits, const float *x, int n)
{
	const LlmModel *m = ctx->model;

	LlmProject(ctx, logits, &m->output, x, n);
	if (m->hp.final_logit_softcap > 0.0f)
		LlmSoftcap(logits, m->hp.final_logit_softcap, (size_t) n * m->hp.n_vocab);
}

/* An encoder has no output layer: refuse what needs one. */
static LlmStatus
CheckDecoder(const LlmContext *ctx, LlmError *err)
{
	if (ctx->model->output.data == NULL)
		return LlmSetError(err, LLM_ERR_UNSUPPORTED,
						   "a %s model is an encoder: it embeds text and cannot generate or score tokens",
						   ctx->model->arch_name);
	return LLM_OK;
}

void
LlmRmsOutputNorm(const LlmContext *ctx, float *y, const float *x, int n_rows)
{
	const LlmModel *m = ctx->model;

	LlmRmsNorm(y, x, m->output_norm, n_rows, m->hp.n_embd, m->hp.rms_eps);
}

/*
 * Embed the chunk's tokens and run them through every layer; ctx->rows
 * says where each goes, ctx->out_rows which are read after (n_out < 0:
 * all).  False if cancelled.
 */
static bool
Forward(LlmContext *ctx, const int32_t *tokens, int stride, int n_rows)
{
	const LlmModel *m = ctx->model;

	ctx->compacted = false;
	m->family->embed(ctx, tokens, (size_t) stride, n_rows);
	LlmAttentionPlan(ctx, n_rows);
	for (int l = 0; l < m->hp.n_layer; l++)
		if (!m->family->block(ctx, l, n_rows))
			return false;
	return true;
}

/* What a decode call hands back. */
typedef enum DecodeOutput
{
	DECODE_LAST_LOGITS,			/* [n_vocab] of the last token */
	DECODE_ALL_LOGITS,			/* [n_tokens][n_vocab] */
	DECODE_HIDDEN				/* [n_tokens][n_embd] after the final norm */
} DecodeOutput;

static LlmStatus
Decode(LlmContext *ctx, const int32_t *tokens, int n_tokens, DecodeOutput what,
	   float *out, LlmError *err)
{
	const LlmModel *m = ctx->model;
	const int	n_embd = m->hp.n_embd;
	const int	n_vocab = m->hp.n_vocab;
	int		   *past = &ctx->seq_past[0];
	LlmStatus	s;

	if (n_tokens <= 0)
		return LlmSetError(err, LLM_ERR_ARGUMENT, "no tokens to decode");
	if (what != DECODE_HIDDEN && (s = CheckDecoder(ctx, err)) != LLM_OK)
		return s;

	/*
	 * Every token of an encoder sees every other, so its input goes through
	 * in one chunk, from an empty sequence: there is nothing to continue.
	 */
	if (!m->hp.causal && *past > 0)
		return LlmSetError(err, LLM_ERR_ARGUMENT,
						   "a %s model is an encoder: its input cannot be continued (%d tokens are already in the context; reset it first)",
						   m->arch_name, *past);
	if (!m->hp.causal && n_tokens > ctx->n_batch)
		return LlmSetError(err, LLM_ERR_CONTEXT,
						   "a %s model is an encoder: its input of %d tokens must fit in one batch of %d",
						   m->arch_name, n_tokens, ctx->n_batch);
	if (n_tokens > ctx->n_ctx - *past)
		return LlmSetError(err, LLM_ERR_CONTEXT,
						   "%d tokens do not fit in the context: %d of %d positions are used",
						   n_tokens, *past, ctx->n_ctx);
	for (int i = 0; i < n_tokens; i++)
		if (tokens[i] < 0 || tokens[i] >= n_vocab)
			return LlmSetError(err, LLM_ERR_ARGUMENT,
							   "token id %d at position %d is outside the vocabulary (0..%d)",
							   tokens[i], i, n_vocab - 1);

	for (int done = 0; done < n_tokens;)
	{
		int			n = n_tokens - done < ctx->n_batch ? n_tokens - done : ctx->n_batch;
		bool		last_chunk = done + n == n_tokens;

		for (int t = 0; t < n; t++)
			ctx->rows[t] = (LlmRow) {.seq = 0, .pos = *past + t, .cell = *past + t};
		/* every row's output, the last one's, or (filling the cache) none */
		if (out != NULL && what != DECODE_LAST_LOGITS)
			ctx->n_out = -1;
		else if (out != NULL && last_chunk)
		{
			ctx->out_rows[0] = n - 1;
			ctx->n_out = 1;
		}
		else
			ctx->n_out = 0;
		if (!Forward(ctx, tokens + done, sizeof(int32_t), n))
			return LlmSetError(err, LLM_ERR_CANCELLED, "cancelled");

		if (out == NULL)
			;
		else if (what == DECODE_ALL_LOGITS)
			Logits(ctx, out + (size_t) done * n_vocab, FinalNorm(ctx, 0, n), n);
		else if (what == DECODE_HIDDEN)
			memcpy(out + (size_t) done * n_embd, FinalNorm(ctx, 0, n), sizeof(float) * n * n_embd);
		else if (last_chunk)
			Logits(ctx, out, FinalNorm(ctx, ctx->compacted ? 0 : n - 1, 1), 1);

		*past += n;
		done += n;
	}
	return LLM_OK;
}

LlmStatus
LlmDecode(LlmContext *ctx, const int32_t *tokens, int n_tokens, float *logits,
		  bool all_logits, LlmError *err)
{
	return Decode(ctx, tokens, n_tokens, all_logits ? DECODE_ALL_LOGITS : DECODE_LAST_LOGITS,
				  logits, err);
}

LlmStatus
LlmDecodeHidden(LlmContext *ctx, const int32_t *tokens, int n_tokens, float *hidden,
				LlmError *err)
{
	return Decode(ctx, tokens, n_tokens, DECODE_HIDDEN, hidden, err);
}

/*
 * Run n placed rows through the model, n_batch at a time, and the output
 * layer over the rows that want logits (packed in row order into out), or
 * with hidden, their final hidden states ([n_wanted][n_embd]) instead.
 * tokens and want (NULL: none) are read with strides, so that a batch's
 * items serve directly.  *n_done gets the rows that completed (all unless cancelled).
 */
static LlmStatus
RunRows(LlmContext *ctx, const int32_t *tokens, size_t tok_stride, const bool *want,
		size_t want_stride, const LlmRow *rows, int n, bool hidden, float *out, int *n_done,
		LlmError *err)
{
	const LlmModel *m = ctx->model;
	const int	n_embd = m->hp.n_embd;
	const int	n_vocab = m->hp.n_vocab;
	size_t		n_out = 0;

	*n_done = 0;
	for (int done = 0; done < n;)
	{
		int			c = n - done < ctx->n_batch ? n - done : ctx->n_batch;
		int			n_want = 0;

		memcpy(ctx->rows, rows + done, sizeof(LlmRow) * c);
		for (int t = 0; want != NULL && t < c; t++)
			if (*(const bool *) ((const char *) want + want_stride * (done + t)))
				ctx->out_rows[n_want++] = t;
		ctx->n_out = n_want;
		if (!Forward(ctx, (const int32_t *) ((const char *) tokens + tok_stride * done),
					 (int) tok_stride, c))
			return LlmSetError(err, LLM_ERR_CANCELLED, "cancelled");

		/* final norm of the wanted rows, packed at the start of ctx->xb */
		for (int i = 0; i < n_want; i++)
			m->family->output_norm(ctx, ctx->xb + (size_t) i * n_embd,
								   ctx->x + (size_t) (ctx->compacted ? i : ctx->out_rows[i]) * n_embd,
								   1);
		if (n_want > 0 && hidden)
			memcpy(out + n_out * n_embd, ctx->xb, sizeof(float) * n_embd * n_want);
		else if (n_want > 0)
			Logits(ctx, out + n_out * n_vocab, ctx->xb, n_want);
		n_out += n_want;
		done += c;
		*n_done = done;
	}
	return LLM_OK;
}

/* Check a batch before any of it runs: nothing is decoded if it is invalid. */
static LlmStatus
CheckBatch(const LlmContext *ctx, const LlmBatchToken *items, int n, const float *logits,
		   LlmError *err)
{
	const int	n_vocab = ctx->model->hp.n_vocab;
	int		   *count;
	LlmStatus	s = LLM_OK;

	if (n <= 0)
		return LlmSetError(err, LLM_ERR_ARGUMENT, "no tokens to decode");
	if ((s = CheckDecoder(ctx, err)) != LLM_OK)
		return s;
	count = calloc(ctx->n_seq, sizeof(int));
	if (count == NULL)
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory checking a batch");
	for (int i = 0; i < n && s == LLM_OK; i++)
	{
		const LlmBatchToken *it = &items[i];

		if (it->seq < 0 || it->seq >= ctx->n_seq)
			s = LlmSetError(err, LLM_ERR_ARGUMENT,
							"batch item %d names sequence %d, but the context has %d",
							i, it->seq, ctx->n_seq);
		else if (it->token < 0 || it->token >= n_vocab)
			s = LlmSetError(err, LLM_ERR_ARGUMENT,
							"token id %d of batch item %d is outside the vocabulary (0..%d)",
							it->token, i, n_vocab - 1);
		else if (it->want_logits && logits == NULL)
			s = LlmSetError(err, LLM_ERR_ARGUMENT,
							"batch item %d wants logits but there is no logits buffer", i);
		else if (++count[it->seq] > ctx->n_ctx - ctx->seq_past[it->seq])
			s = LlmSetError(err, LLM_ERR_CONTEXT,
							"sequence %d is full: %d tokens do not fit, %d of %d positions are used",
							it->seq, count[it->seq], ctx->seq_past[it->seq], ctx->n_ctx);
	}
	free(count);
	return s;
}

LlmStatus
LlmDecodeBatch(LlmContext *ctx, const LlmBatchToken *items, int n, float *logits,
			   LlmError *err)
{
	LlmRow	   *rows;
	int		   *next;
	int			n_done = 0;
	LlmStatus	s = CheckBatch(ctx, items, n, logits, err);

	if (s != LLM_OK)
		return s;
	rows = malloc(sizeof(LlmRow) * n);
	next = malloc(sizeof(int) * ctx->n_seq);
	if (rows == NULL || next == NULL)
		s = LlmSetError(err, LLM_ERR_NOMEM, "out of memory decoding a batch of %d", n);
	else
	{
		/* a sequence's positions run on from its past, in item order */
		memcpy(next, ctx->seq_past, sizeof(int) * ctx->n_seq);
		for (int i = 0; i < n; i++)
		{
			int			p = next[items[i].seq]++;

			rows[i] = (LlmRow) {.seq = items[i].seq, .pos = p, .cell = p};
		}
		s = RunRows(ctx, &items[0].token, sizeof(LlmBatchToken), &items[0].want_logits,
					sizeof(LlmBatchToken), rows, n, false, logits, &n_done, err);
		/* what completed stays, also when cancelled */
		for (int i = 0; i < n_done; i++)
			ctx->seq_past[rows[i].seq] = rows[i].pos + 1;
	}
	free(rows);
	free(next);
	return s;
}

/*
 * An encoder's rows must each hold a whole input in one chunk: every
 * sequence's rows in one run, at cells (and positions) 0, 1, 2, ...
 */
static LlmStatus
CheckEncoderRows(const LlmContext *ctx, const LlmRow *rows, int n, bool hidden, LlmError *err)
{
	const char *arch = ctx->model->arch_name;

	if (!hidden)
		return CheckDecoder(ctx, err);
	if (n > ctx->n_batch)
		return LlmSetError(err, LLM_ERR_CONTEXT,
						   "a %s model is an encoder: its %d rows must fit in one batch of %d",
						   arch, n, ctx->n_batch);
	for (int i = 0; i < n; i++)
	{
		const LlmRow *r = &rows[i];
		bool		first = i == 0 || rows[i - 1].seq != r->seq;

		if (r->prefix != 0 || r->branch != 0 || r->pos != r->cell ||
			r->cell != (first ? 0 : rows[i - 1].cell + 1))
			return LlmSetError(err, LLM_ERR_ARGUMENT,
							   "row %d: a %s model is an encoder; each input's rows must be consecutive, at cells 0, 1, 2, ...",
							   i, arch);
		for (int j = 0; first && j < i; j++)
			if (rows[j].seq == r->seq)
				return LlmSetError(err, LLM_ERR_ARGUMENT,
								   "row %d: a %s model is an encoder; sequence %d's rows must not be split",
								   i, arch, r->seq);
	}
	return LLM_OK;
}

static LlmStatus
CheckRows(const LlmContext *ctx, const int32_t *tokens, const LlmRow *rows, const bool *want,
		  int n, bool hidden, const float *out, LlmError *err)
{
	const int	n_vocab = ctx->model->hp.n_vocab;
	LlmStatus	s;

	if (n <= 0)
		return LlmSetError(err, LLM_ERR_ARGUMENT, "no tokens to decode");
	if (!ctx->model->hp.causal &&
		(s = CheckEncoderRows(ctx, rows, n, hidden, err)) != LLM_OK)
		return s;
	for (int i = 0; i < n; i++)
	{
		const LlmRow *r = &rows[i];

		if (r->seq < 0 || r->seq >= ctx->n_seq)
			return LlmSetError(err, LLM_ERR_ARGUMENT,
							   "row %d names sequence %d, but the context has %d",
							   i, r->seq, ctx->n_seq);
		if (tokens[i] < 0 || tokens[i] >= n_vocab)
			return LlmSetError(err, LLM_ERR_ARGUMENT,
							   "token id %d of row %d is outside the vocabulary (0..%d)",
							   tokens[i], i, n_vocab - 1);
		if (r->cell < 0 || r->cell >= ctx->n_ctx || r->pos < 0 || r->pos >= ctx->n_ctx)
			return LlmSetError(err, LLM_ERR_CONTEXT,
							   "row %d at cell %d, position %d does not fit in %d cells",
							   i, r->cell, r->pos, ctx->n_ctx);
		if (r->prefix < 0 || r->prefix > r->branch || r->branch > r->cell)
			return LlmSetError(err, LLM_ERR_ARGUMENT,
							   "row %d sees cells [0, %d) and [%d, %d]: not a prefix and a branch",
							   i, r->prefix, r->branch, r->cell);
		if (want != NULL && want[i] && out == NULL)
			return LlmSetError(err, LLM_ERR_ARGUMENT,
							   "row %d wants an output but there is no buffer", i);
	}
	return LLM_OK;
}

LlmStatus
LlmDecodeRows(LlmContext *ctx, const int32_t *tokens, const LlmRow *rows, const bool *want,
			  int n, bool hidden, float *out, LlmError *err)
{
	int			n_done;
	LlmStatus	s = CheckRows(ctx, tokens, rows, want, n, hidden, out, err);

	if (s != LLM_OK)
		return s;
	return RunRows(ctx, tokens, sizeof(int32_t), want, sizeof(bool), rows, n, hidden, out,
				   &n_done, err);
}
