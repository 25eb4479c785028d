/* dltrain - datasets through the shared image front end (dlnn/image.h), so
 * that training and the dlclassify element preprocess alike. */
#include "dltrain.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void
dt_rawset_free (dt_rawset * r)
{
  if (!r)
    return;
  if (r->owned)
    for (int i = 0; i < r->n; i++)
      free (r->owned[i]);
  free (r->owned);
  free (r->block);
  free (r->img);
  free (r->labels);
  dlnn_strv_free (r->names, r->n_names);
  memset (r, 0, sizeof (*r));
}

void
dt_set_free (dt_set * s)
{
  if (!s)
    return;
  free (s->x);
  free (s->labels);
  memset (s, 0, sizeof (*s));
}

static void
image_frame (const dt_image * im, dlnn_frame * f)
{
  memset (f, 0, sizeof (*f));
  f->format = im->format;
  f->width = im->width;
  f->height = im->height;
  f->planes[0] = im->pixels;
  f->strides[0] = im->stride;
  f->full_range = 1;
}

dlnn_code
dt_data_stats (const dt_rawset * r, const int *idx, int n,
    const dlnn_image_cfg * cfg, float *mean, float *std, dlnn_status * st)
{
  dlnn_image_cfg raw = *cfg;
  dlnn_image_ctx *ctx;
  const int c = dlnn_image_cfg_channels (cfg);
  const int64_t plane = (int64_t) cfg->width * cfg->height;
  double sum[3] = { 0 }, sum2[3] = { 0 };
  float *buf;
  dlnn_frame f;
  dlnn_code code = DLNN_OK;

  for (int k = 0; k < 3; k++) {
    raw.mean[k] = 0.0f;
    raw.std[k] = 1.0f;
  }
  if (n <= 0)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "no training images");
  ctx = dlnn_image_ctx_new (&raw, st);
  if (!ctx)
    return st ? st->code : DLNN_ERR_INVALID;
  buf = malloc ((size_t) (c * plane) * sizeof (float));
  if (!buf) {
    dlnn_image_ctx_free (ctx);
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  }
  for (int i = 0; i < n && code == DLNN_OK; i++) {
    image_frame (&r->img[idx ? idx[i] : i], &f);
    code = dlnn_image_ctx_process (ctx, &f, buf, st);
    for (int k = 0; k < c && code == DLNN_OK; k++) {
      double s = 0, s2 = 0;
      const float *p = buf + k * plane;
      for (int64_t j = 0; j < plane; j++) {
        s += p[j];
        s2 += (double) p[j] * p[j];
      }
      sum[k] += s;
      sum2[k] += s2;
    }
  }
  free (buf);
  dlnn_image_ctx_free (ctx);
  if (code != DLNN_OK)
    return code;
  for (int k = 0; k < c; k++) {
    double cnt = (double) n * (double) plane;
    double m = sum[k] / cnt;
    double var = sum2[k] / cnt - m * m;
    mean[k] = (float) m;
    std[k] = (float) (var > 1e-12 ? sqrt (var) : 1.0);
  }
  return DLNN_OK;
}

dlnn_code
dt_data_preprocess (const dt_rawset * r, const int *idx, int n,
    const dlnn_image_cfg * cfg, dt_set * out, dlnn_status * st)
{
  dlnn_image_ctx *ctx;
  const int c = dlnn_image_cfg_channels (cfg);
  const int64_t per = (int64_t) c * cfg->width * cfg->height;
  dlnn_frame f;
  dlnn_code code = DLNN_OK;

  memset (out, 0, sizeof (*out));
  if (idx == NULL)
    n = r->n;
  ctx = dlnn_image_ctx_new (cfg, st);
  if (!ctx)
    return st ? st->code : DLNN_ERR_INVALID;
  out->n = n;
  out->c = c;
  out->h = cfg->height;
  out->w = cfg->width;
  out->x = malloc ((size_t) (n > 0 ? n : 1) * (size_t) per * sizeof (float));
  out->labels = malloc ((size_t) (n > 0 ? n : 1) * sizeof (int));
  if (!out->x || !out->labels) {
    dlnn_image_ctx_free (ctx);
    dt_set_free (out);
    return dlnn_status_set (st, DLNN_ERR_NOMEM,
        "out of memory for %d preprocessed images", n);
  }
  for (int i = 0; i < n; i++) {
    const int k = idx ? idx[i] : i;
    image_frame (&r->img[k], &f);
    code = dlnn_image_ctx_process (ctx, &f, out->x + (int64_t) i * per, st);
    if (code != DLNN_OK) {
      dlnn_status_prefix (st, "image %d", k);
      break;
    }
    out->labels[i] = r->labels[k];
  }
  dlnn_image_ctx_free (ctx);
  if (code != DLNN_OK)
    dt_set_free (out);
  return code;
}
