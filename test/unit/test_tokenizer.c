/*-------------------------------------------------------------------------
 *
 * test_tokenizer.c
 *	  Unit tests of the tokenizers on real vocabularies (../shared/vocab):
 *	  llama.cpp's own test cases for every file, round trips of those texts
 *	  and of random UTF-8, special-token parsing on and off, end-of-
 *	  generation tokens, the pre-tokenizers, UTF-8 decoding and the Unicode
 *	  table, and the errors of unusable vocabularies.  Run from the
 *	  repository root.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "generate.h"
#include "tokenizer/pretokenize.h"
#include "tokenizer/tokenize.h"
#include "tokenizer/unicode.h"
#include "unit.h"

#define VOCAB_DIR "../shared/vocab"
#define VOCAB_SEP "\n__ggml_vocab_test__\n"

typedef struct TestVocab
{
	const char *name;
	bool		lossy;			/* normalises text: no round trips */
	GgufFile   *gguf;
	LlmVocab   *vocab;
} TestVocab;

/* every vocabulary of ../shared/vocab */
static TestVocab vocabs[] = {
	{.name = "bert-bge", .lossy = true}, {.name = "command-r"}, {.name = "deepseek-coder"},
	{.name = "deepseek-llm"}, {.name = "gemma-4"}, {.name = "gpt-2"}, {.name = "gpt-neox"},
	{.name = "llama-bpe"}, {.name = "llama-spm"}, {.name = "mpt"},
	{.name = "nomic-bert-moe", .lossy = true}, {.name = "phi-3"}, {.name = "qwen2"},
	{.name = "qwen35"}, {.name = "refact"},
};

#define N_VOCABS ((int) (sizeof(vocabs) / sizeof(vocabs[0])))

static int	round_trips;

static bool
Tokenize(const LlmVocab *v, const char *text, size_t len, bool bos, bool special,
		 int32_t **ids, int *n)
{
	LlmError	err;

	if (LlmTokenize(v, text, len, bos, special, ids, n, &err) != LLM_OK)
	{
		fprintf(stderr, "tokenize: %s\n", err.message);
		*ids = NULL;
		*n = 0;
		return false;
	}
	return true;
}

static bool
IdsAre(const int32_t *ids, int n, const int32_t *want, int n_want)
{
	/* no ids may be NULL, which memcmp may not be given even for 0 bytes */
	return n == n_want && (n == 0 || memcmp(ids, want, sizeof(int32_t) * n) == 0);
}

/*
 * Tokenize and detokenize text.  With round_trip, detokenize(tokenize(text))
 * must be text, whole and token by token (the way generation detokenizes);
 * WordPiece and Unigram normalise (case, accents, NFKC, spaces), so for
 * them it is asked only of texts they keep.
 * SPM vocabularies are also tokenized with the word-splitting shortcut
 * off: the ids must not change.
 */
static void
CheckTokens(TestVocab *tv, const char *text, size_t len, const char *what, bool round_trip)
{
	LlmVocab   *v = tv->vocab;
	int32_t    *ids;
	int			n;
	char	   *back;
	size_t		back_len;
	LlmError	err;
	bool		ok;

	if (!Tokenize(v, text, len, false, false, &ids, &n))
	{
		CHECK(false, "%s: %s tokenizes", tv->name, what);
		return;
	}
	round_trip = round_trip && !tv->lossy;
	ok = LlmDetokenize(v, ids, n, true, &back, &back_len, &err) == LLM_OK &&
		(!round_trip || (back_len == len && memcmp(back, text, len) == 0));
	CHECK(ok, "%s: %s round trip (%zu bytes back for %zu)", tv->name, what,
		  back ? back_len : 0, len);
	free(back);
	if (!round_trip)
		goto shortcut;

	/*
	 * One token at a time, as LlmGenerate does: the leading-space rule
	 * applies to the first piece that has any text of its own.
	 */
	{
		char	   *joined = malloc(len + 1);
		size_t		at = 0;
		bool		started = false;

		ok = joined != NULL;
		for (int i = 0; i < n && ok; i++)
		{
			char	   *piece;
			size_t		piece_len;

			ok = LlmDetokenize(v, &ids[i], 1, false, &piece, &piece_len, &err) == LLM_OK;
			if (ok && !started && piece_len > 0)
			{
				free(piece);
				ok = LlmDetokenize(v, &ids[i], 1, true, &piece, &piece_len, &err) == LLM_OK;
				started = true;
			}
			ok = ok && at + piece_len <= len;
			if (ok)
			{
				memcpy(joined + at, piece, piece_len);
				at += piece_len;
			}
			free(piece);
		}
		CHECK(ok && at == len && memcmp(joined, text, len) == 0,
			  "%s: %s round trip piece by piece", tv->name, what);
		free(joined);
	}
	round_trips++;

shortcut:
	if (v->type == LLM_VOCAB_SPM && v->spm_words)
	{
		int32_t    *ids2;
		int			n2;

		v->spm_words = false;
		Tokenize(v, text, len, false, false, &ids2, &n2);
		v->spm_words = true;
		CHECK(IdsAre(ids, n, ids2, n2), "%s: %s word shortcut changes no id", tv->name, what);
		free(ids2);
	}
	free(ids);
}

