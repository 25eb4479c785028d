/* dltrain - `fit`: the training loop.
 *
 * Data are loaded, split (validation held out by a permutation drawn from
 * the seed), normalised with the training split's mean and std through the
 * shared image front end, then trained in shuffled mini-batches (the last
 * incomplete batch of an epoch is dropped) with dlnn_exec in training
 * mode, softmax cross-entropy, backward and one optimizer step per batch;
 * the learning rate follows the schedule per step. Every random draw comes
 * from RNGs seeded by --seed (the data RNG is saved in checkpoints; the
 * dropout RNG is re-seeded from seed and epoch), so a run is reproducible
 * for a seed and thread count and a resumed run equals an uninterrupted
 * one. */
#include "fit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DIVERGED_LOSS 1e3f
#define EVAL_BATCH 256

typedef struct
{
  const dt_fit_opts *o;
  dt_rawset raw;
  int is_idx;
  char *test_images, *test_labels;
  char **names;
  int classes;
  dlnn_image_cfg cfg;
  int *train_idx, *val_idx;
  int n_train, n_val;
  dt_set train, val;
  dlnn_graph *g;                /* training graph: output "logits" */
  dlnn_graph *xg;               /* export graph: + Softmax */
  dlnn_exec *e, *ve;            /* training / inference on g */
  dlnn_optimizer *opt;
  dlnn_schedule sched;
  int batch, spe;
  int64_t total_steps;
  dt_train_state state;         /* epoch, step, rng, history */
  char *ckpt_dir, *curve_path, *fingerprint, *data_desc;
  int *order, *blabels;
  dlnn_tensor *dlogits;
  float pad[3];                 /* normalised value of a black pixel */
  double test_acc;
  int have_test;
  dlnn_status st;
} fit_ctx;

static uint64_t
mix_seed (uint64_t seed, uint64_t k)
{
  uint64_t z = seed * 0x9e3779b97f4a7c15ull + k + 0x632be59bd9b4e019ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* OUTPUT without a trailing ".onnx" + @suffix. */
static char *
output_sibling (const char *output, const char *suffix)
{
  size_t n = strlen (output);
  dt_str b;

  if (n > 5 && strcmp (output + n - 5, ".onnx") == 0)
    n -= 5;
  dt_str_init (&b);
  dt_str_addf (&b, "%.*s%s", (int) n, output, suffix);
  return b.s;
}

static int
cmp_int (const void *a, const void *b)
{
  int x = *(const int *) a, y = *(const int *) b;
  return (x > y) - (x < y);
}

/* ---- data ---- */

static dlnn_code
load_data (fit_ctx * c)
{
  const dt_fit_opts *o = c->o;
  dlnn_status *st = &c->st;
  dlnn_code r;
  int maxlab = -1;

  if (!dt_is_file (o->data) && !dt_is_dir (o->data))
    return dlnn_status_set (st, DLNN_ERR_IO, "data path '%s' does not exist",
        o->data);
  c->is_idx = o->format ? strcmp (o->format, "idx") == 0 :
      dt_idx_detect (o->data);
  if (c->is_idx) {
    char *im = NULL, *lb = NULL;
    r = dt_idx_paths (o->data, "train", &im, &lb, st);
    if (r != DLNN_OK)
      return r;
    r = dt_idx_load (im, lb, o->limit, &c->raw, st);
    free (im);
    free (lb);
    if (r != DLNN_OK)
      return r;
    /* the test split, evaluated at the end */
    if (dt_is_dir (o->data)) {
      dlnn_status ignore;
      if (dt_idx_paths (o->data, "t10k", &c->test_images, &c->test_labels,
              &ignore) != DLNN_OK)
        c->test_images = c->test_labels = NULL;
    } else if (strstr (o->data, "train-images")) {
      char *ti = dt_strdup (o->data), *tl;
      char *at = strstr (ti, "train-images");
      dlnn_status ignore;
      memmove (at + 4, at + 5, strlen (at + 5) + 1);
      memcpy (at, "t10k", 4);
      if (dt_idx_paths (ti, "t10k", &c->test_images, &tl, &ignore) ==
          DLNN_OK)
        c->test_labels = tl;
      free (ti);
    }
  } else {
    r = dt_folder_load (o->data, o->limit, &c->raw, st);
    if (r != DLNN_OK)
      return r;
  }
  for (int i = 0; i < c->raw.n; i++)
    if (c->raw.labels[i] > maxlab)
      maxlab = c->raw.labels[i];

  /* class names */
  if (o->labels_file) {
    int n = 0;
    r = dlnn_labels_read_file (o->labels_file, &c->names, &n, st);
    if (r != DLNN_OK)
      return r;
    c->classes = n;
    if (n <= maxlab)
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "'%s' names %d classes but the data has label %d", o->labels_file,
          n, maxlab);
    if (!c->is_idx && n != c->raw.n_names)
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "'%s' names %d classes but '%s' has %d class folders",
          o->labels_file, n, o->data, c->raw.n_names);
  } else if (!c->is_idx) {
    c->classes = c->raw.n_names;
    c->names = c->raw.names;
    c->raw.names = NULL;
    c->raw.n_names = 0;
  } else {
    c->classes = maxlab + 1 > 10 ? maxlab + 1 : 10;
    c->names = calloc ((size_t) c->classes, sizeof (char *));
    if (!c->names)
      return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    for (int i = 0; i < c->classes; i++) {
      char b[16];
      snprintf (b, sizeof (b), "%d", i);
      c->names[i] = dt_strdup (b);
    }
  }
  if (c->classes < 2)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "need at least 2 classes");
  return DLNN_OK;
}

