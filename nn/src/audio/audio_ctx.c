/* libdlnn - audio front end: streaming log-mel context.
 *
 * Samples go into a ring buffer indexed by their absolute position in the
 * signal; a frame is computed as soon as every sample it needs has arrived
 * (with center=1 the reflected start is available early, the reflected end
 * only at finish), so any chunking gives the same frames. */
#include "audio_private.h"

#include <libavutil/mem.h>
#include <libavutil/tx.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct dlnn_audio_ctx
{
  dlnn_audio_cfg cfg;
  dlnn_audio_dims d;
  int left;                     /* window offset inside the n_fft frame */
  int pad;                      /* n_fft/2 if center, else 0 */
  size_t ready_end;             /* frame t is ready once t*hop+ready_end
                                 * samples have arrived */
  float *window;
  float *fft_in;                /* n_fft floats, av_malloc */
  AVComplexFloat *fft_out;      /* n_bins, av_malloc */
  float *spec;                  /* n_bins */
  dlnn_audio_fbank fb;
  AVTXContext *tx;
  av_tx_fn tx_fn;
  float *ring;
  size_t mask;                  /* ring capacity - 1 */
  size_t n_pushed, t_next;
  int finished;
};

void
dlnn_audio_ctx_free (dlnn_audio_ctx * ctx)
{
  if (!ctx)
    return;
  av_tx_uninit (&ctx->tx);
  av_free (ctx->fft_in);
  av_free (ctx->fft_out);
  free (ctx->window);
  free (ctx->spec);
  free (ctx->ring);
  dlnn_audio_fbank_clear (&ctx->fb);
  free (ctx);
}

dlnn_audio_ctx *
dlnn_audio_ctx_new (const dlnn_audio_cfg * cfg, dlnn_status * st)
{
  dlnn_audio_ctx *ctx;
  size_t cap;
  float scale = 1.0f;
  int ret;

  if (dlnn_audio_cfg_validate (cfg, st) != DLNN_OK)
    return NULL;
  ctx = calloc (1, sizeof (*ctx));
  if (!ctx) {
    dlnn_status_set (st, DLNN_ERR_NOMEM, "dl.audio: out of memory");
    return NULL;
  }
  ctx->cfg = *cfg;
  dlnn_audio_dims_get (cfg, &ctx->d);
  ctx->cfg.n_fft = ctx->d.n_fft;
  ctx->cfg.fmax = ctx->d.fmax;
  ctx->left = (ctx->d.n_fft - ctx->d.win) / 2;
  ctx->pad = cfg->center ? ctx->d.n_fft / 2 : 0;
  ctx->ready_end = cfg->center ?
      (size_t) (ctx->left + ctx->d.win - ctx->pad) : (size_t) ctx->d.n_fft;

  if (dlnn_audio_fbank_init (&ctx->fb, &ctx->cfg, &ctx->d, st) != DLNN_OK)
    goto fail;
  for (cap = 1; cap < 2 * (size_t) ctx->d.n_fft + (size_t) ctx->d.hop + 4;)
    cap <<= 1;
  ctx->mask = cap - 1;
  ctx->ring = calloc (cap, sizeof (float));
  ctx->window = malloc ((size_t) ctx->d.win * sizeof (float));
  ctx->spec = malloc ((size_t) ctx->d.n_bins * sizeof (float));
  ctx->fft_in = av_malloc ((size_t) ctx->d.n_fft * sizeof (float));
  ctx->fft_out = av_malloc ((size_t) (ctx->d.n_bins + 1) *
      sizeof (AVComplexFloat));
  if (!ctx->ring || !ctx->window || !ctx->spec || !ctx->fft_in
      || !ctx->fft_out) {
    dlnn_status_set (st, DLNN_ERR_NOMEM, "dl.audio: out of memory");
    goto fail;
  }
  memset (ctx->fft_out, 0, (size_t) (ctx->d.n_bins + 1) *
      sizeof (AVComplexFloat));
  dlnn_audio_window_fill (cfg->window, ctx->window, ctx->d.win);
  ret = av_tx_init (&ctx->tx, &ctx->tx_fn, AV_TX_FLOAT_RDFT, 0,
      ctx->d.n_fft, &scale, 0);
  if (ret < 0 || !ctx->tx) {
    dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
        "dl.audio: av_tx_init (RDFT, %d) failed (%d)", ctx->d.n_fft, ret);
    goto fail;
  }
  return ctx;

