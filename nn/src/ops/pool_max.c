/* libdlnn - value-only MaxPool kernels for inference: square 2x2 and 3x3
 * windows with stride 2 (resnet, squeezenet, shufflenet, VGG-style nets).
 *
 * Each output row takes its kernel rows from the input, a row that falls
 * in the padding being replaced by a neighbouring valid row of the same
 * window (max is idempotent, so the result does not change). Columns whose
 * window lies inside the input run a fixed tap loop with no bounds; the
 * few border columns use the generic clipped loop.
 *
 * Taps are taken column by column (kw outer, kh inner) with
 * "m = tap > m ? tap : m" from the first tap, as pool.c's max_argmax
 * does: a NaN first tap gives NaN, other NaNs are skipped, and of equal
 * maxima (+0 and -0) the first in that order wins.
 *
 * With AVX-512 the inner columns go 16 outputs at a time, vertical first:
 * the column maxima of the kernel rows over 32 (+1) consecutive input
 * columns, then their even / odd (and shifted even) columns gathered in
 * registers (vpermt2ps). vmaxps (tap, m) is the scalar step lane by lane,
 * NaNs included (it returns its second operand when either is NaN), so a
 * window's first column, folded from its first row, and its other
 * columns, folded from -inf (which skips a NaN first row as the scalar
 * loop does past the first tap), give the same bits as the scalar loop,
 * with a third of the shuffles of gathering every row's taps. */
#include "fused_act.h"
#include "pool.h"

#include <math.h>

#ifdef DLNN_X86_SIMD
#include <immintrin.h>
#endif

/* Max of window (oy, ox), taps clipped to the input; 0 if empty. Same
 * taps, order and comparison as pool.c's max_argmax. */
static float
max_value_clipped (const float *xp, const dlnn_win2d * g, int64_t oy,
    int64_t ox)
{
  int64_t hs = oy * g->sh - g->pt, ws = ox * g->sw - g->pl;
  int64_t klo, khi, jlo, jhi;
  float best = 0.0f;
  int any = 0;

  dlnn_window_taps (hs, g->kh, g->dh, g->ih, &klo, &khi);
  dlnn_window_taps (ws, g->kw, g->dw, g->iw, &jlo, &jhi);
  for (int64_t kj = jlo; kj < jhi; kj++)
    for (int64_t ki = klo; ki < khi; ki++) {
      float v = xp[(hs + ki * g->dh) * g->iw + ws + kj * g->dw];
      if (!any || v > best) {
        best = v;
        any = 1;
      }
    }
  return best;
}

#define TAKE(v) m = (v) > m ? (v) : m

static void
row_3x3s2 (float *restrict yr, const float *r0, const float *r1,
    const float *r2, int64_t pl, int64_t lo, int64_t hi)
{
  for (int64_t ox = lo; ox < hi; ox++) {
    int64_t j = 2 * ox - pl;
    float m = r0[j];
    TAKE (r1[j]);
    TAKE (r2[j]);
    TAKE (r0[j + 1]);
    TAKE (r1[j + 1]);
    TAKE (r2[j + 1]);
    TAKE (r0[j + 2]);
    TAKE (r1[j + 2]);
    TAKE (r2[j + 2]);
    yr[ox] = m;
  }
}

static void
row_2x2s2 (float *restrict yr, const float *r0, const float *r1, int64_t pl,
    int64_t lo, int64_t hi)
{
  for (int64_t ox = lo; ox < hi; ox++) {
    int64_t j = 2 * ox - pl;
    float m = r0[j];
    TAKE (r1[j]);
    TAKE (r0[j + 1]);
    TAKE (r1[j + 1]);
    yr[ox] = m;
  }
}

#undef TAKE

/* Output row @oy, except its inner columns [lo, hi): the whole row with
 * the clipped loop when no kernel row or no inner column is valid
 * (returns 0), else its border columns, and its @k kernel rows in @r, a
 * row in the padding replaced by a valid one of the same window (returns
 * 1: the caller does [lo, hi) from @r). */
static inline int
row_begin (const dlnn_win2d * g, const float *xp, float *yr, int64_t k,
    int64_t oy, int64_t lo, int64_t hi, const float **r)
{
  int64_t hs = oy * 2 - g->pt, klo, khi;

  dlnn_window_taps (hs, k, 1, g->ih, &klo, &khi);
  if (khi <= klo || lo == hi) {
    for (int64_t ox = 0; ox < g->ow; ox++)
      yr[ox] = max_value_clipped (xp, g, oy, ox);
    return 0;
  }
  for (int64_t t = 0; t < k; t++) {
    int64_t kt = t < klo ? klo : t >= khi ? khi - 1 : t;
    r[t] = xp + (hs + kt) * g->iw;
  }
  for (int64_t ox = 0; ox < lo; ox++)
    yr[ox] = max_value_clipped (xp, g, oy, ox);
  for (int64_t ox = hi; ox < g->ow; ox++)
    yr[ox] = max_value_clipped (xp, g, oy, ox);
  return 1;
}

#ifdef DLNN_X86_SIMD
/* The first @n floats of @p (a whole vector when n >= 16), zeros after. */
DLNN_TARGET_AVX512 static inline __m512
load_n (const float *p, int64_t n)
{
  if (n >= 16)
    return _mm512_loadu_ps (p);
  return _mm512_maskz_loadu_ps ((__mmask16) ((1u << (n > 0 ? n : 0)) - 1),
      p);
}

