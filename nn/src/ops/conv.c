/* libdlnn - Conv: 1-D (N,C,L) and 2-D (N,C,H,W) convolution with strides,
 * pads (explicit or auto_pad), dilations and groups.
 *
 * Forward: im2col of a chunk of images into the workspace, then one GEMM
 * per group over the whole chunk (Y = W * col); pointwise convolutions
 * (1x1, stride 1, no pads) multiply the input directly; depthwise ones
 * (group == C, one or more filters per channel) use a direct kernel.
 * Backward: dW += dY * col^T, dcol = W^T * dY followed by col2im into dX,
 * dB = sum of dY. */
#include "common.h"
#include "conv.h"

#define CONV_DEFAULT_CAP ((size_t) 16 << 20)
#define CONV_DEFAULT_COLS 4096

static size_t conv_cap_floats = CONV_DEFAULT_CAP;
static int64_t conv_target_cols = CONV_DEFAULT_COLS;

void
dlnn_conv_set_chunking (size_t cap_floats, int64_t target_cols)
{
  conv_cap_floats = cap_floats ? cap_floats : CONV_DEFAULT_CAP;
  conv_target_cols = target_cols > 0 ? target_cols : CONV_DEFAULT_COLS;
}

typedef struct conv_priv
{
  dlnn_window_attrs wa;
  int64_t group;
} conv_priv;

typedef struct conv_geom
{
  dlnn_win2d w;
  int64_t n, c, m, group, cg, mg;
  int64_t hw, ohw;              /* input / output plane sizes */
  int64_t kc;                   /* rows of one group's col: cg * kh * kw */
  int64_t krows;                /* rows of the col matrix: c * kh * kw */
  int pointwise, depthwise;
  int64_t nb;                   /* images per im2col chunk */
  size_t ws;                    /* workspace floats */
} conv_geom;

static dlnn_code
conv_init (const dlnn_graph * g, dlnn_node * n, dlnn_status * st)
{
  conv_priv *p = dlnn_op_priv_new (n, sizeof (conv_priv), st);
  dlnn_code c;

  if (!p)
    return DLNN_ERR_NOMEM;
  if ((c = dlnn_window_parse (n, &p->wa, 0, st)) != DLNN_OK)
    return c;
  p->group = dlnn_node_attr_int (n, "group", 1);
  if (p->group < 1)
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "group=%lld must be positive", (long long) p->group);
  return DLNN_OK;
}

static dlnn_code
conv_geom_get (const dlnn_node * n, const dlnn_tensor * x,
    const dlnn_tensor * w, const dlnn_tensor * b, conv_geom * g,
    dlnn_status * st)
{
  const conv_priv *p = n->priv;
  int rank = x->ndim - 2;
  dlnn_code c;

  memset (g, 0, sizeof (*g));
  if (x->ndim != 3 && x->ndim != 4)
    return dlnn_op_shape_error (n, st,
        "only 1-D (N,C,L) and 2-D (N,C,H,W) convolutions are supported; X is",
        x, NULL);
  if (w->ndim != x->ndim)
    return dlnn_op_shape_error (n, st, "X and W ranks differ: X, W", x, w);
  memset (g, 0, sizeof (*g));
  g->group = p->group;
  g->n = x->dims[0];
  g->c = x->dims[1];
  g->m = w->dims[0];
  if (w->dims[1] * g->group != g->c)
    return dlnn_op_shape_error (n, st,
        "W input channels times group must equal X channels: X, W", x, w);
  if (g->m % g->group != 0 || g->m == 0)
    return dlnn_op_shape_error (n, st,
        "W output channels must be a positive multiple of group: X, W", x,
        w);
  if (p->wa.n_kernel) {
    int bad = p->wa.n_kernel != rank;
    for (int i = 0; !bad && i < rank; i++)
      bad = p->wa.kernel[i] != w->dims[2 + i];
    if (bad)
      return dlnn_op_shape_error (n, st,
          "kernel_shape does not match the weights: X, W", x, w);
  }
  for (int i = 0; i < rank; i++)
    if (w->dims[2 + i] < 1)
      return dlnn_op_shape_error (n, st, "empty kernel: X, W", x, w);
  if (b && (b->ndim != 1 || b->dims[0] != g->m))
    return dlnn_op_shape_error (n, st, "B must have one value per filter: W, B",
        w, b);
  c = dlnn_window_geom (n, &p->wa, rank, x->dims + 2, w->dims + 2, &g->w, st);
  if (c != DLNN_OK)
    return c;
  g->cg = g->c / g->group;
  g->mg = g->m / g->group;
  g->hw = g->w.ih * g->w.iw;
  g->ohw = g->w.oh * g->w.ow;
  g->kc = g->cg * g->w.kh * g->w.kw;
  g->krows = g->c * g->w.kh * g->w.kw;
  g->pointwise = g->w.kh == 1 && g->w.kw == 1 && g->w.sh == 1
      && g->w.sw == 1 && g->w.pt == 0 && g->w.pl == 0 && g->w.pb == 0
      && g->w.pr == 0;
  g->depthwise = !g->pointwise && g->group > 1 && g->cg == 1;
  g->nb = 1;
  g->ws = 0;
  if (!g->pointwise && !g->depthwise && g->n > 0 && g->ohw > 0) {
    int64_t per = (g->krows + g->m) * g->ohw;
    int64_t nb = (conv_target_cols + g->ohw - 1) / g->ohw;
    int64_t nb_cap = (int64_t) (conv_cap_floats / (size_t) per);
    if (nb > nb_cap)
      nb = nb_cap;
    if (nb > g->n)
      nb = g->n;
    if (nb < 1)
      nb = 1;
    g->nb = nb;
    g->ws = nb > 1 ? (size_t) (nb * per) : (size_t) (g->krows * g->ohw);
  }
  return DLNN_OK;
}

