/* dltrain - NumPy .npy float32 arrays (see npy.h). */
#include "npy.h"
#include "dltrain.h"

#include <stdlib.h>
#include <string.h>

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6

/* A cursor over the header text. */
typedef struct npy_lex
{
  const char *p, *end;
  const char *name;             /* file name for messages */
  dlnn_status *st;
} npy_lex;

static dlnn_code
npy_bad (npy_lex * lx, const char *what)
{
  return dlnn_status_set (lx->st, DLNN_ERR_FORMAT,
      "'%s': invalid .npy header: %s", lx->name, what);
}

static void
npy_skip_ws (npy_lex * lx)
{
  while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t'
          || *lx->p == '\n' || *lx->p == '\r'))
    lx->p++;
}

/* A quoted Python string without escapes into @buf. */
static dlnn_code
npy_string (npy_lex * lx, char *buf, size_t len)
{
  char q;
  size_t n = 0;

  npy_skip_ws (lx);
  if (lx->p >= lx->end || (*lx->p != '\'' && *lx->p != '"'))
    return npy_bad (lx, "expected a quoted string");
  q = *lx->p++;
  while (lx->p < lx->end && *lx->p != q) {
    if (*lx->p == '\\' || *lx->p == '\n')
      return npy_bad (lx, "unsupported character in a string");
    if (n + 1 >= len)
      return npy_bad (lx, "string too long");
    buf[n++] = *lx->p++;
  }
  if (lx->p >= lx->end)
    return npy_bad (lx, "unterminated string");
  lx->p++;
  buf[n] = '\0';
  return DLNN_OK;
}

static int
npy_word (npy_lex * lx, const char *w)
{
  size_t n = strlen (w);

  if ((size_t) (lx->end - lx->p) >= n && memcmp (lx->p, w, n) == 0) {
    lx->p += n;
    return 1;
  }
  return 0;
}

static dlnn_code
npy_bool (npy_lex * lx, int *out)
{
  npy_skip_ws (lx);
  if (npy_word (lx, "True"))
    *out = 1;
  else if (npy_word (lx, "False"))
    *out = 0;
  else
    return npy_bad (lx, "fortran_order is not True or False");
  return DLNN_OK;
}

/* A tuple of non-negative integers: (), (3,), (2, 3), (2, 3,). */
static dlnn_code
npy_shape (npy_lex * lx, dt_npy * a)
{
  npy_skip_ws (lx);
  if (lx->p >= lx->end || *lx->p != '(')
    return npy_bad (lx, "shape is not a tuple");
  lx->p++;
  a->ndim = 0;
  for (;;) {
    int64_t v = 0;
    int digits = 0;

    npy_skip_ws (lx);
    if (lx->p < lx->end && *lx->p == ')')
      break;
    while (lx->p < lx->end && *lx->p >= '0' && *lx->p <= '9') {
      if (v > (INT64_MAX - 9) / 10)
        return npy_bad (lx, "shape dimension too large");
      v = v * 10 + (*lx->p++ - '0');
      digits++;
    }
    if (!digits)
      return npy_bad (lx, "shape holds something other than integers");
    if (lx->p < lx->end && *lx->p == 'L')
      lx->p++;                  /* Python 2 long */
    if (a->ndim >= DLNN_MAX_DIMS)
      return dlnn_status_set (lx->st, DLNN_ERR_UNSUPPORTED,
          "'%s': more than %d dimensions", lx->name, DLNN_MAX_DIMS);
    a->dims[a->ndim++] = v;
    npy_skip_ws (lx);
    if (lx->p < lx->end && *lx->p == ',') {
      lx->p++;
      continue;
    }
    if (lx->p < lx->end && *lx->p == ')')
      break;
    return npy_bad (lx, "shape tuple is not closed");
  }
  lx->p++;
  return DLNN_OK;
}

