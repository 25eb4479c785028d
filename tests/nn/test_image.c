/* Tests of the image front end (dlnn/image.h).
 *
 * The references here are written independently of nn/src/image: frames of
 * every layout are built from one RGB picture by code in this file
 * (byte layouts spelled out as letter strings, RGB -> YUV by the textbook
 * formulas with 2x2 chroma averaging), and the resize references integrate
 * pixel overlaps in 2-D (area) or follow PyTorch's align_corners=False
 * formula (bilinear) directly. */
#include "dlnn/image.h"
#include "dlnn-test.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

/* ---- test pictures ---------------------------------------------------- */

static uint32_t rng_state = 12345u;

static uint32_t
rnd (void)
{
  rng_state = rng_state * 1664525u + 1013904223u;
  return rng_state >> 8;
}

static double
rnd01 (void)
{
  return (rnd () & 0xffffff) / (double) 0x1000000;
}

/* Random-ish RGB picture, w*h*3 bytes, of sinusoids whose frequencies
 * scale with @f (1: periods of 50-100 pixels). */
static uint8_t *
make_picture (int w, int h, double f)
{
  uint8_t *p = malloc ((size_t) w * h * 3);
  double ph[3][3];
  int x, y, c;

  for (c = 0; c < 3; c++)
    for (x = 0; x < 3; x++)
      ph[c][x] = rnd01 () * 6.283;
  for (y = 0; y < h; y++)
    for (x = 0; x < w; x++)
      for (c = 0; c < 3; c++) {
        double v = 128.0 + 70.0 * sin (f * (0.09 + 0.02 * c) * x + ph[c][0])
            * cos (f * 0.07 * y + ph[c][1])
            + 50.0 * sin (f * 0.05 * (x + y) + ph[c][2]);
        p[((size_t) y * w + x) * 3 + c] = (uint8_t) (v < 0 ? 0 : v > 255 ?
            255 : lround (v));
      }
  return p;
}

/* Uncorrelated noise image (gray or rgb), for exactness tests. */
static uint8_t *
make_noise (int w, int h, int nc)
{
  uint8_t *p = malloc ((size_t) w * h * nc);
  size_t i;

  for (i = 0; i < (size_t) w * h * nc; i++)
    p[i] = (uint8_t) (rnd () & 0xff);
  return p;
}

/* ---- frames of every layout, built from an RGB picture ---------------- */

typedef struct
{
  dlnn_frame f;
  uint8_t *buf;
} test_frame;

static const char *const packed_names[] = {
  "RGB", "BGR", "RGBA", "BGRA", "ARGB", "ABGR", "RGBx", "BGRx", "xRGB",
  "xBGR"
};

static const dlnn_pixfmt packed_fmts[] = {
  DLNN_PIX_RGB, DLNN_PIX_BGR, DLNN_PIX_RGBA, DLNN_PIX_BGRA, DLNN_PIX_ARGB,
  DLNN_PIX_ABGR, DLNN_PIX_RGBX, DLNN_PIX_BGRX, DLNN_PIX_XRGB, DLNN_PIX_XBGR
};

/* Layout spelled by @name: byte k of a pixel is channel name[k]. Padding
 * and A/x bytes are random junk. */
static void
frame_packed (test_frame * t, const uint8_t * rgb, int w, int h,
    const char *name, dlnn_pixfmt fmt, int pad)
{
  int bpp = (int) strlen (name), stride = w * bpp + pad, x, y, k;

  t->buf = malloc ((size_t) stride * h);
  for (y = 0; y < h; y++)
    for (x = 0; x < stride; x++)
      t->buf[(size_t) y * stride + x] = (uint8_t) rnd ();
  for (y = 0; y < h; y++)
    for (x = 0; x < w; x++)
      for (k = 0; k < bpp; k++) {
        const char *ch = strchr ("RGB", name[k]);
        if (ch)
          t->buf[(size_t) y * stride + x * bpp + k] =
              rgb[((size_t) y * w + x) * 3 + (ch - "RGB")];
      }
  memset (&t->f, 0, sizeof (t->f));
  t->f.format = fmt;
  t->f.width = w;
  t->f.height = h;
  t->f.planes[0] = t->buf;
  t->f.strides[0] = stride;
}

static double
luma601 (const uint8_t * px)
{
  return 0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2];
}

static uint8_t
q8 (double v)
{
  return (uint8_t) (v < 0 ? 0 : v > 255 ? 255 : lround (v));
}

static void
frame_gray (test_frame * t, const uint8_t * rgb, int w, int h, int pad,
    int full_range)
{
  int stride = w + pad, x, y;

  t->buf = malloc ((size_t) stride * h);
  memset (t->buf, 0xa5, (size_t) stride * h);
  for (y = 0; y < h; y++)
    for (x = 0; x < w; x++) {
      double l = luma601 (rgb + ((size_t) y * w + x) * 3);
      t->buf[(size_t) y * stride + x] =
          q8 (full_range ? l : 16.0 + l * 219.0 / 255.0);
    }
  memset (&t->f, 0, sizeof (t->f));
  t->f.format = DLNN_PIX_GRAY8;
  t->f.width = w;
  t->f.height = h;
  t->f.planes[0] = t->buf;
  t->f.strides[0] = stride;
  t->f.full_range = full_range;
}

/* I420 or NV12 from RGB: textbook Y'CbCr, chroma = mean of the block's
 * U,V (blocks at odd edges have 1 or 2 pixels). */
