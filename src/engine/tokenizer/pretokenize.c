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
 * Unicode classes come from the code points' flags: \p{L}, \p{N}, \p{P},
 * \p{M} are the categories, \s is the White_Space property.  [^\s\p{L}\p{N}]
 * is every other code point.
 *
 * llama.cpp runs the expressions it has no hand-written splitter for
 * (Qwen 3.5's, DeepSeek's) through std::regex: those with a \p class over
 * a copy of the text where every non-ASCII code point is one byte standing
 * for its category (which is what the flags give here), the others with
 * std::wregex over the code points, non-ASCII whitespace replaced by U+000B
 * so that \s sees it.  The replacement also hides that whitespace from
 * bracket ranges: DeepSeek's ranges contain U+3000 and U+2000..U+200A, and
 * they never match those.
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
	/* Qwen 3.5: Qwen 2's with combining marks kept with letters */
	{"qwen35", LLM_PRE_QWEN35, false, false, false},
	/* DeepSeek LLM and Coder (v1): their own lists */
	{"deepseek-llm", LLM_PRE_DEEPSEEK_LLM, false, false, false},
	{"deepseek-coder", LLM_PRE_DEEPSEEK_CODER, false, false, false},
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
		case LLM_PRE_QWEN35:
			return "qwen35";
		case LLM_PRE_DEEPSEEK_LLM:
			return "deepseek-llm";
		case LLM_PRE_DEEPSEEK_CODER:
			return "deepseek-coder";
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

/* [\p{L}\p{M}] */
static inline bool
IsLetterOrMark(uint16_t f)
{
	return (f & (LLM_UNICODE_LETTER | LLM_UNICODE_MARK)) != 0;
}

/* [^\s\p{L}\p{M}\p{N}] */
static inline bool
IsOtherNoMark(uint16_t f)
{
	return IsOther(f) && (f & LLM_UNICODE_MARK) == 0;
}

