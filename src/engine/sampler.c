/*-------------------------------------------------------------------------
 *
 * sampler.c
 *	  Token sampling.  The chain is llama.cpp's usual order: repetition
 *	  penalty, top-k, top-p, min-p, temperature, then a draw.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sampler.h"

typedef struct Candidate
{
	int32_t		id;
	float		logit;
	float		p;
} Candidate;

struct LlmSampler
{
	LlmSamplerParams params;
	int			n_vocab;
	uint64_t	rng[4];			/* xoshiro256** state */
	int32_t    *recent;			/* ring of the last repeat_last_n tokens */
	int			n_recent;
	int			recent_pos;
	Candidate  *cand;			/* [n_vocab] */
};

void
LlmSamplerDefaults(LlmSamplerParams *p)
{
	memset(p, 0, sizeof(*p));
	p->temperature = 0.0f;
	p->top_p = 1.0f;
	p->repeat_penalty = 1.0f;
	p->repeat_last_n = 64;
}

static uint64_t
SplitMix64(uint64_t *x)
{
	uint64_t	z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
Rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* uniform in [0, 1) with 53 random bits */
static double
NextUniform(LlmSampler *s)
{
	uint64_t   *r = s->rng;
	uint64_t	result = Rotl(r[1] * 5, 7) * 9;
	uint64_t	t = r[1] << 17;

	r[2] ^= r[0];
	r[3] ^= r[1];
	r[1] ^= r[2];
	r[0] ^= r[3];
	r[2] ^= t;
	r[3] = Rotl(r[3], 45);
	return (result >> 11) * (1.0 / 9007199254740992.0);
}

LlmStatus
LlmSamplerCreate(const LlmSamplerParams *p, int n_vocab, LlmSampler **out, LlmError *err)
{
	LlmSampler *s;
	uint64_t	seed = p->seed;

	*out = NULL;
	if (n_vocab <= 0)
		return LlmSetError(err, LLM_ERR_ARGUMENT, "empty vocabulary");
	if (!(p->temperature >= 0.0f) || !(p->top_p >= 0.0f) || !(p->min_p >= 0.0f) ||
		!(p->repeat_penalty > 0.0f) || p->repeat_last_n < 0)
		return LlmSetError(err, LLM_ERR_ARGUMENT,
						   "invalid sampling parameters: temperature, top_p and min_p must be >= 0, the repetition penalty > 0");
	s = calloc(1, sizeof(LlmSampler));
	if (s == NULL)
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory creating a sampler");
	s->params = *p;
	s->n_vocab = n_vocab;
	s->cand = malloc(sizeof(Candidate) * n_vocab);
	s->recent = malloc(sizeof(int32_t) * (p->repeat_last_n > 0 ? p->repeat_last_n : 1));
	if (s->cand == NULL || s->recent == NULL)
	{
		LlmSamplerFree(s);
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory creating a sampler");
	}
	for (int i = 0; i < 4; i++)
		s->rng[i] = SplitMix64(&seed);
	*out = s;
	return LLM_OK;
}

void
LlmSamplerFree(LlmSampler *s)
{
	if (s == NULL)
		return;
	free(s->cand);
	free(s->recent);
	free(s);
}

void
LlmSamplerAccept(LlmSampler *s, int32_t token)
{
	int			cap = s->params.repeat_last_n;

	if (cap <= 0)
		return;
	s->recent[s->recent_pos] = token;
	s->recent_pos = (s->recent_pos + 1) % cap;
	if (s->n_recent < cap)
		s->n_recent++;
}

/* Divide positive logits (multiply negative ones) of recent tokens, once each. */
static void
ApplyRepeatPenalty(LlmSampler *s, float *logits)
{
	float		penalty = s->params.repeat_penalty;

	if (penalty == 1.0f)
		return;
	for (int i = 0; i < s->n_recent; i++)
	{
		int32_t		id = s->recent[i];
		bool		seen = false;

		if (id < 0 || id >= s->n_vocab)
			continue;
		for (int j = 0; j < i && !seen; j++)
			seen = s->recent[j] == id;
		if (seen)
			continue;
		logits[id] = logits[id] > 0 ? logits[id] / penalty : logits[id] * penalty;
	}
}

static int
CandidateCmp(const void *a, const void *b)
{
	const Candidate *x = a;
	const Candidate *y = b;

	if (x->logit != y->logit)
		return x->logit > y->logit ? -1 : 1;
	return x->id < y->id ? -1 : (x->id > y->id);
}

/* The highest logit's token (the lowest id on ties); -1 if every one is NaN. */
static int32_t
Argmax(const float *logits, int n)
{
	int32_t		best = -1;

	for (int i = 0; i < n; i++)
		if (!isnan(logits[i]) && (best < 0 || logits[i] > logits[best]))
			best = i;
	return best;
}

int32_t
LlmSamplerSample(LlmSampler *s, float *logits)
{
	const LlmSamplerParams *p = &s->params;
	Candidate  *c = s->cand;
	int			n = s->n_vocab;
	double		sum = 0.0;
	double		r;
	double		acc;

	ApplyRepeatPenalty(s, logits);
	if (p->temperature <= 0.0f)
		return Argmax(logits, n);

	/*
	 * Only tokens within 30 nats (scaled by the temperature) of the best can
	 * carry any probability that float sampling could see: keep just those,
	 * so that a 150k-token vocabulary is not sorted for every token.
	 */
	{
		int32_t		best = Argmax(logits, n);
		float		floor;
		int			kept = 0;

		/*
		 * NaN logits (a broken model) are never candidates: with none left
		 * there is nothing to draw from.  An infinite best makes every
		 * difference below infinite or NaN: then it is the pick.
		 */
		if (best < 0 || isinf(logits[best]))
			return best;
		floor = logits[best] - 30.0f * (p->temperature > 1.0f ? p->temperature : 1.0f);
		for (int i = 0; i < n; i++)
			if (logits[i] >= floor)
			{
				c[kept].id = i;
				c[kept].logit = logits[i];
				kept++;
			}
		n = kept;
	}
	qsort(c, n, sizeof(Candidate), CandidateCmp);

	if (p->top_k > 0 && p->top_k < n)
		n = p->top_k;

	/* probabilities of what is left, before temperature (as llama.cpp's top-p) */
	for (int i = 0; i < n; i++)
	{
		c[i].p = expf(c[i].logit - c[0].logit);
		sum += c[i].p;
	}
	if (p->top_p < 1.0f)
	{
		double		cum = 0.0;

		for (int i = 0; i < n; i++)
		{
			cum += c[i].p / sum;
			if (cum >= p->top_p)
			{
				n = i + 1;
				break;
			}
		}
	}
	if (p->min_p > 0.0f)
	{
		/* keep tokens whose probability is at least min_p times the best's */
		int			keep = 1;

		while (keep < n && c[keep].p >= p->min_p * c[0].p)
			keep++;
		n = keep;
	}

	sum = 0.0;
	for (int i = 0; i < n; i++)
	{
		c[i].p = expf((c[i].logit - c[0].logit) / p->temperature);
		sum += c[i].p;
	}
	r = NextUniform(s) * sum;
	acc = 0.0;
	for (int i = 0; i < n; i++)
	{
		acc += c[i].p;
		if (r < acc)
			return c[i].id;
	}
	return c[n - 1].id;
}
