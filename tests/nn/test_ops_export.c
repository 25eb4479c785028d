/* Ops added for exported models (issue 3): Pad, Clip, HardSigmoid,
 * HardSwish, Transpose, Slice, Split, Squeeze, Unsqueeze, ReduceMean.
 * Forward values against naive loops written here (index arithmetic per
 * element, independent of the ops' strided views), attribute/input
 * variants per opset, error messages, and finite-difference gradients. */
#include "ops-harness.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D(...) ((const int64_t[]) { __VA_ARGS__ })

#define EPS 1e-3
#define RTOL 1e-2
#define ATOL 2e-3

static dlnn_tensor *
ints (int n, const int64_t * v)
{
  int64_t d = n;
  dlnn_tensor *t = dlnn_tensor_new (DLNN_INT64, 1, &d, NULL);
  for (int i = 0; t && i < n; i++)
    t->idata[i] = v[i];
  return t;
}

static double
loss_of (const dlnn_tensor * y, const dlnn_tensor * r)
{
  double s = 0.0;
  for (int64_t i = 0; i < y->size; i++)
    s += (double) y->data[i] * r->data[i];
  return s;
}

/* d(sum(out0 * R))/d(input 0) by central differences. */
static void
grad_check0 (oc * c, const char *label)
{
  dlnn_tensor *r, *x, *g;
  int bad = 0;

  if (oc_prepare (c, 1) != DLNN_OK) {
    CHECK_MSG (0, "%s: prepare: %s", label, c->st.message);
    return;
  }
  CHECK_OK (oc_forward (c), &c->st);
  r = oc_rand (c->out[0]->ndim, c->out[0]->dims, 1.0f);
  CHECK_OK (oc_backward (c, r, 1), &c->st);
  x = c->in[0];
  g = c->din[0];
  CHECK (g != NULL);
  for (int64_t j = 0; g && j < x->size; j++) {
    float orig = x->data[j];
    double lp, lm, num, ana = g->data[j];
    x->data[j] = (float) (orig + EPS);
    oc_forward (c);
    lp = loss_of (c->out[0], r);
    x->data[j] = (float) (orig - EPS);
    oc_forward (c);
    lm = loss_of (c->out[0], r);
    x->data[j] = orig;
    num = (lp - lm) / (2 * EPS);
    if (fabs (num - ana) > ATOL + RTOL * fabs (num)) {
      if (bad++ < 3)
        fprintf (stderr, "%s: d/dx[%lld] numeric %g analytic %g\n", label,
            (long long) j, num, ana);
    }
  }
  CHECK_MSG (bad == 0, "%s: %d gradient mismatches", label, bad);
  dlnn_tensor_free (r);
}

/* Runs forward and compares out[o] with @ref (doubles). */
static void
check_forward (oc * c, int o, const double *ref, int64_t n, double tol,
    const char *label)
{
  CHECK_MSG (oc_prepare (c, 0) == DLNN_OK, "%s: %s", label, c->st.message);
  if (!c->out[o])
    return;
  CHECK_MSG (c->out[o]->size == n, "%s: %lld elements, expected %lld",
      label, (long long) c->out[o]->size, (long long) n);
  CHECK_OK (oc_forward (c), &c->st);
  if (c->out[o]->size == n)
    CHECK_MSG (max_abs_diff (c->out[o]->data, ref, n) <= tol,
        "%s: max diff %g", label, max_abs_diff (c->out[o]->data, ref, n));
}

/* ------------------------------------------------------------- Pad */

static int64_t
naive_pad_index (int mode, int64_t o, int64_t b, int64_t s)
{
  int64_t i = o - b;
  if (mode == 0)
    return i >= 0 && i < s ? i : -1;
  if (mode == 2)
    return i < 0 ? 0 : (i >= s ? s - 1 : i);
  /* reflect, one bounce at a time */
  while (i < 0 || i >= s) {
    if (i < 0)
      i = -i;
    if (i >= s)
      i = 2 * (s - 1) - i;
  }
  return i;
}

