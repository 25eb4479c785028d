/* libdlnn - reading ONNX ModelProto files into a dlnn_graph.
 *
 * Everything read from the file is checked before use: counts, names,
 * shapes, tensor sizes against the bytes present, op domains, attribute
 * types. Any problem is a status naming the file (dlnn_onnx_load_file),
 * the element of the model and the cause. */
/* madvise (MADV_DONTNEED): posix_madvise ignores DONTNEED on glibc */
#define _DEFAULT_SOURCE
#include "dlnn/onnx.h"
#include "onnx_private.h"
#include "onnx_fold.h"
#include "op.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Oldest and newest IR versions accepted (IR 3 made opset_import
 * mandatory; 10 is the newest at the time of writing). */
#define IR_VERSION_MIN 3
#define IR_VERSION_MAX 10

static const char *
str_or_empty (const char *s)
{
  return s ? s : "";
}

/* ---- small string set (initializer names) ---- */

typedef struct name_set
{
  const char **slots;
  size_t cap;
} name_set;

static uint64_t
hash_str (const char *s)
{
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++)
    h = (h ^ (uint8_t) * s) * 1099511628211ull;
  return h;
}

static int
name_set_init (name_set * set, size_t n)
{
  set->cap = 16;
  while (set->cap < 2 * n + 1)
    set->cap *= 2;
  set->slots = calloc (set->cap, sizeof (*set->slots));
  return set->slots != NULL;
}

/* Returns 1 if added, 0 if already present. */
static int
name_set_add (name_set * set, const char *s)
{
  size_t i = (size_t) hash_str (s) & (set->cap - 1);
  while (set->slots[i]) {
    if (strcmp (set->slots[i], s) == 0)
      return 0;
    i = (i + 1) & (set->cap - 1);
  }
  set->slots[i] = s;
  return 1;
}

static int
name_set_has (const name_set * set, const char *s)
{
  size_t i = (size_t) hash_str (s) & (set->cap - 1);
  while (set->slots[i]) {
    if (strcmp (set->slots[i], s) == 0)
      return 1;
    i = (i + 1) & (set->cap - 1);
  }
  return 0;
}

/* ---- model header ---- */

static dlnn_code
check_model (const Onnx__ModelProto * m, int64_t * opset, dlnn_status * st)
{
  int found = 0;

  if (!m->has_ir_version || m->ir_version <= 0)
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "not an ONNX model or truncated/corrupt file (no ir_version)");
  if (!m->graph)
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "not an ONNX model or truncated/corrupt file (no graph)");
  if (m->ir_version < IR_VERSION_MIN || m->ir_version > IR_VERSION_MAX)
    return dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
        "ONNX IR version %lld is not supported (%d to %d are)",
        (long long) m->ir_version, IR_VERSION_MIN, IR_VERSION_MAX);
  for (size_t i = 0; i < m->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto *o = m->opset_import[i];
    if (!dlnn_onnx_is_default_domain (o->domain))
      return dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
          "operator set domain '%s' is not supported (only the default "
          "ONNX domain is)", o->domain);
    if (!o->has_version || o->version < 1)
      return dlnn_status_set (st, DLNN_ERR_FORMAT,
          "opset_import of the default domain has no valid version");
    if (found && o->version != *opset)
      return dlnn_status_set (st, DLNN_ERR_FORMAT,
          "the default domain is imported twice (opsets %lld and %lld)",
          (long long) *opset, (long long) o->version);
    *opset = o->version;
    found = 1;
  }
  if (!found)
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "not an ONNX model or truncated/corrupt file (no opset_import for "
        "the default domain)");
  return DLNN_OK;
}

/* ---- shapes of inputs, outputs and value_info ---- */

typedef struct declared_shape
{
  int known;                    /* a shape was declared */
  int ndim;
  int64_t dims[DLNN_MAX_DIMS];  /* -1 = dim_param or unset */
} declared_shape;

