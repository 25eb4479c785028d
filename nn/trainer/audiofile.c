/* dltrain - audio files: decoded with libavformat + libavcodec, downmixed
 * to mono (the mean of the channels, through libswresample's matrix) and
 * resampled with libswresample to float32 at the requested rate. */
#include "audiofile.h"
#include "avfile.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>

/* one hour at the output rate: a corpus utterance longer than that is an
 * error, not a reason to exhaust memory */
#define AUDIO_MAX_SECONDS 3600

static dlnn_code
fail (const char *path, const char *what, int err, dlnn_status * st)
{
  const dt_avfile f = { .path = path, .kind = "audio " };
  return dt_avfile_fail (&f, what, err, st);
}

typedef struct
{
  const char *path;
  int rate;
  SwrContext *swr;
  AVChannelLayout in_layout;
  int in_rate, in_format;
  float *pcm;
  size_t n, cap, max;
} decoder;

/* Creates the resampler for the first frame's format: mono output, each
 * input channel weighted 1/channels. */
static dlnn_code
swr_setup (decoder * d, const AVFrame * fr, dlnn_status * st)
{
  AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
  const int nch = fr->ch_layout.nb_channels;
  double *matrix;
  int ret;

  if (nch < 1 || nch > 64 || fr->sample_rate < 1)
    return fail (d->path, "bad channel count or sample rate", 0, st);
  if (fr->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
    av_channel_layout_default (&d->in_layout, nch);
  else if (av_channel_layout_copy (&d->in_layout, &fr->ch_layout) < 0)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  d->in_rate = fr->sample_rate;
  d->in_format = fr->format;
  ret = swr_alloc_set_opts2 (&d->swr, &mono, AV_SAMPLE_FMT_FLT, d->rate,
      &d->in_layout, (enum AVSampleFormat) fr->format, fr->sample_rate, 0,
      NULL);
  if (ret < 0)
    return fail (d->path, "cannot set up the resampler", ret, st);
  matrix = calloc ((size_t) nch, sizeof (double));
  if (!matrix)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  for (int i = 0; i < nch; i++)
    matrix[i] = 1.0 / nch;
  ret = swr_set_matrix (d->swr, matrix, nch);
  free (matrix);
  if (ret >= 0)
    ret = swr_init (d->swr);
  if (ret < 0)
    return fail (d->path, "cannot set up the resampler", ret, st);
  return DLNN_OK;
}

/* Resamples @fr (NULL: flush) and appends the output. */
static dlnn_code
convert (decoder * d, const AVFrame * fr, dlnn_status * st)
{
  for (;;) {
    const int in = fr ? fr->nb_samples : 0;
    int room = swr_get_out_samples (d->swr, in);
    uint8_t *out;
    int got;

    if (room < 0)
      return fail (d->path, "resampler error", room, st);
    room += 16;
    if (d->n + (size_t) room > d->cap) {
      size_t nc = d->cap ? d->cap : 65536;
      float *np;
      while (nc < d->n + (size_t) room)
        nc *= 2;
      np = realloc (d->pcm, nc * sizeof (float));
      if (!np)
        return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
      d->pcm = np;
      d->cap = nc;
    }
    out = (uint8_t *) (d->pcm + d->n);
    got = swr_convert (d->swr, &out, room, fr ?
        (const uint8_t **) fr->extended_data : NULL, in);
    if (got < 0)
      return fail (d->path, "resampler error", got, st);
    d->n += (size_t) got;
    if (d->n > d->max)
      return dlnn_status_set (st, DLNN_ERR_FORMAT, "audio '%s' is longer "
          "than %d s", d->path, AUDIO_MAX_SECONDS);
    if (fr || got == 0)
      return DLNN_OK;
  }
}

static dlnn_code
take_frames (decoder * d, AVCodecContext * cc, AVFrame * fr,
    dlnn_status * st)
{
  int ret;
  while ((ret = avcodec_receive_frame (cc, fr)) >= 0) {
    dlnn_code c = DLNN_OK;
    if (!d->swr)
      c = swr_setup (d, fr, st);
    else if (fr->sample_rate != d->in_rate || fr->format != d->in_format
        || fr->ch_layout.nb_channels != d->in_layout.nb_channels)
      c = fail (d->path, "the audio format changes in the stream", 0, st);
    if (c == DLNN_OK && fr->nb_samples > 0)
      c = convert (d, fr, st);
    av_frame_unref (fr);
    if (c != DLNN_OK)
      return c;
  }
  if (ret != AVERROR (EAGAIN) && ret != AVERROR_EOF)
    return fail (d->path, "decode error (truncated or corrupt data?)", ret,
        st);
  return DLNN_OK;
}

dlnn_code
dt_audio_load (const char *path, int rate, float **pcm, size_t *n,
    dlnn_status * st)
{
  dt_avfile f;
  decoder d;
  struct stat sb;
  int ret;
  dlnn_code c = DLNN_OK;

  *pcm = NULL;
  *n = 0;
  memset (&d, 0, sizeof (d));
  d.path = path;
  d.rate = rate;
  if (rate < 1000 || rate > 384000)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "bad sample rate %d", rate);
  d.max = (size_t) rate * AUDIO_MAX_SECONDS;
  if (stat (path, &sb) != 0 || !S_ISREG (sb.st_mode))
    return dlnn_status_set (st, DLNN_ERR_IO, "audio file '%s' does not "
        "exist", path);
  av_log_set_level (AV_LOG_QUIET);
  c = dt_avfile_open (&f, path, AVMEDIA_TYPE_AUDIO, "audio ",
      "not an audio file FFmpeg can read", "no audio stream", st);
  if (c != DLNN_OK)
    goto out;
  while ((ret = av_read_frame (f.fc, f.pkt)) >= 0) {
    if (f.pkt->stream_index == f.stream) {
      ret = avcodec_send_packet (f.cc, f.pkt);
      if (ret < 0 && ret != AVERROR (EAGAIN)) {
        av_packet_unref (f.pkt);
        c = fail (path, "decode error (truncated or corrupt data?)", ret,
            st);
        goto out;
      }
      c = take_frames (&d, f.cc, f.fr, st);
    }
    av_packet_unref (f.pkt);
    if (c != DLNN_OK)
      goto out;
  }
  if (ret != AVERROR_EOF) {
    c = fail (path, "read error (truncated file?)", ret, st);
    goto out;
  }
  avcodec_send_packet (f.cc, NULL);
  c = take_frames (&d, f.cc, f.fr, st);
  if (c == DLNN_OK && d.swr)
    c = convert (&d, NULL, st);
  if (c == DLNN_OK && d.n == 0)
    c = dlnn_status_set (st, DLNN_ERR_FORMAT, "audio '%s' holds no samples",
        path);

out:
  if (c == DLNN_OK) {
    *pcm = d.pcm;
    *n = d.n;
  } else {
    free (d.pcm);
  }
  swr_free (&d.swr);
  av_channel_layout_uninit (&d.in_layout);
  dt_avfile_close (&f);
  return c;
}
