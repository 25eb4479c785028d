/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/* Audio front end shared by the audio elements: GstAudioConverter to mono
 * F32 at the model rate, then libdlnn's log-mel analysis (see
 * gstdlaudio.h). */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdlaudio.h"

#include <string.h>

struct _GstDlAudio
{
  dlnn_audio_cfg cfg;
  dlnn_audio_ctx *ctx;
  gint hop;                     /* samples at cfg.rate */
  gint n_fft;

  gboolean have_info;
  GstAudioInfo in_info;
  GstAudioConverter *conv;
  gboolean passthrough;

  /* converted mono samples and log-mel frames, grown on demand */
  gfloat *pcm;
  gsize pcm_cap;                /* samples */
  gfloat *frames;
  gsize frames_cap;             /* frames */

  /* current signal */
  gboolean started;
  GstClockTime base;
  guint64 n_out;                /* frames produced */
};

/* frames of mono input that @n_in input samples can yield at most */
static gsize
max_frames_for (GstDlAudio * audio, gsize n_in)
{
  return (n_in + (gsize) audio->n_fft / 2) / (gsize) audio->hop + 2;
}

static gboolean
ensure_frames (GstDlAudio * audio, gsize n)
{
  if (n <= audio->frames_cap)
    return TRUE;
  g_free (audio->frames);
  audio->frames = g_try_new (gfloat, n * (gsize) audio->cfg.n_mels);
  audio->frames_cap = audio->frames ? n : 0;
  return audio->frames != NULL;
}

static gboolean
ensure_pcm (GstDlAudio * audio, gsize n)
{
  if (n <= audio->pcm_cap)
    return TRUE;
  g_free (audio->pcm);
  audio->pcm = g_try_new (gfloat, n);
  audio->pcm_cap = audio->pcm ? n : 0;
  return audio->pcm != NULL;
}

GstDlAudio *
gst_dl_audio_new (const dlnn_audio_cfg * cfg, GError ** error)
{
  GstDlAudio *audio;
  dlnn_status st;
  dlnn_audio_ctx *ctx;

  g_return_val_if_fail (cfg != NULL, NULL);

  dlnn_status_clear (&st);
  ctx = dlnn_audio_ctx_new (cfg, &st);
  if (ctx == NULL) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "Invalid audio front end configuration: %s", st.message);
    return NULL;
  }

  audio = g_new0 (GstDlAudio, 1);
  audio->ctx = ctx;
  audio->cfg = *dlnn_audio_ctx_cfg (ctx);
  audio->hop = dlnn_audio_cfg_hop_length (&audio->cfg);
  audio->n_fft = dlnn_audio_cfg_n_fft (&audio->cfg);
  audio->base = GST_CLOCK_TIME_NONE;
  /* 100 ms at the model rate to start with */
  if (!ensure_pcm (audio, (gsize) audio->cfg.rate / 10 + 1) ||
      !ensure_frames (audio, max_frames_for (audio, audio->pcm_cap))) {
    gst_dl_audio_free (audio);
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NO_SPACE_LEFT,
        "Out of memory allocating the audio front end.");
    return NULL;
  }
  return audio;
}

void
gst_dl_audio_free (GstDlAudio * audio)
{
  if (audio == NULL)
    return;
  if (audio->conv)
    gst_audio_converter_free (audio->conv);
  dlnn_audio_ctx_free (audio->ctx);
  g_free (audio->pcm);
  g_free (audio->frames);
  g_free (audio);
}

const dlnn_audio_cfg *
gst_dl_audio_get_cfg (GstDlAudio * audio)
{
  return &audio->cfg;
}

gint
gst_dl_audio_n_mels (GstDlAudio * audio)
{
  return audio->cfg.n_mels;
}

gint
gst_dl_audio_hop_samples (GstDlAudio * audio)
{
  return audio->hop;
}

GstClockTime
gst_dl_audio_hop_duration (GstDlAudio * audio)
{
  return gst_util_uint64_scale_int_round (audio->hop, GST_SECOND,
      audio->cfg.rate);
}

void
gst_dl_audio_reset (GstDlAudio * audio)
{
  dlnn_audio_ctx_reset (audio->ctx);
  if (audio->conv)
    gst_audio_converter_reset (audio->conv);
  audio->started = FALSE;
  audio->base = GST_CLOCK_TIME_NONE;
  audio->n_out = 0;
}

/* mono = mean of the input channels, whatever their positions (also for
 * unpositioned layouts, which the default mixer does not handle) */
