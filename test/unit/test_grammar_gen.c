/*-------------------------------------------------------------------------
 *
 * test_grammar_gen.c
 *	  Constrained generation, checked from the outside: with models that
 *	  know nothing of the constraint (a random-weight model of SmolLM2's
 *	  shape written by "llm-cli synth", and ../shared/models/stories260K),
 *	  every output must be what the grammar allows.
 *
 *	  - Random JSON Schemas (from a seed): greedy and sampled outputs,
 *	    alone and in batches, parse as JSON and validate against their
 *	    schema, by a parser and validator of this test's own
 *	    (grammar_check.h), not by the grammar.
 *	  - llama.cpp's example grammars: outputs are accepted by recognisers
 *	    of their languages written for this test.
 *	  - The generation loop: token limits, stop strings, grammars no token
 *	    can continue, batches equal to single runs.
 *
 *	  Run from the repository root; needs bin/llm-cli (for synth).
 *	  LLM_GRAMMAR_SCHEMAS and LLM_GRAMMAR_SYNTH_SCHEMAS change how many
 *	  schemas each model gets (default 300, each with a greedy and a
 *	  sampled output, and 6, each in a batch of four sequences greedy and
 *	  one sampled: 600 and 48 outputs).
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "generate.h"
#include "grammar/json_schema.h"
#include "grammar/matcher.h"
#include "grammar_check.h"
#include "strbuf.h"
#include "unit.h"

#define STORIES "../shared/models/stories260K.gguf"
#define CLI "bin/llm-cli"
#define GRAMMARS "test/unit/grammars/"

typedef struct TestModel
{
	const char *name;
	LlmModel   *model;
	LlmContext *ctx;			/* one sequence */
	LlmContext *batch_ctx;		/* four */
	LlmTokenTrie *trie;
	int			max_tokens;
} TestModel;

static TestModel models[2] = {
	{"stories260K", NULL, NULL, NULL, NULL, 400},
	{"synth smollm2-135m", NULL, NULL, NULL, NULL, 160},
};

static uint64_t rng_state;

static uint32_t
Rand(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t) (rng_state % n);
}

static void
Add(LlmStrBuf *b, const char *s)
{
	LlmStrBufAppend(b, s, strlen(s));
}

/* s as a JSON string literal */
static void
AddJsonString(LlmStrBuf *b, const char *s)
{
	Add(b, "\"");
	for (; *s; s++)
	{
		if (*s == '"' || *s == '\\')
			LlmStrBufAppend(b, "\\", 1);
		LlmStrBufAppend(b, s, 1);
	}
	Add(b, "\"");
}

static double
Now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int
EnvInt(const char *name, int dflt)
{
	const char *v = getenv(name);

	return v != NULL && atoi(v) >= 0 ? atoi(v) : dflt;
}

/* ---- random schemas ---- */

/* JSON values for enum and const: strings that need escapes, numbers of each kind */
static const char *const values[] = {
	"\"red\"", "\"a \\\"quoted\\\" \\\\ word\"", "\"caf\\u00e9\"", "\"\xe6\x97\xa5\xe6\x9c\xac\"",
	"\"line\\nbreak\"", "\"\"", "42", "-7", "0", "1.5", "-2.25e3", "1e20", "true", "false", "null",
	"[1, \"x\"]", "{\"k\": null, \"n\": [true]}"
};

/* pieces of patterns (regular expressions) */
static const char *const pattern_items[] = {
	"[a-z]{1,3}", "\\d{2}", "[A-Z]", "(ab|cd)", "x?", "\\w{2,3}", "[0-9a-f]{1,4}", "-", "[^a-z]{0,2}",
	"(?:yes|no)", "\\.", ".{1,2}", "[aeiou]+", "\"", "\\\\"
};

static const char *const prop_names[] = {
	"name", "age", "a b", "quote\"d", "\xc3\xbc" "ber", "x-1", "tags", "id", "n", "back\\slash"
};

static void GenSchema(LlmStrBuf *b, int depth, int n_defs);

