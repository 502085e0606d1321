/*-------------------------------------------------------------------------
 *
 * test_json.c
 *	  Unit tests of the engine's JSON reader (src/engine/json/json.c) and of
 *	  llm-cli's reading of JSON files (tools/cli_input.c).
 *
 * Run from the repository root, so that the parity references are found at
 * ../shared/parity.
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L	/* mkstemp, unlink */

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_input.h"
#include "json/json.h"
#include "unit.h"

#define PARITY_DIR "../shared/parity"

static LlmJsonValue *
ParseText(const char *text, char *err, size_t errlen)
{
	return LlmJsonParse(text, strlen(text), err, errlen);
}

/*
 * Parse text[0..len), expect failure with a message containing want.
 * Takes the caller's line so that failures point at the test case.
 */
static void
ExpectErrorN(const char *text, size_t len, const char *want, int line)
{
	char		err[256];
	LlmJsonValue *v;

	strcpy(err, "(untouched)");
	v = LlmJsonParse(text, len, err, sizeof(err));
	CHECK(v == NULL && strstr(err, want) != NULL,
		  "test at line %d: expected an error containing \"%s\", got %s \"%s\"",
		  line, want, v ? "success," : "error", err);
	LlmJsonFree(v);
}

#define EXPECT_ERROR(text, want) \
	ExpectErrorN((text), strlen(text), (want), __LINE__)
#define EXPECT_ERROR_N(text, want) \
	ExpectErrorN((text), sizeof(text) - 1, (want), __LINE__)

static void
TestScalars(void)
{
	char		err[256];
	LlmJsonValue *v;

	v = ParseText("null", err, sizeof(err));
	CHECK(v != NULL && v->type == LLM_JSON_NULL, "null: %s", err);
	CHECK(err[0] == '\0', "errbuf cleared on success");
	LlmJsonFree(v);

	v = ParseText("true", err, sizeof(err));
	CHECK(v != NULL && v->type == LLM_JSON_BOOL && v->boolean, "true: %s", err);
	LlmJsonFree(v);

	v = ParseText("false", err, sizeof(err));
	CHECK(v != NULL && v->type == LLM_JSON_BOOL && !v->boolean, "false: %s", err);
	LlmJsonFree(v);

	v = ParseText("42", err, sizeof(err));
	CHECK(v != NULL && v->type == LLM_JSON_NUMBER && v->number == 42.0,
		  "42: %s", err);
	LlmJsonFree(v);

	v = ParseText("\"hello\"", err, sizeof(err));
	CHECK(v != NULL && v->type == LLM_JSON_STRING &&
		  strcmp(v->string, "hello") == 0 && v->len == 5, "string: %s", err);
	LlmJsonFree(v);

	v = ParseText("\"\"", err, sizeof(err));
	CHECK(v != NULL && v->type == LLM_JSON_STRING && v->string != NULL &&
		  v->string[0] == '\0' && v->len == 0, "empty string: %s", err);
	LlmJsonFree(v);

	v = ParseText("[]", err, sizeof(err));
	CHECK(v != NULL && v->type == LLM_JSON_ARRAY && v->count == 0,
		  "empty array: %s", err);
	CHECK(LlmJsonAt(v, 0) == NULL, "LlmJsonAt on an empty array");
	LlmJsonFree(v);

	v = ParseText("{}", err, sizeof(err));
	CHECK(v != NULL && v->type == LLM_JSON_OBJECT && v->count == 0,
		  "empty object: %s", err);
	CHECK(LlmJsonGet(v, "a") == NULL, "LlmJsonGet on an empty object");
	LlmJsonFree(v);

	/* all four whitespace characters, before, inside and after */
	v = ParseText(" \t\r\n [ 1 ,\n\t2\r\n, { \"k\" :\t\"v\" } ] \n\t\r ",
				  err, sizeof(err));
	CHECK(v != NULL && v->type == LLM_JSON_ARRAY && v->count == 3 &&
		  LlmJsonAt(v, 1)->number == 2.0 &&
		  strcmp(LlmJsonGetString(LlmJsonAt(v, 2), "k", ""), "v") == 0,
		  "whitespace: %s", err);
	LlmJsonFree(v);

	/* a byte order mark is ignored */
	v = ParseText("\xEF\xBB\xBF{\"a\":1}", err, sizeof(err));
	CHECK(v != NULL && LlmJsonGetNumber(v, "a", 0) == 1.0, "BOM: %s", err);
	LlmJsonFree(v);

	/* the input need not be NUL-terminated */
	v = LlmJsonParse("[1,2]garbage", 5, err, sizeof(err));
	CHECK(v != NULL && v->count == 2, "length-delimited: %s", err);
	LlmJsonFree(v);
}

