/*-------------------------------------------------------------------------
 *
 * cli_args.c
 *	  Command-line option lookup shared by the llm-cli commands.
 *
 *-------------------------------------------------------------------------
 */
#include <stdbool.h>
#include <string.h>

#include "cli.h"

const char *
CliOpt(int argc, char **argv, const char *name, const char *dflt)
{
	for (int i = 0; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return dflt;
}

bool
CliFlag(int argc, char **argv, const char *name)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return true;
	return false;
}
