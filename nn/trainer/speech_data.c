/* dltrain - speech corpora: TSV manifests and LibriSpeech trees, text
 * normalisation, decoded audio turned into log-mel frames once at load. */
#include "speech.h"
#include "audiofile.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#define MANIFEST_MAX_BYTES (256u << 20)
#define TRANS_MAX_BYTES (64u << 20)
#define TREE_MAX_DEPTH 8

const char *const dt_speech_labels[DT_SPEECH_CLASSES] = {
  "<blank>", " ", "'", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j",
  "k", "l", "m", "n", "o", "p", "q", "r", "s", "t", "u", "v", "w", "x",
  "y", "z"
};

char *
dt_speech_normalize (const char *s)
{
  char *out = malloc (strlen (s) + 1);
  size_t n = 0;

  if (!out)
    return NULL;
  for (; *s; s++) {
    unsigned char ch = (unsigned char) *s;
    if (ch >= 'A' && ch <= 'Z')
      ch = (unsigned char) (ch - 'A' + 'a');
    if ((ch >= 'a' && ch <= 'z') || ch == '\'') {
      out[n++] = (char) ch;
    } else if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'
        || ch == '-') {
      if (n > 0 && out[n - 1] != ' ')
        out[n++] = ' ';
    }
  }
  while (n > 0 && out[n - 1] == ' ')
    n--;
  out[n] = '\0';
  return out;
}

/* Class indices of normalised text. */
static int32_t
label_of (char ch)
{
  if (ch == ' ')
    return 1;
  if (ch == '\'')
    return 2;
  return 3 + (ch - 'a');
}

void
dt_corpus_free (dt_corpus * c)
{
  for (int i = 0; i < c->n; i++) {
    free (c->u[i].path);
    free (c->u[i].text);
    free (c->u[i].labels);
    free (c->u[i].feat);
  }
  free (c->u);
  memset (c, 0, sizeof (*c));
}

typedef struct
{
  dt_corpus *c;
  int cap;
  int limit;
} adder;

static int
adder_full (const adder * a)
{
  return a->limit > 0 && a->c->n >= a->limit;
}

/* Adds an utterance (takes @path); @where names the source line. */
static dlnn_code
add_utt (adder * a, char *path, const char *text, const char *where,
    dlnn_status * st)
{
  dt_utt *u;
  char *norm;

  if (!path)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  norm = dt_speech_normalize (text);
  if (!norm) {
    free (path);
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  }
  if (!norm[0]) {
    free (path);
    free (norm);
    return dlnn_status_set (st, DLNN_ERR_FORMAT, "%s: the transcript has "
        "no letters", where);
  }
  if (a->c->n == a->cap) {
    int nc = a->cap ? a->cap * 2 : 256;
    dt_utt *nu = realloc (a->c->u, (size_t) nc * sizeof (dt_utt));
    if (!nu) {
      free (path);
      free (norm);
      return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    }
    a->c->u = nu;
    a->cap = nc;
  }
  u = &a->c->u[a->c->n];
  memset (u, 0, sizeof (*u));
  u->path = path;
  u->text = norm;
  u->n_labels = (int) strlen (norm);
  u->labels = malloc ((size_t) u->n_labels * sizeof (int32_t));
  if (!u->labels) {
    free (path);
    free (norm);
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  }
  for (int i = 0; i < u->n_labels; i++)
    u->labels[i] = label_of (norm[i]);
  a->c->n++;
  return DLNN_OK;
}

/* Directory part of @path ("." if none), malloc()ed. */
static char *
dir_of (const char *path)
{
  const char *slash = strrchr (path, '/');
  dt_str b;

  dt_str_init (&b);
  if (!slash)
    dt_str_add (&b, ".");
  else if (slash == path)
    dt_str_add (&b, "/");
  else
    dt_str_addf (&b, "%.*s", (int) (slash - path), path);
  return b.s;
}

