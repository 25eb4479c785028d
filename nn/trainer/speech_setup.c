/* dltrain - `fit --task speech` set-up: corpora and features, the
 * validation split, per-band normalisation statistics, graphs, execs,
 * optimizer, schedule, length-bucketed batches, and the dl.* metadata of
 * the exported model. */
#include "fit.h"
#include "speech.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void
dt_speech_ctx_clear (dt_speech_ctx * c)
{
  dt_corpus_free (&c->train);
  dt_corpus_free (&c->val);
  free (c->val_path);
  free (c->mean);
  free (c->inv_std);
  dlnn_optimizer_free (c->opt);
  dlnn_exec_free (c->e);
  dlnn_exec_free (c->ve);
  dlnn_graph_free (c->g);
  dlnn_graph_free (c->xg);
  free (c->sorted);
  free (c->border);
  dt_speech_par_free (c);
  dt_train_state_clear (&c->state);
  free (c->ckpt_dir);
  free (c->curve_path);
  free (c->fingerprint);
  memset (c, 0, sizeof (*c));
}

/* Frames CTC needs for @u: its labels plus one blank between repeats. */
static int64_t
needed_frames (const dt_utt * u)
{
  int64_t n = u->n_labels;
  for (int i = 1; i < u->n_labels; i++)
    n += u->labels[i] == u->labels[i - 1];
  return n;
}

/* Moves utterances @idx (sorted, @n of them) of @from into @to. */
static dlnn_code
split_off (dt_corpus * from, const int *take, dt_corpus * to,
    dlnn_status * st)
{
  int n_to = 0, k = 0;
  for (int i = 0; i < from->n; i++)
    n_to += take[i];
  memset (to, 0, sizeof (*to));
  if (n_to == 0)
    return DLNN_OK;
  to->u = malloc ((size_t) n_to * sizeof (dt_utt));
  if (!to->u)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  for (int i = 0; i < from->n; i++) {
    if (take[i])
      to->u[to->n++] = from->u[i];
    else
      from->u[k++] = from->u[i];
  }
  from->n = k;
  return DLNN_OK;
}

dlnn_code
dt_speech_setup_data (dt_speech_ctx * c)
{
  const dt_fit_opts *o = c->o;
  dlnn_status *st = &c->st;
  const char *val = o->val_data;
  const int M = c->cfg.n_mels;
  double *sum, *sq, frames = 0;
  int skipped = 0;
  dlnn_code r;

  if (!o->quiet)
    printf ("reading %s\n", o->data), fflush (stdout);
  r = dt_corpus_load (o->data, o->limit, &c->train, st);
  if (r != DLNN_OK)
    return r;
  if (!val && (c->val_path = dt_corpus_sibling_val (o->data)))
    val = c->val_path;
  if (val) {
    r = dt_corpus_load (val, 0, &c->val, st);
    if (r != DLNN_OK)
      return dlnn_status_prefix (st, "validation data");
    c->val_desc = val;
  } else if (o->val_split > 0 && c->train.n >= 2) {
    /* a seeded random subset */
    int *take = calloc ((size_t) c->train.n, sizeof (int));
    int n_val = (int) floor (o->val_split * c->train.n + 0.5);
    dlnn_rng rng;
    if (!take)
      return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    if (n_val < 1)
      n_val = 1;
    if (n_val >= c->train.n)
      n_val = c->train.n - 1;
    dlnn_rng_seed (&rng, dt_mix_seed (o->seed, 0x5b11));
    for (int k = 0; k < n_val;) {
      int i = (int) dlnn_rng_below (&rng, (uint32_t) c->train.n);
      if (!take[i]) {
        take[i] = 1;
        k++;
      }
    }
    r = split_off (&c->train, take, &c->val, st);
    free (take);
    if (r != DLNN_OK)
      return r;
    c->val_desc = "--val-split";
  }
  if (!o->quiet)
    printf ("features: %d training + %d validation utterances\n",
        c->train.n, c->val.n), fflush (stdout);
  {
    const double t0 = dt_now ();
    r = dt_corpus_features (&c->train, &c->cfg, o->quiet, st);
    if (r == DLNN_OK)
      r = dt_corpus_features (&c->val, &c->cfg, o->quiet, st);
    if (r != DLNN_OK)
      return r;
    if (!o->quiet) {
      const double dt = dt_now () - t0;
      printf ("features: %.2f h of training audio, %.2f h validation, "
          "%.1f s (%.0f utterances/s)\n", c->train.seconds / 3600,
          c->val.seconds / 3600, dt, dt > 0 ? (c->train.n + c->val.n) / dt :
          0.0);
      fflush (stdout);
    }
  }
  /* utterances CTC cannot align at the model's stride are left out */
  {
    int k = 0;
    for (int i = 0; i < c->train.n; i++) {
      dt_utt *u = &c->train.u[i];
      if (dt_speech_out_frames (u->frames) < needed_frames (u)) {
        free (u->path);
        free (u->text);
        free (u->labels);
        free (u->feat);
        skipped++;
        continue;
      }
      c->train.u[k++] = *u;
    }
    c->train.n = k;
    if (skipped && !o->quiet)
      fprintf (stderr, "dltrain: warning: %d training utterances have "
          "more characters than output frames (%d input frames each); "
          "left out\n", skipped, DT_SPEECH_STRIDE);
  }
  if (c->train.n < 1)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "no training utterances "
        "left");

  /* per-band mean and standard deviation of the training frames */
  sum = calloc ((size_t) M, sizeof (double));
  sq = calloc ((size_t) M, sizeof (double));
  c->mean = malloc ((size_t) M * sizeof (float));
  c->inv_std = malloc ((size_t) M * sizeof (float));
  if (!sum || !sq || !c->mean || !c->inv_std) {
    free (sum);
    free (sq);
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  }
  for (int i = 0; i < c->train.n; i++) {
    const dt_utt *u = &c->train.u[i];
    for (int t = 0; t < u->frames; t++)
      for (int m = 0; m < M; m++) {
        const double v = u->feat[(int64_t) t * M + m];
        sum[m] += v;
        sq[m] += v * v;
      }
    frames += u->frames;
  }
  for (int m = 0; m < M; m++) {
    const double mu = sum[m] / frames;
    double var = sq[m] / frames - mu * mu;
    if (!(var > 1e-6))
      var = 1e-6;
    c->mean[m] = (float) mu;
    c->inv_std[m] = (float) (1.0 / sqrt (var));
  }
  free (sum);
  free (sq);
  return DLNN_OK;
}

