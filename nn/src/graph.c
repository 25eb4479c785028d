/* libdlnn - graph building, finalisation and shape inference. */
#include "op.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
dlnn_strdup (const char *s)
{
  size_t n;
  char *d;

  if (!s)
    return NULL;
  n = strlen (s) + 1;
  d = malloc (n);
  if (d)
    memcpy (d, s, n);
  return d;
}

static int
grow (void **arr, int *cap, int need, size_t esize)
{
  int ncap;
  void *p;

  if (need <= *cap)
    return 1;
  ncap = *cap ? *cap * 2 : 16;
  while (ncap < need)
    ncap *= 2;
  p = realloc (*arr, (size_t) ncap * esize);
  if (!p)
    return 0;
  memset ((char *) p + (size_t) *cap * esize, 0,
      (size_t) (ncap - *cap) * esize);
  *arr = p;
  *cap = ncap;
  return 1;
}

dlnn_graph *
dlnn_graph_new (const char *name)
{
  dlnn_graph *g = calloc (1, sizeof (*g));

  if (!g)
    return NULL;
  g->name = dlnn_strdup (name ? name : "graph");
  g->opset = 13;
  return g;
}

static void
attr_clear (dlnn_attr * a)
{
  free (a->name);
  free (a->s);
  free (a->floats);
  free (a->ints);
  dlnn_tensor_free (a->t);
  memset (a, 0, sizeof (*a));
}

static void
node_clear (dlnn_node * n)
{
  free (n->name);
  free (n->op_type);
  free (n->domain);
  free (n->inputs);
  free (n->outputs);
  for (int i = 0; i < n->n_attrs; i++)
    attr_clear (&n->attrs[i]);
  free (n->attrs);
  free (n->priv);
  memset (n, 0, sizeof (*n));
}

int
dlnn_graph_remove_nodes (dlnn_graph * g, const char *removed)
{
  int k = 0, n = 0;

  for (int i = 0; i < g->n_nodes; i++) {
    if (removed[i]) {
      node_clear (&g->nodes[i]);
      n++;
      continue;
    }
    if (k != i)
      g->nodes[k] = g->nodes[i];
    k++;
  }
  g->n_nodes = k;
  if (n)
    g->finalized = 0;
  return n;
}

void
dlnn_graph_free (dlnn_graph * g)
{
  if (!g)
    return;
  for (int i = 0; i < g->n_values; i++) {
    free (g->values[i].name);
    dlnn_tensor_free (g->values[i].init);
  }
  free (g->values);
  for (int i = 0; i < g->n_nodes; i++)
    node_clear (&g->nodes[i]);
  free (g->nodes);
  free (g->inputs);
  free (g->outputs);
  for (int i = 0; i < g->n_meta; i++) {
    free (g->meta_keys[i]);
    free (g->meta_values[i]);
  }
  free (g->meta_keys);
  free (g->meta_values);
  free (g->name);
  free (g->producer_name);
  free (g->producer_version);
  free (g);
}

int
dlnn_graph_find_value (const dlnn_graph * g, const char *name)
{
  if (!name)
    return -1;
  for (int i = 0; i < g->n_values; i++)
    if (strcmp (g->values[i].name, name) == 0)
      return i;
  return -1;
}

int
dlnn_graph_value (dlnn_graph * g, const char *name)
{
  int i = dlnn_graph_find_value (g, name);
  dlnn_value *v;

  if (i >= 0)
    return i;
  if (!grow ((void **) &g->values, &g->values_cap, g->n_values + 1,
          sizeof (dlnn_value)))
    return -1;
  v = &g->values[g->n_values];
  memset (v, 0, sizeof (*v));
  v->name = dlnn_strdup (name);
  if (!v->name)
    return -1;
  v->producer = -1;
  g->finalized = 0;
  return g->n_values++;
}

static int
append_index (int **arr, int *n, int v)
{
  int *p = realloc (*arr, (size_t) (*n + 1) * sizeof (int));
  if (!p)
    return 0;
  p[*n] = v;
  *arr = p;
  (*n)++;
  return 1;
}

