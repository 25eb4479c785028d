/* tests/models/run_model: runs an ONNX model through libdlnn for the
 * model tests (run_models.py).
 *
 *   run_model MODEL INPUT.bin OUTPUT.bin
 *
 * Loads MODEL, applies dlnn_graph_optimize_inference, reads graph input 0
 * from INPUT.bin (raw little-endian float32, exactly as many values as
 * the model's declared input shape holds; dynamic dims are taken as 1),
 * runs it and writes output 0 as raw float32 to OUTPUT.bin. Prints the
 * output shape on stdout. Exit status 1 with a message on any error. */
#include "dlnn/dlnn.h"

#include <stdio.h>
#include <stdlib.h>

static int
fail (const char *what, const char *msg)
{
  fprintf (stderr, "run_model: %s: %s\n", what, msg);
  return 1;
}

int
main (int argc, char **argv)
{
  dlnn_graph *g = NULL;
  dlnn_exec *e = NULL;
  dlnn_status st;
  dlnn_tensor *x;
  const dlnn_tensor *y;
  const dlnn_value *in;
  int64_t dims[DLNN_MAX_DIMS];
  FILE *f;
  int ret = 1;
  size_t got;

  if (argc != 4) {
    fprintf (stderr, "usage: run_model MODEL INPUT.bin OUTPUT.bin\n");
    return 2;
  }
  if (dlnn_onnx_load_file (argv[1], &g, &st) != DLNN_OK)
    return fail (argv[1], st.message);
  if (dlnn_graph_optimize_inference (g, &st) != DLNN_OK) {
    ret = fail ("optimize", st.message);
    goto out;
  }
  e = dlnn_exec_new (g, DLNN_EXEC_INFERENCE, &st);
  if (!e) {
    ret = fail ("exec", st.message);
    goto out;
  }
  in = &g->values[g->inputs[0]];
  for (int d = 0; d < in->ndim; d++)
    dims[d] = in->dims[d] < 0 ? 1 : in->dims[d];
  if (dlnn_exec_reshape (e, 0, in->ndim, dims, &st) != DLNN_OK) {
    ret = fail ("reshape", st.message);
    goto out;
  }
  x = dlnn_exec_input (e, 0);
  f = fopen (argv[2], "rb");
  if (!f) {
    ret = fail (argv[2], "cannot open");
    goto out;
  }
  got = fread (x->data, sizeof (float), (size_t) x->size + 1, f);
  fclose (f);
  if (got != (size_t) x->size) {
    fprintf (stderr, "run_model: %s: %zu floats, the input needs %lld\n",
        argv[2], got, (long long) x->size);
    goto out;
  }
  if (dlnn_exec_forward (e, &st) != DLNN_OK) {
    ret = fail ("forward", st.message);
    goto out;
  }
  y = dlnn_exec_output (e, 0);
  f = fopen (argv[3], "wb");
  if (!f || fwrite (y->data, sizeof (float), (size_t) y->size, f) !=
      (size_t) y->size) {
    if (f)
      fclose (f);
    ret = fail (argv[3], "cannot write");
    goto out;
  }
  if (fclose (f) != 0) {
    ret = fail (argv[3], "cannot write");
    goto out;
  }
  for (int d = 0; d < y->ndim; d++)
    printf ("%s%lld", d ? " " : "", (long long) y->dims[d]);
  printf ("\n");
  ret = 0;
out:
  dlnn_exec_free (e);
  dlnn_graph_free (g);
  return ret;
}
