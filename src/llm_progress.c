/*-------------------------------------------------------------------------
 *
 * llm_progress.c
 *	  llm_progress: how far each backend's inference statement is, for an
 *	  operator watching a two-hour UPDATE from another session.
 *
 * One slot per backend (by pgprocno) in the shared memory the pool sets
 * aside, so it needs shared_preload_libraries = 'llm'.  A slot belongs to
 * the statement that last ran inference in that backend: its counters
 * start again when a new top-level statement (a CALL counts as one, its
 * COMMITs included) makes its first call.
 *
 * Locking rules: only the owning backend writes its slot, under the
 * slot's spinlock; readers take the same spinlock to copy a consistent
 * row.
 *
 *-------------------------------------------------------------------------
 */
#include "llm.h"

#include "access/xact.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "storage/spin.h"
#include "utils/builtins.h"

typedef struct ProgressSlot
{
	slock_t		mutex;
	int			pid;			/* 0: nothing to show */
	char		model[NAMEDATALEN];
	TimestampTz statement_start;
	TimestampTz last_call;
	int64		calls;
	int64		rows;
	int64		prompt_tokens;
	int64		generated_tokens;
	double		compute_ms;
} ProgressSlot;

static ProgressSlot *slots = NULL;
static int	n_slots = 0;

Size
LlmProgressShmemSize(void)
{
	return mul_size(sizeof(ProgressSlot), LlmProcSlots());
}

void
LlmProgressInitShmem(void *mem, bool found)
{
	slots = mem;
	n_slots = LlmProcSlots();
	if (found)
		return;
	memset(slots, 0, sizeof(ProgressSlot) * n_slots);
	for (int i = 0; i < n_slots; i++)
		SpinLockInit(&slots[i].mutex);
}

/* Count a finished engine call of this backend's statement. */
void
LlmProgressCount(LlmLoadedModel *lm, int rows, int prompt_tokens, int generated_tokens,
				 double compute_ms)
{
	ProgressSlot *s;
	TimestampTz stmt = GetCurrentStatementStartTimestamp();

	if (slots == NULL || MyProc == NULL)
		return;
	s = &slots[MyProc->pgprocno];
	SpinLockAcquire(&s->mutex);
	if (s->pid != MyProcPid || s->statement_start != stmt)
	{
		s->pid = MyProcPid;
		s->statement_start = stmt;
		s->calls = s->rows = s->prompt_tokens = s->generated_tokens = 0;
		s->compute_ms = 0;
	}
	strlcpy(s->model, lm->name, sizeof(s->model));
	s->last_call = GetCurrentTimestamp();
	s->calls++;
	s->rows += rows;
	s->prompt_tokens += prompt_tokens;
	s->generated_tokens += generated_tokens;
	s->compute_ms += compute_ms;
	SpinLockRelease(&s->mutex);
}

PG_FUNCTION_INFO_V1(llm_progress_rows);

/*
 * Rows behind the llm_progress view: each backend's last statement that
 * ran inference.  The view keeps those still running (pg_stat_activity's
 * query_start is the statement start recorded here).
 */
Datum
llm_progress_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	if (slots == NULL)
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("llm_progress needs the llm library loaded at server start"),
				errhint("Add llm to shared_preload_libraries and restart the server."));

	for (int i = 0; i < n_slots; i++)
	{
		ProgressSlot copy;
		PGPROC	   *proc = &ProcGlobal->allProcs[i];
		Datum		v[9];
		bool		nulls[9] = {0};
		double		seconds;

		SpinLockAcquire(&slots[i].mutex);
		copy = slots[i];
		SpinLockRelease(&slots[i].mutex);
		/* only a live backend; the view checks it is still that statement */
		if (copy.pid == 0 || proc->pid != copy.pid)
			continue;
		seconds = (double) (GetCurrentTimestamp() - copy.statement_start) / USECS_PER_SEC;
		v[0] = Int32GetDatum(copy.pid);
		v[1] = CStringGetTextDatum(copy.model);
		v[2] = TimestampTzGetDatum(copy.statement_start);
		v[3] = Int64GetDatum(copy.rows);
		v[4] = Int64GetDatum(copy.calls);
		v[5] = Int64GetDatum(copy.prompt_tokens);
		v[6] = Int64GetDatum(copy.generated_tokens);
		v[7] = Float8GetDatum(seconds > 0 ? (copy.prompt_tokens + copy.generated_tokens) / seconds : 0);
		v[8] = TimestampTzGetDatum(copy.last_call);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}
