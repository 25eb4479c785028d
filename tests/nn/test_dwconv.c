/* Depthwise convolution kernels (nn/src/ops/conv_depthwise.c and
 * conv_depthwise_simd.h) with bias and fused activation against a naive
 * double-precision loop written here: 3x3 and 5x5, stride 1 and 2,
 * symmetric and asymmetric pads (0..2, more than the kernel reaches),
 * odd widths and heights around the vector widths (tails), channel
 * multipliers, batches, 1 and 2 threads, and every SIMD level this CPU
 * has (AVX-512, AVX2 + FMA, plain C), through the Conv op in dlnn_exec;
 * the cases include the row kernels (planes in chunks of rows), the
 * flat small-plane kernel, the AVX-512 kernels straight from the input
 * (stride 2, narrow or SiLU stride 1, two planes per vector for <= 8
 * columns) and their limits; NaN inputs.
 * Also: the Swish op against x * sigmoid (x) and its gradient, and the
 * attributes' error message. */
#include "ops-harness.h"
#include "ops/fused_act.h"
#include "dlnn/exec.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D(...) ((const int64_t[]) { __VA_ARGS__ })

enum { ACT_NONE, ACT_RELU, ACT_CLIP6, ACT_CLIPNEG, ACT_SWISH, N_ACTS };
static const char *const act_names[N_ACTS] =
    { NULL, "Relu", "Clip", "Clip", "Swish" };

static double
naive_act (int act, double v)
{
  switch (act) {
    case ACT_RELU:
      return v > 0.0 ? v : 0.0;
    case ACT_CLIP6:
      return v < 0.0 ? 0.0 : (v > 6.0 ? 6.0 : v);
    case ACT_CLIPNEG:
      return v < -0.5 ? -0.5 : (v > 0.25 ? 0.25 : v);
    case ACT_SWISH:
      return v / (1.0 + exp (-v));
    default:
      return v;
  }
}

typedef struct dw_case
{
  int64_t n, c, mult, ih, iw, k, s;
  int64_t pt, pl, pb, pr;
} dw_case;

/* y = act (depthwise conv (x, w) + b), group = c, mult filters per
 * channel, in double. */
static void
naive_dw (const dw_case * t, const float *x, const float *w, const float *b,
    int act, int64_t oh, int64_t ow, double *y)
{
  int64_t m = t->c * t->mult;

  for (int64_t ni = 0; ni < t->n; ni++)
    for (int64_t mi = 0; mi < m; mi++)
      for (int64_t oy = 0; oy < oh; oy++)
        for (int64_t ox = 0; ox < ow; ox++) {
          int64_t ci = mi / t->mult;
          double acc = b ? b[mi] : 0.0;
          for (int64_t ki = 0; ki < t->k; ki++)
            for (int64_t kj = 0; kj < t->k; kj++) {
              int64_t iy = oy * t->s - t->pt + ki, ix = ox * t->s - t->pl + kj;
              if (iy < 0 || iy >= t->ih || ix < 0 || ix >= t->iw)
                continue;
              acc += (double) x[((ni * t->c + ci) * t->ih + iy) * t->iw + ix]
                  * w[(mi * t->k + ki) * t->k + kj];
            }
          y[((ni * m + mi) * oh + oy) * ow + ox] = naive_act (act, acc);
        }
}

