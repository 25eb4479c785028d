/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/* Private to the dlspeech element: its instance structure and the
 * functions shared by gstdlspeech.c (the element: pads, events, states),
 * gstdlspeech-props.c (properties), gstdlspeech-start.c (start/stop),
 * gstdlspeech-endpoint.c (voice activity and utterance
 * buffering) and gstdlspeech-decode.c (model, CTC decoding, text buffers,
 * messages, vocabulary, grammar). */
#ifndef __GST_DL_SPEECH_PRIVATE_H__
#define __GST_DL_SPEECH_PRIVATE_H__

#include "gstdlspeech.h"
#include "gstdlaudio.h"
#include "gstdlmodel.h"

#include <dlnn/dlnn.h>

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_dl_speech_debug);
#define GST_CAT_DEFAULT gst_dl_speech_debug

#define DEFAULT_MODEL NULL
#define DEFAULT_VOCABULARY NULL
#define DEFAULT_GRAMMAR NULL
#define DEFAULT_LM NULL
/* 0: automatic, AUTO_BEAM_OPEN or with a vocabulary or grammar
 * AUTO_BEAM_CONSTRAINED (see gst_dl_speech_start) */
#define DEFAULT_BEAM_SIZE 0
#define AUTO_BEAM_OPEN 8
#define AUTO_BEAM_CONSTRAINED 32
/* < 0: automatic, with a vocabulary or grammar
 * DLNN_CTC_CONSTRAINED_PRIOR_BLANK_PENALTY when the class priors are used,
 * else DLNN_CTC_CONSTRAINED_BLANK_PENALTY; 0 otherwise */
#define DEFAULT_BLANK_PENALTY -1.0f
/* < 0: automatic, DLNN_CTC_CONSTRAINED_PRIOR_WEIGHT with a vocabulary or
 * grammar and a model with dl.ctc_prior, else 0 */
#define DEFAULT_PRIOR_WEIGHT -1.0f
#define DEFAULT_PARTIAL_RESULTS FALSE
#define DEFAULT_SILENCE_DURATION 500    /* ms */
#define DEFAULT_MAX_UTTERANCE 30.0      /* s */
#define DEFAULT_THREADS 0
#define DEFAULT_LM_WEIGHT DLNN_CTC_LM_DEFAULT_WEIGHT
#define DEFAULT_WORD_BONUS DLNN_CTC_LM_DEFAULT_WORD_BONUS
#define DEFAULT_LM_LEXICON TRUE

/* endpointing constants (documented in gstdlspeech.c) */
#define VAD_ON_DB 10.0          /* speech starts this far above the floor */
#define VAD_OFF_DB 6.0          /* and goes on while this far above it */
#define VAD_FLOOR_INIT_DBFS -50.0       /* initial noise floor */
#define VAD_MIN_DBFS -60.0      /* nothing quieter is speech */
#define VAD_FLOOR_FALL_MS 50.0  /* time constant of the floor going down */
#define VAD_FLOOR_RISE_DB_PER_S 3.0     /* fastest rise of the floor */
#define VAD_FLOOR_RISE_SPEECH_DB_PER_S 0.5      /* the same in an utterance */
#define VAD_PRE_PAD_MS 200      /* audio kept before the speech onset */
#define VAD_POST_PAD_MS 200     /* silence kept after the last speech */
#define PARTIAL_INTERVAL_MS 300 /* new speech between partial results */

struct _GstDlSpeech
{
  GstElement parent;

  GstPad *sinkpad, *srcpad;

  /* properties, protected by the object lock */
  gchar *model_path;
  gchar *vocabulary;
  gchar *grammar;               /* JSGF file, overrides vocabulary */
  gchar *lm;
  gfloat lm_weight, word_bonus;
  gboolean lm_lexicon;
  guint beam_size;
  gfloat blank_penalty;         /* < 0: automatic */
  gfloat prior_weight;          /* < 0: automatic */
  gboolean partial_results;
  guint silence_duration;       /* ms */
  gdouble max_utterance;        /* s */
  gint threads;

