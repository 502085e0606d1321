/*-------------------------------------------------------------------------
 *
 * chat.c
 *	  Chat templates: recognising a template's family from its text, and
 *	  the public entry points (see chat.h; rendering is in chat_render.c).
 *
 * Detection follows llama.cpp's llm_chat_detect_template: a template is
 * recognised by the marker strings its family writes ("<|im_start|>",
 * "[INST]", "<start_of_turn>", ...), tested in llama.cpp's order.  Two
 * differences: a "<|user|>"/"<|assistant|>" template ending messages with
 * eos_token is Zephyr (llama.cpp takes zephyr-7b-beta's template for
 * GLM-Edge), and a ChatML template that writes <think> is Qwen 3, whose
 * reasoning switch llama.cpp's plain ChatML does not know.  The same text
 * then decides the variant details.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chat_render.h"

static const char *const family_names[LLM_CHAT_FAMILY_COUNT] = {
	[LLM_CHAT_CHATML] = "chatml",
	[LLM_CHAT_LLAMA3] = "llama3",
	[LLM_CHAT_LLAMA31] = "llama3.1",
	[LLM_CHAT_LLAMA2] = "llama2",
	[LLM_CHAT_MISTRAL] = "mistral",
	[LLM_CHAT_MISTRAL_V1] = "mistral-v1",
	[LLM_CHAT_MISTRAL_V3] = "mistral-v3",
	[LLM_CHAT_MISTRAL_V3_TEKKEN] = "mistral-v3-tekken",
	[LLM_CHAT_MISTRAL_V7] = "mistral-v7",
	[LLM_CHAT_MISTRAL_V7_TEKKEN] = "mistral-v7-tekken",
	[LLM_CHAT_ZEPHYR] = "zephyr",
	[LLM_CHAT_PHI3] = "phi3",
	[LLM_CHAT_PHI3_MINI] = "phi3-mini",
	[LLM_CHAT_PHI4] = "phi4",
	[LLM_CHAT_QWEN3] = "qwen3",
	[LLM_CHAT_GEMMA] = "gemma",
};

const char *
LlmChatFamilyName(LlmChatFamily family)
{
	return (unsigned) family < LLM_CHAT_FAMILY_COUNT ? family_names[family] : "?";
}

static bool
Has(const char *t, const char *s)
{
	return strstr(t, s) != NULL;
}

/* The family of a template given by name ("chatml", llama.cpp's "llama2-sys"...). */
static bool
FamilyByName(const char *t, LlmChatFamily *family)
{
	for (int f = 0; f < LLM_CHAT_FAMILY_COUNT; f++)
		if (strcmp(t, family_names[f]) == 0)
		{
			*family = (LlmChatFamily) f;
			return true;
		}
	if (strcmp(t, "llama2-sys") == 0 || strcmp(t, "llama2-sys-bos") == 0 ||
		strcmp(t, "llama2-sys-strip") == 0)
	{
		*family = LLM_CHAT_LLAMA2;
		return true;
	}
	return false;
}

/*
 * Zephyr: the expression that writes a user turn ends it with the end
 * token ('<|user|>\n' + message['content'] + eos_token).  Falcon 3 and
 * GLM-Edge write <|user|> too, but end turns with a newline or nothing.
 */
static bool
UserTurnEndsWithEos(const char *t)
{
	for (const char *p = strstr(t, "<|user|>"); p != NULL; p = strstr(p + 1, "<|user|>"))
	{
		const char *end = strstr(p, "}}");
		const char *eos = strstr(p, "eos_token");
		const char *eot = strstr(p, "<|endoftext|>");

		if (end != NULL && ((eos != NULL && eos < end) || (eot != NULL && eot < end)))
			return true;
	}
	return false;
}

