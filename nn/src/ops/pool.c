/* libdlnn - MaxPool, AveragePool (1-D and 2-D; pads, strides, dilations,
 * ceil_mode, count_include_pad), GlobalAveragePool, GlobalMaxPool.
 *
 * With ceil_mode, a last window that would start in the right padding is
 * dropped and the AveragePool divisor with count_include_pad counts only
 * the taps inside the padded input (PyTorch's convention). MaxPool stores
 * the argmax of each output (index in its input plane, int32) in the saved
 * region during training; backward recomputes it when there is none. At
 * inference, 2x2 and 3x3 stride-2 windows use the value-only kernels of
 * pool_max.c. */
#include "common.h"
#include "parallel.h"
#include "pool.h"

#include <math.h>

typedef struct pool_priv
{
  dlnn_window_attrs wa;
  int count_include_pad;
} pool_priv;

static dlnn_code
pool_init_common (dlnn_node * n, int is_max, dlnn_status * st)
{
  pool_priv *p = dlnn_op_priv_new (n, sizeof (pool_priv), st);
  dlnn_code c;

  if (!p)
    return DLNN_ERR_NOMEM;
  if ((c = dlnn_window_parse (n, &p->wa, 1, st)) != DLNN_OK)
    return c;
  if (p->wa.n_kernel == 0)
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "attribute kernel_shape is required");
  if (is_max) {
    int64_t so = dlnn_node_attr_int (n, "storage_order", 0);
    if (so != 0)
      return dlnn_op_error (n, st, DLNN_ERR_UNSUPPORTED,
          "storage_order=%lld is not supported (only 0)", (long long) so);
  } else {
    int64_t cip = dlnn_node_attr_int (n, "count_include_pad", 0);
    if (cip != 0 && cip != 1)
      return dlnn_op_error (n, st, DLNN_ERR_INVALID,
          "count_include_pad=%lld must be 0 or 1", (long long) cip);
    p->count_include_pad = (int) cip;
  }
  return DLNN_OK;
}

static dlnn_code
maxpool_init (const dlnn_graph * g, dlnn_node * n, dlnn_status * st)
{
  return pool_init_common (n, 1, st);
}

static dlnn_code
avgpool_init (const dlnn_graph * g, dlnn_node * n, dlnn_status * st)
{
  return pool_init_common (n, 0, st);
}

static dlnn_code
pool_geom (const dlnn_node * n, const dlnn_tensor * x, dlnn_win2d * g,
    int64_t * planes, dlnn_status * st)
{
  const pool_priv *p = n->priv;
  int rank = x->ndim - 2;

  *planes = 0;
  memset (g, 0, sizeof (*g));
  if (x->ndim != 3 && x->ndim != 4)
    return dlnn_op_shape_error (n, st,
        "only 1-D (N,C,L) and 2-D (N,C,H,W) pooling is supported; X is", x,
        NULL);
  if (p->wa.n_kernel != rank)
    return dlnn_op_shape_error (n, st,
        "kernel_shape rank differs from the input's spatial rank: X is", x,
        NULL);
  *planes = x->dims[0] * x->dims[1];
  return dlnn_window_geom (n, &p->wa, rank, x->dims + 2, p->wa.kernel, g, st);
}

static dlnn_code
pool_shape (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, dlnn_status * st)
{
  dlnn_win2d g;
  int64_t planes, dims[4];
  dlnn_code c = pool_geom (n, in[0], &g, &planes, st);

  if (c != DLNN_OK)
    return c;
  dims[0] = in[0]->dims[0];
  dims[1] = in[0]->dims[1];
  if (in[0]->ndim == 4) {
    dims[2] = g.oh;
    dims[3] = g.ow;
  } else {
    dims[2] = g.ow;
  }
  return dlnn_op_set_shape (n, out[0], in[0]->ndim, dims, st);
}

/* ---- MaxPool ---- */

