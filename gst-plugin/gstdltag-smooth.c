/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/* dltag's temporal smoothing (the "smoothing" property, model mode): each
 * tag's probability becomes the median of N consecutive observations
 * (audio windows or inferred video frames) before the tracker decides.
 * The filter is centred: the median of observations c - N/2 .. c + (N-1)/2
 * stands for observation c and keeps c's time interval, so it is passed
 * on (N-1)/2 observations late but its segments are not shifted by the
 * filter's delay. Near the ends of a signal the median is over the
 * observations there are. The history is finished (its last observations
 * passed on) at EOS, flush, a discontinuity and a caps change, and then
 * forgotten. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdltag-private.h"

#include <string.h>

gboolean
gst_dl_tag_smooth_setup (GstDlTag * self, guint n)
{
  guint k = self->tags->len;

  gst_dl_tag_smooth_free (self);
  self->smooth_n = MAX (n, 1);
  self->smooth_count = 0;
  self->obs_end = GST_CLOCK_TIME_NONE;
  if (self->smooth_n == 1)
    return TRUE;
  self->smooth_probs = g_new0 (gfloat, (gsize) self->smooth_n * k);
  self->smooth_starts = g_new0 (GstClockTime, self->smooth_n);
  self->smooth_ends = g_new0 (GstClockTime, self->smooth_n);
  self->smooth_scratch = g_new0 (gfloat, self->smooth_n);
  return TRUE;
}

void
gst_dl_tag_smooth_free (GstDlTag * self)
{
  g_clear_pointer (&self->smooth_probs, g_free);
  g_clear_pointer (&self->smooth_starts, g_free);
  g_clear_pointer (&self->smooth_ends, g_free);
  g_clear_pointer (&self->smooth_scratch, g_free);
  self->smooth_n = 1;
  self->smooth_count = 0;
  self->obs_end = GST_CLOCK_TIME_NONE;
}

/* Median of @n values (sorted in place; the mean of the middle two for an
 * even @n). */
static gfloat
median (gfloat * v, guint n)
{
  guint i, j;

  for (i = 1; i < n; i++) {
    gfloat x = v[i];

    for (j = i; j > 0 && v[j - 1] > x; j--)
      v[j] = v[j - 1];
    v[j] = x;
  }
  return n % 2 ? v[n / 2] : 0.5f * (v[n / 2 - 1] + v[n / 2]);
}

/* Passes observation @c (0-based since the history began) on with the
 * medians over observations max (0, c - N/2) .. @last. */
static void
gst_dl_tag_smooth_emit (GstDlTag * self, guint64 c, guint64 last,
    gfloat override, GstClockTime min_duration)
{
  guint n = self->smooth_n, k = self->tags->len, i;
  guint64 first = c >= n / 2 ? c - n / 2 : 0, o;
  gfloat *p = (gfloat *) self->probs->data;

  for (i = 0; i < k; i++) {
    guint m = 0;

    for (o = first; o <= last; o++)
      self->smooth_scratch[m++] = self->smooth_probs[(o % n) * k + i];
    p[i] = median (self->smooth_scratch, m);
  }
  gst_dl_tag_observe (self, self->smooth_starts[c % n],
      self->smooth_ends[c % n], override, min_duration);
}

void
gst_dl_tag_push_observation (GstDlTag * self, GstClockTime start,
    GstClockTime end, gfloat override, GstClockTime min_duration)
{
  guint n = self->smooth_n, k = self->tags->len, delay;
  guint64 i;

  if (!GST_CLOCK_TIME_IS_VALID (start) || !GST_CLOCK_TIME_IS_VALID (end))
    return;
  if (end < start)
    end = start;
  self->obs_end = end;
  if (n <= 1 || self->smooth_probs == NULL) {
    gst_dl_tag_observe (self, start, end, override, min_duration);
    return;
  }

  i = self->smooth_count++;
  memcpy (self->smooth_probs + (i % n) * k, self->probs->data,
      k * sizeof (gfloat));
  self->smooth_starts[i % n] = start;
  self->smooth_ends[i % n] = end;
  delay = (n - 1) / 2;
  if (i >= delay)
    gst_dl_tag_smooth_emit (self, i - delay, i, override, min_duration);
}

void
gst_dl_tag_smooth_finish (GstDlTag * self)
{
  guint64 count = self->smooth_count, c;
  guint delay = (self->smooth_n - 1) / 2;
  gfloat override;
  GstClockTime min_duration;

  if (self->smooth_n > 1 && count > 0) {
    gst_dl_tag_live_props (self, &override, &min_duration, NULL);
    for (c = count > delay ? count - delay : 0; c < count; c++)
      gst_dl_tag_smooth_emit (self, c, count - 1, override, min_duration);
  }
  self->smooth_count = 0;
  self->obs_end = GST_CLOCK_TIME_NONE;
}
