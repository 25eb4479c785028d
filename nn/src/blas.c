/* libdlnn - the only file that includes cblas.h; thread control. */
#include "op.h"
#include "dlnn/exec.h"

#include <cblas.h>

static int dlnn_threads = 0;

void
dlnn_sgemm (int trans_a, int trans_b, int m, int n, int k, float alpha,
    const float *a, int lda, const float *b, int ldb, float beta, float *c,
    int ldc)
{
  cblas_sgemm (CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
      trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb,
      beta, c, ldc);
}

void
dlnn_sgemv (int m, int k, const float *a, int lda, const float *x, float *y)
{
  cblas_sgemv (CblasRowMajor, CblasNoTrans, m, k, 1.0f, a, lda, x, 1, 0.0f,
      y, 1);
}

void
dlnn_set_threads (int n)
{
  if (n <= 0)
    n = openblas_get_num_procs ();
  dlnn_threads = n;
  openblas_set_num_threads (n);
}

int
dlnn_get_threads (void)
{
  return dlnn_threads > 0 ? dlnn_threads : openblas_get_num_threads ();
}
