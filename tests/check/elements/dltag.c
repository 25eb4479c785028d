/* gst-dl: GstHarness tests of the dltag element
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * The models come from tests/check/make-tag-test-model.c: tag-audio.onnx
 * says "low" for a loud 300 Hz tone and "high" for a 3 kHz tone over a
 * 500 ms window; tag-video.onnx says "bright" / "dark" from the mean
 * brightness. The signals here have tones at known positions, so the
 * expected segments are known without running libdlnn.
 */
#include "dltag-util.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

static const Tone two_tones[] = {
  {1.0, 3.0, 300.0},
  {4.0, 6.0, 3000.0},
};

/* low at 1..3 s, high at 4..6 s, in a 7 s signal, for several input
 * formats, rates and channel counts. */
GST_START_TEST (test_audio_segments)
{
  static const struct
  {
    GstAudioFormat format;
    gint rate, channels;
  } inputs[] = {
    {GST_AUDIO_FORMAT_F32LE, 16000, 1},
    {GST_AUDIO_FORMAT_S16LE, 44100, 2},
    {GST_AUDIO_FORMAT_F32LE, 48000, 6},
    {GST_AUDIO_FORMAT_S16LE, 8000, 1},
    {GST_AUDIO_FORMAT_S16LE, 22050, 2},
  };
  static const gchar *const events_want[] = { "low", "", "high", "", NULL };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (inputs); i++) {
    GstHarness *h = tag_harness ("tag-audio.onnx", "hop", HOP_MS, NULL);
    GPtrArray *segs, *events;

    GST_INFO ("input %s %d Hz %d ch",
        gst_audio_format_to_string (inputs[i].format), inputs[i].rate,
        inputs[i].channels);
    set_audio_caps (h, inputs[i].format, inputs[i].rate, inputs[i].channels);
    push_audio (h, inputs[i].format, inputs[i].rate, inputs[i].channels,
        two_tones, 2, 0.0, 7.0);
    fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));

    segs = pop_segments (h);
    fail_unless_equals_int (segs->len, 2);
    check_segment (segs, 0, "low", 1.0, 3.0, TOLERANCE);
    check_segment (segs, 1, "high", 4.0, 6.0, TOLERANCE);
    fail_unless (((Segment *) g_ptr_array_index (segs, 0))->confidence > 0.9);

    /* one event per change of the tag set, nothing more */
    events = pop_tag_events (h);
    check_events (events, events_want);

    g_ptr_array_unref (segs);
    g_ptr_array_unref (events);
    harness_teardown (h);
  }
}

GST_END_TEST;

/* A model that hears only the oldest 16 frames of its 500 ms window
 * (tag-audio-early.onnx) responds to a change when the centre of those
 * frames passes it, 170 ms before the window's centre: with its
 * dl.tag_centre (0.16) dltag maps its results there and the segments are
 * the tones' (to a frame, at a 50 ms hop whose decisions fall on the
 * tones' edges); the same model without it gets segments 170 ms late. */
GST_START_TEST (test_audio_centre)
{
  static const struct
  {
    const gchar *model;
    gdouble lag;
  } models[] = {
    {"tag-audio-early.onnx", 0.0},
    {"tag-audio-early-nocentre.onnx", TEST_TAG_EARLY_LAG},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (models); i++) {
    GstHarness *h = tag_harness (models[i].model, "hop", 50, NULL);
    GPtrArray *segs;
    gdouble lag = models[i].lag;

    set_audio_caps (h, GST_AUDIO_FORMAT_F32LE, 16000, 1);
    push_audio (h, GST_AUDIO_FORMAT_F32LE, 16000, 1, two_tones, 2, 0.0, 7.0);
    fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));

    segs = pop_segments (h);
    fail_unless_equals_int (segs->len, 2);
    check_segment (segs, 0, "low", 1.0 + lag, 3.0 + lag, 10 * GST_MSECOND);
    check_segment (segs, 1, "high", 4.0 + lag, 6.0 + lag, 10 * GST_MSECOND);
    g_ptr_array_unref (segs);
    harness_teardown (h);
  }
}

GST_END_TEST;

static GPtrArray *segments_at_eos;

/* On the harness's sink pad: the segments posted before EOS got there. */
static GstPadProbeReturn
eos_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);

  if (GST_EVENT_TYPE (ev) == GST_EVENT_EOS)
    segments_at_eos = pop_segments ((GstHarness *) user_data);
  return GST_PAD_PROBE_OK;
}

