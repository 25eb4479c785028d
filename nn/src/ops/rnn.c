/* libdlnn - shared parts of the recurrent ops GRU and LSTM: attributes,
 * shapes, sequence_lens, the input projection of the whole sequence and
 * the batched weight gradients (see rnn.h). */
#include "rnn.h"
#include "../sgemm.h"
#include "dlnn/exec.h"

#include <limits.h>
#include <stdio.h>

dlnn_code
dlnn_rnn_init (dlnn_node * n, int gates, dlnn_status * st)
{
  dlnn_rnn_priv *p = dlnn_op_priv_new (n, sizeof (dlnn_rnn_priv), st);
  static const char *const unsupported[] = {
    "clip", "activations", "activation_alpha", "activation_beta", NULL
  };
  const char *dir;
  int64_t v;

  if (!p)
    return DLNN_ERR_NOMEM;
  p->gates = gates;
  for (int i = 0; unsupported[i]; i++)
    if (dlnn_node_attr (n, unsupported[i]))
      return dlnn_op_error (n, st, DLNN_ERR_UNSUPPORTED,
          "attribute %s is not supported (only the default activations "
          "Sigmoid/Tanh%s without clipping)", unsupported[i],
          gates == 4 ? "/Tanh" : "");
  v = dlnn_node_attr_int (n, "hidden_size", 0);
  if (v < 0 || v > INT_MAX)
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "hidden_size=%lld is out of range", (long long) v);
  p->hidden = v;

  dir = dlnn_node_attr_string (n, "direction", "forward");
  if (strcmp (dir, "forward") == 0) {
    p->num_dir = 1;
  } else if (strcmp (dir, "reverse") == 0) {
    p->num_dir = 1;
    p->reverse = 1;
  } else if (strcmp (dir, "bidirectional") == 0) {
    p->num_dir = 2;
  } else {
    return dlnn_op_error (n, st, DLNN_ERR_UNSUPPORTED,
        "attribute direction=%s is not supported (forward, reverse, "
        "bidirectional)", dir);
  }

  v = dlnn_node_attr_int (n, "layout", 0);
  if (v != 0 && v != 1)
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "attribute layout=%lld must be 0 or 1", (long long) v);
  p->layout = (int) v;

  if (gates == 3) {
    v = dlnn_node_attr_int (n, "linear_before_reset", 0);
    if (v != 0 && v != 1)
      return dlnn_op_error (n, st, DLNN_ERR_INVALID,
          "attribute linear_before_reset=%lld must be 0 or 1",
          (long long) v);
    p->linear_before_reset = (int) v;
  } else {
    v = dlnn_node_attr_int (n, "input_forget", 0);
    if (v != 0)
      return dlnn_op_error (n, st, DLNN_ERR_UNSUPPORTED,
          "attribute input_forget=%lld is not supported (only 0)",
          (long long) v);
  }
  return DLNN_OK;
}

/* @t must be [d0, d1(, d2)] */
static int
dims_are (const dlnn_tensor * t, int ndim, int64_t d0, int64_t d1,
    int64_t d2)
{
  if (t->ndim != ndim || t->dims[0] != d0 || t->dims[1] != d1)
    return 0;
  return ndim < 3 || t->dims[2] == d2;
}

