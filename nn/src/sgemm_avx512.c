/* libdlnn - single-precision GEMM with AVX-512 (see sgemm.h).
 *
 * C = alpha * op(A) * op(B) + beta * C, row major. The micro-kernel keeps
 * a 6 x 64 block of C in 24 zmm registers; per step of k it loads 64
 * floats of packed B (four vectors) and broadcasts 6 values of A, read in
 * place (row r, step k at a[r * rsa + k * csa]: both layouts of A are
 * streams the hardware prefetcher follows, so A is not packed). B is
 * packed per 64-column panel and KC rows into a buffer on the stack that
 * stays in L1 or L2 while the kernel runs down all rows of C. Column
 * tails use fewer vectors and a mask; row tails read a valid row and drop
 * it at the store. Work is split over panels of columns (and of rows when
 * there are few panels) with dlnn_parallel_for.
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
#include <math.h>

#include "ops/silu_simd.h"
#include "simd_transpose.h"

#define MR 6
#define NR 64

/* Before each loop over a kernel's vectors (at most NR / 16): unrolled
 * before scalar replacement, so the accumulator arrays live in registers
 * from the first step to the store. Without it GCC keeps them in memory
 * outside the k loop (zeroed there, spilled after it, reloaded by the
 * epilogue: 72 stack accesses per 6 x 64 block), which cost 5-14 % of a
 * product with K = 16 to 144 (harness, 1 thread: 64x3024x16 in place
 * 155 -> 176 GFLOP/s, 32x12544x27 172 -> 186, 64x3024x144 242 -> 247). */
#define UNROLL_V _Pragma ("GCC unroll 4")

/* The next row block's A, a line of each row per 16 steps of k: when A
 * is not in the caches (the weights of a 7x7 layer, read once per
 * inference, after the rest of the network evicted them) the hardware
 * prefetcher does not keep six row streams ahead of the kernel. Prefetch
 * never faults, so the block after the last one may be named. */
#define PREFETCH_NEXT_A(p, lda, kk) do { \
      const char *pn_ = (const char *) ((p) + MR * (lda) + (kk)); \
      const int64_t st_ = (lda) * (int64_t) sizeof (float); \
      for (int r_ = 0; r_ < MR; r_++) \
        _mm_prefetch (pn_ + r_ * st_, _MM_HINT_T0); \
    } while (0)
/* Rows of k per packed panel: the panel (KC x 64 floats, 128 KB on the
 * stack of the calling thread) then holds the whole K of most layers, so
 * C is stored once instead of once per 192 rows; it sits in L2 rather
 * than L1, which the broadcasts of A hide (harness, 1 thread, KC 192 ->
 * 512: squeezenet's 1000x169x512 classifier 237 -> 248 GFLOP/s,
 * 512x49x4608 229 -> 236, 1280x49x320 234 -> 242; in the network,
 * 7 interleaved runs, squeezenet1_1 3.364 -> 3.332 ms median). */
#ifndef KC
#define KC 512
#endif

typedef struct gemm_args
{
  int ta;
  int64_t m, n, k;
  float alpha, beta;
  const float *a;
  int64_t lda, ldc;
  float *c;
  dlnn_gemm_pack_fn pack;       /* packed B (gemm_job) */
  const void *pack_ctx;
  dlnn_gemm_indirect ind;       /* or B in place (ind_job) */
  dlnn_gemm_epilogue ep;
  int64_t npanels, msplit;      /* work items: npanels * msplit */
} gemm_args;

/* The arguments common to both kinds of product, the rest zero. */
static void
gemm_args_init (gemm_args * g, int64_t m, int64_t n, int64_t k,
    const float *a, int64_t lda, float *c, int64_t ldc,
    const dlnn_gemm_epilogue * ep)
{
  memset (g, 0, sizeof (*g));
  g->m = m;
  g->n = n;
  g->k = k;
  g->a = a;
  g->lda = lda;
  g->c = c;
  g->ldc = ldc;
  g->ep = *ep;
  g->npanels = (n + NR - 1) / NR;
}

/* Pieces of the three 6-row kernels (kernel, kernel_dot, kernel_ind).
 * ACC_ZERO: accumulator rows c0 .. c5 of n vectors, zeroed. */
#define ACC_ZERO(n) \
  __m512 c0[n], c1[n], c2[n], c3[n], c4[n], c5[n]; \
  UNROLL_V \
  for (int v_ = 0; v_ < (n); v_++) \
    c0[v_] = c1[v_] = c2[v_] = c3[v_] = c4[v_] = c5[v_] = \
        _mm512_setzero_ps ()
/* A_ROWS: a0 .. a5 at rows 0 .. 5 of A (row stride lda); rows >= mr
 * read row 0 (computed, not stored). */
#define A_ROWS(a, lda, mr) \
  const float *a0 = (a), *a1 = (mr) > 1 ? (a) + (lda) : (a), \
      *a2 = (mr) > 2 ? (a) + 2 * (lda) : (a), \
      *a3 = (mr) > 3 ? (a) + 3 * (lda) : (a), \
      *a4 = (mr) > 4 ? (a) + 4 * (lda) : (a), \
      *a5 = (mr) > 5 ? (a) + 5 * (lda) : (a)
/* FMA6: accumulator row r += A(r, step) * b for the six rows, A(r, step)
 * given by the caller's macro AT (r) (a scalar). */
