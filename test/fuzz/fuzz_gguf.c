/*-------------------------------------------------------------------------
 *
 * fuzz_gguf.c
 *	  libFuzzer harness of the GGUF reader: arbitrary bytes as a GGUF file.
 *
 * GgufOpenMemory must refuse what is not a valid file with an error, never
 * crash, and keep its promises about what it accepts: every key, string,
 * array and tensor it hands out lies inside the buffer (the harness reads
 * each one whole, so AddressSanitizer sees any that does not), and every
 * lookup by a name the file holds finds an entry.
 *
 * Seeds: the GGUF files of ../shared (models, parity models, vocabularies);
 * their headers are what the reader parses, so -max_len may cut them.
 *
 *-------------------------------------------------------------------------
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "gguf.h"

/* bytes of one array element; 0 for strings (a table of their own) */
static size_t
ElemSize(GgufValueType t)
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
		default:
			return 0;
	}
}

/* Touch every byte of a span, so that ASan checks it lies in the buffer. */
static unsigned
Touch(const void *p, size_t n)
{
	const volatile uint8_t *b = p;
	unsigned	sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += b[i];
	return sum;
}

static bool
InBuffer(const uint8_t *buf, size_t size, const void *p, size_t n)
{
	const uint8_t *q = p;

	return n == 0 || (q >= buf && n <= size && q - buf <= (ptrdiff_t) (size - n));
}

static void
CheckKV(const GgufFile *f, const uint8_t *buf, size_t size, const GgufKV *kv)
{
	char		key[256];
	bool		b;
	uint32_t	u32;
	int64_t		i64;
	float		f32;
	GgufString	s;

	FUZZ_CHECK(InBuffer(buf, size, kv->key.data, kv->key.len), "key outside the buffer");
	Touch(kv->key.data, kv->key.len);
	(void) GgufTypeName(kv->type);
	if (kv->type == GGUF_TYPE_STRING)
	{
		FUZZ_CHECK(InBuffer(buf, size, kv->v.str.data, kv->v.str.len), "string outside the buffer");
		Touch(kv->v.str.data, kv->v.str.len);
	}
	else if (kv->type == GGUF_TYPE_ARRAY)
	{
		FUZZ_CHECK(kv->v.arr.type != GGUF_TYPE_ARRAY, "array of arrays accepted");
		(void) GgufTypeName(kv->v.arr.type);
		if (kv->v.arr.type == GGUF_TYPE_STRING)
		{
			FUZZ_CHECK(kv->v.arr.len == 0 || kv->v.arr.strings != NULL, "string array without table");
			for (uint64_t i = 0; i < kv->v.arr.len; i++)
			{
				FUZZ_CHECK(InBuffer(buf, size, kv->v.arr.strings[i].data, kv->v.arr.strings[i].len),
						   "array string %llu outside the buffer", (unsigned long long) i);
				Touch(kv->v.arr.strings[i].data, kv->v.arr.strings[i].len);
			}
		}
		else
		{
			size_t		es = ElemSize(kv->v.arr.type);

			FUZZ_CHECK(es != 0, "array of unknown element type %d", (int) kv->v.arr.type);
			FUZZ_CHECK(kv->v.arr.len <= size / es, "array longer than the file");
			FUZZ_CHECK(InBuffer(buf, size, kv->v.arr.data, kv->v.arr.len * es), "array outside the buffer");
			Touch(kv->v.arr.data, kv->v.arr.len * es);
		}
	}

	/* lookups by the key's name, when it is a C string */
	if (kv->key.len >= sizeof(key) || memchr(kv->key.data, '\0', kv->key.len) != NULL)
		return;
	memcpy(key, kv->key.data, kv->key.len);
	key[kv->key.len] = '\0';
	FUZZ_CHECK(GgufFind(f, key) != NULL, "key \"%s\" not found again", key);
	FUZZ_CHECK(GgufStrEq(kv->key, key), "GgufStrEq of a key with itself");
	(void) GgufGetU32(f, key, &u32);
	(void) GgufGetI64(f, key, &i64);
	(void) GgufGetF32(f, key, &f32);
	(void) GgufGetBool(f, key, &b);
	if (GgufGetString(f, key, &s))
		Touch(s.data, s.len);
	for (int t = 0; t < GGUF_TYPE_COUNT; t++)
		(void) GgufGetArray(f, key, (GgufValueType) t);
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GgufFile   *f;
	LlmError	err;
	char		name[256];

	if (GgufOpenMemory(data, size, &f, &err) != LLM_OK)
	{
		FUZZ_CHECK(f == NULL, "a failed open left a file");
		FUZZ_CHECK(err.code != LLM_OK && memchr(err.message, '\0', sizeof(err.message)) != NULL,
				   "error without a status or an unterminated message");
		return 0;
	}
	FUZZ_CHECK(f->alignment != 0 && (f->alignment & (f->alignment - 1)) == 0,
			   "alignment %zu", f->alignment);
	FUZZ_CHECK(f->data_offset <= size || f->n_tensors == 0, "data section past the end");
	for (uint64_t i = 0; i < f->n_kv; i++)
		CheckKV(f, data, size, &f->kv[i]);
	for (uint64_t i = 0; i < f->n_tensors; i++)
	{
		const GgufTensor *t = &f->tensors[i];

		FUZZ_CHECK(t->n_dims >= 1 && t->n_dims <= GGUF_MAX_DIMS, "n_dims %u", t->n_dims);
		FUZZ_CHECK(InBuffer(data, size, t->name.data, t->name.len), "tensor name outside the buffer");
		FUZZ_CHECK(InBuffer(data, size, t->data, t->nbytes), "tensor %llu's data outside the buffer",
				   (unsigned long long) i);
		FUZZ_CHECK(((const uint8_t *) t->data - data) % f->alignment == 0 || t->nbytes == 0,
				   "tensor %llu misaligned", (unsigned long long) i);
		if (t->nbytes > 0)
			Touch(t->data, 1), Touch((const uint8_t *) t->data + t->nbytes - 1, 1);
		if (t->name.len < sizeof(name) && memchr(t->name.data, '\0', t->name.len) == NULL)
		{
			memcpy(name, t->name.data, t->name.len);
			name[t->name.len] = '\0';
			FUZZ_CHECK(GgufFindTensor(f, name) != NULL, "tensor \"%s\" not found again", name);
		}
	}
	(void) GgufFind(f, "general.architecture");
	(void) GgufFindTensor(f, "token_embd.weight");
	GgufClose(f);
	return 0;
}
