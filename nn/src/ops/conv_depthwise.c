/* libdlnn - fast depthwise forward: 3x3 and 5x5 kernels, stride 1 or 2,
 * dilation 1 (MobileNet, ShuffleNet, EfficientNet); the bias and the
 * fused activation (fused_act.h) are applied in the same pass.
 *
 * With AVX-512 (16 lanes) or AVX2 + FMA (8 lanes), chosen at run time by
 * dlnn_simd_level (), jobs of whole output planes (channels split over
 * the threads), four kernels:
 * - AVX-512, planes of at most 8 output columns (7x7) whose padded input
 *   rows fit in 16 columns (conv_depthwise_pair.h): two planes per
 *   vector, each input row one masked load per plane, the taps of both
 *   planes one vpermt2ps each.
 * - AVX-512, stride 2, and stride 1 with rows of at most 32 columns or
 *   with SiLU (conv_depthwise_s2.h): straight from the input plane,
 *   masked loads at the borders, the stride-2 taps de-interleaved in
 *   registers (vpermt2ps, valignd), 4 or 8 output rows sharing each
 *   input row, the next rows prefetched; no copy.
 * - other small stride-1 planes on AVX-512: a flat layout
 *   (conv_depthwise_flat.h, see flat_ok).
 * - otherwise (stride 1 wider than a vector; everything on AVX2): chunks
 *   of output rows whose zero-padded input rows (at most 24 KiB) are
 *   copied into the job's slice of the workspace, still in L1 when the
 *   kernel (conv_depthwise_simd.h) reads them; it vectorises along the
 *   output width with up to 8 independent accumulators (2 rows x 4
 *   vectors, 4 rows x 2 or 8 rows x 1 for narrow planes), masked stores
 *   for the tails. For stride 2 the padded rows are stored de-interleaved
 *   (even columns, then odd ones), so every tap is a contiguous load. On
 *   AVX-512, stride 1 loads each input row once per tile and makes the
 *   shifted taps with valignd (dw_tile_reuse).
 * Without AVX2 (or off x86-64) all planes are padded first and plain C
 * loops with the taps unrolled do the rest. */
#include "conv-private.h"
#include "fused_act.h"
#include "parallel.h"

#include <float.h>
#ifdef DLNN_X86_SIMD
#include "silu_simd.h"
#include <immintrin.h>
#endif

/* The fused activation as the SIMD kernels apply it: 0 none, 1 clamp to
 * [*lo, *hi] (Relu: [lo, FLT_MAX]; Clip), 2 SiLU. */
static inline int
dw_act_mode (const dlnn_fused_act * act, float *lo, float *hi)
{
  *lo = 0.0f;
  *hi = 0.0f;
  if (!act)
    return 0;
  if (act->kind == DLNN_FUSED_RELU || act->kind == DLNN_FUSED_CLIP) {
    *lo = act->lo;
    *hi = act->kind == DLNN_FUSED_RELU ? FLT_MAX : act->hi;
    return 1;
  }
  return act->kind == DLNN_FUSED_SWISH ? 2 : 0;
}

/* Rows of the vectorised layout are multiples of DW_ROUND floats and
 * start 64-byte aligned (see conv_depthwise_simd.h). */
#define DW_ROUND 16
#define DW_R(v) (((v) + DW_ROUND - 1) / DW_ROUND * DW_ROUND)

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

/* The vectorised layout: row stride *rs, offset of the odd columns *hl
 * (stride 2; 0 for stride 1): the columns the outputs read, rounded up
 * to DW_ROUND (conv_depthwise_simd.h). */
static int64_t
simd_row (const dlnn_win2d * q, int64_t * hl)
{
  if (q->sw == 1) {
    *hl = 0;
    return DW_R (q->ow + q->kw - 1);
  }
  *hl = DW_R (q->ow + (q->kw - 1) / 2);
  return 2 * *hl;
}

/* Floats read past the last padded row (the unused lanes of the last
 * vectors: up to DW_ROUND + 4). */
#define DW_SLACK (2 * DW_ROUND)

/* Bytes of padded rows one chunk of a plane may take: half of L1 (the
 * kernel reads them right after they are written). */
#define DW_CHUNK_BYTES (24 * 1024)

/* Floats of one plane's slice: the whole padded plane or the flat one
 * (conv_depthwise_flat.h), the slack and room to align it. The row
 * kernels use only the rows of one chunk. */
