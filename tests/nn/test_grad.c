/* Finite-difference gradient checks of every differentiable op (central
 * differences, loss accumulated in double), called through the op vtables;
 * plus one small graph (Conv-BN-Relu-MaxPool-Flatten-Gemm) trained through
 * dlnn_exec, whose parameter gradients are checked the same way. */
#include "ops-harness.h"
#include "ops/conv.h"
#include "dlnn/exec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D(...) ((const int64_t[]) { __VA_ARGS__ })

#define EPS 1e-3
#define RTOL 1e-2
#define ATOL 2e-3
#define MAX_CHECKED 150         /* elements checked per input */

static double
loss_of (const dlnn_tensor * y, const dlnn_tensor * r)
{
  double s = 0.0;
  for (int64_t i = 0; i < y->size; i++)
    s += (double) y->data[i] * r->data[i];
  return s;
}

/* Checks d(sum(out0 * R))/d(input i) for each input i in @mask. The node
 * must be fully built (attributes, inputs). */
static void
grad_check (oc * c, unsigned mask, int training, const char *label)
{
  dlnn_tensor *r;
  int bad = 0, checked = 0;

  if (oc_prepare (c, training) != DLNN_OK) {
    CHECK_MSG (0, "%s: prepare: %s", label, c->st.message);
    return;
  }
  CHECK_OK (oc_forward (c), &c->st);
  r = oc_rand (c->out[0]->ndim, c->out[0]->dims, 1.0f);
  CHECK_OK (oc_backward (c, r, mask), &c->st);
  for (int i = 0; i < c->n_in; i++) {
    dlnn_tensor *x = c->in[i], *g = c->din[i];
    int64_t n;
    if (!((mask >> i) & 1) || !x)
      continue;
    if (!g) {
      CHECK_MSG (0, "%s: no gradient for input %d", label, i);
      continue;
    }
    n = x->size;
    for (int64_t k = 0; k < (n < MAX_CHECKED ? n : MAX_CHECKED); k++) {
      int64_t j = n <= MAX_CHECKED ? k :
          (int64_t) dlnn_rng_below (&oc_data_rng, (uint32_t) n);
      float orig = x->data[j];
      double lp, lm, num, ana = g->data[j];
      x->data[j] = (float) (orig + EPS);
      oc_forward (c);
      lp = loss_of (c->out[0], r);
      x->data[j] = (float) (orig - EPS);
      oc_forward (c);
      lm = loss_of (c->out[0], r);
      x->data[j] = orig;
      /* the perturbation actually applied, in float */
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
  dlnn_tensor_free (r);
}

/* ------------------------------------------------------------- Conv */

typedef struct gconv
{
  const char *label;
  int rank;
  int64_t n, c, h, w, m, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, group;
  int bias;
  const char *auto_pad;
  int chunk;                    /* force 2 images per GEMM */
} gconv;

static void
conv_grad_case (const gconv * k)
{
  oc c;
  int r = k->rank;

  oc_begin (&c, "Conv", "conv", k->bias ? 3 : 2, 0, 1);
  if (r == 2) {
    dlnn_node_set_ints (c.g, c.ni, "strides", 2, D (k->sh, k->sw));
    dlnn_node_set_ints (c.g, c.ni, "dilations", 2, D (k->dh, k->dw));
    if (!k->auto_pad)
      dlnn_node_set_ints (c.g, c.ni, "pads", 4, D (k->pt, k->pl, k->pb,
              k->pr));
    oc_set_in (&c, 0, oc_rand (4, D (k->n, k->c, k->h, k->w), 1.0f));
    oc_set_in (&c, 1, oc_rand (4, D (k->m, k->c / k->group, k->kh, k->kw),
            0.5f));
  } else {
    dlnn_node_set_ints (c.g, c.ni, "strides", 1, D (k->sw));
    dlnn_node_set_ints (c.g, c.ni, "dilations", 1, D (k->dw));
    dlnn_node_set_ints (c.g, c.ni, "pads", 2, D (k->pl, k->pr));
    oc_set_in (&c, 0, oc_rand (3, D (k->n, k->c, k->w), 1.0f));
    oc_set_in (&c, 1, oc_rand (3, D (k->m, k->c / k->group, k->kw), 0.5f));
  }
  if (k->auto_pad)
    dlnn_node_set_string (c.g, c.ni, "auto_pad", k->auto_pad);
  if (k->group != 1)
    dlnn_node_set_int (c.g, c.ni, "group", k->group);
  if (k->bias)
    oc_set_in (&c, 2, oc_rand (1, D (k->m), 1.0f));
  if (k->chunk) {
    /* room for exactly two images per chunk */
    int64_t oh = (k->h + k->pt + k->pb - ((k->kh - 1) * k->dh + 1)) / k->sh
        + 1;
    int64_t ow = (k->w + k->pl + k->pr - ((k->kw - 1) * k->dw + 1)) / k->sw
        + 1;
    dlnn_conv_set_chunking ((size_t) (2 * (k->c * k->kh * k->kw + k->m) * oh
            * ow), 1 << 20);
  }
  grad_check (&c, k->bias ? 7 : 3, 1, k->label);
  if (k->chunk) {
    CHECK (c.ws_size > (size_t) 0);
    dlnn_conv_set_chunking (0, 0);
  }
  oc_end (&c);
}

static void
test_grad_conv (void)
{
  static const gconv cases[] = {
    {"conv 3x3 pad 1", 2, 2, 2, 5, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {"conv stride 2 asym", 2, 2, 2, 6, 5, 2, 3, 2, 2, 2, 1, 1, 0, 1, 1, 0, 1,
        0},
    {"conv dilation 2", 2, 1, 2, 7, 6, 2, 2, 3, 1, 1, 2, 2, 1, 2, 1, 0, 1, 1},
    {"conv group 2", 2, 2, 4, 5, 4, 4, 3, 3, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1},
    {"conv depthwise", 2, 2, 3, 5, 6, 3, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 3, 1},
    {"conv depthwise x2 dilated", 2, 1, 2, 6, 6, 4, 3, 2, 1, 2, 2, 1, 2, 1, 2,
        1, 2, 1},
    {"conv pointwise", 2, 2, 3, 3, 4, 4, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1},
    {"conv pointwise group 3", 2, 2, 3, 3, 3, 6, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0,
        3, 1},
    {"conv 1x1 stride 2", 2, 2, 2, 5, 5, 3, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1,
        1},
    {"conv 1-D", 1, 2, 2, 1, 9, 3, 1, 3, 1, 2, 1, 2, 0, 2, 0, 1, 1, 1},
    {"conv SAME_UPPER", 2, 1, 2, 5, 6, 2, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, 1, 1,
        "SAME_UPPER"},
    {"conv chunked", 2, 5, 2, 4, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, NULL,
        1},
    {"conv chunked group", 2, 3, 4, 4, 5, 2, 2, 3, 1, 2, 1, 1, 1, 0, 0, 1, 2, 1,
        NULL, 1},
  };
  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    conv_grad_case (&cases[i]);
}

/* ------------------------------------------------------- Gemm/MatMul */

static void
test_grad_gemm (void)
{
  const int64_t M = 3, K = 4, N = 5;
  const int c_nd[] = { -1, 0, 1, 2, 2 };
  const int64_t c_d0[] = { 0, 0, N, M, M }, c_d1[] = { 0, 0, 0, 1, N };
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++)
      for (int ci = 0; ci < 5; ci++) {
        oc c;
        char label[64];
        int has_c = c_nd[ci] >= 0;
        snprintf (label, sizeof (label), "gemm tA=%d tB=%d C%d", ta, tb, ci);
        oc_begin (&c, "Gemm", "fc", has_c ? 3 : 2, 0, 1);
        dlnn_node_set_int (c.g, c.ni, "transA", ta);
        dlnn_node_set_int (c.g, c.ni, "transB", tb);
        dlnn_node_set_float (c.g, c.ni, "alpha", 0.8f);
        dlnn_node_set_float (c.g, c.ni, "beta", 1.7f);
        oc_set_in (&c, 0, oc_rand (2, ta ? D (K, M) : D (M, K), 1.0f));
        oc_set_in (&c, 1, oc_rand (2, tb ? D (N, K) : D (K, N), 1.0f));
        if (has_c)
          oc_set_in (&c, 2, oc_rand (c_nd[ci], D (c_d0[ci], c_d1[ci]), 1.0f));
        grad_check (&c, 7, 1, label);
        oc_end (&c);
      }
}

static void
test_grad_matmul (void)
{
  struct
  {
    int an, bn;
    int64_t ad[4], bd[4];
  } cases[] = {
    {2, 2, {3, 4}, {4, 2}},
    {1, 2, {4}, {4, 3}},
    {2, 1, {3, 4}, {4}},
    {3, 2, {2, 3, 4}, {4, 2}},
    {4, 3, {2, 1, 3, 4}, {3, 4, 2}},
    {2, 3, {3, 4}, {2, 4, 3}},
  };
  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
    oc c;
    char label[32];
    snprintf (label, sizeof (label), "matmul %zu", i);
    oc_begin (&c, "MatMul", "mm", 2, 0, 1);
    oc_set_in (&c, 0, oc_rand (cases[i].an, cases[i].ad, 1.0f));
    oc_set_in (&c, 1, oc_rand (cases[i].bn, cases[i].bd, 1.0f));
    grad_check (&c, 3, 1, label);
    oc_end (&c);
  }
}

/* ------------------------------------------------------------ pooling */

static void
pool_grad_case (const char *type, const char *label, int rank,
    const int64_t * xd, const int64_t * k, const int64_t * s,
    const int64_t * p, const int64_t * d, int ceil_mode, int cip)
{
  int is_max = strcmp (type, "MaxPool") == 0;
  for (int training = 0; training < 2; training++) {
    oc c;
    char l2[96];
    snprintf (l2, sizeof (l2), "%s %s%s", type, label,
        training ? " (saved argmax)" : "");
    oc_begin (&c, type, "pool", 1, 0, 1);
    dlnn_node_set_ints (c.g, c.ni, "kernel_shape", rank, k);
    dlnn_node_set_ints (c.g, c.ni, "strides", rank, s);
    dlnn_node_set_ints (c.g, c.ni, "pads", 2 * rank, p);
    if (d)
      dlnn_node_set_ints (c.g, c.ni, "dilations", rank, d);
    if (ceil_mode)
      dlnn_node_set_int (c.g, c.ni, "ceil_mode", 1);
    if (!is_max)
      dlnn_node_set_int (c.g, c.ni, "count_include_pad", cip);
    /* distinct values 0.01 apart: no ties within the perturbation */
    oc_set_in (&c, 0, is_max ? oc_distinct (rank + 2, xd, 0.01f) :
        oc_rand (rank + 2, xd, 1.0f));
    grad_check (&c, 1, training, l2);
    oc_end (&c);
  }
}

static void
test_grad_pool (void)
{
  const char *types[2] = { "MaxPool", "AveragePool" };
  for (int t = 0; t < 2; t++) {
    pool_grad_case (types[t], "2x2 s2", 2, D (2, 2, 4, 6), D (2, 2), D (2, 2),
        D (0, 0, 0, 0), NULL, 0, 0);
    pool_grad_case (types[t], "3x3 s2 pad 1", 2, D (1, 2, 5, 6), D (3, 3),
        D (2, 2), D (1, 1, 1, 1), NULL, 0, 0);
    pool_grad_case (types[t], "3x3 s2 pad 1 cip", 2, D (1, 2, 5, 6), D (3, 3),
        D (2, 2), D (1, 1, 1, 1), NULL, 0, 1);
    pool_grad_case (types[t], "ceil", 2, D (1, 2, 6, 5), D (3, 3), D (2, 2),
        D (1, 0, 1, 0), NULL, 1, 1);
    pool_grad_case (types[t], "dilation 2", 2, D (1, 1, 6, 7), D (2, 2),
        D (1, 2), D (1, 1, 1, 1), D (2, 2), 0, 0);
    pool_grad_case (types[t], "1-D", 1, D (2, 2, 9), D (3), D (2), D (1, 1),
        NULL, 1, 0);
  }
  for (int is_max = 0; is_max < 2; is_max++) {
    oc c;
    oc_begin (&c, is_max ? "GlobalMaxPool" : "GlobalAveragePool", "gp", 1, 0,
        1);
    oc_set_in (&c, 0, is_max ? oc_distinct (4, D (2, 3, 3, 4), 0.01f) :
        oc_rand (4, D (2, 3, 3, 4), 1.0f));
    grad_check (&c, 1, 1, is_max ? "GlobalMaxPool" : "GlobalAveragePool");
    oc_end (&c);
  }
}

/* ---------------------------------------------------------- BatchNorm */

static void
test_grad_batchnorm (void)
{
  for (int nd = 2; nd <= 4; nd += 2)
    for (int training = 0; training < 2; training++) {
      oc c;
      char label[64];
      snprintf (label, sizeof (label), "BatchNormalization %dD %s", nd,
          training ? "training" : "inference");
      oc_begin (&c, "BatchNormalization", "bn", 5, 0, 1);
      dlnn_node_set_float (c.g, c.ni, "epsilon", 1e-2f);
      oc_set_in (&c, 0, oc_rand (nd, D (nd == 2 ? 6 : 2, 3, 3, 4), 1.5f));
      oc_set_in (&c, 1, oc_rand (1, D (3), 1.0f));
      oc_set_in (&c, 2, oc_rand (1, D (3), 1.0f));
      oc_set_in (&c, 3, oc_rand (1, D (3), 0.5f));
      oc_set_in (&c, 4, oc_rand (1, D (3), 0.3f));
      for (int i = 0; i < 3; i++)
        c.in[4]->data[i] = 0.6f + fabsf (c.in[4]->data[i]);
      /* training: the mean/var inputs do not affect the output */
      grad_check (&c, training ? 7 : 31, training, label);
      oc_end (&c);
    }
}

/* -------------------------------------------------------- activations */

static void
test_grad_activations (void)
{
  const char *types[] = { "Relu", "LeakyRelu", "Sigmoid", "Tanh" };
  for (int t = 0; t < 4; t++) {
    oc c;
    oc_begin (&c, types[t], "act", 1, 0, 1);
    if (t == 1)
      dlnn_node_set_float (c.g, c.ni, "alpha", 0.1f);
    /* Relu kinks: distinct values, none within 0.005 of zero */
    oc_set_in (&c, 0, t < 2 ? oc_distinct (3, D (2, 3, 8), 0.05f)
        : oc_rand (3, D (2, 3, 8), 2.0f));
    grad_check (&c, 1, 1, types[t]);
    oc_end (&c);
  }
}

static void
test_grad_softmax (void)
{
  const char *types[2] = { "Softmax", "LogSoftmax" };
  const int64_t axes[3] = { -1, 1, 0 };
  for (int t = 0; t < 2; t++)
    for (int a = 0; a < 4; a++) {
      oc c;
      char label[64];
      snprintf (label, sizeof (label), "%s axis %lld%s", types[t],
          (long long) axes[a < 3 ? a : 1], a == 3 ? " opset 11" : "");
      oc_begin (&c, types[t], "sm", 1, 0, 1);
      if (a == 3)
        c.g->opset = 11;
      dlnn_node_set_int (c.g, c.ni, "axis", axes[a < 3 ? a : 1]);
      oc_set_in (&c, 0, oc_rand (3, D (2, 3, 4), 1.5f));
      grad_check (&c, 1, 1, label);
      oc_end (&c);
    }
}

/* ------------------------------------------------ dropout, shape ops */

static void
test_grad_dropout_and_shape (void)
{
  for (int training = 0; training < 2; training++) {
    oc c;
    oc_begin (&c, "Dropout", "do", 1, 0, 1);
    dlnn_node_set_float (c.g, c.ni, "ratio", 0.4f);
    oc_set_in (&c, 0, oc_rand (2, D (6, 7), 1.0f));
    grad_check (&c, 1, training, training ? "Dropout training" :
        "Dropout inference");
    oc_end (&c);
  }
  {
    oc c;
    oc_begin (&c, "Flatten", "fl", 1, 0, 1);
    dlnn_node_set_int (c.g, c.ni, "axis", 2);
    oc_set_in (&c, 0, oc_rand (4, D (2, 3, 2, 2), 1.0f));
    grad_check (&c, 1, 1, "Flatten");
    oc_end (&c);
  }
  {
    oc c;
    int64_t n = 2;
    dlnn_tensor *s = dlnn_tensor_new (DLNN_INT64, 1, &n, NULL);
    s->idata[0] = -1;
    s->idata[1] = 6;
    oc_begin (&c, "Reshape", "rs", 2, 0, 1);
    oc_set_in (&c, 0, oc_rand (3, D (2, 3, 2), 1.0f));
    oc_set_in (&c, 1, s);
    grad_check (&c, 1, 1, "Reshape");
    oc_end (&c);
  }
  {
    oc c;
    oc_begin (&c, "Identity", "id", 1, 0, 1);
    oc_set_in (&c, 0, oc_rand (2, D (3, 4), 1.0f));
    grad_check (&c, 1, 1, "Identity");
    oc_end (&c);
  }
  {
    oc c;
    oc_begin (&c, "Concat", "cat", 3, 0, 1);
    dlnn_node_set_int (c.g, c.ni, "axis", 1);
    oc_set_in (&c, 0, oc_rand (3, D (2, 1, 3), 1.0f));
    oc_set_in (&c, 1, oc_rand (3, D (2, 2, 3), 1.0f));
    oc_set_in (&c, 2, oc_rand (3, D (2, 3, 3), 1.0f));
    grad_check (&c, 7, 1, "Concat");
    oc_end (&c);
  }
}

/* ----------------------------------------------------- elementwise */

static void
test_grad_elementwise (void)
{
  const char *types[4] = { "Add", "Sub", "Mul", "Div" };
  struct
  {
    int an, bn;
    int64_t ad[4], bd[4];
  } cases[] = {
    {3, 3, {2, 3, 4}, {2, 3, 4}},
    {3, 1, {2, 3, 4}, {4}},
    {3, 0, {2, 3, 4}, {0}},
    {4, 4, {2, 3, 2, 2}, {1, 3, 1, 1}},
    {3, 2, {2, 1, 4}, {3, 1}},
    {2, 2, {4, 1}, {1, 3}},
  };
  for (int t = 0; t < 4; t++)
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
      oc c;
      char label[64];
      snprintf (label, sizeof (label), "%s case %zu", types[t], i);
      oc_begin (&c, types[t], "ew", 2, 0, 1);
      oc_set_in (&c, 0, oc_rand (cases[i].an, cases[i].ad, 1.0f));
      oc_set_in (&c, 1, oc_rand (cases[i].bn, cases[i].bd, 1.0f));
      for (int64_t k = 0; k < c.in[1]->size; k++)
        c.in[1]->data[k] += c.in[1]->data[k] >= 0 ? 0.7f : -0.7f;
      grad_check (&c, 3, 1, label);
      oc_end (&c);
    }
}

