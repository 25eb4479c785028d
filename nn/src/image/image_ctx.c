/* libdlnn - image preprocessing context: per-geometry tables and scratch,
 * and the per-frame pipeline.
 *
 * For each tensor row the needed source rows of a plane are combined
 * (vertical taps, uint8 -> float, over the columns the row needs), then
 * each channel of that float row is filtered horizontally to the tensor's
 * width, and finally the channels are colour-converted and normalised into
 * the tensor.  Only the planes and channels the target needs are read. */
#include "image_private.h"

#include <stdlib.h>
#include <string.h>

struct dlnn_image_ctx
{
  dlnn_image_cfg cfg;
  int channels;
  int order[3];                 /* tensor channel -> R,G,B index */
  float a[3], b[3];             /* out = v * a + b */

  /* Geometry cache, valid when have_geom. */
  int have_geom;
  dlnn_pixfmt format;
  int width, height;
  dlnn_image_fmt_info info;
  dlnn_image_layout layout;
  dlnn_image_conv conv;
  int use_chroma;
  dlnn_image_taps lx, ly;       /* plane 0 */
  dlnn_image_taps cx, cy;       /* chroma planes (use_chroma) */
  float *vbuf;                  /* one vertically filtered row */
  float *hbuf;                  /* 3 rows of iw floats */
};

static void
geometry_clear (dlnn_image_ctx * ctx)
{
  dlnn_image_taps_clear (&ctx->lx);
  dlnn_image_taps_clear (&ctx->ly);
  dlnn_image_taps_clear (&ctx->cx);
  dlnn_image_taps_clear (&ctx->cy);
  free (ctx->vbuf);
  free (ctx->hbuf);
  ctx->vbuf = NULL;
  ctx->hbuf = NULL;
  ctx->have_geom = 0;
}

dlnn_image_ctx *
dlnn_image_ctx_new (const dlnn_image_cfg * cfg, dlnn_status * st)
{
  dlnn_image_ctx *ctx;
  int c;

  if (dlnn_image_cfg_validate (cfg, st) != DLNN_OK)
    return NULL;
  ctx = calloc (1, sizeof (*ctx));
  if (!ctx) {
    dlnn_status_set (st, DLNN_ERR_NOMEM, "image: out of memory");
    return NULL;
  }
  ctx->cfg = *cfg;
  ctx->channels = dlnn_image_cfg_channels (cfg);
  for (c = 0; c < 3; c++) {
    ctx->order[c] = cfg->color == DLNN_COLOR_BGR ? 2 - c : c;
    ctx->a[c] = cfg->scale / cfg->std[c];
    ctx->b[c] = -cfg->mean[c] / cfg->std[c];
  }
  return ctx;
}

void
dlnn_image_ctx_free (dlnn_image_ctx * ctx)
{
  if (!ctx)
    return;
  geometry_clear (ctx);
  free (ctx);
}