static dlnn_code
setup_data (fit_ctx * c)
{
  const dt_fit_opts *o = c->o;
  dlnn_status *st = &c->st;
  const int n = c->raw.n;
  dlnn_rng rng;
  int *perm;
  dlnn_code r;
  float mean[3], sd[3];

  /* preprocessing config */
  dlnn_image_cfg_init (&c->cfg);
  c->cfg.resize = DLNN_RESIZE_STRETCH;
  c->cfg.interp = DLNN_INTERP_AREA;
  c->cfg.scale = 1.0f / 255.0f;
  if (c->is_idx) {
    c->cfg.color = DLNN_COLOR_GRAY;
    c->cfg.width = c->raw.img[0].width;
    c->cfg.height = c->raw.img[0].height;
  } else {
    int same = 1;
    for (int i = 1; i < n; i++)
      if (c->raw.img[i].width != c->raw.img[0].width
          || c->raw.img[i].height != c->raw.img[0].height)
        same = 0;
    c->cfg.color = o->color ? (strcmp (o->color, "gray") == 0 ?
        DLNN_COLOR_GRAY : DLNN_COLOR_RGB) : c->raw.all_gray ?
        DLNN_COLOR_GRAY : DLNN_COLOR_RGB;
    if (o->img_w) {
      c->cfg.width = o->img_w;
      c->cfg.height = o->img_h;
    } else if (same && c->raw.img[0].width <= 128
        && c->raw.img[0].height <= 128) {
      c->cfg.width = c->raw.img[0].width;
      c->cfg.height = c->raw.img[0].height;
    } else {
      c->cfg.width = c->cfg.height = 64;
    }
  }

  /* validation split: a seeded permutation; both parts kept in file
   * order so the split does not depend on anything but seed and n */
  c->n_val = (int) floor (o->val_split * n + 0.5);
  if (o->val_split > 0 && c->n_val < 1 && n > 1)
    c->n_val = 1;
  c->n_train = n - c->n_val;
  if (c->n_train < 1)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "no training images left after the validation split");
  perm = malloc ((size_t) n * sizeof (int));
  c->train_idx = malloc ((size_t) c->n_train * sizeof (int));
  c->val_idx = malloc ((size_t) (c->n_val ? c->n_val : 1) * sizeof (int));
  if (!perm || !c->train_idx || !c->val_idx) {
    free (perm);
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  }
  for (int i = 0; i < n; i++)
    perm[i] = i;
  dlnn_rng_seed (&rng, mix_seed (o->seed, 0x5b117));
  for (int i = n - 1; i > 0; i--) {
    int j = (int) dlnn_rng_below (&rng, (uint32_t) i + 1);
    int t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  memcpy (c->val_idx, perm, (size_t) c->n_val * sizeof (int));
  memcpy (c->train_idx, perm + c->n_val, (size_t) c->n_train * sizeof (int));
  free (perm);
  qsort (c->val_idx, (size_t) c->n_val, sizeof (int), cmp_int);
  qsort (c->train_idx, (size_t) c->n_train, sizeof (int), cmp_int);

  /* normalisation from the training split */
  r = dt_data_stats (&c->raw, c->train_idx, c->n_train, &c->cfg, mean, sd,
      st);
  if (r != DLNN_OK)
    return r;
  for (int k = 0; k < dlnn_image_cfg_channels (&c->cfg); k++) {
    /* rounded to 4 digits: the dl.image string holds the same values */
    c->cfg.mean[k] = roundf (mean[k] * 1e4f) / 1e4f;
    c->cfg.std[k] = roundf (sd[k] * 1e4f) / 1e4f;
    if (c->cfg.std[k] <= 0)
      c->cfg.std[k] = 1;
    c->pad[k] = (0.0f - c->cfg.mean[k]) / c->cfg.std[k];
  }
  {
    /* what the element will parse back must be what we train with */
    char *s = dlnn_image_cfg_format (&c->cfg);
    if (!s || dlnn_image_cfg_parse (s, &c->cfg, st) != DLNN_OK) {
      free (s);
      return st->code ? st->code : DLNN_ERR_NOMEM;
    }
    free (s);
  }
  r = dt_data_preprocess (&c->raw, c->train_idx, c->n_train, &c->cfg,
      &c->train, st);
  if (r == DLNN_OK && c->n_val > 0)
    r = dt_data_preprocess (&c->raw, c->val_idx, c->n_val, &c->cfg, &c->val,
        st);
  return r;
}

