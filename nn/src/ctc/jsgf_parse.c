/* JSGF reader: recursive-descent parser over the tokens of jsgf_lex.c
 * into the expression tree of jsgf_private.h, and the entry points; the
 * automaton is built by jsgf_fsa.c. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsgf_private.h"

/* ---- parser ---------------------------------------------------------- */

static int32_t
new_node (dlnn_grammar * g, int kind, int line)
{
  void *p = g->nodes;
  jsgf_node *nd;
  if (g->n_nodes >= INT32_MAX
      || dlnn_jsgf_grow (&p, &g->cap_nodes, g->n_nodes + 1, sizeof (*nd)) < 0)
    return -1;
  g->nodes = p;
  nd = &g->nodes[g->n_nodes];
  nd->kind = kind;
  nd->kid = nd->next = -1;
  nd->value = -1;
  nd->line = line;
  nd->name = -1;
  return (int32_t) g->n_nodes++;
}

/* A node of @kind over the sibling list starting at @kid. */
static dlnn_code
wrap (jsgf_lexer * L, int kind, int32_t kid, int line, int32_t * out)
{
  int32_t n = new_node (L->g, kind, line);
  if (n < 0)
    return dlnn_jsgf_nomem (L);
  L->g->nodes[n].kid = kid;
  *out = n;
  return DLNN_OK;
}

static dlnn_code parse_alt (jsgf_lexer * L, int32_t * out);

/* A quoted token: the words inside, backslash escapes the next byte. */
static dlnn_code
parse_quoted (jsgf_lexer * L, int32_t * out)
{
  const char *s = L->s + L->tpos;
  size_t n = L->tlen, i = 0, len;
  int32_t first = -1, last = -1, count = 0;
  char *buf = malloc (n + 1);
  dlnn_code c = DLNN_OK;
  if (!buf)
    return dlnn_jsgf_nomem (L);
  while (i < n) {
    int32_t nd, id;
    while (i < n && isspace ((unsigned char) s[i]))
      i++;
    if (i >= n)
      break;
    len = 0;
    while (i < n && !isspace ((unsigned char) s[i])) {
      if (s[i] == '\\' && i + 1 < n)
        i++;
      buf[len++] = s[i++];
    }
    id = dlnn_jsgf_intern_word (L->g, buf, len, L->tline);
    nd = id < 0 ? -1 : new_node (L->g, JSGF_WORD, L->tline);
    if (nd < 0) {
      c = dlnn_jsgf_nomem (L);
      goto out;
    }
    L->g->nodes[nd].value = id;
    if (last >= 0)
      L->g->nodes[last].next = nd;
    else
      first = nd;
    last = nd;
    count++;
  }
  if (count == 0)
    c = dlnn_jsgf_error (L, L->tline, "empty quoted token");
  else if (count == 1)
    *out = first;
  else
    c = wrap (L, JSGF_SEQ, first, L->tline, out);
out:
  free (buf);
  return c;
}

static dlnn_code
parse_item (jsgf_lexer * L, int32_t * out)
{
  dlnn_grammar *g = L->g;
  int line = L->tline;
  int32_t n = -1;
  dlnn_code c;
  char buf[64];

  if (L->kind == DLNN_JSGF_TK_WORD) {
    int32_t id = dlnn_jsgf_intern_word (g, L->s + L->tpos, L->tlen, line);
    n = id < 0 ? -1 : new_node (g, JSGF_WORD, line);
    if (n < 0)
      return dlnn_jsgf_nomem (L);
    g->nodes[n].value = id;
  } else if (L->kind == DLNN_JSGF_TK_QUOTED) {
    if ((c = parse_quoted (L, &n)) != DLNN_OK)
      return c;
  } else if (L->kind == DLNN_JSGF_TK_RULE) {
    int kind = JSGF_REF;
    if (L->tlen == 4 && strncmp (L->s + L->tpos, "NULL", 4) == 0)
      kind = JSGF_NULL;
    else if (L->tlen == 4 && strncmp (L->s + L->tpos, "VOID", 4) == 0)
      kind = JSGF_VOID;
    n = new_node (g, kind, line);
    if (n < 0)
      return dlnn_jsgf_nomem (L);
    if (kind == JSGF_REF) {
      int64_t off = dlnn_jsgf_store (g, L->s + L->tpos, L->tlen);
      if (off < 0)
        return dlnn_jsgf_nomem (L);
      g->nodes[n].name = (int32_t) off;
    }
  } else if (dlnn_jsgf_is_punct (L, '(') || dlnn_jsgf_is_punct (L, '[')) {
    int opt = dlnn_jsgf_is_punct (L, '[');
    if ((c = dlnn_jsgf_next (L)) != DLNN_OK
        || (c = parse_alt (L, &n)) != DLNN_OK)
      return c;
    if (!dlnn_jsgf_is_punct (L, opt ? ']' : ')'))
      return dlnn_jsgf_error (L, L->tline,
          "expected '%c' to close the '%c' of line "
          "%d, found %s", opt ? ']' : ')', opt ? '[' : '(', line,
          dlnn_jsgf_describe (L, buf, sizeof (buf)));
    if (opt && (c = wrap (L, JSGF_OPT, n, line, &n)) != DLNN_OK)
      return c;
  } else {
    return dlnn_jsgf_error (L, line, "unexpected %s in a rule expansion",
        dlnn_jsgf_describe (L, buf, sizeof (buf)));
  }
  if ((c = dlnn_jsgf_next (L)) != DLNN_OK)
    return c;
  while (dlnn_jsgf_is_punct (L, '*') || dlnn_jsgf_is_punct (L, '+')) {
    int kind = dlnn_jsgf_is_punct (L, '*') ? JSGF_STAR : JSGF_PLUS;
    if ((c = wrap (L, kind, n, L->tline, &n)) != DLNN_OK
        || (c = dlnn_jsgf_next (L)) != DLNN_OK)
      return c;
  }
  *out = n;
  return DLNN_OK;
}

