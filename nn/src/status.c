/* libdlnn - status messages. */
#include "dlnn/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
dlnn_status_clear (dlnn_status * st)
{
  if (!st)
    return;
  st->code = DLNN_OK;
  st->message[0] = '\0';
}

dlnn_code
dlnn_status_set (dlnn_status * st, dlnn_code code, const char *fmt, ...)
{
  va_list ap;

  if (!st)
    return code;
  st->code = code;
  va_start (ap, fmt);
  vsnprintf (st->message, sizeof (st->message), fmt, ap);
  va_end (ap);
  return code;
}

dlnn_code
dlnn_status_prefix (dlnn_status * st, const char *fmt, ...)
{
  char prefix[DLNN_STATUS_MESSAGE_SIZE];
  char old[DLNN_STATUS_MESSAGE_SIZE];
  va_list ap;

  if (!st)
    return DLNN_ERR_INVALID;
  va_start (ap, fmt);
  vsnprintf (prefix, sizeof (prefix), fmt, ap);
  va_end (ap);
  memcpy (old, st->message, sizeof (old));
  old[sizeof (old) - 1] = '\0';
  {
    size_t lp = strlen (prefix), lo = strlen (old), cap = sizeof (st->message) - 1;
    size_t pos = 0;
    if (lp > cap)
      lp = cap;
    memcpy (st->message, prefix, lp);
    pos = lp;
    if (pos + 2 <= cap) {
      memcpy (st->message + pos, ": ", 2);
      pos += 2;
    }
    if (lo > cap - pos)
      lo = cap - pos;
    memcpy (st->message + pos, old, lo);
    st->message[pos + lo] = '\0';
  }
  return st->code;
}

const char *
dlnn_code_name (dlnn_code code)
{
  switch (code) {
    case DLNN_OK:
      return "ok";
    case DLNN_ERR_INVALID:
      return "invalid argument";
    case DLNN_ERR_IO:
      return "i/o error";
    case DLNN_ERR_FORMAT:
      return "corrupt or truncated data";
    case DLNN_ERR_UNSUPPORTED:
      return "unsupported";
    case DLNN_ERR_SHAPE:
      return "shape error";
    case DLNN_ERR_NOMEM:
      return "out of memory";
    case DLNN_ERR_NUMERIC:
      return "numeric error";
  }
  return "unknown error";
}
