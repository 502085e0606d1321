/*-------------------------------------------------------------------------
 *
 * llm_report.c
 *	  Engine errors as ereport, and the engine's cancel callback.
 *
 *-------------------------------------------------------------------------
 */
#include "llm.h"

#include "miscadmin.h"

/*
 * Polled by the engine between layers and tokens.  Only reads the flags the
 * signal handlers set; the error itself is raised by CHECK_FOR_INTERRUPTS
 * once the engine has returned and its memory is freed.
 */
bool
LlmCancelRequested(void *arg)
{
	return QueryCancelPending || ProcDiePending;
}

void
LlmReportError(LlmStatus status, const LlmError *err, const char *what)
{
	int			code;

	switch (status)
	{
		case LLM_ERR_CANCELLED:
			/* normally throws "canceling statement due to ..." */
			CHECK_FOR_INTERRUPTS();
			code = ERRCODE_QUERY_CANCELED;
			break;
		case LLM_ERR_IO:
			code = ERRCODE_IO_ERROR;
			break;
		case LLM_ERR_FORMAT:
			code = ERRCODE_DATA_CORRUPTED;
			break;
		case LLM_ERR_UNSUPPORTED:
			code = ERRCODE_FEATURE_NOT_SUPPORTED;
			break;
		case LLM_ERR_NOMEM:
			code = ERRCODE_OUT_OF_MEMORY;
			break;
		case LLM_ERR_CONTEXT:
			code = ERRCODE_PROGRAM_LIMIT_EXCEEDED;
			break;
		case LLM_ERR_ARGUMENT:
		default:
			code = ERRCODE_INVALID_PARAMETER_VALUE;
			break;
	}
	ereport(ERROR,
			errcode(code),
			errmsg("%s", what),
			errdetail("%s", err->message));
	pg_unreachable();
}
