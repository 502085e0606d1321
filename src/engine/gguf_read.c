/*-------------------------------------------------------------------------
 *
 * gguf_read.c
 *	  Mapping, parsing and validating GGUF files (versions 2 and 3).
 *
 * A GGUF file is a header, a list of typed metadata key/value pairs, a list
 * of tensor infos (name, shape, type, offset) and, at the next multiple of
 * the alignment, the tensor data.  Everything is little-endian.
 *
 * The file may be hostile, so every count and length is checked against the
 * bytes actually left before it is used, nothing is allocated in proportion
 * to a number read from the file until the bytes backing it have been seen,
 * and every tensor's data is proven to lie inside the file.  Strings and
 * array elements stay in the mapping; only string arrays get a table of
 * GgufStrings (tokenizer vocabularies need random access).
 *
 *-------------------------------------------------------------------------
 */
/* O_CLOEXEC, mmap and fstat are POSIX.1-2008 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gguf_internal.h"

/*
 * The smallest metadata entry is a length, a 1-byte key, a type and a uint8
 * value; the smallest tensor info is a length, a 1-byte name, n_dims, one
 * dimension, a type and an offset.  Counts in the header that could not fit
 * even at these sizes are rejected before anything is read.
 */
#define GGUF_MIN_KV_BYTES (8 + 1 + 4 + 1)
#define GGUF_MIN_TENSOR_BYTES (8 + 1 + 4 + 8 + 4 + 8)

/*
 * Where a tensor's data may start: the kernels and the forward pass load
 * floats (and 2-byte halves in quantized blocks) straight from the
 * mapping, which a page-aligned mapping allows only at multiples of 4.
 * general.alignment may be as small as 1, so the data's own place counts.
 */
#define GGUF_MIN_TENSOR_ALIGN 4

/* longest piece of a file string quoted in an error message */
#define GGUF_SHOW_MAX 48

typedef struct GgufReader
{
	const uint8_t *buf;
	size_t		size;
	size_t		pos;
} GgufReader;

static size_t
GgufLeft(const GgufReader *r)
{
	return r->size - r->pos;
}

static bool
GgufReadBytes(GgufReader *r, uint64_t n, const uint8_t **p)
{
	if (n > GgufLeft(r))
		return false;
	*p = r->buf + r->pos;
	r->pos += (size_t) n;
	return true;
}

/* Byte-wise loads keep the reader independent of host byte order. */
static uint16_t
GgufLoadU16(const uint8_t *p)
{
	return (uint16_t) (p[0] | (p[1] << 8));
}

