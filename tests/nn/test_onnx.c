/* Tests for ONNX model files (nn/src/onnx): round trips through memory and
 * files, what the writer puts in the ModelProto, and the loader's answer
 * to corrupt, truncated, absurd or unsupported models. Corrupt models are
 * made here by unpacking a valid model with the generated protobuf-c code,
 * changing one thing and packing it again. */
#include "dlnn/dlnn.h"
#include "onnx.pb-c.h"
#include "dlnn-test.h"

#include <dirent.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];

/* ---- a small graph touching every feature the files carry ---- */

static dlnn_tensor *
rand_tensor (dlnn_rng * r, int ndim, int64_t d0, int64_t d1, int64_t d2,
    int64_t d3, float lo, float hi)
{
  dlnn_tensor *t = dlnn_tensor_new4 (ndim, d0, d1, d2, d3);
  for (int64_t i = 0; i < t->size; i++)
    t->data[i] = lo + (hi - lo) * dlnn_rng_uniform (r);
  return t;
}

static int
add_node (dlnn_graph * g, const char *op, const char *name, int ni,
    const char *const *in, const char *out)
{
  dlnn_status st;
  int n = dlnn_graph_add_node (g, op, name, ni, in, 1, &out, &st);
  CHECK_MSG (n >= 0, "%s", st.message);
  return n;
}

/* x [batch,3,8,8] -> Conv -> BN -> Relu -> MaxPool -> Reshape -> Gemm ->
 * Softmax. batch < 0 is dynamic. */
static dlnn_graph *
make_graph (int64_t batch, int finalize)
{
  dlnn_graph *g = dlnn_graph_new ("roundtrip");
  dlnn_status st;
  dlnn_rng r;
  int64_t xd[4] = { batch, 3, 8, 8 };
  int64_t shape_dims[1] = { 2 };
  dlnn_tensor *shape;
  int n;

  dlnn_rng_seed (&r, 42);
  CHECK (dlnn_graph_add_input (g, "x", 4, xd, &st) >= 0);
  dlnn_graph_add_param (g, "conv1.weight", rand_tensor (&r, 4, 4, 3, 3, 3,
          -0.5f, 0.5f), 1, &st);
  dlnn_graph_add_param (g, "conv1.bias", rand_tensor (&r, 1, 4, 0, 0, 0,
          -0.1f, 0.1f), 1, &st);
  dlnn_graph_add_param (g, "bn.scale", rand_tensor (&r, 1, 4, 0, 0, 0, 0.5f,
          1.5f), 1, &st);
  dlnn_graph_add_param (g, "bn.bias", rand_tensor (&r, 1, 4, 0, 0, 0, -0.2f,
          0.2f), 1, &st);
  dlnn_graph_add_param (g, "bn.mean", rand_tensor (&r, 1, 4, 0, 0, 0, -0.2f,
          0.2f), 0, &st);
  dlnn_graph_add_param (g, "bn.var", rand_tensor (&r, 1, 4, 0, 0, 0, 0.5f,
          2.0f), 0, &st);
  shape = dlnn_tensor_new (DLNN_INT64, 1, shape_dims, &st);
  shape->idata[0] = -1;
  shape->idata[1] = 64;
  dlnn_graph_add_param (g, "flat.shape", shape, 0, &st);
  dlnn_graph_add_param (g, "fc.weight", rand_tensor (&r, 2, 10, 64, 0, 0,
          -0.2f, 0.2f), 1, &st);
  dlnn_graph_add_param (g, "fc.bias", rand_tensor (&r, 1, 10, 0, 0, 0,
          -0.1f, 0.1f), 1, &st);

  {
    const char *in[] = { "x", "conv1.weight", "conv1.bias" };
    const int64_t k[2] = { 3, 3 }, pads[4] = { 1, 1, 1, 1 };
    n = add_node (g, "Conv", "conv1", 3, in, "c1");
    dlnn_node_set_ints (g, n, "kernel_shape", 2, k);
    dlnn_node_set_ints (g, n, "pads", 4, pads);
    dlnn_node_set_string (g, n, "auto_pad", "NOTSET");
    dlnn_node_set_int (g, n, "group", 1);
  }
  {
    const char *in[] = { "c1", "bn.scale", "bn.bias", "bn.mean", "bn.var" };
    n = add_node (g, "BatchNormalization", "bn1", 5, in, "b1");
    dlnn_node_set_float (g, n, "epsilon", 1e-3f);
    dlnn_node_set_float (g, n, "momentum", 0.875f);
  }
  {
    /* Relu has no attributes: these extra ones (ignored by the op) carry
     * the attribute types no other node here uses */
    const char *in[] = { "b1" };
    const float fl[3] = { 0.5f, -1.25f, 3.0e-7f };
    int64_t td[1] = { 3 };
    dlnn_tensor *t = dlnn_tensor_new (DLNN_INT64, 1, td, &st);
    t->idata[0] = 7;
    t->idata[1] = -9;
    t->idata[2] = INT64_MAX;
    n = add_node (g, "Relu", "relu1", 1, in, "r1");
    dlnn_node_set_tensor (g, n, "x_tensor", t);
    dlnn_node_set_floats (g, n, "x_floats", 3, fl);
    dlnn_node_set_string (g, n, "x_string", "h\xc3\xa9llo \"w\"");
  }
  {
    const char *in[] = { "r1" };
    const int64_t k[2] = { 2, 2 };
    n = add_node (g, "MaxPool", "pool1", 1, in, "p1");
    dlnn_node_set_ints (g, n, "kernel_shape", 2, k);
    dlnn_node_set_ints (g, n, "strides", 2, k);
  }
  {
    const char *in[] = { "p1", "flat.shape" };
    add_node (g, "Reshape", "flat", 2, in, "f1");
  }
  {
    const char *in[] = { "f1", "fc.weight", "fc.bias" };
    n = add_node (g, "Gemm", "fc", 3, in, "logits");
    dlnn_node_set_int (g, n, "transB", 1);
    dlnn_node_set_float (g, n, "alpha", 1.0f);
  }
  {
    const char *in[] = { "logits" };
    n = add_node (g, "Softmax", "", 1, in, "prob");
    dlnn_node_set_int (g, n, "axis", 1);
  }
  dlnn_graph_add_output (g, "prob", &st);
  dlnn_graph_add_output (g, "logits", &st);
  dlnn_graph_set_meta (g, "dl.task", "classify");
  dlnn_graph_set_meta (g, "dl.labels",
      "[\"T-shirt/top\", \"Trouser\", \"caf\\u00e9\"]");
  dlnn_graph_set_meta (g, "dl.image", "color=rgb;width=8;height=8");
  dlnn_graph_set_meta (g, "empty", "");
  g->producer_name = strdup ("test_onnx");
  g->producer_version = strdup ("9.8.7");
  if (finalize)
    CHECK_OK (dlnn_graph_finalize (g, &st), &st);
  return g;
}

