/*-------------------------------------------------------------------------
 *
 * test_batch.c
 *	  Batched decoding of several sequences: a sequence's logits must be
 *	  bit-identical whether it is decoded alone (prompt chunk or token by
 *	  token) or inside a batch, in any place and any chunking, for every
 *	  kernel variant this CPU runs and every weight type of the models in
 *	  ../shared.  Also the sequence operations (copy, truncate, state save
 *	  and load), LlmGenerateBatch against LlmGenerate, batched scoring, and
 *	  the error paths.  Run from the repository root.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "generate.h"
#include "kernels.h"
#include "scoring.h"
#include "unit.h"

#define STORIES "../shared/models/stories260K.gguf"
#define PARITY "../shared/parity/"

/* Models covering every weight type ../shared has (F32 F16 BF16 Q8_0 Q4_0 Q4_K Q6_K). */
static const char *const models[] = {
	STORIES,
	PARITY "stories260K.Q8_0.gguf",
	PARITY "syn-llama.F32.gguf",
	PARITY "syn-llama.Q8_0.gguf",
	PARITY "syn-llama.Q4_0.gguf",
	PARITY "syn-llama.Q4_K_M.gguf",
	PARITY "syn-llama.Q6_K.gguf",
	PARITY "syn-llama-tied.F16.gguf",
	PARITY "syn-qwen2.BF16.gguf",
	PARITY "syn-qwen2.Q8_0.gguf",
	PARITY "syn-qwen2.Q4_K_M.gguf",
};

#define N_SEQS 3
#define N_STEPS 4
#define MAX_LEN 40

static const int prompt_len[N_SEQS] = {13, 6, 21};

/* Deterministic token ids in [3, 512): every model here has 512 tokens. */
static int32_t
Token(int seq, int i)
{
	return 3 + (int32_t) ((seq * 7919u + i * 104729u + (unsigned) (seq * i) * 31u) % 509u);
}

static int
SeqLen(int s)
{
	return prompt_len[s] + N_STEPS;
}

/*
 * logits[s][i] after token i of sequence s, decoded alone: the prompt in
 * one LlmDecode, then the rest one token at a time (as LlmGenerate does).
 */
static bool
DecodeAlone(LlmModel *m, float *logits, bool token_by_token)
{
	const int	V = m->hp.n_vocab;
	LlmContext *ctx;
	LlmError	err;
	bool		ok = true;

	if (LlmContextCreate(m, 64, 0, &ctx, &err) != LLM_OK)
		return false;
	for (int s = 0; s < N_SEQS && ok; s++)
	{
		int32_t		toks[MAX_LEN];
		float	   *out = logits + (size_t) s * MAX_LEN * V;

		for (int i = 0; i < SeqLen(s); i++)
			toks[i] = Token(s, i);
		LlmContextReset(ctx);
		if (token_by_token)
		{
			for (int i = 0; i < SeqLen(s) && ok; i++)
				ok = LlmDecode(ctx, &toks[i], 1, out + (size_t) i * V, false, &err) == LLM_OK;
			continue;
		}
		ok = LlmDecode(ctx, toks, prompt_len[s], out, true, &err) == LLM_OK;
		for (int i = prompt_len[s]; i < SeqLen(s) && ok; i++)
			ok = LlmDecode(ctx, &toks[i], 1, out + (size_t) i * V, false, &err) == LLM_OK;
	}
	LlmContextFree(ctx);
	return ok;
}

/*
 * The same sequences in a context of N_SEQS + 1 sequences, sequence s in
 * slot slot[s]: the prompts in batches of `per_call` items, interleaved
 * round-robin (mixed chunks) or one after another, through chunks of
 * n_batch rows; then one token per sequence per LlmDecodeBatch, the order
 * of the sequences rotating from step to step.
 */
static bool
DecodeBatched(LlmModel *m, float *logits, int n_batch, bool interleave, const int *slot,
			  int n_threads)
{
	const int	V = m->hp.n_vocab;
	LlmBatchToken items[N_SEQS * MAX_LEN];
	int			owner[N_SEQS * MAX_LEN];
	int			index[N_SEQS * MAX_LEN];
	float	   *out = malloc(sizeof(float) * N_SEQS * MAX_LEN * V);
	LlmContext *ctx;
	LlmError	err;
	int			n = 0;
	bool		ok;

	if (out == NULL || LlmContextCreateSeq(m, 64, n_batch, N_SEQS + 1, &ctx, &err) != LLM_OK)
	{
		free(out);
		return false;
	}
	if (LlmContextSetThreads(ctx, n_threads, &err) != LLM_OK)
	{
		LlmContextFree(ctx);
		free(out);
		return false;
	}
	if (interleave)
	{
		for (int i = 0; i < MAX_LEN; i++)
			for (int s = 0; s < N_SEQS; s++)
				if (i < prompt_len[s])
				{
					items[n] = (LlmBatchToken) {Token(s, i), slot[s], true};
					owner[n] = s;
					index[n++] = i;
				}
	}
	else
	{
		for (int s = N_SEQS - 1; s >= 0; s--)
			for (int i = 0; i < prompt_len[s]; i++)
			{
				items[n] = (LlmBatchToken) {Token(s, i), slot[s], true};
				owner[n] = s;
				index[n++] = i;
			}
	}
	ok = LlmDecodeBatch(ctx, items, n, out, &err) == LLM_OK;
	for (int k = 0; k < n; k++)
		memcpy(logits + ((size_t) owner[k] * MAX_LEN + index[k]) * V, out + (size_t) k * V,
			   sizeof(float) * V);
	for (int step = 0; step < N_STEPS && ok; step++)
	{
		n = 0;
		for (int j = 0; j < N_SEQS; j++)
		{
			int			s = (j + step) % N_SEQS;

			items[n] = (LlmBatchToken) {Token(s, prompt_len[s] + step), slot[s], true};
			owner[n] = s;
			index[n++] = prompt_len[s] + step;
		}
		ok = LlmDecodeBatch(ctx, items, n, out, &err) == LLM_OK;
		for (int k = 0; k < n; k++)
			memcpy(logits + ((size_t) owner[k] * MAX_LEN + index[k]) * V, out + (size_t) k * V,
				   sizeof(float) * V);
	}
	for (int s = 0; s < N_SEQS; s++)
		ok &= LlmSeqPast(ctx, slot[s]) == SeqLen(s);
	if (!ok)
		fprintf(stderr, "batched decode: %s\n", err.message);
	LlmContextFree(ctx);
	free(out);
	return ok;
}

