/* libdlnn's own SGEMM kernel (nn/src/sgemm_avx512.c) and the dispatcher
 * dlnn_sgemm (nn/src/blas.c) against a naive double-precision product,
 * over shapes that exercise every row and column tail, both layouts of A
 * and B, alpha/beta, leading dimensions wider than the matrices, K
 * across several blocks, and both thread counts; the variant with B
 * read in place through row offsets (direct convolutions). */
#include "dlnn-test.h"
#include "op.h"
#include "sgemm.h"
#include "dlnn/exec.h"

#include <string.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static float
frand (void)
{
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (float) ((rng_state >> 40) / (double) (1 << 24)) * 2.0f - 1.0f;
}

typedef void (*gemm_fn) (int ta, int tb, int m, int n, int k, float alpha,
    const float *a, int lda, const float *b, int ldb, float beta, float *c,
    int ldc);

static void
own (int ta, int tb, int m, int n, int k, float alpha, const float *a,
    int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
  dlnn_sgemm_avx512 (ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
      dlnn_get_threads ());
}

/* One product; returns the worst error relative to the sum of |terms|. */
static double
check_one (gemm_fn fn, int ta, int tb, int m, int n, int k, float alpha,
    float beta, int pad)
{
  int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
  size_t na = (size_t) (ta ? k : m) * lda, nb = (size_t) (tb ? n : k) * ldb;
  size_t nc = (size_t) m * ldc;
  float *a = malloc (na * sizeof (float)), *b = malloc (nb * sizeof (float));
  float *c = malloc (nc * sizeof (float)), *c0 = malloc (nc * sizeof (float));
  double worst = 0.0;

  for (size_t i = 0; i < na; i++)
    a[i] = frand ();
  for (size_t i = 0; i < nb; i++)
    b[i] = frand ();
  for (size_t i = 0; i < nc; i++)
    c0[i] = beta == 0.0f ? NAN : frand ();      /* beta 0 must not read C */
  memcpy (c, c0, nc * sizeof (float));
  fn (ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  for (int i = 0; i < m; i++) {
    for (int j = 0; j < n; j++) {
      double s = 0.0, mag = 0.0, ref;
      for (int p = 0; p < k; p++) {
        double t = (double) (ta ? a[p * lda + i] : a[i * lda + p])
            * (tb ? b[j * ldb + p] : b[p * ldb + j]);
        s += t;
        mag += fabs (t);
      }
      ref = alpha * s + (beta == 0.0f ? 0.0 : beta * c0[i * ldc + j]);
      mag = fabs (alpha) * mag + (beta == 0.0f ? 0.0 :
          fabs (beta * c0[i * ldc + j])) + 1e-30;
      double e = fabs (c[i * ldc + j] - ref) / mag;
      if (!(e <= worst))
        worst = isnan (e) ? INFINITY : e;
    }
    /* the padding after each row of C is left alone */
    for (int j = n; j < ldc; j++)
      if (memcmp (&c[i * ldc + j], &c0[i * ldc + j], sizeof (float)))
        worst = INFINITY;
  }
  free (a);
  free (b);
  free (c);
  free (c0);
  return worst;
}

static const int shapes[][3] = {
  {1, 1, 1}, {4, 16, 1}, {6, 64, 7}, {7, 65, 9}, {5, 17, 3}, {12, 128, 256},
  {13, 49, 257}, {64, 196, 576}, {11, 100, 513}, {3, 200, 40},
  {100, 15, 30}, {37, 33, 600}, {6, 48, 1}, {18, 130, 64},
  {1, 1000, 64}, {50, 1, 70}, {1, 17, 1}, {2, 300, 20}, {13, 49, 1100},
};

static void
sweep (gemm_fn fn, const char *name)
{
  static const float ab[][2] = { {1.0f, 0.0f}, {0.5f, 1.0f}, {-2.0f, 0.25f} };

  for (size_t s = 0; s < sizeof (shapes) / sizeof (shapes[0]); s++)
    for (int t = 0; t < 4; t++)
      for (int v = 0; v < 3; v++) {
        int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        double e = check_one (fn, t & 1, t >> 1, m, n, k, ab[v][0], ab[v][1],
            (int) (s % 3) * 5);
        CHECK_MSG (e < 1e-5, "%s %dx%dx%d ta %d tb %d alpha %g beta %g: "
            "relative error %g", name, m, n, k, t & 1, t >> 1, ab[v][0],
            ab[v][1], e);
      }
}

static void
test_kernel_one_thread (void)
{
  if (!dlnn_sgemm_avx512_usable ()) {
    fprintf (stderr, "  (no AVX-512 on this CPU: own kernel not run)\n");
    return;
  }
  dlnn_set_threads (1);
  sweep (own, "avx512 1 thread");
}

static void
test_kernel_two_threads (void)
{
  if (!dlnn_sgemm_avx512_usable ())
    return;
  dlnn_set_threads (2);
  sweep (own, "avx512 2 threads");
  /* a product big enough to be split over both threads, few panels */
  CHECK (check_one (own, 0, 0, 300, 49, 700, 1.0f, 0.0f, 0) < 1e-5);
  CHECK (check_one (own, 1, 1, 61, 1000, 90, 1.0f, 1.0f, 3) < 1e-5);
}

static void
test_dispatch (void)
{
  dlnn_set_threads (2);
  sweep (dlnn_sgemm, "dlnn_sgemm");
}

/* Bias and activation at the store (dlnn_sgemm_avx512_ep): applied once,
 * after the last block of K, on every path (panel tails, the 49-column
 * dot kernel). */
static void
test_epilogue (void)
{
  /* K of 1100 and 1030: three blocks of KC = 512 rows */
  static const int shp[][3] = { {7, 49, 500}, {13, 64, 40}, {6, 17, 3},
  {20, 100, 200}, {5, 33, 450}, {7, 49, 1100}, {5, 33, 1030}
  };
  if (!dlnn_sgemm_avx512_usable ())
    return;
  for (size_t s = 0; s < sizeof (shp) / sizeof (shp[0]); s++)
    for (int act = 0; act < 3; act++) {
      int m = shp[s][0], n = shp[s][1], k = shp[s][2];
      float *a = malloc (sizeof (float) * m * k);
      float *b = malloc (sizeof (float) * k * n);
      float *c = malloc (sizeof (float) * m * n), *bias = malloc (4 * m);
      dlnn_gemm_epilogue ep = { bias, act, -0.3f, 0.4f };
      double worst = 0.0;

      for (int i = 0; i < m * k; i++)
        a[i] = frand () * 0.2f;
      for (int i = 0; i < k * n; i++)
        b[i] = frand () * 0.2f;
      for (int i = 0; i < m; i++)
        bias[i] = frand ();
      for (int i = 0; i < m * n; i++)
        c[i] = NAN;
      dlnn_sgemm_avx512_ep (0, 0, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n,
          &ep, 2);
      for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
          double x = bias[i], e;
          for (int p = 0; p < k; p++)
            x += (double) a[i * k + p] * b[p * n + j];
          if (act == DLNN_GEMM_ACT_CLAMP)
            x = x < -0.3 ? -0.3 : x > 0.4 ? 0.4 : x;
          else if (act == DLNN_GEMM_ACT_SILU)
            x = x / (1.0 + exp (-x));
          e = fabs (c[i * n + j] - x) / (fabs (x) + 1e-3);
          if (!(e <= worst))
            worst = isnan (e) ? INFINITY : e;
        }
      CHECK_MSG (worst < 1e-4, "%dx%dx%d act %d: relative error %g", m, n,
          k, act, worst);
      free (a);
      free (b);
      free (c);
      free (bias);
    }
}

