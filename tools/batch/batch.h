/*-------------------------------------------------------------------------
 *
 * batch.h
 *	  llm-batch: fill a table's output column from its input column with the
 *	  extension's array functions, over several libpq connections at once.
 *
 * llm-batch.c reads the options, starts the jobs, draws progress and
 * handles signals; batch_job.c looks the table up, splits the pending keys
 * into ranges and runs one job (a thread with its own connection) per
 * range.  Only libpq is used: no PostgreSQL server header.
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
	int			jobs;
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

/* llm-batch.c */
extern void BatchLock(void);
extern void BatchUnlock(void);
extern bool BatchStopRequested(void);	/* under the lock */
extern void BatchRequestStop(void); /* under the lock */
extern char *BatchPrintf(const char *fmt,...) __attribute__((format(printf, 1, 2)));
extern void BatchWarnOnce(const char *msg);

/* batch_job.c */
extern PGconn *BatchConnect(const char *conninfo, BatchJob *job, char **error);
extern char *BatchResultError(PGconn *conn, const PGresult *res);
extern int	BatchPrepare(PGconn *conn, const BatchOptions *opt, BatchPlan *plan);
extern int	BatchSplit(PGconn *conn, const BatchPlan *plan, BatchJob **jobs, int *n_jobs,
					   int64_t *total);
extern char *BatchDescribeRange(const BatchJob *job);
extern void *BatchJobMain(void *arg);

#endif							/* LLM_TOOLS_BATCH_H */
