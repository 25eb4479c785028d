/* libdlnn - the constant evaluator of load-time folding (onnx_fold.c):
 * small int64/float implementations of the ops exporters use to compute
 * shapes (Shape, Gather, ConstantOfShape, Unsqueeze, Squeeze, Concat,
 * Slice, Cast, Reshape, Add, Sub, Mul, Div, Identity, Expand). Inputs
 * are whole constant tensors; the result is a new tensor. These run once
 * per model load, on small tensors, so they favour plainness over speed. */
#include "onnx_fold.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REASON(...) (snprintf (reason, DLNN_FOLD_REASON_SIZE, __VA_ARGS__), 0)

static size_t
esize (const dlnn_tensor * t)
{
  return t->dtype == DLNN_INT64 ? sizeof (int64_t) : sizeof (float);
}

static char *
edata (const dlnn_tensor * t)
{
  return t->dtype == DLNN_INT64 ? (char *) t->idata : (char *) t->data;
}

static dlnn_tensor *
new_like (dlnn_dtype dt, int nd, const int64_t * dims, dlnn_status * st)
{
  return dlnn_tensor_new (dt, nd, dims, st);
}

/* Constant int64 vector of input @i (1-D or scalar), at most @max. */
static int
ints_of (const dlnn_tensor * t, int64_t * out, int max, int *count)
{
  if (!t || t->dtype != DLNN_INT64 || t->ndim > 1 || t->size > max)
    return 0;
  for (int64_t k = 0; k < t->size; k++)
    out[k] = t->idata[k];
  *count = (int) t->size;
  return 1;
}

static int
norm_axis (int64_t a, int rank, int *out)
{
  if (a < 0)
    a += rank;
  if (a < 0 || a >= rank)
    return 0;
  *out = (int) a;
  return 1;
}

/* Axes of Squeeze/Unsqueeze/Slice: input from opset 13 (10 for Slice),
 * attribute before. Returns 1 and sets *count (0 if absent). */
static int
axes_of (const dlnn_node * n, const dlnn_tensor * const *in, int input,
    int from_input, int64_t * axes, int *count)
{
  *count = 0;
  if (from_input) {
    if (input >= n->n_inputs || !in[input])
      return 1;
    return ints_of (in[input], axes, DLNN_MAX_DIMS, count);
  } else {
    const dlnn_attr *a = dlnn_node_attr (n, "axes");
    if (!a)
      return 1;
    if (a->type == DLNN_ATTR_INT) {
      axes[0] = a->i;
      *count = 1;
      return 1;
    }
    if (a->type != DLNN_ATTR_INTS || a->n > DLNN_MAX_DIMS)
      return 0;
    for (int64_t k = 0; k < a->n; k++)
      axes[k] = a->ints[k];
    *count = (int) a->n;
    return 1;
  }
}

static int
eval_shape (const dlnn_graph * g, const dlnn_node * n, const dlnn_tensor * x,
    dlnn_tensor ** out, char *reason, dlnn_status * st)
{
  int64_t start = dlnn_node_attr_int (n, "start", 0);
  int64_t end = dlnn_node_attr_int (n, "end", x->ndim), len;

  if (start < 0)
    start += x->ndim;
  if (end < 0)
    end += x->ndim;
  start = start < 0 ? 0 : (start > x->ndim ? x->ndim : start);
  end = end < 0 ? 0 : (end > x->ndim ? x->ndim : end);
  len = end > start ? end - start : 0;
  *out = new_like (DLNN_INT64, 1, &len, st);
  if (!*out)
    return -1;
  for (int64_t k = 0; k < len; k++)
    (*out)->idata[k] = x->dims[start + k];
  return 1;
}

