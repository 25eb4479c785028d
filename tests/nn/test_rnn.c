/* GRU and LSTM (nn/src/ops/rnn*.c): forward values against a naive
 * double-precision implementation of the ONNX equations (rnn-reference.h)
 * (both layouts, all directions, optional inputs present or not, GRU
 * linear_before_reset 0 and 1, LSTM with and without peepholes), at
 * inference and in training; finite-difference checks of the gradients of
 * every input through all outputs; attribute and input errors. */
#include "ops-harness.h"
#include "dlnn/exec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D(...) ((const int64_t[]) { __VA_ARGS__ })

#include "rnn-reference.h"

/* Builds the node with random inputs. */
static void
build (oc * c, const rcase * k)
{
  int64_t nd = n_dirs (k), H = k->h, G = k->kind == GRU ? 3 : 4;
  int n_in = k->kind == GRU ? 6 : 8;
  unsigned omit = 1u << 4;      /* sequence_lens */

  if (!k->bias)
    omit |= 1u << 3;
  if (!k->h0)
    omit |= 1u << 5;
  if (k->kind == LSTM && !k->c0)
    omit |= 1u << 6;
  if (k->kind == LSTM && !k->peep)
    omit |= 1u << 7;
  oc_begin (c, k->kind == GRU ? "GRU" : "LSTM", "rnn", n_in, omit, k->n_out);
  dlnn_node_set_int (c->g, c->ni, "hidden_size", H);
  dlnn_node_set_string (c->g, c->ni, "direction", k->dir);
  if (k->layout)
    dlnn_node_set_int (c->g, c->ni, "layout", 1);
  if (k->kind == GRU)
    dlnn_node_set_int (c->g, c->ni, "linear_before_reset", k->lbr);
  oc_set_in (c, 0, oc_rand (3, k->layout ? D (k->b, k->t, k->i)
          : D (k->t, k->b, k->i), 1.0f));
  oc_set_in (c, 1, oc_rand (3, D (nd, G * H, k->i), 0.6f));
  oc_set_in (c, 2, oc_rand (3, D (nd, G * H, H), 0.6f));
  if (k->bias)
    oc_set_in (c, 3, oc_rand (2, D (nd, 2 * G * H), 0.5f));
  if (k->h0)
    oc_set_in (c, 5, oc_rand (3, k->layout ? D (k->b, nd, H)
            : D (nd, k->b, H), 0.8f));
  if (k->kind == LSTM && k->c0)
    oc_set_in (c, 6, oc_rand (3, k->layout ? D (k->b, nd, H)
            : D (nd, k->b, H), 0.8f));
  if (k->kind == LSTM && k->peep)
    oc_set_in (c, 7, oc_rand (2, D (nd, 3 * H), 0.5f));
}

static void
label_of (const rcase * k, char *buf, size_t len)
{
  snprintf (buf, len, "%s%s %s layout %d T%lld B%lld I%lld H%lld%s%s%s%s",
      k->kind == GRU ? "GRU" : "LSTM", k->kind == GRU ? (k->lbr ? " lbr=1" :
          " lbr=0") : "", k->dir, k->layout, (long long) k->t,
      (long long) k->b, (long long) k->i, (long long) k->h,
      k->bias ? " B" : "", k->h0 ? " h0" : "",
      k->kind == LSTM && k->c0 ? " c0" : "",
      k->kind == LSTM && k->peep ? " P" : "");
}

static void
forward_case (const rcase * k)
{
  oc c;
  char label[160];
  int64_t ny, ns;
  double *y, *yh, *yc;

  label_of (k, label, sizeof (label));
  build (&c, k);
  ny = k->t * n_dirs (k) * k->b * k->h;
  ns = n_dirs (k) * k->b * k->h;
  y = calloc ((size_t) ny, sizeof (double));
  yh = calloc ((size_t) ns, sizeof (double));
  yc = calloc ((size_t) ns, sizeof (double));
  reference (k, (const dlnn_tensor * const *) c.in, y, yh, yc);
  for (int training = 0; training < 2; training++) {
    if (oc_prepare (&c, training) != DLNN_OK) {
      CHECK_MSG (0, "%s: prepare: %s", label, c.st.message);
      break;
    }
    CHECK_MSG (c.out[0]->size == ny, "%s: Y has %lld elements", label,
        (long long) c.out[0]->size);
    if (c.out[0]->size != ny)
      break;
    CHECK_OK (oc_forward (&c), &c.st);
    CHECK_MSG (max_abs_diff (c.out[0]->data, y, ny) < 2e-5,
        "%s training=%d: Y max diff %g", label, training,
        max_abs_diff (c.out[0]->data, y, ny));
    if (k->n_out > 1)
      CHECK_MSG (max_abs_diff (c.out[1]->data, yh, ns) < 2e-5,
          "%s training=%d: Y_h max diff %g", label, training,
          max_abs_diff (c.out[1]->data, yh, ns));
    if (k->n_out > 2)
      CHECK_MSG (max_abs_diff (c.out[2]->data, yc, ns) < 2e-5,
          "%s training=%d: Y_c max diff %g", label, training,
          max_abs_diff (c.out[2]->data, yc, ns));
  }
  free (y);
  free (yh);
  free (yc);
  oc_end (&c);
}

