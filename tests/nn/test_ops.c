/* Forward values of every op against naive reference implementations
 * written here (direct loops, double accumulation), attribute/shape error
 * messages and thread splitting. Ops are called through their vtables
 * (ops-harness.h), not through dlnn_exec. */
#include "ops-harness.h"
#include "ops/conv.h"
#include "ops/fused_act.h"
#include "dlnn/exec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D(...) ((const int64_t[]) { __VA_ARGS__ })

static void
check_close_arr (const char *what, const float *got, const double *want,
    int64_t n, double tol)
{
  double m = max_abs_diff (got, want, n);
  CHECK_MSG (m <= tol, "%s: max |diff| %g > %g", what, m, tol);
}

/* ------------------------------------------------------------------ Conv */

typedef struct conv_case
{
  const char *label;
  int rank;                     /* 1 or 2 */
  int64_t n, c, h, w, m, kh, kw;
  int64_t sh, sw, dh, dw, pt, pl, pb, pr, group;
  int bias;
  const char *auto_pad;         /* NULL = NOTSET */
} conv_case;

/* Direct convolution: loops over n, m, oy, ox, c, ki, kj. */
static void
conv_ref (const conv_case * k, int64_t pt, int64_t pl, int64_t oh,
    int64_t ow, const float *x, const float *w, const float *b, double *y)
{
  int64_t cg = k->c / k->group, mg = k->m / k->group;
  for (int64_t n = 0; n < k->n; n++)
    for (int64_t m = 0; m < k->m; m++)
      for (int64_t oy = 0; oy < oh; oy++)
        for (int64_t ox = 0; ox < ow; ox++) {
          double s = b ? b[m] : 0.0;
          int64_t gi = m / mg;
          for (int64_t ci = 0; ci < cg; ci++)
            for (int64_t ki = 0; ki < k->kh; ki++)
              for (int64_t kj = 0; kj < k->kw; kj++) {
                int64_t iy = oy * k->sh - pt + ki * k->dh;
                int64_t ix = ox * k->sw - pl + kj * k->dw;
                int64_t c = gi * cg + ci;
                if (iy < 0 || iy >= k->h || ix < 0 || ix >= k->w)
                  continue;
                s += (double) x[((n * k->c + c) * k->h + iy) * k->w + ix] *
                    w[((m * cg + ci) * k->kh + ki) * k->kw + kj];
              }
          y[((n * k->m + m) * oh + oy) * ow + ox] = s;
        }
}

/* SAME padding per the ONNX spec. */
static void
same_pads (int64_t in, int64_t k, int64_t s, int64_t d, int lower,
    int64_t * out, int64_t * pb)
{
  int64_t o = (in + s - 1) / s;
  int64_t total = (o - 1) * s + (k - 1) * d + 1 - in;
  if (total < 0)
    total = 0;
  *out = o;
  *pb = lower ? (total + 1) / 2 : total / 2;
}

/* Builds the Conv node of @k in @c with random data; returns 1 if ok. */
static int
conv_build (oc * c, const conv_case * k)
{
  int r = k->rank;
  int64_t s2[2] = { k->sh, k->sw }, d2[2] = { k->dh, k->dw };
  int64_t p4[4] = { k->pt, k->pl, k->pb, k->pr };
  int64_t s1[1] = { k->sw }, d1[1] = { k->dw }, p2[2] = { k->pl, k->pr };
  int64_t ks2[2] = { k->kh, k->kw }, ks1[1] = { k->kw };

  if (!oc_begin (c, "Conv", "conv1", k->bias ? 3 : 2, 0, 1))
    return 0;
  dlnn_node_set_ints (c->g, c->ni, "strides", r, r == 2 ? s2 : s1);
  dlnn_node_set_ints (c->g, c->ni, "dilations", r, r == 2 ? d2 : d1);
  dlnn_node_set_ints (c->g, c->ni, "kernel_shape", r, r == 2 ? ks2 : ks1);
  if (k->auto_pad)
    dlnn_node_set_string (c->g, c->ni, "auto_pad", k->auto_pad);
  else
    dlnn_node_set_ints (c->g, c->ni, "pads", 2 * r, r == 2 ? p4 : p2);
  if (k->group != 1)
    dlnn_node_set_int (c->g, c->ni, "group", k->group);
  if (r == 2) {
    oc_set_in (c, 0, oc_rand (4, D (k->n, k->c, k->h, k->w), 1.0f));
    oc_set_in (c, 1, oc_rand (4, D (k->m, k->c / k->group, k->kh, k->kw),
            0.5f));
  } else {
    oc_set_in (c, 0, oc_rand (3, D (k->n, k->c, k->w), 1.0f));
    oc_set_in (c, 1, oc_rand (3, D (k->m, k->c / k->group, k->kw), 0.5f));
  }
  if (k->bias)
    oc_set_in (c, 2, oc_rand (1, D (k->m), 1.0f));
  return 1;
}

static const conv_case conv_cases[] = {
  {"3x3 pad 1", 2, 2, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, NULL},
  {"stride 2 asym pads", 2, 2, 3, 8, 7, 5, 3, 2, 2, 2, 1, 1, 0, 1, 2, 1, 1,
      0, NULL},
  {"stride (2,3)", 2, 1, 2, 9, 10, 3, 3, 3, 2, 3, 1, 1, 1, 0, 0, 2, 1, 1,
      NULL},
  {"dilation 2", 2, 2, 2, 9, 8, 3, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, 1, NULL},
  {"dilation (1,3) stride 2", 2, 1, 2, 8, 11, 2, 2, 3, 2, 2, 1, 3, 1, 1, 0,
      0, 1, 1, NULL},
  {"group 2", 2, 2, 4, 6, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, NULL},
  {"group 3 stride 2", 2, 2, 6, 7, 7, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 3, 0,
      NULL},
  {"depthwise", 2, 2, 3, 7, 7, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 3, 1, NULL},
  {"depthwise x2 dilated", 2, 2, 2, 8, 8, 4, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2,
      2, 1, NULL},
  {"pointwise", 2, 3, 5, 4, 6, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, NULL},
  {"pointwise group 2", 2, 2, 4, 3, 5, 6, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 2,
      0, NULL},
  {"1x1 stride 2", 2, 2, 3, 7, 6, 4, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1, 1,
      NULL},
  {"1x1 pad 1", 2, 2, 3, 4, 4, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, NULL},
  {"5x5 on 4x4 pad 2", 2, 1, 2, 4, 4, 3, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1,
      NULL},
  {"1-D", 1, 2, 3, 1, 12, 4, 1, 3, 1, 2, 1, 2, 0, 1, 0, 2, 1, 1, NULL},
  {"1-D depthwise", 1, 2, 3, 1, 10, 3, 1, 5, 1, 1, 1, 1, 0, 2, 0, 2, 3, 1,
      NULL},
  {"SAME_UPPER stride 2", 2, 2, 2, 6, 5, 3, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, 1,
      1, "SAME_UPPER"},
  {"SAME_LOWER 4x4", 2, 1, 2, 6, 7, 2, 4, 4, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1,
      "SAME_LOWER"},
  {"VALID", 2, 2, 2, 6, 7, 2, 3, 2, 2, 1, 1, 1, 0, 0, 0, 0, 1, 1, "VALID"},
  /* big enough (>= 4 filters per group, >= 16 outputs) for the own GEMM
   * with B packed from the input (nn/src/ops/conv_kernels.c) where the
   * CPU has AVX-512: panel tails, 49 columns, strides, dilations */
  {"own: dilation 2 stride (2,1) asym pads", 2, 2, 3, 13, 17, 7, 3, 3, 2, 1,
      2, 2, 1, 2, 0, 1, 1, 1, NULL},
  {"own: group 2 of 5", 2, 1, 4, 9, 11, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2,
      1, NULL},
  {"own: 7x7 stride 2 pad 3", 2, 1, 3, 40, 37, 8, 7, 7, 2, 2, 1, 1, 3, 3, 3,
      3, 1, 0, NULL},
  {"own: 1-D stride 3", 1, 2, 4, 1, 70, 6, 1, 5, 1, 3, 1, 1, 0, 2, 0, 2, 1,
      1, NULL},
  {"own: pointwise 65 columns", 2, 1, 9, 5, 13, 6, 1, 1, 1, 1, 1, 1, 0, 0, 0,
      0, 1, 1, NULL},
  {"own: 7x7 map (49 columns)", 2, 2, 20, 7, 7, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1,
      1, 1, 1, NULL},
};

