/* dltrain - `fit` set-up: data loading, the validation split, the
 * normalisation statistics, graphs, execs, optimizer and schedule, and the
 * dl.* metadata of the exported model. */
#include "fit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t
dt_mix_seed (uint64_t seed, uint64_t k)
{
  uint64_t z = seed * 0x9e3779b97f4a7c15ull + k + 0x632be59bd9b4e019ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* OUTPUT without a trailing ".onnx" + @suffix. */
char *
dt_output_sibling (const char *output, const char *suffix)
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

dlnn_code
dt_fit_load_data (dt_fit_ctx * c)
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

dlnn_code
dt_fit_setup_data (dt_fit_ctx * c)
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
  dlnn_rng_seed (&rng, dt_mix_seed (o->seed, 0x5b117));
  dt_permutation (perm, n, &rng);
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
make_fingerprint (dt_fit_ctx * c)
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

dlnn_code
dt_fit_setup_model (dt_fit_ctx * c)
{
  const dt_fit_opts *o = c->o;
  dlnn_status *st = &c->st;
  dlnn_rng init;
  const int ch = c->train.c;
  char *s;
  dlnn_code r;

  dlnn_rng_seed (&init, dt_mix_seed (o->seed, 0x1417));
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
  c->opt = dt_fit_optimizer (o, c->g, st);
  if (!c->opt)
    return st->code;
  dt_fit_schedule (o, c->spe, &c->sched);

  c->order = malloc ((size_t) c->n_train * sizeof (int));
  c->blabels = malloc ((size_t) c->batch * sizeof (int));
  c->dlogits = dlnn_tensor_new4 (2, c->batch, c->classes, 0, 0);
  c->fingerprint = make_fingerprint (c);
  if (!c->order || !c->blabels || !c->dlogits || !c->fingerprint)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  return DLNN_OK;
}

dlnn_optimizer *
dt_fit_optimizer (const dt_fit_opts * o, const dlnn_graph * g,
    dlnn_status * st)
{
  dlnn_optim_cfg oc;

  dlnn_optim_cfg_init (&oc, o->optim);
  oc.momentum = (float) o->momentum;
  oc.nesterov = o->nesterov;
  oc.weight_decay = (float) o->weight_decay;
  return dlnn_optimizer_new (g, &oc, st);
}

void
dt_fit_schedule (const dt_fit_opts * o, int steps_per_epoch,
    dlnn_schedule * s)
{
  memset (s, 0, sizeof (*s));
  s->kind = o->schedule;
  s->base_lr = (float) o->lr;
  s->min_lr = (float) o->min_lr;
  s->warmup_steps = (int64_t) floor (o->warmup_epochs * steps_per_epoch +
      0.5);
  s->step_size = (int64_t) steps_per_epoch * (o->epochs >= 3 ?
      o->epochs / 3 : 1);
  s->gamma = 0.1f;
}

void
dt_provenance_begin (const dt_fit_opts * o, dt_str * b)
{
  dt_str cmd;

  dt_str_init (&cmd);
  dt_str_add (&cmd, "dltrain");
  for (int i = 0; i < o->argc; i++) {
    dt_str_add (&cmd, " ");
    dt_str_add (&cmd, o->argv[i]);
  }
  dt_str_init (b);
  dt_str_add (b, "{\"trainer\": ");
  dt_str_add_json (b, "dltrain " DLTRAIN_VERSION);
  dt_str_add (b, ", \"command\": ");
  dt_str_add_json (b, cmd.s ? cmd.s : "");
  dt_str_add (b, ", \"data\": ");
  dt_str_add_json (b, o->data);
  dt_str_free (&cmd);
}

void
dt_provenance_end (const dt_fit_opts * o, dt_str * b, dlnn_graph * xg)
{
  char when[64];
  time_t now = time (NULL);
  struct tm tm;

  gmtime_r (&now, &tm);
  strftime (when, sizeof (when), "%Y-%m-%dT%H:%M:%SZ", &tm);
  dt_str_addf (b, ", \"seed\": %llu, \"epochs\": %d, \"threads\": %d, "
      "\"time\": \"%s\"}", (unsigned long long) o->seed, o->epochs,
      dlnn_get_threads (), when);
  dlnn_graph_set_meta (xg, "dl.provenance", b->s && !b->failed ? b->s :
      "{}");
  dt_str_free (b);
}

void
dt_fit_set_metrics (dt_fit_ctx * c)
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

void
dt_fit_set_provenance (dt_fit_ctx * c)
{
  const dt_fit_opts *o = c->o;
  dt_str b;

  dt_provenance_begin (o, &b);
  dt_str_addf (&b, ", \"train_images\": %d, \"val_images\": %d",
      c->n_train, c->n_val);
  dt_str_addf (&b, ", \"arch\": \"%s\"", dt_arch_name (o->arch));
  dt_provenance_end (o, &b, c->xg);
}