/* Whether every logit of every position of every sequence has the same bits. */
static bool
SameBits(const LlmModel *m, const float *a, const float *b, int *first_seq, int *first_pos)
{
	const int	V = m->hp.n_vocab;

	for (int s = 0; s < N_SEQS; s++)
		for (int i = 0; i < SeqLen(s); i++)
		{
			size_t		off = ((size_t) s * MAX_LEN + i) * V;

			if (memcmp(a + off, b + off, sizeof(float) * V) != 0)
			{
				*first_seq = s;
				*first_pos = i;
				return false;
			}
		}
	return true;
}

static void
TestBitIdentity(void)
{
	const char *const *names = LlmKernelsNames();
	static const int slots_a[N_SEQS] = {0, 1, 2};
	static const int slots_b[N_SEQS] = {3, 0, 2};

	for (size_t mi = 0; mi < sizeof(models) / sizeof(models[0]); mi++)
	{
		LlmModel   *m;
		LlmError	err;
		size_t		sz;
		float	   *alone;
		float	   *steps;
		float	   *batch;

		if (LlmModelLoad(models[mi], &m, &err) != LLM_OK)
		{
			CHECK(false, "load %s: %s", models[mi], err.message);
			continue;
		}
		sz = sizeof(float) * N_SEQS * MAX_LEN * m->hp.n_vocab;
		alone = calloc(1, sz);
		steps = calloc(1, sz);
		batch = calloc(1, sz);
		for (int v = 0; names[v] != NULL; v++)
		{
			int			s = -1,
						i = -1;

			if (!LlmKernelsSelect(names[v]))
				continue;
			CHECK(DecodeAlone(m, alone, false), "%s/%s: decode alone", models[mi], names[v]);
			CHECK(DecodeAlone(m, steps, true), "%s/%s: decode token by token", models[mi], names[v]);
			CHECK(SameBits(m, alone, steps, &s, &i),
				  "%s/%s: prompt chunk == token by token, bit for bit (first difference: seq %d pos %d)",
				  models[mi], names[v], s, i);

			/* interleaved prompts through small chunks, which then mix sequences */
			memset(batch, 0, sz);
			CHECK(DecodeBatched(m, batch, 8, true, slots_a, 1) && SameBits(m, alone, batch, &s, &i),
				  "%s/%s: interleaved batch in chunks of 8 == alone (first difference: seq %d pos %d)",
				  models[mi], names[v], s, i);
			/* prompts one after another, other slots, chunk boundaries inside prompts */
			memset(batch, 0, sz);
			CHECK(DecodeBatched(m, batch, 5, false, slots_b, 1) && SameBits(m, alone, batch, &s, &i),
				  "%s/%s: sequential batch in chunks of 5, slots 3 0 2 == alone (first difference: seq %d pos %d)",
				  models[mi], names[v], s, i);
			/* everything in one chunk, on three threads */
			memset(batch, 0, sz);
			CHECK(DecodeBatched(m, batch, 512, true, slots_b, 3) && SameBits(m, alone, batch, &s, &i),
				  "%s/%s: one chunk on 3 threads == alone (first difference: seq %d pos %d)",
				  models[mi], names[v], s, i);
		}
		LlmKernelsSelect("auto");
		free(alone);
		free(steps);
		free(batch);
		LlmModelFree(m);
	}
}

/*
 * The last layer computes only the rows whose output is read (decode.c,
 * LlmKeepOutputRows): the last row's logits, chosen rows', and a
 * continuation after a prompt whose other rows were never finished must
 * all have the bits of a decode that finished every row, in chunks of 8
 * (so that whole chunks are run for the cache alone) and of 64.
 */
