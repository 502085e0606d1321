/* placeholder while the AVX2 variant is written */
#if defined(__x86_64__)
#include "kernels_ref.h"
#include "kernels_x86.h"
const LlmKernelTable *
LlmKernelsAvx2(void)
{
	return LlmKernelsRef();
}
#endif
