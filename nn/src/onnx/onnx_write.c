/* libdlnn - writing a dlnn_graph as an ONNX ModelProto.
 *
 * The protobuf-c structures are built in a scratch arena that borrows the
 * graph's strings and tensor data (nothing is copied on little-endian
 * hosts), packed into one buffer, and the arena is dropped. Files are
 * written to "path.tmp.XXXXXX", synced and renamed over @path. */
#include "dlnn/dlnn.h"
#include "onnx_private.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WRITE_IR_VERSION 8
#define WRITE_MIN_OPSET 13
#define DEFAULT_PRODUCER "gst-dl dltrain"

/* ---- scratch arena: every allocation is freed at once ---- */

typedef struct arena
{
  void **ptrs;
  size_t n, cap;
  int failed;
} arena;

static int
arena_keep (arena * ar, void *p)
{
  if (!p) {
    ar->failed = 1;
    return 0;
  }
  if (ar->n == ar->cap) {
    size_t ncap = ar->cap ? ar->cap * 2 : 64;
    void **np = realloc (ar->ptrs, ncap * sizeof (void *));
    if (!np) {
      free (p);
      ar->failed = 1;
      return 0;
    }
    ar->ptrs = np;
    ar->cap = ncap;
  }
  ar->ptrs[ar->n++] = p;
  return 1;
}

static void *
arena_alloc (arena * ar, size_t count, size_t size)
{
  void *p = calloc (count ? count : 1, size);
  return arena_keep (ar, p) ? p : NULL;
}

/* dim_param name "<value>_dim<i>" */
static char *
arena_dim_name (arena * ar, const char *value, int i)
{
  int len = snprintf (NULL, 0, "%s_dim%d", value, i);
  char *p = len >= 0 ? arena_alloc (ar, (size_t) len + 1, 1) : NULL;
  if (p)
    snprintf (p, (size_t) len + 1, "%s_dim%d", value, i);
  return p;
}

static void
arena_free (arena * ar)
{
  for (size_t i = 0; i < ar->n; i++)
    free (ar->ptrs[i]);
  free (ar->ptrs);
  memset (ar, 0, sizeof (*ar));
}

/* ---- pieces ---- */

/* A ValueInfoProto of a float tensor; @ndim < 0 writes no shape. */
static Onnx__ValueInfoProto *
make_value_info (arena * ar, const char *name, int ndim,
    const int64_t * dims, char **dim_params)
{
  Onnx__ValueInfoProto *vi = arena_alloc (ar, 1, sizeof (*vi));
  Onnx__TypeProto *tp = arena_alloc (ar, 1, sizeof (*tp));
  Onnx__TypeProto__Tensor *tt = arena_alloc (ar, 1, sizeof (*tt));

  if (!vi || !tp || !tt)
    return NULL;
  onnx__value_info_proto__init (vi);
  onnx__type_proto__init (tp);
  onnx__type_proto__tensor__init (tt);
  vi->name = (char *) name;
  vi->type = tp;
  tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  tp->tensor_type = tt;
  tt->has_elem_type = 1;
  tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  if (ndim >= 0) {
    Onnx__TensorShapeProto *sp = arena_alloc (ar, 1, sizeof (*sp));
    Onnx__TensorShapeProto__Dimension *d =
        arena_alloc (ar, (size_t) ndim, sizeof (*d));
    Onnx__TensorShapeProto__Dimension **dp =
        arena_alloc (ar, (size_t) ndim, sizeof (*dp));
    if (!sp || !d || !dp)
      return NULL;
    onnx__tensor_shape_proto__init (sp);
    sp->n_dim = (size_t) ndim;
    sp->dim = dp;
    for (int i = 0; i < ndim; i++) {
      onnx__tensor_shape_proto__dimension__init (&d[i]);
      if (dim_params[i]) {
        d[i].value_case =
            ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
        d[i].dim_param = dim_params[i];
      } else {
        d[i].value_case =
            ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        d[i].dim_value = dims[i];
      }
      dp[i] = &d[i];
    }
    tt->shape = sp;
  }
  return vi;
}

