/*-------------------------------------------------------------------------
 *
 * cli_file.h
 *	  How llm-cli opens the files it reads, and names them in messages.
 *
 * fopen of a FIFO waits for a writer, forever if none comes; a directory
 * or a device is no input either.  An input is therefore opened
 * non-blocking and checked with fstat on the descriptor (the file it
 * really is, not one swapped in after a check by name) before stdio gets
 * it, so that anything but a regular file is refused at once.
 *
 * A path may be as long as PATH_MAX, and messages end up in fixed buffers
 * (the engine's LlmError, the JSON reader's): a path is shown shortened
 * to CLI_PATH_SHOWN bytes, its middle elided, so the reason after it is
 * never cut off.
 *
 * The functions are inline in this header, not in cli_args.c, because
 * cli_input.c needs them too and the unit tests link cli_input.c without
 * the rest of llm-cli.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_TOOLS_CLI_FILE_H
#define LLM_TOOLS_CLI_FILE_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Longest path shown in a message; the head and tail it keeps. */
#define CLI_PATH_SHOWN 160
#define CLI_PATH_HEAD 40

/* A buffer for a shortened path. */
typedef struct CliPathText
{
	char		text[CLI_PATH_SHOWN + 1];
} CliPathText;

/*
 * path, or its first CLI_PATH_HEAD bytes, "..." and its end (which names
 * the file) if it is longer than CLI_PATH_SHOWN; stored in *buf.
 */
static inline const char *
CliShortPath(const char *path, CliPathText *buf)
{
	size_t		len = strlen(path);
	size_t		tail = CLI_PATH_SHOWN - CLI_PATH_HEAD - 3;

	if (len <= CLI_PATH_SHOWN)
		return path;
	snprintf(buf->text, sizeof(buf->text), "%.*s...%s", CLI_PATH_HEAD, path,
			 path + len - tail);
	return buf->text;
}

/*
 * A regular file opened for reading, as a descriptor; or -1 with
 * "PATH: why" in errbuf (PATH shortened).
 */
static inline int
CliOpenRegular(const char *path, char *errbuf, size_t errlen)
{
	CliPathText shown;
	struct stat st;
	const char *why = NULL;
	int			fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0 || fstat(fd, &st) != 0)
		why = strerror(errno);
	else if (S_ISFIFO(st.st_mode))
		why = "not a regular file but a FIFO";
	else if (S_ISDIR(st.st_mode))
		why = "not a regular file but a directory";
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	/* reads of a regular file never block: the flag is only for the open */
	else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0)
		why = strerror(errno);
	if (why == NULL)
		return fd;
	snprintf(errbuf, errlen, "%s: %s", CliShortPath(path, &shown), why);
	if (fd >= 0)
		close(fd);
	return -1;
}

/* The same as a stdio stream ("rb"), or NULL with the message in errbuf. */
static inline FILE *
CliOpenInput(const char *path, char *errbuf, size_t errlen)
{
	CliPathText shown;
	int			fd = CliOpenRegular(path, errbuf, errlen);
	FILE	   *f;

	if (fd < 0)
		return NULL;
	if ((f = fdopen(fd, "rb")) == NULL)
	{
		snprintf(errbuf, errlen, "%s: %s", CliShortPath(path, &shown), strerror(errno));
		close(fd);
	}
	return f;
}

#endif							/* LLM_TOOLS_CLI_FILE_H */
