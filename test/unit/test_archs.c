/*-------------------------------------------------------------------------
 *
 * test_archs.c
 *	  What the parity references cannot show about the architecture
 *	  families: gemma3's sliding window at positions beyond it, phi3's
 *	  longrope factors chosen by the context's size, bert's and a decoder's
 *	  pooling types, YaRN's angles against values computed here, and the
 *	  errors: generation on an encoder, an unknown rope scaling, a missing
 *	  tensor of each family.
 *
 * The models are ../shared/parity-archs' files, copied with a key or a
 * tensor changed (CopyModel) into the build directory.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "model/ops.h"
#include "scoring.h"
#include "unit.h"

#define ARCHS "../shared/parity-archs/"
#define TMP "build/test/"

/* A change to a copied model: a key set or removed, a tensor removed or added. */
typedef struct Edit
{
	const char *key;			/* metadata key (full name), or tensor name */
	enum
	{
		EDIT_END,
		EDIT_U32,
		EDIT_F32,
		EDIT_STRING,
		EDIT_DROP_KEY,
		EDIT_DROP_TENSOR,
		EDIT_ADD_VECTOR			/* an F32 tensor of n values, i * step + first */
	}			kind;
	double		num;			/* EDIT_U32, EDIT_F32; EDIT_ADD_VECTOR: first */
	const char *str;			/* EDIT_STRING */
	int			n;				/* EDIT_ADD_VECTOR */
	float		step;
} Edit;

/* the edits, as designated initializers */
#define SET_U32(k, v) {.key = (k), .kind = EDIT_U32, .num = (v)}
#define SET_F32(k, v) {.key = (k), .kind = EDIT_F32, .num = (v)}
#define SET_STR(k, v) {.key = (k), .kind = EDIT_STRING, .str = (v)}
#define DROP_TENSOR(k) {.key = (k), .kind = EDIT_DROP_TENSOR}
#define ADD_VECTOR(k, n_, first, step_) \
	{.key = (k), .kind = EDIT_ADD_VECTOR, .num = (first), .n = (n_), .step = (step_)}
#define EDITS_END {.kind = EDIT_END}

typedef struct CopyFill
{
	const GgufFile *src;
	const GgufTensor **tensors; /* copied ones, then NULL for added ones */
	const Edit **added;
} CopyFill;

static const Edit *
FindEdit(const Edit *edits, const char *key, size_t len, bool tensor)
{
	for (const Edit *e = edits; e->kind != EDIT_END; e++)
		if (strlen(e->key) == len && memcmp(e->key, key, len) == 0 &&
			tensor == (e->kind == EDIT_DROP_TENSOR || e->kind == EDIT_ADD_VECTOR))
			return e;
	return NULL;
}

static LlmStatus
CopyFillTensor(void *arg, uint64_t index, void *dst, size_t nbytes, LlmError *err)
{
	CopyFill   *f = arg;

	if (f->tensors[index] != NULL)
		memcpy(dst, f->tensors[index]->data, nbytes);
	else
		for (int i = 0; i < f->added[index]->n; i++)
			((float *) dst)[i] = (float) f->added[index]->num + i * f->added[index]->step;
	return LLM_OK;
}

/* A NUL-terminated copy of a GGUF string */
static char *
Str(GgufString s)
{
	char	   *c = malloc(s.len + 1);

	memcpy(c, s.data, s.len);
	c[s.len] = '\0';
	return c;
}

