/*-------------------------------------------------------------------------
 *
 * test_chat.c
 *	  Unit tests of the chat templates: every family renders conversations
 *	  exactly as its real Jinja template does (the expected strings were
 *	  rendered from the real templates with Hugging Face's Jinja settings),
 *	  families are recognised from real template texts (the short ones
 *	  whole, the long ones by their deciding lines), and fallback, errors
 *	  and the models' own templates.  Run from the repository root.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "chat.h"
#include "unit.h"

typedef struct TestTemplate
{
	const char *name;
	const char *family;
	const char *bos;
	const char *eos;
	const char *text;
} TestTemplate;

/* A conversation and what each of the named templates renders it as. */
typedef struct TestRender
{
	const char *tmpls;			/* template names, separated by spaces */
	const char *conv;
	bool		gen;
	const char *expected;
} TestRender;

static const LlmChatMessage conv_sua[] = {
	{"system", "You are a helpful assistant"}, {"user", "Hello"}, {"assistant", "Hi there"},
};
static const LlmChatMessage conv_su[] = {
	{"system", "You are a helpful assistant"}, {"user", "Hello"},
};
static const LlmChatMessage conv_u[] = {{"user", "Hello"}};
static const LlmChatMessage conv_six[] = {
	{"system", "You are a helpful assistant"}, {"user", "Hello"}, {"assistant", "Hi there"},
	{"user", "Who are you"}, {"assistant", "   I am an assistant   "}, {"user", "Another question"},
};
static const LlmChatMessage conv_think[] = {
	{"user", "Hi"}, {"assistant", "<think>\nhmm\n</think>\n\nHello!"},
};

static const struct
{
	const char *name;
	const LlmChatMessage *msgs;
	int			n;
}			convs[] = {
	{"sua", conv_sua, 3}, {"su", conv_su, 2}, {"u", conv_u, 1}, {"six", conv_six, 6},
	{"think", conv_think, 2},
};

/*
 * Real templates.  The polyfilled cases (a system message for Gemma 1/2,
 * Mistral v0.2 and the first Phi-3-mini template, which have no system
 * role) expect the system text before the first user message and a blank
 * line, as Gemma 3 does.
 */
