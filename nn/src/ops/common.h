/* libdlnn - private helpers shared by the op implementations: error
 * messages that name the node, attribute parsing, the sliding-window
 * geometry of Conv and the pooling ops. */
#ifndef DLNN_OPS_COMMON_H
#define DLNN_OPS_COMMON_H

#include "op.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The ops, one per ONNX op type (listed in registry.c). */
extern const dlnn_op dlnn_op_gemm, dlnn_op_matmul, dlnn_op_conv;
extern const dlnn_op dlnn_op_maxpool, dlnn_op_averagepool;
extern const dlnn_op dlnn_op_globalaveragepool, dlnn_op_globalmaxpool;
extern const dlnn_op dlnn_op_batchnormalization;
extern const dlnn_op dlnn_op_relu, dlnn_op_leakyrelu, dlnn_op_sigmoid;
extern const dlnn_op dlnn_op_tanh, dlnn_op_softmax, dlnn_op_logsoftmax;
extern const dlnn_op dlnn_op_dropout, dlnn_op_flatten, dlnn_op_reshape;
extern const dlnn_op dlnn_op_identity, dlnn_op_concat, dlnn_op_expand;
extern const dlnn_op dlnn_op_add, dlnn_op_sub, dlnn_op_mul, dlnn_op_div;
extern const dlnn_op dlnn_op_pad, dlnn_op_clip, dlnn_op_hardsigmoid;
extern const dlnn_op dlnn_op_hardswish, dlnn_op_transpose, dlnn_op_slice;
extern const dlnn_op dlnn_op_split, dlnn_op_squeeze, dlnn_op_unsqueeze;
extern const dlnn_op dlnn_op_reducemean;
extern const dlnn_op dlnn_op_gru, dlnn_op_lstm;
extern const dlnn_op dlnn_op_swish;

/* The node's name, "" when it has none. */
const char *dlnn_op_node_name (const dlnn_node * n);

/* Sets @st to "<OpType> node '<name>': <message>" and returns @code. */
dlnn_code dlnn_op_error (const dlnn_node * n, dlnn_status * st,
    dlnn_code code, const char *fmt, ...) DLNN_PRINTF (4, 5);

/* DLNN_ERR_SHAPE "<OpType> node '<name>': <what> [a] vs [b]". */
dlnn_code dlnn_op_shape_error (const dlnn_node * n, dlnn_status * st,
    const char *what, const dlnn_tensor * a, const dlnn_tensor * b);

/* Allocates zeroed n->priv of @size bytes (frees an older one). */
void *dlnn_op_priv_new (dlnn_node * n, size_t size, dlnn_status * st);
/* Like dlnn_op_priv_new with @tail more bytes after the @size zeroed
 * ones, left uninitialised and untouched (a cache that may never be
 * written costs address space, not memory). */
void *dlnn_op_priv_new_tail (dlnn_node * n, size_t size, size_t tail,
    dlnn_status * st);

/* Reads INTS attribute @name into out[0..max). *count = number read (0 if
 * the attribute is absent). More than @max values or a wrong attribute
 * type is DLNN_ERR_INVALID naming the attribute. */
dlnn_code dlnn_op_attr_ints (const dlnn_node * n, const char *name,
    int64_t * out, int max, int *count, dlnn_status * st);

/* Normalises a possibly negative @axis (counted from the back) for a
 * tensor of rank @ndim: ONNX range [-ndim, ndim-1], or [-ndim, ndim] if
 * @inclusive (Flatten). */
dlnn_code dlnn_op_axis (const dlnn_node * n, const char *attr, int64_t axis,
    int ndim, int inclusive, int *out, dlnn_status * st);

/* Product of dims[from..to). */
int64_t dlnn_op_dims_prod (const int64_t * dims, int from, int to);

/* Sets @out to float32 of the given shape (no allocation). */
dlnn_code dlnn_op_set_shape (const dlnn_node * n, dlnn_tensor * out, int ndim,
    const int64_t * dims, dlnn_status * st);

/* shape() of elementwise unary ops: out[0] has the shape of in[0]. */
dlnn_code dlnn_op_shape_same (const dlnn_node * n,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st);

/* Copies @src into @dst unless they share a buffer (aliasing ops). */
void dlnn_op_copy (float *dst, const float *src, int64_t count);
/* dst += src */
void dlnn_op_acc (float *restrict dst, const float *restrict src,
    int64_t count);

/* Input/gradient @i of node @n, NULL when omitted or beyond n_inputs. */
static inline const dlnn_tensor *
dlnn_op_in (const dlnn_node * n, const dlnn_tensor * const *in, int i)
{
  return i < n->n_inputs ? in[i] : NULL;
}

static inline dlnn_tensor *
dlnn_op_din (const dlnn_node * n, dlnn_tensor * const *din, int i)
{
  return din && i < n->n_inputs ? din[i] : NULL;
}

/* Output @i, NULL beyond n_outputs. */
static inline dlnn_tensor *
dlnn_op_out (const dlnn_node * n, dlnn_tensor * const *out, int i)
{
  return i < n->n_outputs ? out[i] : NULL;
}

/* Float reductions with 16 independent partial sums, so that the compiler
 * vectorises them without -ffast-math (results differ from a sequential
 * sum only by rounding). */
#define DLNN_LANES 16

