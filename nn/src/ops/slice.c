/* libdlnn - Slice and Split: outputs that are strided views of the input.
 *
 * Slice: starts/ends/axes/steps as constant int64 inputs (opset >= 10) or
 * attributes (opset < 10); ends beyond the dimension (INT64_MAX, as
 * exporters write) are clamped, negative steps are supported.
 * Split: axis; split sizes as a constant int64 input (opset >= 13) or
 * attribute (opset < 13); without sizes, equal parts (opset >= 18 with
 * num_outputs: ceil-sized parts, the last one smaller). */
#include "strided.h"

/* ---- Slice ---- */

static dlnn_code
slice_view (const dlnn_node * n, int64_t opset, const dlnn_tensor * const *in,
    dlnn_view * v, dlnn_status * st)
{
  const dlnn_tensor *x = in[0];
  int64_t starts[DLNN_MAX_DIMS], ends[DLNN_MAX_DIMS], axes[DLNN_MAX_DIMS];
  int64_t steps[DLNN_MAX_DIMS], xs[DLNN_MAX_DIMS];
  int ax[DLNN_MAX_DIMS], ns, ne, na, nst, done[DLNN_MAX_DIMS] = { 0 };
  dlnn_code c;

  if (opset < 10) {
    c = dlnn_op_attr_ints (n, "starts", starts, DLNN_MAX_DIMS, &ns, st);
    if (c == DLNN_OK)
      c = dlnn_op_attr_ints (n, "ends", ends, DLNN_MAX_DIMS, &ne, st);
    if (c == DLNN_OK)
      c = dlnn_op_attr_ints (n, "axes", axes, DLNN_MAX_DIMS, &na, st);
    nst = 0;
  } else {
    if (n->n_inputs < 3)
      return dlnn_op_error (n, st, DLNN_ERR_INVALID,
          "opset %lld needs the starts and ends inputs", (long long) opset);
    c = dlnn_op_const_ints (n, in, 1, "starts", starts, DLNN_MAX_DIMS, &ns,
        st);
    if (c == DLNN_OK)
      c = dlnn_op_const_ints (n, in, 2, "ends", ends, DLNN_MAX_DIMS, &ne, st);
    if (c == DLNN_OK)
      c = dlnn_op_const_ints (n, in, 3, "axes", axes, DLNN_MAX_DIMS, &na, st);
    if (c == DLNN_OK)
      c = dlnn_op_const_ints (n, in, 4, "steps", steps, DLNN_MAX_DIMS, &nst,
          st);
  }
  if (c != DLNN_OK)
    return c;
  if (ne != ns || (na && na != ns) || (nst && nst != ns))
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "starts, ends, axes and steps have different lengths (%d, %d, %d, "
        "%d)", ns, ne, na, nst);
  if (ns > x->ndim)
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "%d starts for an input of rank %d", ns, x->ndim);
  if (!na)
    for (int k = 0; k < ns; k++)
      axes[k] = k;
  c = dlnn_op_axes (n, "axes", axes, ns, x->ndim, ax, st);
  if (c != DLNN_OK)
    return c;

  dlnn_strides_of (x->ndim, x->dims, xs);
  v->nd = x->ndim;
  v->base = 0;
  for (int d = 0; d < x->ndim; d++) {
    v->dims[d] = x->dims[d];
    v->stride[d] = xs[d];
  }
  for (int k = 0; k < ns; k++) {
    int a = ax[k];
    int64_t dim = x->dims[a], step = nst ? steps[k] : 1, s = starts[k];
    int64_t e = ends[k], len;
    if (step == 0)
      return dlnn_op_error (n, st, DLNN_ERR_INVALID, "steps[%d] is 0", k);
    if (done[a]++)
      return dlnn_op_error (n, st, DLNN_ERR_INVALID, "axis %d is repeated",
          a);
    if (s < 0)
      s = s < -dim ? 0 : s + dim;
    if (e < 0)
      e = e < -dim ? -1 : e + dim;
    if (step > 0) {
      s = s > dim ? dim : s;
      e = e < 0 ? 0 : (e > dim ? dim : e);
      len = e > s ? (e - s + step - 1) / step : 0;
    } else {
      s = s > dim - 1 ? dim - 1 : s;
      e = e > dim - 1 ? dim - 1 : e;
      len = s > e ? (s - e + (-step) - 1) / (-step) : 0;
    }
    v->dims[a] = len;
    if (len > 0)
      v->base += s * xs[a];
    v->stride[a] = xs[a] * step;
  }
  return DLNN_OK;
}

