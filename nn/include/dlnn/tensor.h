/* libdlnn - dense tensors (row-major, NCHW for images). */
#ifndef DLNN_TENSOR_H
#define DLNN_TENSOR_H

#include <stdint.h>
#include <stddef.h>
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Tensors of more dimensions are rejected with DLNN_ERR_UNSUPPORTED. */
#define DLNN_MAX_DIMS 8
/* Any tensor with more elements than this is rejected as absurd. */
#define DLNN_MAX_ELEMENTS ((int64_t) 1 << 32)

typedef enum dlnn_dtype
{
  DLNN_FLOAT32 = 1,             /* values as in ONNX TensorProto.DataType */
  DLNN_INT64 = 7,
} dlnn_dtype;

typedef struct dlnn_tensor
{
  dlnn_dtype dtype;
  int ndim;
  int64_t dims[DLNN_MAX_DIMS];
  int64_t size;                 /* product of dims (1 for a scalar) */
  /* exactly one of these is used, per dtype; NULL while unallocated */
  float *data;
  int64_t *idata;
  int owns;                     /* data/idata freed by dlnn_tensor_free */
} dlnn_tensor;

/* Allocates a zero-filled tensor. Returns NULL (and sets @st) on absurd
 * shapes or out of memory. */
DLNN_API dlnn_tensor *dlnn_tensor_new (dlnn_dtype dtype, int ndim,
    const int64_t * dims, dlnn_status * st);
/* Convenience for float32, up to 4 dims; pass 0 for unused trailing dims
 * together with the right @ndim. */
DLNN_API dlnn_tensor *dlnn_tensor_new4 (int ndim, int64_t d0, int64_t d1,
    int64_t d2, int64_t d3);
DLNN_API dlnn_tensor *dlnn_tensor_copy (const dlnn_tensor * t,
    dlnn_status * st);
DLNN_API void dlnn_tensor_free (dlnn_tensor * t);     /* NULL-safe */

/* Sets dims/size of @t (no allocation). Checks limits. */
DLNN_API dlnn_code dlnn_tensor_set_shape (dlnn_tensor * t, int ndim,
    const int64_t * dims, dlnn_status * st);
/* Computes the element count of a shape, checking for overflow and
 * DLNN_MAX_ELEMENTS. Returns -1 on error (message in @st). */
DLNN_API int64_t dlnn_shape_size (int ndim, const int64_t * dims,
    dlnn_status * st);
DLNN_API int dlnn_shape_equal (const dlnn_tensor * a, const dlnn_tensor * b);
/* Formats "[1, 3, 224, 224]" into buf. Returns buf. */
DLNN_API char *dlnn_shape_str (int ndim, const int64_t * dims, char *buf,
    size_t len);

#ifdef __cplusplus
}
#endif
#endif
