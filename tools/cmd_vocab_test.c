/*-------------------------------------------------------------------------
 *
 * cmd_vocab_test.c
 *	  llm-cli vocab-test VOCAB.gguf: tokenize llama.cpp's tokenizer test
 *	  cases and compare with the ids llama.cpp produced.
 *
 * Beside VOCAB.gguf lie VOCAB.gguf.inp (texts, each followed by a line
 * "__ggml_vocab_test__") and VOCAB.gguf.out (one line of expected ids per
 * text).  Text after the last separator is one more case, as llama.cpp
 * reads it (ggml-vocab-gemma-4.gguf.inp ends so).  The texts are tokenized
 * without BOS, special tokens parsed, as llama.cpp's test-tokenizer-0 does.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tokenizer/vocab.h"

#define VOCAB_TEST_SEPARATOR "\n__ggml_vocab_test__\n"

/*
 * Whole file into a malloc'd NUL-terminated buffer, or NULL with the
 * reason in msg.
 */
static char *
ReadWhole(const char *path, size_t *len, char *msg, size_t msglen)
{
	FILE	   *f = CliOpenInput(path, msg, msglen);
	char	   *buf = NULL;
	size_t		cap = 0;
	size_t		n = 0;
	CliPathText shown;

	if (f == NULL)
		return NULL;
	for (;;)
	{
		size_t		got;

		if (cap - n < 4096)
		{
			char	   *grown = realloc(buf, cap = cap ? cap * 2 : 65536);

			if (grown == NULL)
			{
				snprintf(msg, msglen, "%s: out of memory", CliShortPath(path, &shown));
				free(buf);
				buf = NULL;
				break;
			}
			buf = grown;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (buf != NULL && ferror(f))
	{
		snprintf(msg, msglen, "%s: %s", CliShortPath(path, &shown), strerror(errno));
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf != NULL)
	{
		buf[n] = '\0';
		*len = n;
	}
	return buf;
}

static void
PrintIds(const int32_t *ids, int n)
{
	for (int i = 0; i < n; i++)
		printf("%s%d", i ? " " : "", ids[i]);
	if (n == 0)
		printf("(none)");
	putchar('\n');
}

/* The ids of one .out line ("  123 456"), into a malloc'd array. */
static int32_t *
ParseIdLine(const char *line, size_t len, int *n)
{
	int32_t    *ids = malloc(sizeof(int32_t) * (len / 2 + 1));
	size_t		i = 0;

	*n = 0;
	if (ids == NULL)
		return NULL;
	while (i < len)
	{
		long		v = 0;
		bool		digit = false;

		while (i < len && line[i] == ' ')
			i++;
		while (i < len && line[i] >= '0' && line[i] <= '9')
		{
			v = v * 10 + (line[i++] - '0');
			digit = true;
		}
		if (!digit)
			break;
		ids[(*n)++] = (int32_t) v;
	}
	return ids;
}

static int
CliVocabTest(const CliArgs *args)
{
	const char *vocab_path = args->pos[0];
	char		path[4096];
	char	   *inp;
	char	   *out = NULL;
	char		msg[512];
	size_t		inp_len;
	size_t		out_len;
	GgufFile   *gguf;
	LlmVocab   *vocab;
	LlmError	err;
	const char *t;
	const char *line;
	int			passed = 0;
	int			failed = 0;

	snprintf(path, sizeof(path), "%s.inp", vocab_path);
	inp = ReadWhole(path, &inp_len, msg, sizeof(msg));
	if (inp != NULL)
	{
		snprintf(path, sizeof(path), "%s.out", vocab_path);
		out = ReadWhole(path, &out_len, msg, sizeof(msg));
	}
	if (inp == NULL || out == NULL)
	{
		fprintf(stderr, "llm-cli: cannot read the cases: %s\n", msg);
		free(inp);
		return 1;
	}
	if (CliOpenGguf(vocab_path, &gguf, &err) != LLM_OK)
	{
		free(inp);
		free(out);
		return CliFail(&err);
	}
	if (LlmVocabLoad(gguf, &vocab, &err) != LLM_OK)
	{
		GgufClose(gguf);
		free(inp);
		free(out);
		return CliFail(&err);
	}

	t = inp;
	line = out;
	for (int k = 0;; k++)
	{
		const char *sep = strstr(t, VOCAB_TEST_SEPARATOR);
		const char *eol;
		int32_t    *want;
		int32_t    *got;
		int			n_want;
		int			n_got;

		if (sep == NULL && *t == '\0')
			break;
		if (sep == NULL)
			sep = inp + inp_len;
		eol = strchr(line, '\n');
		if (eol == NULL)
			eol = out + out_len;
		want = ParseIdLine(line, (size_t) (eol - line), &n_want);
		if (want == NULL || LlmTokenize(vocab, t, (size_t) (sep - t), false, true,
										&got, &n_got, &err) != LLM_OK)
		{
			printf("case %d: %s\n", k, want ? err.message : "out of memory");
			free(want);
			failed++;
		}
		else
		{
			if (n_got == n_want && memcmp(got, want, sizeof(int32_t) * n_got) == 0)
				passed++;
			else
			{
				failed++;
				printf("case %d: ", k);
				CliPrintEscaped(stdout, t, (size_t) (sep - t), '"');
				printf("\n  expected: ");
				PrintIds(want, n_want);
				printf("  got:      ");
				PrintIds(got, n_got);
			}
			free(got);
			free(want);
		}
		t = *sep ? sep + strlen(VOCAB_TEST_SEPARATOR) : sep;
		line = *eol ? eol + 1 : eol;
	}
	printf("%d passed, %d failed (%s)\n", passed, failed, vocab_path);

	LlmVocabFree(vocab);
	GgufClose(gguf);
	free(inp);
	free(out);
	return failed == 0 && passed > 0 ? 0 : 1;
}

static const CliOption vocab_test_options[] = {{NULL}};

const CliCommand cli_vocab_test = {
	"vocab-test", "VOCAB", 1,
	"llama.cpp's tokenizer cases: VOCAB.inp and VOCAB.out beside the VOCAB.gguf file",
	vocab_test_options, false, CliVocabTest
};
