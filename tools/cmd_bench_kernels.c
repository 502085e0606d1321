/*-------------------------------------------------------------------------
 *
 * cmd_bench_kernels.c
 *	  llm-cli bench-kernels: how close the matrix kernels of the selected
 *	  variant (LLM_KERNEL, default the best this CPU runs) come to the
 *	  machine's limits.
 *
 *	  1. Read bandwidth: a vectorized sum over a buffer several times the
 *		 last-level cache, best of a few runs, on -t threads.
 *	  2. GEMV, the memory-bound half of inference (token generation): one
 *		 activation row times a weight matrix much larger than the cache,
 *		 through the table's gemm (nt = 1) and through vec_dot row by row;
 *		 reported as weight bytes streamed per second and as a percentage
 *		 of the measured bandwidth.
 *	  3. GEMM, the compute-bound half (prompt processing): a 512-token
 *		 batch, in GFLOP/s counting 2 * rows * cols * tokens.
 *
 *	  llm-cli bench-kernels [--type TYPE] [--mb 512] [-t 1] [--reps 5]
 *
 *-------------------------------------------------------------------------
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "kernels_ref.h"

#define BK_COLS 4096			/* weight row length (n_in) */
#define BK_DISTINCT_ROWS 64		/* quantized once, then tiled */
#define BK_GEMM_ROWS 2048
#define BK_GEMM_TOKENS 512

typedef uint64_t BkVec __attribute__((vector_size(16)));

/* one thread's share of a measured operation */
typedef struct BkJob
{
	/* bandwidth */
	const BkVec *buf;
	size_t		nvec;
	uint64_t	sum;
	/* matrix */
	const LlmKernelTable *k;
	LlmType		type;
	bool		use_gemm;
	int64_t		n;
	int			row0;
	int			nr;
	int			nt;
	const char *w;
	size_t		row_bytes;
	const char *a;
	size_t		act_bytes;
	float	   *s;
	size_t		ldc;
} BkJob;

/* eight independent accumulators keep enough loads in flight */
static void *
BkSumThread(void *arg)
{
	BkJob	   *j = arg;
	const BkVec *p = j->buf;
	BkVec		a0 = {0},
				a1 = {0},
				a2 = {0},
				a3 = {0},
				a4 = {0},
				a5 = {0},
				a6 = {0},
				a7 = {0};
	BkVec		t;

	for (size_t i = 0; i + 8 <= j->nvec; i += 8)
	{
		a0 += p[i];
		a1 += p[i + 1];
		a2 += p[i + 2];
		a3 += p[i + 3];
		a4 += p[i + 4];
		a5 += p[i + 5];
		a6 += p[i + 6];
		a7 += p[i + 7];
	}
	t = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
	j->sum = t[0] + t[1];
	return NULL;
}

static void *
BkMatThread(void *arg)
{
	BkJob	   *j = arg;
	const char *w = j->w + j->row_bytes * j->row0;
	float	   *s = j->s + j->row0;

	if (j->use_gemm)
		j->k->gemm[j->type] (j->n, j->nr, j->nt, s, j->ldc, w, j->row_bytes, j->a, j->act_bytes);
	else
	{
		/* what the engine did before gemm: vec_dot row by row */
		for (int r = 0; r < j->nr; r++)
			for (int t = 0; t < j->nt; t++)
				j->k->vec_dot[j->type] (j->n, &s[(size_t) t * j->ldc + r],
										w + j->row_bytes * r, j->a + j->act_bytes * t);
	}
	return NULL;
}

/* run fn on every job, one thread each (the first on this thread) */
static double
BkRun(void *(*fn) (void *), BkJob *jobs, int nthreads)
{
	pthread_t	tid[64];
	double		t0 = CliNow();

	for (int i = 1; i < nthreads; i++)
		if (pthread_create(&tid[i], NULL, fn, &jobs[i]) != 0)
		{
			fn(&jobs[i]);
			tid[i] = 0;
		}
	fn(&jobs[0]);
	for (int i = 1; i < nthreads; i++)
		if (tid[i] != 0)
			pthread_join(tid[i], NULL);
	return CliNow() - t0;
}

/*
 * Size of the last-level cache: sysfs first, because glibc's cpuid-based
 * sysconf reports nonsense under some hypervisors (320 MB on a 32 MB EPYC
 * guest); 32 MB if neither answers.
 */