static void
GenScalar(LlmStrBuf *b, int n_defs)
{
	char		buf[160];

	switch (Rand(n_defs > 0 ? 12 : 11))
	{
		case 0:
			{
				int			lo = (int) Rand(4);

				snprintf(buf, sizeof(buf), "{\"type\": \"string\", \"minLength\": %d, \"maxLength\": %d}", lo,
						 lo + (int) Rand(6));
				Add(b, buf);
				break;
			}
		case 1:
			{
				int			n = 1 + (int) Rand(4);

				Add(b, "{\"type\": \"string\", \"pattern\": ");
				{
					LlmStrBuf	pat = {0};

					Add(&pat, "^");
					for (int i = 0; i < n; i++)
						Add(&pat, pattern_items[Rand(sizeof(pattern_items) / sizeof(pattern_items[0]))]);
					Add(&pat, "$");
					AddJsonString(b, pat.data);
					free(pat.data);
				}
				Add(b, "}");
				break;
			}
		case 2:
			{
				static const char *const formats[] = {"date", "time", "date-time", "uuid"};

				snprintf(buf, sizeof(buf), "{\"type\": \"string\", \"format\": \"%s\"}", formats[Rand(4)]);
				Add(b, buf);
				break;
			}
		case 3:
			{
				int			n = 1 + (int) Rand(4);

				Add(b, "{\"enum\": [");
				for (int i = 0; i < n; i++)
				{
					if (i > 0)
						Add(b, ", ");
					Add(b, values[Rand(sizeof(values) / sizeof(values[0]))]);
				}
				Add(b, "]}");
				break;
			}
		case 4:
			Add(b, "{\"const\": ");
			Add(b, values[Rand(sizeof(values) / sizeof(values[0]))]);
			Add(b, "}");
			break;
		case 5:
			{
				int			lo = (int) Rand(2001) - 1000;
				int			hi = lo + (int) Rand(3000);
				static const char *const mins[] = {"minimum", "exclusiveMinimum"};
				static const char *const maxs[] = {"maximum", "exclusiveMaximum"};

				switch (Rand(4))
				{
					case 0:
						Add(b, "{\"type\": \"integer\"}");
						break;
					case 1:
						snprintf(buf, sizeof(buf), "{\"type\": \"integer\", \"%s\": %d}", mins[Rand(2)], lo);
						Add(b, buf);
						break;
					case 2:
						snprintf(buf, sizeof(buf), "{\"type\": \"integer\", \"%s\": %d}", maxs[Rand(2)], hi);
						Add(b, buf);
						break;
					default:
						snprintf(buf, sizeof(buf), "{\"type\": \"integer\", \"minimum\": %d, \"%s\": %d}", lo,
								 maxs[Rand(2)], hi + 1);
						Add(b, buf);
				}
				break;
			}
		case 6:
			Add(b, "{\"type\": \"number\"}");
			break;
		case 7:
			Add(b, "{\"type\": \"boolean\", \"description\": \"an annotation\"}");
			break;
		case 8:
			Add(b, "{\"type\": \"null\"}");
			break;
		case 9:
			Add(b, "{\"type\": [\"string\", \"null\"], \"maxLength\": 4}");
			break;
		case 10:
			Add(b, "{\"type\": [\"integer\", \"boolean\"], \"minimum\": 5, \"maximum\": 20}");
			break;
		default:
			snprintf(buf, sizeof(buf), "{\"$ref\": \"#/$defs/d%u\"}", Rand((uint32_t) n_defs));
			Add(b, buf);
	}
}

static void
GenObject(LlmStrBuf *b, int depth, int n_defs)
{
	int			n = 1 + (int) Rand(4);
	int			names[4];
	bool		required[4];
	int			n_req = 0;

	for (int i = 0; i < n; i++)
	{
		bool		dup;

		do
		{
			names[i] = (int) Rand(sizeof(prop_names) / sizeof(prop_names[0]));
			dup = false;
			for (int j = 0; j < i; j++)
				dup = dup || names[j] == names[i];
		} while (dup);
		required[i] = Rand(10) < 6;
		n_req += required[i];
	}
	Add(b, "{\"type\": \"object\", \"properties\": {");
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			Add(b, ", ");
		AddJsonString(b, prop_names[names[i]]);
		Add(b, ": ");
		GenSchema(b, depth + 1, n_defs);
	}
	Add(b, "}");
	if (n_req > 0)
	{
		bool		first = true;

		Add(b, ", \"required\": [");
		for (int i = n - 1; i >= 0; i--)
			if (required[i])
			{
				if (!first)
					Add(b, ", ");
				AddJsonString(b, prop_names[names[i]]);
				first = false;
			}
		Add(b, "]");
	}
	if (Rand(2) == 0)
		Add(b, ", \"additionalProperties\": false");
	Add(b, "}");
}