/* ---- comparing graphs ---- */

static int
tensors_equal (const dlnn_tensor * a, const dlnn_tensor * b)
{
  if (!a || !b || a->dtype != b->dtype || !dlnn_shape_equal (a, b))
    return 0;
  if (a->dtype == DLNN_FLOAT32)
    return memcmp (a->data, b->data, (size_t) a->size * 4) == 0;
  return memcmp (a->idata, b->idata, (size_t) a->size * 8) == 0;
}

static const char *
value_name (const dlnn_graph * g, int v)
{
  return v >= 0 ? g->values[v].name : "";
}

static void
check_attrs_equal (const dlnn_node * a, const dlnn_node * b)
{
  CHECK_MSG (a->n_attrs == b->n_attrs, "node %s: %d vs %d attributes",
      a->name, a->n_attrs, b->n_attrs);
  for (int i = 0; i < a->n_attrs; i++) {
    const dlnn_attr *x = &a->attrs[i];
    const dlnn_attr *y = dlnn_node_attr (b, x->name);
    CHECK_MSG (y != NULL, "node %s lost attribute %s", a->name, x->name);
    if (!y)
      continue;
    CHECK_MSG (x->type == y->type, "attribute %s type", x->name);
    switch (x->type) {
      case DLNN_ATTR_FLOAT:
        CHECK (memcmp (&x->f, &y->f, sizeof (float)) == 0);
        break;
      case DLNN_ATTR_INT:
        CHECK (x->i == y->i);
        break;
      case DLNN_ATTR_STRING:
        CHECK (strcmp (x->s, y->s) == 0);
        break;
      case DLNN_ATTR_TENSOR:
        CHECK (tensors_equal (x->t, y->t));
        break;
      case DLNN_ATTR_FLOATS:
        CHECK (x->n == y->n && memcmp (x->floats, y->floats,
                (size_t) x->n * sizeof (float)) == 0);
        break;
      case DLNN_ATTR_INTS:
        CHECK (x->n == y->n && memcmp (x->ints, y->ints,
                (size_t) x->n * sizeof (int64_t)) == 0);
        break;
    }
  }
}

static void
check_graphs_equal (const dlnn_graph * a, const dlnn_graph * b)
{
  CHECK (strcmp (a->name, b->name) == 0);
  CHECK (b->finalized);
  CHECK (a->opset == b->opset);
  CHECK (a->n_inputs == b->n_inputs);
  for (int i = 0; i < a->n_inputs && i < b->n_inputs; i++) {
    const dlnn_value *x = &a->values[a->inputs[i]];
    const dlnn_value *y = &b->values[b->inputs[i]];
    CHECK (strcmp (x->name, y->name) == 0);
    CHECK (x->ndim == y->ndim);
    for (int d = 0; d < x->ndim; d++)
      CHECK (x->dims[d] == y->dims[d]);
  }
  CHECK (a->n_outputs == b->n_outputs);
  for (int i = 0; i < a->n_outputs && i < b->n_outputs; i++)
    CHECK (strcmp (value_name (a, a->outputs[i]),
            value_name (b, b->outputs[i])) == 0);
  /* every parameter, bit for bit */
  for (int i = 0; i < a->n_values; i++) {
    const dlnn_value *x = &a->values[i];
    int j = dlnn_graph_find_value (b, x->name);
    CHECK_MSG (j >= 0, "value %s lost", x->name);
    if (j < 0)
      continue;
    CHECK (x->kind == b->values[j].kind);
    if (x->kind == DLNN_VALUE_PARAM) {
      CHECK_MSG (tensors_equal (x->init, b->values[j].init),
          "param %s differs", x->name);
      CHECK_MSG (x->trainable == b->values[j].trainable,
          "param %s trainable %d vs %d", x->name, x->trainable,
          b->values[j].trainable);
    }
  }
  CHECK (a->n_nodes == b->n_nodes);
  for (int i = 0; i < a->n_nodes && i < b->n_nodes; i++) {
    const dlnn_node *x = &a->nodes[i], *y = &b->nodes[i];
    CHECK (strcmp (x->op_type, y->op_type) == 0);
    CHECK_MSG (strcmp (x->name, y->name) == 0, "%s vs %s", x->name,
        y->name);
    CHECK (x->n_inputs == y->n_inputs && x->n_outputs == y->n_outputs);
    for (int j = 0; j < x->n_inputs && j < y->n_inputs; j++)
      CHECK (strcmp (value_name (a, x->inputs[j]),
              value_name (b, y->inputs[j])) == 0);
    for (int j = 0; j < x->n_outputs && j < y->n_outputs; j++)
      CHECK (strcmp (value_name (a, x->outputs[j]),
              value_name (b, y->outputs[j])) == 0);
    check_attrs_equal (x, y);
  }
  CHECK (a->n_meta == b->n_meta);
  for (int i = 0; i < a->n_meta; i++) {
    const char *v = dlnn_graph_get_meta (b, a->meta_keys[i]);
    CHECK_MSG (v && strcmp (v, a->meta_values[i]) == 0, "meta %s",
        a->meta_keys[i]);
  }
  CHECK (strcmp (b->producer_name, a->producer_name) == 0);
  CHECK (strcmp (b->producer_version, a->producer_version) == 0);
}

/* ---- round trips ---- */

