/*-------------------------------------------------------------------------
 *
 * batch_job.c
 *	  llm-batch: the table and its key, the key ranges, and the jobs.
 *
 * Each job owns a range of keys (lower, upper] and one connection.  It
 * walks its range in key order, a chunk at a time; one statement per chunk
 * picks the next rows whose output is NULL, runs the array form of the
 * task's function on their inputs and writes the answers, and autocommit
 * makes that chunk durable.  The statement returns the chunk's last key,
 * where the next chunk starts.  Because only rows whose output is still
 * NULL are ever picked, a run that dies anywhere leaves finished chunks
 * finished, and a rerun carries on from there.
 *
 * Keys are passed as text and compared in the column's own type
 * ($1::keytype), so any type with a btree ordering works and the server
 * decides the order, not us.
 *
 * Rows are locked with SKIP LOCKED, so that two runs on one table share the
 * work instead of queueing behind each other.  A row skipped that way is
 * not lost: when a job reaches the end of its range it walks the range once
 * more without SKIP LOCKED, which waits for whoever holds a pending row
 * (another run, or the backend of a run just killed, still finishing its
 * chunk) and then sees whether that session wrote it.
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"

/*
 * Messages the server sends outside a query's result.  libpq would print
 * them all to stderr, once per chunk for a notice a function raises on
 * every call; warnings are shown once each instead, and the rest dropped.
 * A FATAL message is what a server shutting down says before it closes
 * the connection (the query then fails with only "server closed the
 * connection"): the job keeps it for its error message.
 */
static void
NoticeReceiver(void *arg, const PGresult *res)
{
	char	  **fatal = arg;
	const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	char	   *msg;

	if (severity == NULL)
		return;
	if (strcmp(severity, "FATAL") == 0 || strcmp(severity, "PANIC") == 0)
	{
		if (fatal == NULL)
			return;
		free(*fatal);
		*fatal = BatchResultError(NULL, res);
	}
	else if (strcmp(severity, "WARNING") == 0)
	{
		msg = BatchResultError(NULL, res);
		BatchWarnOnce(msg);
		free(msg);
	}
}

/*
 * A connection.  CONNINFO may be a string or a URI.  The FATAL message the
 * server sends before it closes the connection goes to *fatal (NULL: not
 * kept), which belongs to the thread using the connection.
 */
PGconn *
BatchConnect(const char *conninfo, char **fatal, char **error)
{
	const char *const keywords[] = {"dbname", "fallback_application_name", NULL};
	const char *const values[] = {conninfo, "llm-batch", NULL};
	PGconn	   *conn;

	conn = PQconnectdbParams(keywords, values, 1);
	if (conn == NULL)
	{
		*error = BatchPrintf("out of memory");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK)
	{
		*error = BatchResultError(conn, NULL);
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeReceiver(conn, NoticeReceiver, fatal);
	return conn;
}

/* Collapse libpq's multi-line messages into one line, without the final newline. */
static char *
OneLine(const char *msg)
{
	char	   *s = strdup(msg ? msg : "");
	char	   *w = s;

	for (const char *r = s; *r; r++)
	{
		if (*r == '\n' || *r == '\t')
		{
			if (w > s && w[-1] != ' ')
				*w++ = ' ';
			continue;
		}
		*w++ = *r;
	}
	while (w > s && w[-1] == ' ')
		w--;
	*w = '\0';
	return s;
}

/*
 * The server's error as one line: severity, message, SQLSTATE, then detail
 * and hint.  Errors libpq makes itself (a connection lost) have no fields,
 * only a message.
 */
char *
BatchResultError(PGconn *conn, const PGresult *res)
{
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *severity,
			   *sqlstate,
			   *detail,
			   *hint;
	char	   *text,
			   *out;

	if (primary == NULL)
	{
		const char *msg = res ? PQresultErrorMessage(res) : NULL;

		if ((msg == NULL || msg[0] == '\0') && conn)
			msg = PQerrorMessage(conn);
		return OneLine(msg);
	}
	severity = PQresultErrorField(res, PG_DIAG_SEVERITY);
	sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	text = OneLine(primary);
	out = BatchPrintf("%s%s%s (SQLSTATE %s)%s%s%s%s",
					  severity ? severity : "", severity ? ":  " : "", text,
					  sqlstate ? sqlstate : "?????",
					  detail ? "; DETAIL: " : "", detail ? detail : "",
					  hint ? "; HINT: " : "", hint ? hint : "");
	free(text);
	return out;
}

static char *
EscapeIdentifier(PGconn *conn, const char *name, size_t len)
{
	char	   *e = PQescapeIdentifier(conn, name, len);
	char	   *copy;

	if (e == NULL)
	{
		fprintf(stderr, "llm-batch: %s\n", PQerrorMessage(conn));
		exit(BATCH_EXIT_FAILED);
	}
	copy = strdup(e);
	PQfreemem(e);
	return copy;
}

/* A text[] literal of the labels: each element double-quoted, " and \ escaped. */
static char *
LabelsLiteral(char **labels, int n)
{
	size_t		size = 3;
	char	   *out,
			   *w;

	for (int i = 0; i < n; i++)
		size += 2 * strlen(labels[i]) + 3;
	out = w = malloc(size);
	*w++ = '{';
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			*w++ = ',';
		*w++ = '"';
		for (const char *r = labels[i]; *r; r++)
		{
			if (*r == '"' || *r == '\\')
				*w++ = '\\';
			*w++ = *r;
		}
		*w++ = '"';
	}
	*w++ = '}';
	*w = '\0';
	return out;
}

