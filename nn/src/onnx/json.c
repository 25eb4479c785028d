/* libdlnn - the two JSON shapes used in dl.* metadata: an array of strings
 * (dl.labels) and a flat object of numbers (dl.thresholds, dl.metrics).
 *
 * A strict RFC 8259 reader for just these shapes: full string escapes
 * (\uXXXX to UTF-8, surrogate pairs), raw text must be valid UTF-8,
 * numbers in JSON syntax, nothing but white space after the value. Errors
 * give the byte offset and the cause; nothing recurses. */
#include "dlnn/meta.h"
#include "meta_private.h"

#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- UTF-8 ---- */

size_t
dlnn_utf8_seq_len (const unsigned char *s, size_t len)
{
  unsigned c = s[0];
  size_t n;
  uint32_t cp;

  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (len < n)
    return 0;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = cp << 6 | (s[i] & 0x3f);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff
      || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return n;
}

size_t
dlnn_utf8_check (const char *s, size_t len)
{
  const unsigned char *u = (const unsigned char *) s;
  size_t i = 0;

  while (i < len) {
    size_t n = dlnn_utf8_seq_len (u + i, len - i);
    if (!n)
      return i;
    i += n;
  }
  return len;
}

/* ---- growable buffer ---- */

typedef struct buf
{
  char *p;
  size_t n, cap;
} buf;

static int
buf_put (buf * b, const char *s, size_t len)
{
  if (b->n + len + 1 > b->cap) {
    size_t ncap = b->cap ? b->cap : 32;
    char *np;
    while (ncap < b->n + len + 1) {
      if (ncap > SIZE_MAX / 2)
        return 0;
      ncap *= 2;
    }
    np = realloc (b->p, ncap);
    if (!np)
      return 0;
    b->p = np;
    b->cap = ncap;
  }
  memcpy (b->p + b->n, s, len);
  b->n += len;
  b->p[b->n] = '\0';
  return 1;
}

static int
buf_putc (buf * b, char c)
{
  return buf_put (b, &c, 1);
}

/* ---- reader ---- */

typedef struct reader
{
  const char *s;
  size_t pos;
  dlnn_status *st;
} reader;

static dlnn_code
fail (reader * r, dlnn_code code, const char *what)
{
  return dlnn_status_set (r->st, code, "invalid JSON at offset %zu: %s",
      r->pos, what);
}

static void
skip_ws (reader * r)
{
  while (r->s[r->pos] == ' ' || r->s[r->pos] == '\t'
      || r->s[r->pos] == '\n' || r->s[r->pos] == '\r')
    r->pos++;
}

