/* libdlnn - Softmax and LogSoftmax.
 *
 * Opset >= 13: normalised along the single axis @axis (default -1).
 * Opset < 13: the input is coerced to 2-D at @axis (default 1) and
 * normalised over the flattened trailing dims. */
#include "common.h"
#include "parallel.h"
#include "vmath.h"

#include <math.h>

typedef struct softmax_priv
{
  int64_t axis;
  int legacy;                   /* opset < 13 */
} softmax_priv;

typedef struct softmax_geom
{
  int64_t outer, len, inner;
} softmax_geom;

static dlnn_code
softmax_init (const dlnn_graph * g, dlnn_node * n, dlnn_status * st)
{
  softmax_priv *p = dlnn_op_priv_new (n, sizeof (softmax_priv), st);

  if (!p)
    return DLNN_ERR_NOMEM;
  p->legacy = g && g->opset > 0 && g->opset < 13;
  p->axis = dlnn_node_attr_int (n, "axis", p->legacy ? 1 : -1);
  return DLNN_OK;
}

static dlnn_code
softmax_geom_get (const dlnn_node * n, const dlnn_tensor * x,
    softmax_geom * g, dlnn_status * st)
{
  const softmax_priv *p = n->priv;
  int axis;
  dlnn_code c;

  memset (g, 0, sizeof (*g));
  if (x->ndim < 1)
    return dlnn_op_shape_error (n, st, "input must not be a scalar: X is", x,
        NULL);
  c = dlnn_op_axis (n, "axis", p->axis, x->ndim, 0, &axis, st);
  if (c != DLNN_OK)
    return c;
  g->outer = dlnn_op_dims_prod (x->dims, 0, axis);
  if (p->legacy) {
    g->len = dlnn_op_dims_prod (x->dims, axis, x->ndim);
    g->inner = 1;
  } else {
    g->len = x->dims[axis];
    g->inner = dlnn_op_dims_prod (x->dims, axis + 1, x->ndim);
  }
  return DLNN_OK;
}

static dlnn_code
softmax_shape (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, dlnn_status * st)
{
  softmax_geom g;
  dlnn_code c = softmax_geom_get (n, in[0], &g, st);

  if (c != DLNN_OK)
    return c;
  return dlnn_op_shape_same (n, in, out, st);
}

/* One row of @len values with stride @inc. */
static void
softmax_row (const float *x, float *y, int64_t len, int64_t inc, int log)
{
  float mx = -INFINITY, sum = 0.0f;

  for (int64_t i = 0; i < len; i++)
    if (x[i * inc] > mx)
      mx = x[i * inc];
  if (inc == 1 && !log) {
    /* exps first (a vectorised loop; fine in place), then their sum */
    for (int64_t i = 0; i < len; i++)
      y[i] = dlnn_vexpf (x[i] - mx);
    for (int64_t i = 0; i < len; i++)
      sum += y[i];
  } else if (inc == 1) {
    for (int64_t i = 0; i < len; i++) {
      float e = dlnn_vexpf (x[i] - mx);
      sum += e;
      y[i] = x[i] - mx;
    }
  } else {
    for (int64_t i = 0; i < len; i++) {
      float e = dlnn_vexpf (x[i * inc] - mx);
      sum += e;
      y[i * inc] = log ? x[i * inc] - mx : e;
    }
  }
  if (log) {
    float ls = logf (sum);
    for (int64_t i = 0; i < len; i++)
      y[i * inc] -= ls;
  } else {
    float inv = 1.0f / sum;
    for (int64_t i = 0; i < len; i++)
      y[i * inc] *= inv;
  }
}

typedef struct softmax_job
{
  const softmax_geom *g;
  const float *x, *y, *dy;
  float *out;
  int log;
} softmax_job;