static uint32_t
GgufLoadU32(const uint8_t *p)
{
	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) |
		((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

static uint64_t
GgufLoadU64(const uint8_t *p)
{
	return (uint64_t) GgufLoadU32(p) | ((uint64_t) GgufLoadU32(p + 4) << 32);
}

static bool
GgufReadU32(GgufReader *r, uint32_t *v)
{
	const uint8_t *p;

	if (!GgufReadBytes(r, 4, &p))
		return false;
	*v = GgufLoadU32(p);
	return true;
}

static bool
GgufReadU64(GgufReader *r, uint64_t *v)
{
	const uint8_t *p;

	if (!GgufReadBytes(r, 8, &p))
		return false;
	*v = GgufLoadU64(p);
	return true;
}

/*
 * Render a string from the file for an error message: bounded in length,
 * with bytes that could garble a terminal or log replaced by '?'.
 */
static const char *
GgufShow(GgufString s, char *buf, size_t bufsize)
{
	size_t		n = 0;
	size_t		limit = bufsize - 4;	/* room for "..." and NUL */

	if (limit > GGUF_SHOW_MAX)
		limit = GGUF_SHOW_MAX;
	for (uint64_t i = 0; i < s.len && n < limit; i++)
	{
		unsigned char c = (unsigned char) s.data[i];

		buf[n++] = (c >= 0x20 && c < 0x7f && c != '"') ? (char) c : '?';
	}
	if (s.len > n)
	{
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

static LlmStatus
GgufTruncated(LlmError *err, const char *what)
{
	return LlmSetError(err, LLM_ERR_FORMAT, "file truncated while reading %s",
					   what);
}

/* Read a length-prefixed string; label names it in messages ("key", ...). */
static LlmStatus
GgufReadString(GgufReader *r, const char *what, const char *label,
			   GgufString *s, LlmError *err)
{
	uint64_t	len;
	const uint8_t *p;

	if (!GgufReadU64(r, &len))
		return GgufTruncated(err, what);
	if (!GgufReadBytes(r, len, &p))
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "%s: %s length %" PRIu64 " exceeds the %zu bytes left in the file",
						   what, label, len, GgufLeft(r));
	s->len = len;
	s->data = (const char *) p;
	return LLM_OK;
}

/* Bytes of one element of a fixed-size type; 0 for STRING and ARRAY. */
static size_t
GgufScalarSize(GgufValueType t)
{
	switch (t)
	{
		case GGUF_TYPE_UINT8:
		case GGUF_TYPE_INT8:
		case GGUF_TYPE_BOOL:
			return 1;
		case GGUF_TYPE_UINT16:
		case GGUF_TYPE_INT16:
			return 2;
		case GGUF_TYPE_UINT32:
		case GGUF_TYPE_INT32:
		case GGUF_TYPE_FLOAT32:
			return 4;
		case GGUF_TYPE_UINT64:
		case GGUF_TYPE_INT64:
		case GGUF_TYPE_FLOAT64:
			return 8;
		case GGUF_TYPE_STRING:
		case GGUF_TYPE_ARRAY:
		case GGUF_TYPE_COUNT:
			break;
	}
	return 0;
}

/*
 * Scalar values.  The spec says a bool byte other than 0 or 1 makes the file
 * invalid, so it is rejected rather than guessed at.
 */
static LlmStatus
GgufParseScalar(GgufReader *r, const char *what, GgufKV *kv, LlmError *err)
{
	const uint8_t *p;
	uint32_t	bits32;
	uint64_t	bits64;
	float		f32;

	if (kv->type == GGUF_TYPE_STRING)
		return GgufReadString(r, what, "string", &kv->v.str, err);
	if (!GgufReadBytes(r, GgufScalarSize(kv->type), &p))
		return GgufTruncated(err, what);

	switch (kv->type)
	{
		case GGUF_TYPE_UINT8:
			kv->v.u64 = p[0];
			break;
		case GGUF_TYPE_INT8:
			kv->v.i64 = (int8_t) p[0];
			break;
		case GGUF_TYPE_UINT16:
			kv->v.u64 = GgufLoadU16(p);
			break;
		case GGUF_TYPE_INT16:
			kv->v.i64 = (int16_t) GgufLoadU16(p);
			break;
		case GGUF_TYPE_UINT32:
			kv->v.u64 = GgufLoadU32(p);
			break;
		case GGUF_TYPE_INT32:
			kv->v.i64 = (int32_t) GgufLoadU32(p);
			break;
		case GGUF_TYPE_FLOAT32:
			bits32 = GgufLoadU32(p);
			memcpy(&f32, &bits32, sizeof(f32));
			kv->v.f64 = f32;
			break;
		case GGUF_TYPE_BOOL:
			if (p[0] > 1)
				return LlmSetError(err, LLM_ERR_FORMAT,
								   "%s: bool value %u is neither 0 nor 1",
								   what, p[0]);
			kv->v.u64 = p[0];
			break;
		case GGUF_TYPE_UINT64:
			kv->v.u64 = GgufLoadU64(p);
			break;
		case GGUF_TYPE_INT64:
			kv->v.i64 = (int64_t) GgufLoadU64(p);
			break;
		case GGUF_TYPE_FLOAT64:
			bits64 = GgufLoadU64(p);
			memcpy(&kv->v.f64, &bits64, sizeof(double));
			break;
		default:
			/* callers only pass scalar types */
			return LlmSetError(err, LLM_ERR_FORMAT,
							   "%s: invalid value type id %d", what,
							   (int) kv->type);
	}
	return LLM_OK;
}

/*
 * A string array is walked twice: once to prove every element lies inside
 * the file, then, with the count known to be backed by real bytes, to fill
 * the table.  A hostile length therefore never reaches malloc.
 */
static LlmStatus
GgufParseStringArray(GgufReader *r, const char *what, GgufKV *kv,
					 LlmError *err)
{
	uint64_t	n = kv->v.arr.len;
	size_t		start = r->pos;
	GgufString *table;

	if (n > GgufLeft(r) / 8)
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "%s: array of %" PRIu64 " strings needs more than the %zu bytes left in the file",
						   what, n, GgufLeft(r));

	for (uint64_t i = 0; i < n; i++)
	{
		uint64_t	len;
		const uint8_t *p;

		if (!GgufReadU64(r, &len))
			return LlmSetError(err, LLM_ERR_FORMAT,
							   "file truncated while reading %s (array element %" PRIu64 ")",
							   what, i);
		if (!GgufReadBytes(r, len, &p))
			return LlmSetError(err, LLM_ERR_FORMAT,
							   "%s: array element %" PRIu64 ": string length %" PRIu64 " exceeds the %zu bytes left in the file",
							   what, i, len, GgufLeft(r));
	}

	kv->v.arr.data = r->buf + start;
	if (n == 0)
		return LLM_OK;
	if (n > SIZE_MAX / sizeof(GgufString))
		return LlmSetError(err, LLM_ERR_NOMEM,
						   "%s: out of memory for %" PRIu64 " strings", what, n);
	table = malloc((size_t) n * sizeof(GgufString));
	if (table == NULL)
		return LlmSetError(err, LLM_ERR_NOMEM,
						   "%s: out of memory for %" PRIu64 " strings", what, n);

	for (uint64_t i = 0; i < n; i++)
	{
		table[i].len = GgufLoadU64(r->buf + start);
		table[i].data = (const char *) r->buf + start + 8;
		start += 8 + (size_t) table[i].len;
	}
	kv->v.arr.strings = table;
	return LLM_OK;
}

static LlmStatus
GgufParseArray(GgufReader *r, const char *what, GgufKV *kv, LlmError *err)
{
	uint32_t	elem_type;
	uint64_t	n;
	size_t		esize;
	const uint8_t *p;

	if (!GgufReadU32(r, &elem_type) || !GgufReadU64(r, &n))
		return GgufTruncated(err, what);

	/*
	 * The spec allows arrays of arrays, but ggml rejects them and no model
	 * uses them, so neither do we.
	 */
	if (elem_type == GGUF_TYPE_ARRAY)
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "%s: nested arrays are not supported", what);
	if (elem_type >= GGUF_TYPE_COUNT)
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "%s: invalid array element type id %" PRIu32,
						   what, elem_type);

	kv->v.arr.type = (GgufValueType) elem_type;
	kv->v.arr.len = n;
	if (elem_type == GGUF_TYPE_STRING)
		return GgufParseStringArray(r, what, kv, err);

	/* compare by division: n * esize may wrap around */
	esize = GgufScalarSize((GgufValueType) elem_type);
	if (n > GgufLeft(r) / esize || !GgufReadBytes(r, n * esize, &p))
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "%s: array of %" PRIu64 " %s elements needs more than the %zu bytes left in the file",
						   what, n, GgufTypeName((GgufValueType) elem_type),
						   GgufLeft(r));
	kv->v.arr.data = p;

	if (elem_type == GGUF_TYPE_BOOL)
	{
		for (uint64_t i = 0; i < n; i++)
		{
			if (p[i] > 1)
				return LlmSetError(err, LLM_ERR_FORMAT,
								   "%s: array element %" PRIu64 ": bool value %u is neither 0 nor 1",
								   what, i, p[i]);
		}
	}
	return LLM_OK;
}

