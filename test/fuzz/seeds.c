/*-------------------------------------------------------------------------
 *
 * seeds.c
 *	  Writes the generated part of the fuzzers' seed corpora (into the
 *	  directory given, build/fuzz/seeds), from ../shared and the unit tests'
 *	  cases; nothing generated is kept in the repository.
 *
 *	model/		byte 0 a base model of fuzz.h, then that model's GGUF header
 *				(fuzz_model.c grafts the tensor data back on)
 *	vocab/		each vocabulary of ../shared/vocab trimmed to a few thousand
 *				tokens: its first ones, every special one, the merges between
 *				the tokens kept, every other key as it is (a Unigram
 *				vocabulary also without its 240 kB charsmap)
 *	tokenize/	byte 0 a vocabulary of fuzz.h, byte 1 flags, then one of
 *				llama.cpp's tokenizer cases for it (VOCAB.inp)
 *	chat/		every chat template of the shared GGUF files, and every family
 *				name, with a conversation
 *	json_schema/, gbnf/, json/
 *				the schemas and grammars of test/unit/json_schema
 *	gguf/		the trimmed vocabularies and the model headers as files
 *
 * Run from the repository's root: seeds OUT_DIR.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "chat.h"
#include "fuzz.h"
#include "gguf.h"
#include "tokenizer/vocab.h"

/* tokens kept from the start of each vocabulary, and specials beyond it */
#define TRIM_FIRST 2000
#define TRIM_SPECIAL 256

static const char *out_dir;
static int	n_written;

static void
Fail(const char *what, const char *detail)
{
	fprintf(stderr, "seeds: %s: %s\n", what, detail);
	exit(1);
}

static void
MakeDir(const char *sub)
{
	char		path[4096];

	snprintf(path, sizeof(path), "%s/%s", out_dir, sub);
	if (mkdir(path, 0777) != 0 && errno != EEXIST)
		Fail(path, strerror(errno));
}

/* Write out_dir/sub/name from up to three pieces. */
static void
WriteSeed(const char *sub, const char *name, const void *a, size_t alen,
		  const void *b, size_t blen)
{
	char		path[4096];
	FILE	   *f;

	snprintf(path, sizeof(path), "%s/%s/%s", out_dir, sub, name);
	f = fopen(path, "wb");
	if (f == NULL)
		Fail(path, strerror(errno));
	if ((alen > 0 && fwrite(a, 1, alen, f) != alen) ||
		(blen > 0 && fwrite(b, 1, blen, f) != blen) || fclose(f) != 0)
		Fail(path, "write failed");
	n_written++;
}

/* A whole file, NUL-terminated, or exit. */
static char *
ReadFile(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf;
	long		n;

	if (f == NULL)
		Fail(path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n + 1);
	if (buf == NULL || fread(buf, 1, n, f) != (size_t) n)
		Fail(path, "read failed");
	fclose(f);
	buf[n] = '\0';
	*len = (size_t) n;
	return buf;
}

static GgufFile *
OpenShared(const char *rel)
{
	GgufFile   *f;
	LlmError	err;

	if (GgufOpen(FuzzSharedPath(rel), &f, &err) != LLM_OK)
		Fail(rel, err.message);
	return f;
}

/* ---- a growable byte buffer and the pieces of a GGUF file ---- */

typedef struct Buf
{
	uint8_t    *data;
	size_t		len;
	size_t		cap;
} Buf;

static void
Put(Buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap)
	{
		b->cap = (b->len + n) * 2 + 1024;
		b->data = realloc(b->data, b->cap);
		if (b->data == NULL)
			Fail("seeds", "out of memory");
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void
PutU32(Buf *b, uint32_t v)
{
	uint8_t		le[4] = {v, v >> 8, v >> 16, v >> 24};

	Put(b, le, 4);
}

static void
PutU64(Buf *b, uint64_t v)
{
	PutU32(b, (uint32_t) v);
	PutU32(b, (uint32_t) (v >> 32));
}

static void
PutStr(Buf *b, const char *s, uint64_t len)
{
	PutU64(b, len);
	Put(b, s, len);
}

static size_t
ScalarSize(GgufValueType t)
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
		default:
			return 8;
	}
}

