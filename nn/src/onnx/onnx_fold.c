/* libdlnn - load-time constant folding (see onnx_fold.h).
 *
 * One run walks the nodes in file order, keeping for every value its
 * shape when known and its data when constant. A foldable node whose
 * inputs are constant is evaluated (onnx_fold_eval.c); any other node of
 * a registered op gets its output shapes from the op's own init() and
 * shape(), so that a later Shape node can be folded. With dynamic input
 * dimensions a second run sets them to 2 instead of 1, and a value is
 * folded only if both runs computed the same constant (a shape that
 * depends on the batch size stays unfolded and is reported). */
#include "onnx_fold.h"
#include "op.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FOLD_MAX_IO 64

typedef struct fold_run
{
  dlnn_tensor *shape;           /* per value: shape (data borrowed or NULL) */
  char *known;                  /* shape known */
  dlnn_tensor **cval;           /* per value: constant data or NULL */
  char *owned;                  /* cval[v] is ours to free */
  char *folded;                 /* per node */
  char *why;                    /* per node: why it was not folded, or "" */
} fold_run;

static void
run_clear (const dlnn_graph * g, fold_run * r)
{
  if (r->cval)
    for (int v = 0; v < g->n_values; v++)
      if (r->owned[v])
        dlnn_tensor_free (r->cval[v]);
  free (r->shape);
  free (r->known);
  free (r->cval);
  free (r->owned);
  free (r->folded);
  free (r->why);
  memset (r, 0, sizeof (*r));
}

static void
note_why (fold_run * r, int node, const char *prefix, const char *detail)
{
  snprintf (r->why + (size_t) node * DLNN_FOLD_REASON_SIZE,
      DLNN_FOLD_REASON_SIZE, "%s%.150s", prefix, detail);
}

/* Output shapes of a node libdlnn runs, from its op's init() and shape().
 * Failures only leave the outputs unknown: finalize reports them. */
static void
track_shapes (dlnn_graph * g, dlnn_node * n, fold_run * r)
{
  const dlnn_op *op = dlnn_op_find (n->op_type);
  const dlnn_tensor *in[FOLD_MAX_IO];
  dlnn_tensor *out[FOLD_MAX_IO];
  dlnn_status st;

  if (!op || n->n_inputs > FOLD_MAX_IO || n->n_outputs > FOLD_MAX_IO
      || n->n_inputs < op->min_inputs || n->n_inputs > op->max_inputs
      || n->n_outputs < op->min_outputs || n->n_outputs > op->max_outputs)
    return;
  for (int j = 0; j < n->n_inputs; j++) {
    int v = n->inputs[j];
    if (v < 0) {
      if (j < op->min_inputs)
        return;
      in[j] = NULL;
    } else if (r->cval[v]) {
      in[j] = r->cval[v];
    } else if (r->known[v]) {
      in[j] = &r->shape[v];
    } else {
      return;
    }
  }
  for (int j = 0; j < n->n_outputs; j++) {
    int v = n->outputs[j];
    if (v < 0) {
      out[j] = NULL;
      continue;
    }
    memset (&r->shape[v], 0, sizeof (dlnn_tensor));
    r->shape[v].dtype = DLNN_FLOAT32;
    out[j] = &r->shape[v];
  }
  free (n->priv);
  n->priv = NULL;
  n->op = op;
  if (op->init && op->init (g, n, &st) != DLNN_OK)
    goto out;
  if (op->shape (n, in, out, &st) != DLNN_OK)
    goto out;
  for (int j = 0; j < n->n_outputs; j++)
    if (n->outputs[j] >= 0)
      r->known[n->outputs[j]] = 1;
out:
  free (n->priv);
  n->priv = NULL;
  n->op = NULL;
}

