/* libdlnn - optimizer state file reading and writing (optim-state.h). */
#include "optim-state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Largest state file accepted: 2 slots of the largest model file. */
#define DLNN_OPTIM_STATE_MAX ((size_t) 8 << 30)
#define DLNN_OPTIM_NAME_MAX 4096u

static uint64_t
fnv1a64 (const uint8_t * p, size_t n)
{
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

void
dlnn_optim_state_writer_init (dlnn_optim_state_writer * w)
{
  memset (w, 0, sizeof (*w));
}

void
dlnn_optim_state_writer_clear (dlnn_optim_state_writer * w)
{
  free (w->buf);
  memset (w, 0, sizeof (*w));
}

static uint8_t *
put_space (dlnn_optim_state_writer * w, size_t n)
{
  if (w->failed)
    return NULL;
  if (w->len + n > w->cap) {
    size_t cap = w->cap ? w->cap : 256;
    while (cap < w->len + n)
      cap *= 2;
    uint8_t *b = realloc (w->buf, cap);
    if (!b) {
      w->failed = 1;
      return NULL;
    }
    w->buf = b;
    w->cap = cap;
  }
  w->len += n;
  return w->buf + w->len - n;
}

static void
put_u32 (dlnn_optim_state_writer * w, uint32_t v)
{
  uint8_t *p = put_space (w, 4);
  if (p)
    for (int i = 0; i < 4; i++)
      p[i] = (uint8_t) (v >> (8 * i));
}

static void
put_u64 (dlnn_optim_state_writer * w, uint64_t v)
{
  uint8_t *p = put_space (w, 8);
  if (p)
    for (int i = 0; i < 8; i++)
      p[i] = (uint8_t) (v >> (8 * i));
}

void
dlnn_optim_state_put_header (dlnn_optim_state_writer * w, uint32_t kind,
    uint32_t slots, uint32_t n_params, int64_t steps)
{
  uint8_t *p = put_space (w, 8);
  if (p)
    memcpy (p, DLNN_OPTIM_STATE_MAGIC, 8);
  put_u32 (w, DLNN_OPTIM_STATE_VERSION);
  put_u32 (w, kind);
  put_u32 (w, slots);
  put_u32 (w, n_params);
  put_u64 (w, (uint64_t) steps);
}

void
dlnn_optim_state_put_param (dlnn_optim_state_writer * w, const char *name,
    int64_t size)
{
  size_t len = strlen (name);
  uint8_t *p;

  if (len > DLNN_OPTIM_NAME_MAX)
    len = DLNN_OPTIM_NAME_MAX;
  put_u32 (w, (uint32_t) len);
  p = put_space (w, len);
  if (p)
    memcpy (p, name, len);
  put_u64 (w, (uint64_t) size);
}

void
dlnn_optim_state_put_floats (dlnn_optim_state_writer * w, const float *v,
    int64_t n)
{
  for (int64_t i = 0; i < n; i++) {
    uint32_t bits;
    memcpy (&bits, &v[i], 4);
    put_u32 (w, bits);
  }
}

dlnn_code
dlnn_optim_state_write_file (dlnn_optim_state_writer * w, const char *path,
    dlnn_status * st)
{
  size_t plen = strlen (path);
  char *tmp;
  FILE *f;
  int fd, ok;

  put_u64 (w, w->failed ? 0 : fnv1a64 (w->buf, w->len));
  if (w->failed)
    return dlnn_status_set (st, DLNN_ERR_NOMEM,
        "%s: out of memory serialising optimizer state", path);
  tmp = malloc (plen + 16);
  if (!tmp)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  memcpy (tmp, path, plen);
  memcpy (tmp + plen, ".tmp.XXXXXX", 12);
  fd = mkstemp (tmp);
  if (fd < 0) {
    int err = errno;
    free (tmp);
    return dlnn_status_set (st, DLNN_ERR_IO, "%s: cannot create: %s", path,
        strerror (err));
  }
  fchmod (fd, 0644);            /* mkstemp makes 0600 */

  f = fdopen (fd, "wb");
  if (!f) {
    int err = errno;
    close (fd);
    unlink (tmp);
    free (tmp);
    return dlnn_status_set (st, DLNN_ERR_IO, "%s: %s", path, strerror (err));
  }
  ok = fwrite (w->buf, 1, w->len, f) == w->len;
  ok = fflush (f) == 0 && ok;
  ok = fsync (fileno (f)) == 0 && ok;
  ok = fclose (f) == 0 && ok;
  if (ok && rename (tmp, path) != 0)
    ok = 0;
  if (!ok) {
    int err = errno;
    unlink (tmp);
    free (tmp);
    return dlnn_status_set (st, DLNN_ERR_IO, "%s: write failed: %s", path,
        strerror (err));
  }
  free (tmp);
  return DLNN_OK;
}

dlnn_code
dlnn_optim_state_read_file (dlnn_optim_state_reader * r, const char *path,
    dlnn_status * st)
{
  FILE *f;
  struct stat sb;
  size_t n;
  uint64_t sum = 0;

  memset (r, 0, sizeof (*r));
  r->path = path;
  f = fopen (path, "rb");
  if (!f)
    return dlnn_status_set (st, DLNN_ERR_IO, "%s: cannot open: %s", path,
        strerror (errno));
  if (fstat (fileno (f), &sb) != 0 || !S_ISREG (sb.st_mode)) {
    fclose (f);
    return dlnn_status_set (st, DLNN_ERR_IO, "%s: not a regular file", path);
  }
  if ((uint64_t) sb.st_size > DLNN_OPTIM_STATE_MAX) {
    fclose (f);
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "%s: optimizer state file of %lld bytes is absurdly large", path,
        (long long) sb.st_size);
  }
  n = (size_t) sb.st_size;
  if (n < 8 + 4 * 4 + 8 + 8) {
    fclose (f);
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "%s: truncated optimizer state (%zu bytes)", path, n);
  }
  r->buf = malloc (n);
  if (!r->buf) {
    fclose (f);
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "%s: out of memory", path);
  }
  if (fread (r->buf, 1, n, f) != n) {
    fclose (f);
    dlnn_optim_state_reader_clear (r);
    return dlnn_status_set (st, DLNN_ERR_IO, "%s: read failed", path);
  }
  fclose (f);
  if (memcmp (r->buf, DLNN_OPTIM_STATE_MAGIC, 8) != 0) {
    dlnn_optim_state_reader_clear (r);
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "%s: not an optimizer state file (bad magic)", path);
  }
  r->len = n - 8;
  for (int i = 0; i < 8; i++)
    sum |= (uint64_t) r->buf[r->len + i] << (8 * i);
  if (sum != fnv1a64 (r->buf, r->len)) {
    dlnn_optim_state_reader_clear (r);
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "%s: optimizer state is truncated or corrupt (checksum mismatch)",
        path);
  }
  r->pos = 8;
  return DLNN_OK;
}

