/* libdlnn - Conv forward through libdlnn's own AVX-512 GEMM kernel
 * (sgemm_avx512.c), at inference and in training.
 *
 * Two ways of giving the kernel its B (the im2col matrix, K x OH*OW):
 * - packed: the kernel packs each 64-column panel straight from the input
 *   (dlnn_conv_pack_b) and reuses it down all filters; right when there
 *   are many filters to share each packed panel.
 * - in place ("direct"): the input is copied once, zero-padded and split
 *   into its stride phases, into planes in which every kernel tap (ci,
 *   kh, kw) reads a contiguous run: for output (oh, ow), tap (kh, kw)
 *   reads phase ((kh * dh) % sh, (kw * dw) % sw) at row oh + kh * dh / sh,
 *   column ow + kw * dw / sw. With planes of width wq = OW + (KW - 1) *
 *   dw / sw, output position (oh, ow) is virtual column oh * wq + ow of
 *   every tap, so B(k, j) = planes[off[k] + j]: the kernel reads B in
 *   place (dlnn_sgemm_avx512_ind) and drops the wq - OW virtual columns at
 *   the end of each output row when it stores. The copy is about the
 *   size of the input where packing writes K / C times as much per filter
 *   block: this wins for few filters (64 or so) over large maps.
 *   Pointwise convolutions read the input itself. */
#include "conv-private.h"
#include "fused_act.h"
#include "parallel.h"
#include "sgemm.h"
#include "dlnn/exec.h"

#ifdef __AVX2__
#include <immintrin.h>
#endif

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define DIRECT_MAX_STRIDE 4

/* Layout of the direct path's planes. */
typedef struct direct_geom
{
  int64_t hq, wq;               /* plane size */
  int64_t ah[DIRECT_MAX_STRIDE], aw[DIRECT_MAX_STRIDE]; /* phases used */
  int nah, naw;
  int64_t planes;               /* floats of one input channel's planes */
  int64_t nvirt;                /* virtual columns */
  int inplace;                  /* pointwise: B is the input */
} direct_geom;

static int
phase_index (const int64_t * ph, int n, int64_t a)
{
  for (int i = 0; i < n; i++)
    if (ph[i] == a)
      return i;
  return -1;
}

static int
direct_geom_get (const conv_geom * g, direct_geom * d)
{
  const dlnn_win2d *w = &g->w;

  memset (d, 0, sizeof (*d));
  if (g->depthwise || w->sh > DIRECT_MAX_STRIDE || w->sw > DIRECT_MAX_STRIDE
      || w->oh <= 0 || w->ow <= 0)
    return 0;
  d->inplace = g->pointwise;
  if (d->inplace) {
    d->hq = w->ih;
    d->wq = w->iw;
    d->nvirt = g->ohw;
    return 1;
  }
  for (int64_t k = 0; k < w->kh; k++)
    if (phase_index (d->ah, d->nah, k * w->dh % w->sh) < 0)
      d->ah[d->nah++] = k * w->dh % w->sh;
  for (int64_t k = 0; k < w->kw; k++)
    if (phase_index (d->aw, d->naw, k * w->dw % w->sw) < 0)
      d->aw[d->naw++] = k * w->dw % w->sw;
  d->hq = w->oh + (w->kh - 1) * w->dh / w->sh;
  d->wq = w->ow + (w->kw - 1) * w->dw / w->sw;
  d->planes = d->nah * d->naw * d->hq * d->wq;
  d->nvirt = (w->oh - 1) * d->wq + w->ow;
  return 1;
}

/* Floats for the offsets table (int64 entries) and the planes of one
 * image, 64-byte aligned parts. */
static size_t
off_floats (const conv_geom * g)
{
  return ((size_t) g->kc * 2 + 15) & ~(size_t) 15;
}

int
dlnn_conv_direct_eligible (const conv_geom * g)
{
  direct_geom d;

  if (!dlnn_sgemm_own () || !direct_geom_get (g, &d))
    return 0;
  return 1;
}

