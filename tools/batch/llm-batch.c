/*-------------------------------------------------------------------------
 *
 * llm-batch.c
 *	  llm-batch: label, summarize or complete a whole table from outside the
 *	  database, over libpq.
 *
 *	  llm-batch CONNINFO --table T --key K --input COL --output COL
 *	            --task classify|summarize|generate [--labels a,b,c]
 *	            [--model M] [--jobs N] [--chunk N] [--max-tokens N]
 *	            [--max-words N] [--read-from CONNINFO]... [--quiet]
 *
 * This file reads the options, starts one thread per job (batch_job.c),
 * and meanwhile draws the progress and turns SIGINT/SIGTERM into "stop
 * after the current chunk".  The threads block those signals, so they
 * always reach this thread, whose only waiting is a short sleep they
 * interrupt.
 *
 * With --read-from, the run has two phases: the workers of batch_fanout.c
 * compute on the standbys and write to the primary; then a final pass on
 * the primary, the jobs of the single-server run, does whatever is still
 * NULL there (rows the standbys had not replayed, rows added since, the
 * ranges of standbys that were dropped).
 *
 * Exit status: 0 every pending row was done, 1 a job failed or the run was
 * interrupted (what was committed stays: rerun to finish), 2 usage error.
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"

#define BATCH_MAX_JOBS		64
#define BATCH_MAX_CHUNK		10000
#define BATCH_MAX_READ_FROM	32
/* connections to the --read-from servers, all of them together */
#define BATCH_MAX_WORKERS	256

/* Protects every job's shared fields and stop_requested. */
static pthread_mutex_t batch_mutex = PTHREAD_MUTEX_INITIALIZER;
static bool stop_requested;

/* SIGINT/SIGTERM seen: the handler only counts, this thread acts on it */
static volatile sig_atomic_t signals_received;

/* stderr is a terminal: a progress bar may be on the current line */
static bool stderr_tty;

/* warnings already shown (under the lock); more distinct ones are dropped */
#define BATCH_MAX_WARNINGS	16
static char *warnings[BATCH_MAX_WARNINGS];
static int	n_warnings;

void
BatchLock(void)
{
	pthread_mutex_lock(&batch_mutex);
}

void
BatchUnlock(void)
{
	pthread_mutex_unlock(&batch_mutex);
}

bool
BatchStopRequested(void)
{
	return stop_requested;
}

void
BatchRequestStop(void)
{
	stop_requested = true;
}

/* Show a server warning, once per run whichever job gets it. */
void
BatchWarnOnce(const char *msg)
{
	BatchLock();
	for (int i = 0; i < n_warnings; i++)
	{
		if (strcmp(warnings[i], msg) == 0)
		{
			BatchUnlock();
			return;
		}
	}
	if (n_warnings < BATCH_MAX_WARNINGS)
	{
		warnings[n_warnings++] = strdup(msg);
		fprintf(stderr, "%sllm-batch: %s\n", stderr_tty ? "\r\033[K" : "", msg);
	}
	BatchUnlock();
}

/*
 * A message on stderr, whatever --quiet says (a standby dropped, a final
 * pass): one write, after wiping a progress bar off the line.
 */
void
BatchMessage(const char *fmt,...)
{
	va_list		ap;
	char	   *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg == NULL)
		return;
	fprintf(stderr, "%sllm-batch: %s\n", stderr_tty ? "\r\033[K" : "", msg);
	free(msg);
}

char *
BatchPrintf(const char *fmt,...)
{
	va_list		ap;
	char	   *out;

	va_start(ap, fmt);
	if (vasprintf(&out, fmt, ap) < 0)
	{
		fprintf(stderr, "llm-batch: out of memory\n");
		exit(BATCH_EXIT_FAILED);
	}
	va_end(ap);
	return out;
}

