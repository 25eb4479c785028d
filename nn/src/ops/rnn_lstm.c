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
#include "parallel.h"

typedef struct lstm_sizes
{
  size_t state;                 /* per direction */
  size_t fwd_scratch;
  size_t bwd;
} lstm_sizes;

/* Whether the split path (rnn.h) runs: no peepholes */
static int
lstm_split (const dlnn_node * n, const dlnn_tensor * const *in,
    const dlnn_rnn_geom * geo)
{
  return !dlnn_op_in (n, in, DLNN_RNN_P) && dlnn_rnn_split_usable (geo);
}

static void
lstm_sizes_get (const dlnn_node * n, const dlnn_tensor * const *in,
    const dlnn_rnn_geom * geo, lstm_sizes * z)
{
  size_t rows = (size_t) geo->rows, h = (size_t) geo->h, b = (size_t) geo->b;

  z->state = rows * 4 * h + 2 * rows * h;
  /* h and C of the last step (batch x H each), packed R or the split */
  z->fwd_scratch = 2 * b * h + (lstm_split (n, in, geo)
      ? dlnn_rnn_split_size (geo) : dlnn_rnn_mat_size (4 * geo->h, geo->h));
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
  lstm_sizes_get (n, in, &geo, &z);
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
  lstm_sizes_get (n, in, &geo, &z);
  return (size_t) geo.d * z.state;
}

/* Gates of one batch row: g holds the projection plus H' R^T (i o f c);
 * activates them in place and writes the new cell and hidden states. */
static inline void
lstm_gates (int64_t h, float *restrict g, const float *restrict cp,
    const float *restrict pi, float *restrict cc, float *restrict hc)
{
  if (pi) {
    const float *po = pi + h, *pf = pi + 2 * h;
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
    for (int64_t j = 0; j < h; j++)
      g[h + j] = dlnn_rnn_sigmoid (g[h + j] + po[j] * cc[j]);
    for (int64_t j = 0; j < h; j++)
      hc[j] = g[h + j] * dlnn_rnn_tanh (cc[j]);
    return;
  }
  /* i, o, f contiguous: one sigmoid loop over 3h */
  for (int64_t j = 0; j < 3 * h; j++)
    g[j] = dlnn_rnn_sigmoid (g[j]);
  for (int64_t j = 0; j < h; j++) {
    float c = dlnn_rnn_tanh (g[3 * h + j]), cn;
    g[3 * h + j] = c;
    cn = g[2 * h + j] * cp[j] + g[j] * c;
    cc[j] = cn;
    hc[j] = g[h + j] * dlnn_rnn_tanh (cn);
  }
}

/* The split path (rnn.h): one direction's steps with the hidden units in
 * parts. */
typedef struct lstm_job
{
  const dlnn_node *n;
  const dlnn_rnn_geom *geo;
  int64_t d;
  float *gates, *hprev, *cprev, *hlast, *clast;
  float *y, *yh, *yc;           /* outputs' data or NULL */
  dlnn_rnn_split sp;
} lstm_job;

/* split or not (dlnn_parallel_steps), shared by all LSTM nodes */
static dlnn_steps_stat lstm_steps;