static const char *const dirs[] = { "forward", "reverse", "bidirectional" };

static void
test_gru_forward (void)
{
  for (int lbr = 0; lbr < 2; lbr++)
    for (int di = 0; di < 3; di++)
      for (int layout = 0; layout < 2; layout++) {
        rcase k = { GRU, lbr, dirs[di], layout, 5, 3, 4, 6, 1, 1, 0, 0, 2 };
        forward_case (&k);
        k.bias = k.h0 = 0;
        k.t = 1;
        k.b = 1;
        forward_case (&k);
      }
  {
    /* larger: hidden 40, batch 2 (GEMM paths with real blocking) */
    rcase k = { GRU, 1, "bidirectional", 1, 9, 2, 13, 40, 1, 1, 0, 0, 2 };
    forward_case (&k);
  }
}

static void
test_lstm_forward (void)
{
  for (int peep = 0; peep < 2; peep++)
    for (int di = 0; di < 3; di++)
      for (int layout = 0; layout < 2; layout++) {
        rcase k = { LSTM, 0, dirs[di], layout, 5, 3, 4, 6, 1, 1, 1, peep, 3 };
        forward_case (&k);
        k.bias = k.h0 = k.c0 = 0;
        k.n_out = 1;
        forward_case (&k);
      }
  {
    rcase k = { LSTM, 0, "forward", 0, 9, 2, 13, 40, 1, 1, 1, 0, 3 };
    forward_case (&k);
  }
}

/* ------------------------------------------------------------ grads */

#define EPS 1e-3
#define RTOL 1e-2
#define ATOL 2e-3

static double
loss_of (oc * c, dlnn_tensor * const *r, int n_out)
{
  double s = 0.0;
  for (int k = 0; k < n_out; k++)
    for (int64_t i = 0; r[k] && i < c->out[k]->size; i++)
      s += (double) c->out[k]->data[i] * r[k]->data[i];
  return s;
}

/* loss = sum over the outputs in @out_mask of out * R; checks the
 * gradient of every float input present. */
