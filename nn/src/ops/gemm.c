/* libdlnn - Gemm (Y = alpha * op(A) * op(B) + beta * C, C broadcast to
 * (M, N)) and MatMul (numpy matmul: 1-D operands, broadcast batch dims). */
#include "common.h"

typedef struct gemm_priv
{
  int trans_a, trans_b;
  float alpha, beta;
} gemm_priv;

typedef struct gemm_geom
{
  int64_t m, k, n;
  int64_t lda, ldb;
  int64_t csm, csn;             /* strides of C over rows and columns */
} gemm_geom;

static dlnn_code
gemm_init (const dlnn_graph * g, dlnn_node * n, dlnn_status * st)
{
  gemm_priv *p = dlnn_op_priv_new (n, sizeof (gemm_priv), st);
  int64_t ta, tb;

  if (!p)
    return DLNN_ERR_NOMEM;
  ta = dlnn_node_attr_int (n, "transA", 0);
  tb = dlnn_node_attr_int (n, "transB", 0);
  if ((ta != 0 && ta != 1) || (tb != 0 && tb != 1))
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "transA=%lld, transB=%lld must be 0 or 1", (long long) ta,
        (long long) tb);
  if (dlnn_node_attr (n, "broadcast")
      && dlnn_node_attr_int (n, "broadcast", 1) == 0)
    return dlnn_op_error (n, st, DLNN_ERR_UNSUPPORTED,
        "broadcast=0 (opset < 7) is not supported");
  p->trans_a = (int) ta;
  p->trans_b = (int) tb;
  p->alpha = dlnn_node_attr_float (n, "alpha", 1.0f);
  p->beta = dlnn_node_attr_float (n, "beta", 1.0f);
  return DLNN_OK;
}

static dlnn_code
gemm_geom_get (const dlnn_node * n, const dlnn_tensor * a,
    const dlnn_tensor * b, const dlnn_tensor * c, gemm_geom * g,
    dlnn_status * st)
{
  const gemm_priv *p = n->priv;
  int64_t kb;

  memset (g, 0, sizeof (*g));
  if (a->ndim != 2 || b->ndim != 2)
    return dlnn_op_shape_error (n, st, "A and B must be 2-D: A, B", a, b);
  g->m = p->trans_a ? a->dims[1] : a->dims[0];
  g->k = p->trans_a ? a->dims[0] : a->dims[1];
  kb = p->trans_b ? b->dims[1] : b->dims[0];
  g->n = p->trans_b ? b->dims[0] : b->dims[1];
  g->lda = a->dims[1];
  g->ldb = b->dims[1];
  if (kb != g->k)
    return dlnn_op_shape_error (n, st, "inner dimensions differ: A, B", a, b);
  g->csm = g->csn = 0;
  if (c) {
    int ok = 1;
    if (c->ndim == 1) {
      ok = c->dims[0] == 1 || c->dims[0] == g->n;
      g->csn = c->dims[0] == 1 ? 0 : 1;
    } else if (c->ndim == 2) {
      ok = (c->dims[0] == 1 || c->dims[0] == g->m)
          && (c->dims[1] == 1 || c->dims[1] == g->n);
      g->csn = c->dims[1] == 1 ? 0 : 1;
      g->csm = c->dims[0] == 1 ? 0 : c->dims[1];
    } else if (c->ndim != 0) {
      ok = 0;
    }
    if (!ok) {
      dlnn_tensor y = {.ndim = 2,.dims = {g->m, g->n} };
      return dlnn_op_shape_error (n, st,
          "C does not broadcast to the output: C, Y", c, &y);
    }
  }
  return DLNN_OK;
}

static dlnn_code
gemm_shape (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, dlnn_status * st)
{
  gemm_geom g;
  int64_t dims[2];
  dlnn_code c = gemm_geom_get (n, in[0], in[1], dlnn_op_in (n, in, 2), &g,
      st);

  if (c != DLNN_OK)
    return c;
  dims[0] = g.m;
  dims[1] = g.n;
  return dlnn_op_set_shape (n, out[0], 2, dims, st);
}

static dlnn_code
gemm_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st)
{
  const gemm_priv *p = n->priv;
  const dlnn_tensor *tc = dlnn_op_in (n, in, 2);
  float *y = out[0]->data;
  float beta = 0.0f;
  gemm_geom g;
  dlnn_code c;

  if ((c = gemm_geom_get (n, in[0], in[1], tc, &g, st)) != DLNN_OK)
    return c;
  if (tc && p->beta != 0.0f) {
    const float *cd = tc->data;
    for (int64_t i = 0; i < g.m; i++) {
      float *yr = y + i * g.n;
      const float *cr = cd + i * g.csm;
      if (g.csn)
        for (int64_t j = 0; j < g.n; j++)
          yr[j] = p->beta * cr[j];
      else
        for (int64_t j = 0; j < g.n; j++)
          yr[j] = p->beta * cr[0];
    }
    beta = 1.0f;
  }
  if (g.k == 0) {
    if (beta == 0.0f)
      memset (y, 0, (size_t) (g.m * g.n) * sizeof (float));
    return DLNN_OK;
  }
  dlnn_sgemm (p->trans_a, p->trans_b, g.m, g.n, g.k, p->alpha, in[0]->data,
      g.lda, in[1]->data, g.ldb, beta, y, g.n);
  return DLNN_OK;
}

