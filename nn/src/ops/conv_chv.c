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
 * dlnn_sgemm_avx512_ind applies them.
 *
 * Per node (squeezenet1_1, 1 thread, dlnn_bench): its 3 -> 64 stem, its
 * 3x3 expand layers on 55x55 and 27x27 maps (see
 * dlnn_conv_chv_chosen). */
#include "conv-private.h"
#include "fused_act.h"
#include "parallel.h"
#include "sgemm.h"

#ifdef DLNN_X86_SIMD
#include <immintrin.h>
#endif

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* pixels per tile, at most 16 (one transpose) */
#define CHV_PX 14

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
/* r[0..15] (rows) := their transpose. */
DLNN_TARGET_AVX512 static inline __attribute__((always_inline)) void
transpose16 (__m512 * r)
{
  __m512 t[16], s[16];

#pragma GCC unroll 16
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps (r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps (r[i], r[i + 1]);
  }
  /* s[4j + c], 128-bit lane l: rows 4j .. 4j + 3 of column 4l + c */
#pragma GCC unroll 4
  for (int j = 0; j < 4; j++) {
    s[4 * j] = _mm512_shuffle_ps (t[4 * j], t[4 * j + 2], 0x44);
    s[4 * j + 1] = _mm512_shuffle_ps (t[4 * j], t[4 * j + 2], 0xee);
    s[4 * j + 2] = _mm512_shuffle_ps (t[4 * j + 1], t[4 * j + 3], 0x44);
    s[4 * j + 3] = _mm512_shuffle_ps (t[4 * j + 1], t[4 * j + 3], 0xee);
  }
#pragma GCC unroll 4
  for (int c = 0; c < 4; c++) {
    __m512 v0 = _mm512_shuffle_f32x4 (s[c], s[4 + c], 0x88);
    __m512 v1 = _mm512_shuffle_f32x4 (s[c], s[4 + c], 0xdd);
    __m512 w0 = _mm512_shuffle_f32x4 (s[8 + c], s[12 + c], 0x88);
    __m512 w1 = _mm512_shuffle_f32x4 (s[8 + c], s[12 + c], 0xdd);

    r[c] = _mm512_shuffle_f32x4 (v0, w0, 0x88);
    r[8 + c] = _mm512_shuffle_f32x4 (v0, w0, 0xdd);
    r[4 + c] = _mm512_shuffle_f32x4 (v1, w1, 0x88);
    r[12 + c] = _mm512_shuffle_f32x4 (v1, w1, 0xdd);
  }
}

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
    float *y0, int px, int clamp)
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
  transpose16 (a0);
  transpose16 (a1);
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
    chv_tile (c, bl, q, y0, PX, 0); \
  } \
  DLNN_TARGET_AVX512 static void \
  chv_tile_clamp_##PX (const dlnn_conv_chv * c, const chv_block * bl, \
      int64_t q, float *y0) \
  { \
    chv_tile (c, bl, q, y0, PX, 1); \
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

#define CHV_ROW(PX) chv_tile_##PX, chv_tile_clamp_##PX
/* [px - 1][clamp] */
static const chv_tile_fn chv_tiles[CHV_PX][2] = {
  {CHV_ROW (1)}, {CHV_ROW (2)}, {CHV_ROW (3)}, {CHV_ROW (4)},
  {CHV_ROW (5)}, {CHV_ROW (6)}, {CHV_ROW (7)}, {CHV_ROW (8)},
  {CHV_ROW (9)}, {CHV_ROW (10)}, {CHV_ROW (11)}, {CHV_ROW (12)},
  {CHV_ROW (13)}, {CHV_ROW (14)},
};
#undef CHV_ROW

/* Output rows [r0, r1): per row, per block of 32 filters, tiles of
 * nearly equal width (55 = 14 + 14 + 14 + 13, 27 = 14 + 13). */
DLNN_TARGET_AVX512 static void
chv_rows (void *arg, int64_t r0, int64_t r1)
{
  const dlnn_conv_chv *c = arg;
  int64_t nt = (c->ow + CHV_PX - 1) / CHV_PX;
  int64_t base = c->ow / nt, extra = c->ow % nt;

  for (int64_t r = r0; r < r1; r++)
    for (int64_t m0 = 0; m0 < c->m; m0 += 32) {
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

        chv_tiles[px - 1][c->clamp] (c, &bl, r * c->wq + ow0,
            c->y + m0 * c->ldc + r * c->ow + ow0);
        ow0 += px;
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

/* DLNN_CONV_CHV from the environment: -1 unset, else 0 / 1. */
static int
chv_env (void)
{
  static atomic_int v = -2;
  int r = atomic_load (&v);

  if (r == -2) {
    const char *e = getenv ("DLNN_CONV_CHV");
    r = e && *e ? (atoi (e) != 0) : -1;
    atomic_store (&v, r);
  }
  return r;
}

int
dlnn_conv_chv_chosen (const conv_geom * g, const dlnn_fused_act * act)
{
  int64_t mp;
  int env;

  if (!dlnn_conv_chv_usable () || g->group != 1
      || act->kind == DLNN_FUSED_SWISH || !dlnn_conv_direct_eligible (g))
    return 0;
  env = chv_env ();
  if (env >= 0)
    return env;
  mp = (g->m + 31) & ~(int64_t) 31;
  if ((mp - g->m) * 8 > g->m)
    return 0;
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
   * and the weights in about half of it (mobilenet_v2's 14x14 layers,
   * 96 -> 576 and 576 -> 96: 0.105 -> 0.097 and 0.108 -> 0.097 ms;
   * squeezenet1_1's 256 -> 32 squeeze on 27x27, 0.064 -> 0.050 ms, its
   * 16 -> 64 expand on 55x55, 0.040 -> 0.036 ms). Slower on 7x7 maps (a
   * tile of 7 pixels feeds 14 accumulators: mobilenet_v2's 320 -> 1280,
   * 0.19 -> 0.35 ms), on outputs beyond L2, where each tile writes a
   * part of a line in 32 planes (its 16 -> 96 on 112x112, 0.25 -> 0.47
   * ms), and with 2 MB of weights (squeezenet1_1's classifier, 0.72 ->
   * 0.74 ms). */
  return g->w.ow >= 13 && g->w.ow <= 64 && g->m * g->ohw <= 262144
      && g->kc * mp <= 131072;
}

void
dlnn_conv_chv_forward (dlnn_conv_chv * c)
{
#ifdef DLNN_X86_SIMD
  dlnn_parallel_for (c->oh, 1, chv_rows, c);
#else
  (void) c;
#endif
}
