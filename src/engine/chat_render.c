/*-------------------------------------------------------------------------
 *
 * chat_render.c
 *	  Rendering a conversation in each chat template family.
 *
 * Each renderer reproduces the official Jinja template of its family as
 * Hugging Face renders it (trim_blocks, lstrip_blocks): the strings it
 * writes, where BOS and EOS go, which filters (trim, strip) apply to which
 * parts, and the exceptions it raises.  Where a template has no place for
 * a system message (Mistral v0.1/v0.2 raise, the first Phi-3-mini template
 * drops it), the system text goes in front of the first user message
 * followed by a blank line, as Gemma 3's template and Mistral's later
 * templates do it, and the result says so.
 *
 * Gemma and Phi-4 follow llama.cpp's llama_chat_apply_template instead,
 * byte for byte, where it departs from their Jinja templates (see their
 * renderers): users check llm's prompts against llama.cpp's.  Qwen 3 is
 * ChatML there; here its template's reasoning switch is kept, off by
 * default.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "chat_render.h"
#include "strbuf.h"
#include "tokenizer/unicode.h"

/*
 * The renderers write through these and check for running out of memory
 * once, at the end (LlmStrBuf remembers it).
 */
static void
PutN(LlmStrBuf *b, const char *s, size_t n)
{
	(void) LlmStrBufAppend(b, s, n);
}

static void
Put(LlmStrBuf *b, const char *s)
{
	PutN(b, s, strlen(s));
}

/* Python's str.isspace(): White_Space plus the separators U+001C..U+001F */
static bool
PyIsSpace(uint32_t c)
{
	return (c >= 0x1C && c <= 0x1F) || (LlmUnicodeFlags(c) & LLM_UNICODE_WHITESPACE);
}

/*
 * s without leading and trailing whitespace, as Jinja's trim filter and
 * Python's strip() (both str.strip()) remove it.
 */
static void
Strip(const char *s, const char **out, size_t *out_len)
{
	size_t		len = strlen(s);
	size_t		first = len;
	size_t		end = 0;

	for (size_t pos = 0; pos < len;)
	{
		size_t		at = pos;
		uint32_t	c = LlmUtf8Decode(s, len, &pos);

		if (!PyIsSpace(c))
		{
			if (first == len)
				first = at;
			end = pos;
		}
	}
	if (first == len)
		first = end = 0;		/* all whitespace */
	*out = s + first;
	*out_len = end - first;
}

static void
PutTrimmed(LlmStrBuf *b, const char *s)
{
	const char *t;
	size_t		n;

	Strip(s, &t, &n);
	PutN(b, t, n);
}

/* Python's s.strip('\n') family: only newlines */
static void
StripNewlines(const char *s, size_t len, bool left, bool right, const char **out, size_t *out_len)
{
	size_t		a = 0;
	size_t		z = len;

	while (left && a < z && s[a] == '\n')
		a++;
	while (right && z > a && s[z - 1] == '\n')
		z--;
	*out = s + a;
	*out_len = z - a;
}

static const char *
Content(const LlmChatMessage *m)
{
	return m->content ? m->content : "";
}

static bool
IsRole(const LlmChatMessage *m, const char *role)
{
	return m->role != NULL && strcmp(m->role, role) == 0;
}

static LlmStatus
TemplateError(LlmChatFamily family, LlmError *err, const char *msg)
{
	return LlmSetError(err, LLM_ERR_ARGUMENT, "chat template (%s): %s",
					   LlmChatFamilyName(family), msg);
}

/*
 * (message['role'] == 'user') != (loop.index0 % 2 == 0) raises in the
 * Llama 2, Mistral and Gemma templates.
 */
static LlmStatus
CheckAlternation(LlmChatFamily family, const LlmChatMessage *msgs, int n, LlmError *err)
{
	for (int i = 0; i < n; i++)
		if (IsRole(&msgs[i], "user") != (i % 2 == 0))
			return TemplateError(family, err,
								 "Conversation roles must alternate user/assistant/user/assistant/...");
	return LLM_OK;
}