static void
run_conv_case (const conv_case * k)
{
  oc c;
  int64_t pt = k->pt, pl = k->pl, pb = k->pb, pr = k->pr, oh, ow;
  double *ref;

  if (!conv_build (&c, k)) {
    CHECK_MSG (0, "%s: cannot build node", k->label);
    return;
  }
  if (k->auto_pad && strcmp (k->auto_pad, "VALID") == 0) {
    pt = pl = pb = pr = 0;
    oh = (k->h - ((k->kh - 1) * k->dh + 1)) / k->sh + 1;
    ow = (k->w - ((k->kw - 1) * k->dw + 1)) / k->sw + 1;
  } else if (k->auto_pad) {
    int lower = strcmp (k->auto_pad, "SAME_LOWER") == 0;
    same_pads (k->h, k->kh, k->sh, k->dh, lower, &oh, &pt);
    same_pads (k->w, k->kw, k->sw, k->dw, lower, &ow, &pl);
  } else {
    oh = (k->h + pt + pb - ((k->kh - 1) * k->dh + 1)) / k->sh + 1;
    ow = (k->w + pl + pr - ((k->kw - 1) * k->dw + 1)) / k->sw + 1;
  }
  CHECK_OK (oc_prepare (&c, 0), &c.st);
  if (c.out[0]) {
    const dlnn_tensor *y = c.out[0];
    CHECK_MSG (y->ndim == k->rank + 2 && y->dims[0] == k->n
        && y->dims[1] == k->m && y->dims[y->ndim - 1] == ow
        && (k->rank == 1 || y->dims[2] == oh), "%s: output shape", k->label);
    if (y->size == k->n * k->m * oh * ow) {
      ref = malloc (sizeof (double) * (size_t) y->size);
      conv_ref (k, pt, pl, oh, ow, c.in[0]->data, c.in[1]->data,
          k->bias ? c.in[2]->data : NULL, ref);
      CHECK_OK (oc_forward (&c), &c.st);
      check_close_arr (k->label, y->data, ref, y->size, 1e-4);
      free (ref);
    }
  }
  oc_end (&c);
}

static void
test_conv_forward (void)
{
  for (size_t i = 0; i < sizeof (conv_cases) / sizeof (conv_cases[0]); i++)
    run_conv_case (&conv_cases[i]);
}

/* Chunked im2col (several images per GEMM, a partial last chunk) gives the
 * same forward and backward results as one image at a time. */
static void
test_conv_chunking (void)
{
  conv_case k = { "chunked", 2, 5, 3, 6, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, NULL
  };
  conv_case kg = { "chunked group", 2, 5, 4, 6, 5, 6, 3, 3, 2, 1, 1, 1, 1, 0,
    1, 1, 2, 1, NULL
  };
  const conv_case *cases[2] = { &k, &kg };

  for (int ci = 0; ci < 2; ci++) {
    oc c;
    dlnn_tensor *dy, *gx[2] = { 0 }, *gw[2] = { 0 }, *gb[2] = { 0 }, *y1;
    size_t ws1 = 0, ws2;
    conv_build (&c, cases[ci]);
    /* one image per GEMM */
    dlnn_conv_set_chunking (1, 1);
    CHECK_OK (oc_prepare (&c, 1), &c.st);
    ws1 = c.ws_size;
    CHECK_OK (oc_forward (&c), &c.st);
    y1 = dlnn_tensor_copy (c.out[0], NULL);
    dy = oc_rand (c.out[0]->ndim, c.out[0]->dims, 1.0f);
    CHECK_OK (oc_backward (&c, dy, 7), &c.st);
    gx[0] = dlnn_tensor_copy (c.din[0], NULL);
    gw[0] = dlnn_tensor_copy (c.din[1], NULL);
    gb[0] = dlnn_tensor_copy (c.din[2], NULL);
    /* two images per GEMM: chunks of 2, 2, 1 */
    dlnn_conv_set_chunking (ws1 * 2 + 2 * 4 * 36 + 64, 1 << 20);
    CHECK_OK (oc_prepare (&c, 1), &c.st);
    ws2 = c.ws_size;
    CHECK_MSG (ws2 > ws1, "chunked workspace %zu vs %zu", ws2, ws1);
    CHECK_OK (oc_forward (&c), &c.st);
    CHECK_OK (oc_backward (&c, dy, 7), &c.st);
    gx[1] = c.din[0];
    gw[1] = c.din[1];
    gb[1] = c.din[2];
    for (int64_t i = 0; i < y1->size; i++)
      CHECK_CLOSE (c.out[0]->data[i], y1->data[i], 1e-5);
    for (int64_t i = 0; i < gx[0]->size; i++)
      CHECK_CLOSE (gx[1]->data[i], gx[0]->data[i], 1e-4);
    for (int64_t i = 0; i < gw[0]->size; i++)
      CHECK_CLOSE (gw[1]->data[i], gw[0]->data[i], 1e-4);
    for (int64_t i = 0; i < gb[0]->size; i++)
      CHECK_CLOSE (gb[1]->data[i], gb[0]->data[i], 1e-4);
    dlnn_conv_set_chunking (0, 0);
    dlnn_tensor_free (y1);
    dlnn_tensor_free (dy);
    dlnn_tensor_free (gx[0]);
    dlnn_tensor_free (gw[0]);
    dlnn_tensor_free (gb[0]);
    oc_end (&c);
  }
}

static void
test_conv_errors (void)
{
  oc c;

  /* unsupported attribute value: named with op type, node and attribute */
  oc_begin (&c, "Conv", "conv1", 2, 0, 1);
  dlnn_node_set_string (c.g, c.ni, "auto_pad", "SAME_MIDDLE");
  oc_set_in (&c, 0, oc_rand (4, D (1, 3, 5, 5), 1.0f));
  oc_set_in (&c, 1, oc_rand (4, D (4, 3, 3, 3), 1.0f));
  CHECK (oc_prepare (&c, 0) == DLNN_ERR_UNSUPPORTED);
  CHECK_MSG (strstr (c.st.message, "Conv node 'conv1'")
      && strstr (c.st.message, "auto_pad=SAME_MIDDLE"), "%s", c.st.message);
  oc_end (&c);

  /* channel mismatch: DLNN_ERR_SHAPE naming node and both shapes */
  oc_begin (&c, "Conv", "conv1", 2, 0, 1);
  oc_set_in (&c, 0, oc_rand (4, D (2, 3, 5, 5), 1.0f));
  oc_set_in (&c, 1, oc_rand (4, D (4, 2, 3, 3), 1.0f));
  CHECK (oc_prepare (&c, 0) == DLNN_ERR_SHAPE);
  CHECK_MSG (strstr (c.st.message, "conv1")
      && strstr (c.st.message, "[2, 3, 5, 5]")
      && strstr (c.st.message, "[4, 2, 3, 3]"), "%s", c.st.message);
  oc_end (&c);

  /* 3-D convolution is unsupported */
  oc_begin (&c, "Conv", "c3", 2, 0, 1);
  oc_set_in (&c, 0, oc_rand (5, D (1, 1, 3, 3, 3), 1.0f));
  oc_set_in (&c, 1, oc_rand (5, D (1, 1, 2, 2, 2), 1.0f));
  CHECK (oc_prepare (&c, 0) != DLNN_OK);
  CHECK_MSG (strstr (c.st.message, "c3"), "%s", c.st.message);
  oc_end (&c);

  /* kernel larger than the padded input */
  oc_begin (&c, "Conv", "big", 2, 0, 1);
  oc_set_in (&c, 0, oc_rand (4, D (1, 1, 2, 2), 1.0f));
  oc_set_in (&c, 1, oc_rand (4, D (1, 1, 3, 3), 1.0f));
  CHECK (oc_prepare (&c, 0) == DLNN_ERR_SHAPE);
  oc_end (&c);

  /* bias of the wrong length */
  oc_begin (&c, "Conv", "cb", 3, 0, 1);
  oc_set_in (&c, 0, oc_rand (4, D (1, 2, 4, 4), 1.0f));
  oc_set_in (&c, 1, oc_rand (4, D (3, 2, 3, 3), 1.0f));
  oc_set_in (&c, 2, oc_rand (1, D (4), 1.0f));
  CHECK (oc_prepare (&c, 0) == DLNN_ERR_SHAPE);
  CHECK_MSG (strstr (c.st.message, "[4]"), "%s", c.st.message);
  oc_end (&c);
}

/* ------------------------------------------------------------- pooling */

typedef struct pool_case
{
  const char *label;
  int rank;
  int64_t n, c, h, w, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
  int ceil_mode, cip;
} pool_case;