/* ---- model, optimizer, provenance ---- */

static char *
make_fingerprint (fit_ctx * c)
{
  const dt_fit_opts *o = c->o;
  dt_str b;
  char *img = dlnn_image_cfg_format (&c->cfg);

  dt_str_init (&b);
  dt_str_addf (&b, "arch=%s width=%d batch=%d optim=%d lr=%a min_lr=%a "
      "mom=%a nesterov=%d wd=%a sched=%d warmup=%a smooth=%a seed=%llu "
      "aug=%d%d val=%a limit=%d n=%d classes=%d image=%s",
      dt_arch_name (o->arch), o->width, c->batch, (int) o->optim, o->lr,
      o->min_lr, o->momentum, o->nesterov, o->weight_decay,
      (int) o->schedule, o->warmup_epochs, o->label_smoothing,
      (unsigned long long) o->seed, o->aug_shift, o->aug_flip, o->val_split,
      o->limit, c->raw.n, c->classes, img ? img : "");
  free (img);
  return b.s;
}

static dlnn_code
setup_model (fit_ctx * c)
{
  const dt_fit_opts *o = c->o;
  dlnn_status *st = &c->st;
  dlnn_rng init;
  dlnn_optim_cfg oc;
  const int ch = c->train.c;
  char *s;
  dlnn_code r;

  dlnn_rng_seed (&init, mix_seed (o->seed, 0x1417));
  c->g = dt_arch_build (o->arch, o->width, ch, c->train.h, c->train.w,
      c->classes, 0, &init, st);
  if (!c->g)
    return st->code;
  c->xg = dt_arch_build (o->arch, o->width, ch, c->train.h, c->train.w,
      c->classes, 1, NULL, st);
  if (!c->xg)
    return st->code;
  r = dlnn_graph_finalize (c->g, st);
  if (r == DLNN_OK)
    r = dlnn_graph_finalize (c->xg, st);
  if (r != DLNN_OK)
    return r;

  dlnn_graph_set_meta (c->xg, "dl.task", "classify");
  s = dlnn_json_format_string_array ((const char *const *) c->names,
      c->classes);
  dlnn_graph_set_meta (c->xg, "dl.labels", s ? s : "[]");
  free (s);
  s = dlnn_image_cfg_format (&c->cfg);
  dlnn_graph_set_meta (c->xg, "dl.image", s ? s : "");
  free (s);

  c->batch = o->batch < c->n_train ? o->batch : c->n_train;
  c->spe = c->n_train / c->batch;
  c->total_steps = (int64_t) c->spe * o->epochs;
  {
    const int64_t dims[4] = { c->batch, ch, c->train.h, c->train.w };
    c->e = dlnn_exec_new (c->g, DLNN_EXEC_TRAINING, st);
    if (!c->e)
      return st->code;
    r = dlnn_exec_reshape (c->e, 0, 4, dims, st);
    if (r != DLNN_OK)
      return r;
    c->ve = dlnn_exec_new (c->g, DLNN_EXEC_INFERENCE, st);
    if (!c->ve)
      return st->code;
  }
  dlnn_optim_cfg_init (&oc, o->optim);
  oc.momentum = (float) o->momentum;
  oc.nesterov = o->nesterov;
  oc.weight_decay = (float) o->weight_decay;
  c->opt = dlnn_optimizer_new (c->g, &oc, st);
  if (!c->opt)
    return st->code;
  memset (&c->sched, 0, sizeof (c->sched));
  c->sched.kind = o->schedule;
  c->sched.base_lr = (float) o->lr;
  c->sched.min_lr = (float) o->min_lr;
  c->sched.warmup_steps = (int64_t) floor (o->warmup_epochs * c->spe + 0.5);
  c->sched.step_size = (int64_t) c->spe * (o->epochs >= 3 ? o->epochs / 3 :
      1);
  c->sched.gamma = 0.1f;

  c->order = malloc ((size_t) c->n_train * sizeof (int));
  c->blabels = malloc ((size_t) c->batch * sizeof (int));
  c->dlogits = dlnn_tensor_new4 (2, c->batch, c->classes, 0, 0);
  c->fingerprint = make_fingerprint (c);
  if (!c->order || !c->blabels || !c->dlogits || !c->fingerprint)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  return DLNN_OK;
}

