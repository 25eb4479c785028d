/* libdlnn - audio front end: analysis windows and the mel filterbank
 * (torchaudio.functional.melscale_fbanks' definition, in double). */
#include "audio_private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

void
dlnn_audio_window_fill (dlnn_audio_window w, float *out, int n)
{
  double a = w == DLNN_AUDIO_WINDOW_HAMMING ? 0.54 : 0.5;
  int i;

  for (i = 0; i < n; i++)
    out[i] = (float) (a - (1.0 - a) * cos (2.0 * M_PI * i / n));
}

static double
hz_to_mel (double f, dlnn_audio_mel_scale scale)
{
  const double f_sp = 200.0 / 3.0, min_log_hz = 1000.0;
  const double min_log_mel = min_log_hz / f_sp;
  const double logstep = log (6.4) / 27.0;

  if (scale == DLNN_AUDIO_MEL_HTK)
    return 2595.0 * log10 (1.0 + f / 700.0);
  if (f >= min_log_hz)
    return min_log_mel + log (f / min_log_hz) / logstep;
  return f / f_sp;
}

static double
mel_to_hz (double m, dlnn_audio_mel_scale scale)
{
  const double f_sp = 200.0 / 3.0, min_log_hz = 1000.0;
  const double min_log_mel = min_log_hz / f_sp;
  const double logstep = log (6.4) / 27.0;

  if (scale == DLNN_AUDIO_MEL_HTK)
    return 700.0 * (pow (10.0, m / 2595.0) - 1.0);
  if (m >= min_log_mel)
    return min_log_hz * exp (logstep * (m - min_log_mel));
  return f_sp * m;
}

void
dlnn_audio_fbank_clear (dlnn_audio_fbank * fb)
{
  free (fb->first);
  free (fb->count);
  free (fb->off);
  free (fb->w);
  memset (fb, 0, sizeof (*fb));
}

/* Weight of bin frequency @f in triangle m (points f_pts[m..m+2]). */
static double
tri (const double *f_pts, int m, double f)
{
  double down = (f_pts[m] - f) * -1.0 / (f_pts[m + 1] - f_pts[m]);
  double up = (f_pts[m + 2] - f) / (f_pts[m + 2] - f_pts[m + 1]);
  double v = down < up ? down : up;

  return v > 0.0 ? v : 0.0;
}

dlnn_code
dlnn_audio_fbank_init (dlnn_audio_fbank * fb, const dlnn_audio_cfg * cfg,
    const dlnn_audio_dims * d, dlnn_status * st)
{
  int n_mels = cfg->n_mels, n_bins = d->n_bins, m, k, lo, hi;
  double m_min, m_max, nyq, *f_pts = NULL, *freqs = NULL, scale;
  size_t total = 0;
  dlnn_code code = DLNN_OK;

  memset (fb, 0, sizeof (*fb));
  fb->n_mels = n_mels;
  f_pts = malloc ((size_t) (n_mels + 2) * sizeof (double));
  freqs = malloc ((size_t) n_bins * sizeof (double));
  fb->first = calloc ((size_t) n_mels, sizeof (int));
  fb->count = calloc ((size_t) n_mels, sizeof (int));
  fb->off = calloc ((size_t) n_mels, sizeof (size_t));
  if (!f_pts || !freqs || !fb->first || !fb->count || !fb->off) {
    code = dlnn_status_set (st, DLNN_ERR_NOMEM, "dl.audio: out of memory");
    goto done;
  }
  /* torch.linspace (0, rate // 2, n_bins) */
  nyq = (double) (cfg->rate / 2);
  for (k = 0; k < n_bins; k++)
    freqs[k] = nyq * k / (n_bins - 1);
  m_min = hz_to_mel (cfg->fmin, cfg->mel_scale);
  m_max = hz_to_mel (d->fmax, cfg->mel_scale);
  for (m = 0; m < n_mels + 2; m++)
    f_pts[m] = mel_to_hz (m_min + (m_max - m_min) * m / (n_mels + 1),
        cfg->mel_scale);

  for (m = 0; m < n_mels; m++) {
    lo = -1;
    hi = -1;
    for (k = 0; k < n_bins; k++) {
      if (tri (f_pts, m, freqs[k]) > 0.0) {
        if (lo < 0)
          lo = k;
        hi = k;
      }
    }
    if (lo < 0) {
      /* No bin inside the triangle (n_mels high for the FFT resolution):
       * an all-zero filter, as torchaudio makes (it only warns). */
      lo = 0;
      hi = -1;
    }
    fb->first[m] = lo;
    fb->count[m] = hi - lo + 1;
    fb->off[m] = total;
    total += (size_t) fb->count[m];
  }
  fb->w = malloc ((total + 1) * sizeof (float));
  if (!fb->w) {
    code = dlnn_status_set (st, DLNN_ERR_NOMEM, "dl.audio: out of memory");
    goto done;
  }
  for (m = 0; m < n_mels; m++) {
    scale = cfg->norm == DLNN_AUDIO_NORM_SLANEY ?
        2.0 / (f_pts[m + 2] - f_pts[m]) : 1.0;
    for (k = 0; k < fb->count[m]; k++)
      fb->w[fb->off[m] + k] =
          (float) (tri (f_pts, m, freqs[fb->first[m] + k]) * scale);
  }

done:
  free (f_pts);
  free (freqs);
  if (code != DLNN_OK)
    dlnn_audio_fbank_clear (fb);
  return code;
}
