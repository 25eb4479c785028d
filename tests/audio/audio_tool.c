/* Test helper: log-mel features of a raw float32 mono file.
 *   audio_tool DL_AUDIO IN.f32 OUT.f32 [stream]
 * Writes n_frames x n_mels float32 (native endian) and prints
 * "n_frames n_mels".  "stream" pushes the signal in pseudo-random chunks
 * of 0..4000 samples through a dlnn_audio_ctx instead of calling
 * dlnn_audio_logmel. */
#include "dlnn/dlnn.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float *
read_all (const char *path, size_t *n)
{
  FILE *f = fopen (path, "rb");
  float *buf = NULL;
  long len;

  if (!f)
    return NULL;
  if (fseek (f, 0, SEEK_END) == 0 && (len = ftell (f)) >= 0
      && fseek (f, 0, SEEK_SET) == 0) {
    *n = (size_t) len / sizeof (float);
    buf = malloc (*n * sizeof (float) + 1);
    if (buf && fread (buf, sizeof (float), *n, f) != *n) {
      free (buf);
      buf = NULL;
    }
  }
  fclose (f);
  return buf;
}

static dlnn_code
run_stream (const dlnn_audio_cfg * cfg, const float *x, size_t n, float *out,
    size_t max_frames, size_t *n_frames, dlnn_status * st)
{
  dlnn_audio_ctx *ctx = dlnn_audio_ctx_new (cfg, st);
  uint32_t seed = 1;
  size_t pos = 0, total = 0, c, got;
  dlnn_code code = DLNN_OK;

  if (!ctx)
    return st->code;
  while (pos < n && code == DLNN_OK) {
    seed = seed * 1664525u + 1013904223u;
    c = (seed >> 8) % 4001;
    if (c > n - pos)
      c = n - pos;
    code = dlnn_audio_ctx_push (ctx, x + pos, c, out + total * cfg->n_mels,
        max_frames - total, &got, st);
    total += got;
    pos += c;
  }
  if (code == DLNN_OK)
    code = dlnn_audio_ctx_finish (ctx, out + total * cfg->n_mels,
        max_frames - total, &got, st);
  total += got;
  dlnn_audio_ctx_free (ctx);
  *n_frames = total;
  return code;
}

int
main (int argc, char **argv)
{
  dlnn_audio_cfg cfg;
  dlnn_status st;
  float *x, *out;
  size_t n = 0, max_frames, nf = 0;
  dlnn_code code;
  FILE *f;

  if (argc < 4) {
    fprintf (stderr, "usage: %s DL_AUDIO IN.f32 OUT.f32 [stream]\n",
        argv[0]);
    return 2;
  }
  dlnn_status_clear (&st);
  if (dlnn_audio_cfg_parse (argv[1], &cfg, &st) != DLNN_OK) {
    fprintf (stderr, "%s\n", st.message);
    return 1;
  }
  x = read_all (argv[2], &n);
  if (!x) {
    fprintf (stderr, "cannot read %s\n", argv[2]);
    return 1;
  }
  max_frames = dlnn_audio_cfg_frames (&cfg, n);
  out = malloc ((max_frames + 1) * cfg.n_mels * sizeof (float));
  if (!out)
    return 1;
  if (argc > 4 && strcmp (argv[4], "stream") == 0)
    code = run_stream (&cfg, x, n, out, max_frames, &nf, &st);
  else
    code = dlnn_audio_logmel (&cfg, x, n, out, max_frames, &nf, &st);
  if (code != DLNN_OK) {
    fprintf (stderr, "%s\n", st.message);
    return 1;
  }
  f = fopen (argv[3], "wb");
  if (!f || fwrite (out, sizeof (float) * cfg.n_mels, nf, f) != nf) {
    fprintf (stderr, "cannot write %s\n", argv[3]);
    return 1;
  }
  fclose (f);
  printf ("%zu %d\n", nf, cfg.n_mels);
  free (x);
  free (out);
  return 0;
}
