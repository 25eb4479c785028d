/* libdlnn - GRU (ONNX semantics, gate order z, r, h; default activations
 * Sigmoid and Tanh), forward and backpropagation through time.
 *
 *   z = sigmoid (X Wz^T + H' Rz^T + Wbz + Rbz)
 *   r = sigmoid (X Wr^T + H' Rr^T + Wbr + Rbr)
 *   h = tanh (X Wh^T + (r . H') Rh^T + Rbh + Wbh)     linear_before_reset=0
 *   h = tanh (X Wh^T + r . (H' Rh^T + Rbh) + Wbh)     linear_before_reset=1
 *   H = (1 - z) . h + z . H'
 *
 * Per direction the state region holds, in the row order of X (rnn.h):
 * the activated gates z, r, h (rows x 3H; the input projection of the
 * whole sequence is computed into it first by one GEMM), the previous
 * hidden state of every step (rows x H) and, with linear_before_reset, the
 * term H' Rh^T + Rbh (rows x H). In training it lives in the saved region
 * (backward reads it), at inference in the workspace. */
#include "rnn.h"
#include "parallel.h"

typedef struct gru_sizes
{
  size_t state;                 /* per direction */
  size_t fwd_scratch;
  size_t bwd;
} gru_sizes;

static void
gru_sizes_get (const dlnn_node * n, const dlnn_rnn_geom * geo, gru_sizes * z)
{
  const dlnn_rnn_priv *p = n->priv;
  size_t rows = (size_t) geo->rows, h = (size_t) geo->h, b = (size_t) geo->b;

  z->state = rows * 3 * h + rows * h + (p->linear_before_reset ? rows * h : 0);
  /* rh (batch x 3H), h (batch x H), r . H' (batch x H), packed R; on
   * the split path h and the split */
  if (p->linear_before_reset && dlnn_rnn_split_usable (geo))
    z->fwd_scratch = b * h + dlnn_rnn_split_size (geo);
  else
    z->fwd_scratch = b * 3 * h + 2 * b * h + (p->linear_before_reset
        ? dlnn_rnn_mat_size (3 * geo->h, geo->h)
        : dlnn_rnn_mat_size (2 * geo->h, geo->h)
        + dlnn_rnn_mat_size (geo->h, geo->h));
  z->bwd = rows * 3 * h + rows * h + 3 * b * h;
}

static dlnn_code
gru_init (const dlnn_graph * g, dlnn_node * n, dlnn_status * st)
{
  return dlnn_rnn_init (n, 3, st);
}

static size_t
gru_workspace (const dlnn_node * n, const dlnn_tensor * const *in,
    const dlnn_tensor * const *out, int training)
{
  dlnn_rnn_geom geo;
  gru_sizes z;

  if (dlnn_rnn_geom_get (n, in, &geo, NULL) != DLNN_OK)
    return 0;
  gru_sizes_get (n, &geo, &z);
  if (!training)
    return z.state + z.fwd_scratch;
  return z.fwd_scratch > z.bwd ? z.fwd_scratch : z.bwd;
}

static size_t
gru_saved (const dlnn_node * n, const dlnn_tensor * const *in,
    const dlnn_tensor * const *out)
{
  dlnn_rnn_geom geo;
  gru_sizes z;

  if (dlnn_rnn_geom_get (n, in, &geo, NULL) != DLNN_OK)
    return 0;
  gru_sizes_get (n, &geo, &z);
  return (size_t) geo.d * z.state;
}

/* Gates of one batch row with linear_before_reset: g holds the input
 * projection (z r h), rb = H' R^T; writes the activated gates, lin and
 * the new state @hc. */
static inline void
gru_gates_lbr (int64_t h, float *restrict g, const float *restrict rb,
    const float *restrict rbh, const float *restrict hp, float *restrict lin,
    float *restrict hc)
{
  /* z and r are contiguous: one vectorised loop over 2h */
  for (int64_t j = 0; j < 2 * h; j++)
    g[j] = dlnn_rnn_sigmoid (g[j] + rb[j]);
  if (rbh)
    for (int64_t j = 0; j < h; j++)
      lin[j] = rb[2 * h + j] + rbh[j];
  else
    for (int64_t j = 0; j < h; j++)
      lin[j] = rb[2 * h + j];
  for (int64_t j = 0; j < h; j++) {
    float hh = dlnn_rnn_tanh (g[2 * h + j] + g[h + j] * lin[j]);
    g[2 * h + j] = hh;
    hc[j] = hh + g[j] * (hp[j] - hh);
  }
}

/* The split path (rnn.h, linear_before_reset): one direction's steps
 * with the hidden units in parts. */
