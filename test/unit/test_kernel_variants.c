/*-------------------------------------------------------------------------
 *
 * test_kernel_variants.c
 *	  Every compiled kernel variant against its scalar *_ref twin, on
 *	  deterministic data with odd lengths.  Variants this CPU cannot run are
 *	  listed as skipped (under qemu-aarch64 each -cpu setting runs a
 *	  different subset).
 *
 * Activation converters must be bit-identical to the reference (parity
 * with llama.cpp depends on the exact quants); dot products and tiles may
 * differ only by float summation order, bounded relative to the sum of
 * absolute products with a tolerance named per format.  Within one
 * variant, gemm must compute each element in one fixed order whatever the
 * tile (TestRowIndependence): batched decoding depends on it.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fp16.h"
#include "kernels_ref.h"
#include "unit.h"

typedef struct VariantFormat
{
	LlmType		type;
	double		tol;			/* |s - s_ref| <= tol * sum |w_i a_i| + 1e-30 */
} VariantFormat;

/*
 * Integer formats sum exactly inside a block; only the float sums across
 * blocks reorder.  The float formats reorder every product.
 */
static const VariantFormat formats[] = {
	{LLM_TYPE_F32, 1e-5},
	{LLM_TYPE_F16, 1e-5},
	{LLM_TYPE_BF16, 1e-5},
	{LLM_TYPE_Q8_0, 1e-5},
	{LLM_TYPE_Q4_0, 1e-5},
	{LLM_TYPE_Q5_0, 1e-5},
	{LLM_TYPE_Q4_K, 1e-5},
	{LLM_TYPE_Q5_K, 1e-5},
	{LLM_TYPE_Q6_K, 1e-5},
};

#define N_FORMATS (sizeof(formats) / sizeof(formats[0]))
#define MAX_ROWS 9
#define MAX_COLS 7

static const LlmKernelTable *ref;
static uint32_t rng = 12345u;

static float
Rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return (float) (rng >> 8) * (2.0f / 16777216.0f) - 1.0f;
}

static void
Fill(float *x, int64_t n, float scale)
{
	for (int64_t i = 0; i < n; i++)
	{
		x[i] = scale * Rand();
		if ((rng & 127) == 0)
			x[i] *= 8.0f;			/* a few outliers */
	}
}

/* lengths with odd block counts, and a long one */
static int
Lengths(LlmType type, int64_t *out)
{
	int			bs = LlmTypeGetTraits(LlmTypeGetTraits(type)->vec_dot_type)->block_size;
	int			wb = LlmTypeGetTraits(type)->block_size;

	if (wb > bs)
		bs = wb;
	if (bs == 1)
	{
		int64_t		fl[] = {1, 7, 31, 33, 255, 1000, 4099};

		memcpy(out, fl, sizeof(fl));
		return 7;
	}
	out[0] = bs;
	out[1] = 3 * bs;
	out[2] = 7 * bs;
	out[3] = 4096 / bs * bs + bs;
	return 4;
}

/* sum |w_i a_i| from the dequantized rows: the scale of rounding error */
static double
AbsDot(const float *w, const float *a, int64_t n)
{
	double		s = 0;

	for (int64_t i = 0; i < n; i++)
		s += fabs((double) w[i] * a[i]);
	return s;
}

static void
TestConverters(const LlmKernelTable *k)
{
	static const LlmType act_types[] = {LLM_TYPE_F32, LLM_TYPE_F16, LLM_TYPE_BF16,
	LLM_TYPE_Q8_0, LLM_TYPE_Q8_K};

	for (size_t i = 0; i < sizeof(act_types) / sizeof(act_types[0]); i++)
	{
		LlmType		t = act_types[i];
		int64_t		lens[8];
		int			nl = Lengths(t, lens);

		for (int li = 0; li < nl; li++)
		{
			int64_t		n = lens[li];
			size_t		bytes = LlmTypeRowSize(t, n);
			float	   *x = malloc(sizeof(float) * n);
			char	   *a = malloc(bytes);
			char	   *b = malloc(bytes);

			Fill(x, n, 3.0f);
			if (n >= 64)
			{
				/* an all-zero block and exact ties of the rounding */
				memset(x, 0, sizeof(float) * 32);
				for (int j = 32; j < 64; j++)
					x[j] = (float) (j - 48) * 0.5f;
			}
			ref->from_float[t] (x, a, n);
			if (k->from_float[t] == NULL)
				CHECK(false, "%s: from_float[%s] missing", k->name, LlmTypeGetTraits(t)->name);
			else
			{
				k->from_float[t] (x, b, n);
				CHECK(memcmp(a, b, bytes) == 0, "%s: from_float[%s] n=%lld is bit-identical to ref",
					  k->name, LlmTypeGetTraits(t)->name, (long long) n);
			}
			free(x);
			free(a);
			free(b);
		}
	}
}

