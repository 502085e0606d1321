/*-------------------------------------------------------------------------
 *
 * unicode.c
 *	  UTF-8 decoding, category lookup and the case and NFD mappings (see
 *	  unicode.h).
 *
 *-------------------------------------------------------------------------
 */
#include "tokenizer/unicode.h"

static inline int
Utf8IsCont(uint8_t c)
{
	return (c & 0xC0) == 0x80;
}

uint32_t
LlmUtf8Decode(const char *str, size_t len, size_t *pos)
{
	const uint8_t *s = (const uint8_t *) str + *pos;
	size_t		avail = len - *pos;
	uint32_t	cpt;

	if (s[0] < 0x80)
	{
		*pos += 1;
		return s[0];
	}
	/* the lead byte's high bits decide the length, as in llama.cpp */
	if ((s[0] & 0x40) == 0)
		goto invalid;
	if ((s[0] & 0x20) == 0)
	{
		if (avail < 2 || !Utf8IsCont(s[1]))
			goto invalid;
		*pos += 2;
		return ((uint32_t) (s[0] & 0x1F) << 6) | (s[1] & 0x3F);
	}
	if ((s[0] & 0x10) == 0)
	{
		if (avail < 3 || !Utf8IsCont(s[1]) || !Utf8IsCont(s[2]))
			goto invalid;
		*pos += 3;
		return ((uint32_t) (s[0] & 0x0F) << 12) | ((uint32_t) (s[1] & 0x3F) << 6) |
			(s[2] & 0x3F);
	}
	if ((s[0] & 0x08) == 0)
	{
		if (avail < 4 || !Utf8IsCont(s[1]) || !Utf8IsCont(s[2]) || !Utf8IsCont(s[3]))
			goto invalid;
		cpt = ((uint32_t) (s[0] & 0x07) << 18) | ((uint32_t) (s[1] & 0x3F) << 12) |
			((uint32_t) (s[2] & 0x3F) << 6) | (s[3] & 0x3F);

		/*
		 * llama.cpp throws on these later (they have no UTF-8 encoding);
		 * treating the lead byte as invalid keeps tokenization total.
		 */
		if (cpt > 0x10FFFF)
			goto invalid;
		*pos += 4;
		return cpt;
	}
invalid:
	*pos += 1;
	return LLM_UNICODE_REPLACEMENT;
}

int
LlmUtf8Encode(uint32_t cpt, char *out)
{
	if (cpt < 0x80)
	{
		out[0] = (char) cpt;
		return 1;
	}
	if (cpt < 0x800)
	{
		out[0] = (char) (0xC0 | (cpt >> 6));
		out[1] = (char) (0x80 | (cpt & 0x3F));
		return 2;
	}
	if (cpt < 0x10000)
	{
		out[0] = (char) (0xE0 | (cpt >> 12));
		out[1] = (char) (0x80 | ((cpt >> 6) & 0x3F));
		out[2] = (char) (0x80 | (cpt & 0x3F));
		return 3;
	}
	out[0] = (char) (0xF0 | ((cpt >> 18) & 0x07));
	out[1] = (char) (0x80 | ((cpt >> 12) & 0x3F));
	out[2] = (char) (0x80 | ((cpt >> 6) & 0x3F));
	out[3] = (char) (0x80 | (cpt & 0x3F));
	return 4;
}

uint16_t
LlmUnicodeFlags(uint32_t cpt)
{
	int			lo = 0;
	int			hi = LlmUnicodeRangeCount - 1;

	if (cpt < 128)
		return LlmUnicodeAsciiFlags[cpt];
	if (cpt > 0x10FFFF)
		return LLM_UNICODE_UNDEFINED;
	/* the last range whose start is <= cpt */
	while (lo < hi)
	{
		int			mid = (lo + hi + 1) / 2;

		if (LlmUnicodeRangeStart[mid] <= cpt)
			lo = mid;
		else
			hi = mid - 1;
	}
	return LlmUnicodeRangeFlags[lo];
}

uint32_t
LlmUnicodeToLower(uint32_t cpt)
{
	int			lo = 0;
	int			hi = LlmUnicodeLowerCount - 1;

	if (cpt < 128)
		return (cpt >= 'A' && cpt <= 'Z') ? cpt + 32 : cpt;
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (LlmUnicodeLower[mid][0] == cpt)
			return LlmUnicodeLower[mid][1];
		if (LlmUnicodeLower[mid][0] < cpt)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return cpt;
}

uint32_t
LlmUnicodeNfdBase(uint32_t cpt)
{
	int			lo = 0;
	int			hi = LlmUnicodeNfdCount - 1;

	/* nothing below U+00C0 decomposes */
	if (cpt < 0xC0)
		return cpt;
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (cpt < LlmUnicodeNfd[mid][0])
			hi = mid - 1;
		else if (cpt > LlmUnicodeNfd[mid][1])
			lo = mid + 1;
		else
			return LlmUnicodeNfd[mid][2];
	}
	return cpt;
}
