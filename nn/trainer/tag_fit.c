/* dltrain - `fit --task tag`: a multi-label audio event tagger.
 *
 * Each clip of the --data manifest ("path<TAB>tag1,tag2") is decoded at
 * the front end's rate (dt_audio_load), turned into log-mel frames by the
 * shared front end (dlnn_audio_logmel, dl.audio from --audio, default
 * "rate=16000;n_mels=40" resolved) and cut to a fixed patch of TAG_FRAMES
 * frames (1 s at the 10 ms hop: the middle of a longer clip, a shorter one
 * padded with the frame of digital silence); --image-size MxT (M the
 * front end's n_mels) sets another patch length T, the model's window. A patch is a one-channel
 * image [1, T, n_mels] for the --arch network (cnn-small by default, vgg,
 * mlp, or crnn: convolutions then a GRU over time and the mean of its
 * outputs, for windows of a few seconds; nn/trainer/arch.c), whose input
 * first goes through Sub (mean)
 * and Div (std) per mel band, with the training set's statistics as
 * constants: the model takes raw log-mel patches, as the audio tag
 * contract says. Training minimises binary cross-entropy with logits
 * (dlnn_bce_with_logits) over the K tags (the sorted set of tags of the
 * training manifest, or --labels FILE) in shuffled mini-batches, one
 * optimizer step per batch on one exec (math threads: --threads); with
 * --augment shift each training patch gets a random gain (+-6 dB, a
 * constant added to the log-mel values), a random circular time shift and
 * --spec-augment N (default 2, 0 off) SpecAugment masks of each kind: N
 * bands of up to 7 mel bands and N spans of up to a tenth of the patch
 * (at most 20 frames) set to the training set's band means.
 * Validation: --val-data MANIFEST, else --val-split of the clips. After
 * each epoch the per-tag thresholds that maximise F1 on validation are
 * chosen; the line shows training loss, validation loss and macro F1.
 * Export: Sigmoid after the logits ("probabilities" [N, K]), dl.task=tag,
 * dl.labels, dl.audio, dl.thresholds, dl.metrics (per-tag and macro F1),
 * dl.provenance. */
#include "tag.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TAG_FRAMES 100
#define EVAL_BATCH 128
#define DEFAULT_AUDIO "rate=16000;n_mels=40"

typedef struct tag_ctx
{
  const dt_fit_opts *o;
  dt_arch arch;
  dlnn_audio_cfg acfg;
  int frames;                   /* patch length T */
  char **labels;
  int k;
  dt_tag_set train, val;
  float *mean, *std;            /* per mel band */
  dlnn_graph *g, *xg;
  dlnn_exec *e, *ve;
  dlnn_optimizer *opt;
  dlnn_schedule sched;
  int batch, spe;
  int64_t total_steps, step;
  dlnn_rng rng;
  int *order;
  float *ybatch, *vprob, *thr;
  dlnn_tensor *dlogits;
  dt_epoch_stats *hist;
  int n_hist;
  double val_loss, macro;
  dt_tag_scores *scores;
  char *ckpt_dir, *fingerprint;
  dlnn_status st;
} tag_ctx;

static void
tag_ctx_clear (tag_ctx * c)
{
  dlnn_strv_free (c->labels, c->k);
  dt_tag_set_free (&c->train);
  dt_tag_set_free (&c->val);
  free (c->mean);
  free (c->std);
  dlnn_optimizer_free (c->opt);
  dlnn_exec_free (c->e);
  dlnn_exec_free (c->ve);
  dlnn_graph_free (c->g);
  dlnn_graph_free (c->xg);
  free (c->order);
  free (c->ybatch);
  free (c->vprob);
  free (c->thr);
  free (c->scores);
  free (c->hist);
  dlnn_tensor_free (c->dlogits);
  free (c->ckpt_dir);
  free (c->fingerprint);
}

/* ---- data ---- */

