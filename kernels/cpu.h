/*-------------------------------------------------------------------------
 *
 * cpu.h
 *	  Runtime CPU feature detection for picking kernel variants.
 *
 * x86: cpuid plus xgetbv, so a feature counts only when the OS also saves
 * its registers.  Arm: getauxval(AT_HWCAP / AT_HWCAP2).  Detected once;
 * the result never changes during a process.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LLM_KERNELS_CPU_H
#define LLM_KERNELS_CPU_H

#include <stdbool.h>

typedef struct LlmCpuFeatures
{
	/* x86-64 */
	bool		avx2;
	bool		fma;
	bool		f16c;
	bool		avx512f;
	bool		avx512bw;
	bool		avx512dq;
	bool		avx512vl;
	bool		avx512vnni;
	bool		avx512bf16;
	bool		avxvnni;
	bool		amx_tile;		/* with the OS saving the tile state (XCR0) */
	bool		amx_int8;
	/* aarch64 */
	bool		neon;
	bool		dotprod;
	bool		i8mm;
	bool		sve;
	bool		sve2;
	int			sve_bits;		/* vector length, 0 without SVE */
} LlmCpuFeatures;

extern const LlmCpuFeatures *LlmCpuDetect(void);

#endif							/* LLM_KERNELS_CPU_H */