/* llama.cpp's test cases: every .inp text gives the .out ids. */
static void
TestVocabCases(TestVocab *tv)
{
	char		path[256];
	char	   *inp;
	char	   *out;
	size_t		inp_len;
	size_t		out_len;
	const char *t;
	const char *line;
	int			passed = 0;
	int			cases = 0;
	int			lines = 0;
	int			under_bound = 0;
	size_t		most = LlmVocabMaxTokenBytes(tv->vocab);

	/* a length bound only where no input byte is dropped or folded */
	CHECK((most == 0) == (tv->vocab->type == LLM_VOCAB_WPM || tv->vocab->type == LLM_VOCAB_UGM),
		  "%s: LlmVocabMaxTokenBytes gives %zu", tv->name, most);
	snprintf(path, sizeof(path), "%s/ggml-vocab-%s.gguf.inp", VOCAB_DIR, tv->name);
	inp = UnitReadFile(path, &inp_len);
	snprintf(path, sizeof(path), "%s/ggml-vocab-%s.gguf.out", VOCAB_DIR, tv->name);
	out = UnitReadFile(path, &out_len);
	CHECK(inp != NULL && out != NULL, "%s: test cases readable", tv->name);
	if (inp == NULL || out == NULL)
	{
		free(inp);
		free(out);
		return;
	}
	for (size_t i = 0; i < out_len; i++)
		lines += out[i] == '\n';
	t = inp;
	line = out;
	/* text after the last separator is a case too (gemma-4's file ends so) */
	for (const char *sep; *t != '\0'; t = *sep ? sep + strlen(VOCAB_SEP) : sep)
	{
		const char *eol = strchr(line, '\n');
		int32_t		want[1024];
		int			n_want = 0;
		int32_t    *ids;
		int			n;
		char	   *end;

		if ((sep = strstr(t, VOCAB_SEP)) == NULL)
			sep = inp + inp_len;
		if (eol == NULL)
			eol = out + out_len;
		for (const char *p = line; p < eol && n_want < 1024;)
		{
			long		id = strtol(p, &end, 10);

			if (end == p)
				break;
			want[n_want++] = (int32_t) id;
			p = end;
		}
		cases++;
		if (Tokenize(tv->vocab, t, (size_t) (sep - t), false, true, &ids, &n) &&
			IdsAre(ids, n, want, n_want))
			passed++;
		else
			fprintf(stderr, "%s: case %d differs from llama.cpp\n", tv->name, cases - 1);
		/* the bound is a bound: no text has fewer tokens than it says */
		if (most > 0 && (size_t) n * most < (size_t) (sep - t))
			under_bound++;
		free(ids);
		CheckTokens(tv, t, (size_t) (sep - t), "test case", true);
		line = *eol ? eol + 1 : eol;
	}
	CHECK(cases > 0 && cases == lines && passed == cases, "%s: %d of %d llama.cpp cases (%d expected)",
		  tv->name, passed, cases, lines);
	CHECK(under_bound == 0, "%s: %d cases have fewer tokens than %zu bytes a token allows",
		  tv->name, under_bound, most);
	free(inp);
	free(out);
}

/* ---- random UTF-8 ---- */

static uint64_t rng_state;

static uint32_t
Rand(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t) (rng_state % n);
}

/* A code point from a mix of scripts, marks, emoji, spaces and controls. */
static uint32_t
RandomCpt(void)
{
	static const uint32_t spaces[] = {' ', '\t', '\n', '\r', 0x0B, 0x0C, 0x85, 0xA0, 0x2003, 0x2028, 0x3000, 0x200B, 0xFEFF};
	static const uint32_t joiners[] = {0x200D, 0xFE0F, 0x1F3FD, 0x20E3};

	switch (Rand(12))
	{
		case 0:
		case 1:
		case 2:
			return 0x20 + Rand(0x5F);	/* printable ASCII */
		case 3:
			return spaces[Rand(sizeof(spaces) / sizeof(spaces[0]))];
		case 4:
			return Rand(0x20) | (Rand(8) == 0 ? 0x60 : 0);	/* controls, DEL region */
		case 5:
			return 0xA0 + Rand(0x1B0);	/* Latin-1 and extended Latin */
		case 6:
			return 0x300 + Rand(0x70);	/* combining marks */
		case 7:
			return 0x4E00 + Rand(0x5200);	/* CJK */
		case 8:
			return 0xAC00 + Rand(0x2BA4);	/* Hangul */
		case 9:
			return 0x1F300 + Rand(0x800);	/* emoji */
		case 10:
			return joiners[Rand(sizeof(joiners) / sizeof(joiners[0]))];
		default:
			{
				/* anything valid, unassigned and private use included */
				uint32_t	c = Rand(0x110000);

				return (c >= 0xD800 && c < 0xE000) ? 0xFFFD : c;
			}
	}
}

/*
 * Whether byte-level BPE can give every byte of the text back: llama.cpp
 * drops a byte that has no token of its own (refact has none for 0xF1,
 * the lead byte of planes 4 to 7), so such text cannot round-trip there.
 */
static bool
BytesCovered(const LlmVocab *v, const char *text, size_t len)
{
	if (v->type != LLM_VOCAB_BPE)
		return true;
	for (size_t i = 0; i < len; i++)
	{
		char		utf8[4];
		int			k = LlmUtf8Encode(LlmBpeByteToCpt((uint8_t) text[i]), utf8);

		if (LlmVocabFind(v, utf8, k) < 0)
			return false;
	}
	return true;
}

static void
TestRandomRoundTrips(TestVocab *tv)
{
	char		text[1024];

	rng_state = 0x2545F4914F6CDD1Dull;
	for (int k = 0; k < 300; k++)
	{
		size_t		len = 0;
		int			n_cpt = 1 + Rand(60);
		char		what[32];

		for (int i = 0; i < n_cpt; i++)
			len += LlmUtf8Encode(RandomCpt(), text + len);
		snprintf(what, sizeof(what), "random text %d", k);
		CheckTokens(tv, text, len, what, BytesCovered(tv->vocab, text, len));
	}
}

