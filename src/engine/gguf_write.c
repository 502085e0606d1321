/*-------------------------------------------------------------------------
 *
 * gguf_write.c
 *	  Writing GGUF version 3 files.
 *
 * The writer collects metadata and tensor infos in memory (each value is
 * serialized when it is set, so writing is a plain copy), then streams the
 * file: header, metadata, tensor infos, padding, and the tensors' data, one
 * tensor at a time through the caller's fill callback.
 *
 * The set functions return nothing, so their failures are remembered and
 * reported by GgufWriterWrite: running out of memory as LLM_ERR_NOMEM and
 * a bad argument (an invalid shape, a duplicate tensor name) as
 * LLM_ERR_ARGUMENT, naming the first offender.
 *
 *-------------------------------------------------------------------------
 */
/* stat and unlink are POSIX.1-2008 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gguf_internal.h"

#define GGUF_WRITE_VERSION 3

typedef struct GgufWriterKV
{
	char	   *key;
	GgufValueType type;
	uint8_t    *value;			/* the bytes that follow the type id */
	size_t		value_len;
} GgufWriterKV;

typedef struct GgufWriterTensor
{
	char	   *name;
	uint32_t	type;
	uint32_t	n_dims;
	uint64_t	ne[GGUF_MAX_DIMS];
	size_t		nbytes;
	uint64_t	offset;			/* assigned by GgufWriterWrite */
} GgufWriterTensor;

struct GgufWriter
{
	GgufWriterKV *kv;
	size_t		n_kv;
	size_t		kv_cap;
	GgufWriterTensor *tensors;
	size_t		n_tensors;
	size_t		tensor_cap;
	size_t		alignment;
	bool		out_of_memory;
	LlmError	bad_argument;	/* code is LLM_OK until something is wrong */
};

/* A FILE being written, with the first failure remembered. */
typedef struct GgufOut
{
	FILE	   *fp;
	const char *path;
	uint64_t	pos;
	int			error;			/* errno of the first failed write, or 0 */
} GgufOut;

