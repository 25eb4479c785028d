/* dltrain - `dltrain eval MODEL --data CORPUS` for dl.task=speech models:
 * word and character error rates of greedy (or --beam N prefix beam
 * search) decoding over a TSV manifest or a LibriSpeech tree. */
#include "speech.h"

#include <dlnn/audio.h>
#include <dlnn/ctc.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

char *
dt_eval_model_task (int argc, char **argv)
{
  /* `eval` options that take a value (without '=') */
  static const char *const with_value[] = { "--data", "--format", "--split",
    "--batch-size", "--limit", "--threads", "--beam", "--grammar", NULL
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
      "  --grammar FILE     constrain the beam search (default width 8) to\n"
      "                     the sentences of a JSGF grammar, as dlspeech's\n"
      "                     grammar property does\n"
      "  --verbose          print each reference and hypothesis\n"
      "  --limit N          only the first N utterances\n"
      "  --batch-size N     utterances per forward pass (default 16)\n"
      "  --threads N        math threads (default: all cores)\n");
}

int
dt_speech_eval_main (int argc, char **argv)
{
  static const struct option opts[] = {
    {"data", required_argument, NULL, 'd'},
    {"beam", required_argument, NULL, 'B'},
    {"grammar", required_argument, NULL, 'g'},
    {"verbose", no_argument, NULL, 'v'},
    {"limit", required_argument, NULL, 'l'},
    {"batch-size", required_argument, NULL, 'b'},
    {"threads", required_argument, NULL, 't'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}
  };
  const char *data = NULL, *model = NULL, *meta, *grammar = NULL;
  long beam = 0, limit = 0, batch = 16, threads = 0;
  int verbose = 0, opt, ret = 1, blank = 0, n_labels = 0;
  char **labels = NULL;
  dlnn_status st;
  dlnn_graph *g = NULL;
  dlnn_exec *e = NULL;
  dlnn_grammar *gram = NULL;
  dlnn_ctc_vocab *vocab = NULL;
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
  if (grammar) {
    int32_t boundary = -1;
    for (int k = 0; k < n_labels; k++)
      if (k != blank && strcmp (labels[k], " ") == 0)
        boundary = k;
    if (!(gram = dlnn_grammar_load (grammar, &st))
        || !(vocab = dlnn_grammar_ctc_vocab (gram, (const char *const *)
                labels, n_labels, blank, boundary, &st))) {
      dt_fail ("grammar '%s': %s", grammar, st.message);
      goto out;
    }
    if (beam == 0)
      beam = 8;
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
  if (dt_speech_decode_corpus (e, &corpus, cfg.n_mels, (int) batch, 0,
          labels, n_labels, blank, (int) beam, vocab, verbose, &err, &st)
      != DLNN_OK) {
    dt_fail ("model '%s': %s", model, st.message);
    goto out;
  }
  printf ("utterances: %d (%.1f s of audio, decoded in %.1f s, %s)\n",
      corpus.n, corpus.seconds, dt_now () - t0, beam > 0 ? "beam" :
      "greedy");
  printf ("WER: %.4f (%lld errors / %lld words)\n",
      dt_error_counts_wer (&err), (long long) err.word_errors,
      (long long) err.words);
  printf ("CER: %.4f (%lld errors / %lld characters)\n",
      dt_error_counts_cer (&err), (long long) err.char_errors,
      (long long) err.chars);
  ret = 0;

out:
  dt_corpus_free (&corpus);
  dlnn_ctc_vocab_free (vocab);
  dlnn_grammar_free (gram);
  dlnn_strv_free (labels, n_labels);
  dlnn_exec_free (e);
  dlnn_graph_free (g);
  return ret;
}
