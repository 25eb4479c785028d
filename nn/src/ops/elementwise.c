/* libdlnn - binary elementwise ops with numpy (multidirectional)
 * broadcasting: Add, Sub, Mul, Div. Backward reduces each gradient over the
 * dimensions its input was broadcast along.
 *
 * Shapes are collapsed first (size-1 output dims dropped, neighbouring
 * dims merged when both inputs are contiguous or both broadcast across
 * them), so the common cases (same shape, scalar, per-channel bias) run as
 * one or a few simple vectorisable loops. */
#include "common.h"
#include "parallel.h"

enum
{ EW_ADD, EW_SUB, EW_MUL, EW_DIV };

typedef struct ew_geom
{
  int nd;
  int64_t dims[DLNN_MAX_DIMS];
  int64_t sa[DLNN_MAX_DIMS], sb[DLNN_MAX_DIMS];
  int64_t size;
  int ondim;
  int64_t odims[DLNN_MAX_DIMS];
} ew_geom;

static dlnn_code
ew_geom_get (const dlnn_node * n, const dlnn_tensor * a,
    const dlnn_tensor * b, ew_geom * g, dlnn_status * st)
{
  int r = a->ndim > b->ndim ? a->ndim : b->ndim;
  int64_t sa[DLNN_MAX_DIMS], sb[DLNN_MAX_DIMS], pa = 1, pb = 1;

  memset (g, 0, sizeof (*g));
  g->ondim = r;
  g->size = 1;
  for (int d = r - 1; d >= 0; d--) {
    int ai = d - (r - a->ndim), bi = d - (r - b->ndim);
    int64_t da = ai >= 0 ? a->dims[ai] : 1, db = bi >= 0 ? b->dims[bi] : 1;
    if (da != db && da != 1 && db != 1)
      return dlnn_op_shape_error (n, st, "inputs do not broadcast: A, B", a,
          b);
    g->odims[d] = da == 1 ? db : da;
    sa[d] = da == 1 ? 0 : pa;
    sb[d] = db == 1 ? 0 : pb;
    pa *= da;
    pb *= db;
    g->size *= g->odims[d];
  }
  /* collapse */
  g->nd = 0;
  for (int d = 0; d < r; d++) {
    int k = g->nd;
    if (g->odims[d] == 1)
      continue;
    if (k > 0 && g->sa[k - 1] == sa[d] * g->odims[d]
        && g->sb[k - 1] == sb[d] * g->odims[d]) {
      g->dims[k - 1] *= g->odims[d];
      g->sa[k - 1] = sa[d];
      g->sb[k - 1] = sb[d];
      continue;
    }
    g->dims[k] = g->odims[d];
    g->sa[k] = sa[d];
    g->sb[k] = sb[d];
    g->nd++;
  }
  if (g->nd == 0) {
    g->nd = 1;
    g->dims[0] = 1;
    g->sa[0] = g->sb[0] = 0;
  }
  return DLNN_OK;
}

static dlnn_code
ew_shape (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, dlnn_status * st)
{
  ew_geom g;
  dlnn_code c = ew_geom_get (n, in[0], in[1], &g, st);

  if (c != DLNN_OK)
    return c;
  return dlnn_op_set_shape (n, out[0], g.ondim, g.odims, st);
}

#define EW_LOOP(expr) \
  for (int64_t i = 0; i < cnt; i++) y[i] = (expr)

#define EW_SWITCH(A, B) \
  switch (op) { \
    case EW_ADD: EW_LOOP (A + B); break; \
    case EW_SUB: EW_LOOP (A - B); break; \
    case EW_MUL: EW_LOOP (A * B); break; \
    default: EW_LOOP (A / B); break; \
  }

