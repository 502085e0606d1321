/*-------------------------------------------------------------------------
 *
 * llm_pool.c
 *	  The shared model pool: each model file is read once per server into
 *	  dynamic shared memory, and every backend attaches to it.
 *
 * With shared_preload_libraries = 'llm', a fixed registry in the main
 * shared memory lists the loaded models.  A model is two DSM segments: the
 * whole GGUF file, copied in (and hashed in the same pass), and the image
 * of its tokenizer tables (vocab_image.c), which hold offsets only, never
 * pointers, since each process maps a segment at its own address.  A
 * backend attaches in about a millisecond: it maps both segments and
 * parses the GGUF header in place (LlmModelAttach).  Because the weights
 * are the pool's own copy, the file on disk can be overwritten, truncated
 * or deleted while models run; a file that changed is noticed by its
 * identity (device, inode, size, mtime) at the next call.
 *
 * Segments are pinned while the model is loaded, and every backend pins
 * its mapping for the session.  Unloading unpins them: the memory goes
 * when the last backend using them detaches, which each does at its next
 * call (or exit), so calls already running finish on the old version.
 *
 * Locking rules:
 *
 * - pool->lock (an LWLock of the "llm" tranche) protects every entry's
 *   state, identity, handles, generation and attached count.  Take it
 *   exclusively to change any of them, shared to read them.  Loading a
 *   file takes seconds, so it happens with no lock held: the loader marks
 *   the entry LOADING under the lock, copies, and publishes it READY under
 *   the lock again.  Backends that want a model being loaded sleep on
 *   pool->load_cv until its state changes.
 * - entry->mutex (a spinlock) protects the counters and last_used.  A
 *   backend attached to an entry may update them holding only the
 *   spinlock: its attachment keeps the slot from being reused.
 * - A slot whose state is FREE holds nothing; its generation is bumped
 *   each time it is taken, so a stale attachment is always recognised.
 *
 *-------------------------------------------------------------------------
 */
#include "llm.h"

#include <sys/stat.h>

#include "access/twophase.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/condition_variable.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#define LLM_POOL_SLOTS 64

typedef enum PoolState
{
	POOL_FREE = 0,
	POOL_LOADING,
	POOL_READY,
	POOL_RETIRED				/* unloaded; memory goes with the last user */
} PoolState;

typedef struct PoolEntry
{
	PoolState	state;
	uint32		generation;
	char		name[NAMEDATALEN];	/* the name it was first loaded under */
	Oid			dboid;			/* in that database */
	char		path[MAXPGPATH];
	char		sha256[65];
	LlmFileId	file;
	int			loader_pid;
	dsm_handle	file_handle;
	dsm_handle	vocab_handle;
	Size		file_bytes;
	Size		vocab_bytes;
	int			attached;		/* backends mapping it */
	double		load_ms;
	TimestampTz loaded_at;

	slock_t		mutex;
	LlmModelCounters counters;
} PoolEntry;

typedef struct PoolShared
{
	LWLock	   *lock;
	ConditionVariable load_cv;
	PoolEntry	entries[LLM_POOL_SLOTS];
} PoolShared;

static PoolShared *pool = NULL;
static bool exit_hook_set = false;

/*
 * This backend's mappings of pool entries.  A segment can be mapped only
 * once per process, and one file may be in use under several names (or in
 * several databases' registrations), so the models using one entry share
 * its mapping; it goes when the last of them does.  The entry's attached
 * count counts backends, not models.
 */
typedef struct LocalMapping
{
	int			slot;
	uint32		generation;
	dsm_segment *file_seg;
	dsm_segment *vocab_seg;
	int			refs;			/* LlmLoadedModels using it; 0: unused */
} LocalMapping;

static LocalMapping mappings[LLM_POOL_SLOTS * 2];

static LocalMapping *
FindMapping(int slot, uint32 generation)
{
	for (int i = 0; i < lengthof(mappings); i++)
		if (mappings[i].refs > 0 && mappings[i].slot == slot &&
			mappings[i].generation == generation)
			return &mappings[i];
	return NULL;
}

/*
 * Slots of per-backend arrays in shared memory, indexed by pgprocno: every
 * PGPROC (backends, auxiliary processes, prepared transactions).
 */
int
LlmProcSlots(void)
{
	return MaxBackends + NUM_AUXILIARY_PROCS + max_prepared_xacts;
}