static void
TestFormat(const LlmKernelTable *k, const VariantFormat *f)
{
	const LlmTypeTraits *tt = LlmTypeGetTraits(f->type);
	LlmType		vdt = tt->vec_dot_type;
	int64_t		lens[8];
	int			nl = Lengths(f->type, lens);

	if (k->vec_dot[f->type] == NULL || k->gemm[f->type] == NULL || k->to_float[f->type] == NULL)
	{
		CHECK(false, "%s: %s has no vec_dot, gemm or to_float", k->name, tt->name);
		return;
	}
	for (int li = 0; li < nl; li++)
	{
		int64_t		n = lens[li];
		size_t		wrow = LlmTypeRowSize(f->type, n);
		size_t		arow = LlmTypeRowSize(vdt, n);
		float	   *x = malloc(sizeof(float) * n);
		float	   *wf = malloc(sizeof(float) * n * MAX_ROWS);
		float	   *af = malloc(sizeof(float) * n * MAX_COLS);
		char	   *w = malloc(wrow * MAX_ROWS);
		char	   *a = malloc(arow * MAX_COLS);
		float		s_ref[MAX_ROWS * MAX_COLS];
		double		bound[MAX_ROWS * MAX_COLS];
		float		s[MAX_ROWS * MAX_COLS];
		double		worst = 0;
		bool		ok = true;

		for (int r = 0; r < MAX_ROWS; r++)
		{
			Fill(x, n, 1.0f);
			LlmQuantizeWeights(f->type, x, w + wrow * r, n);
			ref->to_float[f->type] (w + wrow * r, wf + n * r, n);
		}
		for (int t = 0; t < MAX_COLS; t++)
		{
			Fill(x, n, 2.0f);
			ref->from_float[vdt] (x, a + arow * t, n);
			ref->to_float[vdt] (a + arow * t, af + n * t, n);
		}

		/* dequantization is exact arithmetic: same floats */
		{
			float	   *y = malloc(sizeof(float) * n);

			k->to_float[f->type] (w, y, n);
			CHECK(memcmp(y, wf, sizeof(float) * n) == 0, "%s: to_float[%s] n=%lld equals ref",
				  k->name, tt->name, (long long) n);
			free(y);
		}

		for (int r = 0; r < MAX_ROWS; r++)
			for (int t = 0; t < MAX_COLS; t++)
			{
				ref->vec_dot[f->type] (n, &s_ref[t * MAX_ROWS + r], w + wrow * r, a + arow * t);
				bound[t * MAX_ROWS + r] = f->tol * AbsDot(wf + n * r, af + n * t, n) + 1e-30;
			}

		/* vec_dot, every pair */
		for (int r = 0; r < MAX_ROWS; r++)
			for (int t = 0; t < MAX_COLS; t++)
			{
				float		v;
				double		d;

				k->vec_dot[f->type] (n, &v, w + wrow * r, a + arow * t);
				d = fabs((double) v - s_ref[t * MAX_ROWS + r]);
				if (!(d <= bound[t * MAX_ROWS + r]))
					ok = false;
				if (d / bound[t * MAX_ROWS + r] > worst)
					worst = d / bound[t * MAX_ROWS + r];
			}
		CHECK(ok, "%s: vec_dot[%s] n=%lld within %g (worst %.3g of the bound)",
			  k->name, tt->name, (long long) n, f->tol, worst);

		/* gemm tiles of every shape up to MAX_ROWS x MAX_COLS, ldc > nr */
		ok = true;
		for (int nr = 1; nr <= MAX_ROWS; nr++)
			for (int nt = 1; nt <= MAX_COLS; nt++)
			{
				for (int i = 0; i < MAX_ROWS * MAX_COLS; i++)
					s[i] = NAN;
				k->gemm[f->type] (n, nr, nt, s, MAX_ROWS, w, wrow, a, arow);
				for (int t = 0; t < MAX_COLS; t++)
					for (int r = 0; r < MAX_ROWS; r++)
					{
						int			i = t * MAX_ROWS + r;

						if (r < nr && t < nt)
							ok &= fabs((double) s[i] - s_ref[i]) <= bound[i];
						else
							ok &= isnan(s[i]);	/* nothing outside the tile */
					}
			}
		CHECK(ok, "%s: gemm[%s] n=%lld, all tiles up to %dx%d", k->name, tt->name,
			  (long long) n, MAX_ROWS, MAX_COLS);

		free(x);
		free(wf);
		free(af);
		free(w);
		free(a);
	}
}

