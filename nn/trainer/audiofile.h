/* dltrain - audio files decoded with libavformat + libavcodec, downmixed
 * to mono and resampled with libswresample. */
#ifndef DLTRAIN_AUDIOFILE_H
#define DLTRAIN_AUDIOFILE_H

#include <stddef.h>
#include <dlnn/status.h>

/* Decodes the first audio stream of @path (any container and codec FFmpeg
 * reads) into mono float32 samples at @rate Hz (1000..384000): channels
 * are averaged (libswresample's downmix), the signal resampled. *@pcm is
 * malloc()ed (the caller frees it), *@n its sample count (> 0). On failure
 * *@pcm is NULL and the message names @path and the reason: missing file,
 * not audio (no audio stream / unknown format), decode error (truncated or
 * corrupt data), no samples. */
dlnn_code dt_audio_load (const char *path, int rate, float **pcm, size_t *n,
    dlnn_status * st);

#endif