  /* set up by start() (READY -> PAUSED), then used by the streaming thread
   * only (and by stop()) */
  GstDlModel *model;
  dlnn_exec *exec;
  GstDlAudio *audio;
  gint n_mels, n_classes, blank, boundary, stride;
  gboolean logits;              /* output needs a log-softmax */
  dlnn_ctc_vocab *vocab;
  gfloat *class_offset;         /* -w * dl.ctc_prior, or NULL */
  dlnn_ctc_lm *lm_model;
  dlnn_ctc_beam *beam;          /* NULL: greedy */
  dlnn_ctc_token *tokens;       /* greedy output, max_out entries */
  gsize max_frames;             /* utterance capacity, frames */
  gsize max_out;                /* output frames for max_frames */
  GString *text;                /* preallocated text of a hypothesis */
  GString *word;                /* and of one of its words */
  GstClockTime hop;             /* frame hop, ns */
  gdouble floor_init_db, min_db;        /* energies, see the VAD */

  /* utterance in progress: frames utt[0..utt_len) from signal frame
   * utt_first, starting at utt_start */
  gfloat *utt;
  gsize utt_len;
  guint64 utt_first;
  gboolean in_speech;
  GstClockTime utt_start;
  gsize last_voiced;            /* utt_len just after the last voiced frame */
  gsize silence_run;            /* unvoiced frames since then */
  gsize partial_mark;           /* utt_len at the last partial result */
  /* frames before the onset: a ring of ring_cap frames */
  gfloat *ring;
  gsize ring_cap, ring_len, ring_head;
  guint64 ring_end;             /* signal index after the newest ring frame */
  /* noise floor */
  gboolean floor_set;
  gdouble floor_db;

  /* input format */
  gboolean have_info;
  GstAudioInfo info;

  /* output */
  gboolean src_caps_sent;
  GstClockTime covered;         /* src covered by text or gaps up to here */
  GstSegment segment;
};

/* gstdlspeech-props.c */
void gst_dl_speech_install_properties (GObjectClass * gobject_class);
void gst_dl_speech_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
void gst_dl_speech_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);

/* gstdlspeech-start.c: resources for READY -> PAUSED, freed by stop */
gboolean gst_dl_speech_start (GstDlSpeech * self);
void gst_dl_speech_stop (GstDlSpeech * self);

/* gstdlspeech-endpoint.c */
void gst_dl_speech_endpoint_reset (GstDlSpeech * self);
/* Feeds @n log-mel frames (signal indexes @first...) through the voice
 * activity detector; ends utterances (decode + push), posts partial
 * results, pushes gaps. */
GstFlowReturn gst_dl_speech_process_frames (GstDlSpeech * self,
    const gfloat * frames, gsize n, guint64 first);
/* Ends the open utterance, if any (EOS, caps change, discontinuity). */
GstFlowReturn gst_dl_speech_flush_utterance (GstDlSpeech * self);
gdouble gst_dl_speech_frame_energy (GstDlSpeech * self,
    const gfloat * frame);

/* gstdlspeech-decode.c */
/* Runs the model on @n frames of the utterance starting at @start, decodes
 * and posts a "dlspeech" message; when @final, also pushes the text
 * buffer (PTS @start, duration @duration) unless the text is empty. */
GstFlowReturn gst_dl_speech_decode (GstDlSpeech * self, const gfloat * frames,
    gsize n, GstClockTime start, GstClockTime duration, gboolean final);
/* Pushes a GAP event on the source pad up to @end (from self->covered). */
void gst_dl_speech_push_gap (GstDlSpeech * self, GstClockTime end);
/* Builds the vocabulary decoder tree from the vocabulary property. */
/* The words of the loaded LM (those the labels can spell) as a
 * vocabulary; *n_words gets their count. */
dlnn_ctc_vocab *gst_dl_speech_lm_lexicon (GstDlSpeech * self,
    gint64 * n_words, GError ** error);
dlnn_ctc_vocab *gst_dl_speech_parse_vocabulary (GstDlSpeech * self,
    const gchar * vocabulary, GError ** error);
/* The decoding constraint of the JSGF grammar file @path (errors name the
 * file and line). */
dlnn_ctc_vocab *gst_dl_speech_load_grammar (GstDlSpeech * self,
    const gchar * path, GError ** error);

G_END_DECLS

#endif /* __GST_DL_SPEECH_PRIVATE_H__ */
