/*-------------------------------------------------------------------------
 *
 * grammar_check.h
 *	  Independent checks of constrained outputs for test_grammar_gen.c: a
 *	  JSON parser, a JSON Schema validator with its own regular expression
 *	  matcher and format checks, and recognisers of llama.cpp's example
 *	  grammars.  None of it uses the engine's grammar code (nor its JSON
 *	  reader), so that an output the matcher wrongly allowed is caught.
 *
 * Header-only, as unit.h: the unit tests are single files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_TEST_GRAMMAR_CHECK_H
#define LLM_TEST_GRAMMAR_CHECK_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum JType
{
	J_NULL,
	J_BOOL,
	J_NUM,
	J_STR,
	J_ARR,
	J_OBJ
} JType;

typedef struct JNode
{
	JType		type;
	bool		boolean;
	double		num;
	uint32_t   *chars;			/* a string's characters, surrogate pairs
								 * joined */
	int			n_chars;
	int			n;				/* items or members */
	struct JNode *kids;
	char	  **keys;			/* members' names as UTF-8 */
} JNode;

typedef struct JParser
{
	const char *s;
	size_t		len;
	size_t		i;
	bool		raw_controls;
	int			depth;
} JParser;

static void
JFreeInner(JNode *v)
{
	free(v->chars);
	for (int k = 0; k < v->n; k++)
	{
		JFreeInner(&v->kids[k]);
		if (v->keys != NULL)
			free(v->keys[k]);
	}
	free(v->kids);
	free(v->keys);
}

static void
JFree(JNode *v)
{
	if (v != NULL)
	{
		JFreeInner(v);
		free(v);
	}
}

static void
JSkip(JParser *p)
{
	while (p->i < p->len && strchr(" \t\n\r", p->s[p->i]) != NULL)
		p->i++;
}

static bool JValue(JParser *p, JNode *out);

static int
JHex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
		c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* One UTF-8 character of s (well-formed only); 0 bytes if not. */
