/*-------------------------------------------------------------------------
 *
 * fuzz_chat.c
 *	  libFuzzer harness of chat templates: template detection and
 *	  rendering (chat.c, chat_render.c) with template text and messages
 *	  from the input.
 *
 * Input: byte 0 holds flags (generation prompt, which BOS/EOS texts, a
 * fixed date or none), then NUL-separated strings: the template text (a
 * Jinja template, a family name, or anything), then role, content, role,
 * content...  The template comes from a GGUF file and the messages from
 * SQL callers, so both are hostile.  Rendering must succeed or refuse the
 * conversation with an error, and give a NUL-terminated text of the stated
 * length; a template LlmChatDetect recognises must not be reported as
 * unknown.
 *
 *-------------------------------------------------------------------------
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "chat.h"
#include "fuzz.h"

#define MAX_MESSAGES 64

/* BOS/EOS texts of real models, and none */
static const char *const special_texts[][2] = {
	{NULL, NULL},
	{"<s>", "</s>"},
	{"<|begin_of_text|>", "<|eot_id|>"},
	{"<bos>", "<eos>"},
};

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	LlmChatMessage msgs[MAX_MESSAGES];
	LlmChatOptions opts;
	LlmChatResult res;
	LlmChatFamily family;
	char	   *copy;
	char	   *p,
			   *end;
	const char *template_text;
	int			n = 0;
	uint8_t		flags;
	bool		known;
	LlmError	err;

	if (size < 1)
		return 0;
	flags = data[0];
	/* a NUL-terminated copy: every string of the input ends at a NUL */
	copy = FuzzStrndup(data + 1, size - 1);
	end = copy + (size - 1);
	template_text = (flags & 0x10) ? NULL : copy;
	p = copy + strlen(copy) + 1;
	while (p < end && n < MAX_MESSAGES)
	{
		msgs[n].role = p;
		p += strlen(p) + 1;
		/* content is never NULL in the API (callers check): "" at the end */
		msgs[n].content = p < end ? p : "";
		if (p < end)
			p += strlen(p) + 1;
		n++;
	}

	memset(&opts, 0, sizeof(opts));
	opts.bos_token = special_texts[(flags >> 1) & 3][0];
	opts.eos_token = special_texts[(flags >> 1) & 3][1];
	opts.date = (flags & 0x08) ? "26 Jul 2024" : NULL;

	known = LlmChatDetect(template_text, &family);
	if (known)
		FUZZ_CHECK(strcmp(LlmChatFamilyName(family), "?") != 0, "family %d has no name", (int) family);
	if (LlmChatRender(template_text, (flags & 0x20) ? NULL : &opts, msgs, n,
					  (flags & 0x01) != 0, &res, &err) == LLM_OK)
	{
		FUZZ_CHECK(res.text != NULL && res.text[res.len] == '\0', "rendered text not terminated at its length");
		FUZZ_CHECK(res.family_name != NULL, "no family name");
		FUZZ_CHECK(!(known && res.unknown), "a detected template reported unknown");
		LlmChatResultFree(&res);
	}
	else
		FUZZ_CHECK(err.code == LLM_ERR_ARGUMENT || err.code == LLM_ERR_NOMEM,
				   "render failed with %d: %s", (int) err.code, err.message);
	free(copy);
	return 0;
}