static int
ends_sequence (const jsgf_lexer * L)
{
  return L->kind == DLNN_JSGF_TK_EOF || dlnn_jsgf_is_punct (L, '|')
      || dlnn_jsgf_is_punct (L, ';')
      || dlnn_jsgf_is_punct (L, ')') || dlnn_jsgf_is_punct (L, ']')
          || dlnn_jsgf_is_punct (L, '=');
}

static dlnn_code
parse_seq (jsgf_lexer * L, int32_t * out)
{
  int32_t first = -1, last = -1, count = 0;
  int line = L->tline;
  dlnn_code c;
  char buf[64];
  while (!ends_sequence (L)) {
    int32_t n = -1;
    if ((c = parse_item (L, &n)) != DLNN_OK)
      return c;
    if (last >= 0)
      L->g->nodes[last].next = n;
    else
      first = n;
    last = n;
    count++;
  }
  if (count == 0)
    return dlnn_jsgf_error (L, L->tline,
        L->kind == DLNN_JSGF_TK_EOF ? "unexpected end of file "
        "in a rule (missing ';'?)" : "empty alternative before %s",
        dlnn_jsgf_describe (L, buf, sizeof (buf)));
  if (count == 1) {
    *out = first;
    return DLNN_OK;
  }
  return wrap (L, JSGF_SEQ, first, line, out);
}

static dlnn_code
parse_alt (jsgf_lexer * L, int32_t * out)
{
  int32_t first = -1, last = -1, count = 0;
  int line = L->tline;
  dlnn_code c;
  if (++L->depth > DLNN_JSGF_MAX_DEPTH)
    return dlnn_jsgf_error (L, line, "groups nested more than %d deep",
        DLNN_JSGF_MAX_DEPTH);
  for (;;) {
    int32_t n = -1;
    if ((c = parse_seq (L, &n)) != DLNN_OK)
      return c;
    if (last >= 0)
      L->g->nodes[last].next = n;
    else
      first = n;
    last = n;
    count++;
    if (!dlnn_jsgf_is_punct (L, '|'))
      break;
    if ((c = dlnn_jsgf_next (L)) != DLNN_OK)
      return c;
  }
  L->depth--;
  if (count == 1) {
    *out = first;
    return DLNN_OK;
  }
  return wrap (L, JSGF_ALT, first, line, out);
}

static int32_t
find_rule (const dlnn_grammar * g, const char *name, size_t len)
{
  int32_t i;
  for (i = 0; i < g->n_rules; i++) {
    const char *r = g->text + g->rules[i].name;
    if (strlen (r) == len && strncmp (r, name, len) == 0)
      return i;
  }
  return -1;
}

