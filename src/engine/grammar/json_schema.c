/*-------------------------------------------------------------------------
 *
 * json_schema.c
 *	  JSON Schema to GBNF (see json_schema.h): the walk over the schema,
 *	  rule naming, and the grammar's text.
 *
 * The walk is llama.cpp's common_schema_converter::visit: the first of
 * these that applies to a schema decides its rule, and names follow the
 * path of properties ("person-address-city"), with the same primitive
 * rules shared by all:
 *
 *	$ref, anyOf, a union of types, const, enum, an object with properties
 *	(or additionalProperties other than true), an array with items, a
 *	pattern, a format, a string of bounded length, an integer of bounded
 *	range, {} or an unconstrained object, a schema without a type (any
 *	value), and last a plain type.
 *
 * On top of llama.cpp's walk, every keyword of a schema must be either an
 * annotation, consumed by the branch taken, or one that cannot apply to
 * what that branch produces (a string keyword on an integer): anything
 * else is an error at its path rather than a constraint quietly dropped.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/json_schema.h"
#include "grammar/schema_internal.h"

/* llama.cpp's SPACE_RULE: nothing, a space, or 1-2 newlines and an indent */
#define SPACE_RULE "| \" \" | \"\\n\"{1,2} [ \\t]{0,20}"

/* Arena blocks hold at least this many bytes. */
#define ARENA_BLOCK 65536

/* The JSON types a schema may produce, as a mask. */
#define T_NULL 0x01
#define T_BOOL 0x02
#define T_INT 0x04				/* integers */
#define T_FRAC 0x08				/* numbers that are not integers */
#define T_STR 0x10
#define T_ARR 0x20
#define T_OBJ 0x40
#define T_NUMBER (T_INT | T_FRAC)
#define T_ALL 0x7F

struct SchemaArenaBlock
{
	SchemaArenaBlock *next;
	size_t		used;
	size_t		cap;
	char		data[];
};

typedef struct Primitive
{
	const char *name;
	const char *body;
	const char *deps[6];
} Primitive;

/* llama.cpp's PRIMITIVE_RULES and STRING_FORMAT_RULES, as written there */
static const Primitive primitives[] = {
	{"boolean", "(\"true\" | \"false\") space", {NULL}},
	{"decimal-part", "[0-9]{1,16}", {NULL}},
	{"integral-part", "[0] | [1-9] [0-9]{0,15}", {NULL}},
	{"number", "(\"-\"? integral-part) (\".\" decimal-part)? ([eE] [-+]? integral-part)? space",
	{"integral-part", "decimal-part", NULL}},
	{"integer", "(\"-\"? integral-part) space", {"integral-part", NULL}},
	{"value", "object | array | string | number | boolean | null",
	{"object", "array", "string", "number", "boolean", "null"}},
	{"object", "\"{\" space ( string \":\" space value (\",\" space string \":\" space value)* )? \"}\" space",
	{"string", "value", NULL}},
	{"array", "\"[\" space ( value (\",\" space value)* )? \"]\" space", {"value", NULL}},
	{"uuid", "\"\\\"\" [0-9a-fA-F]{8} \"-\" [0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{12} \"\\\"\" space",
	{NULL}},
	{"char", "[^\"\\\\\\x7F\\x00-\\x1F] | [\\\\] ([\"\\\\bfnrt] | \"u\" [0-9a-fA-F]{4})", {NULL}},
	{"string", "\"\\\"\" char* \"\\\"\" space", {"char", NULL}},
	{"null", "\"null\" space", {NULL}},
	{"date", "[0-9]{4} \"-\" ( \"0\" [1-9] | \"1\" [0-2] ) \"-\" ( \"0\" [1-9] | [1-2] [0-9] | \"3\" [0-1] )",
	{NULL}},
	{"time", "([01] [0-9] | \"2\" [0-3]) \":\" [0-5] [0-9] \":\" [0-5] [0-9] ( \".\" [0-9]{3} )? ( \"Z\" | ( \"+\" | \"-\" ) ( [01] [0-9] | \"2\" [0-3] ) \":\" [0-5] [0-9] )",
	{NULL}},
	{"date-time", "date \"T\" time", {"date", "time", NULL}},
	{"date-string", "\"\\\"\" date \"\\\"\" space", {"date", NULL}},
	{"time-string", "\"\\\"\" time \"\\\"\" space", {"time", NULL}},
	{"date-time-string", "\"\\\"\" date-time \"\\\"\" space", {"date-time", NULL}},
	{NULL}
};

/* Keywords that only describe: never constraints. */
static const char *const annotations[] = {
	"title", "description", "$schema", "$id", "$comment", "default", "examples",
	"deprecated", "readOnly", "writeOnly", "$anchor",
	/* definitions are converted where they are referred to */
	"$defs", "definitions",
	NULL
};

/* The keywords converted, and the types they constrain (T_ALL: any). */
typedef struct Keyword
{
	const char *name;
	int			applies;
} Keyword;

static const Keyword keywords[] = {
	{"type", T_ALL}, {"enum", T_ALL}, {"const", T_ALL}, {"$ref", T_ALL}, {"anyOf", T_ALL},
	{"minLength", T_STR}, {"maxLength", T_STR}, {"pattern", T_STR}, {"format", T_STR},
	{"minimum", T_NUMBER}, {"maximum", T_NUMBER}, {"exclusiveMinimum", T_NUMBER},
	{"exclusiveMaximum", T_NUMBER},
	{"properties", T_OBJ}, {"required", T_OBJ}, {"additionalProperties", T_OBJ},
	{"items", T_ARR}, {"minItems", T_ARR}, {"maxItems", T_ARR},
	{NULL, 0}
};

static char *Visit(SchemaConv *c, const LlmJsonValue *schema, const char *name, const char *path);
static int	TypesOf(SchemaConv *c, const LlmJsonValue *schema, int depth);

/* ---- the arena, rules and errors (schema_internal.h) ---- */

static void *
ArenaAlloc(SchemaConv *c, size_t n)
{
	SchemaArenaBlock *b = c->arena;

	n = (n + 7) & ~(size_t) 7;
	if (b == NULL || b->used + n > b->cap)
	{
		size_t		cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;

		b = malloc(sizeof(SchemaArenaBlock) + cap);
		if (b == NULL)
			return NULL;
		b->next = c->arena;
		b->used = 0;
		b->cap = cap;
		c->arena = b;
	}
	b->used += n;
	return b->data + b->used - n;
}

char *
SchemaOutOfMemory(SchemaConv *c)
{
	if (c->status == LLM_OK)
		c->status = LlmSetError(c->err, LLM_ERR_NOMEM, "out of memory converting a JSON Schema");
	return NULL;
}

