/* gst-dl: unit tests for dlclassify
 * Copyright (C) 2024 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * The models come from tests/check/make-test-model.c (see there what they
 * compute); the expected confidences below are worked out from that
 * definition, independently of libdlnn.
 */
#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include <math.h>
#include <string.h>

#include "../test-model.h"

#ifndef TEST_MODEL_DIR
#error "TEST_MODEL_DIR must point to the directory of the generated models"
#endif
#ifndef TEST_SOURCE_DIR
#error "TEST_SOURCE_DIR must point to tests/check"
#endif

/* ------------------------------------------------------------------ */
/* helpers */

static gchar *
model_path (const gchar * name)
{
  return g_build_filename (TEST_MODEL_DIR, name, NULL);
}

/* A picture of TEST_BANDS horizontal bands (row y is in band
 * y * TEST_BANDS / height) of the given colours, in RGB or GRAY8 (which
 * takes the first component). */
static GstBuffer *
make_picture (GstVideoFormat format, gint width, gint height,
    const guint8 colors[TEST_BANDS][3])
{
  GstVideoInfo info;
  GstVideoFrame frame;
  GstBuffer *buf;
  gint x, y, c;

  fail_unless (gst_video_info_set_format (&info, format, width, height));
  buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  fail_unless (gst_video_frame_map (&frame, &info, buf, GST_MAP_WRITE));
  for (y = 0; y < height; y++) {
    guint8 *row = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 0) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
    const guint8 *rgb = colors[y * TEST_BANDS / height];

    for (x = 0; x < width; x++) {
      if (format == GST_VIDEO_FORMAT_GRAY8)
        row[x] = rgb[0];
      else
        for (c = 0; c < 3; c++)
          row[3 * x + c] = rgb[c];
    }
  }
  gst_video_frame_unmap (&frame);
  return buf;
}

/* gray bands: band @bright at @hi, the others at @lo */
static void
gray_bands (guint8 colors[TEST_BANDS][3], gint bright, guint8 hi, guint8 lo)
{
  gint k, c;

  for (k = 0; k < TEST_BANDS; k++)
    for (c = 0; c < 3; c++)
      colors[k][c] = k == bright ? hi : lo;
}

static void
uniform (guint8 colors[TEST_BANDS][3], guint8 r, guint8 g, guint8 b)
{
  gint k;

  for (k = 0; k < TEST_BANDS; k++) {
    colors[k][0] = r;
    colors[k][1] = g;
    colors[k][2] = b;
  }
}

static void
softmax (const gdouble * logits, gdouble * p, gint n)
{
  gdouble max = logits[0], sum = 0.0;
  gint i;

  for (i = 1; i < n; i++)
    max = MAX (max, logits[i]);
  for (i = 0; i < n; i++)
    sum += (p[i] = exp (logits[i] - max));
  for (i = 0; i < n; i++)
    p[i] /= sum;
}

/* bands.onnx on gray bands of values @gray (band rows aligned with the
 * model's rows) */
static void
expected_bands (const guint8 colors[TEST_BANDS][3], gdouble * p)
{
  gdouble x[TEST_BANDS], logits[TEST_BANDS], sum = 0.0;
  gint k;

  for (k = 0; k < TEST_BANDS; k++)
    sum += (x[k] = colors[k][0] * (gdouble) TEST_MODEL_SCALE);
  for (k = 0; k < TEST_BANDS; k++)
    logits[k] = TEST_MODEL_GAIN * (x[k] - (sum - x[k]) / (TEST_BANDS - 1));
  softmax (logits, p, TEST_BANDS);
}

/* colors.onnx on a uniform picture */
static void
expected_colors (const guint8 rgb[3], gdouble * p)
{
  gdouble m[3], logits[3], sum = 0.0;
  gint c;

  for (c = 0; c < 3; c++)
    sum += (m[c] = rgb[c] * (gdouble) TEST_MODEL_SCALE);
  for (c = 0; c < 3; c++)
    logits[c] = TEST_MODEL_GAIN * (m[c] - (sum - m[c]) / 2);
  softmax (logits, p, 3);
}

