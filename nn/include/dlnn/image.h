/* libdlnn - image front end shared by the trainer and the elements.
 *
 * Converts a raw frame of any supported layout and stride into the model's
 * input tensor (CHW float32): colour conversion (honouring YUV range and
 * matrix), resize, normalisation.
 *
 * dl.image grammar (keys in any order, ';' separated, no spaces):
 *   color=gray|rgb|bgr          channels and their order in the tensor
 *   width=N;height=N            tensor size (1..16384), both required
 *   resize=stretch|crop|letterbox   stretch: whole frame to WxH;
 *                               crop: scale shorter side, centre crop;
 *                               letterbox: fit inside, pad with 0 (pre-norm)
 *   interp=area|bilinear        area (default): box filter over the source
 *                               footprint (exact for integer ratios);
 *                               bilinear: half-pixel centres
 *   scale=F                     multiplies 0..255 pixel values (default 1/255)
 *   mean=F[,F,F];std=F[,F,F]    per channel: (v*scale - mean) / std
 * Unknown keys are an error, and so are duplicate keys, values that do not
 * parse completely, std=0 and non-finite numbers.  One mean/std value
 * applies to every channel; three values need color=rgb|bgr and are in the
 * tensor's channel order.  Empty items (";;", a trailing ';') are ignored.
 * Numbers are read and written in the C locale whatever the process locale.
 *
 * Processing, in the order it is defined (the implementation computes the
 * same thing, see below):
 *  1. Colour.  Every pixel becomes R,G,B (or gray) in 0..255.
 *     - RGB families: the bytes as they are (alpha / x bytes ignored;
 *       frame.full_range and matrix are ignored).
 *     - GRAY8: full_range=1: the byte; full_range=0: (Y-16)*255/219,
 *       clamped to 0..255.  As a colour target gray is replicated to R,G,B.
 *     - I420/NV12: chroma planes are ceil(w/2) x ceil(h/2), one sample per
 *       2x2 luma block, sited at the block centre (JPEG/MPEG-1 siting).
 *       Limited range: Y' = (Y-16)*255/219, U',V' = (C-128)*255/224;
 *       full range: Y' = Y, U',V' = C-128.  R = Y' + 2(1-Kr) V',
 *       B = Y' + 2(1-Kb) U', G = Y' - (2Kb(1-Kb) U' + 2Kr(1-Kr) V') / Kg,
 *       with Kr,Kb = 0.299,0.114 (BT.601) or 0.2126,0.0722 (BT.709),
 *       Kg = 1-Kr-Kb; each clamped to 0..255.
 *     - color=gray: from RGB families, BT.601 luma 0.299 R + 0.587 G +
 *       0.114 B (whatever frame.matrix says); from YUV, Y' directly
 *       (range-expanded, clamped), i.e. the luma of the frame's own matrix;
 *       chroma is then not read at all.
 *  2. Geometry.  stretch maps the whole frame to WxH.  crop scales by
 *     max(W/w, H/h) and takes the centred WxH window; the window may start
 *     at a fractional source position, which both filters honour.
 *     letterbox scales by min(W/w, H/h) to an inner rectangle of
 *     round(w*s) x round(h*s) pixels placed at ((W-iw)/2, (H-ih)/2)
 *     (integer division); the rest of the tensor is pixel value 0 before
 *     normalisation, i.e. -mean/std after it.
 *  3. Resize, separable, on each plane at its own resolution.
 *     - area: output pixel i covers the source interval [x0 + i*r,
 *       x0 + (i+1)*r] (r = source extent / output extent); every source
 *       pixel is weighted by the length of its overlap with that interval,
 *       divided by r.  For integer downscales this is the exact k x k
 *       average; the sum of the image is preserved (sum(out) * rx * ry =
 *       sum(in)) for any ratio.  When upscaling each output pixel lies in
 *       one source pixel (weight 1, i.e. nearest) or straddles two (their
 *       coverage-weighted mix); integer upscales are exact nearest
 *       neighbour.  This differs from OpenCV's INTER_AREA, which switches
 *       to bilinear when upscaling.
 *     - bilinear: source position x0 + (i+0.5)*r - 0.5, clamped to
 *       [0, n-1], linear between its two neighbours: OpenCV INTER_LINEAR /
 *       PyTorch interpolate(mode='bilinear', align_corners=False), without
 *       antialiasing when downscaling.
 *  4. out = (v*scale - mean[c]) / std[c], written CHW.
 *
 * Implementation note: resizing is done before the colour conversion (the
 * Y, U, V planes are filtered at their own resolutions and converted at the
 * tensor's resolution), which is why a 1280x720 I420 frame costs about as
 * much as its luma plane.  Both steps are linear, so this equals converting
 * first except where a pixel's conversion clamps (out-of-gamut YUV), where
 * the clamp is applied after filtering instead of before.  Limited-range
 * values outside 16..235 are handled the same way. */
#ifndef DLNN_IMAGE_H
#define DLNN_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dlnn_pixfmt
{
  DLNN_PIX_RGB, DLNN_PIX_BGR,
  DLNN_PIX_RGBA, DLNN_PIX_BGRA, DLNN_PIX_ARGB, DLNN_PIX_ABGR,
  DLNN_PIX_RGBX, DLNN_PIX_BGRX, DLNN_PIX_XRGB, DLNN_PIX_XBGR,
  DLNN_PIX_GRAY8,
  DLNN_PIX_I420,                /* planar Y, U, V; chroma 2x2 subsampled */
  DLNN_PIX_NV12,                /* Y plane + interleaved UV plane */
} dlnn_pixfmt;

