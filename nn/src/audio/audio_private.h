/* libdlnn - audio front end, internal declarations shared by audio_*.c. */
#ifndef DLNN_AUDIO_PRIVATE_H
#define DLNN_AUDIO_PRIVATE_H

#include "dlnn/audio.h"

/* Resolved sizes of a valid cfg. */
typedef struct dlnn_audio_dims
{
  int win, hop, n_fft, n_bins;
  float fmax;
} dlnn_audio_dims;

/* Fills @d from a cfg that passed dlnn_audio_cfg_validate. */
void dlnn_audio_dims_get (const dlnn_audio_cfg * cfg, dlnn_audio_dims * d);

/* Periodic window of @n samples. */
void dlnn_audio_window_fill (dlnn_audio_window w, float *out, int n);

/* Sparse mel filterbank: filter m covers bins first[m] .. first[m] +
 * count[m] - 1 with weights at w + off[m].  Built in double precision with
 * torchaudio.functional.melscale_fbanks' formulas. */
typedef struct dlnn_audio_fbank
{
  int n_mels;
  int *first, *count;
  size_t *off;
  float *w;
} dlnn_audio_fbank;

dlnn_code dlnn_audio_fbank_init (dlnn_audio_fbank * fb,
    const dlnn_audio_cfg * cfg, const dlnn_audio_dims * d, dlnn_status * st);
void dlnn_audio_fbank_clear (dlnn_audio_fbank * fb);

#endif
