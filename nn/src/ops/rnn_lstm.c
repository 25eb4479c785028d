/* libdlnn - LSTM (ONNX semantics, gate order i, o, f, c; peepholes P in
 * the order i, o, f; default activations Sigmoid, Tanh, Tanh;
 * input_forget=0), forward and backpropagation through time.
 *
 *   i = sigmoid (X Wi^T + H' Ri^T + Pi . C' + Wbi + Rbi)
 *   f = sigmoid (X Wf^T + H' Rf^T + Pf . C' + Wbf + Rbf)
 *   c = tanh (X Wc^T + H' Rc^T + Wbc + Rbc)
 *   C = f . C' + i . c
 *   o = sigmoid (X Wo^T + H' Ro^T + Po . C + Wbo + Rbo)
 *   H = o . tanh (C)
 *
 * Per direction the state region holds, in the row order of X (rnn.h):
 * the activated gates i, o, f, c (rows x 4H; the input projection is
 * computed into it first), and the previous hidden and cell states of
 * every step (rows x H each); backward recomputes C from them. In training
 * it lives in the saved region, at inference in the workspace. */
#include "rnn.h"

typedef struct lstm_sizes
{
  size_t state;                 /* per direction */
  size_t fwd_scratch;
  size_t bwd;
} lstm_sizes;

static void
lstm_sizes_get (const dlnn_rnn_geom * geo, lstm_sizes * z)
{
  size_t rows = (size_t) geo->rows, h = (size_t) geo->h, b = (size_t) geo->b;

  z->state = rows * 4 * h + 2 * rows * h;
  z->fwd_scratch = b * 4 * h + 2 * b * h;
  z->bwd = rows * 4 * h + 3 * b * h;
}

static dlnn_code
lstm_init (const dlnn_graph * g, dlnn_node * n, dlnn_status * st)
{
  return dlnn_rnn_init (n, 4, st);
}

static size_t
lstm_workspace (const dlnn_node * n, const dlnn_tensor * const *in,
    const dlnn_tensor * const *out, int training)
{
  dlnn_rnn_geom geo;
  lstm_sizes z;

  if (dlnn_rnn_geom_get (n, in, &geo, NULL) != DLNN_OK)
    return 0;
  lstm_sizes_get (&geo, &z);
  if (!training)
    return z.state + z.fwd_scratch;
  return z.fwd_scratch > z.bwd ? z.fwd_scratch : z.bwd;
}

static size_t
lstm_saved (const dlnn_node * n, const dlnn_tensor * const *in,
    const dlnn_tensor * const *out)
{
  dlnn_rnn_geom geo;
  lstm_sizes z;

  if (dlnn_rnn_geom_get (n, in, &geo, NULL) != DLNN_OK)
    return 0;
  lstm_sizes_get (&geo, &z);
  return (size_t) geo.d * z.state;
}

