/* JSGF word automaton: the position (Glushkov) automaton of the public
 * rules with every rule reference expanded in place, which has no epsilon
 * arcs by construction. State 0 is the start, state p >= 1 the p-th word
 * occurrence (entered by reading that word). Arcs into states from which
 * no final state can be reached are dropped. */
#include <stdlib.h>
#include <string.h>

#include "jsgf_private.h"

typedef struct ivec
{
  int32_t *v;
  int64_t n, cap;
} ivec;

typedef struct pair
{
  int32_t from, to;
} pair;

typedef struct fsa_build
{
  dlnn_grammar *g;
  dlnn_status *st;
  int32_t *pos_word;            /* word of position p (index 0 unused) */
  int64_t n_pos, cap_pos;
  pair *pairs;
  int64_t n_pairs, cap_pairs;
} fsa_build;

static dlnn_code
nomem (fsa_build * B)
{
  return dlnn_status_set (B->st, DLNN_ERR_NOMEM, "%s: out of memory",
      B->g->source);
}

static dlnn_code
too_large (fsa_build * B, const char *what, long long limit)
{
  return dlnn_status_set (B->st, DLNN_ERR_NOMEM, "%s: grammar too large "
      "(more than %lld %s after expanding rule references)", B->g->source,
      limit, what);
}

static int
push (ivec * a, int32_t x)
{
  void *p = a->v;
  if (dlnn_jsgf_grow (&p, &a->cap, a->n + 1, sizeof (int32_t)) < 0)
    return -1;
  a->v = p;
  a->v[a->n++] = x;
  return 0;
}

static int
append (ivec * a, const ivec * b)
{
  int64_t i;
  for (i = 0; i < b->n; i++)
    if (push (a, b->v[i]) < 0)
      return -1;
  return 0;
}

/* follow(p) += @f for every p in @l */
static dlnn_code
add_follow (fsa_build * B, const ivec * l, const ivec * f)
{
  int64_t i, j;
  void *p;
  if (l->n == 0 || f->n == 0)
    return DLNN_OK;
  if (l->n * f->n > 2 * (int64_t) DLNN_JSGF_MAX_ARCS - B->n_pairs)
    return too_large (B, "arcs", DLNN_JSGF_MAX_ARCS);
  p = B->pairs;
  if (dlnn_jsgf_grow (&p, &B->cap_pairs, B->n_pairs + l->n * f->n,
          sizeof (pair)) < 0)
    return nomem (B);
  B->pairs = p;
  for (i = 0; i < l->n; i++)
    for (j = 0; j < f->n; j++) {
      B->pairs[B->n_pairs].from = l->v[i];
      B->pairs[B->n_pairs].to = f->v[j];
      B->n_pairs++;
    }
  return DLNN_OK;
}

/* Appends first and last positions of @node to @first, @last; *nullable
 * whether it matches the empty sequence. */
static dlnn_code
walk (fsa_build * B, int32_t node, ivec * first, ivec * last, int *nullable,
    int depth)
{
  dlnn_grammar *g = B->g;
  const jsgf_node nd = g->nodes[node];
  ivec f = { 0 }, l = { 0 }, cur = { 0 };
  dlnn_code c = DLNN_OK;
  int32_t k;
  int nk;

  if (depth > 16 * DLNN_JSGF_MAX_DEPTH)
    return dlnn_status_set (B->st, DLNN_ERR_FORMAT, "%s:%d: rule "
        "references nested more than %d deep", g->source, nd.line,
        16 * DLNN_JSGF_MAX_DEPTH);
  switch (nd.kind) {
    case JSGF_WORD:{
      void *p = B->pos_word;
      if (B->n_pos >= DLNN_JSGF_MAX_POSITIONS)
        return too_large (B, "word positions", DLNN_JSGF_MAX_POSITIONS);
      if (dlnn_jsgf_grow (&p, &B->cap_pos, B->n_pos + 1, sizeof (int32_t)))
        return nomem (B);
      B->pos_word = p;
      B->pos_word[B->n_pos] = nd.value;
      if (push (first, (int32_t) B->n_pos) < 0
          || push (last, (int32_t) B->n_pos) < 0)
        return nomem (B);
      B->n_pos++;
      *nullable = 0;
      return DLNN_OK;
    }
    case JSGF_NULL:
      *nullable = 1;
      return DLNN_OK;
    case JSGF_VOID:
      *nullable = 0;
      return DLNN_OK;
    case JSGF_REF:{
      jsgf_rule *r = &g->rules[nd.value];
      if (r->active)
        return dlnn_status_set (B->st, DLNN_ERR_FORMAT, "%s:%d: rule <%s> "
            "is recursive (it refers to itself, directly or through other "
            "rules); recursion is not supported, repeat with * or + "
            "instead", g->source, nd.line, g->text + r->name);
      r->active = 1;
      c = walk (B, r->body, first, last, nullable, depth + 1);
      g->rules[nd.value].active = 0;
      return c;
    }
    case JSGF_ALT:
      *nullable = 0;
      for (k = nd.kid; k >= 0 && c == DLNN_OK; k = g->nodes[k].next) {
        c = walk (B, k, first, last, &nk, depth + 1);
        *nullable |= nk;
      }
      return c;
    case JSGF_OPT:
      c = walk (B, nd.kid, first, last, &nk, depth + 1);
      *nullable = 1;
      return c;
    case JSGF_STAR:
    case JSGF_PLUS:
      c = walk (B, nd.kid, &f, &l, &nk, depth + 1);
      if (c == DLNN_OK)
        c = add_follow (B, &l, &f);
      if (c == DLNN_OK && (append (first, &f) < 0 || append (last, &l) < 0))
        c = nomem (B);
      *nullable = nd.kind == JSGF_STAR || nk;
      break;
    case JSGF_SEQ:{
      int prefix_nullable = 1;
      for (k = nd.kid; k >= 0 && c == DLNN_OK; k = g->nodes[k].next) {
        f.n = l.n = 0;
        c = walk (B, k, &f, &l, &nk, depth + 1);
        if (c == DLNN_OK)
          c = add_follow (B, &cur, &f);
        if (c != DLNN_OK)
          break;
        if (prefix_nullable && append (first, &f) < 0) {
          c = nomem (B);
          break;
        }
        if (!nk)
          cur.n = 0;
        if (append (&cur, &l) < 0) {
          c = nomem (B);
          break;
        }
        prefix_nullable &= nk;
      }
      if (c == DLNN_OK && append (last, &cur) < 0)
        c = nomem (B);
      *nullable = prefix_nullable;
      break;
    }
    default:
      c = dlnn_status_set (B->st, DLNN_ERR_INVALID, "%s: bad node",
          g->source);
      break;
  }
  free (f.v);
  free (l.v);
  free (cur.v);
  return c;
}