static dlnn_code
conv_shape (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, dlnn_status * st)
{
  conv_geom g;
  int64_t dims[4];
  dlnn_code c = conv_geom_get (n, in[0], in[1], dlnn_op_in (n, in, 2), &g,
      st);

  if (c != DLNN_OK)
    return c;
  dims[0] = g.n;
  dims[1] = g.m;
  if (in[0]->ndim == 4) {
    dims[2] = g.w.oh;
    dims[3] = g.w.ow;
  } else {
    dims[2] = g.w.ow;
  }
  return dlnn_op_set_shape (n, out[0], in[0]->ndim, dims, st);
}

static size_t
conv_workspace (const dlnn_node * n, const dlnn_tensor * const *in,
    const dlnn_tensor * const *out, int training)
{
  conv_geom g;

  if (conv_geom_get (n, in[0], in[1], dlnn_op_in (n, in, 2), &g, NULL))
    return 0;
  return g.ws;
}

/* col[row][0..oh*ow) for one image; rows (c, ki, kj), row stride ldcol. */
static void
im2col (const float *restrict x, int64_t c, const dlnn_win2d * g,
    float *restrict col, int64_t ldcol)
{
  const int64_t ih = g->ih, iw = g->iw, oh = g->oh, ow = g->ow;

  for (int64_t ci = 0; ci < c; ci++) {
    const float *xc = x + ci * ih * iw;
    for (int64_t ki = 0; ki < g->kh; ki++) {
      for (int64_t kj = 0; kj < g->kw; kj++) {
        float *row = col + ((ci * g->kh + ki) * g->kw + kj) * ldcol;
        int64_t ix0 = kj * g->dw - g->pl, lo, hi;

        dlnn_window_taps (ix0, ow, g->sw, iw, &lo, &hi);
        for (int64_t oy = 0; oy < oh; oy++) {
          int64_t iy = oy * g->sh - g->pt + ki * g->dh;
          float *dst = row + oy * ow;
          const float *xr;

          if (iy < 0 || iy >= ih || lo >= hi) {
            memset (dst, 0, (size_t) ow * sizeof (float));
            continue;
          }
          xr = xc + iy * iw;
          for (int64_t ox = 0; ox < lo; ox++)
            dst[ox] = 0.0f;
          if (g->sw == 1)
            memcpy (dst + lo, xr + lo + ix0, (size_t) (hi - lo) *
                sizeof (float));
          else
            for (int64_t ox = lo; ox < hi; ox++)
              dst[ox] = xr[ox * g->sw + ix0];
          for (int64_t ox = hi; ox < ow; ox++)
            dst[ox] = 0.0f;
        }
      }
    }
  }
}