/* The graph x -> Conv (depthwise, fused @act) -> y. */
static dlnn_graph *
dw_graph (const dw_case * t, int with_bias, int act, dlnn_tensor ** wout,
    dlnn_tensor ** bout)
{
  dlnn_status st;
  dlnn_graph *g = dlnn_graph_new ("dw");
  int64_t m = t->c * t->mult;
  dlnn_tensor *w = oc_rand (4, D (m, 1, t->k, t->k), 0.5f);
  dlnn_tensor *b = with_bias ? oc_rand (1, D (m), 1.0f) : NULL;
  const char *in[3] = { "x", "w", "b" }, *out[1] = { "y" };
  int node;

  *wout = dlnn_tensor_copy (w, NULL);
  *bout = b ? dlnn_tensor_copy (b, NULL) : NULL;
  dlnn_graph_add_input (g, "x", 4, D (-1, t->c, t->ih, t->iw), &st);
  dlnn_graph_add_param (g, "w", w, 0, &st);
  if (b)
    dlnn_graph_add_param (g, "b", b, 0, &st);
  node = dlnn_graph_add_node (g, "Conv", "dw", with_bias ? 3 : 2, in, 1,
      out, &st);
  dlnn_node_set_int (g, node, "group", t->c);
  dlnn_node_set_ints (g, node, "strides", 2, D (t->s, t->s));
  dlnn_node_set_ints (g, node, "pads", 4, D (t->pt, t->pl, t->pb, t->pr));
  if (act != ACT_NONE)
    dlnn_node_set_string (g, node, DLNN_FUSED_ATTR, act_names[act]);
  if (act == ACT_CLIP6) {
    dlnn_node_set_float (g, node, DLNN_FUSED_ATTR_MIN, 0.0f);
    dlnn_node_set_float (g, node, DLNN_FUSED_ATTR_MAX, 6.0f);
  } else if (act == ACT_CLIPNEG) {
    dlnn_node_set_float (g, node, DLNN_FUSED_ATTR_MIN, -0.5f);
    dlnn_node_set_float (g, node, DLNN_FUSED_ATTR_MAX, 0.25f);
  }
  dlnn_graph_add_output (g, "y", &st);
  if (dlnn_graph_finalize (g, &st) != DLNN_OK) {
    fprintf (stderr, "finalize: %s\n", st.message);
    dlnn_graph_free (g);
    return NULL;
  }
  return g;
}

/* When set, run_case puts NaN into every 97th input (from the 5th). */
static int nan_inputs;

/* Runs one case; returns the number of mismatching outputs (a NaN
 * expected where the naive loop gives NaN, finite values elsewhere). */
static int
run_case (const dw_case * t, int with_bias, int act, int threads)
{
  dlnn_status st;
  dlnn_tensor *w = NULL, *b = NULL;
  dlnn_graph *g = dw_graph (t, with_bias, act, &w, &b);
  dlnn_tensor *x = oc_rand (4, D (t->n, t->c, t->ih, t->iw), 2.0f);
  int64_t oh = (t->ih + t->pt + t->pb - t->k) / t->s + 1;
  int64_t ow = (t->iw + t->pl + t->pr - t->k) / t->s + 1;
  int64_t m = t->c * t->mult, size = t->n * m * oh * ow;
  double *ref = malloc ((size_t) size * sizeof (double));
  dlnn_exec *e = g ? dlnn_exec_new (g, DLNN_EXEC_INFERENCE, &st) : NULL;
  int bad = 0;

  CHECK (g && e && ref && x);
  if (!g || !e || !ref || !x)
    goto done;
  dlnn_set_threads (threads);
  if (nan_inputs)
    for (int64_t i = 5; i < x->size; i += 97)
      x->data[i] = NAN;
  naive_dw (t, x->data, w->data, b ? b->data : NULL, act, oh, ow, ref);
  CHECK_OK (dlnn_exec_reshape (e, 0, 4, x->dims, &st), &st);
  memcpy (dlnn_exec_input (e, 0)->data, x->data,
      (size_t) x->size * sizeof (float));
  CHECK_OK (dlnn_exec_forward (e, &st), &st);
  {
    const dlnn_tensor *y = dlnn_exec_output (e, 0);
    CHECK (y->size == size && y->dims[2] == oh && y->dims[3] == ow);
    for (int64_t i = 0; i < size && i < y->size; i++)
      if (isnan (ref[i]) ? !isnan (y->data[i])
          : !(fabs (y->data[i] - ref[i]) <= 1e-5 * (1.0 + fabs (ref[i])))) {
        if (bad++ < 3)
          fprintf (stderr, "  level %d n%lld c%lld x%lld %lldx%lld k%lld "
              "s%lld pads %lld,%lld,%lld,%lld bias %d act %d threads %d: "
              "y[%lld] = %.7g, naive %.7g\n", dlnn_simd_level (),
              (long long) t->n, (long long) t->c, (long long) t->mult,
              (long long) t->ih, (long long) t->iw, (long long) t->k,
              (long long) t->s, (long long) t->pt, (long long) t->pl,
              (long long) t->pb, (long long) t->pr, with_bias, act, threads,
              (long long) i, y->data[i], ref[i]);
      }
  }
done:
  dlnn_set_threads (1);
  dlnn_exec_free (e);
  dlnn_graph_free (g);
  dlnn_tensor_free (x);
  dlnn_tensor_free (w);
  dlnn_tensor_free (b);
  free (ref);
  return bad;
}

