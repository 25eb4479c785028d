/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/**
 * SECTION:element-dlclassify
 * @title: dlclassify
 *
 * dlclassify runs an image classification model (an ONNX file, for
 * instance one made by dltrain) on raw video frames and passes the frames
 * through unchanged. The model's `dl.image` metadata says how a frame is
 * turned into the network's input (colour, size, resize mode,
 * normalisation); the caps' colorimetry (YUV range and matrix) is honoured.
 *
 * For every classified frame whose best score reaches #GstDlClassify:threshold
 * the element
 *
 * * attaches a #GstVideoRegionOfInterestMeta covering the whole frame, whose
 *   roi_type is the label, with a parameter structure named
 *   `classification` holding `label` (string), `label_id` (uint),
 *   `confidence` (double, 0..1) and `model_name` (string, the model file's
 *   basename);
 * * posts an element message named `dlclassify` with the fields
 *   `timestamp` (guint64, the buffer PTS or GST_CLOCK_TIME_NONE),
 *   `stream-time` and `running-time` (guint64), `label`, `label_id`,
 *   `confidence`, and `top-k`, a #GstValueList of `classification`
 *   structures (`label`, `label_id`, `confidence`) sorted by decreasing
 *   confidence, holding at most #GstDlClassify:top-k entries that reach the
 *   threshold.
 *
 * When the model's last operation is not a Softmax, a softmax is applied to
 * its output so that the confidences are probabilities. Labels come from
 * #GstDlClassify:labels-file, else from the model's `dl.labels`, else they
 * are "class N".
 *
 * ## Imported models
 *
 * A model without `dl.image` metadata (exported from PyTorch, for
 * instance) takes an NCHW input; its colour and size come from the input
 * shape and the pixels are scaled to 0..1 unless properties say otherwise:
 * #GstDlClassify:color-space, #GstDlClassify:input-width and
 * #GstDlClassify:input-height (for a dynamic input size),
 * #GstDlClassify:resize, #GstDlClassify:interpolation, #GstDlClassify:mean
 * and #GstDlClassify:std (as DL Streamer's model-proc `input_preproc`
 * params name them), #GstDlClassify:input-tensor-offset and
 * #GstDlClassify:input-tensor-scale (as gst-plugins-bad's onnxinference
 * names them). A tensor value is
 * `((pixel - input-tensor-offset) / input-tensor-scale - mean[c]) / std[c]`
 * for 0..255 pixel values. Each property that is set overrides the
 * corresponding part of `dl.image`; the ones left unset keep it.
 *
 * A missing #GstDlClassify:model, a missing or unreadable file, or a model
 * that does not take an image is an error when the element starts (READY
 * to PAUSED), naming the file and the reason.
 *
 * ## Threads
 *
 * #GstDlClassify:threads is process-wide: it calls dlnn_set_threads(),
 * which sets OpenBLAS's thread count (openblas_set_num_threads) and the
 * size of libdlnn's own small pool (im2col, pooling, activations), both
 * shared by every element and every model in the process; the last element
 * to start wins. 0 keeps the current setting: OpenBLAS's default is
 * OPENBLAS_NUM_THREADS, else every core. With N threads a GEMM uses the
 * calling streaming thread plus N-1 OpenBLAS workers, which keep spinning
 * for a while after each call before they sleep; with 1 thread everything
 * runs in the streaming thread and no worker runs. Several elements
 * inferring at the same time each run in their own streaming thread (put a
 * queue before each): keep threads x (elements inferring at once) within
 * the number of cores. On a 2-core machine that is one element with
 * threads=2, or several with threads=1 (set it on all of them). See
 * README.md, "Threads".
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m videotestsrc num-buffers=30 ! videoconvert ! \
 *     dlclassify model=samples/models/fashion-mnist.onnx ! fakesink
 * ]| classifies 30 test frames and prints the `dlclassify` messages.
 * |[
 * gst-launch-1.0 -m filesrc location=/usr/share/doc/opencv-doc/examples/data/vtest.avi ! \
 *     decodebin ! videoconvert ! dlclassify model=resnet18.onnx \
 *     labels-file=imagenet.txt color-space=RGB resize=crop \
 *     interpolation=bilinear mean=0.485,0.456,0.406 std=0.229,0.224,0.225 ! \
 *     fakesink
 * ]| runs a torchvision classifier exported with torch.onnx.export.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdlclassify-private.h"

#include <string.h>

GST_DEBUG_CATEGORY (gst_dl_classify_debug);

#define VIDEO_FORMATS GST_DL_VIDEO_FORMATS

static GstStaticPadTemplate gst_dl_classify_sink_template =
GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS)));

static GstStaticPadTemplate gst_dl_classify_src_template =
GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS)));

#define gst_dl_classify_parent_class parent_class
G_DEFINE_TYPE (GstDlClassify, gst_dl_classify, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (dlclassify, "dlclassify", GST_RANK_NONE,
    GST_TYPE_DL_CLASSIFY);

static void gst_dl_classify_finalize (GObject * object);
static void gst_dl_classify_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_dl_classify_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static gboolean gst_dl_classify_start (GstBaseTransform * trans);
static gboolean gst_dl_classify_stop (GstBaseTransform * trans);
static GstFlowReturn gst_dl_classify_prepare_output_buffer (GstBaseTransform
    * trans, GstBuffer * inbuf, GstBuffer ** outbuf);
static GstFlowReturn gst_dl_classify_transform_ip (GstBaseTransform * trans,
    GstBuffer * buf);
static gboolean gst_dl_classify_set_info (GstVideoFilter * filter,
    GstCaps * incaps, GstVideoInfo * in_info, GstCaps * outcaps,
    GstVideoInfo * out_info);
static GstFlowReturn gst_dl_classify_transform_frame_ip (GstVideoFilter *
    filter, GstVideoFrame * frame);

static void
gst_dl_classify_class_init (GstDlClassifyClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;
  GstBaseTransformClass *trans_class = (GstBaseTransformClass *) klass;
  GstVideoFilterClass *filter_class = (GstVideoFilterClass *) klass;

  GST_DEBUG_CATEGORY_INIT (gst_dl_classify_debug, "dlclassify", 0,
      "image classification with libdlnn");

  gobject_class->finalize = gst_dl_classify_finalize;
  gobject_class->set_property = gst_dl_classify_set_property;
  gobject_class->get_property = gst_dl_classify_get_property;

  gst_dl_classify_install_properties (gobject_class);

  gst_element_class_set_static_metadata (element_class,
      "Deep-learning image classifier", "Filter/Analyzer/Video",
      "Classifies video frames with an ONNX model; attaches "
      "GstVideoRegionOfInterestMeta and posts \"dlclassify\" messages",
      "gst-dl contributors");

  gst_element_class_add_static_pad_template (element_class,
      &gst_dl_classify_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &gst_dl_classify_src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_dl_classify_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_dl_classify_stop);
  trans_class->prepare_output_buffer =
      GST_DEBUG_FUNCPTR (gst_dl_classify_prepare_output_buffer);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_dl_classify_transform_ip);
  trans_class->transform_ip_on_passthrough = TRUE;

  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_dl_classify_set_info);
  filter_class->transform_frame_ip =
      GST_DEBUG_FUNCPTR (gst_dl_classify_transform_frame_ip);
}

static void
gst_dl_classify_init (GstDlClassify * self)
{
  self->model_path = g_strdup (DEFAULT_MODEL);
  self->labels_file = g_strdup (DEFAULT_LABELS_FILE);
  self->threshold = DEFAULT_THRESHOLD;
  self->top_k = DEFAULT_TOP_K;
  self->inference_interval = DEFAULT_INFERENCE_INTERVAL;
  self->threads = DEFAULT_THREADS;
  self->color_space = DEFAULT_COLOR_SPACE;
  self->input_width = DEFAULT_INPUT_SIZE;
  self->input_height = DEFAULT_INPUT_SIZE;
  self->resize = DEFAULT_RESIZE;
  self->interpolation = DEFAULT_INTERPOLATION;
  self->mean = g_strdup (DEFAULT_MEAN);
  self->std = g_strdup (DEFAULT_STD);
  self->input_tensor_offset = DEFAULT_INPUT_TENSOR_OFFSET;
  self->input_tensor_scale = DEFAULT_INPUT_TENSOR_SCALE;

  /* Frames are only read; buffers only gain a meta. */
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_gap_aware (GST_BASE_TRANSFORM (self), TRUE);
}

