/*-------------------------------------------------------------------------
 *
 * test_threads.c
 *	  The worker pool: every share runs exactly once per task, many tasks in
 *	  a row, workers have signals blocked, and the forward pass gives
 *	  bit-identical logits whatever the thread count (each output row is
 *	  computed by one thread in one order).
 *
 *-------------------------------------------------------------------------
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "unit.h"

typedef struct CountTask
{
	atomic_int	calls[8];
	atomic_int	on_worker;		/* shares run by a worker thread */
	atomic_int	blocked;		/* ... of which with SIGINT blocked */
	atomic_int	nth_seen;		/* every share stores it: atomic, or a race */
} CountTask;

static pthread_t main_thread;

static void
CountShare(void *arg, int ith, int nth)
{
	CountTask  *t = arg;
	sigset_t	mask;

	atomic_fetch_add(&t->calls[ith], 1);
	t->nth_seen = nth;
	/* some work, so that workers get to run shares before the caller steals them */
	for (volatile int spin = 0; spin < 20000; spin++)
		;
	/* the caller may run a share itself when a worker is slow to start */
	if (!pthread_equal(pthread_self(), main_thread))
	{
		atomic_fetch_add(&t->on_worker, 1);
		pthread_sigmask(SIG_SETMASK, NULL, &mask);
		if (sigismember(&mask, SIGINT))
			atomic_fetch_add(&t->blocked, 1);
	}
}

/* A pool told to use fewer threads runs exactly that many shares. */
static void
TestActive(void)
{
	LlmThreadPool *pool;
	LlmError	err;

	CHECK(LlmThreadPoolCreate(4, &pool, &err) == LLM_OK, "pool of 4");
	for (int round = 0; round < 3; round++)
		for (int want = 0; want <= 5; want++)
		{
			int			n = LlmThreadPoolSetActive(pool, want);
			int			expect = want < 1 ? 1 : (want > 4 ? 4 : want);
			CountTask	t;
			bool		ok = true;

			memset(&t, 0, sizeof(t));
			for (int iter = 0; iter < 300; iter++)
				LlmThreadPoolRun(pool, CountShare, &t);
			for (int i = 0; i < 4; i++)
				ok &= atomic_load(&t.calls[i]) == (i < expect ? 300 : 0);
			CHECK(n == expect && ok && t.nth_seen == expect,
				  "active %d of 4: %d shares per task, seen nth %d", want, n, t.nth_seen);
		}
	LlmThreadPoolFree(pool);
	CHECK(LlmThreadPoolSetActive(NULL, 3) == 1, "no pool runs on one thread");
}

static void
TestPool(void)
{
	for (int n = 1; n <= 4; n++)
	{
		LlmThreadPool *pool;
		LlmError	err;
		CountTask	t;
		bool		ok = true;

		memset(&t, 0, sizeof(t));
		CHECK(LlmThreadPoolCreate(n, &pool, &err) == LLM_OK, "pool of %d", n);
		CHECK(LlmThreadPoolSize(pool) == n, "pool size %d", n);
		for (int iter = 0; iter < 2000; iter++)
			LlmThreadPoolRun(pool, CountShare, &t);
		for (int i = 0; i < n; i++)
			ok &= atomic_load(&t.calls[i]) == 2000;
		CHECK(ok && t.nth_seen == n, "%d threads: every share ran once per task", n);
		CHECK(atomic_load(&t.blocked) == atomic_load(&t.on_worker) &&
			  (n == 1 || atomic_load(&t.on_worker) > 0),
			  "%d threads: workers ran %d shares, all with signals blocked", n,
			  atomic_load(&t.on_worker));
		LlmThreadPoolFree(pool);
	}
	{
		LlmThreadPool *pool;
		LlmError	err;

		CHECK(LlmThreadPoolCreate(0, &pool, &err) == LLM_ERR_ARGUMENT, "0 threads refused");
	}
}

static void
TestSplit(void)
{
	static const int64_t ns[] = {0, 1, 7, 8, 9, 100, 576, 49152};

	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		for (int nth = 1; nth <= 5; nth++)
			for (int align = 1; align <= 8; align *= 2)
			{
				int64_t		next = 0;
				bool		ok = true;

				for (int ith = 0; ith < nth; ith++)
				{
					int64_t		lo,
								hi;

					LlmSplitRange(ns[i], ith, nth, align, &lo, &hi);
					ok &= lo == next && hi >= lo && (lo % align == 0 || lo == ns[i]);
					next = hi;
				}
				CHECK(ok && next == ns[i], "split %lld over %d (align %d) covers it once",
					  (long long) ns[i], nth, align);
			}
}

static void
TestDecodeSameLogits(const char *path)
{
	LlmModel   *m;
	LlmError	err;
	int32_t		toks[40];
	float	   *ref = NULL;

	if (LlmModelLoad(path, &m, &err) != LLM_OK)
	{
		CHECK(false, "load %s: %s", path, err.message);
		return;
	}
	for (int i = 0; i < 40; i++)
		toks[i] = 3 + (i * 37) % (m->hp.n_vocab - 3);
	for (int n = 1; n <= 3; n++)
	{
		LlmContext *ctx;
		float	   *logits = malloc(sizeof(float) * 41 * m->hp.n_vocab);

		CHECK(LlmContextCreate(m, 64, 0, &ctx, &err) == LLM_OK &&
			  LlmContextSetThreads(ctx, n, &err) == LLM_OK, "context with %d threads", n);
		/* a batch, then a single token through the cache */
		CHECK(LlmDecode(ctx, toks, 40, logits, true, &err) == LLM_OK &&
			  LlmDecode(ctx, toks, 1, logits + 40 * m->hp.n_vocab, false, &err) == LLM_OK,
			  "decode with %d threads", n);
		if (ref == NULL)
			ref = logits;
		else
		{
			CHECK(memcmp(ref, logits, sizeof(float) * 41 * m->hp.n_vocab) == 0,
				  "%s: %d threads give bit-identical logits", path, n);
			free(logits);
		}
		LlmContextFree(ctx);
	}
	free(ref);
	LlmModelFree(m);
}

int
main(void)
{
	main_thread = pthread_self();
	TestPool();
	TestActive();
	TestSplit();
	TestDecodeSameLogits("../shared/models/stories260K.gguf");
	TestDecodeSameLogits("../shared/parity/syn-qwen2.Q4_K_M.gguf");
	TestDecodeSameLogits("../shared/parity/syn-llama.Q8_0.gguf");
	return UnitSummary("threads");
}
