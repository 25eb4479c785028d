/* libdlnn - Dropout. Inference: identity (the executor may alias the
 * output to the input). Training: inverted dropout, y = x * mask with
 * mask = 1/(1-ratio) with probability 1-ratio else 0, drawn from ctx->rng;
 * the mask is kept in the saved region for backward. The ratio comes from
 * input 1 (opset >= 12, must be a parameter) or the `ratio` attribute
 * (older opsets), default 0.5. The optional training_mode input is ignored:
 * the exec's training flag decides. The optional mask output is written as
 * float 0/1 (libdlnn has no bool tensors). */
#include "common.h"

typedef struct dropout_priv
{
  float ratio;
} dropout_priv;

static dlnn_code
check_ratio (const dlnn_node * n, float r, dlnn_status * st)
{
  if (!(r >= 0.0f && r < 1.0f))
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "ratio=%g must be in [0, 1)", r);
  return DLNN_OK;
}

static dlnn_code
dropout_init (const dlnn_graph * g, dlnn_node * n, dlnn_status * st)
{
  dropout_priv *p = dlnn_op_priv_new (n, sizeof (dropout_priv), st);

  if (!p)
    return DLNN_ERR_NOMEM;
  p->ratio = dlnn_node_attr_float (n, "ratio", 0.5f);
  return check_ratio (n, p->ratio, st);
}

static dlnn_code
dropout_ratio (const dlnn_node * n, const dlnn_tensor * const *in,
    float *ratio, dlnn_status * st)
{
  const dlnn_tensor *r = dlnn_op_in (n, in, 1);
  const dropout_priv *p = n->priv;

  *ratio = p->ratio;
  if (r) {
    if (r->size != 1 || !r->data)
      return dlnn_op_error (n, st, DLNN_ERR_UNSUPPORTED,
          "input ratio must be a constant float scalar");
    *ratio = r->data[0];
  }
  return check_ratio (n, *ratio, st);
}

static dlnn_code
dropout_shape (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, dlnn_status * st)
{
  dlnn_tensor *mask = dlnn_op_out (n, out, 1);
  const dlnn_tensor *r = dlnn_op_in (n, in, 1);
  dlnn_code c;

  if (r && r->size != 1)
    return dlnn_op_shape_error (n, st, "ratio must be a scalar: ratio is", r,
        NULL);
  if ((c = dlnn_op_shape_same (n, in, out, st)) != DLNN_OK)
    return c;
  if (mask)
    return dlnn_op_set_shape (n, mask, in[0]->ndim, in[0]->dims, st);
  return DLNN_OK;
}

static size_t
dropout_saved (const dlnn_node * n, const dlnn_tensor * const *in,
    const dlnn_tensor * const *out)
{
  return (size_t) in[0]->size;
}

static dlnn_code
dropout_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st)
{
  dlnn_tensor *mask = dlnn_op_out (n, out, 1);
  const float *x = in[0]->data;
  float *y = out[0]->data, *m, scale, ratio;
  int64_t cnt = in[0]->size;
  dlnn_code c;

  if ((c = dropout_ratio (n, in, &ratio, st)) != DLNN_OK)
    return c;
  if (!ctx->training || ratio == 0.0f) {
    dlnn_op_copy (y, x, cnt);
    if (mask && mask->data)
      for (int64_t i = 0; i < cnt; i++)
        mask->data[i] = 1.0f;
    return DLNN_OK;
  }
  if (!ctx->rng)
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "training needs a random number generator");
  if (!ctx->saved || ctx->saved_size < (size_t) cnt)
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "saved region of %zu floats is smaller than the %lld needed",
        ctx->saved ? ctx->saved_size : 0, (long long) cnt);
  m = ctx->saved;
  scale = 1.0f / (1.0f - ratio);
  for (int64_t i = 0; i < cnt; i++)
    m[i] = dlnn_rng_uniform (ctx->rng) >= ratio ? scale : 0.0f;
  for (int64_t i = 0; i < cnt; i++)
    y[i] = x[i] * m[i];
  if (mask && mask->data)
    for (int64_t i = 0; i < cnt; i++)
      mask->data[i] = m[i] != 0.0f ? 1.0f : 0.0f;
  return DLNN_OK;
}

static dlnn_code
dropout_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  dlnn_tensor *dx = dlnn_op_din (n, din, 0);
  const float *dy = dout[0]->data;
  int64_t cnt = dout[0]->size;
  float ratio;
  dlnn_code c;

  if (!dx)
    return DLNN_OK;
  if ((c = dropout_ratio (n, in, &ratio, st)) != DLNN_OK)
    return c;
  if (!ctx->training || ratio == 0.0f) {
    dlnn_op_acc (dx->data, dy, cnt);
    return DLNN_OK;
  }
  if (!ctx->saved || ctx->saved_size < (size_t) cnt)
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "no saved dropout mask for backward");
  {
    const float *m = ctx->saved;
    float *d = dx->data;
    for (int64_t i = 0; i < cnt; i++)
      d[i] += dy[i] * m[i];
  }
  return DLNN_OK;
}

const dlnn_op dlnn_op_dropout = {
  .type = "Dropout",
  .min_inputs = 1,.max_inputs = 3,
  .min_outputs = 1,.max_outputs = 2,
  .init = dropout_init,
  .shape = dropout_shape,
  .saved = dropout_saved,
  .forward = dropout_forward,
  .backward = dropout_backward,
  .alias_input0 = DLNN_ALIAS_INFERENCE,
};
