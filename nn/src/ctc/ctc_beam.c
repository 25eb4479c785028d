/* CTC prefix beam search. Hypotheses are nodes of a prefix tree grown
 * while decoding (at most beam_size new nodes per frame, all allocated in
 * dlnn_ctc_beam_new), so a prefix is identified by its node and an
 * extension (prefix, token) that is already in the beam is found through
 * the parent's child list and merged. With a language model each node also
 * holds the LM score of the words its prefix completed and their history
 * (computed once, when the node is made), and hypotheses are ranked by
 * acoustic + LM score. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctc_beam_private.h"

void
dlnn_ctc_beam_cfg_init (dlnn_ctc_beam_cfg * cfg)
{
  memset (cfg, 0, sizeof (*cfg));
  cfg->blank = 0;
  cfg->beam_size = 8;
  cfg->prune_prob = 0.0f;
  cfg->blank_penalty = 0.0f;
  cfg->class_offset = NULL;
  cfg->input_is_logits = 1;
  cfg->max_frames = 3000;
  cfg->vocab = NULL;
  cfg->lm = NULL;
  cfg->lm_weight = DLNN_CTC_LM_DEFAULT_WEIGHT;
  cfg->word_bonus = DLNN_CTC_LM_DEFAULT_WORD_BONUS;
  cfg->lm_oov_logp = -23.02585f;
  cfg->labels = NULL;
  cfg->word_boundary = -1;
}

void
dlnn_ctc_beam_free (dlnn_ctc_beam * b)
{
  if (!b)
    return;
  free (b->nodes);
  free (b->beam);
  free (b->beam_pb);
  free (b->beam_pnb);
  free (b->cands);
  free (b->rank);
  free (b->lp);
  free (b->post);
  free (b->res_tokens);
  free (b->res_len);
  free (b->res_logp);
  free (b->res_share);
  free (b->res_am);
  free (b->res_lm);
  free (b->res_tmp);
  free (b->res_src);
  free (b->word);
  free (b);
}

dlnn_ctc_beam *
dlnn_ctc_beam_new (const dlnn_ctc_beam_cfg * cfg, dlnn_status * st)
{
  dlnn_ctc_beam *b;
  int64_t B, C, F;
  if (!cfg) {
    dlnn_status_set (st, DLNN_ERR_INVALID, "ctc beam: NULL config");
    return NULL;
  }
  B = cfg->beam_size;
  C = cfg->n_classes;
  F = cfg->max_frames;
  if (C < 2 || C > (1 << 20) || B < 1 || B > 4096 || F < 1
      || F > (INT64_C (1) << 24) || cfg->blank < 0 || cfg->blank >= C
      || !(cfg->prune_prob >= 0.0f && cfg->prune_prob < 1.0f)
      || !isfinite (cfg->blank_penalty)
      || F * B >= INT32_MAX || B * C >= INT32_MAX) {
    dlnn_status_set (st, DLNN_ERR_INVALID, "ctc beam: bad config "
        "(n_classes %lld, beam_size %lld, max_frames %lld, blank %d, "
        "prune_prob %g, blank_penalty %g)", (long long) C, (long long) B,
        (long long) F, cfg->blank, (double) cfg->prune_prob,
        (double) cfg->blank_penalty);
    return NULL;
  }
  for (int64_t c = 0; cfg->class_offset && c < C; c++)
    if (!isfinite (cfg->class_offset[c])) {
      dlnn_status_set (st, DLNN_ERR_INVALID, "ctc beam: class_offset[%lld] "
          "is not finite", (long long) c);
      return NULL;
    }
  b = calloc (1, sizeof (*b));
  if (!b)
    goto nomem;
  b->cfg = *cfg;
  b->cap_nodes = F * B + 1;
  b->cap_cands = B * C;
  b->nodes = malloc ((size_t) b->cap_nodes * sizeof (*b->nodes));
  b->beam = malloc ((size_t) B * sizeof (*b->beam));
  b->beam_pb = malloc ((size_t) B * sizeof (double));
  b->beam_pnb = malloc ((size_t) B * sizeof (double));
  b->cands = malloc ((size_t) b->cap_cands * sizeof (*b->cands));
  b->rank = malloc ((size_t) b->cap_cands * sizeof (*b->rank));
  b->lp = malloc ((size_t) C * sizeof (double));
  b->post = malloc ((size_t) C * sizeof (double));
  b->res_tokens = malloc ((size_t) (B * F) * sizeof (*b->res_tokens));
  b->res_len = malloc ((size_t) B * sizeof (*b->res_len));
  b->res_logp = malloc ((size_t) B * sizeof (float));
  b->res_share = malloc ((size_t) B * sizeof (float));
  b->res_am = malloc ((size_t) B * sizeof (float));
  b->res_lm = malloc ((size_t) B * sizeof (float));
  b->res_tmp = malloc ((size_t) B * 2 * sizeof (float));
  b->res_src = malloc ((size_t) B * sizeof (int32_t));
  if (!b->nodes || !b->beam || !b->beam_pb || !b->beam_pnb || !b->cands
      || !b->rank || !b->lp || !b->post || !b->res_tokens || !b->res_len
      || !b->res_logp || !b->res_share || !b->res_am || !b->res_lm
      || !b->res_tmp || !b->res_src)
    goto nomem;
  b->boundary = -1;
  if (cfg->lm && dlnn_ctc_beam_lm_init (b, st) != DLNN_OK) {
    dlnn_ctc_beam_free (b);
    return NULL;
  }
  dlnn_ctc_beam_reset (b);
  return b;

nomem:
  dlnn_ctc_beam_free (b);
  dlnn_status_set (st, DLNN_ERR_NOMEM, "ctc beam: out of memory");
  return NULL;
}

void
dlnn_ctc_beam_reset (dlnn_ctc_beam * b)
{
  beam_node *r;
  if (!b)
    return;
  r = &b->nodes[0];
  r->parent = -1;
  r->token = -1;
  r->first_child = -1;
  r->next_sibling = -1;
  r->vstate = 0;
  r->frame = -1;
  r->depth = 0;
  r->conf = 1.0f;
  r->stamp = -1;
  r->slot = -1;
  r->lm = 0.0;
  r->n_hist = 0;
  if (b->cfg.lm && dlnn_ctc_lm_bos (b->cfg.lm) >= 0) {
    r->hist[0] = dlnn_ctc_lm_bos (b->cfg.lm);
    r->n_hist = 1;
  }
  b->n_nodes = 1;
  b->beam[0] = 0;
  b->beam_pb[0] = 0.0;
  b->beam_pnb[0] = DLNN_CTC_NEG_INF;
  b->n_beam = 1;
  b->frames = 0;
  b->n_res = 0;
}

static int
rank_cmp (const void *pa, const void *pb)
{
  const beam_rank *a = pa, *b = pb;
  if (a->score > b->score)
    return -1;
  if (a->score < b->score)
    return 1;
  return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int32_t
find_child (const dlnn_ctc_beam * b, int32_t node, int32_t token)
{
  int32_t k;
  for (k = b->nodes[node].first_child; k >= 0; k = b->nodes[k].next_sibling)
    if (b->nodes[k].token == token)
      return k;
  return -1;
}

/* With a vocabulary, the beam keeps the best hypothesis that is complete
 * (could end the utterance) even when beam_size incomplete ones score
 * higher: otherwise partial words the audio does not finish (a trailing
 * "m" that could begin "meters") can push every complete hypothesis out
 * and the final n-best comes out empty. If none of the best beam_size of
 * the @nr ranked candidates is complete, the best complete one among the
 * others takes the last place. */
