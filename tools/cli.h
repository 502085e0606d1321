/*-------------------------------------------------------------------------
 *
 * cli.h
 *	  Commands of llm-cli and the argument parsing they share.
 *
 * Each command describes itself in a CliCommand: its positional arguments,
 * its options (with a help line, and the names an option accepts), and
 * the function that runs it.  The dispatcher parses the command line
 * against that description before the command runs, so that an unknown
 * option, a missing value or a missing argument is a usage error (exit
 * status 2) of every command alike, and both the usage text and
 * "llm-cli COMMAND --help" are printed from the same description.
 *
 * A command's function gets the parsed arguments and returns the process
 * exit status: 0 ok, 1 failure, 2 usage error.  Option values are typed
 * and range-checked by the CliGet* functions, which print the one-line
 * message of a bad value themselves.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_TOOLS_CLI_H
#define LLM_TOOLS_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli_file.h"
#include "error.h"
#include "generate.h"
#include "gguf.h"
#include "model.h"

#define CLI_MAX_OPTIONS 32
#define CLI_MAX_POSITIONAL 4

/* A numeric macro as a string, for help texts that state a limit. */
#define CLI_STR_(x) #x
#define CLI_STR(x) CLI_STR_(x)

/* CliParse's result when the command should run */
#define CLI_RUN (-1)

/*
 * The largest context the engine creates (LlmContextCreateKv): a context
 * size, or tokens that must share one, past it are usage errors here.
 */
#define CLI_MAX_CTX 16777216

/* Most repetitions of a benchmark: bench keeps a figure per repetition. */
#define CLI_MAX_REPS 1000000

/* The i-th accepted name of an option (from 0), NULL past the last. */
typedef const char *(*CliNameFn) (int i);

/* One option of a command. */
typedef struct CliOption
{
	const char *name;			/* "-n", "--temp" */
	const char *metavar;		/* what follows it ("N"); NULL: a flag */
	const char *help;			/* one line: meaning, range and default */
	bool		required;
	CliNameFn	names;			/* the values it accepts, for the usage; or
								 * NULL */
} CliOption;

typedef struct CliArgs CliArgs;

typedef struct CliCommand
{
	const char *name;
	const char *positional;		/* "MODEL TEXT", or "" */
	int			n_positional;	/* how many words positional names */
	const char *summary;		/* what it does, one line */
	const CliOption *options;	/* ends with an entry of NULL name */
	bool		sampling;		/* also takes cli_sampling_options */
	int			(*run) (const CliArgs *args);
} CliCommand;

/* A parsed command line. */
struct CliArgs
{
	const CliCommand *cmd;
	const char *pos[CLI_MAX_POSITIONAL];
	/* per option, in CliOptionAt order: its value, "" for a flag, or NULL */
	const char *values[CLI_MAX_OPTIONS];
};

/* A range of numbers: lo and hi may be +-INFINITY, and may be excluded. */
typedef struct CliRange
{
	double		lo;
	bool		lo_open;
	double		hi;
	bool		hi_open;
} CliRange;

extern const CliCommand cli_info;
extern const CliCommand cli_tokenize;
extern const CliCommand cli_logits;
extern const CliCommand cli_generate;
extern const CliCommand cli_bench;
extern const CliCommand cli_parity;
extern const CliCommand cli_synth;
extern const CliCommand cli_vocab_test;
extern const CliCommand cli_bench_tokenize;
extern const CliCommand cli_chat;
extern const CliCommand cli_bench_kernels;
extern const CliCommand cli_bench_grammar;
extern const CliCommand cli_grammar;

/*
 * The sampling options that generate, chat and bench-grammar share, and
 * the constraints (--grammar, --json-schema) with them (cli_args.c).
 */
extern const CliOption cli_sampling_options[];

/*
 * Parse argv (the words after the command's name) into args.  Returns
 * CLI_RUN if the command should run, else the exit status: 0 after
 * printing the command's help (-h, --help), 2 after a usage error.  "--"
 * ends the options; "--name=value" is "--name value".
 */
extern int	CliParse(const CliCommand *cmd, int argc, char **argv, CliArgs *args);

/* The i-th option of a command (its own, then the sampling ones), or NULL. */
extern const CliOption *CliOptionAt(const CliCommand *cmd, int i);

/* Usage of one command: synopsis, summary, options, accepted names. */
extern void CliPrintCommandHelp(FILE *out, const CliCommand *cmd);

/* Usage text is wrapped to this many columns. */
#define CLI_WIDTH 79

/*
 * prefix, then "NAME POSITIONAL [-x X] ..." wrapped at width, the
 * continuation lines indented under the first argument.
 */
extern void CliPrintSynopsis(FILE *out, const char *prefix, const CliCommand *cmd, int width);

/*
 * Words of text from column col (where the caller left the line), wrapped
 * at width with lines after the first indented by indent; ends the line.
 */
