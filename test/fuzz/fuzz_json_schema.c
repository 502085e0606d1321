/*-------------------------------------------------------------------------
 *
 * fuzz_json_schema.c
 *	  libFuzzer harness of the JSON Schema to GBNF converter
 *	  (src/engine/grammar/json_schema.c): arbitrary bytes as a schema.
 *
 * A schema comes from a SQL caller.  The converter must refuse what it
 * cannot convert with an error, and what it writes must be a grammar the
 * GBNF parser accepts: a schema that converts into an unparsable grammar
 * would fail later, with a message about text the caller never wrote.
 * Only the parser's size limits may refuse a converted grammar, and its
 * refusal of left recursion: a pattern repeating what may match nothing,
 * "(a*)*" or "a**", gives a grammar llama.cpp's matcher cannot run either,
 * and LlmGrammarFromJsonSchema says the schema's grammar does not parse.
 *
 *-------------------------------------------------------------------------
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "grammar/gbnf.h"
#include "grammar/json_schema.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *gbnf = NULL;
	LlmGrammar *g;
	LlmError	err;

	if (LlmJsonSchemaToGbnf((const char *) data, size, &gbnf, &err) != LLM_OK)
	{
		FUZZ_CHECK(err.code == LLM_ERR_ARGUMENT || err.code == LLM_ERR_NOMEM,
				   "conversion failed with %d: %s", (int) err.code, err.message);
		return 0;
	}
	FUZZ_CHECK(gbnf != NULL, "no grammar");
	if (LlmGrammarParse(gbnf, strlen(gbnf), &g, &err) == LLM_OK)
		LlmGrammarFree(g);
	else
		FUZZ_CHECK(err.code == LLM_ERR_NOMEM || strstr(err.message, "more than") != NULL ||
				   strstr(err.message, "too many") != NULL ||
				   strstr(err.message, "left-recursive") != NULL,
				   "the converted grammar does not parse: %s\n%s", err.message, gbnf);
	free(gbnf);
	return 0;
}