static void
keep_complete (dlnn_ctc_beam * b, int64_t nr)
{
  const dlnn_ctc_vocab *v = b->cfg.vocab;
  const int64_t B = b->cfg.beam_size;
  int64_t k;

  for (k = 0; k < B; k++) {
    const beam_cand *cd = &b->cands[b->rank[k].idx];
    if (dlnn_ctc_vocab_complete (v, cd->vstate, cd->token))
      return;
  }
  for (; k < nr; k++) {
    const beam_cand *cd = &b->cands[b->rank[k].idx];
    if (dlnn_ctc_vocab_complete (v, cd->vstate, cd->token)) {
      b->rank[B - 1] = b->rank[k];
      return;
    }
  }
}

/* One frame of log-probs in b->lp. */
static void
beam_step (dlnn_ctc_beam * b, int32_t t)
{
  const int blank = b->cfg.blank;
  const int64_t C = b->cfg.n_classes;
  const dlnn_ctc_vocab *v = b->cfg.vocab;
  const double prune = b->cfg.prune_prob > 0.0f ?
      log ((double) b->cfg.prune_prob) : DLNN_CTC_NEG_INF;
  const int64_t stamp = (int64_t) t;
  int64_t nc = 0, nr = 0, i, k;
  int i_b;
  int32_t c;

  /* Prefixes that stay: end in blank, or repeat their last token. */
  for (i_b = 0; i_b < b->n_beam; i_b++) {
    int32_t h = b->beam[i_b];
    beam_node *nd = &b->nodes[h];
    beam_cand *cd = &b->cands[nc];
    double tot = dlnn_ctc_logaddexp (b->beam_pb[i_b], b->beam_pnb[i_b]);
    cd->node = h;
    cd->parent = nd->parent;
    cd->token = nd->token;
    cd->vstate = nd->vstate;
    cd->conf = nd->conf;
    cd->pb = tot + b->lp[blank];
    cd->pnb = nd->token >= 0 ? b->beam_pnb[i_b] + b->lp[nd->token]
        : DLNN_CTC_NEG_INF;
    cd->pstay = tot;
    cd->pext = DLNN_CTC_NEG_INF;
    cd->lm = nd->lm;
    cd->wid = -2;
    nd->stamp = stamp;
    nd->slot = (int32_t) nc;
    nc++;
  }
  /* Extensions by one label. */
  for (i_b = 0; i_b < b->n_beam; i_b++) {
    int32_t h = b->beam[i_b];
    int32_t last = b->nodes[h].token;
    double pb = b->beam_pb[i_b], pnb = b->beam_pnb[i_b];
    double tot = dlnn_ctc_logaddexp (pb, pnb);
    for (c = 0; c < (int32_t) C; c++) {
      int32_t vs = 0, child;
      double sc;
      if (c == blank || b->lp[c] == DLNN_CTC_NEG_INF)
        continue;
      if (b->lp[c] < prune)
        continue;
      if (v) {
        vs = dlnn_ctc_vocab_next (v, b->nodes[h].vstate, c);
        if (vs < 0)
          continue;
      }
      sc = (c == last ? pb : tot) + b->lp[c];
      if (sc == DLNN_CTC_NEG_INF)
        continue;
      child = find_child (b, h, c);
      if (child >= 0 && b->nodes[child].stamp == stamp) {
        beam_cand *cd = &b->cands[b->nodes[child].slot];
        cd->pnb = dlnn_ctc_logaddexp (cd->pnb, sc);
        cd->pext = dlnn_ctc_logaddexp (cd->pext, sc);
        continue;
      }
      b->cands[nc].node = child;
      b->cands[nc].parent = h;
      b->cands[nc].token = c;
      b->cands[nc].vstate = vs;
      b->cands[nc].conf = (float) exp (b->post[c]);
      b->cands[nc].pb = DLNN_CTC_NEG_INF;
      b->cands[nc].pnb = sc;
      b->cands[nc].pstay = DLNN_CTC_NEG_INF;
      b->cands[nc].pext = sc;
      b->cands[nc].wid = -2;
      if (child >= 0)
        b->cands[nc].lm = b->nodes[child].lm;
      else if (c == b->boundary && h > 0 && last != b->boundary) {
        size_t len = dlnn_ctc_beam_word (b, h);
        b->cands[nc].lm = b->nodes[h].lm + dlnn_ctc_beam_word_score (b, h, len,
            &b->cands[nc].wid);
      } else
        b->cands[nc].lm = b->nodes[h].lm;
      nc++;
    }
  }
  for (i = 0; i < nc; i++) {
    double s = dlnn_ctc_logaddexp (b->cands[i].pb, b->cands[i].pnb);
    if (s == DLNN_CTC_NEG_INF)
      continue;
    b->rank[nr].score = s + b->cands[i].lm;
    b->rank[nr].idx = (int32_t) i;
    nr++;
  }
  qsort (b->rank, (size_t) nr, sizeof (*b->rank), rank_cmp);
  if (nr > b->cfg.beam_size) {
    if (v)
      keep_complete (b, nr);
    nr = b->cfg.beam_size;
  }
  for (k = 0; k < nr; k++) {
    int32_t ci = b->rank[k].idx;
    beam_cand *cd = &b->cands[ci];
    int32_t node = cd->node;
    if (ci >= b->n_beam && node < 0) {
      /* A new prefix, emitted at this frame. */
      {
        beam_node *p = &b->nodes[cd->parent];
        beam_node *nd;
        node = (int32_t) b->n_nodes++;  /* capacity: see push */
        nd = &b->nodes[node];
        nd->parent = cd->parent;
        nd->token = cd->token;
        nd->first_child = -1;
        nd->next_sibling = p->first_child;
        p->first_child = node;
        nd->vstate = cd->vstate;
        nd->depth = p->depth + 1;
        nd->stamp = -1;
        nd->slot = -1;
        nd->lm = cd->lm;
        if (b->cfg.lm)
          dlnn_ctc_beam_hist (b, p, cd->wid, nd);
        else
          nd->n_hist = 0;
      }
    }
    if (cd->pext > cd->pstay) {
      b->nodes[node].frame = t;
      b->nodes[node].conf = ci >= b->n_beam ? cd->conf
          : (float) exp (b->post[cd->token]);
    }
    b->beam[k] = node;
    b->beam_pb[k] = cd->pb;
    b->beam_pnb[k] = cd->pnb;
  }
  b->n_beam = (int) nr;
}

