/* CTC beam search with a blank penalty and class offsets
 * (dlnn_ctc_beam_cfg.blank_penalty, class_offset) against a brute-force
 * reference: every path of T frames is enumerated with its log-probability
 * from a log-softmax computed here, plus the offset of each frame's class
 * and minus the penalty for each blank frame; the probability of a
 * labelling is the sum over its paths. An exhaustive beam (with and
 * without a vocabulary) must return exactly those scores, ranked, and the
 * best allowed labelling. Also dlnn_ctc_parse_prior (dl.ctc_prior). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlnn/ctc.h"
#include "dlnn-test.h"
#include "ctc-brute.h"

#define C 4

static uint64_t rng_state = 7;

static double
urand (void)
{
  return ctc_urand (&rng_state);
}

/* Probability of every labelling (blank 0) of the logits @x [T, C] with
 * @offset[c] (if not NULL) added to class c's log-probability and
 * @penalty subtracted from each blank frame's. */
static void
brute_penalty (const float *x, int T, double penalty, const float *offset,
    double *prob)
{
  double xd[MAX_T * C], lp[MAX_T * C];
  int i;

  for (i = 0; i < T * C; i++)
    xd[i] = x[i];
  log_softmax_d (xd, T, C, lp);
  for (i = 0; i < T * C; i++)
    lp[i] += (i % C == 0 ? -penalty : 0.0) + (offset ? offset[i % C] : 0.0);
  brute_force (lp, T, C, 0, prob);
}

static int
best_key (const double *prob, int vocab)
{
  int32_t l[MAX_T];
  int k, best = -1;
  double bestp = 0;
  for (k = 0; k < MAX_KEYS; k++)
    if (prob[k] > bestp && (!vocab || allow_words (l, key_label (k, C, l)))) {
      bestp = prob[k];
      best = k;
    }
  return best;
}

/* Checks the final n-best of @b against @prob; returns the top key. */
static int
check_nbest (dlnn_ctc_beam * b, const double *prob, int vocab)
{
  int n = dlnn_ctc_beam_nbest (b, 1), i, top = -1;
  double prev = INFINITY;
  CHECK (n > 0);
  for (i = 0; i < n; i++) {
    const dlnn_ctc_token *tok;
    int64_t nt = 0, j;
    float lp = 0, share = 0;
    int32_t seq[MAX_T];
    dlnn_status st;
    CHECK_OK (dlnn_ctc_beam_result (b, i, &tok, &nt, &lp, &share, &st), &st);
    CHECK (nt <= MAX_T);
    if (nt > MAX_T)
      return -1;
    for (j = 0; j < nt; j++)
      seq[j] = tok[j].id;
    if (vocab)
      CHECK_MSG (allow_words (seq, (int) nt), "hypothesis %d not allowed", i);
    CHECK_CLOSE (lp, log (prob[label_key (seq, (int) nt, C)]), 1e-4);
    CHECK (lp <= prev + 1e-6);
    prev = lp;
    if (i == 0)
      top = label_key (seq, (int) nt, C);
  }
  CHECK_MSG (top == best_key (prob, vocab), "top hypothesis %d is not the "
      "most probable labelling %d", top, best_key (prob, vocab));
  return top;
}

/* Token confidences stay the model's posteriors (softmax of @x at the
 * token's frame), whatever the offsets and penalty. */
static void
check_conf (dlnn_ctc_beam * b, const float *x, int T)
{
  int n = dlnn_ctc_beam_nbest (b, 1), i;
  for (i = 0; i < n; i++) {
    const dlnn_ctc_token *tok;
    int64_t nt = 0, j;
    dlnn_status st;
    CHECK_OK (dlnn_ctc_beam_result (b, i, &tok, &nt, NULL, NULL, &st), &st);
    for (j = 0; j < nt; j++) {
      const int t = tok[j].start;
      double s = 0;
      int c;
      CHECK (t >= 0 && t < T);
      if (t < 0 || t >= T)
        continue;
      for (c = 0; c < C; c++)
        s += exp (x[t * C + c]);
      CHECK_CLOSE (tok[j].confidence, exp (x[t * C + tok[j].id]) / s, 1e-5);
    }
  }
}

