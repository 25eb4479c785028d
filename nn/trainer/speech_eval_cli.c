/* dltrain - `dltrain eval MODEL --data CORPUS` for dl.task=speech models:
 * word and character error rates of greedy (or --beam N prefix beam
 * search) decoding over a TSV manifest or a LibriSpeech tree. */
#include "speech.h"

#include <dlnn/audio.h>
#include <dlnn/ctc.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

char *
dt_eval_model_task (int argc, char **argv)
{
  /* `eval` options that take a value (without '=') */
  static const char *const with_value[] = { "--data", "--format", "--split",
    "--batch-size", "--limit", "--threads", "--beam", "--grammar",
    "--blank-penalty", "--prior-weight", "--write-prior", "--lm",
    "--lm-weight", "--word-bonus", NULL
  };
  const char *model = NULL;
  dlnn_graph *g = NULL;
  dlnn_status st;
  const char *task;
  char *r;

  for (int i = 1; i < argc && !model; i++) {
    if (argv[i][0] != '-') {
      model = argv[i];
      continue;
    }
    for (int k = 0; with_value[k]; k++)
      if (strcmp (argv[i], with_value[k]) == 0) {
        i++;
        break;
      }
  }
  if (!model)
    return NULL;
  dlnn_status_clear (&st);
  if (dlnn_onnx_load_file (model, &g, &st) != DLNN_OK)
    return NULL;
  task = dlnn_graph_get_meta (g, "dl.task");
  r = task ? dt_strdup (task) : NULL;
  dlnn_graph_free (g);
  return r;
}

static void
usage (FILE * f)
{
  fprintf (f,
      "Usage: dltrain eval MODEL.onnx --data CORPUS [options]\n"
      "\n"
      "Speech model (dl.task=speech): decodes every utterance of CORPUS (a\n"
      "TSV manifest 'path<TAB>transcript', a directory with train.tsv, or a\n"
      "LibriSpeech tree of */*/*.trans.txt + flac) and prints the word and\n"
      "character error rates (Levenshtein distance over the corpus divided\n"
      "by the reference length).\n"
      "\n"
      "  --data CORPUS      the corpus\n"
      "  --beam N           prefix beam search of width N (default: greedy)\n"
      "  --grammar FILE     constrain the beam search (default width 32) to\n"
      "                     the sentences of a JSGF grammar, as dlspeech's\n"
      "                     grammar property does\n"
      "  --prior-weight W   divide the posteriors by the model's class priors\n"
      "                     (dl.ctc_prior) to the power W in the beam search\n"
      "                     (default: %.1f with --grammar when the model has\n"
      "                     them, as dlspeech, else 0)\n"
      "  --blank-penalty X  subtract X from the blank's log-probability per\n"
      "                     frame in the beam search (default with --grammar,\n"
      "                     as dlspeech: %.1f with priors, %.1f without;\n"
      "                     else 0)\n"
      "  --lm FILE          score the beam search (default width 32 with the\n"
      "                     lexicon, else 8) with an ARPA n-gram language\n"
      "                     model, as dlspeech's lm property does: words are\n"
      "                     restricted to the LM's (its lexicon) unless\n"
      "                     --no-lm-lexicon\n"
      "  --lm-weight A      weight of the LM's log-probabilities (default %.1f)\n"
      "  --word-bonus B     score added per word with --lm (default %.1f)\n"
      "  --no-lm-lexicon    let the LM score any word the labels spell\n"
      "  --write-prior OUT  write the model to OUT.onnx with dl.ctc_prior, the\n"
      "                     log of each class's mean posterior over the\n"
      "                     frames of CORPUS\n"
      "  --verbose          print each reference and hypothesis\n"
      "  --limit N          only the first N utterances\n"
      "  --batch-size N     utterances per forward pass (default 16)\n"
      "  --threads N        math threads (default: all cores)\n",
      (double) DLNN_CTC_CONSTRAINED_PRIOR_WEIGHT,
      (double) DLNN_CTC_CONSTRAINED_PRIOR_BLANK_PENALTY,
      (double) DLNN_CTC_CONSTRAINED_BLANK_PENALTY,
      (double) DLNN_CTC_LM_DEFAULT_WEIGHT,
      (double) DLNN_CTC_LM_DEFAULT_WORD_BONUS);
}