dlnn_code
dlnn_ctc_beam_push (dlnn_ctc_beam * b, const float *input, int64_t T,
    dlnn_status * st)
{
  const int64_t C = b ? b->cfg.n_classes : 0;
  int64_t t, c;
  if (!b || (T > 0 && !input) || T < 0)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "ctc beam: bad argument");
  if (T > b->cfg.max_frames - b->frames)
    return dlnn_status_set (st, DLNN_ERR_NOMEM,
        "ctc beam: more than max_frames=%lld frames since reset",
        (long long) b->cfg.max_frames);
  b->n_res = 0;
  for (t = 0; t < T; t++) {
    const float *x = input + t * C;
    double lse = 0.0;
    for (c = 0; c < C; c++)
      if (isnan (x[c]))
        return dlnn_status_set (st, DLNN_ERR_NUMERIC,
            "ctc beam: NaN at frame %lld", (long long) (b->frames));
    if (b->cfg.input_is_logits)
      lse = dlnn_ctc_logsumexp_f (x, C);
    for (c = 0; c < C; c++)
      b->lp[c] = b->post[c] = (double) x[c] - lse;
    if (b->cfg.class_offset)
      for (c = 0; c < C; c++)
        b->lp[c] += (double) b->cfg.class_offset[c];
    b->lp[b->cfg.blank] -= (double) b->cfg.blank_penalty;
    if (b->n_beam == 0) {
      b->frames++;
      continue;
    }
    beam_step (b, (int32_t) b->frames);
    b->frames++;
  }
  return DLNN_OK;
}