static void
set_metrics (fit_ctx * c)
{
  dt_str b;
  const dt_train_state *s = &c->state;

  dt_str_init (&b);
  dt_str_add (&b, "{");
  if (s->n_hist > 0 && c->n_val > 0)
    dt_str_addf (&b, "\"val_accuracy\": %.4f", s->hist[s->n_hist - 1].val_acc);
  if (c->have_test)
    dt_str_addf (&b, "%s\"test_accuracy\": %.4f", b.len > 1 ? ", " : "",
        c->test_acc);
  if (s->n_hist > 0)
    dt_str_addf (&b, "%s\"train_loss\": %.4f, \"train_accuracy\": %.4f, "
        "\"epochs\": %d", b.len > 1 ? ", " : "", s->hist[s->n_hist - 1].loss,
        s->hist[s->n_hist - 1].acc, s->n_hist);
  dt_str_add (&b, "}");
  dlnn_graph_set_meta (c->xg, "dl.metrics", b.s ? b.s : "{}");
  dt_str_free (&b);
}

static void
set_provenance (fit_ctx * c)
{
  const dt_fit_opts *o = c->o;
  dt_str b, cmd;
  char when[64];
  time_t now = time (NULL);
  struct tm tm;

  gmtime_r (&now, &tm);
  strftime (when, sizeof (when), "%Y-%m-%dT%H:%M:%SZ", &tm);
  dt_str_init (&cmd);
  dt_str_add (&cmd, "dltrain");
  for (int i = 0; i < o->argc; i++) {
    dt_str_add (&cmd, " ");
    dt_str_add (&cmd, o->argv[i]);
  }
  dt_str_init (&b);
  dt_str_add (&b, "{\"trainer\": ");
  dt_str_add_json (&b, "dltrain " DLTRAIN_VERSION);
  dt_str_add (&b, ", \"command\": ");
  dt_str_add_json (&b, cmd.s ? cmd.s : "");
  dt_str_add (&b, ", \"data\": ");
  dt_str_add_json (&b, o->data);
  dt_str_addf (&b, ", \"train_images\": %d, \"val_images\": %d",
      c->n_train, c->n_val);
  dt_str_addf (&b, ", \"arch\": \"%s\", \"seed\": %llu, \"epochs\": %d, "
      "\"threads\": %d, \"time\": \"%s\"}", dt_arch_name (o->arch),
      (unsigned long long) o->seed, o->epochs, dlnn_get_threads (), when);
  dlnn_graph_set_meta (c->xg, "dl.provenance", b.s ? b.s : "{}");
  dt_str_free (&b);
  dt_str_free (&cmd);
}

