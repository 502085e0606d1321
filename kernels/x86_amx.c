/*-------------------------------------------------------------------------
 *
 * x86_amx.c
 *	  The "amx" kernel variant: "avx512bf16" with the Q8_0 gemm of prompt
 *	  processing on AMX-INT8 tiles (Sapphire Rapids and later).
 *
 * TDPBSSD multiplies a tile of 16 rows of signed bytes by a tile of signed
 * bytes laid out four per 32-bit column, summing into 16 x 16 int32.  Q8_0
 * against Q8_0 is signed by signed, so a block's dot product is one
 * TDPBSSD with K = 32 and exact: no offsets, no saturation.  The tiles:
 *
 *	A	16 activation rows x the 32 quants of one block, loaded straight
 *		from the activation rows (their stride is the tile's stride)
 *	B	the block's 32 quants of 16 weight rows, 8 rows of 64 bytes: row k
 *		holds quants 4k..4k+3 of each weight row, the packed panel of the
 *		AVX-512 GEMM (LlmPackQ32) with the quants left signed
 *	C	16 x 16 int32: row t is activation t against the 16 weight rows
 *
 * Every block needs its own sum (the scales are per block), so each C tile
 * is stored after one TDPBSSD.  Then AVX-512 finishes exactly as the
 * packed GEMM of x86_avx512_gemm.c does (see LLM_PK_KB): a row of C is
 * the vector that GEMM's VPDPBUSD chain leaves for one activation row, and
 * the same float operations follow in the same order, so every output
 * element has the AVX-512 path's bits.  A sequence decoded alone (GEMV) or
 * in a small batch (packed GEMM) and inside a prompt (AMX) agrees exactly.
 *
 * Blocking: activation rows in groups of LLM_AMX_GROUP, the common
 * dimension in spans of LLM_AMX_SPAN blocks, whose activation scales are
 * converted once per group; then each sixteen-row weight panel takes the
 * span's chunks of LLM_PK_KB blocks in turn (the float order requires that
 * chunk), packed once and used by every activation tile of the group, so
 * that the panel's outputs stay in the cache from one chunk to the next.
 * A group's last tile of fewer than 16 rows is copied into a zero-padded
 * buffer, so no tile reads past the activations.  About 90 kB of stack.
 *
 * The tile state: Linux saves the 8 kB of tile data only for processes
 * that ask (arch_prctl ARCH_REQ_XCOMP_PERM), once per process, from any
 * thread.  The variant is offered only when that was granted, else the
 * dispatcher picks "avx512bf16".  Each call loads its tile configuration
 * (LDTILECFG is per thread, and worker threads come and go) and releases
 * the tiles when it returns, so that the state saved on a context switch
 * is small again.
 *
 * Fewer than LLM_AMX_MIN_NT activation rows go through the AVX-512 gemm.
 *
 * Compiled with baseline flags: the functions carry target attributes and
 * dispatch.c calls none of them unless LlmCpuRunsAmx agrees.
 *
 * Pure C: no PostgreSQL headers.
 *
 *-------------------------------------------------------------------------
 */
#include "x86_avx512.h"

#if defined(__x86_64__)

#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

#define LLM_AMX __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512bf16,avx2,fma,f16c,amx-tile,amx-int8")))

/* Linux's arch_prctl request for permission to use a state component */
#define LLM_ARCH_REQ_XCOMP_PERM 0x1023
#define LLM_XFEATURE_XTILEDATA 18

/* fewer activation rows: the AVX-512 gemm (GEMV or packed) */
#define LLM_AMX_MIN_NT 16
/* activation rows per group: eight tiles */
#define LLM_AMX_GROUP 128
/* blocks per span of the common dimension: four chunks */
#define LLM_AMX_SPAN (4 * LLM_PK_KB)

/* tiles: C accumulators, A activations, B weights, two of each in turn */
#define LLM_TMM_C0 0
#define LLM_TMM_C1 1
#define LLM_TMM_A0 2
#define LLM_TMM_A1 3
#define LLM_TMM_B0 4
#define LLM_TMM_B1 5

/* the 64-byte operand of LDTILECFG, palette 1 */
typedef struct LlmAmxConfig
{
	uint8_t		palette;
	uint8_t		start_row;
	uint8_t		reserved[14];
	uint16_t	colsb[16];		/* bytes per row of each tile */
	uint8_t		rows[16];
} __attribute__((aligned(64))) LlmAmxConfig;