/* Parses a float option in [lo, hi] into *v; 0 (after a message) if bad. */
static int
parse_float (const char *name, const char *arg, double lo, double hi,
    float *v)
{
  char *end = NULL;
  double x = strtod (arg, &end);
  if (end == arg || *end != '\0' || !(x >= lo && x <= hi)) {
    dt_fail ("eval: %s must be a number in [%g, %g], not '%s'", name, lo, hi,
        arg);
    return 0;
  }
  *v = (float) x;
  return 1;
}

/* Writes @model (reloaded: the copy in memory is optimised for inference)
 * to @out with dl.ctc_prior = ln (@sum[k] / @n_frames). */
static int
write_prior (const char *model, const char *out, const double *sum,
    int64_t n_frames, int C)
{
  dlnn_graph *g = NULL;
  dlnn_status st;
  char *json = dt_speech_prior_json (sum, n_frames, C);
  int ok = 0;

  dlnn_status_clear (&st);
  if (!json) {
    dt_fail ("--write-prior: %s", n_frames < 1 ? "no frames decoded" :
        "out of memory");
    goto done;
  }
  if (dlnn_onnx_load_file (model, &g, &st) != DLNN_OK
      || (dlnn_graph_set_meta (g, "dl.ctc_prior", json) != DLNN_OK
          && dlnn_status_set (&st, DLNN_ERR_NOMEM, "out of memory"))
      || dlnn_onnx_save_file (g, out, &st) != DLNN_OK) {
    dt_fail ("--write-prior %s: %s", out, st.message);
    goto done;
  }
  printf ("wrote %s (dl.ctc_prior over %lld frames)\n", out,
      (long long) n_frames);
  ok = 1;
done:
  dlnn_graph_free (g);
  free (json);
  return ok;
}

/* --lm: loads the LM into *@lm and, with @lexicon and no grammar's
 * *@vocab, its lexicon into *@vocab; the default beam (*@beam 0) as
 * dlspeech's: 32 with a lexicon, else 8. 0 after a message on errors. */
static int
load_lm (const char *path, int lexicon, dlnn_ctc_vocab ** vocab,
    dlnn_ctc_lm ** lm, const char *const *labels, int n_labels, int blank,
    int32_t boundary, long *beam)
{
  dlnn_status st;
  int64_t n_words = 0;

  dlnn_status_clear (&st);
  if (boundary < 0)
    return !dt_fail ("--lm: the model has no \" \" label (word boundary)");
  if (!(*lm = dlnn_ctc_lm_load (path, &st)))
    return !dt_fail ("--lm '%s': %s", path, st.message);
  if (lexicon && !*vocab) {
    *vocab = dlnn_ctc_lm_lexicon (*lm, labels, n_labels, blank, boundary,
        &n_words, &st);
    if (!*vocab)
      return !dt_fail ("--lm '%s': %s", path, st.message);
  }
  if (*beam == 0)
    *beam = *vocab ? 32 : 8;
  return 1;
}