static void
grad_case (const rcase * k, unsigned out_mask)
{
  oc c;
  char label[200];
  dlnn_tensor *r[OC_MAX_OUT] = { NULL };
  const dlnn_tensor *dout[OC_MAX_OUT] = { NULL };
  dlnn_op_ctx ctx;
  int bad = 0, checked = 0;

  label_of (k, label, sizeof (label));
  snprintf (label + strlen (label), sizeof (label) - strlen (label),
      " outputs 0x%x", out_mask);
  build (&c, k);
  if (oc_prepare (&c, 1) != DLNN_OK) {
    CHECK_MSG (0, "%s: prepare: %s", label, c.st.message);
    oc_end (&c);
    return;
  }
  CHECK_OK (oc_forward (&c), &c.st);
  for (int o = 0; o < k->n_out; o++)
    if ((out_mask >> o) & 1) {
      r[o] = oc_rand (c.out[o]->ndim, c.out[o]->dims, 1.0f);
      dout[o] = r[o];
    }
  for (int i = 0; i < c.n_in; i++) {
    dlnn_tensor_free (c.din[i]);
    c.din[i] = c.in[i] && i != 4 ? dlnn_tensor_new (DLNN_FLOAT32,
        c.in[i]->ndim, c.in[i]->dims, NULL) : NULL;
  }
  oc_ctx (&c, &ctx);
  CHECK_OK (c.op->backward (oc_node (&c), &ctx,
          (const dlnn_tensor * const *) c.in,
          (const dlnn_tensor * const *) c.out, dout, c.din, &c.st), &c.st);
  for (int i = 0; i < c.n_in; i++) {
    dlnn_tensor *x = c.in[i], *g = c.din[i];
    if (!x || !g)
      continue;
    for (int64_t j = 0; j < x->size; j++) {
      float orig = x->data[j];
      double lp, lm, num, ana = g->data[j];
      x->data[j] = (float) (orig + EPS);
      oc_forward (&c);
      lp = loss_of (&c, r, k->n_out);
      x->data[j] = (float) (orig - EPS);
      oc_forward (&c);
      lm = loss_of (&c, r, k->n_out);
      x->data[j] = orig;
      num = (lp - lm) / ((double) (float) (orig + EPS) -
          (double) (float) (orig - EPS));
      checked++;
      if (!(fabs (num - ana) <= ATOL + RTOL * fmax (fabs (num), fabs (ana)))) {
        if (bad < 5)
          fprintf (stderr, "%s: d/d in%d[%lld]: analytic %.6g numeric "
              "%.6g\n", label, i, (long long) j, ana, num);
        bad++;
      }
    }
  }
  CHECK_MSG (bad == 0, "%s: %d of %d gradient entries wrong", label, bad,
      checked);
  CHECK_MSG (checked > 0, "%s: nothing checked", label);
  for (int o = 0; o < OC_MAX_OUT; o++)
    dlnn_tensor_free (r[o]);
  oc_end (&c);
}

static void
test_gru_grad (void)
{
  for (int lbr = 0; lbr < 2; lbr++)
    for (int di = 0; di < 3; di++)
      for (int layout = 0; layout < 2; layout++) {
        rcase k = { GRU, lbr, dirs[di], layout, 4, 2, 3, 3, 1, 1, 0, 0, 2 };
        grad_case (&k, 3);
        if (di == 0) {
          grad_case (&k, 1);    /* Y only */
          grad_case (&k, 2);    /* Y_h only */
        }
      }
}

static void
test_lstm_grad (void)
{
  for (int peep = 0; peep < 2; peep++)
    for (int di = 0; di < 3; di++)
      for (int layout = 0; layout < 2; layout++) {
        rcase k = { LSTM, 0, dirs[di], layout, 4, 2, 3, 3, 1, 1, 1, peep, 3 };
        grad_case (&k, 7);
        if (di == 1 && !peep) {
          grad_case (&k, 1);
          grad_case (&k, 4);    /* Y_c only */
        }
      }
}

/* ----------------------------------------------------------- errors */

static void
expect_error (oc * c, dlnn_code code, const char *needle, const char *what)
{
  dlnn_code got = oc_prepare (c, 0);
  if (got == DLNN_OK)
    got = oc_forward (c);
  CHECK_MSG (got == code, "%s: code %d (want %d): %s", what, (int) got,
      (int) code, c->st.message);
  CHECK_MSG (strstr (c->st.message, needle) != NULL,
      "%s: message '%s' lacks '%s'", what, c->st.message, needle);
  CHECK_MSG (strstr (c->st.message, "'rnn'") != NULL,
      "%s: message '%s' does not name the node", what, c->st.message);
}

