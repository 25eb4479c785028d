/* libdlnn - parameter initialisation.
 *
 * He (Kaiming) for ReLU networks: normal with std sqrt (2 / fan_in) or
 * uniform in +-sqrt (6 / fan_in). Xavier (Glorot): normal with std
 * sqrt (2 / (fan_in + fan_out)) or uniform in +-sqrt (6 / (fan_in +
 * fan_out)). Draws from @rng in element order, so a seed gives the same
 * weights on every machine. */
#include "dlnn/train.h"

#include <math.h>

void
dlnn_init_tensor (dlnn_tensor * t, dlnn_init_kind kind, int64_t fan_in,
    int64_t fan_out, dlnn_rng * rng)
{
  double a = 0.0;
  int normal = 0;

  if (!t || !t->data)
    return;
  if (fan_in < 1)
    fan_in = 1;
  if (fan_out < 1)
    fan_out = 1;
  switch (kind) {
    case DLNN_INIT_ZERO:
    case DLNN_INIT_ONE:
      for (int64_t i = 0; i < t->size; i++)
        t->data[i] = kind == DLNN_INIT_ONE ? 1.0f : 0.0f;
      return;
    case DLNN_INIT_HE_NORMAL:
      a = sqrt (2.0 / (double) fan_in);
      normal = 1;
      break;
    case DLNN_INIT_HE_UNIFORM:
      a = sqrt (6.0 / (double) fan_in);
      break;
    case DLNN_INIT_XAVIER_NORMAL:
      a = sqrt (2.0 / (double) (fan_in + fan_out));
      normal = 1;
      break;
    case DLNN_INIT_XAVIER_UNIFORM:
      a = sqrt (6.0 / (double) (fan_in + fan_out));
      break;
  }
  for (int64_t i = 0; i < t->size; i++) {
    if (normal)
      t->data[i] = (float) (a * dlnn_rng_normal (rng));
    else
      t->data[i] = (float) (a * (2.0 * dlnn_rng_uniform (rng) - 1.0));
  }
}
