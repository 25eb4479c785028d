/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/* dlspeech start and stop: the model, its checks (speech contract, output
 * shape and time stride), the decoders, the preallocated utterance
 * buffers and the voice activity detector's reference energies. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdlspeech-private.h"

#include <math.h>
#include <string.h>

void
gst_dl_speech_stop (GstDlSpeech * self)
{
  dlnn_ctc_beam_free (self->beam);
  self->beam = NULL;
  dlnn_ctc_vocab_free (self->vocab);
  self->vocab = NULL;
  g_free (self->class_offset);
  self->class_offset = NULL;
  dlnn_ctc_lm_free (self->lm_model);
  self->lm_model = NULL;
  dlnn_exec_free (self->exec);
  self->exec = NULL;
  gst_dl_audio_free (self->audio);
  self->audio = NULL;
  gst_dl_model_unref (self->model);
  self->model = NULL;
  g_free (self->utt);
  self->utt = NULL;
  g_free (self->ring);
  self->ring = NULL;
  g_free (self->tokens);
  self->tokens = NULL;
  if (self->text)
    g_string_free (self->text, TRUE);
  self->text = NULL;
  if (self->word)
    g_string_free (self->word, TRUE);
  self->word = NULL;
}

/* Energy (see the VAD) of white noise at @dbfs RMS, through the model's
 * front end. */
static gboolean
noise_energy (GstDlSpeech * self, const dlnn_audio_cfg * cfg, gdouble dbfs,
    gdouble * energy)
{
  gsize n = (gsize) dlnn_audio_cfg_n_fft (cfg) * 4, i, n_frames;
  gfloat *pcm = g_new (gfloat, n);
  gfloat *frames;
  gdouble a = sqrt (3.0) * pow (10.0, dbfs / 20.0), sum = 0;
  guint32 x = 12345;
  size_t got = 0;
  dlnn_status st;

  n_frames = dlnn_audio_cfg_frames (cfg, n);
  frames = g_new (gfloat, (n_frames + 1) * (gsize) cfg->n_mels);
  for (i = 0; i < n; i++) {
    x = x * 1664525u + 1013904223u;
    pcm[i] = (gfloat) (a * ((x >> 8) / 8388608.0 - 1.0));
  }
  dlnn_status_clear (&st);
  if (dlnn_audio_logmel (cfg, pcm, n, frames, n_frames + 1, &got,
          &st) != DLNN_OK || got < 3) {
    g_free (pcm);
    g_free (frames);
    return FALSE;
  }
  /* frames away from the padded ends */
  for (i = 1; i + 1 < got; i++)
    sum += gst_dl_speech_frame_energy (self, frames + i * cfg->n_mels);
  *energy = sum / (gdouble) (got - 2);
  g_free (pcm);
  g_free (frames);
  return TRUE;
}

/* Runs the model once on @t frames of silence to learn its output shape:
 * [1, T', C] with T' = ceil(T / stride). */
static gboolean
probe_output (GstDlSpeech * self, gint64 t, gint64 * t_out, gint64 * c,
    GError ** error)
{
  int64_t dims[3] = { 1, t, self->n_mels };
  const dlnn_tensor *out;
  dlnn_tensor *in;
  dlnn_status st;
  gint64 i;

  dlnn_status_clear (&st);
  if (dlnn_exec_reshape (self->exec, 0, 3, dims, &st) != DLNN_OK)
    goto failed;
  in = dlnn_exec_input (self->exec, 0);
  for (i = 0; i < in->size; i++)
    in->data[i] = -10.0f;
  if (dlnn_exec_forward (self->exec, &st) != DLNN_OK)
    goto failed;
  out = dlnn_exec_output (self->exec, 0);
  if (out->ndim != 3 || out->dims[0] != 1 || out->dims[1] < 1 ||
      out->dims[1] > t) {
    gchar shape[160];

    dlnn_shape_str (out->ndim, out->dims, shape, sizeof (shape));
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "Model file \"%s\": output %s for %" G_GINT64_FORMAT " input frames "
        "is not [1, T', C] CTC scores.", self->model->path, shape, t);
    return FALSE;
  }
  *t_out = out->dims[1];
  *c = out->dims[2];
  return TRUE;

failed:
  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      "Model file \"%s\" does not run on %" G_GINT64_FORMAT " frames: %s",
      self->model->path, t, st.message);
  return FALSE;
}