static const dw_case cases[] = {
  /* n, c, mult, ih, iw, k, s, pads t l b r */
  {1, 3, 1, 7, 7, 3, 1, 1, 1, 1, 1},
  {1, 4, 1, 14, 14, 3, 1, 1, 1, 1, 1},
  {2, 3, 1, 9, 17, 3, 1, 1, 1, 1, 1},   /* one lane past 16 */
  {1, 2, 1, 5, 33, 3, 1, 0, 0, 0, 0},   /* no pad, 31 outputs */
  {1, 2, 2, 11, 40, 3, 1, 1, 1, 1, 1},  /* multiplier 2, 5 vectors */
  {1, 3, 1, 112, 112, 3, 1, 1, 1, 1, 1},
  {1, 2, 1, 13, 71, 3, 1, 0, 2, 1, 0},  /* asymmetric */
  {1, 3, 1, 8, 8, 3, 2, 1, 1, 1, 1},
  {1, 3, 1, 15, 15, 3, 2, 1, 1, 1, 1},  /* odd input, stride 2 */
  {2, 2, 1, 12, 35, 3, 2, 0, 1, 1, 0},  /* PyTorch-style SAME of TF */
  {1, 2, 1, 112, 112, 3, 2, 1, 1, 1, 1},
  {1, 3, 1, 7, 7, 5, 1, 2, 2, 2, 2},
  {1, 2, 1, 14, 19, 5, 1, 2, 2, 2, 2},
  {1, 2, 1, 28, 28, 5, 2, 2, 2, 2, 2},
  {1, 3, 1, 13, 27, 5, 2, 1, 2, 2, 1},
  {1, 2, 2, 9, 9, 5, 2, 2, 2, 2, 2},
  {1, 2, 1, 6, 6, 3, 1, 3, 3, 3, 3},    /* pads wider than the kernel */
  {1, 2, 1, 6, 21, 5, 2, 0, 3, 0, 4},
  {1, 1, 1, 1, 1, 3, 1, 1, 1, 1, 1},    /* 1x1 input */
  {1, 2, 1, 3, 50, 3, 2, 0, 0, 0, 0},   /* one output row */
  /* small stride-1 planes (the flat AVX-512 kernel): asymmetric pads,
   * multiplier, 8 vectors exactly, one more than fits */
  {1, 2, 1, 8, 5, 3, 1, 0, 2, 1, 0},
  {2, 3, 2, 6, 9, 5, 1, 2, 1, 0, 2},
  {1, 2, 1, 14, 7, 3, 1, 1, 1, 1, 1},   /* 14 x 9 = 126 positions */
  {1, 2, 1, 15, 7, 3, 1, 1, 1, 1, 1},   /* 135: regular kernel */
  {1, 5, 1, 1, 11, 5, 1, 2, 2, 2, 2},
  /* small stride-2 planes (four phases): 5 vectors exactly, one row
   * more (regular kernel), odd top pad */
  {1, 2, 1, 16, 16, 5, 2, 2, 2, 2, 2},
  {1, 2, 1, 18, 16, 5, 2, 2, 2, 2, 2},
  {2, 3, 1, 14, 14, 3, 2, 1, 0, 0, 1},
  /* planes done in chunks of output rows (padded rows of a chunk within
   * 24 KiB): the last chunk shorter, 5x5 (chunks overlap by 3 padded
   * rows), row blocks of 2, 4 and 8, zero rows at the bottom, widths of
   * exact vectors */
  {1, 2, 1, 150, 130, 5, 2, 2, 2, 2, 2},
  {1, 2, 1, 97, 60, 5, 1, 2, 1, 3, 2},
  {1, 2, 1, 500, 10, 3, 1, 1, 1, 1, 1},
  {1, 1, 1, 900, 20, 3, 2, 1, 1, 1, 1},
  {1, 2, 1, 120, 33, 3, 2, 0, 1, 4, 2},
  {1, 1, 1, 70, 96, 3, 2, 1, 1, 1, 1},
  {1, 1, 1, 200, 32, 3, 1, 1, 1, 1, 1},
  {2, 2, 1, 64, 113, 5, 1, 2, 2, 2, 2},
  /* AVX-512 kernel straight from the input (stride 2, and stride-1 rows
   * of one vector not flat): 5x5 with 16 and 12 columns, pads wider than
   * the kernel, 4 + 3 rows */
  {1, 3, 1, 30, 16, 5, 1, 2, 2, 2, 2},
  {1, 2, 1, 21, 13, 5, 1, 1, 2, 2, 1},
  {1, 2, 1, 9, 5, 3, 1, 4, 4, 4, 4},
  {1, 2, 1, 13, 40, 3, 2, 1, 1, 1, 1},
  /* two planes per vector (AVX-512, <= 8 output columns, padded input
   * row within 16 columns): 5x5 stride 2 with iw + pl = 16 and 7 or 8
   * columns, stride 1 with 8 columns and an odd plane count (the last
   * plane alone), more than 8 rows (blocks of 8 and a tail), pads wider
   * than the kernel, multiplier 2, pairs across images; one column more
   * than the 16 (the stride-2 kernel) */
  {1, 4, 1, 14, 14, 5, 2, 2, 2, 2, 2},
  {1, 2, 1, 9, 14, 5, 2, 2, 2, 1, 3},
  {1, 3, 1, 8, 8, 3, 1, 1, 1, 1, 1},
  {1, 2, 1, 21, 6, 5, 1, 2, 2, 2, 2},
  {1, 2, 1, 4, 4, 5, 1, 4, 4, 4, 4},
  {1, 3, 2, 7, 7, 5, 1, 2, 2, 2, 2},
  {2, 3, 1, 7, 7, 3, 1, 1, 1, 1, 1},
  {1, 2, 1, 10, 15, 3, 2, 2, 2, 0, 0},
  /* stride 1 straight from the input up to 32 columns (any width with
   * SiLU), padded rows from 33 */
  {1, 2, 1, 9, 32, 3, 1, 1, 1, 1, 1},
  {1, 2, 1, 9, 33, 3, 1, 1, 1, 1, 1},
};

