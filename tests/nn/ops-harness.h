/* Harness for calling op vtables directly (no exec.c): builds a one-node
 * graph, runs init/shape, allocates outputs, workspace and saved state,
 * and calls forward/backward. Shared by test_ops.c and test_grad.c; the
 * graph helpers at the end (a scalar, a whole graph's output through an
 * inference exec) by the fusion and folding tests. */
#ifndef OPS_HARNESS_H
#define OPS_HARNESS_H

#include "dlnn-test.h"
#include "op.h"
#include "dlnn/exec.h"
#include "dlnn/graph.h"
#include "dlnn/rng.h"

#include <stdint.h>
#include <string.h>

#define OC_MAX_IN 8
#define OC_MAX_OUT 4

typedef struct oc
{
  dlnn_graph *g;
  int ni;
  const dlnn_op *op;
  int n_in, n_out;
  dlnn_tensor *in[OC_MAX_IN];   /* owned; NULL = omitted */
  dlnn_tensor *out[OC_MAX_OUT];
  dlnn_tensor *din[OC_MAX_IN];
  float *ws, *saved;
  size_t ws_size, saved_size;
  dlnn_rng rng;
  uint64_t seed;
  int training;
  dlnn_status st;
} oc;

static dlnn_rng oc_data_rng;

static inline dlnn_node *
oc_node (oc * c)
{
  return &c->g->nodes[c->ni];
}

/* Starts a node of @type named "node" with @n_in inputs (bit i of
 * @omit set = input i omitted) and @n_out outputs. */
static inline int
oc_begin (oc * c, const char *type, const char *name, int n_in,
    unsigned omit, int n_out)
{
  const char *ins[OC_MAX_IN], *outs[OC_MAX_OUT];
  static const char *in_names[OC_MAX_IN] =
      { "i0", "i1", "i2", "i3", "i4", "i5", "i6", "i7" };
  static const char *out_names[OC_MAX_OUT] = { "o0", "o1", "o2", "o3" };

  memset (c, 0, sizeof (*c));
  c->g = dlnn_graph_new ("test");
  c->n_in = n_in;
  c->n_out = n_out;
  c->seed = 1234;
  for (int i = 0; i < n_in; i++)
    ins[i] = (omit >> i) & 1 ? "" : in_names[i];
  for (int i = 0; i < n_out; i++)
    outs[i] = out_names[i];
  c->ni = dlnn_graph_add_node (c->g, type, name, n_in, ins, n_out, outs,
      &c->st);
  c->op = dlnn_op_find (type);
  return c->ni >= 0 && c->op != NULL;
}

/* A float tensor with random normal values (scaled by @scale). */
static inline dlnn_tensor *
oc_rand (int ndim, const int64_t * dims, float scale)
{
  dlnn_tensor *t = dlnn_tensor_new (DLNN_FLOAT32, ndim, dims, NULL);
  for (int64_t i = 0; t && i < t->size; i++)
    t->data[i] = scale * dlnn_rng_normal (&oc_data_rng);
  return t;
}

/* Distinct values spaced by @gap in random order, centred on 0: no ties
 * and no value within gap/2 of zero (for max pooling and Relu kinks). */
static inline dlnn_tensor *
oc_distinct (int ndim, const int64_t * dims, float gap)
{
  dlnn_tensor *t = dlnn_tensor_new (DLNN_FLOAT32, ndim, dims, NULL);
  if (!t)
    return NULL;
  for (int64_t i = 0; i < t->size; i++)
    t->data[i] = ((float) i - (float) t->size / 2.0f + 0.5f) * gap;
  for (int64_t i = t->size - 1; i > 0; i--) {
    int64_t j = dlnn_rng_below (&oc_data_rng, (uint32_t) (i + 1));
    float tmp = t->data[i];
    t->data[i] = t->data[j];
    t->data[j] = tmp;
  }
  return t;
}

static inline void
oc_set_in (oc * c, int i, dlnn_tensor * t)
{
  dlnn_tensor_free (c->in[i]);
  c->in[i] = t;
}

static inline void
oc_release_buffers (oc * c)
{
  for (int i = 0; i < OC_MAX_OUT; i++) {
    dlnn_tensor_free (c->out[i]);
    c->out[i] = NULL;
  }
  for (int i = 0; i < OC_MAX_IN; i++) {
    dlnn_tensor_free (c->din[i]);
    c->din[i] = NULL;
  }
  free (c->ws);
  free (c->saved);
  c->ws = c->saved = NULL;
}

