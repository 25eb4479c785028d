/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/* dlspeech results: the model run on an utterance, CTC decoding, text and
 * word times, the "dlspeech" message, text buffers and gaps; the
 * vocabulary property's parser, the grammar property's loader. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdlspeech-private.h"

#include <string.h>

static GstClockTime
out_frames_duration (GstDlSpeech * self, gint64 n)
{
  const dlnn_audio_cfg *cfg = gst_dl_audio_get_cfg (self->audio);

  return gst_util_uint64_scale ((guint64) n * self->stride *
      gst_dl_audio_hop_samples (self->audio), GST_SECOND, cfg->rate);
}

void
gst_dl_speech_push_gap (GstDlSpeech * self, GstClockTime end)
{
  GstClockTime start = self->covered;

  if (!GST_CLOCK_TIME_IS_VALID (end))
    return;
  if (!GST_CLOCK_TIME_IS_VALID (start))
    start = GST_CLOCK_TIME_IS_VALID (self->segment.start) ?
        self->segment.start : 0;
  /* one gap per 100 ms at most */
  if (end <= start || (GST_CLOCK_TIME_IS_VALID (self->covered) &&
          end - start < 100 * GST_MSECOND))
    return;
  gst_pad_push_event (self->srcpad, gst_event_new_gap (start, end - start));
  self->covered = end;
}

static void
append_word (GstDlSpeech * self, GValue * words, const gchar * word,
    GstClockTime start, GstClockTime end, gdouble confidence)
{
  GValue v = G_VALUE_INIT;
  GstStructure *s;

  s = gst_structure_new ("word", "word", G_TYPE_STRING, word,
      "start", G_TYPE_UINT64, start, "end", G_TYPE_UINT64, end,
      "confidence", G_TYPE_DOUBLE, confidence, NULL);
  g_value_init (&v, GST_TYPE_STRUCTURE);
  gst_value_set_structure (&v, s);
  gst_structure_free (s);
  gst_value_list_append_and_take_value (words, &v);
}

/* Text and words of @n tokens into self->text and @words. */
static void
tokens_to_text (GstDlSpeech * self, const dlnn_ctc_token * tokens,
    gint64 n, GstClockTime start, GstClockTime duration, GValue * words)
{
  GString *word = self->word;
  GstClockTime end_max = start + duration;
  gint64 i, first = -1;
  gdouble conf = 0.0;

  g_string_truncate (self->text, 0);
  for (i = 0; i <= n; i++) {
    if (i == n || tokens[i].id == self->boundary) {
      if (word->len > 0 && first >= 0) {
        GstClockTime ws = start + out_frames_duration (self,
            tokens[first].start);
        GstClockTime we = start + out_frames_duration (self,
            tokens[i - 1].end + 1);

        if (self->text->len > 0)
          g_string_append_c (self->text, ' ');
        g_string_append_len (self->text, word->str, word->len);
        append_word (self, words, word->str, MIN (ws, end_max),
            MIN (we, end_max), conf / (gdouble) (i - first));
      }
      g_string_truncate (word, 0);
      first = -1;
      conf = 0.0;
      continue;
    }
    if (tokens[i].id < 0 || tokens[i].id >= self->n_classes ||
        tokens[i].id == self->blank)
      continue;
    if (first < 0)
      first = i;
    conf += tokens[i].confidence;
    g_string_append (word, self->model->labels[tokens[i].id]);
  }
}

static gint
frame_argmax (const gfloat * row, gint n)
{
  gint k, best = 0;

  for (k = 1; k < n; k++)
    if (row[k] > row[best])
      best = k;
  return best;
}

/* Beam tokens carry the frame where they fire; greedy ones their run.
 * Either way a token's span becomes the run of frames around it whose best
 * class is the token, without crossing its neighbours. */
static void
refine_spans (GstDlSpeech * self, const gfloat * scores, gint64 t_out,
    dlnn_ctc_token * tokens, gint64 n)
{
  gint64 i, lo, hi;
  gint c = self->n_classes;

  for (i = 0; i < n; i++) {
    lo = i > 0 ? tokens[i - 1].end + 1 : 0;
    hi = i + 1 < n ? tokens[i + 1].start - 1 : t_out - 1;
    while (tokens[i].start > lo &&
        frame_argmax (scores + (tokens[i].start - 1) * c, c) == tokens[i].id)
      tokens[i].start--;
    while (tokens[i].end < hi &&
        frame_argmax (scores + (tokens[i].end + 1) * c, c) == tokens[i].id)
      tokens[i].end++;
  }
}