/* system, user or assistant: the roles every template knows */
static bool
IsBasicRole(const LlmChatMessage *m)
{
	return IsRole(m, "system") || IsRole(m, "user") || IsRole(m, "assistant");
}

/* The Qwen 3 and Phi-3 templates raise on any other role. */
static LlmStatus
CheckBasicRoles(LlmChatFamily family, const LlmChatMessage *msgs, int n, LlmError *err)
{
	for (int i = 0; i < n; i++)
		if (!IsBasicRole(&msgs[i]))
			return TemplateError(family, err, "only system, user and assistant messages are supported");
	return LLM_OK;
}

/*
 * A leading system message, taken off the list, for the templates that
 * put its text somewhere else; NULL when the conversation has none.
 */
static const char *
TakeSystem(const LlmChatMessage **msgs, int *n)
{
	const char *system;

	if (*n == 0 || !IsRole(&(*msgs)[0], "system"))
		return NULL;
	system = Content(&(*msgs)[0]);
	(*msgs)++;
	(*n)--;
	return system;
}

/* ---- ChatML (Qwen, SmolLM), with Qwen 3's reasoning blocks ---- */

/*
 * An assistant message of Qwen 3's template: reasoning inside
 * <think>...</think> is dropped from the content, and shown in a <think>
 * block only after the last user query, for the last message or when there
 * was reasoning.
 */
static void
ChatmlAssistantQwen3(LlmStrBuf *b, const char *content, bool after_query, bool is_last)
{
	const char *think_end = strstr(content, "</think>");
	const char *reasoning = "";
	size_t		reasoning_len = 0;
	const char *answer = content;
	size_t		answer_len = strlen(content);

	if (think_end != NULL)
	{
		const char *last_end = think_end;
		const char *p;
		const char *open;

		/* content.split('</think>')[-1].lstrip('\n') */
		while ((p = strstr(last_end + 1, "</think>")) != NULL)
			last_end = p;
		StripNewlines(last_end + 8, strlen(last_end + 8), true, false, &answer, &answer_len);
		/* split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n') */
		StripNewlines(content, (size_t) (think_end - content), false, true, &reasoning, &reasoning_len);
		for (open = reasoning;
			 (p = strstr(open, "<think>")) != NULL && p + 7 <= reasoning + reasoning_len;)
			open = p + 7;
		reasoning_len -= (size_t) (open - reasoning);
		reasoning = open;
		StripNewlines(reasoning, reasoning_len, true, false, &reasoning, &reasoning_len);
	}
	Put(b, "<|im_start|>assistant\n");
	if (after_query && (is_last || reasoning_len > 0))
	{
		Put(b, "<think>\n");
		StripNewlines(reasoning, reasoning_len, true, true, &reasoning, &reasoning_len);
		PutN(b, reasoning, reasoning_len);
		Put(b, "\n</think>\n\n");
		StripNewlines(answer, answer_len, true, false, &answer, &answer_len);
	}
	PutN(b, answer, answer_len);
}

/*
 * Qwen 3's generation prompt.  enable_thinking = false appends an empty
 * block, '<think>\n\n</think>\n\n' (the bytes of Qwen 3's template), so
 * the model answers at once: that is the default, as a SQL call should not
 * spend its tokens on reasoning nobody sees.  Templates that open the block
 * themselves (think_opens) do so when thinking is on, or always when they
 * have no switch; the answer then starts inside it.
 */
static void
Qwen3GenerationPrompt(const LlmChatStyle *st, bool thinking, LlmStrBuf *b, bool *think_open)
{
	Put(b, "<|im_start|>assistant\n");
	if (st->think_switch && !thinking)
		Put(b, "<think>\n\n</think>\n\n");
	else if (st->think_opens)
	{
		Put(b, "<think>\n");
		*think_open = true;
	}
}

