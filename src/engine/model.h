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
	LLM_ARCH_QWEN3				/* Qwen3: per-head q/k RMS norms, neox rope */
} LlmArch;

typedef enum LlmRopeType
{
	LLM_ROPE_NORM,				/* rotate adjacent pairs (x[2i], x[2i+1]) */
	LLM_ROPE_NEOX				/* rotate halves (x[i], x[i + n_rot/2]) */
} LlmRopeType;

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
	float		rope_freq_scale;	/* 1 / linear scaling factor */
	float		rms_eps;
} LlmHParams;

typedef struct LlmLayer
{
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
	const float *ffn_norm;		/* [n_embd] */
	LlmWeight	w_gate;			/* [n_ff][n_embd] */
	LlmWeight	w_up;			/* [n_ff][n_embd] */
	LlmWeight	w_down;			/* [n_embd][n_ff] */
} LlmLayer;

struct LlmFamily;

typedef struct LlmModel
{
	GgufFile   *gguf;
	LlmArch		arch;
	char		arch_name[32];
	const struct LlmFamily *family; /* its forward pass (model/family.h) */
	LlmHParams	hp;
	LlmWeight	tok_embd;		/* [n_vocab][n_embd] */
	const float *output_norm;	/* [n_embd] */
	LlmWeight	output;			/* [n_vocab][n_embd]; tok_embd when tied */
	bool		tied_output;
	const float *rope_freqs;	/* [n_rot / 2] divisors of theta, or NULL */
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

/* Name of the most common weight type, e.g. "Q4_K" (for display). */
extern const char *LlmModelQuantName(const LlmModel *model);

#endif							/* LLM_ENGINE_MODEL_H */
