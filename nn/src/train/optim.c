/* libdlnn - optimizers: SGD (momentum, Nesterov), Adam, AdamW.
 *
 * With g the gradient, p the parameter, lr the learning rate, wd the
 * weight decay (applied only to parameters of rank >= 2):
 *   SGD:   g += wd * p;  v = mu * v + g;
 *          p -= lr * (nesterov ? g + mu * v : v)      (v only if mu > 0)
 *   Adam:  g += wd * p;  m = b1 * m + (1 - b1) * g;
 *          v = b2 * v + (1 - b2) * g^2;  t += 1;
 *          p -= lr * (m / (1 - b1^t)) / (sqrt (v / (1 - b2^t)) + eps)
 *   AdamW: p -= lr * wd * p, then Adam without the L2 term.
 * These match torch.optim.SGD (dampening 0), Adam and AdamW. */
#include "optim-internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optim-state.h"
#include "op.h"

struct dlnn_optimizer
{
  dlnn_optim_cfg cfg;
  int n;                        /* trainable parameters */
  int *values;                  /* their value indices in the graph */
  char **names;
  int64_t *sizes;
  int *decay;                   /* weight decay applies (rank >= 2) */
  int n_slots;                  /* state floats per element: 0, 1 or 2 */
  int64_t *offsets;             /* of each parameter's state in @state */
  int64_t state_size;           /* floats */
  float *state;
  int64_t t;                    /* steps taken */
  float **pbuf;                 /* scratch pointer arrays for step () */
  const float **gbuf;
};

void
dlnn_optim_cfg_init (dlnn_optim_cfg * cfg, dlnn_optim_kind kind)
{
  memset (cfg, 0, sizeof (*cfg));
  cfg->kind = kind;
  cfg->momentum = kind == DLNN_OPTIM_SGD ? 0.9f : 0.0f;
  cfg->nesterov = 0;
  cfg->beta1 = 0.9f;
  cfg->beta2 = 0.999f;
  cfg->eps = 1e-8f;
  cfg->weight_decay = kind == DLNN_OPTIM_ADAMW ? 0.01f : 0.0f;
}

static int
optim_slots (const dlnn_optim_cfg * cfg)
{
  if (cfg->kind == DLNN_OPTIM_SGD)
    return cfg->momentum != 0.0f ? 1 : 0;
  return 2;
}

dlnn_optimizer *
dlnn_optimizer_new (const dlnn_graph * g, const dlnn_optim_cfg * cfg,
    dlnn_status * st)
{
  dlnn_optimizer *o;
  int n = 0;

  if (!g || !cfg) {
    dlnn_status_set (st, DLNN_ERR_INVALID, "optimizer: no graph or config");
    return NULL;
  }
  if (cfg->kind != DLNN_OPTIM_SGD && cfg->kind != DLNN_OPTIM_ADAM &&
      cfg->kind != DLNN_OPTIM_ADAMW) {
    dlnn_status_set (st, DLNN_ERR_INVALID, "optimizer: unknown kind %d",
        (int) cfg->kind);
    return NULL;
  }
  if (!(cfg->momentum >= 0.0f && cfg->momentum < 1.0f) ||
      !(cfg->beta1 >= 0.0f && cfg->beta1 < 1.0f) ||
      !(cfg->beta2 >= 0.0f && cfg->beta2 < 1.0f) || !(cfg->eps > 0.0f) ||
      !(cfg->weight_decay >= 0.0f && isfinite (cfg->weight_decay))) {
    dlnn_status_set (st, DLNN_ERR_INVALID,
        "optimizer: momentum, beta1 and beta2 must be in [0, 1), eps > 0 "
        "and weight decay >= 0");
    return NULL;
  }
  for (int i = 0; i < g->n_values; i++)
    if (g->values[i].kind == DLNN_VALUE_PARAM && g->values[i].trainable)
      n++;

  o = calloc (1, sizeof (*o));
  if (!o)
    goto nomem;
  o->cfg = *cfg;
  o->n_slots = optim_slots (cfg);
  o->values = calloc (n ? n : 1, sizeof (int));
  o->names = calloc (n ? n : 1, sizeof (char *));
  o->sizes = calloc (n ? n : 1, sizeof (int64_t));
  o->decay = calloc (n ? n : 1, sizeof (int));
  o->offsets = calloc (n ? n : 1, sizeof (int64_t));
  o->pbuf = calloc (n ? n : 1, sizeof (float *));
  o->gbuf = calloc (n ? n : 1, sizeof (float *));
  if (!o->values || !o->names || !o->sizes || !o->decay || !o->offsets ||
      !o->pbuf || !o->gbuf)
    goto nomem;
  for (int i = 0; i < g->n_values; i++) {
    const dlnn_value *v = &g->values[i];
    if (v->kind != DLNN_VALUE_PARAM || !v->trainable)
      continue;
    if (!v->init || !v->init->data) {
      dlnn_status_set (st, DLNN_ERR_INVALID,
          "optimizer: trainable parameter '%s' has no float data", v->name);
      dlnn_optimizer_free (o);
      return NULL;
    }
    o->values[o->n] = i;
    o->names[o->n] = dlnn_strdup (v->name ? v->name : "");
    if (!o->names[o->n])
      goto nomem;
    o->sizes[o->n] = v->init->size;
    o->decay[o->n] = v->init->ndim >= 2;
    o->offsets[o->n] = o->state_size;
    o->state_size += v->init->size * o->n_slots;
    o->n++;
  }
  if (o->state_size > 0) {
    o->state = calloc ((size_t) o->state_size, sizeof (float));
    if (!o->state)
      goto nomem;
  }
  return o;

nomem:
  dlnn_optimizer_free (o);
  dlnn_status_set (st, DLNN_ERR_NOMEM, "optimizer: out of memory");
  return NULL;
}

