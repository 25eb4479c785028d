/* libdlnn - value-only MaxPool kernels for inference: square 2x2 and 3x3
 * windows with stride 2 (resnet, squeezenet, shufflenet, VGG-style nets).
 *
 * Each output row takes its kernel rows from the input, a row that falls
 * in the padding being replaced by a neighbouring valid row of the same
 * window (max is idempotent, so the result does not change). Columns whose
 * window lies inside the input run a fixed tap loop with no bounds; the
 * few border columns use the generic clipped loop. */
#include "pool.h"

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
    if (k == 3)
      row_3x3s2 (yr, r[0], r[1], r[2], g->pl, lo, hi);
    else
      row_2x2s2 (yr, r[0], r[1], g->pl, lo, hi);
    for (int64_t ox = hi; ox < g->ow; ox++)
      yr[ox] = max_value_clipped (xp, g, oy, ox);
  }
  return 1;
}