/* Index in the plane of the maximum of window (oy, ox); -1 if empty. */
static inline int32_t
max_argmax (const float *xp, const dlnn_win2d * g, int64_t oy, int64_t ox)
{
  int64_t hs = oy * g->sh - g->pt, ws = ox * g->sw - g->pl;
  int64_t klo, khi, jlo, jhi;
  float best = -INFINITY;
  int32_t bi = -1;

  dlnn_window_taps (hs, g->kh, g->dh, g->ih, &klo, &khi);
  dlnn_window_taps (ws, g->kw, g->dw, g->iw, &jlo, &jhi);
  /* column by column, as pool_max.c's kernels take the taps */
  for (int64_t kj = jlo; kj < jhi; kj++)
    for (int64_t ki = klo; ki < khi; ki++) {
      int64_t i = (hs + ki * g->dh) * g->iw + ws + kj * g->dw;
      if (bi < 0 || xp[i] > best) {
        best = xp[i];
        bi = (int32_t) i;
      }
    }
  return bi;
}

static size_t
maxpool_saved (const dlnn_node * n, const dlnn_tensor * const *in,
    const dlnn_tensor * const *out)
{
  /* one int32 per output element */
  return (size_t) out[0]->size;
}

typedef struct pool_job
{
  const dlnn_win2d *g;
  const float *x, *dy;
  float *y, *dx;
  int32_t *idx;
  const int32_t *cidx;
  int cip;
} pool_job;

static void
maxpool_forward_job (void *arg, int64_t begin, int64_t end)
{
  const pool_job *j = arg;
  const dlnn_win2d *g = j->g;
  int64_t ohw = g->oh * g->ow;
  int fast = g->kh == 2 && g->kw == 2 && g->sh == 2 && g->sw == 2
      && g->dh == 1 && g->dw == 1 && g->pt == 0 && g->pl == 0
      && g->oh * 2 <= g->ih && g->ow * 2 <= g->iw;

  for (int64_t pi = begin; pi < end; pi++) {
    const float *xp = j->x + pi * g->ih * g->iw;
    float *yp = j->y + pi * ohw;
    int32_t *ip = j->idx ? j->idx + pi * ohw : NULL;

    /* inference: value-only kernels (pool_max.c) when the shape has one */
    if (!ip && dlnn_maxpool_plane_values (g, xp, yp))
      continue;
    if (fast) {
      for (int64_t oy = 0; oy < g->oh; oy++) {
        const float *r0 = xp + 2 * oy * g->iw, *r1 = r0 + g->iw;
        float *yr = yp + oy * g->ow;
        int32_t *ir = ip ? ip + oy * g->ow : NULL;
        int32_t base = (int32_t) (2 * oy * g->iw);
        for (int64_t ox = 0; ox < g->ow; ox++) {
          float a = r0[2 * ox], b = r0[2 * ox + 1];
          float cc = r1[2 * ox], d = r1[2 * ox + 1];
          float m = a;
          int32_t k = 0;
          /* column by column, as max_argmax */
          if (cc > m) {
            m = cc;
            k = 2;
          }
          if (b > m) {
            m = b;
            k = 1;
          }
          if (d > m) {
            m = d;
            k = 3;
          }
          yr[ox] = m;
          if (ir)
            ir[ox] = base + (int32_t) (2 * ox) + (k & 1) +
                (k >> 1) * (int32_t) g->iw;
        }
      }
      continue;
    }
    for (int64_t oy = 0; oy < g->oh; oy++)
      for (int64_t ox = 0; ox < g->ow; ox++) {
        int32_t bi = max_argmax (xp, g, oy, ox);
        yp[oy * g->ow + ox] = bi >= 0 ? xp[bi] : 0.0f;
        if (ip)
          ip[oy * g->ow + ox] = bi;
      }
  }
}

void
dlnn_maxpool_values (const dlnn_win2d * g, int64_t planes, const float *x,
    float *y)
{
  pool_job j;

  memset (&j, 0, sizeof (j));
  j.g = g;
  j.x = x;
  j.y = y;
  dlnn_parallel_for (planes, DLNN_PAR_WORK / (g->ih * g->iw + 1) + 1,
      maxpool_forward_job, &j);
}

