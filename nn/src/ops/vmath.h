/* libdlnn - branch-free float32 exp, sigmoid and tanh for elementwise
 * loops. Internal header.
 *
 * Every function is a straight-line sequence of float/uint32 operations and
 * selects, with no libm call, no table and no data-dependent branch, so
 * that gcc -O3 vectorises a loop `y[i] = dlnn_vexpf (x[i])` (AVX2/FMA with
 * -march=x86-64-v3). Accuracy (checked by tests/nn/test_vmath.c against
 * double precision): dlnn_vexpf within 2e-7 relative for normal results;
 * results below FLT_MIN are rounded once (gradual underflow), beyond
 * +-88.72 / -103.97 they are +inf / 0 as with expf, NaN gives NaN.
 *
 * exp(x) = 2^n * exp(r), n = round(x / ln 2), r = x - n ln 2 (Cody-Waite,
 * two constants) in [-ln2/2, ln2/2]; exp(r) by a degree-6 polynomial
 * (Cephes' expf coefficients). 2^n is applied as two exact powers of two
 * 2^(n/2) * 2^(n - n/2) so that n from -150 to 128 needs no special case. */
#ifndef DLNN_OPS_VMATH_H
#define DLNN_OPS_VMATH_H

#include <stdint.h>

/* exp's constants, shared with the AVX2 / AVX-512 versions (silu_simd.h,
 * rnn_avx512.c): 1 / ln 2, ln 2 in two parts (Cody-Waite), Cephes'
 * polynomial for exp (r) = 1 + r + r^2 (C1 + C2 r + ... + C6 r^5) */
#define DLNN_EXP_LOG2E 1.44269504088896341f
#define DLNN_EXP_LN2_HI 0.693359375f
#define DLNN_EXP_LN2_LO -2.12194440e-4f
#define DLNN_EXP_C6 1.9875691500e-4f
#define DLNN_EXP_C5 1.3981999507e-3f
#define DLNN_EXP_C4 8.3334519073e-3f
#define DLNN_EXP_C3 4.1665795894e-2f
#define DLNN_EXP_C2 1.6666665459e-1f
#define DLNN_EXP_C1 5.0000001201e-1f

/* The vector kernels' polynomial part of exp: with r the reduced
 * argument and r2 = r * r, r + r2 * (C1 + r * (C2 + ... + r * C6)) (add
 * 1 and scale by 2^n for exp), Horner with FMA (a * b + c) and SET1 the
 * vector type's fused multiply-add and broadcast: _mm512_fmadd_ps /
 * _mm512_set1_ps, _mm256_fmadd_ps / _mm256_set1_ps. */
#define DLNN_EXP_POLY(FMA, SET1, r, r2) \
  FMA (FMA (FMA (FMA (FMA (FMA (SET1 (DLNN_EXP_C6), (r), \
                      SET1 (DLNN_EXP_C5)), (r), SET1 (DLNN_EXP_C4)), (r), \
              SET1 (DLNN_EXP_C3)), (r), SET1 (DLNN_EXP_C2)), (r), \
      SET1 (DLNN_EXP_C1)), (r2), (r))

typedef union dlnn_fbits
{
  float f;
  uint32_t u;
} dlnn_fbits;

/* Float bits as an int32 that orders like the float (-0 just below +0,
 * NaNs beyond the infinities); the mapping is its own inverse. */
static inline int32_t
dlnn_vorder (int32_t k)
{
  return k ^ (int32_t) ((uint32_t) (k >> 31) >> 1);
}

static inline float
dlnn_vexpf (float x)
{
  const float magic = 12582912.0f;      /* 1.5 * 2^23: rounds to integer */
  dlnn_fbits v, t, s1, s2, y;
  float n, r, r2, p;
  int32_t k, ni, n1;
  uint32_t nan;

  /* clamp x to [-104, 89] and keep NaN aside, all on integers: float
   * comparisons may trap, and gcc then neither if-converts nor
   * vectorises the loop */
  v.f = x;
  nan = 0u - (uint32_t) ((v.u & 0x7fffffffu) > 0x7f800000u);
  k = dlnn_vorder ((int32_t) v.u);
  k = k < -0x42d00001 ? -0x42d00001 : k;        /* order of -104.0f */
  k = k > 0x42b20000 ? 0x42b20000 : k;  /* 89.0f */
  v.u = (uint32_t) dlnn_vorder (k);
  x = v.f;
  t.f = x * DLNN_EXP_LOG2E + magic;
  n = t.f - magic;
  ni = (int32_t) (t.u - 0x4b400000u);   /* n as an integer, |n| <= 151 */
  r = x - n * DLNN_EXP_LN2_HI;
  r = r - n * DLNN_EXP_LN2_LO;
  r2 = r * r;
  p = DLNN_EXP_C6;
  p = p * r + DLNN_EXP_C5;
  p = p * r + DLNN_EXP_C4;
  p = p * r + DLNN_EXP_C3;
  p = p * r + DLNN_EXP_C2;
  p = p * r + DLNN_EXP_C1;
  p = p * r2 + r;
  p = p + 1.0f;
  n1 = ni >> 1;
  s1.u = (uint32_t) (n1 + 127) << 23;
  s2.u = (uint32_t) (ni - n1 + 127) << 23;
  y.f = p * s1.f * s2.f;
  y.u = (y.u & ~nan) | (0x7fc00000u & nan);
  return y.f;
}

/* 1 / (1 + exp(-x)); for x < 0 computed as e^x / (1 + e^x) so that the
 * result keeps its relative accuracy down to the underflow. */
static inline float
dlnn_vsigmoidf (float x)
{
  dlnn_fbits a, num;
  uint32_t m;
  float d;

  a.f = x;
  m = 0u - (a.u >> 31);         /* all ones if x is negative */
  a.u |= 0x80000000u;           /* -|x|, by the bits: a negation would be
                                 * folded into dlnn_vexpf's clamps and turn
                                 * them into branches */
  num.f = dlnn_vexpf (a.f);
  d = 1.0f + num.f;
  /* selects on integer masks: a float comparison may trap, which keeps
   * gcc from if-converting (and vectorising) the loop */
  num.u = (num.u & m) | (0x3f800000u & ~m);
  return num.f / d;
}

/* tanh: odd polynomial (Cephes' tanhf) for |x| < 0.625, else
 * 1 - 2 / (exp(2|x|) + 1), with the sign of x. */
static inline float
dlnn_vtanhf (float x)
{
  dlnn_fbits a, sgn, small, big;
  uint32_t m;
  float z, p;

  a.f = x;
  sgn.u = a.u & 0x80000000u;
  a.u &= 0x7fffffffu;
  z = a.f * a.f;
  p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  small.f = p * z * a.f + a.f;
  big.f = 1.0f - 2.0f / (dlnn_vexpf (2.0f * a.f) + 1.0f);
  /* |x| < 0.625 by the bits (see dlnn_vsigmoidf); NaN takes big */
  m = 0u - (uint32_t) (a.u < 0x3f200000u);
  small.u = ((small.u & m) | (big.u & ~m)) | sgn.u;
  return small.f;
}

/* SiLU / Swish with alpha 1: x * sigmoid (x). */
static inline float
dlnn_vsiluf (float x)
{
  return x * dlnn_vsigmoidf (x);
}

#endif /* DLNN_OPS_VMATH_H */