GstFlowReturn
gst_dl_speech_decode (GstDlSpeech * self, const gfloat * frames, gsize n,
    GstClockTime start, GstClockTime duration, gboolean final)
{
  int64_t dims[3] = { 1, (int64_t) n, self->n_mels };
  const dlnn_ctc_token *tokens = NULL;
  int64_t n_tokens = 0;
  const dlnn_tensor *out;
  dlnn_tensor *in;
  dlnn_status st;
  gdouble confidence = 0.0;
  GValue words = G_VALUE_INIT;
  GstStructure *s;
  GstFlowReturn ret = GST_FLOW_OK;
  gint64 t_out, i;

  if (n == 0)
    return GST_FLOW_OK;
  dlnn_status_clear (&st);
  if (dlnn_exec_reshape (self->exec, 0, 3, dims, &st) != DLNN_OK)
    goto failed;
  in = dlnn_exec_input (self->exec, 0);
  memcpy (in->data, frames, sizeof (gfloat) * n * self->n_mels);
  if (dlnn_exec_forward (self->exec, &st) != DLNN_OK)
    goto failed;
  out = dlnn_exec_output (self->exec, 0);
  if (out->ndim != 3 || out->dims[2] != self->n_classes ||
      out->dims[1] < 1 || (gsize) out->dims[1] > self->max_out)
    goto bad_output;
  t_out = out->dims[1];
  if (gst_debug_category_get_threshold (GST_CAT_DEFAULT) >= GST_LEVEL_LOG) {
    GString *path = g_string_new (NULL);

    for (i = 0; i < t_out; i++) {
      const gfloat *row = out->data + i * self->n_classes;
      gint k, best = 0;

      for (k = 1; k < self->n_classes; k++)
        if (row[k] > row[best])
          best = k;
      g_string_append_c (path, best == self->blank ? '_' :
          self->model->labels[best][0]);
    }
    GST_LOG_OBJECT (self, "best path %s", path->str);
    g_string_free (path, TRUE);
  }

  if (self->beam) {
    float logp, share;

    dlnn_ctc_beam_reset (self->beam);
    if (dlnn_ctc_beam_push (self->beam, out->data, t_out, &st) != DLNN_OK)
      goto failed;
    if (dlnn_ctc_beam_nbest (self->beam, final) > 0) {
      if (dlnn_ctc_beam_result (self->beam, 0, &tokens, &n_tokens, &logp,
              &share, &st) != DLNN_OK)
        goto failed;
      confidence = share;
    }
  } else {
    if (dlnn_ctc_greedy (out->data, t_out, self->n_classes, self->blank,
            self->logits, self->tokens, (int64_t) self->max_out, &n_tokens,
            NULL, &st) != DLNN_OK)
      goto failed;
    tokens = self->tokens;
    for (i = 0; i < n_tokens; i++)
      confidence += tokens[i].confidence;
    if (n_tokens > 0)
      confidence /= (gdouble) n_tokens;
  }

  if (n_tokens > 0) {
    if (tokens != self->tokens)
      memcpy (self->tokens, tokens, sizeof (dlnn_ctc_token) * n_tokens);
    refine_spans (self, out->data, t_out, self->tokens, n_tokens);
    tokens = self->tokens;
  }
  for (i = 0; i < n_tokens; i++)
    GST_LOG_OBJECT (self, "token %d frames %d-%d conf %.3f", tokens[i].id,
        tokens[i].start, tokens[i].end, tokens[i].confidence);
  g_value_init (&words, GST_TYPE_LIST);
  tokens_to_text (self, tokens, n_tokens, start, duration, &words);
  if (self->text->len == 0) {
    g_value_unset (&words);
    return GST_FLOW_OK;
  }

  GST_DEBUG_OBJECT (self, "%s \"%s\" (%.3f) at %" GST_TIME_FORMAT,
      final ? "final" : "partial", self->text->str, confidence,
      GST_TIME_ARGS (start));
  s = gst_structure_new ("dlspeech", "timestamp", G_TYPE_UINT64, start,
      "duration", G_TYPE_UINT64, duration, "final", G_TYPE_BOOLEAN, final,
      "text", G_TYPE_STRING, self->text->str, "confidence", G_TYPE_DOUBLE,
      CLAMP (confidence, 0.0, 1.0), NULL);
  gst_structure_take_value (s, "words", &words);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));

  if (final) {
    GstBuffer *buf;

    if (GST_CLOCK_TIME_IS_VALID (self->covered) && start < self->covered) {
      /* never before what gaps or text already covered */
      duration = start + duration > self->covered ?
          start + duration - self->covered : 0;
      start = self->covered;
    } else {
      gst_dl_speech_push_gap (self, start);
    }
    buf = gst_buffer_new_memdup (self->text->str, self->text->len);
    GST_BUFFER_PTS (buf) = start;
    GST_BUFFER_DURATION (buf) = duration;
    self->covered = start + duration;
    ret = gst_pad_push (self->srcpad, buf);
  }
  return ret;

  /* ERRORS */
