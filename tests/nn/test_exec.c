/* Executor tests: planning, memory reuse at inference, fan-out gradient
 * accumulation, errors. */
#include "dlnn/dlnn.h"
#include "dlnn-test.h"
#include "ops/parallel.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

static dlnn_tensor *
rand_tensor (dlnn_rng * r, int ndim, int64_t d0, int64_t d1, int64_t d2,
    int64_t d3, float scale)
{
  dlnn_tensor *t = dlnn_tensor_new4 (ndim, d0, d1, d2, d3);
  for (int64_t i = 0; i < t->size; i++)
    t->data[i] = (dlnn_rng_uniform (r) * 2.0f - 1.0f) * scale;
  return t;
}

/* x -> Conv(a) -> Relu -> r ; y = Add(r, Conv(b)(r)) -> Flatten -> Gemm */
static dlnn_graph *
build_residual (dlnn_rng * r, dlnn_status * st)
{
  dlnn_graph *g = dlnn_graph_new ("residual");
  int64_t in_dims[4] = { -1, 2, 6, 6 };
  int n;
  const int64_t pads[4] = { 1, 1, 1, 1 };
  const int64_t k3[2] = { 3, 3 };

  dlnn_graph_add_input (g, "x", 4, in_dims, st);
  dlnn_graph_add_param (g, "wa", rand_tensor (r, 4, 3, 2, 3, 3, 0.5f), 1, st);
  dlnn_graph_add_param (g, "ba", rand_tensor (r, 1, 3, 0, 0, 0, 0.1f), 1, st);
  dlnn_graph_add_param (g, "wb", rand_tensor (r, 4, 3, 3, 3, 3, 0.5f), 1, st);
  dlnn_graph_add_param (g, "wf", rand_tensor (r, 2, 4, 108, 0, 0, 0.2f), 1,
      st);
  dlnn_graph_add_param (g, "bf", rand_tensor (r, 1, 4, 0, 0, 0, 0.1f), 1, st);
  n = dlnn_graph_add_node (g, "Conv", "ca", 3,
      (const char *[]) { "x", "wa", "ba" }, 1, (const char *[]) { "a" }, st);
  dlnn_node_set_ints (g, n, "pads", 4, pads);
  dlnn_node_set_ints (g, n, "kernel_shape", 2, k3);
  dlnn_graph_add_node (g, "Relu", "ra", 1, (const char *[]) { "a" }, 1,
      (const char *[]) { "r" }, st);
  n = dlnn_graph_add_node (g, "Conv", "cb", 2,
      (const char *[]) { "r", "wb" }, 1, (const char *[]) { "b" }, st);
  dlnn_node_set_ints (g, n, "pads", 4, pads);
  dlnn_graph_add_node (g, "Add", "add", 2, (const char *[]) { "r", "b" }, 1,
      (const char *[]) { "s" }, st);
  dlnn_graph_add_node (g, "Flatten", "fl", 1, (const char *[]) { "s" }, 1,
      (const char *[]) { "f" }, st);
  n = dlnn_graph_add_node (g, "Gemm", "fc", 3,
      (const char *[]) { "f", "wf", "bf" }, 1, (const char *[]) { "y" }, st);
  dlnn_node_set_int (g, n, "transB", 1);
  dlnn_graph_add_output (g, "y", st);
  return g;
}

static double
loss_of (dlnn_exec * e, const float *x, const float *w, int64_t nx)
{
  dlnn_tensor *in = dlnn_exec_input (e, 0);
  const dlnn_tensor *y;
  double l = 0;
  memcpy (in->data, x, (size_t) nx * sizeof (float));
  if (dlnn_exec_forward (e, NULL) != DLNN_OK)
    return NAN;
  y = dlnn_exec_output (e, 0);
  for (int64_t i = 0; i < y->size; i++)
    l += (double) w[i] * y->data[i];
  return l;
}

