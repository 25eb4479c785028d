/* libdlnn - private: a 16 x 16 float transpose in AVX-512 registers, for
 * the GEMM's packing of a transposed B (sgemm_avx512.c) and the RNN's
 * packing of its recurrent weights (ops/rnn_avx512.c). Include it inside
 * a region compiled for avx512f (#pragma GCC target). */
#ifndef DLNN_SIMD_TRANSPOSE_H
#define DLNN_SIMD_TRANSPOSE_H

#include <immintrin.h>

/* r[i][j] <- r[j][i] for a 16 x 16 block: pairs of rows interleaved,
 * then 4-float groups, then 128-bit lanes. */
static inline __attribute__((always_inline)) void
dlnn_transpose16_avx512 (__m512 * r)
{
  __m512 t[16], u[16];

  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps (r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps (r[i], r[i + 1]);
  }
  /* u[4i + q], lane L: element 4L + q of rows 4i .. 4i + 3 */
  for (int i = 0; i < 16; i += 4) {
    u[i] = _mm512_shuffle_ps (t[i], t[i + 2], 0x44);
    u[i + 1] = _mm512_shuffle_ps (t[i], t[i + 2], 0xEE);
    u[i + 2] = _mm512_shuffle_ps (t[i + 1], t[i + 3], 0x44);
    u[i + 3] = _mm512_shuffle_ps (t[i + 1], t[i + 3], 0xEE);
  }
  for (int q = 0; q < 4; q++) {
    __m512 v0 = _mm512_shuffle_f32x4 (u[q], u[4 + q], 0x44);
    __m512 v1 = _mm512_shuffle_f32x4 (u[q], u[4 + q], 0xEE);
    __m512 w0 = _mm512_shuffle_f32x4 (u[8 + q], u[12 + q], 0x44);
    __m512 w1 = _mm512_shuffle_f32x4 (u[8 + q], u[12 + q], 0xEE);
    r[q] = _mm512_shuffle_f32x4 (v0, w0, 0x88);
    r[4 + q] = _mm512_shuffle_f32x4 (v0, w0, 0xDD);
    r[8 + q] = _mm512_shuffle_f32x4 (v1, w1, 0x88);
    r[12 + q] = _mm512_shuffle_f32x4 (v1, w1, 0xDD);
  }
}

#endif
