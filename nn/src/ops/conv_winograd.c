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
 * Whole-chunk mode, workspace of a chunk of nb images, T = tiles per
 * image, P = nb * T: V (16 x C x P), then a region used first for the
 * zero-padded input (nb x C x PH x PW, PH = 2 * tiles_h + 2) and then for
 * M (16 x M x P). Blocked mode (many tiles, few channels): the padded
 * input, then per thread V and M of one block of 64 tiles (16 x C x 64
 * and 16 x M x 64), which stay in L2; each thread takes whole blocks
 * through the input transform, the 16 GEMMs and the output transform. */
#include "conv-private.h"
#include "parallel.h"
#include "dlnn/exec.h"

#define WINO_MIN_CHANNELS 16

/* Tiles per block in blocked mode, and the largest per-part buffers
 * (floats) it is used with (see dlnn_conv_winograd_forward). */
#define WINO_BLOCK_TILES 64
#define WINO_BLOCK_MAX_FLOATS (160 * 1024)

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

static int64_t wino_part_floats (const conv_geom * g);

/* The whole-chunk mode's V and padded input / M, or the blocked mode's
 * padded input and per-thread buffers, whichever is larger. */
static size_t
wino_ws (const conv_geom * g, int64_t nb)
{
  int64_t th, tw, ph, pw, p, pad, mo, whole, blocked;

  wino_sizes (g, &th, &tw, &ph, &pw);
  p = nb * th * tw;
  pad = nb * g->c * ph * pw;
  mo = 16 * g->m * p;
  whole = 16 * g->c * p + (pad > mo ? pad : mo);
  blocked = wino_part_floats (g) <= WINO_BLOCK_MAX_FLOATS
      ? pad + dlnn_get_threads () * wino_part_floats (g) : 0;
  return (size_t) (whole > blocked ? whole : blocked);
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
  int64_t nbc, th, tw, ph, pw, p, t;
  const float *x, *b, *u;
  float *v, *pad, *mo, *y;
  /* blocked mode: tiles per block, blocks, floats of one part's buffers */
  int64_t tb, nblocks, part_floats;
  float *parts;
  int next_part;                /* next free part buffer (atomic) */
} wino_job;

/* Zero-padded copy of plane @pl = (image, channel) into @pp. Padded rows
 * are stored de-interleaved (the even columns, then the odd ones: tw + 1
 * each), so that the transform of the tiles of a row reads and writes
 * consecutive floats and vectorises. */
