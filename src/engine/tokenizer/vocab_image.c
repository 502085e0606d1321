/*-------------------------------------------------------------------------
 *
 * vocab_image.c
 *	  The tokenizer's derived tables in one flat, position-independent
 *	  block, so that they are built once and then used in place by every
 *	  process that maps the block, at whatever address.
 *
 * Building a vocabulary (hashing 150k token texts and as many merges,
 * finding special tokens) costs tens of milliseconds; a backend that
 * attaches to a model in shared memory must not pay that.  The block holds
 * only offsets and plain arrays of ids, never pointers: token and merge
 * texts stay in the GGUF image, which the attaching process parses itself
 * (that is cheap) to get its own views of them.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tokenize.h"

#define VOCAB_IMAGE_MAGIC 0x564d4c4cu	/* "LLMV" */
#define VOCAB_IMAGE_VERSION 2
#define VOCAB_IMAGE_ALIGN 64

typedef struct VocabImageHeader
{
	uint32_t	magic;
	uint32_t	version;
	uint64_t	size;			/* of the whole block */
	uint32_t	type;
	int32_t		n_tokens;
	int32_t		bos_id;
	int32_t		eos_id;
	int32_t		eot_id;
	int32_t		unk_id;
	int32_t		sep_id;
	uint8_t		add_bos;
	uint8_t		add_eos;
	uint8_t		add_space_prefix;
	uint8_t		spm_words;
	uint8_t		has_scores;
	uint8_t		has_merges;
	uint8_t		lowercase;
	uint8_t		strip_accents;
	uint8_t		remove_extra_whitespaces;
	uint8_t		escape_whitespaces;
	uint8_t		treat_whitespace_as_suffix;
	uint8_t		has_trie;
	uint8_t		has_user_trie;
	float		unk_score;
	uint32_t	charsmap_size;
	uint32_t	trie_nodes;
	uint32_t	user_trie_nodes;
	int32_t		byte_token[256];
	uint32_t	hash_mask;
	uint32_t	merges_n;
	uint32_t	merges_mask;
	int32_t		n_special;
	uint8_t		special_first_byte[32];
	int32_t		special_n_lengths;
	uint32_t	special_mask;
	int32_t		n_eog;
	/* offsets from the start of the block */
	uint64_t	off_scores;
	uint64_t	off_attr;
	uint64_t	off_hash;
	uint64_t	off_merge_split;
	uint64_t	off_merge_slots;
	uint64_t	off_merge_hash;
	uint64_t	off_special;
	uint64_t	off_special_lengths;
	uint64_t	off_special_slots;
	uint64_t	off_eog;
	uint64_t	off_trie_child;
	uint64_t	off_trie_value;
	uint64_t	off_trie_label;
	uint64_t	off_user_trie_child;
	uint64_t	off_user_trie_value;
	uint64_t	off_user_trie_label;
	uint64_t	off_charsmap;
} VocabImageHeader;

/* One array of the block: where it comes from and where its offset goes. */
typedef struct VocabSection
{
	const void *src;
	size_t		bytes;
	uint64_t   *off;
} VocabSection;

#define VOCAB_SECTIONS 17

/*
 * The header's scalars and the list of arrays of a vocabulary; the offsets
 * are assigned in the order listed, each aligned.  Returns the block size.
 */
