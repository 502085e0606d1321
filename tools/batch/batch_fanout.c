/*-------------------------------------------------------------------------
 *
 * batch_fanout.c
 *	  llm-batch --read-from: the inference runs on hot standbys, the answers
 *	  are written to the primary.
 *
 * Inference only reads: the rows and the model catalog are replicated, so
 * any hot standby can compute the answers, and only the small write of the
 * answers needs the primary.  The pending keys (on the primary, at the
 * start) are cut into ranges of about --chunk rows, put in a queue, and
 * --jobs workers per --read-from server take them one at a time: a worker
 * runs the range's inference on its server (the array form of the task's
 * function, the rows whose output is NULL there) and writes the answers to
 * the primary in one statement per chunk, only into rows whose output is
 * still NULL there and whose input is still the one the standby read.  So
 * nothing is ever written twice, whatever runs twice.
 *
 * A queue rather than one range per worker: a fast server takes more
 * ranges, a slow one fewer, and the range of a worker that fails goes back
 * to the queue for the others at once.  At the end, when the queue is
 * empty, an idle worker runs the range of a straggler of another server
 * too (as MapReduce's backup tasks do): whichever finishes first cancels
 * the other, so a standby that hangs holds up nothing.
 *
 * A server that cannot be reached or loses its connection is tried again
 * a bounded number of times, then dropped; one whose statement fails for
 * any other reason that is not the rows' (its model file is missing or is
 * not the primary's, it has not replayed the table) is dropped at once.
 * An error that is about the data (an input too long for the context)
 * would happen anywhere: it fails the run, as it does without
 * --read-from.  Either way the rows not done stay NULL on the primary,
 * where llm-batch.c's final pass, or a rerun, finds them.
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch.h"

/* connection failures of a server in a row before it is dropped */
#define BATCH_SOURCE_RETRIES	3

/*
 * How long a worker waits for its standby to replay the job's start, in
 * seconds; LLM_BATCH_REPLAY_WAIT_SECONDS sets another.
 */
#define BATCH_REPLAY_WAIT		10.0

/* a write the primary refused for a deadlock or serialization: tries */
#define BATCH_WRITE_TRIES		3

/*
 * How a server's failed statement is handled: a lost connection is retried
 * on a new connection, a cancel or a conflict with recovery on the same
 * one (both a bounded number of times in a row: a statement_timeout on the
 * standby would cancel every chunk), an error about the rows fails the
 * run, anything else drops the server at once.  Dropping is never wrong,
 * only wasteful: an error that was the data's after all comes back in the
 * final pass on the primary and fails the run there.
 */
typedef enum FailKind
{
	FAIL_CONNECTION,
	FAIL_TRANSIENT,
	FAIL_DATA,
	FAIL_HOST
} FailKind;

/* How a worker's walk of a range ended. */
typedef enum WalkEnd
{
	WALK_FINISHED,				/* nothing left in it */
	WALK_LEFT,					/* stopped, or another worker finished it */
	WALK_SOURCE_ERROR,			/* its server's statement failed */
	WALK_PRIMARY_ERROR			/* the write failed */
} WalkEnd;

/*
 * "standby 1 (host=db2 port=5433)": the server's address as the connection
 * string gives it (the PG* environment for what it leaves out), never its
 * password.
 */
static char *
SourceName(const char *conninfo, int id)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	const char *host = NULL,
			   *port = NULL;
	char	   *name;

	for (PQconninfoOption *o = opts; o && o->keyword; o++)
	{
		if (o->val == NULL || o->val[0] == '\0')
			continue;
		if (strcmp(o->keyword, "host") == 0 || (strcmp(o->keyword, "hostaddr") == 0 && host == NULL))
			host = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
	}
	if (host == NULL)
		host = getenv("PGHOST");
	if (port == NULL)
		port = getenv("PGPORT");
	name = BatchPrintf("standby %d (host=%s port=%s)", id,
					   host && host[0] ? host : "(default)", port && port[0] ? port : "5432");
	PQconninfoFree(opts);
	return name;
}

/*
 * Cut the pending rows into ranges of --chunk rows (the key of every
 * chunk-th pending row is a boundary), queue them, and set the workers up.
 * The first range is open below and the last open above, so that rows
 * added during the run are in a range too.
 */