typedef struct LlmAmxScratch
{
	LlmQ32Panel panel;
	int32_t		c[LLM_PK_KB][16][16] __attribute__((aligned(64)));	/* C per block */
	int8_t		pad[LLM_AMX_SPAN][16][QK8_0] __attribute__((aligned(64)));	/* a partial A */
	float		da[LLM_AMX_SPAN][LLM_AMX_GROUP];	/* scale of block b of row t: da[b][t] */
} LlmAmxScratch;

/* 0 not asked yet, 1 granted, -1 refused */
static int	llm_amx_permission = 0;

/*
 * Ask Linux once to save this process's tile data.  Asking twice is
 * harmless, so threads racing on the first call may both ask; the
 * acquire/release pair makes a thread that sees the answer see it whole.
 */
static bool
LlmAmxPermitted(void)
{
	int			st = __atomic_load_n(&llm_amx_permission, __ATOMIC_ACQUIRE);

	if (st == 0)
	{
#if defined(__linux__)
		st = syscall(SYS_arch_prctl, LLM_ARCH_REQ_XCOMP_PERM, LLM_XFEATURE_XTILEDATA) == 0 ? 1 : -1;
#else
		/* untested elsewhere: AVX-512 serves */
		st = -1;
#endif
		__atomic_store_n(&llm_amx_permission, st, __ATOMIC_RELEASE);
	}
	return st == 1;
}

bool
LlmCpuRunsAmx(void)
{
	const LlmCpuFeatures *f = LlmCpuDetect();

	return LlmCpuRunsAvx512Bf16() && f->amx_tile && f->amx_int8 && LlmAmxPermitted();
}

/* C: 16 x 16 int32; A: 16 rows of one block's 32 quants; B: 8 rows of 64 bytes */
static LLM_AMX void
LlmAmxLoadConfig(void)
{
	LlmAmxConfig cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.palette = 1;
	for (int i = LLM_TMM_C0; i <= LLM_TMM_C1; i++)
	{
		cfg.rows[i] = 16;
		cfg.colsb[i] = 16 * sizeof(int32_t);
	}
	for (int i = LLM_TMM_A0; i <= LLM_TMM_A1; i++)
	{
		cfg.rows[i] = 16;
		cfg.colsb[i] = QK8_0;
	}
	for (int i = LLM_TMM_B0; i <= LLM_TMM_B1; i++)
	{
		cfg.rows[i] = QK8_0 / 4;
		cfg.colsb[i] = 64;
	}
	_tile_loadconfig(&cfg);
}

/*
 * The exact block sums of one activation tile against the packed panel,
 * blocks [0, kb) of the chunk: c[b][t][i] = dot(activation t, weight row
 * i) over block b.  Block b of activation t is at a + as * t + ab * b.
 * Two sets of tiles in turn, so that one block's store overlaps the next
 * block's loads and product.
 */
LLM_INLINE LLM_AMX void
LlmAmxBlockSums(int kb, const int8_t *a, size_t as, size_t ab, LlmAmxScratch *x)
{
	int			b = 0;

	for (; b + 2 <= kb; b += 2)
	{
		_tile_loadd(LLM_TMM_A0, a + ab * b, as);
		_tile_loadd(LLM_TMM_B0, x->panel.q[b], 64);
		_tile_zero(LLM_TMM_C0);
		_tile_dpbssd(LLM_TMM_C0, LLM_TMM_A0, LLM_TMM_B0);
		_tile_loadd(LLM_TMM_A1, a + ab * (b + 1), as);
		_tile_loadd(LLM_TMM_B1, x->panel.q[b + 1], 64);
		_tile_zero(LLM_TMM_C1);
		_tile_dpbssd(LLM_TMM_C1, LLM_TMM_A1, LLM_TMM_B1);
		_tile_stored(LLM_TMM_C0, x->c[b], 64);
		_tile_stored(LLM_TMM_C1, x->c[b + 1], 64);
	}
	if (b < kb)
	{
		_tile_loadd(LLM_TMM_A0, a + ab * b, as);
		_tile_loadd(LLM_TMM_B0, x->panel.q[b], 64);
		_tile_zero(LLM_TMM_C0);
		_tile_dpbssd(LLM_TMM_C0, LLM_TMM_A0, LLM_TMM_B0);
		_tile_stored(LLM_TMM_C0, x->c[b], 64);
	}
}

/*
 * The packed GEMM's float chain (LlmMicroQ32, LlmPanelRowsQ32) over the
 * block sums of an activation tile: the chunk's sum for each row, added to
 * what s holds from earlier chunks when add; the first tn rows are stored.
 * The sixteen chains run side by side: one alone would wait on the FMA's
 * latency at every block.
 */
