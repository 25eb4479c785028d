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

/* The AVX-512 kernels (rnn_avx512.c), only when dlnn_rnn_pack_usable ()
 * (the CPU has AVX-512 and libdlnn's own GEMM is in use; rnn.c):
 * - dlnn_rnn_packed_size: floats of a packed m x k matrix;
 * - dlnn_rnn_pack: packs the m = g * n rows (a, u0 + c) (a < g, c < n)
 *   of R (rows of k floats, row (a, u) at (a * h + u) * k): the gate rows
 *   of hidden units [u0, u0 + n) (g 1, h = n = m, u0 0: all of an m x k
 *   matrix);
 * - dlnn_rnn_gemv: y[16 v0, min (16 v1, m)) (+= with @acc) = R x for
 *   the blocks [v0, v1) of 16 outputs;
 * - dlnn_rnn_sigmoid_add_avx512: g[j] = sigmoid (g[j] + rb[j]) (rb NULL:
 *   sigmoid (g[j])), j < n;
 * - dlnn_rnn_gru_state_avx512: one batch row of a GRU step once z and r
 *   are activated (g = z r h): with @lin (linear_before_reset)
 *   lin = rb[2H..3H) + rbh (rbh may be NULL), h = tanh (g_h + r . lin);
 *   without, h = tanh (g_h + rb[2H..3H)); then g_h = h and
 *   hc = (1 - z) . h + z . hp;
 * - dlnn_rnn_gru_lbr_avx512: hidden units [0, n) of one batch row of a
 *   GRU step with linear_before_reset: g the gate row at the first unit
 *   (projections z r h at g, g + gs, g + 2 gs), y their products with
 *   H' (z r h at y, y + n, y + 2 n): z, r, h activated into g,
 *   lin = y_h + rbh (rbh may be NULL), new state hc;
 * - dlnn_rnn_lstm_avx512: the same for an LSTM without peepholes (i o f
 *   c at g + a gs and y + a n): activated gates into g, new cell cc and
 *   state hc from the previous cell cp. */
int dlnn_rnn_pack_usable (void);
size_t dlnn_rnn_packed_size (int64_t m, int64_t k);
void dlnn_rnn_pack (const float *r, int64_t k, int g, int64_t h, int64_t u0,
    int64_t n, float *packed);
void dlnn_rnn_gemv (const float *packed, int64_t m, int64_t k, int64_t v0,
    int64_t v1, const float *x, float *y, int acc);
void dlnn_rnn_sigmoid_add_avx512 (float *g, const float *rb, int64_t n);
void dlnn_rnn_gru_state_avx512 (int64_t h, float *g, const float *rb,
    const float *rbh, const float *hp, float *lin, float *hc);
void dlnn_rnn_gru_lbr_avx512 (int64_t n, float *g, int64_t gs,
    const float *y, const float *rbh, const float *hp, float *lin,
    float *hc);
void dlnn_rnn_lstm_avx512 (int64_t n, float *g, int64_t gs, const float *y,
    const float *cp, float *cc, float *hc);

#define DLNN_RNN_MAX_PARTS 8

/* The recurrence of one direction at inference on the packed path, split
 * by hidden units into parts that run concurrently
 * (dlnn_parallel_steps): part p owns the units [u[p], u[p + 1]), the
 * gate rows of R for them (packed[p], g * n_p rows) and the scratch of
 * their products (y[p], batch rows of ys[p] floats). One part on one
 * thread, or when a part would have too little work per step. */
typedef struct dlnn_rnn_split
{
  int parts;
  int64_t u[DLNN_RNN_MAX_PARTS + 1];
  float *packed[DLNN_RNN_MAX_PARTS];
  float *y[DLNN_RNN_MAX_PARTS];
  int64_t ys[DLNN_RNN_MAX_PARTS];
} dlnn_rnn_split;

/* Whether the split path runs this geometry (packed kernels usable, batch
 * at most 4); the workspace floats it needs; setting up @sp for the
 * recurrent weights @r of one direction (G H x H) in @buf, packing them. */
int dlnn_rnn_split_usable (const dlnn_rnn_geom * geo);
size_t dlnn_rnn_split_size (const dlnn_rnn_geom * geo);
void dlnn_rnn_split_init (dlnn_rnn_split * sp, const dlnn_rnn_geom * geo,
    const float *r, float *buf);

/* What sets the time of a step on the split path (dlnn_parallel_steps'
 * key) */
static inline int64_t
dlnn_rnn_split_key (const dlnn_rnn_geom * geo, int parts)
{
  return ((geo->h * 8 + geo->b) * 8 + geo->g) * 64 + parts;
}

/* A recurrent weight matrix: R rows [m) x k (row major, row stride k)
 * and, when the packed kernel is usable, its packed copy in the
 * workspace. */
typedef struct dlnn_rnn_mat
{
  const float *w;
  float *packed;                /* NULL: row-major products */
  int64_t m, k;
} dlnn_rnn_mat;

/* Sets up @r for @w (m x k) with @buf (dlnn_rnn_mat_size floats of the
 * workspace) and packs it when usable. */
void dlnn_rnn_mat_init (dlnn_rnn_mat * r, const float *w, int64_t m,
    int64_t k, float *buf);

/* Workspace floats dlnn_rnn_mat_init needs for an m x k matrix. */
size_t dlnn_rnn_mat_size (int64_t m, int64_t k);

/* out[b, 0..m) (+= with @acc) = R x[b] for @rows rows of x (row stride
 * @ldx) into rows of @out (stride @ldo). */
void dlnn_rnn_matvec (const dlnn_rnn_mat * r, int64_t rows, const float *x,
    int64_t ldx, float *out, int64_t ldo, int acc);

#endif
