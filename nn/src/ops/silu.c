/* libdlnn - Swish (SiLU, y = x * sigmoid (alpha * x), ONNX opset 24's
 * Swish; dlnn_graph_optimize_inference writes it for Sigmoid + Mul), the
 * kernels of activations fused into Conv (fused_act.h) and the SIMD level
 * of the hand-vectorised kernels.
 *
 * The loops are plain C (SiLU on dlnn_vsiluf, vmath.h) compiled three
 * times: for the build's target (AVX2 + FMA with -march=x86-64-v3) and,
 * behind __builtin_cpu_supports, with AVX2 + FMA and with AVX-512
 * (512-bit vectors) enabled per function; SiLU in the last two uses the
 * intrinsics of silu_simd.h instead (about twice as fast). */
#include "fused_act.h"
#include "parallel.h"
#include "vmath.h"
#ifdef DLNN_X86_SIMD
#include "silu_simd.h"
#endif

#include <float.h>
#include <math.h>
#include <stdatomic.h>

/* ---- SIMD level ---- */

static atomic_int simd_cap = -1;

int
dlnn_simd_level (void)
{
  int cap = atomic_load_explicit (&simd_cap, memory_order_relaxed);
  int l = DLNN_SIMD_SCALAR;

#ifdef DLNN_X86_SIMD
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx2")
      && __builtin_cpu_supports ("fma"))
    l = DLNN_SIMD_AVX512;
  else if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
    l = DLNN_SIMD_AVX2;
#endif
  return cap >= 0 && cap < l ? cap : l;
}

int
dlnn_simd_set_max (int level)
{
  return atomic_exchange (&simd_cap, level < 0 ? -1 : level);
}

/* ---- fused activations ---- */

dlnn_code
dlnn_fused_act_parse (const dlnn_node * n, dlnn_fused_act * a,
    dlnn_status * st)
{
  const char *s = dlnn_node_attr_string (n, DLNN_FUSED_ATTR, NULL);

  a->kind = DLNN_FUSED_NONE;
  a->lo = -FLT_MAX;
  a->hi = FLT_MAX;
  if (!s)
    return DLNN_OK;
  if (strcmp (s, "Relu") == 0) {
    a->kind = DLNN_FUSED_RELU;
    a->lo = 0.0f;
  } else if (strcmp (s, "Clip") == 0) {
    a->kind = DLNN_FUSED_CLIP;
    a->lo = dlnn_node_attr_float (n, DLNN_FUSED_ATTR_MIN, -FLT_MAX);
    a->hi = dlnn_node_attr_float (n, DLNN_FUSED_ATTR_MAX, FLT_MAX);
  } else if (strcmp (s, "Swish") == 0) {
    a->kind = DLNN_FUSED_SWISH;
  } else {
    return dlnn_op_error (n, st, DLNN_ERR_UNSUPPORTED,
        "attribute %s=%s is not a fusable activation (Relu, Clip, Swish)",
        DLNN_FUSED_ATTR, s);
  }
  return DLNN_OK;
}

/* The loops; inlined into each target variant. */
static inline __attribute__ ((always_inline)) void
act_body (int kind, float lo, float hi, const float *x, float *y,
    int64_t n)
{
  switch (kind) {
    case DLNN_FUSED_RELU:
      for (int64_t i = 0; i < n; i++)
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
      break;
    case DLNN_FUSED_CLIP:
      for (int64_t i = 0; i < n; i++)
        y[i] = x[i] < lo ? lo : (x[i] > hi ? hi : x[i]);
      break;
    case DLNN_FUSED_SWISH:
      for (int64_t i = 0; i < n; i++)
        y[i] = dlnn_vsiluf (x[i]);
      break;
    default:
      if (x != y)
        memcpy (y, x, (size_t) n * sizeof (float));
      break;
  }
}

static void
act_plain (int kind, float lo, float hi, const float *x, float *y,
    int64_t n)
{
  act_body (kind, lo, hi, x, y, n);
}

#ifdef DLNN_X86_SIMD
DLNN_TARGET_AVX2 static void
act_avx2 (int kind, float lo, float hi, const float *x, float *y, int64_t n)
{
  if (kind == DLNN_FUSED_SWISH) {
    const __m256i lane = _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
      _mm256_storeu_ps (y + i, dlnn_silu_avx2 (_mm256_loadu_ps (x + i)));
    if (i < n) {
      __m256i m = _mm256_cmpgt_epi32 (_mm256_set1_epi32 ((int) (n - i)),
          lane);
      _mm256_maskstore_ps (y + i, m,
          dlnn_silu_avx2 (_mm256_maskload_ps (x + i, m)));
    }
    return;
  }
  act_body (kind, lo, hi, x, y, n);
}

