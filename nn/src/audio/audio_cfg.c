/* libdlnn - dl.audio configuration: defaults, parse, format, validate.
 * The grammar is documented in dlnn/audio.h. */
#include "audio_private.h"

#include "kv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 32
#define VALUE_MAX 64

static const char *const features_names[] = { "logmel" };
static const char *const window_names[] = { "hann", "hamming" };
static const char *const log_names[] = { "none", "ln", "log10" };
static const char *const scale_names[] = { "htk", "slaney" };
static const char *const norm_names[] = { "none", "slaney" };

enum
{
  KEY_RATE, KEY_FEATURES, KEY_N_MELS, KEY_WIN_MS, KEY_HOP_MS, KEY_N_FFT,
  KEY_FMIN, KEY_FMAX, KEY_WINDOW, KEY_POWER, KEY_LOG, KEY_LOG_OFFSET,
  KEY_LOG_FLOOR, KEY_MEL_SCALE, KEY_NORM, KEY_CENTER, N_KEYS
};

static const char *const key_names[N_KEYS] = {
  "rate", "features", "n_mels", "win_ms", "hop_ms", "n_fft", "fmin", "fmax",
  "window", "power", "log", "log_offset", "log_floor", "mel_scale", "norm",
  "center"
};

void
dlnn_audio_cfg_init (dlnn_audio_cfg * cfg)
{
  if (!cfg)
    return;
  memset (cfg, 0, sizeof (*cfg));
  cfg->rate = 16000;
  cfg->features = DLNN_AUDIO_FEATURES_LOGMEL;
  cfg->n_mels = 40;
  cfg->win_ms = 25.0f;
  cfg->hop_ms = 10.0f;
  cfg->n_fft = 0;
  cfg->fmin = 0.0f;
  cfg->fmax = 0.0f;
  cfg->window = DLNN_AUDIO_WINDOW_HANN;
  cfg->power = 2.0f;
  cfg->log = DLNN_AUDIO_LOG_LN;
  cfg->log_offset = 1e-6f;
  cfg->log_floor = 0.0f;
  cfg->mel_scale = DLNN_AUDIO_MEL_HTK;
  cfg->norm = DLNN_AUDIO_NORM_NONE;
  cfg->center = 1;
}

static long
ms_to_samples (int rate, float ms)
{
  double v = (double) rate * (double) ms / 1000.0;

  if (!(v < 1e9))
    return -1;
  return lround (v);
}

static int
next_pow2 (int n)
{
  int p = 1;

  while (p < n)
    p <<= 1;
  return p;
}

