/* libdlnn - audio front end shared by the trainer and the elements.
 *
 * Turns mono float PCM into (log-)mel spectrogram frames, the input of the
 * speech and tagging models, in arbitrary chunk sizes (streaming) or for a
 * whole signal at once; both give bit-identical frames.
 *
 * dl.audio grammar (keys in any order, ';' separated, no spaces):
 *   rate=N              sample rate in Hz, 1000..384000        (16000)
 *   features=logmel     the only feature kind so far           (logmel)
 *   n_mels=N            mel bands per frame, 1..512            (40)
 *   win_ms=F            window length in ms; the window has
 *                       round(rate*win_ms/1000) samples, >= 2  (25)
 *   hop_ms=F            frame hop in ms; round(rate*hop_ms/1000)
 *                       samples, >= 1                          (10)
 *   n_fft=N             even FFT size >= window samples, <= 65536
 *                       (default: next power of two >= window; 512 at
 *                       16 kHz / 25 ms)
 *   fmin=F;fmax=F       mel range in Hz, 0 <= fmin < fmax <= rate/2
 *                       (0 and rate/2)
 *   window=hann|hamming periodic window, as torch.hann_window /
 *                       torch.hamming_window                   (hann)
 *   power=F             spectrum exponent: |X|^power, > 0 (2: power)
 *   log=none|ln|log10   output log(max(mel + log_offset, log_floor)),
 *                       or the mel value itself for none       (ln)
 *   log_offset=F        >= 0                                   (1e-06)
 *   log_floor=F         >= 0; with log != none, log_offset or
 *                       log_floor must be > 0                  (0)
 *   mel_scale=htk|slaney                                       (htk)
 *   norm=none|slaney    slaney: each triangle scaled by 2/(f_hi - f_lo),
 *                       i.e. constant area                     (none)
 *   center=0|1          1: the signal is padded by n_fft/2 samples on
 *                       each side by reflection (torch.stft
 *                       pad_mode="reflect"), frame t is centred on
 *                       sample t*hop; 0: frame t starts at t*hop (1)
 * Unknown and duplicate keys are errors, and so are values that do not
 * parse completely and values out of range.  Empty items (";;", a trailing
 * ';') are ignored.  Numbers are read and written in the C locale.
 *
 * Defaults follow torchaudio.transforms.MelSpectrogram (window hann,
 * power 2, fmin 0, fmax rate/2, htk scale, no norm, center with reflect
 * padding) except where speech practice differs: n_mels 40 instead of
 * 128, a 25 ms window with a 10 ms hop instead of n_fft=400 / hop 200,
 * n_fft the next power of two, and a natural log (torchaudio's
 * MelSpectrogram returns power).  torchaudio's own defaults are
 * "rate=16000;n_mels=128;win_ms=25;hop_ms=12.5;n_fft=400;log=none".
 *
 * Definition (what torchaudio computes, float32 there, float32 FFT here):
 *   frame t of the (padded) signal: samples t*hop .. t*hop+n_fft-1,
 *   multiplied by the window, which is placed at offset (n_fft-win)/2
 *   (torch.stft's zero padding of a short window); X = its real DFT,
 *   bins k = 0..n_fft/2; S[k] = |X[k]|^power;
 *   mel[m] = sum_k fb[k][m] S[k] with torchaudio.functional.melscale_fbanks
 *   (bin k at frequency k*(rate/2 rounded down)/(n_fft/2), triangles
 *   between n_mels+2 points equally spaced on the mel scale from fmin to
 *   fmax); out[m] = log(max(mel[m] + log_offset, log_floor)).  A
 *   triangle that holds no FFT bin (n_mels high for n_fft, e.g.
 *   torchaudio's defaults) is an all-zero filter, as in torchaudio.
 *   Frame count for n samples: center=1: 1 + n/hop (0 if n <= n_fft/2,
 *   where torch fails); center=0: 1 + (n-n_fft)/hop (0 if n < n_fft).
 *
 * Formatting writes every key with resolved values (n_fft and fmax never
 * "auto"), so a model keeps its meaning if the defaults change. */
#ifndef DLNN_AUDIO_H
#define DLNN_AUDIO_H

#include <stddef.h>
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dlnn_audio_features
{ DLNN_AUDIO_FEATURES_LOGMEL } dlnn_audio_features;
typedef enum dlnn_audio_window
{ DLNN_AUDIO_WINDOW_HANN, DLNN_AUDIO_WINDOW_HAMMING } dlnn_audio_window;
typedef enum dlnn_audio_log
{ DLNN_AUDIO_LOG_NONE, DLNN_AUDIO_LOG_LN, DLNN_AUDIO_LOG_LOG10 }
    dlnn_audio_log;
typedef enum dlnn_audio_mel_scale
{ DLNN_AUDIO_MEL_HTK, DLNN_AUDIO_MEL_SLANEY } dlnn_audio_mel_scale;
typedef enum dlnn_audio_norm
{ DLNN_AUDIO_NORM_NONE, DLNN_AUDIO_NORM_SLANEY } dlnn_audio_norm;

