/* libdlnn - private: Conv geometry and kernels shared by conv.c (the op)
 * and conv_kernels.c (im2col, col2im, depthwise and bias loops). */
#ifndef DLNN_OPS_CONV_PRIVATE_H
#define DLNN_OPS_CONV_PRIVATE_H

#include "common.h"

#include <stdatomic.h>

typedef struct conv_geom
{
  dlnn_win2d w;
  int64_t n, c, m, group, cg, mg;
  int64_t hw, ohw;              /* input / output plane sizes */
  int64_t kc;                   /* rows of one group's col: cg * kh * kw */
  int64_t krows;                /* rows of the col matrix: c * kh * kw */
  int pointwise, depthwise;
  int64_t nb;                   /* images per im2col chunk */
  size_t ws;                    /* workspace floats */
} conv_geom;

/* Arguments of the kernels (unused pointers NULL). */
struct dlnn_fused_act;

typedef struct conv_job
{
  const conv_geom *g;
  const float *x, *w, *b, *dy;
  float *y, *dx, *dw, *db;
  const struct dlnn_fused_act *act;     /* fast depthwise: or NULL */
} conv_job;

/* im2col of images [0, nbc) starting at @x into col (row stride ldcol,
 * image b at column b * ohw); col2im adds a chunk's col into dx. Both are
 * split over threads. */
void dlnn_conv_im2col_chunk (const conv_geom * g, const float *x,
    int64_t nbc, float *col, int64_t ldcol);
void dlnn_conv_col2im_chunk (const conv_geom * g, const float *col,
    int64_t nbc, int64_t ldcol, float *dx);

/* B of image @x's convolution as a GEMM operand, made on the fly
 * (dlnn_gemm_pack_fn of sgemm.h): row (ci, ki, kj) of one group's im2col
 * matrix, column = output position. ctx: a conv_pack. */
typedef struct conv_pack
{
  const conv_geom *g;
  const float *x;               /* the group's first input channel */
} conv_pack;
void dlnn_conv_pack_b (const void *ctx, int64_t k0, int64_t kc, int64_t j0,
    int64_t w, int64_t ld, float *bp);

/* Direct depthwise convolution (j->x, j->w -> j->y) and its backward
 * (j->dy -> j->dx and/or j->dw, added). */
void dlnn_conv_depthwise_forward (const conv_job * j);
void dlnn_conv_depthwise_backward (const conv_job * j);

/* Winograd F(2x2, 3x3) (conv_winograd.c): 3x3, stride 1, dilation 1,
 * group 1, at least 16 input and output channels. The filter transform
 * u (16 x M x C floats) is computed once from W (M x C x 3 x 3); forward
 * runs chunks of @nb images (dlnn_conv_winograd_chunk) in a workspace of
 * dlnn_conv_winograd_workspace (g, nb) floats and adds the bias b (or
 * NULL) to y. */
int dlnn_conv_winograd_eligible (const conv_geom * g);
int64_t dlnn_conv_winograd_chunk (const conv_geom * g, size_t cap_floats);
size_t dlnn_conv_winograd_workspace (const conv_geom * g, int64_t nb);
void dlnn_conv_winograd_filter (const float *w, int64_t m, int64_t c,
    float *u);
void dlnn_conv_winograd_forward (const conv_geom * g, int64_t nb,
    const float *x, const float *u, const float *b, float *y, float *ws,
    size_t ws_floats);
/* Whether dlnn_conv_winograd_forward on chunks of @nb images runs its 16
 * GEMMs one after the other, each split over @threads (> 1) threads,
 * rather than blocks of tiles side by side: a small map (squeezenet1_1's
 * 13x13, 49 tiles). */
int dlnn_conv_winograd_splits_gemms (const conv_geom * g, int64_t nb,
    int threads);
/* Whether Conv node @n holds a ready Winograd filter (conv.c; tests). */
int dlnn_conv_winograd_cached (const dlnn_node * n);

/* Fast depthwise forward (conv_depthwise.c): 3x3 or 5x5, stride 1 or 2,
 * dilation 1; workspace of dlnn_conv_depthwise_fast_workspace () floats
 * (the zero-padded input); adds the bias b (or NULL) and applies the
 * fused activation @act (or NULL, fused_act.h) in the same pass. */