/* A harness around a dlclassify configured with @model and properties. */
static GstHarness *
harness_new (const gchar * model, const gchar * first_prop, ...)
{
  GstElement *e;
  GstHarness *h;
  gchar *path = model_path (model);
  GstBus *bus;
  va_list args;

  e = gst_element_factory_make ("dlclassify", NULL);
  fail_unless (e != NULL);
  g_object_set (e, "model", path, NULL);
  if (first_prop) {
    va_start (args, first_prop);
    g_object_set_valist (G_OBJECT (e), first_prop, args);
    va_end (args);
  }
  /* a bus to collect the element messages */
  bus = gst_bus_new ();
  gst_element_set_bus (e, bus);
  gst_object_unref (bus);

  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  g_free (path);
  return h;
}

/* A harness around "videoconvert ! CAPS ! dlclassify model=MODEL". */
static GstHarness *
harness_new_convert (const gchar * model, const gchar * caps)
{
  gchar *path = model_path (model), *desc;
  GstHarness *h;
  GstBus *bus;

  desc = g_strdup_printf ("videoconvert ! %s ! dlclassify model=\"%s\"",
      caps, path);
  h = gst_harness_new_parse (desc);
  fail_unless (h != NULL, "could not parse %s", desc);
  bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  gst_object_unref (bus);
  g_free (desc);
  g_free (path);
  return h;
}

static void
set_caps (GstHarness * h, const gchar * format, gint w, gint hgt)
{
  gchar *caps = g_strdup_printf ("video/x-raw,format=%s,width=%d,height=%d,"
      "framerate=30/1", format, w, hgt);

  gst_harness_set_src_caps_str (h, caps);
  g_free (caps);
}

/* Pops the next element message named "dlclassify", or NULL. */
static GstMessage *
pop_result (GstHarness * h)
{
  GstBus *bus = gst_element_get_bus (h->element);
  GstMessage *msg;

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT)) != NULL) {
    if (gst_message_has_name (msg, "dlclassify"))
      break;
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
  return msg;
}

static guint
count_results (GstHarness * h)
{
  GstMessage *msg;
  guint n = 0;

  while ((msg = pop_result (h)) != NULL) {
    n++;
    gst_message_unref (msg);
  }
  return n;
}

/* The "classification" params of the ROI meta on @buf, or NULL. */
static const GstStructure *
get_params (GstBuffer * buf, GstVideoRegionOfInterestMeta ** roi_out)
{
  GstVideoRegionOfInterestMeta *roi;

  roi = gst_buffer_get_video_region_of_interest_meta (buf);
  if (roi_out)
    *roi_out = roi;
  if (roi == NULL)
    return NULL;
  return gst_video_region_of_interest_meta_get_param (roi, "classification");
}

static guint
count_rois (GstBuffer * buf)
{
  gpointer state = NULL;
  guint n = 0;

  while (gst_buffer_iterate_meta_filtered (buf, &state,
          GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))
    n++;
  return n;
}

/* Pushes @buf, pulls the result, checks the meta and returns its label and
 * confidence. */
static void
classify (GstHarness * h, GstBuffer * buf, gchar ** label, gdouble * conf)
{
  const GstStructure *params;
  GstBuffer *out;

  out = gst_harness_push_and_pull (h, buf);
  fail_unless (out != NULL);
  params = get_params (out, NULL);
  fail_unless (params != NULL, "no classification meta");
  *label = g_strdup (gst_structure_get_string (params, "label"));
  fail_unless (*label != NULL);
  fail_unless (gst_structure_get_double (params, "confidence", conf));
  gst_buffer_unref (out);
  fail_unless_equals_int (count_results (h), 1);
}

/* Sets @e to PAUSED, expects failure with an ERROR message in the
 * GST_RESOURCE_ERROR domain of @code whose text contains @text1 and @text2
 * (unless NULL). */