#define FMA_ROW(acc, val, b, nv) do { \
      __m512 x_ = _mm512_set1_ps (val); \
      UNROLL_V \
      for (int v_ = 0; v_ < (nv); v_++) \
        acc[v_] = _mm512_fmadd_ps (x_, b[v_], acc[v_]); \
    } while (0)
/* FMA_ROWS: the first nr (2, 4 or 6, a constant) of them: a block's
 * last rows (a 32-filter layer's 2 of 6 rows) then cost a third or two
 * thirds of a whole block, not all of it. */
#define FMA_ROWS(AT, b, nv, nr) do { \
      FMA_ROW (c0, AT (0), b, nv); FMA_ROW (c1, AT (1), b, nv); \
      if ((nr) > 2) { \
        FMA_ROW (c2, AT (2), b, nv); FMA_ROW (c3, AT (3), b, nv); \
      } \
      if ((nr) > 4) { \
        FMA_ROW (c4, AT (4), b, nv); FMA_ROW (c5, AT (5), b, nv); \
      } \
    } while (0)
#define FMA6(AT, b, nv) FMA_ROWS (AT, b, nv, 6)
/* Kernel rows for a block of mr rows. */
#define KERNEL_ROWS(mr) ((mr) <= 2 ? 2 : (mr) <= 4 ? 4 : 6)
#define ROWS_INDEX(mr) ((mr) <= 2 ? 0 : (mr) <= 4 ? 1 : 2)

/* B of a plain product (the pack context of dlnn_sgemm_avx512). */
typedef struct matrix_b
{
  int tb;
  const float *b;
  int64_t ldb;
} matrix_b;

/* Packs rows [k0, k0 + kc) and columns [j0, j0 + w) of op(B) into bp
 * (kc rows of ld floats, zero beyond w). */
static void
pack_matrix_b (const void *ctx, int64_t k0, int64_t kc, int64_t j0,
    int64_t w, int64_t ld, float *restrict bp)
{
  const matrix_b *g = ctx;
  const int nv = (int) (ld / 16);

  if (!g->tb) {
    for (int64_t kk = 0; kk < kc; kk++) {
      const float *src = g->b + (k0 + kk) * g->ldb + j0;
      float *dst = bp + kk * ld;
      /* the next panel's part of this row: rows are separate streams
       * the hardware prefetcher does not follow across panels */
      if (w == NR)
        for (int v = 0; v < 4; v++)
          _mm_prefetch ((const char *) (src + NR + v * 16), _MM_HINT_T1);
      for (int v = 0; v < nv; v++) {
        int64_t left = w - v * 16;
        __mmask16 mk = left >= 16 ? 0xffff : left <= 0 ? 0 :
            (__mmask16) ((1u << left) - 1);
        _mm512_store_ps (dst + v * 16,
            _mm512_maskz_loadu_ps (mk, src + v * 16));
      }
    }
  } else {
    /* op(B)(kk, j) = b[j * ldb + kk]: 16 x 16 blocks, each 16 runs along
     * k loaded and transposed in registers */
    for (int v = 0; v < nv; v++) {
      int64_t jn = w - v * 16;
      if (jn > 16)
        jn = 16;
      for (int64_t u0 = 0; u0 < kc; u0 += 16) {
        int64_t un = kc - u0 < 16 ? kc - u0 : 16;
        __mmask16 mk = un == 16 ? 0xffff : (__mmask16) ((1u << un) - 1);
        __m512 r[16];

        for (int jj = 0; jj < 16; jj++)
          r[jj] = jj < jn ? _mm512_maskz_loadu_ps (mk,
              g->b + (j0 + v * 16 + jj) * g->ldb + k0 + u0)
              : _mm512_setzero_ps ();
        dlnn_transpose16_avx512 (r);
        for (int64_t t = 0; t < un; t++)
          _mm512_store_ps (bp + (u0 + t) * ld + v * 16, r[t]);
      }
    }
  }
}

/* What a kernel call does at its store: first / last block of K, and
 * the epilogue. */
typedef struct store_mode
{
  float alpha, beta;
  int first, last;
  const dlnn_gemm_epilogue *ep;
  int64_t row;                  /* row of C of the block's first row */
} store_mode;

/* Stores accumulator row @acc (nv vectors) into C row @c (row @r of the
 * block). */
static inline __attribute__((always_inline)) void
store_row (float *restrict c, const __m512 * acc, int nv, __mmask16 last,
    const store_mode * sm, int r)
{
  const __m512 va = _mm512_set1_ps (sm->alpha);

  UNROLL_V
  for (int v = 0; v < nv; v++) {
    __mmask16 mk = v == nv - 1 ? last : 0xffff;
    __m512 x = _mm512_mul_ps (acc[v], va);
    if (!sm->first)
      x = _mm512_add_ps (x, _mm512_maskz_loadu_ps (mk, c + v * 16));
    else {
      if (sm->beta != 0.0f)
        x = _mm512_fmadd_ps (_mm512_set1_ps (sm->beta),
            _mm512_maskz_loadu_ps (mk, c + v * 16), x);
      if (sm->ep->bias)
        x = _mm512_add_ps (x, _mm512_set1_ps (sm->ep->bias[sm->row + r]));
    }
    if (sm->last && sm->ep->act == DLNN_GEMM_ACT_CLAMP)
      x = _mm512_min_ps (_mm512_max_ps (x, _mm512_set1_ps (sm->ep->lo)),
          _mm512_set1_ps (sm->ep->hi));
    else if (sm->last && sm->ep->act == DLNN_GEMM_ACT_SILU)
      x = dlnn_silu_avx512 (x);
    _mm512_mask_storeu_ps (c + v * 16, mk, x);
  }
}