bool
LlmChatDetect(const char *t, LlmChatFamily *family)
{
	if (t == NULL)
		return false;
	if (FamilyByName(t, family))
		return true;
	if (Has(t, "<|im_start|>"))
	{
		/* SmolVLM writes <|im_start|> as its BOS only: not ChatML */
		if (Has(t, "<end_of_utterance>"))
			return false;
		if (Has(t, "<|im_sep|>"))
			*family = LLM_CHAT_PHI4;
		else if (Has(t, "<think>"))
			*family = LLM_CHAT_QWEN3;
		else
			*family = LLM_CHAT_CHATML;
		return true;
	}
	if (strncmp(t, "mistral", 7) == 0 || Has(t, "[INST]"))
	{
		if (Has(t, "[SYSTEM_PROMPT]"))
			*family = Has(t, "[SYSTEM_PROMPT] ") ? LLM_CHAT_MISTRAL_V7 : LLM_CHAT_MISTRAL_V7_TEKKEN;
		else if (Has(t, "' [INST] ' + system_message") || Has(t, "[AVAILABLE_TOOLS]"))
		{
			if (Has(t, " [INST]"))
				*family = LLM_CHAT_MISTRAL_V1;
			else if (Has(t, "\"[INST]\""))
				*family = LLM_CHAT_MISTRAL_V3_TEKKEN;
			else
				*family = LLM_CHAT_MISTRAL_V3;
		}
		else if (Has(t, "<<SYS>>"))
			*family = LLM_CHAT_LLAMA2;
		else
			*family = LLM_CHAT_MISTRAL;	/* llama.cpp's plain "llama2" */
		return true;
	}
	if (Has(t, "<|assistant|>") && Has(t, "<|end|>"))
	{
		/* the first Phi-3-mini template writes the assistant tag itself */
		*family = Has(t, "add_generation_prompt") ? LLM_CHAT_PHI3 : LLM_CHAT_PHI3_MINI;
		return true;
	}
	if (UserTurnEndsWithEos(t))
	{
		*family = LLM_CHAT_ZEPHYR;
		return true;
	}
	if (Has(t, "<start_of_turn>"))
	{
		*family = LLM_CHAT_GEMMA;
		return true;
	}
	if (Has(t, "<|start_header_id|>") && Has(t, "<|end_header_id|>"))
	{
		*family = Has(t, "Cutting Knowledge Date") ? LLM_CHAT_LLAMA31 : LLM_CHAT_LLAMA3;
		return true;
	}
	return false;
}

/*
 * The default system prompt of a ChatML template (Qwen 2/2.5, SmolLM2):
 * a string literal that opens a system turn and holds its whole text,
 * '<|im_start|>system\nYou are ...<|im_end|>\n'.  The newline is either
 * itself or Jinja's \n escape; the text is unescaped.  *out is NULL when
 * there is none; false means out of memory.
 */
static bool
ChatmlDefaultSystem(const char *t, char **result)
{
	static const char open[] = "<|im_start|>system";

	*result = NULL;
	for (const char *p = strstr(t, open); p != NULL; p = strstr(p + 1, open))
	{
		const char *s = p + strlen(open);
		const char *end;
		char	   *out;
		size_t		n = 0;

		if (*s == '\n')
			s++;
		else if (s[0] == '\\' && s[1] == 'n')
			s += 2;
		else
			continue;
		end = strstr(s, "<|im_end|>");
		if (end == NULL || end == s || memchr(s, '\'', end - s) || memchr(s, '"', end - s))
			continue;
		out = malloc(end - s + 1);
		if (out == NULL)
			return false;
		for (const char *q = s; q < end; q++)
		{
			if (*q == '\\' && q + 1 < end)
			{
				q++;
				out[n++] = *q == 'n' ? '\n' : *q == 't' ? '\t' : *q == 'r' ? '\r' : *q;
			}
			else
				out[n++] = *q;
		}
		out[n] = '\0';
		*result = out;
		return true;
	}
	return true;
}

/*
 * t holds the string literal s, written with Jinja's \n escapes or with
 * real newlines (templates come both ways), and closed by a quote.
 */
