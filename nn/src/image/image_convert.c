/* libdlnn - colour conversion and normalisation at the tensor's resolution
 * (the rows have already been resized; see image.h for the formulas). */
#include "image_private.h"

#define LUMA_R 0.299f
#define LUMA_G 0.587f
#define LUMA_B 0.114f

void
dlnn_image_coefs_compute (const dlnn_frame * frame, dlnn_image_coefs * k)
{
  double kr, kb, kg;

  if (frame->matrix == DLNN_YUV_BT709) {
    kr = 0.2126;
    kb = 0.0722;
  } else {
    kr = 0.299;
    kb = 0.114;
  }
  kg = 1.0 - kr - kb;
  k->rv = (float) (2.0 * (1.0 - kr));
  k->bu = (float) (2.0 * (1.0 - kb));
  k->gu = (float) (2.0 * kb * (1.0 - kb) / kg);
  k->gv = (float) (2.0 * kr * (1.0 - kr) / kg);
  if (frame->full_range) {
    k->yoff = 0.0f;
    k->yscale = 1.0f;
    k->cscale = 1.0f;
    k->clamp = 0;
  } else {
    k->yoff = 16.0f;
    k->yscale = (float) (255.0 / 219.0);
    k->cscale = (float) (255.0 / 224.0);
    k->clamp = 1;
  }
}

static inline float
clamp255 (float v)
{
  return v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v;
}

static void
convert_rgb (const float *const src[3], int n, int channels,
    const int order[3], const float a[3], const float b[3], float *out,
    size_t plane)
{
  int c, i;

  for (c = 0; c < channels; c++) {
    const float *restrict s = src[order[c]];
    float *restrict o = out + c * plane;
    float ac = a[c], bc = b[c];

    for (i = 0; i < n; i++)
      o[i] = s[i] * ac + bc;
  }
}

static void
convert_rgb_gray (const float *const src[3], int n, const float a[3],
    const float b[3], float *restrict out)
{
  const float *restrict r = src[0], *restrict g = src[1], *restrict bl =
      src[2];
  float a0 = a[0], b0 = b[0];
  int i;

  for (i = 0; i < n; i++)
    out[i] = (LUMA_R * r[i] + LUMA_G * g[i] + LUMA_B * bl[i]) * a0 + b0;
}

static void
convert_gray (const dlnn_image_coefs * k, const float *restrict s, int n,
    int channels, const float a[3], const float b[3], float *out,
    size_t plane)
{
  float *restrict o0 = out, *restrict o1 = out + plane,
      *restrict o2 = out + 2 * plane;
  float yoff = k->yoff, ys = k->yscale;
  int i;

  for (i = 0; i < n; i++) {
    float v = (s[i] - yoff) * ys;

    if (k->clamp)
      v = clamp255 (v);
    o0[i] = v * a[0] + b[0];
    if (channels == 3) {
      o1[i] = v * a[1] + b[1];
      o2[i] = v * a[2] + b[2];
    }
  }
}

static void
convert_yuv (const dlnn_image_coefs * k, const float *const src[3], int n,
    const int order[3], const float a[3], const float b[3], float *out,
    size_t plane)
{
  const float *restrict ys = src[0], *restrict us = src[1],
      *restrict vs = src[2];
  /* Tensor channel c holds colour order[c]: scatter the R,G,B results. */
  float *restrict po[3];
  float ac[3], bc[3];
  float yoff = k->yoff, ysc = k->yscale, csc = k->cscale;
  float rv = k->rv, gu = k->gu, gv = k->gv, bu = k->bu;
  int c, i;

  for (c = 0; c < 3; c++) {
    po[order[c]] = out + c * plane;
    ac[order[c]] = a[c];
    bc[order[c]] = b[c];
  }
  for (i = 0; i < n; i++) {
    float y = (ys[i] - yoff) * ysc;
    float u = (us[i] - 128.0f) * csc;
    float v = (vs[i] - 128.0f) * csc;
    float r = clamp255 (y + rv * v);
    float g = clamp255 (y - gu * u - gv * v);
    float bl = clamp255 (y + bu * u);

    po[0][i] = r * ac[0] + bc[0];
    po[1][i] = g * ac[1] + bc[1];
    po[2][i] = bl * ac[2] + bc[2];
  }
}

void
dlnn_image_convert_row (dlnn_image_conv conv, const dlnn_image_coefs * k,
    const float *const src[3], int n, int channels, const int order[3],
    const float a[3], const float b[3], float *out, size_t plane)
{
  switch (conv) {
    case DLNN_IMAGE_CONV_RGB:
      convert_rgb (src, n, channels, order, a, b, out, plane);
      break;
    case DLNN_IMAGE_CONV_RGB_GRAY:
      convert_rgb_gray (src, n, a, b, out);
      break;
    case DLNN_IMAGE_CONV_GRAY:
      convert_gray (k, src[0], n, channels, a, b, out, plane);
      break;
    case DLNN_IMAGE_CONV_YUV:
      convert_yuv (k, src, n, order, a, b, out, plane);
      break;
  }
}
