/*-------------------------------------------------------------------------
 *
 * json.h
 *	  A small, strict JSON (RFC 8259) reader: JSON Schemas for constrained
 *	  generation (grammar/json_schema.c), and llm-cli's parity references.
 *
 * It favours strictness and clear error messages over speed.  Like the
 * rest of the engine it never exits, aborts or prints: a failing call
 * returns NULL and leaves "line L column C: what" (or "out of memory") in
 * the caller's buffer.  Lines and columns start at 1; columns count characters (UTF-8
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
 *	- Duplicate member names are accepted; LlmJsonGet returns the first one.
 *	- A leading UTF-8 byte order mark is skipped (RFC 8259 section 8.1).
 *	- Numbers are converted by strtod, which is exact but honours
 *	  LC_NUMERIC; a single-character decimal point of another locale is
 *	  handled, anything more exotic is not.  A number too large for a
 *	  double is an error; one too small becomes 0 or a denormal.
 *	- Arrays and objects may nest at most LLM_JSON_MAX_DEPTH deep.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_JSON_H
#define LLM_ENGINE_JSON_H

#include <stdbool.h>
#include <stddef.h>

#define LLM_JSON_MAX_DEPTH 256

typedef enum LlmJsonType
{
	LLM_JSON_NULL,
	LLM_JSON_BOOL,
	LLM_JSON_NUMBER,
	LLM_JSON_STRING,
	LLM_JSON_ARRAY,
	LLM_JSON_OBJECT
} LlmJsonType;

typedef struct LlmJsonValue
{
	LlmJsonType type;
	bool		boolean;
	double		number;
	char	   *string;			/* NUL-terminated UTF-8, escapes decoded;
								 * a number's text as written */
	size_t		len;			/* bytes in string, excluding the NUL */
	size_t		count;			/* array items / object members */
	struct LlmJsonValue *items;	/* array elements or object member values */
	char	  **keys;			/* object member names (NUL-terminated) */
} LlmJsonValue;

/*
 * Parse text[0..len) (need not be NUL-terminated).  Returns a tree to be
 * released with LlmJsonFree, or NULL with a message in errbuf (which may be
 * NULL).  On success errbuf is set to the empty string.
 */
extern LlmJsonValue *LlmJsonParse(const char *text, size_t len,
								  char *errbuf, size_t errlen);

/* Free a tree returned by LlmJsonParse (NULL is fine). */
extern void LlmJsonFree(LlmJsonValue *v);

/* Member of an object; NULL if obj is not an object or has no such key. */
extern const LlmJsonValue *LlmJsonGet(const LlmJsonValue *obj, const char *key);

/* Element of an array; NULL if arr is not an array or i is out of range. */
extern const LlmJsonValue *LlmJsonAt(const LlmJsonValue *arr, size_t i);

/* A number/string member, or dflt if absent or of another type. */
extern double LlmJsonGetNumber(const LlmJsonValue *obj, const char *key,
							   double dflt);
extern const char *LlmJsonGetString(const LlmJsonValue *obj, const char *key,
									const char *dflt);

/*
 * For unit tests only: let the next n allocations made by this module
 * succeed and every later one fail, to exercise the out-of-memory paths.
 * A negative n restores normal behaviour.  Not thread-safe.
 */
extern void LlmJsonTestFailAllocAfter(long n);

#endif							/* LLM_ENGINE_JSON_H */