gboolean
gst_dl_speech_start (GstDlSpeech * self)
{
  GError *error = NULL;
  GstDlSpeechInput spi;
  gchar *model_path, *vocabulary, *grammar, *lm;
  guint beam_size;
  gfloat lm_weight, word_bonus, blank_penalty, prior_weight;
  const gchar *prior;
  gboolean lm_lexicon;
  gdouble max_utterance;
  gint threads, hop_samples;
  gint64 t1, t2, c;
  dlnn_ctc_beam_cfg bcfg;
  dlnn_status st;
  const dlnn_graph *g;

  GST_OBJECT_LOCK (self);
  model_path = g_strdup (self->model_path);
  vocabulary = g_strdup (self->vocabulary);
  grammar = g_strdup (self->grammar);
  lm = g_strdup (self->lm);
  beam_size = self->beam_size;
  blank_penalty = self->blank_penalty;
  prior_weight = self->prior_weight;
  lm_weight = self->lm_weight;
  word_bonus = self->word_bonus;
  lm_lexicon = self->lm_lexicon;
  max_utterance = self->max_utterance;
  threads = self->threads;
  GST_OBJECT_UNLOCK (self);

  dlnn_status_clear (&st);
  if (model_path == NULL || *model_path == '\0')
    goto no_model;
  if (threads > 0)
    dlnn_set_threads (threads);

  self->model = gst_dl_model_load (model_path, NULL, &error);
  if (self->model == NULL)
    goto failed;
  if (!gst_dl_model_speech_input (self->model, &spi, &error))
    goto failed;
  self->n_mels = spi.n_mels;
  self->n_classes = spi.n_classes;
  self->blank = spi.blank;
  self->boundary = spi.boundary;

  self->audio = gst_dl_audio_new (&spi.audio, &error);
  if (self->audio == NULL)
    goto failed;
  self->hop = gst_dl_audio_hop_duration (self->audio);
  hop_samples = gst_dl_audio_hop_samples (self->audio);

  self->exec = dlnn_exec_new (self->model->graph, DLNN_EXEC_INFERENCE, &st);
  if (self->exec == NULL)
    goto exec_failed;

  /* time stride from two lengths: T' = ceil (T / s) */
  if (!probe_output (self, 48, &t1, &c, &error))
    goto failed;
  if (c != self->n_classes)
    goto wrong_classes;
  self->stride = (gint) ((48 + t1 - 1) / t1);
  while (self->stride > 1 && (48 + self->stride - 1) / self->stride < t1)
    self->stride--;
  if (!probe_output (self, 100, &t2, &c, &error))
    goto failed;
  if ((48 + self->stride - 1) / self->stride != t1 ||
      (100 + self->stride - 1) / self->stride != t2)
    goto bad_stride;

  g = self->model->graph;
  self->logits = g->n_nodes == 0 ||
      strcmp (g->nodes[g->n_nodes - 1].op_type, "LogSoftmax") != 0;

  if (grammar != NULL && *grammar != '\0') {
    self->vocab = gst_dl_speech_load_grammar (self, grammar, &error);
    if (self->vocab == NULL)
      goto failed;
  } else if (vocabulary != NULL && *vocabulary != '\0') {
    self->vocab = gst_dl_speech_parse_vocabulary (self, vocabulary, &error);
    if (self->vocab == NULL)
      goto failed;
  }
  /* the automatic prior weight and blank penalty are for vocabulary and
   * grammar decoding, where they were measured, not for an LM lexicon */
  prior = dlnn_graph_get_meta (g, "dl.ctc_prior");
  if (prior_weight < 0.0f)
    prior_weight = self->vocab != NULL && prior != NULL ?
        DLNN_CTC_CONSTRAINED_PRIOR_WEIGHT : 0.0f;
  if (blank_penalty < 0.0f)
    blank_penalty = self->vocab == NULL ? 0.0f : prior_weight > 0.0f ?
        DLNN_CTC_CONSTRAINED_PRIOR_BLANK_PENALTY :
        DLNN_CTC_CONSTRAINED_BLANK_PENALTY;
  if (prior_weight > 0.0f) {
    gint k;

    if (prior == NULL)
      goto no_prior;
    self->class_offset = g_new (gfloat, self->n_classes);
    if (dlnn_ctc_parse_prior (prior, self->n_classes, self->class_offset,
            &st) != DLNN_OK)
      goto bad_prior;
    for (k = 0; k < self->n_classes; k++)
      self->class_offset[k] *= -prior_weight;
  }

  if (lm != NULL && *lm != '\0') {
    if (self->boundary < 0)
      goto lm_no_boundary;
    if (!g_file_test (lm, G_FILE_TEST_EXISTS))
      goto lm_not_found;
    self->lm_model = dlnn_ctc_lm_load (lm, &st);
    if (self->lm_model == NULL)
      goto lm_failed;
    if (lm_lexicon && self->vocab == NULL) {
      gint64 n_words = 0;

      self->vocab = gst_dl_speech_lm_lexicon (self, &n_words, &error);
      if (self->vocab == NULL)
        goto failed;
      GST_INFO_OBJECT (self, "LM lexicon: %" G_GINT64_FORMAT " words",
          n_words);
    }
  }

  /* utterance buffers for max-utterance (plus the paddings) */
  self->max_frames = (gsize) ceil (max_utterance * spi.audio.rate /
      hop_samples) + 1;
  self->max_out = (self->max_frames + self->stride - 1) / self->stride;
  self->utt = g_try_new (gfloat, self->max_frames * self->n_mels);
  self->ring_cap = (VAD_PRE_PAD_MS * (gsize) spi.audio.rate / 1000 +
      hop_samples - 1) / hop_samples + 1;
  self->ring = g_try_new (gfloat, self->ring_cap * self->n_mels);
  self->tokens = g_try_new (dlnn_ctc_token, self->max_out);
  self->text = g_string_sized_new (4 * self->max_out + 16);
  self->word = g_string_sized_new (4 * self->max_out + 16);
  if (!self->utt || !self->ring || !self->tokens)
    goto no_memory;
  /* plan the exec once for the longest utterance: its buffers only grow,
   * so every shorter utterance's reshape then allocates nothing */
  {
    int64_t dims[3] = { 1, (int64_t) self->max_frames, self->n_mels };

    if (dlnn_exec_reshape (self->exec, 0, 3, dims, &st) != DLNN_OK)
      goto exec_failed;
  }

  if (beam_size == 0)
    beam_size = self->vocab != NULL ? AUTO_BEAM_CONSTRAINED : AUTO_BEAM_OPEN;
  if (beam_size > 1 || self->vocab != NULL || self->lm_model != NULL) {
    dlnn_ctc_beam_cfg_init (&bcfg);
    bcfg.blank = self->blank;
    bcfg.n_classes = self->n_classes;
    bcfg.beam_size = (int) beam_size;
    bcfg.input_is_logits = self->logits;
    bcfg.blank_penalty = blank_penalty;
    bcfg.class_offset = self->class_offset;
    bcfg.max_frames = (int64_t) self->max_out;
    bcfg.vocab = self->vocab;
    if (self->lm_model) {
      bcfg.lm = self->lm_model;
      bcfg.labels = (const char *const *) self->model->labels;
      bcfg.word_boundary = self->boundary;
      bcfg.lm_weight = lm_weight;
      bcfg.word_bonus = word_bonus;
    }
    self->beam = dlnn_ctc_beam_new (&bcfg, &st);
    if (self->beam == NULL)
      goto exec_failed;
  }

  if (!noise_energy (self, &spi.audio, VAD_FLOOR_INIT_DBFS,
          &self->floor_init_db) ||
      !noise_energy (self, &spi.audio, VAD_MIN_DBFS, &self->min_db))
    goto no_memory;

  GST_INFO_OBJECT (self, "model %s: %d mels, %d classes, blank %d, "
      "boundary %d, stride %d, %s decoding (beam %u, prior weight %.2f, "
      "blank penalty %.2f), floor %.1f dB, min %.1f dB", model_path,
      self->n_mels, self->n_classes, self->blank, self->boundary,
      self->stride, self->beam ? "beam" : "greedy", self->beam ? beam_size : 1,
      self->beam ? prior_weight : 0.0f, self->beam ? blank_penalty : 0.0f,
      self->floor_init_db, self->min_db);

  self->src_caps_sent = FALSE;
  self->have_info = FALSE;
  self->covered = GST_CLOCK_TIME_NONE;
  gst_segment_init (&self->segment, GST_FORMAT_TIME);
  gst_dl_speech_endpoint_reset (self);

  g_free (model_path);
  g_free (vocabulary);
  g_free (grammar);
  g_free (lm);
  return TRUE;

  /* ERRORS */
no_model:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No model set: set the \"model\" property to a speech model file."),
        (NULL));
    goto out;
  }
