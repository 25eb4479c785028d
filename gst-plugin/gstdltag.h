/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_DL_TAG_H__
#define __GST_DL_TAG_H__

#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

/**
 * GstDlTagMode:
 * @GST_DL_TAG_MODE_MODEL: run a tag model (dl.task=tag) on the stream
 * @GST_DL_TAG_MODE_METADATA: aggregate upstream dlclassify results
 *
 * Where the tags of dltag come from.
 */
typedef enum
{
  GST_DL_TAG_MODE_MODEL,
  GST_DL_TAG_MODE_METADATA,
} GstDlTagMode;

#define GST_TYPE_DL_TAG_MODE (gst_dl_tag_mode_get_type ())
GType gst_dl_tag_mode_get_type (void);

#define GST_TYPE_DL_TAG (gst_dl_tag_get_type ())
G_DECLARE_FINAL_TYPE (GstDlTag, gst_dl_tag, GST, DL_TAG, GstBaseTransform)

GST_ELEMENT_REGISTER_DECLARE (dltag);

G_END_DECLS

#endif /* __GST_DL_TAG_H__ */
