/*-------------------------------------------------------------------------
 *
 * llm_sha256.c
 *	  SHA-256 of a model file, to notice when a registered file changes,
 *	  and reading a file into memory with its hash in the same pass.
 *
 *-------------------------------------------------------------------------
 */
#include "llm.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cryptohash.h"
#include "common/sha2.h"
#include "miscadmin.h"
#include "storage/fd.h"

#define LLM_HASH_CHUNK (1024 * 1024)

/*
 * hex receives 64 hex digits and a NUL.  The file is a transient file and
 * the hash context belongs to the resource owner, so an error or a cancel
 * in the middle (a multi-gigabyte file takes seconds) leaks nothing.
 */
static void
DigestToHex(const uint8 *digest, char *hex)
{
	for (int i = 0; i < PG_SHA256_DIGEST_LENGTH; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}

void
LlmFileSha256(const char *path, char *hex)
{
	LlmReadFileSha256(path, NULL, 0, hex);
}

/*
 * Hash a file and, when dst is not NULL, copy it there in the same pass:
 * it must be exactly size bytes long (a file that grew or shrank since its
 * size was taken is an error, never a partial copy).
 */
void
LlmReadFileSha256(const char *path, char *dst, size_t size, char *hex)
{
	pg_cryptohash_ctx *ctx;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *buf;
	int			fd;
	ssize_t		n;

	/* O_NONBLOCK: a FIFO put in the file's place must not hang the backend */
	fd = OpenTransientFile(path, O_RDONLY | O_NONBLOCK | PG_BINARY);
	if (fd < 0)
		ereport(ERROR,
				errcode_for_file_access(),
				errmsg("could not open model file \"%s\": %m", path));
	{
		struct stat st;

		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
			ereport(ERROR,
					errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("model file \"%s\" is not a regular file", path));
	}
	ctx = pg_cryptohash_create(PG_SHA256);
	if (pg_cryptohash_init(ctx) < 0)
		elog(ERROR, "could not initialize a SHA-256 context: %s", pg_cryptohash_error(ctx));
	buf = dst ? NULL : palloc(LLM_HASH_CHUNK);
	for (size_t done = 0;; done += n)
	{
		char	   *to = dst ? dst + done : buf;
		size_t		want = dst ? Min((size_t) LLM_HASH_CHUNK, size - done) : LLM_HASH_CHUNK;
		char		extra;

		/* at the expected end, one more byte tells a file that grew */
		if (dst && want == 0)
		{
			to = &extra;
			want = 1;
		}
		n = read(fd, to, want);
		if (n < 0)
			ereport(ERROR,
					errcode_for_file_access(),
					errmsg("could not read model file \"%s\": %m", path));
		if (dst && (n == 0 ? done != size : to == &extra))
			ereport(ERROR,
					errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					errmsg("model file \"%s\" changed while it was being read", path),
					errdetail("It had %zu bytes when the read started; now it has %s.",
							  size, n == 0 ? psprintf("%zu", done) : "more"));
		if (n == 0)
			break;
		if (pg_cryptohash_update(ctx, (uint8 *) to, n) < 0)
			elog(ERROR, "could not hash \"%s\": %s", path, pg_cryptohash_error(ctx));
		CHECK_FOR_INTERRUPTS();
	}
	if (pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not hash \"%s\": %s", path, pg_cryptohash_error(ctx));
	pg_cryptohash_free(ctx);
	CloseTransientFile(fd);
	if (buf)
		pfree(buf);
	DigestToHex(digest, hex);
}

/*
 * The identity of the file now at path: device, inode, size and
 * modification time.  A copy over the file, a truncation, a rename of
 * another file onto it or a touch all change it; false if it cannot be
 * stat'ed (errno says why).
 */
bool
LlmFileIdOf(const char *path, LlmFileId *id)
{
	struct stat st;

	memset(id, 0, sizeof(*id));
	if (stat(path, &st) != 0)
		return false;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	id->size = st.st_size;
	id->mtime_ns = (int64) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	id->regular = S_ISREG(st.st_mode);
	return true;
}

bool
LlmFileIdEqual(const LlmFileId *a, const LlmFileId *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
		a->mtime_ns == b->mtime_ns;
}

/*
 * The SHA-256 of a file whose identity is known, hashed at most once per
 * backend and file version: a changed file that a call refuses is not
 * hashed again by every later call.
 */
#define LLM_SHA_CACHE 8
typedef struct ShaCacheEntry
{
	char		path[MAXPGPATH];
	LlmFileId	id;
	char		hex[65];
} ShaCacheEntry;
static ShaCacheEntry sha_cache[LLM_SHA_CACHE];
static int	sha_cache_next;

void
LlmFileSha256Cached(const char *path, const LlmFileId *id, char *hex)
{
	ShaCacheEntry *e;

	for (int i = 0; i < LLM_SHA_CACHE; i++)
		if (strcmp(sha_cache[i].path, path) == 0 && LlmFileIdEqual(&sha_cache[i].id, id))
		{
			memcpy(hex, sha_cache[i].hex, 65);
			return;
		}
	LlmFileSha256(path, hex);
	e = &sha_cache[sha_cache_next];
	sha_cache_next = (sha_cache_next + 1) % LLM_SHA_CACHE;
	strlcpy(e->path, path, sizeof(e->path));
	e->id = *id;
	memcpy(e->hex, hex, 65);
}