typedef struct slice_priv
{
  int64_t opset;
  int axis;                     /* Split */
  int64_t raw_axis;
} slice_priv;

static dlnn_code
slice_init (const dlnn_graph * g, dlnn_node * n, dlnn_status * st)
{
  slice_priv *p = dlnn_op_priv_new (n, sizeof (slice_priv), st);

  if (!p)
    return DLNN_ERR_NOMEM;
  p->opset = g->opset;
  p->raw_axis = dlnn_node_attr_int (n, "axis", 0);
  return DLNN_OK;
}

static dlnn_code
slice_shape (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, dlnn_status * st)
{
  const slice_priv *p = n->priv;
  dlnn_view v;
  dlnn_code c = slice_view (n, p->opset, in, &v, st);

  if (c != DLNN_OK)
    return c;
  return dlnn_op_set_shape (n, out[0], v.nd, v.dims, st);
}

static dlnn_code
slice_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st)
{
  const slice_priv *p = n->priv;
  dlnn_view v;
  dlnn_code c = slice_view (n, p->opset, in, &v, st);

  if (c == DLNN_OK)
    dlnn_view_gather (&v, in[0]->data, out[0]->data);
  return c;
}

static dlnn_code
slice_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  const slice_priv *p = n->priv;
  dlnn_tensor *dx = dlnn_op_din (n, din, 0);
  dlnn_view v;
  dlnn_code c;

  if (!dx)
    return DLNN_OK;
  c = slice_view (n, p->opset, in, &v, st);
  if (c == DLNN_OK)
    dlnn_view_scatter_add (&v, dout[0]->data, dx->data);
  return c;
}

const dlnn_op dlnn_op_slice = {
  .type = "Slice",
  .min_inputs = 1,.max_inputs = 5,
  .min_outputs = 1,.max_outputs = 1,
  .init = slice_init,
  .shape = slice_shape,
  .forward = slice_forward,
  .backward = slice_backward,
};

/* ---- Split ---- */

#define SPLIT_MAX 64

/* Sizes of the n->n_outputs parts along the (normalised) axis. */
static dlnn_code
split_sizes (const dlnn_node * n, const dlnn_tensor * const *in, int *axis,
    int64_t * sizes, dlnn_status * st)
{
  const slice_priv *p = n->priv;
  const dlnn_tensor *x = in[0];
  int64_t dim, total = 0;
  int count = 0, no = n->n_outputs;
  dlnn_code c;

  c = dlnn_op_axis (n, "axis", p->raw_axis, x->ndim, 0, axis, st);
  if (c != DLNN_OK)
    return c;
  dim = x->dims[*axis];
  if (p->opset >= 13)
    c = dlnn_op_const_ints (n, in, 1, "split", sizes, SPLIT_MAX, &count, st);
  else
    c = dlnn_op_attr_ints (n, "split", sizes, SPLIT_MAX, &count, st);
  if (c != DLNN_OK)
    return c;
  if (count) {
    if (count != no)
      return dlnn_op_error (n, st, DLNN_ERR_INVALID,
          "split has %d sizes for %d outputs", count, no);
    for (int i = 0; i < no; i++) {
      if (sizes[i] < 0)
        return dlnn_op_error (n, st, DLNN_ERR_INVALID,
            "split size %lld is negative", (long long) sizes[i]);
      total += sizes[i];
    }
    if (total != dim)
      return dlnn_op_error (n, st, DLNN_ERR_SHAPE,
          "split sizes add up to %lld, the axis has %lld", (long long) total,
          (long long) dim);
    return DLNN_OK;
  }
  {
    const dlnn_attr *a = dlnn_node_attr (n, "num_outputs");
    int64_t chunk;
    if (a && (a->type != DLNN_ATTR_INT || a->i != no))
      return dlnn_op_error (n, st, DLNN_ERR_INVALID,
          "attribute num_outputs=%lld but the node has %d outputs",
          (long long) a->i, no);
    if (!a && dim % no != 0)
      return dlnn_op_error (n, st, DLNN_ERR_SHAPE,
          "axis of %lld cannot be split into %d equal parts",
          (long long) dim, no);
    chunk = (dim + no - 1) / no;
    for (int i = 0; i < no; i++) {
      int64_t left = dim - chunk * i;
      sizes[i] = left < 0 ? 0 : (left < chunk ? left : chunk);
    }
  }
  return DLNN_OK;
}

