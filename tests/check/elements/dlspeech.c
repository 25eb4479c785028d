/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/* dlspeech element tests: tone bursts at known positions through the
 * hand-weighted models of make-speech-test-model.c, which read a 300 Hz
 * tone as "a", 3 kHz as "b" and 1 kHz as the word boundary " ".  The
 * signals are synthesised here (tones with 5 ms ramps over -60 dBFS
 * noise); the expected texts and times come from the burst positions.
 *
 * Tolerances: a text buffer starts at most TOL_PAD after the 200 ms
 * pre-speech padding before the first burst and never after the burst
 * (PTS in [burst start - 200 ms - TOL, burst start]); it ends between the
 * end of the last burst and 200 ms of post-padding + TOL after it.  Word
 * start and end times are within TOL_WORD of the burst edges (frames are
 * 10 ms, the analysis window 25 ms). */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/audio/audio.h>
#include <glib/gstdio.h>

#include <math.h>
#include <string.h>

#define TOL (60 * GST_MSECOND)
#define TOL_WORD (40 * GST_MSECOND)
#define PRE_PAD (200 * GST_MSECOND)
#define POST_PAD (200 * GST_MSECOND)

#define TONE_A 300.0
#define TONE_B 3000.0
#define TONE_SPACE 1000.0

static gchar *
model_path (const gchar * name)
{
  return g_build_filename (TEST_MODEL_DIR, name, NULL);
}

typedef struct
{
  gdouble start, end;           /* s */
  gdouble freq, amp;
} Tone;

/* mono float signal of @dur s at @rate: noise at -60 dBFS plus tones */
static gfloat *
synth (gint rate, gdouble dur, const Tone * tones, gint n_tones, gsize * n)
{
  gsize len = (gsize) (dur * rate), i;
  gfloat *x = g_new (gfloat, len);
  guint32 r = 987654321u;
  gint t;

  for (i = 0; i < len; i++) {
    gdouble s = i / (gdouble) rate, v;

    r = r * 1664525u + 1013904223u;
    v = 1.7e-3 * ((r >> 8) / 8388608.0 - 1.0);
    for (t = 0; t < n_tones; t++) {
      gdouble ramp, a = tones[t].start, b = tones[t].end;

      if (s < a || s >= b)
        continue;
      ramp = MIN (1.0, MIN (s - a, b - s) / 0.005);
      v += tones[t].amp * ramp * sin (2 * G_PI * tones[t].freq * (s - a));
    }
    x[i] = (gfloat) v;
  }
  *n = len;
  return x;
}

static GstHarness *
new_harness (const gchar * model, const gchar * props)
{
  GstHarness *h;
  gchar *path = model_path (model), *desc;

  desc = g_strdup_printf ("dlspeech model=\"%s\" %s", path, props ? props :
      "");
  h = gst_harness_new_parse (desc);
  g_free (desc);
  g_free (path);
  return h;
}

static void
set_caps (GstHarness * h, const gchar * format, gint rate, gint channels)
{
  gchar *caps;

  if (channels > 2)
    caps = g_strdup_printf ("audio/x-raw, format=%s, rate=%d, channels=%d, "
        "layout=interleaved, channel-mask=(bitmask)0x%x", format, rate,
        channels, (1u << channels) - 1);
  else
    caps = g_strdup_printf ("audio/x-raw, format=%s, rate=%d, channels=%d, "
        "layout=interleaved", format, rate, channels);
  gst_harness_set_src_caps_str (h, caps);
  g_free (caps);
}

/* pushes @x[from..to) as buffers of 1024 samples (every channel the same),
 * PTS from @t0 */
static void
push_signal (GstHarness * h, const gchar * format, gint rate, gint channels,
    const gfloat * x, gsize from, gsize to, GstClockTime t0)
{
  gboolean f32 = g_str_equal (format, "F32LE");
  gsize off, i;
  gint c;

  for (off = from; off < to; off += 1024) {
    gsize n = MIN (1024, to - off);
    GstBuffer *buf = gst_buffer_new_allocate (NULL, n * channels *
        (f32 ? 4 : 2), NULL);
    GstMapInfo map;

    gst_buffer_map (buf, &map, GST_MAP_WRITE);
    for (i = 0; i < n; i++) {
      for (c = 0; c < channels; c++) {
        if (f32) {
          GST_WRITE_FLOAT_LE (map.data + (i * channels + c) * 4, x[off + i]);
        } else {
          gint v = (gint) lrint (x[off + i] * 32767.0);

          GST_WRITE_UINT16_LE (map.data + (i * channels + c) * 2,
              (guint16) CLAMP (v, -32768, 32767));
        }
      }
    }
    gst_buffer_unmap (buf, &map);
    GST_BUFFER_PTS (buf) = t0 + gst_util_uint64_scale (off - from,
        GST_SECOND, rate);
    GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (n, GST_SECOND, rate);
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  }
}