static dlnn_code
npy_header (npy_lex * lx, dt_npy * a)
{
  char key[32], descr[32];
  int have_descr = 0, have_fortran = 0, have_shape = 0, fortran = 0;
  dlnn_code ret;

  npy_skip_ws (lx);
  if (lx->p >= lx->end || *lx->p != '{')
    return npy_bad (lx, "not a dict");
  lx->p++;
  for (;;) {
    npy_skip_ws (lx);
    if (lx->p < lx->end && *lx->p == '}')
      break;
    if ((ret = npy_string (lx, key, sizeof (key))) != DLNN_OK)
      return ret;
    npy_skip_ws (lx);
    if (lx->p >= lx->end || *lx->p != ':')
      return npy_bad (lx, "expected ':' after a key");
    lx->p++;
    if (strcmp (key, "descr") == 0 && !have_descr) {
      ret = npy_string (lx, descr, sizeof (descr));
      have_descr = 1;
    } else if (strcmp (key, "fortran_order") == 0 && !have_fortran) {
      ret = npy_bool (lx, &fortran);
      have_fortran = 1;
    } else if (strcmp (key, "shape") == 0 && !have_shape) {
      ret = npy_shape (lx, a);
      have_shape = 1;
    } else {
      return dlnn_status_set (lx->st, DLNN_ERR_FORMAT,
          "'%s': invalid .npy header: unexpected or repeated key '%s'",
          lx->name, key);
    }
    if (ret != DLNN_OK)
      return ret;
    npy_skip_ws (lx);
    if (lx->p < lx->end && *lx->p == ',') {
      lx->p++;
      continue;
    }
    if (lx->p < lx->end && *lx->p == '}')
      break;
    return npy_bad (lx, "expected ',' or '}'");
  }
  lx->p++;
  npy_skip_ws (lx);
  while (lx->p < lx->end && *lx->p == '\0')
    lx->p++;                    /* some writers pad with NULs */
  if (lx->p != lx->end)
    return npy_bad (lx, "text after the dict");
  if (!have_descr || !have_fortran || !have_shape)
    return npy_bad (lx, "the keys descr, fortran_order and shape are "
        "required");
  if (strcmp (descr, "<f4") != 0)
    return dlnn_status_set (lx->st, DLNN_ERR_UNSUPPORTED,
        "'%s': dtype '%s' is not supported: need float32 '<f4' "
        "(numpy: a.astype('<f4'))", lx->name, descr);
  if (fortran)
    return dlnn_status_set (lx->st, DLNN_ERR_UNSUPPORTED,
        "'%s': fortran_order True is not supported: need C order "
        "(numpy: np.ascontiguousarray(a))", lx->name);
  return DLNN_OK;
}

static uint32_t
le32 (const unsigned char *b)
{
  return (uint32_t) b[0] | (uint32_t) b[1] << 8 | (uint32_t) b[2] << 16 |
      (uint32_t) b[3] << 24;
}

dlnn_code
dt_npy_parse (const void *buf, size_t len, const char *name, dt_npy * out,
    dlnn_status * st)
{
  const unsigned char *b = buf;
  size_t hlen, off, need;
  dt_npy a;
  npy_lex lx;
  dlnn_code ret;
  char shape[160];
  int major;

  memset (out, 0, sizeof (*out));
  memset (&a, 0, sizeof (a));
  if (len < NPY_MAGIC_LEN + 2 || memcmp (b, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "'%s' is not a .npy file (no \\x93NUMPY magic)", name);
  major = b[6];
  if (major == 1) {
    if (len < 10)
      goto truncated_header;
    hlen = (size_t) b[8] | (size_t) b[9] << 8;
    off = 10;
  } else if (major == 2 || major == 3) {
    if (len < 12)
      goto truncated_header;
    hlen = le32 (b + 8);
    off = 12;
  } else {
    return dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
        "'%s': .npy format version %d.%d is not supported (1.0, 2.0, 3.0 "
        "are)", name, major, b[7]);
  }
  if (hlen > len - off)
    goto truncated_header;

  lx.p = (const char *) b + off;
  lx.end = lx.p + hlen;
  lx.name = name;
  lx.st = st;
  if ((ret = npy_header (&lx, &a)) != DLNN_OK)
    return ret;
  off += hlen;

  a.size = dlnn_shape_size (a.ndim, a.dims, st);
  if (a.size < 0)
    return dlnn_status_prefix (st, "'%s'", name);
  need = (size_t) a.size * sizeof (float);
  dlnn_shape_str (a.ndim, a.dims, shape, sizeof (shape));
  if (len - off < need)
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "'%s': truncated data: shape %s needs %zu bytes, only %zu present",
        name, shape, need, len - off);
  if (len - off > need)
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "'%s': %zu bytes after the data of shape %s (header and data "
        "disagree)", name, len - off - need, shape);

  a.data = malloc (need ? need : sizeof (float));
  if (!a.data)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  for (int64_t i = 0; i < a.size; i++) {
    uint32_t u = le32 (b + off + (size_t) i * 4);
    memcpy (&a.data[i], &u, sizeof (float));
  }
  *out = a;
  return DLNN_OK;