LLM_INLINE LLM_AMX void
LlmAmxFinish(int kb, int tn, const LlmAmxScratch *x, const float (*da)[LLM_AMX_GROUP], int t0,
			 float *s, size_t ldc, __mmask16 m, bool add)
{
	__m512		acc[16];

#pragma GCC unroll 16
	for (int t = 0; t < 16; t++)
		acc[t] = _mm512_setzero_ps();
	for (int b = 0; b < kb; b++)
	{
		__m512		dw = _mm512_load_ps(x->panel.d[b]);

#pragma GCC unroll 16
		for (int t = 0; t < 16; t++)
			acc[t] = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_load_si512(x->c[b][t])), dw),
									 _mm512_set1_ps(da[b][t0 + t]), acc[t]);
	}
	for (int t = 0; t < tn; t++)
	{
		float	   *st = s + ldc * t;

		if (add)
			acc[t] = _mm512_add_ps(acc[t], _mm512_maskz_loadu_ps(m, st));
		_mm512_mask_storeu_ps(st, m, acc[t]);
	}
}

LLM_AMX void
LlmGemmQ8_0_amx(int64_t n, int nr, int nt, float *s, size_t ldc,
				const void *w, size_t ws, const void *a, size_t as)
{
	const int64_t nb = n / QK8_0;
	LlmAmxScratch x;

	if (nt < LLM_AMX_MIN_NT)
	{
		LlmGemmQ8_0_avx512(n, nr, nt, s, ldc, w, ws, a, as);
		return;
	}
	LlmAmxLoadConfig();
	for (int g0 = 0; g0 < nt; g0 += LLM_AMX_GROUP)
	{
		int			ng = nt - g0 < LLM_AMX_GROUP ? nt - g0 : LLM_AMX_GROUP;
		const char *ag = (const char *) a + as * g0;
		float	   *sg = s + ldc * g0;
		int			full = ng / 16 * 16;

		for (int64_t s0 = 0; s0 < nb; s0 += LLM_AMX_SPAN)
		{
			int			ks = nb - s0 < LLM_AMX_SPAN ? (int) (nb - s0) : LLM_AMX_SPAN;

			for (int t = 0; t < ng; t++)
			{
				const BlockQ8_0 *y = (const BlockQ8_0 *) (ag + as * t) + s0;

				for (int b = 0; b < ks; b++)
					x.da[b][t] = LlmH2F(y[b].d);
			}
			/* the padding rows of a partial tile are computed, not stored */
			for (int t = ng; t < (ng + 15) / 16 * 16; t++)
				for (int b = 0; b < ks; b++)
					x.da[b][t] = 0.0f;
			if (full < ng)
			{
				/* the partial tile's rows, zero rows after them */
				memset(x.pad, 0, sizeof(x.pad));
				for (int t = full; t < ng; t++)
				{
					const BlockQ8_0 *y = (const BlockQ8_0 *) (ag + as * t) + s0;

					for (int b = 0; b < ks; b++)
						memcpy(x.pad[b][t - full], y[b].qs, QK8_0);
				}
			}

			/*
			 * A panel's chunks in turn, so that its outputs stay in the
			 * cache from one chunk to the next
			 */
			for (int r0 = 0; r0 < nr; r0 += 16)
			{
				int			rows = nr - r0 < 16 ? nr - r0 : 16;
				__mmask16	m = LlmMask16(rows);

				for (int c0 = 0; c0 < ks; c0 += LLM_PK_KB)
				{
					int			kb = ks - c0 < LLM_PK_KB ? ks - c0 : LLM_PK_KB;
					int64_t		b0 = s0 + c0;

					LlmPackQ32(LLM_TYPE_Q8_0, false, (const char *) w + ws * r0, ws, rows, b0, kb,
							   &x.panel);
					for (int t0 = 0; t0 < ng; t0 += 16)
					{
						int			tn = ng - t0 < 16 ? ng - t0 : 16;

						if (tn == 16)
							LlmAmxBlockSums(kb, ((const BlockQ8_0 *) (ag + as * t0) + b0)->qs, as,
											sizeof(BlockQ8_0), &x);
						else
							LlmAmxBlockSums(kb, &x.pad[c0][0][0], QK8_0, sizeof(x.pad[0]), &x);
						LlmAmxFinish(kb, tn, &x, x.da + c0, t0, sg + ldc * t0 + r0, ldc, m, b0 > 0);
					}
				}
			}
		}
	}
	_tile_release();
}

#endif							/* __x86_64__ */
