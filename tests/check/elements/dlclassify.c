/* gst-dl: unit tests for dlclassify: results
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * The models come from tests/check/make-test-model.c (see there what they
 * compute); the expected confidences are worked out from that definition,
 * independently of libdlnn.
 */
#include "dlclassify-util.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* formats and sizes */

typedef struct
{
  const gchar *caps;
} FormatCase;

static const FormatCase format_cases[] = {
  {"video/x-raw,format=RGB"},
  {"video/x-raw,format=BGR"},
  {"video/x-raw,format=RGBA"},
  {"video/x-raw,format=BGRA"},
  {"video/x-raw,format=ARGB"},
  {"video/x-raw,format=ABGR"},
  {"video/x-raw,format=RGBx"},
  {"video/x-raw,format=BGRx"},
  {"video/x-raw,format=xRGB"},
  {"video/x-raw,format=xBGR"},
  {"video/x-raw,format=GRAY8"},
  /* limited range (videoconvert's default for YUV) */
  {"video/x-raw,format=I420,colorimetry=bt601"},
  {"video/x-raw,format=I420,colorimetry=bt709"},
  {"video/x-raw,format=NV12,colorimetry=bt601"},
  {"video/x-raw,format=NV12,colorimetry=bt709"},
  /* full range BT.601 (JPEG style) */
  {"video/x-raw,format=I420,colorimetry=1:4:0:0"},
  {"video/x-raw,format=NV12,colorimetry=1:4:0:0"},
};

/* Every format gives the label and the confidence predicted from the model
 * definition, for gray bands (exact in every format). */
GST_START_TEST (test_formats_bands)
{
  guint f;
  gint band;
  guint8 colors[TEST_BANDS][3];
  gdouble p[TEST_BANDS];

  for (f = 0; f < G_N_ELEMENTS (format_cases); f++) {
    GstHarness *h = harness_new_convert ("bands.onnx", format_cases[f].caps);

    set_caps (h, "RGB", 64, 48);
    for (band = 0; band < TEST_BANDS; band++) {
      gchar *label, *want = g_strdup_printf ("band%d", band);
      gdouble conf;

      gray_bands (colors, band, 150, 110);
      expected_bands (colors, p);
      classify (h, make_picture (GST_VIDEO_FORMAT_RGB, 64, 48, colors),
          &label, &conf);
      GST_INFO ("%s: band %d -> %s %.5f (want %.5f)", format_cases[f].caps,
          band, label, conf, p[band]);
      fail_unless_equals_string (label, want);
      fail_unless (fabs (conf - p[band]) < 0.02, "%s: confidence %f, want "
          "%f", format_cases[f].caps, conf, p[band]);
      g_free (label);
      g_free (want);
    }
    harness_teardown (h);
  }
}

GST_END_TEST;

/* Colour channels land in the right tensor channel in every RGB-family and
 * YUV format (GRAY8 has no colour). */
GST_START_TEST (test_formats_colors)
{
  static const guint8 rgb[3][3] = {
    {140, 110, 115}, {105, 140, 115}, {110, 112, 145}
  };
  static const gchar *names[3] = { "red", "green", "blue" };
  guint f;
  gint c;
  guint8 colors[TEST_BANDS][3];
  gdouble p[3];

  for (f = 0; f < G_N_ELEMENTS (format_cases); f++) {
    GstHarness *h;

    if (strstr (format_cases[f].caps, "GRAY8"))
      continue;
    h = harness_new_convert ("colors.onnx", format_cases[f].caps);
    set_caps (h, "RGB", 48, 32);
    for (c = 0; c < 3; c++) {
      gchar *label;
      gdouble conf;

      uniform (colors, rgb[c][0], rgb[c][1], rgb[c][2]);
      expected_colors (rgb[c], p);
      classify (h, make_picture (GST_VIDEO_FORMAT_RGB, 48, 32, colors),
          &label, &conf);
      GST_INFO ("%s: %s -> %s %.5f (want %.5f)", format_cases[f].caps,
          names[c], label, conf, p[c]);
      fail_unless_equals_string (label, names[c]);
      fail_unless (fabs (conf - p[c]) < 0.025, "%s: confidence %f, want %f",
          format_cases[f].caps, conf, p[c]);
      g_free (label);
    }
    harness_teardown (h);
  }
}