/* Reads the tensor type of @vi. @need_float rejects other element types. */
static dlnn_code
read_value_info (const Onnx__ValueInfoProto * vi, const char *what,
    int need_float, declared_shape * ds, dlnn_status * st)
{
  const Onnx__TypeProto__Tensor *tt;
  const Onnx__TensorShapeProto *sp;
  int64_t known[DLNN_MAX_DIMS];
  const char *vname = str_or_empty (vi->name);
  int nk = 0;

  memset (ds, 0, sizeof (*ds));
  if (!vi->type) {
    if (need_float)
      return dlnn_status_set (st, DLNN_ERR_FORMAT, "%s '%s' has no type",
          what, vname);
    return DLNN_OK;
  }
  if (vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE
      || !vi->type->tensor_type)
    return dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
        "%s '%s' is not a tensor (sequences, maps, optionals and sparse "
        "tensors are not supported)", what, vname);
  tt = vi->type->tensor_type;
  if (need_float && (!tt->has_elem_type
          || tt->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT))
    return dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
        "%s '%s' has element type %s; only FLOAT is supported", what,
        vname, dlnn_onnx_dtype_name (tt->has_elem_type ?
            tt->elem_type : 0));
  sp = tt->shape;
  if (!sp)
    return DLNN_OK;
  if (sp->n_dim > DLNN_MAX_DIMS)
    return dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
        "%s '%s' has %zu dimensions (at most %d are supported)", what,
        vname, sp->n_dim, DLNN_MAX_DIMS);
  ds->known = 1;
  ds->ndim = (int) sp->n_dim;
  for (size_t i = 0; i < sp->n_dim; i++) {
    const Onnx__TensorShapeProto__Dimension *d = sp->dim[i];
    if (d->value_case ==
        ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
      if (d->dim_value < 0)
        return dlnn_status_set (st, DLNN_ERR_SHAPE,
            "%s '%s' has negative dimension %lld", what, vname,
            (long long) d->dim_value);
      ds->dims[i] = d->dim_value;
      known[nk++] = d->dim_value;
    } else {
      ds->dims[i] = -1;
    }
  }
  if (dlnn_shape_size (nk, known, st) < 0)
    return dlnn_status_prefix (st, "%s '%s'", what, vname);
  return DLNN_OK;
}

/* BatchNormalization running statistics are updated by the op, not by
 * the optimizer. */
static void
mark_untrainable (dlnn_graph * g)
{
  for (int i = 0; i < g->n_nodes; i++) {
    const dlnn_node *n = &g->nodes[i];
    if (strcmp (n->op_type, "BatchNormalization") != 0)
      continue;
    for (int j = 3; j < n->n_inputs && j < 5; j++)
      if (n->inputs[j] >= 0)
        g->values[n->inputs[j]].trainable = 0;
  }
}

/* ---- declared vs computed shapes ---- */

static dlnn_code
check_declared (const dlnn_graph * g, const dlnn_onnx_shapes * shapes,
    const char *what, const char *name, const declared_shape * ds,
    dlnn_status * st)
{
  int v = dlnn_graph_find_value (g, name);
  int ndim;
  int64_t dims[DLNN_MAX_DIMS];
  int fixed[DLNN_MAX_DIMS];
  char a[128], b[128];

  if (!ds->known || v < 0)
    return DLNN_OK;
  if (!dlnn_onnx_shapes_get (shapes, v, &ndim, dims, fixed))
    return DLNN_OK;             /* not computable here */
  if (ndim != ds->ndim)
    goto mismatch;
  for (int i = 0; i < ndim; i++)
    if (ds->dims[i] >= 0 && fixed[i] && ds->dims[i] != dims[i])
      goto mismatch;
  return DLNN_OK;

mismatch:
  for (int i = 0; i < ndim; i++)
    if (!fixed[i])
      dims[i] = -1;
  return dlnn_status_set (st, DLNN_ERR_SHAPE,
      "%s '%s' is declared with shape %s but the graph computes %s (-1 = "
      "dynamic)", what, name, dlnn_shape_str (ds->ndim, ds->dims, a,
          sizeof (a)), dlnn_shape_str (ndim, dims, b, sizeof (b)));
}

/* ---- the graph ---- */

/* Where the initializers are: in the unpacked graph, or (streaming) as
 * byte ranges of a mapped file, unpacked one at a time. */
typedef struct init_src
{
  const uint8_t *base;
  const dlnn_onnx_split *split;
  char **names;                 /* streaming: each initializer's name */
} init_src;

static size_t
init_count (const Onnx__GraphProto * gp, const init_src * src)
{
  return src ? src->split->n_init : gp->n_initializer;
}

/* Gives back the pages of the file under an initializer once converted,
 * so that the file and the graph's copy do not add up. */
