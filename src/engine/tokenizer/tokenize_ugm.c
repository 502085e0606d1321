/*-------------------------------------------------------------------------
 *
 * tokenize_ugm.c
 *	  Unigram tokenization (tokenizer.ggml.model = "t5": T5, XLM-RoBERTa),
 *	  as llama.cpp's llm_tokenizer_ugm does it.
 *
 * First SentencePiece's normaliser, left to right: a prefix that starts a
 * user-defined token passes unchanged; otherwise the longest prefix the
 * precompiled charsmap knows is replaced by its replacement string (NFKC
 * and friends, compiled into the model file); otherwise one UTF-8
 * character passes, or U+FFFD for a byte that starts none.  Spaces in the
 * result become U+2581 (escape_whitespaces), runs of them one or none
 * (remove_extra_whitespaces), and one goes in front of the text
 * (add_space_prefix) or after it (treat_whitespace_as_suffix).
 *
 * Then the Viterbi search: for every position, the best-scoring way to
 * tokenize the text up to it, extended by every token that starts at a
 * character boundary (a trie walk); a character that begins no token of its
 * own length may be the unknown token, at the lowest normal score minus
 * 10.  Runs of unknown tokens in the best path become one.
 *
 * Facts kept from llama.cpp on purpose: the user-defined prefix is the
 * deepest path in the trie of user-defined tokens, whether or not a token
 * ends there; scores are summed in double; ties keep the earlier path.
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tokenize.h"
#include "tokenizer/unicode.h"

#define UGM_SPACE "\xe2\x96\x81"	/* U+2581 */

/* ---- loading ---- */

/*
 * llama.cpp's attributes are bit sets where this vocabulary keeps one type:
 * a token made control because of its text keeps the normal bit there,
 * and a control token named "unused" gains the unused bit.  The trie and
 * the unknown score follow llama.cpp, so they look at the file's types.
 */
static bool
UgmIsNormal(const LlmVocab *vocab, int32_t id, const GgufKV *file_types)
{
	int32_t		t = LLM_TOKEN_NORMAL;

	if (file_types != NULL)
		memcpy(&t, (const char *) file_types->v.arr.data + 4 * (size_t) id, 4);
	return vocab->attr[id] == LLM_TOKEN_NORMAL ||
		(t == LLM_TOKEN_NORMAL && vocab->attr[id] == LLM_TOKEN_CONTROL);
}

static bool
UgmIsUnused(const LlmVocab *vocab, int32_t id)
{
	GgufString	t = vocab->text[id];

	if (vocab->attr[id] == LLM_TOKEN_UNUSED)
		return true;
	if (vocab->attr[id] != LLM_TOKEN_CONTROL)
		return false;
	for (size_t i = 0; i + 6 <= t.len; i++)
		if (memcmp(t.data + i, "unused", 6) == 0)
			return true;
	return false;
}

static bool
UgmKeepToken(const LlmVocab *vocab, int32_t id)
{
	return vocab->attr[id] == LLM_TOKEN_NORMAL || vocab->attr[id] == LLM_TOKEN_USER_DEFINED ||
		UgmIsUnused(vocab, id);
}

static bool
UgmKeepUserDefined(const LlmVocab *vocab, int32_t id)
{
	return vocab->attr[id] == LLM_TOKEN_USER_DEFINED;
}