/*
 * Tiles larger than any kernel's register tile, with ragged edges: SIMD
 * gemms pack 16-row panels and 8-token steps, which the small exhaustive
 * shapes above never fill.
 */
static void
TestLargeTiles(const LlmKernelTable *k, const VariantFormat *f)
{
	static const int shapes[][2] = {{16, 8}, {17, 9}, {32, 16}, {40, 20}, {33, 3}, {5, 33}};
	const LlmTypeTraits *tt = LlmTypeGetTraits(f->type);
	LlmType		vdt = tt->vec_dot_type;
	int			bs = LlmTypeGetTraits(vdt)->block_size > tt->block_size ?
		LlmTypeGetTraits(vdt)->block_size : tt->block_size;
	int64_t		n = bs == 1 ? 200 : 3 * bs;
	size_t		wrow = LlmTypeRowSize(f->type, n);
	size_t		arow = LlmTypeRowSize(vdt, n);
	int			R = 40;
	int			T = 33;
	float	   *x = malloc(sizeof(float) * n);
	float	   *wf = malloc(sizeof(float) * n * R);
	float	   *af = malloc(sizeof(float) * n * T);
	char	   *w = malloc(wrow * R);
	char	   *a = malloc(arow * T);
	float	   *s = malloc(sizeof(float) * R * T);

	for (int r = 0; r < R; r++)
	{
		Fill(x, n, 1.0f);
		LlmQuantizeWeights(f->type, x, w + wrow * r, n);
		ref->to_float[f->type] (w + wrow * r, wf + n * r, n);
	}
	for (int t = 0; t < T; t++)
	{
		Fill(x, n, 2.0f);
		ref->from_float[vdt] (x, a + arow * t, n);
		ref->to_float[vdt] (a + arow * t, af + n * t, n);
	}
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
	{
		int			nr = shapes[i][0];
		int			nt = shapes[i][1];
		bool		ok = true;

		for (int j = 0; j < R * T; j++)
			s[j] = NAN;
		k->gemm[f->type] (n, nr, nt, s, R, w, wrow, a, arow);
		for (int t = 0; t < T; t++)
			for (int r = 0; r < R; r++)
			{
				float		want;

				if (r >= nr || t >= nt)
				{
					ok &= isnan(s[t * R + r]);
					continue;
				}
				ref->vec_dot[f->type] (n, &want, w + wrow * r, a + arow * t);
				ok &= fabs((double) s[t * R + r] - want) <=
					f->tol * AbsDot(wf + n * r, af + n * t, n) + 1e-30;
			}
		CHECK(ok, "%s: gemm[%s] %dx%d tile", k->name, tt->name, nr, nt);
	}
	free(x);
	free(wf);
	free(af);
	free(w);
	free(a);
	free(s);
}

/*
 * Batched decoding puts several sequences' rows through one gemm, and a
 * sequence's logits must have the same bits as when it is decoded alone.
 * So every output element must be computed in one fixed order whatever
 * the tile: gemm(nr x nt) must equal, bit for bit, gemm(1 x 1) of the same
 * weight row and activation row, for any nr, nt and place in the tile.
 * For F32 (attention) a common dimension padded with zero activations must
 * not change the result either: a block of query rows is scored against
 * the keys its last row sees, the others' weights being exactly 0.
 */
