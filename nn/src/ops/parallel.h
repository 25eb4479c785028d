/* libdlnn - private: a small persistent thread pool for the ops' own loops
 * (im2col, col2im, batch norm, activations, pooling...). GEMMs keep their
 * OpenBLAS threading. */
#ifndef DLNN_OPS_PARALLEL_H
#define DLNN_OPS_PARALLEL_H

#include <stdint.h>

/* Minimum work (about one float read or written per unit) worth handing
 * to a thread: smaller loops run serially. */
#define DLNN_PAR_WORK 32768

typedef void (*dlnn_par_fn) (void *arg, int64_t begin, int64_t end);

/* Calls fn (arg, begin, end) on contiguous ranges covering [0, n), split
 * into at most dlnn_get_threads() ranges of at least @grain items; the
 * calling thread runs the first range and returns when all are done. Runs
 * serially (one call over [0, n)) when there is one thread, n < 2 * grain,
 * the pool is in use by another caller (or a nested call), or its threads
 * cannot be started. Workers are started on first use and live for the
 * rest of the process; they sleep while idle. */
void dlnn_parallel_for (int64_t n, int64_t grain, dlnn_par_fn fn, void *arg);

#endif