static int64_t
simd_slice (const dlnn_win2d * q)
{
  int64_t hl, plane = padded_h (q) * simd_row (q, &hl);
  int64_t pw = q->ow + q->kw - 1, nv = (q->oh * pw + 15) / 16;
  int64_t flat = DW_R (16 * (nv + 1) + (q->kh - 1) * pw);

  return (plane > flat ? plane : flat) + DW_SLACK + DW_ROUND;
}

/* Output rows of one chunk: a multiple of the row block of dw_plane_k
 * (8, 4 or 2 rows) whose padded rows fit in DW_CHUNK_BYTES, at least one
 * block. */
static int64_t
simd_chunk (const dlnn_win2d * q, int64_t rs)
{
  int64_t nvec = (q->ow + 15) / 16, rb = nvec >= 3 ? 2 : (nvec == 2 ? 4 : 8);
  int64_t rows = DW_CHUNK_BYTES / (int64_t) sizeof (float) / rs;
  int64_t n = rows >= q->kh ? (rows - q->kh) / q->sh + 1 : 1;

  n = n / rb * rb;
  return n < rb ? rb : n;
}

size_t
dlnn_conv_depthwise_fast_workspace (const conv_geom * g)
{
  int64_t plain = padded_h (&g->w) * padded_w (&g->w);
  int64_t simd = simd_slice (&g->w);

  /* one plane per output plane: covers both layouts (m >= c) */
  return (size_t) (g->n * g->m * (plain > simd ? plain : simd));
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
    if (j->act)
      dlnn_fused_act_apply (j->act, y, g->ohw);
  }
}

/* ---- vectorised path ---- */
#ifdef DLNN_X86_SIMD

#define DW_SFX avx2
#define DW_TARGET __attribute__ ((target ("avx2,fma")))
#define DW_V __m256
#define DW_VL 8
#define DW_LOAD(p) _mm256_loadu_ps (p)
#define DW_SET1(f) _mm256_set1_ps (f)
#define DW_FMA(a, b, c) _mm256_fmadd_ps (a, b, c)
#define DW_MAX(a, b) _mm256_max_ps (a, b)
#define DW_MIN(a, b) _mm256_min_ps (a, b)
#define DW_STORE(p, v) _mm256_storeu_ps (p, v)
#define DW_STORE_N(p, v, n) _mm256_maskstore_ps (p, \
      _mm256_cmpgt_epi32 (_mm256_set1_epi32 (n), \
          _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7)), v)
#define DW_ZERO() _mm256_setzero_ps ()
#define DW_LOAD_RANGE(p, lo, hi) _mm256_maskload_ps (p, _mm256_and_si256 ( \
          _mm256_cmpgt_epi32 (_mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7), \
              _mm256_set1_epi32 ((lo) - 1)), \
          _mm256_cmpgt_epi32 (_mm256_set1_epi32 (hi), \
              _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7))))
#define DW_EVEN(a, b) _mm256_castpd_ps (_mm256_permute4x64_pd ( \
          _mm256_castps_pd (_mm256_shuffle_ps (a, b, 0x88)), 0xd8))
#define DW_ODD(a, b) _mm256_castpd_ps (_mm256_permute4x64_pd ( \
          _mm256_castps_pd (_mm256_shuffle_ps (a, b, 0xdd)), 0xd8))
#define DW_SILU(v) dlnn_silu_avx2 (v)
#define DW_REUSE 0
#define DW_ROW(p, out, n) do { \
      for (int j_ = 0; j_ < (n); j_++) \
        (out)[j_] = _mm256_loadu_ps ((p) + j_); \
    } while (0)
#include "conv_depthwise_simd.h"
#undef DW_SFX
#undef DW_TARGET
#undef DW_V
#undef DW_VL
#undef DW_LOAD
#undef DW_SET1
#undef DW_FMA
#undef DW_MAX
#undef DW_MIN
#undef DW_STORE
#undef DW_STORE_N
#undef DW_ZERO
#undef DW_LOAD_RANGE
#undef DW_EVEN
#undef DW_ODD
#undef DW_SILU
#undef DW_ROW
#undef DW_REUSE

