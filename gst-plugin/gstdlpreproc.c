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