int
dlnn_graph_add_input (dlnn_graph * g, const char *name, int ndim,
    const int64_t * dims, dlnn_status * st)
{
  int v;

  if (!name || !*name) {
    dlnn_status_set (st, DLNN_ERR_INVALID, "graph input without a name");
    return -1;
  }
  if (ndim < 0 || ndim > DLNN_MAX_DIMS) {
    dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
        "graph input '%s' has rank %d (at most %d supported)", name, ndim,
        DLNN_MAX_DIMS);
    return -1;
  }
  v = dlnn_graph_value (g, name);
  if (v < 0) {
    dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    return -1;
  }
  if (g->values[v].kind != DLNN_VALUE_INTERMEDIATE) {
    dlnn_status_set (st, DLNN_ERR_INVALID,
        "graph input '%s' is declared twice", name);
    return -1;
  }
  g->values[v].kind = DLNN_VALUE_INPUT;
  g->values[v].ndim = ndim;
  for (int i = 0; i < ndim; i++)
    g->values[v].dims[i] = dims[i];
  if (!append_index (&g->inputs, &g->n_inputs, v)) {
    dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    return -1;
  }
  return v;
}

int
dlnn_graph_add_param (dlnn_graph * g, const char *name, dlnn_tensor * t,
    int trainable, dlnn_status * st)
{
  int v;

  if (!t) {
    dlnn_status_set (st, DLNN_ERR_INVALID, "parameter '%s' without data",
        name ? name : "");
    return -1;
  }
  if (!name || !*name) {
    dlnn_tensor_free (t);
    dlnn_status_set (st, DLNN_ERR_INVALID, "parameter without a name");
    return -1;
  }
  v = dlnn_graph_value (g, name);
  if (v < 0) {
    dlnn_tensor_free (t);
    dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    return -1;
  }
  if (g->values[v].kind != DLNN_VALUE_INTERMEDIATE) {
    dlnn_tensor_free (t);
    dlnn_status_set (st, DLNN_ERR_INVALID,
        "parameter '%s' is declared twice", name);
    return -1;
  }
  g->values[v].kind = DLNN_VALUE_PARAM;
  g->values[v].init = t;
  g->values[v].trainable = trainable && t->dtype == DLNN_FLOAT32;
  g->values[v].ndim = t->ndim;
  for (int i = 0; i < t->ndim; i++)
    g->values[v].dims[i] = t->dims[i];
  return v;
}

dlnn_code
dlnn_graph_add_output (dlnn_graph * g, const char *name, dlnn_status * st)
{
  int v = dlnn_graph_value (g, name);

  if (v < 0)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  if (g->values[v].is_output)
    return DLNN_OK;
  g->values[v].is_output = 1;
  if (!append_index (&g->outputs, &g->n_outputs, v))
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  g->finalized = 0;
  return DLNN_OK;
}

int
dlnn_graph_add_node (dlnn_graph * g, const char *op_type, const char *name,
    int n_inputs, const char *const *inputs, int n_outputs,
    const char *const *outputs, dlnn_status * st)
{
  dlnn_node *n;
  char autoname[32];

  if (!op_type || !*op_type) {
    dlnn_status_set (st, DLNN_ERR_INVALID, "node without op type");
    return -1;
  }
  if (n_inputs < 0 || n_outputs < 1) {
    dlnn_status_set (st, DLNN_ERR_INVALID,
        "%s node '%s' needs at least one output", op_type, name ? name : "");
    return -1;
  }
  if (!grow ((void **) &g->nodes, &g->nodes_cap, g->n_nodes + 1,
          sizeof (dlnn_node)))
    goto nomem;
  n = &g->nodes[g->n_nodes];
  memset (n, 0, sizeof (*n));
  if (!name || !*name) {
    snprintf (autoname, sizeof (autoname), "%s_%d", op_type, g->n_nodes);
    name = autoname;
  }
  n->name = dlnn_strdup (name);
  n->op_type = dlnn_strdup (op_type);
  n->inputs = calloc ((size_t) (n_inputs ? n_inputs : 1), sizeof (int));
  n->outputs = calloc ((size_t) n_outputs, sizeof (int));
  if (!n->name || !n->op_type || !n->inputs || !n->outputs) {
    node_clear (n);
    goto nomem;
  }
  n->n_inputs = n_inputs;
  n->n_outputs = n_outputs;
  for (int i = 0; i < n_inputs; i++) {
    if (!inputs[i] || !*inputs[i]) {
      n->inputs[i] = -1;
      continue;
    }
    n->inputs[i] = dlnn_graph_value (g, inputs[i]);
    if (n->inputs[i] < 0) {
      node_clear (n);
      goto nomem;
    }
  }
  for (int i = 0; i < n_outputs; i++) {
    if (!outputs[i] || !*outputs[i]) {
      n->outputs[i] = -1;
      continue;
    }
    n->outputs[i] = dlnn_graph_value (g, outputs[i]);
    if (n->outputs[i] < 0) {
      node_clear (n);
      goto nomem;
    }
  }
  g->finalized = 0;
  return g->n_nodes++;

nomem:
  dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  return -1;
}

