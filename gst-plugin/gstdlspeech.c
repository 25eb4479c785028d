/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/**
 * SECTION:element-dlspeech
 * @title: dlspeech
 *
 * dlspeech recognises speech in raw audio with a CTC speech model (an
 * ONNX file with `dl.task=speech`, for instance one made by dltrain) and
 * outputs the text of each utterance as a `text/x-raw, format=utf8`
 * buffer whose PTS is the start of the utterance and whose duration is
 * its length, so that textoverlay or a subtitle writer can show it.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=speech.wav ! decodebin ! audioconvert !
 *     dlspeech model=speech-en.onnx ! fakesink dump=true -m
 * ]|
 *
 * Any raw interleaved audio is accepted (any format, rate and channel
 * count); it is converted inside (GstAudioConverter: channels averaged to
 * mono, resampled to the model's rate) and turned into log-mel frames as
 * the model's `dl.audio` says, exactly as the trainer computed them.
 *
 * ## Endpointing
 *
 * An energy-based voice activity detector splits the stream into
 * utterances.  The energy of a frame is the sum of its mel powers, in dB;
 * the noise floor starts at the energy of white noise at -50 dBFS, follows
 * quieter frames down with a 50 ms time constant and rises by at most
 * 3 dB/s.  A frame is voiced when its energy is at least 10 dB above the
 * floor (6 dB once an utterance has started) and above the energy of
 * -60 dBFS noise.  An utterance starts at the first voiced frame, with
 * 200 ms of the audio before it kept; it ends when
 * #GstDlSpeech:silence-duration of unvoiced audio follows the last voiced
 * frame (200 ms of that silence are kept), or when it reaches
 * #GstDlSpeech:max-utterance (a forced endpoint; the speech that goes on
 * starts a new utterance).  An utterance also ends at EOS, at a caps
 * change and at a discontinuity; a flush drops it.
 *
 * ## Results
 *
 * At each endpoint the model runs on the utterance, its output is decoded
 * (greedy best path with #GstDlSpeech:beam-size 1, else prefix beam
 * search; always beam search when #GstDlSpeech:vocabulary,
 * #GstDlSpeech:grammar or #GstDlSpeech:lm is set, the language model
 * scoring its words; with a vocabulary or grammar the posteriors are
 * divided by the model's class priors, `dl.ctc_prior`, see
 * #GstDlSpeech:prior-weight, and the blank's score is lowered by
 * #GstDlSpeech:blank-penalty) and the
 * symbols are mapped to text through the model's `dl.labels`; the label
 * " " separates words.  An element message named `dlspeech` is posted
 * with
 *
 * * `timestamp`, `duration` (guint64, GstClockTime): the utterance, in
 *   buffer timestamps (as the input PTS);
 * * `final` (gboolean): TRUE at an endpoint, FALSE for partial results;
 * * `text` (string): the words separated by single spaces;
 * * `confidence` (gdouble, 0..1): the best hypothesis' share of the n-best
 *   probability (beam search) or the mean posterior of its symbols
 *   (greedy);
 * * `words` (#GstValueList of #GstStructure `word`): `word` (string),
 *   `start`, `end` (guint64, GstClockTime, from the frames where its
 *   symbols were emitted times the model's time stride times the hop) and
 *   `confidence` (gdouble, the mean of its symbols' posteriors).
 *
 * A final result with empty text posts no message and pushes no buffer.
 * With #GstDlSpeech:partial-results the utterance so far is decoded again
 * after about every 300 ms of new audio and posted with `final` FALSE.
 * While no utterance is open, GAP events tell downstream (textoverlay,
 * subtitle writers) that no text comes for that time.
 *
 * ## Latency
 *
 * The text of an utterance is complete only #GstDlSpeech:silence-duration
 * after its speech ends, and an utterance may last up to
 * #GstDlSpeech:max-utterance, so a text buffer is pushed up to
 * max-utterance + silence-duration after its PTS.  In a live pipeline the
 * sinks (and textoverlay, which drops text whose end time has passed) only
 * get it in time if that much latency is reported, so the LATENCY query
 * answers upstream's latency plus max-utterance + silence-duration, as
 * minimum and maximum.  With the defaults that is 30.5 s: for live
 * captions set a short max-utterance (e.g. 4 s gives 4.5 s of delay).  In
 * a non-live pipeline (a file) the latency does not matter: textoverlay
 * waits for the text or a gap.
 *
 * ## Threads
 *
 * #GstDlSpeech:threads is process-wide as in dlclassify (dlnn_set_threads).
 *
 * A missing #GstDlSpeech:model, a missing or unreadable file, a model that
 * is not a speech model (dl.task, no dl.audio, input or output shapes,
 * labels), a vocabulary with symbols the model cannot write, a missing or
 * bad #GstDlSpeech:grammar (the message names its line), or a
 * missing or bad #GstDlSpeech:lm is an error when the element starts
 * (READY to PAUSED), naming the file and the reason.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdlspeech-private.h"

#include <math.h>
#include <string.h>

GST_DEBUG_CATEGORY (gst_dl_speech_debug);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("audio/x-raw, format = (string) " GST_AUDIO_FORMATS_ALL
        ", rate = (int) [ 1, MAX ], channels = (int) [ 1, MAX ], "
        "layout = (string) interleaved"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("text/x-raw, format = (string) utf8"));

#define gst_dl_speech_parent_class parent_class
G_DEFINE_TYPE (GstDlSpeech, gst_dl_speech, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (dlspeech, "dlspeech", GST_RANK_NONE,
    GST_TYPE_DL_SPEECH);

static void gst_dl_speech_finalize (GObject * object);
static GstStateChangeReturn gst_dl_speech_change_state (GstElement * element,
    GstStateChange transition);
static GstFlowReturn gst_dl_speech_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buffer);
static gboolean gst_dl_speech_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean gst_dl_speech_src_query (GstPad * pad, GstObject * parent,
    GstQuery * query);

static void
gst_dl_speech_class_init (GstDlSpeechClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_dl_speech_debug, "dlspeech", 0,
      "dlspeech speech recogniser");

  gobject_class->set_property = gst_dl_speech_set_property;
  gobject_class->get_property = gst_dl_speech_get_property;
  gobject_class->finalize = gst_dl_speech_finalize;

  gst_dl_speech_install_properties (gobject_class);

  element_class->change_state = gst_dl_speech_change_state;

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Deep-learning speech recogniser", "Filter/Analyzer/Audio",
      "Recognises speech with an ONNX CTC model; outputs timed text per "
      "utterance and posts \"dlspeech\" messages", "gst-dl contributors");
}

static void
gst_dl_speech_init (GstDlSpeech * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_dl_speech_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_dl_speech_sink_event));
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_query_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_dl_speech_src_query));
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->model_path = g_strdup (DEFAULT_MODEL);
  self->vocabulary = g_strdup (DEFAULT_VOCABULARY);
  self->grammar = g_strdup (DEFAULT_GRAMMAR);
  self->lm = g_strdup (DEFAULT_LM);
  self->lm_weight = DEFAULT_LM_WEIGHT;
  self->word_bonus = DEFAULT_WORD_BONUS;
  self->lm_lexicon = DEFAULT_LM_LEXICON;
  self->beam_size = DEFAULT_BEAM_SIZE;
  self->blank_penalty = DEFAULT_BLANK_PENALTY;
  self->prior_weight = DEFAULT_PRIOR_WEIGHT;
  self->partial_results = DEFAULT_PARTIAL_RESULTS;
  self->silence_duration = DEFAULT_SILENCE_DURATION;
  self->max_utterance = DEFAULT_MAX_UTTERANCE;
  self->threads = DEFAULT_THREADS;
  gst_segment_init (&self->segment, GST_FORMAT_TIME);
}

static void
gst_dl_speech_finalize (GObject * object)
{
  GstDlSpeech *self = GST_DL_SPEECH (object);

  g_free (self->model_path);
  g_free (self->vocabulary);
  g_free (self->grammar);
  g_free (self->lm);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static GstStateChangeReturn
gst_dl_speech_change_state (GstElement * element, GstStateChange transition)
{
  GstDlSpeech *self = GST_DL_SPEECH (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED &&
      !gst_dl_speech_start (self))
    return GST_STATE_CHANGE_FAILURE;

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    gst_dl_speech_stop (self);
  return ret;
}

/* ---- data flow ----------------------------------------------------- */