static LlmStatus
RenderChatml(const LlmChatStyle *st, const LlmChatMessage *msgs, int n, bool gen,
			 bool thinking, LlmStrBuf *b, bool *think_open, LlmError *err)
{
	int			last_query = n - 1;
	LlmStatus	s;

	if (st->think)
	{
		if ((s = CheckBasicRoles(st->family, msgs, n, err)) != LLM_OK)
			return s;
		/* the last user message that is not a tool response */
		for (int i = n - 1; i >= 0; i--)
		{
			const char *c = Content(&msgs[i]);
			size_t		cl = strlen(c);

			if (IsRole(&msgs[i], "user") &&
				!(strncmp(c, "<tool_response>", 15) == 0 && cl >= 16 &&
				  strcmp(c + cl - 16, "</tool_response>") == 0))
			{
				last_query = i;
				break;
			}
		}
	}
	if (st->default_system != NULL && n > 0 && !IsRole(&msgs[0], "system"))
	{
		Put(b, "<|im_start|>system\n");
		Put(b, st->default_system);
		Put(b, "<|im_end|>\n");
	}
	for (int i = 0; i < n; i++)
	{
		if (st->think && IsRole(&msgs[i], "assistant"))
			ChatmlAssistantQwen3(b, Content(&msgs[i]), i > last_query, i == n - 1);
		else
		{
			Put(b, "<|im_start|>");
			Put(b, msgs[i].role);
			Put(b, "\n");
			Put(b, Content(&msgs[i]));
		}
		Put(b, "<|im_end|>\n");
	}
	if (gen && st->family == LLM_CHAT_QWEN3)
		Qwen3GenerationPrompt(st, thinking, b, think_open);
	else if (gen)
		Put(b, "<|im_start|>assistant\n");
	return LLM_OK;
}

/* ---- Phi-4 ---- */

/*
 * llama.cpp's Phi-4 rendering.  Phi-4's Jinja template writes the
 * assistant prefix after every user message, generation prompt or not, and
 * ignores roles other than system, user and assistant; llama.cpp writes
 * the prefix only as the generation prompt and every role alike.  They
 * agree whenever a conversation ends with a user message and gets the
 * generation prompt, which is how llm uses it.
 */
static void
RenderPhi4(const LlmChatMessage *msgs, int n, bool gen, LlmStrBuf *b)
{
	for (int i = 0; i < n; i++)
	{
		Put(b, "<|im_start|>");
		Put(b, msgs[i].role);
		Put(b, "<|im_sep|>");
		Put(b, Content(&msgs[i]));
		Put(b, "<|im_end|>");
	}
	if (gen)
		Put(b, "<|im_start|>assistant<|im_sep|>");
}

/* ---- Llama 3 and 3.1+ ---- */

static void
Llama3Turn(LlmStrBuf *b, const char *role, const char *content)
{
	Put(b, "<|start_header_id|>");
	Put(b, role);
	Put(b, "<|end_header_id|>\n\n");
	PutTrimmed(b, content);
	Put(b, "<|eot_id|>");
}

static LlmStatus
RenderLlama3(const LlmChatStyle *st, const LlmChatTexts *tx, const LlmChatMessage *msgs,
			 int n, bool gen, LlmStrBuf *b, LlmError *err)
{
	int			first = 0;

	if (st->family == LLM_CHAT_LLAMA31)
	{
		for (int i = 0; i < n; i++)
			if (IsRole(&msgs[i], "tool") || IsRole(&msgs[i], "ipython"))
				return TemplateError(st->family, err, "tool messages are not supported");
		/* the system header always comes, with or without a system message */
		if (st->bos)
			Put(b, tx->bos);
		Put(b, "<|start_header_id|>system<|end_header_id|>\n\n");
		Put(b, "Cutting Knowledge Date: December 2023\nToday Date: ");
		Put(b, tx->date);
		Put(b, "\n\n");
		if (n > 0 && IsRole(&msgs[0], "system"))
		{
			PutTrimmed(b, Content(&msgs[0]));
			first = 1;
		}
		Put(b, "<|eot_id|>");
	}
	else if (n > 0 && st->bos)
		Put(b, tx->bos);		/* prepended to the first message */
	for (int i = first; i < n; i++)
		Llama3Turn(b, msgs[i].role, Content(&msgs[i]));
	if (gen)
		Put(b, "<|start_header_id|>assistant<|end_header_id|>\n\n");
	return LLM_OK;
}

/* ---- Llama 2 chat ---- */