void
dlnn_optim_state_reader_clear (dlnn_optim_state_reader * r)
{
  free (r->buf);
  r->buf = NULL;
  r->len = r->pos = 0;
}

static int
get_u32 (dlnn_optim_state_reader * r, uint32_t * v)
{
  if (r->len - r->pos < 4)
    return 0;
  *v = 0;
  for (int i = 0; i < 4; i++)
    *v |= (uint32_t) r->buf[r->pos + i] << (8 * i);
  r->pos += 4;
  return 1;
}

static int
get_u64 (dlnn_optim_state_reader * r, uint64_t * v)
{
  if (r->len - r->pos < 8)
    return 0;
  *v = 0;
  for (int i = 0; i < 8; i++)
    *v |= (uint64_t) r->buf[r->pos + i] << (8 * i);
  r->pos += 8;
  return 1;
}

dlnn_code
dlnn_optim_state_get_header (dlnn_optim_state_reader * r, uint32_t * kind,
    uint32_t * slots, uint32_t * n_params, int64_t * steps, dlnn_status * st)
{
  uint32_t version;
  uint64_t t;

  if (!get_u32 (r, &version) || !get_u32 (r, kind) || !get_u32 (r, slots) ||
      !get_u32 (r, n_params) || !get_u64 (r, &t))
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "%s: truncated optimizer state header", r->path);
  if (version != DLNN_OPTIM_STATE_VERSION)
    return dlnn_status_set (st, DLNN_ERR_UNSUPPORTED,
        "%s: optimizer state version %u, expected %u", r->path, version,
        DLNN_OPTIM_STATE_VERSION);
  *steps = (int64_t) t;
  return DLNN_OK;
}

dlnn_code
dlnn_optim_state_check_param (dlnn_optim_state_reader * r, const char *name,
    int64_t size, dlnn_status * st)
{
  uint32_t len;
  uint64_t n;
  size_t want = strlen (name);

  if (want > DLNN_OPTIM_NAME_MAX)
    want = DLNN_OPTIM_NAME_MAX;
  if (!get_u32 (r, &len))
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "truncated parameter record for '%s'", name);
  if (len > DLNN_OPTIM_NAME_MAX || len > r->len - r->pos)
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "parameter name length %u exceeds the file", len);
  if (len != want || memcmp (r->buf + r->pos, name, len) != 0)
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "state is for parameter '%.*s', the model has '%s' here",
        (int) (len > 200 ? 200 : len), (const char *) r->buf + r->pos, name);
  r->pos += len;
  if (!get_u64 (r, &n))
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "truncated parameter record for '%s'", name);
  if (n != (uint64_t) size)
    return dlnn_status_set (st, DLNN_ERR_SHAPE,
        "parameter '%s' has %llu elements in the state, %lld in the model",
        name, (unsigned long long) n, (long long) size);
  return DLNN_OK;
}

dlnn_code
dlnn_optim_state_get_floats (dlnn_optim_state_reader * r, float *v,
    int64_t n, dlnn_status * st)
{
  size_t remain = r->len - r->pos;

  if (n < 0 || remain / 4 != (uint64_t) n || remain % 4 != 0)
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "optimizer state holds %zu bytes of moments, expected %lld floats",
        remain, (long long) n);
  for (int64_t i = 0; i < n; i++) {
    uint32_t bits = 0;
    get_u32 (r, &bits);
    memcpy (&v[i], &bits, 4);
  }
  return DLNN_OK;
}