static void
lstm_step (void *arg, int64_t s, int part)
{
  const lstm_job *j = arg;
  const dlnn_rnn_geom *geo = j->geo;
  const int64_t h = geo->h, gh = 4 * h;
  const int64_t u0 = j->sp.u[part], nu = j->sp.u[part + 1] - u0;
  const size_t len = (size_t) nu * sizeof (float);
  int64_t t = dlnn_rnn_time (j->n, geo, j->d, s);
  int64_t tn = s + 1 < geo->t ? dlnn_rnn_time (j->n, geo, j->d, s + 1) : -1;

  for (int64_t b = 0; b < geo->b; b++) {
    int64_t row = t * geo->ts + b * geo->bs;
    int64_t nrow = tn * geo->ts + b * geo->bs;
    float *yb = j->sp.y[part] + b * j->sp.ys[part];
    float *hc = tn >= 0 ? j->hprev + nrow * h : j->hlast + b * h;
    float *cc = tn >= 0 ? j->cprev + nrow * h : j->clast + b * h;

    dlnn_rnn_gemv (j->sp.packed[part], 4 * nu, h, 0, (4 * nu + 15) / 16,
        j->hprev + row * h, yb, 0);
    dlnn_rnn_lstm_avx512 (nu, j->gates + row * gh + u0, h, yb,
        j->cprev + row * h + u0, cc + u0, hc + u0);
    if (j->y)
      memcpy (j->y + dlnn_rnn_y_off (j->n, geo, t, j->d, b) + u0, hc + u0,
          len);
    if (tn < 0 && j->yh)
      memcpy (j->yh + dlnn_rnn_state_off (j->n, geo, j->d, b) + u0,
          hc + u0, len);
    if (tn < 0 && j->yc)
      memcpy (j->yc + dlnn_rnn_state_off (j->n, geo, j->d, b) + u0,
          cc + u0, len);
  }
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
  dlnn_tensor *y = dlnn_op_out (n, out, 0), *yh = dlnn_op_out (n, out, 1);
  dlnn_tensor *yc = dlnn_op_out (n, out, 2);
  float *gates = state, *hprev = gates + geo->rows * gh;
  float *cprev = hprev + geo->rows * h;
  float *hlast = scratch, *clast = hlast + nb * h, *pk = clast + nb * h;
  int64_t t0 = dlnn_rnn_time (n, geo, d, 0);
  dlnn_rnn_mat r;

  dlnn_rnn_project (n, in, geo, d, 15u, gates);
  dlnn_rnn_load_state (n, dlnn_op_in (n, in, DLNN_RNN_H0), geo, d, t0,
      hprev);
  dlnn_rnn_load_state (n, dlnn_op_in (n, in, DLNN_RNN_C0), geo, d, t0,
      cprev);
  if (lstm_split (n, in, geo)) {
    lstm_job j = { n, geo, d, gates, hprev, cprev, hlast, clast,
      y ? y->data : NULL, yh ? yh->data : NULL, yc ? yc->data : NULL
    };
    dlnn_rnn_split_init (&j.sp, geo, rd, pk);
    dlnn_parallel_steps (geo->t, j.sp.parts, lstm_step, &j, &lstm_steps,
        dlnn_rnn_split_key (geo, j.sp.parts));
    return;
  }
  dlnn_rnn_mat_init (&r, rd, gh, h, pk);

  for (int64_t s = 0; s < geo->t; s++) {
    int64_t t = dlnn_rnn_time (n, geo, d, s);
    int64_t tn = s + 1 < geo->t ? dlnn_rnn_time (n, geo, d, s + 1) : -1;

    /* the gates' rows of step t get H' R^T added in place */
    dlnn_rnn_matvec (&r, nb, hprev + t * geo->ts * h, geo->bs * h,
        gates + t * geo->ts * gh, geo->bs * gh, 1);
    for (int64_t b = 0; b < nb; b++) {
      int64_t row = t * geo->ts + b * geo->bs;
      int64_t nrow = tn * geo->ts + b * geo->bs;
      /* the new states go straight into the next step's H', C' */
      float *hc = tn >= 0 ? hprev + nrow * h : hlast + b * h;
      float *cc = tn >= 0 ? cprev + nrow * h : clast + b * h;

      lstm_gates (h, gates + row * gh, cprev + row * h, pi, cc, hc);
      if (y)
        memcpy (y->data + dlnn_rnn_y_off (n, geo, t, d, b), hc,
            (size_t) h * sizeof (float));
      if (tn < 0 && yh)
        memcpy (yh->data + dlnn_rnn_state_off (n, geo, d, b), hc,
            (size_t) h * sizeof (float));
      if (tn < 0 && yc)
        memcpy (yc->data + dlnn_rnn_state_off (n, geo, d, b), cc,
            (size_t) h * sizeof (float));
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
  lstm_sizes_get (n, in, &geo, &z);
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
  lstm_sizes_get (n, in, &geo, &z);
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