static LlmStatus
RenderLlama2(const LlmChatStyle *st, const LlmChatTexts *tx, const LlmChatMessage *msgs,
			 int n, LlmStrBuf *b, LlmError *err)
{
	const char *system = TakeSystem(&msgs, &n);
	LlmStatus	s;

	if ((s = CheckAlternation(st->family, msgs, n, err)) != LLM_OK)
		return s;
	for (int i = 0; i < n; i++)
	{
		LlmStrBuf	content = {0};

		/* the system text is part of the first message, stripped with it */
		if (i == 0 && system != NULL)
		{
			Put(&content, "<<SYS>>\n");
			Put(&content, system);
			Put(&content, "\n<</SYS>>\n\n");
		}
		Put(&content, Content(&msgs[i]));
		if (content.oom)
		{
			free(content.data);
			b->oom = true;
			return LLM_OK;
		}
		if (IsRole(&msgs[i], "user"))
		{
			Put(b, tx->bos);
			Put(b, "[INST] ");
			PutTrimmed(b, content.data);
			Put(b, " [/INST]");
		}
		else if (IsRole(&msgs[i], "assistant"))
		{
			Put(b, " ");
			PutTrimmed(b, content.data);
			Put(b, " ");
			Put(b, tx->eos);
		}
		free(content.data);
	}
	return LLM_OK;
}

/* ---- Mistral ---- */

static LlmStatus
RenderMistral(const LlmChatStyle *st, const LlmChatTexts *tx, const LlmChatMessage *msgs,
			  int n, LlmStrBuf *b, bool *merged, LlmError *err)
{
	LlmChatFamily f = st->family;
	const char *system = TakeSystem(&msgs, &n);
	bool		tekken = f == LLM_CHAT_MISTRAL_V3_TEKKEN;
	LlmStatus	s;

	if ((s = CheckAlternation(f, msgs, n, err)) != LLM_OK)
		return s;
	if (st->bos)
		Put(b, tx->bos);
	for (int i = 0; i < n; i++)
	{
		const char *c = Content(&msgs[i]);

		if (IsRole(&msgs[i], "user"))
		{
			/* v0.1/v0.2 and v1 put the system text in the first user message, v3 in the last */
			bool		with_system = system != NULL &&
				((f == LLM_CHAT_MISTRAL_V3 || tekken) ? i == n - 1 : i == 0);

			Put(b, f == LLM_CHAT_MISTRAL_V1 ? " [INST] " : tekken ? "[INST]" : "[INST] ");
			if (with_system)
			{
				Put(b, system);
				Put(b, "\n\n");
				*merged = true;
			}
			Put(b, c);
			Put(b, (f == LLM_CHAT_MISTRAL || f == LLM_CHAT_MISTRAL_V1) ? " [/INST]" : "[/INST]");
		}
		else if (IsRole(&msgs[i], "assistant"))
		{
			if (f == LLM_CHAT_MISTRAL_V1)
				Put(b, " ");
			if (f == LLM_CHAT_MISTRAL_V3)
			{
				Put(b, " ");
				PutTrimmed(b, c);
			}
			else
				Put(b, c);
			Put(b, tx->eos);
		}
		else
			return TemplateError(f, err, "Only user and assistant roles are supported, with the exception of an initial optional system message!");
	}
	return LLM_OK;
}

static LlmStatus
RenderMistralV7(const LlmChatStyle *st, const LlmChatTexts *tx, const LlmChatMessage *msgs,
				int n, LlmStrBuf *b, LlmError *err)
{
	const char *sp = st->family == LLM_CHAT_MISTRAL_V7 ? " " : "";

	if (st->bos)
		Put(b, tx->bos);
	for (int i = 0; i < n; i++)
	{
		if (IsRole(&msgs[i], "user"))
		{
			Put(b, "[INST]");
			Put(b, sp);
			Put(b, Content(&msgs[i]));
			Put(b, "[/INST]");
		}
		else if (IsRole(&msgs[i], "system"))
		{
			Put(b, "[SYSTEM_PROMPT]");
			Put(b, sp);
			Put(b, Content(&msgs[i]));
			Put(b, "[/SYSTEM_PROMPT]");
		}
		else if (IsRole(&msgs[i], "assistant"))
		{
			Put(b, sp);
			Put(b, Content(&msgs[i]));
			Put(b, tx->eos);
		}
		else
			return TemplateError(st->family, err, "Only user, system and assistant roles are supported!");
	}
	return LLM_OK;
}

