/*-------------------------------------------------------------------------
 *
 * test_gguf.c
 *	  Unit tests of the GGUF reader and writer.
 *
 * The writer only produces what the engine needs, so most reader tests
 * build files byte by byte with a tiny emitter: every value type, GGUF v2,
 * and a catalogue of hostile files, each of which must fail with a pinned
 * message.  Buffers handed to the reader are always exact-size heap copies
 * so that AddressSanitizer or valgrind catch a read one byte too far.
 *
 *-------------------------------------------------------------------------
 */
/* mkdtemp, opendir and access are POSIX.1-2008 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gguf.h"
#include "quant.h"
#include "unit.h"

#define SHARED_DIR "../shared"

/* per base file; build with -DMUTATION_ITERATIONS=1000000 for a long run */
#ifndef MUTATION_ITERATIONS
#define MUTATION_ITERATIONS 2000
#endif

/* ---------------------------------------------------------------------
 * A little-endian byte emitter
 * ---------------------------------------------------------------------
 */
typedef struct Emit
{
	uint8_t    *buf;
	size_t		len;
	size_t		cap;
} Emit;

static void
EmitBytes(Emit *e, const void *p, size_t n)
{
	if (e->len + n > e->cap)
	{
		size_t		cap = e->cap ? e->cap : 256;

		while (cap < e->len + n)
			cap *= 2;
		e->buf = realloc(e->buf, cap);
		if (e->buf == NULL)
		{
			fprintf(stderr, "test_gguf: out of memory\n");
			exit(2);
		}
		e->cap = cap;
	}
	if (n > 0)
		memcpy(e->buf + e->len, p, n);
	e->len += n;
}

static void
EmitLE(Emit *e, uint64_t v, int n)
{
	uint8_t		b[8];

	for (int i = 0; i < n; i++)
		b[i] = (uint8_t) (v >> (8 * i));
	EmitBytes(e, b, (size_t) n);
}

static void
EmitU8(Emit *e, uint8_t v)
{
	EmitLE(e, v, 1);
}

static void
EmitU32(Emit *e, uint32_t v)
{
	EmitLE(e, v, 4);
}

static void
EmitU64(Emit *e, uint64_t v)
{
	EmitLE(e, v, 8);
}

static void
EmitF32(Emit *e, float v)
{
	uint32_t	bits;

	memcpy(&bits, &v, 4);
	EmitU32(e, bits);
}

static void
EmitF64(Emit *e, double v)
{
	uint64_t	bits;

	memcpy(&bits, &v, 8);
	EmitU64(e, bits);
}

static void
EmitStr(Emit *e, const char *s)
{
	EmitU64(e, strlen(s));
	EmitBytes(e, s, strlen(s));
}

static void
EmitHeader(Emit *e, uint32_t version, uint64_t n_tensors, uint64_t n_kv)
{
	e->len = 0;
	EmitBytes(e, "GGUF", 4);
	EmitU32(e, version);
	EmitU64(e, n_tensors);
	EmitU64(e, n_kv);
}

static void
EmitKey(Emit *e, const char *key, uint32_t type)
{
	EmitStr(e, key);
	EmitU32(e, type);
}

/* An array key up to its element count; the elements follow. */
static void
EmitArrayKey(Emit *e, const char *key, uint32_t elem_type, uint64_t n)
{
	EmitKey(e, key, GGUF_TYPE_ARRAY);
	EmitU32(e, elem_type);
	EmitU64(e, n);
}

static void
EmitTensor(Emit *e, const char *name, uint32_t n_dims, const uint64_t *ne,
		   uint32_t type, uint64_t offset)
{
	EmitStr(e, name);
	EmitU32(e, n_dims);
	for (uint32_t j = 0; j < n_dims; j++)
		EmitU64(e, ne[j]);
	EmitU32(e, type);
	EmitU64(e, offset);
}

static void
EmitPad(Emit *e, size_t alignment)
{
	while (e->len % alignment != 0)
		EmitU8(e, 0);
}

static void
EmitFill(Emit *e, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		EmitU8(e, (uint8_t) (seed + i * 13));
}

/* ---------------------------------------------------------------------
 * Opening helpers
 * ---------------------------------------------------------------------
 */

/* Open an exact-size heap copy of buf; *copy must be freed after close. */
static LlmStatus
OpenCopy(const uint8_t *buf, size_t len, GgufFile **f, LlmError *err,
		 uint8_t **copy)
{
	*copy = malloc(len > 0 ? len : 1);
	if (*copy == NULL)
	{
		fprintf(stderr, "test_gguf: out of memory\n");
		exit(2);
	}
	if (len > 0)
		memcpy(*copy, buf, len);
	memset(err, 0, sizeof(*err));
	return GgufOpenMemory(*copy, len, f, err);
}

/* Each hostile file must fail with LLM_ERR_FORMAT and a pinned message. */
static void
ExpectFail(const char *label, const Emit *e, const char *expected)
{
	GgufFile   *f = NULL;
	LlmError	err;
	uint8_t    *copy;
	LlmStatus	status = OpenCopy(e->buf, e->len, &f, &err, &copy);

	CHECK(status == LLM_ERR_FORMAT && f == NULL &&
		  strstr(err.message, expected) != NULL,
		  "%s: status %d, message \"%s\"; expected a format error containing \"%s\"",
		  label, (int) status, status == LLM_OK ? "" : err.message, expected);
	GgufClose(f);
	free(copy);
}

static GgufFile *
ExpectOpen(const char *label, const Emit *e, uint8_t **copy)
{
	GgufFile   *f = NULL;
	LlmError	err;
	LlmStatus	status = OpenCopy(e->buf, e->len, &f, &err, copy);

	CHECK(status == LLM_OK && f != NULL, "%s: status %d: %s", label,
		  (int) status, status == LLM_OK ? "" : err.message);
	return status == LLM_OK ? f : NULL;
}

static bool
WriteFile(const char *path, const void *buf, size_t len)
{
	FILE	   *fp = fopen(path, "wb");
	bool		ok;

	if (fp == NULL)
		return false;
	ok = fwrite(buf, 1, len, fp) == len;
	return fclose(fp) == 0 && ok;
}

/* ---------------------------------------------------------------------
 * Writer round trip
 * ---------------------------------------------------------------------
 */
typedef struct FillCtx
{
	uint64_t	fail_at;		/* tensor index whose fill fails, or UINT64_MAX */
	int			calls;
	size_t		sizes[16];
} FillCtx;

static uint8_t
PatternByte(uint64_t tensor, size_t k)
{
	return (uint8_t) (tensor * 37 + k * 7 + 1);
}

static LlmStatus
FillPattern(void *arg, uint64_t i, void *dst, size_t nbytes, LlmError *err)
{
	FillCtx    *ctx = arg;

	if (ctx->calls < 16)
		ctx->sizes[ctx->calls] = nbytes;
	ctx->calls++;
	if (i == ctx->fail_at)
		return LlmSetError(err, LLM_ERR_CANCELLED, "fill stopped at tensor %d",
						   (int) i);
	for (size_t k = 0; k < nbytes; k++)
		((uint8_t *) dst)[k] = PatternByte(i, k);
	return LLM_OK;
}

typedef struct TensorSpec
{
	const char *name;
	uint32_t	type;
	uint32_t	n_dims;
	uint64_t	ne[4];
	size_t		nbytes;
} TensorSpec;

static const TensorSpec round_trip_tensors[] = {
	{"token_embd.weight", LLM_TYPE_F32, 2, {7, 3, 1, 1}, 7 * 3 * 4},
	{"blk.0.attn_norm.weight", LLM_TYPE_F32, 1, {5, 1, 1, 1}, 20},
	{"blk.0.attn_q.weight", LLM_TYPE_F16, 2, {16, 2, 1, 1}, 64},
	{"blk.0.ffn_up.weight", LLM_TYPE_Q8_0, 2, {64, 3, 1, 1}, 2 * 34 * 3},
	{"blk.0.ffn_down.weight", LLM_TYPE_Q4_K, 3, {256, 2, 2, 1}, 144 * 4},
	{"empty.weight", LLM_TYPE_F32, 2, {0, 3, 1, 1}, 0},
	{"output.weight", LLM_TYPE_BF16, 4, {2, 2, 2, 3}, 2 * 2 * 2 * 3 * 2},
};

#define N_ROUND_TRIP (sizeof(round_trip_tensors) / sizeof(round_trip_tensors[0]))