/* The 6 x (nv * 16) micro-kernel over kc steps. a points at A(row 0,
 * step 0); rows >= mr are computed from row 0 and not stored. */
static inline __attribute__((always_inline)) void
kernel (int nv, int nr, int ta, int64_t kc, const float *restrict a,
    int64_t lda, const float *restrict bp, float *restrict c, int64_t ldc,
    int mr, __mmask16 last, const store_mode * sm)
{
  const int64_t ldb = (int64_t) nv * 16;
  ACC_ZERO (4);

  if (!ta) {
    /* A(r, k) = a[r * lda + k] */
    A_ROWS (a, lda, mr);

    for (int64_t kk = 0; kk < kc; kk++) {
      __m512 b[4];
      if ((kk & 15) == 0)
        PREFETCH_NEXT_A (a, lda, kk);
      UNROLL_V
      for (int v = 0; v < nv; v++)
        b[v] = _mm512_load_ps (bp + v * 16);
      bp += ldb;
#define AT(r) a##r[kk]
      FMA_ROWS (AT, b, nv, nr);
#undef AT
    }
  } else {
    /* A(r, k) = a[k * lda + r]; rows >= mr read row 0 */
    const int o0 = 0, o1 = mr > 1, o2 = mr > 2 ? 2 : 0, o3 = mr > 3 ? 3 : 0,
        o4 = mr > 4 ? 4 : 0, o5 = mr > 5 ? 5 : 0;

    for (int64_t kk = 0; kk < kc; kk++) {
      __m512 b[4];
      const float *ak = a + kk * lda;
      UNROLL_V
      for (int v = 0; v < nv; v++)
        b[v] = _mm512_load_ps (bp + v * 16);
      bp += ldb;
#define AT(r) ak[o##r]
      FMA_ROWS (AT, b, nv, nr);
#undef AT
    }
  }
  store_row (c, c0, nv, last, sm, 0);
  if (mr > 1)
    store_row (c + ldc, c1, nv, last, sm, 1);
  if (nr > 2 && mr > 2)
    store_row (c + 2 * ldc, c2, nv, last, sm, 2);
  if (nr > 2 && mr > 3)
    store_row (c + 3 * ldc, c3, nv, last, sm, 3);
  if (nr > 4 && mr > 4)
    store_row (c + 4 * ldc, c4, nv, last, sm, 4);
  if (nr > 4 && mr > 5)
    store_row (c + 5 * ldc, c5, nv, last, sm, 5);
}

/* The instances of a kernel template: MAKE (nv, nr, x) for vector counts
 * 1-4, row counts 2, 4, 6 and a flag x (0, 1), and their table
 * [x][ROWS_INDEX (nr)][nv - 1] of the functions PFX##nv##_##nr##_##x. */
#define KERNEL_NV(MAKE, nr, x) MAKE (1, nr, x) MAKE (2, nr, x) \
  MAKE (3, nr, x) MAKE (4, nr, x)
#define KERNEL_ALL(MAKE) KERNEL_NV (MAKE, 2, 0) KERNEL_NV (MAKE, 4, 0) \
  KERNEL_NV (MAKE, 6, 0) KERNEL_NV (MAKE, 2, 1) KERNEL_NV (MAKE, 4, 1) \
  KERNEL_NV (MAKE, 6, 1)
#define KERNEL_ROW(PFX, nr, x) {PFX##1_##nr##_##x, PFX##2_##nr##_##x, \
  PFX##3_##nr##_##x, PFX##4_##nr##_##x}
#define KERNEL_TABLE(PFX) { \
  {KERNEL_ROW (PFX, 2, 0), KERNEL_ROW (PFX, 4, 0), KERNEL_ROW (PFX, 6, 0)}, \
  {KERNEL_ROW (PFX, 2, 1), KERNEL_ROW (PFX, 4, 1), KERNEL_ROW (PFX, 6, 1)} }

/* One instance per vector count, row count and layout of A, so that the
 * loops over nv unroll. */
#define KERNEL_INSTANCE(nv, nr, ta) \
static void \
kernel_##nv##_##nr##_##ta (int64_t kc, const float *a, int64_t lda, \
    const float *bp, float *c, int64_t ldc, int mr, __mmask16 last, \
    const store_mode * sm) \
{ \
  kernel (nv, nr, ta, kc, a, lda, bp, c, ldc, mr, last, sm); \
}
KERNEL_ALL (KERNEL_INSTANCE)
#undef KERNEL_INSTANCE

typedef void (*kernel_fn) (int64_t kc, const float *a, int64_t lda,
    const float *bp, float *c, int64_t ldc, int mr, __mmask16 last,
    const store_mode * sm);

/* [ta][ROWS_INDEX (mr)][nv - 1] */
static const kernel_fn kernels[2][3][4] = KERNEL_TABLE (kernel_);