static dlnn_code
run_fold (dlnn_graph * g, int64_t dyn, fold_run * r, dlnn_status * st)
{
  size_t nv = (size_t) g->n_values + 1;
  char reason[DLNN_FOLD_REASON_SIZE];

  r->shape = calloc (nv, sizeof (dlnn_tensor));
  r->known = calloc (nv, 1);
  r->cval = calloc (nv, sizeof (dlnn_tensor *));
  r->owned = calloc (nv, 1);
  r->folded = calloc ((size_t) g->n_nodes + 1, 1);
  r->why = calloc ((size_t) g->n_nodes + 1, DLNN_FOLD_REASON_SIZE);
  if (!r->shape || !r->known || !r->cval || !r->owned || !r->folded
      || !r->why)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");

  for (int i = 0; i < g->n_inputs; i++) {
    int v = g->inputs[i];
    const dlnn_value *val = &g->values[v];
    int64_t dims[DLNN_MAX_DIMS];
    for (int d = 0; d < val->ndim; d++)
      dims[d] = val->dims[d] < 0 ? dyn : val->dims[d];
    r->shape[v].dtype = DLNN_FLOAT32;
    if (dlnn_tensor_set_shape (&r->shape[v], val->ndim, dims, NULL) ==
        DLNN_OK)
      r->known[v] = 1;
  }
  for (int v = 0; v < g->n_values; v++)
    if (g->values[v].kind == DLNN_VALUE_PARAM) {
      r->cval[v] = g->values[v].init;
      r->shape[v] = *g->values[v].init;
      r->shape[v].owns = 0;
      r->known[v] = 1;
    }

  for (int i = 0; i < g->n_nodes; i++) {
    dlnn_node *n = &g->nodes[i];
    const dlnn_tensor *in[FOLD_MAX_IO];
    dlnn_tensor *res = NULL;
    int all = 1, is_shape, ok, v;

    if (n->domain && *n->domain && strcmp (n->domain, "ai.onnx") != 0)
      continue;
    if (!dlnn_fold_is_foldable (n->op_type) || n->n_inputs > FOLD_MAX_IO
        || n->n_inputs < 1 || n->n_outputs != 1 || n->outputs[0] < 0) {
      track_shapes (g, n, r);
      continue;
    }
    is_shape = strcmp (n->op_type, "Shape") == 0;
    for (int j = 0; j < n->n_inputs; j++) {
      int iv = n->inputs[j];
      in[j] = NULL;
      if (iv < 0)
        continue;
      if (is_shape && j == 0 && r->known[iv])
        in[j] = &r->shape[iv];
      else if (r->cval[iv])
        in[j] = r->cval[iv];
      else
        all = 0;
    }
    if (!all || !in[0]) {
      if (!dlnn_op_find (n->op_type))
        note_why (r, i, "", is_shape ?
            "the shape of its input is not known at load time" :
            "an input is computed at run time, not a constant");
      track_shapes (g, n, r);
      continue;
    }
    ok = dlnn_fold_eval (g, n, in, &res, reason, st);
    if (ok < 0)
      return st ? st->code : DLNN_ERR_NOMEM;
    if (!ok) {
      if (!dlnn_op_find (n->op_type))
        note_why (r, i, "cannot fold it: ", reason);
      track_shapes (g, n, r);
      continue;
    }
    v = n->outputs[0];
    r->cval[v] = res;
    r->owned[v] = 1;
    r->shape[v] = *res;
    r->shape[v].owns = 0;
    r->known[v] = 1;
    r->folded[i] = 1;
  }
  return DLNN_OK;
}

static int
same_tensor (const dlnn_tensor * a, const dlnn_tensor * b)
{
  if (!a || !b || a->dtype != b->dtype || !dlnn_shape_equal (a, b))
    return 0;
  if (a->dtype == DLNN_INT64)
    return memcmp (a->idata, b->idata, (size_t) a->size * sizeof (int64_t))
        == 0;
  return memcmp (a->data, b->data, (size_t) a->size * sizeof (float)) == 0;
}

/* Removes nodes of ops libdlnn cannot run (or foldable ones) whose
 * outputs nobody reads: what is left of a folded shape computation. */
