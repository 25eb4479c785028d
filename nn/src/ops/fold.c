/* libdlnn - inference graph optimisation (dlnn_graph_optimize_inference):
 *
 * 1. Dropout and Identity nodes are removed: their consumers read the
 *    node's input instead. When the removed node writes a graph output,
 *    the producer of its input writes that output instead, so graph output
 *    names stay stable; a node that copies a graph input, an initializer or
 *    another graph output into a graph output is kept.
 * 2. A BatchNormalization whose input is written by a Conv (or a Gemm) and
 *    read by nothing else is folded into it: with s = scale/sqrt(var+eps),
 *    W' = W * s per output channel and b' = (b - mean) * s + B. Weights
 *    and bias read only by that node are rewritten in place, otherwise new
 *    parameters named "<name>_bnfold" are added. For Gemm the bias C must be
 *    absent, a scalar or one value per output column; beta becomes 1.
 * 3. SiLU: Sigmoid(x) -> s and Mul(x, s) (either order), s read by
 *    nothing else and not a graph output, become one Swish node (the
 *    Sigmoid node rewritten to write the Mul's output).
 * 4. A Relu, a Clip with constant bounds (ReLU6) or a Swish whose input is
 *    written by a Conv and read by nothing else is fused into it: the Conv gets the
 *    dlnn_activation attributes (fused_act.h) and writes the activation's
 *    output. Only inference graphs are optimised, so training never sees
 *    them (Conv backward refuses a fused activation).
 * 5. A MaxPool with a square 2x2 or 3x3 kernel, stride 2 and no dilation
 *    whose input is written by a 2-D Conv and read by nothing else is
 *    fused into it the same way (the dlnn_maxpool attributes of
 *    fused_act.h); a MaxPool reading a channel Concat of such Convs
 *    (squeezenet's fire modules) goes into each of them and the Concat
 *    joins the pooled outputs. Where the channel-vector kernel runs
 *    (conv_chv.c) the Conv computes a few rows at a time and pools them
 *    while they are in cache, never writing the full-size map; elsewhere
 *    it pools the full-size map from its workspace.
 * Removed nodes are freed, the node array compacted and the graph
 * finalized again. Unused values stay in the graph. */
#include "common.h"
#include "fused_act.h"

#include <float.h>
#include <math.h>
#include <stdio.h>

static int
is_type (const dlnn_node * n, const char *t)
{
  return n->op_type && strcmp (n->op_type, t) == 0
      && (!n->domain || !*n->domain || strcmp (n->domain, "ai.onnx") == 0);
}

/* Node (not removed) writing value @v, or -1. */
static int
producer_of (const dlnn_graph * g, const char *removed, int v)
{
  for (int i = 0; i < g->n_nodes; i++) {
    if (removed[i])
      continue;
    for (int j = 0; j < g->nodes[i].n_outputs; j++)
      if (g->nodes[i].outputs[j] == v)
        return i;
  }
  return -1;
}

/* Number of reads of value @v by nodes that are not removed. */
static int
uses_of (const dlnn_graph * g, const char *removed, int v)
{
  int c = 0;
  for (int i = 0; i < g->n_nodes; i++) {
    if (removed[i])
      continue;
    for (int j = 0; j < g->nodes[i].n_inputs; j++)
      if (g->nodes[i].inputs[j] == v)
        c++;
  }
  return c;
}

static void
replace_reads (dlnn_graph * g, const char *removed, int from, int to)
{
  for (int i = 0; i < g->n_nodes; i++) {
    if (removed[i])
      continue;
    for (int j = 0; j < g->nodes[i].n_inputs; j++)
      if (g->nodes[i].inputs[j] == from)
        g->nodes[i].inputs[j] = to;
  }
}