static void
test_rnn_errors (void)
{
  rcase g = { GRU, 1, "forward", 0, 3, 2, 3, 4, 1, 1, 0, 0, 2 };
  rcase l = { LSTM, 0, "forward", 0, 3, 2, 3, 4, 1, 1, 1, 0, 3 };
  oc c;

  build (&c, &g);
  dlnn_node_set_string (c.g, c.ni, "activations", "Relu");
  expect_error (&c, DLNN_ERR_UNSUPPORTED, "activations", "GRU activations");
  oc_end (&c);

  build (&c, &g);
  dlnn_node_set_float (c.g, c.ni, "clip", 3.0f);
  expect_error (&c, DLNN_ERR_UNSUPPORTED, "clip", "GRU clip");
  oc_end (&c);

  build (&c, &g);
  dlnn_node_set_string (c.g, c.ni, "direction", "sideways");
  expect_error (&c, DLNN_ERR_UNSUPPORTED, "direction", "GRU direction");
  oc_end (&c);

  build (&c, &g);
  dlnn_node_set_int (c.g, c.ni, "linear_before_reset", 2);
  expect_error (&c, DLNN_ERR_INVALID, "linear_before_reset", "GRU lbr=2");
  oc_end (&c);

  build (&c, &l);
  dlnn_node_set_int (c.g, c.ni, "input_forget", 1);
  expect_error (&c, DLNN_ERR_UNSUPPORTED, "input_forget",
      "LSTM input_forget");
  oc_end (&c);

  build (&c, &l);
  oc_set_in (&c, 1, oc_rand (3, D (1, 12, 3), 1.0f));  /* 3H rows, not 4H */
  expect_error (&c, DLNN_ERR_SHAPE, "W must be [1, 16, 3]", "LSTM W shape");
  oc_end (&c);

  build (&c, &l);
  oc_set_in (&c, 5, oc_rand (3, D (1, 3, 4), 1.0f));   /* batch 3, not 2 */
  expect_error (&c, DLNN_ERR_SHAPE, "initial_h", "LSTM initial_h shape");
  oc_end (&c);

  build (&c, &g);
  dlnn_node_set_int (c.g, c.ni, "hidden_size", 5);
  expect_error (&c, DLNN_ERR_SHAPE, "R must be", "GRU hidden_size vs R");
  oc_end (&c);

  /* sequence_lens: all equal to T works, shorter ones are refused */
  for (int full = 0; full < 2; full++) {
    dlnn_tensor *lens;
    build (&c, &g);
    oc_node (&c)->inputs[4] = dlnn_graph_value (c.g, "i4");
    lens = dlnn_tensor_new (DLNN_INT64, 1, D (2), NULL);
    lens->idata[0] = 3;
    lens->idata[1] = full ? 3 : 2;
    oc_set_in (&c, 4, lens);
    if (full) {
      CHECK_OK (oc_prepare (&c, 0), &c.st);
      CHECK_OK (oc_forward (&c), &c.st);
    } else {
      expect_error (&c, DLNN_ERR_UNSUPPORTED, "sequence_lens[1]=2",
          "GRU sequence_lens");
    }
    oc_end (&c);
  }
}

/* ------------------------- two recurrent nodes through dlnn_exec */

static int
add_param (dlnn_graph * g, const char *name, int nd, const int64_t * d,
    float scale)
{
  return dlnn_graph_add_param (g, name, oc_rand (nd, d, scale), 1, NULL);
}

static double
exec_loss (dlnn_exec * e, const dlnn_tensor * x, const dlnn_tensor * r,
    dlnn_status * st)
{
  const dlnn_tensor *y;
  double s = 0.0;
  memcpy (dlnn_exec_input (e, 0)->data, x->data,
      sizeof (float) * (size_t) x->size);
  if (dlnn_exec_forward (e, st) != DLNN_OK)
    return NAN;
  y = dlnn_exec_output (e, 0);
  for (int64_t i = 0; i < y->size; i++)
    s += (double) y->data[i] * r->data[i];
  return s;
}

/* x [B=2, T=4, 3] -> GRU bidirectional layout 1 (H=3) -> Reshape
 * [2, 4, 6] -> LSTM reverse layout 1 (H=2) -> Y [2, 4, 1, 2]. Parameter
 * and input gradients by finite differences through the exec; an
 * inference exec gives the training exec's outputs. */
