/* libdlnn - private: what the recurrent ops (GRU in rnn_gru.c, LSTM in
 * rnn_lstm.c) share: attributes, input/output geometry for both layouts,
 * the input projection over the whole sequence and the batched weight
 * gradients of backpropagation through time (rnn.c).
 *
 * Buffers indexed by (time t, batch b) use the row order of X: row
 * t * ts + b * bs, with (ts, bs) = (B, 1) for layout 0 ([T, B, *]) and
 * (1, T) for layout 1 ([B, T, *]). The rows of one time step are then a
 * strided matrix (first row t * ts, row stride bs) that GEMM reads
 * directly, and the projections, X and their gradients are one GEMM each
 * over all T * B rows. */
#ifndef DLNN_OPS_RNN_H
#define DLNN_OPS_RNN_H

#include "common.h"
#include "vmath.h"

#include <math.h>

typedef struct dlnn_rnn_priv
{
  int gates;                    /* 3 (GRU: z r h) or 4 (LSTM: i o f c) */
  int64_t hidden;               /* hidden_size attribute; 0 = from R */
  int num_dir;                  /* 1 or 2 */
  int reverse;                  /* direction=reverse (num_dir == 1) */
  int layout;                   /* 0: [T, B, *], 1: [B, T, *] */
  int linear_before_reset;      /* GRU */
} dlnn_rnn_priv;

/* Input indices (ONNX order) */
enum
{
  DLNN_RNN_X = 0, DLNN_RNN_W, DLNN_RNN_R, DLNN_RNN_B, DLNN_RNN_SEQ_LENS,
  DLNN_RNN_H0, DLNN_RNN_C0, DLNN_RNN_P
};

typedef struct dlnn_rnn_geom
{
  int64_t t, b, i, h, d, g;     /* seq, batch, input, hidden, dirs, gates */
  int64_t ts, bs;               /* row of (t, b) = t * ts + b * bs */
  int64_t rows;                 /* t * b */
} dlnn_rnn_geom;

/* Parses hidden_size, direction, layout, clip, activations,
 * linear_before_reset (GRU), input_forget (LSTM) into n->priv. */
dlnn_code dlnn_rnn_init (dlnn_node * n, int gates, dlnn_status * st);

/* Validates the shapes of the inputs present and fills @geo. */
dlnn_code dlnn_rnn_geom_get (const dlnn_node * n,
    const dlnn_tensor * const *in, dlnn_rnn_geom * geo, dlnn_status * st);

/* shape(): Y, Y_h (and Y_c for LSTM) per layout. */
dlnn_code dlnn_rnn_shape (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, dlnn_status * st);

/* Checks that sequence_lens (if present) holds T for every batch entry;
 * other lengths are DLNN_ERR_UNSUPPORTED. */
dlnn_code dlnn_rnn_check_lens (const dlnn_node * n,
    const dlnn_tensor * const *in, const dlnn_rnn_geom * geo,
    dlnn_status * st);

/* Element offset of (direction d, batch b) in Y_h / Y_c / initial_h /
 * initial_c, and of (t, d, b) in Y. */
static inline int64_t
dlnn_rnn_state_off (const dlnn_node * n, const dlnn_rnn_geom * geo,
    int64_t d, int64_t b)
{
  const dlnn_rnn_priv *p = n->priv;
  return (p->layout ? b * geo->d + d : d * geo->b + b) * geo->h;
}

static inline int64_t
dlnn_rnn_y_off (const dlnn_node * n, const dlnn_rnn_geom * geo, int64_t t,
    int64_t d, int64_t b)
{
  const dlnn_rnn_priv *p = n->priv;
  return (p->layout ? (b * geo->t + t) * geo->d + d
      : (t * geo->d + d) * geo->b + b) * geo->h;
}

/* Time index of processing step @s of direction @d. */
static inline int64_t
dlnn_rnn_time (const dlnn_node * n, const dlnn_rnn_geom * geo, int64_t d,
    int64_t s)
{
  const dlnn_rnn_priv *p = n->priv;
  int rev = p->num_dir == 2 ? d == 1 : p->reverse;
  return rev ? geo->t - 1 - s : s;
}

/* out[r] (rows x G*H, row order of X) = X W_d^T + W-bias_d + the R-bias
 * of the gates whose bit is set in @rbias_gates (bit k = gate k). */
void dlnn_rnn_project (const dlnn_node * n, const dlnn_tensor * const *in,
    const dlnn_rnn_geom * geo, int64_t d, unsigned rbias_gates, float *out);

/* The gradients that follow from dA (rows x G*H, row order of X, the
 * gradient of the gates' pre-activations), for direction d: dX += dA W_d,
 * dW_d += dA^T X, dWb_d += colsum dA. NULL gradients are skipped. */
void dlnn_rnn_backward_input (const dlnn_node * n,
    const dlnn_tensor * const *in, dlnn_tensor * const *din,
    const dlnn_rnn_geom * geo, int64_t d, const float *da);

/* dR_d[rows g0*H .. (g0+ng)*H) += A^T S and dRb_d[same] += colsum A, where
 * A is rows x (ng*H) with leading dimension @lda and S (the recurrent
 * input, rows x H) has leading dimension @lds. */
void dlnn_rnn_backward_recur (const dlnn_node * n, dlnn_tensor * const *din,
    const dlnn_rnn_geom * geo, int64_t d, int g0, int ng, const float *a,
    int64_t lda, const float *s, int64_t lds);

/* Writes the state rows of step time @t (rows t*ts + b*bs of @buf, row
 * width H) from initial_h/c input @init (or zeros). */
void dlnn_rnn_load_state (const dlnn_node * n, const dlnn_tensor * init,
    const dlnn_rnn_geom * geo, int64_t d, int64_t t, float *buf);

/* Gate nonlinearities: the branch-free vmath.h forms, so the gate loops
 * vectorise. */
static inline float
dlnn_rnn_sigmoid (float x)
{
  return dlnn_vsigmoidf (x);
}

static inline float
dlnn_rnn_tanh (float x)
{
  return dlnn_vtanhf (x);
}

/* rows x @n columns of out = a[rows, k] * w[n, k]^T (@lda row stride of
 * a, @ldo of out): one GEMV per row when there are few rows (streaming,
 * batch 1), where sgemm would repack @w on every time step. */
static inline void
dlnn_rnn_matmul_wt (int64_t rows, int64_t n, int64_t k, const float *a,
    int64_t lda, const float *w, float *out, int64_t ldo)
{
  if (rows <= 2) {
    for (int64_t r = 0; r < rows; r++)
      dlnn_sgemv ((int) n, (int) k, w, (int) k, a + r * lda, out + r * ldo);
  } else {
    dlnn_sgemm (0, 1, (int) rows, (int) n, (int) k, 1.0f, a, (int) lda, w,
        (int) k, 0.0f, out, (int) ldo);
  }
}

#endif
