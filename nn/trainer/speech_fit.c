/* dltrain - `fit --task speech`: CTC training of a speech recogniser.
 *
 * The corpus is decoded and turned into log-mel frames once (the model's
 * dl.audio front end), the per-band statistics of the training frames are
 * folded into the graph, and training runs over length-bucketed batches
 * (consecutive utterances of the length-sorted set, zero-padded to the
 * longest; the batch order is shuffled every epoch by the data RNG, saved
 * in checkpoints). Each step: forward to the pre-LogSoftmax logits, CTC
 * loss and its gradient w.r.t. the logits (dlnn_ctc_loss, input lengths
 * ceil (frames / stride)), backward, global-norm gradient clipping
 * (--clip-norm), one optimizer step. After each epoch: greedy decoding of
 * the validation set (CER and WER), a checkpoint and the training curve.
 * A loss or gradient that is not finite stops training with an error that
 * names the epoch and step, leaving the last checkpoint as it was. */
#include "fit.h"
#include "speech.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DIVERGED_LOSS 1e4f
#define VAL_BATCH 16

/* Scales every trainable parameter's gradient so that their global L2
 * norm is at most @clip (0: no clipping). *norm gets the norm before. */
static void
clip_gradients (dt_speech_ctx * c, double clip, double *norm)
{
  double sq = 0;
  for (int v = 0; v < c->g->n_values; v++) {
    const dlnn_value *val = &c->g->values[v];
    dlnn_tensor *gr;
    if (val->kind != DLNN_VALUE_PARAM || !val->trainable)
      continue;
    gr = dlnn_exec_grad (c->e, v);
    if (!gr)
      continue;
    for (int64_t i = 0; i < gr->size; i++)
      sq += (double) gr->data[i] * gr->data[i];
  }
  *norm = sqrt (sq);
  if (clip <= 0 || !isfinite (*norm) || *norm <= clip)
    return;
  for (int v = 0; v < c->g->n_values; v++) {
    const dlnn_value *val = &c->g->values[v];
    const float k = (float) (clip / *norm);
    dlnn_tensor *gr;
    if (val->kind != DLNN_VALUE_PARAM || !val->trainable)
      continue;
    gr = dlnn_exec_grad (c->e, v);
    if (!gr)
      continue;
    for (int64_t i = 0; i < gr->size; i++)
      gr->data[i] *= k;
  }
}

/* One step on the utterances sorted[first .. first+nb-1]: forward, CTC
 * and backward of its shards (speech_par.c), clipping, optimizer step,
 * parameters back to the replicas. */
static dlnn_code
train_step (dt_speech_ctx * c, int first, int nb, float lr, float *loss)
{
  dlnn_status *st = &c->st;
  double norm;
  dlnn_code r;

  r = dt_speech_par_step (c, first, nb, loss);
  if (r != DLNN_OK)
    return r;
  if (!(*loss <= DIVERGED_LOSS))
    return dlnn_status_set (st, DLNN_ERR_NUMERIC, "loss %g exceeds %g",
        (double) *loss, (double) DIVERGED_LOSS);
  clip_gradients (c, c->o->clip_norm, &norm);
  if (!isfinite (norm))
    return dlnn_status_set (st, DLNN_ERR_NUMERIC, "gradient norm %g",
        norm);
  r = dlnn_optimizer_step (c->opt, c->g, c->e, lr, st);
  if (r != DLNN_OK)
    return r;
  return dt_speech_par_sync (c);
}

static dlnn_code
train_epoch (dt_speech_ctx * c, int epoch, dt_epoch_stats * es)
{
  const dt_fit_opts *o = c->o;
  dt_progress pr;
  double loss_sum = 0;
  float lr = 0;
  dlnn_code r = DLNN_OK;
  int b = 0, done = 0;

  dt_permutation (c->border, c->n_batches, &c->state.rng);
  dlnn_exec_seed (c->e, dt_mix_seed (o->seed, 0xd0000 + (uint64_t) epoch));
  dt_progress_start (&pr, !o->quiet, c->n_batches);
  for (b = 0; b < c->n_batches; b++) {
    const int first = c->border[b] * o->batch;
    const int nb = c->train.n - first < o->batch ? c->train.n - first :
        o->batch;
    float loss = 0;

    lr = dlnn_schedule_lr (&c->sched, c->state.step, c->total_steps);
    r = train_step (c, first, nb, lr, &loss);
    if (r != DLNN_OK)
      break;
    c->state.step++;
    loss_sum += loss;
    done += nb;
    dt_progress_update (&pr, b + 1, done, loss_sum / (b + 1));
  }
  dt_progress_end (&pr);
  if (r != DLNN_OK) {
    if (r == DLNN_ERR_NUMERIC)
      dlnn_status_prefix (&c->st, "training diverged at epoch %d/%d, step "
          "%d/%d (lr %.3g; try a lower --lr or --clip-norm)", epoch + 1,
          o->epochs, b + 1, c->n_batches, (double) lr);
    else
      dlnn_status_prefix (&c->st, "epoch %d, step %d", epoch + 1, b + 1);
    return r;
  }
  es->loss = loss_sum / c->n_batches;
  es->lr = lr;
  return DLNN_OK;
}

