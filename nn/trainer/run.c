/* dltrain - `dltrain run MODEL --input X.npy ... --output Y.npy`: runs a
 * model on NumPy arrays and writes its first output as .npy. */
#include "dltrain.h"
#include "npy.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void
run_usage (FILE * f)
{
  fprintf (f,
      "Usage: dltrain run MODEL.onnx --input X.npy [--input X2.npy ...] "
      "--output Y.npy\n"
      "\n"
      "Runs any ONNX model that libdlnn supports (made by dltrain or exported\n"
      "from PyTorch) on NumPy .npy arrays and writes its first output as a\n"
      ".npy file (version 1.0, float32). One --input per model input, in the\n"
      "model's input order (dltrain info lists them); each must be C-order\n"
      "little-endian float32 ('<f4'), and its shape sets the input's shape\n"
      "(dynamic dimensions such as the batch take any size, the others must\n"
      "match the model). From NumPy: np.save('x.npy', a.astype('<f4')).\n"
      "\n"
      "  -i, --input FILE     input array (repeat for several inputs)\n"
      "  -o, --output FILE    where to write the first output\n"
      "  -t, --threads N      threads of the math kernels (default: the\n"
      "                       OpenBLAS default)\n"
      "  -h, --help           show this help\n");
}

/* Checks @a against the declared shape of graph input @v. */
static int
check_shape (const dlnn_value * v, int idx, const char *path,
    const dt_npy * a)
{
  char want[160], got[160];
  int ok = v->ndim == a->ndim;

  for (int d = 0; ok && d < v->ndim; d++)
    if (v->dims[d] >= 0 && v->dims[d] != a->dims[d])
      ok = 0;
  if (ok)
    return 1;
  dlnn_shape_str (v->ndim, v->dims, want, sizeof (want));
  dlnn_shape_str (a->ndim, a->dims, got, sizeof (got));
  dt_fail ("run: '%s' has shape %s but model input %d '%s' is %s "
      "(-1 = any size)", path, got, idx, v->name, want);
  return 0;
}

int
dt_run_main (int argc, char **argv)
{
  static const struct option opts[] = {
    {"input", required_argument, NULL, 'i'},
    {"output", required_argument, NULL, 'o'},
    {"threads", required_argument, NULL, 't'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}
  };
  const char *model = NULL, *output = NULL;
  const char **inputs = NULL;
  int n_inputs = 0, opt, ret = 1;
  long threads = 0;
  dlnn_graph *g = NULL;
  dlnn_exec *e = NULL;
  dt_npy *arrays = NULL;
  const dlnn_tensor *out;
  dlnn_status st;
  char shape[160];

  dlnn_status_clear (&st);
  inputs = calloc ((size_t) argc, sizeof (*inputs));
  if (!inputs)
    return dt_fail ("run: out of memory");
  opterr = 0;
  optind = 1;
  while ((opt = getopt_long (argc, argv, ":i:o:t:h", opts, NULL)) != -1) {
    switch (opt) {
      case 'i':
        inputs[n_inputs++] = optarg;
        break;
      case 'o':
        output = optarg;
        break;
      case 't':
        if (!dt_parse_int ("--threads", optarg, 1, 1024, &threads))
          goto done;
        break;
      case 'h':
        run_usage (stdout);
        ret = 0;
        goto done;
      case ':':
        dt_fail ("run: option '%s' needs a value", argv[optind - 1]);
        goto done;
      default:
        dt_fail ("run: unknown option '%s' (see dltrain run --help)",
            argv[optind - 1]);
        goto done;
    }
  }
  if (optind < argc)
    model = argv[optind++];
  if (!model) {
    dt_fail ("run: no MODEL given (see dltrain run --help)");
    goto done;
  }
  if (optind < argc) {
    dt_fail ("run: unexpected argument '%s'", argv[optind]);
    goto done;
  }
  if (n_inputs == 0) {
    dt_fail ("run: no --input given");
    goto done;
  }
  if (!output) {
    dt_fail ("run: no --output given");
    goto done;
  }
  if (threads > 0)
    dlnn_set_threads ((int) threads);

  if (dlnn_onnx_load_file (model, &g, &st) != DLNN_OK) {
    dt_fail_load (model, &st);
    goto done;
  }
  if (dlnn_graph_optimize_inference (g, &st) != DLNN_OK) {
    dt_fail ("run: cannot prepare '%s' for inference: %s", model,
        st.message);
    goto done;
  }
  if (n_inputs != g->n_inputs) {
    dt_fail ("run: '%s' has %d input%s but %d --input given", model,
        g->n_inputs, g->n_inputs == 1 ? "" : "s", n_inputs);
    goto done;
  }

  arrays = calloc ((size_t) n_inputs, sizeof (*arrays));
  e = dlnn_exec_new (g, DLNN_EXEC_INFERENCE, &st);
  if (!arrays || !e) {
    dt_fail ("run: %s", arrays ? st.message : "out of memory");
    goto done;
  }
  for (int i = 0; i < n_inputs; i++) {
    const dlnn_value *v = &g->values[g->inputs[i]];
    if (dt_npy_read (inputs[i], &arrays[i], &st) != DLNN_OK) {
      dt_fail ("run: %s", st.message);
      goto done;
    }
    if (!check_shape (v, i, inputs[i], &arrays[i]))
      goto done;
    if (dlnn_exec_reshape (e, i, arrays[i].ndim, arrays[i].dims,
            &st) != DLNN_OK) {
      dt_fail ("run: cannot plan '%s' for input '%s' %s: %s", model,
          v->name, dlnn_shape_str (arrays[i].ndim, arrays[i].dims, shape,
              sizeof (shape)), st.message);
      goto done;
    }
  }
  for (int i = 0; i < n_inputs; i++) {
    dlnn_tensor *t = dlnn_exec_input (e, i);
    if (!t || !t->data || t->size != arrays[i].size) {
      dt_fail ("run: input '%s' is not a float32 tensor of %lld values",
          g->values[g->inputs[i]].name, (long long) arrays[i].size);
      goto done;
    }
    memcpy (t->data, arrays[i].data, sizeof (float) * (size_t) t->size);
  }
  if (dlnn_exec_forward (e, &st) != DLNN_OK) {
    dt_fail ("run: inference failed: %s", st.message);
    goto done;
  }
  out = dlnn_exec_output (e, 0);
  if (!out || !out->data) {
    dt_fail ("run: the first output of '%s' is not float32", model);
    goto done;
  }
  if (dt_npy_write (output, out->ndim, out->dims, out->data, &st) !=
      DLNN_OK) {
    dt_fail ("run: cannot write '%s': %s", output, st.message);
    goto done;
  }
  printf ("%s: output '%s' %s float32 -> %s\n", model,
      g->values[g->outputs[0]].name, dlnn_shape_str (out->ndim, out->dims,
          shape, sizeof (shape)), output);
  ret = 0;

done:
  if (arrays)
    for (int i = 0; i < n_inputs; i++)
      dt_npy_clear (&arrays[i]);
  free (arrays);
  free (inputs);
  dlnn_exec_free (e);
  dlnn_graph_free (g);
  return ret;
}
