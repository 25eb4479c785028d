/* dltrain's crnn architecture (nn/trainer/arch.c): the graph dt_arch_build
 * makes for [N, 1, T, F] input has the documented ops and shapes (GRU
 * over T / 4 steps of 4W F / 4 features, hidden 4W, mean over time, K
 * logits; a Softmax output for export, rows summing to 1), and the
 * gradients dlnn_exec back-propagates through it (d/d input and
 * d/d GRU, convolution and output weights) agree with central finite
 * differences of the forward pass in training mode (batch statistics,
 * dropout ratio set to 0).
 *
 *   arch_crnn          exit 0 when every check passes */
#include "dltrain.h"
#include "dlnn/exec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EPS 1e-3
#define RTOL 2e-2
#define ATOL 2e-3
#define CHECKED 40

static int failures;

#define CHECK(cond, ...) do { \
    if (!(cond)) { \
      fprintf (stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      fprintf (stderr, __VA_ARGS__); \
      fputc ('\n', stderr); \
      failures++; \
    } \
  } while (0)

static const dlnn_tensor *
value_init (const dlnn_graph * g, const char *name)
{
  int v = dlnn_graph_find_value (g, name);
  return v >= 0 ? g->values[v].init : NULL;
}

static int
has_op (const dlnn_graph * g, const char *op)
{
  for (int i = 0; i < g->n_nodes; i++)
    if (strcmp (g->nodes[i].op_type, op) == 0)
      return 1;
  return 0;
}

static double
loss_of (const dlnn_tensor * y, const float *r)
{
  double s = 0.0;
  for (int64_t i = 0; i < y->size; i++)
    s += (double) y->data[i] * r[i];
  return s;
}

static double
forward_loss (dlnn_exec * e, const float *r)
{
  dlnn_status st = { 0 };
  if (dlnn_exec_forward (e, &st) != DLNN_OK) {
    CHECK (0, "forward: %s", st.message);
    return NAN;
  }
  return loss_of (dlnn_exec_output (e, 0), r);
}

/* d(sum (logits * r)) / d(@x[j]) for CHECKED entries of @x (its gradient
 * @g) against central differences. */
static void
check_grad (dlnn_exec * e, float *x, const float *g, int64_t n,
    const float *r, const char *what, dlnn_rng * rng)
{
  int bad = 0;

  for (int k = 0; k < CHECKED; k++) {
    int64_t j = n <= CHECKED ? k % n : (int64_t) dlnn_rng_below (rng,
        (uint32_t) n);
    float orig = x[j];
    double lp, lm, num;
    x[j] = (float) (orig + EPS);
    lp = forward_loss (e, r);
    x[j] = (float) (orig - EPS);
    lm = forward_loss (e, r);
    x[j] = orig;
    num = (lp - lm) / ((double) (float) (orig + EPS) -
        (double) (float) (orig - EPS));
    if (!(fabs (num - g[j]) <= ATOL + RTOL * fmax (fabs (num),
                fabs (g[j])))) {
      if (bad < 3)
        fprintf (stderr, "%s[%lld]: analytic %.6g numeric %.6g\n", what,
            (long long) j, g[j], num);
      bad++;
    }
  }
  /* a ReLU or max-pool kink inside +-EPS can spoil one difference */
  CHECK (bad <= 1, "%s: %d of %d gradient entries wrong", what, bad,
      CHECKED);
}

