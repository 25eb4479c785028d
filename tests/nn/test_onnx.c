/* Tests for ONNX model files (nn/src/onnx): round trips through memory and
 * files, what the writer puts in the ModelProto, file-level errors. */
#include "onnx-test-util.h"
#include "dlnn-test.h"

#include <dirent.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- comparing graphs ---- */

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

int
main (void)
{
  if (!onnx_test_tmpdir_make ("onnx"))
    return 1;
  DLNN_RUN (test_roundtrip_memory);
  DLNN_RUN (test_roundtrip_file);
  DLNN_RUN (test_writer_fields);
  DLNN_RUN (test_file_errors);
  onnx_test_tmpdir_remove ();
  return dlnn_test_summary ();
}