static dlnn_code
load_manifest (const char *path, adder * a, dlnn_status * st)
{
  char *text = NULL, *p, *dir;
  size_t len;
  int line = 0;
  dlnn_code r;

  r = dt_read_file (path, MANIFEST_MAX_BYTES, &text, &len, st);
  if (r != DLNN_OK)
    return r;
  dir = dir_of (path);
  if (!dir) {
    free (text);
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  }
  p = text;
  while (*p && !adder_full (a)) {
    char *l = p, *nl = strchr (p, '\n'), *tab, *where;
    dt_str w;

    if (nl) {
      *nl = '\0';
      p = nl + 1;
    } else {
      p += strlen (p);
    }
    line++;
    if (*l && l[strlen (l) - 1] == '\r')
      l[strlen (l) - 1] = '\0';
    if (strspn (l, " \t") == strlen (l) || l[0] == '#')
      continue;
    dt_str_init (&w);
    dt_str_addf (&w, "%s:%d", path, line);
    where = w.s;
    tab = strchr (l, '\t');
    if (!tab || tab == l) {
      r = dlnn_status_set (st, DLNN_ERR_FORMAT, "%s: expected 'audio "
          "path<TAB>transcript'", where ? where : path);
      free (where);
      break;
    }
    *tab = '\0';
    r = add_utt (a, l[0] == '/' ? dt_strdup (l) : dt_path_join (dir, l),
        tab + 1, where ? where : path, st);
    free (where);
    if (r != DLNN_OK)
      break;
  }
  free (dir);
  free (text);
  if (r == DLNN_OK && a->c->n == 0)
    r = dlnn_status_set (st, DLNN_ERR_FORMAT, "manifest '%s' lists no "
        "utterances", path);
  return r;
}

static int
cmp_str (const void *x, const void *y)
{
  return strcmp (*(char *const *) x, *(char *const *) y);
}

static dlnn_code
load_trans (const char *path, adder * a, dlnn_status * st)
{
  char *text = NULL, *p, *dir;
  size_t len;
  int line = 0;
  dlnn_code r;

  r = dt_read_file (path, TRANS_MAX_BYTES, &text, &len, st);
  if (r != DLNN_OK)
    return r;
  dir = dir_of (path);
  p = text;
  while (dir && *p && !adder_full (a)) {
    char *l = p, *nl = strchr (p, '\n'), *sp;
    dt_str w, f;

    if (nl) {
      *nl = '\0';
      p = nl + 1;
    } else {
      p += strlen (p);
    }
    line++;
    if (*l && l[strlen (l) - 1] == '\r')
      l[strlen (l) - 1] = '\0';
    if (strspn (l, " \t") == strlen (l))
      continue;
    sp = strchr (l, ' ');
    dt_str_init (&w);
    dt_str_addf (&w, "%s:%d", path, line);
    if (!sp || sp == l) {
      r = dlnn_status_set (st, DLNN_ERR_FORMAT, "%s: expected 'ID "
          "TRANSCRIPT'", w.s ? w.s : path);
      dt_str_free (&w);
      break;
    }
    *sp = '\0';
    dt_str_init (&f);
    dt_str_addf (&f, "%s/%s.flac", dir, l);
    r = add_utt (a, f.s, sp + 1, w.s ? w.s : path, st);
    dt_str_free (&w);
    if (r != DLNN_OK)
      break;
  }
  if (!dir)
    r = dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  free (dir);
  free (text);
  return r;
}

/* Walks @dir (sorted, depth-first) for *.trans.txt. */
static dlnn_code
walk_tree (const char *dir, int depth, adder * a, int *found,
    dlnn_status * st)
{
  DIR *d;
  struct dirent *de;
  char **names = NULL;
  int n = 0, cap = 0;
  dlnn_code r = DLNN_OK;

  if (depth > TREE_MAX_DEPTH)
    return DLNN_OK;
  d = opendir (dir);
  if (!d)
    return dlnn_status_set (st, DLNN_ERR_IO, "cannot open directory '%s'",
        dir);
  while ((de = readdir (d))) {
    if (de->d_name[0] == '.')
      continue;
    if (n == cap) {
      int nc = cap ? cap * 2 : 64;
      char **nn = realloc (names, (size_t) nc * sizeof (char *));
      if (!nn)
        break;
      names = nn;
      cap = nc;
    }
    if (!(names[n] = dt_strdup (de->d_name)))
      break;
    n++;
  }
  closedir (d);
  if (de) {
    dlnn_strv_free (names, n);
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
  }
  qsort (names, (size_t) n, sizeof (char *), cmp_str);
  for (int i = 0; i < n && r == DLNN_OK && !adder_full (a); i++) {
    char *p = dt_path_join (dir, names[i]);
    size_t l = strlen (names[i]);
    if (!p) {
      r = dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    } else if (dt_is_dir (p)) {
      r = walk_tree (p, depth + 1, a, found, st);
    } else if (l > 10 && strcmp (names[i] + l - 10, ".trans.txt") == 0
        && dt_is_file (p)) {
      (*found)++;
      r = load_trans (p, a, st);
    }
    free (p);
  }
  dlnn_strv_free (names, n);
  return r;
}

