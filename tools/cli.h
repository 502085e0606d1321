/*-------------------------------------------------------------------------
 *
 * cli.h
 *	  Commands of llm-cli.  Each takes the arguments after its name and
 *	  returns the process exit status (0 ok, 1 failure, 2 usage error).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_TOOLS_CLI_H
#define LLM_TOOLS_CLI_H

#include <stdbool.h>

#include "error.h"

extern int	CliInfo(int argc, char **argv);
extern int	CliTokenize(int argc, char **argv);
extern int	CliLogits(int argc, char **argv);
extern int	CliGenerate(int argc, char **argv);
extern int	CliBench(int argc, char **argv);
extern int	CliParity(int argc, char **argv);
extern int	CliSynth(int argc, char **argv);
extern int	CliVocabTest(int argc, char **argv);
extern int	CliBenchTokenize(int argc, char **argv);
extern int	CliChat(int argc, char **argv);
extern int	CliBenchKernels(int argc, char **argv);

/* Value of "NAME VALUE" in argv, else dflt; whether NAME is in argv. */
extern const char *CliOpt(int argc, char **argv, const char *name, const char *dflt);
extern bool CliFlag(int argc, char **argv, const char *name);

/* Print "llm-cli: <message>" to stderr and return 1. */
extern int	CliFail(const LlmError *err);

/* Seconds on a monotonic clock. */
extern double CliNow(void);

#endif							/* LLM_TOOLS_CLI_H */