static LlmStatus
GgufParseKV(GgufReader *r, uint64_t index, GgufKV *kv, LlmError *err)
{
	char		what[128];
	char		shown[GGUF_SHOW_MAX + 4];
	uint32_t	type;
	LlmStatus	status;

	snprintf(what, sizeof(what), "metadata key %" PRIu64, index);
	status = GgufReadString(r, what, "key", &kv->key, err);
	if (status != LLM_OK)
		return status;
	if (kv->key.len == 0)
		return LlmSetError(err, LLM_ERR_FORMAT, "%s: empty key", what);

	snprintf(what, sizeof(what), "metadata key %" PRIu64 " (\"%s\")", index,
			 GgufShow(kv->key, shown, sizeof(shown)));
	if (!GgufReadU32(r, &type))
		return GgufTruncated(err, what);
	if (type >= GGUF_TYPE_COUNT)
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "%s: invalid value type id %" PRIu32, what, type);

	kv->type = (GgufValueType) type;
	if (type == GGUF_TYPE_ARRAY)
		return GgufParseArray(r, what, kv, err);
	return GgufParseScalar(r, what, kv, err);
}

static uint64_t
GgufHash(GgufString s)
{
	uint64_t	h = UINT64_C(14695981039346656037);

	for (uint64_t i = 0; i < s.len; i++)
	{
		h ^= (unsigned char) s.data[i];
		h *= UINT64_C(1099511628211);
	}
	return h;
}

