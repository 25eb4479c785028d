/* gst-dl: helpers shared by the dltag GstHarness tests
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#include "dltag-util.h"

#include <math.h>
#include <string.h>

GstHarness *
tag_harness (const gchar * model, const gchar * first_prop, ...)
{
  GstElement *e = gst_element_factory_make ("dltag", NULL);
  GstHarness *h;
  va_list args;

  fail_unless (e != NULL);
  if (model) {
    gchar *path = model_path (model);

    g_object_set (e, "model", path, NULL);
    g_free (path);
  }
  if (first_prop) {
    va_start (args, first_prop);
    g_object_set_valist (G_OBJECT (e), first_prop, args);
    va_end (args);
  }
  give_bus (e);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  return h;
}

void
set_audio_caps (GstHarness * h, GstAudioFormat format, gint rate,
    gint channels)
{
  GstAudioInfo info;

  gst_audio_info_set_format (&info, format, rate, channels, NULL);
  gst_harness_set_src_caps (h, gst_audio_info_to_caps (&info));
}

/* Pushes @duration seconds of the tones (silence elsewhere) as 100 ms
 * buffers starting at @t_start; every pulled buffer is checked to be the
 * pushed one, unmodified. */
void
push_audio (GstHarness * h, GstAudioFormat format, gint rate, gint channels,
    const Tone * tones, gint n_tones, gdouble t_start, gdouble duration)
{
  gint per_buf = rate / 10, n_bufs = (gint) lrint (duration * 10), b, i, c, k;
  gint bps = format == GST_AUDIO_FORMAT_S16LE ? 2 : 4;
  guint64 n0 = (guint64) lrint (t_start * rate);

  for (b = 0; b < n_bufs; b++) {
    GstBuffer *buf = gst_buffer_new_allocate (NULL,
        (gsize) per_buf * channels * bps, NULL), *out;
    GstMapInfo map;
    guint64 first = n0 + (guint64) b * per_buf;
    guint8 *copy;

    fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
    for (i = 0; i < per_buf; i++) {
      gdouble t = (gdouble) (first + i) / rate, v = 0.0;

      for (k = 0; k < n_tones; k++)
        if (t >= tones[k].t0 && t < tones[k].t1)
          v = AMPLITUDE * sin (2 * G_PI * tones[k].freq * t);
      for (c = 0; c < channels; c++) {
        if (bps == 2)
          ((gint16 *) map.data)[i * channels + c] = (gint16) lrint (v *
              32767);
        else
          ((gfloat *) map.data)[i * channels + c] = (gfloat) v;
      }
    }
    copy = g_memdup2 (map.data, map.size);
    gst_buffer_unmap (buf, &map);
    GST_BUFFER_PTS (buf) = gst_util_uint64_scale (first, GST_SECOND, rate);
    GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (per_buf, GST_SECOND,
        rate);

    out = gst_harness_push_and_pull (h, buf);
    fail_unless (out == buf, "not passed through");
    fail_unless (gst_buffer_map (out, &map, GST_MAP_READ));
    fail_unless (memcmp (map.data, copy, map.size) == 0, "data modified");
    gst_buffer_unmap (out, &map);
    gst_buffer_unref (out);
    g_free (copy);
  }
}

void
segment_free (gpointer p)
{
  Segment *s = p;

  g_free (s->tag);
  g_free (s);
}

/* Pops the "dltag" messages, checking their field types. */
GPtrArray *
pop_segments (GstHarness * h)
{
  GPtrArray *segs = g_ptr_array_new_with_free_func (segment_free);
  GstBus *bus = gst_element_get_bus (h->element);
  GstMessage *msg;

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT)) != NULL) {
    const GstStructure *s = gst_message_get_structure (msg);

    if (gst_structure_has_name (s, "dltag")) {
      Segment *seg = g_new0 (Segment, 1);

      seg->tag = g_strdup (gst_structure_get_string (s, "tag"));
      fail_unless (seg->tag != NULL);
      fail_unless (gst_structure_get_uint64 (s, "start", &seg->start));
      fail_unless (gst_structure_get_uint64 (s, "end", &seg->end));
      fail_unless (gst_structure_get_double (s, "confidence",
              &seg->confidence));
      fail_unless (seg->end >= seg->start);
      fail_unless (seg->confidence > 0.0 && seg->confidence <= 1.0);
      GST_INFO ("segment %s %" GST_TIME_FORMAT " - %" GST_TIME_FORMAT
          " %.4f", seg->tag, GST_TIME_ARGS (seg->start),
          GST_TIME_ARGS (seg->end), seg->confidence);
      g_ptr_array_add (segs, seg);
    }
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
  return segs;
}

