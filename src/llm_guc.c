/*-------------------------------------------------------------------------
 *
 * llm_guc.c
 *	  The llm.* settings.
 *
 *-------------------------------------------------------------------------
 */
#include "llm.h"

#include <limits.h>
#include <unistd.h>

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "kernels.h"

char	   *llm_model_path = NULL;
char	   *llm_default_model = NULL;
int			llm_threads = 1;
int			llm_max_threads = 4;
int			llm_context_size = 0;
int			llm_max_tokens = 4096;
char	   *llm_kernel = NULL;
char	   *llm_preload_models = NULL;
int			llm_max_compute_threads = 1;
bool		llm_lock_memory = false;
int			llm_prefix_cache_size = 64;
int			llm_batch_size = 16;
int			llm_kv_cache_type = LLM_TYPE_F32;
int			llm_log_min_duration = -1;

static const struct config_enum_entry kv_cache_types[] = {
	{"f32", LLM_TYPE_F32, false},
	{"f16", LLM_TYPE_F16, false},
	{NULL, 0, false}
};

static bool
CheckKernel(char **newval, void **extra, GucSource source)
{
	const char *const *names;
	StringInfoData list;

	if (LlmKernelsByName(*newval) != NULL)
		return true;
	initStringInfo(&list);
	names = LlmKernelsNames();
	for (int i = 0; names[i] != NULL; i++)
		if (LlmKernelsByName(names[i]) != NULL)
			appendStringInfo(&list, ", %s", names[i]);
	GUC_check_errmsg("kernel variant \"%s\" is not available on this server", *newval);
	GUC_check_errhint("Available: auto%s.", list.data);
	return false;
}

static void
AssignKernel(const char *newval, void *extra)
{
	/* the check hook made sure this succeeds */
	(void) LlmKernelsSelect(newval);
}

void
LlmDefineSettings(void)
{
	long		ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	DefineCustomStringVariable("llm.model_path",
							   "Directory that relative model paths resolve against.",
							   "Users who are not superusers can only register files inside it.",
							   &llm_model_path, "", PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("llm.default_model",
							   "Model used when a function's model argument is NULL.",
							   "When empty, the only registered model is used.",
							   &llm_default_model, "", PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("llm.max_threads",
							"Most threads one backend may use for inference.",
							NULL, &llm_max_threads, ncpu > 0 ? (int) ncpu : 1, 1, 256,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("llm.threads",
							"Threads a backend uses for inference (at most llm.max_threads).",
							NULL, &llm_threads, 1, 1, 256, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("llm.context_size",
							"Context window in tokens; 0 means the model's own, at most 4096.",
							NULL, &llm_context_size, 0, 0, 1 << 20, PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("llm.max_tokens",
							"Most tokens any call may generate.",
							NULL, &llm_max_tokens, 4096, 0, 1 << 20, PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomStringVariable("llm.kernel",
							   "Kernel variant: auto (the best this CPU runs) or a variant name.",
							   NULL, &llm_kernel, "auto", PGC_SUSET, 0,
							   CheckKernel, AssignKernel, NULL);
	DefineCustomIntVariable("llm.prefix_cache_size",
							"Memory for cached prompt prefixes, per backend; 0 turns the cache off.",
							"The KV state of a prompt prefix calls share is computed once and reused.",
							&llm_prefix_cache_size, 64, 0, 1 << 20, PGC_USERSET, GUC_UNIT_MB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("llm.batch_size",
							"Sequences the array forms decode together.",
							"Larger batches stream the weights once for more rows; each sequence has its own KV cache.",
							&llm_batch_size, 16, 1, 256, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomEnumVariable("llm.kv_cache_type",
							 "Element type of the KV cache: f32 or f16.",
							 "f32 is what llama.cpp's reference runs use; f16, llama.cpp's default, halves the cache's memory.",
							 &llm_kv_cache_type, LLM_TYPE_F32, kv_cache_types, PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("llm.log_min_duration",
							"Log inference calls that take at least this long, with their figures.",
							"-1 turns it off; 0 logs every call.",
							&llm_log_min_duration, -1, -1, INT_MAX, PGC_SUSET, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomBoolVariable("llm.lock_memory",
							 "Lock the weights of models in use in memory (mlock).",
							 "A model's pages then never go to swap; the memlock limit of the server must allow it.",
							 &llm_lock_memory, false, PGC_SUSET, 0, NULL, NULL, NULL);
	/* server-start settings exist only where the pool can (see llm.c) */
	if (!process_shared_preload_libraries_in_progress)
	{
		MarkGUCPrefixReserved("llm");
		return;
	}
	DefineCustomStringVariable("llm.preload_models",
							   "Models loaded into the shared pool at server start.",
							   "A comma-separated list of database:model (or model, in database postgres). "
							   "Needs shared_preload_libraries = 'llm'.",
							   &llm_preload_models, "", PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("llm.max_compute_threads",
							"Most inference threads computing at once in the whole server.",
							"Calls wait for a thread when all are busy. Needs shared_preload_libraries = 'llm'.",
							&llm_max_compute_threads, ncpu > 0 ? (int) ncpu : 1, 1, 1024,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("llm");
}