static void
GenSchema(LlmStrBuf *b, int depth, int n_defs)
{
	uint32_t	kind = depth >= 3 ? 0 : Rand(10);
	char		buf[96];

	if (kind <= 4)
		GenScalar(b, n_defs);
	else if (kind <= 6)
		GenObject(b, depth, n_defs);
	else if (kind <= 8)
	{
		int			lo = (int) Rand(3);

		snprintf(buf, sizeof(buf), "{\"type\": \"array\", \"minItems\": %d, \"maxItems\": %d, \"items\": ",
				 lo, lo + (int) Rand(3));
		Add(b, buf);
		GenSchema(b, depth + 1, n_defs);
		Add(b, "}");
	}
	else
	{
		int			n = 2 + (int) Rand(2);

		Add(b, "{\"anyOf\": [");
		for (int i = 0; i < n; i++)
		{
			if (i > 0)
				Add(b, ", ");
			GenSchema(b, depth + 1, n_defs);
		}
		Add(b, "]}");
	}
}

/* A random schema: sometimes its parts in $defs, the root a $ref to one. */
static char *
RandomSchema(void)
{
	LlmStrBuf	b = {0};
	int			n_defs = Rand(3) == 0 ? 1 + (int) Rand(2) : 0;

	if (n_defs == 0)
		GenSchema(&b, 0, 0);
	else
	{
		char		buf[32];

		Add(&b, "{\"$defs\": {");
		for (int i = 0; i < n_defs; i++)
		{
			snprintf(buf, sizeof(buf), "\"d%d\": ", i);
			Add(&b, buf);
			/* a definition refers only to those before it: no recursion */
			GenSchema(&b, 1, i);
			Add(&b, ", ");
		}
		Add(&b, "\"main\": ");
		GenSchema(&b, 0, n_defs);
		Add(&b, "}, \"$ref\": \"#/$defs/main\"}");
	}
	return b.data;
}

/* ---- generation ---- */

static int32_t *
Prompt(const TestModel *tm, const char *text, int *n)
{
	int32_t    *ids = NULL;
	LlmError	err;

	if (LlmTokenize(tm->model->vocab, text, strlen(text), true, false, &ids, n, &err) != LLM_OK)
		CHECK(false, "tokenize: %s", err.message);
	return ids;
}

static void
Params(LlmGenerateParams *gp, const TestModel *tm, const LlmGrammar *g, int max_tokens, bool sampled,
	   uint64_t seed)
{
	memset(gp, 0, sizeof(*gp));
	LlmSamplerDefaults(&gp->sampling);
	gp->max_tokens = max_tokens;
	gp->grammar = g;
	gp->trie = tm->trie;
	if (sampled)
	{
		gp->sampling.temperature = 1.0f;
		gp->sampling.top_p = 0.95f;
		gp->sampling.seed = seed;
	}
}

typedef struct Tally
{
	int			outputs;
	int			valid;
	int			incomplete;
} Tally;

/* One constrained output of a schema: complete, JSON, valid. */
static void
CheckJsonOutput(const char *schema_text, const JNode *schema, const LlmGenerateResult *r,
				const char *how, Tally *t)
{
	JNode	   *v;
	char		why[256] = "";

	t->outputs++;
	CHECK(strcmp(r->stop_reason, "eos") != 0 || r->grammar_complete,
		  "%s: an end of generation only where the grammar may end", how);
	if (!r->grammar_complete)
	{
		t->incomplete++;
		return;
	}
	v = JParse(r->text, r->len, false);
	CHECK(v != NULL, "%s: the output is not JSON:\n%s\nschema: %s", how, r->text, schema_text);
	if (v != NULL)
	{
		bool		ok = JValidate(schema, schema, v, why, sizeof(why));

		CHECK(ok, "%s: the output is not valid (%s):\n%s\nschema: %s", how, why, r->text, schema_text);
		t->valid += ok;
	}
	JFree(v);
}

