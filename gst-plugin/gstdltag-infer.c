/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/* Where dltag's observations come from: the tag model on audio windows or
 * video frames, or the ROI metas of an upstream dlclassify; and the model
 * checks at start() and the caps checks at set_caps(). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdltag-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The output must hold one probability per tag: every dimension but one
 * is 1. */
static gboolean
output_is_vector (const dlnn_tensor * t)
{
  gint i, n_big = 0;

  for (i = 0; i < t->ndim; i++)
    if (t->dims[i] != 1)
      n_big++;
  return n_big <= 1 && t->size >= 1 && t->size <= G_MAXINT;
}

static const gchar *
output_producer_op (const dlnn_graph * g, gint out)
{
  gint i, j;

  for (i = 0; i < g->n_nodes; i++)
    for (j = 0; j < g->nodes[i].n_outputs; j++)
      if (g->nodes[i].outputs[j] == out)
        return g->nodes[i].op_type;
  return NULL;
}

static gboolean
gst_dl_tag_setup_audio (GstDlTag * self, const gchar * meta,
    guint window_ms, guint hop_ms)
{
  const dlnn_graph *g = self->model->graph;
  const dlnn_value *in;
  dlnn_audio_cfg cfg;
  dlnn_status st;
  GError *err = NULL;
  gint64 dims[4];
  gchar shape[160];
  gint64 t;
  const gchar *centre_str;

  dlnn_status_clear (&st);
  if (dlnn_audio_cfg_parse (meta, &cfg, &st) != DLNN_OK)
    goto bad_meta;
  if (g->n_inputs != 1)
    goto bad_input;
  in = &g->values[g->inputs[0]];
  dlnn_shape_str (in->ndim, in->dims, shape, sizeof (shape));
  if (in->ndim != 4 || in->dims[0] > 1 || in->dims[0] == 0 ||
      (in->dims[1] >= 0 && in->dims[1] != 1) ||
      (in->dims[3] >= 0 && in->dims[3] != cfg.n_mels) || in->dims[2] == 0)
    goto bad_input;

  if (in->dims[2] > 0) {
    t = in->dims[2];
    if (window_ms > 0 && lrint (window_ms / cfg.hop_ms) != t)
      goto bad_window;
  } else {
    t = lrint ((window_ms > 0 ? window_ms : 1000) / cfg.hop_ms);
    if (t < 1)
      t = 1;
  }
  self->t_frames = (guint) t;
  self->n_mels = (guint) cfg.n_mels;
  self->hop_frames = (guint) MAX (1, lrint (hop_ms / cfg.hop_ms));

  /* a model that weighs its window unevenly (crnn: a forward GRU averaged
   * over time hears the older frames longer) says where its results
   * stand; otherwise the window's centre */
  self->centre = 0.5;
  centre_str = dlnn_graph_get_meta (g, "dl.tag_centre");
  if (centre_str != NULL) {
    gchar *end = NULL;

    self->centre = g_ascii_strtod (centre_str, &end);
    if (end == centre_str || *end != '\0' || !isfinite (self->centre) ||
        self->centre < 0.0 || self->centre > 1.0)
      goto bad_centre;
  }
  /* that point between the oldest and the newest frame's centre (which
   * lie half a frame inside the window's ends); 0.5 for the centre */
  self->centre_span = t > 1 ?
      CLAMP ((self->centre * t - 0.5) / (t - 1), 0.0, 1.0) : 0.5;

  self->audio = gst_dl_audio_new (&cfg, &err);
  if (self->audio == NULL)
    goto audio_failed;

  dims[0] = 1;
  dims[1] = 1;
  dims[2] = t;
  dims[3] = cfg.n_mels;
  if (dlnn_exec_reshape (self->exec, 0, 4, dims, &st) != DLNN_OK)
    goto reshape_failed;
  self->input = dlnn_exec_input (self->exec, 0)->data;
  self->ring = g_new0 (gfloat, (gsize) self->t_frames * self->n_mels);
  self->input_kind = GST_DL_TAG_INPUT_AUDIO;

  GST_INFO_OBJECT (self, "audio model: window %u frames (%.0f ms), hop %u "
      "frames (%.0f ms), results stand at %.3f of the window",
      self->t_frames, self->t_frames * cfg.hop_ms, self->hop_frames,
      self->hop_frames * cfg.hop_ms, self->centre);
  return TRUE;

  /* ERRORS */
bad_meta:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Model file \"%s\" has invalid dl.audio metadata \"%s\": %s",
            self->model->path, meta, st.message), (NULL));
    return FALSE;
  }
