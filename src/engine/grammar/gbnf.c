/*-------------------------------------------------------------------------
 *
 * gbnf.c
 *	  Parsing GBNF text into a compiled grammar (see gbnf.h).
 *
 * A recursive-descent parser laid out as llama.cpp's llama_grammar_parser
 * (parse_rule, parse_alternates, parse_sequence), so that what it accepts
 * and how repetitions are rewritten into rules are the same; it differs in
 * saying where and what went wrong, in refusing the few inputs llama.cpp
 * would turn into a hang or a silent no-op, and in bounding memory.
 *
 * Positions are byte offsets while parsing; the line and column of an
 * error are worked out from the offset when the error is raised.  The
 * whole text is checked for NUL bytes and well-formed UTF-8 first, so the
 * parser itself may read a byte of 0 as "end of input".
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/gbnf.h"

/* A repetition with no maximum ("*", "+", "{m,}"). */
#define NO_MAX UINT64_MAX

typedef struct RuleBuf
{
	LlmGrammarElem *e;
	size_t		n;
	size_t		cap;
} RuleBuf;

typedef struct Symbol
{
	char	   *name;
	long		def_at;			/* offset of its definition's name, or -1 */
	long		ref_at;			/* offset of its first reference, or -1 */
	int			origin;			/* the written rule it was made for */
	bool		defined;
	RuleBuf		rule;
} Symbol;

typedef struct GbnfParser
{
	const char *text;
	size_t		len;
	Symbol	   *syms;
	int			n_syms;
	int			cap_syms;
	int		   *hash;			/* open addressing: symbol index + 1, or 0 */
	size_t		hash_cap;
	size_t		total_elems;	/* in every rule buffer */
	LlmError   *err;
	LlmStatus	status;			/* of the first error */
} GbnfParser;

static bool ParseAlternates(GbnfParser *p, size_t *pos, int rule_name, int rule_id,
							bool nested);

/* Byte at pos, 0 past the end (the text holds no NUL: checked first). */
static inline unsigned char
At(const GbnfParser *p, size_t pos)
{
	return pos < p->len ? (unsigned char) p->text[pos] : 0;
}

/* Line and column (characters, from 1) of a byte offset. */
static void
LineColumn(const GbnfParser *p, size_t at, int *line, int *column)
{
	*line = 1;
	*column = 1;
	for (size_t i = 0; i < at && i < p->len; i++)
	{
		unsigned char c = (unsigned char) p->text[i];

		if (c == '\n')
		{
			(*line)++;
			*column = 1;
		}
		else if ((c & 0xC0) != 0x80)
			(*column)++;
	}
}

static bool Fail(GbnfParser *p, size_t at, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

/* Record "line L column C: what" and return false. */
static bool
Fail(GbnfParser *p, size_t at, const char *fmt,...)
{
	char		what[LLM_ERROR_MESSAGE_SIZE];
	int			line;
	int			column;
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	LineColumn(p, at, &line, &column);
	p->status = LlmSetError(p->err, LLM_ERR_ARGUMENT, "line %d column %d: %s", line, column, what);
	return false;
}

static bool
OutOfMemory(GbnfParser *p)
{
	p->status = LlmSetError(p->err, LLM_ERR_NOMEM, "out of memory parsing a grammar");
	return false;
}

/* An error of the whole grammar, with no place in it. */
static bool
FailGrammar(GbnfParser *p, const char *what)
{
	p->status = LlmSetError(p->err, LLM_ERR_ARGUMENT, "%s", what);
	return false;
}

/* What is at pos, for messages: 'x', a described byte, or "the end". */
static const char *
Describe(const GbnfParser *p, size_t pos, char *buf, size_t size)
{
	unsigned char c = At(p, pos);

	if (pos >= p->len)
		return "the end of the grammar";
	if (c == '\n' || c == '\r')
		return "the end of the line";
	if (c < 0x20 || c == 0x7F)
		snprintf(buf, size, "character 0x%02X", c);
	else if (c < 0x80)
		snprintf(buf, size, "'%c'", c);
	else
	{
		size_t		n = 1;

		while (n < 4 && (At(p, pos + n) & 0xC0) == 0x80)
			n++;
		snprintf(buf, size, "'%.*s'", (int) n, p->text + pos);
	}
	return buf;
}

/*
 * Length of the well-formed UTF-8 character at s[0..len), or 0: no
 * overlong forms, surrogates or values past U+10FFFF.
 */
static size_t
Utf8Length(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t		n;
	uint32_t	v;
	uint32_t	min;

	if (s[0] < 0x80)
	{
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2, v = s[0] & 0x1F, min = 0x80;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3, v = s[0] & 0x0F, min = 0x800;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4, v = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

/* Spaces, tabs and comments; newlines too when newline_ok. */
static size_t
SkipSpace(const GbnfParser *p, size_t pos, bool newline_ok)
{
	for (;;)
	{
		unsigned char c = At(p, pos);

		if (c == ' ' || c == '\t' || (newline_ok && (c == '\r' || c == '\n')))
			pos++;
		else if (c == '#')
		{
			while (pos < p->len && At(p, pos) != '\r' && At(p, pos) != '\n')
				pos++;
		}
		else
			return pos;
	}
}

static bool
IsDigit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* llama.cpp's rule name characters: no underscore, which its names use */
static bool
IsWordChar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || IsDigit(c);
}

static uint32_t
HashName(const char *s, size_t n)
{
	uint32_t	h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char) s[i]) * 16777619u;
	return h;
}