static void
test_residual_grad (void)
{
  dlnn_status st;
  dlnn_rng r;
  dlnn_graph *g;
  dlnn_exec *e;
  int64_t dims[4] = { 2, 2, 6, 6 };
  float x[144], w[8];
  dlnn_tensor *gy;
  int wa;

  dlnn_status_clear (&st);
  dlnn_rng_seed (&r, 7);
  g = build_residual (&r, &st);
  CHECK_OK (dlnn_graph_finalize (g, &st), &st);
  e = dlnn_exec_new (g, DLNN_EXEC_TRAINING, &st);
  CHECK (e != NULL);
  if (!e)
    return;
  CHECK_OK (dlnn_exec_reshape (e, 0, 4, dims, &st), &st);
  for (int i = 0; i < 144; i++)
    x[i] = dlnn_rng_uniform (&r) * 2 - 1;
  for (int i = 0; i < 8; i++)
    w[i] = dlnn_rng_uniform (&r) * 2 - 1;
  loss_of (e, x, w, 144);
  gy = dlnn_tensor_new4 (2, 2, 4, 0, 0);
  memcpy (gy->data, w, sizeof (w));
  dlnn_exec_zero_grad (e);
  CHECK_OK (dlnn_exec_backward (e, 0, gy, &st), &st);
  wa = dlnn_graph_find_value (g, "wa");
  {
    dlnn_tensor *gw = dlnn_exec_grad (e, wa);
    float *p = g->values[wa].init->data;
    CHECK (gw != NULL);
    for (int i = 0; gw && i < 54; i += 5) {
      float old = p[i];
      double lp, lm, num;
      p[i] = old + 1e-2f;
      lp = loss_of (e, x, w, 144);
      p[i] = old - 1e-2f;
      lm = loss_of (e, x, w, 144);
      p[i] = old;
      num = (lp - lm) / 2e-2;
      CHECK_MSG (fabs (num - gw->data[i]) <= 2e-2 * (1 + fabs (num)),
          "wa[%d]: numeric %g analytic %g", i, num, gw->data[i]);
    }
  }
  dlnn_tensor_free (gy);
  dlnn_exec_free (e);
  dlnn_graph_free (g);
}

/* Concats whose inputs the inference planner places inside their output
 * (exec.c plan_concat_views): a nested one, an input also read by other
 * nodes, an input with a Flatten of it as a graph output. Inference
 * (views at batch 1, copies at batch 2) against a training exec, which
 * copies. */
