/*-------------------------------------------------------------------------
 *
 * test_gbnf.c
 *	  Unit tests of GBNF grammars: the parser (every construct, every error
 *	  with its line and column, llama.cpp's example grammars), the matcher
 *	  on text (partial UTF-8 characters, the end of a grammar, the limits
 *	  on ambiguity and nesting), and its token masks against the tokens
 *	  tried one by one, on the vocabularies of ../shared.  Run from the
 *	  repository root.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "gguf.h"
#include "grammar/gbnf.h"
#include "grammar/matcher.h"
#include "tokenizer/vocab.h"
#include "unit.h"

#define GRAMMARS "test/unit/grammars/"

static LlmGrammar *
Parse(const char *text)
{
	LlmGrammar *g = NULL;
	LlmError	err;

	if (LlmGrammarParse(text, strlen(text), &g, &err) != LLM_OK)
	{
		CHECK(false, "grammar does not parse: %s\n%s", err.message, text);
		return NULL;
	}
	return g;
}

/* The grammar's error is exactly want. */
static void
ParseError(const char *text, size_t len, const char *want)
{
	LlmGrammar *g = NULL;
	LlmError	err;
	LlmStatus	s = LlmGrammarParse(text, len, &g, &err);

	CHECK(s == LLM_ERR_ARGUMENT && g == NULL && strcmp(err.message, want) == 0,
		  "error of %s\n  got:  %s\n  want: %s", text, s == LLM_OK ? "(none)" : err.message, want);
	LlmGrammarFree(g);
}

/* Whether the whole of text is a match of the grammar. */
static bool
Matches(const LlmGrammar *g, const char *text, size_t len)
{
	LlmGrammarMatcher *m;
	LlmError	err;
	bool		ok;

	if (g == NULL || LlmGrammarMatcherCreate(g, NULL, &m, &err) != LLM_OK)
		return false;
	ok = LlmGrammarMatcherAcceptText(m, text, len, &err) && LlmGrammarMatcherCanEnd(m);
	LlmGrammarMatcherFree(m);
	return ok;
}

static bool
MatchesText(const char *grammar, const char *text)
{
	LlmGrammar *g = Parse(grammar);
	bool		ok = Matches(g, text, strlen(text));

	LlmGrammarFree(g);
	return ok;
}

