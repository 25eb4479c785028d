/* Unit tests for the training pieces: loss, initialisation, optimizers,
 * schedules, optimizer state files. Expected values are computed here in
 * double precision from the textbook formulas, independently of the code
 * under test. */
#include "dlnn/dlnn.h"
#include "train/optim-internal.h"
#include "dlnn-test.h"

#include <string.h>
#include <unistd.h>

/* ---- loss ---- */

static void
test_loss_hand_computed (void)
{
  /* row 0: logits 1 2 3, label 2: -log softmax = log (e + e^2 + e^3) - 3
   *        = 0.40760596444438 (hand/calculator value)
   * row 1: logits 0 0 0, label 0: log 3 = 1.09861228866811 */
  dlnn_tensor *z = dlnn_tensor_new4 (2, 2, 3, 0, 0);
  dlnn_tensor *g = dlnn_tensor_new4 (2, 2, 3, 0, 0);
  const float zv[6] = { 1, 2, 3, 0, 0, 0 };
  const int labels[2] = { 2, 0 };
  dlnn_status st;
  float loss = 0;
  int correct = -1;

  memcpy (z->data, zv, sizeof (zv));
  CHECK_OK (dlnn_softmax_cross_entropy (z, labels, 0.0f, &loss, g, &correct,
          &st), &st);
  CHECK_CLOSE (loss, (0.40760596444438 + 1.09861228866811) / 2, 1e-6);
  /* argmax of row 0 is 2 (hit); row 1 ties, first index 0 (hit) */
  CHECK (correct == 2);
  /* gradient = (softmax - onehot) / N; softmax (1,2,3) =
   * 0.09003057, 0.24472847, 0.66524096 */
  CHECK_CLOSE (g->data[0], 0.09003057 / 2, 1e-6);
  CHECK_CLOSE (g->data[1], 0.24472847 / 2, 1e-6);
  CHECK_CLOSE (g->data[2], (0.66524096 - 1) / 2, 1e-6);
  CHECK_CLOSE (g->data[3], (1.0 / 3 - 1) / 2, 1e-6);
  CHECK_CLOSE (g->data[4], (1.0 / 3) / 2, 1e-6);

  /* label smoothing 0.1 over 3 classes: q = 0.1/3 off, 0.9 + 0.1/3 on.
   * row 0: lse - sum q z = 3.40760596 - (0.1/3 * 6 + 0.9 * 3) = 0.50760596
   * row 1: log 3 */
  CHECK_OK (dlnn_softmax_cross_entropy (z, labels, 0.1f, &loss, g, NULL,
          &st), &st);
  CHECK_CLOSE (loss, (0.50760596444438 + 1.09861228866811) / 2, 1e-6);
  CHECK_CLOSE (g->data[2], (0.66524096 - (0.9 + 0.1 / 3)) / 2, 1e-6);
  CHECK_CLOSE (g->data[0], (0.09003057 - 0.1 / 3) / 2, 1e-6);
  dlnn_tensor_free (z);
  dlnn_tensor_free (g);
}

static double
ref_loss (const float *z, const int *labels, int n, int c, double eps)
{
  /* direct, double precision, no max shift (inputs are small) */
  double total = 0;
  for (int i = 0; i < n; i++) {
    double s = 0;
    for (int j = 0; j < c; j++)
      s += exp (z[i * c + j]);
    for (int j = 0; j < c; j++) {
      double q = (j == labels[i] ? 1 - eps : 0) + eps / c;
      total -= q * (z[i * c + j] - log (s));
    }
  }
  return total / n;
}