static dlnn_code
validate (dt_speech_ctx * c, dt_epoch_stats * es)
{
  dt_error_counts err;
  double sum[DT_SPEECH_CLASSES] = { 0 };
  int64_t n_frames = 0;
  dt_speech_decode_opts opts = { 0 };
  dlnn_code r;
  char *prior;

  es->acc = es->val_acc = 0;
  if (c->val.n == 0)
    return DLNN_OK;
  opts.class_sum = sum;
  opts.n_frames = &n_frames;
  r = dt_speech_decode_corpus (c->ve, &c->val, c->cfg.n_mels, VAL_BATCH, 1,
      (char *const *) dt_speech_labels, DT_SPEECH_CLASSES, 0, &opts, &err,
      &c->st);
  if (r != DLNN_OK)
    return r;
  /* class priors of the model as it stands, for prior division in
   * constrained decoding (dlspeech prior-weight) */
  prior = dt_speech_prior_json (sum, n_frames, DT_SPEECH_CLASSES);
  if (prior)
    dlnn_graph_set_meta (c->xg, "dl.ctc_prior", prior);
  free (prior);
  /* the history keeps 1 - CER in acc and 1 - WER in val_acc */
  es->acc = 1 - dt_error_counts_cer (&err);
  es->val_acc = 1 - dt_error_counts_wer (&err);
  return DLNN_OK;
}

static dlnn_code
save_checkpoint (dt_speech_ctx * c)
{
  dlnn_code r = dt_graph_copy_params (c->xg, c->g, &c->st);
  if (r != DLNN_OK)
    return r;
  dt_speech_set_metrics (c);
  dt_speech_set_provenance (c);
  c->state.fingerprint = c->fingerprint;
  r = dt_checkpoint_save (c->ckpt_dir, c->xg, c->opt, &c->state, &c->st);
  c->state.fingerprint = NULL;
  return r;
}

static void
plot (dt_speech_ctx * c)
{
  if (dt_plot_curve_labeled (c->curve_path, c->state.hist, c->state.n_hist,
          c->val.n > 0, c->o->output, "CTC loss", "validation accuracy",
          "1 - CER (characters)", "1 - WER (words)", &c->st) != DLNN_OK)
    fprintf (stderr, "dltrain: warning: %s\n", c->st.message);
}

