/* libdlnn - CTC (connectionist temporal classification): loss with its
 * gradient, greedy and prefix beam search decoding, decoding constrained to
 * a vocabulary or phrase list, n-gram language model (ARPA) scoring.
 *
 * Conventions shared by every function here:
 * - scores are natural-log probabilities;
 * - @input holds either logits (cfg input_is_logits = 1: a log-softmax over
 *   the class axis is applied inside) or log-probabilities (0: used as
 *   given, assumed normalised, as torch.nn.functional.ctc_loss expects);
 * - the blank class is @blank (dl.ctc `blank=B`, default 0, see
 *   dlnn_ctc_parse_meta), every other class in [0, C) is a label;
 * - nothing here allocates per call: the loss takes a caller workspace of
 *   dlnn_ctc_workspace_size() bytes, the beam decoder allocates its state
 *   once in dlnn_ctc_beam_new(). */
#ifndef DLNN_CTC_H
#define DLNN_CTC_H

#include <stdint.h>
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Parses the dl.ctc metadata value, `blank=B` (keys separated by ';',
 * unknown keys are an error). NULL or "" leaves *blank at 0. */
DLNN_API dlnn_code dlnn_ctc_parse_meta (const char *value, int *blank,
    dlnn_status * st);

/* ---- loss ---------------------------------------------------------- */

typedef enum dlnn_ctc_reduction
{
  /* PyTorch's 'mean': each sequence's loss divided by its target length
   * (at least 1), then averaged over the batch. */
  DLNN_CTC_REDUCTION_MEAN,
  DLNN_CTC_REDUCTION_SUM,       /* sum over the batch */
} dlnn_ctc_reduction;

typedef struct dlnn_ctc_loss_cfg
{
  int blank;                    /* blank class, default 0 */
  dlnn_ctc_reduction reduction; /* default MEAN */
  int input_is_logits;          /* 1 (default): logits; 0: log-probs */
  int batch_first;              /* 0 (default): input [T, N, C];
                                   1: input [N, T, C] */
  /* Infeasible sequences (target needs more frames than the input has:
   * S + number of adjacent repeats > input length, or probability 0):
   * zero_infinity = 1 (default): loss 0 and gradient 0 for that sequence
   * (PyTorch's zero_infinity=True), flagged in @infeasible;
   * zero_infinity = 0: the call fails with DLNN_ERR_NUMERIC naming the
   * sequence. */
  int zero_infinity;
} dlnn_ctc_loss_cfg;

DLNN_API void dlnn_ctc_loss_cfg_init (dlnn_ctc_loss_cfg * cfg);

/* Bytes of workspace dlnn_ctc_loss needs for inputs of T frames, C classes
 * and targets of at most @max_target_len labels (the batch size does not
 * matter: sequences are processed one after another). */
DLNN_API size_t dlnn_ctc_workspace_size (int64_t T, int64_t C,
    int64_t max_target_len);

/* CTC loss over a batch of N sequences.
 * @input: [T, N, C] (or [N, T, C] with batch_first), float32, row-major.
 * @targets: labels of all sequences concatenated (PyTorch's 1-D form),
 *   sum(target_lengths) entries, each in [0, C) and != blank.
 * @input_lengths[N] in [0, T]; @target_lengths[N] >= 0.
 * @loss (required): reduced loss. @seq_loss (optional, N): -log p per
 *   sequence, unreduced and unscaled (0 for zeroed infeasible sequences).
 * @grad (optional, same layout as @input): d(loss)/d(logits) - the gradient
 *   w.r.t. the pre-log-softmax logits, softmax - posterior, scaled by the
 *   reduction; for log-prob input, it is the gradient w.r.t. the logits the
 *   log-probs came from. Frames past a sequence's input length get 0.
 * @infeasible (optional, N): 1 where the sequence was infeasible.
 * @workspace: at least dlnn_ctc_workspace_size (T, C, max target length)
 *   bytes, 8-byte aligned (malloc'ed memory is). */
DLNN_API dlnn_code dlnn_ctc_loss (const dlnn_ctc_loss_cfg * cfg,
    const float *input, int64_t T, int64_t N, int64_t C,
    const int32_t * targets, const int64_t * input_lengths,
    const int64_t * target_lengths, float *loss, float *seq_loss,
    float *grad, int *infeasible, void *workspace, size_t workspace_size,
    dlnn_status * st);

/* ---- decoding ------------------------------------------------------ */

