/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/* make-band-frames FRAMES.rgb TRUTH.txt WIDTH HEIGHT N HOLD
 *
 * Writes N raw RGB frames (no padding) of four horizontal bands, one of
 * them bright, with colour tints and pixel noise, for the pipeline tests
 * of dlclassify with tests/check's bands.onnx. Band (i / HOLD) % 4 is the
 * bright one in frame i; TRUTH.txt gets one line "i bandK" per frame. */
#include <stdio.h>
#include <stdlib.h>

static unsigned int rng = 12345u;

static int
noise (int amplitude)
{
  rng = rng * 1103515245u + 12345u;
  return (int) ((rng >> 16) % (2u * amplitude + 1)) - amplitude;
}

static unsigned char
clamp (int v)
{
  return v < 0 ? 0 : v > 255 ? 255 : (unsigned char) v;
}

int
main (int argc, char **argv)
{
  static const int bright[3] = { 225, 205, 185 };
  static const int dark[3] = { 40, 60, 80 };
  FILE *frames, *truth;
  unsigned char *row;
  long width, height, n, hold, i, x, y;
  int c;

  if (argc != 7) {
    fprintf (stderr, "usage: %s FRAMES.rgb TRUTH.txt WIDTH HEIGHT N HOLD\n",
        argv[0]);
    return 2;
  }
  width = strtol (argv[3], NULL, 10);
  height = strtol (argv[4], NULL, 10);
  n = strtol (argv[5], NULL, 10);
  hold = strtol (argv[6], NULL, 10);
  if (width < 1 || width > 4096 || height < 4 || height > 4096 || n < 1 ||
      n > 100000 || hold < 1) {
    fprintf (stderr, "make-band-frames: bad size or count\n");
    return 2;
  }

  frames = fopen (argv[1], "wb");
  truth = fopen (argv[2], "w");
  row = malloc ((size_t) width * 3);
  if (!frames || !truth || !row) {
    fprintf (stderr, "make-band-frames: cannot open outputs\n");
    return 1;
  }

  for (i = 0; i < n; i++) {
    int band = (int) ((i / hold) % 4);

    for (y = 0; y < height; y++) {
      int in_band = (int) (y * 4 / height) == band;

      for (x = 0; x < width; x++)
        for (c = 0; c < 3; c++)
          row[3 * x + c] = clamp ((in_band ? bright[c] : dark[c]) +
              noise (25));
      if (fwrite (row, 3, (size_t) width, frames) != (size_t) width) {
        fprintf (stderr, "make-band-frames: write failed\n");
        return 1;
      }
    }
    fprintf (truth, "%ld band%d\n", i, band);
  }

  free (row);
  if (fclose (frames) != 0 || fclose (truth) != 0) {
    fprintf (stderr, "make-band-frames: write failed\n");
    return 1;
  }
  return 0;
}