static void
expect_start_error (GstElement * e, gint code, const gchar * text1,
    const gchar * text2)
{
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;
  gchar *debug = NULL;

  gst_element_set_bus (e, bus);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error message");
  gst_message_parse_error (msg, &err, &debug);
  GST_INFO ("error: %s (%s)", err->message, debug);
  fail_unless (err->domain == GST_RESOURCE_ERROR, "domain %s",
      g_quark_to_string (err->domain));
  fail_unless_equals_int (err->code, code);
  if (text1)
    fail_unless (strstr (err->message, text1) != NULL,
        "\"%s\" not in \"%s\"", text1, err->message);
  if (text2)
    fail_unless (strstr (err->message, text2) != NULL,
        "\"%s\" not in \"%s\"", text2, err->message);
  g_error_free (err);
  g_free (debug);
  gst_message_unref (msg);

  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
}

static GstElement *
element_with_model (const gchar * model)
{
  GstElement *e = gst_element_factory_make ("dlclassify", NULL);
  gchar *path = model ? model_path (model) : NULL;

  fail_unless (e != NULL);
  g_object_set (e, "model", path, NULL);
  g_free (path);
  return e;
}

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
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

/* Colour channels land in the right tensor channel in every RGB-family and
 * YUV format (GRAY8 has no colour). */
GST_START_TEST (test_formats_colors)
{
  static const guint8 rgb[3][3] = {
    {170, 90, 100}, {80, 160, 110}, {90, 100, 175}
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
      fail_unless (fabs (conf - p[c]) < 0.03, "%s: confidence %f, want %f",
          format_cases[f].caps, conf, p[c]);
      g_free (label);
    }
    gst_harness_teardown (h);
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
      gst_harness_teardown (h);
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
      gst_harness_teardown (h);
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

  gst_harness_teardown (h);
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
  gst_harness_teardown (h);
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
    gst_harness_teardown (h);
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

  gst_harness_teardown (h);
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

  gst_harness_teardown (h);
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
  gst_harness_teardown (h);
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
  gst_harness_teardown (h);
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
  gst_harness_teardown (h);
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
  gst_harness_teardown (h);
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
  gst_harness_teardown (h);
  g_free (labels);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* errors */

GST_START_TEST (test_no_model)
{
  GstElement *e = element_with_model (NULL);

  expect_start_error (e, GST_RESOURCE_ERROR_NOT_FOUND, "No model set", NULL);
  gst_object_unref (e);

  /* an empty string is no model either */
  e = gst_element_factory_make ("dlclassify", NULL);
  g_object_set (e, "model", "", NULL);
  expect_start_error (e, GST_RESOURCE_ERROR_NOT_FOUND, "No model set", NULL);
  gst_object_unref (e);
}

GST_END_TEST;

GST_START_TEST (test_missing_model)
{
  gchar *path = model_path ("does-not-exist.onnx");
  GstElement *e = element_with_model ("does-not-exist.onnx");

  expect_start_error (e, GST_RESOURCE_ERROR_NOT_FOUND, path, NULL);
  gst_object_unref (e);

  /* a directory is not a model */
  e = gst_element_factory_make ("dlclassify", NULL);
  g_object_set (e, "model", TEST_MODEL_DIR, NULL);
  expect_start_error (e, GST_RESOURCE_ERROR_OPEN_READ, TEST_MODEL_DIR, NULL);
  gst_object_unref (e);
  g_free (path);
}

GST_END_TEST;

/* Corrupt files: the error names the file and gives libdlnn's reason. */
GST_START_TEST (test_corrupt_model)
{
  static const gchar *files[] = { "truncated.onnx", "garbage.onnx" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (files); i++) {
    gchar *path = model_path (files[i]);
    gchar *prefix = g_strdup_printf ("Could not load model file \"%s\": ",
        path);
    GstElement *e = element_with_model (files[i]);
    GstBus *bus = gst_bus_new ();
    GstMessage *msg;
    GError *err = NULL;

    /* expect_start_error checks domain, code and the file name ... */
    expect_start_error (e, GST_RESOURCE_ERROR_READ, path, NULL);

    /* ... and here the reason follows the file name */
    gst_element_set_bus (e, bus);
    fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
        GST_STATE_CHANGE_FAILURE);
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    fail_unless (msg != NULL);
    gst_message_parse_error (msg, &err, NULL);
    fail_unless (g_str_has_prefix (err->message, prefix), "%s", err->message);
    fail_unless (strlen (err->message) > strlen (prefix) + 5, "no reason: %s",
        err->message);
    g_error_free (err);
    gst_message_unref (msg);
    gst_element_set_state (e, GST_STATE_NULL);
    gst_element_set_bus (e, NULL);
    gst_object_unref (bus);
    gst_object_unref (e);
    g_free (prefix);
    g_free (path);
  }
}