int
BatchFanoutPrepare(PGconn *primary, const BatchPlan *plan, BatchFanout *fan)
{
	const BatchOptions *opt = plan->opt;
	char		chunk[16];
	const char *params[1];
	char	   *sql;
	PGresult   *res;
	int			n;

	memset(fan, 0, sizeof(*fan));
	fan->plan = plan;
	sql = BatchPrintf("SELECT k::text, n FROM (SELECT %s AS k, row_number() OVER (ORDER BY %s) AS rn,"
					  " count(*) OVER () AS n FROM %s"
					  " WHERE %s IS NULL AND %s IS NOT NULL AND %s IS NOT NULL) s"
					  " WHERE rn %% $1::int = 0 OR rn = n ORDER BY rn",
					  plan->key, plan->key, plan->table, plan->output, plan->input, plan->key);
	snprintf(chunk, sizeof(chunk), "%d", opt->chunk);
	params[0] = chunk;
	res = PQexecParams(primary, sql, 1, NULL, params, NULL, NULL, 0);
	free(sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		char	   *msg = BatchResultError(primary, res);

		fprintf(stderr, "llm-batch: %s\n", msg);
		free(msg);
		PQclear(res);
		return BATCH_EXIT_FAILED;
	}
	n = PQntuples(res);
	fan->ranges = calloc(n > 0 ? n : 1, sizeof(BatchRange));
	fan->n_ranges = n;
	fan->total = n > 0 ? strtoll(PQgetvalue(res, 0, 1), NULL, 10) : 0;
	for (int i = n - 1; i >= 0; i--)
	{
		BatchRange *r = &fan->ranges[i];

		r->lower = i > 0 ? strdup(PQgetvalue(res, i - 1, 0)) : NULL;
		r->upper = i < n - 1 ? strdup(PQgetvalue(res, i, 0)) : NULL;
		r->state = BATCH_RANGE_QUEUED;
		r->next = fan->queue;
		fan->queue = r;
	}
	PQclear(res);

	/*
	 * Where the primary's WAL is now, after the rows were counted: a
	 * standby that has replayed this far sees every row counted.
	 */
	res = PQexec(primary, "SELECT pg_current_wal_insert_lsn()::text");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		char	   *msg = BatchResultError(primary, res);

		fprintf(stderr, "llm-batch: %s\n", msg);
		free(msg);
		PQclear(res);
		return BATCH_EXIT_FAILED;
	}
	fan->start_lsn = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);

	fan->n_sources = opt->n_read_from;
	fan->sources = calloc(fan->n_sources, sizeof(BatchSource));
	for (int i = 0; i < fan->n_sources; i++)
	{
		fan->sources[i].id = i + 1;
		fan->sources[i].conninfo = opt->read_from[i];
		fan->sources[i].name = SourceName(opt->read_from[i], i + 1);
	}

	/* the servers' first workers first, so that few ranges all start at once everywhere */
	fan->n_workers = fan->n_sources * opt->jobs;
	fan->workers = calloc(fan->n_workers, sizeof(BatchWorker));
	for (int i = 0; i < fan->n_workers; i++)
	{
		fan->workers[i].id = i + 1;
		fan->workers[i].fan = fan;
		fan->workers[i].source = &fan->sources[i % fan->n_sources];
		fan->workers[i].running = true;
	}
	return BATCH_EXIT_OK;
}

/*
 * Sleep up to seconds, less if a stop is asked for or (fan not NULL) the
 * work is all done: a worker waiting to retry its server must not hold up
 * the end of the run.
 */
static void
Nap(BatchFanout *fan, double seconds)
{
	double		until = BatchNow() + seconds;

	for (;;)
	{
		struct timespec nap = {0, 100 * 1000 * 1000};
		bool		stop;

		BatchLock();
		stop = BatchStopRequested() || (fan && fan->queue == NULL && fan->running == 0);
		BatchUnlock();
		if (stop || BatchNow() >= until)
			return;
		nanosleep(&nap, NULL);
	}
}

/*
 * Send a cancel from a thread of its own.  PQcancel waits for the server
 * to answer, and a server that hangs (stopped, or cut off without a reset)
 * never does: the caller, who may hold the lock, must not wait with it.
 * The handle must outlive the thread, so the workers' handles are never
 * freed (CloseConn): one small allocation per connection opened.
 */
static void *
CancelThread(void *arg)
{
	char		errbuf[256];

	PQcancel((PGcancel *) arg, errbuf, sizeof(errbuf));
	return NULL;
}