static GstStructure *
converter_config (gint channels)
{
  GstStructure *config = gst_structure_new_empty ("GstAudioConverter");
  GValue matrix = G_VALUE_INIT, row = G_VALUE_INIT, v = G_VALUE_INIT;
  gint c;

  if (channels <= 1)
    return config;
  g_value_init (&matrix, GST_TYPE_ARRAY);
  g_value_init (&row, GST_TYPE_ARRAY);
  g_value_init (&v, G_TYPE_FLOAT);
  g_value_set_float (&v, 1.0f / channels);
  for (c = 0; c < channels; c++)
    gst_value_array_append_value (&row, &v);
  gst_value_array_append_and_take_value (&matrix, &row);
  gst_structure_take_value (config, GST_AUDIO_CONVERTER_OPT_MIX_MATRIX,
      &matrix);
  g_value_unset (&v);
  return config;
}

gboolean
gst_dl_audio_set_format (GstDlAudio * audio, const GstAudioInfo * info,
    GError ** error)
{
  GstAudioInfo out;
  GstAudioConverter *conv;
  gsize want;

  g_return_val_if_fail (info != NULL, FALSE);

  if (GST_AUDIO_INFO_LAYOUT (info) != GST_AUDIO_LAYOUT_INTERLEAVED ||
      GST_AUDIO_INFO_RATE (info) <= 0 || GST_AUDIO_INFO_CHANNELS (info) <= 0)
    goto not_supported;

  gst_audio_info_init (&out);
  gst_audio_info_set_format (&out, GST_AUDIO_FORMAT_F32, audio->cfg.rate, 1,
      NULL);
  conv = gst_audio_converter_new (GST_AUDIO_CONVERTER_FLAG_NONE,
      (GstAudioInfo *) info, &out,
      converter_config (GST_AUDIO_INFO_CHANNELS (info)));
  if (conv == NULL)
    goto not_supported;

  if (audio->conv)
    gst_audio_converter_free (audio->conv);
  audio->conv = conv;
  audio->passthrough = gst_audio_converter_is_passthrough (conv);
  audio->in_info = *info;
  audio->have_info = TRUE;

  /* 100 ms buffers of this format without growing */
  want = gst_audio_converter_get_out_frames (conv,
      GST_AUDIO_INFO_RATE (info) / 10 + 1) + 1;
  if (!ensure_pcm (audio, want) ||
      !ensure_frames (audio, max_frames_for (audio, audio->pcm_cap)))
    goto no_memory;

  gst_dl_audio_reset (audio);
  return TRUE;

  /* ERRORS */
not_supported:
  {
    GstCaps *caps = gst_audio_info_to_caps (info);
    gchar *s = caps ? gst_caps_to_string (caps) : NULL;

    if (caps)
      gst_caps_unref (caps);
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "Cannot convert audio %s to mono F32 at %d Hz.", s ? s : "?",
        audio->cfg.rate);
    g_free (s);
    return FALSE;
  }
no_memory:
  {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NO_SPACE_LEFT,
        "Out of memory allocating audio buffers.");
    return FALSE;
  }
}

/* analyses @n mono samples at the model rate */
static gboolean
analyse (GstDlAudio * audio, const gfloat * pcm, gsize n,
    const gfloat ** frames, gsize * n_frames, guint64 * first,
    GError ** error)
{
  dlnn_status st;
  size_t got = 0;

  dlnn_status_clear (&st);
  if (!ensure_frames (audio, max_frames_for (audio, n)))
    goto no_memory;
  if (dlnn_audio_ctx_push (audio->ctx, pcm, n, audio->frames,
          audio->frames_cap, &got, &st) != DLNN_OK)
    goto failed;

  *frames = audio->frames;
  *n_frames = got;
  if (first)
    *first = audio->n_out;
  audio->n_out += got;
  return TRUE;

  /* ERRORS */
no_memory:
  {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NO_SPACE_LEFT,
        "Out of memory allocating audio frames.");
    return FALSE;
  }
failed:
  {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        "Audio analysis failed: %s", st.message);
    return FALSE;
  }
}

gboolean
gst_dl_audio_push (GstDlAudio * audio, const guint8 * data, gsize n_samples,
    GstClockTime pts, const gfloat ** frames, gsize * n_frames,
    guint64 * first, GError ** error)
{
  const gfloat *pcm;
  gsize n_out;

  g_return_val_if_fail (frames != NULL && n_frames != NULL, FALSE);

  *frames = audio->frames;
  *n_frames = 0;
  if (first)
    *first = audio->n_out;
  if (!audio->have_info)
    goto no_format;

  if (!audio->started) {
    audio->started = TRUE;
    audio->base = GST_CLOCK_TIME_IS_VALID (pts) ? pts : 0;
    audio->n_out = 0;
    if (first)
      *first = 0;
  }
  if (n_samples == 0)
    return TRUE;

  if (audio->passthrough) {
    pcm = (const gfloat *) data;
    n_out = n_samples;
  } else {
    gpointer in[1], out[1];

    n_out = gst_audio_converter_get_out_frames (audio->conv, n_samples);
    if (!ensure_pcm (audio, n_out + 1))
      goto no_memory;
    in[0] = (gpointer) data;
    out[0] = audio->pcm;
    if (!gst_audio_converter_samples (audio->conv,
            GST_AUDIO_CONVERTER_FLAG_NONE, in, n_samples, out, n_out))
      goto convert_failed;
    pcm = audio->pcm;
  }

  return analyse (audio, pcm, n_out, frames, n_frames, first, error);

  /* ERRORS */
no_format:
  {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "No audio format set.");
    return FALSE;
  }
