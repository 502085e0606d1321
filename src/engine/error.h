/*-------------------------------------------------------------------------
 *
 * error.h
 *	  Error reporting of the engine: a status code plus a message.
 *
 * The engine never exits, aborts or prints.  A failing function fills an
 * LlmError and returns its (nonzero) status; the caller decides what to do
 * (llm-cli prints it, the PostgreSQL glue turns it into ereport).
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_ERROR_H
#define LLM_ENGINE_ERROR_H

typedef enum LlmStatus
{
	LLM_OK = 0,
	LLM_ERR_IO,					/* cannot open, read or map a file */
	LLM_ERR_FORMAT,				/* the file is not a valid GGUF / model */
	LLM_ERR_UNSUPPORTED,		/* valid, but an architecture or type we lack */
	LLM_ERR_NOMEM,
	LLM_ERR_ARGUMENT,			/* a caller passed something invalid */
	LLM_ERR_CONTEXT,			/* the context window is full */
	LLM_ERR_CANCELLED			/* the caller's cancel callback said stop */
} LlmStatus;

#define LLM_ERROR_MESSAGE_SIZE 512

typedef struct LlmError
{
	LlmStatus	code;
	char		message[LLM_ERROR_MESSAGE_SIZE];
} LlmError;

/*
 * Record an error (err may be NULL) and return code, so that callers can
 * write "return LlmSetError(err, LLM_ERR_FORMAT, "...", ...);".
 */
extern LlmStatus LlmSetError(LlmError *err, LlmStatus code, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

#endif							/* LLM_ENGINE_ERROR_H */