static void
CancelAsync(PGcancel *cancel)
{
	pthread_t	thread;
	pthread_attr_t attr;

	if (cancel == NULL)
		return;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* no thread, no cancel: the statement then just runs to its end */
	(void) pthread_create(&thread, &attr, CancelThread, cancel);
	pthread_attr_destroy(&attr);
}

/*
 * The next range for worker w (under the lock): the queue's first, else a
 * straggler of another server to run too, else NULL with *wait set if
 * ranges are still running (one may come back to the queue).
 *
 * A straggler is a range running more than twice as long as finished
 * ranges took on average (and more than a second): the other server is
 * slow or hangs, and w's would otherwise sit idle until the end.
 */
static BatchRange *
TakeRange(BatchFanout *fan, BatchWorker *w, bool *wait)
{
	BatchRange *r = fan->queue;
	BatchRange *best = NULL;
	double		now = BatchNow();
	double		slow;

	*wait = false;
	if (r != NULL)
	{
		fan->queue = r->next;
		r->next = NULL;
		r->state = BATCH_RANGE_RUNNING;
		fan->running++;
		r->holders = 1;
		r->owner = w->source->id;
		r->helped = false;
		r->taken = now;
		w->range = r;
		w->superseded = false;
		return r;
	}
	if (fan->running == 0)
		return NULL;
	slow = fan->ranges_timed > 0 ? 2 * fan->range_seconds / fan->ranges_timed : -1;
	if (slow >= 0 && slow < 1)
		slow = 1;
	for (int i = 0; i < fan->n_ranges; i++)
	{
		r = &fan->ranges[i];
		if (r->state != BATCH_RANGE_RUNNING)
			continue;
		*wait = true;
		if (slow >= 0 && !r->helped && r->owner != w->source->id && now - r->taken > slow &&
			(best == NULL || r->taken < best->taken))
			best = r;
	}
	if (best)
	{
		best->helped = true;
		best->holders++;
		w->range = best;
		w->superseded = false;
		if (!fan->plan->opt->quiet)
		{
			char	   *keys = BatchDescribeKeys(fan->plan, best->lower, best->upper);

			BatchMessage("standby %d has been on keys %s for %.0f s: %s runs them too",
						 best->owner, keys, now - best->taken, w->source->name);
			free(keys);
		}
	}
	return best;
}

/* w lets go of its range (under the lock); the last holder of an unfinished one queues it again. */
static void
ReleaseRange(BatchFanout *fan, BatchWorker *w)
{
	BatchRange *r = w->range;

	w->range = NULL;
	if (r == NULL)
		return;
	r->holders--;
	/* a helper that gave up: another may help */
	r->helped = r->helped && r->holders > 1;
	if (r->state == BATCH_RANGE_RUNNING && r->holders == 0)
	{
		r->state = BATCH_RANGE_QUEUED;
		fan->running--;
		r->next = fan->queue;
		fan->queue = r;
	}
}

/* w found nothing left in its range (under the lock): stop whoever else runs it. */
static void
FinishRange(BatchFanout *fan, BatchWorker *w)
{
	BatchRange *r = w->range;

	if (r->state != BATCH_RANGE_DONE)
	{
		r->state = BATCH_RANGE_DONE;
		fan->running--;
		fan->range_seconds += BatchNow() - r->taken;
		fan->ranges_timed++;
		for (int i = 0; i < fan->n_workers; i++)
		{
			BatchWorker *other = &fan->workers[i];

			if (other != w && other->range == r)
			{
				other->superseded = true;
				CancelAsync(other->cancel);
			}
		}
	}
	ReleaseRange(fan, w);
}

/* The run fails (under the lock): the first reason is kept, every worker stops. */
static void
FailRun(BatchFanout *fan, char *msg)
{
	if (fan->error == NULL)
		fan->error = msg;
	else
		free(msg);
	BatchRequestStop();
}

static FailKind
Classify(PGconn *conn, const char *sqlstate)
{
	/* also a model unloaded or a file changing under the call: try again */
	if (PQstatus(conn) == CONNECTION_BAD || sqlstate[0] == '\0' ||
		strncmp(sqlstate, "08", 2) == 0 || strncmp(sqlstate, "57P", 3) == 0 ||
		strcmp(sqlstate, "55000") == 0)
		return FAIL_CONNECTION;
	/* canceled (by us), or canceled for a conflict with recovery */
	if (strcmp(sqlstate, "57014") == 0 || strcmp(sqlstate, "40001") == 0 ||
		strcmp(sqlstate, "40P01") == 0)
		return FAIL_TRANSIENT;
	/* what llm_process also takes for a row's own failure */
	if (strncmp(sqlstate, "22", 2) == 0 || strcmp(sqlstate, "54000") == 0)
		return FAIL_DATA;
	return FAIL_HOST;
}

