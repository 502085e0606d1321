/*-------------------------------------------------------------------------
 *
 * unit.h
 *	  A minimal unit-test harness: CHECK records a pass or a failure with its
 *	  location, and UnitSummary prints "N passed, M failed" and returns the
 *	  process exit status.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_TEST_UNIT_H
#define LLM_TEST_UNIT_H

#include <stdio.h>
#include <stdlib.h>

static int	unit_passed;
static int	unit_failed;

#define CHECK(cond, ...) \
	do { \
		if (cond) \
			unit_passed++; \
		else \
		{ \
			unit_failed++; \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
		} \
	} while (0)

/* A whole file, NUL-terminated (malloc'd), or NULL; *len gets its size. */
static inline char *
UnitReadFile(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf;
	long		n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n + 1);
	if (buf == NULL || fread(buf, 1, n, f) != (size_t) n)
	{
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = (size_t) n;
	return buf;
}

static inline int
UnitSummary(const char *suite)
{
	printf("%s: %d passed, %d failed\n", suite, unit_passed, unit_failed);
	return unit_failed == 0 ? 0 : 1;
}

#endif							/* LLM_TEST_UNIT_H */