static void
frame_yuv (test_frame * t, const uint8_t * rgb, int w, int h, int nv12,
    int bt709, int full_range, int pad)
{
  double kr = bt709 ? 0.2126 : 0.299, kb = bt709 ? 0.0722 : 0.114;
  double kg = 1.0 - kr - kb;
  int cw = (w + 1) / 2, ch = (h + 1) / 2;
  int ys = w + pad, cs = (nv12 ? 2 * cw : cw) + pad;
  size_t ysize = (size_t) ys * h, csize = (size_t) cs * ch;
  uint8_t *yp, *up, *vp;
  int x, y, bx, by;

  t->buf = malloc (ysize + 2 * csize);
  for (x = 0; x < (int) (ysize + 2 * csize); x++)
    t->buf[x] = (uint8_t) rnd ();
  yp = t->buf;
  up = yp + ysize;
  vp = up + csize;
  for (y = 0; y < h; y++)
    for (x = 0; x < w; x++) {
      const uint8_t *px = rgb + ((size_t) y * w + x) * 3;
      double Y = kr * px[0] + kg * px[1] + kb * px[2];
      yp[(size_t) y * ys + x] = q8 (full_range ? Y : 16.0 + Y * 219.0 / 255.0);
    }
  for (by = 0; by < ch; by++)
    for (bx = 0; bx < cw; bx++) {
      double su = 0, sv = 0, U, V;
      int n = 0;

      for (y = 2 * by; y < 2 * by + 2 && y < h; y++)
        for (x = 2 * bx; x < 2 * bx + 2 && x < w; x++) {
          const uint8_t *px = rgb + ((size_t) y * w + x) * 3;
          double Y = kr * px[0] + kg * px[1] + kb * px[2];
          su += (px[2] - Y) / (2.0 * (1.0 - kb));
          sv += (px[0] - Y) / (2.0 * (1.0 - kr));
          n++;
        }
      U = su / n;
      V = sv / n;
      if (!full_range) {
        U *= 224.0 / 255.0;
        V *= 224.0 / 255.0;
      }
      if (nv12) {
        up[(size_t) by * cs + 2 * bx] = q8 (128.0 + U);
        up[(size_t) by * cs + 2 * bx + 1] = q8 (128.0 + V);
      } else {
        up[(size_t) by * cs + bx] = q8 (128.0 + U);
        vp[(size_t) by * cs + bx] = q8 (128.0 + V);
      }
    }
  memset (&t->f, 0, sizeof (t->f));
  t->f.format = nv12 ? DLNN_PIX_NV12 : DLNN_PIX_I420;
  t->f.width = w;
  t->f.height = h;
  t->f.planes[0] = yp;
  t->f.planes[1] = up;
  t->f.planes[2] = nv12 ? NULL : vp;
  t->f.strides[0] = ys;
  t->f.strides[1] = cs;
  t->f.strides[2] = nv12 ? 0 : cs;
  t->f.full_range = full_range;
  t->f.matrix = bt709 ? DLNN_YUV_BT709 : DLNN_YUV_BT601;
}

/* ---- running the front end -------------------------------------------- */

static size_t
tensor_len (const dlnn_image_cfg * cfg)
{
  return (size_t) dlnn_image_cfg_channels (cfg) * cfg->width * cfg->height;
}

/* Tensor for @frame under dl.image @spec; NULL (and a failed check) on
 * error. */
static float *
run (const char *spec, const dlnn_frame * frame)
{
  dlnn_image_cfg cfg;
  dlnn_status st;
  dlnn_image_ctx *ctx;
  float *out;

  dlnn_status_clear (&st);
  if (dlnn_image_cfg_parse (spec, &cfg, &st) != DLNN_OK) {
    CHECK_MSG (0, "parse '%s': %s", spec, st.message);
    return NULL;
  }
  ctx = dlnn_image_ctx_new (&cfg, &st);
  CHECK_MSG (ctx != NULL, "%s", st.message);
  if (!ctx)
    return NULL;
  out = malloc (sizeof (float) * tensor_len (&cfg));
  if (dlnn_image_ctx_process (ctx, frame, out, &st) != DLNN_OK) {
    CHECK_MSG (0, "process '%s': %s", spec, st.message);
    free (out);
    out = NULL;
  }
  dlnn_image_ctx_free (ctx);
  return out;
}

/* Max and mean |a - b|; *bias (if non-NULL) gets the mean of b - a. */
static void
diff_stats3 (const float *a, const float *b, size_t n, double *max,
    double *mean, double *bias)
{
  size_t i;
  double s = 0.0, sb = 0.0, m = 0.0, d;

  for (i = 0; i < n; i++) {
    d = fabs ((double) a[i] - b[i]);
    if (!(d <= m))
      m = isnan (d) ? INFINITY : d;
    s += d;
    sb += (double) b[i] - a[i];
  }
  *max = m;
  *mean = s / n;
  if (bias)
    *bias = sb / n;
}

static void
diff_stats (const float *a, const float *b, size_t n, double *max,
    double *mean)
{
  diff_stats3 (a, b, n, max, mean, NULL);
}

static size_t
spec_len (const char *spec)
{
  dlnn_image_cfg cfg;

  if (dlnn_image_cfg_parse (spec, &cfg, NULL) != DLNN_OK)
    return 0;
  return tensor_len (&cfg);
}

/* ---- dl.image parsing ------------------------------------------------- */

static int
cfg_equal (const dlnn_image_cfg * a, const dlnn_image_cfg * b)
{
  int nc = dlnn_image_cfg_channels (a), c;

  if (a->color != b->color || a->width != b->width || a->height != b->height
      || a->resize != b->resize || a->interp != b->interp
      || a->scale != b->scale)
    return 0;
  for (c = 0; c < nc; c++)
    if (a->mean[c] != b->mean[c] || a->std[c] != b->std[c])
      return 0;
  return 1;
}

static void
test_cfg_parse_format (void)
{
  static const char *const specs[] = {
    "color=gray;width=28;height=28;resize=stretch;scale=0.003921569;"
        "mean=0.286;std=0.353",
    "width=224;height=160;color=bgr;resize=crop;interp=bilinear;"
        "mean=0.485,0.456,0.406;std=0.229,0.224,0.225",
    "height=7;width=9;resize=letterbox;scale=1;",
    "width=16384;height=1;scale=-2.5e-3;mean=-1e10;std=3e-20",
  };
  dlnn_image_cfg a, b, d;
  dlnn_status st;
  char *s;
  size_t i;

  dlnn_image_cfg_init (&d);
  CHECK (d.color == DLNN_COLOR_RGB && d.resize == DLNN_RESIZE_STRETCH);
  CHECK (d.interp == DLNN_INTERP_AREA && d.width == 0 && d.height == 0);
  CHECK (d.scale == 1.0f / 255.0f && d.mean[2] == 0.0f && d.std[1] == 1.0f);

  for (i = 0; i < sizeof (specs) / sizeof (specs[0]); i++) {
    CHECK_OK (dlnn_image_cfg_parse (specs[i], &a, &st), &st);
    s = dlnn_image_cfg_format (&a);
    CHECK (s != NULL);
    if (!s)
      continue;
    CHECK_OK (dlnn_image_cfg_parse (s, &b, &st), &st);
    CHECK_MSG (cfg_equal (&a, &b), "'%s' -> '%s'", specs[i], s);
    free (s);
  }

  CHECK_OK (dlnn_image_cfg_parse (specs[0], &a, &st), &st);
  CHECK (a.color == DLNN_COLOR_GRAY && a.width == 28 && a.height == 28);
  CHECK (a.scale == strtof ("0.003921569", NULL));
  CHECK (a.mean[0] == 0.286f && a.std[0] == 0.353f);
  CHECK (dlnn_image_cfg_channels (&a) == 1);
  CHECK_OK (dlnn_image_cfg_parse (specs[1], &a, &st), &st);
  CHECK (a.color == DLNN_COLOR_BGR && a.resize == DLNN_RESIZE_CROP);
  CHECK (a.interp == DLNN_INTERP_BILINEAR && a.width == 224);
  CHECK (a.height == 160 && a.scale == 1.0f / 255.0f);
  CHECK (a.mean[1] == 0.456f && a.std[2] == 0.225f);
  CHECK (dlnn_image_cfg_channels (&a) == 3);
  CHECK_OK (dlnn_image_cfg_parse (specs[2], &a, &st), &st);
  CHECK (a.width == 9 && a.height == 7 && a.scale == 1.0f);
  CHECK (a.resize == DLNN_RESIZE_LETTERBOX && a.color == DLNN_COLOR_RGB);
  CHECK (a.mean[0] == 0.0f && a.std[2] == 1.0f);

  /* Hand-filled cfg with awkward floats: exact round trip, and the
   * shortest spelling for simple ones. */
  dlnn_image_cfg_init (&a);
  a.width = 3;
  a.height = 5;
  a.mean[0] = 0.1f;
  a.mean[1] = 1.0f / 3.0f;
  a.mean[2] = 1e-7f;
  a.std[0] = 0.3f;
  s = dlnn_image_cfg_format (&a);
  CHECK (s && strstr (s, "mean=0.1,0.33333334,1e-07;std=0.3,1,1"));
  CHECK_OK (dlnn_image_cfg_parse (s, &b, &st), &st);
  CHECK (cfg_equal (&a, &b));
  free (s);
  a.width = 0;
  CHECK (dlnn_image_cfg_format (&a) == NULL);
}

