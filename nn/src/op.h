/* libdlnn - private: the op vtable. One dlnn_op per ONNX op type; each op
 * lives in nn/src/ops/<name>.c and is listed in nn/src/ops/registry.c.
 *
 * Conventions
 * - Tensors are row-major; images NCHW.
 * - shape(): sets ndim/dims/size of every out[i] from the inputs' shapes
 *   (and from the data of inputs that are params, e.g. Reshape's shape);
 *   out[i]->data is NULL then. Errors name the node and the shapes.
 * - forward(): in[i] is NULL for an omitted optional input.
 * - backward(): din[i] is NULL when that gradient is not needed; otherwise
 *   the op ADDS its contribution (the executor zeroes din first; a value
 *   read by several nodes accumulates). out holds the forward outputs.
 * - workspace(): floats of scratch needed by forward/backward, shared by
 *   all nodes (not preserved between calls).
 * - saved(): floats kept from forward to backward for this node (training
 *   only: BN batch statistics, dropout mask, pooling argmax...).
 * - Ops never allocate in forward/backward. */
#ifndef DLNN_OP_H
#define DLNN_OP_H

#include "dlnn/graph.h"
#include "dlnn/rng.h"

typedef struct dlnn_op_ctx
{
  int training;
  dlnn_rng *rng;
  float *workspace;
  size_t workspace_size;        /* floats */
  float *saved;                 /* this node's saved region */
  size_t saved_size;
  dlnn_graph *graph;            /* for ops that update params (BN stats) */
} dlnn_op_ctx;

enum { DLNN_ALIAS_NONE = 0, DLNN_ALIAS_ALWAYS = 1, DLNN_ALIAS_INFERENCE = 2 };

typedef struct dlnn_op
{
  const char *type;
  int min_inputs, max_inputs;
  int min_outputs, max_outputs;
  /* parse & validate attributes into n->priv; NULL = nothing to parse */
  dlnn_code (*init) (const dlnn_graph * g, dlnn_node * n, dlnn_status * st);
  dlnn_code (*shape) (const dlnn_node * n, const dlnn_tensor * const *in,
      dlnn_tensor * const *out, dlnn_status * st);
  size_t (*workspace) (const dlnn_node * n, const dlnn_tensor * const *in,
      const dlnn_tensor * const *out, int training);      /* may be NULL */
  size_t (*saved) (const dlnn_node * n, const dlnn_tensor * const *in,
      const dlnn_tensor * const *out);                    /* may be NULL */
  dlnn_code (*forward) (const dlnn_node * n, dlnn_op_ctx * ctx,
      const dlnn_tensor * const *in, dlnn_tensor * const *out,
      dlnn_status * st);
  dlnn_code (*backward) (const dlnn_node * n, dlnn_op_ctx * ctx,
      const dlnn_tensor * const *in, const dlnn_tensor * const *out,
      const dlnn_tensor * const *dout, dlnn_tensor * const *din,
      dlnn_status * st);      /* NULL = not differentiable */
  /* Output 0 may share the buffer of input 0 (same size, data unchanged):
   * DLNN_ALIAS_ALWAYS (Reshape, Flatten, Identity) or
   * DLNN_ALIAS_INFERENCE (Dropout: aliased only in an inference exec; in
   * a training exec forward runs). An aliased node's forward is not
   * called; backward still is (it must ADD dout into din as usual). */
  int alias_input0;
} dlnn_op;

/* nn/src/graph.c: shape inference over the whole graph. @vals has
 * g->n_values entries; entries of inputs must have their shapes set, params
 * are filled from the initializers (data borrowed); the rest get shapes. */
dlnn_code dlnn_graph_infer_shapes (const dlnn_graph * g, dlnn_tensor * vals,
    dlnn_status * st);

/* nn/src/graph.c: malloc()ed copy of @s (NULL for NULL). */
char *dlnn_strdup (const char *s);

/* nn/src/graph.c: frees the nodes i with removed[i] != 0, compacts
 * g->nodes and marks the graph for dlnn_graph_finalize again. Returns the
 * number of nodes removed. */
int dlnn_graph_remove_nodes (dlnn_graph * g, const char *removed);

/* nn/src/ops/registry.c */
const dlnn_op *dlnn_op_find (const char *type);
/* Names of all registered ops, NULL-terminated. */
const char *const *dlnn_op_names (void);

/* nn/src/blas.c: the only file that includes cblas.h. Row-major
 * C = alpha * op(A) * op(B) + beta * C. */
void dlnn_sgemm (int trans_a, int trans_b, int m, int n, int k, float alpha,
    const float *a, int lda, const float *b, int ldb, float beta, float *c,
    int ldc);
/* y[m] = A[m, k] x[k] (row-major A with row stride @lda); alpha 1,
 * beta 0. For one row of activations against a weight matrix, where
 * sgemm would pack the whole matrix on every call. */
void dlnn_sgemv (int m, int k, const float *a, int lda, const float *x,
    float *y);

#endif
