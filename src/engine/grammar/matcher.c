/*-------------------------------------------------------------------------
 *
 * matcher.c
 *	  Grammar-constrained decoding (see matcher.h).
 *
 * Terms.  A frame is an element of a rule on top of a parent frame: a
 * parse stack is its top frame's id, frame 0 the empty stack.  A set is a
 * sorted list of stacks, each topped by a character set (or empty); the
 * matcher's state is a set plus the bytes of a UTF-8 character begun but
 * not finished (a token may end inside one).  Frames and sets are
 * interned, so equal stacks and equal sets are equal ids and a set's
 * transitions can be remembered: ASCII ones in a table per set, others in
 * a hash map.
 *
 * The steps are llama.cpp's.  Advance (llama_grammar_advance_stack)
 * expands a stack whose top is a rule reference into one stack per
 * alternative until every top is a character set or the stack is empty;
 * a character moves every stack whose top set contains it past that set
 * and advances it (llama_grammar_accept_chr); a token ending inside a
 * character is allowed if some stack's top set meets the characters it
 * may complete to (llama_grammar_match_partial_char).
 *
 * A mask walks the token trie depth-first from the current state, one
 * byte a node: bytes that complete a character take the set's transition,
 * others only extend the pending character; a refused prefix skips its
 * whole subtree.  Masks are kept per state (a few dozen of them), so a
 * state the output comes back to costs nothing the second time.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grammar/matcher.h"

/*
 * Table sizes.  Past a soft limit the tables are started afresh from the
 * current state before the next step; a single step needing more than a
 * hard limit is an error.
 */
#define FRAMES_SOFT (1u << 18)
#define FRAMES_HARD (1u << 21)
#define SETS_SOFT (1u << 15)
#define SETS_HARD (1u << 18)
#define MEMBERS_SOFT ((size_t) 1 << 21)
#define MEMBERS_HARD ((size_t) 1 << 23)
#define TRANS_SOFT ((size_t) 1 << 20)
#define TODO_HARD ((size_t) 1 << 22)

/* Remembered masks: at most this many, and this many bytes. */
#define MASKS_MAX 64
#define MASKS_BYTES ((size_t) 8 << 20)

/* Transition results. */
#define DEAD (-1)				/* no stack survives */
#define UNKNOWN (-2)			/* not computed yet (ASCII tables) */
#define FAILED (-3)				/* an error is in m->error */

#define EMPTY_KEY UINT64_MAX

typedef struct Frame
{
	uint32_t	elem;			/* the element on top */
	uint32_t	parent;			/* the frame below; frame 0 is the bottom */
} Frame;

typedef struct StateSet
{
	size_t		off;			/* members[off .. off + n) */
	uint32_t	n;
	uint32_t	hash;
	int32_t    *ascii;			/* NULL, or [128] transitions on ASCII */
	bool		can_end;		/* holds the empty stack */
} StateSet;

/* Open addressing from 64-bit keys (never EMPTY_KEY) to ints. */
typedef struct Map64
{
	uint64_t   *keys;
	int32_t    *vals;
	size_t		cap;			/* a power of two */
	size_t		n;
} Map64;

struct LlmGrammarMatcher
{
	const LlmGrammar *g;
	const LlmTokenTrie *trie;
	uint32_t   *set_end;		/* [n_elems] element after the character
								 * set starting there */
	int32_t    *eog;			/* the vocabulary's end-of-generation ids */
	int			n_eog;

	Frame	   *frames;
	uint32_t	n_frames;
	uint32_t	cap_frames;
	Map64		frame_map;		/* elem << 32 | parent -> frame */

	StateSet   *sets;
	uint32_t	n_sets;
	uint32_t	cap_sets;
	int32_t    *set_table;		/* open addressing by hash: set id or -1 */
	size_t		set_table_cap;
	uint32_t   *members;
	size_t		n_members;
	size_t		cap_members;
	Map64		trans;			/* set << 32 | class -> set (non-ASCII) */

	/*
	 * Code points the grammar cannot tell apart: every character set is a
	 * union of intervals, so between two interval ends all code points
	 * take the same transitions.  class_start[k] is where class k begins;
	 * a non-ASCII code point's transition is its class's, computed once.
	 */
	uint32_t   *class_start;
	int			n_classes;

	/* scratch of a transition */
	uint32_t   *seen;			/* [cap_frames] stamp of Advance's visits */
	uint32_t	seen_stamp;
	uint32_t   *in_out;			/* [cap_frames] stamp of the result's */
	uint32_t	out_stamp;
	uint32_t   *out;
	size_t		n_out;
	size_t		cap_out;
	uint32_t   *todo;
	size_t		cap_todo;

	/* the state */
	int32_t		cur;
	uint32_t	pv;				/* the pending character's bits so far */
	int			rem;			/* its bytes still to come */
	bool		ended;			/* an end of generation was accepted */

	/* remembered masks */
	int			n_words;
	uint64_t   *mask_bits;		/* [mask_cap][n_words] */
	uint64_t   *mask_key;
	int		   *mask_allowed;
	int			n_masks;
	int			mask_cap;
	int			mask_next;

	/* the trie walk's stack: a state per depth */
	int32_t    *walk_set;
	uint32_t   *walk_pv;
	int8_t	   *walk_rem;
	uint32_t   *walk_end;

	LlmGrammarStats stats;
	LlmError	error;			/* of a failed transition */
};

