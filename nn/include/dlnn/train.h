/* libdlnn - training: losses, initialisation, optimizers, schedules. */
#ifndef DLNN_TRAIN_H
#define DLNN_TRAIN_H

#include "exec.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Softmax cross-entropy over logits [N, C] with integer labels in [0, C).
 * Returns the mean loss over the batch in *loss; if @dlogits is non-NULL
 * (same shape) it receives d(mean loss)/d(logits). *correct (if non-NULL)
 * counts argmax hits. DLNN_ERR_NUMERIC if the loss is not finite;
 * DLNN_ERR_INVALID for labels out of range. */
DLNN_API dlnn_code dlnn_softmax_cross_entropy (const dlnn_tensor * logits,
    const int *labels, float label_smoothing, float *loss,
    dlnn_tensor * dlogits, int *correct, dlnn_status * st);

/* Binary cross-entropy with logits (multi-label): logits [N, K] (or
 * [N, K, 1, ...]), @targets N*K floats in [0, 1] in the same order,
 * @pos_weight NULL or K per-class weights of the positive term:
 *   l = pw_k * y * softplus (-z) + (1 - y) * softplus (z)
 * (= -pw_k y log sigmoid (z) - (1 - y) log (1 - sigmoid (z)), as
 * torch.nn.functional.binary_cross_entropy_with_logits), computed stably
 * with softplus (x) = max (x, 0) + log1p (exp (-|x|)). *loss is the mean
 * over all N*K elements; @dlogits (NULL or the same size) receives
 * d(mean loss)/d(logits) = (sigmoid (z) (pw y + 1 - y) - pw y) / (N K).
 * DLNN_ERR_INVALID for targets outside [0, 1] or negative weights,
 * DLNN_ERR_NUMERIC if the loss is not finite. */
DLNN_API dlnn_code dlnn_bce_with_logits (const dlnn_tensor * logits,
    const float *targets, const float *pos_weight, float *loss,
    dlnn_tensor * dlogits, dlnn_status * st);

/* Initialisation of a weight tensor whose first dim is fan-out. */
typedef enum dlnn_init_kind
{ DLNN_INIT_HE_NORMAL, DLNN_INIT_HE_UNIFORM, DLNN_INIT_XAVIER_UNIFORM,
  DLNN_INIT_XAVIER_NORMAL, DLNN_INIT_ZERO, DLNN_INIT_ONE } dlnn_init_kind;
DLNN_API void dlnn_init_tensor (dlnn_tensor * t, dlnn_init_kind kind,
    int64_t fan_in, int64_t fan_out, dlnn_rng * rng);

typedef enum dlnn_optim_kind
{ DLNN_OPTIM_SGD, DLNN_OPTIM_ADAM, DLNN_OPTIM_ADAMW } dlnn_optim_kind;

typedef struct dlnn_optim_cfg
{
  dlnn_optim_kind kind;
  float momentum;               /* SGD; 0.9 typical */
  int nesterov;                 /* SGD */
  float beta1, beta2, eps;      /* Adam(W) */
  float weight_decay;           /* SGD/Adam: L2 added to grad;
                                   AdamW: decoupled */
} dlnn_optim_cfg;

DLNN_API void dlnn_optim_cfg_init (dlnn_optim_cfg * cfg,
    dlnn_optim_kind kind);

typedef struct dlnn_optimizer dlnn_optimizer;
/* One state slot per trainable parameter of @g. */
DLNN_API dlnn_optimizer *dlnn_optimizer_new (const dlnn_graph * g,
    const dlnn_optim_cfg * cfg, dlnn_status * st);
DLNN_API void dlnn_optimizer_free (dlnn_optimizer * o);
/* Applies one update with learning rate @lr to every trainable parameter
 * of @g using the gradients in @e. Weight decay is not applied to 1-D
 * parameters (biases, norm scales). */
DLNN_API dlnn_code dlnn_optimizer_step (dlnn_optimizer * o, dlnn_graph * g,
    dlnn_exec * e, float lr, dlnn_status * st);
/* Optimizer state (moments, step count) for checkpoints. */
DLNN_API dlnn_code dlnn_optimizer_save (const dlnn_optimizer * o,
    const char *path, dlnn_status * st);
DLNN_API dlnn_code dlnn_optimizer_load (dlnn_optimizer * o,
    const char *path, dlnn_status * st);

typedef enum dlnn_schedule_kind
{ DLNN_SCHEDULE_CONSTANT, DLNN_SCHEDULE_COSINE, DLNN_SCHEDULE_STEP }
    dlnn_schedule_kind;

typedef struct dlnn_schedule
{
  dlnn_schedule_kind kind;
  float base_lr;
  int64_t warmup_steps;         /* linear warm-up from 0 */
  float min_lr;                 /* cosine floor */
  int64_t step_size;            /* STEP: multiply by gamma every step_size */
  float gamma;
} dlnn_schedule;

DLNN_API float dlnn_schedule_lr (const dlnn_schedule * s, int64_t step,
    int64_t total_steps);

#ifdef __cplusplus
}
#endif
#endif