static bool
GgufStringsEqual(GgufString a, GgufString b)
{
	return a.len == b.len && memcmp(a.data, b.data, (size_t) a.len) == 0;
}

/*
 * Look for two equal strings among n items, the string of item i sitting at
 * the start of items + i * stride.  A hash table keeps this linear, since a
 * hostile file can hold tens of thousands of keys.  On success *second is
 * SIZE_MAX when all are distinct; returns false when out of memory.
 */
static bool
GgufFindDuplicate(const void *items, size_t n, size_t stride,
				  size_t *first, size_t *second)
{
	size_t		cap = 16;
	size_t	   *slots;

	*first = *second = SIZE_MAX;
	while (cap < n * 2)
		cap *= 2;
	slots = calloc(cap, sizeof(size_t));
	if (slots == NULL)
		return false;

	for (size_t i = 0; i < n && *second == SIZE_MAX; i++)
	{
		GgufString	s = *(const GgufString *) ((const char *) items + i * stride);
		size_t		h = (size_t) GgufHash(s) & (cap - 1);

		for (; slots[h] != 0; h = (h + 1) & (cap - 1))
		{
			size_t		j = slots[h] - 1;

			if (GgufStringsEqual(s, *(const GgufString *) ((const char *) items + j * stride)))
			{
				*first = j;
				*second = i;
				break;
			}
		}
		slots[h] = i + 1;
	}
	free(slots);
	return true;
}

static LlmStatus
GgufParseHeader(GgufFile *f, GgufReader *r, uint64_t *n_tensors,
				uint64_t *n_kv, LlmError *err)
{
	size_t		n = f->size < 4 ? f->size : 4;

	if (f->size == 0)
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "empty file (0 bytes; not a GGUF file)");
	if (memcmp(f->base, GGUF_MAGIC, n) != 0)
	{
		char		shown[4 * 4 + 1];
		size_t		len = 0;

		for (size_t i = 0; i < n; i++)
		{
			unsigned char c = f->base[i];

			if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
				shown[len++] = (char) c;
			else
				len += (size_t) snprintf(shown + len, sizeof(shown) - len,
										 "\\x%02x", c);
		}
		shown[len] = '\0';
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "bad magic \"%s\" (not a GGUF file)", shown);
	}

	r->pos = n;
	if (!GgufReadU32(r, &f->version) || !GgufReadU64(r, n_tensors) ||
		!GgufReadU64(r, n_kv))
		return GgufTruncated(err, "the header");

	if (f->version == 0)
		return LlmSetError(err, LLM_ERR_FORMAT, "unsupported GGUF version 0");

	/*
	 * Version 3 written big-endian reads as 0x03000000 here.  ggml uses the
	 * same test: a real version never has its low 16 bits all zero.
	 */
	if ((f->version & 0xFFFF) == 0)
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "unsupported GGUF version %" PRIu32 " (0x%08" PRIx32 "): the file looks big-endian, and only little-endian GGUF files are supported",
						   f->version, f->version);
	if (f->version == 1)
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "unsupported GGUF version 1 (an obsolete format; only versions 2 and 3 are supported)");
	if (f->version > 3)
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "unsupported GGUF version %" PRIu32 " (only versions 2 and 3 are supported)",
						   f->version);

	if (*n_tensors > GgufLeft(r) / GGUF_MIN_TENSOR_BYTES)
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "n_tensors %" PRIu64 " is larger than the file could hold",
						   *n_tensors);
	if (*n_kv > GgufLeft(r) / GGUF_MIN_KV_BYTES)
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "n_kv %" PRIu64 " is larger than the file could hold",
						   *n_kv);
	return LLM_OK;
}

