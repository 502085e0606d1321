/*-------------------------------------------------------------------------
 *
 * json.c
 *	  A small, strict JSON (RFC 8259) reader.
 *
 * A recursive-descent parser over a length-delimited buffer.  The tree is
 * built in place: a container's child slot is zeroed and counted before the
 * child is parsed, so on any error the partial tree is always in a state
 * that LlmJsonFree can release, and there is a single cleanup path.
 *
 * Recursion is bounded by LLM_JSON_MAX_DEPTH, both while parsing and while
 * freeing, so hostile input cannot overflow the stack.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* Room for the "what" part of a message; the longest is well below this. */
#define JSON_WHAT_SIZE 160

/* Numbers shorter than this are converted without a heap copy. */
#define JSON_NUMBER_BUF 64


typedef struct JsonParser
{
	const char *text;
	size_t		len;
	size_t		pos;			/* next byte to look at */
	char	   *errbuf;
	size_t		errlen;
} JsonParser;

/* Allocations left before failing (negative: never fail); tests only. */
static long json_fail_alloc_after = -1;

static bool JsonParseValue(JsonParser *p, LlmJsonValue *out, int depth);


void
LlmJsonTestFailAllocAfter(long n)
{
	json_fail_alloc_after = n;
}

/*
 * All allocations go through these two so that the tests can make any one
 * of them fail.
 */
static bool
JsonAllocAllowed(void)
{
	if (json_fail_alloc_after < 0)
		return true;
	if (json_fail_alloc_after == 0)
		return false;
	json_fail_alloc_after--;
	return true;
}

static void *
JsonAlloc(size_t size)
{
	if (!JsonAllocAllowed())
		return NULL;
	return malloc(size);
}

static void *
JsonRealloc(void *ptr, size_t size)
{
	if (!JsonAllocAllowed())
		return NULL;
	return realloc(ptr, size);
}