/* Moves clips @idx (n of them) of @s into a new set. */
static dlnn_code
subset (const dt_tag_set * s, const int *idx, int n, dt_tag_set * out,
    dlnn_status * st)
{
  const int64_t per = (int64_t) s->t * s->m;

  *out = *s;
  out->n = n;
  out->x = malloc ((size_t) ((n ? n : 1) * per) * sizeof (float));
  out->y = malloc ((size_t) (n ? n : 1) * (size_t) s->k * sizeof (float));
  if (!out->x || !out->y) {
    dt_tag_set_free (out);
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  }
  for (int i = 0; i < n; i++) {
    memcpy (out->x + i * per, s->x + idx[i] * per, (size_t) per *
        sizeof (float));
    memcpy (out->y + (int64_t) i * s->k, s->y + (int64_t) idx[i] * s->k,
        (size_t) s->k * sizeof (float));
  }
  return DLNN_OK;
}

static dlnn_code
load_data (tag_ctx * c)
{
  const dt_fit_opts *o = c->o;
  dlnn_status *st = &c->st;
  dt_tag_manifest m;
  dlnn_code r;

  r = dlnn_audio_cfg_parse (o->audio ? o->audio : DEFAULT_AUDIO, &c->acfg,
      st);
  if (r != DLNN_OK)
    return dlnn_status_prefix (st, "--audio");
  if (o->img_w > 0 && (o->img_w != c->acfg.n_mels || o->img_h < 8 ||
          o->img_h > 3000))
    return dlnn_status_set (st, DLNN_ERR_INVALID, "--image-size %dx%d: a tag "
        "patch is N_MELSxFRAMES with N_MELS = %d and 8 <= FRAMES <= 3000",
        o->img_w, o->img_h, c->acfg.n_mels);
  c->frames = o->img_w > 0 ? o->img_h : TAG_FRAMES;
  r = dt_tag_manifest_load (o->data, &m, st);
  if (r != DLNN_OK)
    return r;
  if (o->labels_file)
    r = dlnn_labels_read_file (o->labels_file, &c->labels, &c->k, st);
  else
    r = dt_tag_manifest_labels (&m, &c->labels, &c->k, st);
  for (int j = 0; r == DLNN_OK && j < c->k; j++) {
    int ok = c->labels[j][0] && strlen (c->labels[j]) <= DT_TAG_MAX_LEN;
    for (const char *p = c->labels[j]; ok && *p; p++)
      ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'
          || *p == '-';
    if (!ok)
      r = dlnn_status_set (st, DLNN_ERR_FORMAT, "'%s': bad tag '%s' (tags "
          "are lowercase letters, digits, '_' or '-')", o->labels_file,
          c->labels[j]);
  }
  if (r == DLNN_OK && !o->quiet)
    fprintf (stderr, "dltrain: log-mel features of %d clips (%s)\n", m.n,
        o->data);
  if (r == DLNN_OK)
    r = dt_tag_set_load (&m, o->data, &c->acfg, c->frames, c->labels, c->k,
        !o->quiet, &c->train, st);
  dt_tag_manifest_free (&m);
  if (r != DLNN_OK)
    return r;
  if (o->val_data) {
    r = dt_tag_manifest_load (o->val_data, &m, st);
    if (r != DLNN_OK)
      return r;
    r = dt_tag_set_load (&m, o->val_data, &c->acfg, c->frames, c->labels,
        c->k, !o->quiet, &c->val, st);
    dt_tag_manifest_free (&m);
    return r;
  } else {
    /* a seeded split of the clips */
    const int n = c->train.n;
    int nv = (int) floor (o->val_split * n + 0.5), *perm;
    dt_tag_set all = c->train;
    dlnn_rng rng;

    if (o->val_split > 0 && nv < 1 && n > 1)
      nv = 1;
    if (n - nv < 1)
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "no training clips left after the validation split");
    perm = malloc ((size_t) n * sizeof (int));
    if (!perm)
      return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    dlnn_rng_seed (&rng, dt_mix_seed (o->seed, 0x5b117));
    dt_permutation (perm, n, &rng);
    memset (&c->train, 0, sizeof (c->train));
    r = subset (&all, perm, nv, &c->val, st);
    if (r == DLNN_OK)
      r = subset (&all, perm + nv, n - nv, &c->train, st);
    free (perm);
    dt_tag_set_free (&all);
    return r;
  }
}