double
BatchNow(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void
PrintUsage(FILE *out)
{
	fprintf(out,
			"usage: llm-batch CONNINFO --table T --key K --input COL --output COL\n"
			"                 --task classify|summarize|generate [--labels a,b,c] [--model M]\n"
			"                 [--jobs N] [--chunk N] [--max-tokens N] [--max-words N]\n"
			"                 [--read-from CONNINFO]... [--quiet]\n"
			"\n"
			"Writes the model's answer into --output for every row of T where it is NULL\n"
			"(and --input is not), N connections at once, committing every chunk: a run that\n"
			"stops keeps what it did, and running it again does the rest.\n"
			"\n"
			"  CONNINFO            the primary: libpq connection string or URI (\"\": the PG*\n"
			"                      environment)\n"
			"  --table [SCHEMA.]T  the table; names are exact (case-sensitive, not folded)\n"
			"  --key K             a column with a unique index: splits and orders the work\n"
			"  --input COL         the text given to the model\n"
			"  --output COL        where the answer goes; rows where it is NULL are the work\n"
			"  --task TASK         classify (needs --labels), summarize, or generate (input is\n"
			"                      the prompt, greedy)\n"
			"  --labels a,b,c      classify: the labels, comma-separated\n"
			"  --model M           a model of llm_models (default: the server's default model)\n"
			"  --jobs N            connections at once, each on its own key range (default 2,\n"
			"                      at most %d); with --read-from, to each of those servers\n"
			"                      (and to the primary for the final pass)\n"
			"  --chunk N           rows per statement and commit (default 32, at most %d)\n"
			"  --max-tokens N      generate: tokens per answer (default 128)\n"
			"  --max-words N       summarize: words per summary (default 60)\n"
			"  --read-from CONNINFO  run the inference on this hot standby and write the answers\n"
			"                      to the primary; repeat for more standbys (at most %d)\n"
			"  --quiet             no progress output\n"
			"  --help              this text\n"
			"\n"
			"Exit status: 0 every pending row done; 1 a job failed or the run was interrupted\n"
			"(rerun to finish); 2 usage error.  See docs/llm-batch.md.\n",
			BATCH_MAX_JOBS, BATCH_MAX_CHUNK, BATCH_MAX_READ_FROM);
}

static int
UsageError(const char *fmt,...) __attribute__((format(printf, 1, 2)));

static int
UsageError(const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "llm-batch: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n\n");
	PrintUsage(stderr);
	return BATCH_EXIT_USAGE;
}

