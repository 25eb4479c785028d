/* libdlnn - helpers shared by the ops. */
#include "common.h"

#include <stdarg.h>
#include <stdio.h>

const char *
dlnn_op_node_name (const dlnn_node * n)
{
  return n && n->name ? n->name : "";
}

dlnn_code
dlnn_op_error (const dlnn_node * n, dlnn_status * st, dlnn_code code,
    const char *fmt, ...)
{
  char msg[DLNN_STATUS_MESSAGE_SIZE];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (msg, sizeof (msg), fmt, ap);
  va_end (ap);
  return dlnn_status_set (st, code, "%s node '%s': %s",
      n && n->op_type ? n->op_type : "?", dlnn_op_node_name (n), msg);
}

dlnn_code
dlnn_op_shape_error (const dlnn_node * n, dlnn_status * st, const char *what,
    const dlnn_tensor * a, const dlnn_tensor * b)
{
  char sa[128], sb[128];

  dlnn_shape_str (a->ndim, a->dims, sa, sizeof (sa));
  if (!b)
    return dlnn_op_error (n, st, DLNN_ERR_SHAPE, "%s %s", what, sa);
  dlnn_shape_str (b->ndim, b->dims, sb, sizeof (sb));
  return dlnn_op_error (n, st, DLNN_ERR_SHAPE, "%s %s vs %s", what, sa, sb);
}

void *
dlnn_op_priv_new (dlnn_node * n, size_t size, dlnn_status * st)
{
  free (n->priv);
  n->priv = calloc (1, size);
  if (!n->priv)
    dlnn_op_error (n, st, DLNN_ERR_NOMEM, "out of memory");
  return n->priv;
}

void *
dlnn_op_priv_new_tail (dlnn_node * n, size_t size, size_t tail,
    dlnn_status * st)
{
  free (n->priv);
  /* malloc, not calloc: the tail's pages stay untouched (not resident)
   * until written */
  n->priv = malloc (size + tail);
  if (!n->priv)
    dlnn_op_error (n, st, DLNN_ERR_NOMEM, "out of memory");
  else
    memset (n->priv, 0, size);
  return n->priv;
}

dlnn_code
dlnn_op_attr_ints (const dlnn_node * n, const char *name, int64_t * out,
    int max, int *count, dlnn_status * st)
{
  const dlnn_attr *a = dlnn_node_attr (n, name);

  *count = 0;
  if (!a)
    return DLNN_OK;
  if (a->type == DLNN_ATTR_INT && max >= 1) {
    out[0] = a->i;
    *count = 1;
    return DLNN_OK;
  }
  if (a->type != DLNN_ATTR_INTS)
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "attribute %s must be a list of ints", name);
  if (a->n > max)
    return dlnn_op_error (n, st, DLNN_ERR_UNSUPPORTED,
        "%s has %lld values, at most %d are supported", name,
        (long long) a->n, max);
  for (int64_t i = 0; i < a->n; i++)
    out[i] = a->ints[i];
  *count = (int) a->n;
  return DLNN_OK;
}

dlnn_code
dlnn_op_axis (const dlnn_node * n, const char *attr, int64_t axis, int ndim,
    int inclusive, int *out, dlnn_status * st)
{
  int64_t hi = inclusive ? ndim : ndim - 1;

  if (axis < -ndim || axis > hi)
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "%s=%lld is out of range for a tensor of rank %d", attr,
        (long long) axis, ndim);
  if (axis < 0)
    axis += ndim;
  *out = (int) axis;
  return DLNN_OK;
}

int64_t
dlnn_op_dims_prod (const int64_t * dims, int from, int to)
{
  int64_t p = 1;
  for (int i = from; i < to; i++)
    p *= dims[i];
  return p;
}

dlnn_code
dlnn_op_set_shape (const dlnn_node * n, dlnn_tensor * out, int ndim,
    const int64_t * dims, dlnn_status * st)
{
  dlnn_code c;

  out->dtype = DLNN_FLOAT32;
  c = dlnn_tensor_set_shape (out, ndim, dims, st);
  if (c != DLNN_OK && st)
    return dlnn_status_prefix (st, "%s node '%s'",
        n->op_type ? n->op_type : "?", dlnn_op_node_name (n));
  return c;
}