static void
TestNesting(void)
{
	char		err[256];
	LlmJsonValue *v;
	const LlmJsonValue *a;
	const LlmJsonValue *c;

	v = ParseText("{\"a\": [1, {\"b\": null}, [true, []]], "
				  "\"c\": {\"d\": \"e\", \"n\": -1.5}, \"a\": \"dup\"}",
				  err, sizeof(err));
	CHECK(v != NULL && v->type == LLM_JSON_OBJECT && v->count == 3,
		  "nested: %s", err);
	if (v == NULL)
		return;

	CHECK(strcmp(v->keys[0], "a") == 0 && strcmp(v->keys[1], "c") == 0,
		  "member order kept");
	a = LlmJsonGet(v, "a");
	CHECK(a != NULL && a->type == LLM_JSON_ARRAY && a->count == 3,
		  "first of duplicate members wins");
	CHECK(LlmJsonAt(a, 0)->type == LLM_JSON_NUMBER && LlmJsonAt(a, 0)->number == 1.0,
		  "a[0]");
	CHECK(LlmJsonGet(LlmJsonAt(a, 1), "b") != NULL &&
		  LlmJsonGet(LlmJsonAt(a, 1), "b")->type == LLM_JSON_NULL, "a[1].b");
	CHECK(LlmJsonAt(LlmJsonAt(a, 2), 0)->boolean &&
		  LlmJsonAt(LlmJsonAt(a, 2), 1)->type == LLM_JSON_ARRAY &&
		  LlmJsonAt(LlmJsonAt(a, 2), 1)->count == 0, "a[2]");
	CHECK(LlmJsonAt(a, 3) == NULL, "LlmJsonAt out of range");
	CHECK(LlmJsonAt(v, 0) == NULL, "LlmJsonAt on an object");
	CHECK(LlmJsonGet(a, "x") == NULL, "LlmJsonGet on an array");
	CHECK(LlmJsonGet(NULL, "x") == NULL && LlmJsonAt(NULL, 0) == NULL,
		  "NULL containers");

	c = LlmJsonGet(v, "c");
	CHECK(strcmp(LlmJsonGetString(c, "d", "?"), "e") == 0, "GetString");
	CHECK(LlmJsonGetNumber(c, "n", 0) == -1.5, "GetNumber");
	CHECK(LlmJsonGetNumber(c, "d", 7.0) == 7.0, "GetNumber of a string");
	CHECK(LlmJsonGetNumber(c, "zz", 7.0) == 7.0, "GetNumber absent");
	CHECK(strcmp(LlmJsonGetString(c, "n", "dflt"), "dflt") == 0,
		  "GetString of a number");
	CHECK(LlmJsonGetString(NULL, "n", NULL) == NULL, "GetString of NULL");
	LlmJsonFree(v);

	/* more members than the initial capacity, to exercise growth */
	v = ParseText("{\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,"
				  "\"k6\":6,\"k7\":7,\"k8\":8,\"k9\":9,\"k10\":10}",
				  err, sizeof(err));
	CHECK(v != NULL && v->count == 11 && LlmJsonGetNumber(v, "k10", -1) == 10 &&
		  LlmJsonGetNumber(v, "k4", -1) == 4, "growth: %s", err);
	LlmJsonFree(v);
}

static void
ExpectString(const char *json, const char *want, size_t wantlen, int line)
{
	char		err[256];
	LlmJsonValue *v = ParseText(json, err, sizeof(err));

	CHECK(v != NULL && v->type == LLM_JSON_STRING && v->len == wantlen &&
		  memcmp(v->string, want, wantlen + 1) == 0,
		  "test at line %d: string %s decoded wrongly (%s)", line, json, err);
	LlmJsonFree(v);
}

