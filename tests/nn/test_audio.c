/* Audio front end (nn/src/audio): dl.audio grammar, mel filterbank,
 * log-mel values against a naive double-precision DFT written here, and
 * streaming in random chunks against the whole signal.  The comparison
 * with torchaudio on real speech is tests/audio/. */
#include "dlnn/dlnn.h"
#include "dlnn-test.h"

#include <stdint.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static uint32_t rng_state = 12345u;

static float
frand (void)                    /* uniform in [-1, 1) */
{
  rng_state = rng_state * 1664525u + 1013904223u;
  return (float) ((rng_state >> 8) / 8388608.0 - 1.0);
}

static unsigned
urand (unsigned n)
{
  rng_state = rng_state * 1664525u + 1013904223u;
  return (rng_state >> 8) % n;
}

static int
parse_fails (const char *s, const char *needle)
{
  dlnn_audio_cfg cfg;
  dlnn_status st;
  dlnn_code c;

  dlnn_status_clear (&st);
  c = dlnn_audio_cfg_parse (s, &cfg, &st);
  if (c == DLNN_OK) {
    fprintf (stderr, "parse of '%s' succeeded\n", s);
    return 0;
  }
  if (!strstr (st.message, needle)) {
    fprintf (stderr, "parse of '%s': message '%s' lacks '%s'\n", s,
        st.message, needle);
    return 0;
  }
  return 1;
}

static void
test_cfg_defaults_and_roundtrip (void)
{
  dlnn_audio_cfg a, b, c;
  dlnn_status st;
  char *s, *s2;

  dlnn_audio_cfg_init (&a);
  CHECK (a.rate == 16000 && a.n_mels == 40 && a.center == 1);
  CHECK (dlnn_audio_cfg_win_length (&a) == 400);
  CHECK (dlnn_audio_cfg_hop_length (&a) == 160);
  CHECK (dlnn_audio_cfg_n_fft (&a) == 512);
  CHECK_OK (dlnn_audio_cfg_parse ("", &b, &st), &st);
  CHECK (b.n_fft == 512 && b.fmax == 8000.0f);
  CHECK_OK (dlnn_audio_cfg_parse ("rate=16000;features=logmel;n_mels=40;"
          "win_ms=25;hop_ms=10;fmin=20;fmax=7600", &b, &st), &st);
  CHECK (b.fmin == 20.0f && b.fmax == 7600.0f && b.n_fft == 512);
  s = dlnn_audio_cfg_format (&b);
  CHECK (s != NULL);
  if (s) {
    CHECK (strstr (s, "n_fft=512;") != NULL);
    CHECK (strstr (s, "fmax=7600;") != NULL);
    CHECK (strstr (s, "log_offset=1e-06;") != NULL);
    CHECK_OK (dlnn_audio_cfg_parse (s, &c, &st), &st);
    CHECK (memcmp (&b, &c, sizeof (b)) == 0);
  }
  free (s);

  CHECK_OK (dlnn_audio_cfg_parse ("rate=8000;n_mels=23;win_ms=32;"
          "hop_ms=12.5;n_fft=300;fmin=64.5;fmax=3999;window=hamming;"
          "power=1;log=log10;log_offset=0;log_floor=1e-10;"
          "mel_scale=slaney;norm=slaney;center=0;", &b, &st), &st);
  CHECK (b.rate == 8000 && b.n_mels == 23 && b.n_fft == 300);
  CHECK (b.window == DLNN_AUDIO_WINDOW_HAMMING && b.power == 1.0f);
  CHECK (b.log == DLNN_AUDIO_LOG_LOG10 && b.log_floor == 1e-10f);
  CHECK (b.mel_scale == DLNN_AUDIO_MEL_SLANEY);
  CHECK (b.norm == DLNN_AUDIO_NORM_SLANEY && b.center == 0);
  CHECK (dlnn_audio_cfg_win_length (&b) == 256);
  CHECK (dlnn_audio_cfg_hop_length (&b) == 100);
  s = dlnn_audio_cfg_format (&b);
  CHECK (s != NULL);
  if (s) {
    CHECK_OK (dlnn_audio_cfg_parse (s, &c, &st), &st);
    CHECK (memcmp (&b, &c, sizeof (b)) == 0);
    s2 = dlnn_audio_cfg_format (&c);
    CHECK (s2 && strcmp (s, s2) == 0);
    free (s2);
  }
  free (s);

  /* Frame counts (torch.stft's). */
  CHECK (dlnn_audio_cfg_frames (&a, 16000) == 101);
  CHECK (dlnn_audio_cfg_frames (&a, 256) == 0);
  CHECK (dlnn_audio_cfg_frames (&a, 257) == 2);
  a.center = 0;
  CHECK (dlnn_audio_cfg_frames (&a, 511) == 0);
  CHECK (dlnn_audio_cfg_frames (&a, 512) == 1);
  CHECK (dlnn_audio_cfg_frames (&a, 512 + 160) == 2);
}