static LlmStatus
GgufParseMetadata(GgufFile *f, GgufReader *r, uint64_t n_kv, LlmError *err)
{
	size_t		cap = 0;
	size_t		first;
	size_t		second;
	char		shown[GGUF_SHOW_MAX + 4];

	for (uint64_t i = 0; i < n_kv; i++)
	{
		GgufKV	   *kv;
		LlmStatus	status;

		if (!GgufGrow((void **) &f->kv, &cap, (size_t) f->n_kv, sizeof(GgufKV)))
			return LlmSetError(err, LLM_ERR_NOMEM,
							   "out of memory reading metadata key %" PRIu64, i);

		/* counted before parsing, so GgufClose frees a half-built entry */
		kv = &f->kv[f->n_kv++];
		memset(kv, 0, sizeof(*kv));
		status = GgufParseKV(r, i, kv, err);
		if (status != LLM_OK)
			return status;
	}

	/* ggml refuses files that define a key twice; so do we */
	if (!GgufFindDuplicate(f->kv, (size_t) f->n_kv, sizeof(GgufKV),
						   &first, &second))
		return LlmSetError(err, LLM_ERR_NOMEM,
						   "out of memory checking metadata keys");
	if (second != SIZE_MAX)
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "metadata key %zu (\"%s\"): duplicate key (already defined by metadata key %zu)",
						   second, GgufShow(f->kv[second].key, shown, sizeof(shown)),
						   first);
	return LLM_OK;
}

static LlmStatus
GgufParseAlignment(GgufFile *f, LlmError *err)
{
	const GgufKV *kv = GgufFind(f, "general.alignment");

	f->alignment = GGUF_DEFAULT_ALIGNMENT;
	if (kv == NULL)
		return LLM_OK;
	if (kv->type != GGUF_TYPE_UINT32)
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "general.alignment has type %s, but it must be uint32",
						   GgufTypeName(kv->type));
	if (kv->v.u64 == 0)
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "general.alignment is 0, but it must be a power of two");
	if ((kv->v.u64 & (kv->v.u64 - 1)) != 0)
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "general.alignment %" PRIu64 " is not a power of two",
						   kv->v.u64);
	f->alignment = (size_t) kv->v.u64;
	return LLM_OK;
}

