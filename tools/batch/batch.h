/*-------------------------------------------------------------------------
 *
 * batch.h
 *	  llm-batch: fill a table's output column from its input column with the
 *	  extension's array functions, over several libpq connections at once.
 *
 * llm-batch.c reads the options, starts the jobs, draws progress and
 * handles signals; batch_job.c looks the table up, splits the pending keys
 * into ranges and runs one job (a thread with its own connection) per
 * range; batch_fanout.c runs the inference on hot standbys (--read-from)
 * and writes the answers to the primary.  Only libpq is used: no
 * PostgreSQL server header.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_TOOLS_BATCH_H
#define LLM_TOOLS_BATCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

/* exit statuses */
#define BATCH_EXIT_OK		0
#define BATCH_EXIT_FAILED	1
#define BATCH_EXIT_USAGE	2

typedef enum BatchTask
{
	BATCH_CLASSIFY,
	BATCH_SUMMARIZE,
	BATCH_GENERATE
} BatchTask;

typedef struct BatchOptions
{
	const char *conninfo;
	const char *table;			/* [SCHEMA.]TABLE, taken literally */
	const char *key;
	const char *input;
	const char *output;
	BatchTask	task;
	char	  **labels;			/* classify: the labels, n_labels of them */
	int			n_labels;
	const char *model;			/* NULL: the server's default model */
	const char **read_from;		/* --read-from: where inference runs */
	int			n_read_from;
	int			jobs;			/* per server: the primary, or each of read_from */
	int			chunk;
	int			max_tokens;
	int			max_words;
	bool		quiet;
} BatchOptions;

/*
 * What every job needs to build its statements, worked out once by
 * BatchPrepare: identifiers already escaped, the table schema-qualified.
 */
typedef struct BatchPlan
{
	const BatchOptions *opt;
	char	   *table;			/* "schema"."table" */
	char	   *key;			/* escaped column names */
	char	   *input;
	char	   *output;
	char	   *key_type;		/* format_type() of the key column */
	char	   *labels;			/* classify: the labels as a text[] literal */
} BatchPlan;

/* What a job is doing, as the main thread sees it. */
typedef enum BatchJobState
{
	BATCH_JOB_RUNNING,
	BATCH_JOB_DONE,				/* its range is finished */
	BATCH_JOB_STOPPED,			/* asked to stop: left the rest for a rerun */
	BATCH_JOB_FAILED			/* error: see error */
} BatchJobState;

typedef struct BatchJob
{
	int			id;				/* 1-based, as printed */
	const BatchPlan *plan;

	/* the range: keys > lower and <= upper; NULL means unbounded */
	char	   *lower;
	char	   *upper;
	int64_t		pending;		/* pending rows in it at the start */

	pthread_t	thread;

	/* the connection's last FATAL message, which arrives before it closes */
	char	   *fatal;

	/* the rest is shared with the main thread: under BatchLock() */
	BatchJobState state;
	int64_t		done;			/* rows written by this run */
	char	   *last;			/* last key written, NULL before the first */
	char	   *error;			/* the failure, malloc'd */
	PGcancel   *cancel;			/* to cancel the running chunk */
} BatchJob;

/*
 * The fan-out (--read-from): the pending keys cut into ranges of about
 * --chunk rows, a queue of them, and workers that each take a range,
 * run its inference on their server and write the answers to the primary.
 */
typedef enum BatchRangeState
{
	BATCH_RANGE_QUEUED,
	BATCH_RANGE_RUNNING,
	BATCH_RANGE_DONE
} BatchRangeState;

typedef struct BatchRange
{
	char	   *lower;			/* keys > lower and <= upper; NULL: unbounded */
	char	   *upper;
	char	   *after;			/* the last key written, NULL: none yet */
	BatchRangeState state;
	int			holders;		/* workers on it now */
	int			owner;			/* source id of its first holder */
	bool		helped;			/* a worker of another source runs it too */
	double		taken;			/* when its first holder took it */
	struct BatchRange *next;	/* in the queue */
} BatchRange;

/* A --read-from server. */
typedef struct BatchSource
{
	int			id;				/* 1-based, as printed */
	const char *conninfo;
	char	   *name;			/* "standby 1 (host=... port=...)", no password */
	/* under BatchLock() */
	int			failures;		/* failed attempts since its last good chunk */
	bool		dropped;
	int64_t		done;			/* rows written from its answers */
} BatchSource;

typedef struct BatchFanout BatchFanout;

typedef struct BatchWorker
{
	int			id;
	BatchFanout *fan;
	BatchSource *source;
	pthread_t	thread;
	char	   *fatal;			/* FATAL notices of its two connections */
	char	   *primary_fatal;
	/* under BatchLock() */
	bool		running;
	bool		superseded;		/* its range was finished by another worker */
	int64_t		done;
	BatchRange *range;
	PGcancel   *cancel;			/* the statement running on the source */
	PGcancel   *primary_cancel; /* the write running on the primary */
} BatchWorker;

struct BatchFanout
{
	const BatchPlan *plan;
	char	   *start_lsn;		/* the primary's WAL position at the start */
	BatchRange *ranges;
	int			n_ranges;
	BatchRange *queue;			/* queued ranges, a list through next */
	BatchSource *sources;
	int			n_sources;
	BatchWorker *workers;
	int			n_workers;
	int64_t		total;			/* pending rows at the start */
	/* under BatchLock() */
	int			running;		/* ranges in BATCH_RANGE_RUNNING */
	double		range_seconds;	/* time the finished ranges took, summed */
	int			ranges_timed;
	char	   *error;			/* what failed the run, malloc'd */
};

/* llm-batch.c */
extern void BatchLock(void);
extern void BatchUnlock(void);
extern bool BatchStopRequested(void);	/* under the lock */
extern void BatchRequestStop(void); /* under the lock */
extern char *BatchPrintf(const char *fmt,...) __attribute__((format(printf, 1, 2)));
extern void BatchWarnOnce(const char *msg);
extern void BatchMessage(const char *fmt,...) __attribute__((format(printf, 1, 2)));
extern double BatchNow(void);

/* batch_job.c */
extern PGconn *BatchConnect(const char *conninfo, char **fatal, char **error);
extern char *BatchResultError(PGconn *conn, const PGresult *res);
extern int	BatchPrepare(PGconn *conn, const BatchOptions *opt, BatchPlan *plan);
extern int	BatchSplit(PGconn *conn, const BatchPlan *plan, BatchJob **jobs, int *n_jobs,
					   int64_t *total);
extern char *BatchDescribeRange(const BatchJob *job);
extern void *BatchJobMain(void *arg);
extern PGresult *BatchExec(PGconn *conn, const char *sql, int n_params,
						   const char *const *params, char **error, char *sqlstate);
extern char *BatchDescribeKeys(const BatchPlan *plan, const char *lower, const char *upper);
extern char *BatchLiteral(const char *value);
extern const char *BatchTaskCall(const BatchPlan *plan);
extern void BatchTaskArg(const BatchOptions *opt, char *buf, size_t size);

/* batch_fanout.c */
extern int	BatchFanoutPrepare(PGconn *primary, const BatchPlan *plan, BatchFanout *fan);
extern void BatchFanoutStart(BatchFanout *fan);
extern int64_t BatchFanoutDone(BatchFanout *fan, int *running);	/* under the lock */
extern void BatchFanoutCancel(BatchFanout *fan);
extern bool BatchFanoutSettled(BatchFanout *fan);	/* under the lock */
extern void BatchFanoutJoin(BatchFanout *fan);

#endif							/* LLM_TOOLS_BATCH_H */