static dlnn_code
geometry_setup (dlnn_image_ctx * ctx, const dlnn_frame * f, dlnn_status * st)
{
  dlnn_image_layout *l = &ctx->layout;
  dlnn_interp interp = ctx->cfg.interp;
  size_t vlen, clen;
  int yuv, cw, ch;
  dlnn_code code;

  geometry_clear (ctx);
  dlnn_image_fmt_info_get (f->format, &ctx->info);
  dlnn_image_layout_compute (&ctx->cfg, f->width, f->height, l);
  yuv = ctx->info.kind == DLNN_IMAGE_KIND_I420
      || ctx->info.kind == DLNN_IMAGE_KIND_NV12;

  switch (ctx->info.kind) {
    case DLNN_IMAGE_KIND_PACKED:
      ctx->conv = ctx->channels == 1 ? DLNN_IMAGE_CONV_RGB_GRAY
          : DLNN_IMAGE_CONV_RGB;
      break;
    case DLNN_IMAGE_KIND_GRAY:
      ctx->conv = DLNN_IMAGE_CONV_GRAY;
      break;
    default:
      ctx->conv = ctx->channels == 1 ? DLNN_IMAGE_CONV_GRAY
          : DLNN_IMAGE_CONV_YUV;
      break;
  }
  ctx->use_chroma = yuv && ctx->channels == 3;

  code = dlnn_image_taps_build (&ctx->lx, interp, f->width, l->sx, l->sw,
      l->iw, 1, st);
  if (code == DLNN_OK)
    code = dlnn_image_taps_build (&ctx->ly, interp, f->height, l->sy, l->sh,
        l->ih, 1, st);
  vlen = (size_t) (ctx->lx.hi - ctx->lx.lo) * ctx->info.bpp;
  if (code == DLNN_OK && ctx->use_chroma) {
    cw = (f->width + 1) / 2;
    ch = (f->height + 1) / 2;
    code = dlnn_image_taps_build (&ctx->cx, interp, cw, l->sx, l->sw, l->iw,
        2, st);
    if (code == DLNN_OK)
      code = dlnn_image_taps_build (&ctx->cy, interp, ch, l->sy, l->sh,
          l->ih, 2, st);
    clen = (size_t) (ctx->cx.hi - ctx->cx.lo)
        * (ctx->info.kind == DLNN_IMAGE_KIND_NV12 ? 2 : 1);
    if (clen > vlen)
      vlen = clen;
  }
  if (code != DLNN_OK) {
    geometry_clear (ctx);
    return code;
  }
  ctx->vbuf = malloc (sizeof (float) * vlen);
  ctx->hbuf = malloc (sizeof (float) * 3 * (size_t) l->iw);
  if (!ctx->vbuf || !ctx->hbuf) {
    geometry_clear (ctx);
    return dlnn_status_set (st, DLNN_ERR_NOMEM,
        "image: cannot allocate scratch for a %dx%d frame", f->width,
        f->height);
  }
  ctx->format = f->format;
  ctx->width = f->width;
  ctx->height = f->height;
  ctx->have_geom = 1;
  return DLNN_OK;
}

/* acc[j] = sum_k w_k * plane[(first + k) * stride + off + j], j < n. */
static void
vertical (const uint8_t * plane, size_t stride, const dlnn_image_taps * t,
    int i, size_t off, size_t n, float *restrict acc)
{
  const uint8_t *restrict row = plane + (size_t) t->first[i] * stride + off;
  const float *w = t->w + (size_t) i * t->nt;
  int k, count = t->count[i];
  size_t j;
  float wk = w[0];

  for (j = 0; j < n; j++)
    acc[j] = wk * (float) row[j];
  for (k = 1; k < count; k++) {
    row += stride;
    wk = w[k];
    for (j = 0; j < n; j++)
      acc[j] += wk * (float) row[j];
  }
}

/* dst[i] = sum_k w_k * v[(first_i + k - lo) * step + off]. */
static void
horizontal (const float *v, int step, int off, const dlnn_image_taps * t,
    float *restrict dst)
{
  const float *base = v + off - (size_t) t->lo * step;
  const float *w = t->w;
  int i, k, nt = t->nt;

  if (nt == 1 && step == 1) {
    for (i = 0; i < t->n; i++)
      dst[i] = w[i] * base[t->first[i]];
    return;
  }
  for (i = 0; i < t->n; i++, w += nt) {
    const float *p = base + (size_t) t->first[i] * step;
    int count = t->count[i];
    float s = 0.0f;

    for (k = 0; k < count; k++)
      s += w[k] * p[k * step];
    dst[i] = s;
  }
}

static void
fill (float *p, size_t n, float v)
{
  size_t i;

  for (i = 0; i < n; i++)
    p[i] = v;
}

