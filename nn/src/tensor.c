/* libdlnn - tensors. */
#include "dlnn/tensor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t
dlnn_shape_size (int ndim, const int64_t * dims, dlnn_status * st)
{
  int64_t size = 1;

  if (ndim < 0 || ndim > DLNN_MAX_DIMS) {
    dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
        "tensor rank %d is outside 0..%d", ndim, DLNN_MAX_DIMS);
    return -1;
  }
  for (int i = 0; i < ndim; i++) {
    if (dims[i] < 0) {
      dlnn_status_set (st, DLNN_ERR_SHAPE, "negative dimension %lld",
          (long long) dims[i]);
      return -1;
    }
    if (dims[i] > 0 && size > DLNN_MAX_ELEMENTS / dims[i]) {
      char buf[128];
      dlnn_status_set (st, DLNN_ERR_NOMEM,
          "absurd tensor shape %s (more than %lld elements)",
          dlnn_shape_str (ndim, dims, buf, sizeof (buf)),
          (long long) DLNN_MAX_ELEMENTS);
      return -1;
    }
    size *= dims[i];
  }
  return size;
}

dlnn_code
dlnn_tensor_set_shape (dlnn_tensor * t, int ndim, const int64_t * dims,
    dlnn_status * st)
{
  int64_t size = dlnn_shape_size (ndim, dims, st);

  if (size < 0)
    return st ? st->code : DLNN_ERR_SHAPE;
  t->ndim = ndim;
  for (int i = 0; i < ndim; i++)
    t->dims[i] = dims[i];
  for (int i = ndim; i < DLNN_MAX_DIMS; i++)
    t->dims[i] = 0;
  t->size = size;
  return DLNN_OK;
}

dlnn_tensor *
dlnn_tensor_new (dlnn_dtype dtype, int ndim, const int64_t * dims,
    dlnn_status * st)
{
  dlnn_tensor *t;
  size_t esize;

  if (dtype != DLNN_FLOAT32 && dtype != DLNN_INT64) {
    dlnn_status_set (st, DLNN_ERR_UNSUPPORTED, "unsupported dtype %d",
        (int) dtype);
    return NULL;
  }
  t = calloc (1, sizeof (*t));
  if (!t) {
    dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    return NULL;
  }
  t->dtype = dtype;
  if (dlnn_tensor_set_shape (t, ndim, dims, st) != DLNN_OK) {
    free (t);
    return NULL;
  }
  esize = dtype == DLNN_FLOAT32 ? sizeof (float) : sizeof (int64_t);
  void *p = calloc (t->size ? (size_t) t->size : 1, esize);
  if (!p) {
    dlnn_status_set (st, DLNN_ERR_NOMEM,
        "out of memory allocating %lld elements", (long long) t->size);
    free (t);
    return NULL;
  }
  if (dtype == DLNN_FLOAT32)
    t->data = p;
  else
    t->idata = p;
  t->owns = 1;
  return t;
}

dlnn_tensor *
dlnn_tensor_new4 (int ndim, int64_t d0, int64_t d1, int64_t d2, int64_t d3)
{
  int64_t dims[4] = { d0, d1, d2, d3 };
  return dlnn_tensor_new (DLNN_FLOAT32, ndim, dims, NULL);
}

dlnn_tensor *
dlnn_tensor_copy (const dlnn_tensor * t, dlnn_status * st)
{
  dlnn_tensor *c = dlnn_tensor_new (t->dtype, t->ndim, t->dims, st);

  if (!c)
    return NULL;
  if (t->dtype == DLNN_FLOAT32 && t->data)
    memcpy (c->data, t->data, (size_t) t->size * sizeof (float));
  else if (t->dtype == DLNN_INT64 && t->idata)
    memcpy (c->idata, t->idata, (size_t) t->size * sizeof (int64_t));
  return c;
}

void
dlnn_tensor_free (dlnn_tensor * t)
{
  if (!t)
    return;
  if (t->owns) {
    free (t->data);
    free (t->idata);
  }
  free (t);
}

int
dlnn_shape_equal (const dlnn_tensor * a, const dlnn_tensor * b)
{
  if (a->ndim != b->ndim)
    return 0;
  for (int i = 0; i < a->ndim; i++)
    if (a->dims[i] != b->dims[i])
      return 0;
  return 1;
}

char *
dlnn_shape_str (int ndim, const int64_t * dims, char *buf, size_t len)
{
  size_t off = 0;

  if (!len)
    return buf;
  buf[0] = '\0';
  off += snprintf (buf + off, len - off, "[");
  for (int i = 0; i < ndim && off < len; i++)
    off += snprintf (buf + off, len - off, "%s%lld", i ? ", " : "",
        (long long) dims[i]);
  if (off < len)
    snprintf (buf + off, len - off, "]");
  return buf;
}