static void
test_cfg_errors (void)
{
  dlnn_audio_cfg cfg;
  dlnn_status st;

  CHECK (parse_fails ("rate=500", "rate 500 out of range"));
  CHECK (parse_fails ("rate=1000000", "rate 1000000 out of range"));
  CHECK (parse_fails ("rate=16k", "not a non-negative integer"));
  CHECK (parse_fails ("n_mels=0", "n_mels 0 out of range"));
  CHECK (parse_fails ("n_mels=513", "n_mels 513 out of range"));
  CHECK (parse_fails ("win_ms=0", "win_ms must be a positive"));
  CHECK (parse_fails ("win_ms=0.05", "out of range 2.."));
  CHECK (parse_fails ("win_ms=5000", "out of range 2.."));
  CHECK (parse_fails ("hop_ms=-1", "hop_ms must be a positive"));
  CHECK (parse_fails ("n_fft=256", "n_fft 256 must be even, >="));
  CHECK (parse_fails ("n_fft=513", "must be even"));
  CHECK (parse_fails ("n_fft=0", "n_fft=0"));
  CHECK (parse_fails ("fmax=9000", "fmax 9000 must be <= rate/2"));
  CHECK (parse_fails ("rate=8000;fmax=7600", "must be <= rate/2"));
  CHECK (parse_fails ("fmin=4000;fmax=3000", "fmin 4000 must be < fmax"));
  CHECK (parse_fails ("fmin=-1", "fmin -1 must be >= 0"));
  CHECK (parse_fails ("power=0", "power must be a positive"));
  CHECK (parse_fails ("log=ln;log_offset=0", "needs log_offset > 0"));
  CHECK (parse_fails ("log_floor=-1", "must be >= 0"));
  CHECK (parse_fails ("window=kaiser", "invalid value 'kaiser'"));
  CHECK (parse_fails ("features=mfcc", "invalid value 'mfcc'"));
  CHECK (parse_fails ("mel_scale=bark", "invalid value 'bark'"));
  CHECK (parse_fails ("norm=l2", "invalid value 'l2'"));
  CHECK (parse_fails ("center=2", "center='2' must be 0 or 1"));
  CHECK (parse_fails ("hop=10", "unknown key 'hop'"));
  CHECK (parse_fails ("rate=16000;rate=16000", "duplicate key 'rate'"));
  CHECK (parse_fails ("rate", "is not key=value"));
  CHECK (parse_fails ("=3", "empty key"));
  CHECK (parse_fails ("rate=", "empty value"));
  CHECK (parse_fails ("fmin=1e99", "not a finite number"));
  CHECK (parse_fails ("fmin=nan", "not a finite number"));
  CHECK (parse_fails ("hop_ms=10ms", "not a finite number"));
  /* Parse failure leaves @cfg alone. */
  dlnn_audio_cfg_init (&cfg);
  cfg.n_mels = 7;
  CHECK (dlnn_audio_cfg_parse ("n_mels=0", &cfg, &st) != DLNN_OK);
  CHECK (cfg.n_mels == 7);
  /* Hand-filled cfg. */
  dlnn_audio_cfg_init (&cfg);
  cfg.window = (dlnn_audio_window) 9;
  CHECK (dlnn_audio_cfg_validate (&cfg, &st) == DLNN_ERR_INVALID);
  CHECK (dlnn_audio_cfg_format (&cfg) == NULL);
  CHECK (dlnn_audio_ctx_new (&cfg, &st) == NULL);
}

