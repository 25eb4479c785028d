/* dltrain - `eval MODEL --data MANIFEST` for a tag model (dl.task=tag with
 * dl.audio): per-tag precision, recall and F1 at the model's dl.thresholds
 * (0.5 for a tag without one), and the macro F1. */
#include "tag.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* The MODEL argument of `eval` argv: the first non-option argument
 * (every eval option takes a value, given as "--opt value" or
 * "--opt=value"). */
static const char *
find_model_arg (int argc, char **argv)
{
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] != '-' || !argv[i][1])
      return argv[i];
    if (!strcmp (argv[i], "--"))
      return i + 1 < argc ? argv[i + 1] : NULL;
    if (!strchr (argv[i], '=') && strcmp (argv[i], "-h")
        && strcmp (argv[i], "--help") && strcmp (argv[i], "--verbose"))
      i++;
  }
  return NULL;
}

int
dt_tag_eval_wanted (int argc, char **argv)
{
  const char *model = find_model_arg (argc, argv);
  dlnn_graph *g = NULL;
  dlnn_status st;
  const char *task;
  int yes;

  if (!model || !dt_is_file (model))
    return 0;
  dlnn_status_clear (&st);
  if (dlnn_onnx_load_file (model, &g, &st) != DLNN_OK)
    return 0;
  task = dlnn_graph_get_meta (g, "dl.task");
  yes = task && !strcmp (task, "tag") && dlnn_graph_get_meta (g, "dl.audio");
  dlnn_graph_free (g);
  return yes;
}

