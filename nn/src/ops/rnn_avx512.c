/* libdlnn - the AVX-512 parts of GRU and LSTM at inference (see rnn.h):
 * the recurrent product of a step from packed weights and the gate
 * nonlinearities.
 *
 * Packed R: the m outputs (rows of R, m x k row major) are nb = m / 16
 * (rounded up) blocks of 16, grouped into np = nb / 16 (rounded up)
 * panels of nearly equal size (panel p: blocks [nb p / np, nb (p+1) /
 * np)). A panel of w blocks is k rows of 16 w floats: row j holds column
 * j of the panel's rows of R (zero beyond m). A step's product y = R h
 * runs down each panel with one zmm accumulator per block: per j one
 * broadcast of h[j] and w FMAs from one sequential stream, no horizontal
 * sums (the row-major GEMV sums 16 lanes per row at its end, which on a
 * 128-wide state costs about as much as the products). With 12 to 16
 * blocks per panel the loads of one j cover 768 to 1024 contiguous bytes,
 * which keeps enough L2 requests in flight: 512 x 128 from L2 at 1.4 us
 * a step against 2.1 us with 8-block panels and 2.1 us for the row-major
 * dlnn_sgemv_avx512 (an m x k matrix of 256 kB does not fit L1).
 *
 * Gates: exp by the Cephes polynomial of vmath.h with 2^n applied by
 * vscalefps; 1/x by vrcp14ps and one Newton step (about 1 ulp); a
 * sigmoid is exp + one reciprocal, a tanh (|x| >= 0.625) likewise. The
 * AVX2 forms of vmath.h spend most of their time in vdivps there.
 *
 * Compiled for AVX-512 F with a target pragma; called only when
 * dlnn_rnn_pack_usable () (rnn.c). */
#include "rnn.h"
#include "vmath.h"

#if defined(__x86_64__) && defined(__GNUC__)

#pragma GCC push_options
#pragma GCC target("avx512f,fma")
#include <immintrin.h>

#include "simd_transpose.h"

#define MAX_PANEL 16            /* blocks */

static inline __mmask16
mask_of (int64_t left)
{
  return left >= 16 ? (__mmask16) 0xffff : left <= 0 ? (__mmask16) 0
      : (__mmask16) ((1u << left) - 1);
}

/* First block of panel p of np over nb blocks */
static inline int64_t
panel_start (int64_t nb, int64_t np, int64_t p)
{
  return nb * p / np;
}

void
dlnn_rnn_pack (const float *r, int64_t k, int g, int64_t h, int64_t u0,
    int64_t n, float *packed)
{
  const int64_t m = g * n, nb = (m + 15) / 16;
  const int64_t np = (nb + MAX_PANEL - 1) / MAX_PANEL;

  for (int64_t p = 0; p < np; p++) {
    int64_t b0 = panel_start (nb, np, p), b1 = panel_start (nb, np, p + 1);
    int64_t ld = (b1 - b0) * 16;
    float *panel = packed + b0 * 16 * k;

    for (int64_t q = b0; q < b1; q++) {
      const float *row[16];
      float *dst = panel + (q - b0) * 16;

      /* packed row q * 16 + i is row (gate a, unit u0 + c) of R */
      for (int i = 0; i < 16; i++) {
        int64_t idx = q * 16 + i;
        row[i] = idx < m ? r + ((idx / n) * h + u0 + idx % n) * k : NULL;
      }
      for (int64_t j0 = 0; j0 < k; j0 += 16) {
        __mmask16 mk = mask_of (k - j0);
        int64_t nc = k - j0 < 16 ? k - j0 : 16;
        __m512 v[16];

        for (int i = 0; i < 16; i++)
          v[i] = row[i] ? _mm512_maskz_loadu_ps (mk, row[i] + j0)
              : _mm512_setzero_ps ();
        dlnn_transpose16_avx512 (v);
        for (int64_t c = 0; c < nc; c++)
          _mm512_storeu_ps (dst + (j0 + c) * ld, v[c]);
      }
    }
  }
}

/* y[0, 16 nv) (+)= the nv blocks at p (row stride ld) times x; the last
 * vector of y masked by @last */