/* [public] <name> = expansion ; */
static dlnn_code
parse_rule (jsgf_lexer * L, int is_public)
{
  dlnn_grammar *g = L->g;
  int line = L->tline;
  int32_t old, body;
  int64_t off, cap = g->cap_rules;
  void *p = g->rules;
  dlnn_code c;
  char buf[64];

  if (L->kind != DLNN_JSGF_TK_RULE)
    return dlnn_jsgf_error (L, line,
        "expected a rule name <...> after \"public\", "
        "found %s", dlnn_jsgf_describe (L, buf, sizeof (buf)));
  if (!g->name)
    return dlnn_jsgf_error (L, line,
        "expected \"grammar NAME;\" before the first rule");
  if (memchr (L->s + L->tpos, '.', L->tlen))
    return dlnn_jsgf_error (L, line, "rule name <%.*s> must not contain '.'",
        (int) L->tlen, L->s + L->tpos);
  old = find_rule (g, L->s + L->tpos, L->tlen);
  if (old >= 0)
    return dlnn_jsgf_error (L, line,
        "rule <%s> defined twice (first on line %d)",
        g->text + g->rules[old].name, g->rules[old].line);
  if ((L->tlen == 4 && (strncmp (L->s + L->tpos, "NULL", 4) == 0 ||
              strncmp (L->s + L->tpos, "VOID", 4) == 0)))
    return dlnn_jsgf_error (L, line, "<NULL> and <VOID> cannot be redefined");
  off = dlnn_jsgf_store (g, L->s + L->tpos, L->tlen);
  if (off < 0 || dlnn_jsgf_grow (&p, &cap, g->n_rules + 1,
          sizeof (jsgf_rule)) < 0)
    return dlnn_jsgf_nomem (L);
  g->rules = p;
  g->cap_rules = (int32_t) cap;
  if ((c = dlnn_jsgf_next (L)) != DLNN_OK)
    return c;
  if (!dlnn_jsgf_is_punct (L, '='))
    return dlnn_jsgf_error (L, L->tline,
        "expected '=' after rule <%s>, found %s",
        g->text + off, dlnn_jsgf_describe (L, buf, sizeof (buf)));
  if ((c = dlnn_jsgf_next (L)) != DLNN_OK
      || (c = parse_alt (L, &body)) != DLNN_OK)
    return c;
  if (!dlnn_jsgf_is_punct (L, ';'))
    return dlnn_jsgf_error (L, L->tline,
        "expected ';' at the end of rule <%s> (line "
        "%d), found %s", g->text + off, line, dlnn_jsgf_describe (L, buf,
            sizeof (buf)));
  g->rules[g->n_rules].name = (int32_t) off;
  g->rules[g->n_rules].body = body;
  g->rules[g->n_rules].line = line;
  g->rules[g->n_rules].is_public = is_public;
  g->rules[g->n_rules].active = 0;
  g->n_rules++;
  return dlnn_jsgf_next (L);
}

/* Resolves rule references: <rule> or <NAME.rule> of this grammar. */
static dlnn_code
resolve (jsgf_lexer * L)
{
  dlnn_grammar *g = L->g;
  int64_t i;
  for (i = 0; i < g->n_nodes; i++) {
    jsgf_node *nd = &g->nodes[i];
    const char *name, *dot;
    size_t gl = strlen (g->name);
    if (nd->kind != JSGF_REF)
      continue;
    name = g->text + nd->name;
    dot = strrchr (name, '.');
    if (dot) {
      if ((size_t) (dot - name) != gl || strncmp (name, g->name, gl) != 0)
        return dlnn_jsgf_error (L, nd->line,
            "<%s>: rules of other grammars (import) "
            "are not supported", name);
      name = dot + 1;
    }
    nd->value = find_rule (g, name, strlen (name));
    if (nd->value < 0)
      return dlnn_jsgf_error (L, nd->line, "undefined rule <%s>", name);
  }
  return DLNN_OK;
}