static void
TestRowIndependence(const LlmKernelTable *k, const VariantFormat *f)
{
	const LlmTypeTraits *tt = LlmTypeGetTraits(f->type);
	LlmType		vdt = tt->vec_dot_type;
	int			bs = LlmTypeGetTraits(vdt)->block_size > tt->block_size ?
		LlmTypeGetTraits(vdt)->block_size : tt->block_size;
	int64_t		n = bs == 1 ? 203 : (bs == 32 ? 37 * bs : 5 * bs);
	int			pad = bs == 1 ? 29 : 0;
	size_t		wrow = LlmTypeRowSize(f->type, n + pad);
	size_t		arow = LlmTypeRowSize(vdt, n + pad);
	const int	R = 37;
	const int	T = 21;
	float	   *x = malloc(sizeof(float) * (n + pad));
	char	   *w = malloc(wrow * R);
	char	   *a = malloc(arow * T);
	float	   *one = malloc(sizeof(float) * R * T);
	float	   *s = malloc(sizeof(float) * R * T);
	bool		ok = true;
	bool		ok_pad = true;

	for (int r = 0; r < R; r++)
	{
		Fill(x, n + pad, 1.0f);
		LlmQuantizeWeights(f->type, x, w + wrow * r, n + pad);
	}
	for (int t = 0; t < T; t++)
	{
		Fill(x, n + pad, 2.0f);
		for (int64_t i = n; i < n + pad; i++)
			x[i] = 0.0f;
		k->from_float[vdt] (x, a + arow * t, n + pad);
	}
	for (int t = 0; t < T; t++)
		for (int r = 0; r < R; r++)
			k->gemm[f->type] (n, 1, 1, &one[t * R + r], R, w + wrow * r, wrow, a + arow * t, arow);
	for (int nt = 1; nt <= T; nt++)
		for (int nr = 1; nr <= R; nr += (nr < 17 ? 1 : 5))
		{
			k->gemm[f->type] (n, nr, nt, s, R, w, wrow, a, arow);
			for (int t = 0; t < nt; t++)
				ok &= memcmp(s + t * R, one + t * R, sizeof(float) * nr) == 0;
			if (pad > 0)
			{
				k->gemm[f->type] (n + pad, nr, nt, s, R, w, wrow, a, arow);
				for (int t = 0; t < nt; t++)
					ok_pad &= memcmp(s + t * R, one + t * R, sizeof(float) * nr) == 0;
			}
		}
	CHECK(ok, "%s: gemm[%s] n=%lld: every element of every tile up to %dx%d is bit-identical to the 1x1 product",
		  k->name, tt->name, (long long) n, R, T);
	if (pad > 0)
		CHECK(ok_pad, "%s: gemm[%s]: zero activations past n=%lld leave every tile bit-identical",
			  k->name, tt->name, (long long) n);
	free(x);
	free(w);
	free(a);
	free(one);
	free(s);
}

/* softmax and SwiGLU: within a few ulp of libm's expf, elementwise */
static void
TestActivations(const LlmKernelTable *k)
{
	static const int64_t lens[] = {1, 7, 15, 16, 17, 100, 1000, 4099};

	if (k->softmax == NULL || k->swiglu == NULL)
	{
		CHECK(false, "%s: softmax or swiglu missing", k->name);
		return;
	}
	for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++)
	{
		int64_t		n = lens[li];
		float	   *x = malloc(sizeof(float) * n);
		float	   *y = malloc(sizeof(float) * n);
		float	   *up = malloc(sizeof(float) * n);
		float	   *g = malloc(sizeof(float) * n);
		bool		ok_s = true;
		bool		ok_g = true;

		for (int64_t i = 0; i < n; i++)
		{
			/* scores spread like attention's, some far below the maximum */
			x[i] = 20.0f * Rand() - ((i % 5) == 0 ? 80.0f : 0.0f);
			g[i] = 12.0f * Rand() - ((i % 7) == 0 ? 80.0f : 0.0f);
			up[i] = 2.0f * Rand();
		}
		memcpy(y, x, sizeof(float) * n);
		ref->softmax(x, n);
		k->softmax(y, n);
		for (int64_t i = 0; i < n; i++)
			ok_s &= fabsf(y[i] - x[i]) <= 1e-6f * x[i] + 1e-30f;

		memcpy(y, g, sizeof(float) * n);
		ref->swiglu(g, up, n);
		k->swiglu(y, up, n);
		for (int64_t i = 0; i < n; i++)
			ok_g &= fabsf(y[i] - g[i]) <= 1e-6f * fabsf(g[i]) + 1e-30f;

		CHECK(ok_s, "%s: softmax n=%lld within 1e-6 relative of ref", k->name, (long long) n);
		CHECK(ok_g, "%s: swiglu n=%lld within 1e-6 relative of ref", k->name, (long long) n);
		free(x);
		free(y);
		free(up);
		free(g);
	}
}

/*
 * The "amx" variant's Q8_0 gemm (AMX tiles from 16 activation rows on) must
 * give every element the bits of the AVX-512 gemm: its block sums are
 * exact and it finishes them with the AVX-512 GEMM's float operations in
 * their order.  Shapes around every edge of its blocking: weight rows not
 * a multiple of the 16-row panel, activation rows around the 16-row tile
 * and the 128-row group, block counts around the 16-block chunk (n not a
 * multiple of 64), ldc wider than the rows.  Quants are arbitrary bytes
 * (-128 included, which no quantizer writes but a file may hold) and
 * scales arbitrary finite halves.
 */