static inline float
dlnn_sum (const float *restrict x, int64_t n)
{
  float acc[DLNN_LANES] = { 0 }, s = 0.0f;
  int64_t i = 0;
  for (; i + DLNN_LANES <= n; i += DLNN_LANES)
    for (int k = 0; k < DLNN_LANES; k++)
      acc[k] += x[i + k];
  for (; i < n; i++)
    s += x[i];
  for (int k = 0; k < DLNN_LANES; k++)
    s += acc[k];
  return s;
}

static inline float
dlnn_dot (const float *restrict a, const float *restrict b, int64_t n)
{
  float acc[DLNN_LANES] = { 0 }, s = 0.0f;
  int64_t i = 0;
  for (; i + DLNN_LANES <= n; i += DLNN_LANES)
    for (int k = 0; k < DLNN_LANES; k++)
      acc[k] += a[i + k] * b[i + k];
  for (; i < n; i++)
    s += a[i] * b[i];
  for (int k = 0; k < DLNN_LANES; k++)
    s += acc[k];
  return s;
}

/* *s1 += sum (x - k), *s2 += sum (x - k)^2 */
static inline void
dlnn_sum_sq_shift (const float *restrict x, int64_t n, float k, float *s1,
    float *s2)
{
  float a[DLNN_LANES] = { 0 }, b[DLNN_LANES] = { 0 }, sa = 0.0f, sb = 0.0f;
  int64_t i = 0;
  for (; i + DLNN_LANES <= n; i += DLNN_LANES)
    for (int l = 0; l < DLNN_LANES; l++) {
      float d = x[i + l] - k;
      a[l] += d;
      b[l] += d * d;
    }
  for (; i < n; i++) {
    float d = x[i] - k;
    sa += d;
    sb += d * d;
  }
  for (int l = 0; l < DLNN_LANES; l++) {
    sa += a[l];
    sb += b[l];
  }
  *s1 += sa;
  *s2 += sb;
}

/* *sg += sum (g), *sgx += sum (g * (x - m)) */
static inline void
dlnn_sum_dot_shift (const float *restrict g, const float *restrict x,
    int64_t n, float m, float *sg, float *sgx)
{
  float a[DLNN_LANES] = { 0 }, b[DLNN_LANES] = { 0 }, sa = 0.0f, sb = 0.0f;
  int64_t i = 0;
  for (; i + DLNN_LANES <= n; i += DLNN_LANES)
    for (int l = 0; l < DLNN_LANES; l++) {
      a[l] += g[i + l];
      b[l] += g[i + l] * (x[i + l] - m);
    }
  for (; i < n; i++) {
    sa += g[i];
    sb += g[i] * (x[i] - m);
  }
  for (int l = 0; l < DLNN_LANES; l++) {
    sa += a[l];
    sb += b[l];
  }
  *sg += sa;
  *sgx += sb;
}

/* ---- sliding windows (Conv, MaxPool, AveragePool) ---- */

typedef enum dlnn_auto_pad
{
  DLNN_AUTO_PAD_NOTSET = 0,
  DLNN_AUTO_PAD_VALID,
  DLNN_AUTO_PAD_SAME_UPPER,
  DLNN_AUTO_PAD_SAME_LOWER,
} dlnn_auto_pad;

/* Window attributes as written in the node (1-D or 2-D). */
typedef struct dlnn_window_attrs
{
  int n_kernel, n_strides, n_dilations, n_pads;
  int64_t kernel[2], strides[2], dilations[2], pads[4];
  dlnn_auto_pad auto_pad;
  int ceil_mode;
} dlnn_window_attrs;

/* Parses kernel_shape, strides, dilations, pads, auto_pad and (if
 * @with_ceil) ceil_mode. Values of more than two spatial dims are
 * DLNN_ERR_UNSUPPORTED. */
dlnn_code dlnn_window_parse (const dlnn_node * n, dlnn_window_attrs * wa,
    int with_ceil, dlnn_status * st);

/* Geometry of one 2-D window operation; 1-D ops use ih = kh = oh = 1. */
typedef struct dlnn_win2d
{
  int64_t ih, iw;               /* input spatial size */
  int64_t kh, kw;               /* kernel */
  int64_t sh, sw;               /* strides */
  int64_t dh, dw;               /* dilations */
  int64_t pt, pl, pb, pr;       /* pads: top, left, bottom, right */
  int64_t oh, ow;               /* output spatial size */
} dlnn_win2d;

/* Computes the window geometry for an input of spatial rank @rank (1 or 2)
 * with spatial sizes @in_sp and kernel @k (from the weights for Conv,
 * kernel_shape for pooling). Checks attribute lengths and output sizes. */
dlnn_code dlnn_window_geom (const dlnn_node * n, const dlnn_window_attrs * wa,
    int rank, const int64_t * in_sp, const int64_t * k, dlnn_win2d * g,
    dlnn_status * st);

/* Range [*lo, *hi) of kernel taps k (0 <= k < kk) such that
 * 0 <= start + k * d < size. */
static inline void
dlnn_window_taps (int64_t start, int64_t kk, int64_t d, int64_t size,
    int64_t * lo, int64_t * hi)
{
  int64_t l = 0, h = kk;
  if (start < 0)
    l = (-start + d - 1) / d;
  if (start + (kk - 1) * d >= size)
    h = size - start <= 0 ? 0 : (size - start + d - 1) / d;
  if (h < l)
    h = l;
  *lo = l;
  *hi = h;
}

/* shape_ops.c: forward/backward of ops whose output is their input with
 * another shape (Identity, Flatten, Reshape, Squeeze, Unsqueeze): copy
 * when not aliased; backward adds dout into din. */
dlnn_code dlnn_op_copy_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st);
dlnn_code dlnn_op_copy_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st);

#endif