static dlnn_code
maxpool_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st)
{
  dlnn_win2d g;
  int64_t planes, ohw;
  pool_job j;
  dlnn_code c;

  if ((c = pool_geom (n, in[0], &g, &planes, st)) != DLNN_OK)
    return c;
  if (g.ih * g.iw > INT32_MAX)
    return dlnn_op_shape_error (n, st, "input plane too large: X is", in[0],
        NULL);
  ohw = g.oh * g.ow;
  memset (&j, 0, sizeof (j));
  j.g = &g;
  j.x = in[0]->data;
  j.y = out[0]->data;
  if (ctx->training && ctx->saved && ctx->saved_size >= (size_t) (planes *
          ohw))
    j.idx = (int32_t *) ctx->saved;
  dlnn_parallel_for (planes, DLNN_PAR_WORK / (g.ih * g.iw + 1) + 1,
      maxpool_forward_job, &j);
  return DLNN_OK;
}

static void
maxpool_backward_job (void *arg, int64_t begin, int64_t end)
{
  const pool_job *j = arg;
  const dlnn_win2d *g = j->g;
  int64_t ohw = g->oh * g->ow;

  for (int64_t pi = begin; pi < end; pi++) {
    const float *xp = j->x + pi * g->ih * g->iw;
    const float *dyp = j->dy + pi * ohw;
    float *dxp = j->dx + pi * g->ih * g->iw;
    if (j->cidx) {
      const int32_t *ip = j->cidx + pi * ohw;
      for (int64_t o = 0; o < ohw; o++)
        if (ip[o] >= 0)
          dxp[ip[o]] += dyp[o];
    } else {
      for (int64_t oy = 0; oy < g->oh; oy++)
        for (int64_t ox = 0; ox < g->ow; ox++) {
          int32_t bi = max_argmax (xp, g, oy, ox);
          if (bi >= 0)
            dxp[bi] += dyp[oy * g->ow + ox];
        }
    }
  }
}

static dlnn_code
maxpool_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  dlnn_tensor *dx = dlnn_op_din (n, din, 0);
  dlnn_win2d g;
  int64_t planes, ohw;
  pool_job j;
  dlnn_code c;

  if (!dx)
    return DLNN_OK;
  if ((c = pool_geom (n, in[0], &g, &planes, st)) != DLNN_OK)
    return c;
  ohw = g.oh * g.ow;
  memset (&j, 0, sizeof (j));
  j.g = &g;
  j.x = in[0]->data;
  j.dy = dout[0]->data;
  j.dx = dx->data;
  if (ctx->training && ctx->saved && ctx->saved_size >= (size_t) (planes *
          ohw))
    j.cidx = (const int32_t *) ctx->saved;
  dlnn_parallel_for (planes, DLNN_PAR_WORK / (g.ih * g.iw + 1) + 1,
      maxpool_backward_job, &j);
  return DLNN_OK;
}

const dlnn_op dlnn_op_maxpool = {
  .type = "MaxPool",
  .min_inputs = 1,.max_inputs = 1,
  .min_outputs = 1,.max_outputs = 1,
  .init = maxpool_init,
  .shape = pool_shape,
  .saved = maxpool_saved,
  .forward = maxpool_forward,
  .backward = maxpool_backward,
};

/* ---- AveragePool ---- */

/* Window taps and divisor of output (oy, ox). */
static inline float
avg_window (const dlnn_win2d * g, int cip, int64_t oy, int64_t ox,
    int64_t * hs, int64_t * ws, int64_t * klo, int64_t * khi, int64_t * jlo,
    int64_t * jhi)
{
  int64_t cnt;

  *hs = oy * g->sh - g->pt;
  *ws = ox * g->sw - g->pl;
  dlnn_window_taps (*hs, g->kh, g->dh, g->ih, klo, khi);
  dlnn_window_taps (*ws, g->kw, g->dw, g->iw, jlo, jhi);
  if (cip) {
    /* taps inside the padded input [-pt, ih + pb) x [-pl, iw + pr) */
    int64_t lo, ch, cw;
    dlnn_window_taps (*hs + g->pt, g->kh, g->dh, g->ih + g->pt + g->pb, &lo,
        &ch);
    ch -= lo;
    dlnn_window_taps (*ws + g->pl, g->kw, g->dw, g->iw + g->pl + g->pr, &lo,
        &cw);
    cw -= lo;
    cnt = ch * cw;
  } else {
    cnt = (*khi - *klo) * (*jhi - *jlo);
  }
  return cnt > 0 ? 1.0f / (float) cnt : 0.0f;
}

