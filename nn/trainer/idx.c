/* dltrain - IDX files (MNIST / Fashion-MNIST), gzipped or plain.
 *
 * Format: big-endian u32 magic 0x0000TTDD (TT = 0x08 unsigned bytes,
 * DD = number of dimensions), DD big-endian u32 dimensions, then the data.
 * Images: 3 dims (count, rows, cols); labels: 1 dim (count). */
#include "dltrain.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define IDX_MAX_SIDE 16384
#define IDX_MAX_BYTES ((uint64_t) 4 << 30)

typedef struct
{
  gzFile f;
  const char *path;
} idx_file;

/* zlib's message without the "path: " prefix gzerror () puts there. */
static const char *
gz_message (idx_file * f, int *err)
{
  const char *msg = gzerror (f->f, err);
  size_t n = strlen (f->path);

  if (!msg)
    return "unknown error";
  if (strncmp (msg, f->path, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
    msg += n + 2;
  return msg;
}

/* Reads exactly @n bytes; DLNN_ERR_FORMAT naming the file when short. */
static dlnn_code
idx_read (idx_file * f, void *buf, uint64_t n, const char *what,
    dlnn_status * st)
{
  uint8_t *p = buf;
  uint64_t got = 0;
  int err = Z_OK;

  while (got < n) {
    unsigned chunk = n - got > (1u << 30) ? (1u << 30) : (unsigned) (n - got);
    int r = gzread (f->f, p + got, chunk);
    if (r < 0)
      return dlnn_status_set (st, DLNN_ERR_FORMAT,
          "'%s': corrupt gzip data in %s: %s", f->path, what,
          gz_message (f, &err));
    if (r == 0)
      break;
    got += (uint64_t) r;
  }
  if (got < n) {
    const char *msg = gz_message (f, &err);
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "'%s': truncated file: %s take %llu bytes, only %llu present%s%s",
        f->path, what, (unsigned long long) n, (unsigned long long) got,
        err != Z_OK ? " - " : "", err != Z_OK ? msg : "");
  }
  return DLNN_OK;
}

static dlnn_code
idx_open (idx_file * f, const char *path, int want_dims, uint32_t * dims,
    dlnn_status * st)
{
  uint8_t hdr[4];
  dlnn_code c;

  f->path = path;
  f->f = gzopen (path, "rb");
  if (!f->f)
    return dlnn_status_set (st, DLNN_ERR_IO, "cannot open '%s'", path);
  gzbuffer (f->f, 1 << 17);
  c = idx_read (f, hdr, 4, "the header", st);
  if (c != DLNN_OK)
    return c;
  if (hdr[0] != 0 || hdr[1] != 0 || hdr[2] != 0x08 || hdr[3] != want_dims)
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "'%s': not an IDX %s file (magic 0x%02x%02x%02x%02x, expected "
        "0x000008%02x)", path, want_dims == 3 ? "image" : "label", hdr[0],
        hdr[1], hdr[2], hdr[3], want_dims);
  for (int i = 0; i < want_dims; i++) {
    uint8_t b[4];
    c = idx_read (f, b, 4, "the dimensions", st);
    if (c != DLNN_OK)
      return c;
    dims[i] = (uint32_t) b[0] << 24 | (uint32_t) b[1] << 16 |
        (uint32_t) b[2] << 8 | b[3];
  }
  return DLNN_OK;
}

static dlnn_code
idx_expect_end (idx_file * f, dlnn_status * st)
{
  uint8_t b;
  int r = gzread (f->f, &b, 1);
  if (r > 0)
    return dlnn_status_set (st, DLNN_ERR_FORMAT,
        "'%s': unexpected data after the last item", f->path);
  if (r < 0) {
    int err;
    return dlnn_status_set (st, DLNN_ERR_FORMAT, "'%s': corrupt gzip data: %s",
        f->path, gz_message (f, &err));
  }
  return DLNN_OK;
}

static void
idx_close (idx_file * f)
{
  if (f->f)
    gzclose (f->f);
  f->f = NULL;
}

