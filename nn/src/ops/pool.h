/* libdlnn - private: MaxPool kernels shared by pool.c and pool_max.c. */
#ifndef DLNN_OPS_POOL_H
#define DLNN_OPS_POOL_H

#include "common.h"

/* Value-only MaxPool of one plane (no argmax, for inference): @yp gets
 * g->oh x g->ow maxima of @xp (g->ih x g->iw). Returns 0 without writing
 * when @g is not one of the specialised shapes (square 2x2 or 3x3 kernel,
 * stride 2, no dilation; any pads and ceil_mode), 1 when done. The values
 * are those of the generic argmax loop, bit for bit (same taps, same
 * order, same comparison; an empty window gives 0). */
int dlnn_maxpool_plane_values (const dlnn_win2d * g, const float *xp,
    float *yp);

/* Value-only MaxPool (inference) of @planes planes of @x into @y, any
 * window, split over the ops' threads as the MaxPool op does. */
void dlnn_maxpool_values (const dlnn_win2d * g, int64_t planes,
    const float *x, float *y);

#endif
