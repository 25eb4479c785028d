/* gst-dl: helpers of the dlclassify tests
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

gchar *
model_path (const gchar * name)
{
  return g_build_filename (TEST_MODEL_DIR, name, NULL);
}

/* A picture of TEST_BANDS horizontal bands (row y is in band
 * y * TEST_BANDS / height) of the given colours, in RGB or GRAY8 (which
 * takes the first component). */
GstBuffer *
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
void
gray_bands (guint8 colors[TEST_BANDS][3], gint bright, guint8 hi, guint8 lo)
{
  gint k, c;

  for (k = 0; k < TEST_BANDS; k++)
    for (c = 0; c < 3; c++)
      colors[k][c] = k == bright ? hi : lo;
}

void
uniform (guint8 colors[TEST_BANDS][3], guint8 r, guint8 g, guint8 b)
{
  gint k;

  for (k = 0; k < TEST_BANDS; k++) {
    colors[k][0] = r;
    colors[k][1] = g;
    colors[k][2] = b;
  }
}

void
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

/* bands.onnx on gray bands of values @colors[k][0] (band rows aligned with the
 * model's rows) */
void
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
void
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

/* Gives @e a bus, to collect its element messages. */
void
give_bus (GstElement * e)
{
  GstBus *bus = gst_bus_new ();

  gst_element_set_bus (e, bus);
  gst_object_unref (bus);
}

/* A dlclassify with model @path (absolute) and a bus. */
GstElement *
element_new (const gchar * path)
{
  GstElement *e = gst_element_factory_make ("dlclassify", NULL);

  fail_unless (e != NULL);
  g_object_set (e, "model", path, NULL);
  give_bus (e);
  return e;
}

/* A harness around a dlclassify configured with @model (in TEST_MODEL_DIR)
 * and the given properties. */
GstHarness *
harness_new (const gchar * model, const gchar * first_prop, ...)
{
  gchar *path = model_path (model);
  GstElement *e = element_new (path);
  GstHarness *h;
  va_list args;

  if (first_prop) {
    va_start (args, first_prop);
    g_object_set_valist (G_OBJECT (e), first_prop, args);
    va_end (args);
  }
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  g_free (path);
  return h;
}

/* A harness around "videoconvert ! CAPS ! dlclassify model=MODEL". */
GstHarness *
harness_new_convert (const gchar * model, const gchar * caps)
{
  gchar *path = model_path (model), *desc;
  GstHarness *h;

  desc = g_strdup_printf ("videoconvert ! %s ! dlclassify model=\"%s\"",
      caps, path);
  h = gst_harness_new_parse (desc);
  fail_unless (h != NULL, "could not parse %s", desc);
  give_bus (h->element);
  g_free (desc);
  g_free (path);
  return h;
}

void
set_caps (GstHarness * h, const gchar * format, gint w, gint hgt)
{
  gchar *caps = g_strdup_printf ("video/x-raw,format=%s,width=%d,height=%d,"
      "framerate=30/1", format, w, hgt);

  gst_harness_set_src_caps_str (h, caps);
  g_free (caps);
}

void
harness_teardown (GstHarness * h)
{
  GstBus *bus = gst_element_get_bus (h->element);

  gst_harness_teardown (h);
  if (bus) {
    gst_bus_set_flushing (bus, TRUE);
    /* usable again if the element lives on */
    gst_bus_set_flushing (bus, FALSE);
    gst_object_unref (bus);
  }
}

/* Pops the next element message named "dlclassify", or NULL. */
GstMessage *
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

guint
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
const GstStructure *
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

guint
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
void
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
void
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

GstElement *
element_with_model (const gchar * model)
{
  GstElement *e = gst_element_factory_make ("dlclassify", NULL);
  gchar *path = model ? model_path (model) : NULL;

  fail_unless (e != NULL);
  g_object_set (e, "model", path, NULL);
  g_free (path);
  return e;
}

