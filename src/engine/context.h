/*-------------------------------------------------------------------------
 *
 * context.h
 *	  An inference session on a model: the KV cache of the tokens decoded so
 *	  far and the scratch buffers of the forward pass.  One context is used
 *	  by one thread at a time; many contexts can share one LlmModel.
 *
 * A context holds n_seq independent sequences (one unless created with
 * LlmContextCreateSeq), each with its own KV cells and position, so that
 * several answers can be decoded in one forward pass (LlmDecodeBatch): the
 * weights are streamed once per step for all of them.  The single-sequence
 * calls (LlmDecode, LlmContextReset, ...) work on sequence 0.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_CONTEXT_H
#define LLM_ENGINE_CONTEXT_H

#include "model.h"
#include "threadpool.h"

/* Polled between layers and tokens; return true to abandon the call. */
typedef bool (*LlmCancelFn) (void *arg);

/* Most sequences one context may hold. */
#define LLM_MAX_SEQ 4096

/*
 * One query row of a chunk: where its token goes and what it sees.  A row
 * of a plain sequence has cell == pos and sees cells [0, cell].  A row of
 * a branch (several short continuations of one prompt scored in one pass,
 * see LlmDecodeRows) has its own cells after the prompt's: it sees the
 * shared cells [0, prefix) and its branch's cells [branch, cell], and is
 * rotated for position pos, as if it followed the prompt directly.
 */
typedef struct LlmRow
{
	int			seq;
	int			pos;			/* rope position */
	int			cell;			/* KV cell its key and value go to */
	int			prefix;			/* cells [0, prefix) are visible */
	int			branch;			/* and cells [branch, cell]; prefix <=
								 * branch, both 0 for a plain row */
} LlmRow;

/*
 * A run of chunk rows of one sequence at consecutive positions, at most
 * 64 rows: the unit of attention work (see model/attention.c).
 */
typedef struct LlmAttnBlock
{
	int			seq;
	int			t0;				/* first chunk row */
	int			n;				/* rows */
	int			n_keys;			/* cells [0, n_keys) hold what they see */
} LlmAttnBlock;

typedef struct LlmContext
{
	const LlmModel *model;
	int			n_ctx;			/* KV cells per sequence */
	int			n_batch;		/* rows per forward chunk */
	int			n_seq;			/* sequences */
	int		   *seq_past;		/* [n_seq] tokens each sequence holds */

	/*
	 * Each sequence's cells are one contiguous slab per layer, laid out as
	 * in a single-sequence cache, so attention over a sequence is the same
	 * code whichever sequence it is, and copying or saving a prefix is a
	 * few memcpy per layer.
	 */
	LlmType		kv_type;		/* LLM_TYPE_F32 (as llama.cpp's references)
								 * or LLM_TYPE_F16 (half the memory) */
	size_t		kv_elem;		/* bytes of one cached element */
	void	   *k_cache;		/* [n_layer][n_seq][n_ctx][n_head_kv *
								 * head_dim] of kv_type */
	void	   *v_cache;		/* [n_layer][n_seq][n_head_kv *
								 * head_dim][n_ctx] (transposed) */
	void	   *att_half;		/* [n_threads][att_half_per_thread] F16
								 * operands of attention over an F16 cache */
	size_t		att_half_per_thread;	/* in halves */

	/* scratch for one chunk of up to n_batch tokens */
	float	   *x;				/* [n_batch][n_embd] residual stream */
	float	   *xb;				/* [n_batch][n_embd] normed input / output */
	float	   *q;				/* [n_batch][n_head * head_dim] */
	float	   *k;				/* [n_batch][n_head_kv * head_dim] */
	float	   *v;				/* [n_batch][n_head_kv * head_dim] */
	float	   *att_out;		/* [n_batch][n_head * head_dim] */
	float	   *scores;			/* [n_threads][scores_per_thread] attention
								 * scores of one head over a block of rows */
	size_t		scores_per_thread;	/* >= n_ctx */
	size_t		part_per_thread;	/* after each thread's scores: 64 rows of
									 * head_dim, a branch's share of S V */
	float	   *gate;			/* [n_batch][n_ff] */
	float	   *up;				/* [n_batch][n_ff] */
	void	   *act_scratch;	/* converted activations for LlmMatmul */
	LlmRow	   *rows;			/* [n_batch] sequence and position per row */
	const float *rope_factors;	/* longrope (Phi-3): the short or long
								 * factors this context's size selects, or
								 * NULL */
	bool		ggml_order;		/* F32 products in llama.cpp's order
								 * (model/ggml_order.h) */
	LlmAttnBlock *blocks;		/* [n_batch] attention blocks of a chunk */
	int			n_blocks;

	/*
	 * The chunk rows whose final state is read (ascending), or n_out < 0
	 * for all: the last layer computes only their outputs, once every
	 * row's key and value are stored (see LlmKeepOutputRows).
	 */
	int		   *out_rows;		/* [n_batch] */
	int			n_out;
	bool		compacted;		/* the last layer moved them to rows
								 * [0, n_out) */

	LlmThreadPool *pool;		/* NULL: single-threaded */
	int			n_threads;

	LlmCancelFn cancel;
	void	   *cancel_arg;
} LlmContext;

