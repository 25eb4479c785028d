/* dltrain - image folders: DIR/<class>/<image>.{png,jpg,jpeg,...}, decoded
 * with libavformat + libavcodec and converted with libswscale to GRAY8
 * (grey sources) or RGB24 (everything else). Labels are the indices of the
 * class sub-folder names in sorted (strcmp) order. */
#include "dltrain.h"
#include "avfile.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#define FOLDER_MAX_SIDE 16384

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static int
is_image_name (const char *name)
{
  static const char *const ext[] = { ".png", ".jpg", ".jpeg", ".bmp",
    ".pgm", ".ppm", ".pnm", ".webp", ".tif", ".tiff", NULL
  };
  const char *dot = strrchr (name, '.');
  if (!dot)
    return 0;
  for (int i = 0; ext[i]; i++)
    if (strcasecmp (dot, ext[i]) == 0)
      return 1;
  return 0;
}

/* Sorted names of entries of @dir that are directories (@want_dirs) or
 * image files. */
static dlnn_code
list_dir (const char *dir, int want_dirs, char ***out, int *n,
    dlnn_status * st)
{
  DIR *d = opendir (dir);
  struct dirent *de;
  char **v = NULL;
  int cnt = 0, cap = 0;

  *out = NULL;
  *n = 0;
  if (!d)
    return dlnn_status_set (st, DLNN_ERR_IO, "cannot open directory '%s'",
        dir);
  while ((de = readdir (d))) {
    char *p;
    int ok;
    if (de->d_name[0] == '.')
      continue;
    p = dt_path_join (dir, de->d_name);
    if (!p)
      break;
    ok = want_dirs ? dt_is_dir (p) : dt_is_file (p)
        && is_image_name (de->d_name);
    free (p);
    if (!ok)
      continue;
    if (cnt == cap) {
      cap = cap ? cap * 2 : 64;
      char **nv = realloc (v, (size_t) cap * sizeof (char *));
      if (!nv)
        break;
      v = nv;
    }
    v[cnt] = dt_strdup (de->d_name);
    if (!v[cnt])
      break;
    cnt++;
  }
  closedir (d);
  if (de) {
    dlnn_strv_free (v, cnt);
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  }
  qsort (v, (size_t) cnt, sizeof (char *), cmp_str);
  *out = v;
  *n = cnt;
  return DLNN_OK;
}

static dlnn_code
av_fail (const char *path, const char *what, int err, dlnn_status * st)
{
  const dt_avfile f = { .path = path, .kind = "" };
  return dt_avfile_fail (&f, what, err, st);
}

static int
is_gray_format (enum AVPixelFormat f)
{
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get (f);
  if (!d || (d->flags & AV_PIX_FMT_FLAG_PAL))
    return 0;
  return d->nb_components <= 2 && !(d->flags & AV_PIX_FMT_FLAG_RGB);
}

/* Decodes the first frame of @path into a malloc()ed GRAY8 or RGB24
 * buffer. */
