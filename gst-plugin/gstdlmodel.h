/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_DL_MODEL_H__
#define __GST_DL_MODEL_H__

#include <gst/gst.h>
#include <dlnn/dlnn.h>

G_BEGIN_DECLS

/**
 * GstDlModel:
 *
 * A loaded model shared by the elements of this plugin: the ONNX graph,
 * finalized and optimized for inference, plus its dl.* metadata. It is
 * immutable once loaded, so several elements (one dlnn_exec each) may use
 * it at the same time. Reference counted; the members are read-only.
 */
typedef struct _GstDlModel
{
  /*< private >*/
  gint refcount;

  /*< public, read-only >*/
  gchar *path;                  /* file name as given */
  gchar *name;                  /* basename of @path, for metas/messages */
  dlnn_graph *graph;
  gchar *task;                  /* dl.task or NULL */
  gchar **labels;               /* from labels-file or dl.labels; may be NULL */
  gint n_labels;
  gchar *labels_source;         /* "dl.labels" or the labels file name */
} GstDlModel;

/* Loads @path (and @labels_file, which overrides dl.labels, if non-NULL).
 * On failure returns NULL and sets @error in the GST_RESOURCE_ERROR domain:
 * NOT_FOUND (no such file), OPEN_READ (cannot read), READ (corrupt or
 * unsupported content), SETTINGS (bad labels file). The message names the
 * file and the reason libdlnn gave. */
GstDlModel *gst_dl_model_load (const gchar * path, const gchar * labels_file,
    GError ** error);
GstDlModel *gst_dl_model_ref (GstDlModel * model);
void gst_dl_model_unref (GstDlModel * model);

/**
 * GstDlImageProps:
 *
 * Preprocessing given by element properties, for models without dl.image
 * metadata (imported ones) or to override it. Each field applies only when
 * set. The normalisation is
 *
 *   ((pixel - offset) / scale - mean[c]) / std[c]
 *
 * on 0..255 pixel values; unset terms come from dl.image (offset 0,
 * scale 1 / dl.image scale, its mean and std) or, without dl.image, are
 * offset 0, scale 255, mean 0, std 1.
 */
typedef struct _GstDlImageProps
{
  gboolean color_set;
  dlnn_color color;
  gboolean resize_set;
  dlnn_resize resize;
  gboolean interp_set;
  dlnn_interp interp;
  gint width, height;           /* 0 = from dl.image or the input shape */
  gint n_mean, n_std;           /* 0 = unset, 1 = every channel, 3 */
  gfloat mean[3], std[3];
  gboolean offset_set;
  gfloat offset;
  gboolean scale_set;
  gfloat scale;
} GstDlImageProps;

/* Image input of a model: the dl.image configuration (or one derived from
 * the input shape when the model has no dl.image), with the fields set in
 * @props (may be NULL) applied over it, and the input shape to feed,
 * [1,C,H,W] (or [1,C*H*W] for models that take a flat vector).
 * Fails with GST_RESOURCE_ERROR_SETTINGS and a message naming the file when
 * the graph's input does not fit the image configuration (channel count,
 * layout, size) or the properties are inconsistent. */
gboolean gst_dl_model_image_input (GstDlModel * model,
    const GstDlImageProps * props, dlnn_image_cfg * cfg, gint * ndim,
    gint64 * dims, GError ** error);

/**
 * GstDlSpeechInput:
 *
 * What a speech model (dl.task=speech, see the model contract in
 * README.md) says about its input and output: the resolved dl.audio front
 * end, the number of output symbols (= dl.labels), the CTC blank (dl.ctc)
 * and the word boundary (the index of the label " ", -1 if none).
 */
typedef struct _GstDlSpeechInput
{
  dlnn_audio_cfg audio;
  gint n_mels;
  gint n_classes;
  gint blank;
  gint boundary;
} GstDlSpeechInput;

/* Checks that @model is a speech model: dl.task "speech" (or absent),
 * valid dl.audio, one input of rank 3 [N, T, n_mels] (N and T 1 or
 * dynamic, n_mels the dl.audio one or dynamic), dl.labels present with
 * "<blank>"-style blank at the dl.ctc index, valid dl.ctc.  On failure sets
 * @error (GST_RESOURCE_ERROR_SETTINGS) naming the file and the reason. The
 * output shape is checked by the element (it needs a run). */
gboolean gst_dl_model_speech_input (GstDlModel * model,
    GstDlSpeechInput * out, GError ** error);

/* Posts @error (from the functions above) as an element error on
 * @element, keeping its domain and code. */
void gst_dl_model_post_error (GstElement * element, const GError * error);

G_END_DECLS

#endif /* __GST_DL_MODEL_H__ */
