/*-------------------------------------------------------------------------
 *
 * pretokenize.c
 *	  The pre-tokenizer regular expressions of byte-level BPE models, as
 *	  hand-written splitters (see pretokenize.h).
 *
 * Regex semantics reproduced here: at each position the alternatives are
 * tried in order and the first that matches wins (not the longest); a
 * position where nothing matches joins the "gap" that becomes a piece of
 * its own before the next match; quantifiers are greedy with backtracking,
 * which for these expressions only matters for \s+(?!\S) and \s*[\r\n]+;
 * the end of the current piece is the end of the subject, so lookaheads
 * and the one-character lookups below see nothing past it.
 *
 * Unicode classes come from the code points' flags: \p{L}, \p{N}, \p{P}
 * are the categories, \s is the White_Space property.  [^\s\p{L}\p{N}] is
 * every other code point.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "tokenizer/pretokenize.h"
#include "tokenizer/unicode.h"

static const LlmPreInfo pre_infos[] = {
	{"default", LLM_PRE_DEFAULT, false, false, false},
	/* Llama 3 and models that copied its tokenizer */
	{"llama3", LLM_PRE_LLAMA3, true, true, false},
	{"llama-v3", LLM_PRE_LLAMA3, true, true, false},
	{"llama-bpe", LLM_PRE_LLAMA3, true, true, false},
	{"falcon3", LLM_PRE_LLAMA3, true, true, false},
	{"falcon-h1", LLM_PRE_LLAMA3, true, true, false},
	{"pixtral", LLM_PRE_LLAMA3, true, true, false},
	{"dbrx", LLM_PRE_LLAMA3, false, false, false},
	{"smaug-bpe", LLM_PRE_LLAMA3, false, false, false},
	{"glm4", LLM_PRE_LLAMA3, false, false, true},
	{"chatglm-bpe", LLM_PRE_LLAMA3, false, false, true},
	/* Qwen 2 / 2.5 / 3 */
	{"qwen2", LLM_PRE_QWEN2, false, false, false},
	{"deepseek-r1-qwen", LLM_PRE_QWEN2, false, false, false},
	{"megrez", LLM_PRE_QWEN2, false, false, false},
	{"stablelm2", LLM_PRE_QWEN2, false, false, false},
	{"hunyuan", LLM_PRE_QWEN2, false, false, false},
	/* GPT-2's expression alone */
	{"gpt-2", LLM_PRE_GPT2, false, false, false},
	{"phi-2", LLM_PRE_GPT2, false, false, false},
	{"mpt", LLM_PRE_GPT2, false, false, false},
	{"olmo", LLM_PRE_GPT2, false, false, false},
	{"jais", LLM_PRE_GPT2, false, false, false},
	{"gigachat", LLM_PRE_GPT2, false, false, false},
	{"jina-es", LLM_PRE_GPT2, false, false, false},
	{"jina-de", LLM_PRE_GPT2, false, false, false},
	{"jina-v2-es", LLM_PRE_GPT2, false, false, false},
	{"jina-v2-de", LLM_PRE_GPT2, false, false, false},
	{"exaone4", LLM_PRE_GPT2, false, false, false},
	{"trillion", LLM_PRE_GPT2, false, false, false},
	{"a.x-4.0", LLM_PRE_GPT2, false, false, false},
	{"mellum", LLM_PRE_GPT2, false, false, false},
	/* digits split one by one, then GPT-2's expression (SmolLM, StarCoder) */
	{"smollm", LLM_PRE_SMOLLM, false, false, false},
	{"starcoder", LLM_PRE_SMOLLM, false, false, false},
	{"refact", LLM_PRE_SMOLLM, false, false, false},
	{"command-r", LLM_PRE_SMOLLM, false, false, false},
	{"codeshell", LLM_PRE_SMOLLM, false, false, false},
	{"exaone", LLM_PRE_SMOLLM, false, false, false},
	{"minerva-7b", LLM_PRE_SMOLLM, false, false, false},
	{"falcon", LLM_PRE_FALCON, false, false, false},
};

const LlmPreInfo *
LlmPreLookup(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(pre_infos) / sizeof(pre_infos[0]); i++)
		if (strlen(pre_infos[i].name) == len && memcmp(pre_infos[i].name, name, len) == 0)
			return &pre_infos[i];
	return NULL;
}