static int
arc_cmp (const void *pa, const void *pb)
{
  const int32_t *a = pa, *b = pb;      /* from, word, to */
  int i;
  for (i = 0; i < 3; i++)
    if (a[i] != b[i])
      return a[i] < b[i] ? -1 : 1;
  return 0;
}

/* Arcs from B->pairs, sorted, deduplicated, without arcs into dead
 * states, in CSR form. */
static dlnn_code
finish (fsa_build * B)
{
  dlnn_grammar *g = B->g;
  const int64_t S = B->n_pos, P = B->n_pairs;
  int32_t *tri = NULL, *queue = NULL;
  int64_t *rstart = NULL, *rfill = NULL;
  int32_t *rfrom = NULL;
  uint8_t *live = NULL;
  int64_t i, n = 0, qh = 0, qt = 0;
  dlnn_code c = DLNN_OK;

  tri = malloc ((size_t) (P > 0 ? P : 1) * 3 * sizeof (int32_t));
  if (!tri)
    return nomem (B);
  for (i = 0; i < P; i++) {
    tri[3 * i] = B->pairs[i].from;
    tri[3 * i + 1] = B->pos_word[B->pairs[i].to];
    tri[3 * i + 2] = B->pairs[i].to;
  }
  qsort (tri, (size_t) P, 3 * sizeof (int32_t), arc_cmp);
  for (i = 0; i < P; i++)
    if (n == 0 || arc_cmp (tri + 3 * i, tri + 3 * (n - 1)) != 0) {
      memmove (tri + 3 * n, tri + 3 * i, 3 * sizeof (int32_t));
      n++;
    }
  if (n > DLNN_JSGF_MAX_ARCS) {
    free (tri);
    return too_large (B, "arcs", DLNN_JSGF_MAX_ARCS);
  }
  /* live states: reverse breadth-first search from the final states */
  live = calloc ((size_t) S, 1);
  queue = malloc ((size_t) S * sizeof (int32_t));
  rstart = calloc ((size_t) S + 1, sizeof (int64_t));
  rfill = malloc ((size_t) S * sizeof (int64_t));
  rfrom = malloc ((size_t) (n > 0 ? n : 1) * sizeof (int32_t));
  if (!live || !queue || !rstart || !rfill || !rfrom) {
    c = nomem (B);
    goto out;
  }
  for (i = 0; i < n; i++)
    rstart[tri[3 * i + 2] + 1]++;
  for (i = 0; i < S; i++) {
    rstart[i + 1] += rstart[i];
    rfill[i] = rstart[i];
  }
  for (i = 0; i < n; i++)
    rfrom[rfill[tri[3 * i + 2]]++] = tri[3 * i];
  for (i = 0; i < S; i++)
    if (g->final[i]) {
      live[i] = 1;
      queue[qt++] = (int32_t) i;
    }
  while (qh < qt) {
    int32_t s = queue[qh++];
    int64_t k;
    for (k = rstart[s]; k < rstart[s + 1]; k++)
      if (!live[rfrom[k]]) {
        live[rfrom[k]] = 1;
        queue[qt++] = rfrom[k];
      }
  }
  if (!live[0]) {
    c = dlnn_status_set (B->st, DLNN_ERR_FORMAT, "%s: the grammar accepts "
        "no sentence", g->source);
    goto out;
  }
  g->arcs = malloc ((size_t) (n > 0 ? n : 1) * sizeof (dlnn_grammar_arc));
  g->arc_start = calloc ((size_t) S + 1, sizeof (int64_t));
  if (!g->arcs || !g->arc_start) {
    c = nomem (B);
    goto out;
  }
  g->n_arcs = 0;
  for (i = 0; i < n; i++) {
    if (!live[tri[3 * i + 2]])
      continue;
    g->arcs[g->n_arcs].word = tri[3 * i + 1];
    g->arcs[g->n_arcs].to = tri[3 * i + 2];
    g->arc_start[tri[3 * i] + 1]++;
    g->n_arcs++;
  }
  for (i = 0; i < S; i++)
    g->arc_start[i + 1] += g->arc_start[i];
  g->n_states = (int32_t) S;

out:
  free (tri);
  free (live);
  free (queue);
  free (rstart);
  free (rfill);
  free (rfrom);
  return c;
}