/* A steady tone: a single tag event, and EOS closes the open segment at
 * the end of the data, before EOS goes downstream. */
GST_START_TEST (test_audio_eos_closes)
{
  static const Tone tone[] = { {0.0, 10.0, 300.0} };
  static const gchar *const events_want[] = { "low", NULL };
  GstHarness *h = tag_harness ("tag-audio.onnx", "hop", HOP_MS, NULL);
  GPtrArray *segs, *events;

  set_audio_caps (h, GST_AUDIO_FORMAT_F32LE, 16000, 1);
  push_audio (h, GST_AUDIO_FORMAT_F32LE, 16000, 1, tone, 1, 0.0, 3.0);
  segs = pop_segments (h);
  fail_unless_equals_int (segs->len, 0);
  g_ptr_array_unref (segs);

  gst_pad_add_probe (h->sinkpad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      eos_probe, h, NULL);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless (segments_at_eos != NULL, "EOS did not come out");
  segs = segments_at_eos;
  segments_at_eos = NULL;
  fail_unless_equals_int (segs->len, 1);
  check_segment (segs, 0, "low", 0.0, 3.0, 20 * GST_MSECOND);

  events = pop_tag_events (h);
  check_events (events, events_want);

  g_ptr_array_unref (segs);
  g_ptr_array_unref (events);
  harness_teardown (h);
}

GST_END_TEST;

/* A 400 ms gap in a tone, and a 400 ms burst in silence: without
 * min-duration each makes its own segments; with min-duration=600 the gap
 * does not split the segment and the burst makes none. */
GST_START_TEST (test_min_duration)
{
  static const Tone gap[] = { {0.0, 2.0, 300.0}, {2.4, 5.0, 300.0},
  {6.5, 6.9, 3000.0}
  };
  guint pass;

  for (pass = 0; pass < 2; pass++) {
    GstHarness *h = tag_harness ("tag-audio.onnx", "hop", HOP_MS,
        "min-duration", pass ? 600 : 0, NULL);
    GPtrArray *segs, *events;

    set_audio_caps (h, GST_AUDIO_FORMAT_S16LE, 16000, 1);
    push_audio (h, GST_AUDIO_FORMAT_S16LE, 16000, 1, gap, 3, 0.0, 8.0);
    fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
    segs = pop_segments (h);
    events = pop_tag_events (h);
    if (pass == 0) {
      fail_unless_equals_int (segs->len, 3);
      /* the 500 ms window sees the 400 ms gap for about 300 ms */
      check_segment (segs, 0, "low", 0.0, 2.2, 2 * TOLERANCE);
      check_segment (segs, 1, "low", 2.2, 5.0, 2 * TOLERANCE);
      check_segment (segs, 2, "high", 6.5, 6.9, 2 * TOLERANCE);
      static const gchar *const want[] = { "low", "", "low", "", "high", "",
        NULL
      };

      check_events (events, want);
    } else {
      static const gchar *const want[] = { "low", "", NULL };

      fail_unless_equals_int (segs->len, 1);
      /* the segment starts and ends where the change began */
      check_segment (segs, 0, "low", 0.0, 5.0, TOLERANCE);
      check_events (events, want);
    }
    g_ptr_array_unref (segs);
    g_ptr_array_unref (events);
    harness_teardown (h);
  }
}

GST_END_TEST;

/* A flush closes the open segment at the end of the data analysed before
 * it; what follows starts afresh. */
GST_START_TEST (test_flush)
{
  static const Tone tone[] = { {0.0, 10.0, 300.0} };
  static const gchar *const want[] = { "low", "", NULL };
  GstHarness *h = tag_harness ("tag-audio.onnx", "hop", HOP_MS, NULL);
  GPtrArray *segs, *events;
  GstSegment segment;
  Segment *s;

  set_audio_caps (h, GST_AUDIO_FORMAT_F32LE, 16000, 1);
  push_audio (h, GST_AUDIO_FORMAT_F32LE, 16000, 1, tone, 1, 0.0, 2.0);
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));

  segs = pop_segments (h);
  fail_unless_equals_int (segs->len, 1);
  s = g_ptr_array_index (segs, 0);
  fail_unless_equals_string (s->tag, "low");
  fail_unless_equals_uint64 (s->start, 0);
  /* The last window analysed before the flush: 2 s of audio give 199
   * complete log-mel frames (frame i is centred on i x 10 ms and needs 256
   * samples after its centre), the last window ran at frame 190 (every 10
   * frames from frame 50) on frames 140..189, centred on 1.645 s, and
   * stands for the hop around it: it ends at 1.695 s. */
  fail_unless (s->end >= 1650 * GST_MSECOND && s->end <= 1750 * GST_MSECOND,
      "end %" GST_TIME_FORMAT, GST_TIME_ARGS (s->end));
  g_ptr_array_unref (segs);

  /* silence from 5 s on: no new segment, and the tag set is empty again */
  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.start = 5 * GST_SECOND;
  segment.time = 5 * GST_SECOND;
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));
  push_audio (h, GST_AUDIO_FORMAT_F32LE, 16000, 1, NULL, 0, 5.0, 2.0);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  segs = pop_segments (h);
  fail_unless_equals_int (segs->len, 0);
  events = pop_tag_events (h);
  check_events (events, want);

  g_ptr_array_unref (segs);
  g_ptr_array_unref (events);
  harness_teardown (h);
}