dlnn_code
dlnn_rnn_geom_get (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_rnn_geom * geo, dlnn_status * st)
{
  const dlnn_rnn_priv *p = n->priv;
  const dlnn_tensor *x = in[DLNN_RNN_X], *w = in[DLNN_RNN_W];
  const dlnn_tensor *r = in[DLNN_RNN_R], *t;
  static const char *const state_name[2] = { "initial_h", "initial_c" };
  int64_t gh;
  char what[160];

  memset (geo, 0, sizeof (*geo));
  if (x->ndim != 3)
    return dlnn_op_shape_error (n, st, "X must be 3-D: X", x, NULL);
  geo->d = p->num_dir;
  geo->g = p->gates;
  geo->t = p->layout ? x->dims[1] : x->dims[0];
  geo->b = p->layout ? x->dims[0] : x->dims[1];
  geo->i = x->dims[2];
  geo->ts = p->layout ? 1 : geo->b;
  geo->bs = p->layout ? geo->t : 1;
  geo->rows = geo->t * geo->b;
  if (r->ndim != 3)
    return dlnn_op_shape_error (n, st, "R must be 3-D: R", r, NULL);
  geo->h = p->hidden ? p->hidden : r->dims[2];
  gh = geo->g * geo->h;
  if (geo->h <= 0)
    return dlnn_op_shape_error (n, st, "hidden size must be positive: R", r,
        NULL);
  if (!dims_are (r, 3, geo->d, gh, geo->h)) {
    snprintf (what, sizeof (what), "R must be [%lld, %lld, %lld] "
        "(num_directions, %d*hidden_size, hidden_size): R, X",
        (long long) geo->d, (long long) gh, (long long) geo->h, p->gates);
    return dlnn_op_shape_error (n, st, what, r, x);
  }
  if (!dims_are (w, 3, geo->d, gh, geo->i)) {
    snprintf (what, sizeof (what), "W must be [%lld, %lld, %lld] "
        "(num_directions, %d*hidden_size, input_size): W, X",
        (long long) geo->d, (long long) gh, (long long) geo->i, p->gates);
    return dlnn_op_shape_error (n, st, what, w, x);
  }
  if ((t = dlnn_op_in (n, in, DLNN_RNN_B))
      && !dims_are (t, 2, geo->d, 2 * gh, 0)) {
    snprintf (what, sizeof (what), "B must be [%lld, %lld]: B, X",
        (long long) geo->d, (long long) (2 * gh));
    return dlnn_op_shape_error (n, st, what, t, x);
  }
  if ((t = dlnn_op_in (n, in, DLNN_RNN_SEQ_LENS))
      && (t->ndim != 1 || t->dims[0] != geo->b))
    return dlnn_op_shape_error (n, st,
        "sequence_lens must be [batch_size]: sequence_lens, X", t, x);
  for (int k = 0; k < (p->gates == 4 ? 2 : 1); k++) {
    t = dlnn_op_in (n, in, DLNN_RNN_H0 + k);
    if (t && !(p->layout ? dims_are (t, 3, geo->b, geo->d, geo->h)
            : dims_are (t, 3, geo->d, geo->b, geo->h))) {
      snprintf (what, sizeof (what), "%s must be [%lld, %lld, %lld]: %s, X",
          state_name[k], (long long) (p->layout ? geo->b : geo->d),
          (long long) (p->layout ? geo->d : geo->b), (long long) geo->h,
          state_name[k]);
      return dlnn_op_shape_error (n, st, what, t, x);
    }
  }
  if (p->gates == 4 && (t = dlnn_op_in (n, in, DLNN_RNN_P))
      && !dims_are (t, 2, geo->d, 3 * geo->h, 0)) {
    snprintf (what, sizeof (what), "P must be [%lld, %lld]: P, X",
        (long long) geo->d, (long long) (3 * geo->h));
    return dlnn_op_shape_error (n, st, what, t, x);
  }
  for (int k = 0; k < n->n_inputs; k++)
    if (in[k] && k != DLNN_RNN_SEQ_LENS && in[k]->dtype != DLNN_FLOAT32)
      return dlnn_op_error (n, st, DLNN_ERR_UNSUPPORTED,
          "input %d must be float32", k);
  /* GEMM sizes are int */
  if (geo->rows > INT_MAX / (gh > geo->i ? gh : geo->i) || gh > INT_MAX / 4)
    return dlnn_op_shape_error (n, st, "too large: X", x, NULL);
  return DLNN_OK;
}

dlnn_code
dlnn_rnn_shape (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, dlnn_status * st)
{
  const dlnn_rnn_priv *p = n->priv;
  dlnn_rnn_geom geo;
  int64_t dims[4];
  dlnn_code c = dlnn_rnn_geom_get (n, in, &geo, st);

  if (c != DLNN_OK)
    return c;
  if (geo.t < 1)
    return dlnn_op_shape_error (n, st, "the sequence is empty: X",
        in[DLNN_RNN_X], NULL);
  if (dlnn_op_in (n, in, DLNN_RNN_SEQ_LENS)
      && in[DLNN_RNN_SEQ_LENS]->size > 0
      && (in[DLNN_RNN_SEQ_LENS]->data || in[DLNN_RNN_SEQ_LENS]->idata)
      && (c = dlnn_rnn_check_lens (n, in, &geo, st)) != DLNN_OK)
    return c;
  if (p->layout) {
    dims[0] = geo.b;
    dims[1] = geo.t;
    dims[2] = geo.d;
  } else {
    dims[0] = geo.t;
    dims[1] = geo.d;
    dims[2] = geo.b;
  }
  dims[3] = geo.h;
  if (out[0] && (c = dlnn_op_set_shape (n, out[0], 4, dims, st)) != DLNN_OK)
    return c;
  if (p->layout) {
    dims[0] = geo.b;
    dims[1] = geo.d;
  } else {
    dims[0] = geo.d;
    dims[1] = geo.b;
  }
  dims[2] = geo.h;
  for (int k = 1; k < n->n_outputs; k++)
    if (out[k] && (c = dlnn_op_set_shape (n, out[k], 3, dims, st)) != DLNN_OK)
      return c;
  return DLNN_OK;
}