/* init + shape + allocation. Returns the op's code (message in c->st). */
static inline dlnn_code
oc_prepare (oc * c, int training)
{
  dlnn_node *n = oc_node (c);
  dlnn_tensor shp[OC_MAX_OUT];
  dlnn_tensor *outp[OC_MAX_OUT];
  dlnn_code code;

  oc_release_buffers (c);
  c->training = training;
  n->op = c->op;
  free (n->priv);
  n->priv = NULL;
  if (c->op->init && (code = c->op->init (c->g, n, &c->st)) != DLNN_OK)
    return code;
  memset (shp, 0, sizeof (shp));
  for (int i = 0; i < c->n_out; i++)
    outp[i] = &shp[i];
  code = c->op->shape (n, (const dlnn_tensor * const *) c->in, outp, &c->st);
  if (code != DLNN_OK)
    return code;
  for (int i = 0; i < c->n_out; i++) {
    c->out[i] = dlnn_tensor_new (DLNN_FLOAT32, shp[i].ndim, shp[i].dims,
        &c->st);
    if (!c->out[i])
      return c->st.code;
    for (int64_t k = 0; k < c->out[i]->size; k++)
      c->out[i]->data[k] = NAN;       /* forward must write everything */
  }
  c->ws_size = c->op->workspace ? c->op->workspace (n,
      (const dlnn_tensor * const *) c->in,
      (const dlnn_tensor * const *) c->out, training) : 0;
  c->saved_size = training && c->op->saved ? c->op->saved (n,
      (const dlnn_tensor * const *) c->in,
      (const dlnn_tensor * const *) c->out) : 0;
  c->ws = c->ws_size ? malloc (c->ws_size * sizeof (float)) : NULL;
  c->saved = c->saved_size ? malloc (c->saved_size * sizeof (float)) : NULL;
  for (size_t k = 0; k < c->ws_size; k++)
    c->ws[k] = NAN;             /* workspace content must not matter */
  return DLNN_OK;
}

static inline void
oc_ctx (oc * c, dlnn_op_ctx * ctx)
{
  memset (ctx, 0, sizeof (*ctx));
  ctx->training = c->training;
  ctx->rng = &c->rng;
  ctx->workspace = c->ws;
  ctx->workspace_size = c->ws_size;
  ctx->saved = c->saved;
  ctx->saved_size = c->saved_size;
  ctx->graph = c->g;
}

/* Forward; the RNG is reseeded each time so dropout masks repeat. */
static inline dlnn_code
oc_forward (oc * c)
{
  dlnn_op_ctx ctx;
  oc_ctx (c, &ctx);
  dlnn_rng_seed (&c->rng, c->seed);
  return c->op->forward (oc_node (c), &ctx,
      (const dlnn_tensor * const *) c->in, c->out, &c->st);
}

/* Backward with dout[0] = @dy; allocates zeroed din for inputs in @mask. */
static inline dlnn_code
oc_backward (oc * c, const dlnn_tensor * dy, unsigned mask)
{
  const dlnn_tensor *dout[OC_MAX_OUT] = { dy };
  dlnn_op_ctx ctx;

  for (int i = 0; i < c->n_in; i++) {
    dlnn_tensor_free (c->din[i]);
    c->din[i] = NULL;
    if (((mask >> i) & 1) && c->in[i])
      c->din[i] = dlnn_tensor_new (DLNN_FLOAT32, c->in[i]->ndim,
          c->in[i]->dims, NULL);
  }
  oc_ctx (c, &ctx);
  return c->op->backward (oc_node (c), &ctx,
      (const dlnn_tensor * const *) c->in,
      (const dlnn_tensor * const *) c->out, dout, c->din, &c->st);
}

static inline void
oc_end (oc * c)
{
  oc_release_buffers (c);
  for (int i = 0; i < OC_MAX_IN; i++)
    dlnn_tensor_free (c->in[i]);
  dlnn_graph_free (c->g);
  memset (c, 0, sizeof (*c));
}

/* Max |a - b| over two float arrays, +inf on NaN. */
static inline double
max_abs_diff (const float *a, const double *b, int64_t n)
{
  double m = 0.0;
  for (int64_t i = 0; i < n; i++) {
    double d = fabs ((double) a[i] - b[i]);
    if (isnan (d))
      return INFINITY;
    if (d > m)
      m = d;
  }
  return m;
}

/* A float scalar tensor (rank 0) holding @v. */
static inline dlnn_tensor *
oc_scalar (float v)
{
  dlnn_tensor *t = dlnn_tensor_new (DLNN_FLOAT32, 0, NULL, NULL);
  if (t)
    t->data[0] = v;
  return t;
}

/* Output @out of @g (inference exec) on input 0 = @x, copied; NULL with
 * the error on stderr. */
static inline dlnn_tensor *
oc_run_output (dlnn_graph * g, const dlnn_tensor * x, int out)
{
  dlnn_status st;
  dlnn_exec *e = dlnn_exec_new (g, DLNN_EXEC_INFERENCE, &st);
  dlnn_tensor *y = NULL;

  if (!e) {
    fprintf (stderr, "exec: %s\n", st.message);
    return NULL;
  }
  if (dlnn_exec_reshape (e, 0, x->ndim, x->dims, &st) == DLNN_OK) {
    memcpy (dlnn_exec_input (e, 0)->data, x->data,
        sizeof (float) * (size_t) x->size);
    if (dlnn_exec_forward (e, &st) == DLNN_OK)
      y = dlnn_tensor_copy (dlnn_exec_output (e, out), NULL);
  }
  if (!y)
    fprintf (stderr, "exec: %s\n", st.message);
  dlnn_exec_free (e);
  return y;
}

#endif