static bool
HashInsert(GbnfParser *p, int index)
{
	const char *name = p->syms[index].name;
	size_t		mask;
	size_t		i;

	/* keep the table at most half full */
	if ((size_t) (p->n_syms + 1) * 2 > p->hash_cap)
	{
		size_t		cap = p->hash_cap ? p->hash_cap * 2 : 256;
		int		   *table = calloc(cap, sizeof(int));

		if (table == NULL)
			return false;
		free(p->hash);
		p->hash = table;
		p->hash_cap = cap;
		for (int s = 0; s < p->n_syms; s++)
			if (s != index)
			{
				i = HashName(p->syms[s].name, strlen(p->syms[s].name)) & (cap - 1);
				while (table[i] != 0)
					i = (i + 1) & (cap - 1);
				table[i] = s + 1;
			}
	}
	mask = p->hash_cap - 1;
	i = HashName(name, strlen(name)) & mask;
	while (p->hash[i] != 0)
		i = (i + 1) & mask;
	p->hash[i] = index + 1;
	return true;
}

/* A new symbol of that name; -1 when out of memory. */
static int
AddSymbol(GbnfParser *p, const char *name, size_t n, int origin)
{
	Symbol	   *s;

	if (p->n_syms == p->cap_syms)
	{
		int			cap = p->cap_syms ? p->cap_syms * 2 : 64;
		Symbol	   *grown = realloc(p->syms, sizeof(Symbol) * cap);

		if (grown == NULL)
			return -1;
		p->syms = grown;
		p->cap_syms = cap;
	}
	s = &p->syms[p->n_syms];
	memset(s, 0, sizeof(*s));
	s->name = malloc(n + 1);
	if (s->name == NULL)
		return -1;
	memcpy(s->name, name, n);
	s->name[n] = '\0';
	s->def_at = -1;
	s->ref_at = -1;
	s->origin = origin < 0 ? p->n_syms : origin;
	p->n_syms++;
	if (!HashInsert(p, p->n_syms - 1))
		return -1;
	return p->n_syms - 1;
}

/* The symbol of a written name, made on first sight (get_symbol_id). */
static int
SymbolId(GbnfParser *p, const char *name, size_t n)
{
	if (p->hash_cap > 0)
	{
		size_t		mask = p->hash_cap - 1;
		size_t		i = HashName(name, n) & mask;

		while (p->hash[i] != 0)
		{
			const char *have = p->syms[p->hash[i] - 1].name;

			if (strlen(have) == n && memcmp(have, name, n) == 0)
				return p->hash[i] - 1;
			i = (i + 1) & mask;
		}
	}
	return AddSymbol(p, name, n, -1);
}

/* A rule for a group or repetition of rule base: "base_ID" (generate_symbol_id). */
static int
GenerateSymbol(GbnfParser *p, int base)
{
	char		name[64];
	size_t		n;
	char	   *full;
	int			id;
	const char *base_name = p->syms[base].name;

	n = snprintf(name, sizeof(name), "_%d", p->n_syms);
	full = malloc(strlen(base_name) + n + 1);
	if (full == NULL)
		return -1;
	strcpy(full, base_name);
	strcat(full, name);
	id = AddSymbol(p, full, strlen(full), p->syms[base].origin);
	free(full);
	return id;
}

static bool
Push(GbnfParser *p, RuleBuf *r, uint32_t type, uint32_t value)
{
	if (r->n == r->cap)
	{
		size_t		cap = r->cap ? r->cap * 2 : 16;
		LlmGrammarElem *grown = realloc(r->e, sizeof(LlmGrammarElem) * cap);

		if (grown == NULL)
			return OutOfMemory(p);
		r->e = grown;
		r->cap = cap;
	}
	if (++p->total_elems > LLM_GRAMMAR_MAX_ELEMS)
		return Fail(p, 0, "the grammar expands to more than %d elements", LLM_GRAMMAR_MAX_ELEMS);
	r->e[r->n].type = type;
	r->e[r->n].value = value;
	r->n++;
	return true;
}

/* Append n elements of src (not inside r: a realloc would move them). */
static bool
Append(GbnfParser *p, RuleBuf *r, const LlmGrammarElem *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!Push(p, r, src[i].type, src[i].value))
			return false;
	return true;
}