/* Copy src to dst with the edits applied; false (and a failed check) if not. */
static bool
CopyModel(const char *src, const char *dst, const Edit *edits)
{
	GgufFile   *g;
	GgufWriter *w;
	LlmError	err;
	CopyFill	fill;
	uint64_t	n = 0;
	bool		ok;

	if (GgufOpen(src, &g, &err) != LLM_OK)
	{
		CHECK(false, "open %s: %s", src, err.message);
		return false;
	}
	w = GgufWriterCreate();
	for (uint64_t i = 0; i < g->n_kv; i++)
	{
		const GgufKV *kv = &g->kv[i];
		char	   *key = Str(kv->key);

		if (FindEdit(edits, kv->key.data, kv->key.len, false) != NULL)
			;
		else if (kv->type == GGUF_TYPE_UINT32 || kv->type == GGUF_TYPE_UINT8 ||
				 kv->type == GGUF_TYPE_UINT16 || kv->type == GGUF_TYPE_UINT64)
			GgufWriterSetU32(w, key, (uint32_t) kv->v.u64);
		else if (kv->type == GGUF_TYPE_INT32 || kv->type == GGUF_TYPE_INT8 ||
				 kv->type == GGUF_TYPE_INT16 || kv->type == GGUF_TYPE_INT64)
			GgufWriterSetI32(w, key, (int32_t) kv->v.i64);
		else if (kv->type == GGUF_TYPE_FLOAT32 || kv->type == GGUF_TYPE_FLOAT64)
			GgufWriterSetF32(w, key, (float) kv->v.f64);
		else if (kv->type == GGUF_TYPE_BOOL)
			GgufWriterSetBool(w, key, kv->v.u64 != 0);
		else if (kv->type == GGUF_TYPE_STRING)
		{
			char	   *v = Str(kv->v.str);

			GgufWriterSetString(w, key, v);
			free(v);
		}
		else if (kv->v.arr.type == GGUF_TYPE_STRING)
		{
			char	  **v = malloc(sizeof(char *) * (kv->v.arr.len + 1));

			for (uint64_t j = 0; j < kv->v.arr.len; j++)
				v[j] = Str(kv->v.arr.strings[j]);
			GgufWriterSetStringArray(w, key, (const char *const *) v, kv->v.arr.len);
			for (uint64_t j = 0; j < kv->v.arr.len; j++)
				free(v[j]);
			free(v);
		}
		else if (kv->v.arr.type == GGUF_TYPE_FLOAT32)
			GgufWriterSetF32Array(w, key, kv->v.arr.data, kv->v.arr.len);
		else if (kv->v.arr.type == GGUF_TYPE_INT32)
			GgufWriterSetI32Array(w, key, kv->v.arr.data, kv->v.arr.len);
		else
			CHECK(false, "%s: key %s has a type the copy does not handle", src, key);
		free(key);
	}
	for (const Edit *e = edits; e->kind != EDIT_END; e++)
		if (e->kind == EDIT_U32)
			GgufWriterSetU32(w, e->key, (uint32_t) e->num);
		else if (e->kind == EDIT_F32)
			GgufWriterSetF32(w, e->key, (float) e->num);
		else if (e->kind == EDIT_STRING)
			GgufWriterSetString(w, e->key, e->str);

	fill.src = g;
	fill.tensors = calloc(g->n_tensors + 8, sizeof(GgufTensor *));
	fill.added = calloc(g->n_tensors + 8, sizeof(Edit *));
	for (uint64_t i = 0; i < g->n_tensors; i++)
	{
		const GgufTensor *t = &g->tensors[i];
		char	   *name = Str(t->name);

		if (FindEdit(edits, t->name.data, t->name.len, true) == NULL)
		{
			GgufWriterAddTensor(w, name, t->type, t->n_dims, t->ne);
			fill.tensors[n++] = t;
		}
		free(name);
	}
	for (const Edit *e = edits; e->kind != EDIT_END; e++)
		if (e->kind == EDIT_ADD_VECTOR)
		{
			uint64_t	ne[1] = {(uint64_t) e->n};

			GgufWriterAddTensor(w, e->key, LLM_TYPE_F32, 1, ne);
			fill.added[n++] = e;
		}
	ok = GgufWriterWrite(w, dst, CopyFillTensor, &fill, &err) == LLM_OK;
	CHECK(ok, "write %s: %s", dst, err.message);
	GgufWriterFree(w);
	free(fill.tensors);
	free(fill.added);
	GgufClose(g);
	return ok;
}

/* Load a model, or fail the check. */
static LlmModel *
Load(const char *path)
{
	LlmModel   *m = NULL;
	LlmError	err;

	if (LlmModelLoad(path, &m, &err) != LLM_OK)
		CHECK(false, "load %s: %s", path, err.message);
	return m;
}

