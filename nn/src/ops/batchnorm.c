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

/* Batch mean and biased variance of channel @ci. */
static void
bn_channel_stats (const float *x, int64_t nn, int64_t c, int64_t s,
    int64_t ci, double *mean, double *var)
{
  double sum = 0.0, sq = 0.0, mu;
  int64_t m = nn * s;

  for (int64_t ni = 0; ni < nn; ni++) {
    const float *xp = x + (ni * c + ci) * s;
    float ps = 0.0f;
    for (int64_t i = 0; i < s; i++)
      ps += xp[i];
    sum += ps;
  }
  mu = m ? sum / (double) m : 0.0;
  for (int64_t ni = 0; ni < nn; ni++) {
    const float *xp = x + (ni * c + ci) * s;
    float fm = (float) mu, ps = 0.0f;
    for (int64_t i = 0; i < s; i++) {
      float d = xp[i] - fm;
      ps += d * d;
    }
    sq += ps;
  }
  *mean = mu;
  *var = m ? sq / (double) m : 0.0;
}

static dlnn_code
bn_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st)
{
  const bn_priv *p = n->priv;
  const dlnn_tensor *x = in[0];
  const float *scale = in[1]->data, *bias = in[2]->data;
  /* running statistics: updated in place during training (see top) */
  float *rmean = (float *) in[3]->data, *rvar = (float *) in[4]->data;
  int64_t nn = x->dims[0], c = x->dims[1];
  int64_t s = dlnn_op_dims_prod (x->dims, 2, x->ndim);
  int64_t m = nn * s;
  float *saved = NULL;
  dlnn_tensor *o1 = dlnn_op_out (n, out, 1), *o2 = dlnn_op_out (n, out, 2);

  if (ctx->training && ctx->saved && ctx->saved_size >= (size_t) (2 * c))
    saved = ctx->saved;
  for (int64_t ci = 0; ci < c; ci++) {
    float mean, invstd, a, b;
    if (ctx->training) {
      double dm, dv;
      bn_channel_stats (x->data, nn, c, s, ci, &dm, &dv);
      mean = (float) dm;
      invstd = (float) (1.0 / sqrt (dv + (double) p->epsilon));
      if (saved) {
        saved[ci] = mean;
        saved[c + ci] = invstd;
      }
      rmean[ci] = p->momentum * rmean[ci] + (1.0f - p->momentum) * mean;
      rvar[ci] = p->momentum * rvar[ci] + (1.0f - p->momentum) *
          (float) (m > 1 ? dv * (double) m / (double) (m - 1) : dv);
    } else {
      mean = rmean[ci];
      invstd = 1.0f / sqrtf (rvar[ci] + p->epsilon);
    }
    a = scale[ci] * invstd;
    b = bias[ci] - mean * a;
    for (int64_t ni = 0; ni < nn; ni++) {
      const float *xp = x->data + (ni * c + ci) * s;
      float *yp = out[0]->data + (ni * c + ci) * s;
      for (int64_t i = 0; i < s; i++)
        yp[i] = xp[i] * a + b;
    }
  }
  if (o1 && o1->data)
    memcpy (o1->data, rmean, (size_t) c * sizeof (float));
  if (o2 && o2->data)
    memcpy (o2->data, rvar, (size_t) c * sizeof (float));
  return DLNN_OK;
}

static dlnn_code
bn_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  const bn_priv *p = n->priv;
  const dlnn_tensor *x = in[0];
  const float *scale = in[1]->data;
  const float *dy = dout[0]->data;
  dlnn_tensor *dx = dlnn_op_din (n, din, 0), *dscale = dlnn_op_din (n, din, 1);
  dlnn_tensor *dbias = dlnn_op_din (n, din, 2);
  dlnn_tensor *dmean = dlnn_op_din (n, din, 3), *dvar = dlnn_op_din (n, din, 4);
  int64_t nn = x->dims[0], c = x->dims[1];
  int64_t s = dlnn_op_dims_prod (x->dims, 2, x->ndim);
  int64_t m = nn * s;
  const float *saved = NULL;

  if (ctx->training && ctx->saved && ctx->saved_size >= (size_t) (2 * c))
    saved = ctx->saved;
  for (int64_t ci = 0; ci < c; ci++) {
    float mean, invstd;
    double sdy = 0.0, sdyx = 0.0;

    if (!ctx->training) {
      mean = in[3]->data[ci];
      invstd = 1.0f / sqrtf (in[4]->data[ci] + p->epsilon);
    } else if (saved) {
      mean = saved[ci];
      invstd = saved[c + ci];
    } else {
      double dm, dv;
      bn_channel_stats (x->data, nn, c, s, ci, &dm, &dv);
      mean = (float) dm;
      invstd = (float) (1.0 / sqrt (dv + (double) p->epsilon));
    }
    /* sums of dy and dy * (x - mean) */
    for (int64_t ni = 0; ni < nn; ni++) {
      const float *xp = x->data + (ni * c + ci) * s;
      const float *gp = dy + (ni * c + ci) * s;
      float a = 0.0f, b = 0.0f;
      for (int64_t i = 0; i < s; i++) {
        a += gp[i];
        b += gp[i] * (xp[i] - mean);
      }
      sdy += a;
      sdyx += b;
    }
    if (dscale)
      dscale->data[ci] += (float) (sdyx * invstd);
    if (dbias)
      dbias->data[ci] += (float) sdy;
    if (!ctx->training) {
      float k = scale[ci] * invstd;
      if (dmean)
        dmean->data[ci] += (float) (-k * sdy);
      if (dvar)
        dvar->data[ci] += (float) (-0.5 * k * invstd * invstd * sdyx);
      if (dx)
        for (int64_t ni = 0; ni < nn; ni++) {
          const float *gp = dy + (ni * c + ci) * s;
          float *dp = dx->data + (ni * c + ci) * s;
          for (int64_t i = 0; i < s; i++)
            dp[i] += k * gp[i];
        }
    } else if (dx && m > 0) {
      /* dx = scale * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)) */
      float k = scale[ci] * invstd;
      float mdy = (float) (sdy / (double) m);
      float kx = (float) (sdyx / (double) m) * invstd * invstd;
      for (int64_t ni = 0; ni < nn; ni++) {
        const float *xp = x->data + (ni * c + ci) * s;
        const float *gp = dy + (ni * c + ci) * s;
        float *dp = dx->data + (ni * c + ci) * s;
        for (int64_t i = 0; i < s; i++)
          dp[i] += k * (gp[i] - mdy - (xp[i] - mean) * kx);
      }
    }
  }
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
