/* dltrain - `dltrain bench MODEL`: inference latency on random inputs, as
 * onnxruntime_perf_test and OpenVINO's benchmark_app report it. */
#include "dltrain.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void
bench_usage (FILE * f)
{
  fprintf (f,
      "Usage: dltrain bench MODEL.onnx [options]\n"
      "\n"
      "Times inference of the model on random inputs (uniform in -1..1) of\n"
      "its declared input shapes, dynamic dimensions set to 1 (the first\n"
      "one to --batch). After the warm-up runs it times each of the\n"
      "iterations and prints the median and 90th percentile latency in\n"
      "milliseconds and the throughput (samples per second = batch x runs\n"
      "per second at the median latency).\n"
      "\n"
      "  -t, --threads N      threads of the math kernels (default: the\n"
      "                       OpenBLAS default)\n"
      "  -w, --warmup N       untimed runs first (default 10)\n"
      "  -n, --iterations N   timed runs (default 100)\n"
      "  -b, --batch N        size of the first dynamic dimension (default 1)\n"
      "  -h, --help           show this help\n");
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* Value at quantile @q of sorted @v (linear interpolation, as numpy). */
static double
quantile (const double *v, int n, double q)
{
  double pos = q * (n - 1);
  int lo = (int) pos;
  double frac = pos - lo;

  if (lo + 1 >= n)
    return v[n - 1];
  return v[lo] + frac * (v[lo + 1] - v[lo]);
}

int
dt_bench_main (int argc, char **argv)
{
  static const struct option opts[] = {
    {"threads", required_argument, NULL, 't'},
    {"warmup", required_argument, NULL, 'w'},
    {"iterations", required_argument, NULL, 'n'},
    {"batch", required_argument, NULL, 'b'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}
  };
  const char *model = NULL;
  long threads = 0, warmup = 10, iters = 100, batch = 1;
  dlnn_graph *g = NULL;
  dlnn_exec *e = NULL;
  dlnn_status st;
  dlnn_rng rng;
  double *times = NULL, sum = 0.0, median, p90;
  int opt, ret = 1;
  char shape[160];

  dlnn_status_clear (&st);
  opterr = 0;
  optind = 1;
  while ((opt = getopt_long (argc, argv, ":t:w:n:b:h", opts, NULL)) != -1) {
    switch (opt) {
      case 't':
        if (!dt_parse_int ("--threads", optarg, 1, 1024, &threads))
          return 1;
        break;
      case 'w':
        if (!dt_parse_int ("--warmup", optarg, 0, 1000000, &warmup))
          return 1;
        break;
      case 'n':
        if (!dt_parse_int ("--iterations", optarg, 1, 1000000, &iters))
          return 1;
        break;
      case 'b':
        if (!dt_parse_int ("--batch", optarg, 1, 65536, &batch))
          return 1;
        break;
      case 'h':
        bench_usage (stdout);
        return 0;
      case ':':
        return dt_fail ("bench: option '%s' needs a value", argv[optind - 1]);
      default:
        return dt_fail ("bench: unknown option '%s' (see dltrain bench "
            "--help)", argv[optind - 1]);
    }
  }
  if (optind < argc)
    model = argv[optind++];
  if (!model)
    return dt_fail ("bench: no MODEL given (see dltrain bench --help)");
  if (optind < argc)
    return dt_fail ("bench: unexpected argument '%s'", argv[optind]);
  if (threads > 0)
    dlnn_set_threads ((int) threads);

  if (dlnn_onnx_load_file (model, &g, &st) != DLNN_OK)
    return dt_fail_load (model, &st);
  if (dlnn_graph_optimize_inference (g, &st) != DLNN_OK) {
    dt_fail ("bench: cannot prepare '%s' for inference: %s", model,
        st.message);
    goto done;
  }
  e = dlnn_exec_new (g, DLNN_EXEC_INFERENCE, &st);
  times = malloc (sizeof (double) * (size_t) iters);
  if (!e || !times) {
    dt_fail ("bench: %s", e ? "out of memory" : st.message);
    goto done;
  }

  printf ("model: %s\n", model);
  for (int i = 0; i < g->n_inputs; i++) {
    const dlnn_value *v = &g->values[g->inputs[i]];
    int64_t dims[DLNN_MAX_DIMS];
    int first_dyn = 1;
    for (int d = 0; d < v->ndim; d++) {
      dims[d] = v->dims[d];
      if (dims[d] < 0) {
        dims[d] = first_dyn ? batch : 1;
        first_dyn = 0;
      }
    }
    dlnn_shape_str (v->ndim, dims, shape, sizeof (shape));
    if (dlnn_exec_reshape (e, i, v->ndim, dims, &st) != DLNN_OK) {
      dt_fail ("bench: cannot plan '%s' for input '%s' %s: %s", model,
          v->name, shape, st.message);
      goto done;
    }
    printf ("input %d: %s %s float32\n", i, v->name, shape);
  }
  dlnn_rng_seed (&rng, 1);
  for (int i = 0; i < g->n_inputs; i++) {
    dlnn_tensor *t = dlnn_exec_input (e, i);
    if (!t || !t->data) {
      dt_fail ("bench: input '%s' is not float32",
          g->values[g->inputs[i]].name);
      goto done;
    }
    for (int64_t k = 0; k < t->size; k++)
      t->data[k] = 2.0f * dlnn_rng_uniform (&rng) - 1.0f;
  }
  printf ("threads: %d, batch: %ld, warm-up runs: %ld, timed runs: %ld, "
      "planned memory: %.1f MiB\n", dlnn_get_threads (), batch, warmup,
      iters, dlnn_exec_planned_bytes (e) / 1048576.0);

  for (long i = 0; i < warmup; i++)
    if (dlnn_exec_forward (e, &st) != DLNN_OK)
      goto forward_failed;
  for (long i = 0; i < iters; i++) {
    double t0 = dt_now ();
    if (dlnn_exec_forward (e, &st) != DLNN_OK)
      goto forward_failed;
    times[i] = (dt_now () - t0) * 1000.0;
    sum += times[i];
  }
  qsort (times, (size_t) iters, sizeof (double), cmp_double);
  median = quantile (times, (int) iters, 0.5);
  p90 = quantile (times, (int) iters, 0.9);
  printf ("latency median: %.3f ms\n", median);
  printf ("latency p90: %.3f ms\n", p90);
  printf ("latency min / mean / max: %.3f / %.3f / %.3f ms\n", times[0],
      sum / iters, times[iters - 1]);
  printf ("throughput: %.1f samples/s\n", median > 0.0 ? batch * 1000.0 /
      median : 0.0);
  ret = 0;
  goto done;

forward_failed:
  dt_fail ("bench: inference failed: %s", st.message);
done:
  free (times);
  dlnn_exec_free (e);
  dlnn_graph_free (g);
  return ret;
}