/* All logits of tokens decoded as one batch in a fresh context of n_ctx. */
static float *
AllLogits(const LlmModel *m, const int32_t *tokens, int n, int n_ctx)
{
	LlmContext *ctx;
	LlmError	err;
	float	   *out = malloc(sizeof(float) * n * m->hp.n_vocab);

	if (LlmContextCreate(m, n_ctx, 0, &ctx, &err) != LLM_OK ||
		LlmDecode(ctx, tokens, n, out, true, &err) != LLM_OK)
		CHECK(false, "decode: %s", err.message);
	LlmContextFree(ctx);
	return out;
}

static bool
RowsEqual(const float *a, const float *b, size_t n)
{
	return memcmp(a, b, sizeof(float) * n) == 0;
}

/*
 * Sliding window: with every layer local and a window of 4, the logits at
 * position p depend only on the tokens the three layers reach back to
 * (p - 9 .. p): two prompts differing only before that give the same bits
 * there, and different logits where the window reaches the difference.  With
 * the file's pattern (a global layer) or a wide window the early tokens
 * matter again.
 */
static void
TestSlidingWindow(void)
{
	const Edit	all_local[] = {
		SET_U32("gemma3.attention.sliding_window", 4),
		SET_U32("gemma3.attention.sliding_window_pattern", 0),
		EDITS_END
	};
	const Edit	pattern[] = {SET_U32("gemma3.attention.sliding_window", 4), EDITS_END};
	int32_t		a[24];
	int32_t		b[24];
	LlmModel   *m;
	float	   *la;
	float	   *lb;
	int			V;

	for (int i = 0; i < 24; i++)
		a[i] = b[i] = 3 + (i * 37) % 500;
	b[2] = 400;					/* only token 2 differs */

	if (!CopyModel(ARCHS "syn-gemma3.F32.gguf", TMP "gemma3-local4.gguf", all_local) ||
		(m = Load(TMP "gemma3-local4.gguf")) == NULL)
		return;
	V = m->hp.n_vocab;
	CHECK(m->layers[0].n_swa == 4 && m->layers[2].n_swa == 4, "pattern 0: every layer is local");
	la = AllLogits(m, a, 24, 64);
	lb = AllLogits(m, b, 24, 64);
	CHECK(!RowsEqual(la + 2 * V, lb + 2 * V, V), "the changed token changes its own position");
	CHECK(!RowsEqual(la + 11 * V, lb + 11 * V, V), "position 11 still reaches token 2 (2 + 3 x 3)");
	for (int p = 12; p < 24; p++)
		CHECK(RowsEqual(la + (size_t) p * V, lb + (size_t) p * V, V),
			  "position %d is beyond every window's reach of token 2: the same bits", p);
	free(la);
	free(lb);
	LlmModelFree(m);

	/* the file's pattern 3: layer 2 is global and sees token 2 from anywhere */
	if (!CopyModel(ARCHS "syn-gemma3.F32.gguf", TMP "gemma3-window4.gguf", pattern) ||
		(m = Load(TMP "gemma3-window4.gguf")) == NULL)
		return;
	CHECK(m->layers[0].n_swa == 4 && m->layers[1].n_swa == 4 && m->layers[2].n_swa == 0,
		  "pattern 3: layers 0 and 1 local, layer 2 global");
	CHECK(m->layers[0].rope.freq_base == 10000.0f && m->layers[2].rope.freq_base == 1e6f,
		  "local layers rotate with rope.freq_base_swa, global ones with rope.freq_base");
	la = AllLogits(m, a, 24, 64);
	lb = AllLogits(m, b, 24, 64);
	CHECK(!RowsEqual(la + 23 * V, lb + 23 * V, V), "a global layer reaches back past the window");

	/*
	 * Beyond the window the batch and one-token paths agree: the window is
	 * the row's own, not the chunk's.
	 */
	{
		LlmContext *ctx;
		LlmError	err;
		float	   *step = malloc(sizeof(float) * V);
		double		worst = 0;

		LlmContextCreate(m, 64, 0, &ctx, &err);
		for (int i = 0; i < 24; i++)
		{
			LlmDecode(ctx, &a[i], 1, step, false, &err);
			for (int j = 0; j < V; j++)
				worst = fmax(worst, fabs(step[j] - la[(size_t) i * V + j]));
		}
		CHECK(worst < 1e-3, "one token at a time matches the batch beyond the window (%g)", worst);
		LlmContextFree(ctx);
		free(step);
	}

	/* both prompts interleaved in one batch: each gets its bits alone */
	{
		LlmContext *ctx;
		LlmError	err;
		LlmBatchToken items[48];
		float	   *both = malloc(sizeof(float) * 48 * V);
		bool		same = true;

		for (int i = 0; i < 24; i++)
		{
			items[2 * i] = (LlmBatchToken) {a[i], 0, true};
			items[2 * i + 1] = (LlmBatchToken) {b[i], 1, true};
		}
		CHECK(LlmContextCreateSeq(m, 64, 0, 2, &ctx, &err) == LLM_OK &&
			  LlmDecodeBatch(ctx, items, 48, both, &err) == LLM_OK, "batch: %s", err.message);
		for (int i = 0; i < 24; i++)
			same = same && RowsEqual(both + (size_t) 2 * i * V, la + (size_t) i * V, V) &&
				RowsEqual(both + (size_t) (2 * i + 1) * V, lb + (size_t) i * V, V);
		CHECK(same, "interleaved in a batch, windowed sequences keep their bits");
		LlmContextFree(ctx);
		free(both);
	}
	free(la);
	free(lb);
	LlmModelFree(m);
}

