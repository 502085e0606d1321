/*-------------------------------------------------------------------------
 *
 * fuzz.h
 *	  What the libFuzzer harnesses of test/fuzz/ share: where the shared
 *	  models and vocabularies are, and a check that stops the fuzzer.
 *
 * The harnesses read ../shared (or $LLM_SHARED) at start-up, never copy it:
 * the models and vocabularies there are the fixed inputs of the tokenizer
 * harness and the bases the model harness grafts mutated headers onto.
 *
 * A harness calls FUZZ_CHECK for properties the engine promises beyond not
 * crashing (a token id in range, a length that matches the text): a broken
 * promise aborts, and libFuzzer keeps the input as a crash like any other.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_FUZZ_H
#define LLM_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond, ...) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s: ", \
					__FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			abort(); \
		} \
	} while (0)

/*
 * path below the shared directory, in a static buffer: $LLM_SHARED when
 * set, else ../shared (the harnesses run from the repository's root).
 */
static inline const char *
FuzzSharedPath(const char *rel)
{
	static char path[4096];
	const char *dir = getenv("LLM_SHARED");

	snprintf(path, sizeof(path), "%s/%s",
			 dir != NULL && dir[0] != '\0' ? dir : "../shared", rel);
	return path;
}

/* Stop at start-up when a fixed input is missing: no silent half-harness. */
static inline void
FuzzDie(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz harness: %s: %s\n", what, detail);
	exit(2);
}

/*
 * Split data at the first byte sep: *a and *alen before it, *b and *blen after
 * (empty when there is none).
 */
static inline void
FuzzSplit(const uint8_t *data, size_t size, uint8_t sep,
		  const uint8_t **a, size_t *alen, const uint8_t **b, size_t *blen)
{
	const uint8_t *p = memchr(data, sep, size);

	*a = data;
	if (p == NULL)
	{
		*alen = size;
		*b = data + size;
		*blen = 0;
		return;
	}
	*alen = (size_t) (p - data);
	*b = p + 1;
	*blen = size - *alen - 1;
}

/* A NUL-terminated malloc'd copy of len bytes (libFuzzer's data is not). */
static inline char *
FuzzStrndup(const uint8_t *data, size_t len)
{
	char	   *s = malloc(len + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

/*
 * The real vocabularies the tokenizer harness tokenizes with, one chosen by
 * the input's first byte (every tokenizer type and pre-tokenizer of
 * ../shared/vocab), and the models the model harness grafts mutated
 * headers onto (every architecture, small files only).  seeds.c writes
 * seeds that name them by index, so the order is part of the corpus
 * format: append, never reorder.
 */
static const char *const fuzz_vocabs[] = {
	"vocab/ggml-vocab-llama-spm.gguf",	/* SPM */
	"vocab/ggml-vocab-llama-bpe.gguf",	/* BPE */
	"vocab/ggml-vocab-bert-bge.gguf",	/* WordPiece */
	"vocab/ggml-vocab-nomic-bert-moe.gguf", /* Unigram */
	"vocab/ggml-vocab-gemma-4.gguf",	/* Gemma 4 */
	"vocab/ggml-vocab-phi-3.gguf",
	"vocab/ggml-vocab-qwen2.gguf",
	"vocab/ggml-vocab-qwen35.gguf",
	"vocab/ggml-vocab-gpt-2.gguf",
	"vocab/ggml-vocab-gpt-neox.gguf",
	"vocab/ggml-vocab-mpt.gguf",
	"vocab/ggml-vocab-refact.gguf",
	"vocab/ggml-vocab-command-r.gguf",
	"vocab/ggml-vocab-deepseek-llm.gguf",
	"vocab/ggml-vocab-deepseek-coder.gguf",
};

#define FUZZ_N_VOCABS ((int) (sizeof(fuzz_vocabs) / sizeof(fuzz_vocabs[0])))

static const char *const fuzz_models[] = {
	"models/stories260K.gguf",
	"parity/stories260K.Q8_0.gguf",
	"parity/syn-llama.Q4_K_M.gguf",
	"parity/syn-llama-tied.Q4_K_M.gguf",
	"parity/syn-llama.Q4_0.gguf",
	"parity/syn-llama.Q6_K.gguf",
	"parity/syn-qwen2.Q4_K_M.gguf",
	"parity/syn-qwen2.Q8_0.gguf",
	"parity-archs/syn-qwen3.Q4_K_M.gguf",
	"parity-archs/syn-gemma3.Q4_K_M.gguf",
	"parity-archs/syn-phi3.Q4_K_M.gguf",
	"parity-archs/syn-bert.Q8_0.gguf",
};

#define FUZZ_N_MODELS ((int) (sizeof(fuzz_models) / sizeof(fuzz_models[0])))

#endif							/* LLM_FUZZ_H */
