/*-------------------------------------------------------------------------
 *
 * fuzz_json.c
 *	  libFuzzer harness of the engine's JSON reader (src/engine/json/):
 *	  arbitrary bytes through LlmJsonParse.
 *
 * llm_chat's own message parsing goes through PostgreSQL's jsonb and runs
 * only inside a server, so it is tested by pg_regress with hostile JSON
 * (test/sql/errors.sql); what the engine parses itself (JSON Schemas for
 * constrained generation, llm-cli's reference files) is this reader.
 *
 * A parse either fails with a message or gives a tree whose every string
 * is NUL-terminated at its length, whose members are found again by name,
 * and which frees cleanly (LeakSanitizer checks the error paths).
 *
 *-------------------------------------------------------------------------
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "json/json.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
Walk(const LlmJsonValue *v, int depth)
{
	FUZZ_CHECK(depth <= LLM_JSON_MAX_DEPTH + 1, "depth %d", depth);
	switch (v->type)
	{
		case LLM_JSON_NULL:
		case LLM_JSON_BOOL:
			break;
		case LLM_JSON_NUMBER:
		case LLM_JSON_STRING:
			FUZZ_CHECK(v->string != NULL && v->string[v->len] == '\0',
					   "string not terminated at its length");
			break;
		case LLM_JSON_ARRAY:
			for (size_t i = 0; i < v->count; i++)
			{
				FUZZ_CHECK(LlmJsonAt(v, i) == &v->items[i], "item %zu not found again", i);
				Walk(&v->items[i], depth + 1);
			}
			FUZZ_CHECK(LlmJsonAt(v, v->count) == NULL, "an item past the end");
			break;
		case LLM_JSON_OBJECT:
			for (size_t i = 0; i < v->count; i++)
			{
				const LlmJsonValue *m;

				FUZZ_CHECK(v->keys[i] != NULL, "member %zu has no name", i);
				m = LlmJsonGet(v, v->keys[i]);
				/* duplicates: the first member of that name */
				FUZZ_CHECK(m != NULL && m <= &v->items[i], "member \"%s\" not found again", v->keys[i]);
				(void) LlmJsonGetNumber(v, v->keys[i], 0.0);
				(void) LlmJsonGetString(v, v->keys[i], NULL);
				Walk(&v->items[i], depth + 1);
			}
			break;
		default:
			FUZZ_CHECK(false, "type %d", (int) v->type);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		errbuf[256];
	LlmJsonValue *v;

	v = LlmJsonParse((const char *) data, size, errbuf, sizeof(errbuf));
	if (v == NULL)
	{
		FUZZ_CHECK(memchr(errbuf, '\0', sizeof(errbuf)) != NULL && errbuf[0] != '\0',
				   "a failed parse without a message");
		return 0;
	}
	FUZZ_CHECK(errbuf[0] == '\0', "a parse that succeeded left a message");
	Walk(v, 0);
	LlmJsonFree(v);
	return 0;
}