static size_t
BkLastLevelCache(void)
{
	for (int idx = 4; idx >= 2; idx--)
	{
		char		path[96];
		FILE	   *f;
		unsigned long kb = 0;
		char		unit = 0;

		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu0/cache/index%d/size", idx);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fscanf(f, "%lu%c", &kb, &unit) >= 1 && kb > 0)
		{
			fclose(f);
			return unit == 'M' ? (size_t) kb << 20 : (size_t) kb << 10;
		}
		fclose(f);
	}
#ifdef _SC_LEVEL3_CACHE_SIZE
	{
		long		v = sysconf(_SC_LEVEL3_CACHE_SIZE);

		if (v > 0)
			return (size_t) v;
	}
#endif
	return (size_t) 32 << 20;
}

static double
BkBandwidth(size_t bytes, int nthreads, int reps)
{
	BkVec	   *buf = aligned_alloc(4096, bytes);
	BkJob		jobs[64];
	double		best = 1e30;
	size_t		per = bytes / sizeof(BkVec) / nthreads / 8 * 8;
	uint64_t	sink = 0;

	if (buf == NULL)
		return 0;
	memset(buf, 1, bytes);
	for (int r = 0; r < reps; r++)
	{
		double		dt;

		for (int i = 0; i < nthreads; i++)
		{
			memset(&jobs[i], 0, sizeof(jobs[i]));
			jobs[i].buf = buf + per * i;
			jobs[i].nvec = per;
		}
		dt = BkRun(BkSumThread, jobs, nthreads);
		for (int i = 0; i < nthreads; i++)
			sink += jobs[i].sum;
		if (dt < best)
			best = dt;
	}
	free(buf);
	/* the sum is data-dependent, so the loop cannot be dropped */
	if (sink == 42)
		fprintf(stderr, " ");
	return (double) per * nthreads * sizeof(BkVec) / best / 1e9;
}

/* deterministic values in [-1, 1) */
static void
BkFill(float *x, int64_t n, uint32_t seed)
{
	uint32_t	r = seed * 2654435761u + 1;

	for (int64_t i = 0; i < n; i++)
	{
		r ^= r << 13;
		r ^= r >> 17;
		r ^= r << 5;
		x[i] = (float) (r >> 8) * (2.0f / 16777216.0f) - 1.0f;
	}
}

/* seconds for one pass of op over the weights, rows split over threads */
static double
BkMatmulOnce(const LlmKernelTable *k, LlmType type, bool use_gemm, int nrows, int nt,
			 const char *w, size_t row_bytes, const char *a, size_t act_bytes,
			 float *s, int nthreads)
{
	BkJob		jobs[64];
	int			row = 0;

	for (int i = 0; i < nthreads; i++)
	{
		int			share = (nrows - row) / (nthreads - i);

		memset(&jobs[i], 0, sizeof(jobs[i]));
		jobs[i].k = k;
		jobs[i].type = type;
		jobs[i].use_gemm = use_gemm;
		jobs[i].n = BK_COLS;
		jobs[i].row0 = row;
		jobs[i].nr = share;
		jobs[i].nt = nt;
		jobs[i].w = w;
		jobs[i].row_bytes = row_bytes;
		jobs[i].a = a;
		jobs[i].act_bytes = act_bytes;
		jobs[i].s = s;
		jobs[i].ldc = nrows;
		row += share;
	}
	return BkRun(BkMatThread, jobs, nthreads);
}

/* seconds for one vectorized sum over buf, split over threads */
static double
BkSumOnce(const void *buf, size_t bytes, int nthreads, uint64_t *sink)
{
	BkJob		jobs[64];
	size_t		per = bytes / sizeof(BkVec) / nthreads / 8 * 8;
	double		dt;

	for (int i = 0; i < nthreads; i++)
	{
		memset(&jobs[i], 0, sizeof(jobs[i]));
		jobs[i].buf = (const BkVec *) buf + per * i;
		jobs[i].nvec = per;
	}
	dt = BkRun(BkSumThread, jobs, nthreads);
	for (int i = 0; i < nthreads; i++)
		*sink += jobs[i].sum;
	return dt * bytes / ((double) per * nthreads * sizeof(BkVec));
}

