/*-------------------------------------------------------------------------
 *
 * schema_pattern.c
 *	  A JSON Schema "pattern" (a regular expression) as GBNF, laid out as
 *	  llama.cpp's _visit_pattern lays it out.
 *
 * The pattern must be anchored, ^...$, as llama.cpp requires.  Runs of
 * literal characters become one string literal, a quantifier applies to
 * the single character before it ("abc?" is "ab" "c"?), groups become
 * parenthesised sequences, "." is a rule named dot, and a counted
 * repetition of anything but a literal gets a rule of its own
 * (NAME-1, NAME-2, ...), so that common patterns give llama.cpp's text.
 *
 * The grammar matches the string as it stands in the JSON text, between
 * its quotes, so unlike llama.cpp's this one keeps the output valid JSON:
 * a literal quote, backslash or control character is matched in its
 * escaped form (\", \\, \n, \u0001), and "." and character classes leave
 * out the characters JSON cannot hold raw (a class of nothing else is an
 * error).  Regular expression features with no grammar equivalent
 * (lookaround, backreferences, \b, anchors inside, named groups) are
 * errors, not ignored; so is a count above 2000, which llama.cpp's
 * grammar parser would quietly make unbounded.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/gbnf.h"
#include "grammar/schema_internal.h"

/* The characters a JSON string may not hold raw: 0-0x1F, '"' and '\'. */
#define JSON_RAW_FORBIDDEN "\"\\\\\\x00-\\x1F"

typedef struct PatItem
{
	char	   *text;			/* a literal's characters (decoded), or
								 * GBNF */
	bool		literal;
} PatItem;

typedef struct PatRange
{
	uint32_t	lo;
	uint32_t	hi;
} PatRange;

typedef struct PatParser
{
	SchemaConv *c;
	const char *p;				/* the pattern without its anchors */
	size_t		len;
	size_t		i;
	const char *name;
	const char *path;
	char	   *pattern;		/* the whole pattern, for messages */
	/* rules made for counted repetitions: their GBNF and name */
	char	  **sub_text;
	char	  **sub_name;
	int			n_sub;
} PatParser;

static char *Transform(PatParser *pp, bool nested);

static char *
PatFail(PatParser *pp, const char *what)
{
	return SchemaFail(pp->c, pp->path, "pattern \"%s\": %s", pp->pattern, what);
}

/* The UTF-8 character at p[*i], advanced past (the JSON reader checked it). */
static uint32_t
DecodeChar(const char *p, size_t len, size_t *i)
{
	unsigned char b = (unsigned char) p[*i];
	int			n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
	uint32_t	cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);

	for (int k = 1; k < n && *i + k < len; k++)
		cp = (cp << 6) | ((unsigned char) p[*i + k] & 0x3F);
	*i += n;
	return cp;
}

static void
AppendUtf8(LlmStrBuf *b, uint32_t cp)
{
	char		u[4];
	int			n;

	if (cp < 0x80)
		u[0] = (char) cp, n = 1;
	else if (cp < 0x800)
		u[0] = (char) (0xC0 | (cp >> 6)), u[1] = (char) (0x80 | (cp & 0x3F)), n = 2;
	else if (cp < 0x10000)
		u[0] = (char) (0xE0 | (cp >> 12)), u[1] = (char) (0x80 | ((cp >> 6) & 0x3F)),
			u[2] = (char) (0x80 | (cp & 0x3F)), n = 3;
	else
		u[0] = (char) (0xF0 | (cp >> 18)), u[1] = (char) (0x80 | ((cp >> 12) & 0x3F)),
			u[2] = (char) (0x80 | ((cp >> 6) & 0x3F)), u[3] = (char) (0x80 | (cp & 0x3F)), n = 4;
	LlmStrBufAppend(b, u, n);
}