static int
eval_gather (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor ** out, char *reason, dlnn_status * st)
{
  const dlnn_tensor *d = in[0], *ix = in[1];
  int64_t dims[DLNN_MAX_DIMS], outer = 1, inner = 1;
  int axis, nd = 0;
  size_t es = esize (d);

  if (ix->dtype != DLNN_INT64)
    return REASON ("indices must be int64");
  if (!norm_axis (dlnn_node_attr_int (n, "axis", 0), d->ndim, &axis))
    return REASON ("attribute axis=%lld is out of range for rank %d",
        (long long) dlnn_node_attr_int (n, "axis", 0), d->ndim);
  if (d->ndim - 1 + ix->ndim > DLNN_MAX_DIMS)
    return REASON ("result rank is more than %d", DLNN_MAX_DIMS);
  for (int k = 0; k < axis; k++) {
    dims[nd++] = d->dims[k];
    outer *= d->dims[k];
  }
  for (int k = 0; k < ix->ndim; k++)
    dims[nd++] = ix->dims[k];
  for (int k = axis + 1; k < d->ndim; k++) {
    dims[nd++] = d->dims[k];
    inner *= d->dims[k];
  }
  for (int64_t k = 0; k < ix->size; k++) {
    int64_t v = ix->idata[k];
    if (v < -d->dims[axis] || v >= d->dims[axis])
      return REASON ("index %lld is out of range for size %lld",
          (long long) v, (long long) d->dims[axis]);
  }
  *out = new_like (d->dtype, nd, dims, st);
  if (!*out)
    return -1;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t k = 0; k < ix->size; k++) {
      int64_t v = ix->idata[k] < 0 ? ix->idata[k] + d->dims[axis] :
          ix->idata[k];
      memcpy (edata (*out) + ((o * ix->size + k) * inner) * es,
          edata (d) + ((o * d->dims[axis] + v) * inner) * es,
          (size_t) inner * es);
    }
  return 1;
}

static int
eval_constant_of_shape (const dlnn_node * n, const dlnn_tensor * s,
    dlnn_tensor ** out, char *reason, dlnn_status * st)
{
  const dlnn_attr *a = dlnn_node_attr (n, "value");
  int64_t dims[DLNN_MAX_DIMS];
  int nd;

  if (!ints_of (s, dims, DLNN_MAX_DIMS, &nd))
    return REASON ("the shape input must be a 1-D int64 tensor");
  if (a && (a->type != DLNN_ATTR_TENSOR || !a->t || a->t->size != 1))
    return REASON ("attribute value must be a one-element tensor");
  *out = new_like (a ? a->t->dtype : DLNN_FLOAT32, nd, dims, st);
  if (!*out)
    return -1;
  for (int64_t k = 0; k < (*out)->size; k++) {
    if ((*out)->dtype == DLNN_INT64)
      (*out)->idata[k] = a->t->idata[0];
    else
      (*out)->data[k] = a ? a->t->data[0] : 0.0f;
  }
  return 1;
}

/* Squeeze, Unsqueeze, Reshape and Identity keep the data. */
static int
eval_reshape_like (const dlnn_graph * g, const dlnn_node * n,
    const dlnn_tensor * const *in, dlnn_tensor ** out, char *reason,
    dlnn_status * st)
{
  const dlnn_tensor *x = in[0];
  int64_t dims[DLNN_MAX_DIMS], axes[DLNN_MAX_DIMS];
  int nd = 0, na;
  const char *t = n->op_type;

  if (strcmp (t, "Identity") == 0) {
    nd = x->ndim;
    memcpy (dims, x->dims, sizeof (dims));
  } else if (strcmp (t, "Reshape") == 0) {
    int64_t s[DLNN_MAX_DIMS], known = 1;
    int infer = -1;
    int allowzero = (int) dlnn_node_attr_int (n, "allowzero", 0);
    if (!ints_of (in[1], s, DLNN_MAX_DIMS, &nd))
      return REASON ("the shape input must be a 1-D int64 tensor");
    for (int k = 0; k < nd; k++) {
      dims[k] = s[k];
      if (s[k] == 0 && !allowzero) {
        if (k >= x->ndim)
          return REASON ("shape[%d]=0 refers to a missing dimension", k);
        dims[k] = x->dims[k];
      } else if (s[k] == -1) {
        if (infer >= 0)
          return REASON ("shape has more than one -1");
        infer = k;
        continue;
      } else if (s[k] < 0) {
        return REASON ("shape has a negative dimension");
      }
      known *= dims[k];
    }
    if (infer >= 0) {
      if (known == 0 || x->size % known)
        return REASON ("cannot infer the -1 dimension");
      dims[infer] = x->size / known;
      known = x->size;
    }
    if (known != x->size)
      return REASON ("element counts differ");
  } else {
    int from_input = g->opset >= 13, ax[DLNN_MAX_DIMS], mark[DLNN_MAX_DIMS] =
        { 0 };
    int unsq = strcmp (t, "Unsqueeze") == 0, rank;
    if (!axes_of (n, in, 1, from_input, axes, &na))
      return REASON ("axes must be constant int64 values");
    rank = unsq ? x->ndim + na : x->ndim;
    if (rank > DLNN_MAX_DIMS)
      return REASON ("result rank is more than %d", DLNN_MAX_DIMS);
    for (int k = 0; k < na; k++) {
      if (!norm_axis (axes[k], rank, &ax[k]))
        return REASON ("axis %lld is out of range", (long long) axes[k]);
      mark[ax[k]] = 1;
    }
    if (unsq) {
      int src = 0;
      for (int d = 0; d < rank; d++)
        dims[nd++] = mark[d] ? 1 : x->dims[src++];
    } else {
      for (int d = 0; d < x->ndim; d++) {
        if (na ? mark[d] : x->dims[d] == 1) {
          if (x->dims[d] != 1)
            return REASON ("axis %d has size %lld, not 1", d,
                (long long) x->dims[d]);
          continue;
        }
        dims[nd++] = x->dims[d];
      }
    }
  }
  *out = new_like (x->dtype, nd, dims, st);
  if (!*out)
    return -1;
  memcpy (edata (*out), edata (x), (size_t) x->size * esize (x));
  return 1;
}