/* A scalar value as the file holds it (little-endian, its own width). */
static void
PutScalar(Buf *b, const GgufKV *kv, uint64_t replace, bool use_replace)
{
	uint64_t	bits;

	if (kv->type == GGUF_TYPE_FLOAT32)
	{
		float		f = (float) kv->v.f64;
		uint32_t	u;

		memcpy(&u, &f, 4);
		bits = u;
	}
	else if (kv->type == GGUF_TYPE_FLOAT64)
		memcpy(&bits, &kv->v.f64, 8);
	else if (kv->type == GGUF_TYPE_INT8 || kv->type == GGUF_TYPE_INT16 ||
			 kv->type == GGUF_TYPE_INT32 || kv->type == GGUF_TYPE_INT64)
		bits = (uint64_t) kv->v.i64;
	else
		bits = kv->v.u64;
	if (use_replace)
		bits = replace;
	for (size_t i = 0; i < ScalarSize(kv->type); i++)
	{
		uint8_t		byte = (uint8_t) (bits >> (8 * i));

		Put(b, &byte, 1);
	}
}

/* ---- trimmed vocabularies ---- */

static bool
EndsWith(GgufString s, const char *suffix)
{
	size_t		n = strlen(suffix);

	return s.len >= n && memcmp(s.data + s.len - n, suffix, n) == 0;
}

/*
 * The vocabulary of f with only the kept tokens (new id = rank among the
 * kept), merges between kept tokens, special ids renumbered; with_charsmap
 * false drops tokenizer.ggml.precompiled_charsmap.
 */
static void
WriteTrimmed(const char *rel, GgufFile *f, const char *name, bool with_charsmap)
{
	const GgufKV *tokens = GgufGetArray(f, "tokenizer.ggml.tokens", GGUF_TYPE_STRING);
	const GgufKV *types = GgufGetArray(f, "tokenizer.ggml.token_type", GGUF_TYPE_INT32);
	LlmVocab   *vocab;
	LlmError	err;
	int32_t    *new_id;
	uint64_t	n,
				n_kept = 0,
				n_kv = 0,
				n_special = 0;
	Buf			body = {0},
				file = {0};

	if (tokens == NULL)
		Fail(rel, "no tokenizer.ggml.tokens");
	if (LlmVocabLoad(f, &vocab, &err) != LLM_OK)
		Fail(rel, err.message);
	n = tokens->v.arr.len;
	new_id = malloc(n * sizeof(int32_t));
	for (uint64_t i = 0; i < n; i++)
	{
		int32_t		type = 1;
		bool		keep = i < TRIM_FIRST;

		if (types != NULL && i < types->v.arr.len)
			memcpy(&type, (const uint8_t *) types->v.arr.data + 4 * i, 4);
		if (!keep && (type == LLM_TOKEN_CONTROL || type == LLM_TOKEN_USER_DEFINED ||
					  type == LLM_TOKEN_UNKNOWN || LlmVocabIsEog(vocab, (int32_t) i) ||
					  (int32_t) i == vocab->bos_id || (int32_t) i == vocab->unk_id ||
					  (int32_t) i == vocab->sep_id) &&
			n_special < TRIM_SPECIAL)
		{
			keep = true;
			n_special++;
		}
		new_id[i] = keep ? (int32_t) n_kept++ : -1;
	}

	for (uint64_t k = 0; k < f->n_kv; k++)
	{
		const GgufKV *kv = &f->kv[k];
		bool		per_token = kv->type == GGUF_TYPE_ARRAY && kv->v.arr.len == n &&
			kv->key.len > 16 && memcmp(kv->key.data, "tokenizer.ggml.", 15) == 0;

		if (!with_charsmap && GgufStrEq(kv->key, "tokenizer.ggml.precompiled_charsmap"))
			continue;
		n_kv++;
		PutStr(&body, kv->key.data, kv->key.len);
		PutU32(&body, kv->type);
		if (kv->type == GGUF_TYPE_STRING)
			PutStr(&body, kv->v.str.data, kv->v.str.len);
		else if (kv->type == GGUF_TYPE_ARRAY && GgufStrEq(kv->key, "tokenizer.ggml.merges") &&
				 kv->v.arr.type == GGUF_TYPE_STRING)
		{
			Buf			merges = {0};
			uint64_t	n_merges = 0;

			for (uint64_t i = 0; i < kv->v.arr.len; i++)
			{
				GgufString	m = kv->v.arr.strings[i];
				const char *sp = m.len > 1 ? memchr(m.data + 1, ' ', m.len - 1) : NULL;
				char		joined[512];
				size_t		l,
							r;
				int32_t		a,
							b,
							c;

				if (sp == NULL || m.len >= sizeof(joined))
					continue;
				l = (size_t) (sp - m.data);
				r = m.len - l - 1;
				memcpy(joined, m.data, l);
				memcpy(joined + l, sp + 1, r);
				a = LlmVocabFind(vocab, m.data, l);
				b = LlmVocabFind(vocab, sp + 1, r);
				c = LlmVocabFind(vocab, joined, l + r);
				if (a < 0 || b < 0 || c < 0 || new_id[a] < 0 || new_id[b] < 0 || new_id[c] < 0)
					continue;
				PutStr(&merges, m.data, m.len);
				n_merges++;
			}
			PutU32(&body, GGUF_TYPE_STRING);
			PutU64(&body, n_merges);
			Put(&body, merges.data, merges.len);
			free(merges.data);
		}
		else if (kv->type == GGUF_TYPE_ARRAY)
		{
			PutU32(&body, kv->v.arr.type);
			PutU64(&body, per_token ? n_kept : kv->v.arr.len);
			for (uint64_t i = 0; i < kv->v.arr.len; i++)
			{
				if (per_token && new_id[i] < 0)
					continue;
				if (kv->v.arr.type == GGUF_TYPE_STRING)
					PutStr(&body, kv->v.arr.strings[i].data, kv->v.arr.strings[i].len);
				else
				{
					size_t		es = ScalarSize(kv->v.arr.type);

					Put(&body, (const uint8_t *) kv->v.arr.data + es * i, es);
				}
			}
		}
		else
		{
			/* special token ids follow their token */
			bool		is_id = EndsWith(kv->key, "_token_id") &&
				kv->type == GGUF_TYPE_UINT32 && kv->v.u64 < n && new_id[kv->v.u64] >= 0;

			PutScalar(&body, kv, is_id ? (uint64_t) new_id[kv->v.u64] : 0, is_id);
		}
	}

	Put(&file, GGUF_MAGIC, 4);
	PutU32(&file, 3);
	PutU64(&file, 0);			/* no tensors */
	PutU64(&file, n_kv);
	Put(&file, body.data, body.len);
	WriteSeed("vocab", name, file.data, file.len, NULL, 0);
	WriteSeed("gguf", name, file.data, file.len, NULL, 0);
	free(body.data);
	free(file.data);
	free(new_id);
	LlmVocabFree(vocab);
}

