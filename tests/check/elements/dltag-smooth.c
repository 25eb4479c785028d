/* gst-dl: GstHarness tests of dltag's smoothing property
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * smoothing=N takes each tag's median over N consecutive observations,
 * centred on the one it stands for. With tag-video.onnx ("bright" /
 * "dark" from each frame's mean brightness, one observation per frame of
 * 100 ms) the expected medians follow from the frame sequence alone; with
 * tag-audio.onnx from the tones' positions (see dltag.c).
 */
#include "dltag-util.h"

#define CAPS "video/x-raw,format=GRAY8,width=32,height=24,framerate=10/1"
#define BRIGHT 220
#define DARK 30

static void
push_frame (GstHarness * h, gboolean bright, gint i)
{
  GstBuffer *in = gray_frame (GST_VIDEO_FORMAT_GRAY8, bright ? BRIGHT : DARK,
      i);
  GstBuffer *out = gst_harness_push_and_pull (h, in);

  fail_unless (out == in, "not passed through");
  gst_buffer_unref (out);
}

/* 3.6 s of bright frames with a dark one every 0.8 s (frames 7, 15,
 * 23, 31): unsmoothed, every dark frame ends a bright segment and makes a
 * dark one; with smoothing=3 a single dark frame is never the median, so
 * there is one bright segment over the whole stream and a single tag
 * event. */
GST_START_TEST (test_smoothing_flip_flop)
{
  guint pass;

  for (pass = 0; pass < 2; pass++) {
    GstHarness *h = tag_harness ("tag-video.onnx", "smoothing",
        pass ? 3 : 1, NULL);
    GPtrArray *segs, *events;
    guint smoothing;
    gint i;

    gst_harness_set_src_caps_str (h, CAPS);
    for (i = 0; i < 36; i++)
      push_frame (h, i % 8 != 7, i);
    fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
    segs = pop_segments (h);
    events = pop_tag_events (h);
    if (pass == 0) {
      static const gchar *const want[] = { "bright", "dark", "bright",
        "dark", "bright", "dark", "bright", "dark", "bright", NULL
      };

      fail_unless_equals_int (segs->len, 9);
      check_segment (segs, 0, "bright", 0.0, 0.7, 0);
      check_segment (segs, 1, "dark", 0.7, 0.8, 0);
      check_events (events, want);
    } else {
      static const gchar *const want[] = { "bright", NULL };

      fail_unless_equals_int (segs->len, 1);
      check_segment (segs, 0, "bright", 0.0, 3.6, 0);
      check_events (events, want);

      /* READY-only: refused while playing */
      ASSERT_WARNING (g_object_set (h->element, "smoothing", 5, NULL));
      g_object_get (h->element, "smoothing", &smoothing, NULL);
      fail_unless_equals_int (smoothing, 3);
    }
    g_ptr_array_unref (segs);
    g_ptr_array_unref (events);
    harness_teardown (h);
  }
}

GST_END_TEST;

/* bright 0..2 s, dark 2..4 s with smoothing=5: the boundary keeps its time
 * (the centred median flips exactly at frame 20) but is decided two
 * frames later, when frame 22 comes in; EOS passes the last two frames on,
 * so the dark segment ends at 4 s. */
GST_START_TEST (test_smoothing_delay)
{
  GstHarness *h = tag_harness ("tag-video.onnx", "smoothing", 5, NULL);
  GPtrArray *segs;
  gint i;

  gst_harness_set_src_caps_str (h, CAPS);
  for (i = 0; i < 22; i++)
    push_frame (h, i < 20, i);
  segs = pop_segments (h);
  fail_unless_equals_int (segs->len, 0);
  g_ptr_array_unref (segs);

  push_frame (h, FALSE, 22);
  segs = pop_segments (h);
  fail_unless_equals_int (segs->len, 1);
  check_segment (segs, 0, "bright", 0.0, 2.0, 0);
  /* the medians over frames 0..2 .. 17..21 are all bright frames */
  fail_unless (((Segment *) g_ptr_array_index (segs, 0))->confidence > 0.99);
  g_ptr_array_unref (segs);

  for (i = 23; i < 40; i++)
    push_frame (h, FALSE, i);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  segs = pop_segments (h);
  fail_unless_equals_int (segs->len, 1);
  check_segment (segs, 0, "dark", 2.0, 4.0, 0);
  g_ptr_array_unref (segs);
  harness_teardown (h);
}

GST_END_TEST;

/* A flush passes the observations held back on before it closes the
 * segments: 1 s of bright frames with smoothing=5 make a segment that
 * ends at 1 s, not at the 0.8 s decided before the flush. */
GST_START_TEST (test_smoothing_flush)
{
  GstHarness *h = tag_harness ("tag-video.onnx", "smoothing", 5, NULL);
  GPtrArray *segs;
  gint i;

  gst_harness_set_src_caps_str (h, CAPS);
  for (i = 0; i < 10; i++)
    push_frame (h, TRUE, i);
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  segs = pop_segments (h);
  fail_unless_equals_int (segs->len, 1);
  check_segment (segs, 0, "bright", 0.0, 1.0, 0);
  g_ptr_array_unref (segs);
  harness_teardown (h);
}

GST_END_TEST;

/* Audio (hop 100 ms): a 300 Hz tone with a 400 ms gap (0..2 s, 2.4..5 s)
 * and a 400 ms 3 kHz burst at 6.5 s. Unsmoothed both make segments (the
 * gap splits "low", see dltag.c's test_min_duration); the median over 11
 * windows (1.1 s) removes both, and the end of the tone stays at 5 s. */
GST_START_TEST (test_smoothing_audio)
{
  static const Tone tones[] = { {0.0, 2.0, 300.0}, {2.4, 5.0, 300.0},
  {6.5, 6.9, 3000.0}
  };
  static const gchar *const want[] = { "low", "", NULL };
  GstHarness *h = tag_harness ("tag-audio.onnx", "hop", HOP_MS,
      "smoothing", 11, NULL);
  GPtrArray *segs, *events;

  set_audio_caps (h, GST_AUDIO_FORMAT_S16LE, 16000, 1);
  push_audio (h, GST_AUDIO_FORMAT_S16LE, 16000, 1, tones, 3, 0.0, 8.0);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  segs = pop_segments (h);
  events = pop_tag_events (h);
  fail_unless_equals_int (segs->len, 1);
  check_segment (segs, 0, "low", 0.0, 5.0, TOLERANCE);
  check_events (events, want);
  g_ptr_array_unref (segs);
  g_ptr_array_unref (events);
  harness_teardown (h);
}

GST_END_TEST;

static Suite *
dltag_smooth_suite (void)
{
  Suite *s = suite_create ("dltag-smooth");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_smoothing_flip_flop);
  tcase_add_test (tc, test_smoothing_delay);
  tcase_add_test (tc, test_smoothing_flush);
  tcase_add_test (tc, test_smoothing_audio);
  return s;
}

GST_CHECK_MAIN (dltag_smooth);