/* Give rule id its definition (add_rule: a later one replaces it). */
static void
SetRule(GbnfParser *p, int id, RuleBuf *r)
{
	Symbol	   *s = &p->syms[id];

	if (s->defined)
	{
		p->total_elems -= s->rule.n;
		free(s->rule.e);
	}
	s->rule = *r;
	s->defined = true;
	memset(r, 0, sizeof(*r));
}

static bool
HexValue(unsigned char c, uint32_t *v)
{
	if (c >= '0' && c <= '9')
		*v = c - '0';
	else if (c >= 'a' && c <= 'f')
		*v = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		*v = c - 'A' + 10;
	else
		return false;
	return true;
}

/* One character of a literal or set, escapes decoded (parse_char). */
static bool
ParseChar(GbnfParser *p, size_t *pos, uint32_t *cp)
{
	size_t		at = *pos;
	unsigned char c = At(p, at);
	char		desc[16];

	if (at >= p->len)
		return Fail(p, at, "unexpected end of the grammar");
	if (c == '\\')
	{
		unsigned char e = At(p, at + 1);
		int			digits = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;

		if (digits > 0)
		{
			uint32_t	v = 0;

			for (int i = 0; i < digits; i++)
			{
				uint32_t	d;

				if (!HexValue(At(p, at + 2 + i), &d))
					return Fail(p, at + 2 + i, "expected %d hexadecimal digits after \\%c, found %s",
								digits, e, Describe(p, at + 2 + i, desc, sizeof(desc)));
				v = (v << 4) | d;
			}
			*cp = v;
			*pos = at + 2 + digits;
			return true;
		}
		switch (e)
		{
			case 't':
				*cp = '\t';
				break;
			case 'r':
				*cp = '\r';
				break;
			case 'n':
				*cp = '\n';
				break;
			case '\\':
			case '"':
			case '[':
			case ']':
			case '-':
				*cp = e;
				break;
			default:
				if (at + 1 >= p->len)
					return Fail(p, at, "unexpected end of the grammar after '\\'");
				return Fail(p, at, "unknown escape '\\' followed by %s (expected \\n, \\r, \\t, \\\\, \\\", \\[, \\], \\-, \\xHH, \\uHHHH or \\UHHHHHHHH)",
							Describe(p, at + 1, desc, sizeof(desc)));
		}
		*pos = at + 2;
		return true;
	}
	*pos = at + Utf8Length((const unsigned char *) p->text + at, p->len - at, cp);
	return true;
}

/* A decimal count of a repetition; more than the limit is reported as such. */
static bool
ParseCount(GbnfParser *p, size_t *pos, uint64_t *out)
{
	uint64_t	v = 0;
	size_t		at = *pos;

	while (IsDigit(At(p, *pos)))
	{
		/* saturate: anything past the limit is "too many" whatever its size */
		if (v <= 1000000000)
			v = v * 10 + (At(p, *pos) - '0');
		(*pos)++;
	}
	if (*pos == at)
	{
		char		desc[16];

		return Fail(p, at, "expected a number in the repetition, found %s",
					Describe(p, at, desc, sizeof(desc)));
	}
	*out = v;
	return true;
}

/*
 * Rewrite the item at r[last_start..] into min..max repetitions
 * (handle_repetitions of llama.cpp):
 *	S{m,n} --> S (m times) S'(n-m);  S'(x) ::= S S'(x-1) |  ...  S'(1) ::= S |
 *	S{m,}  --> S (m times) S';		 S' ::= S S' |
 * n_prev_rules counts the rules the item itself made, so that nested
 * repetitions are bounded by their product.
 */
static bool
Repeat(GbnfParser *p, RuleBuf *r, size_t last_start, size_t at, int rule_name,
	   uint64_t min, uint64_t max, uint64_t *n_prev_rules)
{
	bool		no_max = max == NO_MAX;
	uint64_t	total_rules = 1;
	uint64_t	n_opt;
	size_t		n_prev;
	LlmGrammarElem *prev;
	int			last_rec = 0;
	char		desc[16];

	if (last_start == r->n)
		return Fail(p, at, "%s needs an item before it to repeat",
					Describe(p, at, desc, sizeof(desc)));
	if (!no_max && max > 0)
		total_rules = max;
	else if (min > 0)
		total_rules = min;
	if (*n_prev_rules * total_rules >= LLM_GRAMMAR_MAX_REPETITION)
		return Fail(p, at, "this repetition makes too many rules: the rules it repeats times the count must be below %d",
					LLM_GRAMMAR_MAX_REPETITION);

	n_prev = r->n - last_start;
	prev = malloc(sizeof(LlmGrammarElem) * n_prev);
	if (prev == NULL)
		return OutOfMemory(p);
	memcpy(prev, r->e + last_start, sizeof(LlmGrammarElem) * n_prev);

	if (min == 0)
	{
		p->total_elems -= n_prev;
		r->n = last_start;
	}
	else
		for (uint64_t i = 1; i < min; i++)
			if (!Append(p, r, prev, n_prev))
				goto fail;

	n_opt = no_max ? 1 : max - min;
	for (uint64_t i = 0; i < n_opt; i++)
	{
		RuleBuf		rec = {0};
		int			id = GenerateSymbol(p, rule_name);

		if (id < 0)
		{
			OutOfMemory(p);
			goto fail;
		}
		if (!Append(p, &rec, prev, n_prev) ||
			((i > 0 || no_max) &&
			 !Push(p, &rec, LLM_GRE_RULE_REF, no_max ? (uint32_t) id : (uint32_t) last_rec)) ||
			!Push(p, &rec, LLM_GRE_ALT, 0) || !Push(p, &rec, LLM_GRE_END, 0))
		{
			p->total_elems -= rec.n;
			free(rec.e);
			goto fail;
		}
		SetRule(p, id, &rec);
		last_rec = id;
	}
	if (n_opt > 0 && !Push(p, r, LLM_GRE_RULE_REF, (uint32_t) last_rec))
		goto fail;
	*n_prev_rules *= total_rules;
	free(prev);
	return true;

fail:
	free(prev);
	return false;
}

