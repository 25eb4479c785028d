/* libdlnn - BatchNormalization over axis 1 of (N, C, ...) inputs.
 *
 * Inference (ctx->training == 0): y = (x - mean) / sqrt(var + eps) * scale
 * + B with the running statistics in inputs 3 and 4.
 * Training: batch statistics (biased variance for normalising); the running
 * statistics are updated IN PLACE in in[3]->data and in[4]->data (the
 * const of the input tensors is cast away: they are graph parameters owned
 * by the graph, which a training exec may modify), as
 *   running = momentum * running + (1 - momentum) * batch
 * with the unbiased batch variance for running_var (as PyTorch does).
 * The batch mean and 1/sqrt(var + eps) are kept in the saved region
 * (2 * C floats) for backward. Optional outputs 1 and 2 receive the
 * updated running mean and variance. */
#include "common.h"
#include "parallel.h"

#include <math.h>
#include <stdio.h>

typedef struct bn_priv
{
  float epsilon, momentum;
} bn_priv;

static dlnn_code
bn_init (const dlnn_graph * g, dlnn_node * n, dlnn_status * st)
{
  bn_priv *p = dlnn_op_priv_new (n, sizeof (bn_priv), st);

  if (!p)
    return DLNN_ERR_NOMEM;
  p->epsilon = dlnn_node_attr_float (n, "epsilon", 1e-5f);
  p->momentum = dlnn_node_attr_float (n, "momentum", 0.9f);
  if (!(p->epsilon >= 0.0f))
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "epsilon=%g must not be negative", p->epsilon);
  if (dlnn_node_attr (n, "spatial")
      && dlnn_node_attr_int (n, "spatial", 1) != 1)
    return dlnn_op_error (n, st, DLNN_ERR_UNSUPPORTED,
        "spatial=%lld is not supported", (long long)
        dlnn_node_attr_int (n, "spatial", 1));
  return DLNN_OK;
}

static dlnn_code
bn_shape (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, dlnn_status * st)
{
  static const char *const names[] = { "scale", "B", "mean", "var" };
  const dlnn_tensor *x = in[0];
  dlnn_code c;

  if (x->ndim < 2)
    return dlnn_op_shape_error (n, st, "input must be (N, C, ...); X is", x,
        NULL);
  for (int i = 1; i < 5; i++) {
    const dlnn_tensor *t = in[i];
    if (t->ndim != 1 || t->dims[0] != x->dims[1]) {
      char what[64];
      snprintf (what, sizeof (what), "%s must have one value per channel: X, "
          "%s", names[i - 1], names[i - 1]);
      return dlnn_op_shape_error (n, st, what, x, t);
    }
  }
  if ((c = dlnn_op_set_shape (n, out[0], x->ndim, x->dims, st)) != DLNN_OK)
    return c;
  for (int i = 1; i < n->n_outputs && i < 3; i++)
    if (out[i] && (c = dlnn_op_set_shape (n, out[i], 1, x->dims + 1,
                st)) != DLNN_OK)
      return c;
  return DLNN_OK;
}

static size_t
bn_saved (const dlnn_node * n, const dlnn_tensor * const *in,
    const dlnn_tensor * const *out)
{
  return (size_t) (2 * in[0]->dims[1]);
}

/* Batch mean and biased variance of channel @ci in one pass: sums of
 * (x - K) and (x - K)^2 with the shift K = first value of the channel
 * (avoids the cancellation of E[x^2] - E[x]^2 when |mean| >> std). */
static void
bn_channel_stats (const float *x, int64_t nn, int64_t c, int64_t s,
    int64_t ci, double *mean, double *var)
{
  double s1 = 0.0, s2 = 0.0, m = (double) (nn * s), mu;
  float k;

  if (nn * s == 0) {
    *mean = *var = 0.0;
    return;
  }
  k = x[ci * s];
  for (int64_t ni = 0; ni < nn; ni++) {
    float a = 0.0f, b = 0.0f;
    dlnn_sum_sq_shift (x + (ni * c + ci) * s, s, k, &a, &b);
    s1 += a;
    s2 += b;
  }
  mu = s1 / m;
  *mean = (double) k + mu;
  *var = s2 / m - mu * mu;
  if (*var < 0.0)
    *var = 0.0;
}

