/*-------------------------------------------------------------------------
 *
 * chat.h
 *	  Chat templates: turning a list of {role, content} messages into the
 *	  prompt text a model was trained on.
 *
 * GGUF files carry the model's Jinja template (tokenizer.chat_template).
 * Rather than run Jinja, the family of the template is recognised from its
 * text (as llama.cpp's llm_chat_detect_template does) and the family is
 * rendered in C, producing exactly what the official template of that
 * family produces with Hugging Face's Jinja settings: same BOS/EOS
 * placement, newlines, trimming, system-prompt handling and generation
 * prompt.  Variants a template's text reveals are honoured (a default
 * system prompt in ChatML templates, Llama 3.1's date header, Qwen 3's
 * reasoning blocks, Mistral's spacing variants, Phi-3's end token).
 *
 * Gemma and Phi-4 are rendered as llama.cpp's llama_chat_apply_template
 * renders them where that differs from their Jinja templates (system text,
 * trimming, role checks), because users compare llm's prompts with
 * llama.cpp's; chat_render.c lists the differences.
 *
 * Qwen 3 can reason in a <think> block before answering.  By default the
 * prompt turns that off as Qwen 3's template does with enable_thinking =
 * false, so that a SQL call spends no tokens on hidden reasoning; the
 * caller may turn it on (enable_thinking).  Any block a model still writes
 * is removed from its answer by think.h.
 *
 * No template gives ChatML; a template of no known family also gives
 * ChatML, and the result says so.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_CHAT_H
#define LLM_ENGINE_CHAT_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "gguf.h"
#include "tokenizer/vocab.h"

typedef enum LlmChatFamily
{
	LLM_CHAT_CHATML,			/* <|im_start|>role\n...<|im_end|>\n (Qwen 2, SmolLM) */
	LLM_CHAT_LLAMA3,			/* <|start_header_id|>role<|end_header_id|>\n\n... */
	LLM_CHAT_LLAMA31,			/* Llama 3.1+: system header with dates */
	LLM_CHAT_LLAMA2,			/* Llama 2 chat: [INST] <<SYS>>...<</SYS>> */
	LLM_CHAT_MISTRAL,			/* Mistral 7B v0.1/v0.2: [INST] u [/INST]a</s> */
	LLM_CHAT_MISTRAL_V1,		/* " [INST] u [/INST] a</s>" */
	LLM_CHAT_MISTRAL_V3,		/* "[INST] u[/INST] a</s>" */
	LLM_CHAT_MISTRAL_V3_TEKKEN, /* "[INST]u[/INST]a</s>" (Mistral Nemo) */
	LLM_CHAT_MISTRAL_V7,		/* [SYSTEM_PROMPT] s[/SYSTEM_PROMPT][INST] u[/INST] a</s> */
	LLM_CHAT_MISTRAL_V7_TEKKEN, /* the same without the spaces */
	LLM_CHAT_ZEPHYR,			/* <|role|>\n...</s>\n */
	LLM_CHAT_PHI3,				/* <|role|>\n...<|end|>\n (Phi-3-small, Phi-3.5) */
	LLM_CHAT_PHI3_MINI,			/* the first Phi-3-mini/medium template */
	LLM_CHAT_PHI4,				/* <|im_start|>role<|im_sep|>...<|im_end|> */
	LLM_CHAT_QWEN3,				/* ChatML with <think> blocks (Qwen 3) */
	LLM_CHAT_GEMMA,				/* <start_of_turn>user|model\n...<end_of_turn>\n */
	LLM_CHAT_FAMILY_COUNT
} LlmChatFamily;

typedef struct LlmChatMessage
{
	const char *role;			/* "system", "user", "assistant" */
	const char *content;
} LlmChatMessage;

typedef struct LlmChatOptions
{
	const char *bos_token;		/* text of the model's BOS/EOS tokens; NULL: "" */
	const char *eos_token;
	const char *date;			/* date_string for Llama 3.1 ("26 Jul 2024");
								 * NULL: the template's own default */
	bool		enable_thinking;	/* Qwen 3: let the model reason before it
									 * answers; false (the default) writes the
									 * empty <think> block that turns it off */
} LlmChatOptions;

typedef struct LlmChatResult
{
	char	   *text;			/* malloc'd, NUL-terminated */
	size_t		len;
	LlmChatFamily family;
	const char *family_name;	/* "chatml", "llama3", ... */

	/*
	 * The text starts with the BOS token's text (the template writes it).
	 * Tokenize with add_bos = !bos_in_text and parse_special = true, so
	 * that the prompt holds one BOS whether or not the model's tokenizer
	 * adds one (this is what llama.cpp does).
	 */
	bool		bos_in_text;
	bool		fallback;		/* no usable template: ChatML was used */
	bool		unknown;		/* a template was given but not recognised */
	bool		system_merged;	/* the template has no system role: the system
								 * text went in front of the first user message */

	/*
	 * The generation prompt leaves a <think> block open (a template that
	 * always starts the answer with reasoning, or thinking turned on where
	 * the template then opens the block itself): the generated text starts
	 * inside the reasoning.  Give it to LlmThinkFilterInit/LlmThinkStrip
	 * (think.h), or LlmGenerateParams.think_open.
	 */
	bool		think_open;
} LlmChatResult;

/*
 * Render messages with a template.  template_text is the Jinja text of
 * tokenizer.chat_template, a family name ("chatml", "llama3", "gemma"...),
 * or NULL.  A conversation the template rejects (roles not alternating
 * user/assistant where it requires that, an unknown role) is an
 * LLM_ERR_ARGUMENT error with the template's message.
 */
extern LlmStatus LlmChatRender(const char *template_text, const LlmChatOptions *opts,
							   const LlmChatMessage *msgs, int n_msgs,
							   bool add_generation_prompt, LlmChatResult *out,
							   LlmError *err);

/* The same with the model's own template and BOS/EOS texts. */
extern LlmStatus LlmChatRenderModel(const GgufFile *gguf, const LlmVocab *vocab,
									const LlmChatMessage *msgs, int n_msgs,
									bool add_generation_prompt, LlmChatResult *out,
									LlmError *err);

/*
 * The same with the family family_name ("chatml", "llama3", ...: a name
 * LlmChatFamilyName gives) instead of the model's template; NULL: the
 * model's.  Thinking is off.
 */
extern LlmStatus LlmChatRenderModelAs(const GgufFile *gguf, const LlmVocab *vocab,
									  const char *family_name,
									  const LlmChatMessage *msgs, int n_msgs,
									  bool add_generation_prompt, LlmChatResult *out,
									  LlmError *err);

/*
 * LlmChatRenderModelAs with thinking turned on or off (as
 * LlmChatOptions.enable_thinking).  Only templates with a switch for it
 * (Qwen 3's enable_thinking) change; out->think_open tells whether the
 * answer will start inside a <think> block.
 */
extern LlmStatus LlmChatRenderModelThinking(const GgufFile *gguf, const LlmVocab *vocab,
											const char *family_name,
											const LlmChatMessage *msgs, int n_msgs,
											bool add_generation_prompt, bool enable_thinking,
											LlmChatResult *out, LlmError *err);

extern void LlmChatResultFree(LlmChatResult *result);

/* The family a template text belongs to; false if none is recognised. */
extern bool LlmChatDetect(const char *template_text, LlmChatFamily *family);

extern const char *LlmChatFamilyName(LlmChatFamily family);

#endif							/* LLM_ENGINE_CHAT_H */