static void
TestSchemas(TestModel *tm, int n_schemas, uint64_t seed, Tally *t)
{
	static const char *const prompts[] = {"Once upon a time", "{", "Lily said", "Answer in JSON:"};

	rng_state = seed;
	for (int i = 0; i < n_schemas; i++)
	{
		char	   *text = RandomSchema();
		JNode	   *schema = JParse(text, strlen(text), false);
		LlmGrammar *g = NULL;
		LlmError	err;
		LlmGenerateParams gp;
		LlmGenerateResult r[4];
		int32_t    *ids[4];
		int			n_ids[4];
		char		how[128];

		CHECK(schema != NULL, "the test's parser reads the schema: %s", text);
		if (LlmGrammarFromJsonSchema(text, strlen(text), &g, &err) != LLM_OK)
		{
			CHECK(false, "schema %d converts: %s\n%s", i, err.message, text);
			JFree(schema);
			free(text);
			continue;
		}
		for (int p = 0; p < 4; p++)
			ids[p] = Prompt(tm, prompts[(i + p) % 4], &n_ids[p]);
		if (tm->batch_ctx == NULL)
		{
			/* one at a time: greedy, then sampled */
			for (int s = 0; s < 2; s++)
			{
				Params(&gp, tm, g, tm->max_tokens, s == 1, (uint64_t) i);
				snprintf(how, sizeof(how), "%s schema %d %s", tm->name, i, s ? "sampled" : "greedy");
				if (LlmGenerate(tm->ctx, ids[s], n_ids[s], &gp, &r[0], &err) != LLM_OK)
				{
					CHECK(false, "%s: %s\nschema: %s", how, err.message, text);
					continue;
				}
				CheckJsonOutput(text, schema, &r[0], how, t);
				LlmGenerateResultFree(&r[0]);
			}
		}
		else
		{
			/* four sequences at once: two greedy, two sampled */
			for (int s = 0; s < 2; s++)
			{
				Params(&gp, tm, g, tm->max_tokens, s == 1, (uint64_t) i);
				if (LlmGenerateBatch(tm->batch_ctx, (const int32_t *const *) ids, n_ids, NULL, NULL, 4, &gp,
									 r, &err) != LLM_OK)
				{
					CHECK(false, "%s schema %d batch: %s\nschema: %s", tm->name, i, err.message, text);
					continue;
				}
				for (int k = 0; k < 4; k++)
				{
					snprintf(how, sizeof(how), "%s schema %d %s batch %d", tm->name, i,
							 s ? "sampled" : "greedy", k);
					CheckJsonOutput(text, schema, &r[k], how, t);
					LlmGenerateResultFree(&r[k]);
				}
			}
		}
		for (int p = 0; p < 4; p++)
			free(ids[p]);
		LlmGrammarFree(g);
		JFree(schema);
		free(text);
	}
}

/* The longest prefix of text the grammar may end after (NUL-terminated copy). */
static char *
CompletePrefix(const LlmGrammar *g, const char *text, size_t len)
{
	LlmGrammarMatcher *m;
	LlmError	err;
	size_t		best = 0;
	bool		any = false;
	char	   *out;

	if (LlmGrammarMatcherCreate(g, NULL, &m, &err) != LLM_OK)
		return NULL;
	if (LlmGrammarMatcherCanEnd(m))
		any = true;
	for (size_t i = 0; i < len; i++)
	{
		if (!LlmGrammarMatcherAcceptText(m, text + i, 1, &err))
			break;
		if ((i + 1 == len || ((unsigned char) text[i + 1] & 0xC0) != 0x80) && LlmGrammarMatcherCanEnd(m))
		{
			best = i + 1;
			any = true;
		}
	}
	LlmGrammarMatcherFree(m);
	if (!any)
		return NULL;
	out = malloc(best + 1);
	memcpy(out, text, best);
	out[best] = '\0';
	return out;
}

