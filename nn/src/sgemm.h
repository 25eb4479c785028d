/* libdlnn - private: the library's own SGEMM kernels (sgemm_avx512.c).
 * dlnn_sgemm (blas.c) picks them or OpenBLAS. */
#ifndef DLNN_SGEMM_H
#define DLNN_SGEMM_H

#include <stdint.h>

/* Whether this CPU runs the AVX-512 kernel (F, VL, DQ, BW). */
int dlnn_sgemm_avx512_usable (void);

/* C = alpha * op(A) * op(B) + beta * C, row major, op(A) m x k, op(B)
 * k x n; beta 0 never reads C. Splits the work over up to @threads
 * threads of the ops' pool. Only when dlnn_sgemm_avx512_usable (). */
void dlnn_sgemm_avx512 (int trans_a, int trans_b, int64_t m, int64_t n,
    int64_t k, float alpha, const float *a, int64_t lda, const float *b,
    int64_t ldb, float beta, float *c, int64_t ldc, int threads);

#endif
