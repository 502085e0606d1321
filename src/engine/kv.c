/*-------------------------------------------------------------------------
 *
 * kv.c
 *	  The sequences of a context's KV cache: positions, forking a prefix
 *	  into another sequence, and saving / restoring a prefix's cells.
 *
 * A sequence's cells are one slab per layer (context.h): keys
 * [n_ctx][kv_dim], values transposed [kv_dim][n_ctx].  A saved state holds
 * the first n tokens compactly, per layer the keys [n][kv_dim] then the
 * values [kv_dim][n], behind a header that says which shape of model and
 * how many tokens it holds, so that loading a state of another model is
 * an error instead of garbage.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "context.h"

#define STATE_MAGIC 0x4C4B5631u /* "LKV1" */

typedef struct SeqStateHeader
{
	uint32_t	magic;
	int32_t		n_layer;
	int32_t		kv_dim;
	int32_t		n_tokens;
	int32_t		kv_type;		/* the cache's element type: states move between
								 * caches of one type only */
} SeqStateHeader;

static size_t
KvDim(const LlmContext *ctx)
{
	return (size_t) ctx->model->hp.n_head_kv * ctx->model->hp.head_dim;
}

/* Sequence seq's key slab of layer l: [n_ctx][kv_dim] elements of kv_elem bytes. */
static char *
SeqKeys(const LlmContext *ctx, int l, int seq)
{
	return (char *) ctx->k_cache +
		((size_t) l * ctx->n_seq + seq) * ctx->n_ctx * KvDim(ctx) * ctx->kv_elem;
}

/* Sequence seq's value slab of layer l: [kv_dim][n_ctx]. */
static char *
SeqValues(const LlmContext *ctx, int l, int seq)
{
	return (char *) ctx->v_cache +
		((size_t) l * ctx->n_seq + seq) * ctx->n_ctx * KvDim(ctx) * ctx->kv_elem;
}

static LlmStatus
CheckSeq(const LlmContext *ctx, int seq, LlmError *err)
{
	if (seq < 0 || seq >= ctx->n_seq)
		return LlmSetError(err, LLM_ERR_ARGUMENT,
						   "sequence %d does not exist (the context has %d)", seq, ctx->n_seq);
	return LLM_OK;
}

int
LlmSeqPast(const LlmContext *ctx, int seq)
{
	return seq >= 0 && seq < ctx->n_seq ? ctx->seq_past[seq] : -1;
}

LlmStatus
LlmSeqReset(LlmContext *ctx, int seq, LlmError *err)
{
	LlmStatus	s = CheckSeq(ctx, seq, err);

	if (s == LLM_OK)
		ctx->seq_past[seq] = 0;
	return s;
}

LlmStatus
LlmSeqTruncate(LlmContext *ctx, int seq, int n_keep, LlmError *err)
{
	LlmStatus	s = CheckSeq(ctx, seq, err);

	if (s != LLM_OK)
		return s;
	if (n_keep < 0 || n_keep > ctx->seq_past[seq])
		return LlmSetError(err, LLM_ERR_ARGUMENT,
						   "cannot keep %d tokens of sequence %d, which holds %d",
						   n_keep, seq, ctx->seq_past[seq]);
	/* later cells are simply overwritten by the next decode */
	ctx->seq_past[seq] = n_keep;
	return LLM_OK;
}

LlmStatus
LlmSeqCopy(LlmContext *ctx, int src, int dst, int n_tokens, LlmError *err)
{
	const size_t kv_dim = KvDim(ctx);
	LlmStatus	s;

	if ((s = CheckSeq(ctx, src, err)) != LLM_OK || (s = CheckSeq(ctx, dst, err)) != LLM_OK)
		return s;
	if (n_tokens < 0 || n_tokens > ctx->seq_past[src])
		return LlmSetError(err, LLM_ERR_ARGUMENT,
						   "cannot copy %d tokens of sequence %d, which holds %d",
						   n_tokens, src, ctx->seq_past[src]);
	if (src != dst)
	{
		for (int l = 0; l < ctx->model->hp.n_layer; l++)
		{
			const char *vs = SeqValues(ctx, l, src);
			char	   *vd = SeqValues(ctx, l, dst);

			memcpy(SeqKeys(ctx, l, dst), SeqKeys(ctx, l, src),
				   ctx->kv_elem * n_tokens * kv_dim);
			for (size_t i = 0; i < kv_dim; i++)
				memcpy(vd + i * ctx->n_ctx * ctx->kv_elem, vs + i * ctx->n_ctx * ctx->kv_elem,
					   ctx->kv_elem * n_tokens);
		}
	}
	ctx->seq_past[dst] = n_tokens;
	return LLM_OK;
}