/* Returns a cleared attribute slot named @name on node @node. */
static dlnn_attr *
attr_slot (dlnn_graph * g, int node, const char *name)
{
  dlnn_node *n;
  dlnn_attr *a;

  if (node < 0 || node >= g->n_nodes || !name)
    return NULL;
  n = &g->nodes[node];
  for (int i = 0; i < n->n_attrs; i++) {
    if (strcmp (n->attrs[i].name, name) == 0) {
      attr_clear (&n->attrs[i]);
      n->attrs[i].name = dlnn_strdup (name);
      return n->attrs[i].name ? &n->attrs[i] : NULL;
    }
  }
  a = realloc (n->attrs, (size_t) (n->n_attrs + 1) * sizeof (dlnn_attr));
  if (!a)
    return NULL;
  n->attrs = a;
  a = &n->attrs[n->n_attrs];
  memset (a, 0, sizeof (*a));
  a->name = dlnn_strdup (name);
  if (!a->name)
    return NULL;
  n->n_attrs++;
  g->finalized = 0;
  return a;
}

dlnn_code
dlnn_node_set_int (dlnn_graph * g, int node, const char *name, int64_t v)
{
  dlnn_attr *a = attr_slot (g, node, name);
  if (!a)
    return DLNN_ERR_NOMEM;
  a->type = DLNN_ATTR_INT;
  a->i = v;
  return DLNN_OK;
}

dlnn_code
dlnn_node_set_float (dlnn_graph * g, int node, const char *name, float v)
{
  dlnn_attr *a = attr_slot (g, node, name);
  if (!a)
    return DLNN_ERR_NOMEM;
  a->type = DLNN_ATTR_FLOAT;
  a->f = v;
  return DLNN_OK;
}

dlnn_code
dlnn_node_set_string (dlnn_graph * g, int node, const char *name,
    const char *v)
{
  dlnn_attr *a = attr_slot (g, node, name);
  if (!a)
    return DLNN_ERR_NOMEM;
  a->type = DLNN_ATTR_STRING;
  a->s = dlnn_strdup (v ? v : "");
  return a->s ? DLNN_OK : DLNN_ERR_NOMEM;
}

dlnn_code
dlnn_node_set_ints (dlnn_graph * g, int node, const char *name, int64_t n,
    const int64_t * v)
{
  dlnn_attr *a = attr_slot (g, node, name);
  if (!a || n < 0)
    return DLNN_ERR_NOMEM;
  a->type = DLNN_ATTR_INTS;
  a->n = n;
  a->ints = malloc ((size_t) (n ? n : 1) * sizeof (int64_t));
  if (!a->ints)
    return DLNN_ERR_NOMEM;
  if (n)
    memcpy (a->ints, v, (size_t) n * sizeof (int64_t));
  return DLNN_OK;
}

dlnn_code
dlnn_node_set_floats (dlnn_graph * g, int node, const char *name, int64_t n,
    const float *v)
{
  dlnn_attr *a = attr_slot (g, node, name);
  if (!a || n < 0)
    return DLNN_ERR_NOMEM;
  a->type = DLNN_ATTR_FLOATS;
  a->n = n;
  a->floats = malloc ((size_t) (n ? n : 1) * sizeof (float));
  if (!a->floats)
    return DLNN_ERR_NOMEM;
  if (n)
    memcpy (a->floats, v, (size_t) n * sizeof (float));
  return DLNN_OK;
}

dlnn_code
dlnn_node_set_tensor (dlnn_graph * g, int node, const char *name,
    dlnn_tensor * t)
{
  dlnn_attr *a = attr_slot (g, node, name);
  if (!a) {
    dlnn_tensor_free (t);
    return DLNN_ERR_NOMEM;
  }
  a->type = DLNN_ATTR_TENSOR;
  a->t = t;
  return DLNN_OK;
}