dlnn_code
dlnn_rnn_check_lens (const dlnn_node * n, const dlnn_tensor * const *in,
    const dlnn_rnn_geom * geo, dlnn_status * st)
{
  const dlnn_tensor *l = dlnn_op_in (n, in, DLNN_RNN_SEQ_LENS);

  if (!l)
    return DLNN_OK;
  for (int64_t b = 0; b < l->size; b++) {
    double v;
    if (l->dtype == DLNN_INT64 && l->idata)
      v = (double) l->idata[b];
    else if (l->dtype == DLNN_FLOAT32 && l->data)
      v = l->data[b];
    else
      return dlnn_op_error (n, st, DLNN_ERR_UNSUPPORTED,
          "input sequence_lens has no data");
    if (v != (double) geo->t)
      return dlnn_op_error (n, st, DLNN_ERR_UNSUPPORTED,
          "input sequence_lens[%lld]=%g: only sequences of the full length "
          "%lld are supported", (long long) b, v, (long long) geo->t);
  }
  return DLNN_OK;
}

void
dlnn_rnn_project (const dlnn_node * n, const dlnn_tensor * const *in,
    const dlnn_rnn_geom * geo, int64_t d, unsigned rbias_gates, float *out)
{
  const dlnn_tensor *bt = dlnn_op_in (n, in, DLNN_RNN_B);
  int64_t gh = geo->g * geo->h;
  float *bias = out;            /* row 0 holds the bias first */

  if (bt) {
    const float *wb = bt->data + d * 2 * gh, *rb = wb + gh;
    for (int64_t j = 0; j < gh; j++)
      bias[j] = wb[j] + (((rbias_gates >> (j / geo->h)) & 1) ? rb[j] : 0.0f);
  } else {
    memset (bias, 0, (size_t) gh * sizeof (float));
  }
  for (int64_t r = 1; r < geo->rows; r++)
    memcpy (out + r * gh, bias, (size_t) gh * sizeof (float));
  if (geo->i > 0)
    dlnn_sgemm (0, 1, (int) geo->rows, (int) gh, (int) geo->i, 1.0f,
        in[DLNN_RNN_X]->data, (int) geo->i,
        in[DLNN_RNN_W]->data + d * gh * geo->i, (int) geo->i, 1.0f, out,
        (int) gh);
}

static void
colsum_acc (float *dst, const float *a, int64_t rows, int64_t cols,
    int64_t lda)
{
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < cols; j++)
      dst[j] += a[r * lda + j];
}

void
dlnn_rnn_backward_input (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *din, const dlnn_rnn_geom * geo, int64_t d,
    const float *da)
{
  dlnn_tensor *dx = dlnn_op_din (n, din, DLNN_RNN_X);
  dlnn_tensor *dw = dlnn_op_din (n, din, DLNN_RNN_W);
  dlnn_tensor *db = dlnn_op_in (n, in, DLNN_RNN_B)
      ? dlnn_op_din (n, din, DLNN_RNN_B) : NULL;
  int64_t gh = geo->g * geo->h;

  if (geo->i > 0 && dx)
    dlnn_sgemm (0, 0, (int) geo->rows, (int) geo->i, (int) gh, 1.0f, da,
        (int) gh, in[DLNN_RNN_W]->data + d * gh * geo->i, (int) geo->i,
        1.0f, dx->data, (int) geo->i);
  if (geo->i > 0 && dw)
    dlnn_sgemm (1, 0, (int) gh, (int) geo->i, (int) geo->rows, 1.0f, da,
        (int) gh, in[DLNN_RNN_X]->data, (int) geo->i, 1.0f,
        dw->data + d * gh * geo->i, (int) geo->i);
  if (db)
    colsum_acc (db->data + d * 2 * gh, da, geo->rows, gh, gh);
}

void
dlnn_rnn_backward_recur (const dlnn_node * n, dlnn_tensor * const *din,
    const dlnn_rnn_geom * geo, int64_t d, int g0, int ng, const float *a,
    int64_t lda, const float *s, int64_t lds)
{
  dlnn_tensor *dr = dlnn_op_din (n, din, DLNN_RNN_R);
  dlnn_tensor *db = dlnn_op_din (n, din, DLNN_RNN_B);
  int64_t gh = geo->g * geo->h, h = geo->h;

  if (dr)
    dlnn_sgemm (1, 0, (int) (ng * h), (int) h, (int) geo->rows, 1.0f, a,
        (int) lda, s, (int) lds, 1.0f, dr->data + (d * gh + g0 * h) * h,
        (int) h);
  if (db)
    colsum_acc (db->data + d * 2 * gh + gh + g0 * h, a, geo->rows, ng * h,
        lda);
}

