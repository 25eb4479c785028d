/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/* Private to the dlclassify element: its instance structure, property ids
 * and defaults, shared by gstdlclassify.c (the GstVideoFilter subclass),
 * gstdlclassify-props.c (the property specs) and gstdlclassify-result.c
 * (scores, top-k selection, ROI meta and element message). */
#ifndef __GST_DL_CLASSIFY_PRIVATE_H__
#define __GST_DL_CLASSIFY_PRIVATE_H__

#include "gstdlclassify.h"
#include "gstdlmodel.h"
#include "gstdlpreproc.h"

#include <dlnn/dlnn.h>

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_dl_classify_debug);
#define GST_CAT_DEFAULT gst_dl_classify_debug

#define DEFAULT_MODEL NULL
#define DEFAULT_LABELS_FILE NULL
#define DEFAULT_THRESHOLD 0.0f
#define DEFAULT_TOP_K 5
#define DEFAULT_INFERENCE_INTERVAL 1
#define DEFAULT_THREADS 0
#define DEFAULT_COLOR_SPACE GST_DL_COLOR_SPACE_AUTO
#define DEFAULT_RESIZE GST_DL_RESIZE_AUTO
#define DEFAULT_INTERPOLATION GST_DL_INTERPOLATION_AUTO
#define DEFAULT_INPUT_SIZE 0
#define DEFAULT_MEAN NULL
#define DEFAULT_STD NULL
#define DEFAULT_INPUT_TENSOR_OFFSET 0.0f
#define DEFAULT_INPUT_TENSOR_SCALE 255.0f

enum
{
  PROP_0,
  PROP_MODEL,
  PROP_LABELS_FILE,
  PROP_THRESHOLD,
  PROP_TOP_K,
  PROP_INFERENCE_INTERVAL,
  PROP_THREADS,
  PROP_COLOR_SPACE,
  PROP_INPUT_WIDTH,
  PROP_INPUT_HEIGHT,
  PROP_RESIZE,
  PROP_INTERPOLATION,
  PROP_MEAN,
  PROP_STD,
  PROP_INPUT_TENSOR_OFFSET,
  PROP_INPUT_TENSOR_SCALE,
};


/* How the model's output becomes probabilities. */
typedef enum
{
  SCORES_LOGITS,                /* apply a softmax */
  SCORES_PROBABILITIES,         /* the graph ends with Softmax */
  SCORES_LOG_PROBABILITIES,     /* the graph ends with LogSoftmax */
} ScoresKind;

struct _GstDlClassify
{
  GstVideoFilter parent;

  /* properties, protected by the object lock */
  gchar *model_path;
  gchar *labels_file;
  gfloat threshold;
  guint top_k;
  guint inference_interval;
  gint threads;
  GstDlColorSpace color_space;
  guint input_width, input_height;
  GstDlResize resize;
  GstDlInterpolation interpolation;
  gchar *mean, *std;
  gfloat input_tensor_offset, input_tensor_scale;
  gboolean offset_set, scale_set;

  /* set up in start() and freed in stop(); otherwise used by the streaming
   * thread only */
  GstDlModel *model;
  dlnn_exec *exec;
  dlnn_image_ctx *image;
  float *input;                 /* the exec's input buffer */
  guint n_classes;
  ScoresKind scores_kind;
  gchar **class_names;          /* "class N" when the model has no labels */
  const gchar *const *labels;   /* model->labels or class_names */
  gfloat *probs;                /* n_classes */
  guint *order;                 /* n_classes; starts with the top-k ids */

  /* from set_info(): everything but the plane pointers */
  dlnn_frame frame;

  /* inference-interval bookkeeping */
  gboolean classified_once;
  guint since_last;

  /* result of the last transform_frame_ip(), attached by transform_ip() */
  guint n_results;              /* 0 = nothing to attach */
};

/* gstdlclassify-props.c */

/* Installs the properties (PROP_MODEL .. PROP_INPUT_TENSOR_SCALE) and marks
 * their enum types as plugin API. */
void gst_dl_classify_install_properties (GObjectClass * gobject_class);

/* Copies the preprocessing properties into @props (zeroed by the caller)
 * and duplicates the mean and std strings into @mean and @std (g_free
 * them). Called with the object lock held. */
void gst_dl_classify_copy_image_props (GstDlClassify * self,
    GstDlImageProps * props, gchar ** mean, gchar ** std);

/* Parses @mean and @std (each may be NULL) into @props. On a bad value,
 * FALSE with the property's name in @bad_prop and the value in
 * @bad_value. */
gboolean gst_dl_classify_parse_norm_props (GstDlImageProps * props,
    const gchar * mean, const gchar * std, const gchar ** bad_prop,
    const gchar ** bad_value);

/* gstdlclassify-result.c */

const gchar *gst_dl_classify_output_producer_op (const dlnn_graph * g,
    gint out);
gboolean gst_dl_classify_output_is_vector (const dlnn_tensor * t);
gboolean gst_dl_classify_scores (GstDlClassify * self, const float *out);
void gst_dl_classify_select_top (GstDlClassify * self, guint k);
void gst_dl_classify_post_message (GstDlClassify * self, GstBuffer * buf);
void gst_dl_classify_attach_meta (GstDlClassify * self, GstBuffer * buf);

G_END_DECLS

#endif /* __GST_DL_CLASSIFY_PRIVATE_H__ */