static void
test_loss_gradient_fd (void)
{
  const int n = 4, c = 5;
  dlnn_tensor *z = dlnn_tensor_new4 (2, n, c, 0, 0);
  dlnn_tensor *g = dlnn_tensor_new4 (2, n, c, 0, 0);
  const int labels[4] = { 0, 3, 4, 3 };
  dlnn_rng rng;
  dlnn_status st;
  float loss;

  dlnn_rng_seed (&rng, 7);
  for (int i = 0; i < n * c; i++)
    z->data[i] = 2.0f * dlnn_rng_normal (&rng);
  for (int k = 0; k < 2; k++) {
    const float eps = k ? 0.2f : 0.0f;
    CHECK_OK (dlnn_softmax_cross_entropy (z, labels, eps, &loss, g, NULL,
            &st), &st);
    CHECK_CLOSE (loss, ref_loss (z->data, labels, n, c, eps), 1e-5);
    for (int i = 0; i < n * c; i++) {
      const float h = 1e-2f, keep = z->data[i];
      float lp, lm;
      z->data[i] = keep + h;
      dlnn_softmax_cross_entropy (z, labels, eps, &lp, NULL, NULL, &st);
      z->data[i] = keep - h;
      dlnn_softmax_cross_entropy (z, labels, eps, &lm, NULL, NULL, &st);
      z->data[i] = keep;
      CHECK_CLOSE (g->data[i], (lp - lm) / (2.0 * h), 2e-4);
    }
  }
  dlnn_tensor_free (z);
  dlnn_tensor_free (g);
}

static void
test_loss_stable_and_errors (void)
{
  dlnn_tensor *z = dlnn_tensor_new4 (2, 1, 3, 0, 0);
  dlnn_tensor *g = dlnn_tensor_new4 (2, 1, 3, 0, 0);
  int label = 1;
  dlnn_status st;
  float loss;

  /* huge logits: naive exp overflows; shifted form gives log (1 + 2e^-1)
   * shape-equivalent of 0, 1, 0 */
  z->data[0] = 1000;
  z->data[1] = 1001;
  z->data[2] = 1000;
  CHECK_OK (dlnn_softmax_cross_entropy (z, &label, 0, &loss, g, NULL, &st),
      &st);
  CHECK_CLOSE (loss, log (1 + 2 * exp (-1.0)), 1e-5);
  z->data[0] = -1e30f;
  z->data[2] = -1e30f;
  CHECK_OK (dlnn_softmax_cross_entropy (z, &label, 0, &loss, g, NULL, &st),
      &st);
  CHECK_CLOSE (loss, 0.0, 1e-6);

  label = 3;
  CHECK (dlnn_softmax_cross_entropy (z, &label, 0, &loss, g, NULL, &st) ==
      DLNN_ERR_INVALID);
  CHECK (strstr (st.message, "label 3") != NULL);
  label = -1;
  CHECK (dlnn_softmax_cross_entropy (z, &label, 0, &loss, g, NULL, &st) ==
      DLNN_ERR_INVALID);
  label = 0;
  z->data[1] = NAN;
  CHECK (dlnn_softmax_cross_entropy (z, &label, 0, &loss, g, NULL, &st) ==
      DLNN_ERR_NUMERIC);
  z->data[1] = INFINITY;
  CHECK (dlnn_softmax_cross_entropy (z, &label, 0, &loss, g, NULL, &st) ==
      DLNN_ERR_NUMERIC);
  CHECK (dlnn_softmax_cross_entropy (z, &label, 1.5f, &loss, g, NULL, &st) ==
      DLNN_ERR_INVALID);
  dlnn_tensor_free (z);
  dlnn_tensor_free (g);
}

/* ---- initialisation ---- */

static void
moments (const dlnn_tensor * t, double *mean, double *sd, double *amax)
{
  double s = 0, s2 = 0;
  *amax = 0;
  for (int64_t i = 0; i < t->size; i++) {
    s += t->data[i];
    s2 += (double) t->data[i] * t->data[i];
    if (fabs (t->data[i]) > *amax)
      *amax = fabs (t->data[i]);
  }
  *mean = s / t->size;
  *sd = sqrt (s2 / t->size - *mean * *mean);
}