dlnn_code
dt_idx_load (const char *images_path, const char *labels_path, int limit,
    dt_rawset * out, dlnn_status * st)
{
  idx_file fi = { 0 }, fl = { 0 };
  uint32_t idims[3] = { 0 }, ldims[1] = { 0 };
  uint8_t *lab = NULL;
  uint64_t count, side, bytes;
  dlnn_code c;

  memset (out, 0, sizeof (*out));
  c = idx_open (&fi, images_path, 3, idims, st);
  if (c != DLNN_OK)
    goto out;
  count = idims[0];
  if (idims[1] < 1 || idims[1] > IDX_MAX_SIDE || idims[2] < 1
      || idims[2] > IDX_MAX_SIDE || count < 1) {
    c = dlnn_status_set (st, DLNN_ERR_FORMAT,
        "'%s': bad image dimensions %u x %u x %u", images_path, idims[0],
        idims[1], idims[2]);
    goto out;
  }
  side = (uint64_t) idims[1] * idims[2];
  if (count > IDX_MAX_BYTES / side) {
    c = dlnn_status_set (st, DLNN_ERR_FORMAT,
        "'%s': absurd size %u images of %u x %u", images_path, idims[0],
        idims[1], idims[2]);
    goto out;
  }
  bytes = count * side;
  out->block = malloc (bytes);
  if (!out->block) {
    c = dlnn_status_set (st, DLNN_ERR_NOMEM,
        "out of memory for %llu bytes of images",
        (unsigned long long) bytes);
    goto out;
  }
  c = idx_read (&fi, out->block, bytes, "the pixels", st);
  if (c == DLNN_OK)
    c = idx_expect_end (&fi, st);
  if (c != DLNN_OK)
    goto out;

  c = idx_open (&fl, labels_path, 1, ldims, st);
  if (c != DLNN_OK)
    goto out;
  if (ldims[0] != count) {
    c = dlnn_status_set (st, DLNN_ERR_FORMAT,
        "'%s' holds %u labels but '%s' %llu images", labels_path, ldims[0],
        images_path, (unsigned long long) count);
    goto out;
  }
  lab = malloc (count);
  if (!lab) {
    c = dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    goto out;
  }
  c = idx_read (&fl, lab, count, "the labels", st);
  if (c == DLNN_OK)
    c = idx_expect_end (&fl, st);
  if (c != DLNN_OK)
    goto out;

  out->n = limit > 0 && (uint64_t) limit < count ? limit : (int) count;
  out->img = calloc ((size_t) out->n, sizeof (dt_image));
  out->labels = calloc ((size_t) out->n, sizeof (int));
  if (!out->img || !out->labels) {
    c = dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    goto out;
  }
  for (int i = 0; i < out->n; i++) {
    out->img[i].width = (int) idims[2];
    out->img[i].height = (int) idims[1];
    out->img[i].stride = (int) idims[2];
    out->img[i].format = DLNN_PIX_GRAY8;
    out->img[i].pixels = out->block + (uint64_t) i * side;
    out->labels[i] = lab[i];
  }
  out->all_gray = 1;

out:
  idx_close (&fi);
  idx_close (&fl);
  free (lab);
  if (c != DLNN_OK)
    dt_rawset_free (out);
  return c;
}

static char *
find_split_file (const char *dir, const char *split, const char *kind)
{
  char name[128];
  char *p;

  for (int gz = 1; gz >= 0; gz--) {
    snprintf (name, sizeof (name), "%s-%s-ubyte%s", split, kind,
        gz ? ".gz" : "");
    p = dt_path_join (dir, name);
    if (p && dt_is_file (p))
      return p;
    free (p);
  }
  return NULL;
}

int
dt_idx_detect (const char *data)
{
  char *p;

  if (dt_is_file (data))
    return 1;
  if (!dt_is_dir (data))
    return 0;
  p = find_split_file (data, "train", "images-idx3");
  if (!p)
    p = find_split_file (data, "t10k", "images-idx3");
  free (p);
  return p != NULL;
}

dlnn_code
dt_idx_paths (const char *data, const char *split, char **images,
    char **labels, dlnn_status * st)
{
  *images = *labels = NULL;
  if (dt_is_dir (data)) {
    *images = find_split_file (data, split, "images-idx3");
    *labels = find_split_file (data, split, "labels-idx1");
    if (!*images || !*labels) {
      free (*images);
      free (*labels);
      *images = *labels = NULL;
      return dlnn_status_set (st, DLNN_ERR_IO,
          "'%s' has no %s-images-idx3-ubyte[.gz] and "
          "%s-labels-idx1-ubyte[.gz]", data, split, split);
    }
    return DLNN_OK;
  }
  if (!dt_is_file (data))
    return dlnn_status_set (st, DLNN_ERR_IO, "'%s' does not exist", data);
  const char *at = strstr (data, "images-idx3");
  if (!at)
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "cannot derive the labels file from '%s' (expected a name with "
        "'images-idx3')", data);
  *images = dt_strdup (data);
  *labels = dt_strdup (data);
  if (!*images || !*labels)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  memcpy (*labels + (at - data), "labels-idx1", 11);
  if (!dt_is_file (*labels)) {
    dlnn_status_set (st, DLNN_ERR_IO, "labels file '%s' does not exist",
        *labels);
    free (*images);
    free (*labels);
    *images = *labels = NULL;
    return DLNN_ERR_IO;
  }
  return DLNN_OK;
}