dlnn_code
dlnn_audio_cfg_validate (const dlnn_audio_cfg * cfg, dlnn_status * st)
{
  long win, hop;
  int n_fft;
  float fmax;

  if (!cfg)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "dl.audio: NULL cfg");
  if (cfg->rate < DLNN_AUDIO_MIN_RATE || cfg->rate > DLNN_AUDIO_MAX_RATE)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.audio: rate %d out of range %d..%d", cfg->rate,
        DLNN_AUDIO_MIN_RATE, DLNN_AUDIO_MAX_RATE);
  if ((int) cfg->features != DLNN_AUDIO_FEATURES_LOGMEL)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.audio: invalid features %d", (int) cfg->features);
  if ((int) cfg->window < 0 || (int) cfg->window > DLNN_AUDIO_WINDOW_HAMMING
      || (int) cfg->log < 0 || (int) cfg->log > DLNN_AUDIO_LOG_LOG10
      || (int) cfg->mel_scale < 0
      || (int) cfg->mel_scale > DLNN_AUDIO_MEL_SLANEY
      || (int) cfg->norm < 0 || (int) cfg->norm > DLNN_AUDIO_NORM_SLANEY
      || (cfg->center != 0 && cfg->center != 1))
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.audio: invalid window, log, mel_scale, norm or center value");
  if (cfg->n_mels < 1 || cfg->n_mels > DLNN_AUDIO_MAX_MELS)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.audio: n_mels %d out of range 1..%d", cfg->n_mels,
        DLNN_AUDIO_MAX_MELS);
  if (!isfinite (cfg->win_ms) || cfg->win_ms <= 0.0f)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.audio: win_ms must be a positive number");
  if (!isfinite (cfg->hop_ms) || cfg->hop_ms <= 0.0f)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.audio: hop_ms must be a positive number");
  win = ms_to_samples (cfg->rate, cfg->win_ms);
  hop = ms_to_samples (cfg->rate, cfg->hop_ms);
  if (win < 2 || win > DLNN_AUDIO_MAX_FFT)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.audio: window of %g ms is %ld samples at %d Hz, out of range "
        "2..%d", (double) cfg->win_ms, win, cfg->rate, DLNN_AUDIO_MAX_FFT);
  if (hop < 1 || hop > DLNN_AUDIO_MAX_FFT)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.audio: hop of %g ms is %ld samples at %d Hz, out of range "
        "1..%d", (double) cfg->hop_ms, hop, cfg->rate, DLNN_AUDIO_MAX_FFT);
  n_fft = cfg->n_fft ? cfg->n_fft : next_pow2 ((int) win);
  if (n_fft < win || n_fft > DLNN_AUDIO_MAX_FFT || (n_fft & 1))
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.audio: n_fft %d must be even, >= the window (%ld samples) and "
        "<= %d", n_fft, win, DLNN_AUDIO_MAX_FFT);
  fmax = cfg->fmax ? cfg->fmax : (float) cfg->rate / 2.0f;
  if (!isfinite (cfg->fmin) || cfg->fmin < 0.0f)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.audio: fmin %g must be >= 0", (double) cfg->fmin);
  if (!isfinite (fmax) || fmax > (float) cfg->rate / 2.0f)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.audio: fmax %g must be <= rate/2 (%g)", (double) fmax,
        (double) cfg->rate / 2.0);
  if (cfg->fmin >= fmax)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.audio: fmin %g must be < fmax %g", (double) cfg->fmin,
        (double) fmax);
  if (!isfinite (cfg->power) || cfg->power <= 0.0f)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.audio: power must be a positive number");
  if (!isfinite (cfg->log_offset) || cfg->log_offset < 0.0f
      || !isfinite (cfg->log_floor) || cfg->log_floor < 0.0f)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.audio: log_offset and log_floor must be >= 0");
  if (cfg->log != DLNN_AUDIO_LOG_NONE && cfg->log_offset == 0.0f
      && cfg->log_floor == 0.0f)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.audio: log=%s needs log_offset > 0 or log_floor > 0 "
        "(log of 0)", log_names[cfg->log]);
  return DLNN_OK;
}

void
dlnn_audio_dims_get (const dlnn_audio_cfg * cfg, dlnn_audio_dims * d)
{
  d->win = (int) ms_to_samples (cfg->rate, cfg->win_ms);
  d->hop = (int) ms_to_samples (cfg->rate, cfg->hop_ms);
  d->n_fft = cfg->n_fft ? cfg->n_fft : next_pow2 (d->win);
  d->n_bins = d->n_fft / 2 + 1;
  d->fmax = cfg->fmax ? cfg->fmax : (float) cfg->rate / 2.0f;
}

int
dlnn_audio_cfg_win_length (const dlnn_audio_cfg * cfg)
{
  dlnn_audio_dims d;

  if (dlnn_audio_cfg_validate (cfg, NULL) != DLNN_OK)
    return 0;
  dlnn_audio_dims_get (cfg, &d);
  return d.win;
}

int
dlnn_audio_cfg_hop_length (const dlnn_audio_cfg * cfg)
{
  dlnn_audio_dims d;

  if (dlnn_audio_cfg_validate (cfg, NULL) != DLNN_OK)
    return 0;
  dlnn_audio_dims_get (cfg, &d);
  return d.hop;
}

int
dlnn_audio_cfg_n_fft (const dlnn_audio_cfg * cfg)
{
  dlnn_audio_dims d;

  if (dlnn_audio_cfg_validate (cfg, NULL) != DLNN_OK)
    return 0;
  dlnn_audio_dims_get (cfg, &d);
  return d.n_fft;
}

