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
DecodeBatched(LlmModel *m, float *logits, int n_batch, bool interleave, const int *slot)
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
			CHECK(DecodeBatched(m, batch, 8, true, slots_a) && SameBits(m, alone, batch, &s, &i),
				  "%s/%s: interleaved batch in chunks of 8 == alone (first difference: seq %d pos %d)",
				  models[mi], names[v], s, i);
			/* prompts one after another, other slots, chunk boundaries inside prompts */
			memset(batch, 0, sz);
			CHECK(DecodeBatched(m, batch, 5, false, slots_b) && SameBits(m, alone, batch, &s, &i),
				  "%s/%s: sequential batch in chunks of 5, slots 3 0 2 == alone (first difference: seq %d pos %d)",
				  models[mi], names[v], s, i);
			/* everything in one chunk */
			memset(batch, 0, sz);
			CHECK(DecodeBatched(m, batch, 512, true, slots_b) && SameBits(m, alone, batch, &s, &i),
				  "%s/%s: one chunk == alone (first difference: seq %d pos %d)",
				  models[mi], names[v], s, i);
		}
		LlmKernelsSelect("auto");
		free(alone);
		free(steps);
		free(batch);
		LlmModelFree(m);
	}
}

int
main(void)
{
	TestBitIdentity();
	return UnitSummary("batch");
}
