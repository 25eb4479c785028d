/* Activation fusion in dlnn_graph_optimize_inference (nn/src/ops/fold.c):
 * Sigmoid + Mul -> Swish (both operand orders), not when the Sigmoid's
 * output is read elsewhere or is a graph output, nor for x * sigmoid (z)
 * (squeeze-excite); Relu / Clip (constant bounds) / Swish into the
 * depthwise Conv that feeds only them, not into other Convs, not with
 * run-time Clip bounds, not when the Conv output is read twice. Values of
 * the optimised graph against a naive loop written here, and a training
 * exec on a fused Conv refuses backward. MaxPool (2x2 / 3x3, stride 2)
 * into the 2-D Conv that feeds only it: the fused graph's output has the
 * bits of the unfused one, through the channel-vector kernel's rings
 * (conv_chv.c) or the full map. */
#include "ops-harness.h"
#include "ops/conv-private.h"
#include "ops/fused_act.h"
#include "dlnn/exec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D(...) ((const int64_t[]) { __VA_ARGS__ })

static int
add_param (dlnn_graph * g, const char *name, dlnn_tensor * t)
{
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

static const dlnn_node *
find_type (const dlnn_graph * g, const char *type)
{
  for (int i = 0; i < g->n_nodes; i++)
    if (strcmp (g->nodes[i].op_type, type) == 0)
      return &g->nodes[i];
  return NULL;
}

static double
silu (double v)
{
  return v / (1.0 + exp (-v));
}

/* x (graph input) -> Sigmoid -> Mul: fused into one Swish for both
 * operand orders; values = x * sigmoid (x). */
static void
test_silu_plain (void)
{
  for (int order = 0; order < 2; order++) {
    dlnn_status st;
    dlnn_graph *g = dlnn_graph_new ("silu");
    const char *sin[1] = { "x" }, *sout[1] = { "s" };
    const char *min0[2] = { "x", "s" }, *min1[2] = { "s", "x" };
    const char *mout[1] = { "y" };
    dlnn_tensor *x = oc_rand (2, D (4, 19), 4.0f), *y;

    dlnn_graph_add_input (g, "x", 2, D (4, 19), &st);
    dlnn_graph_add_node (g, "Sigmoid", "sig", 1, sin, 1, sout, &st);
    dlnn_graph_add_node (g, "Mul", "mul", 2, order ? min1 : min0, 1, mout,
        &st);
    dlnn_graph_add_output (g, "y", &st);
    CHECK_OK (dlnn_graph_finalize (g, &st), &st);
    CHECK_OK (dlnn_graph_optimize_inference (g, &st), &st);
    CHECK_MSG (g->n_nodes == 1 && count_type (g, "Swish") == 1,
        "order %d: %d nodes", order, g->n_nodes);
    CHECK (g->nodes[0].outputs[0] == g->outputs[0]);
    CHECK (strcmp (g->values[g->outputs[0]].name, "y") == 0);
    y = oc_run_output (g, x, 0);
    CHECK (y != NULL);
    for (int64_t i = 0; y && i < y->size; i++)
      CHECK_CLOSE (y->data[i], silu (x->data[i]),
          2e-6 * (1.0 + fabs (silu (x->data[i]))));
    dlnn_tensor_free (y);
    dlnn_tensor_free (x);
    dlnn_graph_free (g);
  }
}

/* Patterns that must stay: the Sigmoid also read by an Add, the Sigmoid
 * a graph output, Mul (x, sigmoid (z)) with z != x. Values unchanged. */
static void
test_silu_not_fused (void)
{
  for (int variant = 0; variant < 3; variant++) {
    dlnn_status st;
    dlnn_graph *g = dlnn_graph_new ("nosilu");
    const char *sin[1] = { variant == 2 ? "z" : "x" }, *sout[1] = { "s" };
    const char *zin[1] = { "x" }, *zout[1] = { "z" };
    const char *min[2] = { "x", "s" }, *mout[1] = { "y" };
    const char *ain[2] = { "s", "x" }, *aout[1] = { "a" };
    dlnn_tensor *x = oc_rand (2, D (3, 21), 3.0f), *y0, *y1;
    int nodes0;

    dlnn_graph_add_input (g, "x", 2, D (3, 21), &st);
    if (variant == 2)
      dlnn_graph_add_node (g, "Tanh", "z", 1, zin, 1, zout, &st);
    dlnn_graph_add_node (g, "Sigmoid", "sig", 1, sin, 1, sout, &st);
    dlnn_graph_add_node (g, "Mul", "mul", 2, min, 1, mout, &st);
    if (variant == 0)
      dlnn_graph_add_node (g, "Add", "add", 2, ain, 1, aout, &st);
    dlnn_graph_add_output (g, "y", &st);
    if (variant == 0)
      dlnn_graph_add_output (g, "a", &st);
    if (variant == 1)
      dlnn_graph_add_output (g, "s", &st);
    CHECK_OK (dlnn_graph_finalize (g, &st), &st);
    y0 = oc_run_output (g, x, 0);
    nodes0 = g->n_nodes;
    CHECK_OK (dlnn_graph_optimize_inference (g, &st), &st);
    CHECK_MSG (g->n_nodes == nodes0 && count_type (g, "Swish") == 0
        && count_type (g, "Sigmoid") == 1 && count_type (g, "Mul") == 1,
        "variant %d: %d nodes, %d Swish", variant, g->n_nodes,
        count_type (g, "Swish"));
    y1 = oc_run_output (g, x, 0);
    CHECK (y0 && y1);
    for (int64_t i = 0; y0 && y1 && i < y0->size; i++) {
      double v = x->data[i], s = 1.0 / (1.0 + exp (-(variant == 2 ?
                  tanh (v) : v)));
      CHECK_CLOSE (y1->data[i], v * s, 2e-6 * (1.0 + fabs (v)));
      CHECK (y1->data[i] == y0->data[i]);
    }
    dlnn_tensor_free (y0);
    dlnn_tensor_free (y1);
    dlnn_tensor_free (x);
    dlnn_graph_free (g);
  }
}

enum { K_RELU, K_CLIP, K_SILU, K_CLIP_DYNAMIC, K_FULL_CONV, K_TWO_READERS,
  K_CONV_OUTPUT, N_KINDS
};

/* naive depthwise 3x3, pad 1, stride 1, C channels, with bias */
static void
naive_dw3 (const float *x, const float *w, const float *b, int64_t c,
    int64_t h, int64_t wd, double *y)
{
  for (int64_t ci = 0; ci < c; ci++)
    for (int64_t oy = 0; oy < h; oy++)
      for (int64_t ox = 0; ox < wd; ox++) {
        double acc = b[ci];
        for (int ki = 0; ki < 3; ki++)
          for (int kj = 0; kj < 3; kj++) {
            int64_t iy = oy - 1 + ki, ix = ox - 1 + kj;
            if (iy >= 0 && iy < h && ix >= 0 && ix < wd)
              acc += (double) x[(ci * h + iy) * wd + ix] * w[ci * 9 + ki * 3
                  + kj];
          }
        y[(ci * h + oy) * wd + ox] = acc;
      }
}

/* x -> Conv (depthwise 3x3 unless K_FULL_CONV) -> activation -> y */
static void
test_conv_act (void)
{
  for (int kind = 0; kind < N_KINDS; kind++) {
    dlnn_status st;
    dlnn_graph *g = dlnn_graph_new ("convact");
    const int64_t c = 4, h = 9, wd = 21;
    int full = kind == K_FULL_CONV;
    dlnn_tensor *w = oc_rand (4, D (c, full ? c : 1, 3, 3), 0.7f);
    dlnn_tensor *b = oc_rand (1, D (c), 1.0f);
    dlnn_tensor *x = oc_rand (4, D (1, c, h, wd), 2.0f), *y;
    dlnn_tensor *wc = dlnn_tensor_copy (w, NULL), *bc = dlnn_tensor_copy (b,
        NULL);
    const char *cin[3] = { "x", "w", "b" }, *cout[1] = { "c" };
    const char *rin[1] = { "c" }, *clin[3] = { "c", "lo", "hi" };
    const char *cldyn[3] = { "c", "", "hi_in" };
    const char *yout[1] = { "y" }, *sout[1] = { "s" };
    const char *min[2] = { "s", "c" }, *ain[2] = { "c", "y" };
    const char *aout[1] = { "z" };
    double *ref = malloc (sizeof (double) * (size_t) (c * h * wd));
    /* a full Conv takes its Relu too (the own GEMM's epilogue, one pass
     * elsewhere; test_fold checks its values) */
    int conv, expect_fused = kind <= K_SILU || kind == K_FULL_CONV;
    const dlnn_node *cn;

    dlnn_graph_add_input (g, "x", 4, D (1, c, h, wd), &st);
    if (kind == K_CLIP_DYNAMIC)
      dlnn_graph_add_input (g, "hi_in", 0, NULL, &st);
    add_param (g, "w", w);
    add_param (g, "b", b);
    add_param (g, "lo", oc_scalar (0.0f));
    add_param (g, "hi", oc_scalar (6.0f));
    conv = dlnn_graph_add_node (g, "Conv", "conv", 3, cin, 1, cout, &st);
    dlnn_node_set_ints (g, conv, "pads", 4, D (1, 1, 1, 1));
    if (!full)
      dlnn_node_set_int (g, conv, "group", c);
    if (kind == K_CLIP)
      dlnn_graph_add_node (g, "Clip", "act", 3, clin, 1, yout, &st);
    else if (kind == K_CLIP_DYNAMIC)
      dlnn_graph_add_node (g, "Clip", "act", 3, cldyn, 1, yout, &st);
    else if (kind == K_SILU) {
      dlnn_graph_add_node (g, "Sigmoid", "sig", 1, rin, 1, sout, &st);
      dlnn_graph_add_node (g, "Mul", "mul", 2, min, 1, yout, &st);
    } else
      dlnn_graph_add_node (g, "Relu", "act", 1, rin, 1, yout, &st);
    if (kind == K_TWO_READERS)
      dlnn_graph_add_node (g, "Add", "add", 2, ain, 1, aout, &st);
    dlnn_graph_add_output (g, kind == K_TWO_READERS ? "z" : "y", &st);
    if (kind == K_CONV_OUTPUT)
      dlnn_graph_add_output (g, "c", &st);
    g->opset = 13;
    CHECK_OK (dlnn_graph_finalize (g, &st), &st);
    CHECK_OK (dlnn_graph_optimize_inference (g, &st), &st);
    cn = find_type (g, "Conv");
    CHECK (cn != NULL);
    if (cn) {
      const char *a = dlnn_node_attr_string (cn, DLNN_FUSED_ATTR, NULL);
      CHECK_MSG ((a != NULL) == expect_fused, "kind %d: attribute %s",
          kind, a ? a : "(none)");
      CHECK_MSG (g->n_nodes == (expect_fused ? 1 : (kind == K_SILU ? 3 : 2))
          + (kind == K_TWO_READERS), "kind %d: %d nodes", kind, g->n_nodes);
      if (kind == K_RELU || kind == K_FULL_CONV)
        CHECK (a && strcmp (a, "Relu") == 0);
      if (kind == K_SILU)
        CHECK (a && strcmp (a, "Swish") == 0);
      if (kind == K_CLIP) {
        CHECK (a && strcmp (a, "Clip") == 0);
        CHECK (dlnn_node_attr_float (cn, DLNN_FUSED_ATTR_MIN, -1.0f) == 0.0f);
        CHECK (dlnn_node_attr_float (cn, DLNN_FUSED_ATTR_MAX, -1.0f) == 6.0f);
      }
      if (expect_fused)
        CHECK (cn->outputs[0] == g->outputs[0]);
    }
    if (!full && kind != K_CLIP_DYNAMIC && kind != K_TWO_READERS && ref) {
      /* values: act (conv) against the naive loop */
      naive_dw3 (x->data, wc->data, bc->data, c, h, wd, ref);
      y = oc_run_output (g, x, 0);
      CHECK (y && y->size == c * h * wd);
      for (int64_t i = 0; y && i < y->size; i++) {
        double v = ref[i];
        if (kind == K_RELU || kind == K_CONV_OUTPUT)
          v = v > 0.0 ? v : 0.0;
        else if (kind == K_CLIP)
          v = v < 0.0 ? 0.0 : (v > 6.0 ? 6.0 : v);
        else
          v = silu (v);
        CHECK_CLOSE (y->data[i], v, 1e-5 * (1.0 + fabs (v)));
      }
      dlnn_tensor_free (y);
    }
    free (ref);
    dlnn_tensor_free (x);
    dlnn_tensor_free (wc);
    dlnn_tensor_free (bc);
    dlnn_graph_free (g);
  }
}

/* Clip with attributes (opset 6) fuses too; a training exec on a fused
 * Conv runs forward but refuses backward with a message naming it. */
static void
test_conv_act_opset6_and_training (void)
{
  dlnn_status st;
  dlnn_graph *g = dlnn_graph_new ("clip6");
  const char *cin[2] = { "x", "w" }, *cout[1] = { "c" };
  const char *rin[1] = { "c" }, *yout[1] = { "y" };
  dlnn_tensor *x = oc_rand (4, D (1, 2, 5, 6), 3.0f), *grad;
  dlnn_exec *e;
  int conv, clip;

  dlnn_graph_add_input (g, "x", 4, D (1, 2, 5, 6), &st);
  add_param (g, "w", oc_rand (4, D (2, 1, 3, 3), 0.7f));
  conv = dlnn_graph_add_node (g, "Conv", "conv", 2, cin, 1, cout, &st);
  dlnn_node_set_int (g, conv, "group", 2);
  clip = dlnn_graph_add_node (g, "Clip", "act", 1, rin, 1, yout, &st);
  dlnn_node_set_float (g, clip, "min", -1.0f);
  dlnn_node_set_float (g, clip, "max", 0.5f);
  dlnn_graph_add_output (g, "y", &st);
  g->opset = 6;
  CHECK_OK (dlnn_graph_finalize (g, &st), &st);
  CHECK_OK (dlnn_graph_optimize_inference (g, &st), &st);
  CHECK (g->n_nodes == 1);
  CHECK (dlnn_node_attr_float (&g->nodes[0], DLNN_FUSED_ATTR_MIN, 0) == -1.0f);
  CHECK (dlnn_node_attr_float (&g->nodes[0], DLNN_FUSED_ATTR_MAX, 0) == 0.5f);
  {
    dlnn_tensor *y = oc_run_output (g, x, 0);
    CHECK (y != NULL);
    for (int64_t i = 0; y && i < y->size; i++)
      CHECK (y->data[i] >= -1.0f && y->data[i] <= 0.5f);
    dlnn_tensor_free (y);
  }
  e = dlnn_exec_new (g, DLNN_EXEC_TRAINING, &st);
  CHECK (e != NULL);
  grad = oc_rand (4, D (1, 2, 3, 4), 1.0f);
  if (e) {
    CHECK_OK (dlnn_exec_reshape (e, 0, 4, x->dims, &st), &st);
    memcpy (dlnn_exec_input (e, 0)->data, x->data,
        sizeof (float) * (size_t) x->size);
    CHECK_OK (dlnn_exec_forward (e, &st), &st);
    CHECK (dlnn_exec_backward (e, 0, grad, &st) == DLNN_ERR_UNSUPPORTED);
    CHECK_MSG (strstr (st.message, "fused") && strstr (st.message, "conv"),
        "%s", st.message);
  }
  dlnn_exec_free (e);
  dlnn_tensor_free (grad);
  dlnn_tensor_free (x);
  dlnn_graph_free (g);
}

/* x -> Conv (stride, pad) [-> Relu] -> MaxPool (k, stride 2, pads, ceil)
 * -> y, one case; @nan puts a NaN into the input. */
typedef struct pool_case
{
  int64_t n, c, m, h, w, k, s, pad, relu, pk, ppad, ceil, nan;
  int chv;                      /* expected to take the channel-vector way */
} pool_case;

static void
test_conv_pool (void)
{
  static const pool_case cases[] = {
    /* squeezenet1_1's stem and pool: 3x3/2, ReLU, 3x3/2 ceil */
    {1, 3, 64, 47, 47, 3, 2, 0, 1, 3, 0, 1, 0, 1},
    {2, 3, 64, 47, 45, 3, 2, 0, 1, 3, 0, 1, 0, 1},
    /* resnet18's: 7x7/2 pad 3, ReLU, 3x3/2 pad 1 */
    {1, 3, 64, 40, 36, 7, 2, 3, 1, 3, 1, 0, 0, 1},
    /* an even map with ceil: the last window half outside */
    {1, 4, 32, 24, 26, 3, 1, 1, 1, 3, 0, 1, 0, 1},
    /* 2x2/2, no activation, a NaN in the input */
    {1, 16, 32, 20, 21, 3, 1, 1, 0, 2, 0, 0, 1, 1},
    {1, 5, 96, 13, 30, 3, 1, 1, 0, 3, 1, 1, 1, 1},
    /* 40 filters: not the channel-vector way, the full map */
    {1, 3, 40, 12, 12, 3, 1, 1, 1, 3, 0, 1, 0, 0},
  };
  int usable = dlnn_conv_chv_usable ();

  for (size_t ci = 0; ci < sizeof (cases) / sizeof (cases[0]); ci++) {
    const pool_case *k = &cases[ci];
    dlnn_status st;
    dlnn_graph *g = dlnn_graph_new ("convpool");
    const char *cin[3] = { "x", "w", "b" }, *cout[1] = { "c" };
    const char *rin[1] = { "c" }, *rout[1] = { "r" };
    const char *pin[1] = { k->relu ? "r" : "c" }, *yout[1] = { "y" };
    dlnn_tensor *x = oc_rand (4, D (k->n, k->c, k->h, k->w), 2.0f);
    dlnn_tensor *y0, *y1;
    int conv, pool;

    if (k->nan)
      x->data[x->size / 3] = NAN;
    dlnn_graph_add_input (g, "x", 4, D (-1, k->c, k->h, k->w), &st);
    add_param (g, "w", oc_rand (4, D (k->m, k->c, k->k, k->k), 0.4f));
    add_param (g, "b", oc_rand (1, D (k->m), 1.0f));
    conv = dlnn_graph_add_node (g, "Conv", "conv", 3, cin, 1, cout, &st);
    dlnn_node_set_ints (g, conv, "pads", 4, D (k->pad, k->pad, k->pad,
            k->pad));
    dlnn_node_set_ints (g, conv, "strides", 2, D (k->s, k->s));
    if (k->relu)
      dlnn_graph_add_node (g, "Relu", "relu", 1, rin, 1, rout, &st);
    pool = dlnn_graph_add_node (g, "MaxPool", "pool", 1, pin, 1, yout, &st);
    dlnn_node_set_ints (g, pool, "kernel_shape", 2, D (k->pk, k->pk));
    dlnn_node_set_ints (g, pool, "strides", 2, D (2, 2));
    dlnn_node_set_ints (g, pool, "pads", 4, D (k->ppad, k->ppad, k->ppad,
            k->ppad));
    dlnn_node_set_int (g, pool, "ceil_mode", k->ceil);
    dlnn_graph_add_output (g, "y", &st);
    CHECK_OK (dlnn_graph_finalize (g, &st), &st);
    y0 = oc_run_output (g, x, 0);
    CHECK_OK (dlnn_graph_optimize_inference (g, &st), &st);
    CHECK_MSG (g->n_nodes == 1 && count_type (g, "Conv") == 1,
        "case %zu: %d nodes", ci, g->n_nodes);
    CHECK (dlnn_node_attr_int (&g->nodes[0], DLNN_FUSED_POOL_KERNEL, 0)
        == k->pk);
    y1 = oc_run_output (g, x, 0);
    CHECK (y0 && y1);
    if (y0 && y1) {
      int64_t nan0 = 0;
      CHECK (y0->size == y1->size);
      for (int64_t i = 0; i < y0->size; i++)
        nan0 += isnan (y0->data[i]);
      CHECK_MSG (!k->nan || nan0 > 0, "case %zu: no NaN reached y", ci);
      CHECK_MSG (memcmp (y0->data, y1->data, sizeof (float)
              * (size_t) y0->size) == 0, "case %zu: fused output differs",
          ci);
    }
    CHECK_MSG (dlnn_conv_chv_cached (&g->nodes[0]) == (usable && k->chv),
        "case %zu: channel-vector way %d", ci,
        dlnn_conv_chv_cached (&g->nodes[0]));
    dlnn_tensor_free (y0);
    dlnn_tensor_free (y1);
    dlnn_tensor_free (x);
    dlnn_graph_free (g);
  }
}

/* A fire module's end: x -> Conv 1x1 (+ Relu) and Conv 3x3 (+ Relu) ->
 * Concat (channels) -> MaxPool 3x3/2 ceil: the pool goes into both Convs
 * and the Concat writes y, with the unfused bits. With the graph input as
 * a third Concat input nothing is fused. */
static void
test_concat_pool (void)
{
  for (int variant = 0; variant < 2; variant++) {
    dlnn_status st;
    dlnn_graph *g = dlnn_graph_new ("firepool");
    const char *ain[2] = { "x", "wa" }, *aout[1] = { "a" };
    const char *bin[2] = { "x", "wb" }, *bout[1] = { "b" };
    const char *rain[1] = { "a" }, *raout[1] = { "ra" };
    const char *rbin[1] = { "b" }, *rbout[1] = { "rb" };
    const char *cin[3] = { "ra", "rb", "x" }, *cout[1] = { "c" };
    const char *pin[1] = { "c" }, *yout[1] = { "y" };
    dlnn_tensor *x = oc_rand (4, D (1, 16, 27, 25), 2.0f), *y0, *y1;
    int n, pool;

    dlnn_graph_add_input (g, "x", 4, D (1, 16, 27, 25), &st);
    add_param (g, "wa", oc_rand (4, D (64, 16, 1, 1), 0.4f));
    add_param (g, "wb", oc_rand (4, D (64, 16, 3, 3), 0.2f));
    dlnn_graph_add_node (g, "Conv", "a", 2, ain, 1, aout, &st);
    n = dlnn_graph_add_node (g, "Conv", "b", 2, bin, 1, bout, &st);
    dlnn_node_set_ints (g, n, "pads", 4, D (1, 1, 1, 1));
    dlnn_graph_add_node (g, "Relu", "ra", 1, rain, 1, raout, &st);
    dlnn_graph_add_node (g, "Relu", "rb", 1, rbin, 1, rbout, &st);
    n = dlnn_graph_add_node (g, "Concat", "cat", variant ? 3 : 2, cin, 1,
        cout, &st);
    dlnn_node_set_int (g, n, "axis", 1);
    pool = dlnn_graph_add_node (g, "MaxPool", "pool", 1, pin, 1, yout, &st);
    dlnn_node_set_ints (g, pool, "kernel_shape", 2, D (3, 3));
    dlnn_node_set_ints (g, pool, "strides", 2, D (2, 2));
    dlnn_node_set_int (g, pool, "ceil_mode", 1);
    dlnn_graph_add_output (g, "y", &st);
    CHECK_OK (dlnn_graph_finalize (g, &st), &st);
    y0 = oc_run_output (g, x, 0);
    CHECK_OK (dlnn_graph_optimize_inference (g, &st), &st);
    CHECK_MSG (count_type (g, "MaxPool") == variant && count_type (g,
            "Relu") == 0 && count_type (g, "Concat") == 1,
        "variant %d: %d MaxPool", variant, count_type (g, "MaxPool"));
    y1 = oc_run_output (g, x, 0);
    CHECK (y0 && y1);
    if (y0 && y1) {
      /* (64 + 64 + 16 variant) channels of 13 x 12 */
      CHECK (y0->size == y1->size
          && y0->size == 16 * 13 * 12 * (8 + variant));
      CHECK_MSG (memcmp (y0->data, y1->data, sizeof (float)
              * (size_t) y0->size) == 0, "variant %d: output differs",
          variant);
    }
    dlnn_tensor_free (y0);
    dlnn_tensor_free (y1);
    dlnn_tensor_free (x);
    dlnn_graph_free (g);
  }
}

int
main (void)
{
  dlnn_rng_seed (&oc_data_rng, 31);
  DLNN_RUN (test_silu_plain);
  DLNN_RUN (test_silu_not_fused);
  DLNN_RUN (test_conv_act);
  DLNN_RUN (test_conv_act_opset6_and_training);
  DLNN_RUN (test_conv_pool);
  DLNN_RUN (test_concat_pool);
  dlnn_set_threads (2);
  DLNN_RUN (test_conv_pool);
  DLNN_RUN (test_concat_pool);
  return dlnn_test_summary ();
}