GST_END_TEST;

/* Models that load but do not fit an image classifier. */
GST_START_TEST (test_unfit_model)
{
  static const struct
  {
    const gchar *file;
    const gchar *text;
  } cases[] = {
    {"bad-channels.onnx", "does not fit"},
    {"bad-layout.onnx", "does not fit"},
    {"bad-output.onnx", "not a classifier"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *path = model_path (cases[i].file);
    GstElement *e = element_with_model (cases[i].file);

    expect_start_error (e, GST_RESOURCE_ERROR_SETTINGS, path, cases[i].text);
    gst_object_unref (e);
    g_free (path);
  }
}

GST_END_TEST;

GST_START_TEST (test_bad_labels_file)
{
  gchar *few = g_build_filename (TEST_SOURCE_DIR, "three-labels.txt", NULL);
  gchar *missing = g_build_filename (TEST_MODEL_DIR, "no-labels.txt", NULL);
  GstElement *e;

  e = element_with_model ("bands.onnx");
  g_object_set (e, "labels-file", few, NULL);
  expect_start_error (e, GST_RESOURCE_ERROR_SETTINGS, few, "3 labels");
  gst_object_unref (e);

  e = element_with_model ("bands.onnx");
  g_object_set (e, "labels-file", missing, NULL);
  expect_start_error (e, GST_RESOURCE_ERROR_NOT_FOUND, missing, NULL);
  gst_object_unref (e);

  g_free (few);
  g_free (missing);
}

GST_END_TEST;

/* A bad model fails a whole pipeline cleanly with an error on its bus. */
GST_START_TEST (test_bad_model_pipeline)
{
  gchar *path = model_path ("garbage.onnx");
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=5 ! "
      "dlclassify model=\"%s\" ! fakesink", path);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;

  fail_unless (pipeline != NULL);
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  fail_unless (msg != NULL);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_ERROR);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, path) != NULL);
  g_error_free (err);
  gst_message_unref (msg);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_free (desc);
  g_free (path);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* states and properties */

GST_START_TEST (test_state_cycles)
{
  gchar *path = model_path ("bands.onnx");
  gchar *desc = g_strdup_printf ("videotestsrc is-live=false ! "
      "video/x-raw,format=I420,width=64,height=48 ! "
      "dlclassify name=c model=\"%s\" ! fakesink sync=false", path);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstBus *bus;
  guint cycle;

  fail_unless (pipeline != NULL);
  bus = gst_element_get_bus (pipeline);
  for (cycle = 0; cycle < 20; cycle++) {
    GstMessage *msg;
    guint n = 0;

    fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
        GST_STATE_CHANGE_FAILURE);
    /* wait for a few results */
    while (n < 3) {
      msg = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND,
          GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR);
      fail_unless (msg != NULL, "cycle %u: no result", cycle);
      fail_if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR, "cycle %u: error",
          cycle);
      if (gst_message_has_name (msg, "dlclassify"))
        n++;
      gst_message_unref (msg);
    }
    fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
        GST_STATE_CHANGE_SUCCESS);
    gst_bus_set_flushing (bus, TRUE);
    gst_bus_set_flushing (bus, FALSE);
  }
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_free (desc);
  g_free (path);
}

