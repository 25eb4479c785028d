/* Fast convolution paths (nn/src/ops/conv_winograd.c, the depthwise
 * kernels of conv_kernels.c) against a naive direct convolution written
 * here: the Winograd kernel on its own, and the Conv op through dlnn_exec
 * (inference uses the cached Winograd filter; a graph planned for training
 * does not, so weights changed by training are seen), and the
 * channel-vector direct kernel (conv_chv.c) on its own and through
 * dlnn_exec. */
#include "ops-harness.h"
#include "ops/conv-private.h"
#include "ops/fused_act.h"
#include "sgemm.h"
#include "dlnn/exec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D(...) ((const int64_t[]) { __VA_ARGS__ })

/* y = conv (x, w) + b, NCHW, group @grp, any stride/pad/dilation. */
static void
naive_conv (const float *x, const float *w, const float *b, float *y,
    int64_t n, int64_t c, int64_t m, int64_t grp, int64_t ih, int64_t iw,
    int64_t kh, int64_t kw, int64_t s, int64_t d, int64_t pt, int64_t pl,
    int64_t oh, int64_t ow)
{
  int64_t cg = c / grp, mg = m / grp;

  for (int64_t ni = 0; ni < n; ni++)
    for (int64_t mi = 0; mi < m; mi++)
      for (int64_t oy = 0; oy < oh; oy++)
        for (int64_t ox = 0; ox < ow; ox++) {
          double acc = b ? b[mi] : 0.0;
          int64_t gi = mi / mg;
          for (int64_t ci = 0; ci < cg; ci++)
            for (int64_t ki = 0; ki < kh; ki++)
              for (int64_t kj = 0; kj < kw; kj++) {
                int64_t iy = oy * s - pt + ki * d, ix = ox * s - pl + kj * d;
                if (iy < 0 || iy >= ih || ix < 0 || ix >= iw)
                  continue;
                acc += (double) x[((ni * c + gi * cg + ci) * ih + iy) * iw
                    + ix] * w[((mi * cg + ci) * kh + ki) * kw + kj];
              }
          y[((ni * m + mi) * oh + oy) * ow + ox] = (float) acc;
        }
}

/* max |y - ref| / max |ref| */
static double
rel_err (const float *y, const float *ref, int64_t size)
{
  double e = 0.0, r = 0.0;
  for (int64_t i = 0; i < size; i++) {
    double a = fabs ((double) y[i] - ref[i]);
    if (isnan (a))
      return NAN;               /* a failure whatever comes after */
    if (a > e)
      e = a;
    if (fabs (ref[i]) > r)
      r = fabs (ref[i]);
  }
  return r > 0.0 ? e / r : e;
}

typedef struct wino_case
{
  int64_t n, c, m, h, w, pt, pl, pb, pr;
} wino_case;

