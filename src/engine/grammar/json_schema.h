/*-------------------------------------------------------------------------
 *
 * json_schema.h
 *	  JSON Schema to GBNF, as llama.cpp's json_schema_to_grammar
 *	  (common/json-schema-to-grammar.cpp) converts them.
 *
 * The grammar is llama.cpp's, rule for rule and name for name, so that a
 * model constrained by a schema here makes the same choices as under
 * llama.cpp: the same whitespace rule ("space": nothing, a space, or one
 * or two newlines and up to 20 spaces or tabs), properties in the
 * schema's order (required ones always, optional ones in order after),
 * no additional properties unless the schema asks for them, and the same
 * primitive rules for strings, numbers and the rest.  Rules are written
 * sorted by name, one a line.
 *
 * Supported: "type" (string, number, integer, boolean, null, object,
 * array, and arrays of these), "properties", "required",
 * "additionalProperties", "enum", "const", "items", "minItems",
 * "maxItems", "minLength", "maxLength", "pattern" (a regular expression
 * anchored with ^ and $: literals, ".", classes, groups, alternatives and
 * repetitions), "format" (date, time, date-time, uuid), "minimum",
 * "maximum", "exclusiveMinimum" and "exclusiveMaximum" of integers,
 * "anyOf", and local "$ref"s ("#/$defs/name", "#/definitions/name", any
 * JSON pointer into the document).  Annotations (title, description,
 * default, examples, $schema, $id, $comment, ...) are ignored.
 *
 * Where llama.cpp ignores a keyword it cannot honour, this refuses it:
 * any other keyword (oneOf, allOf, not, if, uniqueItems, multipleOf,
 * prefixItems, minProperties, ...), and a supported one where the branch
 * llama.cpp takes would not enforce it (a "minLength" next to a "format",
 * a "minimum" of a non-integer number, keywords beside "$ref" or "const"),
 * is an error naming the keyword and its JSON path ($.properties.age).
 * Where llama.cpp's grammar would let invalid JSON out, this one does not:
 * a pattern's literal characters are written as JSON escapes where JSON
 * needs them, and its "." and classes leave out what a JSON string cannot
 * hold raw (quote, backslash, control characters).  Counts above 2000
 * (maxLength, maxItems), which llama.cpp would silently leave unbounded,
 * are refused.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_GRAMMAR_JSON_SCHEMA_H
#define LLM_ENGINE_GRAMMAR_JSON_SCHEMA_H

#include <stddef.h>

#include "error.h"
#include "grammar/gbnf.h"

/*
 * The GBNF of a JSON Schema given as len bytes of JSON text: *gbnf is
 * malloc'd and NUL-terminated.  Errors are LLM_ERR_ARGUMENT: "line L column
 * C: ..." for JSON that does not parse, "at $.path: ..." for a schema this
 * cannot convert.
 */
extern LlmStatus LlmJsonSchemaToGbnf(const char *schema, size_t len, char **gbnf,
									 LlmError *err);

/* Both steps: the compiled grammar of a JSON Schema. */
extern LlmStatus LlmGrammarFromJsonSchema(const char *schema, size_t len, LlmGrammar **out,
										  LlmError *err);

#endif							/* LLM_ENGINE_GRAMMAR_JSON_SCHEMA_H */
