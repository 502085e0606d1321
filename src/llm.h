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
#include "storage/dsm.h"
#include "portability/instr_time.h"
#include "utils/array.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "chat.h"
#include "context.h"
#include "error.h"
#include "generate.h"
#include "model.h"

/*
 * Prompt rows per forward chunk: large chunks stream the weights once for
 * many tokens, and cancellation is still polled between a block's steps,
 * every few milliseconds even at this size.
 */
#define LLM_BATCH 512

/* settings (llm_guc.c) */
extern char *llm_model_path;
extern char *llm_default_model;
extern int	llm_threads;
extern int	llm_max_threads;
extern int	llm_context_size;
extern int	llm_max_tokens;
extern char *llm_kernel;
extern char *llm_preload_models;
extern int	llm_max_compute_threads;
extern bool llm_lock_memory;
extern int	llm_prefix_cache_size;
extern int	llm_batch_size;
extern int	llm_kv_cache_type;		/* LlmType: F32 or F16 */
extern int	llm_log_min_duration;

extern void LlmDefineSettings(void);

/* What identifies one version of a file on disk (see LlmFileIdOf). */
typedef struct LlmFileId
{
	dev_t		dev;
	ino_t		ino;
	off_t		size;
	int64		mtime_ns;
	bool		regular;		/* a regular file (not a FIFO, device, folder) */
} LlmFileId;

/* Per-model usage counters (llm_model_status). */
typedef struct LlmModelCounters
{
	int64		calls;
	int64		prompt_tokens;
	int64		generated_tokens;
	int64		errors;
	double		compute_ms;
	int64		prefix_hits;	/* prompts that started from a cached prefix */
	int64		prefix_misses;
	int64		prefix_tokens;	/* prompt tokens the cache saved computing */
	TimestampTz last_used;
} LlmModelCounters;

/*
 * What the options column of a registration may say (llm_models.options,
 * a JSON object): its default context size, and a chat template family
 * to use instead of the file's.  Zero / empty: not given.
 */
typedef struct LlmModelOptions
{
	int			context_size;
	char		chat_template[32];
} LlmModelOptions;

/*
 * A model as this backend uses it, with its inference context.  Its bytes
 * are either attached from the shared pool (pool_slot >= 0) or this
 * backend's private copy of the file (pool off).  Never a mapping of the
 * file itself: a file truncated under a mapping kills the process.
 */
typedef struct LlmLoadedModel
{
	char	   *name;			/* malloc'd */
	char	   *path;			/* malloc'd */
	char		sha256[65];
	LlmFileId	file;			/* the file as it was when read */
	LlmModel   *model;
	LlmContext *ctx;
	LlmModelOptions options;	/* of its registration, as of this call */
	bool		warned_template;	/* told the user the template is unknown */
	const LlmModel *bytes_model;	/* the model max_token_bytes is of */
	size_t		max_token_bytes;	/* LlmVocabMaxTokenBytes of it */
	LlmTokenTrie *trie;			/* for grammars: built at the model's first
								 * constrained call (LlmModelTrie), freed
								 * with it */
	int			warned_context; /* llm.context_size last warned about */

	/* shared pool */
	int			pool_slot;		/* -1 when not attached */
	uint32		pool_generation;
	dsm_segment *file_seg;
	dsm_segment *vocab_seg;

	/* pool off: the private copy, its size and this backend's counters */
	char	   *private_copy;
	size_t		bytes;
	double		load_ms;
	TimestampTz loaded_at;
	LlmModelCounters counters;
} LlmLoadedModel;

/* llm_catalog.c */
extern LlmLoadedModel *LlmGetModel(text *name);
extern LlmLoadedModel *LlmGetModelExt(text *name, bool *loaded_now);
extern bool LlmMayReadServerFiles(void);
extern const char *LlmCatalogTable(void);
extern int	LlmLocalModels(LlmLoadedModel ***out);
extern void LlmUnloadLocal(void);
extern LlmLoadedModel *LlmNewLoaded(const char *name, const char *path,
									const char *sha256, const LlmFileId *file);
extern void LlmPrepareContext(LlmLoadedModel *lm);
extern void LlmParseModelOptions(Jsonb *options, const char *name, bool strict,
								 LlmModelOptions *out);
extern void LlmTrimContext(LlmLoadedModel *lm);

/* llm_infer.c: steps shared by the SQL functions */
extern int32 *LlmTokenizeOrReport(LlmLoadedModel *lm, const char *utf8, size_t len,
								  bool add_bos, bool parse_special, int *n_tokens);
extern void LlmCheckFits(LlmLoadedModel *lm, int n_tokens, int room_after);
extern void LlmCheckInputSize(LlmLoadedModel *lm, size_t bytes, int room_after);
extern void LlmRequireGenerative(LlmLoadedModel *lm);
extern char *LlmModelFilePath(const char *stored);
extern void LlmReportChangedFile(const char *name, const char *path, const char *actual,
								 const char *registered) pg_attribute_noreturn();
extern void LlmCheckFitsInput(LlmLoadedModel *lm, int n_tokens, int room_after,
							  const char *const *inputs, int n_inputs);
extern void LlmSamplingArgs(FunctionCallInfo fcinfo, LlmGenerateParams *gp);
extern bool LlmCappedMaxTokens(FunctionCallInfo fcinfo);
/* What a generation call did, for the *_details functions. */
typedef struct LlmCallDetails
{
	bool		capped;			/* in: llm.max_tokens cut the max_tokens argument */
	const char *stop_reason;	/* "end of text", "stop string", "max_tokens",
								 * "llm.max_tokens", "context full" */
	int			prompt_tokens;
	int			generated_tokens;
	double		duration_ms;
} LlmCallDetails;