static void
TestAmx(void)
{
	static const int nbs[] = {1, 2, 3, 15, 16, 17, 31, 33, 48};
	static const int nts[] = {16, 17, 23, 31, 32, 33, 48, 127, 128, 129, 144, 200, 257};
	static const int nrs[] = {1, 5, 15, 16, 17, 31, 32, 40};
	const LlmKernelTable *amx = LlmKernelsByName("amx");
	const LlmKernelTable *avx = LlmKernelsByName("avx512bf16");
	const int	R = 40;
	const int	T = 257;
	const int	ldc = R + 3;
	int			shapes = 0;
	bool		ok = true;
	bool		ok_ref = true;

	if (amx == NULL || avx == NULL)
	{
		printf("amx against avx512bf16 skipped: this CPU (or OS) cannot run both\n");
		return;
	}
	for (size_t ib = 0; ib < sizeof(nbs) / sizeof(nbs[0]); ib++)
	{
		int64_t		n = (int64_t) nbs[ib] * QK8_0;
		size_t		row = LlmTypeRowSize(LLM_TYPE_Q8_0, n);
		BlockQ8_0  *w = malloc(row * R);
		BlockQ8_0  *a = malloc(row * T);
		float	   *s1 = malloc(sizeof(float) * ldc * T);
		float	   *s2 = malloc(sizeof(float) * ldc * T);

		for (int i = 0; i < nbs[ib] * R; i++)
		{
			w[i].d = LlmFloatToHalf(0.01f + 0.02f * fabsf(Rand()));
			for (int j = 0; j < QK8_0; j++)
				w[i].qs[j] = (int8_t) (rng = rng * 1103515245u + 12345u, rng >> 24);
		}
		for (int i = 0; i < nbs[ib] * T; i++)
		{
			a[i].d = LlmFloatToHalf(0.05f * Rand());
			for (int j = 0; j < QK8_0; j++)
				a[i].qs[j] = (int8_t) (rng = rng * 1103515245u + 12345u, rng >> 24);
		}
		for (size_t it = 0; it < sizeof(nts) / sizeof(nts[0]); it++)
			for (size_t ir = 0; ir < sizeof(nrs) / sizeof(nrs[0]); ir++)
			{
				int			nt = nts[it];
				int			nr = nrs[ir];

				for (int i = 0; i < ldc * T; i++)
					s1[i] = s2[i] = NAN;
				amx->gemm[LLM_TYPE_Q8_0] (n, nr, nt, s1, ldc, w, row, a, row);
				avx->gemm[LLM_TYPE_Q8_0] (n, nr, nt, s2, ldc, w, row, a, row);
				/* every element, and the NaN left outside the tile */
				ok &= memcmp(s1, s2, sizeof(float) * ldc * T) == 0;
				shapes++;
				/* and the reference, within its bound, on a few elements */
				for (int t = 0; t < nt; t += 7)
					for (int r = 0; r < nr; r += 3)
					{
						float		want;
						double		bound = 0;

						ref->vec_dot[LLM_TYPE_Q8_0] (n, &want, (const char *) w + row * r,
													 (const char *) a + row * t);
						for (int b = 0; b < nbs[ib]; b++)
							for (int j = 0; j < QK8_0; j++)
								bound += fabs((double) LlmHalfToFloat(w[nbs[ib] * r + b].d) * w[nbs[ib] * r + b].qs[j] *
											  LlmHalfToFloat(a[nbs[ib] * t + b].d) * a[nbs[ib] * t + b].qs[j]);
						ok_ref &= fabs((double) s1[ldc * t + r] - want) <= 1e-5 * bound + 1e-30;
					}
			}
		free(w);
		free(a);
		free(s1);
		free(s2);
	}
	CHECK(ok, "amx: gemm[Q8_0] is bit-identical to avx512bf16's over %d shapes (rows 1..40, activations 16..257, 1..48 blocks)",
		  shapes);
	CHECK(ok_ref, "amx: gemm[Q8_0] within 1e-5 of the reference over the same shapes");
}

int
main(void)
{
	const char *const *names = LlmKernelsNames();
	int			tested = 0;

	ref = LlmKernelsRef();
	for (int i = 0; names[i] != NULL; i++)
	{
		const LlmKernelTable *k = LlmKernelsByName(names[i]);

		if (k == NULL)
		{
			printf("variant %-10s skipped: this CPU cannot run it\n", names[i]);
			continue;
		}
		printf("variant %-10s testing\n", names[i]);
		TestConverters(k);
		TestActivations(k);
		for (size_t f = 0; f < N_FORMATS; f++)
		{
			TestFormat(k, &formats[f]);
			TestLargeTiles(k, &formats[f]);
			TestRowIndependence(k, &formats[f]);
		}
		tested++;
	}
	TestAmx();
	CHECK(tested >= 1, "at least one variant ran");
	return UnitSummary("kernel-variants");
}