static dlnn_code
decode_image (const char *path, dt_image * im, uint8_t ** pixels,
    dlnn_status * st)
{
  dt_avfile f;
  AVFrame *fr;
  struct SwsContext *sws = NULL;
  int ret = 0, got = 0;
  dlnn_code c = DLNN_OK;

  *pixels = NULL;
  c = dt_avfile_open (&f, path, AVMEDIA_TYPE_VIDEO, "", "cannot open",
      "no image stream", st);
  if (c != DLNN_OK)
    goto out;
  fr = f.fr;
  while (!got && (ret = av_read_frame (f.fc, f.pkt)) >= 0) {
    if (f.pkt->stream_index == f.stream) {
      ret = avcodec_send_packet (f.cc, f.pkt);
      if (ret >= 0 && avcodec_receive_frame (f.cc, fr) >= 0)
        got = 1;
    }
    av_packet_unref (f.pkt);
  }
  if (!got) {
    avcodec_send_packet (f.cc, NULL);
    if (avcodec_receive_frame (f.cc, fr) >= 0)
      got = 1;
  }
  if (!got) {
    c = av_fail (path, "no picture decoded", ret, st);
    goto out;
  }
  if (fr->width < 1 || fr->height < 1 || fr->width > FOLDER_MAX_SIDE
      || fr->height > FOLDER_MAX_SIDE) {
    c = dlnn_status_set (st, DLNN_ERR_FORMAT, "'%s': bad image size %dx%d",
        path, fr->width, fr->height);
    goto out;
  }
  {
    const int gray = is_gray_format ((enum AVPixelFormat) fr->format);
    const enum AVPixelFormat dst = gray ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_RGB24;
    const int stride = fr->width * (gray ? 1 : 3);
    uint8_t *dp[4] = { NULL };
    int ds[4] = { stride, 0, 0, 0 };

    sws = sws_getContext (fr->width, fr->height,
        (enum AVPixelFormat) fr->format, fr->width, fr->height, dst,
        SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, NULL, NULL,
        NULL);
    *pixels = malloc ((size_t) stride * (size_t) fr->height);
    if (!sws || !*pixels) {
      c = av_fail (path, "cannot convert the pixel format", 0, st);
      goto out;
    }
    dp[0] = *pixels;
    sws_scale (sws, (const uint8_t * const *) fr->data, fr->linesize, 0,
        fr->height, dp, ds);
    im->width = fr->width;
    im->height = fr->height;
    im->stride = stride;
    im->format = gray ? DLNN_PIX_GRAY8 : DLNN_PIX_RGB;
    im->pixels = *pixels;
  }

out:
  if (c != DLNN_OK) {
    free (*pixels);
    *pixels = NULL;
  }
  sws_freeContext (sws);
  dt_avfile_close (&f);
  return c;
}

dlnn_code
dt_folder_load (const char *dir, int limit, dt_rawset * out,
    dlnn_status * st)
{
  char **classes = NULL;
  int n_classes = 0, cap = 0;
  dlnn_code c;

  memset (out, 0, sizeof (*out));
  av_log_set_level (AV_LOG_QUIET);
  if (!dt_is_dir (dir))
    return dlnn_status_set (st, DLNN_ERR_IO, "'%s' is not a directory", dir);
  c = list_dir (dir, 1, &classes, &n_classes, st);
  if (c != DLNN_OK)
    return c;
  if (n_classes < 2) {
    dlnn_strv_free (classes, n_classes);
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "'%s' needs at least two class sub-folders, found %d", dir,
        n_classes);
  }
  out->names = classes;
  out->n_names = n_classes;
  out->all_gray = 1;
  for (int k = 0; k < n_classes && c == DLNN_OK; k++) {
    char *sub = dt_path_join (dir, classes[k]);
    char **files = NULL;
    int n_files = 0;

    if (!sub) {
      c = dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
      break;
    }
    c = list_dir (sub, 0, &files, &n_files, st);
    if (c == DLNN_OK && n_files == 0)
      c = dlnn_status_set (st, DLNN_ERR_INVALID,
          "class folder '%s' holds no images (.png, .jpg, ...)", sub);
    for (int i = 0; i < n_files && c == DLNN_OK; i++) {
      char *path;
      if (limit > 0 && out->n >= limit)
        break;
      if (out->n == cap) {
        cap = cap ? cap * 2 : 256;
        dt_image *ni = realloc (out->img, (size_t) cap * sizeof (dt_image));
        if (ni)
          out->img = ni;
        int *nl = realloc (out->labels, (size_t) cap * sizeof (int));
        if (nl)
          out->labels = nl;
        uint8_t **no = realloc (out->owned, (size_t) cap * sizeof (uint8_t *));
        if (no)
          out->owned = no;
        if (!ni || !nl || !no) {
          c = dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
          break;
        }
      }
      path = dt_path_join (sub, files[i]);
      if (!path) {
        c = dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
        break;
      }
      c = decode_image (path, &out->img[out->n], &out->owned[out->n], st);
      free (path);
      if (c == DLNN_OK) {
        out->labels[out->n] = k;
        if (out->img[out->n].format != DLNN_PIX_GRAY8)
          out->all_gray = 0;
        out->n++;
      }
    }
    dlnn_strv_free (files, n_files);
    free (sub);
  }
  if (c != DLNN_OK)
    dt_rawset_free (out);
  return c;
}
