/* dltrain - FFmpeg file and decoder opening (see avfile.h). */
#include "avfile.h"

#include <string.h>

dlnn_code
dt_avfile_fail (const dt_avfile * f, const char *what, int err,
    dlnn_status * st)
{
  char buf[AV_ERROR_MAX_STRING_SIZE] = "";
  if (err < 0)
    av_strerror (err, buf, sizeof (buf));
  return dlnn_status_set (st, DLNN_ERR_FORMAT, "cannot decode %s'%s': "
      "%s%s%s", f->kind, f->path, what, buf[0] ? ": " : "", buf);
}

dlnn_code
dt_avfile_open (dt_avfile * f, const char *path, enum AVMediaType type,
    const char *kind, const char *open_msg, const char *stream_msg,
    dlnn_status * st)
{
  const AVCodec *codec = NULL;
  int ret;

  memset (f, 0, sizeof (*f));
  f->path = path;
  f->kind = kind;
  ret = avformat_open_input (&f->fc, path, NULL, NULL);
  if (ret < 0)
    return dt_avfile_fail (f, open_msg, ret, st);
  ret = avformat_find_stream_info (f->fc, NULL);
  if (ret < 0)
    return dt_avfile_fail (f, "no stream information", ret, st);
  f->stream = av_find_best_stream (f->fc, type, -1, -1, &codec, 0);
  if (f->stream < 0 || !codec)
    return dt_avfile_fail (f, stream_msg,
        f->stream == AVERROR_STREAM_NOT_FOUND ? 0 : f->stream, st);
  f->cc = avcodec_alloc_context3 (codec);
  f->pkt = av_packet_alloc ();
  f->fr = av_frame_alloc ();
  if (!f->cc || !f->pkt || !f->fr)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  ret = avcodec_parameters_to_context (f->cc,
      f->fc->streams[f->stream]->codecpar);
  if (ret >= 0)
    ret = avcodec_open2 (f->cc, codec, NULL);
  if (ret < 0)
    return dt_avfile_fail (f, "cannot open the decoder", ret, st);
  return DLNN_OK;
}

void
dt_avfile_close (dt_avfile * f)
{
  av_frame_free (&f->fr);
  av_packet_free (&f->pkt);
  avcodec_free_context (&f->cc);
  avformat_close_input (&f->fc);
}
