/* libdlnn - softmax cross-entropy loss.
 *
 * For logits z of one sample over C classes, p = softmax (z) computed as
 * exp (z - max z) / sum exp (z - max z), and the target distribution
 * q = (1 - eps) * onehot (label) + eps / C (label smoothing eps):
 *   loss = -sum_j q_j * log p_j
 *        = logsumexp (z) - sum_j q_j * z_j
 *   d loss / d z_j = p_j - q_j
 * The batch loss is the mean over the N samples, so the gradient is
 * divided by N. Logits may be [N, C] or [N, C, 1, ...] (trailing 1s). */
#include "dlnn/train.h"

#include <math.h>

dlnn_code
dlnn_softmax_cross_entropy (const dlnn_tensor * logits, const int *labels,
    float label_smoothing, float *loss, dlnn_tensor * dlogits, int *correct,
    dlnn_status * st)
{
  int64_t n, c;
  double total = 0.0;
  int hits = 0;

  if (!logits || !logits->data || !labels || !loss)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "softmax cross-entropy: missing logits, labels or loss");
  if (logits->dtype != DLNN_FLOAT32 || logits->ndim < 2)
    return dlnn_status_set (st, DLNN_ERR_SHAPE,
        "softmax cross-entropy: logits must be float32 [N, C], got rank %d",
        logits->ndim);
  for (int i = 2; i < logits->ndim; i++)
    if (logits->dims[i] != 1)
      return dlnn_status_set (st, DLNN_ERR_SHAPE,
          "softmax cross-entropy: logits must be [N, C], dim %d is %lld", i,
          (long long) logits->dims[i]);
  n = logits->dims[0];
  c = logits->dims[1];
  if (n <= 0 || c <= 0)
    return dlnn_status_set (st, DLNN_ERR_SHAPE,
        "softmax cross-entropy: empty logits [%lld, %lld]", (long long) n,
        (long long) c);
  if (dlogits && (!dlogits->data || dlogits->size != logits->size))
    return dlnn_status_set (st, DLNN_ERR_SHAPE,
        "softmax cross-entropy: gradient buffer has %lld elements, "
        "logits %lld", (long long) dlogits->size, (long long) logits->size);
  if (!(label_smoothing >= 0.0f && label_smoothing < 1.0f))
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "softmax cross-entropy: label smoothing %g outside [0, 1)",
        (double) label_smoothing);
  for (int64_t i = 0; i < n; i++)
    if (labels[i] < 0 || labels[i] >= c)
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "softmax cross-entropy: label %d of sample %lld outside [0, %lld)",
          labels[i], (long long) i, (long long) c);

  const double off = label_smoothing / (double) c;
  const double on = 1.0 - label_smoothing + off;
  const float inv_n = 1.0f / (float) n;

  for (int64_t i = 0; i < n; i++) {
    const float *z = logits->data + i * c;
    float zmax = z[0];
    int64_t arg = 0;
    double sum = 0.0, zq = 0.0, zsum = 0.0;

    for (int64_t j = 1; j < c; j++)
      if (z[j] > zmax) {
        zmax = z[j];
        arg = j;
      }
    /* an all-NaN row keeps arg 0; the loss below becomes NaN */
    for (int64_t j = 0; j < c; j++) {
      sum += exp ((double) z[j] - zmax);
      zsum += z[j];
    }
    const double lse = zmax + log (sum);
    zq = off * zsum + (on - off) * z[labels[i]];
    total += lse - zq;
    if (arg == labels[i])
      hits++;
    if (dlogits) {
      float *g = dlogits->data + i * c;
      for (int64_t j = 0; j < c; j++) {
        double p = exp ((double) z[j] - lse);
        double q = j == labels[i] ? on : off;
        g[j] = (float) (p - q) * inv_n;
      }
    }
  }
  *loss = (float) (total / (double) n);
  if (correct)
    *correct = hits;
  if (!isfinite (*loss))
    return dlnn_status_set (st, DLNN_ERR_NUMERIC,
        "softmax cross-entropy: loss is %s", isnan (*loss) ? "NaN" : "Inf");
  return DLNN_OK;
}