/* Stores one value of column @c (row @r of the block) like store_row. */
static inline __attribute__((always_inline)) void
store_one (float *c, float acc, const store_mode * sm, int r)
{
  float x = acc * sm->alpha;

  if (!sm->first)
    x += *c;
  else {
    if (sm->beta != 0.0f)
      x += sm->beta * *c;
    if (sm->ep->bias)
      x += sm->ep->bias[sm->row + r];
  }
  if (sm->last && sm->ep->act == DLNN_GEMM_ACT_CLAMP)
    x = x < sm->ep->lo ? sm->ep->lo : x > sm->ep->hi ? sm->ep->hi : x;
  else if (sm->last && sm->ep->act == DLNN_GEMM_ACT_SILU)
    x = x / (1.0f + expf (-x));
  *c = x;
}

/* Panels of nv * 16 + 1 columns (N = 49, the 7x7 maps of every ImageNet
 * model, and 17, 33): the nv full vectors as in kernel (), and the last
 * column as six dot products along k, vectorised over 16 steps of k with
 * A's rows loaded as vectors (their lines are in L1 for the broadcasts
 * anyway) against @bcol (that column of B, contiguous). Instead of a
 * fourth vector with one live lane: 25 % fewer FMAs at N = 49. A not
 * transposed only; B rows at stride ldbp. */
static inline __attribute__((always_inline)) void
kernel_dot (int nv, int64_t kc, const float *restrict a, int64_t lda,
    const float *restrict bp, int64_t ldbp, const float *restrict bcol,
    float *restrict c, int64_t ldc, int mr, const store_mode * sm)
{
  __m512 d0, d1, d2, d3, d4, d5;
  A_ROWS (a, lda, mr);
  int64_t kk = 0;
  ACC_ZERO (3);

  d0 = d1 = d2 = d3 = d4 = d5 = _mm512_setzero_ps ();
#define STEP(u) do { \
      __m512 b_[3]; \
      const int64_t s_ = (u); \
      const float *bu_ = bp + s_ * ldbp; \
      for (int v = 0; v < nv; v++) \
        b_[v] = _mm512_load_ps (bu_ + v * 16); \
      FMA6 (AT, b_, nv); \
    } while (0)
#define AT(r) a##r[s_]
#define DOT(mk) do { \
      __m512 bc_ = _mm512_maskz_loadu_ps (mk, bcol + kk); \
      d0 = _mm512_fmadd_ps (_mm512_maskz_loadu_ps (mk, a0 + kk), bc_, d0); \
      d1 = _mm512_fmadd_ps (_mm512_maskz_loadu_ps (mk, a1 + kk), bc_, d1); \
      d2 = _mm512_fmadd_ps (_mm512_maskz_loadu_ps (mk, a2 + kk), bc_, d2); \
      d3 = _mm512_fmadd_ps (_mm512_maskz_loadu_ps (mk, a3 + kk), bc_, d3); \
      d4 = _mm512_fmadd_ps (_mm512_maskz_loadu_ps (mk, a4 + kk), bc_, d4); \
      d5 = _mm512_fmadd_ps (_mm512_maskz_loadu_ps (mk, a5 + kk), bc_, d5); \
    } while (0)
  for (; kk + 16 <= kc; kk += 16) {
    PREFETCH_NEXT_A (a, lda, kk);
    DOT ((__mmask16) 0xffff);
#pragma GCC unroll 16
    for (int u = 0; u < 16; u++)
      STEP (kk + u);
  }
  if (kk < kc) {
    DOT ((__mmask16) ((1u << (kc - kk)) - 1));
    for (int64_t u = kk; u < kc; u++)
      STEP (u);
  }
#undef STEP
#undef AT
#undef DOT
  store_row (c, c0, nv, 0xffff, sm, 0);
  store_one (c + nv * 16, _mm512_reduce_add_ps (d0), sm, 0);
  if (mr > 1) {
    store_row (c + ldc, c1, nv, 0xffff, sm, 1);
    store_one (c + ldc + nv * 16, _mm512_reduce_add_ps (d1), sm, 1);
  }
  if (mr > 2) {
    store_row (c + 2 * ldc, c2, nv, 0xffff, sm, 2);
    store_one (c + 2 * ldc + nv * 16, _mm512_reduce_add_ps (d2), sm, 2);
  }
  if (mr > 3) {
    store_row (c + 3 * ldc, c3, nv, 0xffff, sm, 3);
    store_one (c + 3 * ldc + nv * 16, _mm512_reduce_add_ps (d3), sm, 3);
  }
  if (mr > 4) {
    store_row (c + 4 * ldc, c4, nv, 0xffff, sm, 4);
    store_one (c + 4 * ldc + nv * 16, _mm512_reduce_add_ps (d4), sm, 4);
  }
  if (mr > 5) {
    store_row (c + 5 * ldc, c5, nv, 0xffff, sm, 5);
    store_one (c + 5 * ldc + nv * 16, _mm512_reduce_add_ps (d5), sm, 5);
  }
}

#define KERNEL_DOT_INSTANCE(nv) \
static void \
kernel_dot_##nv (int64_t kc, const float *a, int64_t lda, const float *bp, \
    int64_t ldbp, const float *bcol, float *c, int64_t ldc, int mr, \
    const store_mode * sm) \
{ \
  kernel_dot (nv, kc, a, lda, bp, ldbp, bcol, c, ldc, mr, sm); \
}
KERNEL_DOT_INSTANCE (1)
KERNEL_DOT_INSTANCE (2)
KERNEL_DOT_INSTANCE (3)
#undef KERNEL_DOT_INSTANCE

