/* Helper for tests/nn/onnx_reference.py (the libdlnn side of the
 * comparison against an independent ONNX runtime).
 *
 *   onnx_reference_tool gen DIR
 *       builds a small CNN (Conv+bias, BatchNormalization with random
 *       statistics, Relu, MaxPool, Conv, Relu, GlobalAveragePool, Flatten,
 *       Gemm, Softmax; opset 13; dl.* metadata) with random weights, saves
 *       it as DIR/model.onnx and writes a random input DIR/x.bin
 *       (float32 little-endian, shape [2, 3, 16, 16]).
 *   onnx_reference_tool run MODEL INPUT.bin OUTDIR [optimize] D0 D1 ...
 *       loads MODEL, optionally applies dlnn_graph_optimize_inference (BN
 *       folding), feeds INPUT.bin (shape D0 D1 ...) to graph input 0, and
 *       writes each output i to OUTDIR/out<i>.bin; prints one line per
 *       output: "<name> <d0> <d1> ...". */
#include "dlnn/dlnn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
fail (const char *what, const dlnn_status * st)
{
  fprintf (stderr, "onnx_reference_tool: %s: %s\n", what,
      st ? st->message : "");
  return 1;
}

static dlnn_tensor *
rand_tensor (dlnn_rng * r, int ndim, const int64_t * dims, float lo,
    float hi)
{
  dlnn_tensor *t = dlnn_tensor_new (DLNN_FLOAT32, ndim, dims, NULL);
  for (int64_t i = 0; t && i < t->size; i++)
    t->data[i] = lo + (hi - lo) * dlnn_rng_uniform (r);
  return t;
}

static int
param (dlnn_graph * g, dlnn_rng * r, const char *name, int ndim,
    int64_t d0, int64_t d1, int64_t d2, int64_t d3, float lo, float hi)
{
  int64_t dims[4] = { d0, d1, d2, d3 };
  dlnn_status st;
  if (dlnn_graph_add_param (g, name, rand_tensor (r, ndim, dims, lo, hi), 1,
          &st) < 0)
    return fail (name, &st);
  return 0;
}

static int
node (dlnn_graph * g, const char *op, const char *name, int ni,
    const char *const *in, const char *out)
{
  dlnn_status st;
  int n = dlnn_graph_add_node (g, op, name, ni, in, 1, &out, &st);
  if (n < 0)
    fail (name, &st);
  return n;
}

static int
gen (const char *dir)
{
  dlnn_graph *g = dlnn_graph_new ("reference_cnn");
  dlnn_status st;
  dlnn_rng r;
  int64_t xd[4] = { -1, 3, 16, 16 };
  const int64_t k3[2] = { 3, 3 }, k2[2] = { 2, 2 }, p1[4] = { 1, 1, 1, 1 };
  char path[4096];
  dlnn_tensor *x;
  FILE *f;
  int n, err = 0;

  dlnn_rng_seed (&r, 20240613);
  g->opset = 13;
  dlnn_graph_add_input (g, "x", 4, xd, &st);
  err |= param (g, &r, "conv1.weight", 4, 8, 3, 3, 3, -0.4f, 0.4f);
  err |= param (g, &r, "conv1.bias", 1, 8, 0, 0, 0, -0.2f, 0.2f);
  err |= param (g, &r, "bn1.weight", 1, 8, 0, 0, 0, 0.5f, 1.5f);
  err |= param (g, &r, "bn1.bias", 1, 8, 0, 0, 0, -0.3f, 0.3f);
  err |= param (g, &r, "bn1.running_mean", 1, 8, 0, 0, 0, -0.3f, 0.3f);
  err |= param (g, &r, "bn1.running_var", 1, 8, 0, 0, 0, 0.3f, 2.0f);
  err |= param (g, &r, "conv2.weight", 4, 16, 8, 3, 3, -0.2f, 0.2f);
  err |= param (g, &r, "conv2.bias", 1, 16, 0, 0, 0, -0.2f, 0.2f);
  err |= param (g, &r, "fc.weight", 2, 10, 16, 0, 0, -0.5f, 0.5f);
  err |= param (g, &r, "fc.bias", 1, 10, 0, 0, 0, -0.2f, 0.2f);
  if (err)
    return 1;
  {
    const char *in[] = { "x", "conv1.weight", "conv1.bias" };
    n = node (g, "Conv", "conv1", 3, in, "c1");
    dlnn_node_set_ints (g, n, "kernel_shape", 2, k3);
    dlnn_node_set_ints (g, n, "pads", 4, p1);
  }
  {
    const char *in[] = { "c1", "bn1.weight", "bn1.bias", "bn1.running_mean",
      "bn1.running_var"
    };
    n = node (g, "BatchNormalization", "bn1", 5, in, "b1");
    dlnn_node_set_float (g, n, "epsilon", 1e-5f);
    dlnn_node_set_float (g, n, "momentum", 0.9f);
  }
  {
    const char *in[] = { "b1" };
    node (g, "Relu", "relu1", 1, in, "r1");
  }
  {
    const char *in[] = { "r1" };
    n = node (g, "MaxPool", "pool1", 1, in, "p1");
    dlnn_node_set_ints (g, n, "kernel_shape", 2, k2);
    dlnn_node_set_ints (g, n, "strides", 2, k2);
  }
  {
    const char *in[] = { "p1", "conv2.weight", "conv2.bias" };
    n = node (g, "Conv", "conv2", 3, in, "c2");
    dlnn_node_set_ints (g, n, "kernel_shape", 2, k3);
    dlnn_node_set_ints (g, n, "strides", 2, k2);
  }
  {
    const char *in[] = { "c2" };
    node (g, "Relu", "relu2", 1, in, "r2");
  }
  {
    const char *in[] = { "r2" };
    node (g, "GlobalAveragePool", "gap", 1, in, "gp");
  }
  {
    const char *in[] = { "gp" };
    n = node (g, "Flatten", "flatten", 1, in, "flat");
    dlnn_node_set_int (g, n, "axis", 1);
  }
  {
    const char *in[] = { "flat", "fc.weight", "fc.bias" };
    n = node (g, "Gemm", "fc", 3, in, "logits");
    dlnn_node_set_int (g, n, "transB", 1);
  }
  {
    const char *in[] = { "logits" };
    n = node (g, "Softmax", "softmax", 1, in, "prob");
    dlnn_node_set_int (g, n, "axis", 1);
  }
  dlnn_graph_add_output (g, "prob", &st);
  dlnn_graph_add_output (g, "logits", &st);
  dlnn_graph_set_meta (g, "dl.task", "classify");
  dlnn_graph_set_meta (g, "dl.labels", "[\"zero\", \"one\", \"two\", "
      "\"three\", \"four\", \"five\", \"six\", \"seven\", \"eight\", "
      "\"nine\"]");
  dlnn_graph_set_meta (g, "dl.image",
      "color=rgb;width=16;height=16;resize=stretch;scale=0.003921569");
  dlnn_graph_set_meta (g, "dl.provenance",
      "{\"tool\": \"onnx_reference_tool\", \"seed\": 20240613}");
  if (dlnn_graph_finalize (g, &st) != DLNN_OK)
    return fail ("finalize", &st);
  snprintf (path, sizeof (path), "%s/model.onnx", dir);
  if (dlnn_onnx_save_file (g, path, &st) != DLNN_OK)
    return fail ("save", &st);
  dlnn_graph_free (g);

  {
    int64_t d[4] = { 2, 3, 16, 16 };
    x = dlnn_tensor_new (DLNN_FLOAT32, 4, d, &st);
    for (int64_t i = 0; i < x->size; i++)
      x->data[i] = dlnn_rng_normal (&r);
  }
  snprintf (path, sizeof (path), "%s/x.bin", dir);
  f = fopen (path, "wb");
  if (!f || fwrite (x->data, sizeof (float), (size_t) x->size, f) !=
      (size_t) x->size) {
    perror (path);
    return 1;
  }
  fclose (f);
  dlnn_tensor_free (x);
  return 0;
}