typedef enum dlnn_yuv_matrix
{
  DLNN_YUV_BT601 = 0,
  DLNN_YUV_BT709 = 1,
} dlnn_yuv_matrix;

typedef struct dlnn_frame
{
  dlnn_pixfmt format;
  int width, height;
  const uint8_t *planes[3];
  int strides[3];               /* bytes per row of each plane */
  int full_range;               /* YUV/GRAY: 1 = 0..255, 0 = 16..235(240) */
  dlnn_yuv_matrix matrix;       /* YUV only */
} dlnn_frame;

/* Planes and strides (bytes per row, >= the row's bytes):
 *   packed RGB families: planes[0], 3 or 4 bytes per pixel;
 *   GRAY8: planes[0];
 *   I420:  planes[0] Y (w x h), planes[1] U, planes[2] V (ceil(w/2) x
 *          ceil(h/2) each);
 *   NV12:  planes[0] Y, planes[1] interleaved U,V (ceil(w/2) pairs per row,
 *          ceil(h/2) rows).
 * Frames are at most DLNN_FRAME_MAX_SIZE pixels on a side.  The pixels are
 * borrowed for the duration of dlnn_image_ctx_process only.
 *
 * Note that a zeroed dlnn_frame means limited range for GRAY8: GRAY8 is
 * normally full range, which is what dlnn_frame_init sets. */
#define DLNN_FRAME_MAX_SIZE (1 << 20)

/* Bytes of a tightly packed frame (strides = row bytes, planes one after
 * the other in the order above); 0 if the arguments are invalid. */
DLNN_API size_t dlnn_frame_size (dlnn_pixfmt format, int width, int height);

/* Fills @frame for a tightly packed image: geometry, tight strides, the
 * plane pointers inside @data (which must hold @size >= dlnn_frame_size
 * bytes; @data NULL leaves the planes NULL for the caller to set), and the
 * usual colorimetry: full_range = 1 for RGB families and GRAY8, 0 for I420
 * and NV12; matrix BT.601. */
DLNN_API dlnn_code dlnn_frame_init (dlnn_frame * frame, dlnn_pixfmt format,
    int width, int height, const uint8_t * data, size_t size,
    dlnn_status * st);

typedef enum dlnn_color { DLNN_COLOR_GRAY, DLNN_COLOR_RGB, DLNN_COLOR_BGR }
    dlnn_color;
typedef enum dlnn_resize
{ DLNN_RESIZE_STRETCH, DLNN_RESIZE_CROP, DLNN_RESIZE_LETTERBOX } dlnn_resize;
typedef enum dlnn_interp { DLNN_INTERP_AREA, DLNN_INTERP_BILINEAR }
    dlnn_interp;

typedef struct dlnn_image_cfg
{
  dlnn_color color;
  int width, height;
  dlnn_resize resize;
  dlnn_interp interp;
  float scale;
  float mean[3], std[3];
} dlnn_image_cfg;

#define DLNN_IMAGE_MAX_SIZE 16384

/* Defaults: rgb, 0x0 (must be set), stretch, area, scale 1/255, mean 0,
 * std 1. */
DLNN_API void dlnn_image_cfg_init (dlnn_image_cfg * cfg);
/* Starts from the defaults; @cfg is only written on success. */
DLNN_API dlnn_code dlnn_image_cfg_parse (const char *s, dlnn_image_cfg * cfg,
    dlnn_status * st);
/* malloc()ed dl.image string that dlnn_image_cfg_parse reads back (every
 * key, numbers in the shortest form that reads back to the same float);
 * NULL if @cfg is invalid or out of memory. */
DLNN_API char *dlnn_image_cfg_format (const dlnn_image_cfg * cfg);
DLNN_API int dlnn_image_cfg_channels (const dlnn_image_cfg * cfg);
/* Checks a cfg filled by hand (parse and dlnn_image_ctx_new call it):
 * enum values, 1 <= width,height <= 16384, finite scale, finite mean,
 * finite non-zero std. */
DLNN_API dlnn_code dlnn_image_cfg_validate (const dlnn_image_cfg * cfg,
    dlnn_status * st);

/* Preprocessing context: holds scratch memory and the resize tables, both
 * rebuilt only when the frame's format, width or height changes, so
 * per-frame calls do not allocate.  It copies @cfg.  One context per
 * thread/stream (process writes its scratch). */
typedef struct dlnn_image_ctx dlnn_image_ctx;
DLNN_API dlnn_image_ctx *dlnn_image_ctx_new (const dlnn_image_cfg * cfg,
    dlnn_status * st);
DLNN_API void dlnn_image_ctx_free (dlnn_image_ctx * ctx);     /* NULL-safe */
/* Writes channels*height*width floats (CHW) to @out.  Fails (nothing
 * written) on a NULL or inconsistent frame: NULL planes, sizes <= 0 or too
 * large, strides smaller than a row, unknown format; DLNN_ERR_NOMEM if the
 * scratch for a new geometry cannot be allocated. */
DLNN_API dlnn_code dlnn_image_ctx_process (dlnn_image_ctx * ctx,
    const dlnn_frame * frame, float *out, dlnn_status * st);

#ifdef __cplusplus
}
#endif
#endif
