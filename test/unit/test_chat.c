/*-------------------------------------------------------------------------
 *
 * test_chat.c
 *	  Unit tests of the chat templates: every family renders conversations
 *	  exactly as its real Jinja template does (the expected strings were
 *	  rendered from the real templates with Hugging Face's Jinja settings),
 *	  or, for Gemma and Phi-4, exactly as llama.cpp's llama_chat_apply_
 *	  template does (its tests/test-chat-template.cpp strings, and its
 *	  src/llama-chat.cpp rules for the other cases); families are
 *	  recognised from real template texts (the short ones whole, the long
 *	  ones by their deciding lines); Qwen 3's thinking switch; removing
 *	  <think> blocks from answers, whole and as generated; the end-of-
 *	  generation tokens of each family; fallback, errors and the models' own
 *	  templates.  Run from the repository root.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chat.h"
#include "context.h"
#include "generate.h"
#include "think.h"
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

/* where llama.cpp's Gemma and Phi-4 rules depart from the templates */
static const LlmChatMessage conv_ws[] = {
	{"system", "  \n S \t"}, {"user", " \tU\xc2\xa0\n"}, {"assistant", "\n A \n"},
};
static const LlmChatMessage conv_late[] = {
	{"user", "Hi"}, {"assistant", "Yo"}, {"system", "Be brief."}, {"user", "Again"},
};
static const LlmChatMessage conv_twosys[] = {{"system", " A "}, {"system", "B"}, {"user", "U"}};
static const LlmChatMessage conv_modelfirst[] = {{"system", "S"}, {"assistant", "A"}, {"user", "U"}};
static const LlmChatMessage conv_uu[] = {{"user", "a"}, {"user", "b"}};
static const LlmChatMessage conv_emptysys[] = {{"system", "   "}, {"user", "U"}};
static const LlmChatMessage conv_sysonly[] = {{"system", "S"}};
static const LlmChatMessage conv_tool[] = {{"system", " S "}, {"user", "U"}, {"tool", "T"}};