size_t
dlnn_audio_cfg_frames (const dlnn_audio_cfg * cfg, size_t n)
{
  dlnn_audio_dims d;

  if (dlnn_audio_cfg_validate (cfg, NULL) != DLNN_OK)
    return 0;
  dlnn_audio_dims_get (cfg, &d);
  if (cfg->center)
    return n <= (size_t) (d.n_fft / 2) ? 0 : 1 + n / (size_t) d.hop;
  return n < (size_t) d.n_fft ? 0 : 1 + (n - (size_t) d.n_fft) / d.hop;
}

static dlnn_code
parse_item (const char *key, const char *value, dlnn_audio_cfg * cfg,
    int *seen, dlnn_status * st)
{
  int k, e = 0, n = 0;
  float f = 0.0f;

  k = dlnn_kv_parse_enum (key, key_names, N_KEYS);
  if (k < 0)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.audio: unknown key '%s'", key);
  if (seen[k])
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.audio: duplicate key '%s'", key);
  seen[k] = 1;

  switch (k) {
    case KEY_FEATURES:
    case KEY_WINDOW:
    case KEY_LOG:
    case KEY_MEL_SCALE:
    case KEY_NORM:
      if (k == KEY_FEATURES)
        e = dlnn_kv_parse_enum (value, features_names, 1);
      else if (k == KEY_WINDOW)
        e = dlnn_kv_parse_enum (value, window_names, 2);
      else if (k == KEY_LOG)
        e = dlnn_kv_parse_enum (value, log_names, 3);
      else if (k == KEY_MEL_SCALE)
        e = dlnn_kv_parse_enum (value, scale_names, 2);
      else
        e = dlnn_kv_parse_enum (value, norm_names, 2);
      if (e < 0)
        return dlnn_status_set (st, DLNN_ERR_INVALID,
            "dl.audio: invalid value '%s' for key '%s'", value, key);
      if (k == KEY_FEATURES)
        cfg->features = (dlnn_audio_features) e;
      else if (k == KEY_WINDOW)
        cfg->window = (dlnn_audio_window) e;
      else if (k == KEY_LOG)
        cfg->log = (dlnn_audio_log) e;
      else if (k == KEY_MEL_SCALE)
        cfg->mel_scale = (dlnn_audio_mel_scale) e;
      else
        cfg->norm = (dlnn_audio_norm) e;
      break;
    case KEY_RATE:
    case KEY_N_MELS:
    case KEY_N_FFT:
    case KEY_CENTER:
      if (dlnn_kv_parse_int (value, &n) < 0)
        return dlnn_status_set (st, DLNN_ERR_INVALID,
            "dl.audio: %s='%s' is not a non-negative integer", key, value);
      if (k == KEY_RATE)
        cfg->rate = n;
      else if (k == KEY_N_MELS)
        cfg->n_mels = n;
      else if (k == KEY_N_FFT) {
        if (n == 0)
          return dlnn_status_set (st, DLNN_ERR_INVALID,
              "dl.audio: n_fft=0 (leave the key out for the default)");
        cfg->n_fft = n;
      } else {
        if (n > 1)
          return dlnn_status_set (st, DLNN_ERR_INVALID,
              "dl.audio: center='%s' must be 0 or 1", value);
        cfg->center = n;
      }
      break;
    default:
      if (dlnn_kv_parse_float (value, &f) < 0)
        return dlnn_status_set (st, DLNN_ERR_INVALID,
            "dl.audio: %s='%s' is not a finite number", key, value);
      if (k == KEY_WIN_MS)
        cfg->win_ms = f;
      else if (k == KEY_HOP_MS)
        cfg->hop_ms = f;
      else if (k == KEY_FMIN)
        cfg->fmin = f;
      else if (k == KEY_FMAX) {
        if (f <= 0.0f)
          return dlnn_status_set (st, DLNN_ERR_INVALID,
              "dl.audio: fmax='%s' must be > 0", value);
        cfg->fmax = f;
      } else if (k == KEY_POWER)
        cfg->power = f;
      else if (k == KEY_LOG_OFFSET)
        cfg->log_offset = f;
      else
        cfg->log_floor = f;
      break;
  }
  return DLNN_OK;
}