static size_t
VocabImageLayout(const LlmVocab *v, VocabImageHeader *h, VocabSection *sec)
{
	const LlmBpeMerges *m = v->merges;
	const LlmSpecialIndex *ix = v->special_index;
	const LlmVocabTrie *t = v->trie;
	const LlmVocabTrie *u = v->user_trie;
	size_t		n = (size_t) v->n_tokens;
	size_t		tn = t ? t->n_nodes : 0;
	size_t		un = u ? u->n_nodes : 0;
	size_t		pos;
	int			k = 0;

	memset(h, 0, sizeof(*h));
	h->magic = VOCAB_IMAGE_MAGIC;
	h->version = VOCAB_IMAGE_VERSION;
	h->type = (uint32_t) v->type;
	h->n_tokens = v->n_tokens;
	h->bos_id = v->bos_id;
	h->eos_id = v->eos_id;
	h->eot_id = v->eot_id;
	h->unk_id = v->unk_id;
	h->sep_id = v->sep_id;
	h->add_bos = v->add_bos;
	h->add_eos = v->add_eos;
	h->add_space_prefix = v->add_space_prefix;
	h->spm_words = v->spm_words;
	h->has_scores = v->scores != NULL;
	h->has_merges = m != NULL;
	h->lowercase = v->lowercase;
	h->strip_accents = v->strip_accents;
	h->remove_extra_whitespaces = v->remove_extra_whitespaces;
	h->escape_whitespaces = v->escape_whitespaces;
	h->treat_whitespace_as_suffix = v->treat_whitespace_as_suffix;
	h->has_trie = t != NULL;
	h->has_user_trie = u != NULL;
	h->unk_score = v->unk_score;
	h->charsmap_size = v->charsmap ? v->charsmap_size : 0;
	h->trie_nodes = (uint32_t) tn;
	h->user_trie_nodes = (uint32_t) un;
	memcpy(h->byte_token, v->byte_token, sizeof(h->byte_token));
	h->hash_mask = v->hash->mask;
	h->merges_n = m ? m->n : 0;
	h->merges_mask = m ? m->mask : 0;
	h->n_special = v->n_special;
	memcpy(h->special_first_byte, ix->first_byte, sizeof(h->special_first_byte));
	h->special_n_lengths = ix->n_lengths;
	h->special_mask = ix->mask;
	h->n_eog = v->n_eog;

#define SECTION(ptr, nbytes, field) \
	(sec[k++] = (VocabSection) {(ptr), (nbytes), &h->field})
	SECTION(v->scores, v->scores ? sizeof(float) * n : 0, off_scores);
	SECTION(v->attr, n, off_attr);
	SECTION(v->hash->slots, sizeof(int32_t) * ((size_t) h->hash_mask + 1), off_hash);
	SECTION(m ? m->split : NULL, sizeof(uint32_t) * h->merges_n, off_merge_split);
	SECTION(m ? m->slots : NULL, m ? sizeof(int32_t) * ((size_t) m->mask + 1) : 0, off_merge_slots);
	SECTION(m ? m->slot_hash : NULL, m ? sizeof(uint32_t) * ((size_t) m->mask + 1) : 0, off_merge_hash);
	SECTION(v->special, sizeof(LlmSpecialToken) * (size_t) v->n_special, off_special);
	SECTION(ix->lengths, sizeof(uint32_t) * (size_t) ix->n_lengths, off_special_lengths);
	SECTION(ix->slots, sizeof(int32_t) * ((size_t) ix->mask + 1), off_special_slots);
	SECTION(v->eog_ids, sizeof(int32_t) * (size_t) v->n_eog, off_eog);
	SECTION(t ? t->first_child : NULL, t ? sizeof(uint32_t) * (tn + 1) : 0, off_trie_child);
	SECTION(t ? t->value : NULL, sizeof(int32_t) * tn, off_trie_value);
	SECTION(t ? t->label : NULL, tn, off_trie_label);
	SECTION(u ? u->first_child : NULL, u ? sizeof(uint32_t) * (un + 1) : 0, off_user_trie_child);
	SECTION(u ? u->value : NULL, sizeof(int32_t) * un, off_user_trie_value);
	SECTION(u ? u->label : NULL, un, off_user_trie_label);
	SECTION(v->charsmap, h->charsmap_size, off_charsmap);
#undef SECTION

	pos = sizeof(VocabImageHeader);
	for (int i = 0; i < VOCAB_SECTIONS; i++)
	{
		pos = (pos + VOCAB_IMAGE_ALIGN - 1) & ~(size_t) (VOCAB_IMAGE_ALIGN - 1);
		*sec[i].off = pos;
		pos += sec[i].bytes;
	}
	h->size = pos;
	return pos;
}

size_t
LlmVocabImageSize(const LlmVocab *vocab)
{
	VocabImageHeader h;
	VocabSection sec[VOCAB_SECTIONS];

	return VocabImageLayout(vocab, &h, sec);
}

