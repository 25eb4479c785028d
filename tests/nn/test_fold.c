/* dlnn_graph_optimize_inference (nn/src/ops/fold.c): BatchNormalization
 * folded into Conv and Gemm, Dropout and Identity removed; the optimised
 * graph must give the same outputs through dlnn_exec. */
#include "ops-harness.h"
#include "dlnn/exec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D(...) ((const int64_t[]) { __VA_ARGS__ })

static int
add_rand_param (dlnn_graph * g, const char *name, int nd, const int64_t * d,
    float scale, float offset)
{
  dlnn_tensor *t = oc_rand (nd, d, scale);
  for (int64_t i = 0; i < t->size; i++)
    t->data[i] += offset;
  return dlnn_graph_add_param (g, name, t, 1, NULL);
}

static int
count_type (const dlnn_graph * g, const char *type)
{
  int c = 0;
  for (int i = 0; i < g->n_nodes; i++)
    c += strcmp (g->nodes[i].op_type, type) == 0;
  return c;
}

static void
test_fold_conv_bn (void)
{
  for (int with_bias = 0; with_bias < 2; with_bias++) {
    dlnn_status st;
    dlnn_graph *g = dlnn_graph_new ("fold");
    dlnn_tensor *x = oc_rand (4, D (2, 3, 6, 6), 1.0f), *y0, *y1;
    const char *cin[3] = { "x", "w", with_bias ? "b" : "" };
    const char *bin[5] = { "c", "scale", "bias", "mean", "var" };
    const char *rin[1] = { "n" }, *cout[1] = { "c" }, *bout[1] = { "n" };
    const char *rout[1] = { "y" };
    int conv, nodes0;

    dlnn_graph_add_input (g, "x", 4, D (-1, 3, 6, 6), &st);
    add_rand_param (g, "w", 4, D (4, 3, 3, 3), 0.5f, 0.0f);
    if (with_bias)
      add_rand_param (g, "b", 1, D (4), 1.0f, 0.0f);
    add_rand_param (g, "scale", 1, D (4), 0.5f, 1.0f);
    add_rand_param (g, "bias", 1, D (4), 1.0f, 0.0f);
    add_rand_param (g, "mean", 1, D (4), 1.0f, 0.0f);
    add_rand_param (g, "var", 1, D (4), 0.2f, 1.0f);
    conv = dlnn_graph_add_node (g, "Conv", "conv1", 3, cin, 1, cout, &st);
    dlnn_node_set_ints (g, conv, "pads", 4, D (1, 1, 1, 1));
    dlnn_node_set_float (g, dlnn_graph_add_node (g, "BatchNormalization",
            "bn1", 5, bin, 1, bout, &st), "epsilon", 1e-3f);
    dlnn_graph_add_node (g, "Relu", "relu1", 1, rin, 1, rout, &st);
    dlnn_graph_add_output (g, "y", &st);
    CHECK_OK (dlnn_graph_finalize (g, &st), &st);

    y0 = oc_run_output (g, x, 0);
    nodes0 = g->n_nodes;
    CHECK_OK (dlnn_graph_optimize_inference (g, &st), &st);
    CHECK (g->finalized);
    /* BatchNormalization folded into the Conv, the Relu fused into it */
    CHECK_MSG (g->n_nodes == nodes0 - 2, "%d nodes after, %d before",
        g->n_nodes, nodes0);
    CHECK (count_type (g, "BatchNormalization") == 0);
    CHECK (count_type (g, "Relu") == 0);
    CHECK (g->n_nodes == 1 && g->nodes[0].n_inputs == 3
        && g->nodes[0].inputs[2] >= 0);
    y1 = oc_run_output (g, x, 0);
    CHECK (y0 && y1);
    if (y0 && y1) {
      CHECK (y0->size == y1->size);
      for (int64_t i = 0; i < y0->size; i++)
        CHECK_CLOSE (y1->data[i], y0->data[i], 1e-5);
    }
    dlnn_tensor_free (x);
    dlnn_tensor_free (y0);
    dlnn_tensor_free (y1);
    dlnn_graph_free (g);
  }
}

/* Gemm(transB) -> BN -> Dropout -> Identity(output): BN folds, Dropout and
 * Identity go away, the graph output keeps its name. A conv whose output
 * is also read elsewhere keeps its BN. */
