/* dltrain - the FFmpeg part shared by the image-folder and audio readers:
 * open a file, pick its best stream of one type and open its decoder,
 * with errors that name the file. */
#ifndef DLTRAIN_AVFILE_H
#define DLTRAIN_AVFILE_H

#include <dlnn/status.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

typedef struct dt_avfile
{
  const char *path;
  const char *kind;             /* "audio " or "": in the messages */
  AVFormatContext *fc;
  AVCodecContext *cc;
  AVPacket *pkt;
  AVFrame *fr;
  int stream;                   /* index of the decoded stream */
} dt_avfile;

/* Opens @path and the decoder of its best @type stream into @f (zeroed
 * first). Failures: "cannot decode KIND'PATH': @open_msg" (not readable),
 * "... : @stream_msg" (no such stream), "... : cannot open the decoder",
 * each with FFmpeg's reason. Call dt_avfile_close in every case. */
dlnn_code dt_avfile_open (dt_avfile * f, const char *path,
    enum AVMediaType type, const char *kind, const char *open_msg,
    const char *stream_msg, dlnn_status * st);
/* DLNN_ERR_FORMAT "cannot decode KIND'PATH': @what[: FFmpeg's text for
 * @err < 0]". */
dlnn_code dt_avfile_fail (const dt_avfile * f, const char *what, int err,
    dlnn_status * st);
void dt_avfile_close (dt_avfile * f);

#endif