static void
release_range (const init_src * src, size_t off, size_t len)
{
  long pg = sysconf (_SC_PAGESIZE);
  uintptr_t a, b;

  if (pg <= 0)
    return;
  a = ((uintptr_t) (src->base + off) + (uintptr_t) pg - 1)
      & ~(uintptr_t) (pg - 1);
  b = (uintptr_t) (src->base + off + len) & ~(uintptr_t) (pg - 1);
  if (b > a)
    madvise ((void *) a, b - a, MADV_DONTNEED);
}

static dlnn_code
read_graph (const Onnx__ModelProto * m, init_src * src, dlnn_graph * g,
    dlnn_status * st)
{
  size_t n_init;
  const Onnx__GraphProto *gp = m->graph;
  declared_shape ds;
  name_set inits = { 0 };
  char *produced = NULL;
  dlnn_code ret = DLNN_OK;
  char what[300];

  n_init = init_count (gp, src);
  if (gp->n_node > DLNN_ONNX_MAX_ITEMS || n_init > DLNN_ONNX_MAX_ITEMS || gp->n_input > DLNN_ONNX_MAX_ITEMS
      || gp->n_output > DLNN_ONNX_MAX_ITEMS)
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "graph has an absurd number of nodes, inputs or outputs");
  if (gp->n_sparse_initializer > 0)
    return dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
        "sparse initializers are not supported");
  if (!name_set_init (&inits, n_init))
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  if (src) {
    src->names = calloc (n_init ? n_init : 1, sizeof (char *));
    if (!src->names) {
      ret = dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
      goto out;
    }
  }

  for (size_t i = 0; i < n_init; i++) {
    const char *name;
    if (src) {
      const dlnn_onnx_split *sp = src->split;
      src->names[i] = dlnn_onnx_wire_tensor_name (src->base +
          sp->init_off[i], sp->init_len[i]);
      if (!src->names[i]) {
        ret = dlnn_status_set (st, DLNN_ERR_FORMAT,
            "not an ONNX model or truncated/corrupt file (initializer %zu "
            "is not a valid TensorProto)", i);
        goto out;
      }
      name = src->names[i];
    } else {
      name = gp->initializer[i]->name;
    }
    if (!name || !*name) {
      ret = dlnn_status_set (st, DLNN_ERR_FORMAT,
          "initializer %zu has no name", i);
      goto out;
    }
    if (!name_set_add (&inits, name)) {
      ret = dlnn_status_set (st, DLNN_ERR_FORMAT,
          "initializer '%s' is defined twice", name);
      goto out;
    }
  }

  /* graph inputs first, so that their value indices come first */
  for (size_t i = 0; i < gp->n_input; i++) {
    const Onnx__ValueInfoProto *vi = gp->input[i];
    if (!vi->name || !*vi->name) {
      ret = dlnn_status_set (st, DLNN_ERR_FORMAT,
          "graph input %zu has no name", i);
      goto out;
    }
    if (name_set_has (&inits, vi->name))
      continue;                 /* an initializer listed as input (IR < 4) */
    ret = read_value_info (vi, "graph input", 1, &ds, st);
    if (ret != DLNN_OK)
      goto out;
    if (!ds.known) {
      ret = dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
          "graph input '%s' has no shape (unknown rank is not supported)",
          vi->name);
      goto out;
    }
    if (dlnn_graph_find_value (g, vi->name) >= 0) {
      ret = dlnn_status_set (st, DLNN_ERR_FORMAT,
          "graph input '%s' is declared twice", vi->name);
      goto out;
    }
    if (dlnn_graph_add_input (g, vi->name, ds.ndim, ds.dims, st) < 0) {
      ret = st ? st->code : DLNN_ERR_INVALID;
      goto out;
    }
  }

  for (size_t i = 0; i < n_init; i++) {
    Onnx__TensorProto *tp;
    dlnn_tensor *t;
    int added;
    if (src) {
      /* unpack all but raw_data, which is then read from the map */
      const dlnn_onnx_split *sp = src->split;
      const uint8_t *tb = src->base + sp->init_off[i];
      uint8_t *copy;
      size_t copy_len, raw_off, raw_len;
      int r = dlnn_onnx_wire_strip_raw (tb, sp->init_len[i], &copy,
          &copy_len, &raw_off, &raw_len);
      if (r == 2) {
        ret = dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
        goto out;
      }
      tp = r == 1 ? NULL : onnx__tensor_proto__unpack (NULL, copy_len, copy);
      free (copy);
      if (tp && r == 0) {
        if (tp->has_raw_data)
          free (tp->raw_data.data);     /* cannot be: stripped */
        tp->has_raw_data = 1;
        tp->raw_data.data = (uint8_t *) tb + raw_off;
        tp->raw_data.len = raw_len;
      }
      if (!tp) {
        ret = dlnn_status_set (st, DLNN_ERR_FORMAT,
            "not an ONNX model or truncated/corrupt file (initializer '%s': "
            "protobuf parse error)", src->names[i]);
        goto out;
      }
    } else {
      tp = gp->initializer[i];
    }
    snprintf (what, sizeof (what), "initializer '%s'", tp->name);
    ret = dlnn_onnx_tensor_from_proto (tp, what, &t, st);
    added = ret == DLNN_OK ? dlnn_graph_add_param (g, tp->name, t, 1, st)
        : -1;
    if (src) {
      if (tp->has_raw_data) {   /* points into the map */
        tp->raw_data.data = NULL;
        tp->raw_data.len = 0;
        tp->has_raw_data = 0;
      }
      onnx__tensor_proto__free_unpacked (tp, NULL);
      release_range (src, src->split->init_off[i], src->split->init_len[i]);
      if (ret != DLNN_OK)
        goto out;
      if (added < 0) {
        ret = st ? st->code : DLNN_ERR_INVALID;
        goto out;
      }
      continue;
    }
    if (ret != DLNN_OK)
      goto out;
    if (added < 0) {
      ret = st ? st->code : DLNN_ERR_INVALID;
      goto out;
    }
    /* the graph has its copy: drop the protobuf's now, so the peak memory
     * of loading stays near one copy of the weights */
    {
      Onnx__TensorProto *w = gp->initializer[i];
      free (w->raw_data.data);
      w->raw_data.data = NULL;
      w->raw_data.len = 0;
      free (w->float_data);
      w->float_data = NULL;
      w->n_float_data = 0;
    }
  }

  /* Constants first: a later node may read them before they appear */
  for (size_t i = 0; i < gp->n_node; i++) {
    const Onnx__NodeProto *np = gp->node[i];
    if (np->op_type && strcmp (np->op_type, "Constant") == 0) {
      ret = dlnn_onnx_read_node (g, np, i, st);
      if (ret != DLNN_OK)
        goto out;
    }
  }
  for (size_t i = 0; i < gp->n_node; i++) {
    const Onnx__NodeProto *np = gp->node[i];
    if (!np->op_type || strcmp (np->op_type, "Constant") != 0) {
      ret = dlnn_onnx_read_node (g, np, i, st);
      if (ret != DLNN_OK)
        goto out;
    }
  }
  mark_untrainable (g);

  /* every node input must come from somewhere */
  produced = calloc ((size_t) g->n_values + 1, 1);
  if (!produced) {
    ret = dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    goto out;
  }
  for (int i = 0; i < g->n_nodes; i++) {
    const dlnn_node *n = &g->nodes[i];
    for (int o = 0; o < n->n_outputs; o++) {
      int v = n->outputs[o];
      if (v < 0)
        continue;
      if (produced[v] || g->values[v].kind != DLNN_VALUE_INTERMEDIATE) {
        ret = dlnn_status_set (st, DLNN_ERR_FORMAT,
            "%s node '%s' writes '%s', which is already written by another "
            "node or is a graph input or initializer", n->op_type, n->name,
            g->values[v].name);
        goto out;
      }
      produced[v] = 1;
    }
  }
  for (int i = 0; i < g->n_nodes; i++) {
    const dlnn_node *n = &g->nodes[i];
    for (int j = 0; j < n->n_inputs; j++) {
      int v = n->inputs[j];
      if (v >= 0 && g->values[v].kind == DLNN_VALUE_INTERMEDIATE
          && !produced[v]) {
        ret = dlnn_status_set (st, DLNN_ERR_FORMAT,
            "%s node '%s' reads '%s', which no node, graph input or "
            "initializer provides", n->op_type, n->name, g->values[v].name);
        goto out;
      }
    }
  }

  if (gp->n_output == 0) {
    ret = dlnn_status_set (st, DLNN_ERR_FORMAT, "graph has no outputs");
    goto out;
  }
  for (size_t i = 0; i < gp->n_output; i++) {
    const Onnx__ValueInfoProto *vi = gp->output[i];
    if (!vi->name || !*vi->name) {
      ret = dlnn_status_set (st, DLNN_ERR_FORMAT,
          "graph output %zu has no name", i);
      goto out;
    }
    ret = read_value_info (vi, "graph output", 0, &ds, st);
    if (ret != DLNN_OK)
      goto out;
    if (dlnn_graph_find_value (g, vi->name) < 0) {
      ret = dlnn_status_set (st, DLNN_ERR_FORMAT,
          "graph output '%s' is not produced by any node, graph input or "
          "initializer", vi->name);
      goto out;
    }
    ret = dlnn_graph_add_output (g, vi->name, st);
    if (ret != DLNN_OK)
      goto out;
  }
  for (size_t i = 0; i < gp->n_value_info; i++) {
    const Onnx__ValueInfoProto *vi = gp->value_info[i];
    ret = read_value_info (vi, "value_info", 0, &ds, st);
    if (ret != DLNN_OK)
      goto out;
  }