GST_END_TEST;

/* threshold overrides dl.thresholds for every tag. */
GST_START_TEST (test_threshold)
{
  static const Tone tone[] = { {0.0, 3.0, 3000.0} };
  gfloat thresholds[] = { -1.0f, 0.99999f };
  guint pass;

  for (pass = 0; pass < 2; pass++) {
    GstHarness *h = tag_harness ("tag-audio.onnx", "hop", HOP_MS,
        "threshold", thresholds[pass], NULL);
    GPtrArray *segs;

    set_audio_caps (h, GST_AUDIO_FORMAT_F32LE, 16000, 1);
    push_audio (h, GST_AUDIO_FORMAT_F32LE, 16000, 1, tone, 1, 0.0, 2.0);
    fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
    segs = pop_segments (h);
    fail_unless_equals_int (segs->len, pass == 0 ? 1 : 0);
    g_ptr_array_unref (segs);
    harness_teardown (h);
  }
}

GST_END_TEST;

/* The window of a model with a dynamic T comes from the property; a fixed
 * T must match it; a model ending without Sigmoid gets one. */
GST_START_TEST (test_window)
{
  GstHarness *h = tag_harness ("tag-audio-dyn.onnx", "hop", HOP_MS,
      "window", 300, NULL);
  GstElement *e;
  GPtrArray *segs;
  gchar *path;

  set_audio_caps (h, GST_AUDIO_FORMAT_F32LE, 16000, 1);
  push_audio (h, GST_AUDIO_FORMAT_F32LE, 16000, 1, two_tones, 2, 0.0, 7.0);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  segs = pop_segments (h);
  fail_unless_equals_int (segs->len, 2);
  check_segment (segs, 0, "low", 1.0, 3.0, TOLERANCE);
  check_segment (segs, 1, "high", 4.0, 6.0, TOLERANCE);
  g_ptr_array_unref (segs);
  harness_teardown (h);

  /* without the final Sigmoid the element applies one: the same result */
  h = tag_harness ("tag-audio-logits.onnx", "hop", HOP_MS, NULL);
  set_audio_caps (h, GST_AUDIO_FORMAT_F32LE, 16000, 1);
  push_audio (h, GST_AUDIO_FORMAT_F32LE, 16000, 1, two_tones, 2, 0.0, 7.0);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  segs = pop_segments (h);
  fail_unless_equals_int (segs->len, 2);
  check_segment (segs, 0, "low", 1.0, 3.0, TOLERANCE);
  check_segment (segs, 1, "high", 4.0, 6.0, TOLERANCE);
  g_ptr_array_unref (segs);
  harness_teardown (h);

  e = gst_element_factory_make ("dltag", NULL);
  path = model_path ("tag-audio.onnx");
  g_object_set (e, "model", path, "window", 1000, NULL);
  expect_start_error (e, GST_RESOURCE_ERROR_SETTINGS, "50 frames", "1000 ms");
  gst_object_unref (e);
  g_free (path);
}

GST_END_TEST;

/* labels-file renames the model's tags. */
GST_START_TEST (test_labels_file)
{
  gchar *labels = g_build_filename (g_get_tmp_dir (), "dltag-tags.txt",
      NULL);
  GstHarness *h;
  GPtrArray *segs;

  fail_unless (g_file_set_contents (labels, "bass\ntreble\n", -1, NULL));
  h = tag_harness ("tag-audio.onnx", "hop", HOP_MS, "labels-file", labels,
      NULL);
  set_audio_caps (h, GST_AUDIO_FORMAT_F32LE, 16000, 1);
  push_audio (h, GST_AUDIO_FORMAT_F32LE, 16000, 1, two_tones, 2, 0.0, 7.0);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  segs = pop_segments (h);
  fail_unless_equals_int (segs->len, 2);
  check_segment (segs, 0, "bass", 1.0, 3.0, TOLERANCE);
  check_segment (segs, 1, "treble", 4.0, 6.0, TOLERANCE);
  g_ptr_array_unref (segs);
  harness_teardown (h);
  g_unlink (labels);
  g_free (labels);
}