GST_END_TEST;

/* The same element can be started again with another model. */
GST_START_TEST (test_change_model)
{
  GstHarness *h = harness_new ("bands.onnx", NULL);
  gchar *path = model_path ("bands-nometa.onnx");
  guint8 colors[TEST_BANDS][3];
  gdouble conf;
  gchar *label;

  set_caps (h, "GRAY8", 32, 32);
  gray_bands (colors, 1, 220, 30);
  classify (h, make_picture (GST_VIDEO_FORMAT_GRAY8, 32, 32, colors), &label,
      &conf);
  fail_unless_equals_string (label, "band1");
  g_free (label);

  /* not while playing */
  ASSERT_WARNING (g_object_set (h->element, "model", path, NULL));
  ASSERT_WARNING (g_object_set (h->element, "threads", 1, NULL));
  {
    gchar *now;
    gint threads;

    g_object_get (h->element, "model", &now, "threads", &threads, NULL);
    fail_unless (g_str_has_suffix (now, "bands.onnx"));
    fail_unless_equals_int (threads, 0);
    g_free (now);
  }

  fail_unless_equals_int (gst_element_set_state (h->element, GST_STATE_READY),
      GST_STATE_CHANGE_SUCCESS);
  g_object_set (h->element, "model", path, "threads", 1, NULL);
  gst_harness_play (h);
  set_caps (h, "GRAY8", 32, 32);
  classify (h, make_picture (GST_VIDEO_FORMAT_GRAY8, 32, 32, colors), &label,
      &conf);
  fail_unless_equals_string (label, "class 1");
  g_free (label);

  gst_harness_teardown (h);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_properties)
{
  GstElement *e = gst_element_factory_make ("dlclassify", NULL);
  GObjectClass *klass = G_OBJECT_GET_CLASS (e);
  static const struct
  {
    const gchar *name;
    GParamFlags mutable;
  } props[] = {
    {"model", GST_PARAM_MUTABLE_READY},
    {"labels-file", GST_PARAM_MUTABLE_READY},
    {"threads", GST_PARAM_MUTABLE_READY},
    {"threshold", GST_PARAM_MUTABLE_PLAYING},
    {"top-k", GST_PARAM_MUTABLE_PLAYING},
    {"inference-interval", GST_PARAM_MUTABLE_PLAYING},
  };
  gchar *model, *labels;
  gfloat threshold;
  guint top_k, interval;
  gint threads;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (props); i++) {
    GParamSpec *pspec = g_object_class_find_property (klass, props[i].name);

    fail_unless (pspec != NULL, "no property %s", props[i].name);
    fail_unless (pspec->flags & props[i].mutable, "%s", props[i].name);
    fail_unless (g_param_spec_get_blurb (pspec) != NULL);
    fail_unless (strlen (g_param_spec_get_blurb (pspec)) > 10);
  }

  g_object_get (e, "model", &model, "labels-file", &labels, "threshold",
      &threshold, "top-k", &top_k, "inference-interval", &interval,
      "threads", &threads, NULL);
  fail_unless (model == NULL);
  fail_unless (labels == NULL);
  fail_unless (threshold == 0.0f);
  fail_unless_equals_int (top_k, 5);
  fail_unless_equals_int (interval, 1);
  fail_unless_equals_int (threads, 0);

  g_object_set (e, "threshold", 0.25f, "top-k", 3, "inference-interval", 7,
      "threads", 2, "model", "m.onnx", "labels-file", "l.txt", NULL);
  g_object_get (e, "model", &model, "labels-file", &labels, "threshold",
      &threshold, "top-k", &top_k, "inference-interval", &interval,
      "threads", &threads, NULL);
  fail_unless_equals_string (model, "m.onnx");
  fail_unless_equals_string (labels, "l.txt");
  fail_unless (threshold == 0.25f);
  fail_unless_equals_int (top_k, 3);
  fail_unless_equals_int (interval, 7);
  fail_unless_equals_int (threads, 2);
  g_free (model);
  g_free (labels);
  gst_object_unref (e);
}

