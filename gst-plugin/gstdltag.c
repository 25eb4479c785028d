/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/**
 * SECTION:element-dltag
 * @title: dltag
 *
 * dltag turns what a multi-label model hears or sees (audio events such
 * as speech or music, video content), or what an upstream dlclassify
 * found, into stream tags that standard GStreamer tools understand. It is
 * a passthrough element for raw audio and raw video: buffers are never
 * modified nor copied.
 *
 * ## Modes
 *
 * With #GstDlTag:mode `model` (the default) it runs a tag model, an ONNX
 * file with `dl.task=tag`, `dl.labels` (the K tag names), `dl.thresholds`
 * (a JSON object tag -> threshold, 0.5 for a tag it does not list) and
 * output [1, K] of sigmoid probabilities (a sigmoid is applied when the
 * graph does not end with one). A model with `dl.audio` takes audio: input
 * [1, 1, T, n_mels], a window of T log-mel frames computed by the shared
 * audio front end from any raw audio format, rate and channel count; it
 * runs every #GstDlTag:hop milliseconds on the last T frames, and the
 * result stands for the hop around the window's centre (so a decision
 * comes out about half a window plus a hop after the audio it describes),
 * or around the point of the window that the model's `dl.tag_centre`
 * names (a fraction of the window from its start: a model that weighs its
 * window unevenly, such as a forward GRU averaged over time, responds to
 * a change before it reaches the window's centre).
 * A model with `dl.image` (and no `dl.audio`) takes video frames,
 * preprocessed as dlclassify does, every #GstDlTag:inference-interval
 * frames. Caps that do not match
 * the model (video for an audio model and the reverse, or a video format
 * the image front end cannot read) fail negotiation with an error naming
 * the model.
 *
 * With mode `metadata` no model is needed: the tags are the labels of the
 * `classification` parameters (`label`, `confidence`) of the
 * #GstVideoRegionOfInterestMeta that dlclassify attaches; a label's
 * probability in a frame is its best confidence there (0 when absent), and
 * frames without any classification leave every tag as it is. With
 * #GstDlTag:labels-file only the labels it lists become tags.
 *
 * A tag is on while its probability reaches its threshold
 * (#GstDlTag:threshold, when set, replaces every threshold); with
 * #GstDlTag:min-duration a change must last that long before the tag
 * starts or ends, so a short blip changes nothing. In model mode
 * #GstDlTag:smoothing N > 1 first replaces each tag's probability by its
 * median over N consecutive observations (audio windows or inferred
 * frames), centred on the one it stands for: a blip shorter than half the
 * filter is removed, and segment times are those of the observations
 * (not delayed by the filter), but each decision is taken (N-1)/2
 * observations later (for audio (N-1)/2 hops more latency). On the
 * validation stream of the audio tagger a median over 3 to 9 hops of
 * 250 ms moved macro F1 by at most 0.003 (thresholds chosen for each
 * setting, scored on other seeds) and made the mean boundary error
 * 0.06-0.25 s worse, so the default is 1 (none).
 *
 * ## Output
 *
 * * Whenever the set of tags that are on changes, a GST_EVENT_TAG with
 *   #GST_TAG_KEYWORDS = the tags that are on is sent downstream before the
 *   buffer in which the change was decided. Its scope is
 *   #GST_TAG_SCOPE_STREAM (the tags describe this stream, now). Tag events
 *   are sticky and a pad keeps one per scope, so dltag merges its keywords
 *   with the last stream-scope tags from upstream (title, codec, ...:
 *   upstream's tags and keywords are kept, the current tags appended) and
 *   forwards upstream's stream tags merged the same way; global-scope tags
 *   pass through untouched. Sinks post them as GST_MESSAGE_TAG and muxers
 *   store them. #GstDlTag:extra-tags names further string tags that carry
 *   the same tag set, for muxers that do not write keywords: matroskamux
 *   1.22 stores track tags such as genre or comment but not keywords, so
 *   `extra-tags=genre` makes the tags survive in a Matroska file. A muxer
 *   keeps the last value it saw, so a file holds the last tag set that
 *   was not empty.
 * * Each finished segment posts an element message `dltag` with the
 *   fields `tag` (string), `start` and `end` (guint64 GstClockTime, stream
 *   time) and `confidence` (double, the mean probability of the tag over
 *   the segment's observations).
 * * EOS closes the open segments at the end of the data (their messages
 *   are posted before EOS goes downstream). A flush (FLUSH_STOP) closes
 *   them at the end of the last data analysed before the flush, then
 *   starts afresh: flushed data produces no segments, and a tag change
 *   after the flush is sent as a new tag event.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 -m audiotestsrc wave=pink-noise num-buffers=200 ! \
 *     audioconvert ! dltag model=samples/models/audio-tags.onnx \
 *     min-duration=1000 ! fakesink
 * ]| prints a `dltag` message per segment and the tag messages of the
 * sink; pipelines/tag-clip.sh does the same on a music and speech clip.
 * |[
 * gst-launch-1.0 -m filesrc location=samples/fashion-mnist-clip.webm ! \
 *     decodebin ! videoconvert ! \
 *     dlclassify model=samples/models/fashion-mnist.onnx threshold=0.5 ! \
 *     dltag mode=metadata ! fakesink
 * ]| turns the classifications into content tags.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdltag-private.h"

#include <string.h>

GST_DEBUG_CATEGORY (gst_dl_tag_debug);

enum
{
  PROP_0,
  PROP_MODE,
  PROP_MODEL,
  PROP_LABELS_FILE,
  PROP_WINDOW,
  PROP_HOP,
  PROP_THRESHOLD,
  PROP_MIN_DURATION,
  PROP_THREADS,
  PROP_INFERENCE_INTERVAL,
  PROP_EXTRA_TAGS,
  PROP_SMOOTHING,
};

#define TAG_CAPS "audio/x-raw; video/x-raw"

static GstStaticPadTemplate gst_dl_tag_sink_template =
GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (TAG_CAPS));

static GstStaticPadTemplate gst_dl_tag_src_template =
GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (TAG_CAPS));

GType
gst_dl_tag_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_DL_TAG_MODE_MODEL, "Run the tag model", "model"},
    {GST_DL_TAG_MODE_METADATA, "Aggregate upstream dlclassify results",
        "metadata"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstDlTagMode",
            values));
  return type;
}

#define gst_dl_tag_parent_class parent_class
G_DEFINE_TYPE (GstDlTag, gst_dl_tag, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (dltag, "dltag", GST_RANK_NONE, GST_TYPE_DL_TAG);

static void gst_dl_tag_finalize (GObject * object);
static void gst_dl_tag_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_dl_tag_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static gboolean gst_dl_tag_start (GstBaseTransform * trans);
static gboolean gst_dl_tag_stop (GstBaseTransform * trans);
static GstCaps *gst_dl_tag_transform_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * filter);
static gboolean gst_dl_tag_set_caps (GstBaseTransform * trans,
    GstCaps * incaps, GstCaps * outcaps);
static gboolean gst_dl_tag_sink_event (GstBaseTransform * trans,
    GstEvent * event);
static GstFlowReturn gst_dl_tag_transform_ip (GstBaseTransform * trans,
    GstBuffer * buf);

static void
gst_dl_tag_class_init (GstDlTagClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;
  GstBaseTransformClass *trans_class = (GstBaseTransformClass *) klass;
  const GParamFlags ready = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;
  const GParamFlags playing = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING;

  GST_DEBUG_CATEGORY_INIT (gst_dl_tag_debug, "dltag", 0,
      "stream tagging with libdlnn");

  gobject_class->finalize = gst_dl_tag_finalize;
  gobject_class->set_property = gst_dl_tag_set_property;
  gobject_class->get_property = gst_dl_tag_get_property;

  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode",
          "Run the tag model, or aggregate upstream dlclassify results "
          "(GstVideoRegionOfInterestMeta) into tags", GST_TYPE_DL_TAG_MODE,
          DEFAULT_MODE, ready));
  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "ONNX tag model file (dl.task=tag, with dl.audio or dl.image)",
          NULL, ready));
  g_object_class_install_property (gobject_class, PROP_LABELS_FILE,
      g_param_spec_string ("labels-file", "Labels file",
          "Tag names, one per line: overrides the model's dl.labels; in "
          "metadata mode, the only labels that become tags", NULL, ready));
  g_object_class_install_property (gobject_class, PROP_WINDOW,
      g_param_spec_uint ("window", "Window",
          "Audio window in ms (0 = the model's input length: T frames x "
          "the dl.audio hop; 1000 ms for a model with a dynamic T)",
          0, 600000, DEFAULT_WINDOW, ready));
  g_object_class_install_property (gobject_class, PROP_HOP,
      g_param_spec_uint ("hop", "Hop",
          "Audio: run the model every this many ms (rounded to log-mel "
          "frames, at least one)", 1, 600000, DEFAULT_HOP, ready));
  g_object_class_install_property (gobject_class, PROP_THRESHOLD,
      g_param_spec_float ("threshold", "Threshold",
          "Probability from which a tag is on, for every tag (-1 = the "
          "model's dl.thresholds; 0 in metadata mode)", -1.0f, 1.0f,
          DEFAULT_THRESHOLD, playing));
  g_object_class_install_property (gobject_class, PROP_MIN_DURATION,
      g_param_spec_uint ("min-duration", "Minimum duration",
          "A tag must be on (off) for this many ms before it starts "
          "(ends)", 0, G_MAXUINT / 1000, DEFAULT_MIN_DURATION, playing));
  g_object_class_install_property (gobject_class, PROP_THREADS,
      g_param_spec_int ("threads", "Threads",
          "Math threads, process-wide (dlnn_set_threads; 0 = keep the "
          "current setting), as dlclassify's", 0, 256, DEFAULT_THREADS,
          ready));
  g_object_class_install_property (gobject_class, PROP_INFERENCE_INTERVAL,
      g_param_spec_uint ("inference-interval", "Inference interval",
          "Video: run the model on every Nth frame", 1, G_MAXUINT,
          DEFAULT_INFERENCE_INTERVAL, playing));

  g_object_class_install_property (gobject_class, PROP_SMOOTHING,
      g_param_spec_uint ("smoothing", "Smoothing",
          "Model mode: each tag's probability is its median over this many "
          "consecutive observations (audio windows, inferred frames), "
          "centred; decisions come (N-1)/2 observations later with their "
          "own times (1 = none)", 1, MAX_SMOOTHING, DEFAULT_SMOOTHING,
          ready));
  g_object_class_install_property (gobject_class, PROP_EXTRA_TAGS,
      g_param_spec_string ("extra-tags", "Extra tags",
          "Comma-separated names of string tags (e.g. \"genre\" or "
          "\"comment\") that carry the current tags besides keywords, for "
          "containers whose muxer does not store keywords (matroskamux)",
          NULL, ready));

  gst_type_mark_as_plugin_api (GST_TYPE_DL_TAG_MODE, 0);

  gst_element_class_set_static_metadata (element_class,
      "Deep-learning stream tagger", "Filter/Analyzer/Audio/Video",
      "Tags audio events or video content with an ONNX multi-label model, "
      "or upstream dlclassify results; sends GST_EVENT_TAG (keywords) and "
      "posts \"dltag\" segment messages", "gst-dl contributors");

  gst_element_class_add_static_pad_template (element_class,
      &gst_dl_tag_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &gst_dl_tag_src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_dl_tag_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_dl_tag_stop);
  trans_class->transform_caps = GST_DEBUG_FUNCPTR (gst_dl_tag_transform_caps);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_dl_tag_set_caps);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_dl_tag_sink_event);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_dl_tag_transform_ip);
  trans_class->transform_ip_on_passthrough = TRUE;
}

static void
gst_dl_tag_init (GstDlTag * self)
{
  self->mode = DEFAULT_MODE;
  self->window_ms = DEFAULT_WINDOW;
  self->hop_ms = DEFAULT_HOP;
  self->threshold = DEFAULT_THRESHOLD;
  self->min_duration_ms = DEFAULT_MIN_DURATION;
  self->threads = DEFAULT_THREADS;
  self->inference_interval = DEFAULT_INFERENCE_INTERVAL;
  self->smoothing = DEFAULT_SMOOTHING;
  self->smooth_n = 1;
  self->obs_end = GST_CLOCK_TIME_NONE;

  self->tags = g_array_new (FALSE, TRUE, sizeof (GstDlTagState));
  self->probs = g_array_new (FALSE, TRUE, sizeof (gfloat));
  self->last_end = GST_CLOCK_TIME_NONE;
  self->audio_base = GST_CLOCK_TIME_NONE;

  /* data is only read */
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_gap_aware (GST_BASE_TRANSFORM (self), TRUE);
}

