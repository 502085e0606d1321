/*-------------------------------------------------------------------------
 *
 * test_model_image.c
 *	  A model attached from a memory copy of its file and a vocabulary image
 *	  (as a backend attaches to the shared pool) must behave exactly as the
 *	  model loaded from the file: same tokens for every tokenizer test text,
 *	  bit-identical logits, and the image must not point into the memory of
 *	  the process that wrote it.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "tokenizer/tokenize.h"
#include "unit.h"

/*
 * Write a vocabulary image into a buffer, copy it to another address and
 * scribble over the first, so that a pointer left in the image would show.
 */
static void *
MovedImage(const LlmVocab *vocab, size_t *size)
{
	void	   *first;
	void	   *moved;

	*size = LlmVocabImageSize(vocab);
	first = malloc(*size);
	moved = malloc(*size);
	LlmVocabImageWrite(vocab, first);
	memcpy(moved, first, *size);
	memset(first, 0xa5, *size);
	free(first);
	return moved;
}

/* Every line of a llama.cpp tokenizer test file gives the same ids both ways. */
static void
TestVocab(const char *path)
{
	char		inp[512];
	GgufFile   *gguf;
	LlmVocab   *loaded;
	LlmVocab   *attached;
	LlmError	err;
	size_t		size;
	size_t		len;
	void	   *image;
	char	   *text;
	int			lines = 0;
	int			same = 0;

	if (GgufOpen(path, &gguf, &err) != LLM_OK || LlmVocabLoad(gguf, &loaded, &err) != LLM_OK)
	{
		CHECK(false, "%s: %s", path, err.message);
		return;
	}
	image = MovedImage(loaded, &size);
	CHECK(LlmVocabAttach(gguf, image, size, &attached, &err) == LLM_OK, "%s: attach: %s", path, err.message);
	snprintf(inp, sizeof(inp), "%s.inp", path);
	text = UnitReadFile(inp, &len);
	CHECK(text != NULL, "%s missing", inp);
	for (char *line = text; text != NULL && line < text + len;)
	{
		char	   *end = strstr(line, "\n__ggml_vocab_test__\n");
		size_t		n = end ? (size_t) (end - line) : strlen(line);
		int32_t    *a = NULL;
		int32_t    *b = NULL;
		int			na = 0;
		int			nb = 0;
		LlmStatus	sa = LlmTokenize(loaded, line, n, true, true, &a, &na, &err);
		LlmStatus	sb = LlmTokenize(attached, line, n, true, true, &b, &nb, &err);

		lines++;
		if (sa == sb && na == nb && (na == 0 || memcmp(a, b, sizeof(int32_t) * na) == 0))
			same++;
		free(a);
		free(b);
		line += n + (end ? strlen("\n__ggml_vocab_test__\n") : 0);
		if (end == NULL)
			break;
	}
	CHECK(lines > 0 && same == lines, "%s: %d of %d texts tokenize the same attached", path, same, lines);
	CHECK(attached->n_eog == loaded->n_eog && attached->bos_id == loaded->bos_id &&
		  attached->n_special == loaded->n_special && attached->sep_id == loaded->sep_id,
		  "%s: special tokens differ", path);
	/* the tries and the charsmap are the image's, not the loader's */
	CHECK((loaded->trie == NULL) == (attached->trie == NULL) &&
		  (loaded->user_trie == NULL) == (attached->user_trie == NULL) &&
		  attached->charsmap_size == loaded->charsmap_size &&
		  (loaded->charsmap == NULL ||
		   memcmp(attached->charsmap, loaded->charsmap, loaded->charsmap_size) == 0) &&
		  (attached->charsmap == NULL ||
		   ((const char *) attached->charsmap >= (const char *) image &&
			(const char *) attached->charsmap < (const char *) image + size)) &&
		  (attached->trie == NULL ||
		   (attached->trie->n_nodes == loaded->trie->n_nodes &&
			(const char *) attached->trie->value >= (const char *) image &&
			(const char *) attached->trie->value < (const char *) image + size)) &&
		  attached->unk_score == loaded->unk_score && attached->lowercase == loaded->lowercase &&
		  attached->remove_extra_whitespaces == loaded->remove_extra_whitespaces,
		  "%s: the tokenizer's tables are not in the image", path);
	LlmVocabFree(attached);
	LlmVocabFree(loaded);
	free(image);
	free(text);
	GgufClose(gguf);
}

