/* Tests: a naive double-precision implementation of the ONNX GRU and LSTM
 * equations (both layouts, all directions, optional inputs, GRU
 * linear_before_reset 0 and 1, LSTM peepholes), the reference of
 * test_rnn.c and test_rnn_fast.c. */
#ifndef DLNN_TESTS_RNN_REFERENCE_H
#define DLNN_TESTS_RNN_REFERENCE_H

#include "dlnn/tensor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { GRU, LSTM };

typedef struct rcase
{
  int kind;
  int lbr;                      /* GRU linear_before_reset */
  const char *dir;
  int layout;
  int64_t t, b, i, h;
  int bias, h0, c0, peep;       /* optional inputs present */
  int n_out;
} rcase;

static inline int
rnn_dirs (const char *dir)
{
  return strcmp (dir, "bidirectional") == 0 ? 2 : 1;
}

static inline int
n_dirs (const rcase * k)
{
  return rnn_dirs (k->dir);
}

static double
sig (double x)
{
  return 1.0 / (1.0 + exp (-x));
}

/* Offsets in ONNX terms: X[t][b][i] / Y[t][d][b][j] / S[d][b][j]
 * (layout 0) or X[b][t][i] / Y[b][t][d][j] / S[b][d][j] (layout 1). */
static int64_t
x_at (const rcase * k, int64_t t, int64_t b, int64_t i)
{
  return k->layout ? (b * k->t + t) * k->i + i : (t * k->b + b) * k->i + i;
}

static int64_t
y_at (const rcase * k, int64_t t, int64_t d, int64_t b, int64_t j)
{
  int64_t nd = n_dirs (k);
  return k->layout ? ((b * k->t + t) * nd + d) * k->h + j
      : ((t * nd + d) * k->b + b) * k->h + j;
}

static int64_t
s_at (const rcase * k, int64_t d, int64_t b, int64_t j)
{
  int64_t nd = n_dirs (k);
  return k->layout ? (b * nd + d) * k->h + j : (d * k->b + b) * k->h + j;
}

static double
xw_ (const rcase * k, const float *x, const float *wd, const float *wb,
    int64_t t, int64_t b, int64_t row)
{
  double s = wb ? wb[row] : 0.0;
  for (int64_t i = 0; i < k->i; i++)
    s += (double) x[x_at (k, t, b, i)] * wd[row * k->i + i];
  return s;
}

static double
hr_ (const float *rd, const float *rb, const double *v, int64_t H,
    int64_t row)
{
  double s = rb ? rb[row] : 0.0;
  for (int64_t j = 0; j < H; j++)
    s += v[j] * rd[row * H + j];
  return s;
}

/* Reference: writes Y, Y_h, Y_c (doubles, ONNX shapes). */
static void
reference (const rcase * k, const dlnn_tensor * const *in, double *y,
    double *yh, double *yc)
{
  const int64_t H = k->h, I = k->i, G = k->kind == GRU ? 3 : 4;
  const float *x = in[0]->data, *w = in[1]->data, *r = in[2]->data;
  const float *bb = k->bias ? in[3]->data : NULL;
  const float *h0 = k->h0 ? in[5]->data : NULL;
  const float *c0 = k->kind == LSTM && k->c0 ? in[6]->data : NULL;
  const float *pp = k->kind == LSTM && k->peep ? in[7]->data : NULL;
  double *hs = calloc ((size_t) H, sizeof (double));
  double *cs = calloc ((size_t) H, sizeof (double));
  double *hn = calloc ((size_t) H, sizeof (double));
  double *rh = calloc ((size_t) H, sizeof (double));
  double *zbuf = calloc ((size_t) H, sizeof (double));
  double *rbuf = calloc ((size_t) H, sizeof (double));

  for (int64_t d = 0; d < n_dirs (k); d++) {
    int rev = d == 1 || strcmp (k->dir, "reverse") == 0;
    const float *wd = w + d * G * H * I, *rd = r + d * G * H * H;
    const float *wb = bb ? bb + d * 2 * G * H : NULL;
    const float *rb = wb ? wb + G * H : NULL;
    for (int64_t b = 0; b < k->b; b++) {
      for (int64_t j = 0; j < H; j++) {
        hs[j] = h0 ? h0[s_at (k, d, b, j)] : 0.0;
        cs[j] = c0 ? c0[s_at (k, d, b, j)] : 0.0;
      }
      for (int64_t s = 0; s < k->t; s++) {
        int64_t t = rev ? k->t - 1 - s : s;
        /* xw(g, j) = X W_g[j]^T + Wb; hr(g, j) = H R_g[j]^T + Rb */
#define XW(g, j) xw_ (k, x, wd, wb, t, b, (g) * H + (j))
#define HR(g, j, v) hr_ (rd, rb, v, H, (g) * H + (j))
        if (k->kind == GRU) {
          double *z = zbuf, *rr = rbuf;
          for (int64_t j = 0; j < H; j++) {
            z[j] = sig (XW (0, j) + HR (0, j, hs));
            rr[j] = sig (XW (1, j) + HR (1, j, hs));
            rh[j] = rr[j] * hs[j];
          }
          for (int64_t j = 0; j < H; j++) {
            double hh;
            if (k->lbr)
              hh = tanh (XW (2, j) + rr[j] * HR (2, j, hs));
            else
              hh = tanh (XW (2, j) + HR (2, j, rh));
            hn[j] = (1.0 - z[j]) * hh + z[j] * hs[j];
          }
        } else {
          for (int64_t j = 0; j < H; j++) {
            double pi = pp ? pp[d * 3 * H + j] : 0.0;
            double po = pp ? pp[d * 3 * H + H + j] : 0.0;
            double pf = pp ? pp[d * 3 * H + 2 * H + j] : 0.0;
            double ig = sig (XW (0, j) + HR (0, j, hs) + pi * cs[j]);
            double fg = sig (XW (2, j) + HR (2, j, hs) + pf * cs[j]);
            double cg = tanh (XW (3, j) + HR (3, j, hs));
            double cn = fg * cs[j] + ig * cg;
            double og = sig (XW (1, j) + HR (1, j, hs) + po * cn);
            hn[j] = og * tanh (cn);
            rh[j] = cn;         /* new cell state */
          }
          memcpy (cs, rh, (size_t) H * sizeof (double));
        }
#undef XW
#undef HR
        memcpy (hs, hn, (size_t) H * sizeof (double));
        for (int64_t j = 0; j < H; j++)
          y[y_at (k, t, d, b, j)] = hs[j];
      }
      for (int64_t j = 0; j < H; j++) {
        yh[s_at (k, d, b, j)] = hs[j];
        yc[s_at (k, d, b, j)] = cs[j];
      }
    }
  }
  free (hs);
  free (cs);
  free (hn);
  free (rh);
  free (zbuf);
  free (rbuf);
}

#endif