static void
ew_row (int op, int64_t cnt, const float *a, int64_t ia, const float *b,
    int64_t ib, float *y)
{
  if (ia && ib) {
    EW_SWITCH (a[i], b[i]);
  } else if (ia) {
    const float bv = b[0];
    EW_SWITCH (a[i], bv);
  } else if (ib) {
    const float av = a[0];
    EW_SWITCH (av, b[i]);
  } else {
    const float av = a[0], bv = b[0];
    EW_SWITCH (av, bv);
  }
}

/* Gradient of one row into input @which (0 = A, 1 = B); @id is the stride
 * of that input in the row (0 = broadcast: the row reduces). */
static void
ew_row_grad (int op, int which, int64_t cnt, const float *dy,
    const float *a, int64_t ia, const float *b, int64_t ib, float *d,
    int64_t id)
{
  if (op == EW_ADD || op == EW_SUB) {
    float sgn = op == EW_SUB && which == 1 ? -1.0f : 1.0f;
    if (id) {
      for (int64_t i = 0; i < cnt; i++)
        d[i] += sgn * dy[i];
    } else {
      d[0] += sgn * dlnn_sum (dy, cnt);
    }
  } else if (op == EW_MUL) {
    const float *o = which == 0 ? b : a;
    int64_t io = which == 0 ? ib : ia;
    if (id && io) {
      for (int64_t i = 0; i < cnt; i++)
        d[i] += dy[i] * o[i];
    } else if (id) {
      const float ov = o[0];
      for (int64_t i = 0; i < cnt; i++)
        d[i] += dy[i] * ov;
    } else {
      d[0] += io ? dlnn_dot (dy, o, cnt) : dlnn_sum (dy, cnt) * o[0];
    }
  } else {
    float s = 0.0f;
    for (int64_t i = 0; i < cnt; i++) {
      float av = a[i * ia], bv = b[i * ib];
      float gv = which == 0 ? dy[i] / bv : -dy[i] * av / (bv * bv);
      if (id)
        d[i] += gv;
      else
        s += gv;
    }
    if (!id)
      d[0] += s;
  }
}

/* Walks rows [r0, r1) of the collapsed output, calling the row kernel for
 * each innermost row (or for elements [r0, r1) of a 1-D walk when
 * @elements). which < 0: forward into y; else gradient into d (shape of
 * that input). */
typedef struct ew_job
{
  int op, which, elements;
  const ew_geom *g;
  const float *a, *b, *dy;
  float *y, *d;
} ew_job;

static void
ew_walk (void *arg, int64_t r0, int64_t r1)
{
  const ew_job *j = arg;
  const ew_geom *g = j->g;
  int nd = g->nd;
  int64_t inner = g->dims[nd - 1], ia = g->sa[nd - 1], ib = g->sb[nd - 1];
  int64_t oa = 0, ob = 0, rem = r0;
  int64_t idx[DLNN_MAX_DIMS] = { 0 };

  if (j->elements) {
    /* one row split over threads: r0, r1 are element indices */
    int64_t cnt = r1 - r0;
    oa = ia * r0;
    ob = ib * r0;
    if (j->which < 0)
      ew_row (j->op, cnt, j->a + oa, ia, j->b + ob, ib, j->y + r0);
    else
      ew_row_grad (j->op, j->which, cnt, j->dy + r0, j->a + oa, ia,
          j->b + ob, ib, j->d + (j->which == 0 ? oa : ob),
          j->which == 0 ? ia : ib);
    return;
  }
  for (int k = nd - 2; k >= 0; k--) {
    idx[k] = rem % g->dims[k];
    rem /= g->dims[k];
    oa += idx[k] * g->sa[k];
    ob += idx[k] * g->sb[k];
  }
  for (int64_t o = r0; o < r1; o++) {
    if (j->which < 0)
      ew_row (j->op, inner, j->a + oa, ia, j->b + ob, ib, j->y + o * inner);
    else
      ew_row_grad (j->op, j->which, inner, j->dy + o * inner, j->a + oa, ia,
          j->b + ob, ib, j->d + (j->which == 0 ? oa : ob),
          j->which == 0 ? ia : ib);
    for (int k = nd - 2; k >= 0; k--) {
      idx[k]++;
      oa += g->sa[k];
      ob += g->sb[k];
      if (idx[k] < g->dims[k])
        break;
      oa -= g->sa[k] * g->dims[k];
      ob -= g->sb[k] * g->dims[k];
      idx[k] = 0;
    }
  }
}