typedef struct
{
  GstClockTime pts, duration;
  gchar *text;
} Text;

/* all text buffers pushed so far */
static GArray *
pull_texts (GstHarness * h)
{
  GArray *a = g_array_new (FALSE, TRUE, sizeof (Text));
  GstBuffer *buf;

  while ((buf = gst_harness_try_pull (h)) != NULL) {
    Text t;
    GstMapInfo map;

    gst_buffer_map (buf, &map, GST_MAP_READ);
    t.text = g_strndup ((const gchar *) map.data, map.size);
    gst_buffer_unmap (buf, &map);
    t.pts = GST_BUFFER_PTS (buf);
    t.duration = GST_BUFFER_DURATION (buf);
    fail_unless (GST_CLOCK_TIME_IS_VALID (t.pts));
    fail_unless (GST_CLOCK_TIME_IS_VALID (t.duration));
    if (a->len > 0)
      fail_unless (t.pts >= g_array_index (a, Text, a->len - 1).pts +
          g_array_index (a, Text, a->len - 1).duration);
    g_array_append_val (a, t);
    gst_buffer_unref (buf);
  }
  return a;
}

static void
free_texts (GArray * a)
{
  guint i;

  for (i = 0; i < a->len; i++)
    g_free (g_array_index (a, Text, i).text);
  g_array_free (a, TRUE);
}

/* the "dlspeech" messages posted so far */
static GList *
pop_messages (GstBus * bus)
{
  GList *l = NULL;
  GstMessage *m;

  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT)) != NULL) {
    if (gst_message_has_name (m, "dlspeech"))
      l = g_list_append (l, m);
    else
      gst_message_unref (m);
  }
  return l;
}

static void
check_utterance (const Text * t, const gchar * text, gdouble burst_start,
    gdouble burst_end)
{
  GstClockTime bs = (GstClockTime) (burst_start * GST_SECOND);
  GstClockTime be = (GstClockTime) (burst_end * GST_SECOND);

  fail_unless_equals_string (t->text, text);
  GST_INFO ("\"%s\" at %" GST_TIME_FORMAT " + %" GST_TIME_FORMAT, t->text,
      GST_TIME_ARGS (t->pts), GST_TIME_ARGS (t->duration));
  fail_unless (t->pts + PRE_PAD + TOL >= bs && t->pts <= bs,
      "utterance PTS %" GST_TIME_FORMAT " for a burst at %" GST_TIME_FORMAT,
      GST_TIME_ARGS (t->pts), GST_TIME_ARGS (bs));
  fail_unless (t->pts + t->duration >= be - TOL_WORD &&
      t->pts + t->duration <= be + POST_PAD + TOL,
      "utterance end %" GST_TIME_FORMAT " for a burst ending at %"
      GST_TIME_FORMAT, GST_TIME_ARGS (t->pts + t->duration),
      GST_TIME_ARGS (be));
}

/* "a" at 0.5-0.9 s, "a b" (a, boundary tone, b) at 1.9-2.6 s, 3.4 s */
static const Tone two_utterances[] = {
  {0.5, 0.9, TONE_A, 0.3},
  {1.9, 2.2, TONE_A, 0.3},
  {2.2, 2.35, TONE_SPACE, 0.3},
  {2.35, 2.65, TONE_B, 0.3},
};

static void
run_formats (const gchar * model, const gchar * format, gint rate,
    gint channels, const gchar * props)
{
  GstHarness *h = new_harness (model, props);
  gfloat *x;
  gsize n;
  GArray *texts;
  GstClockTime t0 = 10 * GST_SECOND;

  x = synth (rate, 3.4, two_utterances, G_N_ELEMENTS (two_utterances), &n);
  set_caps (h, format, rate, channels);
  push_signal (h, format, rate, channels, x, 0, n, t0);
  /* the second utterance ends in the signal: both are out before EOS */
  texts = pull_texts (h);
  fail_unless_equals_int (texts->len, 2);
  check_utterance (&g_array_index (texts, Text, 0), "a", 10.5, 10.9);
  check_utterance (&g_array_index (texts, Text, 1), "a b", 11.9, 12.65);
  free_texts (texts);

  gst_harness_push_event (h, gst_event_new_eos ());
  texts = pull_texts (h);
  fail_unless_equals_int (texts->len, 0);
  free_texts (texts);
  g_free (x);
  gst_harness_teardown (h);
}

GST_START_TEST (test_rates_channels_formats)
{
  static const gint rates[] = { 8000, 16000, 22050, 44100, 48000 };
  static const gint channels[] = { 1, 2, 6 };
  static const gchar *formats[] = { "S16LE", "F32LE" };
  guint r, c, f;

  for (r = 0; r < G_N_ELEMENTS (rates); r++)
    for (c = 0; c < G_N_ELEMENTS (channels); c++)
      for (f = 0; f < G_N_ELEMENTS (formats); f++) {
        GST_INFO ("%s %d Hz %d channels", formats[f], rates[r], channels[c]);
        run_formats ("speech.onnx", formats[f], rates[r], channels[c], NULL);
      }
}

