/* libdlnn - single-precision GEMM with AVX-512 (see sgemm.h).
 *
 * C = alpha * op(A) * op(B) + beta * C, row major. The micro-kernel keeps
 * a 6 x 64 block of C in 24 zmm registers; per step of k it loads 64
 * floats of packed B (four vectors) and broadcasts 6 values of A, read in
 * place (row r, step k at a[r * rsa + k * csa]: both layouts of A are
 * streams the hardware prefetcher follows, so A is not packed). B is
 * packed per 64-column panel and KC rows into a buffer on the stack that
 * stays in L1 while the kernel runs down all rows of C (the A block is
 * read from L2). Column tails use fewer vectors and a mask; row tails read
 * a valid row and drop it at the store. Work is split over panels of
 * columns (and of rows when there are few panels) with dlnn_parallel_for.
 *
 * Compiled for AVX-512 F/VL/DQ/BW with target pragmas; callers check
 * dlnn_sgemm_avx512_usable () first. */
#include "sgemm.h"
#include "ops/parallel.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)

#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx512dq,avx512bw,fma")
#include <immintrin.h>

#define MR 6
#define NR 64
#ifndef KC
#define KC 256
#endif

typedef struct gemm_args
{
  int ta, tb;
  int64_t m, n, k;
  float alpha, beta;
  const float *a, *b;
  int64_t lda, ldb, ldc;
  float *c;
  int64_t npanels, msplit;      /* work items: npanels * msplit */
} gemm_args;

/* Packs rows [k0, k0 + kc) and columns [j0, j0 + w) of op(B) into bp
 * (kc rows of nv * 16 floats, zero beyond w). */
static void
pack_b (const gemm_args * g, int64_t k0, int64_t kc, int64_t j0, int64_t w,
    int nv, float *restrict bp)
{
  const int64_t ld = (int64_t) nv * 16;

  if (!g->tb) {
    for (int64_t kk = 0; kk < kc; kk++) {
      const float *src = g->b + (k0 + kk) * g->ldb + j0;
      float *dst = bp + kk * ld;
      for (int v = 0; v < nv; v++) {
        int64_t left = w - v * 16;
        __mmask16 mk = left >= 16 ? 0xffff : left <= 0 ? 0 :
            (__mmask16) ((1u << left) - 1);
        _mm512_store_ps (dst + v * 16,
            _mm512_maskz_loadu_ps (mk, src + v * 16));
      }
    }
  } else {
    /* op(B)(kk, j) = b[j * ldb + kk]: 16 columns at a time, gathered
     * along k in contiguous runs */
    for (int v = 0; v < nv; v++) {
      int64_t jn = w - v * 16;
      if (jn > 16)
        jn = 16;
      for (int64_t kk = 0; kk < kc; kk++) {
        float *dst = bp + kk * ld + v * 16;
        int64_t jj = 0;
        for (; jj < jn; jj++)
          dst[jj] = g->b[(j0 + v * 16 + jj) * g->ldb + k0 + kk];
        for (; jj < 16; jj++)
          dst[jj] = 0.0f;
      }
    }
  }
}

/* Stores accumulator row @acc (nv vectors) into C row @c. */
static inline __attribute__((always_inline)) void
store_row (float *restrict c, const __m512 * acc, int nv, __mmask16 last,
    float alpha, float beta, int first)
{
  const __m512 va = _mm512_set1_ps (alpha);

  for (int v = 0; v < nv; v++) {
    __mmask16 mk = v == nv - 1 ? last : 0xffff;
    __m512 r = _mm512_mul_ps (acc[v], va);
    if (!first)
      r = _mm512_add_ps (r, _mm512_maskz_loadu_ps (mk, c + v * 16));
    else if (beta != 0.0f)
      r = _mm512_fmadd_ps (_mm512_set1_ps (beta),
          _mm512_maskz_loadu_ps (mk, c + v * 16), r);
    _mm512_mask_storeu_ps (c + v * 16, mk, r);
  }
}

/* The 6 x (nv * 16) micro-kernel over kc steps. a points at A(row 0,
 * step 0); rows >= mr are computed from row 0 and not stored. */
