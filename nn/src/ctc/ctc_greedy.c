/* CTC best-path decoding and the dl.ctc metadata value. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctc_private.h"

dlnn_code
dlnn_ctc_parse_meta (const char *value, int *blank, dlnn_status * st)
{
  const char *p = value;
  if (!blank)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "dl.ctc: NULL argument");
  *blank = 0;
  if (!value)
    return DLNN_OK;
  while (*p) {
    const char *end = strchr (p, ';');
    size_t len = end ? (size_t) (end - p) : strlen (p);
    if (len == 0) {
      /* empty item, e.g. a trailing ';' */
    } else if (len > 6 && strncmp (p, "blank=", 6) == 0) {
      char buf[32], *e;
      long v;
      if (len - 6 >= sizeof (buf))
        return dlnn_status_set (st, DLNN_ERR_FORMAT,
            "dl.ctc: blank value too long");
      memcpy (buf, p + 6, len - 6);
      buf[len - 6] = '\0';
      errno = 0;
      v = strtol (buf, &e, 10);
      if (errno || *e || e == buf || v < 0 || v > INT32_MAX)
        return dlnn_status_set (st, DLNN_ERR_FORMAT,
            "dl.ctc: bad blank index '%s'", buf);
      *blank = (int) v;
    } else {
      return dlnn_status_set (st, DLNN_ERR_FORMAT,
          "dl.ctc: unknown item '%.*s' (expected blank=N)", (int) len, p);
    }
    p += len;
    if (*p == ';')
      p++;
  }
  return DLNN_OK;
}

dlnn_code
dlnn_ctc_greedy (const float *input, int64_t T, int64_t C, int blank,
    int input_is_logits, dlnn_ctc_token * tokens, int64_t max_tokens,
    int64_t *n_tokens, float *path_logp, dlnn_status * st)
{
  int64_t t, c, n = 0;
  int32_t prev = -1;
  double sum = 0.0;

  if (!input || !n_tokens || (max_tokens > 0 && !tokens))
    return dlnn_status_set (st, DLNN_ERR_INVALID, "ctc greedy: NULL argument");
  if (T < 0 || C < 2 || C > INT32_MAX)
    return dlnn_status_set (st, DLNN_ERR_SHAPE,
        "ctc greedy: bad shape T=%lld C=%lld", (long long) T, (long long) C);
  if (blank < 0 || blank >= C)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "ctc greedy: blank %d outside [0, %lld)", blank, (long long) C);
  *n_tokens = 0;
  for (t = 0; t < T; t++) {
    const float *x = input + t * C;
    int32_t best = 0;
    double lse = 0.0, lpb;
    for (c = 0; c < C; c++) {
      if (isnan (x[c]))
        return dlnn_status_set (st, DLNN_ERR_NUMERIC,
            "ctc greedy: NaN at frame %lld", (long long) t);
      if (x[c] > x[best])
        best = (int32_t) c;
    }
    if (input_is_logits)
      lse = dlnn_ctc_logsumexp_f (x, C);
    lpb = (double) x[best] - lse;
    sum += lpb;
    if (best != blank) {
      float conf = (float) exp (lpb);
      if (best == prev) {
        dlnn_ctc_token *k = &tokens[n - 1];
        k->end = (int32_t) t;
        if (conf > k->confidence)
          k->confidence = conf;
      } else {
        if (n >= max_tokens)
          return dlnn_status_set (st, DLNN_ERR_INVALID,
              "ctc greedy: more than %lld tokens", (long long) max_tokens);
        tokens[n].id = best;
        tokens[n].start = tokens[n].end = (int32_t) t;
        tokens[n].confidence = conf;
        n++;
      }
    }
    prev = best;
  }
  *n_tokens = n;
  if (path_logp)
    *path_logp = (float) sum;
  return DLNN_OK;
}