static void
TestConstructs(void)
{
	const char *crlf = "root ::= a | b\r\na ::= \"x\"\r\nb ::= \"y\"\r\n";
	LlmGrammar *g;
	char		long_a[2601];

	/* literals, sequences, alternatives, groups */
	CHECK(MatchesText("root ::= \"abc\"", "abc") && !MatchesText("root ::= \"abc\"", "ab") &&
		  !MatchesText("root ::= \"abc\"", "abcd"), "a literal matches itself only");
	CHECK(MatchesText("root ::= \"a\" \"b\" | \"c\"", "ab") && MatchesText("root ::= \"a\" \"b\" | \"c\"", "c") &&
		  !MatchesText("root ::= \"a\" \"b\" | \"c\"", "ac"), "sequence and alternation");
	CHECK(MatchesText("root ::= (\"a\" | \"b\") \"c\"", "bc") && !MatchesText("root ::= (\"a\" | \"b\") \"c\"", "c"),
		  "groups");
	CHECK(MatchesText("root ::= \"a\" |", "") && MatchesText("root ::= \"a\" |", "a"), "an empty alternative");

	/* character sets */
	CHECK(MatchesText("root ::= [a-c]", "b") && !MatchesText("root ::= [a-c]", "d"), "a range");
	CHECK(MatchesText("root ::= [a-cx-z0]+", "az0cx") && !MatchesText("root ::= [a-cx-z0]+", "az1"),
		  "several ranges and a character");
	CHECK(MatchesText("root ::= [^a-c]", "d") && MatchesText("root ::= [^a-c]", "\xc3\xa9") &&
		  !MatchesText("root ::= [^a-c]", "b"), "a negated set");
	CHECK(MatchesText("root ::= [\\]\\[\\-\\\\\"]+", "][-\\\""), "escapes in a set");
	CHECK(MatchesText("root ::= [-a]+", "-a-") && MatchesText("root ::= [a-]+", "a-"),
		  "a '-' first or last is itself");
	CHECK(MatchesText("root ::= . \"x\"", "\xc3\xa9x") && MatchesText("root ::= . \"x\"", "\nx") &&
		  !MatchesText("root ::= . \"x\"", "x"), "'.' is any one character");

	/* escapes of literals */
	CHECK(MatchesText("root ::= \"\\n\\t\\r\\\\\\\"\\x41\\u00e9\\U0001F600\\[\\]\\-\"",
					  "\n\t\r\\\"A\xc3\xa9\xf0\x9f\x98\x80[]-"), "escapes of a literal");
	CHECK(MatchesText("root ::= \"\xe6\x97\xa5\xe6\x9c\xac\" [\xe3\x81\x81-\xe3\x82\x9f]+",
					  "\xe6\x97\xa5\xe6\x9c\xac\xe3\x81\x82\xe3\x81\x84"), "UTF-8 in literals and ranges");

	/* repetitions */
	CHECK(MatchesText("root ::= \"a\"* \"b\"+ \"c\"?", "b") &&
		  MatchesText("root ::= \"a\"* \"b\"+ \"c\"?", "aabbbc") &&
		  !MatchesText("root ::= \"a\"* \"b\"+ \"c\"?", "aac"), "*, + and ?");
	CHECK(MatchesText("root ::= \"a\"{3}", "aaa") && !MatchesText("root ::= \"a\"{3}", "aa") &&
		  !MatchesText("root ::= \"a\"{3}", "aaaa"), "{m}");
	CHECK(MatchesText("root ::= \"a\"{2,}", "aaaaa") && !MatchesText("root ::= \"a\"{2,}", "a"), "{m,}");
	CHECK(MatchesText("root ::= \"a\"{ 2 , 4 }", "aaaa") && MatchesText("root ::= \"a\"{2,4}", "aa") &&
		  !MatchesText("root ::= \"a\"{2,4}", "aaaaa"), "{m,n}, spaces inside");
	CHECK(MatchesText("root ::= \"a\"{0,2} \"b\"", "b") && !MatchesText("root ::= \"a\"{0,2} \"b\"", "aaab"),
		  "{0,n}");
	CHECK(MatchesText("root ::= (\"ab\" | \"c\"){2,3}", "abcab") && !MatchesText("root ::= (\"ab\" | \"c\"){2,3}", "c"),
		  "a repeated group");
	CHECK(MatchesText("root ::= \"a\"{0}", "") && !MatchesText("root ::= \"a\"{0}", "a"), "{0}");
	/* as in llama.cpp, a maximum past 2000 is no maximum */
	memset(long_a, 'a', 2600);
	long_a[2600] = '\0';
	CHECK(MatchesText("root ::= \"a\"{0,2001}", long_a), "a maximum above 2000 is none");

	/* llama.cpp's rewriting: S{2,4} is S S root_N where root_N ::= S root_M | */
	g = Parse("root ::= \"a\"{2,4}");
	CHECK(g != NULL && g->n_rules == 3 && strcmp(g->rule_names[1], "root_1") == 0 &&
		  strcmp(g->rule_names[2], "root_2") == 0, "repetitions become rules named as llama.cpp names them");
	if (g != NULL)
	{
		const LlmGrammarElem *e = g->elems + g->rule_start[g->root];

		CHECK(e[0].type == LLM_GRE_CHAR && e[1].type == LLM_GRE_CHAR && e[2].type == LLM_GRE_RULE_REF &&
			  e[2].value == 2 && e[3].type == LLM_GRE_END, "S{2,4} is S S and a reference");
	}
	LlmGrammarFree(g);

	/* layout: comments, newlines in groups and after '|', CRLF, names */
	CHECK(MatchesText("# a comment\nroot ::= ( # in a group\n  \"a\"\n  | \"b\" ) # after\n\n  # more\n", "b"),
		  "comments and newlines inside parentheses");
	CHECK(MatchesText("root ::= \"a\" |\n  \"b\"\n", "b"), "a newline after '|' continues the rule");
	CHECK(MatchesText(crlf, "y"), "CRLF line ends");
	CHECK(MatchesText("root ::= my-Rule2\nmy-Rule2 ::= \"x\"", "x"), "rule names of letters, digits and '-'");
	CHECK(MatchesText("root ::= \"(\" root \")\" | \"x\"", "((x))"), "right recursion");
	/* as llama.cpp, a later definition replaces an earlier one */
	CHECK(MatchesText("root ::= \"a\"\nroot ::= \"b\"", "b") && !MatchesText("root ::= \"a\"\nroot ::= \"b\"", "a"),
		  "a rule defined twice: the later definition");
	/* "(x?)*" loops through empty matches in last place: accepted */
	CHECK(MatchesText("root ::= (\"a\"?)* \"b\"", "aab"), "a repetition of something that may be empty");
}