/*
 * w's server failed (under the lock).  Returns whether it is now dropped:
 * at once for a problem of that host, after BATCH_SOURCE_RETRIES failures
 * in a row (no chunk written between them) for the others.
 */
static bool
SourceFailed(BatchFanout *fan, BatchWorker *w, FailKind kind, const char *error)
{
	BatchSource *s = w->source;
	int			left = 0;

	if (s->dropped)
		return true;
	s->failures++;
	if (kind != FAIL_HOST && s->failures <= BATCH_SOURCE_RETRIES)
	{
		/* a cancel may be a late one of ours (FinishRange): not worth a line */
		if (kind == FAIL_CONNECTION)
			BatchMessage("%s: %s; trying again (%d of %d)", s->name, error, s->failures,
						 BATCH_SOURCE_RETRIES);
		return false;
	}
	s->dropped = true;
	for (int i = 0; i < fan->n_sources; i++)
		left += !fan->sources[i].dropped;
	BatchMessage("%s dropped%s: %s; %s", s->name,
				 kind != FAIL_HOST ? " after its retries" : "", error,
				 left > 0 ? "its ranges go to the other servers" :
				 "no --read-from server is left: the primary does the rest");
	return true;
}

/* A text[] literal of column col of res: each element quoted, NULL as NULL. */
static char *
ArrayLiteral(const PGresult *res, int col)
{
	char	   *out = NULL;
	size_t		size = 0;
	FILE	   *f = open_memstream(&out, &size);

	if (f == NULL)
	{
		fprintf(stderr, "llm-batch: out of memory\n");
		exit(BATCH_EXIT_FAILED);
	}
	fputc('{', f);
	for (int i = 0; i < PQntuples(res); i++)
	{
		if (i > 0)
			fputc(',', f);
		if (PQgetisnull(res, i, col))
		{
			fputs("NULL", f);
			continue;
		}
		fputc('"', f);
		for (const char *c = PQgetvalue(res, i, col); *c; c++)
		{
			if (*c == '"' || *c == '\\')
				fputc('\\', f);
			fputc(*c, f);
		}
		fputc('"', f);
	}
	fputc('}', f);
	if (fclose(f) != 0)
	{
		fprintf(stderr, "llm-batch: out of memory\n");
		exit(BATCH_EXIT_FAILED);
	}
	return out;
}

/*
 * The statement a server runs for one chunk: the next pending rows of the
 * range as it sees them, and the task's answers.  Parameters: $1 and $2 of
 * BatchTaskCall, then the key to start after and the upper bound, if any.
 * Returns key, answer and md5 of the input, in key order.
 */
static char *
ReadSql(const BatchPlan *p, bool have_after, bool have_upper)
{
	char	   *after = NULL,
			   *upper = NULL,
			   *sql;

	if (have_after)
		after = BatchPrintf("%s > $3::%s AND ", p->key, p->key_type);
	if (have_upper)
		upper = BatchPrintf("%s <= $%d::%s AND ", p->key, have_after ? 4 : 3, p->key_type);
	sql = BatchPrintf("WITH batch_todo AS ("
					  "SELECT %s AS k, %s::text AS i FROM %s"
					  " WHERE %s%s%s IS NULL AND %s IS NOT NULL AND %s IS NOT NULL"
					  " ORDER BY %s LIMIT %d),"
					  " batch_agg AS (SELECT array_agg(k ORDER BY k) AS ks, array_agg(i ORDER BY k) AS ins"
					  " FROM batch_todo HAVING count(*) > 0)"
					  " SELECT u.k::text, u.o, md5(u.i) FROM batch_agg,"
					  " unnest(batch_agg.ks, batch_agg.ins, %s) WITH ORDINALITY AS u(k, i, o, n)"
					  " ORDER BY u.n",
					  p->key, p->input, p->table,
					  after ? after : "", upper ? upper : "", p->output, p->input, p->key,
					  p->key, p->opt->chunk, BatchTaskCall(p));
	free(after);
	free(upper);
	return sql;
}