int
dt_speech_eval_main (int argc, char **argv)
{
  static const struct option opts[] = {
    {"data", required_argument, NULL, 'd'},
    {"beam", required_argument, NULL, 'B'},
    {"grammar", required_argument, NULL, 'g'},
    {"blank-penalty", required_argument, NULL, 'P'},
    {"prior-weight", required_argument, NULL, 'W'},
    {"write-prior", required_argument, NULL, 'o'},
    {"lm", required_argument, NULL, 'L'},
    {"lm-weight", required_argument, NULL, 'A'},
    {"word-bonus", required_argument, NULL, 'O'},
    {"no-lm-lexicon", no_argument, NULL, 'N'},
    {"verbose", no_argument, NULL, 'v'},
    {"limit", required_argument, NULL, 'l'},
    {"batch-size", required_argument, NULL, 'b'},
    {"threads", required_argument, NULL, 't'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}
  };
  const char *data = NULL, *model = NULL, *meta, *grammar = NULL;
  const char *prior_out = NULL, *lm_path = NULL;
  long beam = 0, limit = 0, batch = 16, threads = 0;
  int verbose = 0, opt, ret = 1, blank = 0, n_labels = 0, have_bp = 0;
  int have_pw = 0, lm_lexicon = 1;
  float blank_penalty = 0.0f, prior_weight = 0.0f;
  float lm_weight = DLNN_CTC_LM_DEFAULT_WEIGHT;
  float word_bonus = DLNN_CTC_LM_DEFAULT_WORD_BONUS;
  int32_t boundary = -1;
  float *offset = NULL;
  double *class_sum = NULL;
  int64_t n_frames = 0;
  dt_speech_decode_opts dopt = { 0 };
  char **labels = NULL;
  dlnn_status st;
  dlnn_graph *g = NULL;
  dlnn_exec *e = NULL;
  dlnn_grammar *gram = NULL;
  dlnn_ctc_vocab *vocab = NULL;
  dlnn_ctc_lm *lm = NULL;
  dlnn_audio_cfg cfg;
  dt_corpus corpus = { 0 };
  dt_error_counts err;
  double t0;

  dlnn_status_clear (&st);
  opterr = 0;
  optind = 1;
  while ((opt = getopt_long (argc, argv, ":hv", opts, NULL)) != -1) {
    switch (opt) {
      case 'd':
        data = optarg;
        break;
      case 'B':
        if (!dt_parse_int ("--beam", optarg, 1, 1024, &beam))
          return 1;
        break;
      case 'g':
        grammar = optarg;
        break;
      case 'P':
        if (!parse_float ("--blank-penalty", optarg, -100, 100,
                &blank_penalty))
          return 1;
        have_bp = 1;
        break;
      case 'W':
        if (!parse_float ("--prior-weight", optarg, 0, 10, &prior_weight))
          return 1;
        have_pw = 1;
        break;
      case 'o':
        prior_out = optarg;
        break;
      case 'L':
        lm_path = optarg;
        break;
      case 'A':
        if (!parse_float ("--lm-weight", optarg, 0, 10, &lm_weight))
          return 1;
        break;
      case 'O':
        if (!parse_float ("--word-bonus", optarg, -20, 20, &word_bonus))
          return 1;
        break;
      case 'N':
        lm_lexicon = 0;
        break;
      case 'v':
        verbose = 1;
        break;
      case 'l':
        if (!dt_parse_int ("--limit", optarg, 0, 1L << 30, &limit))
          return 1;
        break;
      case 'b':
        if (!dt_parse_int ("--batch-size", optarg, 1, 4096, &batch))
          return 1;
        break;
      case 't':
        if (!dt_parse_int ("--threads", optarg, 0, 256, &threads))
          return 1;
        break;
      case 'h':
        usage (stdout);
        return 0;
      case ':':
        return dt_fail ("eval: option '%s' needs a value", argv[optind - 1]);
      default:
        return dt_fail ("eval: unknown option '%s' for a speech model (see "
            "dltrain eval --help)", argv[optind - 1]);
    }
  }
  if (optind < argc)
    model = argv[optind++];
  if (optind < argc)
    return dt_fail ("eval: unexpected argument '%s'", argv[optind]);
  if (!model)
    return dt_fail ("eval: no MODEL given");
  if (!data)
    return dt_fail ("eval: --data CORPUS is required");
  dlnn_set_threads ((int) threads);

  if (dlnn_onnx_load_file (model, &g, &st) != DLNN_OK) {
    dt_fail_load (model, &st);
    goto out;
  }
  meta = dlnn_graph_get_meta (g, "dl.audio");
  if (!meta) {
    dt_fail ("model '%s' has no dl.audio metadata (front end unknown)",
        model);
    goto out;
  }
  if (dlnn_audio_cfg_parse (meta, &cfg, &st) != DLNN_OK) {
    dt_fail ("model '%s': bad dl.audio '%s': %s", model, meta, st.message);
    goto out;
  }
  meta = dlnn_graph_get_meta (g, "dl.labels");
  if (!meta || dlnn_json_parse_string_array (meta, &labels, &n_labels,
          &st) != DLNN_OK || n_labels < 2) {
    dt_fail ("model '%s': missing or bad dl.labels%s%s", model,
        meta ? ": " : "", meta ? st.message : "");
    goto out;
  }
  if (dlnn_ctc_parse_meta (dlnn_graph_get_meta (g, "dl.ctc"), &blank,
          &st) != DLNN_OK || blank < 0 || blank >= n_labels) {
    dt_fail ("model '%s': bad dl.ctc: %s", model, st.message);
    goto out;
  }
  for (int k = 0; k < n_labels; k++)
    if (k != blank && strcmp (labels[k], " ") == 0)
      boundary = k;
  if (grammar) {
    if (!(gram = dlnn_grammar_load (grammar, &st))
        || !(vocab = dlnn_grammar_ctc_vocab (gram, (const char *const *)
                labels, n_labels, blank, boundary, &st))) {
      dt_fail ("grammar '%s': %s", grammar, st.message);
      goto out;
    }
    if (beam == 0)
      beam = 32;
    if (!have_pw && dlnn_graph_get_meta (g, "dl.ctc_prior"))
      prior_weight = DLNN_CTC_CONSTRAINED_PRIOR_WEIGHT;
    if (!have_bp)
      blank_penalty = prior_weight > 0.0f ?
          DLNN_CTC_CONSTRAINED_PRIOR_BLANK_PENALTY :
          DLNN_CTC_CONSTRAINED_BLANK_PENALTY;
  }
  if (lm_path && !load_lm (lm_path, lm_lexicon, &vocab, &lm,
          (const char *const *) labels, n_labels, blank, boundary, &beam))
    goto out;
  if ((have_bp || have_pw) && beam == 0) {
    dt_fail ("eval: --blank-penalty and --prior-weight apply to the beam "
        "search: give --beam N or --grammar FILE");
    goto out;
  }
  if (prior_weight > 0.0f) {
    meta = dlnn_graph_get_meta (g, "dl.ctc_prior");
    if (!meta) {
      dt_fail ("model '%s' has no dl.ctc_prior (--write-prior makes one)",
          model);
      goto out;
    }
    offset = malloc ((size_t) n_labels * sizeof (float));
    if (!offset) {
      dt_fail ("out of memory");
      goto out;
    }
    if (dlnn_ctc_parse_prior (meta, n_labels, offset, &st) != DLNN_OK) {
      dt_fail ("model '%s': %s", model, st.message);
      goto out;
    }
    for (int k = 0; k < n_labels; k++)
      offset[k] *= -prior_weight;
  }
  if (prior_out && !(class_sum = calloc ((size_t) n_labels,
              sizeof (double)))) {
    dt_fail ("out of memory");
    goto out;
  }
  if (dlnn_graph_optimize_inference (g, &st) != DLNN_OK
      || !(e = dlnn_exec_new (g, DLNN_EXEC_INFERENCE, &st))) {
    dt_fail ("model '%s': %s", model, st.message);
    goto out;
  }
  if (dt_corpus_load (data, (int) limit, &corpus, &st) != DLNN_OK
      || dt_corpus_features (&corpus, &cfg, 0, &st) != DLNN_OK) {
    dt_fail ("%s", st.message);
    goto out;
  }
  t0 = dt_now ();
  dopt.beam = (int) beam;
  dopt.vocab = vocab;
  dopt.blank_penalty = blank_penalty;
  dopt.class_offset = offset;
  dopt.lm = lm;
  dopt.lm_weight = lm_weight;
  dopt.word_bonus = word_bonus;
  dopt.word_boundary = boundary;
  dopt.verbose = verbose;
  dopt.class_sum = class_sum;
  dopt.n_frames = &n_frames;
  if (dt_speech_decode_corpus (e, &corpus, cfg.n_mels, (int) batch, 0,
          labels, n_labels, blank, &dopt, &err, &st) != DLNN_OK) {
    dt_fail ("model '%s': %s", model, st.message);
    goto out;
  }
  if (beam > 0)
    printf ("utterances: %d (%.1f s of audio, decoded in %.1f s, beam %ld, "
        "prior weight %g, blank penalty %g)\n", corpus.n, corpus.seconds,
        dt_now () - t0, beam, (double) prior_weight, (double) blank_penalty);
  if (lm)
    printf ("LM: %s (order %d, lm weight %g, word bonus %g, %s)\n", lm_path,
        dlnn_ctc_lm_order (lm), (double) lm_weight, (double) word_bonus,
        lm_lexicon ? "words restricted to its lexicon" : "any word");
  else
    printf ("utterances: %d (%.1f s of audio, decoded in %.1f s, greedy)\n",
        corpus.n, corpus.seconds, dt_now () - t0);
  printf ("WER: %.4f (%lld errors / %lld words)\n",
      dt_error_counts_wer (&err), (long long) err.word_errors,
      (long long) err.words);
  printf ("CER: %.4f (%lld errors / %lld characters)\n",
      dt_error_counts_cer (&err), (long long) err.char_errors,
      (long long) err.chars);
  if (prior_out && !write_prior (model, prior_out, class_sum, n_frames,
          n_labels))
    goto out;
  ret = 0;

out:
  free (offset);
  free (class_sum);
  dt_corpus_free (&corpus);
  dlnn_ctc_vocab_free (vocab);
  dlnn_ctc_lm_free (lm);
  dlnn_grammar_free (gram);
  dlnn_strv_free (labels, n_labels);
  dlnn_exec_free (e);
  dlnn_graph_free (g);
  return ret;
}