static void
lstm_forward_dir (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, const dlnn_rnn_geom * geo, int64_t d,
    float *state, float *scratch)
{
  const int64_t h = geo->h, gh = 4 * h, nb = geo->b;
  const float *rd = in[DLNN_RNN_R]->data + d * gh * h;
  const dlnn_tensor *pt = dlnn_op_in (n, in, DLNN_RNN_P);
  const float *pi = pt ? pt->data + d * 3 * h : NULL;
  const float *po = pi ? pi + h : NULL, *pf = pi ? pi + 2 * h : NULL;
  dlnn_tensor *y = dlnn_op_out (n, out, 0), *yh = dlnn_op_out (n, out, 1);
  dlnn_tensor *yc = dlnn_op_out (n, out, 2);
  float *gates = state, *hprev = gates + geo->rows * gh;
  float *cprev = hprev + geo->rows * h;
  float *rh = scratch, *hcur = rh + nb * gh, *ccur = hcur + nb * h;
  int64_t t0 = dlnn_rnn_time (n, geo, d, 0);

  dlnn_rnn_project (n, in, geo, d, 15u, gates);
  dlnn_rnn_load_state (n, dlnn_op_in (n, in, DLNN_RNN_H0), geo, d, t0,
      hprev);
  dlnn_rnn_load_state (n, dlnn_op_in (n, in, DLNN_RNN_C0), geo, d, t0,
      cprev);

  for (int64_t s = 0; s < geo->t; s++) {
    int64_t t = dlnn_rnn_time (n, geo, d, s);

    dlnn_rnn_matmul_wt (nb, gh, h, hprev + t * geo->ts * h, geo->bs * h, rd,
        rh, gh);
    for (int64_t b = 0; b < nb; b++) {
      int64_t row = t * geo->ts + b * geo->bs;
      float *g = gates + row * gh, *rb = rh + b * gh;
      float *hc = hcur + b * h, *cc = ccur + b * h;
      const float *cp = cprev + row * h;
      /* gate order i, o, f, c; short loops that gcc vectorises */
      for (int64_t j = 0; j < gh; j++)
        g[j] += rb[j];
      if (pi)
        for (int64_t j = 0; j < h; j++) {
          g[j] += pi[j] * cp[j];
          g[2 * h + j] += pf[j] * cp[j];
        }
      for (int64_t j = 0; j < h; j++)
        g[j] = dlnn_rnn_sigmoid (g[j]);
      for (int64_t j = 2 * h; j < 3 * h; j++)
        g[j] = dlnn_rnn_sigmoid (g[j]);
      for (int64_t j = 3 * h; j < 4 * h; j++)
        g[j] = dlnn_rnn_tanh (g[j]);
      for (int64_t j = 0; j < h; j++)
        cc[j] = g[2 * h + j] * cp[j] + g[j] * g[3 * h + j];
      if (po)
        for (int64_t j = 0; j < h; j++)
          g[h + j] += po[j] * cc[j];
      for (int64_t j = h; j < 2 * h; j++)
        g[j] = dlnn_rnn_sigmoid (g[j]);
      for (int64_t j = 0; j < h; j++)
        hc[j] = g[h + j] * dlnn_rnn_tanh (cc[j]);
      if (y)
        memcpy (y->data + dlnn_rnn_y_off (n, geo, t, d, b), hc,
            (size_t) h * sizeof (float));
      if (s + 1 < geo->t) {
        int64_t nrow = dlnn_rnn_time (n, geo, d, s + 1) * geo->ts
            + b * geo->bs;
        memcpy (hprev + nrow * h, hc, (size_t) h * sizeof (float));
        memcpy (cprev + nrow * h, cc, (size_t) h * sizeof (float));
      } else {
        if (yh)
          memcpy (yh->data + dlnn_rnn_state_off (n, geo, d, b), hc,
              (size_t) h * sizeof (float));
        if (yc)
          memcpy (yc->data + dlnn_rnn_state_off (n, geo, d, b), cc,
              (size_t) h * sizeof (float));
      }
    }
  }
}

static dlnn_code
lstm_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st)
{
  dlnn_rnn_geom geo;
  lstm_sizes z;
  int keep;
  dlnn_code c = dlnn_rnn_geom_get (n, in, &geo, st);

  if (c != DLNN_OK || (c = dlnn_rnn_check_lens (n, in, &geo, st)) != DLNN_OK)
    return c;
  lstm_sizes_get (&geo, &z);
  keep = ctx->saved && ctx->saved_size >= (size_t) geo.d * z.state;
  if (ctx->workspace_size < (keep ? z.fwd_scratch : z.state + z.fwd_scratch))
    return dlnn_op_error (n, st, DLNN_ERR_INVALID, "workspace too small");
  for (int64_t d = 0; d < geo.d; d++) {
    float *state = keep ? ctx->saved + d * z.state : ctx->workspace;
    float *scratch = keep ? ctx->workspace : ctx->workspace + z.state;
    lstm_forward_dir (n, in, out, &geo, d, state, scratch);
  }
  return DLNN_OK;
}

/* Copies dout state gradient @k (Y_h or Y_c) of direction d into @dst
 * (batch x H), zeros without one. */
static void
lstm_state_grad (const dlnn_node * n, const dlnn_tensor * const *dout,
    int k, const dlnn_rnn_geom * geo, int64_t d, float *dst)
{
  const dlnn_tensor *g = n->n_outputs > k ? dout[k] : NULL;

  for (int64_t b = 0; b < geo->b; b++) {
    if (g)
      memcpy (dst + b * geo->h, g->data + dlnn_rnn_state_off (n, geo, d, b),
          (size_t) geo->h * sizeof (float));
    else
      memset (dst + b * geo->h, 0, (size_t) geo->h * sizeof (float));
  }
}

