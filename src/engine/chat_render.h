/*-------------------------------------------------------------------------
 *
 * chat_render.h
 *	  Internal interface between template detection (chat.c) and the
 *	  per-family renderers (chat_render.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_CHAT_RENDER_H
#define LLM_ENGINE_CHAT_RENDER_H

#include "chat.h"

/* A family plus the variant details its template text reveals. */
typedef struct LlmChatStyle
{
	LlmChatFamily family;
	bool		bos;			/* the template writes bos_token first */
	bool		eos_without_prompt; /* Phi-3: eos_token ends a prompt that has
									 * no generation prompt */
	bool		skip_empty_system;	/* Phi-3.5: an empty system message vanishes */
	bool		think;			/* Qwen 3: <think> blocks of the last answer */
	bool		think_switch;	/* Qwen 3: enable_thinking = false writes an
								 * empty <think> block after the generation
								 * prompt */
	bool		think_opens;	/* the generation prompt opens a <think> block
								 * when thinking is on (Qwen 3-Thinking-2507
								 * and QwQ always: they have no switch) */
	bool		today;			/* Llama 3.2: the date is today's (strftime_now) */
	bool		literal_eot;	/* Zephyr template that writes <|endoftext|> */
	char	   *default_system; /* ChatML: system prompt used when none is given */
} LlmChatStyle;

/* Tokens and date the renderers write; never NULL. */
typedef struct LlmChatTexts
{
	const char *bos;
	const char *eos;
	const char *date;
} LlmChatTexts;

/*
 * Render into out->text/len and set out->system_merged and
 * out->think_open.  thinking: LlmChatOptions.enable_thinking.
 */
extern LlmStatus LlmChatRenderStyle(const LlmChatStyle *style, const LlmChatTexts *texts,
									const LlmChatMessage *msgs, int n_msgs,
									bool add_generation_prompt, bool thinking,
									LlmChatResult *out, LlmError *err);

#endif							/* LLM_ENGINE_CHAT_RENDER_H */
