/* gst-dl: dlclassify preprocessing properties for imported models
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * A model without dl.* metadata, configured by the color-space, resize,
 * interpolation, mean, std, input-tensor-offset/-scale, input-width/-height
 * and labels-file properties, must classify exactly as the same network
 * carrying the same preprocessing in dl.image; the confidences on uniform
 * pictures are also worked out here from the model's definition (see
 * make-test-model.c), independently of libdlnn.
 */
#include <math.h>
#include <string.h>

#include "dlclassify-util.h"

static gchar *
color_labels (void)
{
  return g_build_filename (TEST_SOURCE_DIR, "color-labels.txt", NULL);
}

/* A harness around a dlclassify with @model whose properties are set from
 * strings, as gst-launch-1.0 does: NULL-terminated name, value pairs. */
static GstHarness *
harness_with_args (const gchar * model, ...)
{
  gchar *path = model_path (model);
  GstElement *e = element_new (path);
  const gchar *name;
  GstHarness *h;
  va_list args;

  va_start (args, model);
  while ((name = va_arg (args, const gchar *)) != NULL)
    gst_util_set_object_arg (G_OBJECT (e), name, va_arg (args,
            const gchar *));
  va_end (args);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  g_free (path);
  return h;
}

/* An RGB picture of noise around a colour that changes with @seed. */
static GstBuffer *
noise_picture (gint width, gint height, guint seed)
{
  GRand *r = g_rand_new_with_seed (seed);
  GstVideoInfo info;
  GstVideoFrame frame;
  GstBuffer *buf;
  gint x, y, c, base[3];

  for (c = 0; c < 3; c++)
    base[c] = g_rand_int_range (r, 40, 216);
  fail_unless (gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGB, width,
          height));
  buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  fail_unless (gst_video_frame_map (&frame, &info, buf, GST_MAP_WRITE));
  for (y = 0; y < height; y++) {
    guint8 *row = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame, 0) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
    for (x = 0; x < width; x++)
      for (c = 0; c < 3; c++)
        row[3 * x + c] = (guint8) CLAMP (base[c] + g_rand_int_range (r, -40,
                41), 0, 255);
  }
  gst_video_frame_unmap (&frame);
  g_rand_free (r);
  return buf;
}

/* colors network on a uniform picture @rgb, tensor channels @order (indices
 * into rgb), each normalised as ((p - offset) / scale - mean) / std */
static void
expected_norm (const guint8 rgb[3], const gint order[3], gdouble offset,
    gdouble scale, const gdouble mean[3], const gdouble std[3], gdouble * p)
{
  gdouble x[3], logits[3], sum = 0.0;
  gint c;

  for (c = 0; c < 3; c++)
    sum += (x[c] = ((rgb[order[c]] - offset) / scale - mean[c]) / std[c]);
  for (c = 0; c < 3; c++)
    logits[c] = TEST_MODEL_GAIN * (x[c] - (sum - x[c]) / 2);
  softmax (logits, p, 3);
}

static gint
argmax3 (const gdouble * p)
{
  return p[0] >= p[1] && p[0] >= p[2] ? 0 : p[1] >= p[2] ? 1 : 2;
}

/* Properties on a model without metadata == the same preprocessing in
 * dl.image (TEST_NORM_IMAGE): bgr, crop, bilinear, per-channel mean/std. */
