/*-------------------------------------------------------------------------
 *
 * cmd_synth.c
 *	  llm-cli synth: write a GGUF model with random weights but the real
 *	  shapes, metadata and quantization mix of a known model.
 *
 *	  llm-cli synth --shape NAME --type TYPE --out FILE [--seed N]
 *
 * Benchmarks and tests need models of realistic size without downloading
 * weights (llama, qwen2, qwen3, gemma3, phi3 and bert shapes).  What decides speed is the shape of every matrix and the type
 * it is stored in, so those follow the real model and the tensor types
 * follow llama-quantize's rules for the chosen file type
 * (llama_tensor_get_type in llama.cpp's src/llama-quant.cpp): a file
 * written here has the tensor types a real "llama-quantize MODEL Q4_K_M"
 * file of that model would have, and llama.cpp loads and runs it.
 *
 * The weights come from a deterministic generator seeded by --seed and the
 * tensor's name, so a given seed describes the same float model whatever
 * --type is chosen: a q8_0 and an f16 file of one seed differ only by
 * quantization.
 *
 * The tokenizer is a synthetic SentencePiece vocabulary of exactly
 * n_vocab tokens: the usual specials, the ChatML markers, 256 byte tokens,
 * every single character of plain English text, then letter combinations,
 * so ordinary text tokenizes into multi-character pieces without byte
 * fallback.
 *
 * Tensors are generated one row at a time straight into the buffer the
 * GGUF writer hands to the fill callback, so memory stays at one tensor
 * (the writer's buffer) plus one row of floats per thread: about 0.55 GB
 * for the largest file, llama3.2-1b f16, whose token_embd is 0.53 GB.
 *
 *-------------------------------------------------------------------------
 */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "gguf.h"
#include "kernels_ref.h"
#include "quant.h"

/* llama.cpp's LLAMA_FTYPE_* ids, stored as general.file_type */
#define SYNTH_FTYPE_F16		1
#define SYNTH_FTYPE_Q4_0	2
#define SYNTH_FTYPE_Q8_0	7
#define SYNTH_FTYPE_Q4_K_M	15

/* GGML_QNT_VERSION, which llama-quantize writes to every file */
#define SYNTH_QNT_VERSION	2

/* llama.cpp's llama_token_type values for tokenizer.ggml.token_type */
#define SYNTH_TOKEN_NORMAL	1
#define SYNTH_TOKEN_UNKNOWN	2
#define SYNTH_TOKEN_CONTROL 3
#define SYNTH_TOKEN_BYTE	6

/* Room for one vocabulary piece: "▁" (3 bytes) + 5 letters + NUL fits. */
#define SYNTH_PIECE_SIZE	16

/* UTF-8 of U+2581, SentencePiece's word-boundary mark */
#define SYNTH_SPACE_MARK	"\xe2\x96\x81"

#define SYNTH_TWO_PI		6.283185307179586

/*
 * Quantizing is what takes the time (the K-quant searches especially), so
 * big tensors are split over threads by rows; smaller ones are not worth
 * starting threads for.
 */
#define SYNTH_MAX_THREADS	16
#define SYNTH_THREAD_MIN_ELEMS (1 << 16)

/* splitmix64's increment per draw */
#define SYNTH_RNG_GAMMA		UINT64_C(0x9E3779B97F4A7C15)

/*
 * Standard deviations of the random values.  token_embd is small like a
 * trained embedding (GPT-2's initializer); other matrices use 1/sqrt(fan
 * in) so that activations keep unit scale through every layer and the
 * logits stay finite and moderate.
 */
#define SYNTH_EMBD_STD		0.02f
#define SYNTH_NORM_NOISE	0.05f
#define SYNTH_BIAS_STD		0.05f

/* How a shape's tensors are laid out: one per architecture family. */
typedef enum SynthLayout
{
	SYNTH_LLAMA,				/* llama, qwen2 (q/k/v biases), qwen3 (q/k
								 * norms) */
	SYNTH_GEMMA3,				/* q/k norms, norms after attention and FFN */
	SYNTH_PHI3,					/* fused attn_qkv and gate/up, longrope */
	SYNTH_BERT					/* an encoder: biases, LayerNorms, learned
								 * positions */
} SynthLayout;

typedef struct SynthShape
{
	const char *name;			/* --shape */
	const char *arch;			/* general.architecture */
	SynthLayout layout;
	int			n_embd;
	int			n_layer;
	int			n_head;
	int			n_head_kv;
	int			head_dim;
	int			n_ff;
	int			n_vocab;
	uint32_t	n_ctx_train;
	float		freq_base;
	float		norm_eps;		/* RMS norms' epsilon (bert: LayerNorm's) */
	bool		qkv_bias;		/* F32 blk.N.attn_{q,k,v}.bias */
	bool		qk_norm;		/* F32 blk.N.attn_{q,k}_norm.weight */
	int			n_rot;			/* rotated dimensions, 0: head_dim */

	/*
	 * Llama 3 rope scaling, stored as the rope_freqs.weight tensor; a
	 * factor of 0 means the model has none.
	 */
	float		rope_factor;
	float		rope_low_freq_factor;
	float		rope_high_freq_factor;
	float		rope_orig_ctx;

	int			n_swa;			/* gemma3's sliding window */

	/*
	 * Longrope (phi3): the context the factors extend; 0 means none.  The
	 * factors themselves are made up (they are not shapes): short ones near
	 * 1, long ones growing to the context's ratio.
	 */
	uint32_t	longrope_orig_ctx;
	int			pooling;		/* <arch>.pooling_type, -1: not written */
} SynthShape;

/*
 * From each model's config.json (HuggingFaceTB/SmolLM2-135M,
 * Qwen/Qwen2.5-0.5B, meta-llama/Llama-3.2-1B, Qwen/Qwen3-0.6B,
 * google/gemma-3-270m, google/gemma-3-1b-pt, microsoft/Phi-4-mini-instruct,
 * BAAI/bge-small-en-v1.5); every decoder here ties its output projection to
 * token_embd.
 */
