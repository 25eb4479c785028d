/* libdlnn - image front end, internal declarations shared by image_*.c. */
#ifndef DLNN_IMAGE_PRIVATE_H
#define DLNN_IMAGE_PRIVATE_H

#include "dlnn/image.h"

/* How a pixel format is laid out. */
typedef enum dlnn_image_kind
{
  DLNN_IMAGE_KIND_PACKED,       /* RGB families, planes[0] */
  DLNN_IMAGE_KIND_GRAY,         /* GRAY8 */
  DLNN_IMAGE_KIND_I420,         /* Y, U, V planes */
  DLNN_IMAGE_KIND_NV12,         /* Y plane, interleaved UV plane */
} dlnn_image_kind;

typedef struct dlnn_image_fmt_info
{
  dlnn_image_kind kind;
  int bpp;                      /* bytes per pixel of plane 0 */
  int off[3];                   /* PACKED: byte offsets of R, G, B */
} dlnn_image_fmt_info;

/* Returns 0 and fills @info for a known format, -1 otherwise. */
int dlnn_image_fmt_info_get (dlnn_pixfmt format, dlnn_image_fmt_info * info);

/* Checks planes, sizes and strides of @frame. */
dlnn_code dlnn_image_frame_check (const dlnn_frame * frame, dlnn_status * st);

/* One axis of a separable resize: output i is
 *   sum_k w[i*nt + k] * src[first[i] + k],  k < count[i].
 * [lo, hi) is the union of the source indices used. */
typedef struct dlnn_image_taps
{
  int n;                        /* outputs */
  int nt;                       /* row length of w (max count) */
  int lo, hi;
  int *first;
  int *count;
  float *w;
} dlnn_image_taps;

/* Builds the taps of one axis.  The source window [x0, x0 + extent) is in
 * luma (full-resolution) pixel units and maps onto @n_out outputs; @sub is 1
 * for a full-resolution plane and 2 for a 2x subsampled chroma plane of
 * @n_src samples (sited at the centre of each pair).  Frees what @taps held
 * before. */
dlnn_code dlnn_image_taps_build (dlnn_image_taps * taps, dlnn_interp interp,
    int n_src, double x0, double extent, int n_out, int sub,
    dlnn_status * st);
void dlnn_image_taps_clear (dlnn_image_taps * taps);

/* Where the frame goes in the tensor (see image.h, "Geometry"). */
typedef struct dlnn_image_layout
{
  double sx, sy, sw, sh;        /* source window, luma pixels */
  int ox, oy, iw, ih;           /* its rectangle in the tensor */
} dlnn_image_layout;

void dlnn_image_layout_compute (const dlnn_image_cfg * cfg, int width,
    int height, dlnn_image_layout * layout);

/* Colour conversion at the tensor's resolution. */
typedef enum dlnn_image_conv
{
  DLNN_IMAGE_CONV_RGB,          /* R,G,B rows -> rgb/bgr */
  DLNN_IMAGE_CONV_RGB_GRAY,     /* R,G,B rows -> BT.601 luma */
  DLNN_IMAGE_CONV_GRAY,         /* one row (gray or Y) -> gray or rgb */
  DLNN_IMAGE_CONV_YUV,          /* Y,U,V rows -> rgb/bgr */
} dlnn_image_conv;

typedef struct dlnn_image_coefs
{
  float yoff, yscale;           /* Y' = (Y - yoff) * yscale */
  float cscale;                 /* U' = (U - 128) * cscale */
  float rv, gu, gv, bu;         /* R = Y'+rv V', G = Y'-gu U'-gv V', ... */
  int clamp;                    /* gray: range expansion needs clamping */
} dlnn_image_coefs;

void dlnn_image_coefs_compute (const dlnn_frame * frame,
    dlnn_image_coefs * coefs);

/* Converts @n pixels of the rows @src[0..2] (0..255 units of the frame's
 * own channels) and writes @channels normalised outputs
 * out[c * plane + i] = v_c * a[c] + b[c].  @order[c] says which of R,G,B
 * (0,1,2) tensor channel c holds. */
void dlnn_image_convert_row (dlnn_image_conv conv,
    const dlnn_image_coefs * coefs, const float *const src[3], int n,
    int channels, const int order[3], const float a[3], const float b[3],
    float *out, size_t plane);

#endif