static dlnn_ctc_beam *
make_beam (float penalty, const float *offset, const dlnn_ctc_vocab * v)
{
  dlnn_ctc_beam_cfg cfg;
  dlnn_status st;
  dlnn_ctc_beam *b;
  dlnn_ctc_beam_cfg_init (&cfg);
  CHECK (cfg.blank_penalty == 0.0f && cfg.class_offset == NULL);
  cfg.n_classes = C;
  cfg.beam_size = 2048;         /* exhaustive for these sizes */
  cfg.max_frames = 64;
  cfg.blank_penalty = penalty;
  cfg.class_offset = offset;
  cfg.vocab = v;
  b = dlnn_ctc_beam_new (&cfg, &st);
  CHECK_MSG (b != NULL, "%s", st.message);
  return b;
}

/* Scores and ranking are those of the penalised distribution, with and
 * without a vocabulary; and over the trials the penalty changes some
 * decisions (else it would not reach the search). */
static void
test_penalty_brute_force (void)
{
  static const float penalties[] = { 0.0f, 0.7f, 2.0f, -0.5f };
  /* prior division with priors (0.7, 0.1, 0.15, 0.05), weight 1 */
  static const float prior_div[C] = { 0.356675f, 2.302585f, 1.897120f,
    2.995732f
  };
  static double prob[MAX_KEYS];
  dlnn_ctc_vocab *v;
  dlnn_status st;
  int i, p, trial, changed = 0;

  v = dlnn_ctc_vocab_new (3, &st);
  CHECK (v != NULL);
  if (!v)
    return;
  for (i = 0; i < 3; i++)
    CHECK_OK (dlnn_ctc_vocab_add (v, words[i], word_len[i], &st), &st);
  for (trial = 0; trial < 8; trial++) {
    const int T = 3 + trial % 4;
    float x[MAX_T * C];
    int top0[2] = { -1, -1 };
    for (i = 0; i < T * C; i++)
      x[i] = (float) ((urand () * 2.0 - 1.0) * 2.0);
    /* blank likelier, as in real CTC outputs */
    for (i = 0; i < T; i++)
      x[i * C] += 1.5f;
    for (p = 0; p < 6; p++) {
      /* 4, 5: the offsets, alone and with a penalty */
      const float *off = p >= 4 ? prior_div : NULL;
      const float pen = p == 5 ? 0.5f : p == 4 ? 0.0f : penalties[p];
      int k;
      brute_penalty (x, T, pen, off, prob);
      for (k = 0; k < 2; k++) {
        dlnn_ctc_beam *b = make_beam (pen, off, k ? v : NULL);
        int top;
        if (!b)
          continue;
        CHECK_OK (dlnn_ctc_beam_push (b, x, T, &st), &st);
        top = check_nbest (b, prob, k);
        check_conf (b, x, T);
        if (p == 0)
          top0[k] = top;
        else if (top != top0[k])
          changed++;
        dlnn_ctc_beam_free (b);
      }
    }
  }
  CHECK_MSG (changed > 0, "the blank penalty never changed the decision");
  dlnn_ctc_vocab_free (v);
}

/* A hand case: p(blank) = 0.7, p(1) = 0.3 over 2 frames, vocabulary-free.
 * P("") = 0.49, P("1") = 0.3 * 0.7 * 2 + 0.09 = 0.51 without penalty;
 * with penalty ln 2 per blank frame P("") = 0.1225 and
 * P("1") = 0.105 * 2 + 0.09 = 0.30. */
