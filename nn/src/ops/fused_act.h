/* libdlnn - private: activations fused into the op that produces their
 * input (Conv), the Swish op's kernel and the SIMD level of the
 * hand-vectorised kernels. Internal header.
 *
 * dlnn_graph_optimize_inference (fold.c) gives a Conv whose output only
 * feeds a Relu, a Clip with constant bounds or a Swish the attributes
 *   dlnn_activation      STRING "Relu" | "Clip" | "Swish"
 *   dlnn_activation_min  FLOAT  (Clip: lower bound, -FLT_MAX if none)
 *   dlnn_activation_max  FLOAT  (Clip: upper bound, FLT_MAX if none)
 * and removes the activation node; the Conv's init parses them with
 * dlnn_fused_act_parse and its forward applies them after the bias (see
 * /work/notes/d-fused-activation.md for the GEMM epilogue). */
#ifndef DLNN_OPS_FUSED_ACT_H
#define DLNN_OPS_FUSED_ACT_H

#include "common.h"

/* x86-64 with GCC-style target attributes: the AVX2 / AVX-512 kernels
 * are compiled (and chosen at run time); elsewhere only plain C. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(DLNN_NO_X86_SIMD)
#define DLNN_X86_SIMD 1
/* the attributes of functions holding AVX2 / AVX-512 intrinsics */
#define DLNN_TARGET_AVX2 __attribute__ ((target ("avx2,fma")))
#define DLNN_TARGET_AVX512 __attribute__ ((target ( \
        "avx2,fma,avx512f,avx512vl,avx512dq,avx512bw,prefer-vector-width=512")))
#endif

typedef enum dlnn_fused_kind
{
  DLNN_FUSED_NONE = 0,
  DLNN_FUSED_RELU,              /* max (x, 0) */
  DLNN_FUSED_CLIP,              /* min (max (x, lo), hi) */
  DLNN_FUSED_SWISH,             /* x * sigmoid (x) (SiLU) */
} dlnn_fused_kind;

typedef struct dlnn_fused_act
{
  int kind;                     /* dlnn_fused_kind */
  float lo, hi;                 /* CLIP bounds */
} dlnn_fused_act;

/* Attribute names written by fold.c. */
#define DLNN_FUSED_ATTR "dlnn_activation"
#define DLNN_FUSED_ATTR_MIN "dlnn_activation_min"
#define DLNN_FUSED_ATTR_MAX "dlnn_activation_max"

/* A MaxPool (square 2x2 or 3x3 kernel, stride 2, no dilation) reading
 * only a Conv's output is fused into the Conv by fold.c too (after its
 * activation): the Conv gets
 *   dlnn_maxpool_kernel  INT  2 or 3
 *   dlnn_maxpool_pads    INTS top, left, bottom, right
 *   dlnn_maxpool_ceil    INT  ceil_mode
 * and writes the pooled output (conv.c; conv_chv.c pools rows while
 * they are in cache). */
#define DLNN_FUSED_POOL_KERNEL "dlnn_maxpool_kernel"
#define DLNN_FUSED_POOL_PADS "dlnn_maxpool_pads"
#define DLNN_FUSED_POOL_CEIL "dlnn_maxpool_ceil"

/* Reads the dlnn_activation attributes of @n into @a (DLNN_FUSED_NONE
 * when absent); an unknown name is DLNN_ERR_UNSUPPORTED naming it. */
dlnn_code dlnn_fused_act_parse (const dlnn_node * n, dlnn_fused_act * a,
    dlnn_status * st);

/* y[i] = act (x[i]) for i < @n; @x == @y (in place) is allowed. Serial,
 * vectorised (AVX-512 when dlnn_simd_level () says so). No-op for
 * DLNN_FUSED_NONE in place. */
void dlnn_fused_act_run (const dlnn_fused_act * a, const float *x, float *y,
    int64_t n);
/* In place, serial / split over dlnn_get_threads () threads. */
void dlnn_fused_act_apply (const dlnn_fused_act * a, float *y, int64_t n);
void dlnn_fused_act_apply_par (const dlnn_fused_act * a, float *y,
    int64_t n);

/* SIMD level of the hand-vectorised kernels (conv_depthwise.c, silu.c):
 * DLNN_SIMD_SCALAR (compiler-vectorised C), DLNN_SIMD_AVX2 (AVX2 + FMA),
 * DLNN_SIMD_AVX512 (AVX-512F), the best the CPU supports, capped by
 * dlnn_simd_set_max (tests force the lower paths with it). */
enum { DLNN_SIMD_SCALAR = 0, DLNN_SIMD_AVX2 = 1, DLNN_SIMD_AVX512 = 2 };
int dlnn_simd_level (void);
/* Caps dlnn_simd_level () at @level; a negative value removes the cap.
 * Returns the previous cap. Not meant to be called while ops run. */
int dlnn_simd_set_max (int level);

#endif
