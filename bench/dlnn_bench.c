/* dlnn_bench - batch-1 latency, per-op-type time, memory and sgemm rate of
 * libdlnn, for bench/bench-models.py (a benchmark command, not a test).
 *
 *   dlnn_bench MODEL.onnx [--threads N] [--warmup W] [--reps R]
 *       [--min-time SECONDS] [--input X.bin] [--output Y.bin]
 *   dlnn_bench --sgemm M,N,K [--threads N] [--warmup W] [--reps R]
 *       [--min-time SECONDS]
 *
 * Model mode loads MODEL (dlnn_onnx_load_file + dlnn_graph_optimize_inference,
 * as dlclassify does), plans every input at its declared shape (dynamic dims
 * as 1), fills input 0 from X.bin (raw little-endian float32, exactly the
 * input's size) or with seeded uniform values in [-1, 1), runs W warm-up
 * forwards, then timed forwards until R runs AND SECONDS seconds are done
 * (at most 100000), optionally writes output 0 to Y.bin, and prints one JSON
 * line: latencies (median, p90, min, mean in ms), memory (weights, planned
 * bytes, VmHWM after each phase), and with DLNN_PROFILE=1 in the
 * environment the time per op type per run. On failure it prints
 * {"error": "<libdlnn's message>"} and exits 1.
 *
 * sgemm mode times dlnn_sgemm (libdlnn's AVX-512 kernel where the CPU
 * has it, OpenBLAS cblas_sgemm with DLNN_SGEMM=openblas or elsewhere; row
 * major, no transpose, beta 0) on M x K times K x N and prints GFLOP/s
 * (2*M*N*K per call), the kernel ("dlnn-avx512" or "openblas") and
 * OpenBLAS's core type. */
#include "op.h"
#include "sgemm.h"
#include "dlnn/dlnn.h"

#include <cblas.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_RUNS 100000
#define MAX_OP_TYPES 128

typedef struct
{
  const char *model;
  const char *input;
  const char *output;
  int threads;
  int warmup;
  int reps;
  double min_time;
  int sgemm;
  int m, n, k;
} options;

static double
now_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

/* "VmHWM:" or "VmRSS:" of this process in KiB, -1 if unknown. */
static long
proc_status_kb (const char *key)
{
  FILE *f = fopen ("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  size_t klen = strlen (key);

  if (!f)
    return -1;
  while (fgets (line, sizeof (line), f))
    if (strncmp (line, key, klen) == 0) {
      kb = strtol (line + klen, NULL, 10);
      break;
    }
  fclose (f);
  return kb;
}

static void
json_string (const char *s)
{
  putchar ('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char) *s;
    if (c == '"' || c == '\\')
      printf ("\\%c", c);
    else if (c < 0x20)
      printf ("\\u%04x", c);
    else
      putchar (c);
  }
  putchar ('"');
}

static int
fail (const char *msg)
{
  printf ("{\"error\": ");
  json_string (msg);
  printf ("}\n");
  return 1;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* Sorts @t and prints the latency fields (ms). */
static void
print_latency (double *t, int n)
{
  double sum = 0;
  int p90 = (int) (0.9 * (n - 1) + 0.5);

  qsort (t, (size_t) n, sizeof (double), cmp_double);
  for (int i = 0; i < n; i++)
    sum += t[i];
  printf ("\"reps\": %d, \"median_ms\": %.4f, \"p90_ms\": %.4f, "
      "\"min_ms\": %.4f, \"mean_ms\": %.4f", n,
      1e3 * (n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2])),
      1e3 * t[p90], 1e3 * t[0], 1e3 * sum / n);
}

static int
parse_options (int argc, char **argv, options * o)
{
  o->threads = 1;
  o->warmup = 10;
  o->reps = 50;
  o->min_time = 2.0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp (a, "--threads") == 0 && v)
      o->threads = atoi (v);
    else if (strcmp (a, "--warmup") == 0 && v)
      o->warmup = atoi (v);
    else if (strcmp (a, "--reps") == 0 && v)
      o->reps = atoi (v);
    else if (strcmp (a, "--min-time") == 0 && v)
      o->min_time = atof (v);
    else if (strcmp (a, "--input") == 0 && v)
      o->input = v;
    else if (strcmp (a, "--output") == 0 && v)
      o->output = v;
    else if (strcmp (a, "--sgemm") == 0 && v) {
      o->sgemm = 1;
      if (sscanf (v, "%d,%d,%d", &o->m, &o->n, &o->k) != 3 || o->m < 1
          || o->n < 1 || o->k < 1 || o->m > 16384 || o->n > 16384
          || o->k > 16384)
        return 0;
    } else if (a[0] != '-' && !o->model) {
      o->model = a;
      continue;
    } else
      return 0;
    i++;
  }
  if (o->threads < 1 || o->warmup < 0 || o->reps < 1 || o->reps > MAX_RUNS)
    return 0;
  return o->sgemm || o->model;
}

