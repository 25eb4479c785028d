/* libdlnn - private: Conv geometry and kernels shared by conv.c (the op)
 * and conv_kernels.c (im2col, col2im, depthwise and bias loops). */
#ifndef DLNN_OPS_CONV_PRIVATE_H
#define DLNN_OPS_CONV_PRIVATE_H

#include "common.h"

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
typedef struct conv_job
{
  const conv_geom *g;
  const float *x, *w, *b, *dy;
  float *y, *dx, *dw, *db;
} conv_job;

/* im2col of images [0, nbc) starting at @x into col (row stride ldcol,
 * image b at column b * ohw); col2im adds a chunk's col into dx. Both are
 * split over threads. */
void dlnn_conv_im2col_chunk (const conv_geom * g, const float *x,
    int64_t nbc, float *col, int64_t ldcol);
void dlnn_conv_col2im_chunk (const conv_geom * g, const float *col,
    int64_t nbc, int64_t ldcol, float *dx);

/* Direct depthwise convolution (j->x, j->w -> j->y) and its backward
 * (j->dy -> j->dx and/or j->dw, added). */
void dlnn_conv_depthwise_forward (const conv_job * j);
void dlnn_conv_depthwise_backward (const conv_job * j);

/* y += b per output channel; db += sums of dy per output channel. */
void dlnn_conv_bias_forward (const conv_job * j);
void dlnn_conv_bias_backward (const conv_job * j);

#endif