static void
gst_dl_classify_finalize (GObject * object)
{
  GstDlClassify *self = GST_DL_CLASSIFY (object);

  g_free (self->model_path);
  g_free (self->labels_file);
  g_free (self->mean);
  g_free (self->std);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* Called with the object lock held. */
static gboolean
gst_dl_classify_ready_or_null (GstDlClassify * self)
{
  GstState state = GST_STATE (self);

  return state == GST_STATE_NULL || state == GST_STATE_READY;
}

/* The properties mutable in NULL and READY only. Called with the object
 * lock held. */
static void
gst_dl_classify_set_ready_property (GstDlClassify * self, guint prop_id,
    const GValue * value)
{
  switch (prop_id) {
    case PROP_MODEL:
      g_free (self->model_path);
      self->model_path = g_value_dup_string (value);
      break;
    case PROP_LABELS_FILE:
      g_free (self->labels_file);
      self->labels_file = g_value_dup_string (value);
      break;
    case PROP_THREADS:
      self->threads = g_value_get_int (value);
      break;
    case PROP_COLOR_SPACE:
      self->color_space = g_value_get_enum (value);
      break;
    case PROP_INPUT_WIDTH:
      self->input_width = g_value_get_uint (value);
      break;
    case PROP_INPUT_HEIGHT:
      self->input_height = g_value_get_uint (value);
      break;
    case PROP_RESIZE:
      self->resize = g_value_get_enum (value);
      break;
    case PROP_INTERPOLATION:
      self->interpolation = g_value_get_enum (value);
      break;
    case PROP_MEAN:
      g_free (self->mean);
      self->mean = g_value_dup_string (value);
      break;
    case PROP_STD:
      g_free (self->std);
      self->std = g_value_dup_string (value);
      break;
    case PROP_INPUT_TENSOR_OFFSET:
      self->input_tensor_offset = g_value_get_float (value);
      self->offset_set = TRUE;
      break;
    case PROP_INPUT_TENSOR_SCALE:
      self->input_tensor_scale = g_value_get_float (value);
      self->scale_set = TRUE;
      break;
    default:
      break;
  }
}

static void
gst_dl_classify_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstDlClassify *self = GST_DL_CLASSIFY (object);

  switch (prop_id) {
    case PROP_MODEL:
    case PROP_LABELS_FILE:
    case PROP_THREADS:
    case PROP_COLOR_SPACE:
    case PROP_INPUT_WIDTH:
    case PROP_INPUT_HEIGHT:
    case PROP_RESIZE:
    case PROP_INTERPOLATION:
    case PROP_MEAN:
    case PROP_STD:
    case PROP_INPUT_TENSOR_OFFSET:
    case PROP_INPUT_TENSOR_SCALE:
      GST_OBJECT_LOCK (self);
      if (!gst_dl_classify_ready_or_null (self)) {
        GST_OBJECT_UNLOCK (self);
        g_warning ("dlclassify: changing the \"%s\" property is only "
            "supported in the NULL and READY states", pspec->name);
        return;
      }
      gst_dl_classify_set_ready_property (self, prop_id, value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_THRESHOLD:
      GST_OBJECT_LOCK (self);
      self->threshold = g_value_get_float (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_TOP_K:
      GST_OBJECT_LOCK (self);
      self->top_k = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_INFERENCE_INTERVAL:
      GST_OBJECT_LOCK (self);
      self->inference_interval = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_dl_classify_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstDlClassify *self = GST_DL_CLASSIFY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model_path);
      break;
    case PROP_LABELS_FILE:
      g_value_set_string (value, self->labels_file);
      break;
    case PROP_THRESHOLD:
      g_value_set_float (value, self->threshold);
      break;
    case PROP_TOP_K:
      g_value_set_uint (value, self->top_k);
      break;
    case PROP_INFERENCE_INTERVAL:
      g_value_set_uint (value, self->inference_interval);
      break;
    case PROP_THREADS:
      g_value_set_int (value, self->threads);
      break;
    case PROP_COLOR_SPACE:
      g_value_set_enum (value, self->color_space);
      break;
    case PROP_INPUT_WIDTH:
      g_value_set_uint (value, self->input_width);
      break;
    case PROP_INPUT_HEIGHT:
      g_value_set_uint (value, self->input_height);
      break;
    case PROP_RESIZE:
      g_value_set_enum (value, self->resize);
      break;
    case PROP_INTERPOLATION:
      g_value_set_enum (value, self->interpolation);
      break;
    case PROP_MEAN:
      g_value_set_string (value, self->mean);
      break;
    case PROP_STD:
      g_value_set_string (value, self->std);
      break;
    case PROP_INPUT_TENSOR_OFFSET:
      g_value_set_float (value, self->input_tensor_offset);
      break;
    case PROP_INPUT_TENSOR_SCALE:
      g_value_set_float (value, self->input_tensor_scale);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static gboolean
gst_dl_classify_start (GstBaseTransform * trans)
{
  GstDlClassify *self = GST_DL_CLASSIFY (trans);
  gchar *model_path, *labels_file;
  gint threads;
  GError *err = NULL;
  dlnn_status st;
  dlnn_image_cfg cfg;
  gint ndim;
  gint64 dims[DLNN_MAX_DIMS];
  const dlnn_tensor *out;
  const gchar *last_op;
  gchar shape[160];
  guint i;
  GstDlImageProps props;
  gchar *mean, *std;
  const gchar *bad_prop = NULL, *bad_value = NULL;

  memset (&props, 0, sizeof (props));
  GST_OBJECT_LOCK (self);
  model_path = g_strdup (self->model_path);
  labels_file = g_strdup (self->labels_file);
  threads = self->threads;
  gst_dl_classify_copy_image_props (self, &props, &mean, &std);
  GST_OBJECT_UNLOCK (self);

  dlnn_status_clear (&st);

  if (model_path == NULL || model_path[0] == '\0')
    goto no_model;
  if (!gst_dl_classify_parse_norm_props (&props, mean, std, &bad_prop,
          &bad_value))
    goto bad_property;

  if (threads > 0)
    dlnn_set_threads (threads);

  self->model = gst_dl_model_load (model_path, labels_file, &err);
  if (self->model == NULL)
    goto model_error;
  if (!gst_dl_model_image_input (self->model, &props, &cfg, &ndim, dims,
          &err))
    goto model_error;

  self->exec = dlnn_exec_new (self->model->graph, DLNN_EXEC_INFERENCE, &st);
  if (self->exec == NULL)
    goto exec_failed;
  if (dlnn_exec_reshape (self->exec, 0, ndim, dims, &st) != DLNN_OK)
    goto exec_failed;
  self->input = dlnn_exec_input (self->exec, 0)->data;

  out = dlnn_exec_output (self->exec, 0);
  dlnn_shape_str (out->ndim, out->dims, shape, sizeof (shape));
  if (!gst_dl_classify_output_is_vector (out))
    goto bad_output;
  self->n_classes = (guint) out->size;

  last_op = gst_dl_classify_output_producer_op (self->model->graph,
      self->model->graph->outputs[0]);
  if (g_strcmp0 (last_op, "Softmax") == 0)
    self->scores_kind = SCORES_PROBABILITIES;
  else if (g_strcmp0 (last_op, "LogSoftmax") == 0)
    self->scores_kind = SCORES_LOG_PROBABILITIES;
  else
    self->scores_kind = SCORES_LOGITS;

  self->image = dlnn_image_ctx_new (&cfg, &st);
  if (self->image == NULL)
    goto image_failed;

  if (self->model->labels != NULL) {
    if ((guint) self->model->n_labels != self->n_classes)
      goto labels_mismatch;
    self->labels = (const gchar * const *) self->model->labels;
  } else {
    self->class_names = g_new0 (gchar *, self->n_classes + 1);
    for (i = 0; i < self->n_classes; i++)
      self->class_names[i] = g_strdup_printf ("class %u", i);
    self->labels = (const gchar * const *) self->class_names;
  }

  self->probs = g_new0 (gfloat, self->n_classes);
  self->order = g_new0 (guint, self->n_classes);
  self->classified_once = FALSE;
  self->since_last = 0;
  self->n_results = 0;

  if (self->model->task != NULL && strcmp (self->model->task, "classify"))
    GST_WARNING_OBJECT (self, "model %s is made for dl.task=%s, not classify",
        model_path, self->model->task);
  GST_INFO_OBJECT (self, "model %s: output %s, %u classes (last op %s), "
      "labels from %s", model_path, shape, self->n_classes,
      last_op ? last_op : "-",
      self->model->labels_source ? self->model->labels_source : "-");

  g_free (model_path);
  g_free (labels_file);
  g_free (mean);
  g_free (std);
  return TRUE;

  /* ERRORS */
no_model:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("No model set."),
        ("Set the \"model\" property to an ONNX model file."));
    goto failed;
  }
bad_property:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Invalid \"%s\" property \"%s\": expected one number or three "
            "comma-separated numbers.", bad_prop, bad_value), (NULL));
    goto failed;
  }