static void
pool_out_size (const pool_case * k, int64_t * oh, int64_t * ow)
{
  int64_t in[2] = { k->h, k->w }, kk[2] = { k->kh, k->kw };
  int64_t s[2] = { k->sh, k->sw }, d[2] = { k->dh, k->dw };
  int64_t pb[2] = { k->pt, k->pl }, pe[2] = { k->pb, k->pr }, o[2];
  for (int i = 0; i < 2; i++) {
    double span = (double) (in[i] + pb[i] + pe[i] - ((kk[i] - 1) * d[i] +
            1)) / (double) s[i];
    o[i] = (int64_t) (k->ceil_mode ? ceil (span) : floor (span)) + 1;
    /* PyTorch: the last window must start inside input or left pad */
    if (k->ceil_mode && (o[i] - 1) * s[i] >= in[i] + pb[i])
      o[i]--;
  }
  *oh = o[0];
  *ow = o[1];
}

/* Explicit window loops; returns outputs in @y. */
static void
pool_ref (const pool_case * k, int is_max, const float *x, double *y)
{
  int64_t oh, ow;
  pool_out_size (k, &oh, &ow);
  for (int64_t p = 0; p < k->n * k->c; p++)
    for (int64_t oy = 0; oy < oh; oy++)
      for (int64_t ox = 0; ox < ow; ox++) {
        double best = -INFINITY, sum = 0.0;
        int valid = 0, padded = 0;
        for (int64_t ki = 0; ki < k->kh; ki++)
          for (int64_t kj = 0; kj < k->kw; kj++) {
            int64_t iy = oy * k->sh - k->pt + ki * k->dh;
            int64_t ix = ox * k->sw - k->pl + kj * k->dw;
            if (iy >= -k->pt && iy < k->h + k->pb && ix >= -k->pl
                && ix < k->w + k->pr)
              padded++;
            if (iy < 0 || iy >= k->h || ix < 0 || ix >= k->w)
              continue;
            valid++;
            double v = x[(p * k->h + iy) * k->w + ix];
            sum += v;
            if (v > best)
              best = v;
          }
        y[(p * oh + oy) * ow + ox] = is_max ? best :
            sum / (k->cip ? padded : valid);
      }
}

static const pool_case pool_cases[] = {
  {"2x2 s2", 2, 2, 3, 6, 8, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0},
  {"2x2 s2 odd", 2, 1, 2, 7, 5, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0},
  {"3x3 s2 pad 1", 2, 2, 2, 7, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0},
  {"3x3 s2 pad 1 cip", 2, 2, 2, 7, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, 1},
  {"ceil 3x3 s2", 2, 1, 2, 6, 6, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, 1, 0},
  {"ceil 2x2 s2 odd", 2, 1, 2, 5, 7, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 1, 0},
  {"ceil pad cip", 2, 1, 2, 6, 7, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1},
  {"ceil pad no cip", 2, 1, 2, 6, 7, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 0},
  {"ceil drops window", 2, 1, 1, 5, 5, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1},
  {"asym pads stride (1,2)", 2, 1, 2, 5, 6, 2, 3, 1, 2, 1, 1, 0, 2, 1, 0, 0,
      1},
  {"dilation 2", 2, 1, 2, 8, 7, 2, 2, 1, 1, 2, 2, 1, 1, 1, 1, 0, 0},
  /* shapes of the value-only MaxPool kernels at inference (pool_max.c):
   * borders, odd and tiny planes, ceil_mode, asymmetric pads */
  {"3x3 s2 pad 1 16x15", 2, 2, 3, 16, 15, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0},
  {"3x3 s2 pad 1 19x40", 2, 1, 2, 19, 40, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0,
      0},
  {"3x3 s2 pad 1 2x3", 2, 1, 2, 2, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0},
  {"3x3 s2 pad 1 1x1", 2, 1, 2, 1, 1, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0},
  {"3x3 s2 ceil 13x14", 2, 2, 2, 13, 14, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, 1, 0},
  /* AVX-512 rows of 16 outputs: less than one vector, masked tails, two
   * whole vectors (2x2 on 4x65), squeezenet's width */
  {"3x3 s2 4x21", 2, 1, 2, 4, 21, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0},
  {"3x3 s2 pad 1 3x20", 2, 1, 1, 3, 20, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0},
  {"3x3 s2 ceil 5x111", 2, 1, 2, 5, 111, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, 1, 0},
  {"3x3 s2 ceil 3x4", 2, 1, 1, 3, 4, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, 1, 0},
  {"2x2 s2 ceil 4x65", 2, 1, 2, 4, 65, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 1, 0},
  {"3x3 s2 pad 1 ceil 8x9", 2, 1, 2, 8, 9, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1,
      0},
  {"3x3 s2 asym pads", 2, 1, 2, 9, 10, 3, 3, 2, 2, 1, 1, 0, 2, 1, 0, 0, 0},
  {"2x2 s2 pad 1", 2, 1, 2, 7, 8, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0},
  {"2x2 s2 ceil 9x11", 2, 2, 3, 9, 11, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 1, 0},
  {"2x2 s2 ceil 3x3", 2, 1, 2, 3, 3, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 1, 0},
  {"2x2 s2 34x36", 2, 1, 2, 34, 36, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0},
  {"1-D", 1, 2, 3, 1, 11, 1, 3, 1, 2, 1, 1, 0, 1, 0, 1, 0, 0},
  {"1-D ceil cip", 1, 2, 2, 1, 10, 1, 3, 1, 2, 1, 1, 0, 1, 0, 1, 1, 1},
};

/* A pooling node of case @k with a random input. */
static void
pool_setup (oc * cp, const pool_case * k, int is_max)
{
  oc c;
  int r = k->rank;

  oc_begin (&c, is_max ? "MaxPool" : "AveragePool", "pool1", 1, 0, 1);
  if (r == 2) {
    dlnn_node_set_ints (c.g, c.ni, "kernel_shape", 2, D (k->kh, k->kw));
    dlnn_node_set_ints (c.g, c.ni, "strides", 2, D (k->sh, k->sw));
    dlnn_node_set_ints (c.g, c.ni, "pads", 4, D (k->pt, k->pl, k->pb, k->pr));
    if (k->dh != 1 || k->dw != 1)
      dlnn_node_set_ints (c.g, c.ni, "dilations", 2, D (k->dh, k->dw));
    oc_set_in (&c, 0, oc_rand (4, D (k->n, k->c, k->h, k->w), 1.0f));
  } else {
    dlnn_node_set_ints (c.g, c.ni, "kernel_shape", 1, D (k->kw));
    dlnn_node_set_ints (c.g, c.ni, "strides", 1, D (k->sw));
    dlnn_node_set_ints (c.g, c.ni, "pads", 2, D (k->pl, k->pr));
    oc_set_in (&c, 0, oc_rand (3, D (k->n, k->c, k->w), 1.0f));
  }
  if (k->ceil_mode)
    dlnn_node_set_int (c.g, c.ni, "ceil_mode", 1);
  if (!is_max)
    dlnn_node_set_int (c.g, c.ni, "count_include_pad", k->cip);
  *cp = c;
}

static void
run_pool_case (const pool_case * k, int is_max)
{
  oc c;
  int r = k->rank;
  int64_t oh, ow;
  char label[128];

  snprintf (label, sizeof (label), "%s %s", is_max ? "MaxPool" :
      "AveragePool", k->label);
  pool_setup (&c, k, is_max);
  pool_out_size (k, &oh, &ow);
  /* training (argmax saved) and inference give the same values */
  for (int training = 0; training < 2; training++) {
    CHECK_OK (oc_prepare (&c, training), &c.st);
    if (!c.out[0])
      break;
    CHECK_MSG (c.out[0]->dims[c.out[0]->ndim - 1] == ow
        && (r == 1 || c.out[0]->dims[2] == oh), "%s: output shape", label);
    if (c.out[0]->size == k->n * k->c * oh * ow) {
      double *ref = malloc (sizeof (double) * (size_t) c.out[0]->size);
      pool_ref (k, is_max, c.in[0]->data, ref);
      CHECK_OK (oc_forward (&c), &c.st);
      check_close_arr (label, c.out[0]->data, ref, c.out[0]->size, 1e-5);
      free (ref);
    }
  }
  oc_end (&c);
}

/* every case at the best SIMD level and in plain C (pool_max.c's AVX-512
 * rows and scalar loops) */