static const struct
{
	const char *name;
	const LlmChatMessage *msgs;
	int			n;
}			convs[] = {
	{"sua", conv_sua, 3}, {"su", conv_su, 2}, {"u", conv_u, 1}, {"six", conv_six, 6},
	{"think", conv_think, 2}, {"ws", conv_ws, 3}, {"late", conv_late, 4},
	{"twosys", conv_twosys, 3}, {"modelfirst", conv_modelfirst, 3}, {"uu", conv_uu, 2},
	{"emptysys", conv_emptysys, 2}, {"sysonly", conv_sysonly, 1}, {"tool", conv_tool, 3},
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
	/* Qwen/Qwen3-0.6B's tokenizer_config.json (llama.cpp's models/templates/Qwen-Qwen3-0.6B.jinja) */
	{"qwen3", "qwen3", "", "<|im_end|>",
		"{%- if tools %}\n"
		"    {{- '<|im_start|>system\\n' }}\n"
		"    {%- if messages[0].role == 'system' %}\n"
		"        {{- messages[0].content + '\\n\\n' }}\n"
		"    {%- endif %}\n"
		"    {{- \"# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>\" }}\n"
		"    {%- for tool in tools %}\n"
		"        {{- \"\\n\" }}\n"
		"        {{- tool | tojson }}\n"
		"    {%- endfor %}\n"
		"    {{- \"\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\\"name\\\": <function-name>, \\\"arguments\\\": <args-json-object>}\\n</tool_call><|im_end|>\\n\" }}\n"
		"{%- else %}\n"
		"    {%- if messages[0].role == 'system' %}\n"
		"        {{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}\n"
		"    {%- endif %}\n"
		"{%- endif %}\n"
		"{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}\n"
		"{%- for message in messages[::-1] %}\n"
		"    {%- set index = (messages|length - 1) - loop.index0 %}\n"
		"    {%- if ns.multi_step_tool and message.role == \"user\" and not(message.content.startswith('<tool_response>') and message.content.endswith('</tool_response>')) %}\n"
		"        {%- set ns.multi_step_tool = false %}\n"
		"        {%- set ns.last_query_index = index %}\n"
		"    {%- endif %}\n"
		"{%- endfor %}\n"
		"{%- for message in messages %}\n"
		"    {%- if (message.role == \"user\") or (message.role == \"system\" and not loop.first) %}\n"
		"        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}\n"
		"    {%- elif message.role == \"assistant\" %}\n"
		"        {%- set content = message.content %}\n"
		"        {%- set reasoning_content = '' %}\n"
		"        {%- if message.reasoning_content is defined and message.reasoning_content is not none %}\n"
		"            {%- set reasoning_content = message.reasoning_content %}\n"
		"        {%- else %}\n"
		"            {%- if '</think>' in message.content %}\n"
		"                {%- set content = message.content.split('</think>')[-1].lstrip('\\n') %}\n"
		"                {%- set reasoning_content = message.content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') %}\n"
		"            {%- endif %}\n"
		"        {%- endif %}\n"
		"        {%- if loop.index0 > ns.last_query_index %}\n"
		"            {%- if loop.last or (not loop.last and reasoning_content) %}\n"
		"                {{- '<|im_start|>' + message.role + '\\n<think>\\n' + reasoning_content.strip('\\n') + '\\n</think>\\n\\n' + content.lstrip('\\n') }}\n"
		"            {%- else %}\n"
		"                {{- '<|im_start|>' + message.role + '\\n' + content }}\n"
		"            {%- endif %}\n"
		"        {%- else %}\n"
		"            {{- '<|im_start|>' + message.role + '\\n' + content }}\n"
		"        {%- endif %}\n"
		"        {%- if message.tool_calls %}\n"
		"            {%- for tool_call in message.tool_calls %}\n"
		"                {%- if (loop.first and content) or (not loop.first) %}\n"
		"                    {{- '\\n' }}\n"
		"                {%- endif %}\n"
		"                {%- if tool_call.function %}\n"
		"                    {%- set tool_call = tool_call.function %}\n"
		"                {%- endif %}\n"
		"                {{- '<tool_call>\\n{\"name\": \"' }}\n"
		"                {{- tool_call.name }}\n"
		"                {{- '\", \"arguments\": ' }}\n"
		"                {%- if tool_call.arguments is string %}\n"
		"                    {{- tool_call.arguments }}\n"
		"                {%- else %}\n"
		"                    {{- tool_call.arguments | tojson }}\n"
		"                {%- endif %}\n"
		"                {{- '}\\n</tool_call>' }}\n"
		"            {%- endfor %}\n"
		"        {%- endif %}\n"
		"        {{- '<|im_end|>\\n' }}\n"
		"    {%- elif message.role == \"tool\" %}\n"
		"        {%- if loop.first or (messages[loop.index0 - 1].role != \"tool\") %}\n"
		"            {{- '<|im_start|>user' }}\n"
		"        {%- endif %}\n"
		"        {{- '\\n<tool_response>\\n' }}\n"
		"        {{- message.content }}\n"
		"        {{- '\\n</tool_response>' }}\n"
		"        {%- if loop.last or (messages[loop.index0 + 1].role != \"tool\") %}\n"
		"            {{- '<|im_end|>\\n' }}\n"
		"        {%- endif %}\n"
		"    {%- endif %}\n"
		"{%- endfor %}\n"
		"{%- if add_generation_prompt %}\n"
		"    {{- '<|im_start|>assistant\\n' }}\n"
		"    {%- if enable_thinking is defined and enable_thinking is false %}\n"
		"        {{- '<think>\\n\\n</think>\\n\\n' }}\n"
		"    {%- endif %}\n"
		"{%- endif %}"},
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
	/* microsoft/Phi-3.5-mini-instruct (llama.cpp's models/templates/microsoft-Phi-3.5-mini-instruct.jinja) */
	{"phi3.5", "phi3", "<s>", "<|endoftext|>",
		"{% for message in messages %}{% if message['role'] == 'system' and message['content'] %}{{'<|system|>\n"
		"' + message['content'] + '<|end|>\n"
		"'}}{% elif message['role'] == 'user' %}{{'<|user|>\n"
		"' + message['content'] + '<|end|>\n"
		"'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n"
		"' + message['content'] + '<|end|>\n"
		"'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n"
		"' }}{% else %}{{ eos_token }}{% endif %}"},
	/* microsoft/phi-4's tokenizer_config.json (the phi-4 case of llama.cpp's test-chat-template.cpp) */
	{"phi4", "phi4", "<|endoftext|>", "<|im_end|>",
		"{% for message in messages %}{% if (message['role'] == 'system') %}{{'<|im_start|>system<|im_sep|>' + message['content'] + '<|im_end|>'}}{% elif (message['role'] == 'user') %}{{'<|im_start|>user<|im_sep|>' + message['content'] + '<|im_end|><|im_start|>assistant<|im_sep|>'}}{% elif (message['role'] == 'assistant') %}{{message['content'] + '<|im_end|>'}}{% endif %}{% endfor %}"},

	/*
	 * microsoft/Phi-4-mini-instruct's tokenizer_config.json: no newlines,
	 * but llama.cpp takes it for Phi-3 (<|assistant|> and <|end|>) and
	 * renders it with them, and so does llm.
	 */
	{"phi4-mini", "phi3", "<|endoftext|>", "<|endoftext|>",
		"{% for message in messages %}{% if message['role'] == 'system' and 'tools' in message and message['tools'] is not none %}{{ '<|' + message['role'] + '|>' + message['content'] + '<|tool|>' + message['tools'] + '<|/tool|>' + '<|end|>' }}{% else %}{{ '<|' + message['role'] + '|>' + message['content'] + '<|end|>' }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>' }}{% else %}{{ eos_token }}{% endif %}"},

	/*
	 * Qwen/Qwen3-4B-Thinking-2507's tokenizer_config.json, its deciding
	 * lines: Qwen 3's reasoning handling, and a generation prompt that
	 * always opens the <think> block (no enable_thinking).
	 */
	{"qwen3-thinking-2507", "qwen3", "", "<|im_end|>",
		"{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}\n"
		"        {%- set ns.last_query_index = index %}\n"
		"        {{- '<|im_start|>' + message.role + '\\n' + content + '<|im_end|>' + '\\n' }}\n"
		"                {%- set reasoning_content = content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') %}\n"
		"        {%- if loop.index0 > ns.last_query_index %}\n"
		"                {{- '<|im_start|>' + message.role + '\\n<think>\\n' + reasoning_content.strip('\\n') + '\\n</think>\\n\\n' + content.lstrip('\\n') }}\n"
		"                {{- '<|im_start|>' + message.role + '\\n' + content }}\n"
		"            {{- '<|im_start|>' + message.role + '\\n' + content }}\n"
		"{%- if add_generation_prompt %}\n"
		"    {{- '<|im_start|>assistant\\n<think>\\n' }}\n"
		"{%- endif %}"},
	{"gemma-7b", "gemma", "<bos>", "<eos>",
		"{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}"},
	{"gemma-2", "gemma", "<bos>", "<eos>",
		"{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n"
		"' + message['content'] | trim + '<end_of_turn>\n"
		"' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n"
		"'}}{% endif %}"},
	/* google/gemma-3-4b-it's tokenizer_config.json */
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
	{"qwen2 smollm2 openhermes qwen2.5", "su", true,
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
	{"openhermes", "u", true,
		"<|im_start|>user\n"
		"Hello<|im_end|>\n"
		"<|im_start|>assistant\n"},
	{"qwen2.5", "u", true,
		"<|im_start|>system\n"
		"You are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
		"<|im_start|>user\n"
		"Hello<|im_end|>\n"
		"<|im_start|>assistant\n"},
	/* Qwen 3 with thinking off (enable_thinking = false), llm's default */
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
		"<|im_start|>assistant\n"
		"<think>\n"
		"\n"
		"</think>\n"
		"\n"},
	{"qwen3", "su", true,
		"<|im_start|>system\n"
		"You are a helpful assistant<|im_end|>\n"
		"<|im_start|>user\n"
		"Hello<|im_end|>\n"
		"<|im_start|>assistant\n"
		"<think>\n"
		"\n"
		"</think>\n"
		"\n"},
	{"qwen3", "u", true,
		"<|im_start|>user\n"
		"Hello<|im_end|>\n"
		"<|im_start|>assistant\n"
		"<think>\n"
		"\n"
		"</think>\n"
		"\n"},
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
		"<|im_start|>assistant\n"
		"<think>\n"
		"\n"
		"</think>\n"
		"\n"},
	{"qwen3", "think", true,
		"<|im_start|>user\n"
		"Hi<|im_end|>\n"
		"<|im_start|>assistant\n"
		"<think>\n"
		"hmm\n"
		"</think>\n"
		"\n"
		"Hello!<|im_end|>\n"
		"<|im_start|>assistant\n"
		"<think>\n"
		"\n"
		"</think>\n"
		"\n"},
	{"qwen3", "think", false,
		"<|im_start|>user\n"
		"Hi<|im_end|>\n"
		"<|im_start|>assistant\n"
		"<think>\n"
		"hmm\n"
		"</think>\n"
		"\n"
		"Hello!<|im_end|>\n"},
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