GST_START_TEST (test_props_equal_metadata)
{
  gchar *labels = color_labels ();
  GstHarness *meta = harness_new ("colors-norm.onnx", NULL);
  GstHarness *props = harness_with_args ("colors-nometa.onnx",
      "labels-file", labels, "color-space", "BGR", "resize", "crop",
      "interpolation", "bilinear", "mean", "0.4,0.5,0.6",
      "std", "0.2, 0.25, 0.3", NULL);
  static const gchar *names[3] = { "red", "green", "blue" };
  guint seed, seen = 0;

  set_caps (meta, "RGB", 40, 24);
  set_caps (props, "RGB", 40, 24);
  for (seed = 1; seed <= 24; seed++) {
    GstBuffer *buf = noise_picture (40, 24, seed);
    gchar *l1, *l2;
    gdouble c1, c2;
    gint k;

    classify (meta, gst_buffer_ref (buf), &l1, &c1);
    classify (props, buf, &l2, &c2);
    fail_unless_equals_string (l2, l1);
    fail_unless (fabs (c1 - c2) < 1e-5, "seed %u: %f vs %f", seed, c1, c2);
    for (k = 0; k < 3; k++)
      if (strcmp (l1, names[k]) == 0)
        seen |= 1u << k;
    g_free (l1);
    g_free (l2);
  }
  /* the pictures are varied enough to reach every class */
  fail_unless_equals_int (seen, 7);

  /* uniform pictures against the definition */
  {
    static const guint8 rgbs[][3] = { {200, 60, 90}, {30, 220, 40},
    {90, 100, 250}, {128, 128, 128}
    };
    static const gint bgr[3] = { 2, 1, 0 };
    static const gdouble mean[3] = { 0.4, 0.5, 0.6 };
    static const gdouble std[3] = { 0.2, 0.25, 0.3 };
    guint i;

    for (i = 0; i < G_N_ELEMENTS (rgbs); i++) {
      guint8 colors[TEST_BANDS][3];
      gdouble p[3], conf;
      gchar *label;
      gint k;

      uniform (colors, rgbs[i][0], rgbs[i][1], rgbs[i][2]);
      expected_norm (rgbs[i], bgr, 0.0, 255.0, mean, std, p);
      k = argmax3 (p);
      classify (props, make_picture (GST_VIDEO_FORMAT_RGB, 40, 24, colors),
          &label, &conf);
      fail_unless_equals_string (label, names[k]);
      fail_unless (fabs (conf - p[k]) < 1e-4, "%f, want %f", conf, p[k]);
      g_free (label);
    }
  }

  harness_teardown (meta);
  harness_teardown (props);
  g_free (labels);
}

GST_END_TEST;

/* gst-plugins-bad's input-tensor-offset / input-tensor-scale, alone and
 * combined with mean and std. */
GST_START_TEST (test_props_offset_scale)
{
  static const gint rgb_order[3] = { 0, 1, 2 };
  static const gdouble zero[3] = { 0, 0, 0 }, one[3] = { 1, 1, 1 };
  static const gdouble mean[3] = { 0.1, 0.1, 0.1 };
  static const gdouble std[3] = { 0.5, 0.5, 0.5 };
  static const guint8 rgbs[][3] = { {200, 60, 90}, {30, 220, 40},
  {90, 100, 250}, {10, 20, 15}
  };
  struct
  {
    const gchar *offset, *scale, *mean, *std;
    gdouble o, s;
    const gdouble *m, *d;
  } cases[] = {
    {"102", "51", NULL, NULL, 102, 51, zero, one},
    {"10", "200", "0.1", "0.5", 10, 200, mean, std},
    {NULL, "127.5", NULL, NULL, 0, 127.5, zero, one},
  };
  guint i, j;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    /* the unset ones (NULL) end the list early: they come last */
    GstHarness *h = harness_with_args ("colors-nometa.onnx",
        "input-tensor-scale", cases[i].scale,
        cases[i].offset ? "input-tensor-offset" : NULL, cases[i].offset,
        cases[i].mean ? "mean" : NULL, cases[i].mean,
        cases[i].std ? "std" : NULL, cases[i].std, NULL);

    set_caps (h, "RGB", 16, 16);
    for (j = 0; j < G_N_ELEMENTS (rgbs); j++) {
      guint8 colors[TEST_BANDS][3];
      gdouble p[3], conf;
      gchar *label, *want;
      gint k;

      uniform (colors, rgbs[j][0], rgbs[j][1], rgbs[j][2]);
      expected_norm (rgbs[j], rgb_order, cases[i].o, cases[i].s, cases[i].m,
          cases[i].d, p);
      k = argmax3 (p);
      classify (h, make_picture (GST_VIDEO_FORMAT_RGB, 16, 16, colors),
          &label, &conf);
      want = g_strdup_printf ("class %d", k);
      fail_unless_equals_string (label, want);
      fail_unless (fabs (conf - p[k]) < 1e-4, "case %u: %f, want %f", i, conf,
          p[k]);
      g_free (want);
      g_free (label);
    }
    harness_teardown (h);
  }
}

GST_END_TEST;

/* Properties override dl.image: colors.onnx (rgb) read as bgr. */
GST_START_TEST (test_props_override_metadata)
{
  GstHarness *h = harness_with_args ("colors.onnx", "color-space", "bgr",
      NULL);
  guint8 colors[TEST_BANDS][3], swapped[3] = { 40, 50, 230 };
  gdouble p[3], conf;
  gchar *label;

  set_caps (h, "RGB", 16, 16);
  /* a red picture seen as bgr is blue */
  uniform (colors, 230, 50, 40);
  expected_colors (swapped, p);
  classify (h, make_picture (GST_VIDEO_FORMAT_RGB, 16, 16, colors), &label,
      &conf);
  fail_unless_equals_string (label, "blue");
  fail_unless (fabs (conf - p[2]) < 1e-4, "%f, want %f", conf, p[2]);
  g_free (label);
  harness_teardown (h);
}

