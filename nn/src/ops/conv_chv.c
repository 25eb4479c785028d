/* libdlnn - direct convolution with the output channels in the vector
 * ("channel-vector"), AVX-512, at inference.
 *
 * conv_own.c's direct path hands dlnn_sgemm_avx512_ind its B in place:
 * planes of the padded, stride-phase split input in which tap k of
 * output (oh, ow) is planes[off[k] + oh * wq + ow]. That kernel puts 16
 * output columns in a vector, so each B load sits at whatever float
 * offset the tap gives, the last vector of every row is partial and the
 * wq - ow padding columns are computed too. This kernel puts 16 output
 * channels in a vector instead, as ONNX Runtime's NCHWc kernels do: per
 * tap, two aligned vectors of 32 filters' weights (packed once per node,
 * K x 32 floats per block of 32 filters) times up to 14 broadcast input
 * values (consecutive pixels of one output row, any offset, nothing
 * partial), in 28 accumulators. The tile is transposed in registers
 * (16 x 16 per vector) to store each channel's pixels into the NCHW
 * output, with the bias and a clamp (ReLU, Clip) applied as
 * dlnn_sgemm_avx512_ind applies them. With a fused MaxPool (fold.c) the
 * tiles go untransposed into per-band rings of conv rows, which are
 * pooled there and only the pooled pixels transposed.
 *
 * Where it runs and why (per-node measurements): dlnn_conv_chv_chosen,
 * and conv.c's hand-over from Winograd at more than one thread. */
#include "conv-private.h"
#include "fused_act.h"
#include "parallel.h"
#include "sgemm.h"

#ifdef DLNN_X86_SIMD
#include <immintrin.h>
#pragma GCC push_options
#pragma GCC target("avx512f")
#include "simd_transpose.h"
#pragma GCC pop_options
#endif

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

/* pixels per tile, at most 16 (one transpose) */
#define CHV_PX 14
/* packed weights (floats) up to which the rows go in the outer loop */
#define CHV_ROW_ORDER_FLOATS 131072

int64_t
dlnn_conv_chv_packed_floats (int64_t m, int64_t k)
{
  return k * ((m + 31) & ~(int64_t) 31);
}

void
dlnn_conv_chv_pack (const float *w, int64_t m, int64_t k, float *wp)
{
  int64_t mp = (m + 31) & ~(int64_t) 31;

  for (int64_t b = 0; b < mp; b += 32)
    for (int64_t kk = 0; kk < k; kk++)
      for (int64_t j = 0; j < 32; j++)
        wp[(b * k) + kk * 32 + j] = b + j < m ? w[(b + j) * k + kk] : 0.0f;
}

#ifdef DLNN_X86_SIMD
/* Block of filters [m0, m0 + 32) of one job. */
typedef struct chv_block
{
  const float *wp;              /* its K x 32 packed weights */
  __m512 bias0, bias1;          /* 0 past the last filter */
  int nvalid;                   /* filters of the block that exist */
} chv_block;

/* Outputs (oh, ow0 .. ow0 + px) of the block's filters: q = oh * wq +
 * ow0, y0 = the output of filter m0 at (oh, ow0). */
DLNN_TARGET_AVX512 static inline __attribute__((always_inline)) void
chv_tile (const dlnn_conv_chv * c, const chv_block * bl, int64_t q,
    float *y0, int px, int clamp, int ring)
{
  __m512 a0[16], a1[16];
  const float *wb = bl->wp, *xq = c->planes + q;
  const int64_t *off = c->off;

#pragma GCC unroll 16
  for (int p = 0; p < 16; p++) {
    a0[p] = bl->bias0;
    a1[p] = bl->bias1;
  }
  for (int64_t kk = 0; kk < c->k; kk++, wb += 32) {
    const float *xr = xq + off[kk];
    __m512 w0 = _mm512_load_ps (wb), w1 = _mm512_load_ps (wb + 16);

#pragma GCC unroll 16
    for (int p = 0; p < 16; p++)
      if (p < px) {
        __m512 v = _mm512_set1_ps (xr[p]);
        a0[p] = _mm512_fmadd_ps (w0, v, a0[p]);
        a1[p] = _mm512_fmadd_ps (w1, v, a1[p]);
      }
  }
  if (clamp) {
    __m512 lo = _mm512_set1_ps (c->lo), hi = _mm512_set1_ps (c->hi);
#pragma GCC unroll 16
    for (int p = 0; p < 16; p++)
      if (p < px) {
        a0[p] = _mm512_min_ps (_mm512_max_ps (a0[p], lo), hi);
        a1[p] = _mm512_min_ps (_mm512_max_ps (a1[p], lo), hi);
      }
  }
  if (ring) {
    /* y0: pixel ow0 of a ring row, filter m0; pixels c->ring_px apart */
#pragma GCC unroll 16
    for (int p = 0; p < 16; p++)
      if (p < px) {
        _mm512_store_ps (y0 + p * c->ring_px, a0[p]);
        _mm512_store_ps (y0 + p * c->ring_px + 16, a1[p]);
      }
    return;
  }
  dlnn_transpose16_avx512 (a0);
  dlnn_transpose16_avx512 (a1);
  {
    __mmask16 mk = (__mmask16) ((1u << px) - 1);
    int n0 = bl->nvalid < 16 ? bl->nvalid : 16, n1 = bl->nvalid - 16;

#pragma GCC unroll 16
    for (int ch = 0; ch < 16; ch++) {
      if (ch < n0)
        _mm512_mask_storeu_ps (y0 + ch * c->ldc, mk, a0[ch]);
      if (ch < n1)
        _mm512_mask_storeu_ps (y0 + (16 + ch) * c->ldc, mk, a1[ch]);
    }
  }
}