static dlnn_code
band_stats (tag_ctx * c)
{
  const int m = c->train.m;
  const int64_t frames = (int64_t) c->train.n * c->train.t;
  double *s = calloc ((size_t) m * 2, sizeof (double));

  c->mean = malloc ((size_t) m * sizeof (float));
  c->std = malloc ((size_t) m * sizeof (float));
  if (!s || !c->mean || !c->std) {
    free (s);
    return dlnn_status_set (&c->st, DLNN_ERR_NOMEM, "out of memory");
  }
  for (int64_t f = 0; f < frames; f++)
    for (int b = 0; b < m; b++) {
      const double v = c->train.x[f * m + b];
      s[b] += v;
      s[m + b] += v * v;
    }
  for (int b = 0; b < m; b++) {
    const double mu = s[b] / (double) frames;
    const double var = s[m + b] / (double) frames - mu * mu;
    c->mean[b] = (float) mu;
    c->std[b] = (float) (var > 1e-8 ? sqrt (var) : 1.0);
  }
  free (s);
  return DLNN_OK;
}

/* ---- model ---- */

/* Puts Sub (mean) and Div (std) per band in front of @g's input, and for
 * the export graph a Sigmoid after the logits as its only output. */
static dlnn_code
patch_graph (tag_ctx * c, dlnn_graph * g, int sigmoid)
{
  dlnn_status *st = &c->st;
  const int m = c->train.m;
  const int64_t d[4] = { 1, 1, 1, m };
  dlnn_tensor *mt = dlnn_tensor_new (DLNN_FLOAT32, 4, d, st);
  dlnn_tensor *sd = dlnn_tensor_new (DLNN_FLOAT32, 4, d, st);
  const int vin = dlnn_graph_find_value (g, "input");
  int vnorm;
  const char *sub_in[2] = { "input", "input_norm.mean" };
  const char *sub_out[1] = { "input_centered" };
  const char *div_in[2] = { "input_centered", "input_norm.std" };
  const char *div_out[1] = { "input_norm" };

  if (!mt || !sd || vin < 0) {
    dlnn_tensor_free (mt);
    dlnn_tensor_free (sd);
    return st->code ? st->code : dlnn_status_set (st, DLNN_ERR_INVALID,
        "graph has no input");
  }
  memcpy (mt->data, c->mean, (size_t) m * sizeof (float));
  memcpy (sd->data, c->std, (size_t) m * sizeof (float));
  vnorm = dlnn_graph_value (g, "input_norm");
  if (vnorm < 0)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  for (int i = 0; i < g->n_nodes; i++)
    for (int j = 0; j < g->nodes[i].n_inputs; j++)
      if (g->nodes[i].inputs[j] == vin)
        g->nodes[i].inputs[j] = vnorm;
  if (dlnn_graph_add_param (g, "input_norm.mean", mt, 0, st) < 0
      || dlnn_graph_add_param (g, "input_norm.std", sd, 0, st) < 0
      || dlnn_graph_add_node (g, "Sub", "input_norm_sub", 2, sub_in, 1,
          sub_out, st) < 0
      || dlnn_graph_add_node (g, "Div", "input_norm_div", 2, div_in, 1,
          div_out, st) < 0)
    return st->code;
  if (sigmoid) {
    const char *in[1] = { "logits" };
    const char *out[1] = { "probabilities" };
    int vl = dlnn_graph_find_value (g, "logits");
    if (vl < 0 || dlnn_graph_add_node (g, "Sigmoid", "sigmoid", 1, in, 1,
            out, st) < 0
        || dlnn_graph_add_output (g, "probabilities", st) != DLNN_OK)
      return st->code ? st->code : dlnn_status_set (st, DLNN_ERR_INVALID,
          "graph has no logits");
    /* "probabilities" is the only output */
    g->outputs[0] = g->outputs[g->n_outputs - 1];
    g->n_outputs = 1;
    g->values[vl].is_output = 0;
  }
  return DLNN_OK;
}