int
dlnn_conv_env_flag (atomic_int * cache, const char *name)
{
  int r = atomic_load (cache);

  if (r == -2) {
    const char *e = getenv (name);
    r = e && *e ? (atoi (e) != 0) : -1;
    atomic_store (cache, r);
  }
  return r;
}

/* DLNN_CONV_DIRECT from the environment. */
static int
direct_env (void)
{
  static atomic_int v = -2;

  return dlnn_conv_env_flag (&v, "DLNN_CONV_DIRECT");
}

int
dlnn_conv_direct_chosen (const conv_geom * g)
{
  int env;

  if (!dlnn_conv_direct_eligible (g))
    return 0;
  env = direct_env ();
  if (env >= 0)
    return env;
  /* measured per layer of the bench models (1 thread): faster for every
   * kernel larger than 1x1 (resnet18 7x7/2 stem 1.50 -> 1.15 ms, its 3x3
   * layers of 512 filters on 7x7 maps 1.51 -> 1.20 ms, squeezenet's
   * 3x3 expand layers 0.35 -> 0.27 ms); for 1x1 kernels the packed way is
   * as fast or faster (mobilenet_v2's pointwise layers on 14x14 and 7x7
   * maps) except with few filters to share each packed panel (32 or
   * fewer: squeezenet1_1 features.4 squeeze, 256 -> 32 on 27x27, 0.098 ->
   * 0.076 ms; mobilenet_v2 features.3 conv.2, 144 -> 24 on 56x56, 0.125 ->
   * 0.112 ms) and for 1x1 layers on maps of 14x14 or more (B read in
   * place beats packing it per panel there: mobilenet_v2 features.2
   * conv.0, 16 -> 96 on 112x112, 0.281-0.287 -> 0.266-0.270 ms,
   * features.3/4 conv.0, 24 -> 144 on 56x56, 0.132-0.135 -> 0.123-0.125
   * ms; on 7x7 maps the packed way stays faster: its features.15-17
   * 0.077 against 0.090 ms). Since the packed panel holds 512 rows of K
   * (sgemm_avx512.c's KC), packing also wins on 14x14 maps (mobilenet_v2
   * features.8-13 conv.0 / conv.2, 0.048-0.107 -> 0.047-0.103 ms) but
   * not on 27x27 (squeezenet1_1 features.6/7 expand1x1, 32 -> 128:
   * 0.031 direct, 0.032 packed): in place from 16x16 up. */
  return g->w.kh * g->w.kw > 1 || g->mg <= 32
      || (g->pointwise && g->ohw > 256);
}

size_t
dlnn_conv_direct_workspace (const conv_geom * g)
{
  direct_geom d;

  if (!direct_geom_get (g, &d))
    return 0;
  /* + 16: the kernel reads whole vectors past the last plane's end */
  return off_floats (g) + (d.inplace ? 0 : (size_t) (g->c * d.planes) + 16);
}

typedef struct fill_job
{
  const conv_geom *g;
  const direct_geom *d;
  const float *x;               /* one image */
  float *t;
} fill_job;

/* dst[j] = src[j * stride] for j < n. Stride 2 (the stride-2 layers'
 * phases) deinterleaves 16 floats at a time: element-wise it was 40 % of
 * resnet18's 7x7/2 stem. */
static inline void
copy_strided (float *restrict dst, const float *restrict src, int64_t n,
    int64_t stride)
{
  int64_t j = 0;

  if (stride == 1) {
    for (; j < n; j++)
      dst[j] = src[j];
    return;
  }
#ifdef __AVX2__
  /* loads reach src[2j + 15]: stop while that is below 2 (n - 1) */
  if (stride == 2)
    for (; j + 8 < n; j += 8) {
      __m256 a = _mm256_loadu_ps (src + 2 * j);
      __m256 b = _mm256_loadu_ps (src + 2 * j + 8);
      /* per 128-bit lane a0 a2 b0 b2, then the lanes' 64-bit halves in
       * order */
      __m256 e = _mm256_shuffle_ps (a, b, _MM_SHUFFLE (2, 0, 2, 0));
      _mm256_storeu_ps (dst + j, _mm256_castpd_ps (_mm256_permute4x64_pd
              (_mm256_castps_pd (e), _MM_SHUFFLE (3, 1, 2, 0))));
    }
#endif
  for (; j < n; j++)
    dst[j] = src[j * stride];
}