/* A copy of the precompiled charsmap, checked as llama.cpp checks it. */
static LlmStatus
UgmLoadCharsmap(LlmVocab *vocab, const GgufFile *gguf, LlmError *err)
{
	const GgufKV *kv = GgufGetArray(gguf, "tokenizer.ggml.precompiled_charsmap", GGUF_TYPE_UINT8);
	uint32_t	blob;

	if (kv == NULL)
		kv = GgufGetArray(gguf, "tokenizer.ggml.precompiled_charsmap", GGUF_TYPE_INT8);
	if (kv == NULL || kv->v.arr.len == 0)
		return LLM_OK;
	if (kv->v.arr.len < 4 || kv->v.arr.len > UINT32_MAX)
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "tokenizer.ggml.precompiled_charsmap has %llu bytes",
						   (unsigned long long) kv->v.arr.len);
	memcpy(&blob, kv->v.arr.data, 4);
	if ((uint64_t) blob + 4 >= kv->v.arr.len)
		return LlmSetError(err, LLM_ERR_FORMAT,
						   "tokenizer.ggml.precompiled_charsmap is truncated (%u bytes of trie in %llu)",
						   blob, (unsigned long long) kv->v.arr.len);
	/* malloc'd memory is aligned for the uint32_t entries; the file's is not */
	vocab->charsmap = malloc(kv->v.arr.len);
	if (vocab->charsmap == NULL)
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory loading the charsmap");
	memcpy(vocab->charsmap, kv->v.arr.data, kv->v.arr.len);
	vocab->charsmap_size = (uint32_t) kv->v.arr.len;
	return LLM_OK;
}

LlmStatus
LlmUgmLoad(LlmVocab *vocab, const GgufFile *gguf, LlmError *err)
{
	const GgufKV *file_types = GgufGetArray(gguf, "tokenizer.ggml.token_type", GGUF_TYPE_INT32);
	float		min_score = FLT_MAX;
	LlmStatus	status;

	for (int32_t id = 0; id < vocab->n_tokens; id++)
		if (vocab->scores != NULL && UgmIsNormal(vocab, id, file_types) &&
			vocab->scores[id] < min_score)
			min_score = vocab->scores[id];
	if (vocab->scores == NULL)
		min_score = 0.0f;		/* llama.cpp scores every token 0 then */
	vocab->unk_score = min_score - 10.0f;

	status = UgmLoadCharsmap(vocab, gguf, err);
	if (status == LLM_OK)
		status = LlmVocabTrieBuild(vocab, UgmKeepToken, &vocab->trie, err);
	if (status == LLM_OK)
		status = LlmVocabTrieBuild(vocab, UgmKeepUserDefined, &vocab->user_trie, err);
	return status;
}

/* ---- the normaliser ---- */

/*
 * The charsmap's trie is an XOR-compressed compact double array (Kanda,
 * 2018): each uint32_t entry packs BASE (bits 10-30, shifted left by 8
 * when bit 9 is set), LCHECK (bits 0-7, with bit 31 for value nodes), LEAF
 * (bit 8) and, in value nodes, an offset into the replacement strings.
 */
typedef struct UgmCharsmap
{
	const uint32_t *xcda;
	uint32_t	n_xcda;
	const char *repl;			/* NUL-terminated replacement strings */
	uint32_t	repl_size;
} UgmCharsmap;

static inline bool
UgmNode(const UgmCharsmap *cm, uint32_t index, uint32_t *node)
{
	if (index >= cm->n_xcda)
		return false;
	*node = cm->xcda[index];
	return true;
}

static inline uint32_t
UgmBase(uint32_t node)
{
	return (node >> 10) << ((node & (1u << 9)) >> 6);
}

/* A piece of normalised text: where it is, and how much input it took. */
typedef struct UgmPiece
{
	const char *data;
	size_t		len;
	size_t		consumed;
} UgmPiece;

/* Length of the UTF-8 character at text[pos] by llama.cpp's rules, or 0. */
static size_t
UgmUtf8Len(const char *text, size_t len, size_t pos)
{
	const uint8_t *s = (const uint8_t *) text + pos;
	size_t		avail = len - pos;
	size_t		n;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0x40) == 0)
		return 0;
	if ((s[0] & 0x20) == 0)
		n = 2;
	else if ((s[0] & 0x10) == 0)
		n = 3;
	else if ((s[0] & 0x08) == 0)
		n = 4;
	else
		return 0;
	if (avail < n)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return n;
}

