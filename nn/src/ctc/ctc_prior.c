/* dl.ctc_prior: per-class log priors of a CTC model (a JSON array of
 * numbers), for prior division in the beam search (class_offset). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctc_private.h"

static const char *
skip_ws (const char *p)
{
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
    p++;
  return p;
}

dlnn_code
dlnn_ctc_parse_prior (const char *json, int64_t n_classes, float *log_prior,
    dlnn_status * st)
{
  const char *p;
  int64_t n = 0;

  if (!json || !log_prior || n_classes < 1)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "dl.ctc_prior: bad argument");
  p = skip_ws (json);
  if (*p != '[')
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "dl.ctc_prior: not a JSON array");
  p = skip_ws (p + 1);
  if (*p == ']')
    p = skip_ws (p + 1);
  else
    for (;;) {
      char *end;
      double v;
      errno = 0;
      v = strtod (p, &end);
      if (end == p || errno == ERANGE || !isfinite (v))
        return dlnn_status_set (st, DLNN_ERR_FORMAT,
            "dl.ctc_prior: item %lld is not a finite number", (long long) n);
      if (n >= n_classes)
        return dlnn_status_set (st, DLNN_ERR_FORMAT,
            "dl.ctc_prior: more than %lld numbers (the model's classes)",
            (long long) n_classes);
      log_prior[n++] = (float) v;
      p = skip_ws (end);
      if (*p == ',') {
        p = skip_ws (p + 1);
        continue;
      }
      if (*p != ']')
        return dlnn_status_set (st, DLNN_ERR_FORMAT,
            "dl.ctc_prior: expected ',' or ']' after item %lld",
            (long long) (n - 1));
      p = skip_ws (p + 1);
      break;
    }
  if (*p)
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "dl.ctc_prior: text after the array");
  if (n != n_classes)
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "dl.ctc_prior: %lld numbers for %lld classes", (long long) n,
        (long long) n_classes);
  return DLNN_OK;
}