static const TestTemplate templates[] = {
	{"qwen2", "chatml", "<|endoftext|>", "<|endoftext|>",
		"{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n"
		"You are a helpful assistant<|im_end|>\n"
		"' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n"
		"' + message['content'] + '<|im_end|>' + '\n"
		"'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n"
		"' }}{% endif %}"},
	{"smollm2", "chatml", "<|im_start|>", "<|im_end|>",
		"{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n"
		"You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
		"' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n"
		"' + message['content'] + '<|im_end|>' + '\n"
		"'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n"
		"' }}{% endif %}"},
	{"openhermes", "chatml", "<s>", "<|im_end|>",
		"{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"},
	{"qwen2.5", "chatml", "", "<|im_end|>",
		"        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}\n"
		"        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}\n"
		"        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}\n"
		"        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}\n"
		"    {{- '<|im_start|>assistant\\n' }}\n"},
	{"qwen3", "chatml", "", "<|im_end|>",
		"{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}\n"
		"        {%- set ns.last_query_index = index %}\n"
		"        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}\n"
		"                {%- set reasoning_content = message.content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') %}\n"
		"        {%- if loop.index0 > ns.last_query_index %}\n"
		"                {{- '<|im_start|>' + message.role + '\\n<think>\\n' + reasoning_content.strip('\\n') + '\\n</think>\\n\\n' + content.lstrip('\\n') }}\n"
		"                {{- '<|im_start|>' + message.role + '\\n' + content }}\n"
		"            {{- '<|im_start|>' + message.role + '\\n' + content }}\n"
		"    {{- '<|im_start|>assistant\\n' }}\n"
		"        {{- '<think>\\n\\n</think>\\n\\n' }}\n"},
	{"llama3", "llama3", "<|begin_of_text|>", "<|eot_id|>",
		"{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n"
		"\n"
		"'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n"
		"\n"
		"' }}{% endif %}"},
	{"llama3.1", "llama3.1", "<|begin_of_text|>", "<|eot_id|>",
		"{{- bos_token }}\n"
		"    {%- set date_string = \"26 Jul 2024\" %}\n"
		"{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}\n"
		"{{- \"Cutting Knowledge Date: December 2023\\n\" }}\n"
		"{{- \"Today Date: \" + date_string + \"\\n\\n\" }}\n"
		"        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}\n"
		"            {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}\n"
		"            {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}\n"
		"{%- if add_generation_prompt %}\n"
		"    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}\n"},
	{"llama2", "llama2", "<s>", "</s>",
		"{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}"},
	{"mistral-0.2", "mistral", "<s>", "</s>",
		"{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}"},
	{"mistral-v1", "mistral-v1", "<s>", "</s>",
		"{%- if messages[0]['role'] == 'system' %}\n"
		"    {%- set system_message = messages[0]['content'] %}\n"
		"    {%- set loop_messages = messages[1:] %}\n"
		"{%- else %}\n"
		"    {%- set loop_messages = messages %}\n"
		"{%- endif %}\n"
		"\n"
		"{{- bos_token }}\n"
		"{%- for message in loop_messages %}\n"
		"    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}\n"
		"        {{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}\n"
		"    {%- endif %}\n"
		"    {%- if message['role'] == 'user' %}\n"
		"        {%- if loop.first and system_message is defined %}\n"
		"            {{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}\n"
		"        {%- else %}\n"
		"            {{- ' [INST] ' + message['content'] + ' [/INST]' }}\n"
		"        {%- endif %}\n"
		"    {%- elif message['role'] == 'assistant' %}\n"
		"        {{- ' ' + message['content'] + eos_token}}\n"
		"    {%- else %}\n"
		"        {{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}\n"
		"    {%- endif %}\n"
		"{%- endfor %}\n"},
	{"mistral-v3", "mistral-v3", "<s>", "</s>",
		"{{- bos_token }}\n"
		"            {{- \"[AVAILABLE_TOOLS] [\" }}\n"
		"            {{- \"[INST] \" + system_message + \"\\n\\n\" + message[\"content\"] + \"[/INST]\" }}\n"
		"            {{- \"[INST] \" + message[\"content\"] + \"[/INST]\" }}\n"
		"        {{- \" \" + message[\"content\"]|trim + eos_token}}\n"},
	{"mistral-nemo", "mistral-v3-tekken", "<s>", "</s>",
		"{{- bos_token }}\n"
		"            {{- \"[AVAILABLE_TOOLS][\" }}\n"
		"            {{- \"[INST]\" + system_message + \"\\n\\n\" + message[\"content\"] + \"[/INST]\" }}\n"
		"            {{- \"[INST]\" + message[\"content\"] + \"[/INST]\" }}\n"
		"        {{- message[\"content\"] + eos_token}}\n"},
	{"mistral-v7", "mistral-v7", "<s>", "</s>",
		"{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + '[/INST]' }}{% elif message['role'] == 'system' %}{{ '[SYSTEM_PROMPT] ' + message['content'] + '[/SYSTEM_PROMPT]' }}{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] + eos_token }}{% else %}{{ raise_exception('Only user, system and assistant roles are supported!') }}{% endif %}{% endfor %}"},
	{"zephyr", "zephyr", "<s>", "</s>",
		"{% for message in messages %}\n"
		"{% if message['role'] == 'user' %}\n"
		"{{ '<|user|>\n"
		"' + message['content'] + eos_token }}\n"
		"{% elif message['role'] == 'system' %}\n"
		"{{ '<|system|>\n"
		"' + message['content'] + eos_token }}\n"
		"{% elif message['role'] == 'assistant' %}\n"
		"{{ '<|assistant|>\n"
		"'  + message['content'] + eos_token }}\n"
		"{% endif %}\n"
		"{% if loop.last and add_generation_prompt %}\n"
		"{{ '<|assistant|>' }}\n"
		"{% endif %}\n"
		"{% endfor %}"},
	{"phi3-mini", "phi3-mini", "<s>", "<|endoftext|>",
		"{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') %}{{'<|user|>' + '\n"
		"' + message['content'] + '<|end|>' + '\n"
		"' + '<|assistant|>' + '\n"
		"'}}{% elif (message['role'] == 'assistant') %}{{message['content'] + '<|end|>' + '\n"
		"'}}{% endif %}{% endfor %}"},
	{"phi3-small", "phi3", "<|endoftext|>", "<|endoftext|>",
		"{{ bos_token }}{% for message in messages %}{{'<|' + message['role'] + '|>' + '\n"
		"' + message['content'] + '<|end|>\n"
		"' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n"
		"' }}{% else %}{{ eos_token }}{% endif %}"},
	{"phi3.5", "phi3", "<s>", "<|endoftext|>",
		"{% for message in messages %}{% if message['role'] == 'system' and message['content'] %}{{'<|system|>\n"
		"' + message['content'] + '<|end|>\n"
		"'}}{% elif message['role'] == 'user' %}{{'<|user|>\n"
		"' + message['content'] + '<|end|>\n"
		"'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n"
		"' + message['content'] + '<|end|>\n"
		"'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n"
		"' }}{% else %}{{ eos_token }}{% endif %}"},
	{"gemma-7b", "gemma", "<bos>", "<eos>",
		"{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}"},
	{"gemma-2", "gemma", "<bos>", "<eos>",
		"{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n"
		"' + message['content'] | trim + '<end_of_turn>\n"
		"' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n"
		"'}}{% endif %}"},
	{"gemma-3", "gemma", "<bos>", "<eos>",
		"{{ bos_token }}\n"
		"{%- if messages[0]['role'] == 'system' -%}\n"
		"    {%- if messages[0]['content'] is string -%}\n"
		"        {%- set first_user_prefix = messages[0]['content'] + '\\n\\n' -%}\n"
		"    {%- else -%}\n"
		"        {%- set first_user_prefix = messages[0]['content'][0]['text'] + '\\n\\n' -%}\n"
		"    {%- endif -%}\n"
		"    {%- set loop_messages = messages[1:] -%}\n"
		"{%- else -%}\n"
		"    {%- set first_user_prefix = \"\" -%}\n"
		"    {%- set loop_messages = messages -%}\n"
		"{%- endif -%}\n"
		"{%- for message in loop_messages -%}\n"
		"    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}\n"
		"        {{ raise_exception(\"Conversation roles must alternate user/assistant/user/assistant/...\") }}\n"
		"    {%- endif -%}\n"
		"    {%- if (message['role'] == 'assistant') -%}\n"
		"        {%- set role = \"model\" -%}\n"
		"    {%- else -%}\n"
		"        {%- set role = message['role'] -%}\n"
		"    {%- endif -%}\n"
		"    {{ '<start_of_turn>' + role + '\\n' + (first_user_prefix if loop.first else \"\") }}\n"
		"    {%- if message['content'] is string -%}\n"
		"        {{ message['content'] | trim }}\n"
		"    {%- elif message['content'] is iterable -%}\n"
		"        {%- for item in message['content'] -%}\n"
		"            {%- if item['type'] == 'image' -%}\n"
		"                {{ '<start_of_image>' }}\n"
		"            {%- elif item['type'] == 'text' -%}\n"
		"                {{ item['text'] | trim }}\n"
		"            {%- endif -%}\n"
		"        {%- endfor -%}\n"
		"    {%- else -%}\n"
		"        {{ raise_exception(\"Invalid content type\") }}\n"
		"    {%- endif -%}\n"
		"    {{ '<end_of_turn>\\n' }}\n"
		"{%- endfor -%}\n"
		"{%- if add_generation_prompt -%}\n"
		"    {{'<start_of_turn>model\\n'}}\n"
		"{%- endif -%}\n"},
};

