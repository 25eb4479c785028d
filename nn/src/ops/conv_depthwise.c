/* libdlnn - fast depthwise forward: 3x3 and 5x5 kernels, stride 1 or 2,
 * dilation 1 (MobileNet, ShuffleNet, EfficientNet). Each input plane is
 * first copied with its zero padding into the workspace, so the output
 * loop has no bounds checks; with the kernel size and stride known at
 * compile time the taps are unrolled and the loop over output columns
 * vectorises. The bias is added in the same pass. */
#include "conv-private.h"
#include "parallel.h"

static int64_t
padded_h (const dlnn_win2d * q)
{
  return (q->oh - 1) * q->sh + q->kh;
}

static int64_t
padded_w (const dlnn_win2d * q)
{
  return (q->ow - 1) * q->sw + q->kw;
}

int
dlnn_conv_depthwise_fast_eligible (const conv_geom * g)
{
  const dlnn_win2d *q = &g->w;

  return g->depthwise && q->kh == q->kw && (q->kh == 3 || q->kh == 5)
      && q->sh == q->sw && (q->sh == 1 || q->sh == 2) && q->dh == 1
      && q->dw == 1 && q->oh > 0 && q->ow > 0;
}

size_t
dlnn_conv_depthwise_fast_workspace (const conv_geom * g)
{
  return (size_t) (g->n * g->c * padded_h (&g->w) * padded_w (&g->w));
}

/* Zero-padded copy of planes [begin, end) of (image, input channel). The
 * padded plane covers exactly the rows and columns the windows read
 * (pads past that are never read, pads larger than the kernel give
 * zero rows). */
static void
pad_job (void *arg, int64_t begin, int64_t end)
{
  const conv_job *j = arg;
  const dlnn_win2d *q = &j->g->w;
  const int64_t ph = padded_h (q), pw = padded_w (q);

  for (int64_t pl = begin; pl < end; pl++) {
    const float *xp = j->x + pl * j->g->hw;
    float *pp = j->dx + pl * ph * pw;

    for (int64_t r = 0; r < ph; r++) {
      int64_t iy = r - q->pt, lo = q->pl, hi = q->pl + q->iw;
      float *row = pp + r * pw;

      if (hi > pw)
        hi = pw;
      if (iy < 0 || iy >= q->ih || lo >= hi) {
        memset (row, 0, (size_t) pw * sizeof (float));
        continue;
      }
      memset (row, 0, (size_t) lo * sizeof (float));
      memcpy (row + lo, xp + iy * q->iw, (size_t) (hi - lo) * sizeof (float));
      memset (row + hi, 0, (size_t) (pw - hi) * sizeof (float));
    }
  }
}

/* One output plane; K and S are constants at each call site. */
static inline void
dw_plane (const float *restrict xp, int64_t pw, const float *restrict wk,
    float bias, float *restrict y, int64_t oh, int64_t ow, const int K,
    const int S)
{
  for (int64_t oy = 0; oy < oh; oy++) {
    const float *base = xp + oy * S * pw;
    float *yr = y + oy * ow;

    for (int64_t ox = 0; ox < ow; ox++) {
      float acc = bias;
      for (int ki = 0; ki < K; ki++)
        for (int kj = 0; kj < K; kj++)
          acc += wk[ki * K + kj] * base[ki * pw + ox * S + kj];
      yr[ox] = acc;
    }
  }
}

static void
dw_job (void *arg, int64_t begin, int64_t end)
{
  const conv_job *j = arg;
  const conv_geom *g = j->g;
  const dlnn_win2d *q = &g->w;
  const int64_t ph = padded_h (q), pw = padded_w (q), kk = q->kh * q->kw;

  for (int64_t pl = begin; pl < end; pl++) {
    int64_t ni = pl / g->m, mi = pl % g->m;
    const float *xp = j->dx + (ni * g->c + mi / g->mg) * ph * pw;
    const float *wk = j->w + mi * kk;
    float *y = j->y + pl * g->ohw, bv = j->b ? j->b[mi] : 0.0f;

    if (q->kh == 3 && q->sh == 1)
      dw_plane (xp, pw, wk, bv, y, q->oh, q->ow, 3, 1);
    else if (q->kh == 3)
      dw_plane (xp, pw, wk, bv, y, q->oh, q->ow, 3, 2);
    else if (q->sh == 1)
      dw_plane (xp, pw, wk, bv, y, q->oh, q->ow, 5, 1);
    else
      dw_plane (xp, pw, wk, bv, y, q->oh, q->ow, 5, 2);
  }
}

void
dlnn_conv_depthwise_fast_forward (const conv_geom * g, const float *x,
    const float *w, const float *b, float *y, float *ws)
{
  conv_job j;
  int64_t ppl = padded_h (&g->w) * padded_w (&g->w);

  memset (&j, 0, sizeof (j));
  j.g = g;
  j.x = x;
  j.w = w;
  j.b = b;
  j.y = y;
  j.dx = ws;                    /* the padded planes */
  dlnn_parallel_for (g->n * g->c, DLNN_PAR_WORK / (ppl + 1) + 1, pad_job, &j);
  dlnn_parallel_for (g->n * g->m, DLNN_PAR_WORK / (g->ohw * g->w.kh
          * g->w.kw + 1) + 1, dw_job, &j);
}