static inline __attribute__((always_inline)) void
gemv_blocks (const float *restrict p, int64_t ld, int64_t k,
    const float *restrict x, float *restrict y, int nv, __mmask16 last,
    int acc)
{
  __m512 s[MAX_PANEL];

#pragma GCC unroll 16
  for (int i = 0; i < nv; i++)
    s[i] = acc ? _mm512_maskz_loadu_ps (i == nv - 1 ? last : 0xffff,
        y + 16 * i) : _mm512_setzero_ps ();
  for (int64_t j = 0; j < k; j++) {
    __m512 xb = _mm512_set1_ps (x[j]);
#pragma GCC unroll 16
    for (int i = 0; i < nv; i++)
      s[i] = _mm512_fmadd_ps (_mm512_loadu_ps (p + j * ld + i * 16), xb,
          s[i]);
  }
#pragma GCC unroll 16
  for (int i = 0; i < nv; i++)
    _mm512_mask_storeu_ps (y + 16 * i, i == nv - 1 ? last : 0xffff, s[i]);
}

#define GEMV_CASE(nv) \
  case nv: gemv_blocks (p, ld, k, x, y, nv, last, acc); break

static void
gemv_range (const float *p, int64_t ld, int64_t k, const float *x, float *y,
    int nv, __mmask16 last, int acc)
{
  switch (nv) {
      GEMV_CASE (16);
      GEMV_CASE (15);
      GEMV_CASE (14);
      GEMV_CASE (13);
      GEMV_CASE (12);
      GEMV_CASE (11);
      GEMV_CASE (10);
      GEMV_CASE (9);
      GEMV_CASE (8);
      GEMV_CASE (7);
      GEMV_CASE (6);
      GEMV_CASE (5);
      GEMV_CASE (4);
      GEMV_CASE (3);
      GEMV_CASE (2);
      GEMV_CASE (1);
    default:
      break;
  }
}

#undef GEMV_CASE

void
dlnn_rnn_gemv (const float *packed, int64_t m, int64_t k, int64_t v0,
    int64_t v1, const float *x, float *y, int acc)
{
  const int64_t nb = (m + 15) / 16, np = (nb + MAX_PANEL - 1) / MAX_PANEL;

  for (int64_t p = 0; p < np; p++) {
    int64_t b0 = panel_start (nb, np, p), b1 = panel_start (nb, np, p + 1);
    int64_t lo = v0 > b0 ? v0 : b0, hi = v1 < b1 ? v1 : b1;

    if (lo >= hi)
      continue;
    gemv_range (packed + b0 * 16 * k + (lo - b0) * 16, (b1 - b0) * 16, k,
        x, y + lo * 16, (int) (hi - lo),
        hi == nb ? mask_of (m - (nb - 1) * 16) : (__mmask16) 0xffff, acc);
  }
}

/* exp(x): Cephes' polynomial on x - n ln 2 (vmath.h), times 2^n by
 * vscalefps (exact, with gradual underflow); NaN stays NaN (vminps /
 * vmaxps return their second operand on NaN). */
