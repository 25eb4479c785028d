/* Test helper: writes a small image-folder dataset of PNGs with cairo's
 * PNG encoder (libpng):
 *   make_shapes DIR N [WIDTH [SEED]]
 * gives DIR/disc/, DIR/grid/, DIR/stripes/ with N images each, of
 * WIDTH x WIDTH pixels (default 32): a filled disc at a random position
 * and size, a grid of lines, or diagonal stripes (random offsets and line
 * widths), in a random light colour on a random dark background. */
#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static unsigned long long rng_state = 0x2545F4914F6CDD1Dull;

static double
urand (void)
{
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (double) ((rng_state * 0x2545F4914F6CDD1Dull) >> 11) /
      9007199254740992.0;
}

static int
draw (const char *path, int kind, int w)
{
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, w, w);
  cairo_t *cr = cairo_create (s);
  double size = w * (0.35 + 0.25 * urand ());
  double cx = size / 2 + urand () * (w - size), cy = size / 2 + urand () *
      (w - size);
  int ret;

  cairo_set_source_rgb (cr, 0.2 * urand (), 0.2 * urand (), 0.2 * urand ());
  cairo_paint (cr);
  cairo_set_source_rgb (cr, 0.6 + 0.4 * urand (), 0.6 + 0.4 * urand (),
      0.6 + 0.4 * urand ());
  switch (kind) {
    case 0:
      cairo_arc (cr, cx, cy, size / 2, 0, 2 * 3.14159265358979);
      cairo_fill (cr);
      break;
    case 1:{
      double off = urand () * 6;
      cairo_set_line_width (cr, 1.5 + urand ());
      for (double x = off; x < w; x += 7) {
        cairo_move_to (cr, x, 0);
        cairo_line_to (cr, x, w);
        cairo_move_to (cr, 0, x);
        cairo_line_to (cr, w, x);
      }
      cairo_stroke (cr);
      break;
    }
    default:{
      double off = urand () * 6;
      cairo_set_line_width (cr, 2.0 + urand ());
      for (double x = -w + off; x < 2 * w; x += 6) {
        cairo_move_to (cr, x, 0);
        cairo_line_to (cr, x + w, w);
      }
      cairo_stroke (cr);
      break;
    }
  }
  cairo_destroy (cr);
  ret = cairo_surface_write_to_png (s, path) == CAIRO_STATUS_SUCCESS;
  cairo_surface_destroy (s);
  return ret;
}

int
main (int argc, char **argv)
{
  static const char *const classes[3] = { "disc", "grid", "stripes" };
  char path[4096];
  int n, w = 32;

  if (argc < 3) {
    fprintf (stderr, "usage: make_shapes DIR N [WIDTH [SEED]]\n");
    return 2;
  }
  n = atoi (argv[2]);
  if (argc > 3)
    w = atoi (argv[3]);
  if (argc > 4)
    rng_state ^= strtoull (argv[4], NULL, 10) * 0x9E3779B97F4A7C15ull;
  if (n < 1 || w < 8) {
    fprintf (stderr, "make_shapes: bad N or WIDTH\n");
    return 2;
  }
  mkdir (argv[1], 0777);
  for (int k = 0; k < 3; k++) {
    snprintf (path, sizeof (path), "%s/%s", argv[1], classes[k]);
    if (mkdir (path, 0777) != 0 && errno != EEXIST) {
      perror (path);
      return 1;
    }
    for (int i = 0; i < n; i++) {
      snprintf (path, sizeof (path), "%s/%s/%03d.png", argv[1], classes[k],
          i);
      if (!draw (path, k, w)) {
        fprintf (stderr, "make_shapes: cannot write %s\n", path);
        return 1;
      }
    }
  }
  return 0;
}
