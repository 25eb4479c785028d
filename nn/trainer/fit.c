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
#include "workers.h"
#include "tag.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DIVERGED_LOSS 1e3f
#define EVAL_BATCH 256

/* ---- the loop ---- */

/* Copies training image @src into the batch slot @dst, with a random
 * shift (zero padding, i.e. black) and/or horizontal flip. The draws are
 * made whatever the options, so they do not change the RNG stream. */
static void
augment_copy (dt_fit_ctx * c, float *dst, const float *src, dlnn_rng * rng)
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
train_epoch (dt_fit_ctx * c, int epoch, dt_epoch_stats * es)
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
  int k, threads;
  dt_replica_spec spec;
  dt_workers *w = NULL;

  threads = dlnn_get_threads ();
  k = threads;
  if (k > c->batch)
    k = c->batch;
  spec.arch = o->arch;
  spec.width = o->width;
  spec.c = c->train.c;
  spec.h = c->train.h;
  spec.w = c->train.w;
  spec.classes = c->classes;
  /* one worker per thread, each with single-threaded math */
  dlnn_set_threads (1);
  w = dt_workers_new (c->g, c->e, &spec, k, c->batch,
      dt_mix_seed (o->seed, 0xd0000 + (uint64_t) epoch), st);
  if (!w) {
    dlnn_set_threads (threads);
    return st->code ? st->code : DLNN_ERR_NOMEM;
  }
  dt_permutation (c->order, c->n_train, &c->state.rng);
  dt_progress_start (&pr, !o->quiet, c->spe);
  for (b = 0; b < c->spe; b++) {
    float loss;
    int hits;

    for (int i = 0; i < c->batch; i++) {
      const int kk = c->order[b * c->batch + i];
      int *label;
      float *slot = dt_workers_slot (w, i, &label);
      augment_copy (c, slot, c->train.x + kk * per, &c->state.rng);
      *label = c->train.labels[kk];
    }
    lr = dlnn_schedule_lr (&c->sched, c->state.step, c->total_steps);
    r = dt_workers_step (w, (float) o->label_smoothing, &loss, &hits, st);
    if (r == DLNN_OK && !(loss <= DIVERGED_LOSS))
      r = dlnn_status_set (st, DLNN_ERR_NUMERIC, "loss %g exceeds %g",
          (double) loss, (double) DIVERGED_LOSS);
    if (r != DLNN_OK)
      goto fail;
    r = dlnn_optimizer_step (c->opt, c->g, c->e, lr, st);
    if (r != DLNN_OK)
      goto fail;
    dt_workers_sync (w);
    c->state.step++;
    loss_sum += loss;
    correct += hits;
    dt_progress_update (&pr, b + 1, (b + 1) * c->batch, loss_sum / (b + 1));
  }
  dt_workers_free (w);
  dlnn_set_threads (threads);
  dt_progress_end (&pr);
  es->loss = loss_sum / c->spe;
  es->acc = (double) correct / ((double) c->spe * c->batch);
  es->lr = lr;
  return DLNN_OK;

fail:
  dt_progress_end (&pr);
  dt_workers_free (w);
  dlnn_set_threads (threads);
  if (r == DLNN_ERR_NUMERIC)
    dlnn_status_prefix (st, "training diverged at epoch %d/%d, batch "
        "%d/%d (lr %.3g; try a lower --lr)", epoch + 1, o->epochs, b + 1,
        c->spe, (double) lr);
  else
    dlnn_status_prefix (st, "epoch %d, batch %d", epoch + 1, b + 1);
  return r;
}

static dlnn_code
save_checkpoint (dt_fit_ctx * c)
{
  dlnn_code r = dt_graph_copy_params (c->xg, c->g, &c->st);
  if (r != DLNN_OK)
    return r;
  dt_fit_set_metrics (c);
  dt_fit_set_provenance (c);
  c->state.fingerprint = c->fingerprint;
  r = dt_checkpoint_save (c->ckpt_dir, c->xg, c->opt, &c->state, &c->st);
  c->state.fingerprint = NULL;
  return r;
}

static void
dt_fit_ctx_clear (dt_fit_ctx * c)
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
evaluate_test (dt_fit_ctx * c)
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
  dt_fit_ctx c;
  int ret = 1, resumed = 0, epochs_run = 0;
  dlnn_code r;
  char shape[64];

  if (o->task == DT_TASK_SPEECH)
    return dt_speech_fit_run (o);
  if (o->task == DT_TASK_TAG)
    return dt_tag_fit_run (o);
  memset (&c, 0, sizeof (c));
  c.o = o;
  dlnn_status_clear (&c.st);
  dlnn_set_threads (o->threads);
  c.ckpt_dir = o->ckpt_dir ? dt_strdup (o->ckpt_dir) :
      dt_output_sibling (o->output, ".ckpt");
  c.curve_path = dt_output_sibling (o->output, "-curve.png");
  if (!c.ckpt_dir || !c.curve_path) {
    dt_fail ("out of memory");
    goto out;
  }
  if ((r = dt_fit_load_data (&c)) != DLNN_OK || (r = dt_fit_setup_data (&c)) != DLNN_OK) {
    dt_fail ("%s", c.st.message);
    goto out;
  }
  if ((r = dt_fit_setup_model (&c)) != DLNN_OK) {
    dt_fail ("cannot build the %s model: %s", dt_arch_name (o->arch),
        c.st.message);
    goto out;
  }
  dlnn_rng_seed (&c.state.rng, dt_mix_seed (o->seed, 0xda7a));
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
    if (dt_checkpoint_resume (c.ckpt_dir, c.fingerprint, o->epochs,
            o->quiet, c.g, c.opt, &c.state, &resumed, &c.st) != DLNN_OK) {
      dt_fail ("cannot resume: %s", c.st.message);
      goto out;
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
      if (c.state.epoch > 0)
        dt_fail ("%s; the last good checkpoint (epoch %d) is in '%s'",
            c.st.message, c.state.epoch, c.ckpt_dir);
      else
        dt_fail ("%s", c.st.message);
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
  dt_fit_set_metrics (&c);
  dt_fit_set_provenance (&c);
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
  dt_fit_ctx_clear (&c);
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
