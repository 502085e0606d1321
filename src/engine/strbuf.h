/*-------------------------------------------------------------------------
 *
 * strbuf.h
 *	  A growable byte string, always NUL-terminated, for the engine's text
 *	  output (detokenized text, rendered chat templates).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_STRBUF_H
#define LLM_ENGINE_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

/* Zero-initialize; data is malloc'd (NULL until the first append). */
typedef struct LlmStrBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	bool		oom;			/* an append ran out of memory */
} LlmStrBuf;

/*
 * Append n bytes of s.  Running out of memory is remembered: that append
 * and every later one are dropped, so that a caller writing many pieces
 * may check once at the end.  Returns false once out of memory.
 */
extern bool LlmStrBufAppend(LlmStrBuf *b, const char *s, size_t n);

#endif							/* LLM_ENGINE_STRBUF_H */