/* ---- the loop ---- */

/* Copies training image @src into the batch slot @dst, with a random
 * shift (zero padding, i.e. black) and/or horizontal flip. The draws are
 * made whatever the options, so they do not change the RNG stream. */
static void
augment_copy (fit_ctx * c, float *dst, const float *src, dlnn_rng * rng)
{
  const int C = c->train.c, H = c->train.h, W = c->train.w;
  const int smax = (W + 13) / 14 > 1 ? (W + 13) / 14 : 1;
  int dx = (int) dlnn_rng_below (rng, 2 * smax + 1) - smax;
  int dy = (int) dlnn_rng_below (rng, 2 * smax + 1) - smax;
  int flip = (int) dlnn_rng_below (rng, 2);

  if (!c->o->aug_shift)
    dx = dy = 0;
  if (!c->o->aug_flip)
    flip = 0;
  if (!dx && !dy && !flip) {
    memcpy (dst, src, (size_t) C * H * W * sizeof (float));
    return;
  }
  for (int k = 0; k < C; k++) {
    const float *sp = src + (int64_t) k * H * W;
    float *dp = dst + (int64_t) k * H * W;
    for (int y = 0; y < H; y++) {
      const int sy = y - dy;
      float *drow = dp + (int64_t) y * W;
      if (sy < 0 || sy >= H) {
        for (int x = 0; x < W; x++)
          drow[x] = c->pad[k];
        continue;
      }
      for (int x = 0; x < W; x++) {
        int sx = x - dx;
        if (flip)
          sx = W - 1 - sx;
        drow[x] = sx < 0 || sx >= W ? c->pad[k] : sp[(int64_t) sy * W + sx];
      }
    }
  }
}