out:
  if (src && src->names) {
    for (size_t i = 0; i < n_init; i++)
      free (src->names[i]);
    free (src->names);
    src->names = NULL;
  }
  free (inits.slots);
  free (produced);
  return ret;
}

/* After finalize: declared output and value_info shapes must agree with
 * what the graph computes. */
static dlnn_code
check_shapes (const Onnx__GraphProto * gp, const dlnn_graph * g,
    dlnn_status * st)
{
  dlnn_onnx_shapes shapes;
  declared_shape ds;
  dlnn_code ret = DLNN_OK;

  dlnn_onnx_shapes_infer (g, &shapes);
  for (size_t i = 0; i < gp->n_output && ret == DLNN_OK; i++) {
    ret = read_value_info (gp->output[i], "graph output", 0, &ds, st);
    if (ret == DLNN_OK)
      ret = check_declared (g, &shapes, "graph output", gp->output[i]->name,
          &ds, st);
  }
  for (size_t i = 0; i < gp->n_value_info && ret == DLNN_OK; i++) {
    const Onnx__ValueInfoProto *vi = gp->value_info[i];
    if (!vi->name || !*vi->name)
      continue;
    ret = read_value_info (vi, "value_info", 0, &ds, st);
    if (ret == DLNN_OK)
      ret = check_declared (g, &shapes, "value", vi->name, &ds, st);
  }
  dlnn_onnx_shapes_clear (&shapes);
  return ret;
}

