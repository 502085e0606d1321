/*-------------------------------------------------------------------------
 *
 * schema_range.c
 *	  Integers between bounds as GBNF, for "minimum", "maximum" and their
 *	  exclusive forms on integers.
 *
 * The alternatives are llama.cpp's build_min_max_int, term for term, so
 * that the grammar text (and what a model is allowed at each digit) is the
 * same: a range of equal-length numbers is split at its first differing
 * digit into a lower part, full middle digits and an upper part; a range
 * across lengths is one such range per length; an open bound allows up to
 * 16 digits in all (15 after the first), as llama.cpp's number rules do.
 *
 *-------------------------------------------------------------------------
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/schema_internal.h"

static void
Out(LlmStrBuf *b, const char *s)
{
	LlmStrBufAppend(b, s, strlen(s));
}

static void
OutChar(LlmStrBuf *b, char c)
{
	LlmStrBufAppend(b, &c, 1);
}

static void
DigitRange(LlmStrBuf *b, char from, char to)
{
	OutChar(b, '[');
	OutChar(b, from);
	if (from != to)
	{
		OutChar(b, '-');
		OutChar(b, to);
	}
	OutChar(b, ']');
}

static void
MoreDigits(LlmStrBuf *b, int min_digits, int max_digits)
{
	char		buf[32];

	Out(b, "[0-9]");
	if (min_digits == max_digits && min_digits == 1)
		return;
	snprintf(buf, sizeof(buf), "{%d", min_digits);
	Out(b, buf);
	if (max_digits != min_digits)
	{
		OutChar(b, ',');
		if (max_digits != INT_MAX)
		{
			snprintf(buf, sizeof(buf), "%d", max_digits);
			Out(b, buf);
		}
	}
	OutChar(b, '}');
}

/* n copies of c, NUL-terminated, in buf (n < 32). */
static char *
Repeat(char *buf, char c, size_t n)
{
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

/* The numbers from "from" to "to" (decimal texts of one length). */
static void
UniformRange(LlmStrBuf *b, const char *from, const char *to)
{
	size_t		i = 0;
	size_t		from_len = strlen(from);
	size_t		to_len = strlen(to);

	while (i < from_len && i < to_len && from[i] == to[i])
		i++;
	if (i > 0)
	{
		OutChar(b, '"');
		LlmStrBufAppend(b, from, i);
		OutChar(b, '"');
	}
	if (i < from_len && i < to_len)
	{
		size_t		sub_len = from_len - i - 1;

		if (i > 0)
			OutChar(b, ' ');
		if (sub_len > 0)
		{
			const char *from_sub = from + i + 1;
			const char *to_sub = to + i + 1;
			char		zeros[32];
			char		nines[32];
			bool		to_reached = false;

			Repeat(zeros, '0', sub_len);
			Repeat(nines, '9', sub_len);
			OutChar(b, '(');
			if (strcmp(from_sub, zeros) == 0)
			{
				DigitRange(b, from[i], (char) (to[i] - 1));
				OutChar(b, ' ');
				MoreDigits(b, (int) sub_len, (int) sub_len);
			}
			else
			{
				OutChar(b, '[');
				OutChar(b, from[i]);
				Out(b, "] (");
				UniformRange(b, from_sub, nines);
				OutChar(b, ')');
				if (from[i] < to[i] - 1)
				{
					Out(b, " | ");
					if (strcmp(to_sub, nines) == 0)
					{
						DigitRange(b, (char) (from[i] + 1), to[i]);
						to_reached = true;
					}
					else
						DigitRange(b, (char) (from[i] + 1), (char) (to[i] - 1));
					OutChar(b, ' ');
					MoreDigits(b, (int) sub_len, (int) sub_len);
				}
			}
			if (!to_reached)
			{
				Out(b, " | ");
				DigitRange(b, to[i], to[i]);
				OutChar(b, ' ');
				UniformRange(b, zeros, to_sub);
			}
			OutChar(b, ')');
		}
		else
		{
			OutChar(b, '[');
			OutChar(b, from[i]);
			OutChar(b, '-');
			OutChar(b, to[i]);
			OutChar(b, ']');
		}
	}
}

static void
MinMax(LlmStrBuf *b, int64_t min, int64_t max, int decimals_left, bool top_level)
{
	bool		has_min = min != INT64_MIN;
	bool		has_max = max != INT64_MAX;
	int			less_decimals = decimals_left - 1 > 1 ? decimals_left - 1 : 1;
	char		min_s[32];
	char		max_s[32];

	if (has_min && has_max)
	{
		size_t		min_digits;
		size_t		max_digits;

		if (min < 0 && max < 0)
		{
			Out(b, "\"-\" (");
			MinMax(b, -max, -min, decimals_left, true);
			OutChar(b, ')');
			return;
		}
		if (min < 0)
		{
			Out(b, "\"-\" (");
			MinMax(b, 0, -min, decimals_left, true);
			Out(b, ") | ");
			min = 0;
		}
		snprintf(min_s, sizeof(min_s), "%" PRId64, min);
		snprintf(max_s, sizeof(max_s), "%" PRId64, max);
		min_digits = strlen(min_s);
		max_digits = strlen(max_s);
		for (size_t digits = min_digits; digits < max_digits; digits++)
		{
			char		nines[32];

			UniformRange(b, min_s, Repeat(nines, '9', digits));
			min_s[0] = '1';
			Repeat(min_s + 1, '0', digits);
			Out(b, " | ");
		}
		UniformRange(b, min_s, max_s);
		return;
	}
	if (has_min)
	{
		if (min < 0)
		{
			Out(b, "\"-\" (");
			MinMax(b, INT64_MIN, -min, decimals_left, false);
			Out(b, ") | [0] | [1-9] ");
			MoreDigits(b, 0, decimals_left - 1);
		}
		else if (min == 0)
		{
			if (top_level)
			{
				Out(b, "[0] | [1-9] ");
				MoreDigits(b, 0, less_decimals);
			}
			else
				MoreDigits(b, 1, decimals_left);
		}
		else if (min <= 9)
		{
			char		c = (char) ('0' + min);
			char		range_start = top_level ? '1' : '0';

			if (c > range_start)
			{
				DigitRange(b, range_start, (char) (c - 1));
				OutChar(b, ' ');
				MoreDigits(b, 1, less_decimals);
				Out(b, " | ");
			}
			DigitRange(b, c, '9');
			OutChar(b, ' ');
			MoreDigits(b, 0, less_decimals);
		}
		else
		{
			size_t		len;
			char		c;

			snprintf(min_s, sizeof(min_s), "%" PRId64, min);
			len = strlen(min_s);
			c = min_s[0];
			if (c > '1')
			{
				DigitRange(b, top_level ? '1' : '0', (char) (c - 1));
				OutChar(b, ' ');
				MoreDigits(b, (int) len, less_decimals);
				Out(b, " | ");
			}
			DigitRange(b, c, c);
			Out(b, " (");
			MinMax(b, strtoll(min_s + 1, NULL, 10), INT64_MAX, less_decimals, false);
			OutChar(b, ')');
			if (c < '9')
			{
				Out(b, " | ");
				DigitRange(b, (char) (c + 1), '9');
				OutChar(b, ' ');
				MoreDigits(b, (int) len - 1, less_decimals);
			}
		}
		return;
	}
	if (has_max)
	{
		if (max >= 0)
		{
			if (top_level)
			{
				Out(b, "\"-\" [1-9] ");
				MoreDigits(b, 0, less_decimals);
				Out(b, " | ");
			}
			MinMax(b, 0, max, decimals_left, true);
		}
		else
		{
			Out(b, "\"-\" (");
			MinMax(b, -max, INT64_MAX, decimals_left, false);
			OutChar(b, ')');
		}
	}
}

void
SchemaIntRange(int64_t min, int64_t max, LlmStrBuf *b)
{
	MinMax(b, min, max, 16, true);
}