GST_END_TEST;

static gdouble
sigmoid (gdouble x)
{
  return 1.0 / (1.0 + exp (-x));
}

/* bright 0..1 s, dark 1..2 s, bright 2..3 s at 10 fps. */
GST_START_TEST (test_video)
{
  static const gchar *const formats[] = { "GRAY8", "RGB", "I420" };
  static const gchar *const want[] = { "bright", "dark", "bright", NULL };
  guint f, interval;

  for (f = 0; f < G_N_ELEMENTS (formats); f++)
    for (interval = 1; interval <= 2; interval++) {
      GstVideoFormat format = gst_video_format_from_string (formats[f]);
      GstHarness *h = tag_harness ("tag-video.onnx", "inference-interval",
          interval, NULL);
      GPtrArray *segs, *events;
      gchar *caps = g_strdup_printf ("video/x-raw,format=%s,width=32,"
          "height=24,framerate=10/1,colorimetry=%s", formats[f],
          f == 2 ? "1:4:0:0" : "sRGB");
      gint i;

      gst_harness_set_src_caps_str (h, caps);
      g_free (caps);
      for (i = 0; i < 30; i++) {
        GstBuffer *in = gray_frame (format, i / 10 == 1 ? 30 : 220, i);
        GstBuffer *out = gst_harness_push_and_pull (h, in);

        fail_unless (out == in);
        gst_buffer_unref (out);
      }
      fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
      segs = pop_segments (h);
      fail_unless_equals_int (segs->len, 3);
      check_segment (segs, 0, "bright", 0.0, 1.0, 0);
      check_segment (segs, 1, "dark", 1.0, 2.0, 0);
      check_segment (segs, 2, "bright", 2.0, 3.0, 0);
      if (format == GST_VIDEO_FORMAT_GRAY8)
        fail_unless (fabs (((Segment *) g_ptr_array_index (segs,
                        1))->confidence - sigmoid (TEST_TAG_VIDEO_GAIN *
                    (0.5 - 30 * 0.003921569))) < 1e-4);
      events = pop_tag_events (h);
      check_events (events, want);
      g_ptr_array_unref (segs);
      g_ptr_array_unref (events);
      harness_teardown (h);
    }
}

GST_END_TEST;

/* Upstream's stream tags are kept and merged with the keywords. */
GST_START_TEST (test_upstream_tags)
{
  static const Tone tone[] = { {0.0, 10.0, 300.0} };
  GstHarness *h = tag_harness ("tag-audio.onnx", "hop", HOP_MS,
      "extra-tags", "genre", NULL);
  GstTagList *tags = gst_tag_list_new (GST_TAG_TITLE, "upstream title",
      NULL);
  GstEvent *ev;
  gboolean seen = FALSE;

  set_audio_caps (h, GST_AUDIO_FORMAT_F32LE, 16000, 1);
  gst_tag_list_set_scope (tags, GST_TAG_SCOPE_STREAM);
  fail_unless (gst_harness_push_event (h, gst_event_new_tag (tags)));
  push_audio (h, GST_AUDIO_FORMAT_F32LE, 16000, 1, tone, 1, 0.0, 1.0);

  while ((ev = gst_harness_try_pull_event (h)) != NULL) {
    if (GST_EVENT_TYPE (ev) == GST_EVENT_TAG) {
      GstTagList *list;
      gchar *title = NULL, *kw = NULL, *genre = NULL;

      gst_event_parse_tag (ev, &list);
      fail_unless (gst_tag_list_get_string (list, GST_TAG_TITLE, &title));
      fail_unless_equals_string (title, "upstream title");
      if (gst_tag_list_get_string (list, GST_TAG_KEYWORDS, &kw)) {
        fail_unless_equals_string (kw, "low");
        fail_unless (gst_tag_list_get_string (list, GST_TAG_GENRE, &genre));
        fail_unless_equals_string (genre, "low");
        seen = TRUE;
      }
      g_free (title);
      g_free (kw);
      g_free (genre);
    }
    gst_event_unref (ev);
  }
  fail_unless (seen);
  harness_teardown (h);
}