static int
hex4 (const char *s, uint32_t * out)
{
  uint32_t v = 0;

  for (int i = 0; i < 4; i++) {
    char c = s[i];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= (uint32_t) (c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= (uint32_t) (c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= (uint32_t) (c - 'A' + 10);
    else
      return 0;
  }
  *out = v;
  return 1;
}

static int
put_utf8 (buf * b, uint32_t cp)
{
  char o[4];
  size_t n;

  if (cp < 0x80) {
    o[0] = (char) cp;
    n = 1;
  } else if (cp < 0x800) {
    o[0] = (char) (0xc0 | cp >> 6);
    o[1] = (char) (0x80 | (cp & 0x3f));
    n = 2;
  } else if (cp < 0x10000) {
    o[0] = (char) (0xe0 | cp >> 12);
    o[1] = (char) (0x80 | (cp >> 6 & 0x3f));
    o[2] = (char) (0x80 | (cp & 0x3f));
    n = 3;
  } else {
    o[0] = (char) (0xf0 | cp >> 18);
    o[1] = (char) (0x80 | (cp >> 12 & 0x3f));
    o[2] = (char) (0x80 | (cp >> 6 & 0x3f));
    o[3] = (char) (0x80 | (cp & 0x3f));
    n = 4;
  }
  return buf_put (b, o, n);
}

/* Parses the string starting at the opening quote; *out is malloc()ed. */
static dlnn_code
parse_string (reader * r, char **out)
{
  buf b = { 0 };
  const unsigned char *u = (const unsigned char *) r->s;

  *out = NULL;
  if (r->s[r->pos] != '"')
    return fail (r, DLNN_ERR_FORMAT, "expected a string");
  r->pos++;
  if (!buf_put (&b, "", 0))
    goto nomem;
  for (;;) {
    unsigned char c = u[r->pos];
    if (c == '"') {
      r->pos++;
      break;
    }
    if (c == '\0') {
      free (b.p);
      return fail (r, DLNN_ERR_FORMAT, "unterminated string");
    }
    if (c < 0x20) {
      free (b.p);
      return fail (r, DLNN_ERR_FORMAT,
          "control character in string (must be escaped)");
    }
    if (c == '\\') {
      char e = r->s[r->pos + 1];
      const char *simple = NULL;
      switch (e) {
        case '"':
          simple = "\"";
          break;
        case '\\':
          simple = "\\";
          break;
        case '/':
          simple = "/";
          break;
        case 'b':
          simple = "\b";
          break;
        case 'f':
          simple = "\f";
          break;
        case 'n':
          simple = "\n";
          break;
        case 'r':
          simple = "\r";
          break;
        case 't':
          simple = "\t";
          break;
        case 'u':
          break;
        default:
          free (b.p);
          r->pos++;
          return fail (r, DLNN_ERR_FORMAT, "invalid escape in string");
      }
      if (simple) {
        if (!buf_putc (&b, simple[0]))
          goto nomem;
        r->pos += 2;
        continue;
      }
      {
        uint32_t cp, lo;
        if (!hex4 (r->s + r->pos + 2, &cp)) {
          free (b.p);
          return fail (r, DLNN_ERR_FORMAT, "invalid \\u escape");
        }
        r->pos += 6;
        if (cp >= 0xdc00 && cp <= 0xdfff) {
          free (b.p);
          return fail (r, DLNN_ERR_FORMAT,
              "lone low surrogate in \\u escape");
        }
        if (cp >= 0xd800 && cp <= 0xdbff) {
          if (r->s[r->pos] != '\\' || r->s[r->pos + 1] != 'u'
              || !hex4 (r->s + r->pos + 2, &lo) || lo < 0xdc00
              || lo > 0xdfff) {
            free (b.p);
            return fail (r, DLNN_ERR_FORMAT,
                "high surrogate not followed by a low surrogate");
          }
          r->pos += 6;
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        if (cp == 0) {
          free (b.p);
          return fail (r, DLNN_ERR_UNSUPPORTED,
              "\\u0000 (NUL) in a string is not supported");
        }
        if (!put_utf8 (&b, cp))
          goto nomem;
      }
      continue;
    }
    {
      /* 4 is safe: the terminating NUL is never a continuation byte */
      size_t n = dlnn_utf8_seq_len (u + r->pos, 4);
      if (!n) {
        free (b.p);
        return fail (r, DLNN_ERR_FORMAT, "invalid UTF-8 in string");
      }
      if (!buf_put (&b, r->s + r->pos, n))
        goto nomem;
      r->pos += n;
    }
  }
  *out = b.p;
  return DLNN_OK;

nomem:
  free (b.p);
  return dlnn_status_set (r->st, DLNN_ERR_NOMEM, "out of memory");
}

/* A JSON number, converted independently of the C locale. */
static dlnn_code
parse_number (reader * r, double *out)
{
  const char *s = r->s;
  size_t start = r->pos, p = r->pos;
  const char *dp = localeconv ()->decimal_point;
  buf b = { 0 };
  char *end;
  double v;

  if (s[p] == '-')
    p++;
  if (s[p] == '0') {
    p++;
  } else if (s[p] >= '1' && s[p] <= '9') {
    while (s[p] >= '0' && s[p] <= '9')
      p++;
  } else {
    return fail (r, DLNN_ERR_FORMAT, "expected a number");
  }
  if (s[p] == '.') {
    p++;
    if (!(s[p] >= '0' && s[p] <= '9')) {
      r->pos = p;
      return fail (r, DLNN_ERR_FORMAT, "expected a digit after '.'");
    }
    while (s[p] >= '0' && s[p] <= '9')
      p++;
  }
  if (s[p] == 'e' || s[p] == 'E') {
    p++;
    if (s[p] == '+' || s[p] == '-')
      p++;
    if (!(s[p] >= '0' && s[p] <= '9')) {
      r->pos = p;
      return fail (r, DLNN_ERR_FORMAT, "expected a digit in the exponent");
    }
    while (s[p] >= '0' && s[p] <= '9')
      p++;
  }
  for (size_t i = start; i < p; i++) {
    int ok = s[i] == '.' ? buf_put (&b, dp, strlen (dp)) :
        buf_putc (&b, s[i]);
    if (!ok) {
      free (b.p);
      return dlnn_status_set (r->st, DLNN_ERR_NOMEM, "out of memory");
    }
  }
  v = strtod (b.p, &end);
  if (*end != '\0' || !isfinite (v)) {
    free (b.p);
    return fail (r, DLNN_ERR_FORMAT, "number out of range");
  }
  free (b.p);
  r->pos = p;
  *out = v;
  return DLNN_OK;
}

static dlnn_code
expect_end (reader * r)
{
  skip_ws (r);
  if (r->s[r->pos] != '\0')
    return fail (r, DLNN_ERR_FORMAT, "unexpected text after the value");
  return DLNN_OK;
}

/* ---- public ---- */

void
dlnn_strv_free (char **v, int n)
{
  if (!v)
    return;
  for (int i = 0; i < n; i++)
    free (v[i]);
  free (v);
}

static int
strv_push (char ***v, int *n, int *cap, char *s)
{
  if (*n == *cap) {
    int ncap = *cap ? *cap * 2 : 16;
    char **nv;
    if (*cap > (1 << 28))
      return 0;
    nv = realloc (*v, (size_t) ncap * sizeof (char *));
    if (!nv)
      return 0;
    *v = nv;
    *cap = ncap;
  }
  (*v)[(*n)++] = s;
  return 1;
}

dlnn_code
dlnn_json_parse_string_array (const char *json, char ***out, int *n,
    dlnn_status * st)
{
  reader r = { json, 0, st };
  char **v = NULL;
  int count = 0, cap = 0;
  dlnn_code ret;

  if (!out || !n)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "no output");
  *out = NULL;
  *n = 0;
  if (!json)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "no JSON text");
  skip_ws (&r);
  if (json[r.pos] != '[')
    return fail (&r, DLNN_ERR_FORMAT, "expected '[' (a JSON array)");
  r.pos++;
  skip_ws (&r);
  if (json[r.pos] == ']') {
    r.pos++;
  } else {
    for (;;) {
      char *s;
      skip_ws (&r);
      ret = parse_string (&r, &s);
      if (ret != DLNN_OK)
        goto fail;
      if (!strv_push (&v, &count, &cap, s)) {
        free (s);
        ret = dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
        goto fail;
      }
      skip_ws (&r);
      if (json[r.pos] == ',') {
        r.pos++;
        continue;
      }
      if (json[r.pos] == ']') {
        r.pos++;
        break;
      }
      ret = fail (&r, DLNN_ERR_FORMAT, "expected ',' or ']'");
      goto fail;
    }
  }
  ret = expect_end (&r);
  if (ret != DLNN_OK)
    goto fail;
  if (!v) {
    v = malloc (sizeof (char *));
    if (!v)
      return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  }
  *out = v;
  *n = count;
  return DLNN_OK;

fail:
  dlnn_strv_free (v, count);
  return ret;
}

static int
put_escaped (buf * b, const char *s)
{
  if (!buf_putc (b, '"'))
    return 0;
  for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
    char esc[8];
    const char *e = NULL;
    switch (*p) {
      case '"':
        e = "\\\"";
        break;
      case '\\':
        e = "\\\\";
        break;
      case '\b':
        e = "\\b";
        break;
      case '\f':
        e = "\\f";
        break;
      case '\n':
        e = "\\n";
        break;
      case '\r':
        e = "\\r";
        break;
      case '\t':
        e = "\\t";
        break;
      default:
        if (*p < 0x20) {
          snprintf (esc, sizeof (esc), "\\u%04x", *p);
          e = esc;
        }
    }
    if (e ? !buf_put (b, e, strlen (e)) : !buf_putc (b, (char) *p))
      return 0;
  }
  return buf_putc (b, '"');
}