/*
 * Arbitrary bytes, invalid UTF-8 included, must tokenize and detokenize
 * without harm.  They need not come back: byte-level BPE reads invalid
 * bytes as U+FFFD, and SPM's byte fallback can cut the U+2581 that stands
 * for a space after a stray lead byte (both as in llama.cpp).
 */
static void
TestRawBytes(TestVocab *tv)
{
	static const char pool[] = " \xc3\xe2\x96\x81\xf0\x9f<|>\n\x80\xbf";
	char		text[256];

	rng_state = 0x9E3779B97F4A7C15ull;
	for (int k = 0; k < 200; k++)
	{
		size_t		len = 1 + Rand(40);
		char		what[32];

		for (size_t i = 0; i < len; i++)
			text[i] = Rand(2) ? pool[Rand(sizeof(pool) - 1)] : (char) Rand(256);
		snprintf(what, sizeof(what), "random bytes %d", k);
		CheckTokens(tv, text, len, what, false);
	}
}

static TestVocab *
Vocab(const char *name)
{
	for (int i = 0; i < N_VOCABS; i++)
		if (strcmp(vocabs[i].name, name) == 0)
			return vocabs[i].vocab ? &vocabs[i] : NULL;
	return NULL;
}

/* Expected ids from llama.cpp (de3ff815) for texts with special tokens. */
static void
TestSpecialTokens(void)
{
	static const struct
	{
		const char *vocab;
		const char *text;
		bool		special;
		int32_t		ids[32];
		int			n;
	}			cases[] = {
		{"qwen2", "<|im_start|>user\nHi there<|im_end|>\n", true,
		{151644, 872, 198, 13048, 1052, 151645, 198}, 7},
		{"qwen2", "<|im_start|>user\nHi there<|im_end|>\n", false,
		{27, 91, 318, 4906, 91, 29, 872, 198, 13048, 1052, 27, 91, 318, 6213, 91, 397}, 16},
		/* user-defined tokens are matched even in plain text */
		{"qwen2", "a[PAD151650]b", false, {64, 151650, 65}, 3},
		{"llama-bpe", "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>", true,
		{128006, 882, 128007, 271, 9906, 128009}, 6},
		{"llama-bpe", "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>", false,
		{27, 91, 2527, 8932, 851, 91, 29, 882, 27, 91, 408, 8932, 851, 91, 1363, 9906, 27, 91, 68,
		354, 851, 91, 29}, 23},
		/* Phi-3's special tokens eat the whitespace after them */
		{"phi-3", "<|user|>\n  Hello <|end|>\n<|assistant|>\n", true,
		{32010, 15043, 29871, 32007, 32001}, 5},
		{"phi-3", "<|user|>\n  Hello <|end|>\n<|assistant|>\n", false,
		{529, 29989, 1792, 29989, 29958, 13, 29871, 15043, 529, 29989, 355, 29989, 29958, 13, 29966,
		29989, 465, 22137, 29989, 29958, 13}, 21},
		{"phi-3", "<s> x</s> y", true, {1, 29871, 921, 2, 343}, 5},
		{"llama-spm", "<s>[INST] Hi [/INST] Hello</s><s>[INST] More", true,
		{1, 518, 25580, 29962, 6324, 518, 29914, 25580, 29962, 15043, 2, 1, 518, 25580, 29962, 5853}, 16},
		{"llama-spm", "<s>[INST] Hi [/INST]", false,
		{529, 29879, 24566, 25580, 29962, 6324, 518, 29914, 25580, 29962}, 10},
		{"gpt-2", "Hello<|endoftext|>World", true, {15496, 50256, 10603}, 3},
		{"gpt-2", "Hello<|endoftext|>World", false, {15496, 27, 91, 437, 1659, 5239, 91, 29, 10603}, 9},
		/* WordPiece: [CLS] and [SEP] are control tokens; as text they are words */
		{"bert-bge", "[CLS] hello [SEP]", true, {101, 7592, 102}, 3},
		{"bert-bge", "[CLS] hello [SEP]", false, {1031, 18856, 2015, 1033, 7592, 1031, 19802, 1033}, 8},
		{"bert-bge", "hello <mask> [MASK]", true, {7592, 1026, 7308, 1028, 103}, 5},
		/* Unigram: nomic-bert-moe's <mask> eats the space before it */
		{"nomic-bert-moe", "<s>hello</s>", true, {0, 33600, 31, 2}, 4},
		{"nomic-bert-moe", "<s>hello</s>", false, {4426, 7, 2740, 127, 13817, 42946, 7, 2740}, 8},
		{"nomic-bert-moe", "hello <mask> world", true, {33600, 31, 250001, 8999}, 4},
		{"gemma-4", "<|turn>user\nhi<turn|>", true, {105, 2364, 107, 2202, 106}, 5},
		{"gemma-4", "<|turn>user\nhi<turn|>", false,
		{236820, 236909, 887, 236813, 2364, 107, 2202, 236820, 887, 111038}, 10},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		TestVocab  *tv = Vocab(cases[i].vocab);
		int32_t    *ids;
		int			n;

		if (tv == NULL)
			continue;
		Tokenize(tv->vocab, cases[i].text, strlen(cases[i].text), false, cases[i].special, &ids, &n);
		CHECK(IdsAre(ids, n, cases[i].ids, cases[i].n), "%s: special case %zu (parse_special %d), %d tokens",
			  cases[i].vocab, i, cases[i].special, n);
		free(ids);
	}
}

