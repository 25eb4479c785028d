/* CTC loss, gradient and decoders (nn/src/ctc) against independent
 * references: brute-force sums over every alignment, finite differences of
 * that brute force, PyTorch's ctc_loss (tests/nn/ctc_reference.py, run with
 * --torch) and hand-made decoding cases. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <sys/wait.h>

#include "dlnn/ctc.h"
#include "dlnn-test.h"
#include "ctc-brute.h"

static uint64_t rng_state = 42;

static double
urand (void)
{
  return ctc_urand (&rng_state);
}

static void
random_logits (float *x, int n, double scale)
{
  int i;
  for (i = 0; i < n; i++)
    x[i] = (float) ((urand () * 2.0 - 1.0) * scale);
}

static double
brute_loss (const double *x, int T, int C, int blank, const int32_t * l,
    int S)
{
  static double prob[MAX_KEYS];
  double lp[MAX_T * 8];
  log_softmax_d (x, T, C, lp);
  brute_force (lp, T, C, blank, prob);
  return -log (prob[label_key (l, S, C)]);
}

static void *
workspace (int64_t T, int64_t C, int64_t S, size_t *size)
{
  *size = dlnn_ctc_workspace_size (T, C, S);
  return malloc (*size);
}

/* ---- loss ---------------------------------------------------------- */

static void
test_loss_brute_force (void)
{
  static const struct
  {
    int T, C, blank, S;
    int32_t l[4];
  } cases[] = {
    {4, 3, 0, 0, {0}}, {4, 3, 0, 1, {1}}, {5, 3, 0, 2, {1, 1}},
    {6, 4, 0, 3, {1, 2, 1}}, {6, 4, 0, 3, {3, 3, 3}}, {3, 2, 1, 2, {0, 0}},
    {6, 4, 2, 4, {0, 1, 3, 0}}, {1, 2, 0, 1, {1}}, {6, 3, 0, 4, {1, 2, 2, 1}},
  };
  size_t i;
  for (i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
    const int T = cases[i].T, C = cases[i].C, S = cases[i].S;
    float x[MAX_T * 4];
    double xd[MAX_T * 4], ref;
    int64_t il = T, tl = S;
    float loss, seq;
    int inf = -1, red;
    size_t ws;
    void *w = workspace (T, C, S, &ws);
    dlnn_ctc_loss_cfg cfg;
    dlnn_status st;
    int k;

    random_logits (x, T * C, 2.0);
    for (k = 0; k < T * C; k++)
      xd[k] = x[k];
    ref = brute_loss (xd, T, C, cases[i].blank, cases[i].l, S);
    for (red = 0; red < 2; red++) {
      dlnn_ctc_loss_cfg_init (&cfg);
      cfg.blank = cases[i].blank;
      cfg.reduction = red ? DLNN_CTC_REDUCTION_SUM : DLNN_CTC_REDUCTION_MEAN;
      CHECK_OK (dlnn_ctc_loss (&cfg, x, T, 1, C, cases[i].l, &il, &tl,
              &loss, &seq, NULL, &inf, w, ws, &st), &st);
      CHECK_CLOSE (seq, ref, 1e-5 * (1 + fabs (ref)));
      CHECK_CLOSE (loss, red ? ref : ref / (S > 0 ? S : 1),
          1e-5 * (1 + fabs (ref)));
      CHECK (inf == 0);
    }
    /* Same values from log-probabilities. */
    {
      double lp[MAX_T * 4];
      float lpf[MAX_T * 4];
      log_softmax_d (xd, T, C, lp);
      for (k = 0; k < T * C; k++)
        lpf[k] = (float) lp[k];
      cfg.input_is_logits = 0;
      CHECK_OK (dlnn_ctc_loss (&cfg, lpf, T, 1, C, cases[i].l, &il, &tl,
              &loss, &seq, NULL, NULL, w, ws, &st), &st);
      CHECK_CLOSE (seq, ref, 1e-5 * (1 + fabs (ref)));
    }
    free (w);
  }
}

/* Batch of 3 with different lengths, both layouts, against per-sequence
 * brute force; gradient against central differences of the brute force. */
