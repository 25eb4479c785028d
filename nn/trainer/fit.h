/* dltrain - `fit` options (fit_cli.c) shared with the training loop
 * (fit.c). */
#ifndef DLTRAIN_FIT_H
#define DLTRAIN_FIT_H

#include "dltrain.h"

/* What `fit` trains: an image classifier (default), a CTC speech
 * recogniser (speech_fit.c) or a multi-label audio tagger. */
typedef enum dt_task
{ DT_TASK_CLASSIFY, DT_TASK_SPEECH, DT_TASK_TAG } dt_task;

typedef struct dt_fit_opts
{
  dt_task task;
  const char *data;
  const char *format;           /* "idx", "folder" or NULL (detect) */
  const char *output;
  const char *labels_file;
  const char *ckpt_dir;         /* NULL: OUTPUT without .onnx + ".ckpt" */
  const char *color;            /* folder: gray|rgb|NULL (detect) */
  int img_w, img_h;             /* folder: 0 = detect */
  dt_arch arch;
  const char *arch_name;        /* --arch as given (speech: gru|lstm) */
  int width;
  /* audio tasks (speech_fit.c; tag) */
  const char *val_data;         /* --val-data: validation manifest */
  const char *audio;            /* --audio: dl.audio string, NULL default */
  double clip_norm;             /* --clip-norm: global gradient norm
                                   limit, 0 off (speech default 5) */
  int layers;                   /* --layers: recurrent layers (speech 3) */
  int spec_masks;               /* --spec-augment: SpecAugment masks of
                                   each kind per utterance (speech 2) */
  const char *init;             /* --init: speech: start from this model's
                                   parameters (same shapes), NULL: random */
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

/* State of one `fit` run (fit.c, fit_setup.c). */
typedef struct dt_fit_ctx
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
} dt_fit_ctx;

/* fit_setup.c */
uint64_t dt_mix_seed (uint64_t seed, uint64_t k);
/* OUTPUT without a trailing ".onnx" + @suffix (malloc()ed). */
char *dt_output_sibling (const char *output, const char *suffix);
/* Loads the data, class names (load) and splits and preprocesses them
 * (setup). */
dlnn_code dt_fit_load_data (dt_fit_ctx * c);
dlnn_code dt_fit_setup_data (dt_fit_ctx * c);
/* Builds training and export graphs, execs, optimizer, schedule. */
dlnn_code dt_fit_setup_model (dt_fit_ctx * c);
/* The optimizer of @g and the learning-rate schedule over
 * @steps_per_epoch x epochs steps, from the options (every task). */
dlnn_optimizer *dt_fit_optimizer (const dt_fit_opts * o,
    const dlnn_graph * g, dlnn_status * st);
void dt_fit_schedule (const dt_fit_opts * o, int steps_per_epoch,
    dlnn_schedule * s);
/* dl.provenance (every task): _begin starts the JSON object in @b with
 * the trainer, the command line and the data; the caller adds its own
 * fields (", \"key\": value"); _end adds seed, epochs, threads and time,
 * stores it in @xg and frees @b. */
void dt_provenance_begin (const dt_fit_opts * o, dt_str * b);
void dt_provenance_end (const dt_fit_opts * o, dt_str * b, dlnn_graph * xg);
/* dl.metrics and dl.provenance of the export graph. */
void dt_fit_set_metrics (dt_fit_ctx * c);
void dt_fit_set_provenance (dt_fit_ctx * c);

/* Parses `fit` arguments (argv[0] == "fit"). Returns 0 to go on, 1 after
 * printing an error, 2 after printing the help. */
int dt_fit_parse (int argc, char **argv, dt_fit_opts * o);
/* Runs training; returns the process exit status. */
int dt_fit_run (const dt_fit_opts * o);
/* speech_fit.c: `fit --task speech`. */
int dt_speech_fit_run (const dt_fit_opts * o);

#endif
