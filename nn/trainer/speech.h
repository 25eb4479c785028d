/* dltrain - speech recognition (CTC): corpora (speech_data.c), the model
 * (speech_model.c), training (speech_fit.c), decoding, error rates and
 * `dltrain eval` (speech_eval.c). */
#ifndef DLTRAIN_SPEECH_H
#define DLTRAIN_SPEECH_H

#include "dltrain.h"

#include <dlnn/audio.h>

/* ---- text (speech_data.c) ---- */

/* The output symbols: index 0 "<blank>", 1 " " (word boundary), 2 "'",
 * 3.. "a".."z". */
#define DT_SPEECH_CLASSES 29
extern const char *const dt_speech_labels[DT_SPEECH_CLASSES];

/* Normalises a transcript to the alphabet: ASCII letters lowercased,
 * apostrophes kept, whitespace and '-' become a space, every other
 * character is dropped; runs of spaces collapse to one, none at either
 * end. malloc()ed (NULL: out of memory). */
char *dt_speech_normalize (const char *s);

/* ---- corpora (speech_data.c) ---- */

typedef struct dt_utt
{
  char *path;                   /* audio file */
  char *text;                   /* normalised transcript */
  int32_t *labels;              /* its class indices (1 .. C-1) */
  int n_labels;
  float *feat;                  /* [frames, n_mels] raw log-mel */
  int frames;
} dt_utt;

typedef struct dt_corpus
{
  int n;
  dt_utt *u;
  double seconds;               /* audio duration (after features) */
} dt_corpus;

void dt_corpus_free (dt_corpus * c);
/* Reads the utterance list of @path: a TSV manifest (`audio path<TAB>
 * transcript` per line, paths relative to the manifest's directory, blank
 * lines and lines starting with '#' skipped), a LibriSpeech tree (a
 * directory searched recursively for *.trans.txt files of `ID TRANSCRIPT`
 * lines, audio ID.flac next to each), or a directory holding train.tsv
 * (that manifest). Errors name the file and line. @limit > 0 keeps the
 * first @limit utterances. */
dlnn_code dt_corpus_load (const char *path, int limit, dt_corpus * c,
    dlnn_status * st);
/* The val.tsv next to a directory corpus's train.tsv, if any
 * (malloc()ed, NULL if none). */
char *dt_corpus_sibling_val (const char *path);
/* Decodes every utterance's audio (dt_audio_load) and computes its
 * log-mel frames with dlnn_audio_logmel; a progress bar on a terminal
 * unless @quiet. */
dlnn_code dt_corpus_features (dt_corpus * c, const dlnn_audio_cfg * cfg,
    int quiet, dlnn_status * st);

/* ---- the model (speech_model.c) ---- */

/* Time stride of the model: T' = ceil (T / DT_SPEECH_STRIDE). */
#define DT_SPEECH_STRIDE 3

typedef enum dt_speech_rnn { DT_SPEECH_GRU, DT_SPEECH_LSTM } dt_speech_rnn;

/* Builds the recogniser for input "input" [N, T, n_mels]: per-band
 * normalisation (x - mean) * inv_std, the time-strided convolutional
 * front, @layers unidirectional recurrent layers of @width, a per-frame
 * linear layer to @classes, output "logits" [N, T', classes] (training)
 * or, with @export_graph, a LogSoftmax output "log_probs". Parameters from
 * @rng (NULL: zeros). */
dlnn_graph *dt_speech_build (dt_speech_rnn rnn, int layers, int width,
    int n_mels, int classes, const float *mean, const float *inv_std,
    int export_graph, dlnn_rng * rng, dlnn_status * st);
int64_t dt_speech_out_frames (int64_t frames);

/* ---- decoding and error rates (speech_eval.c) ---- */

/* Edit distance between token sequences (ints) @a and @b. */
int64_t dt_edit_distance (const int32_t * a, int64_t na, const int32_t * b,
    int64_t nb);

typedef struct dt_error_counts
{
  int64_t char_errors, chars, word_errors, words;
} dt_error_counts;

/* Adds the character and word edit distances of hypothesis @hyp against
 * reference @ref (both normalised text) to @e. */
void dt_error_counts_add (dt_error_counts * e, const char *ref,
    const char *hyp);
double dt_error_counts_cer (const dt_error_counts * e);
double dt_error_counts_wer (const dt_error_counts * e);


/* Indices of @c's utterances sorted by frame count (malloc()ed). */
int *dt_corpus_order_by_length (const dt_corpus * c);
/* Decoder settings of dt_speech_decode_corpus; zero-initialise. */
typedef struct dt_speech_decode_opts
{
  int beam;                     /* > 0: prefix beam search width, else greedy */
  const dlnn_ctc_vocab *vocab;  /* beam constraint (borrowed) or NULL */
  float blank_penalty;          /* dlnn_ctc_beam_cfg, beam only */
  const float *class_offset;    /* dlnn_ctc_beam_cfg (C entries) or NULL */
  /* dlnn_ctc_beam_cfg's LM (borrowed) or NULL, its weights, and the
   * word-boundary label */
  const dlnn_ctc_lm *lm;
  float lm_weight, word_bonus;
  int32_t word_boundary;
  int verbose;                  /* print each reference and hypothesis */
  /* When not NULL (C entries): the sum over every decoded frame of each
   * class's posterior, and the frame count into *n_frames. */
  double *class_sum;
  int64_t *n_frames;
} dt_speech_decode_opts;

