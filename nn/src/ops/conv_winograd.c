/* libdlnn - Winograd F(2x2, 3x3) convolution for 3x3, stride 1,
 * dilation 1, group 1 convolutions at inference.
 *
 * With the 4x4 input tile d of every 2x2 output tile, V = B^T d B,
 * the filter g transformed once into U = G g G^T, and M = U . V summed
 * over input channels, the output tile is A^T M A. The channel sum of each
 * of the 16 tile positions is one GEMM: M_k (M x P) = U_k (M x C) *
 * V_k (C x P) over the P tiles of a chunk of images, so the convolution
 * costs 16 * M * C * P multiply-adds instead of 36 * M * C * P.
 *
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
 *   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
 *   A^T = [1 1 1 0; 0 1 -1 -1]
 *
 * Workspace of a chunk of nb images, T = tiles per image, P = nb * T:
 * V (16 x C x P), then a region used first for the zero-padded input
 * (nb x C x PH x PW, PH = 2 * tiles_h + 2) and then for M (16 x M x P). */
#include "conv-private.h"
#include "parallel.h"

#define WINO_MIN_CHANNELS 16

int
dlnn_conv_winograd_eligible (const conv_geom * g)
{
  const dlnn_win2d *q = &g->w;

  return q->kh == 3 && q->kw == 3 && q->sh == 1 && q->sw == 1 && q->dh == 1
      && q->dw == 1 && g->group == 1 && g->c >= WINO_MIN_CHANNELS
      && g->m >= WINO_MIN_CHANNELS && q->oh > 0 && q->ow > 0 && g->n > 0;
}

/* Floats of workspace for one image, and its parts. */
static void
wino_sizes (const conv_geom * g, int64_t * th, int64_t * tw, int64_t * ph,
    int64_t * pw)
{
  *th = (g->w.oh + 1) / 2;
  *tw = (g->w.ow + 1) / 2;
  *ph = 2 * *th + 2;
  *pw = 2 * *tw + 2;
}

static size_t
wino_ws (const conv_geom * g, int64_t nb)
{
  int64_t th, tw, ph, pw, p, pad, mo;

  wino_sizes (g, &th, &tw, &ph, &pw);
  p = nb * th * tw;
  pad = nb * g->c * ph * pw;
  mo = 16 * g->m * p;
  return (size_t) (16 * g->c * p + (pad > mo ? pad : mo));
}

int64_t
dlnn_conv_winograd_chunk (const conv_geom * g, size_t cap_floats)
{
  size_t one = wino_ws (g, 1);
  int64_t nb = one ? (int64_t) (cap_floats / one) : 1;

  if (nb > g->n)
    nb = g->n;
  return nb < 1 ? 1 : nb;
}

size_t
dlnn_conv_winograd_workspace (const conv_geom * g, int64_t nb)
{
  return wino_ws (g, nb);
}

void
dlnn_conv_winograd_filter (const float *w, int64_t m, int64_t c, float *u)
{
  const int64_t mc = m * c;

  for (int64_t i = 0; i < mc; i++) {
    const float *k = w + i * 9;
    float t[4][3];              /* G g */

    for (int j = 0; j < 3; j++) {
      float g0 = k[j], g1 = k[3 + j], g2 = k[6 + j];
      t[0][j] = g0;
      t[1][j] = 0.5f * (g0 + g1 + g2);
      t[2][j] = 0.5f * (g0 - g1 + g2);
      t[3][j] = g2;
    }
    for (int r = 0; r < 4; r++) {
      float g0 = t[r][0], g1 = t[r][1], g2 = t[r][2];
      u[(r * 4 + 0) * mc + i] = g0;
      u[(r * 4 + 1) * mc + i] = 0.5f * (g0 + g1 + g2);
      u[(r * 4 + 2) * mc + i] = 0.5f * (g0 - g1 + g2);
      u[(r * 4 + 3) * mc + i] = g2;
    }
  }
}

typedef struct wino_job
{
  const conv_geom *g;
  int64_t nbc, th, tw, ph, pw, p;
  const float *x, *b;
  float *v, *pad, *mo, *y;
} wino_job;

/* Zero-padded copy and input transform of planes [begin, end) of
 * (image, channel). Padded rows are stored de-interleaved (the even
 * columns, then the odd ones: tw + 1 each), so that the transform of the
 * tiles of a row reads and writes consecutive floats and vectorises. */
