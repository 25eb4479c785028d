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
  z->fwd_scratch = b * 3 * h + 2 * b * h;
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

  /* Rbz, Rbr always and Rbh without linear_before_reset go in the
   * projection */
  dlnn_rnn_project (n, in, geo, d, lbr ? 3u : 7u, gates);
  dlnn_rnn_load_state (n, dlnn_op_in (n, in, DLNN_RNN_H0), geo, d,
      dlnn_rnn_time (n, geo, d, 0), hprev);

  for (int64_t s = 0; s < geo->t; s++) {
    int64_t t = dlnn_rnn_time (n, geo, d, s);
    const float *hp_t = hprev + t * geo->ts * h;

    dlnn_rnn_matmul_wt (nb, lbr ? gh : 2 * h, h, hp_t, geo->bs * h, rd, rh,
        gh);
    for (int64_t b = 0; b < nb; b++) {
      int64_t row = t * geo->ts + b * geo->bs;
      float *g = gates + row * gh, *rb = rh + b * gh;
      const float *hp = hprev + row * h;
      /* z and r are contiguous: one vectorised loop over 2h */
      for (int64_t j = 0; j < 2 * h; j++)
        g[j] = dlnn_rnn_sigmoid (g[j] + rb[j]);
      if (lbr) {
        float *lr = lin + row * h;
        for (int64_t j = 0; j < h; j++)
          lr[j] = rb[2 * h + j] + (rbh ? rbh[j] : 0.0f);
        for (int64_t j = 0; j < h; j++)
          g[2 * h + j] = dlnn_rnn_tanh (g[2 * h + j] + g[h + j] * lr[j]);
      } else {
        for (int64_t j = 0; j < h; j++)
          rhp[b * h + j] = g[h + j] * hp[j];
      }
    }
    if (!lbr)
      dlnn_rnn_matmul_wt (nb, h, h, rhp, h, rd + 2 * h * h, rh + 2 * h, gh);
    for (int64_t b = 0; b < nb; b++) {
      int64_t row = t * geo->ts + b * geo->bs;
      float *g = gates + row * gh, *hc = hcur + b * h;
      const float *hp = hprev + row * h;
      if (!lbr)
        for (int64_t j = 0; j < h; j++)
          g[2 * h + j] = dlnn_rnn_tanh (g[2 * h + j] + rh[b * gh + 2 * h
                  + j]);
      for (int64_t j = 0; j < h; j++)
        hc[j] = (1.0f - g[j]) * g[2 * h + j] + g[j] * hp[j];
      if (y)
        memcpy (y->data + dlnn_rnn_y_off (n, geo, t, d, b), hc,
            (size_t) h * sizeof (float));
      if (s + 1 < geo->t) {
        int64_t tn = dlnn_rnn_time (n, geo, d, s + 1);
        memcpy (hprev + (tn * geo->ts + b * geo->bs) * h, hc,
            (size_t) h * sizeof (float));
      } else if (yh) {
        memcpy (yh->data + dlnn_rnn_state_off (n, geo, d, b), hc,
            (size_t) h * sizeof (float));
      }
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
