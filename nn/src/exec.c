/* libdlnn - executor: memory planning, forward, backward. */
#include "op.h"
#include "dlnn/exec.h"
#include "ops/parallel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_NODE_IO 64

struct dlnn_exec
{
  dlnn_graph *g;
  unsigned flags;
  int training;                 /* current mode */
  dlnn_rng rng;

  /* per input: requested shape */
  int *in_ndim;
  int64_t *in_dims;             /* n_inputs * DLNN_MAX_DIMS */
  int *in_set;
  int planned;

  dlnn_tensor *vals;            /* per value */
  dlnn_tensor *grads;           /* per value, training only */
  int *needs_grad;              /* per value */
  int *aliased;                 /* per node: forward skipped */

  float *arena;                 /* activations */
  size_t arena_floats;
  float *grad_arena;
  size_t grad_arena_floats;
  float *saved_arena;
  size_t *saved_off;            /* per node */
  size_t *saved_len;
  size_t saved_floats;
  float *workspace;
  size_t workspace_floats;
  /* capacities (floats) of the four buffers above: a plan that fits
   * reuses them, so reshaping to a shape no larger than an earlier one
   * allocates nothing */
  size_t arena_cap, grad_cap, saved_cap, workspace_cap;
  /* planner scratch, kept between plans: n_values + 1 entries each, and
   * the free list with its capacity */
  size_t *plan_off;
  size_t *plan_sub;             /* offset of a value in its root's storage */
  int *plan_root, *plan_last;
  void *plan_blocks;
  int plan_blocks_cap;

  /* DLNN_PROFILE=1 at dlnn_exec_new: seconds spent per node in forward,
   * accumulated (NULL when off: one branch per node) */
  double *node_seconds;
};

dlnn_exec *
dlnn_exec_new (dlnn_graph * g, unsigned flags, dlnn_status * st)
{
  dlnn_exec *e;
  dlnn_code ret;

  if (!g) {
    dlnn_status_set (st, DLNN_ERR_INVALID, "no graph");
    return NULL;
  }
  ret = dlnn_graph_finalize (g, st);
  if (ret != DLNN_OK)
    return NULL;
  e = calloc (1, sizeof (*e));
  if (!e)
    goto nomem;
  e->g = g;
  e->flags = flags;
  e->training = (flags & DLNN_EXEC_TRAINING) != 0;
  dlnn_rng_seed (&e->rng, 0x5eed);
  e->in_ndim = calloc ((size_t) g->n_inputs + 1, sizeof (int));
  e->in_dims = calloc (((size_t) g->n_inputs + 1) * DLNN_MAX_DIMS,
      sizeof (int64_t));
  e->in_set = calloc ((size_t) g->n_inputs + 1, sizeof (int));
  e->vals = calloc ((size_t) g->n_values + 1, sizeof (dlnn_tensor));
  e->grads = calloc ((size_t) g->n_values + 1, sizeof (dlnn_tensor));
  e->needs_grad = calloc ((size_t) g->n_values + 1, sizeof (int));
  e->aliased = calloc ((size_t) g->n_nodes + 1, sizeof (int));
  e->saved_off = calloc ((size_t) g->n_nodes + 1, sizeof (size_t));
  e->saved_len = calloc ((size_t) g->n_nodes + 1, sizeof (size_t));
  if (!e->in_ndim || !e->in_dims || !e->in_set || !e->vals || !e->grads
      || !e->needs_grad || !e->aliased || !e->saved_off || !e->saved_len) {
    dlnn_exec_free (e);
    goto nomem;
  }
  /* default input shapes: the declared ones when fully static */
  for (int i = 0; i < g->n_inputs; i++) {
    const dlnn_value *v = &g->values[g->inputs[i]];
    int ok = 1;
    for (int d = 0; d < v->ndim; d++)
      if (v->dims[d] < 0)
        ok = 0;
    if (ok) {
      e->in_ndim[i] = v->ndim;
      memcpy (&e->in_dims[i * DLNN_MAX_DIMS], v->dims,
          sizeof (int64_t) * (size_t) v->ndim);
      e->in_set[i] = 1;
    }
  }
  {
    const char *prof = getenv ("DLNN_PROFILE");
    if (prof && prof[0] && strcmp (prof, "0") != 0) {
      e->node_seconds = calloc ((size_t) g->n_nodes + 1, sizeof (double));
      if (!e->node_seconds) {
        dlnn_exec_free (e);
        goto nomem;
      }
    }
  }
  return e;

nomem:
  dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  return NULL;
}

