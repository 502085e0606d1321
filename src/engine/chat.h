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
	LLM_CHAT_CHATML,			/* <|im_start|>role\n...<|im_end|>\n (Qwen, SmolLM) */
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
 * model's.
 */
extern LlmStatus LlmChatRenderModelAs(const GgufFile *gguf, const LlmVocab *vocab,
									  const char *family_name,
									  const LlmChatMessage *msgs, int n_msgs,
									  bool add_generation_prompt, LlmChatResult *out,
									  LlmError *err);

extern void LlmChatResultFree(LlmChatResult *result);

/* The family a template text belongs to; false if none is recognised. */
extern bool LlmChatDetect(const char *template_text, LlmChatFamily *family);

extern const char *LlmChatFamilyName(LlmChatFamily family);

#endif							/* LLM_ENGINE_CHAT_H */