static char *
dup_or_null (const char *s)
{
  return s && *s ? dlnn_strdup (s) : NULL;
}

static dlnn_code load_proto (Onnx__ModelProto * m, init_src * src,
    dlnn_graph ** out, dlnn_status * st);

dlnn_code
dlnn_onnx_load_memory (const void *data, size_t len, dlnn_graph ** out,
    dlnn_status * st)
{
  Onnx__ModelProto *m;

  dlnn_status_clear (st);
  if (!out)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "no output graph");
  *out = NULL;
  if (!data && len)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "no data");
  if (len == 0)
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "not an ONNX model or truncated/corrupt file (empty)");
  if (len > DLNN_ONNX_MAX_FILE_SIZE)
    return dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
        "model of %zu bytes is larger than the %zu byte limit", len,
        (size_t) DLNN_ONNX_MAX_FILE_SIZE);

  m = onnx__model_proto__unpack (NULL, len, data);
  if (!m)
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "not an ONNX model or truncated/corrupt file (protobuf parse "
        "error)");
  return load_proto (m, NULL, out, st);
}

/* Builds the graph from an unpacked model and frees @m. */
static dlnn_code
load_proto (Onnx__ModelProto * m, init_src * src, dlnn_graph ** out,
    dlnn_status * st)
{
  dlnn_graph *g = NULL;
  int64_t opset = 0;
  dlnn_code ret;

  ret = check_model (m, &opset, st);
  if (ret != DLNN_OK)
    goto out;
  g = dlnn_graph_new (str_or_empty (m->graph->name));
  if (!g) {
    ret = dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    goto out;
  }
  g->opset = opset;
  g->producer_name = dup_or_null (m->producer_name);
  g->producer_version = dup_or_null (m->producer_version);
  if ((m->producer_name && *m->producer_name && !g->producer_name)
      || (m->producer_version && *m->producer_version
          && !g->producer_version)) {
    ret = dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    goto out;
  }
  if (m->n_metadata_props > DLNN_ONNX_MAX_ITEMS) {
    ret = dlnn_status_set (st, DLNN_ERR_FORMAT,
        "absurd number of metadata_props");
    goto out;
  }
  for (size_t i = 0; i < m->n_metadata_props; i++) {
    const Onnx__StringStringEntryProto *e = m->metadata_props[i];
    if (!e->key || !*e->key) {
      ret = dlnn_status_set (st, DLNN_ERR_FORMAT,
          "metadata_props entry %zu has no key", i);
      goto out;
    }
    ret = dlnn_graph_set_meta (g, e->key, str_or_empty (e->value));
    if (ret != DLNN_OK) {
      dlnn_status_set (st, ret, "out of memory");
      goto out;
    }
  }

  ret = read_graph (m, src, g, st);
  if (ret != DLNN_OK)
    goto out;
  ret = dlnn_onnx_fold_constants (g, st);
  if (ret != DLNN_OK)
    goto out;
  ret = dlnn_graph_finalize (g, st);
  if (ret != DLNN_OK)
    goto out;
  ret = check_shapes (m->graph, g, st);

out:
  onnx__model_proto__free_unpacked (m, NULL);
  if (ret != DLNN_OK) {
    dlnn_graph_free (g);
    return ret;
  }
  *out = g;
  return DLNN_OK;
}