static void
test_loss_batch_grad (void)
{
  enum
  { T = 5, N = 3, C = 4 };
  const int32_t tg[] = { 1, 2, 2, 3, 1, 3 };
  const int64_t il[N] = { 5, 4, 3 }, tl[N] = { 2, 1, 3 };
  float x[T * N * C], xb[N * T * C], g[T * N * C], gb[N * T * C];
  float loss, loss_b, seq[N];
  double ref_total = 0, refs[N];
  size_t ws;
  void *w = workspace (T, C, 3, &ws);
  dlnn_ctc_loss_cfg cfg;
  dlnn_status st;
  int n, t, c, off = 0;

  random_logits (x, T * N * C, 1.5);
  for (n = 0; n < N; n++)
    for (t = 0; t < T; t++)
      for (c = 0; c < C; c++)
        xb[(n * T + t) * C + c] = x[(t * N + n) * C + c];
  dlnn_ctc_loss_cfg_init (&cfg);
  CHECK_OK (dlnn_ctc_loss (&cfg, x, T, N, C, tg, il, tl, &loss, seq, g,
          NULL, w, ws, &st), &st);
  cfg.batch_first = 1;
  CHECK_OK (dlnn_ctc_loss (&cfg, xb, T, N, C, tg, il, tl, &loss_b, NULL, gb,
          NULL, w, ws, &st), &st);
  CHECK_CLOSE (loss, loss_b, 1e-7);

  for (n = 0; n < N; n++) {
    const int Tn = (int) il[n];
    double xd[T * C];
    for (t = 0; t < Tn; t++)
      for (c = 0; c < C; c++)
        xd[t * C + c] = x[(t * N + n) * C + c];
    refs[n] = brute_loss (xd, Tn, C, 0, tg + off, (int) tl[n]);
    CHECK_CLOSE (seq[n], refs[n], 1e-5);
    ref_total += refs[n] / tl[n] / N;
    /* d(mean loss)/dx by central differences of the brute force. */
    for (t = 0; t < T; t++)
      for (c = 0; c < C; c++) {
        double num = 0;
        float gv = g[(t * N + n) * C + c];
        if (t < Tn) {
          const double h = 1e-5;
          double keep = xd[t * C + c], lp1, lm1;
          xd[t * C + c] = keep + h;
          lp1 = brute_loss (xd, Tn, C, 0, tg + off, (int) tl[n]);
          xd[t * C + c] = keep - h;
          lm1 = brute_loss (xd, Tn, C, 0, tg + off, (int) tl[n]);
          xd[t * C + c] = keep;
          num = (lp1 - lm1) / (2 * h) / tl[n] / N;
        }
        CHECK_CLOSE (gv, num, 1e-5);
        CHECK_CLOSE (gb[(n * T + t) * C + c], gv, 1e-7);
      }
    off += (int) tl[n];
  }
  CHECK_CLOSE (loss, ref_total, 1e-5);
  free (w);
}