bad_input:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Model file \"%s\": an audio tag model takes one input [1, 1, T, "
            "%d] (a patch of log-mel frames), not %s.", self->model->path,
            cfg.n_mels, g->n_inputs == 1 ? shape : "several inputs"),
        (NULL));
    return FALSE;
  }
bad_centre:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Model file \"%s\" has invalid dl.tag_centre metadata \"%s\" (a "
            "fraction of the window, 0 to 1).", self->model->path,
            centre_str), (NULL));
    return FALSE;
  }
bad_window:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Model file \"%s\" takes windows of %" G_GINT64_FORMAT " frames "
            "(%.0f ms); the window property asks for %u ms.",
            self->model->path, t, t * cfg.hop_ms, window_ms), (NULL));
    return FALSE;
  }
audio_failed:
  {
    gst_dl_model_post_error (GST_ELEMENT (self), err);
    g_clear_error (&err);
    return FALSE;
  }
reshape_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Model file \"%s\" cannot run on a window of %" G_GINT64_FORMAT
            " frames: %s", self->model->path, t, st.message), (NULL));
    return FALSE;
  }
}

static gboolean
gst_dl_tag_setup_video (GstDlTag * self)
{
  dlnn_image_cfg cfg;
  dlnn_status st;
  GError *err = NULL;
  gint ndim;
  gint64 dims[DLNN_MAX_DIMS];

  dlnn_status_clear (&st);
  if (!gst_dl_model_image_input (self->model, NULL, &cfg, &ndim, dims, &err))
    goto model_error;
  if (dlnn_exec_reshape (self->exec, 0, ndim, dims, &st) != DLNN_OK)
    goto reshape_failed;
  self->input = dlnn_exec_input (self->exec, 0)->data;
  self->image = dlnn_image_ctx_new (&cfg, &st);
  if (self->image == NULL)
    goto reshape_failed;
  self->input_kind = GST_DL_TAG_INPUT_VIDEO;
  return TRUE;

  /* ERRORS */
model_error:
  {
    gst_dl_model_post_error (GST_ELEMENT (self), err);
    g_clear_error (&err);
    return FALSE;
  }
reshape_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Model file \"%s\" cannot run on a single image: %s",
            self->model->path, st.message), (NULL));
    return FALSE;
  }
}

/* Index of the tag that dl.thresholds key @key names: the tag of that
 * name, or, when a labels-file renamed the tags, the position of @key in
 * the model's own dl.labels (@model_labels, may be NULL). -1 if none. */
static gint
threshold_tag_index (GstDlTag * self, const gchar * key,
    gchar ** model_labels, gint n_model_labels)
{
  gint i;

  if (model_labels == NULL)
    return gst_dl_tag_find (self, key);
  for (i = 0; i < n_model_labels && i < (gint) self->tags->len; i++)
    if (strcmp (model_labels[i], key) == 0)
      return i;
  return -1;
}

