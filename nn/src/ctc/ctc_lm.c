/* Back-off n-gram language model: word lookup, n-gram lookup, queries.
 * The ARPA reader is in ctc_lm_load.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctc_lm_private.h"

uint64_t
dlnn_ctc_lm_hash (const char *s, size_t len)
{
  uint64_t h = UINT64_C (14695981039346656037);
  size_t i;
  for (i = 0; i < len; i++) {
    h ^= (unsigned char) s[i];
    h *= UINT64_C (1099511628211);
  }
  return h ^ (h >> 29);
}

void
dlnn_ctc_lm_free (dlnn_ctc_lm * lm)
{
  int n;
  if (!lm)
    return;
  free (lm->uni_prob);
  free (lm->uni_bo);
  free (lm->blob);
  free (lm->word_off);
  free (lm->word_table);
  for (n = 0; n < DLNN_CTC_LM_MAX_ORDER; n++) {
    free (lm->ng[n].rec);
    free (lm->ng[n].first);
  }
  free (lm);
}

int
dlnn_ctc_lm_order (const dlnn_ctc_lm * lm)
{
  return lm ? lm->order : 0;
}

int64_t
dlnn_ctc_lm_count (const dlnn_ctc_lm * lm, int n)
{
  if (!lm || n < 1 || n > lm->order)
    return 0;
  return n == 1 ? lm->n_words : lm->ng[n - 1].count;
}

size_t
dlnn_ctc_lm_memory (const dlnn_ctc_lm * lm)
{
  size_t m;
  int n;
  if (!lm)
    return 0;
  m = sizeof (*lm) + lm->blob_cap + (size_t) lm->n_words * (2 * sizeof
      (float) + sizeof (uint32_t)) + (size_t) (lm->word_mask + 1) *
      sizeof (uint32_t);
  for (n = 1; n < lm->order; n++)
    m += (size_t) lm->ng[n].count * (size_t) lm->ng[n].stride * 4 +
        (size_t) (lm->n_words + 1) * 4;
  return m;
}

int32_t
dlnn_ctc_lm_word (const dlnn_ctc_lm * lm, const char *word, size_t len)
{
  uint64_t i;
  if (!lm || !lm->word_table || (len > 0 && !word))
    return -1;
  i = dlnn_ctc_lm_hash (word, len) & lm->word_mask;
  for (;; i = (i + 1) & lm->word_mask) {
    uint32_t id = lm->word_table[i];
    const char *w;
    if (id == UINT32_MAX)
      return -1;
    w = lm->blob + lm->word_off[id];
    if (memcmp (w, word, len) == 0 && w[len] == '\0')
      return (int32_t) id;
  }
}

const char *
dlnn_ctc_lm_word_text (const dlnn_ctc_lm * lm, int32_t id)
{
  if (!lm || id < 0 || id >= lm->n_words)
    return NULL;
  return lm->blob + lm->word_off[id];
}

int32_t
dlnn_ctc_lm_bos (const dlnn_ctc_lm * lm)
{
  return lm ? lm->bos : -1;
}

int32_t
dlnn_ctc_lm_eos (const dlnn_ctc_lm * lm)
{
  return lm ? lm->eos : -1;
}

int32_t
dlnn_ctc_lm_unk (const dlnn_ctc_lm * lm)
{
  return lm ? lm->unk : -1;
}

int64_t
dlnn_ctc_lm_find (const dlnn_ctc_lm * lm, int n, const int32_t * ids)
{
  const dlnn_ctc_lm_ngrams *g = &lm->ng[n - 1];
  int64_t lo, hi;
  int k;
  if (n < 2 || n > lm->order || g->count == 0)
    return -1;
  lo = g->first[ids[0]];
  hi = g->first[ids[0] + 1];
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    const uint32_t *r = g->rec + mid * g->stride;
    int c = 0;
    for (k = 1; k < n && c == 0; k++)
      c = r[k - 1] < (uint32_t) ids[k] ? -1 : r[k - 1] > (uint32_t) ids[k];
    if (c == 0)
      return mid;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -1;
}

/* Back-off weight of the context @ids[0..m), 0 if not listed. */
static double
context_bo (const dlnn_ctc_lm * lm, int m, const int32_t * ids)
{
  int64_t r;
  if (m == 1)
    return lm->uni_bo[ids[0]];
  if (m >= lm->order)
    return 0.0;
  r = dlnn_ctc_lm_find (lm, m, ids);
  if (r < 0)
    return 0.0;
  return dlnn_ctc_lm_rec_float (lm->ng[m - 1].rec + r * lm->ng[m - 1].stride,
      m);
}

double
dlnn_ctc_lm_logp (const dlnn_ctc_lm * lm, const int32_t * hist, int n_hist,
    int32_t word)
{
  int32_t ids[DLNN_CTC_LM_MAX_ORDER];
  const int32_t *ctx;
  double bo = 0.0;
  int k = 0, m, i;
  if (!lm || word < 0 || word >= lm->n_words)
    return -INFINITY;
  /* Usable history: the last order-1 ids after the last negative one. */
  if (!hist || n_hist < 0)
    n_hist = 0;
  while (k < n_hist && k < lm->order - 1 && hist[n_hist - 1 - k] >= 0
      && hist[n_hist - 1 - k] < lm->n_words)
    k++;
  ctx = k > 0 ? hist + n_hist - k : NULL;
  for (m = k; m >= 1; m--) {
    int64_t r;
    for (i = 0; i < m; i++)
      ids[i] = ctx[k - m + i];
    ids[m] = word;
    r = dlnn_ctc_lm_find (lm, m + 1, ids);
    if (r >= 0)
      return bo + dlnn_ctc_lm_rec_float (lm->ng[m].rec + r * lm->ng[m].stride,
          m);
    bo += context_bo (lm, m, ids);
  }
  return bo + lm->uni_prob[word];
}
