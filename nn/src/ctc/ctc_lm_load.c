/* ARPA reader for the back-off n-gram language model (ctc_lm.c). Reads the
 * file line by line; each order's n-grams go straight into one array of
 * the size \data\ announces, which is then sorted (when the file is not
 * sorted already) and indexed by first word. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctc_lm_private.h"

#define MAX_FIELDS (DLNN_CTC_LM_MAX_ORDER + 2)

typedef struct reader
{
  FILE *f;
  const char *path;
  char *line;
  size_t cap;
  int64_t lineno;
  char *field[MAX_FIELDS + 1];
  int n_fields;
  int pushed;                   /* next_fields returns the same fields */
  dlnn_status *st;
} reader;

/* Next line into r->line, without its end of line; 0 at end of file. */
static int
next_line (reader * r)
{
  ssize_t n = getline (&r->line, &r->cap, r->f);
  if (n < 0)
    return 0;
  r->lineno++;
  while (n > 0 && (r->line[n - 1] == '\n' || r->line[n - 1] == '\r'))
    r->line[--n] = '\0';
  return 1;
}

/* Splits r->line at spaces and tabs; at most MAX_FIELDS + 1 fields are
 * recorded (more means too many). */
static void
split (reader * r)
{
  char *p = r->line;
  r->n_fields = 0;
  for (;;) {
    while (*p == ' ' || *p == '\t')
      p++;
    if (!*p)
      break;
    if (r->n_fields <= MAX_FIELDS)
      r->field[r->n_fields] = p;
    r->n_fields++;
    while (*p && *p != ' ' && *p != '\t')
      p++;
    if (*p)
      *p++ = '\0';
  }
}

/* Next line split into fields; 0 at end of file. */
static int
next_fields (reader * r)
{
  if (r->pushed) {
    r->pushed = 0;
    return 1;
  }
  if (!next_line (r))
    return 0;
  split (r);
  return 1;
}