fail:
  dlnn_audio_ctx_free (ctx);
  return NULL;
}

const dlnn_audio_cfg *
dlnn_audio_ctx_cfg (const dlnn_audio_ctx * ctx)
{
  return ctx ? &ctx->cfg : NULL;
}

void
dlnn_audio_ctx_reset (dlnn_audio_ctx * ctx)
{
  if (!ctx)
    return;
  ctx->n_pushed = 0;
  ctx->t_next = 0;
  ctx->finished = 0;
}

const float *
dlnn_audio_ctx_filter (const dlnn_audio_ctx * ctx, int m, int *first,
    int *count)
{
  if (!ctx || m < 0 || m >= ctx->fb.n_mels)
    return NULL;
  if (first)
    *first = ctx->fb.first[m];
  if (count)
    *count = ctx->fb.count[m];
  return ctx->fb.w + ctx->fb.off[m];
}

/* Frames computable before the end of a signal of which @n samples are
 * known. */
static size_t
ready_frames (const dlnn_audio_ctx * ctx, size_t n)
{
  if (ctx->cfg.center && n <= (size_t) ctx->pad)
    return 0;
  if (n < ctx->ready_end)
    return 0;
  return (n - ctx->ready_end) / (size_t) ctx->d.hop + 1;
}

size_t
dlnn_audio_ctx_push_count (const dlnn_audio_ctx * ctx, size_t n)
{
  size_t r;

  if (!ctx || ctx->finished)
    return 0;
  r = ready_frames (ctx, ctx->n_pushed + n);
  return r > ctx->t_next ? r - ctx->t_next : 0;
}

size_t
dlnn_audio_ctx_finish_count (const dlnn_audio_ctx * ctx)
{
  size_t total;

  if (!ctx || ctx->finished)
    return 0;
  total = dlnn_audio_cfg_frames (&ctx->cfg, ctx->n_pushed);
  return total > ctx->t_next ? total - ctx->t_next : 0;
}

/* Frame @t into @out (n_mels floats); @final: the signal ends at
 * n_pushed (reflect the end). */
static void
compute_frame (dlnn_audio_ctx * ctx, size_t t, int final, float *out)
{
  const int win = ctx->d.win, n_fft = ctx->d.n_fft, left = ctx->left;
  const int64_t n = (int64_t) ctx->n_pushed;
  int64_t s = (int64_t) t * ctx->d.hop + left - ctx->pad, i;
  const float p = ctx->cfg.power;
  float *in = ctx->fft_in, acc, v;
  int k, m;

  memset (in, 0, (size_t) left * sizeof (float));
  memset (in + left + win, 0, (size_t) (n_fft - left - win) * sizeof (float));
  for (k = 0; k < win; k++) {
    i = s + k;
    if (i < 0)
      i = -i;
    if (final && i >= n)
      i = 2 * (n - 1) - i;
    in[left + k] = ctx->window[k] * ctx->ring[(size_t) i & ctx->mask];
  }
  ctx->tx_fn (ctx->tx, ctx->fft_out, in, sizeof (float));
  /* FFmpeg 5.1's RDFT leaves the imaginary part of the Nyquist bin
   * unwritten (it is 0 for real input). */
  ctx->fft_out[n_fft / 2].im = 0.0f;
  for (k = 0; k < ctx->d.n_bins; k++) {
    v = ctx->fft_out[k].re * ctx->fft_out[k].re +
        ctx->fft_out[k].im * ctx->fft_out[k].im;
    if (p == 2.0f)
      ctx->spec[k] = v;
    else if (p == 1.0f)
      ctx->spec[k] = sqrtf (v);
    else
      ctx->spec[k] = powf (v, 0.5f * p);
  }
  for (m = 0; m < ctx->fb.n_mels; m++) {
    const float *w = ctx->fb.w + ctx->fb.off[m];
    const float *sp = ctx->spec + ctx->fb.first[m];

    acc = 0.0f;
    for (k = 0; k < ctx->fb.count[m]; k++)
      acc += w[k] * sp[k];
    if (ctx->cfg.log != DLNN_AUDIO_LOG_NONE) {
      acc += ctx->cfg.log_offset;
      if (acc < ctx->cfg.log_floor)
        acc = ctx->cfg.log_floor;
      acc = ctx->cfg.log == DLNN_AUDIO_LOG_LN ? logf (acc) : log10f (acc);
    }
    out[m] = acc;
  }
}