typedef struct bn_job
{
  const bn_priv *p;
  const dlnn_op_ctx *ctx;
  const float *x, *scale, *bias, *dy;
  float *rmean, *rvar, *saved, *y;
  float *dx, *dscale, *dbias, *dmean, *dvar;
  int64_t nn, c, s;
} bn_job;

static void
bn_forward_job (void *arg, int64_t begin, int64_t end)
{
  const bn_job *j = arg;
  const bn_priv *p = j->p;
  int64_t nn = j->nn, c = j->c, s = j->s, m = nn * s;

  for (int64_t ci = begin; ci < end; ci++) {
    float mean, invstd, a, b;
    if (j->ctx->training) {
      double dm, dv;
      bn_channel_stats (j->x, nn, c, s, ci, &dm, &dv);
      mean = (float) dm;
      invstd = (float) (1.0 / sqrt (dv + (double) p->epsilon));
      if (j->saved) {
        j->saved[ci] = mean;
        j->saved[c + ci] = invstd;
      }
      j->rmean[ci] = p->momentum * j->rmean[ci] + (1.0f - p->momentum) *
          mean;
      j->rvar[ci] = p->momentum * j->rvar[ci] + (1.0f - p->momentum) *
          (float) (m > 1 ? dv * (double) m / (double) (m - 1) : dv);
    } else {
      mean = j->rmean[ci];
      invstd = 1.0f / sqrtf (j->rvar[ci] + p->epsilon);
    }
    a = j->scale[ci] * invstd;
    b = j->bias[ci] - mean * a;
    for (int64_t ni = 0; ni < nn; ni++) {
      const float *xp = j->x + (ni * c + ci) * s;
      float *yp = j->y + (ni * c + ci) * s;
      for (int64_t i = 0; i < s; i++)
        yp[i] = xp[i] * a + b;
    }
  }
}

static dlnn_code
bn_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st)
{
  const dlnn_tensor *x = in[0];
  dlnn_tensor *o1 = dlnn_op_out (n, out, 1), *o2 = dlnn_op_out (n, out, 2);
  bn_job j;

  memset (&j, 0, sizeof (j));
  j.p = n->priv;
  j.ctx = ctx;
  j.x = x->data;
  j.scale = in[1]->data;
  j.bias = in[2]->data;
  /* running statistics: updated in place during training (see top) */
  j.rmean = (float *) in[3]->data;
  j.rvar = (float *) in[4]->data;
  j.y = out[0]->data;
  j.nn = x->dims[0];
  j.c = x->dims[1];
  j.s = dlnn_op_dims_prod (x->dims, 2, x->ndim);
  if (ctx->training && ctx->saved && ctx->saved_size >= (size_t) (2 * j.c))
    j.saved = ctx->saved;
  dlnn_parallel_for (j.c, DLNN_PAR_WORK / (j.nn * j.s + 1) + 1, bn_forward_job, &j);
  if (o1 && o1->data)
    memcpy (o1->data, j.rmean, (size_t) j.c * sizeof (float));
  if (o2 && o2->data)
    memcpy (o2->data, j.rvar, (size_t) j.c * sizeof (float));
  return DLNN_OK;
}