truncated_header:
  return dlnn_status_set (st, DLNN_ERR_FORMAT,
      "'%s': truncated .npy header", name);
}

dlnn_code
dt_npy_read (const char *path, dt_npy * out, dlnn_status * st)
{
  char *buf;
  size_t len;
  dlnn_code ret;

  memset (out, 0, sizeof (*out));
  ret = dt_read_file (path, DT_NPY_MAX_FILE_SIZE, &buf, &len, st);
  if (ret != DLNN_OK)
    return ret;
  ret = dt_npy_parse (buf, len, path, out, st);
  free (buf);
  return ret;
}

dlnn_code
dt_npy_write (const char *path, int ndim, const int64_t * dims,
    const float *data, dlnn_status * st)
{
  dt_str h;
  int64_t size;
  size_t total, pad, off;
  unsigned char *buf;
  dlnn_code ret;

  size = dlnn_shape_size (ndim, dims, st);
  if (size < 0)
    return DLNN_ERR_INVALID;

  dt_str_init (&h);
  dt_str_add (&h, "{'descr': '<f4', 'fortran_order': False, 'shape': (");
  for (int i = 0; i < ndim; i++)
    dt_str_addf (&h, "%s%lld", i ? ", " : "", (long long) dims[i]);
  dt_str_add (&h, ndim == 1 ? ",), }" : "), }");
  if (h.failed) {
    dt_str_free (&h);
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  }
  /* magic + version + uint16 length + header + '\n', a multiple of 64 */
  pad = 63 - (10 + h.len) % 64;
  if (10 + h.len + pad + 1 > 0xffff + 10) {
    dt_str_free (&h);
    return dlnn_status_set (st, DLNN_ERR_INVALID, "header too long");
  }
  off = 10 + h.len + pad + 1;
  total = off + (size_t) size * 4;
  buf = malloc (total);
  if (!buf) {
    dt_str_free (&h);
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  }
  memcpy (buf, NPY_MAGIC, NPY_MAGIC_LEN);
  buf[6] = 1;
  buf[7] = 0;
  buf[8] = (unsigned char) ((off - 10) & 0xff);
  buf[9] = (unsigned char) ((off - 10) >> 8);
  memcpy (buf + 10, h.s, h.len);
  memset (buf + 10 + h.len, ' ', pad);
  buf[off - 1] = '\n';
  dt_str_free (&h);
  for (int64_t i = 0; i < size; i++) {
    uint32_t u;
    unsigned char *o = buf + off + (size_t) i * 4;
    memcpy (&u, &data[i], sizeof (u));
    o[0] = (unsigned char) u;
    o[1] = (unsigned char) (u >> 8);
    o[2] = (unsigned char) (u >> 16);
    o[3] = (unsigned char) (u >> 24);
  }
  ret = dt_write_file_atomic (path, buf, total, st);
  free (buf);
  return ret;
}

void
dt_npy_clear (dt_npy * a)
{
  if (!a)
    return;
  free (a->data);
  memset (a, 0, sizeof (*a));
}
