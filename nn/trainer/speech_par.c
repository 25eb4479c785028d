/* dltrain - data-parallel CTC training steps for `fit --task speech`.
 *
 * As workers.c does for images: with --threads K > 1 each batch (a run of
 * the length-sorted training set) is split into K contiguous shards; shard
 * k runs forward, CTC loss and backward on its own replica of the training
 * graph (own exec and parameter copy, its own CTC buffers) in its own
 * thread, with single-threaded math, so the small per-time-step GEMMs of
 * the recurrent layers of all shards run at once instead of being split
 * across cores by OpenBLAS (which gains nothing at these sizes). Each
 * shard's exec is reshaped to its own longest utterance. The shard
 * gradients, weighted by their share of the batch, are summed into shard 0
 * (the context's own exec) in a fixed order, so a run is reproducible for
 * a given seed and thread count; the optimizer steps there and
 * dt_speech_par_sync copies the parameters back to the other replicas.
 *
 * SpecAugment (--spec-augment N, Park et al. 2019, without time warping):
 * each training utterance gets N frequency masks of 0..7 consecutive mel
 * bands and N time masks of 0..min (20, frames / 10) consecutive frames,
 * set to the band's training mean (0 after the graph's normalisation);
 * the masks come from a generator seeded by the run seed, the step and
 * the utterance, so they do not depend on the thread count. */
#include "fit.h"
#include "speech.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

void
dt_speech_par_free (dt_speech_ctx * c)
{
  for (int k = 0; c->shards && k < c->n_shards; k++) {
    dt_speech_shard *s = &c->shards[k];
    if (s->own) {
      dlnn_exec_free (s->e);
      dlnn_graph_free (s->g);
    }
    free (s->targets);
    free (s->in_lens);
    free (s->tgt_lens);
    free (s->ws);
    dlnn_tensor_free (s->dlogits);
  }
  free (c->shards);
  c->shards = NULL;
  c->n_shards = 0;
}

dlnn_code
dt_speech_par_init (dt_speech_ctx * c, int k)
{
  const dt_fit_opts *o = c->o;
  dlnn_status *st = &c->st;

  if (k < 1)
    k = 1;
  if (k > o->batch)
    k = o->batch;
  c->shards = calloc ((size_t) k, sizeof (dt_speech_shard));
  if (!c->shards)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  c->n_shards = k;
  for (int i = 0; i < k; i++) {
    dt_speech_shard *s = &c->shards[i];
    s->c = c;
    dlnn_status_clear (&s->st);
    if (i == 0) {
      s->g = c->g;
      s->e = c->e;
    } else {
      s->own = 1;
      s->g = dt_speech_build (c->rnn, o->layers, o->width, c->cfg.n_mels,
          DT_SPEECH_CLASSES, c->mean, c->inv_std, 0, NULL, st);
      if (!s->g)
        return st->code;
      if (dlnn_graph_finalize (s->g, st) != DLNN_OK
          || dt_graph_copy_params (s->g, c->g, st) != DLNN_OK)
        return st->code;
      s->e = dlnn_exec_new (s->g, DLNN_EXEC_TRAINING, st);
      if (!s->e)
        return st->code;
    }
    s->targets = malloc ((size_t) c->max_batch_labels * sizeof (int32_t));
    s->in_lens = malloc ((size_t) o->batch * sizeof (int64_t));
    s->tgt_lens = malloc ((size_t) o->batch * sizeof (int64_t));
    s->ws = malloc (c->ws_size);
    if (!s->targets || !s->in_lens || !s->tgt_lens || !s->ws)
      return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  }
  return DLNN_OK;
}

