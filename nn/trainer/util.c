/* dltrain - small helpers: strings, files, time. */
#include "dltrain.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void
dt_str_init (dt_str * b)
{
  memset (b, 0, sizeof (*b));
}

void
dt_str_free (dt_str * b)
{
  free (b->s);
  memset (b, 0, sizeof (*b));
}

static int
str_reserve (dt_str * b, size_t extra)
{
  if (b->failed)
    return 0;
  if (b->len + extra + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
      cap *= 2;
    char *s = realloc (b->s, cap);
    if (!s) {
      b->failed = 1;
      return 0;
    }
    b->s = s;
    b->cap = cap;
  }
  return 1;
}

void
dt_str_add (dt_str * b, const char *s)
{
  size_t n = strlen (s);
  if (!str_reserve (b, n))
    return;
  memcpy (b->s + b->len, s, n + 1);
  b->len += n;
}

void
dt_str_addf (dt_str * b, const char *fmt, ...)
{
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vsnprintf (NULL, 0, fmt, ap);
  va_end (ap);
  if (n < 0 || !str_reserve (b, (size_t) n))
    return;
  va_start (ap, fmt);
  vsnprintf (b->s + b->len, (size_t) n + 1, fmt, ap);
  va_end (ap);
  b->len += (size_t) n;
}

void
dt_str_add_json (dt_str * b, const char *s)
{
  char esc[8];

  dt_str_add (b, "\"");
  for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
    if (*p == '"' || *p == '\\') {
      esc[0] = '\\';
      esc[1] = (char) *p;
      esc[2] = '\0';
      dt_str_add (b, esc);
    } else if (*p < 0x20) {
      snprintf (esc, sizeof (esc), "\\u%04x", *p);
      dt_str_add (b, esc);
    } else {
      esc[0] = (char) *p;
      esc[1] = '\0';
      dt_str_add (b, esc);
    }
  }
  dt_str_add (b, "\"");
}

char *
dt_strdup (const char *s)
{
  size_t n = strlen (s) + 1;
  char *d = malloc (n);
  if (d)
    memcpy (d, s, n);
  return d;
}

double
dt_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

int
dt_is_dir (const char *path)
{
  struct stat sb;
  return stat (path, &sb) == 0 && S_ISDIR (sb.st_mode);
}

int
dt_is_file (const char *path)
{
  struct stat sb;
  return stat (path, &sb) == 0 && S_ISREG (sb.st_mode);
}

char *
dt_path_join (const char *dir, const char *name)
{
  size_t a = strlen (dir), b = strlen (name);
  char *p = malloc (a + b + 2);
  if (!p)
    return NULL;
  memcpy (p, dir, a);
  p[a] = '/';
  memcpy (p + a + 1, name, b + 1);
  return p;
}

dlnn_code
dt_mkdir (const char *path, dlnn_status * st)
{
  if (mkdir (path, 0777) == 0 || (errno == EEXIST && dt_is_dir (path)))
    return DLNN_OK;
  return dlnn_status_set (st, DLNN_ERR_IO, "cannot create directory '%s': %s",
      path, strerror (errno));
}

void
dt_rmdir_files (const char *path)
{
  DIR *d = opendir (path);
  struct dirent *de;

  if (!d)
    return;
  while ((de = readdir (d))) {
    if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.'
                && !de->d_name[2])))
      continue;
    char *p = dt_path_join (path, de->d_name);
    if (p)
      unlink (p);
    free (p);
  }
  closedir (d);
  rmdir (path);
}

dlnn_code
dt_write_file_atomic (const char *path, const void *data, size_t len,
    dlnn_status * st)
{
  size_t n = strlen (path);
  char *tmp = malloc (n + 16);
  FILE *f;
  int fd, ok;

  if (!tmp)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  memcpy (tmp, path, n);
  memcpy (tmp + n, ".tmp.XXXXXX", 12);
  fd = mkstemp (tmp);
  if (fd < 0) {
    dlnn_status_set (st, DLNN_ERR_IO, "cannot create '%s': %s", tmp,
        strerror (errno));
    free (tmp);
    return DLNN_ERR_IO;
  }
  fchmod (fd, 0644);            /* mkstemp makes 0600 */

  f = fdopen (fd, "wb");
  if (!f) {
    close (fd);
    unlink (tmp);
    free (tmp);
    return dlnn_status_set (st, DLNN_ERR_IO, "cannot write '%s'", path);
  }
  ok = fwrite (data, 1, len, f) == len;
  ok = fflush (f) == 0 && ok;
  ok = fsync (fileno (f)) == 0 && ok;
  ok = fclose (f) == 0 && ok;
  if (ok && rename (tmp, path) != 0)
    ok = 0;
  if (!ok) {
    dlnn_status_set (st, DLNN_ERR_IO, "cannot write '%s': %s", path,
        strerror (errno));
    unlink (tmp);
    free (tmp);
    return DLNN_ERR_IO;
  }
  free (tmp);
  return DLNN_OK;
}

dlnn_code
dt_read_file (const char *path, size_t max, char **out, size_t *len,
    dlnn_status * st)
{
  FILE *f = fopen (path, "rb");
  struct stat sb;
  char *buf;
  size_t n;

  *out = NULL;
  if (!f)
    return dlnn_status_set (st, DLNN_ERR_IO, "cannot open '%s': %s", path,
        strerror (errno));
  if (fstat (fileno (f), &sb) != 0 || !S_ISREG (sb.st_mode)) {
    fclose (f);
    return dlnn_status_set (st, DLNN_ERR_IO, "'%s' is not a regular file",
        path);
  }
  if ((uint64_t) sb.st_size > max) {
    fclose (f);
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "'%s' is too large (%lld bytes, at most %zu)", path,
        (long long) sb.st_size, max);
  }
  n = (size_t) sb.st_size;
  buf = malloc (n + 1);
  if (!buf) {
    fclose (f);
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  }
  if (fread (buf, 1, n, f) != n) {
    fclose (f);
    free (buf);
    return dlnn_status_set (st, DLNN_ERR_IO, "cannot read '%s'", path);
  }
  fclose (f);
  buf[n] = '\0';
  *out = buf;
  if (len)
    *len = n;
  return DLNN_OK;
}

static uint64_t
fnv_bytes (uint64_t h, const void *p, size_t n)
{
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++) {
    h ^= b[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

uint64_t
dt_graph_checksum (const dlnn_graph * g)
{
  /* XOR of one hash per parameter: independent of the value order, which
   * differs between a built graph and a loaded one */
  uint64_t total = 0;

  for (int i = 0; i < g->n_values; i++) {
    const dlnn_value *v = &g->values[i];
    uint64_t h = 0xcbf29ce484222325ull;
    if (v->kind != DLNN_VALUE_PARAM || !v->init)
      continue;
    h = fnv_bytes (h, v->name, strlen (v->name) + 1);
    if (v->init->data)
      h = fnv_bytes (h, v->init->data, (size_t) v->init->size * 4);
    else if (v->init->idata)
      h = fnv_bytes (h, v->init->idata, (size_t) v->init->size * 8);
    total ^= h;
  }
  return total;
}
