/* Test helper: audio_load FILE RATE OUT.f32 decodes FILE with
 * dt_audio_load (nn/trainer/audiofile.c) and writes the mono float32
 * samples raw to OUT.f32; on failure prints the message and exits 1. */
#include "audiofile.h"

#include <stdio.h>
#include <stdlib.h>

int
main (int argc, char **argv)
{
  dlnn_status st;
  float *pcm;
  size_t n;
  FILE *f;

  if (argc != 4) {
    fprintf (stderr, "usage: audio_load FILE RATE OUT.f32\n");
    return 2;
  }
  dlnn_status_clear (&st);
  if (dt_audio_load (argv[1], atoi (argv[2]), &pcm, &n, &st) != DLNN_OK) {
    fprintf (stderr, "%s\n", st.message);
    return 1;
  }
  f = fopen (argv[3], "wb");
  if (!f || fwrite (pcm, sizeof (float), n, f) != n || fclose (f) != 0) {
    fprintf (stderr, "cannot write %s\n", argv[3]);
    return 1;
  }
  free (pcm);
  printf ("%zu\n", n);
  return 0;
}