/*
 * Longrope: the short factors for a context within the original one, the
 * long ones beyond it (llama.cpp pads the context to 256 first); a file
 * without them rotates plainly, and a file with only one kind is refused.
 */
static void
TestLongrope(void)
{
	const Edit	both[] = {
		SET_U32("phi3.rope.scaling.original_context_length", 256),
		SET_F32("phi3.rope.scaling.attn_factor", 1.19),
		ADD_VECTOR("rope_factors_short.weight", 32, 1.0, 0.01f),
		ADD_VECTOR("rope_factors_long.weight", 32, 1.0, 0.5f),
		EDITS_END
	};
	const Edit	short_only[] = {
		ADD_VECTOR("rope_factors_short.weight", 32, 1.0, 0.01f),
		EDITS_END
	};
	int32_t		toks[40];
	LlmModel   *m;
	LlmModel   *plain;
	LlmContext *ctx;
	LlmError	err;
	float	   *l200;
	float	   *l256;
	float	   *l300;
	float	   *lplain;
	size_t		n;

	for (int i = 0; i < 40; i++)
		toks[i] = 3 + (i * 53) % 500;
	if (!CopyModel(ARCHS "syn-phi3.F32.gguf", TMP "phi3-longrope.gguf", both) ||
		(m = Load(TMP "phi3-longrope.gguf")) == NULL ||
		(plain = Load(ARCHS "syn-phi3.F32.gguf")) == NULL)
		return;
	CHECK(m->rope_short != NULL && m->rope_long != NULL, "both factor tensors load");
	CHECK(LlmContextCreate(m, 256, 0, &ctx, &err) == LLM_OK && ctx->rope_factors == m->rope_short,
		  "a context of 256 (the original context) uses the short factors");
	LlmContextFree(ctx);
	CHECK(LlmContextCreate(m, 257, 0, &ctx, &err) == LLM_OK && ctx->rope_factors == m->rope_long,
		  "a context of 257 (512 once padded) uses the long factors");
	LlmContextFree(ctx);
	CHECK(LlmContextCreate(plain, 512, 0, &ctx, &err) == LLM_OK && ctx->rope_factors == NULL,
		  "a file without factors rotates plainly");
	LlmContextFree(ctx);
	CHECK(fabsf(m->layers[0].rope.attn_factor - 1.19f) < 1e-6f, "the attention factor is the file's");

	n = (size_t) 40 * m->hp.n_vocab;
	l200 = AllLogits(m, toks, 40, 200);
	l256 = AllLogits(m, toks, 40, 256);
	l300 = AllLogits(m, toks, 40, 300);
	lplain = AllLogits(plain, toks, 40, 256);
	CHECK(RowsEqual(l200, l256, n), "contexts of 200 and 256 rotate alike (short factors)");
	CHECK(!RowsEqual(l256, l300, n), "a context of 300 rotates with the long factors");
	CHECK(!RowsEqual(l256, lplain, n), "the factors and the attention factor change the logits");
	free(l200);
	free(l256);
	free(l300);
	free(lplain);
	LlmModelFree(m);
	LlmModelFree(plain);

	if (CopyModel(ARCHS "syn-phi3.F32.gguf", TMP "phi3-short-only.gguf", short_only))
	{
		CHECK(LlmModelLoad(TMP "phi3-short-only.gguf", &m, &err) == LLM_ERR_FORMAT &&
			  strstr(err.message, "rope_factors_long.weight is missing") != NULL,
			  "one kind of factors alone is refused: %s", err.message);
	}
}