const char *
LlmPreTypeName(LlmPreType type)
{
	switch (type)
	{
		case LLM_PRE_DEFAULT:
			return "default";
		case LLM_PRE_GPT2:
			return "gpt2";
		case LLM_PRE_LLAMA3:
			return "llama3";
		case LLM_PRE_QWEN2:
			return "qwen2";
		case LLM_PRE_SMOLLM:
			return "smollm";
		case LLM_PRE_FALCON:
			return "falcon";
	}
	return "?";
}

/* ---- the splitting machinery ---- */

#define PRE_OUTSIDE 0xFFFFFFFFu		/* "code point" past the piece's end */

typedef struct PreState PreState;

/* Split [ini, end) and hand every piece to the next pass (PreEmit). */
typedef void (*PreSplitFn) (PreState *st, int pass, size_t ini, size_t end);

struct PreState
{
	const uint32_t *cpt;
	const uint16_t *flags;
	const PreSplitFn *passes;
	int			n_passes;
	LlmPreWordFn emit;
	void	   *arg;
	LlmError   *err;
	LlmStatus	status;
};

static void
PreEmit(PreState *st, int pass, size_t start, size_t end)
{
	if (start >= end || st->status != LLM_OK)
		return;
	if (pass + 1 == st->n_passes)
		st->status = st->emit(st->arg, start, end, st->err);
	else
		st->passes[pass + 1] (st, pass + 1, start, end);
}

/* Flags of a position; 0 (no class at all) past the piece's end. */
static inline uint16_t
PreFlags(const PreState *st, size_t pos, size_t end)
{
	return pos < end ? st->flags[pos] : 0;
}

static inline uint32_t
PreCpt(const PreState *st, size_t pos, size_t end)
{
	return pos < end ? st->cpt[pos] : PRE_OUTSIDE;
}

static inline bool
IsLetter(uint16_t f)
{
	return (f & LLM_UNICODE_LETTER) != 0;
}

static inline bool
IsNumber(uint16_t f)
{
	return (f & LLM_UNICODE_NUMBER) != 0;
}

static inline bool
IsSpace(uint16_t f)
{
	return (f & LLM_UNICODE_WHITESPACE) != 0;
}

/* [^\s\p{L}\p{N}]: any code point of the piece that is none of those */
static inline bool
IsOther(uint16_t f)
{
	return f != 0 && (f & (LLM_UNICODE_WHITESPACE | LLM_UNICODE_LETTER | LLM_UNICODE_NUMBER)) == 0;
}

