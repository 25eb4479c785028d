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
#ifndef DLCLASSIFY_UTIL_H
#define DLCLASSIFY_UTIL_H

#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "../test-model.h"

#ifndef TEST_MODEL_DIR
#error "TEST_MODEL_DIR must point to the directory of the generated models"
#endif
#ifndef TEST_SOURCE_DIR
#error "TEST_SOURCE_DIR must point to tests/check"
#endif

gchar *model_path (const gchar * name);

/* A picture of TEST_BANDS horizontal bands (row y is in band
 * y * TEST_BANDS / height) of the given colours, in RGB or GRAY8 (which
 * takes the first component). */
GstBuffer *make_picture (GstVideoFormat format, gint width, gint height,
    const guint8 colors[TEST_BANDS][3]);

/* gray bands: band @bright at @hi, the others at @lo */
void gray_bands (guint8 colors[TEST_BANDS][3], gint bright, guint8 hi,
    guint8 lo);
void uniform (guint8 colors[TEST_BANDS][3], guint8 r, guint8 g, guint8 b);

void softmax (const gdouble * logits, gdouble * p, gint n);

/* bands.onnx on gray bands of values @colors[k][0] (band rows aligned with
 * the model's rows) */
void expected_bands (const guint8 colors[TEST_BANDS][3], gdouble * p);
/* colors.onnx on a uniform picture */
void expected_colors (const guint8 rgb[3], gdouble * p);

/* Gives @e a bus, to collect its element messages. */
void give_bus (GstElement * e);
/* A dlclassify with model @path (absolute) and a bus. */
GstElement *element_new (const gchar * path);
/* A dlclassify with model @model (in TEST_MODEL_DIR, or NULL), no bus. */
GstElement *element_with_model (const gchar * model);

/* A harness around a dlclassify configured with @model (in TEST_MODEL_DIR)
 * and the given properties. */
GstHarness *harness_new (const gchar * model, const gchar * first_prop, ...);
/* A harness around "videoconvert ! CAPS ! dlclassify model=MODEL". */
GstHarness *harness_new_convert (const gchar * model, const gchar * caps);
void set_caps (GstHarness * h, const gchar * format, gint w, gint hgt);
/* gst_harness_teardown() that also drops the messages left on the bus
 * (they hold references to the element, which holds the bus). */
void harness_teardown (GstHarness * h);

/* Pops the next element message named "dlclassify", or NULL. */
GstMessage *pop_result (GstHarness * h);
/* Pops and counts the "dlclassify" messages. */
guint count_results (GstHarness * h);

/* The "classification" params of the ROI meta on @buf, or NULL. */
const GstStructure *get_params (GstBuffer * buf,
    GstVideoRegionOfInterestMeta ** roi_out);
guint count_rois (GstBuffer * buf);

/* Pushes @buf, pulls the result, checks that it has a meta and one message
 * was posted, and returns the meta's label and confidence. */
void classify (GstHarness * h, GstBuffer * buf, gchar ** label,
    gdouble * conf);

/* Sets @e to PAUSED, expects failure with an ERROR message in the
 * GST_RESOURCE_ERROR domain of @code whose text contains @text1 and @text2
 * (unless NULL). */
void expect_start_error (GstElement * e, gint code, const gchar * text1,
    const gchar * text2);

#endif