static void
free_plan (dlnn_exec * e)
{
  free (e->arena);
  free (e->grad_arena);
  free (e->saved_arena);
  free (e->workspace);
  e->arena = e->grad_arena = e->saved_arena = e->workspace = NULL;
  e->arena_floats = e->grad_arena_floats = e->saved_floats = 0;
  e->workspace_floats = 0;
  e->arena_cap = e->grad_cap = e->saved_cap = e->workspace_cap = 0;
  e->planned = 0;
}

/* Makes *@buf (capacity *@cap floats, 64-byte aligned) hold at least @n
 * floats (at least 16): reused when it fits, else replaced. */
static int
ensure_floats (float **buf, size_t *cap, size_t n)
{
  n = n < 16 ? 16 : (n + 15) & ~(size_t) 15;
  if (*buf && *cap >= n)
    return 1;
  free (*buf);
  *buf = aligned_alloc (64, n * sizeof (float));
  *cap = *buf ? n : 0;
  return *buf != NULL;
}

void
dlnn_exec_free (dlnn_exec * e)
{
  if (!e)
    return;
  free_plan (e);
  free (e->plan_off);
  free (e->plan_sub);
  free (e->plan_root);
  free (e->plan_last);
  free (e->plan_blocks);
  free (e->in_ndim);
  free (e->in_dims);
  free (e->in_set);
  free (e->vals);
  free (e->grads);
  free (e->needs_grad);
  free (e->aliased);
  free (e->saved_off);
  free (e->saved_len);
  free (e->node_seconds);
  free (e);
}

void
dlnn_exec_set_training (dlnn_exec * e, int training)
{
  e->training = training && (e->flags & DLNN_EXEC_TRAINING);
}

void
dlnn_exec_seed (dlnn_exec * e, uint64_t seed)
{
  dlnn_rng_seed (&e->rng, seed);
}

void
dlnn_exec_get_rng (const dlnn_exec * e, dlnn_rng * out)
{
  *out = e->rng;
}

void
dlnn_exec_set_rng (dlnn_exec * e, const dlnn_rng * in)
{
  e->rng = *in;
}

/* First-fit allocator over an arena of floats with a free list; blocks are
 * 16-float aligned. Used to reuse activation memory at inference. */
typedef struct
{
  size_t off, len;
} block;

typedef struct
{
  block *free_blocks;
  int n_free, cap;
  size_t top;
} planner;

static size_t
align16 (size_t n)
{
  return (n + 15) & ~(size_t) 15;
}

static size_t
plan_alloc (planner * p, size_t len)
{
  int best = -1;
  len = align16 (len ? len : 1);
  for (int i = 0; i < p->n_free; i++)
    if (p->free_blocks[i].len >= len
        && (best < 0 || p->free_blocks[i].len < p->free_blocks[best].len))
      best = i;
  if (best >= 0) {
    size_t off = p->free_blocks[best].off;
    if (p->free_blocks[best].len == len) {
      p->free_blocks[best] = p->free_blocks[--p->n_free];
    } else {
      p->free_blocks[best].off += len;
      p->free_blocks[best].len -= len;
    }
    return off;
  }
  p->top += len;
  return p->top - len;
}

static int
plan_release (planner * p, size_t off, size_t len)
{
  len = align16 (len ? len : 1);
  if (p->n_free == p->cap) {
    int ncap = p->cap ? p->cap * 2 : 32;
    block *b = realloc (p->free_blocks, (size_t) ncap * sizeof (block));
    if (!b)
      return 0;
    p->free_blocks = b;
    p->cap = ncap;
  }
  /* merge with a neighbour when adjacent */
  for (int i = 0; i < p->n_free; i++) {
    if (p->free_blocks[i].off + p->free_blocks[i].len == off) {
      p->free_blocks[i].len += len;
      return 1;
    }
    if (off + len == p->free_blocks[i].off) {
      p->free_blocks[i].off = off;
      p->free_blocks[i].len += len;
      return 1;
    }
  }
  p->free_blocks[p->n_free].off = off;
  p->free_blocks[p->n_free].len = len;
  p->n_free++;
  return 1;
}