static bool
HasLiteral(const char *t, const char *s)
{
	char		esc[64];
	size_t		n = 0;

	for (const char *p = s; *p != '\0' && n + 3 < sizeof(esc); p++)
	{
		if (*p == '\n')
			esc[n++] = '\\';
		esc[n++] = *p == '\n' ? 'n' : *p;
	}
	esc[n] = '\0';
	for (int escaped = 0; escaped < 2; escaped++)
	{
		const char *form = escaped ? esc : s;
		size_t		len = strlen(form);

		for (const char *p = strstr(t, form); p != NULL; p = strstr(p + 1, form))
			if (p[len] == '\'' || p[len] == '"')
				return true;
	}
	return false;
}

/*
 * Does the generation prompt open a <think> block?  Qwen 3-Thinking-2507
 * and QwQ write '<|im_start|>assistant\n<think>\n'; Qwen 3.5 writes
 * '<think>\n' alone when thinking is on.  Qwen 3's own template writes
 * '\n<think>\n' only inside an earlier answer, which is not this.
 */
static bool
OpensThink(const char *t)
{
	return HasLiteral(t, "assistant\n<think>\n") || HasLiteral(t, "'<think>\n") ||
		HasLiteral(t, "\"<think>\n");
}

/* Variant details of a detected family, from the template's text; false: out of memory. */
static bool
StyleFromText(const char *t, LlmChatFamily family, LlmChatStyle *st)
{
	memset(st, 0, sizeof(*st));
	st->family = family;
	if (t == NULL || FamilyByName(t, &family))
	{
		/* by name: what the family's official template does */
		st->bos = !(family == LLM_CHAT_CHATML || family == LLM_CHAT_ZEPHYR ||
					family == LLM_CHAT_PHI3 || family == LLM_CHAT_QWEN3 ||
					family == LLM_CHAT_PHI4);
		st->eos_without_prompt = family == LLM_CHAT_PHI3;
		st->skip_empty_system = family == LLM_CHAT_PHI3;
		st->think = st->think_switch = family == LLM_CHAT_QWEN3;
		return true;
	}
	st->bos = Has(t, "bos_token") && family != LLM_CHAT_CHATML && family != LLM_CHAT_ZEPHYR &&
		family != LLM_CHAT_QWEN3;
	st->eos_without_prompt = family == LLM_CHAT_PHI3 && Has(t, "eos_token");
	st->skip_empty_system = family == LLM_CHAT_PHI3 && Has(t, "'system' and message['content']");
	st->think = family == LLM_CHAT_QWEN3 && Has(t, "last_query_index");
	st->think_switch = family == LLM_CHAT_QWEN3 && Has(t, "enable_thinking");
	st->think_opens = family == LLM_CHAT_QWEN3 && OpensThink(t);
	st->today = family == LLM_CHAT_LLAMA31 && Has(t, "strftime_now");
	st->literal_eot = family == LLM_CHAT_ZEPHYR && !Has(t, "eos_token");
	if (family == LLM_CHAT_CHATML || family == LLM_CHAT_QWEN3)
		return ChatmlDefaultSystem(t, &st->default_system);
	return true;
}

/* "05 Mar 2025": strftime("%d %b %Y") in the C locale, local time */
static void
TodayString(char *buf, size_t size)
{
	static const char *const months[12] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	time_t		now = time(NULL);
	struct tm	tm;

	if (localtime_r(&now, &tm) == NULL)
	{
		snprintf(buf, size, "26 Jul 2024");
		return;
	}
	snprintf(buf, size, "%02d %s %04d", tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900);
}