static void
split_view (const dlnn_tensor * x, int axis, int64_t start, int64_t len,
    dlnn_view * v)
{
  dlnn_strides_of (x->ndim, x->dims, v->stride);
  v->nd = x->ndim;
  for (int d = 0; d < x->ndim; d++)
    v->dims[d] = x->dims[d];
  v->dims[axis] = len;
  v->base = start * v->stride[axis];
}

static dlnn_code
split_shape (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, dlnn_status * st)
{
  int64_t sizes[SPLIT_MAX];
  int axis;
  dlnn_code c;

  if (n->n_outputs > SPLIT_MAX)
    return dlnn_op_error (n, st, DLNN_ERR_UNSUPPORTED,
        "%d outputs, more than %d", n->n_outputs, SPLIT_MAX);
  c = split_sizes (n, in, &axis, sizes, st);
  for (int i = 0; c == DLNN_OK && i < n->n_outputs; i++) {
    int64_t dims[DLNN_MAX_DIMS];
    memcpy (dims, in[0]->dims, sizeof (dims));
    dims[axis] = sizes[i];
    if (out[i])
      c = dlnn_op_set_shape (n, out[i], in[0]->ndim, dims, st);
  }
  return c;
}

static dlnn_code
split_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st)
{
  int64_t sizes[SPLIT_MAX], start = 0;
  int axis;
  dlnn_code c = split_sizes (n, in, &axis, sizes, st);

  for (int i = 0; c == DLNN_OK && i < n->n_outputs; i++) {
    dlnn_view v;
    split_view (in[0], axis, start, sizes[i], &v);
    if (out[i])
      dlnn_view_gather (&v, in[0]->data, out[i]->data);
    start += sizes[i];
  }
  return c;
}

static dlnn_code
split_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  dlnn_tensor *dx = dlnn_op_din (n, din, 0);
  int64_t sizes[SPLIT_MAX], start = 0;
  int axis;
  dlnn_code c;

  if (!dx)
    return DLNN_OK;
  c = split_sizes (n, in, &axis, sizes, st);
  for (int i = 0; c == DLNN_OK && i < n->n_outputs; i++) {
    dlnn_view v;
    split_view (in[0], axis, start, sizes[i], &v);
    if (dout[i])
      dlnn_view_scatter_add (&v, dout[i]->data, dx->data);
    start += sizes[i];
  }
  return c;
}

const dlnn_op dlnn_op_split = {
  .type = "Split",
  .min_inputs = 1,.max_inputs = 2,
  .min_outputs = 1,.max_outputs = SPLIT_MAX,
  .init = slice_init,
  .shape = split_shape,
  .forward = split_forward,
  .backward = split_backward,
};