static int
BkType(const LlmKernelTable *k, LlmType type, size_t mb, int nthreads, int reps, double bw)
{
	const LlmTypeTraits *tt = LlmTypeGetTraits(type);
	LlmType		vdt = tt->vec_dot_type;
	size_t		row_bytes = LlmTypeRowSize(type, BK_COLS);
	size_t		act_bytes = LlmTypeRowSize(vdt, BK_COLS);
	int			nrows = (int) ((mb << 20) / row_bytes);
	size_t		wbytes;
	char	   *w;
	char	   *a;
	float	   *x;
	float	   *s;
	double		t_bw,
				t_gemm,
				t_dot,
				t_mm;
	double		gb;

	if (nrows < BK_GEMM_ROWS)
		nrows = BK_GEMM_ROWS;
	wbytes = row_bytes * (size_t) nrows;
	w = malloc(wbytes);
	a = malloc(act_bytes * BK_GEMM_TOKENS);
	x = malloc(sizeof(float) * BK_COLS * BK_GEMM_TOKENS);
	s = malloc(sizeof(float) * (size_t) nrows * BK_GEMM_TOKENS);
	if (w == NULL || a == NULL || x == NULL || s == NULL)
	{
		fprintf(stderr, "llm-cli bench-kernels: out of memory\n");
		free(w);
		free(a);
		free(x);
		free(s);
		return 1;
	}

	/* a few distinct quantized rows, tiled over the whole matrix */
	for (int r = 0; r < BK_DISTINCT_ROWS; r++)
	{
		BkFill(x, BK_COLS, 100 + r);
		LlmQuantizeWeights(type, x, w + row_bytes * r, BK_COLS);
	}
	for (int r = BK_DISTINCT_ROWS; r < nrows; r++)
		memcpy(w + row_bytes * r, w + row_bytes * (r % BK_DISTINCT_ROWS), row_bytes);

	BkFill(x, (int64_t) BK_COLS * BK_GEMM_TOKENS, 7);
	for (int t = 0; t < BK_GEMM_TOKENS; t++)
		k->from_float[vdt] (x + (size_t) BK_COLS * t, a + act_bytes * t, BK_COLS);

	/*
	 * Other processes share the memory controller, so the bandwidth
	 * available changes from second to second.  Each repetition reads the
	 * weight buffer once with the plain sum and once through each kernel;
	 * the best of each is compared, and never against less than the
	 * bandwidth measured at start.
	 */
	gb = wbytes / 1e9;
	t_bw = t_gemm = t_dot = 1e30;
	for (int r = 0; r < reps; r++)
	{
		double		dt;
		uint64_t	sink = 0;

		if ((dt = BkSumOnce(w, wbytes, nthreads, &sink)) < t_bw)
			t_bw = dt;
		if ((dt = BkMatmulOnce(k, type, true, nrows, 1, w, row_bytes, a, act_bytes, s, nthreads)) < t_gemm)
			t_gemm = dt;
		if ((dt = BkMatmulOnce(k, type, false, nrows, 1, w, row_bytes, a, act_bytes, s, nthreads)) < t_dot)
			t_dot = dt;
		if (sink == 42)
			fprintf(stderr, " ");
	}
	if (gb / t_bw > bw)
		bw = gb / t_bw;
	t_mm = 1e30;
	for (int r = 0; r < (reps < 3 ? reps : 3); r++)
	{
		double		dt = BkMatmulOnce(k, type, true, BK_GEMM_ROWS, BK_GEMM_TOKENS, w, row_bytes,
									  a, act_bytes, s, nthreads);

		if (dt < t_mm)
			t_mm = dt;
	}

	printf("%-5s %6.1f  %6.2f  %7.2f  %5.1f%%  %7.2f  %5.1f%%  %9.1f\n",
		   tt->name, wbytes / 1048576.0, bw,
		   gb / t_gemm, 100.0 * gb / t_gemm / bw,
		   gb / t_dot, 100.0 * gb / t_dot / bw,
		   2.0 * BK_GEMM_ROWS * BK_COLS * BK_GEMM_TOKENS / t_mm / 1e9);
	fflush(stdout);
	free(w);
	free(a);
	free(x);
	free(s);
	return 0;
}