static inline void
zero_floats (float *dst, int64_t n)
{
  for (int64_t j = 0; j < n; j++)
    dst[j] = 0.0f;
}

/* Planes of input channels [c0, c1). */
static void
fill_planes (void *arg, int64_t c0, int64_t c1)
{
  const fill_job *f = arg;
  const dlnn_win2d *w = &f->g->w;
  const direct_geom *d = f->d;

  for (int64_t c = c0; c < c1; c++)
    for (int ia = 0; ia < d->nah; ia++)
      for (int ib = 0; ib < d->naw; ib++) {
        float *dst = f->t + c * d->planes
            + (ia * d->naw + ib) * d->hq * d->wq;
        int64_t b = d->aw[ib] - w->pl;
        /* columns j with 0 <= j * sw + b < iw: [jlo, jhi) */
        int64_t jlo = b >= 0 ? 0 : (-b + w->sw - 1) / w->sw;
        int64_t jhi = w->iw - b <= 0 ? 0 : (w->iw - b + w->sw - 1) / w->sw;

        if (jhi > d->wq)
          jhi = d->wq;
        if (jlo > jhi)
          jlo = jhi;
        for (int64_t i = 0; i < d->hq; i++, dst += d->wq) {
          int64_t r = i * w->sh + d->ah[ia] - w->pt;
          const float *src;

          if (r < 0 || r >= w->ih) {
            zero_floats (dst, d->wq);
            continue;
          }
          src = f->x + (c * w->ih + r) * w->iw + b;
          zero_floats (dst, jlo);
          copy_strided (dst + jlo, src + jlo * w->sw, jhi - jlo, w->sw);
          zero_floats (dst + jhi, d->wq - jhi);
        }
      }
}

/* The kernel's epilogue for bias @bias and fused activation @act; returns
 * whether the activation is applied there. */
static int
own_epilogue (const dlnn_fused_act * act, const float *bias,
    dlnn_gemm_epilogue * ep)
{
  int clamp = act->kind == DLNN_FUSED_RELU || act->kind == DLNN_FUSED_CLIP;
  int silu = act->kind == DLNN_FUSED_SWISH;

  ep->bias = bias;
  ep->act = clamp ? DLNN_GEMM_ACT_CLAMP : silu ? DLNN_GEMM_ACT_SILU
      : DLNN_GEMM_ACT_NONE;
  ep->lo = act->kind == DLNN_FUSED_CLIP ? act->lo : 0.0f;
  ep->hi = act->kind == DLNN_FUSED_CLIP ? act->hi : INFINITY;
  return clamp || silu;
}

