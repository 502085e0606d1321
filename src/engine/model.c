/*-------------------------------------------------------------------------
 *
 * model.c
 *	  Building an LlmModel from a GGUF file: hyperparameters from metadata,
 *	  weights as views of the mapped tensors, every shape and type checked
 *	  so that the forward pass can trust them.
 *
 * What all architectures share is read here (sizes, rope and its scaling,
 * pooling); each family's file loads its own tensors and settings
 * (LlmFamily.load), with the helpers of model/loader.h.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "model/family.h"
#include "model/loader.h"

/* Architectures this engine runs, and the family whose forward pass each uses. */
static const struct
{
	const char *name;			/* general.architecture */
	LlmArch		arch;
	const LlmFamily *family;
}			model_archs[] = {
	{"llama", LLM_ARCH_LLAMA, &LlmFamilyLlama},
	{"qwen2", LLM_ARCH_QWEN2, &LlmFamilyLlama},
	{"qwen3", LLM_ARCH_QWEN3, &LlmFamilyLlama},
	{"gemma3", LLM_ARCH_GEMMA3, &LlmFamilyGemma3},
	{"phi3", LLM_ARCH_PHI3, &LlmFamilyPhi3},
	{"bert", LLM_ARCH_BERT, &LlmFamilyBert},
};

#define MODEL_ARCH_LIST "llama, qwen2, qwen3, gemma3, phi3, bert"

const char *
LlmLoaderKey(LlmLoader *ld, const char *suffix)
{
	snprintf(ld->key, sizeof(ld->key), "%s.%s", ld->m->arch_name, suffix);
	return ld->key;
}

const char *
LlmLoaderLayerName(LlmLoader *ld, int layer, const char *suffix)
{
	snprintf(ld->name, sizeof(ld->name), "blk.%d.%s", layer, suffix);
	return ld->name;
}

LlmStatus
LlmLoadInt(LlmLoader *ld, const char *suffix, int min, int max, int *out)
{
	int64_t		v;
	const char *key = LlmLoaderKey(ld, suffix);

	if (!GgufGetI64(ld->m->gguf, key, &v))
		return LlmSetError(ld->err, LLM_ERR_FORMAT, "metadata key %s is missing or not an integer", key);
	if (v < min || v > max)
		return LlmSetError(ld->err, LLM_ERR_FORMAT, "metadata key %s = %lld is out of range (%d..%d)",
						   key, (long long) v, min, max);
	*out = (int) v;
	return LLM_OK;
}

LlmStatus
LlmLoadIntOr(LlmLoader *ld, const char *suffix, int min, int max, int dflt, int *out)
{
	if (GgufFind(ld->m->gguf, LlmLoaderKey(ld, suffix)) == NULL)
	{
		*out = dflt;
		return LLM_OK;
	}
	return LlmLoadInt(ld, suffix, min, max, out);
}

LlmStatus
LlmLoadFloatOr(LlmLoader *ld, const char *suffix, float dflt, float *out)
{
	const char *key = LlmLoaderKey(ld, suffix);

	if (GgufFind(ld->m->gguf, key) == NULL)
	{
		*out = dflt;
		return LLM_OK;
	}
	if (!GgufGetF32(ld->m->gguf, key, out))
		return LlmSetError(ld->err, LLM_ERR_FORMAT, "metadata key %s is not a number", key);
	return LLM_OK;
}

LlmStatus
LlmLoadBoolOr(LlmLoader *ld, const char *suffix, bool dflt, bool *out)
{
	const char *key = LlmLoaderKey(ld, suffix);

	if (GgufFind(ld->m->gguf, key) == NULL)
	{
		*out = dflt;
		return LLM_OK;
	}
	if (!GgufGetBool(ld->m->gguf, key, out))
		return LlmSetError(ld->err, LLM_ERR_FORMAT, "metadata key %s is not a boolean", key);
	return LLM_OK;
}

