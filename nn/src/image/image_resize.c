/* libdlnn - resize geometry: where the frame lands in the tensor and the
 * per-axis filter taps (area and bilinear), built once per geometry. */
#include "image_private.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void
dlnn_image_layout_compute (const dlnn_image_cfg * cfg, int width, int height,
    dlnn_image_layout * l)
{
  /* Compare W/w with H/h exactly in integers. */
  int64_t wide = (int64_t) cfg->width * height;   /* W*h */
  int64_t tall = (int64_t) cfg->height * width;   /* H*w */

  l->sx = 0.0;
  l->sy = 0.0;
  l->sw = width;
  l->sh = height;
  l->ox = 0;
  l->oy = 0;
  l->iw = cfg->width;
  l->ih = cfg->height;

  switch (cfg->resize) {
    case DLNN_RESIZE_STRETCH:
      break;
    case DLNN_RESIZE_CROP:
      /* Scale s = max (W/w, H/h); the window is W/s x H/s. */
      if (wide > tall) {
        /* s = W/w: full width, window height H*w/W. */
        l->sh = (double) tall / cfg->width;
        l->sy = (height - l->sh) / 2.0;
      } else if (wide < tall) {
        l->sw = (double) wide / cfg->height;
        l->sx = (width - l->sw) / 2.0;
      }
      break;
    case DLNN_RESIZE_LETTERBOX:
      /* Scale s = min (W/w, H/h). */
      if (wide > tall) {
        /* s = H/h: full height, inner width round (w*H/h). */
        l->iw = (int) (((int64_t) 2 * tall + height) / (2 * (int64_t) height));
        if (l->iw < 1)
          l->iw = 1;
        if (l->iw > cfg->width)
          l->iw = cfg->width;
      } else if (wide < tall) {
        l->ih = (int) (((int64_t) 2 * wide + width) / (2 * (int64_t) width));
        if (l->ih < 1)
          l->ih = 1;
        if (l->ih > cfg->height)
          l->ih = cfg->height;
      }
      l->ox = (cfg->width - l->iw) / 2;
      l->oy = (cfg->height - l->ih) / 2;
      break;
  }
}

void
dlnn_image_taps_clear (dlnn_image_taps * t)
{
  free (t->first);
  free (t->count);
  free (t->w);
  memset (t, 0, sizeof (*t));
}

/* Area: overlap of each sample [j, j+1) with [a, b], divided by b - a. */
static int
area_taps (double a, double b, int n_src, int *first, float *w)
{
  double len, ov, sum = 0.0;
  int j, j0, j1, n = 0, k;

  if (a < 0.0)
    a = 0.0;
  if (b > n_src)
    b = n_src;
  len = b - a;
  if (!(len > 1e-9)) {
    /* Degenerate window: the sample containing a. */
    j = (int) floor (a);
    *first = j < 0 ? 0 : j >= n_src ? n_src - 1 : j;
    w[0] = 1.0f;
    return 1;
  }
  j0 = (int) floor (a);
  j1 = (int) ceil (b) - 1;
  if (j0 < 0)
    j0 = 0;
  if (j1 > n_src - 1)
    j1 = n_src - 1;
  /* Trim samples touched only through rounding noise. */
  while (j0 < j1 && fmin (b, j0 + 1.0) - fmax (a, j0) < len * 1e-6)
    j0++;
  while (j1 > j0 && fmin (b, j1 + 1.0) - fmax (a, j1) < len * 1e-6)
    j1--;
  *first = j0;
  for (j = j0; j <= j1; j++) {
    ov = fmin (b, j + 1.0) - fmax (a, j);
    if (ov < 0.0)
      ov = 0.0;
    w[n++] = (float) ov;
    sum += ov;
  }
  for (k = 0; k < n; k++)
    w[k] = (float) (w[k] / sum);
  return n;
}

/* Bilinear at sample position c (0 = centre of sample 0). */
static int
bilinear_taps (double c, int n_src, int *first, float *w)
{
  double l;
  int j;

  if (c < 0.0)
    c = 0.0;
  if (c > n_src - 1)
    c = n_src - 1;
  j = (int) floor (c);
  if (j >= n_src - 1) {
    *first = n_src - 1;
    w[0] = 1.0f;
    return 1;
  }
  l = c - j;
  *first = j;
  w[0] = (float) (1.0 - l);
  if (l == 0.0)
    return 1;
  w[1] = (float) l;
  return 2;
}

dlnn_code
dlnn_image_taps_build (dlnn_image_taps * t, dlnn_interp interp, int n_src,
    double x0, double extent, int n_out, int sub, dlnn_status * st)
{
  double r = extent / n_out, a, b;
  int bound, i, n, lo = n_src, hi = 0;

  dlnn_image_taps_clear (t);
  if (n_src <= 0 || n_out <= 0 || !(extent > 0.0))
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "image: bad resize axis (%d -> %d)", n_src, n_out);
  if (interp == DLNN_INTERP_AREA) {
    bound = (int) ceil (r / sub) + 2;
    if (bound > n_src)
      bound = n_src;
  } else {
    bound = 2;
  }
  t->first = malloc (sizeof (int) * (size_t) n_out);
  t->count = malloc (sizeof (int) * (size_t) n_out);
  t->w = calloc ((size_t) n_out * bound, sizeof (float));
  if (!t->first || !t->count || !t->w) {
    dlnn_image_taps_clear (t);
    return dlnn_status_set (st, DLNN_ERR_NOMEM,
        "image: cannot allocate resize tables (%d -> %d)", n_src, n_out);
  }
  t->n = n_out;
  t->nt = bound;
  for (i = 0; i < n_out; i++) {
    float *w = t->w + (size_t) i * bound;

    if (interp == DLNN_INTERP_AREA) {
      a = (x0 + i * r) / sub;
      b = (i == n_out - 1 ? x0 + extent : x0 + (i + 1) * r) / sub;
      n = area_taps (a, b, n_src, &t->first[i], w);
    } else {
      n = bilinear_taps ((x0 + (i + 0.5) * r) / sub - 0.5, n_src,
          &t->first[i], w);
    }
    t->count[i] = n;
    if (t->first[i] < lo)
      lo = t->first[i];
    if (t->first[i] + n > hi)
      hi = t->first[i] + n;
  }
  t->lo = lo;
  t->hi = hi;
  return DLNN_OK;
}