static void
wino_pad_plane (const wino_job * j, int64_t pl, float *restrict pp)
{
  const conv_geom *g = j->g;
  const dlnn_win2d *q = &g->w;
  const int64_t pw = j->pw, hw = j->tw + 1;
  const float *xp = j->x + pl * g->hw;

  for (int64_t r = 0; r < j->ph; r++) {
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
}

/* Input transform of tiles (ty, tx) for tx in [tx0, tx1) of padded plane
 * @pp: component c (0..15) of tile tx goes to v[c * cs + tx - tx0]. */
static void
wino_input_tiles (const wino_job * j, const float *pp, int64_t ty,
    int64_t tx0, int64_t tx1, float *restrict v, int64_t cs)
{
  const int64_t pw = j->pw, hw = j->tw + 1;
  const float *r0 = pp + 2 * ty * pw, *r1 = r0 + pw, *r2 = r1 + pw;
  const float *r3 = r2 + pw;
  const int64_t n = tx1 - tx0;

  for (int i = 0; i < 4; i++) {
    /* row i of B^T d: d0 - d2, d1 + d2, d2 - d1, d1 - d3 */
    const float *pa = i == 0 ? r0 : r1, *pb = i == 3 ? r3 : r2;
    float sa = i == 2 ? -1.0f : 1.0f, sb = i == 1 ? 1.0f : -1.0f;
    float *restrict v0 = v + (4 * i) * cs, *restrict v1 = v0 + cs;
    float *restrict v2 = v1 + cs, *restrict v3 = v2 + cs;
    const float *ae = pa + tx0, *ao = pa + hw + tx0, *be = pb + tx0;
    const float *bo = pb + hw + tx0;

    if (i == 2) {               /* d2 - d1 */
      ae = r2 + tx0;
      ao = r2 + hw + tx0;
      be = r1 + tx0;
      bo = r1 + hw + tx0;
      sa = 1.0f;
      sb = -1.0f;
    }
    for (int64_t tx = 0; tx < n; tx++) {
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

/* Output transform (+ bias bv) of tiles (ty, tx), tx in [tx0, tx1), into
 * output plane @yp: component c of tile tx is mo[c * cs + tx - tx0]. */
static void
wino_output_tiles (const wino_job * j, const float *mo, int64_t cs,
    int64_t ty, int64_t tx0, int64_t tx1, float *yp, float bv)
{
  const int64_t oh = j->g->w.oh, ow = j->g->w.ow, full = ow / 2;
  const float *a0 = mo, *a1 = a0 + cs, *a2 = a1 + cs, *a3 = a2 + cs;
  const float *a4 = a3 + cs, *a5 = a4 + cs, *a6 = a5 + cs, *a7 = a6 + cs;
  const float *a8 = a7 + cs, *a9 = a8 + cs, *a10 = a9 + cs;
  const float *a11 = a10 + cs, *a12 = a11 + cs, *a13 = a12 + cs;
  const float *a14 = a13 + cs, *a15 = a14 + cs;
  float *restrict y0 = yp + 2 * ty * ow;
  float *restrict y1 = 2 * ty + 1 < oh ? y0 + ow : NULL;

  for (int64_t tx = tx0; tx < tx1; tx++) {
    int64_t q = tx - tx0;
    /* s = A^T m (2 x 4), then o = s A */
    float s00 = a0[q] + a4[q] + a8[q];
    float s01 = a1[q] + a5[q] + a9[q];
    float s02 = a2[q] + a6[q] + a10[q];
    float s03 = a3[q] + a7[q] + a11[q];
    float s10 = a4[q] - a8[q] - a12[q];
    float s11 = a5[q] - a9[q] - a13[q];
    float s12 = a6[q] - a10[q] - a14[q];
    float s13 = a7[q] - a11[q] - a15[q];

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

/* Whole-chunk mode: padded copy and input transform of planes [begin,
 * end) of (image, channel) into V (16 x C x P). */
static void
wino_input_job (void *arg, int64_t begin, int64_t end)
{
  const wino_job *j = arg;
  const conv_geom *g = j->g;
  const int64_t cp = g->c * j->p;

  for (int64_t pl = begin; pl < end; pl++) {
    int64_t bi = pl / g->c, ci = pl % g->c;
    float *pp = j->pad + pl * j->ph * j->pw;

    wino_pad_plane (j, pl, pp);
    for (int64_t ty = 0; ty < j->th; ty++)
      wino_input_tiles (j, pp, ty, 0, j->tw,
          j->v + ci * j->p + bi * j->t + ty * j->tw, cp);
  }
}

/* Whole-chunk mode: output transform (+ bias) of planes [begin, end) of
 * (image, filter) from M (16 x M x P). */
static void
wino_output_job (void *arg, int64_t begin, int64_t end)
{
  const wino_job *j = arg;
  const conv_geom *g = j->g;
  const int64_t mp = g->m * j->p;

  for (int64_t pl = begin; pl < end; pl++) {
    int64_t bi = pl / g->m, mi = pl % g->m;
    const float *mo = j->mo + mi * j->p + bi * j->t;
    float bv = j->b ? j->b[mi] : 0.0f;

    for (int64_t ty = 0; ty < j->th; ty++)
      wino_output_tiles (j, mo + ty * j->tw, mp, ty, 0, j->tw,
          j->y + pl * g->ohw, bv);
  }
}

/* Blocked mode: padded copies of planes [begin, end). */
static void
wino_pad_job (void *arg, int64_t begin, int64_t end)
{
  const wino_job *j = arg;

  for (int64_t pl = begin; pl < end; pl++)
    wino_pad_plane (j, pl, j->pad + pl * j->ph * j->pw);
}

/* Blocked mode: blocks [begin, end) of tiles, each through its input
 * transform (16 x C x tb), the 16 GEMMs and the output transform with
 * buffers of this part that stay in L2, instead of whole-chunk V and M
 * that go through L3. begin identifies the part's buffers. */
static void
wino_block_job (void *arg, int64_t begin, int64_t end)
{
  wino_job *j = arg;
  const conv_geom *g = j->g;
  const int64_t tb = j->tb, c = g->c, m = g->m;
  /* one buffer per call: at most dlnn_get_threads () calls at a time */
  int part = __atomic_fetch_add (&j->next_part, 1, __ATOMIC_RELAXED);
  float *vb = j->parts + (int64_t) part * j->part_floats;
  float *mb = vb + 16 * c * tb;

  for (int64_t blk = begin; blk < end; blk++) {
    int64_t t0 = blk * tb, t1 = t0 + tb < j->p ? t0 + tb : j->p;
    int64_t nt = t1 - t0;

    for (int64_t ci = 0; ci < c; ci++)
      for (int64_t t = t0; t < t1;) {
        int64_t bi = t / j->t, r = t % j->t, ty = r / j->tw, tx = r % j->tw;
        int64_t e = tx + (t1 - t) < j->tw ? tx + (t1 - t) : j->tw;
        wino_input_tiles (j, j->pad + (bi * c + ci) * j->ph * j->pw, ty, tx,
            e, vb + ci * tb + (t - t0), c * tb);
        t += e - tx;
      }
    for (int k = 0; k < 16; k++)
      dlnn_sgemm (0, 0, (int) m, (int) nt, (int) c, 1.0f, j->u + k * m * c,
          (int) c, vb + k * c * tb, (int) tb, 0.0f, mb + k * m * tb,
          (int) tb);
    for (int64_t mi = 0; mi < m; mi++) {
      float bv = j->b ? j->b[mi] : 0.0f;
      for (int64_t t = t0; t < t1;) {
        int64_t bi = t / j->t, r = t % j->t, ty = r / j->tw, tx = r % j->tw;
        int64_t e = tx + (t1 - t) < j->tw ? tx + (t1 - t) : j->tw;
        wino_output_tiles (j, mb + mi * tb + (t - t0), m * tb, ty, tx, e,
            j->y + (bi * m + mi) * g->ohw, bv);
        t += e - tx;
      }
    }
  }
}


/* Floats of the blocked mode's per-part buffers. */
static int64_t
wino_part_floats (const conv_geom * g)
{
  return 16 * WINO_BLOCK_TILES * (g->c + g->m);
}

int
dlnn_conv_winograd_splits_gemms (const conv_geom * g, int64_t nb,
    int threads)
{
  int64_t th, tw, ph, pw;

  wino_sizes (g, &th, &tw, &ph, &pw);
  return threads > 1
      && (nb * th * tw + WINO_BLOCK_TILES - 1) / WINO_BLOCK_TILES
      < 2 * threads;
}

void
dlnn_conv_winograd_forward (const conv_geom * g, int64_t nb,
    const float *x, const float *u, const float *b, float *y, float *ws,
    size_t ws_floats)
{
  wino_job j;
  int threads = dlnn_par_threads ();

  memset (&j, 0, sizeof (j));
  j.g = g;
  j.b = b;
  j.u = u;
  wino_sizes (g, &j.th, &j.tw, &j.ph, &j.pw);
  j.t = j.th * j.tw;
  for (int64_t n0 = 0; n0 < g->n; n0 += nb) {
    int64_t nbc = g->n - n0 < nb ? g->n - n0 : nb;
    size_t pad = (size_t) (nbc * g->c * j.ph * j.pw);

    j.nbc = nbc;
    j.p = nbc * j.t;
    j.x = x + n0 * g->c * g->hw;
    j.y = y + n0 * g->m * g->ohw;
    j.tb = WINO_BLOCK_TILES;
    j.nblocks = (j.p + j.tb - 1) / j.tb;
    j.part_floats = wino_part_floats (g);
    /* blocked when there are enough blocks for every thread (a single
     * block is the whole-chunk mode with the GEMMs split over threads)
     * and a part's buffers stay in L2 (resnet18's 64-channel layer1, 56x56:
     * 1.04-1.24 -> 0.99-1.04 ms per conv; its 128-channel layer2, whose
     * buffers are 1 MB: 0.77 -> 0.92 ms, so not there) */
    if (j.nblocks >= 2 * threads && j.part_floats <= WINO_BLOCK_MAX_FLOATS
        && pad + (size_t) (threads * j.part_floats) <= ws_floats) {
      j.pad = ws;
      j.parts = ws + pad;
      j.next_part = 0;
      dlnn_parallel_for (nbc * g->c, DLNN_PAR_WORK / (j.ph * j.pw + 1) + 1,
          wino_pad_job, &j);
      if (threads > 1)
        dlnn_parallel_for (j.nblocks, 1, wino_block_job, &j);
      else
        wino_block_job (&j, 0, j.nblocks);
      continue;
    }
    j.v = ws;
    j.pad = ws + 16 * g->c * j.p;
    j.mo = j.pad;
    dlnn_parallel_for (nbc * g->c, DLNN_PAR_WORK / (j.ph * j.pw * 5 + 1) + 1,
        wino_input_job, &j);
    for (int k = 0; k < 16; k++)
      dlnn_sgemm (0, 0, (int) g->m, (int) j.p, (int) g->c, 1.0f,
          u + k * g->m * g->c, (int) g->c, j.v + k * g->c * j.p, (int) j.p,
          0.0f, j.mo + k * g->m * j.p, (int) j.p);
    dlnn_parallel_for (nbc * g->m, DLNN_PAR_WORK / (j.t * 20 + 1) + 1,
        wino_output_job, &j);
  }
}
