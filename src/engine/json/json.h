/*-------------------------------------------------------------------------
 *
 * json.h
 *	  A small, strict JSON (RFC 8259) reader for llm-cli.
 *
 * It exists to read the parity test references (index.json, *.ref.json),
 * so it favours strictness and clear error messages over speed.  Like the
 * engine it never exits, aborts or prints: a failing call returns NULL and
 * leaves "line L column C: what" (or "out of memory") in the caller's
 * buffer.  Lines and columns start at 1; columns count characters (UTF-8
 * code points), not bytes.
 *
 * Choices where the RFC leaves room:
 *	- Unpaired UTF-16 surrogates in \u escapes are rejected, not replaced by
 *	  U+FFFD: a reference file containing one is broken and should be fixed.
 *	- Raw bytes inside strings must be well-formed UTF-8 (no overlongs, no
 *	  encoded surrogates, nothing above U+10FFFF).
 *	- \u0000 is accepted in string values (use len, the string then holds
 *	  an embedded NUL) but rejected in member names, which are looked up as
 *	  C strings.
 *	- Duplicate member names are accepted; JsonGet returns the first one.
 *	- A leading UTF-8 byte order mark is skipped (RFC 8259 section 8.1).
 *	- Numbers are converted by strtod, which is exact but honours
 *	  LC_NUMERIC; a single-character decimal point of another locale is
 *	  handled, anything more exotic is not.  A number too large for a
 *	  double is an error; one too small becomes 0 or a denormal.
 *	- Arrays and objects may nest at most JSON_MAX_DEPTH deep.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_TOOLS_JSON_H
#define LLM_TOOLS_JSON_H

#include <stdbool.h>
#include <stddef.h>

#define JSON_MAX_DEPTH 256

typedef enum JsonType
{
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT
} JsonType;

typedef struct JsonValue
{
	JsonType	type;
	bool		boolean;
	double		number;
	char	   *string;			/* NUL-terminated UTF-8, escapes decoded */
	size_t		len;			/* bytes in string, excluding the NUL */
	size_t		count;			/* array items / object members */
	struct JsonValue *items;	/* array elements or object member values */
	char	  **keys;			/* object member names (NUL-terminated) */
} JsonValue;

/*
 * Parse text[0..len) (need not be NUL-terminated).  Returns a tree to be
 * released with JsonFree, or NULL with a message in errbuf (which may be
 * NULL).  On success errbuf is set to the empty string.
 */
extern JsonValue *JsonParse(const char *text, size_t len,
							char *errbuf, size_t errlen);

/*
 * Read and parse a whole file, which must be a regular one (a FIFO is
 * refused at once, not waited on).  Messages are prefixed with the path,
 * shortened as cli_file.h shortens it; I/O errors carry strerror's text.
 */
extern JsonValue *JsonParseFile(const char *path, char *errbuf, size_t errlen);

/* Free a tree returned by JsonParse/JsonParseFile (NULL is fine). */
extern void JsonFree(JsonValue *v);

/* Member of an object; NULL if obj is not an object or has no such key. */
extern const JsonValue *JsonGet(const JsonValue *obj, const char *key);

/* Element of an array; NULL if arr is not an array or i is out of range. */
extern const JsonValue *JsonAt(const JsonValue *arr, size_t i);

/* A number/string member, or dflt if absent or of another type. */
extern double JsonGetNumber(const JsonValue *obj, const char *key,
							double dflt);
extern const char *JsonGetString(const JsonValue *obj, const char *key,
								 const char *dflt);

/*
 * For unit tests only: let the next n allocations made by this module
 * succeed and every later one fail, to exercise the out-of-memory paths.
 * A negative n restores normal behaviour.  Not thread-safe.
 */
extern void JsonTestFailAllocAfter(long n);

#endif							/* LLM_TOOLS_JSON_H */