static void
test_roundtrip_memory (void)
{
  for (int dyn = 0; dyn < 2; dyn++) {
    dlnn_graph *g = make_graph (dyn ? -1 : 2, 1), *g2 = NULL;
    dlnn_status st;
    void *data = NULL;
    size_t len = 0;

    CHECK_OK (dlnn_onnx_save_memory (g, &data, &len, &st), &st);
    CHECK (len > 4 * (108 + 10 * 64));
    CHECK_OK (dlnn_onnx_load_memory (data, len, &g2, &st), &st);
    if (g2)
      check_graphs_equal (g, g2);
    /* and once more from the loaded graph: the same bytes */
    if (g2) {
      void *data2 = NULL;
      size_t len2 = 0;
      CHECK_OK (dlnn_onnx_save_memory (g2, &data2, &len2, &st), &st);
      CHECK (len2 == len && memcmp (data, data2, len) == 0);
      free (data2);
    }
    free (data);
    dlnn_graph_free (g);
    dlnn_graph_free (g2);
  }
}

static int
count_tmp_files (const char *dir)
{
  DIR *d = opendir (dir);
  struct dirent *e;
  int n = 0;

  if (!d)
    return -1;
  while ((e = readdir (d)))
    if (strstr (e->d_name, ".tmp."))
      n++;
  closedir (d);
  return n;
}

static void
test_roundtrip_file (void)
{
  char path[512], bad[512];
  dlnn_graph *g = make_graph (-1, 1), *g2 = NULL, *empty;
  dlnn_status st;
  struct stat sb;
  off_t size1;

  snprintf (path, sizeof (path), "%s/model.onnx", tmpdir);
  CHECK_OK (dlnn_onnx_save_file (g, path, &st), &st);
  CHECK (stat (path, &sb) == 0 && sb.st_size > 0);
  size1 = sb.st_size;
  CHECK_OK (dlnn_onnx_load_file (path, &g2, &st), &st);
  if (g2)
    check_graphs_equal (g, g2);
  dlnn_graph_free (g2);
  g2 = NULL;

  /* replacing: change metadata, save over the old file */
  dlnn_graph_set_meta (g, "dl.metrics", "{\"test_accuracy\": 0.5}");
  CHECK_OK (dlnn_onnx_save_file (g, path, &st), &st);
  CHECK_OK (dlnn_onnx_load_file (path, &g2, &st), &st);
  CHECK (g2 && dlnn_graph_get_meta (g2, "dl.metrics")
      && strcmp (dlnn_graph_get_meta (g2, "dl.metrics"),
          "{\"test_accuracy\": 0.5}") == 0);
  dlnn_graph_free (g2);
  CHECK (stat (path, &sb) == 0 && sb.st_size > size1);
  size1 = sb.st_size;

  /* a failed save (graph without outputs) leaves the old file alone */
  empty = dlnn_graph_new ("empty");
  CHECK (dlnn_onnx_save_file (empty, path, &st) == DLNN_ERR_INVALID);
  CHECK (strstr (st.message, path) != NULL);
  CHECK (stat (path, &sb) == 0 && sb.st_size == size1);
  dlnn_graph_free (empty);

  /* a directory that does not exist */
  snprintf (bad, sizeof (bad), "%s/no/such/dir/model.onnx", tmpdir);
  CHECK (dlnn_onnx_save_file (g, bad, &st) == DLNN_ERR_IO);
  CHECK_MSG (strstr (st.message, bad) != NULL, "%s", st.message);

  CHECK (count_tmp_files (tmpdir) == 0);
  dlnn_graph_free (g);
}

/* ---- what the writer writes ---- */

static Onnx__ModelProto *
save_and_unpack (const dlnn_graph * g)
{
  void *data = NULL;
  size_t len = 0;
  dlnn_status st;
  Onnx__ModelProto *m;

  CHECK_OK (dlnn_onnx_save_memory (g, &data, &len, &st), &st);
  m = onnx__model_proto__unpack (NULL, len, data);
  free (data);
  CHECK (m != NULL);
  return m;
}

static Onnx__TensorProto *
find_init (Onnx__ModelProto * m, const char *name)
{
  for (size_t i = 0; i < m->graph->n_initializer; i++)
    if (strcmp (m->graph->initializer[i]->name, name) == 0)
      return m->graph->initializer[i];
  return NULL;
}

static Onnx__NodeProto *
find_node (Onnx__ModelProto * m, const char *name)
{
  for (size_t i = 0; i < m->graph->n_node; i++)
    if (m->graph->node[i]->name && strcmp (m->graph->node[i]->name,
            name) == 0)
      return m->graph->node[i];
  return NULL;
}