static void
GgufStoreLE(uint8_t *p, uint64_t v, int nbytes)
{
	for (int i = 0; i < nbytes; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

static uint32_t
GgufFloatBits(float v)
{
	uint32_t	bits;

	memcpy(&bits, &v, sizeof(bits));
	return bits;
}

static void
GgufBadArgument(GgufWriter *w, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

/* Remember the first bad argument; later ones are usually its echoes. */
static void
GgufBadArgument(GgufWriter *w, const char *fmt,...)
{
	va_list		ap;

	if (w->bad_argument.code != LLM_OK)
		return;
	w->bad_argument.code = LLM_ERR_ARGUMENT;
	va_start(ap, fmt);
	vsnprintf(w->bad_argument.message, sizeof(w->bad_argument.message),
			  fmt, ap);
	va_end(ap);
}

static char *
GgufStrdup(const char *s)
{
	size_t		n = strlen(s) + 1;
	char	   *copy = malloc(n);

	if (copy != NULL)
		memcpy(copy, s, n);
	return copy;
}

GgufWriter *
GgufWriterCreate(void)
{
	GgufWriter *w = calloc(1, sizeof(GgufWriter));

	if (w != NULL)
		w->alignment = GGUF_DEFAULT_ALIGNMENT;
	return w;
}

void
GgufWriterFree(GgufWriter *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->n_kv; i++)
	{
		free(w->kv[i].key);
		free(w->kv[i].value);
	}
	for (size_t i = 0; i < w->n_tensors; i++)
		free(w->tensors[i].name);
	free(w->kv);
	free(w->tensors);
	free(w);
}

/*
 * Store a serialized value under key, taking ownership of value (freed on
 * failure).  Setting a key again replaces its value in place, as ggml does,
 * so that a file never holds a key twice.
 */
static void
GgufWriterPut(GgufWriter *w, const char *key, GgufValueType type,
			  uint8_t *value, size_t value_len)
{
	GgufWriterKV *kv = NULL;
	char	   *key_copy;

	for (size_t i = 0; i < w->n_kv; i++)
	{
		if (strcmp(w->kv[i].key, key) == 0)
		{
			kv = &w->kv[i];
			break;
		}
	}
	if (kv != NULL)
	{
		free(kv->value);
		kv->type = type;
		kv->value = value;
		kv->value_len = value_len;
		return;
	}

	key_copy = GgufStrdup(key);
	if (key_copy == NULL ||
		!GgufGrow((void **) &w->kv, &w->kv_cap, w->n_kv, sizeof(GgufWriterKV)))
	{
		free(key_copy);
		free(value);
		w->out_of_memory = true;
		return;
	}
	kv = &w->kv[w->n_kv++];
	kv->key = key_copy;
	kv->type = type;
	kv->value = value;
	kv->value_len = value_len;
}

/*
 * Common checks of the set functions; false means the call is ignored (and
 * remembered, when it is the caller's mistake).
 */
static bool
GgufWriterCheckKey(GgufWriter *w, const char *key, GgufValueType type)
{
	if (w == NULL)
		return false;
	if (key == NULL || key[0] == '\0')
	{
		GgufBadArgument(w, "GGUF writer: a metadata key is NULL or empty");
		return false;
	}

	/* the alignment key decides the file layout, so it must be usable */
	if (strcmp(key, "general.alignment") == 0 && type != GGUF_TYPE_UINT32)
	{
		GgufBadArgument(w, "GGUF writer: general.alignment must be uint32, not %s",
						GgufTypeName(type));
		return false;
	}
	return true;
}

static void
GgufWriterSetScalar(GgufWriter *w, const char *key, GgufValueType type,
					uint64_t bits, int nbytes)
{
	uint8_t    *value;

	if (!GgufWriterCheckKey(w, key, type))
		return;
	value = malloc((size_t) nbytes);
	if (value == NULL)
	{
		w->out_of_memory = true;
		return;
	}
	GgufStoreLE(value, bits, nbytes);
	GgufWriterPut(w, key, type, value, (size_t) nbytes);
}

void
GgufWriterSetU32(GgufWriter *w, const char *key, uint32_t v)
{
	if (w != NULL && key != NULL && strcmp(key, "general.alignment") == 0)
	{
		if (v == 0 || (v & (v - 1)) != 0)
		{
			GgufBadArgument(w, "GGUF writer: general.alignment %" PRIu32 " is not a power of two",
							v);
			return;
		}
		w->alignment = v;
	}
	GgufWriterSetScalar(w, key, GGUF_TYPE_UINT32, v, 4);
}

void
GgufWriterSetI32(GgufWriter *w, const char *key, int32_t v)
{
	GgufWriterSetScalar(w, key, GGUF_TYPE_INT32, (uint32_t) v, 4);
}

void
GgufWriterSetF32(GgufWriter *w, const char *key, float v)
{
	GgufWriterSetScalar(w, key, GGUF_TYPE_FLOAT32, GgufFloatBits(v), 4);
}

void
GgufWriterSetBool(GgufWriter *w, const char *key, bool v)
{
	GgufWriterSetScalar(w, key, GGUF_TYPE_BOOL, v ? 1 : 0, 1);
}

void
GgufWriterSetString(GgufWriter *w, const char *key, const char *v)
{
	size_t		len;
	uint8_t    *value;

	if (!GgufWriterCheckKey(w, key, GGUF_TYPE_STRING))
		return;
	if (v == NULL)
	{
		GgufBadArgument(w, "GGUF writer: key \"%s\": NULL string", key);
		return;
	}
	len = strlen(v);
	if (len > SIZE_MAX - 8 || (value = malloc(8 + len)) == NULL)
	{
		w->out_of_memory = true;
		return;
	}
	GgufStoreLE(value, len, 8);
	memcpy(value + 8, v, len);
	GgufWriterPut(w, key, GGUF_TYPE_STRING, value, 8 + len);
}

/*
 * Start an array value: element type and count, with room for payload more
 * bytes.  NULL when out of memory (recorded).
 */
static uint8_t *
GgufWriterArrayStart(GgufWriter *w, GgufValueType elem_type, uint64_t n,
					 size_t payload)
{
	uint8_t    *value;

	if (payload > SIZE_MAX - 12 || (value = malloc(12 + payload)) == NULL)
	{
		w->out_of_memory = true;
		return NULL;
	}
	GgufStoreLE(value, (uint64_t) elem_type, 4);
	GgufStoreLE(value + 4, n, 8);
	return value;
}

static bool
GgufWriterCheckArray(GgufWriter *w, const char *key, const void *v,
					 uint64_t n)
{
	if (!GgufWriterCheckKey(w, key, GGUF_TYPE_ARRAY))
		return false;
	if (v == NULL && n > 0)
	{
		GgufBadArgument(w, "GGUF writer: key \"%s\": NULL array of %" PRIu64 " elements",
						key, n);
		return false;
	}
	return true;
}

void
GgufWriterSetStringArray(GgufWriter *w, const char *key,
						 const char *const *v, uint64_t n)
{
	size_t		payload = 0;
	uint8_t    *value;
	uint8_t    *p;

	if (!GgufWriterCheckArray(w, key, v, n))
		return;
	for (uint64_t i = 0; i < n; i++)
	{
		size_t		len;

		if (v[i] == NULL)
		{
			GgufBadArgument(w, "GGUF writer: key \"%s\": element %" PRIu64 " is NULL",
							key, i);
			return;
		}
		len = strlen(v[i]);
		if (len > SIZE_MAX - 8 || payload > SIZE_MAX - 8 - len)
		{
			w->out_of_memory = true;
			return;
		}
		payload += 8 + len;
	}

	value = GgufWriterArrayStart(w, GGUF_TYPE_STRING, n, payload);
	if (value == NULL)
		return;
	p = value + 12;
	for (uint64_t i = 0; i < n; i++)
	{
		size_t		len = strlen(v[i]);

		GgufStoreLE(p, len, 8);
		memcpy(p + 8, v[i], len);
		p += 8 + len;
	}
	GgufWriterPut(w, key, GGUF_TYPE_ARRAY, value, 12 + payload);
}

/*
 * An array of 4-byte elements (float32 or int32), each stored as its bits
 * in little-endian order.
 */
static void
GgufWriterSetArray32(GgufWriter *w, const char *key, GgufValueType elem_type,
					 const void *v, uint64_t n)
{
	uint8_t    *value;

	if (!GgufWriterCheckArray(w, key, v, n))
		return;
	if (n > SIZE_MAX / 4)
	{
		w->out_of_memory = true;
		return;
	}
	value = GgufWriterArrayStart(w, elem_type, n, (size_t) n * 4);
	if (value == NULL)
		return;
	for (uint64_t i = 0; i < n; i++)
	{
		uint32_t	bits;

		memcpy(&bits, (const uint8_t *) v + i * 4, 4);
		GgufStoreLE(value + 12 + i * 4, bits, 4);
	}
	GgufWriterPut(w, key, GGUF_TYPE_ARRAY, value, 12 + (size_t) n * 4);
}

void
GgufWriterSetF32Array(GgufWriter *w, const char *key, const float *v,
					  uint64_t n)
{
	GgufWriterSetArray32(w, key, GGUF_TYPE_FLOAT32, v, n);
}

void
GgufWriterSetI32Array(GgufWriter *w, const char *key, const int32_t *v,
					  uint64_t n)
{
	GgufWriterSetArray32(w, key, GGUF_TYPE_INT32, v, n);
}

/*
 * Validate a tensor like the reader will, so that a bad shape is reported
 * against the call that made it rather than as an unreadable file.
 */
static bool
GgufWriterCheckTensor(GgufWriter *w, const char *name, uint32_t type,
					  uint32_t n_dims, const uint64_t *ne, size_t *nbytes)
{
	const LlmTypeTraits *traits = LlmTypeGetTraits(type);

	if (name == NULL || name[0] == '\0' ||
		strlen(name) > GGUF_MAX_TENSOR_NAME)
	{
		GgufBadArgument(w, "GGUF writer: tensor name \"%.80s\" is empty or longer than %d bytes",
						name ? name : "", GGUF_MAX_TENSOR_NAME);
		return false;
	}
	for (size_t i = 0; i < w->n_tensors; i++)
	{
		if (strcmp(w->tensors[i].name, name) == 0)
		{
			GgufBadArgument(w, "GGUF writer: duplicate tensor name \"%s\"", name);
			return false;
		}
	}
	if (n_dims < 1 || n_dims > GGUF_MAX_DIMS || ne == NULL)
	{
		GgufBadArgument(w, "GGUF writer: tensor \"%s\": n_dims %" PRIu32 " is not between 1 and %d",
						name, n_dims, GGUF_MAX_DIMS);
		return false;
	}
	if (traits == NULL)
	{
		GgufBadArgument(w, "GGUF writer: tensor \"%s\": unknown type id %" PRIu32,
						name, type);
		return false;
	}
	if (ne[0] % (uint64_t) traits->block_size != 0)
	{
		GgufBadArgument(w, "GGUF writer: tensor \"%s\": ne[0] = %" PRIu64 " is not a multiple of the block size %d of type %s",
						name, ne[0], traits->block_size, traits->name);
		return false;
	}

	/* ggml stores dimensions as int64 */
	for (uint32_t j = 0; j < n_dims; j++)
		if (ne[j] > INT64_MAX)
			goto overflow;
	if (!GgufTensorBytes(ne, n_dims, traits, nbytes))
		goto overflow;
	return true;

overflow:
	GgufBadArgument(w, "GGUF writer: tensor \"%s\": its data size overflows",
					name);
	return false;
}

void
GgufWriterAddTensor(GgufWriter *w, const char *name, uint32_t type,
					uint32_t n_dims, const uint64_t *ne)
{
	GgufWriterTensor *t;
	size_t		nbytes;
	char	   *name_copy;

	if (w == NULL || !GgufWriterCheckTensor(w, name, type, n_dims, ne, &nbytes))
		return;
	name_copy = GgufStrdup(name);
	if (name_copy == NULL ||
		!GgufGrow((void **) &w->tensors, &w->tensor_cap, w->n_tensors,
				  sizeof(GgufWriterTensor)))
	{
		free(name_copy);
		w->out_of_memory = true;
		return;
	}
	t = &w->tensors[w->n_tensors++];
	memset(t, 0, sizeof(*t));
	t->name = name_copy;
	t->type = type;
	t->n_dims = n_dims;
	for (uint32_t j = 0; j < GGUF_MAX_DIMS; j++)
		t->ne[j] = j < n_dims ? ne[j] : 1;
	t->nbytes = nbytes;
}

static void
GgufOutPut(GgufOut *o, const void *p, size_t n)
{
	if (o->error != 0 || n == 0)
		return;
	if (fwrite(p, 1, n, o->fp) != n)
	{
		o->error = errno != 0 ? errno : EIO;
		return;
	}
	o->pos += n;
}

static void
GgufOutLE(GgufOut *o, uint64_t v, int nbytes)
{
	uint8_t		buf[8];

	GgufStoreLE(buf, v, nbytes);
	GgufOutPut(o, buf, (size_t) nbytes);
}

static void
GgufOutString(GgufOut *o, const char *s)
{
	size_t		len = strlen(s);

	GgufOutLE(o, len, 8);
	GgufOutPut(o, s, len);
}

static void
GgufOutPad(GgufOut *o, size_t alignment)
{
	static const uint8_t zeros[256];
	uint64_t	pad = (alignment - o->pos % alignment) % alignment;

	while (pad > 0 && o->error == 0)
	{
		size_t		n = pad < sizeof(zeros) ? (size_t) pad : sizeof(zeros);

		GgufOutPut(o, zeros, n);
		pad -= n;
	}
}

/* Assign each tensor an aligned offset in the data section. */
static bool
GgufWriterLayout(GgufWriter *w)
{
	uint64_t	offset = 0;

	for (size_t i = 0; i < w->n_tensors; i++)
	{
		uint64_t	padded;

		w->tensors[i].offset = offset;
		if (offset > UINT64_MAX - w->alignment ||
			w->tensors[i].nbytes > UINT64_MAX - w->alignment - offset)
			return false;
		padded = offset + w->tensors[i].nbytes;
		offset = (padded + w->alignment - 1) & ~((uint64_t) w->alignment - 1);
	}
	return true;
}

static void
GgufWriterHeader(GgufWriter *w, GgufOut *o)
{
	GgufOutPut(o, GGUF_MAGIC, 4);
	GgufOutLE(o, GGUF_WRITE_VERSION, 4);
	GgufOutLE(o, w->n_tensors, 8);
	GgufOutLE(o, w->n_kv, 8);
	for (size_t i = 0; i < w->n_kv; i++)
	{
		GgufOutString(o, w->kv[i].key);
		GgufOutLE(o, (uint64_t) w->kv[i].type, 4);
		GgufOutPut(o, w->kv[i].value, w->kv[i].value_len);
	}
	for (size_t i = 0; i < w->n_tensors; i++)
	{
		const GgufWriterTensor *t = &w->tensors[i];

		GgufOutString(o, t->name);
		GgufOutLE(o, t->n_dims, 4);
		for (uint32_t j = 0; j < t->n_dims; j++)
			GgufOutLE(o, t->ne[j], 8);
		GgufOutLE(o, t->type, 4);
		GgufOutLE(o, t->offset, 8);
	}
	GgufOutPad(o, w->alignment);
}

/* Stream every tensor's bytes, each from its own exact-size buffer. */
static LlmStatus
GgufWriterData(GgufWriter *w, GgufOut *o, GgufFillFn fill, void *arg,
			   LlmError *err)
{
	for (size_t i = 0; i < w->n_tensors && o->error == 0; i++)
	{
		const GgufWriterTensor *t = &w->tensors[i];
		void	   *buf = malloc(t->nbytes > 0 ? t->nbytes : 1);
		LlmStatus	status;

		if (buf == NULL)
			return LlmSetError(err, LLM_ERR_NOMEM,
							   "out of memory for the %zu bytes of tensor \"%s\"",
							   t->nbytes, t->name);
		status = fill(arg, (uint64_t) i, buf, t->nbytes, err);
		if (status != LLM_OK)
		{
			free(buf);
			return status;
		}
		GgufOutPut(o, buf, t->nbytes);
		free(buf);
		GgufOutPad(o, w->alignment);
	}
	return LLM_OK;
}

/*
 * Remove what was written of a failed file, but only a regular file: the
 * path might name a device such as /dev/full.
 */
static void
GgufRemovePartial(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		unlink(path);
}

LlmStatus
GgufWriterWrite(GgufWriter *w, const char *path, GgufFillFn fill, void *arg,
				LlmError *err)
{
	GgufOut		o = {NULL, path, 0, 0};
	LlmStatus	status;

	if (w == NULL || w->out_of_memory)
		return LlmSetError(err, LLM_ERR_NOMEM,
						   "out of memory while collecting GGUF metadata");
	if (w->bad_argument.code != LLM_OK)
		return LlmSetError(err, w->bad_argument.code, "%s",
						   w->bad_argument.message);
	if (w->n_tensors > 0 && fill == NULL)
		return LlmSetError(err, LLM_ERR_ARGUMENT,
						   "GGUF writer: no fill function for %zu tensors",
						   w->n_tensors);
	if (!GgufWriterLayout(w))
		return LlmSetError(err, LLM_ERR_ARGUMENT,
						   "GGUF writer: the tensor data section overflows");

	o.fp = fopen(path, "wb");
	if (o.fp == NULL)
		return LlmSetError(err, LLM_ERR_IO, "cannot create \"%s\": %s",
						   path, strerror(errno));

	errno = 0;
	GgufWriterHeader(w, &o);
	status = GgufWriterData(w, &o, fill, arg, err);

	/* buffered bytes may only fail here, e.g. ENOSPC at the final flush */
	if (fflush(o.fp) != 0 && o.error == 0)
		o.error = errno != 0 ? errno : EIO;
	if (fclose(o.fp) != 0 && o.error == 0)
		o.error = errno != 0 ? errno : EIO;

	if (status == LLM_OK && o.error != 0)
		status = LlmSetError(err, LLM_ERR_IO, "cannot write \"%s\": %s",
							 path, strerror(o.error));
	if (status != LLM_OK)
		GgufRemovePartial(path);
	return status;
}
