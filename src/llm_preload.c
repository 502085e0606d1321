/*-------------------------------------------------------------------------
 *
 * llm_preload.c
 *	  llm.preload_models: background workers that load models into the
 *	  shared pool when the server starts, so that the first query after a
 *	  start (or a crash restart) does not wait for a file to be read.
 *
 * Models are registered per database, so a launcher (connected to no
 * database) starts one worker per database named in the setting that
 * exists, and warns once about those that do not.  Each worker loads its
 * database's models one after the other, logging (not failing on) those it
 * cannot load, and exits.  The launcher stays idle: the postmaster starts
 * it again after a crash restart, which empties the pool.
 *
 *-------------------------------------------------------------------------
 */
#include "llm.h"

#include "access/xact.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_database.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"

#define LLM_PRELOAD_MAX_DATABASES 8

PGDLLEXPORT void LlmPreloadMain(Datum arg);
PGDLLEXPORT void LlmPreloadLauncherMain(Datum arg);

/*
 * One item of llm.preload_models: "model" (database postgres) or
 * "database:model"; spaces around items are ignored.  Returns false at the
 * end of the list.
 */
static bool
NextItem(const char **p, char *db, size_t dbsize, char *model, size_t msize)
{
	const char *s = *p;
	const char *end;
	const char *colon;
	size_t		len;

	while (*s == ' ' || *s == ',' || *s == '\t')
		s++;
	if (*s == '\0')
		return false;
	end = strchr(s, ',');
	if (end == NULL)
		end = s + strlen(s);
	*p = end;
	len = end - s;
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	colon = memchr(s, ':', len);
	if (colon == NULL)
	{
		strlcpy(db, "postgres", dbsize);
		strlcpy(model, s, Min(msize, len + 1));
	}
	else
	{
		strlcpy(db, s, Min(dbsize, (size_t) (colon - s) + 1));
		strlcpy(model, colon + 1, Min(msize, (size_t) (s + len - colon)));
	}
	return true;
}

static void
FillWorker(BackgroundWorker *w, const char *function, const char *db)
{
	memset(w, 0, sizeof(*w));
	w->bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	/* a hot standby serves models too: preload as soon as it can read */
	w->bgw_start_time = BgWorkerStart_ConsistentState;
	strlcpy(w->bgw_library_name, "llm", BGW_MAXLEN);
	strlcpy(w->bgw_function_name, function, BGW_MAXLEN);
	if (db != NULL)
	{
		snprintf(w->bgw_name, BGW_MAXLEN, "llm preload %s", db);
		strlcpy(w->bgw_extra, db, BGW_EXTRALEN);
	}
	else
		snprintf(w->bgw_name, BGW_MAXLEN, "llm preload launcher");
	strlcpy(w->bgw_type, w->bgw_name, BGW_MAXLEN);
}

void
LlmPreloadRegisterWorkers(void)
{
	BackgroundWorker w;

	if (llm_preload_models == NULL || llm_preload_models[0] == '\0')
		return;
	FillWorker(&w, "LlmPreloadLauncherMain", NULL);
	w.bgw_restart_time = 10;
	RegisterBackgroundWorker(&w);
}

/*
 * Whether a database exists, read from pg_database by a plain scan: with no
 * database selected, an index scan (get_database_oid) cannot be used.
 */
static bool
DatabaseExists(const char *name)
{
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	bool		found = false;

	StartTransactionCommand();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while (!found && (tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
		found = strcmp(NameStr(((Form_pg_database) GETSTRUCT(tup))->datname), name) == 0;
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
	return found;
}

/* Start a loading worker per database of the setting that exists. */
void
LlmPreloadLauncherMain(Datum arg)
{
	char		dbs[LLM_PRELOAD_MAX_DATABASES][NAMEDATALEN];
	int			n_db = 0;
	const char *p = llm_preload_models;
	char		db[NAMEDATALEN];
	char		model[NAMEDATALEN];

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);

	while (NextItem(&p, db, sizeof(db), model, sizeof(model)))
	{
		int			i;
		bool		exists;

		for (i = 0; i < n_db && strcmp(dbs[i], db) != 0; i++)
			;
		if (i < n_db)
			continue;
		exists = DatabaseExists(db);
		if (!exists)
		{
			ereport(WARNING,
					errmsg("llm.preload_models names database \"%s\", which does not exist", db));
			continue;
		}
		if (n_db == LLM_PRELOAD_MAX_DATABASES)
		{
			ereport(WARNING,
					errmsg("llm.preload_models names more than %d databases; models of \"%s\" are not preloaded",
						   LLM_PRELOAD_MAX_DATABASES, db));
			continue;
		}
		strlcpy(dbs[n_db++], db, NAMEDATALEN);
	}

	for (int i = 0; i < n_db; i++)
	{
		BackgroundWorker w;
		BackgroundWorkerHandle *handle;
		pid_t		pid;

		FillWorker(&w, "LlmPreloadMain", dbs[i]);
		w.bgw_restart_time = BGW_NEVER_RESTART;
		w.bgw_notify_pid = MyProcPid;
		if (!RegisterDynamicBackgroundWorker(&w, &handle))
		{
			ereport(WARNING,
					errmsg("could not start the llm preload worker of database \"%s\"", dbs[i]),
					errhint("Raise max_worker_processes."));
			continue;
		}
		/* one database after the other: loading is I/O and memory bound */
		if (WaitForBackgroundWorkerStartup(handle, &pid) == BGWH_STARTED)
			(void) WaitForBackgroundWorkerShutdown(handle);
	}

	for (;;)
	{
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_EXIT_ON_PM_DEATH, -1L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/* Load one model; a failure is logged and the worker goes on. */
static void
PreloadOne(const char *model)
{
	MemoryContext oldcxt = CurrentMemoryContext;

	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, psprintf("loading model %s", model));
	PG_TRY();
	{
		bool		loaded_now;
		LlmLoadedModel *lm = LlmGetModelExt(cstring_to_text(model), &loaded_now);

		ereport(LOG,
				errmsg("llm: model \"%s\" %s the shared pool (%zu bytes)", model,
					   loaded_now ? "loaded into" : "already in", lm->bytes));
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		ereport(WARNING, errmsg("llm: model \"%s\" was not preloaded", model));
	}
	PG_END_TRY();
	/* the pool keeps it; this worker need not stay attached */
	LlmUnloadLocal();
	pgstat_report_activity(STATE_IDLE, NULL);
}

void
LlmPreloadMain(Datum arg)
{
	char		dbname[NAMEDATALEN];
	const char *p = llm_preload_models;
	char		db[NAMEDATALEN];
	char		model[NAMEDATALEN];

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	strlcpy(dbname, MyBgworkerEntry->bgw_extra, sizeof(dbname));
	BackgroundWorkerInitializeConnection(dbname, NULL, 0);

	while (NextItem(&p, db, sizeof(db), model, sizeof(model)))
		if (strcmp(db, dbname) == 0)
			PreloadOne(model);
	proc_exit(0);
}
