/* GRU and LSTM at the sizes of real models (nn/src/ops/rnn*.c): the
 * packed recurrent products and AVX-512 gates (rnn_avx512.c), the split
 * of a step's hidden units over threads (dlnn_parallel_steps) and the
 * row-major paths (batch above 4, peepholes, linear_before_reset=0),
 * against a naive double-precision implementation of the ONNX equations
 * (rnn-reference.h, shared with test_rnn.c): hidden sizes 128, 136 (a tail of 8 units) and 200, batch
 * 1, 2, 3 and 5, both layouts, all directions, with and without bias and
 * initial states; every case at 1 and 2 threads, whose outputs must be
 * identical (each output is the same sequence of operations on either
 * path; within 5e-6 with OpenBLAS's GEMMs). dlnn_parallel_steps is also
 * checked directly: order of steps and every task run once. The meson
 * test runs this twice, the second time with DLNN_SGEMM=openblas (no
 * packed kernels; CPUs without AVX-512 have none either). */
#include "ops-harness.h"
#include "ops/parallel.h"
#include "sgemm.h"
#include "dlnn/exec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D(...) ((const int64_t[]) { __VA_ARGS__ })

#include "rnn-reference.h"

typedef struct fcase
{
  int kind, lbr, peep;
  const char *dir;
  int layout;
  int64_t t, b, i, h;
  int bias, h0;
} fcase;

static int
dirs_of (const fcase * k)
{
  return rnn_dirs (k->dir);
}

/* Y, Y_h (and Y_c) of the ONNX equations, in double (rnn-reference.h;
 * an LSTM with h0 gets c0 too) */
static void
naive (const fcase * k, dlnn_tensor * const *in, double *y, double *yh,
    double *yc)
{
  rcase r = { k->kind, k->lbr, k->dir, k->layout, k->t, k->b, k->i, k->h,
    k->bias, k->h0, k->kind == LSTM && k->h0, k->peep,
    k->kind == LSTM ? 3 : 2
  };

  reference (&r, (const dlnn_tensor * const *) in, y, yh, yc);
}

static void
make (oc * c, const fcase * k)
{
  const int64_t nd = dirs_of (k), H = k->h, G = k->kind == GRU ? 3 : 4;
  const int lstm = k->kind == LSTM;
  unsigned omit = 1u << 4;      /* sequence_lens */

  if (!k->bias)
    omit |= 1u << 3;
  if (!k->h0)
    omit |= lstm ? (1u << 5) | (1u << 6) : 1u << 5;
  if (lstm && !k->peep)
    omit |= 1u << 7;
  oc_begin (c, lstm ? "LSTM" : "GRU", "rnn", lstm ? 8 : 6, omit, lstm ? 3 : 2);
  dlnn_node_set_int (c->g, c->ni, "hidden_size", H);
  dlnn_node_set_string (c->g, c->ni, "direction", k->dir);
  dlnn_node_set_int (c->g, c->ni, "layout", k->layout);
  if (!lstm)
    dlnn_node_set_int (c->g, c->ni, "linear_before_reset", k->lbr);
  oc_set_in (c, 0, oc_rand (3, k->layout ? D (k->b, k->t, k->i)
          : D (k->t, k->b, k->i), 1.0f));
  /* weights about 1 / sqrt (H) as in trained models: the states move */
  oc_set_in (c, 1, oc_rand (3, D (nd, G * H, k->i), 0.3f));
  oc_set_in (c, 2, oc_rand (3, D (nd, G * H, H), 2.0f / sqrtf ((float) H)));
  if (k->bias)
    oc_set_in (c, 3, oc_rand (2, D (nd, 2 * G * H), 0.5f));
  if (k->h0) {
    oc_set_in (c, 5, oc_rand (3, k->layout ? D (k->b, nd, H)
            : D (nd, k->b, H), 0.8f));
    if (lstm)
      oc_set_in (c, 6, oc_rand (3, k->layout ? D (k->b, nd, H)
              : D (nd, k->b, H), 0.8f));
  }
  if (lstm && k->peep)
    oc_set_in (c, 7, oc_rand (2, D (nd, 3 * H), 0.5f));
}

