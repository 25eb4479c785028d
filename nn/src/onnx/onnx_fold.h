/* libdlnn - private: load-time folding of constant subgraphs (the Shape,
 * Gather, Concat... chains exporters write to compute shapes). */
#ifndef DLNN_ONNX_FOLD_H
#define DLNN_ONNX_FOLD_H

#include "dlnn/graph.h"

#define DLNN_FOLD_REASON_SIZE 200

/* Rewrites a graph just read (not finalized): every node of a foldable op
 * type whose inputs are constants (initializers, Constant nodes, values
 * folded before) -- for Shape: whose input's shape is known from the
 * graph input shapes -- is evaluated once and its output becomes an
 * initializer. With dynamic input dims the graph is evaluated with them
 * set to 1 and to 2 and only values equal in both runs are folded.
 * Nodes of unsupported ops left without readers are removed. A node of
 * an op libdlnn cannot run that stays is DLNN_ERR_UNSUPPORTED naming the
 * op, the node, the opset and why it could not be folded. Nodes are
 * expected in the topological order ONNX requires. */
dlnn_code dlnn_onnx_fold_constants (dlnn_graph * g, dlnn_status * st);

/* onnx_fold_eval.c: 1 if op type @t is evaluated by dlnn_fold_eval. */
int dlnn_fold_is_foldable (const char *t);

/* Evaluates node @n on constant inputs @in (NULL = omitted; for Shape,
 * in[0] only needs its shape). Returns 1 with *out set, 0 when it cannot
 * (why in @reason, DLNN_FOLD_REASON_SIZE bytes), -1 on out of memory
 * (message in @st). */
int dlnn_fold_eval (const dlnn_graph * g, const dlnn_node * n,
    const dlnn_tensor * const *in, dlnn_tensor ** out, char *reason,
    dlnn_status * st);

#endif