static void
TestErrors(void)
{
	char		big[4000];
	char	   *huge;

	ParseError("root ::= \"abc", 13, "line 1 column 14: expected '\"' to close the string that starts at line 1 column 10");
	ParseError("root ::= [abc", 13, "line 1 column 14: expected ']' to close the character set that starts at line 1 column 10");
	ParseError("root ::= [a-", 12, "line 1 column 13: unexpected end of the grammar in a character range");
	ParseError("root ::= []", 11, "line 1 column 10: empty character set [] (it would match nothing)");
	ParseError("root ::= [^]", 12, "line 1 column 10: empty character set [^] (it would match nothing)");
	ParseError("root ::= [z-a]", 14, "line 1 column 11: bad character range: U+007A-U+0061 ends below its start");
	ParseError("root ::= \"\\q\"", 13,
			   "line 1 column 11: unknown escape '\\' followed by 'q' (expected \\n, \\r, \\t, \\\\, \\\", \\[, \\], \\-, \\xHH, \\uHHHH or \\UHHHHHHHH)");
	ParseError("root ::= \"\\x4g\"", 15, "line 1 column 14: expected 2 hexadecimal digits after \\x, found 'g'");
	ParseError("root ::= \"\\u12\"", 15, "line 1 column 15: expected 4 hexadecimal digits after \\u, found '\"'");
	ParseError("root ::= ( \"a\"\n  | \"b\"", 22,
			   "line 2 column 8: expected ')' to close the group that opens at line 1 column 10, found the end of the grammar");
	ParseError("root ::= \"a\" )", 14, "line 1 column 14: unmatched ')'");
	ParseError("root ::= *", 10, "line 1 column 10: '*' needs an item before it to repeat");
	ParseError("root ::= \"a\" | +", 16, "line 1 column 16: '+' needs an item before it to repeat");
	ParseError("root ::= \"a\"{", 13, "line 1 column 14: expected a number in the repetition, found the end of the grammar");
	ParseError("root ::= \"a\"{2", 14, "line 1 column 15: expected ',' or '}' in the repetition, found the end of the grammar");
	ParseError("root ::= \"a\"{2,x}", 17, "line 1 column 16: expected '}' to close the repetition, found 'x'");
	ParseError("root ::= \"a\"{3,1}", 17, "line 1 column 13: bad repetition bounds {3,1}: the maximum is below the minimum");
	ParseError("root ::= \"a\"{2001}", 18, "line 1 column 13: a repetition of at least 2001 is more than the 2000 allowed");
	ParseError("root ::= (\"a\"{0,50}){0,50}", 26,
			   "line 1 column 21: this repetition makes too many rules: the rules it repeats times the count must be below 2000");
	ParseError("root ::= x\n", 11, "line 1 column 10: undefined rule \"x\"");
	ParseError("root ::= \"a\" b\nc ::= d\nb ::= \"b\"\n", 32, "line 2 column 7: undefined rule \"d\"");
	ParseError("x ::= \"a\"", 9, "the grammar has no rule named \"root\", where matching starts");
	ParseError("", 0, "the grammar is empty: it needs at least a rule named \"root\"");
	ParseError("  # only a comment\n", 19, "the grammar is empty: it needs at least a rule named \"root\"");
	ParseError("root := \"a\"", 11, "line 1 column 6: expected \"::=\" after the rule name \"root\", found ':'");
	ParseError("root\n::= \"a\"", 12, "line 1 column 5: expected \"::=\" after the rule name \"root\", found the end of the line");
	ParseError("root ::= \"a\" @", 14,
			   "line 1 column 14: unexpected '@' in rule \"root\" (expected an item, '|' or the end of the line)");
	ParseError("::= \"a\"", 7, "line 1 column 1: expected a rule name (letters, digits and '-'), found ':'");
	ParseError("root_1 ::= \"a\"", 14,
			   "line 1 column 5: expected \"::=\" after the rule name \"root\", found '_'");
	ParseError("root ::= <think>", 16, "line 1 column 10: token references (<...>, !<...>) are not supported");
	ParseError("root ::= !<[12]>", 16, "line 1 column 10: token references (<...>, !<...>) are not supported");
	ParseError("root ::= \"a\"\0", 13, "line 1 column 13: the grammar holds a NUL byte");
	ParseError("root ::= \"\xff\"", 12, "line 1 column 11: the grammar is not valid UTF-8 (byte 0xFF)");
	ParseError("root ::= \"\xc3\"", 12, "line 1 column 11: the grammar is not valid UTF-8 (byte 0xC3)");

	/* left recursion, as llama.cpp finds it */
	ParseError("root ::= x\nx ::= x \"a\" | \"b\"", 28,
			   "line 2 column 1: rule \"x\" is left-recursive: it can come back to itself before matching a character, which the matcher cannot run (write it with a repetition, as x ::= y (\"+\" y)* rather than x ::= x \"+\" y | y)");
	ParseError("root ::= (root \"a\")? \"b\"", 24,
			   "line 1 column 1: rule \"root\" is left-recursive: it can come back to itself before matching a character, which the matcher cannot run (write it with a repetition, as x ::= y (\"+\" y)* rather than x ::= x \"+\" y | y)");
	/* and through a rule that only refers to an empty one, which llama.cpp misses */
	ParseError("root ::= e\ne ::= b e \"x\" | \"y\"\nb ::= c\nc ::= ", 44,
			   "line 2 column 1: rule \"e\" is left-recursive: it can come back to itself before matching a character, which the matcher cannot run (write it with a repetition, as x ::= y (\"+\" y)* rather than x ::= x \"+\" y | y)");

	/* the elements of a grammar are bounded */
	memset(big, 'a', sizeof(big));
	huge = malloc(sizeof(big) + 64);
	if (huge != NULL)
	{
		int			n = snprintf(huge, 64, "root ::= \"");

		memcpy(huge + n, big, 3000);
		n += 3000;
		n += snprintf(huge + n, 64, "\"{1500}");
		ParseError(huge, n, "line 1 column 1: the grammar expands to more than 4194304 elements");
		free(huge);
	}
}