static double
worst (const float *a, const double *b, int64_t n)
{
  double m = 0.0;
  for (int64_t i = 0; i < n; i++) {
    double e = fabs ((double) a[i] - b[i]);
    if (!(e <= m))
      m = e;
  }
  return m;
}

/* Whether libdlnn's own GEMM and the packed kernels run (the same
 * products on every thread count): not with DLNN_SGEMM=openblas, nor on
 * a CPU without AVX-512 */
static int
own_gemm (void)
{
  return dlnn_sgemm_own ();
}

static void
run_case (const fcase * k)
{
  const int n_out = k->kind == LSTM ? 3 : 2;
  int64_t ny = k->t * dirs_of (k) * k->b * k->h, ns = ny / k->t;
  double *ref[3];
  float *first[3] = { NULL, NULL, NULL };
  char label[200];
  oc c;

  snprintf (label, sizeof (label), "%s%s%s %s layout %d T%lld B%lld I%lld "
      "H%lld%s%s", k->kind == GRU ? "GRU" : "LSTM",
      k->kind == GRU ? (k->lbr ? " lbr=1" : " lbr=0") : "",
      k->peep ? " P" : "", k->dir, k->layout, (long long) k->t,
      (long long) k->b, (long long) k->i, (long long) k->h,
      k->bias ? " B" : "", k->h0 ? " h0" : "");
  make (&c, k);
  ref[0] = malloc ((size_t) ny * sizeof (double));
  ref[1] = malloc ((size_t) ns * sizeof (double));
  ref[2] = malloc ((size_t) ns * sizeof (double));
  naive (k, c.in, ref[0], ref[1], ref[2]);
  for (int threads = 1; threads <= 2; threads++) {
    dlnn_set_threads (threads);
    if (oc_prepare (&c, 0) != DLNN_OK) {
      CHECK_MSG (0, "%s: prepare: %s", label, c.st.message);
      break;
    }
    /* several runs: the split path chooses one thread or two per job */
    for (int rep = 0; rep < (threads == 2 ? 3 : 1); rep++) {
      CHECK_OK (oc_forward (&c), &c.st);
      for (int o = 0; o < n_out; o++) {
        int64_t n = o ? ns : ny;
        double e = worst (c.out[o]->data, ref[o], n);
        CHECK_MSG (e < 2e-5, "%s threads %d: output %d max diff %g", label,
            threads, o, e);
        if (threads == 1 && !first[o]) {
          first[o] = malloc ((size_t) n * sizeof (float));
          memcpy (first[o], c.out[o]->data, (size_t) n * sizeof (float));
        } else if (first[o] && own_gemm ()) {
          CHECK_MSG (memcmp (first[o], c.out[o]->data,
                  (size_t) n * sizeof (float)) == 0,
              "%s: output %d differs between 1 and 2 threads", label, o);
        } else if (first[o]) {
          /* OpenBLAS's sgemm (batch above 4) sums in another order on
           * two threads */
          double m = 0.0;
          for (int64_t q = 0; q < n; q++)
            m = fmax (m, fabs ((double) first[o][q] - c.out[o]->data[q]));
          CHECK_MSG (m < 5e-6, "%s: output %d differs by %g between 1 and 2 "
              "threads", label, o, m);
        }
      }
    }
  }
  dlnn_set_threads (2);
  for (int o = 0; o < 3; o++) {
    free (ref[o]);
    free (first[o]);
  }
  oc_end (&c);
}

static const char *const dirs[] = { "forward", "reverse", "bidirectional" };