/*
 * What llama.cpp's llama_chat_apply_template renders (no BOS text: the
 * tokenizer adds it there; here a template's bos_token is written in the
 * text with bos_in_text set, so these run with no BOS text).  "six" is the
 * conversation of llama.cpp's tests/test-chat-template.cpp and its
 * expected strings are copied from there; the others follow the rules of
 * its src/llama-chat.cpp.
 */
typedef struct LlamaCppCase
{
	const char *tmpls;
	const char *conv;
	bool		gen;
	bool		thinking;
	const char *expected;
} LlamaCppCase;

static const LlamaCppCase llamacpp[] = {
	/* test-chat-template.cpp's "teknium/OpenHermes-2.5-Mistral-7B" (ChatML) */
	{"openhermes qwen3 qwen3-name", "six", true, true,
		"<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n<|im_start|>assistant\n   I am an assistant   <|im_end|>\n<|im_start|>user\nAnother question<|im_end|>\n<|im_start|>assistant\n"},
	/* the same with Qwen 3's enable_thinking = false block */
	{"qwen3 qwen3-name", "six", true, false,
		"<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n<|im_start|>assistant\n   I am an assistant   <|im_end|>\n<|im_start|>user\nAnother question<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"},
	/* no generation prompt: no block either way */
	{"qwen3 qwen3-name", "six", false, false,
		"<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n<|im_start|>assistant\n   I am an assistant   <|im_end|>\n<|im_start|>user\nAnother question<|im_end|>\n"},
	/* "google/gemma-7b-it" */
	{"gemma-7b gemma-2 gemma-3 gemma-name", "six", true, false,
		"<start_of_turn>user\nYou are a helpful assistant\n\nHello<end_of_turn>\n<start_of_turn>model\nHi there<end_of_turn>\n<start_of_turn>user\nWho are you<end_of_turn>\n<start_of_turn>model\nI am an assistant<end_of_turn>\n<start_of_turn>user\nAnother question<end_of_turn>\n<start_of_turn>model\n"},
	{"gemma-3", "six", false, false,
		"<start_of_turn>user\nYou are a helpful assistant\n\nHello<end_of_turn>\n<start_of_turn>model\nHi there<end_of_turn>\n<start_of_turn>user\nWho are you<end_of_turn>\n<start_of_turn>model\nI am an assistant<end_of_turn>\n<start_of_turn>user\nAnother question<end_of_turn>\n"},
	/* system text trimmed (ASCII whitespace only: U+00A0 stays) */
	{"gemma-3 gemma-7b", "ws", true, false,
		"<start_of_turn>user\nS\n\nU\xc2\xa0<end_of_turn>\n<start_of_turn>model\nA<end_of_turn>\n<start_of_turn>model\n"},
	/* a later system message goes in front of the next user turn */
	{"gemma-3", "late", true, false,
		"<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nYo<end_of_turn>\n<start_of_turn>user\nBe brief.\n\nAgain<end_of_turn>\n<start_of_turn>model\n"},
	/* system messages are joined without a separator */
	{"gemma-3", "twosys", true, false,
		"<start_of_turn>user\nAB\n\nU<end_of_turn>\n<start_of_turn>model\n"},
	/* the system text waits for a turn that is not the model's */
	{"gemma-3", "modelfirst", true, false,
		"<start_of_turn>model\nA<end_of_turn>\n<start_of_turn>user\nS\n\nU<end_of_turn>\n<start_of_turn>model\n"},
	/* roles need not alternate */
	{"gemma-3 gemma-2", "uu", true, false,
		"<start_of_turn>user\na<end_of_turn>\n<start_of_turn>user\nb<end_of_turn>\n<start_of_turn>model\n"},
	{"gemma-3", "emptysys", true, false,
		"<start_of_turn>user\nU<end_of_turn>\n<start_of_turn>model\n"},
	{"gemma-3", "sysonly", true, false,
		"<start_of_turn>model\n"},
	/* "phi-4" */
	{"phi4 phi4-name", "six", true, false,
		"<|im_start|>system<|im_sep|>You are a helpful assistant<|im_end|><|im_start|>user<|im_sep|>Hello<|im_end|><|im_start|>assistant<|im_sep|>Hi there<|im_end|><|im_start|>user<|im_sep|>Who are you<|im_end|><|im_start|>assistant<|im_sep|>   I am an assistant   <|im_end|><|im_start|>user<|im_sep|>Another question<|im_end|><|im_start|>assistant<|im_sep|>"},
	{"phi4", "six", false, false,
		"<|im_start|>system<|im_sep|>You are a helpful assistant<|im_end|><|im_start|>user<|im_sep|>Hello<|im_end|><|im_start|>assistant<|im_sep|>Hi there<|im_end|><|im_start|>user<|im_sep|>Who are you<|im_end|><|im_start|>assistant<|im_sep|>   I am an assistant   <|im_end|><|im_start|>user<|im_sep|>Another question<|im_end|>"},
	/* every role alike, nothing trimmed */
	{"phi4", "tool", true, false,
		"<|im_start|>system<|im_sep|> S <|im_end|><|im_start|>user<|im_sep|>U<|im_end|><|im_start|>tool<|im_sep|>T<|im_end|><|im_start|>assistant<|im_sep|>"},
	/* "Phi-3-small"; Phi-3.5 and Phi-4-mini are the same family */
	{"phi3-small phi3.5 phi4-mini", "six", true, false,
		"<|system|>\nYou are a helpful assistant<|end|>\n<|user|>\nHello<|end|>\n<|assistant|>\nHi there<|end|>\n<|user|>\nWho are you<|end|>\n<|assistant|>\n   I am an assistant   <|end|>\n<|user|>\nAnother question<|end|>\n<|assistant|>\n"},
};

