/* libdlnn - Concat along one axis. */
#include "common.h"

#include <stdio.h>

typedef struct concat_priv
{
  int64_t axis;
} concat_priv;

static dlnn_code
concat_init (const dlnn_graph * g, dlnn_node * n, dlnn_status * st)
{
  concat_priv *p = dlnn_op_priv_new (n, sizeof (concat_priv), st);

  if (!p)
    return DLNN_ERR_NOMEM;
  if (!dlnn_node_attr (n, "axis"))
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "attribute axis is required");
  p->axis = dlnn_node_attr_int (n, "axis", 0);
  return DLNN_OK;
}

static dlnn_code
concat_axis (const dlnn_node * n, const dlnn_tensor * const *in, int *axis,
    dlnn_status * st)
{
  const concat_priv *p = n->priv;
  const dlnn_tensor *x0 = in[0];
  dlnn_code c = dlnn_op_axis (n, "axis", p->axis, x0->ndim, 0, axis, st);

  if (c != DLNN_OK)
    return c;
  for (int i = 1; i < n->n_inputs; i++) {
    const dlnn_tensor *x = in[i];
    int bad = !x || x->ndim != x0->ndim;
    for (int d = 0; !bad && d < x0->ndim; d++)
      bad = d != *axis && x->dims[d] != x0->dims[d];
    if (bad) {
      char what[96];
      snprintf (what, sizeof (what), "input %d does not match input 0 "
          "outside axis %d: input 0, input %d", i, *axis, i);
      return dlnn_op_shape_error (n, st, what, x0, x ? x : x0);
    }
  }
  return DLNN_OK;
}

static dlnn_code
concat_shape (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, dlnn_status * st)
{
  int64_t dims[DLNN_MAX_DIMS];
  int axis;
  dlnn_code c = concat_axis (n, in, &axis, st);

  if (c != DLNN_OK)
    return c;
  memcpy (dims, in[0]->dims, sizeof (dims));
  dims[axis] = 0;
  for (int i = 0; i < n->n_inputs; i++)
    dims[axis] += in[i]->dims[axis];
  return dlnn_op_set_shape (n, out[0], in[0]->ndim, dims, st);
}

static dlnn_code
concat_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st)
{
  int axis;
  int64_t outer, inner, orow, off = 0;
  dlnn_code c = concat_axis (n, in, &axis, st);

  if (c != DLNN_OK)
    return c;
  outer = dlnn_op_dims_prod (in[0]->dims, 0, axis);
  inner = dlnn_op_dims_prod (in[0]->dims, axis + 1, in[0]->ndim);
  orow = out[0]->dims[axis] * inner;
  for (int i = 0; i < n->n_inputs; i++) {
    int64_t row = in[i]->dims[axis] * inner;
    for (int64_t o = 0; o < outer && row > 0; o++)
      memcpy (out[0]->data + o * orow + off, in[i]->data + o * row,
          (size_t) row * sizeof (float));
    off += row;
  }
  return DLNN_OK;
}

static dlnn_code
concat_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  int axis;
  int64_t outer, inner, orow, off = 0;
  dlnn_code c = concat_axis (n, in, &axis, st);

  if (c != DLNN_OK)
    return c;
  outer = dlnn_op_dims_prod (in[0]->dims, 0, axis);
  inner = dlnn_op_dims_prod (in[0]->dims, axis + 1, in[0]->ndim);
  orow = out[0]->dims[axis] * inner;
  for (int i = 0; i < n->n_inputs; i++) {
    int64_t row = in[i]->dims[axis] * inner;
    dlnn_tensor *dx = dlnn_op_din (n, din, i);
    if (dx)
      for (int64_t o = 0; o < outer; o++)
        dlnn_op_acc (dx->data + o * row, dout[0]->data + o * orow + off, row);
    off += row;
  }
  return DLNN_OK;
}

const dlnn_op dlnn_op_concat = {
  .type = "Concat",
  .min_inputs = 1,.max_inputs = 64,
  .min_outputs = 1,.max_outputs = 1,
  .init = concat_init,
  .shape = concat_shape,
  .forward = concat_forward,
  .backward = concat_backward,
};