static void
gst_dl_tag_finalize (GObject * object)
{
  GstDlTag *self = GST_DL_TAG (object);

  gst_dl_tag_clear_tags (self);
  g_array_free (self->tags, TRUE);
  g_array_free (self->probs, TRUE);
  g_free (self->model_path);
  g_free (self->labels_file);
  g_free (self->extra_tags);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_dl_tag_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstDlTag *self = GST_DL_TAG (object);
  GstState state;

  GST_OBJECT_LOCK (self);
  state = GST_STATE (self);
  if ((pspec->flags & GST_PARAM_MUTABLE_READY) && state != GST_STATE_NULL &&
      state != GST_STATE_READY) {
    GST_OBJECT_UNLOCK (self);
    g_warning ("dltag: changing the \"%s\" property is only supported in "
        "the NULL and READY states", pspec->name);
    return;
  }

  switch (prop_id) {
    case PROP_MODE:
      self->mode = g_value_get_enum (value);
      break;
    case PROP_MODEL:
      g_free (self->model_path);
      self->model_path = g_value_dup_string (value);
      break;
    case PROP_LABELS_FILE:
      g_free (self->labels_file);
      self->labels_file = g_value_dup_string (value);
      break;
    case PROP_WINDOW:
      self->window_ms = g_value_get_uint (value);
      break;
    case PROP_HOP:
      self->hop_ms = g_value_get_uint (value);
      break;
    case PROP_THRESHOLD:
      self->threshold = g_value_get_float (value);
      break;
    case PROP_MIN_DURATION:
      self->min_duration_ms = g_value_get_uint (value);
      break;
    case PROP_THREADS:
      self->threads = g_value_get_int (value);
      break;
    case PROP_INFERENCE_INTERVAL:
      self->inference_interval = g_value_get_uint (value);
      break;
    case PROP_EXTRA_TAGS:
      g_free (self->extra_tags);
      self->extra_tags = g_value_dup_string (value);
      break;
    case PROP_SMOOTHING:
      self->smoothing = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_dl_tag_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstDlTag *self = GST_DL_TAG (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_MODEL:
      g_value_set_string (value, self->model_path);
      break;
    case PROP_LABELS_FILE:
      g_value_set_string (value, self->labels_file);
      break;
    case PROP_WINDOW:
      g_value_set_uint (value, self->window_ms);
      break;
    case PROP_HOP:
      g_value_set_uint (value, self->hop_ms);
      break;
    case PROP_THRESHOLD:
      g_value_set_float (value, self->threshold);
      break;
    case PROP_MIN_DURATION:
      g_value_set_uint (value, self->min_duration_ms);
      break;
    case PROP_THREADS:
      g_value_set_int (value, self->threads);
      break;
    case PROP_INFERENCE_INTERVAL:
      g_value_set_uint (value, self->inference_interval);
      break;
    case PROP_EXTRA_TAGS:
      g_value_set_string (value, self->extra_tags);
      break;
    case PROP_SMOOTHING:
      g_value_set_uint (value, self->smoothing);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* Parses extra-tags: names of registered string tags. */
static gboolean
gst_dl_tag_parse_extra_tags (GstDlTag * self, const gchar * value)
{
  gchar **names;
  guint i;

  if (value == NULL || value[0] == '\0')
    return TRUE;
  names = g_strsplit (value, ",", -1);
  for (i = 0; names[i] != NULL; i++) {
    g_strstrip (names[i]);
    if (!gst_tag_exists (names[i]) || gst_tag_get_type (names[i]) !=
        G_TYPE_STRING) {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("Invalid \"extra-tags\" entry \"%s\": not a string tag.",
              names[i]), (NULL));
      g_strfreev (names);
      return FALSE;
    }
  }
  self->extra_tag_names = names;
  return TRUE;
}

static gboolean
gst_dl_tag_start (GstBaseTransform * trans)
{
  GstDlTag *self = GST_DL_TAG (trans);
  gchar *model_path, *labels_file, *extra_tags;
  guint window_ms, hop_ms, smoothing;
  gint threads;
  gboolean ok;

  GST_OBJECT_LOCK (self);
  self->active_mode = self->mode;
  model_path = g_strdup (self->model_path);
  labels_file = g_strdup (self->labels_file);
  window_ms = self->window_ms;
  hop_ms = self->hop_ms;
  threads = self->threads;
  smoothing = self->smoothing;
  extra_tags = g_strdup (self->extra_tags);
  GST_OBJECT_UNLOCK (self);

  if (threads > 0)
    dlnn_set_threads (threads);

  ok = gst_dl_tag_parse_extra_tags (self, extra_tags);
  if (ok && self->active_mode == GST_DL_TAG_MODE_METADATA)
    ok = gst_dl_tag_setup_metadata (self, labels_file);
  else if (ok)
    ok = gst_dl_tag_setup_model (self, model_path, labels_file, window_ms,
        hop_ms) && gst_dl_tag_smooth_setup (self, smoothing);
  g_free (model_path);
  g_free (labels_file);
  g_free (extra_tags);

  self->last_end = GST_CLOCK_TIME_NONE;
  gst_dl_tag_reset_input (self);
  if (!ok)
    gst_dl_tag_stop (trans);
  return ok;
}

static gboolean
gst_dl_tag_stop (GstBaseTransform * trans)
{
  GstDlTag *self = GST_DL_TAG (trans);

  gst_dl_tag_teardown (self);
  g_clear_pointer (&self->upstream_tags, gst_tag_list_unref);
  g_clear_pointer (&self->extra_tag_names, g_strfreev);
  self->last_end = GST_CLOCK_TIME_NONE;
  return TRUE;
}

/* Passthrough caps; with a video model the formats its front end reads
 * come first, so that a converter upstream picks one of them. Caps it
 * cannot use are still accepted here, so that set_caps() can say why they
 * do not fit. */
static GstCaps *
gst_dl_tag_transform_caps (GstBaseTransform * trans,
    GstPadDirection direction, GstCaps * caps, GstCaps * filter)
{
  GstDlTag *self = GST_DL_TAG (trans);
  GstCaps *ret, *preferred, *formats;

  ret = gst_caps_ref (caps);
  if (self->input_kind == GST_DL_TAG_INPUT_VIDEO) {
    formats = gst_caps_from_string (GST_VIDEO_CAPS_MAKE
        (GST_DL_VIDEO_FORMATS));
    preferred = gst_caps_intersect_full (formats, caps,
        GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref (formats);
    ret = gst_caps_merge (preferred, ret);
  }
  if (filter) {
    GstCaps *tmp = gst_caps_intersect_full (filter, ret,
        GST_CAPS_INTERSECT_FIRST);

    gst_caps_unref (ret);
    ret = tmp;
  }
  return ret;
}

static gboolean
gst_dl_tag_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstDlTag *self = GST_DL_TAG (trans);

  GST_DEBUG_OBJECT (self, "caps %" GST_PTR_FORMAT, incaps);
  return gst_dl_tag_configure (self, incaps);
}

/* Keeps upstream's stream-scope tags and forwards them merged with the
 * current keywords. */
static GstEvent *
gst_dl_tag_upstream_tags (GstDlTag * self, GstEvent * event)
{
  GstTagList *list;

  gst_event_parse_tag (event, &list);
  if (gst_tag_list_get_scope (list) != GST_TAG_SCOPE_STREAM)
    return event;

  if (self->upstream_tags)
    gst_tag_list_unref (self->upstream_tags);
  self->upstream_tags = gst_tag_list_copy (list);
  gst_event_unref (event);
  return gst_dl_tag_make_event (self, self->upstream_tags);
}

static gboolean
gst_dl_tag_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstDlTag *self = GST_DL_TAG (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_EOS:
      if (self->input_kind == GST_DL_TAG_INPUT_AUDIO)
        gst_dl_tag_drain_audio (self);
      gst_dl_tag_smooth_finish (self);
      gst_dl_tag_close_all (self, self->last_end);
      break;
    case GST_EVENT_FLUSH_STOP:
      gst_dl_tag_smooth_finish (self);
      gst_dl_tag_close_all (self, self->last_end);
      gst_dl_tag_reset_input (self);
      break;
    case GST_EVENT_STREAM_START:
      g_clear_pointer (&self->upstream_tags, gst_tag_list_unref);
      break;
    case GST_EVENT_TAG:
      event = gst_dl_tag_upstream_tags (self, event);
      break;
    default:
      break;
  }

  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

static GstFlowReturn
gst_dl_tag_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstDlTag *self = GST_DL_TAG (trans);

  if (self->active_mode == GST_DL_TAG_MODE_METADATA)
    return gst_dl_tag_process_metadata (self, buf);
  if (self->input_kind == GST_DL_TAG_INPUT_AUDIO)
    return gst_dl_tag_process_audio (self, buf);
  if (self->input_kind == GST_DL_TAG_INPUT_VIDEO)
    return gst_dl_tag_process_video (self, buf);
  return GST_FLOW_NOT_NEGOTIATED;
}