#define EXPECT_STRING(json, want) \
	ExpectString((json), (want), sizeof(want) - 1, __LINE__)

static void
TestEscapes(void)
{
	EXPECT_STRING("\"a\\nb\"", "a\nb");
	EXPECT_STRING("\"say \\\"hi\\\"\"", "say \"hi\"");
	EXPECT_STRING("\"back\\\\slash\"", "back\\slash");
	EXPECT_STRING("\"a\\/b\"", "a/b");
	EXPECT_STRING("\"\\b\\f\\r\\t\"", "\b\f\r\t");
	EXPECT_STRING("\"caf\\u00e9\"", "caf\xC3\xA9");
	EXPECT_STRING("\"caf\\u00E9\"", "caf\xC3\xA9");
	EXPECT_STRING("\"\\u20AC\"", "\xE2\x82\xAC");
	EXPECT_STRING("\"\\ud83d\\ude00\"", "\xF0\x9F\x98\x80");
	EXPECT_STRING("\"\\uDBFF\\uDFFF\"", "\xF4\x8F\xBF\xBF");
	EXPECT_STRING("\"\\u0041\\u007f\\u0080\\u07FF\\u0800\\uFFFF\"",
				  "A\x7F\xC2\x80\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF");
	/* raw UTF-8 passes through unchanged */
	EXPECT_STRING("\"caf\xC3\xA9 \xF0\x9F\x98\x80\"",
				  "caf\xC3\xA9 \xF0\x9F\x98\x80");
	/* \u0000 is kept; len tells it from the terminator */
	EXPECT_STRING("\"a\\u0000b\"", "a\0b");
	/* an escaped backslash right before the closing quote */
	EXPECT_STRING("\"x\\\\\"", "x\\");
}

static void
TestNumbers(void)
{
	char		err[256];
	LlmJsonValue *v;
	char		big[400];

	v = ParseText("-0", err, sizeof(err));
	CHECK(v != NULL && v->type == LLM_JSON_NUMBER && v->number == 0.0 &&
		  signbit(v->number), "-0: %s", err);
	LlmJsonFree(v);

	v = ParseText("[0, 1e-7, 3.5E+2, -12.5e-1, 1E2, 2e0, 0.125, 123456789012, "
				  "1.7976931348623157e308, 1e-400, 5e-324]", err, sizeof(err));
	CHECK(v != NULL && v->count == 11, "number list: %s", err);
	if (v != NULL)
	{
		CHECK(LlmJsonAt(v, 0)->number == 0.0 && !signbit(LlmJsonAt(v, 0)->number),
			  "0");
		CHECK(LlmJsonAt(v, 1)->number == 1e-7, "1e-7");
		CHECK(LlmJsonAt(v, 2)->number == 350.0, "3.5E+2");
		CHECK(LlmJsonAt(v, 3)->number == -1.25, "-12.5e-1");
		CHECK(LlmJsonAt(v, 4)->number == 100.0, "1E2");
		CHECK(LlmJsonAt(v, 5)->number == 2.0, "2e0");
		CHECK(LlmJsonAt(v, 6)->number == 0.125, "0.125");
		CHECK(LlmJsonAt(v, 7)->number == 123456789012.0, "123456789012");
		CHECK(LlmJsonAt(v, 8)->number == 1.7976931348623157e308, "DBL_MAX");
		CHECK(LlmJsonAt(v, 9)->number == 0.0, "underflow becomes 0");
		CHECK(LlmJsonAt(v, 10)->number > 0.0, "smallest denormal");
		/* a number keeps its text: 1E2 is not 100, nor 2e0 the integer 2 */
		CHECK(strcmp(LlmJsonAt(v, 4)->string, "1E2") == 0 && LlmJsonAt(v, 4)->len == 3 &&
			  strcmp(LlmJsonAt(v, 9)->string, "1e-400") == 0, "numbers keep their text");
	}
	LlmJsonFree(v);

	/* longer than the on-stack conversion buffer */
	memset(big, '0', sizeof(big));
	big[0] = '1';
	memcpy(big + 301, "e-300", 6);
	v = ParseText(big, err, sizeof(err));
	CHECK(v != NULL && v->type == LLM_JSON_NUMBER && v->number == 1.0,
		  "long number: %s", err);
	LlmJsonFree(v);
}

