/* libdlnn - piecewise-linear activations: Clip (min/max as optional inputs
 * from opset 11, attributes before), HardSigmoid (alpha, beta) and
 * HardSwish. Gradients pass where the function is not saturated (Clip
 * includes its bounds, as PyTorch's clamp does). */
#include "common.h"
#include "parallel.h"

#include <float.h>

enum
{ HARD_CLIP, HARD_SIGMOID, HARD_SWISH };

typedef struct hard_priv
{
  int64_t opset;
  float alpha, beta;            /* HardSigmoid; Clip attributes min, max */
} hard_priv;

typedef struct hard_job
{
  int kind;
  float a, b;                   /* clip: lo, hi; hardsigmoid: alpha, beta */
  const float *x, *dy;
  float *out;
} hard_job;

static dlnn_code
hard_init (const dlnn_graph * g, dlnn_node * n, dlnn_status * st, int kind)
{
  hard_priv *p = dlnn_op_priv_new (n, sizeof (hard_priv), st);

  if (!p)
    return DLNN_ERR_NOMEM;
  p->opset = g->opset;
  if (kind == HARD_SIGMOID) {
    p->alpha = dlnn_node_attr_float (n, "alpha", 0.2f);
    p->beta = dlnn_node_attr_float (n, "beta", 0.5f);
  } else if (kind == HARD_CLIP) {
    if (g->opset >= 11 && (dlnn_node_attr (n, "min")
            || dlnn_node_attr (n, "max")))
      return dlnn_op_error (n, st, DLNN_ERR_INVALID,
          "attributes min/max are not part of Clip in opset %lld (they are "
          "inputs from opset 11)", (long long) g->opset);
    if (g->opset >= 11 && n->n_inputs > 3)
      return dlnn_op_error (n, st, DLNN_ERR_INVALID, "too many inputs");
    if (g->opset < 11 && n->n_inputs > 1)
      return dlnn_op_error (n, st, DLNN_ERR_UNSUPPORTED,
          "min/max inputs need opset 11 (model has opset %lld)",
          (long long) g->opset);
    p->alpha = dlnn_node_attr_float (n, "min", -FLT_MAX);
    p->beta = dlnn_node_attr_float (n, "max", FLT_MAX);
  }
  return DLNN_OK;
}

static dlnn_code
clip_init (const dlnn_graph * g, dlnn_node * n, dlnn_status * st)
{
  return hard_init (g, n, st, HARD_CLIP);
}

static dlnn_code
hardsigmoid_init (const dlnn_graph * g, dlnn_node * n, dlnn_status * st)
{
  return hard_init (g, n, st, HARD_SIGMOID);
}

/* A scalar bound input (min or max): one float value. */
static dlnn_code
clip_bound (const dlnn_node * n, const dlnn_tensor * const *in, int i,
    float *v, dlnn_status * st)
{
  const dlnn_tensor *t = dlnn_op_in (n, in, i);

  if (!t)
    return DLNN_OK;
  if (t->dtype != DLNN_FLOAT32 || t->size != 1 || t->ndim > 1)
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "input %d (%s) must be a float scalar", i, i == 1 ? "min" : "max");
  if (t->data)
    *v = t->data[0];
  return DLNN_OK;
}

static dlnn_code
clip_shape (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, dlnn_status * st)
{
  float lo = 0.0f, hi = 0.0f;
  dlnn_code c = clip_bound (n, in, 1, &lo, st);

  if (c == DLNN_OK)
    c = clip_bound (n, in, 2, &hi, st);
  if (c != DLNN_OK)
    return c;
  return dlnn_op_shape_same (n, in, out, st);
}

static void
hard_forward_job (void *arg, int64_t begin, int64_t end)
{
  const hard_job *j = arg;
  const float *x = j->x;
  float *y = j->out, a = j->a, b = j->b;

  switch (j->kind) {
    case HARD_CLIP:
      for (int64_t i = begin; i < end; i++)
        y[i] = x[i] < a ? a : (x[i] > b ? b : x[i]);
      break;
    case HARD_SIGMOID:
      for (int64_t i = begin; i < end; i++) {
        float t = a * x[i] + b;
        y[i] = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
      }
      break;
    default:
      for (int64_t i = begin; i < end; i++) {
        float t = x[i] / 6.0f + 0.5f;
        y[i] = x[i] * (t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t));
      }
      break;
  }
}