static void
TestOutputRows(void)
{
	enum
	{
		N = 21
	};
	static const bool chosen[N] = {[0] = true, [5] = true, [8] = true, [N - 1] = true};
	/* every weight type, and each decoder family's block */
	static const char *const archs[] = {
		"../shared/parity-archs/syn-qwen3.Q8_0.gguf",
		"../shared/parity-archs/syn-gemma3.Q8_0.gguf",
		"../shared/parity-archs/syn-gemma3.F32.gguf",
		"../shared/parity-archs/syn-phi3.Q4_K_M.gguf",
	};
	const char *list[sizeof(models) / sizeof(models[0]) + sizeof(archs) / sizeof(archs[0])];
	size_t		n_list = 0;

	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		list[n_list++] = models[i];
	for (size_t i = 0; i < sizeof(archs) / sizeof(archs[0]); i++)
		list[n_list++] = archs[i];
	for (size_t mi = 0; mi < n_list; mi++)
		for (int nb = 8; nb <= 64; nb += 56)
		{
			LlmModel   *m;
			LlmContext *all = NULL,
					   *last = NULL,
					   *some = NULL;
			LlmError	err;
			int32_t		toks[N + 1];
			LlmRow		rows[N];
			float	   *la,
					   *ll,
					   *ls,
					   *na,
					   *nl;
			int			nv,
						k = 0;
			bool		ok;

			if (LlmModelLoad(list[mi], &m, &err) != LLM_OK)
			{
				CHECK(false, "load %s: %s", list[mi], err.message);
				continue;
			}
			nv = m->hp.n_vocab;
			for (int i = 0; i <= N; i++)
				toks[i] = Token(1, i);
			for (int i = 0; i < N; i++)
				rows[i] = (LlmRow) {.seq = 0, .pos = i, .cell = i};
			la = malloc(sizeof(float) * nv * N);
			ll = malloc(sizeof(float) * nv);
			ls = malloc(sizeof(float) * nv * N);
			na = malloc(sizeof(float) * nv);
			nl = malloc(sizeof(float) * nv);
			ok = LlmContextCreate(m, 64, nb, &all, &err) == LLM_OK &&
				LlmContextCreate(m, 64, nb, &last, &err) == LLM_OK &&
				LlmContextCreate(m, 64, nb, &some, &err) == LLM_OK &&
				LlmDecode(all, toks, N, la, true, &err) == LLM_OK &&
				LlmDecode(last, toks, N, ll, false, &err) == LLM_OK &&
				LlmDecodeRows(some, toks, rows, chosen, N, false, ls, &err) == LLM_OK &&
				LlmDecode(all, toks + N, 1, na, false, &err) == LLM_OK &&
				LlmDecode(last, toks + N, 1, nl, false, &err) == LLM_OK;
			CHECK(ok, "%s n_batch %d: %s", list[mi], nb, ok ? "" : err.message);
			if (ok)
			{
				CHECK(memcmp(ll, la + (size_t) (N - 1) * nv, sizeof(float) * nv) == 0,
					  "%s n_batch %d: the last row's logits alone differ from all rows'",
					  list[mi], nb);
				for (int i = 0; i < N; i++)
					if (chosen[i])
						CHECK(memcmp(ls + (size_t) k++ * nv, la + (size_t) i * nv,
									 sizeof(float) * nv) == 0,
							  "%s n_batch %d: chosen row %d differs", list[mi], nb, i);
				CHECK(memcmp(na, nl, sizeof(float) * nv) == 0,
					  "%s n_batch %d: the continuation differs after a last-row-only prompt",
					  list[mi], nb);
			}
			LlmContextFree(all);
			LlmContextFree(last);
			LlmContextFree(some);
			free(la);
			free(ll);
			free(ls);
			free(na);
			free(nl);
			LlmModelFree(m);
		}
}

static LlmModel *stories;

/* Decode toks into sequence seq one batch item at a time; logits of the last. */
static LlmStatus
DecodeInto(LlmContext *ctx, int seq, const int32_t *toks, int n, float *last, LlmError *err)
{
	LlmBatchToken items[64];

	for (int i = 0; i < n; i++)
		items[i] = (LlmBatchToken) {toks[i], seq, i == n - 1};
	return LlmDecodeBatch(ctx, items, n, last, err);
}

/*
 * A prefix decoded once and forked (LlmSeqCopy), or saved and loaded into
 * another sequence or another context, continues exactly as if the whole
 * text had been decoded in one sequence; truncation forgets exactly.
 */