static void
test_loss_infeasible_and_errors (void)
{
  enum
  { T = 2, C = 3 };
  float x[T * C], g[T * C], loss = -1, seq = -1;
  const int32_t rep[] = { 1, 1 }, bad[] = { 0 }, big[] = { 3 };
  int64_t il = T, tl = 2, tl1 = 1;
  int inf = 0, i;
  size_t ws;
  void *w = workspace (T, C, 2, &ws);
  dlnn_ctc_loss_cfg cfg;
  dlnn_status st;

  random_logits (x, T * C, 1.0);
  dlnn_ctc_loss_cfg_init (&cfg);
  /* "1 1" needs 3 frames (a blank between the repeats). */
  CHECK_OK (dlnn_ctc_loss (&cfg, x, T, 1, C, rep, &il, &tl, &loss, &seq, g,
          &inf, w, ws, &st), &st);
  CHECK (inf == 1);
  CHECK (loss == 0.0f && seq == 0.0f);
  for (i = 0; i < T * C; i++)
    CHECK (g[i] == 0.0f);
  cfg.zero_infinity = 0;
  CHECK (dlnn_ctc_loss (&cfg, x, T, 1, C, rep, &il, &tl, &loss, NULL, g,
          NULL, w, ws, &st) == DLNN_ERR_NUMERIC);
  CHECK (strstr (st.message, "infeasible") != NULL);
  /* Blank or out-of-range targets, short workspace, bad lengths. */
  CHECK (dlnn_ctc_loss (&cfg, x, T, 1, C, bad, &il, &tl1, &loss, NULL, NULL,
          NULL, w, ws, &st) == DLNN_ERR_INVALID);
  CHECK (dlnn_ctc_loss (&cfg, x, T, 1, C, big, &il, &tl1, &loss, NULL, NULL,
          NULL, w, ws, &st) == DLNN_ERR_INVALID);
  CHECK (dlnn_ctc_loss (&cfg, x, T, 1, C, rep, &il, &tl, &loss, NULL, NULL,
          NULL, w, ws - 8, &st) == DLNN_ERR_INVALID);
  il = T + 1;
  CHECK (dlnn_ctc_loss (&cfg, x, T, 1, C, rep, &il, &tl1, &loss, NULL, NULL,
          NULL, w, ws, &st) == DLNN_ERR_INVALID);
  il = T;
  x[1] = NAN;
  CHECK (dlnn_ctc_loss (&cfg, x, T, 1, C, rep, &il, &tl1, &loss, NULL, NULL,
          NULL, w, ws, &st) == DLNN_ERR_NUMERIC);
  CHECK (dlnn_ctc_workspace_size (-1, 3, 2) == SIZE_MAX);
  /* Zero frames: feasible only for the empty target (loss 0). */
  x[1] = 0.0f;
  il = 0;
  cfg.zero_infinity = 1;
  CHECK_OK (dlnn_ctc_loss (&cfg, x, T, 1, C, rep, &il, &tl, &loss, &seq, g,
          &inf, w, ws, &st), &st);
  CHECK (inf == 1 && loss == 0.0f);
  tl = 0;
  CHECK_OK (dlnn_ctc_loss (&cfg, x, T, 1, C, rep, &il, &tl, &loss, &seq, g,
          &inf, w, ws, &st), &st);
  CHECK (inf == 0 && loss == 0.0f && seq == 0.0f);
  free (w);
}

static void
test_parse_meta (void)
{
  int blank = -1;
  dlnn_status st;
  CHECK_OK (dlnn_ctc_parse_meta ("blank=3", &blank, &st), &st);
  CHECK (blank == 3);
  CHECK_OK (dlnn_ctc_parse_meta (NULL, &blank, &st), &st);
  CHECK (blank == 0);
  CHECK_OK (dlnn_ctc_parse_meta ("blank=28;", &blank, &st), &st);
  CHECK (blank == 28);
  CHECK (dlnn_ctc_parse_meta ("blank=x", &blank, &st) == DLNN_ERR_FORMAT);
  CHECK (dlnn_ctc_parse_meta ("blank=-1", &blank, &st) == DLNN_ERR_FORMAT);
  CHECK (dlnn_ctc_parse_meta ("space=1", &blank, &st) == DLNN_ERR_FORMAT);
}

/* ---- PyTorch ------------------------------------------------------- */