static void
node_io (dlnn_exec * e, const dlnn_node * n, dlnn_tensor * vals,
    const dlnn_tensor ** in, dlnn_tensor ** out)
{
  for (int j = 0; j < n->n_inputs; j++)
    in[j] = n->inputs[j] >= 0 ? &vals[n->inputs[j]] : NULL;
  for (int j = 0; j < n->n_outputs; j++)
    out[j] = n->outputs[j] >= 0 ? &vals[n->outputs[j]] : NULL;
}

#define PLAN_UNPLACED ((size_t) -1)

/* At inference, a Concat whose inputs are each written by a node and read
 * as a whole slice of its output (the dimensions before the axis are 1)
 * is skipped: its inputs are placed at their offsets in its output, so
 * their producers write there (squeezenet's fire modules: no copy).
 * Values sharing an input's storage (Reshape of it) follow it. */
static void
plan_concat_views (dlnn_exec * e, int *root, size_t *sub)
{
  dlnn_graph *g = e->g;

  for (int i = 0; i < g->n_nodes; i++) {
    const dlnn_node *n = &g->nodes[i];
    const dlnn_tensor *y;
    int64_t axis, outer = 1;
    size_t at = 0;
    int ok;

    if (strcmp (n->op_type, "Concat") != 0
        || (n->domain && *n->domain && strcmp (n->domain, "ai.onnx") != 0)
        || n->n_outputs != 1 || n->outputs[0] < 0 || n->n_inputs < 1
        || e->aliased[i])
      continue;
    y = &e->vals[n->outputs[0]];
    axis = dlnn_node_attr_int (n, "axis", 0);
    axis = axis < 0 ? axis + y->ndim : axis;
    if (y->dtype != DLNN_FLOAT32 || axis < 0 || axis >= y->ndim
        || root[n->outputs[0]] != n->outputs[0])
      continue;
    for (int d = 0; d < axis; d++)
      outer *= y->dims[d];
    ok = outer == 1;
    for (int j = 0; ok && j < n->n_inputs; j++) {
      int v = n->inputs[j];
      const dlnn_value *val = v >= 0 ? &g->values[v] : NULL;
      ok = val && val->kind == DLNN_VALUE_INTERMEDIATE && val->producer >= 0
          && !val->is_output && root[v] == v
          && e->vals[v].dtype == DLNN_FLOAT32 && e->vals[v].size > 0;
      for (int k = 0; ok && k < j; k++)
        ok = n->inputs[k] != v;
    }
    if (!ok)
      continue;
    for (int j = 0; j < n->n_inputs; j++) {
      int v = n->inputs[j];
      for (int w = 0; w < g->n_values; w++)
        if (root[w] == v) {
          root[w] = n->outputs[0];
          sub[w] += at;
        }
      at += (size_t) e->vals[v].size;
    }
    e->aliased[i] = 1;
  }
}