static double
t_hz_to_mel (double f, int slaney)
{
  if (!slaney)
    return 2595.0 * log10 (1.0 + f / 700.0);
  return f < 1000.0 ? f * 3.0 / 200.0 :
      15.0 + log (f / 1000.0) * 27.0 / log (6.4);
}

static double
t_mel_to_hz (double m, int slaney)
{
  if (!slaney)
    return 700.0 * (pow (10.0, m / 2595.0) - 1.0);
  return m < 15.0 ? m * 200.0 / 3.0 :
      1000.0 * exp ((m - 15.0) * log (6.4) / 27.0);
}

/* Independent dense filterbank fb[m * n_bins + k]; returns the points. */
static void
ref_fbank (const dlnn_audio_cfg * cfg, int n_bins, double *fb, double *pts)
{
  double lo = t_hz_to_mel (cfg->fmin, cfg->mel_scale),
      hi = t_hz_to_mel (cfg->fmax, cfg->mel_scale), f, a, b, w;
  int m, k;

  for (m = 0; m < cfg->n_mels + 2; m++)
    pts[m] = t_mel_to_hz (lo + (hi - lo) * m / (cfg->n_mels + 1),
        cfg->mel_scale);
  for (m = 0; m < cfg->n_mels; m++)
    for (k = 0; k < n_bins; k++) {
      f = (double) (cfg->rate / 2) * k / (n_bins - 1);
      a = (f - pts[m]) / (pts[m + 1] - pts[m]);
      b = (pts[m + 2] - f) / (pts[m + 2] - pts[m + 1]);
      w = a < b ? a : b;
      if (w < 0)
        w = 0;
      if (cfg->norm == DLNN_AUDIO_NORM_SLANEY)
        w *= 2.0 / (pts[m + 2] - pts[m]);
      fb[m * n_bins + k] = w;
    }
}

static void
check_fbank (const char *spec)
{
  dlnn_audio_cfg cfg;
  dlnn_status st;
  dlnn_audio_ctx *ctx;
  int n_bins, m, k, first, count;
  double *fb, pts[DLNN_AUDIO_MAX_MELS + 2], f, sum, peak;
  const float *w;

  CHECK_OK (dlnn_audio_cfg_parse (spec, &cfg, &st), &st);
  ctx = dlnn_audio_ctx_new (&cfg, &st);
  CHECK_MSG (ctx != NULL, "%s: %s", spec, st.message);
  if (!ctx)
    return;
  n_bins = cfg.n_fft / 2 + 1;
  fb = calloc ((size_t) cfg.n_mels * n_bins, sizeof (double));
  ref_fbank (&cfg, n_bins, fb, pts);
  CHECK (dlnn_audio_ctx_filter (ctx, -1, NULL, NULL) == NULL);
  CHECK (dlnn_audio_ctx_filter (ctx, cfg.n_mels, NULL, NULL) == NULL);
  for (m = 0; m < cfg.n_mels; m++) {
    w = dlnn_audio_ctx_filter (ctx, m, &first, &count);
    CHECK (w && count >= 0 && first >= 0 && first + count <= n_bins);
    if (!w)
      continue;
    peak = 0;
    for (k = 0; k < n_bins; k++) {
      double got = (k >= first && k < first + count) ? w[k - first] : 0.0;
      CHECK_CLOSE (got, fb[m * n_bins + k], 1e-6 * (1 + fb[m * n_bins + k]));
      if (got > peak)
        peak = got;
    }
    /* Peak at most the triangle's apex, and close to it when a bin lies
     * within half a bin of the centre frequency. */
    f = cfg.norm == DLNN_AUDIO_NORM_SLANEY ? 2.0 / (pts[m + 2] - pts[m]) : 1;
    CHECK (peak <= f * (1 + 1e-6) && (peak > 0 || count == 0));
  }
  /* Without norm, neighbouring triangles add up to 1 between the first
   * and the last centre frequency. */
  if (cfg.norm == DLNN_AUDIO_NORM_NONE)
    for (k = 0; k < n_bins; k++) {
      f = (double) (cfg.rate / 2) * k / (n_bins - 1);
      if (f < pts[1] || f > pts[cfg.n_mels])
        continue;
      sum = 0;
      for (m = 0; m < cfg.n_mels; m++) {
        w = dlnn_audio_ctx_filter (ctx, m, &first, &count);
        if (k >= first && k < first + count)
          sum += w[k - first];
      }
      CHECK_CLOSE (sum, 1.0, 1e-5);
    }
  free (fb);
  dlnn_audio_ctx_free (ctx);
}