static void
test_pad (void)
{
  static const char *modes[] = { "constant", "reflect", "edge" };
  /* [2, 3, 4, 5] padded on H and W (begin 1, 2; end 2, -1) */
  const int64_t pads[8] = { 0, 0, 1, 2, 0, 0, 2, -1 };
  for (int m = 0; m < 3; m++)
    for (int opset = 10; opset <= 13; opset += 3) {
      oc c;
      char label[64];
      int64_t oh = 4 + 3, ow = 5 + 1;
      double *ref = malloc (sizeof (double) * 2 * 3 * oh * ow);
      snprintf (label, sizeof (label), "Pad %s opset %d", modes[m], opset);
      oc_begin (&c, "Pad", "pad", opset >= 11 ? 3 : 1, 0, 1);
      c.g->opset = opset;
      dlnn_node_set_string (c.g, c.ni, "mode", modes[m]);
      oc_set_in (&c, 0, oc_rand (4, D (2, 3, 4, 5), 1.0f));
      if (opset >= 11) {
        oc_set_in (&c, 1, ints (8, pads));
        oc_set_in (&c, 2, oc_scalar (0.75f));
      } else {
        dlnn_node_set_ints (c.g, c.ni, "pads", 8, pads);
        dlnn_node_set_float (c.g, c.ni, "value", 0.75f);
      }
      for (int64_t nc = 0; nc < 6; nc++)
        for (int64_t y = 0; y < oh; y++)
          for (int64_t x = 0; x < ow; x++) {
            int64_t iy = naive_pad_index (m, y, 1, 4);
            int64_t ix = naive_pad_index (m, x, 2, 5);
            ref[(nc * oh + y) * ow + x] = iy < 0 || ix < 0 ? 0.75 :
                c.in[0]->data[(nc * 4 + iy) * 5 + ix];
          }
      check_forward (&c, 0, ref, 2 * 3 * oh * ow, 0.0, label);
      if (c.out[0])
        CHECK (c.out[0]->dims[2] == oh && c.out[0]->dims[3] == ow);
      grad_check0 (&c, label);
      oc_end (&c);
      free (ref);
    }
  {
    oc c;
    oc_begin (&c, "Pad", "badpad", 2, 0, 1);
    c.g->opset = 13;
    dlnn_node_set_string (c.g, c.ni, "mode", "wrap");
    oc_set_in (&c, 0, oc_rand (2, D (2, 3), 1.0f));
    oc_set_in (&c, 1, ints (4, D (0, 1, 0, 1)));
    CHECK (oc_prepare (&c, 0) == DLNN_ERR_UNSUPPORTED);
    CHECK_MSG (strstr (c.st.message, "mode") && strstr (c.st.message,
            "wrap") && strstr (c.st.message, "badpad")
        && strstr (c.st.message, "opset 13"), "%s", c.st.message);
    oc_end (&c);
  }
}

/* ------------------------------------------- Clip, hard activations */

