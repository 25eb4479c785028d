/* libdlnn - labels files: one UTF-8 label per line. */
#include "dlnn/meta.h"
#include "meta_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Far more than any label list; guards against being handed a video. */
#define LABELS_MAX_BYTES ((long) 16 << 20)
#define LABELS_MAX_COUNT (1 << 20)

static dlnn_code
split_lines (const char *path, char *text, size_t len, char ***out, int *n,
    dlnn_status * st)
{
  char **v = NULL;
  int count = 0, last_nonempty = 0, line = 0;
  size_t pos = 0;

  /* a UTF-8 byte order mark is allowed and skipped */
  if (len >= 3 && memcmp (text, "\xef\xbb\xbf", 3) == 0)
    pos = 3;
  while (pos < len) {
    char *nl = memchr (text + pos, '\n', len - pos);
    size_t end = nl ? (size_t) (nl - text) : len;
    size_t l = end - pos;
    size_t bad;
    char *s, **nv;

    line++;
    if (l > 0 && text[pos + l - 1] == '\r')
      l--;
    if (memchr (text + pos, '\0', l)) {
      dlnn_strv_free (v, count);
      return dlnn_status_set (st, DLNN_ERR_FORMAT,
          "%s: line %d contains a NUL byte (not a text file?)", path, line);
    }
    bad = dlnn_utf8_check (text + pos, l);
    if (bad != l) {
      dlnn_strv_free (v, count);
      return dlnn_status_set (st, DLNN_ERR_FORMAT,
          "%s: line %d is not valid UTF-8 (byte %zu)", path, line, bad + 1);
    }
    if (count >= LABELS_MAX_COUNT) {
      dlnn_strv_free (v, count);
      return dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
          "%s: more than %d labels", path, LABELS_MAX_COUNT);
    }
    s = malloc (l + 1);
    nv = realloc (v, (size_t) (count + 1) * sizeof (char *));
    if (!s || !nv) {
      free (s);
      dlnn_strv_free (nv ? nv : v, count);
      return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    }
    v = nv;
    memcpy (s, text + pos, l);
    s[l] = '\0';
    v[count++] = s;
    if (l > 0)
      last_nonempty = count;
    pos = nl ? end + 1 : len;
  }
  /* empty trailing lines are ignored */
  for (int i = last_nonempty; i < count; i++)
    free (v[i]);
  count = last_nonempty;
  if (count == 0) {
    free (v);
    return dlnn_status_set (st, DLNN_ERR_FORMAT, "%s: no labels", path);
  }
  *out = v;
  *n = count;
  return DLNN_OK;
}

dlnn_code
dlnn_labels_read_file (const char *path, char ***out, int *n,
    dlnn_status * st)
{
  FILE *f;
  char *text;
  long size;
  size_t got;
  dlnn_code ret;

  if (!out || !n)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "no output");
  *out = NULL;
  *n = 0;
  if (!path || !*path)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "no labels file given");
  f = fopen (path, "rb");
  if (!f)
    return dlnn_status_set (st, DLNN_ERR_IO, "%s: cannot open: %s", path,
        strerror (errno));
  if (fseek (f, 0, SEEK_END) != 0 || (size = ftell (f)) < 0
      || fseek (f, 0, SEEK_SET) != 0) {
    ret = dlnn_status_set (st, DLNN_ERR_IO, "%s: cannot read: %s", path,
        strerror (errno));
    fclose (f);
    return ret;
  }
  if (size > LABELS_MAX_BYTES) {
    fclose (f);
    return dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
        "%s: %ld bytes is too large for a labels file (limit %ld)", path,
        size, LABELS_MAX_BYTES);
  }
  text = malloc ((size_t) size + 1);
  if (!text) {
    fclose (f);
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  }
  got = fread (text, 1, (size_t) size, f);
  if (ferror (f)) {
    ret = dlnn_status_set (st, DLNN_ERR_IO, "%s: cannot read: %s", path,
        strerror (errno));
    free (text);
    fclose (f);
    return ret;
  }
  fclose (f);
  text[got] = '\0';
  ret = split_lines (path, text, got, out, n, st);
  free (text);
  return ret;
}