/* rows [begin, end) of (outer, inner) */
static void
softmax_forward_job (void *arg, int64_t begin, int64_t end)
{
  const softmax_job *j = arg;
  const softmax_geom *g = j->g;
  for (int64_t r = begin; r < end; r++) {
    int64_t o = r / g->inner, i = r % g->inner;
    int64_t off = o * g->len * g->inner + i;
    softmax_row (j->x + off, j->out + off, g->len, g->inner, j->log);
  }
}

static void
softmax_backward_job (void *arg, int64_t begin, int64_t end)
{
  const softmax_job *j = arg;
  const softmax_geom *g = j->g;
  const int64_t inc = g->inner;

  for (int64_t r = begin; r < end; r++) {
    int64_t o = r / g->inner, ii = r % g->inner;
    int64_t off = o * g->len * g->inner + ii;
    const float *y = j->y + off, *dy = j->dy + off;
    float *d = j->out + off;
    float s = 0.0f;
    if (j->log) {
      /* dx = dy - softmax * sum(dy) */
      for (int64_t i = 0; i < g->len; i++)
        s += dy[i * inc];
      for (int64_t i = 0; i < g->len; i++)
        d[i * inc] += dy[i * inc] - expf (y[i * inc]) * s;
    } else {
      /* dx = y * (dy - sum(dy * y)) */
      for (int64_t i = 0; i < g->len; i++)
        s += dy[i * inc] * y[i * inc];
      for (int64_t i = 0; i < g->len; i++)
        d[i * inc] += y[i * inc] * (dy[i * inc] - s);
    }
  }
}

static dlnn_code
softmax_forward_common (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, int log, dlnn_status * st)
{
  softmax_geom g;
  softmax_job j;
  dlnn_code c = softmax_geom_get (n, in[0], &g, st);

  if (c != DLNN_OK)
    return c;
  if (g.len == 0)
    return DLNN_OK;
  memset (&j, 0, sizeof (j));
  j.g = &g;
  j.x = in[0]->data;
  j.out = out[0]->data;
  j.log = log;
  dlnn_parallel_for (g.outer * g.inner, DLNN_PAR_WORK / 4 / g.len + 1,
      softmax_forward_job, &j);
  return DLNN_OK;
}

static dlnn_code
softmax_backward_common (const dlnn_node * n, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * dx, int log,
    dlnn_status * st)
{
  softmax_geom g;
  softmax_job j;
  dlnn_code c;

  if (!dx)
    return DLNN_OK;
  if ((c = softmax_geom_get (n, out[0], &g, st)) != DLNN_OK)
    return c;
  if (g.len == 0)
    return DLNN_OK;
  memset (&j, 0, sizeof (j));
  j.g = &g;
  j.y = out[0]->data;
  j.dy = dout[0]->data;
  j.out = dx->data;
  j.log = log;
  dlnn_parallel_for (g.outer * g.inner, DLNN_PAR_WORK / 4 / g.len + 1,
      softmax_backward_job, &j);
  return DLNN_OK;
}

static dlnn_code
softmax_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st)
{
  return softmax_forward_common (n, in, out, 0, st);
}

static dlnn_code
softmax_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  return softmax_backward_common (n, out, dout, dlnn_op_din (n, din, 0), 0,
      st);
}

static dlnn_code
logsoftmax_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st)
{
  return softmax_forward_common (n, in, out, 1, st);
}

static dlnn_code
logsoftmax_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  return softmax_backward_common (n, out, dout, dlnn_op_din (n, din, 0), 1,
      st);
}

const dlnn_op dlnn_op_softmax = {
  .type = "Softmax",
  .min_inputs = 1,.max_inputs = 1,
  .min_outputs = 1,.max_outputs = 1,
  .init = softmax_init,
  .shape = softmax_shape,
  .forward = softmax_forward,
  .backward = softmax_backward,
};

const dlnn_op dlnn_op_logsoftmax = {
  .type = "LogSoftmax",
  .min_inputs = 1,.max_inputs = 1,
  .min_outputs = 1,.max_outputs = 1,
  .init = softmax_init,
  .shape = softmax_shape,
  .forward = logsoftmax_forward,
  .backward = logsoftmax_backward,
};