static dlnn_code
make_tensor (arena * ar, const dlnn_tensor * t, const char *name,
    Onnx__TensorProto ** out, dlnn_status * st)
{
  Onnx__TensorProto *tp = arena_alloc (ar, 1, sizeof (*tp));
  void *scratch = NULL;
  dlnn_code ret;

  if (!tp)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  onnx__tensor_proto__init (tp);
  ret = dlnn_onnx_tensor_to_proto (t, name, tp, &scratch, st);
  if (ret != DLNN_OK)
    return ret;
  if (scratch && !arena_keep (ar, scratch))
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  *out = tp;
  return DLNN_OK;
}

static dlnn_code
make_attr (arena * ar, const dlnn_node * n, const dlnn_attr * a,
    Onnx__AttributeProto * ap, dlnn_status * st)
{
  onnx__attribute_proto__init (ap);
  if (!a->name || !*a->name)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "%s node '%s' has an attribute without a name", n->op_type,
        n->name);
  ap->name = a->name;
  ap->has_type = 1;
  switch (a->type) {
    case DLNN_ATTR_FLOAT:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
      ap->has_f = 1;
      ap->f = a->f;
      break;
    case DLNN_ATTR_INT:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
      ap->has_i = 1;
      ap->i = a->i;
      break;
    case DLNN_ATTR_STRING:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
      ap->has_s = 1;
      ap->s.data = (uint8_t *) (a->s ? a->s : "");
      ap->s.len = a->s ? strlen (a->s) : 0;
      break;
    case DLNN_ATTR_TENSOR:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
      if (!a->t)
        return dlnn_status_set (st, DLNN_ERR_INVALID,
            "%s node '%s': tensor attribute '%s' has no tensor", n->op_type,
            n->name, a->name);
      return make_tensor (ar, a->t, NULL, &ap->t, st);
    case DLNN_ATTR_FLOATS:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
      if (a->n < 0 || (a->n > 0 && !a->floats))
        goto bad;
      ap->n_floats = (size_t) a->n;
      ap->floats = a->floats;
      break;
    case DLNN_ATTR_INTS:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
      if (a->n < 0 || (a->n > 0 && !a->ints))
        goto bad;
      ap->n_ints = (size_t) a->n;
      ap->ints = a->ints;
      break;
    default:
      return dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
          "%s node '%s': attribute '%s' has unsupported type %d",
          n->op_type, n->name, a->name, (int) a->type);
  }
  return DLNN_OK;

bad:
  return dlnn_status_set (st, DLNN_ERR_INVALID,
      "%s node '%s': attribute '%s' has no values", n->op_type, n->name,
      a->name);
}

static dlnn_code
make_node (arena * ar, const dlnn_graph * g, const dlnn_node * n,
    Onnx__NodeProto * np, dlnn_status * st)
{
  dlnn_code ret;

  onnx__node_proto__init (np);
  if (!n->op_type || !*n->op_type)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "node without op type");
  np->op_type = n->op_type;
  np->name = n->name;
  if (n->domain && *n->domain)
    np->domain = n->domain;
  np->n_input = (size_t) n->n_inputs;
  np->input = arena_alloc (ar, np->n_input, sizeof (char *));
  np->n_output = (size_t) n->n_outputs;
  np->output = arena_alloc (ar, np->n_output, sizeof (char *));
  if (!np->input || !np->output)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  for (int i = 0; i < n->n_inputs; i++) {
    int v = n->inputs[i];
    if (v >= g->n_values)
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "%s node '%s': input %d refers to no value", n->op_type, n->name,
          i);
    np->input[i] = v >= 0 ? g->values[v].name : (char *) "";
  }
  for (int i = 0; i < n->n_outputs; i++) {
    int v = n->outputs[i];
    if (v >= g->n_values)
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "%s node '%s': output %d refers to no value", n->op_type, n->name,
          i);
    np->output[i] = v >= 0 ? g->values[v].name : (char *) "";
  }
  if (n->n_attrs > 0) {
    Onnx__AttributeProto *ap = arena_alloc (ar, (size_t) n->n_attrs,
        sizeof (*ap));
    np->attribute = arena_alloc (ar, (size_t) n->n_attrs, sizeof (*ap));
    if (!ap || !np->attribute)
      return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n->n_attrs; i++) {
      ret = make_attr (ar, n, &n->attrs[i], &ap[i], st);
      if (ret != DLNN_OK)
        return ret;
      np->attribute[i] = &ap[i];
    }
    np->n_attribute = (size_t) n->n_attrs;
  }
  return DLNN_OK;
}

