/* JSGF lexer (jsgf_lex.c): tokens of the grammar text, with line
 * numbers for messages; skips white space, comments, weights and tags. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsgf_private.h"

static const char special[] = ";=|*+<>()[]{}/\"";

dlnn_code
dlnn_jsgf_error (jsgf_lexer * L, int line, const char *fmt, ...)
{
  char msg[DLNN_STATUS_MESSAGE_SIZE];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof (msg), fmt, ap);
  va_end (ap);
  return dlnn_status_set (L->st, DLNN_ERR_FORMAT, "%s:%d: %s", L->g->source,
      line, msg);
}

dlnn_code
dlnn_jsgf_nomem (jsgf_lexer * L)
{
  return dlnn_status_set (L->st, DLNN_ERR_NOMEM, "%s: out of memory",
      L->g->source);
}


/* ---- lexer ----------------------------------------------------------- */

static dlnn_code
skip_space (jsgf_lexer * L)
{
  while (L->pos < L->n) {
    char c = L->s[L->pos];
    if (c == '\n') {
      L->line++;
      L->pos++;
    } else if (isspace ((unsigned char) c)) {
      L->pos++;
    } else if (c == '/' && L->pos + 1 < L->n && L->s[L->pos + 1] == '/') {
      while (L->pos < L->n && L->s[L->pos] != '\n')
        L->pos++;
    } else if (c == '/' && L->pos + 1 < L->n && L->s[L->pos + 1] == '*') {
      int line = L->line;
      L->pos += 2;
      for (;;) {
        if (L->pos + 1 >= L->n)
          return dlnn_jsgf_error (L, line, "unterminated comment");
        if (L->s[L->pos] == '*' && L->s[L->pos + 1] == '/')
          break;
        if (L->s[L->pos] == '\n')
          L->line++;
        L->pos++;
      }
      L->pos += 2;
    } else {
      break;
    }
  }
  return DLNN_OK;
}

/* Finds @close from L->pos + 1 on the same line; its index or -1. */
static int64_t
find_close (jsgf_lexer * L, char close, int escapes)
{
  size_t i;
  for (i = L->pos + 1; i < L->n && L->s[i] != '\n'; i++) {
    if (escapes && L->s[i] == '\\' && i + 1 < L->n)
      i++;
    else if (L->s[i] == close)
      return (int64_t) i;
  }
  return -1;
}

dlnn_code
dlnn_jsgf_next (jsgf_lexer * L)
{
  for (;;) {
    dlnn_code c = skip_space (L);
    char ch;
    int64_t e;
    if (c != DLNN_OK)
      return c;
    L->tline = L->line;
    L->tpos = L->pos;
    if (L->pos >= L->n) {
      L->kind = DLNN_JSGF_TK_EOF;
      L->tlen = 0;
      return DLNN_OK;
    }
    ch = L->s[L->pos];
    if (ch == '\0')
      return dlnn_jsgf_error (L, L->tline, "NUL byte in the grammar");
    if (ch == '{') {            /* tag: ignored */
      size_t i = L->pos + 1;
      while (i < L->n && L->s[i] != '}') {
        if (L->s[i] == '\n')
          L->line++;
        i++;
      }
      if (i >= L->n)
        return dlnn_jsgf_error (L, L->tline, "unterminated tag {...}");
      L->pos = i + 1;
      continue;
    }
    if (ch == '/') {            /* weight: ignored */
      char num[64], *end;
      size_t len;
      e = find_close (L, '/', 0);
      len = e < 0 ? 0 : (size_t) e - L->pos - 1;
      if (e < 0 || len == 0 || len >= sizeof (num))
        return dlnn_jsgf_error (L, L->tline, "bad weight (expected /NUMBER/)");
      memcpy (num, L->s + L->pos + 1, len);
      num[len] = '\0';
      errno = 0;
      if (strtod (num, &end) < 0.0 || *end != '\0' || errno)
        return dlnn_jsgf_error (L, L->tline, "bad weight /%s/", num);
      L->pos = (size_t) e + 1;
      continue;
    }
    if (ch == '<' || ch == '"') {
      e = find_close (L, ch == '<' ? '>' : '"', ch == '"');
      if (e < 0)
        return dlnn_jsgf_error (L, L->tline,
            ch == '<' ? "unterminated rule name <..."
            : "unterminated quoted token");
      L->kind = ch == '<' ? DLNN_JSGF_TK_RULE : DLNN_JSGF_TK_QUOTED;
      L->tpos = L->pos + 1;
      L->tlen = (size_t) e - L->pos - 1;
      L->pos = (size_t) e + 1;
      if (L->kind == DLNN_JSGF_TK_RULE && L->tlen == 0)
        return dlnn_jsgf_error (L, L->tline, "empty rule name <>");
      return DLNN_OK;
    }
    if (strchr (";=|*+()[]", ch)) {
      L->kind = DLNN_JSGF_TK_PUNCT;
      L->tlen = 1;
      L->pos++;
      return DLNN_OK;
    }
    if (strchr (special, ch))
      return dlnn_jsgf_error (L, L->tline, "unexpected '%c'", ch);
    while (L->pos < L->n && !isspace ((unsigned char) L->s[L->pos])
        && !strchr (special, L->s[L->pos]))
      L->pos++;
    L->kind = DLNN_JSGF_TK_WORD;
    L->tlen = L->pos - L->tpos;
    return DLNN_OK;
  }
}

int
dlnn_jsgf_is_punct (const jsgf_lexer * L, char c)
{
  return L->kind == DLNN_JSGF_TK_PUNCT && L->s[L->tpos] == c;
}

int
dlnn_jsgf_is_word (const jsgf_lexer * L, const char *w)
{
  return L->kind == DLNN_JSGF_TK_WORD && L->tlen == strlen (w)
      && strncmp (L->s + L->tpos, w, L->tlen) == 0;
}

/* The current token for messages. */
const char *
dlnn_jsgf_describe (const jsgf_lexer * L, char *buf, size_t size)
{
  int len = L->tlen > 40 ? 40 : (int) L->tlen;
  switch (L->kind) {
    case DLNN_JSGF_TK_EOF:
      return "end of file";
    case DLNN_JSGF_TK_RULE:
      snprintf (buf, size, "<%.*s>", len, L->s + L->tpos);
      break;
    case DLNN_JSGF_TK_QUOTED:
      snprintf (buf, size, "\"%.*s\"", len, L->s + L->tpos);
      break;
    case DLNN_JSGF_TK_PUNCT:
      snprintf (buf, size, "'%c'", L->s[L->tpos]);
      break;
    default:
      snprintf (buf, size, "word \"%.*s\"", len, L->s + L->tpos);
      break;
  }
  return buf;
}

dlnn_code
dlnn_jsgf_expect (jsgf_lexer * L, char c, const char *after)
{
  char buf[64];
  if (!dlnn_jsgf_is_punct (L, c))
    return dlnn_jsgf_error (L, L->tline, "expected '%c' %s, found %s", c, after,
        dlnn_jsgf_describe (L, buf, sizeof (buf)));
  return dlnn_jsgf_next (L);
}