failed:
  {
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Model file \"%s\" failed on an utterance of %" G_GSIZE_FORMAT
            " frames: %s", self->model->path, n, st.message), (NULL));
    return GST_FLOW_ERROR;
  }
bad_output:
  {
    gchar shape[160];

    dlnn_shape_str (out->ndim, out->dims, shape, sizeof (shape));
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Model file \"%s\": output %s for %" G_GSIZE_FORMAT " frames is "
            "not [1, T', %d].", self->model->path, shape, n,
            self->n_classes), (NULL));
    return GST_FLOW_ERROR;
  }
}

/* ---- vocabulary ---------------------------------------------------- */

/* Appends the tokens of @word (no spaces) to @tokens: the longest label
 * matching at each position.  FALSE if some character matches none. */
static gboolean
tokenize_word (GstDlSpeech * self, const gchar * word, GArray * tokens)
{
  const gchar *p = word;
  gint k;

  while (*p) {
    gint best = -1;
    gsize best_len = 0;

    for (k = 0; k < self->n_classes; k++) {
      const gchar *label = self->model->labels[k];
      gsize len = strlen (label);

      if (k == self->blank || k == self->boundary || len == 0)
        continue;
      if (len > best_len && strncmp (p, label, len) == 0) {
        best = k;
        best_len = len;
      }
    }
    if (best < 0)
      return FALSE;
    g_array_append_val (tokens, best);
    p += best_len;
  }
  return TRUE;
}

static gboolean
labels_have_upper (GstDlSpeech * self)
{
  gint k;

  for (k = 0; k < self->n_classes; k++) {
    gchar *down = g_utf8_strdown (self->model->labels[k], -1);
    gboolean differs = strcmp (down, self->model->labels[k]) != 0;

    g_free (down);
    if (differs)
      return TRUE;
  }
  return FALSE;
}

dlnn_ctc_vocab *
gst_dl_speech_lm_lexicon (GstDlSpeech * self, gint64 * n_words,
    GError ** error)
{
  dlnn_ctc_vocab *vocab;
  dlnn_status st;
  int64_t n = 0;

  dlnn_status_clear (&st);
  vocab = dlnn_ctc_lm_lexicon (self->lm_model,
      (const char *const *) self->model->labels, self->n_classes,
      self->blank, self->boundary, &n, &st);
  *n_words = n;
  if (vocab == NULL)
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "Language model \"%s\": %s%s", self->lm ? self->lm : "", st.message,
        st.code == DLNN_ERR_INVALID ? " (set lm-lexicon=false to allow any "
        "word)" : "");
  return vocab;
}

