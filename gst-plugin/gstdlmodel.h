/* gst-dl
 * Copyright (C) 2024 gst-dl contributors
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

/* Image input of a model: the dl.image configuration (or one derived from
 * the input shape when the model has no dl.image) and the input shape to
 * feed, [1,C,H,W] (or [1,C*H*W] for models that take a flat vector).
 * Fails with GST_RESOURCE_ERROR_SETTINGS and a message naming the file when
 * the graph's input does not fit the image configuration (channel count,
 * layout, size). */
gboolean gst_dl_model_image_input (GstDlModel * model, dlnn_image_cfg * cfg,
    gint * ndim, gint64 * dims, GError ** error);

/* Posts @error (from the functions above) as an element error on
 * @element, keeping its domain and code. */
void gst_dl_model_post_error (GstElement * element, const GError * error);

G_END_DECLS

#endif /* __GST_DL_MODEL_H__ */
