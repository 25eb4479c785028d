/* libdlnn - elementwise activations: Relu, LeakyRelu, Sigmoid, Tanh.
 * Backward of Relu, Sigmoid and Tanh uses the output (y > 0 exactly where
 * x > 0), of LeakyRelu the input. Large tensors are split over threads.
 * Sigmoid and Tanh use dlnn_vsigmoidf / dlnn_vtanhf (vmath.h), which gcc
 * vectorises, instead of libm's expf / tanhf. */
#include "common.h"
#include "parallel.h"
#include "vmath.h"

#define ACT_GRAIN DLNN_PAR_WORK

enum
{ ACT_RELU, ACT_LEAKY, ACT_SIGMOID, ACT_TANH };

typedef struct act_job
{
  int kind;
  float alpha;
  const float *x, *y, *dy;      /* forward reads x; backward x or y, dy */
  float *out;                   /* forward: y; backward: dx (added to) */
} act_job;

static void
act_forward_job (void *arg, int64_t begin, int64_t end)
{
  const act_job *j = arg;
  const float *x = j->x;
  float *y = j->out, a = j->alpha;

  switch (j->kind) {
    case ACT_RELU:
      for (int64_t i = begin; i < end; i++)
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
      break;
    case ACT_LEAKY:
      for (int64_t i = begin; i < end; i++)
        y[i] = x[i] > 0.0f ? x[i] : a * x[i];
      break;
    case ACT_SIGMOID:
      for (int64_t i = begin; i < end; i++)
        y[i] = dlnn_vsigmoidf (x[i]);
      break;
    default:
      for (int64_t i = begin; i < end; i++)
        y[i] = dlnn_vtanhf (x[i]);
      break;
  }
}

static void
act_backward_job (void *arg, int64_t begin, int64_t end)
{
  const act_job *j = arg;
  const float *restrict x = j->x, *restrict y = j->y, *restrict dy = j->dy;
  float *restrict d = j->out, a = j->alpha;

  switch (j->kind) {
    case ACT_RELU:
      for (int64_t i = begin; i < end; i++)
        d[i] += y[i] > 0.0f ? dy[i] : 0.0f;
      break;
    case ACT_LEAKY:
      for (int64_t i = begin; i < end; i++)
        d[i] += x[i] > 0.0f ? dy[i] : a * dy[i];
      break;
    case ACT_SIGMOID:
      for (int64_t i = begin; i < end; i++)
        d[i] += dy[i] * y[i] * (1.0f - y[i]);
      break;
    default:
      for (int64_t i = begin; i < end; i++)
        d[i] += dy[i] * (1.0f - y[i] * y[i]);
      break;
  }
}

static dlnn_code
act_forward (int kind, const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out)
{
  act_job j = { kind, 0.0f, in[0]->data, NULL, NULL, out[0]->data };

  if (kind == ACT_LEAKY)
    j.alpha = *(const float *) n->priv;
  dlnn_parallel_for (in[0]->size, ACT_GRAIN, act_forward_job, &j);
  return DLNN_OK;
}

static dlnn_code
act_backward (int kind, const dlnn_node * n, const dlnn_tensor * const *in,
    const dlnn_tensor * const *out, const dlnn_tensor * const *dout,
    dlnn_tensor * const *din)
{
  dlnn_tensor *dx = dlnn_op_din (n, din, 0);
  act_job j = { kind, 0.0f, in[0]->data, out[0]->data, dout[0]->data, NULL };

  if (!dx)
    return DLNN_OK;
  j.out = dx->data;
  if (kind == ACT_LEAKY)
    j.alpha = *(const float *) n->priv;
  dlnn_parallel_for (dout[0]->size, ACT_GRAIN, act_backward_job, &j);
  return DLNN_OK;
}

static dlnn_code
leaky_init (const dlnn_graph * g, dlnn_node * n, dlnn_status * st)
{
  float *alpha = dlnn_op_priv_new (n, sizeof (float), st);

  if (!alpha)
    return DLNN_ERR_NOMEM;
  *alpha = dlnn_node_attr_float (n, "alpha", 0.01f);
  return DLNN_OK;
}

#define ACT_OP(lname, Name, KIND, INIT) \
static dlnn_code \
lname##_forward (const dlnn_node * n, dlnn_op_ctx * ctx, \
    const dlnn_tensor * const *in, dlnn_tensor * const *out, \
    dlnn_status * st) \
{ \
  return act_forward (KIND, n, in, out); \
} \
\
static dlnn_code \
lname##_backward (const dlnn_node * n, dlnn_op_ctx * ctx, \
    const dlnn_tensor * const *in, const dlnn_tensor * const *out, \
    const dlnn_tensor * const *dout, dlnn_tensor * const *din, \
    dlnn_status * st) \
{ \
  return act_backward (KIND, n, in, out, dout, din); \
} \
\
const dlnn_op dlnn_op_##lname = { \
  .type = Name, \
  .min_inputs = 1,.max_inputs = 1, \
  .min_outputs = 1,.max_outputs = 1, \
  .init = INIT, \
  .shape = dlnn_op_shape_same, \
  .forward = lname##_forward, \
  .backward = lname##_backward, \
};

ACT_OP (relu, "Relu", ACT_RELU, NULL)
ACT_OP (leakyrelu, "LeakyRelu", ACT_LEAKY, leaky_init)
ACT_OP (sigmoid, "Sigmoid", ACT_SIGMOID, NULL)
ACT_OP (tanh, "Tanh", ACT_TANH, NULL)