static void
wino_input_job (void *arg, int64_t begin, int64_t end)
{
  const wino_job *j = arg;
  const conv_geom *g = j->g;
  const dlnn_win2d *q = &g->w;
  const int64_t ph = j->ph, pw = j->pw, tw = j->tw, t = j->th * j->tw;
  const int64_t cp = g->c * j->p, hw = tw + 1;

  for (int64_t pl = begin; pl < end; pl++) {
    int64_t bi = pl / g->c, ci = pl % g->c;
    const float *xp = j->x + pl * g->hw;
    float *restrict pp = j->pad + pl * ph * pw;
    float *restrict v = j->v + ci * j->p + bi * t;

    for (int64_t r = 0; r < ph; r++) {
      int64_t iy = r - q->pt;
      float *restrict ev = pp + r * pw, *restrict od = ev + hw;
      const float *xr = xp + iy * q->iw;

      memset (ev, 0, (size_t) pw * sizeof (float));
      if (iy < 0 || iy >= q->ih)
        continue;
      /* padded column x = input column x - pl */
      for (int64_t ix = 0; ix < q->iw; ix++) {
        int64_t x = ix + q->pl;
        if (x & 1)
          od[x >> 1] = xr[ix];
        else
          ev[x >> 1] = xr[ix];
      }
    }

    for (int64_t ty = 0; ty < j->th; ty++) {
      const float *r0 = pp + 2 * ty * pw, *r1 = r0 + pw, *r2 = r1 + pw;
      const float *r3 = r2 + pw;
      float *restrict vt = v + ty * tw;

      for (int i = 0; i < 4; i++) {
        /* row i of B^T d: d0 - d2, d1 + d2, d2 - d1, d1 - d3 */
        const float *pa = i == 0 ? r0 : r1, *pb = i == 3 ? r3 : r2;
        float sa = i == 2 ? -1.0f : 1.0f, sb = i == 1 ? 1.0f : -1.0f;
        float *restrict v0 = vt + (4 * i) * cp, *restrict v1 = v0 + cp;
        float *restrict v2 = v1 + cp, *restrict v3 = v2 + cp;
        const float *ae = pa, *ao = pa + hw, *be = pb, *bo = pb + hw;

        if (i == 2) {           /* d2 - d1 */
          ae = r2;
          ao = r2 + hw;
          be = r1;
          bo = r1 + hw;
          sa = 1.0f;
          sb = -1.0f;
        }
        for (int64_t tx = 0; tx < tw; tx++) {
          float e0 = sa * ae[tx] + sb * be[tx];
          float e2 = sa * ae[tx + 1] + sb * be[tx + 1];
          float o1 = sa * ao[tx] + sb * bo[tx];
          float o3 = sa * ao[tx + 1] + sb * bo[tx + 1];
          v0[tx] = e0 - e2;
          v1[tx] = o1 + e2;
          v2[tx] = e2 - o1;
          v3[tx] = o1 - o3;
        }
      }
    }
  }
}

/* Output transform (+ bias) of planes [begin, end) of (image, filter). */
static void
wino_output_job (void *arg, int64_t begin, int64_t end)
{
  const wino_job *j = arg;
  const conv_geom *g = j->g;
  const int64_t oh = g->w.oh, ow = g->w.ow, tw = j->tw, t = j->th * j->tw;
  const int64_t mp = g->m * j->p, full = ow / 2;

  for (int64_t pl = begin; pl < end; pl++) {
    int64_t bi = pl / g->m, mi = pl % g->m;
    const float *mo = j->mo + mi * j->p + bi * t;
    float *yp = j->y + pl * g->ohw;
    float bv = j->b ? j->b[mi] : 0.0f;

    for (int64_t ty = 0; ty < j->th; ty++) {
      const float *a0 = mo + ty * tw, *a1 = a0 + mp, *a2 = a1 + mp;
      const float *a3 = a2 + mp, *a4 = a3 + mp, *a5 = a4 + mp;
      const float *a6 = a5 + mp, *a7 = a6 + mp, *a8 = a7 + mp;
      const float *a9 = a8 + mp, *a10 = a9 + mp, *a11 = a10 + mp;
      const float *a12 = a11 + mp, *a13 = a12 + mp, *a14 = a13 + mp;
      const float *a15 = a14 + mp;
      float *restrict y0 = yp + 2 * ty * ow;
      float *restrict y1 = 2 * ty + 1 < oh ? y0 + ow : NULL;

      for (int64_t tx = 0; tx < tw; tx++) {
        /* s = A^T m (2 x 4), then o = s A */
        float s00 = a0[tx] + a4[tx] + a8[tx];
        float s01 = a1[tx] + a5[tx] + a9[tx];
        float s02 = a2[tx] + a6[tx] + a10[tx];
        float s03 = a3[tx] + a7[tx] + a11[tx];
        float s10 = a4[tx] - a8[tx] - a12[tx];
        float s11 = a5[tx] - a9[tx] - a13[tx];
        float s12 = a6[tx] - a10[tx] - a14[tx];
        float s13 = a7[tx] - a11[tx] - a15[tx];

        if (tx < full) {
          y0[2 * tx] = s00 + s01 + s02 + bv;
          y0[2 * tx + 1] = s01 - s02 - s03 + bv;
          if (y1) {
            y1[2 * tx] = s10 + s11 + s12 + bv;
            y1[2 * tx + 1] = s11 - s12 - s13 + bv;
          }
        } else {
          y0[2 * tx] = s00 + s01 + s02 + bv;
          if (y1)
            y1[2 * tx] = s10 + s11 + s12 + bv;
        }
      }
    }
  }
}

void
dlnn_conv_winograd_forward (const conv_geom * g, int64_t nb,
    const float *x, const float *u, const float *b, float *y, float *ws)
{
  wino_job j;

  memset (&j, 0, sizeof (j));
  j.g = g;
  j.b = b;
  wino_sizes (g, &j.th, &j.tw, &j.ph, &j.pw);
  for (int64_t n0 = 0; n0 < g->n; n0 += nb) {
    int64_t nbc = g->n - n0 < nb ? g->n - n0 : nb;
    int64_t t = j.th * j.tw;

    j.nbc = nbc;
    j.p = nbc * t;
    j.x = x + n0 * g->c * g->hw;
    j.y = y + n0 * g->m * g->ohw;
    j.v = ws;
    j.pad = ws + 16 * g->c * j.p;
    j.mo = j.pad;
    dlnn_parallel_for (nbc * g->c, DLNN_PAR_WORK / (j.ph * j.pw * 5 + 1) + 1,
        wino_input_job, &j);
    for (int k = 0; k < 16; k++)
      dlnn_sgemm (0, 0, (int) g->m, (int) j.p, (int) g->c, 1.0f,
          u + k * g->m * g->c, (int) g->c, j.v + k * g->c * j.p, (int) j.p,
          0.0f, j.mo + k * g->m * j.p, (int) j.p);
    dlnn_parallel_for (nbc * g->m, DLNN_PAR_WORK / (t * 20 + 1) + 1,
        wino_output_job, &j);
  }
}