typedef struct dlnn_audio_cfg
{
  int rate;
  dlnn_audio_features features;
  int n_mels;
  float win_ms, hop_ms;
  int n_fft;                    /* 0: next power of two >= window */
  float fmin, fmax;             /* fmax 0: rate/2 */
  dlnn_audio_window window;
  float power;
  dlnn_audio_log log;
  float log_offset, log_floor;
  dlnn_audio_mel_scale mel_scale;
  dlnn_audio_norm norm;
  int center;
} dlnn_audio_cfg;

#define DLNN_AUDIO_MIN_RATE 1000
#define DLNN_AUDIO_MAX_RATE 384000
#define DLNN_AUDIO_MAX_MELS 512
#define DLNN_AUDIO_MAX_FFT 65536

/* The defaults above; n_fft and fmax 0 ("auto"). */
DLNN_API void dlnn_audio_cfg_init (dlnn_audio_cfg * cfg);
/* Starts from the defaults, resolves n_fft and fmax; @cfg is only written
 * on success. */
DLNN_API dlnn_code dlnn_audio_cfg_parse (const char *s, dlnn_audio_cfg * cfg,
    dlnn_status * st);
/* malloc()ed dl.audio string with every key and resolved values, which
 * dlnn_audio_cfg_parse reads back to the same resolved cfg; NULL if @cfg is
 * invalid or out of memory. */
DLNN_API char *dlnn_audio_cfg_format (const dlnn_audio_cfg * cfg);
/* Checks a cfg filled by hand (parse and ctx_new call it). */
DLNN_API dlnn_code dlnn_audio_cfg_validate (const dlnn_audio_cfg * cfg,
    dlnn_status * st);
/* Derived sizes of a valid cfg (0 if invalid): window and hop in samples,
 * resolved n_fft, and frames of a whole signal of @n samples. */
DLNN_API int dlnn_audio_cfg_win_length (const dlnn_audio_cfg * cfg);
DLNN_API int dlnn_audio_cfg_hop_length (const dlnn_audio_cfg * cfg);
DLNN_API int dlnn_audio_cfg_n_fft (const dlnn_audio_cfg * cfg);
DLNN_API size_t dlnn_audio_cfg_frames (const dlnn_audio_cfg * cfg,
    size_t n);

/* Streaming context: window, mel filterbank, FFT plan and a ring buffer of
 * about 2*n_fft samples, all allocated by dlnn_audio_ctx_new; push and
 * finish do not allocate.  It copies @cfg.  One context per stream. */
typedef struct dlnn_audio_ctx dlnn_audio_ctx;
DLNN_API dlnn_audio_ctx *dlnn_audio_ctx_new (const dlnn_audio_cfg * cfg,
    dlnn_status * st);
DLNN_API void dlnn_audio_ctx_free (dlnn_audio_ctx * ctx);     /* NULL-safe */
DLNN_API const dlnn_audio_cfg *dlnn_audio_ctx_cfg (const dlnn_audio_ctx *
    ctx);

/* Frames that a push of @n more samples would yield now (never more than
 * (n + n_fft/2)/hop + 1), and frames that finish would yield. */
DLNN_API size_t dlnn_audio_ctx_push_count (const dlnn_audio_ctx * ctx,
    size_t n);
DLNN_API size_t dlnn_audio_ctx_finish_count (const dlnn_audio_ctx * ctx);

/* Appends @n samples (mono, cfg rate, any chunk size) and writes the frames
 * they complete, n_mels floats each, to @out (room for @max_frames);
 * *@n_frames receives their count.  Fails with nothing consumed if
 * @max_frames is too small (see push_count), on NULL arguments, or after
 * finish.  Samples are borrowed for the call only. */
DLNN_API dlnn_code dlnn_audio_ctx_push (dlnn_audio_ctx * ctx,
    const float *pcm, size_t n, float *out, size_t max_frames,
    size_t * n_frames, dlnn_status * st);
/* End of signal: writes the remaining frames (which need the reflected end
 * padding when center=1).  Afterwards only reset is accepted. */
DLNN_API dlnn_code dlnn_audio_ctx_finish (dlnn_audio_ctx * ctx, float *out,
    size_t max_frames, size_t * n_frames, dlnn_status * st);
/* Forgets the signal (flush, EOS, new utterance); the next push starts a
 * new signal at frame 0. */
DLNN_API void dlnn_audio_ctx_reset (dlnn_audio_ctx * ctx);

/* Mel filter @m: weights for FFT bins first .. first+count-1 (the others
 * are 0); NULL if @m is out of range. Valid as long as @ctx. */
DLNN_API const float *dlnn_audio_ctx_filter (const dlnn_audio_ctx * ctx,
    int m, int *first, int *count);

/* Whole signal at once: the same as a context's push + finish.  @out has
 * room for @max_frames frames (dlnn_audio_cfg_frames gives the count). */
DLNN_API dlnn_code dlnn_audio_logmel (const dlnn_audio_cfg * cfg,
    const float *pcm, size_t n, float *out, size_t max_frames,
    size_t * n_frames, dlnn_status * st);

#ifdef __cplusplus
}
#endif
#endif