dlnn_code
dlnn_onnx_load_file (const char *path, dlnn_graph ** out, dlnn_status * st)
{
  struct stat sb;
  FILE *f;
  void *map;
  dlnn_onnx_split split;
  size_t len;
  dlnn_code ret;

  dlnn_status_clear (st);
  if (!out)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "no output graph");
  *out = NULL;
  if (!path || !*path)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "no model file given");
  f = fopen (path, "rb");
  if (!f)
    return dlnn_status_set (st, DLNN_ERR_IO, "%s: cannot open: %s", path,
        strerror (errno));
  if (fstat (fileno (f), &sb) != 0) {
    ret = dlnn_status_set (st, DLNN_ERR_IO, "%s: cannot stat: %s", path,
        strerror (errno));
    fclose (f);
    return ret;
  }
  if (!S_ISREG (sb.st_mode)) {
    fclose (f);
    return dlnn_status_set (st, DLNN_ERR_IO, "%s: not a regular file",
        path);
  }
  if (sb.st_size == 0) {
    fclose (f);
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "%s: not an ONNX model or truncated/corrupt file (empty file)",
        path);
  }
  if (sb.st_size < 0 || (uint64_t) sb.st_size > DLNN_ONNX_MAX_FILE_SIZE) {
    fclose (f);
    return dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
        "%s: file of %lld bytes is larger than the %zu byte limit", path,
        (long long) sb.st_size, (size_t) DLNN_ONNX_MAX_FILE_SIZE);
  }
  len = (size_t) sb.st_size;
  map = mmap (NULL, len, PROT_READ, MAP_PRIVATE, fileno (f), 0);
  if (map == MAP_FAILED) {
    ret = dlnn_status_set (st, DLNN_ERR_IO, "%s: cannot map %zu bytes: %s",
        path, len, strerror (errno));
    fclose (f);
    return ret;
  }
  fclose (f);

  /* Unpack all but the initializers, then each initializer on its own,
   * releasing its pages of the file once converted: the peak is about one
   * copy of the weights, not the file + protobuf-c's copy + the graph's. */
  ret = dlnn_onnx_split_model (map, len, &split, st);
  if (ret == DLNN_OK && split.fallback) {
    ret = dlnn_onnx_load_memory (map, len, out, st);
  } else if (ret == DLNN_OK) {
    Onnx__ModelProto *m = onnx__model_proto__unpack (NULL, split.model_len,
        split.model);
    free (split.model);
    split.model = NULL;
    if (!m) {
      ret = dlnn_status_set (st, DLNN_ERR_FORMAT,
          "not an ONNX model or truncated/corrupt file (protobuf parse "
          "error)");
    } else {
      init_src src;
      memset (&src, 0, sizeof (src));
      src.base = map;
      src.split = &split;
      ret = load_proto (m, &src, out, st);
    }
  }
  dlnn_onnx_split_clear (&split);
  munmap (map, len);
  if (ret != DLNN_OK)
    dlnn_status_prefix (st, "%s", path);
  return ret;
}
