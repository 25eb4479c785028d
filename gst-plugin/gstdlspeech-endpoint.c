/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/* dlspeech endpointing: an energy-based voice activity detector with an
 * adaptive noise floor, the ring of frames before an onset and the
 * utterance buffer (see the element documentation in gstdlspeech.c). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdlspeech-private.h"

#include <math.h>
#include <string.h>

void
gst_dl_speech_endpoint_reset (GstDlSpeech * self)
{
  self->in_speech = FALSE;
  self->utt_len = 0;
  self->utt_first = 0;
  self->utt_start = GST_CLOCK_TIME_NONE;
  self->last_voiced = 0;
  self->silence_run = 0;
  self->partial_mark = 0;
  self->ring_len = 0;
  self->ring_head = 0;
  self->ring_end = 0;
  self->floor_set = FALSE;
}

/* The sum of a frame's mel powers (undoing dl.audio's log), in dB of
 * power whatever the dl.audio power exponent. */
gdouble
gst_dl_speech_frame_energy (GstDlSpeech * self, const gfloat * frame)
{
  const dlnn_audio_cfg *cfg = gst_dl_audio_get_cfg (self->audio);
  gdouble sum = 0.0, p;
  gint m;

  for (m = 0; m < cfg->n_mels; m++) {
    switch (cfg->log) {
      case DLNN_AUDIO_LOG_LN:
        p = exp (frame[m]) - cfg->log_offset;
        break;
      case DLNN_AUDIO_LOG_LOG10:
        p = pow (10.0, frame[m]) - cfg->log_offset;
        break;
      default:
        p = frame[m];
        break;
    }
    if (p > 0.0)
      sum += p;
  }
  return (20.0 / cfg->power) * log10 (sum + 1e-30);
}

static GstClockTime
frames_duration (GstDlSpeech * self, guint64 n)
{
  const dlnn_audio_cfg *cfg = gst_dl_audio_get_cfg (self->audio);

  return gst_util_uint64_scale (n * gst_dl_audio_hop_samples (self->audio),
      GST_SECOND, cfg->rate);
}

static void
ring_push (GstDlSpeech * self, const gfloat * frame, guint64 index)
{
  gsize slot;

  if (self->ring_len < self->ring_cap) {
    slot = (self->ring_head + self->ring_len) % self->ring_cap;
    self->ring_len++;
  } else {
    slot = self->ring_head;
    self->ring_head = (self->ring_head + 1) % self->ring_cap;
  }
  memcpy (self->ring + slot * self->n_mels, frame,
      sizeof (gfloat) * self->n_mels);
  self->ring_end = index + 1;
}

static void
ring_clear (GstDlSpeech * self)
{
  self->ring_len = 0;
  self->ring_head = 0;
}

/* The first voiced frame @frame (signal index @index): the ring, then it. */
static void
start_utterance (GstDlSpeech * self, const gfloat * frame, guint64 index)
{
  gsize i, n = 0;

  if (self->ring_len > 0 && self->ring_end == index) {
    for (i = 0; i < self->ring_len; i++)
      memcpy (self->utt + i * self->n_mels, self->ring +
          ((self->ring_head + i) % self->ring_cap) * self->n_mels,
          sizeof (gfloat) * self->n_mels);
    n = self->ring_len;
  }
  ring_clear (self);
  memcpy (self->utt + n * self->n_mels, frame, sizeof (gfloat) * self->n_mels);
  self->utt_len = n + 1;
  self->utt_first = index - n;
  self->utt_start = gst_dl_audio_frame_time (self->audio, self->utt_first);
  self->in_speech = TRUE;
  self->last_voiced = self->utt_len;
  self->silence_run = 0;
  self->partial_mark = self->utt_len;
  GST_DEBUG_OBJECT (self, "utterance starts at %" GST_TIME_FORMAT
      " (frame %" G_GUINT64_FORMAT ")", GST_TIME_ARGS (self->utt_start),
      self->utt_first);
}

/* Decodes the utterance as a final result and closes it.  The model sees
 * every frame (the trailing silence too: a causal model may emit the last
 * symbols a little after the speech), the utterance lasts @keep frames;
 * the last frames go to the ring. */
static GstFlowReturn
end_utterance (GstDlSpeech * self, gsize keep)
{
  GstClockTime duration = frames_duration (self, keep);
  GstFlowReturn ret;
  gsize i, from;

  GST_DEBUG_OBJECT (self, "utterance %" GST_TIME_FORMAT " + %"
      GST_TIME_FORMAT " (%" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
      " frames)", GST_TIME_ARGS (self->utt_start), GST_TIME_ARGS (duration),
      keep, self->utt_len);
  ret = gst_dl_speech_decode (self, self->utt, self->utt_len,
      self->utt_start, duration, TRUE);

  ring_clear (self);
  from = self->utt_len > keep + self->ring_cap ?
      self->utt_len - self->ring_cap : keep;
  for (i = from; i < self->utt_len; i++)
    ring_push (self, self->utt + i * self->n_mels, self->utt_first + i);
  self->ring_end = self->utt_first + self->utt_len;
  self->in_speech = FALSE;
  self->utt_len = 0;
  return ret;
}