void
dlnn_rnn_load_state (const dlnn_node * n, const dlnn_tensor * init,
    const dlnn_rnn_geom * geo, int64_t d, int64_t t, float *buf)
{
  for (int64_t b = 0; b < geo->b; b++) {
    float *row = buf + (t * geo->ts + b * geo->bs) * geo->h;
    if (init)
      memcpy (row, init->data + dlnn_rnn_state_off (n, geo, d, b),
          (size_t) geo->h * sizeof (float));
    else
      memset (row, 0, (size_t) geo->h * sizeof (float));
  }
}

int
dlnn_rnn_pack_usable (void)
{
  return dlnn_sgemm_own ();
}

size_t
dlnn_rnn_packed_size (int64_t m, int64_t k)
{
  return (size_t) ((m + 15) / 16) * 16 * (size_t) k;
}

size_t
dlnn_rnn_mat_size (int64_t m, int64_t k)
{
  return dlnn_rnn_pack_usable ()? dlnn_rnn_packed_size (m, k) : 0;
}

void
dlnn_rnn_mat_init (dlnn_rnn_mat * r, const float *w, int64_t m, int64_t k,
    float *buf)
{
  r->w = w;
  r->m = m;
  r->k = k;
  r->packed = dlnn_rnn_pack_usable ()? buf : NULL;
  if (r->packed)
    dlnn_rnn_pack (w, k, 1, m, 0, m, r->packed);
}

void
dlnn_rnn_matvec (const dlnn_rnn_mat * r, int64_t rows, const float *x,
    int64_t ldx, float *out, int64_t ldo, int acc)
{
  if (r->packed && rows <= 4) {
    for (int64_t b = 0; b < rows; b++)
      dlnn_rnn_gemv (r->packed, r->m, r->k, 0, (r->m + 15) / 16,
          x + b * ldx, out + b * ldo, acc);
  } else if (rows <= 2) {
    /* one GEMV per row: sgemm would repack R on every step */
    for (int64_t b = 0; b < rows; b++)
      dlnn_sgemm (0, 1, 1, (int) r->m, (int) r->k, 1.0f, x + b * ldx,
          (int) r->k, r->w, (int) r->k, acc ? 1.0f : 0.0f, out + b * ldo,
          (int) ldo);
  } else {
    dlnn_sgemm (0, 1, (int) rows, (int) r->m, (int) r->k, 1.0f, x,
        (int) ldx, r->w, (int) r->k, acc ? 1.0f : 0.0f, out, (int) ldo);
  }
}

int
dlnn_rnn_split_usable (const dlnn_rnn_geom * geo)
{
  return dlnn_rnn_pack_usable () && geo->b <= 4;
}

size_t
dlnn_rnn_split_size (const dlnn_rnn_geom * geo)
{
  /* each part's rows rounded up to 16 */
  size_t rows = (size_t) (geo->g * geo->h + 16 * DLNN_RNN_MAX_PARTS);
  return rows * (size_t) (geo->h + geo->b);
}

/* A part's recurrent product per step should outweigh the hand-over
 * between threads (dlnn_parallel_steps, about 0.15 us): at least this
 * many multiply-adds, about 0.3 us from L2 (GRU H 128 on two threads:
 * 24576 a part). */
#define SPLIT_MIN_MACS 16384

void
dlnn_rnn_split_init (dlnn_rnn_split * sp, const dlnn_rnn_geom * geo,
    const float *r, float *buf)
{
  const int64_t h = geo->h, g = geo->g, blocks = (h + 15) / 16;
  int parts = dlnn_get_threads ();

  if (parts > DLNN_RNN_MAX_PARTS)
    parts = DLNN_RNN_MAX_PARTS;
  if (parts > blocks)
    parts = (int) blocks;
  while (parts > 1 && g * (h / parts) * h < SPLIT_MIN_MACS)
    parts--;
  if (parts < 1)
    parts = 1;
  sp->parts = parts;
  /* boundaries on multiples of 16 units: whole vectors in the gates */
  for (int p = 0; p <= parts; p++) {
    int64_t u = 16 * (blocks * p / parts);
    sp->u[p] = u < h ? u : h;
  }
  for (int p = 0; p < parts; p++) {
    int64_t n = sp->u[p + 1] - sp->u[p];
    int64_t m16 = (g * n + 15) / 16 * 16;
    sp->packed[p] = buf;
    dlnn_rnn_pack (r, h, (int) g, h, sp->u[p], n, buf);
    buf += m16 * h;
    sp->y[p] = buf;
    sp->ys[p] = m16;
    buf += m16 * geo->b;
  }
}