/* Decodes every utterance of @c with @e (a graph whose output 0 is
 * [N, T', C] scores: logits or log-probabilities, as @is_logits says) in
 * length-sorted, zero-padded batches of @batch, as @o says (the beam
 * constrained to a vocabulary or a grammar's). Error counts into @err. */
dlnn_code dt_speech_decode_corpus (dlnn_exec * e, const dt_corpus * c,
    int n_mels, int batch, int is_logits, char *const *labels, int64_t C,
    int blank, const dt_speech_decode_opts * o, dt_error_counts * err,
    dlnn_status * st);

/* dl.ctc_prior JSON for the class posterior sums @sum[0..C) over
 * @n_frames frames: the logs of the means (malloc()ed; NULL without
 * memory or frames). */
char *dt_speech_prior_json (const double *sum, int64_t n_frames, int C);

/* `dltrain eval` of a dl.task=speech model. */
int dt_speech_eval_main (int argc, char **argv);
/* dl.task of the MODEL argument of an `eval` command line (loads it);
 * malloc()ed, NULL when absent or unreadable. */
char *dt_eval_model_task (int argc, char **argv);

/* ---- training (speech_setup.c, speech_fit.c) ---- */

struct dt_fit_opts;

/* One data-parallel replica of the training graph (speech_par.c): shard
 * 0 borrows the context's graph and exec, the others own theirs; each has
 * its own CTC buffers. */
typedef struct dt_speech_shard
{
  dlnn_graph *g;
  dlnn_exec *e;
  int own;
  int first, nb;                /* utterances sorted[first .. first+nb-1] */
  uint64_t seed;                /* SpecAugment masks of this step */
  float loss;                   /* mean CTC loss of the shard */
  int32_t *targets;
  int64_t *in_lens, *tgt_lens;
  void *ws;
  dlnn_tensor *dlogits;
  dlnn_code r;
  dlnn_status st;
  const struct dt_speech_ctx *c;
} dt_speech_shard;

typedef struct dt_speech_ctx
{
  const struct dt_fit_opts *o;
  dlnn_status st;
  dlnn_audio_cfg cfg;
  dt_speech_rnn rnn;
  dt_corpus train, val;
  const char *val_desc;         /* where validation comes from */
  char *val_path;               /* owned: a corpus's sibling val.tsv */
  float *mean, *inv_std;        /* n_mels each */
  dlnn_graph *g;                /* training graph: output "logits" */
  dlnn_graph *xg;               /* export graph: + LogSoftmax */
  dlnn_exec *e, *ve;            /* training / inference on g */
  dlnn_optimizer *opt;
  dlnn_schedule sched;
  /* batches of the length-sorted training set */
  int *sorted;                  /* utterance indices by length */
  int n_batches;
  int *border;                  /* batch order of the current epoch */
  int64_t total_steps;
  /* CTC workspace bytes for the longest utterance (each shard has its
   * own buffers) */
  size_t ws_size;
  dt_train_state state;
  char *ckpt_dir, *curve_path, *fingerprint;
  /* data parallelism: n_shards replicas (1: shard 0 only, no threads) */
  int n_shards;
  dt_speech_shard *shards;
  int64_t max_batch_labels;
} dt_speech_ctx;

void dt_speech_ctx_clear (dt_speech_ctx * c);
/* Corpora, features, validation split, normalisation statistics. */
dlnn_code dt_speech_setup_data (dt_speech_ctx * c);
/* Graphs, execs, optimizer, schedule, batches, buffers, fingerprint. */
dlnn_code dt_speech_setup_model (dt_speech_ctx * c);
/* speech_par.c: @k replicas (k >= 1; k > 1 runs the shards of each
 * batch in k threads with single-threaded math), built after the
 * parameters are final (after --resume). */
dlnn_code dt_speech_par_init (dt_speech_ctx * c, int k);
void dt_speech_par_free (dt_speech_ctx * c);
/* Forward, CTC loss and backward of the batch sorted[first ..
 * first+nb-1], split into contiguous shards; the batch-mean gradient ends
 * up in c->e and *loss is the batch-mean loss. */
dlnn_code dt_speech_par_step (dt_speech_ctx * c, int first, int nb,
    float *loss);
/* After the optimizer stepped c->g: copies its parameters to the other
 * replicas. */
dlnn_code dt_speech_par_sync (dt_speech_ctx * c);
/* dl.metrics and dl.provenance of the export graph. */
void dt_speech_set_metrics (dt_speech_ctx * c);
void dt_speech_set_provenance (dt_speech_ctx * c);

#endif
