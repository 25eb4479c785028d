/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_DL_SPEECH_H__
#define __GST_DL_SPEECH_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_DL_SPEECH (gst_dl_speech_get_type ())
G_DECLARE_FINAL_TYPE (GstDlSpeech, gst_dl_speech, GST, DL_SPEECH, GstElement)

GST_ELEMENT_REGISTER_DECLARE (dlspeech);

G_END_DECLS

#endif /* __GST_DL_SPEECH_H__ */