static bool
RecogniseJson(const char *s, bool partial)
{
	JNode	   *v;
	bool		ok;

	if (partial)
		return JPrefixValid(s, strlen(s), false, '{');
	v = JParse(s, strlen(s), false);
	ok = v != NULL && v->type == J_OBJ;
	JFree(v);
	return ok;
}

/* json_arr.gbnf lets control characters into strings */
static bool
RecogniseJsonArray(const char *s, bool partial)
{
	JNode	   *v;
	bool		ok;

	if (strncmp(s, "[\n", strlen(s) < 2 ? strlen(s) : 2) != 0)
		return false;
	if (partial)
		return JPrefixValid(s, strlen(s), true, '[');
	v = JParse(s, strlen(s), true);
	ok = v != NULL && v->type == J_ARR;
	JFree(v);
	return ok;
}

static void
TestExamples(TestModel *tm)
{
	static const struct
	{
		const char *file;
		bool		(*recognise) (const char *s, bool partial);
		const char *bad;		/* not even the start of a text */
	}			examples[] = {
		{"json.gbnf", RecogniseJson, "{\"a\" 1"},
		{"json_arr.gbnf", RecogniseJsonArray, "[1"},
		{"arithmetic.gbnf", RecogniseArithmetic, "a+=b"},
		{"chess.gbnf", RecogniseChess, "1. e4 e5\n2. Nf9 a1\n3."},
		{"list.gbnf", RecogniseList, "- a\n-b"},
		{"english.gbnf", RecogniseEnglish, "a  b"},
		{"japanese.gbnf", RecogniseJapanese, "\xe3\x81\x82 a"},
	};
	static const char *const prompts[] = {"Once upon a time", "The", "1. e4"};
	/* the random-weight model is slow: one greedy run each */
	int			runs = tm->batch_ctx == NULL ? 4 : 1;
	int			max_tokens = tm->batch_ctx == NULL ? tm->max_tokens / 2 : 48;

	for (size_t e = 0; e < sizeof(examples) / sizeof(examples[0]); e++)
	{
		char		path[256];
		size_t		len;
		char	   *text;
		LlmGrammar *g = NULL;
		LlmError	err;

		CHECK(!examples[e].recognise(examples[e].bad, true) && !examples[e].recognise(examples[e].bad, false),
			  "the recogniser of %s refuses \"%s\"", examples[e].file, examples[e].bad);
		snprintf(path, sizeof(path), GRAMMARS "%s", examples[e].file);
		text = UnitReadFile(path, &len);
		if (text == NULL || LlmGrammarParse(text, len, &g, &err) != LLM_OK)
		{
			CHECK(false, "%s: cannot read or parse", path);
			free(text);
			continue;
		}
		for (int run = 0; run < runs; run++)
		{
			LlmGenerateParams gp;
			LlmGenerateResult r;
			int			n;
			int32_t    *ids = Prompt(tm, prompts[run % 3], &n);
			char	   *prefix;

			Params(&gp, tm, g, max_tokens, run > 0, (uint64_t) run * 7 + e);
			if (LlmGenerate(tm->ctx, ids, n, &gp, &r, &err) != LLM_OK)
			{
				CHECK(false, "%s on %s: %s", examples[e].file, tm->name, err.message);
				free(ids);
				continue;
			}
			CHECK(strcmp(r.stop_reason, "eos") != 0 || r.grammar_complete,
				  "%s: an end of generation only where the grammar may end", examples[e].file);
			/* the whole output: a text of the language, or the start of one */
			CHECK(examples[e].recognise(r.text, !r.grammar_complete),
				  "%s on %s (run %d, %s): the recogniser refuses\n%s", examples[e].file, tm->name, run,
				  r.grammar_complete ? "complete" : "cut by the limit", r.text);
			/* and what the grammar had completed when the limit came */
			prefix = CompletePrefix(g, r.text, r.len);
			if (r.grammar_complete)
				CHECK(prefix != NULL && strlen(prefix) == r.len, "%s: a complete output is its own complete prefix",
					  examples[e].file);
			if (prefix != NULL && prefix[0] != '\0')
				CHECK(examples[e].recognise(prefix, false), "%s on %s (run %d): the recogniser refuses\n%s",
					  examples[e].file, tm->name, run, prefix);
			free(prefix);
			LlmGenerateResultFree(&r);
			free(ids);
		}
		LlmGrammarFree(g);
		free(text);
	}
}