static void
test_init (void)
{
  dlnn_tensor *a = dlnn_tensor_new4 (2, 200, 300, 0, 0);
  dlnn_tensor *b = dlnn_tensor_new4 (2, 200, 300, 0, 0);
  dlnn_rng rng;
  double mean, sd, amax;

  dlnn_rng_seed (&rng, 1);
  dlnn_init_tensor (a, DLNN_INIT_HE_NORMAL, 300, 200, &rng);
  moments (a, &mean, &sd, &amax);
  CHECK_CLOSE (mean, 0, 0.005);
  CHECK_CLOSE (sd, sqrt (2.0 / 300), 0.02 * sqrt (2.0 / 300));

  dlnn_init_tensor (a, DLNN_INIT_HE_UNIFORM, 300, 200, &rng);
  moments (a, &mean, &sd, &amax);
  /* uniform in +-L has sd L / sqrt 3 */
  CHECK (amax <= sqrt (6.0 / 300));
  CHECK (amax > 0.99 * sqrt (6.0 / 300));
  CHECK_CLOSE (sd, sqrt (6.0 / 300) / sqrt (3.0), 0.02 * sqrt (2.0 / 300));

  dlnn_init_tensor (a, DLNN_INIT_XAVIER_UNIFORM, 300, 200, &rng);
  moments (a, &mean, &sd, &amax);
  CHECK (amax <= sqrt (6.0 / 500));
  CHECK (amax > 0.99 * sqrt (6.0 / 500));

  dlnn_init_tensor (a, DLNN_INIT_XAVIER_NORMAL, 300, 200, &rng);
  moments (a, &mean, &sd, &amax);
  CHECK_CLOSE (sd, sqrt (2.0 / 500), 0.02 * sqrt (2.0 / 500));

  /* same seed, same weights; different seed, different weights */
  dlnn_rng_seed (&rng, 42);
  dlnn_init_tensor (a, DLNN_INIT_HE_NORMAL, 300, 200, &rng);
  dlnn_rng_seed (&rng, 42);
  dlnn_init_tensor (b, DLNN_INIT_HE_NORMAL, 300, 200, &rng);
  CHECK (memcmp (a->data, b->data, a->size * sizeof (float)) == 0);
  dlnn_rng_seed (&rng, 43);
  dlnn_init_tensor (b, DLNN_INIT_HE_NORMAL, 300, 200, &rng);
  CHECK (memcmp (a->data, b->data, a->size * sizeof (float)) != 0);

  dlnn_init_tensor (a, DLNN_INIT_ONE, 1, 1, &rng);
  CHECK (a->data[0] == 1.0f && a->data[a->size - 1] == 1.0f);
  dlnn_init_tensor (a, DLNN_INIT_ZERO, 1, 1, &rng);
  CHECK (a->data[0] == 0.0f && a->data[a->size - 1] == 0.0f);
  dlnn_tensor_free (a);
  dlnn_tensor_free (b);
}

/* ---- optimizers ---- */

/* A graph with a 2-D weight W [2, 3] (decayed), a 1-D bias b [3] (never
 * decayed) and a frozen parameter. */
static dlnn_graph *
make_param_graph (void)
{
  dlnn_graph *g = dlnn_graph_new ("params");
  dlnn_tensor *w = dlnn_tensor_new4 (2, 2, 3, 0, 0);
  dlnn_tensor *b = dlnn_tensor_new4 (1, 3, 0, 0, 0);
  dlnn_tensor *f = dlnn_tensor_new4 (1, 4, 0, 0, 0);
  for (int i = 0; i < 6; i++)
    w->data[i] = 0.5f - 0.25f * i;
  for (int i = 0; i < 3; i++)
    b->data[i] = 0.1f * (i + 1);
  CHECK (dlnn_graph_add_param (g, "W", w, 1, NULL) >= 0);
  CHECK (dlnn_graph_add_param (g, "frozen", f, 0, NULL) >= 0);
  CHECK (dlnn_graph_add_param (g, "b", b, 1, NULL) >= 0);
  return g;
}

static const float grads1[2][6] = {
  {0.3f, -0.2f, 0.05f, 1.0f, -0.7f, 0.0f},
  {0.01f, -0.4f, 0.25f},
};
static const float grads2[2][6] = {
  {-0.1f, 0.6f, 0.05f, 2.0f, 0.3f, -0.5f},
  {0.2f, 0.2f, -0.3f},
};

/* Params of @g in optimizer order (W, b); checks the order. */
static void
param_ptrs (dlnn_optimizer * o, dlnn_graph * g, float **p)
{
  CHECK (dlnn_optimizer_n_params (o) == 2);
  for (int i = 0; i < 2; i++) {
    int v = dlnn_optimizer_param_value (o, i);
    p[i] = g->values[v].init->data;
  }
  CHECK (strcmp (g->values[dlnn_optimizer_param_value (o, 0)].name,
          "W") == 0);
  CHECK (strcmp (g->values[dlnn_optimizer_param_value (o, 1)].name,
          "b") == 0);
}

