/* libdlnn - graph execution.
 *
 * A dlnn_exec is the per-stream state for running a finalized graph:
 * activation buffers, saved state for backward, scratch workspace, gradient
 * buffers. Memory is planned once per input shape by dlnn_exec_reshape();
 * forward/backward never allocate. The exec borrows the graph: the graph
 * must outlive it. */
#ifndef DLNN_EXEC_H
#define DLNN_EXEC_H

#include "graph.h"
#include "rng.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dlnn_exec dlnn_exec;

typedef enum dlnn_exec_flags
{
  DLNN_EXEC_INFERENCE = 0,
  DLNN_EXEC_TRAINING = 1 << 0,  /* batch statistics, dropout, backward */
  DLNN_EXEC_INPUT_GRAD = 1 << 1,        /* also compute d/d(graph inputs) */
} dlnn_exec_flags;

DLNN_API dlnn_exec *dlnn_exec_new (dlnn_graph * g, unsigned flags,
    dlnn_status * st);
DLNN_API void dlnn_exec_free (dlnn_exec * e);        /* NULL-safe */

/* Training only: switch between training and evaluation behaviour
 * (BatchNormalization/Dropout) without replanning. */
DLNN_API void dlnn_exec_set_training (dlnn_exec * e, int training);
/* Seeds the exec's RNG (dropout masks). */
DLNN_API void dlnn_exec_seed (dlnn_exec * e, uint64_t seed);
/* The state of @e's random generator (Dropout), to save and restore it
 * (a training checkpoint). */
DLNN_API void dlnn_exec_get_rng (const dlnn_exec * e, dlnn_rng * out);
DLNN_API void dlnn_exec_set_rng (dlnn_exec * e, const dlnn_rng * in);

/* Sets the shape of graph input @input (index into g->inputs) and plans
 * memory for all values. Cheap when the shape is unchanged. The buffers
 * only grow: a plan that fits in the memory of an earlier one reuses it,
 * so reshaping once to the largest shape a stream will use (e.g. the
 * longest utterance) makes every later reshape allocation-free. */
DLNN_API dlnn_code dlnn_exec_reshape (dlnn_exec * e, int input, int ndim,
    const int64_t * dims, dlnn_status * st);

/* Buffer of graph input @i (after reshape); the caller fills it. */
DLNN_API dlnn_tensor *dlnn_exec_input (dlnn_exec * e, int i);
DLNN_API dlnn_code dlnn_exec_forward (dlnn_exec * e, dlnn_status * st);
/* Graph output @i after forward. */
DLNN_API const dlnn_tensor *dlnn_exec_output (const dlnn_exec * e, int i);
/* Any value's tensor after forward (NULL for unplanned values). */
DLNN_API const dlnn_tensor *dlnn_exec_value (const dlnn_exec * e, int value);

/* Training only. Back-propagates @grad (same shape as output @output)
 * through the graph; gradients of trainable params are ACCUMULATED into the
 * buffers returned by dlnn_exec_grad (call dlnn_exec_zero_grad first). */
DLNN_API dlnn_code dlnn_exec_backward (dlnn_exec * e, int output,
    const dlnn_tensor * grad, dlnn_status * st);
DLNN_API void dlnn_exec_zero_grad (dlnn_exec * e);
/* Gradient buffer of value @value (trainable params; also graph inputs),
 * NULL if none. */
DLNN_API dlnn_tensor *dlnn_exec_grad (dlnn_exec * e, int value);

/* Profiling: when the environment variable DLNN_PROFILE is set (and not
 * "0") at dlnn_exec_new, forward accumulates the wall-clock seconds spent
 * in each node; this returns them indexed like g->nodes (g->n_nodes
 * entries, owned by the exec), or NULL when profiling is off. Off costs one
 * branch per node. Aliased (skipped) nodes stay at 0. */
DLNN_API const double *dlnn_exec_node_seconds (const dlnn_exec * e);
/* Zeroes the accumulated times (no-op when profiling is off). */
DLNN_API void dlnn_exec_profile_reset (dlnn_exec * e);

/* Bytes of planned activation + workspace memory. */
DLNN_API size_t dlnn_exec_planned_bytes (const dlnn_exec * e);

/* Process-wide thread count for the math kernels (OpenBLAS). 0 = default. */
DLNN_API void dlnn_set_threads (int n);
DLNN_API int dlnn_get_threads (void);

#ifdef __cplusplus
}
#endif
#endif