/* The loop around the grammar: limits, stops, batches, errors. */
static void
TestLoop(TestModel *tm)
{
	LlmGrammar *g;
	LlmGenerateParams gp;
	LlmGenerateResult r;
	LlmGenerateResult rb[4];
	LlmError	err;
	int			n;
	int32_t    *ids = Prompt(tm, "Once upon a time", &n);
	const char *stop[] = {"x"};
	const char *text = "root ::= \"a\"{30} | \"yes\" | \"no\"";

	if (LlmGrammarParse(text, strlen(text), &g, &err) != LLM_OK)
	{
		free(ids);
		return;
	}

	/* the limit reached first: the text so far, and not complete */
	Params(&gp, tm, g, 3, false, 0);
	gp.trie = NULL;				/* built for the call */
	if (LlmGenerate(tm->ctx, ids, n, &gp, &r, &err) == LLM_OK)
	{
		CHECK(strcmp(r.stop_reason, "length") == 0 ? !r.grammar_complete && r.n_tokens == 3 :
			  r.grammar_complete && (strcmp(r.text, "yes") == 0 || strcmp(r.text, "no") == 0),
			  "%s: a limit before the end leaves the grammar incomplete (%s, \"%s\")", tm->name,
			  r.stop_reason, r.text);
		LlmGenerateResultFree(&r);
	}
	else
		CHECK(false, "%s: %s", tm->name, err.message);

	/* stop strings and a grammar do not go together */
	Params(&gp, tm, g, 8, false, 0);
	gp.stop = stop;
	gp.n_stop = 1;
	CHECK(LlmGenerate(tm->ctx, ids, n, &gp, &r, &err) == LLM_ERR_ARGUMENT &&
		  strstr(err.message, "stop strings cannot be combined with a grammar") != NULL && r.text == NULL,
		  "stop strings with a grammar are refused: %s", err.message);
	LlmGrammarFree(g);

	/* as soon as only the end may come, generation stops */
	text = "root ::= \"yes\" | \"no\"";
	if (LlmGrammarParse(text, strlen(text), &g, &err) == LLM_OK)
	{
		Params(&gp, tm, g, 50, false, 0);
		CHECK(LlmGenerate(tm->ctx, ids, n, &gp, &r, &err) == LLM_OK && strcmp(r.stop_reason, "eos") == 0 &&
			  r.grammar_complete && (strcmp(r.text, "yes") == 0 || strcmp(r.text, "no") == 0) &&
			  r.n_tokens <= 3, "%s: \"%s\" then the end", tm->name, r.text ? r.text : err.message);
		LlmGenerateResultFree(&r);
		LlmGrammarFree(g);
	}

	/* no token can spell a NUL: an error, not a wrong token */
	text = "root ::= \"a\" \"\\x00\"";
	if (LlmGrammarParse(text, strlen(text), &g, &err) == LLM_OK)
	{
		Params(&gp, tm, g, 50, false, 0);
		CHECK(LlmGenerate(tm->ctx, ids, n, &gp, &r, &err) == LLM_ERR_ARGUMENT &&
			  strcmp(err.message, "no token of the vocabulary can continue the grammar here") == 0,
			  "%s: a grammar the vocabulary cannot follow: %s", tm->name, err.message);
		LlmGrammarFree(g);
	}

	/* a batch gives each sequence what it gets alone */
	text = "{\"type\": \"array\", \"maxItems\": 3, \"items\": {\"type\": \"integer\"}}";
	if (tm->batch_ctx != NULL && LlmGrammarFromJsonSchema(text, strlen(text), &g, &err) == LLM_OK)
	{
		const int32_t *prompts[4] = {ids, ids, ids, ids};
		int			n_tokens[4] = {n, n - 1, n - 2, n};

		Params(&gp, tm, g, 40, true, 9);
		if (LlmGenerateBatch(tm->batch_ctx, prompts, n_tokens, NULL, NULL, 4, &gp, rb, &err) == LLM_OK)
		{
			for (int k = 0; k < 4; k++)
			{
				if (LlmGenerate(tm->ctx, prompts[k], n_tokens[k], &gp, &r, &err) != LLM_OK)
					continue;
				CHECK(strcmp(r.text, rb[k].text) == 0 && r.grammar_complete == rb[k].grammar_complete,
					  "%s: sequence %d of a batch is its output alone (\"%s\", \"%s\")", tm->name, k,
					  rb[k].text, r.text);
				LlmGenerateResultFree(&r);
				LlmGenerateResultFree(&rb[k]);
			}
		}
		else
			CHECK(false, "%s batch: %s", tm->name, err.message);
		LlmGrammarFree(g);
	}
	free(ids);
}