const dlnn_attr *
dlnn_node_attr (const dlnn_node * n, const char *name)
{
  for (int i = 0; i < n->n_attrs; i++)
    if (strcmp (n->attrs[i].name, name) == 0)
      return &n->attrs[i];
  return NULL;
}

int64_t
dlnn_node_attr_int (const dlnn_node * n, const char *name, int64_t dflt)
{
  const dlnn_attr *a = dlnn_node_attr (n, name);
  return a && a->type == DLNN_ATTR_INT ? a->i : dflt;
}

float
dlnn_node_attr_float (const dlnn_node * n, const char *name, float dflt)
{
  const dlnn_attr *a = dlnn_node_attr (n, name);
  return a && a->type == DLNN_ATTR_FLOAT ? a->f : dflt;
}

const char *
dlnn_node_attr_string (const dlnn_node * n, const char *name,
    const char *dflt)
{
  const dlnn_attr *a = dlnn_node_attr (n, name);
  return a && a->type == DLNN_ATTR_STRING ? a->s : dflt;
}

dlnn_code
dlnn_graph_set_meta (dlnn_graph * g, const char *key, const char *value)
{
  char *v;
  char **k2, **v2;

  if (!key || !value)
    return DLNN_ERR_INVALID;
  for (int i = 0; i < g->n_meta; i++) {
    if (strcmp (g->meta_keys[i], key) == 0) {
      v = dlnn_strdup (value);
      if (!v)
        return DLNN_ERR_NOMEM;
      free (g->meta_values[i]);
      g->meta_values[i] = v;
      return DLNN_OK;
    }
  }
  k2 = realloc (g->meta_keys, (size_t) (g->n_meta + 1) * sizeof (char *));
  if (!k2)
    return DLNN_ERR_NOMEM;
  g->meta_keys = k2;
  v2 = realloc (g->meta_values, (size_t) (g->n_meta + 1) * sizeof (char *));
  if (!v2)
    return DLNN_ERR_NOMEM;
  g->meta_values = v2;
  g->meta_keys[g->n_meta] = dlnn_strdup (key);
  g->meta_values[g->n_meta] = dlnn_strdup (value);
  if (!g->meta_keys[g->n_meta] || !g->meta_values[g->n_meta]) {
    free (g->meta_keys[g->n_meta]);
    free (g->meta_values[g->n_meta]);
    return DLNN_ERR_NOMEM;
  }
  g->n_meta++;
  return DLNN_OK;
}

const char *
dlnn_graph_get_meta (const dlnn_graph * g, const char *key)
{
  for (int i = 0; i < g->n_meta; i++)
    if (strcmp (g->meta_keys[i], key) == 0)
      return g->meta_values[i];
  return NULL;
}

int64_t
dlnn_graph_param_count (const dlnn_graph * g)
{
  int64_t n = 0;
  for (int i = 0; i < g->n_values; i++)
    if (g->values[i].kind == DLNN_VALUE_PARAM && g->values[i].trainable)
      n += g->values[i].init->size;
  return n;
}

/* Topological sort (Kahn), stable with respect to the original order. */
static dlnn_code
topo_sort (dlnn_graph * g, dlnn_status * st)
{
  int n = g->n_nodes;
  int *indeg, *order, *done_val;
  dlnn_node *sorted;
  int count = 0;
  dlnn_code ret = DLNN_OK;

  if (n == 0)
    return DLNN_OK;
  indeg = calloc ((size_t) n, sizeof (int));
  order = calloc ((size_t) n, sizeof (int));
  done_val = calloc ((size_t) g->n_values, sizeof (int));
  sorted = calloc ((size_t) n, sizeof (dlnn_node));
  if (!indeg || !order || !done_val || !sorted) {
    ret = dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    goto out;
  }
  for (int v = 0; v < g->n_values; v++)
    done_val[v] = g->values[v].producer < 0;
  /* repeated passes: fine for the graph sizes we handle (O(n^2) worst) */
  {
    int *placed = indeg;
    int progress = 1;
    while (count < n && progress) {
      progress = 0;
      for (int i = 0; i < n; i++) {
        const dlnn_node *nd = &g->nodes[i];
        int ready = 1;
        if (placed[i])
          continue;
        for (int j = 0; j < nd->n_inputs && ready; j++)
          if (nd->inputs[j] >= 0 && !done_val[nd->inputs[j]])
            ready = 0;
        if (!ready)
          continue;
        placed[i] = 1;
        order[count++] = i;
        for (int j = 0; j < nd->n_outputs; j++)
          if (nd->outputs[j] >= 0)
            done_val[nd->outputs[j]] = 1;
        progress = 1;
      }
    }
  }
  if (count < n) {
    for (int i = 0; i < n; i++) {
      if (!indeg[i]) {
        ret = dlnn_status_set (st, DLNN_ERR_FORMAT,
            "graph has a cycle through %s node '%s'", g->nodes[i].op_type,
            g->nodes[i].name);
        break;
      }
    }
    goto out;
  }
  for (int i = 0; i < n; i++)
    sorted[i] = g->nodes[order[i]];
  memcpy (g->nodes, sorted, (size_t) n * sizeof (dlnn_node));
out:
  free (indeg);
  free (order);
  free (done_val);
  free (sorted);
  return ret;
}

