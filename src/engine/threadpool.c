/*-------------------------------------------------------------------------
 *
 * threadpool.c
 *	  Worker threads for the forward pass.
 *
 * A decoded token issues a few hundred parallel matrix products of tens of
 * microseconds each, so handing out work must cost far less than a
 * condition-variable wakeup.  Workers therefore spin on a generation
 * counter for a short while after each task and only then sleep on the
 * condition variable.
 *
 * Cores are shared (a database server runs other backends), so a worker
 * may not be scheduled for a while.  Nobody waits for it: every share has a
 * claim flag, and the calling thread, once done with its own share, claims
 * and runs the shares no worker has started.  It only waits for shares
 * that are running.
 *
 *-------------------------------------------------------------------------
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "threadpool.h"

/* spins (with a pause) before a worker goes to sleep: ~100 us */
#define LLM_POOL_SPIN 20000

struct LlmThreadPool
{
	int			n_threads;
	pthread_t  *workers;		/* n_threads - 1 */
	pthread_mutex_t lock;
	pthread_cond_t wake;

	/* the current task; published by bumping generation */
	LlmTaskFn	fn;
	void	   *arg;
	int			task_nth;		/* shares of the current task */
	atomic_int	n_active;		/* threads the next tasks use (<= n_threads) */
	atomic_uint generation;
	atomic_int	pending;		/* shares of the current task not yet done */
	atomic_int *claimed;		/* [n_threads]: share taken by some thread */
	atomic_int	sleepers;		/* workers waiting on wake */
	atomic_bool stop;
};

typedef struct WorkerStart
{
	LlmThreadPool *pool;
	int			ith;
} WorkerStart;

static inline void
CpuRelax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

void
LlmSplitRange(int64_t n, int ith, int nth, int64_t align, int64_t *lo, int64_t *hi)
{
	int64_t		units = (n + align - 1) / align;
	int64_t		per = units / nth;
	int64_t		extra = units % nth;
	int64_t		first = ith * per + (ith < extra ? ith : extra);
	int64_t		count = per + (ith < extra ? 1 : 0);

	*lo = first * align < n ? first * align : n;
	*hi = (first + count) * align < n ? (first + count) * align : n;
}

/*
 * Run share ith unless another thread took it.  The acquire on the claim
 * pairs with the release that reset it, so fn and arg read here are those
 * of the task the claim belongs to, even for a worker that woke late.
 */
static bool
PoolRunShare(LlmThreadPool *pool, int ith)
{
	int			expected = 0;

	if (!atomic_compare_exchange_strong_explicit(&pool->claimed[ith], &expected, 1,
												 memory_order_acq_rel,
												 memory_order_relaxed))
		return false;
	pool->fn(pool->arg, ith, pool->task_nth);
	atomic_fetch_sub_explicit(&pool->pending, 1, memory_order_release);
	return true;
}

static void *
WorkerMain(void *p)
{
	WorkerStart start = *(WorkerStart *) p;
	LlmThreadPool *pool = start.pool;
	unsigned	seen = 0;

	free(p);
	for (;;)
	{
		unsigned	gen;
		int			spins = 0;

		/* wait for a new generation: spin first, then sleep */
		while ((gen = atomic_load_explicit(&pool->generation, memory_order_acquire)) == seen &&
			   !atomic_load(&pool->stop))
		{
			/*
			 * A worker left out of the tasks (a server-wide thread budget
			 * granted fewer) sleeps at once: spinning would take the core
			 * the budget gave to another backend.
			 */
			if (++spins < LLM_POOL_SPIN &&
				start.ith < atomic_load_explicit(&pool->n_active, memory_order_relaxed))
			{
				CpuRelax();
				continue;
			}
			pthread_mutex_lock(&pool->lock);
			atomic_fetch_add(&pool->sleepers, 1);
			while (atomic_load(&pool->generation) == seen && !atomic_load(&pool->stop))
				pthread_cond_wait(&pool->wake, &pool->lock);
			atomic_fetch_sub(&pool->sleepers, 1);
			pthread_mutex_unlock(&pool->lock);
		}
		if (atomic_load(&pool->stop))
			break;
		seen = gen;
		PoolRunShare(pool, start.ith);
	}
	return NULL;
}