static void
check_empty_filter (void)
{
  dlnn_audio_cfg cfg;
  dlnn_status st;
  dlnn_audio_ctx *ctx;
  int first = -1, count = -1;

  CHECK_OK (dlnn_audio_cfg_parse ("n_mels=128;hop_ms=12.5;n_fft=400", &cfg,
          &st), &st);
  ctx = dlnn_audio_ctx_new (&cfg, &st);
  CHECK (ctx != NULL);
  CHECK (dlnn_audio_ctx_filter (ctx, 0, &first, &count) != NULL);
  CHECK (count == 0);
  CHECK (dlnn_audio_ctx_filter (ctx, 1, &first, &count) != NULL);
  CHECK (count > 0 && first == 1);
  dlnn_audio_ctx_free (ctx);
}

static void
test_filterbank (void)
{
  check_fbank ("");
  check_fbank ("fmin=20;fmax=7600;n_mels=80");
  check_fbank ("mel_scale=slaney;norm=slaney;n_mels=64");
  check_fbank ("mel_scale=slaney;rate=22050;n_fft=1024;win_ms=40");
  check_fbank ("rate=8000;n_mels=23;n_fft=300;norm=slaney");
  /* torchaudio's defaults: filter 0 (0..27.9 Hz) holds no bin. */
  check_fbank ("n_mels=128;hop_ms=12.5;n_fft=400");
  check_empty_filter ();
}

/* Naive reference: reflect padding, window, DFT and mel in double. */
static void
ref_logmel (const dlnn_audio_cfg * cfg, const float *x, int n, double *out,
    int n_frames)
{
  int win = dlnn_audio_cfg_win_length (cfg), hop =
      dlnn_audio_cfg_hop_length (cfg), n_fft = cfg->n_fft;
  int n_bins = n_fft / 2 + 1, left = (n_fft - win) / 2;
  int pad = cfg->center ? n_fft / 2 : 0, t, j, k, m, i;
  double *fb, pts[DLNN_AUDIO_MAX_MELS + 2], *frame, *spec, re, im, a, v;

  fb = calloc ((size_t) cfg->n_mels * n_bins, sizeof (double));
  frame = calloc ((size_t) n_fft, sizeof (double));
  spec = calloc ((size_t) n_bins, sizeof (double));
  ref_fbank (cfg, n_bins, fb, pts);
  for (t = 0; t < n_frames; t++) {
    for (j = 0; j < n_fft; j++) {
      i = t * hop + j - pad;
      if (i < 0)
        i = -i;
      if (i >= n)
        i = 2 * (n - 1) - i;
      v = 0;
      if (j >= left && j < left + win) {
        a = cfg->window == DLNN_AUDIO_WINDOW_HAMMING ? 0.54 : 0.5;
        v = (a - (1 - a) * cos (2 * M_PI * (j - left) / win)) * x[i];
      }
      frame[j] = v;
    }
    for (k = 0; k < n_bins; k++) {
      re = im = 0;
      for (j = 0; j < n_fft; j++) {
        re += frame[j] * cos (2 * M_PI * (double) k * j / n_fft);
        im -= frame[j] * sin (2 * M_PI * (double) k * j / n_fft);
      }
      spec[k] = pow (re * re + im * im, cfg->power / 2);
    }
    for (m = 0; m < cfg->n_mels; m++) {
      v = 0;
      for (k = 0; k < n_bins; k++)
        v += fb[m * n_bins + k] * spec[k];
      out[t * cfg->n_mels + m] = v;
    }
  }
  free (fb);
  free (frame);
  free (spec);
}

