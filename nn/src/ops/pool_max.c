/* libdlnn - value-only MaxPool kernels for inference: square 2x2 and 3x3
 * windows with stride 2 (resnet, squeezenet, shufflenet, VGG-style nets).
 *
 * Each output row takes its kernel rows from the input, a row that falls
 * in the padding being replaced by a neighbouring valid row of the same
 * window (max is idempotent, so the result does not change). Columns whose
 * window lies inside the input run a fixed tap loop with no bounds; the
 * few border columns use the generic clipped loop.
 *
 * With AVX-512 the inner columns go 16 outputs at a time: each kernel row
 * is loaded as 32 consecutive floats and its even / odd (and shifted
 * even) columns are gathered in registers (vpermt2ps). The taps are taken
 * in the scalar loop's order with max (tap, m), which is the scalar
 * "tap > m ? tap : m" lane by lane, NaNs included (vmaxps returns its
 * second operand when either is NaN), so both give the same bits. */
#include "fused_act.h"
#include "pool.h"

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
  for (int64_t ki = klo; ki < khi; ki++) {
    const float *xr = xp + (hs + ki * g->dh) * g->iw + ws;
    for (int64_t kj = jlo; kj < jhi; kj++) {
      float v = xr[kj * g->dw];
      if (!any || v > best) {
        best = v;
        any = 1;
      }
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
    TAKE (r0[j + 1]);
    TAKE (r0[j + 2]);
    TAKE (r1[j]);
    TAKE (r1[j + 1]);
    TAKE (r1[j + 2]);
    TAKE (r2[j]);
    TAKE (r2[j + 1]);
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
    TAKE (r0[j + 1]);
    TAKE (r1[j]);
    TAKE (r1[j + 1]);
    yr[ox] = m;
  }
}

#undef TAKE

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

/* Columns 2t and 2t + 1 (t < 16) of the 32 floats from @p, of which the
 * first @n exist. */
DLNN_TARGET_AVX512 static inline void
even_odd (const float *p, int64_t n, __m512 * ev, __m512 * od)
{
  const __m512i ie = _mm512_setr_epi32 (0, 2, 4, 6, 8, 10, 12, 14, 16, 18,
      20, 22, 24, 26, 28, 30);
  const __m512i io = _mm512_setr_epi32 (1, 3, 5, 7, 9, 11, 13, 15, 17, 19,
      21, 23, 25, 27, 29, 31);
  __m512 a = load_n (p, n), b = load_n (p + 16, n - 16);

  *ev = _mm512_permutex2var_ps (a, ie, b);
  *od = _mm512_permutex2var_ps (a, io, b);
}

/* Outputs [lo, hi) of a row of a k x k, stride-2 window (k = 2 or 3)
 * whose windows lie inside the rows @r. */
DLNN_TARGET_AVX512 static void
row_s2_avx512 (float *restrict yr, const float *const *r, int k,
    int64_t pl, int64_t lo, int64_t hi)
{
  for (int64_t ox = lo; ox < hi; ox += 16) {
    int64_t cnt = hi - ox < 16 ? hi - ox : 16;
    int64_t j = 2 * ox - pl, need = 2 * cnt + k - 2;
    __m512 m = _mm512_setzero_ps ();

    for (int t = 0; t < k; t++) {
      __m512 ev, od, ev2, unused;
      even_odd (r[t] + j, need, &ev, &od);
      m = t == 0 ? ev : _mm512_max_ps (ev, m);
      m = _mm512_max_ps (od, m);
      if (k == 3) {
        even_odd (r[t] + j + 2, need - 2, &ev2, &unused);
        m = _mm512_max_ps (ev2, m);
      }
    }
    _mm512_mask_storeu_ps (yr + ox, (__mmask16) ((1u << cnt) - 1), m);
  }
}
#endif

int
dlnn_maxpool_plane_values (const dlnn_win2d * g, const float *xp, float *yp)
{
  int64_t k = g->kh, lo, hi;
#ifdef DLNN_X86_SIMD
  int avx512 = dlnn_simd_level () == DLNN_SIMD_AVX512;
#endif

  if (g->kh != g->kw || (k != 2 && k != 3) || g->sh != 2 || g->sw != 2
      || g->dh != 1 || g->dw != 1)
    return 0;
  /* output columns whose window is inside [0, iw) */
  lo = (g->pl + 1) / 2;
  hi = g->iw + g->pl - k < 0 ? 0 : (g->iw + g->pl - k) / 2 + 1;
  lo = lo < g->ow ? lo : g->ow;
  hi = hi < g->ow ? hi : g->ow;
  hi = hi > lo ? hi : lo;

  for (int64_t oy = 0; oy < g->oh; oy++) {
    int64_t hs = oy * 2 - g->pt, klo, khi;
    float *yr = yp + oy * g->ow;
    const float *r[3];

    dlnn_window_taps (hs, k, 1, g->ih, &klo, &khi);
    if (khi <= klo || lo == hi) {
      for (int64_t ox = 0; ox < g->ow; ox++)
        yr[ox] = max_value_clipped (xp, g, oy, ox);
      continue;
    }
    for (int64_t t = 0; t < k; t++) {
      int64_t kt = t < klo ? klo : t >= khi ? khi - 1 : t;
      r[t] = xp + (hs + kt) * g->iw;
    }
    for (int64_t ox = 0; ox < lo; ox++)
      yr[ox] = max_value_clipped (xp, g, oy, ox);
#ifdef DLNN_X86_SIMD
    if (avx512)
      row_s2_avx512 (yr, r, (int) k, g->pl, lo, hi);
    else
#endif
    if (k == 3)
      row_3x3s2 (yr, r[0], r[1], r[2], g->pl, lo, hi);
    else
      row_2x2s2 (yr, r[0], r[1], g->pl, lo, hi);
    for (int64_t ox = hi; ox < g->ow; ox++)
      yr[ox] = max_value_clipped (xp, g, oy, ox);
  }
  return 1;
}