static LlmStatus
GgufParseTensorInfo(GgufReader *r, uint64_t index, size_t alignment,
					GgufTensor *t, LlmError *err)
{
	char		what[160];
	char		shown[GGUF_SHOW_MAX + 4];
	const char *name;
	const LlmTypeTraits *traits;
	uint64_t	nelements = 1;
	LlmStatus	status;

	snprintf(what, sizeof(what), "tensor info %" PRIu64, index);
	status = GgufReadString(r, what, "name", &t->name, err);
	if (status != LLM_OK)
		return status;
	if (t->name.len == 0)
		return LlmSetError(err, LLM_ERR_FORMAT, "%s: empty tensor name", what);
	name = GgufShow(t->name, shown, sizeof(shown));
	if (t->name.len > GGUF_MAX_TENSOR_NAME)
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "%s: tensor name \"%s\" is %" PRIu64 " bytes long, more than the limit of %d",
						   what, name, t->name.len, GGUF_MAX_TENSOR_NAME);
	snprintf(what, sizeof(what), "tensor info %" PRIu64 " (\"%s\")", index,
			 name);

	if (!GgufReadU32(r, &t->n_dims))
		return GgufTruncated(err, what);

	/*
	 * ggml also accepts n_dims 0 (a scalar), but its writers never produce
	 * it, and everything downstream assumes at least one dimension.
	 */
	if (t->n_dims < 1 || t->n_dims > GGUF_MAX_DIMS)
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "tensor \"%s\": n_dims %" PRIu32 " is not between 1 and %d",
						   name, t->n_dims, GGUF_MAX_DIMS);
	for (uint32_t j = 0; j < GGUF_MAX_DIMS; j++)
	{
		t->ne[j] = 1;
		if (j < t->n_dims && !GgufReadU64(r, &t->ne[j]))
			return GgufTruncated(err, what);

		/* ggml stores dimensions as int64 and allows 0 (an empty tensor) */
		if (t->ne[j] > INT64_MAX)
			return LlmSetError(err, LLM_ERR_FORMAT,
							   "tensor \"%s\": dimension %" PRIu32 " is %" PRIu64 ", more than INT64_MAX",
							   name, j, t->ne[j]);
		if (t->ne[j] != 0 && nelements > (uint64_t) INT64_MAX / t->ne[j])
			return LlmSetError(err, LLM_ERR_FORMAT,
							   "tensor \"%s\": the element count overflows int64",
							   name);
		nelements *= t->ne[j];
	}

	if (!GgufReadU32(r, &t->type))
		return GgufTruncated(err, what);
	traits = LlmTypeGetTraits(t->type);
	if (traits == NULL)
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "tensor \"%s\": unknown type id %" PRIu32,
						   name, t->type);
	if (t->ne[0] % (uint64_t) traits->block_size != 0)
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "tensor \"%s\": ne[0] = %" PRIu64 " is not a multiple of the block size %d of type %s",
						   name, t->ne[0], traits->block_size, traits->name);
	if (!GgufTensorBytes(t->ne, t->n_dims, traits, &t->nbytes))
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "tensor \"%s\": its data size overflows", name);

	if (!GgufReadU64(r, &t->offset))
		return GgufTruncated(err, what);
	if (t->offset % alignment != 0)
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "tensor \"%s\": offset %" PRIu64 " is not a multiple of the alignment %zu",
						   name, t->offset, alignment);
	return LLM_OK;
}

static LlmStatus
GgufParseTensorInfos(GgufFile *f, GgufReader *r, uint64_t n_tensors,
					 LlmError *err)
{
	size_t		cap = 0;
	size_t		first;
	size_t		second;
	char		shown[GGUF_SHOW_MAX + 4];

	for (uint64_t i = 0; i < n_tensors; i++)
	{
		GgufTensor *t;
		LlmStatus	status;

		if (!GgufGrow((void **) &f->tensors, &cap, (size_t) f->n_tensors,
					  sizeof(GgufTensor)))
			return LlmSetError(err, LLM_ERR_NOMEM,
							   "out of memory reading tensor info %" PRIu64, i);
		t = &f->tensors[f->n_tensors++];
		memset(t, 0, sizeof(*t));
		status = GgufParseTensorInfo(r, i, f->alignment, t, err);
		if (status != LLM_OK)
			return status;
	}

	if (!GgufFindDuplicate(f->tensors, (size_t) f->n_tensors,
						   sizeof(GgufTensor), &first, &second))
		return LlmSetError(err, LLM_ERR_NOMEM,
						   "out of memory checking tensor names");
	if (second != SIZE_MAX)
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "tensor \"%s\": duplicate tensor name (tensor infos %zu and %zu)",
						   GgufShow(f->tensors[second].name, shown, sizeof(shown)),
						   first, second);
	return LLM_OK;
}

typedef struct GgufExtent
{
	uint64_t	offset;
	size_t		nbytes;
	size_t		index;
} GgufExtent;

static int
GgufExtentCmp(const void *a, const void *b)
{
	const GgufExtent *x = a;
	const GgufExtent *y = b;

	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return x->index < y->index ? -1 : (x->index > y->index);
}