static gboolean
send_src_caps (GstDlSpeech * self)
{
  GstCaps *caps;
  gboolean ret;

  if (self->src_caps_sent)
    return TRUE;
  caps = gst_static_pad_template_get_caps (&src_template);
  ret = gst_pad_push_event (self->srcpad, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  self->src_caps_sent = TRUE;
  return ret;
}

static GstFlowReturn
gst_dl_speech_chain (GstPad * pad, GstObject * parent, GstBuffer * buffer)
{
  GstDlSpeech *self = GST_DL_SPEECH (parent);
  GError *error = NULL;
  const gfloat *frames;
  gsize n = 0;
  guint64 first = 0;
  GstFlowReturn ret = GST_FLOW_OK;

  if (self->audio == NULL)
    goto not_negotiated;

  /* a discontinuity in time ends the signal (and the utterance) */
  if (GST_BUFFER_IS_DISCONT (buffer) && gst_dl_audio_started (self->audio)) {
    ret = gst_dl_speech_flush_utterance (self);
    gst_dl_audio_reset (self->audio);
    if (ret != GST_FLOW_OK)
      goto out;
  }

  if (!gst_dl_audio_push_buffer (self->audio, buffer, &frames, &n, &first,
          &error))
    goto failed;
  if (n > 0)
    ret = gst_dl_speech_process_frames (self, frames, n, first);

out:
  gst_buffer_unref (buffer);
  return ret;

  /* ERRORS */
not_negotiated:
  {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("data before caps or start"));
    gst_buffer_unref (buffer);
    return GST_FLOW_NOT_NEGOTIATED;
  }
failed:
  {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("%s", error->message), (NULL));
    g_clear_error (&error);
    gst_buffer_unref (buffer);
    return GST_FLOW_ERROR;
  }
}