static void
TestErrors(void)
{
	char		deep[300];
	char		err[8];
	LlmJsonValue *v;

	/* end of input */
	EXPECT_ERROR("", "line 1 column 1: unexpected end of input");
	EXPECT_ERROR(" \n ", "line 2 column 2: unexpected end of input");
	EXPECT_ERROR("[", "unexpected end of input");
	EXPECT_ERROR("[1", "unexpected end of input in array");
	EXPECT_ERROR("{", "unexpected end of input in object");
	EXPECT_ERROR("{\"a\"", "unexpected end of input in object");
	EXPECT_ERROR("{\"a\":", "unexpected end of input");
	EXPECT_ERROR("{\"a\":1", "unexpected end of input in object");
	EXPECT_ERROR("\"abc", "line 1 column 1: unterminated string");
	EXPECT_ERROR("[\"abc\\\"]", "line 1 column 2: unterminated string");

	/* structure */
	EXPECT_ERROR("[1,2,]", "line 1 column 6: trailing comma in array");
	EXPECT_ERROR("[1,\n  2,]", "line 2 column 5: trailing comma in array");
	EXPECT_ERROR("{\"a\":1,}", "trailing comma in object");
	EXPECT_ERROR("{\"a\":1, }", "trailing comma in object");
	EXPECT_ERROR("[,1]", "expected a value, found ','");
	EXPECT_ERROR("[1 2]", "expected ',' or ']' in array, found '2'");
	EXPECT_ERROR("[1}", "expected ',' or ']' in array, found '}'");
	EXPECT_ERROR("{\"a\" 1}", "expected ':' after object member name");
	EXPECT_ERROR("{\"a\":1 \"b\":2}", "expected ',' or '}' in object");
	EXPECT_ERROR("{1:2}", "expected a string as object member name");
	EXPECT_ERROR("{a:2}", "expected a string as object member name");
	EXPECT_ERROR("{'a':2}", "expected a string as object member name");
	EXPECT_ERROR("1 2", "line 1 column 3: unexpected '2' after the JSON value");
	EXPECT_ERROR("{} x", "after the JSON value");
	EXPECT_ERROR_N("1\0", "unexpected byte 0x00 after the JSON value");
	EXPECT_ERROR("// comment\n1", "expected a value, found '/'");
	EXPECT_ERROR("'a'", "expected a value, found '''");
	EXPECT_ERROR("\xC3\xA9", "expected a value, found byte 0xC3");

	/* literals */
	EXPECT_ERROR("tru", "invalid literal, expected 'true'");
	EXPECT_ERROR("True", "expected a value, found 'T'");
	EXPECT_ERROR("nul", "invalid literal, expected 'null'");
	EXPECT_ERROR("fals", "invalid literal, expected 'false'");
	EXPECT_ERROR("falsy", "invalid literal");
	EXPECT_ERROR("nan", "invalid literal");
	EXPECT_ERROR("NaN", "expected a value");
	EXPECT_ERROR("Infinity", "expected a value");
	EXPECT_ERROR("truex", "unexpected 'x' after the JSON value");

	/* numbers */
	EXPECT_ERROR("01", "line 1 column 1: leading zero in number");
	EXPECT_ERROR("-01", "leading zero in number");
	EXPECT_ERROR("[00]", "line 1 column 2: leading zero in number");
	EXPECT_ERROR("-", "expected a digit after '-'");
	EXPECT_ERROR("-a", "expected a digit after '-'");
	EXPECT_ERROR("- 1", "expected a digit after '-'");
	EXPECT_ERROR("1.", "expected a digit after the decimal point");
	EXPECT_ERROR("1.e5", "expected a digit after the decimal point");
	EXPECT_ERROR("1e", "expected a digit in the exponent");
	EXPECT_ERROR("1e+", "expected a digit in the exponent");
	EXPECT_ERROR("1E-x", "expected a digit in the exponent");
	EXPECT_ERROR(".5", "expected a value, found '.'");
	EXPECT_ERROR("+1", "expected a value, found '+'");
	EXPECT_ERROR("0x10", "unexpected 'x' after the JSON value");
	EXPECT_ERROR("1e400", "number out of range");
	EXPECT_ERROR("-1e400", "number out of range");

	/* strings */
	EXPECT_ERROR("\"a\tb\"", "line 1 column 3: unescaped control character 0x09");
	EXPECT_ERROR("\"a\nb\"", "control character 0x0A");
	EXPECT_ERROR_N("\"a\0b\"", "control character 0x00");
	EXPECT_ERROR("\"\x1f\"", "control character 0x1F");
	EXPECT_ERROR("\"\\x41\"", "line 1 column 2: invalid escape '\\x'");
	EXPECT_ERROR("\"\\'\"", "invalid escape '\\''");
	EXPECT_ERROR("\"\\U0041\"", "invalid escape '\\U'");
	EXPECT_ERROR("\"\\\x01\"", "invalid escape: backslash followed by byte 0x01");
	EXPECT_ERROR("\"\\u12G4\"", "invalid \\u escape");
	EXPECT_ERROR("\"\\u12\"", "invalid \\u escape");
	EXPECT_ERROR("\"\\u\"", "invalid \\u escape");
	EXPECT_ERROR("\"\\ud83d\"", "unpaired surrogate \\uD83D");
	EXPECT_ERROR("\"\\ude00\"", "unpaired surrogate \\uDE00");
	EXPECT_ERROR("\"\\ud83dx\"", "unpaired surrogate");
	EXPECT_ERROR("\"\\ud83d\\u0041\"", "unpaired surrogate");
	EXPECT_ERROR("\"\\ud83d\\ud83d\"", "unpaired surrogate");
	EXPECT_ERROR("\"\\ud83d\\n\"", "unpaired surrogate");
	EXPECT_ERROR("\"\\ud83d\\ude0\"", "unpaired surrogate");
	EXPECT_ERROR("\"\xC3\"", "line 1 column 2: invalid UTF-8 in string");
	EXPECT_ERROR("\"\xC0\xAF\"", "invalid UTF-8");		/* overlong '/' */
	EXPECT_ERROR("\"\xE0\x80\xAF\"", "invalid UTF-8");	/* overlong */
	EXPECT_ERROR("\"\xED\xA0\x80\"", "invalid UTF-8");	/* surrogate */
	EXPECT_ERROR("\"\xF4\x90\x80\x80\"", "invalid UTF-8");	/* > U+10FFFF */
	EXPECT_ERROR("\"\xF5\x80\x80\x80\"", "invalid UTF-8");
	EXPECT_ERROR("\"\x80\"", "invalid UTF-8");
	EXPECT_ERROR("\"\xE2\x82\"", "invalid UTF-8");		/* truncated */
	EXPECT_ERROR("{\"a\\u0000\":1}", "\\u0000 is not allowed in an object");

	/* columns count characters, not bytes */
	EXPECT_ERROR("[\"\xC3\xA9\", x]", "line 1 column 7: expected a value");
	EXPECT_ERROR("[1,\r\n\t\"\xF0\x9F\x98\x80\" 2]",
				 "line 2 column 6: expected ',' or ']'");

	/* a NULL or tiny errbuf is honoured */
	v = LlmJsonParse("[", 1, NULL, 0);
	CHECK(v == NULL, "NULL errbuf");
	memset(err, 'z', sizeof(err));
	v = LlmJsonParse("[", 1, err, sizeof(err));
	CHECK(v == NULL && strcmp(err, "line 1 ") == 0, "truncated message: %.8s",
		  err);
	v = LlmJsonParse(NULL, 0, err, sizeof(err));
	CHECK(v == NULL && strstr(err, "line 1") == err, "NULL text");

	/* input without a terminating NUL that ends inside a structure */
	memset(deep, '[', sizeof(deep));
	v = LlmJsonParse(deep, sizeof(deep), NULL, 0);
	CHECK(v == NULL, "unterminated brackets");
}

