/* libdlnn - learning-rate schedules.
 *
 * @step counts optimizer steps from 0. During warm-up (step <
 * warmup_steps) the rate rises linearly: base_lr * (step + 1) /
 * warmup_steps, so the first step is not wasted and step warmup_steps - 1
 * reaches base_lr. After warm-up, with t = step - warmup_steps and
 * T = total_steps - warmup_steps:
 *   CONSTANT: base_lr
 *   COSINE:   min_lr + (base_lr - min_lr) * (1 + cos (pi * t / T)) / 2,
 *             t clamped to [0, T] (min_lr from the last step on)
 *   STEP:     base_lr * gamma ^ floor (t / step_size) */
#include "dlnn/train.h"

#include <math.h>

#define DLNN_PI 3.14159265358979323846

float
dlnn_schedule_lr (const dlnn_schedule * s, int64_t step, int64_t total_steps)
{
  int64_t t, span;

  if (!s)
    return 0.0f;
  if (step < 0)
    step = 0;
  if (s->warmup_steps > 0 && step < s->warmup_steps)
    return (float) ((double) s->base_lr * (double) (step + 1) /
        (double) s->warmup_steps);
  t = step - (s->warmup_steps > 0 ? s->warmup_steps : 0);
  switch (s->kind) {
    case DLNN_SCHEDULE_COSINE:
      span = total_steps - (s->warmup_steps > 0 ? s->warmup_steps : 0);
      if (span <= 0 || t >= span)
        return s->min_lr;
      return (float) (s->min_lr + ((double) s->base_lr - s->min_lr) * 0.5 *
          (1.0 + cos (DLNN_PI * (double) t / (double) span)));
    case DLNN_SCHEDULE_STEP:
      if (s->step_size <= 0)
        return s->base_lr;
      return (float) ((double) s->base_lr * pow ((double) s->gamma,
              (double) (t / s->step_size)));
    case DLNN_SCHEDULE_CONSTANT:
    default:
      return s->base_lr;
  }
}
