/* libdlnn - private: the flat kernel of conv_depthwise.c for small
 * stride-1 planes on AVX-512 (included once, after the AVX-512
 * instantiation of conv_depthwise_simd.h, whose DW_ALIGNR it uses).
 *
 * For narrow outputs (7x7: 7 of 16 lanes used per row by the row
 * kernels) the plane is computed over a flat index t = oy * pw + ox (at
 * most 8 vectors = 128 positions); positions with ox >= ow are computed
 * and dropped by a compress at the store. The padded plane is stored
 * with rows of exactly pw = ow + K - 1 floats, one after the other; tap
 * (ki, kj) of output t is at t + ki * pw + kj. Per kernel row, NV + 1
 * loads and valignd give the shifted taps. (Stride 2 reads the input
 * directly: conv_depthwise_s2.h.) */

#define DW_FLAT_MAX_VEC 8

/* Flat row length of @q's layout. */
static int64_t
flat_pw (const dlnn_win2d * q)
{
  return q->ow + q->kw - 1;
}

/* Floats of the flat plane, a multiple of 16 covering every read: each
 * kernel row loads 16 (nv + 1) floats. */
static int64_t
flat_floats (const dlnn_win2d * q)
{
  int64_t pw = flat_pw (q), nv = (q->oh * pw + 15) / 16;

  return DW_R (16 * (nv + 1) + (q->kh - 1) * pw);
}

/* Whether the flat kernel applies: stride 1, fewer lanes wasted than
 * with the row kernels, at most 8 vectors, and the plane fits in the
 * slice. */
static int
flat_ok (const dlnn_win2d * q)
{
  int64_t pw = flat_pw (q);

  return q->sh == 1 && q->sw == 1 && pw < DW_R (q->ow)
      && q->oh * pw <= 16 * DW_FLAT_MAX_VEC
      && flat_floats (q) <= simd_slice (q) - DW_SLACK - DW_ROUND;
}

/* Lanes [k, k + 16) of the pair (a, b), 0 <= k < 5 (an immediate for
 * valignd once k is constant). */
DW_TARGET_512 static inline __attribute__ ((always_inline)) __m512
flat_shift (__m512 a, __m512 b, const int k)
{
  switch (k) {
    case 1:
      return DW_ALIGNR (b, a, 1);
    case 2:
      return DW_ALIGNR (b, a, 2);
    case 3:
      return DW_ALIGNR (b, a, 3);
    case 4:
      return DW_ALIGNR (b, a, 4);
    default:
      return a;
  }
}

/* Zeroes the flat plane at @pp and copies input plane @xp in. */
DW_TARGET_512 static void
flat_pad (const float *restrict xp, const dlnn_win2d * q, float *restrict pp)
{
  const int64_t pw = flat_pw (q), nf = flat_floats (q);
  const int64_t ph = q->oh + q->kh - 1;
  int64_t cols = q->iw < pw - q->pl ? q->iw : pw - q->pl;

  for (int64_t i = 0; i < nf; i += 16)
    _mm512_store_ps (pp + i, _mm512_setzero_ps ());
  if (cols <= 0)
    return;
  for (int64_t iy = 0; iy < q->ih; iy++) {
    int64_t r = iy + q->pt;
    if (r < 0 || r >= ph)
      continue;
    for (int64_t c = 0; c < cols; c += 16) {
      __mmask16 m = cols - c >= 16 ? 0xffff
          : (__mmask16) ((1u << (cols - c)) - 1u);
      _mm512_mask_storeu_ps (pp + r * pw + q->pl + c, m,
          _mm512_maskz_loadu_ps (m, xp + iy * q->iw + c));
    }
  }
}

/* Bias, taps, activation and compressed store of NV vectors of the flat
 * plane @pp (rows of @pw floats). K, NV constants. */
DW_TARGET_512 static inline __attribute__ ((always_inline)) void
flat_plane_k (const float *restrict pp, int64_t pw, const float *wk,
    float bias, float *restrict y, const __mmask16 * mask, int am, float lo,
    float hi, const int K, const int NV)
{
  __m512 acc[DW_FLAT_MAX_VEC];
  float *yp = y;

  _Pragma ("GCC unroll 8")
  for (int v = 0; v < NV; v++)
    acc[v] = _mm512_set1_ps (bias);
  for (int ki = 0; ki < K; ki++) {
    __m512 l0[DW_FLAT_MAX_VEC + 1];
    const float *b0 = pp + ki * pw;
    _Pragma ("GCC unroll 9")
    for (int v = 0; v <= NV; v++)
      l0[v] = _mm512_loadu_ps (b0 + 16 * v);
    _Pragma ("GCC unroll 5")
    for (int kj = 0; kj < K; kj++) {
      __m512 w = _mm512_set1_ps (wk[ki * K + kj]);
      _Pragma ("GCC unroll 8")
      for (int v = 0; v < NV; v++) {
        __m512 t = flat_shift (l0[v], l0[v + 1], kj);
        acc[v] = _mm512_fmadd_ps (t, w, acc[v]);
      }
    }
  }
  _Pragma ("GCC unroll 8")
  for (int v = 0; v < NV; v++) {
    __m512 a = acc[v];
    int cnt = __builtin_popcount (mask[v]);
    if (am == 1)
      a = _mm512_min_ps (_mm512_max_ps (a, _mm512_set1_ps (lo)),
          _mm512_set1_ps (hi));
    else if (am == 2)
      a = DW_SILU (a);
    _mm512_mask_storeu_ps (yp, (__mmask16) ((1u << cnt) - 1u),
        _mm512_maskz_compress_ps (mask[v], a));
    yp += cnt;
  }
}

DW_TARGET_512 static void
flat_plane (const float *restrict pp, const dlnn_win2d * q, const float *wk,
    float bias, float *restrict y, const __mmask16 * mask,
    const dlnn_fused_act * act)
{
  const int64_t pw = flat_pw (q);
  const int nv = (int) ((q->oh * pw + 15) / 16);
  int am = !act ? 0 : (act->kind == DLNN_FUSED_RELU
      || act->kind == DLNN_FUSED_CLIP) ? 1
      : (act->kind == DLNN_FUSED_SWISH ? 2 : 0);
  float lo = act ? act->lo : 0.0f;
  float hi = act && act->kind == DLNN_FUSED_CLIP ? act->hi : FLT_MAX;

#define DW_FLAT(K, NV) flat_plane_k (pp, pw, wk, bias, y, mask, am, lo, \
      hi, K, NV)
#define DW_FLAT_K(K) switch (nv) { \
    case 1: DW_FLAT (K, 1); break; case 2: DW_FLAT (K, 2); break; \
    case 3: DW_FLAT (K, 3); break; case 4: DW_FLAT (K, 4); break; \
    case 5: DW_FLAT (K, 5); break; case 6: DW_FLAT (K, 6); break; \
    case 7: DW_FLAT (K, 7); break; default: DW_FLAT (K, 8); break; }
  if (q->kh == 3)
    DW_FLAT_K (3)
  else
    DW_FLAT_K (5)
#undef DW_FLAT_K
#undef DW_FLAT
}