static dlnn_code
train_epoch (fit_ctx * c, int epoch, dt_epoch_stats * es)
{
  const dt_fit_opts *o = c->o;
  dlnn_status *st = &c->st;
  const int64_t per = (int64_t) c->train.c * c->train.h * c->train.w;
  dt_progress pr;
  double loss_sum = 0;
  int64_t correct = 0;
  float lr = 0;
  dlnn_code r;
  int b = 0;

  dlnn_exec_set_training (c->e, 1);
  dlnn_exec_seed (c->e, mix_seed (o->seed, 0xd0000 + (uint64_t) epoch));
  for (int i = 0; i < c->n_train; i++)
    c->order[i] = i;
  for (int i = c->n_train - 1; i > 0; i--) {
    int j = (int) dlnn_rng_below (&c->state.rng, (uint32_t) i + 1);
    int t = c->order[i];
    c->order[i] = c->order[j];
    c->order[j] = t;
  }
  dt_progress_start (&pr, !o->quiet, c->spe);
  for (b = 0; b < c->spe; b++) {
    dlnn_tensor *in = dlnn_exec_input (c->e, 0);
    const dlnn_tensor *logits;
    float loss;
    int hits;

    for (int i = 0; i < c->batch; i++) {
      const int k = c->order[b * c->batch + i];
      augment_copy (c, in->data + i * per, c->train.x + k * per,
          &c->state.rng);
      c->blabels[i] = c->train.labels[k];
    }
    lr = dlnn_schedule_lr (&c->sched, c->state.step, c->total_steps);
    r = dlnn_exec_forward (c->e, st);
    if (r != DLNN_OK)
      goto fail;
    logits = dlnn_exec_output (c->e, 0);
    r = dlnn_softmax_cross_entropy (logits, c->blabels,
        (float) o->label_smoothing, &loss, c->dlogits, &hits, st);
    if (r == DLNN_OK && !(loss <= DIVERGED_LOSS))
      r = dlnn_status_set (st, DLNN_ERR_NUMERIC, "loss %g exceeds %g",
          (double) loss, (double) DIVERGED_LOSS);
    if (r != DLNN_OK)
      goto fail;
    dlnn_exec_zero_grad (c->e);
    r = dlnn_exec_backward (c->e, 0, c->dlogits, st);
    if (r == DLNN_OK)
      r = dlnn_optimizer_step (c->opt, c->g, c->e, lr, st);
    if (r != DLNN_OK)
      goto fail;
    c->state.step++;
    loss_sum += loss;
    correct += hits;
    dt_progress_update (&pr, b + 1, (b + 1) * c->batch, loss_sum / (b + 1));
  }
  dt_progress_end (&pr);
  es->loss = loss_sum / c->spe;
  es->acc = (double) correct / ((double) c->spe * c->batch);
  es->lr = lr;
  return DLNN_OK;

fail:
  dt_progress_end (&pr);
  if (r == DLNN_ERR_NUMERIC)
    dlnn_status_prefix (st, "training diverged at epoch %d/%d, batch "
        "%d/%d (lr %.3g; try a lower --lr)", epoch + 1, o->epochs, b + 1,
        c->spe, (double) lr);
  else
    dlnn_status_prefix (st, "epoch %d, batch %d", epoch + 1, b + 1);
  return r;
}

static dlnn_code
save_checkpoint (fit_ctx * c)
{
  dlnn_code r = dt_graph_copy_params (c->xg, c->g, &c->st);
  if (r != DLNN_OK)
    return r;
  set_metrics (c);
  set_provenance (c);
  c->state.fingerprint = c->fingerprint;
  r = dt_checkpoint_save (c->ckpt_dir, c->xg, c->opt, &c->state, &c->st);
  c->state.fingerprint = NULL;
  return r;
}

static dlnn_code
resume (fit_ctx * c, int *resumed)
{
  dlnn_status *st = &c->st;
  dlnn_graph *ck = NULL;
  dt_train_state s;
  char *latest = dt_path_join (c->ckpt_dir, "latest");
  dlnn_code r;

  *resumed = 0;
  if (!latest)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  if (!dt_is_file (latest)) {
    if (!c->o->quiet)
      fprintf (stderr, "dltrain: no checkpoint in '%s', starting from "
          "scratch\n", c->ckpt_dir);
    free (latest);
    return DLNN_OK;
  }
  free (latest);
  r = dt_checkpoint_load (c->ckpt_dir, &ck, c->opt, &s, st);
  if (r != DLNN_OK)
    return r;
  if (!s.fingerprint || strcmp (s.fingerprint, c->fingerprint) != 0) {
    dt_train_state_clear (&s);
    dlnn_graph_free (ck);
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "the checkpoint in '%s' was made with other options or data; "
        "remove it or use the same options to resume", c->ckpt_dir);
  }
  r = dt_graph_copy_params (c->g, ck, st);
  dlnn_graph_free (ck);
  if (r != DLNN_OK) {
    dt_train_state_clear (&s);
    return dlnn_status_prefix (st, "checkpoint in '%s'", c->ckpt_dir);
  }
  if (s.epoch > c->o->epochs) {
    dt_train_state_clear (&s);
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "the checkpoint has %d epochs already, more than --epochs %d",
        s.epoch, c->o->epochs);
  }
  free (s.fingerprint);
  s.fingerprint = NULL;
  dt_train_state_clear (&c->state);
  c->state = s;
  *resumed = 1;
  return DLNN_OK;
}