GST_END_TEST;

/* Properties mutable in PLAYING, changed from other threads while frames
 * flow. */
GST_START_TEST (test_stress_properties)
{
  GstHarness *h = harness_new ("bands.onnx", NULL);
  GstHarnessThread *t[3];
  GValue threshold = G_VALUE_INIT, top_k = G_VALUE_INIT,
      interval = G_VALUE_INIT;
  guint8 colors[TEST_BANDS][3];
  guint i;

  g_value_init (&threshold, G_TYPE_FLOAT);
  g_value_set_float (&threshold, 0.5f);
  g_value_init (&top_k, G_TYPE_UINT);
  g_value_set_uint (&top_k, 2);
  g_value_init (&interval, G_TYPE_UINT);
  g_value_set_uint (&interval, 2);

  set_caps (h, "GRAY8", 32, 32);
  gray_bands (colors, 0, 200, 50);

  t[0] = gst_harness_stress_property_start_full (h, "threshold", &threshold,
      100);
  t[1] = gst_harness_stress_property_start_full (h, "top-k", &top_k, 100);
  t[2] = gst_harness_stress_property_start_full (h, "inference-interval",
      &interval, 100);

  for (i = 0; i < 200; i++) {
    GstBuffer *out = gst_harness_push_and_pull (h,
        make_picture (GST_VIDEO_FORMAT_GRAY8, 32, 32, colors));

    fail_unless (out != NULL);
    fail_unless (count_rois (out) <= 1);
    gst_buffer_unref (out);
  }

  for (i = 0; i < G_N_ELEMENTS (t); i++)
    fail_unless (gst_harness_stress_thread_stop (t[i]) > 0);

  /* with interval 2 and this picture every other frame has a result */
  count_results (h);
  for (i = 0; i < 4; i++)
    gst_buffer_unref (gst_harness_push_and_pull (h,
            make_picture (GST_VIDEO_FORMAT_GRAY8, 32, 32, colors)));
  fail_unless_equals_int (count_results (h), 2);

  g_value_unset (&threshold);
  g_value_unset (&top_k);
  g_value_unset (&interval);
  gst_harness_teardown (h);
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
  e = gst_element_factory_make ("dlclassify", NULL);
  g_object_set (e, "model", path, NULL);
  gst_element_set_bus (e, gst_bus_new ());
  gst_object_unref (gst_element_get_bus (e));
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
  gst_harness_teardown (h);
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
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_caps);
  tcase_add_test (tc, test_meta_and_message);
  tcase_add_test (tc, test_passthrough);
  tcase_add_test (tc, test_formats_bands);
  tcase_add_test (tc, test_formats_colors);
  tcase_add_test (tc, test_odd_sizes);
  tcase_add_test (tc, test_tiny);
  tcase_add_test (tc, test_top_k);
  tcase_add_test (tc, test_threshold);
  tcase_add_test (tc, test_inference_interval);
  tcase_add_test (tc, test_gap);
  tcase_add_test (tc, test_logits_model);
  tcase_add_test (tc, test_flat_model);
  tcase_add_test (tc, test_model_without_metadata);
  tcase_add_test (tc, test_labels_file);
  tcase_add_test (tc, test_no_model);
  tcase_add_test (tc, test_missing_model);
  tcase_add_test (tc, test_corrupt_model);
  tcase_add_test (tc, test_unfit_model);
  tcase_add_test (tc, test_bad_labels_file);
  tcase_add_test (tc, test_bad_model_pipeline);
  tcase_add_test (tc, test_state_cycles);
  tcase_add_test (tc, test_change_model);
  tcase_add_test (tc, test_stress_properties);
  tcase_add_test (tc, test_shipped_model);

  return s;
}

GST_CHECK_MAIN (dlclassify);