static void
check_values (const char *spec, int n)
{
  dlnn_audio_cfg cfg;
  dlnn_status st;
  float *x, *got;
  double *ref, maxref = 0, maxdiff = 0;
  size_t nf, want, i;
  int j, rate;

  CHECK_OK (dlnn_audio_cfg_parse (spec, &cfg, &st), &st);
  rate = cfg.rate;
  x = malloc ((size_t) n * sizeof (float));
  for (j = 0; j < n; j++)
    x[j] = 0.3f * sinf (2 * (float) M_PI * 440.0f * j / rate) +
        0.1f * sinf (2 * (float) M_PI * 2500.0f * j / rate) + 0.05f * frand ();
  want = dlnn_audio_cfg_frames (&cfg, (size_t) n);
  CHECK (want > 2);
  got = malloc (want * cfg.n_mels * sizeof (float));
  ref = malloc (want * cfg.n_mels * sizeof (double));
  CHECK_OK (dlnn_audio_logmel (&cfg, x, (size_t) n, got, want, &nf, &st),
      &st);
  CHECK (nf == want);
  ref_logmel (&cfg, x, n, ref, (int) want);
  for (i = 0; i < want * cfg.n_mels; i++)
    if (fabs (ref[i]) > maxref)
      maxref = fabs (ref[i]);
  for (i = 0; i < nf * cfg.n_mels; i++)
    if (fabs (got[i] - ref[i]) > maxdiff)
      maxdiff = fabs (got[i] - ref[i]);
  CHECK_MSG (maxdiff <= 2e-6 * maxref, "%s: max|diff| %g, max|ref| %g "
      "(rel %g)", spec, maxdiff, maxref, maxdiff / maxref);
  free (x);
  free (got);
  free (ref);
}

static void
test_values_vs_naive_dft (void)
{
  check_values ("log=none", 4000);
  check_values ("log=none;center=0;fmin=20;fmax=7600", 4000);
  check_values ("log=none;n_fft=400;hop_ms=12.5;n_mels=64", 3001);
  check_values ("log=none;rate=8000;n_fft=300;n_mels=23;window=hamming;"
      "power=1;mel_scale=slaney;norm=slaney", 2500);
  check_values ("log=none;rate=22050;win_ms=46.4399;n_fft=1024;hop_ms=10;"
      "power=1.5", 5000);
}

/* Streams @x in random chunks, checks frames bit-identical to @whole. */
static void
stream_once (dlnn_audio_ctx * ctx, const float *x, size_t n,
    const float *whole, size_t n_whole, size_t max_chunk)
{
  const dlnn_audio_cfg *cfg = dlnn_audio_ctx_cfg (ctx);
  float *buf;
  size_t pos = 0, total = 0, c, got, expect, room;
  dlnn_status st;
  int mismatch = 0;

  buf = malloc ((n_whole + 2) * cfg->n_mels * sizeof (float));
  while (pos < n) {
    c = urand (5) == 0 ? urand (3) : urand ((unsigned) max_chunk + 1);
    if (c > n - pos)
      c = n - pos;
    expect = dlnn_audio_ctx_push_count (ctx, c);
    CHECK (expect <= (c + cfg->n_fft / 2) /
        (size_t) dlnn_audio_cfg_hop_length (cfg) + 1);
    if (expect > 0) {
      /* Too small an output: refused, nothing consumed. */
      CHECK (dlnn_audio_ctx_push (ctx, x + pos, c, buf, expect - 1, &got,
              &st) == DLNN_ERR_SHAPE);
      CHECK (got == 0 && dlnn_audio_ctx_push_count (ctx, c) == expect);
    }
    room = n_whole + 2 - total;
    CHECK_OK (dlnn_audio_ctx_push (ctx, x + pos, c,
            buf + total * cfg->n_mels, room, &got, &st), &st);
    CHECK (got == expect);
    total += got;
    pos += c;
  }
  CHECK_OK (dlnn_audio_ctx_finish (ctx, buf + total * cfg->n_mels,
          n_whole + 2 - total, &got, &st), &st);
  total += got;
  CHECK_MSG (total == n_whole, "%zu frames streamed, %zu whole", total,
      n_whole);
  if (total == n_whole)
    mismatch = memcmp (buf, whole, total * cfg->n_mels * sizeof (float));
  CHECK (mismatch == 0);
  /* Finished: only reset is accepted. */
  CHECK (dlnn_audio_ctx_push (ctx, x, 1, buf, 1, &got, &st) ==
      DLNN_ERR_INVALID);
  CHECK (dlnn_audio_ctx_finish (ctx, buf, 1, &got, &st) == DLNN_ERR_INVALID);
  free (buf);
}

