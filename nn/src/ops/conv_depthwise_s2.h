/* libdlnn - private: the AVX-512 depthwise kernel of conv_depthwise.c
 * that reads the input plane directly (no padded copy): stride 2, and
 * stride 1 with rows of at most one vector (14x14 and smaller planes).
 * Included once, after the AVX-512 instantiation of conv_depthwise_simd.h
 * (DW_TARGET_512, DW_EVEN, DW_ODD).
 *
 * For 16 outputs of a row starting at column ox, each input row the
 * window reads gives its K taps from masked loads: stride 1, K loads at
 * ox - pl + kj; stride 2, K + 1 loads at 2 ox - pl + {0, 16, 2, 18, 4,
 * 20}, the evens and odds of the pairs (vpermt2ps) being taps 0, 1
 * (2, 3) and 4; for 3x3, tap 2 is tap 0 one lane on (valignd with the
 * column at 2 ox - pl + 32): 3 loads and 3 shuffles, not 4 and 3
 * (features.2 of mobilenet_v2 alone 0.141 -> 0.125 ms). The masks are zero for columns outside the input row
 * (the zero padding); rows outside the plane are skipped. DW_S2_RB
 * output rows share each input row they read, and the rows the next
 * block starts reading are prefetched (without: features.2 of
 * mobilenet_v2, 112x112 input, was twice as slow as with the padded
 * copy). */

#define DW_S2_RB 4

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
  __mmask16 m[6];
  __m512 acc[DW_S2_RB];

  _Pragma ("GCC unroll 6")
  for (int j = 0; j < 6; j++)
    if (j < (S == 1 ? K : K + 1))
      m[j] = s2_mask (base + (S == 1 ? j : (j & 1) * 16 + (j / 2) * 2),
          q->iw);
  const __mmask16 mc = s2_mask (base + 32, q->iw) & 1;
  _Pragma ("GCC unroll 4")
  for (int r = 0; r < RB; r++)
    acc[r] = _mm512_set1_ps (bias);
  _Pragma ("GCC unroll 11")
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
    _Pragma ("GCC unroll 3")
    for (int j = 0; j < 3; j++) {
      if (S != 2 || K == 3 || j >= (K + 1) / 2)
        continue;
      __m512 a = _mm512_maskz_loadu_ps (m[2 * j], row + 2 * j);
      __m512 b = _mm512_maskz_loadu_ps (m[2 * j + 1], row + 2 * j + 16);
      t[2 * j] = DW_EVEN (a, b);
      if (2 * j + 1 < K)
        t[2 * j + 1] = DW_ODD (a, b);
    }
    _Pragma ("GCC unroll 4")
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
  _Pragma ("GCC unroll 4")
  for (int r = 0; r < RB; r++) {
    __m512 v = acc[r];
    float *yp = y + (oy + r) * q->ow + ox;
    if (am == 1)
      v = _mm512_min_ps (_mm512_max_ps (v, lo), hi);
    else if (am == 2)
      v = dlnn_silu_avx512 (v);
    _mm512_mask_storeu_ps (yp, (__mmask16) ((1u << nlast) - 1u), v);
  }
}

/* Output rows [oy, oy + RB), all columns. */
DW_TARGET_512 static inline __attribute__ ((always_inline)) void
s2_rows (const float *restrict xp, const dlnn_win2d * q,
    const float *restrict wk, float bias, float *restrict y, int64_t oy,
    int am, __m512 lo, __m512 hi, const int K, const int S, const int RB)
{
  /* the rows the next block reads first: one sequential stream */
  const int64_t r0 = S * (oy + RB) - q->pt + K - S;
  for (int64_t r = r0 < 0 ? 0 : r0; r < r0 + S * RB && r < q->ih; r++)
    for (int64_t c = 0; c < q->iw; c += 16)
      _mm_prefetch ((const char *) (xp + r * q->iw + c), _MM_HINT_T0);
  for (int64_t ox = 0; ox < q->ow; ox += 16) {
    int nl = q->ow - ox < 16 ? (int) (q->ow - ox) : 16;
    s2_tile (xp, q, wk, bias, y, oy, ox, nl, am, lo, hi, K, S, RB);
  }
}

DW_TARGET_512 static inline __attribute__ ((always_inline)) void
s2_plane_k (const float *restrict xp, const dlnn_win2d * q,
    const float *restrict wk, float bias, float *restrict y, int am,
    __m512 lo, __m512 hi, const int K, const int S)
{
  int64_t oy = 0;

  for (; oy + DW_S2_RB <= q->oh; oy += DW_S2_RB)
    s2_rows (xp, q, wk, bias, y, oy, am, lo, hi, K, S, DW_S2_RB);
  switch (q->oh - oy) {
    case 3:
      s2_rows (xp, q, wk, bias, y, oy, am, lo, hi, K, S, 3);
      break;
    case 2:
      s2_rows (xp, q, wk, bias, y, oy, am, lo, hi, K, S, 2);
      break;
    case 1:
      s2_rows (xp, q, wk, bias, y, oy, am, lo, hi, K, S, 1);
      break;
    default:
      break;
  }
}

/* One output plane of a stride-2 3x3 or 5x5 depthwise conv from input
 * plane @xp. */
DW_TARGET_512 static void
s2_plane (const float *restrict xp, const dlnn_win2d * q,
    const float *restrict wk, float bias, float *restrict y,
    const dlnn_fused_act * act)
{
  const int am = !act ? 0 : (act->kind == DLNN_FUSED_RELU
      || act->kind == DLNN_FUSED_CLIP) ? 1
      : (act->kind == DLNN_FUSED_SWISH ? 2 : 0);
  __m512 lo = _mm512_setzero_ps (), hi = lo;

  if (am == 1) {
    lo = _mm512_set1_ps (act->lo);
    hi = _mm512_set1_ps (act->kind == DLNN_FUSED_RELU ? FLT_MAX : act->hi);
  }
  if (q->kh == 3 && q->sh == 1)
    s2_plane_k (xp, q, wk, bias, y, am, lo, hi, 3, 1);
  else if (q->kh == 3)
    s2_plane_k (xp, q, wk, bias, y, am, lo, hi, 3, 2);
  else if (q->sh == 1)
    s2_plane_k (xp, q, wk, bias, y, am, lo, hi, 5, 1);
  else
    s2_plane_k (xp, q, wk, bias, y, am, lo, hi, 5, 2);
}
