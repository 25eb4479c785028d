/* libdlnn - number and name parsing shared by the key=value metadata
 * grammars (dl.image, dl.audio). Locale-independent. */
#include "kv.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* strtof in the C locale, whole string, finite. */
int
dlnn_kv_parse_float (const char *s, float *out)
{
  locale_t c_loc, old;
  char *end = NULL;
  float v;
  int saved;

  if (!*s)
    return -1;
  c_loc = newlocale (LC_NUMERIC_MASK, "C", (locale_t) 0);
  if (c_loc == (locale_t) 0)
    return -1;
  old = uselocale (c_loc);
  saved = errno;
  errno = 0;
  v = strtof (s, &end);
  if (errno == ERANGE && fabsf (v) > 1.0f)
    end = NULL;
  errno = saved;
  uselocale (old);
  freelocale (c_loc);
  if (!end || *end != '\0' || !isfinite (v))
    return -1;
  *out = v;
  return 0;
}

int
dlnn_kv_parse_int (const char *s, int *out)
{
  long v = 0;

  if (!*s)
    return -1;
  for (; *s; s++) {
    if (*s < '0' || *s > '9')
      return -1;
    v = v * 10 + (*s - '0');
    if (v > 1000000000L)
      return -1;
  }
  *out = (int) v;
  return 0;
}

int
dlnn_kv_parse_enum (const char *s, const char *const *names, int n)
{
  int i;

  for (i = 0; i < n; i++)
    if (strcmp (s, names[i]) == 0)
      return i;
  return -1;
}


/* Shortest %.Ng (N = 6..9) that reads back to @v, in the C locale. */
void
dlnn_kv_format_float (char *buf, size_t size, float v)
{
  locale_t c_loc, old = (locale_t) 0;
  int prec;

  c_loc = newlocale (LC_NUMERIC_MASK, "C", (locale_t) 0);
  if (c_loc != (locale_t) 0)
    old = uselocale (c_loc);
  for (prec = 6; prec <= 9; prec++) {
    snprintf (buf, size, "%.*g", prec, (double) v);
    if (strtof (buf, NULL) == v)
      break;
  }
  if (c_loc != (locale_t) 0) {
    uselocale (old);
    freelocale (c_loc);
  }
}