typedef void (*kernel_dot_fn) (int64_t kc, const float *a, int64_t lda,
    const float *bp, int64_t ldbp, const float *bcol, float *c,
    int64_t ldc, int mr, const store_mode * sm);

static const kernel_dot_fn kernels_dot[3] = {
  kernel_dot_1, kernel_dot_2, kernel_dot_3
};

/* Work items [begin, end): item = panel * msplit + part; part covers a
 * range of row blocks. */
static void
gemm_job (void *arg, int64_t begin, int64_t end)
{
  const gemm_args *g = arg;
  float bp[KC * NR] __attribute__((aligned (64)));
  float bcol[KC] __attribute__((aligned (64)));
  const int64_t mblocks = (g->m + MR - 1) / MR;

  for (int64_t it = begin; it < end; it++) {
    int64_t jp = it / g->msplit, part = it % g->msplit;
    int64_t j0 = jp * NR, w = g->n - j0 < NR ? g->n - j0 : NR;
    int nv = (int) ((w + 15) / 16);
    int64_t tail = w - (int64_t) (nv - 1) * 16;
    __mmask16 last = tail >= 16 ? 0xffff : (__mmask16) ((1u << tail) - 1);
    int64_t ib0 = mblocks * part / g->msplit;
    int64_t ib1 = mblocks * (part + 1) / g->msplit;
    const kernel_fn *fns = &kernels[g->ta][0][nv - 1];
    store_mode sm = { g->alpha, g->beta, 0, 0, &g->ep, 0 };
    /* one live lane in the last vector: the dot-column kernel */
    kernel_dot_fn fd = !g->ta && tail == 1 && nv >= 2 ? kernels_dot[nv - 2]
        : NULL;

    for (int64_t k0 = 0; k0 < g->k; k0 += KC) {
      int64_t kc = g->k - k0 < KC ? g->k - k0 : KC;
      const int64_t ld = (int64_t) nv * 16;

      g->pack (g->pack_ctx, k0, kc, j0, w, ld, bp);
      sm.first = k0 == 0;
      sm.last = k0 + kc == g->k;
      if (fd) {
        for (int64_t kk = 0; kk < kc; kk++)
          bcol[kk] = bp[kk * ld + w - 1];
        for (int64_t ib = ib0; ib < ib1; ib++) {
          int64_t i0 = ib * MR;
          int mr = (int) (g->m - i0 < MR ? g->m - i0 : MR);
          sm.row = i0;
          fd (kc, g->a + i0 * g->lda + k0, g->lda, bp, ld, bcol,
              g->c + i0 * g->ldc + j0, g->ldc, mr, &sm);
        }
        continue;
      }
      for (int64_t ib = ib0; ib < ib1; ib++) {
        int64_t i0 = ib * MR;
        int mr = (int) (g->m - i0 < MR ? g->m - i0 : MR);
        const float *a = g->ta ? g->a + k0 * g->lda + i0
            : g->a + i0 * g->lda + k0;
        sm.row = i0;
        if (sm.first && j0 + 2 * NR <= g->n)
          /* this block's C in the next panel, for writing: the hardware
           * does not prefetch stores to many rows at once, and with small
           * K the kernel waits for them (mobilenet_v2 features.2 1x1
           * 16 -> 96 on 112x112 in the network: 0.65-0.84 -> 0.29-0.33 ms
           * per node) */
          for (int r = 0; r < mr; r++)
            for (int v = 0; v < NR; v += 16)
              _mm_prefetch ((const char *) (g->c + (i0 + r) * g->ldc + j0
                      + NR + v), _MM_HINT_ET0);
        fns[ROWS_INDEX (mr) * 4] (kc, a, g->lda, bp, g->c + i0 * g->ldc
            + j0, g->ldc, mr, last, &sm);
      }
    }
  }
}

/* ---- B in place through row offsets (dlnn_sgemm_avx512_ind) ---- */

/* Where the vectors of one panel of virtual columns go in C: vector v
 * starts at C column dst[v] and keeps the lanes in keep[v] (the columns
 * of an output row's padding and those past n are dropped). */
typedef struct ind_cols
{
  int64_t dst[4];
  __mmask16 keep[4];
} ind_cols;

/* Stores vector @v of an accumulator row (activation; with SiLU, an
 * instance of its own, the bias too) at C row @c, compacting its kept
 * lanes. By value: an accumulator whose address
 * is taken stays in memory through the k loop. */
static inline __attribute__((always_inline)) void
store_vec_ind (float *restrict c, __m512 x, int v, const ind_cols * ic,
    const dlnn_gemm_epilogue * ep, int silu, float bias)
{
  __mmask16 keep = ic->keep[v];

  if (silu) {
    /* the other kernels start from the bias */
    if (ep->bias)
      x = _mm512_add_ps (x, _mm512_set1_ps (bias));
    x = dlnn_silu_avx512 (x);
  } else if (ep->act == DLNN_GEMM_ACT_CLAMP)
    x = _mm512_min_ps (_mm512_max_ps (x, _mm512_set1_ps (ep->lo)),
        _mm512_set1_ps (ep->hi));
  if (keep == 0xffff)
    _mm512_storeu_ps (c + ic->dst[v], x);
  else if (keep) {
    /* compress in a register (the memory form is slow on AMD) */
    int cnt = __builtin_popcount (keep);
    _mm512_mask_storeu_ps (c + ic->dst[v], (__mmask16) ((1u << cnt) - 1),
        _mm512_maskz_compress_ps (keep, x));
  }
}