/*
 * Two tensors sharing bytes would let a write through one (say, a repacked
 * weight) corrupt another, and ggml never produces it, so it is refused.
 */
static LlmStatus
GgufCheckOverlap(const GgufFile *f, LlmError *err)
{
	GgufExtent *ext;
	uint64_t	max_end = 0;
	size_t		max_index = 0;
	size_t		n = (size_t) f->n_tensors;
	LlmStatus	status = LLM_OK;

	if (n < 2)
		return LLM_OK;
	ext = malloc(n * sizeof(GgufExtent));
	if (ext == NULL)
		return LlmSetError(err, LLM_ERR_NOMEM,
						   "out of memory checking tensor extents");
	for (size_t i = 0; i < n; i++)
	{
		ext[i].offset = f->tensors[i].offset;
		ext[i].nbytes = f->tensors[i].nbytes;
		ext[i].index = i;
	}
	qsort(ext, n, sizeof(GgufExtent), GgufExtentCmp);

	for (size_t i = 0; i < n; i++)
	{
		/* end cannot overflow: every extent was proven inside the file */
		uint64_t	end = ext[i].offset + ext[i].nbytes;

		if (ext[i].nbytes == 0)
			continue;
		if (ext[i].offset < max_end)
		{
			const GgufTensor *a = &f->tensors[max_index];
			const GgufTensor *b = &f->tensors[ext[i].index];
			char		shown_a[GGUF_SHOW_MAX + 4];
			char		shown_b[GGUF_SHOW_MAX + 4];

			status = LlmSetError(err, LLM_ERR_FORMAT,
								 "tensors \"%s\" and \"%s\" overlap (data offsets [%" PRIu64 ", %" PRIu64 ") and [%" PRIu64 ", %" PRIu64 "))",
								 GgufShow(a->name, shown_a, sizeof(shown_a)),
								 GgufShow(b->name, shown_b, sizeof(shown_b)),
								 a->offset, a->offset + a->nbytes,
								 b->offset, end);
			break;
		}
		max_end = end;
		max_index = ext[i].index;
	}
	free(ext);
	return status;
}

/*
 * The data section starts at the first multiple of the alignment after the
 * tensor infos.  Vocabulary-only files end right after their metadata,
 * before that point, which is fine as long as they hold no tensors.
 */
static LlmStatus
GgufPlaceTensors(GgufFile *f, size_t header_end, LlmError *err)
{
	char		shown[GGUF_SHOW_MAX + 4];

	if (header_end > SIZE_MAX - (f->alignment - 1))
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "the data section offset overflows");
	f->data_offset = (header_end + f->alignment - 1) & ~(f->alignment - 1);

	for (uint64_t i = 0; i < f->n_tensors; i++)
	{
		GgufTensor *t = &f->tensors[i];
		size_t		start;

		if (f->data_offset > f->size || t->offset > f->size - f->data_offset)
			return LlmSetError(err, LLM_ERR_FORMAT,
							   "tensor \"%s\": offset %" PRIu64 " lies past the end of the file (data section at byte %zu, file size %zu)",
							   GgufShow(t->name, shown, sizeof(shown)),
							   t->offset, f->data_offset, f->size);
		start = f->data_offset + (size_t) t->offset;
		if (t->nbytes > f->size - start)
		{
			if (t->nbytes <= SIZE_MAX - start)
				return LlmSetError(err, LLM_ERR_FORMAT,
								   "tensor \"%s\": data [%zu, %zu) lies past the end of the file (size %zu)",
								   GgufShow(t->name, shown, sizeof(shown)),
								   start, start + t->nbytes, f->size);
			return LlmSetError(err, LLM_ERR_FORMAT,
							   "tensor \"%s\": data of %zu bytes at byte %zu lies past the end of the file (size %zu)",
							   GgufShow(t->name, shown, sizeof(shown)),
							   t->nbytes, start, f->size);
		}
		if (start % GGUF_MIN_TENSOR_ALIGN != 0)
			return LlmSetError(err, LLM_ERR_FORMAT,
							   "tensor \"%s\": data at byte %zu is not at a multiple of %d (general.alignment is %zu), so its values cannot be loaded in place",
							   GgufShow(t->name, shown, sizeof(shown)),
							   start, GGUF_MIN_TENSOR_ALIGN, f->alignment);
		t->data = f->base + start;
	}
	return GgufCheckOverlap(f, err);
}