static void
bn_backward_job (void *arg, int64_t begin, int64_t end)
{
  const bn_job *j = arg;
  const bn_priv *p = j->p;
  const int training = j->ctx->training;
  int64_t nn = j->nn, c = j->c, s = j->s, m = nn * s;

  for (int64_t ci = begin; ci < end; ci++) {
    float mean, invstd;
    double sdy = 0.0, sdyx = 0.0;

    if (!training) {
      mean = j->rmean[ci];
      invstd = 1.0f / sqrtf (j->rvar[ci] + p->epsilon);
    } else if (j->saved) {
      mean = j->saved[ci];
      invstd = j->saved[c + ci];
    } else {
      double dm, dv;
      bn_channel_stats (j->x, nn, c, s, ci, &dm, &dv);
      mean = (float) dm;
      invstd = (float) (1.0 / sqrt (dv + (double) p->epsilon));
    }
    /* sums of dy and dy * (x - mean) */
    for (int64_t ni = 0; ni < nn; ni++) {
      float a = 0.0f, b = 0.0f;
      dlnn_sum_dot_shift (j->dy + (ni * c + ci) * s, j->x + (ni * c + ci) * s,
          s, mean, &a, &b);
      sdy += a;
      sdyx += b;
    }
    if (j->dscale)
      j->dscale[ci] += (float) (sdyx * invstd);
    if (j->dbias)
      j->dbias[ci] += (float) sdy;
    if (!training) {
      float k = j->scale[ci] * invstd;
      if (j->dmean)
        j->dmean[ci] += (float) (-k * sdy);
      if (j->dvar)
        j->dvar[ci] += (float) (-0.5 * k * invstd * invstd * sdyx);
      if (j->dx)
        for (int64_t ni = 0; ni < nn; ni++) {
          const float *gp = j->dy + (ni * c + ci) * s;
          float *dp = j->dx + (ni * c + ci) * s;
          for (int64_t i = 0; i < s; i++)
            dp[i] += k * gp[i];
        }
    } else if (j->dx && m > 0) {
      /* dx = scale * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)) */
      float k = j->scale[ci] * invstd;
      float mdy = (float) (sdy / (double) m);
      float kx = (float) (sdyx / (double) m) * invstd * invstd;
      for (int64_t ni = 0; ni < nn; ni++) {
        const float *xp = j->x + (ni * c + ci) * s;
        const float *gp = j->dy + (ni * c + ci) * s;
        float *dp = j->dx + (ni * c + ci) * s;
        for (int64_t i = 0; i < s; i++)
          dp[i] += k * (gp[i] - mdy - (xp[i] - mean) * kx);
      }
    }
  }
}

static dlnn_code
bn_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  const dlnn_tensor *x = in[0];
  dlnn_tensor *t;
  bn_job j;

  memset (&j, 0, sizeof (j));
  j.p = n->priv;
  j.ctx = ctx;
  j.x = x->data;
  j.scale = in[1]->data;
  j.rmean = (float *) in[3]->data;
  j.rvar = (float *) in[4]->data;
  j.dy = dout[0]->data;
  j.nn = x->dims[0];
  j.c = x->dims[1];
  j.s = dlnn_op_dims_prod (x->dims, 2, x->ndim);
  if (ctx->training && ctx->saved && ctx->saved_size >= (size_t) (2 * j.c))
    j.saved = ctx->saved;
  j.dx = (t = dlnn_op_din (n, din, 0)) ? t->data : NULL;
  j.dscale = (t = dlnn_op_din (n, din, 1)) ? t->data : NULL;
  j.dbias = (t = dlnn_op_din (n, din, 2)) ? t->data : NULL;
  j.dmean = (t = dlnn_op_din (n, din, 3)) ? t->data : NULL;
  j.dvar = (t = dlnn_op_din (n, din, 4)) ? t->data : NULL;
  dlnn_parallel_for (j.c, DLNN_PAR_WORK / (j.nn * j.s + 1) + 1, bn_backward_job, &j);
  return DLNN_OK;
}

const dlnn_op dlnn_op_batchnormalization = {
  .type = "BatchNormalization",
  .min_inputs = 5,.max_inputs = 5,
  .min_outputs = 1,.max_outputs = 3,
  .init = bn_init,
  .shape = bn_shape,
  .saved = bn_saved,
  .forward = bn_forward,
  .backward = bn_backward,
};