dlnn_code
dlnn_op_shape_same (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, dlnn_status * st)
{
  return dlnn_op_set_shape (n, out[0], in[0]->ndim, in[0]->dims, st);
}

void
dlnn_op_copy (float *dst, const float *src, int64_t count)
{
  if (dst != src && count > 0)
    memcpy (dst, src, (size_t) count * sizeof (float));
}

void
dlnn_op_acc (float *restrict dst, const float *restrict src, int64_t count)
{
  for (int64_t i = 0; i < count; i++)
    dst[i] += src[i];
}

/* ---- sliding windows ---- */

dlnn_code
dlnn_window_parse (const dlnn_node * n, dlnn_window_attrs * wa,
    int with_ceil, dlnn_status * st)
{
  const char *ap;
  dlnn_code c;

  memset (wa, 0, sizeof (*wa));
  if ((c = dlnn_op_attr_ints (n, "kernel_shape", wa->kernel, 2,
              &wa->n_kernel, st)) != DLNN_OK
      || (c = dlnn_op_attr_ints (n, "strides", wa->strides, 2,
              &wa->n_strides, st)) != DLNN_OK
      || (c = dlnn_op_attr_ints (n, "dilations", wa->dilations, 2,
              &wa->n_dilations, st)) != DLNN_OK
      || (c = dlnn_op_attr_ints (n, "pads", wa->pads, 4, &wa->n_pads,
              st)) != DLNN_OK)
    return c;
  for (int i = 0; i < wa->n_kernel; i++)
    if (wa->kernel[i] < 1)
      return dlnn_op_error (n, st, DLNN_ERR_INVALID,
          "kernel_shape[%d]=%lld must be positive", i,
          (long long) wa->kernel[i]);
  for (int i = 0; i < wa->n_strides; i++)
    if (wa->strides[i] < 1)
      return dlnn_op_error (n, st, DLNN_ERR_INVALID,
          "strides[%d]=%lld must be positive", i, (long long) wa->strides[i]);
  for (int i = 0; i < wa->n_dilations; i++)
    if (wa->dilations[i] < 1)
      return dlnn_op_error (n, st, DLNN_ERR_INVALID,
          "dilations[%d]=%lld must be positive", i,
          (long long) wa->dilations[i]);
  for (int i = 0; i < wa->n_pads; i++)
    if (wa->pads[i] < 0)
      return dlnn_op_error (n, st, DLNN_ERR_UNSUPPORTED,
          "pads[%d]=%lld: negative pads are not supported", i,
          (long long) wa->pads[i]);

  ap = dlnn_node_attr_string (n, "auto_pad", "NOTSET");
  if (strcmp (ap, "NOTSET") == 0 || ap[0] == '\0')
    wa->auto_pad = DLNN_AUTO_PAD_NOTSET;
  else if (strcmp (ap, "VALID") == 0)
    wa->auto_pad = DLNN_AUTO_PAD_VALID;
  else if (strcmp (ap, "SAME_UPPER") == 0)
    wa->auto_pad = DLNN_AUTO_PAD_SAME_UPPER;
  else if (strcmp (ap, "SAME_LOWER") == 0)
    wa->auto_pad = DLNN_AUTO_PAD_SAME_LOWER;
  else
    return dlnn_op_error (n, st, DLNN_ERR_UNSUPPORTED,
        "auto_pad=%s is not supported", ap);

  if (with_ceil) {
    int64_t cm = dlnn_node_attr_int (n, "ceil_mode", 0);
    if (cm != 0 && cm != 1)
      return dlnn_op_error (n, st, DLNN_ERR_INVALID,
          "ceil_mode=%lld must be 0 or 1", (long long) cm);
    wa->ceil_mode = (int) cm;
  }
  return DLNN_OK;
}