LlmStatus
LlmChatRender(const char *template_text, const LlmChatOptions *opts,
			  const LlmChatMessage *msgs, int n_msgs, bool add_generation_prompt,
			  LlmChatResult *out, LlmError *err)
{
	LlmChatFamily family = LLM_CHAT_CHATML;
	LlmChatStyle st;
	LlmChatTexts tx;
	char		today[32];
	bool		known;
	LlmStatus	s;

	memset(out, 0, sizeof(*out));
	if (n_msgs < 0 || (n_msgs > 0 && msgs == NULL))
		return LlmSetError(err, LLM_ERR_ARGUMENT, "invalid message list");
	for (int i = 0; i < n_msgs; i++)
		if (msgs[i].role == NULL)
			return LlmSetError(err, LLM_ERR_ARGUMENT, "chat message %d has no role", i + 1);

	known = LlmChatDetect(template_text, &family);
	if (!known)
		family = LLM_CHAT_CHATML;
	if (!StyleFromText(known ? template_text : NULL, family, &st))
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory reading the chat template");

	tx.bos = opts && opts->bos_token ? opts->bos_token : "";
	tx.eos = opts && opts->eos_token ? opts->eos_token : "";
	tx.date = opts && opts->date ? opts->date : "26 Jul 2024";
	if (st.today && !(opts && opts->date))
	{
		TodayString(today, sizeof(today));
		tx.date = today;
	}

	s = LlmChatRenderStyle(&st, &tx, msgs, n_msgs, add_generation_prompt,
						   opts != NULL && opts->enable_thinking, out, err);
	free(st.default_system);
	if (s != LLM_OK)
		return s;
	out->family = family;
	out->family_name = LlmChatFamilyName(family);
	out->fallback = !known;
	out->unknown = !known && template_text != NULL;
	out->bos_in_text = *tx.bos != '\0' && strncmp(out->text, tx.bos, strlen(tx.bos)) == 0;
	return LLM_OK;
}

/* A malloc'd NUL-terminated copy of a string from the file, or NULL. */
static char *
CopyText(GgufString t)
{
	char	   *s = malloc(t.len + 1);

	if (s != NULL)
	{
		memcpy(s, t.data, t.len);
		s[t.len] = '\0';
	}
	return s;
}

/* A copy of a token's text, "" when there is none. */
static char *
TokenText(const LlmVocab *vocab, int32_t id)
{
	GgufString	t = {0, ""};

	if (id >= 0 && id < vocab->n_tokens)
		t = vocab->text[id];
	return CopyText(t);
}

LlmStatus
LlmChatRenderModel(const GgufFile *gguf, const LlmVocab *vocab,
				   const LlmChatMessage *msgs, int n_msgs, bool add_generation_prompt,
				   LlmChatResult *out, LlmError *err)
{
	return LlmChatRenderModelAs(gguf, vocab, NULL, msgs, n_msgs, add_generation_prompt, out,
								err);
}

LlmStatus
LlmChatRenderModelAs(const GgufFile *gguf, const LlmVocab *vocab, const char *family_name,
					 const LlmChatMessage *msgs, int n_msgs, bool add_generation_prompt,
					 LlmChatResult *out, LlmError *err)
{
	return LlmChatRenderModelThinking(gguf, vocab, family_name, msgs, n_msgs,
									  add_generation_prompt, false, out, err);
}

LlmStatus
LlmChatRenderModelThinking(const GgufFile *gguf, const LlmVocab *vocab, const char *family_name,
						   const LlmChatMessage *msgs, int n_msgs, bool add_generation_prompt,
						   bool enable_thinking, LlmChatResult *out, LlmError *err)
{
	LlmChatOptions opts = {0};
	GgufString	t;
	char	   *template_text = NULL;
	char	   *bos = TokenText(vocab, vocab->bos_id);
	char	   *eos = TokenText(vocab, vocab->eos_id);
	bool		oom = bos == NULL || eos == NULL;
	LlmStatus	s;

	memset(out, 0, sizeof(*out));
	if (family_name != NULL)
	{
		template_text = strdup(family_name);
		oom |= template_text == NULL;
	}
	else if (GgufGetString(gguf, "tokenizer.chat_template", &t) && t.len > 0)
	{
		template_text = CopyText(t);
		oom |= template_text == NULL;
	}
	if (oom)
		s = LlmSetError(err, LLM_ERR_NOMEM, "out of memory rendering the chat template");
	else
	{
		opts.bos_token = bos;
		opts.eos_token = eos;
		opts.enable_thinking = enable_thinking;
		s = LlmChatRender(template_text, &opts, msgs, n_msgs, add_generation_prompt, out, err);
	}
	free(template_text);
	free(bos);
	free(eos);
	return s;
}

void
LlmChatResultFree(LlmChatResult *result)
{
	if (result == NULL)
		return;
	free(result->text);
	result->text = NULL;
	result->len = 0;
}