/* The 6 x (nv * 16) kernel over all k steps with B(kk, j) at
 * b[off[kk] + j], whole vectors (a masked load in the loop would keep GCC
 * from holding the accumulators in registers). */
static inline __attribute__((always_inline)) void
kernel_ind (int nv, int nr, int silu, int64_t k, const float *restrict a,
    int64_t lda, const float *restrict b, const int64_t * restrict off,
    float *restrict c, int64_t ldc, int mr,
    const ind_cols * ic, const dlnn_gemm_epilogue * ep, int64_t row)
{
  A_ROWS (a, lda, mr);
  /* the accumulators start at the bias (rows >= mr are not stored: any
   * valid row's bias): one add less per vector at the store, which
   * weighs with small K (squeezenet1_1's 64-filter stem, K = 27, 0.242
   * -> 0.223 ms; mobilenet_v2's 0.139 -> 0.130). Not with SiLU, whose
   * epilogue would run out of registers (efficientnet_b0 +2 %). */
  const float *bb = !silu && ep->bias ? ep->bias + row : NULL;
#define BIAS0(r) _mm512_set1_ps (bb ? bb[mr > (r) ? (r) : 0] : 0.0f)
  __m512 c0[4], c1[4], c2[4], c3[4], c4[4], c5[4];
  {
    const __m512 t0 = BIAS0 (0), t1 = BIAS0 (1), t2 = BIAS0 (2),
        t3 = BIAS0 (3), t4 = BIAS0 (4), t5 = BIAS0 (5);
    UNROLL_V
    for (int v = 0; v < 4; v++) {
      c0[v] = t0;
      c1[v] = t1;
      c2[v] = t2;
      c3[v] = t3;
      c4[v] = t4;
      c5[v] = t5;
    }
  }
#undef BIAS0

  for (int64_t kk = 0; kk < k; kk++) {
    const float *bk = b + off[kk];
    __m512 bv[4];
    if ((kk & 15) == 0)
      PREFETCH_NEXT_A (a, lda, kk);
    UNROLL_V
    for (int v = 0; v < nv; v++)
      bv[v] = _mm512_loadu_ps (bk + v * 16);
#define AT(r) a##r[kk]
    FMA_ROWS (AT, bv, nv, nr);
#undef AT
  }
#define STORE(r, acc) \
  if (nr > r && mr > r) \
    UNROLL_V \
    for (int v = 0; v < nv; v++) \
      store_vec_ind (c + r * ldc, acc[v], v, ic, ep, silu, \
          ep->bias ? ep->bias[row + r] : 0.0f);
  STORE (0, c0) STORE (1, c1) STORE (2, c2) STORE (3, c3) STORE (4, c4)
  STORE (5, c5)
#undef STORE
}

#define KERNEL_IND_INSTANCE(nv, nr, silu) \
static void \
kernel_ind_##nv##_##nr##_##silu (int64_t k, const float *a, int64_t lda, \
    const float *b, const int64_t * off, float *c, int64_t ldc, int mr, \
    const ind_cols * ic, const dlnn_gemm_epilogue * ep, int64_t row) \
{ \
  kernel_ind (nv, nr, silu, k, a, lda, b, off, c, ldc, mr, ic, ep, row); \
}
KERNEL_ALL (KERNEL_IND_INSTANCE)
#undef KERNEL_IND_INSTANCE

typedef void (*kernel_ind_fn) (int64_t k, const float *a, int64_t lda,
    const float *b, const int64_t * off, float *c,
    int64_t ldc, int mr, const ind_cols * ic,
    const dlnn_gemm_epilogue * ep, int64_t row);

/* [SiLU][ROWS_INDEX (mr)][nv - 1] */
static const kernel_ind_fn kernels_ind[2][3][4] = KERNEL_TABLE (kernel_ind_);

/* C column of virtual column j. */
static inline int64_t
ind_col (const dlnn_gemm_indirect * ind, int64_t j)
{
  int64_t r = j % ind->row_len;

  return (j / ind->row_len) * ind->row_valid
      + (r < ind->row_valid ? r : ind->row_valid);
}

/* Lanes [a, b) of a 16-lane mask (0 <= a <= 16). */
static inline unsigned
lane_range (int64_t a, int64_t b)
{
  unsigned hi = b >= 16 ? 0xffffu : b > 0 ? (1u << b) - 1 : 0;

  return a >= 16 ? 0 : hi & ~((1u << a) - 1);
}

/* The panel at virtual column @j0: where each of its @nv vectors goes in C
 * and which lanes it keeps, one row segment at a time (a loop over the
 * lanes was a fifth of a K = 27 product, with a division per lane half
 * of it). */