/* Mean, first or last row of n rows of d, in double */
static void
PoolRows(const float *h, int n, int d, LlmPooling pooling, double *out)
{
	for (int j = 0; j < d; j++)
	{
		out[j] = 0;
		if (pooling == LLM_POOLING_MEAN)
		{
			for (int i = 0; i < n; i++)
				out[j] += h[(size_t) i * d + j];
			out[j] /= n;
		}
		else
			out[j] = h[(size_t) (pooling == LLM_POOLING_CLS ? 0 : n - 1) * d + j];
	}
}

/* Check the pooled embedding of a model against its hidden states. */
static void
CheckPooling(const char *path, LlmPooling pooling, LlmModelKind kind)
{
	int32_t		toks[20] = {101, 2320, 2588, 1037, 2051, 1010, 2045, 2001, 1037, 2210,
	2611, 2315, 7094, 1012, 4242, 2000, 3000, 4000, 5000, 102};
	LlmModel   *m = Load(path);
	LlmContext *ctx;
	LlmError	err;
	float	   *hidden;
	float	   *raw;
	float	   *unit;
	double	   *want;
	double		norm = 0;
	double		worst = 0;
	int			d;

	if (m == NULL)
		return;
	d = m->hp.n_embd;
	if (m->hp.n_vocab < 30000)
		for (int i = 0; i < 20; i++)
			toks[i] = 3 + toks[i] % 500;
	CHECK(m->hp.pooling == pooling && m->kind == kind, "%s: pooling %s, kind %s", path,
		  LlmPoolingName(m->hp.pooling), LlmModelKindName(m->kind));
	hidden = malloc(sizeof(float) * 20 * d);
	raw = malloc(sizeof(float) * d);
	unit = malloc(sizeof(float) * d);
	want = malloc(sizeof(double) * d);
	LlmContextCreate(m, 64, 0, &ctx, &err);
	CHECK(LlmDecodeHidden(ctx, toks, 20, hidden, &err) == LLM_OK, "hidden: %s", err.message);
	CHECK(LlmEmbedPooled(ctx, toks, 20, false, raw, &err) == LLM_OK, "pooled: %s", err.message);
	CHECK(LlmEmbedPooled(ctx, toks, 20, true, unit, &err) == LLM_OK, "unit: %s", err.message);
	PoolRows(hidden, 20, d, pooling, want);
	for (int j = 0; j < d; j++)
	{
		worst = fmax(worst, fabs(raw[j] - want[j]));
		norm += (double) unit[j] * unit[j];
	}
	CHECK(worst < 1e-5, "%s: the %s pooled vector of the hidden states (%g)", path,
		  LlmPoolingName(pooling), worst);
	CHECK(fabs(norm - 1.0) < 1e-5, "%s: normalized to unit length (%g)", path, norm);
	free(hidden);
	free(raw);
	free(unit);
	free(want);
	LlmContextFree(ctx);
	LlmModelFree(m);
}

/*
 * Pooling types from the file: bert's mean, cls and last; none refused;
 * a decoder with a pooling type (Qwen3-Embedding: last) is an embedding
 * model, without one a generative model pooling the mean.  A batch of
 * bert inputs embeds each with the bits it gets alone.
 */
