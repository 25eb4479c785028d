/* libdlnn - frame layouts: format table, validation, tight packing. */
#include "image_private.h"

#include <string.h>

int
dlnn_image_fmt_info_get (dlnn_pixfmt format, dlnn_image_fmt_info * info)
{
  static const struct
  {
    dlnn_image_kind kind;
    int bpp, r, g, b;
  } table[] = {
    [DLNN_PIX_RGB] = {DLNN_IMAGE_KIND_PACKED, 3, 0, 1, 2},
    [DLNN_PIX_BGR] = {DLNN_IMAGE_KIND_PACKED, 3, 2, 1, 0},
    [DLNN_PIX_RGBA] = {DLNN_IMAGE_KIND_PACKED, 4, 0, 1, 2},
    [DLNN_PIX_BGRA] = {DLNN_IMAGE_KIND_PACKED, 4, 2, 1, 0},
    [DLNN_PIX_ARGB] = {DLNN_IMAGE_KIND_PACKED, 4, 1, 2, 3},
    [DLNN_PIX_ABGR] = {DLNN_IMAGE_KIND_PACKED, 4, 3, 2, 1},
    [DLNN_PIX_RGBX] = {DLNN_IMAGE_KIND_PACKED, 4, 0, 1, 2},
    [DLNN_PIX_BGRX] = {DLNN_IMAGE_KIND_PACKED, 4, 2, 1, 0},
    [DLNN_PIX_XRGB] = {DLNN_IMAGE_KIND_PACKED, 4, 1, 2, 3},
    [DLNN_PIX_XBGR] = {DLNN_IMAGE_KIND_PACKED, 4, 3, 2, 1},
    [DLNN_PIX_GRAY8] = {DLNN_IMAGE_KIND_GRAY, 1, 0, 0, 0},
    [DLNN_PIX_I420] = {DLNN_IMAGE_KIND_I420, 1, 0, 0, 0},
    [DLNN_PIX_NV12] = {DLNN_IMAGE_KIND_NV12, 1, 0, 0, 0},
  };

  if ((int) format < 0 || (int) format > DLNN_PIX_NV12)
    return -1;
  info->kind = table[format].kind;
  info->bpp = table[format].bpp;
  info->off[0] = table[format].r;
  info->off[1] = table[format].g;
  info->off[2] = table[format].b;
  return 0;
}

/* Rows and bytes per row of plane @p, 0 rows if the plane does not exist. */
static void
plane_geometry (const dlnn_image_fmt_info * info, int width, int height,
    int p, size_t *row_bytes, int *rows)
{
  size_t cw = ((size_t) width + 1) / 2;
  int ch = (int) (((size_t) height + 1) / 2);

  *row_bytes = 0;
  *rows = 0;
  if (p == 0) {
    *row_bytes = (size_t) width * info->bpp;
    *rows = height;
  } else if (info->kind == DLNN_IMAGE_KIND_I420) {
    *row_bytes = cw;
    *rows = ch;
  } else if (info->kind == DLNN_IMAGE_KIND_NV12 && p == 1) {
    *row_bytes = 2 * cw;
    *rows = ch;
  }
}

dlnn_code
dlnn_image_frame_check (const dlnn_frame * frame, dlnn_status * st)
{
  dlnn_image_fmt_info info;
  size_t row_bytes;
  int p, rows;

  if (!frame)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "image: NULL frame");
  if (dlnn_image_fmt_info_get (frame->format, &info) < 0)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "image: unknown pixel format %d", (int) frame->format);
  if (frame->width <= 0 || frame->height <= 0
      || frame->width > DLNN_FRAME_MAX_SIZE
      || frame->height > DLNN_FRAME_MAX_SIZE)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "image: frame size %dx%d out of range 1..%d", frame->width,
        frame->height, DLNN_FRAME_MAX_SIZE);
  if ((info.kind == DLNN_IMAGE_KIND_I420 || info.kind == DLNN_IMAGE_KIND_NV12)
      && frame->matrix != DLNN_YUV_BT601 && frame->matrix != DLNN_YUV_BT709)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "image: unknown YUV matrix %d", (int) frame->matrix);
  for (p = 0; p < 3; p++) {
    plane_geometry (&info, frame->width, frame->height, p, &row_bytes, &rows);
    if (!rows)
      continue;
    if (!frame->planes[p])
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "image: plane %d of a %dx%d frame is NULL", p, frame->width,
          frame->height);
    if (frame->strides[p] < 0 || (size_t) frame->strides[p] < row_bytes)
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "image: stride %d of plane %d is smaller than its row of %zu "
          "bytes (width %d)", frame->strides[p], p, row_bytes,
          frame->width);
  }
  return DLNN_OK;
}

size_t
dlnn_frame_size (dlnn_pixfmt format, int width, int height)
{
  dlnn_image_fmt_info info;
  size_t row_bytes, total = 0;
  int p, rows;

  if (dlnn_image_fmt_info_get (format, &info) < 0 || width <= 0
      || height <= 0 || width > DLNN_FRAME_MAX_SIZE
      || height > DLNN_FRAME_MAX_SIZE)
    return 0;
  for (p = 0; p < 3; p++) {
    plane_geometry (&info, width, height, p, &row_bytes, &rows);
    total += row_bytes * (size_t) rows;
  }
  return total;
}

dlnn_code
dlnn_frame_init (dlnn_frame * frame, dlnn_pixfmt format, int width,
    int height, const uint8_t * data, size_t size, dlnn_status * st)
{
  dlnn_image_fmt_info info;
  size_t need, row_bytes, pos = 0;
  int p, rows;

  if (!frame)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "image: NULL frame");
  need = dlnn_frame_size (format, width, height);
  if (!need)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "image: invalid format %d or size %dx%d", (int) format, width,
        height);
  if (data && size < need)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "image: %dx%d frame needs %zu bytes, buffer has %zu", width, height,
        need, size);
  if (dlnn_image_fmt_info_get (format, &info) < 0)
    return DLNN_ERR_INVALID;    /* not reached: dlnn_frame_size checked */
  memset (frame, 0, sizeof (*frame));
  frame->format = format;
  frame->width = width;
  frame->height = height;
  frame->full_range = info.kind == DLNN_IMAGE_KIND_I420
      || info.kind == DLNN_IMAGE_KIND_NV12 ? 0 : 1;
  frame->matrix = DLNN_YUV_BT601;
  for (p = 0; p < 3; p++) {
    plane_geometry (&info, width, height, p, &row_bytes, &rows);
    if (!rows)
      continue;
    frame->strides[p] = (int) row_bytes;
    frame->planes[p] = data ? data + pos : NULL;
    pos += row_bytes * (size_t) rows;
  }
  return DLNN_OK;
}
