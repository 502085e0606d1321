/*-------------------------------------------------------------------------
 *
 * model.h
 *	  A loaded model: hyperparameters from the GGUF metadata and views of its
 *	  weight tensors.  Immutable after LlmModelLoad, so many contexts (and
 *	  threads) may share one.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_MODEL_H
#define LLM_ENGINE_MODEL_H

#include "error.h"
#include "gguf.h"
#include "quant.h"
#include "tokenizer/vocab.h"

typedef enum LlmArch
{
	LLM_ARCH_LLAMA,				/* Llama 2/3, SmolLM2, TinyLlama, stories */
	LLM_ARCH_QWEN2,				/* Qwen2/2.5: q/k/v biases, neox rope */
	LLM_ARCH_QWEN3,				/* Qwen3: per-head q/k RMS norms, neox rope */
	LLM_ARCH_GEMMA3,			/* Gemma 3: sandwich norms, GELU, local and
								 * global layers */
	LLM_ARCH_PHI3,				/* Phi-3/Phi-4-mini: fused projections,
								 * longrope */
	LLM_ARCH_BERT				/* BERT encoders (bge, MiniLM): embeddings
								 * only */
} LlmArch;

/* What a model is for, as the SQL layer offers it. */
typedef enum LlmModelKind
{
	LLM_KIND_GENERATIVE,		/* a decoder: generation, scoring, and
								 * embeddings by pooling its hidden states */
	LLM_KIND_EMBEDDING			/* an encoder (no generation), or a decoder
								 * whose file declares a pooling type
								 * (Qwen3-Embedding): made to embed */
} LlmModelKind;

/*
 * How an embedding is pooled from the per-token hidden states; the values
 * are llama.cpp's LLAMA_POOLING_TYPE_*, as <arch>.pooling_type stores them.
 */
typedef enum LlmPooling
{
	LLM_POOLING_NONE = 0,		/* no single vector: one per token */
	LLM_POOLING_MEAN = 1,		/* the mean over the tokens */
	LLM_POOLING_CLS = 2,		/* the first token's */
	LLM_POOLING_LAST = 3		/* the last token's */
} LlmPooling;

typedef enum LlmRopeType
{
	LLM_ROPE_NORM,				/* rotate adjacent pairs (x[2i], x[2i+1]) */
	LLM_ROPE_NEOX				/* rotate halves (x[i], x[i + n_rot/2]) */
} LlmRopeType;

/*
 * How positions are rotated in one layer, in ggml_rope_ext's terms: the
 * angle of pair i at position p is p * base^(-2i/n_rot) / factor_i, then
 * scaled by freq_scale (linear scaling) and, with YaRN (ext_factor != 0),
 * blended back towards the unscaled angle for the fast-turning pairs
 * between corr_dims[0] and corr_dims[1]; cos and sin are multiplied by
 * attn_factor (and YaRN's own magnitude correction).
 */
typedef struct LlmRopeParams
{
	LlmRopeType type;
	int			n_rot;			/* rotated dimensions per head */
	float		freq_base;
	float		freq_scale;		/* 1 / scaling factor */
	float		ext_factor;		/* YaRN's extrapolation mix, 0 = none */
	float		attn_factor;	/* multiplies cos and sin */
	float		corr_dims[2];	/* YaRN's ramp, in rotated pairs */
} LlmRopeParams;

/* A weight matrix of n_out rows, each n_in elements of one type. */
typedef struct LlmWeight
{
	const void *data;			/* in the file mapping */
	LlmType		type;
	int64_t		n_in;			/* GGUF ne[0] */
	int64_t		n_out;			/* GGUF ne[1] */
	size_t		row_bytes;
} LlmWeight;

typedef struct LlmHParams
{
	int			n_vocab;
	int			n_embd;
	int			n_layer;
	int			n_head;
	int			n_head_kv;
	int			head_dim;
	int			n_ff;
	int			n_ctx_train;
	int			n_rot;			/* rotated dimensions per head */
	LlmRopeType rope_type;
	float		rope_freq_base;
	float		rope_freq_scale;	/* 1 / linear or YaRN scaling factor */
	char		rope_scaling[16];	/* the file's rope.scaling.type, "none"
									 * if it has none */
	int			n_ctx_orig;		/* context the rope scaling extends (YaRN,
								 * longrope) */
	float		yarn_ext_factor;	/* 1 with YaRN, else 0 */
	float		yarn_attn_factor;	/* multiplies every layer's cos and sin */
	float		yarn_beta_fast; /* YaRN's ramp ends, in rotations */
	float		yarn_beta_slow;
	float		rms_eps;		/* RMS norms */
	float		norm_eps;		/* LayerNorms (bert) */
	float		kq_scale;		/* attention scores are q.k * kq_scale */
	bool		causal;			/* false: every token sees its whole
								 * sequence (an encoder) */
	int			n_swa;			/* sliding window of the local layers, 0 if
								 * none */
	float		final_logit_softcap;	/* logits = cap * tanh(logits / cap),
										 * 0 if none */
	LlmPooling	pooling;		/* how embeddings are pooled */
} LlmHParams;