/* Templates that render a conversation alike share an entry. */
static const TestRender renders[] = {
	{"qwen2 smollm2 openhermes qwen2.5", "sua", true,
		"<|im_start|>system\n"
		"You are a helpful assistant<|im_end|>\n"
		"<|im_start|>user\n"
		"Hello<|im_end|>\n"
		"<|im_start|>assistant\n"
		"Hi there<|im_end|>\n"
		"<|im_start|>assistant\n"},
	{"qwen2 smollm2 openhermes qwen2.5 qwen3", "su", true,
		"<|im_start|>system\n"
		"You are a helpful assistant<|im_end|>\n"
		"<|im_start|>user\n"
		"Hello<|im_end|>\n"
		"<|im_start|>assistant\n"},
	{"qwen2", "u", true,
		"<|im_start|>system\n"
		"You are a helpful assistant<|im_end|>\n"
		"<|im_start|>user\n"
		"Hello<|im_end|>\n"
		"<|im_start|>assistant\n"},
	{"smollm2", "u", true,
		"<|im_start|>system\n"
		"You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
		"<|im_start|>user\n"
		"Hello<|im_end|>\n"
		"<|im_start|>assistant\n"},
	{"openhermes qwen3", "u", true,
		"<|im_start|>user\n"
		"Hello<|im_end|>\n"
		"<|im_start|>assistant\n"},
	{"qwen2.5", "u", true,
		"<|im_start|>system\n"
		"You are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
		"<|im_start|>user\n"
		"Hello<|im_end|>\n"
		"<|im_start|>assistant\n"},
	{"qwen3", "sua", true,
		"<|im_start|>system\n"
		"You are a helpful assistant<|im_end|>\n"
		"<|im_start|>user\n"
		"Hello<|im_end|>\n"
		"<|im_start|>assistant\n"
		"<think>\n"
		"\n"
		"</think>\n"
		"\n"
		"Hi there<|im_end|>\n"
		"<|im_start|>assistant\n"},
	{"qwen3", "six", true,
		"<|im_start|>system\n"
		"You are a helpful assistant<|im_end|>\n"
		"<|im_start|>user\n"
		"Hello<|im_end|>\n"
		"<|im_start|>assistant\n"
		"Hi there<|im_end|>\n"
		"<|im_start|>user\n"
		"Who are you<|im_end|>\n"
		"<|im_start|>assistant\n"
		"   I am an assistant   <|im_end|>\n"
		"<|im_start|>user\n"
		"Another question<|im_end|>\n"
		"<|im_start|>assistant\n"},
	{"qwen3", "think", true,
		"<|im_start|>user\n"
		"Hi<|im_end|>\n"
		"<|im_start|>assistant\n"
		"<think>\n"
		"hmm\n"
		"</think>\n"
		"\n"
		"Hello!<|im_end|>\n"
		"<|im_start|>assistant\n"},
	{"llama3", "sua", true,
		"<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
		"\n"
		"You are a helpful assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
		"\n"
		"Hello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
		"\n"
		"Hi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
		"\n"},
	{"llama3", "su", true,
		"<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
		"\n"
		"You are a helpful assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
		"\n"
		"Hello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
		"\n"},
	{"llama3", "u", true,
		"<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n"
		"\n"
		"Hello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
		"\n"},
	{"llama3", "six", true,
		"<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
		"\n"
		"You are a helpful assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
		"\n"
		"Hello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
		"\n"
		"Hi there<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
		"\n"
		"Who are you<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
		"\n"
		"I am an assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
		"\n"
		"Another question<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
		"\n"},
	{"llama3.1", "sua", true,
		"<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
		"\n"
		"Cutting Knowledge Date: December 2023\n"
		"Today Date: 26 Jul 2024\n"
		"\n"
		"You are a helpful assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
		"\n"
		"Hello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
		"\n"
		"Hi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
		"\n"},
	{"llama3.1", "su", true,
		"<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
		"\n"
		"Cutting Knowledge Date: December 2023\n"
		"Today Date: 26 Jul 2024\n"
		"\n"
		"You are a helpful assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
		"\n"
		"Hello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
		"\n"},
	{"llama3.1", "u", true,
		"<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
		"\n"
		"Cutting Knowledge Date: December 2023\n"
		"Today Date: 26 Jul 2024\n"
		"\n"
		"<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
		"\n"
		"Hello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
		"\n"},
	{"llama2", "sua", true,
		"<s>[INST] <<SYS>>\n"
		"You are a helpful assistant\n"
		"<</SYS>>\n"
		"\n"
		"Hello [/INST] Hi there </s>"},
	{"llama2", "su", true,
		"<s>[INST] <<SYS>>\n"
		"You are a helpful assistant\n"
		"<</SYS>>\n"
		"\n"
		"Hello [/INST]"},
	{"llama2", "u", true,
		"<s>[INST] Hello [/INST]"},
	{"llama2", "six", true,
		"<s>[INST] <<SYS>>\n"
		"You are a helpful assistant\n"
		"<</SYS>>\n"
		"\n"
		"Hello [/INST] Hi there </s><s>[INST] Who are you [/INST] I am an assistant </s><s>[INST] Another question [/INST]"},
	{"mistral-0.2", "sua", true,
		"<s>[INST] You are a helpful assistant\n"
		"\n"
		"Hello [/INST]Hi there</s>"},
	{"mistral-0.2", "su", true,
		"<s>[INST] You are a helpful assistant\n"
		"\n"
		"Hello [/INST]"},
	{"mistral-0.2", "u", true,
		"<s>[INST] Hello [/INST]"},
	{"mistral-v1", "sua", true,
		"<s> [INST] You are a helpful assistant\n"
		"\n"
		"Hello [/INST] Hi there</s>"},
	{"mistral-v1", "su", true,
		"<s> [INST] You are a helpful assistant\n"
		"\n"
		"Hello [/INST]"},
	{"mistral-v1", "u", true,
		"<s> [INST] Hello [/INST]"},
	{"mistral-v1", "six", true,
		"<s> [INST] You are a helpful assistant\n"
		"\n"
		"Hello [/INST] Hi there</s> [INST] Who are you [/INST]    I am an assistant   </s> [INST] Another question [/INST]"},
	{"mistral-v3", "sua", true,
		"<s>[INST] Hello[/INST] Hi there</s>"},
	{"mistral-v3", "su", true,
		"<s>[INST] You are a helpful assistant\n"
		"\n"
		"Hello[/INST]"},
	{"mistral-v3", "u", true,
		"<s>[INST] Hello[/INST]"},
	{"mistral-v3", "six", true,
		"<s>[INST] Hello[/INST] Hi there</s>[INST] Who are you[/INST] I am an assistant</s>[INST] You are a helpful assistant\n"
		"\n"
		"Another question[/INST]"},
	{"mistral-nemo", "sua", true,
		"<s>[INST]Hello[/INST]Hi there</s>"},
	{"mistral-nemo", "su", true,
		"<s>[INST]You are a helpful assistant\n"
		"\n"
		"Hello[/INST]"},
	{"mistral-nemo", "u", true,
		"<s>[INST]Hello[/INST]"},
	{"mistral-nemo", "six", true,
		"<s>[INST]Hello[/INST]Hi there</s>[INST]Who are you[/INST]   I am an assistant   </s>[INST]You are a helpful assistant\n"
		"\n"
		"Another question[/INST]"},
	{"mistral-v7", "sua", true,
		"<s>[SYSTEM_PROMPT] You are a helpful assistant[/SYSTEM_PROMPT][INST] Hello[/INST] Hi there</s>"},
	{"mistral-v7", "su", true,
		"<s>[SYSTEM_PROMPT] You are a helpful assistant[/SYSTEM_PROMPT][INST] Hello[/INST]"},
	{"mistral-v7", "u", true,
		"<s>[INST] Hello[/INST]"},
	{"mistral-v7", "six", true,
		"<s>[SYSTEM_PROMPT] You are a helpful assistant[/SYSTEM_PROMPT][INST] Hello[/INST] Hi there</s>[INST] Who are you[/INST]    I am an assistant   </s>[INST] Another question[/INST]"},
	{"zephyr", "sua", true,
		"<|system|>\n"
		"You are a helpful assistant</s>\n"
		"<|user|>\n"
		"Hello</s>\n"
		"<|assistant|>\n"
		"Hi there</s>\n"
		"<|assistant|>\n"},
	{"zephyr", "su", true,
		"<|system|>\n"
		"You are a helpful assistant</s>\n"
		"<|user|>\n"
		"Hello</s>\n"
		"<|assistant|>\n"},
	{"zephyr", "u", true,
		"<|user|>\n"
		"Hello</s>\n"
		"<|assistant|>\n"},
	{"zephyr", "six", true,
		"<|system|>\n"
		"You are a helpful assistant</s>\n"
		"<|user|>\n"
		"Hello</s>\n"
		"<|assistant|>\n"
		"Hi there</s>\n"
		"<|user|>\n"
		"Who are you</s>\n"
		"<|assistant|>\n"
		"   I am an assistant   </s>\n"
		"<|user|>\n"
		"Another question</s>\n"
		"<|assistant|>\n"},
	{"phi3-mini", "sua", true,
		"<s><|user|>\n"
		"You are a helpful assistant\n"
		"\n"
		"Hello<|end|>\n"
		"<|assistant|>\n"
		"Hi there<|end|>\n"},
	{"phi3-mini", "su", true,
		"<s><|user|>\n"
		"You are a helpful assistant\n"
		"\n"
		"Hello<|end|>\n"
		"<|assistant|>\n"},
	{"phi3-mini", "u", true,
		"<s><|user|>\n"
		"Hello<|end|>\n"
		"<|assistant|>\n"},
	{"phi3-mini", "six", true,
		"<s><|user|>\n"
		"You are a helpful assistant\n"
		"\n"
		"Hello<|end|>\n"
		"<|assistant|>\n"
		"Hi there<|end|>\n"
		"<|user|>\n"
		"Who are you<|end|>\n"
		"<|assistant|>\n"
		"   I am an assistant   <|end|>\n"
		"<|user|>\n"
		"Another question<|end|>\n"
		"<|assistant|>\n"},
	{"phi3-small", "sua", true,
		"<|endoftext|><|system|>\n"
		"You are a helpful assistant<|end|>\n"
		"<|user|>\n"
		"Hello<|end|>\n"
		"<|assistant|>\n"
		"Hi there<|end|>\n"
		"<|assistant|>\n"},
	{"phi3-small", "su", true,
		"<|endoftext|><|system|>\n"
		"You are a helpful assistant<|end|>\n"
		"<|user|>\n"
		"Hello<|end|>\n"
		"<|assistant|>\n"},
	{"phi3-small", "u", true,
		"<|endoftext|><|user|>\n"
		"Hello<|end|>\n"
		"<|assistant|>\n"},
	{"phi3.5", "sua", true,
		"<|system|>\n"
		"You are a helpful assistant<|end|>\n"
		"<|user|>\n"
		"Hello<|end|>\n"
		"<|assistant|>\n"
		"Hi there<|end|>\n"
		"<|assistant|>\n"},
	{"phi3.5", "su", true,
		"<|system|>\n"
		"You are a helpful assistant<|end|>\n"
		"<|user|>\n"
		"Hello<|end|>\n"
		"<|assistant|>\n"},
	{"phi3.5", "u", true,
		"<|user|>\n"
		"Hello<|end|>\n"
		"<|assistant|>\n"},
	{"gemma-7b", "sua", true,
		"<start_of_turn>user\n"
		"You are a helpful assistant\n"
		"\n"
		"Hello<end_of_turn>\n"
		"<start_of_turn>model\n"
		"Hi there<end_of_turn>\n"
		"<start_of_turn>model\n"},
	{"gemma-7b", "su", true,
		"<start_of_turn>user\n"
		"You are a helpful assistant\n"
		"\n"
		"Hello<end_of_turn>\n"
		"<start_of_turn>model\n"},
	{"gemma-7b", "u", true,
		"<start_of_turn>user\n"
		"Hello<end_of_turn>\n"
		"<start_of_turn>model\n"},
	{"gemma-2 gemma-3", "sua", true,
		"<bos><start_of_turn>user\n"
		"You are a helpful assistant\n"
		"\n"
		"Hello<end_of_turn>\n"
		"<start_of_turn>model\n"
		"Hi there<end_of_turn>\n"
		"<start_of_turn>model\n"},
	{"gemma-2 gemma-3", "su", true,
		"<bos><start_of_turn>user\n"
		"You are a helpful assistant\n"
		"\n"
		"Hello<end_of_turn>\n"
		"<start_of_turn>model\n"},
	{"gemma-2 gemma-3", "u", true,
		"<bos><start_of_turn>user\n"
		"Hello<end_of_turn>\n"
		"<start_of_turn>model\n"},
	{"gemma-3", "six", true,
		"<bos><start_of_turn>user\n"
		"You are a helpful assistant\n"
		"\n"
		"Hello<end_of_turn>\n"
		"<start_of_turn>model\n"
		"Hi there<end_of_turn>\n"
		"<start_of_turn>user\n"
		"Who are you<end_of_turn>\n"
		"<start_of_turn>model\n"
		"I am an assistant<end_of_turn>\n"
		"<start_of_turn>user\n"
		"Another question<end_of_turn>\n"
		"<start_of_turn>model\n"},
};