/* Look a tensor up and check its shape; NULL (no error) if optional and absent. */
static const GgufTensor *
FindTensor(LlmLoader *ld, const char *name, int64_t ne0, int64_t ne1,
		   bool required, LlmStatus *status)
{
	const GgufTensor *t = GgufFindTensor(ld->m->gguf, name);
	int64_t		want[2] = {ne0, ne1};
	uint32_t	want_dims = ne1 > 0 ? 2 : 1;

	*status = LLM_OK;
	if (t == NULL)
	{
		if (required)
			*status = LlmSetError(ld->err, LLM_ERR_FORMAT, "tensor %s is missing", name);
		return NULL;
	}
	for (uint32_t d = 0; d < GGUF_MAX_DIMS; d++)
	{
		uint64_t	expect = d < want_dims ? (uint64_t) want[d] : 1;

		if (t->ne[d] != expect)
		{
			*status = LlmSetError(ld->err, LLM_ERR_FORMAT,
								  "tensor %s has shape [%llu, %llu, %llu, %llu], expected [%lld, %lld]",
								  name, (unsigned long long) t->ne[0], (unsigned long long) t->ne[1],
								  (unsigned long long) t->ne[2], (unsigned long long) t->ne[3],
								  (long long) ne0, (long long) (ne1 > 0 ? ne1 : 1));
			return NULL;
		}
	}
	return t;
}

LlmStatus
LlmLoadVector(LlmLoader *ld, const char *name, int64_t n, bool required, const float **out)
{
	LlmStatus	status;
	const GgufTensor *t = FindTensor(ld, name, n, 0, required, &status);

	*out = NULL;
	if (t == NULL)
		return status;
	if (t->type != LLM_TYPE_F32)
		return LlmSetError(ld->err, LLM_ERR_UNSUPPORTED, "tensor %s has type %s; only F32 is supported for vectors",
						   name, LlmTypeGetTraits(t->type)->name);
	*out = t->data;
	return LLM_OK;
}

LlmStatus
LlmLoadMatrix(LlmLoader *ld, const char *name, int64_t n_in, int64_t n_out,
			  bool required, LlmWeight *w)
{
	LlmStatus	status;
	const GgufTensor *t = FindTensor(ld, name, n_in, n_out, required, &status);
	const LlmTypeTraits *tt;
	const LlmTypeTraits *vt;

	memset(w, 0, sizeof(*w));
	if (t == NULL)
		return status;
	tt = LlmTypeGetTraits(t->type);
	if (!tt->supported || t->type == LLM_TYPE_Q8_K)
		return LlmSetError(ld->err, LLM_ERR_UNSUPPORTED,
						   "tensor %s has type %s, which this version does not support (supported: F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K, Q5_K, Q6_K)",
						   name, tt->name);
	vt = LlmTypeGetTraits(tt->vec_dot_type);
	if (n_in % vt->block_size != 0)
		return LlmSetError(ld->err, LLM_ERR_UNSUPPORTED,
						   "tensor %s: rows of %lld elements cannot be multiplied as %s (needs a multiple of %d)",
						   name, (long long) n_in, tt->name, vt->block_size);
	w->data = t->data;
	w->type = (LlmType) t->type;
	w->n_in = n_in;
	w->n_out = n_out;
	w->row_bytes = LlmTypeRowSize(w->type, n_in);
	return LLM_OK;
}

LlmWeight
LlmWeightRows(const LlmWeight *w, int64_t first, int64_t n)
{
	LlmWeight	part = *w;

	part.data = (const char *) w->data + w->row_bytes * first;
	part.n_out = n;
	return part;
}

LlmStatus
LlmLoadOutput(LlmLoader *ld)
{
	LlmModel   *m = ld->m;
	LlmStatus	s;

	if ((s = LlmLoadVector(ld, "output_norm.weight", m->hp.n_embd, true, &m->output_norm)) ||
		(s = LlmLoadMatrix(ld, "output.weight", m->hp.n_embd, m->hp.n_vocab, false, &m->output)))
		return s;
	m->tied_output = m->output.data == NULL;
	if (m->tied_output)
		m->output = m->tok_embd;
	return LLM_OK;
}

/*
 * ggml_rope_yarn_corr_dim: the pair whose wavelength turns beta times over
 * the original context, in float as ggml computes it.
 */
static float
YarnCorrDim(int n_dims, int n_ctx_orig, float beta, float base)
{
	return n_dims * logf(n_ctx_orig / (beta * 2 * (float) M_PI)) / (2 * logf(base));
}