static void
lstm_backward_dir (const dlnn_node * n, const dlnn_tensor * const *in,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    const dlnn_rnn_geom * geo, int64_t d, const float *state, float *ws)
{
  const int64_t h = geo->h, gh = 4 * h, nb = geo->b;
  const float *rd = in[DLNN_RNN_R]->data + d * gh * h;
  const dlnn_tensor *pt = dlnn_op_in (n, in, DLNN_RNN_P);
  const float *pi = pt ? pt->data + d * 3 * h : NULL;
  const float *po = pi ? pi + h : NULL, *pf = pi ? pi + 2 * h : NULL;
  dlnn_tensor *dpt = pt ? dlnn_op_din (n, din, DLNN_RNN_P) : NULL;
  float *dpi = dpt ? dpt->data + d * 3 * h : NULL;
  float *dpo = dpi ? dpi + h : NULL, *dpf = dpi ? dpi + 2 * h : NULL;
  const float *gates = state, *hprev = gates + geo->rows * gh;
  const float *cprev = hprev + geo->rows * h;
  const dlnn_tensor *dy = n->n_outputs > 0 ? dout[0] : NULL;
  float *da = ws, *dh = da + geo->rows * gh, *dhn = dh + nb * h;
  float *dc = dhn + nb * h;

  lstm_state_grad (n, dout, 1, geo, d, dh);
  lstm_state_grad (n, dout, 2, geo, d, dc);
  for (int64_t s = geo->t - 1; s >= 0; s--) {
    int64_t t = dlnn_rnn_time (n, geo, d, s);
    float *tmp;

    for (int64_t b = 0; b < nb; b++) {
      int64_t row = t * geo->ts + b * geo->bs;
      const float *g = gates + row * gh, *cp = cprev + row * h;
      float *a = da + row * gh, *dhb = dh + b * h, *dcb = dc + b * h;
      if (dy)
        dlnn_op_acc (dhb, dy->data + dlnn_rnn_y_off (n, geo, t, d, b), h);
      for (int64_t j = 0; j < h; j++) {
        float ig = g[j], og = g[h + j], fg = g[2 * h + j], cg = g[3 * h + j];
        float cn = fg * cp[j] + ig * cg, tc = dlnn_rnn_tanh (cn);
        float dao = dhb[j] * tc * og * (1.0f - og);
        float dcv = dcb[j] + dhb[j] * og * (1.0f - tc * tc);
        float dai, daf;
        if (po)
          dcv += dao * po[j];
        dai = dcv * cg * ig * (1.0f - ig);
        daf = dcv * cp[j] * fg * (1.0f - fg);
        a[j] = dai;
        a[h + j] = dao;
        a[2 * h + j] = daf;
        a[3 * h + j] = dcv * ig * (1.0f - cg * cg);
        dcb[j] = dcv * fg;
        if (pi)
          dcb[j] += dai * pi[j] + daf * pf[j];
        if (dpi) {
          dpi[j] += dai * cp[j];
          dpf[j] += daf * cp[j];
          dpo[j] += dao * cn;
        }
      }
    }
    dlnn_sgemm (0, 0, (int) nb, (int) h, (int) gh, 1.0f,
        da + t * geo->ts * gh, (int) (geo->bs * gh), rd, (int) h, 0.0f, dhn,
        (int) h);
    tmp = dh;
    dh = dhn;
    dhn = tmp;
  }
  for (int k = 0; k < 2; k++) {
    int idx = k ? DLNN_RNN_C0 : DLNN_RNN_H0;
    dlnn_tensor *d0 = dlnn_op_in (n, in, idx) ? dlnn_op_din (n, din, idx)
        : NULL;
    if (d0)
      for (int64_t b = 0; b < nb; b++)
        dlnn_op_acc (d0->data + dlnn_rnn_state_off (n, geo, d, b),
            (k ? dc : dh) + b * h, h);
  }
  dlnn_rnn_backward_input (n, in, din, geo, d, da);
  dlnn_rnn_backward_recur (n, din, geo, d, 0, 4, da, gh, hprev, h);
}

static dlnn_code
lstm_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  dlnn_rnn_geom geo;
  lstm_sizes z;
  dlnn_code c = dlnn_rnn_geom_get (n, in, &geo, st);

  if (c != DLNN_OK)
    return c;
  lstm_sizes_get (&geo, &z);
  if (!ctx->saved || ctx->saved_size < (size_t) geo.d * z.state)
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "backward needs the state saved by a training forward");
  if (ctx->workspace_size < z.bwd)
    return dlnn_op_error (n, st, DLNN_ERR_INVALID, "workspace too small");
  for (int64_t d = 0; d < geo.d; d++)
    lstm_backward_dir (n, in, dout, din, &geo, d, ctx->saved + d * z.state,
        ctx->workspace);
  return DLNN_OK;
}

const dlnn_op dlnn_op_lstm = {
  .type = "LSTM",
  .min_inputs = 3,.max_inputs = 8,
  .min_outputs = 1,.max_outputs = 3,
  .init = lstm_init,
  .shape = dlnn_rnn_shape,
  .workspace = lstm_workspace,
  .saved = lstm_saved,
  .forward = lstm_forward,
  .backward = lstm_backward,
};