static bool
LoadModel(TestModel *tm, const char *path)
{
	LlmError	err;

	if (LlmModelLoad(path, &tm->model, &err) != LLM_OK ||
		LlmContextCreate(tm->model, 1024, 0, &tm->ctx, &err) != LLM_OK ||
		LlmContextSetThreads(tm->ctx, 2, &err) != LLM_OK ||
		LlmTokenTrieBuild(tm->model->vocab, tm->model->hp.n_vocab, &tm->trie, &err) != LLM_OK)
	{
		CHECK(false, "%s: %s", path, err.message);
		return false;
	}
	if (tm != &models[0] &&
		(LlmContextCreateSeq(tm->model, 512, 0, 4, &tm->batch_ctx, &err) != LLM_OK ||
		 LlmContextSetThreads(tm->batch_ctx, 2, &err) != LLM_OK))
	{
		CHECK(false, "%s: %s", path, err.message);
		return false;
	}
	return true;
}

static void
FreeModel(TestModel *tm)
{
	LlmTokenTrieFree(tm->trie);
	LlmContextFree(tm->ctx);
	LlmContextFree(tm->batch_ctx);
	LlmModelFree(tm->model);
}

int
main(void)
{
	char		synth[] = "/tmp/test_grammar_gen_XXXXXX";
	char		cmd[256];
	int			fd;
	Tally		t[2] = {{0}};
	int			n_stories = EnvInt("LLM_GRAMMAR_SCHEMAS", 300);
	int			n_synth = EnvInt("LLM_GRAMMAR_SYNTH_SCHEMAS", 6);

	/* the random-weight model: llm-cli synth, into a file of our own */
	fd = mkstemp(synth);
	CHECK(fd >= 0, "mkstemp");
	if (fd >= 0)
		close(fd);
	snprintf(cmd, sizeof(cmd), CLI " synth --shape smollm2-135m --type q4_0 --out %s >/dev/null 2>&1", synth);
	CHECK(access(CLI, X_OK) == 0 && system(cmd) == 0, "%s (make bin/llm-cli first)", cmd);

	for (int m = 0; m < 2; m++)
		if (LoadModel(&models[m], m == 0 ? STORIES : synth))
		{
			double		t0 = Now();

			TestLoop(&models[m]);
			TestExamples(&models[m]);
			printf("%s: the loop and llama.cpp's examples in %.1f s\n", models[m].name, Now() - t0);
			t0 = Now();
			TestSchemas(&models[m], m == 0 ? n_stories : n_synth, m == 0 ? 0x5eed1234ULL : 0xabcdef99ULL,
						&t[m]);
			printf("%s: the schemas in %.1f s\n", models[m].name, Now() - t0);
		}
	unlink(synth);
	for (int m = 0; m < 2; m++)
	{
		printf("%s: %d schemas, %d outputs, %d complete and valid, %d cut by the token limit\n",
			   models[m].name, m == 0 ? n_stories : n_synth, t[m].outputs, t[m].valid, t[m].incomplete);
		/* a model that knows nothing may wander, but most outputs end */
		CHECK(t[m].outputs > 0 && t[m].incomplete * 10 <= t[m].outputs,
			  "%s: at most a tenth of the outputs cut by the limit (%d of %d)", models[m].name,
			  t[m].incomplete, t[m].outputs);
		FreeModel(&models[m]);
	}
	return UnitSummary("grammar_gen");
}