static int
run_torch (void)
{
  const char *root = getenv ("DLNN_SOURCE_ROOT");
  char cmd[4096];
  FILE *f;
  int n_cases, k, rc;
  if (!root)
    root = ".";
  snprintf (cmd, sizeof (cmd), "/usr/bin/python3 %s/tests/nn/ctc_reference.py",
      root);
  f = popen (cmd, "r");
  if (!f || fscanf (f, "%d", &n_cases) != 1) {
    rc = f ? pclose (f) : -1;
    if (rc != -1 && WIFEXITED (rc) && WEXITSTATUS (rc) == 77) {
      printf ("SKIP: /usr/bin/python3 cannot import torch "
          "(apt-get install python3-torch)\n");
      return 77;
    }
    fprintf (stderr, "ctc_reference.py failed (status %d)\n", rc);
    return 1;
  }
  for (k = 0; k < n_cases; k++) {
    int T, N, C, blank, red, i, n, ok = 1;
    int64_t il[8], tl[8], sum = 0;
    int32_t tg[256];
    float *x, *g, loss, want, wantg;
    size_t ws;
    void *w;
    dlnn_ctc_loss_cfg cfg;
    dlnn_status st;
    if (fscanf (f, "%d %d %d %d %d", &T, &N, &C, &blank, &red) != 5
        || N > 8 || T * N * C > 10000)
      break;
    x = malloc (sizeof (float) * T * N * C);
    g = malloc (sizeof (float) * T * N * C);
    for (i = 0; i < T * N * C; i++)
      ok &= fscanf (f, "%f", &x[i]) == 1;
    for (n = 0; n < N; n++)
      ok &= fscanf (f, "%" SCNd64, &il[n]) == 1;
    for (n = 0; n < N; n++) {
      ok &= fscanf (f, "%" SCNd64, &tl[n]) == 1;
      sum += tl[n];
    }
    ok &= sum <= 256;
    for (i = 0; ok && i < sum; i++)
      ok &= fscanf (f, "%d", &tg[i]) == 1;
    ok &= fscanf (f, "%f", &want) == 1;
    CHECK_MSG (ok, "case %d: bad reference output", k);
    dlnn_ctc_loss_cfg_init (&cfg);
    cfg.blank = blank;
    cfg.reduction = red ? DLNN_CTC_REDUCTION_SUM : DLNN_CTC_REDUCTION_MEAN;
    w = workspace (T, C, 256, &ws);
    CHECK_OK (dlnn_ctc_loss (&cfg, x, T, N, C, tg, il, tl, &loss, NULL, g,
            NULL, w, ws, &st), &st);
    CHECK_CLOSE (loss, want, 1e-5 * (1 + fabs (want)));
    if (fabs (loss - want) > 1e-5 * (1 + fabs (want)))
      fprintf (stderr, "  case %d: T %d N %d C %d blank %d reduction %d\n",
          k, T, N, C, blank, red);
    for (i = 0; i < T * N * C; i++) {
      ok &= fscanf (f, "%f", &wantg) == 1;
      CHECK_CLOSE (g[i], wantg, 1e-5);
    }
    CHECK (ok);
    free (w);
    free (x);
    free (g);
  }
  CHECK (k == n_cases);
  rc = pclose (f);
  CHECK (rc == 0);
  printf ("%d torch cases compared\n", k);
  if (dlnn_test_failures_in_case) {
    fprintf (stderr, "FAIL torch comparison (%d checks)\n",
        dlnn_test_failures_in_case);
    return 1;
  }
  return 0;
}

/* ---- greedy -------------------------------------------------------- */

static void
test_greedy (void)
{
  /* argmax per frame: _ 1 1 _ 1 2 2 _ (blank 0) -> 1 1 2. */
  static const int best[8] = { 0, 1, 1, 0, 1, 2, 2, 0 };
  enum
  { T = 8, C = 3 };
  float x[T * C];
  double p[T * C];
  dlnn_ctc_token tok[T];
  int64_t n = -1;
  float lpath;
  double ref_path = 0;
  dlnn_status st;
  int t, c;

  random_logits (x, T * C, 1.0);
  for (t = 0; t < T; t++) {
    double s = 0;
    x[t * C + best[t]] += 3.0f;
    for (c = 0; c < C; c++)
      s += exp (x[t * C + c]);
    for (c = 0; c < C; c++)
      p[t * C + c] = exp (x[t * C + c]) / s;
    ref_path += log (p[t * C + best[t]]);
  }
  CHECK_OK (dlnn_ctc_greedy (x, T, C, 0, 1, tok, T, &n, &lpath, &st), &st);
  CHECK (n == 3);
  if (n == 3) {
    CHECK (tok[0].id == 1 && tok[0].start == 1 && tok[0].end == 2);
    CHECK (tok[1].id == 1 && tok[1].start == 4 && tok[1].end == 4);
    CHECK (tok[2].id == 2 && tok[2].start == 5 && tok[2].end == 6);
    CHECK_CLOSE (tok[0].confidence, fmax (p[1 * C + 1], p[2 * C + 1]), 1e-6);
    CHECK_CLOSE (tok[1].confidence, p[4 * C + 1], 1e-6);
    CHECK_CLOSE (tok[2].confidence, fmax (p[5 * C + 2], p[6 * C + 2]), 1e-6);
  }
  CHECK_CLOSE (lpath, ref_path, 1e-5);
  /* Blank 2: frames whose best is 2 vanish, 0 becomes a label:
   * 0 1 1 0 1 2 2 0 -> 0 1 0 1 0. */
  CHECK_OK (dlnn_ctc_greedy (x, T, C, 2, 1, tok, T, &n, NULL, &st), &st);
  CHECK (n == 5);
  if (n == 5)
    CHECK (tok[0].id == 0 && tok[1].id == 1 && tok[1].end == 2
        && tok[2].id == 0 && tok[3].id == 1 && tok[4].id == 0
        && tok[4].start == 7);
  CHECK (dlnn_ctc_greedy (x, T, C, 0, 1, tok, 2, &n, NULL, &st)
      == DLNN_ERR_INVALID);
  CHECK (dlnn_ctc_greedy (x, T, C, 3, 1, tok, T, &n, NULL, &st)
      == DLNN_ERR_INVALID);
  /* All blank. */
  for (t = 0; t < T; t++)
    x[t * C] += 20.0f;
  CHECK_OK (dlnn_ctc_greedy (x, T, C, 0, 1, tok, T, &n, NULL, &st), &st);
  CHECK (n == 0);
}