/* Graph inputs: a dynamic first dim is "N", other dynamic dims get a name
 * of their own. Sets *batch_only when "N" is the only dynamic dim name. */
static dlnn_code
make_inputs (arena * ar, const dlnn_graph * g, Onnx__GraphProto * gp,
    int *batch_only, dlnn_status * st)
{
  *batch_only = 1;
  gp->n_input = (size_t) g->n_inputs;
  gp->input = arena_alloc (ar, gp->n_input, sizeof (*gp->input));
  if (!gp->input)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  for (int i = 0; i < g->n_inputs; i++) {
    const dlnn_value *v = &g->values[g->inputs[i]];
    char *params[DLNN_MAX_DIMS] = { 0 };
    if (v->ndim < 0 || v->ndim > DLNN_MAX_DIMS)
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "graph input '%s' has an invalid rank", v->name);
    for (int d = 0; d < v->ndim; d++) {
      if (v->dims[d] >= 0)
        continue;
      if (d == 0) {
        params[d] = (char *) "N";
      } else {
        params[d] = arena_dim_name (ar, v->name, d);
        *batch_only = 0;
        if (!params[d])
          return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
      }
    }
    gp->input[i] = make_value_info (ar, v->name, v->ndim, v->dims, params);
    if (!gp->input[i])
      return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  }
  return DLNN_OK;
}

/* Graph outputs, with the shapes the graph computes when it is finalized
 * (otherwise just "float tensor"). */
static dlnn_code
make_outputs (arena * ar, const dlnn_graph * g, Onnx__GraphProto * gp,
    int batch_only, dlnn_status * st)
{
  dlnn_onnx_shapes shapes;

  if (g->n_outputs <= 0)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "graph has no outputs");
  gp->n_output = (size_t) g->n_outputs;
  gp->output = arena_alloc (ar, gp->n_output, sizeof (*gp->output));
  if (!gp->output)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  dlnn_onnx_shapes_infer (g, &shapes);
  for (int i = 0; i < g->n_outputs; i++) {
    int v = g->outputs[i];
    const char *name;
    int ndim = -1, fixed[DLNN_MAX_DIMS];
    int64_t dims[DLNN_MAX_DIMS];
    char *params[DLNN_MAX_DIMS] = { 0 };

    if (v < 0 || v >= g->n_values) {
      dlnn_onnx_shapes_clear (&shapes);
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "graph output %d refers to no value", i);
    }
    name = g->values[v].name;
    if (!dlnn_onnx_shapes_get (&shapes, v, &ndim, dims, fixed))
      ndim = -1;
    for (int d = 0; d < ndim; d++) {
      if (fixed[d])
        continue;
      if (d == 0 && batch_only && dims[d] == 1 && shapes.b[v].dims[d] == 2)
        params[d] = (char *) "N";
      else
        params[d] = arena_dim_name (ar, name, d);
    }
    gp->output[i] = make_value_info (ar, name, ndim, dims, params);
    if (!gp->output[i] || ar->failed) {
      dlnn_onnx_shapes_clear (&shapes);
      return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    }
  }
  dlnn_onnx_shapes_clear (&shapes);
  return DLNN_OK;
}