/* A "{m}", "{m,}" or "{m,n}" at pos: its bounds (llama.cpp's limits). */
static bool
ParseBraces(GbnfParser *p, size_t *pos, bool nested, uint64_t *min, uint64_t *max)
{
	size_t		open = *pos;
	char		desc[16];

	*pos = SkipSpace(p, *pos + 1, nested);
	if (!ParseCount(p, pos, min))
		return false;
	*pos = SkipSpace(p, *pos, nested);
	*max = NO_MAX;
	if (At(p, *pos) == '}')
		*max = *min;
	else if (At(p, *pos) == ',')
	{
		*pos = SkipSpace(p, *pos + 1, nested);
		if (IsDigit(At(p, *pos)))
		{
			if (!ParseCount(p, pos, max))
				return false;
			*pos = SkipSpace(p, *pos, nested);
		}
		if (At(p, *pos) != '}')
			return Fail(p, *pos, "expected '}' to close the repetition, found %s",
						Describe(p, *pos, desc, sizeof(desc)));
	}
	else
		return Fail(p, *pos, "expected ',' or '}' in the repetition, found %s",
					Describe(p, *pos, desc, sizeof(desc)));
	*pos = SkipSpace(p, *pos + 1, nested);
	if (*min > LLM_GRAMMAR_MAX_REPETITION)
		return Fail(p, open, "a repetition of at least %llu is more than the %d allowed",
					(unsigned long long) *min, LLM_GRAMMAR_MAX_REPETITION);
	if (*max != NO_MAX && *max < *min)
		return Fail(p, open, "bad repetition bounds {%llu,%llu}: the maximum is below the minimum",
					(unsigned long long) *min, (unsigned long long) *max);
	/* as llama.cpp: a maximum past the limit is no maximum */
	if (*max != NO_MAX && *max > LLM_GRAMMAR_MAX_REPETITION)
		*max = NO_MAX;
	return true;
}

/* A literal "..." at pos into r. */
static bool
ParseLiteral(GbnfParser *p, size_t *pos, RuleBuf *r)
{
	size_t		open = *pos;
	int			line;
	int			column;

	(*pos)++;
	while (At(p, *pos) != '"')
	{
		uint32_t	cp;

		if (*pos >= p->len)
		{
			LineColumn(p, open, &line, &column);
			return Fail(p, *pos, "expected '\"' to close the string that starts at line %d column %d",
						line, column);
		}
		if (!ParseChar(p, pos, &cp) || !Push(p, r, LLM_GRE_CHAR, cp))
			return false;
	}
	(*pos)++;
	return true;
}

/* A character set [...] or [^...] at pos into r. */
static bool
ParseCharSet(GbnfParser *p, size_t *pos, RuleBuf *r)
{
	size_t		open = *pos;
	size_t		first = r->n;
	uint32_t	start_type = LLM_GRE_CHAR;
	int			line;
	int			column;

	(*pos)++;
	if (At(p, *pos) == '^')
	{
		(*pos)++;
		start_type = LLM_GRE_CHAR_NOT;
	}
	while (At(p, *pos) != ']')
	{
		uint32_t	cp;
		size_t		at = *pos;

		if (*pos >= p->len)
		{
			LineColumn(p, open, &line, &column);
			return Fail(p, *pos, "expected ']' to close the character set that starts at line %d column %d",
						line, column);
		}
		if (!ParseChar(p, pos, &cp) ||
			!Push(p, r, r->n > first ? LLM_GRE_CHAR_ALT : start_type, cp))
			return false;
		if (At(p, *pos) == '-' && At(p, *pos + 1) != ']')
		{
			uint32_t	hi;

			(*pos)++;
			if (*pos >= p->len)
				return Fail(p, *pos, "unexpected end of the grammar in a character range");
			if (!ParseChar(p, pos, &hi))
				return false;
			if (hi < cp)
				return Fail(p, at, "bad character range: U+%04X-U+%04X ends below its start", cp, hi);
			if (!Push(p, r, LLM_GRE_CHAR_RNG_UPPER, hi))
				return false;
		}
	}
	if (r->n == first)
		return Fail(p, open, "empty character set %s (it would match nothing)",
					start_type == LLM_GRE_CHAR ? "[]" : "[^]");
	(*pos)++;
	return true;
}

