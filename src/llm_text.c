/*-------------------------------------------------------------------------
 *
 * llm_text.c
 *	  Text between the database encoding and the engine's UTF-8.
 *
 * Models read and write UTF-8 bytes.  A model can emit bytes that are not
 * valid UTF-8 (a byte-fallback token on its own); those become U+FFFD, and
 * characters the database encoding lacks become "?", so that a function
 * never fails, or returns invalid text, because of what the model wrote.
 *
 *-------------------------------------------------------------------------
 */
#include "llm.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

char *
LlmTextToUtf8(text *t, size_t *len)
{
	char	   *s = text_to_cstring(t);
	char	   *u = (char *) pg_server_to_any(s, strlen(s), PG_UTF8);

	*len = strlen(u);
	return u;
}

/*
 * UTF-8 to the database encoding; a character the encoding cannot hold
 * (an emoji in a LATIN1 database) becomes "?" rather than an error.
 */
static char *
ToServerLenient(const char *utf8, int len)
{
	MemoryContext cxt = CurrentMemoryContext;
	StringInfoData out;
	int			enc = GetDatabaseEncoding();

	if (enc == PG_UTF8 || enc == PG_SQL_ASCII)
		return (char *) utf8;
	PG_TRY();
	{
		utf8 = (char *) pg_any_to_server(utf8, len, PG_UTF8);
		len = -1;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
	}
	PG_END_TRY();
	if (len < 0)
		return (char *) utf8;

	/* slow path, only when some character does not convert */
	initStringInfo(&out);
	for (int i = 0; i < len;)
	{
		int			n = pg_utf_mblen((const unsigned char *) utf8 + i);
		char	   *one = pnstrdup(utf8 + i, n);

		PG_TRY();
		{
			appendStringInfoString(&out, (char *) pg_any_to_server(one, n, PG_UTF8));
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(cxt);
			FlushErrorState();
			appendStringInfoChar(&out, '?');
		}
		PG_END_TRY();
		i += n;
	}
	return out.data;
}

text *
LlmUtf8ToText(const char *s, size_t len)
{
	StringInfoData buf;
	char	   *server;

	initStringInfo(&buf);
	for (size_t i = 0; i < len;)
	{
		int			n = pg_utf_mblen((const unsigned char *) s + i);

		if ((unsigned char) s[i] != 0 && n <= (int) (len - i) &&
			pg_utf8_islegal((const unsigned char *) s + i, n))
		{
			appendBinaryStringInfo(&buf, s + i, n);
			i += n;
		}
		else
		{
			/* an invalid or NUL byte: replace it and resynchronise */
			appendStringInfoString(&buf, "\xEF\xBF\xBD");
			i++;
		}
	}
	server = ToServerLenient(buf.data, buf.len);
	return cstring_to_text(server);
}