static void
TestPooling(void)
{
	const Edit	cls[] = {SET_U32("bert.pooling_type", 2), EDITS_END};
	const Edit	last[] = {SET_U32("bert.pooling_type", 3), EDITS_END};
	const Edit	none[] = {SET_U32("bert.pooling_type", 0), EDITS_END};
	const Edit	rank[] = {SET_U32("bert.pooling_type", 4), EDITS_END};
	const Edit	qwen_last[] = {SET_U32("qwen3.pooling_type", 3), EDITS_END};
	LlmModel   *m;
	LlmContext *ctx;
	LlmError	err;
	float		v[128];
	int32_t		toks[3] = {101, 2000, 102};

	CheckPooling(ARCHS "syn-bert.F32.gguf", LLM_POOLING_MEAN, LLM_KIND_EMBEDDING);
	if (CopyModel(ARCHS "syn-bert.F32.gguf", TMP "bert-cls.gguf", cls))
		CheckPooling(TMP "bert-cls.gguf", LLM_POOLING_CLS, LLM_KIND_EMBEDDING);
	if (CopyModel(ARCHS "syn-bert.F32.gguf", TMP "bert-last.gguf", last))
		CheckPooling(TMP "bert-last.gguf", LLM_POOLING_LAST, LLM_KIND_EMBEDDING);
	CheckPooling(ARCHS "syn-qwen3.F32.gguf", LLM_POOLING_MEAN, LLM_KIND_GENERATIVE);
	if (CopyModel(ARCHS "syn-qwen3.F32.gguf", TMP "qwen3-last.gguf", qwen_last))
		CheckPooling(TMP "qwen3-last.gguf", LLM_POOLING_LAST, LLM_KIND_EMBEDDING);

	if (CopyModel(ARCHS "syn-bert.F32.gguf", TMP "bert-none.gguf", none) &&
		(m = Load(TMP "bert-none.gguf")) != NULL)
	{
		LlmContextCreate(m, 64, 0, &ctx, &err);
		CHECK(LlmEmbedTokens(ctx, toks, 3, v, &err) == LLM_ERR_UNSUPPORTED &&
			  strstr(err.message, "pooling type is none") != NULL,
			  "pooling none has no single embedding: %s", err.message);
		LlmContextFree(ctx);
		LlmModelFree(m);
	}
	if (CopyModel(ARCHS "syn-bert.F32.gguf", TMP "bert-rank.gguf", rank))
		CHECK(LlmModelLoad(TMP "bert-rank.gguf", &m, &err) == LLM_ERR_UNSUPPORTED &&
			  strstr(err.message, "rank") != NULL, "rank pooling is refused: %s", err.message);

	/* a batch of encoder inputs, each whole in its chunk */
	if ((m = Load(ARCHS "syn-bert.Q8_0.gguf")) != NULL)
	{
		int32_t		in[3][40];
		const int32_t *ptr[3] = {in[0], in[1], in[2]};
		int			lens[3] = {40, 7, 30};
		float		alone[3][128];
		float		batch[3][128];
		LlmContext *many;

		for (int i = 0; i < 3; i++)
			for (int j = 0; j < lens[i]; j++)
				in[i][j] = j == 0 ? 101 : j == lens[i] - 1 ? 102 : 1000 + (i * 977 + j * 131) % 29000;
		LlmContextCreate(m, 64, 0, &ctx, &err);
		for (int i = 0; i < 3; i++)
			CHECK(LlmEmbedTokens(ctx, in[i], lens[i], alone[i], &err) == LLM_OK, "alone: %s",
				  err.message);
		/* a batch of 64 rows: the third input does not fit after the first two */
		CHECK(LlmContextCreateSeq(m, 64, 64, 3, &many, &err) == LLM_OK, "context: %s", err.message);
		CHECK(LlmEmbedBatch(many, ptr, lens, 3, &batch[0][0], &err) == LLM_OK, "batch: %s",
			  err.message);
		CHECK(memcmp(alone, batch, sizeof(alone)) == 0,
			  "a batch of encoder inputs embeds each with its bits alone");
		LlmContextFree(ctx);
		LlmContextFree(many);
		LlmModelFree(m);
	}
}