#define DW_SFX avx512
#define DW_TARGET_512 __attribute__ ((target ("avx2,fma,avx512f")))
#define DW_TARGET DW_TARGET_512
#define DW_V __m512
#define DW_VL 16
#define DW_LOAD(p) _mm512_loadu_ps (p)
#define DW_SET1(f) _mm512_set1_ps (f)
#define DW_FMA(a, b, c) _mm512_fmadd_ps (a, b, c)
#define DW_MAX(a, b) _mm512_max_ps (a, b)
#define DW_MIN(a, b) _mm512_min_ps (a, b)
#define DW_STORE(p, v) _mm512_storeu_ps (p, v)
#define DW_STORE_N(p, v, n) _mm512_mask_storeu_ps (p, \
      (__mmask16) ((1u << (n)) - 1u), v)
#define DW_ZERO() _mm512_setzero_ps ()
#define DW_LOAD_RANGE(p, lo, hi) _mm512_maskz_loadu_ps ((__mmask16) \
      (((1u << (hi)) - 1u) & ~((1u << (lo)) - 1u)), p)
#define DW_EVEN(a, b) _mm512_permutex2var_ps (a, _mm512_setr_epi32 (0, 2, \
          4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), b)
#define DW_ODD(a, b) _mm512_permutex2var_ps (a, _mm512_setr_epi32 (1, 3, \
          5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31), b)
#define DW_SILU(v) dlnn_silu_avx512 (v)
#define DW_REUSE 1
/* the shifted copies from two aligned loads (valignd) */
#define DW_ALIGNR(b, a, i) _mm512_castsi512_ps (_mm512_alignr_epi32 ( \
          _mm512_castps_si512 (b), _mm512_castps_si512 (a), i))
#define DW_ROW(p, out, n) do { \
      __m512 a_ = _mm512_loadu_ps (p); \
      (out)[0] = a_; \
      if ((n) > 1) { \
        __m512 b_ = _mm512_loadu_ps ((p) + 16); \
        (out)[1] = DW_ALIGNR (b_, a_, 1); \
        if ((n) > 2) \
          (out)[2] = DW_ALIGNR (b_, a_, 2); \
        if ((n) > 3) \
          (out)[3] = DW_ALIGNR (b_, a_, 3); \
        if ((n) > 4) \
          (out)[4] = DW_ALIGNR (b_, a_, 4); \
      } \
    } while (0)
#include "conv_depthwise_simd.h"

#include "conv_depthwise_flat.h"
#include "conv_depthwise_s2.h"
#include "conv_depthwise_pair.h"

typedef struct dw_simd_job
{
  const conv_geom *g;
  const float *x, *w, *b;
  const dlnn_fused_act *act;
  float *y, *ws;
  int level;
} dw_simd_job;

/* Output planes [begin, end): pad each into this job's slice (the one of
 * plane @begin: slices of different jobs never overlap), then run the
 * kernel on it. */