/* n_ctx <= 0 means the model's training context; n_batch <= 0 means 512. */
extern LlmStatus LlmContextCreate(const LlmModel *model, int n_ctx, int n_batch,
								  LlmContext **out, LlmError *err);

/*
 * A context of n_seq sequences of n_ctx cells each (n_ctx <= 0: the
 * model's training context), sharing the scratch of one chunk of n_batch
 * rows (<= 0: 512).  The KV cache takes n_seq times the memory.
 */
extern LlmStatus LlmContextCreateSeq(const LlmModel *model, int n_ctx, int n_batch,
									 int n_seq, LlmContext **out, LlmError *err);

/*
 * As LlmContextCreateSeq with the KV cache in kv_type: LLM_TYPE_F32, or
 * LLM_TYPE_F16 as llama.cpp's default cache (keys and values rounded to
 * half precision when stored; queries and attention weights converted to
 * half for the two products, as ggml does), which halves its memory.
 */
extern LlmStatus LlmContextCreateKv(const LlmModel *model, int n_ctx, int n_batch,
									int n_seq, LlmType kv_type, LlmContext **out,
									LlmError *err);
extern void LlmContextFree(LlmContext *ctx);

/*
 * Use n_threads threads (the caller's included) for the forward pass.  The
 * workers start here, once, not per token.
 */
extern LlmStatus LlmContextSetThreads(LlmContext *ctx, int n_threads, LlmError *err);

/*
 * Multiply F32 weights, attend over an F32 cache and apply SiLU in exactly
 * llama.cpp's order of float operations (model/ggml_order.h) instead of
 * the kernels': F32 models then give llama.cpp's logits bit for bit, more
 * slowly.  For checking parity; off by default.
 */
extern void LlmContextSetGgmlOrder(LlmContext *ctx, bool on);

/* Forget every cached token of every sequence. */
extern void LlmContextReset(LlmContext *ctx);

/* Forget sequence 0's tokens from position n_keep on (n_keep <= its past). */
extern void LlmContextTruncate(LlmContext *ctx, int n_keep);

/* Tokens sequence 0 holds. */
static inline int
LlmContextPast(const LlmContext *ctx)
{
	return ctx->seq_past[0];
}

/*
 * Run n_tokens more tokens of sequence 0 through the model, appending them
 * to its cache.
 * logits receives [n_tokens][n_vocab] floats when all_logits, else only the
 * last token's [n_vocab] (logits may be NULL to skip the output layer).
 * On error the cache keeps the chunks that completed.
 */
extern LlmStatus LlmDecode(LlmContext *ctx, const int32_t *tokens, int n_tokens,
						   float *logits, bool all_logits, LlmError *err);