/* One output token with its time: frames are indexes into the decoded
 * input. Greedy: start/end span the run of frames whose best class is
 * @id, confidence = the largest posterior of @id in that run. Beam: start
 * = end = the last frame at which fresh emissions of the token carried more
 * of the hypothesis' probability than the mass carried over from earlier
 * frames (where the token "fires"), confidence = the posterior of @id at
 * that frame. */
typedef struct dlnn_ctc_token
{
  int32_t id;
  int32_t start;
  int32_t end;
  float confidence;
} dlnn_ctc_token;

/* Best-path decoding of one sequence @input [T, C]: argmax per frame,
 * collapse repeats, drop blanks. Writes at most @max_tokens tokens (T is
 * always enough) and their count to *n_tokens; *path_logp (optional) gets
 * the log-probability of the best path. DLNN_ERR_INVALID if @max_tokens is
 * too small. */
DLNN_API dlnn_code dlnn_ctc_greedy (const float *input, int64_t T,
    int64_t C, int blank, int input_is_logits, dlnn_ctc_token * tokens,
    int64_t max_tokens, int64_t *n_tokens, float *path_logp,
    dlnn_status * st);

/* Vocabulary or phrase list: a prefix tree over allowed token sequences.
 * Without a word boundary (boundary < 0) a final hypothesis is exactly one
 * entry. With a word boundary token, a final hypothesis is one or more
 * entries separated by single boundary tokens (an optional trailing
 * boundary is accepted); a leading boundary is not. An entry may itself
 * contain the boundary token (a phrase); where both continuing the entry
 * and starting a new one are possible after a complete entry, the decoder
 * continues the entry. Immutable once built; may be shared read-only by
 * several decoders. */
typedef struct dlnn_ctc_vocab dlnn_ctc_vocab;

DLNN_API dlnn_ctc_vocab *dlnn_ctc_vocab_new (int32_t boundary,
    dlnn_status * st);
DLNN_API void dlnn_ctc_vocab_free (dlnn_ctc_vocab * v);
/* Adds one entry of @n >= 1 tokens (>= 0; must not start or end with the
 * boundary token). Duplicates are fine. */
DLNN_API dlnn_code dlnn_ctc_vocab_add (dlnn_ctc_vocab * v,
    const int32_t * tokens, int64_t n, dlnn_status * st);
DLNN_API int64_t dlnn_ctc_vocab_n_entries (const dlnn_ctc_vocab * v);

/* ---- n-gram language model ------------------------------------------ */

/* Back-off n-gram language model read from an ARPA file (order 1..5):
 * the \data\ section with `ngram N=count` lines, one \N-grams: section
 * per order (log10 probability, N words, optional log10 back-off weight;
 * fields separated by spaces or tabs), then \end\. Words are byte
 * strings (UTF-8 as written in the file); <s>, </s> and <unk> are found
 * if present. Every word of a higher-order n-gram must be a unigram.
 * Storage: one string blob and a hash table for the words, per order a
 * sorted array of n-grams indexed by their first word (12 bytes per
 * bigram and per trigram); nothing is allocated per n-gram. Immutable once
 * loaded: may be shared read-only by any number of decoders and threads.
 * Errors (DLNN_ERR_FORMAT) name the line: malformed lines, counts that do
 * not match, truncated files, duplicate n-grams. */
typedef struct dlnn_ctc_lm dlnn_ctc_lm;

#define DLNN_CTC_LM_MAX_ORDER 5

DLNN_API dlnn_ctc_lm *dlnn_ctc_lm_load (const char *path, dlnn_status * st);
DLNN_API void dlnn_ctc_lm_free (dlnn_ctc_lm * lm);
DLNN_API int dlnn_ctc_lm_order (const dlnn_ctc_lm * lm);
/* Number of n-grams of order @n (1..order), 0 otherwise. */
DLNN_API int64_t dlnn_ctc_lm_count (const dlnn_ctc_lm * lm, int n);
/* Bytes held by the model (arrays and tables). */
DLNN_API size_t dlnn_ctc_lm_memory (const dlnn_ctc_lm * lm);
/* Word id (0 .. count(1) - 1, in file order) of the @len bytes at @word,
 * or -1 if it is not a unigram. */
DLNN_API int32_t dlnn_ctc_lm_word (const dlnn_ctc_lm * lm, const char *word,
    size_t len);