static void
test_cfg_errors (void)
{
  static const struct
  {
    const char *spec, *needle;
  } bad[] = {
    {"", "width"},
    {"width=10", "height"},
    {"width=0;height=1", "width"},
    {"width=16385;height=10", "16385"},
    {"width=10;height=-1", "height"},
    {"width=abc;height=10", "abc"},
    {"width=10;height=10;foo=1", "foo"},
    {"width=10;height=10;color=purple", "purple"},
    {"width=10;height=10;color=purple", "color"},
    {"width=10;height=10;interp=cubic", "cubic"},
    {"width=10;height=10;resize=fit", "fit"},
    {"width=10;height=10;scale=1x", "scale"},
    {"width=10;height=10;scale=nan", "scale"},
    {"width=10;height=10;scale=inf", "scale"},
    {"width=10;height=10;scale=", "scale"},
    {"width=10;height=10;mean=1,2", "mean"},
    {"width=10;height=10;mean=1,2,3,4", "mean"},
    {"width=10;height=10;std=1,,2", "std"},
    {"width=10;height=10;std=0", "std"},
    {"width=10;height=10;width=12", "duplicate"},
    {"width=10;height=10;resize", "resize"},
    {"width=10;height=10;=3", "empty key"},
    {"width=10;height=10;color=gray;mean=1,2,3", "mean"},
    {"width=10; height=10", " height"},
    {"width=10;height=10;color=RGB", "RGB"},
  };
  dlnn_image_cfg cfg, keep;
  dlnn_status st;
  size_t i;

  dlnn_image_cfg_init (&cfg);
  cfg.width = 77;
  keep = cfg;
  for (i = 0; i < sizeof (bad) / sizeof (bad[0]); i++) {
    dlnn_status_clear (&st);
    CHECK_MSG (dlnn_image_cfg_parse (bad[i].spec, &cfg, &st) ==
        DLNN_ERR_INVALID, "'%s' accepted", bad[i].spec);
    CHECK_MSG (strstr (st.message, bad[i].needle) != NULL,
        "'%s': message '%s' lacks '%s'", bad[i].spec, st.message,
        bad[i].needle);
    CHECK (st.code == DLNN_ERR_INVALID);
  }
  CHECK (memcmp (&cfg, &keep, sizeof (cfg)) == 0);
  CHECK (dlnn_image_cfg_parse (NULL, &cfg, &st) == DLNN_ERR_INVALID);
  CHECK (dlnn_image_cfg_parse ("width=1;height=1", NULL, NULL) != DLNN_OK);

  /* Hand-filled cfgs go through the same checks in ctx_new. */
  cfg.height = 16385;
  CHECK (dlnn_image_ctx_new (&cfg, &st) == NULL);
  CHECK (strstr (st.message, "height") != NULL);
  cfg.height = 10;
  cfg.std[1] = 0.0f;
  CHECK (dlnn_image_ctx_new (&cfg, &st) == NULL);
  CHECK (strstr (st.message, "std") != NULL);
  cfg.std[1] = 1.0f;
  cfg.width = -4;
  CHECK (dlnn_image_cfg_validate (&cfg, &st) == DLNN_ERR_INVALID);
  cfg.width = 4;
  cfg.resize = (dlnn_resize) 9;
  CHECK (dlnn_image_cfg_validate (&cfg, &st) == DLNN_ERR_INVALID);
  cfg.resize = DLNN_RESIZE_CROP;
  CHECK_OK (dlnn_image_cfg_validate (&cfg, &st), &st);
}

/* ---- frame errors ----------------------------------------------------- */

static void
expect_frame_error (dlnn_image_ctx * ctx, const dlnn_frame * f, float *out,
    const char *needle, int line)
{
  dlnn_status st;

  dlnn_status_clear (&st);
  if (dlnn_image_ctx_process (ctx, f, out, &st) == DLNN_OK) {
    fprintf (stderr, "line %d: bad frame accepted\n", line);
    dlnn_test_failures_in_case++;
  } else if (!strstr (st.message, needle)) {
    fprintf (stderr, "line %d: message '%s' lacks '%s'\n", line,
        st.message, needle);
    dlnn_test_failures_in_case++;
  }
}