static void
avgpool_forward_job (void *arg, int64_t begin, int64_t end)
{
  const pool_job *j = arg;
  const dlnn_win2d *g = j->g;
  int64_t ohw = g->oh * g->ow;

  for (int64_t pi = begin; pi < end; pi++) {
    const float *xp = j->x + pi * g->ih * g->iw;
    float *yp = j->y + pi * ohw;
    for (int64_t oy = 0; oy < g->oh; oy++)
      for (int64_t ox = 0; ox < g->ow; ox++) {
        int64_t hs, ws, klo, khi, jlo, jhi;
        float inv = avg_window (g, j->cip, oy, ox, &hs, &ws, &klo, &khi,
            &jlo, &jhi);
        float s = 0.0f;
        for (int64_t ki = klo; ki < khi; ki++) {
          const float *xr = xp + (hs + ki * g->dh) * g->iw + ws;
          for (int64_t kj = jlo; kj < jhi; kj++)
            s += xr[kj * g->dw];
        }
        yp[oy * g->ow + ox] = s * inv;
      }
  }
}

static void
avgpool_backward_job (void *arg, int64_t begin, int64_t end)
{
  const pool_job *j = arg;
  const dlnn_win2d *g = j->g;
  int64_t ohw = g->oh * g->ow;

  for (int64_t pi = begin; pi < end; pi++) {
    const float *dyp = j->dy + pi * ohw;
    float *dxp = j->dx + pi * g->ih * g->iw;
    for (int64_t oy = 0; oy < g->oh; oy++)
      for (int64_t ox = 0; ox < g->ow; ox++) {
        int64_t hs, ws, klo, khi, jlo, jhi;
        float inv = avg_window (g, j->cip, oy, ox, &hs, &ws, &klo, &khi,
            &jlo, &jhi);
        float v = dyp[oy * g->ow + ox] * inv;
        for (int64_t ki = klo; ki < khi; ki++) {
          float *dr = dxp + (hs + ki * g->dh) * g->iw + ws;
          for (int64_t kj = jlo; kj < jhi; kj++)
            dr[kj * g->dw] += v;
        }
      }
  }
}

static dlnn_code
avgpool_run (const dlnn_node * n, const dlnn_tensor * x, float *y,
    const float *dy, float *dx, dlnn_status * st)
{
  const pool_priv *p = n->priv;
  dlnn_win2d g;
  int64_t planes;
  pool_job j;
  dlnn_code c;

  if ((c = pool_geom (n, x, &g, &planes, st)) != DLNN_OK)
    return c;
  memset (&j, 0, sizeof (j));
  j.g = &g;
  j.x = x->data;
  j.y = y;
  j.dy = dy;
  j.dx = dx;
  j.cip = p->count_include_pad;
  dlnn_parallel_for (planes, DLNN_PAR_WORK / (g.ih * g.iw + 1) + 1,
      dx ? avgpool_backward_job : avgpool_forward_job, &j);
  return DLNN_OK;
}

static dlnn_code
avgpool_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st)
{
  return avgpool_run (n, in[0], out[0]->data, NULL, NULL, st);
}

static dlnn_code
avgpool_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  dlnn_tensor *dx = dlnn_op_din (n, din, 0);

  if (!dx)
    return DLNN_OK;
  return avgpool_run (n, in[0], NULL, dout[0]->data, dx->data, st);
}