static const SynthShape synth_shapes[] = {
	{.name = "smollm2-135m", .arch = "llama", .layout = SYNTH_LLAMA, .n_embd = 576, .n_layer = 30,
		.n_head = 9, .n_head_kv = 3, .head_dim = 64, .n_ff = 1536, .n_vocab = 49152,
	.n_ctx_train = 8192, .freq_base = 100000.0f, .norm_eps = 1e-5f, .pooling = -1},
	{.name = "qwen2.5-0.5b", .arch = "qwen2", .layout = SYNTH_LLAMA, .n_embd = 896, .n_layer = 24,
		.n_head = 14, .n_head_kv = 2, .head_dim = 64, .n_ff = 4864, .n_vocab = 151936,
		.n_ctx_train = 32768, .freq_base = 1000000.0f, .norm_eps = 1e-6f, .qkv_bias = true,
	.pooling = -1},
	{.name = "llama3.2-1b", .arch = "llama", .layout = SYNTH_LLAMA, .n_embd = 2048, .n_layer = 16,
		.n_head = 32, .n_head_kv = 8, .head_dim = 64, .n_ff = 8192, .n_vocab = 128256,
		.n_ctx_train = 131072, .freq_base = 500000.0f, .norm_eps = 1e-5f, .rope_factor = 32.0f,
		.rope_low_freq_factor = 1.0f, .rope_high_freq_factor = 4.0f, .rope_orig_ctx = 8192.0f,
	.pooling = -1},
	{.name = "qwen3-0.6b", .arch = "qwen3", .layout = SYNTH_LLAMA, .n_embd = 1024, .n_layer = 28,
		.n_head = 16, .n_head_kv = 8, .head_dim = 128, .n_ff = 3072, .n_vocab = 151936,
		.n_ctx_train = 40960, .freq_base = 1000000.0f, .norm_eps = 1e-6f, .qk_norm = true,
	.pooling = -1},
	{.name = "gemma3-270m", .arch = "gemma3", .layout = SYNTH_GEMMA3, .n_embd = 640, .n_layer = 18,
		.n_head = 4, .n_head_kv = 1, .head_dim = 256, .n_ff = 2048, .n_vocab = 262144,
		.n_ctx_train = 32768, .freq_base = 1000000.0f, .norm_eps = 1e-6f, .qk_norm = true,
	.n_swa = 512, .pooling = -1},
	{.name = "gemma3-1b", .arch = "gemma3", .layout = SYNTH_GEMMA3, .n_embd = 1152, .n_layer = 26,
		.n_head = 4, .n_head_kv = 1, .head_dim = 256, .n_ff = 6912, .n_vocab = 262144,
		.n_ctx_train = 32768, .freq_base = 1000000.0f, .norm_eps = 1e-6f, .qk_norm = true,
	.n_swa = 512, .pooling = -1},
	{.name = "phi4-mini", .arch = "phi3", .layout = SYNTH_PHI3, .n_embd = 3072, .n_layer = 32,
		.n_head = 24, .n_head_kv = 8, .head_dim = 128, .n_ff = 8192, .n_vocab = 200064,
		.n_ctx_train = 131072, .freq_base = 10000.0f, .norm_eps = 1e-5f, .n_rot = 96,
	.longrope_orig_ctx = 4096, .pooling = -1},
	{.name = "bge-small", .arch = "bert", .layout = SYNTH_BERT, .n_embd = 384, .n_layer = 12,
		.n_head = 12, .n_head_kv = 12, .head_dim = 32, .n_ff = 1536, .n_vocab = 30522,
	.n_ctx_train = 512, .norm_eps = 1e-12f, .pooling = 2},
};

typedef struct SynthQuant
{
	const char *name;			/* --type */
	uint32_t	ftype;			/* general.file_type */
	LlmType		base;			/* llama_ftype_get_default_type() */
	bool		k_mix;			/* Q4_K_M: more bits for some layers */
} SynthQuant;

static const SynthQuant synth_quants[] = {
	{"q8_0", SYNTH_FTYPE_Q8_0, LLM_TYPE_Q8_0, false},
	{"q4_0", SYNTH_FTYPE_Q4_0, LLM_TYPE_Q4_0, false},
	{"q4_k_m", SYNTH_FTYPE_Q4_K_M, LLM_TYPE_Q4_K, true},
	{"f16", SYNTH_FTYPE_F16, LLM_TYPE_F16, false},
};

/* What a tensor is, which decides both its type and its values. */
typedef enum SynthRole
{
	SYNTH_TOKEN_EMBD,			/* also the output projection (tied) */
	SYNTH_TOKEN_EMBD_ONLY,		/* an encoder's: the input's only */
	SYNTH_TABLE,				/* F32 position and token type embeddings */
	SYNTH_ROPE_SHORT,			/* longrope factors */
	SYNTH_ROPE_LONG,
	SYNTH_MATRIX,				/* attn_q/k/output, ffn_gate/up */
	SYNTH_ATTN_V,
	SYNTH_FFN_DOWN,
	SYNTH_NORM,
	SYNTH_BIAS,
	SYNTH_ROPE_FREQS
} SynthRole;

typedef struct SynthTensor
{
	char		name[64];
	SynthRole	role;
	LlmType		type;
	uint32_t	n_dims;
	uint64_t	ne[2];			/* ne[0] = row length; ne[1] = rows */
} SynthTensor;

/* The vocabulary, built into fixed-size slots of one arena. */
typedef struct SynthVocab
{
	int			n;
	int			cap;
	char	   *arena;			/* cap * SYNTH_PIECE_SIZE bytes */
	const char **tokens;
	float	   *scores;
	int32_t    *types;
} SynthVocab;

/* State of the fill callback. */
typedef struct SynthFill
{
	const SynthShape *shape;
	const SynthTensor *tensors;
	uint64_t	seed;
	int			n_threads;
	float	   *rows[SYNTH_MAX_THREADS];	/* one row of floats per thread */
	uint64_t	bytes_done;
	uint64_t	bytes_total;
	int			percent_shown;
	bool		show_progress;
} SynthFill;