static dlnn_code
gemm_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  const gemm_priv *p = n->priv;
  const dlnn_tensor *tc = dlnn_op_in (n, in, 2);
  dlnn_tensor *da = dlnn_op_din (n, din, 0), *db = dlnn_op_din (n, din, 1);
  dlnn_tensor *dc = dlnn_op_din (n, din, 2);
  const float *a = in[0]->data, *b = in[1]->data, *dy = dout[0]->data;
  gemm_geom g;
  dlnn_code c;

  if ((c = gemm_geom_get (n, in[0], in[1], tc, &g, st)) != DLNN_OK)
    return c;
  if (g.m == 0 || g.n == 0 || g.k == 0)
    goto bias;
  if (da) {
    if (!p->trans_a)            /* dA (M,K) = alpha dY op(B)^T */
      dlnn_sgemm (0, !p->trans_b, g.m, g.k, g.n, p->alpha, dy, g.n, b,
          g.ldb, 1.0f, da->data, g.k);
    else                        /* dA (K,M) = alpha op(B) dY^T */
      dlnn_sgemm (p->trans_b, 1, g.k, g.m, g.n, p->alpha, b, g.ldb, dy,
          g.n, 1.0f, da->data, g.m);
  }
  if (db) {
    if (!p->trans_b)            /* dB (K,N) = alpha op(A)^T dY */
      dlnn_sgemm (!p->trans_a, 0, g.k, g.n, g.m, p->alpha, a, g.lda, dy,
          g.n, 1.0f, db->data, g.n);
    else                        /* dB (N,K) = alpha dY^T op(A) */
      dlnn_sgemm (1, p->trans_a, g.n, g.k, g.m, p->alpha, dy, g.n, a,
          g.lda, 1.0f, db->data, g.k);
  }
bias:
  if (dc && tc) {
    float *dcd = dc->data;
    for (int64_t i = 0; i < g.m; i++) {
      const float *dr = dy + i * g.n;
      float *cr = dcd + i * g.csm;
      if (g.csn) {
        for (int64_t j = 0; j < g.n; j++)
          cr[j] += p->beta * dr[j];
      } else {
        cr[0] += p->beta * dlnn_sum (dr, g.n);
      }
    }
  }
  return DLNN_OK;
}

const dlnn_op dlnn_op_gemm = {
  .type = "Gemm",
  .min_inputs = 2,.max_inputs = 3,
  .min_outputs = 1,.max_outputs = 1,
  .init = gemm_init,
  .shape = gemm_shape,
  .forward = gemm_forward,
  .backward = gemm_backward,
};

/* ---- MatMul ---- */

typedef struct mm_geom
{
  int64_t m, k, n, batch;
  int nbd;                      /* batch rank of the output */
  int64_t bdims[DLNN_MAX_DIMS];
  int64_t astr[DLNN_MAX_DIMS], bstr[DLNN_MAX_DIMS];     /* in matrices */
  int flat;                     /* B has no batch dims: one big GEMM */
  int ndim;
  int64_t odims[DLNN_MAX_DIMS];
} mm_geom;

static dlnn_code
mm_geom_get (const dlnn_node * n, const dlnn_tensor * a,
    const dlnn_tensor * b, mm_geom * g, dlnn_status * st)
{
  int an = a->ndim, bn = b->ndim, abd, bbd;
  int64_t am, ak, bk, bnn;

  memset (g, 0, sizeof (*g));
  if (an < 1 || bn < 1)
    return dlnn_op_shape_error (n, st, "operands must not be scalars: A, B",
        a, b);
  am = an >= 2 ? a->dims[an - 2] : 1;
  ak = a->dims[an - 1];
  bk = bn >= 2 ? b->dims[bn - 2] : b->dims[0];
  bnn = bn >= 2 ? b->dims[bn - 1] : 1;
  if (ak != bk)
    return dlnn_op_shape_error (n, st, "inner dimensions differ: A, B", a, b);
  g->m = am;
  g->k = ak;
  g->n = bnn;
  abd = an > 2 ? an - 2 : 0;
  bbd = bn > 2 ? bn - 2 : 0;
  g->nbd = abd > bbd ? abd : bbd;
  g->batch = 1;
  {
    int64_t as = am * ak, bs = bk * bnn;
    for (int i = g->nbd - 1; i >= 0; i--) {
      int ai = i - (g->nbd - abd), bi = i - (g->nbd - bbd);
      int64_t ad = ai >= 0 ? a->dims[ai] : 1;
      int64_t bd = bi >= 0 ? b->dims[bi] : 1;
      if (ad != bd && ad != 1 && bd != 1)
        return dlnn_op_shape_error (n, st,
            "batch dimensions do not broadcast: A, B", a, b);
      g->bdims[i] = ad > bd ? ad : bd;
      if (ad == 0 || bd == 0)
        g->bdims[i] = 0;
      g->astr[i] = ad == 1 ? 0 : as;
      g->bstr[i] = bd == 1 ? 0 : bs;
      as *= ad;
      bs *= bd;
      g->batch *= g->bdims[i];
    }
  }
  g->flat = bbd == 0;
  g->ndim = 0;
  for (int i = 0; i < g->nbd; i++)
    g->odims[g->ndim++] = g->bdims[i];
  if (an >= 2)
    g->odims[g->ndim++] = g->m;
  if (bn >= 2)
    g->odims[g->ndim++] = g->n;
  return DLNN_OK;
}

