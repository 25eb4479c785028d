/* libdlnn - private: the library's own SGEMM kernels (sgemm_avx512.c).
 * dlnn_sgemm (blas.c) picks them or OpenBLAS. */
#ifndef DLNN_SGEMM_H
#define DLNN_SGEMM_H

#include <stdint.h>

/* Whether this CPU runs the AVX-512 kernel (F, VL, DQ, BW). */
int dlnn_sgemm_avx512_usable (void);

/* Whether dlnn_sgemm uses the kernel here (usable and not turned off by
 * DLNN_SGEMM=openblas; blas.c), decided once. */
int dlnn_sgemm_own (void);

/* C = alpha * op(A) * op(B) + beta * C, row major, op(A) m x k, op(B)
 * k x n; beta 0 never reads C. Splits the work over up to @threads
 * threads of the ops' pool. Only when dlnn_sgemm_avx512_usable (). */
void dlnn_sgemm_avx512 (int trans_a, int trans_b, int64_t m, int64_t n,
    int64_t k, float alpha, const float *a, int64_t lda, const float *b,
    int64_t ldb, float beta, float *c, int64_t ldc, int threads);

/* y = alpha * A x + beta * y (beta 0: y not read), A m x k row major
 * (row stride lda), x and y contiguous. Only when usable. */
void dlnn_sgemv_avx512 (int64_t m, int64_t k, float alpha, const float *a,
    int64_t lda, const float *x, float beta, float *y);

/* Packs rows [k0, k0 + kc) and columns [j0, j0 + w) of op(B) into bp:
 * kc rows of ld floats (ld = w rounded up to 16), zero beyond column w.
 * Lets a caller make B on the fly (a convolution's im2col). */
typedef void (*dlnn_gemm_pack_fn) (const void *ctx, int64_t k0, int64_t kc,
    int64_t j0, int64_t w, int64_t ld, float *bp);

enum { DLNN_GEMM_ACT_NONE = 0, DLNN_GEMM_ACT_CLAMP, DLNN_GEMM_ACT_SILU };

/* Applied to C at the store: + bias[row] (bias NULL: none), then with
 * act CLAMP, min (max (x, lo), hi) (ReLU: lo 0, hi INFINITY); with SILU,
 * x * sigmoid (x) (lo, hi unused). */
typedef struct dlnn_gemm_epilogue
{
  const float *bias;
  int act;
  float lo, hi;
} dlnn_gemm_epilogue;

/* dlnn_sgemm_avx512 with an epilogue (NULL: none). */
void dlnn_sgemm_avx512_ep (int trans_a, int trans_b, int64_t m, int64_t n,
    int64_t k, float alpha, const float *a, int64_t lda, const float *b,
    int64_t ldb, float beta, float *c, int64_t ldc,
    const dlnn_gemm_epilogue * ep, int threads);

/* C = epilogue (alpha * op(A) * B + beta * C) with B from @pack. */
void dlnn_sgemm_avx512_ex (int trans_a, int64_t m, int64_t n, int64_t k,
    float alpha, const float *a, int64_t lda, dlnn_gemm_pack_fn pack,
    const void *pack_ctx, float beta, float *c, int64_t ldc,
    const dlnn_gemm_epilogue * ep, int threads);

/* B read in place through a table of row offsets (a direct convolution
 * over a padded copy of its input): B(k, j) = b[off[k] + j] for j in
 * [0, n); whole vectors are read, so b[off[k] + j] must be readable up
 * to j < n rounded up to 16 (the values past n are not used). Of the n
 * virtual columns, C gets those with
 * j % row_len < row_valid, compacted: column j goes to C column
 * (j / row_len) * row_valid + j % row_len (the pad columns computed at
 * the end of each output row are dropped). */
typedef struct dlnn_gemm_indirect
{
  const float *b;
  const int64_t *off;           /* k entries */
  int64_t row_len, row_valid;
} dlnn_gemm_indirect;

/* C = epilogue (A * B) with A m x k row major (row stride lda) and B
 * indirect; C row stride ldc. */
void dlnn_sgemm_avx512_ind (int64_t m, int64_t n, int64_t k, const float *a,
    int64_t lda, const dlnn_gemm_indirect * ind, float *c, int64_t ldc,
    const dlnn_gemm_epilogue * ep, int threads);

#endif