/* dl.thresholds over the tags' defaults. */
static gboolean
gst_dl_tag_read_thresholds (GstDlTag * self)
{
  const gchar *json = dlnn_graph_get_meta (self->model->graph,
      "dl.thresholds");
  const gchar *labels_json = dlnn_graph_get_meta (self->model->graph,
      "dl.labels");
  dlnn_status st;
  gchar **keys = NULL, **model_labels = NULL;
  gdouble *values = NULL;
  gint n = 0, n_model_labels = 0, i, k;

  if (json == NULL) {
    GST_INFO_OBJECT (self, "no dl.thresholds: %.2f for every tag",
        DEFAULT_TAG_THRESHOLD);
    return TRUE;
  }
  dlnn_status_clear (&st);
  if (dlnn_json_parse_number_object (json, &keys, &values, &n, &st)
      != DLNN_OK) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Model file \"%s\" has invalid dl.thresholds metadata: %s",
            self->model->path, st.message), (NULL));
    return FALSE;
  }
  /* with a labels-file, the keys still name the model's dl.labels */
  if (g_strcmp0 (self->model->labels_source, "dl.labels") != 0 &&
      labels_json != NULL && dlnn_json_parse_string_array (labels_json,
          &model_labels, &n_model_labels, &st) != DLNN_OK)
    model_labels = NULL;
  for (i = 0; i < n; i++) {
    k = threshold_tag_index (self, keys[i], model_labels, n_model_labels);
    if (k < 0)
      GST_WARNING_OBJECT (self, "dl.thresholds names \"%s\", which is not "
          "a tag of the model", keys[i]);
    else
      g_array_index (self->tags, GstDlTagState, k).threshold =
          (gfloat) values[i];
  }
  dlnn_strv_free (keys, n);
  if (model_labels)
    dlnn_strv_free (model_labels, n_model_labels);
  free (values);
  return TRUE;
}

gboolean
gst_dl_tag_setup_model (GstDlTag * self, const gchar * model_path,
    const gchar * labels_file, guint window_ms, guint hop_ms)
{
  GError *err = NULL;
  dlnn_status st;
  const gchar *audio_meta, *image_meta, *last_op;
  const dlnn_tensor *out;
  gchar shape[160];
  guint i, k;

  dlnn_status_clear (&st);
  if (model_path == NULL || model_path[0] == '\0')
    goto no_model;

  self->model = gst_dl_model_load (model_path, labels_file, &err);
  if (self->model == NULL)
    goto model_error;
  if (g_strcmp0 (self->model->task, "tag") != 0)
    goto wrong_task;

  audio_meta = dlnn_graph_get_meta (self->model->graph, "dl.audio");
  image_meta = dlnn_graph_get_meta (self->model->graph, "dl.image");
  if (audio_meta == NULL && image_meta == NULL)
    goto no_input_meta;
  if (audio_meta != NULL && image_meta != NULL)
    GST_INFO_OBJECT (self, "model has dl.audio and dl.image: an audio "
        "tagger (dl.image ignored)");

  self->exec = dlnn_exec_new (self->model->graph, DLNN_EXEC_INFERENCE, &st);
  if (self->exec == NULL)
    goto exec_failed;
  if (audio_meta != NULL) {
    if (!gst_dl_tag_setup_audio (self, audio_meta, window_ms, hop_ms))
      return FALSE;
  } else if (!gst_dl_tag_setup_video (self)) {
    return FALSE;
  }

  out = dlnn_exec_output (self->exec, 0);
  dlnn_shape_str (out->ndim, out->dims, shape, sizeof (shape));
  if (!output_is_vector (out))
    goto bad_output;
  k = (guint) out->size;
  if (self->model->labels != NULL && (guint) self->model->n_labels != k)
    goto labels_mismatch;
  for (i = 0; i < k; i++) {
    gchar *name = self->model->labels ? g_strdup (self->model->labels[i]) :
        g_strdup_printf ("tag %u", i);

    gst_dl_tag_add (self, name, DEFAULT_TAG_THRESHOLD);
    g_free (name);
  }
  if (!gst_dl_tag_read_thresholds (self))
    return FALSE;

  last_op = output_producer_op (self->model->graph,
      self->model->graph->outputs[0]);
  self->apply_sigmoid = g_strcmp0 (last_op, "Sigmoid") != 0;
  if (self->apply_sigmoid)
    GST_WARNING_OBJECT (self, "model %s does not end with Sigmoid (%s): "
        "applying one to its output", model_path, last_op ? last_op : "-");

  GST_INFO_OBJECT (self, "model %s: %s input, output %s, %u tags",
      model_path, audio_meta ? "audio" : "video", shape, k);
  return TRUE;

  /* ERRORS */
no_model:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("No model set."),
        ("Set the \"model\" property to an ONNX tag model file, or "
            "mode=metadata."));
    return FALSE;
  }