static void
dw_simd_job_fn (void *arg, int64_t begin, int64_t end)
{
  const dw_simd_job *j = arg;
  const conv_geom *g = j->g;
  const dlnn_win2d *q = &g->w;
  int64_t hl, rs = simd_row (q, &hl), kk = q->kh * q->kw;
  uintptr_t a = (uintptr_t) (j->ws + begin * simd_slice (q));
  float *pp = (float *) ((a + 63) & ~(uintptr_t) 63);

  __mmask16 mask[DW_FLAT_MAX_VEC] = { 0 };
  /* AVX-512: planes of <= 8 columns two at a time
   * (conv_depthwise_pair.h); small stride-1 planes flat; straight from
   * the input (conv_depthwise_s2.h) stride 2, stride-1 rows of <= 32
   * columns and every stride-1 plane with SiLU (measured in the network:
   * 28 columns 0.042 -> 0.036 ms, 56 with SiLU 0.151 -> 0.132 ms, but 56
   * and 112 with Clip slower than the padded rows) */
  int pair = j->level == DLNN_SIMD_AVX512 && pair_ok (q);
  int flat = j->level == DLNN_SIMD_AVX512 && !pair && q->sh == 1
      && flat_ok (q);
  int direct = j->level == DLNN_SIMD_AVX512 && !pair && !flat
      && (q->sh == 2 || q->ow <= 32 || (j->act
          && j->act->kind == DLNN_FUSED_SWISH));
  int64_t chunk = simd_chunk (q, rs), nr = (chunk - 1) * q->sh + q->kh;

  if (pair) {
    for (int64_t pl = begin; pl < end; pl += 2) {
      int64_t na = pl / g->m, ma = pl % g->m;
      int64_t pb = pl + 1 < end ? pl + 1 : pl, nb = pb / g->m, mb = pb % g->m;
      const float *xa = j->x + (na * g->c + ma / g->mg) * g->hw;
      const float *xb = j->x + (nb * g->c + mb / g->mg) * g->hw;

      pair_planes (xa, xb, q, j->w + ma * kk, j->w + mb * kk,
          j->b ? j->b[ma] : 0.0f, j->b ? j->b[mb] : 0.0f, j->y + pl * g->ohw,
          pb > pl ? j->y + pb * g->ohw : NULL, j->act);
    }
    return;
  }
  /* the slack after the last row of a chunk: read, never used; finite */
  if (!flat && !direct) {
    if (nr > padded_h (q))
      nr = padded_h (q);
    memset (pp + nr * rs, 0, DW_SLACK * sizeof (float));
  }

  if (flat) {
    int64_t pw = flat_pw (q);
    for (int v = 0; v < DW_FLAT_MAX_VEC; v++) {
      unsigned m = 0;
      for (int l = 0; l < 16; l++) {
        int64_t t = 16 * v + l;
        if (t < q->oh * pw && t % pw < q->ow)
          m |= 1u << l;
      }
      mask[v] = (__mmask16) m;
    }
  }
  for (int64_t pl = begin; pl < end; pl++) {
    int64_t ni = pl / g->m, mi = pl % g->m;
    const float *xp = j->x + (ni * g->c + mi / g->mg) * g->hw;
    float *y = j->y + pl * g->ohw, bv = j->b ? j->b[mi] : 0.0f;

    if (flat) {
      flat_pad (xp, q, pp);
      flat_plane (pp, q, j->w + mi * kk, bv, y, mask, j->act);
      continue;
    }
    if (direct) {
      s2_plane (xp, q, j->w + mi * kk, bv, y, j->act);
      continue;
    }
    /* chunks of output rows: their padded rows are still in L1 when the
     * kernel reads them */
    for (int64_t oy = 0; oy < q->oh; oy += chunk) {
      int64_t n = q->oh - oy < chunk ? q->oh - oy : chunk;
      int64_t nr = (n - 1) * q->sh + q->kh;

      if (j->level == DLNN_SIMD_AVX512) {
        dw_pad_avx512 (xp, q, rs, hl, oy * q->sh, nr, pp);
        dw_plane_avx512 (pp, rs, hl, j->w + mi * kk, bv, y + oy * q->ow, n,
            q->ow, j->act, (int) q->kh, (int) q->sh);
      } else {
        dw_pad_avx2 (xp, q, rs, hl, oy * q->sh, nr, pp);
        dw_plane_avx2 (pp, rs, hl, j->w + mi * kk, bv, y + oy * q->ow, n,
            q->ow, j->act, (int) q->kh, (int) q->sh);
      }
    }
  }
}

#endif /* DLNN_X86_SIMD */

void
dlnn_conv_depthwise_fast_forward (const conv_geom * g, const float *x,
    const float *w, const float *b, const dlnn_fused_act * act, float *y,
    float *ws)
{
  conv_job j;
  int64_t ppl = padded_h (&g->w) * padded_w (&g->w);

  if (act && act->kind == DLNN_FUSED_NONE)
    act = NULL;
#ifdef DLNN_X86_SIMD
  int level = dlnn_simd_level ();
  if (level >= DLNN_SIMD_AVX2) {
    dw_simd_job sj = { g, x, w, b, act, y, ws, level };
    int64_t sppl = simd_slice (&g->w);

    dlnn_parallel_for (g->n * g->m, DLNN_PAR_WORK / (sppl + g->ohw * g->w.kh
            * g->w.kw + 1) + 1, dw_simd_job_fn, &sj);
    return;
  }
#endif
  memset (&j, 0, sizeof (j));
  j.g = g;
  j.x = x;
  j.w = w;
  j.b = b;
  j.y = y;
  j.dx = ws;                    /* the padded planes */
  j.act = act;
  dlnn_parallel_for (g->n * g->c, DLNN_PAR_WORK / (ppl + 1) + 1, pad_job, &j);
  dlnn_parallel_for (g->n * g->m, DLNN_PAR_WORK / (g->ohw * g->w.kh
          * g->w.kw + 1) + 1, dw_job, &j);
}