typedef void (*chv_tile_fn) (const dlnn_conv_chv * c, const chv_block * bl,
    int64_t q, float *y0);

#define CHV_INSTANCE(PX) \
  DLNN_TARGET_AVX512 static void \
  chv_tile_##PX (const dlnn_conv_chv * c, const chv_block * bl, int64_t q, \
      float *y0) \
  { \
    chv_tile (c, bl, q, y0, PX, 0, 0); \
  } \
  DLNN_TARGET_AVX512 static void \
  chv_tile_clamp_##PX (const dlnn_conv_chv * c, const chv_block * bl, \
      int64_t q, float *y0) \
  { \
    chv_tile (c, bl, q, y0, PX, 1, 0); \
  } \
  DLNN_TARGET_AVX512 static void \
  chv_tile_ring_##PX (const dlnn_conv_chv * c, const chv_block * bl, \
      int64_t q, float *y0) \
  { \
    chv_tile (c, bl, q, y0, PX, 0, 1); \
  } \
  DLNN_TARGET_AVX512 static void \
  chv_tile_ring_clamp_##PX (const dlnn_conv_chv * c, const chv_block * bl, \
      int64_t q, float *y0) \
  { \
    chv_tile (c, bl, q, y0, PX, 1, 1); \
  }

CHV_INSTANCE (1)
CHV_INSTANCE (2)
CHV_INSTANCE (3)
CHV_INSTANCE (4)
CHV_INSTANCE (5)
CHV_INSTANCE (6)
CHV_INSTANCE (7)
CHV_INSTANCE (8)
CHV_INSTANCE (9)
CHV_INSTANCE (10)
CHV_INSTANCE (11)
CHV_INSTANCE (12)
CHV_INSTANCE (13)
CHV_INSTANCE (14)
#undef CHV_INSTANCE

#define CHV_ROW(PX) chv_tile_##PX, chv_tile_clamp_##PX, \
  chv_tile_ring_##PX, chv_tile_ring_clamp_##PX
/* [px - 1][ring * 2 + clamp] */
static const chv_tile_fn chv_tiles[CHV_PX][4] = {
  {CHV_ROW (1)}, {CHV_ROW (2)}, {CHV_ROW (3)}, {CHV_ROW (4)},
  {CHV_ROW (5)}, {CHV_ROW (6)}, {CHV_ROW (7)}, {CHV_ROW (8)},
  {CHV_ROW (9)}, {CHV_ROW (10)}, {CHV_ROW (11)}, {CHV_ROW (12)},
  {CHV_ROW (13)}, {CHV_ROW (14)},
};
#undef CHV_ROW

/* Output row @r of the filters [m0, m0 + 32), in tiles of nearly equal
 * width (55 = 14 + 14 + 14 + 13, 27 = 14 + 13), into the NCHW output or,
 * with @ring, into ring row @ring (pixel-major, c->ring_px floats
 * apart). */