/* The types measured: --type names one, or "all" (the last name). */
static const struct
{
	const char *name;
	LlmType		type;
}			bk_types[] = {
	{"q8_0", LLM_TYPE_Q8_0}, {"q4_0", LLM_TYPE_Q4_0}, {"q5_0", LLM_TYPE_Q5_0},
	{"q4_k", LLM_TYPE_Q4_K}, {"q5_k", LLM_TYPE_Q5_K}, {"q6_k", LLM_TYPE_Q6_K},
	{"f16", LLM_TYPE_F16}, {"bf16", LLM_TYPE_BF16}, {"f32", LLM_TYPE_F32},
};

#define BK_N_TYPES ((int) (sizeof(bk_types) / sizeof(bk_types[0])))

/* most --mb: a terabyte of weights, far past any machine this runs on */
#define BK_MAX_MB 1048576

static const char *
BkTypeName(int i)
{
	if (i < BK_N_TYPES)
		return bk_types[i].name;
	return i == BK_N_TYPES ? "all" : NULL;
}

static int
CliBenchKernels(const CliArgs *args)
{
	int			which;
	int			mb;
	int			nthreads;
	int			reps;
	const LlmKernelTable *k = LlmKernelsGet();
	size_t		llc = BkLastLevelCache();
	size_t		bw_bytes;
	double		bw;

	/* checked before the bandwidth run, which takes seconds */
	if (!CliGetChoice(args, "--type", BK_N_TYPES, &which) ||
		!CliGetInt(args, "--mb", 512, 1, BK_MAX_MB, &mb) ||
		!CliGetInt(args, "-t", 1, 1, 64, &nthreads) ||
		!CliGetInt(args, "--reps", 5, 1, CLI_MAX_REPS, &reps))
		return 2;
	bw_bytes = (size_t) mb << 20;
	if (bw_bytes < 4 * llc)
		bw_bytes = 4 * llc;

	bw = BkBandwidth(bw_bytes, nthreads, reps);
	printf("kernels: %s, threads: %d, last-level cache %zu MB\n", k->name, nthreads, llc >> 20);
	printf("read bandwidth: %.2f GB/s (vectorized sum over %zu MB, best of %d)\n",
		   bw, bw_bytes >> 20, reps);
	/* BkType enlarges a matrix of fewer rows than the GEMM multiplies */
	printf("GEMV: 1 x %d activations times a weight matrix of %d MB, or of %d rows where\n"
		   "that is larger (the GEMM's rows; MB column: its size), best of %d; "
		   "GEMM: %d tokens x %d rows x %d cols\n",
		   BK_COLS, mb, BK_GEMM_ROWS, reps, BK_GEMM_TOKENS, BK_GEMM_ROWS, BK_COLS);
	printf("GEMV columns: weight bytes per second, and as a share of \"read\", the best plain read\n"
		   "of the same buffer interleaved with the kernel runs (never below the figure above)\n");
	printf("%-5s %6s  %6s  %15s  %15s  %9s\n", "", "", "", "GEMV gemm", "GEMV vec_dot", "GEMM");
	printf("%-5s %6s  %6s  %7s  %6s  %7s  %6s  %9s\n", "type", "MB", "read", "GB/s", "of bw", "GB/s", "of bw",
		   "GFLOP/s");
	for (int i = 0; i < BK_N_TYPES; i++)
	{
		if (which != BK_N_TYPES && which != i)
			continue;
		if (k->gemm[bk_types[i].type] == NULL || k->vec_dot[bk_types[i].type] == NULL)
		{
			printf("%-5s (no kernel in %s)\n", LlmTypeGetTraits(bk_types[i].type)->name, k->name);
			continue;
		}
		if (BkType(k, bk_types[i].type, (size_t) mb, nthreads, reps, bw) != 0)
			return 1;
	}
	return 0;
}

static const CliOption bench_kernels_options[] = {
	{"--type", "TYPE", "weight type to measure (default all)", false, BkTypeName},
	{"--mb", "MB", "weight matrix size, 1 to " CLI_STR(BK_MAX_MB) " (default 512; at least 4x the last-level cache is read)", false, NULL},
	{"-t", "THREADS", "threads, 1 to 64 (default 1)", false, NULL},
	{"--reps", "N", "repetitions, 1 to " CLI_STR(CLI_MAX_REPS) "; the best is reported (default 5)", false, NULL},
	{NULL}
};

const CliCommand cli_bench_kernels = {
	"bench-kernels", "", 0,
	"matrix kernels against the machine: read GB/s, GEMV GB/s and GEMM GFLOP/s",
	bench_kernels_options, false, CliBenchKernels
};