static void
test_frame_errors (void)
{
  uint8_t buf[64 * 64 * 4] = { 0 };
  dlnn_image_cfg cfg;
  dlnn_image_ctx *ctx;
  dlnn_status st;
  dlnn_frame f, g;
  float out[3 * 8 * 8];

  CHECK_OK (dlnn_image_cfg_parse ("width=8;height=8", &cfg, &st), &st);
  ctx = dlnn_image_ctx_new (&cfg, &st);
  CHECK (ctx != NULL);
  if (!ctx)
    return;

  CHECK_OK (dlnn_frame_init (&f, DLNN_PIX_I420, 15, 9, buf, sizeof (buf),
          &st), &st);
  CHECK (f.strides[0] == 15 && f.strides[1] == 8 && f.strides[2] == 8);
  CHECK (f.planes[1] == buf + 15 * 9 && f.planes[2] == buf + 15 * 9 + 8 * 5);
  CHECK (f.full_range == 0 && f.matrix == DLNN_YUV_BT601);
  CHECK (dlnn_frame_size (DLNN_PIX_I420, 15, 9) == 15 * 9 + 2 * 8 * 5);
  CHECK (dlnn_frame_size (DLNN_PIX_NV12, 15, 9) == 15 * 9 + 16 * 5);
  CHECK (dlnn_frame_size (DLNN_PIX_XBGR, 3, 2) == 24);
  CHECK (dlnn_frame_size (DLNN_PIX_RGB, 0, 2) == 0);
  CHECK_OK (dlnn_image_ctx_process (ctx, &f, out, &st), &st);

  g = f;
  g.planes[2] = NULL;
  expect_frame_error (ctx, &g, out, "NULL", __LINE__);
  g = f;
  g.strides[1] = 7;             /* < ceil (15/2) */
  expect_frame_error (ctx, &g, out, "stride", __LINE__);
  g = f;
  g.width = 0;
  expect_frame_error (ctx, &g, out, "size", __LINE__);
  g = f;
  g.height = -3;
  expect_frame_error (ctx, &g, out, "size", __LINE__);
  g = f;
  g.format = (dlnn_pixfmt) 99;
  expect_frame_error (ctx, &g, out, "format", __LINE__);
  g = f;
  g.matrix = (dlnn_yuv_matrix) 5;
  expect_frame_error (ctx, &g, out, "matrix", __LINE__);
  expect_frame_error (ctx, NULL, out, "NULL", __LINE__);
  expect_frame_error (ctx, &f, NULL, "NULL", __LINE__);
  CHECK (dlnn_image_ctx_process (NULL, &f, out, NULL) == DLNN_ERR_INVALID);

  CHECK_OK (dlnn_frame_init (&f, DLNN_PIX_NV12, 15, 9, buf, sizeof (buf),
          &st), &st);
  CHECK (f.strides[1] == 16 && f.planes[2] == NULL);
  g = f;
  g.strides[1] = 15;            /* < 2 * ceil (15/2) */
  expect_frame_error (ctx, &g, out, "stride", __LINE__);
  g.strides[1] = 16;
  g.planes[1] = NULL;
  expect_frame_error (ctx, &g, out, "plane 1", __LINE__);

  CHECK_OK (dlnn_frame_init (&f, DLNN_PIX_BGRX, 10, 10, buf, sizeof (buf),
          &st), &st);
  CHECK (f.strides[0] == 40 && f.full_range == 1);
  g = f;
  g.strides[0] = 39;
  expect_frame_error (ctx, &g, out, "stride", __LINE__);
  g.strides[0] = -40;
  expect_frame_error (ctx, &g, out, "stride", __LINE__);
  g = f;
  g.planes[0] = NULL;
  expect_frame_error (ctx, &g, out, "NULL", __LINE__);
  g = f;
  g.width = DLNN_FRAME_MAX_SIZE + 1;
  expect_frame_error (ctx, &g, out, "size", __LINE__);

  CHECK_OK (dlnn_frame_init (&f, DLNN_PIX_GRAY8, 64, 64, buf, sizeof (buf),
          &st), &st);
  CHECK (f.full_range == 1);
  CHECK (dlnn_frame_init (&f, DLNN_PIX_RGB, 64, 64, buf, 100, &st) ==
      DLNN_ERR_INVALID);
  CHECK (strstr (st.message, "bytes") != NULL);
  CHECK (dlnn_frame_init (&f, DLNN_PIX_RGB, 64, -1, NULL, 0, &st) ==
      DLNN_ERR_INVALID);
  CHECK_OK (dlnn_frame_init (&f, DLNN_PIX_RGBA, 5, 5, NULL, 0, &st), &st);
  CHECK (f.planes[0] == NULL && f.strides[0] == 20);

  /* The context still works after the errors. */
  CHECK_OK (dlnn_frame_init (&f, DLNN_PIX_RGB, 9, 9, buf, sizeof (buf),
          &st), &st);
  CHECK_OK (dlnn_image_ctx_process (ctx, &f, out, &st), &st);
  dlnn_image_ctx_free (ctx);
  dlnn_image_ctx_free (NULL);
}

/* ---- every layout gives the RGB picture's tensor ---------------------- */

/* Specs used for the layout comparisons, after "width=W;height=H;". */
static const char *const layout_specs[] = {
  "scale=1",
  "scale=1;interp=bilinear",
  "scale=1;color=bgr;resize=crop",
  "scale=1;resize=letterbox;interp=bilinear",
  "scale=1;color=gray",
  "scale=1;color=gray;resize=crop;interp=bilinear",
};

static void
test_packed_layouts (void)
{
  static const int sizes[][4] = {
    {33, 17, 33, 17}, {33, 17, 16, 9}, {34, 18, 20, 20}, {7, 3, 19, 11},
  };
  char spec[160];
  size_t si, k, p, fi, n;
  int pads[] = { 0, 5 };

  for (si = 0; si < 4; si++) {
    int w = sizes[si][0], h = sizes[si][1];
    uint8_t *rgb = make_picture (w, h, 1.0);
    dlnn_frame ref;

    dlnn_frame_init (&ref, DLNN_PIX_RGB, w, h, rgb, (size_t) w * h * 3,
        NULL);
    for (k = 0; k < sizeof (layout_specs) / sizeof (layout_specs[0]); k++) {
      float *want;

      snprintf (spec, sizeof (spec), "width=%d;height=%d;%s", sizes[si][2],
          sizes[si][3], layout_specs[k]);
      want = run (spec, &ref);
      n = spec_len (spec);
      for (fi = 0; fi < 10; fi++)
        for (p = 0; p < 2; p++) {
          test_frame t;
          float *got;
          double dmax, dmean;

          frame_packed (&t, rgb, w, h, packed_names[fi], packed_fmts[fi],
              pads[p]);
          got = run (spec, &t.f);
          if (want && got) {
            diff_stats (want, got, n, &dmax, &dmean);
            CHECK_MSG (dmax <= 1e-5, "%s pad %d %dx%d '%s': max diff %g",
                packed_names[fi], pads[p], w, h, spec, dmax);
          }
          free (got);
          free (t.buf);
        }
      free (want);
    }
    free (rgb);
  }
}

/* GRAY8 (full and limited range) against the BT.601 luma of the RGB
 * picture, as gray and as a colour target (gray replicated). */