model_error:
  {
    gst_dl_model_post_error (GST_ELEMENT (self), err);
    g_clear_error (&err);
    goto failed;
  }
exec_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Model file \"%s\" cannot run on a single image: %s", model_path,
            st.message), ("libdlnn: %s", dlnn_code_name (st.code)));
    goto failed;
  }
bad_output:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Model file \"%s\" is not a classifier: its output %s is not a "
            "vector of at least two class scores.", model_path, shape),
        (NULL));
    goto failed;
  }
image_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Model file \"%s\": unusable image preprocessing: %s", model_path,
            st.message), (NULL));
    goto failed;
  }
labels_mismatch:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Model file \"%s\" has %u classes but %s has %d labels.",
            model_path, self->n_classes, self->model->labels_source,
            self->model->n_labels), (NULL));
    goto failed;
  }
failed:
  {
    g_free (model_path);
    g_free (labels_file);
    g_free (mean);
    g_free (std);
    gst_dl_classify_stop (trans);
    return FALSE;
  }
}

static gboolean
gst_dl_classify_stop (GstBaseTransform * trans)
{
  GstDlClassify *self = GST_DL_CLASSIFY (trans);

  g_clear_pointer (&self->image, dlnn_image_ctx_free);
  g_clear_pointer (&self->exec, dlnn_exec_free);
  g_clear_pointer (&self->model, gst_dl_model_unref);
  g_clear_pointer (&self->class_names, g_strfreev);
  g_clear_pointer (&self->probs, g_free);
  g_clear_pointer (&self->order, g_free);
  self->labels = NULL;
  self->input = NULL;
  self->n_classes = 0;
  self->n_results = 0;

  return TRUE;
}