static void
test_fold_gemm_and_passthrough (void)
{
  dlnn_status st;
  dlnn_graph *g = dlnn_graph_new ("fold2");
  dlnn_tensor *x = oc_rand (2, D (4, 6), 1.0f), *y0, *y1;
  const char *gin[3] = { "x", "w", "c" }, *gout[1] = { "h" };
  const char *bin[5] = { "h", "s", "bb", "m", "v" }, *bout[1] = { "hn" };
  const char *din[1] = { "hn" }, *dout[1] = { "hd" };
  const char *iin[1] = { "hd" }, *iout[1] = { "out" };
  int gi;

  dlnn_graph_add_input (g, "x", 2, D (-1, 6), &st);
  add_rand_param (g, "w", 2, D (5, 6), 0.5f, 0.0f);
  add_rand_param (g, "c", 1, D (5), 1.0f, 0.0f);
  add_rand_param (g, "s", 1, D (5), 0.5f, 1.0f);
  add_rand_param (g, "bb", 1, D (5), 1.0f, 0.0f);
  add_rand_param (g, "m", 1, D (5), 1.0f, 0.0f);
  add_rand_param (g, "v", 1, D (5), 0.2f, 1.0f);
  gi = dlnn_graph_add_node (g, "Gemm", "fc", 3, gin, 1, gout, &st);
  dlnn_node_set_int (g, gi, "transB", 1);
  dlnn_node_set_float (g, gi, "beta", 0.5f);
  dlnn_node_set_float (g, gi, "alpha", 1.5f);
  dlnn_graph_add_node (g, "BatchNormalization", "bn", 5, bin, 1, bout, &st);
  dlnn_graph_add_node (g, "Dropout", "drop", 1, din, 1, dout, &st);
  dlnn_graph_add_node (g, "Identity", "id", 1, iin, 1, iout, &st);
  dlnn_graph_add_output (g, "out", &st);
  CHECK_OK (dlnn_graph_finalize (g, &st), &st);
  y0 = oc_run_output (g, x, 0);
  CHECK_OK (dlnn_graph_optimize_inference (g, &st), &st);
  CHECK_MSG (g->n_nodes == 1, "%d nodes", g->n_nodes);
  CHECK (strcmp (g->values[g->outputs[0]].name, "out") == 0);
  CHECK (g->nodes[0].outputs[0] == g->outputs[0]);
  CHECK (dlnn_node_attr_float (&g->nodes[0], "beta", 0.0f) == 1.0f);
  y1 = oc_run_output (g, x, 0);
  CHECK (y0 && y1);
  if (y0 && y1)
    for (int64_t i = 0; i < y0->size; i++)
      CHECK_CLOSE (y1->data[i], y0->data[i], 1e-5);
  dlnn_tensor_free (y0);
  dlnn_tensor_free (y1);
  dlnn_tensor_free (x);
  dlnn_graph_free (g);

  /* conv output read by BN and by Add: no folding */
  g = dlnn_graph_new ("nofold");
  {
    const char *cin[2] = { "x", "w" }, *cout[1] = { "c" };
    const char *bin2[5] = { "c", "s", "bb", "m", "v" }, *bout2[1] = { "n" };
    const char *ain[2] = { "n", "c" }, *aout[1] = { "y" };
    dlnn_graph_add_input (g, "x", 4, D (1, 2, 4, 4), &st);
    add_rand_param (g, "w", 4, D (2, 2, 1, 1), 0.5f, 0.0f);
    add_rand_param (g, "s", 1, D (2), 0.5f, 1.0f);
    add_rand_param (g, "bb", 1, D (2), 1.0f, 0.0f);
    add_rand_param (g, "m", 1, D (2), 1.0f, 0.0f);
    add_rand_param (g, "v", 1, D (2), 0.2f, 1.0f);
    dlnn_graph_add_node (g, "Conv", "conv", 2, cin, 1, cout, &st);
    dlnn_graph_add_node (g, "BatchNormalization", "bn", 5, bin2, 1, bout2,
        &st);
    dlnn_graph_add_node (g, "Add", "add", 2, ain, 1, aout, &st);
    dlnn_graph_add_output (g, "y", &st);
    CHECK_OK (dlnn_graph_optimize_inference (g, &st), &st);
    CHECK (g->n_nodes == 3);
    CHECK (count_type (g, "BatchNormalization") == 1);
  }
  dlnn_graph_free (g);

  /* Identity copying a graph input to the output is kept */
  g = dlnn_graph_new ("keep");
  {
    const char *iin2[1] = { "x" }, *iout2[1] = { "y" };
    dlnn_graph_add_input (g, "x", 2, D (1, 2), &st);
    dlnn_graph_add_node (g, "Identity", "id", 1, iin2, 1, iout2, &st);
    dlnn_graph_add_output (g, "y", &st);
    CHECK_OK (dlnn_graph_optimize_inference (g, &st), &st);
    CHECK (g->n_nodes == 1);
  }
  dlnn_graph_free (g);
}


int
main (void)
{
  dlnn_rng_seed (&oc_data_rng, 99);
  DLNN_RUN (test_fold_conv_bn);
  DLNN_RUN (test_fold_gemm_and_passthrough);
  return dlnn_test_summary ();
}