static int
QueryFailed(PGconn *conn, PGresult *res, const char *what)
{
	char	   *msg = BatchResultError(conn, res);

	fprintf(stderr, "llm-batch: %s\n", msg);
	free(msg);
	PQclear(res);
	return BATCH_EXIT_FAILED;
}

/*
 * Look the table and columns up, and check the key is usable: the names
 * given are escaped as they are (so they are exact, case included), the
 * server reports a missing table or column in its own words, and the table
 * is then named schema-qualified so that no search_path or name in our
 * statements can change what it means.
 */
int
BatchPrepare(PGconn *conn, const BatchOptions *opt, BatchPlan *plan)
{
	const char *dot = strchr(opt->table, '.');
	char	   *given,
			   *sql;
	const char *params[2];
	PGresult   *res;

	memset(plan, 0, sizeof(*plan));
	plan->opt = opt;
	plan->key = EscapeIdentifier(conn, opt->key, strlen(opt->key));
	plan->input = EscapeIdentifier(conn, opt->input, strlen(opt->input));
	plan->output = EscapeIdentifier(conn, opt->output, strlen(opt->output));
	if (dot)
	{
		char	   *schema = EscapeIdentifier(conn, opt->table, dot - opt->table);
		char	   *rel = EscapeIdentifier(conn, dot + 1, strlen(dot + 1));

		given = BatchPrintf("%s.%s", schema, rel);
		free(schema);
		free(rel);
	}
	else
		given = EscapeIdentifier(conn, opt->table, strlen(opt->table));

	/* the server's own errors for a missing table, column or privilege */
	sql = BatchPrintf("SELECT %s, %s, %s FROM %s LIMIT 0",
					  plan->key, plan->input, plan->output, given);
	res = PQexec(conn, sql);
	free(sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return QueryFailed(conn, res, opt->table);
	PQclear(res);

	/*
	 * The key must be unique: the chunk's UPDATE finds its rows by key, and
	 * a chunk ends at a key, so two rows sharing one would be written with
	 * one answer, or one of them skipped.  A single-column unique index
	 * (what a primary key has) guarantees it and makes each chunk an index
	 * range scan.
	 */
	params[0] = given;
	params[1] = opt->key;
	res = PQexecParams(conn,
					   "SELECT n.nspname, c.relname, format_type(a.atttypid, NULL),"
					   " EXISTS (SELECT FROM pg_index i WHERE i.indrelid = c.oid"
					   "   AND i.indisunique AND i.indisvalid AND i.indnkeyatts = 1"
					   "   AND i.indkey[0] = a.attnum AND i.indpred IS NULL)"
					   " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
					   " JOIN pg_attribute a ON a.attrelid = c.oid"
					   " WHERE c.oid = $1::regclass AND a.attname = $2"
					   " AND a.attnum > 0 AND NOT a.attisdropped",
					   2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return QueryFailed(conn, res, opt->table);
	if (PQntuples(res) != 1)
	{
		fprintf(stderr, "llm-batch: --key %s is not an ordinary column of table %s\n",
				opt->key, opt->table);
		PQclear(res);
		return BATCH_EXIT_FAILED;
	}
	if (strcmp(PQgetvalue(res, 0, 3), "t") != 0)
	{
		fprintf(stderr,
				"llm-batch: key column %s of table %s has no unique index: llm-batch needs a unique key\n"
				"(a primary key, or a unique index on that column alone)\n",
				plan->key, given);
		PQclear(res);
		return BATCH_EXIT_FAILED;
	}
	{
		char	   *schema = EscapeIdentifier(conn, PQgetvalue(res, 0, 0), PQgetlength(res, 0, 0));
		char	   *rel = EscapeIdentifier(conn, PQgetvalue(res, 0, 1), PQgetlength(res, 0, 1));

		plan->table = BatchPrintf("%s.%s", schema, rel);
		free(schema);
		free(rel);
	}
	plan->key_type = strdup(PQgetvalue(res, 0, 2));
	PQclear(res);
	free(given);

	if (opt->task == BATCH_CLASSIFY)
		plan->labels = LabelsLiteral(opt->labels, opt->n_labels);
	return BATCH_EXIT_OK;
}

/*
 * Split the pending rows into at most n_jobs ranges of equal row counts
 * (ntile over the keys), once, at the start: each range is then one job's
 * alone.  The first range is open below and the last open above, so rows
 * added while the run goes on are covered too.
 */
int
BatchSplit(PGconn *conn, const BatchPlan *plan, BatchJob **jobs_out, int *n_jobs,
		   int64_t *total)
{
	char	   *sql;
	char		n_str[16];
	const char *params[1];
	PGresult   *res;
	BatchJob   *jobs;
	int			n;

	sql = BatchPrintf("WITH s AS (SELECT %s AS k, row_number() OVER w AS rn, ntile($1::int) OVER w AS t"
					  " FROM %s WHERE %s IS NULL AND %s IS NOT NULL AND %s IS NOT NULL"
					  " WINDOW w AS (ORDER BY %s)),"
					  " b AS (SELECT t, max(rn) AS last, count(*) AS n FROM s GROUP BY t)"
					  " SELECT s.k::text, b.n FROM b JOIN s ON s.rn = b.last ORDER BY b.t",
					  plan->key, plan->table, plan->output, plan->input, plan->key, plan->key);
	snprintf(n_str, sizeof(n_str), "%d", plan->opt->jobs);
	params[0] = n_str;
	res = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0);
	free(sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return QueryFailed(conn, res, plan->opt->table);

	n = PQntuples(res);
	jobs = calloc(n > 0 ? n : 1, sizeof(BatchJob));
	*total = 0;
	for (int i = 0; i < n; i++)
	{
		jobs[i].id = i + 1;
		jobs[i].plan = plan;
		jobs[i].lower = i > 0 ? strdup(PQgetvalue(res, i - 1, 0)) : NULL;
		jobs[i].upper = i < n - 1 ? strdup(PQgetvalue(res, i, 0)) : NULL;
		jobs[i].pending = strtoll(PQgetvalue(res, i, 1), NULL, 10);
		jobs[i].state = BATCH_JOB_RUNNING;
		*total += jobs[i].pending;
	}
	PQclear(res);
	*jobs_out = jobs;
	*n_jobs = n;
	return BATCH_EXIT_OK;
}

/* value as a SQL string literal */
char *
BatchLiteral(const char *value)
{
	char	   *out = malloc(2 * strlen(value) + 3);
	char	   *w = out;

	*w++ = '\'';
	for (const char *r = value; *r; r++)
	{
		if (*r == '\'')
			*w++ = '\'';
		*w++ = *r;
	}
	*w++ = '\'';
	*w = '\0';
	return out;
}

/* Keys > lower and <= upper as a condition one can paste into a WHERE clause. */
char *
BatchDescribeKeys(const BatchPlan *plan, const char *lower, const char *upper)
{
	const char *key = plan->key;
	char	   *lo = lower ? BatchLiteral(lower) : NULL;
	char	   *hi = upper ? BatchLiteral(upper) : NULL;
	char	   *out;

	if (lo && hi)
		out = BatchPrintf("%s > %s AND %s <= %s", key, lo, key, hi);
	else if (lo)
		out = BatchPrintf("%s > %s", key, lo);
	else if (hi)
		out = BatchPrintf("%s <= %s", key, hi);
	else
		out = BatchPrintf("all");
	free(lo);
	free(hi);
	return out;
}

/* The job's range, as BatchDescribeKeys. */
char *
BatchDescribeRange(const BatchJob *job)
{
	return BatchDescribeKeys(job->plan, job->lower, job->upper);
}

/*
 * The array form of the task's function over batch_agg.ins.  Parameters:
 * $1 the model (NULL: the server's default), $2 the task's argument
 * (labels, max_words or max_tokens: BatchTaskArg).
 */
const char *
BatchTaskCall(const BatchPlan *plan)
{
	switch (plan->opt->task)
	{
		case BATCH_CLASSIFY:
			return "llm_classify(batch_agg.ins, $2::text[], $1::text)";
		case BATCH_SUMMARIZE:
			return "llm_summarize(batch_agg.ins, $1::text, $2::int)";
		default:
			return "llm_generate(batch_agg.ins, $1::text, $2::int)";
	}
}

/* $2 of BatchTaskCall for summarize and generate; classify passes the labels */
void
BatchTaskArg(const BatchOptions *opt, char *buf, size_t size)
{
	snprintf(buf, size, "%d", opt->task == BATCH_SUMMARIZE ? opt->max_words : opt->max_tokens);
}

/*
 * The statement that does one chunk.  Parameters: $1 and $2 those of
 * BatchTaskCall, then the key to start after, if any, and the range's upper
 * bound, if any.  It returns the chunk's last key and its row count, or no
 * row when the range has nothing left.
 *
 * HAVING keeps the model from being called at all for an empty chunk.
 * Inputs go to the function as text[], whatever the column's string type.
 */
static char *
ChunkSql(const BatchJob *job, bool have_after, bool skip_locked)
{
	const BatchPlan *p = job->plan;
	const char *func = BatchTaskCall(p);
	char	   *after = NULL,
			   *upper = NULL,
			   *sql;

	if (have_after)
		after = BatchPrintf("%s > $3::%s AND ", p->key, p->key_type);
	if (job->upper)
		upper = BatchPrintf("%s <= $%d::%s AND ", p->key, have_after ? 4 : 3, p->key_type);

	sql = BatchPrintf("WITH batch_todo AS ("
					  "SELECT %s AS k, %s::text AS i FROM %s"
					  " WHERE %s%s%s IS NULL AND %s IS NOT NULL AND %s IS NOT NULL"
					  " ORDER BY %s LIMIT %d FOR UPDATE%s),"
					  " batch_agg AS (SELECT array_agg(k ORDER BY k) AS ks, array_agg(i ORDER BY k) AS ins"
					  " FROM batch_todo HAVING count(*) > 0),"
					  " batch_res AS (SELECT u.k, u.o FROM batch_agg, unnest(batch_agg.ks, %s) AS u(k, o)),"
					  " batch_upd AS (UPDATE %s AS batch_target SET %s = batch_res.o FROM batch_res"
					  " WHERE batch_target.%s = batch_res.k RETURNING batch_target.%s AS k)"
					  " SELECT k::text, count(*) OVER () FROM batch_upd ORDER BY k DESC LIMIT 1",
					  p->key, p->input, p->table,
					  after ? after : "", upper ? upper : "", p->output, p->input, p->key,
					  p->key, p->opt->chunk, skip_locked ? " SKIP LOCKED" : "",
					  func,
					  p->table, p->output,
					  p->key, p->key);
	free(after);
	free(upper);
	return sql;
}

/*
 * Run one statement and return its result, or NULL with *error set and
 * sqlstate (6 bytes, NULL: not wanted) the first error's SQLSTATE, "" for
 * an error libpq made itself (a connection lost).  Every result is read,
 * not just the last as PQexecParams keeps: when the server shuts down
 * mid-statement, the first is its reason and SQLSTATE ("FATAL: terminating
 * connection due to administrator command", 57P01) and the last only
 * libpq's "server closed the connection unexpectedly".
 */
PGresult *
BatchExec(PGconn *conn, const char *sql, int n_params, const char *const *params, char **error,
		  char *sqlstate)
{
	PGresult   *res,
			   *ok = NULL;
	char	   *err = NULL;

	if (sqlstate)
		sqlstate[0] = '\0';
	if (!PQsendQueryParams(conn, sql, n_params, NULL, params, NULL, NULL, 0))
	{
		*error = BatchResultError(conn, NULL);
		return NULL;
	}
	while ((res = PQgetResult(conn)) != NULL)
	{
		if (PQresultStatus(res) == PGRES_TUPLES_OK && ok == NULL)
		{
			ok = res;
			continue;
		}
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
		{
			char	   *msg = BatchResultError(conn, res);
			const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

			if (err == NULL)
			{
				err = msg;
				if (sqlstate && state)
					snprintf(sqlstate, 6, "%s", state);
			}
			else
			{
				char	   *both = BatchPrintf("%s; then: %s", err, msg);

				free(err);
				free(msg);
				err = both;
			}
		}
		PQclear(res);
	}
	if (err == NULL && ok == NULL)
		err = BatchResultError(conn, NULL);
	if (err)
	{
		PQclear(ok);
		*error = err;
		return NULL;
	}
	return ok;
}

static void
JobFail(BatchJob *job, const char *msg)
{
	char	   *range = BatchDescribeRange(job);
	char	   *last;

	BatchLock();
	last = job->last ? BatchLiteral(job->last) : NULL;
	free(job->error);
	job->error = BatchPrintf("job %d (keys: %s) failed %s%s: %s", job->id, range,
							 last ? "after key " : "before its first chunk",
							 last ? last : "", msg);
	job->state = BATCH_JOB_FAILED;
	/* the others finish their current chunk and stop: see BatchJobMain */
	BatchRequestStop();
	BatchUnlock();
	free(last);
	free(range);
}

/*
 * One job: its own connection, then its range chunk by chunk: a pass with
 * SKIP LOCKED, then a pass that waits for rows others hold (see the top of
 * the file).  The stop flag is looked at between chunks only: a chunk that
 * started is finished and committed.
 */
void *
BatchJobMain(void *arg)
{
	BatchJob   *job = arg;
	const BatchPlan *p = job->plan;
	const BatchOptions *opt = p->opt;
	char		task_arg[16];
	char	   *error = NULL;
	bool		finished = false;
	PGconn	   *conn;
	PGcancel   *cancel;

	conn = BatchConnect(opt->conninfo, &job->fatal, &error);
	if (conn == NULL)
	{
		JobFail(job, error);
		free(error);
		return NULL;
	}
	cancel = PQgetCancel(conn);
	BatchLock();
	job->cancel = cancel;
	BatchUnlock();

	BatchTaskArg(opt, task_arg, sizeof(task_arg));

	for (int pass = 0; pass < 2 && error == NULL; pass++)
	{
		char	   *after = job->lower ? strdup(job->lower) : NULL;

		for (;;)
		{
			const char *params[4];
			int			n_params = 2;
			char	   *sql;
			PGresult   *res;
			bool		stop;

			BatchLock();
			stop = BatchStopRequested();
			BatchUnlock();
			if (stop)
				break;

			params[0] = opt->model;
			params[1] = opt->task == BATCH_CLASSIFY ? p->labels : task_arg;
			if (after)
				params[n_params++] = after;
			if (job->upper)
				params[n_params++] = job->upper;
			sql = ChunkSql(job, after != NULL, pass == 0);
			res = BatchExec(conn, sql, n_params, params, &error, NULL);
			free(sql);
			if (res == NULL)
				break;
			if (PQntuples(res) == 0)
			{
				PQclear(res);
				/* nothing left in the range: after the second pass, done */
				finished = pass == 1;
				break;
			}
			free(after);
			after = strdup(PQgetvalue(res, 0, 0));
			BatchLock();
			job->done += strtoll(PQgetvalue(res, 0, 1), NULL, 10);
			free(job->last);
			job->last = strdup(after);
			BatchUnlock();
			PQclear(res);
		}
		free(after);
	}

	if (error)
	{
		if (job->fatal && strstr(error, job->fatal) == NULL)
		{
			char	   *both = BatchPrintf("%s; then: %s", job->fatal, error);

			free(error);
			error = both;
		}
		JobFail(job, error);
		free(error);
	}
	BatchLock();
	if (job->state == BATCH_JOB_RUNNING)
		job->state = finished ? BATCH_JOB_DONE : BATCH_JOB_STOPPED;
	job->cancel = NULL;
	BatchUnlock();
	PQfreeCancel(cancel);
	PQfinish(conn);
	return NULL;
}