typedef struct gru_job
{
  const dlnn_node *n;
  const dlnn_rnn_geom *geo;
  int64_t d;
  float *gates, *hprev, *lin, *hlast;
  const float *rbh;
  float *y, *yh;                /* outputs' data or NULL */
  dlnn_rnn_split sp;
} gru_job;

/* split or not (dlnn_parallel_steps), shared by all GRU nodes */
static dlnn_steps_stat gru_steps;

static void
gru_step (void *arg, int64_t s, int part)
{
  const gru_job *j = arg;
  const dlnn_rnn_geom *geo = j->geo;
  const int64_t h = geo->h, gh = 3 * h;
  const int64_t u0 = j->sp.u[part], nu = j->sp.u[part + 1] - u0;
  int64_t t = dlnn_rnn_time (j->n, geo, j->d, s);
  int64_t tn = s + 1 < geo->t ? dlnn_rnn_time (j->n, geo, j->d, s + 1) : -1;

  for (int64_t b = 0; b < geo->b; b++) {
    int64_t row = t * geo->ts + b * geo->bs;
    const float *hp = j->hprev + row * h;
    float *yb = j->sp.y[part] + b * j->sp.ys[part];
    float *hc = tn >= 0 ? j->hprev + (tn * geo->ts + b * geo->bs) * h
        : j->hlast + b * h;

    dlnn_rnn_gemv (j->sp.packed[part], 3 * nu, h, 0, (3 * nu + 15) / 16, hp,
        yb, 0);
    dlnn_rnn_gru_lbr_avx512 (nu, j->gates + row * gh + u0, h, yb,
        j->rbh ? j->rbh + u0 : NULL, hp + u0, j->lin + row * h + u0,
        hc + u0);
    if (j->y)
      memcpy (j->y + dlnn_rnn_y_off (j->n, geo, t, j->d, b) + u0, hc + u0,
          (size_t) nu * sizeof (float));
    if (tn < 0 && j->yh)
      memcpy (j->yh + dlnn_rnn_state_off (j->n, geo, j->d, b) + u0,
          hc + u0, (size_t) nu * sizeof (float));
  }
}

/* One direction. */
static void
gru_forward_dir (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, const dlnn_rnn_geom * geo, int64_t d,
    float *state, float *scratch)
{
  const dlnn_rnn_priv *p = n->priv;
  const int lbr = p->linear_before_reset;
  const int64_t h = geo->h, gh = 3 * h, nb = geo->b;
  const dlnn_tensor *bt = dlnn_op_in (n, in, DLNN_RNN_B);
  const float *rd = in[DLNN_RNN_R]->data + d * gh * h;
  const float *rbh = bt ? bt->data + d * 2 * gh + gh + 2 * h : NULL;
  dlnn_tensor *y = dlnn_op_out (n, out, 0), *yh = dlnn_op_out (n, out, 1);
  float *gates = state, *hprev = gates + geo->rows * gh;
  float *lin = hprev + geo->rows * h;
  float *rh = scratch, *hcur = rh + nb * gh, *rhp = hcur + nb * h;
  float *pk = rhp + nb * h;
  const int simd = dlnn_rnn_pack_usable ();
  dlnn_rnn_mat rzr, rhh;

  /* Rbz, Rbr always and Rbh without linear_before_reset go in the
   * projection */
  dlnn_rnn_project (n, in, geo, d, lbr ? 3u : 7u, gates);
  dlnn_rnn_load_state (n, dlnn_op_in (n, in, DLNN_RNN_H0), geo, d,
      dlnn_rnn_time (n, geo, d, 0), hprev);
  if (lbr && dlnn_rnn_split_usable (geo)) {
    gru_job j = { n, geo, d, gates, hprev, lin, scratch, rbh,
      y ? y->data : NULL, yh ? yh->data : NULL
    };
    dlnn_rnn_split_init (&j.sp, geo, rd, scratch + nb * h);
    dlnn_parallel_steps (geo->t, j.sp.parts, gru_step, &j, &gru_steps,
        dlnn_rnn_split_key (geo, j.sp.parts));
    return;
  }
  if (lbr) {
    dlnn_rnn_mat_init (&rzr, rd, gh, h, pk);
  } else {
    dlnn_rnn_mat_init (&rzr, rd, 2 * h, h, pk);
    dlnn_rnn_mat_init (&rhh, rd + 2 * h * h, h, h,
        pk + dlnn_rnn_mat_size (2 * h, h));
  }

  for (int64_t s = 0; s < geo->t; s++) {
    int64_t t = dlnn_rnn_time (n, geo, d, s);
    int64_t tn = s + 1 < geo->t ? dlnn_rnn_time (n, geo, d, s + 1) : -1;
    const float *hp_t = hprev + t * geo->ts * h;

    dlnn_rnn_matvec (&rzr, nb, hp_t, geo->bs * h, rh, gh, 0);
    if (!lbr) {
      for (int64_t b = 0; b < nb; b++) {
        int64_t row = t * geo->ts + b * geo->bs;
        float *g = gates + row * gh, *rb = rh + b * gh;
        const float *hp = hprev + row * h;
        if (simd)
          dlnn_rnn_sigmoid_add_avx512 (g, rb, 2 * h);
        else
          for (int64_t j = 0; j < 2 * h; j++)
            g[j] = dlnn_rnn_sigmoid (g[j] + rb[j]);
        for (int64_t j = 0; j < h; j++)
          rhp[b * h + j] = g[h + j] * hp[j];
      }
      dlnn_rnn_matvec (&rhh, nb, rhp, h, rh + 2 * h, gh, 0);
    }
    for (int64_t b = 0; b < nb; b++) {
      int64_t row = t * geo->ts + b * geo->bs;
      float *g = gates + row * gh;
      const float *hp = hprev + row * h;
      /* the new state goes straight into the next step's H' */
      float *hc = tn >= 0 ? hprev + (tn * geo->ts + b * geo->bs) * h
          : hcur + b * h;
      if (simd) {
        if (lbr)
          dlnn_rnn_sigmoid_add_avx512 (g, rh + b * gh, 2 * h);
        dlnn_rnn_gru_state_avx512 (h, g, rh + b * gh, rbh, hp,
            lbr ? lin + row * h : NULL, hc);
      } else if (lbr) {
        gru_gates_lbr (h, g, rh + b * gh, rbh, hp, lin + row * h, hc);
      } else {
        const float *rb = rh + b * gh + 2 * h;
        for (int64_t j = 0; j < h; j++) {
          float hh = dlnn_rnn_tanh (g[2 * h + j] + rb[j]);
          g[2 * h + j] = hh;
          hc[j] = hh + g[j] * (hp[j] - hh);
        }
      }
      if (y)
        memcpy (y->data + dlnn_rnn_y_off (n, geo, t, d, b), hc,
            (size_t) h * sizeof (float));
      if (tn < 0 && yh)
        memcpy (yh->data + dlnn_rnn_state_off (n, geo, d, b), hc,
            (size_t) h * sizeof (float));
    }
  }
}