static void
test_dw_levels (void)
{
  int top = dlnn_simd_level ();

  fprintf (stderr, "  CPU SIMD level %d (2 = AVX-512, 1 = AVX2)\n", top);
  for (int level = top; level >= 0; level--) {
    dlnn_simd_set_max (level);
    CHECK (dlnn_simd_level () == level);
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
      for (int act = 0; act < N_ACTS; act++) {
        int bad = run_case (&cases[i], act % 2 == 0, act, 1 + (int) (i % 2));
        CHECK_MSG (bad == 0, "case %zu act %d level %d: %d outputs differ",
            i, act, level, bad);
      }
  }
  dlnn_simd_set_max (-1);
  CHECK (dlnn_simd_level () == top);
}

/* NaN inputs reach exactly the outputs whose windows read them (no
 * fused activation: Relu and Clip map NaN to their bound), at every
 * level, including the chunked planes and the unused lanes. */
static void
test_dw_nan (void)
{
  int top = dlnn_simd_level ();

  nan_inputs = 1;
  for (int level = top; level >= 0; level--) {
    dlnn_simd_set_max (level);
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
      int bad = run_case (&cases[i], 1, ACT_NONE, 1 + (int) (i % 2));
      CHECK_MSG (bad == 0, "NaN case %zu level %d: %d outputs differ", i,
          level, bad);
    }
  }
  dlnn_simd_set_max (-1);
  nan_inputs = 0;
}