static void
test_gru_sizes (void)
{
  /* the exported models' case: H 128, lbr=1, batch 1, both layouts */
  for (int layout = 0; layout < 2; layout++)
    for (int di = 0; di < 3; di++) {
      fcase k = { GRU, 1, 0, dirs[di], layout, 6, 1, 40, 128, 1, di == 1 };
      run_case (&k);
    }
  for (int64_t h = 136; h <= 200; h += 64)
    for (int64_t b = 1; b <= 5; b += 2) {
      fcase k = { GRU, 1, 0, "forward", (int) (b & 1), 5, b, 24, h, h == 136,
        1
      };
      run_case (&k);
    }
  {
    fcase k = { GRU, 1, 0, "bidirectional", 0, 4, 2, 17, 136, 1, 1 };
    run_case (&k);
  }
  /* linear_before_reset=0: two packed products a step */
  for (int64_t b = 1; b <= 5; b += 4) {
    fcase k = { GRU, 0, 0, "reverse", 1, 5, b, 16, 136, 1, 1 };
    run_case (&k);
  }
}

static void
test_lstm_sizes (void)
{
  for (int layout = 0; layout < 2; layout++)
    for (int di = 0; di < 3; di++) {
      fcase k = { LSTM, 0, 0, dirs[di], layout, 6, 1, 40, 128, 1, di == 2 };
      run_case (&k);
    }
  for (int64_t h = 136; h <= 200; h += 64)
    for (int64_t b = 1; b <= 5; b += 2) {
      fcase k = { LSTM, 0, 0, "forward", (int) (b & 1), 5, b, 24, h,
        h == 200, 1
      };
      run_case (&k);
    }
  /* peepholes: the whole-matrix packed product with accumulation */
  for (int64_t b = 1; b <= 5; b += 4) {
    fcase k = { LSTM, 0, 1, "bidirectional", 0, 4, b, 16, 136, 1, 1 };
    run_case (&k);
  }
}

/* dlnn_parallel_steps: each task once, steps in order */
typedef struct steps_check
{
  int64_t steps;
  int parts;
  int *count;                   /* steps x parts */
  int64_t *done_steps;          /* per step: parts finished (atomic) */
  int bad;                      /* (atomic) */
} steps_check;

static void
steps_fn (void *arg, int64_t s, int p)
{
  steps_check *c = arg;
  /* every part of the step before has finished */
  if (s > 0 && __atomic_load_n (&c->done_steps[s - 1], __ATOMIC_ACQUIRE)
      != c->parts)
    __atomic_store_n (&c->bad, 1, __ATOMIC_RELAXED);
  for (volatile int i = 0; i < 200 * (p + 1); i++);
  __atomic_add_fetch (&c->count[s * c->parts + p], 1, __ATOMIC_RELAXED);
  __atomic_add_fetch (&c->done_steps[s], 1, __ATOMIC_RELEASE);
}

static void
test_parallel_steps (void)
{
  static dlnn_steps_stat stat;

  for (int threads = 1; threads <= 3; threads++) {
    dlnn_set_threads (threads);
    for (int parts = 1; parts <= 4; parts++)
      for (int job = 0; job < 40; job++) {
        steps_check c = { 57, parts, NULL, NULL, 0 };
        int wrong = 0;
        c.count = calloc ((size_t) (c.steps * parts), sizeof (int));
        c.done_steps = calloc ((size_t) c.steps, sizeof (int64_t));
        dlnn_parallel_steps (c.steps, parts, steps_fn, &c,
            job % 2 ? &stat : NULL, parts);
        for (int64_t i = 0; i < c.steps * parts; i++)
          wrong += c.count[i] != 1;
        CHECK_MSG (wrong == 0 && !c.bad, "threads %d parts %d job %d: %d "
            "tasks not run once, order %s", threads, parts, job, wrong,
            c.bad ? "broken" : "kept");
        free (c.count);
        free (c.done_steps);
      }
  }
  dlnn_set_threads (2);
}

int
main (void)
{
  dlnn_rng_seed (&oc_data_rng, 20261204);
  DLNN_RUN (test_parallel_steps);
  DLNN_RUN (test_gru_sizes);
  DLNN_RUN (test_lstm_sizes);
  return dlnn_test_summary ();
}