/* Reference: two steps of each optimizer, in double precision. */
static void
ref_two_steps (dlnn_optim_kind kind, double mu, int nesterov, double wd,
    double lr, double *w, double *b)
{
  double *p[2] = { w, b };
  const int n[2] = { 6, 3 };
  double m[2][6] = { {0} }, v[2][6] = { {0} };
  const double b1 = 0.9, b2 = 0.999, eps = 1e-8;

  for (int t = 1; t <= 2; t++) {
    for (int k = 0; k < 2; k++) {
      const double d = k == 0 ? wd : 0.0;   /* no decay on 1-D b */
      for (int i = 0; i < n[k]; i++) {
        double gi = (t == 1 ? grads1 : grads2)[k][i];
        if (kind == DLNN_OPTIM_SGD) {
          gi += d * p[k][i];
          m[k][i] = mu * m[k][i] + gi;
          p[k][i] -= lr * (nesterov ? gi + mu * m[k][i] : m[k][i]);
        } else {
          if (kind == DLNN_OPTIM_ADAMW)
            p[k][i] *= 1 - lr * d;
          else
            gi += d * p[k][i];
          m[k][i] = b1 * m[k][i] + (1 - b1) * gi;
          v[k][i] = b2 * v[k][i] + (1 - b2) * gi * gi;
          double mh = m[k][i] / (1 - pow (b1, t));
          double vh = v[k][i] / (1 - pow (b2, t));
          p[k][i] -= lr * mh / (sqrt (vh) + eps);
        }
      }
    }
  }
}

static void
check_optimizer (dlnn_optim_kind kind, float mu, int nesterov, float wd,
    float lr)
{
  dlnn_graph *g = make_param_graph ();
  dlnn_optim_cfg cfg;
  dlnn_optimizer *o;
  dlnn_status st;
  double w[6], b[3];
  float *p[2];
  const float *g1[2] = { grads1[0], grads1[1] };
  const float *g2[2] = { grads2[0], grads2[1] };

  dlnn_optim_cfg_init (&cfg, kind);
  cfg.momentum = mu;
  cfg.nesterov = nesterov;
  cfg.weight_decay = wd;
  o = dlnn_optimizer_new (g, &cfg, &st);
  CHECK_MSG (o != NULL, "%s", st.message);
  if (!o) {
    dlnn_graph_free (g);
    return;
  }
  param_ptrs (o, g, p);
  for (int i = 0; i < 6; i++)
    w[i] = p[0][i];
  for (int i = 0; i < 3; i++)
    b[i] = p[1][i];
  CHECK_OK (dlnn_optimizer_update (o, p, g1, lr, &st), &st);
  CHECK_OK (dlnn_optimizer_update (o, p, g2, lr, &st), &st);
  CHECK (dlnn_optimizer_steps (o) == 2);
  ref_two_steps (kind, mu, nesterov, wd, lr, w, b);
  for (int i = 0; i < 6; i++)
    CHECK_CLOSE (p[0][i], w[i], 1e-6);
  for (int i = 0; i < 3; i++)
    CHECK_CLOSE (p[1][i], b[i], 1e-6);
  dlnn_optimizer_free (o);
  dlnn_graph_free (g);
}

static void
test_sgd (void)
{
  check_optimizer (DLNN_OPTIM_SGD, 0.0f, 0, 0.0f, 0.1f);
  check_optimizer (DLNN_OPTIM_SGD, 0.9f, 0, 0.0f, 0.1f);
  check_optimizer (DLNN_OPTIM_SGD, 0.9f, 1, 0.0f, 0.1f);
  check_optimizer (DLNN_OPTIM_SGD, 0.9f, 1, 0.05f, 0.1f);
}