/* ---- Zephyr ---- */

static void
RenderZephyr(const LlmChatStyle *st, const LlmChatTexts *tx, const LlmChatMessage *msgs,
			 int n, bool gen, LlmStrBuf *b)
{
	const char *eos = st->literal_eot ? "<|endoftext|>" : tx->eos;

	for (int i = 0; i < n; i++)
	{
		if (IsBasicRole(&msgs[i]))
		{
			Put(b, "<|");
			Put(b, msgs[i].role);
			Put(b, "|>\n");
			Put(b, Content(&msgs[i]));
			Put(b, eos);
			Put(b, "\n");
		}
		/* the generation prompt is written inside the loop, after the last message */
		if (i == n - 1 && gen)
			Put(b, "<|assistant|>\n");
	}
}

/* ---- Phi-3 ---- */

static LlmStatus
RenderPhi3(const LlmChatStyle *st, const LlmChatTexts *tx, const LlmChatMessage *msgs,
		   int n, bool gen, LlmStrBuf *b, LlmError *err)
{
	LlmStatus	s;

	if ((s = CheckBasicRoles(st->family, msgs, n, err)) != LLM_OK)
		return s;
	if (st->bos)
		Put(b, tx->bos);
	for (int i = 0; i < n; i++)
	{
		const char *c = Content(&msgs[i]);

		if (st->skip_empty_system && IsRole(&msgs[i], "system") && *c == '\0')
			continue;
		Put(b, "<|");
		Put(b, msgs[i].role);
		Put(b, "|>\n");
		Put(b, c);
		Put(b, "<|end|>\n");
	}
	if (gen)
		Put(b, "<|assistant|>\n");
	else if (st->eos_without_prompt)
		Put(b, tx->eos);
	return LLM_OK;
}

/* the first Phi-3-mini template: the assistant tag follows every user message */
static void
RenderPhi3Mini(const LlmChatStyle *st, const LlmChatTexts *tx, const LlmChatMessage *msgs,
			   int n, LlmStrBuf *b, bool *merged)
{
	const char *system = TakeSystem(&msgs, &n);

	if (st->bos)
		Put(b, tx->bos);
	for (int i = 0; i < n; i++)
	{
		if (IsRole(&msgs[i], "user"))
		{
			Put(b, "<|user|>\n");
			if (system != NULL)
			{
				Put(b, system);
				Put(b, "\n\n");
				system = NULL;
				*merged = true;
			}
			Put(b, Content(&msgs[i]));
			Put(b, "<|end|>\n<|assistant|>\n");
		}
		else if (IsRole(&msgs[i], "assistant"))
		{
			Put(b, Content(&msgs[i]));
			Put(b, "<|end|>\n");
		}
	}
}

/* ---- Gemma ---- */

