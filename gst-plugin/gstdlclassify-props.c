/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/* The property specs of dlclassify and the reading of its preprocessing
 * properties at start(); set/get and the mutability the specs declare are
 * in gstdlclassify.c. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdlclassify-private.h"

void
gst_dl_classify_install_properties (GObjectClass * gobject_class)
{
  /**
   * GstDlClassify:model:
   *
   * The ONNX model file. Required.
   */
  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "ONNX image classification model file (required); its dl.image "
          "metadata sets the preprocessing", DEFAULT_MODEL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDlClassify:labels-file:
   *
   * Text file with one label per line, overriding the model's dl.labels.
   */
  g_object_class_install_property (gobject_class, PROP_LABELS_FILE,
      g_param_spec_string ("labels-file", "Labels file",
          "Text file with one class label per line, in class order; "
          "overrides the model's dl.labels (default: dl.labels, else "
          "\"class N\")", DEFAULT_LABELS_FILE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDlClassify:threshold:
   *
   * Minimum confidence of a result.
   */
  g_object_class_install_property (gobject_class, PROP_THRESHOLD,
      g_param_spec_float ("threshold", "Threshold",
          "Minimum confidence (0..1): when the best class scores less, "
          "nothing is attached or posted for the frame; top-k entries "
          "below it are left out", 0.0f, 1.0f, DEFAULT_THRESHOLD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstDlClassify:top-k:
   *
   * Number of best classes listed in the element message.
   */
  g_object_class_install_property (gobject_class, PROP_TOP_K,
      g_param_spec_uint ("top-k", "Top K",
          "Number of best classes in the \"top-k\" list of the element "
          "message (at most the number of classes)", 1, G_MAXUINT,
          DEFAULT_TOP_K,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstDlClassify:inference-interval:
   *
   * Classify one frame out of this many.
   */
  g_object_class_install_property (gobject_class, PROP_INFERENCE_INTERVAL,
      g_param_spec_uint ("inference-interval", "Inference interval",
          "Classify every Nth frame (1 = every frame); the frames in between "
          "pass without meta or message", 1, G_MAXUINT,
          DEFAULT_INFERENCE_INTERVAL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstDlClassify:threads:
   *
   * Threads of the math kernels (OpenBLAS and libdlnn's own loops), set
   * process-wide when the element starts; 0 keeps the current setting.
   * See the Threads section above.
   */
  g_object_class_install_property (gobject_class, PROP_THREADS,
      g_param_spec_int ("threads", "Threads",
          "Threads for the math kernels (OpenBLAS), process-wide; "
          "0 = keep the library default", 0, 1024, DEFAULT_THREADS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDlClassify:color-space:
   *
   * Channels of the model input and their order (DL Streamer's model-proc
   * `color_space`).
   */
  g_object_class_install_property (gobject_class, PROP_COLOR_SPACE,
      g_param_spec_enum ("color-space", "Color space",
          "Channels of the model input and their order (overrides "
          "dl.image color)", GST_TYPE_DL_COLOR_SPACE, DEFAULT_COLOR_SPACE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDlClassify:input-width:
   *
   * Width of the model input in pixels; 0 = from dl.image or the model's
   * input shape.
   */
  g_object_class_install_property (gobject_class, PROP_INPUT_WIDTH,
      g_param_spec_uint ("input-width", "Input width",
          "Width of the model input (0 = from dl.image or the input shape; "
          "needed for a dynamic input size)", 0, DLNN_IMAGE_MAX_SIZE,
          DEFAULT_INPUT_SIZE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDlClassify:input-height:
   *
   * Height of the model input in pixels; 0 = from dl.image or the model's
   * input shape.
   */
  g_object_class_install_property (gobject_class, PROP_INPUT_HEIGHT,
      g_param_spec_uint ("input-height", "Input height",
          "Height of the model input (0 = from dl.image or the input shape; "
          "needed for a dynamic input size)", 0, DLNN_IMAGE_MAX_SIZE,
          DEFAULT_INPUT_SIZE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDlClassify:resize:
   *
   * How a frame is fitted to the input size.
   */
  g_object_class_install_property (gobject_class, PROP_RESIZE,
      g_param_spec_enum ("resize", "Resize",
          "How a frame is fitted to the model input (overrides dl.image "
          "resize)", GST_TYPE_DL_RESIZE, DEFAULT_RESIZE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDlClassify:interpolation:
   *
   * Resampling filter of the resize.
   */
  g_object_class_install_property (gobject_class, PROP_INTERPOLATION,
      g_param_spec_enum ("interpolation", "Interpolation",
          "Resampling filter (overrides dl.image interp)",
          GST_TYPE_DL_INTERPOLATION, DEFAULT_INTERPOLATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDlClassify:mean:
   *
   * Per-channel mean subtracted after scaling, as in DL Streamer's
   * model-proc `mean`: one value or three comma-separated ones in the
   * input's channel order, e.g. "0.485,0.456,0.406".
   */
  g_object_class_install_property (gobject_class, PROP_MEAN,
      g_param_spec_string ("mean", "Mean",
          "Mean subtracted from the scaled pixel values: one value or three "
          "comma-separated values in the input's channel order, e.g. "
          "\"0.485,0.456,0.406\" (overrides dl.image mean)", DEFAULT_MEAN,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDlClassify:std:
   *
   * Per-channel standard deviation dividing after the mean, as in DL
   * Streamer's model-proc `std`: one value or three comma-separated ones.
   */
  g_object_class_install_property (gobject_class, PROP_STD,
      g_param_spec_string ("std", "Standard deviation",
          "Divisor after the mean: one value or three comma-separated "
          "values in the input's channel order, e.g. \"0.229,0.224,0.225\" "
          "(overrides dl.image std)", DEFAULT_STD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDlClassify:input-tensor-offset:
   *
   * Subtracted from every 0..255 pixel value before the division by
   * #GstDlClassify:input-tensor-scale, as in gst-plugins-bad's
   * onnxinference.
   */
  g_object_class_install_property (gobject_class, PROP_INPUT_TENSOR_OFFSET,
      g_param_spec_float ("input-tensor-offset", "Input tensor offset",
          "Subtracted from each 0..255 pixel value before the division by "
          "input-tensor-scale (when set, overrides dl.image)", -G_MAXFLOAT,
          G_MAXFLOAT, DEFAULT_INPUT_TENSOR_OFFSET,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstDlClassify:input-tensor-scale:
   *
   * Divides every pixel value minus #GstDlClassify:input-tensor-offset, as
   * in gst-plugins-bad's onnxinference; 255 gives 0..1.
   */
  g_object_class_install_property (gobject_class, PROP_INPUT_TENSOR_SCALE,
      g_param_spec_float ("input-tensor-scale", "Input tensor scale",
          "Divides each pixel value minus input-tensor-offset (255: 0..1; "
          "when set, overrides 1/scale of dl.image)", G_MINFLOAT,
          G_MAXFLOAT, DEFAULT_INPUT_TENSOR_SCALE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  gst_type_mark_as_plugin_api (GST_TYPE_DL_COLOR_SPACE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_DL_RESIZE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_DL_INTERPOLATION, 0);
}

void
gst_dl_classify_copy_image_props (GstDlClassify * self,
    GstDlImageProps * props, gchar ** mean, gchar ** std)
{
  props->color_set = self->color_space != GST_DL_COLOR_SPACE_AUTO;
  props->color = (dlnn_color) self->color_space;
  props->resize_set = self->resize != GST_DL_RESIZE_AUTO;
  props->resize = (dlnn_resize) self->resize;
  props->interp_set = self->interpolation != GST_DL_INTERPOLATION_AUTO;
  props->interp = (dlnn_interp) self->interpolation;
  props->width = (gint) self->input_width;
  props->height = (gint) self->input_height;
  props->offset_set = self->offset_set;
  props->offset = self->input_tensor_offset;
  props->scale_set = self->scale_set;
  props->scale = self->input_tensor_scale;
  *mean = g_strdup (self->mean);
  *std = g_strdup (self->std);
}

gboolean
gst_dl_classify_parse_norm_props (GstDlImageProps * props, const gchar * mean,
    const gchar * std, const gchar ** bad_prop, const gchar ** bad_value)
{
  if (mean != NULL
      && (props->n_mean = gst_dl_parse_floats (mean, props->mean)) < 0) {
    *bad_prop = "mean";
    *bad_value = mean;
    return FALSE;
  }
  if (std != NULL
      && (props->n_std = gst_dl_parse_floats (std, props->std)) < 0) {
    *bad_prop = "std";
    *bad_value = std;
    return FALSE;
  }
  return TRUE;
}
