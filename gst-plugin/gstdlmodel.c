/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/* Model loading shared by the elements of the dl plugin. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdlmodel.h"

#include <string.h>

static void
gst_dl_model_free (GstDlModel * model)
{
  dlnn_graph_free (model->graph);
  if (model->labels)
    dlnn_strv_free (model->labels, model->n_labels);
  g_free (model->labels_source);
  g_free (model->task);
  g_free (model->name);
  g_free (model->path);
  g_free (model);
}

GstDlModel *
gst_dl_model_ref (GstDlModel * model)
{
  g_return_val_if_fail (model != NULL, NULL);

  g_atomic_int_inc (&model->refcount);
  return model;
}

void
gst_dl_model_unref (GstDlModel * model)
{
  if (model == NULL)
    return;
  if (g_atomic_int_dec_and_test (&model->refcount))
    gst_dl_model_free (model);
}

static gboolean
gst_dl_model_load_labels (GstDlModel * model, const gchar * labels_file,
    GError ** error)
{
  dlnn_status st;
  const gchar *json;

  dlnn_status_clear (&st);

  if (labels_file != NULL) {
    if (!g_file_test (labels_file, G_FILE_TEST_EXISTS)) {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
          "Labels file \"%s\" does not exist.", labels_file);
      return FALSE;
    }
    if (dlnn_labels_read_file (labels_file, &model->labels, &model->n_labels,
            &st) != DLNN_OK) {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
          "Could not read labels file \"%s\": %s", labels_file, st.message);
      model->labels = NULL;
      model->n_labels = 0;
      return FALSE;
    }
    model->labels_source = g_strdup (labels_file);
    return TRUE;
  }

  json = dlnn_graph_get_meta (model->graph, "dl.labels");
  if (json == NULL)
    return TRUE;

  if (dlnn_json_parse_string_array (json, &model->labels, &model->n_labels,
          &st) != DLNN_OK) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
        "Model file \"%s\" has invalid dl.labels metadata: %s", model->path,
        st.message);
    model->labels = NULL;
    model->n_labels = 0;
    return FALSE;
  }
  model->labels_source = g_strdup ("dl.labels");
  return TRUE;
}

/* libdlnn's messages may start with "PATH: "; we name the file already. */
static const gchar *
strip_path (const gchar * message, const gchar * path)
{
  gsize len = strlen (path);

  if (strncmp (message, path, len) == 0 && message[len] == ':' &&
      message[len + 1] == ' ' && message[len + 2] != '\0')
    return message + len + 2;
  return message;
}

GstDlModel *
gst_dl_model_load (const gchar * path, const gchar * labels_file,
    GError ** error)
{
  GstDlModel *model;
  dlnn_graph *graph = NULL;
  dlnn_status st;
  const gchar *task;

  g_return_val_if_fail (path != NULL, NULL);

  dlnn_status_clear (&st);

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    goto not_found;
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    goto not_regular;
  if (dlnn_onnx_load_file (path, &graph, &st) != DLNN_OK)
    goto load_failed;
  if (dlnn_graph_optimize_inference (graph, &st) != DLNN_OK)
    goto optimize_failed;

  model = g_new0 (GstDlModel, 1);
  model->refcount = 1;
  model->path = g_strdup (path);
  model->name = g_path_get_basename (path);
  model->graph = graph;
  task = dlnn_graph_get_meta (graph, "dl.task");
  model->task = g_strdup (task);

  if (!gst_dl_model_load_labels (model, labels_file, error)) {
    gst_dl_model_unref (model);
    return NULL;
  }

  return model;

  /* ERRORS */
not_found:
  {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
        "Model file \"%s\" does not exist.", path);
    return NULL;
  }
not_regular:
  {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
        "Model file \"%s\" is not a regular file.", path);
    return NULL;
  }
load_failed:
  {
    dlnn_graph_free (graph);
    g_set_error (error, GST_RESOURCE_ERROR, st.code == DLNN_ERR_IO ?
        GST_RESOURCE_ERROR_OPEN_READ : GST_RESOURCE_ERROR_READ,
        "Could not load model file \"%s\": %s", path,
        strip_path (st.message, path));
    return NULL;
  }
optimize_failed:
  {
    dlnn_graph_free (graph);
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
        "Could not prepare model file \"%s\" for inference: %s", path,
        strip_path (st.message, path));
    return NULL;
  }
}

/* A batch dimension we can feed with a single frame. */
static gboolean
batch_ok (gint64 d)
{
  return d < 0 || d == 1;
}

/* A declared dimension @d (< 0 = dynamic) that can take the value @want. */
static gboolean
dim_ok (gint64 d, gint64 want)
{
  return d < 0 || d == want;
}

static const gchar *
color_name (dlnn_color color)
{
  switch (color) {
    case DLNN_COLOR_GRAY:
      return "gray";
    case DLNN_COLOR_RGB:
      return "rgb";
    case DLNN_COLOR_BGR:
      return "bgr";
  }
  return "?";
}

/* Applies the fields set in @props over @cfg; the normalisation as in
 * GstDlImageProps. */