/* C's isspace() in the C locale: what llama.cpp's trim() removes */
static bool
IsAsciiSpace(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* s without leading and trailing ASCII whitespace, as llama.cpp's trim() */
static void
PutAsciiTrimmed(LlmStrBuf *b, const char *s)
{
	size_t		len = strlen(s);
	size_t		first = 0;

	while (first < len && IsAsciiSpace(s[first]))
		first++;
	while (len > first && IsAsciiSpace(s[len - 1]))
		len--;
	PutN(b, s + first, len - first);
}

/*
 * llama.cpp's Gemma rendering (Gemma 1, 2 and 3 alike).  Where it differs
 * from the Jinja templates, llama.cpp is followed:
 *
 * - System messages, wherever they are, are trimmed, joined without a
 *   separator and put with a blank line in front of the next turn that is
 *   not the model's.  Gemma 3's template takes only a first system message
 *   and does not trim it; Gemma 1 and 2 raise.
 * - Roles need not alternate user/model (the templates raise).
 * - Trimming is of ASCII whitespace (C's isspace), not Python's.
 * - llama.cpp writes no BOS; when the template writes bos_token it is in
 *   the text here (bos_in_text), so the tokens are the same.
 */
static void
RenderGemma(const LlmChatStyle *st, const LlmChatTexts *tx, const LlmChatMessage *msgs,
			int n, bool gen, LlmStrBuf *b, bool *merged)
{
	LlmStrBuf	system = {0};

	if (st->bos)
		Put(b, tx->bos);
	for (int i = 0; i < n; i++)
	{
		const char *role = msgs[i].role;

		if (IsRole(&msgs[i], "system"))
		{
			PutAsciiTrimmed(&system, Content(&msgs[i]));
			continue;
		}
		if (IsRole(&msgs[i], "assistant"))
			role = "model";
		Put(b, "<start_of_turn>");
		Put(b, role);
		Put(b, "\n");
		if (system.len > 0 && strcmp(role, "model") != 0)
		{
			PutN(b, system.data, system.len);
			Put(b, "\n\n");
			system.len = 0;
			*merged = true;
		}
		PutAsciiTrimmed(b, Content(&msgs[i]));
		Put(b, "<end_of_turn>\n");
	}
	if (gen)
		Put(b, "<start_of_turn>model\n");
	b->oom |= system.oom;
	free(system.data);
}

LlmStatus
LlmChatRenderStyle(const LlmChatStyle *st, const LlmChatTexts *tx,
				   const LlmChatMessage *msgs, int n, bool gen, bool thinking,
				   LlmChatResult *out, LlmError *err)
{
	LlmStrBuf	b = {0};
	LlmStatus	s = LLM_OK;
	bool		merged = false;
	bool		think_open = false;

	Put(&b, "");
	switch (st->family)
	{
		case LLM_CHAT_CHATML:
		case LLM_CHAT_QWEN3:
			s = RenderChatml(st, msgs, n, gen, thinking, &b, &think_open, err);
			break;
		case LLM_CHAT_PHI4:
			RenderPhi4(msgs, n, gen, &b);
			break;
		case LLM_CHAT_LLAMA3:
		case LLM_CHAT_LLAMA31:
			s = RenderLlama3(st, tx, msgs, n, gen, &b, err);
			break;
		case LLM_CHAT_LLAMA2:
			s = RenderLlama2(st, tx, msgs, n, &b, err);
			break;
		case LLM_CHAT_MISTRAL:
		case LLM_CHAT_MISTRAL_V1:
		case LLM_CHAT_MISTRAL_V3:
		case LLM_CHAT_MISTRAL_V3_TEKKEN:
			s = RenderMistral(st, tx, msgs, n, &b, &merged, err);
			/* v1 and v3 have a place for the system text; v0.1/v0.2 does not */
			merged = merged && st->family == LLM_CHAT_MISTRAL;
			break;
		case LLM_CHAT_MISTRAL_V7:
		case LLM_CHAT_MISTRAL_V7_TEKKEN:
			s = RenderMistralV7(st, tx, msgs, n, &b, err);
			break;
		case LLM_CHAT_ZEPHYR:
			RenderZephyr(st, tx, msgs, n, gen, &b);
			break;
		case LLM_CHAT_PHI3:
			s = RenderPhi3(st, tx, msgs, n, gen, &b, err);
			break;
		case LLM_CHAT_PHI3_MINI:
			RenderPhi3Mini(st, tx, msgs, n, &b, &merged);
			break;
		case LLM_CHAT_GEMMA:
			RenderGemma(st, tx, msgs, n, gen, &b, &merged);
			break;
		case LLM_CHAT_FAMILY_COUNT:
			s = LlmSetError(err, LLM_ERR_ARGUMENT, "invalid chat template family");
			break;
	}
	if (s == LLM_OK && b.oom)
		s = LlmSetError(err, LLM_ERR_NOMEM, "out of memory rendering the chat template");
	if (s != LLM_OK)
	{
		free(b.data);
		return s;
	}
	out->text = b.data;
	out->len = b.len;
	out->system_merged = merged;
	out->think_open = think_open;
	return LLM_OK;
}
