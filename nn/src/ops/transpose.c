/* libdlnn - Transpose (perm; default reverses the dimensions). Forward
 * gathers the input through a permuted strided view; backward scatters
 * the output gradient back through the same view. */
#include "strided.h"

typedef struct transpose_priv
{
  int n_perm;
  int64_t perm[DLNN_MAX_DIMS];
} transpose_priv;

static dlnn_code
transpose_init (const dlnn_graph * g, dlnn_node * n, dlnn_status * st)
{
  transpose_priv *p = dlnn_op_priv_new (n, sizeof (transpose_priv), st);

  if (!p)
    return DLNN_ERR_NOMEM;
  return dlnn_op_attr_ints (n, "perm", p->perm, DLNN_MAX_DIMS, &p->n_perm,
      st);
}

/* The view of the input in output order. */
static dlnn_code
transpose_view (const dlnn_node * n, const dlnn_tensor * x, dlnn_view * v,
    dlnn_status * st)
{
  const transpose_priv *p = n->priv;
  int64_t xs[DLNN_MAX_DIMS];
  int perm[DLNN_MAX_DIMS];
  dlnn_code c;

  if (p->n_perm == 0) {
    for (int d = 0; d < x->ndim; d++)
      perm[d] = x->ndim - 1 - d;
  } else {
    if (p->n_perm != x->ndim)
      return dlnn_op_error (n, st, DLNN_ERR_INVALID,
          "attribute perm has %d values for an input of rank %d",
          p->n_perm, x->ndim);
    c = dlnn_op_axes (n, "attribute perm", p->perm, p->n_perm, x->ndim,
        perm, st);
    if (c != DLNN_OK)
      return c;
  }
  dlnn_strides_of (x->ndim, x->dims, xs);
  v->nd = x->ndim;
  v->base = 0;
  for (int d = 0; d < x->ndim; d++) {
    v->dims[d] = x->dims[perm[d]];
    v->stride[d] = xs[perm[d]];
  }
  return DLNN_OK;
}

static dlnn_code
transpose_shape (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, dlnn_status * st)
{
  dlnn_view v;
  dlnn_code c = transpose_view (n, in[0], &v, st);

  if (c != DLNN_OK)
    return c;
  return dlnn_op_set_shape (n, out[0], v.nd, v.dims, st);
}

static dlnn_code
transpose_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st)
{
  dlnn_view v;
  dlnn_code c = transpose_view (n, in[0], &v, st);

  if (c == DLNN_OK)
    dlnn_view_gather (&v, in[0]->data, out[0]->data);
  return c;
}

static dlnn_code
transpose_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  dlnn_tensor *dx = dlnn_op_din (n, din, 0);
  dlnn_view v;
  dlnn_code c;

  if (!dx)
    return DLNN_OK;
  c = transpose_view (n, in[0], &v, st);
  if (c == DLNN_OK)
    dlnn_view_scatter_add (&v, dout[0]->data, dx->data);
  return c;
}

const dlnn_op dlnn_op_transpose = {
  .type = "Transpose",
  .min_inputs = 1,.max_inputs = 1,
  .min_outputs = 1,.max_outputs = 1,
  .init = transpose_init,
  .shape = transpose_shape,
  .forward = transpose_forward,
  .backward = transpose_backward,
};