static void
TestSeqOps(void)
{
	const int	V = stories->hp.n_vocab;
	int32_t		toks[24];
	float	   *want = malloc(sizeof(float) * V);
	float	   *got = malloc(sizeof(float) * V);
	LlmContext *ctx;
	LlmContext *other;
	LlmError	err;
	void	   *state;
	size_t		size;

	for (int i = 0; i < 24; i++)
		toks[i] = Token(1, i);
	CHECK(LlmContextCreateSeq(stories, 32, 8, 4, &ctx, &err) == LLM_OK, "context of 4 sequences");
	CHECK(LlmContextCreateSeq(stories, 32, 8, 2, &other, &err) == LLM_OK, "another context");

	/* the reference: all 24 tokens in sequence 0 */
	CHECK(DecodeInto(ctx, 0, toks, 24, want, &err) == LLM_OK, "decode 24 tokens");
	CHECK(LlmSeqPast(ctx, 0) == 24 && LlmSeqPast(ctx, 1) == 0, "only sequence 0 advanced");

	/* fork the first 16 into sequence 2, continue there */
	CHECK(LlmSeqCopy(ctx, 0, 2, 16, &err) == LLM_OK && LlmSeqPast(ctx, 2) == 16, "copy 16 cells");
	CHECK(DecodeInto(ctx, 2, toks + 16, 8, got, &err) == LLM_OK, "continue the copy");
	CHECK(memcmp(want, got, sizeof(float) * V) == 0, "a copied prefix continues bit-identically");

	/* truncate sequence 2 to 10 and continue again: the copy's cells 10.. are forgotten */
	CHECK(LlmSeqTruncate(ctx, 2, 10, &err) == LLM_OK && LlmSeqPast(ctx, 2) == 10, "truncate to 10");
	CHECK(DecodeInto(ctx, 2, toks + 10, 14, got, &err) == LLM_OK, "continue after truncation");
	CHECK(memcmp(want, got, sizeof(float) * V) == 0, "truncated and re-decoded: bit-identical");

	/* save 12 tokens of sequence 0, load into sequence 3 and into another context */
	size = LlmSeqStateSize(ctx, 12);
	state = malloc(size);
	CHECK(LlmSeqStateSave(ctx, 0, 12, state, size, &err) == LLM_OK, "save 12 tokens: %s", err.message);
	CHECK(LlmSeqStateLoad(ctx, 3, state, size, &err) == LLM_OK && LlmSeqPast(ctx, 3) == 12,
		  "load into sequence 3");
	CHECK(DecodeInto(ctx, 3, toks + 12, 12, got, &err) == LLM_OK, "continue the loaded state");
	CHECK(memcmp(want, got, sizeof(float) * V) == 0, "a loaded state continues bit-identically");
	CHECK(LlmSeqStateLoad(other, 1, state, size, &err) == LLM_OK, "load into another context");
	CHECK(DecodeInto(other, 1, toks + 12, 12, got, &err) == LLM_OK, "continue there");
	CHECK(memcmp(want, got, sizeof(float) * V) == 0, "in another context too");

	/* state errors */
	CHECK(LlmSeqStateSave(ctx, 0, 12, state, size - 1, &err) == LLM_ERR_ARGUMENT,
		  "a short buffer is refused: %s", err.message);
	CHECK(LlmSeqStateSave(ctx, 1, 5, state, size, &err) == LLM_ERR_ARGUMENT,
		  "saving more than a sequence holds is refused: %s", err.message);
	CHECK(LlmSeqStateLoad(ctx, 1, state, size - 4, &err) == LLM_ERR_ARGUMENT,
		  "a truncated state is refused: %s", err.message);
	{
		LlmModel   *m;
		LlmContext *c2;

		if (LlmModelLoad(PARITY "syn-llama.F32.gguf", &m, &err) == LLM_OK &&
			LlmContextCreate(m, 32, 0, &c2, &err) == LLM_OK)
		{
			CHECK(LlmSeqStateLoad(c2, 0, state, size, &err) == LLM_ERR_ARGUMENT &&
				  strstr(err.message, "not one of this model") != NULL,
				  "another model's state is refused: %s", err.message);
			LlmContextFree(c2);
			LlmModelFree(m);
		}
		else
			CHECK(false, "load syn-llama.F32: %s", err.message);
	}
	free(state);

	/* a state of 30 tokens does not fit a context of 16 cells */
	{
		LlmContext *small;

		CHECK(DecodeInto(ctx, 1, toks, 24, got, &err) == LLM_OK, "24 tokens in sequence 1");
		size = LlmSeqStateSize(ctx, 24);
		state = malloc(size);
		CHECK(LlmSeqStateSave(ctx, 1, 24, state, size, &err) == LLM_OK, "save 24");
		CHECK(LlmContextCreate(stories, 16, 0, &small, &err) == LLM_OK, "small context");
		CHECK(LlmSeqStateLoad(small, 0, state, size, &err) == LLM_ERR_CONTEXT,
			  "a state larger than the context is refused: %s", err.message);
		LlmContextFree(small);
		free(state);
	}

	/* bad sequence ids */
	CHECK(LlmSeqPast(ctx, 4) == -1 && LlmSeqPast(ctx, -1) == -1, "LlmSeqPast of no sequence is -1");
	CHECK(LlmSeqCopy(ctx, 0, 4, 1, &err) == LLM_ERR_ARGUMENT && strstr(err.message, "does not exist"),
		  "copy to a bad sequence: %s", err.message);
	CHECK(LlmSeqCopy(ctx, -1, 0, 1, &err) == LLM_ERR_ARGUMENT, "copy from a bad sequence");
	CHECK(LlmSeqCopy(ctx, 3, 0, 25, &err) == LLM_ERR_ARGUMENT, "copy more than the source holds");
	CHECK(LlmSeqTruncate(ctx, 7, 0, &err) == LLM_ERR_ARGUMENT, "truncate a bad sequence");
	CHECK(LlmSeqTruncate(ctx, 0, 25, &err) == LLM_ERR_ARGUMENT, "truncate past the end");
	CHECK(LlmSeqReset(ctx, 4, &err) == LLM_ERR_ARGUMENT, "reset a bad sequence");
	CHECK(LlmSeqReset(ctx, 2, &err) == LLM_OK && LlmSeqPast(ctx, 2) == 0, "reset sequence 2");
	CHECK(LlmSeqStateSave(ctx, 9, 0, NULL, 0, &err) == LLM_ERR_ARGUMENT, "save a bad sequence");
	LlmContextReset(ctx);
	for (int q = 0; q < 4; q++)
		CHECK(LlmSeqPast(ctx, q) == 0, "LlmContextReset forgets sequence %d", q);

	LlmContextFree(ctx);
	LlmContextFree(other);
	free(want);
	free(got);
}

static bool
CancelAfter(void *arg)
{
	int		   *left = arg;

	return (*left)-- <= 0;
}