/* More planes than threads with uneven splits, at 2 threads. */
static void
test_dw_threads (void)
{
  dw_case t = { 3, 7, 1, 23, 29, 3, 2, 1, 1, 1, 1 };
  dw_case u = { 2, 5, 1, 19, 37, 5, 1, 2, 2, 2, 2 };

  dw_case v = { 3, 5, 1, 7, 7, 3, 1, 1, 1, 1, 1 };

  CHECK (run_case (&t, 1, ACT_SWISH, 2) == 0);
  CHECK (run_case (&u, 0, ACT_CLIP6, 2) == 0);
  CHECK (run_case (&v, 1, ACT_SWISH, 2) == 0);
}

static void
test_dw_bad_attr (void)
{
  dlnn_status st;
  dlnn_tensor *w = NULL, *b = NULL;
  dw_case t = { 1, 2, 1, 5, 5, 3, 1, 1, 1, 1, 1 };
  dlnn_graph *g = dw_graph (&t, 0, ACT_NONE, &w, &b);

  CHECK (g != NULL);
  if (g) {
    dlnn_node_set_string (g, 0, DLNN_FUSED_ATTR, "Gelu");
    g->finalized = 0;
    CHECK (dlnn_graph_finalize (g, &st) == DLNN_ERR_UNSUPPORTED);
    CHECK_MSG (strstr (st.message, "Gelu") && strstr (st.message, "dw")
        && strstr (st.message, DLNN_FUSED_ATTR), "%s", st.message);
  }
  dlnn_graph_free (g);
  dlnn_tensor_free (w);
  dlnn_tensor_free (b);
}

/* Swish (alpha 1 and 0.7) forward and input gradient against the
 * formulas, on values from -90 to 90 (large magnitudes: no overflow). */
static void
test_swish_op (void)
{
  for (int ai = 0; ai < 2; ai++) {
    float alpha = ai ? 0.7f : 1.0f;
    dlnn_status st;
    dlnn_graph *g = dlnn_graph_new ("swish");
    const char *in[1] = { "x" }, *out[1] = { "y" };
    dlnn_tensor *x = oc_rand (2, D (3, 37), 3.0f), *grad;
    dlnn_exec *e;
    int node;

    x->data[0] = -90.0f;
    x->data[1] = 90.0f;
    x->data[2] = 0.0f;
    x->data[3] = -20.0f;
    dlnn_graph_add_input (g, "x", 2, D (3, 37), &st);
    node = dlnn_graph_add_node (g, "Swish", "sw", 1, in, 1, out, &st);
    if (ai)
      dlnn_node_set_float (g, node, "alpha", alpha);
    dlnn_graph_add_output (g, "y", &st);
    CHECK_OK (dlnn_graph_finalize (g, &st), &st);
    e = dlnn_exec_new (g, DLNN_EXEC_TRAINING | DLNN_EXEC_INPUT_GRAD, &st);
    CHECK (e != NULL);
    grad = oc_rand (2, D (3, 37), 1.0f);
    if (e && grad) {
      const dlnn_tensor *y, *dx;
      CHECK_OK (dlnn_exec_reshape (e, 0, 2, x->dims, &st), &st);
      memcpy (dlnn_exec_input (e, 0)->data, x->data,
          (size_t) x->size * sizeof (float));
      CHECK_OK (dlnn_exec_forward (e, &st), &st);
      dlnn_exec_zero_grad (e);
      CHECK_OK (dlnn_exec_backward (e, 0, grad, &st), &st);
      y = dlnn_exec_output (e, 0);
      dx = dlnn_exec_grad (e, g->inputs[0]);
      CHECK (dx != NULL);
      for (int64_t i = 0; i < x->size; i++) {
        double v = x->data[i], s = 1.0 / (1.0 + exp (-alpha * v));
        double dref = grad->data[i] * (s + alpha * v * s * (1.0 - s));
        CHECK_CLOSE (y->data[i], v * s, 2e-6 * (1.0 + fabs (v * s)));
        if (dx)
          CHECK_CLOSE (dx->data[i], dref, 1e-5 * (1.0 + fabs (dref)));
      }
    }
    dlnn_exec_free (e);
    dlnn_tensor_free (grad);
    dlnn_tensor_free (x);
    dlnn_graph_free (g);
  }
}

