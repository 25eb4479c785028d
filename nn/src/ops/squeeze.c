/* libdlnn - Squeeze and Unsqueeze: axes as a constant int64 input from
 * opset 13, as an attribute before. Squeeze without axes removes every
 * dimension of size 1. The output aliases the input (DLNN_ALIAS_ALWAYS). */
#include "strided.h"

typedef struct squeeze_priv
{
  int64_t opset;
  int n_axes;
  int64_t axes[DLNN_MAX_DIMS];
} squeeze_priv;

static dlnn_code
squeeze_init (const dlnn_graph * g, dlnn_node * n, dlnn_status * st)
{
  squeeze_priv *p = dlnn_op_priv_new (n, sizeof (squeeze_priv), st);

  if (!p)
    return DLNN_ERR_NOMEM;
  p->opset = g->opset;
  if (g->opset >= 13) {
    if (dlnn_node_attr (n, "axes"))
      return dlnn_op_error (n, st, DLNN_ERR_INVALID,
          "attribute axes is not part of %s in opset %lld (it is an input "
          "from opset 13)", n->op_type, (long long) g->opset);
    return DLNN_OK;
  }
  if (n->n_inputs > 1)
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "the axes input needs opset 13 (model has opset %lld)",
        (long long) g->opset);
  return dlnn_op_attr_ints (n, "axes", p->axes, DLNN_MAX_DIMS, &p->n_axes,
      st);
}

static dlnn_code
squeeze_axes (const dlnn_node * n, const dlnn_tensor * const *in,
    int64_t * axes, int *na, dlnn_status * st)
{
  const squeeze_priv *p = n->priv;

  if (p->opset >= 13)
    return dlnn_op_const_ints (n, in, 1, "axes", axes, DLNN_MAX_DIMS, na, st);
  memcpy (axes, p->axes, sizeof (p->axes));
  *na = p->n_axes;
  return DLNN_OK;
}

static dlnn_code
squeeze_shape (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, dlnn_status * st)
{
  const dlnn_tensor *x = in[0];
  int64_t axes[DLNN_MAX_DIMS], dims[DLNN_MAX_DIMS];
  int ax[DLNN_MAX_DIMS], na, nd = 0, drop[DLNN_MAX_DIMS] = { 0 };
  dlnn_code c = squeeze_axes (n, in, axes, &na, st);

  if (c == DLNN_OK)
    c = dlnn_op_axes (n, "axes", axes, na, x->ndim, ax, st);
  if (c != DLNN_OK)
    return c;
  for (int k = 0; k < na; k++) {
    if (x->dims[ax[k]] != 1)
      return dlnn_op_error (n, st, DLNN_ERR_SHAPE,
          "axis %d has size %lld, not 1", ax[k], (long long) x->dims[ax[k]]);
    drop[ax[k]] = 1;
  }
  for (int d = 0; d < x->ndim; d++)
    if (!(na ? drop[d] : x->dims[d] == 1))
      dims[nd++] = x->dims[d];
  return dlnn_op_set_shape (n, out[0], nd, dims, st);
}

static dlnn_code
unsqueeze_shape (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, dlnn_status * st)
{
  const dlnn_tensor *x = in[0];
  int64_t axes[DLNN_MAX_DIMS], dims[DLNN_MAX_DIMS];
  int ax[DLNN_MAX_DIMS], na, nd, add[DLNN_MAX_DIMS] = { 0 }, src = 0;
  dlnn_code c = squeeze_axes (n, in, axes, &na, st);

  if (c != DLNN_OK)
    return c;
  nd = x->ndim + na;
  if (na == 0)
    return dlnn_op_error (n, st, DLNN_ERR_INVALID, "no axes");
  if (nd > DLNN_MAX_DIMS)
    return dlnn_op_error (n, st, DLNN_ERR_UNSUPPORTED,
        "output rank %d is more than %d", nd, DLNN_MAX_DIMS);
  c = dlnn_op_axes (n, "axes", axes, na, nd, ax, st);
  if (c != DLNN_OK)
    return c;
  for (int k = 0; k < na; k++)
    add[ax[k]] = 1;
  for (int d = 0; d < nd; d++)
    dims[d] = add[d] ? 1 : x->dims[src++];
  return dlnn_op_set_shape (n, out[0], nd, dims, st);
}

const dlnn_op dlnn_op_squeeze = {
  .type = "Squeeze",
  .min_inputs = 1,.max_inputs = 2,
  .min_outputs = 1,.max_outputs = 1,
  .init = squeeze_init,
  .shape = squeeze_shape,
  .forward = dlnn_op_copy_forward,
  .backward = dlnn_op_copy_backward,
  .alias_input0 = DLNN_ALIAS_ALWAYS,
};

const dlnn_op dlnn_op_unsqueeze = {
  .type = "Unsqueeze",
  .min_inputs = 1,.max_inputs = 2,
  .min_outputs = 1,.max_outputs = 1,
  .init = squeeze_init,
  .shape = unsqueeze_shape,
  .forward = dlnn_op_copy_forward,
  .backward = dlnn_op_copy_backward,
  .alias_input0 = DLNN_ALIAS_ALWAYS,
};
