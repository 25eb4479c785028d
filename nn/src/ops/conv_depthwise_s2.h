/* libdlnn - private: the AVX-512 depthwise kernel of conv_depthwise.c
 * that reads the input plane directly (no padded copy): stride 2, and
 * stride 1 with rows of at most 32 columns or with SiLU (see
 * dw_simd_job_fn). Included once, after the AVX-512 instantiation of
 * conv_depthwise_simd.h (DW_TARGET_512, DW_EVEN, DW_ODD, DW_ALIGNR).
 *
 * For 16 outputs of a row starting at column ox, each input row the
 * window reads gives its K taps from masked loads: stride 1, K loads at
 * ox - pl + kj; stride 2, two loads at 2 ox - pl + {0, 16} whose evens
 * and odds (vpermt2ps) are taps 0 and 1, and taps 2 (3, 4) are taps 0
 * (1, 2) one lane on (valignd with the single column 2 ox - pl + 32 (33,
 * 34)): 3x3 3 loads and 3 shuffles, not 4 and 3 (features.2 of
 * mobilenet_v2 alone 0.141 -> 0.125 ms), 5x5 5 and 5, not 6 and 5
 * (efficientnet_b0's features.3.0 in the network 0.137 -> 0.121-0.131).
 * The masks are zero for columns outside the input row (the zero
 * padding); rows outside the plane are skipped. RB output rows share
 * each input row they read (4 for 3x3 stride 2, 8 otherwise: measured),
 * and the rows the next block starts reading are prefetched (without:
 * features.2 of mobilenet_v2, 112x112 input, was twice as slow as with
 * the padded copy). */

#ifndef DW_S2_RB
#define DW_S2_RB 4
#endif
#define DW_RB_MAX 8

/* Lanes of the 16 floats at input column @base that lie in [0, iw). */
DW_TARGET_512 static inline __attribute__ ((always_inline)) __mmask16
s2_mask (int64_t base, int64_t iw)
{
  int64_t lo = base < 0 ? -base : 0, hi = iw - base;

  if (hi > 16)
    hi = 16;
  if (lo >= hi)
    return 0;
  return (__mmask16) (((1u << hi) - 1u) & ~((1u << lo) - 1u));
}

/* Output rows [oy, oy + RB), the 16 (last: @nlast) outputs from column
 * @ox. K, RB constants. */
DW_TARGET_512 static inline __attribute__ ((always_inline)) void
s2_tile (const float *restrict xp, const dlnn_win2d * q,
    const float *restrict wk, float bias, float *restrict y, int64_t oy,
    int64_t ox, int nlast, int am, __m512 lo, __m512 hi, const int K,
    const int S, const int RB)
{
  const int64_t base = S * ox - q->pl;
  __mmask16 m[5];
  __m512 acc[DW_RB_MAX];

  _Pragma ("GCC unroll 5")
  for (int j = 0; j < 5; j++)
    if (j < (S == 1 ? K : 2))
      m[j] = s2_mask (base + (S == 1 ? j : j * 16), q->iw);
  const __mmask16 mc = s2_mask (base + 32, q->iw) & 1;
  const __mmask16 md = s2_mask (base + 33, q->iw) & 1;
  const __mmask16 me = s2_mask (base + 34, q->iw) & 1;
  _Pragma ("GCC unroll 8")
  for (int r = 0; r < RB; r++)
    acc[r] = _mm512_set1_ps (bias);
  _Pragma ("GCC unroll 19")
  for (int ii = 0; ii < (RB - 1) * S + K; ii++) {
    const int64_t iy = S * oy - q->pt + ii;
    const float *row = xp + iy * q->iw + base;
    __m512 t[5];

    if (iy < 0 || iy >= q->ih)
      continue;
    if (S == 1) {
      _Pragma ("GCC unroll 5")
      for (int j = 0; j < K; j++)
        t[j] = _mm512_maskz_loadu_ps (m[j], row + j);
    }
    if (S == 2 && K == 3) {
      /* tap 2 = tap 0 shifted by one lane, column 2 ox + 32 last */
      __m512 a = _mm512_maskz_loadu_ps (m[0], row);
      __m512 b = _mm512_maskz_loadu_ps (m[1], row + 16);
      __m512 c = _mm512_maskz_loadu_ps (mc, row + 32);
      t[0] = DW_EVEN (a, b);
      t[1] = DW_ODD (a, b);
      t[2] = DW_ALIGNR (c, t[0], 1);
    }
    if (S == 2 && K == 5) {
      /* taps 2, 3, 4 = taps 0, 1, 2 shifted by one lane, columns
       * 2 ox + 32, 33, 34 last */
      __m512 a = _mm512_maskz_loadu_ps (m[0], row);
      __m512 b = _mm512_maskz_loadu_ps (m[1], row + 16);
      t[0] = DW_EVEN (a, b);
      t[1] = DW_ODD (a, b);
      t[2] = DW_ALIGNR (_mm512_maskz_loadu_ps (mc, row + 32), t[0], 1);
      t[3] = DW_ALIGNR (_mm512_maskz_loadu_ps (md, row + 33), t[1], 1);
      t[4] = DW_ALIGNR (_mm512_maskz_loadu_ps (me, row + 34), t[2], 1);
    }
    _Pragma ("GCC unroll 8")
    for (int r = 0; r < RB; r++) {
      const int ki = ii - S * r;
      if (ki < 0 || ki >= K)
        continue;
      _Pragma ("GCC unroll 5")
      for (int kj = 0; kj < K; kj++)
        acc[r] = _mm512_fmadd_ps (t[kj], _mm512_set1_ps (wk[ki * K + kj]),
            acc[r]);
    }
  }
  _Pragma ("GCC unroll 8")
  for (int r = 0; r < RB; r++) {
    __m512 v = acc[r];
    float *yp = y + (oy + r) * q->ow + ox;
    if (am == 1)
      v = _mm512_min_ps (_mm512_max_ps (v, lo), hi);
    else if (am == 2)
      v = DW_SILU (v);
    _mm512_mask_storeu_ps (yp, (__mmask16) ((1u << nlast) - 1u), v);
  }
}