static int
remove_passthrough (dlnn_graph * g, char *removed)
{
  int count = 0;

  for (int i = 0; i < g->n_nodes; i++) {
    dlnn_node *n = &g->nodes[i];
    int x, y, p;

    if (removed[i] || !(is_type (n, "Dropout") || is_type (n, "Identity")))
      continue;
    if (n->n_inputs < 1 || n->inputs[0] < 0 || n->outputs[0] < 0)
      continue;
    x = n->inputs[0];
    y = n->outputs[0];
    /* a used Dropout mask keeps the node */
    if (n->n_outputs > 1 && n->outputs[1] >= 0
        && (g->values[n->outputs[1]].is_output
            || uses_of (g, removed, n->outputs[1]) > 0))
      continue;
    if (!g->values[y].is_output) {
      removed[i] = 1;
      replace_reads (g, removed, y, x);
      count++;
      continue;
    }
    if (g->values[x].kind != DLNN_VALUE_INTERMEDIATE
        || g->values[x].is_output)
      continue;
    p = producer_of (g, removed, x);
    if (p < 0)
      continue;
    removed[i] = 1;
    for (int j = 0; j < g->nodes[p].n_outputs; j++)
      if (g->nodes[p].outputs[j] == x)
        g->nodes[p].outputs[j] = y;
    replace_reads (g, removed, x, y);
    count++;
  }
  return count;
}

static const dlnn_tensor *
float_param (const dlnn_graph * g, int v)
{
  if (v < 0 || g->values[v].kind != DLNN_VALUE_PARAM)
    return NULL;
  if (!g->values[v].init || g->values[v].init->dtype != DLNN_FLOAT32
      || !g->values[v].init->data)
    return NULL;
  return g->values[v].init;
}

/* A new parameter named after @base, holding a copy of @src reshaped to
 * (@len) if @src is NULL (zero-filled). Returns its value index or -1. */
static int
new_param (dlnn_graph * g, const char *base, const dlnn_tensor * src,
    int64_t len, int trainable, dlnn_status * st)
{
  size_t sz = strlen (base) + 32;
  char *name = malloc (sz);
  dlnn_tensor *t;
  int v;

  if (!name) {
    dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    return -1;
  }
  snprintf (name, sz, "%s_bnfold", base);
  for (int k = 1; dlnn_graph_find_value (g, name) >= 0; k++)
    snprintf (name, sz, "%s_bnfold_%d", base, k);
  if (src)
    t = dlnn_tensor_copy (src, st);
  else
    t = dlnn_tensor_new (DLNN_FLOAT32, 1, &len, st);
  v = t ? dlnn_graph_add_param (g, name, t, trainable, st) : -1;
  free (name);
  return v;
}

/* Value index of a writable copy of param @v for node @ni: @v itself when
 * nothing else reads it, else a new parameter. */
static int
private_param (dlnn_graph * g, const char *removed, int v,
    dlnn_status * st)
{
  char *base;
  int nv;

  if (uses_of (g, removed, v) == 1 && !g->values[v].is_output)
    return v;
  base = malloc (strlen (g->values[v].name) + 1);
  if (!base) {
    dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    return -1;
  }
  strcpy (base, g->values[v].name);
  nv = new_param (g, base, g->values[v].init, 0, g->values[v].trainable, st);
  free (base);
  return nv;
}

/* Tries to fold BN node @bi into its producer; returns 1 if folded, 0 if
 * not applicable, -1 on error. */
