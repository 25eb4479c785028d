/* gst-dl: helpers shared by the dltag GstHarness tests (dltag.c,
 * dltag-smooth.c)
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef DLTAG_UTIL_H
#define DLTAG_UTIL_H

#include "dlclassify-util.h"
#include "../test-tag-model.h"

#include <gst/audio/audio.h>

/* Segment boundaries are decided once per hop (100 ms in these tests) for
 * the hop around a window's centre: a boundary lands within hop/2 of the
 * true one, plus the distance between the window centre and the point
 * where the model's decision flips (about 0.06 window = 30 ms for the
 * tones), plus resampling delay. */
#define HOP_MS 100
#define TOLERANCE (120 * GST_MSECOND)
#define AMPLITUDE 0.5

typedef struct
{
  gdouble t0, t1;               /* seconds */
  gdouble freq;                 /* Hz */
} Tone;

typedef struct
{
  gchar *tag;
  GstClockTime start, end;
  gdouble confidence;
} Segment;

/* A dltag element with @model (a file of TEST_MODEL_DIR, may be NULL)
 * and the properties given, in a harness; its bus is kept. */
GstHarness *tag_harness (const gchar * model, const gchar * first_prop,
    ...);
void set_audio_caps (GstHarness * h, GstAudioFormat format, gint rate,
    gint channels);
/* Pushes @duration seconds of @tones (silence elsewhere) as 100 ms
 * buffers from @t_start, checking each comes out unmodified. */
void push_audio (GstHarness * h, GstAudioFormat format, gint rate,
    gint channels, const Tone * tones, gint n_tones, gdouble t_start,
    gdouble duration);
void segment_free (gpointer p);
/* The "dltag" messages posted so far (Segment), in order. */
GPtrArray *pop_segments (GstHarness * h);
void check_segment (GPtrArray * segs, guint i, const gchar * tag,
    gdouble start, gdouble end, GstClockTime tolerance);
/* The keywords of each tag event so far, ',' joined. */
GPtrArray *pop_tag_events (GstHarness * h);
void check_events (GPtrArray * events, const gchar * const *want);
/* A uniform gray 32x24 frame of value @v, frame @i of a 10 fps stream. */
GstBuffer *gray_frame (GstVideoFormat format, guint8 v, gint i);

#endif