/* One spatial dimension: output size and the pads actually used. */
static dlnn_code
window_dim (const dlnn_node * n, const dlnn_window_attrs * wa, int axis,
    int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe,
    int64_t * out, int64_t * pb_out, int64_t * pe_out, dlnn_status * st)
{
  int64_t eff = (k - 1) * d + 1;
  int64_t o;

  switch (wa->auto_pad) {
    case DLNN_AUTO_PAD_VALID:
      pb = pe = 0;
      break;
    case DLNN_AUTO_PAD_SAME_UPPER:
    case DLNN_AUTO_PAD_SAME_LOWER:{
      int64_t total;
      o = (in + s - 1) / s;
      total = (o - 1) * s + eff - in;
      if (total < 0)
        total = 0;
      if (wa->auto_pad == DLNN_AUTO_PAD_SAME_UPPER)
        pb = total / 2;
      else
        pb = total - total / 2;
      pe = total - pb;
      *out = o;
      *pb_out = pb;
      *pe_out = pe;
      return DLNN_OK;
    }
    default:
      break;
  }
  if (in + pb + pe < eff)
    return dlnn_op_error (n, st, DLNN_ERR_SHAPE,
        "spatial axis %d: input size %lld with pads %lld+%lld is smaller "
        "than the dilated kernel %lld", axis, (long long) in, (long long) pb,
        (long long) pe, (long long) eff);
  if (wa->ceil_mode) {
    o = (in + pb + pe - eff + s - 1) / s + 1;
    /* the last window must start inside the input or the left padding */
    if ((o - 1) * s >= in + pb)
      o--;
  } else {
    o = (in + pb + pe - eff) / s + 1;
  }
  *out = o;
  *pb_out = pb;
  *pe_out = pe;
  return DLNN_OK;
}

dlnn_code
dlnn_window_geom (const dlnn_node * n, const dlnn_window_attrs * wa,
    int rank, const int64_t * in_sp, const int64_t * k, dlnn_win2d * g,
    dlnn_status * st)
{
  int64_t in2[2], k2[2], s2[2] = { 1, 1 }, d2[2] = { 1, 1 };
  int64_t pads[4] = { 0, 0, 0, 0 }, o2[2], pb2[2], pe2[2];
  int off = 2 - rank;
  dlnn_code c;

  memset (g, 0, sizeof (*g));
  if (rank != 1 && rank != 2)
    return dlnn_op_error (n, st, DLNN_ERR_UNSUPPORTED,
        "%d spatial dimensions are not supported (only 1-D and 2-D)", rank);
  if (wa->n_strides && wa->n_strides != rank)
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "strides has %d values for %d spatial dimensions", wa->n_strides,
        rank);
  if (wa->n_dilations && wa->n_dilations != rank)
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "dilations has %d values for %d spatial dimensions",
        wa->n_dilations, rank);
  if (wa->n_pads && wa->n_pads != 2 * rank)
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "pads has %d values for %d spatial dimensions", wa->n_pads, rank);
  in2[0] = 1;
  k2[0] = 1;
  for (int i = 0; i < rank; i++) {
    in2[off + i] = in_sp[i];
    k2[off + i] = k[i];
    if (wa->n_strides)
      s2[off + i] = wa->strides[i];
    if (wa->n_dilations)
      d2[off + i] = wa->dilations[i];
    if (wa->n_pads) {
      pads[off + i] = wa->pads[i];
      pads[2 + off + i] = wa->pads[rank + i];
    }
  }
  for (int i = 0; i < 2; i++) {
    if (i < off) {
      o2[i] = 1;
      pb2[i] = pe2[i] = 0;
      continue;
    }
    c = window_dim (n, wa, i - off, in2[i], k2[i], s2[i], d2[i], pads[i],
        pads[2 + i], &o2[i], &pb2[i], &pe2[i], st);
    if (c != DLNN_OK)
      return c;
  }
  g->ih = in2[0];
  g->iw = in2[1];
  g->kh = k2[0];
  g->kw = k2[1];
  g->sh = s2[0];
  g->sw = s2[1];
  g->dh = d2[0];
  g->dw = d2[1];
  g->pt = pb2[0];
  g->pl = pb2[1];
  g->pb = pe2[0];
  g->pr = pe2[1];
  g->oh = o2[0];
  g->ow = o2[1];
  return DLNN_OK;
}
