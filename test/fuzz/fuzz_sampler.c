/*-------------------------------------------------------------------------
 *
 * fuzz_sampler.c
 *	  libFuzzer harness of the sampler: any logits (NaN, infinities,
 *	  denormals, ties) and any settings through LlmSamplerSample.
 *
 * Logits come from a model file the engine does not trust, so they may be
 * anything a float can be.  Input: the settings (temperature, top-k,
 * top-p, min-p, repetition penalty and its window, seed: 28 bytes), then
 * tokens for the penalty to remember (4 bytes each, as many as byte 0
 * says, any value), then the logits (4 bytes each, one per token of the
 * vocabulary).  The sampler must pick a token of the vocabulary, or say
 * with -1 that the logits allow none (every one NaN); never read outside
 * its arrays.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "sampler.h"

#define SETTINGS 28

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static float
F32(const uint8_t *p)
{
	float		f;

	memcpy(&f, p, 4);
	return f;
}

static int32_t
I32(const uint8_t *p)
{
	int32_t		v;

	memcpy(&v, p, 4);
	return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	LlmSamplerParams p;
	LlmSampler *s;
	LlmError	err;
	int			n_accept;
	int			n_vocab;
	float	   *logits;
	bool		any_number = false;
	int32_t		tok;

	if (size < SETTINGS + 1)
		return 0;
	LlmSamplerDefaults(&p);
	p.temperature = F32(data);
	p.top_k = I32(data + 4);
	p.top_p = F32(data + 8);
	p.min_p = F32(data + 12);
	p.repeat_penalty = F32(data + 16);
	p.repeat_last_n = I32(data + 20) % 4096;
	memcpy(&p.seed, data + 24, 4);
	n_accept = data[SETTINGS] % 16;
	data += SETTINGS + 1;
	size -= SETTINGS + 1;
	if (size < 4 * (size_t) n_accept + 4)
		return 0;

	n_vocab = (int) ((size - 4 * n_accept) / 4);
	if (LlmSamplerCreate(&p, n_vocab, &s, &err) != LLM_OK)
		return 0;
	for (int i = 0; i < n_accept; i++)
		LlmSamplerAccept(s, I32(data + 4 * i));
	data += 4 * n_accept;

	/* exactly n_vocab floats, so that ASan sees a read past them */
	logits = malloc(sizeof(float) * n_vocab);
	if (logits == NULL)
		abort();
	memcpy(logits, data, sizeof(float) * n_vocab);
	for (int i = 0; i < n_vocab; i++)
		any_number |= !isnan(logits[i]);
	tok = LlmSamplerSample(s, logits);
	FUZZ_CHECK((tok >= 0 && tok < n_vocab) || (tok == -1 && !any_number),
			   "sampled %d of %d (a number among the logits: %d)", tok, n_vocab, any_number);
	free(logits);
	LlmSamplerFree(s);
	return 0;
}
