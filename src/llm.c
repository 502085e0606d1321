/*-------------------------------------------------------------------------
 *
 * llm.c
 *	  Module entry points of the llm extension.
 *
 *-------------------------------------------------------------------------
 */
#include "llm.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "utils/builtins.h"

#include "kernels.h"

PG_MODULE_MAGIC;

#define LLM_VERSION "1.1"

void		_PG_init(void);

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void
LlmShmemRequest(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	LlmPoolRequestShmem();
}

static void
LlmShmemStartup(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LlmPoolInitShmem();
}

/*
 * Settings always; the shared model pool, the compute budget and the
 * preloading workers only when the server loads the library at start
 * (shared_preload_libraries): shared memory can be set aside only then.
 */
void
_PG_init(void)
{
	LlmDefineSettings();
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = LlmShmemRequest;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = LlmShmemStartup;
	LlmPreloadRegisterWorkers();
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
