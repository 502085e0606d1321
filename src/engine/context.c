/*-------------------------------------------------------------------------
 *
 * context.c
 *	  Creating and freeing inference contexts.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "model/ops.h"

/* calloc of a*b*c floats with overflow checking */
static float *
ContextAllocFloats(size_t a, size_t b, size_t c)
{
	if (b != 0 && a > SIZE_MAX / b)
		return NULL;
	if (c != 0 && a * b > SIZE_MAX / c / sizeof(float))
		return NULL;
	return calloc(a * b * c, sizeof(float));
}

/*
 * Attention scores a thread holds at once: a block of query rows against
 * the keys they see.  Enough for a whole chunk of a short context, capped
 * at 4 MB for long ones (then blocks have fewer rows), never under one row.
 */
static size_t
ScoresPerThread(int n_ctx, int n_batch)
{
	size_t		want = (size_t) n_ctx * n_batch;
	size_t		cap = (size_t) 1 << 20;

	return want < cap ? want : (cap > (size_t) n_ctx ? cap : (size_t) n_ctx);
}

LlmStatus
LlmContextCreate(const LlmModel *model, int n_ctx, int n_batch,
				 LlmContext **out, LlmError *err)
{
	return LlmContextCreateSeq(model, n_ctx, n_batch, 1, out, err);
}

LlmStatus
LlmContextCreateSeq(const LlmModel *model, int n_ctx, int n_batch, int n_seq,
					LlmContext **out, LlmError *err)
{
	return LlmContextCreateKv(model, n_ctx, n_batch, n_seq, LLM_TYPE_F32, out, err);
}

/*
 * Longrope's factors for a context of n_ctx cells per sequence, as
 * llama.cpp chooses them (llama_model::get_rope_factors): the long ones
 * when the context, padded to a multiple of 256 as llama.cpp pads it,
 * exceeds the original context the model was trained with.
 */
static const float *
RopeFactors(const LlmModel *model, int n_ctx)
{
	int64_t		padded = ((int64_t) n_ctx + 255) / 256 * 256;

	if (model->rope_long == NULL)
		return NULL;
	return padded > model->hp.n_ctx_orig ? model->rope_long : model->rope_short;
}

/* calloc of a*b*c elements of size bytes, with overflow checking */
static void *
ContextAllocElems(size_t a, size_t b, size_t c, size_t size)
{
	if (b != 0 && a > SIZE_MAX / b)
		return NULL;
	if (c != 0 && a * b > SIZE_MAX / c / size)
		return NULL;
	return calloc(a * b * c, size);
}

/* Halves one thread needs to convert a block's queries or its scores. */
static size_t
AttHalfPerThread(const LlmContext *ctx)
{
	size_t		q_rows = (size_t) 64 * ctx->model->hp.head_dim;

	return ctx->kv_type == LLM_TYPE_F16 ?
		(q_rows > ctx->scores_per_thread ? q_rows : ctx->scores_per_thread) : 0;
}