static void
apply_props (dlnn_image_cfg * cfg, const GstDlImageProps * props)
{
  gfloat k = cfg->scale, offset = 0.0f;
  gfloat mean[3], std[3];
  gint c;

  if (props->color_set)
    cfg->color = props->color;
  if (props->resize_set)
    cfg->resize = props->resize;
  if (props->interp_set)
    cfg->interp = props->interp;
  if (props->width > 0)
    cfg->width = props->width;
  if (props->height > 0)
    cfg->height = props->height;

  if (props->scale_set)
    k = 1.0f / props->scale;
  if (props->offset_set)
    offset = props->offset;
  for (c = 0; c < 3; c++) {
    mean[c] = props->n_mean == 0 ? cfg->mean[c] :
        props->mean[props->n_mean == 3 ? c : 0];
    std[c] = props->n_std == 0 ? cfg->std[c] :
        props->std[props->n_std == 3 ? c : 0];
  }
  cfg->scale = k;
  for (c = 0; c < 3; c++) {
    cfg->mean[c] = offset * k + mean[c];
    cfg->std[c] = std[c];
  }
}

gboolean
gst_dl_model_image_input (GstDlModel * model, const GstDlImageProps * props,
    dlnn_image_cfg * cfg, gint * ndim, gint64 * dims, GError ** error)
{
  static const GstDlImageProps no_props = { 0, };
  const dlnn_graph *g;
  const dlnn_value *in;
  const gchar *meta;
  gchar shape[160];
  dlnn_status st;
  gint64 c, h, w;

  g_return_val_if_fail (model != NULL, FALSE);

  if (props == NULL)
    props = &no_props;
  g = model->graph;
  dlnn_status_clear (&st);
  dlnn_image_cfg_init (cfg);

  if (g->n_inputs != 1)
    goto wrong_input_count;

  in = &g->values[g->inputs[0]];
  dlnn_shape_str (in->ndim, in->dims, shape, sizeof (shape));

  meta = dlnn_graph_get_meta (g, "dl.image");
  if (meta != NULL) {
    if (dlnn_image_cfg_parse (meta, cfg, &st) != DLNN_OK)
      goto bad_meta;
  } else if (in->ndim == 4) {
    /* An imported model: derive the preprocessing from an NCHW input with
     * 1 (gray) or 3 (rgb) channels, pixels scaled to 0..1; the properties
     * give what the shape does not say (a dynamic size). */
    if (in->dims[1] == 1 || (in->dims[1] < 0 && props->color_set &&
            props->color == DLNN_COLOR_GRAY))
      cfg->color = DLNN_COLOR_GRAY;
    else if (in->dims[1] == 3 || (in->dims[1] < 0 && props->color_set))
      cfg->color = DLNN_COLOR_RGB;
    else
      goto no_meta;
    cfg->height = in->dims[2] > 0 ? (int) in->dims[2] : props->height;
    cfg->width = in->dims[3] > 0 ? (int) in->dims[3] : props->width;
    if (cfg->height <= 0 || cfg->width <= 0)
      goto no_meta;
  } else if (in->ndim == 2 && props->width > 0 && props->height > 0) {
    /* a flat vector: only the properties can say the image size */
  } else {
    goto no_meta;
  }

  apply_props (cfg, props);
  if ((cfg->color == DLNN_COLOR_GRAY && (props->n_mean == 3 ||
              props->n_std == 3)))
    goto gray_triplet;
  if (dlnn_image_cfg_validate (cfg, &st) != DLNN_OK)
    goto bad_props;

  c = dlnn_image_cfg_channels (cfg);
  h = cfg->height;
  w = cfg->width;

  if (in->ndim == 4) {
    if (!batch_ok (in->dims[0]) || !dim_ok (in->dims[1], c) ||
        !dim_ok (in->dims[2], h) || !dim_ok (in->dims[3], w))
      goto mismatch;
    *ndim = 4;
    dims[0] = 1;
    dims[1] = c;
    dims[2] = h;
    dims[3] = w;
  } else if (in->ndim == 2) {
    /* a flat vector of C*H*W values, e.g. a multilayer perceptron */
    if (!batch_ok (in->dims[0]) || !dim_ok (in->dims[1], c * h * w))
      goto mismatch;
    *ndim = 2;
    dims[0] = 1;
    dims[1] = c * h * w;
  } else {
    goto mismatch;
  }

  return TRUE;

  /* ERRORS */
wrong_input_count:
  {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "Model file \"%s\" has %d inputs; an image model has exactly one.",
        model->path, g->n_inputs);
    return FALSE;
  }
bad_meta:
  {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "Model file \"%s\" has invalid dl.image metadata \"%s\": %s",
        model->path, meta, st.message);
    return FALSE;
  }
no_meta:
  {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "Model file \"%s\" has no dl.image metadata and its input %s is not "
        "an NCHW image with 1 or 3 channels whose size is known: set the "
        "input-width, input-height and color-space properties.",
        model->path, shape);
    return FALSE;
  }
gray_triplet:
  {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "Model file \"%s\": three mean or std values given for a gray "
        "(1-channel) input.", model->path);
    return FALSE;
  }
