/* libdlnn - private: SiLU (x * sigmoid (x)) on AVX2 and AVX-512 vectors,
 * for silu.c and the depthwise kernels. Internal header; the functions
 * carry their own target attributes (callers check dlnn_simd_level ()).
 *
 * s = sigmoid (x) from e = exp (-|x|) in (0, 1] (never overflows):
 * s = 1 / (1 + e) for x >= 0, e / (1 + e) otherwise; the reciprocal is
 * rcp14 (rcp on AVX2) refined by one Newton step. exp as in vmath.h:
 * n = round (t / ln 2), r = t - n ln 2 (two constants), Cephes' degree-6
 * polynomial, times 2^n (scalef, or the exponent bits on AVX2). -|x| is
 * clamped at -87 (e stays normal), so |y| < 1e-36 below x = -87 instead
 * of x e^x. Relative error about 3e-7 (tests/nn/test_dwconv.c checks it
 * against double precision); NaN gives NaN. */
#ifndef DLNN_OPS_SILU_SIMD_H
#define DLNN_OPS_SILU_SIMD_H

#include <immintrin.h>

#define DLNN_SILU_C6 1.9875691500e-4f
#define DLNN_SILU_C5 1.3981999507e-3f
#define DLNN_SILU_C4 8.3334519073e-3f
#define DLNN_SILU_C3 4.1665795894e-2f
#define DLNN_SILU_C2 1.6666665459e-1f
#define DLNN_SILU_C1 5.0000001201e-1f

__attribute__ ((target ("avx2,fma,avx512f")))
static inline __m512
dlnn_silu_avx512 (__m512 x)
{
  const __m512 one = _mm512_set1_ps (1.0f);
  __m512 t, n, r, r2, p, e, d, rc, sn;
  __mmask16 neg;

  t = _mm512_castsi512_ps (_mm512_or_si512 (_mm512_castps_si512 (x),
          _mm512_set1_epi32 ((int) 0x80000000u)));
  t = _mm512_max_ps (t, _mm512_set1_ps (-87.0f));
  n = _mm512_roundscale_ps (_mm512_mul_ps (t,
          _mm512_set1_ps (1.44269504088896341f)),
      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  r = _mm512_fnmadd_ps (n, _mm512_set1_ps (0.693359375f), t);
  r = _mm512_fnmadd_ps (n, _mm512_set1_ps (-2.12194440e-4f), r);
  r2 = _mm512_mul_ps (r, r);
  p = _mm512_set1_ps (DLNN_SILU_C6);
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (DLNN_SILU_C5));
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (DLNN_SILU_C4));
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (DLNN_SILU_C3));
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (DLNN_SILU_C2));
  p = _mm512_fmadd_ps (p, r, _mm512_set1_ps (DLNN_SILU_C1));
  p = _mm512_fmadd_ps (p, r2, r);
  p = _mm512_add_ps (p, one);
  e = _mm512_scalef_ps (p, n);
  d = _mm512_add_ps (e, one);
  rc = _mm512_rcp14_ps (d);
  rc = _mm512_mul_ps (rc, _mm512_fnmadd_ps (d, rc, _mm512_set1_ps (2.0f)));
  sn = _mm512_mul_ps (e, rc);
  neg = _mm512_cmp_ps_mask (x, _mm512_setzero_ps (), _CMP_LT_OQ);
  return _mm512_mul_ps (x, _mm512_mask_blend_ps (neg, rc, sn));
}

__attribute__ ((target ("avx2,fma")))
static inline __m256
dlnn_silu_avx2 (__m256 x)
{
  const __m256 one = _mm256_set1_ps (1.0f);
  __m256 t, n, r, r2, p, e, d, rc, sn;
  __m256i bits;

  t = _mm256_or_ps (x, _mm256_castsi256_ps (_mm256_set1_epi32 ((int)
              0x80000000u)));
  t = _mm256_max_ps (t, _mm256_set1_ps (-87.0f));
  n = _mm256_round_ps (_mm256_mul_ps (t,
          _mm256_set1_ps (1.44269504088896341f)),
      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  r = _mm256_fnmadd_ps (n, _mm256_set1_ps (0.693359375f), t);
  r = _mm256_fnmadd_ps (n, _mm256_set1_ps (-2.12194440e-4f), r);
  r2 = _mm256_mul_ps (r, r);
  p = _mm256_set1_ps (DLNN_SILU_C6);
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (DLNN_SILU_C5));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (DLNN_SILU_C4));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (DLNN_SILU_C3));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (DLNN_SILU_C2));
  p = _mm256_fmadd_ps (p, r, _mm256_set1_ps (DLNN_SILU_C1));
  p = _mm256_fmadd_ps (p, r2, r);
  p = _mm256_add_ps (p, one);
  /* 2^n for n in [-126, 0] from the exponent bits */
  bits = _mm256_slli_epi32 (_mm256_add_epi32 (_mm256_cvtps_epi32 (n),
          _mm256_set1_epi32 (127)), 23);
  e = _mm256_mul_ps (p, _mm256_castsi256_ps (bits));
  d = _mm256_add_ps (e, one);
  rc = _mm256_rcp_ps (d);
  rc = _mm256_mul_ps (rc, _mm256_fnmadd_ps (d, rc, _mm256_set1_ps (2.0f)));
  sn = _mm256_mul_ps (e, rc);
  /* the sign bit of x selects e / (1 + e) */
  return _mm256_mul_ps (x, _mm256_blendv_ps (rc, sn, x));
}

#endif