DLNN_TARGET_AVX512 static void
chv_row_block (const dlnn_conv_chv * c, int64_t r, int64_t m0, float *ring)
{
  int64_t nt = (c->ow + CHV_PX - 1) / CHV_PX;
  int64_t base = c->ow / nt, extra = c->ow % nt;
  int mode = (ring ? 2 : 0) + c->clamp;
  chv_block bl;
  int64_t nv = c->m - m0 < 32 ? c->m - m0 : 32;
  __mmask16 k0 = (__mmask16) (nv >= 16 ? 0xffff : (1u << nv) - 1);
  __mmask16 k1 = (__mmask16) (nv >= 32 ? 0xffff
      : nv > 16 ? (1u << (nv - 16)) - 1 : 0);

  bl.wp = c->wp + m0 * c->k;
  bl.nvalid = (int) nv;
  bl.bias0 = c->bias ? _mm512_maskz_loadu_ps (k0, c->bias + m0)
      : _mm512_setzero_ps ();
  bl.bias1 = c->bias ? _mm512_maskz_loadu_ps (k1, c->bias + m0 + 16)
      : _mm512_setzero_ps ();
  for (int64_t t = 0, ow0 = 0; t < nt; t++) {
    int64_t px = base + (t < extra);

    chv_tiles[px - 1][mode] (c, &bl, r * c->wq + ow0, ring
        ? ring + ow0 * c->ring_px + m0 : c->y + m0 * c->ldc + r * c->ow
        + ow0);
    ow0 += px;
  }
}

/* Output row @r, every filter. */
DLNN_TARGET_AVX512 static void
chv_row (const dlnn_conv_chv * c, int64_t r, float *ring)
{
  for (int64_t m0 = 0; m0 < c->m; m0 += 32)
    chv_row_block (c, r, m0, ring);
}

/* Output rows [r0, r1). */
DLNN_TARGET_AVX512 static void
chv_rows (void *arg, int64_t r0, int64_t r1)
{
  for (int64_t r = r0; r < r1; r++)
    chv_row (arg, r, NULL);
}

/* Blocks of 32 filters [b0, b1), every row: each block's weights are
 * read once (from memory when all of them exceed the caches). */
DLNN_TARGET_AVX512 static void
chv_blocks (void *arg, int64_t b0, int64_t b1)
{
  const dlnn_conv_chv *c = arg;

  for (int64_t b = b0; b < b1; b++)
    for (int64_t r = 0; r < c->oh; r++)
      chv_row_block (c, r, b * 32, NULL);
}

/* Floats of one band's ring rows (k of them) and its staging tile (16
 * pooled pixels of every filter), 64-byte multiples. */
static size_t
pool_band_floats (const dlnn_conv_chv * c, int64_t k)
{
  return (size_t) ((k + 1) * ((c->ow > 16 ? c->ow : 16) * c->ring_px));
}

typedef struct chv_pool_job
{
  const dlnn_conv_chv *c;
  const dlnn_win2d *pw;         /* the pool over the conv's oh x ow */
  float *ws;
  size_t band_floats;
  int64_t bands;
} chv_pool_job;

/* Pooled pixels [pc0, pc0 + cnt) of pooled row @po from the staging tile
 * @st (pixel-major) into the NCHW output: 16 x 16 transposes. */
DLNN_TARGET_AVX512 static void
pool_flush (const chv_pool_job * j, const float *st, int64_t po,
    int64_t pc0, int64_t cnt)
{
  const dlnn_conv_chv *c = j->c;
  int64_t plane = j->pw->oh * j->pw->ow;
  __mmask16 mk = (__mmask16) ((1u << cnt) - 1);

  for (int64_t m0 = 0; m0 < c->m; m0 += 16) {
    __m512 v[16];
    int64_t nv = c->m - m0 < 16 ? c->m - m0 : 16;
    float *y0 = c->y + m0 * plane + po * j->pw->ow + pc0;

#pragma GCC unroll 16
    for (int p = 0; p < 16; p++)
      v[p] = _mm512_load_ps (st + p * c->ring_px + m0);
    dlnn_transpose16_avx512 (v);
#pragma GCC unroll 16
    for (int ch = 0; ch < 16; ch++)
      if (ch < nv)
        _mm512_mask_storeu_ps (y0 + ch * plane, mk, v[ch]);
  }
}

/* A 3x3 window inside the map: @x its first column in the ring, @rows
 * the ring offsets of its rows, pixels @rp floats apart; the first @m
 * filters (whole vectors) into @dst, taps in chv_pool_band's order. */
DLNN_TARGET_AVX512 static inline void
pool_3x3 (const float *x, const int64_t * rows, int64_t rp, int64_t m,
    float *dst)
{
  const float *r0 = x + rows[0], *r1 = x + rows[1], *r2 = x + rows[2];

  for (int64_t m0 = 0; m0 < m; m0 += 16) {
    __m512 v = _mm512_load_ps (r0 + m0);

    v = _mm512_max_ps (_mm512_load_ps (r1 + m0), v);
    v = _mm512_max_ps (_mm512_load_ps (r2 + m0), v);
    v = _mm512_max_ps (_mm512_load_ps (r0 + rp + m0), v);
    v = _mm512_max_ps (_mm512_load_ps (r1 + rp + m0), v);
    v = _mm512_max_ps (_mm512_load_ps (r2 + rp + m0), v);
    v = _mm512_max_ps (_mm512_load_ps (r0 + 2 * rp + m0), v);
    v = _mm512_max_ps (_mm512_load_ps (r1 + 2 * rp + m0), v);
    v = _mm512_max_ps (_mm512_load_ps (r2 + 2 * rp + m0), v);
    _mm512_store_ps (dst + m0, v);
  }
}