static int
eval_concat (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor ** out, char *reason, dlnn_status * st)
{
  const dlnn_tensor *x = in[0];
  int64_t dims[DLNN_MAX_DIMS], outer = 1, inner = 1, off = 0;
  int axis;
  size_t es = esize (x);

  if (!norm_axis (dlnn_node_attr_int (n, "axis", 0), x->ndim, &axis))
    return REASON ("attribute axis is out of range");
  memcpy (dims, x->dims, sizeof (dims));
  dims[axis] = 0;
  for (int i = 0; i < n->n_inputs; i++) {
    const dlnn_tensor *t = in[i];
    if (!t)
      continue;
    if (t->dtype != x->dtype || t->ndim != x->ndim)
      return REASON ("inputs differ in type or rank");
    for (int d = 0; d < x->ndim; d++)
      if (d != axis && t->dims[d] != x->dims[d])
        return REASON ("input shapes differ off the axis");
    dims[axis] += t->dims[axis];
  }
  for (int d = 0; d < axis; d++)
    outer *= x->dims[d];
  for (int d = axis + 1; d < x->ndim; d++)
    inner *= x->dims[d];
  *out = new_like (x->dtype, x->ndim, dims, st);
  if (!*out)
    return -1;
  for (int i = 0; i < n->n_inputs; i++) {
    const dlnn_tensor *t = in[i];
    int64_t len;
    if (!t)
      continue;
    len = t->dims[axis] * inner;
    for (int64_t o = 0; o < outer; o++)
      memcpy (edata (*out) + (o * dims[axis] * inner + off) * es,
          edata (t) + o * len * es, (size_t) len * es);
    off += len;
  }
  return 1;
}

static int
eval_slice (const dlnn_graph * g, const dlnn_node * n,
    const dlnn_tensor * const *in, dlnn_tensor ** out, char *reason,
    dlnn_status * st)
{
  const dlnn_tensor *x = in[0];
  int64_t starts[DLNN_MAX_DIMS], ends[DLNN_MAX_DIMS], axes[DLNN_MAX_DIMS];
  int64_t steps[DLNN_MAX_DIMS], first[DLNN_MAX_DIMS], step[DLNN_MAX_DIMS];
  int64_t dims[DLNN_MAX_DIMS], xs[DLNN_MAX_DIMS], idx[DLNN_MAX_DIMS] = { 0 };
  int ns, ne, na = 0, nst = 0;
  size_t es = esize (x);

  if (g->opset < 10)
    return REASON ("opset %lld Slice attributes are not folded",
        (long long) g->opset);
  if (n->n_inputs < 3 || !ints_of (in[1], starts, DLNN_MAX_DIMS, &ns)
      || !ints_of (in[2], ends, DLNN_MAX_DIMS, &ne)
      || (n->n_inputs > 3 && in[3]
          && !ints_of (in[3], axes, DLNN_MAX_DIMS, &na))
      || (n->n_inputs > 4 && in[4]
          && !ints_of (in[4], steps, DLNN_MAX_DIMS, &nst)))
    return REASON ("starts, ends, axes and steps must be int64 vectors");
  if (ns != ne || (na && na != ns) || (nst && nst != ns) || ns > x->ndim)
    return REASON ("starts, ends, axes and steps have different lengths");
  for (int d = 0; d < x->ndim; d++) {
    dims[d] = x->dims[d];
    first[d] = 0;
    step[d] = 1;
  }
  for (int k = 0; k < ns; k++) {
    int a;
    int64_t dim, s = starts[k], e = ends[k], sp = nst ? steps[k] : 1;
    if (!norm_axis (na ? axes[k] : k, x->ndim, &a) || sp == 0)
      return REASON ("bad axis or zero step");
    dim = x->dims[a];
    if (s < 0)
      s = s < -dim ? 0 : s + dim;
    if (e < 0)
      e = e < -dim ? -1 : e + dim;
    if (sp > 0) {
      s = s > dim ? dim : s;
      e = e < 0 ? 0 : (e > dim ? dim : e);
      dims[a] = e > s ? (e - s + sp - 1) / sp : 0;
    } else {
      s = s > dim - 1 ? dim - 1 : s;
      e = e > dim - 1 ? dim - 1 : e;
      dims[a] = s > e ? (s - e - sp - 1) / (-sp) : 0;
    }
    first[a] = s;
    step[a] = sp;
  }
  *out = new_like (x->dtype, x->ndim, dims, st);
  if (!*out)
    return -1;
  {
    int64_t s = 1;
    for (int d = x->ndim - 1; d >= 0; d--) {
      xs[d] = s;
      s *= x->dims[d];
    }
  }
  for (int64_t k = 0; k < (*out)->size; k++) {
    int64_t src = 0;
    for (int d = 0; d < x->ndim; d++)
      src += (first[d] + idx[d] * step[d]) * xs[d];
    memcpy (edata (*out) + k * es, edata (x) + src * es, es);
    for (int d = x->ndim - 1; d >= 0; d--) {
      if (++idx[d] < dims[d])
        break;
      idx[d] = 0;
    }
  }
  return 1;
}