static void
TestBatchErrors(void)
{
	LlmContext *ctx;
	LlmError	err;
	float	   *logits = malloc(sizeof(float) * 512 * 16);
	LlmBatchToken items[16];
	int			polls;

	CHECK(LlmContextCreateSeq(stories, 8, 4, 3, &ctx, &err) == LLM_OK, "context 3 x 8");
	CHECK(LlmContextCreateSeq(stories, 8, 4, 0, &(LlmContext *) {NULL}, &err) == LLM_ERR_ARGUMENT,
		  "0 sequences is refused: %s", err.message);
	CHECK(LlmDecodeBatch(ctx, items, 0, logits, &err) == LLM_ERR_ARGUMENT, "an empty batch is an error");

	items[0] = (LlmBatchToken) {5, 0, true};
	items[1] = (LlmBatchToken) {6, 3, true};
	CHECK(LlmDecodeBatch(ctx, items, 2, logits, &err) == LLM_ERR_ARGUMENT &&
		  strstr(err.message, "sequence 3") != NULL, "a bad sequence id: %s", err.message);
	items[1] = (LlmBatchToken) {6, -1, true};
	CHECK(LlmDecodeBatch(ctx, items, 2, logits, &err) == LLM_ERR_ARGUMENT, "a negative sequence id");
	items[1] = (LlmBatchToken) {512, 1, true};
	CHECK(LlmDecodeBatch(ctx, items, 2, logits, &err) == LLM_ERR_ARGUMENT &&
		  strstr(err.message, "outside the vocabulary") != NULL, "a bad token: %s", err.message);
	items[1] = (LlmBatchToken) {6, 1, true};
	CHECK(LlmDecodeBatch(ctx, items, 2, NULL, &err) == LLM_ERR_ARGUMENT, "logits wanted, no buffer");
	CHECK(LlmSeqPast(ctx, 0) == 0 && LlmSeqPast(ctx, 1) == 0, "nothing was decoded");

	/* sequence 1 full after 8 tokens: a batch overflowing it decodes nothing */
	for (int i = 0; i < 6; i++)
		items[i] = (LlmBatchToken) {10 + i, 1, false};
	CHECK(LlmDecodeBatch(ctx, items, 6, NULL, &err) == LLM_OK && LlmSeqPast(ctx, 1) == 6, "6 tokens");
	items[0] = (LlmBatchToken) {20, 0, true};
	items[1] = (LlmBatchToken) {21, 1, true};
	items[2] = (LlmBatchToken) {22, 2, true};
	items[3] = (LlmBatchToken) {23, 1, true};
	items[4] = (LlmBatchToken) {24, 1, true};
	CHECK(LlmDecodeBatch(ctx, items, 5, logits, &err) == LLM_ERR_CONTEXT &&
		  strstr(err.message, "sequence 1 is full") != NULL,
		  "one full sequence fails the batch: %s", err.message);
	CHECK(LlmSeqPast(ctx, 0) == 0 && LlmSeqPast(ctx, 1) == 6 && LlmSeqPast(ctx, 2) == 0,
		  "and nothing of it was decoded");
	CHECK(LlmDecodeBatch(ctx, items, 4, logits, &err) == LLM_OK && LlmSeqPast(ctx, 1) == 8,
		  "filling it exactly works");

	/* cancel in the middle: completed chunks stay, the context works afterwards */
	LlmContextReset(ctx);
	for (int i = 0; i < 12; i++)
		items[i] = (LlmBatchToken) {30 + i, i % 3, true};
	polls = 4 * stories->hp.n_layer + 2;	/* 4 polls a layer: into the second chunk */
	ctx->cancel = CancelAfter;
	ctx->cancel_arg = &polls;
	CHECK(LlmDecodeBatch(ctx, items, 12, logits, &err) == LLM_ERR_CANCELLED, "cancel mid-batch");
	ctx->cancel = NULL;
	CHECK(LlmSeqPast(ctx, 0) == 2 && LlmSeqPast(ctx, 1) == 1 && LlmSeqPast(ctx, 2) == 1,
		  "the first chunk stayed (%d %d %d)", LlmSeqPast(ctx, 0), LlmSeqPast(ctx, 1), LlmSeqPast(ctx, 2));
	LlmContextReset(ctx);
	CHECK(LlmDecodeBatch(ctx, items, 12, logits, &err) == LLM_OK, "decoding works after a cancel");
	LlmContextFree(ctx);
	free(logits);
}

static LlmStatus
Tokenize(const char *text, int32_t **ids, int *n, LlmError *err)
{
	return LlmTokenize(stories->vocab, text, strlen(text), true, false, ids, n, err);
}

/* LlmGenerateBatch over prompts gives what LlmGenerate gives for each alone. */
static void
CompareGenerate(const char *what, const char *const *texts, int n, LlmGenerateParams *gp,
				int n_ctx, int n_batch)
{
	int32_t    *ids[8];
	int			lens[8];
	LlmGenerateResult alone[8];
	LlmGenerateResult batch[8];
	LlmContext *one;
	LlmContext *many;
	LlmError	err;
	bool		ok = true;

	CHECK(LlmContextCreate(stories, n_ctx, 0, &one, &err) == LLM_OK, "context");
	CHECK(LlmContextCreateSeq(stories, n_ctx, n_batch, n + 1, &many, &err) == LLM_OK, "context");
	for (int i = 0; i < n; i++)
	{
		CHECK(Tokenize(texts[i], &ids[i], &lens[i], &err) == LLM_OK, "tokenize");
		CHECK(LlmGenerate(one, ids[i], lens[i], gp, &alone[i], &err) == LLM_OK, "generate alone");
	}
	CHECK(LlmGenerateBatch(many, (const int32_t *const *) ids, lens, NULL, NULL, n, gp, batch, &err) == LLM_OK,
		  "%s: generate batch: %s", what, err.message);
	for (int i = 0; i < n; i++)
	{
		bool		same = alone[i].n_tokens == batch[i].n_tokens &&
			memcmp(alone[i].tokens, batch[i].tokens, sizeof(int32_t) * alone[i].n_tokens) == 0 &&
			strcmp(alone[i].text, batch[i].text) == 0 &&
			strcmp(alone[i].stop_reason, batch[i].stop_reason) == 0 &&
			alone[i].n_prompt == batch[i].n_prompt;

		if (!same)
			fprintf(stderr, "%s prompt %d: alone \"%s\" (%s), batch \"%s\" (%s)\n", what, i,
					alone[i].text, alone[i].stop_reason, batch[i].text, batch[i].stop_reason);
		ok &= same;
		LlmGenerateResultFree(&alone[i]);
		LlmGenerateResultFree(&batch[i]);
		free(ids[i]);
	}
	CHECK(ok, "%s: LlmGenerateBatch == LlmGenerate for each of %d prompts", what, n);
	LlmContextFree(one);
	LlmContextFree(many);
}