static void
test_clip_hard (void)
{
  for (int v = 0; v < 4; v++) {
    /* 0: opset 13 min+max inputs, 1: only max (min omitted),
     * 2: opset 6 attributes, 3: no bounds */
    oc c;
    const int64_t n = 200;
    double ref[200], lo = v == 1 || v == 3 ? -INFINITY : -0.5;
    double hi = v == 3 ? INFINITY : (double) 0.8f;
    oc_begin (&c, "Clip", "clip", v == 2 || v == 3 ? 1 : 3, v == 1 ? 2 : 0,
        1);
    c.g->opset = v == 2 ? 6 : 13;
    oc_set_in (&c, 0, oc_distinct (1, &n, 0.0123f));
    if (v == 0)
      oc_set_in (&c, 1, oc_scalar (-0.5f));
    if (v <= 1)
      oc_set_in (&c, 2, oc_scalar (0.8f));
    if (v == 2) {
      dlnn_node_set_float (c.g, c.ni, "min", -0.5f);
      dlnn_node_set_float (c.g, c.ni, "max", 0.8f);
    }
    for (int i = 0; i < n; i++) {
      double x = c.in[0]->data[i];
      ref[i] = x < lo ? lo : (x > hi ? hi : x);
    }
    check_forward (&c, 0, ref, n, 0.0, "Clip");
    grad_check0 (&c, "Clip");
    oc_end (&c);
  }
  {
    oc c;
    const int64_t n = 300;
    double ref[300];
    oc_begin (&c, "HardSigmoid", "hs", 1, 0, 1);
    dlnn_node_set_float (c.g, c.ni, "alpha", 0.25f);
    dlnn_node_set_float (c.g, c.ni, "beta", 0.4f);
    oc_set_in (&c, 0, oc_distinct (1, &n, 0.0297f));
    for (int i = 0; i < n; i++) {
      double t = 0.25 * c.in[0]->data[i] + 0.4;
      ref[i] = t < 0 ? 0 : (t > 1 ? 1 : t);
    }
    check_forward (&c, 0, ref, n, 1e-6, "HardSigmoid");
    grad_check0 (&c, "HardSigmoid");
    oc_end (&c);
  }
  {
    oc c;
    const int64_t n = 300;
    double ref[300];
    oc_begin (&c, "HardSwish", "hw", 1, 0, 1);
    oc_set_in (&c, 0, oc_distinct (1, &n, 0.0331f));
    for (int i = 0; i < n; i++) {
      double x = c.in[0]->data[i];
      /* PyTorch: x * relu6 (x + 3) / 6 */
      double r6 = x + 3 < 0 ? 0 : (x + 3 > 6 ? 6 : x + 3);
      ref[i] = x * r6 / 6.0;
    }
    check_forward (&c, 0, ref, n, 1e-6, "HardSwish");
    grad_check0 (&c, "HardSwish");
    oc_end (&c);
  }
}

/* -------------------------------------------------------- Transpose */

static void
test_transpose (void)
{
  /* shufflenet's channel shuffle: [1, 2, 3, 4, 5] perm (0, 2, 1, 3, 4),
   * and a full reversal without perm */
  for (int v = 0; v < 2; v++) {
    oc c;
    const int64_t *dx = D (2, 2, 3, 4, 5);
    int64_t od[5], pm[5] = { 0, 2, 1, 3, 4 };
    double *ref = malloc (sizeof (double) * 240);
    oc_begin (&c, "Transpose", "tr", 1, 0, 1);
    if (v == 0)
      dlnn_node_set_ints (c.g, c.ni, "perm", 5, pm);
    else
      for (int d = 0; d < 5; d++)
        pm[d] = 4 - d;
    oc_set_in (&c, 0, oc_rand (5, dx, 1.0f));
    for (int d = 0; d < 5; d++)
      od[d] = dx[pm[d]];
    for (int64_t k = 0; k < 240; k++) {
      int64_t o[5], i[5], rem = k, src = 0;
      for (int d = 4; d >= 0; d--) {
        o[d] = rem % od[d];
        rem /= od[d];
      }
      for (int d = 0; d < 5; d++)
        i[pm[d]] = o[d];
      for (int d = 0; d < 5; d++)
        src = src * dx[d] + i[d];
      ref[k] = c.in[0]->data[src];
    }
    check_forward (&c, 0, ref, 240, 0.0, v ? "Transpose default" :
        "Transpose perm");
    grad_check0 (&c, "Transpose");
    oc_end (&c);
    free (ref);
  }
}

/* ---------------------------------------------------- Slice, Split */

