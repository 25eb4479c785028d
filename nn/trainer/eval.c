/* dltrain - evaluation: accuracy and confusion matrix; `dltrain eval`. */
#include "dltrain.h"
#include "speech.h"
#include "tag.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

dlnn_code
dt_evaluate (dlnn_exec * e, const dt_set * s, int batch, int classes,
    double *accuracy, int64_t * confusion, dlnn_status * st)
{
  const int64_t per = (int64_t) s->c * s->h * s->w;
  const int64_t dims[4] = { batch, s->c, s->h, s->w };
  int64_t hits = 0;
  dlnn_code c;

  *accuracy = 0;
  if (confusion)
    memset (confusion, 0, sizeof (int64_t) * (size_t) classes * classes);
  if (s->n == 0)
    return DLNN_OK;
  /* every batch has the same shape (the last one zero-padded; inference
   * treats samples independently), so memory is planned once */
  c = dlnn_exec_reshape (e, 0, 4, dims, st);
  if (c != DLNN_OK)
    return c;
  for (int b0 = 0; b0 < s->n; b0 += batch) {
    const int nb = s->n - b0 < batch ? s->n - b0 : batch;
    dlnn_tensor *in = dlnn_exec_input (e, 0);
    const dlnn_tensor *out;

    memcpy (in->data, s->x + (int64_t) b0 * per,
        (size_t) (nb * per) * sizeof (float));
    if (nb < batch)
      memset (in->data + nb * per, 0,
          (size_t) ((batch - nb) * per) * sizeof (float));
    c = dlnn_exec_forward (e, st);
    if (c != DLNN_OK)
      return c;
    out = dlnn_exec_output (e, 0);
    if (!out || out->ndim < 2 || out->dims[0] != batch ||
        out->size != (int64_t) batch * classes)
      return dlnn_status_set (st, DLNN_ERR_SHAPE,
          "model output has %lld values per batch of %d, expected %d "
          "classes", out ? (long long) out->size : 0LL, batch, classes);
    for (int i = 0; i < nb; i++) {
      const float *z = out->data + (int64_t) i * classes;
      int arg = 0;
      for (int j = 1; j < classes; j++)
        if (z[j] > z[arg])
          arg = j;
      int t = s->labels[b0 + i];
      if (arg == t)
        hits++;
      if (confusion && t >= 0 && t < classes)
        confusion[(int64_t) t * classes + arg]++;
    }
  }
  *accuracy = (double) hits / s->n;
  return DLNN_OK;
}

void
dt_print_confusion (FILE * f, const int64_t * m, int k, char **names)
{
  int lw = 5, cw = 5;
  int64_t maxv = 0;

  for (int i = 0; i < k; i++) {
    int l = names ? (int) strlen (names[i]) : 0;
    if (l > lw)
      lw = l > 16 ? 16 : l;
  }
  for (int i = 0; i < k * k; i++)
    if (m[i] > maxv)
      maxv = m[i];
  while (maxv >= 10000) {
    cw++;
    maxv /= 10;
  }
  fprintf (f, "confusion matrix (rows: true label, columns: predicted)\n");
  fprintf (f, "%*s", 4 + lw, "");
  for (int j = 0; j < k; j++)
    fprintf (f, " %*d", cw, j);
  fprintf (f, "\n");
  for (int i = 0; i < k; i++) {
    int64_t row = 0;
    fprintf (f, "%3d %-*.*s", i, lw, lw, names ? names[i] : "");
    for (int j = 0; j < k; j++) {
      fprintf (f, " %*lld", cw, (long long) m[(int64_t) i * k + j]);
      row += m[(int64_t) i * k + j];
    }
    if (row > 0)
      fprintf (f, "   %5.1f%%", 100.0 * m[(int64_t) i * k + i] / row);
    fprintf (f, "\n");
  }
}

static void
eval_usage (FILE * f)
{
  fprintf (f,
      "Usage: dltrain eval MODEL.onnx --data PATH [options]\n"
      "\n"
      "Classifies a labelled dataset with MODEL and prints the accuracy and\n"
      "the confusion matrix. Images are preprocessed as the model's dl.image\n"
      "metadata says, through the same front end as the dlclassify element.\n"
      "\n"
      "  --data PATH          IDX directory (the t10k test split by default),\n"
      "                       an IDX images file, or a folder of class\n"
      "                       sub-folders of images\n"
      "  --format idx|folder  data format (default: detected)\n"
      "  --split test|train   which IDX split of a directory (default test)\n"
      "  --batch-size N       images per forward pass (default 256)\n"
      "  --limit N            use only the first N images\n"
      "  --threads N          math threads (default: all cores)\n"
      "  -h, --help           show this help\n"
      "\n"
      "A speech model (dl.task=speech) is evaluated on a speech corpus\n"
      "instead: word and character error rates, options --beam N and\n"
      "--verbose (see dltrain eval MODEL --help).\n");
}