static void
test_pool_forward (void)
{
  for (int level = 0; level < 2; level++) {
    dlnn_simd_set_max (level == 0 ? -1 : DLNN_SIMD_SCALAR);
    for (size_t i = 0; i < sizeof (pool_cases) / sizeof (pool_cases[0]);
        i++) {
      run_pool_case (&pool_cases[i], 1);
      run_pool_case (&pool_cases[i], 0);
    }
  }
  dlnn_simd_set_max (-1);
}

/* NaN in the input: inference (the value-only kernels of pool_max.c, at
 * the best SIMD level and in plain C) gives what training's argmax loop
 * gives, NaN where it gives NaN. Pattern 1 also makes most maxima a tie
 * of +0 and -0 among negative values: the same bits everywhere (the
 * kernels take the taps in the argmax loop's order). */
static void
test_maxpool_nan (void)
{
  for (int pattern = 0; pattern < 2; pattern++)
  for (size_t i = 0; i < sizeof (pool_cases) / sizeof (pool_cases[0]); i++) {
    const pool_case *k = &pool_cases[i];
    float *y[3] = { NULL, NULL, NULL };
    int64_t size = 0;
    oc c;

    pool_setup (&c, k, 1);
    for (int64_t j = 0; j < c.in[0]->size; j++) {
      float *v = (float *) c.in[0]->data + j;
      if (pattern == 1)
        *v = j % 3 == 1 ? -0.0f : j % 5 == 2 ? 0.0f : -1.0f - fabsf (*v);
      if (j % 7 == 3 || j % 11 == 0)
        *v = NAN;
    }
    /* run 0: training, 1: inference, 2: inference in plain C */
    for (int run = 0; run < 3; run++) {
      dlnn_simd_set_max (run == 2 ? DLNN_SIMD_SCALAR : -1);
      CHECK_OK (oc_prepare (&c, run == 0), &c.st);
      CHECK_OK (oc_forward (&c), &c.st);
      size = c.out[0]->size;
      y[run] = malloc (sizeof (float) * (size_t) size);
      memcpy (y[run], c.out[0]->data, sizeof (float) * (size_t) size);
    }
    dlnn_simd_set_max (-1);
    for (int run = 1; run < 3; run++) {
      int64_t bad = -1;
      for (int64_t j = 0; j < size && bad < 0; j++)
        if (memcmp (&y[run][j], &y[0][j], sizeof (float)) != 0)
          bad = j;
      CHECK_MSG (bad < 0, "MaxPool %s with NaNs%s%s: output %lld inference "
          "%g, training %g (other bits)", k->label,
          pattern ? " and signed zeros" : "", run == 2 ? " (plain C)" : "",
          (long long) bad, bad < 0 ? 0.0 : y[run][bad], bad < 0 ? 0.0 :
          y[0][bad]);
    }
    for (int run = 0; run < 3; run++)
      free (y[run]);
    oc_end (&c);
  }
}

static void
test_pool_errors (void)
{
  oc c;
  oc_begin (&c, "MaxPool", "mp", 1, 0, 1);
  dlnn_node_set_ints (c.g, c.ni, "kernel_shape", 2, D (2, 2));
  dlnn_node_set_int (c.g, c.ni, "storage_order", 1);
  oc_set_in (&c, 0, oc_rand (4, D (1, 1, 4, 4), 1.0f));
  CHECK (oc_prepare (&c, 0) == DLNN_ERR_UNSUPPORTED);
  CHECK_MSG (strstr (c.st.message, "MaxPool node 'mp'")
      && strstr (c.st.message, "storage_order"), "%s", c.st.message);
  oc_end (&c);

  oc_begin (&c, "AveragePool", "ap", 1, 0, 1);
  oc_set_in (&c, 0, oc_rand (4, D (1, 1, 4, 4), 1.0f));
  CHECK (oc_prepare (&c, 0) == DLNN_ERR_INVALID);     /* no kernel_shape */
  CHECK_MSG (strstr (c.st.message, "kernel_shape"), "%s", c.st.message);
  oc_end (&c);
}

static void
test_global_pool (void)
{
  for (int is_max = 0; is_max < 2; is_max++) {
    oc c;
    oc_begin (&c, is_max ? "GlobalMaxPool" : "GlobalAveragePool", "gp", 1, 0,
        1);
    oc_set_in (&c, 0, oc_rand (4, D (2, 3, 4, 5), 1.0f));
    CHECK_OK (oc_prepare (&c, 0), &c.st);
    CHECK (c.out[0]->ndim == 4 && c.out[0]->dims[0] == 2
        && c.out[0]->dims[1] == 3 && c.out[0]->dims[2] == 1
        && c.out[0]->dims[3] == 1);
    CHECK_OK (oc_forward (&c), &c.st);
    for (int p = 0; p < 6; p++) {
      double s = 0.0, m = -INFINITY;
      for (int i = 0; i < 20; i++) {
        double v = c.in[0]->data[p * 20 + i];
        s += v;
        m = v > m ? v : m;
      }
      CHECK_CLOSE (c.out[0]->data[p], is_max ? m : s / 20.0, 1e-5);
    }
    oc_end (&c);
  }
}

/* ---------------------------------------------------------- Gemm/MatMul */

static void
test_gemm_forward (void)
{
  const int64_t M = 3, K = 4, N = 5;
  /* C shapes: none, scalar, (N), (1,N), (M,1), (M,N) */
  const int c_nd[] = { -1, 0, 1, 2, 2, 2 };
  const int64_t c_d0[] = { 0, 0, N, 1, M, M }, c_d1[] = { 0, 0, 0, N, 1, N };

  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++)
      for (int ci = 0; ci < 6; ci++) {
        oc c;
        float alpha = 0.7f, beta = ci == 2 ? 1.0f : -1.3f;
        int has_c = c_nd[ci] >= 0;
        dlnn_tensor *a, *b, *cc = NULL;
        oc_begin (&c, "Gemm", "fc", has_c ? 3 : 2, 0, 1);
        dlnn_node_set_int (c.g, c.ni, "transA", ta);
        dlnn_node_set_int (c.g, c.ni, "transB", tb);
        dlnn_node_set_float (c.g, c.ni, "alpha", alpha);
        if (ci != 2)
          dlnn_node_set_float (c.g, c.ni, "beta", beta);
        a = oc_rand (2, ta ? D (K, M) : D (M, K), 1.0f);
        b = oc_rand (2, tb ? D (N, K) : D (K, N), 1.0f);
        oc_set_in (&c, 0, a);
        oc_set_in (&c, 1, b);
        if (has_c) {
          cc = oc_rand (c_nd[ci], D (c_d0[ci], c_d1[ci]), 1.0f);
          oc_set_in (&c, 2, cc);
        }
        CHECK_OK (oc_prepare (&c, 0), &c.st);
        CHECK_OK (oc_forward (&c), &c.st);
        for (int64_t i = 0; i < M; i++)
          for (int64_t j = 0; j < N; j++) {
            double s = 0.0, cv = 0.0;
            for (int64_t k = 0; k < K; k++)
              s += (double) (ta ? a->data[k * M + i] : a->data[i * K + k]) *
                  (tb ? b->data[j * K + k] : b->data[k * N + j]);
            if (has_c) {
              switch (ci) {
                case 1:
                  cv = cc->data[0];
                  break;
                case 2:
                case 3:
                  cv = cc->data[j];
                  break;
                case 4:
                  cv = cc->data[i];
                  break;
                default:
                  cv = cc->data[i * N + j];
              }
            }
            CHECK_CLOSE (c.out[0]->data[i * N + j], alpha * s + beta * cv,
                1e-4);
          }
        oc_end (&c);
      }

  /* inner dimension mismatch names both shapes */
  {
    oc c;
    oc_begin (&c, "Gemm", "fc9", 2, 0, 1);
    oc_set_in (&c, 0, oc_rand (2, D (3, 4), 1.0f));
    oc_set_in (&c, 1, oc_rand (2, D (5, 6), 1.0f));
    CHECK (oc_prepare (&c, 0) == DLNN_ERR_SHAPE);
    CHECK_MSG (strstr (c.st.message, "fc9") && strstr (c.st.message,
            "[3, 4]") && strstr (c.st.message, "[5, 6]"), "%s", c.st.message);
    oc_end (&c);
  }
}

typedef struct mm_case
{
  int an, bn;
  int64_t ad[4], bd[4];
  int yn;
  int64_t yd[4];
} mm_case;