/* Runs a walk, in parallel when the written locations of different parts
 * cannot overlap (forward always; gradients unless the input is broadcast
 * along the split dimension). */
static void
ew_run (int op, int which, const ew_geom * g, const float *a,
    const float *b, float *y, const float *dy, float *d)
{
  ew_job j = { op, which, 0, g, a, b, dy, y, d };
  int nd = g->nd;
  int64_t inner = g->dims[nd - 1], rows = g->size / inner;
  int disjoint = 1;

  if (which >= 0)
    for (int k = 0; k < nd - 1; k++)
      if ((which == 0 ? g->sa[k] : g->sb[k]) == 0)
        disjoint = 0;
  if (rows == 1) {
    int64_t id = which < 0 ? 1 : which == 0 ? g->sa[0] : g->sb[0];
    j.elements = 1;
    if (id == 0)
      ew_walk (&j, 0, inner);   /* a reduction: serial */
    else
      dlnn_parallel_for (inner, DLNN_PAR_WORK, ew_walk, &j);
    return;
  }
  if (!disjoint) {
    ew_walk (&j, 0, rows);
    return;
  }
  dlnn_parallel_for (rows, DLNN_PAR_WORK / inner + 1, ew_walk, &j);
}

static dlnn_code
ew_forward (int op, const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, dlnn_status * st)
{
  ew_geom g;
  dlnn_code c = ew_geom_get (n, in[0], in[1], &g, st);

  if (c != DLNN_OK)
    return c;
  if (g.size > 0)
    ew_run (op, -1, &g, in[0]->data, in[1]->data, out[0]->data, NULL, NULL);
  return DLNN_OK;
}

static dlnn_code
ew_backward (int op, const dlnn_node * n, const dlnn_tensor * const *in,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  dlnn_tensor *da = dlnn_op_din (n, din, 0), *db = dlnn_op_din (n, din, 1);
  ew_geom g;
  dlnn_code c = ew_geom_get (n, in[0], in[1], &g, st);

  if (c != DLNN_OK)
    return c;
  if (g.size == 0)
    return DLNN_OK;
  if (da)
    ew_run (op, 0, &g, in[0]->data, in[1]->data, NULL, dout[0]->data,
        da->data);
  if (db)
    ew_run (op, 1, &g, in[0]->data, in[1]->data, NULL, dout[0]->data,
        db->data);
  return DLNN_OK;
}

#define EW_OP(lname, Name, OPC) \
static dlnn_code \
lname##_forward (const dlnn_node * n, dlnn_op_ctx * ctx, \
    const dlnn_tensor * const *in, dlnn_tensor * const *out, \
    dlnn_status * st) \
{ \
  return ew_forward (OPC, n, in, out, st); \
} \
\
static dlnn_code \
lname##_backward (const dlnn_node * n, dlnn_op_ctx * ctx, \
    const dlnn_tensor * const *in, const dlnn_tensor * const *out, \
    const dlnn_tensor * const *dout, dlnn_tensor * const *din, \
    dlnn_status * st) \
{ \
  return ew_backward (OPC, n, in, dout, din, st); \
} \
\
const dlnn_op dlnn_op_##lname = { \
  .type = Name, \
  .min_inputs = 2,.max_inputs = 2, \
  .min_outputs = 1,.max_outputs = 1, \
  .shape = ew_shape, \
  .forward = lname##_forward, \
  .backward = lname##_backward, \
};

EW_OP (add, "Add", EW_ADD)
EW_OP (sub, "Sub", EW_SUB)
EW_OP (mul, "Mul", EW_MUL)
EW_OP (div, "Div", EW_DIV)