/* dx += col2im (col) for one image. */
static void
col2im (const float *restrict col, int64_t ldcol, int64_t c,
    const dlnn_win2d * g, float *restrict dx)
{
  const int64_t ih = g->ih, iw = g->iw, oh = g->oh, ow = g->ow;

  for (int64_t ci = 0; ci < c; ci++) {
    float *dc = dx + ci * ih * iw;
    for (int64_t ki = 0; ki < g->kh; ki++) {
      for (int64_t kj = 0; kj < g->kw; kj++) {
        const float *row = col + ((ci * g->kh + ki) * g->kw + kj) * ldcol;
        int64_t ix0 = kj * g->dw - g->pl, lo, hi;

        dlnn_window_taps (ix0, ow, g->sw, iw, &lo, &hi);
        if (lo >= hi)
          continue;
        for (int64_t oy = 0; oy < oh; oy++) {
          int64_t iy = oy * g->sh - g->pt + ki * g->dh;
          const float *src = row + oy * ow;
          float *dr;

          if (iy < 0 || iy >= ih)
            continue;
          dr = dc + iy * iw;
          if (g->sw == 1) {
            float *d = dr + ix0;
            for (int64_t ox = lo; ox < hi; ox++)
              d[ox] += src[ox];
          } else {
            for (int64_t ox = lo; ox < hi; ox++)
              dr[ox * g->sw + ix0] += src[ox];
          }
        }
      }
    }
  }
}

/* Direct depthwise kernel: output channel mi reads input channel mi/mult. */
static void
depthwise_forward (const conv_geom * g, const float *x, const float *w,
    float *y)
{
  const dlnn_win2d *q = &g->w;
  const int64_t mult = g->mg, kk = q->kh * q->kw;

  for (int64_t ni = 0; ni < g->n; ni++) {
    for (int64_t mi = 0; mi < g->m; mi++) {
      const float *xp = x + (ni * g->c + mi / mult) * g->hw;
      const float *wp = w + mi * kk;
      float *yp = y + (ni * g->m + mi) * g->ohw;

      for (int64_t oy = 0; oy < q->oh; oy++) {
        float *yr = yp + oy * q->ow;
        for (int64_t ox = 0; ox < q->ow; ox++)
          yr[ox] = 0.0f;
        for (int64_t ki = 0; ki < q->kh; ki++) {
          int64_t iy = oy * q->sh - q->pt + ki * q->dh;
          const float *xr;
          if (iy < 0 || iy >= q->ih)
            continue;
          xr = xp + iy * q->iw;
          for (int64_t kj = 0; kj < q->kw; kj++) {
            int64_t ix0 = kj * q->dw - q->pl, lo, hi;
            float wv = wp[ki * q->kw + kj];
            dlnn_window_taps (ix0, q->ow, q->sw, q->iw, &lo, &hi);
            if (q->sw == 1) {
              const float *xs = xr + ix0;
              for (int64_t ox = lo; ox < hi; ox++)
                yr[ox] += wv * xs[ox];
            } else {
              for (int64_t ox = lo; ox < hi; ox++)
                yr[ox] += wv * xr[ox * q->sw + ix0];
            }
          }
        }
      }
    }
  }
}

static void
depthwise_backward (const conv_geom * g, const float *x, const float *w,
    const float *dy, float *dx, float *dw)
{
  const dlnn_win2d *q = &g->w;
  const int64_t mult = g->mg, kk = q->kh * q->kw;

  for (int64_t ni = 0; ni < g->n; ni++) {
    for (int64_t mi = 0; mi < g->m; mi++) {
      int64_t xoff = (ni * g->c + mi / mult) * g->hw;
      const float *xp = x + xoff;
      float *dxp = dx ? dx + xoff : NULL;
      const float *wp = w + mi * kk;
      float *dwp = dw ? dw + mi * kk : NULL;
      const float *dyp = dy + (ni * g->m + mi) * g->ohw;

      for (int64_t oy = 0; oy < q->oh; oy++) {
        const float *dyr = dyp + oy * q->ow;
        for (int64_t ki = 0; ki < q->kh; ki++) {
          int64_t iy = oy * q->sh - q->pt + ki * q->dh;
          if (iy < 0 || iy >= q->ih)
            continue;
          for (int64_t kj = 0; kj < q->kw; kj++) {
            int64_t ix0 = kj * q->dw - q->pl, lo, hi;
            dlnn_window_taps (ix0, q->ow, q->sw, q->iw, &lo, &hi);
            if (dwp) {
              const float *xr = xp + iy * q->iw;
              float acc = 0.0f;
              for (int64_t ox = lo; ox < hi; ox++)
                acc += dyr[ox] * xr[ox * q->sw + ix0];
              dwp[ki * q->kw + kj] += acc;
            }
            if (dxp) {
              float *dxr = dxp + iy * q->iw;
              float wv = wp[ki * q->kw + kj];
              for (int64_t ox = lo; ox < hi; ox++)
                dxr[ox * q->sw + ix0] += wv * dyr[ox];
            }
          }
        }
      }
    }
  }
}