static dlnn_code
setup_model (tag_ctx * c)
{
  const dt_fit_opts *o = c->o;
  dlnn_status *st = &c->st;
  dlnn_rng init;
  const int t = c->train.t, m = c->train.m;
  char *s;
  dlnn_code r;

  if (c->k < 2)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "need at least 2 tags, the manifest has %d", c->k);
  dlnn_rng_seed (&init, dt_mix_seed (o->seed, 0x1417));
  c->g = dt_arch_build (c->arch, o->width, 1, t, m, c->k, 0, &init, st);
  if (!c->g)
    return st->code;
  c->xg = dt_arch_build (c->arch, o->width, 1, t, m, c->k, 0, NULL, st);
  if (!c->xg)
    return st->code;
  if ((r = patch_graph (c, c->g, 0)) != DLNN_OK
      || (r = patch_graph (c, c->xg, 1)) != DLNN_OK
      || (r = dlnn_graph_finalize (c->g, st)) != DLNN_OK
      || (r = dlnn_graph_finalize (c->xg, st)) != DLNN_OK)
    return r;
  dlnn_graph_set_meta (c->xg, "dl.task", "tag");
  s = dlnn_json_format_string_array ((const char *const *) c->labels, c->k);
  dlnn_graph_set_meta (c->xg, "dl.labels", s ? s : "[]");
  free (s);
  s = dlnn_audio_cfg_format (&c->acfg);
  dlnn_graph_set_meta (c->xg, "dl.audio", s ? s : "");
  free (s);

  c->batch = o->batch < c->train.n ? o->batch : c->train.n;
  c->spe = c->train.n / c->batch;
  c->total_steps = (int64_t) c->spe * o->epochs;
  {
    const int64_t dims[4] = { c->batch, 1, t, m };
    c->e = dlnn_exec_new (c->g, DLNN_EXEC_TRAINING, st);
    if (!c->e)
      return st->code;
    if ((r = dlnn_exec_reshape (c->e, 0, 4, dims, st)) != DLNN_OK)
      return r;
    dlnn_exec_seed (c->e, dt_mix_seed (o->seed, 0xd0000));
    c->ve = dlnn_exec_new (c->g, DLNN_EXEC_INFERENCE, st);
    if (!c->ve)
      return st->code;
  }
  c->opt = dt_fit_optimizer (o, c->g, st);
  if (!c->opt)
    return st->code;
  dt_fit_schedule (o, c->spe, &c->sched);
  c->order = malloc ((size_t) c->train.n * sizeof (int));
  c->ybatch = malloc ((size_t) c->batch * (size_t) c->k * sizeof (float));
  c->vprob = malloc ((size_t) (c->val.n ? c->val.n : 1) * (size_t) c->k *
      sizeof (float));
  c->thr = malloc ((size_t) c->k * sizeof (float));
  c->scores = calloc ((size_t) c->k, sizeof (dt_tag_scores));
  c->hist = calloc ((size_t) o->epochs, sizeof (dt_epoch_stats));
  c->dlogits = dlnn_tensor_new4 (2, c->batch, c->k, 0, 0);
  if (!c->order || !c->ybatch || !c->vprob || !c->thr || !c->scores
      || !c->hist || !c->dlogits)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  for (int j = 0; j < c->k; j++)
    c->thr[j] = 0.5f;
  return DLNN_OK;
}

/* ---- training ---- */

/* Copies patch @src into @dst with a random gain and time shift, then the
 * SpecAugment masks. */
