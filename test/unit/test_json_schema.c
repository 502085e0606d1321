/*-------------------------------------------------------------------------
 *
 * test_json_schema.c
 *	  Unit tests of the JSON Schema to GBNF converter: llama.cpp's own test
 *	  cases (json_schema/llama_cases.txt) must give llama.cpp's grammar
 *	  text, ours (json_schema/cases.txt) the grammar or the error they
 *	  hold, and every grammar made must parse.  Run from the repository
 *	  root.
 *
 * A case file is "=== name" lines, each followed by the schema, a "---"
 * line and the expected grammar, or "ERROR " and text the error message
 * must hold (llama.cpp's cases) or be (ours).
 *
 *-------------------------------------------------------------------------
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/json_schema.h"
#include "unit.h"

#define CASES "test/unit/json_schema/"

/* text without the newlines at its end */
static void
TrimEnd(char *text)
{
	size_t		n = strlen(text);

	while (n > 0 && text[n - 1] == '\n')
		text[--n] = '\0';
}

static void
RunCase(const char *file, const char *name, const char *schema, const char *want, bool exact_errors)
{
	char	   *gbnf = NULL;
	LlmError	err;
	LlmGrammar *g = NULL;
	LlmStatus	s = LlmJsonSchemaToGbnf(schema, strlen(schema), &gbnf, &err);

	if (strncmp(want, "ERROR ", 6) == 0)
	{
		bool		ok = s == LLM_ERR_ARGUMENT && gbnf == NULL &&
			(exact_errors ? strcmp(err.message, want + 6) == 0 : strstr(err.message, want + 6) != NULL);

		CHECK(ok, "%s: %s: the error\n  got:  %s\n  want: %s", file, name,
			  s == LLM_OK ? "(none)" : err.message, want + 6);
		free(gbnf);
		return;
	}
	if (s != LLM_OK)
	{
		CHECK(false, "%s: %s: %s", file, name, err.message);
		return;
	}
	TrimEnd(gbnf);
	CHECK(strcmp(gbnf, want) == 0, "%s: %s\n--- got\n%s\n--- want\n%s", file, name, gbnf, want);
	free(gbnf);
	CHECK(LlmGrammarFromJsonSchema(schema, strlen(schema), &g, &err) == LLM_OK,
		  "%s: %s: the grammar parses: %s", file, name, err.message);
	LlmGrammarFree(g);
}

/* Every case of a file; the number run. */
static int
RunFile(const char *file, bool exact_errors)
{
	char		path[256];
	size_t		len;
	char	   *text;
	char	   *p;
	int			n = 0;

	snprintf(path, sizeof(path), CASES "%s", file);
	text = UnitReadFile(path, &len);
	CHECK(text != NULL, "cannot read %s", path);
	if (text == NULL)
		return 0;
	p = strstr(text, "=== ");
	while (p != NULL)
	{
		char	   *name = p + 4;
		char	   *schema = strchr(name, '\n');
		char	   *sep;
		char	   *want;
		char	   *next;

		if (schema == NULL || (sep = strstr(schema, "\n---\n")) == NULL)
		{
			CHECK(false, "%s: malformed case after \"%.40s\"", file, name);
			break;
		}
		*schema++ = '\0';
		*sep = '\0';
		want = sep + 5;
		next = strstr(want, "\n=== ");
		if (next != NULL)
			*next++ = '\0';
		TrimEnd(want);
		RunCase(file, name, schema, want, exact_errors);
		n++;
		p = next;
	}
	free(text);
	return n;
}

/* Out of memory or not, a schema the converter is given fails cleanly. */
static void
TestInputs(void)
{
	char	   *gbnf = (char *) "x";
	LlmGrammar *g = (LlmGrammar *) 1;
	LlmError	err;

	CHECK(LlmJsonSchemaToGbnf("", 0, &gbnf, &err) == LLM_ERR_ARGUMENT && gbnf == NULL &&
		  strstr(err.message, "line 1 column 1") != NULL, "an empty text: %s", err.message);
	/* an empty $ref was read past its end (fuzz_json_schema) */
	CHECK(LlmJsonSchemaToGbnf("{\"$ref\": \"\"}", 12, &gbnf, &err) == LLM_ERR_ARGUMENT && gbnf == NULL &&
		  strstr(err.message, "only local references") != NULL, "an empty $ref: %s", err.message);
	CHECK(LlmGrammarFromJsonSchema("{\"type\": \"nope\"}", 16, &g, &err) == LLM_ERR_ARGUMENT && g == NULL,
		  "a schema that does not convert gives no grammar");
	CHECK(LlmGrammarFromJsonSchema("{\"type\": \"string\", \"maxLength\": 4}", 34, &g, &err) == LLM_OK &&
		  g != NULL && g->n_rules > 3, "a schema gives a grammar: %s", err.message);
	LlmGrammarFree(g);
}

int
main(void)
{
	int			llama = RunFile("llama_cases.txt", false);
	int			ours = RunFile("cases.txt", true);

	CHECK(llama >= 60 && ours >= 50, "the case files hold their cases (%d, %d)", llama, ours);
	TestInputs();
	return UnitSummary("json_schema");
}