static int
run_sgemm (const options * o)
{
  size_t m = (size_t) o->m, n = (size_t) o->n, k = (size_t) o->k;
  float *a = malloc (m * k * sizeof (float));
  float *b = malloc (k * n * sizeof (float));
  float *c = malloc (m * n * sizeof (float));
  double *t = malloc (MAX_RUNS * sizeof (double));
  dlnn_rng rng;
  double start;
  int runs = 0;

  if (!a || !b || !c || !t) {
    free (a);
    free (b);
    free (c);
    free (t);
    return fail ("out of memory");
  }
  dlnn_rng_seed (&rng, 1);
  for (size_t i = 0; i < m * k; i++)
    a[i] = dlnn_rng_uniform (&rng) - 0.5f;
  for (size_t i = 0; i < k * n; i++)
    b[i] = dlnn_rng_uniform (&rng) - 0.5f;
  for (int i = 0; i < o->warmup; i++)
    dlnn_sgemm (0, 0, o->m, o->n, o->k, 1.0f, a, o->k, b, o->n, 0.0f, c,
        o->n);
  start = now_seconds ();
  while (runs < MAX_RUNS && (runs < o->reps
          || now_seconds () - start < o->min_time)) {
    double t0 = now_seconds ();
    dlnn_sgemm (0, 0, o->m, o->n, o->k, 1.0f, a, o->k, b, o->n, 0.0f, c,
        o->n);
    t[runs++] = now_seconds () - t0;
  }
  printf ("{\"sgemm\": [%d, %d, %d], \"threads\": %d, ", o->m, o->n, o->k,
      o->threads);
  print_latency (t, runs);
  printf (", \"gflops_median\": %.3f, \"kernel\": \"%s\", "
      "\"openblas_core\": \"%s\"}\n",
      2.0 * (double) m * (double) n * (double) k / t[runs / 2] * 1e-9,
      dlnn_sgemm_own () ? "dlnn-avx512" : "openblas",
      openblas_get_corename ());
  free (a);
  free (b);
  free (c);
  free (t);
  return 0;
}

static int
read_input (const char *path, dlnn_tensor * t, char *err, size_t errlen)
{
  FILE *f = fopen (path, "rb");
  long len;

  if (!f) {
    snprintf (err, errlen, "%s: %s", path, strerror (errno));
    return 0;
  }
  if (fseek (f, 0, SEEK_END) != 0 || (len = ftell (f)) < 0
      || fseek (f, 0, SEEK_SET) != 0) {
    snprintf (err, errlen, "%s: cannot seek", path);
    fclose (f);
    return 0;
  }
  if ((size_t) len != (size_t) t->size * sizeof (float)
      || fread (t->data, sizeof (float), (size_t) t->size, f)
      != (size_t) t->size) {
    snprintf (err, errlen, "%s: %ld bytes, input 0 needs %zu", path, len,
        (size_t) t->size * sizeof (float));
    fclose (f);
    return 0;
  }
  fclose (f);
  return 1;
}

static int
write_output (const char *path, const dlnn_tensor * t)
{
  FILE *f = fopen (path, "wb");
  int ok;

  if (!f)
    return 0;
  ok = fwrite (t->data, sizeof (float), (size_t) t->size, f)
      == (size_t) t->size;
  return fclose (f) == 0 && ok;
}

/* Sums the profile per op type and prints "op_ms_per_run": {...}. */
static void
print_profile (const dlnn_graph * g, const double *sec, int runs)
{
  const char *types[MAX_OP_TYPES];
  double tsec[MAX_OP_TYPES];
  int counts[MAX_OP_TYPES];
  int nt = 0;

  for (int i = 0; i < g->n_nodes; i++) {
    int j;
    for (j = 0; j < nt; j++)
      if (strcmp (types[j], g->nodes[i].op_type) == 0)
        break;
    if (j == nt) {
      if (nt == MAX_OP_TYPES)
        continue;
      types[nt] = g->nodes[i].op_type;
      tsec[nt] = 0;
      counts[nt] = 0;
      nt++;
    }
    tsec[j] += sec[i];
    counts[j]++;
  }
  printf (", \"op_ms_per_run\": {");
  for (int j = 0; j < nt; j++) {
    printf ("%s", j ? ", " : "");
    json_string (types[j]);
    printf (": %.4f", 1e3 * tsec[j] / runs);
  }
  printf ("}, \"op_nodes\": {");
  /* DLNN_PROFILE_NODES=1: every node's time on stderr, slowest first */
  if (getenv ("DLNN_PROFILE_NODES")) {
    int done[4096] = { 0 };
    for (int r = 0; r < g->n_nodes && r < 4096; r++) {
      int best = -1;
      for (int i = 0; i < g->n_nodes && i < 4096; i++)
        if (!done[i] && (best < 0 || sec[i] > sec[best]))
          best = i;
      done[best] = 1;
      fprintf (stderr, "%8.4f ms  %-10s %s\n", 1e3 * sec[best] / runs,
          g->nodes[best].op_type, g->nodes[best].name);
    }
  }
  for (int j = 0; j < nt; j++) {
    printf ("%s", j ? ", " : "");
    json_string (types[j]);
    printf (": %d", counts[j]);
  }
  printf ("}");
}