/* BOS as each model asks for it, and the end-of-generation set. */
static void
TestBosEog(void)
{
	static const struct
	{
		const char *vocab;
		int32_t		first;		/* first id of "Hello" with add_bos */
		int32_t		eog[4];
		int32_t		not_eog;
	}			cases[] = {
		{"gpt-2", 15496, {50256, -1, -1, -1}, 15496},
		{"llama-bpe", 128000, {128001, 128009, -1, -1}, 128006},
		{"llama-spm", 1, {2, -1, -1, -1}, 1},
		{"phi-3", 1, {32000, 32007, 2, -1}, 32001},
		{"qwen2", 9707, {151643, 151645, -1, -1}, 151644},
		{"qwen35", 9707, {151643, -1, -1, -1}, 9707},
		{"deepseek-llm", 100000, {100001, -1, -1, -1}, 100000},
		{"deepseek-coder", 32013, {32014, -1, -1, -1}, 32013},
		{"bert-bge", 101, {-1, -1, -1, -1}, 102},
		{"nomic-bert-moe", 0, {2, -1, -1, -1}, 0},
		/* Gemma 4: <turn|> ends a turn; </s> is text there */
		{"gemma-4", 2, {1, 106, -1, -1}, 212},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		TestVocab  *tv = Vocab(cases[i].vocab);
		int32_t    *ids;
		int			n;

		if (tv == NULL)
			continue;
		Tokenize(tv->vocab, "Hello", 5, true, false, &ids, &n);
		CHECK(n > 0 && ids[0] == cases[i].first, "%s: add_bos gives %d first", cases[i].vocab,
			  n > 0 ? ids[0] : -1);
		free(ids);
		for (int k = 0; k < 4 && cases[i].eog[k] >= 0; k++)
			CHECK(LlmVocabIsEog(tv->vocab, cases[i].eog[k]), "%s: %d ends generation",
				  cases[i].vocab, cases[i].eog[k]);
		CHECK(!LlmVocabIsEog(tv->vocab, cases[i].not_eog) && !LlmVocabIsEog(tv->vocab, -1),
			  "%s: %d does not end generation", cases[i].vocab, cases[i].not_eog);
	}
}

/* A BPE token split across bytes joins up; the cut tail is trimmed. */
static void
TestDetokenizeBytes(void)
{
	TestVocab  *tv = Vocab("llama-bpe");
	const char *text = "\xf0\x9f\xa6\x99";	/* llama emoji: several byte tokens */
	int32_t    *ids;
	int			n;
	char	   *back;
	size_t		len;
	LlmError	err;

	if (tv == NULL)
		return;
	Tokenize(tv->vocab, text, 4, false, false, &ids, &n);
	CHECK(n >= 2, "llama-bpe: the emoji takes %d tokens", n);
	CHECK(LlmDetokenize(tv->vocab, ids, n - 1, true, &back, &len, &err) == LLM_OK &&
		  len < 4 && LlmUtf8CompletePrefix(back, len) == 0,
		  "llama-bpe: a cut emoji leaves no complete character");
	free(back);
	free(ids);

	/* control tokens have no text; user-defined ones keep theirs */
	if ((tv = Vocab("qwen2")) != NULL)
	{
		int32_t		toks[] = {151644, 9707, 151650, 151645};

		CHECK(LlmDetokenize(tv->vocab, toks, 4, true, &back, &len, &err) == LLM_OK &&
			  strcmp(back, "Hello[PAD151650]") == 0, "qwen2: detokenized specials: %s", back);
		free(back);
	}
}

/* Tokenize with add_bos and check every id. */
static void
CheckIds(const char *vocab, const char *text, size_t len, bool add_bos, bool special,
		 const int32_t *want, int n_want, const char *what)
{
	TestVocab  *tv = Vocab(vocab);
	int32_t    *ids;
	int			n;

	if (tv == NULL)
		return;
	CHECK(Tokenize(tv->vocab, text, len, add_bos, special, &ids, &n) && IdsAre(ids, n, want, n_want),
		  "%s: %s (%d tokens)", vocab, what, n);
	free(ids);
}

/* Two texts tokenize alike. */
static void
CheckSame(const char *vocab, const char *a, size_t a_len, const char *b, size_t b_len,
		  const char *what)
{
	TestVocab  *tv = Vocab(vocab);
	int32_t    *x;
	int32_t    *y;
	int			nx;
	int			ny;

	if (tv == NULL)
		return;
	Tokenize(tv->vocab, a, a_len, false, false, &x, &nx);
	Tokenize(tv->vocab, b, b_len, false, false, &y, &ny);
	CHECK(IdsAre(x, nx, y, ny), "%s: %s", vocab, what);
	free(x);
	free(y);
}

/* detokenize(ids) from the start of a text is want */
static void
CheckText(const char *vocab, const int32_t *ids, int n, const char *want)
{
	TestVocab  *tv = Vocab(vocab);
	char	   *back;
	size_t		len;
	LlmError	err;

	if (tv == NULL)
		return;
	CHECK(LlmDetokenize(tv->vocab, ids, n, true, &back, &len, &err) == LLM_OK &&
		  len == strlen(want) && memcmp(back, want, len) == 0,
		  "%s: detokenizes to \"%s\", got \"%s\"", vocab, want, back ? back : "");
	free(back);
}

/*
 * WordPiece (bert-bge), ids from llama.cpp: [CLS] ... [SEP] framing, BERT's
 * normaliser, the unknown token for a word with a piece no token covers,
 * no cap on the length of a word (llama.cpp has none: Hugging Face would
 * make a word of more than 100 characters [UNK]).
 */
