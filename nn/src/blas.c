/* libdlnn - the only file that includes cblas.h; thread control.
 *
 * dlnn_sgemm runs libdlnn's own AVX-512 kernel (sgemm_avx512.c) on CPUs
 * that have it, for every product with at least 4 rows and 16 columns,
 * whatever OpenBLAS's kernel choice (OPENBLAS_CORETYPE in the environment
 * can force its AVX2 "Haswell" kernels, at about half the AVX-512 rate;
 * the kernel here is also where fused epilogues can live).
 * DLNN_SGEMM=openblas in the environment keeps OpenBLAS for every call
 * (for comparisons). Thin products and CPUs without AVX-512 go to
 * OpenBLAS. */
#include "op.h"
#include "sgemm.h"
#include "ops/parallel.h"
#include "dlnn/exec.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

static int dlnn_threads = 0;

int
dlnn_sgemm_own (void)
{
  static int own = -1;

  if (own < 0) {
    const char *e = getenv ("DLNN_SGEMM");
    own = dlnn_sgemm_avx512_usable () && !(e && strcmp (e, "openblas") == 0);
  }
  return own;
}

/* A matrix-vector product y = alpha op(A) x + beta y (beta 0: y is not
 * read), A rows x cols row major; in own mode split over the output
 * with the pool (OpenBLAS runs one thread there). */
typedef struct gemv_job
{
  int trans, rows, cols, lda, incx, incy;
  float alpha, beta;
  const float *a, *x;
  float *y;
} gemv_job;

static void
gemv_part (void *arg, int64_t begin, int64_t end)
{
  const gemv_job *j = arg;
  int len = (int) (end - begin);

  if (!j->trans && j->incx == 1 && j->incy == 1 && dlnn_sgemm_own ()) {
    dlnn_sgemv_avx512 (len, j->cols, j->alpha, j->a + begin * j->lda,
        j->lda, j->x, j->beta, j->y + begin);
    return;
  }
  if (j->beta == 0.0f)
    for (int64_t i = begin; i < end; i++)
      j->y[i * j->incy] = 0.0f;
  if (!j->trans)                /* outputs are rows */
    cblas_sgemv (CblasRowMajor, CblasNoTrans, len, j->cols, j->alpha,
        j->a + begin * j->lda, j->lda, j->x, j->incx, j->beta,
        j->y + begin * j->incy, j->incy);
  else                          /* outputs are columns */
    cblas_sgemv (CblasRowMajor, CblasTrans, j->rows, len, j->alpha,
        j->a + begin, j->lda, j->x, j->incx, j->beta,
        j->y + begin * j->incy, j->incy);
}

/* A GEMV from cache takes about 20 ps a multiply-add; a hand-over to
 * the pool and back, 3 to 5 us (dlnn_bench --sgemm 1,N,K --threads 1 / 2:
 * 384 x 128 2.0 / 4.9 us, 1024 x 256 10.4 / 11.6 us, 1000 x 1280 62.6 /
 * 53.0 us with 8192 multiply-adds a part). Parts of 256k multiply-adds
 * (about 5 us) leave the classifiers of resnet18 / mobilenet_v2 split and
 * the GEMVs of small layers on one thread. */
#define GEMV_PART_MACS 262144

static void
gemv (int trans, int rows, int cols, float alpha, const float *a, int lda,
    const float *x, int incx, float beta, float *y, int incy)
{
  gemv_job j = { trans, rows, cols, lda, incx, incy, alpha, beta, a, x, y };
  int64_t outs = trans ? cols : rows, other = trans ? rows : cols;

  if (dlnn_sgemm_own () && dlnn_par_threads () > 1)
    /* parts of at least 64 outputs and GEMV_PART_MACS multiply-adds */
    dlnn_parallel_for (outs, 64 + GEMV_PART_MACS / (other ? other : 1),
        gemv_part, &j);
  else
    gemv_part (&j, 0, outs);
}

void
dlnn_sgemm (int trans_a, int trans_b, int m, int n, int k, float alpha,
    const float *a, int lda, const float *b, int ldb, float beta, float *c,
    int ldc)
{
  /* a row or a column: a matrix-vector product, which OpenBLAS's sgemm
   * would run through its packing GEMM path (6x slower on a 1000 x 1280
   * classifier) */
  if (m == 1) {                 /* c[n] = op(B)^T a */
    int inc = trans_a ? lda : 1;
    if (trans_b)                /* B is n x k */
      gemv (0, n, k, alpha, b, ldb, a, inc, beta, c, 1);
    else                        /* B is k x n */
      gemv (1, k, n, alpha, b, ldb, a, inc, beta, c, 1);
    return;
  }
  if (n == 1) {                 /* c[m] (stride ldc) = op(A) b */
    int inc = trans_b ? 1 : ldb;
    if (!trans_a)               /* A is m x k */
      gemv (0, m, k, alpha, a, lda, b, inc, beta, c, ldc);
    else                        /* A is k x m */
      gemv (1, k, m, alpha, a, lda, b, inc, beta, c, ldc);
    return;
  }
  if (m >= 4 && n >= 16 && dlnn_sgemm_own ()) {
    dlnn_sgemm_avx512 (trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb,
        beta, c, ldc, dlnn_par_threads ());
    return;
  }
  cblas_sgemm (CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
      trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb,
      beta, c, ldc);
}

void
dlnn_sgemv (int m, int k, const float *a, int lda, const float *x, float *y)
{
  gemv (0, m, k, 1.0f, a, lda, x, 1, 0.0f, y, 1);
}

/* Own mode: libdlnn's pool runs every product (the own kernel, GEMVs
 * split by rows), so OpenBLAS gets one thread: its workers would spin on
 * the same cores as the pool's. */
void
dlnn_set_threads (int n)
{
  if (n <= 0)
    n = openblas_get_num_procs ();
  dlnn_threads = n;
  openblas_set_num_threads (dlnn_sgemm_own () ? 1 : n);
}

int
dlnn_get_threads (void)
{
  /* first use without dlnn_set_threads: OpenBLAS's default
   * (OPENBLAS_NUM_THREADS, else every core) */
  if (dlnn_threads <= 0)
    dlnn_set_threads (openblas_get_num_threads ());
  return dlnn_threads;
}