static void
test_concat_views (void)
{
  dlnn_status st;
  dlnn_rng r;
  dlnn_graph *g = dlnn_graph_new ("concat");
  int64_t in_dims[4] = { -1, 2, 5, 5 };
  const int64_t pads[4] = { 1, 1, 1, 1 };
  int n;

  dlnn_status_clear (&st);
  dlnn_rng_seed (&r, 5);
  dlnn_graph_add_input (g, "x", 4, in_dims, &st);
  dlnn_graph_add_param (g, "wa", rand_tensor (&r, 4, 3, 2, 3, 3, 0.5f), 1,
      &st);
  dlnn_graph_add_param (g, "wb", rand_tensor (&r, 4, 2, 2, 1, 1, 0.5f), 1,
      &st);
  n = dlnn_graph_add_node (g, "Conv", "ca", 2,
      (const char *[]) { "x", "wa" }, 1, (const char *[]) { "a" }, &st);
  dlnn_node_set_ints (g, n, "pads", 4, pads);
  dlnn_graph_add_node (g, "Relu", "ra", 1, (const char *[]) { "a" }, 1,
      (const char *[]) { "r" }, &st);
  dlnn_graph_add_node (g, "Conv", "cb", 2, (const char *[]) { "x", "wb" }, 1,
      (const char *[]) { "b" }, &st);
  dlnn_graph_add_node (g, "Sigmoid", "sq", 1, (const char *[]) { "b" }, 1,
      (const char *[]) { "q" }, &st);
  n = dlnn_graph_add_node (g, "Concat", "c1", 3,
      (const char *[]) { "r", "q", "b" }, 1, (const char *[]) { "c" }, &st);
  dlnn_node_set_int (g, n, "axis", 1);
  dlnn_graph_add_node (g, "Mul", "mt", 2, (const char *[]) { "q", "q" }, 1,
      (const char *[]) { "t" }, &st);
  dlnn_graph_add_node (g, "Flatten", "fu", 1, (const char *[]) { "b" }, 1,
      (const char *[]) { "u" }, &st);
  dlnn_graph_add_node (g, "Tanh", "ta", 1, (const char *[]) { "a" }, 1,
      (const char *[]) { "h" }, &st);
  n = dlnn_graph_add_node (g, "Concat", "c2", 2,
      (const char *[]) { "h", "c" }, 1, (const char *[]) { "c2" }, &st);
  dlnn_node_set_int (g, n, "axis", -3);
  dlnn_graph_add_output (g, "c2", &st);
  dlnn_graph_add_output (g, "t", &st);
  dlnn_graph_add_output (g, "u", &st);
  CHECK_OK (st.code, &st);

  for (int64_t nb = 1; nb <= 2; nb++) {
    int64_t dims[4] = { nb, 2, 5, 5 };
    dlnn_exec *ei = dlnn_exec_new (g, DLNN_EXEC_INFERENCE, &st);
    dlnn_exec *et = dlnn_exec_new (g, DLNN_EXEC_TRAINING, &st);
    CHECK (ei && et);
    if (!ei || !et)
      break;
    CHECK_OK (dlnn_exec_reshape (ei, 0, 4, dims, &st), &st);
    CHECK_OK (dlnn_exec_reshape (et, 0, 4, dims, &st), &st);
    for (int rep = 0; rep < 2; rep++) {
      dlnn_tensor *xi = dlnn_exec_input (ei, 0), *xt = dlnn_exec_input (et, 0);
      for (int64_t i = 0; i < xi->size; i++)
        xi->data[i] = xt->data[i] = dlnn_rng_uniform (&r) * 2 - 1;
      CHECK_OK (dlnn_exec_forward (ei, &st), &st);
      CHECK_OK (dlnn_exec_forward (et, &st), &st);
      for (int o = 0; o < 3; o++) {
        const dlnn_tensor *yi = dlnn_exec_output (ei, o);
        const dlnn_tensor *yt = dlnn_exec_output (et, o);
        double worst = 0.0;
        CHECK (yi->size == yt->size && yi->size == nb * (o == 0 ? 250 : 50));
        for (int64_t i = 0; i < yi->size && i < yt->size; i++)
          if (fabs (yi->data[i] - yt->data[i]) > worst)
            worst = fabs (yi->data[i] - yt->data[i]);
        CHECK_MSG (worst <= 1e-6, "batch %lld output %d: max diff %g",
            (long long) nb, o, worst);
      }
    }
    dlnn_exec_free (ei);
    dlnn_exec_free (et);
  }
  dlnn_graph_free (g);
}