static void
test_matmul_forward (void)
{
  static const mm_case cases[] = {
    {2, 2, {3, 4}, {4, 5}, 2, {3, 5}},
    {1, 2, {4}, {4, 5}, 1, {5}},
    {2, 1, {3, 4}, {4}, 1, {3}},
    {3, 2, {2, 3, 4}, {4, 5}, 3, {2, 3, 5}},
    {3, 3, {2, 3, 4}, {2, 4, 5}, 3, {2, 3, 5}},
    {4, 3, {2, 1, 3, 4}, {3, 4, 2}, 4, {2, 3, 3, 2}},
    {2, 3, {3, 4}, {2, 4, 5}, 3, {2, 3, 5}},
  };
  for (size_t ci = 0; ci < sizeof (cases) / sizeof (cases[0]); ci++) {
    const mm_case *k = &cases[ci];
    oc c;
    int64_t M = k->an >= 2 ? k->ad[k->an - 2] : 1, K = k->ad[k->an - 1];
    int64_t N = k->bn >= 2 ? k->bd[k->bn - 1] : 1;
    int64_t batch = 1;
    oc_begin (&c, "MatMul", "mm", 2, 0, 1);
    oc_set_in (&c, 0, oc_rand (k->an, k->ad, 1.0f));
    oc_set_in (&c, 1, oc_rand (k->bn, k->bd, 1.0f));
    CHECK_OK (oc_prepare (&c, 0), &c.st);
    if (!c.out[0])
      goto next;
    CHECK (c.out[0]->ndim == k->yn);
    for (int d = 0; d < k->yn && d < c.out[0]->ndim; d++)
      CHECK (c.out[0]->dims[d] == k->yd[d]);
    CHECK_OK (oc_forward (&c), &c.st);
    /* reference: batch dims broadcast numpy-style */
    {
      int obd = k->yn - (k->an >= 2) - (k->bn >= 2);
      int abd = k->an > 2 ? k->an - 2 : 0, bbd = k->bn > 2 ? k->bn - 2 : 0;
      for (int d = 0; d < obd; d++)
        batch *= k->yd[d];
      for (int64_t bi = 0; bi < batch; bi++) {
        int64_t idx[4], rem = bi, aoff = 0, boff = 0;
        for (int d = obd - 1; d >= 0; d--) {
          idx[d] = rem % k->yd[d];
          rem /= k->yd[d];
        }
        for (int d = 0; d < abd; d++) {
          int od = d + obd - abd;
          aoff = aoff * k->ad[d] + (k->ad[d] == 1 ? 0 : idx[od]);
        }
        for (int d = 0; d < bbd; d++) {
          int od = d + obd - bbd;
          boff = boff * k->bd[d] + (k->bd[d] == 1 ? 0 : idx[od]);
        }
        for (int64_t i = 0; i < M; i++)
          for (int64_t j = 0; j < N; j++) {
            double s = 0.0;
            for (int64_t kk = 0; kk < K; kk++)
              s += (double) c.in[0]->data[(aoff * M + i) * K + kk] *
                  c.in[1]->data[(boff * K + kk) * N + j];
            CHECK_CLOSE (c.out[0]->data[(bi * M + i) * N + j], s, 1e-4);
          }
      }
    }
  next:
    oc_end (&c);
  }
}

/* ------------------------------------------------------- BatchNorm */

static void
bn_build (oc * c, int64_t n, int64_t ch, int64_t h, int64_t w, int nd)
{
  oc_begin (c, "BatchNormalization", "bn1", 5, 0, 1);
  dlnn_node_set_float (c->g, c->ni, "epsilon", 1e-3f);
  dlnn_node_set_float (c->g, c->ni, "momentum", 0.8f);
  oc_set_in (c, 0, oc_rand (nd, D (n, ch, h, w), 2.0f));
  for (int64_t i = 0; i < c->in[0]->size; i++)
    c->in[0]->data[i] += 1.5f;  /* non-zero mean */
  oc_set_in (c, 1, oc_rand (1, D (ch), 1.0f));
  oc_set_in (c, 2, oc_rand (1, D (ch), 1.0f));
  oc_set_in (c, 3, oc_rand (1, D (ch), 1.0f));
  oc_set_in (c, 4, oc_rand (1, D (ch), 1.0f));
  for (int64_t i = 0; i < ch; i++)
    c->in[4]->data[i] = 0.5f + fabsf (c->in[4]->data[i]);
}

static void
test_batchnorm (void)
{
  const int64_t N = 3, C = 4, H = 3, W = 5, S = H * W;
  for (int nd = 2; nd <= 4; nd += 2) {
    oc c;
    int64_t s = nd == 4 ? S : 1;
    float rm0[4], rv0[4];
    bn_build (&c, N, C, H, W, nd);
    memcpy (rm0, c.in[3]->data, sizeof (rm0));
    memcpy (rv0, c.in[4]->data, sizeof (rv0));

    /* inference: running statistics */
    CHECK_OK (oc_prepare (&c, 0), &c.st);
    CHECK_OK (oc_forward (&c), &c.st);
    for (int64_t n = 0; n < N; n++)
      for (int64_t ch = 0; ch < C; ch++)
        for (int64_t i = 0; i < s; i++) {
          int64_t k = (n * C + ch) * s + i;
          double want = (c.in[0]->data[k] - rm0[ch]) / sqrt (rv0[ch] + 1e-3)
              * c.in[1]->data[ch] + c.in[2]->data[ch];
          CHECK_CLOSE (c.out[0]->data[k], want, 1e-4);
        }
    for (int ch = 0; ch < C; ch++)
      CHECK (c.in[3]->data[ch] == rm0[ch] && c.in[4]->data[ch] == rv0[ch]);

    /* training: batch statistics, running stats updated in place */
    CHECK_OK (oc_prepare (&c, 1), &c.st);
    CHECK (c.saved_size >= (size_t) (2 * C));
    CHECK_OK (oc_forward (&c), &c.st);
    for (int64_t ch = 0; ch < C; ch++) {
      double mean = 0.0, var = 0.0, m = (double) (N * s);
      for (int64_t n = 0; n < N; n++)
        for (int64_t i = 0; i < s; i++)
          mean += c.in[0]->data[(n * C + ch) * s + i];
      mean /= m;
      for (int64_t n = 0; n < N; n++)
        for (int64_t i = 0; i < s; i++) {
          double d = c.in[0]->data[(n * C + ch) * s + i] - mean;
          var += d * d;
        }
      var /= m;
      for (int64_t n = 0; n < N; n++)
        for (int64_t i = 0; i < s; i++) {
          int64_t k = (n * C + ch) * s + i;
          double want = (c.in[0]->data[k] - mean) / sqrt (var + 1e-3)
              * c.in[1]->data[ch] + c.in[2]->data[ch];
          CHECK_CLOSE (c.out[0]->data[k], want, 1e-4);
        }
      CHECK_CLOSE (c.in[3]->data[ch], 0.8 * rm0[ch] + 0.2 * mean, 1e-5);
      CHECK_CLOSE (c.in[4]->data[ch], 0.8 * rv0[ch] + 0.2 * var * m / (m -
              1.0), 1e-4);
      CHECK_CLOSE (c.saved[ch], mean, 1e-5);
      CHECK_CLOSE (c.saved[C + ch], 1.0 / sqrt (var + 1e-3), 1e-4);
    }
    oc_end (&c);
  }

  /* per-channel parameters of the wrong length */
  {
    oc c;
    bn_build (&c, 2, 3, 2, 2, 4);
    oc_set_in (&c, 3, oc_rand (1, D (4), 1.0f));
    CHECK (oc_prepare (&c, 0) == DLNN_ERR_SHAPE);
    CHECK_MSG (strstr (c.st.message, "bn1") && strstr (c.st.message, "[4]"),
        "%s", c.st.message);
    oc_end (&c);
  }
}

/* ------------------------------------------------------- activations */

static double
act_ref (const char *type, double x, double alpha)
{
  if (!strcmp (type, "Relu"))
    return x > 0 ? x : 0;
  if (!strcmp (type, "LeakyRelu"))
    return x > 0 ? x : alpha * x;
  if (!strcmp (type, "Sigmoid"))
    return 1.0 / (1.0 + exp (-x));
  return tanh (x);
}

static void
test_activations (void)
{
  const char *types[] = { "Relu", "LeakyRelu", "Sigmoid", "Tanh" };
  for (int t = 0; t < 4; t++)
    for (int with_alpha = 0; with_alpha < 2; with_alpha++) {
      oc c;
      double alpha = with_alpha ? 0.2 : 0.01;
      if (with_alpha && t != 1)
        continue;
      oc_begin (&c, types[t], "act", 1, 0, 1);
      if (with_alpha)
        dlnn_node_set_float (c.g, c.ni, "alpha", 0.2f);
      oc_set_in (&c, 0, oc_rand (3, D (2, 3, 7), 3.0f));
      CHECK_OK (oc_prepare (&c, 0), &c.st);
      CHECK_OK (oc_forward (&c), &c.st);
      CHECK (dlnn_shape_equal (c.out[0], c.in[0]));
      for (int64_t i = 0; i < c.in[0]->size; i++)
        CHECK_CLOSE (c.out[0]->data[i], act_ref (types[t], c.in[0]->data[i],
                alpha), 1e-6);
      oc_end (&c);
    }
}

