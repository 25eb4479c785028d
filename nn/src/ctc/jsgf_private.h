/* JSGF grammar internals shared by jsgf_parse.c (reader), jsgf_fsa.c
 * (word automaton) and ctc_fsa.c (decoding constraint). */
#ifndef DLNN_JSGF_PRIVATE_H
#define DLNN_JSGF_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "dlnn/grammar.h"

/* Limits: deeper nesting, more word occurrences after expanding rule
 * references, more arcs or more deterministic states are errors. */
#define DLNN_JSGF_MAX_DEPTH 256
#define DLNN_JSGF_MAX_POSITIONS (1 << 20)
#define DLNN_JSGF_MAX_ARCS (1 << 22)
#define DLNN_JSGF_MAX_DFA_STATES (1 << 20)

typedef enum jsgf_kind
{
  JSGF_WORD,                    /* value: word id */
  JSGF_REF,                     /* value: rule id (after resolution) */
  JSGF_SEQ,                     /* children in order */
  JSGF_ALT,
  JSGF_OPT,                     /* one child */
  JSGF_STAR,
  JSGF_PLUS,
  JSGF_NULL,                    /* <NULL>: the empty sequence */
  JSGF_VOID,                    /* <VOID>: no sequence */
} jsgf_kind;

/* Expression node; children in a sibling list. */
typedef struct jsgf_node
{
  int32_t kind;
  int32_t kid;                  /* first child, -1: none */
  int32_t next;                 /* next sibling, -1: none */
  int32_t value;
  int32_t line;
  int32_t name;                 /* JSGF_REF: offset of the name in text */
} jsgf_node;

typedef struct jsgf_rule
{
  int32_t name;                 /* offset in the name blob */
  int32_t body;                 /* node */
  int32_t line;
  int32_t is_public;
  int32_t active;               /* being expanded (recursion check) */
} jsgf_rule;

struct dlnn_grammar
{
  char *source;                 /* file name or given name, for messages */
  char *name;                   /* `grammar NAME;` */
  /* words: NUL-terminated strings in @text at word_off[id] */
  char *text;
  size_t text_len, text_cap;
  int32_t *word_off, *word_line;
  int32_t n_words, cap_words;
  int32_t *whash;               /* open addressing, -1 empty */
  int64_t whash_cap;
  /* parse tree (freed once the automaton is built) */
  jsgf_node *nodes;
  int64_t n_nodes, cap_nodes;
  jsgf_rule *rules;
  int32_t n_rules, cap_rules;
  /* word automaton: state s has arcs[arc_start[s] .. arc_start[s + 1]) */
  int32_t n_states;
  uint8_t *final;
  int64_t *arc_start;
  dlnn_grammar_arc *arcs;
  int64_t n_arcs;
};

/* ---- lexer (jsgf_lex.c) ---- */
enum
{
  DLNN_JSGF_TK_EOF,
  DLNN_JSGF_TK_WORD,
  DLNN_JSGF_TK_QUOTED,
  DLNN_JSGF_TK_RULE,
  DLNN_JSGF_TK_PUNCT,
};

typedef struct jsgf_lexer
{
  dlnn_grammar *g;
  dlnn_status *st;
  const char *s;
  size_t n, pos;
  int line;
  /* current token: s[tpos .. tpos + tlen), on line tline */
  int kind;
  size_t tpos, tlen;
  int tline;
  int depth;                    /* nesting of groups (parser) */
} jsgf_lexer;

/* "SOURCE:LINE: message" as DLNN_ERR_FORMAT. */
dlnn_code dlnn_jsgf_error (jsgf_lexer * L, int line, const char *fmt, ...)
    DLNN_PRINTF (3, 4);
dlnn_code dlnn_jsgf_nomem (jsgf_lexer * L);
/* Reads the next token into L. */
dlnn_code dlnn_jsgf_next (jsgf_lexer * L);
int dlnn_jsgf_is_punct (const jsgf_lexer * L, char c);
int dlnn_jsgf_is_word (const jsgf_lexer * L, const char *w);
/* The current token for messages, in @buf. */
const char *dlnn_jsgf_describe (const jsgf_lexer * L, char *buf,
    size_t size);
/* Skips punctuation @c or fails naming what came instead. */
dlnn_code dlnn_jsgf_expect (jsgf_lexer * L, char c, const char *after);

/* ---- words (jsgf_words.c) ---- */
/* Grows *@p (elements of @elem bytes, capacity *@cap) to hold @need;
 * 0 or -1 (out of memory or absurd size). */
int dlnn_jsgf_grow (void **p, int64_t * cap, int64_t need, size_t elem);
/* Stores @len bytes of @s (NUL added) in g->text: its offset, or -1. */
int64_t dlnn_jsgf_store (dlnn_grammar * g, const char *s, size_t len);
/* Id of word @s[0..len) (lower-cased) or -1 if it is not in the grammar. */
int32_t dlnn_jsgf_find_word (const dlnn_grammar * g, const char *s,
    size_t len);
/* Id of word s[0..len), lower-cased and added on first use (first seen
 * on @line); -1 out of memory or too many words. */
int32_t dlnn_jsgf_intern_word (dlnn_grammar * g, const char *s, size_t len,
    int line);
/* Builds the automaton from the rules (jsgf_fsa.c). */
dlnn_code dlnn_jsgf_build_fsa (dlnn_grammar * g, dlnn_status * st);

#endif
