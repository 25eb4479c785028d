/* dltrain - progress bar on stderr (only when it is a terminal). */
#include "dltrain.h"

#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

void
dt_progress_start (dt_progress * p, int enabled, int total)
{
  struct winsize ws;

  memset (p, 0, sizeof (*p));
  p->enabled = enabled && isatty (STDERR_FILENO);
  p->total = total > 0 ? total : 1;
  p->t0 = dt_now ();
  p->width = 80;
  if (p->enabled && ioctl (STDERR_FILENO, TIOCGWINSZ, &ws) == 0
      && ws.ws_col >= 40)
    p->width = ws.ws_col;
}

static void
fmt_duration (char *buf, size_t len, double s)
{
  long t = s < 0 ? 0 : (long) (s + 0.5);
  if (t >= 3600)
    snprintf (buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else
    snprintf (buf, len, "%ld:%02ld", t / 60, t % 60);
}

void
dt_progress_update (dt_progress * p, int done, int images, double loss)
{
  const double now = dt_now ();
  const double el = now - p->t0;
  char tail[128], eta[32], bar[256];
  int bw, fill;

  if (!p->enabled)
    return;
  if (done < p->total && now - p->last < 0.1)
    return;
  p->last = now;
  fmt_duration (eta, sizeof (eta), done > 0 ? el * (p->total - done) / done :
      0);
  snprintf (tail, sizeof (tail), " %d/%d  %.0f img/s  ETA %s  loss %.4f",
      done, p->total, el > 0 ? images / el : 0.0, eta, loss);
  bw = p->width - (int) strlen (tail) - 3;
  if (bw > 50)
    bw = 50;
  if (bw < 5)
    bw = 5;
  fill = (int) ((long) bw * done / p->total);
  for (int i = 0; i < bw; i++)
    bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
  bar[bw] = '\0';
  fprintf (stderr, "\r[%s]%s\033[K", bar, tail);
  fflush (stderr);
}

void
dt_progress_end (dt_progress * p)
{
  if (!p->enabled)
    return;
  fprintf (stderr, "\r\033[K");
  fflush (stderr);
}