/*
 * The write of one chunk's answers on the primary: only into rows whose
 * output is still NULL (nothing is written twice: not by a worker that ran
 * a range again, nor over what another session wrote meanwhile) and whose
 * input is still the text the answer is for.  Returns the rows written.
 */
static char *
WriteSql(const BatchPlan *p)
{
	return BatchPrintf("WITH batch_upd AS (UPDATE %s AS batch_target SET %s = batch_res.o"
					   " FROM unnest($1::%s[], $2::text[], $3::text[]) AS batch_res(k, o, h)"
					   " WHERE batch_target.%s = batch_res.k AND batch_target.%s IS NULL"
					   " AND batch_res.o IS NOT NULL AND md5(batch_target.%s::text) = batch_res.h"
					   " RETURNING 1)"
					   " SELECT count(*) FROM batch_upd",
					   p->table, p->output, p->key_type, p->key, p->output, p->input);
}

/*
 * Wait until the server has replayed the primary's WAL up to the job's
 * start, so that it sees every row the ranges were cut from, for at most
 * BATCH_REPLAY_WAIT: a standby further behind goes on with what it has,
 * and the final pass on the primary does the rows it has not replayed.  A
 * server that is not in recovery has nothing to wait for.
 */
static void
WaitForReplay(BatchWorker *w, PGconn *conn)
{
	const char *params[1] = {w->fan->start_lsn};
	const char *env = getenv("LLM_BATCH_REPLAY_WAIT_SECONDS");
	double		wait = env && atof(env) >= 0 && env[0] ? atof(env) : BATCH_REPLAY_WAIT;
	double		until = BatchNow() + wait;

	for (;;)
	{
		PGresult   *res = PQexecParams(conn,
									   "SELECT pg_is_in_recovery() AND"
									   " coalesce(pg_last_wal_replay_lsn() < $1::pg_lsn, true)",
									   1, NULL, params, NULL, NULL, 0);
		bool		behind;
		bool		stop;

		/* an error here shows again, classified, at the range's first statement */
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
		{
			PQclear(res);
			return;
		}
		behind = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		PQclear(res);
		if (!behind)
			return;
		if (BatchNow() >= until)
		{
			char	   *msg = BatchPrintf("%s has not replayed the primary's WAL up to %s after %.0f s:"
										  " going on; the rows it has not replayed are done on the primary at the end",
										  w->source->name, w->fan->start_lsn, wait);

			BatchWarnOnce(msg);
			free(msg);
			return;
		}
		BatchLock();
		stop = BatchStopRequested();
		BatchUnlock();
		if (stop)
			return;
		Nap(NULL, 0.1);
	}
}

/*
 * Walk w's range, a chunk at a time, from where its last writer left it:
 * the server computes the answers, the primary takes them.  On an error,
 * *error and sqlstate say what failed.
 */