static void
remove_dead (dlnn_graph * g, char *removed)
{
  int *uses = calloc ((size_t) g->n_values + 1, sizeof (int));
  int changed = 1;

  if (!uses)
    return;                     /* nothing removed; finalize still works */
  for (int i = 0; i < g->n_nodes; i++)
    if (!removed[i])
      for (int j = 0; j < g->nodes[i].n_inputs; j++)
        if (g->nodes[i].inputs[j] >= 0)
          uses[g->nodes[i].inputs[j]]++;
  while (changed) {
    changed = 0;
    for (int i = g->n_nodes - 1; i >= 0; i--) {
      dlnn_node *n = &g->nodes[i];
      int used = 0;
      if (removed[i] || (dlnn_op_find (n->op_type)
              && !dlnn_fold_is_foldable (n->op_type)))
        continue;
      for (int j = 0; j < n->n_outputs; j++) {
        int v = n->outputs[j];
        if (v >= 0 && (uses[v] > 0 || g->values[v].is_output))
          used = 1;
      }
      if (used)
        continue;
      removed[i] = 1;
      changed = 1;
      for (int j = 0; j < n->n_inputs; j++)
        if (n->inputs[j] >= 0)
          uses[n->inputs[j]]--;
    }
  }
  free (uses);
}

dlnn_code
dlnn_onnx_fold_constants (dlnn_graph * g, dlnn_status * st)
{
  fold_run a = { 0 }, b = { 0 };
  char *removed = NULL;
  int dynamic = 0;
  dlnn_code ret;

  for (int i = 0; i < g->n_inputs; i++)
    for (int d = 0; d < g->values[g->inputs[i]].ndim; d++)
      if (g->values[g->inputs[i]].dims[d] < 0)
        dynamic = 1;
  ret = run_fold (g, 1, &a, st);
  if (ret == DLNN_OK && dynamic)
    ret = run_fold (g, 2, &b, st);
  if (ret != DLNN_OK)
    goto out;
  removed = calloc ((size_t) g->n_nodes + 1, 1);
  if (!removed) {
    ret = dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    goto out;
  }

  for (int i = 0; i < g->n_nodes; i++) {
    dlnn_node *n = &g->nodes[i];
    int v, src;
    if (!a.folded[i])
      continue;
    v = n->outputs[0];
    if (dynamic && (!b.folded[i] || !same_tensor (a.cval[v], b.cval[v]))) {
      note_why (&a, i, "", "its value depends on a dynamic input "
          "dimension");
      continue;
    }
    /* the value becomes an initializer */
    src = n->inputs[0];
    g->values[v].kind = DLNN_VALUE_PARAM;
    g->values[v].init = a.cval[v];
    a.owned[v] = 0;
    g->values[v].trainable = strcmp (n->op_type, "Identity") == 0
        && src >= 0 && g->values[src].kind == DLNN_VALUE_PARAM
        && g->values[src].trainable;
    g->values[v].ndim = a.cval[v]->ndim;
    memcpy (g->values[v].dims, a.cval[v]->dims, sizeof (g->values[v].dims));
    removed[i] = 1;
  }
  remove_dead (g, removed);

  /* an op libdlnn cannot run that is still there is an error */
  for (int i = 0; i < g->n_nodes; i++) {
    const dlnn_node *n = &g->nodes[i];
    const char *why = NULL;
    if (removed[i] || dlnn_op_find (n->op_type))
      continue;
    why = a.why + (size_t) i * DLNN_FOLD_REASON_SIZE;
    if (!*why && dynamic)
      why = b.why + (size_t) i * DLNN_FOLD_REASON_SIZE;
    if (!*why)
      continue;                 /* finalize names it */
    ret = dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
        "unsupported op '%s' (node '%s', opset %lld): %s", n->op_type,
        n->name ? n->name : "", (long long) g->opset, why);
    goto out;
  }

  dlnn_graph_remove_nodes (g, removed);

out:
  free (removed);
  run_clear (g, &a);
  run_clear (g, &b);
  return ret;
}