static void
mm_offsets (const mm_geom * g, int64_t bi, int64_t * ao, int64_t * bo)
{
  int64_t a = 0, b = 0;
  for (int i = g->nbd - 1; i >= 0; i--) {
    int64_t idx = bi % g->bdims[i];
    bi /= g->bdims[i];
    a += idx * g->astr[i];
    b += idx * g->bstr[i];
  }
  *ao = a;
  *bo = b;
}

static dlnn_code
matmul_shape (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, dlnn_status * st)
{
  mm_geom g;
  dlnn_code c = mm_geom_get (n, in[0], in[1], &g, st);

  if (c != DLNN_OK)
    return c;
  return dlnn_op_set_shape (n, out[0], g.ndim, g.odims, st);
}

static dlnn_code
matmul_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st)
{
  const float *a = in[0]->data, *b = in[1]->data;
  float *y = out[0]->data;
  mm_geom g;
  dlnn_code c;

  if ((c = mm_geom_get (n, in[0], in[1], &g, st)) != DLNN_OK)
    return c;
  if (out[0]->size == 0)
    return DLNN_OK;
  if (g.k == 0) {
    memset (y, 0, (size_t) out[0]->size * sizeof (float));
    return DLNN_OK;
  }
  if (g.flat) {
    dlnn_sgemm (0, 0, g.batch * g.m, g.n, g.k, 1.0f, a, g.k, b, g.n, 0.0f,
        y, g.n);
    return DLNN_OK;
  }
  for (int64_t bi = 0; bi < g.batch; bi++) {
    int64_t ao, bo;
    mm_offsets (&g, bi, &ao, &bo);
    dlnn_sgemm (0, 0, g.m, g.n, g.k, 1.0f, a + ao, g.k, b + bo, g.n, 0.0f,
        y + bi * g.m * g.n, g.n);
  }
  return DLNN_OK;
}

static dlnn_code
matmul_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  const float *a = in[0]->data, *b = in[1]->data, *dy = dout[0]->data;
  dlnn_tensor *da = dlnn_op_din (n, din, 0), *db = dlnn_op_din (n, din, 1);
  mm_geom g;
  dlnn_code c;

  if ((c = mm_geom_get (n, in[0], in[1], &g, st)) != DLNN_OK)
    return c;
  if (g.batch == 0 || g.m == 0 || g.n == 0 || g.k == 0)
    return DLNN_OK;
  if (g.flat) {
    if (da)
      dlnn_sgemm (0, 1, g.batch * g.m, g.k, g.n, 1.0f, dy, g.n, b, g.n,
          1.0f, da->data, g.k);
    if (db)
      dlnn_sgemm (1, 0, g.k, g.n, g.batch * g.m, 1.0f, a, g.k, dy, g.n,
          1.0f, db->data, g.n);
    return DLNN_OK;
  }
  for (int64_t bi = 0; bi < g.batch; bi++) {
    int64_t ao, bo;
    const float *dyb = dy + bi * g.m * g.n;
    mm_offsets (&g, bi, &ao, &bo);
    if (da)
      dlnn_sgemm (0, 1, g.m, g.k, g.n, 1.0f, dyb, g.n, b + bo, g.n, 1.0f,
          da->data + ao, g.k);
    if (db)
      dlnn_sgemm (1, 0, g.k, g.n, g.m, 1.0f, a + ao, g.k, dyb, g.n, 1.0f,
          db->data + bo, g.n);
  }
  return DLNN_OK;
}

const dlnn_op dlnn_op_matmul = {
  .type = "MatMul",
  .min_inputs = 2,.max_inputs = 2,
  .min_outputs = 1,.max_outputs = 1,
  .shape = matmul_shape,
  .forward = matmul_forward,
  .backward = matmul_backward,
};