static WalkEnd
WalkRange(BatchWorker *w, PGconn *conn, PGconn *primary, char **error, char *sqlstate)
{
	BatchFanout *fan = w->fan;
	const BatchPlan *p = fan->plan;
	const BatchOptions *opt = p->opt;
	BatchRange *r = w->range;
	char		task_arg[16];
	char	   *after;
	char	   *read_sql[2];
	char	   *write_sql = WriteSql(p);
	WalkEnd		end = WALK_FINISHED;

	BatchTaskArg(opt, task_arg, sizeof(task_arg));
	BatchLock();
	after = r->after ? strdup(r->after) : r->lower ? strdup(r->lower) : NULL;
	BatchUnlock();
	read_sql[0] = ReadSql(p, false, r->upper != NULL);
	read_sql[1] = ReadSql(p, true, r->upper != NULL);

	for (;;)
	{
		const char *params[4];
		const char *wparams[3];
		int			n_params = 2;
		PGresult   *res,
				   *wres = NULL;
		int			n;
		int64_t		written;
		bool		leave;

		BatchLock();
		leave = BatchStopRequested() || w->superseded || r->state == BATCH_RANGE_DONE;
		BatchUnlock();
		if (leave)
		{
			end = WALK_LEFT;
			break;
		}

		params[0] = opt->model;
		params[1] = opt->task == BATCH_CLASSIFY ? p->labels : task_arg;
		if (after)
			params[n_params++] = after;
		if (r->upper)
			params[n_params++] = r->upper;
		res = BatchExec(conn, read_sql[after != NULL], n_params, params, error, sqlstate);
		if (res == NULL)
		{
			/* canceled because another worker finished the range: not a failure */
			BatchLock();
			leave = w->superseded || r->state == BATCH_RANGE_DONE;
			BatchUnlock();
			if (leave && strcmp(sqlstate, "57014") == 0)
			{
				free(*error);
				*error = NULL;
				end = WALK_LEFT;
			}
			else
				end = WALK_SOURCE_ERROR;
			break;
		}
		n = PQntuples(res);
		if (n == 0)
		{
			PQclear(res);
			break;
		}

		wparams[0] = ArrayLiteral(res, 0);
		wparams[1] = ArrayLiteral(res, 1);
		wparams[2] = ArrayLiteral(res, 2);
		for (int attempt = 1; attempt <= BATCH_WRITE_TRIES; attempt++)
		{
			wres = BatchExec(primary, write_sql, 3, wparams, error, sqlstate);
			if (wres != NULL || attempt == BATCH_WRITE_TRIES ||
				(strcmp(sqlstate, "40P01") != 0 && strcmp(sqlstate, "40001") != 0))
				break;
			free(*error);
			*error = NULL;
		}
		for (int i = 0; i < 3; i++)
			free((char *) wparams[i]);
		if (wres == NULL)
		{
			PQclear(res);
			end = WALK_PRIMARY_ERROR;
			break;
		}
		written = strtoll(PQgetvalue(wres, 0, 0), NULL, 10);
		PQclear(wres);

		free(after);
		after = strdup(PQgetvalue(res, n - 1, 0));
		PQclear(res);
		BatchLock();
		w->done += written;
		w->source->done += written;
		w->source->failures = 0;
		free(r->after);
		r->after = strdup(after);
		BatchUnlock();
		/* fewer than a chunk: the range has nothing more pending on this server */
		if (n < opt->chunk)
			break;
	}
	free(after);
	free(read_sql[0]);
	free(read_sql[1]);
	free(write_sql);
	return end;
}

/*
 * Close a connection whose cancel handle other threads may use.  The
 * handle is not freed: a cancel thread may still hold it (CancelAsync).
 */
static void
CloseConn(PGconn **conn, PGcancel **cancel)
{
	BatchLock();
	*cancel = NULL;
	BatchUnlock();
	PQfinish(*conn);
	*conn = NULL;
}

/* error, with the FATAL message the server sent before closing, if any */
static char *
WithFatal(char *error, char **fatal)
{
	char	   *both;

	if (*fatal == NULL || strstr(error, *fatal) != NULL)
		return error;
	both = BatchPrintf("%s; then: %s", *fatal, error);
	free(error);
	free(*fatal);
	*fatal = NULL;
	return both;
}

/*
 * One worker: take a range, walk it on the server, give it back or finish
 * it, until the queue is empty and nothing is running, the server is
 * dropped, or the run stops.  Its two connections are opened when first
 * needed, the server's again after a failure.
 */
