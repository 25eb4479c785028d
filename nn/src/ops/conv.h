/* libdlnn - private: Conv tuning knobs (tests and benchmarks). */
#ifndef DLNN_OPS_CONV_H
#define DLNN_OPS_CONV_H

#include <stddef.h>
#include <stdint.h>

/* im2col chunking: the im2col of several images is batched into one GEMM
 * of about @target_cols columns, with at most @cap_floats floats of
 * workspace. 0 restores the defaults (16M floats = 64 MB, 400 columns).
 * Not thread-safe: call before planning executions. */
void dlnn_conv_set_chunking (size_t cap_floats, int64_t target_cols);

#endif