/* B read in place through row offsets (dlnn_sgemm_avx512_ind): rows of B
 * scattered in a buffer at random offsets, virtual output rows of
 * row_len columns of which row_valid are stored compactly, every row
 * and column tail, with and without the epilogue, 1 and 2 threads; C is
 * NaN-filled with guard values around it that must stay untouched. */
static void
test_indirect (void)
{
  static const int shp[][5] = {
    /* m, rows, row_len, row_valid, k */
    {64, 55, 57, 55, 144}, {7, 3, 20, 17, 5}, {13, 1, 64, 64, 27},
    {6, 9, 9, 7, 300}, {100, 2, 130, 112, 64}, {1, 4, 16, 1, 3},
    {31, 5, 3, 3, 11}
  };
  if (!dlnn_sgemm_avx512_usable ())
    return;
  for (size_t s = 0; s < sizeof (shp) / sizeof (shp[0]); s++)
    /* act 3: bias and no activation */
    for (int act = 0; act < 4; act++)
      for (int th = 1; th <= 2; th++) {
        int m = shp[s][0], rows = shp[s][1], rl = shp[s][2];
        int rv = shp[s][3], k = shp[s][4];
        int n = (rows - 1) * rl + rv, nc = rows * rv;
        int64_t span = (int64_t) k * (n + 40) + 16, *off = malloc (8 * k);
        float *a = malloc (sizeof (float) * m * k);
        float *b = malloc (sizeof (float) * span);
        float *c = malloc (sizeof (float) * (m * nc + 32));
        float *bias = malloc (4 * m);
        int ea = act == 3 ? DLNN_GEMM_ACT_NONE : act;
        dlnn_gemm_epilogue ep = { bias, ea, -0.3f, 0.4f };
        dlnn_gemm_indirect ind;
        double worst = 0.0;
        int guard_ok = 1;

        for (int i = 0; i < m * k; i++)
          a[i] = frand () * 0.2f;
        for (int64_t i = 0; i < span; i++)
          b[i] = frand () * 0.2f;
        /* row p of B at a shuffled, overlapping, unaligned offset */
        for (int p = 0; p < k; p++)
          off[p] = (int64_t) ((p * 7919) % k) * (n + 40)
              + (p * 13) % 37;
        for (int i = 0; i < m; i++)
          bias[i] = frand ();
        for (int i = 0; i < m * nc + 32; i++)
          c[i] = i < 16 || i >= m * nc + 16 ? 12345.0f : NAN;
        ind.b = b;
        ind.off = off;
        ind.row_len = rl;
        ind.row_valid = rv;
        dlnn_sgemm_avx512_ind (m, n, k, a, k, &ind, c + 16, nc,
            act ? &ep : NULL, th);
        for (int i = 0; i < 16; i++)
          guard_ok &= c[i] == 12345.0f && c[m * nc + 16 + i] == 12345.0f;
        for (int i = 0; i < m; i++)
          for (int q = 0; q < nc; q++) {
            int64_t j = (int64_t) (q / rv) * rl + q % rv;
            double x = act ? bias[i] : 0.0, mag = fabs (x), e;
            for (int p = 0; p < k; p++) {
              x += (double) a[i * k + p] * b[off[p] + j];
              mag += fabs ((double) a[i * k + p] * b[off[p] + j]);
            }
            if (ea == DLNN_GEMM_ACT_CLAMP)
              x = x < -0.3 ? -0.3 : x > 0.4 ? 0.4 : x;
            else if (ea == DLNN_GEMM_ACT_SILU)
              x = x / (1.0 + exp (-x));
            /* relative to the sum of |terms| (cancellation) */
            e = fabs (c[16 + i * nc + q] - x) / (mag + 1e-6);
            if (!(e <= worst))
              worst = isnan (e) ? INFINITY : e;
          }
        CHECK_MSG (worst < 1e-5 && guard_ok,
            "m %d n %d (rows of %d, %d kept) k %d act %d threads %d: "
            "error %g of the sum of |terms|, guards %s", m, n, rl, rv, k, act, th, worst,
            guard_ok ? "intact" : "overwritten");
        free (a);
        free (b);
        free (c);
        free (bias);
        free (off);
      }
}

int
main (void)
{
  DLNN_RUN (test_epilogue);
  DLNN_RUN (test_kernel_one_thread);
  DLNN_RUN (test_kernel_two_threads);
  DLNN_RUN (test_dispatch);
  DLNN_RUN (test_indirect);
  return dlnn_test_summary ();
}
