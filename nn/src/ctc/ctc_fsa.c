/* Grammar -> CTC decoding constraint: subset construction over the word
 * automaton of jsgf_fsa.c (a deterministic state is a set of grammar
 * states), then one prefix tree of label tokens per deterministic state
 * in a dlnn_ctc_vocab (see ctc_private.h): the root of state d spells the
 * words allowed in d, the word boundary after a word leads to the root of
 * the state the word moves to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctc_private.h"
#include "jsgf_private.h"

typedef struct dfa
{
  int32_t *pool;                /* members of every set */
  int64_t n_pool, cap_pool;
  int64_t *off;                 /* set i: pool[off[i] .. off[i] + len[i]) */
  int32_t *len;
  int64_t n, cap, cap_len;
  int32_t *hash;
  int64_t hcap;
  int32_t *tr;                  /* transitions: from, word, to */
  int64_t n_tr, cap_tr;
} dfa;

static uint64_t
hash_set (const int32_t * s, int32_t n)
{
  uint64_t h = 1469598103934665603u;
  int32_t i;
  for (i = 0; i < n; i++) {
    h ^= (uint64_t) (uint32_t) s[i];
    h *= 1099511628211u;
  }
  return h;
}

static int
rehash (dfa * D, int64_t cap)
{
  int32_t *h = malloc ((size_t) cap * sizeof (int32_t));
  int64_t i;
  if (!h)
    return -1;
  memset (h, 0xff, (size_t) cap * sizeof (int32_t));
  for (i = 0; i < D->n; i++) {
    int64_t k = (int64_t) (hash_set (D->pool + D->off[i], D->len[i]) &
        (uint64_t) (cap - 1));
    while (h[k] >= 0)
      k = (k + 1) & (cap - 1);
    h[k] = (int32_t) i;
  }
  free (D->hash);
  D->hash = h;
  D->hcap = cap;
  return 0;
}

/* Id of the set @s[0..n) (sorted, distinct), added if new; -1 out of
 * memory, -2 too many states. */
static int32_t
find_or_add (dfa * D, const int32_t * s, int32_t n)
{
  int64_t k = (int64_t) (hash_set (s, n) & (uint64_t) (D->hcap - 1));
  void *p;
  for (; D->hash[k] >= 0; k = (k + 1) & (D->hcap - 1)) {
    int32_t id = D->hash[k];
    if (D->len[id] == n && memcmp (D->pool + D->off[id], s,
            (size_t) n * sizeof (int32_t)) == 0)
      return id;
  }
  if (D->n >= DLNN_JSGF_MAX_DFA_STATES)
    return -2;
  p = D->pool;
  if (dlnn_jsgf_grow (&p, &D->cap_pool, D->n_pool + n, sizeof (int32_t)))
    return -1;
  D->pool = p;
  p = D->off;
  if (dlnn_jsgf_grow (&p, &D->cap, D->n + 1, sizeof (int64_t)))
    return -1;
  D->off = p;
  p = D->len;
  if (dlnn_jsgf_grow (&p, &D->cap_len, D->n + 1, sizeof (int32_t)))
    return -1;
  D->len = p;
  memcpy (D->pool + D->n_pool, s, (size_t) n * sizeof (int32_t));
  D->off[D->n] = D->n_pool;
  D->len[D->n] = n;
  D->n_pool += n;
  D->hash[k] = (int32_t) D->n;
  D->n++;
  if (D->n * 2 > D->hcap && rehash (D, D->hcap * 2) < 0)
    return -1;
  return (int32_t) (D->n - 1);
}

static int
pair_cmp (const void *pa, const void *pb)
{
  const int32_t *a = pa, *b = pb;       /* word, to */
  if (a[0] != b[0])
    return a[0] < b[0] ? -1 : 1;
  return a[1] < b[1] ? -1 : a[1] > b[1];
}

static dlnn_code
determinize (const dlnn_grammar * g, dfa * D, dlnn_status * st)
{
  int32_t *buf = NULL, *set = NULL;
  int64_t cap_buf = 0, i;
  int32_t start = 0;
  dlnn_code c = DLNN_OK;

  D->hcap = 64;
  D->hash = malloc ((size_t) D->hcap * sizeof (int32_t));
  set = malloc ((size_t) (g->n_states > 0 ? g->n_states : 1) *
      sizeof (int32_t));
  if (!D->hash || !set)
    goto nomem;
  memset (D->hash, 0xff, (size_t) D->hcap * sizeof (int32_t));
  if (find_or_add (D, &start, 1) < 0)
    goto nomem;
  for (i = 0; i < D->n; i++) {
    int64_t n = 0, j, k;
    int32_t m;
    /* the (word, target) arcs of every member, sorted */
    for (m = 0; m < D->len[i]; m++) {
      int32_t s = D->pool[D->off[i] + m];
      int64_t na = g->arc_start[s + 1] - g->arc_start[s];
      void *p = buf;
      if (dlnn_jsgf_grow (&p, &cap_buf, 2 * (n + na), sizeof (int32_t)))
        goto nomem;
      buf = p;
      for (k = g->arc_start[s]; k < g->arc_start[s + 1]; k++) {
        buf[2 * n] = g->arcs[k].word;
        buf[2 * n + 1] = g->arcs[k].to;
        n++;
      }
    }
    qsort (buf, (size_t) n, 2 * sizeof (int32_t), pair_cmp);
    for (j = 0; j < n;) {
      int32_t w = buf[2 * j], ns = 0, to;
      void *p = D->tr;
      for (; j < n && buf[2 * j] == w; j++)
        if (ns == 0 || set[ns - 1] != buf[2 * j + 1])
          set[ns++] = buf[2 * j + 1];
      to = find_or_add (D, set, ns);
      if (to == -2) {
        c = dlnn_status_set (st, DLNN_ERR_NOMEM, "%s: grammar too complex "
            "(more than %d deterministic states)", g->source,
            DLNN_JSGF_MAX_DFA_STATES);
        goto out;
      }
      if (to < 0 || dlnn_jsgf_grow (&p, &D->cap_tr, 3 * (D->n_tr + 1),
              sizeof (int32_t)))
        goto nomem;
      D->tr = p;
      D->tr[3 * D->n_tr] = (int32_t) i;
      D->tr[3 * D->n_tr + 1] = w;
      D->tr[3 * D->n_tr + 2] = to;
      D->n_tr++;
    }
  }
  goto out;

nomem:
  c = dlnn_status_set (st, DLNN_ERR_NOMEM, "%s: out of memory", g->source);
out:
  free (buf);
  free (set);
  return c;
}

