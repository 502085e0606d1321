/*-------------------------------------------------------------------------
 *
 * schema_internal.h
 *	  What the files of the JSON Schema converter share: its state (the
 *	  rules made so far, an arena for their text, the first error), and
 *	  the helpers each file provides to the others.
 *
 *	  json_schema.c		the schema walk (llama.cpp's visit) and the output
 *	  schema_text.c		JSON values and GBNF literals written out
 *	  schema_range.c	integers between bounds as GBNF
 *	  schema_pattern.c	regular expressions ("pattern") as GBNF
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_GRAMMAR_SCHEMA_INTERNAL_H
#define LLM_ENGINE_GRAMMAR_SCHEMA_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "json/json.h"
#include "strbuf.h"

typedef struct SchemaArenaBlock SchemaArenaBlock;

typedef struct SchemaRule
{
	char	   *name;
	char	   *body;
} SchemaRule;

typedef struct SchemaConv
{
	SchemaArenaBlock *arena;	/* every string below lives here */
	SchemaRule *rules;
	int			n_rules;
	int			cap_rules;
	const LlmJsonValue *root;
	const char **resolving;		/* $refs being converted (recursion) */
	int			n_resolving;
	int			cap_resolving;
	LlmError   *err;
	LlmStatus	status;			/* of the first error; LLM_OK so far */
} SchemaConv;

/* A copy of n bytes (NUL added) in the arena; NULL when out of memory. */
extern char *SchemaStrdup(SchemaConv *c, const char *s, size_t n);

/* printf into the arena. */
extern char *SchemaPrintf(SchemaConv *c, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

/* The builder's text moved into the arena (the builder is emptied). */
extern char *SchemaTake(SchemaConv *c, LlmStrBuf *b);

/* Record the first error, "at PATH: what", and return NULL. */
extern char *SchemaFail(SchemaConv *c, const char *path, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));
extern char *SchemaOutOfMemory(SchemaConv *c);

/*
 * Add a rule (llama.cpp's _add_rule): its name with runs of characters
 * other than letters, digits and '-' made '-', and a number after it if
 * the name is taken by a rule of another body.  Returns the name used.
 */
extern char *SchemaAddRule(SchemaConv *c, const char *name, const char *body);

/*
 * json_schema.c: item repeated min to max times (max -1: no maximum),
 * separated by sep if not empty (llama.cpp's build_repetition).
 */
extern char *SchemaBuildRepetition(SchemaConv *c, const char *item, int min, int max,
								   const char *sep);

/* schema_text.c: a value as nlohmann::json's dump() writes it. */
extern bool SchemaDumpJson(const LlmJsonValue *v, LlmStrBuf *b);

/* schema_text.c: s as a GBNF string literal (format_literal). */
extern void SchemaFormatLiteral(const char *s, size_t n, LlmStrBuf *b);

/*
 * schema_range.c: integers from min to max (INT64_MIN / INT64_MAX for no
 * bound) as GBNF alternatives, as llama.cpp's build_min_max_int.
 */
extern void SchemaIntRange(int64_t min, int64_t max, LlmStrBuf *b);

/*
 * schema_pattern.c: the rule of a string matching pattern (anchored with
 * ^ and $), named name; NULL after an error about path.
 */
extern char *SchemaPattern(SchemaConv *c, const char *pattern, const char *name,
						   const char *path);

#endif							/* LLM_ENGINE_GRAMMAR_SCHEMA_INTERNAL_H */