/* First absolute sample index still needed. */
static size_t
keep_from (const dlnn_audio_ctx * ctx)
{
  int64_t s = (int64_t) ctx->t_next * ctx->d.hop + ctx->left - ctx->pad;
  int64_t k = s, n = (int64_t) ctx->n_pushed;

  if (ctx->cfg.center && n - ctx->pad - 1 < k)
    k = n - ctx->pad - 1;       /* reflected end */
  if (k > n)
    k = n;
  return k < 0 ? 0 : (size_t) k;
}

dlnn_code
dlnn_audio_ctx_push (dlnn_audio_ctx * ctx, const float *pcm, size_t n,
    float *out, size_t max_frames, size_t * n_frames, dlnn_status * st)
{
  size_t count, produced = 0, cap, room, c, pos, first, ready;
  const int n_mels = ctx ? ctx->cfg.n_mels : 0;

  if (n_frames)
    *n_frames = 0;
  if (!ctx || !n_frames || (n && !pcm))
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.audio: push: NULL argument");
  if (ctx->finished)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.audio: push after finish (reset first)");
  count = dlnn_audio_ctx_push_count (ctx, n);
  if (count > max_frames)
    return dlnn_status_set (st, DLNN_ERR_SHAPE,
        "dl.audio: push of %zu samples yields %zu frames, room for %zu",
        n, count, max_frames);
  if (count && !out)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.audio: push: NULL output");
  cap = ctx->mask + 1;
  while (n > 0) {
    room = cap - (ctx->n_pushed - keep_from (ctx));
    c = n < room ? n : room;
    pos = ctx->n_pushed & ctx->mask;
    first = cap - pos < c ? cap - pos : c;
    memcpy (ctx->ring + pos, pcm, first * sizeof (float));
    memcpy (ctx->ring, pcm + first, (c - first) * sizeof (float));
    ctx->n_pushed += c;
    pcm += c;
    n -= c;
    ready = ready_frames (ctx, ctx->n_pushed);
    for (; ctx->t_next < ready; ctx->t_next++, produced++)
      compute_frame (ctx, ctx->t_next, 0, out + produced * n_mels);
  }
  *n_frames = produced;
  return DLNN_OK;
}

dlnn_code
dlnn_audio_ctx_finish (dlnn_audio_ctx * ctx, float *out, size_t max_frames,
    size_t * n_frames, dlnn_status * st)
{
  size_t count, produced = 0;

  if (n_frames)
    *n_frames = 0;
  if (!ctx || !n_frames)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.audio: finish: NULL argument");
  if (ctx->finished)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.audio: finish called twice (reset first)");
  count = dlnn_audio_ctx_finish_count (ctx);
  if (count > max_frames)
    return dlnn_status_set (st, DLNN_ERR_SHAPE,
        "dl.audio: finish yields %zu frames, room for %zu", count,
        max_frames);
  if (count && !out)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.audio: finish: NULL output");
  for (; produced < count; ctx->t_next++, produced++)
    compute_frame (ctx, ctx->t_next, 1, out + produced * ctx->cfg.n_mels);
  ctx->finished = 1;
  *n_frames = produced;
  return DLNN_OK;
}

dlnn_code
dlnn_audio_logmel (const dlnn_audio_cfg * cfg, const float *pcm, size_t n,
    float *out, size_t max_frames, size_t * n_frames, dlnn_status * st)
{
  dlnn_audio_ctx *ctx;
  size_t total, a = 0, b = 0;
  dlnn_code code;

  if (n_frames)
    *n_frames = 0;
  if (!n_frames)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.audio: NULL n_frames");
  ctx = dlnn_audio_ctx_new (cfg, st);
  if (!ctx)
    return st ? st->code : DLNN_ERR_INVALID;
  total = dlnn_audio_cfg_frames (cfg, n);
  if (total > max_frames) {
    dlnn_audio_ctx_free (ctx);
    return dlnn_status_set (st, DLNN_ERR_SHAPE,
        "dl.audio: %zu samples give %zu frames, room for %zu", n, total,
        max_frames);
  }
  code = dlnn_audio_ctx_push (ctx, pcm, n, out, max_frames, &a, st);
  if (code == DLNN_OK)
    code = dlnn_audio_ctx_finish (ctx, out ? out + a * cfg->n_mels : NULL,
        max_frames - a, &b, st);
  dlnn_audio_ctx_free (ctx);
  if (code == DLNN_OK)
    *n_frames = a + b;
  return code;
}