/* Runs the preprocessing once on a blank frame of the negotiated geometry:
 * the image front end allocates its scratch memory for a geometry on first
 * use, which then happens here rather than in the streaming path, and a
 * geometry it cannot handle fails negotiation. */
static gboolean
gst_dl_classify_plan_frames (GstDlClassify * self, const GstVideoInfo * info)
{
  dlnn_frame probe = self->frame;
  dlnn_status st;
  guint8 *blank;
  gboolean ok;
  guint i;

  if (self->image == NULL)
    return TRUE;

  blank = g_try_malloc0 (GST_VIDEO_INFO_SIZE (info));
  if (blank == NULL)
    return FALSE;
  for (i = 0; i < GST_VIDEO_INFO_N_PLANES (info) && i < 3; i++) {
    probe.planes[i] = blank + GST_VIDEO_INFO_PLANE_OFFSET (info, i);
    probe.strides[i] = GST_VIDEO_INFO_PLANE_STRIDE (info, i);
  }
  dlnn_status_clear (&st);
  ok = dlnn_image_ctx_process (self->image, &probe, self->input, &st) ==
      DLNN_OK;
  if (!ok)
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        ("Cannot preprocess %dx%d frames for the model: %s", probe.width,
            probe.height, st.message), (NULL));
  g_free (blank);
  return ok;
}

