/* The ONNX loader's answer to corrupt, truncated, absurd or unsupported
 * models: each is a valid model (onnx-test-util.c) unpacked with the
 * generated protobuf-c code, changed in one place and packed again; plus
 * accepted variants (Constant nodes, typed data, initializers listed as
 * inputs), every truncation point, random bytes and bit flips. */
#include "onnx-test-util.h"
#include "dlnn-test.h"

#include <dirent.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- corrupt models ---- */

typedef void (*mutate_fn) (Onnx__ModelProto * m);

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
        "'body' of type GRAPH (5)"},
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

int
main (void)
{
  DLNN_RUN (test_corrupt_models);
  DLNN_RUN (test_accepted_variants);
  DLNN_RUN (test_truncated);
  DLNN_RUN (test_random_bytes);
  DLNN_RUN (test_bit_flips);
  return dlnn_test_summary ();
}
