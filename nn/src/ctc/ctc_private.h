/* CTC internals shared by the decoders. */
#ifndef DLNN_CTC_PRIVATE_H
#define DLNN_CTC_PRIVATE_H

#include <math.h>
#include <stdint.h>
#include "dlnn/ctc.h"

#define DLNN_CTC_NEG_INF (-INFINITY)

/* Trie node: children in a sibling list. Node 0 is the root. */
typedef struct dlnn_ctc_vnode
{
  int32_t token;
  int32_t first_child;          /* -1: none */
  int32_t next_sibling;         /* -1: none */
  int32_t terminal;             /* an entry ends here */
} dlnn_ctc_vnode;

struct dlnn_ctc_vocab
{
  int32_t boundary;             /* -1: none */
  dlnn_ctc_vnode *nodes;
  int64_t n_nodes, cap_nodes;
  int64_t n_entries;
};

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