static uint64_t
Mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static bool
MapInit(Map64 *m, size_t cap)
{
	m->keys = malloc(sizeof(uint64_t) * cap);
	m->vals = malloc(sizeof(int32_t) * cap);
	if (m->keys == NULL || m->vals == NULL)
		return false;
	memset(m->keys, 0xff, sizeof(uint64_t) * cap);
	m->cap = cap;
	m->n = 0;
	return true;
}

static void
MapFree(Map64 *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static bool
MapGet(const Map64 *m, uint64_t key, int32_t *val)
{
	size_t		mask = m->cap - 1;
	size_t		i = Mix64(key) & mask;

	while (m->keys[i] != EMPTY_KEY)
	{
		if (m->keys[i] == key)
		{
			*val = m->vals[i];
			return true;
		}
		i = (i + 1) & mask;
	}
	return false;
}

static bool
MapPut(Map64 *m, uint64_t key, int32_t val)
{
	size_t		mask;
	size_t		i;

	/* at most half full */
	if ((m->n + 1) * 2 > m->cap)
	{
		Map64		grown;

		if (!MapInit(&grown, m->cap * 2))
		{
			MapFree(&grown);
			return false;
		}
		for (size_t k = 0; k < m->cap; k++)
			if (m->keys[k] != EMPTY_KEY)
				MapPut(&grown, m->keys[k], m->vals[k]);
		MapFree(m);
		*m = grown;
	}
	mask = m->cap - 1;
	i = Mix64(key) & mask;
	while (m->keys[i] != EMPTY_KEY && m->keys[i] != key)
		i = (i + 1) & mask;
	if (m->keys[i] == EMPTY_KEY)
		m->n++;
	m->keys[i] = key;
	m->vals[i] = val;
	return true;
}

static bool Fail(LlmGrammarMatcher *m, LlmStatus code, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

/* Record a failure of a transition in m->error; returns false. */
static bool
Fail(LlmGrammarMatcher *m, LlmStatus code, const char *fmt,...)
{
	va_list		ap;

	m->error.code = code;
	va_start(ap, fmt);
	vsnprintf(m->error.message, sizeof(m->error.message), fmt, ap);
	va_end(ap);
	return false;
}

static bool
OutOfMemory(LlmGrammarMatcher *m)
{
	return Fail(m, LLM_ERR_NOMEM, "out of memory matching a grammar");
}

static bool
TooMany(LlmGrammarMatcher *m, const char *what)
{
	return Fail(m, LLM_ERR_ARGUMENT,
				"the grammar needs more than %s at this point of the output: it is too ambiguous, or nested too deep",
				what);
}

/* Room for one more frame, in the frame table and the stamp arrays. */
static bool
GrowFrames(LlmGrammarMatcher *m)
{
	uint32_t	cap = m->cap_frames ? m->cap_frames * 2 : 1024;
	Frame	   *frames;
	uint32_t   *seen;
	uint32_t   *in_out;

	if (m->n_frames >= FRAMES_HARD)
		return TooMany(m, "the parse stacks allowed");
	frames = realloc(m->frames, sizeof(Frame) * cap);
	if (frames == NULL)
		return OutOfMemory(m);
	m->frames = frames;
	seen = realloc(m->seen, sizeof(uint32_t) * cap);
	if (seen == NULL)
		return OutOfMemory(m);
	m->seen = seen;
	in_out = realloc(m->in_out, sizeof(uint32_t) * cap);
	if (in_out == NULL)
		return OutOfMemory(m);
	m->in_out = in_out;
	memset(m->seen + m->cap_frames, 0, sizeof(uint32_t) * (cap - m->cap_frames));
	memset(m->in_out + m->cap_frames, 0, sizeof(uint32_t) * (cap - m->cap_frames));
	m->cap_frames = cap;
	return true;
}

/* The frame of elem on top of parent; UINT32_MAX on failure. */
static uint32_t
Push(LlmGrammarMatcher *m, uint32_t elem, uint32_t parent)
{
	uint64_t	key = (uint64_t) elem << 32 | parent;
	int32_t		id;

	if (MapGet(&m->frame_map, key, &id))
		return (uint32_t) id;
	if (m->n_frames == m->cap_frames && !GrowFrames(m))
		return UINT32_MAX;
	id = (int32_t) m->n_frames;
	m->frames[id].elem = elem;
	m->frames[id].parent = parent;
	if (!MapPut(&m->frame_map, key, id))
	{
		OutOfMemory(m);
		return UINT32_MAX;
	}
	m->n_frames++;
	return (uint32_t) id;
}

/* Add a stack to the transition's result, once. */
static bool
AddOut(LlmGrammarMatcher *m, uint32_t s)
{
	if (m->in_out[s] == m->out_stamp)
		return true;
	m->in_out[s] = m->out_stamp;
	if (m->n_out == m->cap_out)
	{
		size_t		cap = m->cap_out ? m->cap_out * 2 : 256;
		uint32_t   *grown = realloc(m->out, sizeof(uint32_t) * cap);

		if (grown == NULL)
			return OutOfMemory(m);
		m->out = grown;
		m->cap_out = cap;
	}
	m->out[m->n_out++] = s;
	return true;
}

static bool
PushTodo(LlmGrammarMatcher *m, size_t *n, uint32_t s)
{
	if (*n == m->cap_todo)
	{
		size_t		cap = m->cap_todo ? m->cap_todo * 2 : 256;
		uint32_t   *grown;

		if (cap > TODO_HARD)
			return TooMany(m, "the parse stacks allowed");
		grown = realloc(m->todo, sizeof(uint32_t) * cap);
		if (grown == NULL)
			return OutOfMemory(m);
		m->todo = grown;
		m->cap_todo = cap;
	}
	m->todo[(*n)++] = s;
	return true;
}

/* A new stamp for the seen or in_out arrays, clearing them on wrap-around. */
static uint32_t
NextStamp(uint32_t *stamp, uint32_t *array, uint32_t cap)
{
	if (++*stamp == 0)
	{
		memset(array, 0, sizeof(uint32_t) * cap);
		*stamp = 1;
	}
	return *stamp;
}

/*
 * Expand stack s until every top is a character set or the stack is empty
 * (llama_grammar_advance_stack), adding the results to m->out.
 */
static bool
Advance(LlmGrammarMatcher *m, uint32_t s)
{
	const LlmGrammarElem *el = m->g->elems;
	uint32_t	stamp = NextStamp(&m->seen_stamp, m->seen, m->cap_frames);
	size_t		n = 0;

	if (!PushTodo(m, &n, s))
		return false;
	while (n > 0)
	{
		uint32_t	f = m->todo[--n];
		uint32_t	e;

		if (m->seen[f] == stamp)
			continue;
		m->seen[f] = stamp;
		if (f == 0)
		{
			if (!AddOut(m, 0))
				return false;
			continue;
		}
		e = m->frames[f].elem;
		if (el[e].type == LLM_GRE_RULE_REF)
		{
			uint32_t	base = m->frames[f].parent;
			uint32_t	a = m->g->rule_start[el[e].value];

			if (!LlmGrammarIsEndOfSeq(el[e + 1].type) &&
				(base = Push(m, e + 1, base)) == UINT32_MAX)
				return false;
			for (;;)
			{
				uint32_t	ns = base;

				if (!LlmGrammarIsEndOfSeq(el[a].type) && (ns = Push(m, a, base)) == UINT32_MAX)
					return false;
				if (!PushTodo(m, &n, ns))
					return false;
				while (!LlmGrammarIsEndOfSeq(el[a].type))
					a++;
				if (el[a].type != LLM_GRE_ALT)
					break;
				a++;
			}
		}
		else if (!AddOut(m, f))
			return false;
	}
	return true;
}

static int
CmpU32(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *) a;
	uint32_t	y = *(const uint32_t *) b;

	return (x > y) - (x < y);
}

static uint32_t
HashMembers(const uint32_t *s, uint32_t n)
{
	uint32_t	h = 2166136261u ^ n;

	for (uint32_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 16777619u;
	return h;
}

static bool
SetTableInsert(LlmGrammarMatcher *m, int32_t id)
{
	size_t		mask;
	size_t		i;

	if (((size_t) m->n_sets + 1) * 2 > m->set_table_cap)
	{
		size_t		cap = m->set_table_cap ? m->set_table_cap * 2 : 1024;
		int32_t    *table = malloc(sizeof(int32_t) * cap);

		if (table == NULL)
			return false;
		memset(table, 0xff, sizeof(int32_t) * cap);
		for (uint32_t s = 0; s < m->n_sets; s++)
			if ((int32_t) s != id)
			{
				i = m->sets[s].hash & (cap - 1);
				while (table[i] >= 0)
					i = (i + 1) & (cap - 1);
				table[i] = (int32_t) s;
			}
		free(m->set_table);
		m->set_table = table;
		m->set_table_cap = cap;
	}
	mask = m->set_table_cap - 1;
	i = m->sets[id].hash & mask;
	while (m->set_table[i] >= 0)
		i = (i + 1) & mask;
	m->set_table[i] = id;
	return true;
}

/* The set of the stacks in m->out (sorted here); DEAD if none, FAILED. */
static int32_t
InternOut(LlmGrammarMatcher *m)
{
	uint32_t	n = (uint32_t) m->n_out;
	uint32_t	hash;
	StateSet   *ss;
	int32_t		id;

	if (n == 0)
		return DEAD;
	if (n > LLM_GRAMMAR_MAX_STACKS)
	{
		Fail(m, LLM_ERR_ARGUMENT,
			 "the grammar needs more than %d parse stacks at once at this point of the output: it is too ambiguous",
			 LLM_GRAMMAR_MAX_STACKS);
		return FAILED;
	}
	qsort(m->out, n, sizeof(uint32_t), CmpU32);
	hash = HashMembers(m->out, n);
	if (m->set_table_cap > 0)
	{
		size_t		mask = m->set_table_cap - 1;
		size_t		i = hash & mask;

		while ((id = m->set_table[i]) >= 0)
		{
			ss = &m->sets[id];
			if (ss->hash == hash && ss->n == n &&
				memcmp(m->members + ss->off, m->out, sizeof(uint32_t) * n) == 0)
				return id;
			i = (i + 1) & mask;
		}
	}
	if (m->n_sets >= SETS_HARD || m->n_members + n > MEMBERS_HARD)
	{
		TooMany(m, "the parser states allowed");
		return FAILED;
	}
	if (m->n_sets == m->cap_sets)
	{
		uint32_t	cap = m->cap_sets ? m->cap_sets * 2 : 256;
		StateSet   *grown = realloc(m->sets, sizeof(StateSet) * cap);

		if (grown == NULL)
		{
			OutOfMemory(m);
			return FAILED;
		}
		m->sets = grown;
		m->cap_sets = cap;
	}
	if (m->n_members + n > m->cap_members)
	{
		size_t		cap = m->cap_members ? m->cap_members : 4096;
		uint32_t   *grown;

		while (cap < m->n_members + n)
			cap *= 2;
		grown = realloc(m->members, sizeof(uint32_t) * cap);
		if (grown == NULL)
		{
			OutOfMemory(m);
			return FAILED;
		}
		m->members = grown;
		m->cap_members = cap;
	}
	id = (int32_t) m->n_sets;
	ss = &m->sets[id];
	ss->off = m->n_members;
	ss->n = n;
	ss->hash = hash;
	ss->ascii = NULL;
	ss->can_end = m->out[0] == 0;
	memcpy(m->members + m->n_members, m->out, sizeof(uint32_t) * n);
	m->n_members += n;
	m->n_sets++;
	if (!SetTableInsert(m, id))
	{
		OutOfMemory(m);
		return FAILED;
	}
	return id;
}

/*
 * Whether the character set starting at element e contains cp
 * (llama_grammar_match_char).
 */
static inline bool
SetContains(const LlmGrammarElem *el, uint32_t e, uint32_t cp)
{
	bool		positive = el[e].type != LLM_GRE_CHAR_NOT;
	bool		found = false;

	do
	{
		if (el[e + 1].type == LLM_GRE_CHAR_RNG_UPPER)
		{
			found = found || (el[e].value <= cp && cp <= el[e + 1].value);
			e += 2;
		}
		else if (el[e].type == LLM_GRE_CHAR_ANY)
		{
			found = true;
			e++;
		}
		else
		{
			found = found || el[e].value == cp;
			e++;
		}
	} while (el[e].type == LLM_GRE_CHAR_ALT);
	return found == positive;
}

/* The set after code point cp from set s, computed: a set, DEAD or FAILED. */
static int32_t
ComputeTransition(LlmGrammarMatcher *m, int32_t s, uint32_t cp)
{
	const LlmGrammarElem *el = m->g->elems;
	uint32_t	n = m->sets[s].n;

	NextStamp(&m->out_stamp, m->in_out, m->cap_frames);
	m->n_out = 0;
	for (uint32_t k = 0; k < n; k++)
	{
		/* the tables may move as stacks are added: read through m */
		uint32_t	f = m->members[m->sets[s].off + k];
		uint32_t	e;
		uint32_t	after;
		uint32_t	base;

		if (f == 0)
			continue;
		e = m->frames[f].elem;
		if (!SetContains(el, e, cp))
			continue;
		after = m->set_end[e];
		base = m->frames[f].parent;
		if (!LlmGrammarIsEndOfSeq(el[after].type) &&
			(base = Push(m, after, base)) == UINT32_MAX)
			return FAILED;
		if (!Advance(m, base))
			return FAILED;
	}
	return InternOut(m);
}

/* The class of a code point: the last class starting at or below it. */
static inline int
ClassOf(const LlmGrammarMatcher *m, uint32_t cp)
{
	int			lo = 0;
	int			hi = m->n_classes - 1;

	while (lo < hi)
	{
		int			mid = (lo + hi + 1) / 2;

		if (m->class_start[mid] <= cp)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* The set after code point cp from set s, remembered. */
static int32_t
Transition(LlmGrammarMatcher *m, int32_t s, uint32_t cp)
{
	int32_t		next;
	int			cls;

	if (cp < 128)
	{
		if (m->sets[s].ascii != NULL && m->sets[s].ascii[cp] != UNKNOWN)
			return m->sets[s].ascii[cp];
		next = ComputeTransition(m, s, cp);
		if (next == FAILED)
			return FAILED;
		if (m->sets[s].ascii == NULL)
		{
			int32_t    *table = malloc(sizeof(int32_t) * 128);

			if (table == NULL)
			{
				OutOfMemory(m);
				return FAILED;
			}
			for (int i = 0; i < 128; i++)
				table[i] = UNKNOWN;
			m->sets[s].ascii = table;
		}
		m->sets[s].ascii[cp] = next;
		return next;
	}
	/* the class's first code point stands for all of it */
	cls = ClassOf(m, cp);
	if (MapGet(&m->trans, (uint64_t) s << 32 | (uint32_t) cls, &next))
		return next;
	next = ComputeTransition(m, s, m->class_start[cls]);
	if (next != FAILED && !MapPut(&m->trans, (uint64_t) s << 32 | (uint32_t) cls, next))
	{
		OutOfMemory(m);
		return FAILED;
	}
	return next;
}

/*
 * One byte from state (s, pv, rem): a byte that completes a character
 * takes the set's transition, one that begins or continues a character
 * only extends it.  Lead bytes are read as llama.cpp's decode_utf8 reads
 * them (C0 and C1 included); a byte that cannot come where it is (a stray
 * continuation, 0xF8 and up, a non-continuation inside a character) is
 * DEAD.
 */
static inline int32_t
Step(LlmGrammarMatcher *m, int32_t s, uint8_t b, uint32_t *pv, int *rem)
{
	uint32_t	cp;

	if (*rem > 0)
	{
		if ((b & 0xC0) != 0x80)
			return DEAD;
		*pv = (*pv << 6) | (b & 0x3F);
		if (--*rem > 0)
			return s;
		cp = *pv;
		*pv = 0;
		return Transition(m, s, cp);
	}
	if (b < 0x80)
	{
		const int32_t *ascii = m->sets[s].ascii;

		if (ascii != NULL && ascii[b] != UNKNOWN)
			return ascii[b];
		return Transition(m, s, b);
	}
	if (b >= 0xC0 && b < 0xE0)
	{
		*pv = b & 0x1F;
		*rem = 1;
	}
	else if (b >= 0xE0 && b < 0xF0)
	{
		*pv = b & 0x0F;
		*rem = 2;
	}
	else if (b >= 0xF0 && b < 0xF8)
	{
		*pv = b & 0x07;
		*rem = 3;
	}
	else
		return DEAD;
	return s;
}

/*
 * Whether some stack of set s could take a character that the pending
 * bytes (pv, rem) may complete to (llama_grammar_match_partial_char: a
 * negated set refuses any overlap, as there).
 */
static bool
PartialOk(const LlmGrammarMatcher *m, int32_t s, uint32_t pv, int rem)
{
	const LlmGrammarElem *el = m->g->elems;
	const StateSet *ss = &m->sets[s];
	uint32_t	low;
	uint32_t	high;

	/* a 7-bit character split over two bytes (overlong) */
	if (rem == 1 && pv < 2)
		return false;
	low = pv << (rem * 6);
	high = low | ((1u << (rem * 6)) - 1);
	if (low == 0)
	{
		if (rem == 2)
			low = 1u << 11;
		else if (rem == 3)
			low = 1u << 16;
	}
	for (uint32_t k = 0; k < ss->n; k++)
	{
		uint32_t	f = m->members[ss->off + k];
		uint32_t	e;
		bool		positive;
		bool		result;

		if (f == 0)
			continue;
		e = m->frames[f].elem;
		positive = el[e].type != LLM_GRE_CHAR_NOT;
		result = !positive;
		do
		{
			if (el[e + 1].type == LLM_GRE_CHAR_RNG_UPPER)
			{
				if (el[e].value <= high && low <= el[e + 1].value)
				{
					result = positive;
					break;
				}
				e += 2;
			}
			else if (el[e].type == LLM_GRE_CHAR_ANY)
			{
				result = true;
				break;
			}
			else
			{
				if (low <= el[e].value && el[e].value <= high)
				{
					result = positive;
					break;
				}
				e++;
			}
		} while (el[e].type == LLM_GRE_CHAR_ALT);
		if (result)
			return true;
	}
	return false;
}

static void
FreeTables(LlmGrammarMatcher *m)
{
	for (uint32_t s = 0; s < m->n_sets; s++)
		free(m->sets[s].ascii);
	free(m->frames);
	free(m->seen);
	free(m->in_out);
	free(m->sets);
	free(m->set_table);
	free(m->members);
	MapFree(&m->frame_map);
	MapFree(&m->trans);
	m->frames = NULL;
	m->seen = m->in_out = NULL;
	m->sets = NULL;
	m->set_table = NULL;
	m->members = NULL;
	m->n_frames = m->cap_frames = 0;
	m->n_sets = m->cap_sets = 0;
	m->set_table_cap = 0;
	m->n_members = m->cap_members = 0;
	m->seen_stamp = m->out_stamp = 0;
}

/* Empty tables holding only frame 0, the empty stack. */
static bool
InitTables(LlmGrammarMatcher *m)
{
	if (!MapInit(&m->frame_map, 4096) || !MapInit(&m->trans, 1024) || !GrowFrames(m))
		return OutOfMemory(m);
	m->frames[0].elem = UINT32_MAX;
	m->frames[0].parent = 0;
	m->n_frames = 1;
	return true;
}

/*
 * Start the tables afresh with the current state alone: every stack of the
 * current set is copied into new tables (frames shared as before), and the
 * remembered transitions and masks are dropped.
 */
static bool
Restart(LlmGrammarMatcher *m)
{
	LlmGrammarMatcher old = *m;
	const StateSet *cur = &old.sets[old.cur];
	uint32_t   *map = malloc(sizeof(uint32_t) * old.n_frames);
	uint32_t   *chain = NULL;
	size_t		cap_chain = 0;
	bool		ok = true;

	if (map == NULL)
		return OutOfMemory(m);
	for (uint32_t f = 0; f < old.n_frames; f++)
		map[f] = UINT32_MAX;
	map[0] = 0;

	/* the new tables; the old ones stay in "old" until copied from */
	m->frames = NULL;
	m->seen = m->in_out = NULL;
	m->sets = NULL;
	m->set_table = NULL;
	m->members = NULL;
	m->n_frames = m->cap_frames = 0;
	m->n_sets = m->cap_sets = 0;
	m->set_table_cap = 0;
	m->n_members = m->cap_members = 0;
	m->seen_stamp = m->out_stamp = 0;
	memset(&m->frame_map, 0, sizeof(Map64));
	memset(&m->trans, 0, sizeof(Map64));
	ok = InitTables(m);
	if (ok)
	{
		NextStamp(&m->out_stamp, m->in_out, m->cap_frames);
		m->n_out = 0;
	}
	for (uint32_t k = 0; ok && k < cur->n; k++)
	{
		uint32_t	f = old.members[cur->off + k];
		size_t		depth = 0;

		/* the frames down to one already copied, then copied bottom up */
		while (map[f] == UINT32_MAX)
		{
			if (depth == cap_chain)
			{
				size_t		cap = cap_chain ? cap_chain * 2 : 256;
				uint32_t   *grown = realloc(chain, sizeof(uint32_t) * cap);

				if (grown == NULL)
				{
					ok = OutOfMemory(m);
					break;
				}
				chain = grown;
				cap_chain = cap;
			}
			chain[depth++] = f;
			f = old.frames[f].parent;
		}
		while (ok && depth > 0)
		{
			uint32_t	g = chain[--depth];
			uint32_t	id = Push(m, old.frames[g].elem, map[old.frames[g].parent]);

			if (id == UINT32_MAX)
				ok = false;
			map[g] = id;
		}
		if (ok)
			ok = AddOut(m, map[old.members[cur->off + k]]);
	}
	if (ok)
	{
		m->cur = InternOut(m);
		ok = m->cur >= 0;
	}
	free(map);
	free(chain);
	FreeTables(&old);
	m->n_masks = 0;
	m->mask_next = 0;
	m->stats.restarts++;
	return ok;
}

/* Before a step: the tables started afresh if they have grown too big. */
static bool
KeepBounded(LlmGrammarMatcher *m)
{
	if (m->n_frames > FRAMES_SOFT || m->n_sets > SETS_SOFT || m->n_members > MEMBERS_SOFT ||
		m->trans.n > TRANS_SOFT)
		return Restart(m);
	return true;
}

static LlmStatus
ReportFailure(LlmGrammarMatcher *m, LlmError *err)
{
	return LlmSetError(err, m->error.code, "%s", m->error.message);
}

/* The classes of code points (see class_start): the ends of every set's intervals. */
static bool
BuildClasses(LlmGrammarMatcher *m)
{
	const LlmGrammarElem *el = m->g->elems;
	size_t		n = 1;
	int			k = 0;

	/* at most two bounds an element, and 0 */
	m->class_start = malloc(sizeof(uint32_t) * (2 * m->g->n_elems + 1));
	if (m->class_start == NULL)
		return false;
	m->class_start[0] = 0;
	for (size_t i = 0; i < m->g->n_elems; i++)
	{
		uint32_t	type = el[i].type;

		if (type == LLM_GRE_CHAR || type == LLM_GRE_CHAR_NOT || type == LLM_GRE_CHAR_ALT)
		{
			uint32_t	hi = el[i + 1].type == LLM_GRE_CHAR_RNG_UPPER ? el[i + 1].value : el[i].value;

			m->class_start[n++] = el[i].value;
			if (hi < UINT32_MAX)
				m->class_start[n++] = hi + 1;
		}
	}
	qsort(m->class_start, n, sizeof(uint32_t), CmpU32);
	for (size_t i = 1; i < n; i++)
		if (m->class_start[i] != m->class_start[k])
			m->class_start[++k] = m->class_start[i];
	m->n_classes = k + 1;
	return true;
}

LlmStatus
LlmGrammarMatcherCreate(const LlmGrammar *g, const LlmTokenTrie *trie,
						LlmGrammarMatcher **out, LlmError *err)
{
	LlmGrammarMatcher *m;
	const LlmGrammarElem *el = g->elems;
	size_t		mask_bytes;
	uint32_t	a;

	int			n_vocab = trie != NULL ? trie->n_vocab : 0;
	int			max_depth = trie != NULL ? trie->max_depth : 0;

	*out = NULL;
	m = calloc(1, sizeof(LlmGrammarMatcher));
	if (m == NULL)
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory creating a grammar matcher");
	m->g = g;
	m->trie = trie;
	m->set_end = malloc(sizeof(uint32_t) * (g->n_elems > 0 ? g->n_elems : 1));
	m->eog = malloc(sizeof(int32_t) * (n_vocab > 0 ? n_vocab : 1));
	m->n_words = (n_vocab + 63) / 64;
	mask_bytes = sizeof(uint64_t) * (size_t) m->n_words;
	m->mask_cap = (int) (MASKS_BYTES / (mask_bytes > 0 ? mask_bytes : 1));
	if (m->mask_cap > MASKS_MAX)
		m->mask_cap = MASKS_MAX;
	if (m->mask_cap < 1)
		m->mask_cap = 1;
	m->mask_bits = malloc(mask_bytes * m->mask_cap + sizeof(uint64_t));
	m->mask_key = malloc(sizeof(uint64_t) * m->mask_cap);
	m->mask_allowed = malloc(sizeof(int) * m->mask_cap);
	m->walk_set = malloc(sizeof(int32_t) * (max_depth + 2));
	m->walk_pv = malloc(sizeof(uint32_t) * (max_depth + 2));
	m->walk_rem = malloc(sizeof(int8_t) * (max_depth + 2));
	m->walk_end = malloc(sizeof(uint32_t) * (max_depth + 2));
	if (m->set_end == NULL || m->eog == NULL || m->mask_bits == NULL || m->mask_key == NULL ||
		m->mask_allowed == NULL || m->walk_set == NULL || m->walk_pv == NULL ||
		m->walk_rem == NULL || m->walk_end == NULL || !InitTables(m))
	{
		LlmGrammarMatcherFree(m);
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory creating a grammar matcher");
	}
	for (int32_t id = 0; id < n_vocab; id++)
		if (trie->kind[id] == LLM_TRIE_EOG)
			m->eog[m->n_eog++] = id;

	/* where each character set ends */
	for (size_t i = 0; i < g->n_elems; i++)
	{
		uint32_t	e = (uint32_t) i;

		m->set_end[i] = e;
		if (!LlmGrammarIsCharStart(el[i].type))
			continue;
		do
			e += el[e + 1].type == LLM_GRE_CHAR_RNG_UPPER ? 2 : 1;
		while (el[e].type == LLM_GRE_CHAR_ALT);
		m->set_end[i] = e;
	}

	if (!BuildClasses(m))
	{
		LlmGrammarMatcherFree(m);
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory creating a grammar matcher");
	}

	/* the start: each alternative of root, advanced */
	NextStamp(&m->out_stamp, m->in_out, m->cap_frames);
	m->n_out = 0;
	a = g->rule_start[g->root];
	for (;;)
	{
		uint32_t	s = 0;

		if (!LlmGrammarIsEndOfSeq(el[a].type) && (s = Push(m, a, 0)) == UINT32_MAX)
			break;
		if (!Advance(m, s))
			break;
		while (!LlmGrammarIsEndOfSeq(el[a].type))
			a++;
		if (el[a].type != LLM_GRE_ALT)
			break;
		a++;
	}
	m->cur = m->error.message[0] == '\0' ? InternOut(m) : FAILED;
	if (m->cur < 0)
	{
		LlmStatus	s = m->cur == DEAD ?
			LlmSetError(err, LLM_ERR_ARGUMENT, "the grammar matches nothing") :
			ReportFailure(m, err);

		LlmGrammarMatcherFree(m);
		return s;
	}
	*out = m;
	return LLM_OK;
}

void
LlmGrammarMatcherFree(LlmGrammarMatcher *m)
{
	if (m == NULL)
		return;
	FreeTables(m);
	free(m->out);
	free(m->todo);
	free(m->set_end);
	free(m->class_start);
	free(m->eog);
	free(m->mask_bits);
	free(m->mask_key);
	free(m->mask_allowed);
	free(m->walk_set);
	free(m->walk_pv);
	free(m->walk_rem);
	free(m->walk_end);
	free(m);
}

/* Walk the trie from the current state into bits; false on failure. */
static bool
WalkTrie(LlmGrammarMatcher *m, uint64_t *bits, int *n_allowed)
{
	const LlmTokenTrie *t = m->trie;
	int			d = 0;
	int			allowed = 0;
	uint32_t	i = 1;

	memset(bits, 0, sizeof(uint64_t) * m->n_words);
	if (m->sets[m->cur].can_end)
		for (int k = 0; k < m->n_eog; k++)
		{
			bits[m->eog[k] >> 6] |= (uint64_t) 1 << (m->eog[k] & 63);
			allowed++;
		}
	m->walk_set[0] = m->cur;
	m->walk_pv[0] = m->pv;
	m->walk_rem[0] = (int8_t) m->rem;
	m->walk_end[0] = t->n_nodes;
	while (i < t->n_nodes)
	{
		uint32_t	pv;
		int			rem;
		int32_t		s;

		while (m->walk_end[d] <= i)
			d--;
		pv = m->walk_pv[d];
		rem = m->walk_rem[d];
		s = Step(m, m->walk_set[d], t->byte[i], &pv, &rem);
		m->stats.nodes_walked++;
		if (s == FAILED)
			return false;
		if (s == DEAD)
		{
			i = t->end[i];
			continue;
		}
		if (t->tok_first[i] < t->tok_first[i + 1] && (rem == 0 || PartialOk(m, s, pv, rem)))
			for (uint32_t k = t->tok_first[i]; k < t->tok_first[i + 1]; k++)
			{
				int32_t		id = t->ids[k];

				bits[id >> 6] |= (uint64_t) 1 << (id & 63);
				allowed++;
			}
		if (t->end[i] > i + 1)
		{
			d++;
			m->walk_set[d] = s;
			m->walk_pv[d] = pv;
			m->walk_rem[d] = (int8_t) rem;
			m->walk_end[d] = t->end[i];
		}
		i++;
	}
	*n_allowed = allowed;
	return true;
}

LlmStatus
LlmGrammarMatcherMask(LlmGrammarMatcher *m, const uint64_t **bits, int *n_allowed,
					  LlmError *err)
{
	uint64_t	key;
	int			slot;

	if (m->ended)
		return LlmSetError(err, LLM_ERR_ARGUMENT, "the grammar's output has already ended");
	if (m->trie == NULL)
		return LlmSetError(err, LLM_ERR_ARGUMENT, "a grammar matcher made without a vocabulary has no token masks");
	if (!KeepBounded(m))
		return ReportFailure(m, err);
	key = (uint64_t) (uint32_t) m->cur << 32 | m->pv << 2 | (uint32_t) m->rem;
	for (slot = 0; slot < m->n_masks; slot++)
		if (m->mask_key[slot] == key)
		{
			m->stats.masks_reused++;
			*bits = m->mask_bits + (size_t) slot * m->n_words;
			*n_allowed = m->mask_allowed[slot];
			return LLM_OK;
		}
	if (m->n_masks < m->mask_cap)
		slot = m->n_masks++;
	else
	{
		slot = m->mask_next;
		m->mask_next = (m->mask_next + 1) % m->mask_cap;
	}
	/* the slot holds nothing valid until the walk succeeds */
	m->mask_key[slot] = EMPTY_KEY;
	if (!WalkTrie(m, m->mask_bits + (size_t) slot * m->n_words, &m->mask_allowed[slot]))
		return ReportFailure(m, err);
	m->mask_key[slot] = key;
	m->stats.masks_computed++;
	*bits = m->mask_bits + (size_t) slot * m->n_words;
	*n_allowed = m->mask_allowed[slot];
	return LLM_OK;
}

LlmStatus
LlmGrammarMatcherApply(LlmGrammarMatcher *m, float *logits, LlmError *err)
{
	const uint64_t *bits;
	int			n_allowed;
	LlmStatus	s = LlmGrammarMatcherMask(m, &bits, &n_allowed, err);
	int			n_vocab;

	if (s != LLM_OK)
		return s;
	n_vocab = m->trie->n_vocab;
	if (n_allowed == 0)
		return LlmSetError(err, LLM_ERR_ARGUMENT,
						   "no token of the vocabulary can continue the grammar here");
	for (int w = 0; w < m->n_words; w++)
	{
		uint64_t	refused = ~bits[w];
		int			base = w * 64;

		while (refused != 0)
		{
			int			id = base + __builtin_ctzll(refused);

			if (id >= n_vocab)
				break;
			logits[id] = -INFINITY;
			refused &= refused - 1;
		}
	}
	return LLM_OK;
}

/* Walk len bytes from the current state; the new state, or DEAD/FAILED. */
static int32_t
WalkBytes(LlmGrammarMatcher *m, const char *text, size_t len, uint32_t *pv, int *rem)
{
	int32_t		s = m->cur;

	*pv = m->pv;
	*rem = m->rem;
	for (size_t i = 0; i < len && s >= 0; i++)
		s = Step(m, s, (uint8_t) text[i], pv, rem);
	if (s >= 0 && *rem > 0 && !PartialOk(m, s, *pv, *rem))
		s = DEAD;
	return s;
}

LlmStatus
LlmGrammarMatcherAccept(LlmGrammarMatcher *m, int32_t token, LlmError *err)
{
	const LlmTokenTrie *t = m->trie;
	const char *piece;
	uint32_t	len;
	uint32_t	pv;
	int			rem;
	int32_t		s;

	if (m->ended)
		return LlmSetError(err, LLM_ERR_ARGUMENT, "the grammar's output has already ended");
	if (t == NULL)
		return LlmSetError(err, LLM_ERR_ARGUMENT, "a grammar matcher made without a vocabulary takes no tokens");
	if (token < 0 || token >= t->n_vocab)
		return LlmSetError(err, LLM_ERR_ARGUMENT, "token id %d is out of range", token);
	if (t->kind[token] == LLM_TRIE_EOG)
	{
		if (!m->sets[m->cur].can_end)
			return LlmSetError(err, LLM_ERR_ARGUMENT,
							   "the output cannot end here: the grammar is not complete");
		m->ended = true;
		return LLM_OK;
	}
	if (t->kind[token] != LLM_TRIE_TEXT)
		return LlmSetError(err, LLM_ERR_ARGUMENT,
						   "token %d has no text for the grammar to match", token);
	if (!KeepBounded(m))
		return ReportFailure(m, err);
	piece = LlmTokenTriePiece(t, token, &len);
	s = WalkBytes(m, piece, len, &pv, &rem);
	if (s == FAILED)
		return ReportFailure(m, err);
	if (s == DEAD)
		return LlmSetError(err, LLM_ERR_ARGUMENT,
						   "token %d is not allowed by the grammar here", token);
	m->cur = s;
	m->pv = pv;
	m->rem = rem;
	return LLM_OK;
}

bool
LlmGrammarMatcherAcceptText(LlmGrammarMatcher *m, const char *text, size_t len, LlmError *err)
{
	uint32_t	pv;
	int			rem;
	int32_t		s;

	if (m->ended || !KeepBounded(m))
	{
		if (!m->ended)
			ReportFailure(m, err);
		else
			LlmSetError(err, LLM_ERR_ARGUMENT, "the grammar's output has already ended");
		return false;
	}
	s = WalkBytes(m, text, len, &pv, &rem);
	if (s < 0)
	{
		if (s == FAILED)
			ReportFailure(m, err);
		else
			LlmSetError(err, LLM_ERR_ARGUMENT, "the text does not continue the grammar");
		return false;
	}
	m->cur = s;
	m->pv = pv;
	m->rem = rem;
	return true;
}

bool
LlmGrammarMatcherAllows(LlmGrammarMatcher *m, const char *text, size_t len)
{
	uint32_t	pv;
	int			rem;

	return !m->ended && WalkBytes(m, text, len, &pv, &rem) >= 0;
}

bool
LlmGrammarMatcherCanEnd(const LlmGrammarMatcher *m)
{
	return m->ended || m->sets[m->cur].can_end;
}

bool
LlmGrammarMatcherMustEnd(const LlmGrammarMatcher *m)
{
	const StateSet *ss = &m->sets[m->cur];

	return m->ended || (ss->n == 1 && m->members[ss->off] == 0 && m->rem == 0);
}

void
LlmGrammarMatcherGetStats(const LlmGrammarMatcher *m, LlmGrammarStats *stats)
{
	*stats = m->stats;
	stats->frames = (int) m->n_frames;
	stats->sets = (int) m->n_sets;
}
