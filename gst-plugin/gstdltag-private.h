/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/* Private to the dltag element: its instance structure, shared by
 * gstdltag.c (the GstBaseTransform subclass: properties, events),
 * gstdltag-infer.c (model set-up and the audio, video and metadata
 * observations) and gstdltag-tracker.c (per-tag hysteresis, segments,
 * tag events and messages). */
#ifndef __GST_DL_TAG_PRIVATE_H__
#define __GST_DL_TAG_PRIVATE_H__

#include "gstdltag.h"
#include "gstdlaudio.h"
#include "gstdlmodel.h"
#include "gstdlpreproc.h"

#include <gst/video/video.h>
#include <dlnn/dlnn.h>

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_dl_tag_debug);
#define GST_CAT_DEFAULT gst_dl_tag_debug

#define DEFAULT_MODE GST_DL_TAG_MODE_MODEL
#define DEFAULT_WINDOW 0
#define DEFAULT_HOP 250
#define DEFAULT_THRESHOLD -1.0f
#define DEFAULT_MIN_DURATION 0
#define DEFAULT_THREADS 0
#define DEFAULT_INFERENCE_INTERVAL 1
#define DEFAULT_SMOOTHING 1
#define MAX_SMOOTHING 101
/* threshold of a tag that dl.thresholds does not list */
#define DEFAULT_TAG_THRESHOLD 0.5f

typedef enum
{
  GST_DL_TAG_INPUT_NONE,        /* metadata mode */
  GST_DL_TAG_INPUT_AUDIO,       /* dl.audio */
  GST_DL_TAG_INPUT_VIDEO,       /* dl.image */
} GstDlTagInput;

/* One tag: its hysteresis state and its open segment. Times are stream
 * times. */
typedef struct
{
  gchar *name;
  gfloat threshold;             /* from dl.thresholds (or the default) */
  gboolean on;                  /* decided state: a segment is open */
  gboolean pushed;              /* state in the last tag event sent */
  gboolean pending;             /* the raw state differs from @on */
  GstClockTime pending_start;
  gdouble pending_sum;
  guint pending_n;
  GstClockTime seg_start;
  gdouble seg_sum;              /* probabilities over the segment */
  guint seg_n;
} GstDlTagState;

struct _GstDlTag
{
  GstBaseTransform parent;

  /* properties, protected by the object lock */
  GstDlTagMode mode;
  gchar *model_path;
  gchar *labels_file;
  guint window_ms, hop_ms;
  gfloat threshold;
  guint min_duration_ms;
  gint threads;
  guint inference_interval;
  guint smoothing;
  gchar *extra_tags;

  /* set up in start() and freed in stop(); otherwise used by the streaming
   * thread only */
  GstDlTagMode active_mode;
  GstDlTagInput input_kind;
  GstDlModel *model;
  dlnn_exec *exec;
  float *input;                 /* the exec's input buffer */
  gboolean apply_sigmoid;       /* the model does not end with Sigmoid */
  gboolean labels_fixed;        /* metadata mode with a labels-file */

  /* tags: GstDlTagState, and a probability per tag for one observation */
  GArray *tags;
  GArray *probs;                /* gfloat */

  /* video */
  dlnn_image_ctx *image;
  GstVideoInfo vinfo;
  dlnn_frame frame;
  gboolean inferred_once;
  guint since_last;

  /* audio: a ring of the last t_frames log-mel frames */
  GstDlAudio *audio;
  guint t_frames, n_mels, hop_frames;
  /* where in its window a result stands (dl.tag_centre): the fraction of
   * the window from its oldest frame's start, 0.5 for its centre */
  gdouble centre;
  gdouble centre_span;          /* centre as a fraction of first..last
                                 * frame centres (set up with t_frames) */
  gfloat *ring;
  guint64 n_received;           /* frames of the current signal */
  GstClockTime audio_base;      /* PTS of its first frame */

  /* end of the last observation decided (stream time) */
  GstClockTime last_end;

  /* smoothing (gstdltag-smooth.c, model mode): the last smooth_n
   * observations (probabilities [smooth_n][tags], intervals) in rings,
   * smooth_count observations since the history began; obs_end is the end
   * of the last observation made (last_end lags it by the filter's delay) */
  guint smooth_n;
  guint64 smooth_count;
  gfloat *smooth_probs;
  GstClockTime *smooth_starts, *smooth_ends;
  gfloat *smooth_scratch;
  GstClockTime obs_end;