/* A sequence of items into r, up to '|', ')', the end of the rule or an error. */
static bool
ParseSequence(GbnfParser *p, size_t *pos, int rule_name, RuleBuf *r, bool nested)
{
	size_t		last_start = r->n;
	uint64_t	n_prev_rules = 1;
	char		desc[16];

	for (;;)
	{
		unsigned char c = At(p, *pos);
		size_t		at = *pos;
		uint64_t	min;
		uint64_t	max;

		if (*pos >= p->len)
			return true;
		if (c == '"')
		{
			last_start = r->n;
			n_prev_rules = 1;
			if (!ParseLiteral(p, pos, r))
				return false;
			*pos = SkipSpace(p, *pos, nested);
		}
		else if (c == '[')
		{
			last_start = r->n;
			n_prev_rules = 1;
			if (!ParseCharSet(p, pos, r))
				return false;
			*pos = SkipSpace(p, *pos, nested);
		}
		else if (c == '<' || c == '!')
			return Fail(p, at, "token references (<...>, !<...>) are not supported");
		else if (IsWordChar(c))
		{
			int			id;

			while (IsWordChar(At(p, *pos)))
				(*pos)++;
			id = SymbolId(p, p->text + at, *pos - at);
			if (id < 0)
				return OutOfMemory(p);
			if (p->syms[id].ref_at < 0)
				p->syms[id].ref_at = (long) at;
			*pos = SkipSpace(p, *pos, nested);
			last_start = r->n;
			n_prev_rules = 1;
			if (!Push(p, r, LLM_GRE_RULE_REF, (uint32_t) id))
				return false;
		}
		else if (c == '(')
		{
			int			n_before = p->n_syms;
			int			sub = GenerateSymbol(p, rule_name);
			int			line;
			int			column;

			if (sub < 0)
				return OutOfMemory(p);
			*pos = SkipSpace(p, *pos + 1, true);
			if (!ParseAlternates(p, pos, rule_name, sub, true))
				return false;
			n_prev_rules = p->n_syms - n_before > 1 ? (uint64_t) (p->n_syms - n_before) : 1;
			last_start = r->n;
			if (!Push(p, r, LLM_GRE_RULE_REF, (uint32_t) sub))
				return false;
			if (At(p, *pos) != ')')
			{
				LineColumn(p, at, &line, &column);
				return Fail(p, *pos, "expected ')' to close the group that opens at line %d column %d, found %s",
							line, column, Describe(p, *pos, desc, sizeof(desc)));
			}
			*pos = SkipSpace(p, *pos + 1, nested);
		}
		else if (c == '.')
		{
			last_start = r->n;
			n_prev_rules = 1;
			if (!Push(p, r, LLM_GRE_CHAR_ANY, 0))
				return false;
			*pos = SkipSpace(p, *pos + 1, nested);
		}
		else if (c == '*' || c == '+' || c == '?')
		{
			*pos = SkipSpace(p, *pos + 1, nested);
			if (!Repeat(p, r, last_start, at, rule_name, c == '+' ? 1 : 0,
						c == '?' ? 1 : NO_MAX, &n_prev_rules))
				return false;
		}
		else if (c == '{')
		{
			if (!ParseBraces(p, pos, nested, &min, &max) ||
				!Repeat(p, r, last_start, at, rule_name, min, max, &n_prev_rules))
				return false;
		}
		else
			return true;
	}
}

/* Alternatives separated by '|' into rule rule_id (parse_alternates). */
static bool
ParseAlternates(GbnfParser *p, size_t *pos, int rule_name, int rule_id, bool nested)
{
	RuleBuf		r = {0};

	if (!ParseSequence(p, pos, rule_name, &r, nested))
		goto fail;
	while (At(p, *pos) == '|')
	{
		if (!Push(p, &r, LLM_GRE_ALT, 0))
			goto fail;
		*pos = SkipSpace(p, *pos + 1, true);
		if (!ParseSequence(p, pos, rule_name, &r, nested))
			goto fail;
	}
	if (!Push(p, &r, LLM_GRE_END, 0))
		goto fail;
	SetRule(p, rule_id, &r);
	return true;

fail:
	p->total_elems -= r.n;
	free(r.e);
	return false;
}