static void
test_inference_matches_training_exec (void)
{
  dlnn_status st;
  dlnn_rng r;
  dlnn_graph *g;
  dlnn_exec *ei, *et;
  int64_t dims[4] = { 3, 2, 6, 6 };
  float x[216], w[12];

  dlnn_status_clear (&st);
  dlnn_rng_seed (&r, 11);
  g = build_residual (&r, &st);
  ei = dlnn_exec_new (g, DLNN_EXEC_INFERENCE, &st);
  et = dlnn_exec_new (g, DLNN_EXEC_TRAINING, &st);
  CHECK (ei && et);
  if (!ei || !et)
    return;
  CHECK_OK (dlnn_exec_reshape (ei, 0, 4, dims, &st), &st);
  CHECK_OK (dlnn_exec_reshape (et, 0, 4, dims, &st), &st);
  /* memory reuse makes inference smaller than training */
  CHECK (dlnn_exec_planned_bytes (ei) < dlnn_exec_planned_bytes (et));
  for (int i = 0; i < 216; i++)
    x[i] = dlnn_rng_uniform (&r) * 2 - 1;
  for (int i = 0; i < 12; i++)
    w[i] = 0;
  for (int rep = 0; rep < 2; rep++) {
    const dlnn_tensor *yi, *yt;
    loss_of (ei, x, w, 216);
    loss_of (et, x, w, 216);
    yi = dlnn_exec_output (ei, 0);
    yt = dlnn_exec_output (et, 0);
    CHECK (yi->size == 12 && yt->size == 12);
    for (int i = 0; i < 12; i++)
      CHECK_CLOSE (yi->data[i], yt->data[i], 1e-5);
  }
  dlnn_exec_free (ei);
  dlnn_exec_free (et);
  dlnn_graph_free (g);
}

static void
test_errors (void)
{
  dlnn_status st;
  dlnn_graph *g = dlnn_graph_new ("bad");
  int64_t dims[2] = { 1, 4 };
  dlnn_exec *e;

  dlnn_status_clear (&st);
  dlnn_graph_add_input (g, "x", 2, dims, &st);
  dlnn_graph_add_node (g, "FancyOp", "fancy1", 1, (const char *[]) { "x" },
      1, (const char *[]) { "y" }, &st);
  dlnn_graph_add_output (g, "y", &st);
  CHECK (dlnn_graph_finalize (g, &st) == DLNN_ERR_UNSUPPORTED);
  CHECK (strstr (st.message, "FancyOp") && strstr (st.message, "fancy1"));
  dlnn_graph_free (g);

  g = dlnn_graph_new ("dangling");
  dlnn_graph_add_input (g, "x", 2, dims, &st);
  dlnn_graph_add_node (g, "Relu", "r", 1, (const char *[]) { "nowhere" }, 1,
      (const char *[]) { "y" }, &st);
  dlnn_graph_add_output (g, "y", &st);
  CHECK (dlnn_graph_finalize (g, &st) == DLNN_ERR_FORMAT);
  CHECK (strstr (st.message, "nowhere") != NULL);
  dlnn_graph_free (g);

  g = dlnn_graph_new ("shape");
  dlnn_graph_add_input (g, "x", 2, dims, &st);
  dlnn_graph_add_node (g, "Relu", "r", 1, (const char *[]) { "x" }, 1,
      (const char *[]) { "y" }, &st);
  dlnn_graph_add_output (g, "y", &st);
  e = dlnn_exec_new (g, 0, &st);
  CHECK (e != NULL);
  {
    int64_t wrong[2] = { 1, 5 };
    CHECK (dlnn_exec_reshape (e, 0, 2, wrong, &st) == DLNN_ERR_SHAPE);
    CHECK (strstr (st.message, "[1, 5]") != NULL);
  }
  dlnn_exec_free (e);
  dlnn_graph_free (g);
}

/* A graph whose input has dynamic spatial dims that only some sizes fit
 * (Flatten + Gemm): finalize accepts it, reshape checks the real size. */