extern text *LlmGenerateText(LlmLoadedModel *lm, int32 *prompt, int n_prompt,
							 const LlmGenerateParams *gp, LlmCallDetails *details);
extern Datum LlmDetailsRow(FunctionCallInfo fcinfo, text *out, const LlmCallDetails *d);

/* llm_chat.c: prompts through the chat template */
/* think_open (may be NULL): the template opened a <think> block (Qwen3) */
extern int32 *LlmChatPrompt(LlmLoadedModel *lm, const LlmChatMessage *msgs, int n,
							char **rendered, bool *add_bos, int *n_tokens, bool *think_open);
extern int32 *LlmSummarizePrompt(LlmLoadedModel *lm, const char *input, int max_words,
								 int *n_tokens, bool *think_open);
extern void LlmSummarizeParams(int max_words, LlmGenerateParams *gp);
extern text *LlmFirstWords(text *t, int max_words);
extern int	LlmParseLabels(ArrayType *arr, char ***labels, char ***labels_utf8);
extern char *LlmClassifyInstruction(const char *instruction, char **labels_utf8,
									int n_labels);
extern int32 *LlmClassifyPrompt(LlmLoadedModel *lm, const char *instruction,
								const char *input, char **labels_utf8, int n_labels,
								int *n_prompt, int32 ***cont, int **cont_len,
								int *longest);

/* llm_grammar.c: constrained decoding (grammar, json_schema) */
extern void LlmGrammarArgs(FunctionCallInfo fcinfo, int arg, LlmGenerateParams *gp);
extern const LlmGrammar *LlmSchemaGrammar(FunctionCallInfo fcinfo, Jsonb *schema,
										  char **schema_utf8);
extern const LlmTokenTrie *LlmModelTrie(LlmLoadedModel *lm);
extern bool LlmGrammarAcceptsEmpty(const LlmGrammar *grammar);
extern const char *LlmStopLimit(const char *engine_reason, int asked, int allowed, bool capped);
extern void LlmReportUnfinished(LlmLoadedModel *lm, int element, const char *limit,
								int n_prompt, int n_tokens) pg_attribute_noreturn();

/* llm_array.c: what the array forms share */
extern int	LlmArrayInputs(ArrayType *arr, char ***utf8);
extern void LlmGenerateMany(LlmLoadedModel *lm, int32 **prompts, int *n_prompt, int n,
							const LlmGenerateParams *gp, text **results, int max_words);

/* llm_report.c */
extern void LlmReportError(LlmStatus status, const LlmError *err, const char *what)
			pg_attribute_noreturn();
extern bool LlmCancelRequested(void *arg);

/* llm_text.c: conversion between the database encoding and UTF-8 */
extern char *LlmTextToUtf8(text *t, size_t *len);
extern text *LlmUtf8ToText(const char *s, size_t len);

/* llm_catalog.c: llm.lock_memory */
extern void LlmLockMemory(LlmLoadedModel *lm, const void *addr, size_t size);

/* llm_sha256.c */
extern void LlmFileSha256(const char *path, char *hex);
extern void LlmReadFileSha256(const char *path, char *dst, size_t size, char *hex);
extern bool LlmFileIdOf(const char *path, LlmFileId *id);
extern bool LlmFileIdEqual(const LlmFileId *a, const LlmFileId *b);
extern void LlmFileSha256Cached(const char *path, const LlmFileId *id, char *hex);

/* llm_pool.c: the shared model pool */
extern int	LlmProcSlots(void);
extern bool LlmPoolEnabled(void);
extern void LlmPoolRequestShmem(void);
extern void LlmPoolInitShmem(void);
extern LlmLoadedModel *LlmPoolAttach(const char *name, const char *path,
									 const char *sha256, const LlmFileId *file,
									 bool *loaded_now);
extern bool LlmPoolStillValid(const LlmLoadedModel *lm);
extern void LlmPoolDetach(LlmLoadedModel *lm);
extern bool LlmPoolUnload(const char *name, const char *path, const char *sha256);
extern void LlmPoolCount(LlmLoadedModel *lm, const LlmModelCounters *delta);

/* llm_budget.c: the server-wide compute budget around each engine call */
typedef struct LlmCompute
{
	LlmLoadedModel *lm;
	LlmContext *ctx;
	int			threads;		/* granted from the budget (0: no budget) */
	instr_time	start;
} LlmCompute;

extern Size LlmBudgetShmemSize(void);
extern void LlmBudgetInitShmem(void *mem, bool found);
extern void LlmComputeBegin(LlmLoadedModel *lm, LlmContext *ctx, LlmCompute *c);
extern void LlmComputeEnd(LlmCompute *c, LlmStatus status, int rows, int prompt_tokens,
						  int generated_tokens, const LlmModelCounters *extra);

/* llm_progress.c: llm_progress */
extern Size LlmProgressShmemSize(void);
extern void LlmProgressInitShmem(void *mem, bool found);
extern void LlmProgressCount(LlmLoadedModel *lm, int rows, int prompt_tokens,
							 int generated_tokens, double compute_ms);

/* llm_prefix.c: the prompt-prefix cache (never throws) */
extern int	LlmPrefixLoad(LlmLoadedModel *lm, LlmContext *ctx, int seq,
						  const int32 *prompt, int n, LlmModelCounters *counters);
extern void LlmPrefixStore(LlmLoadedModel *lm, LlmContext *ctx, int seq,
						   const int32 *prompt, int n);
extern void LlmPrefixRemember(LlmLoadedModel *lm, LlmContext *ctx, int seq,
							  const int32 *prompt, int n);
extern void LlmPrefixForget(LlmLoadedModel *lm);

/* llm_preload.c */
extern void LlmPreloadRegisterWorkers(void);

#endif							/* LLM_GLUE_H */