dlnn_code
dt_corpus_load (const char *path, int limit, dt_corpus * c,
    dlnn_status * st)
{
  adder a = { c, 0, limit };
  dlnn_code r;

  memset (c, 0, sizeof (*c));
  if (dt_is_file (path)) {
    r = load_manifest (path, &a, st);
  } else if (dt_is_dir (path)) {
    char *m = dt_path_join (path, "train.tsv");
    if (m && dt_is_file (m)) {
      r = load_manifest (m, &a, st);
    } else {
      int found = 0;
      r = walk_tree (path, 0, &a, &found, st);
      if (r == DLNN_OK && found == 0)
        r = dlnn_status_set (st, DLNN_ERR_FORMAT, "'%s' holds neither "
            "train.tsv nor LibriSpeech *.trans.txt files", path);
      else if (r == DLNN_OK && c->n == 0)
        r = dlnn_status_set (st, DLNN_ERR_FORMAT, "the *.trans.txt files "
            "in '%s' list no utterances", path);
    }
    free (m);
  } else {
    r = dlnn_status_set (st, DLNN_ERR_IO, "speech corpus '%s' does not "
        "exist", path);
  }
  if (r != DLNN_OK)
    dt_corpus_free (c);
  return r;
}

char *
dt_corpus_sibling_val (const char *path)
{
  char *m, *v;
  if (!dt_is_dir (path))
    return NULL;
  m = dt_path_join (path, "train.tsv");
  v = dt_path_join (path, "val.tsv");
  if (!m || !v || !dt_is_file (m) || !dt_is_file (v)) {
    free (v);
    v = NULL;
  }
  free (m);
  return v;
}

dlnn_code
dt_corpus_features (dt_corpus * c, const dlnn_audio_cfg * cfg, int quiet,
    dlnn_status * st)
{
  dt_progress pr;
  double samples = 0;

  dt_progress_start (&pr, !quiet, c->n);
  for (int i = 0; i < c->n; i++) {
    dt_utt *u = &c->u[i];
    float *pcm;
    size_t n, frames, got;
    dlnn_code r;

    r = dt_audio_load (u->path, cfg->rate, &pcm, &n, st);
    if (r != DLNN_OK) {
      dt_progress_end (&pr);
      return r;
    }
    frames = dlnn_audio_cfg_frames (cfg, n);
    if (frames < 1 || frames > (1u << 30)) {
      free (pcm);
      dt_progress_end (&pr);
      return dlnn_status_set (st, DLNN_ERR_FORMAT, "audio '%s' is too "
          "short for one feature frame (%zu samples)", u->path, n);
    }
    u->feat = malloc (frames * (size_t) cfg->n_mels * sizeof (float));
    if (!u->feat) {
      free (pcm);
      dt_progress_end (&pr);
      return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    }
    r = dlnn_audio_logmel (cfg, pcm, n, u->feat, frames, &got, st);
    free (pcm);
    if (r != DLNN_OK) {
      dt_progress_end (&pr);
      return dlnn_status_prefix (st, "'%s'", u->path);
    }
    u->frames = (int) got;
    samples += (double) n;
    dt_progress_update (&pr, i + 1, i + 1, 0);
  }
  dt_progress_end (&pr);
  c->seconds = samples / cfg->rate;
  return DLNN_OK;
}
