/* dltrain - tag manifests and the log-mel patches of their clips. */
#include "tag.h"
#include "audiofile.h"

#include <stdlib.h>
#include <string.h>

#define MANIFEST_MAX (256u << 20)

void
dt_tag_manifest_free (dt_tag_manifest * m)
{
  if (!m)
    return;
  for (int i = 0; i < m->n; i++) {
    free (m->paths[i]);
    dlnn_strv_free (m->tags[i], m->n_tags[i]);
  }
  free (m->paths);
  free (m->lines);
  free (m->tags);
  free (m->n_tags);
  memset (m, 0, sizeof (*m));
}

static int
tag_char_ok (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
      || c == '-';
}

/* Splits "a,b,c" into names, checking the syntax. */
static dlnn_code
parse_tags (const char *s, const char *manifest, int line, char ***out,
    int *n_out, dlnn_status * st)
{
  int n = 1, k = 0;
  char **v;
  const char *p = s;

  for (const char *q = s; *q; q++)
    n += *q == ',';
  v = calloc ((size_t) n, sizeof (char *));
  if (!v)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  while (k < n) {
    const char *e = strchr (p, ',');
    size_t len = e ? (size_t) (e - p) : strlen (p);
    int ok = len >= 1 && len <= DT_TAG_MAX_LEN;
    for (size_t i = 0; ok && i < len; i++)
      ok = tag_char_ok (p[i]);
    if (!ok) {
      dlnn_strv_free (v, k);
      return dlnn_status_set (st, DLNN_ERR_FORMAT,
          "%s:%d: bad tag '%.*s' in '%s' (tags are 1-%d lowercase letters, "
          "digits, '_' or '-', separated by ',')", manifest, line,
          (int) (len > 80 ? 80 : len), p, s, DT_TAG_MAX_LEN);
    }
    for (int j = 0; j < k; j++)
      if (strlen (v[j]) == len && !strncmp (v[j], p, len)) {
        dlnn_strv_free (v, k);
        return dlnn_status_set (st, DLNN_ERR_FORMAT,
            "%s:%d: tag '%.*s' given twice", manifest, line, (int) len, p);
      }
    v[k] = malloc (len + 1);
    if (!v[k]) {
      dlnn_strv_free (v, k);
      return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    }
    memcpy (v[k], p, len);
    v[k++][len] = 0;
    p = e ? e + 1 : p + len;
  }
  *out = v;
  *n_out = n;
  return DLNN_OK;
}