bad_props:
  {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "Model file \"%s\": invalid preprocessing properties: %s",
        model->path, st.message);
    return FALSE;
  }
mismatch:
  {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "Model file \"%s\": input %s does not fit its image preprocessing "
        "(color=%s, width=%d, height=%d): expected NCHW [1, %d, %d, %d] "
        "(or a flat [1, %d]).", model->path, shape, color_name (cfg->color),
        cfg->width, cfg->height, (int) c, (int) h, (int) w, (int) (c * h * w));
    return FALSE;
  }
}

void
gst_dl_model_post_error (GstElement * element, const GError * error)
{
  g_return_if_fail (error != NULL);

  if (error->domain == GST_RESOURCE_ERROR) {
    switch (error->code) {
      case GST_RESOURCE_ERROR_NOT_FOUND:
        GST_ELEMENT_ERROR (element, RESOURCE, NOT_FOUND, ("%s",
                error->message), (NULL));
        return;
      case GST_RESOURCE_ERROR_OPEN_READ:
        GST_ELEMENT_ERROR (element, RESOURCE, OPEN_READ, ("%s",
                error->message), (NULL));
        return;
      case GST_RESOURCE_ERROR_READ:
        GST_ELEMENT_ERROR (element, RESOURCE, READ, ("%s", error->message),
            (NULL));
        return;
      case GST_RESOURCE_ERROR_SETTINGS:
        GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS, ("%s",
                error->message), (NULL));
        return;
      default:
        break;
    }
  }
  GST_ELEMENT_ERROR (element, RESOURCE, FAILED, ("%s", error->message),
      (NULL));
}

gboolean
gst_dl_model_speech_input (GstDlModel * model, GstDlSpeechInput * out,
    GError ** error)
{
  const dlnn_graph *g;
  const dlnn_value *in;
  const gchar *meta, *ctc;
  gchar shape[160];
  dlnn_status st;
  gint i;

  g_return_val_if_fail (model != NULL && out != NULL, FALSE);

  g = model->graph;
  dlnn_status_clear (&st);
  memset (out, 0, sizeof (*out));

  if (model->task != NULL && strcmp (model->task, "speech") != 0)
    goto wrong_task;
  meta = dlnn_graph_get_meta (g, "dl.audio");
  if (meta == NULL)
    goto no_audio;
  if (dlnn_audio_cfg_parse (meta, &out->audio, &st) != DLNN_OK)
    goto bad_audio;
  out->n_mels = out->audio.n_mels;

  if (g->n_inputs != 1)
    goto wrong_input_count;
  in = &g->values[g->inputs[0]];
  dlnn_shape_str (in->ndim, in->dims, shape, sizeof (shape));
  if (in->ndim != 3 || !batch_ok (in->dims[0]) ||
      !dim_ok (in->dims[2], out->n_mels) || in->dims[1] == 0)
    goto bad_input;
  if (g->n_outputs < 1)
    goto no_output;

  if (model->labels == NULL || model->n_labels < 2)
    goto no_labels;
  out->n_classes = model->n_labels;

  ctc = dlnn_graph_get_meta (g, "dl.ctc");
  if (dlnn_ctc_parse_meta (ctc, &out->blank, &st) != DLNN_OK)
    goto bad_ctc;
  if (out->blank < 0 || out->blank >= out->n_classes)
    goto bad_blank;

  out->boundary = -1;
  for (i = 0; i < model->n_labels; i++)
    if (i != out->blank && strcmp (model->labels[i], " ") == 0)
      out->boundary = i;
  return TRUE;

  /* ERRORS */
wrong_task:
  {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "Model file \"%s\" is a \"%s\" model (dl.task), not a speech model.",
        model->path, model->task);
    return FALSE;
  }
no_audio:
  {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "Model file \"%s\" has no dl.audio metadata: a speech model must "
        "say how its log-mel input is computed.", model->path);
    return FALSE;
  }
bad_audio:
  {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "Model file \"%s\" has invalid dl.audio metadata \"%s\": %s",
        model->path, meta, st.message);
    return FALSE;
  }
wrong_input_count:
  {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "Model file \"%s\" has %d inputs; a speech model has exactly one.",
        model->path, g->n_inputs);
    return FALSE;
  }
bad_input:
  {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "Model file \"%s\": input %s is not [N, T, %d] log-mel frames "
        "(n_mels=%d in dl.audio).", model->path, shape, out->n_mels,
        out->n_mels);
    return FALSE;
  }
no_output:
  {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "Model file \"%s\" has no output.", model->path);
    return FALSE;
  }
no_labels:
  {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "Model file \"%s\" has no dl.labels (the CTC output symbols, "
        "\"<blank>\" first).", model->path);
    return FALSE;
  }
bad_ctc:
  {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "Model file \"%s\" has invalid dl.ctc metadata \"%s\": %s",
        model->path, ctc, st.message);
    return FALSE;
  }
bad_blank:
  {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
        "Model file \"%s\": dl.ctc blank=%d is not one of its %d labels.",
        model->path, out->blank, out->n_classes);
    return FALSE;
  }
}