static void
test_dynamic_spatial (void)
{
  dlnn_status st;
  dlnn_rng r;
  dlnn_graph *g = dlnn_graph_new ("dyn");
  int64_t in_dims[4] = { 1, 3, -1, -1 };
  int64_t good[4] = { 1, 3, 4, 4 }, bad[4] = { 1, 3, 5, 5 };
  dlnn_exec *e;
  int n;

  dlnn_status_clear (&st);
  dlnn_rng_seed (&r, 3);
  dlnn_graph_add_input (g, "x", 4, in_dims, &st);
  dlnn_graph_add_param (g, "w", rand_tensor (&r, 2, 4, 48, 0, 0, 0.3f), 1,
      &st);
  dlnn_graph_add_node (g, "Flatten", "fl", 1, (const char *[]) { "x" }, 1,
      (const char *[]) { "f" }, &st);
  n = dlnn_graph_add_node (g, "Gemm", "fc", 2,
      (const char *[]) { "f", "w" }, 1, (const char *[]) { "y" }, &st);
  dlnn_node_set_int (g, n, "transB", 1);
  dlnn_graph_add_output (g, "y", &st);
  CHECK_OK (dlnn_graph_finalize (g, &st), &st);
  e = dlnn_exec_new (g, 0, &st);
  CHECK (e != NULL);
  if (e) {
    CHECK_OK (dlnn_exec_reshape (e, 0, 4, good, &st), &st);
    CHECK_OK (dlnn_exec_forward (e, &st), &st);
    CHECK (dlnn_exec_output (e, 0)->size == 4);
    CHECK (dlnn_exec_reshape (e, 0, 4, bad, &st) == DLNN_ERR_SHAPE);
    CHECK (strstr (st.message, "fc") != NULL);
  }
  dlnn_exec_free (e);
  dlnn_graph_free (g);
}

/* Reshaping down and up again reuses the buffers of the largest plan
 * (exec.c keeps capacities): every shape must still give the values of a
 * fresh exec planned for that shape alone, at inference and in training
 * (forward and parameter gradients). */
static void
test_reshape_reuse (void)
{
  static const int64_t batches[] = { 4, 1, 3, 4, 2, 1 };
  dlnn_status st;
  dlnn_rng r;
  dlnn_graph *g;
  dlnn_exec *ei, *et;
  float x[4 * 72];

  dlnn_status_clear (&st);
  dlnn_rng_seed (&r, 23);
  g = build_residual (&r, &st);
  ei = dlnn_exec_new (g, DLNN_EXEC_INFERENCE, &st);
  et = dlnn_exec_new (g, DLNN_EXEC_TRAINING, &st);
  CHECK (ei && et);
  if (!ei || !et)
    return;
  for (int i = 0; i < 4 * 72; i++)
    x[i] = dlnn_rng_uniform (&r) * 2 - 1;
  for (size_t k = 0; k < sizeof (batches) / sizeof (batches[0]); k++) {
    int64_t dims[4] = { batches[k], 2, 6, 6 };
    int64_t nx = batches[k] * 72;
    dlnn_exec *fresh = dlnn_exec_new (g, DLNN_EXEC_TRAINING, &st);
    const dlnn_tensor *yi, *yt, *yf;
    dlnn_exec *ex[3] = { ei, et, fresh };

    CHECK (fresh != NULL);
    if (!fresh)
      break;
    for (int j = 0; j < 3; j++) {
      CHECK_OK (dlnn_exec_reshape (ex[j], 0, 4, dims, &st), &st);
      memcpy (dlnn_exec_input (ex[j], 0)->data, x,
          (size_t) nx * sizeof (float));
      CHECK_OK (dlnn_exec_forward (ex[j], &st), &st);
    }
    yi = dlnn_exec_output (ei, 0);
    yt = dlnn_exec_output (et, 0);
    yf = dlnn_exec_output (fresh, 0);
    CHECK (yi->size == batches[k] * 4 && yt->size == yi->size
        && yf->size == yi->size);
    for (int64_t i = 0; i < yf->size; i++) {
      CHECK_CLOSE (yi->data[i], yf->data[i], 1e-5);
      CHECK_CLOSE (yt->data[i], yf->data[i], 1e-6);
    }
    /* gradient of sum(y) w.r.t. the first conv weight */
    for (int j = 1; j < 3; j++) {
      dlnn_tensor *dy = dlnn_tensor_new4 (2, batches[k], 4, 0, 0);
      for (int64_t i = 0; i < dy->size; i++)
        dy->data[i] = 1.0f;
      dlnn_exec_zero_grad (ex[j]);
      CHECK_OK (dlnn_exec_backward (ex[j], 0, dy, &st), &st);
      dlnn_tensor_free (dy);
    }
    {
      int wa = dlnn_graph_find_value (g, "wa");
      const dlnn_tensor *ga = dlnn_exec_grad (et, wa);
      const dlnn_tensor *gf = dlnn_exec_grad (fresh, wa);
      CHECK (ga && gf && ga->size == gf->size);
      for (int64_t i = 0; ga && gf && i < ga->size; i++)
        CHECK_CLOSE (ga->data[i], gf->data[i], 1e-5);
    }
    dlnn_exec_free (fresh);
  }
  dlnn_exec_free (ei);
  dlnn_exec_free (et);
  dlnn_graph_free (g);
}