static int
eval_cast (const dlnn_node * n, const dlnn_tensor * x, dlnn_tensor ** out,
    char *reason, dlnn_status * st)
{
  int64_t to = dlnn_node_attr_int (n, "to", 0);

  if (to != DLNN_FLOAT32 && to != DLNN_INT64)
    return REASON ("attribute to=%lld is not supported (FLOAT=1 and "
        "INT64=7 are)", (long long) to);
  *out = new_like ((dlnn_dtype) to, x->ndim, x->dims, st);
  if (!*out)
    return -1;
  for (int64_t k = 0; k < x->size; k++) {
    if (to == DLNN_INT64)
      (*out)->idata[k] = x->dtype == DLNN_INT64 ? x->idata[k] :
          (int64_t) x->data[k];
    else
      (*out)->data[k] = x->dtype == DLNN_INT64 ? (float) x->idata[k] :
          x->data[k];
  }
  return 1;
}

static int
eval_arith (const dlnn_node * n, const dlnn_tensor * a, const dlnn_tensor * b,
    dlnn_tensor ** out, char *reason, dlnn_status * st)
{
  int64_t dims[DLNN_MAX_DIMS], as[DLNN_MAX_DIMS], bs[DLNN_MAX_DIMS];
  int64_t idx[DLNN_MAX_DIMS] = { 0 };
  int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
  char op = n->op_type[0];      /* A(dd) S(ub) M(ul) D(iv) */
  int64_t sa = 1, sb = 1;

  if (a->dtype != b->dtype)
    return REASON ("inputs differ in type");
  for (int d = nd - 1; d >= 0; d--) {
    int ia = d - (nd - a->ndim), ib = d - (nd - b->ndim);
    int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
    if (da != db && da != 1 && db != 1)
      return REASON ("shapes do not broadcast");
    dims[d] = da > db ? da : db;
    if (da == 0 || db == 0)
      dims[d] = 0;
    as[d] = da == 1 ? 0 : sa;
    bs[d] = db == 1 ? 0 : sb;
    sa *= da;
    sb *= db;
  }
  if (op == 'D' && a->dtype == DLNN_INT64)
    for (int64_t k = 0; k < b->size; k++)
      if (b->idata[k] == 0)
        return REASON ("integer division by zero");
  *out = new_like (a->dtype, nd, dims, st);
  if (!*out)
    return -1;
  for (int64_t k = 0; k < (*out)->size; k++) {
    int64_t ia = 0, ib = 0;
    for (int d = 0; d < nd; d++) {
      ia += idx[d] * as[d];
      ib += idx[d] * bs[d];
    }
    if (a->dtype == DLNN_INT64) {
      int64_t x = a->idata[ia], y = b->idata[ib];
      (*out)->idata[k] = op == 'A' ? x + y : op == 'S' ? x - y :
          op == 'M' ? x * y : x / y;
    } else {
      float x = a->data[ia], y = b->data[ib];
      (*out)->data[k] = op == 'A' ? x + y : op == 'S' ? x - y :
          op == 'M' ? x * y : x / y;
    }
    for (int d = nd - 1; d >= 0; d--) {
      if (++idx[d] < dims[d])
        break;
      idx[d] = 0;
    }
  }
  return 1;
}

/* Expand: numpy broadcasting of @x and the target shape @s (either side
 * may have 1 where the other has a larger size). */