GST_END_TEST;

GST_START_TEST (test_greedy_and_stride)
{
  run_formats ("speech.onnx", "S16LE", 16000, 1, "beam-size=1");
  run_formats ("speech-stride2.onnx", "S16LE", 16000, 1, NULL);
  run_formats ("speech-stride2.onnx", "F32LE", 44100, 2, "beam-size=1");
}

GST_END_TEST;

static void
check_message_fields (GstMessage * m, gboolean final)
{
  const GstStructure *s = gst_message_get_structure (m);
  const GValue *words;
  GstClockTime ts, dur;
  gboolean f;
  gdouble conf;
  guint i;

  fail_unless (gst_structure_has_name (s, "dlspeech"));
  fail_unless (gst_structure_has_field_typed (s, "timestamp", G_TYPE_UINT64));
  fail_unless (gst_structure_has_field_typed (s, "duration", G_TYPE_UINT64));
  fail_unless (gst_structure_has_field_typed (s, "final", G_TYPE_BOOLEAN));
  fail_unless (gst_structure_has_field_typed (s, "text", G_TYPE_STRING));
  fail_unless (gst_structure_has_field_typed (s, "confidence",
          G_TYPE_DOUBLE));
  fail_unless (gst_structure_has_field_typed (s, "words", GST_TYPE_LIST));
  gst_structure_get (s, "timestamp", G_TYPE_UINT64, &ts, "duration",
      G_TYPE_UINT64, &dur, "final", G_TYPE_BOOLEAN, &f, "confidence",
      G_TYPE_DOUBLE, &conf, NULL);
  fail_unless_equals_int (f, final);
  fail_unless (conf > 0.0 && conf <= 1.0, "confidence %f", conf);
  words = gst_structure_get_value (s, "words");
  for (i = 0; i < gst_value_list_get_size (words); i++) {
    const GstStructure *w =
        gst_value_get_structure (gst_value_list_get_value (words, i));
    GstClockTime ws, we;
    gdouble wc;

    fail_unless (gst_structure_has_name (w, "word"));
    fail_unless (gst_structure_has_field_typed (w, "word", G_TYPE_STRING));
    fail_unless (gst_structure_get (w, "start", G_TYPE_UINT64, &ws, "end",
            G_TYPE_UINT64, &we, "confidence", G_TYPE_DOUBLE, &wc, NULL));
    fail_unless (ts <= ws && ws < we && we <= ts + dur);
    fail_unless (wc > 0.0 && wc <= 1.0);
  }
}

static void
check_word (const GValue * words, guint i, const gchar * text, gdouble start,
    gdouble end)
{
  const GstStructure *w =
      gst_value_get_structure (gst_value_list_get_value (words, i));
  GstClockTime ws, we;
  GstClockTime s = (GstClockTime) (start * GST_SECOND);
  GstClockTime e = (GstClockTime) (end * GST_SECOND);

  fail_unless_equals_string (gst_structure_get_string (w, "word"), text);
  gst_structure_get (w, "start", G_TYPE_UINT64, &ws, "end", G_TYPE_UINT64,
      &we, NULL);
  GST_INFO ("word %s %" GST_TIME_FORMAT " - %" GST_TIME_FORMAT, text,
      GST_TIME_ARGS (ws), GST_TIME_ARGS (we));
  fail_unless (ws + TOL_WORD >= s && ws <= s + TOL_WORD,
      "word %s starts at %" GST_TIME_FORMAT ", burst at %" GST_TIME_FORMAT,
      text, GST_TIME_ARGS (ws), GST_TIME_ARGS (s));
  fail_unless (we + TOL_WORD >= e && we <= e + TOL_WORD,
      "word %s ends at %" GST_TIME_FORMAT ", burst at %" GST_TIME_FORMAT,
      text, GST_TIME_ARGS (we), GST_TIME_ARGS (e));
}