dlnn_code
dlnn_audio_cfg_parse (const char *s, dlnn_audio_cfg * cfg, dlnn_status * st)
{
  dlnn_audio_cfg tmp;
  dlnn_audio_dims d;
  int seen[N_KEYS] = { 0 };
  const char *p, *item_end, *eq;
  char key[KEY_MAX], value[VALUE_MAX];
  size_t klen, vlen;
  int show;
  dlnn_code code;

  if (!s || !cfg)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.audio: NULL string or cfg");
  dlnn_audio_cfg_init (&tmp);

  for (p = s; *p; p = *item_end ? item_end + 1 : item_end) {
    item_end = strchr (p, ';');
    if (!item_end)
      item_end = p + strlen (p);
    if (item_end == p)
      continue;                 /* empty item */
    show = (int) (item_end - p > 64 ? 64 : item_end - p);
    eq = memchr (p, '=', (size_t) (item_end - p));
    if (!eq)
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "dl.audio: item '%.*s' is not key=value", show, p);
    klen = (size_t) (eq - p);
    vlen = (size_t) (item_end - eq - 1);
    if (klen == 0)
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "dl.audio: empty key in '%.*s'", show, p);
    if (klen >= KEY_MAX)
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "dl.audio: unknown key '%.*s'", (int) (klen > 64 ? 64 : klen), p);
    if (vlen >= VALUE_MAX)
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "dl.audio: value of '%.*s' is too long", (int) klen, p);
    memcpy (key, p, klen);
    key[klen] = '\0';
    memcpy (value, eq + 1, vlen);
    value[vlen] = '\0';
    if (vlen == 0)
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "dl.audio: empty value for key '%s'", key);
    code = parse_item (key, value, &tmp, seen, st);
    if (code != DLNN_OK)
      return code;
  }

  code = dlnn_audio_cfg_validate (&tmp, st);
  if (code != DLNN_OK)
    return code;
  dlnn_audio_dims_get (&tmp, &d);
  tmp.n_fft = d.n_fft;
  tmp.fmax = d.fmax;
  *cfg = tmp;
  return DLNN_OK;
}

char *
dlnn_audio_cfg_format (const dlnn_audio_cfg * cfg)
{
  char num[8][48];
  char buf[512];
  dlnn_audio_dims d;
  int len;
  char *out;

  if (dlnn_audio_cfg_validate (cfg, NULL) != DLNN_OK)
    return NULL;
  dlnn_audio_dims_get (cfg, &d);
  dlnn_kv_format_float (num[0], sizeof (num[0]), cfg->win_ms);
  dlnn_kv_format_float (num[1], sizeof (num[1]), cfg->hop_ms);
  dlnn_kv_format_float (num[2], sizeof (num[2]), cfg->fmin);
  dlnn_kv_format_float (num[3], sizeof (num[3]), d.fmax);
  dlnn_kv_format_float (num[4], sizeof (num[4]), cfg->power);
  dlnn_kv_format_float (num[5], sizeof (num[5]), cfg->log_offset);
  dlnn_kv_format_float (num[6], sizeof (num[6]), cfg->log_floor);
  len = snprintf (buf, sizeof (buf), "rate=%d;features=%s;n_mels=%d;"
      "win_ms=%s;hop_ms=%s;n_fft=%d;fmin=%s;fmax=%s;window=%s;power=%s;"
      "log=%s;log_offset=%s;log_floor=%s;mel_scale=%s;norm=%s;center=%d",
      cfg->rate, features_names[cfg->features], cfg->n_mels, num[0], num[1],
      d.n_fft, num[2], num[3], window_names[cfg->window], num[4],
      log_names[cfg->log], num[5], num[6], scale_names[cfg->mel_scale],
      norm_names[cfg->norm], cfg->center);
  if (len < 0 || (size_t) len >= sizeof (buf))
    return NULL;
  out = malloc ((size_t) len + 1);
  if (out)
    memcpy (out, buf, (size_t) len + 1);
  return out;
}
