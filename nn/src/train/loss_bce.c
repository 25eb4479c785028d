/* libdlnn - binary cross-entropy with logits (multi-label tagging).
 *
 * For a logit z, target y in [0, 1] and positive weight w:
 *   l = w * y * softplus (-z) + (1 - y) * softplus (z)
 * where softplus (x) = log (1 + e^x) = max (x, 0) + log1p (e^-|x|) never
 * overflows; -log sigmoid (z) = softplus (-z) and -log (1 - sigmoid (z)) =
 * softplus (z). The derivative is
 *   dl/dz = w y (sigmoid (z) - 1) + (1 - y) sigmoid (z)
 *         = sigmoid (z) (w y + 1 - y) - w y,
 * and the batch loss is the mean over every element, so the gradient is
 * divided by N * K. */
#include "dlnn/train.h"

#include <math.h>

static double
softplus (double x)
{
  return (x > 0 ? x : 0.0) + log1p (exp (-fabs (x)));
}

static double
sigmoid (double x)
{
  if (x >= 0)
    return 1.0 / (1.0 + exp (-x));
  else {
    double e = exp (x);
    return e / (1.0 + e);
  }
}

dlnn_code
dlnn_bce_with_logits (const dlnn_tensor * logits, const float *targets,
    const float *pos_weight, float *loss, dlnn_tensor * dlogits,
    dlnn_status * st)
{
  int64_t n, k;
  double total = 0.0, inv;

  if (!logits || !logits->data || !targets || !loss)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "binary cross-entropy: missing logits, targets or loss");
  if (logits->dtype != DLNN_FLOAT32 || logits->ndim < 2)
    return dlnn_status_set (st, DLNN_ERR_SHAPE,
        "binary cross-entropy: logits must be float32 [N, K], got rank %d",
        logits->ndim);
  for (int i = 2; i < logits->ndim; i++)
    if (logits->dims[i] != 1)
      return dlnn_status_set (st, DLNN_ERR_SHAPE,
          "binary cross-entropy: logits must be [N, K], dim %d is %lld", i,
          (long long) logits->dims[i]);
  n = logits->dims[0];
  k = logits->dims[1];
  if (n <= 0 || k <= 0)
    return dlnn_status_set (st, DLNN_ERR_SHAPE,
        "binary cross-entropy: empty logits [%lld, %lld]", (long long) n,
        (long long) k);
  if (dlogits && (!dlogits->data || dlogits->size != logits->size))
    return dlnn_status_set (st, DLNN_ERR_SHAPE,
        "binary cross-entropy: gradient buffer has %lld elements, "
        "logits %lld", (long long) dlogits->size, (long long) logits->size);
  for (int64_t j = 0; pos_weight && j < k; j++)
    if (!(pos_weight[j] >= 0.0f) || !isfinite (pos_weight[j]))
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "binary cross-entropy: pos_weight[%lld] = %g is not a finite "
          "weight >= 0", (long long) j, (double) pos_weight[j]);
  for (int64_t i = 0; i < n * k; i++)
    if (!(targets[i] >= 0.0f && targets[i] <= 1.0f))
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "binary cross-entropy: target %g of sample %lld, class %lld "
          "outside [0, 1]", (double) targets[i], (long long) (i / k),
          (long long) (i % k));

  inv = 1.0 / ((double) n * (double) k);
  for (int64_t i = 0; i < n; i++) {
    const float *z = logits->data + i * k;
    const float *y = targets + i * k;
    for (int64_t j = 0; j < k; j++) {
      const double w = pos_weight ? pos_weight[j] : 1.0;
      const double wy = w * y[j];
      total += wy * softplus (-(double) z[j]) + (1.0 - y[j]) *
          softplus (z[j]);
      if (dlogits)
        dlogits->data[i * k + j] = (float) ((sigmoid (z[j]) * (wy + 1.0 -
                    y[j]) - wy) * inv);
    }
  }
  *loss = (float) (total * inv);
  if (!isfinite (*loss))
    return dlnn_status_set (st, DLNN_ERR_NUMERIC,
        "binary cross-entropy: loss is %s", isnan (*loss) ? "NaN" : "Inf");
  return DLNN_OK;
}
