/*-------------------------------------------------------------------------
 *
 * llm.c
 *	  Module entry points of the llm extension.
 *
 *-------------------------------------------------------------------------
 */
#include "llm.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "kernels.h"

PG_MODULE_MAGIC;

#define LLM_VERSION "1.0"

void		_PG_init(void);

void
_PG_init(void)
{
	LlmDefineSettings();
}

PG_FUNCTION_INFO_V1(llm_version);

/*
 * llm_version(): the extension version and the kernel variant picked for
 * this CPU, so that a bug report says which code ran.
 */
Datum
llm_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("llm %s (kernels: %s)",
											  LLM_VERSION,
											  LlmKernelsGet()->name)));
}