static void
test_winograd_kernel (void)
{
  static const wino_case cases[] = {
    {1, 16, 16, 8, 8, 1, 1, 1, 1},
    {1, 17, 19, 7, 9, 1, 1, 1, 1},      /* odd H/W, C/M not multiples of 8 */
    {3, 20, 24, 5, 6, 1, 1, 1, 1},      /* batch > 1 */
    {2, 16, 21, 9, 5, 0, 0, 0, 0},      /* no padding */
    {1, 18, 16, 6, 11, 2, 0, 1, 2},     /* asymmetric padding */
    {1, 32, 40, 3, 3, 1, 1, 1, 1},
    {2, 24, 16, 1, 4, 1, 1, 1, 1},      /* 1 row */
    /* blocks of 64 tiles (blocked mode): 195 tiles per image, blocks
     * across the image boundary, a partial last block */
    {3, 16, 17, 30, 25, 1, 1, 1, 1},
    {1, 33, 20, 47, 41, 1, 0, 1, 2},
  };

  for (size_t ci = 0; ci < sizeof (cases) / sizeof (cases[0]); ci++) {
    const wino_case *k = &cases[ci];
    conv_geom g;
    dlnn_tensor *x = oc_rand (4, D (k->n, k->c, k->h, k->w), 1.0f);
    dlnn_tensor *w = oc_rand (4, D (k->m, k->c, 3, 3), 0.3f);
    dlnn_tensor *b = oc_rand (1, D (k->m), 1.0f);
    float *u, *y, *ref, *ws;
    size_t wsz;
    int64_t nb;

    memset (&g, 0, sizeof (g));
    g.w.ih = k->h;
    g.w.iw = k->w;
    g.w.kh = g.w.kw = 3;
    g.w.sh = g.w.sw = g.w.dh = g.w.dw = 1;
    g.w.pt = k->pt;
    g.w.pl = k->pl;
    g.w.pb = k->pb;
    g.w.pr = k->pr;
    g.w.oh = k->h + k->pt + k->pb - 2;
    g.w.ow = k->w + k->pl + k->pr - 2;
    g.n = k->n;
    g.c = g.cg = k->c;
    g.m = g.mg = k->m;
    g.group = 1;
    g.hw = k->h * k->w;
    g.ohw = g.w.oh * g.w.ow;
    CHECK (dlnn_conv_winograd_eligible (&g));
    /* chunks of 2 images when there are several */
    nb = k->n > 1 ? 2 : 1;
    wsz = dlnn_conv_winograd_workspace (&g, nb);
    u = malloc (sizeof (float) * (size_t) (16 * k->m * k->c));
    y = malloc (sizeof (float) * (size_t) (k->n * k->m * g.ohw));
    ref = malloc (sizeof (float) * (size_t) (k->n * k->m * g.ohw));
    ws = malloc (sizeof (float) * wsz);
    for (size_t i = 0; i < wsz; i++)
      ws[i] = NAN;              /* the kernel must not read stale scratch */
    dlnn_conv_winograd_filter (w->data, k->m, k->c, u);
    dlnn_conv_winograd_forward (&g, nb, x->data, u, b->data, y, ws, wsz);
    naive_conv (x->data, w->data, b->data, ref, k->n, k->c, k->m, 1, k->h,
        k->w, 3, 3, 1, 1, k->pt, k->pl, g.w.oh, g.w.ow);
    {
      double e = rel_err (y, ref, k->n * k->m * g.ohw);
      CHECK_MSG (e <= 1e-4, "case %zu: relative error %g", ci, e);
    }
    free (u);
    free (y);
    free (ref);
    free (ws);
    dlnn_tensor_free (x);
    dlnn_tensor_free (w);
    dlnn_tensor_free (b);
  }

  /* not eligible: stride 2, groups, few channels */
  {
    conv_geom g;
    memset (&g, 0, sizeof (g));
    g.w.kh = g.w.kw = 3;
    g.w.sh = g.w.sw = g.w.dh = g.w.dw = 1;
    g.w.oh = g.w.ow = 4;
    g.n = 1;
    g.c = g.m = 16;
    g.group = 1;
    CHECK (dlnn_conv_winograd_eligible (&g));
    g.w.sw = 2;
    CHECK (!dlnn_conv_winograd_eligible (&g));
    g.w.sw = 1;
    g.group = 2;
    CHECK (!dlnn_conv_winograd_eligible (&g));
    g.group = 1;
    g.c = 8;
    CHECK (!dlnn_conv_winograd_eligible (&g));
  }
}

/* One Conv node (weights and bias parameters) in a graph. */
static dlnn_graph *
conv_graph (int64_t c, int64_t m, int64_t k, int64_t grp, int64_t stride,
    int64_t pad, int64_t h, int64_t w, dlnn_tensor ** wt, dlnn_tensor ** bt)
{
  dlnn_status st;
  dlnn_graph *g = dlnn_graph_new ("conv");
  const char *in[3] = { "x", "w", "b" }, *out[1] = { "y" };
  int node;

  *wt = oc_rand (4, D (m, c / grp, k, k), 0.3f);
  *bt = oc_rand (1, D (m), 1.0f);
  dlnn_graph_add_input (g, "x", 4, D (-1, c, h, w), &st);
  dlnn_graph_add_param (g, "w", dlnn_tensor_copy (*wt, NULL), 1, &st);
  dlnn_graph_add_param (g, "b", dlnn_tensor_copy (*bt, NULL), 1, &st);
  node = dlnn_graph_add_node (g, "Conv", "conv", 3, in, 1, out, &st);
  dlnn_node_set_ints (g, node, "pads", 4, D (pad, pad, pad, pad));
  dlnn_node_set_ints (g, node, "strides", 2, D (stride, stride));
  dlnn_node_set_int (g, node, "group", grp);
  dlnn_graph_add_output (g, "y", &st);
  if (dlnn_graph_finalize (g, &st) != DLNN_OK) {
    fprintf (stderr, "finalize: %s\n", st.message);
    dlnn_graph_free (g);
    return NULL;
  }
  return g;
}