static void
test_sgd_hand (void)
{
  /* plain SGD, one step: W0 = 0.5 - lr * 0.3 = 0.47 */
  dlnn_graph *g = make_param_graph ();
  dlnn_optim_cfg cfg;
  dlnn_optimizer *o;
  float *p[2];
  const float *g1[2] = { grads1[0], grads1[1] };
  dlnn_status st;

  dlnn_optim_cfg_init (&cfg, DLNN_OPTIM_SGD);
  cfg.momentum = 0;
  o = dlnn_optimizer_new (g, &cfg, &st);
  param_ptrs (o, g, p);
  CHECK_OK (dlnn_optimizer_update (o, p, g1, 0.1f, &st), &st);
  CHECK_CLOSE (p[0][0], 0.47, 1e-7);
  CHECK_CLOSE (p[1][1], 0.2 + 0.04, 1e-7);
  /* frozen parameter untouched */
  CHECK (g->values[dlnn_graph_find_value (g, "frozen")].init->data[0] == 0);
  dlnn_optimizer_free (o);
  dlnn_graph_free (g);
}

static void
test_adam (void)
{
  check_optimizer (DLNN_OPTIM_ADAM, 0, 0, 0.0f, 0.01f);
  check_optimizer (DLNN_OPTIM_ADAM, 0, 0, 0.1f, 0.01f);
  check_optimizer (DLNN_OPTIM_ADAMW, 0, 0, 0.1f, 0.01f);
  check_optimizer (DLNN_OPTIM_ADAMW, 0, 0, 0.0f, 0.001f);
}

static void
test_adam_first_step_is_lr_sign (void)
{
  /* Adam's bias correction makes the first step lr * sign (g) (up to
   * eps), whatever the gradient magnitude. */
  dlnn_graph *g = make_param_graph ();
  dlnn_optim_cfg cfg;
  dlnn_optimizer *o;
  float *p[2], before[6];
  const float *g1[2] = { grads1[0], grads1[1] };
  dlnn_status st;

  dlnn_optim_cfg_init (&cfg, DLNN_OPTIM_ADAM);
  o = dlnn_optimizer_new (g, &cfg, &st);
  param_ptrs (o, g, p);
  memcpy (before, p[0], sizeof (before));
  CHECK_OK (dlnn_optimizer_update (o, p, g1, 0.01f, &st), &st);
  for (int i = 0; i < 6; i++) {
    double s = grads1[0][i] > 0 ? 1 : grads1[0][i] < 0 ? -1 : 0;
    CHECK_CLOSE (p[0][i], before[i] - 0.01 * s, 1e-6);
  }
  dlnn_optimizer_free (o);
  dlnn_graph_free (g);
}

static void
test_nonfinite_gradient (void)
{
  dlnn_graph *g = make_param_graph ();
  dlnn_optim_cfg cfg;
  dlnn_optimizer *o;
  dlnn_status st;
  float *p[2], bad[3] = { 0.1f, NAN, 0.2f }, w0[6];
  const float *gg[2] = { grads1[0], bad };

  dlnn_optim_cfg_init (&cfg, DLNN_OPTIM_ADAM);
  o = dlnn_optimizer_new (g, &cfg, &st);
  param_ptrs (o, g, p);
  memcpy (w0, p[0], sizeof (w0));
  CHECK (dlnn_optimizer_update (o, p, gg, 0.01f, &st) == DLNN_ERR_NUMERIC);
  CHECK (strstr (st.message, "'b'") != NULL);
  /* nothing was updated, not even W (checked before any update) */
  CHECK (memcmp (w0, p[0], sizeof (w0)) == 0);
  CHECK (dlnn_optimizer_steps (o) == 0);
  bad[1] = INFINITY;
  CHECK (dlnn_optimizer_update (o, p, gg, 0.01f, &st) == DLNN_ERR_NUMERIC);
  dlnn_optimizer_free (o);
  dlnn_graph_free (g);
}

/* ---- state files ---- */

static void
tmp_path (char *buf, size_t len, const char *what)
{
  const char *dir = getenv ("TMPDIR");
  snprintf (buf, len, "%s/dlnn-test-train-%ld-%s", dir ? dir : "/tmp",
      (long) getpid (), what);
}

