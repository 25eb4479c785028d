/* libdlnn - private: the vectorised depthwise kernels of conv_depthwise.c,
 * instantiated once per instruction set. Included by conv_depthwise.c
 * with these macros defined:
 *   DW_SFX      suffix of the function names (avx2, avx512)
 *   DW_TARGET   the target attribute
 *   DW_V        vector type, DW_VL its lanes
 *   DW_LOAD (p), DW_SET1 (f), DW_FMA (a, b, c) = a * b + c, DW_MAX, DW_MIN
 *   DW_STORE (p, v), DW_STORE_N (p, v, n): first n < DW_VL lanes only
 *   DW_ZERO (), DW_LOAD_RANGE (p, lo, hi): lanes [lo, hi) of p, others 0
 *     (the others are not read)
 *   DW_EVEN (a, b), DW_ODD (a, b): even / odd lanes of the pair a, b
 *   DW_SILU (v): v * sigmoid (v) (silu_simd.h)
 *   DW_ROW (p, out, n): out[j] = the DW_VL floats at p + j, j < n <= 5
 *   DW_REUSE: 1 to use dw_tile_reuse for stride 1
 *
 * Layout of the zero-padded plane @xp (see conv_depthwise.c): rows of
 * @rs floats (a multiple of 16), 64-byte aligned; stride 1: padded column
 * p at p; stride 2: even columns p = 2j at j, odd ones p = 2j + 1 at
 * hl + j (hl a multiple of 16), so that the taps of consecutive outputs
 * are consecutive floats in either case. Every row (half row) holds the
 * ow + K - 1 ((K - 1) / 2) floats the outputs read, rounded up to 16;
 * full vectors are loaded, and the lanes of outputs past ow may read the
 * next (half) row or the 32 floats of slack after the last row, never
 * used: only stores are masked. (DW_ROW may load p[0, 32).) */

#define DW_CAT2(a, b) a##_##b
#define DW_CAT(a, b) DW_CAT2 (a, b)
#define DW_FN(name) DW_CAT (name, DW_SFX)

/* Lanes [lo, hi) of the vector at input column @base of a row of @iw
 * floats (@src its start): columns outside the row are zero. */
DW_TARGET static inline __attribute__ ((always_inline)) DW_V
DW_FN (dw_load_cols) (const float *src, int64_t base, int64_t iw)
{
  int64_t lo = base < 0 ? -base : 0, hi = iw - base;

  if (hi > DW_VL)
    hi = DW_VL;
  if (lo == 0 && hi == DW_VL)
    return DW_LOAD (src + base);
  if (hi <= lo)
    return DW_ZERO ();
  return DW_LOAD_RANGE (src + base, (int) lo, (int) hi);
}

/* Copies padded rows [r0, r0 + nr) of input plane @xp (padded row r is
 * input row r - pt, zero outside the input) into @pp in the layout above,
 * row r0 first. */
DW_TARGET static void
DW_FN (dw_pad) (const float *restrict xp, const dlnn_win2d * q, int64_t rs,
    int64_t hl, int64_t r0, int64_t nr, float *restrict pp)
{
  for (int64_t r = 0; r < nr; r++) {
    int64_t iy = r0 + r - q->pt;
    const float *src = xp + iy * q->iw;
    float *row = pp + r * rs;

    if (iy < 0 || iy >= q->ih) {
      for (int64_t c = 0; c < rs; c += DW_VL)
        DW_STORE (row + c, DW_ZERO ());
    } else if (q->sw == 1) {
      for (int64_t c = 0; c < rs; c += DW_VL)
        DW_STORE (row + c, DW_FN (dw_load_cols) (src, c - q->pl, q->iw));
    } else {
      for (int64_t c = 0; c < hl; c += DW_VL) {
        DW_V a = DW_FN (dw_load_cols) (src, 2 * c - q->pl, q->iw);
        DW_V b = DW_FN (dw_load_cols) (src, 2 * c + DW_VL - q->pl, q->iw);
        DW_STORE (row + c, DW_EVEN (a, b));
        DW_STORE (row + hl + c, DW_ODD (a, b));
      }
    }
  }
}