LlmRopeParams
LlmRopeParamsFor(const LlmHParams *hp, float freq_base, float freq_scale)
{
	LlmRopeParams r;
	float		start = floorf(YarnCorrDim(hp->n_rot, hp->n_ctx_orig, hp->yarn_beta_fast, freq_base));
	float		end = ceilf(YarnCorrDim(hp->n_rot, hp->n_ctx_orig, hp->yarn_beta_slow, freq_base));

	r.type = hp->rope_type;
	r.n_rot = hp->n_rot;
	r.freq_base = freq_base;
	r.freq_scale = freq_scale;
	r.ext_factor = hp->yarn_ext_factor;
	r.attn_factor = hp->yarn_attn_factor;
	r.corr_dims[0] = start > 0.0f ? start : 0.0f;
	r.corr_dims[1] = end < (float) (hp->n_rot - 1) ? end : (float) (hp->n_rot - 1);
	return r;
}

/*
 * llama.cpp's get_mscale of YaRN: the attention temperature for a factor
 * (its multiply-add fused, as GCC compiles it)
 */
static float
YarnMscale(float scale, float mscale)
{
	return scale <= 1.0f ? 1.0f : fmaf(0.1f * mscale, logf(scale), 1.0f);
}

/*
 * The file's rope scaling, as llama.cpp's loader and context read it:
 * rope.scaling.type (absent: "linear", so a factor alone scales linearly),
 * the factor, the original context, and for YaRN the ramp ends and the
 * attention factor.  A type this engine does not know is refused by name.
 */
static LlmStatus
LoadRopeScaling(LlmLoader *ld)
{
	LlmHParams *hp = &ld->m->hp;
	GgufString	type;
	bool		yarn = false;
	float		factor;
	float		attn_factor;
	float		log_mul;
	LlmStatus	s;

	hp->rope_scaling[0] = '\0';
	if (GgufGetString(ld->m->gguf, LlmLoaderKey(ld, "rope.scaling.type"), &type))
	{
		if (GgufStrEq(type, "yarn"))
			yarn = true;
		else if (!GgufStrEq(type, "none") && !GgufStrEq(type, "linear") &&
				 !GgufStrEq(type, "longrope"))
			return LlmSetError(ld->err, LLM_ERR_UNSUPPORTED,
							   "rope scaling \"%.*s\" is not supported (supported: none, linear, yarn, longrope)",
							   (int) (type.len > 32 ? 32 : type.len), type.data);
		snprintf(hp->rope_scaling, sizeof(hp->rope_scaling), "%.*s", (int) type.len, type.data);
	}
	else if (GgufFind(ld->m->gguf, ld->key) != NULL)
		return LlmSetError(ld->err, LLM_ERR_FORMAT, "metadata key %s is not a string", ld->key);

	/* the factor, or the older key; 0 or absent means none */
	if ((s = LlmLoadFloatOr(ld, "rope.scaling.factor", 0.0f, &factor)))
		return s;
	if (factor == 0.0f && (s = LlmLoadFloatOr(ld, "rope.scale_linear", 0.0f, &factor)))
		return s;
	if (!(factor >= 0.0f) || isinf(factor))
		return LlmSetError(ld->err, LLM_ERR_FORMAT, "the rope scaling factor %g is not a positive number",
						   factor);
	hp->rope_freq_scale = factor == 0.0f ? 1.0f : 1.0f / factor;
	if (strcmp(hp->rope_scaling, "none") == 0)
		hp->rope_freq_scale = 1.0f;
	/* without a type, a factor scales linearly (llama.cpp's default) */
	if (hp->rope_scaling[0] == '\0')
		snprintf(hp->rope_scaling, sizeof(hp->rope_scaling), "%s",
				 factor == 0.0f ? "none" : "linear");

	if ((s = LlmLoadIntOr(ld, "rope.scaling.original_context_length", 1, 1 << 24,
						  hp->n_ctx_train, &hp->n_ctx_orig)) ||
		(s = LlmLoadFloatOr(ld, "rope.scaling.attn_factor", 1.0f, &attn_factor)) ||
		(s = LlmLoadFloatOr(ld, "rope.scaling.yarn_ext_factor", -1.0f, &hp->yarn_ext_factor)) ||
		(s = LlmLoadFloatOr(ld, "rope.scaling.yarn_attn_factor", 1.0f, &hp->yarn_attn_factor)) ||
		(s = LlmLoadFloatOr(ld, "rope.scaling.yarn_beta_fast", 32.0f, &hp->yarn_beta_fast)) ||
		(s = LlmLoadFloatOr(ld, "rope.scaling.yarn_beta_slow", 1.0f, &hp->yarn_beta_slow)) ||
		(s = LlmLoadFloatOr(ld, "rope.scaling.yarn_log_multiplier", 0.0f, &log_mul)))
		return s;
	if (!isfinite(attn_factor) || !isfinite(hp->yarn_ext_factor) ||
		!isfinite(hp->yarn_attn_factor) || !isfinite(hp->yarn_beta_fast) ||
		!isfinite(hp->yarn_beta_slow) || !isfinite(log_mul) ||
		!(hp->yarn_beta_fast > 0.0f) || !(hp->yarn_beta_slow > 0.0f))
		return LlmSetError(ld->err, LLM_ERR_FORMAT, "the rope scaling parameters are not valid numbers");

	/*
	 * llama_context: YaRN extrapolates unless the file says otherwise, and
	 * its attention factor is the temperature of the factor, divided by
	 * the magnitude correction ggml's rope applies again on its own.
	 */
	if (hp->yarn_ext_factor < 0.0f)
		hp->yarn_ext_factor = yarn ? 1.0f : 0.0f;
	if (hp->yarn_ext_factor != 0.0f)
	{
		float		f = 1.0f / hp->rope_freq_scale;

		if (log_mul != 0.0f)
			hp->yarn_attn_factor = YarnMscale(f, 1.0f) / YarnMscale(f, log_mul);
		else
			hp->yarn_attn_factor = YarnMscale(f, 1.0f);
		hp->yarn_attn_factor *= 1.0f / fmaf(0.1f, logf(f), 1.0f);
	}
	hp->yarn_attn_factor *= attn_factor;
	return LLM_OK;
}