static dlnn_code
check_workspace (const dlnn_node * n, const dlnn_op_ctx * ctx, size_t need,
    dlnn_status * st)
{
  if (need && (!ctx->workspace || ctx->workspace_size < need))
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "workspace of %zu floats is smaller than the %zu needed",
        ctx->workspace ? ctx->workspace_size : 0, need);
  return DLNN_OK;
}

static dlnn_code
conv_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st)
{
  const dlnn_tensor *b = dlnn_op_in (n, in, 2);
  const float *x = in[0]->data, *w = in[1]->data;
  float *y = out[0]->data;
  conv_geom g;
  dlnn_code c;

  if ((c = conv_geom_get (n, in[0], in[1], b, &g, st)) != DLNN_OK
      || (c = check_workspace (n, ctx, g.ws, st)) != DLNN_OK)
    return c;

  if (g.depthwise) {
    depthwise_forward (&g, x, w, y);
  } else if (g.pointwise) {
    for (int64_t ni = 0; ni < g.n; ni++)
      for (int64_t gi = 0; gi < g.group; gi++)
        dlnn_sgemm (0, 0, g.mg, g.ohw, g.cg, 1.0f, w + gi * g.mg * g.cg,
            g.cg, x + (ni * g.c + gi * g.cg) * g.hw, g.hw, 0.0f,
            y + (ni * g.m + gi * g.mg) * g.ohw, g.ohw);
  } else {
    float *col = ctx->workspace;
    float *ybuf = col + g.krows * g.nb * g.ohw;

    for (int64_t n0 = 0; n0 < g.n; n0 += g.nb) {
      int64_t nbc = g.n - n0 < g.nb ? g.n - n0 : g.nb;
      int64_t ldcol = nbc * g.ohw;
      float *dst = nbc == 1 ? y + n0 * g.m * g.ohw : ybuf;

      for (int64_t bi = 0; bi < nbc; bi++)
        im2col (x + (n0 + bi) * g.c * g.hw, g.c, &g.w, col + bi * g.ohw,
            ldcol);
      for (int64_t gi = 0; gi < g.group; gi++)
        dlnn_sgemm (0, 0, g.mg, ldcol, g.kc, 1.0f, w + gi * g.mg * g.kc,
            g.kc, col + gi * g.kc * ldcol, ldcol, 0.0f,
            dst + gi * g.mg * ldcol, ldcol);
      if (nbc > 1)
        for (int64_t bi = 0; bi < nbc; bi++)
          for (int64_t mi = 0; mi < g.m; mi++)
            memcpy (y + ((n0 + bi) * g.m + mi) * g.ohw,
                ybuf + mi * ldcol + bi * g.ohw,
                (size_t) g.ohw * sizeof (float));
    }
  }

  if (b) {
    for (int64_t ni = 0; ni < g.n; ni++)
      for (int64_t mi = 0; mi < g.m; mi++) {
        float bv = b->data[mi];
        float *yp = y + (ni * g.m + mi) * g.ohw;
        for (int64_t p = 0; p < g.ohw; p++)
          yp[p] += bv;
      }
  }
  return DLNN_OK;
}

