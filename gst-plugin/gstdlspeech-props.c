/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/* dlspeech properties: their specs (the gst-inspect documentation) and
 * accessors; the element's behaviour is documented in gstdlspeech.c. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdlspeech-private.h"

enum
{
  PROP_0,
  PROP_MODEL,
  PROP_VOCABULARY,
  PROP_GRAMMAR,
  PROP_LM,
  PROP_LM_WEIGHT,
  PROP_WORD_BONUS,
  PROP_LM_LEXICON,
  PROP_BEAM_SIZE,
  PROP_BLANK_PENALTY,
  PROP_PRIOR_WEIGHT,
  PROP_PARTIAL_RESULTS,
  PROP_SILENCE_DURATION,
  PROP_MAX_UTTERANCE,
  PROP_THREADS,
};

void
gst_dl_speech_install_properties (GObjectClass * gobject_class)
{
  /**
   * GstDlSpeech:model:
   *
   * The ONNX speech model (dl.task=speech, with dl.audio, dl.labels and
   * dl.ctc metadata).
   */
  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "Path of the ONNX speech model (dl.task=speech)", DEFAULT_MODEL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstDlSpeech:vocabulary:
   *
   * Restricts the output to these words or phrases: entries separated by
   * ',' or newlines (surrounding white space ignored), or "@FILE" to read
   * them from a file.  A result is one or more entries separated by
   * spaces.  Every character must be one of the model's labels (entries
   * are lowercased when the model has no uppercase labels).
   */
  g_object_class_install_property (gobject_class, PROP_VOCABULARY,
      g_param_spec_string ("vocabulary", "Vocabulary",
          "Allowed words or phrases, separated by ',' or newlines, or "
          "@FILE to read them from a file (NULL: open vocabulary)",
          DEFAULT_VOCABULARY, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstDlSpeech:grammar:
   *
   * Restricts the output to the sentences of a JSGF grammar file (the
   * subset CMU Sphinx reads: `#JSGF V1.0;`, `grammar NAME;`, public and
   * private rules, `|`, groups, `[ ]` optionals, `*` and `+`, rule
   * references; weights and tags are ignored, recursion and imports are
   * not supported; the sentences are those of every public rule).  Words
   * are lowercased and spelled with the model's labels, which need a " "
   * word boundary.  When set, #GstDlSpeech:vocabulary is ignored.  A bad
   * grammar fails the change to PAUSED with an error naming the line.
   */
  g_object_class_install_property (gobject_class, PROP_GRAMMAR,
      g_param_spec_string ("grammar", "Grammar",
          "Path of a JSGF grammar the output must follow; overrides "
          "vocabulary (NULL: none)", DEFAULT_GRAMMAR,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstDlSpeech:lm:
   *
   * A word n-gram language model in ARPA format (orders 1 to 5, e.g. made
   * by scripts/make-lm.sh) that scores the beam search's hypotheses: each
   * completed word adds #GstDlSpeech:lm-weight * ln P(word | history) +
   * #GstDlSpeech:word-bonus.  Words are the model's labels between " "
   * labels, so the model needs a " " label.  Loaded at start (a large LM
   * takes seconds); implies beam search.
   */
  g_object_class_install_property (gobject_class, PROP_LM,
      g_param_spec_string ("lm", "Language model",
          "Path of an ARPA n-gram language model for the beam search "
          "(NULL: none)", DEFAULT_LM,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstDlSpeech:lm-weight:
   *
   * Weight of the language model's log-probabilities (alpha).
   */
  g_object_class_install_property (gobject_class, PROP_LM_WEIGHT,
      g_param_spec_float ("lm-weight", "LM weight",
          "Weight of the language model's log-probabilities (alpha)", 0.0f,
          10.0f, DEFAULT_LM_WEIGHT, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  /**
   * GstDlSpeech:word-bonus:
   *
   * Score added per word when a language model is used (beta).
   */
  g_object_class_install_property (gobject_class, PROP_WORD_BONUS,
      g_param_spec_float ("word-bonus", "Word bonus",
          "Score added per word with a language model (beta)", -20.0f,
          20.0f, DEFAULT_WORD_BONUS, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  /**
   * GstDlSpeech:lm-lexicon:
   *
   * With #GstDlSpeech:lm set and no #GstDlSpeech:vocabulary, restrict the
   * output to the words of the language model (those the model's labels
   * can spell), as a word-based recogniser's dictionary does: without it,
   * a character model may spell words the LM does not know, and the LM
   * then scores them only with its out-of-vocabulary penalty.
   */
  g_object_class_install_property (gobject_class, PROP_LM_LEXICON,
      g_param_spec_boolean ("lm-lexicon", "LM lexicon",
          "Restrict words to the language model's vocabulary (when lm is set "
          "and vocabulary is not)", DEFAULT_LM_LEXICON, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  /**
   * GstDlSpeech:beam-size:
   *
   * Hypotheses kept by the prefix beam search; 1 selects greedy best-path
   * decoding (unless a vocabulary is set, which needs the beam search); 0
   * (the default) chooses: 8, or 32 with a vocabulary or grammar, whose
   * partial words need the wider beam (synthesised card and go-forward
   * commands with their grammars: 21.7 / 11.1 % WER at 8, 12.4 / 5.1 % at
   * 32, at no measurable cost).
   */
  g_object_class_install_property (gobject_class, PROP_BEAM_SIZE,
      g_param_spec_uint ("beam-size", "Beam size",
          "Hypotheses kept by the CTC beam search (1 = greedy decoding, "
          "0 = 8, or 32 with a vocabulary or grammar)", 0,
          256, DEFAULT_BEAM_SIZE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstDlSpeech:blank-penalty:
   *
   * Subtracted from the blank's log-probability at every frame of the
   * beam search, so that labels are emitted more readily (the model's
   * blanks swallow short words such as "of" on voices it was not trained
   * on). A negative value (the default) chooses, with
   * #GstDlSpeech:vocabulary or #GstDlSpeech:grammar: 0.5 when the class
   * priors are used (#GstDlSpeech:prior-weight), else 2.0; without them 0
   * (also for the lexicon of #GstDlSpeech:lm-lexicon). Synthesised card
   * and go-forward commands of held-out voices with their grammars
   * (scripts/make-command-set.py --seed 11, not the set the values were
   * chosen on): 18.7 / 5.1 % WER with neither, 8.5 / 4.1 % with 2.0, 6.9 /
   * 2.7 % with priors and 0.5. Not used by greedy decoding (beam-size 1
   * without a vocabulary).
   */
  g_object_class_install_property (gobject_class, PROP_BLANK_PENALTY,
      g_param_spec_float ("blank-penalty", "Blank penalty",
          "Subtracted from the blank's log-probability per frame in the "
          "beam search (< 0 = with a vocabulary or grammar 0.5 with class "
          "priors, else 2.0; 0 without)",
          -1.0f, 20.0f, DEFAULT_BLANK_PENALTY, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  /**
   * GstDlSpeech:prior-weight:
   *
   * With a model that carries class priors (`dl.ctc_prior`, written by
   * `dltrain eval --write-prior`), the beam search scores
   * ln posterior - w * ln prior per frame and class ("scaled
   * likelihoods"), which raises rare letters and lowers the blank. A
   * negative value (the default) chooses 1.0 with #GstDlSpeech:vocabulary
   * or #GstDlSpeech:grammar when the model has priors, else 0. A positive
   * value with a model without priors is a start error.
   */
  g_object_class_install_property (gobject_class, PROP_PRIOR_WEIGHT,
      g_param_spec_float ("prior-weight", "Prior weight",
          "Divide the posteriors by the model's class priors (dl.ctc_prior) "
          "to this power in the beam search (< 0 = 1 with a vocabulary or "
          "grammar and a model with priors, else 0)", -1.0f, 10.0f,
          DEFAULT_PRIOR_WEIGHT, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstDlSpeech:partial-results:
   *
   * Post `dlspeech` messages with final=FALSE while an utterance goes on,
   * after about every 300 ms of new audio.
   */
  g_object_class_install_property (gobject_class, PROP_PARTIAL_RESULTS,
      g_param_spec_boolean ("partial-results", "Partial results",
          "Post partial hypotheses (final=FALSE) while speech goes on",
          DEFAULT_PARTIAL_RESULTS, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstDlSpeech:silence-duration:
   *
   * Unvoiced audio, in milliseconds, that ends an utterance.
   */
  g_object_class_install_property (gobject_class, PROP_SILENCE_DURATION,
      g_param_spec_uint ("silence-duration", "Silence duration",
          "Silence in ms that ends an utterance", 10, 60000,
          DEFAULT_SILENCE_DURATION, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstDlSpeech:max-utterance:
   *
   * Longest utterance in seconds: longer speech is cut (a forced
   * endpoint).  Memory for it is allocated at start.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_UTTERANCE,
      g_param_spec_double ("max-utterance", "Maximum utterance",
          "Longest utterance in seconds (forced endpoint)", 0.5, 600.0,
          DEFAULT_MAX_UTTERANCE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstDlSpeech:threads:
   *
   * Threads of the math kernels (process-wide, see dlclassify); 0 keeps
   * the current setting.
   */
  g_object_class_install_property (gobject_class, PROP_THREADS,
      g_param_spec_int ("threads", "Threads",
          "Threads for the math kernels, process-wide (0 = keep the "
          "current setting: OPENBLAS_NUM_THREADS or every core)", 0, 256,
          DEFAULT_THREADS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
}

/* READY-mutable properties may only change in NULL or READY */
static gboolean
settable (GstDlSpeech * self, GParamSpec * pspec)
{
  GstState state = GST_STATE (self);

  if ((pspec->flags & GST_PARAM_MUTABLE_PLAYING) || state <= GST_STATE_READY)
    return TRUE;
  GST_WARNING_OBJECT (self, "property '%s' can only be set in the NULL or "
      "READY state", pspec->name);
  return FALSE;
}

void
gst_dl_speech_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstDlSpeech *self = GST_DL_SPEECH (object);

  GST_OBJECT_LOCK (self);
  if (!settable (self, pspec)) {
    GST_OBJECT_UNLOCK (self);
    return;
  }
  switch (prop_id) {
    case PROP_MODEL:
      g_free (self->model_path);
      self->model_path = g_value_dup_string (value);
      break;
    case PROP_VOCABULARY:
      g_free (self->vocabulary);
      self->vocabulary = g_value_dup_string (value);
      break;
    case PROP_GRAMMAR:
      g_free (self->grammar);
      self->grammar = g_value_dup_string (value);
      break;
    case PROP_LM:
      g_free (self->lm);
      self->lm = g_value_dup_string (value);
      break;
    case PROP_LM_WEIGHT:
      self->lm_weight = g_value_get_float (value);
      break;
    case PROP_WORD_BONUS:
      self->word_bonus = g_value_get_float (value);
      break;
    case PROP_LM_LEXICON:
      self->lm_lexicon = g_value_get_boolean (value);
      break;
    case PROP_BEAM_SIZE:
      self->beam_size = g_value_get_uint (value);
      break;
    case PROP_BLANK_PENALTY:
      self->blank_penalty = g_value_get_float (value);
      break;
    case PROP_PRIOR_WEIGHT:
      self->prior_weight = g_value_get_float (value);
      break;
    case PROP_PARTIAL_RESULTS:
      self->partial_results = g_value_get_boolean (value);
      break;
    case PROP_SILENCE_DURATION:
      self->silence_duration = g_value_get_uint (value);
      break;
    case PROP_MAX_UTTERANCE:
      self->max_utterance = g_value_get_double (value);
      break;
    case PROP_THREADS:
      self->threads = g_value_get_int (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

void
gst_dl_speech_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstDlSpeech *self = GST_DL_SPEECH (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model_path);
      break;
    case PROP_VOCABULARY:
      g_value_set_string (value, self->vocabulary);
      break;
    case PROP_GRAMMAR:
      g_value_set_string (value, self->grammar);
      break;
    case PROP_LM:
      g_value_set_string (value, self->lm);
      break;
    case PROP_LM_WEIGHT:
      g_value_set_float (value, self->lm_weight);
      break;
    case PROP_WORD_BONUS:
      g_value_set_float (value, self->word_bonus);
      break;
    case PROP_LM_LEXICON:
      g_value_set_boolean (value, self->lm_lexicon);
      break;
    case PROP_BEAM_SIZE:
      g_value_set_uint (value, self->beam_size);
      break;
    case PROP_BLANK_PENALTY:
      g_value_set_float (value, self->blank_penalty);
      break;
    case PROP_PRIOR_WEIGHT:
      g_value_set_float (value, self->prior_weight);
      break;
    case PROP_PARTIAL_RESULTS:
      g_value_set_boolean (value, self->partial_results);
      break;
    case PROP_SILENCE_DURATION:
      g_value_set_uint (value, self->silence_duration);
      break;
    case PROP_MAX_UTTERANCE:
      g_value_set_double (value, self->max_utterance);
      break;
    case PROP_THREADS:
      g_value_set_int (value, self->threads);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}