GST_END_TEST;

/* dlclassify ! dltag mode=metadata: band0 bright for 5 frames, then band2
 * for 5 frames, then band0 again. */
GST_START_TEST (test_metadata)
{
  guint pass;

  for (pass = 0; pass < 2; pass++) {
    gchar *path = model_path ("bands.onnx");
    gchar *labels = g_build_filename (g_get_tmp_dir (), "dltag-labels.txt",
        NULL);
    gchar *launch;
    GstHarness *h;
    GPtrArray *segs, *events;
    gint i;

    fail_unless (g_file_set_contents (labels, "band2\n", -1, NULL));
    launch = g_strdup_printf ("dlclassify model=%s ! dltag mode=metadata "
        "%s%s", path, pass ? "labels-file=" : "", pass ? labels : "");
    h = gst_harness_new_parse (launch);
    give_bus (h->element);
    set_caps (h, "GRAY8", 16, 16);
    for (i = 0; i < 15; i++) {
      guint8 colors[TEST_BANDS][3];
      GstBuffer *buf;

      gray_bands (colors, i / 5 == 1 ? 2 : 0, 230, 20);
      buf = make_picture (GST_VIDEO_FORMAT_GRAY8, 16, 16, colors);
      GST_BUFFER_PTS (buf) = i * GST_SECOND / 10;
      GST_BUFFER_DURATION (buf) = GST_SECOND / 10;
      gst_buffer_unref (gst_harness_push_and_pull (h, buf));
    }
    fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
    segs = pop_segments (h);
    events = pop_tag_events (h);
    if (pass == 0) {
      static const gchar *const want[] = { "band0", "band2", "band0", NULL };

      fail_unless_equals_int (segs->len, 3);
      check_segment (segs, 0, "band0", 0.0, 0.5, 0);
      check_segment (segs, 1, "band2", 0.5, 1.0, 0);
      check_segment (segs, 2, "band0", 1.0, 1.5, 0);
      check_events (events, want);
    } else {
      static const gchar *const want[] = { "band2", "", NULL };

      fail_unless_equals_int (segs->len, 1);
      check_segment (segs, 0, "band2", 0.5, 1.0, 0);
      check_events (events, want);
    }
    g_ptr_array_unref (segs);
    g_ptr_array_unref (events);
    harness_teardown (h);
    g_unlink (labels);
    g_free (labels);
    g_free (launch);
    g_free (path);
  }
}

GST_END_TEST;

static void
expect_model_error (const gchar * model, gint code, const gchar * text1,
    const gchar * text2)
{
  GstElement *e = gst_element_factory_make ("dltag", NULL);
  gchar *path = model ? model_path (model) : NULL;

  g_object_set (e, "model", path, NULL);
  expect_start_error (e, code, text1, text2);
  gst_object_unref (e);
  g_free (path);
}

GST_START_TEST (test_bad_models)
{
  expect_model_error (NULL, GST_RESOURCE_ERROR_NOT_FOUND, "No model", NULL);
  expect_model_error ("no-such-model.onnx", GST_RESOURCE_ERROR_NOT_FOUND,
      "no-such-model.onnx", NULL);
  expect_model_error ("tag-truncated.onnx", GST_RESOURCE_ERROR_READ,
      "tag-truncated.onnx", NULL);
  expect_model_error ("tag-bad-task.onnx", GST_RESOURCE_ERROR_SETTINGS,
      "tag-bad-task.onnx", "dl.task=classify");
  expect_model_error ("bands.onnx", GST_RESOURCE_ERROR_SETTINGS,
      "bands.onnx", "not tag");
  expect_model_error ("tag-bad-labels.onnx", GST_RESOURCE_ERROR_SETTINGS,
      "2 outputs", "3 labels");
  expect_model_error ("tag-bad-input.onnx", GST_RESOURCE_ERROR_SETTINGS,
      "tag-bad-input.onnx", "dl.audio");
  expect_model_error ("tag-bad-centre.onnx", GST_RESOURCE_ERROR_SETTINGS,
      "tag-bad-centre.onnx", "dl.tag_centre");
}

GST_END_TEST;