static dlnn_code
conv_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  const dlnn_tensor *b = dlnn_op_in (n, in, 2);
  dlnn_tensor *tdx = dlnn_op_din (n, din, 0), *tdw = dlnn_op_din (n, din, 1);
  dlnn_tensor *tdb = dlnn_op_din (n, din, 2);
  const float *x = in[0]->data, *w = in[1]->data, *dy = dout[0]->data;
  float *dx = tdx ? tdx->data : NULL, *dw = tdw ? tdw->data : NULL;
  conv_geom g;
  dlnn_code c;

  if ((c = conv_geom_get (n, in[0], in[1], b, &g, st)) != DLNN_OK)
    return c;

  if (tdb) {
    for (int64_t mi = 0; mi < g.m; mi++) {
      double acc = 0.0;
      for (int64_t ni = 0; ni < g.n; ni++) {
        const float *dp = dy + (ni * g.m + mi) * g.ohw;
        float s = 0.0f;
        for (int64_t p = 0; p < g.ohw; p++)
          s += dp[p];
        acc += s;
      }
      tdb->data[mi] += (float) acc;
    }
  }
  if (!dx && !dw)
    return DLNN_OK;

  if (g.depthwise) {
    depthwise_backward (&g, x, w, dy, dx, dw);
    return DLNN_OK;
  }
  if (g.pointwise) {
    for (int64_t ni = 0; ni < g.n; ni++)
      for (int64_t gi = 0; gi < g.group; gi++) {
        const float *dyg = dy + (ni * g.m + gi * g.mg) * g.ohw;
        int64_t xoff = (ni * g.c + gi * g.cg) * g.hw;
        if (dw)
          dlnn_sgemm (0, 1, g.mg, g.cg, g.ohw, 1.0f, dyg, g.ohw, x + xoff,
              g.hw, 1.0f, dw + gi * g.mg * g.cg, g.cg);
        if (dx)
          dlnn_sgemm (1, 0, g.cg, g.hw, g.mg, 1.0f, w + gi * g.mg * g.cg,
              g.cg, dyg, g.ohw, 1.0f, dx + xoff, g.hw);
      }
    return DLNN_OK;
  }

  if ((c = check_workspace (n, ctx, g.ws, st)) != DLNN_OK)
    return c;
  {
    float *col = ctx->workspace;
    float *ybuf = col + g.krows * g.nb * g.ohw;

    for (int64_t n0 = 0; n0 < g.n; n0 += g.nb) {
      int64_t nbc = g.n - n0 < g.nb ? g.n - n0 : g.nb;
      int64_t ldcol = nbc * g.ohw;
      const float *dyc = dy + n0 * g.m * g.ohw;

      if (nbc > 1) {
        for (int64_t bi = 0; bi < nbc; bi++)
          for (int64_t mi = 0; mi < g.m; mi++)
            memcpy (ybuf + mi * ldcol + bi * g.ohw,
                dy + ((n0 + bi) * g.m + mi) * g.ohw,
                (size_t) g.ohw * sizeof (float));
        dyc = ybuf;
      }
      if (dw) {
        for (int64_t bi = 0; bi < nbc; bi++)
          im2col (x + (n0 + bi) * g.c * g.hw, g.c, &g.w, col + bi * g.ohw,
              ldcol);
        for (int64_t gi = 0; gi < g.group; gi++)
          dlnn_sgemm (0, 1, g.mg, g.kc, ldcol, 1.0f, dyc + gi * g.mg * ldcol,
              ldcol, col + gi * g.kc * ldcol, ldcol, 1.0f,
              dw + gi * g.mg * g.kc, g.kc);
      }
      if (dx) {
        for (int64_t gi = 0; gi < g.group; gi++)
          dlnn_sgemm (1, 0, g.kc, ldcol, g.mg, 1.0f, w + gi * g.mg * g.kc,
              g.kc, dyc + gi * g.mg * ldcol, ldcol, 0.0f,
              col + gi * g.kc * ldcol, ldcol);
        for (int64_t bi = 0; bi < nbc; bi++)
          col2im (col + bi * g.ohw, ldcol, g.c, &g.w,
              dx + (n0 + bi) * g.c * g.hw);
      }
    }
  }
  return DLNN_OK;
}

const dlnn_op dlnn_op_conv = {
  .type = "Conv",
  .min_inputs = 2,.max_inputs = 3,
  .min_outputs = 1,.max_outputs = 1,
  .init = conv_init,
  .shape = conv_shape,
  .workspace = conv_workspace,
  .forward = conv_forward,
  .backward = conv_backward,
};
