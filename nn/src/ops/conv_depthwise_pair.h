/* libdlnn - private: the AVX-512 depthwise kernel of conv_depthwise.c
 * for planes of at most 8 output columns (7x7 outputs: the last stages
 * of MobileNet and EfficientNet, stride 1 and 2) that computes two output
 * planes per vector: lanes 0-7 hold 8 columns of plane A, lanes 8-15 the
 * same columns of plane B. Included once, after conv_depthwise_s2.h
 * (DW_TARGET_512, DW_SILU).
 *
 * The row kernels use 7 of 16 lanes on such planes (the flat one 49 of
 * 64 but needs a padded copy and valignd per tap). Here each input row
 * the window reads is one masked load per plane (16 columns from -pl:
 * the whole padded row, so iw + pl <= 16; lanes outside the row are
 * zero), and each tap kj of both planes one vpermt2ps of the two rows
 * (lane ox of A takes column S ox + kj - pl of A's row, lane 8 + ox the
 * same of B's; indices past the 16 loaded columns are padding and
 * zeroed). PAIR_RB output rows share each input row; the weights of the
 * two planes are merged into one vector per tap (A's below B's). */

#define PAIR_RB 8

/* Whether the pair kernel applies to @q (on AVX-512). */
static int
pair_ok (const dlnn_win2d * q)
{
  return q->ow <= 8 && q->iw + q->pl <= 16;
}

/* Output rows [oy, oy + RB) of planes A (@ya) and B (@yb; NULL: only A)
 * from input rows @xa, @xb. K, S, RB constants. */
DW_TARGET_512 static inline __attribute__ ((always_inline)) void
pair_rows (const float *restrict xa, const float *restrict xb,
    const dlnn_win2d * q, const __m512 * wv, __m512 bias, float *restrict ya,
    float *restrict yb, int64_t oy, __mmask16 ml, __mmask16 ms, int am,
    __m512 lo, __m512 hi, const int K, const int S, const int RB)
{
  __m512 acc[PAIR_RB];

  _Pragma ("GCC unroll 8")
  for (int r = 0; r < RB; r++)
    acc[r] = bias;
  _Pragma ("GCC unroll 19")
  for (int ii = 0; ii < (RB - 1) * S + K; ii++) {
    const int64_t iy = S * oy - q->pt + ii;
    __m512 ra, rb;

    if (iy < 0 || iy >= q->ih)
      continue;
    ra = _mm512_maskz_loadu_ps (ml, xa + iy * q->iw - q->pl);
    rb = _mm512_maskz_loadu_ps (ml, xb + iy * q->iw - q->pl);
    _Pragma ("GCC unroll 5")
    for (int kj = 0; kj < K; kj++) {
      /* lane l: column S (l % 8) + kj of A's (l < 8) or B's row; zero
       * past the 16 loaded */
      unsigned zm = 0;
      int id[16];
      for (int l = 0; l < 16; l++) {
        int c = S * (l % 8) + kj;
        id[l] = (c & 15) + (l < 8 ? 0 : 16);
        if (c < 16)
          zm |= 1u << l;
      }
      __m512 t = _mm512_maskz_permutex2var_ps ((__mmask16) zm, ra,
          _mm512_setr_epi32 (id[0], id[1], id[2], id[3], id[4], id[5],
              id[6], id[7], id[8], id[9], id[10], id[11], id[12], id[13],
              id[14], id[15]), rb);
      _Pragma ("GCC unroll 8")
      for (int r = 0; r < RB; r++) {
        const int ki = ii - S * r;
        if (ki < 0 || ki >= K)
          continue;
        acc[r] = _mm512_fmadd_ps (t, wv[ki * K + kj], acc[r]);
      }
    }
  }
  _Pragma ("GCC unroll 8")
  for (int r = 0; r < RB; r++) {
    __m512 v = acc[r];
    if (am == 1)
      v = _mm512_min_ps (_mm512_max_ps (v, lo), hi);
    else if (am == 2)
      v = DW_SILU (v);
    _mm512_mask_storeu_ps (ya + (oy + r) * q->ow, ms, v);
    if (yb)
      _mm512_mask_storeu_ps (yb + (oy + r) * q->ow, ms,
          _mm512_shuffle_f32x4 (v, v, 0xee));
  }
}

DW_TARGET_512 static inline __attribute__ ((always_inline)) void
pair_planes_k (const float *restrict xa, const float *restrict xb,
    const dlnn_win2d * q, const float *wa, const float *wb, float ba,
    float bb, float *restrict ya, float *restrict yb, int am, __m512 lo,
    __m512 hi, const int K, const int S)
{
  const __mmask16 ml = (__mmask16) (((1u << q->iw) - 1u) << q->pl);
  const __mmask16 ms = (__mmask16) ((1u << q->ow) - 1u);
  const __m512 bias = _mm512_mask_mov_ps (_mm512_set1_ps (ba), 0xff00,
      _mm512_set1_ps (bb));
  __m512 wv[25];
  int64_t oy = 0;

  for (int t = 0; t < K * K; t++)
    wv[t] = _mm512_mask_mov_ps (_mm512_set1_ps (wa[t]), 0xff00,
        _mm512_set1_ps (wb[t]));
#define DW_PAIR_ROWS(R) pair_rows (xa, xb, q, wv, bias, ya, yb, oy, ml, ms, \
      am, lo, hi, K, S, R)
  for (; oy + PAIR_RB <= q->oh; oy += PAIR_RB)
    DW_PAIR_ROWS (PAIR_RB);
  switch (q->oh - oy) {
    case 7:
      DW_PAIR_ROWS (7);
      break;
    case 6:
      DW_PAIR_ROWS (6);
      break;
    case 5:
      DW_PAIR_ROWS (5);
      break;
    case 4:
      DW_PAIR_ROWS (4);
      break;
    case 3:
      DW_PAIR_ROWS (3);
      break;
    case 2:
      DW_PAIR_ROWS (2);
      break;
    case 1:
      DW_PAIR_ROWS (1);
      break;
    default:
      break;
  }
#undef DW_PAIR_ROWS
}

/* Output planes @ya and @yb (NULL: only @ya; then @xb, @wb, @bb may be
 * @xa's) of input planes @xa, @xb with filters @wa, @wb and biases. */
DW_TARGET_512 static void
pair_planes (const float *restrict xa, const float *restrict xb,
    const dlnn_win2d * q, const float *wa, const float *wb, float ba,
    float bb, float *restrict ya, float *restrict yb,
    const dlnn_fused_act * act)
{
  float flo, fhi;
  const int am = dw_act_mode (act, &flo, &fhi);
  const __m512 lo = _mm512_set1_ps (flo), hi = _mm512_set1_ps (fhi);
#define DW_PAIR(K, S) pair_planes_k (xa, xb, q, wa, wb, ba, bb, ya, yb, am, \
      lo, hi, K, S)
  if (q->kh == 3 && q->sh == 1)
    DW_PAIR (3, 1);
  else if (q->kh == 3)
    DW_PAIR (3, 2);
  else if (q->sh == 1)
    DW_PAIR (5, 1);
  else
    DW_PAIR (5, 2);
#undef DW_PAIR
}