static inline __attribute__((always_inline)) void
kernel (int nv, int ta, int64_t kc, const float *restrict a, int64_t lda,
    const float *restrict bp, float *restrict c, int64_t ldc, int mr,
    __mmask16 last, float alpha, float beta, int first)
{
  __m512 c0[4], c1[4], c2[4], c3[4], c4[4], c5[4];
  const int64_t ldb = (int64_t) nv * 16;

  for (int v = 0; v < 4; v++) {
    c0[v] = _mm512_setzero_ps ();
    c1[v] = c0[v];
    c2[v] = c0[v];
    c3[v] = c0[v];
    c4[v] = c0[v];
    c5[v] = c0[v];
  }
  if (!ta) {
    /* A(r, k) = a[r * lda + k] */
    const float *a0 = a, *a1 = mr > 1 ? a + lda : a,
        *a2 = mr > 2 ? a + 2 * lda : a, *a3 = mr > 3 ? a + 3 * lda : a,
        *a4 = mr > 4 ? a + 4 * lda : a, *a5 = mr > 5 ? a + 5 * lda : a;

    for (int64_t kk = 0; kk < kc; kk++) {
      __m512 b[4], x;
      for (int v = 0; v < nv; v++)
        b[v] = _mm512_load_ps (bp + v * 16);
      bp += ldb;
#define ROW(acc, p) \
      x = _mm512_set1_ps (p[kk]); \
      for (int v = 0; v < nv; v++) \
        acc[v] = _mm512_fmadd_ps (x, b[v], acc[v]);
      ROW (c0, a0) ROW (c1, a1) ROW (c2, a2) ROW (c3, a3) ROW (c4, a4)
      ROW (c5, a5)
#undef ROW
    }
  } else {
    /* A(r, k) = a[k * lda + r]; rows >= mr read row 0 */
    const int o1 = mr > 1, o2 = mr > 2 ? 2 : 0, o3 = mr > 3 ? 3 : 0,
        o4 = mr > 4 ? 4 : 0, o5 = mr > 5 ? 5 : 0;

    for (int64_t kk = 0; kk < kc; kk++) {
      __m512 b[4], x;
      const float *ak = a + kk * lda;
      for (int v = 0; v < nv; v++)
        b[v] = _mm512_load_ps (bp + v * 16);
      bp += ldb;
#define ROW(acc, o) \
      x = _mm512_set1_ps (ak[o]); \
      for (int v = 0; v < nv; v++) \
        acc[v] = _mm512_fmadd_ps (x, b[v], acc[v]);
      ROW (c0, 0) ROW (c1, o1) ROW (c2, o2) ROW (c3, o3) ROW (c4, o4)
      ROW (c5, o5)
#undef ROW
    }
  }
  store_row (c, c0, nv, last, alpha, beta, first);
  if (mr > 1)
    store_row (c + ldc, c1, nv, last, alpha, beta, first);
  if (mr > 2)
    store_row (c + 2 * ldc, c2, nv, last, alpha, beta, first);
  if (mr > 3)
    store_row (c + 3 * ldc, c3, nv, last, alpha, beta, first);
  if (mr > 4)
    store_row (c + 4 * ldc, c4, nv, last, alpha, beta, first);
  if (mr > 5)
    store_row (c + 5 * ldc, c5, nv, last, alpha, beta, first);
}

/* One instance per vector count and layout of A, so that the loops over
 * nv unroll. */
#define KERNEL_INSTANCE(nv, ta) \
static void \
kernel_##nv##_##ta (int64_t kc, const float *a, int64_t lda, \
    const float *bp, float *c, int64_t ldc, int mr, __mmask16 last, \
    float alpha, float beta, int first) \
{ \
  kernel (nv, ta, kc, a, lda, bp, c, ldc, mr, last, alpha, beta, first); \
}
KERNEL_INSTANCE (1, 0)
KERNEL_INSTANCE (2, 0)
KERNEL_INSTANCE (3, 0)
KERNEL_INSTANCE (4, 0)
KERNEL_INSTANCE (1, 1)
KERNEL_INSTANCE (2, 1)
KERNEL_INSTANCE (3, 1)
KERNEL_INSTANCE (4, 1)
#undef KERNEL_INSTANCE

typedef void (*kernel_fn) (int64_t kc, const float *a, int64_t lda,
    const float *bp, float *c, int64_t ldc, int mr, __mmask16 last,
    float alpha, float beta, int first);

static const kernel_fn kernels[2][4] = {
  {kernel_1_0, kernel_2_0, kernel_3_0, kernel_4_0},
  {kernel_1_1, kernel_2_1, kernel_3_1, kernel_4_1},
};

