/* Spelling words with a model's labels: the grammar vocabulary
 * (ctc_fsa.c) and the lexicon of an n-gram language model's words. */
#include <stdlib.h>
#include <string.h>

#include "ctc_private.h"

int64_t
dlnn_ctc_spell (const char *word, const char *const *labels,
    int64_t n_labels, int blank, int32_t boundary, int32_t * out)
{
  const char *p = word;
  int64_t n = 0, k;
  while (*p) {
    int64_t best = -1;
    size_t best_len = 0;
    for (k = 0; k < n_labels; k++) {
      size_t len;
      if (k == blank || k == boundary || !labels[k])
        continue;
      len = strlen (labels[k]);
      if (len > best_len && strncmp (p, labels[k], len) == 0) {
        best = k;
        best_len = len;
      }
    }
    if (best < 0)
      return -1;
    out[n++] = (int32_t) best;
    p += best_len;
  }
  return n;
}

dlnn_ctc_vocab *
dlnn_ctc_lm_lexicon (const dlnn_ctc_lm * lm, const char *const *labels,
    int64_t n_labels, int blank, int32_t boundary, int64_t * n_words,
    dlnn_status * st)
{
  const int64_t n = dlnn_ctc_lm_count (lm, 1);
  dlnn_ctc_vocab *v;
  int32_t *tok = NULL;
  size_t cap = 0;
  int64_t added = 0;

  if (n_words)
    *n_words = 0;
  if (!lm || !labels || n_labels < 1) {
    dlnn_status_set (st, DLNN_ERR_INVALID, "ctc lm lexicon: no LM or labels");
    return NULL;
  }
  if (!(v = dlnn_ctc_vocab_new (boundary, st)))
    return NULL;
  for (int64_t id = 0; id < n; id++) {
    const char *w = dlnn_ctc_lm_word_text (lm, (int32_t) id);
    size_t len;
    int64_t k;

    if (!w || id == dlnn_ctc_lm_bos (lm) || id == dlnn_ctc_lm_eos (lm)
        || id == dlnn_ctc_lm_unk (lm))
      continue;
    len = strlen (w);
    if (len + 1 > cap) {
      int32_t *t = realloc (tok, (len + 1) * 2 * sizeof (*tok));
      if (!t) {
        dlnn_status_set (st, DLNN_ERR_NOMEM, "ctc lm lexicon: out of memory");
        goto fail;
      }
      tok = t;
      cap = (len + 1) * 2;
    }
    /* words the labels cannot spell (digits, "(2)" variants) are left out */
    k = dlnn_ctc_spell (w, labels, n_labels, blank, boundary, tok);
    if (k <= 0)
      continue;
    if (dlnn_ctc_vocab_add (v, tok, k, st) != DLNN_OK)
      goto fail;
    added++;
  }
  free (tok);
  if (added == 0) {
    dlnn_status_set (st, DLNN_ERR_INVALID, "ctc lm lexicon: none of the "
        "language model's %lld words can be spelled with the labels",
        (long long) n);
    dlnn_ctc_vocab_free (v);
    return NULL;
  }
  if (n_words)
    *n_words = added;
  return v;

fail:
  free (tok);
  dlnn_ctc_vocab_free (v);
  return NULL;
}
