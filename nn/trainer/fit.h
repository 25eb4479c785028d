/* dltrain - `fit` options (fit_cli.c) shared with the training loop
 * (fit.c). */
#ifndef DLTRAIN_FIT_H
#define DLTRAIN_FIT_H

#include "dltrain.h"

typedef struct dt_fit_opts
{
  const char *data;
  const char *format;           /* "idx", "folder" or NULL (detect) */
  const char *output;
  const char *labels_file;
  const char *ckpt_dir;         /* NULL: OUTPUT without .onnx + ".ckpt" */
  const char *color;            /* folder: gray|rgb|NULL (detect) */
  int img_w, img_h;             /* folder: 0 = detect */
  dt_arch arch;
  int width;
  int epochs;
  int batch;
  double lr, min_lr;            /* min_lr < 0: lr / 100 */
  dlnn_optim_kind optim;
  double momentum;
  int nesterov;
  double weight_decay;
  dlnn_schedule_kind schedule;
  double warmup_epochs;
  double label_smoothing;
  uint64_t seed;
  int aug_shift, aug_flip;
  double val_split;
  int threads;
  int limit;
  int resume;
  int stop_after;                /* stop after N epochs of this run */
  int quiet;
  /* the command line, for dl.provenance */
  int argc;
  char **argv;
} dt_fit_opts;

/* Parses `fit` arguments (argv[0] == "fit"). Returns 0 to go on, 1 after
 * printing an error, 2 after printing the help. */
int dt_fit_parse (int argc, char **argv, dt_fit_opts * o);
/* Runs training; returns the process exit status. */
int dt_fit_run (const dt_fit_opts * o);

#endif