void
dlnn_optimizer_free (dlnn_optimizer * o)
{
  if (!o)
    return;
  if (o->names)
    for (int i = 0; i < o->n; i++)
      free (o->names[i]);
  free (o->names);
  free (o->values);
  free (o->sizes);
  free (o->decay);
  free (o->offsets);
  free (o->state);
  free (o->pbuf);
  free (o->gbuf);
  free (o);
}

int
dlnn_optimizer_n_params (const dlnn_optimizer * o)
{
  return o ? o->n : 0;
}

int
dlnn_optimizer_param_value (const dlnn_optimizer * o, int i)
{
  return o && i >= 0 && i < o->n ? o->values[i] : -1;
}

int64_t
dlnn_optimizer_steps (const dlnn_optimizer * o)
{
  return o ? o->t : 0;
}

static void
sgd_update (const dlnn_optim_cfg * c, float *p, const float *g, float *v,
    int64_t n, float lr, float wd)
{
  const float mu = c->momentum;

  if (!v) {
    for (int64_t i = 0; i < n; i++)
      p[i] -= lr * (g[i] + wd * p[i]);
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    float gi = g[i] + wd * p[i];
    v[i] = mu * v[i] + gi;
    p[i] -= lr * (c->nesterov ? gi + mu * v[i] : v[i]);
  }
}

static void
adam_update (const dlnn_optim_cfg * c, float *p, const float *g, float *m,
    float *v, int64_t n, float lr, float wd, int decoupled, int64_t t)
{
  const float b1 = c->beta1, b2 = c->beta2, eps = c->eps;
  const float bc1 = (float) (1.0 - pow (b1, (double) t));
  const float bc2 = (float) (1.0 - pow (b2, (double) t));
  const float step = lr / bc1;
  const float inv_sqrt_bc2 = (float) (1.0 / sqrt (bc2));

  for (int64_t i = 0; i < n; i++) {
    float gi = g[i];
    if (decoupled)
      p[i] -= lr * wd * p[i];
    else
      gi += wd * p[i];
    m[i] = b1 * m[i] + (1.0f - b1) * gi;
    v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
    p[i] -= step * m[i] / (sqrtf (v[i]) * inv_sqrt_bc2 + eps);
  }
}

dlnn_code
dlnn_optimizer_update (dlnn_optimizer * o, float *const *params,
    const float *const *grads, float lr, dlnn_status * st)
{
  if (!o)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "optimizer: NULL");
  if (!isfinite (lr))
    return dlnn_status_set (st, DLNN_ERR_NUMERIC,
        "optimizer: learning rate is not finite");
  for (int i = 0; i < o->n; i++) {
    const float *g = grads[i];
    float acc = 0.0f;
    /* a NaN or Inf anywhere makes the product NaN */
    for (int64_t k = 0; k < o->sizes[i]; k++)
      acc += g[k] * 0.0f;
    if (isnan (acc))
      return dlnn_status_set (st, DLNN_ERR_NUMERIC,
          "optimizer: non-finite gradient for parameter '%s'", o->names[i]);
  }
  o->t++;
  for (int i = 0; i < o->n; i++) {
    float *s = o->state ? o->state + o->offsets[i] : NULL;
    const int64_t n = o->sizes[i];
    const float wd = o->decay[i] ? o->cfg.weight_decay : 0.0f;
    switch (o->cfg.kind) {
      case DLNN_OPTIM_SGD:
        sgd_update (&o->cfg, params[i], grads[i], o->n_slots ? s : NULL, n,
            lr, wd);
        break;
      case DLNN_OPTIM_ADAM:
      case DLNN_OPTIM_ADAMW:
        adam_update (&o->cfg, params[i], grads[i], s, s + n, n, lr, wd,
            o->cfg.kind == DLNN_OPTIM_ADAMW, o->t);
        break;
    }
  }
  return DLNN_OK;
}