size_t
LlmSeqStateSize(const LlmContext *ctx, int n_tokens)
{
	if (n_tokens < 0)
		n_tokens = 0;
	return sizeof(SeqStateHeader) +
		2 * ctx->kv_elem * (size_t) ctx->model->hp.n_layer * KvDim(ctx) * n_tokens;
}

LlmStatus
LlmSeqStateSave(const LlmContext *ctx, int seq, int n_tokens, void *buf, size_t size,
				LlmError *err)
{
	const size_t kv_dim = KvDim(ctx);
	SeqStateHeader h;
	char	   *p = buf;
	LlmStatus	s = CheckSeq(ctx, seq, err);

	if (s != LLM_OK)
		return s;
	if (n_tokens < 0 || n_tokens > ctx->seq_past[seq])
		return LlmSetError(err, LLM_ERR_ARGUMENT,
						   "cannot save %d tokens of sequence %d, which holds %d",
						   n_tokens, seq, ctx->seq_past[seq]);
	if (size < LlmSeqStateSize(ctx, n_tokens))
		return LlmSetError(err, LLM_ERR_ARGUMENT,
						   "a state of %d tokens needs %zu bytes, the buffer has %zu",
						   n_tokens, LlmSeqStateSize(ctx, n_tokens), size);
	h.magic = STATE_MAGIC;
	h.n_layer = ctx->model->hp.n_layer;
	h.kv_dim = (int32_t) kv_dim;
	h.n_tokens = n_tokens;
	h.kv_type = (int32_t) ctx->kv_type;
	memcpy(p, &h, sizeof(h));
	p += sizeof(h);
	for (int l = 0; l < h.n_layer; l++)
	{
		const char *vs = SeqValues(ctx, l, seq);

		memcpy(p, SeqKeys(ctx, l, seq), ctx->kv_elem * n_tokens * kv_dim);
		p += ctx->kv_elem * n_tokens * kv_dim;
		for (size_t i = 0; i < kv_dim; i++)
		{
			memcpy(p, vs + i * ctx->n_ctx * ctx->kv_elem, ctx->kv_elem * n_tokens);
			p += ctx->kv_elem * n_tokens;
		}
	}
	return LLM_OK;
}

LlmStatus
LlmSeqStateLoad(LlmContext *ctx, int seq, const void *buf, size_t size, LlmError *err)
{
	const size_t kv_dim = KvDim(ctx);
	SeqStateHeader h;
	const char *p = buf;
	LlmStatus	s = CheckSeq(ctx, seq, err);

	if (s != LLM_OK)
		return s;
	if (size < sizeof(h))
		return LlmSetError(err, LLM_ERR_ARGUMENT, "a KV state of %zu bytes is truncated", size);
	memcpy(&h, p, sizeof(h));
	p += sizeof(h);
	if (h.magic != STATE_MAGIC || h.n_layer != ctx->model->hp.n_layer ||
		h.kv_dim != (int32_t) kv_dim || h.n_tokens < 0 || h.kv_type != (int32_t) ctx->kv_type)
		return LlmSetError(err, LLM_ERR_ARGUMENT,
						   "the KV state is not one of this model (%d layers of %zu, got %d of %d)",
						   ctx->model->hp.n_layer, kv_dim, h.n_layer, h.kv_dim);
	if (h.n_tokens > ctx->n_ctx)
		return LlmSetError(err, LLM_ERR_CONTEXT,
						   "a KV state of %d tokens does not fit in %d cells",
						   h.n_tokens, ctx->n_ctx);
	if (size < LlmSeqStateSize(ctx, h.n_tokens))
		return LlmSetError(err, LLM_ERR_ARGUMENT,
						   "a KV state of %d tokens needs %zu bytes, got %zu",
						   h.n_tokens, LlmSeqStateSize(ctx, h.n_tokens), size);
	for (int l = 0; l < h.n_layer; l++)
	{
		char	   *vd = SeqValues(ctx, l, seq);

		memcpy(SeqKeys(ctx, l, seq), p, ctx->kv_elem * h.n_tokens * kv_dim);
		p += ctx->kv_elem * h.n_tokens * kv_dim;
		for (size_t i = 0; i < kv_dim; i++)
		{
			memcpy(vd + i * ctx->n_ctx * ctx->kv_elem, p, ctx->kv_elem * h.n_tokens);
			p += ctx->kv_elem * h.n_tokens;
		}
	}
	ctx->seq_past[seq] = h.n_tokens;
	return LLM_OK;
}