bool
LlmPoolEnabled(void)
{
	return pool != NULL;
}

static Size
PoolShmemSize(void)
{
	return add_size(add_size(MAXALIGN(sizeof(PoolShared)), MAXALIGN(LlmBudgetShmemSize())),
					LlmProgressShmemSize());
}

void
LlmPoolRequestShmem(void)
{
	RequestAddinShmemSpace(PoolShmemSize());
	RequestNamedLWLockTranche("llm", 1);
}

void
LlmPoolInitShmem(void)
{
	bool		found;
	char	   *mem;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	mem = ShmemInitStruct("llm pool", PoolShmemSize(), &found);
	pool = (PoolShared *) mem;
	if (!found)
	{
		memset(pool, 0, sizeof(PoolShared));
		pool->lock = &(GetNamedLWLockTranche("llm"))->lock;
		ConditionVariableInit(&pool->load_cv);
		for (int i = 0; i < LLM_POOL_SLOTS; i++)
			SpinLockInit(&pool->entries[i].mutex);
	}
	LlmBudgetInitShmem(mem + MAXALIGN(sizeof(PoolShared)), found);
	LlmProgressInitShmem(mem + MAXALIGN(sizeof(PoolShared)) + MAXALIGN(LlmBudgetShmemSize()), found);
	LWLockRelease(AddinShmemInitLock);
}

/* A slot this backend was loading goes back to FREE if it exits mid-way. */
static void
PoolBackendExit(int code, Datum arg)
{
	bool		changed = false;

	if (pool == NULL)
		return;
	LWLockAcquire(pool->lock, LW_EXCLUSIVE);
	for (int i = 0; i < LLM_POOL_SLOTS; i++)
	{
		PoolEntry  *e = &pool->entries[i];

		if (e->state == POOL_LOADING && e->loader_pid == MyProcPid)
		{
			e->state = POOL_FREE;
			changed = true;
		}
	}
	LWLockRelease(pool->lock);
	if (changed)
		ConditionVariableBroadcast(&pool->load_cv);
}

/* The argument PoolOnDetach gets: the slot and its generation. */
#define POOL_DETACH_ARG(slot, generation) \
	Int64GetDatum(((int64) (slot) << 32) | (uint32) (generation))

/* Called when this backend unmaps a model's file segment (or exits). */
static void
PoolOnDetach(dsm_segment *seg, Datum arg)
{
	int			slot = (int) (DatumGetInt64(arg) >> 32);
	uint32		generation = (uint32) DatumGetInt64(arg);
	PoolEntry  *e = &pool->entries[slot];

	LWLockAcquire(pool->lock, LW_EXCLUSIVE);
	if (e->generation == generation && e->state != POOL_FREE)
	{
		e->attached--;
		if (e->state == POOL_RETIRED && e->attached <= 0)
			e->state = POOL_FREE;
	}
	LWLockRelease(pool->lock);
}

/* Unload a slot (exclusive lock held): no new attaches, memory on last detach. */
static void
PoolRetire(PoolEntry *e)
{
	if (e->state != POOL_READY)
		return;
	e->state = POOL_RETIRED;
	dsm_unpin_segment(e->file_handle);
	dsm_unpin_segment(e->vocab_handle);
	if (e->attached <= 0)
		e->state = POOL_FREE;
}

/* A READY or LOADING entry of this file version (lock held), or NULL. */
static PoolEntry *
PoolFind(const char *path, const char *sha256)
{
	for (int i = 0; i < LLM_POOL_SLOTS; i++)
	{
		PoolEntry  *e = &pool->entries[i];

		if ((e->state == POOL_READY || e->state == POOL_LOADING) &&
			strcmp(e->path, path) == 0 && strcmp(e->sha256, sha256) == 0)
			return e;
	}
	return NULL;
}

/*
 * Map an entry's segments, or share this backend's mapping of them, and
 * build lm's view of the model.  The caller counted this backend in the
 * entry's attached count unless it already had a mapping.
 */