static void
test_state_round_trip (void)
{
  dlnn_graph *ga = make_param_graph (), *gb = make_param_graph ();
  dlnn_optim_cfg cfg;
  dlnn_optimizer *a, *b;
  dlnn_status st;
  float *pa[2], *pb[2];
  const float *g1[2] = { grads1[0], grads1[1] };
  const float *g2[2] = { grads2[0], grads2[1] };
  char path[512], bad[512];
  FILE *f;
  long size;
  char *buf;

  tmp_path (path, sizeof (path), "adam.state");
  tmp_path (bad, sizeof (bad), "bad.state");
  dlnn_optim_cfg_init (&cfg, DLNN_OPTIM_ADAMW);
  a = dlnn_optimizer_new (ga, &cfg, &st);
  b = dlnn_optimizer_new (gb, &cfg, &st);
  param_ptrs (a, ga, pa);
  param_ptrs (b, gb, pb);
  CHECK_OK (dlnn_optimizer_update (a, pa, g1, 0.01f, &st), &st);
  CHECK_OK (dlnn_optimizer_update (a, pa, g2, 0.01f, &st), &st);
  CHECK_OK (dlnn_optimizer_save (a, path, &st), &st);
  /* b resumes from a's parameters and state */
  memcpy (pb[0], pa[0], 6 * sizeof (float));
  memcpy (pb[1], pa[1], 3 * sizeof (float));
  CHECK_OK (dlnn_optimizer_load (b, path, &st), &st);
  CHECK (dlnn_optimizer_steps (b) == 2);
  CHECK_OK (dlnn_optimizer_update (a, pa, g1, 0.01f, &st), &st);
  CHECK_OK (dlnn_optimizer_update (b, pb, g1, 0.01f, &st), &st);
  CHECK (memcmp (pa[0], pb[0], 6 * sizeof (float)) == 0);
  CHECK (memcmp (pa[1], pb[1], 3 * sizeof (float)) == 0);

  /* truncated copy */
  f = fopen (path, "rb");
  CHECK (f != NULL);
  fseek (f, 0, SEEK_END);
  size = ftell (f);
  rewind (f);
  buf = malloc (size);
  CHECK (fread (buf, 1, size, f) == (size_t) size);
  fclose (f);
  /* header 32 bytes + 2 records (W: 4+1+8, b: 4+1+8) + 2*9*4 floats + 8 */
  CHECK (size == 32 + 13 + 13 + 72 + 8);
  for (long cut = 0; cut < size; cut += (cut < 40 ? 1 : 17)) {
    f = fopen (bad, "wb");
    fwrite (buf, 1, cut, f);
    fclose (f);
    CHECK_MSG (dlnn_optimizer_load (b, bad, &st) == DLNN_ERR_FORMAT,
        "cut at %ld", cut);
  }
  CHECK (strstr (st.message, bad) != NULL);
  /* one flipped byte in the moments */
  buf[size - 20] ^= 0x40;
  f = fopen (bad, "wb");
  fwrite (buf, 1, size, f);
  fclose (f);
  CHECK (dlnn_optimizer_load (b, bad, &st) == DLNN_ERR_FORMAT);
  CHECK (strstr (st.message, "checksum") != NULL);
  /* failed loads left b's state alone: it still steps like a */
  CHECK_OK (dlnn_optimizer_update (a, pa, g2, 0.01f, &st), &st);
  CHECK_OK (dlnn_optimizer_update (b, pb, g2, 0.01f, &st), &st);
  CHECK (memcmp (pa[0], pb[0], 6 * sizeof (float)) == 0);
  CHECK (dlnn_optimizer_load (b, "/nonexistent/dir/x.state", &st) ==
      DLNN_ERR_IO);
  free (buf);

  /* a state for another optimizer kind or another model is rejected */
  {
    dlnn_optim_cfg sgd;
    dlnn_optimizer *c;
    dlnn_graph *gc = dlnn_graph_new ("other");
    dlnn_optim_cfg_init (&sgd, DLNN_OPTIM_SGD);
    c = dlnn_optimizer_new (gb, &sgd, &st);
    CHECK (dlnn_optimizer_load (c, path, &st) == DLNN_ERR_FORMAT);
    dlnn_optimizer_free (c);
    dlnn_graph_add_param (gc, "W", dlnn_tensor_new4 (2, 3, 2, 0, 0), 1, &st);
    dlnn_graph_add_param (gc, "b", dlnn_tensor_new4 (1, 3, 0, 0, 0), 1, &st);
    c = dlnn_optimizer_new (gc, &cfg, &st);
    CHECK (dlnn_optimizer_load (c, path, &st) == DLNN_OK);   /* same sizes */
    dlnn_optimizer_free (c);
    dlnn_graph_free (gc);
    gc = dlnn_graph_new ("other2");
    dlnn_graph_add_param (gc, "W", dlnn_tensor_new4 (2, 3, 3, 0, 0), 1, &st);
    dlnn_graph_add_param (gc, "b", dlnn_tensor_new4 (1, 3, 0, 0, 0), 1, &st);
    c = dlnn_optimizer_new (gc, &cfg, &st);
    CHECK (dlnn_optimizer_load (c, path, &st) == DLNN_ERR_SHAPE);
    CHECK (strstr (st.message, "'W'") != NULL);
    dlnn_optimizer_free (c);
    dlnn_graph_free (gc);
  }
  unlink (path);
  unlink (bad);
  dlnn_optimizer_free (a);
  dlnn_optimizer_free (b);
  dlnn_graph_free (ga);
  dlnn_graph_free (gb);
}