static void
TestGenerateBatch(void)
{
	static const char *const texts[] = {
		"Once upon a time, there was a little girl named Lily.",
		"",
		"The cat sat",
		"Tom and Sue went to the park. They",
		"One day",
	};
	const char *stop[] = {"park"};
	LlmGenerateParams gp = {0};
	LlmContext *ctx;
	LlmError	err;
	LlmGenerateResult res[2];
	int32_t		bos = 1;
	const int32_t *p[2] = {&bos, &bos};
	int			lens[2] = {1, 1};

	LlmSamplerDefaults(&gp.sampling);
	gp.max_tokens = 40;
	CompareGenerate("greedy", texts, 5, &gp, 128, 0);
	CompareGenerate("greedy, chunks of 7", texts, 5, &gp, 128, 7);
	gp.stop = stop;
	gp.n_stop = 1;
	CompareGenerate("greedy with a stop string", texts, 5, &gp, 128, 0);
	gp.stop = NULL;
	gp.n_stop = 0;
	/* sequences reach the end of a small context at different steps */
	gp.max_tokens = 100;
	CompareGenerate("greedy to the context end", texts, 5, &gp, 40, 16);
	gp.max_tokens = 40;
	gp.sampling.temperature = 1.0f;
	gp.sampling.seed = 42;
	CompareGenerate("seeded sampling", texts, 5, &gp, 128, 0);
	gp.sampling.repeat_penalty = 1.3f;
	gp.sampling.top_k = 20;
	gp.sampling.seed = 7;
	CompareGenerate("sampling with top-k and a penalty", texts, 5, &gp, 128, 0);
	gp.max_tokens = 0;
	CompareGenerate("no tokens wanted", texts, 5, &gp, 128, 0);

	LlmSamplerDefaults(&gp.sampling);
	gp.max_tokens = 8;
	CHECK(LlmContextCreateSeq(stories, 64, 0, 1, &ctx, &err) == LLM_OK, "one-sequence context");
	CHECK(LlmGenerateBatch(ctx, p, lens, NULL, NULL, 2, &gp, res, &err) == LLM_ERR_ARGUMENT,
		  "more prompts than sequences: %s", err.message);
	LlmContextFree(ctx);
	CHECK(LlmContextCreateSeq(stories, 64, 0, 2, &ctx, &err) == LLM_OK, "two-sequence context");
	lens[1] = 0;
	CHECK(LlmGenerateBatch(ctx, p, lens, NULL, NULL, 2, &gp, res, &err) == LLM_ERR_ARGUMENT &&
		  res[0].text == NULL && res[1].text == NULL,
		  "an empty prompt fails the call and leaves nothing allocated: %s", err.message);
	LlmContextFree(ctx);
}

/* Batched continuation scoring against LlmScoreContinuations per input. */
static void
TestScoreBatch(void)
{
	static const char *const inputs[] = {
		"Review: I loved it. Sentiment:",
		"Review: it was bad and boring. Sentiment:",
		"Lily",
		"The dog ran to the big tree and",
	};
	static const char *const labels[] = {" positive", " negative", " a very long label here", ""};
	int32_t    *ids[4];
	int			lens[4];
	int32_t    *cont[4];
	int			cont_len[4];
	double		want[16];
	double		got[16];
	LlmContext *one;
	LlmContext *many;
	LlmError	err;
	bool		ok = true;

	for (int c = 0; c < 4; c++)
	{
		LlmTokenize(stories->vocab, labels[c], strlen(labels[c]), false, false, &cont[c],
					&cont_len[c], &err);
	}
	CHECK(LlmContextCreate(stories, 64, 0, &one, &err) == LLM_OK, "context");
	CHECK(LlmContextCreateSeq(stories, 64, 16, 5, &many, &err) == LLM_OK, "context");
	for (int i = 0; i < 4; i++)
	{
		CHECK(Tokenize(inputs[i], &ids[i], &lens[i], &err) == LLM_OK, "tokenize");
		CHECK(LlmScoreContinuations(one, ids[i], lens[i], (const int32_t *const *) cont, cont_len,
									4, want + 4 * i, &err) == LLM_OK, "score alone");
	}
	CHECK(LlmScoreContinuationsBatch(many, (const int32_t *const *) ids, lens, NULL, 4,
									 (const int32_t *const *) cont, cont_len, 4, got, &err) == LLM_OK,
		  "score batch: %s", err.message);
	for (int i = 0; i < 16; i++)
		ok &= memcmp(&want[i], &got[i], sizeof(double)) == 0;
	CHECK(ok, "batched continuation scores are bit-identical to LlmScoreContinuations");
	CHECK(want[0] != want[1] && want[3] == 0.0, "the scores are real (%g %g)", want[0], want[1]);
	CHECK(LlmScoreContinuationsBatch(many, (const int32_t *const *) ids, lens, NULL, 6,
									 (const int32_t *const *) cont, cont_len, 4, got, &err) == LLM_ERR_ARGUMENT,
		  "more inputs than sequences: %s", err.message);
	for (int i = 0; i < 4; i++)
	{
		free(ids[i]);
		free(cont[i]);
	}
	LlmContextFree(one);
	LlmContextFree(many);
}

