/*-------------------------------------------------------------------------
 *
 * gguf.c
 *	  Looking things up in an opened GGUF file: keys, tensors and typed
 *	  getters.
 *
 * Parsing and validation live in gguf_read.c and writing in gguf_write.c;
 * everything here trusts what GgufOpen already checked.  At the end, the
 * helpers the reader and the writer share (gguf_internal.h).
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "gguf_internal.h"

bool
GgufStrEq(GgufString s, const char *cstr)
{
	size_t		n = strlen(cstr);

	return s.len == n && (n == 0 || memcmp(s.data, cstr, n) == 0);
}

const char *
GgufTypeName(GgufValueType t)
{
	switch (t)
	{
		case GGUF_TYPE_UINT8:
			return "uint8";
		case GGUF_TYPE_INT8:
			return "int8";
		case GGUF_TYPE_UINT16:
			return "uint16";
		case GGUF_TYPE_INT16:
			return "int16";
		case GGUF_TYPE_UINT32:
			return "uint32";
		case GGUF_TYPE_INT32:
			return "int32";
		case GGUF_TYPE_FLOAT32:
			return "float32";
		case GGUF_TYPE_BOOL:
			return "bool";
		case GGUF_TYPE_STRING:
			return "string";
		case GGUF_TYPE_ARRAY:
			return "array";
		case GGUF_TYPE_UINT64:
			return "uint64";
		case GGUF_TYPE_INT64:
			return "int64";
		case GGUF_TYPE_FLOAT64:
			return "float64";
		case GGUF_TYPE_COUNT:
			break;
	}
	return "unknown";
}

/*
 * Linear scans: a model has a few dozen keys and a few hundred tensors, and
 * each is looked up once per load, so an index would cost more than it saves.
 */
const GgufKV *
GgufFind(const GgufFile *f, const char *key)
{
	if (f == NULL || key == NULL)
		return NULL;
	for (uint64_t i = 0; i < f->n_kv; i++)
	{
		if (GgufStrEq(f->kv[i].key, key))
			return &f->kv[i];
	}
	return NULL;
}

const GgufTensor *
GgufFindTensor(const GgufFile *f, const char *name)
{
	if (f == NULL || name == NULL)
		return NULL;
	for (uint64_t i = 0; i < f->n_tensors; i++)
	{
		if (GgufStrEq(f->tensors[i].name, name))
			return &f->tensors[i];
	}
	return NULL;
}

static bool
GgufIsUnsigned(GgufValueType t)
{
	return t == GGUF_TYPE_UINT8 || t == GGUF_TYPE_UINT16 ||
		t == GGUF_TYPE_UINT32 || t == GGUF_TYPE_UINT64;
}

static bool
GgufIsSigned(GgufValueType t)
{
	return t == GGUF_TYPE_INT8 || t == GGUF_TYPE_INT16 ||
		t == GGUF_TYPE_INT32 || t == GGUF_TYPE_INT64;
}

bool
GgufGetU32(const GgufFile *f, const char *key, uint32_t *out)
{
	const GgufKV *kv = GgufFind(f, key);

	if (kv == NULL)
		return false;
	if (GgufIsUnsigned(kv->type) && kv->v.u64 <= UINT32_MAX)
	{
		*out = (uint32_t) kv->v.u64;
		return true;
	}
	if (GgufIsSigned(kv->type) && kv->v.i64 >= 0 && kv->v.i64 <= UINT32_MAX)
	{
		*out = (uint32_t) kv->v.i64;
		return true;
	}
	return false;
}

bool
GgufGetI64(const GgufFile *f, const char *key, int64_t *out)
{
	const GgufKV *kv = GgufFind(f, key);

	if (kv == NULL)
		return false;
	if (GgufIsSigned(kv->type))
	{
		*out = kv->v.i64;
		return true;
	}
	if (GgufIsUnsigned(kv->type) && kv->v.u64 <= INT64_MAX)
	{
		*out = (int64_t) kv->v.u64;
		return true;
	}
	return false;
}

bool
GgufGetF32(const GgufFile *f, const char *key, float *out)
{
	const GgufKV *kv = GgufFind(f, key);

	if (kv == NULL)
		return false;
	if (kv->type != GGUF_TYPE_FLOAT32 && kv->type != GGUF_TYPE_FLOAT64)
		return false;

	/*
	 * A finite double beyond float's range would silently become inf; NaN
	 * and infinities pass through (both comparisons are false for them).
	 */
	if ((kv->v.f64 > FLT_MAX && kv->v.f64 <= DBL_MAX) ||
		(kv->v.f64 < -FLT_MAX && kv->v.f64 >= -DBL_MAX))
		return false;
	*out = (float) kv->v.f64;
	return true;
}

bool
GgufGetBool(const GgufFile *f, const char *key, bool *out)
{
	const GgufKV *kv = GgufFind(f, key);

	if (kv == NULL || kv->type != GGUF_TYPE_BOOL)
		return false;
	*out = kv->v.u64 != 0;
	return true;
}

bool
GgufGetString(const GgufFile *f, const char *key, GgufString *out)
{
	const GgufKV *kv = GgufFind(f, key);

	if (kv == NULL || kv->type != GGUF_TYPE_STRING)
		return false;
	*out = kv->v.str;
	return true;
}

const GgufKV *
GgufGetArray(const GgufFile *f, const char *key, GgufValueType elem_type)
{
	const GgufKV *kv = GgufFind(f, key);

	if (kv == NULL || kv->type != GGUF_TYPE_ARRAY ||
		kv->v.arr.type != elem_type)
		return NULL;
	return kv;
}

/* ---- shared by gguf_read.c and gguf_write.c ---- */

/*
 * One element at a time, so that the reader's arrays grow with what it has
 * actually parsed, never with a count claimed by the header.
 */
bool
GgufGrow(void **items, size_t *cap, size_t used, size_t elem_size)
{
	size_t		newcap;
	void	   *p;

	if (used < *cap)
		return true;
	newcap = *cap == 0 ? 16 : *cap * 2;
	if (newcap > SIZE_MAX / elem_size)
		return false;
	p = realloc(*items, newcap * elem_size);
	if (p == NULL)
		return false;
	*items = p;
	*cap = newcap;
	return true;
}

bool
GgufTensorBytes(const uint64_t *ne, uint32_t n_dims,
				const LlmTypeTraits *traits, size_t *nbytes)
{
	uint64_t	blocks = ne[0] / (uint64_t) traits->block_size;
	uint64_t	total;

	if (blocks > SIZE_MAX / traits->type_size)
		return false;
	total = blocks * traits->type_size;
	for (uint32_t j = 1; j < n_dims; j++)
	{
		if (ne[j] != 0 && total > SIZE_MAX / ne[j])
			return false;
		total *= ne[j];
	}
	*nbytes = (size_t) total;
	return true;
}