/* ---- the step through an executor ---- */

static void
test_step_through_exec (void)
{
  /* y = x W^T + b (Gemm transB=1), x [2, 3], W [2, 3]. With the output
   * gradient dy, dW = dy^T x and db = sum over rows of dy; one plain SGD
   * step must give W - lr dW and b - lr db. */
  dlnn_graph *g = dlnn_graph_new ("gemm");
  dlnn_status st;
  const int64_t xd[2] = { 2, 3 };
  const char *ins[3] = { "x", "W", "b" };
  const char *outs[1] = { "y" };
  const float x[6] = { 1, 2, 3, -1, 0.5f, 2 };
  const float dy[4] = { 0.5f, -1, 2, 0.25f };
  float w0[6], b0[2];
  dlnn_tensor *w = dlnn_tensor_new4 (2, 2, 3, 0, 0);
  dlnn_tensor *b = dlnn_tensor_new4 (1, 2, 0, 0, 0);
  dlnn_exec *e = NULL;
  dlnn_optimizer *o = NULL;
  dlnn_optim_cfg cfg;
  dlnn_tensor *grad = dlnn_tensor_new4 (2, 2, 2, 0, 0);
  int node;

  for (int i = 0; i < 6; i++)
    w->data[i] = w0[i] = 0.1f * i - 0.2f;
  b->data[0] = b0[0] = 0.3f;
  b->data[1] = b0[1] = -0.1f;
  CHECK (dlnn_graph_add_input (g, "x", 2, xd, &st) >= 0);
  CHECK (dlnn_graph_add_param (g, "W", w, 1, &st) >= 0);
  CHECK (dlnn_graph_add_param (g, "b", b, 1, &st) >= 0);
  node = dlnn_graph_add_node (g, "Gemm", "fc", 3, ins, 1, outs, &st);
  CHECK (node >= 0);
  dlnn_node_set_int (g, node, "transB", 1);
  CHECK_OK (dlnn_graph_add_output (g, "y", &st), &st);
  if (dlnn_graph_finalize (g, &st) != DLNN_OK) {
    CHECK_MSG (0, "finalize: %s", st.message);
    goto out;
  }
  e = dlnn_exec_new (g, DLNN_EXEC_TRAINING, &st);
  CHECK_MSG (e != NULL, "%s", st.message);
  if (!e)
    goto out;
  CHECK_OK (dlnn_exec_reshape (e, 0, 2, xd, &st), &st);
  memcpy (dlnn_exec_input (e, 0)->data, x, sizeof (x));
  CHECK_OK (dlnn_exec_forward (e, &st), &st);
  memcpy (grad->data, dy, sizeof (dy));
  dlnn_exec_zero_grad (e);
  CHECK_OK (dlnn_exec_backward (e, 0, grad, &st), &st);
  dlnn_optim_cfg_init (&cfg, DLNN_OPTIM_SGD);
  cfg.momentum = 0;
  o = dlnn_optimizer_new (g, &cfg, &st);
  CHECK_OK (dlnn_optimizer_step (o, g, e, 0.5f, &st), &st);
  {
    const float *wn = g->values[dlnn_graph_find_value (g, "W")].init->data;
    const float *bn = g->values[dlnn_graph_find_value (g, "b")].init->data;
    for (int r = 0; r < 2; r++) {
      for (int c = 0; c < 3; c++) {
        double dw = dy[0 * 2 + r] * x[0 * 3 + c] + dy[1 * 2 + r] * x[1 * 3 + c];
        CHECK_CLOSE (wn[r * 3 + c], w0[r * 3 + c] - 0.5 * dw, 1e-6);
      }
      CHECK_CLOSE (bn[r], b0[r] - 0.5 * (dy[r] + dy[2 + r]), 1e-6);
    }
  }
out:
  dlnn_optimizer_free (o);
  dlnn_exec_free (e);
  dlnn_tensor_free (grad);
  dlnn_graph_free (g);
}