/* Runs @e on @x and returns the relative error against the naive conv. */
static double
exec_err (dlnn_exec * e, const dlnn_tensor * x, const float *w,
    const float *b, int64_t m, int64_t grp, int64_t k, int64_t s,
    int64_t pad)
{
  dlnn_status st;
  const dlnn_tensor *y;
  float *ref;
  double err;

  if (dlnn_exec_reshape (e, 0, 4, x->dims, &st) != DLNN_OK) {
    fprintf (stderr, "reshape: %s\n", st.message);
    return INFINITY;
  }
  memcpy (dlnn_exec_input (e, 0)->data, x->data,
      sizeof (float) * (size_t) x->size);
  if (dlnn_exec_forward (e, &st) != DLNN_OK) {
    fprintf (stderr, "forward: %s\n", st.message);
    return INFINITY;
  }
  y = dlnn_exec_output (e, 0);
  ref = malloc (sizeof (float) * (size_t) y->size);
  naive_conv (x->data, w, b, ref, x->dims[0], x->dims[1], m, grp,
      x->dims[2], x->dims[3], k, k, s, 1, pad, pad, y->dims[2], y->dims[3]);
  err = rel_err (y->data, ref, y->size);
  free (ref);
  return err;
}

/* A node cache (the Winograd transform, the channel-vector kernel's
 * packed weights) through dlnn_exec on graph @g (one Conv, kernel @k,
 * stride @s, pad @pad, @m filters): the first inference forward fills it
 * (@expect: whether it is then ready), a second one uses it (both within
 * @tol); planning a training exec turns it off for good, so an inference
 * exec on the same graph then sees weights rewritten in place (as the
 * optimizer does). @x, @w, @b are freed with the graph. */
static void
check_cache_exec (dlnn_graph * g, dlnn_tensor * x, dlnn_tensor * w,
    dlnn_tensor * b, int64_t m, int64_t k, int64_t s, int64_t pad,
    int (*cached) (const dlnn_node *), int expect, double tol)
{
  dlnn_status st;
  dlnn_exec *e;
  double err;

  if (!g) {
    CHECK (g != NULL);
    return;
  }
  e = dlnn_exec_new (g, DLNN_EXEC_INFERENCE, &st);
  CHECK (!cached (&g->nodes[0]));
  err = exec_err (e, x, w->data, b->data, m, 1, k, s, pad);
  CHECK_MSG (err <= tol, "first forward: relative error %g", err);
  CHECK (cached (&g->nodes[0]) == expect);
  err = exec_err (e, x, w->data, b->data, m, 1, k, s, pad);
  CHECK_MSG (err <= tol, "cached forward: relative error %g", err);
  dlnn_exec_free (e);

  e = dlnn_exec_new (g, DLNN_EXEC_TRAINING, &st);
  CHECK_OK (dlnn_exec_reshape (e, 0, 4, x->dims, &st), &st);
  CHECK (!cached (&g->nodes[0]));
  dlnn_exec_free (e);
  {
    dlnn_tensor *wp = g->values[dlnn_graph_find_value (g, "w")].init;
    for (int64_t i = 0; i < wp->size; i++)
      wp->data[i] = w->data[i] = -0.5f * w->data[i] + 0.01f;
  }
  e = dlnn_exec_new (g, DLNN_EXEC_INFERENCE, &st);
  err = exec_err (e, x, w->data, b->data, m, 1, k, s, pad);
  CHECK_MSG (err <= 1e-5, "after training plan: relative error %g", err);
  CHECK (!cached (&g->nodes[0]));
  dlnn_exec_free (e);

  dlnn_graph_free (g);
  dlnn_tensor_free (w);
  dlnn_tensor_free (b);
  dlnn_tensor_free (x);
}