static const TestTemplate *
Template(const char *name)
{
	for (size_t i = 0; i < sizeof(templates) / sizeof(templates[0]); i++)
		if (strcmp(templates[i].name, name) == 0)
			return &templates[i];
	return NULL;
}

/* The messages of a conversation of convs[] by name. */
static const LlmChatMessage *
Conversation(const char *name, int *n)
{
	size_t		c = 0;

	while (strcmp(convs[c].name, name) != 0)
		c++;
	*n = convs[c].n;
	return convs[c].msgs;
}

/* The next name of a space-separated list into name; false at its end. */
static bool
NextName(const char **p, char *name, size_t size)
{
	size_t		len = strcspn(*p, " ");

	if (**p == '\0')
		return false;
	snprintf(name, size, "%.*s", (int) len, *p);
	*p += len + ((*p)[len] == ' ');
	return true;
}

static void
CheckRender(const TestRender *r, const char *name)
{
	const TestTemplate *t = Template(name);
	LlmChatOptions opts = {t->bos, t->eos, "26 Jul 2024", false};
	LlmChatResult res;
	LlmError	err;
	const LlmChatMessage *msgs;
	int			n;
	bool		ok;

	msgs = Conversation(r->conv, &n);
	ok = LlmChatRender(t->text, &opts, msgs, n, r->gen, &res, &err) == LLM_OK;
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
		char		name[32];

		while (NextName(&p, name, sizeof(name)))
			CheckRender(&renders[i], name);
	}
}

