/*-------------------------------------------------------------------------
 *
 * model.c
 *	  Building an LlmModel from a GGUF file: hyperparameters from metadata,
 *	  weights as views of the mapped tensors, every shape and type checked
 *	  so that the forward pass can trust them.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "model/family.h"

typedef struct ModelLoader
{
	LlmModel   *m;
	LlmError   *err;
	char		key[160];
} ModelLoader;

/* "<arch>.<suffix>" */
static const char *
ArchKey(ModelLoader *ld, const char *suffix)
{
	snprintf(ld->key, sizeof(ld->key), "%s.%s", ld->m->arch_name, suffix);
	return ld->key;
}

static LlmStatus
RequireInt(ModelLoader *ld, const char *suffix, int min, int max, int *out)
{
	int64_t		v;
	const char *key = ArchKey(ld, suffix);

	if (!GgufGetI64(ld->m->gguf, key, &v))
		return LlmSetError(ld->err, LLM_ERR_FORMAT, "metadata key %s is missing or not an integer", key);
	if (v < min || v > max)
		return LlmSetError(ld->err, LLM_ERR_FORMAT, "metadata key %s = %lld is out of range (%d..%d)",
						   key, (long long) v, min, max);
	*out = (int) v;
	return LLM_OK;
}

static LlmStatus
OptionalInt(ModelLoader *ld, const char *suffix, int min, int max, int dflt, int *out)
{
	if (GgufFind(ld->m->gguf, ArchKey(ld, suffix)) == NULL)
	{
		*out = dflt;
		return LLM_OK;
	}
	return RequireInt(ld, suffix, min, max, out);
}

static LlmStatus
OptionalFloat(ModelLoader *ld, const char *suffix, float dflt, float *out)
{
	const char *key = ArchKey(ld, suffix);

	if (GgufFind(ld->m->gguf, key) == NULL)
	{
		*out = dflt;
		return LLM_OK;
	}
	if (!GgufGetF32(ld->m->gguf, key, out))
		return LlmSetError(ld->err, LLM_ERR_FORMAT, "metadata key %s is not a number", key);
	return LLM_OK;
}