/*
 * As LlmDecode, but hand back each token's final hidden state (after the
 * output norm, before the output matrix): [n_tokens][n_embd].
 */
extern LlmStatus LlmDecodeHidden(LlmContext *ctx, const int32_t *tokens,
								 int n_tokens, float *hidden, LlmError *err);

/* One token of a batch: which sequence it extends, and whether to score it. */
typedef struct LlmBatchToken
{
	int32_t		token;
	int			seq;
	bool		want_logits;
} LlmBatchToken;

/*
 * Decode n tokens of any sequences together: each token goes at its
 * sequence's next position at the time it is reached (a sequence's tokens
 * in order; sequences may interleave).  Rows go through every weight
 * matrix together, n_batch at a time; attention of a row sees only its own
 * sequence's cells up to its own position.  logits receives [n_wanted]
 * [n_vocab] floats, in item order, for the tokens that want them (may be
 * NULL if none do).  A sequence's logits are bit-identical to decoding it
 * alone with LlmDecode.  Nothing is decoded if an argument is invalid or a
 * sequence would overflow its cells; on cancel the completed chunks stay.
 */
extern LlmStatus LlmDecodeBatch(LlmContext *ctx, const LlmBatchToken *tokens, int n,
								float *logits, LlmError *err);

/*
 * Decode n rows placed by the caller (rows[i] says the sequence, rope
 * position, KV cell and visible cells of tokens[i]), n_batch at a time:
 * the engine's way of scoring several continuations of one prompt in a
 * single pass (scoring.c).  A row must see cells its sequence holds or
 * that rows before it write.  Sequence pasts are not changed.  out
 * receives, for the rows with want[i] (want may be NULL for none), their
 * logits [n_wanted][n_vocab], or with hidden their final hidden states
 * [n_wanted][n_embd].  Unlike a plain batch, a branch row's result
 * depends (in the last bits) on where its cells lie, because the masked
 * cells between the prefix and its branch are summed as zeros.
 */
extern LlmStatus LlmDecodeRows(LlmContext *ctx, const int32_t *tokens, const LlmRow *rows,
							   const bool *want, int n, bool hidden, float *out,
							   LlmError *err);

/*
 * Sequences of the KV cache (kv.c).  Functions taking an LlmError reject
 * an out-of-range sequence with LLM_ERR_ARGUMENT.
 */

/* Tokens sequence seq holds, or -1 if there is no such sequence. */
extern int	LlmSeqPast(const LlmContext *ctx, int seq);

/* Forget all of sequence seq's tokens. */
extern LlmStatus LlmSeqReset(LlmContext *ctx, int seq, LlmError *err);

/* Forget sequence seq's tokens from position n_keep on (0 <= n_keep <= past). */
extern LlmStatus LlmSeqTruncate(LlmContext *ctx, int seq, int n_keep, LlmError *err);

/*
 * Make dst hold the first n_tokens cells of src (n_tokens <= past of src):
 * a prompt prefix evaluated once can then be continued in several
 * sequences.  dst's other tokens are forgotten.
 */
extern LlmStatus LlmSeqCopy(LlmContext *ctx, int src, int dst, int n_tokens, LlmError *err);

/*
 * The KV cells of a sequence's first n_tokens tokens as a self-describing
 * byte buffer, so that a prefix cache can keep them outside any context
 * and load them into any sequence of a context of the same model.
 */
extern size_t LlmSeqStateSize(const LlmContext *ctx, int n_tokens);
extern LlmStatus LlmSeqStateSave(const LlmContext *ctx, int seq, int n_tokens,
								 void *buf, size_t size, LlmError *err);

/* Replace sequence seq's cells by a saved state: its past becomes the saved n_tokens. */
extern LlmStatus LlmSeqStateLoad(LlmContext *ctx, int seq, const void *buf, size_t size,
								 LlmError *err);

#endif							/* LLM_ENGINE_CONTEXT_H */