/* ------------------------------------ a small network through dlnn_exec */

static int
add_param (dlnn_graph * g, const char *name, int nd, const int64_t * d,
    float scale, float offset)
{
  dlnn_tensor *t = oc_rand (nd, d, scale);
  for (int64_t i = 0; i < t->size; i++)
    t->data[i] += offset;
  return dlnn_graph_add_param (g, name, t, 1, NULL);
}

static double
exec_loss (dlnn_exec * e, const dlnn_tensor * x, const dlnn_tensor * r,
    dlnn_status * st)
{
  const dlnn_tensor *y;
  memcpy (dlnn_exec_input (e, 0)->data, x->data,
      sizeof (float) * (size_t) x->size);
  if (dlnn_exec_forward (e, st) != DLNN_OK)
    return NAN;
  y = dlnn_exec_output (e, 0);
  return loss_of (y, r);
}

static void
test_grad_exec_network (void)
{
  dlnn_status st;
  dlnn_graph *g = dlnn_graph_new ("net");
  const char *conv_in[3] = { "x", "cw", "cb" }, *conv_out[1] = { "c" };
  const char *bn_in[5] = { "c", "s", "bb", "m", "v" }, *bn_out[1] = { "n" };
  const char *relu_in[1] = { "n" }, *relu_out[1] = { "r" };
  const char *mp_in[1] = { "r" }, *mp_out[1] = { "p" };
  const char *fl_in[1] = { "p" }, *fl_out[1] = { "f" };
  const char *fc_in[3] = { "f", "fw", "fb" }, *fc_out[1] = { "y" };
  const char *pnames[] = { "cw", "cb", "s", "bb", "fw", "fb" };
  dlnn_tensor *x = oc_rand (4, D (3, 2, 6, 6), 1.0f), *r;
  dlnn_exec *e;
  int node, bad = 0, checked = 0;

  dlnn_graph_add_input (g, "x", 4, D (-1, 2, 6, 6), &st);
  add_param (g, "cw", 4, D (4, 2, 3, 3), 0.4f, 0.0f);
  add_param (g, "cb", 1, D (4), 0.5f, 0.0f);
  add_param (g, "s", 1, D (4), 0.3f, 1.0f);
  add_param (g, "bb", 1, D (4), 0.5f, 0.0f);
  add_param (g, "m", 1, D (4), 0.0f, 0.0f);
  add_param (g, "v", 1, D (4), 0.0f, 1.0f);
  add_param (g, "fw", 2, D (5, 36), 0.3f, 0.0f);
  add_param (g, "fb", 1, D (5), 0.5f, 0.0f);
  /* running statistics are not trained */
  g->values[dlnn_graph_find_value (g, "m")].trainable = 0;
  g->values[dlnn_graph_find_value (g, "v")].trainable = 0;
  node = dlnn_graph_add_node (g, "Conv", "conv1", 3, conv_in, 1, conv_out,
      &st);
  dlnn_node_set_ints (g, node, "pads", 4, D (1, 1, 1, 1));
  dlnn_node_set_ints (g, node, "kernel_shape", 2, D (3, 3));
  dlnn_graph_add_node (g, "BatchNormalization", "bn1", 5, bn_in, 1, bn_out,
      &st);
  dlnn_graph_add_node (g, "Relu", "relu1", 1, relu_in, 1, relu_out, &st);
  node = dlnn_graph_add_node (g, "MaxPool", "pool1", 1, mp_in, 1, mp_out,
      &st);
  dlnn_node_set_ints (g, node, "kernel_shape", 2, D (2, 2));
  dlnn_node_set_ints (g, node, "strides", 2, D (2, 2));
  dlnn_graph_add_node (g, "Flatten", "flat", 1, fl_in, 1, fl_out, &st);
  node = dlnn_graph_add_node (g, "Gemm", "fc", 3, fc_in, 1, fc_out, &st);
  dlnn_node_set_int (g, node, "transB", 1);
  dlnn_graph_add_output (g, "y", &st);

  e = dlnn_exec_new (g, DLNN_EXEC_TRAINING, &st);
  CHECK_MSG (e != NULL, "%s", st.message);
  if (!e)
    goto out;
  CHECK_OK (dlnn_exec_reshape (e, 0, 4, x->dims, &st), &st);
  r = oc_rand (2, D (3, 5), 1.0f);
  dlnn_exec_zero_grad (e);
  CHECK (!isnan (exec_loss (e, x, r, &st)));
  CHECK_OK (dlnn_exec_backward (e, 0, r, &st), &st);

  for (size_t pi = 0; pi < sizeof (pnames) / sizeof (pnames[0]); pi++) {
    int v = dlnn_graph_find_value (g, pnames[pi]);
    dlnn_tensor *p = g->values[v].init;
    const dlnn_tensor *gr = dlnn_exec_grad (e, v);
    CHECK_MSG (gr != NULL, "no gradient for %s", pnames[pi]);
    if (!gr)
      continue;
    for (int64_t k = 0; k < p->size && k < 40; k++) {
      int64_t j = p->size <= 40 ? k :
          (int64_t) dlnn_rng_below (&oc_data_rng, (uint32_t) p->size);
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
          fprintf (stderr, "network d/d %s[%lld]: analytic %.6g numeric "
              "%.6g\n", pnames[pi], (long long) j, ana, num);
        bad++;
      }
    }
  }
  CHECK_MSG (bad == 0, "%d of %d parameter gradients wrong", bad, checked);
  /* the running statistics moved during the training forwards */
  CHECK (g->values[dlnn_graph_find_value (g, "m")].init->data[0] != 0.0f);
  dlnn_tensor_free (r);
  dlnn_exec_free (e);
out:
  dlnn_tensor_free (x);
  dlnn_graph_free (g);
}

int
main (void)
{
  dlnn_rng_seed (&oc_data_rng, 7);
  DLNN_RUN (test_grad_conv);
  DLNN_RUN (test_grad_gemm);
  DLNN_RUN (test_grad_matmul);
  DLNN_RUN (test_grad_pool);
  DLNN_RUN (test_grad_batchnorm);
  DLNN_RUN (test_grad_activations);
  DLNN_RUN (test_grad_softmax);
  DLNN_RUN (test_grad_dropout_and_shape);
  DLNN_RUN (test_grad_elementwise);
  DLNN_RUN (test_grad_exec_network);
  return dlnn_test_summary ();
}