static dlnn_code
plan (dlnn_exec * e, dlnn_status * st)
{
  dlnn_graph *g = e->g;
  int train = (e->flags & DLNN_EXEC_TRAINING) != 0;
  int nv = g->n_values, nn = g->n_nodes;
  size_t *off;
  int *root, *last_use;
  planner p = { 0 };
  dlnn_code ret = DLNN_OK;
  const dlnn_tensor *in[MAX_NODE_IO];
  dlnn_tensor *out[MAX_NODE_IO];
  size_t ws = 0, saved = 0;

  /* the buffers are kept (and reused if the new plan fits) */
  e->planned = 0;
  memset (e->vals, 0, sizeof (dlnn_tensor) * (size_t) nv);
  memset (e->grads, 0, sizeof (dlnn_tensor) * (size_t) nv);
  for (int i = 0; i < g->n_inputs; i++) {
    dlnn_tensor *t = &e->vals[g->inputs[i]];
    t->dtype = DLNN_FLOAT32;
    ret = dlnn_tensor_set_shape (t, e->in_ndim[i],
        &e->in_dims[i * DLNN_MAX_DIMS], st);
    if (ret != DLNN_OK)
      return ret;
    {
      const dlnn_value *v = &g->values[g->inputs[i]];
      int ok = v->ndim == t->ndim;
      for (int d = 0; ok && d < v->ndim; d++)
        if (v->dims[d] >= 0 && v->dims[d] != t->dims[d])
          ok = 0;
      if (!ok) {
        char a[128], b[128];
        return dlnn_status_set (st, DLNN_ERR_SHAPE,
            "input '%s' has shape %s, the model expects %s", v->name,
            dlnn_shape_str (t->ndim, t->dims, a, sizeof (a)),
            dlnn_shape_str (v->ndim, v->dims, b, sizeof (b)));
      }
    }
  }
  ret = dlnn_graph_infer_shapes (g, e->vals, st);
  if (ret != DLNN_OK)
    return ret;

  if (!e->plan_off) {
    e->plan_off = calloc ((size_t) nv + 1, sizeof (size_t));
    e->plan_sub = calloc ((size_t) nv + 1, sizeof (size_t));
    e->plan_root = calloc ((size_t) nv + 1, sizeof (int));
    e->plan_last = calloc ((size_t) nv + 1, sizeof (int));
  }
  off = e->plan_off;
  root = e->plan_root;
  last_use = e->plan_last;
  p.free_blocks = e->plan_blocks;
  p.cap = e->plan_blocks_cap;
  if (!off || !root || !last_use || !e->plan_sub) {
    ret = dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    goto out;
  }
  memset (e->plan_sub, 0, ((size_t) nv + 1) * sizeof (size_t));
  for (int v = 0; v < nv; v++) {
    off[v] = PLAN_UNPLACED;
    root[v] = v;
    last_use[v] = -1;
  }
  /* aliasing: output 0 shares input 0's storage */
  for (int i = 0; i < nn; i++) {
    const dlnn_node *n = &g->nodes[i];
    int a = n->op->alias_input0;
    e->aliased[i] = 0;
    if ((a == DLNN_ALIAS_ALWAYS || (a == DLNN_ALIAS_INFERENCE && !train))
        && n->inputs[0] >= 0 && e->vals[n->inputs[0]].dtype == DLNN_FLOAT32
        && e->vals[n->inputs[0]].size == e->vals[n->outputs[0]].size
        && g->values[n->inputs[0]].kind != DLNN_VALUE_PARAM) {
      e->aliased[i] = 1;
      root[n->outputs[0]] = root[n->inputs[0]];
    }
  }
  if (!train)
    plan_concat_views (e, root, e->plan_sub);
  for (int i = 0; i < nn; i++) {
    const dlnn_node *n = &g->nodes[i];
    for (int j = 0; j < n->n_inputs; j++)
      if (n->inputs[j] >= 0)
        last_use[root[n->inputs[j]]] = i;
    for (int j = 0; j < n->n_outputs; j++)
      if (n->outputs[j] >= 0 && last_use[root[n->outputs[j]]] < i)
        last_use[root[n->outputs[j]]] = i;
  }
  for (int i = 0; i < g->n_outputs; i++)
    last_use[root[g->outputs[i]]] = nn;

  /* graph inputs first, then node outputs in order; at inference release
   * storage after its last use */
  for (int i = 0; i < g->n_inputs; i++)
    off[g->inputs[i]] = plan_alloc (&p, (size_t) e->vals[g->inputs[i]].size);
  for (int i = 0; i < nn; i++) {
    const dlnn_node *n = &g->nodes[i];
    for (int j = 0; j < n->n_outputs; j++) {
      int v = n->outputs[j];
      /* a root is placed with its first producer: a Concat's output
       * with the first of its inputs (plan_concat_views) */
      if (v >= 0 && off[root[v]] == PLAN_UNPLACED)
        off[root[v]] = plan_alloc (&p, (size_t) e->vals[root[v]].size);
    }
    if (!train) {
      for (int j = 0; j < n->n_inputs; j++) {
        int v = n->inputs[j] >= 0 ? root[n->inputs[j]] : -1;
        if (v < 0 || g->values[v].kind != DLNN_VALUE_INTERMEDIATE)
          continue;
        if (last_use[v] == i) {
          last_use[v] = -2;     /* released once */
          if (!plan_release (&p, off[v], (size_t) e->vals[v].size)) {
            ret = dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
            goto out;
          }
        }
      }
      /* outputs nobody reads */
      for (int j = 0; j < n->n_outputs; j++) {
        int v = n->outputs[j];
        if (v >= 0 && root[v] == v && last_use[v] == i) {
          last_use[v] = -2;
          plan_release (&p, off[v], (size_t) e->vals[v].size);
        }
      }
    }
  }
  e->arena_floats = p.top;
  if (!ensure_floats (&e->arena, &e->arena_cap, p.top)) {
    ret = dlnn_status_set (st, DLNN_ERR_NOMEM,
        "out of memory planning %zu bytes of activations",
        p.top * sizeof (float));
    goto out;
  }
  for (int v = 0; v < nv; v++) {
    dlnn_tensor *t = &e->vals[v];
    if (g->values[v].kind == DLNN_VALUE_PARAM)
      continue;
    if (g->values[v].kind == DLNN_VALUE_INTERMEDIATE
        && g->values[v].producer < 0)
      continue;
    t->owns = 0;
    if (t->dtype == DLNN_INT64) {
      ret = dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
          "value '%s' is an int64 tensor computed at run time",
          g->values[v].name);
      goto out;
    }
    if (off[root[v]] == PLAN_UNPLACED)
      continue;
    t->data = e->arena + off[root[v]] + e->plan_sub[v];
  }

  /* workspace and saved state */
  for (int i = 0; i < nn; i++) {
    const dlnn_node *n = &g->nodes[i];
    node_io (e, n, e->vals, in, out);
    if (n->op->workspace) {
      size_t w = n->op->workspace (n, in, (const dlnn_tensor * const *) out,
          train);
      if (w > ws)
        ws = w;
    }
    e->saved_off[i] = saved;
    e->saved_len[i] = 0;
    if (train && n->op->saved) {
      size_t s = align16 (n->op->saved (n, in,
              (const dlnn_tensor * const *) out));
      e->saved_len[i] = s;
      saved += s;
    }
  }
  e->workspace_floats = ws;
  e->saved_floats = saved;
  if (!ensure_floats (&e->workspace, &e->workspace_cap, align16 (ws))
      || !ensure_floats (&e->saved_arena, &e->saved_cap, saved)) {
    ret = dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory (workspace)");
    goto out;
  }

  /* gradients */
  if (train) {
    size_t gtop = 0;
    for (int v = 0; v < nv; v++) {
      const dlnn_value *val = &g->values[v];
      e->needs_grad[v] = (val->kind == DLNN_VALUE_PARAM && val->trainable)
          || (val->kind == DLNN_VALUE_INPUT
          && (e->flags & DLNN_EXEC_INPUT_GRAD));
    }
    for (int i = 0; i < nn; i++) {
      const dlnn_node *n = &g->nodes[i];
      int any = 0;
      for (int j = 0; j < n->n_inputs; j++)
        if (n->inputs[j] >= 0 && e->needs_grad[n->inputs[j]])
          any = 1;
      for (int j = 0; j < n->n_outputs; j++)
        if (n->outputs[j] >= 0)
          e->needs_grad[n->outputs[j]] = any;
    }
    for (int v = 0; v < nv; v++)
      if (e->needs_grad[v])
        gtop += align16 ((size_t) e->vals[v].size);
    e->grad_arena_floats = gtop;
    if (!ensure_floats (&e->grad_arena, &e->grad_cap, gtop)) {
      ret = dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory (gradients)");
      goto out;
    }
    memset (e->grad_arena, 0, e->grad_cap * sizeof (float));
    gtop = 0;
    for (int v = 0; v < nv; v++) {
      if (!e->needs_grad[v])
        continue;
      e->grads[v] = e->vals[v];
      e->grads[v].owns = 0;
      e->grads[v].idata = NULL;
      e->grads[v].dtype = DLNN_FLOAT32;
      e->grads[v].data = e->grad_arena + gtop;
      gtop += align16 ((size_t) e->vals[v].size);
    }
  }
  e->planned = 1;