static void
TestWordPiece(void)
{
	static const int32_t framed[] = {101, 102};
	static const int32_t hello_world[] = {7592, 2088};
	static const int32_t framed_hello[] = {101, 7592, 102};
	static const int32_t unaffable[] = {14477, 20961, 3468};
	static const int32_t unknown[] = {100};
	static const int32_t unknown_word[] = {100, 1062};
	static const int32_t chinese[] = {100, 100};
	const int32_t long_word_last = 2050;	/* "a" after 149 "aa" */
	const int32_t cafe = 7668;
	TestVocab  *tv = Vocab("bert-bge");
	char		word[301];
	int32_t    *ids;
	int			n;

	if (tv == NULL)
		return;
	CheckIds("bert-bge", "", 0, false, false, NULL, 0, "empty text");
	CheckIds("bert-bge", "", 0, true, false, framed, 2, "empty text with special tokens");
	CheckIds("bert-bge", " \t\n ", 4, false, false, NULL, 0, "only whitespace");
	CheckIds("bert-bge", "   ", 3, true, false, framed, 2, "only spaces, framed");
	CheckIds("bert-bge", "hello", 5, true, false, framed_hello, 3, "[CLS] hello [SEP]");
	CheckIds("bert-bge", "H\xc3\xa9llo  W\xc3\x96RLD", 14, false, false, hello_world, 2,
			 "lowercase and accents stripped");
	CheckIds("bert-bge", "unaffable", 9, false, false, unaffable, 3, "continuation pieces");
	CheckIds("bert-bge", "\xcd\xb8", 2, false, false, unknown, 1, "an unassigned character is [UNK]");
	CheckIds("bert-bge", "x\xcd\xb8y z", 6, false, false, unknown_word, 2,
			 "a word with an unknown character is one [UNK]");
	CheckIds("bert-bge", "\xe4\xbd\xa0\xe5\xa5\xbd", 6, false, false, chinese, 2,
			 "CJK ideographs are words of their own");
	CheckSame("bert-bge", "x\xffy", 3, "xy", 2, "invalid UTF-8 is dropped");
	CheckSame("bert-bge", "a\xe2\x96" "b", 4, "ab", 2, "a cut UTF-8 sequence is dropped");
	CheckSame("bert-bge", "a\x01\x7f" "b\xe2\x80\x8b", 7, "ab", 2, "control characters are dropped");

	memset(word, 'a', 300);
	Tokenize(tv->vocab, word, 300, false, false, &ids, &n);
	CHECK(n == 150 && ids[0] == 13360 && ids[1] == 11057 && ids[149] == long_word_last,
		  "bert-bge: a word of 300 letters is 150 pieces as in llama.cpp, got %d", n);
	free(ids);

	/* the normaliser's switches */
	CheckSame("bert-bge", "caf\xc3\xa9", 5, "cafe", 4, "accents stripped");
	tv->vocab->strip_accents = false;
	Tokenize(tv->vocab, "caf\xc3\xa9", 5, false, false, &ids, &n);
	CHECK(!(n == 1 && ids[0] == cafe), "bert-bge: without strip_accents caf\xc3\xa9 is no cafe");
	free(ids);
	tv->vocab->strip_accents = true;
	tv->vocab->lowercase = false;
	Tokenize(tv->vocab, "HELLO", 5, false, false, &ids, &n);
	CHECK(!(n == 1 && ids[0] == 7592), "bert-bge: without lowercase HELLO is no hello");
	free(ids);
	tv->vocab->lowercase = true;

	/* U+2581 and "##" undone: the text of the pieces, the first space dropped */
	CheckText("bert-bge", hello_world, 2, "hello world");
	CheckText("bert-bge", unaffable, 3, "unaffable");
	CheckText("bert-bge", framed_hello, 3, "hello");
}

/*
 * Unigram (nomic-bert-moe, XLM-R's SentencePiece model), ids from
 * llama.cpp: the charsmap (full-width letters, U+3000), extra whitespace
 * removed, the space prefix, unknown characters merged into one unknown
 * token, <s> ... </s>, and the normaliser's flags.
 */