/* Powers of ten that are exact in double. */
static const double pow10_exact[23] = {
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
  1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

/* Locale-independent decimal number: [+-]digits[.digits][e[+-]digits] or
 * [+-]inf. */
static int
parse_num (const char *s, double *out)
{
  double sign = 1.0, v;
  uint64_t mant = 0;
  int exp10 = 0, digits = 0, e = 0, esign = 1, edigits = 0;
  if (*s == '-' || *s == '+')
    sign = *s++ == '-' ? -1.0 : 1.0;
  if (strcmp (s, "inf") == 0 || strcmp (s, "Inf") == 0) {
    *out = sign * INFINITY;
    return 1;
  }
  for (; *s >= '0' && *s <= '9'; s++, digits++) {
    if (mant < UINT64_C (1000000000000000000))
      mant = mant * 10 + (uint64_t) (*s - '0');
    else
      exp10++;
  }
  if (*s == '.') {
    for (s++; *s >= '0' && *s <= '9'; s++, digits++)
      if (mant < UINT64_C (1000000000000000000)) {
        mant = mant * 10 + (uint64_t) (*s - '0');
        exp10--;
      }
  }
  if (digits == 0)
    return 0;
  if (*s == 'e' || *s == 'E') {
    s++;
    if (*s == '-' || *s == '+')
      esign = *s++ == '-' ? -1 : 1;
    for (; *s >= '0' && *s <= '9'; s++, edigits++)
      if (e < 10000)
        e = e * 10 + (*s - '0');
    if (edigits == 0)
      return 0;
  }
  if (*s)
    return 0;
  exp10 += esign * e;
  v = (double) mant;
  if (exp10 < 0)
    v /= -exp10 < 23 ? pow10_exact[-exp10] : pow (10.0, -exp10);
  else if (exp10 > 0)
    v *= exp10 < 23 ? pow10_exact[exp10] : pow (10.0, exp10);
  *out = sign * v;
  return 1;
}

static dlnn_code
fail (reader * r, const char *what)
{
  return dlnn_status_set (r->st, DLNN_ERR_FORMAT, "%s:%lld: %s", r->path,
      (long long) r->lineno, what);
}

static dlnn_code
read_counts (reader * r, int64_t * counts, int *order, int64_t file_size)
{
  char msg[160];
  int n_lines = 0;
  for (;;) {
    if (!next_fields (r))
      return dlnn_status_set (r->st, DLNN_ERR_FORMAT,
          "%s: truncated: no \\data\\ section", r->path);
    if (r->n_fields == 1 && strcmp (r->field[0], "\\data\\") == 0)
      break;
  }
  *order = 0;
  for (;;) {
    char *eq, *end;
    long n;
    long long c;
    if (!next_fields (r))
      return fail (r, "truncated after \\data\\");
    if (r->n_fields == 0) {
      if (n_lines > 0)
        break;
      continue;
    }
    if (r->n_fields == 1 && strcmp (r->field[0], "\\1-grams:") == 0) {
      r->pushed = 1;
      return n_lines ? DLNN_OK : fail (r, "no ngram counts in \\data\\");
    }
    if (r->n_fields != 2 || strcmp (r->field[0], "ngram") != 0
        || !(eq = strchr (r->field[1], '=')))
      return fail (r, "expected `ngram N=count` in \\data\\");
    *eq = '\0';
    errno = 0;
    n = strtol (r->field[1], &end, 10);
    if (*end || end == r->field[1] || n != *order + 1)
      return fail (r, "ngram orders must be 1, 2, ... in \\data\\");
    if (n > DLNN_CTC_LM_MAX_ORDER) {
      snprintf (msg, sizeof (msg), "order %ld not supported (at most %d)",
          n, DLNN_CTC_LM_MAX_ORDER);
      return dlnn_status_set (r->st, DLNN_ERR_UNSUPPORTED, "%s:%lld: %s",
          r->path, (long long) r->lineno, msg);
    }
    c = strtoll (eq + 1, &end, 10);
    if (*end || end == eq + 1 || errno || c < (n == 1) || c >= UINT32_MAX
        || (n == 1 && c >= INT32_MAX))
      return fail (r, "bad n-gram count");
    /* Each line holds at least n one-byte words, a number and separators. */
    if (c > file_size / (2 * (n + 1)))
      return fail (r, "n-gram count larger than the file can hold");
    counts[n - 1] = c;
    *order = (int) n;
    n_lines++;
  }
  return DLNN_OK;
}

/* Skips blank lines; the next line must be exactly @want. */
static dlnn_code
expect_header (reader * r, const char *want)
{
  char msg[96];
  while (next_fields (r)) {
    if (r->n_fields == 0)
      continue;
    if (r->n_fields == 1 && strcmp (r->field[0], want) == 0)
      return DLNN_OK;
    snprintf (msg, sizeof (msg), "expected %s", want);
    return fail (r, msg);
  }
  snprintf (msg, sizeof (msg), "truncated: end of file before %s", want);
  return fail (r, msg);
}

static dlnn_code
add_word (dlnn_ctc_lm * lm, reader * r, const char *w, int64_t id)
{
  size_t len = strlen (w);
  uint64_t i;
  if (lm->blob_len + len + 1 > lm->blob_cap) {
    size_t cap = lm->blob_cap * 2 + len + 1;
    char *nb;
    if (cap >= UINT32_MAX)
      return dlnn_status_set (r->st, DLNN_ERR_NOMEM, "%s: words too long",
          r->path);
    nb = realloc (lm->blob, cap);
    if (!nb)
      return dlnn_status_set (r->st, DLNN_ERR_NOMEM, "%s: out of memory",
          r->path);
    lm->blob = nb;
    lm->blob_cap = cap;
  }
  if (dlnn_ctc_lm_word (lm, w, len) >= 0) {
    char msg[128];
    snprintf (msg, sizeof (msg), "duplicate unigram '%.80s'", w);
    return fail (r, msg);
  }
  memcpy (lm->blob + lm->blob_len, w, len + 1);
  lm->word_off[id] = (uint32_t) lm->blob_len;
  lm->blob_len += len + 1;
  i = dlnn_ctc_lm_hash (w, len) & lm->word_mask;
  while (lm->word_table[i] != UINT32_MAX)
    i = (i + 1) & lm->word_mask;
  lm->word_table[i] = (uint32_t) id;
  if (strcmp (w, "<s>") == 0)
    lm->bos = (int32_t) id;
  else if (strcmp (w, "</s>") == 0)
    lm->eos = (int32_t) id;
  else if (strcmp (w, "<unk>") == 0 || strcmp (w, "<UNK>") == 0)
    lm->unk = (int32_t) id;
  return DLNN_OK;
}

/* Parses the fields of an n-gram line: probability, @n words, optional
 * back-off; ids into @ids (n >= 2). */
static dlnn_code
parse_ngram (dlnn_ctc_lm * lm, reader * r, int n, int32_t * ids,
    double *prob, double *bo)
{
  int k;
  if (r->n_fields != n + 1 && r->n_fields != n + 2) {
    char msg[96];
    snprintf (msg, sizeof (msg), "expected log10 probability, %d word%s "
        "and an optional back-off weight", n, n > 1 ? "s" : "");
    return fail (r, msg);
  }
  if (!parse_num (r->field[0], prob) || *prob > 1e-4 || isnan (*prob))
    return fail (r, "bad log10 probability");
  *bo = 0.0;
  if (r->n_fields == n + 2 && (!parse_num (r->field[n + 1], bo)
          || !isfinite (*bo)))
    return fail (r, "bad log10 back-off weight");
  if (n == 1)
    return DLNN_OK;
  for (k = 0; k < n; k++) {
    const char *w = r->field[k + 1];
    ids[k] = dlnn_ctc_lm_word (lm, w, strlen (w));
    if (ids[k] < 0) {
      char msg[128];
      snprintf (msg, sizeof (msg), "word '%.80s' is not a unigram", w);
      return fail (r, msg);
    }
  }
  return DLNN_OK;
}

/* Lexicographic order of the words [off, off + w) of two records. */
static int
rec_cmp (const uint32_t * a, const uint32_t * b, int off, int w)
{
  int k;
  for (k = off; k < off + w; k++)
    if (a[k] != b[k])
      return a[k] < b[k] ? -1 : 1;
  return 0;
}

static void
rec_swap (uint32_t * a, uint32_t * b, int s)
{
  int k;
  for (k = 0; k < s; k++) {
    uint32_t t = a[k];
    a[k] = b[k];
    b[k] = t;
  }
}

static void
sift_down (uint32_t * rec, int64_t root, int64_t n, int s, int off, int w)
{
  for (;;) {
    int64_t c = 2 * root + 1;
    if (c >= n)
      return;
    if (c + 1 < n && rec_cmp (rec + c * s, rec + (c + 1) * s, off, w) < 0)
      c++;
    if (rec_cmp (rec + root * s, rec + c * s, off, w) >= 0)
      return;
    rec_swap (rec + root * s, rec + c * s, s);
    root = c;
  }
}

/* In-place sort of @n records of stride @s by their words [off, off + w):
 * insertion sort for short runs, heap sort otherwise. */
static void
rec_sort (uint32_t * rec, int64_t n, int s, int off, int w)
{
  int64_t i, j;
  if (n <= 16) {
    for (i = 1; i < n; i++)
      for (j = i; j > 0 && rec_cmp (rec + (j - 1) * s, rec + j * s, off,
              w) > 0; j--)
        rec_swap (rec + (j - 1) * s, rec + j * s, s);
    return;
  }
  for (i = n / 2 - 1; i >= 0; i--)
    sift_down (rec, i, n, s, off, w);
  for (i = n - 1; i > 0; i--) {
    rec_swap (rec, rec + i * s, s);
    sift_down (rec, 0, i, s, off, w);
  }
}

/* Sorts order @n's records [w1 .. wn, prob, (bo)]: in place into buckets
 * by w1 (first[] gives the ranges), then each bucket by w2 .. wn when it
 * is not sorted already; checks for duplicates and drops w1. */
static dlnn_code
index_ngrams (dlnn_ctc_lm * lm, reader * r, int n)
{
  dlnn_ctc_lm_ngrams *g = &lm->ng[n - 1];
  const int s = g->stride + 1;
  const int64_t W = lm->n_words;
  uint32_t *nr, *next;
  int64_t i, w;
  g->first = calloc ((size_t) W + 1, sizeof (uint32_t));
  next = malloc ((size_t) W * sizeof (uint32_t));
  if (!g->first || !next) {
    free (next);
    return dlnn_status_set (r->st, DLNN_ERR_NOMEM, "%s: out of memory",
        r->path);
  }
  for (i = 0; i < g->count; i++)
    g->first[g->rec[i * s] + 1]++;
  for (w = 0; w < W; w++)
    g->first[w + 1] += g->first[w];
  memcpy (next, g->first, (size_t) W * sizeof (uint32_t));
  for (w = 0; w < W; w++)
    while (next[w] < g->first[w + 1]) {
      uint32_t *rw = g->rec + (int64_t) next[w] * s;
      uint32_t v = rw[0];
      if (v == (uint32_t) w)
        next[w]++;
      else
        rec_swap (rw, g->rec + (int64_t) next[v]++ * s, s);
    }
  free (next);
  for (w = 0; w < W; w++) {
    uint32_t *b = g->rec + (int64_t) g->first[w] * s;
    int64_t m = g->first[w + 1] - g->first[w];
    for (i = 1; i < m; i++)
      if (rec_cmp (b + (i - 1) * s, b + i * s, 1, n - 1) >= 0)
        break;
    if (i < m)
      rec_sort (b, m, s, 1, n - 1);
    for (i = 1; i < m; i++)
      if (rec_cmp (b + (i - 1) * s, b + i * s, 1, n - 1) == 0) {
        const uint32_t *d = b + i * s;
        return dlnn_status_set (r->st, DLNN_ERR_FORMAT,
            "%s: duplicate %d-gram starting '%.60s %.60s'", r->path, n,
            lm->blob + lm->word_off[d[0]], lm->blob + lm->word_off[d[1]]);
      }
  }
  for (i = 0; i < g->count; i++)
    memmove (g->rec + i * g->stride, g->rec + i * s + 1,
        (size_t) g->stride * 4);
  if (g->count > 0) {
    nr = realloc (g->rec, (size_t) g->count * (size_t) g->stride * 4);
    if (nr)
      g->rec = nr;
  }
  return DLNN_OK;
}

static dlnn_code
read_section (dlnn_ctc_lm * lm, reader * r, int n, int64_t count)
{
  dlnn_ctc_lm_ngrams *g = &lm->ng[n - 1];
  int32_t ids[DLNN_CTC_LM_MAX_ORDER];
  char hdr[16], msg[160];
  int64_t i = 0;
  dlnn_code c;
  snprintf (hdr, sizeof (hdr), "\\%d-grams:", n);
  if ((c = expect_header (r, hdr)))
    return c;
  if (n > 1) {
    g->stride = (n - 1) + 1 + (n < lm->order);
    g->rec = malloc ((size_t) (count > 0 ? count : 1) *
        (size_t) (g->stride + 1) * 4);
    if (!g->rec)
      return dlnn_status_set (r->st, DLNN_ERR_NOMEM, "%s: out of memory "
          "for %lld %d-grams", r->path, (long long) count, n);
  }
  for (;;) {
    double prob, bo;
    if (!next_fields (r)) {
      if (i == count)
        break;                  /* the caller reports the missing header */
      snprintf (msg, sizeof (msg), "truncated: end of file in %s after "
          "%lld of %lld n-grams", hdr, (long long) i, (long long) count);
      return fail (r, msg);
    }
    if (r->n_fields == 0)
      continue;
    if (r->field[0][0] == '\\') {
      r->pushed = 1;
      if (i == count)
        break;
      snprintf (msg, sizeof (msg), "%s lists %lld n-grams, \\data\\ says "
          "%lld", hdr, (long long) i, (long long) count);
      return fail (r, msg);
    }
    if (i == count) {
      snprintf (msg, sizeof (msg), "%s lists more n-grams than the %lld "
          "\\data\\ says", hdr, (long long) count);
      return fail (r, msg);
    }
    if ((c = parse_ngram (lm, r, n, ids, &prob, &bo)))
      return c;
    if (n == 1) {
      if ((c = add_word (lm, r, r->field[1], i)))
        return c;
      lm->uni_prob[i] = (float) (prob * DLNN_CTC_LN10);
      lm->uni_bo[i] = (float) (bo * DLNN_CTC_LN10);
    } else {
      uint32_t *rec = g->rec + i * (g->stride + 1);
      int k;
      for (k = 0; k < n; k++)
        rec[k] = (uint32_t) ids[k];
      rec[n] = dlnn_ctc_lm_float_bits ((float) (prob * DLNN_CTC_LN10));
      if (n < lm->order)
        rec[n + 1] = dlnn_ctc_lm_float_bits ((float) (bo * DLNN_CTC_LN10));
    }
    i++;
  }
  g->count = count;
  if (n == 1)
    lm->n_words = count;
  return n > 1 ? index_ngrams (lm, r, n) : DLNN_OK;
}

static dlnn_code
load (dlnn_ctc_lm * lm, reader * r, int64_t file_size)
{
  int64_t counts[DLNN_CTC_LM_MAX_ORDER];
  uint64_t cap = 16;
  dlnn_code c;
  int n;
  if ((c = read_counts (r, counts, &lm->order, file_size)))
    return c;
  while (cap < (uint64_t) counts[0] * 2)
    cap *= 2;
  lm->word_mask = cap - 1;
  lm->word_table = malloc ((size_t) cap * sizeof (uint32_t));
  lm->word_off = malloc ((size_t) counts[0] * sizeof (uint32_t));
  lm->uni_prob = malloc ((size_t) counts[0] * sizeof (float));
  lm->uni_bo = malloc ((size_t) counts[0] * sizeof (float));
  lm->blob_cap = (size_t) counts[0] * 8;
  lm->blob = malloc (lm->blob_cap);
  if (!lm->word_table || !lm->word_off || !lm->uni_prob || !lm->uni_bo
      || !lm->blob)
    return dlnn_status_set (r->st, DLNN_ERR_NOMEM, "%s: out of memory",
        r->path);
  memset (lm->word_table, 0xff, (size_t) cap * sizeof (uint32_t));
  for (n = 1; n <= lm->order; n++)
    if ((c = read_section (lm, r, n, counts[n - 1])))
      return c;
  return expect_header (r, "\\end\\");
}

dlnn_ctc_lm *
dlnn_ctc_lm_load (const char *path, dlnn_status * st)
{
  dlnn_ctc_lm *lm;
  reader r;
  struct stat sb;
  dlnn_code c;
  if (!path) {
    dlnn_status_set (st, DLNN_ERR_INVALID, "ctc lm: NULL path");
    return NULL;
  }
  memset (&r, 0, sizeof (r));
  r.path = path;
  r.st = st;
  r.f = fopen (path, "rb");
  if (!r.f) {
    dlnn_status_set (st, DLNN_ERR_IO, "%s: %s", path, strerror (errno));
    return NULL;
  }
  if (fstat (fileno (r.f), &sb) != 0 || !S_ISREG (sb.st_mode)) {
    dlnn_status_set (st, DLNN_ERR_IO, "%s: not a regular file", path);
    fclose (r.f);
    return NULL;
  }
  lm = calloc (1, sizeof (*lm));
  if (!lm) {
    dlnn_status_set (st, DLNN_ERR_NOMEM, "%s: out of memory", path);
    fclose (r.f);
    return NULL;
  }
  lm->bos = lm->eos = lm->unk = -1;
  c = load (lm, &r, (int64_t) sb.st_size);
  if (c == DLNN_OK && ferror (r.f))
    c = dlnn_status_set (st, DLNN_ERR_IO, "%s: read error", path);
  free (r.line);
  fclose (r.f);
  if (c != DLNN_OK) {
    dlnn_ctc_lm_free (lm);
    return NULL;
  }
  return lm;
}