/* Output rows [oy, oy + RB), all columns. */
DW_TARGET_512 static inline __attribute__ ((always_inline)) void
s2_rows (const float *restrict xp, const dlnn_win2d * q,
    const float *restrict wk, float bias, float *restrict y, int64_t oy,
    int am, __m512 lo, __m512 hi, const int K, const int S, const int RB)
{
  /* the rows the next block starts reading, as one range: past the end
   * of the plane it is the start of the next one (in the network,
   * mobilenet_v2's features.2 0.18 -> 0.13 ms against rows of this
   * plane only) */
  {
    const int64_t r0 = S * (oy + RB) - q->pt + K - S;
    uintptr_t p = (uintptr_t) xp + (uintptr_t) ((r0 < 0 ? 0 : r0) * q->iw)
        * sizeof (float);
    uintptr_t e = (uintptr_t) xp + (uintptr_t) ((r0 + S * RB) * q->iw)
        * sizeof (float);
    for (; p < e; p += 64)
      _mm_prefetch ((const char *) p, _MM_HINT_T0);
  }
  for (int64_t ox = 0; ox < q->ow; ox += 16) {
    int nl = q->ow - ox < 16 ? (int) (q->ow - ox) : 16;
    s2_tile (xp, q, wk, bias, y, oy, ox, nl, am, lo, hi, K, S, RB);
  }
}

/* Output rows in blocks of RB (a constant), then the rest. */
DW_TARGET_512 static inline __attribute__ ((always_inline)) void
s2_plane_rb (const float *restrict xp, const dlnn_win2d * q,
    const float *restrict wk, float bias, float *restrict y, int am,
    __m512 lo, __m512 hi, const int K, const int S, const int RB)
{
  int64_t oy = 0;

#define DW_S2_ROWS(R) s2_rows (xp, q, wk, bias, y, oy, am, lo, hi, K, S, R)
  for (; oy + RB <= q->oh; oy += RB)
    DW_S2_ROWS (RB);
  switch (q->oh - oy) {
    case 7:
      if (RB > 7)
        DW_S2_ROWS (7);
      break;
    case 6:
      if (RB > 6)
        DW_S2_ROWS (6);
      break;
    case 5:
      if (RB > 5)
        DW_S2_ROWS (5);
      break;
    case 4:
      if (RB > 4)
        DW_S2_ROWS (4);
      break;
    case 3:
      DW_S2_ROWS (3);
      break;
    case 2:
      DW_S2_ROWS (2);
      break;
    case 1:
      DW_S2_ROWS (1);
      break;
    default:
      break;
  }
#undef DW_S2_ROWS
}

DW_TARGET_512 static inline __attribute__ ((always_inline)) void
s2_plane_k (const float *restrict xp, const dlnn_win2d * q,
    const float *restrict wk, float bias, float *restrict y, int am,
    __m512 lo, __m512 hi, const int K, const int S)
{
  s2_plane_rb (xp, q, wk, bias, y, am, lo, hi, K, S, S == 2 && K == 3
      ? DW_S2_RB : DW_RB_MAX);
}

/* One output plane of a stride-2 3x3 or 5x5 depthwise conv from input
 * plane @xp. */
DW_TARGET_512 static void
s2_plane (const float *restrict xp, const dlnn_win2d * q,
    const float *restrict wk, float bias, float *restrict y,
    const dlnn_fused_act * act)
{
  float flo, fhi;
  const int am = dw_act_mode (act, &flo, &fhi);
  const __m512 lo = _mm512_set1_ps (flo), hi = _mm512_set1_ps (fhi);
  if (q->kh == 3 && q->sh == 1)
    s2_plane_k (xp, q, wk, bias, y, am, lo, hi, 3, 1);
  else if (q->kh == 3)
    s2_plane_k (xp, q, wk, bias, y, am, lo, hi, 3, 2);
  else if (q->sh == 1)
    s2_plane_k (xp, q, wk, bias, y, am, lo, hi, 5, 1);
  else
    s2_plane_k (xp, q, wk, bias, y, am, lo, hi, 5, 2);
}