/* Letterbox margins: value 0 before normalisation. */
static void
fill_margins (const dlnn_image_ctx * ctx, float *out)
{
  const dlnn_image_layout *l = &ctx->layout;
  size_t W = (size_t) ctx->cfg.width, H = (size_t) ctx->cfg.height;
  size_t y;
  int c;

  if (l->iw == ctx->cfg.width && l->ih == ctx->cfg.height)
    return;
  for (c = 0; c < ctx->channels; c++) {
    float *p = out + c * W * H;
    float v = ctx->b[c];

    fill (p, (size_t) l->oy * W, v);
    fill (p + (size_t) (l->oy + l->ih) * W,
        (H - (size_t) (l->oy + l->ih)) * W, v);
    for (y = (size_t) l->oy; y < (size_t) (l->oy + l->ih); y++) {
      fill (p + y * W, (size_t) l->ox, v);
      fill (p + y * W + l->ox + l->iw, W - (size_t) (l->ox + l->iw), v);
    }
  }
}

dlnn_code
dlnn_image_ctx_process (dlnn_image_ctx * ctx, const dlnn_frame * f,
    float *out, dlnn_status * st)
{
  const dlnn_image_layout *l;
  const dlnn_image_fmt_info *info;
  dlnn_image_coefs coefs;
  const float *rows[3];
  float *hb;
  size_t W, plane, off0, n0;
  int dy, c, iw;
  dlnn_code code;

  if (!ctx || !out)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "image: NULL context or output");
  code = dlnn_image_frame_check (f, st);
  if (code != DLNN_OK)
    return code;
  if (!ctx->have_geom || ctx->format != f->format || ctx->width != f->width
      || ctx->height != f->height) {
    code = geometry_setup (ctx, f, st);
    if (code != DLNN_OK)
      return code;
  }

  l = &ctx->layout;
  info = &ctx->info;
  iw = l->iw;
  hb = ctx->hbuf;
  W = (size_t) ctx->cfg.width;
  plane = W * (size_t) ctx->cfg.height;
  dlnn_image_coefs_compute (f, &coefs);
  fill_margins (ctx, out);

  off0 = (size_t) ctx->lx.lo * info->bpp;
  n0 = (size_t) (ctx->lx.hi - ctx->lx.lo) * info->bpp;
  for (c = 0; c < 3; c++)
    rows[c] = hb + (size_t) c * iw;

  for (dy = 0; dy < l->ih; dy++) {
    vertical (f->planes[0], (size_t) f->strides[0], &ctx->ly, dy, off0, n0,
        ctx->vbuf);
    if (info->kind == DLNN_IMAGE_KIND_PACKED) {
      for (c = 0; c < 3; c++)
        horizontal (ctx->vbuf, info->bpp, info->off[c], &ctx->lx,
            hb + (size_t) c * iw);
    } else {
      horizontal (ctx->vbuf, 1, 0, &ctx->lx, hb);
    }

    if (ctx->use_chroma && info->kind == DLNN_IMAGE_KIND_I420) {
      for (c = 1; c < 3; c++) {
        vertical (f->planes[c], (size_t) f->strides[c], &ctx->cy, dy,
            (size_t) ctx->cx.lo, (size_t) (ctx->cx.hi - ctx->cx.lo),
            ctx->vbuf);
        horizontal (ctx->vbuf, 1, 0, &ctx->cx, hb + (size_t) c * iw);
      }
    } else if (ctx->use_chroma) {
      vertical (f->planes[1], (size_t) f->strides[1], &ctx->cy, dy,
          (size_t) ctx->cx.lo * 2, (size_t) (ctx->cx.hi - ctx->cx.lo) * 2,
          ctx->vbuf);
      horizontal (ctx->vbuf, 2, 0, &ctx->cx, hb + iw);
      horizontal (ctx->vbuf, 2, 1, &ctx->cx, hb + 2 * (size_t) iw);
    }

    dlnn_image_convert_row (ctx->conv, &coefs, rows, iw, ctx->channels,
        ctx->order, ctx->a, ctx->b,
        out + (size_t) (l->oy + dy) * W + (size_t) l->ox, plane);
  }
  return DLNN_OK;
}