static void
ind_cols_get (const dlnn_gemm_indirect * ind, int64_t n, int64_t j0, int nv,
    ind_cols * ic)
{
  int64_t len = ind->row_len, valid = ind->row_valid;
  int64_t q = j0 / len, r = j0 - q * len;
  int64_t j = j0;

  for (int v = 0; v < nv; v++, j += 16) {
    unsigned keep = 0;

    ic->dst[v] = q * valid + (r < valid ? r : valid);
    /* lane t is column r + t of row q while t < len - r, and so on */
    for (int64_t t = 0, rr = r; t < 16; t += len - rr, rr = 0)
      if (rr < valid)
        keep |= lane_range (t, t + valid - rr);
    if (j + 16 > n)
      keep &= lane_range (0, n - j);
    ic->keep[v] = (__mmask16) keep;
    for (r += 16; r >= len; r -= len)
      q++;
  }
}

static void
ind_job (void *arg, int64_t begin, int64_t end)
{
  const gemm_args *g = arg;
  const int64_t mblocks = (g->m + MR - 1) / MR;

  for (int64_t it = begin; it < end; it++) {
    int64_t jp = it / g->msplit, part = it % g->msplit;
    int64_t j0 = jp * NR, w = g->n - j0 < NR ? g->n - j0 : NR;
    int nv = (int) ((w + 15) / 16);
    int64_t ib0 = mblocks * part / g->msplit;
    int64_t ib1 = mblocks * (part + 1) / g->msplit;
    /* C column of the next panel (prefetched for writing, see gemm_job) */
    int64_t nd = j0 + 2 * NR <= g->n ? ind_col (&g->ind, j0 + NR) : -1;
    ind_cols ic;

    ind_cols_get (&g->ind, g->n, j0, nv, &ic);
    for (int64_t ib = ib0; ib < ib1; ib++) {
      int64_t i0 = ib * MR;
      int mr = (int) (g->m - i0 < MR ? g->m - i0 : MR);
      if (nd >= 0)
        for (int r = 0; r < mr; r++)
          for (int v = 0; v < NR; v += 16)
            _mm_prefetch ((const char *) (g->c + (i0 + r) * g->ldc + nd + v),
                _MM_HINT_ET0);
      kernels_ind[g->ep.act == DLNN_GEMM_ACT_SILU][ROWS_INDEX (mr)][nv - 1]
          (g->k, g->a + i0 * g->lda, g->lda, g->ind.b + j0,
          g->ind.off, g->c + i0 * g->ldc, g->ldc, mr, &ic, &g->ep,
          i0);
    }
  }
}

/* y[i] = alpha * A[i, :] . x + beta * y[i] for rows [0, m): four rows at
 * a time along k (1.3-1.7x OpenBLAS's AVX2 sgemv on the 384x128 to
 * 768x256 recurrent matrices of an RNN step, which sit in L2). The next
 * four rows are prefetched (a classifier's weights come from memory:
 * mobilenet_v2's 1000x1280 Gemm 0.156-0.180 -> 0.143-0.170 ms). */
void
dlnn_sgemv_avx512 (int64_t m, int64_t k, float alpha, const float *a,
    int64_t lda, const float *x, float beta, float *y)
{
  int64_t i = 0;

#define ROWS4(mk, j) do { \
      __m512 xv_ = _mm512_maskz_loadu_ps (mk, x + (j)); \
      _mm_prefetch ((const char *) (a0 + 4 * lda + (j)), _MM_HINT_T0); \
      _mm_prefetch ((const char *) (a0 + 5 * lda + (j)), _MM_HINT_T0); \
      _mm_prefetch ((const char *) (a0 + 6 * lda + (j)), _MM_HINT_T0); \
      _mm_prefetch ((const char *) (a0 + 7 * lda + (j)), _MM_HINT_T0); \
      s0 = _mm512_fmadd_ps (_mm512_maskz_loadu_ps (mk, a0 + (j)), xv_, s0); \
      s1 = _mm512_fmadd_ps (_mm512_maskz_loadu_ps (mk, a1 + (j)), xv_, s1); \
      s2 = _mm512_fmadd_ps (_mm512_maskz_loadu_ps (mk, a2 + (j)), xv_, s2); \
      s3 = _mm512_fmadd_ps (_mm512_maskz_loadu_ps (mk, a3 + (j)), xv_, s3); \
    } while (0)
  for (; i < m; i += 4) {
    const float *a0 = a + i * lda, *a1 = i + 1 < m ? a0 + lda : a0;
    const float *a2 = i + 2 < m ? a0 + 2 * lda : a0;
    const float *a3 = i + 3 < m ? a0 + 3 * lda : a0;
    __m512 s0 = _mm512_setzero_ps (), s1 = s0, s2 = s0, s3 = s0;
    float r[4];
    int64_t j = 0;

    for (; j + 16 <= k; j += 16)
      ROWS4 ((__mmask16) 0xffff, j);
    if (j < k)
      ROWS4 ((__mmask16) ((1u << (k - j)) - 1), j);
    r[0] = _mm512_reduce_add_ps (s0);
    r[1] = _mm512_reduce_add_ps (s1);
    r[2] = _mm512_reduce_add_ps (s2);
    r[3] = _mm512_reduce_add_ps (s3);
    for (int q = 0; q < 4 && i + q < m; q++)
      y[i + q] = alpha * r[q] + (beta == 0.0f ? 0.0f : beta * y[i + q]);
  }
#undef ROWS4
}

#pragma GCC pop_options

/* Runs @job over the work items of @npanels column panels: with few
 * panels the row blocks are split too, into the fewest parts (*msplit,
 * set before the job runs) that give every thread the same number of
 * items (each part packs its panels of B again). One thread below 2
 * MFLOP. */
