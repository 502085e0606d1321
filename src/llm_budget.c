/*-------------------------------------------------------------------------
 *
 * llm_budget.c
 *	  The server-wide compute budget, and the bracket every engine call runs
 *	  in: threads from the budget before, usage counters after.
 *
 * Each backend has its own worker threads, so without coordination 32
 * sessions asking for 2 threads each start 64 compute threads on a 2-core
 * server, and they slow each other down.  llm.max_compute_threads caps the
 * threads computing at once across all backends.  A call takes what it
 * asks for, or what is left if that is less (results do not depend on the
 * thread count), and waits when nothing is left.  Waiting calls are served
 * in arrival order, so no session starves.
 *
 * Locking rules: budget->mutex (a spinlock) protects free and the arrival
 * numbers.  Waiters sleep on budget->cv (wait event type Extension), and
 * whoever returns threads or leaves the queue wakes them all; each checks
 * whether it is now the earliest arrival.
 *
 *-------------------------------------------------------------------------
 */
#include "llm.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "storage/condition_variable.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "storage/spin.h"

#include "threadpool.h"

typedef struct BudgetShared
{
	slock_t		mutex;
	int			total;
	int			free;
	uint64		next_arrival;
	ConditionVariable cv;
	int			n_procs;
	uint64		waiting[FLEXIBLE_ARRAY_MEMBER];	/* by pgprocno: arrival, or 0 */
} BudgetShared;

static BudgetShared *budget = NULL;
static int	threads_held = 0;	/* taken from the budget by this backend */
static bool exit_hook_set = false;

Size
LlmBudgetShmemSize(void)
{
	return add_size(offsetof(BudgetShared, waiting),
					mul_size(sizeof(uint64), LlmProcSlots()));
}

void
LlmBudgetInitShmem(void *mem, bool found)
{
	budget = mem;
	if (found)
		return;
	SpinLockInit(&budget->mutex);
	budget->total = budget->free = llm_max_compute_threads;
	budget->next_arrival = 0;
	ConditionVariableInit(&budget->cv);
	budget->n_procs = LlmProcSlots();
	memset(budget->waiting, 0, sizeof(uint64) * budget->n_procs);
}

/* Leave the queue and give back what this backend holds (mutex not held). */
static void
BudgetLeave(void)
{
	int			me = MyProc->pgprocno;

	SpinLockAcquire(&budget->mutex);
	budget->waiting[me] = 0;
	budget->free += threads_held;
	threads_held = 0;
	SpinLockRelease(&budget->mutex);
	ConditionVariableBroadcast(&budget->cv);
}

static void
BudgetBackendExit(int code, Datum arg)
{
	if (budget != NULL && MyProc != NULL)
		BudgetLeave();
}

/* With the mutex held: no earlier arrival is still waiting. */
static bool
BudgetFirst(uint64 arrival)
{
	for (int i = 0; i < budget->n_procs; i++)
		if (budget->waiting[i] != 0 && budget->waiting[i] < arrival)
			return false;
	return true;
}

/* Take up to want threads, waiting (cancellably) while none is free. */
static int
BudgetTake(int want)
{
	int			me = MyProc->pgprocno;
	uint64		arrival;
	int			got = 0;

	if (!exit_hook_set)
	{
		before_shmem_exit(BudgetBackendExit, 0);
		exit_hook_set = true;
	}
	SpinLockAcquire(&budget->mutex);
	arrival = ++budget->next_arrival;
	budget->waiting[me] = arrival;
	SpinLockRelease(&budget->mutex);

	PG_TRY();
	{
		for (;;)
		{
			SpinLockAcquire(&budget->mutex);
			if (budget->free > 0 && BudgetFirst(arrival))
			{
				got = Min(want, budget->free);
				budget->free -= got;
				budget->waiting[me] = 0;
				threads_held = got;
			}
			SpinLockRelease(&budget->mutex);
			if (got > 0)
				break;
			ConditionVariableSleep(&budget->cv, PG_WAIT_EXTENSION);
		}
		ConditionVariableCancelSleep();
	}
	PG_CATCH();
	{
		ConditionVariableCancelSleep();
		BudgetLeave();
		PG_RE_THROW();
	}
	PG_END_TRY();

	/* threads are left: the next in line may take them */
	ConditionVariableBroadcast(&budget->cv);
	return got;
}

/*
 * Before an engine call of model lm on ctx: threads from the budget (the
 * context's pool runs on that many).  Between this and LlmComputeEnd only
 * engine code may run: nothing that can throw.
 */
void
LlmComputeBegin(LlmLoadedModel *lm, LlmContext *ctx, LlmCompute *c)
{
	int			want = LlmThreadPoolSize(ctx->pool);

	c->lm = lm;
	c->ctx = ctx;
	c->threads = 0;
	if (budget != NULL)
		c->threads = BudgetTake(Min(want, budget->total));
	LlmThreadPoolSetActive(ctx->pool, c->threads > 0 ? c->threads : want);
	INSTR_TIME_SET_CURRENT(c->start);
}

/* After the engine call on rows rows: give the threads back and count it. */
void
LlmComputeEnd(LlmCompute *c, LlmStatus status, int rows, int prompt_tokens,
			  int generated_tokens, const LlmModelCounters *extra)
{
	LlmModelCounters d = {0};
	instr_time	took;

	INSTR_TIME_SET_CURRENT(took);
	INSTR_TIME_SUBTRACT(took, c->start);
	if (c->threads > 0)
		BudgetLeave();
	c->threads = 0;

	d.calls = 1;
	d.prompt_tokens = prompt_tokens;
	d.generated_tokens = generated_tokens;
	d.errors = status != LLM_OK && status != LLM_ERR_CANCELLED;
	d.compute_ms = INSTR_TIME_GET_MILLISEC(took);
	d.last_used = GetCurrentTimestamp();
	if (extra != NULL)
	{
		d.prefix_hits = extra->prefix_hits;
		d.prefix_misses = extra->prefix_misses;
		d.prefix_tokens = extra->prefix_tokens;
	}
	LlmPoolCount(c->lm, &d);
	/* as log_min_duration_statement, for inference calls */
	if (llm_log_min_duration >= 0 && d.compute_ms >= llm_log_min_duration)
	{
		int			threads = c->threads > 0 ? c->threads : LlmThreadPoolSize(c->ctx->pool);

		ereport(LOG,
				errmsg("llm: call on model \"%s\" took %.1f ms: %d row%s, %d prompt tokens, %d generated, %d thread%s%s",
					   c->lm->name, d.compute_ms, rows, rows == 1 ? "" : "s",
					   prompt_tokens, generated_tokens, threads, threads == 1 ? "" : "s",
					   status == LLM_OK ? "" : " (failed)"));
	}

	if (c->ctx == c->lm->ctx)
		LlmTrimContext(c->lm);
	if (status == LLM_OK)
		LlmProgressCount(c->lm, rows, prompt_tokens, generated_tokens, d.compute_ms);
}
