/*-------------------------------------------------------------------------
 *
 * cpu_x86.c
 *	  LlmCpuDetect for x86-64: cpuid leaves 1 and 7 (subleaves 0 and 1),
 *	  checked against XCR0 so that a feature counts only when the operating
 *	  system saves the registers it needs.
 *
 * A CPU may report AVX-512 while the kernel (or a hypervisor) leaves the
 * opmask and upper-ZMM state out of XSAVE; executing AVX-512 code there
 * would fault or corrupt state on a context switch, so XCR0 decides.
 *
 * Pure C: no PostgreSQL headers.
 *
 *-------------------------------------------------------------------------
 */
#if defined(__x86_64__)

#include <cpuid.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu.h"

/* XCR0 bits: SSE and AVX (YMM upper halves) state */
#define LLM_XCR0_AVX		0x06
/* XCR0 bits: AVX-512 opmask, ZMM0-15 upper halves, ZMM16-31 */
#define LLM_XCR0_AVX512		0xe0
/* XCR0 bits: AMX tile configuration and tile data */
#define LLM_XCR0_AMX		0x60000

static LlmCpuFeatures llm_cpu_features;
static int	llm_cpu_detected = 0;

static uint64_t
LlmXgetbv0(void)
{
	uint32_t	lo,
				hi;

	/* inline asm, so that the file needs no -mxsave */
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t) hi << 32) | lo;
}

static void
LlmCpuProbe(LlmCpuFeatures *f)
{
	unsigned int max_leaf,
				eax,
				ebx,
				ecx,
				edx;
	unsigned int ecx1;
	unsigned int max_sub7;
	uint64_t	xcr0 = 0;
	bool		os_avx = false;
	bool		os_avx512 = false;
	bool		os_amx = false;

	max_leaf = __get_cpuid_max(0, NULL);
	if (max_leaf < 1)
		return;

	__cpuid(1, eax, ebx, ecx1, edx);
	/* OSXSAVE (ecx bit 27) says XGETBV is usable */
	if (ecx1 & (1u << 27))
	{
		xcr0 = LlmXgetbv0();
		os_avx = (xcr0 & LLM_XCR0_AVX) == LLM_XCR0_AVX;
		os_avx512 = os_avx && (xcr0 & LLM_XCR0_AVX512) == LLM_XCR0_AVX512;
		os_amx = (xcr0 & LLM_XCR0_AMX) == LLM_XCR0_AMX;
	}
	if (!os_avx || !(ecx1 & (1u << 28)))	/* AVX itself */
		return;

	f->fma = (ecx1 & (1u << 12)) != 0;
	f->f16c = (ecx1 & (1u << 29)) != 0;

	if (max_leaf < 7)
		return;
	__cpuid_count(7, 0, eax, ebx, ecx, edx);
	max_sub7 = eax;
	f->avx2 = (ebx & (1u << 5)) != 0;
	if (os_avx512)
	{
		f->avx512f = (ebx & (1u << 16)) != 0;
		f->avx512dq = (ebx & (1u << 17)) != 0;
		f->avx512bw = (ebx & (1u << 30)) != 0;
		f->avx512vl = (ebx & (1u << 31)) != 0;
		f->avx512vnni = (ecx & (1u << 11)) != 0;
	}
	if (os_amx)
	{
		f->amx_tile = (edx & (1u << 24)) != 0;
		f->amx_int8 = f->amx_tile && (edx & (1u << 25)) != 0;
	}
	if (max_sub7 >= 1)
	{
		__cpuid_count(7, 1, eax, ebx, ecx, edx);
		/* AVX-VNNI is a VEX encoding: YMM state is enough */
		f->avxvnni = (eax & (1u << 4)) != 0;
		if (os_avx512)
			f->avx512bf16 = (eax & (1u << 5)) != 0;
	}

	/* extensions of AVX-512F are meaningless without it */
	if (!f->avx512f)
	{
		f->avx512dq = f->avx512bw = f->avx512vl = false;
		f->avx512vnni = f->avx512bf16 = false;
	}
}

const LlmCpuFeatures *
LlmCpuDetect(void)
{
	/*
	 * Probing is idempotent, so two threads racing on the first call both
	 * store the same answer; the acquire/release pair only makes sure that
	 * a thread seeing the flag also sees the fields.
	 */
	if (!__atomic_load_n(&llm_cpu_detected, __ATOMIC_ACQUIRE))
	{
		LlmCpuFeatures f = {0};

		LlmCpuProbe(&f);
		llm_cpu_features = f;
		__atomic_store_n(&llm_cpu_detected, 1, __ATOMIC_RELEASE);
	}
	return &llm_cpu_features;
}

#endif							/* __x86_64__ */