static void
test_slice_split (void)
{
  /* [3, 4, 6]: axis 2 from 1 to INT64_MAX step 2, axis -3 from -1 down
   * to the start (step -1), axis 1 untouched */
  for (int v = 0; v < 2; v++) {
    oc c;
    double ref[3 * 4 * 3];
    int k = 0;
    oc_begin (&c, "Slice", "sl", v == 0 ? 5 : 1, 0, 1);
    c.g->opset = v == 0 ? 13 : 9;
    oc_set_in (&c, 0, oc_rand (3, D (3, 4, 6), 1.0f));
    if (v == 0) {
      oc_set_in (&c, 1, ints (2, D (1, -1)));
      oc_set_in (&c, 2, ints (2, D (INT64_MAX, INT64_MIN)));
      oc_set_in (&c, 3, ints (2, D (2, -3)));
      oc_set_in (&c, 4, ints (2, D (2, -1)));
      for (int a = 2; a >= 0; a--)
        for (int b = 0; b < 4; b++)
          for (int e = 1; e < 6; e += 2)
            ref[k++] = c.in[0]->data[(a * 4 + b) * 6 + e];
      check_forward (&c, 0, ref, 36, 0.0, "Slice steps");
    } else {
      /* opset 9: attributes, ends clamped */
      dlnn_node_set_ints (c.g, c.ni, "starts", 2, D (1, 2));
      dlnn_node_set_ints (c.g, c.ni, "ends", 2, D (1000, 5));
      dlnn_node_set_ints (c.g, c.ni, "axes", 2, D (0, 2));
      for (int a = 1; a < 3; a++)
        for (int b = 0; b < 4; b++)
          for (int e = 2; e < 5; e++)
            ref[k++] = c.in[0]->data[(a * 4 + b) * 6 + e];
      check_forward (&c, 0, ref, k, 0.0, "Slice opset 9");
    }
    grad_check0 (&c, "Slice");
    oc_end (&c);
  }
  for (int v = 0; v < 3; v++) {
    /* 0: opset 13 split input [1, 3, 2], 1: opset 11 attribute, 2: equal */
    oc c;
    const int64_t sizes[3] = { 1, 3, 2 };
    oc_begin (&c, "Split", "sp", v == 0 ? 2 : 1, 0, 3);
    c.g->opset = v == 0 ? 13 : 11;
    dlnn_node_set_int (c.g, c.ni, "axis", -1);
    oc_set_in (&c, 0, oc_rand (3, D (2, 3, 6), 1.0f));
    if (v == 0)
      oc_set_in (&c, 1, ints (3, sizes));
    else if (v == 1)
      dlnn_node_set_ints (c.g, c.ni, "split", 3, sizes);
    CHECK_MSG (oc_prepare (&c, 0) == DLNN_OK, "%s", c.st.message);
    CHECK_OK (oc_forward (&c), &c.st);
    for (int o = 0, start = 0; o < 3 && c.out[o]; o++) {
      int64_t len = v == 2 ? 2 : sizes[o];
      double ref[36];
      int k = 0;
      for (int r = 0; r < 6; r++)
        for (int e = 0; e < len; e++)
          ref[k++] = c.in[0]->data[r * 6 + start + e];
      CHECK (c.out[o]->dims[2] == len);
      CHECK (max_abs_diff (c.out[o]->data, ref, k) == 0.0);
      start += (int) len;
    }
    grad_check0 (&c, "Split");
    oc_end (&c);
  }
}

/* ------------------------------------------- Squeeze, Unsqueeze */

static void
test_squeeze (void)
{
  for (int opset = 11; opset <= 13; opset += 2) {
    oc c;
    oc_begin (&c, "Unsqueeze", "us", opset >= 13 ? 2 : 1, 0, 1);
    c.g->opset = opset;
    oc_set_in (&c, 0, oc_rand (2, D (3, 4), 1.0f));
    if (opset >= 13)
      oc_set_in (&c, 1, ints (2, D (0, -1)));
    else
      dlnn_node_set_ints (c.g, c.ni, "axes", 2, D (0, -1));
    CHECK_MSG (oc_prepare (&c, 0) == DLNN_OK, "%s", c.st.message);
    CHECK (c.out[0] && c.out[0]->ndim == 4 && c.out[0]->dims[0] == 1
        && c.out[0]->dims[1] == 3 && c.out[0]->dims[2] == 4
        && c.out[0]->dims[3] == 1);
    grad_check0 (&c, "Unsqueeze");
    oc_end (&c);

    oc_begin (&c, "Squeeze", "sq", opset >= 13 ? 2 : 1, 0, 1);
    c.g->opset = opset;
    oc_set_in (&c, 0, oc_rand (4, D (1, 3, 1, 2), 1.0f));
    if (opset >= 13)
      oc_set_in (&c, 1, ints (1, D (2)));
    else
      dlnn_node_set_ints (c.g, c.ni, "axes", 1, D (2));
    CHECK_MSG (oc_prepare (&c, 0) == DLNN_OK, "%s", c.st.message);
    CHECK (c.out[0] && c.out[0]->ndim == 3 && c.out[0]->dims[0] == 1
        && c.out[0]->dims[1] == 3 && c.out[0]->dims[2] == 2);
    grad_check0 (&c, "Squeeze");
    oc_end (&c);
  }
  {
    oc c;
    oc_begin (&c, "Squeeze", "sq", 1, 0, 1);
    c.g->opset = 13;
    oc_set_in (&c, 0, oc_rand (4, D (1, 3, 1, 2), 1.0f));
    CHECK (oc_prepare (&c, 0) == DLNN_OK);
    CHECK (c.out[0] && c.out[0]->ndim == 2);
    oc_end (&c);
    /* squeezing a dimension that is not 1 */
    oc_begin (&c, "Squeeze", "sq1", 2, 0, 1);
    c.g->opset = 13;
    oc_set_in (&c, 0, oc_rand (2, D (2, 3), 1.0f));
    oc_set_in (&c, 1, ints (1, D (1)));
    CHECK (oc_prepare (&c, 0) == DLNN_ERR_SHAPE);
    oc_end (&c);
  }
}