static void
TestDepth(void)
{
	char		err[256];
	char	   *text;
	size_t		n;
	size_t		i;
	LlmJsonValue *v;
	const LlmJsonValue *inner;
	int			depth;

	/* exactly LLM_JSON_MAX_DEPTH nested arrays is fine */
	n = LLM_JSON_MAX_DEPTH;
	text = malloc(2 * n + 2);
	memset(text, '[', n);
	memset(text + n, ']', n);
	v = LlmJsonParse(text, 2 * n, err, sizeof(err));
	CHECK(v != NULL, "depth %zu: %s", n, err);
	depth = 0;
	for (inner = v; inner != NULL && inner->type == LLM_JSON_ARRAY;
		 inner = LlmJsonAt(inner, 0))
		depth++;
	CHECK(depth == LLM_JSON_MAX_DEPTH, "depth counted %d", depth);
	LlmJsonFree(v);

	/* one more is an error */
	n = LLM_JSON_MAX_DEPTH + 1;
	memset(text, '[', n);
	memset(text + n, ']', n);
	v = LlmJsonParse(text, 2 * n, err, sizeof(err));
	CHECK(v == NULL && strstr(err, "nesting depth exceeds 256") != NULL &&
		  strstr(err, "column 257") != NULL, "depth 257: %s", err);
	LlmJsonFree(v);
	free(text);

	/* objects count too */
	n = LLM_JSON_MAX_DEPTH + 1;
	text = malloc(6 * n + 8);
	text[0] = '\0';
	for (i = 0; i < n; i++)
		strcat(text, "{\"a\":");
	strcat(text, "1");
	for (i = 0; i < n; i++)
		strcat(text, "}");
	v = ParseText(text, err, sizeof(err));
	CHECK(v == NULL && strstr(err, "nesting depth exceeds") != NULL,
		  "object depth: %s", err);
	LlmJsonFree(v);
	free(text);

	/* a huge depth fails cleanly instead of overflowing the stack */
	n = 1000000;
	text = malloc(n);
	memset(text, '[', n);
	v = LlmJsonParse(text, n, err, sizeof(err));
	CHECK(v == NULL && strstr(err, "nesting depth exceeds") != NULL,
		  "deep brackets: %s", err);
	free(text);
}