/* Look a tensor up and check its shape; NULL (no error) if optional and absent. */
static const GgufTensor *
FindTensor(ModelLoader *ld, const char *name, int64_t ne0, int64_t ne1,
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

/* A float vector (norm weight, bias): must be F32. */
static LlmStatus
LoadVector(ModelLoader *ld, const char *name, int64_t n, bool required, const float **out)
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

static LlmStatus
LoadMatrix(ModelLoader *ld, const char *name, int64_t n_in, int64_t n_out,
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

static LlmStatus
LoadHParams(ModelLoader *ld)
{
	LlmModel   *m = ld->m;
	LlmHParams *hp = &m->hp;
	const GgufTensor *emb;
	GgufString	scaling;
	LlmStatus	s;

	if ((s = RequireInt(ld, "embedding_length", 1, 1 << 16, &hp->n_embd)) ||
		(s = RequireInt(ld, "block_count", 1, 1024, &hp->n_layer)) ||
		(s = RequireInt(ld, "feed_forward_length", 1, 1 << 20, &hp->n_ff)) ||
		(s = RequireInt(ld, "attention.head_count", 1, 1024, &hp->n_head)) ||
		(s = OptionalInt(ld, "attention.head_count_kv", 1, 1024, hp->n_head, &hp->n_head_kv)) ||
		(s = OptionalInt(ld, "context_length", 1, 1 << 24, 4096, &hp->n_ctx_train)) ||
		(s = OptionalInt(ld, "attention.key_length", 2, 1024,
						 hp->n_embd / hp->n_head, &hp->head_dim)) ||
		(s = OptionalInt(ld, "rope.dimension_count", 2, hp->head_dim, hp->head_dim, &hp->n_rot)) ||
		(s = OptionalFloat(ld, "rope.freq_base", 10000.0f, &hp->rope_freq_base)) ||
		(s = OptionalFloat(ld, "attention.layer_norm_rms_epsilon", 1e-5f, &hp->rms_eps)))
		return s;

	if (hp->n_head % hp->n_head_kv != 0)
		return LlmSetError(ld->err, LLM_ERR_FORMAT,
						   "%d attention heads cannot be grouped over %d key/value heads",
						   hp->n_head, hp->n_head_kv);
	if (hp->n_rot % 2 != 0 || hp->head_dim % 2 != 0)
		return LlmSetError(ld->err, LLM_ERR_FORMAT, "rotary dimension %d and head size %d must be even",
						   hp->n_rot, hp->head_dim);
	if (!(hp->rope_freq_base > 0.0f) || !(hp->rms_eps > 0.0f))
		return LlmSetError(ld->err, LLM_ERR_FORMAT, "rope.freq_base and the norm epsilon must be positive");

	hp->rope_freq_scale = 1.0f;
	if (GgufGetString(m->gguf, ArchKey(ld, "rope.scaling.type"), &scaling) &&
		!GgufStrEq(scaling, "none"))
	{
		float		factor;

		if (!GgufStrEq(scaling, "linear"))
			return LlmSetError(ld->err, LLM_ERR_UNSUPPORTED, "rope scaling \"%.*s\" is not supported (only linear)",
							   (int) (scaling.len > 32 ? 32 : scaling.len), scaling.data);
		if ((s = OptionalFloat(ld, "rope.scaling.factor", 1.0f, &factor)))
			return s;
		if (!(factor > 0.0f))
			return LlmSetError(ld->err, LLM_ERR_FORMAT, "rope.scaling.factor must be positive");
		hp->rope_freq_scale = 1.0f / factor;
	}
	hp->rope_type = m->arch == LLM_ARCH_LLAMA ? LLM_ROPE_NORM : LLM_ROPE_NEOX;

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

static LlmStatus
LoadTensors(ModelLoader *ld)
{
	LlmModel   *m = ld->m;
	const LlmHParams *hp = &m->hp;
	const int64_t q_dim = (int64_t) hp->n_head * hp->head_dim;
	const int64_t kv_dim = (int64_t) hp->n_head_kv * hp->head_dim;
	const GgufTensor *freqs;
	LlmStatus	s;
	char		name[96];

	if ((s = LoadMatrix(ld, "token_embd.weight", hp->n_embd, hp->n_vocab, true, &m->tok_embd)) ||
		(s = LoadVector(ld, "output_norm.weight", hp->n_embd, true, &m->output_norm)) ||
		(s = LoadMatrix(ld, "output.weight", hp->n_embd, hp->n_vocab, false, &m->output)))
		return s;
	m->tied_output = m->output.data == NULL;
	if (m->tied_output)
		m->output = m->tok_embd;

	freqs = FindTensor(ld, "rope_freqs.weight", hp->n_rot / 2, 0, false, &s);
	if (s)
		return s;
	if (freqs != NULL && freqs->type != LLM_TYPE_F32)
		return LlmSetError(ld->err, LLM_ERR_UNSUPPORTED, "tensor rope_freqs.weight must be F32");
	m->rope_freqs = freqs ? freqs->data : NULL;

	m->layers = calloc(hp->n_layer, sizeof(LlmLayer));
	if (m->layers == NULL)
		return LlmSetError(ld->err, LLM_ERR_NOMEM, "out of memory loading %d layers", hp->n_layer);

	for (int l = 0; l < hp->n_layer; l++)
	{
		LlmLayer   *L = &m->layers[l];

#define BLK(suffix) (snprintf(name, sizeof(name), "blk.%d.%s", l, suffix), name)
		if ((s = LoadVector(ld, BLK("attn_norm.weight"), hp->n_embd, true, &L->attn_norm)) ||
			(s = LoadMatrix(ld, BLK("attn_q.weight"), hp->n_embd, q_dim, true, &L->wq)) ||
			(s = LoadMatrix(ld, BLK("attn_k.weight"), hp->n_embd, kv_dim, true, &L->wk)) ||
			(s = LoadMatrix(ld, BLK("attn_v.weight"), hp->n_embd, kv_dim, true, &L->wv)) ||
			(s = LoadVector(ld, BLK("attn_q.bias"), q_dim, m->arch == LLM_ARCH_QWEN2, &L->bq)) ||
			(s = LoadVector(ld, BLK("attn_k.bias"), kv_dim, m->arch == LLM_ARCH_QWEN2, &L->bk)) ||
			(s = LoadVector(ld, BLK("attn_v.bias"), kv_dim, m->arch == LLM_ARCH_QWEN2, &L->bv)) ||
			(s = LoadVector(ld, BLK("attn_q_norm.weight"), hp->head_dim, m->arch == LLM_ARCH_QWEN3, &L->q_norm)) ||
			(s = LoadVector(ld, BLK("attn_k_norm.weight"), hp->head_dim, m->arch == LLM_ARCH_QWEN3, &L->k_norm)) ||
			(s = LoadMatrix(ld, BLK("attn_output.weight"), q_dim, hp->n_embd, true, &L->wo)) ||
			(s = LoadVector(ld, BLK("ffn_norm.weight"), hp->n_embd, true, &L->ffn_norm)) ||
			(s = LoadMatrix(ld, BLK("ffn_gate.weight"), hp->n_embd, hp->n_ff, true, &L->w_gate)) ||
			(s = LoadMatrix(ld, BLK("ffn_up.weight"), hp->n_embd, hp->n_ff, true, &L->w_up)) ||
			(s = LoadMatrix(ld, BLK("ffn_down.weight"), hp->n_ff, hp->n_embd, true, &L->w_down)))
			return s;
#undef BLK
	}

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
	ModelLoader ld;
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
	else if (GgufStrEq(arch, "llama"))
		s = LLM_OK, m->arch = LLM_ARCH_LLAMA;
	else if (GgufStrEq(arch, "qwen2"))
		s = LLM_OK, m->arch = LLM_ARCH_QWEN2;
	else if (GgufStrEq(arch, "qwen3"))
		s = LLM_OK, m->arch = LLM_ARCH_QWEN3;
	else
		s = LlmSetError(err, LLM_ERR_UNSUPPORTED,
						"architecture \"%.*s\" is not supported (supported: llama, qwen2, qwen3)",
						(int) (arch.len > 64 ? 64 : arch.len), arch.data);
	if (s == LLM_OK)
	{
		m->family = &LlmFamilyLlama;
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