model_error:
  {
    gst_dl_model_post_error (GST_ELEMENT (self), err);
    g_clear_error (&err);
    return FALSE;
  }
wrong_task:
  {
    if (self->model->task)
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("Model file \"%s\" is made for dl.task=%s, not tag.", model_path,
              self->model->task), (NULL));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("Model file \"%s\" has no dl.task metadata; dltag needs a model "
              "with dl.task=tag.", model_path), (NULL));
    return FALSE;
  }
no_input_meta:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Model file \"%s\" has neither dl.audio (an audio tagger) nor "
            "dl.image (a video tagger) metadata.", model_path),
        (NULL));
    return FALSE;
  }
exec_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Model file \"%s\" cannot run: %s", model_path, st.message),
        (NULL));
    return FALSE;
  }
bad_output:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Model file \"%s\" is not a tagger: its output %s is not a vector "
            "of tag probabilities.", model_path, shape), (NULL));
    return FALSE;
  }
labels_mismatch:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Model file \"%s\" has %u outputs but %s has %d labels.",
            model_path, k, self->model->labels_source,
            self->model->n_labels), (NULL));
    return FALSE;
  }
}

gboolean
gst_dl_tag_setup_metadata (GstDlTag * self, const gchar * labels_file)
{
  dlnn_status st;
  gchar **labels = NULL;
  gint n = 0, i;

  self->input_kind = GST_DL_TAG_INPUT_NONE;
  if (labels_file == NULL)
    return TRUE;

  dlnn_status_clear (&st);
  if (dlnn_labels_read_file (labels_file, &labels, &n, &st) != DLNN_OK) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("Could not read labels file \"%s\": %s", labels_file, st.message),
        (NULL));
    return FALSE;
  }
  for (i = 0; i < n; i++)
    gst_dl_tag_add (self, labels[i], 0.0f);
  dlnn_strv_free (labels, n);
  self->labels_fixed = TRUE;
  return TRUE;
}

void
gst_dl_tag_teardown (GstDlTag * self)
{
  g_clear_pointer (&self->audio, gst_dl_audio_free);
  g_clear_pointer (&self->image, dlnn_image_ctx_free);
  g_clear_pointer (&self->exec, dlnn_exec_free);
  g_clear_pointer (&self->model, gst_dl_model_unref);
  g_clear_pointer (&self->ring, g_free);
  gst_dl_tag_smooth_free (self);
  gst_dl_tag_clear_tags (self);
  self->input = NULL;
  self->input_kind = GST_DL_TAG_INPUT_NONE;
  self->labels_fixed = FALSE;
  self->apply_sigmoid = FALSE;
}

void
gst_dl_tag_reset_input (GstDlTag * self)
{
  if (self->audio)
    gst_dl_audio_reset (self->audio);
  self->n_received = 0;
  self->audio_base = GST_CLOCK_TIME_NONE;
  self->inferred_once = FALSE;
  self->since_last = 0;
}

gboolean
gst_dl_tag_configure (GstDlTag * self, GstCaps * caps)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);
  gboolean is_audio = gst_structure_has_name (s, "audio/x-raw");
  GstAudioInfo ainfo;
  GError *err = NULL;

  /* a new format: the observations of the old one are decided */
  gst_dl_tag_smooth_finish (self);
  gst_dl_tag_reset_input (self);

  switch (self->input_kind) {
    case GST_DL_TAG_INPUT_NONE:
      return TRUE;
    case GST_DL_TAG_INPUT_AUDIO:
      if (!is_audio)
        goto not_audio;
      if (!gst_audio_info_from_caps (&ainfo, caps))
        goto bad_caps;
      if (!gst_dl_audio_set_format (self->audio, &ainfo, &err))
        goto audio_failed;
      return TRUE;
    case GST_DL_TAG_INPUT_VIDEO:
      if (is_audio)
        goto not_video;
      if (!gst_video_info_from_caps (&self->vinfo, caps))
        goto bad_caps;
      memset (&self->frame, 0, sizeof (self->frame));
      if (!gst_dl_frame_from_video_info (&self->vinfo, &self->frame))
        goto bad_format;
      return TRUE;
  }
  return FALSE;

  /* ERRORS */