static void
augment_copy (tag_ctx * c, float *dst, const float *src)
{
  const int t = c->train.t, m = c->train.m;
  const float gain_db = 12.0f * (dlnn_rng_uniform (&c->rng) - 0.5f);
  const int shift = (int) dlnn_rng_below (&c->rng, (uint32_t) t);
  float add = 0.0f, mul = 1.0f;

  if (!c->o->aug_shift) {
    memcpy (dst, src, (size_t) t * m * sizeof (float));
    return;
  }
  if (c->acfg.log == DLNN_AUDIO_LOG_LN)
    add = gain_db * 0.230258509f;
  else if (c->acfg.log == DLNN_AUDIO_LOG_LOG10)
    add = gain_db * 0.1f;
  else
    mul = powf (10.0f, gain_db / 10.0f);
  for (int f = 0; f < t; f++) {
    const float *s = src + (int64_t) ((f + shift) % t) * m;
    float *d = dst + (int64_t) f * m;
    for (int b = 0; b < m; b++)
      d[b] = s[b] * mul + add;
  }
  dt_spec_augment (dst, c->train.t, c->train.m, c->mean, c->o->spec_masks,
      &c->rng);
}

static dlnn_code
train_epoch (tag_ctx * c, int epoch, dt_epoch_stats * es)
{
  const dt_fit_opts *o = c->o;
  dlnn_status *st = &c->st;
  const int64_t per = (int64_t) c->train.t * c->train.m;
  const int k = c->k;
  dt_progress pr;
  double loss_sum = 0;
  int64_t hits = 0;
  float lr = 0;
  dlnn_code r = DLNN_OK;
  int b;

  dt_permutation (c->order, c->train.n, &c->rng);
  dt_progress_start (&pr, !o->quiet, c->spe);
  for (b = 0; b < c->spe; b++) {
    dlnn_tensor *in = dlnn_exec_input (c->e, 0);
    const dlnn_tensor *z;
    float loss;

    for (int i = 0; i < c->batch; i++) {
      const int q = c->order[b * c->batch + i];
      augment_copy (c, in->data + i * per, c->train.x + q * per);
      memcpy (c->ybatch + (int64_t) i * k, c->train.y + (int64_t) q * k,
          (size_t) k * sizeof (float));
    }
    lr = dlnn_schedule_lr (&c->sched, c->step, c->total_steps);
    if ((r = dlnn_exec_forward (c->e, st)) != DLNN_OK)
      break;
    z = dlnn_exec_output (c->e, 0);
    if ((r = dlnn_bce_with_logits (z, c->ybatch, NULL, &loss, c->dlogits,
                st)) != DLNN_OK)
      break;
    for (int64_t i = 0; i < z->size; i++)
      hits += (z->data[i] > 0) == (c->ybatch[i] > 0.5f);
    dlnn_exec_zero_grad (c->e);
    if ((r = dlnn_exec_backward (c->e, 0, c->dlogits, st)) != DLNN_OK
        || (r = dlnn_optimizer_step (c->opt, c->g, c->e, lr, st)) != DLNN_OK)
      break;
    c->step++;
    loss_sum += loss;
    dt_progress_update (&pr, b + 1, (b + 1) * c->batch, loss_sum / (b + 1));
  }
  dt_progress_end (&pr);
  if (r != DLNN_OK) {
    if (r == DLNN_ERR_NUMERIC)
      return dlnn_status_prefix (st, "training diverged at epoch %d/%d, "
          "batch %d/%d (lr %.3g; try a lower --lr)", epoch + 1, o->epochs,
          b + 1, c->spe, (double) lr);
    return dlnn_status_prefix (st, "epoch %d, batch %d", epoch + 1, b + 1);
  }
  es->loss = loss_sum / c->spe;
  es->acc = (double) hits / ((double) c->spe * c->batch * k);
  es->lr = lr;
  return DLNN_OK;
}

/* Sigmoid probabilities of every validation clip, validation loss, best
 * thresholds and the macro F1 at them. */