/* Work items [begin, end): item = panel * msplit + part; part covers a
 * range of row blocks. */
static void
gemm_job (void *arg, int64_t begin, int64_t end)
{
  const gemm_args *g = arg;
  float bp[KC * NR] __attribute__((aligned (64)));
  const int64_t mblocks = (g->m + MR - 1) / MR;

  for (int64_t it = begin; it < end; it++) {
    int64_t jp = it / g->msplit, part = it % g->msplit;
    int64_t j0 = jp * NR, w = g->n - j0 < NR ? g->n - j0 : NR;
    int nv = (int) ((w + 15) / 16);
    int64_t tail = w - (int64_t) (nv - 1) * 16;
    __mmask16 last = tail >= 16 ? 0xffff : (__mmask16) ((1u << tail) - 1);
    int64_t ib0 = mblocks * part / g->msplit;
    int64_t ib1 = mblocks * (part + 1) / g->msplit;
    kernel_fn fn = kernels[g->ta][nv - 1];

    for (int64_t k0 = 0; k0 < g->k; k0 += KC) {
      int64_t kc = g->k - k0 < KC ? g->k - k0 : KC;

      pack_b (g, k0, kc, j0, w, nv, bp);
      for (int64_t ib = ib0; ib < ib1; ib++) {
        int64_t i0 = ib * MR;
        int mr = (int) (g->m - i0 < MR ? g->m - i0 : MR);
        const float *a = g->ta ? g->a + k0 * g->lda + i0
            : g->a + i0 * g->lda + k0;
        fn (kc, a, g->lda, bp, g->c + i0 * g->ldc + j0, g->ldc, mr, last,
            g->alpha, g->beta, k0 == 0);
      }
    }
  }
}

#pragma GCC pop_options

int
dlnn_sgemm_avx512_usable (void)
{
  static int usable = -1;

  if (usable < 0) {
    __builtin_cpu_init ();
    usable = __builtin_cpu_supports ("avx512f")
        && __builtin_cpu_supports ("avx512vl")
        && __builtin_cpu_supports ("avx512dq")
        && __builtin_cpu_supports ("avx512bw");
  }
  return usable;
}

void
dlnn_sgemm_avx512 (int trans_a, int trans_b, int64_t m, int64_t n,
    int64_t k, float alpha, const float *a, int64_t lda, const float *b,
    int64_t ldb, float beta, float *c, int64_t ldc, int threads)
{
  gemm_args g;
  int64_t mblocks = (m + MR - 1) / MR, items;

  if (m <= 0 || n <= 0)
    return;
  if (k <= 0 || alpha == 0.0f) {
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++)
        c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    return;
  }
  memset (&g, 0, sizeof (g));
  g.ta = trans_a != 0;
  g.tb = trans_b != 0;
  g.m = m;
  g.n = n;
  g.k = k;
  g.alpha = alpha;
  g.beta = beta;
  g.a = a;
  g.b = b;
  g.lda = lda;
  g.ldb = ldb;
  g.c = c;
  g.ldc = ldc;
  g.npanels = (n + NR - 1) / NR;
  /* at least two items per thread when the rows allow it */
  g.msplit = 1;
  if (threads > 1 && g.npanels < 2 * threads) {
    g.msplit = (2 * threads + g.npanels - 1) / g.npanels;
    if (g.msplit > mblocks)
      g.msplit = mblocks;
  }
  items = g.npanels * g.msplit;
  if (threads > 1 && 2.0 * (double) m * (double) n * (double) k >= 2e6)
    dlnn_parallel_for (items, 1, gemm_job, &g);
  else
    gemm_job (&g, 0, items);
}

#else

int
dlnn_sgemm_avx512_usable (void)
{
  return 0;
}

void
dlnn_sgemm_avx512 (int trans_a, int trans_b, int64_t m, int64_t n,
    int64_t k, float alpha, const float *a, int64_t lda, const float *b,
    int64_t ldb, float beta, float *c, int64_t ldc, int threads)
{
  (void) trans_a;
  (void) trans_b;
  (void) m;
  (void) n;
  (void) k;
  (void) alpha;
  (void) a;
  (void) lda;
  (void) b;
  (void) ldb;
  (void) beta;
  (void) c;
  (void) ldc;
  (void) threads;
}

#endif