static void
TestUnigram(void)
{
	static const int32_t framed[] = {0, 2};
	static const int32_t hello_world[] = {35378, 8999};
	static const int32_t framed_hello[] = {0, 35378, 2};
	static const int32_t unknown[] = {6, 3, 10};
	static const int32_t full_width[] = {4393, 6, 146984, 106};
	static const int32_t invalid[] = {1022, 3, 53};
	static const char full_text[] = "\xef\xbd\x86\xef\xbd\x95\xef\xbd\x8c\xef\xbd\x8c\xe3\x80\x80"
		"\xef\xbd\x97\xef\xbd\x89\xef\xbd\x84\xef\xbd\x94\xef\xbd\x88 \xe2\x91\xa0";
	TestVocab  *tv = Vocab("nomic-bert-moe");
	LlmVocab   *v;
	char		word[301];
	int32_t    *ids;
	int32_t    *ids2;
	int			n;
	int			n2;

	if (tv == NULL)
		return;
	v = tv->vocab;
	CheckIds("nomic-bert-moe", "", 0, false, false, NULL, 0, "empty text");
	CheckIds("nomic-bert-moe", "", 0, true, false, framed, 2, "empty text with special tokens");
	CheckIds("nomic-bert-moe", "   ", 3, false, false, NULL, 0, "only spaces");
	CheckIds("nomic-bert-moe", "Hello", 5, true, false, framed_hello, 3, "<s> Hello </s>");
	CheckIds("nomic-bert-moe", "  Hello   world  ", 17, false, false, hello_world, 2, "extra whitespace");
	CheckIds("nomic-bert-moe", "\xcd\xb8\xcd\xb9 a", 6, false, false, unknown, 3,
			 "unknown characters are one unknown token");
	CheckIds("nomic-bert-moe", full_text, strlen(full_text), false, false, full_width, 4,
			 "the charsmap's NFKC");
	CheckSame("nomic-bert-moe", "\xef\xbf\xbd", 3, "", 0, "the charsmap drops U+FFFD");
	/* an invalid byte becomes a U+FFFD the charsmap does not see, as in llama.cpp */
	CheckIds("nomic-bert-moe", "x\xffy", 3, false, false, invalid, 3, "invalid UTF-8");
	CheckSame("nomic-bert-moe", "\xe2\x96\x81hello", 8, "hello", 5, "U+2581 in the text is a space");

	memset(word, 'a', 300);
	Tokenize(v, word, 300, false, false, &ids, &n);
	CHECK(n == 61 && ids[0] == 6 && ids[1] == 83151, "nomic-bert-moe: a word of 300 letters, %d tokens", n);
	free(ids);

	/* SentencePiece's flags, as llama.cpp applies them */
	v->remove_extra_whitespaces = false;
	Tokenize(v, "a  b", 4, false, false, &ids, &n);
	Tokenize(v, "a b", 3, false, false, &ids2, &n2);
	CHECK(n > n2, "nomic-bert-moe: with remove_extra_whitespaces off, two spaces are two");
	free(ids);
	free(ids2);
	/* both normalise to U+2581 hello U+2581 */
	Tokenize(v, "hello ", 6, false, false, &ids2, &n2);
	v->remove_extra_whitespaces = true;
	v->treat_whitespace_as_suffix = true;
	Tokenize(v, "hello", 5, false, false, &ids, &n);
	v->treat_whitespace_as_suffix = false;
	CHECK(n > 0 && ids[n - 1] == 6 && IdsAre(ids, n, ids2, n2),
		  "nomic-bert-moe: treat_whitespace_as_suffix puts U+2581 after the text");
	free(ids);
	free(ids2);
	v->add_space_prefix = false;
	v->remove_extra_whitespaces = false;
	v->escape_whitespaces = false;
	Tokenize(v, "a b", 3, false, false, &ids, &n);
	CHECK(n >= 2 && ids[0] != 10, "nomic-bert-moe: without escape_whitespaces a space is no U+2581");
	free(ids);
	v->escape_whitespaces = true;
	v->add_space_prefix = true;
	v->remove_extra_whitespaces = true;

	/* the space prefix goes again; U+2581 inside is a space */
	CheckText("nomic-bert-moe", hello_world, 2, "Hello world");
	CheckText("nomic-bert-moe", framed_hello, 3, "Hello");
}

/*
 * Gemma 4, ids from llama.cpp: spaces as U+2581 tokens, runs of line feeds
 * as one token where there is one, byte fallback, U+FFFD for invalid
 * UTF-8, BOS always.
 */
static void
TestGemma4(void)
{
	static const int32_t spaces[] = {139};
	static const int32_t newlines[] = {108};
	static const int32_t many_newlines[] = {137, 115};
	static const int32_t bytes[] = {443, 422};
	static const int32_t invalid[] = {236781, 238479, 236762};
	static const int32_t bos_hello[] = {2, 9259};
	static const int32_t mixed[] = {236743, 107, 1123};
	char		nl[40];

	memset(nl, '\n', sizeof(nl));
	CheckIds("gemma-4", "", 0, false, false, NULL, 0, "empty text");
	CheckIds("gemma-4", "   ", 3, false, false, spaces, 1, "three spaces");
	CheckIds("gemma-4", "\n\n", 2, false, false, newlines, 1, "two line feeds");
	CheckIds("gemma-4", nl, sizeof(nl), false, false, many_newlines, 2, "forty line feeds");
	CheckIds("gemma-4", " \n x", 4, false, false, mixed, 3, "spaces around a line feed");
	CheckIds("gemma-4", "\xcd\xb8", 2, false, false, bytes, 2, "byte fallback");
	CheckIds("gemma-4", "x\xffy", 3, false, false, invalid, 3, "invalid UTF-8 is U+FFFD");
	CheckIds("gemma-4", "Hello", 5, true, false, bos_hello, 2, "BOS");
	CheckText("gemma-4", invalid, 3, "x\xef\xbf\xbdy");
	CheckText("gemma-4", bytes, 2, "\xcd\xb8");
	CheckText("gemma-4", mixed, 3, " \n x");
}

/* Pieces of the pre-tokenizers on a few texts. */
typedef struct Pieces
{
	char		buf[512];
	size_t		len;
	const LlmPreText *t;
} Pieces;

static LlmStatus
CollectPiece(void *arg, size_t start, size_t end, LlmError *err)
{
	Pieces	   *p = arg;

	for (size_t i = start; i < end; i++)
		p->len += LlmUtf8Encode(p->t->cpt[i], p->buf + p->len);
	p->buf[p->len++] = '|';
	p->buf[p->len] = '\0';
	return LLM_OK;
}

