/* JSGF grammar storage (jsgf_words.c): growable arrays, the string blob
 * and the lower-cased word table (open-addressing hash). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "jsgf_private.h"

int
dlnn_jsgf_grow (void **p, int64_t * cap, int64_t need, size_t elem)
{
  int64_t c = *cap > 0 ? *cap : 16;
  void *q;
  if (need <= *cap)
    return 0;
  if (need > (INT64_C (1) << 40) / (int64_t) elem)
    return -1;
  while (c < need)
    c *= 2;
  q = realloc (*p, (size_t) c * elem);
  if (!q)
    return -1;
  *p = q;
  *cap = c;
  return 0;
}

int64_t
dlnn_jsgf_store (dlnn_grammar * g, const char *s, size_t len)
{
  int64_t cap = (int64_t) g->text_cap, off = (int64_t) g->text_len;
  void *p = g->text;
  if (off + (int64_t) len + 1 > INT32_MAX
      || dlnn_jsgf_grow (&p, &cap, off + (int64_t) len + 1, 1) < 0)
    return -1;
  g->text = p;
  g->text_cap = (size_t) cap;
  memcpy (g->text + off, s, len);
  g->text[off + (int64_t) len] = '\0';
  g->text_len += len + 1;
  return off;
}

/* ---- words ----------------------------------------------------------- */

static uint64_t
hash_lower (const char *s, size_t len)
{
  uint64_t h = 1469598103934665603u;
  size_t i;
  for (i = 0; i < len; i++) {
    h ^= (uint64_t) (unsigned char) tolower ((unsigned char) s[i]);
    h *= 1099511628211u;
  }
  return h;
}

static int
equal_lower (const char *word, const char *s, size_t len)
{
  size_t i;
  for (i = 0; i < len; i++)
    if (word[i] != (char) tolower ((unsigned char) s[i]))
      return 0;
  return word[len] == '\0';
}

int32_t
dlnn_jsgf_find_word (const dlnn_grammar * g, const char *s, size_t len)
{
  int64_t i;
  if (g->whash_cap == 0)
    return -1;
  i = (int64_t) (hash_lower (s, len) & (uint64_t) (g->whash_cap - 1));
  for (;; i = (i + 1) & (g->whash_cap - 1)) {
    int32_t id = g->whash[i];
    if (id < 0)
      return -1;
    if (equal_lower (g->text + g->word_off[id], s, len))
      return id;
  }
}

static int
rehash (dlnn_grammar * g, int64_t cap)
{
  int32_t *h = malloc ((size_t) cap * sizeof (*h));
  int32_t id;
  if (!h)
    return -1;
  memset (h, 0xff, (size_t) cap * sizeof (*h));
  for (id = 0; id < g->n_words; id++) {
    const char *w = g->text + g->word_off[id];
    int64_t i = (int64_t) (hash_lower (w, strlen (w)) & (uint64_t) (cap - 1));
    while (h[i] >= 0)
      i = (i + 1) & (cap - 1);
    h[i] = id;
  }
  free (g->whash);
  g->whash = h;
  g->whash_cap = cap;
  return 0;
}

int32_t
dlnn_jsgf_intern_word (dlnn_grammar * g, const char *s, size_t len,
    int line)
{
  int32_t id = dlnn_jsgf_find_word (g, s, len);
  int64_t off, cap;
  size_t i;
  void *p;
  if (id >= 0)
    return id;
  if (g->n_words >= DLNN_JSGF_MAX_POSITIONS)
    return -1;
  off = dlnn_jsgf_store (g, s, len);
  if (off < 0)
    return -1;
  for (i = 0; i < len; i++)
    g->text[off + (int64_t) i] = (char) tolower ((unsigned char) s[i]);
  cap = g->cap_words;
  p = g->word_off;
  if (dlnn_jsgf_grow (&p, &cap, g->n_words + 1, sizeof (int32_t)) < 0)
    return -1;
  g->word_off = p;
  cap = g->cap_words;
  p = g->word_line;
  if (dlnn_jsgf_grow (&p, &cap, g->n_words + 1, sizeof (int32_t)) < 0)
    return -1;
  g->word_line = p;
  g->cap_words = (int32_t) cap;
  id = g->n_words++;
  g->word_off[id] = (int32_t) off;
  g->word_line[id] = line;
  if ((int64_t) g->n_words * 2 > g->whash_cap
      && rehash (g, g->whash_cap ? g->whash_cap * 2 : 64) < 0)
    return -1;
  if (g->whash_cap >= (int64_t) g->n_words * 2) {
    int64_t k = (int64_t) (hash_lower (s, len) &
        (uint64_t) (g->whash_cap - 1));
    while (g->whash[k] >= 0 && g->whash[k] != id)
      k = (k + 1) & (g->whash_cap - 1);
    g->whash[k] = id;
  }
  return id;
}