static const TestTemplate *
Template(const char *name)
{
	for (size_t i = 0; i < sizeof(templates) / sizeof(templates[0]); i++)
		if (strcmp(templates[i].name, name) == 0)
			return &templates[i];
	return NULL;
}

static void
CheckRender(const TestRender *r, const char *name)
{
	const TestTemplate *t = Template(name);
	LlmChatOptions opts = {t->bos, t->eos, "26 Jul 2024"};
	LlmChatResult res;
	LlmError	err;
	size_t		c = 0;
	bool		ok;

	while (strcmp(convs[c].name, r->conv) != 0)
		c++;
	ok = LlmChatRender(t->text, &opts, convs[c].msgs, convs[c].n, r->gen, &res, &err) == LLM_OK;
	CHECK(ok && strcmp(res.text, r->expected) == 0,
		  "%s renders conversation %s as its template does:\n%s", name, r->conv,
		  ok ? res.text : err.message);
	if (!ok)
		return;
	CHECK(strcmp(res.family_name, t->family) == 0 && !res.fallback && !res.unknown,
		  "%s is detected as %s (got %s)", name, t->family, res.family_name);
	CHECK(res.bos_in_text == (*t->bos && strncmp(r->expected, t->bos, strlen(t->bos)) == 0),
		  "%s: bos_in_text", name);
	LlmChatResultFree(&res);
}