out:
  e->plan_blocks = p.free_blocks;
  e->plan_blocks_cap = p.cap;
  if (ret != DLNN_OK)
    free_plan (e);
  return ret;
}

dlnn_code
dlnn_exec_reshape (dlnn_exec * e, int input, int ndim, const int64_t * dims,
    dlnn_status * st)
{
  int same;

  if (input < 0 || input >= e->g->n_inputs)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "input index %d out of range (graph has %d inputs)", input,
        e->g->n_inputs);
  if (ndim < 0 || ndim > DLNN_MAX_DIMS)
    return dlnn_status_set (st, DLNN_ERR_UNSUPPORTED, "rank %d", ndim);
  same = e->in_set[input] && e->in_ndim[input] == ndim
      && memcmp (&e->in_dims[input * DLNN_MAX_DIMS], dims,
      sizeof (int64_t) * (size_t) ndim) == 0;
  if (same && e->planned)
    return DLNN_OK;
  e->in_ndim[input] = ndim;
  memcpy (&e->in_dims[input * DLNN_MAX_DIMS], dims,
      sizeof (int64_t) * (size_t) ndim);
  e->in_set[input] = 1;
  e->planned = 0;
  for (int i = 0; i < e->g->n_inputs; i++)
    if (!e->in_set[i])
      return DLNN_OK;           /* plan when all are known */
  return plan (e, st);
}