dlnn_code
dlnn_graph_finalize (dlnn_graph * g, dlnn_status * st)
{
  dlnn_code ret;

  if (g->finalized)
    return DLNN_OK;

  for (int v = 0; v < g->n_values; v++)
    g->values[v].producer = -1;

  /* producers */
  for (int i = 0; i < g->n_nodes; i++) {
    dlnn_node *n = &g->nodes[i];
    for (int j = 0; j < n->n_outputs; j++) {
      int v = n->outputs[j];
      if (v < 0)
        continue;
      if (g->values[v].kind != DLNN_VALUE_INTERMEDIATE)
        return dlnn_status_set (st, DLNN_ERR_FORMAT,
            "%s node '%s' writes '%s', which is a graph input or initializer",
            n->op_type, n->name, g->values[v].name);
      if (g->values[v].producer >= 0)
        return dlnn_status_set (st, DLNN_ERR_FORMAT,
            "value '%s' is produced by two nodes ('%s' and '%s')",
            g->values[v].name, g->nodes[g->values[v].producer].name,
            n->name);
      g->values[v].producer = i;
    }
  }
  /* every input is fed */
  for (int i = 0; i < g->n_nodes; i++) {
    dlnn_node *n = &g->nodes[i];
    for (int j = 0; j < n->n_inputs; j++) {
      int v = n->inputs[j];
      if (v >= 0 && g->values[v].kind == DLNN_VALUE_INTERMEDIATE
          && g->values[v].producer < 0)
        return dlnn_status_set (st, DLNN_ERR_FORMAT,
            "%s node '%s' reads '%s', which no node, graph input or "
            "initializer provides", n->op_type, n->name, g->values[v].name);
    }
  }
  if (g->n_outputs == 0)
    return dlnn_status_set (st, DLNN_ERR_FORMAT, "graph has no outputs");
  for (int i = 0; i < g->n_outputs; i++) {
    const dlnn_value *v = &g->values[g->outputs[i]];
    if (v->kind == DLNN_VALUE_INTERMEDIATE && v->producer < 0)
      return dlnn_status_set (st, DLNN_ERR_FORMAT,
          "graph output '%s' is not produced by any node", v->name);
  }

  ret = topo_sort (g, st);
  if (ret != DLNN_OK)
    return ret;
  for (int i = 0; i < g->n_nodes; i++) {
    dlnn_node *n = &g->nodes[i];
    for (int j = 0; j < n->n_outputs; j++)
      if (n->outputs[j] >= 0)
        g->values[n->outputs[j]].producer = i;
  }

  /* ops */
  for (int i = 0; i < g->n_nodes; i++) {
    dlnn_node *n = &g->nodes[i];
    const dlnn_op *op;
    if (n->domain && *n->domain && strcmp (n->domain, "ai.onnx") != 0)
      return dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
          "unsupported op domain '%s' (%s node '%s')", n->domain,
          n->op_type, n->name);
    op = dlnn_op_find (n->op_type);
    if (!op)
      return dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
          "unsupported op '%s' (node '%s', opset %lld)", n->op_type, n->name,
          (long long) g->opset);
    if (n->n_inputs < op->min_inputs || n->n_inputs > op->max_inputs)
      return dlnn_status_set (st, DLNN_ERR_FORMAT,
          "%s node '%s' has %d inputs (expected %d to %d)", n->op_type,
          n->name, n->n_inputs, op->min_inputs, op->max_inputs);
    if (n->n_outputs < op->min_outputs || n->n_outputs > op->max_outputs)
      return dlnn_status_set (st, DLNN_ERR_FORMAT,
          "%s node '%s' has %d outputs (expected %d to %d)", n->op_type,
          n->name, n->n_outputs, op->min_outputs, op->max_outputs);
    for (int j = 0; j < op->min_inputs; j++)
      if (n->inputs[j] < 0)
        return dlnn_status_set (st, DLNN_ERR_FORMAT,
            "%s node '%s': required input %d is missing", n->op_type,
            n->name, j);
    if (n->outputs[0] < 0)
      return dlnn_status_set (st, DLNN_ERR_FORMAT,
          "%s node '%s': output 0 is missing", n->op_type, n->name);
    n->op = op;
    free (n->priv);
    n->priv = NULL;
    if (op->init) {
      ret = op->init (g, n, st);
      if (ret != DLNN_OK)
        return ret;
    }
  }

  /* Validate parameter shapes with the declared input shapes (a dynamic
   * dim taken as 1). When a dim other than the batch (dim 0) is dynamic,
   * 1 may not be a size the graph accepts (e.g. [1, 3, H, W] into
   * Flatten + Gemm): then a shape error here is deferred to
   * dlnn_exec_reshape, which checks the real shapes. */
  {
    int dyn_inner = 0;
    dlnn_tensor *vals = calloc ((size_t) (g->n_values ? g->n_values : 1),
        sizeof (dlnn_tensor));
    if (!vals)
      return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    for (int i = 0; i < g->n_inputs; i++) {
      dlnn_value *v = &g->values[g->inputs[i]];
      int64_t dims[DLNN_MAX_DIMS];
      for (int d = 0; d < v->ndim; d++) {
        dims[d] = v->dims[d] < 0 ? 1 : v->dims[d];
        if (d > 0 && v->dims[d] < 0)
          dyn_inner = 1;
      }
      vals[g->inputs[i]].dtype = DLNN_FLOAT32;
      ret = dlnn_tensor_set_shape (&vals[g->inputs[i]], v->ndim, dims, st);
      if (ret != DLNN_OK) {
        free (vals);
        return dlnn_status_prefix (st, "graph input '%s'", v->name);
      }
    }
    ret = dlnn_graph_infer_shapes (g, vals, st);
    free (vals);
    if (ret == DLNN_ERR_SHAPE && dyn_inner) {
      dlnn_status_clear (st);
      ret = DLNN_OK;
    }
    if (ret != DLNN_OK)
      return ret;
  }

  g->finalized = 1;
  return DLNN_OK;
}

