/*-------------------------------------------------------------------------
 *
 * threadpool.h
 *	  A small pool of worker threads that run one parallel task at a time.
 *
 * The workers run only engine and kernel code (never a PostgreSQL call),
 * are started once per pool rather than per token, and have every signal
 * blocked so that signals keep going to the thread that owns the pool.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_ENGINE_THREADPOOL_H
#define LLM_ENGINE_THREADPOOL_H

#include "error.h"

/* One share of a task: ith of nth (0 <= ith < nth). */
typedef void (*LlmTaskFn) (void *arg, int ith, int nth);

typedef struct LlmThreadPool LlmThreadPool;

/* n_threads counts the calling thread: n_threads - 1 workers are started. */
extern LlmStatus LlmThreadPoolCreate(int n_threads, LlmThreadPool **out,
									 LlmError *err);
extern void LlmThreadPoolFree(LlmThreadPool *pool);
extern int	LlmThreadPoolSize(const LlmThreadPool *pool);

/*
 * Run the next tasks on the first n threads only (1 <= n <= size; the
 * others sleep), e.g. when a server-wide budget grants fewer threads than
 * the pool has.  Results do not depend on it.  Returns the count used.
 * Only the thread that runs tasks may call it, between tasks.
 */
extern int	LlmThreadPoolSetActive(LlmThreadPool *pool, int n);

/*
 * Run fn(arg, i, n) for every i in 0..n-1, share 0 on the calling thread,
 * and return when all shares are done.  pool may be NULL (runs fn(arg, 0, 1)).
 */
extern void LlmThreadPoolRun(LlmThreadPool *pool, LlmTaskFn fn, void *arg);

/* Split [0, n) into nth parts aligned to align; part ith is [*lo, *hi). */
extern void LlmSplitRange(int64_t n, int ith, int nth, int64_t align,
						  int64_t *lo, int64_t *hi);

#endif							/* LLM_ENGINE_THREADPOOL_H */
