/* libdlnn - value shapes of a finalized graph, for checking the shapes a
 * file declares and for writing output shapes. */
#include "onnx_private.h"
#include "op.h"

#include <stdlib.h>
#include <string.h>

static dlnn_tensor *
infer_with (const dlnn_graph * g, int64_t dyn)
{
  dlnn_tensor *vals;

  vals = calloc ((size_t) g->n_values + 1, sizeof (dlnn_tensor));
  if (!vals)
    return NULL;
  for (int i = 0; i < g->n_inputs; i++) {
    const dlnn_value *v = &g->values[g->inputs[i]];
    int64_t dims[DLNN_MAX_DIMS];
    for (int d = 0; d < v->ndim; d++)
      dims[d] = v->dims[d] < 0 ? dyn : v->dims[d];
    vals[g->inputs[i]].dtype = DLNN_FLOAT32;
    if (dlnn_tensor_set_shape (&vals[g->inputs[i]], v->ndim, dims,
            NULL) != DLNN_OK)
      goto fail;
  }
  if (dlnn_graph_infer_shapes (g, vals, NULL) != DLNN_OK)
    goto fail;
  return vals;

fail:
  free (vals);
  return NULL;
}

void
dlnn_onnx_shapes_infer (const dlnn_graph * g, dlnn_onnx_shapes * s)
{
  int dynamic = 0;

  memset (s, 0, sizeof (*s));
  if (!g->finalized)
    return;
  for (int i = 0; i < g->n_nodes; i++)
    if (!g->nodes[i].op)
      return;
  for (int i = 0; i < g->n_inputs; i++) {
    const dlnn_value *v = &g->values[g->inputs[i]];
    for (int d = 0; d < v->ndim; d++)
      if (v->dims[d] < 0)
        dynamic = 1;
  }
  s->n = g->n_values;
  s->a = infer_with (g, 1);
  if (!s->a)
    return;
  if (dynamic) {
    s->b = infer_with (g, 2);
    s->c = infer_with (g, 64);
    if (!s->b || !s->c) {
      free (s->a);
      free (s->b);
      free (s->c);
      s->a = s->b = s->c = NULL;
      return;
    }
  } else {
    s->b = s->c = s->a;
  }
  s->ok = 1;
}

int
dlnn_onnx_shapes_get (const dlnn_onnx_shapes * s, int v, int *ndim,
    int64_t * dims, int *fixed)
{
  const dlnn_tensor *a, *b, *c;

  if (!s->ok || v < 0 || v >= s->n)
    return 0;
  a = &s->a[v];
  b = &s->b[v];
  c = &s->c[v];
  if (a->ndim != b->ndim || a->ndim != c->ndim || a->ndim < 0 || a->ndim > DLNN_MAX_DIMS)
    return 0;
  /* a value that no inference run touched (e.g. unused) has size 0 */
  if (a->size == 0 && a->ndim == 0)
    return 0;
  *ndim = a->ndim;
  for (int i = 0; i < a->ndim; i++) {
    dims[i] = a->dims[i];
    fixed[i] = a->dims[i] == b->dims[i] && a->dims[i] == c->dims[i];
  }
  return 1;
}

void
dlnn_onnx_shapes_clear (dlnn_onnx_shapes * s)
{
  if (s->b != s->a)
    free (s->b);
  if (s->c != s->a)
    free (s->c);
  free (s->a);
  memset (s, 0, sizeof (*s));
}