/* Runs in progress (dlnn_exec_forward and _backward count them): while
 * another one is in progress a loop runs serially in its caller's thread
 * (two elements inferring at once keep a core each), and every exec call
 * leaves the count as it found it, errors included. */
typedef struct runs_check
{
  pthread_t caller;
  int calls, on_caller;         /* atomic */
  int64_t covered;              /* atomic */
} runs_check;

static void
runs_part (void *arg, int64_t begin, int64_t end)
{
  runs_check *c = arg;

  __atomic_add_fetch (&c->calls, 1, __ATOMIC_RELAXED);
  if (pthread_equal (pthread_self (), c->caller))
    __atomic_add_fetch (&c->on_caller, 1, __ATOMIC_RELAXED);
  __atomic_add_fetch (&c->covered, end - begin, __ATOMIC_RELAXED);
}

static void
test_concurrent_runs (void)
{
  dlnn_status st;
  dlnn_rng r;
  dlnn_graph *g;
  dlnn_exec *e;
  int64_t dims[4] = { 2, 2, 6, 6 };
  int prev = dlnn_get_threads ();

  dlnn_set_threads (2);
  for (int others = 0; others < 2; others++) {
    runs_check c = { pthread_self (), 0, 0, 0 };
    dlnn_par_run_enter ();      /* this thread's run */
    if (others)
      dlnn_par_run_enter ();    /* another thread's */
    dlnn_parallel_for (4096, 1, runs_part, &c);
    CHECK_MSG (c.covered == 4096 && c.calls == (others ? 1 : 2)
        && c.on_caller == 1, "%s other run: %d calls (%d in the caller), "
        "%lld items", others ? "with an" : "without", c.calls, c.on_caller,
        (long long) c.covered);
    CHECK (dlnn_par_threads () == (others ? 1 : 2));
    if (others)
      dlnn_par_run_leave ();
    dlnn_par_run_leave ();
  }

  dlnn_status_clear (&st);
  dlnn_rng_seed (&r, 5);
  g = build_residual (&r, &st);
  e = dlnn_exec_new (g, DLNN_EXEC_INFERENCE, &st);
  CHECK (e != NULL);
  if (e) {
    CHECK_OK (dlnn_exec_reshape (e, 0, 4, dims, &st), &st);
    CHECK_OK (dlnn_exec_forward (e, &st), &st);
    /* an error inside: backward on an inference exec */
    CHECK (dlnn_exec_backward (e, 0, NULL, &st) == DLNN_ERR_INVALID);
    dlnn_exec_free (e);
  }
  dlnn_graph_free (g);
  /* no run left counted: ours alone is not serialised */
  dlnn_par_run_enter ();
  CHECK (dlnn_par_threads () == 2);
  dlnn_par_run_leave ();
  dlnn_set_threads (prev);
}

int
main (void)
{
  DLNN_RUN (test_residual_grad);
  DLNN_RUN (test_inference_matches_training_exec);
  DLNN_RUN (test_concat_views);
  DLNN_RUN (test_errors);
  DLNN_RUN (test_dynamic_spatial);
  DLNN_RUN (test_reshape_reuse);
  DLNN_RUN (test_concurrent_runs);
  return dlnn_test_summary ();
}