/*
 * What every architecture's file says the same way: sizes, rope, norms'
 * epsilon, pooling.  A family reads what is its own (model/<family>.c).
 */
static LlmStatus
LoadHParams(LlmLoader *ld)
{
	LlmModel   *m = ld->m;
	LlmHParams *hp = &m->hp;
	const GgufTensor *emb;
	int			pooling;
	LlmStatus	s;

	if ((s = LlmLoadInt(ld, "embedding_length", 1, 1 << 16, &hp->n_embd)) ||
		(s = LlmLoadInt(ld, "block_count", 1, 1024, &hp->n_layer)) ||
		(s = LlmLoadInt(ld, "feed_forward_length", 1, 1 << 20, &hp->n_ff)) ||
		(s = LlmLoadInt(ld, "attention.head_count", 1, 1024, &hp->n_head)) ||
		(s = LlmLoadIntOr(ld, "attention.head_count_kv", 1, 1024, hp->n_head, &hp->n_head_kv)) ||
		(s = LlmLoadIntOr(ld, "context_length", 1, 1 << 24, 4096, &hp->n_ctx_train)) ||
		(s = LlmLoadIntOr(ld, "attention.key_length", 2, 1024,
						  hp->n_embd / hp->n_head, &hp->head_dim)) ||
		(s = LlmLoadIntOr(ld, "rope.dimension_count", 2, hp->head_dim, hp->head_dim, &hp->n_rot)) ||
		(s = LlmLoadFloatOr(ld, "rope.freq_base", 10000.0f, &hp->rope_freq_base)) ||
		(s = LlmLoadFloatOr(ld, "attention.layer_norm_rms_epsilon", 1e-5f, &hp->rms_eps)) ||
		(s = LlmLoadFloatOr(ld, "attention.layer_norm_epsilon", 1e-5f, &hp->norm_eps)) ||
		(s = LlmLoadIntOr(ld, "pooling_type", 0, 1000, LLM_POOLING_MEAN, &pooling)))
		return s;

	if (hp->n_head % hp->n_head_kv != 0)
		return LlmSetError(ld->err, LLM_ERR_FORMAT,
						   "%d attention heads cannot be grouped over %d key/value heads",
						   hp->n_head, hp->n_head_kv);
	if (hp->n_rot % 2 != 0 || hp->head_dim % 2 != 0)
		return LlmSetError(ld->err, LLM_ERR_FORMAT, "rotary dimension %d and head size %d must be even",
						   hp->n_rot, hp->head_dim);
	if (!(hp->rope_freq_base > 0.0f) || !(hp->rms_eps > 0.0f) || !(hp->norm_eps > 0.0f))
		return LlmSetError(ld->err, LLM_ERR_FORMAT, "rope.freq_base and the norm epsilon must be positive");
	if (pooling > LLM_POOLING_LAST)
		return LlmSetError(ld->err, LLM_ERR_UNSUPPORTED,
						   "pooling type %d%s is not supported (supported: 0 none, 1 mean, 2 cls, 3 last)",
						   pooling, pooling == 4 ? " (rank: a reranker's classifier head)" : "");

	/*
	 * A decoder whose file names a pooling type was made for embeddings
	 * (Qwen3-Embedding: the last token); without one, embeddings of a
	 * decoder are the mean of its hidden states, as this engine has always
	 * pooled them.
	 */
	hp->pooling = (LlmPooling) pooling;
	m->kind = GgufFind(m->gguf, LlmLoaderKey(ld, "pooling_type")) != NULL ?
		LLM_KIND_EMBEDDING : LLM_KIND_GENERATIVE;
	hp->causal = true;
	hp->kq_scale = 1.0f / sqrtf((float) hp->head_dim);
	hp->rope_type = m->arch == LLM_ARCH_LLAMA ? LLM_ROPE_NORM : LLM_ROPE_NEOX;
	if ((s = LoadRopeScaling(ld)))
		return s;

	/* the vocabulary size is the embedding matrix's, whatever metadata says */
	emb = GgufFindTensor(m->gguf, "token_embd.weight");
	if (emb == NULL)
		return LlmSetError(ld->err, LLM_ERR_FORMAT, "tensor token_embd.weight is missing");
	if (emb->ne[1] < 1 || emb->ne[1] > (1 << 24))
		return LlmSetError(ld->err, LLM_ERR_FORMAT, "token_embd.weight has %llu rows",
						   (unsigned long long) emb->ne[1]);
	hp->n_vocab = (int) emb->ne[1];
	return LLM_OK;
}

