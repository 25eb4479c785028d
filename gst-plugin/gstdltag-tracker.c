/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/* What dltag makes of a sequence of observations (a probability per tag
 * over a time interval): per-tag hysteresis (min-duration), segments and
 * their "dltag" messages, and GST_EVENT_TAG when the set of tags that are
 * on changes. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdltag-private.h"

#include <string.h>

guint
gst_dl_tag_add (GstDlTag * self, const gchar * name, gfloat threshold)
{
  GstDlTagState t;
  gfloat zero = 0.0f;

  memset (&t, 0, sizeof (t));
  t.name = g_strdup (name);
  t.threshold = threshold;
  t.pending_start = t.seg_start = GST_CLOCK_TIME_NONE;
  g_array_append_val (self->tags, t);
  g_array_append_val (self->probs, zero);
  return self->tags->len - 1;
}

gint
gst_dl_tag_find (GstDlTag * self, const gchar * name)
{
  guint i;

  for (i = 0; i < self->tags->len; i++)
    if (strcmp (g_array_index (self->tags, GstDlTagState, i).name,
            name) == 0)
      return (gint) i;
  return -1;
}

void
gst_dl_tag_clear_tags (GstDlTag * self)
{
  guint i;

  if (self->tags == NULL)
    return;
  for (i = 0; i < self->tags->len; i++)
    g_free (g_array_index (self->tags, GstDlTagState, i).name);
  g_array_set_size (self->tags, 0);
  g_array_set_size (self->probs, 0);
}

static void
gst_dl_tag_post_segment (GstDlTag * self, GstDlTagState * t,
    GstClockTime end)
{
  GstStructure *s;
  gdouble confidence = t->seg_n > 0 ? t->seg_sum / t->seg_n : 0.0;

  GST_DEBUG_OBJECT (self, "segment %s %" GST_TIME_FORMAT " - %"
      GST_TIME_FORMAT " confidence %.3f", t->name,
      GST_TIME_ARGS (t->seg_start), GST_TIME_ARGS (end), confidence);

  s = gst_structure_new ("dltag",
      "tag", G_TYPE_STRING, t->name,
      "start", G_TYPE_UINT64, t->seg_start,
      "end", G_TYPE_UINT64, end,
      "confidence", G_TYPE_DOUBLE, confidence, NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

GstEvent *
gst_dl_tag_make_event (GstDlTag * self, const GstTagList * upstream)
{
  GstTagList *list;
  guint i;

  list = upstream ? gst_tag_list_copy (upstream) : gst_tag_list_new_empty ();
  gst_tag_list_set_scope (list, GST_TAG_SCOPE_STREAM);
  for (i = 0; i < self->tags->len; i++) {
    GstDlTagState *t = &g_array_index (self->tags, GstDlTagState, i);

    gchar **extra;

    if (!t->on)
      continue;
    gst_tag_list_add (list, GST_TAG_MERGE_APPEND, GST_TAG_KEYWORDS, t->name,
        NULL);
    for (extra = self->extra_tag_names; extra && *extra; extra++)
      gst_tag_list_add (list, GST_TAG_MERGE_APPEND, *extra, t->name, NULL);
  }
  return gst_event_new_tag (list);
}

/* Pushes a tag event if the set of tags that are on differs from the last
 * one pushed. */
static void
gst_dl_tag_push_if_changed (GstDlTag * self)
{
  gboolean changed = FALSE;
  guint i;

  for (i = 0; i < self->tags->len; i++) {
    GstDlTagState *t = &g_array_index (self->tags, GstDlTagState, i);

    if (t->on != t->pushed)
      changed = TRUE;
    t->pushed = t->on;
  }
  if (!changed)
    return;

  GST_DEBUG_OBJECT (self, "tag set changed");
  gst_pad_push_event (GST_BASE_TRANSFORM_SRC_PAD (self),
      gst_dl_tag_make_event (self, self->upstream_tags));
}

void
gst_dl_tag_observe (GstDlTag * self, GstClockTime start, GstClockTime end,
    gfloat override, GstClockTime min_duration)
{
  const gfloat *probs = (const gfloat *) self->probs->data;
  guint i;

  if (!GST_CLOCK_TIME_IS_VALID (start) || !GST_CLOCK_TIME_IS_VALID (end))
    return;
  if (end < start)
    end = start;

  for (i = 0; i < self->tags->len; i++) {
    GstDlTagState *t = &g_array_index (self->tags, GstDlTagState, i);
    gfloat p = probs[i];
    gfloat thr = override >= 0.0f ? override : t->threshold;
    gboolean raw = p > 0.0f && p >= thr;

    if (raw == t->on) {
      /* a pending change that did not last */
      if (t->pending && t->on) {
        t->seg_sum += t->pending_sum;
        t->seg_n += t->pending_n;
      }
      t->pending = FALSE;
      if (t->on) {
        t->seg_sum += p;
        t->seg_n++;
      }
      continue;
    }

    if (!t->pending) {
      t->pending = TRUE;
      t->pending_start = start;
      t->pending_sum = 0.0;
      t->pending_n = 0;
    }
    if (raw) {
      t->pending_sum += p;
      t->pending_n++;
    }
    if (end - t->pending_start < min_duration)
      continue;

    if (!t->on) {
      t->on = TRUE;
      t->seg_start = t->pending_start;
      t->seg_sum = t->pending_sum;
      t->seg_n = t->pending_n;
    } else {
      gst_dl_tag_post_segment (self, t, t->pending_start);
      t->on = FALSE;
    }
    t->pending = FALSE;
  }

  self->last_end = end;
  gst_dl_tag_push_if_changed (self);
}

void
gst_dl_tag_close_all (GstDlTag * self, GstClockTime end)
{
  guint i;

  for (i = 0; i < self->tags->len; i++) {
    GstDlTagState *t = &g_array_index (self->tags, GstDlTagState, i);

    if (t->on) {
      /* an off period that had begun ends the segment where it began */
      GstClockTime seg_end = t->pending ? t->pending_start : end;

      if (!GST_CLOCK_TIME_IS_VALID (seg_end) || seg_end < t->seg_start)
        seg_end = t->seg_start;
      gst_dl_tag_post_segment (self, t, seg_end);
    }
    t->on = FALSE;
    t->pending = FALSE;
  }
  self->last_end = GST_CLOCK_TIME_NONE;
}