static void
test_writer_fields (void)
{
  dlnn_graph *g = make_graph (-1, 1);
  Onnx__ModelProto *m = save_and_unpack (g);
  Onnx__TensorProto *w;
  const Onnx__TensorShapeProto *sp;
  const Onnx__TensorShapeProto__Dimension *d;

  if (!m) {
    dlnn_graph_free (g);
    return;
  }
  CHECK (m->has_ir_version && m->ir_version == 8);
  CHECK (m->n_opset_import == 1);
  CHECK (m->opset_import[0]->domain == NULL
      || strcmp (m->opset_import[0]->domain, "") == 0);
  CHECK (m->opset_import[0]->version == 13);
  CHECK (strcmp (m->producer_name, "test_onnx") == 0);
  CHECK (strcmp (m->graph->name, "roundtrip") == 0);
  CHECK (m->n_metadata_props == 4);

  /* input x: [N, 3, 8, 8] with N a dim_param */
  CHECK (m->graph->n_input == 1);
  sp = m->graph->input[0]->type->tensor_type->shape;
  CHECK (m->graph->input[0]->type->tensor_type->elem_type ==
      ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
  CHECK (sp && sp->n_dim == 4);
  d = sp->dim[0];
  CHECK (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
      && strcmp (d->dim_param, "N") == 0);
  CHECK (sp->dim[1]->value_case ==
      ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
      && sp->dim[1]->dim_value == 3);
  CHECK (sp->dim[3]->dim_value == 8);

  /* outputs: prob and logits [N, 10] */
  CHECK (m->graph->n_output == 2);
  CHECK (strcmp (m->graph->output[0]->name, "prob") == 0);
  sp = m->graph->output[1]->type->tensor_type->shape;
  CHECK (sp && sp->n_dim == 2);
  if (sp && sp->n_dim == 2) {
    CHECK (sp->dim[0]->value_case ==
        ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
        && strcmp (sp->dim[0]->dim_param, "N") == 0);
    CHECK (sp->dim[1]->value_case ==
        ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
        && sp->dim[1]->dim_value == 10);
  }

  /* initializers: raw little-endian data */
  CHECK (m->graph->n_initializer == 9);
  w = find_init (m, "conv1.weight");
  CHECK (w && w->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
  if (w) {
    int v = dlnn_graph_find_value (g, "conv1.weight");
    const float *ref = g->values[v].init->data;
    CHECK (w->n_dims == 4 && w->dims[0] == 4 && w->dims[1] == 3);
    CHECK (w->has_raw_data && w->raw_data.len == 108 * 4);
    for (int i = 0; i < 108 && w->raw_data.len == 108 * 4; i++) {
      const uint8_t *p = w->raw_data.data + 4 * i;
      uint32_t u = (uint32_t) p[0] | (uint32_t) p[1] << 8 |
          (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
      float f;
      memcpy (&f, &u, 4);
      if (f != ref[i]) {
        CHECK_MSG (0, "conv1.weight[%d]", i);
        break;
      }
    }
  }
  w = find_init (m, "flat.shape");
  CHECK (w && w->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64
      && w->raw_data.len == 16 && w->raw_data.data[0] == 0xff
      && w->raw_data.data[7] == 0xff && w->raw_data.data[8] == 64
      && w->raw_data.data[9] == 0);

  /* nodes in order with their attributes typed */
  CHECK (m->graph->n_node == 7);
  {
    Onnx__NodeProto *n = find_node (m, "conv1");
    CHECK (n && strcmp (n->op_type, "Conv") == 0 && n->n_input == 3);
    for (size_t i = 0; n && i < n->n_attribute; i++) {
      Onnx__AttributeProto *a = n->attribute[i];
      CHECK (a->has_type);
      if (strcmp (a->name, "pads") == 0)
        CHECK (a->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS
            && a->n_ints == 4);
      if (strcmp (a->name, "auto_pad") == 0)
        CHECK (a->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING
            && a->s.len == 6 && memcmp (a->s.data, "NOTSET", 6) == 0);
    }
  }
  onnx__model_proto__free_unpacked (m, NULL);

  /* opset: at least 13; a newer one is kept; default producer */
  g->opset = 11;
  free (g->producer_name);
  g->producer_name = NULL;
  m = save_and_unpack (g);
  CHECK (m && m->opset_import[0]->version == 13);
  CHECK (m && strcmp (m->producer_name, "gst-dl dltrain") == 0);
  onnx__model_proto__free_unpacked (m, NULL);
  g->opset = 17;
  m = save_and_unpack (g);
  CHECK (m && m->opset_import[0]->version == 17);
  onnx__model_proto__free_unpacked (m, NULL);
  dlnn_graph_free (g);

  /* a static batch gives static output shapes */
  g = make_graph (2, 1);
  m = save_and_unpack (g);
  sp = m ? m->graph->output[0]->type->tensor_type->shape : NULL;
  CHECK (sp && sp->n_dim == 2 && sp->dim[0]->value_case ==
      ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
      && sp->dim[0]->dim_value == 2 && sp->dim[1]->dim_value == 10);
  onnx__model_proto__free_unpacked (m, NULL);
  dlnn_graph_free (g);

  /* an unfinalized graph (unknown op) is written without output shapes
   * and is then refused by the loader, naming op and node */
  {
    dlnn_graph *u = dlnn_graph_new ("u");
    dlnn_status st;
    int64_t xd[2] = { 1, 4 };
    const char *in[] = { "x" }, *out = "y";
    void *data = NULL;
    size_t len = 0;
    dlnn_graph *back = NULL;

    dlnn_graph_add_input (u, "x", 2, xd, &st);
    dlnn_graph_add_node (u, "Foo", "bar", 1, in, 1, &out, &st);
    dlnn_graph_add_output (u, "y", &st);
    m = save_and_unpack (u);
    CHECK (m && m->graph->n_output == 1
        && m->graph->output[0]->type->tensor_type->shape == NULL);
    onnx__model_proto__free_unpacked (m, NULL);
    CHECK_OK (dlnn_onnx_save_memory (u, &data, &len, &st), &st);
    CHECK (dlnn_onnx_load_memory (data, len, &back, &st) ==
        DLNN_ERR_UNSUPPORTED);
    CHECK_MSG (strstr (st.message, "'Foo'") && strstr (st.message, "'bar'")
        && strstr (st.message, "opset 13"), "%s", st.message);
    CHECK (back == NULL);
    free (data);
    /* through a file, the message starts with the path */
    {
      char path[512];
      snprintf (path, sizeof (path), "%s/foo.onnx", tmpdir);
      CHECK_OK (dlnn_onnx_save_file (u, path, &st), &st);
      CHECK (dlnn_onnx_load_file (path, &back, &st) ==
          DLNN_ERR_UNSUPPORTED);
      CHECK_MSG (strncmp (st.message, path, strlen (path)) == 0
          && strstr (st.message, "unsupported op 'Foo' (node 'bar'"), "%s",
          st.message);
      CHECK (back == NULL);
    }
    dlnn_graph_free (u);
  }
}

/* ---- corrupt models ---- */

typedef void (*mutate_fn) (Onnx__ModelProto * m);

static uint8_t *
valid_model (size_t *len)
{
  dlnn_graph *g = make_graph (-1, 1);
  void *data = NULL;
  dlnn_status st;

  CHECK_OK (dlnn_onnx_save_memory (g, &data, len, &st), &st);
  dlnn_graph_free (g);
  return data;
}

/* Loads the valid model after @fn changed it. */
static dlnn_code
load_mutated (mutate_fn fn, dlnn_graph ** out, dlnn_status * st)
{
  size_t len, len2;
  uint8_t *data = valid_model (&len), *data2;
  Onnx__ModelProto *m = onnx__model_proto__unpack (NULL, len, data);
  dlnn_graph *g = NULL;
  dlnn_code ret;

  free (data);
  fn (m);
  len2 = onnx__model_proto__get_packed_size (m);
  data2 = malloc (len2);
  onnx__model_proto__pack (m, data2);
  onnx__model_proto__free_unpacked (m, NULL);
  ret = dlnn_onnx_load_memory (data2, len2, &g, st);
  free (data2);
  CHECK ((ret == DLNN_OK) == (g != NULL));
  if (out)
    *out = g;
  else
    dlnn_graph_free (g);
  return ret;
}

static void
set_str (char **field, const char *s)
{
  free (*field);
  *field = strdup (s);
}

static Onnx__TensorProto *
init_named (Onnx__ModelProto * m, const char *name)
{
  Onnx__TensorProto *t = find_init (m, name);
  CHECK (t != NULL);
  return t;
}

static void
mut_raw_short (Onnx__ModelProto * m)
{
  init_named (m, "conv1.weight")->raw_data.len -= 4;
}

static void
mut_raw_long (Onnx__ModelProto * m)
{
  Onnx__TensorProto *t = init_named (m, "conv1.weight");
  t->raw_data.data = realloc (t->raw_data.data, t->raw_data.len + 4);
  memset (t->raw_data.data + t->raw_data.len, 0, 4);
  t->raw_data.len += 4;
}

static void
mut_absurd_dim (Onnx__ModelProto * m)
{
  init_named (m, "fc.bias")->dims[0] = (int64_t) 1 << 40;
}

static void
mut_overflow_dims (Onnx__ModelProto * m)
{
  Onnx__TensorProto *t = init_named (m, "fc.bias");
  t->dims = realloc (t->dims, 4 * sizeof (int64_t));
  t->n_dims = 4;
  for (int i = 0; i < 4; i++)
    t->dims[i] = (int64_t) 1 << 20;
}

static void
mut_negative_dim (Onnx__ModelProto * m)
{
  init_named (m, "fc.bias")->dims[0] = -10;
}

static void
mut_many_dims (Onnx__ModelProto * m)
{
  Onnx__TensorProto *t = init_named (m, "fc.bias");
  t->dims = realloc (t->dims, 9 * sizeof (int64_t));
  t->n_dims = 9;
  for (int i = 0; i < 9; i++)
    t->dims[i] = i == 0 ? 10 : 1;
}

static void
mut_double (Onnx__ModelProto * m)
{
  init_named (m, "fc.bias")->data_type =
      ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
}

static void
mut_external (Onnx__ModelProto * m)
{
  Onnx__TensorProto *t = init_named (m, "fc.weight");
  Onnx__StringStringEntryProto *e = malloc (sizeof (*e));

  onnx__string_string_entry_proto__init (e);
  e->key = strdup ("location");
  e->value = strdup ("weights.bin");
  t->n_external_data = 1;
  t->external_data = malloc (sizeof (*t->external_data));
  t->external_data[0] = e;
  t->has_data_location = 1;
  t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  free (t->raw_data.data);
  t->raw_data.data = NULL;
  t->raw_data.len = 0;
  t->has_raw_data = 0;
}

static void
mut_unknown_op (Onnx__ModelProto * m)
{
  Onnx__NodeProto *n = find_node (m, "relu1");
  set_str (&n->op_type, "Foo");
  set_str (&n->name, "bar");
}

static void
mut_missing_producer (Onnx__ModelProto * m)
{
  set_str (&find_node (m, "fc")->input[0], "nowhere");
}

static void
mut_dangling_output (Onnx__ModelProto * m)
{
  set_str (&m->graph->output[1]->name, "ghost");
}

static void
mut_no_graph (Onnx__ModelProto * m)
{
  onnx__graph_proto__free_unpacked (m->graph, NULL);
  m->graph = NULL;
}

static void
mut_no_opset (Onnx__ModelProto * m)
{
  onnx__operator_set_id_proto__free_unpacked (m->opset_import[0], NULL);
  m->n_opset_import = 0;
}

static void
mut_foreign_opset (Onnx__ModelProto * m)
{
  set_str (&m->opset_import[0]->domain, "com.microsoft");
}

static void
mut_node_domain (Onnx__ModelProto * m)
{
  set_str (&find_node (m, "relu1")->domain, "com.example");
}

static void
mut_ir_old (Onnx__ModelProto * m)
{
  m->ir_version = 2;
}

static void
mut_ir_missing (Onnx__ModelProto * m)
{
  m->has_ir_version = 0;
}

static void
mut_graph_attr (Onnx__ModelProto * m)
{
  Onnx__NodeProto *n = find_node (m, "relu1");
  Onnx__AttributeProto *a = malloc (sizeof (*a));

  onnx__attribute_proto__init (a);
  a->name = strdup ("body");
  a->has_type = 1;
  a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
  a->g = malloc (sizeof (*a->g));
  onnx__graph_proto__init (a->g);
  n->attribute = realloc (n->attribute, (n->n_attribute + 1) *
      sizeof (*n->attribute));
  n->attribute[n->n_attribute++] = a;
}

static void
mut_output_shape (Onnx__ModelProto * m)
{
  m->graph->output[1]->type->tensor_type->shape->dim[1]->dim_value = 12;
}

static void
mut_param_shape (Onnx__ModelProto * m)
{
  /* a 5-channel conv bias for a 4-channel conv, data consistent */
  Onnx__TensorProto *t = init_named (m, "conv1.bias");
  t->dims[0] = 5;
  t->raw_data.data = realloc (t->raw_data.data, 20);
  memset (t->raw_data.data + 16, 0, 4);
  t->raw_data.len = 20;
}

static void
mut_input_int64 (Onnx__ModelProto * m)
{
  m->graph->input[0]->type->tensor_type->elem_type =
      ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
}

static void
mut_input_negative (Onnx__ModelProto * m)
{
  Onnx__TensorShapeProto__Dimension *d =
      m->graph->input[0]->type->tensor_type->shape->dim[2];
  d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
  d->dim_value = -8;
}

static void
mut_duplicate_init (Onnx__ModelProto * m)
{
  set_str (&init_named (m, "fc.bias")->name, "conv1.bias");
}

/* typed float_data with one value too few */
static void
mut_float_data_count (Onnx__ModelProto * m)
{
  Onnx__TensorProto *t = init_named (m, "fc.bias");
  t->n_float_data = 9;
  t->float_data = calloc (9, sizeof (float));
  free (t->raw_data.data);
  t->raw_data.data = NULL;
  t->raw_data.len = 0;
  t->has_raw_data = 0;
}

static void
mut_two_writers (Onnx__ModelProto * m)
{
  set_str (&find_node (m, "relu1")->output[0], "c1");
}

static void
mut_cycle (Onnx__ModelProto * m)
{
  /* conv reads the output of relu, which depends on the conv */
  set_str (&find_node (m, "conv1")->input[0], "r1");
}

static void
mut_ints_attr_as_tensor_external (Onnx__ModelProto * m)
{
  /* a tensor attribute of an unsupported type */
  Onnx__NodeProto *n = find_node (m, "relu1");
  for (size_t i = 0; i < n->n_attribute; i++)
    if (n->attribute[i]->t)
      n->attribute[i]->t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__UINT8;
}

typedef struct corrupt_case
{
  const char *name;
  mutate_fn fn;
  dlnn_code code;
  const char *must1, *must2;    /* substrings of the message */
} corrupt_case;

static void
test_corrupt_models (void)
{
  static const corrupt_case cases[] = {
    {"raw_data short", mut_raw_short, DLNN_ERR_FORMAT, "conv1.weight",
        "raw_data has 428 bytes, expected 432"},
    {"raw_data long", mut_raw_long, DLNN_ERR_FORMAT, "conv1.weight",
        "raw_data"},
    {"absurd dim", mut_absurd_dim, DLNN_ERR_NOMEM, "fc.bias", "absurd"},
    {"overflowing dims", mut_overflow_dims, DLNN_ERR_NOMEM, "fc.bias",
        "absurd"},
    {"negative dim", mut_negative_dim, DLNN_ERR_SHAPE, "fc.bias",
        "negative"},
    {"9 dims", mut_many_dims, DLNN_ERR_UNSUPPORTED, "fc.bias", "9"},
    {"double data", mut_double, DLNN_ERR_UNSUPPORTED, "fc.bias", "DOUBLE"},
    {"external data", mut_external, DLNN_ERR_UNSUPPORTED, "fc.weight",
        "external"},
    {"unknown op", mut_unknown_op, DLNN_ERR_UNSUPPORTED, "'Foo'", "'bar'"},
    {"missing producer", mut_missing_producer, DLNN_ERR_FORMAT, "nowhere",
        "fc"},
    {"dangling output", mut_dangling_output, DLNN_ERR_FORMAT, "ghost",
        "output"},
    {"no graph", mut_no_graph, DLNN_ERR_FORMAT, "not an ONNX model",
        "graph"},
    {"no opset", mut_no_opset, DLNN_ERR_FORMAT, "opset_import", NULL},
    {"foreign opset", mut_foreign_opset, DLNN_ERR_UNSUPPORTED,
        "com.microsoft", NULL},
    {"node domain", mut_node_domain, DLNN_ERR_UNSUPPORTED, "com.example",
        "relu1"},
    {"IR 2", mut_ir_old, DLNN_ERR_UNSUPPORTED, "IR version 2", NULL},
    {"no IR", mut_ir_missing, DLNN_ERR_FORMAT, "ir_version", NULL},
    {"graph attribute", mut_graph_attr, DLNN_ERR_UNSUPPORTED, "relu1",
        "'body' of type GRAPH"},
    {"output shape", mut_output_shape, DLNN_ERR_SHAPE, "logits", "12"},
    {"param shape", mut_param_shape, DLNN_ERR_SHAPE, "conv1", NULL},
    {"int64 input", mut_input_int64, DLNN_ERR_UNSUPPORTED, "'x'", "INT64"},
    {"negative input dim", mut_input_negative, DLNN_ERR_SHAPE, "'x'",
        "-8"},
    {"duplicate initializer", mut_duplicate_init, DLNN_ERR_FORMAT,
        "conv1.bias", "twice"},
    {"float_data count", mut_float_data_count, DLNN_ERR_FORMAT, "fc.bias",
        "9 values, expected 10"},
    {"two writers", mut_two_writers, DLNN_ERR_FORMAT, "c1", NULL},
    {"cycle", mut_cycle, DLNN_ERR_FORMAT, "cycle", NULL},
    {"uint8 tensor attribute", mut_ints_attr_as_tensor_external,
        DLNN_ERR_UNSUPPORTED, "x_tensor", "UINT8"},
  };

  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
    const corrupt_case *c = &cases[i];
    dlnn_status st;
    dlnn_code ret = load_mutated (c->fn, NULL, &st);
    if (getenv ("DLNN_TEST_VERBOSE"))
      fprintf (stderr, "  %-24s %s\n", c->name, st.message);
    CHECK_MSG (ret == c->code, "%s: code %d (%s), expected %d: %s",
        c->name, ret, dlnn_code_name (ret), c->code, st.message);
    CHECK_MSG (strstr (st.message, c->must1) != NULL,
        "%s: message \"%s\" lacks \"%s\"", c->name, st.message, c->must1);
    CHECK_MSG (!c->must2 || strstr (st.message, c->must2) != NULL,
        "%s: message \"%s\" lacks \"%s\"", c->name, st.message, c->must2);
  }
}

/* ---- accepted variants ---- */

static void
mut_constant_node (Onnx__ModelProto * m)
{
  /* fc.bias becomes a Constant node placed after its consumer */
  Onnx__GraphProto *gp = m->graph;
  Onnx__NodeProto *n = malloc (sizeof (*n));
  Onnx__AttributeProto *a = malloc (sizeof (*a));
  size_t k;

  for (k = 0; k < gp->n_initializer; k++)
    if (strcmp (gp->initializer[k]->name, "fc.bias") == 0)
      break;
  onnx__node_proto__init (n);
  onnx__attribute_proto__init (a);
  a->name = strdup ("value");
  a->has_type = 1;
  a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
  a->t = gp->initializer[k];
  gp->initializer[k] = gp->initializer[--gp->n_initializer];
  n->op_type = strdup ("Constant");
  n->n_output = 1;
  n->output = malloc (sizeof (char *));
  n->output[0] = strdup ("fc.bias");
  n->n_attribute = 1;
  n->attribute = malloc (sizeof (*n->attribute));
  n->attribute[0] = a;
  gp->node = realloc (gp->node, (gp->n_node + 1) * sizeof (*gp->node));
  gp->node[gp->n_node++] = n;
}

static void
mut_init_as_input (Onnx__ModelProto * m)
{
  /* IR 3 style: initializers also listed as graph inputs */
  Onnx__GraphProto *gp = m->graph;
  Onnx__ValueInfoProto *vi = malloc (sizeof (*vi));

  onnx__value_info_proto__init (vi);
  vi->name = strdup ("fc.weight");
  gp->input = realloc (gp->input, (gp->n_input + 1) * sizeof (*gp->input));
  gp->input[gp->n_input++] = vi;
}

static void
mut_typed_data_unnamed (Onnx__ModelProto * m)
{
  /* float_data instead of raw_data; int64_data too; no node names */
  Onnx__TensorProto *t = init_named (m, "fc.bias");
  Onnx__TensorProto *s = init_named (m, "flat.shape");

  t->n_float_data = 10;
  t->float_data = malloc (10 * sizeof (float));
  memcpy (t->float_data, t->raw_data.data, 40);
  free (t->raw_data.data);
  t->raw_data.data = NULL;
  t->raw_data.len = 0;
  t->has_raw_data = 0;
  s->n_int64_data = 2;
  s->int64_data = malloc (2 * sizeof (int64_t));
  s->int64_data[0] = -1;
  s->int64_data[1] = 64;
  free (s->raw_data.data);
  s->raw_data.data = NULL;
  s->raw_data.len = 0;
  s->has_raw_data = 0;
  for (size_t i = 0; i < m->graph->n_node; i++)
    set_str (&m->graph->node[i]->name, "");
}

static void
test_accepted_variants (void)
{
  dlnn_graph *ref = make_graph (-1, 1), *g = NULL;
  dlnn_status st;
  int v, r;

  CHECK_OK (load_mutated (mut_constant_node, &g, &st), &st);
  if (g) {
    v = dlnn_graph_find_value (g, "fc.bias");
    r = dlnn_graph_find_value (ref, "fc.bias");
    CHECK (v >= 0 && g->values[v].kind == DLNN_VALUE_PARAM);
    CHECK (v >= 0 && !g->values[v].trainable);
    CHECK (v >= 0 && tensors_equal (g->values[v].init,
            ref->values[r].init));
    CHECK (g->n_nodes == ref->n_nodes);
  }
  dlnn_graph_free (g);

  CHECK_OK (load_mutated (mut_init_as_input, &g, &st), &st);
  CHECK (g && g->n_inputs == 1);
  dlnn_graph_free (g);

  CHECK_OK (load_mutated (mut_typed_data_unnamed, &g, &st), &st);
  if (g) {
    v = dlnn_graph_find_value (g, "fc.bias");
    r = dlnn_graph_find_value (ref, "fc.bias");
    CHECK (tensors_equal (g->values[v].init, ref->values[r].init));
    v = dlnn_graph_find_value (g, "flat.shape");
    r = dlnn_graph_find_value (ref, "flat.shape");
    CHECK (tensors_equal (g->values[v].init, ref->values[r].init));
    /* generated names node_<index in the file> */
    CHECK (strcmp (g->nodes[0].name, "node_0") == 0);
    CHECK (strcmp (g->nodes[6].name, "node_6") == 0);
    /* BN statistics are not trainable, weights are */
    CHECK (!g->values[dlnn_graph_find_value (g, "bn.mean")].trainable);
    CHECK (!g->values[dlnn_graph_find_value (g, "bn.var")].trainable);
    CHECK (g->values[dlnn_graph_find_value (g, "bn.scale")].trainable);
    CHECK (g->values[dlnn_graph_find_value (g, "conv1.weight")].trainable);
    /* the dynamic batch is -1 */
    CHECK (g->values[g->inputs[0]].dims[0] == -1);
    CHECK (g->values[g->inputs[0]].dims[1] == 3);
  }
  dlnn_graph_free (g);
  dlnn_graph_free (ref);
}

/* ---- truncation, random bytes, bit flips ---- */

static void
test_truncated (void)
{
  size_t len;
  uint8_t *data = valid_model (&len);
  int n_ok = 0;

  if (!data)
    return;
  /* cut points inside the graph (its weights come first) must fail */
  {
    const size_t cuts[] = { 1, 2, 10, 50, len / 4, len / 2, 3 * len / 4,
      len - 1
    };
    for (size_t i = 0; i < sizeof (cuts) / sizeof (cuts[0]); i++) {
      dlnn_graph *g = NULL;
      dlnn_status st;
      dlnn_code ret = dlnn_onnx_load_memory (data, cuts[i], &g, &st);
      CHECK_MSG (ret == DLNN_ERR_FORMAT, "cut at %zu of %zu: %d %s",
          cuts[i], len, ret, st.message);
      CHECK (strstr (st.message, "truncated/corrupt") != NULL);
      CHECK (g == NULL);
    }
  }
  /* every cut point: an error, or (cut between two whole metadata
   * entries at the end) a model that lost only metadata */
  for (size_t cut = 0; cut < len; cut += 1 + cut / 64) {
    dlnn_graph *g = NULL;
    dlnn_status st;
    dlnn_code ret = dlnn_onnx_load_memory (data, cut, &g, &st);
    if (ret == DLNN_OK) {
      n_ok++;
      CHECK_MSG (g->n_meta < 4 && g->n_nodes == 7, "cut %zu loaded", cut);
    } else {
      CHECK (g == NULL && st.message[0] != '\0');
    }
    dlnn_graph_free (g);
  }
  CHECK (n_ok < 5);
  free (data);
}

static void
test_random_bytes (void)
{
  dlnn_rng r;
  uint8_t buf[4096];

  dlnn_rng_seed (&r, 7);
  for (int iter = 0; iter < 300; iter++) {
    size_t len = 1 + dlnn_rng_below (&r, sizeof (buf));
    dlnn_graph *g = NULL;
    dlnn_status st;
    dlnn_code ret;
    for (size_t i = 0; i < len; i++)
      buf[i] = (uint8_t) dlnn_rng_below (&r, 256);
    ret = dlnn_onnx_load_memory (buf, len, &g, &st);
    CHECK_MSG (ret == DLNN_ERR_FORMAT || ret == DLNN_ERR_UNSUPPORTED,
        "random %d: %d %s", iter, ret, st.message);
    CHECK (g == NULL);
  }
}

static void
test_bit_flips (void)
{
  size_t len;
  uint8_t *data = valid_model (&len), *copy;
  dlnn_rng r;
  int n_err = 0;

  if (!data)
    return;
  copy = malloc (len);
  dlnn_rng_seed (&r, 11);
  /* no crash, no leak (run by hand under valgrind); errors have text */
  for (int iter = 0; iter < 400; iter++) {
    dlnn_graph *g = NULL;
    dlnn_status st;
    int flips = 1 + (int) dlnn_rng_below (&r, 4);
    memcpy (copy, data, len);
    for (int k = 0; k < flips; k++) {
      /* the header and node area is small: aim there half the time */
      size_t pos = dlnn_rng_below (&r, 2) ? dlnn_rng_below (&r,
          (uint32_t) len) : len - 1 - dlnn_rng_below (&r, 600);
      copy[pos] ^= (uint8_t) (1u << dlnn_rng_below (&r, 8));
    }
    if (dlnn_onnx_load_memory (copy, len, &g, &st) != DLNN_OK) {
      n_err++;
      CHECK (g == NULL && st.message[0] != '\0');
    }
    dlnn_graph_free (g);
  }
  CHECK (n_err > 0);
  free (copy);
  free (data);
}

/* ---- files ---- */

static void
test_file_errors (void)
{
  char path[512];
  dlnn_graph *g = NULL;
  dlnn_status st;
  FILE *f;
  size_t len;
  uint8_t *data;

  snprintf (path, sizeof (path), "%s/missing.onnx", tmpdir);
  CHECK (dlnn_onnx_load_file (path, &g, &st) == DLNN_ERR_IO);
  CHECK (strstr (st.message, path) != NULL);

  snprintf (path, sizeof (path), "%s/empty.onnx", tmpdir);
  f = fopen (path, "wb");
  fclose (f);
  CHECK (dlnn_onnx_load_file (path, &g, &st) == DLNN_ERR_FORMAT);
  CHECK_MSG (strstr (st.message, path) && strstr (st.message, "empty"),
      "%s", st.message);

  CHECK (dlnn_onnx_load_file (tmpdir, &g, &st) == DLNN_ERR_IO);

  /* a truncated file: the message starts with the path */
  data = valid_model (&len);
  snprintf (path, sizeof (path), "%s/truncated.onnx", tmpdir);
  f = fopen (path, "wb");
  fwrite (data, 1, len / 2, f);
  fclose (f);
  CHECK (dlnn_onnx_load_file (path, &g, &st) == DLNN_ERR_FORMAT);
  CHECK_MSG (strncmp (st.message, path, strlen (path)) == 0
      && strstr (st.message, "not an ONNX model or truncated/corrupt file"),
      "%s", st.message);
  CHECK (g == NULL);

  /* text */
  snprintf (path, sizeof (path), "%s/text.onnx", tmpdir);
  f = fopen (path, "wb");
  fputs ("this is not a model\n", f);
  fclose (f);
  CHECK (dlnn_onnx_load_file (path, &g, &st) == DLNN_ERR_FORMAT);
  CHECK (g == NULL);
  free (data);

  /* larger than DLNN_ONNX_MAX_FILE_SIZE: refused before reading (the
   * file is sparse, it takes no space) */
  snprintf (path, sizeof (path), "%s/huge.onnx", tmpdir);
  f = fopen (path, "wb");
  if (f && ftruncate (fileno (f), (off_t) DLNN_ONNX_MAX_FILE_SIZE + 1) == 0) {
    fclose (f);
    CHECK (dlnn_onnx_load_file (path, &g, &st) == DLNN_ERR_UNSUPPORTED);
    CHECK_MSG (strstr (st.message, "limit") != NULL, "%s", st.message);
  } else if (f) {
    fclose (f);
  }
  unlink (path);
  {
    static const uint8_t tiny[4] = { 0 };
    CHECK (dlnn_onnx_load_memory (tiny, DLNN_ONNX_MAX_FILE_SIZE + 1, &g,
            &st) == DLNN_ERR_UNSUPPORTED);
  }

  CHECK (dlnn_onnx_load_file (NULL, &g, &st) == DLNN_ERR_INVALID);
  CHECK (dlnn_onnx_load_memory (NULL, 0, &g, &st) == DLNN_ERR_FORMAT);
}

static void
remove_tmpdir (void)
{
  DIR *d = opendir (tmpdir);
  struct dirent *e;
  char p[600];

  if (!d)
    return;
  while ((e = readdir (d))) {
    if (e->d_name[0] == '.')
      continue;
    snprintf (p, sizeof (p), "%s/%s", tmpdir, e->d_name);
    unlink (p);
  }
  closedir (d);
  rmdir (tmpdir);
}

int
main (void)
{
  const char *base = getenv ("TMPDIR");
  snprintf (tmpdir, sizeof (tmpdir), "%s/dlnn-onnx-XXXXXX",
      base && *base ? base : "/tmp");
  if (!mkdtemp (tmpdir)) {
    perror ("mkdtemp");
    return 1;
  }
  DLNN_RUN (test_roundtrip_memory);
  DLNN_RUN (test_roundtrip_file);
  DLNN_RUN (test_writer_fields);
  DLNN_RUN (test_corrupt_models);
  DLNN_RUN (test_accepted_variants);
  DLNN_RUN (test_truncated);
  DLNN_RUN (test_random_bytes);
  DLNN_RUN (test_bit_flips);
  DLNN_RUN (test_file_errors);
  remove_tmpdir ();
  return dlnn_test_summary ();
}