static gboolean
gst_dl_classify_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstDlClassify *self = GST_DL_CLASSIFY (filter);
  dlnn_frame *f = &self->frame;
  GstVideoFormat format = GST_VIDEO_INFO_FORMAT (in_info);

  if (!gst_dl_frame_from_video_info (in_info, f))
    goto unsupported_format;
  if (in_info->colorimetry.matrix == GST_VIDEO_COLOR_MATRIX_BT2020)
    GST_WARNING_OBJECT (self, "BT.2020 matrix approximated by BT.709");

  GST_DEBUG_OBJECT (self, "%s %dx%d, %s range, %s matrix",
      gst_video_format_to_string (format), f->width, f->height,
      f->full_range ? "full" : "limited",
      f->matrix == DLNN_YUV_BT709 ? "BT.709" : "BT.601");

  if (!gst_dl_classify_plan_frames (self, in_info))
    goto preprocess_failed;

  return TRUE;

  /* ERRORS */
unsupported_format:
  {
    GST_ERROR_OBJECT (self, "unsupported format %s",
        gst_video_format_to_string (format));
    return FALSE;
  }
preprocess_failed:
  {
    GST_ERROR_OBJECT (self, "cannot preprocess %s %dx%d frames",
        gst_video_format_to_string (format), f->width, f->height);
    return FALSE;
  }
}

