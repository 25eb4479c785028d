/* libdlnn - dl.image configuration: defaults, parse, format, validate.
 * The grammar is documented in dlnn/image.h. */
#include "image_private.h"

#include "kv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 32
#define VALUE_MAX 256

static const char *const color_names[] = { "gray", "rgb", "bgr" };
static const char *const resize_names[] = { "stretch", "crop", "letterbox" };
static const char *const interp_names[] = { "area", "bilinear" };

enum
{
  KEY_COLOR, KEY_WIDTH, KEY_HEIGHT, KEY_RESIZE, KEY_INTERP, KEY_SCALE,
  KEY_MEAN, KEY_STD, N_KEYS
};

static const char *const key_names[N_KEYS] = {
  "color", "width", "height", "resize", "interp", "scale", "mean", "std"
};

void
dlnn_image_cfg_init (dlnn_image_cfg * cfg)
{
  int c;

  if (!cfg)
    return;
  memset (cfg, 0, sizeof (*cfg));
  cfg->color = DLNN_COLOR_RGB;
  cfg->resize = DLNN_RESIZE_STRETCH;
  cfg->interp = DLNN_INTERP_AREA;
  cfg->scale = 1.0f / 255.0f;
  for (c = 0; c < 3; c++) {
    cfg->mean[c] = 0.0f;
    cfg->std[c] = 1.0f;
  }
}

int
dlnn_image_cfg_channels (const dlnn_image_cfg * cfg)
{
  if (!cfg)
    return 0;
  return cfg->color == DLNN_COLOR_GRAY ? 1 : 3;
}

dlnn_code
dlnn_image_cfg_validate (const dlnn_image_cfg * cfg, dlnn_status * st)
{
  int c, nc;

  if (!cfg)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "dl.image: NULL cfg");
  if ((int) cfg->color < 0 || (int) cfg->color > DLNN_COLOR_BGR)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.image: invalid color %d", (int) cfg->color);
  if ((int) cfg->resize < 0 || (int) cfg->resize > DLNN_RESIZE_LETTERBOX)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.image: invalid resize %d", (int) cfg->resize);
  if ((int) cfg->interp < 0 || (int) cfg->interp > DLNN_INTERP_BILINEAR)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.image: invalid interp %d", (int) cfg->interp);
  if (cfg->width <= 0 || cfg->width > DLNN_IMAGE_MAX_SIZE)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.image: width %d out of range 1..%d", cfg->width,
        DLNN_IMAGE_MAX_SIZE);
  if (cfg->height <= 0 || cfg->height > DLNN_IMAGE_MAX_SIZE)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.image: height %d out of range 1..%d", cfg->height,
        DLNN_IMAGE_MAX_SIZE);
  if (!isfinite (cfg->scale))
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.image: scale is not finite");
  nc = dlnn_image_cfg_channels (cfg);
  for (c = 0; c < nc; c++) {
    if (!isfinite (cfg->mean[c]))
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "dl.image: mean[%d] is not finite", c);
    if (!isfinite (cfg->std[c]) || cfg->std[c] == 0.0f)
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "dl.image: std[%d] must be finite and non-zero", c);
  }
  return DLNN_OK;
}

/* "F" or "F,F,F" -> v[3] (one value is broadcast); returns the count. */
static int
parse_float_list (const char *s, float v[3])
{
  char buf[VALUE_MAX];
  char *p, *comma;
  int n = 0;

  snprintf (buf, sizeof (buf), "%s", s);
  p = buf;
  for (;;) {
    comma = strchr (p, ',');
    if (comma)
      *comma = '\0';
    if (n == 3 || dlnn_kv_parse_float (p, &v[n]) < 0)
      return -1;
    n++;
    if (!comma)
      break;
    p = comma + 1;
  }
  if (n == 2)
    return -1;
  if (n == 1)
    v[1] = v[2] = v[0];
  return n;
}

static dlnn_code
parse_item (const char *key, const char *value, dlnn_image_cfg * cfg,
    int *seen, int *n_mean, int *n_std, dlnn_status * st)
{
  int k, e, n;

  k = dlnn_kv_parse_enum (key, key_names, N_KEYS);
  if (k < 0)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.image: unknown key '%s'", key);
  if (seen[k])
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.image: duplicate key '%s'", key);
  seen[k] = 1;

  switch (k) {
    case KEY_COLOR:
      if ((e = dlnn_kv_parse_enum (value, color_names, 3)) < 0)
        goto bad_value;
      cfg->color = (dlnn_color) e;
      break;
    case KEY_RESIZE:
      if ((e = dlnn_kv_parse_enum (value, resize_names, 3)) < 0)
        goto bad_value;
      cfg->resize = (dlnn_resize) e;
      break;
    case KEY_INTERP:
      if ((e = dlnn_kv_parse_enum (value, interp_names, 2)) < 0)
        goto bad_value;
      cfg->interp = (dlnn_interp) e;
      break;
    case KEY_WIDTH:
    case KEY_HEIGHT:
      if (dlnn_kv_parse_int (value, &n) < 0 || n < 1 || n > DLNN_IMAGE_MAX_SIZE)
        return dlnn_status_set (st, DLNN_ERR_INVALID,
            "dl.image: %s='%s' is not an integer in 1..%d", key, value,
            DLNN_IMAGE_MAX_SIZE);
      if (k == KEY_WIDTH)
        cfg->width = n;
      else
        cfg->height = n;
      break;
    case KEY_SCALE:
      if (dlnn_kv_parse_float (value, &cfg->scale) < 0)
        goto bad_number;
      break;
    case KEY_MEAN:
      if ((*n_mean = parse_float_list (value, cfg->mean)) < 0)
        goto bad_list;
      break;
    case KEY_STD:
      if ((*n_std = parse_float_list (value, cfg->std)) < 0)
        goto bad_list;
      for (e = 0; e < 3; e++)
        if (cfg->std[e] == 0.0f)
          return dlnn_status_set (st, DLNN_ERR_INVALID,
              "dl.image: std='%s' has a zero", value);
      break;
  }
  return DLNN_OK;

bad_value:
  return dlnn_status_set (st, DLNN_ERR_INVALID,
      "dl.image: invalid value '%s' for key '%s'", value, key);
bad_number:
  return dlnn_status_set (st, DLNN_ERR_INVALID,
      "dl.image: %s='%s' is not a finite number", key, value);
bad_list:
  return dlnn_status_set (st, DLNN_ERR_INVALID,
      "dl.image: %s='%s' is not 1 or 3 comma-separated finite numbers",
      key, value);
}

