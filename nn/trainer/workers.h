/* dltrain - data-parallel training steps (workers.c). */
#ifndef DLTRAIN_WORKERS_H
#define DLTRAIN_WORKERS_H

#include "dltrain.h"

/* What a replica of the training graph is built from (dt_arch_build). */
typedef struct dt_replica_spec
{
  dt_arch arch;
  int width, c, h, w, classes;
} dt_replica_spec;

typedef struct dt_workers dt_workers;

/* @k workers over batches of @batch images. Replica 0 is @g / @e (borrowed;
 * @e is reshaped to its shard); the others are built from @spec with @g's
 * parameters. Call with the math library at 1 thread (dlnn_set_threads). */
dt_workers *dt_workers_new (dlnn_graph * g, dlnn_exec * e,
    const dt_replica_spec * spec, int k, int batch, uint64_t seed,
    dlnn_status * st);
void dt_workers_free (dt_workers * w);
int dt_workers_count (const dt_workers * w);
/* Input slot (c*h*w floats) and label slot of batch item @i. */
float *dt_workers_slot (dt_workers * w, int i, int **label);
/* Forward, softmax cross-entropy and backward of every shard in parallel;
 * the gradients of the whole batch (mean loss) end up in replica 0's exec.
 * *loss: mean over the batch; *hits: correct argmax count. */
dlnn_code dt_workers_step (dt_workers * w, float smoothing, float *loss,
    int *hits, dlnn_status * st);
/* After the optimizer stepped replica 0: copies its parameters to the
 * other replicas and averages BatchNormalization running statistics. */
void dt_workers_sync (dt_workers * w);

#endif