static void
test_gray_layouts (void)
{
  static const char *const geoms[] = {
    "width=33;height=17;scale=1",
    "width=20;height=12;scale=1;interp=bilinear",
    "width=17;height=17;scale=1;resize=crop",
    "width=20;height=20;scale=1;resize=letterbox;interp=bilinear",
  };
  char spec[160], gspec[160];
  int w = 33, h = 17, full;
  size_t k, c;
  uint8_t *rgb = make_picture (w, h, 1.0);
  dlnn_frame ref;

  dlnn_frame_init (&ref, DLNN_PIX_RGB, w, h, rgb, (size_t) w * h * 3, NULL);
  for (k = 0; k < 4; k++) {
    float *want, *got, *got3;
    size_t n;
    double dmax, dmean;

    snprintf (gspec, sizeof (gspec), "%s;color=gray", geoms[k]);
    snprintf (spec, sizeof (spec), "%s;color=%s", geoms[k], k & 1 ? "bgr" :
        "rgb");
    n = spec_len (gspec);
    want = run (gspec, &ref);
    for (full = 0; full < 2; full++) {
      test_frame t;

      frame_gray (&t, rgb, w, h, 3, full);
      got = run (gspec, &t.f);
      got3 = run (spec, &t.f);
      if (want && got && got3) {
        diff_stats (want, got, n, &dmax, &dmean);
        CHECK_MSG (dmax <= 0.6 && dmean < 0.35, "GRAY8 full=%d '%s': max %g "
            "mean %g", full, gspec, dmax, dmean);
        for (c = 0; c < 3; c++) {
          diff_stats (got, got3 + c * n, n, &dmax, &dmean);
          CHECK_MSG (dmax <= 1e-5, "GRAY8 full=%d '%s' channel %zu: %g",
              full, spec, c, dmax);
        }
      }
      free (got);
      free (got3);
      free (t.buf);
    }
    free (want);
  }
  free (rgb);
}

/* YUV frames against the RGB picture they were made from.  With a 2x area
 * downscale each output pixel averages whole chroma blocks, so the only
 * error left is quantisation (about 2/255 at worst for limited range). */
static void
test_yuv_layouts (void)
{
  /* All are exact 2x reductions of 66x34 with block-aligned windows
   * (bilinear at half-pixel centres averages 2x2 too). */
  static const char *const specs[] = {
    "width=33;height=17;scale=1",
    "width=33;height=17;scale=1;color=bgr;interp=bilinear",
    "width=17;height=17;scale=1;resize=crop",
    "width=33;height=33;scale=1;resize=letterbox;interp=bilinear",
    "width=33;height=17;scale=1;color=gray",
  };
  int w = 66, h = 34, nv12, bt709, full, pad, k;
  uint8_t *rgb = make_picture (w, h, 4.0);
  dlnn_frame ref;

  dlnn_frame_init (&ref, DLNN_PIX_RGB, w, h, rgb, (size_t) w * h * 3, NULL);
  for (k = 0; k < 5; k++) {
    float *want = run (specs[k], &ref);
    size_t n = spec_len (specs[k]);

    for (nv12 = 0; nv12 < 2; nv12++)
      for (bt709 = 0; bt709 < 2; bt709++)
        for (full = 0; full < 2; full++)
          for (pad = 0; pad < 7; pad += 6) {
            test_frame t;
            float *got;
            double dmax, dmean, bias;

            if (k == 4 && bt709)
              continue;         /* gray from YUV is the frame's own luma */
            frame_yuv (&t, rgb, w, h, nv12, bt709, full, pad);
            got = run (specs[k], &t.f);
            if (want && got) {
              diff_stats3 (want, got, n, &dmax, &dmean, &bias);
              CHECK_MSG (dmax <= 2.0 && dmean <= 0.6 && fabs (bias) <= 0.1,
                  "%s %s %s pad %d '%s': max %g mean %g bias %g",
                  nv12 ? "NV12" : "I420", bt709 ? "709" : "601",
                  full ? "full" : "limited", pad, specs[k], dmax, dmean,
                  bias);
            }
            free (got);
            free (t.buf);
          }
    free (want);
  }
  free (rgb);
}

/* At native and odd sizes the chroma subsampling itself differs from the
 * RGB picture; with a smooth picture that error stays small, while a wrong
 * plane, stride or siting would not. */
static void
test_yuv_odd_sizes (void)
{
  static const int sizes[][2] = { {33, 17}, {31, 20}, {1, 1}, {2, 3} };
  static const char *const specs[] = {
    "scale=1",
    "scale=1;interp=bilinear",
    "scale=1;interp=bilinear;resize=letterbox",
  };
  char spec[128];
  size_t si, k;
  int nv12, full;

  for (si = 0; si < 4; si++) {
    int w = sizes[si][0], h = sizes[si][1];
    uint8_t *rgb = make_picture (w, h, 0.3);
    dlnn_frame ref;

    dlnn_frame_init (&ref, DLNN_PIX_RGB, w, h, rgb, (size_t) w * h * 3,
        NULL);
    for (k = 0; k < 3; k++) {
      float *want;
      size_t n;

      snprintf (spec, sizeof (spec), "width=%d;height=%d;%s", w,
          h + (int) k, specs[k]);
      want = run (spec, &ref);
      n = spec_len (spec);
      for (nv12 = 0; nv12 < 2; nv12++)
        for (full = 0; full < 2; full++) {
          test_frame t;
          float *got;
          double dmax, dmean;

          frame_yuv (&t, rgb, w, h, nv12, 0, full, 3);
          got = run (spec, &t.f);
          if (want && got) {
            diff_stats (want, got, n, &dmax, &dmean);
            CHECK_MSG (dmax <= 8.0 && dmean <= 1.5,
                "%dx%d %s full=%d '%s': max %g mean %g", w, h,
                nv12 ? "NV12" : "I420", full, spec, dmax, dmean);
          }
          free (got);
          free (t.buf);
        }
      free (want);
    }
    free (rgb);
  }
}

/* Limited and full range YUV of the same picture agree, and gray from YUV
 * reads no chroma. */
static void
test_yuv_range (void)
{
  const char *spec = "width=40;height=30;scale=1;interp=bilinear";
  int w = 80, h = 60;
  uint8_t *rgb = make_picture (w, h, 4.0);
  test_frame lim, ful;
  float *a, *b, *g1, *g2;
  double dmax, dmean, bias;
  size_t n = spec_len (spec);

  frame_yuv (&lim, rgb, w, h, 0, 1, 0, 0);
  frame_yuv (&ful, rgb, w, h, 0, 1, 1, 0);
  a = run (spec, &lim.f);
  b = run (spec, &ful.f);
  if (a && b) {
    diff_stats3 (a, b, n, &dmax, &dmean, &bias);
    CHECK_MSG (dmax <= 2.5 && dmean <= 0.7 && fabs (bias) <= 0.1,
        "max %g mean %g bias %g", dmax, dmean, bias);
  }
  free (a);
  free (b);

  /* Trash the chroma: gray must not change. */
  spec = "width=40;height=30;scale=1;color=gray";
  g1 = run (spec, &lim.f);
  memset ((uint8_t *) lim.f.planes[1], 0, (size_t) 40 * 30);
  memset ((uint8_t *) lim.f.planes[2], 255, (size_t) 40 * 30);
  g2 = run (spec, &lim.f);
  if (g1 && g2) {
    diff_stats (g1, g2, spec_len (spec), &dmax, &dmean);
    CHECK (dmax == 0.0);
  }
  free (g1);
  free (g2);
  free (lim.buf);
  free (ful.buf);
  free (rgb);
}