no_memory:
  {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NO_SPACE_LEFT,
        "Out of memory allocating audio buffers.");
    return FALSE;
  }
convert_failed:
  {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        "Audio conversion failed.");
    return FALSE;
  }
}

gboolean
gst_dl_audio_push_buffer (GstDlAudio * audio, GstBuffer * buffer,
    const gfloat ** frames, gsize * n_frames, guint64 * first,
    GError ** error)
{
  GstMapInfo map;
  gint bpf;
  gboolean ret;

  if (!audio->have_info) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "No audio format set.");
    return FALSE;
  }
  if (!gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        "Could not map an audio buffer.");
    return FALSE;
  }
  bpf = GST_AUDIO_INFO_BPF (&audio->in_info);
  ret = gst_dl_audio_push (audio, map.data, map.size / bpf,
      GST_BUFFER_PTS (buffer), frames, n_frames, first, error);
  gst_buffer_unmap (buffer, &map);
  return ret;
}

gboolean
gst_dl_audio_finish (GstDlAudio * audio, const gfloat ** frames,
    gsize * n_frames, guint64 * first, GError ** error)
{
  dlnn_status st;
  gsize n = 0, latency;
  size_t got = 0;

  *frames = audio->frames;
  *n_frames = 0;
  if (first)
    *first = audio->n_out;
  if (!audio->started) {
    gst_dl_audio_reset (audio);
    return TRUE;
  }

  /* the resampler's delayed samples: push its latency of silence */
  if (audio->conv && !audio->passthrough) {
    gpointer out[1];

    latency = gst_audio_converter_get_max_latency (audio->conv);
    if (latency > 0) {
      n = gst_audio_converter_get_out_frames (audio->conv, latency);
      if (!ensure_pcm (audio, n + 1))
        goto no_memory;
      out[0] = audio->pcm;
      if (!gst_audio_converter_samples (audio->conv,
              GST_AUDIO_CONVERTER_FLAG_NONE, NULL, latency, out, n))
        n = 0;
    }
  }

  dlnn_status_clear (&st);
  if (!ensure_frames (audio, max_frames_for (audio, n) +
          dlnn_audio_ctx_finish_count (audio->ctx)))
    goto no_memory;
  if (n > 0) {
    if (dlnn_audio_ctx_push (audio->ctx, audio->pcm, n, audio->frames,
            audio->frames_cap, &got, &st) != DLNN_OK)
      goto failed;
  }
  *n_frames = got;
  if (dlnn_audio_ctx_finish (audio->ctx, audio->frames + got *
          (gsize) audio->cfg.n_mels, audio->frames_cap - got, &got,
          &st) != DLNN_OK)
    goto failed;
  *n_frames += got;
  audio->n_out += *n_frames;

  dlnn_audio_ctx_reset (audio->ctx);
  if (audio->conv)
    gst_audio_converter_reset (audio->conv);
  audio->started = FALSE;
  /* base and n_out stay readable until the next push starts a signal */
  return TRUE;

  /* ERRORS */
no_memory:
  {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NO_SPACE_LEFT,
        "Out of memory allocating audio frames.");
    gst_dl_audio_reset (audio);
    return FALSE;
  }
failed:
  {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        "Audio analysis failed: %s", st.message);
    gst_dl_audio_reset (audio);
    return FALSE;
  }
}

gboolean
gst_dl_audio_started (GstDlAudio * audio)
{
  return audio->started;
}

GstClockTime
gst_dl_audio_base_time (GstDlAudio * audio)
{
  return audio->base;
}

GstClockTime
gst_dl_audio_frame_time (GstDlAudio * audio, guint64 index)
{
  if (!GST_CLOCK_TIME_IS_VALID (audio->base))
    return GST_CLOCK_TIME_NONE;
  return audio->base + gst_util_uint64_scale_round (index * audio->hop,
      GST_SECOND, audio->cfg.rate);
}

guint64
gst_dl_audio_n_frames (GstDlAudio * audio)
{
  return audio->n_out;
}