static dlnn_code
validate (tag_ctx * c)
{
  dlnn_status *st = &c->st;
  const int64_t per = (int64_t) c->val.t * c->val.m;
  const int k = c->k, nb = EVAL_BATCH;
  const int64_t dims[4] = { nb, 1, c->val.t, c->val.m };
  double loss_sum = 0;
  dlnn_code r;

  r = dlnn_exec_reshape (c->ve, 0, 4, dims, st);
  if (r != DLNN_OK)
    return r;
  for (int b0 = 0; b0 < c->val.n; b0 += nb) {
    const int n = c->val.n - b0 < nb ? c->val.n - b0 : nb;
    dlnn_tensor *in = dlnn_exec_input (c->ve, 0);
    const dlnn_tensor *z;
    dlnn_tensor view;
    float loss;

    memcpy (in->data, c->val.x + b0 * per, (size_t) (n * per) *
        sizeof (float));
    if (n < nb)
      memset (in->data + n * per, 0, (size_t) ((nb - n) * per) *
          sizeof (float));
    if ((r = dlnn_exec_forward (c->ve, st)) != DLNN_OK)
      return r;
    z = dlnn_exec_output (c->ve, 0);
    view = *z;
    view.dims[0] = n;
    view.size = (int64_t) n * k;
    if ((r = dlnn_bce_with_logits (&view, c->val.y + (int64_t) b0 * k, NULL,
                &loss, NULL, st)) != DLNN_OK)
      return r;
    loss_sum += (double) loss * n;
    for (int64_t i = 0; i < (int64_t) n * k; i++)
      c->vprob[(int64_t) b0 * k + i] = 1.0f / (1.0f + expf (-z->data[i]));
  }
  c->val_loss = loss_sum / c->val.n;
  dt_tag_best_thresholds (c->vprob, c->val.y, c->val.n, k, c->thr);
  c->macro = dt_tag_score (c->vprob, c->val.y, c->val.n, k, c->thr,
      c->scores);
  return DLNN_OK;
}

/* ---- export ---- */

static void
set_export_meta (tag_ctx * c)
{
  const dt_fit_opts *o = c->o;
  dt_str b;
  char *s;

  s = dt_tag_format_thresholds (c->labels, c->k, c->thr);
  dlnn_graph_set_meta (c->xg, "dl.thresholds", s ? s : "{}");
  free (s);
  dt_str_init (&b);
  dt_str_addf (&b, "{\"val_macro_f1\": %.4f, \"val_loss\": %.4f",
      c->macro, c->val_loss);
  /* tag names are [a-z0-9_-] (checked at load) */
  for (int j = 0; j < c->k; j++)
    dt_str_addf (&b, ", \"val_f1_%s\": %.4f", c->labels[j],
        c->scores[j].f1);
  if (c->n_hist > 0)
    dt_str_addf (&b, ", \"train_loss\": %.4f, \"epochs\": %d",
        c->hist[c->n_hist - 1].loss, c->n_hist);
  dt_str_add (&b, "}");
  dlnn_graph_set_meta (c->xg, "dl.metrics", b.s && !b.failed ? b.s : "{}");
  dt_str_free (&b);

  dt_provenance_begin (o, &b);
  if (o->val_data) {
    dt_str_add (&b, ", \"val_data\": ");
    dt_str_add_json (&b, o->val_data);
  }
  dt_str_addf (&b, ", \"train_clips\": %d, \"val_clips\": %d, \"window_"
      "frames\": %d", c->train.n, c->val.n, c->train.t);
  dt_str_addf (&b, ", \"arch\": \"%s\"", dt_arch_name (c->arch));
  dt_provenance_end (o, &b, c->xg);
}

/* ---- checkpoints ---- */

/* Options and data a checkpoint must have been made with to resume. */
static char *
make_fingerprint (tag_ctx * c)
{
  const dt_fit_opts *o = c->o;
  char *audio = dlnn_audio_cfg_format (&c->acfg);
  dt_str b;

  dt_str_init (&b);
  dt_str_addf (&b, "task=tag data=%s val=%s n_train=%d n_val=%d audio=%s "
      "frames=%d arch=%s width=%d batch=%d optim=%d lr=%a min_lr=%a wd=%a "
      "schedule=%d warmup=%a seed=%llu limit=%d shift=%d flip=%d spec=%d",
      o->data, o->val_data ? o->val_data : "-", c->train.n, c->val.n,
      audio ? audio : "?", c->train.t, dt_arch_name (c->arch), o->width,
      c->batch, (int) o->optim, o->lr, o->min_lr, o->weight_decay,
      (int) o->schedule, o->warmup_epochs, (unsigned long long) o->seed,
      o->limit, o->aug_shift, o->aug_flip, o->spec_masks);
  free (audio);
  return b.s;
}

