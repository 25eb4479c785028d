/* libdlnn - Pad: modes constant, reflect and edge; pads (and the constant
 * value, and from opset 18 axes) as inputs from opset 11, attributes pads
 * and value before. Negative pads crop. Each output element maps to one
 * input element (or to the constant); backward adds dy back through the
 * same map. */
#include "strided.h"

enum
{ PAD_CONSTANT, PAD_REFLECT, PAD_EDGE };

typedef struct pad_priv
{
  int64_t opset;
  int mode;
  int n_pads;
  int64_t pads[2 * DLNN_MAX_DIMS];
  float value;
} pad_priv;

typedef struct pad_geom
{
  int nd;
  int64_t in_dims[DLNN_MAX_DIMS], out_dims[DLNN_MAX_DIMS];
  int64_t begin[DLNN_MAX_DIMS];
  float value;
} pad_geom;

static dlnn_code
pad_init (const dlnn_graph * g, dlnn_node * n, dlnn_status * st)
{
  pad_priv *p = dlnn_op_priv_new (n, sizeof (pad_priv), st);
  const char *mode;

  if (!p)
    return DLNN_ERR_NOMEM;
  p->opset = g->opset;
  mode = dlnn_node_attr_string (n, "mode", "constant");
  if (strcmp (mode, "constant") == 0)
    p->mode = PAD_CONSTANT;
  else if (strcmp (mode, "reflect") == 0)
    p->mode = PAD_REFLECT;
  else if (strcmp (mode, "edge") == 0)
    p->mode = PAD_EDGE;
  else
    return dlnn_op_error (n, st, DLNN_ERR_UNSUPPORTED,
        "attribute mode='%s' is not supported (opset %lld; constant, "
        "reflect and edge are)", mode, (long long) g->opset);
  if (g->opset >= 11) {
    if (dlnn_node_attr (n, "pads") || dlnn_node_attr (n, "value"))
      return dlnn_op_error (n, st, DLNN_ERR_INVALID,
          "attributes pads/value are not part of Pad in opset %lld (they "
          "are inputs from opset 11)", (long long) g->opset);
    if (n->n_inputs < 2)
      return dlnn_op_error (n, st, DLNN_ERR_INVALID,
          "opset %lld needs the pads input", (long long) g->opset);
    if (n->n_inputs > 3 && g->opset < 18)
      return dlnn_op_error (n, st, DLNN_ERR_INVALID,
          "the axes input needs opset 18 (model has opset %lld)",
          (long long) g->opset);
    return DLNN_OK;
  }
  if (n->n_inputs > 1)
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "the pads input needs opset 11 (model has opset %lld)",
        (long long) g->opset);
  p->value = dlnn_node_attr_float (n, "value", 0.0f);
  return dlnn_op_attr_ints (n, "pads", p->pads, 2 * DLNN_MAX_DIMS,
      &p->n_pads, st);
}

static dlnn_code
pad_geometry (const dlnn_node * n, const dlnn_tensor * const *in,
    pad_geom * pg, dlnn_status * st)
{
  const pad_priv *p = n->priv;
  const dlnn_tensor *x = in[0];
  int64_t pads[2 * DLNN_MAX_DIMS], axes[DLNN_MAX_DIMS];
  int np = p->n_pads, na = 0, ax[DLNN_MAX_DIMS];
  int64_t begin[DLNN_MAX_DIMS] = { 0 }, end[DLNN_MAX_DIMS] = { 0 };
  dlnn_code c;

  pg->value = p->value;
  memcpy (pads, p->pads, sizeof (pads));
  if (p->opset >= 11) {
    const dlnn_tensor *cv = dlnn_op_in (n, in, 2);
    c = dlnn_op_const_ints (n, in, 1, "pads", pads, 2 * DLNN_MAX_DIMS, &np,
        st);
    if (c == DLNN_OK)
      c = dlnn_op_const_ints (n, in, 3, "axes", axes, DLNN_MAX_DIMS, &na,
          st);
    if (c != DLNN_OK)
      return c;
    if (cv) {
      if (cv->dtype != DLNN_FLOAT32 || cv->size != 1)
        return dlnn_op_error (n, st, DLNN_ERR_INVALID,
            "input 2 (constant_value) must be a float scalar");
      pg->value = cv->data ? cv->data[0] : 0.0f;
    }
  }
  if (na == 0) {
    na = x->ndim;
    for (int d = 0; d < x->ndim; d++)
      ax[d] = d;
  } else {
    c = dlnn_op_axes (n, "axes", axes, na, x->ndim, ax, st);
    if (c != DLNN_OK)
      return c;
  }
  if (np != 2 * na)
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "pads has %d values, %d expected (2 per padded axis)", np, 2 * na);
  for (int k = 0; k < na; k++) {
    begin[ax[k]] = pads[k];
    end[ax[k]] = pads[na + k];
  }
  pg->nd = x->ndim;
  for (int d = 0; d < x->ndim; d++) {
    int64_t o = x->dims[d] + begin[d] + end[d];
    if (o < 0)
      return dlnn_op_error (n, st, DLNN_ERR_SHAPE,
          "pads %lld, %lld crop more than the %lld elements of axis %d",
          (long long) begin[d], (long long) end[d], (long long) x->dims[d],
          d);
    if (p->mode != PAD_CONSTANT && x->dims[d] == 0 && o > 0)
      return dlnn_op_error (n, st, DLNN_ERR_SHAPE,
          "mode %s cannot pad the empty axis %d", p->mode == PAD_REFLECT ?
          "reflect" : "edge", d);
    pg->in_dims[d] = x->dims[d];
    pg->out_dims[d] = o;
    pg->begin[d] = begin[d];
  }
  return DLNN_OK;
}