static dlnn_code
ensure_planned (dlnn_exec * e, dlnn_status * st)
{
  if (e->planned)
    return DLNN_OK;
  for (int i = 0; i < e->g->n_inputs; i++)
    if (!e->in_set[i])
      return dlnn_status_set (st, DLNN_ERR_SHAPE,
          "shape of input '%s' is not set (dlnn_exec_reshape)",
          e->g->values[e->g->inputs[i]].name);
  return plan (e, st);
}

dlnn_tensor *
dlnn_exec_input (dlnn_exec * e, int i)
{
  if (i < 0 || i >= e->g->n_inputs || ensure_planned (e, NULL) != DLNN_OK)
    return NULL;
  return &e->vals[e->g->inputs[i]];
}

static dlnn_code
exec_forward (dlnn_exec * e, dlnn_status * st)
{
  dlnn_graph *g = e->g;
  const dlnn_tensor *in[MAX_NODE_IO];
  dlnn_tensor *out[MAX_NODE_IO];
  dlnn_op_ctx ctx;
  dlnn_code ret = ensure_planned (e, st);

  if (ret != DLNN_OK)
    return ret;
  ctx.training = e->training;
  ctx.rng = &e->rng;
  ctx.workspace = e->workspace;
  ctx.workspace_size = e->workspace_floats;
  ctx.graph = g;
  for (int i = 0; i < g->n_nodes; i++) {
    const dlnn_node *n = &g->nodes[i];
    if (e->aliased[i])
      continue;
    node_io (e, n, e->vals, in, out);
    ctx.saved = e->saved_arena + e->saved_off[i];
    ctx.saved_size = e->saved_len[i];
    if (e->node_seconds) {
      struct timespec t0, t1;
      clock_gettime (CLOCK_MONOTONIC, &t0);
      ret = n->op->forward (n, &ctx, in, out, st);
      clock_gettime (CLOCK_MONOTONIC, &t1);
      e->node_seconds[i] += (double) (t1.tv_sec - t0.tv_sec)
          + 1e-9 * (double) (t1.tv_nsec - t0.tv_nsec);
    } else {
      ret = n->op->forward (n, &ctx, in, out, st);
    }
    if (ret != DLNN_OK)
      return ret;
  }
  return DLNN_OK;
}

const double *
dlnn_exec_node_seconds (const dlnn_exec * e)
{
  return e ? e->node_seconds : NULL;
}

void
dlnn_exec_profile_reset (dlnn_exec * e)
{
  if (e && e->node_seconds)
    memset (e->node_seconds, 0, sizeof (double) * (size_t) e->g->n_nodes);
}

const dlnn_tensor *
dlnn_exec_output (const dlnn_exec * e, int i)
{
  if (i < 0 || i >= e->g->n_outputs || !e->planned)
    return NULL;
  return &e->vals[e->g->outputs[i]];
}

const dlnn_tensor *
dlnn_exec_value (const dlnn_exec * e, int value)
{
  if (value < 0 || value >= e->g->n_values || !e->planned)
    return NULL;
  if (!e->vals[value].data && !e->vals[value].idata)
    return NULL;
  return &e->vals[value];
}