static void
TestOutOfMemory(void)
{
	const char *doc = "{\"name\": \"caf\\u00e9\", \"list\": [1, 2.5, true, null, "
		"[\"a\", \"b\", {\"k\": []}], 1000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000], \"more\": {\"x\": \"y\", "
		"\"z\": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]}}";
	char		err[256];
	LlmJsonValue *v = NULL;
	long		n;
	int			failures = 0;
	bool		all_oom = true;

	/* fail each allocation in turn; every attempt must fail cleanly */
	for (n = 0; n < 1000; n++)
	{
		LlmJsonTestFailAllocAfter(n);
		v = ParseText(doc, err, sizeof(err));
		LlmJsonTestFailAllocAfter(-1);
		if (v != NULL)
			break;
		failures++;
		if (strcmp(err, "out of memory") != 0)
		{
			all_oom = false;
			fprintf(stderr, "allocation %ld: %s\n", n, err);
		}
	}
	CHECK(v != NULL && failures > 10, "parse succeeded after %d failures",
		  failures);
	CHECK(all_oom, "every failed allocation reported \"out of memory\"");
	CHECK(v != NULL && strcmp(LlmJsonGetString(v, "name", ""), "caf\xC3\xA9") == 0,
		  "result after OOM rounds");
	LlmJsonFree(v);
}

