/* Back-off n-gram language model internals (ctc_lm.c, ctc_lm_load.c). */
#ifndef DLNN_CTC_LM_PRIVATE_H
#define DLNN_CTC_LM_PRIVATE_H

#include <stdint.h>
#include <stddef.h>
#include "dlnn/ctc.h"

#define DLNN_CTC_LN10 2.302585092994045684

/* N-grams of one order n >= 2: records of @stride uint32 words, the ids of
 * words 2..n, the natural-log probability (float bits) and, below the
 * highest order, the natural-log back-off weight; sorted by their ids
 * within the range first[w1] .. first[w1 + 1] of their first word. */
typedef struct dlnn_ctc_lm_ngrams
{
  int64_t count;
  int stride;
  uint32_t *rec;
  uint32_t *first;              /* n_words + 1 entries */
} dlnn_ctc_lm_ngrams;

struct dlnn_ctc_lm
{
  int order;
  int64_t n_words;
  float *uni_prob, *uni_bo;     /* natural log, by word id */
  char *blob;                   /* the words, each NUL-terminated */
  size_t blob_len, blob_cap;
  uint32_t *word_off;           /* offset of each word in @blob */
  uint32_t *word_table;         /* open addressing, UINT32_MAX = empty */
  uint64_t word_mask;
  dlnn_ctc_lm_ngrams ng[DLNN_CTC_LM_MAX_ORDER];  /* index n - 1, n >= 2 */
  int32_t bos, eos, unk;
};

uint64_t dlnn_ctc_lm_hash (const char *s, size_t len);
/* Record index of the n-gram @ids[0..n) (n >= 2), or -1. */
int64_t dlnn_ctc_lm_find (const dlnn_ctc_lm * lm, int n,
    const int32_t * ids);

static inline float
dlnn_ctc_lm_rec_float (const uint32_t * rec, int i)
{
  union
  {
    uint32_t u;
    float f;
  } v;
  v.u = rec[i];
  return v.f;
}

static inline uint32_t
dlnn_ctc_lm_float_bits (float f)
{
  union
  {
    uint32_t u;
    float f;
  } v;
  v.f = f;
  return v.u;
}

#endif