/* The tensors of the family's layers, then what every model has. */
static LlmStatus
LoadTensors(LlmLoader *ld)
{
	LlmModel   *m = ld->m;
	LlmStatus	s;

	m->layers = calloc(m->hp.n_layer, sizeof(LlmLayer));
	if (m->layers == NULL)
		return LlmSetError(ld->err, LLM_ERR_NOMEM, "out of memory loading %d layers", m->hp.n_layer);
	if ((s = LlmLoadMatrix(ld, "token_embd.weight", m->hp.n_embd, m->hp.n_vocab, true, &m->tok_embd)))
		return s;
	for (int l = 0; l < m->hp.n_layer; l++)
	{
		m->layers[l].rope = LlmRopeParamsFor(&m->hp, m->hp.rope_freq_base, m->hp.rope_freq_scale);
		m->layers[l].n_swa = 0;
	}
	if ((s = m->family->load(ld)))
		return s;

	for (uint64_t i = 0; i < m->gguf->n_tensors; i++)
	{
		const GgufTensor *t = &m->gguf->tensors[i];

		m->n_params += t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3];
	}
	return LLM_OK;
}

/*
 * The model of an opened file, taking ownership of gguf.  The vocabulary is
 * built from the file, or attached from vocab_image when one is given.
 */
static LlmStatus
ModelBuild(GgufFile *gguf, const void *vocab_image, size_t vocab_size,
		   LlmModel **out, LlmError *err)
{
	LlmLoader	ld;
	GgufString	arch;
	LlmModel   *m;
	LlmStatus	s;

	*out = NULL;
	m = calloc(1, sizeof(LlmModel));
	if (m == NULL)
	{
		GgufClose(gguf);
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory loading a model");
	}
	m->gguf = gguf;
	ld.m = m;
	ld.err = err;

	if (!GgufGetString(gguf, "general.architecture", &arch))
		s = LlmSetError(err, LLM_ERR_FORMAT, "metadata key general.architecture is missing");
	else
	{
		s = LlmSetError(err, LLM_ERR_UNSUPPORTED,
						"architecture \"%.*s\" is not supported (supported: " MODEL_ARCH_LIST ")",
						(int) (arch.len > 64 ? 64 : arch.len), arch.data);
		for (size_t i = 0; i < sizeof(model_archs) / sizeof(model_archs[0]); i++)
			if (GgufStrEq(arch, model_archs[i].name))
			{
				m->arch = model_archs[i].arch;
				m->family = model_archs[i].family;
				s = LLM_OK;
			}
	}
	if (s == LLM_OK)
	{
		snprintf(m->arch_name, sizeof(m->arch_name), "%.*s", (int) arch.len, arch.data);
		s = LoadHParams(&ld);
	}
	if (s == LLM_OK)
		s = LoadTensors(&ld);
	if (s == LLM_OK && vocab_image != NULL)
		s = LlmVocabAttach(gguf, vocab_image, vocab_size, &m->vocab, err);
	else if (s == LLM_OK)
		s = LlmVocabLoad(gguf, &m->vocab, err);
	if (s == LLM_OK && m->vocab->n_tokens != m->hp.n_vocab)
		s = LlmSetError(err, LLM_ERR_FORMAT, "the tokenizer has %d tokens but token_embd.weight has %d rows",
						m->vocab->n_tokens, m->hp.n_vocab);
	if (s != LLM_OK)
	{
		LlmModelFree(m);
		return s;
	}
	*out = m;
	return LLM_OK;
}

