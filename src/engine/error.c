/*-------------------------------------------------------------------------
 *
 * error.c
 *	  Filling LlmError.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>

#include "error.h"

LlmStatus
LlmSetError(LlmError *err, LlmStatus code, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}