not_audio:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Model file \"%s\" tags audio (it has dl.audio) but the input is "
            "%s.", self->model->path, gst_structure_get_name (s)),
        ("caps %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
not_video:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Model file \"%s\" tags video (it has dl.image) but the input is "
            "audio/x-raw.", self->model->path),
        ("caps %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
bad_caps:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Invalid caps for the model's input."),
        ("caps %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
audio_failed:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Cannot convert this audio for the model: %s", err->message),
        ("caps %" GST_PTR_FORMAT, caps));
    g_clear_error (&err);
    return FALSE;
  }
bad_format:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Model file \"%s\": video format %s is not supported by the image "
            "front end (supported: %s); put videoconvert before dltag.",
            self->model->path,
            gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (&self->vinfo)),
            GST_DL_VIDEO_FORMATS), ("caps %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
}

void
gst_dl_tag_live_props (GstDlTag * self, gfloat * override,
    GstClockTime * min_duration, guint * interval)
{
  GST_OBJECT_LOCK (self);
  *override = self->threshold;
  *min_duration = self->min_duration_ms * GST_MSECOND;
  if (interval)
    *interval = self->inference_interval;
  GST_OBJECT_UNLOCK (self);
}

static GstClockTime
stream_time (GstDlTag * self, GstClockTime ts)
{
  GstSegment *segment = &GST_BASE_TRANSFORM (self)->segment;

  if (!GST_CLOCK_TIME_IS_VALID (ts))
    return GST_CLOCK_TIME_NONE;
  if (segment->format != GST_FORMAT_TIME)
    return ts;
  return gst_segment_to_stream_time (segment, GST_FORMAT_TIME, ts);
}

/* Runs the model on its filled input; the probabilities in self->probs. */
static gboolean
gst_dl_tag_forward (GstDlTag * self)
{
  dlnn_status st;
  const float *out;
  gfloat *p = (gfloat *) self->probs->data;
  guint i;

  dlnn_status_clear (&st);
  if (dlnn_exec_forward (self->exec, &st) != DLNN_OK) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Model inference failed: %s", st.message), (NULL));
    return FALSE;
  }
  out = dlnn_exec_output (self->exec, 0)->data;
  for (i = 0; i < self->probs->len; i++) {
    gfloat v = out[i];

    if (self->apply_sigmoid)
      v = 1.0f / (1.0f + expf (-v));
    p[i] = isfinite (v) ? v : 0.0f;
  }
  return TRUE;
}

GstFlowReturn
gst_dl_tag_process_video (GstDlTag * self, GstBuffer * buf)
{
  GstVideoFrame vframe;
  dlnn_frame f;
  dlnn_status st;
  gfloat override;
  GstClockTime min_duration, start, end, dur;
  guint interval, i;
  gboolean ok;

  gst_dl_tag_live_props (self, &override, &min_duration, &interval);

  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP))
    return GST_FLOW_OK;
  if (self->inferred_once && self->since_last + 1 < interval) {
    self->since_last++;
    return GST_FLOW_OK;
  }
  self->inferred_once = TRUE;
  self->since_last = 0;

  if (!gst_video_frame_map (&vframe, &self->vinfo, buf, GST_MAP_READ))
    goto map_failed;
  f = self->frame;
  for (i = 0; i < GST_VIDEO_FRAME_N_PLANES (&vframe) && i < 3; i++) {
    f.planes[i] = GST_VIDEO_FRAME_PLANE_DATA (&vframe, i);
    f.strides[i] = GST_VIDEO_FRAME_PLANE_STRIDE (&vframe, i);
  }
  dlnn_status_clear (&st);
  ok = dlnn_image_ctx_process (self->image, &f, self->input, &st) == DLNN_OK;
  gst_video_frame_unmap (&vframe);
  if (!ok)
    goto preprocess_failed;
  if (!gst_dl_tag_forward (self))
    return GST_FLOW_ERROR;

  start = stream_time (self, GST_BUFFER_PTS (buf));
  dur = GST_BUFFER_DURATION (buf);
  end = GST_CLOCK_TIME_IS_VALID (dur) && GST_CLOCK_TIME_IS_VALID (start) ?
      start + dur * MAX (interval, 1) : start;
  gst_dl_tag_push_observation (self, start, end, override, min_duration);
  return GST_FLOW_OK;

  /* ERRORS */
