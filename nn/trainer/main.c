/* dltrain - train, evaluate and inspect gst-dl image classifiers.
 *
 *   dltrain fit  --data PATH --output MODEL.onnx [options]
 *   dltrain eval MODEL.onnx --data PATH
 *   dltrain info MODEL.onnx
 *   dltrain run MODEL.onnx --input X.npy [--input ...] --output Y.npy
 *   dltrain bench MODEL.onnx [--threads N]
 *
 * Errors are one line on stderr ("dltrain: ...") and exit status 1. */
#include "dltrain.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int
dt_fail (const char *fmt, ...)
{
  va_list ap;

  fflush (stdout);
  fputs ("dltrain: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
  return 1;
}

int
dt_fail_load (const char *path, const dlnn_status * st)
{
  if (strstr (st->message, path))
    return dt_fail ("cannot load model: %s", st->message);
  return dt_fail ("cannot load model '%s': %s", path, st->message);
}

int
dt_parse_int (const char *opt, const char *s, long min, long max, long *out)
{
  char *end;
  long v;

  errno = 0;
  v = strtol (s, &end, 10);
  if (end == s || *end || errno == ERANGE) {
    dt_fail ("%s: '%s' is not an integer", opt, s);
    return 0;
  }
  if (v < min || v > max) {
    dt_fail ("%s: %ld is outside %ld..%ld", opt, v, min, max);
    return 0;
  }
  *out = v;
  return 1;
}

int
dt_parse_float (const char *opt, const char *s, double min, double max,
    double *out)
{
  char *end;
  double v;

  errno = 0;
  v = strtod (s, &end);
  if (end == s || *end || errno == ERANGE || !isfinite (v)) {
    dt_fail ("%s: '%s' is not a number", opt, s);
    return 0;
  }
  if (v < min || v > max) {
    dt_fail ("%s: %g is outside %g..%g", opt, v, min, max);
    return 0;
  }
  *out = v;
  return 1;
}

static void
usage (FILE * f)
{
  fprintf (f,
      "Usage: dltrain COMMAND [options]\n"
      "\n"
      "Trains, evaluates and inspects image classifiers for the gst-dl\n"
      "dlclassify element. Models are ONNX files with dl.* metadata.\n"
      "\n"
      "Commands:\n"
      "  fit    train a model from IDX files or a folder of class folders\n"
      "  eval   print a model's accuracy and confusion matrix on a dataset\n"
      "  info   print a model's metadata and graph summary\n"
      "  run    run any ONNX model on NumPy .npy inputs, write a .npy output\n"
      "  bench  print a model's median and p90 latency on random inputs\n"
      "\n"
      "  dltrain COMMAND --help   options of a command\n"
      "  dltrain --version        print the version\n"
      "\n"
      "Example:\n"
      "  dltrain fit --data /usr/share/datasets/fashion-mnist \\\n"
      "      --labels samples/fashion-mnist-labels.txt --output fm.onnx\n"
      "  dltrain eval fm.onnx --data /usr/share/datasets/fashion-mnist\n"
      "  dltrain run fm.onnx --input x.npy --output y.npy\n"
      "  dltrain bench fm.onnx --threads 1\n");
}

int
main (int argc, char **argv)
{
  const char *cmd;

  if (argc < 2) {
    usage (stderr);
    return 1;
  }
  cmd = argv[1];
  if (strcmp (cmd, "--help") == 0 || strcmp (cmd, "-h") == 0
      || strcmp (cmd, "help") == 0) {
    usage (stdout);
    return 0;
  }
  if (strcmp (cmd, "--version") == 0) {
    printf ("dltrain %s\n", DLTRAIN_VERSION);
    return 0;
  }
  if (strcmp (cmd, "fit") == 0)
    return dt_fit_main (argc - 1, argv + 1);
  if (strcmp (cmd, "eval") == 0)
    return dt_eval_main (argc - 1, argv + 1);
  if (strcmp (cmd, "info") == 0)
    return dt_info_main (argc - 1, argv + 1);
  if (strcmp (cmd, "run") == 0)
    return dt_run_main (argc - 1, argv + 1);
  if (strcmp (cmd, "bench") == 0)
    return dt_bench_main (argc - 1, argv + 1);
  return dt_fail ("unknown command '%s' (try dltrain --help)", cmd);
}