static int
JUtf8(const unsigned char *s, size_t avail, uint32_t *cp)
{
	int			n = s[0] < 0x80 ? 1 : s[0] >= 0xC2 && s[0] < 0xE0 ? 2 : s[0] >= 0xE0 && s[0] < 0xF0 ? 3 :
		s[0] >= 0xF0 && s[0] < 0xF5 ? 4 : 0;
	uint32_t	v;

	if (n == 0 || (size_t) n > avail)
		return 0;
	v = n == 1 ? s[0] : n == 2 ? s[0] & 0x1F : n == 3 ? s[0] & 0x0F : s[0] & 0x07;
	for (int k = 1; k < n; k++)
	{
		if ((s[k] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[k] & 0x3F);
	}
	if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
		(v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

/* A string's characters; lone surrogates are kept as they are (lenient). */
static bool
JString(JParser *p, uint32_t **out, int *n_out)
{
	uint32_t   *chars = malloc(sizeof(uint32_t) * (p->len + 1));
	int			n = 0;

	if (chars == NULL || p->s[p->i] != '"')
		goto fail;
	p->i++;
	while (p->i < p->len && p->s[p->i] != '"')
	{
		unsigned char c = (unsigned char) p->s[p->i];
		uint32_t	cp;

		if (c == '\\')
		{
			char		e = p->i + 1 < p->len ? p->s[p->i + 1] : 0;
			const char *simple = strchr("\"\\/bfnrt", e);

			if (e == 'u')
			{
				uint32_t	v = 0;

				for (int k = 0; k < 4; k++)
				{
					int			d = p->i + 2 + k < p->len ? JHex(p->s[p->i + 2 + k]) : -1;

					if (d < 0)
						goto fail;
					v = v * 16 + (uint32_t) d;
				}
				p->i += 6;
				/* a high surrogate followed by a low one is one character */
				if (v >= 0xD800 && v < 0xDC00 && n >= 0 && p->i + 6 <= p->len &&
					p->s[p->i] == '\\' && p->s[p->i + 1] == 'u')
				{
					uint32_t	w = 0;
					bool		hex = true;

					for (int k = 0; k < 4 && hex; k++)
					{
						int			d = JHex(p->s[p->i + 2 + k]);

						hex = d >= 0;
						w = w * 16 + (uint32_t) (d < 0 ? 0 : d);
					}
					if (hex && w >= 0xDC00 && w < 0xE000)
					{
						v = 0x10000 + ((v - 0xD800) << 10) + (w - 0xDC00);
						p->i += 6;
					}
				}
				chars[n++] = v;
				continue;
			}
			if (e == 0 || simple == NULL)
				goto fail;
			chars[n++] = (uint32_t) ("\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"]);
			p->i += 2;
			continue;
		}
		if (c < 0x20 && !p->raw_controls)
			goto fail;
		{
			int			k = JUtf8((const unsigned char *) p->s + p->i, p->len - p->i, &cp);

			if (k == 0)
				goto fail;
			chars[n++] = cp;
			p->i += k;
		}
	}
	if (p->i >= p->len)
		goto fail;
	p->i++;
	*out = chars;
	*n_out = n;
	return true;

fail:
	free(chars);
	return false;
}

static char *
JCharsToUtf8(const uint32_t *c, int n)
{
	char	   *s = malloc((size_t) n * 4 + 1);
	size_t		k = 0;

	if (s == NULL)
		return NULL;
	for (int i = 0; i < n; i++)
	{
		uint32_t	v = c[i];

		if (v < 0x80)
			s[k++] = (char) v;
		else if (v < 0x800)
			s[k++] = (char) (0xC0 | (v >> 6)), s[k++] = (char) (0x80 | (v & 0x3F));
		else if (v < 0x10000)
			s[k++] = (char) (0xE0 | (v >> 12)), s[k++] = (char) (0x80 | ((v >> 6) & 0x3F)),
				s[k++] = (char) (0x80 | (v & 0x3F));
		else
			s[k++] = (char) (0xF0 | (v >> 18)), s[k++] = (char) (0x80 | ((v >> 12) & 0x3F)),
				s[k++] = (char) (0x80 | ((v >> 6) & 0x3F)), s[k++] = (char) (0x80 | (v & 0x3F));
	}
	s[k] = '\0';
	return s;
}

static bool
JNumber(JParser *p, JNode *out)
{
	size_t		start = p->i;
	char		buf[512];

	if (p->s[p->i] == '-')
		p->i++;
	if (p->i >= p->len || p->s[p->i] < '0' || p->s[p->i] > '9')
		return false;
	if (p->s[p->i] == '0')
		p->i++;
	else
		while (p->i < p->len && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
	if (p->i < p->len && p->s[p->i] == '.')
	{
		p->i++;
		if (p->i >= p->len || p->s[p->i] < '0' || p->s[p->i] > '9')
			return false;
		while (p->i < p->len && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
	}
	if (p->i < p->len && (p->s[p->i] == 'e' || p->s[p->i] == 'E'))
	{
		p->i++;
		if (p->i < p->len && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		if (p->i >= p->len || p->s[p->i] < '0' || p->s[p->i] > '9')
			return false;
		while (p->i < p->len && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
	}
	if (p->i - start >= sizeof(buf))
		return false;
	memcpy(buf, p->s + start, p->i - start);
	buf[p->i - start] = '\0';
	out->type = J_NUM;
	out->num = strtod(buf, NULL);
	return true;
}

static bool
JValue(JParser *p, JNode *out)
{
	memset(out, 0, sizeof(*out));
	JSkip(p);
	if (p->i >= p->len || ++p->depth > 200)
		return false;
	switch (p->s[p->i])
	{
		case '{':
		case '[':
			{
				bool		obj = p->s[p->i] == '{';
				int			cap = 0;

				out->type = obj ? J_OBJ : J_ARR;
				p->i++;
				JSkip(p);
				if (p->i < p->len && p->s[p->i] == (obj ? '}' : ']'))
				{
					p->i++;
					break;
				}
				for (;;)
				{
					if (out->n == cap)
					{
						cap = cap ? cap * 2 : 4;
						out->kids = realloc(out->kids, sizeof(JNode) * cap);
						if (obj)
							out->keys = realloc(out->keys, sizeof(char *) * cap);
					}
					memset(&out->kids[out->n], 0, sizeof(JNode));
					if (obj)
					{
						uint32_t   *k;
						int			kn;

						out->keys[out->n] = NULL;
						JSkip(p);
						if (p->i >= p->len || !JString(p, &k, &kn))
						{
							out->n++;
							return false;
						}
						out->keys[out->n] = JCharsToUtf8(k, kn);
						free(k);
						JSkip(p);
						if (p->i >= p->len || p->s[p->i] != ':')
						{
							out->n++;
							return false;
						}
						p->i++;
					}
					out->n++;
					if (!JValue(p, &out->kids[out->n - 1]))
						return false;
					JSkip(p);
					if (p->i < p->len && p->s[p->i] == ',')
					{
						p->i++;
						continue;
					}
					if (p->i < p->len && p->s[p->i] == (obj ? '}' : ']'))
					{
						p->i++;
						break;
					}
					return false;
				}
				break;
			}
		case '"':
			out->type = J_STR;
			if (!JString(p, &out->chars, &out->n_chars))
				return false;
			break;
		case 't':
		case 'f':
		case 'n':
			{
				const char *w = p->s[p->i] == 't' ? "true" : p->s[p->i] == 'f' ? "false" : "null";
				size_t		n = strlen(w);

				if (p->i + n > p->len || memcmp(p->s + p->i, w, n) != 0)
					return false;
				p->i += n;
				out->type = w[0] == 'n' ? J_NULL : J_BOOL;
				out->boolean = w[0] == 't';
				break;
			}
		default:
			if (!JNumber(p, out))
				return false;
	}
	p->depth--;
	return true;
}

static JNode *
JParse(const char *text, size_t len, bool raw_controls)
{
	JParser		p = {text, len, 0, raw_controls, 0};
	JNode	   *v = calloc(1, sizeof(JNode));

	if (v == NULL)
		return NULL;
	if (!JValue(&p, v))
	{
		JFree(v);
		return NULL;
	}
	JSkip(&p);
	if (p.i != len)
	{
		JFree(v);
		return NULL;
	}
	return v;
}

static const JNode *
JGet(const JNode *obj, const char *key)
{
	if (obj == NULL || obj->type != J_OBJ)
		return NULL;
	for (int k = 0; k < obj->n; k++)
		if (strcmp(obj->keys[k], key) == 0)
			return &obj->kids[k];
	return NULL;
}

static bool
JStrIs(const JNode *v, const char *s)
{
	char	   *u;
	bool		eq;

	if (v == NULL || v->type != J_STR)
		return false;
	u = JCharsToUtf8(v->chars, v->n_chars);
	eq = u != NULL && strcmp(u, s) == 0;
	free(u);
	return eq;
}

static bool
JEqual(const JNode *a, const JNode *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type)
	{
		case J_NULL:
			return true;
		case J_BOOL:
			return a->boolean == b->boolean;
		case J_NUM:
			return a->num == b->num;
		case J_STR:
			return a->n_chars == b->n_chars &&
				memcmp(a->chars, b->chars, sizeof(uint32_t) * a->n_chars) == 0;
		case J_ARR:
			if (a->n != b->n)
				return false;
			for (int k = 0; k < a->n; k++)
				if (!JEqual(&a->kids[k], &b->kids[k]))
					return false;
			return true;
		case J_OBJ:
			if (a->n != b->n)
				return false;
			for (int k = 0; k < a->n; k++)
			{
				const JNode *o = JGet(b, a->keys[k]);

				if (o == NULL || !JEqual(&a->kids[k], o))
					return false;
			}
			return true;
	}
	return false;
}

/*
 * Whether len bytes are the beginning of some JSON value (a text cut short
 * by a token limit): a pushdown automaton over the characters, with a
 * stack of the open arrays and objects.
 */
static bool
JPrefixValid(const char *s, size_t len, bool raw_controls, char root)
{
	enum
	{
		VALUE, VALUE_OR_CLOSE, AFTER_VALUE, KEY, KEY_OR_CLOSE, COLON, STRING, ESCAPE, UNICODE,
		NUMBER, LITERAL
	}			state = VALUE;
	char		stack[256];
	int			depth = 0;
	bool		in_key = false;
	int			hex_left = 0;
	const char *literal = NULL;
	size_t		lit_pos = 0;
	int			num_state = 0;	/* 0 sign, 1 int first, 2 int, 3 frac first, 4 frac, 5 exp sign, 6 exp first, 7 exp */
	bool		started = false;

	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];
		bool		ws = c == ' ' || c == '\t' || c == '\n' || c == '\r';

		if (state == NUMBER)
		{
			bool		digit = c >= '0' && c <= '9';
			bool		ok = true;

			switch (num_state)
			{
				case 0:			/* after '-' */
					ok = digit;
					num_state = c == '0' ? 8 : 2;
					break;
				case 2:			/* in the integer part */
				case 8:			/* after a leading 0 */
					if (digit && num_state == 2)
						break;
					if (c == '.')
						num_state = 3;
					else if (c == 'e' || c == 'E')
						num_state = 5;
					else
						ok = false;
					break;
				case 3:
					ok = digit;
					num_state = 4;
					break;
				case 4:
					if (digit)
						break;
					if (c == 'e' || c == 'E')
						num_state = 5;
					else
						ok = false;
					break;
				case 5:
					if (c == '+' || c == '-')
					{
						num_state = 6;
						break;
					}
					/* FALLTHROUGH */
				case 6:
					ok = digit;
					num_state = 7;
					break;
				case 7:
					ok = digit;
					break;
			}
			if (ok)
				continue;
			/* the number ended: only a complete one may */
			if (num_state != 2 && num_state != 8 && num_state != 4 && num_state != 7)
				return false;
			state = AFTER_VALUE;
		}
		if (state == LITERAL)
		{
			if (c != (unsigned char) literal[lit_pos])
				return false;
			if (literal[++lit_pos] == '\0')
				state = AFTER_VALUE;
			continue;
		}
		if (state == STRING)
		{
			if (c == '"')
				state = in_key ? COLON : AFTER_VALUE;
			else if (c == '\\')
				state = ESCAPE;
			else if (c < 0x20 && !raw_controls)
				return false;
			continue;
		}
		if (state == ESCAPE)
		{
			if (c == 'u')
			{
				state = UNICODE;
				hex_left = 4;
			}
			else if (strchr("\"\\/bfnrt", c) == NULL || c == 0)
				return false;
			else
				state = STRING;
			continue;
		}
		if (state == UNICODE)
		{
			if (JHex((char) c) < 0)
				return false;
			if (--hex_left == 0)
				state = STRING;
			continue;
		}
		if (ws)
		{
			/* whitespace between tokens, not before the root value */
			if (!started)
				return false;
			continue;
		}
		switch (state)
		{
			case VALUE:
			case VALUE_OR_CLOSE:
				if (!started && root != 0 && c != (unsigned char) root)
					return false;
				started = true;
				if (state == VALUE_OR_CLOSE && c == ']')
				{
					depth--;
					state = AFTER_VALUE;
				}
				else if (c == '{' || c == '[')
				{
					if (depth == (int) sizeof(stack))
						return false;
					stack[depth++] = (char) c;
					state = c == '{' ? KEY_OR_CLOSE : VALUE_OR_CLOSE;
				}
				else if (c == '"')
				{
					state = STRING;
					in_key = false;
				}
				else if (c == '-' || (c >= '0' && c <= '9'))
				{
					state = NUMBER;
					num_state = c == '-' ? 0 : c == '0' ? 8 : 2;
				}
				else if (c == 't' || c == 'f' || c == 'n')
				{
					literal = c == 't' ? "true" : c == 'f' ? "false" : "null";
					lit_pos = 1;
					state = LITERAL;
				}
				else
					return false;
				break;
			case KEY:
			case KEY_OR_CLOSE:
				if (state == KEY_OR_CLOSE && c == '}')
				{
					depth--;
					state = AFTER_VALUE;
				}
				else if (c == '"')
				{
					state = STRING;
					in_key = true;
				}
				else
					return false;
				break;
			case COLON:
				if (c != ':')
					return false;
				state = VALUE;
				break;
			case AFTER_VALUE:
				if (depth == 0)
					return false;
				if (c == ',')
					state = stack[depth - 1] == '{' ? KEY : VALUE;
				else if (c == (stack[depth - 1] == '{' ? '}' : ']'))
				{
					depth--;
					state = AFTER_VALUE;
				}
				else
					return false;
				break;
			default:
				return false;
		}
	}
	return true;
}

/* ---- regular expressions: a backtracking matcher over code points ---- */

typedef struct RxNode RxNode;

typedef struct RxItem
{
	int			kind;			/* 0 a set, 1 a group */
	uint32_t	lo[16];			/* a set: ranges */
	uint32_t	hi[16];
	int			n_ranges;
	bool		negated;
	bool		any;			/* '.' */
	RxNode	   *group;
	int			min;
	int			max;			/* -1: none */
} RxItem;

struct RxNode					/* alternatives of sequences */
{
	RxItem	   *items[8][24];
	int			n_items[8];
	int			n_alts;
};

typedef struct RxCont RxCont;
struct RxCont
{
	bool		(*fn) (const RxCont *k, int pos);
	const RxNode *node;
	int			alt;
	int			idx;
	int			count;
	int			start;
	const RxCont *next;
	const uint32_t *s;
	int			n;
};

static void
RxFree(RxNode *node)
{
	if (node == NULL)
		return;
	for (int a = 0; a < node->n_alts; a++)
		for (int i = 0; i < node->n_items[a]; i++)
		{
			RxFree(node->items[a][i]->group);
			free(node->items[a][i]);
		}
	free(node);
}

static void
RxAddShorthand(RxItem *it, char c)
{
	if (c == 'd')
		it->lo[it->n_ranges] = '0', it->hi[it->n_ranges++] = '9';
	else if (c == 'w')
	{
		it->lo[it->n_ranges] = 'a', it->hi[it->n_ranges++] = 'z';
		it->lo[it->n_ranges] = 'A', it->hi[it->n_ranges++] = 'Z';
		it->lo[it->n_ranges] = '0', it->hi[it->n_ranges++] = '9';
		it->lo[it->n_ranges] = '_', it->hi[it->n_ranges++] = '_';
	}
	else
	{
		it->lo[it->n_ranges] = ' ', it->hi[it->n_ranges++] = ' ';
		it->lo[it->n_ranges] = '\t', it->hi[it->n_ranges++] = '\r';
	}
}

static uint32_t
RxEscapeChar(char e)
{
	return e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == 'f' ? '\f' : e == 'v' ? '\v' : (uint32_t) e;
}

static RxNode *RxParseAlt(const char **p);

static RxItem *
RxParseAtom(const char **p)
{
	RxItem	   *it = calloc(1, sizeof(RxItem));
	const char *s = *p;

	it->max = -2;
	if (*s == '(')
	{
		s++;
		if (s[0] == '?' && s[1] == ':')
			s += 2;
		it->kind = 1;
		it->group = RxParseAlt(&s);
		if (*s == ')')
			s++;
	}
	else if (*s == '[')
	{
		s++;
		if (*s == '^')
			it->negated = true, s++;
		while (*s && *s != ']')
		{
			uint32_t	lo;

			if (*s == '\\' && strchr("dws", s[1]) != NULL)
			{
				RxAddShorthand(it, s[1]);
				s += 2;
				continue;
			}
			if (*s == '\\')
				lo = RxEscapeChar(s[1]), s += 2;
			else
				s += JUtf8((const unsigned char *) s, 4, &lo);
			it->lo[it->n_ranges] = it->hi[it->n_ranges] = lo;
			if (s[0] == '-' && s[1] != ']' && s[1])
			{
				s++;
				if (*s == '\\')
					it->hi[it->n_ranges] = RxEscapeChar(s[1]), s += 2;
				else
					s += JUtf8((const unsigned char *) s, 4, &it->hi[it->n_ranges]);
			}
			it->n_ranges++;
		}
		if (*s == ']')
			s++;
	}
	else if (*s == '.')
	{
		it->any = true;
		s++;
	}
	else if (*s == '\\' && strchr("dws", s[1]) != NULL)
	{
		RxAddShorthand(it, s[1]);
		s += 2;
	}
	else
	{
		uint32_t	c;

		if (*s == '\\')
			c = RxEscapeChar(s[1]), s += 2;
		else
			s += JUtf8((const unsigned char *) s, 4, &c);
		it->lo[0] = it->hi[0] = c;
		it->n_ranges = 1;
	}
	/* a quantifier */
	it->min = it->max = 1;
	if (*s == '*')
		it->min = 0, it->max = -1, s++;
	else if (*s == '+')
		it->min = 1, it->max = -1, s++;
	else if (*s == '?')
		it->min = 0, it->max = 1, s++;
	else if (*s == '{')
	{
		char	   *end;

		it->min = (int) strtol(s + 1, &end, 10);
		it->max = it->min;
		if (*end == ',')
		{
			end++;
			it->max = *end == '}' ? -1 : (int) strtol(end, &end, 10);
		}
		s = end + 1;
	}
	*p = s;
	return it;
}

static RxNode *
RxParseAlt(const char **p)
{
	RxNode	   *node = calloc(1, sizeof(RxNode));

	node->n_alts = 1;
	while (**p && **p != ')')
	{
		if (**p == '|')
		{
			node->n_alts++;
			(*p)++;
			continue;
		}
		node->items[node->n_alts - 1][node->n_items[node->n_alts - 1]++] = RxParseAtom(p);
	}
	return node;
}

static bool
RxSetHas(const RxItem *it, uint32_t c)
{
	bool		in = it->any;

	for (int r = 0; r < it->n_ranges && !in; r++)
		in = it->lo[r] <= c && c <= it->hi[r];
	if (it->any)
		return c != '\n' && c != '\r';
	return in != it->negated;
}

static bool RxSeq(const RxNode *node, int alt, int idx, int pos, const RxCont *k, const uint32_t *s,
				  int n);

/* After one more repetition of item idx. */
static bool RxRep(const RxNode *node, int alt, int idx, int count, int pos, int last,
				  const RxCont *k, const uint32_t *s, int n);

static bool
RxAfterGroup(const RxCont *k, int pos)
{
	return RxRep(k->node, k->alt, k->idx, k->count + 1, pos, k->start, k->next, k->s, k->n);
}

static bool
RxRep(const RxNode *node, int alt, int idx, int count, int pos, int last, const RxCont *k,
	  const uint32_t *s, int n)
{
	const RxItem *it = node->items[alt][idx];

	/* more first (greedy), unless the last repetition matched nothing */
	if ((it->max < 0 || count < it->max) && !(count > 0 && pos == last))
	{
		if (it->kind == 0)
		{
			if (pos < n && RxSetHas(it, s[pos]) &&
				RxRep(node, alt, idx, count + 1, pos + 1, pos, k, s, n))
				return true;
		}
		else
		{
			RxCont		c = {RxAfterGroup, node, alt, idx, count, pos, k, s, n};

			for (int a = 0; a < it->group->n_alts; a++)
				if (RxSeq(it->group, a, 0, pos, &c, s, n))
					return true;
		}
	}
	if (count >= it->min)
		return RxSeq(node, alt, idx + 1, pos, k, s, n);
	return false;
}

static bool
RxSeq(const RxNode *node, int alt, int idx, int pos, const RxCont *k, const uint32_t *s, int n)
{
	if (idx == node->n_items[alt])
		return k != NULL ? k->fn(k, pos) : pos == n;
	return RxRep(node, alt, idx, 0, pos, -1, k, s, n);
}

static bool
RegexMatch(const char *pattern, const uint32_t *chars, int n)
{
	size_t		len = strlen(pattern);
	char	   *body = malloc(len + 1);
	const char *p;
	RxNode	   *node;
	bool		ok = false;

	if (body == NULL || len < 2 || pattern[0] != '^' || pattern[len - 1] != '$')
	{
		free(body);
		return false;
	}
	memcpy(body, pattern + 1, len - 2);
	body[len - 2] = '\0';
	p = body;
	node = RxParseAlt(&p);
	for (int a = 0; a < node->n_alts && !ok; a++)
		ok = RxSeq(node, a, 0, 0, NULL, chars, n);
	RxFree(node);
	free(body);
	return ok;
}

/* ---- formats, as llama.cpp's grammars define them ---- */

static bool
Digits(const uint32_t *c, int n)
{
	for (int i = 0; i < n; i++)
		if (c[i] < '0' || c[i] > '9')
			return false;
	return true;
}

static int
Num(const uint32_t *c, int n)
{
	int			v = 0;

	for (int i = 0; i < n; i++)
		v = v * 10 + (int) (c[i] - '0');
	return v;
}

static bool
IsDate(const uint32_t *c, int n)
{
	return n == 10 && Digits(c, 4) && c[4] == '-' && Digits(c + 5, 2) && c[7] == '-' &&
		Digits(c + 8, 2) && Num(c + 5, 2) >= 1 && Num(c + 5, 2) <= 12 && Num(c + 8, 2) >= 1 &&
		Num(c + 8, 2) <= 31;
}

static bool
IsTime(const uint32_t *c, int n)
{
	int			i = 8;

	if (n < 9 || !Digits(c, 2) || c[2] != ':' || !Digits(c + 3, 2) || c[5] != ':' || !Digits(c + 6, 2) ||
		Num(c, 2) > 23 || Num(c + 3, 2) > 59 || Num(c + 6, 2) > 59)
		return false;
	if (c[i] == '.')
	{
		if (n < i + 4 || !Digits(c + i + 1, 3))
			return false;
		i += 4;
	}
	if (i < n && c[i] == 'Z')
		return i + 1 == n;
	return n == i + 6 && (c[i] == '+' || c[i] == '-') && Digits(c + i + 1, 2) && c[i + 3] == ':' &&
		Digits(c + i + 4, 2) && Num(c + i + 1, 2) <= 23 && Num(c + i + 4, 2) <= 59;
}

static bool
IsUuid(const uint32_t *c, int n)
{
	if (n != 36)
		return false;
	for (int i = 0; i < 36; i++)
	{
		bool		hex = (c[i] >= '0' && c[i] <= '9') || (c[i] >= 'a' && c[i] <= 'f') ||
			(c[i] >= 'A' && c[i] <= 'F');

		if ((i == 8 || i == 13 || i == 18 || i == 23) ? c[i] != '-' : !hex)
			return false;
	}
	return true;
}

/* ---- the validator ---- */

static bool
JFail(char *why, size_t len, const char *fmt, const char *what)
{
	snprintf(why, len, fmt, what);
	return false;
}

static bool
JTypeIs(const JNode *value, const char *type)
{
	if (strcmp(type, "null") == 0)
		return value->type == J_NULL;
	if (strcmp(type, "boolean") == 0)
		return value->type == J_BOOL;
	if (strcmp(type, "number") == 0)
		return value->type == J_NUM;
	if (strcmp(type, "integer") == 0)
		return value->type == J_NUM && value->num == floor(value->num);
	if (strcmp(type, "string") == 0)
		return value->type == J_STR;
	if (strcmp(type, "array") == 0)
		return value->type == J_ARR;
	return value->type == J_OBJ;
}

static bool
JValidate(const JNode *schema, const JNode *root, const JNode *value, char *why, size_t why_len)
{
	const JNode *k;

	if ((k = JGet(schema, "$ref")) != NULL)
	{
		char	   *ref = JCharsToUtf8(k->chars, k->n_chars);
		const JNode *target = JGet(JGet(root, "$defs"), ref + 8);
		bool		ok = target != NULL && JValidate(target, root, value, why, why_len);

		if (target == NULL)
			JFail(why, why_len, "unresolved %s", ref);
		free(ref);
		return ok;
	}
	if ((k = JGet(schema, "anyOf")) != NULL)
	{
		for (int i = 0; i < k->n; i++)
			if (JValidate(&k->kids[i], root, value, why, why_len))
				return true;
		return JFail(why, why_len, "%s", "no alternative of anyOf matches");
	}
	if ((k = JGet(schema, "type")) != NULL)
	{
		bool		ok = false;
		char	   *t;

		if (k->type == J_STR)
		{
			t = JCharsToUtf8(k->chars, k->n_chars);
			ok = JTypeIs(value, t);
			free(t);
		}
		for (int i = 0; k->type == J_ARR && i < k->n && !ok; i++)
		{
			t = JCharsToUtf8(k->kids[i].chars, k->kids[i].n_chars);
			ok = JTypeIs(value, t);
			free(t);
		}
		if (!ok)
			return JFail(why, why_len, "%s", "wrong type");
	}
	if ((k = JGet(schema, "const")) != NULL && !JEqual(k, value))
		return JFail(why, why_len, "%s", "not the const");
	if ((k = JGet(schema, "enum")) != NULL)
	{
		bool		ok = false;

		for (int i = 0; i < k->n && !ok; i++)
			ok = JEqual(&k->kids[i], value);
		if (!ok)
			return JFail(why, why_len, "%s", "not one of the enum");
	}
	if (value->type == J_STR)
	{
		if ((k = JGet(schema, "minLength")) != NULL && value->n_chars < k->num)
			return JFail(why, why_len, "%s", "shorter than minLength");
		if ((k = JGet(schema, "maxLength")) != NULL && value->n_chars > k->num)
			return JFail(why, why_len, "%s", "longer than maxLength");
		if ((k = JGet(schema, "pattern")) != NULL)
		{
			char	   *pat = JCharsToUtf8(k->chars, k->n_chars);
			bool		ok = RegexMatch(pat, value->chars, value->n_chars);

			free(pat);
			if (!ok)
				return JFail(why, why_len, "%s", "pattern does not match");
		}
		if ((k = JGet(schema, "format")) != NULL)
		{
			const uint32_t *c = value->chars;
			int			n = value->n_chars;
			bool		ok = JStrIs(k, "date") ? IsDate(c, n) : JStrIs(k, "time") ? IsTime(c, n) :
				JStrIs(k, "uuid") ? IsUuid(c, n) :
				JStrIs(k, "date-time") ? n > 11 && IsDate(c, 10) && c[10] == 'T' && IsTime(c + 11, n - 11) :
				false;

			if (!ok)
				return JFail(why, why_len, "%s", "not of the format");
		}
	}
	if (value->type == J_NUM)
	{
		if ((k = JGet(schema, "minimum")) != NULL && value->num < k->num)
			return JFail(why, why_len, "%s", "below minimum");
		if ((k = JGet(schema, "maximum")) != NULL && value->num > k->num)
			return JFail(why, why_len, "%s", "above maximum");
		if ((k = JGet(schema, "exclusiveMinimum")) != NULL && value->num <= k->num)
			return JFail(why, why_len, "%s", "not above exclusiveMinimum");
		if ((k = JGet(schema, "exclusiveMaximum")) != NULL && value->num >= k->num)
			return JFail(why, why_len, "%s", "not below exclusiveMaximum");
	}
	if (value->type == J_ARR)
	{
		if ((k = JGet(schema, "minItems")) != NULL && value->n < k->num)
			return JFail(why, why_len, "%s", "fewer than minItems");
		if ((k = JGet(schema, "maxItems")) != NULL && value->n > k->num)
			return JFail(why, why_len, "%s", "more than maxItems");
		if ((k = JGet(schema, "items")) != NULL)
			for (int i = 0; i < value->n; i++)
				if (!JValidate(k, root, &value->kids[i], why, why_len))
					return false;
	}
	if (value->type == J_OBJ)
	{
		const JNode *props = JGet(schema, "properties");
		const JNode *req = JGet(schema, "required");
		const JNode *add = JGet(schema, "additionalProperties");

		for (int i = 0; i < value->n; i++)
			for (int j = 0; j < i; j++)
				if (strcmp(value->keys[i], value->keys[j]) == 0)
					return JFail(why, why_len, "duplicate property %s", value->keys[i]);
		for (int i = 0; req != NULL && i < req->n; i++)
		{
			char	   *name = JCharsToUtf8(req->kids[i].chars, req->kids[i].n_chars);
			bool		ok = JGet(value, name) != NULL;

			if (!ok)
				JFail(why, why_len, "required %s missing", name);
			free(name);
			if (!ok)
				return false;
		}
		for (int i = 0; i < value->n; i++)
		{
			const JNode *ps = JGet(props, value->keys[i]);

			if (ps == NULL && add != NULL && add->type == J_BOOL && !add->boolean)
				return JFail(why, why_len, "additional property %s", value->keys[i]);
			if (ps != NULL && !JValidate(ps, root, &value->kids[i], why, why_len))
				return false;
		}
	}
	return true;
}

/* ---- recognisers of llama.cpp's example grammars ---- */

/*
 * A recursive-descent recogniser's place; with partial, reaching the end
 * of the text anywhere is success (a text cut short), and cut records it.
 */
typedef struct Rec
{
	const char *s;
	size_t		i;
	bool		partial;
	bool		cut;
} Rec;

/* At the end of a partial text: stop, successfully. */
static bool
RecEnd(Rec *r)
{
	if (r->partial && r->s[r->i] == '\0')
		r->cut = true;
	return r->cut;
}

static void
RecWs(Rec *r)
{
	while (r->s[r->i] == ' ' || r->s[r->i] == '\t' || r->s[r->i] == '\n')
		r->i++;
}

static bool RecArithExpr(Rec *r, int depth);

/* a term without its trailing ws: ident | num | "(" ws expr ")" */
static bool
RecArithCore(Rec *r, int depth)
{
	char		c = r->s[r->i];

	if (RecEnd(r))
		return true;

	if (c >= 'a' && c <= 'z')
	{
		while ((r->s[r->i] >= 'a' && r->s[r->i] <= 'z') || (r->s[r->i] >= '0' && r->s[r->i] <= '9') ||
			   r->s[r->i] == '_')
			r->i++;
		return true;
	}
	if (c >= '0' && c <= '9')
	{
		while (r->s[r->i] >= '0' && r->s[r->i] <= '9')
			r->i++;
		return true;
	}
	if (c == '(' && depth < 1000)
	{
		r->i++;
		RecWs(r);
		if (!RecArithExpr(r, depth + 1))
			return false;
		if (RecEnd(r))
			return true;
		if (r->s[r->i] != ')')
			return false;
		r->i++;
		return true;
	}
	return false;
}

/* term ::= core ws (every ws of the grammar is [ \t\n]*) */
static bool
RecArithTerm(Rec *r, int depth)
{
	if (!RecArithCore(r, depth))
		return false;
	RecWs(r);
	return true;
}

static bool
RecArithExpr(Rec *r, int depth)
{
	if (!RecArithTerm(r, depth))
		return false;
	while (!r->cut && r->s[r->i] != '\0' && strchr("-+*/", r->s[r->i]) != NULL)
	{
		r->i++;
		if (!RecArithTerm(r, depth))
			return false;
	}
	return true;
}

/*
 * root ::= (expr "=" ws term "\n")+: the last term's ws and the "\n" are
 * together a run of whitespace ending with a newline (the next line starts
 * with a term, never with whitespace).
 */
static bool
RecogniseArithmetic(const char *s, bool partial)
{
	Rec			r = {s, 0, partial, false};
	int			lines = 0;

	while (s[r.i] != '\0')
	{
		size_t		start;

		if (!RecArithExpr(&r, 0))
			return false;
		if (RecEnd(&r))
			return true;
		if (s[r.i] != '=')
			return false;
		r.i++;
		RecWs(&r);
		if (!RecArithCore(&r, 0))
			return false;
		if (r.cut)
			return true;
		start = r.i;
		RecWs(&r);
		if (partial && s[r.i] == '\0')
			return true;
		if (r.i == start || s[r.i - 1] != '\n')
			return false;
		lines++;
	}
	return lines > 0 || partial;
}

/* move ::= (pawn | nonpawn | castle) [+#]? */
static bool
RecChessMove(Rec *r)
{
	const char *s = r->s;
	size_t		i = r->i;
	bool		ok = false;

#define FILE_(c) ((c) >= 'a' && (c) <= 'h')
#define RANK_(c) ((c) >= '1' && (c) <= '8')
	if (strncmp(s + i, "O-O-O", 5) == 0)
		i += 5, ok = true;
	else if (strncmp(s + i, "O-O", 3) == 0)
		i += 3, ok = true;
	else if (strchr("NBKQR", s[i]) != NULL && s[i] != '\0')
	{
		/* [NBKQR] [a-h]? [1-8]? "x"? [a-h] [1-8]: the square is last */
		size_t		j = i + 1;
		size_t		end = j;

		while (s[end] != ' ' && s[end] != '\n' && s[end] != '+' && s[end] != '#' && s[end] != '\0')
			end++;
		if (end >= j + 2 && FILE_(s[end - 2]) && RANK_(s[end - 1]))
		{
			size_t		k = j;

			if (k < end - 2 && FILE_(s[k]))
				k++;
			if (k < end - 2 && RANK_(s[k]))
				k++;
			if (k < end - 2 && s[k] == 'x')
				k++;
			ok = k == end - 2;
			i = end;
		}
	}
	else if (FILE_(s[i]))
	{
		/* ([a-h] "x")? [a-h] [1-8] ("=" [NBKQR])? */
		if (s[i + 1] == 'x')
			i += 2;
		if (FILE_(s[i]) && RANK_(s[i + 1]))
		{
			i += 2;
			ok = true;
			if (s[i] == '=' && strchr("NBKQR", s[i + 1]) != NULL && s[i + 1] != '\0')
				i += 2;
		}
	}
#undef FILE_
#undef RANK_
	if (ok && (s[i] == '+' || s[i] == '#'))
		i++;
	r->i = i;
	return ok;
}

static bool
RecogniseChessLines(const char *s)
{
	Rec			r = {s, 0, false, false};
	int			lines = 0;

	while (s[r.i] != '\0')
	{
		if (lines == 0)
		{
			if (strncmp(s, "1. ", 3) != 0)
				return false;
			r.i = 3;
		}
		else
		{
			if (s[r.i] < '1' || s[r.i] > '9')
				return false;
			r.i++;
			if (s[r.i] >= '0' && s[r.i] <= '9')
				r.i++;
			if (strncmp(s + r.i, ". ", 2) != 0)
				return false;
			r.i += 2;
		}
		if (!RecChessMove(&r) || s[r.i] != ' ')
			return false;
		r.i++;
		if (!RecChessMove(&r) || s[r.i] != '\n')
			return false;
		r.i++;
		lines++;
	}
	return lines >= 2;
}

/* whole lines of a partial text: up to its last newline, NULL if none */
static char *
WholeLines(const char *s)
{
	const char *nl = strrchr(s, '\n');
	char	   *out;

	if (nl == NULL)
		return NULL;
	out = malloc((size_t) (nl - s) + 2);
	memcpy(out, s, (size_t) (nl - s) + 1);
	out[nl - s + 1] = '\0';
	return out;
}

static bool
RecogniseChess(const char *s, bool partial)
{
	char	   *lines;
	bool		ok;

	if (!partial)
		return RecogniseChessLines(s);
	/* a cut text: its whole lines, when there are the two the grammar starts with */
	lines = WholeLines(s);
	ok = lines == NULL || strchr(lines, '\n') == strrchr(lines, '\n') || RecogniseChessLines(lines);
	free(lines);
	return ok && strncmp(s, "1. ", strlen(s) < 3 ? strlen(s) : 3) == 0;
}

static bool RecogniseListLines(const char *s);

static bool
RecogniseList(const char *s, bool partial)
{
	char	   *lines;
	bool		ok;

	if (!partial)
		return RecogniseListLines(s);
	lines = WholeLines(s);
	ok = lines == NULL || RecogniseListLines(lines);
	free(lines);
	/* the unfinished line: the start of "- " and characters that are no line break */
	s = strrchr(s, '\n') ? strrchr(s, '\n') + 1 : s;
	if (!ok || strncmp(s, "- ", strlen(s) < 2 ? strlen(s) : 2) != 0)
		return false;
	for (size_t i = 2; i < strlen(s);)
	{
		uint32_t	c;
		int			k = JUtf8((const unsigned char *) s + i, strlen(s + i), &c);

		/* a character cut in two by the limit ends the text */
		if (k == 0)
			return strlen(s + i) < 4 && ((unsigned char) s[i] >= 0xC2);
		if (c == '\r' || c == 0x0b || c == 0x0c || c == 0x85 || c == 0x2028 || c == 0x2029)
			return false;
		i += k;
	}
	return true;
}

/* root ::= ("- " [^\r\n\x0b\x0c\x85\u2028\u2029]+ "\n")+ */
static bool
RecogniseListLines(const char *s)
{
	size_t		i = 0;
	int			items = 0;

	while (s[i] != '\0')
	{
		int			n = 0;

		if (strncmp(s + i, "- ", 2) != 0)
			return false;
		i += 2;
		while (s[i] != '\n' && s[i] != '\0')
		{
			uint32_t	c;
			int			k = JUtf8((const unsigned char *) s + i, strlen(s + i), &c);

			if (k == 0 || c == '\r' || c == 0x0b || c == 0x0c || c == 0x85 || c == 0x2028 || c == 0x2029)
				return false;
			i += k;
			n++;
		}
		if (n == 0 || s[i] != '\n')
			return false;
		i++;
		items++;
	}
	return items > 0;
}

/* words of chars separated by one of [ \t\n]; a cut text may end after one */
static bool
RecogniseWords(const char *s, bool (*is_char) (uint32_t c), bool partial)
{
	size_t		i = 0;
	int			run = 0;

	while (s[i] != '\0')
	{
		uint32_t	c;
		int			k = JUtf8((const unsigned char *) s + i, strlen(s + i), &c);

		if (k == 0)
			return false;
		if (c == ' ' || c == '\t' || c == '\n')
		{
			if (run == 0)
				return false;
			run = 0;
		}
		else if (is_char(c))
			run++;
		else
			return false;
		i += k;
	}
	return run > 0 || (partial && i > 0);
}

static bool
IsEnglishChar(uint32_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		(c < 0x80 && strchr("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", (int) c) != NULL && c != 0);
}

static bool
IsJapaneseChar(uint32_t c)
{
	return (c >= 0x3041 && c <= 0x309F) || (c >= 0x30A1 && c <= 0x30FF) || (c >= 0x3001 && c <= 0x303E) ||
		(c >= 0x4E00 && c <= 0x9FFF);
}

static bool
RecogniseEnglish(const char *s, bool partial)
{
	return RecogniseWords(s, IsEnglishChar, partial);
}

static bool
RecogniseJapanese(const char *s, bool partial)
{
	return RecogniseWords(s, IsJapaneseChar, partial);
}

#endif							/* LLM_TEST_GRAMMAR_CHECK_H */