int
dt_tag_eval_main (int argc, char **argv)
{
  static const struct option opts[] = {
    {"data", required_argument, NULL, 'd'},
    {"threads", required_argument, NULL, 't'},
    {"batch-size", required_argument, NULL, 'b'},
    {NULL, 0, NULL, 0}
  };
  const char *data = NULL, *model = NULL, *meta;
  long threads = 0, batch = 64;
  dlnn_status st;
  dlnn_graph *g = NULL;
  dlnn_exec *e = NULL;
  dlnn_audio_cfg acfg;
  dt_tag_manifest man = { 0 };
  dt_tag_set set = { 0 };
  char **labels = NULL, **tkeys = NULL;
  double *tvals = NULL;
  int k = 0, nt = 0, ret = 1, opt, frames;
  float *thr = NULL, *prob = NULL;
  dt_tag_scores *sc = NULL;
  const dlnn_value *in;

  dlnn_status_clear (&st);
  opterr = 0;
  optind = 1;
  while ((opt = getopt_long (argc, argv, ":", opts, NULL)) != -1) {
    switch (opt) {
      case 'd':
        data = optarg;
        break;
      case 't':
        if (!dt_parse_int ("--threads", optarg, 0, 256, &threads))
          return 1;
        break;
      case 'b':
        if (!dt_parse_int ("--batch-size", optarg, 1, 65536, &batch))
          return 1;
        break;
      case ':':
        return dt_fail ("eval: option '%s' needs a value", argv[optind - 1]);
      default:
        return dt_fail ("eval: option '%s' is not for tag models (tag "
            "models take --data MANIFEST, --threads, --batch-size)",
            argv[optind - 1]);
    }
  }
  if (optind < argc)
    model = argv[optind++];
  if (optind < argc || !model)
    return dt_fail ("eval: expected one MODEL argument");
  if (!data)
    return dt_fail ("eval: --data MANIFEST is required for a tag model");
  dlnn_set_threads ((int) threads);

  if (dlnn_onnx_load_file (model, &g, &st) != DLNN_OK) {
    dt_fail_load (model, &st);
    goto out;
  }
  if (dlnn_audio_cfg_parse (dlnn_graph_get_meta (g, "dl.audio"), &acfg,
          &st) != DLNN_OK) {
    dt_fail ("model '%s': bad dl.audio: %s", model, st.message);
    goto out;
  }
  meta = dlnn_graph_get_meta (g, "dl.labels");
  if (!meta || dlnn_json_parse_string_array (meta, &labels, &k, &st)
      != DLNN_OK || k < 1) {
    dt_fail ("model '%s': missing or bad dl.labels%s%s", model,
        meta ? ": " : "", meta ? st.message : "");
    goto out;
  }
  thr = malloc ((size_t) k * sizeof (float));
  sc = calloc ((size_t) k, sizeof (dt_tag_scores));
  if (!thr || !sc) {
    dt_fail ("out of memory");
    goto out;
  }
  for (int j = 0; j < k; j++)
    thr[j] = 0.5f;
  meta = dlnn_graph_get_meta (g, "dl.thresholds");
  if (meta) {
    if (dlnn_json_parse_number_object (meta, &tkeys, &tvals, &nt, &st)
        != DLNN_OK) {
      dt_fail ("model '%s': bad dl.thresholds: %s", model, st.message);
      goto out;
    }
    for (int i = 0; i < nt; i++)
      for (int j = 0; j < k; j++)
        if (!strcmp (tkeys[i], labels[j]))
          thr[j] = (float) tvals[i];
  }
  if (g->n_inputs < 1 || (in = &g->values[g->inputs[0]])->ndim != 4
      || in->dims[1] != 1 || in->dims[2] < 1 || in->dims[3] != acfg.n_mels) {
    dt_fail ("model '%s': input 0 is not a [N, 1, T, %d] log-mel patch",
        model, acfg.n_mels);
    goto out;
  }
  frames = (int) in->dims[2];
  if (dlnn_graph_optimize_inference (g, &st) != DLNN_OK
      || !(e = dlnn_exec_new (g, DLNN_EXEC_INFERENCE, &st))
      || dlnn_exec_reshape (e, 0, 4, (int64_t[4]) { batch, 1, frames,
              acfg.n_mels }, &st) != DLNN_OK) {
    dt_fail ("model '%s': %s", model, st.message);
    goto out;
  }
  if (dt_tag_manifest_load (data, &man, &st) != DLNN_OK
      || dt_tag_set_load (&man, data, &acfg, frames, labels, k, 0, &set,
          &st) != DLNN_OK) {
    dt_fail ("%s", st.message);
    goto out;
  }
  prob = malloc ((size_t) set.n * (size_t) k * sizeof (float));
  if (!prob) {
    dt_fail ("out of memory");
    goto out;
  }
  for (int b0 = 0; b0 < set.n; b0 += (int) batch) {
    const int n = set.n - b0 < batch ? set.n - b0 : (int) batch;
    const int64_t per = (int64_t) frames * acfg.n_mels;
    dlnn_tensor *x = dlnn_exec_input (e, 0);
    const dlnn_tensor *p;

    memcpy (x->data, set.x + b0 * per, (size_t) (n * per) * sizeof (float));
    if (n < batch)
      memset (x->data + n * per, 0, (size_t) ((batch - n) * per) *
          sizeof (float));
    if (dlnn_exec_forward (e, &st) != DLNN_OK) {
      dt_fail ("model '%s': %s", model, st.message);
      goto out;
    }
    p = dlnn_exec_output (e, 0);
    if (p->size != batch * k) {
      dt_fail ("model '%s' has %lld outputs per batch of %ld, expected %d "
          "tags", model, (long long) p->size, batch, k);
      goto out;
    }
    memcpy (prob + (int64_t) b0 * k, p->data, (size_t) n * k *
        sizeof (float));
  }
  {
    const double macro = dt_tag_score (prob, set.y, set.n, k, thr, sc);
    printf ("clips: %d\n", set.n);
    dt_tag_print_scores (stdout, labels, k, sc, thr, macro);
  }
  ret = 0;

out:
  free (prob);
  free (thr);
  free (sc);
  free (tvals);
  dlnn_strv_free (tkeys, nt);
  dlnn_strv_free (labels, k);
  dt_tag_set_free (&set);
  dt_tag_manifest_free (&man);
  dlnn_exec_free (e);
  dlnn_graph_free (g);
  return ret;
}