lm_no_boundary:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Model file \"%s\" has no \" \" label (word boundary): it cannot be "
            "used with the language model \"%s\".", model_path, lm), (NULL));
    goto out;
  }
lm_not_found:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Language model file \"%s\" does not exist.", lm), (NULL));
    goto out;
  }
no_prior:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Model file \"%s\" has no class priors (dl.ctc_prior) for "
            "prior-weight %.2f.", model_path, prior_weight), (NULL));
    goto out;
  }
bad_prior:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Model file \"%s\": bad dl.ctc_prior: %s", model_path,
            st.message), (NULL));
    goto out;
  }
lm_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, READ,
        ("Could not load language model file \"%s\": %s", lm, st.message),
        (NULL));
    goto out;
  }
failed:
  {
    gst_dl_model_post_error (GST_ELEMENT (self), error);
    g_clear_error (&error);
    goto out;
  }
exec_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Could not prepare model file \"%s\": %s", model_path, st.message),
        (NULL));
    goto out;
  }
wrong_classes:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Model file \"%s\" outputs %" G_GINT64_FORMAT " classes but has %d "
            "labels in dl.labels.", model_path, c, self->n_classes), (NULL));
    goto out;
  }
bad_stride:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Model file \"%s\": output lengths %" G_GINT64_FORMAT " and %"
            G_GINT64_FORMAT " for 48 and 100 frames are not ceil(T / s) for "
            "one time stride s.", model_path, t1, t2), (NULL));
    goto out;
  }
no_memory:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
        ("Out of memory preparing model file \"%s\" for utterances of %.1f "
            "s.", model_path, max_utterance), (NULL));
    goto out;
  }
out:
  gst_dl_speech_stop (self);
  g_free (model_path);
  g_free (vocabulary);
  g_free (grammar);
  g_free (lm);
  return FALSE;
}