/* Stores a tile's RB x NB accumulators at output (oy, ox) with the fused
 * activation @am (1 clip to [lo, hi], 2 SiLU); the last vector of a row
 * holds @nlast valid lanes. */
DW_TARGET static inline __attribute__ ((always_inline)) void
DW_FN (dw_store_tile) (DW_V acc[8][4], float *restrict y, int64_t ow,
    int64_t oy, int64_t ox, int nlast, int am, DW_V lo, DW_V hi,
    const int RB, const int NB)
{
  _Pragma ("GCC unroll 8")
  for (int r = 0; r < RB; r++)
    _Pragma ("GCC unroll 4")
    for (int b = 0; b < NB; b++) {
      DW_V v = acc[r][b];
      float *yp = y + (oy + r) * ow + ox + b * DW_VL;
      if (am == 1)
        v = DW_MIN (DW_MAX (v, lo), hi);
      else if (am == 2)
        v = DW_SILU (v);
      if (b == NB - 1 && nlast < DW_VL)
        DW_STORE_N (yp, v, nlast);
      else
        DW_STORE (yp, v);
    }
}

/* RB rows x NB vectors of outputs starting at (oy, ox); the last vector
 * holds @nlast valid lanes. K, S, RB, NB are constants at each call.
 * Every tap is a load (AVX2, and stride 2). */
DW_TARGET static inline __attribute__ ((always_inline)) void
DW_FN (dw_tile_direct) (const float *restrict xp, int64_t rs, int64_t hl,
    const DW_V * wv, DW_V bv, float *restrict y, int64_t ow, int64_t oy,
    int64_t ox, int nlast, int am, DW_V lo, DW_V hi, const int K,
    const int S, const int RB, const int NB)
{
  DW_V acc[8][4];

  /* everything but the kernel rows unrolled: the accumulators stay in
   * registers and the code stays small */
  _Pragma ("GCC unroll 8")
  for (int r = 0; r < RB; r++)
    _Pragma ("GCC unroll 4")
    for (int b = 0; b < NB; b++)
      acc[r][b] = bv;
  for (int ki = 0; ki < K; ki++) {
    _Pragma ("GCC unroll 8")
    for (int r = 0; r < RB; r++) {
      const float *rp = xp + ((oy + r) * S + ki) * rs + ox;
      _Pragma ("GCC unroll 5")
      for (int kj = 0; kj < K; kj++) {
        const float *q = rp + (S == 1 ? kj : ((kj & 1) ? hl : 0) + kj / 2);
        _Pragma ("GCC unroll 4")
        for (int b = 0; b < NB; b++)
          acc[r][b] = DW_FMA (DW_LOAD (q + b * DW_VL), wv[ki * K + kj],
              acc[r][b]);
      }
    }
  }
  DW_FN (dw_store_tile) (acc, y, ow, oy, ox, nlast, am, lo, hi, RB, NB);
}

/* RB rows x NB vectors of outputs starting at (oy, ox); the last vector
 * holds @nlast valid lanes. K, S, RB, NB are constants at each call.
 * Each of the (RB - 1) S + K input rows the tile reads is loaded once
 * per vector (DW_ROW: the K shifted copies of 16 columns) and used for
 * every output row it feeds (AVX-512, stride 1: 3x3 planes of 14 to 112
 * columns 20 to 35 % faster than dw_tile_direct; 5x5 about even; stride
 * 2 and AVX2 slower, so they keep dw_tile_direct). */