static inline bool
IsPunctuation(uint16_t f)
{
	return (f & LLM_UNICODE_PUNCTUATION) != 0;
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
 * Llama 3 (max_digits 3), Qwen 2 (max_digits 1) and, with marks, Qwen 3.5:
 * (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 *  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * Qwen 3.5 has [\p{L}\p{M}]+ for \p{L}+ and [^\s\p{L}\p{M}\p{N}]+ for the
 * other run; a mark may still be the optional character before a letter
 * run, as it is no \p{L}.  Inlined with constant arguments into each
 * matcher below.
 */
static inline size_t
MatchLlama3Family(const PreState *st, size_t pos, size_t end, size_t max_digits,
				  bool marks)
{
	uint32_t	c = st->cpt[pos];
	uint16_t	f = st->flags[pos];
	bool		newline = (c == '\r' || c == '\n');
	bool		(*word) (uint16_t) = marks ? IsLetterOrMark : IsLetter;
	bool		(*other) (uint16_t) = marks ? IsOtherNoMark : IsOther;
	size_t		stop;
	size_t		n;

	if (c == '\'' && (n = PreContraction(st, pos, end, true)) > 0)
		return pos + n;
	if (word(f) ||
		(!newline && !IsNumber(f) && word(PreFlags(st, pos + 1, end))))
	{
		/* a letter run, after one optional non-letter, non-digit */
		return PreRun(st, word(f) ? pos : pos + 1, end, word);
	}
	if (IsNumber(f))
	{
		for (stop = pos; stop < pos + max_digits && IsNumber(PreFlags(st, stop, end)); stop++)
			;
		return stop;
	}
	if (other(c == ' ' ? PreFlags(st, pos + 1, end) : f))
	{
		uint32_t	t;

		stop = PreRun(st, pos + (c == ' '), end, other);
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

static size_t
MatchLlama3(const PreState *st, size_t pos, size_t end, size_t param)
{
	return MatchLlama3Family(st, pos, end, 3, false);
}

static size_t
MatchQwen2(const PreState *st, size_t pos, size_t end, size_t param)
{
	return MatchLlama3Family(st, pos, end, 1, false);
}

static size_t
MatchQwen35(const PreState *st, size_t pos, size_t end, size_t param)
{
	return MatchLlama3Family(st, pos, end, 1, true);
}

static void
SplitLlama3(PreState *st, int pass, size_t ini, size_t end)
{
	PreScan(st, pass, ini, end, MatchLlama3, 0);
}

static void
SplitQwen2(PreState *st, int pass, size_t ini, size_t end)
{
	PreScan(st, pass, ini, end, MatchQwen2, 0);
}

static void
SplitQwen35(PreState *st, int pass, size_t ini, size_t end)
{
	PreScan(st, pass, ini, end, MatchQwen35, 0);
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

/* ---- DeepSeek (v1) ---- */

/*
 * The code point as std::wregex sees it in llama.cpp: non-ASCII whitespace
 * replaced by U+000B.
 */
static inline uint32_t
PreWideCpt(const PreState *st, size_t pos)
{
	uint32_t	c = st->cpt[pos];

	return (c > 0x7F && IsSpace(st->flags[pos])) ? 0x0B : c;
}

/* true if c lies in one of n sorted, disjoint ranges */
static bool
InRanges(uint32_t c, const uint32_t (*ranges)[2], int n)
{
	int			lo = 0;
	int			hi = n - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (c < ranges[mid][0])
			hi = mid - 1;
		else if (c > ranges[mid][1])
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/*
 * DeepSeek LLM's letter class, the cased letters of its tokenizer.json:
 * [A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽ...]
 * as code point ranges.
 */
static const uint32_t deepseek_letters[][2] = {
	{0x0041, 0x005A}, {0x0061, 0x007A}, {0x00B5, 0x00B5}, {0x00C0, 0x00D6},
	{0x00D8, 0x00F6}, {0x00F8, 0x01BA}, {0x01BC, 0x01BF}, {0x01C4, 0x0293},
	{0x0295, 0x02AF}, {0x0370, 0x0373}, {0x0376, 0x0377}, {0x037B, 0x037D},
	{0x037F, 0x037F}, {0x0386, 0x0386}, {0x0388, 0x038A}, {0x038C, 0x038C},
	{0x038E, 0x03A1}, {0x03A3, 0x03F5}, {0x03F7, 0x0481}, {0x048A, 0x052F},
	{0x0531, 0x0556}, {0x10A0, 0x10C5}, {0x13A0, 0x13F5}, {0x13F8, 0x13FD},
	{0x1C90, 0x1CBA}, {0x1CBD, 0x1CBF}, {0x1D00, 0x1D2B}, {0x1D6B, 0x1D77},
	{0x1D79, 0x1D9A}, {0x1E00, 0x1F15}, {0x1F18, 0x1F1D}, {0x1F20, 0x1F45},
	{0x1F48, 0x1F4D}, {0x1F50, 0x1F57}, {0x1F59, 0x1F59}, {0x1F5B, 0x1F5B},
	{0x1F5D, 0x1F5D}, {0x1F5F, 0x1F7D}, {0x1F80, 0x1FB4}, {0x1FB6, 0x1FBC},
	{0x1FBE, 0x1FBE}, {0x1FC2, 0x1FC4}, {0x1FC6, 0x1FCC}, {0x1FD0, 0x1FD3},
	{0x1FD6, 0x1FDB}, {0x1FE0, 0x1FEC}, {0x1FF2, 0x1FF4}, {0x1FF6, 0x1FFC},
	{0x2102, 0x2102}, {0x2107, 0x2107}, {0x210A, 0x2113}, {0x2115, 0x2115},
	{0x2119, 0x211D}, {0x2124, 0x2124}, {0x2126, 0x2126}, {0x2128, 0x2128},
	{0x212A, 0x212D}, {0x212F, 0x2134}, {0x2139, 0x2139}, {0x213C, 0x213F},
	{0x2145, 0x2149}, {0x214E, 0x214E}, {0x2183, 0x2184}, {0x2C00, 0x2C7B},
	{0x2C7E, 0x2CE4}, {0x2CEB, 0x2CEE}, {0x2CF2, 0x2CF3}, {0xA640, 0xA66D},
	{0xA680, 0xA69B}, {0xA722, 0xA76F}, {0xA771, 0xA787}, {0xA78B, 0xA78E},
	{0xAB70, 0xABBF}, {0xFB00, 0xFB06}, {0xFB13, 0xFB17}, {0xFF21, 0xFF3A},
	{0xFF41, 0xFF5A}, {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
	{0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
};

/* DeepSeek LLM's punctuation class: [!-/:-~！-／：-～‘-‟　-。] */
static const uint32_t deepseek_punct[][2] = {
	{0x0021, 0x002F}, {0x003A, 0x007E}, {0x2018, 0x201F}, {0x3000, 0x3002},
	{0xFF01, 0xFF0F}, {0xFF1A, 0xFF5E},
};

/* [一-龥ࠀ-一가-퟿], one class for both DeepSeeks */
static const uint32_t deepseek_cjk[][2] = {
	{0x0800, 0x9FA5}, {0xAC00, 0xD7FF},
};

#define N_RANGES(r) ((int) (sizeof(r) / sizeof((r)[0])))

/* Whether the code point at pos (inside the piece) is in a class. */
typedef bool (*PreClassFn) (const PreState *st, size_t pos);

static bool
InDeepseekLetters(const PreState *st, size_t pos)
{
	return InRanges(PreWideCpt(st, pos), deepseek_letters, N_RANGES(deepseek_letters));
}

static bool
InDeepseekPunct(const PreState *st, size_t pos)
{
	return InRanges(PreWideCpt(st, pos), deepseek_punct, N_RANGES(deepseek_punct));
}

static bool
InDeepseekCjk(const PreState *st, size_t pos)
{
	return InRanges(PreWideCpt(st, pos), deepseek_cjk, N_RANGES(deepseek_cjk));
}

static bool
InLetters(const PreState *st, size_t pos)
{
	return IsLetter(st->flags[pos]);
}

static bool
InPunctuation(const PreState *st, size_t pos)
{
	return IsPunctuation(st->flags[pos]);
}

static inline size_t
PreRunOf(const PreState *st, size_t pos, size_t end, PreClassFn in)
{
	while (pos < end && in(st, pos))
		pos++;
	return pos;
}

/*
 * \s?X+: a run of the class, with the whitespace character before it.  A
 * whitespace character never is in these classes, so there is nothing to
 * backtrack over.
 */
static inline size_t
MatchSpaceThenRun(const PreState *st, size_t pos, size_t end, PreClassFn in)
{
	if (in(st, pos))
		return PreRunOf(st, pos, end, in);
	if (IsSpace(st->flags[pos]) && pos + 1 < end && in(st, pos + 1))
		return PreRunOf(st, pos + 1, end, in);
	return pos;
}

/* [\r\n]: every line break alone */
static size_t
MatchNewline(const PreState *st, size_t pos, size_t end, size_t param)
{
	return (st->cpt[pos] == '\r' || st->cpt[pos] == '\n') ? pos + 1 : pos;
}

static void
SplitNewlines(PreState *st, int pass, size_t ini, size_t end)
{
	PreScan(st, pass, ini, end, MatchNewline, 0);
}

static size_t
MatchSpaceLetters(const PreState *st, size_t pos, size_t end, size_t param)
{
	return MatchSpaceThenRun(st, pos, end, InLetters);
}

static void
SplitSpaceLetters(PreState *st, int pass, size_t ini, size_t end)
{
	PreScan(st, pass, ini, end, MatchSpaceLetters, 0);
}

static size_t
MatchSpacePunctuation(const PreState *st, size_t pos, size_t end, size_t param)
{
	return MatchSpaceThenRun(st, pos, end, InPunctuation);
}

static void
SplitSpacePunctuation(PreState *st, int pass, size_t ini, size_t end)
{
	PreScan(st, pass, ini, end, MatchSpacePunctuation, 0);
}

static size_t
MatchDeepseekLetters(const PreState *st, size_t pos, size_t end, size_t param)
{
	return MatchSpaceThenRun(st, pos, end, InDeepseekLetters);
}

static void
SplitDeepseekLetters(PreState *st, int pass, size_t ini, size_t end)
{
	PreScan(st, pass, ini, end, MatchDeepseekLetters, 0);
}

static size_t
MatchDeepseekPunct(const PreState *st, size_t pos, size_t end, size_t param)
{
	return MatchSpaceThenRun(st, pos, end, InDeepseekPunct);
}

static void
SplitDeepseekPunct(PreState *st, int pass, size_t ini, size_t end)
{
	PreScan(st, pass, ini, end, MatchDeepseekPunct, 0);
}

static size_t
MatchDeepseekCjk(const PreState *st, size_t pos, size_t end, size_t param)
{
	return PreRunOf(st, pos, end, InDeepseekCjk);
}

static void
SplitDeepseekCjk(PreState *st, int pass, size_t ini, size_t end)
{
	PreScan(st, pass, ini, end, MatchDeepseekCjk, 0);
}

/*
 * \s+$: the whitespace that ends the piece, if any.  That is the only
 * place the expression can match, so it is found from the end rather than
 * tried at every position (which would be quadratic in a long run of
 * spaces that does not end the piece).
 */
static void
SplitTrailingSpace(PreState *st, int pass, size_t ini, size_t end)
{
	size_t		start = end;

	while (start > ini && IsSpace(st->flags[start - 1]))
		start--;
	PreEmit(st, pass, ini, start);
	PreEmit(st, pass, start, end);
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
	static const PreSplitFn qwen35_passes[] = {SplitQwen35};
	static const PreSplitFn deepseek_llm_passes[] = {
		SplitNewlines, SplitDeepseekLetters, SplitDeepseekPunct, SplitTrailingSpace,
		SplitDeepseekCjk, SplitNumberRuns
	};
	static const PreSplitFn deepseek_coder_passes[] = {
		SplitNewlines, SplitSpaceLetters, SplitSpacePunctuation, SplitDeepseekCjk,
		SplitEachNumber
	};
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
		case LLM_PRE_QWEN35:
			PRE_SET_PASSES(&st, qwen35_passes);
			break;
		case LLM_PRE_DEEPSEEK_LLM:
			PRE_SET_PASSES(&st, deepseek_llm_passes);
			break;
		case LLM_PRE_DEEPSEEK_CODER:
			PRE_SET_PASSES(&st, deepseek_coder_passes);
			break;
	}
	if (text->n > 0)
		st.passes[0] (&st, 0, 0, text->n);
	return st.status;
}