static void
PoolMap(LlmLoadedModel *lm, int slot, uint32 generation, dsm_handle fh, dsm_handle vh,
		Size file_bytes, Size vocab_bytes)
{
	LocalMapping *map = FindMapping(slot, generation);
	LlmError	err;
	LlmStatus	s;

	if (map == NULL)
	{
		for (int i = 0; i < lengthof(mappings) && map == NULL; i++)
			if (mappings[i].refs == 0)
				map = &mappings[i];
		if (map == NULL)
			elog(ERROR, "too many model mappings in one backend");
		map->slot = slot;
		map->generation = generation;
		map->vocab_seg = NULL;
		/* until on_dsm_detach owns it, the count we took must not leak */
		PG_TRY();
		{
			map->file_seg = dsm_attach(fh);
		}
		PG_CATCH();
		{
			PoolOnDetach(NULL, POOL_DETACH_ARG(slot, generation));
			PG_RE_THROW();
		}
		PG_END_TRY();
		if (map->file_seg == NULL)
		{
			PoolOnDetach(NULL, POOL_DETACH_ARG(slot, generation));
			ereport(ERROR,
					errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					errmsg("model \"%s\" was unloaded while this backend attached to it", lm->name),
					errhint("Call the function again."));
		}
		dsm_pin_mapping(map->file_seg);
		on_dsm_detach(map->file_seg, PoolOnDetach, POOL_DETACH_ARG(slot, generation));
		PG_TRY();
		{
			map->vocab_seg = dsm_attach(vh);
		}
		PG_CATCH();
		{
			/* detaching the file segment drops the count it took */
			dsm_detach(map->file_seg);
			PG_RE_THROW();
		}
		PG_END_TRY();
		if (map->vocab_seg == NULL)
		{
			dsm_detach(map->file_seg);
			ereport(ERROR,
					errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					errmsg("model \"%s\" was unloaded while this backend attached to it", lm->name),
					errhint("Call the function again."));
		}
		dsm_pin_mapping(map->vocab_seg);
	}
	map->refs++;
	lm->pool_slot = slot;
	lm->pool_generation = generation;
	lm->file_seg = map->file_seg;
	lm->vocab_seg = map->vocab_seg;
	s = LlmModelAttach(dsm_segment_address(map->file_seg), file_bytes,
					   dsm_segment_address(map->vocab_seg), vocab_bytes, &lm->model, &err);
	if (s != LLM_OK)
	{
		LlmPoolDetach(lm);
		LlmReportError(s, &err, psprintf("could not attach to model \"%s\"", lm->name));
	}
	lm->bytes = file_bytes + vocab_bytes;
	LlmLockMemory(lm, dsm_segment_address(map->file_seg), file_bytes);
}

/*
 * Copy the file into new segments and build its tokenizer image; the slot
 * is ours (LOADING).  On success the segments are pinned and mapped for
 * the session; on error they go with the resource owner.
 */