void
dlnn_conv_direct_forward (const conv_geom * g, const float *x,
    const float *w, const float *bias, const dlnn_fused_act * act, float *y,
    float *ws, const float *wchv, const dlnn_win2d * pool)
{
  const dlnn_win2d *wg = &g->w;
  int threads = dlnn_par_threads ();
  int64_t *off = (int64_t *) ws;
  float *t = ws + off_floats (g);
  direct_geom d;
  int fused = 0;

  direct_geom_get (g, &d);
  if (!d.inplace)
    memset (t + g->c * d.planes, 0, 16 * sizeof (float));
  for (int64_t ci = 0, k = 0; ci < g->cg; ci++)
    for (int64_t kh = 0; kh < wg->kh; kh++)
      for (int64_t kw = 0; kw < wg->kw; kw++, k++) {
        int ia = phase_index (d.ah, d.nah, kh * wg->dh % wg->sh);
        int ib = phase_index (d.aw, d.naw, kw * wg->dw % wg->sw);
        off[k] = d.inplace ? ci * g->hw : ci * d.planes
            + (ia * d.naw + ib) * d.hq * d.wq
            + kh * wg->dh / wg->sh * d.wq + kw * wg->dw / wg->sw;
      }
  for (int64_t ni = 0; ni < g->n; ni++) {
    const float *xi = x + ni * g->c * g->hw;

    if (!d.inplace) {
      fill_job f = { g, &d, xi, t };
      if (threads > 1 && g->c * d.planes >= 16384)
        dlnn_parallel_for (g->c, 1, fill_planes, &f);
      else
        fill_planes (&f, 0, g->c);
    }
    for (int64_t gi = 0; gi < g->group; gi++) {
      const float *wgi = w + gi * g->mg * g->kc;
      float *yg = y + (ni * g->m + gi * g->mg) * g->ohw;
      /* in place, the last columns of the input are not followed by the
       * 15 readable floats a whole vector needs: the packed kernel does
       * the last n % 16 columns */
      int64_t nmain = d.inplace ? d.nvirt & ~(int64_t) 15 : d.nvirt;
      dlnn_gemm_epilogue ep;
      dlnn_gemm_indirect ind;

      if (wchv && g->group == 1 && act->kind != DLNN_FUSED_SWISH) {
        dlnn_conv_chv c = { d.inplace ? xi : t, off, g->kc, d.wq, wg->oh, wg->ow, g->m,
          wchv, bias, act->kind != DLNN_FUSED_NONE,
          act->kind == DLNN_FUSED_CLIP ? act->lo : 0.0f,
          act->kind == DLNN_FUSED_CLIP ? act->hi : INFINITY, yg, g->ohw, 0
        };
        if (pool) {
          c.y = y + ni * g->m * pool->oh * pool->ow;
          dlnn_conv_chv_pool_forward (&c, pool,
              ws + dlnn_conv_direct_workspace (g));
        } else
          dlnn_conv_chv_forward (&c);
        fused = 1;
        continue;
      }
      fused = own_epilogue (act, bias ? bias + gi * g->mg : NULL, &ep);
      ind.b = d.inplace ? xi + gi * g->cg * g->hw : t + gi * g->cg * d.planes;
      ind.off = off;
      ind.row_len = d.wq;
      ind.row_valid = wg->ow;
      dlnn_sgemm_avx512_ind (g->mg, nmain, g->kc, wgi, g->kc, &ind, yg,
          g->ohw, &ep, threads);
      if (nmain < d.nvirt)
        dlnn_sgemm_avx512_ep (0, 0, g->mg, d.nvirt - nmain, g->kc, 1.0f, wgi,
            g->kc, ind.b + nmain, g->hw, 0.0f, yg + nmain, g->ohw, &ep,
            threads);
    }
  }
  if (!fused)
    dlnn_fused_act_apply_par (act, y, g->n * g->m * g->ohw);
}

void
dlnn_conv_own_gemm_forward (const conv_geom * g, const float *x,
    const float *w, const float *bias, const dlnn_fused_act * act, float *y)
{
  int threads = dlnn_par_threads ();
  int fused = 0;

  for (int64_t ni = 0; ni < g->n; ni++)
    for (int64_t gi = 0; gi < g->group; gi++) {
      const float *xg = x + (ni * g->c + gi * g->cg) * g->hw;
      const float *wg = w + gi * g->mg * g->kc;
      float *yg = y + (ni * g->m + gi * g->mg) * g->ohw;
      dlnn_gemm_epilogue ep;

      fused = own_epilogue (act, bias ? bias + gi * g->mg : NULL, &ep);
      if (g->pointwise)
        dlnn_sgemm_avx512_ep (0, 0, g->mg, g->ohw, g->kc, 1.0f, wg, g->kc,
            xg, g->hw, 0.0f, yg, g->ohw, &ep, threads);
      else {
        conv_pack p = { g, xg };
        dlnn_sgemm_avx512_ex (0, g->mg, g->ohw, g->kc, 1.0f, wg, g->kc,
            dlnn_conv_pack_b, &p, 0.0f, yg, g->ohw, &ep, threads);
      }
    }
  if (!fused)
    dlnn_fused_act_apply_par (act, y, g->n * g->m * g->ohw);
}