/* ---- resize references ------------------------------------------------ */

/* Naive 2-D area: output (i, j) of the window (sx, sy, sw, sh) resized to
 * ow x oh is the overlap-weighted mean of the source pixels. Channel c of
 * an interleaved nc-channel image. */
static double
ref_area (const uint8_t * src, int w, int h, int nc, int c, double sx,
    double sy, double sw, double sh, int ow, int oh, int i, int j)
{
  double x0 = sx + i * sw / ow, x1 = sx + (i + 1) * sw / ow;
  double y0 = sy + j * sh / oh, y1 = sy + (j + 1) * sh / oh;
  double s = 0.0;
  int x, y;

  for (y = 0; y < h; y++) {
    double oy = fmin (y1, y + 1.0) - fmax (y0, (double) y);
    if (oy <= 0)
      continue;
    for (x = 0; x < w; x++) {
      double ox = fmin (x1, x + 1.0) - fmax (x0, (double) x);
      if (ox > 0)
        s += ox * oy * src[((size_t) y * w + x) * nc + c];
    }
  }
  return s / ((x1 - x0) * (y1 - y0));
}

/* PyTorch upsample_bilinear2d, align_corners=False. */
static double
ref_bilinear (const uint8_t * src, int w, int h, int nc, int c, int ow,
    int oh, int i, int j)
{
  double rx = (double) w / ow, ry = (double) h / oh;
  double fx = (i + 0.5) * rx - 0.5, fy = (j + 0.5) * ry - 0.5, lx, ly;
  int x0, y0, x1, y1;

  if (fx < 0)
    fx = 0;
  if (fy < 0)
    fy = 0;
  x0 = (int) fx;
  y0 = (int) fy;
  x1 = x0 < w - 1 ? x0 + 1 : x0;
  y1 = y0 < h - 1 ? y0 + 1 : y0;
  lx = fx - x0;
  ly = fy - y0;
#define P(X, Y) ((double) src[((size_t) (Y) * w + (X)) * nc + c])
  return (1 - ly) * ((1 - lx) * P (x0, y0) + lx * P (x1, y0))
      + ly * ((1 - lx) * P (x0, y1) + lx * P (x1, y1));
#undef P
}

static void
gray_frame (dlnn_frame * f, const uint8_t * px, int w, int h)
{
  dlnn_frame_init (f, DLNN_PIX_GRAY8, w, h, px, (size_t) w * h, NULL);
}

static void
test_area_integer (void)
{
  static const int cases[][4] = {
    {56, 56, 28, 28}, {90, 60, 30, 20}, {56, 30, 28, 10}, {64, 64, 8, 8},
  };
  char spec[128];
  size_t k;
  int i, j, bad = 0;

  for (k = 0; k < 4; k++) {
    int w = cases[k][0], h = cases[k][1], ow = cases[k][2], oh = cases[k][3];
    int fx = w / ow, fy = h / oh, x, y;
    uint8_t *src = make_noise (w, h, 1);
    dlnn_frame f;
    float *out;

    gray_frame (&f, src, w, h);
    snprintf (spec, sizeof (spec), "color=gray;width=%d;height=%d;scale=1",
        ow, oh);
    out = run (spec, &f);
    for (j = 0; out && j < oh; j++)
      for (i = 0; i < ow; i++) {
        double s = 0;

        for (y = 0; y < fy; y++)
          for (x = 0; x < fx; x++)
            s += src[(size_t) (j * fy + y) * w + i * fx + x];
        if (fabs (out[j * ow + i] - s / (fx * fy)) > 1e-4)
          bad++;
      }
    CHECK_MSG (bad == 0, "%dx%d -> %dx%d: %d pixels differ from the block "
        "average", w, h, ow, oh, bad);
    free (out);
    free (src);
  }

  /* Integer upscale is exact nearest neighbour. */
  {
    uint8_t *src = make_noise (7, 5, 3);
    dlnn_frame f;
    float *out;

    dlnn_frame_init (&f, DLNN_PIX_RGB, 7, 5, src, 105, NULL);
    out = run ("width=21;height=15;scale=1", &f);
    bad = 0;
    for (k = 0; out && k < 3; k++)
      for (j = 0; j < 15; j++)
        for (i = 0; i < 21; i++)
          if (out[k * 315 + j * 21 + i] != src[((j / 3) * 7 + i / 3) * 3 + k])
            bad++;
    CHECK_MSG (bad == 0, "3x upscale: %d pixels are not nearest", bad);
    free (out);
    free (src);
  }
}

static void
test_area_fractional (void)
{
  static const int cases[][4] = {
    {100, 77, 37, 23}, {7, 5, 19, 13}, {45, 9, 10, 31}, {1, 1, 3, 2},
  };
  char spec[128];
  size_t k;
  int c, i, j;

  for (k = 0; k < 4; k++) {
    int w = cases[k][0], h = cases[k][1], ow = cases[k][2], oh = cases[k][3];
    uint8_t *src = make_noise (w, h, 3);
    dlnn_frame f;
    float *out;
    double sin_ = 0, sout = 0, dmax = 0, d;

    dlnn_frame_init (&f, DLNN_PIX_RGB, w, h, src, (size_t) w * h * 3, NULL);
    snprintf (spec, sizeof (spec), "width=%d;height=%d;scale=1", ow, oh);
    out = run (spec, &f);
    if (!out)
      continue;
    for (c = 0; c < 3; c++)
      for (j = 0; j < oh; j++)
        for (i = 0; i < ow; i++) {
          d = fabs (out[(c * oh + j) * ow + i]
              - ref_area (src, w, h, 3, c, 0, 0, w, h, ow, oh, i, j));
          if (d > dmax)
            dmax = d;
          sout += out[(c * oh + j) * ow + i];
        }
    for (i = 0; i < w * h * 3; i++)
      sin_ += src[i];
    CHECK_MSG (dmax <= 2e-3, "%dx%d -> %dx%d: max diff to reference %g", w, h,
        ow, oh, dmax);
    /* Sum preservation: sum(out) * rx * ry == sum(in). */
    CHECK_CLOSE (sout * ((double) w / ow) * ((double) h / oh), sin_,
        sin_ * 1e-5);
    free (out);
    free (src);
  }
}