/* The training state after @epochs epochs into c->ckpt_dir. */
static dlnn_code
save_checkpoint (tag_ctx * c, int epochs)
{
  dt_train_state s;
  dlnn_code r = dt_graph_copy_params (c->xg, c->g, &c->st);

  if (r != DLNN_OK)
    return r;
  set_export_meta (c);
  memset (&s, 0, sizeof (s));
  s.fingerprint = c->fingerprint;
  s.epoch = epochs;
  s.step = c->step;
  s.rng = c->rng;
  s.have_exec_rng = 1;
  dlnn_exec_get_rng (c->e, &s.exec_rng);
  s.channels = 1;               /* normalisation lives in the graph */
  s.std[0] = 1;
  s.n_hist = c->n_hist;
  s.hist = c->hist;
  return dt_checkpoint_save (c->ckpt_dir, c->xg, c->opt, &s, &c->st);
}

/* --resume: the parameters, optimizer, data and dropout RNGs and history
 * of the last checkpoint; *start = its completed epochs (0 without one). */
static dlnn_code
resume (tag_ctx * c, int *start)
{
  dt_train_state s;
  int resumed = 0;
  dlnn_code r;

  *start = 0;
  memset (&s, 0, sizeof (s));
  r = dt_checkpoint_resume (c->ckpt_dir, c->fingerprint, c->o->epochs,
      c->o->quiet, c->g, c->opt, &s, &resumed, &c->st);
  if (r != DLNN_OK || !resumed)
    return r;
  if (!s.have_exec_rng) {
    dt_train_state_clear (&s);
    return dlnn_status_set (&c->st, DLNN_ERR_FORMAT,
        "the checkpoint in '%s' has no dropout RNG state", c->ckpt_dir);
  }
  c->step = s.step;
  c->rng = s.rng;
  dlnn_exec_set_rng (c->e, &s.exec_rng);
  free (c->hist);
  c->hist = s.hist;             /* room for --epochs entries */
  c->n_hist = s.n_hist;
  s.hist = NULL;
  *start = s.epoch;
  dt_train_state_clear (&s);
  return DLNN_OK;
}

