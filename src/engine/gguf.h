/*-------------------------------------------------------------------------
 *
 * gguf.h
 *	  Reading and writing GGUF files (versions 2 and 3).
 *
 * A GgufFile maps the whole file read-only; strings and tensor data are
 * views into the mapping, never copies, so the page cache holds the only
 * copy of the weights.  Everything read from the file is validated when it
 * is opened: after GgufOpen succeeds, every tensor's data lies inside the
 * file, aligned, with a size that matches its shape and type.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_GGUF_H
#define LLM_ENGINE_GGUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define GGUF_MAGIC "GGUF"
#define GGUF_DEFAULT_ALIGNMENT 32
#define GGUF_MAX_DIMS 4

typedef enum GgufValueType
{
	GGUF_TYPE_UINT8 = 0,
	GGUF_TYPE_INT8 = 1,
	GGUF_TYPE_UINT16 = 2,
	GGUF_TYPE_INT16 = 3,
	GGUF_TYPE_UINT32 = 4,
	GGUF_TYPE_INT32 = 5,
	GGUF_TYPE_FLOAT32 = 6,
	GGUF_TYPE_BOOL = 7,
	GGUF_TYPE_STRING = 8,
	GGUF_TYPE_ARRAY = 9,
	GGUF_TYPE_UINT64 = 10,
	GGUF_TYPE_INT64 = 11,
	GGUF_TYPE_FLOAT64 = 12,
	GGUF_TYPE_COUNT
} GgufValueType;

/* A length-counted string inside the mapping (not NUL-terminated). */
typedef struct GgufString
{
	uint64_t	len;
	const char *data;
} GgufString;

typedef struct GgufKV
{
	GgufString	key;
	GgufValueType type;
	union
	{
		uint64_t	u64;		/* any unsigned integer type, and bool */
		int64_t		i64;		/* any signed integer type */
		double		f64;		/* FLOAT32 and FLOAT64 */
		GgufString	str;
		struct
		{
			GgufValueType type; /* element type (never ARRAY) */
			uint64_t	len;
			const void *data;	/* raw little-endian elements in the map */
			GgufString *strings;	/* STRING arrays: len entries (malloc'd) */
		}			arr;
	}			v;
} GgufKV;

typedef struct GgufTensor
{
	GgufString	name;
	uint32_t	n_dims;
	uint64_t	ne[GGUF_MAX_DIMS];	/* ne[0] = elements per row; unused = 1 */
	uint32_t	type;			/* LlmType id */
	uint64_t	offset;			/* relative to the data section */
	const void *data;			/* inside the mapping */
	size_t		nbytes;
} GgufTensor;

typedef struct GgufFile
{
	const uint8_t *base;		/* whole file */
	size_t		size;
	bool		mapped;			/* base is our mmap (GgufOpen) */
	uint32_t	version;
	uint64_t	n_kv;
	GgufKV	   *kv;
	uint64_t	n_tensors;
	GgufTensor *tensors;
	size_t		alignment;
	size_t		data_offset;	/* start of the tensor data section */
} GgufFile;

/* Map and validate a file.  On failure *out is NULL and err says why. */
extern LlmStatus GgufOpen(const char *path, GgufFile **out, LlmError *err);

/* Validate a caller-owned buffer (tests, fuzzers); buf must outlive *out. */
extern LlmStatus GgufOpenMemory(const void *buf, size_t size, GgufFile **out,
								LlmError *err);

extern void GgufClose(GgufFile *f);

extern const GgufKV *GgufFind(const GgufFile *f, const char *key);
extern const GgufTensor *GgufFindTensor(const GgufFile *f, const char *name);

/*
 * Typed getters: false if the key is absent or its value cannot be
 * represented in the requested type (any integer type converts to another
 * when the value fits; floats accept FLOAT32/FLOAT64).
 */
extern bool GgufGetU32(const GgufFile *f, const char *key, uint32_t *out);
extern bool GgufGetI64(const GgufFile *f, const char *key, int64_t *out);
extern bool GgufGetF32(const GgufFile *f, const char *key, float *out);
extern bool GgufGetBool(const GgufFile *f, const char *key, bool *out);
extern bool GgufGetString(const GgufFile *f, const char *key, GgufString *out);

/* An array of the given element type, or NULL. */
extern const GgufKV *GgufGetArray(const GgufFile *f, const char *key,
								  GgufValueType elem_type);

/* Compare a GgufString with a C string. */
extern bool GgufStrEq(GgufString s, const char *cstr);

/* Human-readable name of a value type ("uint32", "array", ...). */
extern const char *GgufTypeName(GgufValueType t);

/*
 * Writer.  Metadata and tensor infos are collected first; GgufWriterWrite
 * then streams the file, asking fill() for each tensor's bytes in turn so
 * that multi-gigabyte models never sit in memory whole.
 */
typedef struct GgufWriter GgufWriter;

typedef LlmStatus (*GgufFillFn) (void *arg, uint64_t tensor_index,
								 void *dst, size_t nbytes, LlmError *err);

extern GgufWriter *GgufWriterCreate(void);
extern void GgufWriterFree(GgufWriter *w);
extern void GgufWriterSetU32(GgufWriter *w, const char *key, uint32_t v);
extern void GgufWriterSetI32(GgufWriter *w, const char *key, int32_t v);
extern void GgufWriterSetF32(GgufWriter *w, const char *key, float v);
extern void GgufWriterSetBool(GgufWriter *w, const char *key, bool v);
extern void GgufWriterSetString(GgufWriter *w, const char *key, const char *v);
extern void GgufWriterSetStringArray(GgufWriter *w, const char *key,
									 const char *const *v, uint64_t n);
extern void GgufWriterSetF32Array(GgufWriter *w, const char *key,
								  const float *v, uint64_t n);
extern void GgufWriterSetI32Array(GgufWriter *w, const char *key,
								  const int32_t *v, uint64_t n);
extern void GgufWriterAddTensor(GgufWriter *w, const char *name, uint32_t type,
								uint32_t n_dims, const uint64_t *ne);
extern LlmStatus GgufWriterWrite(GgufWriter *w, const char *path,
								 GgufFillFn fill, void *arg, LlmError *err);

#endif							/* LLM_ENGINE_GGUF_H */