static void
TestPretokenizers(void)
{
	static const struct
	{
		LlmPreType	type;
		const char *text;
		const char *pieces;
	}			cases[] = {
		{LLM_PRE_LLAMA3, "Hello world 12345!!\n\n  x", "Hello| world| |123|45|!!\n\n| | x|"},
		{LLM_PRE_QWEN2, "It's 2024", "It|'s| |2|0|2|4|"},
		{LLM_PRE_LLAMA3, "I'LL \tgo", "I|'LL| |\tgo|"},
		{LLM_PRE_GPT2, "I'LL \tgo", "I|'|LL| |\t|go|"},
		{LLM_PRE_GPT2, "a  b   ", "a| | b|   |"},
		{LLM_PRE_SMOLLM, "x12 y", "x|1|2| y|"},
		{LLM_PRE_DEFAULT, "don't 123456", "don|'|t| |123|456|"},
		{LLM_PRE_FALCON, "a`b 1234", "a|`|b| |123|4|"},
		/* marks join letters; a mark after a digit or punctuation starts a word */
		{LLM_PRE_QWEN35, "e\xcc\x81 !\xcc\x81 1\xcc\x81", "e\xcc\x81| !|\xcc\x81| |1|\xcc\x81|"},
		{LLM_PRE_QWEN2, "e\xcc\x81 !\xcc\x81", "e|\xcc\x81| !\xcc\x81|"},
		{LLM_PRE_DEEPSEEK_CODER, "Hello, world!\n 123", "Hello|,| world|!|\n| |1|2|3|"},
		/* trailing spaces are a piece; U+3000 is in the range but is a space */
		{LLM_PRE_DEEPSEEK_LLM, "Hello  world   ", "Hello| | world|   |"},
		/* U+3000 lies in the CJK range too, but the range never sees it */
		{LLM_PRE_DEEPSEEK_LLM, "\xe3\x80\x80\xe3\x80\x81x", "\xe3\x80\x80|\xe3\x80\x81|x|"},
		{LLM_PRE_DEEPSEEK_LLM, "\xe4\xbd\xa0\xe5\xa5\xbd" "123", "\xe4\xbd\xa0\xe5\xa5\xbd|123|"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		const char *s = cases[i].text;
		size_t		len = strlen(s);
		uint32_t	cpt[64];
		uint16_t	flags[64];
		LlmPreText	t = {cpt, flags, 0};
		Pieces		p = {{0}, 0, &t};
		LlmError	err;

		for (size_t pos = 0; pos < len;)
		{
			cpt[t.n] = LlmUtf8Decode(s, len, &pos);
			flags[t.n] = LlmUnicodeFlags(cpt[t.n]);
			t.n++;
		}
		CHECK(LlmPretokenize(cases[i].type, &t, CollectPiece, &p, &err) == LLM_OK &&
			  strcmp(p.buf, cases[i].pieces) == 0,
			  "pre-tokenizer %s splits \"%s\" as \"%s\", got \"%s\"",
			  LlmPreTypeName(cases[i].type), s, cases[i].pieces, p.buf);
	}
	CHECK(LlmPreLookup("llama-bpe", 9) != NULL && LlmPreLookup("llama-bpe", 9)->ignore_merges &&
		  LlmPreLookup("nope", 4) == NULL, "pre-tokenizer names");
}

static void
TestUnicode(void)
{
	static const struct
	{
		const char *bytes;
		size_t		len;
		uint32_t	cpt;
		size_t		used;
	}			dec[] = {
		{"A", 1, 'A', 1},
		{"\xc3\xa9", 2, 0xE9, 2},
		{"\xe6\x97\xa5", 3, 0x65E5, 3},
		{"\xf0\x9f\xa6\x99", 4, 0x1F999, 4},
		{"\xc0\x80", 2, 0, 2},	/* overlong: accepted, as llama.cpp does */
		{"\x80", 1, 0xFFFD, 1},	/* stray continuation */
		{"\xe6\x97", 2, 0xFFFD, 1},	/* truncated */
		{"\xe6" "A", 2, 0xFFFD, 1},
		{"\xf4\x90\x80\x80", 4, 0xFFFD, 1},	/* above U+10FFFF */
		{"\xff", 1, 0xFFFD, 1},
	};
	int			sorted = 1;

	for (size_t i = 0; i < sizeof(dec) / sizeof(dec[0]); i++)
	{
		size_t		pos = 0;
		uint32_t	c = LlmUtf8Decode(dec[i].bytes, dec[i].len, &pos);

		CHECK(c == dec[i].cpt && pos == dec[i].used, "utf-8 case %zu decodes to U+%04X (%zu bytes), got U+%04X (%zu)",
			  i, dec[i].cpt, dec[i].used, c, pos);
	}
	CHECK(LlmUnicodeFlags('a') == LLM_UNICODE_LETTER && LlmUnicodeFlags('7') == LLM_UNICODE_NUMBER &&
		  LlmUnicodeFlags(' ') == (LLM_UNICODE_SEPARATOR | LLM_UNICODE_WHITESPACE) &&
		  LlmUnicodeFlags('\n') == (LLM_UNICODE_CONTROL | LLM_UNICODE_WHITESPACE) &&
		  LlmUnicodeFlags('$') == LLM_UNICODE_SYMBOL && LlmUnicodeFlags('_') == LLM_UNICODE_PUNCTUATION,
		  "ASCII categories");
	CHECK(LlmUnicodeFlags(0x0663) == LLM_UNICODE_NUMBER && LlmUnicodeFlags(0x2167) == LLM_UNICODE_NUMBER &&
		  LlmUnicodeFlags(0x0301) == LLM_UNICODE_MARK && LlmUnicodeFlags(0x4E00) == LLM_UNICODE_LETTER &&
		  LlmUnicodeFlags(0x9FA5) == LLM_UNICODE_LETTER && LlmUnicodeFlags(0xD7A3) == LLM_UNICODE_LETTER &&
		  LlmUnicodeFlags(0x20000) == LLM_UNICODE_LETTER && LlmUnicodeFlags(0x1F600) == LLM_UNICODE_SYMBOL &&
		  LlmUnicodeFlags(0x3000) == (LLM_UNICODE_SEPARATOR | LLM_UNICODE_WHITESPACE) &&
		  LlmUnicodeFlags(0x0085) == (LLM_UNICODE_CONTROL | LLM_UNICODE_WHITESPACE) &&
		  LlmUnicodeFlags(0x200B) == LLM_UNICODE_CONTROL && LlmUnicodeFlags(0xE000) == LLM_UNICODE_CONTROL &&
		  LlmUnicodeFlags(0x0378) == LLM_UNICODE_UNDEFINED && LlmUnicodeFlags(0x10FFFF) == LLM_UNICODE_UNDEFINED &&
		  LlmUnicodeFlags(0x110000) == LLM_UNICODE_UNDEFINED && LlmUnicodeFlags(0x00AB) == LLM_UNICODE_PUNCTUATION,
		  "categories beyond ASCII");
	for (int i = 1; i < LlmUnicodeRangeCount; i++)
		sorted &= LlmUnicodeRangeStart[i - 1] < LlmUnicodeRangeStart[i] &&
			LlmUnicodeRangeFlags[i - 1] != LlmUnicodeRangeFlags[i];
	CHECK(LlmUnicodeRangeStart[0] == 0 && sorted && LlmUnicodeRangeStart[LlmUnicodeRangeCount - 1] <= 0x10FFFF,
		  "the range table is sorted and merged");
}

/* A vocabulary file of tokens and metadata, written to a temporary file. */
static LlmStatus
LoadSynthetic(const char *model, const char *pre, bool merges, LlmError *err)
{
	static const char *const tokens[] = {"a", "b", "ab", "\xc4\xa0"};
	static const char *const merge_list[] = {"a b"};
	char		path[] = "/tmp/test_tokenizer.XXXXXX";
	int			fd = mkstemp(path);
	GgufWriter *w = GgufWriterCreate();
	GgufFile   *g = NULL;
	LlmVocab   *v = NULL;
	LlmStatus	s;

	if (fd < 0)
		return LlmSetError(err, LLM_ERR_IO, "mkstemp failed");
	close(fd);
	GgufWriterSetString(w, "general.architecture", "gpt2");
	GgufWriterSetString(w, "tokenizer.ggml.model", model);
	GgufWriterSetString(w, "tokenizer.ggml.pre", pre);
	GgufWriterSetStringArray(w, "tokenizer.ggml.tokens", tokens, 4);
	if (merges)
		GgufWriterSetStringArray(w, "tokenizer.ggml.merges", merge_list, 1);
	s = GgufWriterWrite(w, path, NULL, NULL, err);
	GgufWriterFree(w);
	if (s == LLM_OK)
		s = GgufOpen(path, &g, err);
	if (s == LLM_OK)
		s = LlmVocabLoad(g, &v, err);
	if (s == LLM_OK)
	{
		int32_t    *ids;
		int			n;

		/* "ab" merges; "a b" is a, then " b" which has no token: bytes */
		s = LlmTokenize(v, "ab a", 4, false, false, &ids, &n, err);
		if (s == LLM_OK && !(n == 3 && ids[0] == 2 && ids[1] == 3 && ids[2] == 0))
			s = LlmSetError(err, LLM_ERR_FORMAT, "synthetic vocabulary tokenized wrongly (%d tokens)", n);
		if (s == LLM_OK)
			free(ids);
	}
	LlmVocabFree(v);
	GgufClose(g);
	unlink(path);
	return s;
}

static void
TestBadVocabularies(void)
{
	LlmError	err;

	CHECK(LoadSynthetic("gpt2", "gpt-2", true, &err) == LLM_OK, "a minimal BPE vocabulary works: %s", err.message);
	CHECK(LoadSynthetic("gpt2", "no-such-pre", true, &err) == LLM_ERR_UNSUPPORTED &&
		  strstr(err.message, "no-such-pre") != NULL,
		  "an unknown pre-tokenizer is an error naming it: %s", err.message);
	CHECK(LoadSynthetic("gpt2", "gpt-2", false, &err) == LLM_ERR_FORMAT && strstr(err.message, "merges") != NULL,
		  "BPE without merges is an error: %s", err.message);
	CHECK(LoadSynthetic("gemma4", "", false, &err) == LLM_ERR_FORMAT && strstr(err.message, "merges") != NULL,
		  "Gemma 4 without merges is an error: %s", err.message);
	CHECK(LoadSynthetic("rwkv-world", "", true, &err) == LLM_ERR_UNSUPPORTED &&
		  strstr(err.message, "\"rwkv-world\"") != NULL,
		  "an unknown tokenizer model is an error naming it: %s", err.message);
}

int
main(void)
{
	for (int i = 0; i < N_VOCABS; i++)
	{
		char		path[256];
		LlmError	err;

		snprintf(path, sizeof(path), "%s/ggml-vocab-%s.gguf", VOCAB_DIR, vocabs[i].name);
		CHECK(GgufOpen(path, &vocabs[i].gguf, &err) == LLM_OK &&
			  LlmVocabLoad(vocabs[i].gguf, &vocabs[i].vocab, &err) == LLM_OK,
			  "load %s: %s", path, err.message);
	}
	for (int i = 0; i < N_VOCABS; i++)
		if (vocabs[i].vocab != NULL)
		{
			TestVocabCases(&vocabs[i]);
			TestRandomRoundTrips(&vocabs[i]);
			TestRawBytes(&vocabs[i]);
		}
	printf("tokenizer: %d round trips\n", round_trips);
	TestSpecialTokens();
	TestBosEog();
	TestDetokenizeBytes();
	TestWordPiece();
	TestUnigram();
	TestGemma4();
	TestPretokenizers();
	TestUnicode();
	TestBadVocabularies();

	for (int i = 0; i < N_VOCABS; i++)
	{
		LlmVocabFree(vocabs[i].vocab);
		GgufClose(vocabs[i].gguf);
	}
	return UnitSummary("tokenizer");
}
