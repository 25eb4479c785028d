/* libdlnn - ONNX TensorProto <-> dlnn_tensor. */
#include "onnx_private.h"

#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define DLNN_LITTLE_ENDIAN 1
#else
#define DLNN_LITTLE_ENDIAN 0
#endif

const char *
dlnn_onnx_dtype_name (int32_t data_type)
{
  static const char *const names[] = {
    "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32",
    "INT64", "STRING", "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64",
    "COMPLEX64", "COMPLEX128", "BFLOAT16",
  };

  if (data_type >= 0 && data_type < (int32_t) (sizeof (names) /
          sizeof (names[0])))
    return names[data_type];
  return "unknown";
}

/* Reads little-endian raw_data into the tensor, whatever the host order. */
static void
copy_from_le (dlnn_tensor * t, const uint8_t * src)
{
  size_t n = (size_t) t->size;

  if (DLNN_LITTLE_ENDIAN) {
    if (t->dtype == DLNN_FLOAT32)
      memcpy (t->data, src, n * sizeof (float));
    else
      memcpy (t->idata, src, n * sizeof (int64_t));
    return;
  }
  for (size_t i = 0; i < n; i++) {
    if (t->dtype == DLNN_FLOAT32) {
      const uint8_t *p = src + 4 * i;
      uint32_t u = (uint32_t) p[0] | (uint32_t) p[1] << 8 |
          (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
      memcpy (&t->data[i], &u, sizeof (u));
    } else {
      const uint8_t *p = src + 8 * i;
      uint64_t u = 0;
      for (int b = 7; b >= 0; b--)
        u = u << 8 | p[b];
      memcpy (&t->idata[i], &u, sizeof (u));
    }
  }
}

dlnn_code
dlnn_onnx_tensor_from_proto (const Onnx__TensorProto * tp, const char *what,
    dlnn_tensor ** out, dlnn_status * st)
{
  int64_t dims[DLNN_MAX_DIMS];
  int64_t size;
  size_t esize, n_typed, n_other;
  dlnn_dtype dtype;
  dlnn_tensor *t;

  *out = NULL;
  if ((tp->has_data_location &&
          tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
      || tp->n_external_data > 0)
    return dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
        "%s stores its data in an external file, which is not supported "
        "(save the model as one self-contained .onnx file)", what);
  if (tp->segment)
    return dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
        "%s is a segment of a larger tensor, which is not supported", what);
  if (!tp->has_data_type
      || tp->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__UNDEFINED)
    return dlnn_status_set (st, DLNN_ERR_FORMAT, "%s has no data type",
        what);
  if (tp->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
    dtype = DLNN_FLOAT32;
    esize = sizeof (float);
    n_typed = tp->n_float_data;
    n_other = tp->n_int64_data;
  } else if (tp->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
    dtype = DLNN_INT64;
    esize = sizeof (int64_t);
    n_typed = tp->n_int64_data;
    n_other = tp->n_float_data;
  } else {
    return dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
        "%s has data type %s (%d); only FLOAT and INT64 tensors are "
        "supported", what, dlnn_onnx_dtype_name (tp->data_type),
        (int) tp->data_type);
  }
  n_other += tp->n_int32_data + tp->n_string_data + tp->n_double_data +
      tp->n_uint64_data;

  if (tp->n_dims > DLNN_MAX_DIMS)
    return dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
        "%s has %zu dimensions (at most %d are supported)", what,
        tp->n_dims, DLNN_MAX_DIMS);
  for (size_t i = 0; i < tp->n_dims; i++)
    dims[i] = tp->dims[i];
  size = dlnn_shape_size ((int) tp->n_dims, dims, st);
  if (size < 0)
    return dlnn_status_prefix (st, "%s", what);

  if (n_other > 0)
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "%s of type %s holds values in a field of another type", what,
        dlnn_onnx_dtype_name (tp->data_type));
  if (tp->has_raw_data && n_typed > 0)
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "%s has both raw_data and typed data", what);
  if (tp->has_raw_data) {
    /* size <= DLNN_MAX_ELEMENTS, so this cannot overflow */
    uint64_t expect = (uint64_t) size * esize;
    if ((uint64_t) tp->raw_data.len != expect)
      return dlnn_status_set (st, DLNN_ERR_FORMAT,
          "%s: raw_data has %zu bytes, expected %llu (%lld %s values)",
          what, tp->raw_data.len, (unsigned long long) expect,
          (long long) size, dlnn_onnx_dtype_name (tp->data_type));
  } else if ((int64_t) n_typed != size) {
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "%s has %zu values, expected %lld from its dimensions", what,
        n_typed, (long long) size);
  }

  t = dlnn_tensor_new (dtype, (int) tp->n_dims, dims, st);
  if (!t)
    return dlnn_status_prefix (st, "%s", what);
  if (size > 0) {
    if (tp->has_raw_data)
      copy_from_le (t, tp->raw_data.data);
    else if (dtype == DLNN_FLOAT32)
      memcpy (t->data, tp->float_data, (size_t) size * sizeof (float));
    else
      memcpy (t->idata, tp->int64_data, (size_t) size * sizeof (int64_t));
  }
  *out = t;
  return DLNN_OK;
}

dlnn_code
dlnn_onnx_tensor_to_proto (const dlnn_tensor * t, const char *name,
    Onnx__TensorProto * tp, void **scratch, dlnn_status * st)
{
  size_t n, esize;
  const void *src;

  *scratch = NULL;
  if (t->dtype == DLNN_FLOAT32) {
    tp->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    esize = sizeof (float);
    src = t->data;
  } else if (t->dtype == DLNN_INT64) {
    tp->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
    esize = sizeof (int64_t);
    src = t->idata;
  } else {
    return dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
        "tensor '%s' has unsupported dtype %d", name, (int) t->dtype);
  }
  if (t->ndim < 0 || t->ndim > DLNN_MAX_DIMS || t->size < 0)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "tensor '%s' has an invalid shape", name);
  if (t->size > 0 && !src)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "tensor '%s' has no data", name);
  tp->has_data_type = 1;
  tp->name = (char *) name;
  tp->n_dims = (size_t) t->ndim;
  tp->dims = (int64_t *) t->dims;
  n = (size_t) t->size;
  tp->has_raw_data = 1;
  tp->raw_data.len = n * esize;
  if (n == 0) {
    tp->raw_data.data = NULL;
  } else if (DLNN_LITTLE_ENDIAN) {
    tp->raw_data.data = (uint8_t *) src;
  } else {
    uint8_t *buf = malloc (n * esize);
    if (!buf)
      return dlnn_status_set (st, DLNN_ERR_NOMEM,
          "out of memory writing tensor '%s'", name);
    for (size_t i = 0; i < n; i++) {
      uint64_t u = 0;
      if (esize == 4) {
        uint32_t v;
        memcpy (&v, (const float *) src + i, 4);
        u = v;
      } else {
        memcpy (&u, (const int64_t *) src + i, 8);
      }
      for (size_t b = 0; b < esize; b++)
        buf[i * esize + b] = (uint8_t) (u >> (8 * b));
    }
    tp->raw_data.data = buf;
    *scratch = buf;
  }
  return DLNN_OK;
}