static void
CheckRoundTripFile(const char *path, size_t alignment)
{
	GgufFile   *f = NULL;
	LlmError	err = {0};
	uint32_t	u32;
	int64_t		i64;
	float		f32;
	bool		b;
	GgufString	s;
	const GgufKV *kv;

	CHECK(GgufOpen(path, &f, &err) == LLM_OK, "open written file: %s",
		  err.message);
	if (f == NULL)
		return;

	CHECK(f->version == 3, "written version %u", f->version);
	CHECK(f->mapped, "GgufOpen maps the file");
	CHECK(f->alignment == alignment, "alignment %zu", f->alignment);
	CHECK(f->data_offset % alignment == 0, "data offset %zu aligned",
		  f->data_offset);
	CHECK(f->n_tensors == N_ROUND_TRIP, "n_tensors %llu",
		  (unsigned long long) f->n_tensors);

	CHECK(GgufGetU32(f, "test.u32", &u32) && u32 == 4000000000u, "u32");
	CHECK(GgufGetI64(f, "test.i32", &i64) && i64 == -123456, "i32");
	CHECK(!GgufGetU32(f, "test.i32", &u32), "negative i32 is no u32");
	CHECK(GgufGetF32(f, "test.f32", &f32) && f32 == 0.125f, "f32");
	CHECK(GgufGetBool(f, "test.true", &b) && b, "bool true");
	CHECK(GgufGetBool(f, "test.false", &b) && !b, "bool false");
	CHECK(GgufGetString(f, "general.name", &s) && GgufStrEq(s, "round trip"),
		  "string");
	CHECK(GgufGetString(f, "test.empty", &s) && s.len == 0, "empty string");
	CHECK(GgufGetU32(f, "test.replaced", &u32) && u32 == 2,
		  "a key set twice keeps the last value");

	{
		int			count = 0;

		for (uint64_t i = 0; i < f->n_kv; i++)
			count += GgufStrEq(f->kv[i].key, "test.replaced");
		CHECK(count == 1, "a key set twice is written once (%d)", count);
	}

	kv = GgufGetArray(f, "tokenizer.ggml.tokens", GGUF_TYPE_STRING);
	CHECK(kv != NULL && kv->v.arr.len == 4 &&
		  GgufStrEq(kv->v.arr.strings[0], "<s>") &&
		  GgufStrEq(kv->v.arr.strings[1], "") &&
		  GgufStrEq(kv->v.arr.strings[2], "h\xc3\xa9llo") &&
		  GgufStrEq(kv->v.arr.strings[3], "\xe2\x96\x81the"),
		  "string array");
	CHECK(GgufGetArray(f, "test.no_strings", GGUF_TYPE_STRING) != NULL &&
		  GgufGetArray(f, "test.no_strings", GGUF_TYPE_STRING)->v.arr.len == 0,
		  "empty string array");

	kv = GgufGetArray(f, "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32);
	if (kv != NULL && kv->v.arr.len == 3)
	{
		float		v[3];

		memcpy(v, kv->v.arr.data, sizeof(v));
		CHECK(v[0] == -1.5f && v[1] == 0.0f && v[2] == 1e-6f, "f32 array values");
	}
	else
		CHECK(false, "f32 array");

	kv = GgufGetArray(f, "tokenizer.ggml.token_type", GGUF_TYPE_INT32);
	if (kv != NULL && kv->v.arr.len == 3)
	{
		int32_t		v[3];

		memcpy(v, kv->v.arr.data, sizeof(v));
		CHECK(v[0] == 1 && v[1] == -2 && v[2] == INT32_MAX, "i32 array values");
	}
	else
		CHECK(false, "i32 array");
	CHECK(GgufGetArray(f, "tokenizer.ggml.token_type", GGUF_TYPE_UINT32) == NULL,
		  "array element type must match");

	for (size_t i = 0; i < N_ROUND_TRIP && i < f->n_tensors; i++)
	{
		const TensorSpec *spec = &round_trip_tensors[i];
		const GgufTensor *t = GgufFindTensor(f, spec->name);
		bool		same = true;

		CHECK(t == &f->tensors[i], "tensor %s found in order", spec->name);
		if (t == NULL)
			continue;
		CHECK(t->type == spec->type && t->n_dims == spec->n_dims &&
			  t->ne[0] == spec->ne[0] && t->ne[1] == spec->ne[1] &&
			  t->ne[2] == spec->ne[2] && t->ne[3] == spec->ne[3],
			  "tensor %s shape and type", spec->name);
		CHECK(t->nbytes == spec->nbytes, "tensor %s: %zu bytes, expected %zu",
			  spec->name, t->nbytes, spec->nbytes);
		CHECK((uintptr_t) t->data % alignment == 0,
			  "tensor %s data pointer aligned", spec->name);
		CHECK(t->offset % alignment == 0, "tensor %s offset aligned",
			  spec->name);
		for (size_t k = 0; k < t->nbytes && same; k++)
			same = ((const uint8_t *) t->data)[k] == PatternByte(i, k);
		CHECK(same, "tensor %s data bytes", spec->name);
	}
	CHECK(GgufFindTensor(f, "missing") == NULL, "missing tensor");
	GgufClose(f);
}

static GgufWriter *
MakeRoundTripWriter(void)
{
	static const char *const tokens[] = {"<s>", "", "h\xc3\xa9llo",
	"\xe2\x96\x81the"};
	static const float scores[] = {-1.5f, 0.0f, 1e-6f};
	static const int32_t types[] = {1, -2, INT32_MAX};
	GgufWriter *w = GgufWriterCreate();

	GgufWriterSetString(w, "general.name", "round trip");
	GgufWriterSetU32(w, "test.u32", 4000000000u);
	GgufWriterSetI32(w, "test.i32", -123456);
	GgufWriterSetF32(w, "test.f32", 0.125f);
	GgufWriterSetBool(w, "test.true", true);
	GgufWriterSetBool(w, "test.false", false);
	GgufWriterSetString(w, "test.empty", "");
	GgufWriterSetU32(w, "test.replaced", 1);
	GgufWriterSetStringArray(w, "tokenizer.ggml.tokens", tokens, 4);
	GgufWriterSetStringArray(w, "test.no_strings", NULL, 0);
	GgufWriterSetF32Array(w, "tokenizer.ggml.scores", scores, 3);
	GgufWriterSetI32Array(w, "tokenizer.ggml.token_type", types, 3);
	GgufWriterSetU32(w, "test.replaced", 2);
	for (size_t i = 0; i < N_ROUND_TRIP; i++)
	{
		const TensorSpec *spec = &round_trip_tensors[i];

		GgufWriterAddTensor(w, spec->name, spec->type, spec->n_dims, spec->ne);
	}
	return w;
}

static void
TestRoundTrip(const char *dir)
{
	char		path[512];
	GgufWriter *w;
	FillCtx		ctx = {UINT64_MAX, 0, {0}};
	LlmError	err = {0};
	LlmStatus	status;

	snprintf(path, sizeof(path), "%s/round_trip.gguf", dir);
	w = MakeRoundTripWriter();
	status = GgufWriterWrite(w, path, FillPattern, &ctx, &err);
	CHECK(status == LLM_OK, "write: %s", err.message);
	CHECK(ctx.calls == (int) N_ROUND_TRIP, "fill called %d times", ctx.calls);
	for (size_t i = 0; i < N_ROUND_TRIP; i++)
		CHECK(ctx.sizes[i] == round_trip_tensors[i].nbytes,
			  "fill of tensor %zu asked for %zu bytes", i, ctx.sizes[i]);
	GgufWriterFree(w);
	if (status == LLM_OK)
		CheckRoundTripFile(path, 32);

	/* a custom alignment is honoured by the writer and the reader */
	w = MakeRoundTripWriter();
	GgufWriterSetU32(w, "general.alignment", 64);
	ctx.calls = 0;
	status = GgufWriterWrite(w, path, FillPattern, &ctx, &err);
	CHECK(status == LLM_OK, "write with alignment 64: %s", err.message);
	GgufWriterFree(w);
	if (status == LLM_OK)
		CheckRoundTripFile(path, 64);
	unlink(path);
}

/*
 * A writer given a bad argument must refuse to write, with LLM_ERR_ARGUMENT
 * and a message containing expected.  Frees w.
 */
static void
ExpectWriterError(const char *label, GgufWriter *w, const char *path,
				  const char *expected)
{
	FillCtx		ctx = {UINT64_MAX, 0, {0}};
	LlmError	err = {0};
	LlmStatus	status = GgufWriterWrite(w, path, FillPattern, &ctx, &err);

	CHECK(status == LLM_ERR_ARGUMENT && strstr(err.message, expected) != NULL,
		  "%s: %d %s", label, (int) status, err.message);
	GgufWriterFree(w);
}

static void
TestWriterErrors(const char *dir)
{
	char		path[512];
	GgufWriter *w;
	FillCtx		ctx = {UINT64_MAX, 0, {0}};
	LlmError	err = {0};
	LlmStatus	status;
	struct stat st;
	static const uint64_t ne33[] = {33, 2};
	static const uint64_t ne32[] = {32, 2};
	char		long_name[65];

	snprintf(path, sizeof(path), "%s/writer_errors.gguf", dir);

	/* a row that is not whole blocks */
	w = GgufWriterCreate();
	GgufWriterAddTensor(w, "a", LLM_TYPE_Q8_0, 2, ne33);
	ExpectWriterError("writer block size", w, path, "not a multiple of the block size 32");

	/* duplicate tensor name, unknown type, bad n_dims, long name */
	w = GgufWriterCreate();
	GgufWriterAddTensor(w, "a", LLM_TYPE_F32, 2, ne32);
	GgufWriterAddTensor(w, "a", LLM_TYPE_F32, 2, ne32);
	ExpectWriterError("writer duplicate", w, path, "duplicate tensor name \"a\"");

	w = GgufWriterCreate();
	GgufWriterAddTensor(w, "a", 77, 2, ne32);
	ExpectWriterError("writer type", w, path, "unknown type id 77");

	w = GgufWriterCreate();
	GgufWriterAddTensor(w, "a", LLM_TYPE_F32, 5, ne32);
	ExpectWriterError("writer n_dims", w, path, "n_dims 5");

	memset(long_name, 'n', 64);
	long_name[64] = '\0';
	w = GgufWriterCreate();
	GgufWriterAddTensor(w, long_name, LLM_TYPE_F32, 2, ne32);
	ExpectWriterError("writer long name", w, path, "longer than 63");

	/* sizes the reader would refuse: a dimension past INT64_MAX, bytes past size_t */
	{
		static const uint64_t huge_dim[] = {32, UINT64_C(1) << 63};
		static const uint64_t huge_row[] = {UINT64_C(1) << 62, 1};

		w = GgufWriterCreate();
		GgufWriterAddTensor(w, "a", LLM_TYPE_F32, 2, huge_dim);
		ExpectWriterError("writer dimension", w, path, "tensor \"a\": its data size overflows");
		w = GgufWriterCreate();
		GgufWriterAddTensor(w, "a", LLM_TYPE_F32, 2, huge_row);
		ExpectWriterError("writer byte size", w, path, "tensor \"a\": its data size overflows");
	}

	w = GgufWriterCreate();
	GgufWriterSetU32(w, "general.alignment", 48);
	ExpectWriterError("writer alignment", w, path, "not a power of two");

	w = GgufWriterCreate();
	GgufWriterSetI32(w, "general.alignment", 32);
	ExpectWriterError("writer alignment type", w, path, "must be uint32");

	/* a failing fill is passed through and leaves no partial file */
	w = MakeRoundTripWriter();
	ctx.fail_at = 2;
	status = GgufWriterWrite(w, path, FillPattern, &ctx, &err);
	CHECK(status == LLM_ERR_CANCELLED &&
		  strcmp(err.message, "fill stopped at tensor 2") == 0,
		  "fill failure: %d %s", (int) status, err.message);
	CHECK(stat(path, &st) != 0 && errno == ENOENT,
		  "a failed write removes its partial file");

	/* a directory that does not exist */
	ctx.fail_at = UINT64_MAX;
	snprintf(path, sizeof(path), "%s/no/such/dir.gguf", dir);
	status = GgufWriterWrite(w, path, FillPattern, &ctx, &err);
	CHECK(status == LLM_ERR_IO && strstr(err.message, "cannot create") != NULL &&
		  strstr(err.message, strerror(ENOENT)) != NULL,
		  "unwritable path: %d %s", (int) status, err.message);

	/* a full disk */
	if (access("/dev/full", W_OK) == 0)
	{
		status = GgufWriterWrite(w, "/dev/full", FillPattern, &ctx, &err);
		CHECK(status == LLM_ERR_IO &&
			  strstr(err.message, strerror(ENOSPC)) != NULL,
			  "ENOSPC: %d %s", (int) status, err.message);
		CHECK(access("/dev/full", F_OK) == 0, "/dev/full left alone");
	}
	GgufWriterFree(w);

	/* a writer that could not be created */
	status = GgufWriterWrite(NULL, path, FillPattern, &ctx, &err);
	CHECK(status == LLM_ERR_NOMEM, "NULL writer: %d", (int) status);

	/* no tensors, no fill function: fine */
	snprintf(path, sizeof(path), "%s/metadata_only.gguf", dir);
	w = GgufWriterCreate();
	GgufWriterSetString(w, "general.architecture", "llama");
	status = GgufWriterWrite(w, path, NULL, NULL, &err);
	CHECK(status == LLM_OK, "metadata-only write: %s", err.message);
	GgufWriterFree(w);
	{
		GgufFile   *f = NULL;

		CHECK(GgufOpen(path, &f, &err) == LLM_OK && f->n_tensors == 0 &&
			  f->n_kv == 1, "metadata-only file opens");
		GgufClose(f);
	}
	unlink(path);
}

/* ---------------------------------------------------------------------
 * Every value type, and v2
 * ---------------------------------------------------------------------
 */
static void
BuildAllTypes(Emit *e, uint32_t version)
{
	EmitHeader(e, version, 0, 29);
	EmitKey(e, "t.u8", GGUF_TYPE_UINT8);
	EmitU8(e, 200);
	EmitKey(e, "t.i8", GGUF_TYPE_INT8);
	EmitU8(e, (uint8_t) -5);
	EmitKey(e, "t.u16", GGUF_TYPE_UINT16);
	EmitLE(e, 60000, 2);
	EmitKey(e, "t.i16", GGUF_TYPE_INT16);
	EmitLE(e, (uint16_t) -300, 2);
	EmitKey(e, "t.u32", GGUF_TYPE_UINT32);
	EmitU32(e, 4000000000u);
	EmitKey(e, "t.i32", GGUF_TYPE_INT32);
	EmitU32(e, (uint32_t) -7);
	EmitKey(e, "t.f32", GGUF_TYPE_FLOAT32);
	EmitF32(e, 0.25f);
	EmitKey(e, "t.bool", GGUF_TYPE_BOOL);
	EmitU8(e, 1);
	EmitKey(e, "t.str", GGUF_TYPE_STRING);
	EmitStr(e, "h\xc3\xa9llo");
	EmitKey(e, "t.u64", GGUF_TYPE_UINT64);
	EmitU64(e, 5);
	EmitKey(e, "t.u64big", GGUF_TYPE_UINT64);
	EmitU64(e, UINT64_C(1) << 40);
	EmitKey(e, "t.u64max", GGUF_TYPE_UINT64);
	EmitU64(e, UINT64_MAX);
	EmitKey(e, "t.i64", GGUF_TYPE_INT64);
	EmitU64(e, (uint64_t) -1);
	EmitKey(e, "t.i64min", GGUF_TYPE_INT64);
	EmitU64(e, (uint64_t) INT64_MIN);
	EmitKey(e, "t.f64", GGUF_TYPE_FLOAT64);
	EmitF64(e, 1.5);
	EmitKey(e, "t.f64huge", GGUF_TYPE_FLOAT64);
	EmitF64(e, 1e300);

	/* arrays of every element type but array */
	EmitArrayKey(e, "a.u8", GGUF_TYPE_UINT8, 3);
	EmitU8(e, 1);
	EmitU8(e, 2);
	EmitU8(e, 255);
	EmitArrayKey(e, "a.i8", GGUF_TYPE_INT8, 2);
	EmitU8(e, (uint8_t) -1);
	EmitU8(e, 127);
	EmitArrayKey(e, "a.u16", GGUF_TYPE_UINT16, 2);
	EmitLE(e, 1, 2);
	EmitLE(e, 65535, 2);
	EmitArrayKey(e, "a.i16", GGUF_TYPE_INT16, 1);
	EmitLE(e, (uint16_t) -2, 2);
	EmitArrayKey(e, "a.u32", GGUF_TYPE_UINT32, 2);
	EmitU32(e, 7);
	EmitU32(e, UINT32_MAX);
	EmitArrayKey(e, "a.i32", GGUF_TYPE_INT32, 1);
	EmitU32(e, (uint32_t) -9);
	EmitArrayKey(e, "a.f32", GGUF_TYPE_FLOAT32, 2);
	EmitF32(e, 3.5f);
	EmitF32(e, -0.5f);
	EmitArrayKey(e, "a.bool", GGUF_TYPE_BOOL, 3);
	EmitU8(e, 1);
	EmitU8(e, 0);
	EmitU8(e, 1);
	EmitArrayKey(e, "a.str", GGUF_TYPE_STRING, 3);
	EmitStr(e, "x");
	EmitStr(e, "");
	EmitStr(e, "yz");
	EmitArrayKey(e, "a.u64", GGUF_TYPE_UINT64, 1);
	EmitU64(e, UINT64_C(1) << 50);
	EmitArrayKey(e, "a.i64", GGUF_TYPE_INT64, 1);
	EmitU64(e, (uint64_t) -3);
	EmitArrayKey(e, "a.f64", GGUF_TYPE_FLOAT64, 1);
	EmitF64(e, -2.25);
	EmitArrayKey(e, "a.empty", GGUF_TYPE_UINT32, 0);
}

static void
TestAllTypes(void)
{
	Emit		e = {0};
	uint8_t    *copy;
	GgufFile   *f;
	uint32_t	u32;
	int64_t		i64;
	float		f32;
	bool		b;
	GgufString	s;
	const GgufKV *kv;

	for (uint32_t version = 2; version <= 3; version++)
	{
		BuildAllTypes(&e, version);
		f = ExpectOpen(version == 2 ? "all types v2" : "all types v3", &e, &copy);
		if (f == NULL)
		{
			free(copy);
			continue;
		}
		CHECK(f->version == version, "version %u", f->version);
		CHECK(f->n_kv == 29 && f->n_tensors == 0, "counts");

		/* raw values */
		CHECK(GgufFind(f, "t.u8")->type == GGUF_TYPE_UINT8 &&
			  GgufFind(f, "t.u8")->v.u64 == 200, "u8");
		CHECK(GgufFind(f, "t.i8")->v.i64 == -5, "i8");
		CHECK(GgufFind(f, "t.u16")->v.u64 == 60000, "u16");
		CHECK(GgufFind(f, "t.i16")->v.i64 == -300, "i16");
		CHECK(GgufFind(f, "t.u32")->v.u64 == 4000000000u, "u32");
		CHECK(GgufFind(f, "t.i32")->v.i64 == -7, "i32");
		CHECK(GgufFind(f, "t.f32")->v.f64 == 0.25, "f32");
		CHECK(GgufFind(f, "t.bool")->v.u64 == 1, "bool");
		CHECK(GgufStrEq(GgufFind(f, "t.str")->v.str, "h\xc3\xa9llo"), "string");
		CHECK(GgufFind(f, "t.u64")->v.u64 == 5, "u64");
		CHECK(GgufFind(f, "t.i64")->v.i64 == -1, "i64");
		CHECK(GgufFind(f, "t.i64min")->v.i64 == INT64_MIN, "i64 min");
		CHECK(GgufFind(f, "t.f64")->type == GGUF_TYPE_FLOAT64 &&
			  GgufFind(f, "t.f64")->v.f64 == 1.5, "f64");

		/* GgufGetU32 range conversions */
		CHECK(GgufGetU32(f, "t.u8", &u32) && u32 == 200, "u32 from u8");
		CHECK(GgufGetU32(f, "t.u16", &u32) && u32 == 60000, "u32 from u16");
		CHECK(GgufGetU32(f, "t.u32", &u32) && u32 == 4000000000u, "u32 from u32");
		CHECK(GgufGetU32(f, "t.u64", &u32) && u32 == 5, "u32 from u64 5");
		CHECK(!GgufGetU32(f, "t.u64big", &u32), "u32 from u64 2^40");
		CHECK(!GgufGetU32(f, "t.i64", &u32), "u32 from i64 -1");
		CHECK(!GgufGetU32(f, "t.i8", &u32), "u32 from i8 -5");
		CHECK(!GgufGetU32(f, "t.f32", &u32), "u32 from f32");
		CHECK(!GgufGetU32(f, "t.bool", &u32), "u32 from bool");
		CHECK(!GgufGetU32(f, "t.str", &u32), "u32 from string");
		CHECK(!GgufGetU32(f, "a.u32", &u32), "u32 from array");
		CHECK(!GgufGetU32(f, "missing", &u32), "u32 missing");

		/* GgufGetI64 */
		CHECK(GgufGetI64(f, "t.i8", &i64) && i64 == -5, "i64 from i8");
		CHECK(GgufGetI64(f, "t.i16", &i64) && i64 == -300, "i64 from i16");
		CHECK(GgufGetI64(f, "t.i32", &i64) && i64 == -7, "i64 from i32");
		CHECK(GgufGetI64(f, "t.i64min", &i64) && i64 == INT64_MIN, "i64 min");
		CHECK(GgufGetI64(f, "t.u64big", &i64) && i64 == INT64_C(1) << 40,
			  "i64 from u64");
		CHECK(!GgufGetI64(f, "t.u64max", &i64), "i64 from u64 max");
		CHECK(!GgufGetI64(f, "t.f64", &i64), "i64 from f64");

		/* floats, bools, strings */
		CHECK(GgufGetF32(f, "t.f32", &f32) && f32 == 0.25f, "f32 getter");
		CHECK(GgufGetF32(f, "t.f64", &f32) && f32 == 1.5f, "f32 from f64");
		CHECK(!GgufGetF32(f, "t.f64huge", &f32), "f32 from 1e300");
		CHECK(!GgufGetF32(f, "t.u32", &f32), "f32 from u32");
		CHECK(GgufGetBool(f, "t.bool", &b) && b, "bool getter");
		CHECK(!GgufGetBool(f, "t.u8", &b), "bool from u8");
		CHECK(GgufGetString(f, "t.str", &s) && s.len == 6, "string getter");
		CHECK(!GgufGetString(f, "t.u8", &s), "string from u8");

		/* arrays */
		kv = GgufGetArray(f, "a.u8", GGUF_TYPE_UINT8);
		CHECK(kv && kv->v.arr.len == 3 &&
			  memcmp(kv->v.arr.data, "\x01\x02\xff", 3) == 0, "u8 array");
		kv = GgufGetArray(f, "a.i8", GGUF_TYPE_INT8);
		CHECK(kv && kv->v.arr.len == 2 &&
			  ((const int8_t *) kv->v.arr.data)[0] == -1, "i8 array");
		kv = GgufGetArray(f, "a.u16", GGUF_TYPE_UINT16);
		CHECK(kv && kv->v.arr.len == 2 &&
			  memcmp(kv->v.arr.data, "\x01\x00\xff\xff", 4) == 0, "u16 array");
		kv = GgufGetArray(f, "a.i16", GGUF_TYPE_INT16);
		CHECK(kv && kv->v.arr.len == 1 &&
			  memcmp(kv->v.arr.data, "\xfe\xff", 2) == 0, "i16 array");
		kv = GgufGetArray(f, "a.u32", GGUF_TYPE_UINT32);
		CHECK(kv && kv->v.arr.len == 2 &&
			  memcmp(kv->v.arr.data, "\x07\0\0\0\xff\xff\xff\xff", 8) == 0,
			  "u32 array");
		kv = GgufGetArray(f, "a.i32", GGUF_TYPE_INT32);
		CHECK(kv && kv->v.arr.len == 1, "i32 array");
		kv = GgufGetArray(f, "a.f32", GGUF_TYPE_FLOAT32);
		if (kv && kv->v.arr.len == 2)
		{
			float		v[2];

			memcpy(v, kv->v.arr.data, sizeof(v));
			CHECK(v[0] == 3.5f && v[1] == -0.5f, "f32 array values");
		}
		else
			CHECK(false, "f32 array");
		kv = GgufGetArray(f, "a.bool", GGUF_TYPE_BOOL);
		CHECK(kv && kv->v.arr.len == 3 &&
			  memcmp(kv->v.arr.data, "\x01\x00\x01", 3) == 0, "bool array");
		kv = GgufGetArray(f, "a.str", GGUF_TYPE_STRING);
		CHECK(kv && kv->v.arr.len == 3 && GgufStrEq(kv->v.arr.strings[0], "x") &&
			  GgufStrEq(kv->v.arr.strings[1], "") &&
			  GgufStrEq(kv->v.arr.strings[2], "yz"), "string array");
		kv = GgufGetArray(f, "a.u64", GGUF_TYPE_UINT64);
		CHECK(kv && kv->v.arr.len == 1, "u64 array");
		kv = GgufGetArray(f, "a.i64", GGUF_TYPE_INT64);
		CHECK(kv && kv->v.arr.len == 1, "i64 array");
		kv = GgufGetArray(f, "a.f64", GGUF_TYPE_FLOAT64);
		if (kv && kv->v.arr.len == 1)
		{
			double		v;

			memcpy(&v, kv->v.arr.data, sizeof(v));
			CHECK(v == -2.25, "f64 array value");
		}
		else
			CHECK(false, "f64 array");
		kv = GgufGetArray(f, "a.empty", GGUF_TYPE_UINT32);
		CHECK(kv && kv->v.arr.len == 0, "empty array");
		CHECK(GgufGetArray(f, "a.u8", GGUF_TYPE_INT8) == NULL,
			  "array of another element type");
		CHECK(GgufGetArray(f, "t.u8", GGUF_TYPE_UINT8) == NULL,
			  "a scalar is no array");

		GgufClose(f);
		free(copy);
	}

	CHECK(strcmp(GgufTypeName(GGUF_TYPE_UINT32), "uint32") == 0 &&
		  strcmp(GgufTypeName(GGUF_TYPE_ARRAY), "array") == 0 &&
		  strcmp(GgufTypeName(GGUF_TYPE_FLOAT64), "float64") == 0 &&
		  strcmp(GgufTypeName((GgufValueType) 99), "unknown") == 0,
		  "type names");
	{
		GgufString	abc = {3, "abc"};

		CHECK(GgufStrEq(abc, "abc") && !GgufStrEq(abc, "ab") &&
			  !GgufStrEq(abc, "abcd"), "GgufStrEq");
	}
	free(e.buf);
}

/* ---------------------------------------------------------------------
 * Hostile files
 * ---------------------------------------------------------------------
 */

/*
 * A valid file whose last byte is the last byte of tensor data, so that
 * every proper prefix of it is invalid.
 */
static void
BuildSmall(Emit *e)
{
	static const uint64_t ne_embd[] = {4, 2};
	static const uint64_t ne_out[] = {32};

	EmitHeader(e, 3, 2, 5);
	EmitKey(e, "general.architecture", GGUF_TYPE_STRING);
	EmitStr(e, "llama");
	EmitKey(e, "llama.block_count", GGUF_TYPE_UINT32);
	EmitU32(e, 2);
	EmitArrayKey(e, "tokenizer.ggml.tokens", GGUF_TYPE_STRING, 3);
	EmitStr(e, "a");
	EmitStr(e, "bc");
	EmitStr(e, "");
	EmitArrayKey(e, "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32, 2);
	EmitF32(e, 1.0f);
	EmitF32(e, -1.0f);
	EmitKey(e, "general.flag", GGUF_TYPE_BOOL);
	EmitU8(e, 1);
	EmitTensor(e, "token_embd.weight", 2, ne_embd, LLM_TYPE_F32, 0);
	EmitTensor(e, "output.weight", 1, ne_out, LLM_TYPE_Q8_0, 32);
	EmitPad(e, 32);
	EmitFill(e, 32, 1);
	EmitFill(e, 34, 2);
}

/* A file with no metadata and one tensor, then data_len bytes of data. */
static void
BuildOneTensor(Emit *e, const char *name, uint32_t n_dims, const uint64_t *ne,
			   uint32_t type, uint64_t offset, size_t data_len)
{
	EmitHeader(e, 3, 1, 0);
	EmitTensor(e, name, n_dims, ne, type, offset);
	EmitPad(e, 32);
	EmitFill(e, data_len, 3);
}

/* A file whose only content is one metadata key of the given type. */
static void
BuildOneKey(Emit *e, const char *key, uint32_t type)
{
	EmitHeader(e, 3, 0, 1);
	EmitKey(e, key, type);
}

/* A file whose only content is one array key, up to its element count. */
static void
BuildOneArray(Emit *e, const char *key, uint32_t elem_type, uint64_t n)
{
	EmitHeader(e, 3, 0, 1);
	EmitArrayKey(e, key, elem_type, n);
}

static void
TestSmall(void)
{
	Emit		e = {0};
	uint8_t    *copy;
	GgufFile   *f;

	BuildSmall(&e);
	f = ExpectOpen("small file", &e, &copy);
	if (f != NULL)
	{
		const GgufTensor *t = GgufFindTensor(f, "output.weight");

		CHECK(f->data_offset % 32 == 0 && f->data_offset + 66 == e.len,
			  "small file layout");
		CHECK(t != NULL && t->nbytes == 34 &&
			  (const uint8_t *) t->data == copy + f->data_offset + 32,
			  "small file tensor");
		CHECK(!f->mapped, "memory files are not mapped");
		GgufClose(f);
	}
	free(copy);
	free(e.buf);
}

/*
 * Cut the small file at every length: each prefix must fail cleanly with a
 * format error of one of the expected kinds.
 */
static void
TestTruncation(void)
{
	static const char *const kinds[] = {
		"file truncated while reading", "exceeds the", "needs more than",
		"lies past the end of the file", "empty file",
		"is larger than the file could hold",
	};
	Emit		e = {0};
	int			bad = 0;

	BuildSmall(&e);
	for (size_t len = 0; len < e.len; len++)
	{
		GgufFile   *f = NULL;
		LlmError	err;
		uint8_t    *copy;
		LlmStatus	status = OpenCopy(e.buf, len, &f, &err, &copy);
		bool		known = false;

		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			known = known || (status != LLM_OK && strstr(err.message, kinds[k]));
		if (status != LLM_ERR_FORMAT || f != NULL || !known)
		{
			bad++;
			CHECK(false, "prefix of %zu bytes: status %d \"%s\"", len,
				  (int) status, status == LLM_OK ? "" : err.message);
		}
		GgufClose(f);
		free(copy);
	}
	CHECK(bad == 0, "all %zu prefixes rejected", e.len);

	/* two messages pinned exactly */
	{
		GgufFile   *f = NULL;
		LlmError	err;
		uint8_t    *copy;

		OpenCopy(e.buf, 10, &f, &err, &copy);
		CHECK(strcmp(err.message, "file truncated while reading the header") == 0,
			  "truncated header: %s", err.message);
		free(copy);
	}
	free(e.buf);
}

static void
TestHostile(void)
{
	Emit		e = {0};
	uint64_t	ne[4];
	char		name[80];

	/* header */
	e.len = 0;
	ExpectFail("empty file", &e, "empty file");
	EmitHeader(&e, 3, 0, 0);
	memcpy(e.buf, "GGXF", 4);
	ExpectFail("bad magic", &e, "bad magic \"GGXF\" (not a GGUF file)");
	memcpy(e.buf, "\x7f" "ELF", 4);
	ExpectFail("ELF magic", &e, "bad magic \"\\x7fELF\"");
	e.len = 2;
	memcpy(e.buf, "PK", 2);
	ExpectFail("short bad magic", &e, "bad magic \"PK\"");
	EmitHeader(&e, 1, 0, 0);
	ExpectFail("version 1", &e, "unsupported GGUF version 1 (");
	EmitHeader(&e, 0x03000000, 0, 0);
	ExpectFail("big-endian", &e, "the file looks big-endian");
	EmitHeader(&e, 7, 0, 0);
	ExpectFail("version 7", &e, "unsupported GGUF version 7");
	EmitHeader(&e, 0, 0, 0);
	ExpectFail("version 0", &e, "unsupported GGUF version 0");
	EmitHeader(&e, 3, UINT64_C(1) << 60, 0);
	ExpectFail("huge n_tensors", &e,
			   "n_tensors 1152921504606846976 is larger than the file could hold");
	EmitHeader(&e, 3, 0, UINT64_C(1) << 60);
	ExpectFail("huge n_kv", &e,
			   "n_kv 1152921504606846976 is larger than the file could hold");
	EmitHeader(&e, 3, 0, UINT64_MAX);
	ExpectFail("n_kv 2^64-1", &e, "is larger than the file could hold");

	/* metadata */
	EmitHeader(&e, 3, 0, 1);
	EmitU64(&e, UINT64_C(1) << 40);
	EmitFill(&e, 20, 0);
	ExpectFail("huge key length", &e,
			   "metadata key 0: key length 1099511627776 exceeds the 20 bytes left in the file");
	EmitHeader(&e, 3, 0, 1);
	EmitStr(&e, "");
	EmitU32(&e, GGUF_TYPE_UINT8);
	EmitU8(&e, 0);
	EmitU8(&e, 0);				/* 13 bytes could not hold any entry */
	ExpectFail("empty key", &e, "metadata key 0: empty key");

	EmitHeader(&e, 3, 0, 4);
	EmitKey(&e, "a", GGUF_TYPE_UINT8);
	EmitU8(&e, 0);
	EmitKey(&e, "b", GGUF_TYPE_UINT8);
	EmitU8(&e, 0);
	EmitKey(&e, "c", GGUF_TYPE_UINT8);
	EmitU8(&e, 0);
	EmitKey(&e, "general.name", GGUF_TYPE_STRING);
	EmitU64(&e, UINT64_C(1) << 40);
	EmitFill(&e, 120, 0);
	ExpectFail("huge string length", &e,
			   "metadata key 3 (\"general.name\"): string length 1099511627776 exceeds the 120 bytes left in the file");

	BuildOneKey(&e, "k", 13);
	EmitFill(&e, 16, 0);
	ExpectFail("invalid value type", &e,
			   "metadata key 0 (\"k\"): invalid value type id 13");
	BuildOneKey(&e, "k", UINT32_MAX);
	EmitFill(&e, 16, 0);
	ExpectFail("invalid value type 2^32-1", &e,
			   "invalid value type id 4294967295");
	BuildOneKey(&e, "k", GGUF_TYPE_BOOL);
	EmitU8(&e, 2);
	ExpectFail("bool 2", &e, "bool value 2 is neither 0 nor 1");
	BuildOneKey(&e, "k", GGUF_TYPE_UINT64);
	EmitU32(&e, 0);
	ExpectFail("truncated u64", &e,
			   "file truncated while reading metadata key 0 (\"k\")");

	BuildOneArray(&e, "k", GGUF_TYPE_UINT32, UINT64_C(1) << 62);
	EmitFill(&e, 64, 0);
	ExpectFail("huge array length", &e,
			   "array of 4611686018427387904 uint32 elements needs more than the 64 bytes left in the file");
	/* the count times 8 wraps to 8 */
	BuildOneArray(&e, "k", GGUF_TYPE_UINT64, (UINT64_C(1) << 61) + 1);
	EmitFill(&e, 64, 0);
	ExpectFail("array length times size wraps", &e, "needs more than the 64 bytes");
	BuildOneArray(&e, "k", GGUF_TYPE_STRING, UINT64_C(1) << 40);
	EmitFill(&e, 64, 0);
	ExpectFail("huge string array", &e,
			   "array of 1099511627776 strings needs more than the 64 bytes");
	BuildOneArray(&e, "k", GGUF_TYPE_STRING, 2);
	EmitStr(&e, "ok");
	EmitU64(&e, 1000);
	EmitFill(&e, 10, 0);
	ExpectFail("string array element too long", &e,
			   "array element 1: string length 1000 exceeds the 10 bytes left");
	BuildOneArray(&e, "k", 13, 1);
	EmitFill(&e, 8, 0);
	ExpectFail("invalid element type", &e, "invalid array element type id 13");
	BuildOneArray(&e, "k", GGUF_TYPE_ARRAY, 1);
	EmitU32(&e, GGUF_TYPE_UINT8);
	EmitU64(&e, 1);
	EmitU8(&e, 0);
	ExpectFail("nested array", &e,
			   "metadata key 0 (\"k\"): nested arrays are not supported");
	BuildOneArray(&e, "k", GGUF_TYPE_BOOL, 3);
	EmitU8(&e, 0);
	EmitU8(&e, 1);
	EmitU8(&e, 7);
	ExpectFail("bool array", &e, "array element 2: bool value 7 is neither 0 nor 1");

	EmitHeader(&e, 3, 0, 2);
	EmitKey(&e, "general.name", GGUF_TYPE_STRING);
	EmitStr(&e, "a");
	EmitKey(&e, "general.name", GGUF_TYPE_UINT8);
	EmitU8(&e, 1);
	ExpectFail("duplicate key", &e,
			   "metadata key 1 (\"general.name\"): duplicate key (already defined by metadata key 0)");

	/* alignment */
	{
		static const struct
		{
			const char *label;
			uint32_t	type;
			uint64_t	value;
			const char *expected;
		}			alignments[] = {
			{"alignment 48", GGUF_TYPE_UINT32, 48, "general.alignment 48 is not a power of two"},
			{"alignment 0", GGUF_TYPE_UINT32, 0, "general.alignment is 0"},
			{"alignment int32", GGUF_TYPE_INT32, 32,
			"general.alignment has type int32, but it must be uint32"},
			{"alignment uint64", GGUF_TYPE_UINT64, 32, "general.alignment has type uint64"},
		};

		for (size_t i = 0; i < sizeof(alignments) / sizeof(alignments[0]); i++)
		{
			BuildOneKey(&e, "general.alignment", alignments[i].type);
			EmitLE(&e, alignments[i].value, alignments[i].type == GGUF_TYPE_UINT64 ? 8 : 4);
			ExpectFail(alignments[i].label, &e, alignments[i].expected);
		}
	}

	/* a 64-byte alignment governs offsets and the data section */
	EmitHeader(&e, 3, 1, 1);
	EmitKey(&e, "general.alignment", GGUF_TYPE_UINT32);
	EmitU32(&e, 64);
	ne[0] = 8;
	EmitTensor(&e, "x", 1, ne, LLM_TYPE_F32, 32);
	EmitPad(&e, 64);
	EmitFill(&e, 96, 0);
	ExpectFail("offset not a multiple of 64", &e,
			   "tensor \"x\": offset 32 is not a multiple of the alignment 64");
	{
		uint8_t    *copy;
		GgufFile   *f;

		EmitHeader(&e, 3, 1, 1);
		EmitKey(&e, "general.alignment", GGUF_TYPE_UINT32);
		EmitU32(&e, 64);
		EmitTensor(&e, "x", 1, ne, LLM_TYPE_F32, 64);
		EmitPad(&e, 64);
		EmitFill(&e, 96, 0);
		f = ExpectOpen("alignment 64", &e, &copy);
		CHECK(f == NULL || (f->alignment == 64 && f->data_offset % 64 == 0 &&
							f->tensors[0].data == copy + f->data_offset + 64),
			  "alignment 64 layout");
		GgufClose(f);
		free(copy);
	}

	/*
	 * general.alignment 1 is accepted, but a tensor whose data then starts
	 * off a multiple of 4 is not: its floats would be loaded misaligned
	 * (undefined behaviour; fuzz_model under UBSan).  Here the header ends
	 * at byte 90.
	 */
	ne[0] = 8;
	EmitHeader(&e, 3, 1, 1);
	EmitKey(&e, "general.alignment", GGUF_TYPE_UINT32);
	EmitU32(&e, 1);
	EmitTensor(&e, "x", 1, ne, LLM_TYPE_F32, 0);
	EmitFill(&e, 40, 0);
	ExpectFail("alignment 1, data at byte 90", &e,
			   "tensor \"x\": data at byte 90 is not at a multiple of 4 (general.alignment is 1), so its values cannot be loaded in place");
	{
		uint8_t    *copy;
		GgufFile   *f;

		EmitHeader(&e, 3, 1, 1);
		EmitKey(&e, "general.alignment", GGUF_TYPE_UINT32);
		EmitU32(&e, 1);
		EmitTensor(&e, "x", 1, ne, LLM_TYPE_F32, 2);
		EmitFill(&e, 40, 0);
		f = ExpectOpen("alignment 1, data at byte 92", &e, &copy);
		CHECK(f == NULL || f->tensors[0].data == copy + 92, "alignment 1 layout");
		GgufClose(f);
		free(copy);
	}

	/* tensor infos */
	ne[0] = 32;
	ne[1] = 2;
	EmitHeader(&e, 3, 1, 0);
	EmitU64(&e, UINT64_C(1) << 40);
	EmitFill(&e, 40, 0);
	ExpectFail("huge name length", &e,
			   "tensor info 0: name length 1099511627776 exceeds the 40 bytes left");
	BuildOneTensor(&e, "", 2, ne, LLM_TYPE_F32, 0, 256);
	ExpectFail("empty tensor name", &e, "tensor info 0: empty tensor name");
	memset(name, 'n', 64);
	name[64] = '\0';
	BuildOneTensor(&e, name, 2, ne, LLM_TYPE_F32, 0, 256);
	ExpectFail("64-byte name", &e, "is 64 bytes long, more than the limit of 63");
	name[63] = '\0';
	{
		uint8_t    *copy;
		GgufFile   *f;

		BuildOneTensor(&e, name, 2, ne, LLM_TYPE_F32, 0, 256);
		f = ExpectOpen("63-byte name", &e, &copy);
		GgufClose(f);
		free(copy);
	}
	BuildOneTensor(&e, "x", 0, ne, LLM_TYPE_F32, 0, 256);
	ExpectFail("n_dims 0", &e, "tensor \"x\": n_dims 0 is not between 1 and 4");
	{
		uint64_t	ne5[5] = {32, 2, 1, 1, 1};

		BuildOneTensor(&e, "x", 5, ne5, LLM_TYPE_F32, 0, 256);
		ExpectFail("n_dims 5", &e, "tensor \"x\": n_dims 5 is not between 1 and 4");
	}
	{
		uint64_t	big[2] = {UINT64_C(1) << 32, UINT64_C(1) << 32};
		uint64_t	neg[2] = {UINT64_C(1) << 63, 1};
		uint64_t	bytes[1] = {UINT64_C(1) << 62};

		BuildOneTensor(&e, "x", 2, big, LLM_TYPE_F32, 0, 64);
		ExpectFail("ne product overflow", &e,
				   "tensor \"x\": the element count overflows int64");
		BuildOneTensor(&e, "x", 2, neg, LLM_TYPE_F32, 0, 64);
		ExpectFail("negative ne", &e,
				   "tensor \"x\": dimension 0 is 9223372036854775808, more than INT64_MAX");
		BuildOneTensor(&e, "x", 1, bytes, LLM_TYPE_F32, 0, 64);
		ExpectFail("byte size overflow", &e, "tensor \"x\": its data size overflows");
	}
	BuildOneTensor(&e, "blk.0.attn_q.weight", 2, ne, 77, 0, 256);
	ExpectFail("unknown type 77", &e,
			   "tensor \"blk.0.attn_q.weight\": unknown type id 77");
	BuildOneTensor(&e, "x", 2, ne, 4, 0, 256);
	ExpectFail("removed type 4", &e, "tensor \"x\": unknown type id 4");
	ne[0] = 33;
	BuildOneTensor(&e, "x", 2, ne, LLM_TYPE_Q8_0, 0, 256);
	ExpectFail("ne[0] not a multiple of 32", &e,
			   "tensor \"x\": ne[0] = 33 is not a multiple of the block size 32 of type Q8_0");
	ne[0] = 32;
	BuildOneTensor(&e, "x", 2, ne, LLM_TYPE_Q4_K, 0, 256);
	ExpectFail("ne[0] not a multiple of 256", &e,
			   "is not a multiple of the block size 256 of type Q4_K");
	BuildOneTensor(&e, "x", 2, ne, LLM_TYPE_F32, 33, 256);
	ExpectFail("misaligned offset", &e,
			   "tensor \"x\": offset 33 is not a multiple of the alignment 32");
	BuildOneTensor(&e, "x", 2, ne, LLM_TYPE_F32, 1 << 20, 256);
	ExpectFail("offset past end", &e,
			   "tensor \"x\": offset 1048576 lies past the end of the file");
	BuildOneTensor(&e, "x", 2, ne, LLM_TYPE_F32, 0, 255);
	snprintf(name, sizeof(name),
			 "tensor \"x\": data [96, 352) lies past the end of the file (size %zu)",
			 e.len);
	ExpectFail("data past end", &e, name);
	BuildOneTensor(&e, "x", 2, ne, LLM_TYPE_F32, UINT64_MAX - 31, 256);
	ExpectFail("offset near 2^64", &e, "lies past the end of the file");

	/* two tensors */
	ne[0] = 16;
	ne[1] = 1;
	EmitHeader(&e, 3, 2, 0);
	EmitTensor(&e, "a", 1, ne, LLM_TYPE_F32, 0);
	EmitTensor(&e, "a", 1, ne, LLM_TYPE_F32, 64);
	EmitPad(&e, 32);
	EmitFill(&e, 128, 0);
	ExpectFail("duplicate tensor", &e,
			   "tensor \"a\": duplicate tensor name (tensor infos 0 and 1)");
	EmitHeader(&e, 3, 2, 0);
	EmitTensor(&e, "a", 1, ne, LLM_TYPE_F32, 32);
	EmitTensor(&e, "b", 1, ne, LLM_TYPE_F32, 0);
	EmitPad(&e, 32);
	EmitFill(&e, 128, 0);
	ExpectFail("overlap", &e,
			   "tensors \"b\" and \"a\" overlap (data offsets [0, 64) and [32, 96))");
	EmitHeader(&e, 3, 3, 0);
	EmitTensor(&e, "big", 1, ne, LLM_TYPE_F32, 0);
	EmitTensor(&e, "big2", 1, ne, LLM_TYPE_F32, 0);
	EmitTensor(&e, "c", 1, ne, LLM_TYPE_F32, 64);
	EmitPad(&e, 32);
	EmitFill(&e, 128, 0);
	ExpectFail("same offset", &e, "tensors \"big\" and \"big2\" overlap");
	EmitHeader(&e, 3, 2, 0);
	EmitTensor(&e, "a_name_long_enough_to_pass_the_count_check", 1, ne,
			   LLM_TYPE_F32, 0);
	EmitU64(&e, 1);
	EmitBytes(&e, "b", 1);
	EmitU32(&e, 1);
	ExpectFail("truncated tensor info", &e,
			   "file truncated while reading tensor info 1 (\"b\")");

	/* empty tensors and metadata-only files are valid */
	{
		uint8_t    *copy;
		GgufFile   *f;
		uint64_t	zero[2] = {0, 5};

		BuildOneTensor(&e, "x", 2, zero, LLM_TYPE_F32, 0, 0);
		f = ExpectOpen("zero-sized tensor", &e, &copy);
		CHECK(f == NULL || (f->tensors[0].nbytes == 0 && f->tensors[0].ne[0] == 0 &&
							f->tensors[0].ne[1] == 5), "zero-sized tensor shape");
		GgufClose(f);
		free(copy);

		/* vocabulary files stop before the aligned data offset */
		EmitHeader(&e, 3, 0, 1);
		EmitKey(&e, "tokenizer.ggml.model", GGUF_TYPE_STRING);
		EmitStr(&e, "gpt2");
		f = ExpectOpen("metadata-only file", &e, &copy);
		CHECK(f == NULL || f->data_offset > f->size, "data offset past the end");
		GgufClose(f);
		free(copy);
	}
	free(e.buf);
}

/* xorshift64*: a fixed seed keeps failures reproducible */
static uint64_t
NextRandom(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * UINT64_C(2685821657736338717);
}

/*
 * Corrupt a valid file at random: the reader must answer OK or a format
 * error, and when it says OK everything it returns must be inside the
 * buffer (the sanitizers check the touches below).
 */
static void
MutateOnce(const Emit *base, uint64_t *state, int *odd, int *accepted,
		   unsigned *sum)
{
	uint8_t    *copy = malloc(base->len);
	GgufFile   *f = NULL;
	LlmError	err;
	LlmStatus	status;
	int			flips = 1 + (int) (NextRandom(state) % 4);
	size_t		len = base->len;

	memcpy(copy, base->buf, base->len);
	for (int k = 0; k < flips; k++)
	{
		size_t		pos = (size_t) (NextRandom(state) % base->len);
		uint64_t	r = NextRandom(state);

		/* mostly bit flips; sometimes the extreme bytes that counts love */
		if (r % 4 == 0)
			copy[pos] = (r & 8) ? 0xFF : 0x00;
		else
			copy[pos] ^= (uint8_t) (1u << (r % 8));
	}
	if (NextRandom(state) % 8 == 0)
		len = (size_t) (NextRandom(state) % base->len);

	memset(&err, 0, sizeof(err));
	status = GgufOpenMemory(copy, len, &f, &err);
	if (status == LLM_OK)
	{
		(*accepted)++;
		for (uint64_t i = 0; i < f->n_kv; i++)
		{
			const GgufKV *kv = &f->kv[i];

			for (uint64_t c = 0; c < kv->key.len; c++)
				*sum += (unsigned char) kv->key.data[c];
			if (kv->type == GGUF_TYPE_ARRAY && kv->v.arr.type == GGUF_TYPE_STRING)
			{
				for (uint64_t s = 0; s < kv->v.arr.len; s++)
					for (uint64_t c = 0; c < kv->v.arr.strings[s].len; c++)
						*sum += (unsigned char) kv->v.arr.strings[s].data[c];
			}
		}
		for (uint64_t i = 0; i < f->n_tensors; i++)
		{
			const GgufTensor *t = &f->tensors[i];

			for (size_t c = 0; c < t->nbytes; c++)
				*sum += ((const uint8_t *) t->data)[c];
			if ((const uint8_t *) t->data + t->nbytes > copy + len)
				(*odd)++;
		}
		GgufClose(f);
	}
	else if (status != LLM_ERR_FORMAT || f != NULL || err.message[0] == '\0')
		(*odd)++;
	free(copy);
}

/*
 * Corrupt valid files at random: the reader must answer OK or a format
 * error, and when it says OK everything it returns must lie inside the
 * buffer (the sanitizers check the reads above).
 */
static void
TestMutation(void)
{
	Emit		e = {0};
	uint64_t	state = UINT64_C(0x9E3779B97F4A7C15);

	for (int which = 0; which < 2; which++)
	{
		int			odd = 0;
		int			accepted = 0;
		unsigned	sum = 0;

		if (which == 0)
			BuildSmall(&e);
		else
			BuildAllTypes(&e, 3);
		for (int iter = 0; iter < MUTATION_ITERATIONS; iter++)
			MutateOnce(&e, &state, &odd, &accepted, &sum);
		CHECK(odd == 0, "mutation %d: %d odd results", which, odd);
		CHECK(accepted > 0 && accepted < MUTATION_ITERATIONS,
			  "mutation %d: %d of %d accepted (sum %u)", which, accepted,
			  MUTATION_ITERATIONS, sum);
	}
	free(e.buf);
}

/* ---------------------------------------------------------------------
 * GgufOpen on real files
 * ---------------------------------------------------------------------
 */
static void
TestOpenErrors(const char *dir)
{
	char		path[512];
	GgufFile   *f = (GgufFile *) 1;
	LlmError	err = {0};
	LlmStatus	status;
	Emit		e = {0};

	snprintf(path, sizeof(path), "%s/missing.gguf", dir);
	status = GgufOpen(path, &f, &err);
	CHECK(status == LLM_ERR_IO && f == NULL &&
		  strstr(err.message, strerror(ENOENT)) != NULL &&
		  strstr(err.message, "missing.gguf") != NULL,
		  "missing file: %d %s", (int) status, err.message);

	status = GgufOpen(dir, &f, &err);
	CHECK(status == LLM_ERR_IO && strstr(err.message, "not a regular file"),
		  "directory: %d %s", (int) status, err.message);

	/* a FIFO is refused at once, not waited on for a writer */
	snprintf(path, sizeof(path), "%s/fifo.gguf", dir);
	CHECK(mkfifo(path, 0600) == 0, "mkfifo");
	status = GgufOpen(path, &f, &err);
	CHECK(status == LLM_ERR_IO && strstr(err.message, "not a regular file"),
		  "FIFO: %d %s", (int) status, err.message);
	unlink(path);

	snprintf(path, sizeof(path), "%s/empty.gguf", dir);
	CHECK(WriteFile(path, "", 0), "write empty file");
	status = GgufOpen(path, &f, &err);
	CHECK(status == LLM_ERR_FORMAT && strstr(err.message, "empty file"),
		  "empty file on disk: %d %s", (int) status, err.message);
	unlink(path);

	/* a hostile file on disk is unmapped again (valgrind checks) */
	snprintf(path, sizeof(path), "%s/bad.gguf", dir);
	BuildSmall(&e);
	e.buf[e.len - 70] ^= 0x40;
	CHECK(WriteFile(path, e.buf, e.len - 1), "write bad file");
	status = GgufOpen(path, &f, &err);
	CHECK(status == LLM_ERR_FORMAT && f == NULL, "bad file on disk: %d %s",
		  (int) status, err.message);
	unlink(path);
	free(e.buf);
}

static void
CheckSharedFile(const char *path)
{
	GgufFile   *f = NULL;
	LlmError	err = {0};
	LlmStatus	status = GgufOpen(path, &f, &err);

	CHECK(status == LLM_OK, "%s: %s", path, status == LLM_OK ? "" : err.message);
	if (f == NULL)
		return;
	for (uint64_t i = 0; i < f->n_tensors; i++)
	{
		const GgufTensor *t = &f->tensors[i];

		if ((uintptr_t) t->data % f->alignment != 0 ||
			(const uint8_t *) t->data + t->nbytes > f->base + f->size)
		{
			CHECK(false, "%s: tensor %llu misplaced", path, (unsigned long long) i);
			break;
		}
	}
	CHECK(GgufGetArray(f, "tokenizer.ggml.tokens", GGUF_TYPE_STRING) != NULL,
		  "%s: has a vocabulary", path);
	GgufClose(f);
}

static void
TestSharedFiles(void)
{
	static const char *const dirs[] = {SHARED_DIR "/parity", SHARED_DIR "/vocab"};
	struct stat st;
	GgufFile   *f = NULL;
	LlmError	err = {0};

	if (stat(SHARED_DIR, &st) != 0)
	{
		printf("gguf: note: %s not found, skipping the shared model files\n",
			   SHARED_DIR);
		return;
	}

	if (GgufOpen(SHARED_DIR "/models/stories260K.gguf", &f, &err) == LLM_OK)
	{
		const GgufKV *tokens = GgufGetArray(f, "tokenizer.ggml.tokens",
											GGUF_TYPE_STRING);
		const GgufTensor *t = GgufFindTensor(f, "token_embd.weight");
		GgufString	arch;
		uint32_t	n;

		CHECK(f->version == 3 && f->n_tensors == 48 && f->n_kv == 19,
			  "stories260K counts");
		CHECK(GgufGetString(f, "general.architecture", &arch) &&
			  GgufStrEq(arch, "llama"), "stories260K architecture");
		CHECK(GgufGetU32(f, "llama.block_count", &n) && n == 5,
			  "stories260K block count");
		CHECK(tokens != NULL && tokens->v.arr.len == 512 &&
			  GgufStrEq(tokens->v.arr.strings[0], "<unk>"),
			  "stories260K vocabulary");
		CHECK(t != NULL && t->type == LLM_TYPE_F32 && t->n_dims == 2 &&
			  t->ne[1] == 512, "stories260K token_embd.weight");
		GgufClose(f);
	}
	else
		CHECK(false, "stories260K: %s", err.message);

	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++)
	{
		DIR		   *dir = opendir(dirs[d]);
		struct dirent *de;
		int			n = 0;

		if (dir == NULL)
		{
			printf("gguf: note: %s not found, skipping it\n", dirs[d]);
			continue;
		}
		while ((de = readdir(dir)) != NULL)
		{
			size_t		len = strlen(de->d_name);
			char		path[1024];

			if (len < 5 || strcmp(de->d_name + len - 5, ".gguf") != 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirs[d], de->d_name);
			CheckSharedFile(path);
			n++;
		}
		closedir(dir);
		CHECK(n > 0, "%s holds GGUF files", dirs[d]);
	}
}

int
main(void)
{
	char		dir[] = "/tmp/test_gguf.XXXXXX";

	if (mkdtemp(dir) == NULL)
	{
		perror("mkdtemp");
		return 2;
	}

	TestAllTypes();
	TestSmall();
	TestTruncation();
	TestHostile();
	TestMutation();
	TestRoundTrip(dir);
	TestWriterErrors(dir);
	TestOpenErrors(dir);
	TestSharedFiles();

	rmdir(dir);
	return UnitSummary("gguf");
}