static void
hard_backward_job (void *arg, int64_t begin, int64_t end)
{
  const hard_job *j = arg;
  const float *restrict x = j->x, *restrict dy = j->dy;
  float *restrict d = j->out, a = j->a, b = j->b;

  switch (j->kind) {
    case HARD_CLIP:
      for (int64_t i = begin; i < end; i++)
        d[i] += x[i] >= a && x[i] <= b ? dy[i] : 0.0f;
      break;
    case HARD_SIGMOID:
      for (int64_t i = begin; i < end; i++) {
        float t = a * x[i] + b;
        d[i] += t > 0.0f && t < 1.0f ? a * dy[i] : 0.0f;
      }
      break;
    default:
      for (int64_t i = begin; i < end; i++) {
        float g = x[i] < -3.0f ? 0.0f : (x[i] > 3.0f ? 1.0f :
            x[i] / 3.0f + 0.5f);
        d[i] += g * dy[i];
      }
      break;
  }
}

static dlnn_code
hard_params (const dlnn_node * n, int kind, const dlnn_tensor * const *in,
    hard_job * j, dlnn_status * st)
{
  const hard_priv *p = n->priv;
  dlnn_code c = DLNN_OK;

  j->kind = kind;
  j->a = p ? p->alpha : 0.0f;
  j->b = p ? p->beta : 0.0f;
  if (kind == HARD_CLIP && p->opset >= 11) {
    j->a = -FLT_MAX;
    j->b = FLT_MAX;
    c = clip_bound (n, in, 1, &j->a, st);
    if (c == DLNN_OK)
      c = clip_bound (n, in, 2, &j->b, st);
  }
  return c;
}

static dlnn_code
hard_forward (int kind, const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, dlnn_status * st)
{
  hard_job j;
  dlnn_code c = hard_params (n, kind, in, &j, st);

  if (c != DLNN_OK)
    return c;
  j.x = in[0]->data;
  j.dy = NULL;
  j.out = out[0]->data;
  dlnn_parallel_for (in[0]->size, DLNN_PAR_WORK, hard_forward_job, &j);
  return DLNN_OK;
}

static dlnn_code
hard_backward (int kind, const dlnn_node * n, const dlnn_tensor * const *in,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  dlnn_tensor *dx = dlnn_op_din (n, din, 0);
  hard_job j;
  dlnn_code c;

  if (!dx)
    return DLNN_OK;
  c = hard_params (n, kind, in, &j, st);
  if (c != DLNN_OK)
    return c;
  j.x = in[0]->data;
  j.dy = dout[0]->data;
  j.out = dx->data;
  dlnn_parallel_for (in[0]->size, DLNN_PAR_WORK, hard_backward_job, &j);
  return DLNN_OK;
}

#define HARD_OP(name, KIND) \
static dlnn_code \
name##_forward (const dlnn_node * n, dlnn_op_ctx * ctx, \
    const dlnn_tensor * const *in, dlnn_tensor * const *out, \
    dlnn_status * st) \
{ \
  return hard_forward (KIND, n, in, out, st); \
} \
static dlnn_code \
name##_backward (const dlnn_node * n, dlnn_op_ctx * ctx, \
    const dlnn_tensor * const *in, const dlnn_tensor * const *out, \
    const dlnn_tensor * const *dout, dlnn_tensor * const *din, \
    dlnn_status * st) \
{ \
  return hard_backward (KIND, n, in, dout, din, st); \
}

HARD_OP (clip, HARD_CLIP)
HARD_OP (hardsigmoid, HARD_SIGMOID)
HARD_OP (hardswish, HARD_SWISH)

const dlnn_op dlnn_op_clip = {
  .type = "Clip",
  .min_inputs = 1,.max_inputs = 3,
  .min_outputs = 1,.max_outputs = 1,
  .init = clip_init,
  .shape = clip_shape,
  .forward = clip_forward,
  .backward = clip_backward,
};

const dlnn_op dlnn_op_hardsigmoid = {
  .type = "HardSigmoid",
  .min_inputs = 1,.max_inputs = 1,
  .min_outputs = 1,.max_outputs = 1,
  .init = hardsigmoid_init,
  .shape = dlnn_op_shape_same,
  .forward = hardsigmoid_forward,
  .backward = hardsigmoid_backward,
};

const dlnn_op dlnn_op_hardswish = {
  .type = "HardSwish",
  .min_inputs = 1,.max_inputs = 1,
  .min_outputs = 1,.max_outputs = 1,
  .shape = dlnn_op_shape_same,
  .forward = hardswish_forward,
  .backward = hardswish_backward,
};