static int
fold_bn (dlnn_graph * g, char *removed, int bi, dlnn_status * st)
{
  dlnn_node *bn = &g->nodes[bi];
  const dlnn_tensor *scale, *bb, *mean, *var, *w, *bias = NULL;
  int x, pi, is_conv, trans_b = 0, wv, biasv = -1;
  int64_t ch, inner;
  double *s = NULL;
  float eps, beta = 1.0f;
  dlnn_node *p;

  if (bn->n_inputs != 5 || bn->inputs[0] < 0)
    return 0;
  for (int j = 1; j < bn->n_outputs; j++)
    if (bn->outputs[j] >= 0 && (g->values[bn->outputs[j]].is_output
            || uses_of (g, removed, bn->outputs[j]) > 0))
      return 0;
  x = bn->inputs[0];
  if (g->values[x].kind != DLNN_VALUE_INTERMEDIATE || g->values[x].is_output
      || uses_of (g, removed, x) != 1)
    return 0;
  pi = producer_of (g, removed, x);
  if (pi < 0)
    return 0;
  p = &g->nodes[pi];
  is_conv = is_type (p, "Conv");
  if (!is_conv && !is_type (p, "Gemm"))
    return 0;
  if (p->n_outputs != 1 || p->outputs[0] != x)
    return 0;
  scale = float_param (g, bn->inputs[1]);
  bb = float_param (g, bn->inputs[2]);
  mean = float_param (g, bn->inputs[3]);
  var = float_param (g, bn->inputs[4]);
  wv = p->inputs[1];
  w = float_param (g, wv);
  if (!scale || !bb || !mean || !var || !w)
    return 0;
  ch = scale->size;
  if (bb->size != ch || mean->size != ch || var->size != ch || ch == 0)
    return 0;
  if (is_conv) {
    if (w->ndim < 3 || w->dims[0] != ch)
      return 0;
    inner = w->size / ch;
  } else {
    trans_b = (int) dlnn_node_attr_int (p, "transB", 0);
    if (w->ndim != 2 || (trans_b ? w->dims[0] : w->dims[1]) != ch)
      return 0;
    inner = trans_b ? w->dims[1] : w->dims[0];
    beta = dlnn_node_attr_float (p, "beta", 1.0f);
  }
  if (p->n_inputs > 2 && p->inputs[2] >= 0) {
    biasv = p->inputs[2];
    bias = float_param (g, biasv);
    if (!bias)
      return 0;
    if (is_conv && bias->size != ch)
      return 0;
    if (!is_conv && !(bias->size == 1 || (bias->size == ch
                && (bias->ndim == 1 || (bias->ndim == 2
                        && bias->dims[0] == 1)))))
      return 0;
  }

  eps = dlnn_node_attr_float (bn, "epsilon", 1e-5f);
  s = malloc ((size_t) ch * sizeof (double));
  if (!s) {
    dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    return -1;
  }
  for (int64_t c = 0; c < ch; c++)
    s[c] = scale->data[c] / sqrt ((double) var->data[c] + (double) eps);

  /* new bias (computed before the parameter array may move) */
  {
    int nb;
    float *bd;
    double *nbias = malloc ((size_t) ch * sizeof (double));
    if (!nbias) {
      free (s);
      dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
      return -1;
    }
    for (int64_t c = 0; c < ch; c++) {
      double b0 = 0.0;
      if (bias)
        b0 = is_conv ? bias->data[c] : (double) beta *
            bias->data[bias->size == 1 ? 0 : c];
      nbias[c] = (b0 - mean->data[c]) * s[c] + bb->data[c];
    }
    if (biasv >= 0 && bias->size == ch)
      nb = private_param (g, removed, biasv, st);
    else
      nb = new_param (g, p->name ? p->name : "bias", NULL, ch,
          g->values[wv].trainable, st);
    if (nb < 0) {
      free (nbias);
      free (s);
      return -1;
    }
    bd = g->values[nb].init->data;
    for (int64_t c = 0; c < ch; c++)
      bd[c] = (float) nbias[c];
    free (nbias);
    p = &g->nodes[pi];
    if (p->n_inputs < 3) {
      int *ni = realloc (p->inputs, 3 * sizeof (int));
      if (!ni) {
        free (s);
        dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
        return -1;
      }
      p->inputs = ni;
      p->n_inputs = 3;
    }
    p->inputs[2] = nb;
  }

  /* scaled weights */
  {
    int nw = private_param (g, removed, wv, st);
    float *wd;
    if (nw < 0) {
      free (s);
      return -1;
    }
    p = &g->nodes[pi];
    p->inputs[1] = nw;
    wd = g->values[nw].init->data;
    if (is_conv || trans_b) {
      for (int64_t c = 0; c < ch; c++)
        for (int64_t k = 0; k < inner; k++)
          wd[c * inner + k] = (float) (wd[c * inner + k] * s[c]);
    } else {
      for (int64_t k = 0; k < inner; k++)
        for (int64_t c = 0; c < ch; c++)
          wd[k * ch + c] = (float) (wd[k * ch + c] * s[c]);
    }
  }
  free (s);
  if (!is_conv && dlnn_node_set_float (g, pi, "beta", 1.0f) != DLNN_OK) {
    dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    return -1;
  }
  /* the producer now writes the BN's output */
  p = &g->nodes[pi];
  p->outputs[0] = g->nodes[bi].outputs[0];
  removed[bi] = 1;
  return 1;
}