dlnn_ctc_vocab *
gst_dl_speech_parse_vocabulary (GstDlSpeech * self, const gchar * vocabulary,
    GError ** error)
{
  gchar *contents = NULL, **entries = NULL;
  GString *bad = g_string_new (NULL);
  GArray *tokens = g_array_new (FALSE, FALSE, sizeof (gint32));
  GError *err = NULL;
  dlnn_ctc_vocab *vocab = NULL;
  gboolean lower = !labels_have_upper (self);
  dlnn_status st;
  gint i, j, n_added = 0;

  dlnn_status_clear (&st);
  if (vocabulary[0] == '@') {
    if (!g_file_get_contents (vocabulary + 1, &contents, NULL, &err)) {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
          "Could not read the vocabulary file \"%s\": %s", vocabulary + 1,
          err->message);
      g_clear_error (&err);
      goto out;
    }
    vocabulary = contents;
  }

  vocab = dlnn_ctc_vocab_new (self->boundary, &st);
  if (vocab == NULL) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
        "Vocabulary: %s", st.message);
    goto out;
  }

  entries = g_strsplit_set (vocabulary, ",\n\r", -1);
  for (i = 0; entries[i] != NULL; i++) {
    gchar *entry = lower ? g_utf8_strdown (entries[i], -1) :
        g_strdup (entries[i]);
    gchar **words = g_strsplit_set (g_strstrip (entry), " \t", -1);
    gboolean ok = TRUE;

    g_array_set_size (tokens, 0);
    for (j = 0; words[j] != NULL; j++) {
      if (words[j][0] == '\0')
        continue;
      if (tokens->len > 0) {
        gint32 b = self->boundary;

        if (b < 0) {
          g_string_append_printf (bad, "%s\"%s\" (the model has no \" \" "
              "word boundary label)", bad->len ? ", " : "", entry);
          ok = FALSE;
          break;
        }
        g_array_append_val (tokens, b);
      }
      if (!tokenize_word (self, words[j], tokens)) {
        g_string_append_printf (bad, "%s\"%s\"", bad->len ? ", " : "",
            words[j]);
        ok = FALSE;
      }
    }
    if (ok && tokens->len > 0) {
      if (dlnn_ctc_vocab_add (vocab, (const int32_t *) tokens->data,
              tokens->len, &st) != DLNN_OK) {
        g_string_append_printf (bad, "%s\"%s\" (%s)", bad->len ? ", " : "",
            entry, st.message);
      } else {
        n_added++;
      }
    }
    g_strfreev (words);
    g_free (entry);
  }

  if (bad->len > 0) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "Vocabulary: %s cannot be written with the labels of model file "
        "\"%s\" (dl.labels).", bad->str, self->model->path);
    dlnn_ctc_vocab_free (vocab);
    vocab = NULL;
  } else if (n_added == 0) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "Vocabulary \"%s\" has no entries.", vocabulary);
    dlnn_ctc_vocab_free (vocab);
    vocab = NULL;
  }

out:
  g_strfreev (entries);
  g_free (contents);
  g_array_free (tokens, TRUE);
  g_string_free (bad, TRUE);
  return vocab;
}

/* ---- grammar ------------------------------------------------------- */

dlnn_ctc_vocab *
gst_dl_speech_load_grammar (GstDlSpeech * self, const gchar * path,
    GError ** error)
{
  dlnn_grammar *g;
  dlnn_ctc_vocab *vocab;
  dlnn_status st;

  dlnn_status_clear (&st);
  if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
        "Grammar file \"%s\" does not exist.", path);
    return NULL;
  }
  g = dlnn_grammar_load (path, &st);
  if (g == NULL) {
    g_set_error (error, GST_RESOURCE_ERROR, st.code == DLNN_ERR_IO ?
        GST_RESOURCE_ERROR_OPEN_READ : GST_RESOURCE_ERROR_SETTINGS,
        "Bad grammar: %s", st.message);
    return NULL;
  }
  vocab = dlnn_grammar_ctc_vocab (g, (const char *const *)
      self->model->labels, self->n_classes, self->blank, self->boundary, &st);
  if (vocab == NULL)
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "Grammar does not fit model file \"%s\" (dl.labels): %s",
        self->model->path, st.message);
  else
    GST_INFO_OBJECT (self, "grammar %s (%s): %d words, %d states, %"
        G_GINT64_FORMAT " decoder arcs", path, dlnn_grammar_name (g),
        (int) dlnn_grammar_n_words (g), (int) dlnn_grammar_n_states (g),
        (gint64) dlnn_ctc_vocab_n_entries (vocab));
  dlnn_grammar_free (g);
  return vocab;
}
