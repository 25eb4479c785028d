/* libdlnn - Conv kernels: im2col/col2im, the direct depthwise
 * convolution and the bias loops, split over threads (parallel.h). */
#include "conv-private.h"
#include "parallel.h"

/* Rows [r0, r1) of the im2col matrix of one image: row (ci, ki, kj) holds
 * the input samples under tap (ki, kj) of channel ci for every output
 * position; row stride ldcol. */
static void
im2col_rows (const float *restrict x, const dlnn_win2d * g,
    float *restrict col, int64_t ldcol, int64_t r0, int64_t r1)
{
  const int64_t ih = g->ih, iw = g->iw, oh = g->oh, ow = g->ow;
  const int64_t kk = g->kh * g->kw;

  for (int64_t r = r0; r < r1; r++) {
    int64_t ci = r / kk, ki = (r % kk) / g->kw, kj = r % g->kw;
    const float *xc = x + ci * ih * iw;
    float *row = col + r * ldcol;
    int64_t ix0 = kj * g->dw - g->pl, lo, hi;

    dlnn_window_taps (ix0, ow, g->sw, iw, &lo, &hi);
    for (int64_t oy = 0; oy < oh; oy++) {
      int64_t iy = oy * g->sh - g->pt + ki * g->dh;
      float *dst = row + oy * ow;
      const float *xr;

      if (iy < 0 || iy >= ih || lo >= hi) {
        memset (dst, 0, (size_t) ow * sizeof (float));
        continue;
      }
      xr = xc + iy * iw;
      for (int64_t ox = 0; ox < lo; ox++)
        dst[ox] = 0.0f;
      if (g->sw == 1) {
        const float *src = xr + ix0;
        for (int64_t ox = lo; ox < hi; ox++)
          dst[ox] = src[ox];
      } else
        for (int64_t ox = lo; ox < hi; ox++)
          dst[ox] = xr[ox * g->sw + ix0];
      for (int64_t ox = hi; ox < ow; ox++)
        dst[ox] = 0.0f;
    }
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* d[i] = x[2 i] for i < n, reading no float past x[2 (n - 1)]. Only called
 * from dlnn_conv_pack_b, which runs with the AVX-512 GEMM. */
__attribute__((target ("avx512f"))) static void
gather_stride2 (float *restrict d, const float *restrict x, int64_t n)
{
  const __m512i even = _mm512_setr_epi32 (0, 2, 4, 6, 8, 10, 12, 14, 16, 18,
      20, 22, 24, 26, 28, 30);
  int64_t i = 0;

  for (; i + 16 <= n; i += 16) {
    /* x[2 i .. 2 i + 30] are needed; x[2 i + 31] may be past the end */
    __m512 lo = _mm512_loadu_ps (x + 2 * i);
    __m512 hi = _mm512_maskz_loadu_ps (i + 16 < n ? 0xffff : 0x7fff,
        x + 2 * i + 16);
    _mm512_storeu_ps (d + i, _mm512_permutex2var_ps (lo, even, hi));
  }
  for (; i < n; i++)
    d[i] = x[2 * i];
}
#define HAVE_GATHER_STRIDE2 1
#endif

void
dlnn_conv_pack_b (const void *ctx, int64_t k0, int64_t kc, int64_t j0,
    int64_t w, int64_t ld, float *restrict bp)
{
  const conv_pack *p = ctx;
  const dlnn_win2d *g = &p->g->w;
  const int64_t ih = g->ih, iw = g->iw, ow = g->ow, sw = g->sw;
  const int64_t kk = g->kh * g->kw;
  /* the panel's columns as runs along output rows: run s covers output
   * row sy[s], columns [sx0[s], sx1[s]) at panel offset so[s] */
  int64_t sy[65], sx0[65], sx1[65], so[65];
  int ns = 0;
  int64_t ci, ki, kj;

  for (int64_t j = j0, oy = j0 / ow, ox = j0 % ow; j < j0 + w; ns++) {
    int64_t e = ow - ox < j0 + w - j ? ow : ox + j0 + w - j;
    sy[ns] = oy;
    sx0[ns] = ox;
    sx1[ns] = e;
    so[ns] = j - j0;
    j += e - ox;
    oy++;
    ox = 0;
  }
  ci = k0 / kk;
  ki = (k0 % kk) / g->kw;
  kj = k0 % g->kw;
  for (int64_t r = 0; r < kc; r++) {
    const float *xc = p->x + ci * ih * iw;
    float *restrict dst = bp + r * ld;
    int64_t ix0 = kj * g->dw - g->pl, lo, hi;

    dlnn_window_taps (ix0, ow, sw, iw, &lo, &hi);
    for (int s = 0; s < ns; s++) {
      int64_t ox0 = sx0[s], ox1 = sx1[s];
      int64_t iy = sy[s] * g->sh - g->pt + ki * g->dh;
      int64_t base = so[s] - ox0;      /* dst[base + ox]: column of ox */

      if (iy < 0 || iy >= ih || lo >= hi) {
        for (int64_t ox = ox0; ox < ox1; ox++)
          dst[base + ox] = 0.0f;
      } else {
        const float *xr = xc + iy * iw + ix0;
        int64_t a = ox0 > lo ? ox0 : lo, b = ox1 < hi ? ox1 : hi;
        int64_t ox = ox0;
        for (; ox < a && ox < ox1; ox++)
          dst[base + ox] = 0.0f;
        if (sw == 1)
          for (; ox < b; ox++)
            dst[base + ox] = xr[ox];
        else {
#ifdef HAVE_GATHER_STRIDE2
          if (sw == 2 && b > ox) {
            gather_stride2 (dst + base + ox, xr + 2 * ox, b - ox);
            ox = b;
          }
#endif
          for (; ox < b; ox++)
            dst[base + ox] = xr[ox * sw];
        }
        for (; ox < ox1; ox++)
          dst[base + ox] = 0.0f;
      }
    }
    for (int64_t jj = w; jj < ld; jj++)
      dst[jj] = 0.0f;
    /* next row of the im2col matrix: (ci, ki, kj) in order */
    if (++kj == g->kw) {
      kj = 0;
      if (++ki == g->kh) {
        ki = 0;
        ci++;
      }
    }
  }
}

/* dx[ci] += col2im (col) for channels [c0, c1) of one image. */
static void
col2im_channels (const float *restrict col, int64_t ldcol,
    const dlnn_win2d * g, float *restrict dx, int64_t c0, int64_t c1)
{
  const int64_t ih = g->ih, iw = g->iw, oh = g->oh, ow = g->ow;

  for (int64_t ci = c0; ci < c1; ci++) {
    float *dc = dx + ci * ih * iw;
    for (int64_t ki = 0; ki < g->kh; ki++) {
      for (int64_t kj = 0; kj < g->kw; kj++) {
        const float *row = col + ((ci * g->kh + ki) * g->kw + kj) * ldcol;
        int64_t ix0 = kj * g->dw - g->pl, lo, hi;

        dlnn_window_taps (ix0, ow, g->sw, iw, &lo, &hi);
        if (lo >= hi)
          continue;
        for (int64_t oy = 0; oy < oh; oy++) {
          int64_t iy = oy * g->sh - g->pt + ki * g->dh;
          const float *src = row + oy * ow;
          float *dr;

          if (iy < 0 || iy >= ih)
            continue;
          dr = dc + iy * iw;
          if (g->sw == 1) {
            float *d = dr + ix0;
            for (int64_t ox = lo; ox < hi; ox++)
              d[ox] += src[ox];
          } else {
            for (int64_t ox = lo; ox < hi; ox++)
              dr[ox * g->sw + ix0] += src[ox];
          }
        }
      }
    }
  }
}

/* Parallel im2col / col2im over a chunk of images. */
typedef struct chunk_job
{
  const conv_geom *g;
  const float *x;               /* first image of the chunk */
  float *col;
  int64_t ldcol;
  float *dx;                    /* col2im target (first image) */
} chunk_job;

static void
im2col_job (void *arg, int64_t begin, int64_t end)
{
  const chunk_job *j = arg;
  const conv_geom *g = j->g;

  /* items are (image, row) pairs */
  while (begin < end) {
    int64_t bi = begin / g->krows, r0 = begin % g->krows;
    int64_t r1 = g->krows - r0 < end - begin ? g->krows : r0 + end - begin;
    im2col_rows (j->x + bi * g->c * g->hw, &g->w, j->col + bi * g->ohw,
        j->ldcol, r0, r1);
    begin += r1 - r0;
  }
}

static void
col2im_job (void *arg, int64_t begin, int64_t end)
{
  const chunk_job *j = arg;
  const conv_geom *g = j->g;

  /* items are (image, channel) pairs */
  while (begin < end) {
    int64_t bi = begin / g->c, c0 = begin % g->c;
    int64_t c1 = g->c - c0 < end - begin ? g->c : c0 + end - begin;
    col2im_channels (j->col + bi * g->ohw, j->ldcol, &g->w,
        j->dx + bi * g->c * g->hw, c0, c1);
    begin += c1 - c0;
  }
}

void
dlnn_conv_im2col_chunk (const conv_geom * g, const float *x, int64_t nbc, float *col,
    int64_t ldcol)
{
  chunk_job j = { g, x, col, ldcol, NULL };
  /* grain: about 16k floats written per part */
  int64_t grain = DLNN_PAR_WORK / (g->ohw ? g->ohw : 1) + 1;
  dlnn_parallel_for (nbc * g->krows, grain, im2col_job, &j);
}

void
dlnn_conv_col2im_chunk (const conv_geom * g, const float *col, int64_t nbc,
    int64_t ldcol, float *dx)
{
  chunk_job j = { g, NULL, (float *) col, ldcol, dx };
  int64_t grain = DLNN_PAR_WORK / (g->ohw * g->w.kh * g->w.kw + 1) + 1;
  dlnn_parallel_for (nbc * g->c, grain, col2im_job, &j);
}

/* Direct depthwise kernel: output channel mi reads input channel
 * mi / mult. Planes [p0, p1) of (image, output channel). */
static void
depthwise_forward_planes (const conv_geom * g, const float *x,
    const float *w, float *y, int64_t p0, int64_t p1)
{
  const dlnn_win2d *q = &g->w;
  const int64_t mult = g->mg, kk = q->kh * q->kw;

  for (int64_t pl = p0; pl < p1; pl++) {
    int64_t ni = pl / g->m, mi = pl % g->m;
    const float *xp = x + (ni * g->c + mi / mult) * g->hw;
    const float *wp = w + mi * kk;
    float *yp = y + (ni * g->m + mi) * g->ohw;

    for (int64_t oy = 0; oy < q->oh; oy++) {
      float *yr = yp + oy * q->ow;
      for (int64_t ox = 0; ox < q->ow; ox++)
        yr[ox] = 0.0f;
      for (int64_t ki = 0; ki < q->kh; ki++) {
        int64_t iy = oy * q->sh - q->pt + ki * q->dh;
        const float *xr;
        if (iy < 0 || iy >= q->ih)
          continue;
        xr = xp + iy * q->iw;
        for (int64_t kj = 0; kj < q->kw; kj++) {
          int64_t ix0 = kj * q->dw - q->pl, lo, hi;
          float wv = wp[ki * q->kw + kj];
          dlnn_window_taps (ix0, q->ow, q->sw, q->iw, &lo, &hi);
          if (q->sw == 1) {
            const float *xs = xr + ix0;
            for (int64_t ox = lo; ox < hi; ox++)
              yr[ox] += wv * xs[ox];
          } else {
            for (int64_t ox = lo; ox < hi; ox++)
              yr[ox] += wv * xr[ox * q->sw + ix0];
          }
        }
      }
    }
  }
}

/* Backward for input channels [c0, c1): each owns dx[., c] and the dW rows
 * of its output channels, so ranges never write the same memory. */
static void
depthwise_backward_channels (const conv_geom * g, const float *x,
    const float *w, const float *dy, float *dx, float *dw, int64_t c0,
    int64_t c1)
{
  const dlnn_win2d *q = &g->w;
  const int64_t mult = g->mg, kk = q->kh * q->kw;

  for (int64_t ci = c0; ci < c1; ci++)
    for (int64_t ni = 0; ni < g->n; ni++)
      for (int64_t mi = ci * mult; mi < (ci + 1) * mult; mi++) {
        int64_t xoff = (ni * g->c + ci) * g->hw;
        const float *xp = x + xoff;
        float *dxp = dx ? dx + xoff : NULL;
        const float *wp = w + mi * kk;
        float *dwp = dw ? dw + mi * kk : NULL;
        const float *dyp = dy + (ni * g->m + mi) * g->ohw;

        for (int64_t oy = 0; oy < q->oh; oy++) {
          const float *dyr = dyp + oy * q->ow;
          for (int64_t ki = 0; ki < q->kh; ki++) {
            int64_t iy = oy * q->sh - q->pt + ki * q->dh;
            if (iy < 0 || iy >= q->ih)
              continue;
            for (int64_t kj = 0; kj < q->kw; kj++) {
              int64_t ix0 = kj * q->dw - q->pl, lo, hi;
              dlnn_window_taps (ix0, q->ow, q->sw, q->iw, &lo, &hi);
              if (dwp) {
                const float *xr = xp + iy * q->iw;
                float acc = 0.0f;
                for (int64_t ox = lo; ox < hi; ox++)
                  acc += dyr[ox] * xr[ox * q->sw + ix0];
                dwp[ki * q->kw + kj] += acc;
              }
              if (dxp) {
                float *dxr = dxp + iy * q->iw;
                float wv = wp[ki * q->kw + kj];
                for (int64_t ox = lo; ox < hi; ox++)
                  dxr[ox * q->sw + ix0] += wv * dyr[ox];
              }
            }
          }
        }
      }
}



static void
dw_forward_job (void *arg, int64_t begin, int64_t end)
{
  const conv_job *j = arg;
  depthwise_forward_planes (j->g, j->x, j->w, j->y, begin, end);
}

static void
dw_backward_job (void *arg, int64_t begin, int64_t end)
{
  const conv_job *j = arg;
  depthwise_backward_channels (j->g, j->x, j->w, j->dy, j->dx, j->dw, begin,
      end);
}

/* y[n, m, :] += b[m] for planes [begin, end) */
static void
bias_job (void *arg, int64_t begin, int64_t end)
{
  const conv_job *j = arg;
  for (int64_t pl = begin; pl < end; pl++) {
    float bv = j->b[pl % j->g->m];
    float *yp = j->y + pl * j->g->ohw;
    for (int64_t p = 0; p < j->g->ohw; p++)
      yp[p] += bv;
  }
}

/* db[m] += sum of dy[:, m, :] for channels [begin, end) */
static void
bias_grad_job (void *arg, int64_t begin, int64_t end)
{
  const conv_job *j = arg;
  const conv_geom *g = j->g;
  for (int64_t mi = begin; mi < end; mi++) {
    double acc = 0.0;
    for (int64_t ni = 0; ni < g->n; ni++) {
      acc += dlnn_sum (j->dy + (ni * g->m + mi) * g->ohw, g->ohw);
    }
    j->db[mi] += (float) acc;
  }
}

void
dlnn_conv_depthwise_forward (const conv_job * j)
{
  const conv_geom *g = j->g;
  dlnn_parallel_for (g->n * g->m, DLNN_PAR_WORK / (g->ohw * g->w.kh * g->w.kw + 1)
      + 1, dw_forward_job, (void *) j);
}

void
dlnn_conv_depthwise_backward (const conv_job * j)
{
  const conv_geom *g = j->g;
  dlnn_parallel_for (g->c, DLNN_PAR_WORK / (g->n * g->mg * g->ohw * g->w.kh *
          g->w.kw + 1) + 1, dw_backward_job, (void *) j);
}

void
dlnn_conv_bias_forward (const conv_job * j)
{
  const conv_geom *g = j->g;
  dlnn_parallel_for (g->n * g->m, DLNN_PAR_WORK / (g->ohw + 1) + 1, bias_job,
      (void *) j);
}

void
dlnn_conv_bias_backward (const conv_job * j)
{
  const conv_geom *g = j->g;
  dlnn_parallel_for (g->m, DLNN_PAR_WORK / (g->n * g->ohw + 1) + 1, bias_grad_job,
      (void *) j);
}
