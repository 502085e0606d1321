/*-------------------------------------------------------------------------
 *
 * think.h
 *	  Removing a model's reasoning (<think>...</think>) from its answer, all
 *	  at once or as the text is generated.
 *
 * Reasoning models (Qwen 3, QwQ, Phi-4-reasoning...) may write their
 * reasoning in a <think> block before the answer.  It is not part of the
 * answer a SQL function returns, so it is removed:
 *
 * - A block is recognised only before the answer: at the start of the
 *   text, after whitespace, or after an earlier block.  Once the answer has
 *   begun, "<think>" is ordinary text (as llama.cpp's reasoning parser,
 *   which looks for reasoning at the start only), so an answer that talks
 *   about the tag keeps it.
 * - A block ends at the "</think>" that closes it: a "<think>" inside it
 *   opens a nested block that needs its own "</think>".
 * - The whitespace before a block and between a block and the answer goes
 *   with it.  A text without a block is left exactly as it is, leading
 *   whitespace included.
 * - A "</think>" before the answer with no block open closes an empty one
 *   (the prompt may have opened it: think_open below).
 * - A block still open when the text ends (the token limit came first)
 *   is dropped whole: the answer never came, and the result is empty.
 * - Tags are exact: "<Think>", "<think >" are text.
 *
 * starts_inside says the prompt itself opened the block (LlmChatResult's
 * think_open): the text starts inside the reasoning.
 *
 * The incremental filter gives the same result as LlmThinkStrip however the
 * text is cut into pieces: it holds back what may still become a tag (and
 * leading whitespace), and lets it through once it is known not to.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_THINK_H
#define LLM_ENGINE_THINK_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

typedef enum LlmThinkState
{
	LLM_THINK_BEFORE,			/* before the answer: blocks may come */
	LLM_THINK_INSIDE,			/* inside a block */
	LLM_THINK_ANSWER			/* the answer has begun: everything passes */
} LlmThinkState;

typedef struct LlmThinkFilter
{
	LlmThinkState state;
	int			depth;			/* blocks open (nested) */
	bool		after_block;	/* a block has closed: whitespace before the
								 * answer is dropped, not held */
	char		tag[8];			/* the start of a tag being matched */
	int			n_tag;
	LlmStrBuf	held;			/* text held back before the answer: leading
								 * whitespace and the start of a tag */
} LlmThinkFilter;

extern void LlmThinkFilterInit(LlmThinkFilter *f, bool starts_inside);

/*
 * The next n bytes of generated text: what of them (and of the text held
 * back before) is answer is appended to out.  false: out of memory (out
 * or the filter; the filter is then unusable).
 */
extern bool LlmThinkFilterFeed(LlmThinkFilter *f, const char *s, size_t n, LlmStrBuf *out);

/*
 * The text has ended: *rest and *rest_len get the held-back text that is
 * answer after all (a tag that never completed, leading whitespace), to
 * append; nothing when inside a block.  Valid until LlmThinkFilterFree.
 */
extern void LlmThinkFilterFinish(LlmThinkFilter *f, const char **rest, size_t *rest_len);

extern void LlmThinkFilterFree(LlmThinkFilter *f);

/*
 * A finished text without its reasoning, in place: the answer is moved to
 * the front of text and its length returned (text[length] is set to '\0'
 * when it is shorter than len).  Allocates nothing.
 */
extern size_t LlmThinkStrip(char *text, size_t len, bool starts_inside);

#endif							/* LLM_ENGINE_THINK_H */