dlnn_code
dlnn_jsgf_build_fsa (dlnn_grammar * g, dlnn_status * st)
{
  fsa_build B;
  ivec first = { 0 }, last = { 0 }, start = { 0 };
  int nullable = 0, nk;
  int64_t i;
  int32_t r;
  dlnn_code c = DLNN_OK;

  memset (&B, 0, sizeof (B));
  B.g = g;
  B.st = st;
  B.n_pos = 1;                  /* position 0 is the start state */
  B.cap_pos = 1024;
  B.pos_word = malloc ((size_t) B.cap_pos * sizeof (int32_t));
  if (!B.pos_word)
    return nomem (&B);
  B.pos_word[0] = -1;
  for (r = 0; r < g->n_rules && c == DLNN_OK; r++) {
    if (!g->rules[r].is_public)
      continue;
    g->rules[r].active = 1;
    c = walk (&B, g->rules[r].body, &first, &last, &nk, 0);
    g->rules[r].active = 0;
    nullable |= nk;
  }
  if (c == DLNN_OK && push (&start, 0) < 0)
    c = nomem (&B);
  if (c == DLNN_OK)
    c = add_follow (&B, &start, &first);
  if (c == DLNN_OK && !(g->final = calloc ((size_t) B.n_pos, 1)))
    c = nomem (&B);
  if (c == DLNN_OK) {
    g->final[0] = (uint8_t) nullable;
    for (i = 0; i < last.n; i++)
      g->final[last.v[i]] = 1;
    c = finish (&B);
  }
  free (first.v);
  free (last.v);
  free (start.v);
  free (B.pos_word);
  free (B.pairs);
  return c;
}

/* ---- queries --------------------------------------------------------- */

const char *
dlnn_grammar_name (const dlnn_grammar * g)
{
  return g ? g->name : NULL;
}

int32_t
dlnn_grammar_n_words (const dlnn_grammar * g)
{
  return g ? g->n_words : 0;
}

const char *
dlnn_grammar_word (const dlnn_grammar * g, int32_t id, int *line)
{
  if (!g || id < 0 || id >= g->n_words)
    return NULL;
  if (line)
    *line = g->word_line[id];
  return g->text + g->word_off[id];
}

int32_t
dlnn_grammar_n_states (const dlnn_grammar * g)
{
  return g ? g->n_states : 0;
}

int
dlnn_grammar_is_final (const dlnn_grammar * g, int32_t state)
{
  return g && state >= 0 && state < g->n_states && g->final[state];
}

int64_t
dlnn_grammar_arcs (const dlnn_grammar * g, int32_t state,
    const dlnn_grammar_arc ** arcs)
{
  if (!g || state < 0 || state >= g->n_states) {
    if (arcs)
      *arcs = NULL;
    return 0;
  }
  if (arcs)
    *arcs = g->arcs + g->arc_start[state];
  return g->arc_start[state + 1] - g->arc_start[state];
}

int
dlnn_grammar_accepts (const dlnn_grammar * g, const char *const *words,
    int64_t n)
{
  uint8_t *cur, *nxt;
  int64_t i, k;
  int32_t s;
  int ok = 0;
  if (!g || n < 0 || (n > 0 && !words))
    return 0;
  cur = calloc ((size_t) g->n_states, 1);
  nxt = calloc ((size_t) g->n_states, 1);
  if (!cur || !nxt)
    goto out;
  cur[0] = 1;
  for (i = 0; i < n; i++) {
    int32_t w = words[i] ? dlnn_jsgf_find_word (g, words[i],
        strlen (words[i])) : -1;
    int any = 0;
    if (w < 0)
      goto out;
    memset (nxt, 0, (size_t) g->n_states);
    for (s = 0; s < g->n_states; s++) {
      if (!cur[s])
        continue;
      for (k = g->arc_start[s]; k < g->arc_start[s + 1]; k++)
        if (g->arcs[k].word == w) {
          nxt[g->arcs[k].to] = 1;
          any = 1;
        }
    }
    if (!any)
      goto out;
    memcpy (cur, nxt, (size_t) g->n_states);
  }
  for (s = 0; s < g->n_states && !ok; s++)
    ok = cur[s] && g->final[s];
out:
  free (cur);
  free (nxt);
  return ok;
}