static dlnn_code
pad_shape (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, dlnn_status * st)
{
  pad_geom pg;
  dlnn_code c = pad_geometry (n, in, &pg, st);

  if (c != DLNN_OK)
    return c;
  return dlnn_op_set_shape (n, out[0], pg.nd, pg.out_dims, st);
}

/* Input index of output index @o along an axis, or -1 (constant). */
static inline int64_t
pad_map (int mode, int64_t o, int64_t begin, int64_t size)
{
  int64_t i = o - begin;

  if (i >= 0 && i < size)
    return i;
  if (mode == PAD_CONSTANT)
    return -1;
  if (mode == PAD_EDGE || size == 1)
    return i < 0 ? 0 : size - 1;
  {
    int64_t period = 2 * (size - 1);
    i %= period;
    if (i < 0)
      i += period;
    return i < size ? i : period - i;
  }
}

/* Visits every output element k with its input offset @src (-1 for the
 * constant). */
#define PAD_EACH(pg, mode, BODY) do { \
    int64_t idx_[DLNN_MAX_DIMS] = { 0 }, is_[DLNN_MAX_DIMS], rows_ = 1; \
    int64_t k = 0, src, len_; \
    int nd_ = (pg)->nd; \
    dlnn_strides_of (nd_, (pg)->in_dims, is_); \
    len_ = nd_ ? (pg)->out_dims[nd_ - 1] : 1; \
    for (int d_ = 0; d_ < nd_ - 1; d_++) rows_ *= (pg)->out_dims[d_]; \
    if (len_ == 0) rows_ = 0; \
    for (int64_t r_ = 0; r_ < rows_; r_++) { \
      int64_t base_ = 0; \
      for (int d_ = 0; d_ < nd_ - 1 && base_ >= 0; d_++) { \
        int64_t m_ = pad_map (mode, idx_[d_], (pg)->begin[d_], \
            (pg)->in_dims[d_]); \
        base_ = m_ < 0 ? -1 : base_ + m_ * is_[d_]; \
      } \
      for (int64_t j_ = 0; j_ < len_; j_++, k++) { \
        int64_t m_ = nd_ ? pad_map (mode, j_, (pg)->begin[nd_ - 1], \
            (pg)->in_dims[nd_ - 1]) : 0; \
        src = base_ < 0 || m_ < 0 ? -1 : base_ + m_; \
        BODY; \
      } \
      for (int d_ = nd_ - 2; d_ >= 0; d_--) { \
        if (++idx_[d_] < (pg)->out_dims[d_]) break; \
        idx_[d_] = 0; \
      } \
    } \
  } while (0)

static dlnn_code
pad_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st)
{
  const pad_priv *p = n->priv;
  const float *x = in[0]->data;
  float *y = out[0]->data;
  pad_geom pg;
  dlnn_code c = pad_geometry (n, in, &pg, st);

  if (c != DLNN_OK)
    return c;
  PAD_EACH (&pg, p->mode, y[k] = src < 0 ? pg.value : x[src]);
  return DLNN_OK;
}

static dlnn_code
pad_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  const pad_priv *p = n->priv;
  dlnn_tensor *dx = dlnn_op_din (n, din, 0);
  const float *dy = dout[0]->data;
  float *d;
  pad_geom pg;
  dlnn_code c;

  if (!dx)
    return DLNN_OK;
  c = pad_geometry (n, in, &pg, st);
  if (c != DLNN_OK)
    return c;
  d = dx->data;
  PAD_EACH (&pg, p->mode, if (src >= 0) d[src] += dy[k]);
  return DLNN_OK;
}

const dlnn_op dlnn_op_pad = {
  .type = "Pad",
  .min_inputs = 1,.max_inputs = 4,
  .min_outputs = 1,.max_outputs = 1,
  .init = pad_init,
  .shape = pad_shape,
  .forward = pad_forward,
  .backward = pad_backward,
};