static char *
make_fingerprint (dt_speech_ctx * c)
{
  const dt_fit_opts *o = c->o;
  char *audio = dlnn_audio_cfg_format (&c->cfg);
  dt_str b;

  dt_str_init (&b);
  dt_str_addf (&b, "task=speech data=%s val=%s n_train=%d n_val=%d "
      "audio=%s arch=%s layers=%d width=%d batch=%d optim=%d lr=%a "
      "min_lr=%a wd=%a schedule=%d warmup=%a clip=%a seed=%llu limit=%d "
      "spec=%d init=%s", o->data, c->val_desc ? c->val_desc : "-", c->train.n,
      c->val.n, audio ? audio : "?", c->rnn == DT_SPEECH_LSTM ? "lstm" :
      "gru", o->layers, o->width, o->batch, (int) o->optim, o->lr,
      o->min_lr, o->weight_decay, (int) o->schedule, o->warmup_epochs,
      o->clip_norm, (unsigned long long) o->seed, o->limit, o->spec_masks, o->init ? o->init : "-");
  free (audio);
  return b.s;
}

/* --init: every parameter of the training graph from the model at
 * @path (a dltrain speech model of the same shape), normalisation
 * constants included, so training continues the model it made. */
static dlnn_code
init_from (dt_speech_ctx * c, const char *path)
{
  dlnn_status *st = &c->st;
  dlnn_graph *src = NULL;
  dlnn_code r;

  r = dlnn_onnx_load_file (path, &src, st);
  if (r == DLNN_OK)
    r = dt_graph_copy_params (c->g, src, st);
  dlnn_graph_free (src);
  if (r != DLNN_OK)
    return dlnn_status_prefix (st, "--init '%s'", path);
  return DLNN_OK;
}

