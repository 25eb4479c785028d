/* libdlnn - private: strided copies shared by the data-movement ops
 * (Transpose, Slice, Split) and reading int64 constant inputs (Pad, Clip,
 * Slice, Split, Squeeze, Unsqueeze, ReduceMean take attribute values as
 * inputs from some opset on). */
#ifndef DLNN_OPS_STRIDED_H
#define DLNN_OPS_STRIDED_H

#include "common.h"

/* A view of a source buffer: element (i0, ..., i[nd-1]) of the view, for
 * 0 <= i_d < dims[d], is src[base + sum i_d * stride[d]] (strides in
 * elements, possibly negative). */
typedef struct dlnn_view
{
  int nd;
  int64_t dims[DLNN_MAX_DIMS];
  int64_t stride[DLNN_MAX_DIMS];
  int64_t base;
} dlnn_view;

/* dst[k] = view element k (row-major order over the view's dims). */
void dlnn_view_gather (const dlnn_view * v, const float *src, float *dst);
/* view element k += src[k] (gradient of dlnn_view_gather). */
void dlnn_view_scatter_add (const dlnn_view * v, const float *src,
    float *dst);

/* Row-major strides of a shape. */
void dlnn_strides_of (int ndim, const int64_t * dims, int64_t * strides);

/* Reads input @i as a constant int64 vector (a scalar counts as one
 * value): it must be an int64 tensor whose data is known when shapes are
 * computed (an initializer or a folded constant), of at most @max values.
 * @what names it in messages ("pads", "axes"). */
dlnn_code dlnn_op_const_ints (const dlnn_node * n,
    const dlnn_tensor * const *in, int i, const char *what, int64_t * out,
    int max, int *count, dlnn_status * st);

/* Normalises a list of axes (negative counted from the back), rejecting
 * duplicates and out-of-range values; @what names the attribute. */
dlnn_code dlnn_op_axes (const dlnn_node * n, const char *what,
    const int64_t * axes, int count, int ndim, int *out, dlnn_status * st);

#endif