map_failed:
  {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Could not map a frame."),
        (NULL));
    return GST_FLOW_ERROR;
  }
preprocess_failed:
  {
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Could not preprocess a %dx%d frame for the model: %s", f.width,
            f.height, st.message), (NULL));
    return GST_FLOW_ERROR;
  }
}

static GstClockTime
gst_dl_tag_frame_time (GstDlTag * self, guint64 index)
{
  const dlnn_audio_cfg *cfg = gst_dl_audio_get_cfg (self->audio);

  if (!GST_CLOCK_TIME_IS_VALID (self->audio_base))
    return GST_CLOCK_TIME_NONE;
  return self->audio_base + gst_util_uint64_scale (index *
      gst_dl_audio_hop_samples (self->audio), GST_SECOND, cfg->rate);
}

/* Appends @n log-mel frames to the ring; runs the model on each complete
 * window that ends a hop. */
static gboolean
gst_dl_tag_feed_frames (GstDlTag * self, const gfloat * frames, gsize n,
    gfloat override, GstClockTime min_duration)
{
  guint t = self->t_frames, m = self->n_mels;
  gsize j;

  for (j = 0; j < n; j++) {
    guint slot = (guint) (self->n_received % t), oldest;
    GstClockTime first, last, at, start, end, half_hop;

    memcpy (self->ring + (gsize) slot * m, frames + j * m,
        m * sizeof (gfloat));
    self->n_received++;
    if (self->n_received < t ||
        (self->n_received - t) % self->hop_frames != 0)
      continue;

    /* the window, oldest frame first */
    oldest = (guint) (self->n_received % t);
    memcpy (self->input, self->ring + (gsize) oldest * m,
        (gsize) (t - oldest) * m * sizeof (gfloat));
    memcpy (self->input + (gsize) (t - oldest) * m, self->ring,
        (gsize) oldest * m * sizeof (gfloat));
    if (!gst_dl_tag_forward (self))
      return FALSE;

    /* it stands for the hop around its centre (or where dl.tag_centre
     * says: the point at that fraction of the window, which spans the
     * frames' hops, held between the first and the last frame's centre);
     * the first one since the signal started reaches back to the start */
    first = gst_dl_tag_frame_time (self, self->n_received - t);
    last = gst_dl_tag_frame_time (self, self->n_received - 1);
    half_hop = (gst_dl_tag_frame_time (self, self->hop_frames) -
        self->audio_base) / 2;
    at = first + (GstClockTime) ((gdouble) (last - first) *
        self->centre_span);
    end = stream_time (self, at + half_hop);
    start = self->n_received > t && GST_CLOCK_TIME_IS_VALID (self->obs_end)
        ? self->obs_end : stream_time (self, self->audio_base);
    gst_dl_tag_push_observation (self, start, end, override, min_duration);
  }
  return TRUE;
}

