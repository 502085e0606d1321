/*-------------------------------------------------------------------------
 *
 * llm.h
 *	  Declarations shared by the PostgreSQL glue of the llm extension.
 *
 * The glue is the only code that includes PostgreSQL headers.  It never
 * lets an ereport jump over engine code: engine calls return, the glue
 * frees what they allocated, then reports.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_GLUE_H
#define LLM_GLUE_H

#include "postgres.h"

#include "fmgr.h"

#include "context.h"
#include "error.h"
#include "generate.h"
#include "model.h"

/* settings (llm_guc.c) */
extern char *llm_model_path;
extern char *llm_default_model;
extern int	llm_threads;
extern int	llm_max_threads;
extern int	llm_context_size;
extern int	llm_max_tokens;
extern char *llm_kernel;

extern void LlmDefineSettings(void);

/* A model loaded in this backend, with its inference context. */
typedef struct LlmLoadedModel
{
	char	   *name;			/* malloc'd */
	char	   *path;			/* malloc'd */
	char		sha256[65];
	LlmModel   *model;
	LlmContext *ctx;
	bool		warned_template;	/* told the user the template is unknown */
} LlmLoadedModel;

/* llm_catalog.c */
extern LlmLoadedModel *LlmGetModel(text *name);
extern bool LlmMayReadServerFiles(void);

/* llm_infer.c: steps shared by the SQL functions */
extern int32 *LlmTokenizeOrReport(LlmLoadedModel *lm, const char *utf8, size_t len,
								  bool add_bos, bool parse_special, int *n_tokens);
extern void LlmCheckFits(LlmLoadedModel *lm, int n_tokens, int room_after);
extern void LlmSamplingArgs(FunctionCallInfo fcinfo, LlmGenerateParams *gp);
extern text *LlmGenerateText(LlmLoadedModel *lm, int32 *prompt, int n_prompt,
							 const LlmGenerateParams *gp);

/* llm_report.c */
extern void LlmReportError(LlmStatus status, const LlmError *err, const char *what)
			pg_attribute_noreturn();
extern bool LlmCancelRequested(void *arg);

/* llm_text.c: conversion between the database encoding and UTF-8 */
extern char *LlmTextToUtf8(text *t, size_t *len);
extern text *LlmUtf8ToText(const char *s, size_t len);

/* llm_sha256.c */
extern void LlmFileSha256(const char *path, char *hex);

#endif							/* LLM_GLUE_H */