static void *
WorkerMain(void *arg)
{
	BatchWorker *w = arg;
	BatchFanout *fan = w->fan;
	BatchSource *s = w->source;
	const BatchPlan *p = fan->plan;
	PGconn	   *conn = NULL,
			   *primary = NULL;

	for (;;)
	{
		char	   *error = NULL;
		char		sqlstate[6] = "";
		char	   *keys;
		bool		wait,
					dropped;
		int			backoff = 0;
		BatchRange *r;
		WalkEnd		end;
		FailKind	kind;

		BatchLock();
		if (BatchStopRequested() || s->dropped)
		{
			BatchUnlock();
			break;
		}
		r = TakeRange(fan, w, &wait);
		BatchUnlock();
		if (r == NULL)
		{
			if (!wait)
				break;
			Nap(NULL, 0.1);
			continue;
		}

		if (conn == NULL)
		{
			PGcancel   *cancel;

			conn = BatchConnect(s->conninfo, &w->fatal, &error);
			if (conn == NULL)
			{
				BatchLock();
				ReleaseRange(fan, w);
				dropped = SourceFailed(fan, w, FAIL_CONNECTION, error);
				backoff = s->failures;
				BatchUnlock();
				free(error);
				/* the range is back in the queue: the others go on meanwhile */
				if (!dropped)
					Nap(fan, backoff);
				continue;
			}
			cancel = PQgetCancel(conn);
			BatchLock();
			w->cancel = cancel;
			BatchUnlock();
			WaitForReplay(w, conn);
		}
		if (primary == NULL)
		{
			PGcancel   *cancel;

			primary = BatchConnect(p->opt->conninfo, &w->primary_fatal, &error);
			if (primary == NULL)
			{
				BatchLock();
				ReleaseRange(fan, w);
				FailRun(fan, BatchPrintf("could not connect to the primary: %s", error));
				BatchUnlock();
				free(error);
				break;
			}
			cancel = PQgetCancel(primary);
			BatchLock();
			w->primary_cancel = cancel;
			BatchUnlock();
		}

		end = WalkRange(w, conn, primary, &error, sqlstate);
		BatchLock();
		if (end == WALK_FINISHED)
			FinishRange(fan, w);
		else
			ReleaseRange(fan, w);
		BatchUnlock();
		if (end == WALK_FINISHED || end == WALK_LEFT)
			continue;

		keys = BatchDescribeKeys(p, r->lower, r->upper);
		if (end == WALK_PRIMARY_ERROR)
		{
			error = WithFatal(error, &w->primary_fatal);
			BatchLock();
			FailRun(fan, BatchPrintf("writing the answers of %s (keys: %s) to the primary failed: %s",
									 s->name, keys, error));
			BatchUnlock();
			free(keys);
			free(error);
			break;
		}

		error = WithFatal(error, &w->fatal);
		kind = Classify(conn, sqlstate);
		BatchLock();
		if (BatchStopRequested())
			dropped = false;	/* a cancel of ours, or the run is ending anyway */
		else if (kind == FAIL_DATA)
		{
			FailRun(fan, BatchPrintf("%s (keys: %s) failed: %s", s->name, keys, error));
			dropped = true;
		}
		else
			dropped = SourceFailed(fan, w, kind, error);
		backoff = s->failures;
		BatchUnlock();
		free(keys);
		free(error);
		if (kind == FAIL_CONNECTION || dropped)
			CloseConn(&conn, &w->cancel);
		if (dropped)
			break;
		if (kind == FAIL_CONNECTION)
			Nap(fan, backoff);
	}

	if (conn)
		CloseConn(&conn, &w->cancel);
	if (primary)
		CloseConn(&primary, &w->primary_cancel);
	BatchLock();
	w->running = false;
	BatchUnlock();
	return NULL;
}

/* Start the workers (the caller blocks the signals). */
void
BatchFanoutStart(BatchFanout *fan)
{
	for (int i = 0; i < fan->n_workers; i++)
	{
		if (pthread_create(&fan->workers[i].thread, NULL, WorkerMain, &fan->workers[i]) != 0)
		{
			fprintf(stderr, "llm-batch: could not start worker %d\n", i + 1);
			exit(BATCH_EXIT_FAILED);
		}
	}
}

/* Rows written so far, and *running the workers still at it (under the lock). */
int64_t
BatchFanoutDone(BatchFanout *fan, int *running)
{
	int64_t		done = 0;

	*running = 0;
	for (int i = 0; i < fan->n_workers; i++)
	{
		done += fan->workers[i].done;
		*running += fan->workers[i].running;
	}
	return done;
}

/* Cancel every running statement, on the servers and the primary (a second Ctrl-C). */
void
BatchFanoutCancel(BatchFanout *fan)
{
	BatchLock();
	for (int i = 0; i < fan->n_workers; i++)
	{
		CancelAsync(fan->workers[i].cancel);
		CancelAsync(fan->workers[i].primary_cancel);
	}
	BatchUnlock();
}

/*
 * Is there nothing left for the workers to do (under the lock)?  Every
 * range is finished, though a worker may still wait for a statement whose
 * range another worker finished: on a server that hangs, it may wait for
 * ever, and the run need not.
 */
bool
BatchFanoutSettled(BatchFanout *fan)
{
	return fan->queue == NULL && fan->running == 0;
}

/*
 * Wait for the workers that have stopped; one still waiting for a server
 * that does not answer is left behind (whatever it might still write is
 * guarded as every write is, and leaving the process ends it).
 */
void
BatchFanoutJoin(BatchFanout *fan)
{
	for (int i = 0; i < fan->n_workers; i++)
	{
		bool		running;

		BatchLock();
		running = fan->workers[i].running;
		BatchUnlock();
		if (!running)
			pthread_join(fan->workers[i].thread, NULL);
	}
}
