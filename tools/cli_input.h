/*-------------------------------------------------------------------------
 *
 * cli_input.h
 *	  Whole input files for llm-cli: a grammar, a JSON Schema, a parity
 *	  reference.
 *
 * Files are opened as cli_file.h opens every input (a FIFO, a directory
 * or a device is refused at once) and read in growing chunks rather than
 * by a size from fstat, which can race with writers.  Messages are
 * "PATH: why", the path shortened as cli_file.h shortens it.
 *
 * These are not in cli_args.c because the unit tests link them without
 * the rest of llm-cli.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_TOOLS_CLI_INPUT_H
#define LLM_TOOLS_CLI_INPUT_H

#include <stddef.h>

#include "json/json.h"

/*
 * The bytes of a regular file, malloc'd with a NUL after the last (which
 * *len does not count), or NULL with "PATH: why" in errbuf.
 */
extern char *CliReadInput(const char *path, size_t *len, char *errbuf, size_t errlen);

/*
 * Read and parse a whole JSON file.  Syntax errors read "PATH: line L
 * column C: what"; I/O errors carry strerror's text.
 */
extern LlmJsonValue *CliParseJsonFile(const char *path, char *errbuf, size_t errlen);

#endif							/* LLM_TOOLS_CLI_INPUT_H */
