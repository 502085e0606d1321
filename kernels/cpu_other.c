/*-------------------------------------------------------------------------
 *
 * cpu_other.c
 *	  LlmCpuDetect for architectures with no SIMD kernel variants (neither
 *	  x86-64 nor aarch64): every feature is false, so only "ref" runs.
 *
 * Pure C: no PostgreSQL headers.
 *
 *-------------------------------------------------------------------------
 */
#if !defined(__x86_64__) && !defined(__aarch64__)

#include "cpu.h"

static const LlmCpuFeatures llm_cpu_none = {0};

const LlmCpuFeatures *
LlmCpuDetect(void)
{
	return &llm_cpu_none;
}

#endif