/* ---- beam search --------------------------------------------------- */

static void
to_logp (const float *x, int T, int C, double *lp)
{
  double xd[MAX_T * 4];
  int i;
  for (i = 0; i < T * C; i++)
    xd[i] = x[i];
  log_softmax_d (xd, T, C, lp);
}

static int
same_seq (const dlnn_ctc_token * tok, int64_t n, const int32_t * l, int S)
{
  int64_t i;
  if (n != S)
    return 0;
  for (i = 0; i < n; i++)
    if (tok[i].id != l[i])
      return 0;
  return 1;
}

typedef int (*allow_fn) (const int32_t * l, int S);

/* Checks the n-best of @b against brute-force labelling probabilities:
 * best first, exact scores, all allowed, and the top one is the most
 * probable allowed labelling. */
static void
check_nbest (dlnn_ctc_beam * b, const double *prob, int C, allow_fn allow)
{
  int32_t l[MAX_T];
  int k, best = -1, n, i;
  double bestp = 0, prev = INFINITY;
  for (k = 0; k < MAX_KEYS; k++)
    if (prob[k] > bestp) {
      int S = key_label (k, C, l);
      if (allow && !allow (l, S))
        continue;
      bestp = prob[k];
      best = k;
    }
  n = dlnn_ctc_beam_nbest (b, 1);
  CHECK (n > 0);
  for (i = 0; i < n; i++) {
    const dlnn_ctc_token *tok;
    int64_t nt;
    float lp, share;
    int32_t seq[MAX_T];
    int j;
    dlnn_status st;
    CHECK_OK (dlnn_ctc_beam_result (b, i, &tok, &nt, &lp, &share, &st), &st);
    CHECK (nt <= MAX_T);
    if (nt > MAX_T)
      return;
    for (j = 0; j < nt; j++)
      seq[j] = tok[j].id;
    if (allow)
      CHECK_MSG (allow (seq, (int) nt), "hypothesis %d not allowed", i);
    CHECK_CLOSE (lp, log (prob[label_key (seq, (int) nt, C)]), 1e-4);
    CHECK (lp <= prev + 1e-6);
    CHECK (share > 0 && share <= 1);
    prev = lp;
    if (i == 0) {
      int S = key_label (best, C, l);
      CHECK_MSG (same_seq (tok, nt, l, S), "top hypothesis is not the most "
          "probable labelling (p %g)", bestp);
    }
  }
}

static dlnn_ctc_beam *
make_beam (int C, int beam, const dlnn_ctc_vocab * v)
{
  dlnn_ctc_beam_cfg cfg;
  dlnn_status st;
  dlnn_ctc_beam *b;
  dlnn_ctc_beam_cfg_init (&cfg);
  cfg.n_classes = C;
  cfg.beam_size = beam;
  cfg.max_frames = 64;
  cfg.vocab = v;
  b = dlnn_ctc_beam_new (&cfg, &st);
  CHECK_MSG (b != NULL, "%s", st.message);
  return b;
}

static void
test_beam_exact (void)
{
  static double prob[MAX_KEYS];
  enum
  { C = 4 };
  int trial;
  dlnn_ctc_beam *b = make_beam (C, 2048, NULL);
  if (!b)
    return;
  for (trial = 0; trial < 4; trial++) {
    const int T = 4 + trial % 3;
    float x[MAX_T * C];
    double lp[MAX_T * C];
    dlnn_status st;
    random_logits (x, T * C, 1.0 + trial);
    to_logp (x, T, C, lp);
    brute_force (lp, T, C, 0, prob);
    dlnn_ctc_beam_reset (b);
    CHECK_OK (dlnn_ctc_beam_push (b, x, T, &st), &st);
    check_nbest (b, prob, C, NULL);
  }
  dlnn_ctc_beam_free (b);
}