GST_END_TEST;

/* Odd and tiny sizes in planar, semi-planar and packed formats. */
GST_START_TEST (test_odd_sizes)
{
  static const gint sizes[][2] = {
    {33, 17}, {17, 33}, {31, 9}, {15, 15}, {161, 121}, {5, 7}
  };
  static const gchar *formats[] = { "I420", "NV12", "RGB", "BGRx", "GRAY8" };
  guint s, f;
  gint band;
  guint8 colors[TEST_BANDS][3];

  for (f = 0; f < G_N_ELEMENTS (formats); f++) {
    for (s = 0; s < G_N_ELEMENTS (sizes); s++) {
      gchar *caps = g_strdup_printf ("video/x-raw,format=%s", formats[f]);
      GstHarness *h = harness_new_convert ("bands.onnx", caps);
      gint w = sizes[s][0], hgt = sizes[s][1];

      set_caps (h, "RGB", w, hgt);
      for (band = 0; band < TEST_BANDS; band++) {
        gchar *label, *want = g_strdup_printf ("band%d", band);
        gdouble conf;

        gray_bands (colors, band, 230, 40);
        classify (h, make_picture (GST_VIDEO_FORMAT_RGB, w, hgt, colors),
            &label, &conf);
        GST_INFO ("%s %dx%d: band %d -> %s %.4f", formats[f], w, hgt, band,
            label, conf);
        fail_unless_equals_string (label, want);
        fail_unless (conf > 0.5, "%s %dx%d: confidence %f", formats[f], w,
            hgt, conf);
        g_free (label);
        g_free (want);
      }
      harness_teardown (h);
      g_free (caps);
    }
  }
}

GST_END_TEST;

/* A 1x1 and a 2x2 picture have no bands: every class is equally likely. */
GST_START_TEST (test_tiny)
{
  static const gchar *formats[] = { "I420", "NV12", "RGB", "GRAY8" };
  guint f, s;
  guint8 colors[TEST_BANDS][3];

  uniform (colors, 128, 128, 128);
  for (f = 0; f < G_N_ELEMENTS (formats); f++) {
    for (s = 1; s <= 2; s++) {
      gchar *caps = g_strdup_printf ("video/x-raw,format=%s", formats[f]);
      GstHarness *h = harness_new_convert ("bands.onnx", caps);
      gchar *label;
      gdouble conf;

      set_caps (h, "RGB", s, s);
      classify (h, make_picture (GST_VIDEO_FORMAT_RGB, s, s, colors), &label,
          &conf);
      fail_unless (fabs (conf - 1.0 / TEST_BANDS) < 1e-3, "%s %ux%u: %f",
          formats[f], s, s, conf);
      g_free (label);
      harness_teardown (h);
      g_free (caps);
    }
  }
}

GST_END_TEST;