/* Text of word @id (NUL-terminated, borrowed), NULL if out of range. */
DLNN_API const char *dlnn_ctc_lm_word_text (const dlnn_ctc_lm * lm,
    int32_t id);
/* Ids of <s>, </s>, <unk>, or -1 when the model has none. */
DLNN_API int32_t dlnn_ctc_lm_bos (const dlnn_ctc_lm * lm);
DLNN_API int32_t dlnn_ctc_lm_eos (const dlnn_ctc_lm * lm);
DLNN_API int32_t dlnn_ctc_lm_unk (const dlnn_ctc_lm * lm);
/* Natural-log probability of @word given the history @hist[0..n_hist)
 * (oldest first; only the last order-1 words are used; a negative id cuts
 * the history: only the words after it count) with standard back-off:
 * ln P(w | h1..hk) = p(h1..hk w) if that n-gram is listed, else
 * bo(h1..hk) + ln P(w | h2..hk) (bo = 0 for contexts not listed).
 * -INFINITY when @word is not a valid id. */
DLNN_API double dlnn_ctc_lm_logp (const dlnn_ctc_lm * lm,
    const int32_t * hist, int n_hist, int32_t word);

/* The lexicon of @lm's words for a constrained beam search (as a
 * word-based recogniser's dictionary): every unigram but <s>, </s> and
 * <unk> that @labels[0..n_labels) can spell (the longest label matching
 * at each position, not @blank or @boundary; words they cannot spell are
 * left out). Their count into @n_words (may be NULL). NULL with
 * DLNN_ERR_INVALID when none can be spelled. */
DLNN_API dlnn_ctc_vocab *dlnn_ctc_lm_lexicon (const dlnn_ctc_lm * lm,
    const char *const *labels, int64_t n_labels, int blank, int32_t boundary,
    int64_t * n_words, dlnn_status * st);

typedef struct dlnn_ctc_beam_cfg
{
  int blank;                    /* default 0 */
  int64_t n_classes;            /* C, required */
  /* Hypotheses kept per frame, default 8. With @vocab one of them is the
   * best complete hypothesis whenever there is one (it takes the last
   * place if beam_size incomplete ones score higher), so a final n-best
   * is not empty because of unfinished words. */
  int beam_size;
  /* Per-frame pruning: labels whose posterior is below this are not used to
   * extend hypotheses at that frame (hypotheses always continue with blank
   * or a repeat of their last token). 0 (default) disables pruning. */
  float prune_prob;
  /* Subtracted from the blank's log-probability at every frame before the
   * search (after the log-softmax of logits): > 0 favours emitting labels
   * over blanks, a per-label-frame bonus that offsets a model's bias
   * toward deletions. Scores and shares of the n-best include it. Finite;
   * 0 (default): the model's scores as they are. */
  float blank_penalty;
  /* Optional, borrowed (must outlive the decoder): n_classes finite
   * numbers added to each class's log-probability at every frame, after
   * the log-softmax and before blank_penalty. Prior division ("scaled
   * likelihoods") is offset[c] = -w * ln prior[c] with the priors of
   * dlnn_ctc_parse_prior. Scores and shares of the n-best include it.
   * NULL (default): none. */
  const float *class_offset;
  int input_is_logits;          /* default 1 */
  /* Capacity: total frames pushed between resets (default 3000). */
  int64_t max_frames;
  /* Optional, borrowed: must outlive the decoder. */
  const dlnn_ctc_vocab *vocab;
  /* Optional word-level language model (borrowed, must outlive the
   * decoder; may be combined with @vocab: the vocabulary constrains, the
   * LM scores). When a hypothesis completes a word (emits the word
   * boundary after at least one other token, or at final for its last
   * word) its score gets lm_weight * ln P(word | previous words) +
   * word_bonus; a final hypothesis also gets lm_weight * ln P(</s> |
   * words) when the model has </s>. A word is the concatenation of the
   * @labels of its tokens; a word the LM does not list is scored as <unk>
   * or, when the LM has no <unk>, with ln P = lm_oov_logp (and the
   * history restarts after it). The history starts with <s> if the model
   * has it. No partial-word scoring. */
  const dlnn_ctc_lm *lm;
  float lm_weight;              /* alpha, default 0.5 */
  float word_bonus;             /* beta, default 1.0 */
  float lm_oov_logp;            /* default ln (1e-10) = -23.03 */
  /* Required with @lm: n_classes UTF-8 strings, token id -> text
   * (dl.labels; the blank's entry is not used). Borrowed. */
  const char *const *labels;
  /* Word boundary token for the LM; -1 (default): the token whose label
   * is " ". Must not be the blank. */
  int32_t word_boundary;
} dlnn_ctc_beam_cfg;