static inline uint32_t
AsciiLower(uint32_t c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/*
 * Length of 's|'t|'re|'ve|'m|'ll|'d at pos (an apostrophe), or 0.  With
 * ignore_case the letters match either case, as (?i:...) does; no code
 * point outside ASCII lowercases to one of these letters, so ASCII
 * folding is the whole of it.
 */
static size_t
PreContraction(const PreState *st, size_t pos, size_t end, bool ignore_case)
{
	uint32_t	a = PreCpt(st, pos + 1, end);
	uint32_t	b = PreCpt(st, pos + 2, end);

	if (ignore_case)
	{
		a = AsciiLower(a);
		b = AsciiLower(b);
	}
	if (a == 's' || a == 't' || a == 'm' || a == 'd')
		return 2;
	if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
		return 3;
	return 0;
}

/* The end of the run of code points of a class that starts at pos. */
static inline size_t
PreRun(const PreState *st, size_t pos, size_t end, bool (*in_class) (uint16_t))
{
	while (in_class(PreFlags(st, pos, end)))
		pos++;
	return pos;
}

/*
 * Where the expression's match at pos ends, or pos when nothing matches
 * there; param is the expression's own (Llama 3's digit count, Falcon's
 * backtick).
 */
typedef size_t (*PreMatchFn) (const PreState *st, size_t pos, size_t end,
							  size_t param);

/*
 * Split [ini, end) as findall would: scan for matches left to right, each
 * match a piece, and the text between matches (the "gap", which no
 * alternative matched) a piece of its own before the next match.
 * Inlined into each splitter, so that its matcher is too.
 */
static inline void
PreScan(PreState *st, int pass, size_t ini, size_t end, PreMatchFn match,
		size_t param)
{
	size_t		gap = ini;
	size_t		pos = ini;

	while (pos < end && st->status == LLM_OK)
	{
		size_t		stop = match(st, pos, end, param);

		if (stop > pos)
		{
			PreEmit(st, pass, gap, pos);
			PreEmit(st, pass, pos, stop);
			gap = pos = stop;
		}
		else
			pos++;				/* e.g. a lone space before \S matches nothing */
	}
	PreEmit(st, pass, gap, end);
}

/*
 * GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)
 */
static size_t
MatchGpt2(const PreState *st, size_t pos, size_t end, size_t param)
{
	uint32_t	c = st->cpt[pos];
	uint16_t	f = st->flags[pos];
	uint16_t	after_space = (c == ' ') ? PreFlags(st, pos + 1, end) : f;
	size_t		skip = (c == ' ');
	size_t		n;

	if (c == '\'' && (n = PreContraction(st, pos, end, false)) > 0)
		return pos + n;
	if (IsLetter(after_space))
		return PreRun(st, pos + skip, end, IsLetter);
	if (IsNumber(after_space))
		return PreRun(st, pos + skip, end, IsNumber);
	if (IsOther(after_space))
		return PreRun(st, pos + skip, end, IsOther);
	if (IsSpace(f))
	{
		size_t		stop = PreRun(st, pos, end, IsSpace);

		/* \s+(?!\S): all of it at the end, else leave the last one */
		if (stop == end)
			return end;
		if (stop - pos > 1)
			return stop - 1;
	}
	return pos;
}

static void
SplitGpt2(PreState *st, int pass, size_t ini, size_t end)
{
	PreScan(st, pass, ini, end, MatchGpt2, 0);
}

/*
 * Llama 3 (max_digits 3) and Qwen 2 (max_digits 1):
 * (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 *  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 */
static size_t
MatchLlama3Like(const PreState *st, size_t pos, size_t end, size_t max_digits)
{
	uint32_t	c = st->cpt[pos];
	uint16_t	f = st->flags[pos];
	bool		newline = (c == '\r' || c == '\n');
	size_t		stop;
	size_t		n;

	if (c == '\'' && (n = PreContraction(st, pos, end, true)) > 0)
		return pos + n;
	if (IsLetter(f) ||
		(!newline && !IsNumber(f) && IsLetter(PreFlags(st, pos + 1, end))))
	{
		/* a letter run, after one optional non-letter, non-digit */
		return PreRun(st, IsLetter(f) ? pos : pos + 1, end, IsLetter);
	}
	if (IsNumber(f))
	{
		for (stop = pos; stop < pos + max_digits && IsNumber(PreFlags(st, stop, end)); stop++)
			;
		return stop;
	}
	if (IsOther(c == ' ' ? PreFlags(st, pos + 1, end) : f))
	{
		uint32_t	t;

		stop = PreRun(st, pos + (c == ' '), end, IsOther);
		while ((t = PreCpt(st, stop, end)) == '\r' || t == '\n')
			stop++;
		return stop;
	}
	if (IsSpace(f))
	{
		size_t		run = 0;
		size_t		through_newline = 0;

		for (; IsSpace(PreFlags(st, pos + run, end)); run++)
		{
			uint32_t	t = st->cpt[pos + run];

			if (t == '\r' || t == '\n')
				through_newline = run + 1;
		}
		if (through_newline > 0)
			return pos + through_newline;	/* \s*[\r\n]+ */
		if (pos + run == end || run == 1)
			return pos + run;	/* \s+(?!\S) at the end, or \s+ */
		return pos + run - 1;	/* \s+(?!\S) */
	}
	return pos;
}

static void
SplitLlama3(PreState *st, int pass, size_t ini, size_t end)
{
	PreScan(st, pass, ini, end, MatchLlama3Like, 3);
}

static void
SplitQwen2(PreState *st, int pass, size_t ini, size_t end)
{
	PreScan(st, pass, ini, end, MatchLlama3Like, 1);
}

/* \p{N}: every digit alone, the text between digits as pieces */
static size_t
MatchEachNumber(const PreState *st, size_t pos, size_t end, size_t param)
{
	return IsNumber(st->flags[pos]) ? pos + 1 : pos;
}

static void
SplitEachNumber(PreState *st, int pass, size_t ini, size_t end)
{
	PreScan(st, pass, ini, end, MatchEachNumber, 0);
}

/* \p{N}+ */
static size_t
MatchNumberRun(const PreState *st, size_t pos, size_t end, size_t param)
{
	return PreRun(st, pos, end, IsNumber);
}

static void
SplitNumberRuns(PreState *st, int pass, size_t ini, size_t end)
{
	PreScan(st, pass, ini, end, MatchNumberRun, 0);
}

/* [\p{P}\$\+<=>\^~\|]+, with ` too for Falcon (backtick) */
static size_t
MatchPunctRun(const PreState *st, size_t pos, size_t end, size_t backtick)
{
	for (; pos < end; pos++)
	{
		uint32_t	c = st->cpt[pos];

		if (!((st->flags[pos] & LLM_UNICODE_PUNCTUATION) ||
			  (c < 128 && strchr("$+<=>^~|", (int) c) != NULL && c != 0) ||
			  (backtick && c == '`')))
			break;
	}
	return pos;
}

static void
SplitPunctRuns(PreState *st, int pass, size_t ini, size_t end)
{
	PreScan(st, pass, ini, end, MatchPunctRun, false);
}

static void
SplitPunctRunsFalcon(PreState *st, int pass, size_t ini, size_t end)
{
	PreScan(st, pass, ini, end, MatchPunctRun, true);
}

/* [0-9][0-9][0-9]: ASCII digits only, three at a time */
static size_t
MatchDigitTriple(const PreState *st, size_t pos, size_t end, size_t param)
{
	const uint32_t *c = st->cpt + pos;

	if (pos + 3 <= end &&
		c[0] >= '0' && c[0] <= '9' && c[1] >= '0' && c[1] <= '9' &&
		c[2] >= '0' && c[2] <= '9')
		return pos + 3;
	return pos;
}

static void
SplitDigitTriples(PreState *st, int pass, size_t ini, size_t end)
{
	PreScan(st, pass, ini, end, MatchDigitTriple, 0);
}

/* A type's splitters, in order: every piece one makes goes through the next. */
#define PRE_SET_PASSES(st, array) \
	((st)->passes = (array), (st)->n_passes = (int) (sizeof(array) / sizeof((array)[0])))

LlmStatus
LlmPretokenize(LlmPreType type, const LlmPreText *text, LlmPreWordFn emit,
			   void *arg, LlmError *err)
{
	static const PreSplitFn default_passes[] = {SplitPunctRuns, SplitGpt2, SplitNumberRuns, SplitDigitTriples};
	static const PreSplitFn gpt2_passes[] = {SplitGpt2};
	static const PreSplitFn llama3_passes[] = {SplitLlama3};
	static const PreSplitFn qwen2_passes[] = {SplitQwen2};
	static const PreSplitFn smollm_passes[] = {SplitEachNumber, SplitGpt2};
	static const PreSplitFn falcon_passes[] = {SplitPunctRunsFalcon, SplitGpt2, SplitDigitTriples};
	PreState	st = {0};

	st.cpt = text->cpt;
	st.flags = text->flags;
	st.emit = emit;
	st.arg = arg;
	st.err = err;
	st.status = LLM_OK;
	switch (type)
	{
		case LLM_PRE_DEFAULT:
			PRE_SET_PASSES(&st, default_passes);
			break;
		case LLM_PRE_GPT2:
			PRE_SET_PASSES(&st, gpt2_passes);
			break;
		case LLM_PRE_LLAMA3:
			PRE_SET_PASSES(&st, llama3_passes);
			break;
		case LLM_PRE_QWEN2:
			PRE_SET_PASSES(&st, qwen2_passes);
			break;
		case LLM_PRE_SMOLLM:
			PRE_SET_PASSES(&st, smollm_passes);
			break;
		case LLM_PRE_FALCON:
			PRE_SET_PASSES(&st, falcon_passes);
			break;
	}
	if (text->n > 0)
		st.passes[0] (&st, 0, 0, text->n);
	return st.status;
}
