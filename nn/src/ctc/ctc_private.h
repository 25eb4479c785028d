/* CTC internals shared by the decoders. */
#ifndef DLNN_CTC_PRIVATE_H
#define DLNN_CTC_PRIVATE_H

#include <math.h>
#include <stdint.h>
#include "dlnn/ctc.h"

#define DLNN_CTC_NEG_INF (-INFINITY)

/* Trie node: children in a sibling list. Node 0 is the root. A grammar
 * (jsgf*.c, ctc_fsa.c) adds one more root (token -1) per state of its
 * deterministic word automaton: the tree under a root spells the words
 * allowed in that state. */
typedef struct dlnn_ctc_vnode
{
  int32_t token;                /* -1: a root */
  int32_t first_child;          /* -1: none */
  int32_t next_sibling;         /* -1: none */
  int32_t terminal;             /* an entry ends here */
  /* State the word boundary after a terminal leads to: 0 for a vocabulary,
   * the root of the next grammar state. */
  int32_t next;
  /* A final hypothesis may end here: at a terminal, after the entry; at a
   * root, after a trailing boundary (or, for node 0 with accept_empty,
   * with no tokens at all). */
  int32_t accept;
} dlnn_ctc_vnode;

struct dlnn_ctc_vocab
{
  int32_t boundary;             /* -1: none */
  dlnn_ctc_vnode *nodes;
  int64_t n_nodes, cap_nodes;
  int64_t n_entries;
  int32_t accept_empty;         /* the empty hypothesis is complete */
};

/* Tokens of @word into @out (room for strlen (@word)): the longest label
 * (not @blank, not @boundary) matching at each position; their count, or
 * -1 if some position matches no label. */
int64_t dlnn_ctc_spell (const char *word, const char *const *labels,
    int64_t n_labels, int blank, int32_t boundary, int32_t * out);

/* Adds a root node (a grammar state); its index or -1 (out of memory). */
int32_t dlnn_ctc_vocab_add_root (dlnn_ctc_vocab * v);
/* Inserts @n tokens below @root and returns the last node (not yet marked
 * terminal), or -1 (out of memory). */
int32_t dlnn_ctc_vocab_insert (dlnn_ctc_vocab * v, int32_t root,
    const int32_t * tokens, int64_t n);

/* State after emitting @token from trie state @state (0 = root), or -1 if
 * not allowed. */
int32_t dlnn_ctc_vocab_next (const dlnn_ctc_vocab * v, int32_t state,
    int32_t token);
/* Whether a hypothesis ending in @state with last token @last is a complete
 * sequence of entries. */
int dlnn_ctc_vocab_complete (const dlnn_ctc_vocab * v, int32_t state,
    int32_t last);

static inline double
dlnn_ctc_logaddexp (double a, double b)
{
  double m;
  if (a == DLNN_CTC_NEG_INF)
    return b;
  if (b == DLNN_CTC_NEG_INF)
    return a;
  m = a > b ? a : b;
  return m + log1p (exp (-fabs (a - b)));
}

/* log-sum-exp of @x[0..n); -inf for n == 0. */
static inline double
dlnn_ctc_logsumexp_f (const float *x, int64_t n)
{
  double m = DLNN_CTC_NEG_INF, s = 0.0;
  int64_t i;
  for (i = 0; i < n; i++)
    if (x[i] > m)
      m = x[i];
  if (m == DLNN_CTC_NEG_INF)
    return m;
  for (i = 0; i < n; i++)
    s += exp ((double) x[i] - m);
  return m + log (s);
}

#endif