static void
PoolLoad(LlmLoadedModel *lm, PoolEntry *e)
{
	dsm_segment *fseg;
	dsm_segment *vseg;
	char		actual[65];
	LlmModel   *built;
	LlmError	err;
	LlmStatus	s;
	Size		vbytes;
	instr_time	start;
	instr_time	took;

	INSTR_TIME_SET_CURRENT(start);
	fseg = dsm_create(lm->file.size, DSM_CREATE_NULL_IF_MAXSEGMENTS);
	if (fseg == NULL)
		ereport(ERROR,
				errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				errmsg("could not create a shared memory segment for model \"%s\"", lm->name),
				errdetail("The server's dynamic shared memory segments are all in use."));
	LlmReadFileSha256(lm->path, dsm_segment_address(fseg), lm->file.size, actual);
	if (strcmp(actual, lm->sha256) != 0)
		LlmReportChangedFile(lm->name, lm->path, actual, lm->sha256);

	/* build the tokenizer tables once, then attach like everybody else */
	s = LlmModelAttach(dsm_segment_address(fseg), lm->file.size, NULL, 0, &built, &err);
	if (s != LLM_OK)
		LlmReportError(s, &err, psprintf("could not load model \"%s\"", lm->name));
	vbytes = LlmVocabImageSize(built->vocab);
	PG_TRY();
	{
		vseg = dsm_create(vbytes, DSM_CREATE_NULL_IF_MAXSEGMENTS);
	}
	PG_CATCH();
	{
		LlmModelFree(built);
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (vseg != NULL)
		LlmVocabImageWrite(built->vocab, dsm_segment_address(vseg));
	LlmModelFree(built);
	if (vseg == NULL)
		ereport(ERROR,
				errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				errmsg("could not create a shared memory segment for model \"%s\"", lm->name),
				errdetail("The server's dynamic shared memory segments are all in use."));
	INSTR_TIME_SET_CURRENT(took);
	INSTR_TIME_SUBTRACT(took, start);

	dsm_pin_segment(fseg);
	dsm_pin_segment(vseg);
	LWLockAcquire(pool->lock, LW_EXCLUSIVE);
	/*
	 * An older version is unloaded, the catalog moved on: of the same file,
	 * or loaded under the same registration (a symbolic link now pointing
	 * to a new version's file).
	 */
	for (int i = 0; i < LLM_POOL_SLOTS; i++)
	{
		PoolEntry  *o = &pool->entries[i];

		if (o != e && o->state == POOL_READY &&
			(strcmp(o->path, lm->path) == 0 ||
			 (o->dboid == MyDatabaseId && strcmp(o->name, lm->name) == 0)))
			PoolRetire(o);
	}
	e->file_handle = dsm_segment_handle(fseg);
	e->vocab_handle = dsm_segment_handle(vseg);
	e->file_bytes = lm->file.size;
	e->vocab_bytes = vbytes;
	e->load_ms = INSTR_TIME_GET_MILLISEC(took);
	e->loaded_at = GetCurrentTimestamp();
	e->attached = 1;			/* us */
	e->state = POOL_READY;
	LWLockRelease(pool->lock);
	ConditionVariableBroadcast(&pool->load_cv);

	/* our own mappings become the session's, like any attacher's */
	dsm_detach(fseg);
	dsm_detach(vseg);
	PoolMap(lm, e - pool->entries, e->generation, e->file_handle, e->vocab_handle,
			e->file_bytes, e->vocab_bytes);
}

LlmLoadedModel *
LlmPoolAttach(const char *name, const char *path, const char *sha256,
			  const LlmFileId *file, bool *loaded_now)
{
	LlmLoadedModel *lm = NULL;

	Assert(pool != NULL);
	*loaded_now = false;
	if (!exit_hook_set)
	{
		before_shmem_exit(PoolBackendExit, 0);
		exit_hook_set = true;
	}

	for (;;)
	{
		PoolEntry  *e;

		LWLockAcquire(pool->lock, LW_EXCLUSIVE);
		e = PoolFind(path, sha256);
		if (e != NULL && e->state == POOL_LOADING)
		{
			/* another backend is reading it: wait for the outcome */
			LWLockRelease(pool->lock);
			ConditionVariableSleep(&pool->load_cv, PG_WAIT_EXTENSION);
			continue;
		}
		ConditionVariableCancelSleep();

		if (e != NULL && !LlmFileIdEqual(&e->file, file))
		{
			char		actual[65];

			/*
			 * The file was touched, copied over or replaced since it was
			 * read.  The pool still holds the registered bytes; if the file
			 * now has other bytes, say so rather than serve a version the
			 * file no longer is.
			 */
			LWLockRelease(pool->lock);
			LlmFileSha256Cached(path, file, actual);
			if (strcmp(actual, sha256) != 0)
				LlmReportChangedFile(name, path, actual, sha256);
			LWLockAcquire(pool->lock, LW_EXCLUSIVE);
			if (e->state == POOL_READY && strcmp(e->sha256, sha256) == 0)
				e->file = *file;	/* same bytes: a touch or an identical copy */
			LWLockRelease(pool->lock);
			continue;
		}

		if (e != NULL)
		{
			int			slot = e - pool->entries;
			uint32		generation = e->generation;
			dsm_handle	fh = e->file_handle;
			dsm_handle	vh = e->vocab_handle;
			Size		fb = e->file_bytes;
			Size		vb = e->vocab_bytes;

			if (FindMapping(slot, generation) == NULL)
				e->attached++;
			LWLockRelease(pool->lock);
			lm = LlmNewLoaded(name, path, sha256, file);
			PoolMap(lm, slot, generation, fh, vh, fb, vb);
			return lm;
		}

		/* not loaded: take a free slot and load it ourselves */
		for (int i = 0; i < LLM_POOL_SLOTS && e == NULL; i++)
			if (pool->entries[i].state == POOL_FREE)
				e = &pool->entries[i];
		if (e == NULL)
		{
			LWLockRelease(pool->lock);
			ereport(ERROR,
					errcode(ERRCODE_INSUFFICIENT_RESOURCES),
					errmsg("the model pool is full: %d models are loaded", LLM_POOL_SLOTS),
					errhint("Unload one with llm_unload(name); see llm_model_status."));
		}
		e->state = POOL_LOADING;
		e->generation++;
		strlcpy(e->name, name, sizeof(e->name));
		e->dboid = MyDatabaseId;
		strlcpy(e->path, path, sizeof(e->path));
		strlcpy(e->sha256, sha256, sizeof(e->sha256));
		e->file = *file;
		e->loader_pid = MyProcPid;
		e->attached = 0;
		SpinLockAcquire(&e->mutex);
		memset(&e->counters, 0, sizeof(e->counters));
		SpinLockRelease(&e->mutex);
		LWLockRelease(pool->lock);

		PG_TRY();
		{
			lm = LlmNewLoaded(name, path, sha256, file);
			PoolLoad(lm, e);
		}
		PG_CATCH();
		{
			/* if the slot is still marked as ours, nothing was published */
			LWLockAcquire(pool->lock, LW_EXCLUSIVE);
			if (e->state == POOL_LOADING && e->loader_pid == MyProcPid)
				e->state = POOL_FREE;
			LWLockRelease(pool->lock);
			ConditionVariableBroadcast(&pool->load_cv);
			PG_RE_THROW();
		}
		PG_END_TRY();
		*loaded_now = true;
		return lm;
	}
}

/* Whether an attachment may still be used: its entry was not unloaded. */
bool
LlmPoolStillValid(const LlmLoadedModel *lm)
{
	PoolEntry  *e = &pool->entries[lm->pool_slot];
	bool		ok;

	LWLockAcquire(pool->lock, LW_SHARED);
	ok = e->generation == lm->pool_generation && e->state == POOL_READY;
	LWLockRelease(pool->lock);
	return ok;
}

void
LlmPoolDetach(LlmLoadedModel *lm)
{
	LocalMapping *map = FindMapping(lm->pool_slot, lm->pool_generation);

	LlmModelFree(lm->model);
	lm->model = NULL;
	if (map != NULL && --map->refs == 0)
	{
		dsm_detach(map->vocab_seg);
		dsm_detach(map->file_seg);	/* PoolOnDetach drops the count */
	}
	lm->vocab_seg = lm->file_seg = NULL;
	lm->pool_slot = -1;
}

/*
 * Unload the entries of a registration: its file as registered, and any
 * other version loaded under its name in this database.
 */
bool
LlmPoolUnload(const char *name, const char *path, const char *sha256)
{
	bool		found = false;

	LWLockAcquire(pool->lock, LW_EXCLUSIVE);
	for (int i = 0; i < LLM_POOL_SLOTS; i++)
	{
		PoolEntry  *e = &pool->entries[i];

		if (e->state == POOL_READY &&
			((strcmp(e->path, path) == 0 && strcmp(e->sha256, sha256) == 0) ||
			 (e->dboid == MyDatabaseId && strcmp(e->name, name) == 0)))
		{
			PoolRetire(e);
			found = true;
		}
	}
	LWLockRelease(pool->lock);
	return found;
}

static void
AddCounters(LlmModelCounters *to, const LlmModelCounters *d)
{
	to->calls += d->calls;
	to->prompt_tokens += d->prompt_tokens;
	to->generated_tokens += d->generated_tokens;
	to->errors += d->errors;
	to->compute_ms += d->compute_ms;
	to->prefix_hits += d->prefix_hits;
	to->prefix_misses += d->prefix_misses;
	to->prefix_tokens += d->prefix_tokens;
	to->last_used = Max(to->last_used, d->last_used);
}

void
LlmPoolCount(LlmLoadedModel *lm, const LlmModelCounters *delta)
{
	PoolEntry  *e;

	if (lm->pool_slot < 0)
	{
		AddCounters(&lm->counters, delta);
		return;
	}
	e = &pool->entries[lm->pool_slot];
	SpinLockAcquire(&e->mutex);
	AddCounters(&e->counters, delta);
	SpinLockRelease(&e->mutex);
}

/* ---- SQL: llm_model_status, llm_model_status_reset ---- */

/* What one row of the status shows; a copy taken under the lock. */
typedef struct StatusRow
{
	char		name[NAMEDATALEN];
	char		path[MAXPGPATH];
	char		sha256[65];
	const char *state;
	const char *storage;
	int64		bytes;
	int			attached;
	double		load_ms;
	TimestampTz loaded_at;
	LlmModelCounters counters;
} StatusRow;

static const char *
StateName(PoolState s)
{
	switch (s)
	{
		case POOL_LOADING:
			return "loading";
		case POOL_READY:
			return "loaded";
		case POOL_RETIRED:
			return "unloading";
		default:
			return "not loaded";
	}
}

/*
 * The pool's entries, or with the pool off this backend's own models, into
 * an array with room for extra more rows.
 */
static int
StatusRows(StatusRow **out, int extra)
{
	StatusRow  *rows = palloc0(sizeof(StatusRow) * (LLM_POOL_SLOTS + extra));
	int			n = 0;

	if (pool != NULL)
	{
		LWLockAcquire(pool->lock, LW_SHARED);
		for (int i = 0; i < LLM_POOL_SLOTS; i++)
		{
			PoolEntry  *e = &pool->entries[i];
			StatusRow  *r = &rows[n];

			if (e->state == POOL_FREE)
				continue;
			strlcpy(r->name, e->name, sizeof(r->name));
			strlcpy(r->path, e->path, sizeof(r->path));
			strlcpy(r->sha256, e->sha256, sizeof(r->sha256));
			r->state = StateName(e->state);
			r->storage = "shared memory";
			r->bytes = e->state == POOL_LOADING ? 0 : (int64) (e->file_bytes + e->vocab_bytes);
			r->attached = e->attached;
			r->load_ms = e->load_ms;
			r->loaded_at = e->loaded_at;
			SpinLockAcquire(&e->mutex);
			r->counters = e->counters;
			SpinLockRelease(&e->mutex);
			n++;
		}
		LWLockRelease(pool->lock);
	}
	else
	{
		LlmLoadedModel **local;
		int			nl = LlmLocalModels(&local);

		for (int i = 0; i < nl; i++)
		{
			StatusRow  *r = &rows[n++];

			strlcpy(r->name, local[i]->name, sizeof(r->name));
			strlcpy(r->path, local[i]->path, sizeof(r->path));
			strlcpy(r->sha256, local[i]->sha256, sizeof(r->sha256));
			r->state = "loaded";
			r->storage = "backend memory (pool off)";
			r->bytes = (int64) local[i]->bytes;
			r->attached = 1;
			r->load_ms = local[i]->load_ms;
			r->loaded_at = local[i]->loaded_at;
			r->counters = local[i]->counters;
		}
	}
	*out = rows;
	return n;
}

PG_FUNCTION_INFO_V1(llm_model_status_rows);

/*
 * Rows of the llm_model_status view: every model of the pool (or, with the
 * pool off, of this backend), and every model registered in this database
 * that is not loaded, named as this database registers it.
 */
Datum
llm_model_status_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	StatusRow  *rows;
	int			n;
	uint64		n_reg;
	char	  **reg_name;
	char	  **reg_path;
	char	  **reg_sha;
	char	  **reg_stored;
	StatusRow  *out;
	bool	   *used;
	int			n_out = 0;

	InitMaterializedSRF(fcinfo, 0);

	SPI_connect();
	SPI_execute(psprintf("SELECT name, path, sha256 FROM %s ORDER BY name",
						 LlmCatalogTable()), true, 0);
	n_reg = SPI_processed;
	reg_name = palloc0(sizeof(char *) * (n_reg + 1));
	reg_path = palloc0(sizeof(char *) * (n_reg + 1));
	reg_sha = palloc0(sizeof(char *) * (n_reg + 1));
	reg_stored = palloc0(sizeof(char *) * (n_reg + 1));
	for (uint64 i = 0; i < n_reg; i++)
	{
		MemoryContext spi = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
		char	   *sha = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3);

		reg_name[i] = pstrdup(SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
		reg_stored[i] = pstrdup(SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2));
		reg_path[i] = LlmModelFilePath(reg_stored[i]);
		reg_sha[i] = pstrdup(sha ? sha : "");
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();

	n = StatusRows(&rows, 0);

	/*
	 * One row per registration of this database: with the pool, the entry
	 * holding its file (two names registering one file share the entry and
	 * its counters); without it, this backend's copy loaded under its name.
	 * A registration whose file is not loaded shows its path as registered
	 * (where its symbolic links now lead is for the next validation to
	 * check).  Then the entries no registration here names: models of
	 * other databases, versions being unloaded.
	 */
	out = palloc0(sizeof(StatusRow) * (n + n_reg + 1));
	used = palloc0(sizeof(bool) * (n + 1));
	for (uint64 j = 0; j < n_reg; j++)
	{
		StatusRow  *r = &out[n_out++];
		int			match = -1;

		/* its file loaded or loading, else its version being unloaded */
		for (int pass = 0; pass < 2 && match < 0; pass++)
			for (int i = 0; i < n && match < 0; i++)
				if (strcmp(rows[i].path, reg_path[j]) == 0 &&
					strcmp(rows[i].sha256, reg_sha[j]) == 0 &&
					(pool != NULL || strcmp(rows[i].name, reg_name[j]) == 0) &&
					(pass == 1 || strcmp(rows[i].state, "unloading") != 0))
					match = i;
		if (match >= 0)
		{
			*r = rows[match];
			used[match] = true;
		}
		else
		{
			strlcpy(r->path, reg_stored[j], sizeof(r->path));
			strlcpy(r->sha256, reg_sha[j], sizeof(r->sha256));
			r->state = "not loaded";
			r->storage = pool ? NULL : "backend memory (pool off)";
		}
		strlcpy(r->name, reg_name[j], sizeof(r->name));
	}
	for (int i = 0; i < n; i++)
		if (!used[i])
			out[n_out++] = rows[i];
	rows = out;
	n = n_out;

	for (int i = 0; i < n; i++)
	{
		StatusRow  *r = &rows[i];
		bool		loaded = strcmp(r->state, "not loaded") != 0;
		Datum		v[19];
		bool		nulls[19] = {0};

		v[0] = CStringGetTextDatum(r->name);
		v[1] = CStringGetTextDatum(r->path);
		v[2] = CStringGetTextDatum(r->sha256);
		v[3] = CStringGetTextDatum(r->state);
		v[4] = BoolGetDatum(strcmp(r->state, "loaded") == 0);
		v[5] = r->storage ? CStringGetTextDatum(r->storage) : (Datum) 0;
		nulls[5] = r->storage == NULL;
		v[6] = Int64GetDatum(r->bytes);
		nulls[6] = !loaded;
		v[7] = Int32GetDatum(r->attached);
		v[8] = Float8GetDatum(r->load_ms);
		nulls[8] = !loaded;
		v[9] = TimestampTzGetDatum(r->loaded_at);
		nulls[9] = !loaded || r->loaded_at == 0;
		v[10] = TimestampTzGetDatum(r->counters.last_used);
		nulls[10] = r->counters.last_used == 0;
		v[11] = Int64GetDatum(r->counters.calls);
		v[12] = Int64GetDatum(r->counters.prompt_tokens);
		v[13] = Int64GetDatum(r->counters.generated_tokens);
		v[14] = Float8GetDatum(r->counters.compute_ms);
		v[15] = Int64GetDatum(r->counters.errors);
		v[16] = Int64GetDatum(r->counters.prefix_hits);
		v[17] = Int64GetDatum(r->counters.prefix_misses);
		v[18] = Int64GetDatum(r->counters.prefix_tokens);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(llm_model_status_reset);

/* Zero the counters of every model in the pool (or of this backend). */
Datum
llm_model_status_reset(PG_FUNCTION_ARGS)
{
	if (pool != NULL)
	{
		LWLockAcquire(pool->lock, LW_SHARED);
		for (int i = 0; i < LLM_POOL_SLOTS; i++)
		{
			PoolEntry  *e = &pool->entries[i];

			SpinLockAcquire(&e->mutex);
			memset(&e->counters, 0, sizeof(e->counters));
			SpinLockRelease(&e->mutex);
		}
		LWLockRelease(pool->lock);
	}
	else
	{
		LlmLoadedModel **local;
		int			nl = LlmLocalModels(&local);

		for (int i = 0; i < nl; i++)
			memset(&local[i]->counters, 0, sizeof(local[i]->counters));
	}
	PG_RETURN_VOID();
}
