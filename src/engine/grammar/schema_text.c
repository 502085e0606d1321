/*-------------------------------------------------------------------------
 *
 * schema_text.c
 *	  JSON values and GBNF literals written out for the JSON Schema
 *	  converter.
 *
 * A const or enum value becomes a GBNF literal of its JSON text, and the
 * text is what llama.cpp gets from nlohmann::json's dump(): compact, keys
 * in document order, strings with only what JSON requires escaped (quote,
 * backslash, \b \f \n \r \t, other controls as \u00xx) and the rest as raw
 * UTF-8, integers as integers, other numbers in the shortest form that
 * reads back, with ".0" on an integral value and an exponent of at least
 * two digits (1e-05, 1e+20).
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/schema_internal.h"

static void
DumpString(const char *s, size_t n, LlmStrBuf *b)
{
	LlmStrBufAppend(b, "\"", 1);
	for (size_t i = 0; i < n; i++)
	{
		unsigned char ch = (unsigned char) s[i];
		char		esc[8];

		switch (ch)
		{
			case '"':
				LlmStrBufAppend(b, "\\\"", 2);
				break;
			case '\\':
				LlmStrBufAppend(b, "\\\\", 2);
				break;
			case '\b':
				LlmStrBufAppend(b, "\\b", 2);
				break;
			case '\f':
				LlmStrBufAppend(b, "\\f", 2);
				break;
			case '\n':
				LlmStrBufAppend(b, "\\n", 2);
				break;
			case '\r':
				LlmStrBufAppend(b, "\\r", 2);
				break;
			case '\t':
				LlmStrBufAppend(b, "\\t", 2);
				break;
			default:
				if (ch < 0x20)
				{
					snprintf(esc, sizeof(esc), "\\u%04x", ch);
					LlmStrBufAppend(b, esc, 6);
				}
				else
					LlmStrBufAppend(b, s + i, 1);
		}
	}
	LlmStrBufAppend(b, "\"", 1);
}

/* Whether a number's text is an integer nlohmann keeps as one (64 bits). */
static bool
IntegerText(const char *t)
{
	char	   *end;

	if (strpbrk(t, ".eE") != NULL)
		return false;
	errno = 0;
	if (t[0] == '-')
		(void) strtoll(t, &end, 10);
	else
		(void) strtoull(t, &end, 10);
	return errno == 0 && *end == '\0';
}

/*
 * A double as nlohmann's to_chars writes it: the shortest digits that read
 * back, then fixed notation for decimal exponents from -4 to 15 and
 * scientific notation beyond.
 */
static void
DumpDouble(double v, LlmStrBuf *b)
{
	char		buf[64];
	char		digits[32];
	int			n_digits = 0;
	int			exp10 = 0;
	int			point;
	const char *e;

	if (v == 0)
	{
		LlmStrBufAppend(b, signbit(v) ? "-0.0" : "0.0", signbit(v) ? 4 : 3);
		return;
	}
	if (v < 0)
	{
		LlmStrBufAppend(b, "-", 1);
		v = -v;
	}
	/* the fewest significant digits that read back exactly */
	for (int prec = 0; prec < 17; prec++)
	{
		snprintf(buf, sizeof(buf), "%.*e", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	for (const char *p = buf; *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			digits[n_digits++] = *p;
	e = strchr(buf, 'e');
	exp10 = atoi(e + 1);
	while (n_digits > 1 && digits[n_digits - 1] == '0')
		n_digits--;
	/* the value is 0.digits x 10^point */
	point = exp10 + 1;
	if (n_digits <= point && point <= 15)
	{
		LlmStrBufAppend(b, digits, n_digits);
		for (int i = n_digits; i < point; i++)
			LlmStrBufAppend(b, "0", 1);
		LlmStrBufAppend(b, ".0", 2);
	}
	else if (0 < point && point <= 15)
	{
		LlmStrBufAppend(b, digits, point);
		LlmStrBufAppend(b, ".", 1);
		LlmStrBufAppend(b, digits + point, n_digits - point);
	}
	else if (-4 < point && point <= 0)
	{
		LlmStrBufAppend(b, "0.", 2);
		for (int i = point; i < 0; i++)
			LlmStrBufAppend(b, "0", 1);
		LlmStrBufAppend(b, digits, n_digits);
	}
	else
	{
		int			x = point - 1;

		LlmStrBufAppend(b, digits, 1);
		if (n_digits > 1)
		{
			LlmStrBufAppend(b, ".", 1);
			LlmStrBufAppend(b, digits + 1, n_digits - 1);
		}
		snprintf(buf, sizeof(buf), "e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
		LlmStrBufAppend(b, buf, strlen(buf));
	}
}

bool
SchemaDumpJson(const LlmJsonValue *v, LlmStrBuf *b)
{
	switch (v->type)
	{
		case LLM_JSON_NULL:
			LlmStrBufAppend(b, "null", 4);
			break;
		case LLM_JSON_BOOL:
			if (v->boolean)
				LlmStrBufAppend(b, "true", 4);
			else
				LlmStrBufAppend(b, "false", 5);
			break;
		case LLM_JSON_NUMBER:
			if (IntegerText(v->string))
			{
				/* -0 is the integer 0 */
				if (v->number == 0)
					LlmStrBufAppend(b, "0", 1);
				else
					LlmStrBufAppend(b, v->string, v->len);
			}
			else
				DumpDouble(v->number, b);
			break;
		case LLM_JSON_STRING:
			DumpString(v->string, v->len, b);
			break;
		case LLM_JSON_ARRAY:
			LlmStrBufAppend(b, "[", 1);
			for (size_t i = 0; i < v->count; i++)
			{
				if (i > 0)
					LlmStrBufAppend(b, ",", 1);
				SchemaDumpJson(&v->items[i], b);
			}
			LlmStrBufAppend(b, "]", 1);
			break;
		case LLM_JSON_OBJECT:
			LlmStrBufAppend(b, "{", 1);
			for (size_t i = 0; i < v->count; i++)
			{
				if (i > 0)
					LlmStrBufAppend(b, ",", 1);
				DumpString(v->keys[i], strlen(v->keys[i]), b);
				LlmStrBufAppend(b, ":", 1);
				SchemaDumpJson(&v->items[i], b);
			}
			LlmStrBufAppend(b, "}", 1);
			break;
	}
	return !b->oom;
}

void
SchemaFormatLiteral(const char *s, size_t n, LlmStrBuf *b)
{
	LlmStrBufAppend(b, "\"", 1);
	for (size_t i = 0; i < n; i++)
	{
		switch (s[i])
		{
			case '\r':
				LlmStrBufAppend(b, "\\r", 2);
				break;
			case '\n':
				LlmStrBufAppend(b, "\\n", 2);
				break;
			case '"':
				LlmStrBufAppend(b, "\\\"", 2);
				break;
			case '\\':
				LlmStrBufAppend(b, "\\\\", 2);
				break;
			default:
				LlmStrBufAppend(b, s + i, 1);
		}
	}
	LlmStrBufAppend(b, "\"", 1);
}