typedef struct LlmLayer
{
	/* attention */
	const float *attn_norm;		/* [n_embd] */
	LlmWeight	wq;				/* [n_head * head_dim][n_embd] */
	LlmWeight	wk;				/* [n_head_kv * head_dim][n_embd] */
	LlmWeight	wv;				/* [n_head_kv * head_dim][n_embd] */
	const float *bq;			/* [n_head * head_dim] or NULL */
	const float *bk;			/* [n_head_kv * head_dim] or NULL */
	const float *bv;			/* [n_head_kv * head_dim] or NULL */
	const float *q_norm;		/* [head_dim] RMS norm of each query head, or NULL */
	const float *k_norm;		/* [head_dim] RMS norm of each key head, or NULL */
	LlmWeight	wo;				/* [n_embd][n_head * head_dim] */
	const float *bo;			/* [n_embd] or NULL */
	const float *attn_post_norm;	/* [n_embd] norm of the attention output
									 * (gemma3, bert), or NULL */
	const float *attn_post_norm_b;	/* [n_embd] its bias (bert), or NULL */

	/* feed-forward */
	const float *ffn_norm;		/* [n_embd], NULL for bert (post-norm) */
	LlmWeight	w_gate;			/* [n_ff][n_embd]; no data for bert */
	LlmWeight	w_up;			/* [n_ff][n_embd] */
	LlmWeight	w_down;			/* [n_embd][n_ff] */
	const float *b_up;			/* [n_ff] or NULL */
	const float *b_down;		/* [n_embd] or NULL */
	const float *ffn_post_norm; /* [n_embd] norm of the FFN output, or NULL */
	const float *ffn_post_norm_b;	/* [n_embd] its bias (bert), or NULL */

	LlmRopeParams rope;			/* this layer's rotation */
	int			n_swa;			/* its sliding window, 0 = global */
} LlmLayer;

struct LlmFamily;

typedef struct LlmModel
{
	GgufFile   *gguf;
	LlmArch		arch;
	char		arch_name[32];
	const struct LlmFamily *family; /* its forward pass (model/family.h) */
	LlmModelKind kind;
	LlmHParams	hp;
	LlmWeight	tok_embd;		/* [n_vocab][n_embd] */
	LlmWeight	type_embd;		/* [n_types][n_embd] token types (bert) */
	LlmWeight	pos_embd;		/* [n_ctx_train][n_embd] positions (bert) */
	const float *tok_norm;		/* [n_embd] LayerNorm of the input (bert) */
	const float *tok_norm_b;
	const float *output_norm;	/* [n_embd]; NULL for bert */
	LlmWeight	output;			/* [n_vocab][n_embd]; tok_embd when tied */
	bool		tied_output;
	const float *rope_freqs;	/* [n_rot / 2] divisors of theta, or NULL */
	const float *rope_short;	/* [n_rot / 2] longrope factors for contexts
								 * within n_ctx_orig, or NULL */
	const float *rope_long;		/* and for longer contexts */
	LlmLayer   *layers;			/* [n_layer] */
	LlmVocab   *vocab;
	uint64_t	n_params;
} LlmModel;

extern LlmStatus LlmModelLoad(const char *path, LlmModel **out, LlmError *err);

/* Build a model from an already opened file; takes ownership of gguf. */
extern LlmStatus LlmModelFromGguf(GgufFile *gguf, LlmModel **out, LlmError *err);

/*
 * A model over a whole GGUF file already in memory (a shared-memory copy),
 * with the vocabulary tables taken from an image LlmVocabImageWrite made of
 * the same file's vocabulary.  Nothing is copied: file and image must
 * outlive the model.  This is how a backend attaches to a shared model.
 */
extern LlmStatus LlmModelAttach(const void *file, size_t file_size,
								const void *vocab_image, size_t vocab_size,
								LlmModel **out, LlmError *err);

extern void LlmModelFree(LlmModel *model);

/* "generative" or "embedding" */
extern const char *LlmModelKindName(LlmModelKind kind);

/* "none", "mean", "cls" or "last" */
extern const char *LlmPoolingName(LlmPooling pooling);

/* Name of the most common weight type, e.g. "Q4_K" (for display). */
extern const char *LlmModelQuantName(const LlmModel *model);

#endif							/* LLM_ENGINE_MODEL_H */