static int
eval_expand (const dlnn_tensor * x, const dlnn_tensor * s,
    dlnn_tensor ** out, char *reason, dlnn_status * st)
{
  int64_t shp[DLNN_MAX_DIMS], dims[DLNN_MAX_DIMS], xs[DLNN_MAX_DIMS];
  int64_t idx[DLNN_MAX_DIMS] = { 0 }, stride = 1, total = 1;
  int ns, nd;
  size_t es = esize (x);

  if (!ints_of (s, shp, DLNN_MAX_DIMS, &ns))
    return REASON ("the shape input must be a 1-D int64 tensor of at most "
        "%d values", DLNN_MAX_DIMS);
  nd = ns > x->ndim ? ns : x->ndim;
  for (int d = nd - 1; d >= 0; d--) {
    int ix = d - (nd - x->ndim), is = d - (nd - ns);
    int64_t dx = ix >= 0 ? x->dims[ix] : 1, ds = is >= 0 ? shp[is] : 1;
    if (ds < 0)
      return REASON ("shape has a negative dimension");
    if (dx != ds && dx != 1 && ds != 1)
      return REASON ("input dimension %lld does not broadcast to %lld",
          (long long) dx, (long long) ds);
    dims[d] = dx == 1 ? ds : dx;
    xs[d] = dx == 1 ? 0 : stride;
    stride *= dx;
    if (dims[d] > 0 && total > DLNN_MAX_ELEMENTS / dims[d])
      return REASON ("result is too large");
    total *= dims[d];
  }
  *out = new_like (x->dtype, nd, dims, st);
  if (!*out)
    return -1;
  for (int64_t k = 0; k < (*out)->size; k++) {
    int64_t src = 0;
    for (int d = 0; d < nd; d++)
      src += idx[d] * xs[d];
    memcpy (edata (*out) + k * es, edata (x) + src * es, es);
    for (int d = nd - 1; d >= 0; d--) {
      if (++idx[d] < dims[d])
        break;
      idx[d] = 0;
    }
  }
  return 1;
}

int
dlnn_fold_is_foldable (const char *t)
{
  static const char *const ops[] = { "Shape", "Gather", "ConstantOfShape",
    "Unsqueeze", "Squeeze", "Concat", "Slice", "Cast", "Reshape", "Add",
    "Sub", "Mul", "Div", "Identity", "Expand", NULL
  };
  for (int i = 0; ops[i]; i++)
    if (strcmp (t, ops[i]) == 0)
      return 1;
  return 0;
}

int
dlnn_fold_eval (const dlnn_graph * g, const dlnn_node * n,
    const dlnn_tensor * const *in, dlnn_tensor ** out, char *reason,
    dlnn_status * st)
{
  const char *t = n->op_type;

  *out = NULL;
  reason[0] = '\0';
  if (n->n_outputs != 1)
    return REASON ("%d outputs", n->n_outputs);
  for (int i = 0; i < n->n_inputs; i++)
    if (in[i] && in[i]->dtype != DLNN_FLOAT32 && in[i]->dtype != DLNN_INT64)
      return REASON ("unsupported input type");
  if (strcmp (t, "Shape") == 0)
    return eval_shape (g, n, in[0], out, reason, st);
  if (strcmp (t, "Gather") == 0)
    return n->n_inputs == 2 ? eval_gather (n, in, out, reason, st) :
        REASON ("needs 2 inputs");
  if (strcmp (t, "ConstantOfShape") == 0)
    return eval_constant_of_shape (n, in[0], out, reason, st);
  if (strcmp (t, "Concat") == 0)
    return eval_concat (n, in, out, reason, st);
  if (strcmp (t, "Slice") == 0)
    return eval_slice (g, n, in, out, reason, st);
  if (strcmp (t, "Cast") == 0)
    return eval_cast (n, in[0], out, reason, st);
  if (strcmp (t, "Add") == 0 || strcmp (t, "Sub") == 0
      || strcmp (t, "Mul") == 0 || strcmp (t, "Div") == 0)
    return n->n_inputs == 2 ? eval_arith (n, in[0], in[1], out, reason, st) :
        REASON ("needs 2 inputs");
  if (strcmp (t, "Expand") == 0)
    return n->n_inputs == 2 && in[1] ?
        eval_expand (in[0], in[1], out, reason, st) :
        REASON ("needs 2 inputs");
  if (strcmp (t, "Reshape") == 0 && n->n_inputs < 2)
    return REASON ("needs 2 inputs");
  return eval_reshape_like (g, n, in, out, reason, st);
}