/* p(blank) = 0.6 at every frame: the best path is all blanks (greedy says
 * ""), yet "1" is the most probable labelling (0.688 vs 0.216). */
static void
test_beam_beats_greedy (void)
{
  enum
  { T = 3, C = 2 };
  static double prob[MAX_KEYS];
  float x[T * C];
  double lp[T * C];
  dlnn_ctc_token tok[T];
  int64_t n = -1;
  dlnn_ctc_beam_cfg cfg;
  dlnn_ctc_beam *b;
  dlnn_status st;
  int t;
  for (t = 0; t < T; t++) {
    lp[t * C] = log (0.6);
    lp[t * C + 1] = log (0.4);
    x[t * C] = (float) lp[t * C];
    x[t * C + 1] = (float) lp[t * C + 1];
  }
  CHECK_OK (dlnn_ctc_greedy (x, T, C, 0, 0, tok, T, &n, NULL, &st), &st);
  CHECK (n == 0);
  brute_force (lp, T, C, 0, prob);
  CHECK_CLOSE (prob[label_key ((const int32_t[]) {1}, 1, C)], 0.688, 1e-9);
  dlnn_ctc_beam_cfg_init (&cfg);
  cfg.n_classes = C;
  cfg.beam_size = 2;
  cfg.input_is_logits = 0;
  b = dlnn_ctc_beam_new (&cfg, &st);
  CHECK_MSG (b != NULL, "%s", st.message);
  if (!b)
    return;
  CHECK_OK (dlnn_ctc_beam_push (b, x, T, &st), &st);
  check_nbest (b, prob, C, NULL);
  dlnn_ctc_beam_free (b);
}

static void
test_beam_streaming_and_pruning (void)
{
  /* Peaks: _ 1 1 _ 2 _  -> "1 2", emitted at frames 1 and 4. */
  static const int best[6] = { 0, 1, 1, 0, 2, 0 };
  enum
  { T = 6, C = 4 };
  float x[T * C], r1[8], r2[8];
  int n1, n2, i, t;
  const dlnn_ctc_token *tok;
  int64_t nt;
  dlnn_ctc_beam_cfg cfg;
  dlnn_ctc_beam *b = make_beam (C, 4, NULL), *bp;
  dlnn_status st;
  if (!b)
    return;
  random_logits (x, T * C, 1.0);
  for (t = 0; t < T; t++)
    x[t * C + best[t]] += 6.0f;
  CHECK_OK (dlnn_ctc_beam_push (b, x, T, &st), &st);
  n1 = dlnn_ctc_beam_nbest (b, 1);
  for (i = 0; i < n1 && i < 8; i++)
    CHECK_OK (dlnn_ctc_beam_result (b, i, NULL, NULL, &r1[i], NULL, &st),
        &st);
  CHECK_OK (dlnn_ctc_beam_result (b, 0, &tok, &nt, NULL, NULL, &st), &st);
  CHECK (nt == 2);
  if (nt == 2)
    CHECK (tok[0].id == 1 && tok[0].start == 1 && tok[1].id == 2
        && tok[1].start == 4 && tok[1].confidence > 0.9f);
  /* Same in two pushes. */
  dlnn_ctc_beam_reset (b);
  CHECK_OK (dlnn_ctc_beam_push (b, x, 2, &st), &st);
  CHECK (dlnn_ctc_beam_nbest (b, 0) > 0);
  CHECK_OK (dlnn_ctc_beam_push (b, x + 2 * C, T - 2, &st), &st);
  n2 = dlnn_ctc_beam_nbest (b, 1);
  CHECK (n1 == n2);
  for (i = 0; i < n2 && i < 8; i++) {
    CHECK_OK (dlnn_ctc_beam_result (b, i, NULL, NULL, &r2[i], NULL, &st),
        &st);
    CHECK (r1[i] == r2[i]);
  }
  CHECK (dlnn_ctc_beam_result (b, n2, NULL, NULL, NULL, NULL, &st)
      == DLNN_ERR_INVALID);
  /* Capacity. */
  for (t = 0; t < 9; t++)
    CHECK_OK (dlnn_ctc_beam_push (b, x, T, &st), &st);
  CHECK (dlnn_ctc_beam_push (b, x, T, &st) == DLNN_ERR_NOMEM);
  /* Pruning keeps the answer on peaky input and drops weak labels: every
   * token of the pruned n-best fired with posterior >= 0.05, while the
   * unpruned 16-best holds weaker ones. */
  dlnn_ctc_beam_cfg_init (&cfg);
  cfg.n_classes = C;
  cfg.beam_size = 16;
  for (i = 0; i < 2; i++) {
    int k, weak = 0;
    cfg.prune_prob = i ? 0.05f : 0.0f;
    bp = dlnn_ctc_beam_new (&cfg, &st);
    CHECK (bp != NULL);
    if (!bp)
      break;
    CHECK_OK (dlnn_ctc_beam_push (bp, x, T, &st), &st);
    n2 = dlnn_ctc_beam_nbest (bp, 1);
    CHECK (n2 >= 1);
    CHECK_OK (dlnn_ctc_beam_result (bp, 0, &tok, &nt, NULL, NULL, &st), &st);
    CHECK (nt == 2 && tok[0].id == 1 && tok[1].id == 2);
    for (k = 0; k < n2; k++) {
      CHECK_OK (dlnn_ctc_beam_result (bp, k, &tok, &nt, NULL, NULL, &st),
          &st);
      for (t = 0; t < nt; t++)
        weak += tok[t].confidence < 0.05f;
    }
    CHECK (i ? weak == 0 : weak > 0);
    dlnn_ctc_beam_free (bp);
  }
  cfg.prune_prob = 1.5f;
  CHECK (dlnn_ctc_beam_new (&cfg, &st) == NULL);
  cfg.prune_prob = 0;
  cfg.blank = C;
  CHECK (dlnn_ctc_beam_new (&cfg, &st) == NULL);
  dlnn_ctc_beam_free (b);
}

