/* libdlnn side of tests/models-seq/models_seq.py.
 *
 *   seq_runner MODEL OUTDIR D0 [D1 ...] -- IN0.bin [IN1.bin ...]
 *
 * Loads MODEL (ONNX), applies dlnn_graph_optimize_inference, plans one
 * inference exec for graph input 0 of shape D0 D1 ..., then for each
 * input file k (raw float32, little-endian, exactly that many values)
 * runs the model and writes output 0 to OUTDIR/out<k>.bin (raw float32).
 * Prints the output shape. Any error is printed with libdlnn's message
 * and exits with status 1. */
#include "dlnn/dlnn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
fail (const char *what, const dlnn_status * st)
{
  fprintf (stderr, "seq_runner: %s: %s\n", what, st ? st->message : "");
  return 1;
}

static int
read_floats (const char *path, float *dst, int64_t count)
{
  FILE *f = fopen (path, "rb");
  size_t got;
  int extra;

  if (!f) {
    perror (path);
    return 1;
  }
  got = fread (dst, sizeof (float), (size_t) count, f);
  extra = fgetc (f) != EOF;
  fclose (f);
  if (got != (size_t) count || extra) {
    fprintf (stderr, "seq_runner: %s does not hold exactly %lld floats\n",
        path, (long long) count);
    return 1;
  }
  return 0;
}

static int
write_floats (const char *path, const float *src, int64_t count)
{
  FILE *f = fopen (path, "wb");
  int bad;

  if (!f) {
    perror (path);
    return 1;
  }
  bad = fwrite (src, sizeof (float), (size_t) count, f) != (size_t) count;
  bad |= fclose (f) != 0;
  if (bad)
    fprintf (stderr, "seq_runner: cannot write %s\n", path);
  return bad;
}

int
main (int argc, char **argv)
{
  int64_t dims[DLNN_MAX_DIMS];
  int ndim = 0, a = 3, ret = 0;
  dlnn_graph *g = NULL;
  dlnn_exec *e = NULL;
  dlnn_status st;

  if (argc < 6) {
    fprintf (stderr, "usage: seq_runner MODEL OUTDIR D0 [D1 ...] -- "
        "IN.bin ...\n");
    return 2;
  }
  for (; a < argc && strcmp (argv[a], "--") != 0; a++) {
    if (ndim == DLNN_MAX_DIMS) {
      fprintf (stderr, "seq_runner: too many dimensions\n");
      return 2;
    }
    dims[ndim++] = strtoll (argv[a], NULL, 10);
  }
  if (a >= argc - 1) {
    fprintf (stderr, "seq_runner: no input files after --\n");
    return 2;
  }
  a++;
  if (dlnn_onnx_load_file (argv[1], &g, &st) != DLNN_OK)
    return fail ("load", &st);
  if (dlnn_graph_optimize_inference (g, &st) != DLNN_OK) {
    ret = fail ("optimize", &st);
    goto out;
  }
  e = dlnn_exec_new (g, DLNN_EXEC_INFERENCE, &st);
  if (!e) {
    ret = fail ("exec", &st);
    goto out;
  }
  if (dlnn_exec_reshape (e, 0, ndim, dims, &st) != DLNN_OK) {
    ret = fail ("reshape", &st);
    goto out;
  }
  for (int k = 0; a < argc; a++, k++) {
    dlnn_tensor *in = dlnn_exec_input (e, 0);
    const dlnn_tensor *o;
    char path[4096];
    if (read_floats (argv[a], in->data, in->size)) {
      ret = 1;
      goto out;
    }
    if (dlnn_exec_forward (e, &st) != DLNN_OK) {
      ret = fail ("forward", &st);
      goto out;
    }
    o = dlnn_exec_output (e, 0);
    snprintf (path, sizeof (path), "%s/out%d.bin", argv[2], k);
    if (write_floats (path, o->data, o->size)) {
      ret = 1;
      goto out;
    }
    if (k == 0) {
      printf ("output %s", g->values[g->outputs[0]].name);
      for (int d = 0; d < o->ndim; d++)
        printf (" %lld", (long long) o->dims[d]);
      printf ("\n");
    }
  }
out:
  dlnn_exec_free (e);
  dlnn_graph_free (g);
  return ret;
}