/* "name ::= alternatives" and the end of its line. */
static bool
ParseRule(GbnfParser *p, size_t *pos)
{
	size_t		at = *pos;
	int			id;
	char		desc[16];

	while (IsWordChar(At(p, *pos)))
		(*pos)++;
	if (*pos == at)
		return Fail(p, at, "expected a rule name (letters, digits and '-'), found %s",
					Describe(p, at, desc, sizeof(desc)));
	id = SymbolId(p, p->text + at, *pos - at);
	if (id < 0)
		return OutOfMemory(p);
	p->syms[id].def_at = (long) at;
	*pos = SkipSpace(p, *pos, false);
	if (!(At(p, *pos) == ':' && At(p, *pos + 1) == ':' && At(p, *pos + 2) == '='))
		return Fail(p, *pos, "expected \"::=\" after the rule name \"%s\", found %s",
					p->syms[id].name, Describe(p, *pos, desc, sizeof(desc)));
	*pos = SkipSpace(p, *pos + 3, true);
	if (!ParseAlternates(p, pos, id, id, false))
		return false;
	if (At(p, *pos) == '\r')
		*pos += At(p, *pos + 1) == '\n' ? 2 : 1;
	else if (At(p, *pos) == '\n')
		(*pos)++;
	else if (*pos < p->len)
	{
		if (At(p, *pos) == ')')
			return Fail(p, *pos, "unmatched ')'");
		return Fail(p, *pos, "unexpected %s in rule \"%s\" (expected an item, '|' or the end of the line)",
					Describe(p, *pos, desc, sizeof(desc)), p->syms[id].name);
	}
	*pos = SkipSpace(p, *pos, true);
	return true;
}

/* A rule being walked: where in it, and whether references still count. */
typedef struct WalkFrame
{
	int			rule;
	uint32_t	i;				/* element index within the rule */
	bool		recurse;		/* only empty-alternative rules so far */
	bool		waiting;		/* returned to after the reference at i */
} WalkFrame;

/*
 * Left recursion as llama.cpp finds it (llama_grammar_detect_left_recursion):
 * a rule reached again through the leftmost references of its
 * alternatives, passing over references to rules that have an alternative
 * written empty.  Iterative, so that a long chain of rules cannot overflow
 * the stack, and a rule already walked is not walked again (llama.cpp's
 * result is the same, in exponential time on some grammars).  Returns the
 * rule found in progress, or -1.
 */
static int
DetectLeftRecursion(const LlmGrammar *g, bool *visited, bool *in_progress,
					bool *may_be_empty, WalkFrame *stack)
{
	for (int start = 0; start < g->n_rules; start++)
	{
		int			depth = 0;

		if (visited[start])
			continue;
		stack[depth++] = (WalkFrame) {start, 0, true, false};
		while (depth > 0)
		{
			WalkFrame  *f = &stack[depth - 1];
			const LlmGrammarElem *e = g->elems + g->rule_start[f->rule];
			bool		descended = false;

			if (f->i == 0 && !f->waiting)
			{
				bool		at_start = true;

				in_progress[f->rule] = true;
				for (uint32_t k = 0;; k++)
				{
					if (LlmGrammarIsEndOfSeq(e[k].type))
					{
						if (at_start)
						{
							may_be_empty[f->rule] = true;
							break;
						}
						at_start = true;
						if (e[k].type == LLM_GRE_END)
							break;
					}
					else
						at_start = false;
				}
			}
			for (;; f->i++)
			{
				const LlmGrammarElem *x = &e[f->i];

				if (x->type == LLM_GRE_RULE_REF && f->recurse)
				{
					if (!f->waiting)
					{
						if (in_progress[x->value])
							return (int) x->value;
						if (!visited[x->value])
						{
							f->waiting = true;
							stack[depth++] = (WalkFrame) {(int) x->value, 0, true, false};
							descended = true;
							break;
						}
					}
					f->waiting = false;
					if (!may_be_empty[x->value])
						f->recurse = false;
				}
				else if (LlmGrammarIsEndOfSeq(x->type))
					f->recurse = true;
				else
					f->recurse = false;
				if (x->type == LLM_GRE_END)
					break;
			}
			if (!descended)
			{
				in_progress[f->rule] = false;
				visited[f->rule] = true;
				depth--;
			}
		}
	}
	return -1;
}

/* A leftmost reference: from a rule to one it may start with. */
typedef struct LeftEdge
{
	int			from;
	int			to;
	bool		grows;			/* more of from's alternative follows it */
} LeftEdge;

/*
 * Left recursion llama.cpp misses.  Its test above takes a rule for
 * possibly empty only if an alternative is written empty, not if one only
 * refers to such rules, and a loop through those grows llama.cpp's parse
 * stacks until memory runs out.  Here nullability is followed through
 * references, the leftmost references (those after a nullable prefix)
 * make a graph, and a loop in it is refused when one of its references
 * has more to match after it.  A loop of references in last place does
 * not grow a stack (the matcher's "seen" set stops it, as llama.cpp's
 * does), so "(x?)*" and the like stay accepted.  The loops are found as
 * strongly connected components (Tarjan's algorithm, iterative).
 */