/* llama.cpp's strings: the real templates, or "<family>-name" for the family by name */
static void
TestLlamaCpp(void)
{
	for (size_t i = 0; i < sizeof(llamacpp) / sizeof(llamacpp[0]); i++)
	{
		const LlamaCppCase *v = &llamacpp[i];
		const char *p = v->tmpls;
		char		name[32];

		while (NextName(&p, name, sizeof(name)))
		{
			char	   *dash = strstr(name, "-name");
			const char *text;
			LlmChatOptions opts = {NULL, NULL, NULL, v->thinking};
			LlmChatResult res;
			LlmError	err;
			const LlmChatMessage *msgs;
			int			n;
			bool		ok;

			if (dash != NULL)
				*dash = '\0';
			text = dash != NULL ? name : Template(name)->text;
			msgs = Conversation(v->conv, &n);
			ok = LlmChatRender(text, &opts, msgs, n, v->gen, &res, &err) == LLM_OK;
			CHECK(ok && strcmp(res.text, v->expected) == 0 && !res.bos_in_text && !res.think_open,
				  "%s%s renders conversation %s (%s, thinking %s) as llama.cpp does:\n%s",
				  name, dash ? " by name" : "", v->conv, v->gen ? "generation prompt" : "none",
				  v->thinking ? "on" : "off", ok ? res.text : err.message);
			if (ok)
				LlmChatResultFree(&res);
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
		{"phi3", "phi3"}, {"gemma", "gemma"}, {"qwen3", "qwen3"}, {"phi4", "phi4"},
		/* family markers alone, as llama.cpp's detection goes */
		{"<start_of_turn>", "gemma"}, {"[INST] <<SYS>>", "llama2"}, {"{% raw %}[INST]{% endraw %}", "mistral"},
		{"<|im_start|><|im_sep|>", "phi4"}, {"<|im_start|><think>", "qwen3"},
	};
	LlmChatFamily f;

	for (size_t i = 0; i < sizeof(templates) / sizeof(templates[0]); i++)
		CHECK(LlmChatDetect(templates[i].text, &f) && strcmp(LlmChatFamilyName(f), templates[i].family) == 0,
			  "the %s template is %s", templates[i].name, templates[i].family);
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		CHECK(LlmChatDetect(named[i].text, &f) && strcmp(LlmChatFamilyName(f), named[i].family) == 0,
			  "\"%s\" is %s", named[i].text, named[i].family);
	/* SmolVLM writes <|im_start|> as its BOS but is not ChatML */
	CHECK(!LlmChatDetect(NULL, &f) && !LlmChatDetect("{{ messages }}", &f) &&
		  !LlmChatDetect("<|im_start|>{{ 'User:' }}<end_of_utterance>", &f),
		  "unknown templates are not detected");
	/* Falcon 3 writes <|user|> but ends turns with a newline, not the end token */
	CHECK(!LlmChatDetect("{{ '<|user|>\\n' + message['content'] + '\\n' }}"
						 "{{ '<|assistant|>\\n' + message['content'] + eos_token }}", &f),
		  "a Falcon 3 template is not taken for Zephyr");
}

static void
TestFallback(void)
{
	LlmChatOptions opts = {"<s>", "</s>", NULL, false};
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

	CHECK(LlmChatRender(Template("qwen3")->text, NULL, tool, 2, true, &r, &err) == LLM_ERR_ARGUMENT &&
		  strstr(err.message, "only system, user and assistant") != NULL, "qwen3: unknown role: %s",
		  err.message);
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
	CHECK(LlmChatRender(Template("gemma-3")->text, NULL, conv_emptysys, 2, true, &r, &err) == LLM_OK &&
		  !r.system_merged, "gemma: a blank system message merges nothing");
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
	LlmChatOptions opts = {"<|begin_of_text|>", "<|eot_id|>", NULL, false};
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

/* Render one conversation with a template and thinking on or off. */
static char *
RenderThinking(const char *tmpl, const LlmChatMessage *msgs, int n, bool thinking, bool *think_open,
			   char *family, size_t family_size)
{
	LlmChatOptions opts = {NULL, NULL, NULL, thinking};
	LlmChatResult r;
	LlmError	err;

	if (LlmChatRender(tmpl, &opts, msgs, n, true, &r, &err) != LLM_OK)
		return NULL;
	*think_open = r.think_open;
	snprintf(family, family_size, "%s", r.family_name);
	return r.text;
}

/*
 * Qwen 3's reasoning switch: off by default (the empty block), on when
 * asked; templates that open the block themselves say so in think_open.
 */
static void
TestThinking(void)
{
	static const struct
	{
		const char *name;
		const char *tmpl;		/* NULL: templates[] by name */
		bool		thinking;
		const char *tail;		/* how the prompt of conv_u ends */
		bool		think_open;
		const char *family;
	}			cases[] = {
		{"qwen3", NULL, false, "<|im_start|>assistant\n<think>\n\n</think>\n\n", false, "qwen3"},
		{"qwen3", NULL, true, "<|im_end|>\n<|im_start|>assistant\n", false, "qwen3"},
		{"qwen3 by name", "qwen3", false, "<|im_start|>assistant\n<think>\n\n</think>\n\n", false, "qwen3"},
		{"qwen3 by name", "qwen3", true, "<|im_end|>\n<|im_start|>assistant\n", false, "qwen3"},
		/* no switch: reasoning always comes, in a block the prompt opened */
		{"qwen3-thinking-2507", NULL, false, "<|im_start|>assistant\n<think>\n", true, "qwen3"},
		{"qwen3-thinking-2507", NULL, true, "<|im_start|>assistant\n<think>\n", true, "qwen3"},
		/* the same written with real newlines inside the string (as some copies are) */
		{"qwen3-thinking, real newlines", "{%- set ns = namespace(last_query_index=0) %}<think>"
			"{{- '<|im_start|>assistant\n<think>\n' }}", false, "<|im_start|>assistant\n<think>\n", true, "qwen3"},
		/* a switch that opens the block itself when thinking is on */
		{"switch that opens", "<|im_start|>{{ '<think>' }}\n"
			"{%- if add_generation_prompt %}\n    {{- '<|im_start|>assistant\\n' }}\n"
			"    {%- if enable_thinking is defined and enable_thinking is false %}\n"
			"        {{- '<think>\\n\\n</think>\\n\\n' }}\n    {%- else %}\n        {{- '<think>\\n' }}\n"
			"    {%- endif %}\n{%- endif %}", false, "<|im_start|>assistant\n<think>\n\n</think>\n\n", false, "qwen3"},
		{"switch that opens", "<|im_start|>{{ '<think>' }}\n"
			"{%- if add_generation_prompt %}\n    {{- '<|im_start|>assistant\\n' }}\n"
			"    {%- if enable_thinking is defined and enable_thinking is false %}\n"
			"        {{- '<think>\\n\\n</think>\\n\\n' }}\n    {%- else %}\n        {{- '<think>\\n' }}\n"
			"    {%- endif %}\n{%- endif %}", true, "<|im_end|>\n<|im_start|>assistant\n<think>\n", true, "qwen3"},
		/* Qwen3-Instruct-2507: reasoning blocks in history, no switch, no opening */
		{"qwen3-instruct-2507", "{%- set reasoning_content = content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') %}"
			"{{- '<|im_start|>assistant\\n' }}", false, "<|im_end|>\n<|im_start|>assistant\n", false, "qwen3"},
		/* other families have no switch: nothing changes */
		{"gemma-3", NULL, true, "<end_of_turn>\n<start_of_turn>model\n", false, "gemma"},
		{"phi4", NULL, true, "<|im_end|><|im_start|>assistant<|im_sep|>", false, "phi4"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		const char *tmpl = cases[i].tmpl ? cases[i].tmpl : Template(cases[i].name)->text;
		bool		open = false;
		char		family[32];
		char	   *text = RenderThinking(tmpl, conv_u, 1, cases[i].thinking, &open, family,
										  sizeof(family));
		size_t		tl = strlen(cases[i].tail);

		CHECK(text != NULL && strlen(text) >= tl && strcmp(text + strlen(text) - tl, cases[i].tail) == 0 &&
			  open == cases[i].think_open,
			  "%s, thinking %s: the prompt ends as the template's does, think_open %d:\n%s",
			  cases[i].name, cases[i].thinking ? "on" : "off", cases[i].think_open, text ? text : "(error)");
		CHECK(text != NULL && strcmp(family, cases[i].family) == 0, "%s: family %s", cases[i].name,
			  family);
		free(text);
	}
}

/* ---- reasoning removed from answers (think.h) ---- */

static const struct
{
	const char *in;
	bool		starts_inside;
	const char *out;
}			think_cases[] = {
	{"<think>\nThe user asks for the capital.\n</think>\n\nParis", false, "Paris"},
	{"<think>\n\n</think>\n\nParis", false, "Paris"},
	{"<think></think>Paris", false, "Paris"},
	/* no block: the text as it is, leading whitespace too */
	{"Paris", false, "Paris"},
	{"", false, ""},
	{"\n\n  Paris\n", false, "\n\n  Paris\n"},
	{"\n\n", false, "\n\n"},
	/* whitespace before and after a block goes with it */
	{"  \n<think>x</think>\n Paris", false, "Paris"},
	{"<think>x</think>   ", false, ""},
	/* the token limit came inside the block: no answer */
	{"<think>unfinished reasoning", false, ""},
	{"<think>", false, ""},
	/* nested and repeated blocks */
	{"<think>a<think>b</think>c</think>Paris", false, "Paris"},
	{"<think>a</think>\n<think>b</think>\nParis", false, "Paris"},
	/* a close with nothing open, before the answer: an empty block */
	{"</think>Paris", false, "Paris"},
	/* after the answer has begun tags are text */
	{"Paris</think>", false, "Paris</think>"},
	{"Paris <think>x</think> is", false, "Paris <think>x</think> is"},
	{"<think>x</think>Paris <think>y</think>", false, "Paris <think>y</think>"},
	/* not tags */
	{"<Think>x</Think>Paris", false, "<Think>x</Think>Paris"},
	{"<think >x</think>Paris", false, "<think >x</think>Paris"},
	{"\n<thinking>x", false, "\n<thinking>x"},
	{"<<think>x</think>", false, "<<think>x</think>"},
	/* the start of a tag at the end is text */
	{"<thi", false, "<thi"},
	{" </thin", false, " </thin"},
	{"<think>x</think>\n\n<th", false, "<th"},
	/* almost-tags inside a block do not end it */
	{"<think>a</thinkk></think>Paris", false, "Paris"},
	{"<think>a <</think>Paris", false, "Paris"},
	{"<think>a</ think></think>Paris", false, "Paris"},
	/* the prompt opened the block */
	{"reasoning</think>\n\nParis", true, "Paris"},
	{"reasoning without end", true, ""},
	{"</think>Paris", true, "Paris"},
	{"a<think>b</think>c</think>Paris", true, "Paris"},
	{"<think>x</think>\n\nJos\xc3\xa9", false, "Jos\xc3\xa9"},
};

/* The filter fed the text in pieces cut at the given positions (ascending). */
static char *
FilterInPieces(const char *in, bool starts_inside, const size_t *cuts, int n_cuts)
{
	LlmThinkFilter f;
	LlmStrBuf	out = {0};
	size_t		len = strlen(in);
	size_t		from = 0;
	const char *rest;
	size_t		rest_len;

	LlmThinkFilterInit(&f, starts_inside);
	for (int k = 0; k <= n_cuts; k++)
	{
		size_t		to = k < n_cuts ? cuts[k] : len;

		if (!LlmThinkFilterFeed(&f, in + from, to - from, &out))
			return NULL;
		from = to;
	}
	LlmThinkFilterFinish(&f, &rest, &rest_len);
	LlmStrBufAppend(&out, rest, rest_len);
	LlmStrBufAppend(&out, "", 0);
	LlmThinkFilterFree(&f);
	return out.oom ? NULL : out.data;
}

static void
TestThinkStrip(void)
{
	for (size_t i = 0; i < sizeof(think_cases) / sizeof(think_cases[0]); i++)
	{
		const char *in = think_cases[i].in;
		bool		inside = think_cases[i].starts_inside;
		const char *want = think_cases[i].out;
		size_t		len = strlen(in);
		char	   *copy = strdup(in);
		size_t		n = LlmThinkStrip(copy, len, inside);
		char	   *whole = FilterInPieces(in, inside, NULL, 0);
		size_t	   *cuts = malloc(sizeof(size_t) * (len + 1));
		char	   *bytes;
		int			bad_split = -1;

		CHECK(n == strlen(want) && memcmp(copy, want, n) == 0 && (n == len || copy[n] == '\0'),
			  "strip \"%s\" -> \"%s\" (got \"%.*s\")", in, want, (int) n, copy);
		CHECK(whole != NULL && strcmp(whole, want) == 0, "filter \"%s\" whole -> \"%s\" (got \"%s\")",
			  in, want, whole ? whole : "(null)");
		/* a token at a time at worst: every byte its own piece */
		for (size_t k = 0; k < len; k++)
			cuts[k] = k + 1;
		bytes = FilterInPieces(in, inside, cuts, len > 0 ? (int) len - 1 : 0);
		CHECK(bytes != NULL && strcmp(bytes, want) == 0, "filter \"%s\" byte by byte -> \"%s\" (got \"%s\")",
			  in, want, bytes ? bytes : "(null)");
		/* and cut in two at every place */
		for (size_t k = 0; k <= len && bad_split < 0; k++)
		{
			char	   *two = FilterInPieces(in, inside, &k, 1);

			if (two == NULL || strcmp(two, want) != 0)
				bad_split = (int) k;
			free(two);
		}
		CHECK(bad_split < 0, "filter \"%s\" cut at %d", in, bad_split);
		free(copy);
		free(whole);
		free(bytes);
		free(cuts);
	}
}

/* What the filter lets through as pieces come: nothing that may still be reasoning. */
static void
TestThinkFilterHolds(void)
{
	static const struct
	{
		const char *piece;
		const char *visible;
	}			steps[] = {
		{"\n", ""}, {"<th", ""}, {"ink>", ""}, {"The user", ""}, {" wants</th", ""},
		{"ink>\n", ""}, {"\nPar", "Par"}, {"is", "is"}, {" <think>", " <think>"},
	};
	LlmThinkFilter f;
	const char *rest;
	size_t		rest_len;

	LlmThinkFilterInit(&f, false);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
	{
		LlmStrBuf	out = {0};

		CHECK(LlmThinkFilterFeed(&f, steps[i].piece, strlen(steps[i].piece), &out) &&
			  out.data != NULL && strcmp(out.data, steps[i].visible) == 0,
			  "piece %zu \"%s\" lets \"%s\" through (got \"%s\")", i, steps[i].piece, steps[i].visible,
			  out.data ? out.data : "(null)");
		free(out.data);
	}
	LlmThinkFilterFinish(&f, &rest, &rest_len);
	CHECK(rest_len == 0, "nothing held once the answer has begun");
	LlmThinkFilterFree(&f);

	/* leading whitespace waits until it is known to be the answer's */
	LlmThinkFilterInit(&f, false);
	{
		LlmStrBuf	out = {0};

		CHECK(LlmThinkFilterFeed(&f, " \n", 2, &out) && strcmp(out.data, "") == 0 &&
			  LlmThinkFilterFeed(&f, "Hi", 2, &out) && strcmp(out.data, " \nHi") == 0,
			  "leading whitespace is let through with the answer");
		free(out.data);
	}
	LlmThinkFilterFree(&f);
}

/* ---- end-of-generation tokens of each family ---- */

typedef struct TestVocab
{
	const char *name;
	const char *const *tokens;
	const int32_t *types;		/* 1 normal, 2 unknown, 3 control, 4 user-defined */
	int			n;
	uint32_t	bos;
	uint32_t	eos;
	const char *eog;			/* texts that end generation, space-separated */
	const char *not_eog;		/* texts that do not */
} TestVocab;

/*
 * A vocabulary file with the special tokens of a family, as in its real
 * GGUF files (texts and types); path is a mkstemp() template.
 */
static bool
WriteVocab(const TestVocab *tv, const char *tmpl, char *path, LlmError *err)
{
	int			fd = mkstemp(path);
	GgufWriter *w;
	LlmStatus	s;

	if (fd < 0)
	{
		LlmSetError(err, LLM_ERR_IO, "mkstemp failed");
		return false;
	}
	close(fd);
	w = GgufWriterCreate();
	GgufWriterSetString(w, "general.architecture", "llama");
	GgufWriterSetString(w, "tokenizer.ggml.model", "llama");
	GgufWriterSetStringArray(w, "tokenizer.ggml.tokens", tv->tokens, tv->n);
	GgufWriterSetI32Array(w, "tokenizer.ggml.token_type", tv->types, tv->n);
	GgufWriterSetU32(w, "tokenizer.ggml.bos_token_id", tv->bos);
	GgufWriterSetU32(w, "tokenizer.ggml.eos_token_id", tv->eos);
	if (tmpl != NULL)
		GgufWriterSetString(w, "tokenizer.chat_template", tmpl);
	s = GgufWriterWrite(w, path, NULL, NULL, err);
	GgufWriterFree(w);
	return s == LLM_OK;
}

static const char *const gemma3_tokens[] = {
	"<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>", "\xe2\x96\x81hello",
};
static const int32_t gemma3_types[] = {3, 3, 3, 2, 3, 3, 1};
static const char *const qwen3_tokens[] = {
	"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>", "hello",
};
static const int32_t qwen3_types[] = {3, 3, 3, 4, 4, 1};
static const char *const phi4_tokens[] = {
	"<|endoftext|>", "<|im_start|>", "<|im_sep|>", "<|im_end|>", "hello",
};
static const int32_t phi4_types[] = {3, 3, 3, 3, 1};
static const char *const phi4mini_tokens[] = {
	"<|endoftext|>", "<|assistant|>", "<|end|>", "<|user|>", "<|system|>", "hello",
};
static const int32_t phi4mini_types[] = {3, 3, 3, 3, 3, 1};

static const TestVocab test_vocabs[] = {
	{"gemma-3", gemma3_tokens, gemma3_types, 7, 2, 1, "<eos> <end_of_turn>", "<start_of_turn> <bos> <pad>"},
	{"qwen3", qwen3_tokens, qwen3_types, 6, 0, 2, "<|im_end|> <|endoftext|>", "<|im_start|> <think> </think>"},
	{"phi4", phi4_tokens, phi4_types, 5, 0, 3, "<|im_end|> <|endoftext|>", "<|im_start|> <|im_sep|>"},
	{"phi4-mini", phi4mini_tokens, phi4mini_types, 6, 0, 0, "<|end|> <|endoftext|>", "<|assistant|> <|user|> <|system|>"},
};

static void
CheckEog(const char *label, const LlmVocab *v, const char *eog, const char *not_eog)
{
	char		text[32];
	const char *p = eog;

	while (NextName(&p, text, sizeof(text)))
	{
		int32_t		id = LlmVocabFind(v, text, strlen(text));

		CHECK(id >= 0 && LlmVocabIsEog(v, id), "%s: %s ends generation", label, text);
	}
	p = not_eog;
	while (NextName(&p, text, sizeof(text)))
	{
		int32_t		id = LlmVocabFind(v, text, strlen(text));

		CHECK(id >= 0 && !LlmVocabIsEog(v, id), "%s: %s does not end generation", label, text);
	}
}

static void
TestEog(void)
{
	static const struct
	{
		const char *file;
		const char *eog;
		const char *not_eog;
	}			real[] = {
		/* Qwen 2's vocabulary: Qwen 3's end tokens are the same */
		{"../shared/vocab/ggml-vocab-qwen2.gguf", "<|im_end|> <|endoftext|>", "<|im_start|>"},
		/* Phi-3's: Phi-3.5's and Phi-4-mini's end tokens */
		{"../shared/vocab/ggml-vocab-phi-3.gguf", "<|end|> <|endoftext|>", "<|assistant|> <|user|>"},
	};

	for (size_t i = 0; i < sizeof(test_vocabs) / sizeof(test_vocabs[0]); i++)
	{
		char		path[] = "/tmp/test_chat.XXXXXX";
		GgufFile   *g = NULL;
		LlmVocab   *v = NULL;
		LlmError	err;

		if (!WriteVocab(&test_vocabs[i], NULL, path, &err) || GgufOpen(path, &g, &err) != LLM_OK ||
			LlmVocabLoad(g, &v, &err) != LLM_OK)
		{
			CHECK(false, "%s vocabulary: %s", test_vocabs[i].name, err.message);
			GgufClose(g);
			unlink(path);
			continue;
		}
		CheckEog(test_vocabs[i].name, v, test_vocabs[i].eog, test_vocabs[i].not_eog);
		LlmVocabFree(v);
		GgufClose(g);
		unlink(path);
	}
	for (size_t i = 0; i < sizeof(real) / sizeof(real[0]); i++)
	{
		GgufFile   *g;
		LlmVocab   *v;
		LlmError	err;

		if (GgufOpen(real[i].file, &g, &err) != LLM_OK || LlmVocabLoad(g, &v, &err) != LLM_OK)
		{
			CHECK(false, "load %s: %s", real[i].file, err.message);
			continue;
		}
		CheckEog(real[i].file, v, real[i].eog, real[i].not_eog);
		LlmVocabFree(v);
		GgufClose(g);
	}
}

/*
 * A Qwen 3 file: its template with thinking off and on through the model
 * entry points, and <think> detokenized as text (user-defined, as in Qwen
 * 3's files), which is what lets the answer's block be found.
 */
static void
TestModelThinking(void)
{
	char		path[] = "/tmp/test_chat.XXXXXX";
	GgufFile   *g = NULL;
	LlmVocab   *v = NULL;
	LlmChatResult r;
	LlmError	err;
	const int32_t ids[] = {3, 5, 4};
	char	   *text;
	size_t		len;

	if (!WriteVocab(&test_vocabs[1], Template("qwen3")->text, path, &err) ||
		GgufOpen(path, &g, &err) != LLM_OK || LlmVocabLoad(g, &v, &err) != LLM_OK)
	{
		CHECK(false, "qwen3 file: %s", err.message);
		GgufClose(g);
		unlink(path);
		return;
	}
	CHECK(LlmChatRenderModel(g, v, conv_u, 1, true, &r, &err) == LLM_OK && r.family == LLM_CHAT_QWEN3 &&
		  strcmp(r.text, "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n") == 0,
		  "a Qwen 3 file: thinking off by default");
	LlmChatResultFree(&r);
	CHECK(LlmChatRenderModelThinking(g, v, NULL, conv_u, 1, true, true, &r, &err) == LLM_OK &&
		  strcmp(r.text, "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n") == 0 && !r.think_open,
		  "a Qwen 3 file: thinking on");
	LlmChatResultFree(&r);
	CHECK(LlmChatRenderModelThinking(g, v, "qwen3", conv_u, 1, true, false, &r, &err) == LLM_OK &&
		  strcmp(r.text, "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n") == 0,
		  "the qwen3 family by name: thinking off");
	LlmChatResultFree(&r);
	CHECK(LlmDetokenize(v, ids, 3, false, &text, &len, &err) == LLM_OK &&
		  strcmp(text, "<think>hello</think>") == 0, "<think> tokens are text in the answer");
	free(text);
	LlmVocabFree(v);
	GgufClose(g);
	unlink(path);
}

/*
 * Generation with strip_think on the real stories260K model: the same text
 * as without when there is no block (stop strings included), nothing when
 * the prompt opened a block the model never closes, alone and batched.
 */
static void
TestGenerateThink(void)
{
	LlmModel   *model;
	LlmContext *ctx = NULL;
	LlmGenerateParams gp = {0};
	LlmGenerateResult plain;
	LlmGenerateResult res;
	LlmError	err;
	int32_t    *ids;
	int			n;
	const char *stop[1];
	char		stop_text[8];

	if (LlmModelLoad("../shared/models/stories260K.gguf", &model, &err) != LLM_OK)
	{
		CHECK(false, "load stories260K: %s", err.message);
		return;
	}
	if (LlmTokenize(model->vocab, "Once upon a time", 16, true, false, &ids, &n, &err) != LLM_OK ||
		LlmContextCreateSeq(model, 128, 0, 2, &ctx, &err) != LLM_OK)
	{
		CHECK(false, "stories260K context: %s", err.message);
		LlmModelFree(model);
		return;
	}
	LlmSamplerDefaults(&gp.sampling);
	gp.sampling.temperature = 0;
	gp.max_tokens = 24;
	CHECK(LlmGenerate(ctx, ids, n, &gp, &plain, &err) == LLM_OK && plain.len > 8, "plain generation");
	gp.strip_think = true;
	CHECK(LlmGenerate(ctx, ids, n, &gp, &res, &err) == LLM_OK && strcmp(res.text, plain.text) == 0 &&
		  res.n_tokens == plain.n_tokens && strcmp(res.stop_reason, plain.stop_reason) == 0,
		  "no block: the same text with strip_think (%s / %s)", res.text, plain.text);
	LlmGenerateResultFree(&res);

	/* a stop string in the middle of the answer stops it at the same place */
	snprintf(stop_text, sizeof(stop_text), "%.3s", plain.text + plain.len / 2);
	stop[0] = stop_text;
	gp.stop = stop;
	gp.n_stop = 1;
	{
		LlmGenerateResult a;
		LlmGenerateResult b;

		gp.strip_think = false;
		CHECK(LlmGenerate(ctx, ids, n, &gp, &a, &err) == LLM_OK, "with a stop string");
		gp.strip_think = true;
		CHECK(LlmGenerate(ctx, ids, n, &gp, &b, &err) == LLM_OK && strcmp(a.text, b.text) == 0 &&
			  strcmp(a.stop_reason, "stop") == 0 && strcmp(b.stop_reason, "stop") == 0,
			  "a stop string: the same text with strip_think (\"%s\" / \"%s\")", a.text, b.text);
		LlmGenerateResultFree(&a);
		LlmGenerateResultFree(&b);
	}
	gp.stop = NULL;
	gp.n_stop = 0;

	/* the prompt opened a block: everything is reasoning until the limit */
	gp.think_open = true;
	CHECK(LlmGenerate(ctx, ids, n, &gp, &res, &err) == LLM_OK && res.len == 0 &&
		  res.n_tokens == plain.n_tokens && strcmp(res.stop_reason, "length") == 0,
		  "an open block never closed: no text (%s)", res.text);
	LlmGenerateResultFree(&res);
	{
		const int32_t *prompts[2] = {ids, ids};
		int			lens[2] = {n, n};
		LlmGenerateResult two[2];

		CHECK(LlmGenerateBatch(ctx, prompts, lens, NULL, NULL, 2, &gp, two, &err) == LLM_OK &&
			  two[0].len == 0 && two[1].len == 0 && two[0].n_tokens == plain.n_tokens,
			  "batched: no text either");
		LlmGenerateResultFree(&two[0]);
		LlmGenerateResultFree(&two[1]);
	}
	LlmGenerateResultFree(&plain);
	free(ids);
	LlmContextFree(ctx);
	LlmModelFree(model);
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
	TestLlamaCpp();
	TestDetection();
	TestThinking();
	TestThinkStrip();
	TestThinkFilterHolds();
	TestEog();
	TestModelThinking();
	TestGenerateThink();
	TestFallback();
	TestErrors();
	TestSystemMerged();
	TestDates();
	TestModelTemplates();
	return UnitSummary("chat");
}
