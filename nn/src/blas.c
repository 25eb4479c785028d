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
#include "dlnn/exec.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

static int dlnn_threads = 0;

/* Whether the own kernel is used (decided once). */
static int
own_sgemm (void)
{
  static int own = -1;

  if (own < 0) {
    const char *e = getenv ("DLNN_SGEMM");
    own = dlnn_sgemm_avx512_usable () && !(e && strcmp (e, "openblas") == 0);
  }
  return own;
}

void
dlnn_sgemm (int trans_a, int trans_b, int m, int n, int k, float alpha,
    const float *a, int lda, const float *b, int ldb, float beta, float *c,
    int ldc)
{
  if (m >= 4 && n >= 16 && own_sgemm ()) {
    dlnn_sgemm_avx512 (trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb,
        beta, c, ldc, dlnn_get_threads ());
    return;
  }
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