/* The one node (not removed) reading value @v, or -1 when none or
 * several do (or one node reads it twice). */
static int
sole_reader (const dlnn_graph * g, const char *removed, int v)
{
  int r = -1;

  if (uses_of (g, removed, v) != 1)
    return -1;
  for (int i = 0; i < g->n_nodes && r < 0; i++) {
    if (removed[i])
      continue;
    for (int j = 0; j < g->nodes[i].n_inputs; j++)
      if (g->nodes[i].inputs[j] == v)
        r = i;
  }
  return r;
}

/* An intermediate value that only node-to-node dataflow sees. */
static int
is_private_value (const dlnn_graph * g, int v)
{
  return v >= 0 && g->values[v].kind == DLNN_VALUE_INTERMEDIATE
      && !g->values[v].is_output;
}

/* Sigmoid node @si + its Mul -> Swish; 1 if fused, 0 if not, -1 on
 * error. */
static int
fuse_silu (dlnn_graph * g, char *removed, int si, dlnn_status * st)
{
  dlnn_node *sg = &g->nodes[si], *mul;
  int x, s, mi;
  char *type;

  if (!is_type (sg, "Sigmoid") || sg->n_inputs != 1 || sg->n_outputs != 1)
    return 0;
  x = sg->inputs[0];
  s = sg->outputs[0];
  if (x < 0 || !is_private_value (g, s))
    return 0;
  mi = sole_reader (g, removed, s);
  if (mi < 0)
    return 0;
  mul = &g->nodes[mi];
  if (!is_type (mul, "Mul") || mul->n_inputs != 2 || mul->n_outputs != 1
      || mul->outputs[0] < 0)
    return 0;
  if (!((mul->inputs[0] == x && mul->inputs[1] == s)
          || (mul->inputs[0] == s && mul->inputs[1] == x)))
    return 0;
  type = dlnn_strdup ("Swish");
  if (!type) {
    dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    return -1;
  }
  free (sg->op_type);
  sg->op_type = type;
  sg->outputs[0] = mul->outputs[0];
  removed[mi] = 1;
  return 1;
}

/* Constant bounds of Clip node @n into *lo, *hi; 0 if not constant. */
static int
clip_bounds (const dlnn_graph * g, const dlnn_node * n, float *lo,
    float *hi)
{
  *lo = -FLT_MAX;
  *hi = FLT_MAX;
  if (g->opset < 11) {
    if (n->n_inputs != 1)
      return 0;
    *lo = dlnn_node_attr_float (n, "min", -FLT_MAX);
    *hi = dlnn_node_attr_float (n, "max", FLT_MAX);
    return 1;
  }
  if (dlnn_node_attr (n, "min") || dlnn_node_attr (n, "max")
      || n->n_inputs > 3)
    return 0;
  for (int i = 1; i < n->n_inputs; i++) {
    const dlnn_tensor *t;
    if (n->inputs[i] < 0)
      continue;
    t = float_param (g, n->inputs[i]);
    if (!t || t->size != 1 || t->ndim > 1)
      return 0;
    *(i == 1 ? lo : hi) = t->data[0];
  }
  return !isnan (*lo) && !isnan (*hi);
}

/* Activation node @ai into the Conv writing its input; 1 if fused, 0 if
 * not, -1 on error. */