/* Forward, CTC loss (mean over the shard) and backward of one shard. */
static dlnn_code
shard_run (dt_speech_shard * s)
{
  const dt_speech_ctx *c = s->c;
  dlnn_status *st = &s->st;
  const int M = c->cfg.n_mels;
  const int T = c->train.u[c->sorted[s->first + s->nb - 1]].frames;
  const int64_t dims[3] = { s->nb, T, M };
  dlnn_ctc_loss_cfg lc;
  const dlnn_tensor *out;
  dlnn_tensor *in;
  int64_t To, n_targets = 0;
  dlnn_rng rng;
  dlnn_code r;

  r = dlnn_exec_reshape (s->e, 0, 3, dims, st);
  if (r != DLNN_OK)
    return r;
  in = dlnn_exec_input (s->e, 0);
  memset (in->data, 0, (size_t) in->size * sizeof (float));
  for (int i = 0; i < s->nb; i++) {
    const dt_utt *u = &c->train.u[c->sorted[s->first + i]];
    memcpy (in->data + (int64_t) i * T * M, u->feat,
        (size_t) u->frames * M * sizeof (float));
    if (c->o->spec_masks > 0) {
      dlnn_rng_seed (&rng, dt_mix_seed (s->seed, (uint64_t) (s->first + i)));
      dt_spec_augment (in->data + (int64_t) i * T * M, u->frames,
          c->cfg.n_mels, c->mean, c->o->spec_masks, &rng);
    }
    s->in_lens[i] = dt_speech_out_frames (u->frames);
    s->tgt_lens[i] = u->n_labels;
    memcpy (s->targets + n_targets, u->labels,
        (size_t) u->n_labels * sizeof (int32_t));
    n_targets += u->n_labels;
  }
  r = dlnn_exec_forward (s->e, st);
  if (r != DLNN_OK)
    return r;
  out = dlnn_exec_output (s->e, 0);
  To = out->dims[1];
  for (int i = 0; i < s->nb; i++)
    if (s->in_lens[i] > To)
      s->in_lens[i] = To;
  if (!s->dlogits || !dlnn_shape_equal (s->dlogits, out)) {
    dlnn_tensor_free (s->dlogits);
    s->dlogits = dlnn_tensor_new (DLNN_FLOAT32, out->ndim, out->dims, st);
    if (!s->dlogits)
      return st->code;
  }
  dlnn_ctc_loss_cfg_init (&lc);
  lc.blank = 0;
  lc.batch_first = 1;
  lc.input_is_logits = 1;
  lc.zero_infinity = 1;
  r = dlnn_ctc_loss (&lc, out->data, To, s->nb, DT_SPEECH_CLASSES,
      s->targets, s->in_lens, s->tgt_lens, &s->loss, NULL, s->dlogits->data,
      NULL, s->ws, c->ws_size, st);
  if (r != DLNN_OK)
    return r;
  dlnn_exec_zero_grad (s->e);
  return dlnn_exec_backward (s->e, 0, s->dlogits, st);
}

static void *
shard_thread (void *arg)
{
  dt_speech_shard *s = arg;
  s->r = shard_run (s);
  return NULL;
}

dlnn_code
dt_speech_par_step (dt_speech_ctx * c, int first, int nb, float *loss)
{
  const int k = c->n_shards < nb ? c->n_shards : nb;
  pthread_t tids[64];
  int started[64] = { 0 };
  double total = 0;

  if (k > 64)
    return dlnn_status_set (&c->st, DLNN_ERR_INVALID, "too many threads");
  for (int i = 0, off = first; i < k; i++) {
    dt_speech_shard *s = &c->shards[i];
    s->first = off;
    s->nb = nb / k + (i < nb % k ? 1 : 0);
    s->seed = dt_mix_seed (c->o->seed, 0x5bec0000000ull
        + (uint64_t) c->state.step);
    off += s->nb;
    s->r = DLNN_OK;
    dlnn_status_clear (&s->st);
  }
  if (k == 1) {
    c->shards[0].r = shard_run (&c->shards[0]);
  } else {
    for (int i = 1; i < k; i++)
      started[i] = pthread_create (&tids[i], NULL, shard_thread,
          &c->shards[i]) == 0;
    c->shards[0].r = shard_run (&c->shards[0]);
    for (int i = 1; i < k; i++) {
      if (started[i])
        pthread_join (tids[i], NULL);
      else
        c->shards[i].r = shard_run (&c->shards[i]);
    }
  }
  for (int i = 0; i < k; i++)
    if (c->shards[i].r != DLNN_OK) {
      c->st = c->shards[i].st;
      return c->shards[i].r;
    }
  for (int i = 0; i < k; i++)
    total += (double) c->shards[i].nb / nb * c->shards[i].loss;
  *loss = (float) total;
  if (k == 1)
    return DLNN_OK;
  /* batch mean = sum over shards of (shard size / batch) * shard mean */
  for (int v = 0; v < c->g->n_values; v++) {
    const dlnn_value *val = &c->g->values[v];
    dlnn_tensor *g0;
    float w0;
    if (val->kind != DLNN_VALUE_PARAM || !val->trainable)
      continue;
    g0 = dlnn_exec_grad (c->e, v);
    if (!g0)
      continue;
    w0 = (float) c->shards[0].nb / (float) nb;
    for (int64_t j = 0; j < g0->size; j++)
      g0->data[j] *= w0;
    for (int i = 1; i < k; i++) {
      const dlnn_tensor *gi = dlnn_exec_grad (c->shards[i].e, v);
      const float wi = (float) c->shards[i].nb / (float) nb;
      if (!gi || gi->size != g0->size)
        return dlnn_status_set (&c->st, DLNN_ERR_INVALID,
            "replica %d has no gradient for '%s'", i, val->name);
      for (int64_t j = 0; j < g0->size; j++)
        g0->data[j] += wi * gi->data[j];
    }
  }
  return DLNN_OK;
}

dlnn_code
dt_speech_par_sync (dt_speech_ctx * c)
{
  for (int i = 1; i < c->n_shards; i++)
    if (dt_graph_copy_params (c->shards[i].g, c->g, &c->st) != DLNN_OK)
      return c->st.code;
  return DLNN_OK;
}