static int
DetectGrowingLeftRecursion(GbnfParser *p, const LlmGrammar *g)
{
	int			n = g->n_rules;
	bool	   *nullable = calloc(n, sizeof(bool));
	int		   *index = malloc(sizeof(int) * n);
	int		   *low = malloc(sizeof(int) * n);
	int		   *comp = malloc(sizeof(int) * n);
	int		   *first = calloc((size_t) n + 1, sizeof(int));
	int		   *sstack = malloc(sizeof(int) * n);
	int		   *cstack = malloc(sizeof(int) * n);
	int		   *cedge = malloc(sizeof(int) * n);
	bool	   *on_stack = calloc(n, sizeof(bool));
	LeftEdge   *edges = NULL;
	size_t		n_edges = 0;
	size_t		cap_edges = 0;
	bool		changed = true;
	int			found = -1;
	int			counter = 0;
	int			n_comp = 0;

	if (nullable == NULL || index == NULL || low == NULL || comp == NULL || first == NULL ||
		sstack == NULL || cstack == NULL || cedge == NULL || on_stack == NULL)
	{
		found = -2;
		goto done;
	}

	/* nullable rules, to a fixed point */
	while (changed)
	{
		changed = false;
		for (int r = 0; r < n; r++)
		{
			const LlmGrammarElem *e = g->elems + g->rule_start[r];
			bool		alt_empty = true;

			for (size_t i = 0; !nullable[r]; i++)
			{
				if (LlmGrammarIsEndOfSeq(e[i].type))
				{
					if (alt_empty)
						nullable[r] = changed = true;
					alt_empty = true;
					if (e[i].type == LLM_GRE_END)
						break;
				}
				else if (e[i].type == LLM_GRE_RULE_REF)
					alt_empty = alt_empty && nullable[e[i].value];
				else
					alt_empty = false;
			}
		}
	}

	/* the leftmost references, grouped by rule (first[r] .. first[r + 1]) */
	for (int r = 0; r < n; r++)
	{
		const LlmGrammarElem *e = g->elems + g->rule_start[r];
		bool		prefix_empty = true;

		first[r] = (int) n_edges;
		for (size_t i = 0;; i++)
		{
			if (LlmGrammarIsEndOfSeq(e[i].type))
			{
				prefix_empty = true;
				if (e[i].type == LLM_GRE_END)
					break;
				continue;
			}
			if (e[i].type == LLM_GRE_RULE_REF && prefix_empty)
			{
				if (n_edges == cap_edges)
				{
					size_t		cap = cap_edges ? cap_edges * 2 : 64;
					LeftEdge   *grown = realloc(edges, sizeof(LeftEdge) * cap);

					if (grown == NULL)
					{
						found = -2;
						goto done;
					}
					edges = grown;
					cap_edges = cap;
				}
				edges[n_edges++] = (LeftEdge) {r, (int) e[i].value,
					!LlmGrammarIsEndOfSeq(e[i + 1].type)};
			}
			if (e[i].type == LLM_GRE_RULE_REF)
				prefix_empty = prefix_empty && nullable[e[i].value];
			else
				prefix_empty = false;
		}
	}
	first[n] = (int) n_edges;

	/* Tarjan: index -1 unseen; cstack/cedge the walk and each rule's next edge */
	for (int r = 0; r < n; r++)
		index[r] = -1;
	for (int start = 0; start < n; start++)
	{
		int			depth = 0;
		int			sp = 0;

		if (index[start] >= 0)
			continue;
		cstack[depth] = start;
		cedge[depth++] = first[start];
		index[start] = low[start] = counter++;
		sstack[sp++] = start;
		on_stack[start] = true;
		while (depth > 0)
		{
			int			v = cstack[depth - 1];

			if (cedge[depth - 1] < first[v + 1])
			{
				int			w = edges[cedge[depth - 1]++].to;

				if (index[w] < 0)
				{
					index[w] = low[w] = counter++;
					sstack[sp++] = w;
					on_stack[w] = true;
					cstack[depth] = w;
					cedge[depth++] = first[w];
				}
				else if (on_stack[w] && index[w] < low[v])
					low[v] = index[w];
				continue;
			}
			if (low[v] == index[v])
			{
				int			w;

				do
				{
					w = sstack[--sp];
					on_stack[w] = false;
					comp[w] = n_comp;
				} while (w != v);
				n_comp++;
			}
			depth--;
			if (depth > 0 && low[v] < low[cstack[depth - 1]])
				low[cstack[depth - 1]] = low[v];
		}
	}

	for (size_t k = 0; k < n_edges && found < 0; k++)
		if (edges[k].grows && comp[edges[k].from] == comp[edges[k].to])
			found = edges[k].to;

done:
	free(nullable);
	free(index);
	free(low);
	free(comp);
	free(first);
	free(sstack);
	free(cstack);
	free(cedge);
	free(on_stack);
	free(edges);
	if (found == -2)
		OutOfMemory(p);
	return found;
}

