/*-------------------------------------------------------------------------
 *
 * strbuf.c
 *	  A growable byte string (see strbuf.h).
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

bool
LlmStrBufAppend(LlmStrBuf *b, const char *s, size_t n)
{
	if (b->oom)
		return false;
	if (b->len + n + 1 > b->cap)
	{
		size_t		cap = b->cap ? b->cap : 64;
		char	   *data;

		while (cap < b->len + n + 1)
			cap *= 2;
		data = realloc(b->data, cap);
		if (data == NULL)
		{
			b->oom = true;
			return false;
		}
		b->data = data;
		b->cap = cap;
	}
	/* an empty piece may be an empty buffer's NULL data: memcpy forbids it */
	if (n > 0)
		memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return true;
}