/* ------------------------------------------------------------ softmax */

static void
softmax_case (const char *type, int64_t axis, int opset, int set_axis)
{
  oc c;
  const int64_t dims[3] = { 2, 3, 4 };
  int log = !strcmp (type, "LogSoftmax");
  int a;
  int64_t outer, len, inner;

  oc_begin (&c, type, "sm", 1, 0, 1);
  c.g->opset = opset;
  if (set_axis)
    dlnn_node_set_int (c.g, c.ni, "axis", axis);
  else
    axis = opset < 13 ? 1 : -1;
  a = (int) (axis < 0 ? axis + 3 : axis);
  oc_set_in (&c, 0, oc_rand (3, dims, 2.0f));
  CHECK_OK (oc_prepare (&c, 0), &c.st);
  CHECK_OK (oc_forward (&c), &c.st);
  outer = 1;
  for (int d = 0; d < a; d++)
    outer *= dims[d];
  if (opset < 13) {
    len = 1;
    for (int d = a; d < 3; d++)
      len *= dims[d];
    inner = 1;
  } else {
    len = dims[a];
    inner = 1;
    for (int d = a + 1; d < 3; d++)
      inner *= dims[d];
  }
  for (int64_t o = 0; o < outer; o++)
    for (int64_t j = 0; j < inner; j++) {
      double mx = -INFINITY, sum = 0.0;
      for (int64_t i = 0; i < len; i++)
        mx = fmax (mx, c.in[0]->data[(o * len + i) * inner + j]);
      for (int64_t i = 0; i < len; i++)
        sum += exp (c.in[0]->data[(o * len + i) * inner + j] - mx);
      for (int64_t i = 0; i < len; i++) {
        int64_t k = (o * len + i) * inner + j;
        double x = c.in[0]->data[k];
        double want = log ? x - mx - (double) logf ((float) sum)
            : exp (x - mx) / sum;
        CHECK_MSG (fabs (c.out[0]->data[k] - want) < 1e-5,
            "%s axis %lld opset %d: %g vs %g", type, (long long) axis, opset,
            c.out[0]->data[k], want);
      }
    }
  oc_end (&c);
}

static void
test_softmax (void)
{
  const char *types[2] = { "Softmax", "LogSoftmax" };
  for (int t = 0; t < 2; t++) {
    softmax_case (types[t], -1, 13, 0);
    softmax_case (types[t], 0, 13, 1);
    softmax_case (types[t], 1, 13, 1);
    softmax_case (types[t], -2, 13, 1);
    softmax_case (types[t], 1, 11, 0);  /* legacy: flatten at axis 1 */
    softmax_case (types[t], 2, 11, 1);
  }
  {
    oc c;
    oc_begin (&c, "Softmax", "sm", 1, 0, 1);
    dlnn_node_set_int (c.g, c.ni, "axis", 3);
    oc_set_in (&c, 0, oc_rand (3, D (2, 3, 4), 1.0f));
    CHECK (oc_prepare (&c, 0) == DLNN_ERR_INVALID);
    CHECK_MSG (strstr (c.st.message, "axis=3"), "%s", c.st.message);
    oc_end (&c);
  }
}

/* ------------------------------------------------------------ dropout */

static void
test_dropout (void)
{
  oc c;
  int64_t zeros = 0, n;

  /* inference: identity (distinct buffers here: forward copies) */
  oc_begin (&c, "Dropout", "do", 1, 0, 1);
  dlnn_node_set_float (c.g, c.ni, "ratio", 0.3f);
  oc_set_in (&c, 0, oc_rand (2, D (50, 40), 1.0f));
  CHECK_OK (oc_prepare (&c, 0), &c.st);
  CHECK_OK (oc_forward (&c), &c.st);
  CHECK (memcmp (c.out[0]->data, c.in[0]->data,
          sizeof (float) * (size_t) c.in[0]->size) == 0);
  CHECK (c.op->alias_input0 == DLNN_ALIAS_INFERENCE);

  /* training: inverted dropout, mask reused by backward */
  CHECK_OK (oc_prepare (&c, 1), &c.st);
  CHECK (c.saved_size >= (size_t) c.in[0]->size);
  CHECK_OK (oc_forward (&c), &c.st);
  n = c.in[0]->size;
  for (int64_t i = 0; i < n; i++) {
    float x = c.in[0]->data[i], y = c.out[0]->data[i];
    if (y == 0.0f)
      zeros++;
    else
      CHECK_CLOSE (y, x / 0.7, 1e-5);
  }
  /* 2000 Bernoulli(0.3): mean 600, sd ~20.5 */
  CHECK_MSG (zeros > 500 && zeros < 700, "%lld zeros of %lld",
      (long long) zeros, (long long) n);
  {
    dlnn_tensor *dy = oc_rand (2, D (50, 40), 1.0f);
    CHECK_OK (oc_backward (&c, dy, 1), &c.st);
    for (int64_t i = 0; i < n; i++)
      CHECK_CLOSE (c.din[0]->data[i], c.out[0]->data[i] == 0.0f ? 0.0 :
          dy->data[i] / 0.7, 1e-5);
    dlnn_tensor_free (dy);
  }
  oc_end (&c);

  /* ratio from input 1 (opset 12+), mask output */
  oc_begin (&c, "Dropout", "do2", 2, 0, 2);
  oc_set_in (&c, 0, oc_rand (1, D (1000), 1.0f));
  oc_set_in (&c, 1, dlnn_tensor_new (DLNN_FLOAT32, 0, NULL, NULL));
  c.in[1]->data[0] = 0.5f;
  CHECK_OK (oc_prepare (&c, 1), &c.st);
  CHECK_OK (oc_forward (&c), &c.st);
  zeros = 0;
  for (int64_t i = 0; i < 1000; i++) {
    zeros += c.out[0]->data[i] == 0.0f;
    CHECK ((c.out[1]->data[i] == 0.0f) == (c.out[0]->data[i] == 0.0f));
  }
  CHECK_MSG (zeros > 430 && zeros < 570, "%lld zeros", (long long) zeros);
  c.in[1]->data[0] = 1.5f;
  CHECK (oc_forward (&c) == DLNN_ERR_INVALID);
  oc_end (&c);
}

/* ---------------------------------------------------------- shape ops */

