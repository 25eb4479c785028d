/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/* What dlclassify makes of the model output: the checks on the output at
 * start(), the probabilities, the top-k selection, and the results (the
 * ROI meta's parameter structure and the element message). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdlclassify-private.h"

#include <math.h>

/* The op that produces graph output @out, or NULL. */
const gchar *
gst_dl_classify_output_producer_op (const dlnn_graph * g, gint out)
{
  gint i, j;

  for (i = 0; i < g->n_nodes; i++)
    for (j = 0; j < g->nodes[i].n_outputs; j++)
      if (g->nodes[i].outputs[j] == out)
        return g->nodes[i].op_type;
  return NULL;
}

/* The output must hold one score per class: every dimension but one is 1. */
gboolean
gst_dl_classify_output_is_vector (const dlnn_tensor * t)
{
  gint i, n_big = 0;

  for (i = 0; i < t->ndim; i++)
    if (t->dims[i] != 1)
      n_big++;
  return n_big <= 1 && t->size >= 2 && t->size <= G_MAXINT;
}

/* Turns the model output into probabilities in self->probs. FALSE if they
 * are not finite. */
gboolean
gst_dl_classify_scores (GstDlClassify * self, const float *out)
{
  guint i, n = self->n_classes;
  gfloat *p = self->probs;
  gfloat max;
  gdouble sum = 0.0;

  switch (self->scores_kind) {
    case SCORES_PROBABILITIES:
      for (i = 0; i < n; i++) {
        p[i] = out[i];
        sum += p[i];
      }
      break;
    case SCORES_LOG_PROBABILITIES:
      for (i = 0; i < n; i++) {
        p[i] = expf (out[i]);
        sum += p[i];
      }
      break;
    case SCORES_LOGITS:
      max = out[0];
      for (i = 1; i < n; i++)
        if (out[i] > max)
          max = out[i];
      for (i = 0; i < n; i++) {
        p[i] = expf (out[i] - max);
        sum += p[i];
      }
      for (i = 0; i < n; i++)
        p[i] = (gfloat) (p[i] / sum);
      break;
  }

  return isfinite (sum);
}

/* Class @a ranks before class @b: higher probability, ties by lower id. */
static inline gboolean
ranks_before (const gfloat * p, guint a, guint b)
{
  return p[a] > p[b] || (p[a] == p[b] && a < b);
}

/* Restores the heap property below @i of a heap of @n class ids whose root
 * is the one ranking last. */
static void
heap_sift_down (guint * heap, guint n, guint i, const gfloat * p)
{
  for (;;) {
    guint child = 2 * i + 1, tmp;

    if (child >= n)
      return;
    if (child + 1 < n && ranks_before (p, heap[child], heap[child + 1]))
      child++;
    if (!ranks_before (p, heap[i], heap[child]))
      return;
    tmp = heap[i];
    heap[i] = heap[child];
    heap[child] = tmp;
    i = child;
  }
}

/* Puts the @k best class ids, best first, in self->order[0..k-1]: a heap of
 * the k best so far, then sorted in place; O(n log k), no allocation. */
void
gst_dl_classify_select_top (GstDlClassify * self, guint k)
{
  const gfloat *p = self->probs;
  guint *heap = self->order;
  guint i, n = self->n_classes, tmp;

  for (i = 0; i < k; i++)
    heap[i] = i;
  for (i = k / 2; i-- > 0;)
    heap_sift_down (heap, k, i, p);

  for (i = k; i < n; i++) {
    if (ranks_before (p, i, heap[0])) {
      heap[0] = i;
      heap_sift_down (heap, k, 0, p);
    }
  }

  /* the root ranks last: move it to the end, repeat */
  for (i = k; i-- > 1;) {
    tmp = heap[0];
    heap[0] = heap[i];
    heap[i] = tmp;
    heap_sift_down (heap, i, 0, p);
  }
}

static GstStructure *
gst_dl_classify_result_new (GstDlClassify * self, guint rank)
{
  guint id = self->order[rank];

  return gst_structure_new ("classification",
      "label", G_TYPE_STRING, self->labels[id],
      "label_id", G_TYPE_UINT, id,
      "confidence", G_TYPE_DOUBLE, (gdouble) self->probs[id], NULL);
}

void
gst_dl_classify_post_message (GstDlClassify * self, GstBuffer * buf)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  GstClockTime ts = GST_BUFFER_PTS (buf);
  GstClockTime stream_time = GST_CLOCK_TIME_NONE;
  GstClockTime running_time = GST_CLOCK_TIME_NONE;
  GValue list = G_VALUE_INIT;
  GstStructure *s;
  guint id = self->order[0], i;

  if (GST_CLOCK_TIME_IS_VALID (ts)) {
    stream_time = gst_segment_to_stream_time (&trans->segment,
        GST_FORMAT_TIME, ts);
    running_time = gst_segment_to_running_time (&trans->segment,
        GST_FORMAT_TIME, ts);
  }

  g_value_init (&list, GST_TYPE_LIST);
  for (i = 0; i < self->n_results; i++) {
    GValue v = G_VALUE_INIT;

    g_value_init (&v, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&v, gst_dl_classify_result_new (self, i));
    gst_value_list_append_and_take_value (&list, &v);
  }

  s = gst_structure_new ("dlclassify",
      "timestamp", G_TYPE_UINT64, ts,
      "stream-time", G_TYPE_UINT64, stream_time,
      "running-time", G_TYPE_UINT64, running_time,
      "label", G_TYPE_STRING, self->labels[id],
      "label_id", G_TYPE_UINT, id,
      "confidence", G_TYPE_DOUBLE, (gdouble) self->probs[id], NULL);
  gst_structure_take_value (s, "top-k", &list);

  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

void
gst_dl_classify_attach_meta (GstDlClassify * self, GstBuffer * buf)
{
  GstVideoRegionOfInterestMeta *roi;
  GstStructure *params;
  guint id = self->order[0];

  roi = gst_buffer_add_video_region_of_interest_meta (buf, self->labels[id],
      0, 0, self->frame.width, self->frame.height);
  params = gst_dl_classify_result_new (self, 0);
  gst_structure_set (params, "model_name", G_TYPE_STRING, self->model->name,
      NULL);
  gst_video_region_of_interest_meta_add_param (roi, params);
}