/* Batched embeddings against LlmEmbedTokens per input. */
static void
TestEmbedBatch(void)
{
	static const char *const inputs[] = {
		"Once upon a time, there was a little girl named Lily.",
		"The dog",
		"Tom had a red car. He liked to drive it fast, and one day he drove to the sea.",
	};
	const int	E = stories->hp.n_embd;
	int32_t    *ids[3];
	int			lens[3];
	float	   *want = malloc(sizeof(float) * 3 * E);
	float	   *got = malloc(sizeof(float) * 3 * E);
	LlmContext *one;
	LlmContext *many;
	LlmError	err;

	CHECK(LlmContextCreate(stories, 64, 0, &one, &err) == LLM_OK, "context");
	/* chunks of 7 rows: every chunk boundary falls inside or between inputs */
	CHECK(LlmContextCreateSeq(stories, 64, 7, 3, &many, &err) == LLM_OK, "context");
	for (int i = 0; i < 3; i++)
	{
		CHECK(Tokenize(inputs[i], &ids[i], &lens[i], &err) == LLM_OK, "tokenize");
		CHECK(LlmEmbedTokens(one, ids[i], lens[i], want + (size_t) i * E, &err) == LLM_OK, "embed alone");
	}
	CHECK(LlmEmbedBatch(many, (const int32_t *const *) ids, lens, 3, got, &err) == LLM_OK,
		  "embed batch: %s", err.message);
	CHECK(memcmp(want, got, sizeof(float) * 3 * E) == 0,
		  "batched embeddings are bit-identical to LlmEmbedTokens");
	CHECK(LlmEmbedBatch(many, (const int32_t *const *) ids, lens, 4, got, &err) == LLM_ERR_ARGUMENT,
		  "more inputs than sequences: %s", err.message);
	lens[1] = 0;
	CHECK(LlmEmbedBatch(many, (const int32_t *const *) ids, lens, 3, got, &err) == LLM_ERR_ARGUMENT,
		  "an empty input: %s", err.message);
	lens[1] = 65;
	CHECK(LlmEmbedBatch(many, (const int32_t *const *) ids, lens, 3, got, &err) == LLM_ERR_CONTEXT,
		  "an input longer than the context: %s", err.message);
	for (int i = 0; i < 3; i++)
		free(ids[i]);
	free(want);
	free(got);
	LlmContextFree(one);
	LlmContextFree(many);
}

/*
 * A shared prompt prefix decoded once, saved, and loaded or copied into
 * each sequence (as the extension's prefix cache does): generation and
 * scoring from it are bit-identical to decoding every prompt whole.
 */
static void
TestCachedPrefix(void)
{
	static const char *const texts[] = {
		"Classify the story. Once upon a time, there was a little girl named Lily.",
		"Classify the story. The dog ran to the park and played with a ball.",
		"Classify the story. Tom had a red car. He liked to drive it fast.",
	};
	static const char *const labels[] = {" happy", " sad"};
	int32_t    *ids[3];
	int			lens[3];
	int			cached[3];
	int32_t    *cont[2];
	int			cont_len[2];
	double		want[6];
	double		got[6];
	LlmGenerateParams gp;
	LlmGenerateResult alone;
	LlmGenerateResult batch[3];
	LlmContext *one;
	LlmContext *many;
	LlmBatchToken items[64];
	LlmError	err;
	size_t		size;
	void	   *state;
	int			n_prefix = 0;
	bool		ok = true;

	for (int i = 0; i < 3; i++)
		Tokenize(texts[i], &ids[i], &lens[i], &err);
	while (n_prefix < lens[0] && ids[0][n_prefix] == ids[1][n_prefix] && ids[0][n_prefix] == ids[2][n_prefix])
		n_prefix++;
	CHECK(n_prefix >= 4, "the prompts share a prefix of %d tokens", n_prefix);
	for (int c = 0; c < 2; c++)
		LlmTokenize(stories->vocab, labels[c], strlen(labels[c]), false, false, &cont[c], &cont_len[c], &err);
	memset(&gp, 0, sizeof(gp));
	LlmSamplerDefaults(&gp.sampling);
	gp.max_tokens = 24;
	CHECK(LlmContextCreate(stories, 128, 0, &one, &err) == LLM_OK, "context");
	CHECK(LlmContextCreateSeq(stories, 128, 16, 3, &many, &err) == LLM_OK, "context");

	/* the prefix once into sequence 0, saved, then loaded into 1 and copied into 2 */
	for (int j = 0; j < n_prefix; j++)
		items[j] = (LlmBatchToken) {ids[0][j], 0, false};
	CHECK(LlmDecodeBatch(many, items, n_prefix, NULL, &err) == LLM_OK, "prefix: %s", err.message);
	size = LlmSeqStateSize(many, n_prefix);
	state = malloc(size);
	CHECK(LlmSeqStateSave(many, 0, n_prefix, state, size, &err) == LLM_OK, "save");

	for (int round = 0; round < 2; round++)
	{
		CHECK(LlmSeqStateLoad(many, 1, state, size, &err) == LLM_OK &&
			  LlmSeqCopy(many, 0, 2, n_prefix, &err) == LLM_OK &&
			  LlmSeqTruncate(many, 0, n_prefix, &err) == LLM_OK, "load and copy: %s", err.message);
		for (int i = 0; i < 3; i++)
			cached[i] = n_prefix;
		if (round == 0)
		{
			CHECK(LlmGenerateBatch(many, (const int32_t *const *) ids, lens, cached, NULL, 3, &gp, batch, &err) == LLM_OK,
				  "generate from a cached prefix: %s", err.message);
			for (int i = 0; i < 3; i++)
			{
				LlmGenerate(one, ids[i], lens[i], &gp, &alone, &err);
				ok &= alone.n_tokens == batch[i].n_tokens &&
					memcmp(alone.tokens, batch[i].tokens, sizeof(int32_t) * alone.n_tokens) == 0;
				LlmGenerateResultFree(&alone);
				LlmGenerateResultFree(&batch[i]);
			}
			CHECK(ok, "generation from a cached prefix == generation of the whole prompt");
		}
		else
		{
			CHECK(LlmScoreContinuationsBatch(many, (const int32_t *const *) ids, lens, cached, 3,
											 (const int32_t *const *) cont, cont_len, 2, got, &err) == LLM_OK,
				  "score from a cached prefix: %s", err.message);
			for (int i = 0; i < 3; i++)
				LlmScoreContinuations(one, ids[i], lens[i], (const int32_t *const *) cont, cont_len, 2,
									  want + 2 * i, &err);
			CHECK(memcmp(want, got, sizeof(want)) == 0,
				  "scores from a cached prefix are bit-identical to scoring the whole prompt");
		}
	}
	/* a cached count the sequence does not hold, or the whole prompt, is refused */
	LlmSeqReset(many, 0, &err);
	cached[0] = n_prefix;
	CHECK(LlmGenerateBatch(many, (const int32_t *const *) ids, lens, cached, NULL, 1, &gp, batch, &err) == LLM_ERR_ARGUMENT,
		  "more cached tokens than the sequence holds: %s", err.message);
	cached[0] = lens[0];
	CHECK(LlmScoreContinuationsBatch(many, (const int32_t *const *) ids, lens, cached, 1,
									 (const int32_t *const *) cont, cont_len, 2, got, &err) == LLM_ERR_ARGUMENT,
		  "a whole prompt cached leaves nothing to decode: %s", err.message);
	free(state);
	for (int i = 0; i < 3; i++)
		free(ids[i]);
	for (int c = 0; c < 2; c++)
		free(cont[c]);
	LlmContextFree(one);
	LlmContextFree(many);
}

