/* libdlnn - strided copies and int64 constant inputs (see strided.h). */
#include "strided.h"

void
dlnn_strides_of (int ndim, const int64_t * dims, int64_t * strides)
{
  int64_t s = 1;
  for (int d = ndim - 1; d >= 0; d--) {
    strides[d] = s;
    s *= dims[d];
  }
}

/* Calls the row body for each row (all dims but the last) of the view. */
#define VIEW_ROWS(v, BODY) do { \
    int64_t idx_[DLNN_MAX_DIMS] = { 0 }, off_ = (v)->base, k_ = 0; \
    int64_t rows_ = 1, len_, st_; \
    int nd_ = (v)->nd; \
    if (nd_ == 0) { len_ = 1; st_ = 0; } \
    else { len_ = (v)->dims[nd_ - 1]; st_ = (v)->stride[nd_ - 1]; } \
    for (int d_ = 0; d_ < nd_ - 1; d_++) rows_ *= (v)->dims[d_]; \
    if (len_ == 0) rows_ = 0; \
    for (int64_t r_ = 0; r_ < rows_; r_++) { \
      BODY; \
      k_ += len_; \
      for (int d_ = nd_ - 2; d_ >= 0; d_--) { \
        off_ += (v)->stride[d_]; \
        if (++idx_[d_] < (v)->dims[d_]) break; \
        off_ -= (v)->stride[d_] * (v)->dims[d_]; \
        idx_[d_] = 0; \
      } \
    } \
  } while (0)

void
dlnn_view_gather (const dlnn_view * v, const float *src, float *dst)
{
  VIEW_ROWS (v, {
        const float *s = src + off_;
        float *o = dst + k_;
        if (st_ == 1)
          memcpy (o, s, (size_t) len_ * sizeof (float));
        else
          for (int64_t i = 0; i < len_; i++)
            o[i] = s[i * st_];
      });
}

void
dlnn_view_scatter_add (const dlnn_view * v, const float *src, float *dst)
{
  VIEW_ROWS (v, {
        float *o = dst + off_;
        const float *s = src + k_;
        for (int64_t i = 0; i < len_; i++)
          o[i * st_] += s[i];
      });
}

dlnn_code
dlnn_op_const_ints (const dlnn_node * n, const dlnn_tensor * const *in,
    int i, const char *what, int64_t * out, int max, int *count,
    dlnn_status * st)
{
  const dlnn_tensor *t = dlnn_op_in (n, in, i);

  *count = 0;
  if (!t)
    return DLNN_OK;
  if (t->dtype != DLNN_INT64 || !t->idata)
    return dlnn_op_error (n, st, DLNN_ERR_UNSUPPORTED,
        "input %d (%s) must be a constant int64 tensor (an initializer or "
        "a value folded at load time)", i, what);
  if (t->ndim > 1)
    return dlnn_op_error (n, st, DLNN_ERR_SHAPE,
        "input %d (%s) must be 1-D, it has rank %d", i, what, t->ndim);
  if (t->size > max)
    return dlnn_op_error (n, st, DLNN_ERR_UNSUPPORTED,
        "input %d (%s) has %lld values, more than %d", i, what,
        (long long) t->size, max);
  for (int64_t k = 0; k < t->size; k++)
    out[k] = t->idata[k];
  *count = (int) t->size;
  return DLNN_OK;
}

dlnn_code
dlnn_op_axes (const dlnn_node * n, const char *what, const int64_t * axes,
    int count, int ndim, int *out, dlnn_status * st)
{
  for (int k = 0; k < count; k++) {
    int64_t a = axes[k] < 0 ? axes[k] + ndim : axes[k];
    if (a < 0 || a >= ndim)
      return dlnn_op_error (n, st, DLNN_ERR_INVALID,
          "%s value %lld is out of range for rank %d", what,
          (long long) axes[k], ndim);
    for (int j = 0; j < k; j++)
      if (out[j] == a)
        return dlnn_op_error (n, st, DLNN_ERR_INVALID,
            "%s value %lld is repeated", what, (long long) axes[k]);
    out[k] = (int) a;
  }
  return DLNN_OK;
}