extern void CliPrintWrapped(FILE *out, const char *text, int col, int indent, int width);

/*
 * Names as "a, b, c": on one line, or wrapped from column col with lines
 * after the first indented (and the line ended); the index of s among
 * them, or -1.
 */
extern void CliPrintNames(FILE *out, CliNameFn names);
extern void CliPrintNameList(FILE *out, CliNameFn names, int col, int indent);
extern int	CliFindName(CliNameFn names, const char *s);

/*
 * Option values.  CliGet: the value, or NULL if not given.  CliHas: whether
 * it was given.  The typed getters store the value, or dflt if the option
 * was not given; a value that is not a number of the type, or is outside
 * the range, is reported on stderr in one line naming the option and the
 * valid range, and they return false: the command then returns 2.
 *
 * Numbers are decimal and nothing else: an integer is digits with a '-'
 * only before a negative one (so no "-0"); a number (CliGetDouble,
 * CliGetFloat) is digits with an optional fraction and exponent, after an
 * optional '-' ("-0" is 0).  No '+', blanks, hexadecimal, "inf" or "nan".
 * A number too small for its type is taken as 0, and said to be so if 0
 * is out of range; CliGetFloat checks the range on the value as a float,
 * the precision the engine works in.
 */
extern const char *CliGet(const CliArgs *args, const char *name);
extern bool CliHas(const CliArgs *args, const char *name);
extern bool CliGetInt(const CliArgs *args, const char *name, int dflt, int min, int max,
					  int *out);
extern bool CliGetU64(const CliArgs *args, const char *name, uint64_t dflt, uint64_t *out);
extern bool CliGetDouble(const CliArgs *args, const char *name, double dflt,
						 const CliRange *range, double *out);
extern bool CliGetFloat(const CliArgs *args, const char *name, float dflt,
						const CliRange *range, float *out);

/*
 * An integer written in len bytes of s as the options take them (above),
 * from min to max: whether it is one, and its value in *out.
 */
extern bool CliParseInteger(const char *s, size_t len, long long min, long long max,
							long long *out);
/* One of the option's names (CliOption.names): its index, or dflt. */
extern bool CliGetChoice(const CliArgs *args, const char *name, int dflt, int *out);

/*
 * The sampling options into gp (after LlmSamplerDefaults), with the SQL
 * functions' ranges; --stop points into args, which must outlive gp.
 */
extern bool CliGetSampling(const CliArgs *args, LlmGenerateParams *gp);

/*
 * The grammar of --grammar FILE or --json-schema FILE, compiled (NULL if
 * neither was given): 0, or the exit status after the error is printed (2
 * for both options, or one with --stop; 1 for a file that cannot be read
 * or compiled, the message naming the file).  cli_grammar.c.
 */
extern int	CliGetGrammar(const CliArgs *args, LlmGrammar **out);

/*
 * After constrained generation: 0, or 1 after saying that a limit stopped
 * the text before the grammar was complete.
 */
extern int	CliCheckGrammarResult(const LlmGrammar *grammar, const LlmGenerateResult *res);

/*
 * Print "llm-cli: <message>" to stderr and return 1.  The message may quote
 * a file's contents (a tensor's name): it is printed escaped.
 */
extern int	CliFail(const LlmError *err);

/*
 * GgufOpen and LlmModelLoad for a file named on the command line.  The
 * file is first opened as the tools open their inputs (cli_file.h): a FIFO
 * or a directory is refused at once, and every message names the file
 * with its path shortened, so that the reason shows however long the path.
 */
extern LlmStatus CliOpenGguf(const char *path, GgufFile **out, LlmError *err);
extern LlmStatus CliLoadModel(const char *path, LlmModel **out, LlmError *err);

/* err's message about the contents of path, prefixed with path (shortened). */
extern const LlmError *CliNameFile(LlmStatus s, const char *path, LlmError *err);

/*
 * len bytes of s as one line of text: control characters (C0, DEL, C1) and
 * bytes that are not UTF-8 are written as \n, \t, \r or \xHH.  With a
 * quote character, s is enclosed in it and that character and backslashes
 * are escaped too, so that the text reads back unambiguously; quote 0
 * leaves both as they are (for messages).
 */
extern void CliPrintEscaped(FILE *out, const char *s, size_t len, char quote);

/*
 * The context generate and chat create by default: the prompt and up to
 * max_tokens more, but not past the model's training context nor
 * CLI_MAX_CTX (generation then stops when the context is full).
 */
extern int	CliContextSize(int n_prompt, int max_tokens, int n_ctx_train);

/* Print "llm-cli COMMAND: <message>" to stderr and return 2. */
extern int	CliUsageError(const CliArgs *args, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

/* Seconds on a monotonic clock. */
extern double CliNow(void);

#endif							/* LLM_TOOLS_CLI_H */
