/* dltrain - training curve PNG drawn with cairo: two panels, training loss
 * per epoch and accuracy (training, validation) per epoch, with axes,
 * ticks, labels and a legend. */
#include "dltrain.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairo.h>

#define M_PI_DT 3.14159265358979323846
#define M_PI_2_DT (M_PI_DT / 2)
#define PLOT_W 960
#define PLOT_H 420

typedef struct
{
  double x0, y0, x1, y1;        /* panel rectangle in pixels */
  double vx0, vx1, vy0, vy1;    /* data ranges */
} panel;

static double
px (const panel * p, double x)
{
  return p->x0 + (x - p->vx0) / (p->vx1 - p->vx0) * (p->x1 - p->x0);
}

static double
py (const panel * p, double y)
{
  return p->y1 - (y - p->vy0) / (p->vy1 - p->vy0) * (p->y1 - p->y0);
}

/* A "nice" tick step for a range (1, 2 or 5 times a power of ten). */
static double
nice_step (double range, int target)
{
  double raw = range / target, mag = pow (10, floor (log10 (raw)));
  double f = raw / mag;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

static void
text_at (cairo_t * cr, double x, double y, const char *s, double ax,
    double ay)
{
  cairo_text_extents_t e;
  cairo_text_extents (cr, s, &e);
  cairo_move_to (cr, x - e.width * ax - e.x_bearing,
      y - e.height * ay - e.y_bearing);
  cairo_show_text (cr, s);
}

static void
draw_axes (cairo_t * cr, const panel * p, const char *title,
    const char *ylabel, int n_epochs)
{
  char buf[32];
  double step;

  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_set_line_width (cr, 1.0);
  cairo_rectangle (cr, p->x0 + 0.5, p->y0 + 0.5, p->x1 - p->x0,
      p->y1 - p->y0);
  cairo_stroke (cr);
  cairo_set_font_size (cr, 12);
  /* y ticks with light grid lines */
  step = nice_step (p->vy1 - p->vy0, 5);
  for (double v = ceil (p->vy0 / step) * step; v <= p->vy1 + 1e-9;
      v += step) {
    double y = floor (py (p, v)) + 0.5;
    cairo_set_source_rgb (cr, 0.88, 0.88, 0.88);
    cairo_move_to (cr, p->x0 + 1, y);
    cairo_line_to (cr, p->x1, y);
    cairo_stroke (cr);
    cairo_set_source_rgb (cr, 0, 0, 0);
    cairo_move_to (cr, p->x0 - 4, y);
    cairo_line_to (cr, p->x0, y);
    cairo_stroke (cr);
    snprintf (buf, sizeof (buf), step < 0.1 ? "%.2f" : step < 1 ? "%.1f" :
        "%.0f", v);
    text_at (cr, p->x0 - 7, y, buf, 1.0, 0.5);
  }
  /* x ticks: epochs */
  step = n_epochs <= 10 ? 1 : nice_step (n_epochs, 8);
  for (double v = 1; v <= n_epochs + 1e-9; v += step) {
    double x = floor (px (p, v)) + 0.5;
    cairo_move_to (cr, x, p->y1);
    cairo_line_to (cr, x, p->y1 + 4);
    cairo_stroke (cr);
    snprintf (buf, sizeof (buf), "%.0f", v);
    text_at (cr, x, p->y1 + 7, buf, 0.5, 0.0);
  }
  text_at (cr, (p->x0 + p->x1) / 2, p->y1 + 24, "epoch", 0.5, 0.0);
  cairo_save (cr);
  cairo_move_to (cr, p->x0 - 48, (p->y0 + p->y1) / 2);
  cairo_rotate (cr, -M_PI_2_DT);
  {
    cairo_text_extents_t e;
    cairo_text_extents (cr, ylabel, &e);
    cairo_rel_move_to (cr, -e.width / 2, 0);
    cairo_show_text (cr, ylabel);
  }
  cairo_restore (cr);
  cairo_set_font_size (cr, 14);
  text_at (cr, (p->x0 + p->x1) / 2, p->y0 - 8, title, 0.5, 1.0);
}

static void
draw_series (cairo_t * cr, const panel * p, const dt_epoch_stats * h, int n,
    size_t off, double r, double g, double b, int dashed)
{
  const double dash[2] = { 6, 4 };

  cairo_set_source_rgb (cr, r, g, b);
  cairo_set_line_width (cr, 2.0);
  cairo_set_dash (cr, dash, dashed ? 2 : 0, 0);
  for (int i = 0; i < n; i++) {
    double v = *(const double *) ((const char *) &h[i] + off);
    if (i == 0)
      cairo_move_to (cr, px (p, i + 1), py (p, v));
    else
      cairo_line_to (cr, px (p, i + 1), py (p, v));
  }
  cairo_stroke (cr);
  cairo_set_dash (cr, dash, 0, 0);
  for (int i = 0; i < n; i++) {
    double v = *(const double *) ((const char *) &h[i] + off);
    cairo_arc (cr, px (p, i + 1), py (p, v), 3.0, 0, 2 * M_PI_DT);
    cairo_fill (cr);
  }
}

static void
legend (cairo_t * cr, const panel * p, int row, const char *label, double r,
    double g, double b, int dashed)
{
  const double dash[2] = { 6, 4 };
  double x = p->x1 - 180, y = p->y1 - 16 - 18 * row;

  cairo_set_source_rgb (cr, r, g, b);
  cairo_set_line_width (cr, 2.0);
  cairo_set_dash (cr, dash, dashed ? 2 : 0, 0);
  cairo_move_to (cr, x, y);
  cairo_line_to (cr, x + 28, y);
  cairo_stroke (cr);
  cairo_set_dash (cr, dash, 0, 0);
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_set_font_size (cr, 12);
  text_at (cr, x + 36, y, label, 0.0, 0.5);
}

dlnn_code
dt_plot_curve (const char *path, const dt_epoch_stats * h, int n,
    int have_val, const char *title, dlnn_status * st)
{
  return dt_plot_curve_labeled (path, h, n, have_val, title, "cross-entropy",
      "accuracy", "train accuracy", "validation accuracy", st);
}

dlnn_code
dt_plot_curve_labeled (const char *path, const dt_epoch_stats * h, int n,
    int have_val, const char *title, const char *loss_label,
    const char *acc_title, const char *acc_name, const char *val_name,
    dlnn_status * st)
{
  cairo_surface_t *s;
  cairo_t *cr;
  cairo_status_t cs;
  panel pl = { 80, 50, PLOT_W / 2 - 30, PLOT_H - 50, 1, 2, 0, 1 };
  panel pa = { PLOT_W / 2 + 70, 50, PLOT_W - 30, PLOT_H - 50, 1, 2, 0, 1 };
  double lmax = 0, amin = 1;
  size_t plen = strlen (path);
  char *tmp;

  if (n < 1)
    return DLNN_OK;
  for (int i = 0; i < n; i++) {
    if (isfinite (h[i].loss) && h[i].loss > lmax)
      lmax = h[i].loss;
    if (h[i].acc < amin)
      amin = h[i].acc;
    if (have_val && h[i].val_acc < amin)
      amin = h[i].val_acc;
  }
  pl.vx1 = pa.vx1 = n > 1 ? n : 2;
  pl.vy1 = lmax > 0 ? lmax * 1.1 : 1;
  pa.vy0 = floor (amin * 10) / 10;
  if (pa.vy0 > 0.9)
    pa.vy0 = 0.9;
  pa.vy1 = 1.0;

  s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, PLOT_W, PLOT_H);
  cr = cairo_create (s);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
      CAIRO_FONT_WEIGHT_NORMAL);
  draw_axes (cr, &pl, "training loss", loss_label, (int) pl.vx1);
  draw_axes (cr, &pa, acc_title, "fraction correct", (int) pa.vx1);
  draw_series (cr, &pl, h, n, offsetof (dt_epoch_stats, loss), 0.80, 0.20,
      0.10, 0);
  draw_series (cr, &pa, h, n, offsetof (dt_epoch_stats, acc), 0.10, 0.35,
      0.80, 0);
  if (have_val)
    draw_series (cr, &pa, h, n, offsetof (dt_epoch_stats, val_acc), 0.10,
        0.60, 0.20, 1);
  /* loss legend sits top right of the (falling) loss curve */
  {
    panel top = pl;
    top.y1 = pl.y0 + 40;
    legend (cr, &top, 0, "train loss", 0.80, 0.20, 0.10, 0);
  }
  legend (cr, &pa, have_val ? 1 : 0, acc_name, 0.10, 0.35, 0.80, 0);
  if (have_val)
    legend (cr, &pa, 0, val_name, 0.10, 0.60, 0.20, 1);
  cairo_set_source_rgb (cr, 0.3, 0.3, 0.3);
  cairo_set_font_size (cr, 12);
  text_at (cr, 10, 10, title, 0.0, 0.0);
  cairo_destroy (cr);

  tmp = malloc (plen + 16);
  if (!tmp) {
    cairo_surface_destroy (s);
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  }
  snprintf (tmp, plen + 16, "%s.tmp.%ld", path, (long) getpid ());
  cs = cairo_surface_write_to_png (s, tmp);
  cairo_surface_destroy (s);
  if (cs != CAIRO_STATUS_SUCCESS || rename (tmp, path) != 0) {
    unlink (tmp);
    free (tmp);
    return dlnn_status_set (st, DLNN_ERR_IO, "cannot write '%s': %s", path,
        cs != CAIRO_STATUS_SUCCESS ? cairo_status_to_string (cs) :
        "rename failed");
  }
  free (tmp);
  return DLNN_OK;
}