static void
test_bilinear (void)
{
  static const int cases[][4] = {
    {33, 17, 50, 40}, {100, 80, 37, 23}, {16, 16, 16, 16}, {9, 30, 4, 61},
    {1, 4, 5, 2},
  };
  char spec[128];
  size_t k;
  int c, i, j;

  for (k = 0; k < 5; k++) {
    int w = cases[k][0], h = cases[k][1], ow = cases[k][2], oh = cases[k][3];
    uint8_t *src = make_noise (w, h, 3);
    dlnn_frame f;
    float *out;
    double dmax = 0, d;

    dlnn_frame_init (&f, DLNN_PIX_RGB, w, h, src, (size_t) w * h * 3, NULL);
    snprintf (spec, sizeof (spec),
        "width=%d;height=%d;scale=1;interp=bilinear", ow, oh);
    out = run (spec, &f);
    if (!out)
      continue;
    for (c = 0; c < 3; c++)
      for (j = 0; j < oh; j++)
        for (i = 0; i < ow; i++) {
          d = fabs (out[(c * oh + j) * ow + i]
              - ref_bilinear (src, w, h, 3, c, ow, oh, i, j));
          if (d > dmax)
            dmax = d;
        }
    CHECK_MSG (dmax <= 1e-3, "%dx%d -> %dx%d: max diff to reference %g", w, h,
        ow, oh, dmax);
    free (out);
    free (src);
  }
}

/* ---- geometry --------------------------------------------------------- */

/* Gray tensor of @spec against ref_area over the window (sx, sy, sw, sh)
 * placed at (ox, oy, iw, ih); the rest must be the pad value @pad. */
static void
check_window (const char *spec, const uint8_t * src, int w, int h,
    double sx, double sy, double sw, double sh, int ox, int oy, int iw,
    int ih, double pad)
{
  dlnn_image_cfg cfg;
  dlnn_frame f;
  float *out;
  int i, j, bad = 0;
  double want, a, b;

  if (dlnn_image_cfg_parse (spec, &cfg, NULL) != DLNN_OK) {
    CHECK_MSG (0, "'%s'", spec);
    return;
  }
  a = cfg.scale / cfg.std[0];
  b = -cfg.mean[0] / cfg.std[0];
  gray_frame (&f, src, w, h);
  out = run (spec, &f);
  for (j = 0; out && j < cfg.height; j++)
    for (i = 0; i < cfg.width; i++) {
      if (i >= ox && i < ox + iw && j >= oy && j < oy + ih)
        want = ref_area (src, w, h, 1, 0, sx, sy, sw, sh, iw, ih, i - ox,
            j - oy) * a + b;
      else
        want = pad;
      if (fabs (out[j * cfg.width + i] - want) > 1e-3 * (1 + fabs (want))) {
        if (!bad)
          fprintf (stderr, "'%s' %dx%d: (%d,%d) = %g, want %g\n", spec, w,
              h, i, j, out[j * cfg.width + i], want);
        bad++;
      }
    }
  CHECK_MSG (bad == 0, "'%s' from %dx%d: %d pixels wrong", spec, w, h, bad);
  free (out);
}

static void
test_crop (void)
{
  uint8_t *src = make_noise (64, 50, 1);

  /* Wide frame: full height, centred window of the target's aspect. */
  check_window ("color=gray;width=32;height=32;resize=crop;scale=1", src, 64,
      32, 16, 0, 32, 32, 0, 0, 32, 32, 0);
  check_window ("color=gray;width=16;height=16;resize=crop;scale=1", src, 64,
      32, 16, 0, 32, 32, 0, 0, 16, 16, 0);
  /* Tall frame: window rows 15..34. */
  check_window ("color=gray;width=10;height=10;resize=crop;scale=1", src, 20,
      50, 0, 15, 20, 20, 0, 0, 10, 10, 0);
  /* Fractional window start (x0 = 8.5). */
  check_window ("color=gray;width=8;height=8;resize=crop;scale=1", src, 33,
      16, 8.5, 0, 16, 16, 0, 0, 8, 8, 0);
  /* Same aspect: crop is stretch. */
  check_window ("color=gray;width=25;height=16;resize=crop;scale=1", src, 50,
      32, 0, 0, 50, 32, 0, 0, 25, 16, 0);
  free (src);
}

static void
test_letterbox (void)
{
  uint8_t *src = make_noise (64, 64, 1);
  const char *norm = ";mean=0.25;std=0.5;scale=0.00392156886";
  char spec[160];
  double pad = -0.25 / 0.5;

  snprintf (spec, sizeof (spec), "color=gray;width=32;height=32;"
      "resize=letterbox%s", norm);
  /* 64x32: inner 32x16 at y = 8. */
  check_window (spec, src, 64, 32, 0, 0, 64, 32, 0, 8, 32, 16, pad);
  /* 64x30: inner 32x15 at y = (32-15)/2 = 8. */
  check_window (spec, src, 64, 30, 0, 0, 64, 30, 0, 8, 32, 15, pad);
  /* 30x64: inner 15x32 at x = 8. */
  check_window (spec, src, 30, 64, 0, 0, 30, 64, 8, 0, 15, 32, pad);
  /* 33x17 into 20x20: s = 20/33, inner 20 x round (10.3) = 10 at y = 5. */
  snprintf (spec, sizeof (spec), "color=gray;width=20;height=20;"
      "resize=letterbox%s", norm);
  check_window (spec, src, 33, 17, 0, 0, 33, 17, 0, 5, 20, 10, pad);
  /* Same aspect: no margins. */
  check_window (spec, src, 40, 40, 0, 0, 40, 40, 0, 0, 20, 20, pad);
  free (src);
}

/* ---- normalisation and context reuse ---------------------------------- */

static void
test_normalise (void)
{
  static const float mean[3] = { 0.485f, 0.456f, 0.406f };
  static const float sd[3] = { 0.229f, 0.224f, 0.225f };
  uint8_t *rgb = make_picture (40, 30, 4.0);
  dlnn_frame f;
  float *raw, *bgr, *def;
  int c, i, bad = 0;

  dlnn_frame_init (&f, DLNN_PIX_RGB, 40, 30, rgb, 3600, NULL);
  raw = run ("width=20;height=15;scale=1", &f);
  bgr = run ("width=20;height=15;color=bgr;scale=0.00392156886;"
      "mean=0.406,0.456,0.485;std=0.225,0.224,0.229", &f);
  def = run ("width=20;height=15;mean=0.485,0.456,0.406;"
      "std=0.229,0.224,0.225", &f);
  for (c = 0; raw && bgr && def && c < 3; c++)
    for (i = 0; i < 300; i++) {
      double v = raw[c * 300 + i];
      double w1 = (v / 255.0 - mean[c]) / sd[c];
      if (fabs (def[c * 300 + i] - w1) > 1e-5)
        bad++;
      if (fabs (bgr[(2 - c) * 300 + i] - w1) > 1e-5)
        bad++;
    }
  CHECK_MSG (bad == 0, "%d values not (v*scale - mean) / std", bad);
  free (raw);
  free (bgr);
  free (def);
  free (rgb);
}