/* 51 input channels: Winograd runs from 48 where the direct way could
 * (conv.c WINO_DIRECT_MIN_IN_CHANNELS) and from 32 elsewhere. */
static void
test_winograd_exec (void)
{
  dlnn_tensor *w = NULL, *b = NULL, *x = oc_rand (4, D (2, 51, 9, 7), 1.0f);
  dlnn_graph *g = conv_graph (51, 17, 3, 1, 1, 1, 9, 7, &w, &b);

  check_cache_exec (g, x, w, b, 17, 3, 1, 1, dlnn_conv_winograd_cached, 1,
      1e-4);
}

static void
test_depthwise_exec (void)
{
  /* c, mult, k, stride, pad, h, w, batch */
  static const int64_t cases[][8] = {
    {8, 1, 3, 1, 1, 9, 7, 1},
    {5, 1, 3, 2, 1, 9, 7, 2},
    {6, 2, 3, 2, 1, 8, 8, 1},   /* two filters per channel */
    {7, 1, 5, 1, 2, 11, 6, 1},
    {4, 1, 5, 2, 2, 13, 9, 3},
    {3, 1, 3, 1, 0, 5, 5, 1},
    {3, 1, 3, 2, 3, 4, 3, 1},   /* pads larger than the kernel reach */
  };

  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
    const int64_t *k = cases[i];
    dlnn_status st;
    dlnn_tensor *w, *b, *x = oc_rand (4, D (k[7], k[0], k[5], k[6]), 1.0f);
    dlnn_graph *g = conv_graph (k[0], k[0] * k[1], k[2], k[0], k[3], k[4],
        k[5], k[6], &w, &b);
    for (int train = 0; g && train < 2; train++) {
      dlnn_exec *e = dlnn_exec_new (g,
          train ? DLNN_EXEC_TRAINING : DLNN_EXEC_INFERENCE, &st);
      double err = exec_err (e, x, w->data, b->data, k[0] * k[1], k[0],
          k[2], k[3], k[4]);
      CHECK_MSG (err <= 1e-5, "depthwise case %zu (training exec %d): "
          "relative error %g", i, train, err);
      dlnn_exec_free (e);
    }
    CHECK (g != NULL);
    dlnn_graph_free (g);
    dlnn_tensor_free (w);
    dlnn_tensor_free (b);
    dlnn_tensor_free (x);
  }
}

/* c, m, h, w, k, stride, pad */
static const int64_t chv_cases[][7] = {
  {3, 64, 23, 31, 3, 2, 0},     /* a stem: four stride phases */
  {16, 64, 15, 15, 3, 1, 1},
  {5, 40, 9, 29, 3, 1, 1},      /* 40 filters: a block of 8; tiles 10 10 9 */
  {4, 17, 12, 40, 5, 2, 2},     /* 17 filters, 5x5 stride 2 */
  {3, 33, 20, 20, 7, 2, 3},     /* 7x7 stride 2, a block of 1 filter */
  {2, 16, 3, 3, 3, 1, 1},       /* one 3-pixel tile per row */
  {6, 96, 6, 60, 3, 1, 1},      /* 60 = 4 x 15 -> 5 tiles of 12 */
  {16, 64, 13, 15, 1, 1, 0},    /* pointwise: B is the input itself */
  {40, 48, 3, 27, 1, 1, 0},
  {520, 250, 3, 14, 1, 1, 0},   /* weights beyond 512 KB: block by block */
};