static int
run_model (const options * o)
{
  dlnn_status st;
  dlnn_graph *g = NULL;
  dlnn_exec *e = NULL;
  double *t = NULL, t_load, start;
  long kb_start, hwm_load, hwm_plan;
  size_t weight_bytes = 0;
  int runs = 0, ret = 1;
  char err[DLNN_STATUS_MESSAGE_SIZE + 64];

  dlnn_status_clear (&st);
  kb_start = proc_status_kb ("VmRSS:");
  t_load = now_seconds ();
  if (dlnn_onnx_load_file (o->model, &g, &st) != DLNN_OK
      || dlnn_graph_optimize_inference (g, &st) != DLNN_OK)
    goto dlnn_error;
  for (int v = 0; v < g->n_values; v++) {
    const dlnn_tensor *w = g->values[v].init;
    if (g->values[v].kind == DLNN_VALUE_PARAM && w)
      weight_bytes += (size_t) w->size
          * (w->dtype == DLNN_INT64 ? sizeof (int64_t) : sizeof (float));
  }
  hwm_load = proc_status_kb ("VmHWM:");
  e = dlnn_exec_new (g, DLNN_EXEC_INFERENCE, &st);
  if (!e)
    goto dlnn_error;
  for (int i = 0; i < g->n_inputs; i++) {
    const dlnn_value *v = &g->values[g->inputs[i]];
    int64_t dims[DLNN_MAX_DIMS];
    for (int d = 0; d < v->ndim; d++)
      dims[d] = v->dims[d] < 0 ? 1 : v->dims[d];
    if (dlnn_exec_reshape (e, i, v->ndim, dims, &st) != DLNN_OK)
      goto dlnn_error;
  }
  for (int i = 0; i < g->n_inputs; i++) {
    dlnn_tensor *x = dlnn_exec_input (e, i);
    dlnn_rng rng;
    if (!x || !x->data) {
      fail ("no input buffer after planning");
      goto out;
    }
    dlnn_rng_seed (&rng, 1234 + (uint64_t) i);
    if (i == 0 && o->input) {
      if (!read_input (o->input, x, err, sizeof (err))) {
        fail (err);
        goto out;
      }
    } else {
      for (int64_t j = 0; j < x->size; j++)
        x->data[j] = 2.0f * dlnn_rng_uniform (&rng) - 1.0f;
    }
  }
  t_load = now_seconds () - t_load;
  hwm_plan = proc_status_kb ("VmHWM:");

  t = malloc (MAX_RUNS * sizeof (double));
  if (!t) {
    fail ("out of memory");
    goto out;
  }
  for (int i = 0; i < o->warmup; i++)
    if (dlnn_exec_forward (e, &st) != DLNN_OK)
      goto dlnn_error;
  dlnn_exec_profile_reset (e);
  start = now_seconds ();
  while (runs < MAX_RUNS && (runs < o->reps
          || now_seconds () - start < o->min_time)) {
    double t0 = now_seconds ();
    if (dlnn_exec_forward (e, &st) != DLNN_OK)
      goto dlnn_error;
    t[runs++] = now_seconds () - t0;
  }
  if (o->output && !write_output (o->output, dlnn_exec_output (e, 0))) {
    snprintf (err, sizeof (err), "%s: cannot write", o->output);
    fail (err);
    goto out;
  }

  printf ("{\"model\": ");
  json_string (o->model);
  printf (", \"threads\": %d, \"load_ms\": %.2f, ", dlnn_get_threads (),
      1e3 * t_load);
  print_latency (t, runs);
  printf (", \"weight_bytes\": %zu, \"planned_bytes\": %zu, "
      "\"rss_start_kb\": %ld, \"hwm_after_load_kb\": %ld, "
      "\"hwm_after_plan_kb\": %ld, \"hwm_after_run_kb\": %ld, "
      "\"nodes\": %d", weight_bytes, dlnn_exec_planned_bytes (e), kb_start,
      hwm_load, hwm_plan, proc_status_kb ("VmHWM:"), g->n_nodes);
  if (dlnn_exec_node_seconds (e))
    print_profile (g, dlnn_exec_node_seconds (e), runs);
  printf ("}\n");
  ret = 0;
  goto out;

dlnn_error:
  fail (st.message);
out:
  free (t);
  dlnn_exec_free (e);
  dlnn_graph_free (g);
  return ret;
}

int
main (int argc, char **argv)
{
  options o = { 0 };

  if (!parse_options (argc, argv, &o)) {
    fprintf (stderr, "usage: %s MODEL.onnx [--threads N] [--warmup W] "
        "[--reps R] [--min-time S] [--input X.bin] [--output Y.bin]\n"
        "       %s --sgemm M,N,K [--threads N] [--warmup W] [--reps R] "
        "[--min-time S]\n", argv[0], argv[0]);
    return 2;
  }
  dlnn_set_threads (o.threads);
  return o.sgemm ? run_sgemm (&o) : run_model (&o);
}
