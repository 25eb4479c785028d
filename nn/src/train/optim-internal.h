/* libdlnn - private: optimizer internals shared with the unit tests. */
#ifndef DLNN_OPTIM_INTERNAL_H
#define DLNN_OPTIM_INTERNAL_H

#include "dlnn/train.h"

/* Number of trainable parameters the optimizer tracks, and the value
 * index in the graph of parameter @i. */
int dlnn_optimizer_n_params (const dlnn_optimizer * o);
int dlnn_optimizer_param_value (const dlnn_optimizer * o, int i);
/* Optimizer steps taken so far. */
int64_t dlnn_optimizer_steps (const dlnn_optimizer * o);

/* One update of the parameters from raw buffers: params[i] and grads[i]
 * hold the elements of trainable parameter i (in graph order). Checks
 * every gradient for NaN/Inf first (DLNN_ERR_NUMERIC naming the
 * parameter, nothing updated). dlnn_optimizer_step calls this. */
dlnn_code dlnn_optimizer_update (dlnn_optimizer * o, float *const *params,
    const float *const *grads, float lr, dlnn_status * st);

#endif