/* Logits of an attached model are bit-identical to the loaded model's. */
static void
TestModel(const char *path)
{
	static const int32_t prompt[] = {1, 415, 260, 278, 31, 422, 7, 98, 300, 2};
	const int	n = (int) (sizeof(prompt) / sizeof(prompt[0]));
	LlmModel   *loaded;
	LlmModel   *attached;
	LlmContext *c1;
	LlmContext *c2;
	LlmError	err;
	size_t		vsize;
	void	   *vimage;
	void	   *file;
	float	   *l1;
	float	   *l2;

	if (LlmModelLoad(path, &loaded, &err) != LLM_OK)
	{
		CHECK(false, "%s: %s", path, err.message);
		return;
	}
	vimage = MovedImage(loaded->vocab, &vsize);
	file = malloc(loaded->gguf->size);
	memcpy(file, loaded->gguf->base, loaded->gguf->size);
	CHECK(LlmModelAttach(file, loaded->gguf->size, vimage, vsize, &attached, &err) == LLM_OK,
		  "%s: attach: %s", path, err.message);
	if (attached == NULL)
		return;
	CHECK(attached->tok_embd.data >= file &&
		  (const char *) attached->tok_embd.data < (const char *) file + loaded->gguf->size,
		  "%s: attached weights are not in the copy", path);
	l1 = malloc(sizeof(float) * n * loaded->hp.n_vocab);
	l2 = malloc(sizeof(float) * n * loaded->hp.n_vocab);
	CHECK(LlmContextCreate(loaded, 64, 8, &c1, &err) == LLM_OK &&
		  LlmContextCreate(attached, 64, 8, &c2, &err) == LLM_OK, "context: %s", err.message);
	CHECK(LlmDecode(c1, prompt, n, l1, true, &err) == LLM_OK &&
		  LlmDecode(c2, prompt, n, l2, true, &err) == LLM_OK, "decode: %s", err.message);
	CHECK(memcmp(l1, l2, sizeof(float) * n * loaded->hp.n_vocab) == 0,
		  "%s: logits differ when attached", path);
	LlmContextFree(c1);
	LlmContextFree(c2);
	LlmModelFree(attached);
	LlmModelFree(loaded);
	free(l1);
	free(l2);
	free(file);
	free(vimage);
}

/* A damaged or mismatched image is refused, never trusted. */
static void
TestRefused(void)
{
	GgufFile   *spm;
	GgufFile   *bpe;
	LlmVocab   *v;
	LlmVocab   *out;
	LlmError	err;
	size_t		size;
	char	   *image;

	if (GgufOpen("../shared/vocab/ggml-vocab-llama-spm.gguf", &spm, &err) != LLM_OK ||
		GgufOpen("../shared/vocab/ggml-vocab-qwen2.gguf", &bpe, &err) != LLM_OK ||
		LlmVocabLoad(spm, &v, &err) != LLM_OK)
	{
		CHECK(false, "test vocabularies: %s", err.message);
		return;
	}
	image = MovedImage(v, &size);
	CHECK(LlmVocabAttach(bpe, image, size, &out, &err) == LLM_ERR_FORMAT && out == NULL,
		  "an image attached to another file's tokens");
	CHECK(LlmVocabAttach(spm, image, size - 1, &out, &err) == LLM_ERR_FORMAT,
		  "a short image attached");
	image[0] ^= 1;
	CHECK(LlmVocabAttach(spm, image, size, &out, &err) == LLM_ERR_FORMAT,
		  "an image with a bad magic attached");
	free(image);
	LlmVocabFree(v);
	GgufClose(spm);
	GgufClose(bpe);
}

int
main(void)
{
	/* every tokenizer type: SPM, BPE, WordPiece, Unigram, Gemma 4 */
	static const char *vocabs[] = {
		"llama-spm", "llama-bpe", "qwen2", "gpt-2", "phi-3", "command-r", "mpt",
		"refact", "gpt-neox", "deepseek-llm", "deepseek-coder", "qwen35",
		"bert-bge", "nomic-bert-moe", "gemma-4",
	};
	static const char *models[] = {
		"../shared/models/stories260K.gguf",
		"../shared/parity/syn-llama.Q8_0.gguf",
		"../shared/parity/syn-llama.Q4_K_M.gguf",
		"../shared/parity/syn-llama-tied.F16.gguf",
		"../shared/parity/syn-qwen2.BF16.gguf",
	};

	for (size_t i = 0; i < sizeof(vocabs) / sizeof(vocabs[0]); i++)
	{
		char		path[256];

		snprintf(path, sizeof(path), "../shared/vocab/ggml-vocab-%s.gguf", vocabs[i]);
		TestVocab(path);
	}
	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		TestModel(models[i]);
	TestRefused();
	return UnitSummary("test_model_image");
}