/* Maps the dataset's label indices to the model's: IDX labels are used as
 * they are; folder class names are looked up in the model labels. */
static dlnn_code
map_folder_labels (dt_rawset * r, char **names, int n_names,
    dlnn_status * st)
{
  int *map = calloc ((size_t) r->n_names, sizeof (int));
  if (!map)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  for (int k = 0; k < r->n_names; k++) {
    map[k] = -1;
    for (int j = 0; j < n_names; j++)
      if (strcmp (r->names[k], names[j]) == 0)
        map[k] = j;
    if (map[k] < 0) {
      dlnn_status_set (st, DLNN_ERR_INVALID,
          "class folder '%s' is not one of the model's labels", r->names[k]);
      free (map);
      return DLNN_ERR_INVALID;
    }
  }
  for (int i = 0; i < r->n; i++)
    r->labels[i] = map[r->labels[i]];
  free (map);
  return DLNN_OK;
}

int
dt_eval_main (int argc, char **argv)
{
  static const struct option opts[] = {
    {"data", required_argument, NULL, 'd'},
    {"format", required_argument, NULL, 'f'},
    {"split", required_argument, NULL, 's'},
    {"batch-size", required_argument, NULL, 'b'},
    {"limit", required_argument, NULL, 'l'},
    {"threads", required_argument, NULL, 't'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}
  };
  const char *data = NULL, *format = NULL, *split = "test", *model = NULL;
  long batch = 256, limit = 0, threads = 0;
  dlnn_status st;
  dlnn_graph *g = NULL;
  dlnn_exec *e = NULL;
  dlnn_image_cfg cfg;
  dt_rawset raw = { 0 };
  dt_set set = { 0 };
  char **names = NULL, *ipath = NULL, *lpath = NULL;
  int n_names = 0, classes, ret = 1, opt;
  int64_t *conf = NULL;
  double acc;
  const char *meta;

  if (dt_tag_eval_wanted (argc, argv))  /* dl.task=tag: tag_eval.c */
    return dt_tag_eval_main (argc, argv);
  {
    /* other tasks have their own evaluation (and options) */
    char *task = dt_eval_model_task (argc, argv);
    if (task && strcmp (task, "speech") == 0) {
      free (task);
      return dt_speech_eval_main (argc, argv);
    }
    free (task);
  }
  dlnn_status_clear (&st);
  opterr = 0;
  optind = 1;
  while ((opt = getopt_long (argc, argv, ":h", opts, NULL)) != -1) {
    switch (opt) {
      case 'd':
        data = optarg;
        break;
      case 'f':
        format = optarg;
        break;
      case 's':
        split = optarg;
        break;
      case 'b':
        if (!dt_parse_int ("--batch-size", optarg, 1, 65536, &batch))
          return 1;
        break;
      case 'l':
        if (!dt_parse_int ("--limit", optarg, 0, 1L << 30, &limit))
          return 1;
        break;
      case 't':
        if (!dt_parse_int ("--threads", optarg, 0, 256, &threads))
          return 1;
        break;
      case 'h':
        eval_usage (stdout);
        return 0;
      case ':':
        return dt_fail ("eval: option '%s' needs a value", argv[optind - 1]);
      default:
        return dt_fail ("eval: unknown option '%s' (see dltrain eval --help)",
            argv[optind - 1]);
    }
  }
  if (optind < argc)
    model = argv[optind++];
  if (optind < argc)
    return dt_fail ("eval: unexpected argument '%s'", argv[optind]);
  if (!model)
    return dt_fail ("eval: no MODEL given (see dltrain eval --help)");
  if (!data)
    return dt_fail ("eval: --data PATH is required");
  if (strcmp (split, "test") == 0)
    split = "t10k";
  else if (strcmp (split, "train") != 0)
    return dt_fail ("eval: --split must be test or train, not '%s'", split);
  if (format && strcmp (format, "idx") && strcmp (format, "folder"))
    return dt_fail ("eval: --format must be idx or folder, not '%s'",
        format);
  dlnn_set_threads ((int) threads);

  if (dlnn_onnx_load_file (model, &g, &st) != DLNN_OK) {
    dt_fail_load (model, &st);
    goto out;
  }
  meta = dlnn_graph_get_meta (g, "dl.image");
  dlnn_image_cfg_init (&cfg);
  if (!meta) {
    dt_fail ("model '%s' has no dl.image metadata (preprocessing unknown)",
        model);
    goto out;
  }
  if (dlnn_image_cfg_parse (meta, &cfg, &st) != DLNN_OK) {
    dt_fail ("model '%s': bad dl.image '%s': %s", model, meta, st.message);
    goto out;
  }
  if (dlnn_graph_optimize_inference (g, &st) != DLNN_OK) {
    dt_fail ("model '%s': %s", model, st.message);
    goto out;
  }
  e = dlnn_exec_new (g, DLNN_EXEC_INFERENCE, &st);
  if (!e || g->n_inputs < 1 || g->n_outputs < 1) {
    dt_fail ("model '%s': %s", model, e ? "no inputs or outputs" :
        st.message);
    goto out;
  }
  {
    const int64_t dims[4] = { 1, dlnn_image_cfg_channels (&cfg), cfg.height,
      cfg.width
    };
    const dlnn_tensor *o;
    dlnn_tensor *in;
    int ok = dlnn_exec_reshape (e, 0, 4, dims, &st) == DLNN_OK;
    if (ok && (in = dlnn_exec_input (e, 0)) && in->data)
      memset (in->data, 0, (size_t) in->size * sizeof (float));
    if (!ok || dlnn_exec_forward (e, &st) != DLNN_OK) {
      dt_fail ("model '%s' does not accept its dl.image input [1, %lld, "
          "%lld, %lld]: %s", model, (long long) dims[1], (long long) dims[2],
          (long long) dims[3], st.message);
      goto out;
    }
    o = dlnn_exec_output (e, 0);
    classes = (int) (o->size);
  }
  meta = dlnn_graph_get_meta (g, "dl.labels");
  if (meta && dlnn_json_parse_string_array (meta, &names, &n_names,
          &st) != DLNN_OK) {
    dt_fail ("model '%s': bad dl.labels: %s", model, st.message);
    goto out;
  }
  if (names && n_names != classes) {
    dt_fail ("model '%s' has %d labels but %d outputs", model, n_names,
        classes);
    goto out;
  }

  if (format ? strcmp (format, "idx") == 0 : dt_idx_detect (data)) {
    if (dt_idx_paths (data, split, &ipath, &lpath, &st) != DLNN_OK ||
        dt_idx_load (ipath, lpath, (int) limit, &raw, &st) != DLNN_OK) {
      dt_fail ("%s", st.message);
      goto out;
    }
  } else {
    if (dt_folder_load (data, (int) limit, &raw, &st) != DLNN_OK) {
      dt_fail ("%s", st.message);
      goto out;
    }
    if (!names) {
      dt_fail ("model '%s' has no dl.labels to match the class folders",
          model);
      goto out;
    }
    if (map_folder_labels (&raw, names, n_names, &st) != DLNN_OK) {
      dt_fail ("%s", st.message);
      goto out;
    }
  }
  for (int i = 0; i < raw.n; i++)
    if (raw.labels[i] >= classes) {
      dt_fail ("label %d of image %d is outside the model's %d classes",
          raw.labels[i], i, classes);
      goto out;
    }
  if (dt_data_preprocess (&raw, NULL, raw.n, &cfg, &set, &st) != DLNN_OK) {
    dt_fail ("%s", st.message);
    goto out;
  }
  conf = calloc ((size_t) classes * classes, sizeof (int64_t));
  if (!conf) {
    dt_fail ("out of memory");
    goto out;
  }
  if (dt_evaluate (e, &set, (int) batch, classes, &acc, conf, &st)
      != DLNN_OK) {
    dt_fail ("evaluation failed: %s", st.message);
    goto out;
  }
  printf ("images: %d\n", set.n);
  printf ("accuracy: %.4f\n", acc);
  dt_print_confusion (stdout, conf, classes, names);
  ret = 0;

out:
  free (conf);
  free (ipath);
  free (lpath);
  dt_set_free (&set);
  dt_rawset_free (&raw);
  dlnn_strv_free (names, n_names);
  dlnn_exec_free (e);
  dlnn_graph_free (g);
  return ret;
}
