/*-------------------------------------------------------------------------
 *
 * cpu_arm.c
 *	  Runtime CPU feature detection on aarch64 Linux, and the predicates the
 *	  dispatcher uses to decide which Arm kernel variants may run.
 *
 * The kernel reports what user space may use through the auxiliary vector
 * (AT_HWCAP, AT_HWCAP2); unlike reading ID registers this also tells us
 * that the OS saves the SVE state.  The SVE vector length is per process
 * (it can be lowered with prctl), so we ask for the current one.
 *
 * Compiles to nothing on other architectures.
 *
 *-------------------------------------------------------------------------
 */
#if defined(__aarch64__)

#include <stdbool.h>
#include <sys/auxv.h>
#include <sys/prctl.h>

#include "cpu.h"
#include "kernels_arm.h"

/* older C libraries lack the newer bits; the values are the kernel ABI */
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1UL << 1)
#endif
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1UL << 20)
#endif
#ifndef HWCAP_SVE
#define HWCAP_SVE (1UL << 22)
#endif
#ifndef HWCAP2_SVE2
#define HWCAP2_SVE2 (1UL << 1)
#endif
#ifndef HWCAP2_I8MM
#define HWCAP2_I8MM (1UL << 13)
#endif
#ifndef PR_SVE_GET_VL
#define PR_SVE_GET_VL 51
#endif
#ifndef PR_SVE_VL_LEN_MASK
#define PR_SVE_VL_LEN_MASK 0xffff
#endif

static LlmCpuFeatures llm_cpu_features;
static bool llm_cpu_detected = false;

const LlmCpuFeatures *
LlmCpuDetect(void)
{
	/* a race here only stores the same values twice */
	if (!llm_cpu_detected)
	{
		unsigned long hwcap = getauxval(AT_HWCAP);
		unsigned long hwcap2 = getauxval(AT_HWCAP2);
		LlmCpuFeatures f = {0};

		f.neon = (hwcap & HWCAP_ASIMD) != 0;
		f.dotprod = (hwcap & HWCAP_ASIMDDP) != 0;
		f.i8mm = (hwcap2 & HWCAP2_I8MM) != 0;
		f.sve = (hwcap & HWCAP_SVE) != 0;
		f.sve2 = f.sve && (hwcap2 & HWCAP2_SVE2) != 0;
		if (f.sve)
		{
			int			vl = prctl(PR_SVE_GET_VL, 0, 0, 0, 0);

			/*
			 * The vector length in bytes is in the low bits.  Should the
			 * call fail despite HWCAP_SVE, do not trust SVE at all.
			 */
			if (vl > 0)
				f.sve_bits = (vl & PR_SVE_VL_LEN_MASK) * 8;
			else
			{
				f.sve = false;
				f.sve2 = false;
			}
		}
		llm_cpu_features = f;
		llm_cpu_detected = true;
	}
	return &llm_cpu_features;
}

/*
 * What each variant needs.  Every aarch64 Linux system has Advanced SIMD,
 * but the test costs nothing.  The i8mm variant takes its vec_dot from the
 * dotprod one, and the SVE variant its converters from the NEON one.
 */
bool
LlmCpuRunsNeon(void)
{
	return LlmCpuDetect()->neon;
}

bool
LlmCpuRunsDotprod(void)
{
	const LlmCpuFeatures *f = LlmCpuDetect();

	return f->neon && f->dotprod;
}

bool
LlmCpuRunsI8mm(void)
{
	const LlmCpuFeatures *f = LlmCpuDetect();

	return f->neon && f->dotprod && f->i8mm;
}

bool
LlmCpuRunsSve(void)
{
	const LlmCpuFeatures *f = LlmCpuDetect();

	/* the kernels assume whole 128-bit granules, as the architecture does */
	return f->neon && f->sve && f->sve_bits >= 128 && f->sve_bits % 128 == 0;
}

#endif							/* __aarch64__ */