static void
TestRenders(void)
{
	for (size_t i = 0; i < sizeof(renders) / sizeof(renders[0]); i++)
	{
		const char *p = renders[i].tmpls;

		while (*p != '\0')
		{
			size_t		len = strcspn(p, " ");
			char		name[32];

			snprintf(name, sizeof(name), "%.*s", (int) len, p);
			CheckRender(&renders[i], name);
			p += len + (p[len] == ' ');
		}
	}
}

static void
TestDetection(void)
{
	static const struct
	{
		const char *text;
		const char *family;
	}			named[] = {
		{"chatml", "chatml"}, {"llama3", "llama3"}, {"llama3.1", "llama3.1"}, {"llama2", "llama2"},
		{"llama2-sys-strip", "llama2"}, {"mistral-v7", "mistral-v7"}, {"zephyr", "zephyr"},
		{"phi3", "phi3"}, {"gemma", "gemma"},
		/* family markers alone, as llama.cpp's detection goes */
		{"<start_of_turn>", "gemma"}, {"[INST] <<SYS>>", "llama2"}, {"{% raw %}[INST]{% endraw %}", "mistral"},
	};
	LlmChatFamily f;

	for (size_t i = 0; i < sizeof(templates) / sizeof(templates[0]); i++)
		CHECK(LlmChatDetect(templates[i].text, &f) && strcmp(LlmChatFamilyName(f), templates[i].family) == 0,
			  "the %s template is %s", templates[i].name, templates[i].family);
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		CHECK(LlmChatDetect(named[i].text, &f) && strcmp(LlmChatFamilyName(f), named[i].family) == 0,
			  "\"%s\" is %s", named[i].text, named[i].family);
	CHECK(!LlmChatDetect(NULL, &f) && !LlmChatDetect("{{ messages }}", &f) &&
		  !LlmChatDetect("<|im_start|><|im_sep|>", &f), "unknown templates are not detected");
	/* Falcon 3 writes <|user|> but ends turns with a newline, not the end token */
	CHECK(!LlmChatDetect("{{ '<|user|>\\n' + message['content'] + '\\n' }}"
						 "{{ '<|assistant|>\\n' + message['content'] + eos_token }}", &f),
		  "a Falcon 3 template is not taken for Zephyr");
}