static void
test_rnn_exec (void)
{
  dlnn_status st;
  dlnn_graph *g = dlnn_graph_new ("rnn-net");
  const char *gin[] = { "x", "gw", "gr", "gb" }, *gout[] = { "gy", "gh" };
  const char *rin[] = { "gy", "shape" }, *rout[] = { "ry" };
  const char *lin[] = { "ry", "lw", "lr", "lb" }, *lout[] = { "y" };
  const char *pnames[] = { "gw", "gr", "gb", "lw", "lr", "lb" };
  dlnn_tensor *x = oc_rand (3, D (2, 4, 3), 1.0f), *r, *shape;
  dlnn_exec *e = NULL, *ei = NULL;
  int node, bad = 0, checked = 0;

  dlnn_graph_add_input (g, "x", 3, D (-1, 4, 3), &st);
  add_param (g, "gw", 3, D (2, 9, 3), 0.6f);
  add_param (g, "gr", 3, D (2, 9, 3), 0.6f);
  add_param (g, "gb", 2, D (2, 18), 0.5f);
  add_param (g, "lw", 3, D (1, 8, 6), 0.6f);
  add_param (g, "lr", 3, D (1, 8, 2), 0.6f);
  add_param (g, "lb", 2, D (1, 16), 0.5f);
  shape = dlnn_tensor_new (DLNN_INT64, 1, D (3), NULL);
  shape->idata[0] = 0;
  shape->idata[1] = 0;
  shape->idata[2] = -1;
  dlnn_graph_add_param (g, "shape", shape, 0, NULL);
  node = dlnn_graph_add_node (g, "GRU", "gru", 4, gin, 2, gout, &st);
  dlnn_node_set_int (g, node, "hidden_size", 3);
  dlnn_node_set_int (g, node, "layout", 1);
  dlnn_node_set_int (g, node, "linear_before_reset", 1);
  dlnn_node_set_string (g, node, "direction", "bidirectional");
  dlnn_graph_add_node (g, "Reshape", "reshape", 2, rin, 1, rout, &st);
  node = dlnn_graph_add_node (g, "LSTM", "lstm", 4, lin, 1, lout, &st);
  dlnn_node_set_int (g, node, "hidden_size", 2);
  dlnn_node_set_int (g, node, "layout", 1);
  dlnn_node_set_string (g, node, "direction", "reverse");
  dlnn_graph_add_output (g, "y", &st);
  CHECK_OK (dlnn_graph_finalize (g, &st), &st);

  e = dlnn_exec_new (g, DLNN_EXEC_TRAINING | DLNN_EXEC_INPUT_GRAD, &st);
  ei = dlnn_exec_new (g, DLNN_EXEC_INFERENCE, &st);
  CHECK_MSG (e != NULL && ei != NULL, "%s", st.message);
  if (!e || !ei)
    goto out;
  CHECK_OK (dlnn_exec_reshape (e, 0, 3, x->dims, &st), &st);
  CHECK_OK (dlnn_exec_reshape (ei, 0, 3, x->dims, &st), &st);
  r = oc_rand (4, D (2, 4, 1, 2), 1.0f);
  dlnn_exec_zero_grad (e);
  CHECK (!isnan (exec_loss (e, x, r, &st)));
  CHECK_OK (dlnn_exec_backward (e, 0, r, &st), &st);
  CHECK_CLOSE (exec_loss (ei, x, r, &st), exec_loss (e, x, r, &st), 1e-5);

  for (size_t pi = 0; pi <= sizeof (pnames) / sizeof (pnames[0]); pi++) {
    int v = pi < 6 ? dlnn_graph_find_value (g, pnames[pi])
        : dlnn_graph_find_value (g, "x");
    dlnn_tensor *p = pi < 6 ? g->values[v].init : x;
    const dlnn_tensor *gr = dlnn_exec_grad (e, v);
    CHECK_MSG (gr != NULL, "no gradient for value %d", v);
    if (!gr)
      continue;
    for (int64_t j = 0; j < p->size; j++) {
      float orig = p->data[j];
      double lp, lm, num, ana = gr->data[j];
      p->data[j] = (float) (orig + EPS);
      lp = exec_loss (e, x, r, &st);
      p->data[j] = (float) (orig - EPS);
      lm = exec_loss (e, x, r, &st);
      p->data[j] = orig;
      num = (lp - lm) / ((double) (float) (orig + EPS) -
          (double) (float) (orig - EPS));
      checked++;
      if (!(fabs (num - ana) <= ATOL + RTOL * fmax (fabs (num), fabs (ana)))) {
        if (bad < 5)
          fprintf (stderr, "rnn network d/d %s[%lld]: analytic %.6g "
              "numeric %.6g\n", pi < 6 ? pnames[pi] : "x", (long long) j,
              ana, num);
        bad++;
      }
    }
  }
  CHECK_MSG (bad == 0, "%d of %d gradients wrong", bad, checked);
  CHECK (checked > 100);
  dlnn_tensor_free (r);
out:
  dlnn_exec_free (e);
  dlnn_exec_free (ei);
  dlnn_tensor_free (x);
  dlnn_graph_free (g);
}

int
main (void)
{
  dlnn_rng_seed (&oc_data_rng, 20240611);
  DLNN_RUN (test_gru_forward);
  DLNN_RUN (test_lstm_forward);
  DLNN_RUN (test_gru_grad);
  DLNN_RUN (test_lstm_grad);
  DLNN_RUN (test_rnn_errors);
  DLNN_RUN (test_rnn_exec);
  return dlnn_test_summary ();
}
