/*-------------------------------------------------------------------------
 *
 * cli_args.c
 *	  Command-line parsing shared by the llm-cli commands: options checked
 *	  against the command's description, numbers parsed strictly, and the
 *	  usage printed from the same description.
 *
 * Numbers are checked against one decimal grammar before strtoll, strtoull
 * or strtod sees them, so "12abc", "", " 5", "+5", "0x10" and "nan" are
 * errors rather than a silent 12, 0, 5, 16 or NaN, and every value is
 * checked against its range, at the precision it is used in, before a
 * model is loaded: a mistyped option costs nothing.
 *
 * Also the helpers the commands share: opening a GGUF file named on the
 * command line, printing a file's text escaped, the default context size.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "tokenizer/unicode.h"

/*
 * The ranges of the SQL functions (LlmSamplingArgs in src/llm_infer.c), so
 * that a setting tried here means the same in the database; min_p and the
 * repetition penalty, which SQL does not take, with the sampler's own rules
 * (sampler.c: min_p a fraction of the best token's probability, the
 * penalty a divisor).
 */
static const CliRange temp_range = {0, false, 100, false};
static const CliRange top_p_range = {0, true, 1, false};
static const CliRange min_p_range = {0, false, 1, false};
static const CliRange penalty_range = {0, true, INFINITY, false};

const CliOption cli_sampling_options[] = {
	{"--temp", "T", "temperature, 0 to 100; 0 (default) picks the most likely token", false, NULL},
	{"--seed", "S", "seed of the sampler, 0 to 2^64-1 (default 0)", false, NULL},
	{"--top-k", "K", "sample among the K most likely tokens, >= 0 (default 0: off)", false, NULL},
	{"--top-p", "P", "sample among the most likely tokens whose probabilities reach P, > 0 and <= 1 (default 1: off)", false, NULL},
	{"--min-p", "P", "drop tokens less likely than P times the most likely one, 0 to 1 (default 0: off)", false, NULL},
	{"--repeat-penalty", "R", "penalize the last 64 tokens (logits divided by R), > 0 (default 1: off)", false, NULL},
	{"--stop", "TEXT", "stop before this text", false, NULL},
	{"--grammar", "FILE", "constrain the output to a GBNF grammar (llama.cpp's syntax)", false, NULL},
	{"--json-schema", "FILE", "constrain the output to JSON valid under a JSON Schema (converted as llama.cpp converts it)", false, NULL},
	{NULL}
};

static int
CountOptions(const CliOption *opts)
{
	int			n = 0;

	while (opts[n].name != NULL)
		n++;
	return n;
}

const CliOption *
CliOptionAt(const CliCommand *cmd, int i)
{
	int			n_own = CountOptions(cmd->options);

	if (i < 0)
		return NULL;
	if (i < n_own)
		return &cmd->options[i];
	if (cmd->sampling && i - n_own < CountOptions(cli_sampling_options))
		return &cli_sampling_options[i - n_own];
	return NULL;
}

/* Index of the option named by the first len bytes of name, or -1. */
static int
FindOption(const CliCommand *cmd, const char *name, size_t len)
{
	const CliOption *o;

	for (int i = 0; (o = CliOptionAt(cmd, i)) != NULL; i++)
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return i;
	return -1;
}

/* The option's index; asking for an option the command lacks is a bug. */
static int
OptionIndex(const CliArgs *args, const char *name)
{
	int			i = FindOption(args->cmd, name, strlen(name));

	if (i < 0)
	{
		fprintf(stderr, "llm-cli %s: internal error: no option %s\n", args->cmd->name, name);
		abort();
	}
	return i;
}

