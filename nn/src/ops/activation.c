/* libdlnn - elementwise activations: Relu, LeakyRelu, Sigmoid, Tanh. */
#include "common.h"

#include <math.h>

/* ---- Relu ---- */

static dlnn_code
relu_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st)
{
  const float *x = in[0]->data;
  float *y = out[0]->data;
  int64_t cnt = in[0]->size;

  for (int64_t i = 0; i < cnt; i++)
    y[i] = x[i] > 0.0f ? x[i] : 0.0f;
  return DLNN_OK;
}

static dlnn_code
relu_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  dlnn_tensor *dx = dlnn_op_din (n, din, 0);
  const float *restrict y = out[0]->data, *restrict dy = dout[0]->data;
  float *restrict d;
  int64_t cnt = out[0]->size;

  if (!dx)
    return DLNN_OK;
  d = dx->data;
  /* y > 0 exactly where x > 0 */
  for (int64_t i = 0; i < cnt; i++)
    d[i] += y[i] > 0.0f ? dy[i] : 0.0f;
  return DLNN_OK;
}

const dlnn_op dlnn_op_relu = {
  .type = "Relu",
  .min_inputs = 1,.max_inputs = 1,
  .min_outputs = 1,.max_outputs = 1,
  .shape = dlnn_op_shape_same,
  .forward = relu_forward,
  .backward = relu_backward,
};

/* ---- LeakyRelu ---- */

typedef struct leaky_priv
{
  float alpha;
} leaky_priv;

static dlnn_code
leaky_init (const dlnn_graph * g, dlnn_node * n, dlnn_status * st)
{
  leaky_priv *p = dlnn_op_priv_new (n, sizeof (leaky_priv), st);

  if (!p)
    return DLNN_ERR_NOMEM;
  p->alpha = dlnn_node_attr_float (n, "alpha", 0.01f);
  return DLNN_OK;
}

static dlnn_code
leaky_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st)
{
  const leaky_priv *p = n->priv;
  const float *x = in[0]->data;
  float *y = out[0]->data, a = p->alpha;
  int64_t cnt = in[0]->size;

  for (int64_t i = 0; i < cnt; i++)
    y[i] = x[i] > 0.0f ? x[i] : a * x[i];
  return DLNN_OK;
}

static dlnn_code
leaky_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  const leaky_priv *p = n->priv;
  dlnn_tensor *dx = dlnn_op_din (n, din, 0);
  const float *restrict x = in[0]->data, *restrict dy = dout[0]->data;
  float *restrict d, a = p->alpha;
  int64_t cnt = in[0]->size;

  if (!dx)
    return DLNN_OK;
  d = dx->data;
  for (int64_t i = 0; i < cnt; i++)
    d[i] += x[i] > 0.0f ? dy[i] : a * dy[i];
  return DLNN_OK;
}

const dlnn_op dlnn_op_leakyrelu = {
  .type = "LeakyRelu",
  .min_inputs = 1,.max_inputs = 1,
  .min_outputs = 1,.max_outputs = 1,
  .init = leaky_init,
  .shape = dlnn_op_shape_same,
  .forward = leaky_forward,
  .backward = leaky_backward,
};

/* ---- Sigmoid ---- */

static dlnn_code
sigmoid_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st)
{
  const float *x = in[0]->data;
  float *y = out[0]->data;
  int64_t cnt = in[0]->size;

  for (int64_t i = 0; i < cnt; i++)
    y[i] = 1.0f / (1.0f + expf (-x[i]));
  return DLNN_OK;
}

static dlnn_code
sigmoid_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  dlnn_tensor *dx = dlnn_op_din (n, din, 0);
  const float *restrict y = out[0]->data, *restrict dy = dout[0]->data;
  float *restrict d;
  int64_t cnt = out[0]->size;

  if (!dx)
    return DLNN_OK;
  d = dx->data;
  for (int64_t i = 0; i < cnt; i++)
    d[i] += dy[i] * y[i] * (1.0f - y[i]);
  return DLNN_OK;
}

const dlnn_op dlnn_op_sigmoid = {
  .type = "Sigmoid",
  .min_inputs = 1,.max_inputs = 1,
  .min_outputs = 1,.max_outputs = 1,
  .shape = dlnn_op_shape_same,
  .forward = sigmoid_forward,
  .backward = sigmoid_backward,
};

/* ---- Tanh ---- */

static dlnn_code
tanh_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st)
{
  const float *x = in[0]->data;
  float *y = out[0]->data;
  int64_t cnt = in[0]->size;

  for (int64_t i = 0; i < cnt; i++)
    y[i] = tanhf (x[i]);
  return DLNN_OK;
}

static dlnn_code
tanh_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  dlnn_tensor *dx = dlnn_op_din (n, din, 0);
  const float *restrict y = out[0]->data, *restrict dy = dout[0]->data;
  float *restrict d;
  int64_t cnt = out[0]->size;

  if (!dx)
    return DLNN_OK;
  d = dx->data;
  for (int64_t i = 0; i < cnt; i++)
    d[i] += dy[i] * (1.0f - y[i] * y[i]);
  return DLNN_OK;
}

const dlnn_op dlnn_op_tanh = {
  .type = "Tanh",
  .min_inputs = 1,.max_inputs = 1,
  .min_outputs = 1,.max_outputs = 1,
  .shape = dlnn_op_shape_same,
  .forward = tanh_forward,
  .backward = tanh_backward,
};