DW_TARGET static inline __attribute__ ((always_inline)) void
DW_FN (dw_tile_reuse) (const float *restrict xp, int64_t rs, int64_t hl,
    const DW_V * wv, DW_V bv, float *restrict y, int64_t ow, int64_t oy,
    int64_t ox, int nlast, int am, DW_V lo, DW_V hi, const int K,
    const int S, const int RB, const int NB)
{
  DW_V acc[8][4];

  _Pragma ("GCC unroll 8")
  for (int r = 0; r < RB; r++)
    _Pragma ("GCC unroll 4")
    for (int b = 0; b < NB; b++)
      acc[r][b] = bv;
  _Pragma ("GCC unroll 20")
  for (int ii = 0; ii < (RB - 1) * S + K; ii++) {
    const float *rp = xp + (oy * S + ii) * rs + ox;
    _Pragma ("GCC unroll 4")
    for (int b = 0; b < NB; b++) {
      DW_V sh[5], ev[3], od[2];
      if (S == 1) {
        DW_ROW (rp + b * DW_VL, sh, K);
      } else {
        DW_ROW (rp + b * DW_VL, ev, (K + 1) / 2);
        DW_ROW (rp + hl + b * DW_VL, od, K / 2);
        _Pragma ("GCC unroll 5")
        for (int kj = 0; kj < K; kj++)
          sh[kj] = (kj & 1) ? od[kj / 2] : ev[kj / 2];
      }
      _Pragma ("GCC unroll 8")
      for (int r = 0; r < RB; r++) {
        const int ki = ii - r * S;
        if (ki < 0 || ki >= K)
          continue;
        _Pragma ("GCC unroll 5")
        for (int kj = 0; kj < K; kj++)
          acc[r][b] = DW_FMA (sh[kj], wv[ki * K + kj], acc[r][b]);
      }
    }
  }
  DW_FN (dw_store_tile) (acc, y, ow, oy, ox, nlast, am, lo, hi, RB, NB);
}

DW_TARGET static inline __attribute__ ((always_inline)) void
DW_FN (dw_tile) (const float *restrict xp, int64_t rs, int64_t hl,
    const DW_V * wv, DW_V bv, float *restrict y, int64_t ow, int64_t oy,
    int64_t ox, int nlast, int am, DW_V lo, DW_V hi, const int K,
    const int S, const int RB, const int NB)
{
  if (DW_REUSE && S == 1)
    DW_FN (dw_tile_reuse) (xp, rs, hl, wv, bv, y, ow, oy, ox, nlast, am, lo,
        hi, K, S, RB, NB);
  else
    DW_FN (dw_tile_direct) (xp, rs, hl, wv, bv, y, ow, oy, ox, nlast, am, lo,
        hi, K, S, RB, NB);
}

/* Rows [oy, oy + RB) of the plane, all columns, in tiles of at most 8
 * accumulators (RB x NB); the last tile holds the partial vector. */
DW_TARGET static inline __attribute__ ((always_inline)) void
DW_FN (dw_rows) (const float *restrict xp, int64_t rs, int64_t hl,
    const DW_V * wv, DW_V bv, float *restrict y, int64_t ow, int64_t oy,
    int am, DW_V lo, DW_V hi, const int K, const int S, const int RB)
{
  const int64_t nvec = (ow + DW_VL - 1) / DW_VL;
  const int nl = (int) (ow - (nvec - 1) * DW_VL);
  const int NBM = RB <= 2 ? 4 : (RB <= 4 ? 2 : 1);
  int64_t v = 0;

  for (; nvec - v > NBM; v += NBM)
    DW_FN (dw_tile) (xp, rs, hl, wv, bv, y, ow, oy, v * DW_VL, DW_VL, am,
        lo, hi, K, S, RB, NBM);
  switch (nvec - v) {
    case 4:
      if (NBM >= 4)
        DW_FN (dw_tile) (xp, rs, hl, wv, bv, y, ow, oy, v * DW_VL, nl, am,
            lo, hi, K, S, RB, 4);
      break;
    case 3:
      if (NBM >= 3)
        DW_FN (dw_tile) (xp, rs, hl, wv, bv, y, ow, oy, v * DW_VL, nl, am,
            lo, hi, K, S, RB, 3);
      break;
    case 2:
      DW_FN (dw_tile) (xp, rs, hl, wv, bv, y, ow, oy, v * DW_VL, nl, am,
          lo, hi, K, S, RB, 2);
      break;
    default:
      DW_FN (dw_tile) (xp, rs, hl, wv, bv, y, ow, oy, v * DW_VL, nl, am,
          lo, hi, K, S, RB, 1);
      break;
  }
}