/* A file of test/unit/grammars/, NUL-terminated. */
static char *
ReadGrammar(const char *name, size_t *len)
{
	char		path[256];
	char	   *text;

	snprintf(path, sizeof(path), GRAMMARS "%s", name);
	text = UnitReadFile(path, len);
	CHECK(text != NULL, "cannot read %s", path);
	return text;
}

static void
TestLlamaExamples(void)
{
	static const struct
	{
		const char *file;
		const char *good[3];
		const char *bad;
	}			cases[] = {
		{"json.gbnf", {"{\"a\": [1, -2.5e3, \"x\\u00e9\", true, null, {}]}", "{}", "{ \"k\" :\n  \"v\" }"}, "[1]"},
		{"json_arr.gbnf", {"[\n{\"a\": 1},\n\"x\"]", "[\n]", "[\n1.5e-3]"}, "{}"},
		{"list.gbnf", {"- one\n- two items\n", "- x\n", "- \xc3\xa9\n"}, "- a\nb\n"},
		{"arithmetic.gbnf", {"a+b=c\n", "(x1 *2)/y = 4\nq=r\n", "abc=(1)\n"}, "a+=b\n"},
		{"chess.gbnf", {"1. e4 e5\n2. Nf3 Nc6\n", "1. O-O O-O-O\n12. exd5+ Qxd5#\n", "1. a8=Q Kb1\n2. d4 d5\n"}, "1. e4 e5\n"},
		{"english.gbnf", {"Hello, world!", "one two\tthree\nfour", "a"}, "two  spaces"},
		{"japanese.gbnf", {"\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf\xe3\x80\x82",
		"\xe6\x97\xa5\xe6\x9c\xac \xe3\x82\xab\xe3\x82\xbf", "\xe4\xb8\x80"}, "abc"},
		{"c.gbnf", {"int main(){return 0;}", "char f(int x){x = x+1;while(x<3){x = x*2;}}",
		"float g(){/* c */// d\n}"}, "int main() {}"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		size_t		len;
		char	   *text = ReadGrammar(cases[i].file, &len);
		LlmGrammar *g = NULL;
		LlmError	err;

		if (text == NULL)
			continue;
		CHECK(LlmGrammarParse(text, len, &g, &err) == LLM_OK, "llama.cpp's %s parses: %s", cases[i].file,
			  err.message);
		for (int k = 0; k < 3 && g != NULL; k++)
			CHECK(Matches(g, cases[i].good[k], strlen(cases[i].good[k])), "%s matches \"%s\"",
				  cases[i].file, cases[i].good[k]);
		CHECK(g != NULL && !Matches(g, cases[i].bad, strlen(cases[i].bad)), "%s does not match \"%s\"",
			  cases[i].file, cases[i].bad);
		LlmGrammarFree(g);
		free(text);
	}
}

static void
TestMatcherText(void)
{
	LlmGrammar *g;
	LlmGrammarMatcher *m;
	LlmError	err;
	char		text[64];

	/* a character split over several steps, as byte-level tokens split it */
	g = Parse("root ::= \"\xc3\xa9\" \"x\"");
	if (g != NULL && LlmGrammarMatcherCreate(g, NULL, &m, &err) == LLM_OK)
	{
		CHECK(LlmGrammarMatcherAcceptText(m, "\xc3", 1, &err) && !LlmGrammarMatcherCanEnd(m),
			  "the first byte of a character the grammar wants is taken");
		CHECK(!LlmGrammarMatcherAllows(m, "x", 1), "a character cannot interrupt a pending one");
		CHECK(LlmGrammarMatcherAcceptText(m, "\xa9x", 2, &err) && LlmGrammarMatcherCanEnd(m) &&
			  LlmGrammarMatcherMustEnd(m), "its last byte completes it");
		CHECK(!LlmGrammarMatcherAcceptText(m, "y", 1, &err), "nothing after the end");
		LlmGrammarMatcherFree(m);
	}
	LlmGrammarFree(g);

	/* what a pending character may become decides (match_partial_char) */
	g = Parse("root ::= [a-z]");
	CHECK(g != NULL && !Matches(g, "\xc3", 1), "a pending character that cannot be a-z is refused");
	LlmGrammarFree(g);
	g = Parse("root ::= [^a] [^\\u00e0-\\u00ff]");
	if (g != NULL && LlmGrammarMatcherCreate(g, NULL, &m, &err) == LLM_OK)
	{
		CHECK(LlmGrammarMatcherAllows(m, "\xc3", 1), "[^a] takes the lead byte of U+00C0-U+00FF");
		CHECK(LlmGrammarMatcherAcceptText(m, "b", 1, &err) && !LlmGrammarMatcherAllows(m, "\xc3", 1),
			  "a negated set refuses a pending character that overlaps it, as llama.cpp does");
		CHECK(LlmGrammarMatcherAllows(m, "\xc3\xa0", 2) == false && LlmGrammarMatcherAllows(m, "\xc4\x80", 2),
			  "a whole character is matched exactly");
		LlmGrammarMatcherFree(m);
	}
	LlmGrammarFree(g);
	g = Parse("root ::= .*");
	if (g != NULL && LlmGrammarMatcherCreate(g, NULL, &m, &err) == LLM_OK)
	{
		CHECK(!LlmGrammarMatcherAllows(m, "\x80", 1), "a stray continuation byte is refused");
		CHECK(!LlmGrammarMatcherAllows(m, "\xc1", 1), "an overlong two-byte lead (a 7-bit character) is refused");
		CHECK(!LlmGrammarMatcherAllows(m, "\xe6\x41", 2), "a lead byte followed by ASCII is refused");
		CHECK(!LlmGrammarMatcherAllows(m, "\xf8\x80", 2), "0xF8 is no lead byte");
		CHECK(LlmGrammarMatcherAllows(m, "\xf0\x9f\x98", 3) && LlmGrammarMatcherAllows(m, "\xf0\x9f\x98\x80", 4),
			  "four-byte characters, whole or begun");
		LlmGrammarMatcherFree(m);
	}
	LlmGrammarFree(g);

	/* the end: possible, or the only thing left */
	g = Parse("root ::= \"a\" \" \"?");
	if (g != NULL && LlmGrammarMatcherCreate(g, NULL, &m, &err) == LLM_OK)
	{
		CHECK(!LlmGrammarMatcherCanEnd(m) && !LlmGrammarMatcherMustEnd(m), "nothing yet: no end");
		CHECK(LlmGrammarMatcherAcceptText(m, "a", 1, &err) && LlmGrammarMatcherCanEnd(m) &&
			  !LlmGrammarMatcherMustEnd(m), "after \"a\" it may end or go on");
		CHECK(LlmGrammarMatcherAcceptText(m, " ", 1, &err) && LlmGrammarMatcherMustEnd(m),
			  "after \"a \" it must end");
		LlmGrammarMatcherFree(m);
	}
	LlmGrammarFree(g);
	g = Parse("root ::= \"\"");
	if (g != NULL && LlmGrammarMatcherCreate(g, NULL, &m, &err) == LLM_OK)
	{
		CHECK(LlmGrammarMatcherMustEnd(m), "a grammar of the empty text must end at once");
		CHECK(LlmGrammarMatcherMask(m, NULL, NULL, &err) == LLM_ERR_ARGUMENT &&
			  strstr(err.message, "without a vocabulary") != NULL, "no masks without a vocabulary: %s",
			  err.message);
		LlmGrammarMatcherFree(m);
	}
	LlmGrammarFree(g);

	/* an ambiguous grammar: 2^k stacks after k characters, bounded */
	g = Parse("root ::= e\ne ::= \"a\" e \"b\" | \"a\" e \"c\" |");
	if (g != NULL && LlmGrammarMatcherCreate(g, NULL, &m, &err) == LLM_OK)
	{
		memset(text, 'a', 20);
		CHECK(!LlmGrammarMatcherAcceptText(m, text, 20, &err) && err.code == LLM_ERR_ARGUMENT &&
			  strstr(err.message, "too ambiguous") != NULL, "too many parse stacks are an error: %s", err.message);
		LlmGrammarMatcherFree(m);
	}
	LlmGrammarFree(g);
}

/*
 * Deep nesting: the tables pass their size and are started afresh from the
 * current state, and matching goes on.
 */
static void
TestDeepNesting(void)
{
	LlmGrammar *g = Parse("root ::= \"(\" root \")\" | \"x\"");
	LlmGrammarMatcher *m;
	LlmGrammarStats st;
	LlmError	err;
	char		chunk[1000];
	const int	depth = 100000;
	bool		ok = true;

	if (g == NULL || LlmGrammarMatcherCreate(g, NULL, &m, &err) != LLM_OK)
		return;
	memset(chunk, '(', sizeof(chunk));
	for (int i = 0; i < depth / 1000 && ok; i++)
		ok = LlmGrammarMatcherAcceptText(m, chunk, sizeof(chunk), &err);
	ok = ok && LlmGrammarMatcherAcceptText(m, "x", 1, &err);
	memset(chunk, ')', sizeof(chunk));
	for (int i = 0; i < depth / 1000 && ok; i++)
	{
		CHECK(!LlmGrammarMatcherCanEnd(m), "not complete with parentheses open");
		ok = LlmGrammarMatcherAcceptText(m, chunk, sizeof(chunk), &err);
	}
	LlmGrammarMatcherGetStats(m, &st);
	CHECK(ok && LlmGrammarMatcherMustEnd(m), "%d nested parentheses: %s", depth, ok ? "" : err.message);
	CHECK(st.restarts > 0 && st.sets < (1 << 16) && st.frames < (1 << 19),
		  "the tables stay bounded (restarts %ld, sets %d, frames %d)", st.restarts, st.sets, st.frames);
	LlmGrammarMatcherFree(m);
	LlmGrammarFree(g);
}

/*
 * Masks against the tokens tried one by one: along a random walk of
 * allowed tokens, every step's mask is exactly the set of tokens whose
 * text the matcher allows (ends of generation: where it may end).
 */
static void
CheckMasks(const char *vocab_path, const char *grammar_text, const char *what, uint64_t seed,
		   int steps)
{
	GgufFile   *f = NULL;
	LlmVocab   *vocab = NULL;
	LlmTokenTrie *trie = NULL;
	LlmGrammar *g = Parse(grammar_text);
	LlmGrammarMatcher *m = NULL;
	LlmError	err;
	int			mismatches = 0;
	int			walked = 0;

	if (g == NULL)
		return;
	if (GgufOpen(vocab_path, &f, &err) != LLM_OK || LlmVocabLoad(f, &vocab, &err) != LLM_OK ||
		LlmTokenTrieBuild(vocab, vocab->n_tokens + 3, &trie, &err) != LLM_OK ||
		LlmGrammarMatcherCreate(g, trie, &m, &err) != LLM_OK)
	{
		CHECK(false, "%s: %s", vocab_path, err.message);
		goto done;
	}
	for (int step = 0; step < steps; step++)
	{
		const uint64_t *bits;
		int			n_allowed;
		int			count = 0;
		int			pick;
		int32_t		chosen = -1;

		if (LlmGrammarMatcherMask(m, &bits, &n_allowed, &err) != LLM_OK)
		{
			CHECK(false, "%s mask: %s", what, err.message);
			break;
		}
		for (int32_t id = 0; id < trie->n_vocab; id++)
		{
			bool		want;
			bool		got = (bits[id >> 6] >> (id & 63)) & 1;

			if (trie->kind[id] == LLM_TRIE_EOG)
				want = LlmGrammarMatcherCanEnd(m);
			else if (trie->kind[id] == LLM_TRIE_TEXT)
			{
				uint32_t	len;
				const char *piece = LlmTokenTriePiece(trie, id, &len);

				want = LlmGrammarMatcherAllows(m, piece, len);
			}
			else
				want = false;
			if (want != got && mismatches++ < 5)
				fprintf(stderr, "%s step %d token %d: mask %d, one by one %d\n", what, step, id, got, want);
			count += got;
		}
		CHECK(count == n_allowed, "%s: the mask counts its tokens", what);
		if (n_allowed == 0)
			break;
		/* a random allowed token, not an end */
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		pick = (int) ((seed >> 33) % (uint64_t) n_allowed);
		for (int32_t id = 0; id < trie->n_vocab && chosen < 0; id++)
			if ((bits[id >> 6] >> (id & 63)) & 1 && pick-- == 0)
				chosen = id;
		if (trie->kind[chosen] == LLM_TRIE_EOG)
			break;
		if (LlmGrammarMatcherAccept(m, chosen, &err) != LLM_OK)
		{
			CHECK(false, "%s: an allowed token is accepted: %s", what, err.message);
			break;
		}
		walked++;
	}
	CHECK(mismatches == 0 && walked > 0, "%s on %s: masks equal the tokens tried one by one (%d mismatches, %d steps)",
		  what, vocab_path, mismatches, walked);

	/* tokens past the vocabulary, and a token the grammar refuses */
	if (m != NULL && !LlmGrammarMatcherMustEnd(m))
	{
		CHECK(LlmGrammarMatcherAccept(m, vocab->n_tokens + 1, &err) == LLM_ERR_ARGUMENT,
			  "a token with no text is refused");
		CHECK(LlmGrammarMatcherAccept(m, trie->n_vocab, &err) == LLM_ERR_ARGUMENT &&
			  strstr(err.message, "out of range") != NULL, "a token out of range is refused");
	}

done:
	LlmGrammarMatcherFree(m);
	LlmTokenTrieFree(trie);
	LlmVocabFree(vocab);
	if (f != NULL)
		GgufClose(f);
	LlmGrammarFree(g);
}

static void
TestMasks(void)
{
	size_t		len;
	char	   *json = ReadGrammar("json.gbnf", &len);
	char	   *japanese = ReadGrammar("japanese.gbnf", &len);
	const char *wide = "root ::= [^\\x00]{0,50}";
	const char *accents = "root ::= ([a-z] | [\\u00e0-\\u00ff] | \"\\u4e00\")+ \"!\"";
	const char *vocabs[] = {
		"../shared/models/stories260K.gguf",	/* SentencePiece, byte tokens */
		"../shared/vocab/ggml-vocab-qwen2.gguf",	/* byte-level BPE */
		"../shared/vocab/ggml-vocab-llama-spm.gguf",
	};

	for (size_t v = 0; v < sizeof(vocabs) / sizeof(vocabs[0]); v++)
	{
		int			steps = v == 1 ? 12 : 30;

		if (json != NULL)
			CheckMasks(vocabs[v], json, "json.gbnf", 11 + v, steps);
		if (japanese != NULL)
			CheckMasks(vocabs[v], japanese, "japanese.gbnf", 5 + v, steps);
		CheckMasks(vocabs[v], wide, "[^\\x00]{0,50}", 3 + v, steps);
		CheckMasks(vocabs[v], accents, "accents", 7 + v, steps);
	}
	free(json);
	free(japanese);
}

int
main(void)
{
	TestConstructs();
	TestErrors();
	TestLlamaExamples();
	TestMatcherText();
	TestDeepNesting();
	TestMasks();
	return UnitSummary("gbnf");
}
