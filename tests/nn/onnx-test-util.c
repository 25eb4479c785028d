/* Shared by the ONNX tests (see onnx-test-util.h). */
#include "onnx-test-util.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The fixtures must work: a failure here ends the test binary. */
#define REQUIRE(cond, st) do { if (!(cond)) { \
      fprintf (stderr, "%s:%d: fixture failed: %s: %s\n", __FILE__, \
          __LINE__, #cond, (st)->message); exit (1); } } while (0)

char tmpdir[256];

int
onnx_test_tmpdir_make (const char *tag)
{
  const char *base = getenv ("TMPDIR");
  snprintf (tmpdir, sizeof (tmpdir), "%s/dlnn-%s-XXXXXX",
      base && *base ? base : "/tmp", tag);
  if (!mkdtemp (tmpdir)) {
    perror ("mkdtemp");
    return 0;
  }
  return 1;
}

void
onnx_test_tmpdir_remove (void)
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
  REQUIRE (n >= 0, &st);
  return n;
}

/* x [batch,3,8,8] -> Conv -> BN -> Relu -> MaxPool -> Reshape -> Gemm ->
 * Softmax. batch < 0 is dynamic. */
dlnn_graph *
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
  REQUIRE (dlnn_graph_add_input (g, "x", 4, xd, &st) >= 0, &st);
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
    REQUIRE (dlnn_graph_finalize (g, &st) == DLNN_OK, &st);
  return g;
}

/* ---- comparing graphs ---- */

int
tensors_equal (const dlnn_tensor * a, const dlnn_tensor * b)
{
  if (!a || !b || a->dtype != b->dtype || !dlnn_shape_equal (a, b))
    return 0;
  if (a->dtype == DLNN_FLOAT32)
    return memcmp (a->data, b->data, (size_t) a->size * 4) == 0;
  return memcmp (a->idata, b->idata, (size_t) a->size * 8) == 0;
}

Onnx__TensorProto *
find_init (Onnx__ModelProto * m, const char *name)
{
  for (size_t i = 0; i < m->graph->n_initializer; i++)
    if (strcmp (m->graph->initializer[i]->name, name) == 0)
      return m->graph->initializer[i];
  return NULL;
}

Onnx__NodeProto *
find_node (Onnx__ModelProto * m, const char *name)
{
  for (size_t i = 0; i < m->graph->n_node; i++)
    if (m->graph->node[i]->name && strcmp (m->graph->node[i]->name,
            name) == 0)
      return m->graph->node[i];
  return NULL;
}

uint8_t *
valid_model (size_t *len)
{
  dlnn_graph *g = make_graph (-1, 1);
  void *data = NULL;
  dlnn_status st;

  REQUIRE (dlnn_onnx_save_memory (g, &data, len, &st) == DLNN_OK, &st);
  dlnn_graph_free (g);
  return data;
}

