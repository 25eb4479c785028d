/* Language-model scoring for the CTC prefix beam search (ctc_beam.c):
 * the text of the word a hypothesis completes, its LM score, the word
 * history kept in each node. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctc_beam_private.h"

/* Resolves the word boundary and sizes the word buffer. */
dlnn_code
dlnn_ctc_beam_lm_init (dlnn_ctc_beam * b, dlnn_status * st)
{
  const dlnn_ctc_beam_cfg *cfg = &b->cfg;
  size_t maxlen = 1;
  int64_t c;
  if (!cfg->labels)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "ctc beam: a language model needs the labels");
  if (!isfinite (cfg->lm_weight) || !isfinite (cfg->word_bonus)
      || !isfinite (cfg->lm_oov_logp))
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "ctc beam: lm_weight, word_bonus, lm_oov_logp must be finite");
  for (c = 0; c < cfg->n_classes; c++) {
    size_t len;
    if (c == cfg->blank)
      continue;
    if (!cfg->labels[c])
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "ctc beam: label %lld is NULL", (long long) c);
    len = strlen (cfg->labels[c]);
    if (len > maxlen)
      maxlen = len;
    if (cfg->word_boundary < 0 && b->boundary < 0
        && strcmp (cfg->labels[c], " ") == 0)
      b->boundary = (int32_t) c;
  }
  if (cfg->word_boundary >= 0)
    b->boundary = cfg->word_boundary;
  if (b->boundary < 0 || b->boundary >= cfg->n_classes
      || b->boundary == cfg->blank)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "ctc beam: no usable word "
        "boundary for the language model (word_boundary %d, no \" \" "
        "label or it is the blank)", (int) cfg->word_boundary);
  if (maxlen > 4096)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "ctc beam: label of %zu bytes", maxlen);
  b->word_cap = maxlen * (size_t) cfg->max_frames + 1;
  b->word = malloc (b->word_cap);
  if (!b->word)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "ctc beam: out of memory");
  return DLNN_OK;
}

/* The text of the word that ends at node @h (its tokens after the last
 * boundary) into b->word; returns its length (0: empty word). */
size_t
dlnn_ctc_beam_word (const dlnn_ctc_beam * b, int32_t h)
{
  const char *const *labels = b->cfg.labels;
  size_t total = 0, pos;
  int32_t k;
  for (k = h; k > 0 && b->nodes[k].token != b->boundary;
      k = b->nodes[k].parent)
    total += strlen (labels[b->nodes[k].token]);
  pos = total;
  for (k = h; k > 0 && b->nodes[k].token != b->boundary;
      k = b->nodes[k].parent) {
    size_t len = strlen (labels[b->nodes[k].token]);
    pos -= len;
    memcpy (b->word + pos, labels[b->nodes[k].token], len);
  }
  return total;
}

/* lm_weight * ln P (word | history of @h) + word_bonus for the word of
 * @len bytes in b->word; *wid gets its id (-1: OOV, no <unk>). */
double
dlnn_ctc_beam_word_score (const dlnn_ctc_beam * b, int32_t h, size_t len,
    int32_t * wid)
{
  const dlnn_ctc_lm *lm = b->cfg.lm;
  const beam_node *nd = &b->nodes[h];
  int32_t id = dlnn_ctc_lm_word (lm, b->word, len);
  double lp;
  if (id < 0)
    id = dlnn_ctc_lm_unk (lm);
  if (id >= 0)
    lp = dlnn_ctc_lm_logp (lm, nd->hist, nd->n_hist, id);
  else
    lp = b->cfg.lm_oov_logp;
  *wid = id;
  return b->cfg.lm_weight * lp + b->cfg.word_bonus;
}

/* History of @parent followed by @wid (see beam_cand) into @nd. */
void
dlnn_ctc_beam_hist (const dlnn_ctc_beam * b, const beam_node * parent, int32_t wid,
    beam_node * nd)
{
  const int keep = dlnn_ctc_lm_order (b->cfg.lm) - 1;
  int i, n;
  if (wid == -2) {
    memcpy (nd->hist, parent->hist, sizeof (nd->hist));
    nd->n_hist = parent->n_hist;
    return;
  }
  if (wid < 0 || keep < 1) {
    nd->n_hist = 0;
    return;
  }
  n = parent->n_hist < keep ? parent->n_hist : keep - 1;
  for (i = 0; i < n; i++)
    nd->hist[i] = parent->hist[parent->n_hist - n + i];
  nd->hist[n] = wid;
  nd->n_hist = n + 1;
}

/* LM score a final hypothesis ending at @h adds: its last word (when it
 * does not end with the boundary) and </s>. */
double
dlnn_ctc_beam_final_lm (dlnn_ctc_beam * b, int32_t h)
{
  const dlnn_ctc_lm *lm = b->cfg.lm;
  const beam_node *nd = &b->nodes[h];
  beam_node tmp;
  double s = 0.0;
  int32_t eos = dlnn_ctc_lm_eos (lm);
  if (h > 0 && nd->token != b->boundary) {
    size_t len = dlnn_ctc_beam_word (b, h);
    int32_t wid;
    s += dlnn_ctc_beam_word_score (b, h, len, &wid);
    dlnn_ctc_beam_hist (b, nd, wid, &tmp);
    nd = &tmp;
  }
  if (eos >= 0)
    s += b->cfg.lm_weight * dlnn_ctc_lm_logp (lm, nd->hist, nd->n_hist, eos);
  return s;
}