/* Rows [oy, oy + rb) with rb (1 to 8) a run-time value. */
DW_TARGET static inline __attribute__ ((always_inline)) void
DW_FN (dw_rows_n) (const float *restrict xp, int64_t rs, int64_t hl,
    const DW_V * wv, DW_V bv, float *restrict y, int64_t ow, int64_t oy,
    int am, DW_V lo, DW_V hi, const int K, const int S, int64_t rb)
{
#define DW_ROWS(R) DW_FN (dw_rows) (xp, rs, hl, wv, bv, y, ow, oy, am, lo, \
      hi, K, S, R)
  switch (rb) {
    case 8:
      DW_ROWS (8);
      break;
    case 7:
      DW_ROWS (7);
      break;
    case 6:
      DW_ROWS (6);
      break;
    case 5:
      DW_ROWS (5);
      break;
    case 4:
      DW_ROWS (4);
      break;
    case 3:
      DW_ROWS (3);
      break;
    case 2:
      DW_ROWS (2);
      break;
    default:
      DW_ROWS (1);
      break;
  }
#undef DW_ROWS
}

/* One output plane, in blocks of rows that give at most 8 accumulators:
 * 8 rows of one vector, 4 of two, 2 of more. */
DW_TARGET static inline __attribute__ ((always_inline)) void
DW_FN (dw_plane_k) (const float *restrict xp, int64_t rs, int64_t hl,
    const float *restrict wk, float bias, float *restrict y, int64_t oh,
    int64_t ow, const dlnn_fused_act * act, const int K, const int S)
{
  const int64_t nvec = (ow + DW_VL - 1) / DW_VL;
  const int64_t rb = nvec >= 3 ? 2 : (nvec == 2 ? 4 : 8);
  /* 0: none, 1: clamp to [lo, hi] (Relu, Clip), 2: SiLU */
  float flo, fhi;
  const int am = dw_act_mode (act, &flo, &fhi);
  DW_V wv[25], bv = DW_SET1 (bias), lo = DW_SET1 (flo), hi = DW_SET1 (fhi);

  for (int t = 0; t < K * K; t++)
    wv[t] = DW_SET1 (wk[t]);
  for (int64_t oy = 0; oy < oh;) {
    int64_t n = oh - oy < rb ? oh - oy : rb;
    DW_FN (dw_rows_n) (xp, rs, hl, wv, bv, y, ow, oy, am, lo, hi, K, S, n);
    oy += n;
  }
}

DW_TARGET static void
DW_FN (dw_plane) (const float *restrict xp, int64_t rs, int64_t hl,
    const float *restrict wk, float bias, float *restrict y, int64_t oh,
    int64_t ow, const dlnn_fused_act * act, int k, int s)
{
  if (k == 3 && s == 1)
    DW_FN (dw_plane_k) (xp, rs, hl, wk, bias, y, oh, ow, act, 3, 1);
  else if (k == 3)
    DW_FN (dw_plane_k) (xp, rs, hl, wk, bias, y, oh, ow, act, 3, 2);
  else if (s == 1)
    DW_FN (dw_plane_k) (xp, rs, hl, wk, bias, y, oh, ow, act, 5, 1);
  else
    DW_FN (dw_plane_k) (xp, rs, hl, wk, bias, y, oh, ow, act, 5, 2);
}

#undef DW_FN
#undef DW_CAT
#undef DW_CAT2