static void
check_streaming (const char *spec, size_t n)
{
  dlnn_audio_cfg cfg;
  dlnn_status st;
  dlnn_audio_ctx *ctx;
  float *x, *whole;
  size_t nf, i, max_chunks[] = { 1, 7, 160, 1000, 20000 };
  int r;

  CHECK_OK (dlnn_audio_cfg_parse (spec, &cfg, &st), &st);
  x = malloc (n * sizeof (float));
  for (i = 0; i < n; i++)
    x[i] = 0.5f * sinf (0.01f * i * (1 + i * 1e-4f)) + 0.1f * frand ();
  nf = dlnn_audio_cfg_frames (&cfg, n);
  whole = malloc ((nf + 1) * cfg.n_mels * sizeof (float));
  CHECK_OK (dlnn_audio_logmel (&cfg, x, n, whole, nf, &nf, &st), &st);
  CHECK (nf > 0 || n < 600);
  ctx = dlnn_audio_ctx_new (&cfg, &st);
  CHECK (ctx != NULL);
  if (ctx) {
    for (r = 0; r < 10; r++) {
      stream_once (ctx, x, n, whole, nf, max_chunks[r % 5]);
      dlnn_audio_ctx_reset (ctx);
    }
  }
  dlnn_audio_ctx_free (ctx);
  free (x);
  free (whole);
}

static void
test_streaming (void)
{
  check_streaming ("", 16000);
  check_streaming ("center=0", 16000);
  check_streaming ("n_fft=400;hop_ms=12.5;n_mels=64;log=log10", 9999);
  check_streaming ("hop_ms=40;win_ms=20", 12345);      /* hop > window */
  check_streaming ("hop_ms=1;n_mels=20", 3000);
  check_streaming ("rate=8000;n_fft=300;n_mels=23;log=none", 4321);
  check_streaming ("", 300);    /* a few frames, end padding from start */
  check_streaming ("", 200);    /* too short for reflect padding: 0 */
  check_streaming ("center=0", 500);    /* shorter than n_fft: 0 */
}

static void
test_misc_errors (void)
{
  dlnn_audio_cfg cfg;
  dlnn_status st;
  dlnn_audio_ctx *ctx;
  float x[2000] = { 0 }, out[40 * 20];
  size_t nf = 99;

  dlnn_audio_cfg_init (&cfg);
  CHECK (dlnn_audio_logmel (&cfg, x, 2000, out, 5, &nf, &st) ==
      DLNN_ERR_SHAPE);
  CHECK (nf == 0);
  CHECK (strstr (st.message, "room for 5") != NULL);
  CHECK (dlnn_audio_logmel (&cfg, x, 2000, out, 20, NULL, &st) ==
      DLNN_ERR_INVALID);
  /* Silence: log of the offset. */
  CHECK_OK (dlnn_audio_logmel (&cfg, x, 2000, out, 20, &nf, &st), &st);
  CHECK (nf == 13);
  CHECK_CLOSE (out[5], logf (1e-6f), 1e-6);
  ctx = dlnn_audio_ctx_new (&cfg, &st);
  CHECK (ctx != NULL);
  CHECK (dlnn_audio_ctx_push (ctx, NULL, 10, out, 20, &nf, &st) ==
      DLNN_ERR_INVALID);
  CHECK (dlnn_audio_ctx_push (ctx, x, 2000, NULL, 20, &nf, &st) ==
      DLNN_ERR_INVALID);
  CHECK (dlnn_audio_ctx_push (NULL, x, 10, out, 20, &nf, &st) ==
      DLNN_ERR_INVALID);
  CHECK_OK (dlnn_audio_ctx_push (ctx, x, 0, NULL, 0, &nf, &st), &st);
  CHECK (nf == 0);
  dlnn_audio_ctx_free (ctx);
  dlnn_audio_ctx_free (NULL);
}

int
main (void)
{
  DLNN_RUN (test_cfg_defaults_and_roundtrip);
  DLNN_RUN (test_cfg_errors);
  DLNN_RUN (test_filterbank);
  DLNN_RUN (test_values_vs_naive_dft);
  DLNN_RUN (test_streaming);
  DLNN_RUN (test_misc_errors);
  return dlnn_test_summary ();
}