static const char *
BaseName(const char *rel)
{
	const char *slash = strrchr(rel, '/');

	return slash ? slash + 1 : rel;
}

static void
VocabSeeds(void)
{
	for (int v = 0; v < FUZZ_N_VOCABS; v++)
	{
		GgufFile   *f = OpenShared(fuzz_vocabs[v]);
		char		name[256];

		WriteTrimmed(fuzz_vocabs[v], f, BaseName(fuzz_vocabs[v]), true);
		if (GgufFind(f, "tokenizer.ggml.precompiled_charsmap") != NULL)
		{
			snprintf(name, sizeof(name), "nocharsmap-%s", BaseName(fuzz_vocabs[v]));
			WriteTrimmed(fuzz_vocabs[v], f, name, false);
		}
		GgufClose(f);
	}
}

/* ---- model headers ---- */

static void
ModelSeeds(void)
{
	for (int i = 0; i < FUZZ_N_MODELS; i++)
	{
		GgufFile   *f = OpenShared(fuzz_models[i]);
		char		name[256];
		uint8_t		pick = (uint8_t) i;

		snprintf(name, sizeof(name), "%s.header", BaseName(fuzz_models[i]));
		WriteSeed("model", name, &pick, 1, f->base, f->data_offset);
		WriteSeed("gguf", name, f->base, f->data_offset, NULL, 0);
		/* and with an F16 KV cache (byte 0 / FUZZ_N_MODELS odd) */
		pick = (uint8_t) (i + FUZZ_N_MODELS);
		snprintf(name, sizeof(name), "%s.f16kv.header", BaseName(fuzz_models[i]));
		WriteSeed("model", name, &pick, 1, f->base, f->data_offset);
		GgufClose(f);
	}
}

/* ---- llama.cpp's tokenizer cases ---- */

static void
TokenizeSeeds(void)
{
	static const char sep[] = "\n__ggml_vocab_test__\n";

	for (int v = 0; v < FUZZ_N_VOCABS; v++)
	{
		char		path[4096];
		char	   *text;
		size_t		len;
		char	   *p;
		int			n = 0;

		snprintf(path, sizeof(path), "%s.inp", FuzzSharedPath(fuzz_vocabs[v]));
		text = ReadFile(path, &len);
		for (p = text; p < text + len; n++)
		{
			char	   *end = strstr(p, sep);
			size_t		clen = end ? (size_t) (end - p) : strlen(p);
			uint8_t		head[2];
			char		name[64];

			head[0] = (uint8_t) v;
			/* vary the flags: special tokens, BOS, detokenizing raw ids */
			head[1] = (uint8_t) (n % 16);
			snprintf(name, sizeof(name), "v%02d-%03d", v, n);
			WriteSeed("tokenize", name, head, 2, p, clen);
			if (end == NULL)
				break;
			p = end + strlen(sep);
		}
		free(text);
	}
}