LlmStatus
LlmThreadPoolCreate(int n_threads, LlmThreadPool **out, LlmError *err)
{
	LlmThreadPool *pool;
	sigset_t	all;
	sigset_t	saved;

	*out = NULL;
	if (n_threads < 1 || n_threads > 256)
		return LlmSetError(err, LLM_ERR_ARGUMENT, "thread count %d is out of range (1..256)", n_threads);
	pool = calloc(1, sizeof(LlmThreadPool));
	if (pool == NULL)
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory creating a thread pool");
	pool->n_threads = 1;
	atomic_init(&pool->n_active, 1);
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->wake, NULL);
	if (n_threads == 1)
	{
		*out = pool;
		return LLM_OK;
	}
	pool->workers = calloc(n_threads - 1, sizeof(pthread_t));
	pool->claimed = calloc(n_threads, sizeof(atomic_int));
	for (int i = 0; pool->claimed != NULL && i < n_threads; i++)
		atomic_init(&pool->claimed[i], 1);	/* nothing to run yet */
	if (pool->workers == NULL || pool->claimed == NULL)
	{
		LlmThreadPoolFree(pool);
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory creating a thread pool");
	}

	/* workers inherit this mask: signals stay with the owning thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &saved);
	for (int i = 1; i < n_threads; i++)
	{
		WorkerStart *ws = malloc(sizeof(WorkerStart));
		int			rc;

		if (ws == NULL)
		{
			pthread_sigmask(SIG_SETMASK, &saved, NULL);
			LlmThreadPoolFree(pool);
			return LlmSetError(err, LLM_ERR_NOMEM, "out of memory creating a thread pool");
		}
		ws->pool = pool;
		ws->ith = i;
		rc = pthread_create(&pool->workers[i - 1], NULL, WorkerMain, ws);
		if (rc != 0)
		{
			free(ws);
			pthread_sigmask(SIG_SETMASK, &saved, NULL);
			LlmThreadPoolFree(pool);
			return LlmSetError(err, LLM_ERR_IO, "cannot start worker thread %d: %s", i, strerror(rc));
		}
		pool->n_threads = i + 1;
		atomic_store(&pool->n_active, pool->n_threads);
	}
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	*out = pool;
	return LLM_OK;
}

void
LlmThreadPoolFree(LlmThreadPool *pool)
{
	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	atomic_store(&pool->stop, true);
	pthread_cond_broadcast(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	for (int i = 0; i < pool->n_threads - 1; i++)
		pthread_join(pool->workers[i], NULL);
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->wake);
	free(pool->workers);
	free(pool->claimed);
	free(pool);
}

int
LlmThreadPoolSize(const LlmThreadPool *pool)
{
	return pool ? pool->n_threads : 1;
}

int
LlmThreadPoolSetActive(LlmThreadPool *pool, int n)
{
	if (pool == NULL)
		return 1;
	n = n < 1 ? 1 : (n > pool->n_threads ? pool->n_threads : n);
	atomic_store(&pool->n_active, n);
	return n;
}

void
LlmThreadPoolRun(LlmThreadPool *pool, LlmTaskFn fn, void *arg)
{
	int			nth = pool ? atomic_load(&pool->n_active) : 1;

	if (nth == 1)
	{
		fn(arg, 0, 1);
		return;
	}
	pool->fn = fn;
	pool->arg = arg;
	pool->task_nth = nth;
	atomic_store_explicit(&pool->pending, nth, memory_order_relaxed);
	/* the shares of threads left out stay claimed: nobody runs them */
	for (int i = 0; i < nth; i++)
		atomic_store_explicit(&pool->claimed[i], 0, memory_order_release);

	/*
	 * seq_cst, paired with the sleepers count: a worker about to sleep
	 * either sees the new generation or is seen, and woken, here.
	 */
	atomic_fetch_add(&pool->generation, 1);
	if (atomic_load(&pool->sleepers) > 0)
	{
		pthread_mutex_lock(&pool->lock);
		pthread_cond_broadcast(&pool->wake);
		pthread_mutex_unlock(&pool->lock);
	}

	/* our share, then any share no worker has started */
	for (int i = 0; i < nth; i++)
		PoolRunShare(pool, i);

	for (int spins = 0; atomic_load_explicit(&pool->pending, memory_order_acquire) > 0; spins++)
	{
		if (spins < LLM_POOL_SPIN)
			CpuRelax();
		else
			sched_yield();
	}
}