static int
fuse_conv_act (dlnn_graph * g, char *removed, int ai, dlnn_status * st)
{
  dlnn_node *a = &g->nodes[ai], *p;
  const dlnn_tensor *w;
  const char *kind;
  float lo = 0.0f, hi = 0.0f;
  int x, pi;

  if (is_type (a, "Relu"))
    kind = "Relu";
  else if (is_type (a, "Clip"))
    kind = "Clip";
  else if (is_type (a, "Swish")
      && dlnn_node_attr_float (a, "alpha", 1.0f) == 1.0f)
    kind = "Swish";
  else
    return 0;
  if (a->n_inputs < 1 || a->n_outputs != 1 || a->outputs[0] < 0)
    return 0;
  if (strcmp (kind, "Clip") == 0 && !clip_bounds (g, a, &lo, &hi))
    return 0;
  x = a->inputs[0];
  if (!is_private_value (g, x) || sole_reader (g, removed, x) != ai)
    return 0;
  pi = producer_of (g, removed, x);
  if (pi < 0)
    return 0;
  p = &g->nodes[pi];
  if (!is_type (p, "Conv") || p->n_outputs != 1 || p->outputs[0] != x
      || p->n_inputs < 2 || dlnn_node_attr (p, DLNN_FUSED_ATTR))
    return 0;
  /* every Conv: the depthwise kernels apply the activation in registers,
   * the own GEMM in its epilogue, the other paths in one pass after the
   * bias */
  w = float_param (g, p->inputs[1]);
  if (!w || w->ndim < 3)
    return 0;
  if (dlnn_node_set_string (g, pi, DLNN_FUSED_ATTR, kind) != DLNN_OK
      || (strcmp (kind, "Clip") == 0
          && (dlnn_node_set_float (g, pi, DLNN_FUSED_ATTR_MIN, lo) != DLNN_OK
              || dlnn_node_set_float (g, pi, DLNN_FUSED_ATTR_MAX,
                  hi) != DLNN_OK))) {
    dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    return -1;
  }
  p = &g->nodes[pi];
  p->outputs[0] = g->nodes[ai].outputs[0];
  removed[ai] = 1;
  return 1;
}

/* Whether node @mi is a MaxPool that fold.c fuses (square 2x2 or 3x3,
 * stride 2, no dilation, no indices read); its window into @wa, @pads. */
static int
pool_fusable (const dlnn_graph * g, const char *removed, int mi,
    dlnn_window_attrs * wa, int64_t * pads)
{
  const dlnn_node *m = &g->nodes[mi];

  if (!is_type (m, "MaxPool") || m->n_inputs != 1 || m->n_outputs < 1
      || m->outputs[0] < 0)
    return 0;
  if (m->n_outputs > 1 && m->outputs[1] >= 0
      && (g->values[m->outputs[1]].is_output
          || uses_of (g, removed, m->outputs[1]) > 0))
    return 0;
  memset (wa, 0, sizeof (*wa));
  if (dlnn_window_parse (m, wa, 1, NULL) != DLNN_OK
      || dlnn_node_attr_int (m, "storage_order", 0) != 0
      || wa->auto_pad != DLNN_AUTO_PAD_NOTSET || wa->n_kernel != 2
      || wa->kernel[0] != wa->kernel[1]
      || (wa->kernel[0] != 2 && wa->kernel[0] != 3)
      || wa->n_strides != 2 || wa->strides[0] != 2 || wa->strides[1] != 2
      || (wa->n_dilations
          && (wa->dilations[0] != 1 || wa->dilations[1] != 1))
      || (wa->n_pads && wa->n_pads != 4))
    return 0;
  /* ONNX pads are (top, left, bottom, right) for 2-D */
  for (int i = 0; i < 4; i++)
    pads[i] = i < wa->n_pads ? wa->pads[i] : 0;
  return 1;
}

/* The 2-D Conv writing value @x, read by node @reader alone, that can
 * take a fused MaxPool, or -1. */
static int
pool_conv (const dlnn_graph * g, const char *removed, int x, int reader)
{
  const dlnn_node *p;
  const dlnn_tensor *w;
  int pi;

  if (!is_private_value (g, x) || sole_reader (g, removed, x) != reader)
    return -1;
  pi = producer_of (g, removed, x);
  if (pi < 0)
    return -1;
  p = &g->nodes[pi];
  if (!is_type (p, "Conv") || p->n_outputs != 1 || p->outputs[0] != x
      || p->n_inputs < 2 || dlnn_node_attr (p, DLNN_FUSED_POOL_KERNEL))
    return -1;
  w = float_param (g, p->inputs[1]);
  return w && w->ndim == 4 ? pi : -1;
}