static int
run (int argc, char **argv)
{
  const char *model = argv[2], *input = argv[3], *outdir = argv[4];
  int optimize = 0, ndim = 0;
  int64_t dims[DLNN_MAX_DIMS];
  dlnn_graph *g = NULL;
  dlnn_exec *e;
  dlnn_tensor *in;
  dlnn_status st;
  FILE *f;
  int a = 5;

  if (a < argc && strcmp (argv[a], "optimize") == 0) {
    optimize = 1;
    a++;
  }
  for (; a < argc && ndim < DLNN_MAX_DIMS; a++)
    dims[ndim++] = strtoll (argv[a], NULL, 10);
  if (dlnn_onnx_load_file (model, &g, &st) != DLNN_OK)
    return fail ("load", &st);
  if (optimize && dlnn_graph_optimize_inference (g, &st) != DLNN_OK)
    return fail ("optimize", &st);
  e = dlnn_exec_new (g, DLNN_EXEC_INFERENCE, &st);
  if (!e)
    return fail ("exec", &st);
  if (dlnn_exec_reshape (e, 0, ndim, dims, &st) != DLNN_OK)
    return fail ("reshape", &st);
  in = dlnn_exec_input (e, 0);
  f = fopen (input, "rb");
  if (!f || fread (in->data, sizeof (float), (size_t) in->size, f) !=
      (size_t) in->size) {
    fprintf (stderr, "%s: cannot read %lld floats\n", input,
        (long long) in->size);
    return 1;
  }
  fclose (f);
  if (dlnn_exec_forward (e, &st) != DLNN_OK)
    return fail ("forward", &st);
  for (int i = 0; i < g->n_outputs; i++) {
    const dlnn_tensor *o = dlnn_exec_output (e, i);
    char path[4096];
    snprintf (path, sizeof (path), "%s/out%d.bin", outdir, i);
    f = fopen (path, "wb");
    if (!f || fwrite (o->data, sizeof (float), (size_t) o->size, f) !=
        (size_t) o->size) {
      perror (path);
      return 1;
    }
    fclose (f);
    printf ("%s", g->values[g->outputs[i]].name);
    for (int d = 0; d < o->ndim; d++)
      printf (" %lld", (long long) o->dims[d]);
    printf ("\n");
  }
  dlnn_exec_free (e);
  dlnn_graph_free (g);
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc == 3 && strcmp (argv[1], "gen") == 0)
    return gen (argv[2]);
  if (argc >= 6 && strcmp (argv[1], "run") == 0)
    return run (argc, argv);
  fprintf (stderr, "usage: %s gen DIR | run MODEL INPUT OUTDIR [optimize] "
      "DIMS...\n", argv[0]);
  return 2;
}
