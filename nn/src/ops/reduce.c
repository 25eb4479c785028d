/* libdlnn - ReduceMean: axes as attribute (opset < 18) or constant int64
 * input (opset >= 18), keepdims, noop_with_empty_axes (opset 18). No axes
 * means all of them. Each input element adds into its output element;
 * backward spreads dy / count back. */
#include "strided.h"

typedef struct reduce_priv
{
  int64_t opset;
  int keepdims, noop;
  int n_axes;
  int64_t axes[DLNN_MAX_DIMS];
} reduce_priv;

/* Geometry: for each input dim its stride in the output (0 if reduced). */
typedef struct reduce_geom
{
  int nd;
  int64_t dims[DLNN_MAX_DIMS];
  int64_t ostride[DLNN_MAX_DIMS];
  int64_t count;                /* elements averaged per output */
  int out_nd;
  int64_t out_dims[DLNN_MAX_DIMS];
} reduce_geom;

static dlnn_code
reduce_init (const dlnn_graph * g, dlnn_node * n, dlnn_status * st)
{
  reduce_priv *p = dlnn_op_priv_new (n, sizeof (reduce_priv), st);
  int64_t kd, noop;

  if (!p)
    return DLNN_ERR_NOMEM;
  p->opset = g->opset;
  kd = dlnn_node_attr_int (n, "keepdims", 1);
  noop = dlnn_node_attr_int (n, "noop_with_empty_axes", 0);
  if (kd != 0 && kd != 1)
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "attribute keepdims=%lld must be 0 or 1", (long long) kd);
  if (noop != 0 && noop != 1)
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "attribute noop_with_empty_axes=%lld must be 0 or 1",
        (long long) noop);
  p->keepdims = (int) kd;
  p->noop = (int) noop;
  if (g->opset >= 18) {
    if (dlnn_node_attr (n, "axes"))
      return dlnn_op_error (n, st, DLNN_ERR_INVALID,
          "attribute axes is not part of ReduceMean in opset %lld (it is an "
          "input from opset 18)", (long long) g->opset);
    return DLNN_OK;
  }
  if (n->n_inputs > 1)
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "the axes input needs opset 18 (model has opset %lld)",
        (long long) g->opset);
  return dlnn_op_attr_ints (n, "axes", p->axes, DLNN_MAX_DIMS, &p->n_axes,
      st);
}

static dlnn_code
reduce_geometry (const dlnn_node * n, const dlnn_tensor * const *in,
    reduce_geom * r, dlnn_status * st)
{
  const reduce_priv *p = n->priv;
  const dlnn_tensor *x = in[0];
  int64_t axes[DLNN_MAX_DIMS];
  int ax[DLNN_MAX_DIMS], na = p->n_axes, red[DLNN_MAX_DIMS] = { 0 };
  int64_t os;
  dlnn_code c;

  memcpy (axes, p->axes, sizeof (axes));
  if (p->opset >= 18) {
    c = dlnn_op_const_ints (n, in, 1, "axes", axes, DLNN_MAX_DIMS, &na, st);
    if (c != DLNN_OK)
      return c;
  }
  c = dlnn_op_axes (n, "axes", axes, na, x->ndim, ax, st);
  if (c != DLNN_OK)
    return c;
  for (int k = 0; k < na; k++)
    red[ax[k]] = 1;
  if (na == 0 && !p->noop)
    for (int d = 0; d < x->ndim; d++)
      red[d] = 1;
  r->nd = x->ndim;
  r->count = 1;
  r->out_nd = 0;
  for (int d = 0; d < x->ndim; d++) {
    r->dims[d] = x->dims[d];
    if (red[d]) {
      r->count *= x->dims[d];
      if (p->keepdims)
        r->out_dims[r->out_nd++] = 1;
    } else {
      r->out_dims[r->out_nd++] = x->dims[d];
    }
  }
  os = 1;
  for (int d = x->ndim - 1; d >= 0; d--) {
    r->ostride[d] = red[d] ? 0 : os;
    if (!red[d])
      os *= x->dims[d];
  }
  return DLNN_OK;
}

static dlnn_code
reduce_shape (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, dlnn_status * st)
{
  reduce_geom r;
  dlnn_code c = reduce_geometry (n, in, &r, st);

  if (c != DLNN_OK)
    return c;
  return dlnn_op_set_shape (n, out[0], r.out_nd, r.out_dims, st);
}

/* Visits every input element i with its output index o. */
#define REDUCE_EACH(r, BODY) do { \
    int64_t idx_[DLNN_MAX_DIMS] = { 0 }, o = 0, inner_ = 1, ist_ = 0; \
    int64_t rows_ = 1, i = 0; \
    int nd_ = (r)->nd; \
    if (nd_ > 0) { inner_ = (r)->dims[nd_ - 1]; ist_ = (r)->ostride[nd_ - 1]; } \
    for (int d_ = 0; d_ < nd_ - 1; d_++) rows_ *= (r)->dims[d_]; \
    if (inner_ == 0) rows_ = 0; \
    for (int64_t q_ = 0; q_ < rows_; q_++) { \
      int64_t o0_ = o; \
      for (int64_t k_ = 0; k_ < inner_; k_++, i++) { \
        o = o0_ + k_ * ist_; \
        BODY; \
      } \
      o = o0_; \
      for (int d_ = nd_ - 2; d_ >= 0; d_--) { \
        o += (r)->ostride[d_]; \
        if (++idx_[d_] < (r)->dims[d_]) break; \
        o -= (r)->ostride[d_] * (r)->dims[d_]; \
        idx_[d_] = 0; \
      } \
    } \
  } while (0)

static dlnn_code
reduce_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st)
{
  const float *x = in[0]->data;
  float *y = out[0]->data, inv;
  reduce_geom r;
  dlnn_code c = reduce_geometry (n, in, &r, st);

  if (c != DLNN_OK)
    return c;
  for (int64_t k = 0; k < out[0]->size; k++)
    y[k] = 0.0f;
  if (r.nd > 0 && r.ostride[r.nd - 1] == 0) {
    /* innermost dim reduced: sum whole rows at once */
    int64_t len = r.dims[r.nd - 1];
    reduce_geom rr = r;
    rr.dims[rr.nd - 1] = 1;
    REDUCE_EACH (&rr, y[o] += dlnn_sum (x + i * len, len));
  } else {
    REDUCE_EACH (&r, y[o] += x[i]);
  }
  inv = r.count ? 1.0f / (float) r.count : 0.0f;
  for (int64_t k = 0; k < out[0]->size; k++)
    y[k] *= inv;
  return DLNN_OK;
}

static dlnn_code
reduce_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  dlnn_tensor *dx = dlnn_op_din (n, din, 0);
  const float *dy = dout[0]->data;
  float *d, inv;
  reduce_geom r;
  dlnn_code c;

  if (!dx)
    return DLNN_OK;
  c = reduce_geometry (n, in, &r, st);
  if (c != DLNN_OK)
    return c;
  d = dx->data;
  inv = r.count ? 1.0f / (float) r.count : 0.0f;
  REDUCE_EACH (&r, d[i] += dy[o] * inv);
  return DLNN_OK;
}

const dlnn_op dlnn_op_reducemean = {
  .type = "ReduceMean",
  .min_inputs = 1,.max_inputs = 2,
  .min_outputs = 1,.max_outputs = 1,
  .init = reduce_init,
  .shape = reduce_shape,
  .forward = reduce_forward,
  .backward = reduce_backward,
};