static void
JsonSetMessage(char *errbuf, size_t errlen, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

static void
JsonSetMessage(char *errbuf, size_t errlen, const char *fmt,...)
{
	va_list		ap;

	if (errbuf == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

static bool JsonFail(JsonParser *p, size_t at, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

/*
 * Record a syntax error at byte offset "at" and return false, so callers
 * can write "return JsonFail(...)".  The line and column are worked out
 * only here, keeping the hot path free of position bookkeeping.
 */
static bool
JsonFail(JsonParser *p, size_t at, const char *fmt,...)
{
	va_list		ap;
	char		what[JSON_WHAT_SIZE];
	size_t		line = 1;
	size_t		column = 1;
	size_t		i;

	if (p->errbuf == NULL || p->errlen == 0)
		return false;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);

	for (i = 0; i < at && i < p->len; i++)
	{
		unsigned char c = (unsigned char) p->text[i];

		if (c == '\n')
		{
			line++;
			column = 1;
		}
		else if ((c & 0xC0) != 0x80)	/* not a UTF-8 continuation byte */
			column++;
	}
	JsonSetMessage(p->errbuf, p->errlen, "line %zu column %zu: %s",
				   line, column, what);
	return false;
}

static bool
JsonOutOfMemory(JsonParser *p)
{
	JsonSetMessage(p->errbuf, p->errlen, "out of memory");
	return false;
}

/*
 * Describe an offending byte for a message: printable ASCII is quoted,
 * anything else (control characters, UTF-8 lead bytes) is shown in hex so
 * the message itself stays printable.
 */
static const char *
JsonDescribeByte(char c, char *buf, size_t buflen)
{
	unsigned char uc = (unsigned char) c;

	if (uc >= 0x20 && uc < 0x7F)
		snprintf(buf, buflen, "'%c'", c);
	else
		snprintf(buf, buflen, "byte 0x%02X", uc);
	return buf;
}

static bool
JsonIsDigit(char c)
{
	/* not isdigit(): that one depends on the locale */
	return c >= '0' && c <= '9';
}

static void
JsonSkipSpace(JsonParser *p)
{
	while (p->pos < p->len)
	{
		char		c = p->text[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static bool
JsonAtEnd(JsonParser *p)
{
	return p->pos >= p->len;
}

static char
JsonPeek(JsonParser *p)
{
	return p->text[p->pos];
}

/*
 * Grow a container's arrays (keys too, for objects) by doubling.  On
 * failure whatever did get reallocated is kept, so nothing leaks and the
 * already-parsed members remain valid for LlmJsonFree.
 */
static bool
JsonGrow(JsonParser *p, LlmJsonValue *v, size_t *cap, bool with_keys)
{
	size_t		newcap = *cap ? *cap * 2 : 4;
	LlmJsonValue *items;

	if (newcap < *cap || newcap > SIZE_MAX / sizeof(LlmJsonValue))
		return JsonOutOfMemory(p);

	items = JsonRealloc(v->items, newcap * sizeof(LlmJsonValue));
	if (items == NULL)
		return JsonOutOfMemory(p);
	v->items = items;

	if (with_keys)
	{
		char	  **keys = JsonRealloc(v->keys, newcap * sizeof(char *));

		if (keys == NULL)
			return JsonOutOfMemory(p);
		v->keys = keys;
	}
	*cap = newcap;
	return true;
}

/*
 * Length of the well-formed UTF-8 sequence at s (at most avail bytes), or
 * 0 if it is malformed.  Follows Unicode's table of well-formed byte
 * sequences, which excludes overlong forms, surrogates and values above
 * U+10FFFF.
 */
static size_t
JsonUtf8Length(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80;
	unsigned char hi = 0xBF;
	size_t		need;
	size_t		k;

	if (c >= 0xC2 && c <= 0xDF)
		need = 2;
	else if (c >= 0xE0 && c <= 0xEF)
	{
		need = 3;
		if (c == 0xE0)
			lo = 0xA0;			/* overlong */
		else if (c == 0xED)
			hi = 0x9F;			/* surrogates */
	}
	else if (c >= 0xF0 && c <= 0xF4)
	{
		need = 4;
		if (c == 0xF0)
			lo = 0x90;			/* overlong */
		else if (c == 0xF4)
			hi = 0x8F;			/* above U+10FFFF */
	}
	else
		return 0;

	if (avail < need || s[1] < lo || s[1] > hi)
		return 0;
	for (k = 2; k < need; k++)
	{
		if ((s[k] & 0xC0) != 0x80)
			return 0;
	}
	return need;
}

static size_t
JsonEncodeUtf8(unsigned long cp, char *out)
{
	if (cp < 0x80)
	{
		out[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		out[0] = (char) (0xC0 | (cp >> 6));
		out[1] = (char) (0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000)
	{
		out[0] = (char) (0xE0 | (cp >> 12));
		out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char) (0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char) (0xF0 | (cp >> 18));
	out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char) (0x80 | (cp & 0x3F));
	return 4;
}

/*
 * Read the four hex digits of a \u escape whose backslash is at "at";
 * "end" bounds the string body.
 */
static bool
JsonHex4(JsonParser *p, size_t at, size_t end, unsigned long *cp)
{
	size_t		k;

	if (end - at < 6)
		return false;
	*cp = 0;
	for (k = at + 2; k < at + 6; k++)
	{
		char		c = p->text[k];
		unsigned long d;

		if (c >= '0' && c <= '9')
			d = (unsigned long) (c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned long) (c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned long) (c - 'A' + 10);
		else
			return false;
		*cp = (*cp << 4) | d;
	}
	return true;
}

/*
 * Decode the \u escape (or surrogate pair of them) at "at" into buf;
 * advances *at and *n.
 */
static bool
JsonDecodeUnicodeEscape(JsonParser *p, size_t *at, size_t end, bool is_key,
						char *buf, size_t *n)
{
	unsigned long cp;
	unsigned long lo;

	if (!JsonHex4(p, *at, end, &cp))
		return JsonFail(p, *at, "invalid \\u escape: expected 4 hex digits");

	if (cp >= 0xDC00 && cp <= 0xDFFF)
		return JsonFail(p, *at, "unpaired surrogate \\u%04lX in string", cp);
	if (cp >= 0xD800 && cp <= 0xDBFF)
	{
		/* a high surrogate must be followed at once by a low one */
		if (end - *at < 12 ||
			p->text[*at + 6] != '\\' || p->text[*at + 7] != 'u' ||
			!JsonHex4(p, *at + 6, end, &lo) ||
			lo < 0xDC00 || lo > 0xDFFF)
			return JsonFail(p, *at, "unpaired surrogate \\u%04lX in string",
							cp);
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		*at += 6;
	}
	if (cp == 0 && is_key)
		return JsonFail(p, *at,
						"\\u0000 is not allowed in an object member name");

	*n += JsonEncodeUtf8(cp, buf + *n);
	*at += 6;
	return true;
}

/*
 * Parse the string whose opening quote is at p->pos into a fresh buffer.
 */
static bool
JsonParseString(JsonParser *p, char **out, size_t *outlen, bool is_key)
{
	const char *t = p->text;
	size_t		start = p->pos;
	size_t		end;
	size_t		i;
	size_t		n = 0;
	char	   *buf;
	char		desc[16];

	/*
	 * Find the closing quote first: decoding never makes a string longer
	 * (an escape is at least as long as its UTF-8 encoding), so the raw body
	 * length sizes the buffer once.  Skipping the byte after each backslash
	 * is enough to step over escaped quotes; escapes are validated below.
	 */
	end = start + 1;
	while (end < p->len && t[end] != '"')
	{
		if (t[end] == '\\')
			end++;
		end++;
	}
	if (end >= p->len)
		return JsonFail(p, start, "unterminated string");

	buf = JsonAlloc(end - start);	/* body plus NUL */
	if (buf == NULL)
		return JsonOutOfMemory(p);

	i = start + 1;
	while (i < end)
	{
		unsigned char c = (unsigned char) t[i];

		if (c == '\\')
		{
			/* the scan above guarantees a byte after the backslash */
			char		esc = t[i + 1];
			char		plain;

			switch (esc)
			{
				case '"':
				case '\\':
				case '/':
					plain = esc;
					break;
				case 'b':
					plain = '\b';
					break;
				case 'f':
					plain = '\f';
					break;
				case 'n':
					plain = '\n';
					break;
				case 'r':
					plain = '\r';
					break;
				case 't':
					plain = '\t';
					break;
				case 'u':
					if (!JsonDecodeUnicodeEscape(p, &i, end, is_key, buf, &n))
						goto fail;
					continue;
				default:
					if ((unsigned char) esc >= 0x20 && (unsigned char) esc < 0x7F)
						JsonFail(p, i, "invalid escape '\\%c' in string", esc);
					else
						JsonFail(p, i, "invalid escape: backslash followed by %s",
								 JsonDescribeByte(esc, desc, sizeof(desc)));
					goto fail;
			}
			buf[n++] = plain;
			i += 2;
		}
		else if (c < 0x20)
		{
			JsonFail(p, i, "unescaped control character 0x%02X in string", c);
			goto fail;
		}
		else if (c < 0x80)
			buf[n++] = t[i++];
		else
		{
			size_t		seqlen = JsonUtf8Length((const unsigned char *) t + i,
												end - i);

			if (seqlen == 0)
			{
				JsonFail(p, i, "invalid UTF-8 in string");
				goto fail;
			}
			memcpy(buf + n, t + i, seqlen);
			n += seqlen;
			i += seqlen;
		}
	}

	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	p->pos = end + 1;
	return true;

fail:
	free(buf);
	return false;
}

/*
 * Validate the RFC 8259 number grammar ourselves, then let strtod convert
 * exactly that span: strtod alone would accept hex, "inf", leading '+' and
 * so on.
 */
static bool
JsonParseNumber(JsonParser *p, LlmJsonValue *out)
{
	const char *t = p->text;
	size_t		start = p->pos;
	size_t		i = p->pos;
	size_t		n;
	char		small[JSON_NUMBER_BUF];
	char	   *buf = small;
	char	   *endp;
	const char *dp;
	double		value;
	bool		consumed;

	if (t[i] == '-')
		i++;
	if (i >= p->len || !JsonIsDigit(t[i]))
		return JsonFail(p, i, "invalid number: expected a digit after '-'");
	if (t[i] == '0')
	{
		i++;
		if (i < p->len && JsonIsDigit(t[i]))
			return JsonFail(p, start, "leading zero in number");
	}
	else
	{
		while (i < p->len && JsonIsDigit(t[i]))
			i++;
	}
	if (i < p->len && t[i] == '.')
	{
		i++;
		if (i >= p->len || !JsonIsDigit(t[i]))
			return JsonFail(p, i,
							"invalid number: expected a digit after the decimal point");
		while (i < p->len && JsonIsDigit(t[i]))
			i++;
	}
	if (i < p->len && (t[i] == 'e' || t[i] == 'E'))
	{
		i++;
		if (i < p->len && (t[i] == '+' || t[i] == '-'))
			i++;
		if (i >= p->len || !JsonIsDigit(t[i]))
			return JsonFail(p, i,
							"invalid number: expected a digit in the exponent");
		while (i < p->len && JsonIsDigit(t[i]))
			i++;
	}

	/* strtod needs a NUL-terminated copy; the input need not have one */
	n = i - start;
	if (n >= sizeof(small))
	{
		buf = JsonAlloc(n + 1);
		if (buf == NULL)
			return JsonOutOfMemory(p);
	}
	memcpy(buf, t + start, n);
	buf[n] = '\0';

	/*
	 * The span is plain JSON, so the only thing LC_NUMERIC can disagree on is
	 * the decimal point.
	 */
	dp = localeconv()->decimal_point;
	if (dp != NULL && dp[0] != '\0' && dp[0] != '.' && dp[1] == '\0')
	{
		char	   *dot = strchr(buf, '.');

		if (dot != NULL)
			*dot = dp[0];
	}

	value = strtod(buf, &endp);
	consumed = (endp == buf + n);
	if (buf != small)
		free(buf);

	if (!consumed)
		return JsonFail(p, start, "invalid number");
	if (isinf(value))
		return JsonFail(p, start, "number out of range");

	/* the text as written, for those who must tell 1 from 1.0 or see all digits */
	out->string = JsonAlloc(n + 1);
	if (out->string == NULL)
		return JsonOutOfMemory(p);
	memcpy(out->string, t + start, n);
	out->string[n] = '\0';
	out->len = n;
	out->type = LLM_JSON_NUMBER;
	out->number = value;
	p->pos = i;
	return true;
}

static bool
JsonParseLiteral(JsonParser *p, LlmJsonValue *out, const char *word,
				 LlmJsonType type, bool boolean)
{
	size_t		n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->text + p->pos, word, n) != 0)
		return JsonFail(p, p->pos, "invalid literal, expected '%s'", word);
	out->type = type;
	out->boolean = boolean;
	p->pos += n;
	return true;
}

static bool
JsonParseArray(JsonParser *p, LlmJsonValue *out, int depth)
{
	size_t		cap = 0;
	char		desc[16];

	if (depth > LLM_JSON_MAX_DEPTH)
		return JsonFail(p, p->pos, "nesting depth exceeds %d", LLM_JSON_MAX_DEPTH);

	out->type = LLM_JSON_ARRAY;
	p->pos++;					/* '[' */
	JsonSkipSpace(p);
	if (!JsonAtEnd(p) && JsonPeek(p) == ']')
	{
		p->pos++;
		return true;
	}

	for (;;)
	{
		LlmJsonValue *item;

		if (out->count == cap && !JsonGrow(p, out, &cap, false))
			return false;
		item = &out->items[out->count];
		memset(item, 0, sizeof(*item));
		out->count++;
		if (!JsonParseValue(p, item, depth))
			return false;

		JsonSkipSpace(p);
		if (JsonAtEnd(p))
			return JsonFail(p, p->pos, "unexpected end of input in array");
		if (JsonPeek(p) == ']')
		{
			p->pos++;
			return true;
		}
		if (JsonPeek(p) != ',')
			return JsonFail(p, p->pos, "expected ',' or ']' in array, found %s",
							JsonDescribeByte(JsonPeek(p), desc, sizeof(desc)));
		p->pos++;
		JsonSkipSpace(p);
		if (!JsonAtEnd(p) && JsonPeek(p) == ']')
			return JsonFail(p, p->pos, "trailing comma in array");
	}
}

static bool
JsonParseObject(JsonParser *p, LlmJsonValue *out, int depth)
{
	size_t		cap = 0;
	char		desc[16];

	if (depth > LLM_JSON_MAX_DEPTH)
		return JsonFail(p, p->pos, "nesting depth exceeds %d", LLM_JSON_MAX_DEPTH);

	out->type = LLM_JSON_OBJECT;
	p->pos++;					/* '{' */
	JsonSkipSpace(p);
	if (!JsonAtEnd(p) && JsonPeek(p) == '}')
	{
		p->pos++;
		return true;
	}

	for (;;)
	{
		LlmJsonValue *item;
		char	   *key;
		size_t		keylen;

		if (JsonAtEnd(p))
			return JsonFail(p, p->pos, "unexpected end of input in object");
		if (JsonPeek(p) != '"')
			return JsonFail(p, p->pos,
							"expected a string as object member name, found %s",
							JsonDescribeByte(JsonPeek(p), desc, sizeof(desc)));
		if (out->count == cap && !JsonGrow(p, out, &cap, true))
			return false;
		if (!JsonParseString(p, &key, &keylen, true))
			return false;
		out->keys[out->count] = key;
		item = &out->items[out->count];
		memset(item, 0, sizeof(*item));
		out->count++;

		JsonSkipSpace(p);
		if (JsonAtEnd(p))
			return JsonFail(p, p->pos, "unexpected end of input in object");
		if (JsonPeek(p) != ':')
			return JsonFail(p, p->pos,
							"expected ':' after object member name, found %s",
							JsonDescribeByte(JsonPeek(p), desc, sizeof(desc)));
		p->pos++;
		if (!JsonParseValue(p, item, depth))
			return false;

		JsonSkipSpace(p);
		if (JsonAtEnd(p))
			return JsonFail(p, p->pos, "unexpected end of input in object");
		if (JsonPeek(p) == '}')
		{
			p->pos++;
			return true;
		}
		if (JsonPeek(p) != ',')
			return JsonFail(p, p->pos, "expected ',' or '}' in object, found %s",
							JsonDescribeByte(JsonPeek(p), desc, sizeof(desc)));
		p->pos++;
		JsonSkipSpace(p);
		if (!JsonAtEnd(p) && JsonPeek(p) == '}')
			return JsonFail(p, p->pos, "trailing comma in object");
	}
}

/*
 * Parse one value into *out (zeroed by the caller).  depth is the number of
 * containers already open around it.
 */
static bool
JsonParseValue(JsonParser *p, LlmJsonValue *out, int depth)
{
	char		desc[16];
	char		c;

	JsonSkipSpace(p);
	if (JsonAtEnd(p))
		return JsonFail(p, p->pos, "unexpected end of input, expected a value");

	c = JsonPeek(p);
	switch (c)
	{
		case '{':
			return JsonParseObject(p, out, depth + 1);
		case '[':
			return JsonParseArray(p, out, depth + 1);
		case '"':
			out->type = LLM_JSON_STRING;
			return JsonParseString(p, &out->string, &out->len, false);
		case 't':
			return JsonParseLiteral(p, out, "true", LLM_JSON_BOOL, true);
		case 'f':
			return JsonParseLiteral(p, out, "false", LLM_JSON_BOOL, false);
		case 'n':
			return JsonParseLiteral(p, out, "null", LLM_JSON_NULL, false);
		default:
			if (c == '-' || JsonIsDigit(c))
				return JsonParseNumber(p, out);
			return JsonFail(p, p->pos, "expected a value, found %s",
							JsonDescribeByte(c, desc, sizeof(desc)));
	}
}

LlmJsonValue *
LlmJsonParse(const char *text, size_t len, char *errbuf, size_t errlen)
{
	JsonParser	p;
	LlmJsonValue *root;
	char		desc[16];

	JsonSetMessage(errbuf, errlen, "%s", "");
	if (text == NULL)
	{
		text = "";
		len = 0;
	}

	/*
	 * RFC 8259 lets parsers ignore a byte order mark.  Dropping it from the
	 * text (rather than stepping over it) keeps columns as editors show them.
	 */
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
	{
		text += 3;
		len -= 3;
	}

	p.text = text;
	p.len = len;
	p.pos = 0;
	p.errbuf = errbuf;
	p.errlen = errlen;

	root = JsonAlloc(sizeof(LlmJsonValue));
	if (root == NULL)
	{
		JsonOutOfMemory(&p);
		return NULL;
	}
	memset(root, 0, sizeof(*root));

	if (!JsonParseValue(&p, root, 0))
	{
		LlmJsonFree(root);
		return NULL;
	}
	JsonSkipSpace(&p);
	if (!JsonAtEnd(&p))
	{
		JsonFail(&p, p.pos, "unexpected %s after the JSON value",
				 JsonDescribeByte(JsonPeek(&p), desc, sizeof(desc)));
		LlmJsonFree(root);
		return NULL;
	}
	return root;
}

/*
 * Release what v owns, but not v itself: values live inside their parent's
 * items array.  Depth is bounded by the parser's nesting limit.
 */
static void
JsonFreeContents(LlmJsonValue *v)
{
	size_t		i;

	free(v->string);
	for (i = 0; i < v->count; i++)
	{
		JsonFreeContents(&v->items[i]);
		if (v->keys != NULL)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
}

void
LlmJsonFree(LlmJsonValue *v)
{
	if (v == NULL)
		return;
	JsonFreeContents(v);
	free(v);
}

const LlmJsonValue *
LlmJsonGet(const LlmJsonValue *obj, const char *key)
{
	size_t		i;

	if (obj == NULL || key == NULL || obj->type != LLM_JSON_OBJECT)
		return NULL;
	for (i = 0; i < obj->count; i++)
	{
		if (strcmp(obj->keys[i], key) == 0)
			return &obj->items[i];
	}
	return NULL;
}

const LlmJsonValue *
LlmJsonAt(const LlmJsonValue *arr, size_t i)
{
	if (arr == NULL || arr->type != LLM_JSON_ARRAY || i >= arr->count)
		return NULL;
	return &arr->items[i];
}

double
LlmJsonGetNumber(const LlmJsonValue *obj, const char *key, double dflt)
{
	const LlmJsonValue *v = LlmJsonGet(obj, key);

	return (v != NULL && v->type == LLM_JSON_NUMBER) ? v->number : dflt;
}

const char *
LlmJsonGetString(const LlmJsonValue *obj, const char *key, const char *dflt)
{
	const LlmJsonValue *v = LlmJsonGet(obj, key);

	return (v != NULL && v->type == LLM_JSON_STRING) ? v->string : dflt;
}