/* EOS and caps changes: the frames the end of the signal gives, then the
 * open utterance */
static GstFlowReturn
finish_signal (GstDlSpeech * self)
{
  GError *error = NULL;
  const gfloat *frames;
  gsize n = 0;
  guint64 first = 0;
  GstFlowReturn ret = GST_FLOW_OK;

  if (self->audio == NULL)
    return GST_FLOW_OK;
  if (!gst_dl_audio_finish (self->audio, &frames, &n, &first, &error)) {
    GST_WARNING_OBJECT (self, "%s", error->message);
    g_clear_error (&error);
  } else if (n > 0) {
    ret = gst_dl_speech_process_frames (self, frames, n, first);
  }
  if (ret == GST_FLOW_OK)
    ret = gst_dl_speech_flush_utterance (self);
  gst_dl_audio_reset (self->audio);
  return ret;
}

static gboolean
gst_dl_speech_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstDlSpeech *self = GST_DL_SPEECH (parent);
  GError *error = NULL;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      GstAudioInfo info;

      gst_event_parse_caps (event, &caps);
      if (!gst_audio_info_from_caps (&info, caps) || self->audio == NULL) {
        gst_event_unref (event);
        return FALSE;
      }
      if (self->have_info && gst_audio_info_is_equal (&info, &self->info)) {
        gst_event_unref (event);
        return TRUE;
      }
      finish_signal (self);
      gst_dl_speech_endpoint_reset (self);
      self->have_info = FALSE;
      if (!gst_dl_audio_set_format (self->audio, &info, &error)) {
        GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("%s", error->message),
            (NULL));
        g_clear_error (&error);
        gst_event_unref (event);
        return FALSE;
      }
      self->info = info;
      self->have_info = TRUE;
      gst_event_unref (event);
      return send_src_caps (self);
    }
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &self->segment);
      if (self->segment.format != GST_FORMAT_TIME) {
        GST_ELEMENT_ERROR (self, STREAM, FORMAT, (NULL),
            ("segment in %s format, not TIME",
                gst_format_get_name (self->segment.format)));
        gst_event_unref (event);
        return FALSE;
      }
      send_src_caps (self);
      self->covered = GST_CLOCK_TIME_NONE;
      break;
    case GST_EVENT_GAP:
      /* our own gaps say where no text comes */
      gst_event_unref (event);
      return TRUE;
    case GST_EVENT_FLUSH_STOP:
      if (self->audio)
        gst_dl_audio_reset (self->audio);
      gst_dl_speech_endpoint_reset (self);
      self->covered = GST_CLOCK_TIME_NONE;
      break;
    case GST_EVENT_EOS:
      finish_signal (self);
      gst_dl_speech_endpoint_reset (self);
      break;
    default:
      break;
  }
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_dl_speech_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstDlSpeech *self = GST_DL_SPEECH (parent);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_LATENCY:{
      gboolean live;
      GstClockTime min, max, ours;

      if (!gst_pad_peer_query (self->sinkpad, query))
        return FALSE;
      gst_query_parse_latency (query, &live, &min, &max);
      GST_OBJECT_LOCK (self);
      ours = (GstClockTime) (self->max_utterance * GST_SECOND) +
          self->silence_duration * GST_MSECOND;
      GST_OBJECT_UNLOCK (self);
      min += ours;
      if (GST_CLOCK_TIME_IS_VALID (max))
        max += ours;
      GST_DEBUG_OBJECT (self, "latency: live %d, min %" GST_TIME_FORMAT
          ", max %" GST_TIME_FORMAT, live, GST_TIME_ARGS (min),
          GST_TIME_ARGS (max));
      gst_query_set_latency (query, live, min, max);
      return TRUE;
    }
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}