static void
run_messages (const gchar * model, const gchar * props)
{
  GstHarness *h = new_harness (model, props);
  GstBus *bus = gst_bus_new ();
  GList *msgs;
  const GstStructure *s;
  const GValue *words;
  GArray *texts;
  gfloat *x;
  gsize n;
  GstClockTime ts, dur;

  gst_element_set_bus (h->element, bus);
  x = synth (16000, 3.4, two_utterances, G_N_ELEMENTS (two_utterances), &n);
  set_caps (h, "S16LE", 16000, 1);
  push_signal (h, "S16LE", 16000, 1, x, 0, n, 0);
  texts = pull_texts (h);
  msgs = pop_messages (bus);
  fail_unless_equals_int (g_list_length (msgs), 2);
  fail_unless_equals_int (texts->len, 2);

  check_message_fields (msgs->data, TRUE);
  s = gst_message_get_structure (msgs->data);
  fail_unless_equals_string (gst_structure_get_string (s, "text"), "a");
  gst_structure_get (s, "timestamp", G_TYPE_UINT64, &ts, "duration",
      G_TYPE_UINT64, &dur, NULL);
  fail_unless_equals_uint64 (ts, g_array_index (texts, Text, 0).pts);
  fail_unless_equals_uint64 (dur, g_array_index (texts, Text, 0).duration);
  words = gst_structure_get_value (s, "words");
  fail_unless_equals_int (gst_value_list_get_size (words), 1);
  check_word (words, 0, "a", 0.5, 0.9);

  check_message_fields (msgs->next->data, TRUE);
  s = gst_message_get_structure (msgs->next->data);
  fail_unless_equals_string (gst_structure_get_string (s, "text"), "a b");
  words = gst_structure_get_value (s, "words");
  fail_unless_equals_int (gst_value_list_get_size (words), 2);
  check_word (words, 0, "a", 1.9, 2.2);
  check_word (words, 1, "b", 2.35, 2.65);

  g_list_free_full (msgs, (GDestroyNotify) gst_message_unref);
  free_texts (texts);
  g_free (x);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_START_TEST (test_message_fields)
{
  run_messages ("speech.onnx", NULL);
  run_messages ("speech.onnx", "beam-size=1");
  run_messages ("speech-stride2.onnx", NULL);
}

GST_END_TEST;

GST_START_TEST (test_gaps)
{
  GstHarness *h = new_harness ("speech.onnx", NULL);
  gfloat *x;
  gsize n;
  GstEvent *ev;
  guint gaps = 0;
  GstClockTime covered = 0;
  GArray *texts;

  x = synth (16000, 3.4, two_utterances, G_N_ELEMENTS (two_utterances), &n);
  set_caps (h, "S16LE", 16000, 1);
  push_signal (h, "S16LE", 16000, 1, x, 0, n, 0);
  texts = pull_texts (h);
  fail_unless_equals_int (texts->len, 2);
  /* gaps cover the silence before each utterance, never into one */
  while ((ev = gst_harness_try_pull_event (h)) != NULL) {
    if (GST_EVENT_TYPE (ev) == GST_EVENT_GAP) {
      GstClockTime ts, dur;

      gst_event_parse_gap (ev, &ts, &dur);
      fail_unless (ts >= covered);
      fail_unless (ts + dur <= g_array_index (texts, Text, 0).pts ||
          ts >= g_array_index (texts, Text, 0).pts +
          g_array_index (texts, Text, 0).duration);
      covered = ts + dur;
      gaps++;
    }
    gst_event_unref (ev);
  }
  fail_unless (gaps >= 2, "%u gaps", gaps);
  free_texts (texts);
  g_free (x);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_flush_mid_utterance)
{
  static const Tone tones[] = {
    {0.5, 1.5, TONE_A, 0.3},
  };
  static const Tone after[] = {
    {0.5, 0.8, TONE_B, 0.3},
  };
  GstHarness *h = new_harness ("speech.onnx", NULL);
  GstSegment seg;
  gfloat *x, *y;
  gsize n, m;
  GArray *texts;

  x = synth (16000, 2.0, tones, 1, &n);
  y = synth (16000, 1.6, after, 1, &m);
  set_caps (h, "S16LE", 16000, 1);
  /* up to the middle of the "a" burst */
  push_signal (h, "S16LE", 16000, 1, x, 0, 16000, 0);
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  gst_segment_init (&seg, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  push_signal (h, "S16LE", 16000, 1, y, 0, m, 0);
  texts = pull_texts (h);
  fail_unless_equals_int (texts->len, 1);
  check_utterance (&g_array_index (texts, Text, 0), "b", 0.5, 0.8);
  free_texts (texts);
  g_free (x);
  g_free (y);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_eos_finishes_utterance)
{
  static const Tone tones[] = {
    {0.5, 1.0, TONE_B, 0.3},
  };
  GstHarness *h = new_harness ("speech.onnx", NULL);
  GstBus *bus = gst_bus_new ();
  GstBuffer *buf;
  GList *msgs;
  gfloat *x;
  gsize n;
  GstMapInfo map;

  gst_element_set_bus (h->element, bus);
  x = synth (16000, 1.0, tones, 1, &n);
  set_caps (h, "F32LE", 16000, 1);
  push_signal (h, "F32LE", 16000, 1, x, 0, n, 0);
  fail_unless (gst_harness_try_pull (h) == NULL);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  /* the text comes before EOS */
  fail_unless (gst_harness_pull_until_eos (h, &buf));
  fail_unless (buf != NULL);
  gst_buffer_map (buf, &map, GST_MAP_READ);
  fail_unless_equals_int (map.size, 1);
  fail_unless (map.data[0] == 'b');
  gst_buffer_unmap (buf, &map);
  fail_unless (GST_BUFFER_PTS (buf) <= GST_SECOND / 2);
  fail_unless (GST_BUFFER_PTS (buf) + GST_BUFFER_DURATION (buf) <=
      GST_SECOND + TOL);
  gst_buffer_unref (buf);
  fail_unless (gst_harness_pull_until_eos (h, &buf));
  fail_unless (buf == NULL);
  msgs = pop_messages (bus);
  fail_unless_equals_int (g_list_length (msgs), 1);
  check_message_fields (msgs->data, TRUE);
  g_list_free_full (msgs, (GDestroyNotify) gst_message_unref);
  g_free (x);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* both tones at once, "b" a little louder: "b" open, "a" with vocabulary */
static gchar *
run_mixture_model (const gchar * model, const gchar * props)
{
  static const Tone tones[] = {
    {0.5, 1.0, TONE_A, 0.05},
    {0.5, 1.0, TONE_B, 0.3},
  };
  GstHarness *h = new_harness (model, props);
  gfloat *x;
  gsize n;
  GArray *texts;
  gchar *text = NULL;

  x = synth (16000, 2.0, tones, 2, &n);
  set_caps (h, "S16LE", 16000, 1);
  push_signal (h, "S16LE", 16000, 1, x, 0, n, 0);
  texts = pull_texts (h);
  if (texts->len == 1)
    text = g_strdup (g_array_index (texts, Text, 0).text);
  fail_unless (texts->len <= 1);
  free_texts (texts);
  g_free (x);
  gst_harness_teardown (h);
  return text;
}

static gchar *
run_mixture (const gchar * props)
{
  return run_mixture_model ("speech.onnx", props);
}

/* The mixture through @model with @props transcribes to @want. */
static void
check_mixture (const gchar * model, const gchar * props, const gchar * want)
{
  gchar *text = run_mixture_model (model, props);

  fail_unless_equals_string (text, want);
  g_free (text);
}

GST_START_TEST (test_vocabulary)
{
  gchar *file, *prop;

  check_mixture ("speech.onnx", NULL, "b");
  check_mixture ("speech.onnx", "vocabulary=\"a\"", "a");
  /* the phrase "a b" fits the b frames far better than "a" (one frame of
   * the boundary against every b frame read as a or blank) */
  check_mixture ("speech.onnx", "vocabulary=\" a b, a, \"", "a b");
  /* beam-size: 0 (the default) picks the size (32 with a vocabulary);
   * 32 given explicitly decodes the same phrase */
  {
    GstElement *e = gst_element_factory_make ("dlspeech", NULL);
    guint beam = 99;
    g_object_get (e, "beam-size", &beam, NULL);
    fail_unless_equals_int (beam, 0);
    gst_object_unref (e);
  }
  check_mixture ("speech.onnx", "vocabulary=\" a b, a, \" beam-size=32",
      "a b");
  /* uppercase entries are lowercased for a lowercase model */
  check_mixture ("speech.onnx", "vocabulary=\"A\"", "a");

  file = g_build_filename (g_get_tmp_dir (), "dlspeech-vocab.txt", NULL);
  fail_unless (g_file_set_contents (file, "a b\na\n", -1, NULL));
  prop = g_strdup_printf ("vocabulary=\"@%s\"", file);
  check_mixture ("speech.onnx", prop, "a b");
  g_free (prop);
  g_unlink (file);
  g_free (file);
}

GST_END_TEST;

/* blank-penalty: -1 (automatic) by default; 0 and the automatic value
 * decode the mixture as before, with and without a vocabulary; 20 makes
 * the silent padding frames (labels about 10 below the blank) emit labels,
 * so the open-vocabulary text gets longer than "b" */
GST_START_TEST (test_blank_penalty)
{
  GstElement *e = gst_element_factory_make ("dlspeech", NULL);
  gfloat bp = 0.0f;
  gchar *text;

  g_object_get (e, "blank-penalty", &bp, NULL);
  fail_unless (bp == -1.0f);
  g_object_set (e, "blank-penalty", 2.5f, NULL);
  g_object_get (e, "blank-penalty", &bp, NULL);
  fail_unless (bp == 2.5f);
  gst_object_unref (e);
  check_mixture ("speech.onnx", "beam-size=8 blank-penalty=0", "b");
  check_mixture ("speech.onnx", "vocabulary=\" a b, a, \" blank-penalty=0",
      "a b");
  check_mixture ("speech.onnx", "vocabulary=\" a b, a, \" blank-penalty=-1",
      "a b");
  text = run_mixture ("beam-size=8 blank-penalty=20");
  fail_unless (text != NULL);
  fail_unless (strlen (text) > 1, "text '%s'", text);
  fail_unless (strchr (text, 'b') != NULL, "text '%s'", text);
  g_free (text);
}

GST_END_TEST;

/* the start error of @model with vocabulary "a" and @props contains
 * @expect */
static void
check_prior_error (const gchar * model, const gchar * props,
    const gchar * expect)
{
  gchar *path = model_path (model);
  gchar *desc = g_strdup_printf ("dlspeech model=\"%s\" vocabulary=a %s",
      path, props);
  GstElement *e = gst_parse_launch (desc, NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *m;
  GError *err = NULL;

  fail_unless (e != NULL);
  gst_element_set_bus (e, bus);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (m != NULL);
  gst_message_parse_error (m, &err, NULL);
  fail_unless (strstr (err->message, model) != NULL, "%s", err->message);
  fail_unless (strstr (err->message, expect) != NULL, "%s", err->message);
  g_clear_error (&err);
  gst_message_unref (m);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
  g_free (desc);
  g_free (path);
}

/* prior-weight: -1 (automatic) by default; speech-prior.onnx's dl.ctc_prior
 * makes "a" 40 more likely per frame under prior division, which turns
 * the mixture's "b" into "a" with a vocabulary (automatic weight 1) but
 * not with prior-weight 0 nor without a vocabulary (automatic weight 0) */
GST_START_TEST (test_prior_weight)
{
  GstElement *e = gst_element_factory_make ("dlspeech", NULL);
  gfloat w = 0.0f;
  gchar *text;

  g_object_get (e, "prior-weight", &w, NULL);
  fail_unless (w == -1.0f);
  gst_object_unref (e);
  check_mixture ("speech.onnx", "vocabulary=\"a, b\"", "b");
  check_mixture ("speech-prior.onnx", "vocabulary=\"a, b\"", "a");
  check_mixture ("speech-prior.onnx", "vocabulary=\"a, b\" prior-weight=0",
      "b");
  check_mixture ("speech-prior.onnx", "beam-size=8", "b");
  text = run_mixture_model ("speech-prior.onnx",
      "beam-size=8 prior-weight=1");
  fail_unless (text != NULL && strchr (text, 'a') != NULL, "text '%s'", text);
  g_free (text);
  check_prior_error ("speech.onnx", "prior-weight=1", "dl.ctc_prior");
  check_prior_error ("speech-badprior.onnx", "", "bad dl.ctc_prior");
}

GST_END_TEST;

GST_START_TEST (test_partial_results)
{
  static const Tone tones[] = {
    {0.5, 2.0, TONE_A, 0.3},
  };
  GstHarness *h = new_harness ("speech.onnx", "partial-results=true");
  GstBus *bus = gst_bus_new ();
  GList *msgs, *l;
  gfloat *x;
  gsize n;
  guint partial = 0;
  GstClockTime final_ts = GST_CLOCK_TIME_NONE;

  gst_element_set_bus (h->element, bus);
  x = synth (16000, 3.0, tones, 1, &n);
  set_caps (h, "S16LE", 16000, 1);
  push_signal (h, "S16LE", 16000, 1, x, 0, n, 0);
  msgs = pop_messages (bus);
  fail_unless (g_list_length (msgs) >= 3);
  /* the last is the final one, all before it partial */
  check_message_fields (g_list_last (msgs)->data, TRUE);
  gst_structure_get_uint64 (gst_message_get_structure (g_list_last
          (msgs)->data), "timestamp", &final_ts);
  for (l = msgs; l->next != NULL; l = l->next) {
    const GstStructure *s = gst_message_get_structure (l->data);
    GstClockTime ts;

    check_message_fields (l->data, FALSE);
    fail_unless_equals_string (gst_structure_get_string (s, "text"), "a");
    gst_structure_get_uint64 (s, "timestamp", &ts);
    fail_unless_equals_uint64 (ts, final_ts);
    partial++;
  }
  /* 1.5 s of speech: a partial result about every 300 ms */
  fail_unless (partial >= 3 && partial <= 7, "%u partial results", partial);
  g_list_free_full (msgs, (GDestroyNotify) gst_message_unref);
  g_free (x);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_max_utterance)
{
  static const Tone tones[] = {
    {0.5, 3.0, TONE_A, 0.3},
  };
  GstHarness *h = new_harness ("speech.onnx", "max-utterance=1.0");
  gfloat *x;
  gsize n;
  GArray *texts;

  x = synth (16000, 4.0, tones, 1, &n);
  set_caps (h, "S16LE", 16000, 1);
  push_signal (h, "S16LE", 16000, 1, x, 0, n, 0);
  texts = pull_texts (h);
  /* 2.5 s of speech cut into utterances of at most 1 s */
  fail_unless (texts->len >= 3, "%u utterances", texts->len);
  for (guint i = 0; i < texts->len; i++) {
    fail_unless_equals_string (g_array_index (texts, Text, i).text, "a");
    fail_unless (g_array_index (texts, Text, i).duration <= GST_SECOND +
        10 * GST_MSECOND);
  }
  free_texts (texts);
  g_free (x);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_latency)
{
  GstHarness *h = new_harness ("speech.onnx",
      "silence-duration=300 max-utterance=2.0");
  GstQuery *q;
  gboolean live;
  GstClockTime min, max;

  gst_harness_set_upstream_latency (h, 10 * GST_MSECOND);
  set_caps (h, "S16LE", 16000, 1);
  q = gst_query_new_latency ();
  fail_unless (gst_pad_peer_query (h->sinkpad, q));
  gst_query_parse_latency (q, &live, &min, &max);
  fail_unless_equals_uint64 (min, 2310 * GST_MSECOND);
  gst_query_unref (q);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* starting fails with an error naming the file and the reason */
static void
check_start_error (const gchar * model, const gchar * props,
    const gchar * expect)
{
  GstElement *e = gst_element_factory_make ("dlspeech", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *m;
  GError *err = NULL;
  gchar *path = model ? model_path (model) : NULL;

  gst_element_set_bus (e, bus);
  if (path)
    g_object_set (e, "model", path, NULL);
  if (props)
    gst_util_set_object_arg (G_OBJECT (e), "vocabulary", props);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (m != NULL);
  gst_message_parse_error (m, &err, NULL);
  GST_INFO ("%s: %s", model, err->message);
  if (model)
    fail_unless (strstr (err->message, model) != NULL, "%s", err->message);
  fail_unless (strstr (err->message, expect) != NULL, "%s", err->message);
  g_clear_error (&err);
  gst_message_unref (m);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
  g_free (path);
}

GST_START_TEST (test_bad_models)
{
  check_start_error (NULL, NULL, "No model set");
  check_start_error ("no-such-speech.onnx", NULL, "does not exist");
  check_start_error ("speech-wrongtask.onnx", NULL, "not a speech model");
  check_start_error ("speech-noaudio.onnx", NULL, "no dl.audio");
  check_start_error ("speech-badlabels.onnx", NULL, "labels");
  check_start_error ("speech-truncated.onnx", NULL, "Could not load");
  check_start_error ("speech.onnx", "ab, cab, xy z", "\"cab\", \"xy\", \"z\"");
}

GST_END_TEST;

static gchar *
write_file (const gchar * name, const gchar * contents)
{
  gchar *file = g_build_filename (g_get_tmp_dir (), name, NULL);

  fail_unless (g_file_set_contents (file, contents, -1, NULL));
  return file;
}

GST_START_TEST (test_lm)
{
  static const gchar arpa[] = "\\data\\\nngram 1=4\nngram 2=1\n\n"
      "\\1-grams:\n-1.0 </s>\n-99 <s> -0.3\n-0.3 a -0.2\n-0.5 b -0.2\n\n"
      "\\2-grams:\n-0.1 a b\n\n\\end\\\n";
  gchar *good = write_file ("dlspeech-test.arpa", arpa);
  gchar *bad = write_file ("dlspeech-bad.arpa", "\\data\\\nngram 1=x\n");
  gchar *props;
  GstHarness *h;
  gfloat *x;
  gsize n;
  GArray *texts;

  /* a valid LM keeps the clear results */
  props = g_strdup_printf ("lm=\"%s\" lm-weight=1.0 word-bonus=0.5", good);
  h = new_harness ("speech.onnx", props);
  x = synth (16000, 3.4, two_utterances, G_N_ELEMENTS (two_utterances), &n);
  set_caps (h, "S16LE", 16000, 1);
  push_signal (h, "S16LE", 16000, 1, x, 0, n, 0);
  texts = pull_texts (h);
  fail_unless_equals_int (texts->len, 2);
  check_utterance (&g_array_index (texts, Text, 0), "a", 0.5, 0.9);
  check_utterance (&g_array_index (texts, Text, 1), "a b", 1.9, 2.65);
  free_texts (texts);
  g_free (x);
  g_free (props);
  gst_harness_teardown (h);

  /* lm-lexicon (default on): an LM that only knows "a" keeps "b" out of
   * the output; with lm-lexicon=false the acoustics win again */
  {
    static const gchar a_only[] = "\\data\\\nngram 1=3\n\n"
        "\\1-grams:\n-1.0 </s>\n-99 <s> -0.3\n-0.3 a -0.2\n\n\\end\\\n";
    gchar *lm_a = write_file ("dlspeech-a.arpa", a_only);
    gboolean lexicon;

    for (lexicon = FALSE; lexicon <= TRUE; lexicon++) {
      props = g_strdup_printf ("lm=\"%s\" lm-lexicon=%s", lm_a,
          lexicon ? "true" : "false");
      h = new_harness ("speech.onnx", props);
      x = synth (16000, 3.4, two_utterances, G_N_ELEMENTS (two_utterances),
          &n);
      set_caps (h, "S16LE", 16000, 1);
      push_signal (h, "S16LE", 16000, 1, x, 0, n, 0);
      texts = pull_texts (h);
      fail_unless_equals_int (texts->len, 2);
      if (lexicon)
        fail_unless (strchr (g_array_index (texts, Text, 1).text, 'b') ==
            NULL, "%s", g_array_index (texts, Text, 1).text);
      else
        fail_unless_equals_string (g_array_index (texts, Text, 1).text,
            "a b");
      free_texts (texts);
      g_free (x);
      g_free (props);
      gst_harness_teardown (h);
    }
    g_unlink (lm_a);
    g_free (lm_a);
  }

  /* missing and broken LM files are start errors naming them */
  {
    const gchar *files[] = { "/nonexistent/lm.arpa", bad };
    const gchar *expect[] = { "does not exist", "Could not load" };
    guint i;

    for (i = 0; i < 2; i++) {
      GstElement *e = gst_element_factory_make ("dlspeech", NULL);
      GstBus *bus = gst_bus_new ();
      GstMessage *m;
      GError *err = NULL;
      gchar *path = model_path ("speech.onnx");

      gst_element_set_bus (e, bus);
      g_object_set (e, "model", path, "lm", files[i], NULL);
      fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
          GST_STATE_CHANGE_FAILURE);
      m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
      fail_unless (m != NULL);
      gst_message_parse_error (m, &err, NULL);
      fail_unless (strstr (err->message, files[i]) != NULL, "%s",
          err->message);
      fail_unless (strstr (err->message, expect[i]) != NULL, "%s",
          err->message);
      g_clear_error (&err);
      gst_message_unref (m);
      gst_element_set_state (e, GST_STATE_NULL);
      gst_element_set_bus (e, NULL);
      gst_object_unref (bus);
      gst_object_unref (e);
      g_free (path);
    }
  }
  g_unlink (good);
  g_unlink (bad);
  g_free (good);
  g_free (bad);
}

GST_END_TEST;

/* the properties mutable while playing, changed from another thread */
GST_START_TEST (test_stress_properties)
{
  GstElement *e = gst_element_factory_make ("dlspeech", NULL);
  gchar *path = model_path ("speech.onnx");
  GstHarness *h;
  GstHarnessThread *t[2];
  GValue partial = G_VALUE_INIT, silence = G_VALUE_INIT;
  gfloat *x;
  gsize n;
  gint i;
  GArray *texts;

  g_object_set (e, "model", path, NULL);
  g_free (path);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  g_value_init (&partial, G_TYPE_BOOLEAN);
  g_value_set_boolean (&partial, TRUE);
  g_value_init (&silence, G_TYPE_UINT);
  g_value_set_uint (&silence, 400);
  x = synth (16000, 3.4, two_utterances, G_N_ELEMENTS (two_utterances), &n);
  set_caps (h, "S16LE", 16000, 1);
  t[0] = gst_harness_stress_property_start_full (h, "partial-results",
      &partial, 100);
  t[1] = gst_harness_stress_property_start_full (h, "silence-duration",
      &silence, 100);
  for (i = 0; i < 5; i++) {
    push_signal (h, "S16LE", 16000, 1, x, 0, n, i * 4 * GST_SECOND);
    texts = pull_texts (h);
    fail_unless_equals_int (texts->len, 2);
    fail_unless_equals_string (g_array_index (texts, Text, 1).text, "a b");
    free_texts (texts);
  }
  gst_harness_stress_thread_stop (t[0]);
  gst_harness_stress_thread_stop (t[1]);
  g_value_unset (&partial);
  g_value_unset (&silence);
  g_free (x);
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
dlspeech_suite (void)
{
  Suite *s = suite_create ("dlspeech");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_rates_channels_formats);
  tcase_add_test (tc, test_greedy_and_stride);
  tcase_add_test (tc, test_message_fields);
  tcase_add_test (tc, test_gaps);
  tcase_add_test (tc, test_flush_mid_utterance);
  tcase_add_test (tc, test_eos_finishes_utterance);
  tcase_add_test (tc, test_vocabulary);
  tcase_add_test (tc, test_blank_penalty);
  tcase_add_test (tc, test_prior_weight);
  tcase_add_test (tc, test_partial_results);
  tcase_add_test (tc, test_max_utterance);
  tcase_add_test (tc, test_latency);
  tcase_add_test (tc, test_bad_models);
  tcase_add_test (tc, test_lm);
  tcase_add_test (tc, test_stress_properties);
  return s;
}

GST_CHECK_MAIN (dlspeech);