dlnn_code
dlnn_image_cfg_parse (const char *s, dlnn_image_cfg * cfg, dlnn_status * st)
{
  dlnn_image_cfg tmp;
  int seen[N_KEYS] = { 0 };
  int n_mean = 1, n_std = 1;
  const char *p, *item_end, *eq;
  char key[KEY_MAX], value[VALUE_MAX];
  size_t klen, vlen;
  dlnn_code code;

  if (!s || !cfg)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.image: NULL string or cfg");
  dlnn_image_cfg_init (&tmp);

  for (p = s; *p; p = *item_end ? item_end + 1 : item_end) {
    item_end = strchr (p, ';');
    if (!item_end)
      item_end = p + strlen (p);
    if (item_end == p)
      continue;                 /* empty item */
    eq = memchr (p, '=', (size_t) (item_end - p));
    if (!eq)
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "dl.image: item '%.*s' is not key=value",
          (int) (item_end - p > 64 ? 64 : item_end - p), p);
    klen = (size_t) (eq - p);
    vlen = (size_t) (item_end - eq - 1);
    if (klen == 0)
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "dl.image: empty key in '%.*s'",
          (int) (item_end - p > 64 ? 64 : item_end - p), p);
    if (klen >= KEY_MAX)
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "dl.image: unknown key '%.*s'", (int) (klen > 64 ? 64 : klen), p);
    if (vlen >= VALUE_MAX)
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "dl.image: value of '%.*s' is too long", (int) klen, p);
    memcpy (key, p, klen);
    key[klen] = '\0';
    memcpy (value, eq + 1, vlen);
    value[vlen] = '\0';
    if (vlen == 0)
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "dl.image: empty value for key '%s'", key);
    code = parse_item (key, value, &tmp, seen, &n_mean, &n_std, st);
    if (code != DLNN_OK)
      return code;
  }

  if (!seen[KEY_WIDTH])
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.image: missing key 'width'");
  if (!seen[KEY_HEIGHT])
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.image: missing key 'height'");
  if (tmp.color == DLNN_COLOR_GRAY && (n_mean == 3 || n_std == 3))
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.image: %s has 3 values but color=gray has 1 channel",
        n_mean == 3 ? "mean" : "std");
  code = dlnn_image_cfg_validate (&tmp, st);
  if (code != DLNN_OK)
    return code;
  *cfg = tmp;
  return DLNN_OK;
}

static void
append (char *buf, size_t size, size_t * len, const char *s)
{
  size_t n = strlen (s);

  if (*len + n + 1 > size)
    return;
  memcpy (buf + *len, s, n + 1);
  *len += n;
}

static void
append_list (char *buf, size_t size, size_t * len, const char *key,
    const float *v, int n)
{
  char num[48];
  int i;

  if (n == 3 && v[1] == v[0] && v[2] == v[0])
    n = 1;
  append (buf, size, len, key);
  for (i = 0; i < n; i++) {
    dlnn_kv_format_float (num, sizeof (num), v[i]);
    if (i)
      append (buf, size, len, ",");
    append (buf, size, len, num);
  }
}

char *
dlnn_image_cfg_format (const dlnn_image_cfg * cfg)
{
  char buf[512], num[48];
  size_t len = 0;
  int nc;
  char *out;

  if (dlnn_image_cfg_validate (cfg, NULL) != DLNN_OK)
    return NULL;
  nc = dlnn_image_cfg_channels (cfg);
  buf[0] = '\0';
  snprintf (buf, sizeof (buf), "color=%s;width=%d;height=%d;resize=%s;"
      "interp=%s;scale=", color_names[cfg->color], cfg->width, cfg->height,
      resize_names[cfg->resize], interp_names[cfg->interp]);
  len = strlen (buf);
  dlnn_kv_format_float (num, sizeof (num), cfg->scale);
  append (buf, sizeof (buf), &len, num);
  append_list (buf, sizeof (buf), &len, ";mean=", cfg->mean, nc);
  append_list (buf, sizeof (buf), &len, ";std=", cfg->std, nc);

  out = malloc (len + 1);
  if (out)
    memcpy (out, buf, len + 1);
  return out;
}
