/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/* Enum types and value parsing of the preprocessing properties
 * (color-space, resize, interpolation, mean, std) of the image elements. */
#ifndef __GST_DL_PREPROC_H__
#define __GST_DL_PREPROC_H__

#include <gst/gst.h>
#include <gst/video/video.h>
#include <dlnn/dlnn.h>

G_BEGIN_DECLS

/* AUTO (-1): from dl.image or the model's input shape; the other values
 * are libdlnn's. */
typedef enum
{
  GST_DL_COLOR_SPACE_AUTO = -1,
  GST_DL_COLOR_SPACE_GRAY = DLNN_COLOR_GRAY,
  GST_DL_COLOR_SPACE_RGB = DLNN_COLOR_RGB,
  GST_DL_COLOR_SPACE_BGR = DLNN_COLOR_BGR,
} GstDlColorSpace;

typedef enum
{
  GST_DL_RESIZE_AUTO = -1,
  GST_DL_RESIZE_STRETCH = DLNN_RESIZE_STRETCH,
  GST_DL_RESIZE_CROP = DLNN_RESIZE_CROP,
  GST_DL_RESIZE_LETTERBOX = DLNN_RESIZE_LETTERBOX,
} GstDlResize;

typedef enum
{
  GST_DL_INTERPOLATION_AUTO = -1,
  GST_DL_INTERPOLATION_AREA = DLNN_INTERP_AREA,
  GST_DL_INTERPOLATION_BILINEAR = DLNN_INTERP_BILINEAR,
} GstDlInterpolation;

#define GST_TYPE_DL_COLOR_SPACE (gst_dl_color_space_get_type ())
#define GST_TYPE_DL_RESIZE (gst_dl_resize_get_type ())
#define GST_TYPE_DL_INTERPOLATION (gst_dl_interpolation_get_type ())

GType gst_dl_color_space_get_type (void);
GType gst_dl_resize_get_type (void);
GType gst_dl_interpolation_get_type (void);

/* "F" or "F,F,F" (C locale, spaces around the numbers allowed, finite)
 * into @v[3]; returns the count (1 or 3) or -1. */
gint gst_dl_parse_floats (const gchar * s, gfloat * v);

/* The raw video formats libdlnn's image front end reads (dlnn_pixfmt). */
#define GST_DL_VIDEO_FORMATS "{ RGB, BGR, RGBA, BGRA, ARGB, ABGR, RGBx, " \
    "BGRx, xRGB, xBGR, GRAY8, I420, NV12 }"

/* Fills @frame (everything but the plane pointers and strides) from
 * @info: pixel format, size, YUV range and matrix (unknown range: limited
 * for YUV, full for gray and RGB, as videoconvert does; unknown matrix:
 * BT.709 above 576 lines, else BT.601; BT.2020 approximated by BT.709).
 * FALSE if the format is not one of GST_DL_VIDEO_FORMATS. */
gboolean gst_dl_frame_from_video_info (const GstVideoInfo * info,
    dlnn_frame * frame);

G_END_DECLS

#endif /* __GST_DL_PREPROC_H__ */
