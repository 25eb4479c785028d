/* dltrain - shared declarations of the trainer's parts.
 *
 * Plain C11 + POSIX; depends on libdlnn, FFmpeg (folder datasets), cairo
 * (training curve) and zlib (gzipped IDX). Every fallible function returns
 * a dlnn_code with the message in a dlnn_status, as libdlnn does; main ()
 * prints it as one line and exits with status 1. */
#ifndef DLTRAIN_H
#define DLTRAIN_H

#include <stdint.h>
#include <stdio.h>
#include <dlnn/dlnn.h>

#define DLTRAIN_VERSION DLNN_VERSION

/* ---- util.c ---- */

/* Growable string. */
typedef struct dt_str
{
  char *s;
  size_t len, cap;
  int failed;
} dt_str;

void dt_str_init (dt_str * b);
void dt_str_free (dt_str * b);
void dt_str_add (dt_str * b, const char *s);
void dt_str_addf (dt_str * b, const char *fmt, ...) DLNN_PRINTF (2, 3);
/* Appends @s as a JSON string literal (quotes and escapes). */
void dt_str_add_json (dt_str * b, const char *s);

char *dt_strdup (const char *s);
double dt_now (void);           /* monotonic seconds */
int dt_is_dir (const char *path);
int dt_is_file (const char *path);
/* Joins dir and name with '/' into a malloc()ed string. */
char *dt_path_join (const char *dir, const char *name);
/* mkdir -p for one level; ok if it exists. */
dlnn_code dt_mkdir (const char *path, dlnn_status * st);
/* Removes a directory with the regular files in it (not recursive). */
void dt_rmdir_files (const char *path);
/* Writes @data to @path atomically (temporary file, fsync, rename). */
dlnn_code dt_write_file_atomic (const char *path, const void *data,
    size_t len, dlnn_status * st);
/* Reads a whole (small, <= @max bytes) file; NUL-terminated. */
dlnn_code dt_read_file (const char *path, size_t max, char **out,
    size_t *len, dlnn_status * st);
/* Hash of every parameter of @g (names and data), order-independent. */
uint64_t dt_graph_checksum (const dlnn_graph * g);

/* ---- data: raw decoded images (idx.c, folder.c, data.c) ---- */

typedef struct dt_image
{
  int width, height, stride;
  dlnn_pixfmt format;           /* DLNN_PIX_GRAY8 or DLNN_PIX_RGB */
  const uint8_t *pixels;
} dt_image;

typedef struct dt_rawset
{
  int n;
  dt_image *img;
  int *labels;
  uint8_t *block;               /* IDX: one allocation for every image */
  uint8_t **owned;              /* folder: one allocation per image */
  int n_names;                  /* folder: class sub-folder names */
  char **names;
  int all_gray;
} dt_rawset;

void dt_rawset_free (dt_rawset * r);

/* IDX (idx.c). Reads a gzipped (or plain) IDX image file (magic 0x803) and
 * its label file (magic 0x801), validating magic, dimensions and sizes.
 * @limit > 0 keeps only the first @limit images. */
dlnn_code dt_idx_load (const char *images_path, const char *labels_path,
    int limit, dt_rawset * out, dlnn_status * st);
/* Resolves --data for IDX: a directory holding {train,t10k}-images-idx3-
 * ubyte[.gz] (split "train" or "t10k"), or an images file path (labels:
 * "images-idx3" replaced by "labels-idx1"). malloc()ed paths; returns
 * DLNN_ERR_IO naming what is missing. */
dlnn_code dt_idx_paths (const char *data, const char *split, char **images,
    char **labels, dlnn_status * st);
/* 1 if @data looks like IDX (a file, or a dir with train/t10k images). */
int dt_idx_detect (const char *data);

/* Folder of class sub-folders of images (folder.c, libav*). Sub-folder
 * names sorted (strcmp) give the label indices. @limit > 0 keeps only the
 * first images in that order. */
dlnn_code dt_folder_load (const char *dir, int limit, dt_rawset * out,
    dlnn_status * st);

/* A preprocessed set: n tensors of c*h*w floats. */
typedef struct dt_set
{
  int n, c, h, w;
  float *x;
  int *labels;
} dt_set;

void dt_set_free (dt_set * s);
/* Per-channel mean and standard deviation of the front end's output
 * (without normalisation) over images @idx of @r. */
dlnn_code dt_data_stats (const dt_rawset * r, const int *idx, int n,
    const dlnn_image_cfg * cfg, float *mean, float *std, dlnn_status * st);
/* Runs images @idx (NULL = all) of @r through the shared image front end. */
dlnn_code dt_data_preprocess (const dt_rawset * r, const int *idx, int n,
    const dlnn_image_cfg * cfg, dt_set * out, dlnn_status * st);

/* ---- arch.c ---- */

typedef enum dt_arch
{ DT_ARCH_MLP, DT_ARCH_CNN_SMALL, DT_ARCH_VGG, DT_ARCH_CRNN } dt_arch;
int dt_arch_parse (const char *s, dt_arch * a);
const char *dt_arch_name (dt_arch a);
/* Builds the classifier for [N, c, h, w] input "input" with @classes
 * outputs "logits" (training) or, with @softmax, a final Softmax output
 * "probabilities" (export). Parameters are initialised from @rng (NULL:
 * zeros, for graphs whose weights are copied in). Not finalized. */