static void
TestFallback(void)
{
	LlmChatOptions opts = {"<s>", "</s>", NULL};
	LlmChatResult r;
	LlmError	err;

	CHECK(LlmChatRender(NULL, &opts, conv_su, 2, true, &r, &err) == LLM_OK &&
		  strcmp(r.text, "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n"
				 "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n") == 0 &&
		  r.family == LLM_CHAT_CHATML && r.fallback && !r.unknown && !r.bos_in_text,
		  "no template: ChatML fallback");
	LlmChatResultFree(&r);
	CHECK(LlmChatRender("{{ messages | tojson }}", &opts, conv_u, 1, false, &r, &err) == LLM_OK &&
		  strcmp(r.text, "<|im_start|>user\nHello<|im_end|>\n") == 0 && r.fallback && r.unknown,
		  "an unknown template is reported and ChatML used");
	LlmChatResultFree(&r);
	CHECK(LlmChatRender("llama3", NULL, conv_u, 1, true, &r, &err) == LLM_OK &&
		  strcmp(r.text, "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>"
				 "<|start_header_id|>assistant<|end_header_id|>\n\n") == 0 && !r.bos_in_text,
		  "without token texts the template writes no BOS: %s", r.text);
	LlmChatResultFree(&r);
	CHECK(LlmChatRender("chatml", &opts, NULL, 0, true, &r, &err) == LLM_OK &&
		  strcmp(r.text, "<|im_start|>assistant\n") == 0, "no messages: the generation prompt alone");
	LlmChatResultFree(&r);
}