static dlnn_code
build_model (arena * ar, const dlnn_graph * g, Onnx__ModelProto * m,
    dlnn_status * st)
{
  Onnx__GraphProto *gp = arena_alloc (ar, 1, sizeof (*gp));
  Onnx__OperatorSetIdProto *os = arena_alloc (ar, 1, sizeof (*os));
  Onnx__OperatorSetIdProto **osp = arena_alloc (ar, 1, sizeof (*osp));
  int n_params = 0, batch_only;
  dlnn_code ret;

  if (!gp || !os || !osp)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  for (int i = 0; i < g->n_values; i++) {
    if (!g->values[i].name || !*g->values[i].name)
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "value %d has no name", i);
    if (g->values[i].kind == DLNN_VALUE_PARAM) {
      if (!g->values[i].init)
        return dlnn_status_set (st, DLNN_ERR_INVALID,
            "parameter '%s' has no data", g->values[i].name);
      n_params++;
    }
  }

  onnx__model_proto__init (m);
  m->has_ir_version = 1;
  m->ir_version = WRITE_IR_VERSION;
  onnx__operator_set_id_proto__init (os);
  os->domain = (char *) "";
  os->has_version = 1;
  os->version = g->opset > WRITE_MIN_OPSET ? g->opset : WRITE_MIN_OPSET;
  osp[0] = os;
  m->n_opset_import = 1;
  m->opset_import = osp;
  m->producer_name = g->producer_name && *g->producer_name ?
      g->producer_name : (char *) DEFAULT_PRODUCER;
  m->producer_version = g->producer_version && *g->producer_version ?
      g->producer_version : (char *) DLNN_VERSION;
  m->graph = gp;

  onnx__graph_proto__init (gp);
  gp->name = g->name && *g->name ? g->name : (char *) "graph";

  ret = make_inputs (ar, g, gp, &batch_only, st);
  if (ret != DLNN_OK)
    return ret;
  ret = make_outputs (ar, g, gp, batch_only, st);
  if (ret != DLNN_OK)
    return ret;

  gp->initializer = arena_alloc (ar, (size_t) n_params,
      sizeof (*gp->initializer));
  if (!gp->initializer)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  for (int i = 0; i < g->n_values; i++) {
    const dlnn_value *v = &g->values[i];
    if (v->kind != DLNN_VALUE_PARAM)
      continue;
    ret = make_tensor (ar, v->init, v->name,
        &gp->initializer[gp->n_initializer], st);
    if (ret != DLNN_OK)
      return ret;
    gp->n_initializer++;
  }

  if (g->n_nodes > 0) {
    Onnx__NodeProto *nodes = arena_alloc (ar, (size_t) g->n_nodes,
        sizeof (*nodes));
    gp->node = arena_alloc (ar, (size_t) g->n_nodes, sizeof (*gp->node));
    if (!nodes || !gp->node)
      return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    for (int i = 0; i < g->n_nodes; i++) {
      ret = make_node (ar, g, &g->nodes[i], &nodes[i], st);
      if (ret != DLNN_OK)
        return ret;
      gp->node[i] = &nodes[i];
    }
    gp->n_node = (size_t) g->n_nodes;
  }

  if (g->n_meta > 0) {
    Onnx__StringStringEntryProto *e = arena_alloc (ar, (size_t) g->n_meta,
        sizeof (*e));
    m->metadata_props = arena_alloc (ar, (size_t) g->n_meta,
        sizeof (*m->metadata_props));
    if (!e || !m->metadata_props)
      return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    for (int i = 0; i < g->n_meta; i++) {
      onnx__string_string_entry_proto__init (&e[i]);
      e[i].key = g->meta_keys[i];
      e[i].value = g->meta_values[i];
      m->metadata_props[i] = &e[i];
    }
    m->n_metadata_props = (size_t) g->n_meta;
  }
  if (ar->failed)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  return DLNN_OK;
}

