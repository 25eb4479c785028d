/* Vocabulary / phrase-list prefix tree for constrained CTC decoding. */
#include <stdlib.h>
#include <string.h>

#include "ctc_private.h"

dlnn_ctc_vocab *
dlnn_ctc_vocab_new (int32_t boundary, dlnn_status * st)
{
  dlnn_ctc_vocab *v = calloc (1, sizeof (*v));
  if (!v) {
    dlnn_status_set (st, DLNN_ERR_NOMEM, "ctc vocab: out of memory");
    return NULL;
  }
  v->boundary = boundary < 0 ? -1 : boundary;
  v->cap_nodes = 64;
  v->nodes = malloc ((size_t) v->cap_nodes * sizeof (*v->nodes));
  if (!v->nodes) {
    free (v);
    dlnn_status_set (st, DLNN_ERR_NOMEM, "ctc vocab: out of memory");
    return NULL;
  }
  v->nodes[0].token = -1;
  v->nodes[0].first_child = -1;
  v->nodes[0].next_sibling = -1;
  v->nodes[0].terminal = 0;
  v->nodes[0].next = 0;
  v->nodes[0].accept = 1;       /* after a trailing boundary */
  v->accept_empty = 0;
  v->n_nodes = 1;
  return v;
}

void
dlnn_ctc_vocab_free (dlnn_ctc_vocab * v)
{
  if (!v)
    return;
  free (v->nodes);
  free (v);
}

int64_t
dlnn_ctc_vocab_n_entries (const dlnn_ctc_vocab * v)
{
  return v ? v->n_entries : 0;
}

static int32_t
find_child (const dlnn_ctc_vocab * v, int32_t node, int32_t token)
{
  int32_t k;
  for (k = v->nodes[node].first_child; k >= 0; k = v->nodes[k].next_sibling)
    if (v->nodes[k].token == token)
      return k;
  return -1;
}

static int32_t
new_node (dlnn_ctc_vocab * v, int32_t token)
{
  int32_t k;
  if (v->n_nodes >= INT32_MAX)
    return -1;
  if (v->n_nodes == v->cap_nodes) {
    int64_t cap = v->cap_nodes * 2;
    dlnn_ctc_vnode *nn = realloc (v->nodes, (size_t) cap * sizeof (*nn));
    if (!nn)
      return -1;
    v->nodes = nn;
    v->cap_nodes = cap;
  }
  k = (int32_t) v->n_nodes++;
  v->nodes[k].token = token;
  v->nodes[k].first_child = -1;
  v->nodes[k].next_sibling = -1;
  v->nodes[k].terminal = 0;
  v->nodes[k].next = 0;
  v->nodes[k].accept = 0;
  return k;
}

int32_t
dlnn_ctc_vocab_add_root (dlnn_ctc_vocab * v)
{
  return new_node (v, -1);
}

int32_t
dlnn_ctc_vocab_insert (dlnn_ctc_vocab * v, int32_t root,
    const int32_t * tokens, int64_t n)
{
  int64_t i;
  int32_t node = root;
  for (i = 0; i < n; i++) {
    int32_t k = find_child (v, node, tokens[i]);
    if (k < 0) {
      k = new_node (v, tokens[i]);
      if (k < 0)
        return -1;
      v->nodes[k].next_sibling = v->nodes[node].first_child;
      v->nodes[node].first_child = k;
    }
    node = k;
  }
  return node;
}

dlnn_code
dlnn_ctc_vocab_add (dlnn_ctc_vocab * v, const int32_t * tokens, int64_t n,
    dlnn_status * st)
{
  int64_t i;
  int32_t node;
  if (!v || (n > 0 && !tokens))
    return dlnn_status_set (st, DLNN_ERR_INVALID, "ctc vocab: NULL argument");
  if (n < 1)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "ctc vocab: empty entry");
  if (v->boundary >= 0 && (tokens[0] == v->boundary
          || tokens[n - 1] == v->boundary))
    return dlnn_status_set (st, DLNN_ERR_INVALID,
        "ctc vocab: entry starts or ends with the word boundary %d",
        (int) v->boundary);
  for (i = 0; i < n; i++)
    if (tokens[i] < 0)
      return dlnn_status_set (st, DLNN_ERR_INVALID,
          "ctc vocab: negative token %d", (int) tokens[i]);
  node = dlnn_ctc_vocab_insert (v, 0, tokens, n);
  if (node < 0)
    return dlnn_status_set (st, DLNN_ERR_NOMEM,
        "ctc vocab: out of memory or too large");
  v->nodes[node].terminal = 1;
  v->nodes[node].next = 0;
  v->nodes[node].accept = 1;
  v->n_entries++;
  return DLNN_OK;
}

int32_t
dlnn_ctc_vocab_next (const dlnn_ctc_vocab * v, int32_t state, int32_t token)
{
  int32_t k = find_child (v, state, token);
  if (k >= 0)
    return k;
  if (v->boundary >= 0 && token == v->boundary && v->nodes[state].terminal)
    return v->nodes[state].next;
  return -1;
}

int
dlnn_ctc_vocab_complete (const dlnn_ctc_vocab * v, int32_t state,
    int32_t last)
{
  const dlnn_ctc_vnode *nd = &v->nodes[state];
  if (nd->token >= 0)
    return nd->terminal && nd->accept;
  if (!nd->accept)
    return 0;
  if (last < 0)
    return state == 0 && v->accept_empty;
  return v->boundary >= 0 && last == v->boundary;
}