int
dt_speech_fit_run (const dt_fit_opts * o)
{
  dt_speech_ctx c;
  int ret = 1, resumed = 0, epochs_run = 0;
  const char *audio = o->audio ? o->audio : "rate=16000;n_mels=40";

  memset (&c, 0, sizeof (c));
  c.o = o;
  dlnn_status_clear (&c.st);
  dlnn_set_threads (o->threads);
  c.rnn = o->arch_name && strcmp (o->arch_name, "lstm") == 0 ?
      DT_SPEECH_LSTM : DT_SPEECH_GRU;
  if (dlnn_audio_cfg_parse (audio, &c.cfg, &c.st) != DLNN_OK) {
    dt_fail ("--audio '%s': %s", audio, c.st.message);
    goto out;
  }
  c.ckpt_dir = o->ckpt_dir ? dt_strdup (o->ckpt_dir) :
      dt_output_sibling (o->output, ".ckpt");
  c.curve_path = dt_output_sibling (o->output, "-curve.png");
  if (!c.ckpt_dir || !c.curve_path) {
    dt_fail ("out of memory");
    goto out;
  }
  if (dt_speech_setup_data (&c) != DLNN_OK) {
    dt_fail ("%s", c.st.message);
    goto out;
  }
  if (dt_speech_setup_model (&c) != DLNN_OK) {
    dt_fail ("cannot build the speech model: %s", c.st.message);
    goto out;
  }
  dlnn_rng_seed (&c.state.rng, dt_mix_seed (o->seed, 0xda7a));
  c.state.channels = 1;         /* normalisation lives in the graph */
  c.state.mean[0] = 0;
  c.state.std[0] = 1;
  c.state.hist = calloc ((size_t) o->epochs, sizeof (dt_epoch_stats));
  if (!c.state.hist) {
    dt_fail ("out of memory");
    goto out;
  }
  if (o->resume && dt_checkpoint_resume (c.ckpt_dir, c.fingerprint,
          o->epochs, o->quiet, c.g, c.opt, &c.state, &resumed, &c.st)
      != DLNN_OK) {
    dt_fail ("cannot resume: %s", c.st.message);
    goto out;
  }
  /* data parallelism: one replica per math thread, each single-threaded */
  {
    const int k = dlnn_get_threads () > 1 && o->batch > 1 ?
        dlnn_get_threads () : 1;
    if (dt_speech_par_init (&c, k) != DLNN_OK) {
      dt_fail ("cannot set up %d training replicas: %s", k, c.st.message);
      goto out;
    }
    if (k > 1)
      dlnn_set_threads (1);
  }
  if (!o->quiet) {
    char *a = dlnn_audio_cfg_format (&c.cfg);
    printf ("data: %s, %d training + %d validation utterances (%s)\n",
        o->data, c.train.n, c.val.n, c.val_desc ? c.val_desc : "none");
    printf ("audio: %s\n", a ? a : "?");
    printf ("model: %s x %d, width %d, stride %d, %lld parameters, batch "
        "%d, %d steps per epoch, %d threads%s\n", c.rnn == DT_SPEECH_LSTM ?
        "lstm" : "gru", o->layers, o->width, DT_SPEECH_STRIDE,
        (long long) dlnn_graph_param_count (c.g), o->batch, c.n_batches,
        c.n_shards > 1 ? c.n_shards : dlnn_get_threads (),
        c.n_shards > 1 ? " (data-parallel replicas)" : "");
    if (resumed)
      printf ("resumed from '%s' after epoch %d\n", c.ckpt_dir,
          c.state.epoch);
    free (a);
    fflush (stdout);
  }

  for (int ep = c.state.epoch; ep < o->epochs; ep++) {
    dt_epoch_stats es = { 0 };
    const double t0 = dt_now ();
    double tt;

    if (train_epoch (&c, ep, &es) != DLNN_OK) {
      if (c.state.epoch > 0)
        dt_fail ("%s; the last good checkpoint (epoch %d) is in '%s'",
            c.st.message, c.state.epoch, c.ckpt_dir);
      else
        dt_fail ("%s", c.st.message);
      goto out;
    }
    tt = dt_now () - t0;
    if (validate (&c, &es) != DLNN_OK) {
      dt_fail ("validation failed: %s", c.st.message);
      goto out;
    }
    es.time = dt_now () - t0;
    c.state.hist[c.state.n_hist++] = es;
    c.state.epoch = ep + 1;
    if (!o->quiet) {
      char val[64];
      if (c.val.n > 0)
        snprintf (val, sizeof (val), "val_cer %.4f  val_wer %.4f",
            1 - es.acc, 1 - es.val_acc);
      else
        snprintf (val, sizeof (val), "no validation");
      printf ("epoch %d/%d  loss %.4f  %s  lr %.5f  time %.1fs  (%.2f "
          "steps/s, %.1f utt/s)\n", ep + 1, o->epochs, es.loss, val, es.lr,
          es.time, c.n_batches / tt, c.train.n / tt);
      fflush (stdout);
    }
    if (save_checkpoint (&c) != DLNN_OK) {
      dt_fail ("cannot write the checkpoint: %s", c.st.message);
      goto out;
    }
    plot (&c);
    if (o->stop_after > 0 && ++epochs_run >= o->stop_after
        && c.state.epoch < o->epochs) {
      if (!o->quiet)
        printf ("stopped after epoch %d (--stop-after); continue with "
            "--resume\n", c.state.epoch);
      ret = 0;
      goto out;
    }
  }

  if (dt_graph_copy_params (c.xg, c.g, &c.st) != DLNN_OK) {
    dt_fail ("%s", c.st.message);
    goto out;
  }
  dt_speech_set_metrics (&c);
  dt_speech_set_provenance (&c);
  if (dlnn_onnx_save_file (c.xg, o->output, &c.st) != DLNN_OK) {
    dt_fail ("cannot write '%s': %s", o->output, c.st.message);
    goto out;
  }
  plot (&c);
  if (!o->quiet)
    printf ("wrote %s and %s\n", o->output, c.curve_path);
  ret = 0;

out:
  dt_speech_ctx_clear (&c);
  return ret;
}