static void
TestErrors(void)
{
	static const LlmChatMessage uu[] = {{"user", "a"}, {"user", "b"}};
	static const LlmChatMessage a[] = {{"assistant", "a"}};
	static const LlmChatMessage tool[] = {{"user", "a"}, {"tool", "b"}};
	static const LlmChatMessage norole[] = {{NULL, "a"}};
	LlmChatResult r;
	LlmError	err;

	CHECK(LlmChatRender(Template("gemma-3")->text, NULL, uu, 2, true, &r, &err) == LLM_ERR_ARGUMENT &&
		  strstr(err.message, "alternate") != NULL, "gemma: roles must alternate: %s", err.message);
	CHECK(LlmChatRender(Template("llama2")->text, NULL, a, 1, true, &r, &err) == LLM_ERR_ARGUMENT,
		  "llama2: a conversation starting with the assistant is rejected");
	CHECK(LlmChatRender(Template("mistral-0.2")->text, NULL, tool, 2, true, &r, &err) == LLM_ERR_ARGUMENT &&
		  strstr(err.message, "Only user and assistant") != NULL, "mistral: unknown role: %s", err.message);
	CHECK(LlmChatRender("chatml", NULL, norole, 1, true, &r, &err) == LLM_ERR_ARGUMENT,
		  "a message without a role is an error");
	CHECK(LlmChatRender(Template("llama3")->text, NULL, uu, 2, true, &r, &err) == LLM_OK,
		  "llama3 does not require alternation");
	LlmChatResultFree(&r);
}

