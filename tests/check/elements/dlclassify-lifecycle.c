/* gst-dl: unit tests for dlclassify: errors, states, properties
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
      "dlclassify name=c model=\"%s\" ! fakesink sync=true", path);
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

/* The same element can be started again with another model, but its
 * READY-mutable properties do not change while it plays. */
GST_START_TEST (test_change_model)
{
  gchar *first = model_path ("bands.onnx");
  gchar *second = model_path ("bands-nometa.onnx");
  GstElement *e = element_new (first);
  GstHarness *h = gst_harness_new_with_element (e, "sink", "src");
  guint8 colors[TEST_BANDS][3];
  gdouble conf;
  gchar *label, *now;
  gint threads;

  set_caps (h, "GRAY8", 32, 32);
  gray_bands (colors, 1, 220, 30);
  classify (h, make_picture (GST_VIDEO_FORMAT_GRAY8, 32, 32, colors), &label,
      &conf);
  fail_unless_equals_string (label, "band1");
  g_free (label);

  ASSERT_WARNING (g_object_set (e, "model", second, NULL));
  ASSERT_WARNING (g_object_set (e, "threads", 1, NULL));
  ASSERT_WARNING (g_object_set (e, "labels-file", "x.txt", NULL));
  g_object_get (e, "model", &now, "threads", &threads, NULL);
  fail_unless_equals_string (now, first);
  fail_unless_equals_int (threads, 0);
  g_free (now);
  harness_teardown (h);

  /* stopped: the change is allowed and used at the next start */
  g_object_set (e, "model", second, "threads", 1, NULL);
  h = gst_harness_new_with_element (e, "sink", "src");
  set_caps (h, "GRAY8", 32, 32);
  classify (h, make_picture (GST_VIDEO_FORMAT_GRAY8, 32, 32, colors), &label,
      &conf);
  fail_unless_equals_string (label, "class 1");
  g_free (label);
  harness_teardown (h);

  gst_object_unref (e);
  g_free (first);
  g_free (second);
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

  /* at least 200 frames, and for at least half a second so that every
   * stress thread gets scheduled even on a loaded machine (not a timing
   * assertion: the stop counts below only need each thread to have run) */
  {
    gint64 end = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
    for (i = 0; i < 200 || g_get_monotonic_time () < end; i++) {
      GstBuffer *out = gst_harness_push_and_pull (h,
          make_picture (GST_VIDEO_FORMAT_GRAY8, 32, 32, colors));

      fail_unless (out != NULL);
      fail_unless (count_rois (out) <= 1);
      gst_buffer_unref (out);
      if (i >= 200)
        g_usleep (1000);
    }
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
  harness_teardown (h);
}

GST_END_TEST;

static Suite *
dlclassify_lifecycle_suite (void)
{
  Suite *s = suite_create ("dlclassify-lifecycle");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_no_model);
  tcase_add_test (tc, test_missing_model);
  tcase_add_test (tc, test_corrupt_model);
  tcase_add_test (tc, test_unfit_model);
  tcase_add_test (tc, test_bad_labels_file);
  tcase_add_test (tc, test_bad_model_pipeline);
  tcase_add_test (tc, test_state_cycles);
  tcase_add_test (tc, test_change_model);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_stress_properties);

  return s;
}

GST_CHECK_MAIN (dlclassify_lifecycle);