/* One band of pooled rows: conv rows into a ring of k rows, each pooled
 * row from the ring, its taps in pool_max.c's order (column by column,
 * "m = tap > m ? tap : m" from the first, which vmaxps (tap, m) is lane
 * by lane), taps in the padding replaced by a valid tap of the same
 * window as pool_max.c does for rows (max is idempotent), an empty
 * window 0. */
DLNN_TARGET_AVX512 static void
chv_pool_band (void *arg, int64_t b0, int64_t b1)
{
  const chv_pool_job *j = arg;
  const dlnn_conv_chv *c = j->c;
  const dlnn_win2d *pw = j->pw;
  int64_t k = pw->kh, rp = c->ring_px;

  for (int64_t b = b0; b < b1; b++) {
    float *ring = j->ws + b * j->band_floats;
    float *st = ring + k * c->ow * rp;
    int64_t p0 = b * pw->oh / j->bands, p1 = (b + 1) * pw->oh / j->bands;
    int64_t next = -1;          /* conv rows below it are in the ring */

    for (int64_t po = p0; po < p1; po++) {
      int64_t hs = po * 2 - pw->pt, klo, khi, rows[3];

      dlnn_window_taps (hs, k, 1, pw->ih, &klo, &khi);
      if (khi <= klo) {
        for (int64_t m0 = 0; m0 < c->m; m0++)
          memset (c->y + (m0 * pw->oh + po) * pw->ow, 0,
              (size_t) pw->ow * sizeof (float));
        continue;
      }
      if (next < hs + klo)
        next = hs + klo;
      for (; next < hs + khi; next++)
        chv_row (c, next, ring + (next % k) * c->ow * rp);
      for (int64_t t = 0; t < k; t++) {
        int64_t kt = t < klo ? klo : t >= khi ? khi - 1 : t;
        rows[t] = ((hs + kt) % k) * c->ow * rp;
      }
      for (int64_t pc = 0; pc < pw->ow; pc++) {
        int64_t ws = pc * 2 - pw->pl, jlo, jhi;
        float *dst = st + (pc % 16) * rp;

        dlnn_window_taps (ws, k, 1, pw->iw, &jlo, &jhi);
        if (k == 3 && jlo == 0 && jhi == 3)
          pool_3x3 (ring + ws * rp, rows, rp, c->m, dst);
        else
          for (int64_t m0 = 0; m0 < c->m; m0 += 16) {
          __m512 m = _mm512_setzero_ps ();

          if (jhi > jlo) {
            m = _mm512_load_ps (ring + rows[0] + (ws + jlo) * rp + m0);
            for (int64_t kj = 0; kj < k; kj++) {
              int64_t col = ws + (kj < jlo ? jlo : kj >= jhi ? jhi - 1 : kj);
              for (int64_t ki = 0; ki < k; ki++)
                m = _mm512_max_ps (_mm512_load_ps (ring + rows[ki]
                        + col * rp + m0), m);
            }
          }
          _mm512_store_ps (dst + m0, m);
          }
        if (pc % 16 == 15 || pc == pw->ow - 1)
          pool_flush (j, st, po, pc - pc % 16, pc % 16 + 1);
      }
    }
  }
}
#endif

int
dlnn_conv_chv_usable (void)
{
#ifdef DLNN_X86_SIMD
  return dlnn_sgemm_avx512_usable ();
#else
  return 0;
#endif
}

/* DLNN_CONV_CHV from the environment. */
static int
chv_env (void)
{
  static atomic_int v = -2;

  return dlnn_conv_env_flag (&v, "DLNN_CONV_CHV");
}

int
dlnn_conv_chv_eligible (const conv_geom * g, const dlnn_fused_act * act)
{
  int64_t mp = (g->m + 31) & ~(int64_t) 31;
  int env = chv_env ();

  if (!dlnn_conv_chv_usable () || g->group != 1
      || act->kind == DLNN_FUSED_SWISH || !dlnn_conv_direct_eligible (g)
      || env == 0)
    return 0;
  return env == 1 || (mp - g->m) * 8 <= g->m;
}