/* Column maxima of @k rows at column @j (@n floats exist): @first folded
 * from the first row (a window's first column), @rest from -inf (its
 * other columns). */
DLNN_TARGET_AVX512 static inline __attribute__((always_inline)) void
column_max (const float *const *r, int k, int64_t j, int64_t n,
    __m512 * first, __m512 * rest)
{
  __m512 x = load_n (r[0] + j, n);
  __m512 f = x, o = _mm512_max_ps (x, _mm512_set1_ps (-INFINITY));

  for (int t = 1; t < k; t++) {
    x = load_n (r[t] + j, n);
    f = _mm512_max_ps (x, f);
    o = _mm512_max_ps (x, o);
  }
  *first = f;
  *rest = o;
}

/* Outputs [lo, hi) of a row of a k x k, stride-2 window (k = 2 or 3, a
 * constant in each instance) whose windows lie inside the rows @r. */
DLNN_TARGET_AVX512 static inline __attribute__((always_inline)) void
row_s2_avx512 (float *restrict yr, const float *const *r, int k,
    int64_t pl, int64_t lo, int64_t hi)
{
  const __m512i ie = _mm512_setr_epi32 (0, 2, 4, 6, 8, 10, 12, 14, 16, 18,
      20, 22, 24, 26, 28, 30);
  const __m512i io = _mm512_setr_epi32 (1, 3, 5, 7, 9, 11, 13, 15, 17, 19,
      21, 23, 25, 27, 29, 31);
  /* columns 2t + 2; lane 15 (column 32) comes from the next vector */
  const __m512i i2 = _mm512_setr_epi32 (2, 4, 6, 8, 10, 12, 14, 16, 18, 20,
      22, 24, 26, 28, 30, 0);

  for (int64_t ox = lo; ox < hi; ox += 16) {
    int64_t cnt = hi - ox < 16 ? hi - ox : 16;
    int64_t j = 2 * ox - pl, need = 2 * cnt + k - 2;
    __m512 fa, ra, fb, rb, m;

    column_max (r, k, j, need, &fa, &ra);
    column_max (r, k, j + 16, need - 16, &fb, &rb);
    m = _mm512_max_ps (_mm512_permutex2var_ps (ra, io, rb),
        _mm512_permutex2var_ps (fa, ie, fb));
    if (k == 3) {
      __m512 third = _mm512_permutex2var_ps (ra, i2, rb);
      if (need > 32) {
        __m512 fc, rc;
        column_max (r, k, j + 32, 1, &fc, &rc);
        third = _mm512_mask_broadcastss_ps (third, (__mmask16) 0x8000,
            _mm512_castps512_ps128 (rc));
      }
      m = _mm512_max_ps (third, m);
    }
    _mm512_mask_storeu_ps (yr + ox, (__mmask16) ((1u << cnt) - 1), m);
  }
}

/* The whole plane for k = 2 or 3 (a constant in each instance). */
DLNN_TARGET_AVX512 static inline __attribute__((always_inline)) void
plane_s2_avx512 (const dlnn_win2d * g, const float *xp, float *yp, int k,
    int64_t lo, int64_t hi)
{
  for (int64_t oy = 0; oy < g->oh; oy++) {
    float *yr = yp + oy * g->ow;
    const float *r[3];

    if (row_begin (g, xp, yr, k, oy, lo, hi, r))
      row_s2_avx512 (yr, r, k, g->pl, lo, hi);
  }
}

/* One call per plane, not per row: squeezenet1_1's pools have rows of
 * 55, 27 and 13 outputs. */
DLNN_TARGET_AVX512 static void
plane_3x3s2_avx512 (const dlnn_win2d * g, const float *xp, float *yp,
    int64_t lo, int64_t hi)
{
  plane_s2_avx512 (g, xp, yp, 3, lo, hi);
}

DLNN_TARGET_AVX512 static void
plane_2x2s2_avx512 (const dlnn_win2d * g, const float *xp, float *yp,
    int64_t lo, int64_t hi)
{
  plane_s2_avx512 (g, xp, yp, 2, lo, hi);
}
#endif

int
dlnn_maxpool_plane_values (const dlnn_win2d * g, const float *xp, float *yp)
{
  int64_t k = g->kh, lo, hi;

  if (g->kh != g->kw || (k != 2 && k != 3) || g->sh != 2 || g->sw != 2
      || g->dh != 1 || g->dw != 1)
    return 0;
  /* output columns whose window is inside [0, iw) */
  lo = (g->pl + 1) / 2;
  hi = g->iw + g->pl - k < 0 ? 0 : (g->iw + g->pl - k) / 2 + 1;
  lo = lo < g->ow ? lo : g->ow;
  hi = hi < g->ow ? hi : g->ow;
  hi = hi > lo ? hi : lo;

#ifdef DLNN_X86_SIMD
  if (dlnn_simd_level () == DLNN_SIMD_AVX512) {
    if (k == 3)
      plane_3x3s2_avx512 (g, xp, yp, lo, hi);
    else
      plane_2x2s2_avx512 (g, xp, yp, lo, hi);
    return 1;
  }
#endif
  for (int64_t oy = 0; oy < g->oh; oy++) {
    float *yr = yp + oy * g->ow;
    const float *r[3];

    if (!row_begin (g, xp, yr, k, oy, lo, hi, r))
      continue;
    if (k == 3)
      row_3x3s2 (yr, r[0], r[1], r[2], g->pl, lo, hi);
    else
      row_2x2s2 (yr, r[0], r[1], g->pl, lo, hi);
  }
  return 1;
}