/* ---- chat templates ---- */

static void
ChatSeed(const char *template_text, size_t len, int *n, uint8_t flags)
{
	static const char conv[] =
		"system\0Be brief.\0user\0Hello\0assistant\0Hi there\0user\0Again?";
	Buf			b = {0};
	char		name[64];

	Put(&b, &flags, 1);
	Put(&b, template_text, len);
	Put(&b, "", 1);
	Put(&b, conv, sizeof(conv) - 1);
	snprintf(name, sizeof(name), "chat-%03d", (*n)++);
	WriteSeed("chat", name, b.data, b.len, NULL, 0);
	free(b.data);
}

static void
ChatSeeds(void)
{
	int			n = 0;

	for (int f = 0; f < LLM_CHAT_FAMILY_COUNT; f++)
	{
		const char *fam = LlmChatFamilyName((LlmChatFamily) f);

		ChatSeed(fam, strlen(fam), &n, (uint8_t) (0x01 | ((f % 4) << 1)));
	}
	for (int i = 0; i < FUZZ_N_VOCABS + FUZZ_N_MODELS; i++)
	{
		const char *rel = i < FUZZ_N_VOCABS ? fuzz_vocabs[i] : fuzz_models[i - FUZZ_N_VOCABS];
		GgufFile   *f = OpenShared(rel);

		for (uint64_t k = 0; k < f->n_kv; k++)
			if (f->kv[k].type == GGUF_TYPE_STRING && f->kv[k].key.len >= 23 &&
				memcmp(f->kv[k].key.data, "tokenizer.chat_template", 23) == 0)
				ChatSeed(f->kv[k].v.str.data, f->kv[k].v.str.len, &n, (uint8_t) (0x01 | (n % 4) << 1));
		GgufClose(f);
	}
}

/* ---- JSON Schemas and their grammars ---- */

static void
SchemaSeeds(void)
{
	static const char *const samples[] = {"{\"a\": 1}", "[1, 2]", "\"text\"", "42", "true"};
	size_t		len;
	char	   *text = ReadFile("test/unit/json_schema/llama_cases.txt", &len);
	char	   *p = text;
	int			n = 0;

	/* "=== name\nSCHEMA\n---\nGRAMMAR or ERROR\n" one after another */
	while ((p = strstr(p, "=== ")) != NULL)
	{
		char	   *schema = strchr(p, '\n');
		char	   *dash,
				   *grammar,
				   *next;
		char		name[64];

		if (schema == NULL)
			break;
		schema++;
		dash = strstr(schema, "\n---\n");
		if (dash == NULL)
			break;
		grammar = dash + 5;
		next = strstr(grammar, "\n=== ");
		if (next == NULL)
			next = text + len;
		snprintf(name, sizeof(name), "case-%03d", n);
		WriteSeed("json_schema", name, schema, (size_t) (dash - schema), NULL, 0);
		WriteSeed("json", name, schema, (size_t) (dash - schema), NULL, 0);
		if (strncmp(grammar, "ERROR", 5) != 0)
		{
			const char *s = samples[n % 5];
			Buf			b = {0};

			Put(&b, grammar, (size_t) (next - grammar));
			Put(&b, "", 1);
			Put(&b, s, strlen(s));
			WriteSeed("gbnf", name, b.data, b.len, NULL, 0);
			free(b.data);
		}
		n++;
		p = next;
	}
	free(text);
}

int
main(int argc, char **argv)
{
	static const char *const dirs[] = {
		"model", "vocab", "tokenize", "chat", "json_schema", "gbnf", "json", "gguf"
	};

	if (argc != 2)
	{
		fprintf(stderr, "usage: seeds OUT_DIR\n");
		return 2;
	}
	out_dir = argv[1];
	if (mkdir(out_dir, 0777) != 0 && errno != EEXIST)
		Fail(out_dir, strerror(errno));
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		MakeDir(dirs[i]);
	VocabSeeds();
	ModelSeeds();
	TokenizeSeeds();
	ChatSeeds();
	SchemaSeeds();
	printf("seeds: %d files in %s\n", n_written, out_dir);
	return 0;
}
