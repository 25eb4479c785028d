/* libdlnn - seeded, reproducible random numbers (xoshiro256**). */
#ifndef DLNN_RNG_H
#define DLNN_RNG_H

#include <stdint.h>
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dlnn_rng
{
  uint64_t s[4];
} dlnn_rng;

DLNN_API void dlnn_rng_seed (dlnn_rng * r, uint64_t seed);
DLNN_API uint64_t dlnn_rng_u64 (dlnn_rng * r);
/* Uniform in [0, 1). */
DLNN_API float dlnn_rng_uniform (dlnn_rng * r);
/* Uniform integer in [0, n). */
DLNN_API uint32_t dlnn_rng_below (dlnn_rng * r, uint32_t n);
/* Standard normal. */
DLNN_API float dlnn_rng_normal (dlnn_rng * r);

#ifdef __cplusplus
}
#endif
#endif