GST_START_TEST (test_caps)
{
  static const gchar *accepted[] = { "RGB", "BGR", "RGBA", "BGRA", "ARGB",
    "ABGR", "RGBx", "BGRx", "xRGB", "xBGR", "GRAY8", "I420", "NV12"
  };
  static const gchar *refused[] = { "YUY2", "RGB16", "GRAY16_LE", "v308" };
  GstElement *e = element_with_model ("bands.onnx");
  GstPad *sink = gst_element_get_static_pad (e, "sink");
  guint i;

  for (i = 0; i < G_N_ELEMENTS (accepted) + G_N_ELEMENTS (refused); i++) {
    gboolean ok = i < G_N_ELEMENTS (accepted);
    const gchar *fmt = ok ? accepted[i] : refused[i - G_N_ELEMENTS (accepted)];
    GstCaps *caps = gst_caps_new_simple ("video/x-raw",
        "format", G_TYPE_STRING, fmt, "width", G_TYPE_INT, 321,
        "height", G_TYPE_INT, 123, "framerate", GST_TYPE_FRACTION, 0, 1,
        NULL);

    fail_unless_equals_int (gst_pad_query_accept_caps (sink, caps), ok);
    gst_caps_unref (caps);
  }
  gst_object_unref (sink);
  gst_object_unref (e);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* meta and message */

static void
check_classification (const GstStructure * s, const gdouble * p)
{
  const gchar *label;
  guint id;
  gdouble conf;
  gchar *want;

  fail_unless (gst_structure_has_name (s, "classification"));
  fail_unless (gst_structure_has_field_typed (s, "label", G_TYPE_STRING));
  fail_unless (gst_structure_has_field_typed (s, "label_id", G_TYPE_UINT));
  fail_unless (gst_structure_has_field_typed (s, "confidence",
          G_TYPE_DOUBLE));
  label = gst_structure_get_string (s, "label");
  fail_unless (gst_structure_get_uint (s, "label_id", &id));
  fail_unless (gst_structure_get_double (s, "confidence", &conf));
  fail_unless (id < TEST_BANDS);
  want = g_strdup_printf ("band%u", id);
  fail_unless_equals_string (label, want);
  g_free (want);
  fail_unless (fabs (conf - p[id]) < 1e-4, "class %u: %f, want %f", id, conf,
      p[id]);
}

GST_START_TEST (test_meta_and_message)
{
  GstHarness *h = harness_new ("bands.onnx", NULL);
  GstVideoRegionOfInterestMeta *roi;
  const GstStructure *params, *s;
  const GValue *list;
  guint8 colors[TEST_BANDS][3];
  gdouble p[TEST_BANDS], conf, prev;
  GstBuffer *buf, *out;
  GstMessage *msg;
  guint64 ts;
  guint id, i;

  set_caps (h, "GRAY8", 64, 64);
  gray_bands (colors, 2, 150, 110);
  expected_bands (colors, p);

  buf = make_picture (GST_VIDEO_FORMAT_GRAY8, 64, 64, colors);
  GST_BUFFER_PTS (buf) = 5 * GST_SECOND;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
  out = gst_harness_push_and_pull (h, buf);

  /* one ROI meta covering the frame, with the classification params */
  fail_unless_equals_int (count_rois (out), 1);
  params = get_params (out, &roi);
  fail_unless (roi != NULL);
  fail_unless (params != NULL);
  fail_unless_equals_string (g_quark_to_string (roi->roi_type), "band2");
  fail_unless_equals_int (roi->x, 0);
  fail_unless_equals_int (roi->y, 0);
  fail_unless_equals_int (roi->w, 64);
  fail_unless_equals_int (roi->h, 64);
  check_classification (params, p);
  fail_unless (gst_structure_get_uint (params, "label_id", &id));
  fail_unless_equals_int (id, 2);
  fail_unless_equals_string (gst_structure_get_string (params, "model_name"),
      "bands.onnx");
  gst_buffer_unref (out);

  /* one message */
  msg = pop_result (h);
  fail_unless (msg != NULL);
  fail_unless (GST_MESSAGE_SRC (msg) == GST_OBJECT (h->element));
  s = gst_message_get_structure (msg);
  fail_unless (gst_structure_has_field_typed (s, "timestamp", G_TYPE_UINT64));
  fail_unless (gst_structure_get_uint64 (s, "timestamp", &ts));
  fail_unless_equals_uint64 (ts, 5 * GST_SECOND);
  fail_unless (gst_structure_get_uint64 (s, "running-time", &ts));
  fail_unless_equals_uint64 (ts, 5 * GST_SECOND);
  fail_unless_equals_string (gst_structure_get_string (s, "label"), "band2");
  fail_unless (gst_structure_has_field_typed (s, "label_id", G_TYPE_UINT));
  fail_unless (gst_structure_get_uint (s, "label_id", &id));
  fail_unless_equals_int (id, 2);
  fail_unless (gst_structure_get_double (s, "confidence", &conf));
  fail_unless (fabs (conf - p[2]) < 1e-4);

  /* top-k (default 5) holds all 4 classes, best first */
  fail_unless (gst_structure_has_field_typed (s, "top-k", GST_TYPE_LIST));
  list = gst_structure_get_value (s, "top-k");
  fail_unless_equals_int (gst_value_list_get_size (list), TEST_BANDS);
  prev = 2.0;
  for (i = 0; i < TEST_BANDS; i++) {
    const GValue *v = gst_value_list_get_value (list, i);
    gdouble c;

    fail_unless (GST_VALUE_HOLDS_STRUCTURE (v));
    check_classification (gst_value_get_structure (v), p);
    fail_unless (gst_structure_get_double (gst_value_get_structure (v),
            "confidence", &c));
    fail_unless (c <= prev);
    prev = c;
  }
  s = gst_value_get_structure (gst_value_list_get_value (list, 0));
  fail_unless (gst_structure_get_uint (s, "label_id", &id));
  fail_unless_equals_int (id, 2);
  gst_message_unref (msg);
  fail_unless (pop_result (h) == NULL);

  /* no PTS: timestamp is GST_CLOCK_TIME_NONE */
  buf = make_picture (GST_VIDEO_FORMAT_GRAY8, 64, 64, colors);
  gst_buffer_unref (gst_harness_push_and_pull (h, buf));
  msg = pop_result (h);
  fail_unless (msg != NULL);
  fail_unless (gst_structure_get_uint64 (gst_message_get_structure (msg),
          "timestamp", &ts));
  fail_unless_equals_uint64 (ts, GST_CLOCK_TIME_NONE);
  gst_message_unref (msg);

  harness_teardown (h);
}

GST_END_TEST;

/* Frames pass through untouched, in the same memory. */
GST_START_TEST (test_passthrough)
{
  GstHarness *h = harness_new ("bands.onnx", NULL);
  guint8 colors[TEST_BANDS][3];
  GstBuffer *buf, *out;
  GstMemory *mem;
  GstMapInfo a, b;

  set_caps (h, "GRAY8", 40, 40);
  gray_bands (colors, 1, 200, 20);
  buf = make_picture (GST_VIDEO_FORMAT_GRAY8, 40, 40, colors);
  mem = gst_buffer_peek_memory (buf, 0);
  /* keep a reference: the element gets a non-writable buffer */
  gst_buffer_ref (buf);
  out = gst_harness_push_and_pull (h, buf);
  fail_unless (gst_buffer_peek_memory (out, 0) == mem);
  fail_unless_equals_int (count_rois (out), 1);
  fail_unless_equals_int (count_rois (buf), 0);
  fail_unless (gst_buffer_map (buf, &a, GST_MAP_READ));
  fail_unless (gst_buffer_map (out, &b, GST_MAP_READ));
  fail_unless_equals_int (a.size, b.size);
  fail_unless (memcmp (a.data, b.data, a.size) == 0);
  gst_buffer_unmap (out, &b);
  gst_buffer_unmap (buf, &a);
  gst_buffer_unref (out);
  gst_buffer_unref (buf);
  harness_teardown (h);
}

GST_END_TEST;

/* The top-k list is sorted and as long as asked (at most the number of
 * classes). */
GST_START_TEST (test_top_k)
{
  /* band values giving the order 1, 3, 2, 0 */
  static const guint8 values[TEST_BANDS] = { 60, 200, 120, 160 };
  static const guint want_order[TEST_BANDS] = { 1, 3, 2, 0 };
  static const guint ks[] = { 1, 2, 3, 4, 10 };
  guint8 colors[TEST_BANDS][3];
  gdouble p[TEST_BANDS];
  guint i, j;

  for (i = 0; i < TEST_BANDS; i++)
    colors[i][0] = colors[i][1] = colors[i][2] = values[i];
  expected_bands (colors, p);

  for (i = 0; i < G_N_ELEMENTS (ks); i++) {
    GstHarness *h = harness_new ("bands.onnx", "top-k", ks[i], NULL);
    GstMessage *msg;
    const GValue *list;
    guint n = MIN (ks[i], TEST_BANDS);

    set_caps (h, "GRAY8", 32, 32);
    gst_buffer_unref (gst_harness_push_and_pull (h,
            make_picture (GST_VIDEO_FORMAT_GRAY8, 32, 32, colors)));
    msg = pop_result (h);
    fail_unless (msg != NULL);
    list = gst_structure_get_value (gst_message_get_structure (msg), "top-k");
    fail_unless_equals_int (gst_value_list_get_size (list), n);
    for (j = 0; j < n; j++) {
      const GstStructure *s =
          gst_value_get_structure (gst_value_list_get_value (list, j));
      guint id;

      check_classification (s, p);
      fail_unless (gst_structure_get_uint (s, "label_id", &id));
      fail_unless_equals_int (id, want_order[j]);
    }
    gst_message_unref (msg);
    harness_teardown (h);
  }
}

GST_END_TEST;

/* Top-k among many classes: the list follows the logits' order. */
GST_START_TEST (test_top_k_many)
{
  static const guint ks[] = { 1, 5, 10, 63, 64, 100 };
  gdouble logits[TEST_MANY_CLASSES], p[TEST_MANY_CLASSES];
  guint want[TEST_MANY_CLASSES];
  guint8 colors[TEST_BANDS][3];
  guint i, j;

  /* expected order by sorting the logits (insertion sort, descending) */
  for (i = 0; i < TEST_MANY_CLASSES; i++) {
    logits[i] = TEST_MANY_LOGIT (i);
    for (j = i; j > 0 && logits[want[j - 1]] < logits[i]; j--)
      want[j] = want[j - 1];
    want[j] = i;
  }
  softmax (logits, p, TEST_MANY_CLASSES);
  uniform (colors, 90, 90, 90);

  for (i = 0; i < G_N_ELEMENTS (ks); i++) {
    GstHarness *h = harness_new ("many.onnx", "top-k", ks[i], NULL);
    guint n = MIN (ks[i], TEST_MANY_CLASSES);
    const GValue *list;
    GstMessage *msg;

    set_caps (h, "GRAY8", 20, 20);
    gst_buffer_unref (gst_harness_push_and_pull (h,
            make_picture (GST_VIDEO_FORMAT_GRAY8, 20, 20, colors)));
    msg = pop_result (h);
    fail_unless (msg != NULL);
    list = gst_structure_get_value (gst_message_get_structure (msg), "top-k");
    fail_unless_equals_int (gst_value_list_get_size (list), n);
    for (j = 0; j < n; j++) {
      const GstStructure *s =
          gst_value_get_structure (gst_value_list_get_value (list, j));
      gchar *label = g_strdup_printf ("class %u", want[j]);
      guint id;
      gdouble conf;

      fail_unless (gst_structure_get_uint (s, "label_id", &id));
      fail_unless (gst_structure_get_double (s, "confidence", &conf));
      fail_unless_equals_int (id, want[j]);
      fail_unless_equals_string (gst_structure_get_string (s, "label"),
          label);
      fail_unless (fabs (conf - p[want[j]]) < 1e-5, "%u: %f, want %f", id,
          conf, p[want[j]]);
      g_free (label);
    }
    gst_message_unref (msg);
    harness_teardown (h);
  }
}

GST_END_TEST;

/* Below the threshold nothing is attached or posted; the threshold may
 * change while playing. */
GST_START_TEST (test_threshold)
{
  GstHarness *h = harness_new ("bands.onnx", "threshold", 0.9f, NULL);
  guint8 colors[TEST_BANDS][3];
  gdouble p[TEST_BANDS];
  GstBuffer *out;
  GstMessage *msg;
  const GValue *list;

  set_caps (h, "GRAY8", 32, 32);
  gray_bands (colors, 0, 150, 110);
  expected_bands (colors, p);
  /* the test needs a moderate confidence */
  fail_unless (p[0] > 0.6 && p[0] < 0.85, "%f", p[0]);

  out = gst_harness_push_and_pull (h,
      make_picture (GST_VIDEO_FORMAT_GRAY8, 32, 32, colors));
  fail_unless_equals_int (count_rois (out), 0);
  gst_buffer_unref (out);
  fail_unless_equals_int (count_results (h), 0);

  g_object_set (h->element, "threshold", 0.5f, NULL);
  out = gst_harness_push_and_pull (h,
      make_picture (GST_VIDEO_FORMAT_GRAY8, 32, 32, colors));
  fail_unless_equals_int (count_rois (out), 1);
  gst_buffer_unref (out);
  msg = pop_result (h);
  fail_unless (msg != NULL);
  /* only the best class reaches 0.5 */
  list = gst_structure_get_value (gst_message_get_structure (msg), "top-k");
  fail_unless_equals_int (gst_value_list_get_size (list), 1);
  gst_message_unref (msg);

  g_object_set (h->element, "threshold", 0.0f, NULL);
  out = gst_harness_push_and_pull (h,
      make_picture (GST_VIDEO_FORMAT_GRAY8, 32, 32, colors));
  fail_unless_equals_int (count_rois (out), 1);
  gst_buffer_unref (out);
  msg = pop_result (h);
  fail_unless (msg != NULL);
  list = gst_structure_get_value (gst_message_get_structure (msg), "top-k");
  fail_unless_equals_int (gst_value_list_get_size (list), TEST_BANDS);
  gst_message_unref (msg);

  harness_teardown (h);
}

GST_END_TEST;

/* inference-interval=3 classifies frames 0, 3, 6, 9; changing it while
 * playing takes effect at once. */
GST_START_TEST (test_inference_interval)
{
  GstHarness *h = harness_new ("bands.onnx", "inference-interval", 3, NULL);
  guint8 colors[TEST_BANDS][3];
  GstMessage *msg;
  guint i, n_meta = 0;
  guint64 ts;

  set_caps (h, "GRAY8", 32, 32);
  gray_bands (colors, 3, 220, 30);

  for (i = 0; i < 10; i++) {
    GstBuffer *buf = make_picture (GST_VIDEO_FORMAT_GRAY8, 32, 32, colors);
    GstBuffer *out;
    guint n;

    GST_BUFFER_PTS (buf) = i * GST_SECOND;
    out = gst_harness_push_and_pull (h, buf);
    n = count_rois (out);
    fail_unless_equals_int (n, i % 3 == 0 ? 1 : 0);
    n_meta += n;
    gst_buffer_unref (out);

    msg = pop_result (h);
    if (i % 3 == 0) {
      fail_unless (msg != NULL, "frame %u not classified", i);
      fail_unless (gst_structure_get_uint64 (gst_message_get_structure (msg),
              "timestamp", &ts));
      fail_unless_equals_uint64 (ts, i * GST_SECOND);
      gst_message_unref (msg);
    } else {
      fail_unless (msg == NULL, "frame %u classified", i);
    }
  }
  fail_unless_equals_int (n_meta, 4);

  g_object_set (h->element, "inference-interval", 1, NULL);
  for (i = 0; i < 3; i++) {
    GstBuffer *out = gst_harness_push_and_pull (h,
        make_picture (GST_VIDEO_FORMAT_GRAY8, 32, 32, colors));

    fail_unless_equals_int (count_rois (out), 1);
    gst_buffer_unref (out);
  }
  fail_unless_equals_int (count_results (h), 3);

  harness_teardown (h);
}

GST_END_TEST;

/* Gap buffers carry no picture and are not classified. */
GST_START_TEST (test_gap)
{
  GstHarness *h = harness_new ("bands.onnx", NULL);
  guint8 colors[TEST_BANDS][3];
  GstBuffer *buf, *out;

  set_caps (h, "GRAY8", 32, 32);
  gray_bands (colors, 3, 220, 30);
  buf = make_picture (GST_VIDEO_FORMAT_GRAY8, 32, 32, colors);
  GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_GAP);
  out = gst_harness_push_and_pull (h, buf);
  fail_unless_equals_int (count_rois (out), 0);
  gst_buffer_unref (out);
  fail_unless_equals_int (count_results (h), 0);
  harness_teardown (h);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* model variants */

/* A model without a final Softmax gets one applied by the element. */
GST_START_TEST (test_logits_model)
{
  GstHarness *h = harness_new ("bands-logits.onnx", NULL);
  guint8 colors[TEST_BANDS][3];
  gdouble p[TEST_BANDS], conf;
  gchar *label;

  set_caps (h, "GRAY8", 48, 48);
  gray_bands (colors, 1, 150, 110);
  expected_bands (colors, p);
  classify (h, make_picture (GST_VIDEO_FORMAT_GRAY8, 48, 48, colors), &label,
      &conf);
  fail_unless_equals_string (label, "band1");
  fail_unless (fabs (conf - p[1]) < 1e-4, "%f, want %f", conf, p[1]);
  g_free (label);
  harness_teardown (h);
}

GST_END_TEST;

/* A model taking a flat [1, 256] vector. */
GST_START_TEST (test_flat_model)
{
  GstHarness *h = harness_new ("bands-flat.onnx", NULL);
  guint8 colors[TEST_BANDS][3];
  gdouble p[TEST_BANDS], conf;
  gchar *label;

  set_caps (h, "GRAY8", 16, 16);
  gray_bands (colors, 3, 150, 110);
  expected_bands (colors, p);
  classify (h, make_picture (GST_VIDEO_FORMAT_GRAY8, 16, 16, colors), &label,
      &conf);
  fail_unless_equals_string (label, "band3");
  fail_unless (fabs (conf - p[3]) < 1e-4, "%f, want %f", conf, p[3]);
  g_free (label);
  harness_teardown (h);
}

GST_END_TEST;

/* Without dl.* metadata: preprocessing from the input shape, "class N". */
GST_START_TEST (test_model_without_metadata)
{
  GstHarness *h = harness_new ("bands-nometa.onnx", NULL);
  guint8 colors[TEST_BANDS][3];
  gdouble p[TEST_BANDS], conf;
  gchar *label;

  set_caps (h, "GRAY8", 32, 32);
  gray_bands (colors, 2, 150, 110);
  expected_bands (colors, p);
  classify (h, make_picture (GST_VIDEO_FORMAT_GRAY8, 32, 32, colors), &label,
      &conf);
  fail_unless_equals_string (label, "class 2");
  fail_unless (fabs (conf - p[2]) < 1e-4, "%f, want %f", conf, p[2]);
  g_free (label);
  harness_teardown (h);
}

GST_END_TEST;

/* labels-file overrides dl.labels. */
GST_START_TEST (test_labels_file)
{
  gchar *labels = g_build_filename (TEST_SOURCE_DIR, "band-labels.txt", NULL);
  GstHarness *h = harness_new ("bands.onnx", "labels-file", labels, NULL);
  static const gchar *want[TEST_BANDS] = { "top", "upper middle",
    "lower middle", "bottom"
  };
  guint8 colors[TEST_BANDS][3];
  gint band;

  set_caps (h, "GRAY8", 32, 32);
  for (band = 0; band < TEST_BANDS; band++) {
    gchar *label;
    gdouble conf;

    gray_bands (colors, band, 220, 30);
    classify (h, make_picture (GST_VIDEO_FORMAT_GRAY8, 32, 32, colors),
        &label, &conf);
    fail_unless_equals_string (label, want[band]);
    g_free (label);
  }
  harness_teardown (h);
  g_free (labels);
}

GST_END_TEST;

/* The shipped model, once it exists, classifies without errors. */
GST_START_TEST (test_shipped_model)
{
  gchar *path = g_build_filename (TEST_SOURCE_DIR, "..", "..", "samples",
      "models", "fashion-mnist.onnx", NULL);
  GstElement *e;
  GstHarness *h;
  guint8 colors[TEST_BANDS][3];
  GstBuffer *out;
  GstMessage *msg;

  if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
    GST_INFO ("%s not there yet, skipped", path);
    g_free (path);
    return;
  }
  e = element_new (path);
  h = gst_harness_new_with_element (e, "sink", "src");
  set_caps (h, "GRAY8", 28, 28);
  gray_bands (colors, 1, 255, 0);
  out = gst_harness_push_and_pull (h,
      make_picture (GST_VIDEO_FORMAT_GRAY8, 28, 28, colors));
  fail_unless_equals_int (count_rois (out), 1);
  gst_buffer_unref (out);
  msg = pop_result (h);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  harness_teardown (h);
  gst_object_unref (e);
  g_free (path);
}

GST_END_TEST;

static Suite *
dlclassify_suite (void)
{
  Suite *s = suite_create ("dlclassify");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_formats_bands);
  tcase_add_test (tc, test_formats_colors);
  tcase_add_test (tc, test_odd_sizes);
  tcase_add_test (tc, test_tiny);
  tcase_add_test (tc, test_caps);
  tcase_add_test (tc, test_meta_and_message);
  tcase_add_test (tc, test_passthrough);
  tcase_add_test (tc, test_top_k);
  tcase_add_test (tc, test_top_k_many);
  tcase_add_test (tc, test_threshold);
  tcase_add_test (tc, test_inference_interval);
  tcase_add_test (tc, test_gap);
  tcase_add_test (tc, test_logits_model);
  tcase_add_test (tc, test_flat_model);
  tcase_add_test (tc, test_model_without_metadata);
  tcase_add_test (tc, test_labels_file);
  tcase_add_test (tc, test_shipped_model);

  return s;
}

GST_CHECK_MAIN (dlclassify);