  /* string tags that carry the tag set besides GST_TAG_KEYWORDS */
  gchar **extra_tag_names;

  /* last stream-scope tag list from upstream, merged into ours */
  GstTagList *upstream_tags;
};

/* gstdltag-infer.c */

/* Loads and checks the model (model mode) and allocates what streaming
 * needs; posts an element error and returns FALSE on failure. Called by
 * start() with copies of the properties. */
gboolean gst_dl_tag_setup_model (GstDlTag * self, const gchar * model_path,
    const gchar * labels_file, guint window_ms, guint hop_ms);
/* Metadata mode: the fixed label set of @labels_file (may be NULL). */
gboolean gst_dl_tag_setup_metadata (GstDlTag * self,
    const gchar * labels_file);
void gst_dl_tag_teardown (GstDlTag * self);

/* set_caps() work: checks the caps against the model's input and
 * configures the audio or video front end; posts a clear error on a
 * mismatch. */
gboolean gst_dl_tag_configure (GstDlTag * self, GstCaps * caps);

GstFlowReturn gst_dl_tag_process_video (GstDlTag * self, GstBuffer * buf);
GstFlowReturn gst_dl_tag_process_audio (GstDlTag * self, GstBuffer * buf);
GstFlowReturn gst_dl_tag_process_metadata (GstDlTag * self, GstBuffer * buf);
/* EOS in the audio path: the frames that need the end of the signal. */
GstFlowReturn gst_dl_tag_drain_audio (GstDlTag * self);
/* Forgets the audio signal (flush, caps change). */
void gst_dl_tag_reset_input (GstDlTag * self);
/* Copies the properties the streaming thread reads (@interval may be
 * NULL). */
void gst_dl_tag_live_props (GstDlTag * self, gfloat * override,
    GstClockTime * min_duration, guint * interval);

/* gstdltag-smooth.c */

/* Allocates the history of the median over @n observations (1: none) for
 * the tags there are; called by start() once they are known. */
gboolean gst_dl_tag_smooth_setup (GstDlTag * self, guint n);
void gst_dl_tag_smooth_free (GstDlTag * self);
/* A model observation covering [@start, @end) with the probabilities in
 * self->probs: smoothed, then passed to gst_dl_tag_observe() (at once
 * without smoothing, else (N-1)/2 observations later with its own
 * interval). Overwrites self->probs. */
void gst_dl_tag_push_observation (GstDlTag * self, GstClockTime start,
    GstClockTime end, gfloat override, GstClockTime min_duration);
/* Passes the observations still held back on (medians over the ones
 * there are) and forgets the history: EOS, flush, discontinuity, caps. */
void gst_dl_tag_smooth_finish (GstDlTag * self);

/* gstdltag-tracker.c */

/* Appends a tag (a copy of @name) with its threshold; returns its index.
 * Also grows self->probs. */
guint gst_dl_tag_add (GstDlTag * self, const gchar * name,
    gfloat threshold);
/* Index of tag @name or -1. */
gint gst_dl_tag_find (GstDlTag * self, const gchar * name);
void gst_dl_tag_clear_tags (GstDlTag * self);

/* One observation covering [@start, @end) (stream time) with the
 * probabilities in self->probs: hysteresis, "dltag" messages for the
 * segments it ends, a tag event when the tag set changed. @override >= 0
 * replaces every tag's threshold. */
void gst_dl_tag_observe (GstDlTag * self, GstClockTime start,
    GstClockTime end, gfloat override, GstClockTime min_duration);
/* Closes the open segments at @end (a "dltag" message each) and forgets
 * every tag's state (EOS, flush); pending starts are dropped. */
void gst_dl_tag_close_all (GstDlTag * self, GstClockTime end);

/* The tag event to send downstream for the tags that are on, merged with
 * @upstream (may be NULL): a new event (stream scope). */
GstEvent *gst_dl_tag_make_event (GstDlTag * self,
    const GstTagList * upstream);

G_END_DECLS

#endif /* __GST_DL_TAG_PRIVATE_H__ */