static void
dfa_free (dfa * D)
{
  free (D->pool);
  free (D->off);
  free (D->len);
  free (D->hash);
  free (D->tr);
}

dlnn_ctc_vocab *
dlnn_grammar_ctc_vocab (const dlnn_grammar * g, const char *const *labels,
    int64_t n_labels, int blank, int32_t boundary, dlnn_status * st)
{
  dfa D;
  dlnn_ctc_vocab *v = NULL;
  int32_t *roots = NULL, *tok = NULL, *tok_len = NULL;
  int64_t *tok_off = NULL, n_tok = 0, i, w;
  char bad[320];
  int n_bad = 0;
  uint8_t *final = NULL;

  memset (&D, 0, sizeof (D));
  bad[0] = '\0';
  if (!g || !labels || n_labels < 2 || blank < 0 || blank >= n_labels) {
    dlnn_status_set (st, DLNN_ERR_INVALID, "grammar: bad labels");
    return NULL;
  }
  if (boundary < 0 || boundary >= n_labels || boundary == blank) {
    dlnn_status_set (st, DLNN_ERR_INVALID, "%s: the model has no word "
        "boundary label \" \"; a grammar needs one", g->source);
    return NULL;
  }
  if (determinize (g, &D, st) != DLNN_OK)
    goto fail;
  /* spell the words the automaton uses */
  tok_off = malloc ((size_t) (g->n_words > 0 ? g->n_words : 1) *
      sizeof (int64_t));
  tok_len = malloc ((size_t) (g->n_words > 0 ? g->n_words : 1) *
      sizeof (int32_t));
  tok = malloc (((size_t) g->text_len + 1) * sizeof (int32_t));
  final = calloc ((size_t) D.n, 1);
  roots = malloc ((size_t) D.n * sizeof (int32_t));
  if (!tok_off || !tok_len || !tok || !final || !roots)
    goto nomem;
  for (w = 0; w < g->n_words; w++)
    tok_len[w] = -2;            /* not used */
  for (i = 0; i < D.n_tr; i++) {
    const char *word;
    int64_t n;
    w = D.tr[3 * i + 1];
    if (tok_len[w] != -2)
      continue;
    word = g->text + g->word_off[w];
    n = dlnn_ctc_spell (word, labels, n_labels, blank, boundary,
        tok + n_tok);
    tok_off[w] = n_tok;
    tok_len[w] = (int32_t) (n < 0 ? -1 : n);
    if (n > 0)
      n_tok += n;
    if (n <= 0) {
      size_t used = strlen (bad);
      if (n_bad < 5)
        snprintf (bad + used, sizeof (bad) - used, "%s\"%.40s\" (line %d)",
            n_bad ? ", " : "", word, g->word_line[w]);
      else if (n_bad == 5)
        snprintf (bad + used, sizeof (bad) - used, ", ...");
      n_bad++;
    }
  }
  if (n_bad) {
    dlnn_status_set (st, DLNN_ERR_INVALID, "%s: %d word%s cannot be written "
        "with the model's labels: %s", g->source, n_bad, n_bad > 1 ? "s" :
        "", bad);
    goto fail;
  }
  for (i = 0; i < D.n; i++) {
    int32_t m;
    for (m = 0; m < D.len[i] && !final[i]; m++)
      final[i] = g->final[D.pool[D.off[i] + m]];
  }
  v = dlnn_ctc_vocab_new (boundary, st);
  if (!v)
    goto fail;
  roots[0] = 0;
  for (i = 1; i < D.n; i++)
    if ((roots[i] = dlnn_ctc_vocab_add_root (v)) < 0)
      goto nomem;
  for (i = 0; i < D.n; i++)
    v->nodes[roots[i]].accept = final[i];
  v->accept_empty = final[0];
  for (i = 0; i < D.n_tr; i++) {
    int32_t from = D.tr[3 * i], to = D.tr[3 * i + 2], leaf;
    w = D.tr[3 * i + 1];
    leaf = dlnn_ctc_vocab_insert (v, roots[from], tok + tok_off[w],
        tok_len[w]);
    if (leaf < 0)
      goto nomem;
    /* distinct words have distinct spellings: a leaf is never shared */
    v->nodes[leaf].terminal = 1;
    v->nodes[leaf].next = roots[to];
    v->nodes[leaf].accept = final[to];
    v->n_entries++;
  }
  goto out;

nomem:
  dlnn_status_set (st, DLNN_ERR_NOMEM, "%s: out of memory", g->source);
fail:
  dlnn_ctc_vocab_free (v);
  v = NULL;
out:
  dfa_free (&D);
  free (roots);
  free (tok);
  free (tok_off);
  free (tok_len);
  free (final);
  return v;
}