static void
test_identity_gray (void)
{
  uint8_t *src = make_noise (28, 28, 1);
  dlnn_frame f;
  float *out;
  int i, bad = 0;

  gray_frame (&f, src, 28, 28);
  out = run ("color=gray;width=28;height=28;mean=0.286;std=0.353", &f);
  for (i = 0; out && i < 28 * 28; i++)
    if (fabs (out[i] - (src[i] / 255.0 - 0.286) / 0.353) > 1e-5)
      bad++;
  CHECK_MSG (bad == 0, "%d pixels wrong", bad);
  /* Limited range GRAY8: 16 -> 0, 235 -> 255, clamped outside. */
  src[0] = 16;
  src[1] = 235;
  src[2] = 0;
  src[3] = 255;
  src[4] = 126;
  f.full_range = 0;
  free (out);
  out = run ("color=gray;width=28;height=28;scale=1", &f);
  if (out) {
    CHECK_CLOSE (out[0], 0.0, 1e-4);
    CHECK_CLOSE (out[1], 255.0, 1e-4);
    CHECK_CLOSE (out[2], 0.0, 1e-4);
    CHECK_CLOSE (out[3], 255.0, 1e-4);
    CHECK_CLOSE (out[4], (126 - 16) * 255.0 / 219.0, 1e-3);
  }
  free (out);
  free (src);
}

/* One context across geometry changes gives what fresh contexts give. */
static void
test_ctx_reuse (void)
{
  const char *spec = "width=24;height=20;interp=bilinear;resize=crop";
  uint8_t *rgb1 = make_picture (33, 17, 1.0), *rgb2 = make_picture (64, 48, 1.0);
  test_frame a, b;
  dlnn_image_cfg cfg;
  dlnn_image_ctx *ctx;
  dlnn_status st;
  float *fa, *fb, *out;
  size_t n = 3 * 24 * 20;
  double dmax, dmean;
  int round;

  frame_packed (&a, rgb1, 33, 17, "xBGR", DLNN_PIX_XBGR, 4);
  frame_yuv (&b, rgb2, 64, 48, 1, 0, 0, 2);
  fa = run (spec, &a.f);
  fb = run (spec, &b.f);
  CHECK_OK (dlnn_image_cfg_parse (spec, &cfg, &st), &st);
  ctx = dlnn_image_ctx_new (&cfg, &st);
  out = malloc (sizeof (float) * n);
  for (round = 0; ctx && fa && fb && round < 3; round++) {
    CHECK_OK (dlnn_image_ctx_process (ctx, &a.f, out, &st), &st);
    diff_stats (fa, out, n, &dmax, &dmean);
    CHECK (dmax == 0.0);
    CHECK_OK (dlnn_image_ctx_process (ctx, &b.f, out, &st), &st);
    diff_stats (fb, out, n, &dmax, &dmean);
    CHECK (dmax == 0.0);
  }
  dlnn_image_ctx_free (ctx);
  free (out);
  free (fa);
  free (fb);
  free (a.buf);
  free (b.buf);
  free (rgb1);
  free (rgb2);
}

/* ---- timing (printed, not asserted) ----------------------------------- */

static double
now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
bench_one (const char *label, const dlnn_frame * f, const char *spec)
{
  dlnn_image_cfg cfg;
  dlnn_image_ctx *ctx;
  dlnn_status st;
  float *out;
  double t0, t1;
  int i, n = 100;

  if (dlnn_image_cfg_parse (spec, &cfg, &st) != DLNN_OK)
    return;
  ctx = dlnn_image_ctx_new (&cfg, &st);
  out = malloc (sizeof (float) * tensor_len (&cfg));
  CHECK_OK (dlnn_image_ctx_process (ctx, f, out, &st), &st);
  t0 = now_ms ();
  for (i = 0; i < n; i++)
    dlnn_image_ctx_process (ctx, f, out, &st);
  t1 = now_ms ();
  printf ("  %-28s %-40s %7.3f ms/frame\n", label, spec, (t1 - t0) / n);
  free (out);
  dlnn_image_ctx_free (ctx);
}

static void
bench (void)
{
  int w = 1280, h = 720;
  uint8_t *rgb = make_picture (w, h, 1.0);
  test_frame yuv, bgrx;
  dlnn_frame f;

  frame_yuv (&yuv, rgb, w, h, 0, 1, 0, 0);
  frame_packed (&bgrx, rgb, w, h, "BGRx", DLNN_PIX_BGRX, 0);
  dlnn_frame_init (&f, DLNN_PIX_RGB, w, h, rgb, (size_t) w * h * 3, NULL);
  bench_one ("I420 1280x720", &yuv.f, "width=224;height=224");
  bench_one ("I420 1280x720", &yuv.f, "width=224;height=224;resize=crop");
  bench_one ("I420 1280x720", &yuv.f,
      "width=224;height=224;interp=bilinear");
  bench_one ("I420 1280x720", &yuv.f, "width=28;height=28;color=gray");
  bench_one ("RGB 1280x720", &f, "width=224;height=224");
  bench_one ("BGRx 1280x720", &bgrx.f, "width=224;height=224;resize=crop");
  free (yuv.buf);
  free (bgrx.buf);
  free (rgb);
  {
    uint8_t *g = make_noise (28, 28, 1);

    gray_frame (&f, g, 28, 28);
    bench_one ("GRAY8 28x28", &f, "width=28;height=28;color=gray");
    free (g);
  }
}

int
main (void)
{
  DLNN_RUN (test_cfg_parse_format);
  DLNN_RUN (test_cfg_errors);
  DLNN_RUN (test_frame_errors);
  DLNN_RUN (test_packed_layouts);
  DLNN_RUN (test_gray_layouts);
  DLNN_RUN (test_yuv_layouts);
  DLNN_RUN (test_yuv_odd_sizes);
  DLNN_RUN (test_yuv_range);
  DLNN_RUN (test_area_integer);
  DLNN_RUN (test_area_fractional);
  DLNN_RUN (test_bilinear);
  DLNN_RUN (test_crop);
  DLNN_RUN (test_letterbox);
  DLNN_RUN (test_normalise);
  DLNN_RUN (test_identity_gray);
  DLNN_RUN (test_ctx_reuse);
  DLNN_RUN (bench);
  return dlnn_test_summary ();
}