dlnn_code
dt_tag_manifest_load (const char *path, dt_tag_manifest * m,
    dlnn_status * st)
{
  char *text = NULL, *dir, *slash, *line, *next;
  size_t len;
  int cap = 0, lineno = 0;
  dlnn_code r;

  memset (m, 0, sizeof (*m));
  if (!dt_is_file (path))
    return dlnn_status_set (st, DLNN_ERR_IO, "manifest '%s' does not exist",
        path);
  r = dt_read_file (path, MANIFEST_MAX, &text, &len, st);
  if (r != DLNN_OK)
    return r;
  dir = dt_strdup (path);
  if (!dir) {
    free (text);
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  }
  slash = strrchr (dir, '/');
  if (slash)
    slash[1] = 0;
  else
    dir[0] = 0;
  for (line = text; line && *line; line = next) {
    char *tab, *cr;
    next = strchr (line, '\n');
    if (next)
      *next++ = 0;
    lineno++;
    if ((cr = strchr (line, '\r')))
      *cr = 0;
    if (!line[0] || line[0] == '#')
      continue;
    tab = strchr (line, '\t');
    if (!tab || tab == line || !tab[1]) {
      r = dlnn_status_set (st, DLNN_ERR_FORMAT,
          "%s:%d: expected 'path<TAB>tag1,tag2', got '%.80s'", path, lineno,
          line);
      goto fail;
    }
    *tab = 0;
    if (m->n == cap) {
      int nc = cap ? cap * 2 : 256;
      char **p = realloc (m->paths, (size_t) nc * sizeof (char *));
      if (p)
        m->paths = p;
      char ***t = realloc (m->tags, (size_t) nc * sizeof (char **));
      if (t)
        m->tags = t;
      int *nt = realloc (m->n_tags, (size_t) nc * sizeof (int));
      if (nt)
        m->n_tags = nt;
      int *ln = realloc (m->lines, (size_t) nc * sizeof (int));
      if (ln)
        m->lines = ln;
      if (!p || !t || !nt || !ln) {
        r = dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
        goto fail;
      }
      cap = nc;
    }
    r = parse_tags (tab + 1, path, lineno, &m->tags[m->n], &m->n_tags[m->n],
        st);
    if (r != DLNN_OK)
      goto fail;
    if (line[0] == '/')
      m->paths[m->n] = dt_strdup (line);
    else {
      dt_str b;
      dt_str_init (&b);
      dt_str_addf (&b, "%s%s", dir, line);
      m->paths[m->n] = b.s;
    }
    m->lines[m->n] = lineno;
    if (!m->paths[m->n++]) {
      r = dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
      goto fail;
    }
  }
  free (text);
  free (dir);
  if (m->n == 0)
    return dlnn_status_set (st, DLNN_ERR_FORMAT, "manifest '%s' lists no "
        "clips", path);
  return DLNN_OK;

fail:
  free (text);
  free (dir);
  dt_tag_manifest_free (m);
  return r;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

dlnn_code
dt_tag_manifest_labels (const dt_tag_manifest * m, char ***labels, int *n,
    dlnn_status * st)
{
  int k = 0, cap = 8;
  char **v = calloc ((size_t) cap, sizeof (char *));

  if (!v)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  for (int i = 0; i < m->n; i++)
    for (int j = 0; j < m->n_tags[i]; j++) {
      int seen = 0;
      for (int q = 0; q < k && !seen; q++)
        seen = !strcmp (v[q], m->tags[i][j]);
      if (seen)
        continue;
      if (k == cap) {
        char **nv = realloc (v, (size_t) cap * 2 * sizeof (char *));
        if (!nv) {
          dlnn_strv_free (v, k);
          return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
        }
        v = nv;
        cap *= 2;
      }
      v[k] = dt_strdup (m->tags[i][j]);
      if (!v[k++]) {
        dlnn_strv_free (v, k);
        return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
      }
    }
  qsort (v, (size_t) k, sizeof (char *), cmp_str);
  *labels = v;
  *n = k;
  return DLNN_OK;
}

void
dt_tag_set_free (dt_tag_set * s)
{
  if (!s)
    return;
  free (s->x);
  free (s->y);
  memset (s, 0, sizeof (*s));
}

dlnn_code
dt_tag_set_load (const dt_tag_manifest * m, const char *manifest,
    const dlnn_audio_cfg * cfg, int frames, char **labels, int k,
    int progress, dt_tag_set * out, dlnn_status * st)
{
  const int nm = cfg->n_mels;
  const int64_t per = (int64_t) frames * nm;
  float *feat = NULL, *quiet = NULL;
  size_t feat_cap = 0, nf;
  dt_progress pr;
  dlnn_code r = DLNN_OK;

  memset (out, 0, sizeof (*out));
  out->n = m->n;
  out->t = frames;
  out->m = nm;
  out->k = k;
  out->x = malloc ((size_t) (m->n * per) * sizeof (float));
  out->y = calloc ((size_t) m->n * (size_t) k, sizeof (float));
  quiet = calloc ((size_t) nm, sizeof (float));
  if (!out->x || !out->y || !quiet) {
    free (quiet);
    dt_tag_set_free (out);
    return dlnn_status_set (st, DLNN_ERR_NOMEM,
        "out of memory for %d clips of %d frames", m->n, frames);
  }
  {
    /* the frame of digital silence pads short clips */
    float zero[1024] = { 0 };
    float *buf = NULL;
    size_t cnt = dlnn_audio_cfg_frames (cfg, 1024);
    buf = malloc ((cnt ? cnt : 1) * (size_t) nm * sizeof (float));
    if (!buf || dlnn_audio_logmel (cfg, zero, 1024, buf, cnt, &nf, st)
        != DLNN_OK || nf == 0) {
      free (buf);
      free (quiet);
      dt_tag_set_free (out);
      return st->code ? st->code : DLNN_ERR_NOMEM;
    }
    memcpy (quiet, buf, (size_t) nm * sizeof (float));
    free (buf);
  }
  dt_progress_start (&pr, progress, m->n);
  for (int i = 0; i < m->n && r == DLNN_OK; i++) {
    float *pcm = NULL;
    size_t n = 0, want;
    float *dst = out->x + (int64_t) i * per;

    for (int j = 0; j < m->n_tags[i]; j++) {
      int q = 0;
      while (q < k && strcmp (labels[q], m->tags[i][j]))
        q++;
      if (q == k) {
        r = dlnn_status_set (st, DLNN_ERR_INVALID,
            "%s:%d: unknown tag '%s' (the model's tags are those of the "
            "training manifest)", manifest, m->lines[i], m->tags[i][j]);
        break;
      }
      out->y[(int64_t) i * k + q] = 1.0f;
    }
    if (r != DLNN_OK)
      break;
    r = dt_audio_load (m->paths[i], cfg->rate, &pcm, &n, st);
    if (r != DLNN_OK) {
      dlnn_status_prefix (st, "%s:%d", manifest, m->lines[i]);
      break;
    }
    want = dlnn_audio_cfg_frames (cfg, n);
    if (want > feat_cap) {
      float *nb = realloc (feat, want * (size_t) nm * sizeof (float));
      if (!nb) {
        free (pcm);
        r = dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
        break;
      }
      feat = nb;
      feat_cap = want;
    }
    nf = 0;
    if (want > 0)
      r = dlnn_audio_logmel (cfg, pcm, n, feat, want, &nf, st);
    free (pcm);
    if (r != DLNN_OK) {
      dlnn_status_prefix (st, "%s:%d: '%s'", manifest, m->lines[i],
          m->paths[i]);
      break;
    }
    {
      const size_t off = nf > (size_t) frames ? (nf - frames) / 2 : 0;
      for (int t = 0; t < frames; t++) {
        const float *src = (size_t) t + off < nf ? feat + ((size_t) t + off)
            * nm : quiet;
        memcpy (dst + (int64_t) t * nm, src, (size_t) nm * sizeof (float));
      }
    }
    dt_progress_update (&pr, i + 1, i + 1, 0.0);
  }
  dt_progress_end (&pr);
  free (feat);
  free (quiet);
  if (r != DLNN_OK)
    dt_tag_set_free (out);
  return r;
}