/* ------------------------------------------------------- ReduceMean */

static void
test_reducemean (void)
{
  /* [2, 3, 4, 5] over axes {1, 3} (inner reduced) and {2, 3} (shufflenet
   * with keepdims 0), opset 13 attribute and opset 18 input */
  static const int64_t axsets[3][2] = { {1, 3}, {2, 3}, {-2, 0} };
  for (int v = 0; v < 6; v++) {
    oc c;
    const int64_t *ax = axsets[v % 3];
    int keep = v < 3, opset = v % 2 ? 18 : 13, red[4] = { 0 };
    const int64_t dx[4] = { 2, 3, 4, 5 };
    double ref[120] = { 0 };
    int64_t cnt = 1, os[4], s = 1;
    char label[64];
    snprintf (label, sizeof (label), "ReduceMean %d keepdims %d opset %d",
        v % 3, keep, opset);
    oc_begin (&c, "ReduceMean", "rm", opset >= 18 ? 2 : 1, 0, 1);
    c.g->opset = opset;
    dlnn_node_set_int (c.g, c.ni, "keepdims", keep);
    if (opset >= 18)
      oc_set_in (&c, 1, ints (2, ax));
    else
      dlnn_node_set_ints (c.g, c.ni, "axes", 2, ax);
    oc_set_in (&c, 0, oc_rand (4, dx, 1.0f));
    for (int k = 0; k < 2; k++)
      red[ax[k] < 0 ? ax[k] + 4 : ax[k]] = 1;
    for (int d = 3; d >= 0; d--) {
      os[d] = red[d] ? 0 : s;
      s *= red[d] ? 1 : dx[d];
      cnt *= red[d] ? dx[d] : 1;
    }
    for (int64_t i = 0; i < 120; i++) {
      int64_t rem = i, o = 0;
      for (int d = 3; d >= 0; d--) {
        o += (rem % dx[d]) * os[d];
        rem /= dx[d];
      }
      ref[o] += c.in[0]->data[i] / (double) cnt;
    }
    check_forward (&c, 0, ref, s, 1e-5, label);
    if (c.out[0])
      CHECK (c.out[0]->ndim == (keep ? 4 : 2));
    grad_check0 (&c, label);
    oc_end (&c);
  }
}

/* ----------------------------------------------------- registry */

static void
test_registered (void)
{
  static const char *types[] = { "Pad", "Clip", "HardSigmoid", "HardSwish",
    "Transpose", "Slice", "Split", "Squeeze", "Unsqueeze", "ReduceMean",
    NULL
  };
  for (int i = 0; types[i]; i++) {
    const dlnn_op *op = dlnn_op_find (types[i]);
    CHECK_MSG (op && op->backward, "%s", types[i]);
  }
}

int
main (void)
{
  dlnn_rng_seed (&oc_data_rng, 31337);
  DLNN_RUN (test_registered);
  DLNN_RUN (test_pad);
  DLNN_RUN (test_clip_hard);
  DLNN_RUN (test_transpose);
  DLNN_RUN (test_slice_split);
  DLNN_RUN (test_squeeze);
  DLNN_RUN (test_reducemean);
  return dlnn_test_summary ();
}