static void
TestSystemMerged(void)
{
	LlmChatResult r;
	LlmError	err;

	CHECK(LlmChatRender(Template("gemma-2")->text, NULL, conv_su, 2, true, &r, &err) == LLM_OK &&
		  r.system_merged, "gemma 2 has no system role: merged");
	LlmChatResultFree(&r);
	CHECK(LlmChatRender(Template("llama2")->text, NULL, conv_su, 2, true, &r, &err) == LLM_OK &&
		  !r.system_merged, "llama2 has a system role");
	LlmChatResultFree(&r);
}

/* Llama 3.2 puts today's date in unless the caller gives one. */
static void
TestDates(void)
{
	static const char llama32[] =
		"{{- bos_token }}\n"
		"    {%- if strftime_now is defined %}\n"
		"        {%- set date_string = strftime_now(\"%d %b %Y\") %}\n"
		"{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}\n"
		"{{- \"Cutting Knowledge Date: December 2023\\n\" }}\n"
		"{{- \"Today Date: \" + date_string + \"\\n\\n\" }}\n";
	LlmChatOptions opts = {"<|begin_of_text|>", "<|eot_id|>", NULL};
	LlmChatResult r;
	LlmError	err;
	const char *d;

	CHECK(LlmChatRender(llama32, &opts, conv_u, 1, true, &r, &err) == LLM_OK &&
		  r.family == LLM_CHAT_LLAMA31 && (d = strstr(r.text, "Today Date: ")) != NULL &&
		  d[12] >= '0' && d[12] <= '3' && d[14] == ' ' && d[18] == ' ' && d[23] == '\n',
		  "llama 3.2: today's date: %s", r.text);
	LlmChatResultFree(&r);
	opts.date = "01 Jan 2030";
	CHECK(LlmChatRender(llama32, &opts, conv_u, 1, true, &r, &err) == LLM_OK &&
		  strstr(r.text, "Today Date: 01 Jan 2030\n\n<|eot_id|>") != NULL, "llama 3.2: a given date");
	LlmChatResultFree(&r);
}

/* The templates inside real GGUF files, tokenized as a caller would. */
static void
TestModelTemplates(void)
{
	static const struct
	{
		const char *file;
		const char *tmpl;
		int32_t		first[3];
		int			n_bos;
	}			files[] = {
		{"../shared/vocab/ggml-vocab-qwen2.gguf", "qwen2", {151644, 8948, 198}, 0},
		{"../shared/vocab/ggml-vocab-phi-3.gguf", "phi3-mini", {1, 32010, 1522}, 1},
	};
	static const LlmChatMessage msgs[] = {{"system", "Be brief."}, {"user", "Hi"}};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
	{
		GgufFile   *g;
		LlmVocab   *v;
		LlmChatResult r;
		LlmError	err;
		int32_t    *ids;
		int			n;
		int			bos = 0;

		if (GgufOpen(files[i].file, &g, &err) != LLM_OK || LlmVocabLoad(g, &v, &err) != LLM_OK)
		{
			CHECK(false, "load %s: %s", files[i].file, err.message);
			continue;
		}
		CHECK(LlmChatRenderModel(g, v, msgs, 2, true, &r, &err) == LLM_OK &&
			  strcmp(r.family_name, Template(files[i].tmpl)->family) == 0 && !r.fallback,
			  "%s: its template is %s", files[i].file, Template(files[i].tmpl)->family);
		CHECK(LlmTokenize(v, r.text, r.len, !r.bos_in_text, true, &ids, &n, &err) == LLM_OK &&
			  n > 3 && memcmp(ids, files[i].first, sizeof(files[i].first)) == 0,
			  "%s: the prompt starts with the expected tokens", files[i].file);
		for (int k = 0; k < n; k++)
			bos += ids[k] == v->bos_id && v->add_bos;
		CHECK(bos == files[i].n_bos, "%s: %d BOS in the prompt", files[i].file, bos);
		free(ids);
		LlmChatResultFree(&r);
		LlmVocabFree(v);
		GgufClose(g);
	}
}

int
main(void)
{
	TestRenders();
	TestDetection();
	TestFallback();
	TestErrors();
	TestSystemMerged();
	TestDates();
	TestModelTemplates();
	return UnitSummary("chat");
}