dlnn_code
dt_speech_setup_model (dt_speech_ctx * c)
{
  const dt_fit_opts *o = c->o;
  dlnn_status *st = &c->st;
  const int M = c->cfg.n_mels;
  dlnn_rng init;
  int64_t max_frames = 1, max_labels = 1, max_batch_labels = 1;
  char *s;
  dlnn_code r;

  dlnn_rng_seed (&init, dt_mix_seed (o->seed, 0x1417));
  c->g = dt_speech_build (c->rnn, o->layers, o->width, M, DT_SPEECH_CLASSES,
      c->mean, c->inv_std, 0, &init, st);
  if (!c->g)
    return st->code;
  c->xg = dt_speech_build (c->rnn, o->layers, o->width, M,
      DT_SPEECH_CLASSES, c->mean, c->inv_std, 1, NULL, st);
  if (!c->xg)
    return st->code;
  r = dlnn_graph_finalize (c->g, st);
  if (r == DLNN_OK)
    r = dlnn_graph_finalize (c->xg, st);
  if (r != DLNN_OK)
    return r;
  if (o->init && init_from (c, o->init) != DLNN_OK)
    return st->code;

  dlnn_graph_set_meta (c->xg, "dl.task", "speech");
  s = dlnn_json_format_string_array (dt_speech_labels, DT_SPEECH_CLASSES);
  dlnn_graph_set_meta (c->xg, "dl.labels", s ? s : "[]");
  free (s);
  dlnn_graph_set_meta (c->xg, "dl.ctc", "blank=0");
  s = dlnn_audio_cfg_format (&c->cfg);
  dlnn_graph_set_meta (c->xg, "dl.audio", s ? s : "");
  free (s);

  c->e = dlnn_exec_new (c->g, DLNN_EXEC_TRAINING, st);
  if (!c->e)
    return st->code;
  c->ve = dlnn_exec_new (c->g, DLNN_EXEC_INFERENCE, st);
  if (!c->ve)
    return st->code;
  c->opt = dt_fit_optimizer (o, c->g, st);
  if (!c->opt)
    return st->code;

  /* batches: consecutive runs of the length-sorted training set */
  c->sorted = dt_corpus_order_by_length (&c->train);
  c->n_batches = (c->train.n + o->batch - 1) / o->batch;
  c->border = malloc ((size_t) c->n_batches * sizeof (int));
  if (!c->sorted || !c->border)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  for (int b = 0; b < c->n_batches; b++) {
    int64_t sum = 0;
    for (int i = b * o->batch; i < c->train.n && i < (b + 1) * o->batch;
        i++)
      sum += c->train.u[c->sorted[i]].n_labels;
    if (sum > max_batch_labels)
      max_batch_labels = sum;
  }
  c->max_batch_labels = max_batch_labels;
  for (int i = 0; i < c->train.n; i++) {
    if (c->train.u[i].frames > max_frames)
      max_frames = c->train.u[i].frames;
    if (c->train.u[i].n_labels > max_labels)
      max_labels = c->train.u[i].n_labels;
  }
  c->ws_size = dlnn_ctc_workspace_size (dt_speech_out_frames (max_frames),
      DT_SPEECH_CLASSES, max_labels);
  c->fingerprint = make_fingerprint (c);
  if (!c->fingerprint)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");

  c->total_steps = (int64_t) c->n_batches * o->epochs;
  dt_fit_schedule (o, c->n_batches, &c->sched);
  return DLNN_OK;
}

void
dt_speech_set_metrics (dt_speech_ctx * c)
{
  const dt_train_state *s = &c->state;
  dt_str b;

  dt_str_init (&b);
  dt_str_add (&b, "{");
  if (s->n_hist > 0 && c->val.n > 0)
    dt_str_addf (&b, "\"val_wer\": %.4f, \"val_cer\": %.4f, ",
        1 - s->hist[s->n_hist - 1].val_acc, 1 - s->hist[s->n_hist - 1].acc);
  if (s->n_hist > 0)
    dt_str_addf (&b, "\"train_loss\": %.4f, \"epochs\": %d",
        s->hist[s->n_hist - 1].loss, s->n_hist);
  dt_str_add (&b, "}");
  dlnn_graph_set_meta (c->xg, "dl.metrics", b.s ? b.s : "{}");
  dt_str_free (&b);
}

void
dt_speech_set_provenance (dt_speech_ctx * c)
{
  const dt_fit_opts *o = c->o;
  dt_str b;

  dt_provenance_begin (o, &b);
  if (o->init) {
    dt_str_add (&b, ", \"init\": ");
    dt_str_add_json (&b, o->init);
  }
  dt_str_add (&b, ", \"val_data\": ");
  dt_str_add_json (&b, c->val_desc ? c->val_desc : "");
  dt_str_addf (&b, ", \"train_utterances\": %d, \"train_hours\": %.3f, "
      "\"val_utterances\": %d", c->train.n, c->train.seconds / 3600,
      c->val.n);
  dt_str_addf (&b, ", \"arch\": \"%s\", \"layers\": %d, \"width\": %d, "
      "\"stride\": %d", c->rnn == DT_SPEECH_LSTM ? "lstm" : "gru",
      o->layers, o->width, DT_SPEECH_STRIDE);
  dt_provenance_end (o, &b, c->xg);
}