static inline __m512
v_exp (__m512 x)
{
  __m512 n, r, r2, p;

  x = _mm512_min_ps (_mm512_set1_ps (89.0f), x);
  x = _mm512_max_ps (_mm512_set1_ps (-104.0f), x);
  n = _mm512_roundscale_ps (_mm512_mul_ps (x,
          _mm512_set1_ps (DLNN_EXP_LOG2E)),
      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  r = _mm512_fnmadd_ps (n, _mm512_set1_ps (DLNN_EXP_LN2_HI), x);
  r = _mm512_fnmadd_ps (n, _mm512_set1_ps (DLNN_EXP_LN2_LO), r);
  r2 = _mm512_mul_ps (r, r);
  p = DLNN_EXP_POLY (_mm512_fmadd_ps, _mm512_set1_ps, r, r2);
  p = _mm512_add_ps (p, _mm512_set1_ps (1.0f));
  return _mm512_scalef_ps (p, n);
}

/* 1 / d for d >= 1 (finite) */
static inline __m512
v_rcp (__m512 d)
{
  __m512 r = _mm512_rcp14_ps (d);
  __m512 e = _mm512_fnmadd_ps (d, r, _mm512_set1_ps (1.0f));
  return _mm512_fmadd_ps (r, e, r);
}

/* 1 / (1 + exp (-x)), as e^x / (1 + e^x) for x < 0 */
static inline __m512
v_sigmoid (__m512 x)
{
  __m512 neg = _mm512_castsi512_ps (_mm512_or_epi32 (_mm512_castps_si512
          (x), _mm512_set1_epi32 ((int) 0x80000000u)));
  __m512 e = v_exp (neg);
  __m512 r = v_rcp (_mm512_add_ps (e, _mm512_set1_ps (1.0f)));
  __mmask16 m = _mm512_cmp_ps_mask (x, _mm512_setzero_ps (), _CMP_LT_OQ);
  return _mm512_mul_ps (_mm512_mask_blend_ps (m, _mm512_set1_ps (1.0f), e),
      r);
}

/* tanh: Cephes' odd polynomial for |x| < 0.625, else
 * 1 - 2 / (exp (2 |x|) + 1) (|x| clamped to 9.5, where tanh is 1 in
 * float), with the sign of x */
static inline __m512
v_tanh (__m512 x)
{
  const __m512i sgnbit = _mm512_set1_epi32 ((int) 0x80000000u);
  __m512i xi = _mm512_castps_si512 (x);
  __m512i sgn = _mm512_and_epi32 (xi, sgnbit);
  __m512 a = _mm512_castsi512_ps (_mm512_andnot_epi32 (sgnbit, xi));
  __m512 z = _mm512_mul_ps (a, a), p, small, big;
  __mmask16 m = _mm512_cmp_ps_mask (a, _mm512_set1_ps (0.625f),
      _CMP_LT_OQ);

  p = _mm512_set1_ps (-5.70498872745e-3f);
  p = _mm512_fmadd_ps (p, z, _mm512_set1_ps (2.06390887954e-2f));
  p = _mm512_fmadd_ps (p, z, _mm512_set1_ps (-5.37397155531e-2f));
  p = _mm512_fmadd_ps (p, z, _mm512_set1_ps (1.33314422036e-1f));
  p = _mm512_fmadd_ps (p, z, _mm512_set1_ps (-3.33332819422e-1f));
  small = _mm512_fmadd_ps (_mm512_mul_ps (p, z), a, a);
  big = v_exp (_mm512_add_ps (_mm512_min_ps (_mm512_set1_ps (9.5f), a),
          _mm512_min_ps (_mm512_set1_ps (9.5f), a)));
  big = v_rcp (_mm512_add_ps (big, _mm512_set1_ps (1.0f)));
  big = _mm512_fnmadd_ps (_mm512_set1_ps (2.0f), big, _mm512_set1_ps (1.0f));
  return _mm512_castsi512_ps (_mm512_or_epi32 (_mm512_castps_si512
          (_mm512_mask_blend_ps (m, big, small)), sgn));
}

void
dlnn_rnn_sigmoid_add_avx512 (float *g, const float *rb, int64_t n)
{
  for (int64_t j = 0; j < n; j += 16) {
    __mmask16 mk = mask_of (n - j);
    __m512 v = _mm512_maskz_loadu_ps (mk, g + j);
    if (rb)
      v = _mm512_add_ps (v, _mm512_maskz_loadu_ps (mk, rb + j));
    _mm512_mask_storeu_ps (g + j, mk, v_sigmoid (v));
  }
}

void
dlnn_rnn_gru_state_avx512 (int64_t h, float *g, const float *rb,
    const float *rbh, const float *hp, float *lin, float *hc)
{
  for (int64_t j = 0; j < h; j += 16) {
    __mmask16 mk = mask_of (h - j);
    __m512 z = _mm512_maskz_loadu_ps (mk, g + j);
    __m512 a = _mm512_maskz_loadu_ps (mk, g + 2 * h + j);
    __m512 u = _mm512_maskz_loadu_ps (mk, rb + 2 * h + j), hh, hpv;

    if (lin) {
      if (rbh)
        u = _mm512_add_ps (u, _mm512_maskz_loadu_ps (mk, rbh + j));
      _mm512_mask_storeu_ps (lin + j, mk, u);
      a = _mm512_fmadd_ps (_mm512_maskz_loadu_ps (mk, g + h + j), u, a);
    } else {
      a = _mm512_add_ps (a, u);
    }
    hh = v_tanh (a);
    _mm512_mask_storeu_ps (g + 2 * h + j, mk, hh);
    hpv = _mm512_maskz_loadu_ps (mk, hp + j);
    _mm512_mask_storeu_ps (hc + j, mk, _mm512_fmadd_ps (z,
            _mm512_sub_ps (hpv, hh), hh));
  }
}

void
dlnn_rnn_gru_lbr_avx512 (int64_t n, float *g, int64_t gs, const float *y,
    const float *rbh, const float *hp, float *lin, float *hc)
{
  for (int64_t j = 0; j < n; j += 16) {
    __mmask16 mk = mask_of (n - j);
    __m512 z = v_sigmoid (_mm512_add_ps (_mm512_maskz_loadu_ps (mk, g + j),
            _mm512_maskz_loadu_ps (mk, y + j)));
    __m512 r = v_sigmoid (_mm512_add_ps (_mm512_maskz_loadu_ps (mk,
                g + gs + j), _mm512_maskz_loadu_ps (mk, y + n + j)));
    __m512 u = _mm512_maskz_loadu_ps (mk, y + 2 * n + j), hh;

    if (rbh)
      u = _mm512_add_ps (u, _mm512_maskz_loadu_ps (mk, rbh + j));
    hh = v_tanh (_mm512_fmadd_ps (r, u, _mm512_maskz_loadu_ps (mk,
                g + 2 * gs + j)));
    _mm512_mask_storeu_ps (g + j, mk, z);
    _mm512_mask_storeu_ps (g + gs + j, mk, r);
    _mm512_mask_storeu_ps (g + 2 * gs + j, mk, hh);
    _mm512_mask_storeu_ps (lin + j, mk, u);
    _mm512_mask_storeu_ps (hc + j, mk, _mm512_fmadd_ps (z,
            _mm512_sub_ps (_mm512_maskz_loadu_ps (mk, hp + j), hh), hh));
  }
}

void
dlnn_rnn_lstm_avx512 (int64_t n, float *g, int64_t gs, const float *y,
    const float *cp, float *cc, float *hc)
{
  for (int64_t j = 0; j < n; j += 16) {
    __mmask16 mk = mask_of (n - j);
    __m512 v[4], cn;

    for (int a = 0; a < 4; a++)
      v[a] = _mm512_add_ps (_mm512_maskz_loadu_ps (mk, g + a * gs + j),
          _mm512_maskz_loadu_ps (mk, y + a * n + j));
    v[0] = v_sigmoid (v[0]);    /* i */
    v[1] = v_sigmoid (v[1]);    /* o */
    v[2] = v_sigmoid (v[2]);    /* f */
    v[3] = v_tanh (v[3]);       /* c */
    for (int a = 0; a < 4; a++)
      _mm512_mask_storeu_ps (g + a * gs + j, mk, v[a]);
    cn = _mm512_fmadd_ps (v[2], _mm512_maskz_loadu_ps (mk, cp + j),
        _mm512_mul_ps (v[0], v[3]));
    _mm512_mask_storeu_ps (cc + j, mk, cn);
    _mm512_mask_storeu_ps (hc + j, mk, _mm512_mul_ps (v[1], v_tanh (cn)));
  }
}

#pragma GCC pop_options

#else /* no AVX-512 build: never called (dlnn_rnn_pack_usable () is 0) */

void
dlnn_rnn_pack (const float *r, int64_t k, int g, int64_t h, int64_t u0,
    int64_t n, float *packed)
{
}

void
dlnn_rnn_gemv (const float *packed, int64_t m, int64_t k, int64_t v0,
    int64_t v1, const float *x, float *y, int acc)
{
}

void
dlnn_rnn_sigmoid_add_avx512 (float *g, const float *rb, int64_t n)
{
}

void
dlnn_rnn_gru_state_avx512 (int64_t h, float *g, const float *rb,
    const float *rbh, const float *hp, float *lin, float *hc)
{
}

void
dlnn_rnn_gru_lbr_avx512 (int64_t n, float *g, int64_t gs, const float *y,
    const float *rbh, const float *hp, float *lin, float *hc)
{
}

void
dlnn_rnn_lstm_avx512 (int64_t n, float *g, int64_t gs, const float *y,
    const float *cp, float *cc, float *hc)
{
}

#endif