dlnn_code
dlnn_optimizer_step (dlnn_optimizer * o, dlnn_graph * g, dlnn_exec * e,
    float lr, dlnn_status * st)
{
  if (!o || !g || !e)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "optimizer step: NULL optimizer, graph or exec");
  for (int i = 0; i < o->n; i++) {
    const int vi = o->values[i];
    dlnn_tensor *grad;
    if (vi >= g->n_values || !g->values[vi].init ||
        g->values[vi].init->size != o->sizes[i] || !g->values[vi].init->data)
      return dlnn_status_set (st, DLNN_ERR_SHAPE,
          "optimizer step: parameter '%s' changed since the optimizer was "
          "created", o->names[i]);
    grad = dlnn_exec_grad (e, vi);
    if (!grad || !grad->data || grad->size != o->sizes[i])
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "optimizer step: no gradient for parameter '%s'", o->names[i]);
    o->pbuf[i] = g->values[vi].init->data;
    o->gbuf[i] = grad->data;
  }
  return dlnn_optimizer_update (o, o->pbuf, o->gbuf, lr, st);
}

/* State files: see optim-state.h. */

dlnn_code
dlnn_optimizer_save (const dlnn_optimizer * o, const char *path,
    dlnn_status * st)
{
  dlnn_optim_state_writer w;
  dlnn_code c;

  if (!o || !path)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "optimizer save: NULL optimizer or path");
  dlnn_optim_state_writer_init (&w);
  dlnn_optim_state_put_header (&w, (uint32_t) o->cfg.kind,
      (uint32_t) o->n_slots, (uint32_t) o->n, o->t);
  for (int i = 0; i < o->n; i++)
    dlnn_optim_state_put_param (&w, o->names[i], o->sizes[i]);
  dlnn_optim_state_put_floats (&w, o->state, o->state_size);
  c = dlnn_optim_state_write_file (&w, path, st);
  dlnn_optim_state_writer_clear (&w);
  return c;
}

dlnn_code
dlnn_optimizer_load (dlnn_optimizer * o, const char *path, dlnn_status * st)
{
  dlnn_optim_state_reader r;
  uint32_t kind, slots, n;
  int64_t t;
  dlnn_code c;

  if (!o || !path)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "optimizer load: NULL optimizer or path");
  c = dlnn_optim_state_read_file (&r, path, st);
  if (c != DLNN_OK)
    return c;
  c = dlnn_optim_state_get_header (&r, &kind, &slots, &n, &t, st);
  if (c != DLNN_OK)
    goto out;
  if (kind != (uint32_t) o->cfg.kind || slots != (uint32_t) o->n_slots) {
    c = dlnn_status_set (st, DLNN_ERR_FORMAT,
        "%s: optimizer state is for kind %u with %u slots, expected kind %d "
        "with %d", path, kind, slots, (int) o->cfg.kind, o->n_slots);
    goto out;
  }
  if (n != (uint32_t) o->n) {
    c = dlnn_status_set (st, DLNN_ERR_FORMAT,
        "%s: optimizer state has %u parameters, the model %d", path, n,
        o->n);
    goto out;
  }
  if (t < 0) {
    c = dlnn_status_set (st, DLNN_ERR_FORMAT, "%s: negative step count",
        path);
    goto out;
  }
  for (int i = 0; i < o->n; i++) {
    c = dlnn_optim_state_check_param (&r, o->names[i], o->sizes[i], st);
    if (c != DLNN_OK) {
      dlnn_status_prefix (st, "%s", path);
      goto out;
    }
  }
  c = dlnn_optim_state_get_floats (&r, o->state, o->state_size, st);
  if (c != DLNN_OK) {
    dlnn_status_prefix (st, "%s", path);
    goto out;
  }
  o->t = t;
out:
  dlnn_optim_state_reader_clear (&r);
  return c;
}