int
dt_tag_fit_run (const dt_fit_opts * o)
{
  tag_ctx c;
  int ret = 1, start = 0, epochs_run = 0;
  char *curve = NULL, shape[64];

  memset (&c, 0, sizeof (c));
  c.o = o;
  c.arch = o->arch_name ? o->arch : DT_ARCH_CNN_SMALL;
  dlnn_status_clear (&c.st);
  dlnn_set_threads (o->threads);
  curve = dt_output_sibling (o->output, "-curve.png");
  c.ckpt_dir = o->ckpt_dir ? dt_strdup (o->ckpt_dir) :
      dt_output_sibling (o->output, ".ckpt");
  if (!curve || !c.ckpt_dir) {
    dt_fail ("out of memory");
    goto out;
  }
  if (load_data (&c) != DLNN_OK || band_stats (&c) != DLNN_OK) {
    dt_fail ("%s", c.st.message);
    goto out;
  }
  if (c.val.n < 1) {
    dt_fail ("no validation clips: the thresholds are chosen on validation "
        "(--val-data MANIFEST or --val-split > 0)");
    goto out;
  }
  if (setup_model (&c) != DLNN_OK) {
    dt_fail ("cannot build the %s tagger: %s", dt_arch_name (c.arch),
        c.st.message);
    goto out;
  }
  dlnn_rng_seed (&c.rng, dt_mix_seed (o->seed, 0xda7a));
  c.fingerprint = make_fingerprint (&c);
  if (!c.fingerprint) {
    dt_fail ("out of memory");
    goto out;
  }
  if (o->resume && resume (&c, &start) != DLNN_OK) {
    dt_fail ("cannot resume: %s", c.st.message);
    goto out;
  }
  if (!o->quiet) {
    char *a = dlnn_audio_cfg_format (&c.acfg);
    printf ("data: %s, %d training + %d validation clips, %d tags:", o->data,
        c.train.n, c.val.n, c.k);
    for (int j = 0; j < c.k; j++)
      printf (" %s", c.labels[j]);
    printf ("\naudio: %s\n", a ? a : "?");
    printf ("model: %s, %lld parameters, input %s (log-mel patch), batch "
        "%d, %d steps per epoch, %d threads\n", dt_arch_name (c.arch),
        (long long) dlnn_graph_param_count (c.g),
        dlnn_shape_str (4, (int64_t[4]) { c.batch, 1, c.train.t,
                c.train.m }, shape, sizeof (shape)), c.batch, c.spe,
        dlnn_get_threads ());
    if (start > 0)
      printf ("resumed from '%s' after epoch %d\n", c.ckpt_dir, start);
    free (a);
    fflush (stdout);
  }
  for (int ep = start; ep < o->epochs; ep++) {
    dt_epoch_stats es = { 0 };
    const double t0 = dt_now ();

    if (train_epoch (&c, ep, &es) != DLNN_OK) {
      dt_fail ("%s", c.st.message);
      goto out;
    }
    if (validate (&c) != DLNN_OK) {
      dt_fail ("validation failed: %s", c.st.message);
      goto out;
    }
    es.val_acc = c.macro;
    es.time = dt_now () - t0;
    c.hist[c.n_hist++] = es;
    if (!o->quiet) {
      printf ("epoch %d/%d  loss %.4f  acc %.4f  val_loss %.4f  "
          "val_macro_f1 %.4f  lr %.5f  time %.1fs  (%.0f clips/s)\n",
          ep + 1, o->epochs, es.loss, es.acc, c.val_loss, c.macro, es.lr,
          es.time, (double) c.spe * c.batch / es.time);
      fflush (stdout);
    }
    if (dt_plot_curve (curve, c.hist, c.n_hist, 1, o->output, &c.st)
        != DLNN_OK)
      fprintf (stderr, "dltrain: warning: %s\n", c.st.message);
    if (save_checkpoint (&c, ep + 1) != DLNN_OK) {
      dt_fail ("cannot write the checkpoint: %s", c.st.message);
      goto out;
    }
    epochs_run++;
    if (o->stop_after > 0 && epochs_run >= o->stop_after
        && ep + 1 < o->epochs) {
      if (!o->quiet)
        printf ("stopped after epoch %d (--stop-after); continue with "
            "--resume\n", ep + 1);
      ret = 0;
      goto out;
    }
  }
  /* resumed after the last epoch: the thresholds come from validation */
  if (epochs_run == 0 && validate (&c) != DLNN_OK) {
    dt_fail ("validation failed: %s", c.st.message);
    goto out;
  }
  if (!o->quiet) {
    printf ("validation (thresholds chosen on it):\n");
    dt_tag_print_scores (stdout, c.labels, c.k, c.scores, c.thr, c.macro);
  }
  if (dt_graph_copy_params (c.xg, c.g, &c.st) != DLNN_OK) {
    dt_fail ("%s", c.st.message);
    goto out;
  }
  set_export_meta (&c);
  if (dlnn_onnx_save_file (c.xg, o->output, &c.st) != DLNN_OK) {
    dt_fail ("cannot write '%s': %s", o->output, c.st.message);
    goto out;
  }
  if (!o->quiet)
    printf ("wrote %s and %s\n", o->output, curve);
  ret = 0;

out:
  free (curve);
  tag_ctx_clear (&c);
  return ret;
}