void
check_segment (GPtrArray * segs, guint i, const gchar * tag, gdouble start,
    gdouble end, GstClockTime tolerance)
{
  Segment *s;
  GstClockTime want_start = (GstClockTime) (start * GST_SECOND);
  GstClockTime want_end = (GstClockTime) (end * GST_SECOND);

  fail_unless (i < segs->len, "segment %u missing (%u)", i, segs->len);
  s = g_ptr_array_index (segs, i);
  fail_unless_equals_string (s->tag, tag);
  fail_unless (ABS ((gint64) s->start - (gint64) want_start) <=
      (gint64) tolerance, "%s start %" GST_TIME_FORMAT " not %.3f s", tag,
      GST_TIME_ARGS (s->start), start);
  fail_unless (ABS ((gint64) s->end - (gint64) want_end) <=
      (gint64) tolerance, "%s end %" GST_TIME_FORMAT " not %.3f s", tag,
      GST_TIME_ARGS (s->end), end);
}

/* The keywords of each tag event that came out so far, ',' joined ("" for
 * an event without keywords), in order. */
GPtrArray *
pop_tag_events (GstHarness * h)
{
  GPtrArray *list = g_ptr_array_new_with_free_func (g_free);
  GstEvent *ev;

  while ((ev = gst_harness_try_pull_event (h)) != NULL) {
    if (GST_EVENT_TYPE (ev) == GST_EVENT_TAG) {
      GstTagList *tags;
      GString *s = g_string_new (NULL);
      guint i, n;

      gst_event_parse_tag (ev, &tags);
      fail_unless_equals_int (gst_tag_list_get_scope (tags),
          GST_TAG_SCOPE_STREAM);
      n = gst_tag_list_get_tag_size (tags, GST_TAG_KEYWORDS);
      for (i = 0; i < n; i++) {
        const gchar *kw;

        fail_unless (gst_tag_list_peek_string_index (tags, GST_TAG_KEYWORDS,
                i, &kw));
        g_string_append_printf (s, "%s%s", i ? "," : "", kw);
      }
      g_ptr_array_add (list, g_string_free (s, FALSE));
    }
    gst_event_unref (ev);
  }
  return list;
}

void
check_events (GPtrArray * events, const gchar * const *want)
{
  guint i, n = g_strv_length ((gchar **) want);

  fail_unless_equals_int (events->len, n);
  for (i = 0; i < n; i++)
    fail_unless_equals_string (g_ptr_array_index (events, i), want[i]);
}


GstBuffer *
gray_frame (GstVideoFormat format, guint8 v, gint i)
{
  guint8 colors[TEST_BANDS][3];
  GstBuffer *buf;

  uniform (colors, v, v, v);
  if (format == GST_VIDEO_FORMAT_GRAY8 || format == GST_VIDEO_FORMAT_RGB) {
    buf = make_picture (format, 32, 24, colors);
  } else {
    GstVideoInfo info;
    GstMapInfo map;

    /* I420: Y plane at v (full range here), neutral chroma */
    gst_video_info_set_format (&info, format, 32, 24);
    buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
    gst_buffer_map (buf, &map, GST_MAP_WRITE);
    memset (map.data, 128, map.size);
    memset (map.data, v, GST_VIDEO_INFO_PLANE_OFFSET (&info, 1));
    gst_buffer_unmap (buf, &map);
  }
  GST_BUFFER_PTS (buf) = i * GST_SECOND / 10;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 10;
  return buf;
}