LlmStatus
LlmModelFromGguf(GgufFile *gguf, LlmModel **out, LlmError *err)
{
	return ModelBuild(gguf, NULL, 0, out, err);
}

LlmStatus
LlmModelAttach(const void *file, size_t file_size, const void *vocab_image,
			   size_t vocab_size, LlmModel **out, LlmError *err)
{
	GgufFile   *gguf;
	LlmStatus	s;

	*out = NULL;
	s = GgufOpenMemory(file, file_size, &gguf, err);
	if (s == LLM_OK)
		s = ModelBuild(gguf, vocab_image, vocab_size, out, err);
	return s;
}

LlmStatus
LlmModelLoad(const char *path, LlmModel **out, LlmError *err)
{
	GgufFile   *gguf;
	LlmStatus	s;

	*out = NULL;
	s = GgufOpen(path, &gguf, err);
	if (s == LLM_OK)
		s = LlmModelFromGguf(gguf, out, err);
	/* I/O errors name the file already; say which file the others are about */
	if (s != LLM_OK && s != LLM_ERR_IO && err != NULL)
	{
		char		msg[LLM_ERROR_MESSAGE_SIZE];

		memcpy(msg, err->message, sizeof(msg));
		LlmSetError(err, s, "%s: %s", path, msg);
	}
	return s;
}

void
LlmModelFree(LlmModel *model)
{
	if (model == NULL)
		return;
	LlmVocabFree(model->vocab);
	free(model->layers);
	GgufClose(model->gguf);
	free(model);
}

const char *
LlmModelKindName(LlmModelKind kind)
{
	return kind == LLM_KIND_EMBEDDING ? "embedding" : "generative";
}

const char *
LlmPoolingName(LlmPooling pooling)
{
	static const char *const names[] = {"none", "mean", "cls", "last"};

	return pooling >= LLM_POOLING_NONE && pooling <= LLM_POOLING_LAST ? names[pooling] : "?";
}

const char *
LlmModelQuantName(const LlmModel *model)
{
	/* llama.cpp's LLAMA_FTYPE_* ids, as llama-quantize records them */
	static const struct
	{
		uint32_t	ftype;
		const char *name;
	}			ftypes[] = {
		{0, "F32"}, {1, "F16"}, {2, "Q4_0"}, {7, "Q8_0"}, {8, "Q5_0"},
		{14, "Q4_K_S"}, {15, "Q4_K_M"}, {16, "Q5_K_S"}, {17, "Q5_K_M"},
		{18, "Q6_K"}, {32, "BF16"},
	};
	uint32_t	ftype;
	size_t		bytes[LLM_TYPE_COUNT] = {0};
	int			best = LLM_TYPE_F32;

	if (GgufGetU32(model->gguf, "general.file_type", &ftype))
		for (size_t i = 0; i < sizeof(ftypes) / sizeof(ftypes[0]); i++)
			if (ftypes[i].ftype == ftype)
				return ftypes[i].name;

	/* otherwise the type holding most of the weights' bytes */
	for (uint64_t i = 0; i < model->gguf->n_tensors; i++)
		bytes[model->gguf->tensors[i].type] += model->gguf->tensors[i].nbytes;
	for (int t = 0; t < LLM_TYPE_COUNT; t++)
		if (bytes[t] > bytes[best])
			best = t;
	return LlmTypeGetTraits(best)->name;
}