/*
 * YaRN: the rope angles of a YaRN file against the scaled rotary
 * embedding computed here in double from its definition (the ramp between
 * the correction dimensions, the magnitude 0.1 ln(s) + 1), and the
 * parameters llama.cpp derives (ext_factor 1, corr_dims, attn_factor).
 */
static void
TestYarn(void)
{
	const Edit	yarn[] = {
		SET_STR("qwen3.rope.scaling.type", "yarn"),
		SET_F32("qwen3.rope.scaling.factor", 4.0),
		SET_U32("qwen3.rope.scaling.original_context_length", 128),
		EDITS_END
	};
	const double base = 1e6;
	const double s = 4.0;
	const int	d = 64;
	const int	orig = 128;
	LlmModel   *m;
	const LlmRopeParams *rp;
	double		low;
	double		high;
	float		cs[64];
	double		worst = 0;

	if (!CopyModel(ARCHS "syn-qwen3.F32.gguf", TMP "qwen3-yarn.gguf", yarn) ||
		(m = Load(TMP "qwen3-yarn.gguf")) == NULL)
		return;
	rp = &m->layers[0].rope;
	/* the correction range: the pairs that turn 32 and 1 times over orig */
	low = floor(d * log(orig / (32.0 * 2 * M_PI)) / (2 * log(base)));
	high = ceil(d * log(orig / (1.0 * 2 * M_PI)) / (2 * log(base)));
	low = fmax(low, 0);
	high = fmin(high, d - 1);
	CHECK(rp->ext_factor == 1.0f && fabs(rp->freq_scale - 0.25) < 1e-7,
		  "yarn: ext_factor 1, freq_scale 1/4 (%g, %g)", rp->ext_factor, rp->freq_scale);
	CHECK(rp->corr_dims[0] == low && rp->corr_dims[1] == high,
		  "correction dims %g..%g, expected %g..%g", rp->corr_dims[0], rp->corr_dims[1], low, high);
	CHECK(fabs(rp->attn_factor - 1.0) < 1e-6,
		  "llama.cpp divides YaRN's magnitude back out of attn_factor (%g)", rp->attn_factor);

	for (int pos = 0; pos <= 1000; pos += 37)
	{
		LlmRopeAngles(cs, pos, rp, NULL);
		for (int i = 0; i < d / 2; i++)
		{
			double		freq = pow(base, -2.0 * i / d);
			double		ramp = fmin(1, fmax(0, (i - low) / fmax(0.001, high - low)));
			double		extrap = 1 - ramp;	/* 1: the pair keeps its frequency */
			double		inv = freq / s * (1 - extrap) + freq * extrap;
			double		mscale = 0.1 * log(s) + 1;

			worst = fmax(worst, fabs(cs[2 * i] - cos(pos * inv) * mscale));
			worst = fmax(worst, fabs(cs[2 * i + 1] - sin(pos * inv) * mscale));
		}
	}
	CHECK(worst < 2e-4, "YaRN angles match their definition (worst %g at positions up to 1000)",
		  worst);
	LlmModelFree(m);
}