/* ---- vocabulary ---------------------------------------------------- */

static const int32_t phrases[3][3] = { {1, 2, 1}, {2, 2}, {3} };
static const int phrase_len[3] = { 3, 2, 1 };

static int
allow_phrases (const int32_t * l, int S)
{
  return is_entry (l, S, phrases, phrase_len);
}

static void
test_vocab (void)
{
  static double prob[MAX_KEYS];
  enum
  { C = 4 };
  dlnn_ctc_vocab *vw, *vp;
  dlnn_ctc_beam *bw, *bp;
  dlnn_status st;
  int i, trial;

  vw = dlnn_ctc_vocab_new (3, &st);
  vp = dlnn_ctc_vocab_new (-1, &st);
  CHECK (vw && vp);
  if (!vw || !vp)
    return;
  for (i = 0; i < 3; i++) {
    CHECK_OK (dlnn_ctc_vocab_add (vw, words[i], word_len[i], &st), &st);
    CHECK_OK (dlnn_ctc_vocab_add (vp, phrases[i], phrase_len[i], &st), &st);
  }
  CHECK (dlnn_ctc_vocab_n_entries (vw) == 3);
  bw = make_beam (C, 2048, vw);
  bp = make_beam (C, 2048, vp);
  for (trial = 0; bw && bp && trial < 6; trial++) {
    const int T = 3 + trial % 4;
    float x[MAX_T * C];
    double lp[MAX_T * C];
    random_logits (x, T * C, 2.0);
    to_logp (x, T, C, lp);
    brute_force (lp, T, C, 0, prob);
    dlnn_ctc_beam_reset (bw);
    CHECK_OK (dlnn_ctc_beam_push (bw, x, T, &st), &st);
    check_nbest (bw, prob, C, allow_words);
    dlnn_ctc_beam_reset (bp);
    CHECK_OK (dlnn_ctc_beam_push (bp, x, T, &st), &st);
    check_nbest (bp, prob, C, allow_phrases);
    /* Partial hypotheses are prefixes of allowed phrases. */
    CHECK (dlnn_ctc_beam_nbest (bp, 0) >= dlnn_ctc_beam_nbest (bp, 1));
  }
  dlnn_ctc_beam_free (bw);
  dlnn_ctc_beam_free (bp);
  dlnn_ctc_vocab_free (vw);
  dlnn_ctc_vocab_free (vp);
}