/* The fused activation kernels (dlnn_fused_act_run, silu.c) at every
 * SIMD level against double precision: SiLU on -120..120 (fine steps
 * near 0, lengths with every tail), Relu and Clip exactly, in place and
 * out of place. */
static void
test_act_kernels (void)
{
  const int64_t n = 24011;
  float *x = malloc ((size_t) n * sizeof (float));
  float *y = malloc ((size_t) n * sizeof (float));
  int top = dlnn_simd_level ();

  CHECK (x && y);
  for (int64_t i = 0; x && i < n; i++) {
    double u = (double) i / (double) (n - 1) * 2.0 - 1.0;
    x[i] = (float) (u * u * u * 120.0);
  }
  for (int level = top; x && y && level >= 0; level--) {
    dlnn_fused_act silu = { DLNN_FUSED_SWISH, 0.0f, 0.0f };
    dlnn_fused_act relu = { DLNN_FUSED_RELU, 0.0f, FLT_MAX };
    dlnn_fused_act clip = { DLNN_FUSED_CLIP, -0.5f, 6.0f };
    double worst = 0.0;

    dlnn_simd_set_max (level);
    for (int64_t len = 1; len <= 40; len++)
      for (int64_t at = n / 4; at + len <= n; at += n / 4) {
        dlnn_fused_act_run (&silu, x + at, y, len);
        for (int64_t i = 0; i < len; i++) {
          double v = x[at + i], r = v / (1.0 + exp (-v));
          CHECK_CLOSE (y[i], r, 1e-6 * fabs (r) + 1e-37);
        }
      }
    dlnn_fused_act_run (&silu, x, y, n);
    for (int64_t i = 0; i < n; i++) {
      double v = x[i], r = v / (1.0 + exp (-v)), e;
      if (v < -87.0) {
        CHECK (fabs (y[i]) < 1e-35);
        continue;
      }
      e = fabs (y[i] - r) / (fabs (r) + 1e-37);
      worst = e > worst ? e : worst;
    }
    CHECK_MSG (worst < 1e-6, "level %d: SiLU relative error %g", level,
        worst);
    fprintf (stderr, "  level %d: SiLU max relative error %.3g\n", level,
        worst);
    memcpy (y, x, (size_t) n * sizeof (float));
    dlnn_fused_act_apply (&relu, y, n);
    for (int64_t i = 0; i < n; i++)
      CHECK (y[i] == (x[i] > 0.0f ? x[i] : 0.0f));
    dlnn_fused_act_run (&clip, x, y, n);
    for (int64_t i = 0; i < n; i++)
      CHECK (y[i] == (x[i] < -0.5f ? -0.5f : (x[i] > 6.0f ? 6.0f : x[i])));
    {
      float nan_in = NAN, out = 0.0f;
      dlnn_fused_act_run (&silu, &nan_in, &out, 1);
      CHECK (isnan (out));
    }
  }
  dlnn_simd_set_max (-1);
  free (x);
  free (y);
}

int
main (void)
{
  dlnn_rng_seed (&oc_data_rng, 7);
  DLNN_RUN (test_dw_levels);
  DLNN_RUN (test_dw_nan);
  DLNN_RUN (test_dw_threads);
  DLNN_RUN (test_dw_bad_attr);
  DLNN_RUN (test_swish_op);
  DLNN_RUN (test_act_kernels);
  return dlnn_test_summary ();
}