LlmStatus
LlmContextCreateKv(const LlmModel *model, int n_ctx, int n_batch, int n_seq,
				   LlmType kv_type, LlmContext **out, LlmError *err)
{
	const LlmHParams *hp = &model->hp;
	const size_t kv_dim = (size_t) hp->n_head_kv * hp->head_dim;
	const size_t q_dim = (size_t) hp->n_head * hp->head_dim;
	int64_t		widest_in;
	LlmContext *ctx;

	*out = NULL;
	if (n_ctx <= 0)
		n_ctx = hp->n_ctx_train;
	if (n_batch <= 0)
		n_batch = 512;
	if (n_ctx <= 0 || n_ctx > (1 << 24))
		return LlmSetError(err, LLM_ERR_ARGUMENT, "context size %d is out of range (1..%d)",
						   n_ctx, 1 << 24);
	/* learned positions (bert) end with their table */
	if (model->pos_embd.data != NULL && n_ctx > model->pos_embd.n_out)
		return LlmSetError(err, LLM_ERR_ARGUMENT,
						   "a context of %d tokens is larger than the %lld positions a %s model has learned",
						   n_ctx, (long long) model->pos_embd.n_out, model->arch_name);
	if (kv_type != LLM_TYPE_F32 && kv_type != LLM_TYPE_F16)
		return LlmSetError(err, LLM_ERR_ARGUMENT, "the KV cache can be F32 or F16, not %s",
						   LlmTypeGetTraits(kv_type)->name);
	if (n_seq < 1 || n_seq > LLM_MAX_SEQ)
		return LlmSetError(err, LLM_ERR_ARGUMENT, "%d sequences is out of range (1..%d)",
						   n_seq, LLM_MAX_SEQ);
	/* a chunk never holds more rows than all sequences have cells */
	if ((int64_t) n_batch > (int64_t) n_ctx * n_seq)
		n_batch = n_ctx * n_seq;

	ctx = calloc(1, sizeof(LlmContext));
	if (ctx == NULL)
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory creating a context");
	ctx->model = model;
	ctx->n_ctx = n_ctx;
	ctx->n_batch = n_batch;
	ctx->n_seq = n_seq;
	ctx->kv_type = kv_type;
	ctx->kv_elem = kv_type == LLM_TYPE_F16 ? sizeof(LlmHalf) : sizeof(float);
	ctx->rope_factors = RopeFactors(model, n_ctx);

	widest_in = hp->n_ff > hp->n_embd ? hp->n_ff : hp->n_embd;
	if ((int64_t) q_dim > widest_in)
		widest_in = q_dim;

	ctx->seq_past = calloc(n_seq, sizeof(int));
	ctx->k_cache = ContextAllocElems((size_t) hp->n_layer * n_seq, n_ctx, kv_dim, ctx->kv_elem);
	ctx->v_cache = ContextAllocElems((size_t) hp->n_layer * n_seq, n_ctx, kv_dim, ctx->kv_elem);
	ctx->x = ContextAllocFloats(n_batch, hp->n_embd, 1);
	ctx->xb = ContextAllocFloats(n_batch, hp->n_embd, 1);
	ctx->q = ContextAllocFloats(n_batch, q_dim, 1);
	ctx->k = ContextAllocFloats(n_batch, kv_dim, 1);
	ctx->v = ContextAllocFloats(n_batch, kv_dim, 1);
	ctx->att_out = ContextAllocFloats(n_batch, q_dim, 1);
	ctx->scores_per_thread = ScoresPerThread(n_ctx, n_batch < n_ctx ? n_batch : n_ctx);
	ctx->part_per_thread = (size_t) 64 * hp->head_dim;
	ctx->scores = ContextAllocFloats(ctx->scores_per_thread + ctx->part_per_thread, 1, 1);
	ctx->att_half_per_thread = AttHalfPerThread(ctx);
	ctx->att_half = ContextAllocElems(ctx->att_half_per_thread + 1, 1, 1, sizeof(LlmHalf));
	ctx->n_threads = 1;
	ctx->gate = ContextAllocFloats(n_batch, hp->n_ff, 1);
	ctx->up = ContextAllocFloats(n_batch, hp->n_ff, 1);
	ctx->act_scratch = malloc(LlmMatmulScratchSize(widest_in, n_batch));
	ctx->rows = calloc(n_batch, sizeof(LlmRow));
	ctx->blocks = calloc(n_batch, sizeof(LlmAttnBlock));
	ctx->out_rows = calloc(n_batch, sizeof(int));
	ctx->n_out = -1;
	if (!ctx->seq_past || !ctx->k_cache || !ctx->v_cache || !ctx->x || !ctx->xb ||
		!ctx->q || !ctx->k || !ctx->v || !ctx->att_out || !ctx->scores || !ctx->gate ||
		!ctx->up || !ctx->act_scratch || !ctx->rows || !ctx->blocks || !ctx->out_rows ||
		!ctx->att_half)
	{
		size_t		kv_mb = (2 * ctx->kv_elem * kv_dim * hp->n_layer * n_ctx >> 20) * n_seq;

		LlmContextFree(ctx);
		return LlmSetError(err, LLM_ERR_NOMEM,
						   "out of memory allocating a context of %d x %d tokens (KV cache %zu MB)",
						   n_seq, n_ctx, kv_mb);
	}
	*out = ctx;
	return LLM_OK;
}

void
LlmContextFree(LlmContext *ctx)
{
	if (ctx == NULL)
		return;
	free(ctx->seq_past);
	free(ctx->k_cache);
	free(ctx->v_cache);
	free(ctx->x);
	free(ctx->xb);
	free(ctx->q);
	free(ctx->k);
	free(ctx->v);
	free(ctx->att_out);
	free(ctx->scores);
	free(ctx->att_half);
	free(ctx->gate);
	free(ctx->up);
	free(ctx->act_scratch);
	free(ctx->rows);
	free(ctx->blocks);
	free(ctx->out_rows);
	LlmThreadPoolFree(ctx->pool);
	free(ctx);
}

LlmStatus
LlmContextSetThreads(LlmContext *ctx, int n_threads, LlmError *err)
{
	LlmThreadPool *pool = NULL;
	float	   *scores;
	void	   *att_half;
	LlmStatus	s;

	if (n_threads == ctx->n_threads)
		return LLM_OK;
	if (n_threads > 1)
	{
		s = LlmThreadPoolCreate(n_threads, &pool, err);
		if (s != LLM_OK)
			return s;
	}
	/* each thread scores its own attention heads */
	scores = ContextAllocFloats(n_threads, ctx->scores_per_thread + ctx->part_per_thread, 1);
	att_half = ContextAllocElems(n_threads, ctx->att_half_per_thread + 1, 1, sizeof(LlmHalf));
	if (scores == NULL || att_half == NULL)
	{
		free(scores);
		free(att_half);
		LlmThreadPoolFree(pool);
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory for %d threads", n_threads);
	}
	LlmThreadPoolFree(ctx->pool);
	free(ctx->scores);
	free(ctx->att_half);
	ctx->pool = pool;
	ctx->scores = scores;
	ctx->att_half = att_half;
	ctx->n_threads = n_threads;
	return LLM_OK;
}

void
LlmContextSetGgmlOrder(LlmContext *ctx, bool on)
{
	ctx->ggml_order = on;
}

void
LlmContextReset(LlmContext *ctx)
{
	memset(ctx->seq_past, 0, sizeof(int) * ctx->n_seq);
}

void
LlmContextTruncate(LlmContext *ctx, int n_keep)
{
	/* later positions are simply overwritten by the next decode */
	if (n_keep >= 0 && n_keep < ctx->seq_past[0])
		ctx->seq_past[0] = n_keep;
}
