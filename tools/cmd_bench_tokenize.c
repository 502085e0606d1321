/*-------------------------------------------------------------------------
 *
 * cmd_bench_tokenize.c
 *	  llm-cli bench-tokenize VOCAB.gguf [--mb 1] [--reps 3]: tokenizer
 *	  throughput on a deterministic mix of text.
 *
 * The text mixes English prose, C and Python code, Chinese and Japanese,
 * emoji, numbers, punctuation and whitespace runs, chosen by a fixed
 * pseudo-random sequence, so every run and every machine tokenizes the
 * same bytes.  The best of the repetitions is reported.
 *
 *-------------------------------------------------------------------------
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tokenizer/vocab.h"

static const char *const bench_pieces[] = {
	"The quick brown fox jumps over the lazy dog. ",
	"Once upon a time, there was a little girl named Lily who loved to play outside. ",
	"It's what they'd've done, isn't it? We'll see; I'm not sure you're right. ",
	"PostgreSQL stores rows in 8 kB pages and vacuums dead tuples later.\n",
	"for (int i = 0; i < n; i++)\n\t\tsum += a[i] * b[i];\n",
	"def tokenize(text: str) -> list[int]:\n    return [ord(c) for c in text]\n\n",
	"if (x->len == 0 && y != NULL) { return -1; }\n",
	"SELECT id, name FROM users WHERE created_at > now() - interval '7 days';\n",
	"\xe4\xbb\x8a\xe5\xa4\xa9\xe5\xa4\xa9\xe6\xb0\x94\xe5\xbe\x88\xe5\xa5\xbd\xef\xbc\x8c"
	"\xe6\x88\x91\xe4\xbb\xac\xe5\x8e\xbb\xe5\x85\xac\xe5\x9b\xad\xe6\x95\xa3\xe6\xad\xa5\xe3\x80\x82",
	"\xe6\x9d\xb1\xe4\xba\xac\xe3\x81\xaf\xe6\x97\xa5\xe6\x9c\xac\xe3\x81\xae\xe9\xa6\x96"
	"\xe9\x83\xbd\xe3\x81\xa7\xe3\x81\x99\xe3\x80\x82",
	"\xf0\x9f\x9a\x80 launch \xf0\x9f\x98\x80\xf0\x9f\x98\x81 \xf0\x9f\xa6\x99 "
	"\xf0\x9f\x98\xb6\xe2\x80\x8d\xf0\x9f\x8c\xab\xef\xb8\x8f ",
	"3.14159 2718281828 1,000,000 0x7fffffff 42 ",
	"    \n\n   \t  ",
	"\xd0\xbd\xd0\xb5\xd1\x89\xd0\xbe \xd0\xbd\xd0\xb0 \xd0\x91\xd1\x8a\xd0\xbb\xd0\xb3"
	"\xd0\xb0\xd1\x80\xd1\x81\xd0\xba\xd0\xb8 ",
	"C\xe1\xbb\xad" "a Vi\xe1\xbb\x87t, caf\xc3\xa9, na\xc3\xafve, \xc3\x84pfel. ",
	"!!!??? ... ---=== '''``` \"\"\" ",
};

/* about mb megabytes of mixed text, the same every time */
static char *
BenchText(double mb, size_t *len)
{
	size_t		want = (size_t) (mb * 1e6);
	size_t		n_pieces = sizeof(bench_pieces) / sizeof(bench_pieces[0]);
	char	   *text = malloc(want + 256);
	uint64_t	state = 0x9E3779B97F4A7C15ull;
	size_t		n = 0;

	if (text == NULL)
		return NULL;
	while (n < want)
	{
		const char *p;
		size_t		l;

		/* xorshift64 */
		state ^= state << 13;
		state ^= state >> 7;
		state ^= state << 17;
		p = bench_pieces[state % n_pieces];
		l = strlen(p);
		if (n + l > want + 255)
			break;
		memcpy(text + n, p, l);
		n += l;
	}
	text[n] = '\0';
	*len = n;
	return text;
}

/* --mb: the text is built in memory whole, so it is kept to a gigabyte */
static const CliRange bench_tokenize_mb = {0, true, 1024, false};

static int
CliBenchTokenize(const CliArgs *args)
{
	const char *path = args->pos[0];
	double		mb;
	int			reps;
	double		best = 0;
	int			n_tokens = 0;
	size_t		len;
	char	   *text;
	GgufFile   *gguf;
	LlmVocab   *vocab;
	LlmError	err;

	if (!CliGetDouble(args, "--mb", 1.0, &bench_tokenize_mb, &mb) ||
		!CliGetInt(args, "--reps", 3, 1, CLI_MAX_REPS, &reps))
		return 2;
	if (CliOpenGguf(path, &gguf, &err) != LLM_OK)
		return CliFail(&err);
	if (LlmVocabLoad(gguf, &vocab, &err) != LLM_OK)
	{
		GgufClose(gguf);
		return CliFail(&err);
	}
	text = BenchText(mb, &len);
	if (text == NULL)
	{
		fprintf(stderr, "llm-cli: out of memory\n");
		LlmVocabFree(vocab);
		GgufClose(gguf);
		return 1;
	}

	for (int r = 0; r < reps; r++)
	{
		int32_t    *ids;
		double		t0 = CliNow();
		double		dt;

		if (LlmTokenize(vocab, text, len, false, false, &ids, &n_tokens, &err) != LLM_OK)
		{
			free(text);
			LlmVocabFree(vocab);
			GgufClose(gguf);
			return CliFail(&err);
		}
		dt = CliNow() - t0;
		free(ids);
		if (r == 0 || dt < best)
			best = dt;
	}
	printf("%s: %.2f MB, %d tokens (%.2f bytes/token), best of %d: %.3f s, %.2f MB/s\n",
		   path, len / 1e6, n_tokens, (double) len / (n_tokens ? n_tokens : 1), reps, best,
		   len / 1e6 / best);

	free(text);
	LlmVocabFree(vocab);
	GgufClose(gguf);
	return 0;
}

static const CliOption bench_tokenize_options[] = {
	{"--mb", "MB", "megabytes of text, > 0 and <= 1024 (default 1)", false, NULL},
	{"--reps", "N", "repetitions, 1 to " CLI_STR(CLI_MAX_REPS) "; the best is reported (default 3)", false, NULL},
	{NULL}
};

const CliCommand cli_bench_tokenize = {
	"bench-tokenize", "VOCAB", 1,
	"tokenizer speed in MB/s on a fixed mix of prose, code, CJK and emoji",
	bench_tokenize_options, false, CliBenchTokenize
};