int
main (void)
{
  enum { N = 2, T = 16, F = 8, K = 3, W = 2 };
  const int64_t in_dims[4] = { N, 1, T, F };
  dlnn_status st = { 0 };
  dlnn_rng rng, data;
  dlnn_graph *g, *xg;
  dlnn_exec *e;
  dlnn_tensor *x;
  const dlnn_tensor *t;
  float r[N * K];
  dt_arch a;
  const char *params[] = { "gru.W", "gru.R", "gru.B", "conv1.weight",
    "conv5.weight", "logits.weight"
  };

  CHECK (dt_arch_parse ("crnn", &a) && a == DT_ARCH_CRNN, "parse crnn");
  CHECK (strcmp (dt_arch_name (DT_ARCH_CRNN), "crnn") == 0, "name");
  dlnn_rng_seed (&rng, 7);
  dlnn_rng_seed (&data, 11);
  g = dt_arch_build (DT_ARCH_CRNN, W, 1, T, F, K, 0, &rng, &st);
  CHECK (g != NULL, "build: %s", st.message);
  if (!g)
    return 1;
  /* GRU input [T/4, N, 4W * F/4], hidden 4W */
  t = value_init (g, "gru.W");
  CHECK (t && t->ndim == 3 && t->dims[0] == 1 && t->dims[1] == 3 * 4 * W
      && t->dims[2] == 4 * W * (F / 4), "gru.W shape");
  t = value_init (g, "gru.R");
  CHECK (t && t->dims[1] == 3 * 4 * W && t->dims[2] == 4 * W, "gru.R shape");
  t = value_init (g, "logits.weight");
  CHECK (t && t->dims[0] == K && t->dims[1] == 4 * W, "logits.weight shape");
  t = value_init (g, "gru.W");
  {
    /* uniform in +-1/sqrt(4W), not all zero */
    double mx = 0;
    for (int64_t i = 0; t && i < t->size; i++)
      mx = fmax (mx, fabs (t->data[i]));
    CHECK (mx > 0.1 && mx <= 1.0 / sqrt (4.0 * W) + 1e-6, "gru.W init %g",
        mx);
  }
  CHECK (has_op (g, "GRU") && has_op (g, "ReduceMean") &&
      has_op (g, "Transpose") && has_op (g, "Reshape") &&
      !has_op (g, "Flatten"), "ops");

  /* export graph: Softmax output [N, K] */
  xg = dt_arch_build (DT_ARCH_CRNN, W, 1, T, F, K, 1, NULL, &st);
  CHECK (xg != NULL, "build export: %s", st.message);
  if (xg) {
    CHECK (dt_graph_copy_params (xg, g, &st) == DLNN_OK, "copy: %s",
        st.message);
    CHECK (dlnn_graph_finalize (xg, &st) == DLNN_OK, "finalize: %s",
        st.message);
    e = dlnn_exec_new (xg, DLNN_EXEC_INFERENCE, &st);
    CHECK (e != NULL, "exec: %s", st.message);
    if (e && dlnn_exec_reshape (e, 0, 4, in_dims, &st) == DLNN_OK) {
      x = dlnn_exec_input (e, 0);
      for (int64_t i = 0; i < x->size; i++)
        x->data[i] = 2 * dlnn_rng_uniform (&data) - 1;
      CHECK (dlnn_exec_forward (e, &st) == DLNN_OK, "forward: %s",
          st.message);
      t = dlnn_exec_output (e, 0);
      CHECK (t->ndim == 2 && t->dims[0] == N && t->dims[1] == K,
          "output shape");
      for (int n = 0; n < N; n++) {
        double s = 0;
        for (int k = 0; k < K; k++)
          s += t->data[n * K + k];
        CHECK (fabs (s - 1) < 1e-5, "softmax row %d sums to %g", n, s);
      }
    } else {
      CHECK (0, "reshape: %s", st.message);
    }
    dlnn_exec_free (e);
    dlnn_graph_free (xg);
  }

  /* gradients in training mode, dropout off */
  {
    int v = dlnn_graph_find_value (g, "dropout.ratio");
    CHECK (v >= 0, "no dropout.ratio");
    if (v >= 0)
      g->values[v].init->data[0] = 0.0f;
  }
  CHECK (dlnn_graph_finalize (g, &st) == DLNN_OK, "finalize: %s",
      st.message);
  e = dlnn_exec_new (g, DLNN_EXEC_TRAINING | DLNN_EXEC_INPUT_GRAD, &st);
  CHECK (e != NULL, "training exec: %s", st.message);
  if (!e || dlnn_exec_reshape (e, 0, 4, in_dims, &st) != DLNN_OK) {
    CHECK (0, "training reshape: %s", st.message);
    return 1;
  }
  x = dlnn_exec_input (e, 0);
  for (int64_t i = 0; i < x->size; i++)
    x->data[i] = 2 * dlnn_rng_uniform (&data) - 1;
  for (int i = 0; i < N * K; i++)
    r[i] = 2 * dlnn_rng_uniform (&data) - 1;
  forward_loss (e, r);
  t = dlnn_exec_output (e, 0);
  CHECK (t->ndim == 2 && t->dims[0] == N && t->dims[1] == K,
      "logits shape");
  {
    dlnn_tensor *rt = dlnn_tensor_new (DLNN_FLOAT32, 2,
        (const int64_t[]) { N, K }, &st);
    dlnn_tensor *gx;
    memcpy (rt->data, r, sizeof (r));
    dlnn_exec_zero_grad (e);
    CHECK (dlnn_exec_backward (e, 0, rt, &st) == DLNN_OK, "backward: %s",
        st.message);
    dlnn_tensor_free (rt);
    gx = dlnn_exec_grad (e, dlnn_graph_find_value (g, "input"));
    CHECK (gx != NULL, "no input gradient");
    if (gx) {
      float *copy = malloc ((size_t) gx->size * sizeof (float));
      memcpy (copy, gx->data, (size_t) gx->size * sizeof (float));
      check_grad (e, x->data, copy, x->size, r, "input", &data);
      free (copy);
    }
    for (size_t p = 0; p < sizeof (params) / sizeof (params[0]); p++) {
      int v = dlnn_graph_find_value (g, params[p]);
      dlnn_tensor *gp = v >= 0 ? dlnn_exec_grad (e, v) : NULL;
      dlnn_tensor *w = v >= 0 ? g->values[v].init : NULL;
      float *copy;
      CHECK (gp && w, "no gradient for %s", params[p]);
      if (!gp || !w)
        continue;
      copy = malloc ((size_t) gp->size * sizeof (float));
      memcpy (copy, gp->data, (size_t) gp->size * sizeof (float));
      check_grad (e, w->data, copy, w->size, r, params[p], &data);
      free (copy);
    }
  }
  dlnn_exec_free (e);
  dlnn_graph_free (g);
  if (failures)
    fprintf (stderr, "%d checks failed\n", failures);
  else
    printf ("PASS\n");
  return failures ? 1 : 0;
}