static void
test_flatten_reshape_identity (void)
{
  const int64_t dims[4] = { 2, 3, 4, 5 };
  const int64_t axes[] = { 0, 1, 2, 4, -1, -4 };
  for (size_t ai = 0; ai < sizeof (axes) / sizeof (axes[0]); ai++) {
    oc c;
    int a = (int) (axes[ai] < 0 ? axes[ai] + 4 : axes[ai]);
    int64_t d0 = 1;
    for (int d = 0; d < a; d++)
      d0 *= dims[d];
    oc_begin (&c, "Flatten", "fl", 1, 0, 1);
    dlnn_node_set_int (c.g, c.ni, "axis", axes[ai]);
    oc_set_in (&c, 0, oc_rand (4, dims, 1.0f));
    CHECK_OK (oc_prepare (&c, 0), &c.st);
    CHECK (c.out[0]->ndim == 2 && c.out[0]->dims[0] == d0
        && c.out[0]->dims[1] == 120 / d0);
    CHECK_OK (oc_forward (&c), &c.st);
    CHECK (memcmp (c.out[0]->data, c.in[0]->data, 120 * sizeof (float)) == 0);
    oc_end (&c);
  }

  /* Reshape: 0 copies, -1 infers */
  {
    struct
    {
      int n;
      int64_t s[5];
      int ok;
      int yn;
      int64_t y[4];
      int allowzero;
    } rc[] = {
      {3, {0, -1, 5}, 1, 3, {2, 12, 5}, 0},
      {2, {-1, 20}, 1, 2, {6, 20}, 0},
      {4, {0, 0, 0, 0}, 1, 4, {2, 3, 4, 5}, 0},
      {1, {-1}, 1, 1, {120}, 0},
      {2, {-1, -1}, 0, 0, {0}, 0},
      {2, {7, -1}, 0, 0, {0}, 0},
      {2, {10, 10}, 0, 0, {0}, 0},
      {2, {0, 60}, 0, 0, {0}, 1},     /* allowzero: literal 0 */
      {5, {1, 1, 1, 0, 0}, 0, 0, {0}, 0},
    };
    for (size_t i = 0; i < sizeof (rc) / sizeof (rc[0]); i++) {
      oc c;
      dlnn_tensor *s;
      int64_t sn = rc[i].n;
      dlnn_code code;
      oc_begin (&c, "Reshape", "rs", 2, 0, 1);
      if (rc[i].allowzero)
        dlnn_node_set_int (c.g, c.ni, "allowzero", 1);
      oc_set_in (&c, 0, oc_rand (4, dims, 1.0f));
      s = dlnn_tensor_new (DLNN_INT64, 1, &sn, NULL);
      memcpy (s->idata, rc[i].s, sizeof (int64_t) * (size_t) sn);
      oc_set_in (&c, 1, s);
      code = oc_prepare (&c, 0);
      if (!rc[i].ok) {
        CHECK_MSG (code == DLNN_ERR_SHAPE, "reshape case %zu: %d", i,
            (int) code);
        CHECK_MSG (strstr (c.st.message, "Reshape node 'rs'"), "%s",
            c.st.message);
      } else {
        CHECK_OK (code, &c.st);
        if (code == DLNN_OK) {
          CHECK (c.out[0]->ndim == rc[i].yn);
          for (int d = 0; d < rc[i].yn; d++)
            CHECK (c.out[0]->dims[d] == rc[i].y[d]);
          CHECK_OK (oc_forward (&c), &c.st);
          CHECK (memcmp (c.out[0]->data, c.in[0]->data,
                  120 * sizeof (float)) == 0);
        }
      }
      oc_end (&c);
    }
  }

  /* Identity */
  {
    oc c;
    oc_begin (&c, "Identity", "id", 1, 0, 1);
    oc_set_in (&c, 0, oc_rand (2, D (3, 3), 1.0f));
    CHECK_OK (oc_prepare (&c, 0), &c.st);
    CHECK_OK (oc_forward (&c), &c.st);
    CHECK (memcmp (c.out[0]->data, c.in[0]->data, 9 * sizeof (float)) == 0);
    oc_end (&c);
  }
}

/* ----------------------------------------------------- elementwise ops */

typedef struct ew_case
{
  int an, bn;
  int64_t ad[4], bd[4];
  int ok;
} ew_case;

static const ew_case ew_cases[] = {
  {3, 3, {2, 3, 4}, {2, 3, 4}, 1},
  {3, 1, {2, 3, 4}, {4}, 1},
  {1, 3, {4}, {2, 3, 4}, 1},
  {3, 2, {2, 1, 4}, {3, 1}, 1},
  {3, 0, {2, 3, 4}, {0}, 1},
  {0, 2, {0}, {3, 2}, 1},
  {4, 4, {1, 3, 1, 1}, {2, 3, 4, 5}, 1},
  {4, 4, {2, 3, 4, 5}, {1, 3, 1, 1}, 1},
  {2, 2, {5, 1}, {1, 6}, 1},
  {4, 3, {2, 1, 3, 1}, {4, 1, 5}, 1},
  {4, 3, {2, 1, 3, 1}, {1, 4, 1}, 0},
  {2, 1, {2, 3}, {4}, 0},
};

static double
ew_ref (const char *t, double a, double b)
{
  switch (t[0]) {
    case 'A':
      return a + b;
    case 'S':
      return a - b;
    case 'M':
      return a * b;
    default:
      return a / b;
  }
}

/* Index into an input of rank @n with dims @d for output multi-index. */
static int64_t
bcast_index (int n, const int64_t * d, int on, const int64_t * oidx)
{
  int64_t off = 0;
  for (int i = 0; i < n; i++) {
    int od = i + on - n;
    off = off * d[i] + (d[i] == 1 ? 0 : oidx[od]);
  }
  return off;
}

static void
test_elementwise (void)
{
  const char *types[4] = { "Add", "Sub", "Mul", "Div" };
  for (int t = 0; t < 4; t++)
    for (size_t ci = 0; ci < sizeof (ew_cases) / sizeof (ew_cases[0]); ci++) {
      const ew_case *k = &ew_cases[ci];
      oc c;
      int on = k->an > k->bn ? k->an : k->bn;
      int64_t od[4];
      dlnn_code code;
      oc_begin (&c, types[t], "ew", 2, 0, 1);
      oc_set_in (&c, 0, oc_rand (k->an, k->ad, 1.0f));
      oc_set_in (&c, 1, oc_rand (k->bn, k->bd, 1.0f));
      for (int64_t i = 0; i < c.in[1]->size; i++)    /* away from 0 (Div) */
        c.in[1]->data[i] += c.in[1]->data[i] >= 0 ? 0.5f : -0.5f;
      code = oc_prepare (&c, 0);
      if (!k->ok) {
        char sa[64], sb[64];
        CHECK (code == DLNN_ERR_SHAPE);
        dlnn_shape_str (k->an, k->ad, sa, sizeof (sa));
        dlnn_shape_str (k->bn, k->bd, sb, sizeof (sb));
        CHECK_MSG (strstr (c.st.message, "'ew'") && strstr (c.st.message, sa)
            && strstr (c.st.message, sb), "%s", c.st.message);
        oc_end (&c);
        continue;
      }
      CHECK_OK (code, &c.st);
      if (code != DLNN_OK) {
        oc_end (&c);
        continue;
      }
      for (int d = 0; d < on; d++) {
        int ai = d - (on - k->an), bi = d - (on - k->bn);
        int64_t da = ai >= 0 ? k->ad[ai] : 1, db = bi >= 0 ? k->bd[bi] : 1;
        od[d] = da > db ? da : db;
        CHECK (c.out[0]->dims[d] == od[d]);
      }
      CHECK (c.out[0]->ndim == on);
      CHECK_OK (oc_forward (&c), &c.st);
      for (int64_t o = 0; o < c.out[0]->size; o++) {
        int64_t idx[4], rem = o;
        for (int d = on - 1; d >= 0; d--) {
          idx[d] = rem % od[d];
          rem /= od[d];
        }
        double a = c.in[0]->data[bcast_index (k->an, k->ad, on, idx)];
        double b = c.in[1]->data[bcast_index (k->bn, k->bd, on, idx)];
        CHECK_CLOSE (c.out[0]->data[o], ew_ref (types[t], a, b), 1e-5);
      }
      oc_end (&c);
    }
}

/* -------------------------------------------------------------- concat */

static void
test_concat (void)
{
  const int64_t axes[] = { 0, 1, 2, -1 };
  for (size_t ai = 0; ai < 4; ai++) {
    oc c;
    int a = (int) (axes[ai] < 0 ? axes[ai] + 3 : axes[ai]);
    int64_t base[3] = { 2, 3, 4 }, sizes[3] = { 1, 2, 3 }, off = 0;
    oc_begin (&c, "Concat", "cat", 3, 0, 1);
    dlnn_node_set_int (c.g, c.ni, "axis", axes[ai]);
    for (int i = 0; i < 3; i++) {
      int64_t d[3] = { base[0], base[1], base[2] };
      d[a] = sizes[i];
      oc_set_in (&c, i, oc_rand (3, d, 1.0f));
    }
    CHECK_OK (oc_prepare (&c, 0), &c.st);
    CHECK (c.out[0]->dims[a] == 6);
    CHECK_OK (oc_forward (&c), &c.st);
    for (int i = 0; i < 3; i++) {
      const dlnn_tensor *x = c.in[i];
      for (int64_t e = 0; e < x->size; e++) {
        int64_t i2 = e % x->dims[2], i1 = (e / x->dims[2]) % x->dims[1];
        int64_t i0 = e / (x->dims[2] * x->dims[1]);
        int64_t o[3] = { i0, i1, i2 };
        o[a] += off;
        CHECK (c.out[0]->data[(o[0] * c.out[0]->dims[1] + o[1]) *
                c.out[0]->dims[2] + o[2]] == x->data[e]);
      }
      off += sizes[i];
    }
    oc_end (&c);
  }
  {
    oc c;
    oc_begin (&c, "Concat", "cat", 2, 0, 1);
    dlnn_node_set_int (c.g, c.ni, "axis", 1);
    oc_set_in (&c, 0, oc_rand (2, D (2, 3), 1.0f));
    oc_set_in (&c, 1, oc_rand (2, D (3, 3), 1.0f));
    CHECK (oc_prepare (&c, 0) == DLNN_ERR_SHAPE);
    oc_end (&c);
  }
}