static LlmStatus
UgmNormalizePrefix(const LlmVocab *vocab, const UgmCharsmap *cm, const char *text,
				   size_t len, size_t pos, UgmPiece *piece, LlmError *err)
{
	const LlmVocabTrie *user = vocab->user_trie;
	size_t		matched = 0;
	size_t		repl_off = 0;
	uint32_t	node = 0;
	size_t		n;

	/* the deepest path of the user-defined tokens' trie passes unchanged */
	for (size_t p = pos; p < len && (node = LlmVocabTrieChild(user, node, (uint8_t) text[p])) != 0; p++)
		matched = p - pos + 1;
	if (matched > 0)
	{
		*piece = (UgmPiece) {text + pos, matched, matched};
		return LLM_OK;
	}

	if (cm->n_xcda > 0)
	{
		uint32_t	entry;
		uint32_t	index;

		if (!UgmNode(cm, 0, &entry))
			goto bad_index;
		index = UgmBase(entry);
		for (size_t p = pos; p < len; p++)
		{
			uint8_t		c = (uint8_t) text[p];
			bool		leaf;

			if (c == 0)
				break;
			index ^= c;
			if (!UgmNode(cm, index, &entry))
				goto bad_index;
			if ((entry & ((1u << 31) | 0xff)) != c)
				break;
			leaf = (entry >> 8) & 1;
			index ^= UgmBase(entry);
			if (leaf)
			{
				if (!UgmNode(cm, index, &entry))
					goto bad_index;
				matched = p - pos + 1;
				repl_off = entry & ((1u << 31) - 1);
			}
		}
	}
	if (matched > 0)
	{
		const char *r;
		const char *nul;

		if (repl_off >= cm->repl_size)
			goto bad_index;
		r = cm->repl + repl_off;
		nul = memchr(r, '\0', cm->repl_size - repl_off);
		if (nul == NULL)
			return LlmSetError(err, LLM_ERR_FORMAT, "unterminated string in the precompiled charsmap");
		*piece = (UgmPiece) {r, (size_t) (nul - r), matched};
		return LLM_OK;
	}

	n = UgmUtf8Len(text, len, pos);
	if (n > 0)
		*piece = (UgmPiece) {text + pos, n, n};
	else
		*piece = (UgmPiece) {"\xef\xbf\xbd", 3, 1};
	return LLM_OK;

bad_index:
	return LlmSetError(err, LLM_ERR_FORMAT, "the precompiled charsmap points outside itself");
}

typedef struct UgmText
{
	char	   *data;
	size_t		len;
	size_t		cap;
} UgmText;

static bool
UgmAppend(UgmText *t, const char *s, size_t n)
{
	if (t->len + n > t->cap)
	{
		size_t		cap = t->cap ? t->cap : 256;
		char	   *grown;

		while (cap < t->len + n)
			cap *= 2;
		grown = realloc(t->data, cap);
		if (grown == NULL)
			return false;
		t->data = grown;
		t->cap = cap;
	}
	memcpy(t->data + t->len, s, n);
	t->len += n;
	return true;
}

static LlmStatus
UgmNormalize(const LlmVocab *vocab, const char *text, size_t len, UgmText *out, LlmError *err)
{
	UgmCharsmap cm = {0};
	const char *space = vocab->escape_whitespaces ? UGM_SPACE : " ";
	size_t		space_len = vocab->escape_whitespaces ? 3 : 1;
	bool		prepend = !vocab->treat_whitespace_as_suffix && vocab->add_space_prefix;
	bool		append = vocab->treat_whitespace_as_suffix && vocab->add_space_prefix;
	bool		merge = vocab->remove_extra_whitespaces;
	bool		prepended = false;
	bool		in_word = false;

	if (vocab->charsmap != NULL)
	{
		uint32_t	blob;

		memcpy(&blob, vocab->charsmap, 4);
		cm.xcda = (const uint32_t *) (vocab->charsmap + 4);
		cm.n_xcda = blob / 4;
		cm.repl = (const char *) vocab->charsmap + 4 + blob;
		cm.repl_size = vocab->charsmap_size - 4 - blob;
	}
	for (size_t pos = 0; pos < len;)
	{
		UgmPiece	piece = {0};
		LlmStatus	status = UgmNormalizePrefix(vocab, &cm, text, len, pos, &piece, err);

		if (status != LLM_OK)
			return status;
		for (size_t i = 0; i < piece.len; i++)
		{
			bool		ok;

			if (piece.data[i] != ' ')
			{
				ok = true;
				if (!in_word)
				{
					in_word = true;
					if ((prepend && !prepended) || merge)
					{
						ok = UgmAppend(out, space, space_len);
						prepended = true;
					}
				}
				ok = ok && UgmAppend(out, piece.data + i, 1);
			}
			else
			{
				in_word = false;
				ok = merge || UgmAppend(out, space, space_len);
			}
			if (!ok)
				return LlmSetError(err, LLM_ERR_NOMEM, "out of memory normalizing %zu bytes", len);
		}
		pos += piece.consumed;
	}
	if (append && !UgmAppend(out, space, space_len))
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory normalizing %zu bytes", len);
	return LLM_OK;
}

