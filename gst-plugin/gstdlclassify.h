/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_DL_CLASSIFY_H__
#define __GST_DL_CLASSIFY_H__

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_DL_CLASSIFY (gst_dl_classify_get_type ())
G_DECLARE_FINAL_TYPE (GstDlClassify, gst_dl_classify, GST, DL_CLASSIFY,
    GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE (dlclassify);

G_END_DECLS

#endif /* __GST_DL_CLASSIFY_H__ */