char *
SchemaStrdup(SchemaConv *c, const char *s, size_t n)
{
	char	   *p = ArenaAlloc(c, n + 1);

	if (p == NULL)
		return SchemaOutOfMemory(c);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
SchemaPrintf(SchemaConv *c, const char *fmt,...)
{
	va_list		ap;
	int			n;
	char	   *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	p = ArenaAlloc(c, (size_t) n + 1);
	if (p == NULL)
		return SchemaOutOfMemory(c);
	va_start(ap, fmt);
	vsnprintf(p, (size_t) n + 1, fmt, ap);
	va_end(ap);
	return p;
}

char *
SchemaTake(SchemaConv *c, LlmStrBuf *b)
{
	char	   *p;

	if (b->oom)
	{
		free(b->data);
		memset(b, 0, sizeof(*b));
		return SchemaOutOfMemory(c);
	}
	p = SchemaStrdup(c, b->data ? b->data : "", b->len);
	free(b->data);
	memset(b, 0, sizeof(*b));
	return p;
}

char *
SchemaFail(SchemaConv *c, const char *path, const char *fmt,...)
{
	char		what[LLM_ERROR_MESSAGE_SIZE];
	va_list		ap;

	if (c->status != LLM_OK)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	c->status = LlmSetError(c->err, LLM_ERR_ARGUMENT, "at %s: %s", path, what);
	return NULL;
}

static SchemaRule *
FindRule(SchemaConv *c, const char *name)
{
	for (int i = 0; i < c->n_rules; i++)
		if (strcmp(c->rules[i].name, name) == 0)
			return &c->rules[i];
	return NULL;
}

static bool
SetRule(SchemaConv *c, const char *name, const char *body)
{
	SchemaRule *r = FindRule(c, name);

	if (r == NULL)
	{
		if (c->n_rules == c->cap_rules)
		{
			int			cap = c->cap_rules ? c->cap_rules * 2 : 64;
			SchemaRule *grown = realloc(c->rules, sizeof(SchemaRule) * cap);

			if (grown == NULL)
				return false;
			c->rules = grown;
			c->cap_rules = cap;
		}
		r = &c->rules[c->n_rules++];
		r->name = (char *) name;
	}
	r->body = (char *) body;
	return true;
}

/* name with each run of characters other than [a-zA-Z0-9-] made one '-' */
static char *
RuleName(SchemaConv *c, const char *name)
{
	size_t		n = strlen(name);
	char	   *out = ArenaAlloc(c, n + 1);
	size_t		k = 0;

	if (out == NULL)
		return SchemaOutOfMemory(c);
	for (size_t i = 0; i < n;)
	{
		char		ch = name[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			ch == '-')
		{
			out[k++] = ch;
			i++;
			continue;
		}
		out[k++] = '-';
		while (i < n && !((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
						  (name[i] >= '0' && name[i] <= '9') || name[i] == '-'))
			i++;
	}
	out[k] = '\0';
	return out;
}

char *
SchemaAddRule(SchemaConv *c, const char *name, const char *body)
{
	char	   *esc = RuleName(c, name);
	SchemaRule *r;

	if (esc == NULL || body == NULL)
		return NULL;
	r = FindRule(c, esc);
	if (r == NULL || strcmp(r->body, body) == 0)
		return SetRule(c, esc, body) ? esc : SchemaOutOfMemory(c);
	for (int i = 0;; i++)
	{
		char	   *key = SchemaPrintf(c, "%s%d", esc, i);

		if (key == NULL)
			return NULL;
		r = FindRule(c, key);
		if (r == NULL || strcmp(r->body, body) == 0)
			return SetRule(c, key, body) ? key : SchemaOutOfMemory(c);
	}
}

static const Primitive *
FindPrimitive(const char *name)
{
	for (int i = 0; primitives[i].name != NULL; i++)
		if (strcmp(primitives[i].name, name) == 0)
			return &primitives[i];
	return NULL;
}

/* A primitive rule under a name, and the primitives it uses (_add_primitive). */
static char *
AddPrimitive(SchemaConv *c, const char *name, const Primitive *p)
{
	char	   *n = SchemaAddRule(c, name, p->body);

	if (n == NULL)
		return NULL;
	for (int i = 0; i < 6 && p->deps[i] != NULL; i++)
		if (FindRule(c, p->deps[i]) == NULL &&
			AddPrimitive(c, p->deps[i], FindPrimitive(p->deps[i])) == NULL)
			return NULL;
	return n;
}

static bool
IsReserved(const char *name)
{
	return strcmp(name, "root") == 0 || FindPrimitive(name) != NULL;
}

char *
SchemaBuildRepetition(SchemaConv *c, const char *item, int min, int max, const char *sep)
{
	bool		has_max = max >= 0;
	char	   *inner;
	char	   *result;

	if (max == 0)
		return SchemaStrdup(c, "", 0);
	if (min == 0 && max == 1)
		return SchemaPrintf(c, "%s?", item);
	if (sep[0] == '\0')
	{
		if (min == 1 && !has_max)
			return SchemaPrintf(c, "%s+", item);
		if (min == 0 && !has_max)
			return SchemaPrintf(c, "%s*", item);
		if (has_max)
			return SchemaPrintf(c, "%s{%d,%d}", item, min, max);
		return SchemaPrintf(c, "%s{%d,}", item, min);
	}
	inner = SchemaPrintf(c, "(%s %s)", sep, item);
	if (inner == NULL)
		return NULL;
	inner = SchemaBuildRepetition(c, inner, min == 0 ? 0 : min - 1, has_max ? max - 1 : -1, "");
	if (inner == NULL)
		return NULL;
	result = SchemaPrintf(c, "%s %s", item, inner);
	if (result != NULL && min == 0)
		result = SchemaPrintf(c, "(%s)?", result);
	return result;
}

/* ---- paths and small checks ---- */

/* parent.key, or parent["key"] for a key that is not a plain name */
static char *
PathKey(SchemaConv *c, const char *parent, const char *key)
{
	bool		plain = key[0] != '\0' && !(key[0] >= '0' && key[0] <= '9');

	for (const char *k = key; *k && plain; k++)
		plain = (*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
			(*k >= '0' && *k <= '9') || *k == '_' || *k == '$' || *k == '-';
	if (plain)
		return SchemaPrintf(c, "%s.%s", parent, key);
	else
	{
		LlmStrBuf	b = {0};
		char	   *q;

		SchemaFormatLiteral(key, strlen(key), &b);
		q = SchemaTake(c, &b);
		return q ? SchemaPrintf(c, "%s[%s]", parent, q) : NULL;
	}
}

static char *
PathIndex(SchemaConv *c, const char *parent, size_t i)
{
	return SchemaPrintf(c, "%s[%zu]", parent, i);
}

static bool
InList(const char *const *list, const char *s)
{
	for (int i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

static const Keyword *
FindKeyword(const char *name)
{
	for (int i = 0; keywords[i].name != NULL; i++)
		if (strcmp(keywords[i].name, name) == 0)
			return &keywords[i];
	return NULL;
}

/* The mask of a JSON Schema type name, or 0. */
static int
TypeMask(const char *t)
{
	static const struct
	{
		const char *name;
		int			mask;
	}			types[] = {
		{"null", T_NULL}, {"boolean", T_BOOL}, {"integer", T_INT}, {"number", T_NUMBER},
		{"string", T_STR}, {"array", T_ARR}, {"object", T_OBJ}
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].name, t) == 0)
			return types[i].mask;
	return 0;
}

/* The type of a JSON value (a number with no fraction is an integer). */
static int
ValueType(const LlmJsonValue *v)
{
	switch (v->type)
	{
		case LLM_JSON_NULL:
			return T_NULL;
		case LLM_JSON_BOOL:
			return T_BOOL;
		case LLM_JSON_NUMBER:
			return v->number == floor(v->number) ? T_INT : T_FRAC;
		case LLM_JSON_STRING:
			return T_STR;
		case LLM_JSON_ARRAY:
			return T_ARR;
		default:
			return T_OBJ;
	}
}

/* The mask of a schema's "type" (T_ALL when absent). */
static int
SchemaTypeMask(const LlmJsonValue *schema)
{
	const LlmJsonValue *t = LlmJsonGet(schema, "type");
	int			mask = 0;

	if (t == NULL)
		return T_ALL;
	if (t->type == LLM_JSON_STRING)
		return TypeMask(t->string);
	for (size_t i = 0; i < t->count; i++)
		mask |= TypeMask(t->items[i].string);
	return mask;
}

static bool
TypeIs(const LlmJsonValue *type, const char *name)
{
	return type != NULL && type->type == LLM_JSON_STRING && strcmp(type->string, name) == 0;
}

/*
 * Every keyword of schema is an annotation, one of consumed (a NULL-ended
 * list), or a keyword for types other than those the branch produces
 * ("produces"); otherwise an error saying why (after "is not supported").
 */
static bool
CheckKeywords(SchemaConv *c, const LlmJsonValue *schema, const char *path,
			  const char *const *consumed, int produces, const char *why)
{
	for (size_t i = 0; i < schema->count; i++)
	{
		const char *key = schema->keys[i];
		const Keyword *kw;

		if (InList(annotations, key) || InList(consumed, key))
			continue;
		kw = FindKeyword(key);
		if (kw != NULL && (kw->applies & produces) == 0)
			continue;
		SchemaFail(c, path, "keyword \"%s\" is not supported %s", key, why);
		return false;
	}
	return true;
}

/* The first keyword of a schema that this converter does not know. */
static bool
CheckKnown(SchemaConv *c, const LlmJsonValue *schema, const char *path)
{
	for (size_t i = 0; i < schema->count; i++)
	{
		const char *key = schema->keys[i];

		if (InList(annotations, key) || FindKeyword(key) != NULL)
			continue;
		if (strcmp(key, "oneOf") == 0)
			SchemaFail(c, path, "keyword \"oneOf\" is not supported (anyOf is: the grammar cannot make sure only one alternative matches)");
		else if (strcmp(key, "allOf") == 0)
			SchemaFail(c, path, "keyword \"allOf\" is not supported (merge the schemas into one)");
		else if (strcmp(key, "prefixItems") == 0)
			SchemaFail(c, path, "keyword \"prefixItems\" is not supported (tuples are not)");
		else
			SchemaFail(c, path, "keyword \"%s\" is not supported", key);
		return false;
	}
	return true;
}

/* A non-negative integer keyword (-1 when absent), at most 2000. */
static bool
CountKeyword(SchemaConv *c, const LlmJsonValue *schema, const char *key, const char *path,
			 int *out)
{
	const LlmJsonValue *v = LlmJsonGet(schema, key);

	*out = -1;
	if (v == NULL)
		return true;
	if (v->type != LLM_JSON_NUMBER || v->number < 0 || v->number != floor(v->number))
	{
		SchemaFail(c, path, "\"%s\" must be a non-negative integer", key);
		return false;
	}
	if (v->number > LLM_GRAMMAR_MAX_REPETITION)
	{
		SchemaFail(c, path, "\"%s\" is %s, but counts above %d cannot be enforced (llama.cpp would leave it unbounded)",
				   key, v->string, LLM_GRAMMAR_MAX_REPETITION);
		return false;
	}
	*out = (int) v->number;
	return true;
}

/* The (min, max) of two count keywords, max -1 for none. */
static bool
CountRange(SchemaConv *c, const LlmJsonValue *schema, const char *min_key,
		   const char *max_key, const char *path, int *min, int *max)
{
	if (!CountKeyword(c, schema, min_key, path, min) ||
		!CountKeyword(c, schema, max_key, path, max))
		return false;
	if (*min < 0)
		*min = 0;
	if (*max >= 0 && *max < *min)
	{
		SchemaFail(c, path, "\"%s\" is below \"%s\": nothing can match", max_key, min_key);
		return false;
	}
	return true;
}

/* ---- references ---- */

/* A JSON pointer's token, ~1 and ~0 unescaped, into the arena. */
static char *
PointerToken(SchemaConv *c, const char *s, size_t n)
{
	char	   *out = ArenaAlloc(c, n + 1);
	size_t		k = 0;

	if (out == NULL)
		return SchemaOutOfMemory(c);
	for (size_t i = 0; i < n; i++)
	{
		if (s[i] == '~' && i + 1 < n && (s[i + 1] == '0' || s[i + 1] == '1'))
		{
			out[k++] = s[i + 1] == '0' ? '~' : '/';
			i++;
		}
		else
			out[k++] = s[i];
	}
	out[k] = '\0';
	return out;
}

/* A $defs entry of that name anywhere in v (llama.cpp hoists those), or NULL. */
static const LlmJsonValue *
FindNestedDef(const LlmJsonValue *v, const char *name, int depth)
{
	if (depth > LLM_JSON_MAX_DEPTH)
		return NULL;
	if (v->type == LLM_JSON_OBJECT)
	{
		const LlmJsonValue *defs = LlmJsonGet(v, "$defs");
		const LlmJsonValue *hit = defs ? LlmJsonGet(defs, name) : NULL;

		if (hit != NULL)
			return hit;
	}
	if (v->type == LLM_JSON_OBJECT || v->type == LLM_JSON_ARRAY)
		for (size_t i = 0; i < v->count; i++)
		{
			const LlmJsonValue *hit = FindNestedDef(&v->items[i], name, depth + 1);

			if (hit != NULL)
				return hit;
		}
	return NULL;
}

/*
 * The schema a local $ref points to, and its path; NULL after an error
 * (reported only if report).
 */
static const LlmJsonValue *
RefTarget(SchemaConv *c, const char *ref, const char *path, char **target_path, bool report)
{
	const LlmJsonValue *v = c->root;
	const char *p;
	char	   *tpath = SchemaStrdup(c, "$", 1);

	if (tpath == NULL)
		return NULL;
	if (ref[0] != '#' || (ref[1] != '\0' && ref[1] != '/'))
	{
		if (report)
			SchemaFail(c, path, "$ref \"%s\" is not supported: only local references (#/...) are", ref);
		return NULL;
	}
	p = ref + 1;
	while (*p == '/')
	{
		const char *start = ++p;
		char	   *tok;

		while (*p && *p != '/')
			p++;
		tok = PointerToken(c, start, (size_t) (p - start));
		if (tok == NULL)
			return NULL;
		if (v->type == LLM_JSON_OBJECT && LlmJsonGet(v, tok) != NULL)
		{
			v = LlmJsonGet(v, tok);
			tpath = PathKey(c, tpath, tok);
		}
		else if (v->type == LLM_JSON_ARRAY && tok[0] >= '0' && tok[0] <= '9' &&
				 (size_t) strtoul(tok, NULL, 10) < v->count)
		{
			size_t		i = strtoul(tok, NULL, 10);

			v = &v->items[i];
			tpath = PathIndex(c, tpath, i);
		}
		else
		{
			/* "#/$defs/x" may name a $defs nested deeper (llama.cpp hoists them) */
			const LlmJsonValue *nested = NULL;

			if (strncmp(ref, "#/$defs/", 8) == 0 && strchr(ref + 8, '/') == NULL)
			{
				char	   *name = PointerToken(c, ref + 8, strlen(ref + 8));

				if (name == NULL)
					return NULL;
				nested = FindNestedDef(c->root, name, 0);
			}
			if (nested == NULL)
			{
				if (report)
					SchemaFail(c, path, "$ref \"%s\" does not resolve: no \"%s\" in %s", ref, tok, tpath);
				return NULL;
			}
			v = nested;
			tpath = SchemaPrintf(c, "%s (nested $defs)", ref);
			break;
		}
		if (tpath == NULL)
			return NULL;
	}
	*target_path = tpath;
	return v;
}

/* The rule of a $ref (_resolve_ref): "ref" and its pointer as a name. */
static char *
ResolveRef(SchemaConv *c, const char *ref, const char *path)
{
	char	   *ref_name;
	char	   *tpath;
	const LlmJsonValue *target;

	/* the target first: it checks that ref starts with '#' (it may be "") */
	target = RefTarget(c, ref, path, &tpath, true);
	if (target == NULL)
		return NULL;
	ref_name = SchemaPrintf(c, "ref%s", ref + 1);
	if (ref_name == NULL || (ref_name = RuleName(c, ref_name)) == NULL)
		return NULL;
	if (FindRule(c, ref_name) == NULL)
	{
		for (int i = 0; i < c->n_resolving; i++)
			if (strcmp(c->resolving[i], ref) == 0)
				return ref_name;	/* recursive: the rule comes */
		if (c->n_resolving == c->cap_resolving)
		{
			int			cap = c->cap_resolving ? c->cap_resolving * 2 : 16;
			const char **grown = realloc(c->resolving, sizeof(char *) * cap);

			if (grown == NULL)
				return SchemaOutOfMemory(c);
			c->resolving = grown;
			c->cap_resolving = cap;
		}
		c->resolving[c->n_resolving++] = ref;
		ref_name = Visit(c, target, ref_name, tpath);
		c->n_resolving--;
	}
	return ref_name;
}

/*
 * The types a schema may produce, for checking "anyOf" against a "type"
 * beside it; T_ALL when unsure.
 */
static int
TypesOf(SchemaConv *c, const LlmJsonValue *schema, int depth)
{
	const LlmJsonValue *type;
	const LlmJsonValue *v;
	int			mask = 0;
	char	   *tpath;

	if (schema->type != LLM_JSON_OBJECT || depth > 32)
		return T_ALL;
	type = LlmJsonGet(schema, "type");
	if ((v = LlmJsonGet(schema, "$ref")) != NULL && v->type == LLM_JSON_STRING)
	{
		const LlmJsonValue *target = RefTarget(c, v->string, "", &tpath, false);

		return target ? TypesOf(c, target, depth + 1) : T_ALL;
	}
	if ((v = LlmJsonGet(schema, "anyOf")) != NULL && v->type == LLM_JSON_ARRAY)
	{
		for (size_t i = 0; i < v->count; i++)
			mask |= TypesOf(c, &v->items[i], depth + 1);
		return mask;
	}
	if ((v = LlmJsonGet(schema, "const")) != NULL)
		return ValueType(v);
	if ((v = LlmJsonGet(schema, "enum")) != NULL && v->type == LLM_JSON_ARRAY)
	{
		for (size_t i = 0; i < v->count; i++)
			mask |= ValueType(&v->items[i]);
		return mask;
	}
	if (type != NULL)
		return SchemaTypeMask(schema);
	if (LlmJsonGet(schema, "properties") != NULL || LlmJsonGet(schema, "additionalProperties") != NULL)
		return T_OBJ;
	if (LlmJsonGet(schema, "items") != NULL)
		return T_ARR;
	if (LlmJsonGet(schema, "pattern") != NULL || LlmJsonGet(schema, "format") != NULL)
		return T_STR;
	if (schema->count == 0)
		return T_OBJ;
	return T_ALL;
}

/* ---- the branches ---- */

/* Alternatives joined by " | ", named NAME-i or alternative-i. */
static char *
UnionRule(SchemaConv *c, const char *name, const LlmJsonValue *const *alts, size_t n,
		  const char *const *paths)
{
	LlmStrBuf	b = {0};

	for (size_t i = 0; i < n; i++)
	{
		char	   *alt_name = name[0] ? SchemaPrintf(c, "%s-%zu", name, i) :
			SchemaPrintf(c, "alternative-%zu", i);
		char	   *rule = alt_name ? Visit(c, alts[i], alt_name, paths[i]) : NULL;

		if (rule == NULL)
		{
			free(b.data);
			return NULL;
		}
		if (i > 0)
			LlmStrBufAppend(&b, " | ", 3);
		LlmStrBufAppend(&b, rule, strlen(rule));
	}
	return SchemaTake(c, &b);
}

/* A JSON value as a GBNF literal of its text (_generate_constant_rule). */
static bool
ConstantRule(const LlmJsonValue *v, LlmStrBuf *b)
{
	LlmStrBuf	json = {0};

	if (!SchemaDumpJson(v, &json))
	{
		free(json.data);
		return false;
	}
	SchemaFormatLiteral(json.data, json.len, b);
	free(json.data);
	return !b->oom;
}

/* A trie of property names, by code point, for NotStrings. */
typedef struct NameNode
{
	uint32_t	ch;
	int			child;			/* first child, or -1 */
	int			sibling;		/* next sibling (larger ch), or -1 */
	bool		end;
} NameNode;

typedef struct NameTrie
{
	NameNode   *n;
	int			count;
	int			cap;
} NameTrie;

static int
NameTrieAdd(NameTrie *t, uint32_t ch)
{
	if (t->count == t->cap)
	{
		int			cap = t->cap ? t->cap * 2 : 64;
		NameNode   *grown = realloc(t->n, sizeof(NameNode) * cap);

		if (grown == NULL)
			return -1;
		t->n = grown;
		t->cap = cap;
	}
	t->n[t->count] = (NameNode) {ch, -1, -1, false};
	return t->count++;
}

/* The child of node for ch, made if missing (children kept sorted). */
static int
NameTrieChild(NameTrie *t, int node, uint32_t ch)
{
	int			prev = -1;
	int			k = t->n[node].child;
	int			made;

	while (k >= 0 && t->n[k].ch < ch)
	{
		prev = k;
		k = t->n[k].sibling;
	}
	if (k >= 0 && t->n[k].ch == ch)
		return k;
	if ((made = NameTrieAdd(t, ch)) < 0)
		return -1;
	t->n[made].sibling = k;
	if (prev < 0)
		t->n[node].child = made;
	else
		t->n[prev].sibling = made;
	return made;
}

/* A character of a GBNF set, escaped where GBNF needs it. */
static void
SetChar(LlmStrBuf *b, uint32_t cp)
{
	char		u[8];
	int			n;

	if (cp == ']' || cp == '\\' || cp == '-' || cp == '[' || cp == '"' || cp == '^')
	{
		if (cp == '^')
			snprintf(u, sizeof(u), "\\x5E");
		else
			u[0] = '\\', u[1] = (char) cp, u[2] = '\0';
		LlmStrBufAppend(b, u, strlen(u));
		return;
	}
	if (cp < 0x20 || cp == 0x7F)
	{
		snprintf(u, sizeof(u), "\\x%02X", cp);
		LlmStrBufAppend(b, u, 4);
		return;
	}
	if (cp < 0x80)
		u[0] = (char) cp, n = 1;
	else if (cp < 0x800)
		u[0] = (char) (0xC0 | (cp >> 6)), u[1] = (char) (0x80 | (cp & 0x3F)), n = 2;
	else if (cp < 0x10000)
		u[0] = (char) (0xE0 | (cp >> 12)), u[1] = (char) (0x80 | ((cp >> 6) & 0x3F)),
			u[2] = (char) (0x80 | (cp & 0x3F)), n = 3;
	else
		u[0] = (char) (0xF0 | (cp >> 18)), u[1] = (char) (0x80 | ((cp >> 12) & 0x3F)),
			u[2] = (char) (0x80 | ((cp >> 6) & 0x3F)), u[3] = (char) (0x80 | (cp & 0x3F)), n = 4;
	LlmStrBufAppend(b, u, n);
}

static void
NotStringsNode(const NameTrie *t, int node, const char *char_rule, LlmStrBuf *b)
{
	LlmStrBuf	rejects = {0};
	bool		first = true;

	for (int k = t->n[node].child; k >= 0; k = t->n[k].sibling)
	{
		SetChar(&rejects, t->n[k].ch);
		if (!first)
			LlmStrBufAppend(b, " | ", 3);
		first = false;
		LlmStrBufAppend(b, "[", 1);
		SetChar(b, t->n[k].ch);
		LlmStrBufAppend(b, "]", 1);
		if (t->n[k].child >= 0)
		{
			LlmStrBufAppend(b, " (", 2);
			NotStringsNode(t, k, char_rule, b);
			LlmStrBufAppend(b, ")", 1);
		}
		else if (t->n[k].end)
		{
			LlmStrBufAppend(b, " ", 1);
			LlmStrBufAppend(b, char_rule, strlen(char_rule));
			LlmStrBufAppend(b, "+", 1);
		}
	}
	if (t->n[node].child >= 0)
	{
		if (!first)
			LlmStrBufAppend(b, " | ", 3);
		LlmStrBufAppend(b, "[^\"", 3);
		LlmStrBufAppend(b, rejects.data, rejects.len);
		LlmStrBufAppend(b, "] ", 2);
		LlmStrBufAppend(b, char_rule, strlen(char_rule));
		LlmStrBufAppend(b, "*", 1);
	}
	if (rejects.oom)
		b->oom = true;
	free(rejects.data);
}

/* A JSON string that is none of the names (_not_strings). */
static char *
NotStrings(SchemaConv *c, const LlmJsonValue *props)
{
	NameTrie	t = {0};
	LlmStrBuf	b = {0};
	char	   *char_rule = AddPrimitive(c, "char", FindPrimitive("char"));

	if (char_rule == NULL)
		return NULL;
	if (NameTrieAdd(&t, 0) < 0)
		return SchemaOutOfMemory(c);
	for (size_t i = 0; i < props->count; i++)
	{
		const unsigned char *s = (const unsigned char *) props->keys[i];
		int			node = 0;

		while (*s && node >= 0)
		{
			uint32_t	cp = *s;
			int			len = cp < 0x80 ? 1 : cp < 0xE0 ? 2 : cp < 0xF0 ? 3 : 4;

			if (len > 1)
			{
				cp &= len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07;
				for (int k = 1; k < len; k++)
					cp = (cp << 6) | (s[k] & 0x3F);
			}
			s += len;
			node = NameTrieChild(&t, node, cp);
		}
		if (node < 0)
		{
			free(t.n);
			return SchemaOutOfMemory(c);
		}
		t.n[node].end = true;
	}
	LlmStrBufAppend(&b, "[\"] ( ", 6);
	NotStringsNode(&t, 0, char_rule, &b);
	LlmStrBufAppend(&b, " )", 2);
	if (!t.n[0].end)
		LlmStrBufAppend(&b, "?", 1);
	LlmStrBufAppend(&b, " [\"] space", 10);
	free(t.n);
	return SchemaTake(c, &b);
}

/* (_build_object_rule) what a list of optional properties may hold from k on */
static char *
RecursiveRefs(SchemaConv *c, const char *name, char **keys, char **kv, int n, bool star_last,
			  int k, bool first_is_optional)
{
	bool		star = star_last && k == n - 1;
	char	   *comma_ref = SchemaPrintf(c, "( \",\" space %s )", kv[k]);
	char	   *res;

	if (comma_ref == NULL)
		return NULL;
	if (first_is_optional)
		res = SchemaPrintf(c, "%s%s", comma_ref, star ? "*" : "?");
	else if (star)
		res = SchemaPrintf(c, "%s %s*", kv[k], comma_ref);
	else
		res = SchemaStrdup(c, kv[k], strlen(kv[k]));
	if (res != NULL && k + 1 < n)
	{
		char	   *rest_name = name[0] ? SchemaPrintf(c, "%s-%s-rest", name, keys[k]) :
			SchemaPrintf(c, "%s-rest", keys[k]);
		char	   *rest = RecursiveRefs(c, name, keys, kv, n, star_last, k + 1, true);

		rest = rest && rest_name ? SchemaAddRule(c, rest_name, rest) : NULL;
		res = rest ? SchemaPrintf(c, "%s %s", res, rest) : NULL;
	}
	return res;
}

static bool
InRequired(const LlmJsonValue *required, const char *key)
{
	for (size_t i = 0; required != NULL && i < required->count; i++)
		if (strcmp(required->items[i].string, key) == 0)
			return true;
	return false;
}

/* An object of these properties (_build_object_rule). */
static char *
ObjectRule(SchemaConv *c, const LlmJsonValue *props, const LlmJsonValue *required,
		   const char *name, const LlmJsonValue *additional, const char *path)
{
	size_t		n = props ? props->count : 0;
	char	  **req_kv = calloc(n + 1, sizeof(char *));
	char	  **opt_kv = calloc(n + 1, sizeof(char *));
	char	  **opt_key = calloc(n + 1, sizeof(char *));
	int			n_req = 0;
	int			n_opt = 0;
	bool		star = false;
	LlmStrBuf	b = {0};
	char	   *out = NULL;
	char	   *props_path = PathKey(c, path, "properties");

	if (req_kv == NULL || opt_kv == NULL || opt_key == NULL)
	{
		SchemaOutOfMemory(c);
		goto done;
	}
	if (props_path == NULL)
		goto done;
	for (size_t i = 0; i < n; i++)
	{
		const char *key = props->keys[i];
		char	   *sub = name[0] ? SchemaPrintf(c, "%s-%s", name, key) : SchemaStrdup(c, key, strlen(key));
		char	   *ppath = PathKey(c, props_path, key);
		char	   *prop_rule = sub && ppath ? Visit(c, &props->items[i], sub, ppath) : NULL;
		LlmStrBuf	kv = {0};
		LlmStrBuf	dumped = {0};
		char	   *kv_rule;
		LlmJsonValue key_value = {0};

		if (prop_rule == NULL)
			goto done;
		key_value.type = LLM_JSON_STRING;
		key_value.string = (char *) key;
		key_value.len = strlen(key);
		SchemaDumpJson(&key_value, &dumped);
		SchemaFormatLiteral(dumped.data ? dumped.data : "", dumped.len, &kv);
		free(dumped.data);
		LlmStrBufAppend(&kv, " space \":\" space ", 17);
		LlmStrBufAppend(&kv, prop_rule, strlen(prop_rule));
		kv_rule = SchemaTake(c, &kv);
		sub = kv_rule ? SchemaPrintf(c, "%s-kv", sub) : NULL;
		kv_rule = sub ? SchemaAddRule(c, sub, kv_rule) : NULL;
		if (kv_rule == NULL)
			goto done;
		if (InRequired(required, key))
			req_kv[n_req++] = kv_rule;
		else
		{
			opt_key[n_opt] = (char *) key;
			opt_kv[n_opt++] = kv_rule;
		}
	}
	if (additional != NULL && ((additional->type == LLM_JSON_BOOL && additional->boolean) ||
							   additional->type == LLM_JSON_OBJECT))
	{
		char	   *sub_name = name[0] ? SchemaPrintf(c, "%s-additional", name) :
			SchemaStrdup(c, "additional", 10);
		char	   *value_rule;
		char	   *key_rule;
		char	   *kv_rule;

		if (sub_name == NULL)
			goto done;
		if (additional->type == LLM_JSON_OBJECT)
		{
			char	   *vname = SchemaPrintf(c, "%s-value", sub_name);
			char	   *apath = PathKey(c, path, "additionalProperties");

			value_rule = vname && apath ? Visit(c, additional, vname, apath) : NULL;
		}
		else
			value_rule = AddPrimitive(c, "value", FindPrimitive("value"));
		if (value_rule == NULL)
			goto done;
		if (n == 0)
			key_rule = AddPrimitive(c, "string", FindPrimitive("string"));
		else
		{
			char	   *kname = SchemaPrintf(c, "%s-k", sub_name);
			char	   *body = kname ? NotStrings(c, props) : NULL;

			key_rule = body ? SchemaAddRule(c, kname, body) : NULL;
		}
		kv_rule = key_rule ? SchemaPrintf(c, "%s \":\" space %s", key_rule, value_rule) : NULL;
		sub_name = kv_rule ? SchemaPrintf(c, "%s-kv", sub_name) : NULL;
		kv_rule = sub_name ? SchemaAddRule(c, sub_name, kv_rule) : NULL;
		if (kv_rule == NULL)
			goto done;
		opt_key[n_opt] = (char *) "*";
		opt_kv[n_opt++] = kv_rule;
		star = true;
	}

	LlmStrBufAppend(&b, "\"{\" space ", 10);
	for (int i = 0; i < n_req; i++)
	{
		if (i > 0)
			LlmStrBufAppend(&b, " \",\" space ", 11);
		LlmStrBufAppend(&b, req_kv[i], strlen(req_kv[i]));
	}
	if (n_opt > 0)
	{
		LlmStrBufAppend(&b, " (", 2);
		if (n_req > 0)
			LlmStrBufAppend(&b, " \",\" space ( ", 13);
		for (int i = 0; i < n_opt; i++)
		{
			char	   *alt = RecursiveRefs(c, name, opt_key, opt_kv, n_opt, star, i, false);

			if (alt == NULL)
			{
				free(b.data);
				goto done;
			}
			if (i > 0)
				LlmStrBufAppend(&b, " | ", 3);
			LlmStrBufAppend(&b, alt, strlen(alt));
		}
		if (n_req > 0)
			LlmStrBufAppend(&b, " )", 2);
		LlmStrBufAppend(&b, " )?", 3);
	}
	LlmStrBufAppend(&b, " \"}\" space", 10);
	out = SchemaTake(c, &b);

done:
	free(req_kv);
	free(opt_kv);
	free(opt_key);
	return out;
}

/* The checks of an object branch's keywords. */
static bool
CheckObject(SchemaConv *c, const LlmJsonValue *schema, const char *path)
{
	const LlmJsonValue *props = LlmJsonGet(schema, "properties");
	const LlmJsonValue *required = LlmJsonGet(schema, "required");
	const LlmJsonValue *additional = LlmJsonGet(schema, "additionalProperties");

	if (props != NULL && props->type != LLM_JSON_OBJECT)
		return SchemaFail(c, path, "\"properties\" must be an object") != NULL;
	for (size_t i = 0; props != NULL && i < props->count; i++)
	{
		if (props->keys[i][0] == '\0')
			return SchemaFail(c, path, "an empty property name is not supported") != NULL;
		for (size_t j = 0; j < i; j++)
			if (strcmp(props->keys[i], props->keys[j]) == 0)
				return SchemaFail(c, path, "property \"%s\" is defined twice", props->keys[i]) != NULL;
	}
	if (required != NULL)
	{
		if (required->type != LLM_JSON_ARRAY)
			return SchemaFail(c, path, "\"required\" must be an array of property names") != NULL;
		for (size_t i = 0; i < required->count; i++)
		{
			if (required->items[i].type != LLM_JSON_STRING)
				return SchemaFail(c, path, "\"required\" must be an array of property names") != NULL;
			if (LlmJsonGet(props, required->items[i].string) == NULL)
				return SchemaFail(c, path, "required property \"%s\" is not in \"properties\" (it could not be generated)",
								  required->items[i].string) != NULL;
		}
	}
	if (additional != NULL && additional->type != LLM_JSON_BOOL && additional->type != LLM_JSON_OBJECT)
		return SchemaFail(c, path, "\"additionalProperties\" must be a boolean or a schema") != NULL;
	return true;
}

/* The bounds of an integer from minimum, maximum and their exclusive forms. */
static bool
IntegerBounds(SchemaConv *c, const LlmJsonValue *schema, const char *path, int64_t *min,
			  int64_t *max)
{
	static const char *const keys[] = {"minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"};
	double		lo = -INFINITY;
	double		hi = INFINITY;

	for (int k = 0; k < 4; k++)
	{
		const LlmJsonValue *v = LlmJsonGet(schema, keys[k]);
		double		x;

		if (v == NULL)
			continue;
		if (v->type != LLM_JSON_NUMBER)
			return SchemaFail(c, path, "\"%s\" must be a number", keys[k]) != NULL;
		if (fabs(v->number) > 1e15)
			return SchemaFail(c, path, "\"%s\" is %s: bounds beyond 10^15 are not supported",
							  keys[k], v->string) != NULL;
		/* the tightest integer bound each gives */
		x = k == 0 ? ceil(v->number) : k == 1 ? floor(v->number) + 1 :
			k == 2 ? floor(v->number) : ceil(v->number) - 1;
		if (k < 2 && x > lo)
			lo = x;
		if (k >= 2 && x < hi)
			hi = x;
	}
	if (lo > hi)
		return SchemaFail(c, path, "no integer is within the bounds") != NULL;
	*min = isinf(lo) ? INT64_MIN : (int64_t) lo;
	*max = isinf(hi) ? INT64_MAX : (int64_t) hi;
	return true;
}

/* A copy of an object schema with "type" set to one of its types. */
static const LlmJsonValue *
WithType(SchemaConv *c, const LlmJsonValue *schema, const LlmJsonValue *type)
{
	LlmJsonValue *copy = ArenaAlloc(c, sizeof(LlmJsonValue));
	LlmJsonValue *items = ArenaAlloc(c, sizeof(LlmJsonValue) * schema->count);

	if (copy == NULL || items == NULL)
		return (const LlmJsonValue *) SchemaOutOfMemory(c);
	*copy = *schema;
	memcpy(items, schema->items, sizeof(LlmJsonValue) * schema->count);
	for (size_t i = 0; i < schema->count; i++)
		if (strcmp(schema->keys[i], "type") == 0)
			items[i] = *type;
	copy->items = items;
	return copy;
}

/* The checks of "type": a known name, or an array of distinct ones. */
static bool
CheckType(SchemaConv *c, const LlmJsonValue *type, const char *path)
{
	if (type->type == LLM_JSON_STRING)
	{
		if (TypeMask(type->string) == 0)
			return SchemaFail(c, path, "unknown type \"%s\" (string, number, integer, boolean, null, object and array are the types)",
							  type->string) != NULL;
		return true;
	}
	if (type->type != LLM_JSON_ARRAY || type->count == 0)
		return SchemaFail(c, path, "\"type\" must be a type name or a non-empty array of them") != NULL;
	for (size_t i = 0; i < type->count; i++)
	{
		if (!CheckType(c, &type->items[i], path))
			return false;
		if (type->items[i].type != LLM_JSON_STRING)
			return SchemaFail(c, path, "\"type\" must be a type name or a non-empty array of them") != NULL;
		for (size_t j = 0; j < i; j++)
			if (strcmp(type->items[i].string, type->items[j].string) == 0)
				return SchemaFail(c, path, "type \"%s\" is listed twice", type->items[i].string) != NULL;
	}
	return true;
}

/* The types of the values of a const or enum (0 if malformed). */
static int
ValuesTypes(const LlmJsonValue *schema)
{
	const LlmJsonValue *v = LlmJsonGet(schema, "const");
	int			mask = 0;

	if (v != NULL)
		return ValueType(v);
	v = LlmJsonGet(schema, "enum");
	for (size_t i = 0; v != NULL && v->type == LLM_JSON_ARRAY && i < v->count; i++)
		mask |= ValueType(&v->items[i]);
	return mask;
}

/*
 * const or enum: the values of a type "type" allows (the others cannot be
 * valid; llama.cpp writes them all).
 */
static char *
ValuesRule(SchemaConv *c, const LlmJsonValue *schema, const char *rule_name, const char *path,
		   const LlmJsonValue *values, bool is_const)
{
	static const char *const consumed[] = {"type", "const", "enum", NULL};
	int			allowed = SchemaTypeMask(schema);
	LlmStrBuf	b = {0};
	size_t		n = is_const ? 1 : values->count;
	int			kept = 0;
	char	   *body;

	if (!CheckKeywords(c, schema, path, consumed, T_ALL,
					   is_const ? "next to \"const\"" : "next to \"enum\""))
		return NULL;
	if (!is_const && (values->type != LLM_JSON_ARRAY || values->count == 0))
		return SchemaFail(c, path, "\"enum\" must be a non-empty array");
	if (LlmJsonGet(schema, "const") != NULL && LlmJsonGet(schema, "enum") != NULL)
		return SchemaFail(c, path, "\"const\" and \"enum\" together are not supported");
	if (!is_const)
		LlmStrBufAppend(&b, "(", 1);
	for (size_t i = 0; i < n; i++)
	{
		const LlmJsonValue *v = is_const ? values : &values->items[i];

		if ((ValueType(v) & allowed) == 0)
			continue;
		if (kept++ > 0)
			LlmStrBufAppend(&b, " | ", 3);
		ConstantRule(v, &b);
	}
	LlmStrBufAppend(&b, is_const ? " space" : ") space", is_const ? 6 : 7);
	if (kept == 0)
	{
		free(b.data);
		return SchemaFail(c, path, "no value of \"%s\" is of the schema's \"type\"",
						  is_const ? "const" : "enum");
	}
	body = SchemaTake(c, &b);
	return body ? SchemaAddRule(c, rule_name, body) : NULL;
}

/*
 * The rule of a schema under a name (visit): see the file's comment for
 * the order of the branches.
 */
static char *
Visit(SchemaConv *c, const LlmJsonValue *schema, const char *name, const char *path)
{
	const LlmJsonValue *type;
	const LlmJsonValue *v;
	const LlmJsonValue *format;
	const char *rule_name;
	bool		untyped;

	if (c->status != LLM_OK)
		return NULL;
	if (schema->type == LLM_JSON_BOOL)
		return SchemaFail(c, path, "a boolean schema (true or false) is not supported here");
	if (schema->type != LLM_JSON_OBJECT)
		return SchemaFail(c, path, "a schema must be a JSON object");
	if (!CheckKnown(c, schema, path))
		return NULL;
	type = LlmJsonGet(schema, "type");
	if (type != NULL && !CheckType(c, type, path))
		return NULL;
	untyped = type == NULL;
	format = LlmJsonGet(schema, "format");
	if (format != NULL && format->type != LLM_JSON_STRING)
		return SchemaFail(c, path, "\"format\" must be a string");
	rule_name = IsReserved(name) ? SchemaPrintf(c, "%s-", name) : name[0] ? name : "root";
	if (rule_name == NULL)
		return NULL;

	/* $ref: nothing beside it counts (in llama.cpp's draft 7 reading) */
	if ((v = LlmJsonGet(schema, "$ref")) != NULL)
	{
		static const char *const consumed[] = {"$ref", NULL};
		char	   *ref_rule;

		if (v->type != LLM_JSON_STRING)
			return SchemaFail(c, path, "\"$ref\" must be a string");
		if (!CheckKeywords(c, schema, path, consumed, T_ALL, "next to \"$ref\""))
			return NULL;
		ref_rule = ResolveRef(c, v->string, path);
		return ref_rule ? SchemaAddRule(c, rule_name, ref_rule) : NULL;
	}

	/* anyOf: a "type" beside it must allow whatever the alternatives give */
	if ((v = LlmJsonGet(schema, "anyOf")) != NULL)
	{
		static const char *const consumed[] = {"anyOf", "type", NULL};
		const LlmJsonValue **alts;
		const char **paths;
		char	   *apath = PathKey(c, path, "anyOf");
		char	   *body;
		int			allowed = SchemaTypeMask(schema);

		if (v->type != LLM_JSON_ARRAY || v->count == 0)
			return SchemaFail(c, path, "\"anyOf\" must be a non-empty array of schemas");
		if (!CheckKeywords(c, schema, path, consumed, T_ALL, "next to \"anyOf\" (move it into each alternative)"))
			return NULL;
		alts = ArenaAlloc(c, sizeof(LlmJsonValue *) * v->count);
		paths = ArenaAlloc(c, sizeof(char *) * v->count);
		if (alts == NULL || paths == NULL || apath == NULL)
			return SchemaOutOfMemory(c);
		for (size_t i = 0; i < v->count; i++)
		{
			if ((paths[i] = PathIndex(c, apath, i)) == NULL)
				return NULL;
			if ((TypesOf(c, &v->items[i], 0) & ~allowed) != 0)
				return SchemaFail(c, paths[i],
								  "this alternative may give values that the \"type\" beside \"anyOf\" excludes");
			alts[i] = &v->items[i];
		}
		body = UnionRule(c, name, alts, v->count, paths);
		return body ? SchemaAddRule(c, rule_name, body) : NULL;
	}

	/*
	 * A union of types: the schema once per type; with const or enum, once
	 * per type one of the values has.
	 */
	if (type != NULL && type->type == LLM_JSON_ARRAY)
	{
		const LlmJsonValue **alts = ArenaAlloc(c, sizeof(LlmJsonValue *) * type->count);
		const char **paths = ArenaAlloc(c, sizeof(char *) * type->count);
		int			values = ValuesTypes(schema);
		size_t		n = 0;
		char	   *body;

		if (alts == NULL || paths == NULL)
			return SchemaOutOfMemory(c);
		for (size_t i = 0; i < type->count; i++)
		{
			if (values != 0 && (TypeMask(type->items[i].string) & values) == 0)
				continue;
			if ((alts[n] = WithType(c, schema, &type->items[i])) == NULL)
				return NULL;
			paths[n++] = path;
		}
		if (n == 0)
			return SchemaFail(c, path, "no value of \"%s\" is of the schema's \"type\"",
							  LlmJsonGet(schema, "const") ? "const" : "enum");
		body = UnionRule(c, name, alts, n, paths);
		return body ? SchemaAddRule(c, rule_name, body) : NULL;
	}

	if ((v = LlmJsonGet(schema, "const")) != NULL)
		return ValuesRule(c, schema, rule_name, path, v, true);
	if ((v = LlmJsonGet(schema, "enum")) != NULL)
		return ValuesRule(c, schema, rule_name, path, v, false);

	/* an object with properties, or with additionalProperties but true */
	if ((untyped || TypeIs(type, "object")) &&
		(LlmJsonGet(schema, "properties") != NULL ||
		 ((v = LlmJsonGet(schema, "additionalProperties")) != NULL &&
		  !(v->type == LLM_JSON_BOOL && v->boolean))))
	{
		static const char *const consumed[] = {"type", "properties", "required", "additionalProperties", NULL};
		char	   *body;

		if (!CheckObject(c, schema, path) || !CheckKeywords(c, schema, path, consumed, T_OBJ, "on an object"))
			return NULL;
		body = ObjectRule(c, LlmJsonGet(schema, "properties"), LlmJsonGet(schema, "required"), name,
						  LlmJsonGet(schema, "additionalProperties"), path);
		return body ? SchemaAddRule(c, rule_name, body) : NULL;
	}

	/* an array of items (or, beyond llama.cpp, of any values when counted) */
	if (((untyped || TypeIs(type, "array")) && LlmJsonGet(schema, "items") != NULL) ||
		(TypeIs(type, "array") &&
		 (LlmJsonGet(schema, "minItems") != NULL || LlmJsonGet(schema, "maxItems") != NULL)))
	{
		static const char *const consumed[] = {"type", "items", "minItems", "maxItems", NULL};
		const LlmJsonValue *items = LlmJsonGet(schema, "items");
		char	   *item_rule;
		char	   *rep;
		int			min;
		int			max;

		if (!CheckKeywords(c, schema, path, consumed, T_ARR, "on an array") ||
			!CountRange(c, schema, "minItems", "maxItems", path, &min, &max))
			return NULL;
		if (items != NULL && items->type == LLM_JSON_ARRAY)
			return SchemaFail(c, path, "\"items\" as an array (a tuple) is not supported");
		if (items != NULL)
		{
			char	   *iname = name[0] ? SchemaPrintf(c, "%s-item", name) : "item";
			char	   *ipath = PathKey(c, path, "items");

			item_rule = iname && ipath ? Visit(c, items, iname, ipath) : NULL;
		}
		else
			item_rule = AddPrimitive(c, "value", FindPrimitive("value"));
		rep = item_rule ? SchemaBuildRepetition(c, item_rule, min, max, "\",\" space") : NULL;
		rep = rep ? SchemaPrintf(c, "\"[\" space %s \"]\" space", rep) : NULL;
		return rep ? SchemaAddRule(c, rule_name, rep) : NULL;
	}

	/* a pattern */
	if ((untyped || TypeIs(type, "string")) && (v = LlmJsonGet(schema, "pattern")) != NULL)
	{
		static const char *const consumed[] = {"type", "pattern", NULL};

		if (v->type != LLM_JSON_STRING)
			return SchemaFail(c, path, "\"pattern\" must be a string");
		if (!CheckKeywords(c, schema, path, consumed, T_STR, "next to \"pattern\""))
			return NULL;
		return SchemaPattern(c, v->string, rule_name, path);
	}

	/* a format */
	if ((untyped || TypeIs(type, "string")) && format != NULL)
	{
		static const char *const consumed[] = {"type", "format", NULL};
		const char *f = format->string;
		bool		uuid = strncmp(f, "uuid", 4) == 0 &&
			(f[4] == '\0' || (f[4] >= '1' && f[4] <= '5' && f[5] == '\0'));
		char	   *prim;

		if (!CheckKeywords(c, schema, path, consumed, T_STR, "next to \"format\""))
			return NULL;
		if (uuid)
			return AddPrimitive(c, strcmp(rule_name, "root") == 0 ? "root" : f, FindPrimitive("uuid"));
		if (strcmp(f, "date") != 0 && strcmp(f, "time") != 0 && strcmp(f, "date-time") != 0)
			return SchemaFail(c, path, "format \"%s\" is not supported (date, time, date-time and uuid are)", f);
		prim = SchemaPrintf(c, "%s-string", f);
		prim = prim ? AddPrimitive(c, prim, FindPrimitive(prim)) : NULL;
		return prim ? SchemaAddRule(c, rule_name, prim) : NULL;
	}

	/* a string of bounded length */
	if (TypeIs(type, "string") &&
		(LlmJsonGet(schema, "minLength") != NULL || LlmJsonGet(schema, "maxLength") != NULL))
	{
		static const char *const consumed[] = {"type", "minLength", "maxLength", NULL};
		char	   *char_rule;
		char	   *rep;
		int			min;
		int			max;

		if (!CheckKeywords(c, schema, path, consumed, T_STR, "on a string") ||
			!CountRange(c, schema, "minLength", "maxLength", path, &min, &max))
			return NULL;
		char_rule = AddPrimitive(c, "char", FindPrimitive("char"));
		rep = char_rule ? SchemaBuildRepetition(c, char_rule, min, max, "") : NULL;
		rep = rep ? SchemaPrintf(c, "\"\\\"\" %s \"\\\"\" space", rep) : NULL;
		return rep ? SchemaAddRule(c, rule_name, rep) : NULL;
	}

	/* an integer within bounds */
	if (TypeIs(type, "integer") &&
		(LlmJsonGet(schema, "minimum") != NULL || LlmJsonGet(schema, "exclusiveMinimum") != NULL ||
		 LlmJsonGet(schema, "maximum") != NULL || LlmJsonGet(schema, "exclusiveMaximum") != NULL))
	{
		static const char *const consumed[] = {"type", "minimum", "maximum", "exclusiveMinimum",
		"exclusiveMaximum", NULL};
		LlmStrBuf	b = {0};
		int64_t		min = 0;
		int64_t		max = 0;
		char	   *body;

		if (!CheckKeywords(c, schema, path, consumed, T_INT, "on an integer") ||
			!IntegerBounds(c, schema, path, &min, &max))
			return NULL;
		LlmStrBufAppend(&b, "(", 1);
		SchemaIntRange(min, max, &b);
		LlmStrBufAppend(&b, ") space", 7);
		body = SchemaTake(c, &b);
		return body ? SchemaAddRule(c, rule_name, body) : NULL;
	}

	/* {} and objects of anything: llama.cpp's object rule */
	if (schema->count == 0 || TypeIs(type, "object"))
	{
		static const char *const consumed[] = {"type", "additionalProperties", NULL};
		char	   *prim;

		if (!CheckKeywords(c, schema, path, consumed, T_OBJ, "on an object"))
			return NULL;
		prim = AddPrimitive(c, "object", FindPrimitive("object"));
		return prim ? SchemaAddRule(c, rule_name, prim) : NULL;
	}

	/* no type, and nothing that gives one: any value */
	if (untyped)
	{
		static const char *const consumed[] = {NULL};
		char	   *prim;

		if (!CheckKeywords(c, schema, path, consumed, T_ALL,
						   "on a schema without \"type\" (say which type it constrains)"))
			return NULL;
		prim = AddPrimitive(c, "value", FindPrimitive("value"));
		return prim ? SchemaAddRule(c, rule_name, prim) : NULL;
	}

	/* a plain type */
	{
		static const char *const consumed[] = {"type", NULL};

		if (!CheckKeywords(c, schema, path, consumed, SchemaTypeMask(schema),
						   TypeIs(type, "number") ? "on a number that may be fractional (bounds are supported on integers)" :
						   "here"))
			return NULL;
		return AddPrimitive(c, strcmp(rule_name, "root") == 0 ? "root" : type->string,
							FindPrimitive(type->string));
	}
}

/* ---- the whole conversion ---- */

static int
RuleCmp(const void *a, const void *b)
{
	return strcmp(((const SchemaRule *) a)->name, ((const SchemaRule *) b)->name);
}

LlmStatus
LlmJsonSchemaToGbnf(const char *schema, size_t len, char **gbnf, LlmError *err)
{
	SchemaConv	c = {0};
	LlmJsonValue *root;
	char		msg[LLM_ERROR_MESSAGE_SIZE];
	LlmStrBuf	b = {0};

	*gbnf = NULL;
	c.err = err;
	root = LlmJsonParse(schema, len, msg, sizeof(msg));
	if (root == NULL)
		return LlmSetError(err, strcmp(msg, "out of memory") == 0 ? LLM_ERR_NOMEM : LLM_ERR_ARGUMENT,
						   "%s", msg);
	c.root = root;
	if (!SetRule(&c, "space", SPACE_RULE))
		SchemaOutOfMemory(&c);
	if (c.status == LLM_OK)
		(void) Visit(&c, root, "", "$");
	if (c.status == LLM_OK)
	{
		qsort(c.rules, c.n_rules, sizeof(SchemaRule), RuleCmp);
		for (int i = 0; i < c.n_rules; i++)
		{
			LlmStrBufAppend(&b, c.rules[i].name, strlen(c.rules[i].name));
			LlmStrBufAppend(&b, " ::= ", 5);
			LlmStrBufAppend(&b, c.rules[i].body, strlen(c.rules[i].body));
			LlmStrBufAppend(&b, "\n", 1);
		}
		if (b.oom)
		{
			free(b.data);
			SchemaOutOfMemory(&c);
		}
		else
			*gbnf = b.data;
	}
	while (c.arena != NULL)
	{
		SchemaArenaBlock *next = c.arena->next;

		free(c.arena);
		c.arena = next;
	}
	free(c.rules);
	free(c.resolving);
	LlmJsonFree(root);
	return c.status;
}

LlmStatus
LlmGrammarFromJsonSchema(const char *schema, size_t len, LlmGrammar **out, LlmError *err)
{
	char	   *gbnf;
	LlmStatus	s;

	*out = NULL;
	s = LlmJsonSchemaToGbnf(schema, len, &gbnf, err);
	if (s != LLM_OK)
		return s;
	s = LlmGrammarParse(gbnf, strlen(gbnf), out, err);
	if (s != LLM_OK)
	{
		char		msg[LLM_ERROR_MESSAGE_SIZE];

		memcpy(msg, err->message, sizeof(msg));
		LlmSetError(err, s, "the grammar made from the JSON Schema does not parse: %s", msg);
	}
	free(gbnf);
	return s;
}
