/* libdlnn - Expand: broadcasts the input to a target shape (numpy rules,
 * both ways: a target dimension of 1 keeps a larger input dimension).
 * The shape input must be a constant int64 tensor when shapes are
 * computed, as Reshape's; exporters' Expand nodes whose shape is computed
 * from constants are folded at load time (../onnx/onnx_fold_eval.c), so
 * this op runs the ones whose data input is computed at run time.
 * Backward sums the gradient over the broadcast dimensions. */
#include "common.h"

typedef struct expand_geom
{
  int nd;
  int64_t dims[DLNN_MAX_DIMS];  /* output */
  int64_t xs[DLNN_MAX_DIMS];    /* input stride per output dim, 0 = bcast */
} expand_geom;

static dlnn_code
expand_geom_get (const dlnn_node * n, const dlnn_tensor * x,
    const dlnn_tensor * s, expand_geom * g, dlnn_status * st)
{
  int64_t stride = 1;
  int ns;
  char b1[128], b2[128];

  if (s->dtype != DLNN_INT64 || !s->idata)
    return dlnn_op_error (n, st, DLNN_ERR_UNSUPPORTED,
        "the shape input must be a constant int64 tensor (an initializer "
        "or a value folded at load time)");
  if (s->ndim != 1)
    return dlnn_op_shape_error (n, st, "the shape input must be 1-D: shape "
        "is", s, NULL);
  if (s->size > DLNN_MAX_DIMS)
    return dlnn_op_error (n, st, DLNN_ERR_UNSUPPORTED,
        "target rank %lld is more than %d", (long long) s->size,
        DLNN_MAX_DIMS);
  ns = (int) s->size;
  g->nd = ns > x->ndim ? ns : x->ndim;
  for (int d = g->nd - 1; d >= 0; d--) {
    int ix = d - (g->nd - x->ndim), is = d - (g->nd - ns);
    int64_t dx = ix >= 0 ? x->dims[ix] : 1, ds = is >= 0 ? s->idata[is] : 1;
    if (ds < 0 || (dx != ds && dx != 1 && ds != 1))
      return dlnn_op_error (n, st, DLNN_ERR_SHAPE,
          "input %s does not broadcast to shape %s",
          dlnn_shape_str (x->ndim, x->dims, b1, sizeof (b1)),
          dlnn_shape_str (ns, s->idata, b2, sizeof (b2)));
    g->dims[d] = dx == 1 ? ds : dx;
    g->xs[d] = dx == 1 ? 0 : stride;
    stride *= dx;
  }
  return DLNN_OK;
}

static dlnn_code
expand_shape (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, dlnn_status * st)
{
  expand_geom g;
  dlnn_code c = expand_geom_get (n, in[0], in[1], &g, st);

  if (c != DLNN_OK)
    return c;
  return dlnn_op_set_shape (n, out[0], g.nd, g.dims, st);
}

/* Walks the output in order; for each innermost row calls forward (copy
 * or fill) or backward (accumulate or sum) with the input offset. */
static void
expand_walk (const expand_geom * g, int64_t total, const float *src,
    float *dst, int backward)
{
  int nd = g->nd;
  int64_t inner = nd > 0 ? g->dims[nd - 1] : 1;
  int64_t is = nd > 0 ? g->xs[nd - 1] : 0;
  int64_t idx[DLNN_MAX_DIMS] = { 0 };

  if (inner <= 0)
    return;
  for (int64_t o = 0; o < total; o += inner) {
    int64_t off = 0;
    for (int d = 0; d < nd - 1; d++)
      off += idx[d] * g->xs[d];
    if (!backward) {
      if (is)
        memcpy (dst + o, src + off, (size_t) inner * sizeof (float));
      else
        for (int64_t i = 0; i < inner; i++)
          dst[o + i] = src[off];
    } else {
      /* src is dY, dst is dX */
      if (is)
        dlnn_op_acc (dst + off, src + o, inner);
      else
        dst[off] += dlnn_sum (src + o, inner);
    }
    for (int d = nd - 2; d >= 0; d--) {
      if (++idx[d] < g->dims[d])
        break;
      idx[d] = 0;
    }
  }
}

static dlnn_code
expand_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st)
{
  expand_geom g;
  dlnn_code c = expand_geom_get (n, in[0], in[1], &g, st);

  if (c != DLNN_OK)
    return c;
  expand_walk (&g, out[0]->size, in[0]->data, out[0]->data, 0);
  return DLNN_OK;
}

static dlnn_code
expand_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  dlnn_tensor *dx = dlnn_op_din (n, din, 0);
  expand_geom g;
  dlnn_code c;

  if (!dx)
    return DLNN_OK;
  c = expand_geom_get (n, in[0], in[1], &g, st);
  if (c != DLNN_OK)
    return c;
  expand_walk (&g, dout[0]->size, dout[0]->data, dx->data, 1);
  return DLNN_OK;
}

const dlnn_op dlnn_op_expand = {
  .type = "Expand",
  .min_inputs = 2,.max_inputs = 2,
  .min_outputs = 1,.max_outputs = 1,
  .shape = expand_shape,
  .forward = expand_forward,
  .backward = expand_backward,
};
