/* dltrain - the multi-label audio tagger (`fit --task tag`, tag models in
 * `eval`): manifests and log-mel patches (tag_data.c), per-tag metrics and
 * thresholds (tag_metrics.c), training (tag_fit.c), evaluation
 * (tag_eval.c). */
#ifndef DLTRAIN_TAG_H
#define DLTRAIN_TAG_H

#include "fit.h"

/* Tag names: lowercase ASCII letters, digits, '_' and '-', 1..63 chars. */
#define DT_TAG_MAX_LEN 63

/* A tag manifest: one clip per line, "path<TAB>tag1,tag2,..." with the
 * path relative to the manifest's directory (or absolute); blank lines and
 * lines starting with '#' are skipped; at least one tag per line. */
typedef struct dt_tag_manifest
{
  int n;
  char **paths;                 /* resolved */
  int *lines;                   /* manifest line of each clip */
  char ***tags;                 /* per clip: n_tags[i] tag names */
  int *n_tags;
} dt_tag_manifest;

dlnn_code dt_tag_manifest_load (const char *path, dt_tag_manifest * m,
    dlnn_status * st);
void dt_tag_manifest_free (dt_tag_manifest * m);
/* The sorted set of tags used by @m (malloc()ed names). */
dlnn_code dt_tag_manifest_labels (const dt_tag_manifest * m, char ***labels,
    int *n, dlnn_status * st);

/* Clips as fixed log-mel patches [n, T, M] and targets [n, K]. */
typedef struct dt_tag_set
{
  int n, t, m, k;
  float *x;                     /* n * t * m, raw log-mel (not normalised) */
  float *y;                     /* n * k, 0 or 1 */
} dt_tag_set;

void dt_tag_set_free (dt_tag_set * s);
/* Decodes every clip of @m at @cfg's rate (dt_audio_load), computes its
 * log-mel frames (dlnn_audio_logmel) and keeps @frames of them: the
 * middle ones of a longer clip, a shorter one padded at the end with the
 * frame of digital silence. Every tag must be one of @labels (an error
 * names the manifest line otherwise). @progress: a progress bar. */
dlnn_code dt_tag_set_load (const dt_tag_manifest * m, const char *manifest,
    const dlnn_audio_cfg * cfg, int frames, char **labels, int k,
    int progress, dt_tag_set * out, dlnn_status * st);

/* ---- tag_metrics.c ---- */

typedef struct dt_tag_scores
{
  double precision, recall, f1;
  int64_t tp, fp, fn, support;
} dt_tag_scores;

/* Per-tag counts and scores of probabilities @p against targets @y
 * (n x k) at thresholds @thr (k); returns the macro F1. */
double dt_tag_score (const float *p, const float *y, int n, int k,
    const float *thr, dt_tag_scores * out);
/* Per tag, the threshold in [0.05, 0.95] (steps of 0.01) with the best F1
 * on (@p, @y); ties go to the one closest to 0.5. */
void dt_tag_best_thresholds (const float *p, const float *y, int n, int k,
    float *thr);
/* Prints a precision / recall / F1 table and the macro F1. */
void dt_tag_print_scores (FILE * f, char **labels, int k,
    const dt_tag_scores * s, const float *thr, double macro);
/* dl.thresholds: {"tag": 0.42, ...}; malloc()ed. */
char *dt_tag_format_thresholds (char **labels, int k, const float *thr);

/* ---- tag_fit.c / tag_eval.c ---- */

int dt_tag_fit_run (const dt_fit_opts * o);
/* 1 if `eval` argv names a model whose dl.task is "tag". */
int dt_tag_eval_wanted (int argc, char **argv);
int dt_tag_eval_main (int argc, char **argv);

#endif