void
dlnn_exec_zero_grad (dlnn_exec * e)
{
  if (e->grad_arena)
    memset (e->grad_arena, 0, e->grad_arena_floats * sizeof (float));
}

dlnn_tensor *
dlnn_exec_grad (dlnn_exec * e, int value)
{
  if (value < 0 || value >= e->g->n_values || !e->planned
      || !e->needs_grad[value])
    return NULL;
  return &e->grads[value];
}

static dlnn_code
exec_backward (dlnn_exec * e, int output, const dlnn_tensor * grad,
    dlnn_status * st)
{
  dlnn_graph *g = e->g;
  const dlnn_tensor *in[MAX_NODE_IO];
  dlnn_tensor *out[MAX_NODE_IO];
  const dlnn_tensor *dout[MAX_NODE_IO];
  dlnn_tensor *din[MAX_NODE_IO];
  dlnn_op_ctx ctx;
  int ov;

  if (!(e->flags & DLNN_EXEC_TRAINING))
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "backward needs an exec made with DLNN_EXEC_TRAINING");
  if (!e->planned)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "backward called before forward");
  if (output < 0 || output >= g->n_outputs)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "output %d out of range",
        output);
  ov = g->outputs[output];
  if (!e->needs_grad[ov])
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "output '%s' does not depend on any trainable parameter",
        g->values[ov].name);
  if (!grad || grad->size != e->vals[ov].size || !grad->data)
    return dlnn_status_set (st, DLNN_ERR_SHAPE,
        "gradient for output '%s' has the wrong size", g->values[ov].name);

  /* zero non-parameter gradients; parameter gradients accumulate */
  for (int v = 0; v < g->n_values; v++)
    if (e->needs_grad[v] && g->values[v].kind != DLNN_VALUE_PARAM)
      memset (e->grads[v].data, 0, (size_t) e->grads[v].size * sizeof (float));
  memcpy (e->grads[ov].data, grad->data,
      (size_t) grad->size * sizeof (float));

  ctx.training = e->training;
  ctx.rng = &e->rng;
  ctx.workspace = e->workspace;
  ctx.workspace_size = e->workspace_floats;
  ctx.graph = g;
  for (int i = g->n_nodes - 1; i >= 0; i--) {
    const dlnn_node *n = &g->nodes[i];
    int any = 0;
    dlnn_code ret;
    for (int j = 0; j < n->n_inputs; j++) {
      din[j] = n->inputs[j] >= 0 && e->needs_grad[n->inputs[j]]
          ? &e->grads[n->inputs[j]] : NULL;
      if (din[j])
        any = 1;
    }
    if (!any)
      continue;
    if (!n->op->backward)
      return dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
          "%s node '%s' has no backward pass", n->op_type, n->name);
    node_io (e, n, e->vals, in, out);
    for (int j = 0; j < n->n_outputs; j++)
      dout[j] = n->outputs[j] >= 0 && e->needs_grad[n->outputs[j]]
          ? &e->grads[n->outputs[j]] : NULL;
    ctx.saved = e->saved_arena + e->saved_off[i];
    ctx.saved_size = e->saved_len[i];
    ret = n->op->backward (n, &ctx, in, (const dlnn_tensor * const *) out,
        dout, din, st);
    if (ret != DLNN_OK)
      return ret;
  }
  return DLNN_OK;
}

/* The public entry points count the runs in progress (parallel.h). */
dlnn_code
dlnn_exec_forward (dlnn_exec * e, dlnn_status * st)
{
  dlnn_code r;

  dlnn_par_run_enter ();
  r = exec_forward (e, st);
  dlnn_par_run_leave ();
  return r;
}

dlnn_code
dlnn_exec_backward (dlnn_exec * e, int output, const dlnn_tensor * grad,
    dlnn_status * st)
{
  dlnn_code r;

  dlnn_par_run_enter ();
  r = exec_backward (e, output, grad, st);
  dlnn_par_run_leave ();
  return r;
}

size_t
dlnn_exec_planned_bytes (const dlnn_exec * e)
{
  return (e->arena_floats + e->grad_arena_floats + e->saved_floats
      + e->workspace_floats) * sizeof (float);
}