/* Caps that do not fit the model: a negotiation error naming it. */
static void
expect_caps_error (const gchar * model, const gchar * caps,
    const gchar * text)
{
  GstHarness *h = tag_harness (model, NULL);
  GstBus *bus = gst_element_get_bus (h->element);
  GstMessage *msg;
  GError *err = NULL;
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 4096, NULL);

  gst_harness_set_src_caps_str (h, caps);
  fail_unless_equals_int (gst_harness_push (h, buf),
      GST_FLOW_NOT_NEGOTIATED);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error for %s", caps);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_CORE_ERROR,
          GST_CORE_ERROR_NEGOTIATION), "%s", err->message);
  fail_unless (strstr (err->message, model) != NULL || model == NULL);
  fail_unless (strstr (err->message, text) != NULL, "\"%s\" not in \"%s\"",
      text, err->message);
  g_error_free (err);
  gst_message_unref (msg);
  gst_object_unref (bus);
  harness_teardown (h);
}

GST_START_TEST (test_caps_mismatch)
{
  expect_caps_error ("tag-audio.onnx",
      "video/x-raw,format=GRAY8,width=64,height=64,framerate=10/1",
      "video/x-raw");
  expect_caps_error ("tag-video.onnx",
      "audio/x-raw,format=S16LE,layout=interleaved,rate=16000,channels=1",
      "audio/x-raw");
  expect_caps_error ("tag-video.onnx",
      "video/x-raw,format=Y444,width=32,height=32,framerate=10/1", "Y444");
}

GST_END_TEST;

/* Properties mutable in PLAYING, changed from other threads while video
 * frames flow (alternating bright and dark every 3 frames); the READY-only
 * ones are refused while playing. */
GST_START_TEST (test_stress_properties)
{
  GstHarness *h = tag_harness ("tag-video.onnx", NULL);
  GstHarnessThread *t[3];
  GValue threshold = G_VALUE_INIT, min_dur = G_VALUE_INIT,
      interval = G_VALUE_INIT;
  gint64 end;
  guint hop;
  gint i;

  g_value_init (&threshold, G_TYPE_FLOAT);
  g_value_set_float (&threshold, 0.7f);
  g_value_init (&min_dur, G_TYPE_UINT);
  g_value_set_uint (&min_dur, 200);
  g_value_init (&interval, G_TYPE_UINT);
  g_value_set_uint (&interval, 2);
  gst_harness_set_src_caps_str (h, "video/x-raw,format=GRAY8,width=32,"
      "height=24,framerate=10/1");

  t[0] = gst_harness_stress_property_start_full (h, "threshold", &threshold,
      100);
  t[1] = gst_harness_stress_property_start_full (h, "min-duration",
      &min_dur, 100);
  t[2] = gst_harness_stress_property_start_full (h, "inference-interval",
      &interval, 100);
  end = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
  for (i = 0; i < 200 || g_get_monotonic_time () < end; i++) {
    GstBuffer *out = gst_harness_push_and_pull (h,
        gray_frame (GST_VIDEO_FORMAT_GRAY8, (i / 3) % 2 ? 30 : 220, i));

    fail_unless (out != NULL);
    gst_buffer_unref (out);
    if (i >= 200)
      g_usleep (1000);
  }
  for (i = 0; i < (gint) G_N_ELEMENTS (t); i++)
    fail_unless (gst_harness_stress_thread_stop (t[i]) > 0);
  g_value_unset (&threshold);
  g_value_unset (&min_dur);
  g_value_unset (&interval);

  /* hop is READY-only: refused (with a warning) while playing */
  ASSERT_WARNING (g_object_set (h->element, "hop", 42, NULL));
  g_object_get (h->element, "hop", &hop, NULL);
  fail_unless_equals_int (hop, 250);

  g_ptr_array_unref (pop_segments (h));
  harness_teardown (h);
}

GST_END_TEST;

static Suite *
dltag_suite (void)
{
  Suite *s = suite_create ("dltag");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_audio_segments);
  tcase_add_test (tc, test_audio_centre);
  tcase_add_test (tc, test_audio_eos_closes);
  tcase_add_test (tc, test_min_duration);
  tcase_add_test (tc, test_flush);
  tcase_add_test (tc, test_threshold);
  tcase_add_test (tc, test_window);
  tcase_add_test (tc, test_labels_file);
  tcase_add_test (tc, test_video);
  tcase_add_test (tc, test_upstream_tags);
  tcase_add_test (tc, test_metadata);
  tcase_add_test (tc, test_bad_models);
  tcase_add_test (tc, test_caps_mismatch);
  tcase_add_test (tc, test_stress_properties);
  return s;
}

GST_CHECK_MAIN (dltag);
