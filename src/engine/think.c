/*-------------------------------------------------------------------------
 *
 * think.c
 *	  Removing a model's <think>...</think> reasoning from its answer (see
 *	  think.h for the rules).
 *
 * One byte-at-a-time state machine serves both the incremental filter and
 * the in-place strip, so the two cannot disagree.  The machine does not
 * keep the held-back bytes itself; it says what becomes of each byte, and
 * each caller keeps them its own way (a buffer across pieces, or a count
 * of the bytes just behind the read position when the whole text is there).
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "think.h"

static const char open_tag[] = "<think>";
static const char close_tag[] = "</think>";

/* What becomes of a byte (and of the bytes held back before it). */
typedef enum ThinkAction
{
	THINK_HOLD,					/* held back: it may start a block */
	THINK_EMIT,					/* the held bytes and this one are answer */
	THINK_DROP					/* the held bytes and this one are reasoning */
} ThinkAction;

typedef enum ThinkTag
{
	TAG_NONE,					/* c is no part of a tag */
	TAG_PARTIAL,				/* c continues the start of a tag */
	TAG_OPEN,					/* c completes "<think>" */
	TAG_CLOSE					/* c completes "</think>" */
} ThinkTag;

/* the whitespace models write around a block (C's isspace, ASCII only) */
static bool
IsSpace(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static ThinkTag
MatchTag(LlmThinkFilter *f, char c)
{
	int			n;

	if (f->n_tag == 0 && c != '<')
		return TAG_NONE;
	f->tag[f->n_tag++] = c;
	n = f->n_tag;
	if (n <= 7 && memcmp(f->tag, open_tag, n) == 0)
	{
		if (n < 7)
			return TAG_PARTIAL;
		f->n_tag = 0;
		return TAG_OPEN;
	}
	if (memcmp(f->tag, close_tag, n) == 0)
	{
		if (n < 8)
			return TAG_PARTIAL;
		f->n_tag = 0;
		return TAG_CLOSE;
	}
	f->n_tag = 0;
	return TAG_NONE;
}

static ThinkAction
ThinkStep(LlmThinkFilter *f, char c)
{
	ThinkTag	tag;

	switch (f->state)
	{
		case LLM_THINK_ANSWER:
			return THINK_EMIT;
		case LLM_THINK_INSIDE:
			tag = MatchTag(f, c);
			/* '<' is the first byte of both tags only: a failed tag restarts there */
			if (tag == TAG_NONE && c == '<')
				tag = MatchTag(f, c);
			if (tag == TAG_OPEN)
				f->depth++;
			else if (tag == TAG_CLOSE && --f->depth == 0)
			{
				f->state = LLM_THINK_BEFORE;
				f->after_block = true;
			}
			return THINK_DROP;
		case LLM_THINK_BEFORE:
			/* whitespace comes before a tag's bytes, never among them */
			if (f->n_tag == 0 && IsSpace(c))
				return f->after_block ? THINK_DROP : THINK_HOLD;
			tag = MatchTag(f, c);
			if (tag == TAG_PARTIAL)
				return THINK_HOLD;
			if (tag == TAG_OPEN)
			{
				f->state = LLM_THINK_INSIDE;
				f->depth = 1;
				return THINK_DROP;
			}
			if (tag == TAG_CLOSE)
			{
				/* a block the prompt opened, or an empty one: it is over */
				f->after_block = true;
				return THINK_DROP;
			}
			f->state = LLM_THINK_ANSWER;
			return THINK_EMIT;
	}
	return THINK_EMIT;
}

void
LlmThinkFilterInit(LlmThinkFilter *f, bool starts_inside)
{
	memset(f, 0, sizeof(*f));
	f->state = starts_inside ? LLM_THINK_INSIDE : LLM_THINK_BEFORE;
	f->depth = starts_inside ? 1 : 0;
}

bool
LlmThinkFilterFeed(LlmThinkFilter *f, const char *s, size_t n, LlmStrBuf *out)
{
	for (size_t i = 0; i < n; i++)
	{
		/* the answer has begun: the rest of the text passes as it is */
		if (f->state == LLM_THINK_ANSWER)
			return LlmStrBufAppend(out, s + i, n - i);
		switch (ThinkStep(f, s[i]))
		{
			case THINK_HOLD:
				if (!LlmStrBufAppend(&f->held, s + i, 1))
					return false;
				break;
			case THINK_EMIT:
				if (!LlmStrBufAppend(out, f->held.data, f->held.len) ||
					!LlmStrBufAppend(out, s + i, 1))
					return false;
				f->held.len = 0;
				break;
			case THINK_DROP:
				f->held.len = 0;
				break;
		}
	}
	/* a piece may end with nothing appended: out is still a string */
	return LlmStrBufAppend(out, "", 0);
}

void
LlmThinkFilterFinish(LlmThinkFilter *f, const char **rest, size_t *rest_len)
{
	bool		some = f->state == LLM_THINK_BEFORE && f->held.len > 0;

	*rest = some ? f->held.data : "";
	*rest_len = some ? f->held.len : 0;
}

void
LlmThinkFilterFree(LlmThinkFilter *f)
{
	free(f->held.data);
	memset(&f->held, 0, sizeof(f->held));
}

size_t
LlmThinkStrip(char *text, size_t len, bool starts_inside)
{
	LlmThinkFilter f;
	size_t		w = 0;			/* answer bytes written at the front */
	size_t		n_held = 0;		/* held bytes: those just before text[i] */
	size_t		i;

	LlmThinkFilterInit(&f, starts_inside);
	for (i = 0; i < len; i++)
	{
		if (f.state == LLM_THINK_ANSWER)
		{
			memmove(text + w, text + i, len - i);
			w += len - i;
			break;
		}
		switch (ThinkStep(&f, text[i]))
		{
			case THINK_HOLD:
				n_held++;
				break;
			case THINK_EMIT:
				memmove(text + w, text + i - n_held, n_held + 1);
				w += n_held + 1;
				n_held = 0;
				break;
			case THINK_DROP:
				n_held = 0;
				break;
		}
	}
	/* held bytes left at the end are answer unless a block is open */
	if (i == len && f.state == LLM_THINK_BEFORE && n_held > 0)
	{
		memmove(text + w, text + len - n_held, n_held);
		w += n_held;
	}
	if (w < len)
		text[w] = '\0';
	return w;
}