/* ------------------------------------------------- thread splitting */

typedef void (*build_fn) (oc * c);

static void
build_conv (oc * c)
{
  oc_begin (c, "Conv", "conv", 3, 0, 1);
  dlnn_node_set_ints (c->g, c->ni, "pads", 4, D (1, 1, 1, 1));
  oc_set_in (c, 0, oc_rand (4, D (4, 16, 28, 28), 1.0f));
  oc_set_in (c, 1, oc_rand (4, D (16, 16, 3, 3), 0.3f));
  oc_set_in (c, 2, oc_rand (1, D (16), 1.0f));
}

static void
build_conv_chunked (oc * c)
{
  oc_begin (c, "Conv", "conv", 2, 0, 1);
  dlnn_node_set_ints (c->g, c->ni, "strides", 2, D (2, 2));
  oc_set_in (c, 0, oc_rand (4, D (16, 32, 13, 13), 1.0f));
  oc_set_in (c, 1, oc_rand (4, D (8, 32, 3, 3), 0.3f));
}

static void
build_depthwise (oc * c)
{
  oc_begin (c, "Conv", "dw", 2, 0, 1);
  dlnn_node_set_int (c->g, c->ni, "group", 16);
  dlnn_node_set_ints (c->g, c->ni, "pads", 4, D (1, 1, 1, 1));
  oc_set_in (c, 0, oc_rand (4, D (4, 16, 20, 20), 1.0f));
  oc_set_in (c, 1, oc_rand (4, D (32, 1, 3, 3), 0.3f));
}

static void
build_bn (oc * c)
{
  oc_begin (c, "BatchNormalization", "bn", 5, 0, 1);
  oc_set_in (c, 0, oc_rand (4, D (4, 64, 20, 20), 1.0f));
  for (int i = 1; i < 5; i++)
    oc_set_in (c, i, oc_rand (1, D (64), 0.2f));
  for (int i = 0; i < 64; i++)
    c->in[4]->data[i] = 1.0f + fabsf (c->in[4]->data[i]);
}

static void
build_relu (oc * c)
{
  oc_begin (c, "Relu", "relu", 1, 0, 1);
  oc_set_in (c, 0, oc_rand (4, D (4, 32, 28, 28), 1.0f));
}

static void
build_sigmoid (oc * c)
{
  oc_begin (c, "Sigmoid", "sig", 1, 0, 1);
  oc_set_in (c, 0, oc_rand (2, D (300, 400), 1.0f));
}

static void
build_maxpool (oc * c)
{
  oc_begin (c, "MaxPool", "mp", 1, 0, 1);
  dlnn_node_set_ints (c->g, c->ni, "kernel_shape", 2, D (2, 2));
  dlnn_node_set_ints (c->g, c->ni, "strides", 2, D (2, 2));
  oc_set_in (c, 0, oc_rand (4, D (4, 32, 28, 28), 1.0f));
}

static void
build_avgpool (oc * c)
{
  oc_begin (c, "AveragePool", "ap", 1, 0, 1);
  dlnn_node_set_ints (c->g, c->ni, "kernel_shape", 2, D (3, 3));
  dlnn_node_set_ints (c->g, c->ni, "pads", 4, D (1, 1, 1, 1));
  oc_set_in (c, 0, oc_rand (4, D (4, 32, 28, 28), 1.0f));
}

static void
build_softmax (oc * c)
{
  oc_begin (c, "Softmax", "sm", 1, 0, 1);
  oc_set_in (c, 0, oc_rand (2, D (4096, 10), 1.0f));
}

static void
build_add_same (oc * c)
{
  oc_begin (c, "Add", "add", 2, 0, 1);
  oc_set_in (c, 0, oc_rand (4, D (4, 32, 28, 28), 1.0f));
  oc_set_in (c, 1, oc_rand (4, D (4, 32, 28, 28), 1.0f));
}

static void
build_mul_bcast (oc * c)
{
  oc_begin (c, "Mul", "mul", 2, 0, 1);
  oc_set_in (c, 0, oc_rand (4, D (4, 32, 28, 28), 1.0f));
  oc_set_in (c, 1, oc_rand (4, D (1, 32, 1, 1), 1.0f));
}

/* Forward + backward with 1 and with 3 threads give the same results. */
static void
test_threads_consistent (void)
{
  const build_fn builds[] = { build_conv, build_conv_chunked,
    build_depthwise, build_bn, build_relu, build_sigmoid, build_maxpool,
    build_avgpool, build_softmax, build_add_same, build_mul_bcast
  };
  int saved_threads = dlnn_get_threads ();

  for (size_t bi = 0; bi < sizeof (builds) / sizeof (builds[0]); bi++) {
    dlnn_tensor *ref_y = NULL, *ref_d[OC_MAX_IN] = { 0 }, *dy = NULL;
    for (int pass = 0; pass < 2; pass++) {
      oc c;
      uint64_t seed = 1000 + bi;
      dlnn_rng_seed (&oc_data_rng, seed);
      builds[bi] (&c);
      dlnn_set_threads (pass == 0 ? 1 : 3);
      CHECK_OK (oc_prepare (&c, 1), &c.st);
      CHECK_OK (oc_forward (&c), &c.st);
      if (pass == 0)
        dy = oc_rand (c.out[0]->ndim, c.out[0]->dims, 1.0f);
      CHECK_OK (oc_backward (&c, dy, 0xff), &c.st);
      if (pass == 0) {
        ref_y = dlnn_tensor_copy (c.out[0], NULL);
        for (int i = 0; i < c.n_in; i++)
          ref_d[i] = c.din[i] ? dlnn_tensor_copy (c.din[i], NULL) : NULL;
      } else {
        double m = 0.0, d;
        /* NaN-aware: a NaN difference counts as infinite */
        for (int64_t k = 0; k < ref_y->size; k++)
          if (!((d = fabs (ref_y->data[k] - c.out[0]->data[k])) <= m))
            m = isnan (d) ? INFINITY : d;
        for (int i = 0; i < c.n_in; i++)
          for (int64_t k = 0; ref_d[i] && k < ref_d[i]->size; k++)
            if (!((d = fabs (ref_d[i]->data[k] - c.din[i]->data[k])) <= m))
              m = isnan (d) ? INFINITY : d;
        CHECK_MSG (m < 1e-4, "%s: 1 vs 3 threads differ by %g",
            c.op->type, m);
      }
      oc_end (&c);
    }
    dlnn_tensor_free (ref_y);
    dlnn_tensor_free (dy);
    for (int i = 0; i < OC_MAX_IN; i++)
      dlnn_tensor_free (ref_d[i]);
  }
  dlnn_set_threads (saved_threads);
}

static void
test_registry (void)
{
  const char *const *names = dlnn_op_names ();
  const char *want[] = { "Gemm", "MatMul", "Conv", "MaxPool", "AveragePool",
    "GlobalAveragePool", "BatchNormalization", "Relu", "LeakyRelu",
    "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Dropout", "Flatten",
    "Reshape", "Identity", "Add", "Mul", "Sub", "Concat"
  };
  int n = 0;
  while (names[n])
    n++;
  CHECK (n >= (int) (sizeof (want) / sizeof (want[0])));
  for (size_t i = 0; i < sizeof (want) / sizeof (want[0]); i++) {
    const dlnn_op *op = dlnn_op_find (want[i]);
    CHECK_MSG (op && strcmp (op->type, want[i]) == 0, "%s", want[i]);
    CHECK_MSG (op && op->shape && op->forward, "%s", want[i]);
  }
  CHECK (dlnn_op_find ("NoSuchOp") == NULL);
}

int
main (void)
{
  dlnn_rng_seed (&oc_data_rng, 42);
  DLNN_RUN (test_registry);
  DLNN_RUN (test_conv_forward);
  DLNN_RUN (test_conv_chunking);
  DLNN_RUN (test_conv_errors);
  DLNN_RUN (test_pool_forward);
  DLNN_RUN (test_maxpool_nan);
  DLNN_RUN (test_pool_errors);
  DLNN_RUN (test_global_pool);
  DLNN_RUN (test_gemm_forward);
  DLNN_RUN (test_matmul_forward);
  DLNN_RUN (test_batchnorm);
  DLNN_RUN (test_activations);
  DLNN_RUN (test_softmax);
  DLNN_RUN (test_dropout);
  DLNN_RUN (test_flatten_reshape_identity);
  DLNN_RUN (test_elementwise);
  DLNN_RUN (test_concat);
  DLNN_RUN (test_threads_consistent);
  return dlnn_test_summary ();
}