/* One thread's share of a tensor: rows [row_begin, row_end). */
typedef struct SynthWork
{
	const SynthFill *fill;
	const SynthTensor *tensor;
	uint8_t    *dst;			/* the whole tensor */
	size_t		row_bytes;
	uint64_t	rng_base;
	uint64_t	row_begin;
	uint64_t	row_end;
	float	   *row;
	bool		ok;
} SynthWork;

/*
 * splitmix64: tiny, fast, and good enough for weights nobody trains.  Its
 * state only advances by a constant per draw, so the state at any point
 * of a tensor's stream is known without drawing what comes before; that
 * lets threads start at any row and still produce exactly the values of
 * one sequential pass, whatever the number of threads.
 */
typedef struct SynthRng
{
	uint64_t	state;
} SynthRng;

static uint64_t
SynthRngNext(SynthRng *rng)
{
	uint64_t	z = (rng->state += SYNTH_RNG_GAMMA);

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/*
 * The start of a tensor's stream, from --seed and the tensor's name
 * (FNV-1a), not its position, so that a tensor's values do not depend on
 * which other tensors exist or on the chosen types.
 */
static uint64_t
SynthRngBase(uint64_t seed, const char *name)
{
	uint64_t	h = UINT64_C(0xCBF29CE484222325);

	for (const unsigned char *p = (const unsigned char *) name; *p; p++)
		h = (h ^ *p) * UINT64_C(0x100000001B3);
	return seed * UINT64_C(0xD1B54A32D192ED03) ^ h;
}

/* Position rng at element index of the stream that starts at base. */
static void
SynthRngSeek(SynthRng *rng, uint64_t base, uint64_t index)
{
	rng->state = base + index * SYNTH_RNG_GAMMA;
}

/*
 * A standard-normal-ish value from one 64-bit draw: the sum of four
 * 16-bit uniforms (Irwin-Hall), centred and scaled to unit variance.
 * Its tails stop at +-3.46, which suits weights; Box-Muller would cost
 * a log and a sine per value for no benefit here.
 */
static float
SynthRngNormal(SynthRng *rng)
{
	uint64_t	r = SynthRngNext(rng);
	int32_t		sum = (int32_t) ((r & 0xFFFF) + ((r >> 16) & 0xFFFF) +
								 ((r >> 32) & 0xFFFF) + (r >> 48));

	/* each uniform is (u + 0.5) / 65536, so the sum's mean is 131070 */
	return (float) (sum - 131070) * (1.7320508f / 65536.0f);
}

/* The --shape and --type names, from the tables above. */
static const char *
SynthShapeName(int i)
{
	return i < (int) (sizeof(synth_shapes) / sizeof(synth_shapes[0])) ? synth_shapes[i].name : NULL;
}

static const char *
SynthQuantName(int i)
{
	return i < (int) (sizeof(synth_quants) / sizeof(synth_quants[0])) ? synth_quants[i].name : NULL;
}

static int
SynthBlockSize(LlmType type)
{
	return LlmTypeGetTraits((uint32_t) type)->block_size;
}

/* llama.cpp's use_more_bits(i_layer, n_layers) of llama_tensor_get_type */
static bool
SynthUseMoreBits(int layer, int n_layer)
{
	return layer < n_layer / 8 || layer >= 7 * n_layer / 8 ||
		(layer - n_layer / 8) % 3 == 2;
}

/*
 * The type llama-quantize gives a 2-D weight of this role, layer and row
 * length, for the file types offered here (no imatrix, no overrides).
 * The layer index equals llama.cpp's i_attention_wv / i_ffn_down counters
 * because its loader visits tensors sorted by layer.
 */
static LlmType
SynthWeightType(const SynthQuant *q, SynthRole role, int layer, int n_layer,
				int64_t ne0)
{
	LlmType		type = q->base;

	/* only a quantized target type is ever refined (F16 stays F16) */
	if (type == LLM_TYPE_F16)
		return type;

	if (role == SYNTH_TOKEN_EMBD_ONLY)
		;						/* not an output: the file type's own */
	else if (role == SYNTH_TOKEN_EMBD)
	{
		/*
		 * With tied embeddings token_embd doubles as the output tensor and
		 * gets the output's type: Q8_0 when the row does not fit the
		 * default type's blocks, else Q6_K unless the default is Q8_0.
		 */
		if (ne0 % SynthBlockSize(type) != 0)
			type = LLM_TYPE_Q8_0;
		else if (type != LLM_TYPE_Q8_0)
			type = LLM_TYPE_Q6_K;
	}
	else if (q->k_mix && (role == SYNTH_ATTN_V || role == SYNTH_FFN_DOWN) &&
			 SynthUseMoreBits(layer, n_layer))
		type = LLM_TYPE_Q6_K;

	/*
	 * tensor_type_fallback: a row that is not a whole number of 256-blocks
	 * (576, 896) takes the 32-block type of about the same size.
	 */
	if (ne0 % SynthBlockSize(type) != 0)
	{
		if (type == LLM_TYPE_Q4_K)
			type = LLM_TYPE_Q5_0;
		else if (type == LLM_TYPE_Q6_K)
			type = LLM_TYPE_Q8_0;
		if (ne0 % SynthBlockSize(type) != 0)
			type = LLM_TYPE_F16;
	}
	return type;
}

static void
SynthAddTensor(SynthTensor *tensors, int *n, const char *name, SynthRole role,
			   LlmType type, uint64_t ne0, uint64_t ne1)
{
	SynthTensor *t = &tensors[(*n)++];

	snprintf(t->name, sizeof(t->name), "%s", name);
	t->role = role;
	t->type = type;
	t->n_dims = ne1 > 0 ? 2 : 1;
	t->ne[0] = ne0;
	t->ne[1] = ne1 > 0 ? ne1 : 1;
}

/* An upper bound on the number of tensors of a shape. */
static int
SynthMaxTensors(const SynthShape *s)
{
	return 8 + s->n_layer * 20;
}

/* rotated dimensions per head */
static int
SynthRot(const SynthShape *s)
{
	return s->n_rot > 0 ? s->n_rot : s->head_dim;
}

/*
 * The tensor list in file order: rope_freqs (Llama 3) or longrope's
 * factors (phi3), token_embd (with bert's position and token type tables
 * and input norm), the layers, output_norm (not bert's).  There is no
 * output.weight: every decoder here ties it to token_embd.  Returns the
 * count; tensors must have room for SynthMaxTensors().
 */
static int
SynthBuildTensors(const SynthShape *s, const SynthQuant *q, SynthTensor *tensors)
{
	uint64_t	q_dim = (uint64_t) s->n_head * s->head_dim;
	uint64_t	kv_dim = (uint64_t) s->n_head_kv * s->head_dim;
	int			n = 0;
	char		name[64];

	if (s->rope_factor > 0.0f)
		SynthAddTensor(tensors, &n, "rope_freqs.weight", SYNTH_ROPE_FREQS,
					   LLM_TYPE_F32, SynthRot(s) / 2, 0);
	if (s->longrope_orig_ctx > 0)
	{
		SynthAddTensor(tensors, &n, "rope_factors_long.weight", SYNTH_ROPE_LONG,
					   LLM_TYPE_F32, SynthRot(s) / 2, 0);
		SynthAddTensor(tensors, &n, "rope_factors_short.weight", SYNTH_ROPE_SHORT,
					   LLM_TYPE_F32, SynthRot(s) / 2, 0);
	}
	if (s->layout == SYNTH_BERT)
	{
		SynthAddTensor(tensors, &n, "token_embd.weight", SYNTH_TOKEN_EMBD_ONLY,
					   SynthWeightType(q, SYNTH_TOKEN_EMBD_ONLY, 0, s->n_layer, s->n_embd),
					   s->n_embd, s->n_vocab);
		/* llama-quantize leaves the small tables in F32 */
		SynthAddTensor(tensors, &n, "token_types.weight", SYNTH_TABLE, LLM_TYPE_F32, s->n_embd, 2);
		SynthAddTensor(tensors, &n, "position_embd.weight", SYNTH_TABLE, LLM_TYPE_F32,
					   s->n_embd, s->n_ctx_train);
		SynthAddTensor(tensors, &n, "token_embd_norm.weight", SYNTH_NORM, LLM_TYPE_F32, s->n_embd, 0);
		SynthAddTensor(tensors, &n, "token_embd_norm.bias", SYNTH_BIAS, LLM_TYPE_F32, s->n_embd, 0);
	}
	else
		SynthAddTensor(tensors, &n, "token_embd.weight", SYNTH_TOKEN_EMBD,
					   SynthWeightType(q, SYNTH_TOKEN_EMBD, 0, s->n_layer, s->n_embd),
					   s->n_embd, s->n_vocab);

	for (int l = 0; l < s->n_layer; l++)
	{
#define SYNTH_W(suffix, role, ne0, ne1) \
	do { \
		snprintf(name, sizeof(name), "blk.%d.%s", l, suffix); \
		SynthAddTensor(tensors, &n, name, role, \
					   SynthWeightType(q, role, l, s->n_layer, ne0), ne0, ne1); \
	} while (0)
#define SYNTH_V(suffix, role, ne0) \
	do { \
		snprintf(name, sizeof(name), "blk.%d.%s", l, suffix); \
		SynthAddTensor(tensors, &n, name, role, LLM_TYPE_F32, ne0, 0); \
	} while (0)

		if (s->layout == SYNTH_BERT)
		{
			/* post-norm: the norms come after what they normalize */
			SYNTH_W("attn_q.weight", SYNTH_MATRIX, s->n_embd, q_dim);
			SYNTH_V("attn_q.bias", SYNTH_BIAS, q_dim);
			SYNTH_W("attn_k.weight", SYNTH_MATRIX, s->n_embd, kv_dim);
			SYNTH_V("attn_k.bias", SYNTH_BIAS, kv_dim);
			SYNTH_W("attn_v.weight", SYNTH_ATTN_V, s->n_embd, kv_dim);
			SYNTH_V("attn_v.bias", SYNTH_BIAS, kv_dim);
			SYNTH_W("attn_output.weight", SYNTH_MATRIX, q_dim, s->n_embd);
			SYNTH_V("attn_output.bias", SYNTH_BIAS, s->n_embd);
			SYNTH_V("attn_output_norm.weight", SYNTH_NORM, s->n_embd);
			SYNTH_V("attn_output_norm.bias", SYNTH_BIAS, s->n_embd);
			SYNTH_W("ffn_up.weight", SYNTH_MATRIX, s->n_embd, s->n_ff);
			SYNTH_V("ffn_up.bias", SYNTH_BIAS, s->n_ff);
			SYNTH_W("ffn_down.weight", SYNTH_FFN_DOWN, s->n_ff, s->n_embd);
			SYNTH_V("ffn_down.bias", SYNTH_BIAS, s->n_embd);
			SYNTH_V("layer_output_norm.weight", SYNTH_NORM, s->n_embd);
			SYNTH_V("layer_output_norm.bias", SYNTH_BIAS, s->n_embd);
			continue;
		}

		SYNTH_V("attn_norm.weight", SYNTH_NORM, s->n_embd);
		if (s->layout == SYNTH_PHI3)
		{
			/* the fused projection takes attn_v's types */
			SYNTH_W("attn_qkv.weight", SYNTH_ATTN_V, s->n_embd, q_dim + 2 * kv_dim);
		}
		else
		{
			SYNTH_W("attn_q.weight", SYNTH_MATRIX, s->n_embd, q_dim);
			if (s->qkv_bias)
				SYNTH_V("attn_q.bias", SYNTH_BIAS, q_dim);
			SYNTH_W("attn_k.weight", SYNTH_MATRIX, s->n_embd, kv_dim);
			if (s->qkv_bias)
				SYNTH_V("attn_k.bias", SYNTH_BIAS, kv_dim);
			SYNTH_W("attn_v.weight", SYNTH_ATTN_V, s->n_embd, kv_dim);
			if (s->qkv_bias)
				SYNTH_V("attn_v.bias", SYNTH_BIAS, kv_dim);
		}
		if (s->qk_norm)
		{
			SYNTH_V("attn_q_norm.weight", SYNTH_NORM, s->head_dim);
			SYNTH_V("attn_k_norm.weight", SYNTH_NORM, s->head_dim);
		}
		SYNTH_W("attn_output.weight", SYNTH_MATRIX, q_dim, s->n_embd);
		if (s->layout == SYNTH_GEMMA3)
			SYNTH_V("post_attention_norm.weight", SYNTH_NORM, s->n_embd);
		SYNTH_V("ffn_norm.weight", SYNTH_NORM, s->n_embd);
		if (s->layout == SYNTH_PHI3)
			SYNTH_W("ffn_up.weight", SYNTH_MATRIX, s->n_embd, 2 * (uint64_t) s->n_ff);
		else
		{
			SYNTH_W("ffn_gate.weight", SYNTH_MATRIX, s->n_embd, s->n_ff);
			SYNTH_W("ffn_up.weight", SYNTH_MATRIX, s->n_embd, s->n_ff);
		}
		SYNTH_W("ffn_down.weight", SYNTH_FFN_DOWN, s->n_ff, s->n_embd);
		if (s->layout == SYNTH_GEMMA3)
			SYNTH_V("post_ffw_norm.weight", SYNTH_NORM, s->n_embd);
#undef SYNTH_W
#undef SYNTH_V
	}

	if (s->layout != SYNTH_BERT)
		SynthAddTensor(tensors, &n, "output_norm.weight", SYNTH_NORM, LLM_TYPE_F32,
					   s->n_embd, 0);
	return n;
}

/*
 * Made-up longrope factors: the short ones near 1, the long ones growing
 * with the pair's wavelength up to the context's ratio, as real ones do.
 */
static void
SynthLongropeFactors(const SynthShape *s, bool is_long, float *out)
{
	int			half = SynthRot(s) / 2;
	float		ratio = (float) s->n_ctx_train / (float) s->longrope_orig_ctx;

	for (int i = 0; i < half; i++)
	{
		float		f = (float) i / (float) (half > 1 ? half - 1 : 1);

		out[i] = is_long ? 1.0f + (ratio - 1.0f) * f * f : 1.0f + 0.05f * f;
	}
}

/*
 * Llama 3 rope frequency factors, as convert_hf_to_gguf.py computes them
 * (in float32, like its torch arithmetic): 1 for wavelengths shorter than
 * orig_ctx / high_freq_factor, factor for those longer than orig_ctx /
 * low_freq_factor, and a smooth blend in between.
 */
static void
SynthRopeFactors(const SynthShape *s, float *out)
{
	int			head_dim = SynthRot(s);
	float		low_wavelen = s->rope_orig_ctx / s->rope_low_freq_factor;
	float		high_wavelen = s->rope_orig_ctx / s->rope_high_freq_factor;

	for (int i = 0; i < head_dim / 2; i++)
	{
		float		freq = 1.0f / powf(s->freq_base,
									   (float) (2 * i) / (float) head_dim);
		float		wavelen = (1.0f / freq) * (float) SYNTH_TWO_PI;

		if (wavelen < high_wavelen)
			out[i] = 1.0f;
		else if (wavelen > low_wavelen)
			out[i] = s->rope_factor;
		else
		{
			float		smooth = ((1.0f / wavelen) * s->rope_orig_ctx -
								  s->rope_low_freq_factor) /
				(s->rope_high_freq_factor - s->rope_low_freq_factor);

			out[i] = 1.0f / ((1.0f - smooth) / s->rope_factor + smooth);
		}
	}
}

static bool
SynthVocabAdd(SynthVocab *v, const char *piece, int32_t type)
{
	char	   *slot;

	if (v->n >= v->cap)
		return false;
	slot = v->arena + (size_t) v->n * SYNTH_PIECE_SIZE;
	snprintf(slot, SYNTH_PIECE_SIZE, "%s", piece);
	v->tokens[v->n] = slot;
	v->types[v->n] = type;
	v->n++;
	return true;
}

static void
SynthVocabAddChar(SynthVocab *v, char c)
{
	char		piece[2] = {c, '\0'};

	SynthVocabAdd(v, piece, SYNTH_TOKEN_NORMAL);
}

/*
 * Fill the vocabulary: specials, byte tokens, single characters, then
 * all lowercase strings of length 1, 2, 3, ... each also with a leading
 * "▁", until n_vocab tokens exist.  Scores fall with the id, so the SPM
 * merge prefers short pieces first and builds words left to right from
 * pairs and triples.
 */
static bool
SynthVocabBuild(SynthVocab *v, int n_vocab)
{
	static const char punct[] = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
	char		piece[SYNTH_PIECE_SIZE];
	int			first_normal;

	memset(v, 0, sizeof(*v));
	v->cap = n_vocab;
	v->arena = malloc((size_t) n_vocab * SYNTH_PIECE_SIZE);
	v->tokens = malloc(sizeof(const char *) * n_vocab);
	v->scores = malloc(sizeof(float) * n_vocab);
	v->types = malloc(sizeof(int32_t) * n_vocab);
	if (v->arena == NULL || v->tokens == NULL || v->scores == NULL ||
		v->types == NULL)
		return false;

	SynthVocabAdd(v, "<unk>", SYNTH_TOKEN_UNKNOWN);
	SynthVocabAdd(v, "<s>", SYNTH_TOKEN_CONTROL);
	SynthVocabAdd(v, "</s>", SYNTH_TOKEN_CONTROL);

	/*
	 * The shapes' real models (SmolLM2, Qwen2.5) chat in ChatML, whose
	 * markers are single control tokens: without them every prompt's
	 * template would be spelled out in a dozen pieces, and row benchmarks
	 * would pay for tokens a real model never sees.
	 */
	SynthVocabAdd(v, "<|im_start|>", SYNTH_TOKEN_CONTROL);
	SynthVocabAdd(v, "<|im_end|>", SYNTH_TOKEN_CONTROL);
	for (int b = 0; b < 256; b++)
	{
		snprintf(piece, sizeof(piece), "<0x%02X>", b);
		SynthVocabAdd(v, piece, SYNTH_TOKEN_BYTE);
	}
	first_normal = v->n;

	SynthVocabAdd(v, SYNTH_SPACE_MARK, SYNTH_TOKEN_NORMAL);
	for (int c = 'a'; c <= 'z'; c++)
		SynthVocabAddChar(v, (char) c);
	for (int c = 'A'; c <= 'Z'; c++)
		SynthVocabAddChar(v, (char) c);
	for (int c = '0'; c <= '9'; c++)
		SynthVocabAddChar(v, (char) c);
	for (const char *p = punct; *p; p++)
		SynthVocabAddChar(v, *p);

	/* capitalized word starts, then lowercase strings by length */
	for (int c = 'A'; c <= 'Z'; c++)
	{
		snprintf(piece, sizeof(piece), SYNTH_SPACE_MARK "%c", c);
		SynthVocabAdd(v, piece, SYNTH_TOKEN_NORMAL);
	}
	for (int len = 1; len <= 5 && v->n < v->cap; len++)
	{
		int64_t		count = 1;

		for (int i = 0; i < len; i++)
			count *= 26;
		for (int marked = 0; marked <= 1 && v->n < v->cap; marked++)
		{
			/* single lowercase letters exist already */
			if (len == 1 && !marked)
				continue;
			for (int64_t k = 0; k < count && v->n < v->cap; k++)
			{
				char	   *p = piece;
				int64_t		rest = k;

				if (marked)
				{
					memcpy(p, SYNTH_SPACE_MARK, 3);
					p += 3;
				}
				for (int i = len - 1; i >= 0; i--)
				{
					p[i] = (char) ('a' + rest % 26);
					rest /= 26;
				}
				p[len] = '\0';
				SynthVocabAdd(v, piece, SYNTH_TOKEN_NORMAL);
			}
		}
	}
	if (v->n != v->cap)
		return false;

	for (int i = 0; i < v->n; i++)
		v->scores[i] = i < first_normal ? 0.0f : (float) (first_normal - i);
	return true;
}

static void
SynthVocabFree(SynthVocab *v)
{
	free(v->arena);
	free(v->tokens);
	free(v->scores);
	free(v->types);
}

static const char *
SynthArchKey(char *buf, size_t size, const SynthShape *s, const char *suffix)
{
	snprintf(buf, size, "%s.%s", s->arch, suffix);
	return buf;
}

static void
SynthSetMetadata(GgufWriter *w, const SynthShape *s, const SynthQuant *q,
				 const SynthVocab *v)
{
	char		key[128];
	char		name[128];

	snprintf(name, sizeof(name), "synthetic %s %s", s->name, q->name);
	GgufWriterSetString(w, "general.architecture", s->arch);
	GgufWriterSetString(w, "general.name", name);
	GgufWriterSetU32(w, "general.file_type", q->ftype);
	GgufWriterSetU32(w, "general.quantization_version", SYNTH_QNT_VERSION);

	GgufWriterSetU32(w, SynthArchKey(key, sizeof(key), s, "context_length"),
					 s->n_ctx_train);
	GgufWriterSetU32(w, SynthArchKey(key, sizeof(key), s, "embedding_length"),
					 (uint32_t) s->n_embd);
	GgufWriterSetU32(w, SynthArchKey(key, sizeof(key), s, "block_count"),
					 (uint32_t) s->n_layer);
	GgufWriterSetU32(w, SynthArchKey(key, sizeof(key), s, "feed_forward_length"),
					 (uint32_t) s->n_ff);
	GgufWriterSetU32(w, SynthArchKey(key, sizeof(key), s, "attention.head_count"),
					 (uint32_t) s->n_head);
	GgufWriterSetU32(w, SynthArchKey(key, sizeof(key), s, "attention.head_count_kv"),
					 (uint32_t) s->n_head_kv);
	GgufWriterSetU32(w, SynthArchKey(key, sizeof(key), s, "vocab_size"),
					 (uint32_t) s->n_vocab);
	if (s->pooling >= 0)
		GgufWriterSetU32(w, SynthArchKey(key, sizeof(key), s, "pooling_type"),
						 (uint32_t) s->pooling);
	if (s->layout == SYNTH_BERT)
	{
		/* an encoder: LayerNorms, no rope */
		GgufWriterSetF32(w, SynthArchKey(key, sizeof(key), s, "attention.layer_norm_epsilon"),
						 s->norm_eps);
		GgufWriterSetBool(w, SynthArchKey(key, sizeof(key), s, "attention.causal"), false);
		GgufWriterSetU32(w, "tokenizer.ggml.token_type_count", 2);
	}
	else
	{
		GgufWriterSetF32(w, SynthArchKey(key, sizeof(key), s, "rope.freq_base"),
						 s->freq_base);
		GgufWriterSetF32(w, SynthArchKey(key, sizeof(key), s,
										 "attention.layer_norm_rms_epsilon"),
						 s->norm_eps);
		GgufWriterSetU32(w, SynthArchKey(key, sizeof(key), s, "rope.dimension_count"),
						 (uint32_t) SynthRot(s));
	}
	/* a head size other than n_embd / n_head is written out */
	if (s->head_dim != s->n_embd / s->n_head)
	{
		GgufWriterSetU32(w, SynthArchKey(key, sizeof(key), s, "attention.key_length"),
						 (uint32_t) s->head_dim);
		GgufWriterSetU32(w, SynthArchKey(key, sizeof(key), s, "attention.value_length"),
						 (uint32_t) s->head_dim);
	}
	if (s->n_swa > 0)
		GgufWriterSetU32(w, SynthArchKey(key, sizeof(key), s, "attention.sliding_window"),
						 (uint32_t) s->n_swa);
	if (s->longrope_orig_ctx > 0)
	{
		/* convert_hf_to_gguf.py's attention factor of longrope */
		double		scale = (double) s->n_ctx_train / s->longrope_orig_ctx;

		GgufWriterSetU32(w, SynthArchKey(key, sizeof(key), s,
										 "rope.scaling.original_context_length"),
						 s->longrope_orig_ctx);
		GgufWriterSetF32(w, SynthArchKey(key, sizeof(key), s, "rope.scaling.attn_factor"),
						 (float) sqrt(1 + log(scale) / log((double) s->longrope_orig_ctx)));
	}

	GgufWriterSetString(w, "tokenizer.ggml.model", "llama");
	GgufWriterSetStringArray(w, "tokenizer.ggml.tokens", v->tokens,
							 (uint64_t) v->n);
	GgufWriterSetF32Array(w, "tokenizer.ggml.scores", v->scores,
						  (uint64_t) v->n);
	GgufWriterSetI32Array(w, "tokenizer.ggml.token_type", v->types,
						  (uint64_t) v->n);
	GgufWriterSetU32(w, "tokenizer.ggml.bos_token_id", 1);
	GgufWriterSetU32(w, "tokenizer.ggml.eos_token_id", 2);
	GgufWriterSetU32(w, "tokenizer.ggml.unknown_token_id", 0);
	GgufWriterSetBool(w, "tokenizer.ggml.add_bos_token", true);
	GgufWriterSetBool(w, "tokenizer.ggml.add_eos_token", false);
}

/* Mean and standard deviation of a role's values. */
static void
SynthRoleScale(const SynthTensor *t, float *mean, float *std)
{
	*mean = 0.0f;
	switch (t->role)
	{
		case SYNTH_TOKEN_EMBD:
		case SYNTH_TOKEN_EMBD_ONLY:
		case SYNTH_TABLE:
			*std = SYNTH_EMBD_STD;
			break;
		case SYNTH_NORM:
			*mean = 1.0f;
			*std = SYNTH_NORM_NOISE;
			break;
		case SYNTH_BIAS:
			*std = SYNTH_BIAS_STD;
			break;
		default:
			*std = 1.0f / sqrtf((float) t->ne[0]);
			break;
	}
}

/* Generate and quantize one thread's rows; a pthread start routine. */
static void *
SynthFillRows(void *arg)
{
	SynthWork  *wk = arg;
	const SynthTensor *t = wk->tensor;
	SynthRng	rng;
	float		mean;
	float		std;

	SynthRoleScale(t, &mean, &std);
	SynthRngSeek(&rng, wk->rng_base, wk->row_begin * t->ne[0]);
	wk->ok = true;
	for (uint64_t r = wk->row_begin; r < wk->row_end; r++)
	{
		if (t->role == SYNTH_ROPE_FREQS)
			SynthRopeFactors(wk->fill->shape, wk->row);
		else if (t->role == SYNTH_ROPE_SHORT || t->role == SYNTH_ROPE_LONG)
			SynthLongropeFactors(wk->fill->shape, t->role == SYNTH_ROPE_LONG, wk->row);
		else
		{
			for (uint64_t i = 0; i < t->ne[0]; i++)
				wk->row[i] = mean + std * SynthRngNormal(&rng);
		}
		if (!LlmQuantizeWeights(t->type, wk->row, wk->dst + r * wk->row_bytes,
								(int64_t) t->ne[0]))
		{
			wk->ok = false;
			break;
		}
	}
	return NULL;
}

static LlmStatus
SynthFillTensor(void *arg, uint64_t index, void *dst, size_t nbytes,
				LlmError *err)
{
	SynthFill  *f = arg;
	const SynthTensor *t = &f->tensors[index];
	size_t		row_bytes = LlmTypeRowSize(t->type, (int64_t) t->ne[0]);
	SynthWork	work[SYNTH_MAX_THREADS];
	pthread_t	threads[SYNTH_MAX_THREADS];
	bool		started[SYNTH_MAX_THREADS] = {false};
	int			n_work = 1;
	uint64_t	rng_base = SynthRngBase(f->seed, t->name);
	bool		ok = true;

	if (row_bytes == 0 || row_bytes * t->ne[1] != nbytes)
		return LlmSetError(err, LLM_ERR_ARGUMENT,
						   "synth: tensor %s: the writer asks for %zu bytes, expected %zu",
						   t->name, nbytes, row_bytes * (size_t) t->ne[1]);

	if (t->ne[0] * t->ne[1] >= SYNTH_THREAD_MIN_ELEMS)
		n_work = (uint64_t) f->n_threads < t->ne[1] ? f->n_threads : (int) t->ne[1];
	for (int i = 0; i < n_work; i++)
	{
		work[i].fill = f;
		work[i].tensor = t;
		work[i].dst = dst;
		work[i].row_bytes = row_bytes;
		work[i].rng_base = rng_base;
		work[i].row_begin = t->ne[1] * i / n_work;
		work[i].row_end = t->ne[1] * (i + 1) / n_work;
		work[i].row = f->rows[i];
		work[i].ok = false;
	}

	/* a thread that cannot be started has its rows done here instead */
	for (int i = 1; i < n_work; i++)
		started[i] = pthread_create(&threads[i], NULL, SynthFillRows, &work[i]) == 0;
	SynthFillRows(&work[0]);
	for (int i = 1; i < n_work; i++)
	{
		if (started[i])
			pthread_join(threads[i], NULL);
		else
			SynthFillRows(&work[i]);
	}
	for (int i = 0; i < n_work; i++)
		ok = ok && work[i].ok;
	if (!ok)
		return LlmSetError(err, LLM_ERR_UNSUPPORTED,
						   "synth: cannot quantize tensor %s to %s",
						   t->name, LlmTypeGetTraits(t->type)->name);

	f->bytes_done += nbytes;
	if (f->show_progress && f->bytes_total > 0)
	{
		int			percent = (int) (100 * f->bytes_done / f->bytes_total);

		if (percent / 10 > f->percent_shown / 10)
		{
			fprintf(stderr, "\rsynth: %3d%%", percent);
			fflush(stderr);
			f->percent_shown = percent;
		}
	}
	return LLM_OK;
}

/* Online processors, at least 1 and at most SYNTH_MAX_THREADS. */
static int
SynthThreadCount(void)
{
	long		n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n < SYNTH_MAX_THREADS ? (int) n : SYNTH_MAX_THREADS;
}

/* "Q4_K x120, Q5_0 x60, ..." of the weight types, for the start line */
static void
SynthDescribeTypes(const SynthTensor *tensors, int n, char *buf, size_t size)
{
	int			counts[LLM_TYPE_COUNT] = {0};
	size_t		len = 0;

	buf[0] = '\0';
	for (int i = 0; i < n; i++)
		counts[tensors[i].type]++;
	for (int type = 0; type < LLM_TYPE_COUNT && len < size; type++)
	{
		if (counts[type] == 0)
			continue;
		len += (size_t) snprintf(buf + len, size - len, "%s%s x%d",
								 len ? ", " : "",
								 LlmTypeGetTraits((uint32_t) type)->name,
								 counts[type]);
	}
}

static int
CliSynth(const CliArgs *args)
{
	const SynthShape *shape;
	const SynthQuant *quant;
	const char *out = CliGet(args, "--out");
	uint64_t	seed;
	SynthTensor *tensors = NULL;
	SynthVocab	vocab;
	SynthFill	fill;
	GgufWriter *w = NULL;
	LlmError	err = {LLM_OK, ""};
	LlmStatus	status;
	size_t		max_row = 0;
	int			n_tensors;
	int			rc = 1;
	char		types[256];
	struct stat st;
	double		t0;
	int			shape_index;
	int			quant_index;

	if (!CliGetChoice(args, "--shape", 0, &shape_index) ||
		!CliGetChoice(args, "--type", 0, &quant_index) ||
		!CliGetU64(args, "--seed", 1, &seed))
		return 2;
	shape = &synth_shapes[shape_index];
	quant = &synth_quants[quant_index];

	t0 = CliNow();
	memset(&vocab, 0, sizeof(vocab));
	memset(&fill, 0, sizeof(fill));
	tensors = calloc((size_t) SynthMaxTensors(shape), sizeof(SynthTensor));
	if (tensors == NULL)
	{
		LlmSetError(&err, LLM_ERR_NOMEM, "out of memory");
		goto done;
	}
	n_tensors = SynthBuildTensors(shape, quant, tensors);
	if (!SynthVocabBuild(&vocab, shape->n_vocab))
	{
		LlmSetError(&err, LLM_ERR_NOMEM,
					"synth: cannot build a vocabulary of %d tokens", shape->n_vocab);
		goto done;
	}

	w = GgufWriterCreate();
	if (w == NULL)
	{
		LlmSetError(&err, LLM_ERR_NOMEM, "out of memory");
		goto done;
	}
	SynthSetMetadata(w, shape, quant, &vocab);
	for (int i = 0; i < n_tensors; i++)
	{
		const SynthTensor *t = &tensors[i];

		GgufWriterAddTensor(w, t->name, (uint32_t) t->type, t->n_dims, t->ne);
		fill.bytes_total += LlmTypeRowSize(t->type, (int64_t) t->ne[0]) * t->ne[1];
		if (t->ne[0] > max_row)
			max_row = (size_t) t->ne[0];
	}

	fill.shape = shape;
	fill.tensors = tensors;
	fill.seed = seed;
	fill.show_progress = isatty(STDERR_FILENO);
	fill.n_threads = SynthThreadCount();
	for (int i = 0; i < fill.n_threads; i++)
	{
		fill.rows[i] = malloc(max_row * sizeof(float));
		if (fill.rows[i] == NULL)
		{
			LlmSetError(&err, LLM_ERR_NOMEM, "out of memory");
			goto done;
		}
	}

	SynthDescribeTypes(tensors, n_tensors, types, sizeof(types));
	fprintf(stderr, "synth: %s %s seed %" PRIu64 ": %d tensors (%s), %.2f GB of weights\n",
			shape->name, quant->name, seed, n_tensors, types,
			(double) fill.bytes_total / 1e9);

	status = GgufWriterWrite(w, out, SynthFillTensor, &fill, &err);
	if (fill.show_progress)
		fprintf(stderr, "\n");
	if (status != LLM_OK)
		goto done;

	if (stat(out, &st) != 0)
		st.st_size = (off_t) fill.bytes_total;
	fprintf(stderr, "synth: %.1f s\n", CliNow() - t0);
	printf("wrote %s: %d tensors, %.2f GB, %s\n", out, n_tensors,
		   (double) st.st_size / 1e9, quant->name);
	rc = 0;

done:
	if (rc != 0)
		rc = CliFail(&err);
	GgufWriterFree(w);
	for (int i = 0; i < SYNTH_MAX_THREADS; i++)
		free(fill.rows[i]);
	SynthVocabFree(&vocab);
	free(tensors);
	return rc;
}

static const CliOption synth_options[] = {
	{"--shape", "NAME", "the real model whose shapes and metadata to copy", true, SynthShapeName},
	{"--type", "TYPE", "file type: the tensor types llama-quantize would choose", true, SynthQuantName},
	{"--out", "FILE", "the GGUF file to write", true, NULL},
	{"--seed", "N", "seed of the weights, 0 to 2^64-1 (default 1)", false, NULL},
	{NULL}
};

const CliCommand cli_synth = {
	"synth", "", 0,
	"write a model with random weights but the shapes, metadata and tensor types of a real one",
	synth_options, false, CliSynth
};