int dlnn_conv_depthwise_fast_eligible (const conv_geom * g);
size_t dlnn_conv_depthwise_fast_workspace (const conv_geom * g);
void dlnn_conv_depthwise_fast_forward (const conv_geom * g, const float *x,
    const float *w, const float *b, const struct dlnn_fused_act *act,
    float *y, float *ws);

/* Forward through libdlnn's own GEMM kernel (conv_own.c; only when
 * dlnn_sgemm_own ()): with B packed from the input per panel, or read in
 * place from a padded, phase-split copy of the input in a workspace of
 * dlnn_conv_direct_workspace () floats ("direct"). Both add the bias b
 * (or NULL) and apply the fused activation @act. dlnn_conv_direct_chosen
 * says whether the direct way is eligible and expected to be faster
 * (DLNN_CONV_DIRECT=0 / 1 in the environment: never / whenever
 * eligible, for measurements). */
/* A 0 / 1 switch from environment variable @name, read once into
 * @cache (initialised to -2): -1 when unset or empty. */
int dlnn_conv_env_flag (atomic_int * cache, const char *name);
int dlnn_conv_direct_eligible (const conv_geom * g);
int dlnn_conv_direct_chosen (const conv_geom * g);
size_t dlnn_conv_direct_workspace (const conv_geom * g);
void dlnn_conv_direct_forward (const conv_geom * g, const float *x,
    const float *w, const float *b, const struct dlnn_fused_act *act,
    float *y, float *ws, const float *wchv, const dlnn_win2d * pool);

/* The direct way with the output channels in the vector (conv_chv.c),
 * for a kernel larger than 1x1, one group, no fused activation or a
 * clamp (ReLU, Clip): dlnn_conv_direct_forward takes the weights packed
 * by dlnn_conv_chv_pack (@wchv, dlnn_conv_chv_packed_floats (M, K)
 * floats) and runs dlnn_conv_chv_forward on its planes. */
typedef struct dlnn_conv_chv
{
  const float *planes;          /* the direct path's planes */
  const int64_t *off;           /* k offsets of the taps in them */
  int64_t k, wq, oh, ow, m;     /* taps, plane row, output rows / cols, filters */
  const float *wp, *bias;       /* packed weights; bias or NULL */
  int clamp;                    /* min (max (x, lo), hi) after the bias */
  float lo, hi;
  float *y;                     /* filter 0's output plane */
  int64_t ldc;                  /* floats between output planes */
  int64_t ring_px;              /* pooled: floats per pixel of a ring row */
} dlnn_conv_chv;

int dlnn_conv_chv_usable (void);
/* Whether the kernel can run @g with @act (AVX-512, one group, no SiLU,
 * the direct path's planes, at most 1/8 of the last block of 32 filters
 * to spare, not turned off by DLNN_CONV_CHV=0); dlnn_conv_chv_chosen:
 * and expected to be the fastest way. */
int dlnn_conv_chv_eligible (const conv_geom * g,
    const struct dlnn_fused_act *act);
int dlnn_conv_chv_chosen (const conv_geom * g,
    const struct dlnn_fused_act *act);
int64_t dlnn_conv_chv_packed_floats (int64_t m, int64_t k);
void dlnn_conv_chv_pack (const float *w, int64_t m, int64_t k, float *wp);
void dlnn_conv_chv_forward (dlnn_conv_chv * c);
/* With a fused MaxPool @pw over the conv's output (square kernel of 2 or
 * 3, stride 2, dilation 1, as fold.c fuses), into @c->y of pw->oh x
 * pw->ow planes: conv rows go through rings in a workspace of
 * dlnn_conv_chv_pool_workspace () floats and are pooled in cache, the
 * full-size map is never written. */
size_t dlnn_conv_chv_pool_workspace (const conv_geom * g,
    const dlnn_win2d * pw);
void dlnn_conv_chv_pool_forward (dlnn_conv_chv * c, const dlnn_win2d * pw,
    float *ws);
/* Whether Conv node @n holds its weights packed for it (conv.c; tests). */
int dlnn_conv_chv_cached (const dlnn_node * n);
void dlnn_conv_own_gemm_forward (const conv_geom * g, const float *x,
    const float *w, const float *b, const struct dlnn_fused_act *act,
    float *y);

/* y += b per output channel; db += sums of dy per output channel. */
void dlnn_conv_bias_forward (const conv_job * j);
void dlnn_conv_bias_backward (const conv_job * j);

#endif