DLNN_TARGET_AVX512 static void
act_avx512 (int kind, float lo, float hi, const float *x, float *y,
    int64_t n)
{
  if (kind == DLNN_FUSED_SWISH) {
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
      __m512 a = _mm512_loadu_ps (x + i), b = _mm512_loadu_ps (x + i + 16);
      _mm512_storeu_ps (y + i, dlnn_silu_avx512 (a));
      _mm512_storeu_ps (y + i + 16, dlnn_silu_avx512 (b));
    }
    for (; i < n; i += 16) {
      __mmask16 m = n - i >= 16 ? 0xffff
          : (__mmask16) ((1u << (n - i)) - 1u);
      _mm512_mask_storeu_ps (y + i, m,
          dlnn_silu_avx512 (_mm512_maskz_loadu_ps (m, x + i)));
    }
    return;
  }
  act_body (kind, lo, hi, x, y, n);
}
#endif

void
dlnn_fused_act_run (const dlnn_fused_act * a, const float *x, float *y,
    int64_t n)
{
  if (n <= 0 || (a->kind == DLNN_FUSED_NONE && x == y))
    return;
#ifdef DLNN_X86_SIMD
  int l = dlnn_simd_level ();
  if (l == DLNN_SIMD_AVX512) {
    act_avx512 (a->kind, a->lo, a->hi, x, y, n);
    return;
  }
  if (l == DLNN_SIMD_AVX2) {
    act_avx2 (a->kind, a->lo, a->hi, x, y, n);
    return;
  }
#endif
  act_plain (a->kind, a->lo, a->hi, x, y, n);
}

void
dlnn_fused_act_apply (const dlnn_fused_act * a, float *y, int64_t n)
{
  dlnn_fused_act_run (a, y, y, n);
}

typedef struct act_job
{
  const dlnn_fused_act *a;
  const float *x;
  float *y;
} act_job;

static void
act_job_fn (void *arg, int64_t begin, int64_t end)
{
  const act_job *j = arg;

  dlnn_fused_act_run (j->a, j->x + begin, j->y + begin, end - begin);
}

void
dlnn_fused_act_apply_par (const dlnn_fused_act * a, float *y, int64_t n)
{
  act_job j = { a, y, y };

  if (a->kind != DLNN_FUSED_NONE)
    dlnn_parallel_for (n, DLNN_PAR_WORK, act_job_fn, &j);
}

/* ---- the Swish op ---- */

typedef struct swish_job
{
  float alpha;
  const float *x, *dy;
  float *out;
} swish_job;

static void
swish_forward_job (void *arg, int64_t begin, int64_t end)
{
  const swish_job *j = arg;
  const float *x = j->x;
  float *y = j->out, a = j->alpha;

  if (a == 1.0f) {
    dlnn_fused_act act = { DLNN_FUSED_SWISH, 0.0f, 0.0f };
    dlnn_fused_act_run (&act, x + begin, y + begin, end - begin);
    return;
  }
  for (int64_t i = begin; i < end; i++)
    y[i] = x[i] * dlnn_vsigmoidf (a * x[i]);
}

static void
swish_backward_job (void *arg, int64_t begin, int64_t end)
{
  const swish_job *j = arg;
  const float *restrict x = j->x, *restrict dy = j->dy;
  float *restrict d = j->out, a = j->alpha;

  for (int64_t i = begin; i < end; i++) {
    float s = dlnn_vsigmoidf (a * x[i]);
    d[i] += dy[i] * (s + a * x[i] * s * (1.0f - s));
  }
}

static dlnn_code
swish_init (const dlnn_graph * g, dlnn_node * n, dlnn_status * st)
{
  float *alpha = dlnn_op_priv_new (n, sizeof (float), st);

  if (!alpha)
    return DLNN_ERR_NOMEM;
  *alpha = dlnn_node_attr_float (n, "alpha", 1.0f);
  if (!isfinite (*alpha))
    return dlnn_op_error (n, st, DLNN_ERR_INVALID, "alpha must be finite");
  return DLNN_OK;
}

static dlnn_code
swish_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st)
{
  swish_job j = { *(const float *) n->priv, in[0]->data, NULL, out[0]->data };

  dlnn_parallel_for (in[0]->size, DLNN_PAR_WORK, swish_forward_job, &j);
  return DLNN_OK;
}

static dlnn_code
swish_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  dlnn_tensor *dx = dlnn_op_din (n, din, 0);
  swish_job j = { *(const float *) n->priv, in[0]->data, dout[0]->data,
    NULL
  };

  if (!dx)
    return DLNN_OK;
  j.out = dx->data;
  dlnn_parallel_for (dout[0]->size, DLNN_PAR_WORK, swish_backward_job, &j);
  return DLNN_OK;
}

const dlnn_op dlnn_op_swish = {
  .type = "Swish",
  .min_inputs = 1,.max_inputs = 1,
  .min_outputs = 1,.max_outputs = 1,
  .init = swish_init,
  .shape = dlnn_op_shape_same,
  .forward = swish_forward,
  .backward = swish_backward,
};