/* A small beam keeps a complete hypothesis: vocabulary {a, abc}, beam 1,
 * two frames. After frame 1 the prefix "ab" (0.9 * 0.6 = 0.54) outscores
 * "a" (0.9 * (0.35 + 0.02) = 0.333), but "ab" cannot become "abc" in the
 * frames left; the decoder must still end with "a", the only complete
 * entry, instead of an empty n-best. */
static void
test_vocab_keeps_complete (void)
{
  enum
  { C = 4 };
  const int32_t a[] = { 1 }, abc[] = { 1, 2, 3 };
  const double p[2][C] = { {0.05, 0.9, 0.03, 0.02}, {0.35, 0.02, 0.6, 0.03} };
  float x[2 * C];
  dlnn_ctc_vocab *v;
  dlnn_ctc_beam_cfg cfg;
  dlnn_ctc_beam *b = NULL;
  const dlnn_ctc_token *tok = NULL;
  int64_t n = 0;
  float logp = 0, share = 0;
  dlnn_status st;
  int t, c;

  for (t = 0; t < 2; t++)
    for (c = 0; c < C; c++)
      x[t * C + c] = (float) log (p[t][c]);
  v = dlnn_ctc_vocab_new (-1, &st);
  CHECK (v != NULL);
  if (!v)
    return;
  CHECK_OK (dlnn_ctc_vocab_add (v, a, 1, &st), &st);
  CHECK_OK (dlnn_ctc_vocab_add (v, abc, 3, &st), &st);
  dlnn_ctc_beam_cfg_init (&cfg);
  cfg.n_classes = C;
  cfg.beam_size = 1;
  cfg.input_is_logits = 0;
  cfg.vocab = v;
  b = dlnn_ctc_beam_new (&cfg, &st);
  CHECK (b != NULL);
  if (b) {
    CHECK_OK (dlnn_ctc_beam_push (b, x, 2, &st), &st);
    CHECK (dlnn_ctc_beam_nbest (b, 1) == 1);
    CHECK_OK (dlnn_ctc_beam_result (b, 0, &tok, &n, &logp, &share, &st),
        &st);
    CHECK (n == 1 && tok && tok[0].id == 1);
    /* the alignments a-blank and a-a (beam 1 dropped the empty prefix
     * after frame 0, so blank-a is not counted) */
    CHECK_CLOSE (logp, log (0.9 * 0.35 + 0.9 * 0.02), 1e-5);
  }
  dlnn_ctc_beam_free (b);
  dlnn_ctc_vocab_free (v);
}

static void
test_vocab_errors (void)
{
  dlnn_status st;
  dlnn_ctc_vocab *v = dlnn_ctc_vocab_new (3, &st);
  const int32_t lead[] = { 3, 1 }, trail[] = { 1, 3 }, neg[] = { -2 };
  CHECK (v != NULL);
  if (!v)
    return;
  CHECK (dlnn_ctc_vocab_add (v, lead, 2, &st) == DLNN_ERR_INVALID);
  CHECK (dlnn_ctc_vocab_add (v, trail, 2, &st) == DLNN_ERR_INVALID);
  CHECK (dlnn_ctc_vocab_add (v, neg, 1, &st) == DLNN_ERR_INVALID);
  CHECK (dlnn_ctc_vocab_add (v, lead, 0, &st) == DLNN_ERR_INVALID);
  CHECK (dlnn_ctc_vocab_n_entries (v) == 0);
  dlnn_ctc_vocab_free (v);
  dlnn_ctc_vocab_free (NULL);
  dlnn_ctc_beam_free (NULL);
}

int
main (int argc, char **argv)
{
  if (argc > 1 && strcmp (argv[1], "--torch") == 0)
    return run_torch ();
  DLNN_RUN (test_loss_brute_force);
  DLNN_RUN (test_loss_batch_grad);
  DLNN_RUN (test_loss_infeasible_and_errors);
  DLNN_RUN (test_parse_meta);
  DLNN_RUN (test_greedy);
  DLNN_RUN (test_beam_exact);
  DLNN_RUN (test_beam_beats_greedy);
  DLNN_RUN (test_beam_streaming_and_pruning);
  DLNN_RUN (test_vocab);
  DLNN_RUN (test_vocab_keeps_complete);
  DLNN_RUN (test_vocab_errors);
  return dlnn_test_summary ();
}
