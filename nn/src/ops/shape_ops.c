/* libdlnn - ops that only change the shape: Flatten, Reshape, Identity.
 * Their output may alias their input (alias_input0); forward copies only
 * when the executor gave them distinct buffers. */
#include "common.h"

dlnn_code
dlnn_op_copy_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st)
{
  dlnn_op_copy (out[0]->data, in[0]->data, in[0]->size);
  return DLNN_OK;
}

dlnn_code
dlnn_op_copy_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  dlnn_tensor *dx = dlnn_op_din (n, din, 0);

  if (dx)
    dlnn_op_acc (dx->data, dout[0]->data, dout[0]->size);
  return DLNN_OK;
}

/* ---- Identity ---- */

const dlnn_op dlnn_op_identity = {
  .type = "Identity",
  .min_inputs = 1,.max_inputs = 1,
  .min_outputs = 1,.max_outputs = 1,
  .shape = dlnn_op_shape_same,
  .forward = dlnn_op_copy_forward,
  .backward = dlnn_op_copy_backward,
  .alias_input0 = DLNN_ALIAS_ALWAYS,
};

/* ---- Flatten ---- */

typedef struct axis_priv
{
  int64_t axis;
  int allowzero;
} axis_priv;

static dlnn_code
flatten_init (const dlnn_graph * g, dlnn_node * n, dlnn_status * st)
{
  axis_priv *p = dlnn_op_priv_new (n, sizeof (axis_priv), st);

  if (!p)
    return DLNN_ERR_NOMEM;
  p->axis = dlnn_node_attr_int (n, "axis", 1);
  return DLNN_OK;
}

static dlnn_code
flatten_shape (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, dlnn_status * st)
{
  const axis_priv *p = n->priv;
  const dlnn_tensor *x = in[0];
  int64_t dims[2];
  int axis;
  dlnn_code c;

  c = dlnn_op_axis (n, "axis", p->axis, x->ndim, 1, &axis, st);
  if (c != DLNN_OK)
    return c;
  dims[0] = dlnn_op_dims_prod (x->dims, 0, axis);
  dims[1] = dlnn_op_dims_prod (x->dims, axis, x->ndim);
  return dlnn_op_set_shape (n, out[0], 2, dims, st);
}

const dlnn_op dlnn_op_flatten = {
  .type = "Flatten",
  .min_inputs = 1,.max_inputs = 1,
  .min_outputs = 1,.max_outputs = 1,
  .init = flatten_init,
  .shape = flatten_shape,
  .forward = dlnn_op_copy_forward,
  .backward = dlnn_op_copy_backward,
  .alias_input0 = DLNN_ALIAS_ALWAYS,
};

/* ---- Reshape ---- */

static dlnn_code
reshape_init (const dlnn_graph * g, dlnn_node * n, dlnn_status * st)
{
  axis_priv *p = dlnn_op_priv_new (n, sizeof (axis_priv), st);
  int64_t az;

  if (!p)
    return DLNN_ERR_NOMEM;
  az = dlnn_node_attr_int (n, "allowzero", 0);
  if (az != 0 && az != 1)
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "allowzero=%lld must be 0 or 1", (long long) az);
  p->allowzero = (int) az;
  return DLNN_OK;
}

static dlnn_code
reshape_shape (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, dlnn_status * st)
{
  const axis_priv *p = n->priv;
  const dlnn_tensor *x = in[0], *s = in[1];
  int64_t dims[DLNN_MAX_DIMS], known = 1;
  int infer = -1, nd;
  char b1[128], b2[128];

  if (s->dtype != DLNN_INT64 || !s->idata)
    return dlnn_op_error (n, st, DLNN_ERR_UNSUPPORTED,
        "the shape input must be a constant int64 tensor (an initializer)");
  if (s->ndim != 1)
    return dlnn_op_shape_error (n, st, "the shape input must be 1-D: shape is",
        s, NULL);
  if (s->size > DLNN_MAX_DIMS)
    return dlnn_op_error (n, st, DLNN_ERR_UNSUPPORTED,
        "target rank %lld is more than %d", (long long) s->size,
        DLNN_MAX_DIMS);
  nd = (int) s->size;
  for (int i = 0; i < nd; i++) {
    int64_t v = s->idata[i];
    if (v == 0 && !p->allowzero) {
      if (i >= x->ndim)
        return dlnn_op_error (n, st, DLNN_ERR_SHAPE,
            "shape[%d]=0 copies a dimension that input %s does not have", i,
            dlnn_shape_str (x->ndim, x->dims, b1, sizeof (b1)));
      v = x->dims[i];
    } else if (v == -1) {
      if (infer >= 0)
        return dlnn_op_error (n, st, DLNN_ERR_SHAPE,
            "shape %s has more than one -1",
            dlnn_shape_str (nd, s->idata, b1, sizeof (b1)));
      infer = i;
      dims[i] = 1;
      continue;
    } else if (v < 0) {
      return dlnn_op_error (n, st, DLNN_ERR_SHAPE,
          "shape %s has a negative dimension",
          dlnn_shape_str (nd, s->idata, b1, sizeof (b1)));
    }
    dims[i] = v;
    if (v > 0 && known > DLNN_MAX_ELEMENTS / v)
      known = DLNN_MAX_ELEMENTS + 1;
    else
      known *= v;
  }
  if (infer >= 0) {
    if (known == 0 || x->size % known != 0)
      return dlnn_op_error (n, st, DLNN_ERR_SHAPE,
          "cannot reshape input %s to %s",
          dlnn_shape_str (x->ndim, x->dims, b1, sizeof (b1)),
          dlnn_shape_str (nd, s->idata, b2, sizeof (b2)));
    dims[infer] = x->size / known;
    known = x->size;
  }
  if (known != x->size)
    return dlnn_op_error (n, st, DLNN_ERR_SHAPE,
        "cannot reshape input %s (%lld elements) to %s",
        dlnn_shape_str (x->ndim, x->dims, b1, sizeof (b1)),
        (long long) x->size, dlnn_shape_str (nd, s->idata, b2, sizeof (b2)));
  return dlnn_op_set_shape (n, out[0], nd, dims, st);
}

const dlnn_op dlnn_op_reshape = {
  .type = "Reshape",
  .min_inputs = 2,.max_inputs = 2,
  .min_outputs = 1,.max_outputs = 1,
  .init = reshape_init,
  .shape = reshape_shape,
  .forward = dlnn_op_copy_forward,
  .backward = dlnn_op_copy_backward,
  .alias_input0 = DLNN_ALIAS_ALWAYS,
};