char *
dlnn_json_format_string_array (const char *const *v, int n)
{
  buf b = { 0 };

  if (n < 0 || (n > 0 && !v))
    return NULL;
  if (!buf_putc (&b, '['))
    goto nomem;
  for (int i = 0; i < n; i++) {
    if (i && !buf_put (&b, ", ", 2))
      goto nomem;
    if (!put_escaped (&b, v[i] ? v[i] : ""))
      goto nomem;
  }
  if (!buf_putc (&b, ']'))
    goto nomem;
  return b.p;

nomem:
  free (b.p);
  return NULL;
}

dlnn_code
dlnn_json_parse_number_object (const char *json, char ***keys,
    double **values, int *n, dlnn_status * st)
{
  reader r = { json, 0, st };
  char **k = NULL;
  double *vals = NULL;
  int count = 0, cap = 0;
  dlnn_code ret;

  if (!keys || !values || !n)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "no output");
  *keys = NULL;
  *values = NULL;
  *n = 0;
  if (!json)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "no JSON text");
  skip_ws (&r);
  if (json[r.pos] != '{')
    return fail (&r, DLNN_ERR_FORMAT, "expected '{' (a JSON object)");
  r.pos++;
  skip_ws (&r);
  if (json[r.pos] == '}') {
    r.pos++;
  } else {
    for (;;) {
      char *key;
      double num = 0;
      int old_cap = cap;
      skip_ws (&r);
      ret = parse_string (&r, &key);
      if (ret != DLNN_OK)
        goto fail;
      for (int i = 0; i < count; i++) {
        if (strcmp (k[i], key) == 0) {
          ret = dlnn_status_set (st, DLNN_ERR_FORMAT,
              "invalid JSON at offset %zu: duplicate key \"%s\"", r.pos,
              key);
          free (key);
          goto fail;
        }
      }
      if (!strv_push (&k, &count, &cap, key)) {
        free (key);
        ret = dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
        goto fail;
      }
      if (cap != old_cap) {
        double *nv = realloc (vals, (size_t) cap * sizeof (double));
        if (!nv) {
          ret = dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
          goto fail;
        }
        vals = nv;
      }
      skip_ws (&r);
      if (json[r.pos] != ':') {
        ret = fail (&r, DLNN_ERR_FORMAT, "expected ':' after a key");
        goto fail;
      }
      r.pos++;
      skip_ws (&r);
      ret = parse_number (&r, &num);
      if (ret != DLNN_OK) {
        dlnn_status_prefix (st, "value of \"%s\"", key);
        goto fail;
      }
      vals[count - 1] = num;
      skip_ws (&r);
      if (json[r.pos] == ',') {
        r.pos++;
        continue;
      }
      if (json[r.pos] == '}') {
        r.pos++;
        break;
      }
      ret = fail (&r, DLNN_ERR_FORMAT, "expected ',' or '}'");
      goto fail;
    }
  }
  ret = expect_end (&r);
  if (ret != DLNN_OK)
    goto fail;
  if (!k) {
    k = malloc (sizeof (char *));
    vals = malloc (sizeof (double));
    if (!k || !vals) {
      free (k);
      free (vals);
      return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    }
  }
  *keys = k;
  *values = vals;
  *n = count;
  return DLNN_OK;

fail:
  dlnn_strv_free (k, count);
  free (vals);
  return ret;
}