/* The geometry conv.c would give these shapes (one group, dilation 1). */
static void
chv_geom (conv_geom * g, int64_t n, const int64_t * k)
{
  memset (g, 0, sizeof (*g));
  g->w.ih = k[2];
  g->w.iw = k[3];
  g->w.kh = g->w.kw = k[4];
  g->w.sh = g->w.sw = k[5];
  g->w.dh = g->w.dw = 1;
  g->w.pt = g->w.pl = g->w.pb = g->w.pr = k[6];
  g->w.oh = (k[2] + 2 * k[6] - k[4]) / k[5] + 1;
  g->w.ow = (k[3] + 2 * k[6] - k[4]) / k[5] + 1;
  g->n = n;
  g->c = g->cg = k[0];
  g->m = g->mg = k[1];
  g->group = 1;
  g->hw = k[2] * k[3];
  g->ohw = g->w.oh * g->w.ow;
  g->kc = g->krows = k[0] * k[4] * k[4];
  g->pointwise = k[4] == 1 && k[5] == 1 && k[6] == 0;
}

/* The kernel through dlnn_conv_direct_forward, for every case, without
 * and with a bias, with no activation, ReLU and Clip, and every output
 * width from 1 to 16 (each tile width), against the naive conv. */
static void
test_chv_kernel (void)
{
  static const dlnn_fused_act acts[] = {
    {DLNN_FUSED_NONE, 0.0f, 0.0f}, {DLNN_FUSED_RELU, 0.0f, 0.0f},
    {DLNN_FUSED_CLIP, -0.5f, 0.75f},
  };
  int64_t widths[sizeof (chv_cases) / sizeof (chv_cases[0]) + 16][7];
  size_t nc = 0;

  if (!dlnn_conv_chv_usable () || !dlnn_sgemm_own ()) {
    printf ("SKIP test_chv_kernel: needs AVX-512 (F, VL, DQ, BW)\n");
    return;
  }
  for (size_t i = 0; i < sizeof (chv_cases) / sizeof (chv_cases[0]); i++)
    memcpy (widths[nc++], chv_cases[i], sizeof (chv_cases[0]));
  for (int64_t ow = 1; ow <= 16; ow++) {
    const int64_t k[7] = { 3, 24 + ow, 4, ow, 3, 1, 1 };
    memcpy (widths[nc++], k, sizeof (k));
  }
  for (size_t ci = 0; ci < nc; ci++) {
    const int64_t *k = widths[ci];
    int64_t n = ci == 1 ? 2 : 1;
    conv_geom g;
    dlnn_tensor *x, *w, *b;
    float *y, *ref, *ws, *wp;
    size_t wsz, ysz;

    chv_geom (&g, n, k);
    CHECK (dlnn_conv_direct_eligible (&g));
    x = oc_rand (4, D (n, k[0], k[2], k[3]), 1.0f);
    w = oc_rand (4, D (k[1], k[0], k[4], k[4]), 0.3f);
    b = oc_rand (1, D (k[1]), 1.0f);
    ysz = (size_t) (n * k[1] * g.ohw);
    wsz = dlnn_conv_direct_workspace (&g);
    y = malloc (sizeof (float) * ysz);
    ref = malloc (sizeof (float) * ysz);
    ws = malloc (sizeof (float) * wsz);
    wp = aligned_alloc (64, sizeof (float) * (size_t)
        ((dlnn_conv_chv_packed_floats (k[1], g.kc) + 15) & ~15));
    dlnn_conv_chv_pack (w->data, k[1], g.kc, wp);
    for (int bias = 0; bias < 2; bias++)
      for (size_t ai = 0; ai < sizeof (acts) / sizeof (acts[0]); ai++) {
        const dlnn_fused_act *a = &acts[ai];
        double e;

        for (size_t i = 0; i < ysz; i++)
          y[i] = NAN;
        dlnn_conv_direct_forward (&g, x->data, w->data,
            bias ? b->data : NULL, a, y, ws, wp, NULL);
        naive_conv (x->data, w->data, bias ? b->data : NULL, ref, n, k[0],
            k[1], 1, k[2], k[3], k[4], k[4], k[5], 1, k[6], k[6], g.w.oh,
            g.w.ow);
        /* errors relative to the sums before the clamp */
        e = 0.0;
        for (size_t i = 0; i < ysz; i++)
          e = fabs (ref[i]) > e ? fabs (ref[i]) : e;
        for (size_t i = 0; i < ysz; i++) {
          float lo = a->kind == DLNN_FUSED_NONE ? -INFINITY : a->lo;
          float hi = a->kind == DLNN_FUSED_CLIP ? a->hi : INFINITY;
          ref[i] = ref[i] < lo ? lo : ref[i] > hi ? hi : ref[i];
        }
        {
          double rmax = 0.0;
          for (size_t i = 0; i < ysz; i++)
            rmax = fabs (ref[i]) > rmax ? fabs (ref[i]) : rmax;
          e = rel_err (y, ref, (int64_t) ysz) * rmax / (e > 0.0 ? e : 1.0);
        }
        CHECK_MSG (e <= 1e-5, "case %zu (c %lld m %lld %lldx%lld k %lld "
            "s %lld), bias %d, act %zu: relative error %g", ci,
            (long long) k[0], (long long) k[1], (long long) k[2],
            (long long) k[3], (long long) k[4], (long long) k[5], bias, ai,
            e);
      }
    free (wp);
    free (ws);
    free (y);
    free (ref);
    dlnn_tensor_free (x);
    dlnn_tensor_free (w);
    dlnn_tensor_free (b);
  }
}