DLNN_API void dlnn_ctc_beam_cfg_init (dlnn_ctc_beam_cfg * cfg);

/* blank_penalty that dlspeech and `dltrain eval` use by default when the
 * search is constrained to a vocabulary or grammar: chosen (the best sum
 * of word errors over grammar and vocabulary decoding) on synthesised
 * command sets read by held-out voices (scripts/make-command-set.py),
 * where it cut grammar-constrained WER by about half. */
#define DLNN_CTC_CONSTRAINED_BLANK_PENALTY 2.0f
/* The same for a model with class priors (dl.ctc_prior): prior weight w
 * (class_offset = -w * ln prior) and the blank_penalty that goes with it;
 * chosen like the above (prior division beat the blank penalty alone). */
#define DLNN_CTC_CONSTRAINED_PRIOR_WEIGHT 1.0f
#define DLNN_CTC_CONSTRAINED_PRIOR_BLANK_PENALTY 0.5f
/* Default lm_weight (alpha) and word_bonus (beta) of the beam search with
 * a language model (dlnn_ctc_beam_cfg_init, dlspeech, `dltrain eval --lm`). */
#define DLNN_CTC_LM_DEFAULT_WEIGHT 0.5f
#define DLNN_CTC_LM_DEFAULT_WORD_BONUS 1.0f

/* Parses the dl.ctc_prior metadata value: a JSON array of exactly
 * @n_classes finite numbers, the natural log of each output class's mean
 * posterior over the frames of a corpus (what `dltrain eval
 * --write-prior` stores), into @log_prior. DLNN_ERR_FORMAT names the
 * problem. */
DLNN_API dlnn_code dlnn_ctc_parse_prior (const char *json, int64_t n_classes,
    float *log_prior, dlnn_status * st);

/* Prefix beam search decoder; per-stream state, allocated once. */
typedef struct dlnn_ctc_beam dlnn_ctc_beam;

DLNN_API dlnn_ctc_beam *dlnn_ctc_beam_new (const dlnn_ctc_beam_cfg * cfg,
    dlnn_status * st);
DLNN_API void dlnn_ctc_beam_free (dlnn_ctc_beam * b);
/* Starts a new utterance (frame indexes restart at 0). */
DLNN_API void dlnn_ctc_beam_reset (dlnn_ctc_beam * b);
/* Feeds @T frames [T, C]; may be called repeatedly (streaming).
 * DLNN_ERR_NOMEM when more than max_frames frames were pushed since the
 * last reset; DLNN_ERR_NUMERIC for NaN input. */
DLNN_API dlnn_code dlnn_ctc_beam_push (dlnn_ctc_beam * b,
    const float *input, int64_t T, dlnn_status * st);
/* Current n-best, best first, into the decoder's own buffers (valid until
 * the next push, reset or free). @final = 1 keeps only hypotheses that are
 * complete under the vocabulary (without a vocabulary every hypothesis
 * is); final = 0 returns the current partial hypotheses. Returns the number
 * of hypotheses (0..beam_size). */
DLNN_API int dlnn_ctc_beam_nbest (dlnn_ctc_beam * b, int final);
/* Hypothesis @i of the last dlnn_ctc_beam_nbest: tokens (borrowed), count,
 * log-probability (sum over its alignments, as far as the beam kept them;
 * with an LM: that acoustic part plus the LM part, the score the n-best is
 * ranked by) and its share of the probability of the returned n-best, in
 * 0..1. */
DLNN_API dlnn_code dlnn_ctc_beam_result (const dlnn_ctc_beam * b, int i,
    const dlnn_ctc_token ** tokens, int64_t *n_tokens, float *logp,
    float *share, dlnn_status * st);

/* The two parts of hypothesis @i's log-probability: @am_logp (acoustic,
 * the CTC sum) and @lm_score (lm_weight * sum of ln P + word_bonus per
 * word, 0 without an LM). Either may be NULL. */
DLNN_API dlnn_code dlnn_ctc_beam_result_scores (const dlnn_ctc_beam * b,
    int i, float *am_logp, float *lm_score, dlnn_status * st);

#ifdef __cplusplus
}
#endif
#endif