/* ---- the Viterbi search ---- */

typedef struct UgmBest
{
	int32_t		id;
	size_t		start;			/* where the token that ends here starts */
	double		score;			/* of the best tokenization up to here */
} UgmBest;

LlmStatus
LlmTokenizeUgm(const LlmVocab *vocab, const char *text, size_t len,
			   LlmTokenBuf *out, LlmError *err)
{
	const LlmVocabTrie *trie = vocab->trie;
	UgmText		norm = {0};
	UgmBest    *best;
	size_t		n;
	int			first = out->count;
	bool		prev_unknown = false;
	LlmStatus	status;

	status = UgmNormalize(vocab, text, len, &norm, err);
	n = norm.len;
	if (status != LLM_OK || n == 0)
	{
		free(norm.data);
		return status;
	}
	best = malloc(sizeof(UgmBest) * (n + 1));
	if (best == NULL)
	{
		free(norm.data);
		return LlmSetError(err, LLM_ERR_NOMEM, "out of memory tokenizing %zu bytes", len);
	}
	for (size_t i = 0; i <= n; i++)
		best[i] = (UgmBest) {vocab->unk_id, 0, -DBL_MAX};
	best[0].score = 0;

	for (size_t pos = 0; pos < n;)
	{
		size_t		char_len = LlmUtf8SeqLen((uint8_t) norm.data[pos]);
		double		base = best[pos].score;
		bool		whole_char = false;
		uint32_t	node = 0;

		if (char_len > n - pos)
			char_len = n - pos;
		for (size_t p = pos; p < n && (node = LlmVocabTrieChild(trie, node, (uint8_t) norm.data[p])) != 0; p++)
		{
			int32_t		id = trie->value[node];
			double		score;

			if (id < 0)
				continue;
			if (p + 1 - pos == char_len)
				whole_char = true;
			/* user-defined tokens score 0, above every log probability */
			score = base + (vocab->attr[id] == LLM_TOKEN_USER_DEFINED ? 0.0 :
							(vocab->scores ? (double) vocab->scores[id] : 0.0));
			if (score > best[p + 1].score)
				best[p + 1] = (UgmBest) {id, pos, score};
		}
		if (!whole_char)
		{
			double		score = base + (double) vocab->unk_score;

			if (score > best[pos + char_len].score)
				best[pos + char_len] = (UgmBest) {vocab->unk_id, pos, score};
		}
		pos += char_len;
	}

	/* the best path backwards, one unknown token for a run of them */
	for (size_t at = n;;)
	{
		bool		unknown = best[at].id == vocab->unk_id;

		/* a vocabulary without an unknown token has nothing to say there */
		if (!(prev_unknown && unknown) && best[at].id >= 0 && status == LLM_OK)
			status = LlmTokenBufPush(out, best[at].id, err);
		if (best[at].start == 0)
			break;
		prev_unknown = unknown;
		at = best[at].start;
	}
	if (status == LLM_OK)
	{
		for (int i = first, j = out->count - 1; i < j; i++, j--)
		{
			int32_t		t = out->ids[i];

			out->ids[i] = out->ids[j];
			out->ids[j] = t;
		}
	}
	free(best);
	free(norm.data);
	return status;
}