dlnn_code
dlnn_onnx_save_memory (const dlnn_graph * g, void **data, size_t *len,
    dlnn_status * st)
{
  Onnx__ModelProto m;
  arena ar = { 0 };
  dlnn_code ret;
  size_t size, packed;
  uint8_t *buf;

  dlnn_status_clear (st);
  if (!g || !data || !len)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "no graph or output");
  *data = NULL;
  *len = 0;
  ret = build_model (&ar, g, &m, st);
  if (ret != DLNN_OK)
    goto out;
  size = onnx__model_proto__get_packed_size (&m);
  if (size > DLNN_ONNX_MAX_FILE_SIZE) {
    ret = dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
        "model would be %zu bytes, more than the %zu byte limit of one "
        "ONNX file", size, (size_t) DLNN_ONNX_MAX_FILE_SIZE);
    goto out;
  }
  buf = malloc (size ? size : 1);
  if (!buf) {
    ret = dlnn_status_set (st, DLNN_ERR_NOMEM,
        "out of memory serialising %zu bytes", size);
    goto out;
  }
  packed = onnx__model_proto__pack (&m, buf);
  if (packed != size) {
    free (buf);
    ret = dlnn_status_set (st, DLNN_ERR_INVALID,
        "protobuf packing wrote %zu of %zu bytes", packed, size);
    goto out;
  }
  *data = buf;
  *len = size;

out:
  arena_free (&ar);
  return ret;
}

static int
write_all (int fd, const uint8_t * p, size_t len)
{
  while (len > 0) {
    ssize_t w = write (fd, p, len);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += w;
    len -= (size_t) w;
  }
  return 0;
}

/* Best effort: makes the rename durable. */
static void
sync_parent_dir (const char *path)
{
  char *copy = strdup (path);
  int fd;

  if (!copy)
    return;
  fd = open (dirname (copy), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    fsync (fd);
    close (fd);
  }
  free (copy);
}

dlnn_code
dlnn_onnx_save_file (const dlnn_graph * g, const char *path,
    dlnn_status * st)
{
  void *data = NULL;
  size_t len = 0;
  char *tmp = NULL;
  struct stat sb;
  mode_t mode = 0644;
  int fd = -1;
  dlnn_code ret;

  if (!path || !*path)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "no output file given");
  ret = dlnn_onnx_save_memory (g, &data, &len, st);
  if (ret != DLNN_OK)
    return dlnn_status_prefix (st, "%s", path);

  tmp = malloc (strlen (path) + sizeof (".tmp.XXXXXX"));
  if (!tmp) {
    ret = dlnn_status_set (st, DLNN_ERR_NOMEM, "%s: out of memory", path);
    goto out;
  }
  strcpy (tmp, path);
  strcat (tmp, ".tmp.XXXXXX");
  fd = mkstemp (tmp);
  if (fd < 0) {
    ret = dlnn_status_set (st, DLNN_ERR_IO,
        "%s: cannot create temporary file: %s", path, strerror (errno));
    free (tmp);
    tmp = NULL;
    goto out;
  }
  /* keep the permissions of the file being replaced */
  if (stat (path, &sb) == 0)
    mode = sb.st_mode & 07777;
  if (fchmod (fd, mode) != 0 || write_all (fd, data, len) != 0
      || fsync (fd) != 0) {
    ret = dlnn_status_set (st, DLNN_ERR_IO, "%s: cannot write %s: %s",
        path, tmp, strerror (errno));
    goto out;
  }
  if (close (fd) != 0) {
    fd = -1;
    ret = dlnn_status_set (st, DLNN_ERR_IO, "%s: cannot write %s: %s",
        path, tmp, strerror (errno));
    goto out;
  }
  fd = -1;
  if (rename (tmp, path) != 0) {
    ret = dlnn_status_set (st, DLNN_ERR_IO, "%s: cannot rename %s: %s",
        path, tmp, strerror (errno));
    goto out;
  }
  sync_parent_dir (path);
  free (tmp);
  tmp = NULL;

out:
  if (fd >= 0)
    close (fd);
  if (tmp) {
    unlink (tmp);
    free (tmp);
  }
  free (data);
  return ret;
}