const dlnn_op dlnn_op_averagepool = {
  .type = "AveragePool",
  .min_inputs = 1,.max_inputs = 1,
  .min_outputs = 1,.max_outputs = 1,
  .init = avgpool_init,
  .shape = pool_shape,
  .forward = avgpool_forward,
  .backward = avgpool_backward,
};

/* ---- GlobalAveragePool / GlobalMaxPool ---- */

static dlnn_code
global_shape (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, dlnn_status * st)
{
  const dlnn_tensor *x = in[0];
  int64_t dims[DLNN_MAX_DIMS];

  if (x->ndim < 3)
    return dlnn_op_shape_error (n, st,
        "input must be (N, C, spatial...); X is", x, NULL);
  dims[0] = x->dims[0];
  dims[1] = x->dims[1];
  for (int i = 2; i < x->ndim; i++)
    dims[i] = 1;
  return dlnn_op_set_shape (n, out[0], x->ndim, dims, st);
}

static dlnn_code
gap_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st)
{
  const dlnn_tensor *x = in[0];
  int64_t planes = x->dims[0] * x->dims[1];
  int64_t s = dlnn_op_dims_prod (x->dims, 2, x->ndim);
  float inv = s ? 1.0f / (float) s : 0.0f;

  for (int64_t pi = 0; pi < planes; pi++) {
    out[0]->data[pi] = dlnn_sum (x->data + pi * s, s) * inv;
  }
  return DLNN_OK;
}

static dlnn_code
gap_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  const dlnn_tensor *x = in[0];
  dlnn_tensor *dx = dlnn_op_din (n, din, 0);
  int64_t planes = x->dims[0] * x->dims[1];
  int64_t s = dlnn_op_dims_prod (x->dims, 2, x->ndim);
  float inv = s ? 1.0f / (float) s : 0.0f;

  if (!dx)
    return DLNN_OK;
  for (int64_t pi = 0; pi < planes; pi++) {
    float v = dout[0]->data[pi] * inv;
    float *dp = dx->data + pi * s;
    for (int64_t i = 0; i < s; i++)
      dp[i] += v;
  }
  return DLNN_OK;
}

const dlnn_op dlnn_op_globalaveragepool = {
  .type = "GlobalAveragePool",
  .min_inputs = 1,.max_inputs = 1,
  .min_outputs = 1,.max_outputs = 1,
  .shape = global_shape,
  .forward = gap_forward,
  .backward = gap_backward,
};

static int64_t
plane_argmax (const float *xp, int64_t s)
{
  int64_t bi = 0;
  for (int64_t i = 1; i < s; i++)
    if (xp[i] > xp[bi])
      bi = i;
  return bi;
}

static dlnn_code
gmp_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st)
{
  const dlnn_tensor *x = in[0];
  int64_t planes = x->dims[0] * x->dims[1];
  int64_t s = dlnn_op_dims_prod (x->dims, 2, x->ndim);

  for (int64_t pi = 0; pi < planes; pi++) {
    const float *xp = x->data + pi * s;
    out[0]->data[pi] = s ? xp[plane_argmax (xp, s)] : 0.0f;
  }
  return DLNN_OK;
}

static dlnn_code
gmp_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  const dlnn_tensor *x = in[0];
  dlnn_tensor *dx = dlnn_op_din (n, din, 0);
  int64_t planes = x->dims[0] * x->dims[1];
  int64_t s = dlnn_op_dims_prod (x->dims, 2, x->ndim);

  if (!dx || s == 0)
    return DLNN_OK;
  for (int64_t pi = 0; pi < planes; pi++) {
    const float *xp = x->data + pi * s;
    dx->data[pi * s + plane_argmax (xp, s)] += dout[0]->data[pi];
  }
  return DLNN_OK;
}

const dlnn_op dlnn_op_globalmaxpool = {
  .type = "GlobalMaxPool",
  .min_inputs = 1,.max_inputs = 1,
  .min_outputs = 1,.max_outputs = 1,
  .shape = global_shape,
  .forward = gmp_forward,
  .backward = gmp_backward,
};