int
dlnn_ctc_beam_nbest (dlnn_ctc_beam * b, int final)
{
  const dlnn_ctc_vocab *v;
  double lse = DLNN_CTC_NEG_INF;
  int i, j, n = 0;
  if (!b)
    return 0;
  v = b->cfg.vocab;
  /* Scores first (b->rank is free between pushes), then best first. */
  for (i = 0; i < b->n_beam; i++) {
    int32_t h = b->beam[i];
    const beam_node *nd = &b->nodes[h];
    double am, lms;
    if (final && v && !dlnn_ctc_vocab_complete (v, nd->vstate, nd->token))
      continue;
    am = dlnn_ctc_logaddexp (b->beam_pb[i], b->beam_pnb[i]);
    lms = nd->lm;
    if (final && b->cfg.lm)
      lms += dlnn_ctc_beam_final_lm (b, h);
    b->res_tmp[2 * n] = (float) am;
    b->res_tmp[2 * n + 1] = (float) lms;
    b->res_src[n] = i;
    b->rank[n].score = am + lms;
    b->rank[n].idx = n;
    n++;
  }
  qsort (b->rank, (size_t) n, sizeof (*b->rank), rank_cmp);
  for (j = 0; j < n; j++) {
    int32_t pos = b->rank[j].idx, h = b->beam[b->res_src[pos]], k;
    dlnn_ctc_token *out = b->res_tokens + (int64_t) j * b->cfg.max_frames;
    int64_t d = b->nodes[h].depth;
    b->res_len[j] = d;
    for (k = h; k > 0; k = b->nodes[k].parent) {
      d--;
      out[d].id = b->nodes[k].token;
      out[d].start = out[d].end = b->nodes[k].frame;
      out[d].confidence = b->nodes[k].conf;
    }
    b->res_am[j] = b->res_tmp[2 * pos];
    b->res_lm[j] = b->res_tmp[2 * pos + 1];
    b->res_logp[j] = (float) b->rank[j].score;
    lse = dlnn_ctc_logaddexp (lse, b->rank[j].score);
  }
  for (i = 0; i < n; i++)
    b->res_share[i] = (float) exp (b->res_logp[i] - lse);
  b->n_res = n;
  return n;
}

dlnn_code
dlnn_ctc_beam_result (const dlnn_ctc_beam * b, int i,
    const dlnn_ctc_token ** tokens, int64_t *n_tokens, float *logp,
    float *share, dlnn_status * st)
{
  if (!b || i < 0 || i >= b->n_res)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "ctc beam: no result %d (have %d)", i, b ? b->n_res : 0);
  if (tokens)
    *tokens = b->res_tokens + (int64_t) i * b->cfg.max_frames;
  if (n_tokens)
    *n_tokens = b->res_len[i];
  if (logp)
    *logp = b->res_logp[i];
  if (share)
    *share = b->res_share[i];
  return DLNN_OK;
}

dlnn_code
dlnn_ctc_beam_result_scores (const dlnn_ctc_beam * b, int i, float *am_logp,
    float *lm_score, dlnn_status * st)
{
  if (!b || i < 0 || i >= b->n_res)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "ctc beam: no result %d (have %d)", i, b ? b->n_res : 0);
  if (am_logp)
    *am_logp = b->res_am[i];
  if (lm_score)
    *lm_score = b->res_lm[i];
  return DLNN_OK;
}
