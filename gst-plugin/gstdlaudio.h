/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_DL_AUDIO_H__
#define __GST_DL_AUDIO_H__

#include <gst/gst.h>
#include <gst/audio/audio.h>
#include <dlnn/dlnn.h>

G_BEGIN_DECLS

/**
 * GstDlAudio:
 *
 * The audio front end of the elements of this plugin (dlspeech, dltag):
 * raw interleaved audio in any format, rate and channel count (a
 * #GstAudioInfo) is converted with #GstAudioConverter to mono F32 at the
 * model's dl.audio rate (resampling included; mono = the mean of the
 * channels, whatever their positions) and fed to a dlnn_audio_ctx, which
 * gives log-mel frames (n_mels floats each) exactly as the trainer
 * computes them.
 *
 * Times: a "signal" starts at the first push after creation, set_format
 * or reset; its base time is the PTS of that first buffer (0 when it has
 * none).  Frame i of the signal (counted from 0 at the signal start) has
 * the time base + i * hop, in the domain of the input buffer timestamps
 * (PTS, i.e. segment timestamps; convert with the segment for running or
 * stream time).  With dl.audio center=1 (the default) frame i is centred
 * on that time; with center=0 its window starts there.  The resampler's
 * output is aligned with its input, so the time does not depend on the
 * input rate; the resampler's few samples of delay come out at finish().
 * Samples are counted, not re-read from each PTS: a gap in the input (a
 * DISCONT buffer) should be handled by the caller with finish or reset.
 *
 * Memory: everything is allocated by gst_dl_audio_new and
 * gst_dl_audio_set_format, sized for 100 ms buffers (or @max_buffer_frames
 * of the input format); push grows its buffers only when a bigger buffer
 * comes, so steady streaming does not allocate.
 *
 * Not thread-safe: one object per stream, used by the streaming thread.
 */
typedef struct _GstDlAudio GstDlAudio;

/* Creates a front end for the dl.audio configuration @cfg (copied; e.g.
 * from dlnn_audio_cfg_parse). On failure returns NULL and sets @error
 * (GST_RESOURCE_ERROR_SETTINGS) with libdlnn's reason. */
GstDlAudio *gst_dl_audio_new (const dlnn_audio_cfg * cfg, GError ** error);
void gst_dl_audio_free (GstDlAudio * audio);    /* NULL-safe */

/* The configuration (resolved n_fft, fmax) and derived sizes. */
const dlnn_audio_cfg *gst_dl_audio_get_cfg (GstDlAudio * audio);
gint gst_dl_audio_n_mels (GstDlAudio * audio);
/* Frame hop, in samples at the model rate and in nanoseconds (rounded). */
gint gst_dl_audio_hop_samples (GstDlAudio * audio);
GstClockTime gst_dl_audio_hop_duration (GstDlAudio * audio);

/* Sets the input format (interleaved layout required) and resets.  Fails
 * with GST_CORE_ERROR_NEGOTIATION when GstAudioConverter cannot convert
 * from it.  @info is copied. */
gboolean gst_dl_audio_set_format (GstDlAudio * audio,
    const GstAudioInfo * info, GError ** error);

/* Forgets the current signal (flush, EOS, caps change, new utterance) and
 * the converter's history; the next push starts a new signal at frame 0
 * with a new base time. */
void gst_dl_audio_reset (GstDlAudio * audio);

/* Converts @n_samples frames (samples per channel) of @data, in the format
 * of set_format, and analyses them.  @pts is the timestamp of the first of
 * them; it only sets the base time when this push starts a signal.  The
 * log-mel frames this completes are returned in *@frames (n_mels floats
 * each, row-major, owned by @audio, valid until the next call), their count
 * in *@n_frames and the index of the first one in the signal in *@first
 * (optional).  FALSE with @error (GST_STREAM_ERROR_FAILED) if there is no
 * format or the conversion fails. */
gboolean gst_dl_audio_push (GstDlAudio * audio, const guint8 * data,
    gsize n_samples, GstClockTime pts, const gfloat ** frames,
    gsize * n_frames, guint64 * first, GError ** error);
/* The same for a whole buffer (mapped here; its PTS is @pts). */
gboolean gst_dl_audio_push_buffer (GstDlAudio * audio, GstBuffer * buffer,
    const gfloat ** frames, gsize * n_frames, guint64 * first,
    GError ** error);

/* Ends the signal: drains the resampler and writes the frames that need
 * the end of the signal (dlnn_audio_ctx_finish); returned as by push.
 * Afterwards the object is reset (the next push starts a new signal). */
gboolean gst_dl_audio_finish (GstDlAudio * audio, const gfloat ** frames,
    gsize * n_frames, guint64 * first, GError ** error);

/* Whether a signal has started (something was pushed since the reset). */
gboolean gst_dl_audio_started (GstDlAudio * audio);
/* Base time of the current signal (GST_CLOCK_TIME_NONE if not started),
 * the time of its frame @index (base + index * hop, see above), and the
 * number of frames produced since the signal started. */
GstClockTime gst_dl_audio_base_time (GstDlAudio * audio);
GstClockTime gst_dl_audio_frame_time (GstDlAudio * audio, guint64 index);
guint64 gst_dl_audio_n_frames (GstDlAudio * audio);

G_END_DECLS

#endif /* __GST_DL_AUDIO_H__ */