/* Through dlnn_exec, a stem-like layer (3 -> 64 channels, stride 2,
 * which dlnn_conv_chv_chosen takes): inference packs the weights once
 * and runs the kernel, a training plan turns the packed copy off. */
static void
test_chv_exec (void)
{
  dlnn_tensor *w = NULL, *b = NULL, *x = oc_rand (4, D (1, 3, 23, 31), 1.0f);
  dlnn_graph *g = conv_graph (3, 64, 3, 1, 2, 0, 23, 31, &w, &b);

  check_cache_exec (g, x, w, b, 64, 3, 2, 0, dlnn_conv_chv_cached,
      dlnn_conv_chv_usable () && dlnn_sgemm_own (), 1e-5);
}

/* 48 -> 64 channels on 13x13: Winograd at 1 thread; at 2 threads, where
 * its GEMMs would each be split, the channel-vector kernel. */
static void
test_chv_over_winograd (void)
{
  dlnn_status st;
  dlnn_tensor *w, *b, *x = oc_rand (4, D (1, 48, 13, 13), 1.0f);
  dlnn_graph *g = conv_graph (48, 64, 3, 1, 1, 1, 13, 13, &w, &b);
  int threads = dlnn_get_threads ();
  int usable = dlnn_conv_chv_usable () && dlnn_sgemm_own ();
  dlnn_exec *e;
  double err;

  if (!g) {
    CHECK (g != NULL);
    return;
  }
  dlnn_set_threads (1);
  e = dlnn_exec_new (g, DLNN_EXEC_INFERENCE, &st);
  err = exec_err (e, x, w->data, b->data, 64, 1, 3, 1, 1);
  CHECK_MSG (err <= 1e-4, "1 thread: relative error %g", err);
  CHECK (dlnn_conv_winograd_cached (&g->nodes[0]));
  CHECK (!dlnn_conv_chv_cached (&g->nodes[0]));
  dlnn_set_threads (2);
  err = exec_err (e, x, w->data, b->data, 64, 1, 3, 1, 1);
  CHECK_MSG (err <= 1e-5, "2 threads: relative error %g", err);
  CHECK (dlnn_conv_chv_cached (&g->nodes[0])
      == (usable && dlnn_get_threads () > 1));
  dlnn_exec_free (e);
  dlnn_set_threads (threads);
  dlnn_graph_free (g);
  dlnn_tensor_free (w);
  dlnn_tensor_free (b);
  dlnn_tensor_free (x);
}

int
main (void)
{
  dlnn_rng_seed (&oc_data_rng, 77);
  DLNN_RUN (test_winograd_kernel);
  DLNN_RUN (test_winograd_exec);
  DLNN_RUN (test_depthwise_exec);
  DLNN_RUN (test_chv_kernel);
  DLNN_RUN (test_chv_exec);
  DLNN_RUN (test_chv_over_winograd);
  return dlnn_test_summary ();
}