dlnn_graph *dt_arch_build (dt_arch a, int width, int c, int h, int w,
    int classes, int softmax, dlnn_rng * rng, dlnn_status * st);
/* Copies every parameter of @src into the same-named parameter of @dst
 * (shapes must match; every parameter of @dst must be found). */
dlnn_code dt_graph_copy_params (dlnn_graph * dst, const dlnn_graph * src,
    dlnn_status * st);

/* ---- progress.c ---- */

typedef struct dt_progress
{
  int enabled;                  /* stderr is a TTY and not quiet */
  int total;
  double t0, last;
  int width;
} dt_progress;

void dt_progress_start (dt_progress * p, int enabled, int total);
void dt_progress_update (dt_progress * p, int done, int images,
    double loss);
void dt_progress_end (dt_progress * p);

/* ---- random.c ---- */

/* a[i] = a permutation of 0..n-1 (Fisher-Yates with @r). */
void dt_permutation (int *a, int n, dlnn_rng * r);
/* SpecAugment (Park et al. 2019, without time warping) on @x, @frames
 * rows of @bands: @masks frequency masks of 0..7 bands, then @masks time
 * masks of 0..min(frames / 10, 20) frames, filled with fill[band]. */
void dt_spec_augment (float *x, int frames, int bands, const float *fill,
    int masks, dlnn_rng * r);

/* ---- history, plot.c ---- */

typedef struct dt_epoch_stats
{
  double loss, acc, val_acc, lr, time;
} dt_epoch_stats;

/* Draws loss and accuracy per epoch into a PNG (atomically). */
dlnn_code dt_plot_curve (const char *path, const dt_epoch_stats * h, int n,
    int have_val, const char *title, dlnn_status * st);
/* The same with other names: the loss axis, the second panel's title and
 * the series in acc and val_acc (speech: 1 - CER and 1 - WER). */
dlnn_code dt_plot_curve_labeled (const char *path, const dt_epoch_stats * h,
    int n, int have_val, const char *title, const char *loss_label,
    const char *acc_title, const char *acc_name, const char *val_name,
    dlnn_status * st);

/* ---- eval.c ---- */

/* Classifies @s with @e (an exec on a graph whose output 0 is [N, classes]
 * scores) in batches of @batch; returns accuracy, fills @confusion
 * (classes x classes, row = true label) when non-NULL. */
dlnn_code dt_evaluate (dlnn_exec * e, const dt_set * s, int batch,
    int classes, double *accuracy, int64_t * confusion, dlnn_status * st);
void dt_print_confusion (FILE * f, const int64_t * confusion, int classes,
    char **names);

/* ---- checkpoint.c ---- */

typedef struct dt_train_state
{
  char *fingerprint;            /* options that must match to resume */
  int epoch;                    /* completed epochs */
  int64_t step;                 /* optimizer steps taken */
  dlnn_rng rng;                 /* data RNG after @epoch */
  int have_exec_rng;            /* exec_rng saved (trainers that seed the */
  dlnn_rng exec_rng;            /* exec once: its Dropout RNG) */
  int channels;
  float mean[3], std[3];
  int n_hist;
  dt_epoch_stats *hist;
} dt_train_state;

void dt_train_state_clear (dt_train_state * s);
/* Writes DIR/epoch-NNNN/{model.onnx,optimizer.state,trainer.state} into
 * a temporary directory, renames it into place, then points DIR/latest
 * at it (atomic rename) and removes the previous epoch's directory. */
dlnn_code dt_checkpoint_save (const char *dir, const dlnn_graph * model,
    const dlnn_optimizer * o, const dt_train_state * s, dlnn_status * st);
/* Reads DIR/latest; the model is loaded into *model (caller frees). */
dlnn_code dt_checkpoint_load (const char *dir, dlnn_graph ** model,
    dlnn_optimizer * o, dt_train_state * s, dlnn_status * st);
/* --resume: without DIR/latest, *resumed = 0 and OK (a note on stderr
 * unless @quiet). Otherwise loads the checkpoint, which must carry
 * @fingerprint and at most @epochs epochs, copies its parameters into @g,
 * the optimizer state into @o, and replaces *@state with its state (the
 * history with room for @epochs entries); *resumed = 1. */
dlnn_code dt_checkpoint_resume (const char *dir, const char *fingerprint,
    int epochs, int quiet, dlnn_graph * g, dlnn_optimizer * o,
    dt_train_state * state, int *resumed, dlnn_status * st);

/* ---- subcommands ---- */

int dt_fit_main (int argc, char **argv);
int dt_eval_main (int argc, char **argv);
int dt_info_main (int argc, char **argv);
int dt_run_main (int argc, char **argv);        /* run.c */
int dt_bench_main (int argc, char **argv);      /* bench.c */

/* main.c: prints "dltrain: MESSAGE" to stderr; returns 1. */
int dt_fail (const char *fmt, ...) DLNN_PRINTF (1, 2);
/* "cannot load model 'PATH': REASON" (the path once, even when the
 * loader's message names it already); returns 1. */
int dt_fail_load (const char *path, const dlnn_status * st);
/* Option value parsing with a clear error (main.c). */
int dt_parse_int (const char *opt, const char *s, long min, long max,
    long *out);
int dt_parse_float (const char *opt, const char *s, double min, double max,
    double *out);

#endif