static bool
ParseCount(const char *name, const char *value, int min, int max, int *out)
{
	char	   *end;
	long		v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (value[0] == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
	{
		UsageError("%s: \"%s\" is not a number from %d to %d", name, value, min, max);
		return false;
	}
	*out = (int) v;
	return true;
}

/* --labels a,b,c: non-empty and distinct, as llm_classify wants them */
static bool
ParseLabels(const char *value, BatchOptions *opt)
{
	const char *start = value;
	int			n = 1;

	for (const char *c = value; *c; c++)
		n += *c == ',';
	opt->labels = calloc(n, sizeof(char *));
	opt->n_labels = 0;
	for (;;)
	{
		const char *end = strchr(start, ',');
		size_t		len = end ? (size_t) (end - start) : strlen(start);

		if (len == 0)
		{
			UsageError("--labels: empty label in \"%s\"", value);
			return false;
		}
		opt->labels[opt->n_labels] = strndup(start, len);
		for (int i = 0; i < opt->n_labels; i++)
		{
			if (strcmp(opt->labels[i], opt->labels[opt->n_labels]) == 0)
			{
				UsageError("--labels: \"%s\" appears twice", opt->labels[i]);
				return false;
			}
		}
		opt->n_labels++;
		if (end == NULL)
			return true;
		start = end + 1;
	}
}

/* The options that take a value, as "--name VALUE" or "--name=VALUE". */
enum
{
	OPT_TABLE, OPT_KEY, OPT_INPUT, OPT_OUTPUT, OPT_TASK, OPT_LABELS, OPT_MODEL,
	OPT_JOBS, OPT_CHUNK, OPT_MAX_TOKENS, OPT_MAX_WORDS, OPT_READ_FROM, N_OPTS
};
static const char *const option_names[N_OPTS] = {
	"table", "key", "input", "output", "task", "labels", "model",
	"jobs", "chunk", "max-tokens", "max-words", "read-from"
};

/*
 * Parse argv into opt.  Returns -1 to go on, else the exit status: 0 after
 * --help, 2 after a usage error (reported).  Scripts depend on these
 * spellings, so nothing is abbreviated and nothing is guessed: an unknown
 * or repeated option is an error, but for --read-from, which takes one
 * server each time.
 */
static int
ParseOptions(int argc, char **argv, BatchOptions *opt)
{
	const char *values[N_OPTS] = {0};
	bool		have_conninfo = false;
	static const char *const required[] = {"table", "key", "input", "output", "task"};

	memset(opt, 0, sizeof(*opt));
	opt->jobs = 2;
	opt->chunk = 32;
	opt->max_tokens = 128;
	opt->max_words = 60;

	/* --help wins over anything else on the line */
	for (int i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--help") == 0)
		{
			PrintUsage(stdout);
			return BATCH_EXIT_OK;
		}
	}

	for (int i = 1; i < argc; i++)
	{
		const char *arg = argv[i];
		const char *eq;
		size_t		len;
		int			o;

		if (arg[0] != '-')
		{
			if (have_conninfo)
				return UsageError("unexpected argument \"%s\" (CONNINFO was \"%s\")", arg,
								  opt->conninfo);
			opt->conninfo = arg;
			have_conninfo = true;
			continue;
		}
		if (strcmp(arg, "--quiet") == 0)
		{
			opt->quiet = true;
			continue;
		}
		if (strncmp(arg, "--", 2) != 0)
			return UsageError("unknown option \"%s\"", arg);
		eq = strchr(arg, '=');
		len = eq ? (size_t) (eq - arg - 2) : strlen(arg + 2);
		for (o = 0; o < N_OPTS; o++)
			if (strlen(option_names[o]) == len && strncmp(arg + 2, option_names[o], len) == 0)
				break;
		if (o == N_OPTS)
			return UsageError("unknown option \"%.*s\"", (int) len + 2, arg);
		if (o == OPT_READ_FROM)
		{
			const char *v;

			if (eq)
				v = eq + 1;
			else if (i + 1 < argc)
				v = argv[++i];
			else
				return UsageError("--%s needs a value", option_names[o]);
			if (opt->n_read_from == BATCH_MAX_READ_FROM)
				return UsageError("--read-from given more than %d times", BATCH_MAX_READ_FROM);
			if (opt->read_from == NULL)
				opt->read_from = calloc(BATCH_MAX_READ_FROM, sizeof(char *));
			opt->read_from[opt->n_read_from++] = v;
			continue;
		}
		if (values[o] != NULL)
			return UsageError("--%s given twice", option_names[o]);
		if (eq)
			values[o] = eq + 1;
		else if (i + 1 < argc)
			values[o] = argv[++i];
		else
			return UsageError("--%s needs a value", option_names[o]);
	}

	if (!have_conninfo)
		return UsageError("no CONNINFO given (\"\" connects with the PG* environment's defaults)");
	for (int r = 0; r < (int) (sizeof(required) / sizeof(required[0])); r++)
	{
		for (int o = 0; o < N_OPTS; o++)
			if (strcmp(option_names[o], required[r]) == 0 && values[o] == NULL)
				return UsageError("--%s is required", required[r]);
	}
	opt->table = values[OPT_TABLE];
	opt->key = values[OPT_KEY];
	opt->input = values[OPT_INPUT];
	opt->output = values[OPT_OUTPUT];
	opt->model = values[OPT_MODEL];
	for (int o = OPT_TABLE; o <= OPT_OUTPUT; o++)
		if (values[o][0] == '\0')
			return UsageError("--%s is empty", option_names[o]);
	if (strcmp(opt->output, opt->key) == 0 || strcmp(opt->output, opt->input) == 0)
		return UsageError("--output must be another column than --key and --input");

	if (strcmp(values[OPT_TASK], "classify") == 0)
		opt->task = BATCH_CLASSIFY;
	else if (strcmp(values[OPT_TASK], "summarize") == 0)
		opt->task = BATCH_SUMMARIZE;
	else if (strcmp(values[OPT_TASK], "generate") == 0)
		opt->task = BATCH_GENERATE;
	else
		return UsageError("--task must be classify, summarize or generate, not \"%s\"",
						  values[OPT_TASK]);

	/* an option another task would ignore is a mistake in the command */
	if (opt->task == BATCH_CLASSIFY && values[OPT_LABELS] == NULL)
		return UsageError("--task classify needs --labels");
	if (opt->task != BATCH_CLASSIFY && values[OPT_LABELS] != NULL)
		return UsageError("--labels is for --task classify only");
	if (opt->task != BATCH_SUMMARIZE && values[OPT_MAX_WORDS] != NULL)
		return UsageError("--max-words is for --task summarize only");
	if (opt->task != BATCH_GENERATE && values[OPT_MAX_TOKENS] != NULL)
		return UsageError("--max-tokens is for --task generate only");

	if (values[OPT_LABELS] && !ParseLabels(values[OPT_LABELS], opt))
		return BATCH_EXIT_USAGE;
	if (values[OPT_JOBS] && !ParseCount("--jobs", values[OPT_JOBS], 1, BATCH_MAX_JOBS, &opt->jobs))
		return BATCH_EXIT_USAGE;
	if (values[OPT_CHUNK] && !ParseCount("--chunk", values[OPT_CHUNK], 1, BATCH_MAX_CHUNK, &opt->chunk))
		return BATCH_EXIT_USAGE;
	if (values[OPT_MAX_TOKENS] &&
		!ParseCount("--max-tokens", values[OPT_MAX_TOKENS], 1, INT_MAX, &opt->max_tokens))
		return BATCH_EXIT_USAGE;
	if (values[OPT_MAX_WORDS] &&
		!ParseCount("--max-words", values[OPT_MAX_WORDS], 1, INT_MAX, &opt->max_words))
		return BATCH_EXIT_USAGE;
	if (opt->n_read_from * opt->jobs > BATCH_MAX_WORKERS)
		return UsageError("--jobs %d on each of %d --read-from servers is more than %d connections",
						  opt->jobs, opt->n_read_from, BATCH_MAX_WORKERS);
	return -1;
}

static void
OnSignal(int signo)
{
	signals_received++;
}

/* "55 s", "12 min", "3.2 h" */
static void
FormatSeconds(double s, char *buf, size_t size)
{
	if (s < 100)
		snprintf(buf, size, "%.0f s", s);
	else if (s < 100 * 60)
		snprintf(buf, size, "%.0f min", s / 60);
	else
		snprintf(buf, size, "%.1f h", s / 3600);
}

/*
 * One progress report: on a terminal a bar redrawn in place, else a line.
 * done can pass total when rows are added during the run.
 */
static void
DrawProgress(bool tty, int64_t done, int64_t total, double elapsed)
{
	double		rate = elapsed > 0 ? done / elapsed : 0;
	int64_t		left = total > done ? total - done : 0;
	char		eta[32];

	if (rate > 0)
		FormatSeconds(left / rate, eta, sizeof(eta));
	else
		snprintf(eta, sizeof(eta), "?");
	if (tty)
	{
		const int	width = 30;
		int			filled = total > 0 ? (int) (width * (done < total ? done : total) / total) : width;
		char		bar[64];

		memset(bar, '#', filled);
		memset(bar + filled, '.', width - filled);
		bar[width] = '\0';
		fprintf(stderr, "\r[%s] %lld/%lld rows  %.1f rows/s  eta %s\033[K", bar,
				(long long) done, (long long) total, rate, eta);
	}
	else
		fprintf(stderr, "progress: %lld/%lld rows, %.1f rows/s, eta %s\n",
				(long long) done, (long long) total, rate, eta);
	fflush(stderr);
}

/*
 * The threads of one phase, as the main thread watches them: the jobs on
 * the primary (a run without --read-from, or the final pass), or the
 * fan-out's workers.
 */
typedef struct Phase
{
	BatchJob   *jobs;
	int			n_jobs;
	BatchFanout *fan;
} Phase;

/* The progress of the whole run, across its phases. */
typedef struct Monitor
{
	bool		tty;
	bool		quiet;
	double		interval;
	double		start;
	double		last_report;
	int64_t		total;
	int64_t		base;			/* rows done by the phases before this one */
	int			handled_signals;
	double		cancelled_at;	/* when the last cancel was sent */
} Monitor;

/*
 * Rows the phase's threads wrote so far; *running, how many still run;
 * *settled, whether the fan-out has no work left (its workers need not all
 * have returned: see BatchFanoutSettled).
 */
static int64_t
PhaseDone(const Phase *ph, int *running, bool *settled)
{
	int64_t		done = 0;

	BatchLock();
	*running = 0;
	*settled = false;
	if (ph->fan)
	{
		done = BatchFanoutDone(ph->fan, running);
		*settled = BatchFanoutSettled(ph->fan);
	}
	for (int i = 0; i < ph->n_jobs; i++)
	{
		done += ph->jobs[i].done;
		*running += ph->jobs[i].state == BATCH_JOB_RUNNING;
	}
	BatchUnlock();
	return done;
}

/* Ask every running statement to stop now (a second Ctrl-C). */
static void
PhaseCancel(const Phase *ph)
{
	char		errbuf[256];

	if (ph->fan)
		BatchFanoutCancel(ph->fan);
	BatchLock();
	for (int i = 0; i < ph->n_jobs; i++)
		if (ph->jobs[i].cancel)
			PQcancel(ph->jobs[i].cancel, errbuf, sizeof(errbuf));
	BatchUnlock();
}

/*
 * Watch a phase until its threads are done: progress, and signals turned
 * into a stop (the first) or a cancel (the next).  Returns the rows the
 * phase wrote.  The fan-out is done when its work is, and, once cancelled,
 * does not wait more than a few seconds for workers whose server does not
 * answer.
 */
static int64_t
Watch(const Phase *ph, Monitor *m)
{
	int64_t		done;

	for (;;)
	{
		struct timespec nap = {0, 100 * 1000 * 1000};
		int			running;
		bool		settled;
		int			seen = signals_received;

		nanosleep(&nap, NULL);	/* a signal cuts it short */
		if (seen > m->handled_signals)
		{
			if (m->handled_signals == 0)
			{
				if (m->tty && !m->quiet)
					fprintf(stderr, "\r\033[K");
				fprintf(stderr, "llm-batch: interrupted: stopping after the current chunks"
						" (interrupt again to cancel them)\n");
				BatchLock();
				BatchRequestStop();
				BatchUnlock();
			}
			if (seen > 1)
			{
				PhaseCancel(ph);
				m->cancelled_at = BatchNow();
			}
			m->handled_signals = seen;
		}

		done = PhaseDone(ph, &running, &settled);
		if (running == 0 || settled)
			return done;
		if (ph->fan && m->handled_signals > 1 && BatchNow() - m->cancelled_at > 5)
			return done;
		if (!m->quiet && BatchNow() - m->last_report >= m->interval)
		{
			m->last_report = BatchNow();
			DrawProgress(m->tty, m->base + done, m->total, m->last_report - m->start);
		}
	}
}

/*
 * Start threads with SIGINT and SIGTERM blocked, so that they inherit the
 * mask and the signals always reach the main thread: a Ctrl-C never
 * interrupts libpq in the middle of a chunk.
 */
static void
StartJobs(BatchJob *jobs, int n_jobs, BatchFanout *fan)
{
	sigset_t	block,
				old;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	if (fan)
		BatchFanoutStart(fan);
	for (int i = 0; i < n_jobs; i++)
	{
		if (pthread_create(&jobs[i].thread, NULL, BatchJobMain, &jobs[i]) != 0)
		{
			fprintf(stderr, "llm-batch: could not start job %d\n", i + 1);
			exit(BATCH_EXIT_FAILED);
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/*
 * The primary's jobs: a run without --read-from, or the final pass after
 * the fan-out.  Returns the exit status so far; *done the rows they wrote.
 */
static int
RunPrimary(const BatchOptions *opt, BatchPlan *plan, Monitor *m, bool final_pass, int64_t *done,
		   int *failed, int *stopped)
{
	BatchJob   *jobs;
	int			n_jobs,
				running;
	bool		settled;
	int64_t		total;
	PGconn	   *conn;
	char	   *error = NULL;
	Phase		ph = {0};

	*done = 0;
	conn = BatchConnect(opt->conninfo, NULL, &error);
	if (conn == NULL)
	{
		fprintf(stderr, "llm-batch: could not connect%s: %s\n",
				final_pass ? " to the primary for the final pass" : "", error);
		return BATCH_EXIT_FAILED;
	}
	if (BatchSplit(conn, plan, &jobs, &n_jobs, &total) != BATCH_EXIT_OK)
	{
		PQfinish(conn);
		return BATCH_EXIT_FAILED;
	}
	PQfinish(conn);
	if (n_jobs == 0)
		return BATCH_EXIT_OK;
	if (final_pass)
	{
		if (!m->quiet)
			BatchMessage("final pass on the primary: %lld rows still NULL there",
						 (long long) total);
		/* rows added during the run: the bar counts them too */
		if (m->base + total > m->total)
			m->total = m->base + total;
	}
	else
		m->total = total;

	StartJobs(jobs, n_jobs, NULL);
	ph.jobs = jobs;
	ph.n_jobs = n_jobs;
	Watch(&ph, m);
	for (int i = 0; i < n_jobs; i++)
		pthread_join(jobs[i].thread, NULL);
	*done = PhaseDone(&ph, &running, &settled);
	for (int i = 0; i < n_jobs; i++)
	{
		if (jobs[i].state == BATCH_JOB_FAILED)
		{
			fprintf(stderr, "%sllm-batch: %s%s\n", m->tty && !m->quiet ? "\r\033[K" : "",
					final_pass ? "final pass on the primary: " : "", jobs[i].error);
			(*failed)++;
		}
		else if (jobs[i].state == BATCH_JOB_STOPPED)
			(*stopped)++;
	}
	return BATCH_EXIT_OK;
}

/* Is CONNINFO's server a standby?  The answers are written there: it must not be. */
static bool
IsStandby(PGconn *conn)
{
	PGresult   *res = PQexec(conn, "SELECT pg_is_in_recovery()");
	bool		standby = PQresultStatus(res) == PGRES_TUPLES_OK &&
		strcmp(PQgetvalue(res, 0, 0), "t") == 0;

	PQclear(res);
	return standby;
}

int
main(int argc, char **argv)
{
	BatchOptions opt;
	BatchPlan	plan;
	BatchFanout fan;
	Phase		ph = {0};
	Monitor		m = {0};
	int64_t		done = 0,
				fan_done = 0,
				final_done = 0;
	PGconn	   *conn;
	char	   *error = NULL;
	int			rc;
	double		elapsed;
	const char *env_interval = getenv("LLM_BATCH_PROGRESS_SECONDS");
	int			failed = 0,
				stopped = 0;
	struct sigaction sa;

	rc = ParseOptions(argc, argv, &opt);
	if (rc >= 0)
		return rc;
	m.tty = stderr_tty = isatty(STDERR_FILENO);
	m.quiet = opt.quiet;
	m.interval = m.tty ? 0.5 : 5.0;
	if (env_interval && atof(env_interval) > 0)
		m.interval = atof(env_interval);

	if (!PQisthreadsafe())
	{
		fprintf(stderr, "llm-batch: this libpq is not thread-safe\n");
		return BATCH_EXIT_FAILED;
	}
	conn = BatchConnect(opt.conninfo, NULL, &error);
	if (conn == NULL)
	{
		fprintf(stderr, "llm-batch: could not connect: %s\n", error);
		return BATCH_EXIT_FAILED;
	}
	if (IsStandby(conn))
	{
		fprintf(stderr, "llm-batch: CONNINFO is a standby (pg_is_in_recovery() is true): the answers are written there,\n"
				"so it must be the primary; name standbys with --read-from\n");
		PQfinish(conn);
		return BATCH_EXIT_FAILED;
	}
	if (BatchPrepare(conn, &opt, &plan) != BATCH_EXIT_OK ||
		(opt.n_read_from > 0 && BatchFanoutPrepare(conn, &plan, &fan) != BATCH_EXIT_OK))
	{
		PQfinish(conn);
		return BATCH_EXIT_FAILED;
	}
	PQfinish(conn);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = OnSignal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	m.start = m.last_report = BatchNow();

	if (opt.n_read_from > 0)
	{
		bool		go_on,
					settled;
		int			running;

		if (fan.total == 0)
		{
			printf("llm-batch: nothing to do: no row of %s has %s NULL and %s set\n",
				   plan.table, plan.output, plan.input);
			return BATCH_EXIT_OK;
		}
		m.total = fan.total;
		StartJobs(NULL, 0, &fan);
		ph.fan = &fan;
		Watch(&ph, &m);
		BatchFanoutJoin(&fan);
		fan_done = PhaseDone(&ph, &running, &settled);
		if (fan.error)
		{
			fprintf(stderr, "%sllm-batch: %s\n", m.tty && !m.quiet ? "\r\033[K" : "", fan.error);
			failed++;
		}
		BatchLock();
		go_on = !BatchStopRequested();
		BatchUnlock();
		if (!go_on && fan.error == NULL)
			stopped++;
		if (go_on)
		{
			m.base = fan_done;
			rc = RunPrimary(&opt, &plan, &m, true, &final_done, &failed, &stopped);
			if (rc != BATCH_EXIT_OK)
				failed++;
		}
		done = fan_done + final_done;
	}
	else
	{
		rc = RunPrimary(&opt, &plan, &m, false, &done, &failed, &stopped);
		if (rc != BATCH_EXIT_OK)
			return rc;
		if (m.total == 0)
		{
			printf("llm-batch: nothing to do: no row of %s has %s NULL and %s set\n",
				   plan.table, plan.output, plan.input);
			return BATCH_EXIT_OK;
		}
	}
	elapsed = BatchNow() - m.start;
	if (m.tty && !opt.quiet)
		fprintf(stderr, "\r\033[K");

	if (failed == 0 && stopped == 0)
		printf("llm-batch: done: %lld rows in %.1f s, %.1f rows/s\n",
			   (long long) done, elapsed, elapsed > 0 ? done / elapsed : 0);
	else
		printf("llm-batch: %s: %lld of %lld rows done in %.1f s, %.1f rows/s; the rest is still NULL: rerun to finish\n",
			   m.handled_signals ? "interrupted" : "failed", (long long) done, (long long) m.total,
			   elapsed, elapsed > 0 ? done / elapsed : 0);
	if (opt.n_read_from > 0)
	{
		/* where the answers came from: a dropped standby shows as such */
		printf("llm-batch: rows by server:");
		for (int i = 0; i < fan.n_sources; i++)
			printf(" %s %lld%s,", fan.sources[i].name, (long long) fan.sources[i].done,
				   fan.sources[i].dropped ? " (dropped)" : "");
		printf(" primary %lld\n", (long long) final_done);
	}
	return failed == 0 && stopped == 0 ? BATCH_EXIT_OK : BATCH_EXIT_FAILED;
}