/*
 * An F16 KV cache: logits close to the F32 cache's (what the parity suite
 * measures against llama.cpp's references with --kv f16), a sequence
 * decoded in a batch bit-identical to it decoded alone, and states of one
 * cache type refused by the other.
 */
static void
TestHalfCache(void)
{
	static const char *const texts[] = {
		"Once upon a time, there was a little girl named Lily.",
		"The dog ran to the park and played with a red ball.",
	};
	const int	V = stories->hp.n_vocab;
	int32_t    *ids[2];
	int			lens[2];
	LlmContext *f32;
	LlmContext *f16;
	LlmContext *many;
	LlmError	err;
	float	   *a = malloc(sizeof(float) * V);
	float	   *b = malloc(sizeof(float) * V);
	float	   *c = malloc(sizeof(float) * V * 2);
	LlmBatchToken items[64];
	int			n = 0;
	double		max_d = 0;
	double		sum2 = 0;
	size_t		size;
	void	   *state;

	for (int i = 0; i < 2; i++)
		Tokenize(texts[i], &ids[i], &lens[i], &err);
	CHECK(LlmContextCreateKv(stories, 64, 16, 1, LLM_TYPE_F32, &f32, &err) == LLM_OK &&
		  LlmContextCreateKv(stories, 64, 16, 1, LLM_TYPE_F16, &f16, &err) == LLM_OK &&
		  LlmContextCreateKv(stories, 64, 16, 2, LLM_TYPE_F16, &many, &err) == LLM_OK,
		  "contexts: %s", err.message);
	{
		LlmContext *q8;

		CHECK(LlmContextCreateKv(stories, 64, 16, 1, LLM_TYPE_Q8_0, &q8, &err) == LLM_ERR_ARGUMENT &&
			  q8 == NULL, "a Q8_0 cache is refused");
	}
	CHECK(f16->kv_elem == 2 && f32->kv_elem == 4, "an F16 cache takes half the bytes");
	LlmDecode(f32, ids[0], lens[0], a, false, &err);
	LlmDecode(f16, ids[0], lens[0], b, false, &err);
	for (int i = 0; i < V; i++)
	{
		max_d = fmax(max_d, fabs(a[i] - b[i]));
		sum2 += (double) a[i] * a[i];
	}
	CHECK(max_d > 0 && max_d < 0.05 * sqrt(sum2 / V),
		  "F16 cache logits within 5%% of a std of the F32 cache's (max |d| %g)", max_d);

	/* both prompts together, interleaved, against the first alone */
	for (int j = 0; j < lens[0] || j < lens[1]; j++)
		for (int i = 0; i < 2; i++)
			if (j < lens[i])
				items[n++] = (LlmBatchToken) {ids[i][j], i, j == lens[i] - 1};
	CHECK(LlmDecodeBatch(many, items, n, c, &err) == LLM_OK, "batch: %s", err.message);
	/* sequence 0's logits come first when its last token does */
	CHECK(memcmp(c + (lens[0] <= lens[1] ? 0 : V), b, sizeof(float) * V) == 0,
		  "with an F16 cache a batched sequence is bit-identical to it alone");

	size = LlmSeqStateSize(f16, lens[0]);
	state = malloc(size);
	CHECK(LlmSeqStateSave(f16, 0, lens[0], state, size, &err) == LLM_OK &&
		  size < LlmSeqStateSize(f32, lens[0]), "an F16 state is smaller");
	CHECK(LlmSeqStateLoad(f32, 0, state, size, &err) == LLM_ERR_ARGUMENT,
		  "an F16 state is refused by an F32 cache: %s", err.message);
	free(state);
	free(a);
	free(b);
	free(c);
	for (int i = 0; i < 2; i++)
		free(ids[i]);
	LlmContextFree(f32);
	LlmContextFree(f16);
	LlmContextFree(many);
}

int
main(void)
{
	LlmError	err;

	TestBitIdentity();
	TestOutputRows();
	if (LlmModelLoad(STORIES, &stories, &err) != LLM_OK)
	{
		CHECK(false, "load %s: %s", STORIES, err.message);
		return UnitSummary("batch");
	}
	TestSeqOps();
	TestBatchErrors();
	TestGenerateBatch();
	TestScoreBatch();
	TestEmbedBatch();
	TestCachedPrefix();
	TestHalfCache();
	LlmModelFree(stories);
	return UnitSummary("batch");
}
