/*-------------------------------------------------------------------------
 *
 * cli_grammar.c
 *	  llm-cli's constrained decoding options: --grammar FILE (GBNF) and
 *	  --json-schema FILE, for the commands that generate.
 *
 * The file is read and compiled before the model loads, so that a
 * mistyped grammar costs nothing; its errors name the file, then the line
 * and column (or, for a schema, the JSON path) of the problem.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_input.h"
#include "grammar/json_schema.h"

int
CliGetGrammar(const CliArgs *args, LlmGrammar **out)
{
	const char *gbnf_path = CliGet(args, "--grammar");
	const char *schema_path = CliGet(args, "--json-schema");
	const char *path = gbnf_path != NULL ? gbnf_path : schema_path;
	LlmError	err;
	char	   *text;
	size_t		len;
	LlmStatus	s;

	*out = NULL;
	if (path == NULL)
		return 0;
	if (gbnf_path != NULL && schema_path != NULL)
		return CliUsageError(args, "--grammar and --json-schema cannot be combined: give one");
	if (CliHas(args, "--stop"))
		return CliUsageError(args, "--stop cannot be combined with %s: the grammar says where the text ends",
							 gbnf_path != NULL ? "--grammar" : "--json-schema");
	text = CliReadInput(path, &len, err.message, sizeof(err.message));
	if (text == NULL)
		return CliFail(&err);
	if (gbnf_path != NULL)
		s = LlmGrammarParse(text, len, out, &err);
	else
		s = LlmGrammarFromJsonSchema(text, len, out, &err);
	free(text);
	if (s != LLM_OK)
		return CliFail(CliNameFile(s, path, &err));
	return 0;
}

int
CliCheckGrammarResult(const LlmGrammar *grammar, const LlmGenerateResult *res)
{
	if (grammar == NULL || res->grammar_complete)
		return 0;
	fprintf(stderr, "llm-cli: the output stopped (%s) before the grammar was complete: it does not match it; allow more tokens with -n\n",
			strcmp(res->stop_reason, "context") == 0 ? "the context is full" : "the token limit");
	return 1;
}

/*
 * llm-cli grammar (--grammar FILE | --json-schema FILE): the GBNF of a
 * JSON Schema as the engine converts it, or a grammar file checked; the
 * text printed is what the engine compiles (and what llama.cpp would be
 * given to compare, test/grammar_peer.sh).
 */
static int
CliGrammar(const CliArgs *args)
{
	const char *gbnf_path = CliGet(args, "--grammar");
	const char *schema_path = CliGet(args, "--json-schema");
	const char *path = gbnf_path != NULL ? gbnf_path : schema_path;
	LlmGrammar *grammar = NULL;
	LlmError	err;
	char	   *text;
	char	   *gbnf = NULL;
	size_t		len;
	LlmStatus	s;

	if (path == NULL)
		return CliUsageError(args, "needs --grammar FILE or --json-schema FILE (see llm-cli grammar --help)");
	if (gbnf_path != NULL && schema_path != NULL)
		return CliUsageError(args, "--grammar and --json-schema cannot be combined: give one");
	text = CliReadInput(path, &len, err.message, sizeof(err.message));
	if (text == NULL)
		return CliFail(&err);
	if (schema_path != NULL)
	{
		s = LlmJsonSchemaToGbnf(text, len, &gbnf, &err);
		free(text);
		if (s != LLM_OK)
			return CliFail(CliNameFile(s, path, &err));
		text = gbnf;
		len = strlen(gbnf);
	}
	s = LlmGrammarParse(text, len, &grammar, &err);
	if (s != LLM_OK)
	{
		free(text);
		return CliFail(CliNameFile(s, path, &err));
	}
	fwrite(text, 1, len, stdout);
	if (len > 0 && text[len - 1] != '\n')
		putchar('\n');
	fprintf(stderr, "[%d rules after repetitions and groups are rewritten, %zu elements]\n",
			grammar->n_rules, grammar->n_elems);
	LlmGrammarFree(grammar);
	free(text);
	return 0;
}

static const CliOption grammar_options[] = {
	{"--grammar", "FILE", "a GBNF grammar to check (it is printed back)", false, NULL},
	{"--json-schema", "FILE", "a JSON Schema to convert to GBNF, as llama.cpp converts it", false, NULL},
	{NULL}
};

const CliCommand cli_grammar = {
	"grammar", "", 0,
	"print the GBNF grammar of a JSON Schema, or check a grammar file",
	grammar_options, false, CliGrammar
};