static void
fit_ctx_clear (fit_ctx * c)
{
  dt_rawset_free (&c->raw);
  dlnn_strv_free (c->names, c->classes);
  free (c->test_images);
  free (c->test_labels);
  free (c->train_idx);
  free (c->val_idx);
  dt_set_free (&c->train);
  dt_set_free (&c->val);
  dlnn_optimizer_free (c->opt);
  dlnn_exec_free (c->e);
  dlnn_exec_free (c->ve);
  dlnn_graph_free (c->g);
  dlnn_graph_free (c->xg);
  dt_train_state_clear (&c->state);
  free (c->ckpt_dir);
  free (c->curve_path);
  free (c->fingerprint);
  free (c->order);
  free (c->blabels);
  dlnn_tensor_free (c->dlogits);
}

static dlnn_code
evaluate_test (fit_ctx * c)
{
  dt_rawset raw;
  dt_set set;
  dlnn_code r;

  r = dt_idx_load (c->test_images, c->test_labels, 0, &raw, &c->st);
  if (r != DLNN_OK)
    return r;
  for (int i = 0; i < raw.n; i++)
    if (raw.labels[i] >= c->classes) {
      dt_rawset_free (&raw);
      return dlnn_status_set (&c->st, DLNN_ERR_INVALID,
          "'%s': label %d outside the %d classes", c->test_labels,
          raw.labels[i], c->classes);
    }
  r = dt_data_preprocess (&raw, NULL, raw.n, &c->cfg, &set, &c->st);
  dt_rawset_free (&raw);
  if (r != DLNN_OK)
    return r;
  r = dt_evaluate (c->ve, &set, EVAL_BATCH, c->classes, &c->test_acc, NULL,
      &c->st);
  dt_set_free (&set);
  if (r == DLNN_OK)
    c->have_test = 1;
  return r;
}