static dlnn_code
gru_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st)
{
  dlnn_rnn_geom geo;
  gru_sizes z;
  int keep;
  dlnn_code c = dlnn_rnn_geom_get (n, in, &geo, st);

  if (c != DLNN_OK || (c = dlnn_rnn_check_lens (n, in, &geo, st)) != DLNN_OK)
    return c;
  gru_sizes_get (n, &geo, &z);
  keep = ctx->saved && ctx->saved_size >= (size_t) geo.d * z.state;
  if (ctx->workspace_size < (keep ? z.fwd_scratch : z.state + z.fwd_scratch))
    return dlnn_op_error (n, st, DLNN_ERR_INVALID, "workspace too small");
  for (int64_t d = 0; d < geo.d; d++) {
    float *state = keep ? ctx->saved + d * z.state : ctx->workspace;
    float *scratch = keep ? ctx->workspace : ctx->workspace + z.state;
    gru_forward_dir (n, in, out, &geo, d, state, scratch);
  }
  return DLNN_OK;
}

static void
gru_backward_dir (const dlnn_node * n, const dlnn_tensor * const *in,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    const dlnn_rnn_geom * geo, int64_t d, const float *state, float *ws)
{
  const dlnn_rnn_priv *p = n->priv;
  const int lbr = p->linear_before_reset;
  const int64_t h = geo->h, gh = 3 * h, nb = geo->b;
  const float *rd = in[DLNN_RNN_R]->data + d * gh * h;
  const float *gates = state, *hprev = gates + geo->rows * gh;
  const float *lin = hprev + geo->rows * h;
  const dlnn_tensor *dy = n->n_outputs > 0 ? dout[0] : NULL;
  const dlnn_tensor *dyh = n->n_outputs > 1 ? dout[1] : NULL;
  dlnn_tensor *dh0 = dlnn_op_in (n, in, DLNN_RNN_H0)
      ? dlnn_op_din (n, din, DLNN_RNN_H0) : NULL;
  float *da = ws, *hg = da + geo->rows * gh, *dh = hg + geo->rows * h;
  float *dhn = dh + nb * h, *drh = dhn + nb * h;

  for (int64_t b = 0; b < nb; b++) {
    if (dyh)
      memcpy (dh + b * h, dyh->data + dlnn_rnn_state_off (n, geo, d, b),
          (size_t) h * sizeof (float));
    else
      memset (dh + b * h, 0, (size_t) h * sizeof (float));
  }
  for (int64_t s = geo->t - 1; s >= 0; s--) {
    int64_t t = dlnn_rnn_time (n, geo, d, s);
    int64_t ld = geo->bs * gh;
    float *tmp;

    for (int64_t b = 0; b < nb; b++) {
      int64_t row = t * geo->ts + b * geo->bs;
      const float *g = gates + row * gh, *hp = hprev + row * h;
      float *a = da + row * gh, *dhb = dh + b * h;
      if (dy)
        dlnn_op_acc (dhb, dy->data + dlnn_rnn_y_off (n, geo, t, d, b), h);
      for (int64_t j = 0; j < h; j++) {
        float zg = g[j], rg = g[h + j], hc = g[2 * h + j];
        float dz = dhb[j] * (hp[j] - hc);
        float dah = dhb[j] * (1.0f - zg) * (1.0f - hc * hc);
        a[j] = dz * zg * (1.0f - zg);
        a[2 * h + j] = dah;
        dhn[b * h + j] = dhb[j] * zg;
        if (lbr) {
          float dr = dah * lin[row * h + j];
          hg[row * h + j] = dah * rg;
          a[h + j] = dr * rg * (1.0f - rg);
        } else {
          hg[row * h + j] = rg * hp[j];
        }
      }
    }
    if (!lbr) {
      /* d(r . H') = dah Rh */
      dlnn_sgemm (0, 0, (int) nb, (int) h, (int) h, 1.0f,
          da + t * geo->ts * gh + 2 * h, (int) ld, rd + 2 * h * h, (int) h,
          0.0f, drh, (int) h);
      for (int64_t b = 0; b < nb; b++) {
        int64_t row = t * geo->ts + b * geo->bs;
        const float *g = gates + row * gh, *hp = hprev + row * h;
        float *a = da + row * gh;
        for (int64_t j = 0; j < h; j++) {
          float rg = g[h + j], dr = drh[b * h + j] * hp[j];
          a[h + j] = dr * rg * (1.0f - rg);
          dhn[b * h + j] += drh[b * h + j] * rg;
        }
      }
    }
    dlnn_sgemm (0, 0, (int) nb, (int) h, (int) (2 * h), 1.0f,
        da + t * geo->ts * gh, (int) ld, rd, (int) h, 1.0f, dhn, (int) h);
    if (lbr)
      dlnn_sgemm (0, 0, (int) nb, (int) h, (int) h, 1.0f,
          hg + t * geo->ts * h, (int) (geo->bs * h), rd + 2 * h * h,
          (int) h, 1.0f, dhn, (int) h);
    tmp = dh;
    dh = dhn;
    dhn = tmp;
  }
  if (dh0)
    for (int64_t b = 0; b < nb; b++)
      dlnn_op_acc (dh0->data + dlnn_rnn_state_off (n, geo, d, b), dh + b * h,
          h);
  dlnn_rnn_backward_input (n, in, din, geo, d, da);
  dlnn_rnn_backward_recur (n, din, geo, d, 0, 2, da, gh, hprev, h);
  if (lbr)                      /* Rh sees H', its gradient is dah . r */
    dlnn_rnn_backward_recur (n, din, geo, d, 2, 1, hg, h, hprev, h);
  else                          /* Rh sees r . H', its gradient is dah */
    dlnn_rnn_backward_recur (n, din, geo, d, 2, 1, da + 2 * h, gh, hg, h);
}

static dlnn_code
gru_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  dlnn_rnn_geom geo;
  gru_sizes z;
  dlnn_code c = dlnn_rnn_geom_get (n, in, &geo, st);

  if (c != DLNN_OK)
    return c;
  gru_sizes_get (n, &geo, &z);
  if (!ctx->saved || ctx->saved_size < (size_t) geo.d * z.state)
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "backward needs the state saved by a training forward");
  if (ctx->workspace_size < z.bwd)
    return dlnn_op_error (n, st, DLNN_ERR_INVALID, "workspace too small");
  for (int64_t d = 0; d < geo.d; d++)
    gru_backward_dir (n, in, dout, din, &geo, d, ctx->saved + d * z.state,
        ctx->workspace);
  return DLNN_OK;
}

const dlnn_op dlnn_op_gru = {
  .type = "GRU",
  .min_inputs = 3,.max_inputs = 6,
  .min_outputs = 1,.max_outputs = 2,
  .init = gru_init,
  .shape = dlnn_rnn_shape,
  .workspace = gru_workspace,
  .saved = gru_saved,
  .forward = gru_forward,
  .backward = gru_backward,
};