static GstFlowReturn
gst_dl_classify_prepare_output_buffer (GstBaseTransform * trans,
    GstBuffer * inbuf, GstBuffer ** outbuf)
{
  /* Passthrough, but the buffer must be writable to take our meta. A copy
   * of a shared buffer shares its memory: pixels are never copied. */
  if (gst_buffer_is_writable (inbuf))
    *outbuf = inbuf;
  else
    *outbuf = gst_buffer_copy (inbuf);

  return *outbuf != NULL ? GST_FLOW_OK : GST_FLOW_ERROR;
}

static GstFlowReturn
gst_dl_classify_transform_frame_ip (GstVideoFilter * filter,
    GstVideoFrame * frame)
{
  GstDlClassify *self = GST_DL_CLASSIFY (filter);
  dlnn_frame f;
  dlnn_status st;
  gfloat threshold;
  guint top_k, interval, k, i;

  self->n_results = 0;

  GST_OBJECT_LOCK (self);
  threshold = self->threshold;
  top_k = self->top_k;
  interval = self->inference_interval;
  GST_OBJECT_UNLOCK (self);

  /* a gap has no picture */
  if (GST_BUFFER_FLAG_IS_SET (frame->buffer, GST_BUFFER_FLAG_GAP))
    return GST_FLOW_OK;

  if (self->classified_once && self->since_last + 1 < interval) {
    self->since_last++;
    return GST_FLOW_OK;
  }
  self->classified_once = TRUE;
  self->since_last = 0;

  f = self->frame;
  for (i = 0; i < GST_VIDEO_FRAME_N_PLANES (frame) && i < 3; i++) {
    f.planes[i] = GST_VIDEO_FRAME_PLANE_DATA (frame, i);
    f.strides[i] = GST_VIDEO_FRAME_PLANE_STRIDE (frame, i);
  }

  dlnn_status_clear (&st);
  if (dlnn_image_ctx_process (self->image, &f, self->input, &st) != DLNN_OK)
    goto preprocess_failed;
  if (dlnn_exec_forward (self->exec, &st) != DLNN_OK)
    goto forward_failed;

  if (!gst_dl_classify_scores (self,
          dlnn_exec_output (self->exec, 0)->data)) {
    GST_WARNING_OBJECT (self, "model output is not finite, frame skipped");
    return GST_FLOW_OK;
  }

  k = MIN (top_k, self->n_classes);
  gst_dl_classify_select_top (self, k);

  /* keep the top-k entries that reach the threshold */
  for (i = 0; i < k; i++)
    if (self->probs[self->order[i]] < threshold)
      break;
  self->n_results = i;

  GST_LOG_OBJECT (self, "best %s (%u) %.4f, %u results",
      self->labels[self->order[0]], self->order[0],
      self->probs[self->order[0]], self->n_results);

  return GST_FLOW_OK;

  /* ERRORS */
preprocess_failed:
  {
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Could not preprocess a %dx%d frame for the model: %s", f.width,
            f.height, st.message), (NULL));
    return GST_FLOW_ERROR;
  }
forward_failed:
  {
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Model inference failed: %s", st.message), (NULL));
    return GST_FLOW_ERROR;
  }
}

static GstFlowReturn
gst_dl_classify_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstDlClassify *self = GST_DL_CLASSIFY (trans);
  GstFlowReturn ret;

  /* maps the frame and calls transform_frame_ip() */
  ret = GST_BASE_TRANSFORM_CLASS (parent_class)->transform_ip (trans, buf);

  /* the frame is unmapped now, so the buffer is writable again */
  if (ret == GST_FLOW_OK && self->n_results > 0) {
    gst_dl_classify_attach_meta (self, buf);
    gst_dl_classify_post_message (self, buf);
  }
  self->n_results = 0;

  return ret;
}