/* Left recursion, as llama.cpp refuses it and as it would hang on it. */
static bool
CheckGrammar(GbnfParser *p, LlmGrammar *g)
{
	int			n = g->n_rules;
	bool	   *flags = calloc((size_t) n * 3, sizeof(bool));
	WalkFrame  *stack = malloc(sizeof(WalkFrame) * n);
	int			found;
	int			origin;

	if (flags == NULL || stack == NULL)
	{
		free(flags);
		free(stack);
		return OutOfMemory(p);
	}
	found = DetectLeftRecursion(g, flags, flags + n, flags + 2 * n, stack);
	free(flags);
	free(stack);
	if (found < 0)
		found = DetectGrowingLeftRecursion(p, g);
	if (found == -2)
		return false;
	if (found < 0)
		return true;
	/* the names are the grammar's by now */
	origin = p->syms[found].origin;
	return Fail(p, (size_t) (p->syms[origin].def_at >= 0 ? p->syms[origin].def_at : 0),
				"rule \"%s\" is left-recursive: it can come back to itself before matching a character, which the matcher cannot run (write it with a repetition, as x ::= y (\"+\" y)* rather than x ::= x \"+\" y | y)",
				g->rule_names[origin]);
}

/* The parsed symbols as a compiled grammar. */
static bool
Compile(GbnfParser *p, LlmGrammar **out)
{
	LlmGrammar *g = calloc(1, sizeof(LlmGrammar));
	size_t		at = 0;

	if (g == NULL)
		return OutOfMemory(p);
	g->n_rules = p->n_syms;
	g->n_elems = p->total_elems;
	g->elems = malloc(sizeof(LlmGrammarElem) * (g->n_elems > 0 ? g->n_elems : 1));
	g->rule_start = malloc(sizeof(uint32_t) * (g->n_rules > 0 ? g->n_rules : 1));
	g->rule_names = calloc(g->n_rules > 0 ? g->n_rules : 1, sizeof(char *));
	g->root = -1;
	if (g->elems == NULL || g->rule_start == NULL || g->rule_names == NULL)
	{
		LlmGrammarFree(g);
		return OutOfMemory(p);
	}
	for (int s = 0; s < p->n_syms; s++)
	{
		g->rule_start[s] = (uint32_t) at;
		memcpy(g->elems + at, p->syms[s].rule.e, sizeof(LlmGrammarElem) * p->syms[s].rule.n);
		at += p->syms[s].rule.n;
		/* the names move to the grammar */
		g->rule_names[s] = p->syms[s].name;
		p->syms[s].name = NULL;
		if (strcmp(g->rule_names[s], "root") == 0)
			g->root = s;
	}
	*out = g;
	return true;
}

LlmStatus
LlmGrammarParse(const char *text, size_t len, LlmGrammar **out, LlmError *err)
{
	GbnfParser	p = {0};
	LlmGrammar *g = NULL;
	size_t		pos = 0;
	bool		ok = true;

	*out = NULL;
	p.text = text;
	p.len = len;
	p.err = err;

	/* the parser reads a 0 byte as the end: the text may hold none */
	for (size_t i = 0; i < len && ok;)
	{
		uint32_t	cp;
		size_t		n;

		if (text[i] == '\0')
			ok = Fail(&p, i, "the grammar holds a NUL byte");
		else if ((n = Utf8Length((const unsigned char *) text + i, len - i, &cp)) == 0)
			ok = Fail(&p, i, "the grammar is not valid UTF-8 (byte 0x%02X)", (unsigned char) text[i]);
		else
			i += n;
	}

	if (ok)
		pos = SkipSpace(&p, 0, true);
	while (ok && pos < len)
		ok = ParseRule(&p, &pos);

	/* every rule referred to is defined (llama.cpp: "Undefined rule identifier") */
	for (int s = 0; ok && s < p.n_syms; s++)
		if (!p.syms[s].defined)
			ok = Fail(&p, (size_t) (p.syms[s].ref_at >= 0 ? p.syms[s].ref_at : 0),
					  "undefined rule \"%s\"", p.syms[s].name);
	if (ok && p.n_syms == 0)
		ok = FailGrammar(&p, "the grammar is empty: it needs at least a rule named \"root\"");
	if (ok)
		ok = Compile(&p, &g);
	if (ok && g->root < 0)
		ok = FailGrammar(&p, "the grammar has no rule named \"root\", where matching starts");
	if (ok)
		ok = CheckGrammar(&p, g);

	for (int s = 0; s < p.n_syms; s++)
	{
		free(p.syms[s].name);
		free(p.syms[s].rule.e);
	}
	free(p.syms);
	free(p.hash);
	if (!ok)
	{
		LlmGrammarFree(g);
		return p.status;
	}
	*out = g;
	return LLM_OK;
}

void
LlmGrammarFree(LlmGrammar *g)
{
	if (g == NULL)
		return;
	for (int r = 0; r < g->n_rules && g->rule_names != NULL; r++)
		free(g->rule_names[r]);
	free(g->rule_names);
	free(g->rule_start);
	free(g->elems);
	free(g);
}