static int
HexDigit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * The escape at p[*i] ('\' first): one character into *cp (returns 1), a
 * shorthand class (\d \w \s) into *cls (returns 2), or 0 after an error.
 */
static int
ParseEscape(PatParser *pp, size_t *i, uint32_t *cp, char *cls)
{
	char		e;
	char		what[96];

	if (*i + 1 >= pp->len)
	{
		PatFail(pp, "it ends with a lone backslash");
		return 0;
	}
	e = pp->p[*i + 1];
	*i += 2;
	switch (e)
	{
		case 'd':
		case 'w':
		case 's':
			*cls = e;
			return 2;
		case 'n':
			*cp = '\n';
			return 1;
		case 't':
			*cp = '\t';
			return 1;
		case 'r':
			*cp = '\r';
			return 1;
		case 'f':
			*cp = '\f';
			return 1;
		case 'v':
			*cp = '\v';
			return 1;
		case 'x':
		case 'u':
			{
				int			n = e == 'x' ? 2 : 4;
				uint32_t	v = 0;

				for (int k = 0; k < n; k++)
				{
					int			d = *i + k < pp->len ? HexDigit(pp->p[*i + k]) : -1;

					if (d < 0)
					{
						snprintf(what, sizeof(what), "\\%c needs %d hexadecimal digits", e, n);
						PatFail(pp, what);
						return 0;
					}
					v = (v << 4) | (uint32_t) d;
				}
				*i += n;
				if (v == 0 || (v >= 0xD800 && v <= 0xDFFF))
				{
					PatFail(pp, "\\x or \\u of NUL or a surrogate is not supported");
					return 0;
				}
				*cp = v;
				return 1;
			}
		default:
			/* an escaped punctuation character is that character */
			if ((e >= '!' && e <= '/') || (e >= ':' && e <= '@') || (e >= '[' && e <= '`') ||
				(e >= '{' && e <= '~'))
			{
				*cp = (uint32_t) e;
				return 1;
			}
			if ((unsigned char) e < 0x80)
				snprintf(what, sizeof(what), "the escape \\%c is not supported", e);
			else
				snprintf(what, sizeof(what), "an escaped non-ASCII character is not supported");
			PatFail(pp, what);
			return 0;
	}
}

/* The code point ranges of a shorthand class. */
static int
ShorthandRanges(char cls, PatRange *r)
{
	switch (cls)
	{
		case 'd':
			r[0] = (PatRange) {'0', '9'};
			return 1;
		case 'w':
			r[0] = (PatRange) {'a', 'z'};
			r[1] = (PatRange) {'A', 'Z'};
			r[2] = (PatRange) {'0', '9'};
			r[3] = (PatRange) {'_', '_'};
			return 4;
		default:
			r[0] = (PatRange) {' ', ' '};
			r[1] = (PatRange) {'\t', '\r'};
			return 2;
	}
}

/* A code point inside a GBNF character set. */
static void
SetChar(LlmStrBuf *b, uint32_t cp, bool first)
{
	char		buf[16];

	if (cp == ']' || cp == '\\' || cp == '-' || cp == '[' || cp == '"')
	{
		buf[0] = '\\';
		buf[1] = (char) cp;
		LlmStrBufAppend(b, buf, 2);
	}
	else if (cp < 0x20 || cp == 0x7F || (first && cp == '^'))
	{
		snprintf(buf, sizeof(buf), "\\x%02X", cp);
		LlmStrBufAppend(b, buf, 4);
	}
	else
		AppendUtf8(b, cp);
}

static void
SetRange(LlmStrBuf *b, uint32_t lo, uint32_t hi, bool first)
{
	SetChar(b, lo, first);
	if (hi != lo)
	{
		LlmStrBufAppend(b, "-", 1);
		SetChar(b, hi, false);
	}
}

/*
 * The GBNF set of some ranges: a positive one without the characters JSON
 * cannot hold raw, a negated one with them added to what it refuses.
 */
static char *
EmitSet(PatParser *pp, const PatRange *r, int n, bool negated)
{
	LlmStrBuf	b = {0};
	bool		any = false;

	LlmStrBufAppend(&b, negated ? "[^" : "[", negated ? 2 : 1);
	for (int k = 0; k < n; k++)
	{
		if (negated)
		{
			SetRange(&b, r[k].lo, r[k].hi, false);
			any = true;
			continue;
		}
		/* cut out 0-0x1F, '"' and '\' */
		for (uint32_t lo = r[k].lo; lo <= r[k].hi;)
		{
			uint32_t	hi = r[k].hi;

			if (lo < 0x20)
			{
				lo = 0x20;
				continue;
			}
			if (lo == '"' || lo == '\\')
			{
				lo++;
				continue;
			}
			if (lo < '"' && hi >= '"')
				hi = '"' - 1;
			else if (lo < '\\' && hi >= '\\')
				hi = '\\' - 1;
			SetRange(&b, lo, hi, !any);
			any = true;
			if (hi == UINT32_MAX)
				break;
			lo = hi + 1;
		}
	}
	if (negated)
		LlmStrBufAppend(&b, JSON_RAW_FORBIDDEN, strlen(JSON_RAW_FORBIDDEN));
	LlmStrBufAppend(&b, "]", 1);
	if (!any && !negated)
	{
		free(b.data);
		return PatFail(pp, "a character class holds only characters a JSON string cannot hold raw (quote, backslash, control characters)");
	}
	if (b.oom)
	{
		free(b.data);
		return SchemaOutOfMemory(pp->c);
	}
	return SchemaTake(pp->c, &b);
}

/* A class [...] at p[i]. */
static char *
ParseClass(PatParser *pp)
{
	PatRange   *r = NULL;
	int			n = 0;
	int			cap = 0;
	bool		negated = false;
	char	   *out;

	pp->i++;
	if (pp->i < pp->len && pp->p[pp->i] == '^')
	{
		negated = true;
		pp->i++;
	}
	while (pp->i < pp->len && pp->p[pp->i] != ']')
	{
		uint32_t	lo;
		char		cls = 0;
		int			kind = 1;

		if (n + 4 > cap)
		{
			PatRange   *grown;

			cap = cap ? cap * 2 : 16;
			grown = realloc(r, sizeof(PatRange) * cap);
			if (grown == NULL)
			{
				free(r);
				return SchemaOutOfMemory(pp->c);
			}
			r = grown;
		}
		if (pp->p[pp->i] == '\\')
			kind = ParseEscape(pp, &pp->i, &lo, &cls);
		else
			lo = DecodeChar(pp->p, pp->len, &pp->i);
		if (kind == 0)
		{
			free(r);
			return NULL;
		}
		if (kind == 2)
		{
			n += ShorthandRanges(cls, r + n);
			continue;
		}
		r[n].lo = r[n].hi = lo;
		if (pp->i + 1 < pp->len && pp->p[pp->i] == '-' && pp->p[pp->i + 1] != ']')
		{
			uint32_t	hi;

			pp->i++;
			if (pp->p[pp->i] == '\\')
				kind = ParseEscape(pp, &pp->i, &hi, &cls);
			else
				hi = DecodeChar(pp->p, pp->len, &pp->i);
			if (kind != 1)
			{
				free(r);
				return kind == 0 ? NULL : PatFail(pp, "a range cannot end with a shorthand class");
			}
			if (hi < lo)
			{
				free(r);
				return PatFail(pp, "a range of a character class ends below its start");
			}
			r[n].hi = hi;
		}
		n++;
	}
	if (pp->i >= pp->len)
	{
		free(r);
		return PatFail(pp, "a character class is not closed with ']'");
	}
	pp->i++;
	if (n == 0)
	{
		free(r);
		return PatFail(pp, "an empty character class");
	}
	out = EmitSet(pp, r, n, negated);
	free(r);
	return out;
}

/* The rule for "." (get_dot), JSON-safe. */
static char *
DotRule(PatParser *pp)
{
	return SchemaAddRule(pp->c, "dot", "[^" JSON_RAW_FORBIDDEN "]");
}

/* A literal as a GBNF string of its JSON-escaped form (to_rule). */
static char *
LiteralRule(PatParser *pp, const char *s)
{
	LlmStrBuf	json = {0};
	LlmStrBuf	b = {0};
	char		esc[8];

	for (const char *q = s; *q; q++)
	{
		unsigned char ch = (unsigned char) *q;

		if (ch == '"' || ch == '\\')
		{
			esc[0] = '\\';
			esc[1] = (char) ch;
			LlmStrBufAppend(&json, esc, 2);
		}
		else if (ch < 0x20)
		{
			const char *named = ch == '\n' ? "\\n" : ch == '\t' ? "\\t" : ch == '\r' ? "\\r" :
				ch == '\b' ? "\\b" : ch == '\f' ? "\\f" : NULL;

			if (named == NULL)
				snprintf(esc, sizeof(esc), "\\u%04x", ch);
			LlmStrBufAppend(&json, named ? named : esc, named ? 2 : 6);
		}
		else
			LlmStrBufAppend(&json, q, 1);
	}
	LlmStrBufAppend(&json, "", 0);
	SchemaFormatLiteral(json.data, json.len, &b);
	free(json.data);
	if (b.oom || json.oom)
	{
		free(b.data);
		return SchemaOutOfMemory(pp->c);
	}
	return SchemaTake(pp->c, &b);
}

static bool
IsQuantifier(char ch)
{
	return ch == '*' || ch == '+' || ch == '?' || ch == '{';
}

/* Characters that end a literal run (llama.cpp's NON_LITERAL_SET, anchors). */
static bool
IsSpecial(char ch)
{
	return strchr("|.()[]{}*+?^$", ch) != NULL;
}

static bool
PushItem(PatParser *pp, PatItem **seq, int *n, int *cap, char *text, bool literal)
{
	if (text == NULL)
		return false;
	if (*n == *cap)
	{
		int			newcap = *cap ? *cap * 2 : 16;
		PatItem    *grown = realloc(*seq, sizeof(PatItem) * newcap);

		if (grown == NULL)
		{
			SchemaOutOfMemory(pp->c);
			return false;
		}
		*seq = grown;
		*cap = newcap;
	}
	(*seq)[*n].text = text;
	(*seq)[*n].literal = literal;
	(*n)++;
	return true;
}

/* An item as GBNF: a literal quoted, anything else as it is (to_rule). */
static char *
ToRule(PatParser *pp, const PatItem *it)
{
	return it->literal ? LiteralRule(pp, it->text) : it->text;
}

/*
 * A run of literal characters at p[i]: until a special character, and not
 * the last character if a quantifier follows it (it is the quantifier's).
 * A shorthand class (\d) is an item of its own.
 */
static bool
LiteralRun(PatParser *pp, PatItem **seq, int *n, int *cap)
{
	LlmStrBuf	lit = {0};

	while (pp->i < pp->len && !IsSpecial(pp->p[pp->i]))
	{
		size_t		j = pp->i;
		uint32_t	cp;
		char		cls = 0;
		int			kind = 1;

		if (pp->p[j] == '\\')
			kind = ParseEscape(pp, &j, &cp, &cls);
		else
			cp = DecodeChar(pp->p, pp->len, &j);
		if (kind == 0)
		{
			free(lit.data);
			return false;
		}
		if (kind == 2)
		{
			PatRange	r[4];

			if (lit.len > 0)
				break;
			pp->i = j;
			return PushItem(pp, seq, n, cap, EmitSet(pp, r, ShorthandRanges(cls, r), false),
							false);
		}
		if (lit.len > 0 && j < pp->len && IsQuantifier(pp->p[j]))
			break;
		AppendUtf8(&lit, cp);
		pp->i = j;
	}
	LlmStrBufAppend(&lit, "", 0);
	if (lit.oom)
	{
		free(lit.data);
		SchemaOutOfMemory(pp->c);
		return false;
	}
	return PushItem(pp, seq, n, cap, SchemaTake(pp->c, &lit), true);
}

/* "{m}", "{m,}", "{,n}" or "{m,n}" at p[i]; max -1 for none. */
static bool
ParseBraces(PatParser *pp, int *min, int *max)
{
	size_t		close = pp->i + 1;
	const char *comma;
	char		text[64];
	char	   *end;
	long		v;

	while (close < pp->len && pp->p[close] != '}')
		close++;
	if (close >= pp->len || close - pp->i - 1 >= sizeof(text))
	{
		PatFail(pp, "a repetition count is not closed with '}'");
		return false;
	}
	memcpy(text, pp->p + pp->i + 1, close - pp->i - 1);
	text[close - pp->i - 1] = '\0';
	pp->i = close + 1;
	comma = strchr(text, ',');
	*min = 0;
	*max = -1;
	if (comma == NULL)
	{
		v = strtol(text, &end, 10);
		if (end == text || *end != '\0' || v < 0 || v > INT32_MAX)
			goto bad;
		*min = *max = (int) v;
	}
	else
	{
		if (comma != text)
		{
			v = strtol(text, &end, 10);
			if (end != comma || v < 0 || v > INT32_MAX)
				goto bad;
			*min = (int) v;
		}
		if (comma[1] != '\0')
		{
			v = strtol(comma + 1, &end, 10);
			if (*end != '\0' || v < 0 || v > INT32_MAX)
				goto bad;
			*max = (int) v;
		}
	}
	if (*max >= 0 && *max < *min)
	{
		PatFail(pp, "a repetition's maximum is below its minimum");
		return false;
	}
	if (*min > LLM_GRAMMAR_MAX_REPETITION || *max > LLM_GRAMMAR_MAX_REPETITION)
	{
		PatFail(pp, "a repetition count above 2000 cannot be enforced");
		return false;
	}
	return true;

bad:
	PatFail(pp, "a repetition count is not {m}, {m,}, {,n} or {m,n}");
	return false;
}

/* Sequence items as GBNF, runs of literals merged (join_seq). */
static char *
JoinSeq(PatParser *pp, PatItem *seq, int n)
{
	LlmStrBuf	b = {0};
	int			k = 0;
	bool		first = true;

	while (k < n)
	{
		char	   *rule;

		if (seq[k].literal)
		{
			LlmStrBuf	lit = {0};
			PatItem		merged;

			while (k < n && seq[k].literal)
				LlmStrBufAppend(&lit, seq[k].text, strlen(seq[k].text)), k++;
			LlmStrBufAppend(&lit, "", 0);
			merged.text = SchemaTake(pp->c, &lit);
			merged.literal = true;
			rule = merged.text ? ToRule(pp, &merged) : NULL;
		}
		else
			rule = seq[k++].text;
		if (rule == NULL)
		{
			free(b.data);
			return NULL;
		}
		if (!first)
			LlmStrBufAppend(&b, " ", 1);
		LlmStrBufAppend(&b, rule, strlen(rule));
		first = false;
	}
	LlmStrBufAppend(&b, "", 0);
	if (b.oom)
	{
		free(b.data);
		return SchemaOutOfMemory(pp->c);
	}
	return SchemaTake(pp->c, &b);
}

/* The rule of a counted repetition's non-literal item (sub_rule_ids). */
static char *
SubRule(PatParser *pp, const char *text)
{
	char	   *name;
	char	  **keys;
	char	  **vals;

	for (int k = 0; k < pp->n_sub; k++)
		if (strcmp(pp->sub_text[k], text) == 0)
			return pp->sub_name[k];
	keys = realloc(pp->sub_text, sizeof(char *) * (pp->n_sub + 1));
	if (keys == NULL)
		return SchemaOutOfMemory(pp->c);
	pp->sub_text = keys;
	vals = realloc(pp->sub_name, sizeof(char *) * (pp->n_sub + 1));
	if (vals == NULL)
		return SchemaOutOfMemory(pp->c);
	pp->sub_name = vals;
	/* numbered from 1, as llama.cpp counts the new entry first */
	name = SchemaPrintf(pp->c, "%s-%d", pp->name, pp->n_sub + 1);
	if (name == NULL || (name = SchemaAddRule(pp->c, name, text)) == NULL)
		return NULL;
	pp->sub_text[pp->n_sub] = (char *) text;
	pp->sub_name[pp->n_sub] = name;
	pp->n_sub++;
	return name;
}

/* A sequence of items up to the end or the ')' of a group (transform). */
static char *
Transform(PatParser *pp, bool nested)
{
	PatItem    *seq = NULL;
	int			n = 0;
	int			cap = 0;
	char	   *out = NULL;

	while (pp->i < pp->len)
	{
		char		ch = pp->p[pp->i];

		if (ch == '.')
		{
			pp->i++;
			if (!PushItem(pp, &seq, &n, &cap, DotRule(pp), false))
				goto done;
		}
		else if (ch == '(')
		{
			char	   *inner;

			pp->i++;
			if (pp->i < pp->len && pp->p[pp->i] == '?')
			{
				if (pp->i + 1 < pp->len && pp->p[pp->i + 1] == ':')
					pp->i += 2;
				else
				{
					PatFail(pp, "lookaround and named groups are not supported");
					goto done;
				}
			}
			inner = Transform(pp, true);
			if (inner == NULL)
				goto done;
			if (pp->i >= pp->len || pp->p[pp->i] != ')')
			{
				PatFail(pp, "unbalanced parentheses");
				goto done;
			}
			pp->i++;
			if (!PushItem(pp, &seq, &n, &cap, SchemaPrintf(pp->c, "(%s)", inner), false))
				goto done;
		}
		else if (ch == ')')
		{
			if (!nested)
			{
				PatFail(pp, "unbalanced parentheses");
				goto done;
			}
			break;
		}
		else if (ch == '[')
		{
			if (!PushItem(pp, &seq, &n, &cap, ParseClass(pp), false))
				goto done;
		}
		else if (ch == '|')
		{
			pp->i++;
			if (!PushItem(pp, &seq, &n, &cap, SchemaStrdup(pp->c, "|", 1), false))
				goto done;
		}
		else if (ch == '*' || ch == '+' || ch == '?' || ch == '{')
		{
			PatItem    *last = n > 0 ? &seq[n - 1] : NULL;
			char	   *rule;

			if (last == NULL || (!last->literal && strcmp(last->text, "|") == 0))
			{
				PatFail(pp, "a quantifier has nothing to repeat");
				goto done;
			}
			if (ch != '{')
			{
				pp->i++;
				rule = ToRule(pp, last);
				rule = rule ? SchemaPrintf(pp->c, "%s%c", rule, ch) : NULL;
			}
			else
			{
				int			min;
				int			max;

				if (!ParseBraces(pp, &min, &max))
					goto done;
				rule = last->literal ? LiteralRule(pp, last->text) : SubRule(pp, last->text);
				rule = rule ? SchemaBuildRepetition(pp->c, rule, min, max, "") : NULL;
			}
			if (rule == NULL)
				goto done;
			last->text = rule;
			last->literal = false;
		}
		else if (ch == '^' || ch == '$')
		{
			PatFail(pp, "anchors inside the pattern are not supported (only ^ at its start and $ at its end)");
			goto done;
		}
		else if (ch == ']' || ch == '}')
		{
			PatFail(pp, ch == ']' ? "unmatched ']'" : "unmatched '}'");
			goto done;
		}
		else if (!LiteralRun(pp, &seq, &n, &cap))
			goto done;
	}
	out = JoinSeq(pp, seq, n);

done:
	free(seq);
	return out;
}

char *
SchemaPattern(SchemaConv *c, const char *pattern, const char *name, const char *path)
{
	PatParser	pp = {0};
	size_t		len = strlen(pattern);
	char	   *body;
	char	   *rule = NULL;
	bool		escaped_end = false;

	pp.c = c;
	pp.name = name;
	pp.path = path;
	pp.pattern = (char *) pattern;
	/* a $ after an odd number of backslashes is an escaped one */
	for (size_t k = len - 1; k > 0 && len >= 2 && pattern[k - 1] == '\\'; k--)
		escaped_end = !escaped_end;
	if (len < 2 || pattern[0] != '^' || pattern[len - 1] != '$' || escaped_end)
		return PatFail(&pp, "it must start with ^ and end with $ (as llama.cpp requires)");
	pp.p = pattern + 1;
	pp.len = len - 2;
	body = Transform(&pp, false);
	if (body != NULL)
	{
		char	   *text = SchemaPrintf(c, "\"\\\"\" (%s) \"\\\"\" space", body);

		rule = text ? SchemaAddRule(c, name, text) : NULL;
	}
	free(pp.sub_text);
	free(pp.sub_name);
	return rule;
}
