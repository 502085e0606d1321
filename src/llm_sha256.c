/*-------------------------------------------------------------------------
 *
 * llm_sha256.c
 *	  SHA-256 of a model file, to notice when a registered file changes.
 *
 *-------------------------------------------------------------------------
 */
#include "llm.h"

#include <fcntl.h>
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
void
LlmFileSha256(const char *path, char *hex)
{
	pg_cryptohash_ctx *ctx;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *buf;
	int			fd;
	ssize_t		n;

	fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	if (fd < 0)
		ereport(ERROR,
				errcode_for_file_access(),
				errmsg("could not open model file \"%s\": %m", path));
	ctx = pg_cryptohash_create(PG_SHA256);
	if (pg_cryptohash_init(ctx) < 0)
		elog(ERROR, "could not initialize a SHA-256 context: %s", pg_cryptohash_error(ctx));
	buf = palloc(LLM_HASH_CHUNK);
	while ((n = read(fd, buf, LLM_HASH_CHUNK)) > 0)
	{
		if (pg_cryptohash_update(ctx, (uint8 *) buf, n) < 0)
			elog(ERROR, "could not hash \"%s\": %s", path, pg_cryptohash_error(ctx));
		CHECK_FOR_INTERRUPTS();
	}
	if (n < 0)
		ereport(ERROR,
				errcode_for_file_access(),
				errmsg("could not read model file \"%s\": %m", path));
	if (pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not hash \"%s\": %s", path, pg_cryptohash_error(ctx));
	pg_cryptohash_free(ctx);
	CloseTransientFile(fd);
	pfree(buf);
	for (int i = 0; i < PG_SHA256_DIGEST_LENGTH; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}