static void
test_penalty_hand (void)
{
  const float x[4] = { logf (0.7f), logf (0.3f), logf (0.7f), logf (0.3f) };
  dlnn_ctc_beam_cfg cfg;
  dlnn_ctc_beam *b;
  dlnn_status st;
  int n;

  dlnn_ctc_beam_cfg_init (&cfg);
  cfg.n_classes = 2;
  cfg.beam_size = 4;
  cfg.input_is_logits = 0;
  cfg.blank_penalty = (float) log (2.0);
  b = dlnn_ctc_beam_new (&cfg, &st);
  CHECK_MSG (b != NULL, "%s", st.message);
  if (!b)
    return;
  CHECK_OK (dlnn_ctc_beam_push (b, x, 2, &st), &st);
  n = dlnn_ctc_beam_nbest (b, 1);
  CHECK (n == 2);
  if (n == 2) {
    const dlnn_ctc_token *tok;
    int64_t nt = -1;
    float lp = 0, share = 0;
    CHECK_OK (dlnn_ctc_beam_result (b, 0, &tok, &nt, &lp, &share, &st), &st);
    CHECK (nt == 1 && tok[0].id == 1);
    CHECK_CLOSE (lp, log (0.30), 1e-5);
    CHECK_CLOSE (share, 0.30 / (0.30 + 0.1225), 1e-5);
    CHECK_OK (dlnn_ctc_beam_result (b, 1, &tok, &nt, &lp, &share, &st), &st);
    CHECK (nt == 0);
    CHECK_CLOSE (lp, log (0.1225), 1e-5);
  }
  dlnn_ctc_beam_free (b);
}

static void
test_penalty_config (void)
{
  dlnn_ctc_beam_cfg cfg;
  dlnn_status st;
  dlnn_ctc_beam *b;
  dlnn_ctc_beam_cfg_init (&cfg);
  cfg.n_classes = C;
  cfg.blank_penalty = NAN;
  CHECK (dlnn_ctc_beam_new (&cfg, &st) == NULL);
  CHECK (st.code == DLNN_ERR_INVALID);
  cfg.blank_penalty = INFINITY;
  CHECK (dlnn_ctc_beam_new (&cfg, &st) == NULL);
  cfg.blank_penalty = 3.0f;
  b = dlnn_ctc_beam_new (&cfg, &st);
  CHECK (b != NULL);
  dlnn_ctc_beam_free (b);
  {
    const float bad[C] = { 0.0f, NAN, 0.0f, 0.0f };
    cfg.class_offset = bad;
    CHECK (dlnn_ctc_beam_new (&cfg, &st) == NULL);
    CHECK (st.code == DLNN_ERR_INVALID);
  }
  CHECK (DLNN_CTC_CONSTRAINED_BLANK_PENALTY > 0.0f);
  CHECK (DLNN_CTC_CONSTRAINED_PRIOR_WEIGHT > 0.0f);
}

static void
test_parse_prior (void)
{
  static const char *const bad[] = {
    "", "[", "[1, 2, 3]", "[1, 2, 3, 4, 5]", "[1, 2, 3, 4] x", "1, 2, 3, 4",
    "[1, 2, , 4]", "[1, 2, 3, nan]", "[1, 2, 3, inf]", "[1, 2, 3, 1e999]",
    "[1 2 3 4]", "[1, 2, 3, \"4\"]", "[]",
  };
  float v[C + 1];
  dlnn_status st;
  size_t i;

  v[C] = 99.0f;
  CHECK_OK (dlnn_ctc_parse_prior (" [ -0.5, -2.25e0,-3 ,\n-4.5 ] ", C, v,
          &st), &st);
  CHECK (v[0] == -0.5f && v[1] == -2.25f && v[2] == -3.0f && v[3] == -4.5f);
  CHECK (v[C] == 99.0f);
  for (i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
    dlnn_status_clear (&st);
    CHECK_MSG (dlnn_ctc_parse_prior (bad[i], C, v, &st) == DLNN_ERR_FORMAT,
        "'%s' accepted", bad[i]);
    CHECK_MSG (strstr (st.message, "dl.ctc_prior") != NULL, "'%s': %s",
        bad[i], st.message);
  }
  CHECK (v[C] == 99.0f);
  CHECK (dlnn_ctc_parse_prior (NULL, C, v, &st) == DLNN_ERR_INVALID);
}

int
main (void)
{
  DLNN_RUN (test_penalty_brute_force);
  DLNN_RUN (test_penalty_hand);
  DLNN_RUN (test_penalty_config);
  DLNN_RUN (test_parse_prior);
  return dlnn_test_summary ();
}