static void
TestFiles(void)
{
	char		path[] = "/tmp/test_json_XXXXXX";
	char		err[512];
	char		want[512];
	const char *doc = "{\"a\": [1, 2, 3]}\n";
	LlmJsonValue *v;
	FILE	   *f;
	int			fd;

	v = CliParseJsonFile("/nonexistent/dir/x.json", err, sizeof(err));
	snprintf(want, sizeof(want), "/nonexistent/dir/x.json: %s",
			 strerror(ENOENT));
	CHECK(v == NULL && strcmp(err, want) == 0, "missing file: %s", err);

	v = CliParseJsonFile(".", err, sizeof(err));
	CHECK(v == NULL && strncmp(err, ".: ", 3) == 0 && strlen(err) > 3,
		  "directory: %s", err);
	LlmJsonFree(v);

	fd = mkstemp(path);
	CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
	if (fd < 0)
		return;
	f = fdopen(fd, "w");
	fputs(doc, f);
	fclose(f);

	v = CliParseJsonFile(path, err, sizeof(err));
	CHECK(v != NULL && LlmJsonAt(LlmJsonGet(v, "a"), 2)->number == 3.0,
		  "file: %s", err);
	LlmJsonFree(v);

	/* out of memory while parsing, at the first allocation and a later one */
	LlmJsonTestFailAllocAfter(0);
	v = CliParseJsonFile(path, err, sizeof(err));
	LlmJsonTestFailAllocAfter(-1);
	snprintf(want, sizeof(want), "%s: out of memory", path);
	CHECK(v == NULL && strcmp(err, want) == 0, "file OOM: %s", err);
	LlmJsonTestFailAllocAfter(1);
	v = CliParseJsonFile(path, err, sizeof(err));
	LlmJsonTestFailAllocAfter(-1);
	CHECK(v == NULL && strcmp(err, want) == 0, "file OOM in parse: %s", err);

	f = fopen(path, "w");
	fputs("{\n  \"a\": [1, 2,]\n}\n", f);
	fclose(f);
	v = CliParseJsonFile(path, err, sizeof(err));
	snprintf(want, sizeof(want), "%s: line 2 column 14: trailing comma in array",
			 path);
	CHECK(v == NULL && strcmp(err, want) == 0, "file syntax error: %s", err);

	f = fopen(path, "w");
	fclose(f);
	v = CliParseJsonFile(path, err, sizeof(err));
	CHECK(v == NULL && strstr(err, "unexpected end of input") != NULL,
		  "empty file: %s", err);

	unlink(path);
}

/*
 * The real consumers: the parity index and every reference it lists.
 */
static void
TestParityIndex(void)
{
	char		err[512];
	char		path[512];
	LlmJsonValue *index;
	const LlmJsonValue *models;
	size_t		i;
	FILE	   *f;

	f = fopen(PARITY_DIR "/index.json", "rb");
	if (f == NULL)
	{
		printf("json: note: %s/index.json not found, skipping parity checks\n",
			   PARITY_DIR);
		return;
	}
	fclose(f);

	index = CliParseJsonFile(PARITY_DIR "/index.json", err, sizeof(err));
	CHECK(index != NULL, "index.json: %s", err);
	if (index == NULL)
		return;

	models = LlmJsonGet(index, "models");
	CHECK(models != NULL && models->type == LLM_JSON_ARRAY && models->count == 13,
		  "index.json has 13 models (%zu)", models ? models->count : 0);
	CHECK(strcmp(LlmJsonGetString(LlmJsonAt(models, 0), "name", ""),
				 "syn-llama.F32") == 0, "first model is syn-llama.F32");

	for (i = 0; models != NULL && i < models->count; i++)
	{
		const LlmJsonValue *m = LlmJsonAt(models, i);
		const char *ref = LlmJsonGetString(m, "ref", NULL);
		LlmJsonValue *r;
		const LlmJsonValue *prompts;

		CHECK(ref != NULL, "model %zu has a ref", i);
		if (ref == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", PARITY_DIR, ref);
		r = CliParseJsonFile(path, err, sizeof(err));
		CHECK(r != NULL, "%s", err);
		if (r == NULL)
			continue;
		prompts = LlmJsonGet(r, "prompts");
		CHECK(strcmp(LlmJsonGetString(r, "model_file", ""),
					 LlmJsonGetString(m, "model_file", "?")) == 0,
			  "%s: model_file matches the index", ref);
		CHECK(prompts != NULL && prompts->type == LLM_JSON_ARRAY &&
			  prompts->count > 0 &&
			  LlmJsonGet(LlmJsonAt(prompts, 0), "tokens") != NULL &&
			  LlmJsonGet(LlmJsonAt(prompts, 0), "tokens")->type == LLM_JSON_ARRAY,
			  "%s: has prompts with tokens", ref);
		CHECK(LlmJsonGetNumber(r, "n_vocab", 0) > 0, "%s: n_vocab", ref);
		LlmJsonFree(r);
	}
	LlmJsonFree(index);
}

int
main(void)
{
	TestScalars();
	TestNesting();
	TestEscapes();
	TestNumbers();
	TestErrors();
	TestDepth();
	TestOutOfMemory();
	TestFiles();
	TestParityIndex();
	return UnitSummary("json");
}