/* Gives Conv @pi the pool attributes; 0, or -1 out of memory. */
static int
pool_set (dlnn_graph * g, int pi, const dlnn_window_attrs * wa,
    const int64_t * pads, dlnn_status * st)
{
  if (dlnn_node_set_int (g, pi, DLNN_FUSED_POOL_KERNEL, wa->kernel[0])
      != DLNN_OK
      || dlnn_node_set_ints (g, pi, DLNN_FUSED_POOL_PADS, 4, pads) != DLNN_OK
      || dlnn_node_set_int (g, pi, DLNN_FUSED_POOL_CEIL, wa->ceil_mode)
      != DLNN_OK) {
    dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    return -1;
  }
  return 0;
}

/* MaxPool node @mi into the 2-D Conv writing its input, or into every
 * Conv of a channel Concat writing it (pooling commutes with the concat:
 * the Concat then joins the pooled outputs and writes the pool's); 1 if
 * fused, 0 if not, -1 on error. */
static int
fuse_conv_pool (dlnn_graph * g, char *removed, int mi, dlnn_status * st)
{
  dlnn_window_attrs wa;
  int64_t pads[4];
  int x, pi, ci;
  dlnn_node *c;

  if (!pool_fusable (g, removed, mi, &wa, pads))
    return 0;
  x = g->nodes[mi].inputs[0];
  if ((pi = pool_conv (g, removed, x, mi)) >= 0) {
    if (pool_set (g, pi, &wa, pads, st) < 0)
      return -1;
    g->nodes[pi].outputs[0] = g->nodes[mi].outputs[0];
    removed[mi] = 1;
    return 1;
  }
  if (!is_private_value (g, x) || sole_reader (g, removed, x) != mi
      || (ci = producer_of (g, removed, x)) < 0)
    return 0;
  c = &g->nodes[ci];
  if (!is_type (c, "Concat") || c->n_outputs != 1 || c->n_inputs < 1
      || (dlnn_node_attr_int (c, "axis", 0) != 1
          && dlnn_node_attr_int (c, "axis", 0) != -3))
    return 0;
  for (int j = 0; j < c->n_inputs; j++)
    if (pool_conv (g, removed, c->inputs[j], ci) < 0)
      return 0;
  for (int j = 0; j < g->nodes[ci].n_inputs; j++)
    if (pool_set (g, pool_conv (g, removed, g->nodes[ci].inputs[j], ci),
            &wa, pads, st) < 0)
      return -1;
  g->nodes[ci].outputs[0] = g->nodes[mi].outputs[0];
  removed[mi] = 1;
  return 1;
}

dlnn_code
dlnn_graph_optimize_inference (dlnn_graph * g, dlnn_status * st)
{
  char *removed;
  int changed = 0;
  dlnn_code c;

  if (!g)
    return dlnn_status_set (st, DLNN_ERR_INVALID, "no graph");
  if ((c = dlnn_graph_finalize (g, st)) != DLNN_OK)
    return c;
  if (g->n_nodes == 0)
    return DLNN_OK;
  removed = calloc ((size_t) g->n_nodes, 1);
  if (!removed)
    return dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");

  changed += remove_passthrough (g, removed);
  for (int i = 0; i < g->n_nodes; i++) {
    int r;
    if (removed[i] || !is_type (&g->nodes[i], "BatchNormalization"))
      continue;
    r = fold_bn (g, removed, i, st);
    if (r < 0) {
      free (removed);
      return st ? st->code : DLNN_ERR_NOMEM;
    }
    changed += r;
  }
  for (int pass = 0; pass < 3; pass++)
    for (int i = 0; i < g->n_nodes; i++) {
      int r;
      if (removed[i])
        continue;
      r = pass == 0 ? fuse_silu (g, removed, i, st)
          : pass == 1 ? fuse_conv_act (g, removed, i, st)
          : fuse_conv_pool (g, removed, i, st);
      if (r < 0) {
        free (removed);
        return st ? st->code : DLNN_ERR_NOMEM;
      }
      changed += r;
    }
  if (!changed) {
    free (removed);
    return DLNN_OK;
  }
  dlnn_graph_remove_nodes (g, removed);
  free (removed);
  return dlnn_graph_finalize (g, st);
}