int
dlnn_conv_chv_chosen (const conv_geom * g, const dlnn_fused_act * act)
{
  int64_t mp = (g->m + 31) & ~(int64_t) 31;

  if (!dlnn_conv_chv_eligible (g, act))
    return 0;
  if (chv_env () == 1)
    return 1;
  /* Measured per node (dlnn_bench, 1 thread, medians of 4 interleaved
   * runs with DLNN_CONV_CHV=0 / 1). Filters to spare in the last block
   * of 32 cost their share (shufflenet_v2's 24-filter stem; squeezenet1_1's
   * 16- and 48-filter squeeze layers: 0.035 -> 0.060 ms). Larger kernels:
   * faster with up to 320 taps, squeezenet1_1's stem (K = 27, 0.245 ->
   * 0.234 ms) and 3x3 expand layers (K = 144 on 55x55, 0.244 -> 0.232 ms;
   * K = 288 on 27x27, 0.240 -> 0.218 ms), mobilenet_v2's stem (0.252 ->
   * 0.202 ms), cnn1d's 1-D layers (K = 200 and 320, 0.0137 -> 0.0109
   * ms); slower with K = 576 (resnet18 layer1, 64 -> 64 on 56x56, 0.94 ->
   * 0.98 ms), where a block's weights and the tile's input lines no
   * longer fit in L1. */
  if (!g->pointwise)
    return g->kc <= 320;
  /* Pointwise: faster on maps 13 to 55 wide when the output stays in L2
   * (mobilenet_v2's 14x14 layers,
   * 96 -> 576 and 576 -> 96: 0.105 -> 0.097 and 0.108 -> 0.097 ms;
   * squeezenet1_1's 256 -> 32 squeeze on 27x27, 0.064 -> 0.050 ms, its
   * 16 -> 64 expand on 55x55, 0.040 -> 0.036 ms). Slower on 7x7 maps (a
   * tile of 7 pixels feeds 14 accumulators: mobilenet_v2's 320 -> 1280,
   * 0.19 -> 0.35 ms), on outputs beyond L2, where each tile writes a
   * part of a line in 32 planes (its 16 -> 96 on 112x112, 0.25 -> 0.47
   * ms), and with any filters to spare in the last block of 32
   * (shufflenet_v2's 58 and 116 filters: 0.045 -> 0.050 and 0.088 ->
   * 0.095 ms). With weights beyond half of L2, block by block
   * (dlnn_conv_chv_forward): squeezenet1_1's classifier, 512 -> 1000 on
   * 13x13 with 2 MB of weights, 0.725 -> 0.697 ms alone (rows outer:
   * 0.74 ms). */
  return g->w.ow >= 13 && g->w.ow <= 64 && g->m * g->ohw <= 262144
      && (mp - g->m) * 32 <= g->m;
}

void
dlnn_conv_chv_forward (dlnn_conv_chv * c)
{
#ifdef DLNN_X86_SIMD
  /* all the weights beyond half of L2: block by block */
  if (c->k * ((c->m + 31) & ~(int64_t) 31) > CHV_ROW_ORDER_FLOATS)
    dlnn_parallel_for ((c->m + 31) / 32, 1, chv_blocks, c);
  else
    dlnn_parallel_for (c->oh, 1, chv_rows, c);
#else
  (void) c;
#endif
}

/* bands of pooled rows run side by side, one ring each */
#define CHV_POOL_BANDS 4

size_t
dlnn_conv_chv_pool_workspace (const conv_geom * g, const dlnn_win2d * pw)
{
  dlnn_conv_chv c;

  memset (&c, 0, sizeof (c));
  c.ow = g->w.ow;
  c.ring_px = (g->m + 31) & ~(int64_t) 31;
  return CHV_POOL_BANDS * pool_band_floats (&c, pw->kh) + 16;
}

void
dlnn_conv_chv_pool_forward (dlnn_conv_chv * c, const dlnn_win2d * pw,
    float *ws)
{
#ifdef DLNN_X86_SIMD
  chv_pool_job j;
  int64_t bands = dlnn_par_threads ();

  c->ring_px = (c->m + 31) & ~(int64_t) 31;
  if (bands > CHV_POOL_BANDS)
    bands = CHV_POOL_BANDS;
  if (bands > pw->oh)
    bands = pw->oh;
  j.c = c;
  j.pw = pw;
  j.ws = (float *) (((uintptr_t) ws + 63) & ~(uintptr_t) 63);
  j.band_floats = pool_band_floats (c, pw->kh);
  j.bands = bands;
  dlnn_parallel_for (bands, 1, chv_pool_band, &j);
#else
  (void) c;
  (void) pw;
  (void) ws;
#endif
}