int
CliUsageError(const CliArgs *args, const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "llm-cli %s: ", args->cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

/* Keep the first problem of a command line (later ones are often its echo). */
static void
NoteError(char *msg, size_t size, const char *fmt,...)
{
	va_list		ap;

	if (msg[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(msg, size, fmt, ap);
	va_end(ap);
}

int
CliParse(const CliCommand *cmd, int argc, char **argv, CliArgs *args)
{
	char		msg[512] = "";
	int			n_pos = 0;
	bool		options_done = false;
	bool		help = false;
	const CliOption *o;

	memset(args, 0, sizeof(*args));
	args->cmd = cmd;
	if (CliOptionAt(cmd, CLI_MAX_OPTIONS) != NULL || cmd->n_positional > CLI_MAX_POSITIONAL)
	{
		fprintf(stderr, "llm-cli %s: internal error: more options or arguments than CliArgs holds\n",
				cmd->name);
		abort();
	}
	for (int i = 0; i < argc; i++)
	{
		const char *arg = argv[i];
		const char *eq;
		size_t		len;
		int			idx;

		/* "-" alone is a word, as it is for most tools */
		if (options_done || arg[0] != '-' || arg[1] == '\0')
		{
			if (n_pos < cmd->n_positional)
				args->pos[n_pos] = arg;
			else
				NoteError(msg, sizeof(msg), "unexpected argument \"%s\" (see llm-cli %s --help)",
						  arg, cmd->name);
			n_pos++;
			continue;
		}
		if (strcmp(arg, "--") == 0)
		{
			options_done = true;
			continue;
		}
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
		{
			help = true;
			continue;
		}
		eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
		len = eq != NULL ? (size_t) (eq - arg) : strlen(arg);
		idx = FindOption(cmd, arg, len);
		if (idx < 0)
		{
			NoteError(msg, sizeof(msg), "unknown option \"%.*s\" (see llm-cli %s --help)",
					  (int) len, arg, cmd->name);
			continue;
		}
		o = CliOptionAt(cmd, idx);
		if (o->metavar == NULL)
		{
			if (eq != NULL)
				NoteError(msg, sizeof(msg), "%s takes no value", o->name);
			args->values[idx] = "";
		}
		else if (eq != NULL)
			args->values[idx] = eq + 1;
		else if (i + 1 < argc)
			args->values[idx] = argv[++i];
		else
			NoteError(msg, sizeof(msg), "%s needs a value (%s %s)", o->name, o->name, o->metavar);
	}
	if (help)
	{
		CliPrintCommandHelp(stdout, cmd);
		return 0;
	}
	if (msg[0] == '\0' && n_pos < cmd->n_positional)
		NoteError(msg, sizeof(msg), "needs %s (see llm-cli %s --help)", cmd->positional,
				  cmd->name);
	for (int i = 0; msg[0] == '\0' && (o = CliOptionAt(cmd, i)) != NULL; i++)
		if (o->required && args->values[i] == NULL)
			NoteError(msg, sizeof(msg), "%s %s is required (see llm-cli %s --help)",
					  o->name, o->metavar, cmd->name);
	if (msg[0] != '\0')
		return CliUsageError(args, "%s", msg);
	return CLI_RUN;
}

void
CliPrintNames(FILE *out, CliNameFn names)
{
	const char *s;

	for (int i = 0; (s = names(i)) != NULL; i++)
		fprintf(out, "%s%s", i ? ", " : "", s);
}

void
CliPrintNameList(FILE *out, CliNameFn names, int col, int indent)
{
	char		text[1024] = "";
	const char *s;
	size_t		len = 0;

	for (int i = 0; (s = names(i)) != NULL && len < sizeof(text); i++)
		len += snprintf(text + len, sizeof(text) - len, "%s%s", i ? ", " : "", s);
	CliPrintWrapped(out, text, col, indent, CLI_WIDTH);
}

int
CliFindName(CliNameFn names, const char *s)
{
	const char *name;

	for (int i = 0; (name = names(i)) != NULL; i++)
		if (strcmp(name, s) == 0)
			return i;
	return -1;
}

/* One word, on a new line at indent if it would pass width. */
static void
PrintWord(FILE *out, const char *word, int len, int *col, int indent, int width)
{
	if (*col > indent && *col + 1 + len > width)
	{
		fprintf(out, "\n%*s", indent, "");
		*col = indent;
	}
	else if (*col > indent)
	{
		fputc(' ', out);
		(*col)++;
	}
	fprintf(out, "%.*s", len, word);
	*col += len;
}

void
CliPrintWrapped(FILE *out, const char *text, int col, int indent, int width)
{
	while (*text != '\0')
	{
		int			len = (int) strcspn(text, " ");

		if (len > 0)
			PrintWord(out, text, len, &col, indent, width);
		text += len;
		while (*text == ' ')
			text++;
	}
	fputc('\n', out);
}

void
CliPrintSynopsis(FILE *out, const char *prefix, const CliCommand *cmd, int width)
{
	const CliOption *o;
	int			indent = (int) (strlen(prefix) + strlen(cmd->name) + 1);
	int			col = indent;

	fprintf(out, "%s%s ", prefix, cmd->name);
	/* an option and its value stay on one line */
	if (cmd->positional[0] != '\0')
		PrintWord(out, cmd->positional, (int) strlen(cmd->positional), &col, indent, width);
	for (int i = 0; (o = CliOptionAt(cmd, i)) != NULL; i++)
	{
		char		word[128];

		snprintf(word, sizeof(word), "%s%s%s%s%s", o->required ? "" : "[", o->name,
				 o->metavar ? " " : "", o->metavar ? o->metavar : "", o->required ? "" : "]");
		PrintWord(out, word, (int) strlen(word), &col, indent, width);
	}
	fputc('\n', out);
}

void
CliPrintCommandHelp(FILE *out, const CliCommand *cmd)
{
	const CliOption *o;

	CliPrintSynopsis(out, "usage: llm-cli ", cmd, CLI_WIDTH);
	CliPrintWrapped(out, cmd->summary, 0, 0, CLI_WIDTH);
	fprintf(out, "options:\n");
	for (int i = 0; (o = CliOptionAt(cmd, i)) != NULL; i++)
	{
		char		head[64];
		char		help[512];

		snprintf(head, sizeof(head), "%s%s%s", o->name, o->metavar ? " " : "",
				 o->metavar ? o->metavar : "");
		snprintf(help, sizeof(help), "%s%s", o->help, o->required ? " (required)" : "");
		fprintf(out, "  %-20s ", head);
		CliPrintWrapped(out, help, 23, 23, CLI_WIDTH);
		if (o->names != NULL)
		{
			fprintf(out, "%23s%s:", "", o->metavar);
			CliPrintNameList(out, o->names, 23 + (int) strlen(o->metavar) + 1, 23);
		}
	}
	fprintf(out, "  %-20s %s\n", "-h, --help", "this help");
}

const char *
CliGet(const CliArgs *args, const char *name)
{
	return args->values[OptionIndex(args, name)];
}

bool
CliHas(const CliArgs *args, const char *name)
{
	return CliGet(args, name) != NULL;
}

/* "-" then at least one digit, or digits: the only integers. */
static bool
IsIntegerText(const char *s, size_t len)
{
	size_t		i = len > 0 && s[0] == '-' ? 1 : 0;

	if (i == len)
		return false;
	for (; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool
CliParseInteger(const char *s, size_t len, long long min, long long max, long long *out)
{
	char		buf[32];
	long long	n;

	/* longer than any long long: out of range, or not a number */
	if (len >= sizeof(buf) || !IsIntegerText(s, len))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	n = strtoll(buf, NULL, 10);
	/* a sign is for negative numbers: "-0" is not one */
	if (errno != 0 || (buf[0] == '-' && n == 0) || n < min || n > max)
		return false;
	*out = n;
	return true;
}

bool
CliGetInt(const CliArgs *args, const char *name, int dflt, int min, int max, int *out)
{
	const char *v = CliGet(args, name);
	long long	n;

	if (v == NULL)
	{
		*out = dflt;
		return true;
	}
	if (!CliParseInteger(v, strlen(v), min, max, &n))
	{
		if (max == INT_MAX)
			CliUsageError(args, "%s must be an integer >= %d, not \"%s\"", name, min, v);
		else
			CliUsageError(args, "%s must be an integer from %d to %d, not \"%s\"", name, min, max, v);
		return false;
	}
	*out = (int) n;
	return true;
}

bool
CliGetU64(const CliArgs *args, const char *name, uint64_t dflt, uint64_t *out)
{
	const char *v = CliGet(args, name);
	unsigned long long n = 0;
	bool		ok;

	if (v == NULL)
	{
		*out = dflt;
		return true;
	}
	/* no sign at all: strtoull would take "-1" as 2^64-1 */
	ok = v[0] != '-' && IsIntegerText(v, strlen(v));
	if (ok)
	{
		errno = 0;
		n = strtoull(v, NULL, 10);
		ok = errno == 0;
	}
	if (!ok)
	{
		CliUsageError(args, "%s must be an integer from 0 to %llu, not \"%s\"", name,
					  (unsigned long long) UINT64_MAX, v);
		return false;
	}
	*out = (uint64_t) n;
	return true;
}

/*
 * Decimal digits with an optional fraction and exponent, after an optional
 * '-': what strtod reads, less its signs, blanks, hexadecimal and words.
 */
static bool
IsDecimalText(const char *s)
{
	size_t		digits = 0;

	if (*s == '-')
		s++;
	for (; *s >= '0' && *s <= '9'; s++)
		digits++;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			digits++;
	if (digits == 0)
		return false;
	if (*s == 'e' || *s == 'E')
	{
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

static bool
InRange(double d, const CliRange *r)
{
	return (r->lo_open ? d > r->lo : d >= r->lo) && (r->hi_open ? d < r->hi : d <= r->hi);
}

/*
 * The option's number, as a double or (single) rounded to a float: false
 * after the usage error if it is not one, or is out of range at that
 * precision.
 */
static bool
GetNumber(const CliArgs *args, const char *name, const CliRange *r, bool single, double *out)
{
	const char *v = CliGet(args, name);
	const char *why = "";
	double		d = 0;
	bool		ok = IsDecimalText(v);

	if (ok)
	{
		bool		huge;

		errno = 0;
		d = strtod(v, NULL);
		huge = errno == ERANGE && fabs(d) > 1;
		if (single)
			d = (float) d;
		if (huge || isinf(d))
		{
			ok = false;
			why = huge ? " (too large)" : " (too large for a float)";
		}
		else
		{
			/* too small for the type (a denormal, or strtod's 0), or -0: 0 */
			if (fabs(d) < (single ? FLT_MIN : DBL_MIN))
				d = 0;
			ok = InRange(d, r);
			/* digits before the exponent other than 0: the text was not 0 */
			if (!ok && d == 0 && strspn(v, "-0.") < strcspn(v, "eE"))
				why = single ? " (too small: it rounds to 0 as a float)" :
					" (too small: it rounds to 0)";
		}
	}
	if (!ok)
	{
		char		lo[48] = "";
		char		hi[48] = "";

		if (isfinite(r->lo))
			snprintf(lo, sizeof(lo), "%s %g", r->lo_open ? ">" : ">=", r->lo);
		if (isfinite(r->hi))
			snprintf(hi, sizeof(hi), "%s %g", r->hi_open ? "<" : "<=", r->hi);
		if (!r->lo_open && !r->hi_open && lo[0] && hi[0])
			CliUsageError(args, "%s must be a number from %g to %g, not \"%s\"%s", name,
						  r->lo, r->hi, v, why);
		else
			CliUsageError(args, "%s must be a number %s%s%s, not \"%s\"%s", name, lo,
						  lo[0] && hi[0] ? " and " : "", hi, v, why);
		return false;
	}
	*out = d;
	return true;
}

bool
CliGetDouble(const CliArgs *args, const char *name, double dflt, const CliRange *r,
			 double *out)
{
	if (CliGet(args, name) == NULL)
	{
		*out = dflt;
		return true;
	}
	return GetNumber(args, name, r, false, out);
}

bool
CliGetFloat(const CliArgs *args, const char *name, float dflt, const CliRange *r,
			float *out)
{
	double		d;

	if (CliGet(args, name) == NULL)
	{
		*out = dflt;
		return true;
	}
	if (!GetNumber(args, name, r, true, &d))
		return false;
	*out = (float) d;
	return true;
}

bool
CliGetChoice(const CliArgs *args, const char *name, int dflt, int *out)
{
	const CliOption *o = CliOptionAt(args->cmd, OptionIndex(args, name));
	const char *v = CliGet(args, name);

	if (v == NULL)
	{
		*out = dflt;
		return true;
	}
	if ((*out = CliFindName(o->names, v)) >= 0)
		return true;
	fprintf(stderr, "llm-cli %s: %s must be one of ", args->cmd->name, name);
	CliPrintNames(stderr, o->names);
	fprintf(stderr, ", not \"%s\"\n", v);
	return false;
}

bool
CliGetSampling(const CliArgs *args, LlmGenerateParams *gp)
{
	LlmSamplerParams *sp = &gp->sampling;

	if (!CliGetFloat(args, "--temp", sp->temperature, &temp_range, &sp->temperature) ||
		!CliGetU64(args, "--seed", sp->seed, &sp->seed) ||
		!CliGetInt(args, "--top-k", sp->top_k, 0, INT_MAX, &sp->top_k) ||
		!CliGetFloat(args, "--top-p", sp->top_p, &top_p_range, &sp->top_p) ||
		!CliGetFloat(args, "--min-p", sp->min_p, &min_p_range, &sp->min_p) ||
		!CliGetFloat(args, "--repeat-penalty", sp->repeat_penalty, &penalty_range,
					 &sp->repeat_penalty))
		return false;
	if (CliHas(args, "--stop"))
	{
		/* a one-string array: the option's slot in args */
		gp->stop = &args->values[OptionIndex(args, "--stop")];
		gp->n_stop = 1;
	}
	return true;
}

const LlmError *
CliNameFile(LlmStatus s, const char *path, LlmError *err)
{
	char		msg[LLM_ERROR_MESSAGE_SIZE];
	CliPathText shown;

	memcpy(msg, err->message, sizeof(msg));
	LlmSetError(err, s, "%s: %s", CliShortPath(path, &shown), msg);
	return err;
}

LlmStatus
CliOpenGguf(const char *path, GgufFile **out, LlmError *err)
{
	int			fd = CliOpenRegular(path, err->message, sizeof(err->message));
	LlmStatus	s;

	*out = NULL;
	if (fd < 0)
		return err->code = LLM_ERR_IO;
	close(fd);

	/*
	 * The engine's own I/O messages (a file swapped since) hold the whole
	 * path; those about the contents hold none.
	 */
	s = GgufOpen(path, out, err);
	if (s != LLM_OK && s != LLM_ERR_IO)
		CliNameFile(s, path, err);
	return s;
}

LlmStatus
CliLoadModel(const char *path, LlmModel **out, LlmError *err)
{
	GgufFile   *gguf;
	LlmStatus	s;

	*out = NULL;
	s = CliOpenGguf(path, &gguf, err);
	if (s != LLM_OK)
		return s;
	/* takes gguf, closed on failure */
	s = LlmModelFromGguf(gguf, out, err);
	if (s != LLM_OK)
		CliNameFile(s, path, err);
	return s;
}

/*
 * Bytes of the UTF-8 character at s[0..len) that is printable, or 0: a
 * byte that begins no well-formed character (overlong, a surrogate, past
 * U+10FFFF, cut short) or a control character.
 */
static size_t
PrintableChar(const char *s, size_t len)
{
	size_t		pos = 0;
	uint32_t	c = LlmUtf8Decode(s, len, &pos);
	char		again[4];

	/* the decoder takes overlongs and surrogates; encoding again does not */
	if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || (c >= 0xD800 && c <= 0xDFFF) ||
		(size_t) LlmUtf8Encode(c, again) != pos || memcmp(again, s, pos) != 0)
		return 0;
	return pos;
}

void
CliPrintEscaped(FILE *out, const char *s, size_t len, char quote)
{
	size_t		i = 0;

	if (quote != '\0')
		fputc(quote, out);
	while (i < len)
	{
		unsigned char c = (unsigned char) s[i];
		size_t		n = PrintableChar(s + i, len - i);

		if (n > 0 && quote != '\0' && (c == (unsigned char) quote || c == '\\'))
			fprintf(out, "\\%c", c);
		else if (n > 0)
			fwrite(s + i, 1, n, out);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c == '\r')
			fputs("\\r", out);
		else
			fprintf(out, "\\x%02x", c);
		i += n > 0 ? n : 1;
	}
	if (quote != '\0')
		fputc(quote, out);
}

int
CliContextSize(int n_prompt, int max_tokens, int n_ctx_train)
{
	int64_t		want = (int64_t) n_prompt + max_tokens + 1;
	int64_t		most = n_ctx_train > 0 && n_ctx_train < CLI_MAX_CTX ? n_ctx_train : CLI_MAX_CTX;

	return (int) (want < most ? want : most);
}