GstFlowReturn
gst_dl_speech_process_frames (GstDlSpeech * self, const gfloat * frames,
    gsize n, guint64 first)
{
  GstFlowReturn ret = GST_FLOW_OK;
  gdouble hop_s = (gdouble) self->hop / GST_SECOND;
  gdouble fall = 1.0 - exp (-hop_s * 1000.0 / VAD_FLOOR_FALL_MS);
  gdouble rise = VAD_FLOOR_RISE_DB_PER_S * hop_s;
  gdouble rise_speech = VAD_FLOOR_RISE_SPEECH_DB_PER_S * hop_s;
  gsize silence_frames, post_pad, partial_frames, i;
  guint silence_ms;
  gboolean partial;

  GST_OBJECT_LOCK (self);
  silence_ms = self->silence_duration;
  partial = self->partial_results;
  GST_OBJECT_UNLOCK (self);

  silence_frames = (gsize) ceil (silence_ms / 1000.0 / hop_s);
  post_pad = MIN (silence_frames, (gsize) (VAD_POST_PAD_MS / 1000.0 / hop_s));
  partial_frames = (gsize) ceil (PARTIAL_INTERVAL_MS / 1000.0 / hop_s);

  for (i = 0; i < n && ret == GST_FLOW_OK; i++) {
    const gfloat *f = frames + i * self->n_mels;
    guint64 index = first + i;
    gdouble e = gst_dl_speech_frame_energy (self, f);
    gboolean voiced;

    if (!self->floor_set) {
      self->floor_db = MIN (e, self->floor_init_db);
      self->floor_set = TRUE;
    }
    voiced = e >= self->min_db &&
        e >= self->floor_db + (self->in_speech ? VAD_OFF_DB : VAD_ON_DB);
    if (e < self->floor_db)
      self->floor_db += (e - self->floor_db) * fall;
    else
      self->floor_db += MIN ((e - self->floor_db) * fall,
          self->in_speech ? rise_speech : rise);
    self->floor_db = MAX (self->floor_db, self->min_db - 10.0);

    if (!self->in_speech) {
      if (voiced)
        start_utterance (self, f, index);
      else
        ring_push (self, f, index);
      continue;
    }

    memcpy (self->utt + self->utt_len * self->n_mels, f,
        sizeof (gfloat) * self->n_mels);
    self->utt_len++;
    if (voiced) {
      self->last_voiced = self->utt_len;
      self->silence_run = 0;
    } else {
      self->silence_run++;
    }

    if (self->silence_run >= silence_frames) {
      ret = end_utterance (self, MIN (self->utt_len,
              self->last_voiced + post_pad));
    } else if (self->utt_len >= self->max_frames) {
      GST_INFO_OBJECT (self, "forced endpoint after %" G_GSIZE_FORMAT
          " frames", self->utt_len);
      ret = end_utterance (self, self->utt_len);
    } else if (partial && self->utt_len - self->partial_mark >=
        partial_frames) {
      self->partial_mark = self->utt_len;
      ret = gst_dl_speech_decode (self, self->utt, self->utt_len,
          self->utt_start, frames_duration (self, self->utt_len), FALSE);
    }
  }

  /* nothing before the oldest frame of the ring can get text any more */
  if (ret == GST_FLOW_OK && !self->in_speech && self->ring_end > 0)
    gst_dl_speech_push_gap (self, gst_dl_audio_frame_time (self->audio,
            self->ring_end - self->ring_len));
  return ret;
}

GstFlowReturn
gst_dl_speech_flush_utterance (GstDlSpeech * self)
{
  GstFlowReturn ret = GST_FLOW_OK;
  GstClockTime end = GST_CLOCK_TIME_NONE;
  gsize post_pad;

  if (self->audio == NULL)
    return GST_FLOW_OK;
  if (self->in_speech) {
    post_pad = (gsize) (VAD_POST_PAD_MS * GST_MSECOND / self->hop);
    ret = end_utterance (self, MIN (self->utt_len,
            self->last_voiced + post_pad));
  }
  if (self->ring_end > 0 && GST_CLOCK_TIME_IS_VALID (gst_dl_audio_base_time
          (self->audio)))
    end = gst_dl_audio_frame_time (self->audio, self->ring_end);
  if (ret == GST_FLOW_OK && GST_CLOCK_TIME_IS_VALID (end))
    gst_dl_speech_push_gap (self, end);
  ring_clear (self);
  self->ring_end = 0;
  return ret;
}
