/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/* Enum types and value parsing of the preprocessing properties. */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdlpreproc.h"

#include <math.h>

GType
gst_dl_color_space_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_DL_COLOR_SPACE_AUTO, "From dl.image, else RGB (or GRAY for a "
          "1-channel input)", "auto"},
    {GST_DL_COLOR_SPACE_GRAY, "GRAY", "gray"},
    {GST_DL_COLOR_SPACE_RGB, "RGB", "rgb"},
    {GST_DL_COLOR_SPACE_BGR, "BGR", "bgr"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstDlColorSpace",
            values));
  return type;
}

GType
gst_dl_resize_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_DL_RESIZE_AUTO, "From dl.image, else stretch", "auto"},
    {GST_DL_RESIZE_STRETCH, "Whole frame to the input size, aspect ratio "
          "not kept", "stretch"},
    {GST_DL_RESIZE_CROP, "Shorter side to the input size, centre crop",
        "crop"},
    {GST_DL_RESIZE_LETTERBOX, "Fit inside the input size, pad with black",
        "letterbox"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstDlResize",
            values));
  return type;
}

GType
gst_dl_interpolation_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_DL_INTERPOLATION_AUTO, "From dl.image, else area", "auto"},
    {GST_DL_INTERPOLATION_AREA, "Box filter over the source footprint",
        "area"},
    {GST_DL_INTERPOLATION_BILINEAR, "Bilinear, half-pixel centres (OpenCV "
          "INTER_LINEAR, PyTorch bilinear without antialiasing)", "bilinear"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstDlInterpolation",
            values));
  return type;
}

/* "F" or "F,F,F" (C locale, spaces around the numbers allowed) into
 * @v; returns the count (1 or 3) or -1. */
gint
gst_dl_parse_floats (const gchar * s, gfloat * v)
{
  gchar **parts = g_strsplit (s, ",", -1);
  gint n = (gint) g_strv_length (parts), i;

  if (n != 1 && n != 3)
    n = -1;
  for (i = 0; n > 0 && i < n; i++) {
    gchar *item = g_strstrip (parts[i]), *end = NULL;
    gdouble d = g_ascii_strtod (item, &end);

    if (item[0] == '\0' || end == NULL || *end != '\0' || !isfinite (d) ||
        fabs (d) > G_MAXFLOAT)
      n = -1;
    else
      v[i] = (gfloat) d;
  }
  g_strfreev (parts);
  return n;
}

gboolean
gst_dl_frame_from_video_info (const GstVideoInfo * info, dlnn_frame * frame)
{
  dlnn_frame *f = frame;
  GstVideoFormat format = GST_VIDEO_INFO_FORMAT (info);
  gboolean is_yuv = GST_VIDEO_INFO_IS_YUV (info);

  memset (f, 0, sizeof (*f));

  switch (format) {
    case GST_VIDEO_FORMAT_RGB:
      f->format = DLNN_PIX_RGB;
      break;
    case GST_VIDEO_FORMAT_BGR:
      f->format = DLNN_PIX_BGR;
      break;
    case GST_VIDEO_FORMAT_RGBA:
      f->format = DLNN_PIX_RGBA;
      break;
    case GST_VIDEO_FORMAT_BGRA:
      f->format = DLNN_PIX_BGRA;
      break;
    case GST_VIDEO_FORMAT_ARGB:
      f->format = DLNN_PIX_ARGB;
      break;
    case GST_VIDEO_FORMAT_ABGR:
      f->format = DLNN_PIX_ABGR;
      break;
    case GST_VIDEO_FORMAT_RGBx:
      f->format = DLNN_PIX_RGBX;
      break;
    case GST_VIDEO_FORMAT_BGRx:
      f->format = DLNN_PIX_BGRX;
      break;
    case GST_VIDEO_FORMAT_xRGB:
      f->format = DLNN_PIX_XRGB;
      break;
    case GST_VIDEO_FORMAT_xBGR:
      f->format = DLNN_PIX_XBGR;
      break;
    case GST_VIDEO_FORMAT_GRAY8:
      f->format = DLNN_PIX_GRAY8;
      break;
    case GST_VIDEO_FORMAT_I420:
      f->format = DLNN_PIX_I420;
      break;
    case GST_VIDEO_FORMAT_NV12:
      f->format = DLNN_PIX_NV12;
      break;
    default:
      return FALSE;
  }

  f->width = GST_VIDEO_INFO_WIDTH (info);
  f->height = GST_VIDEO_INFO_HEIGHT (info);

  /* Unknown range: limited for YUV, full for gray and RGB (as videoconvert
   * does). */
  switch (info->colorimetry.range) {
    case GST_VIDEO_COLOR_RANGE_0_255:
      f->full_range = 1;
      break;
    case GST_VIDEO_COLOR_RANGE_16_235:
      f->full_range = 0;
      break;
    default:
      f->full_range = is_yuv ? 0 : 1;
      break;
  }

  switch (info->colorimetry.matrix) {
    case GST_VIDEO_COLOR_MATRIX_BT709:
    case GST_VIDEO_COLOR_MATRIX_SMPTE240M:
      f->matrix = DLNN_YUV_BT709;
      break;
    case GST_VIDEO_COLOR_MATRIX_BT2020:
      f->matrix = DLNN_YUV_BT709;
      break;
    case GST_VIDEO_COLOR_MATRIX_BT601:
    case GST_VIDEO_COLOR_MATRIX_FCC:
      f->matrix = DLNN_YUV_BT601;
      break;
    default:
      /* as gst_video_info_from_caps() defaults: BT.709 above SD */
      f->matrix = f->height > 576 ? DLNN_YUV_BT709 : DLNN_YUV_BT601;
      break;
  }

  return TRUE;
}