static LlmStatus
GgufParse(GgufFile *f, LlmError *err)
{
	GgufReader	r = {f->base, f->size, 0};
	uint64_t	n_tensors = 0;
	uint64_t	n_kv = 0;
	LlmStatus	status;

	status = GgufParseHeader(f, &r, &n_tensors, &n_kv, err);
	if (status == LLM_OK)
		status = GgufParseMetadata(f, &r, n_kv, err);
	if (status == LLM_OK)
		status = GgufParseAlignment(f, err);
	if (status == LLM_OK)
		status = GgufParseTensorInfos(f, &r, n_tensors, err);
	if (status == LLM_OK)
		status = GgufPlaceTensors(f, r.pos, err);
	return status;
}

/* Takes ownership of a mapping: on failure it is unmapped. */
static LlmStatus
GgufOpenBuffer(const uint8_t *base, size_t size, bool mapped, GgufFile **out,
			   LlmError *err)
{
	GgufFile   *f = calloc(1, sizeof(GgufFile));
	LlmStatus	status;

	if (f == NULL)
	{
		if (mapped)
			munmap((void *) base, size);
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory opening a GGUF file");
	}
	f->base = base;
	f->size = size;
	f->mapped = mapped;
	f->alignment = GGUF_DEFAULT_ALIGNMENT;

	status = GgufParse(f, err);
	if (status != LLM_OK)
	{
		GgufClose(f);
		return status;
	}
	*out = f;
	return LLM_OK;
}

LlmStatus
GgufOpenMemory(const void *buf, size_t size, GgufFile **out, LlmError *err)
{
	*out = NULL;
	if (buf == NULL && size != 0)
		return LlmSetError(err, LLM_ERR_ARGUMENT,
						   "GgufOpenMemory: NULL buffer of %zu bytes", size);
	return GgufOpenBuffer(buf, size, false, out, err);
}

LlmStatus
GgufOpen(const char *path, GgufFile **out, LlmError *err)
{
	struct stat st;
	int			fd;
	void	   *map;
	int			saved_errno;

	*out = NULL;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer (refused below) */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return LlmSetError(err, LLM_ERR_IO, "cannot open \"%s\": %s",
						   path, strerror(errno));
	if (fstat(fd, &st) != 0)
	{
		saved_errno = errno;
		close(fd);
		return LlmSetError(err, LLM_ERR_IO, "cannot stat \"%s\": %s",
						   path, strerror(saved_errno));
	}
	if (!S_ISREG(st.st_mode))
	{
		close(fd);
		return LlmSetError(err, LLM_ERR_IO, "\"%s\" is not a regular file",
						   path);
	}

	/* mmap cannot map zero bytes; the parser reports the empty file */
	if (st.st_size == 0)
	{
		close(fd);
		return GgufOpenBuffer(NULL, 0, false, out, err);
	}
	if ((uint64_t) st.st_size > SIZE_MAX)
	{
		close(fd);
		return LlmSetError(err, LLM_ERR_IO, "\"%s\" is too large to map", path);
	}

	map = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	saved_errno = errno;
	close(fd);
	if (map == MAP_FAILED)
		return LlmSetError(err, LLM_ERR_IO, "cannot map \"%s\": %s",
						   path, strerror(saved_errno));
	return GgufOpenBuffer(map, (size_t) st.st_size, true, out, err);
}

void
GgufClose(GgufFile *f)
{
	if (f == NULL)
		return;
	for (uint64_t i = 0; i < f->n_kv; i++)
	{
		if (f->kv[i].type == GGUF_TYPE_ARRAY &&
			f->kv[i].v.arr.type == GGUF_TYPE_STRING)
			free(f->kv[i].v.arr.strings);
	}
	free(f->kv);
	free(f->tensors);
	if (f->mapped)
		munmap((void *) f->base, f->size);
	free(f);
}