GST_END_TEST;

/* A flat [1,768] input without metadata needs the size and colour from
 * properties. */
GST_START_TEST (test_props_flat_input)
{
  GstElement *e = element_with_model ("colors-flat-nometa.onnx");
  GstHarness *h;
  guint8 colors[TEST_BANDS][3], rgb[3] = { 30, 200, 60 };
  gdouble p[3], conf;
  gchar *label;

  expect_start_error (e, GST_RESOURCE_ERROR_SETTINGS, "no dl.image",
      "input-width");
  gst_object_unref (e);

  h = harness_with_args ("colors-flat-nometa.onnx", "input-width", "16",
      "input-height", "16", "color-space", "RGB", NULL);
  set_caps (h, "RGB", 64, 48);
  uniform (colors, rgb[0], rgb[1], rgb[2]);
  expected_colors (rgb, p);
  classify (h, make_picture (GST_VIDEO_FORMAT_RGB, 64, 48, colors), &label,
      &conf);
  fail_unless_equals_string (label, "class 1");
  fail_unless (fabs (conf - p[1]) < 1e-4, "%f, want %f", conf, p[1]);
  g_free (label);
  harness_teardown (h);
}

GST_END_TEST;

static void
expect_props_error (const gchar * model, const gchar * name,
    const gchar * value, const gchar * text1, const gchar * text2)
{
  GstElement *e = element_with_model (model);

  gst_util_set_object_arg (G_OBJECT (e), name, value);
  expect_start_error (e, GST_RESOURCE_ERROR_SETTINGS, text1, text2);
  gst_object_unref (e);
}

GST_START_TEST (test_props_errors)
{
  expect_props_error ("colors-nometa.onnx", "mean", "0.1,0.2", "\"mean\"",
      "0.1,0.2");
  expect_props_error ("colors-nometa.onnx", "mean", "0.1,x,0.3", "\"mean\"",
      NULL);
  expect_props_error ("colors-nometa.onnx", "std", "", "\"std\"", NULL);
  expect_props_error ("colors-nometa.onnx", "std", "0", "std", "non-zero");
  expect_props_error ("bands-nometa.onnx", "mean", "0.1,0.2,0.3",
      "three mean or std", NULL);
  expect_props_error ("colors-nometa.onnx", "input-width", "20",
      "does not fit", "width=20");
  expect_props_error ("colors-nometa.onnx", "color-space", "gray",
      "does not fit", "color=gray");
}

GST_END_TEST;

/* Defaults and mutability as gst-inspect-1.0 shows them. */
GST_START_TEST (test_props_defaults)
{
  GstElement *e = gst_element_factory_make ("dlclassify", NULL);
  GObjectClass *klass = G_OBJECT_GET_CLASS (e);
  static const gchar *names[] = { "color-space", "input-width",
    "input-height", "resize", "interpolation", "mean", "std",
    "input-tensor-offset", "input-tensor-scale"
  };
  gfloat scale, offset;
  gchar *mean;
  guint i;
  gint cs;

  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    GParamSpec *ps = g_object_class_find_property (klass, names[i]);
    fail_unless (ps != NULL, "no property %s", names[i]);
    fail_unless (ps->flags & GST_PARAM_MUTABLE_READY, "%s", names[i]);
    fail_unless (g_param_spec_get_blurb (ps) != NULL);
  }
  g_object_get (e, "input-tensor-scale", &scale, "input-tensor-offset",
      &offset, "mean", &mean, "color-space", &cs, NULL);
  fail_unless (scale == 255.0f && offset == 0.0f && mean == NULL);
  gst_util_set_object_arg (G_OBJECT (e), "color-space", "BGR");
  g_object_get (e, "color-space", &cs, NULL);
  fail_unless_equals_int (cs, 2);
  gst_util_set_object_arg (G_OBJECT (e), "color-space", "auto");
  g_object_get (e, "color-space", &cs, NULL);
  fail_unless_equals_int (cs, -1);
  gst_object_unref (e);
}

GST_END_TEST;

static Suite *
dlclassify_props_suite (void)
{
  Suite *s = suite_create ("dlclassify-props");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_props_equal_metadata);
  tcase_add_test (tc, test_props_offset_scale);
  tcase_add_test (tc, test_props_override_metadata);
  tcase_add_test (tc, test_props_flat_input);
  tcase_add_test (tc, test_props_errors);
  tcase_add_test (tc, test_props_defaults);
  return s;
}

GST_CHECK_MAIN (dlclassify_props);