GstFlowReturn
gst_dl_tag_process_audio (GstDlTag * self, GstBuffer * buf)
{
  const gfloat *frames;
  gsize n = 0;
  guint64 first;
  gfloat override;
  GstClockTime min_duration;
  GError *err = NULL;

  gst_dl_tag_live_props (self, &override, &min_duration, NULL);

  /* a discontinuity ends the signal (its last windows are analysed) and
   * starts a new one; segments stay open */
  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT) &&
      self->audio_base != GST_CLOCK_TIME_NONE) {
    GstFlowReturn ret;

    GST_DEBUG_OBJECT (self, "discont: new signal");
    ret = gst_dl_tag_drain_audio (self);
    if (ret != GST_FLOW_OK)
      return ret;
  }

  if (!gst_dl_audio_push_buffer (self->audio, buf, &frames, &n, &first,
          &err))
    goto push_failed;
  if (!GST_CLOCK_TIME_IS_VALID (self->audio_base))
    self->audio_base = gst_dl_audio_base_time (self->audio);
  if (!gst_dl_tag_feed_frames (self, frames, n, override, min_duration))
    return GST_FLOW_ERROR;
  return GST_FLOW_OK;

  /* ERRORS */
push_failed:
  {
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Could not analyse the audio: %s", err->message), (NULL));
    g_clear_error (&err);
    return GST_FLOW_ERROR;
  }
}

GstFlowReturn
gst_dl_tag_drain_audio (GstDlTag * self)
{
  const gfloat *frames;
  gsize n = 0;
  guint64 first;
  gfloat override;
  GstClockTime min_duration, end;
  GError *err = NULL;

  if (self->audio == NULL || !gst_dl_audio_started (self->audio))
    return GST_FLOW_OK;

  gst_dl_tag_live_props (self, &override, &min_duration, NULL);
  if (!gst_dl_audio_finish (self->audio, &frames, &n, &first, &err)) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Could not analyse the audio: %s", err->message), (NULL));
    g_clear_error (&err);
    return GST_FLOW_ERROR;
  }
  if (!gst_dl_tag_feed_frames (self, frames, n, override, min_duration))
    return GST_FLOW_ERROR;
  gst_dl_tag_smooth_finish (self);

  /* the last frame is centred on the end of the signal */
  if (self->n_received > 0) {
    end = stream_time (self, gst_dl_tag_frame_time (self,
            self->n_received - 1));
    if (GST_CLOCK_TIME_IS_VALID (end) && (!GST_CLOCK_TIME_IS_VALID
            (self->last_end) || end > self->last_end))
      self->last_end = end;
  }
  self->n_received = 0;
  self->audio_base = GST_CLOCK_TIME_NONE;
  return GST_FLOW_OK;
}

GstFlowReturn
gst_dl_tag_process_metadata (GstDlTag * self, GstBuffer * buf)
{
  gpointer state = NULL;
  GstMeta *meta;
  gfloat override;
  GstClockTime min_duration, start, end, dur;
  gboolean any = FALSE;
  gfloat *p;

  gst_dl_tag_live_props (self, &override, &min_duration, NULL);

  memset (self->probs->data, 0, self->probs->len * sizeof (gfloat));
  while ((meta = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) meta;
    GList *l;

    for (l = roi->params; l != NULL; l = l->next) {
      GstStructure *s = l->data;
      const gchar *label;
      gdouble confidence;
      gint k;

      if (!gst_structure_has_name (s, "classification"))
        continue;
      label = gst_structure_get_string (s, "label");
      if (label == NULL || !gst_structure_get_double (s, "confidence",
              &confidence))
        continue;
      any = TRUE;
      k = gst_dl_tag_find (self, label);
      if (k < 0) {
        if (self->labels_fixed)
          continue;
        /* a label seen for the first time */
        k = (gint) gst_dl_tag_add (self, label, 0.0f);
      }
      p = (gfloat *) self->probs->data;
      if ((gfloat) confidence > p[k])
        p[k] = (gfloat) confidence;
    }
  }
  /* frames without results (inference-interval upstream) change nothing */
  if (!any)
    return GST_FLOW_OK;

  start = stream_time (self, GST_BUFFER_PTS (buf));
  dur = GST_BUFFER_DURATION (buf);
  end = GST_CLOCK_TIME_IS_VALID (dur) && GST_CLOCK_TIME_IS_VALID (start) ?
      start + dur : start;
  gst_dl_tag_observe (self, start, end, override, min_duration);
  return GST_FLOW_OK;
}