dlnn_code
dlnn_graph_infer_shapes (const dlnn_graph * g, dlnn_tensor * vals,
    dlnn_status * st)
{
  const dlnn_tensor *in[64];
  dlnn_tensor *out[16];

  for (int v = 0; v < g->n_values; v++) {
    const dlnn_value *val = &g->values[v];
    if (val->kind == DLNN_VALUE_PARAM) {
      vals[v] = *val->init;
      vals[v].owns = 0;
    }
  }
  for (int i = 0; i < g->n_nodes; i++) {
    const dlnn_node *n = &g->nodes[i];
    dlnn_code ret;
    if (n->n_inputs > 64 || n->n_outputs > 16)
      return dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
          "%s node '%s' has too many inputs or outputs", n->op_type,
          n->name);
    for (int j = 0; j < n->n_inputs; j++)
      in[j] = n->inputs[j] >= 0 ? &vals[n->inputs[j]] : NULL;
    for (int j = 0; j < n->n_outputs; j++) {
      out[j] = n->outputs[j] >= 0 ? &vals[n->outputs[j]] : NULL;
      if (out[j]) {
        out[j]->dtype = DLNN_FLOAT32;
        out[j]->data = NULL;
        out[j]->idata = NULL;
        out[j]->owns = 0;
      }
    }
    ret = n->op->shape (n, in, out, st);
    if (ret != DLNN_OK)
      return ret;
  }
  return DLNN_OK;
}