/* ---- schedules ---- */

static void
test_schedule (void)
{
  dlnn_schedule s = { DLNN_SCHEDULE_COSINE, 0.1f, 10, 0.001f, 0, 0 };

  /* warm-up: linear, first step base / 10, step 9 reaches base */
  CHECK_CLOSE (dlnn_schedule_lr (&s, 0, 110), 0.01, 1e-7);
  CHECK_CLOSE (dlnn_schedule_lr (&s, 4, 110), 0.05, 1e-7);
  CHECK_CLOSE (dlnn_schedule_lr (&s, 9, 110), 0.1, 1e-7);
  /* cosine over the remaining 100 steps: start, quarter, half, end */
  CHECK_CLOSE (dlnn_schedule_lr (&s, 10, 110), 0.1, 1e-7);
  CHECK_CLOSE (dlnn_schedule_lr (&s, 35, 110),
      0.001 + 0.099 * (1 + cos (3.14159265358979 / 4)) / 2, 1e-7);
  CHECK_CLOSE (dlnn_schedule_lr (&s, 60, 110), (0.1 + 0.001) / 2, 1e-7);
  CHECK_CLOSE (dlnn_schedule_lr (&s, 110, 110), 0.001, 1e-9);
  CHECK_CLOSE (dlnn_schedule_lr (&s, 500, 110), 0.001, 1e-9);
  /* monotonically non-increasing after warm-up */
  for (int i = 10; i < 110; i++)
    CHECK (dlnn_schedule_lr (&s, i + 1, 110) <= dlnn_schedule_lr (&s, i,
            110));

  s.kind = DLNN_SCHEDULE_STEP;
  s.warmup_steps = 0;
  s.step_size = 30;
  s.gamma = 0.1f;
  CHECK_CLOSE (dlnn_schedule_lr (&s, 0, 100), 0.1, 1e-8);
  CHECK_CLOSE (dlnn_schedule_lr (&s, 29, 100), 0.1, 1e-8);
  CHECK_CLOSE (dlnn_schedule_lr (&s, 30, 100), 0.01, 1e-8);
  CHECK_CLOSE (dlnn_schedule_lr (&s, 65, 100), 0.001, 1e-9);

  s.kind = DLNN_SCHEDULE_CONSTANT;
  s.warmup_steps = 4;
  CHECK_CLOSE (dlnn_schedule_lr (&s, 1, 100), 0.05, 1e-8);
  CHECK_CLOSE (dlnn_schedule_lr (&s, 4, 100), 0.1, 1e-8);
  CHECK_CLOSE (dlnn_schedule_lr (&s, 99, 100), 0.1, 1e-8);
}

int
main (void)
{
  DLNN_RUN (test_loss_hand_computed);
  DLNN_RUN (test_loss_gradient_fd);
  DLNN_RUN (test_loss_stable_and_errors);
  DLNN_RUN (test_init);
  DLNN_RUN (test_sgd_hand);
  DLNN_RUN (test_sgd);
  DLNN_RUN (test_adam);
  DLNN_RUN (test_adam_first_step_is_lr_sign);
  DLNN_RUN (test_nonfinite_gradient);
  DLNN_RUN (test_state_round_trip);
  DLNN_RUN (test_schedule);
  DLNN_RUN (test_step_through_exec);
  return dlnn_test_summary ();
}