/* Errors each family's files and calls may meet. */
static void
TestErrors(void)
{
	const Edit	dynamic[] = {SET_STR("qwen3.rope.scaling.type", "dynamic"), EDITS_END};
	const Edit	nomic[] = {SET_STR("general.architecture", "nomic-bert"), EDITS_END};
	const struct
	{
		const char *file;
		const char *tensor;
	}			missing[] = {
		{"syn-qwen3.F32.gguf", "blk.1.attn_q_norm.weight"},
		{"syn-gemma3.F32.gguf", "blk.2.post_ffw_norm.weight"},
		{"syn-gemma3.F32.gguf", "blk.0.attn_k_norm.weight"},
		{"syn-phi3.F32.gguf", "blk.1.attn_qkv.weight"},
		{"syn-phi3.F32.gguf", "blk.2.ffn_up.weight"},
		{"syn-bert.F32.gguf", "token_types.weight"},
		{"syn-bert.F32.gguf", "position_embd.weight"},
		{"syn-bert.F32.gguf", "blk.1.attn_output_norm.bias"},
		{"syn-bert.F32.gguf", "blk.0.ffn_down.bias"},
	};
	LlmModel   *m;
	LlmContext *ctx;
	LlmError	err;
	int32_t		toks[8] = {101, 2000, 2001, 2002, 2003, 2004, 2005, 102};
	float	   *out;
	LlmBatchToken items[2] = {{101, 0, true}, {102, 0, true}};

	if (CopyModel(ARCHS "syn-qwen3.F32.gguf", TMP "qwen3-dynamic.gguf", dynamic))
		CHECK(LlmModelLoad(TMP "qwen3-dynamic.gguf", &m, &err) == LLM_ERR_UNSUPPORTED &&
			  strstr(err.message, "rope scaling \"dynamic\" is not supported") != NULL,
			  "an unknown rope scaling is refused by name: %s", err.message);
	if (CopyModel(ARCHS "syn-bert.F32.gguf", TMP "nomic.gguf", nomic))
		CHECK(LlmModelLoad(TMP "nomic.gguf", &m, &err) == LLM_ERR_UNSUPPORTED &&
			  strstr(err.message, "\"nomic-bert\" is not supported") != NULL,
			  "nomic-bert is refused by name: %s", err.message);

	for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++)
	{
		const Edit	drop[] = {DROP_TENSOR(missing[i].tensor), EDITS_END};
		char		src[256];
		char		msg[160];

		snprintf(src, sizeof(src), ARCHS "%s", missing[i].file);
		snprintf(msg, sizeof(msg), "tensor %s is missing", missing[i].tensor);
		if (CopyModel(src, TMP "missing.gguf", drop))
			CHECK(LlmModelLoad(TMP "missing.gguf", &m, &err) == LLM_ERR_FORMAT &&
				  strstr(err.message, msg) != NULL,
				  "%s without %s: %s", missing[i].file, missing[i].tensor, err.message);
	}

	/* an encoder generates nothing, and sees each input whole */
	if ((m = Load(ARCHS "syn-bert.F32.gguf")) == NULL)
		return;
	out = malloc(sizeof(float) * 8 * m->hp.n_vocab);
	CHECK(m->kind == LLM_KIND_EMBEDDING && !m->hp.causal, "bert: an embedding model, not causal");
	CHECK(LlmContextCreate(m, 600, 0, &ctx, &err) == LLM_ERR_ARGUMENT &&
		  strstr(err.message, "512 positions") != NULL,
		  "no context longer than the learned positions: %s", err.message);
	LlmContextCreate(m, 64, 8, &ctx, &err);
	CHECK(LlmDecode(ctx, toks, 8, out, true, &err) == LLM_ERR_UNSUPPORTED &&
		  strstr(err.message, "encoder") != NULL, "LlmDecode on an encoder: %s", err.message);
	CHECK(LlmDecodeBatch(ctx, items, 2, out, &err) == LLM_ERR_UNSUPPORTED,
		  "LlmDecodeBatch on an encoder: %s", err.message);
	CHECK(LlmDecodeHidden(ctx, toks, 8, out, &err) == LLM_OK, "hidden states: %s", err.message);
	CHECK(LlmDecodeHidden(ctx, toks, 2, out, &err) == LLM_ERR_ARGUMENT &&
		  strstr(err.message, "cannot be continued") != NULL,
		  "an encoder's input is not continued: %s", err.message);
	LlmContextReset(ctx);
	CHECK(LlmDecodeHidden(ctx, toks, 8, out, &err) == LLM_OK, "after a reset it runs again");
	LlmContextFree(ctx);
	LlmContextCreate(m, 64, 4, &ctx, &err);
	CHECK(LlmEmbedTokens(ctx, toks, 8, out, &err) == LLM_ERR_CONTEXT &&
		  strstr(err.message, "one batch of 4") != NULL,
		  "an input longer than a batch: %s", err.message);
	LlmContextFree(ctx);
	free(out);
	LlmModelFree(m);
}

int
main(void)
{
	TestSlidingWindow();
	TestLongrope();
	TestPooling();
	TestYarn();
	TestErrors();
	return UnitSummary("archs");
}