void
LlmVocabImageWrite(const LlmVocab *vocab, void *dst)
{
	VocabImageHeader h;
	VocabSection sec[VOCAB_SECTIONS];
	size_t		size = VocabImageLayout(vocab, &h, sec);

	memset(dst, 0, size);
	memcpy(dst, &h, sizeof(h));
	for (int i = 0; i < VOCAB_SECTIONS; i++)
		if (sec[i].bytes > 0)
			memcpy((char *) dst + *sec[i].off, sec[i].src, sec[i].bytes);
}

/* true if [off, off + bytes) lies inside a block of size bytes */
static bool
VocabImageHas(const VocabImageHeader *h, uint64_t off, uint64_t bytes)
{
	return off <= h->size && bytes <= h->size - off;
}

LlmStatus
LlmVocabAttach(const GgufFile *gguf, const void *image, size_t size,
			   LlmVocab **out, LlmError *err)
{
	const VocabImageHeader *h = image;
	const char *base = image;
	const GgufKV *tokens;
	const GgufKV *merges = NULL;
	GgufString	pre;
	LlmVocab   *v;

	*out = NULL;
	if (size < sizeof(*h) || h->magic != VOCAB_IMAGE_MAGIC ||
		h->version != VOCAB_IMAGE_VERSION || h->size != size || h->type > LLM_VOCAB_GEMMA4)
		return LlmSetError(err, LLM_ERR_FORMAT, "the vocabulary image is not one this version wrote");
	tokens = GgufGetArray(gguf, "tokenizer.ggml.tokens", GGUF_TYPE_STRING);
	if (tokens == NULL || tokens->v.arr.len != (uint64_t) h->n_tokens)
		return LlmSetError(err, LLM_ERR_FORMAT, "the vocabulary image does not match the model file");
	if (h->has_merges)
	{
		merges = GgufGetArray(gguf, "tokenizer.ggml.merges", GGUF_TYPE_STRING);
		if (merges == NULL || merges->v.arr.len != h->merges_n)
			return LlmSetError(err, LLM_ERR_FORMAT, "the vocabulary image does not match the model file");
	}
	/* the block was written by this code; check only what indexing relies on */
	if (!VocabImageHas(h, h->off_attr, (uint64_t) h->n_tokens) ||
		!VocabImageHas(h, h->off_hash, 4 * ((uint64_t) h->hash_mask + 1)) ||
		!VocabImageHas(h, h->off_special_slots, 4 * ((uint64_t) h->special_mask + 1)) ||
		!VocabImageHas(h, h->off_eog, 4 * (uint64_t) h->n_eog) ||
		(h->has_merges && !VocabImageHas(h, h->off_merge_hash, 4 * ((uint64_t) h->merges_mask + 1))) ||
		(h->has_trie && !VocabImageHas(h, h->off_trie_label, h->trie_nodes)) ||
		(h->has_user_trie && !VocabImageHas(h, h->off_user_trie_label, h->user_trie_nodes)) ||
		!VocabImageHas(h, h->off_charsmap, h->charsmap_size))
		return LlmSetError(err, LLM_ERR_FORMAT, "the vocabulary image is truncated");

	v = calloc(1, sizeof(LlmVocab));
	if (v == NULL)
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory attaching a vocabulary");
	v->borrowed = true;
	v->hash = calloc(1, sizeof(LlmVocabHash));
	v->special_index = calloc(1, sizeof(LlmSpecialIndex));
	if (h->has_merges)
		v->merges = calloc(1, sizeof(LlmBpeMerges));
	if (h->has_trie)
		v->trie = calloc(1, sizeof(LlmVocabTrie));
	if (h->has_user_trie)
		v->user_trie = calloc(1, sizeof(LlmVocabTrie));
	if (v->hash == NULL || v->special_index == NULL || (h->has_merges && v->merges == NULL) ||
		(h->has_trie && v->trie == NULL) || (h->has_user_trie && v->user_trie == NULL))
	{
		LlmVocabFree(v);
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory attaching a vocabulary");
	}

	v->type = (LlmVocabType) h->type;
	v->n_tokens = h->n_tokens;
	v->text = tokens->v.arr.strings;
	v->scores = h->has_scores ? (const float *) (base + h->off_scores) : NULL;
	v->attr = (uint8_t *) (base + h->off_attr);
	v->bos_id = h->bos_id;
	v->eos_id = h->eos_id;
	v->eot_id = h->eot_id;
	v->unk_id = h->unk_id;
	v->sep_id = h->sep_id;
	v->add_bos = h->add_bos;
	v->add_eos = h->add_eos;
	v->add_space_prefix = h->add_space_prefix;
	v->spm_words = h->spm_words;
	v->lowercase = h->lowercase;
	v->strip_accents = h->strip_accents;
	v->remove_extra_whitespaces = h->remove_extra_whitespaces;
	v->escape_whitespaces = h->escape_whitespaces;
	v->treat_whitespace_as_suffix = h->treat_whitespace_as_suffix;
	v->unk_score = h->unk_score;
	if (h->charsmap_size > 0)
	{
		/* read only: the block is shared */
		v->charsmap = (uint8_t *) (base + h->off_charsmap);
		v->charsmap_size = h->charsmap_size;
	}
	if (h->has_trie)
	{
		v->trie->n_nodes = h->trie_nodes;
		v->trie->first_child = (uint32_t *) (base + h->off_trie_child);
		v->trie->value = (int32_t *) (base + h->off_trie_value);
		v->trie->label = (uint8_t *) (base + h->off_trie_label);
	}
	if (h->has_user_trie)
	{
		v->user_trie->n_nodes = h->user_trie_nodes;
		v->user_trie->first_child = (uint32_t *) (base + h->off_user_trie_child);
		v->user_trie->value = (int32_t *) (base + h->off_user_trie_value);
		v->user_trie->label = (uint8_t *) (base + h->off_user_trie_label);
	}
	memcpy(v->byte_token, h->byte_token, sizeof(v->byte_token));
	v->hash->mask = h->hash_mask;
	v->hash->slots = (int32_t *) (base + h->off_hash);

	if (v->type == LLM_VOCAB_BPE)
	{
		if (!GgufGetString(gguf, "tokenizer.ggml.pre", &pre))
			pre = (GgufString) {7, "default"};
		v->pre = LlmPreLookup(pre.data, pre.len);
	}
	if ((v->type == LLM_VOCAB_BPE && v->pre == NULL) ||
		((v->type == LLM_VOCAB_BPE || v->type == LLM_VOCAB_GEMMA4) && merges == NULL) ||
		((v->type == LLM_VOCAB_WPM || v->type == LLM_VOCAB_UGM) && v->trie == NULL) ||
		(v->type == LLM_VOCAB_UGM && v->user_trie == NULL))
	{
		LlmVocabFree(v);
		return LlmSetError(err, LLM_ERR_FORMAT, "the vocabulary image does not match the model file");
	}
	if (merges != NULL)
	{
		v->merges->text = merges->v.arr.strings;
		v->merges->n = h->merges_n;
		v->merges->split = (uint32_t *) (base + h->off_merge_split);
		v->merges->mask = h->merges_mask;
		v->merges->slots = (int32_t *) (base + h->off_merge_slots);
		v->merges->slot_hash = (uint32_t *) (base + h->off_merge_hash);
	}

	v->special = (LlmSpecialToken *) (base + h->off_special);
	v->n_special = h->n_special;
	memcpy(v->special_index->first_byte, h->special_first_byte,
		   sizeof(v->special_index->first_byte));
	v->special_index->n_lengths = h->special_n_lengths;
	v->special_index->lengths = (uint32_t *) (base + h->off_special_lengths);
	v->special_index->mask = h->special_mask;
	v->special_index->slots = (int32_t *) (base + h->off_special_slots);
	v->eog_ids = (int32_t *) (base + h->off_eog);
	v->n_eog = h->n_eog;

	*out = v;
	return LLM_OK;
}