static void
run_items (int64_t npanels, int64_t mblocks, double flops, int threads,
    int64_t * msplit, dlnn_par_fn job, void *arg)
{
  int64_t items;

  *msplit = 1;
  if (threads > 1 && npanels < 4 * threads)
    while (*msplit < mblocks && *msplit < threads
        && (npanels * *msplit) % threads)
      (*msplit)++;
  items = npanels * *msplit;
  if (threads > 1 && flops >= 2e6)
    dlnn_parallel_for (items, 1, job, arg);
  else
    job (arg, 0, items);
}

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
dlnn_sgemm_avx512_ex (int trans_a, int64_t m, int64_t n, int64_t k,
    float alpha, const float *a, int64_t lda, dlnn_gemm_pack_fn pack,
    const void *pack_ctx, float beta, float *c, int64_t ldc,
    const dlnn_gemm_epilogue * ep, int threads)
{
  static const dlnn_gemm_epilogue none = { NULL, DLNN_GEMM_ACT_NONE, 0, 0 };
  gemm_args g;

  if (m <= 0 || n <= 0)
    return;
  if (!ep)
    ep = &none;
  if (k <= 0 || alpha == 0.0f) {
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++) {
        float x = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
        if (ep->bias)
          x += ep->bias[i];
        if (ep->act == DLNN_GEMM_ACT_CLAMP)
          x = x < ep->lo ? ep->lo : x > ep->hi ? ep->hi : x;
        else if (ep->act == DLNN_GEMM_ACT_SILU)
          x = x / (1.0f + expf (-x));
        c[i * ldc + j] = x;
      }
    return;
  }
  gemm_args_init (&g, m, n, k, a, lda, c, ldc, ep);
  g.ta = trans_a != 0;
  g.alpha = alpha;
  g.beta = beta;
  g.pack = pack;
  g.pack_ctx = pack_ctx;
  run_items (g.npanels, (m + MR - 1) / MR, 2.0 * m * (double) n * k,
      threads, &g.msplit, gemm_job, &g);
}

void
dlnn_sgemm_avx512_ind (int64_t m, int64_t n, int64_t k, const float *a,
    int64_t lda, const dlnn_gemm_indirect * ind, float *c, int64_t ldc,
    const dlnn_gemm_epilogue * ep, int threads)
{
  static const dlnn_gemm_epilogue none = { NULL, DLNN_GEMM_ACT_NONE, 0, 0 };
  gemm_args g;

  if (m <= 0 || n <= 0 || k <= 0)
    return;
  gemm_args_init (&g, m, n, k, a, lda, c, ldc, ep ? ep : &none);
  g.ind = *ind;
  run_items (g.npanels, (m + MR - 1) / MR, 2.0 * m * (double) n * k,
      threads, &g.msplit, ind_job, &g);
}

void
dlnn_sgemm_avx512_ep (int trans_a, int trans_b, int64_t m, int64_t n,
    int64_t k, float alpha, const float *a, int64_t lda, const float *b,
    int64_t ldb, float beta, float *c, int64_t ldc,
    const dlnn_gemm_epilogue * ep, int threads)
{
  matrix_b mb = { trans_b != 0, b, ldb };

  dlnn_sgemm_avx512_ex (trans_a, m, n, k, alpha, a, lda, pack_matrix_b, &mb,
      beta, c, ldc, ep, threads);
}

void
dlnn_sgemm_avx512 (int trans_a, int trans_b, int64_t m, int64_t n,
    int64_t k, float alpha, const float *a, int64_t lda, const float *b,
    int64_t ldb, float beta, float *c, int64_t ldc, int threads)
{
  dlnn_sgemm_avx512_ep (trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb,
      beta, c, ldc, NULL, threads);
}

#else

/* Not x86-64: never usable; the others are never called (unused
 * parameters are not warned about in this project). */

int
dlnn_sgemm_avx512_usable (void)
{
  return 0;
}

void
dlnn_sgemv_avx512 (int64_t m, int64_t k, float alpha, const float *a,
    int64_t lda, const float *x, float beta, float *y)
{
}

void
dlnn_sgemm_avx512 (int trans_a, int trans_b, int64_t m, int64_t n,
    int64_t k, float alpha, const float *a, int64_t lda, const float *b,
    int64_t ldb, float beta, float *c, int64_t ldc, int threads)
{
}

void
dlnn_sgemm_avx512_ep (int trans_a, int trans_b, int64_t m, int64_t n,
    int64_t k, float alpha, const float *a, int64_t lda, const float *b,
    int64_t ldb, float beta, float *c, int64_t ldc,
    const dlnn_gemm_epilogue * ep, int threads)
{
  dlnn_sgemm_avx512 (trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta,
      c, ldc, threads);
}

void
dlnn_sgemm_avx512_ex (int trans_a, int64_t m, int64_t n, int64_t k,
    float alpha, const float *a, int64_t lda, dlnn_gemm_pack_fn pack,
    const void *pack_ctx, float beta, float *c, int64_t ldc,
    const dlnn_gemm_epilogue * ep, int threads)
{
}

void
dlnn_sgemm_avx512_ind (int64_t m, int64_t n, int64_t k, const float *a,
    int64_t lda, const dlnn_gemm_indirect * ind, float *c, int64_t ldc,
    const dlnn_gemm_epilogue * ep, int threads)
{
}

#endif
