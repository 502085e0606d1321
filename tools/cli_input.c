/*-------------------------------------------------------------------------
 *
 * cli_input.c
 *	  Reading llm-cli's input files whole.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_file.h"
#include "cli_input.h"

/* First read size; doubled as needed. */
#define CLI_READ_CHUNK 65536

/* Room for a message before the path is put in front of it. */
#define CLI_WHY_SIZE 256

char *
CliReadInput(const char *path, size_t *len, char *errbuf, size_t errlen)
{
	CliPathText shown;
	char		why[CLI_WHY_SIZE];
	FILE	   *f;
	char	   *buf = NULL;
	size_t		cap = 0;

	*len = 0;
	/* a FIFO would block fopen until a writer came: refused instead */
	f = CliOpenInput(path, errbuf, errlen);
	if (f == NULL)
		return NULL;
	for (;;)
	{
		size_t		want;
		size_t		got;

		/* one byte more than read so far, for the NUL */
		if (*len + 1 >= cap)
		{
			size_t		newcap = cap ? cap * 2 : CLI_READ_CHUNK;
			char	   *grown = newcap > cap ? realloc(buf, newcap) : NULL;

			if (grown == NULL)
			{
				snprintf(why, sizeof(why), "out of memory");
				goto fail;
			}
			buf = grown;
			cap = newcap;
		}
		want = cap - 1 - *len;
		errno = 0;
		got = fread(buf + *len, 1, want, f);
		*len += got;
		if (got < want)
		{
			if (ferror(f))
			{
				snprintf(why, sizeof(why), "%s", errno ? strerror(errno) : "read error");
				goto fail;
			}
			break;				/* end of file */
		}
	}
	fclose(f);
	buf[*len] = '\0';
	return buf;

fail:
	fclose(f);
	free(buf);
	*len = 0;
	snprintf(errbuf, errlen, "%s: %s", CliShortPath(path, &shown), why);
	return NULL;
}

LlmJsonValue *
CliParseJsonFile(const char *path, char *errbuf, size_t errlen)
{
	CliPathText shown;
	char		why[CLI_WHY_SIZE];
	size_t		len;
	char	   *text = CliReadInput(path, &len, errbuf, errlen);
	LlmJsonValue *v;

	if (text == NULL)
		return NULL;
	v = LlmJsonParse(text, len, why, sizeof(why));
	free(text);
	if (v == NULL)
		snprintf(errbuf, errlen, "%s: %s", CliShortPath(path, &shown), why);
	else if (errlen > 0)
		errbuf[0] = '\0';
	return v;
}