int
dt_fit_run (const dt_fit_opts * o)
{
  fit_ctx c;
  int ret = 1, resumed = 0, epochs_run = 0;
  dlnn_code r;
  char shape[64];

  memset (&c, 0, sizeof (c));
  c.o = o;
  dlnn_status_clear (&c.st);
  dlnn_set_threads (o->threads);
  c.ckpt_dir = o->ckpt_dir ? dt_strdup (o->ckpt_dir) :
      output_sibling (o->output, ".ckpt");
  c.curve_path = output_sibling (o->output, "-curve.png");
  if (!c.ckpt_dir || !c.curve_path) {
    dt_fail ("out of memory");
    goto out;
  }
  if ((r = load_data (&c)) != DLNN_OK || (r = setup_data (&c)) != DLNN_OK) {
    dt_fail ("%s", c.st.message);
    goto out;
  }
  if ((r = setup_model (&c)) != DLNN_OK) {
    dt_fail ("cannot build the %s model: %s", dt_arch_name (o->arch),
        c.st.message);
    goto out;
  }
  dlnn_rng_seed (&c.state.rng, mix_seed (o->seed, 0xda7a));
  c.state.channels = c.train.c;
  for (int k = 0; k < c.train.c; k++) {
    c.state.mean[k] = c.cfg.mean[k];
    c.state.std[k] = c.cfg.std[k];
  }
  c.state.hist = calloc ((size_t) o->epochs, sizeof (dt_epoch_stats));
  if (!c.state.hist) {
    dt_fail ("out of memory");
    goto out;
  }
  if (o->resume) {
    if (resume (&c, &resumed) != DLNN_OK) {
      dt_fail ("cannot resume: %s", c.st.message);
      goto out;
    }
    if (resumed) {
      /* room for the remaining epochs */
      dt_epoch_stats *h = realloc (c.state.hist, (size_t) o->epochs *
          sizeof (dt_epoch_stats));
      if (!h) {
        dt_fail ("out of memory");
        goto out;
      }
      c.state.hist = h;
    }
  }
  if (!o->quiet) {
    char *img = dlnn_image_cfg_format (&c.cfg);
    printf ("data: %s (%s), %d training + %d validation images, %d classes\n",
        o->data, c.is_idx ? "idx" : "folder", c.n_train, c.n_val, c.classes);
    printf ("image: %s\n", img ? img : "?");
    printf ("model: %s, %lld parameters, input %s, batch %d, %d steps per "
        "epoch, %d threads\n", dt_arch_name (o->arch),
        (long long) dlnn_graph_param_count (c.g),
        dlnn_shape_str (4, (int64_t[4]) { c.batch, c.train.c, c.train.h,
                c.train.w }, shape, sizeof (shape)), c.batch, c.spe,
        dlnn_get_threads ());
    if (resumed)
      printf ("resumed from '%s' after epoch %d\n", c.ckpt_dir,
          c.state.epoch);
    free (img);
    fflush (stdout);
  }

  for (int ep = c.state.epoch; ep < o->epochs; ep++) {
    dt_epoch_stats es = { 0 };
    const double t0 = dt_now ();

    if (train_epoch (&c, ep, &es) != DLNN_OK) {
      dt_fail ("%s", c.st.message);
      if (c.state.epoch > 0)
        fprintf (stderr, "dltrain: the last good checkpoint (epoch %d) is "
            "in '%s'\n", c.state.epoch, c.ckpt_dir);
      goto out;
    }
    es.val_acc = 0;
    if (c.n_val > 0 && dt_evaluate (c.ve, &c.val, EVAL_BATCH, c.classes,
            &es.val_acc, NULL, &c.st) != DLNN_OK) {
      dt_fail ("validation failed: %s", c.st.message);
      goto out;
    }
    es.time = dt_now () - t0;
    c.state.hist[c.state.n_hist++] = es;
    c.state.epoch = ep + 1;
    if (!o->quiet) {
      char val[32];
      if (c.n_val > 0)
        snprintf (val, sizeof (val), "%.4f", es.val_acc);
      else
        snprintf (val, sizeof (val), "-");
      printf ("epoch %d/%d  loss %.4f  acc %.4f  val_acc %s  lr %.5f  "
          "time %.1fs  (%.0f img/s)\n", ep + 1, o->epochs, es.loss, es.acc,
          val, es.lr, es.time, (double) c.spe * c.batch / es.time);
      fflush (stdout);
    }
    if (save_checkpoint (&c) != DLNN_OK) {
      dt_fail ("cannot write the checkpoint: %s", c.st.message);
      goto out;
    }
    if (dt_plot_curve (c.curve_path, c.state.hist, c.state.n_hist,
            c.n_val > 0, o->output, &c.st) != DLNN_OK)
      fprintf (stderr, "dltrain: warning: %s\n", c.st.message);
    if (o->stop_after > 0 && ++epochs_run >= o->stop_after
        && c.state.epoch < o->epochs) {
      if (!o->quiet)
        printf ("stopped after epoch %d (--stop-after); continue with "
            "--resume\n", c.state.epoch);
      ret = 0;
      goto out;
    }
  }

  if (c.test_images) {
    if (evaluate_test (&c) != DLNN_OK) {
      dt_fail ("test evaluation failed: %s", c.st.message);
      goto out;
    }
    if (!o->quiet)
      printf ("test_accuracy %.4f  (%s)\n", c.test_acc, c.test_images);
  }
  if (dt_graph_copy_params (c.xg, c.g, &c.st) != DLNN_OK) {
    dt_fail ("%s", c.st.message);
    goto out;
  }
  set_metrics (&c);
  set_provenance (&c);
  if (dlnn_onnx_save_file (c.xg, o->output, &c.st) != DLNN_OK) {
    dt_fail ("cannot write '%s': %s", o->output, c.st.message);
    goto out;
  }
  if (dt_plot_curve (c.curve_path, c.state.hist, c.state.n_hist,
          c.n_val > 0, o->output, &c.st) != DLNN_OK)
    fprintf (stderr, "dltrain: warning: %s\n", c.st.message);
  if (!o->quiet)
    printf ("wrote %s and %s\n", o->output, c.curve_path);
  ret = 0;

out:
  fit_ctx_clear (&c);
  return ret;
}

int
dt_fit_main (int argc, char **argv)
{
  dt_fit_opts o;
  int r = dt_fit_parse (argc, argv, &o);
  if (r == 2)
    return 0;
  if (r != 0)
    return 1;
  return dt_fit_run (&o);
}