static dlnn_code
parse_all (jsgf_lexer * L)
{
  dlnn_grammar *g = L->g;
  int have_public = 0;
  dlnn_code c;
  char buf[64];
  int32_t i;

  if (L->n >= 3 && memcmp (L->s, "\xef\xbb\xbf", 3) == 0)
    L->pos = 3;
  while (L->pos < L->n && isspace ((unsigned char) L->s[L->pos])) {
    if (L->s[L->pos] == '\n')
      L->line++;
    L->pos++;
  }
  if (L->n - L->pos < 5 || strncmp (L->s + L->pos, "#JSGF", 5) != 0) {
    size_t i5;
    int ok = L->n - L->pos >= 5;
    for (i5 = 0; ok && i5 < 5; i5++)
      ok = toupper ((unsigned char) L->s[L->pos + i5]) == "#JSGF"[i5];
    if (!ok)
      return dlnn_jsgf_error (L, L->line, "missing \"#JSGF V1.0;\" header");
  }
  while (L->pos < L->n && L->s[L->pos] != ';' && L->s[L->pos] != '\n')
    L->pos++;
  if (L->pos >= L->n || L->s[L->pos] != ';')
    return dlnn_jsgf_error (L, L->line, "the #JSGF header must end with ';'");
  L->pos++;
  if ((c = dlnn_jsgf_next (L)) != DLNN_OK)
    return c;
  while (L->kind != DLNN_JSGF_TK_EOF) {
    if (dlnn_jsgf_is_word (L, "grammar")) {
      int line = L->tline;
      if (g->name)
        return dlnn_jsgf_error (L, line, "second grammar declaration");
      if ((c = dlnn_jsgf_next (L)) != DLNN_OK)
        return c;
      if (L->kind != DLNN_JSGF_TK_WORD)
        return dlnn_jsgf_error (L, line,
            "expected a name after \"grammar\", found %s",
            dlnn_jsgf_describe (L, buf, sizeof (buf)));
      g->name = malloc (L->tlen + 1);
      if (!g->name)
        return dlnn_jsgf_nomem (L);
      memcpy (g->name, L->s + L->tpos, L->tlen);
      g->name[L->tlen] = '\0';
      if ((c = dlnn_jsgf_next (L)) != DLNN_OK
          || (c = dlnn_jsgf_expect (L, ';',
              "after the grammar name")) != DLNN_OK)
        return c;
    } else if (dlnn_jsgf_is_word (L, "import")) {
      return dlnn_jsgf_error (L, L->tline, "import is not supported");
    } else if (dlnn_jsgf_is_word (L, "public")) {
      if ((c = dlnn_jsgf_next (L)) != DLNN_OK
          || (c = parse_rule (L, 1)) != DLNN_OK)
        return c;
    } else if (L->kind == DLNN_JSGF_TK_RULE) {
      if ((c = parse_rule (L, 0)) != DLNN_OK)
        return c;
    } else {
      return dlnn_jsgf_error (L, L->tline, "unexpected %s (expected a rule "
          "definition)", dlnn_jsgf_describe (L, buf, sizeof (buf)));
    }
  }
  if (!g->name)
    return dlnn_jsgf_error (L, L->line,
        "missing \"grammar NAME;\" declaration");
  for (i = 0; i < g->n_rules; i++)
    have_public |= g->rules[i].is_public;
  if (!have_public)
    return dlnn_jsgf_error (L, L->line, "no public rule");
  return resolve (L);
}

void
dlnn_grammar_free (dlnn_grammar * g)
{
  if (!g)
    return;
  free (g->source);
  free (g->name);
  free (g->text);
  free (g->word_off);
  free (g->word_line);
  free (g->whash);
  free (g->nodes);
  free (g->rules);
  free (g->final);
  free (g->arc_start);
  free (g->arcs);
  free (g);
}

dlnn_grammar *
dlnn_grammar_parse (const char *text, size_t len, const char *name,
    dlnn_status * st)
{
  dlnn_grammar *g;
  jsgf_lexer L;
  if (!name)
    name = "<string>";
  if (!text && len > 0) {
    dlnn_status_set (st, DLNN_ERR_INVALID, "grammar: NULL text");
    return NULL;
  }
  g = calloc (1, sizeof (*g));
  if (!g || !(g->source = strdup (name))) {
    free (g);
    dlnn_status_set (st, DLNN_ERR_NOMEM, "grammar: out of memory");
    return NULL;
  }
  memset (&L, 0, sizeof (L));
  L.g = g;
  L.st = st;
  L.s = text;
  L.n = len;
  L.line = 1;
  if (parse_all (&L) != DLNN_OK || dlnn_jsgf_build_fsa (g, st) != DLNN_OK) {
    dlnn_grammar_free (g);
    return NULL;
  }
  free (g->nodes);
  g->nodes = NULL;
  g->n_nodes = g->cap_nodes = 0;
  return g;
}

dlnn_grammar *
dlnn_grammar_load (const char *path, dlnn_status * st)
{
  FILE *f;
  char *buf = NULL;
  size_t n = 0, cap = 0;
  dlnn_grammar *g;
  if (!path) {
    dlnn_status_set (st, DLNN_ERR_INVALID, "grammar: NULL path");
    return NULL;
  }
  f = fopen (path, "rb");
  if (!f) {
    dlnn_status_set (st, DLNN_ERR_IO, "%s: cannot open: %s", path,
        strerror (errno));
    return NULL;
  }
  for (;;) {
    size_t got;
    if (n == cap) {
      char *nb;
      cap = cap ? cap * 2 : 4096;
      if (cap > ((size_t) 1 << 30) || !(nb = realloc (buf, cap))) {
        free (buf);
        fclose (f);
        dlnn_status_set (st, DLNN_ERR_NOMEM, "%s: too large or out of "
            "memory", path);
        return NULL;
      }
      buf = nb;
    }
    got = fread (buf + n, 1, cap - n, f);
    n += got;
    if (got == 0)
      break;
  }
  if (ferror (f)) {
    free (buf);
    fclose (f);
    dlnn_status_set (st, DLNN_ERR_IO, "%s: read error", path);
    return NULL;
  }
  fclose (f);
  g = dlnn_grammar_parse (buf, n, path, st);
  free (buf);
  return g;
}
