/* libdlnn - Conv: 1-D (N,C,L) and 2-D (N,C,H,W) convolution with strides,
 * pads (explicit or auto_pad), dilations and groups.
 *
 * Forward: im2col of a chunk of images into the workspace, then one GEMM
 * per group over the whole chunk (Y = W * col); pointwise convolutions
 * (1x1, stride 1, no pads) multiply the input directly; depthwise ones
 * (group == C, one or more filters per channel) use a direct kernel.
 * At inference, 3x3 stride-1 convolutions whose weights are a graph
 * parameter use Winograd F(2x2, 3x3) (conv_winograd.c) with the filter
 * transform cached in the node (see conv_priv); 3x3 and 5x5 depthwise
 * ones with stride 1 or 2 use conv_depthwise.c. Where libdlnn's own
 * AVX-512 GEMM runs (conv_own.c), the others skip the im2col buffer:
 * kernels larger than 1x1 read B in place from a padded, stride-phase
 * split copy of the input ("direct"), 1x1 ones pack B per panel.
 * Backward: dW += dY * col^T, dcol = W^T * dY followed by col2im into dX,
 * dB = sum of dY. */
#include "conv-private.h"
#include "conv.h"
#include "sgemm.h"
#include "dlnn/exec.h"
#include "fused_act.h"
#include "parallel.h"
#include "pool.h"

#include <math.h>
#include <stdatomic.h>

#define CONV_DEFAULT_CAP ((size_t) 16 << 20)
#define CONV_DEFAULT_COLS 400

static size_t conv_cap_floats = CONV_DEFAULT_CAP;
static int64_t conv_target_cols = CONV_DEFAULT_COLS;

void
dlnn_conv_set_chunking (size_t cap_floats, int64_t target_cols)
{
  conv_cap_floats = cap_floats ? cap_floats : CONV_DEFAULT_CAP;
  conv_target_cols = target_cols > 0 ? target_cols : CONV_DEFAULT_COLS;
}

/* Winograd filter cache states. The transform is computed by the first
 * inference forward that finds the cache EMPTY (the others meanwhile use
 * im2col), from the parameter's data at that time. Planning a training
 * exec on the graph turns the cache OFF for good: its optimizer rewrites
 * the weights in place, and an inference exec sharing the graph (the
 * trainer's validation) must see the new values. */
enum { WINO_NONE = 0, WINO_EMPTY, WINO_BUSY, WINO_READY, WINO_OFF };

typedef struct conv_priv
{
  dlnn_window_attrs wa;
  int64_t group;
  dlnn_fused_act act;           /* fused activation (fused_act.h) */
  int pool;                     /* fused MaxPool's kernel (fold.c), or 0 */
  dlnn_window_attrs pool_wa;
  atomic_int wino_state;
  const float *wino_src;        /* the weight parameter's data */
  float *wino_u;                /* 16 x M x C, in this allocation */
  atomic_int chv_state;         /* the same states, for chv_w */
  float *chv_w;                 /* weights packed for conv_chv.c, here too */
} conv_priv;

/* Whether node @n may use a cached Winograd filter: its weights are a
 * float parameter of shape (M, C, 3, 3) with M, C >= 16, and the
 * attributes give stride 1, dilation 1 and one group. Returns the floats
 * of the transform, or 0. */
static int64_t
wino_cache_size (const dlnn_graph * g, const dlnn_node * n,
    const dlnn_window_attrs * wa, int64_t group)
{
  const dlnn_value *v;
  const dlnn_tensor *w;

  if (group != 1 || n->inputs[1] < 0)
    return 0;
  v = &g->values[n->inputs[1]];
  w = v->init;
  if (v->kind != DLNN_VALUE_PARAM || !w || w->dtype != DLNN_FLOAT32
      || !w->data || w->ndim != 4 || w->dims[2] != 3 || w->dims[3] != 3
      || w->dims[0] < 16 || w->dims[1] < 16)
    return 0;
  for (int i = 0; i < wa->n_strides; i++)
    if (wa->strides[i] != 1)
      return 0;
  for (int i = 0; i < wa->n_dilations; i++)
    if (wa->dilations[i] != 1)
      return 0;
  return 16 * w->dims[0] * w->dims[1];
}

/* Floats of node @n's weights packed for the channel-vector kernel
 * (conv_chv.c), when it may use them: a float parameter of one group
 * whose kernel is larger than 1x1; else 0. Like the Winograd cache it is
 * allocated at init and written only if the kernel runs. */
static int64_t
chv_cache_size (const dlnn_graph * g, const dlnn_node * n, int64_t group)
{
  const dlnn_value *v;
  const dlnn_tensor *w;
  int64_t k = 1;

  if (group != 1 || n->inputs[1] < 0 || !dlnn_conv_chv_usable ())
    return 0;
  v = &g->values[n->inputs[1]];
  w = v->init;
  if (v->kind != DLNN_VALUE_PARAM || !w || w->dtype != DLNN_FLOAT32
      || !w->data || w->ndim < 3 || w->ndim > 4)
    return 0;
  for (int i = 2; i < w->ndim; i++)
    k *= w->dims[i];
  return dlnn_conv_chv_packed_floats (w->dims[0], k * w->dims[1]);
}

/* The fused MaxPool's attributes (fused_act.h) into p->pool, p->pool_wa. */
static dlnn_code
pool_parse (const dlnn_node * n, conv_priv * p, dlnn_status * st)
{
  const dlnn_attr *pa = dlnn_node_attr (n, DLNN_FUSED_POOL_PADS);
  int64_t k = dlnn_node_attr_int (n, DLNN_FUSED_POOL_KERNEL, 0);
  dlnn_window_attrs *wa = &p->pool_wa;

  if (!dlnn_node_attr (n, DLNN_FUSED_POOL_KERNEL))
    return DLNN_OK;
  if ((k != 2 && k != 3) || !pa || pa->type != DLNN_ATTR_INTS || pa->n != 4)
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "attributes %s=%lld and %s: a kernel of 2 or 3 and four pads "
        "expected", DLNN_FUSED_POOL_KERNEL, (long long) k,
        DLNN_FUSED_POOL_PADS);
  memset (wa, 0, sizeof (*wa));
  wa->n_kernel = wa->n_strides = 2;
  wa->kernel[0] = wa->kernel[1] = k;
  wa->strides[0] = wa->strides[1] = 2;
  wa->n_pads = 4;
  for (int i = 0; i < 4; i++) {
    if (pa->ints[i] < 0)
      return dlnn_op_error (n, st, DLNN_ERR_INVALID,
          "attribute %s: negative pad", DLNN_FUSED_POOL_PADS);
    wa->pads[i] = pa->ints[i];
  }
  wa->auto_pad = DLNN_AUTO_PAD_NOTSET;
  wa->ceil_mode = dlnn_node_attr_int (n, DLNN_FUSED_POOL_CEIL, 0) != 0;
  p->pool = (int) k;
  return DLNN_OK;
}

static float *
align64 (void *p)
{
  return (float *) (((uintptr_t) p + 63) & ~(uintptr_t) 63);
}

static dlnn_code
conv_init (const dlnn_graph * g, dlnn_node * n, dlnn_status * st)
{
  dlnn_window_attrs wa;
  int64_t group, cache, chv;
  conv_priv *p;
  dlnn_code c;

  memset (&wa, 0, sizeof (wa));
  if ((c = dlnn_window_parse (n, &wa, 0, st)) != DLNN_OK)
    return c;
  group = dlnn_node_attr_int (n, "group", 1);
  if (group < 1)
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "group=%lld must be positive", (long long) group);
  cache = wino_cache_size (g, n, &wa, group);
  chv = chv_cache_size (g, n, group);
  p = dlnn_op_priv_new_tail (n, sizeof (conv_priv), (cache ? 64 : 0)
      + (size_t) cache * sizeof (float) + (chv ? 64 : 0)
      + (size_t) chv * sizeof (float), st);
  if (!p)
    return DLNN_ERR_NOMEM;
  p->wa = wa;
  p->group = group;
  if ((c = dlnn_fused_act_parse (n, &p->act, st)) != DLNN_OK
      || (c = pool_parse (n, p, st)) != DLNN_OK)
    return c;
  atomic_init (&p->wino_state, cache ? WINO_EMPTY : WINO_NONE);
  atomic_init (&p->chv_state, chv ? WINO_EMPTY : WINO_NONE);
  if (cache || chv)
    p->wino_src = g->values[n->inputs[1]].init->data;
  if (cache)
    p->wino_u = align64 (p + 1);
  if (chv)
    p->chv_w = align64 (cache ? p->wino_u + cache : (float *) (p + 1));
  return DLNN_OK;
}

int
dlnn_conv_winograd_cached (const dlnn_node * n)
{
  const conv_priv *p = n->priv;

  return p && p->wino_u
      && atomic_load ((atomic_int *) & p->wino_state) == WINO_READY;
}

int
dlnn_conv_chv_cached (const dlnn_node * n)
{
  const conv_priv *p = n->priv;

  return p && p->chv_w
      && atomic_load ((atomic_int *) & p->chv_state) == WINO_READY;
}

/* Fewest 2x2 output tiles per image for which the cached Winograd path
 * is used. Below it (7x7 outputs and smaller: 16 tiles) the 16 GEMMs are
 * narrow and gain nothing measurable over im2col + sgemm (resnet18: same
 * latency within 1 %), while the cache of such layers (deep, many
 * channels) is 16/9 of their weights: resnet18's three 512x512 layers
 * alone would cache 50 MB next to their 28 MB of weights. Their cache is
 * allocated at init (the spatial size is not known yet) but never
 * written, so it takes address space, not memory. */
#define WINO_MIN_TILES 20

/* Fewest input channels for which the cached Winograd path is used: with
 * 16 its 16 GEMMs have K = 16 and the transforms dominate (squeezenet1_1
 * features.3/4 expand3x3, 16 -> 64 channels at 55x55 and 27x27: 0.66 and
 * 0.52 ms Winograd, 0.36 ms each through the own GEMM; at 32 channels
 * Winograd wins, 0.29 against 0.39-0.44 ms). */
#define WINO_MIN_IN_CHANNELS 32

/* Where the own GEMM's direct convolution runs (conv_own.c), Winograd
 * only from 48 input channels: squeezenet1_1 features.6/7 expand3x3, 32
 * -> 128 channels on 27x27, 0.35 ms Winograd, 0.25-0.27 ms direct
 * (dlnn_bench per node, 1 thread, two runs); at 48 and 64 channels
 * Winograd still wins (squeezenet features.9-12 on 13x13: 0.13 / 0.20
 * against 0.15 / 0.26 ms; resnet18 layer2/3: 0.77-0.88 against 1.08-1.15
 * ms), and resnet18 layer1 (64 -> 64 on 56x56) is the same either way. */
#define WINO_DIRECT_MIN_IN_CHANNELS 48

/* Winograd workspace of @g and images per chunk, 0 when the cached path
 * does not apply to this node and shape. */
static size_t
wino_plan (const dlnn_node * n, const conv_geom * g, int64_t * nb)
{
  const conv_priv *p = n->priv;

  static atomic_int env = -2;

  if (!p->wino_u || !dlnn_conv_winograd_eligible (g)
      || dlnn_conv_env_flag (&env, "DLNN_CONV_WINOGRAD") == 0
      || ((g->w.oh + 1) / 2) * ((g->w.ow + 1) / 2) < WINO_MIN_TILES
      || g->c < WINO_MIN_IN_CHANNELS)
    return 0;
  if (g->c < WINO_DIRECT_MIN_IN_CHANNELS && dlnn_conv_direct_eligible (g))
    return 0;
  *nb = dlnn_conv_winograd_chunk (g, conv_cap_floats);
  return dlnn_conv_winograd_workspace (g, *nb);
}

/* Whether a cache made from the weight parameter @src, in state @state,
 * is ready for weights @w: 1 ready, 0 not; -1 when this caller has just
 * claimed it (EMPTY -> BUSY), to fill it and call cache_done. */
static int
cache_claim (atomic_int * state, const float *src, const float *w)
{
  int s = atomic_load (state);

  if (w != src)
    return 0;
  if (s == WINO_READY)
    return 1;
  if (s != WINO_EMPTY || !atomic_compare_exchange_strong (state, &s,
          WINO_BUSY))
    return 0;
  return -1;
}

/* BUSY -> READY unless training turned the cache off meanwhile. */
static int
cache_done (atomic_int * state)
{
  int s = WINO_BUSY;

  return atomic_compare_exchange_strong (state, &s, WINO_READY);
}

/* Whether the cached transform of @w is ready, computing it if nobody
 * has yet. */
static int
wino_ready (conv_priv * p, const conv_geom * g, const float *w)
{
  int r = cache_claim (&p->wino_state, p->wino_src, w);

  if (r >= 0)
    return r;
  dlnn_conv_winograd_filter (w, g->m, g->c, p->wino_u);
  return cache_done (&p->wino_state);
}

/* The packed weights for conv_chv.c when it runs node @n here (packing
 * them if nobody has yet), else NULL; @force: wherever it can run. */
static const float *
chv_weights (conv_priv * p, const conv_geom * g, const float *w, int force)
{
  int r;

  if (!p->chv_w || !(force ? dlnn_conv_chv_eligible (g, &p->act)
          : dlnn_conv_chv_chosen (g, &p->act)))
    return NULL;
  r = cache_claim (&p->chv_state, p->wino_src, w);
  if (r < 0) {
    dlnn_conv_chv_pack (w, g->m, g->kc, p->chv_w);
    r = cache_done (&p->chv_state);
  }
  return r ? p->chv_w : NULL;
}

static dlnn_code
conv_geom_get (const dlnn_node * n, const dlnn_tensor * x,
    const dlnn_tensor * w, const dlnn_tensor * b, conv_geom * g,
    dlnn_status * st)
{
  const conv_priv *p = n->priv;
  int rank = x->ndim - 2;
  dlnn_code c;

  memset (g, 0, sizeof (*g));
  if (x->ndim != 3 && x->ndim != 4)
    return dlnn_op_shape_error (n, st,
        "only 1-D (N,C,L) and 2-D (N,C,H,W) convolutions are supported; X is",
        x, NULL);
  if (w->ndim != x->ndim)
    return dlnn_op_shape_error (n, st, "X and W ranks differ: X, W", x, w);
  memset (g, 0, sizeof (*g));
  g->group = p->group;
  g->n = x->dims[0];
  g->c = x->dims[1];
  g->m = w->dims[0];
  if (w->dims[1] * g->group != g->c)
    return dlnn_op_shape_error (n, st,
        "W input channels times group must equal X channels: X, W", x, w);
  if (g->m % g->group != 0 || g->m == 0)
    return dlnn_op_shape_error (n, st,
        "W output channels must be a positive multiple of group: X, W", x,
        w);
  if (p->wa.n_kernel) {
    int bad = p->wa.n_kernel != rank;
    for (int i = 0; !bad && i < rank; i++)
      bad = p->wa.kernel[i] != w->dims[2 + i];
    if (bad)
      return dlnn_op_shape_error (n, st,
          "kernel_shape does not match the weights: X, W", x, w);
  }
  for (int i = 0; i < rank; i++)
    if (w->dims[2 + i] < 1)
      return dlnn_op_shape_error (n, st, "empty kernel: X, W", x, w);
  if (b && (b->ndim != 1 || b->dims[0] != g->m))
    return dlnn_op_shape_error (n, st, "B must have one value per filter: W, B",
        w, b);
  c = dlnn_window_geom (n, &p->wa, rank, x->dims + 2, w->dims + 2, &g->w, st);
  if (c != DLNN_OK)
    return c;
  g->cg = g->c / g->group;
  g->mg = g->m / g->group;
  g->hw = g->w.ih * g->w.iw;
  g->ohw = g->w.oh * g->w.ow;
  g->kc = g->cg * g->w.kh * g->w.kw;
  g->krows = g->c * g->w.kh * g->w.kw;
  g->pointwise = g->w.kh == 1 && g->w.kw == 1 && g->w.sh == 1
      && g->w.sw == 1 && g->w.pt == 0 && g->w.pl == 0 && g->w.pb == 0
      && g->w.pr == 0;
  g->depthwise = !g->pointwise && g->group > 1 && g->cg == 1;
  g->nb = 1;
  g->ws = 0;
  if (!g->pointwise && !g->depthwise && g->n > 0 && g->ohw > 0) {
    int64_t per = (g->krows + g->m) * g->ohw;
    int64_t nb = (conv_target_cols + g->ohw - 1) / g->ohw;
    int64_t nb_cap = (int64_t) (conv_cap_floats / (size_t) per);
    if (nb > nb_cap)
      nb = nb_cap;
    if (nb > g->n)
      nb = g->n;
    if (nb < 1)
      nb = 1;
    g->nb = nb;
    g->ws = nb > 1 ? (size_t) (nb * per) : (size_t) (g->krows * g->ohw);
  }
  return DLNN_OK;
}

/* Window of the fused MaxPool over the output of @g (2-D: conv_shape
 * refuses others). */
static dlnn_code
conv_pool_geom (const dlnn_node * n, const conv_geom * g, dlnn_win2d * pw,
    dlnn_status * st)
{
  const conv_priv *p = n->priv;
  int64_t in_sp[2] = { g->w.oh, g->w.ow }, k[2] = { p->pool, p->pool };

  return dlnn_window_geom (n, &p->pool_wa, 2, in_sp, k, pw, st);
}

static dlnn_code
conv_shape (const dlnn_node * n, const dlnn_tensor * const *in,
    dlnn_tensor * const *out, dlnn_status * st)
{
  conv_geom g;
  int64_t dims[4];
  dlnn_code c = conv_geom_get (n, in[0], in[1], dlnn_op_in (n, in, 2), &g,
      st);

  if (c != DLNN_OK)
    return c;
  dims[0] = g.n;
  dims[1] = g.m;
  if (((const conv_priv *) n->priv)->pool) {
    dlnn_win2d pw;
    if (in[0]->ndim != 4)
      return dlnn_op_shape_error (n, st,
          "a fused MaxPool needs a 2-D convolution; X is", in[0], NULL);
    if ((c = conv_pool_geom (n, &g, &pw, st)) != DLNN_OK)
      return c;
    dims[2] = pw.oh;
    dims[3] = pw.ow;
  } else if (in[0]->ndim == 4) {
    dims[2] = g.w.oh;
    dims[3] = g.w.ow;
  } else {
    dims[2] = g.w.ow;
  }
  return dlnn_op_set_shape (n, out[0], in[0]->ndim, dims, st);
}

/* Workspace of the convolution of @gp itself. */
static size_t
conv_workspace_plain (const dlnn_node * n, const conv_geom * gp,
    int training)
{
  conv_priv *p = n->priv;
  conv_geom g = *gp;
  int64_t nb;
  size_t wws, dws;

  if (dlnn_conv_depthwise_fast_eligible (&g))
    return dlnn_conv_depthwise_fast_workspace (&g);
  dws = dlnn_conv_direct_chosen (&g) || dlnn_conv_chv_chosen (&g, &p->act)
      ? dlnn_conv_direct_workspace (&g) : 0;
  if (dws < g.ws)
    dws = g.ws;
  if (training) {
    if (p->wino_u)
      atomic_store (&p->wino_state, WINO_OFF);
    if (p->chv_w)
      atomic_store (&p->chv_state, WINO_OFF);
    return dws;
  }
  wws = wino_plan (n, &g, &nb);
  return wws > dws ? wws : dws;
}

/* With a fused MaxPool: the channel-vector kernel's planes and rings, and
 * room for the full-size map followed by the convolution's own (the way
 * taken when the kernel does not run). */
static size_t
conv_workspace (const dlnn_node * n, const dlnn_tensor * const *in,
    const dlnn_tensor * const *out, int training)
{
  const conv_priv *p = n->priv;
  conv_geom g;
  dlnn_win2d pw;
  size_t full, cws = 0;

  if (conv_geom_get (n, in[0], in[1], dlnn_op_in (n, in, 2), &g, NULL))
    return 0;
  if (!p->pool)
    return conv_workspace_plain (n, &g, training);
  if (conv_pool_geom (n, &g, &pw, NULL) != DLNN_OK)
    return 0;
  if (!training && dlnn_conv_chv_chosen (&g, &p->act))
    cws = dlnn_conv_direct_workspace (&g)
        + dlnn_conv_chv_pool_workspace (&g, &pw);
  full = (size_t) (g.n * g.m * g.ohw) + conv_workspace_plain (n, &g,
      training);
  return cws > full ? cws : full;
}

static dlnn_code
check_workspace (const dlnn_node * n, const dlnn_op_ctx * ctx, size_t need,
    dlnn_status * st)
{
  if (need && (!ctx->workspace || ctx->workspace_size < need))
    return dlnn_op_error (n, st, DLNN_ERR_INVALID,
        "workspace of %zu floats is smaller than the %zu needed",
        ctx->workspace ? ctx->workspace_size : 0, need);
  return DLNN_OK;
}

/* The convolution of @gp (bias, fused activation) into @y. */
static dlnn_code
conv_compute (const dlnn_node * n, const dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const conv_geom * gp, float *y,
    dlnn_status * st)
{
  const dlnn_tensor *b = dlnn_op_in (n, in, 2);
  const float *x = in[0]->data, *w = in[1]->data;
  const int64_t ysize = gp->n * gp->m * gp->ohw;
  conv_geom g = *gp;
  conv_job job;
  int wino_yield = 0;
  dlnn_code c;

  if ((c = check_workspace (n, ctx, g.ws, st)) != DLNN_OK)
    return c;
  if (!ctx->training) {
    int64_t nb = 1;
    size_t wws = wino_plan (n, &g, &nb);

    /* At 2 threads Winograd's 16 small GEMMs on a 13x13 map, each split
     * over the threads, were slower than at 1 thread; the channel-vector
     * kernel splits the rows (squeezenet1_1 features.9-12, K = 432 and
     * 576: 0.19 / 0.23 -> 0.070 / 0.115 ms at 2 threads; at 1 thread
     * Winograd stays, 0.119 / 0.186 against 0.120 / 0.208 ms). Not with
     * more taps: resnet18's layer3 on 14x14, K = 2304, 0.36 -> 0.55 ms. */
    wino_yield = wws && g.kc <= 576 && dlnn_conv_winograd_splits_gemms (&g, nb,
        dlnn_par_threads ()) && dlnn_conv_chv_eligible (&g,
        &((conv_priv *) n->priv)->act);
    if (wws && !wino_yield && ctx->workspace && ctx->workspace_size >= wws
        && wino_ready (n->priv, &g, w)) {
      dlnn_conv_winograd_forward (&g, nb, x, ((conv_priv *) n->priv)->wino_u,
          b ? b->data : NULL, y, ctx->workspace, ctx->workspace_size);
      dlnn_fused_act_apply_par (&((conv_priv *) n->priv)->act, y, ysize);
      return DLNN_OK;
    }
  }
  if (dlnn_conv_depthwise_fast_eligible (&g) && ctx->workspace
      && ctx->workspace_size >= dlnn_conv_depthwise_fast_workspace (&g)) {
    dlnn_conv_depthwise_fast_forward (&g, x, w, b ? b->data : NULL,
        &((conv_priv *) n->priv)->act, y, ctx->workspace);
    return DLNN_OK;
  }
  if (!g.depthwise && g.mg >= 4 && g.ohw >= 16 && dlnn_sgemm_own ()) {
    const dlnn_fused_act *act = &((conv_priv *) n->priv)->act;
    const float *wchv = ctx->training ? NULL : chv_weights (n->priv, &g, w,
        wino_yield);

    if ((wchv || dlnn_conv_direct_chosen (&g)) && ctx->workspace
        && ctx->workspace_size >= dlnn_conv_direct_workspace (&g))
      dlnn_conv_direct_forward (&g, x, w, b ? b->data : NULL, act, y,
          ctx->workspace, wchv, NULL);
    else
      dlnn_conv_own_gemm_forward (&g, x, w, b ? b->data : NULL, act, y);
    return DLNN_OK;
  }
  memset (&job, 0, sizeof (job));
  job.g = &g;
  job.x = x;
  job.w = w;
  job.y = y;

  if (g.depthwise) {
    dlnn_conv_depthwise_forward (&job);
  } else if (g.pointwise) {
    for (int64_t ni = 0; ni < g.n; ni++)
      for (int64_t gi = 0; gi < g.group; gi++)
        dlnn_sgemm (0, 0, g.mg, g.ohw, g.cg, 1.0f, w + gi * g.mg * g.cg,
            g.cg, x + (ni * g.c + gi * g.cg) * g.hw, g.hw, 0.0f,
            y + (ni * g.m + gi * g.mg) * g.ohw, g.ohw);
  } else {
    float *col = ctx->workspace;
    float *ybuf = col + g.krows * g.nb * g.ohw;

    for (int64_t n0 = 0; n0 < g.n; n0 += g.nb) {
      int64_t nbc = g.n - n0 < g.nb ? g.n - n0 : g.nb;
      int64_t ldcol = nbc * g.ohw;
      float *dst = nbc == 1 ? y + n0 * g.m * g.ohw : ybuf;

      dlnn_conv_im2col_chunk (&g, x + n0 * g.c * g.hw, nbc, col, ldcol);
      for (int64_t gi = 0; gi < g.group; gi++)
        dlnn_sgemm (0, 0, g.mg, ldcol, g.kc, 1.0f, w + gi * g.mg * g.kc,
            g.kc, col + gi * g.kc * ldcol, ldcol, 0.0f,
            dst + gi * g.mg * ldcol, ldcol);
      if (nbc > 1)
        for (int64_t bi = 0; bi < nbc; bi++)
          for (int64_t mi = 0; mi < g.m; mi++)
            memcpy (y + ((n0 + bi) * g.m + mi) * g.ohw,
                ybuf + mi * ldcol + bi * g.ohw,
                (size_t) g.ohw * sizeof (float));
    }
  }

  if (b) {
    job.b = b->data;
    dlnn_conv_bias_forward (&job);
  }
  dlnn_fused_act_apply_par (&((conv_priv *) n->priv)->act, y, ysize);
  return DLNN_OK;
}

/* With a fused MaxPool (fold.c): at inference through the channel-vector
 * kernel, which pools rows while they are in cache; otherwise the
 * full-size map in the workspace, then the pool. */
static dlnn_code
conv_forward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, dlnn_tensor * const *out,
    dlnn_status * st)
{
  conv_priv *p = n->priv;
  const dlnn_tensor *b = dlnn_op_in (n, in, 2);
  dlnn_op_ctx sub;
  dlnn_win2d pw;
  conv_geom g;
  size_t full;
  dlnn_code c;

  if ((c = conv_geom_get (n, in[0], in[1], b, &g, st)) != DLNN_OK)
    return c;
  if (!p->pool)
    return conv_compute (n, ctx, in, &g, out[0]->data, st);
  if ((c = conv_pool_geom (n, &g, &pw, st)) != DLNN_OK)
    return c;
  if (!ctx->training && ctx->workspace && ctx->workspace_size
      >= dlnn_conv_direct_workspace (&g)
      + dlnn_conv_chv_pool_workspace (&g, &pw)) {
    const float *wchv = chv_weights (p, &g, in[1]->data, 0);

    if (wchv) {
      dlnn_conv_direct_forward (&g, in[0]->data, in[1]->data,
          b ? b->data : NULL, &p->act, out[0]->data, ctx->workspace, wchv,
          &pw);
      return DLNN_OK;
    }
  }
  full = (size_t) (g.n * g.m * g.ohw);
  if ((c = check_workspace (n, ctx, full, st)) != DLNN_OK)
    return c;
  sub = *ctx;
  sub.workspace = ctx->workspace + full;
  sub.workspace_size = ctx->workspace_size - full;
  if ((c = conv_compute (n, &sub, in, &g, ctx->workspace, st)) != DLNN_OK)
    return c;
  dlnn_maxpool_values (&pw, g.n * g.m, ctx->workspace, out[0]->data);
  return DLNN_OK;
}

static dlnn_code
conv_backward (const dlnn_node * n, dlnn_op_ctx * ctx,
    const dlnn_tensor * const *in, const dlnn_tensor * const *out,
    const dlnn_tensor * const *dout, dlnn_tensor * const *din,
    dlnn_status * st)
{
  const dlnn_tensor *b = dlnn_op_in (n, in, 2);
  dlnn_tensor *tdx = dlnn_op_din (n, din, 0), *tdw = dlnn_op_din (n, din, 1);
  dlnn_tensor *tdb = dlnn_op_din (n, din, 2);
  const float *x = in[0]->data, *w = in[1]->data, *dy = dout[0]->data;
  float *dx = tdx ? tdx->data : NULL, *dw = tdw ? tdw->data : NULL;
  conv_geom g;
  conv_job job;
  dlnn_code c;

  if ((c = conv_geom_get (n, in[0], in[1], b, &g, st)) != DLNN_OK)
    return c;
  if (((const conv_priv *) n->priv)->act.kind != DLNN_FUSED_NONE
      || ((const conv_priv *) n->priv)->pool)
    return dlnn_op_error (n, st, DLNN_ERR_UNSUPPORTED,
        "no backward with a fused activation or MaxPool (attribute %s: the "
        "graph was optimised for inference)",
        ((const conv_priv *) n->priv)->pool ? DLNN_FUSED_POOL_KERNEL
        : DLNN_FUSED_ATTR);
  memset (&job, 0, sizeof (job));
  job.g = &g;
  job.x = x;
  job.w = w;
  job.dy = dy;
  job.dx = dx;
  job.dw = dw;

  if (tdb) {
    job.db = tdb->data;
    dlnn_conv_bias_backward (&job);
  }
  if (!dx && !dw)
    return DLNN_OK;

  if (g.depthwise) {
    dlnn_conv_depthwise_backward (&job);
    return DLNN_OK;
  }
  if (g.pointwise) {
    for (int64_t ni = 0; ni < g.n; ni++)
      for (int64_t gi = 0; gi < g.group; gi++) {
        const float *dyg = dy + (ni * g.m + gi * g.mg) * g.ohw;
        int64_t xoff = (ni * g.c + gi * g.cg) * g.hw;
        if (dw)
          dlnn_sgemm (0, 1, g.mg, g.cg, g.ohw, 1.0f, dyg, g.ohw, x + xoff,
              g.hw, 1.0f, dw + gi * g.mg * g.cg, g.cg);
        if (dx)
          dlnn_sgemm (1, 0, g.cg, g.hw, g.mg, 1.0f, w + gi * g.mg * g.cg,
              g.cg, dyg, g.ohw, 1.0f, dx + xoff, g.hw);
      }
    return DLNN_OK;
  }

  if ((c = check_workspace (n, ctx, g.ws, st)) != DLNN_OK)
    return c;
  {
    float *col = ctx->workspace;
    float *ybuf = col + g.krows * g.nb * g.ohw;

    for (int64_t n0 = 0; n0 < g.n; n0 += g.nb) {
      int64_t nbc = g.n - n0 < g.nb ? g.n - n0 : g.nb;
      int64_t ldcol = nbc * g.ohw;
      const float *dyc = dy + n0 * g.m * g.ohw;

      if (nbc > 1) {
        for (int64_t bi = 0; bi < nbc; bi++)
          for (int64_t mi = 0; mi < g.m; mi++)
            memcpy (ybuf + mi * ldcol + bi * g.ohw,
                dy + ((n0 + bi) * g.m + mi) * g.ohw,
                (size_t) g.ohw * sizeof (float));
        dyc = ybuf;
      }
      if (dw) {
        dlnn_conv_im2col_chunk (&g, x + n0 * g.c * g.hw, nbc, col, ldcol);
        for (int64_t gi = 0; gi < g.group; gi++)
          dlnn_sgemm (0, 1, g.mg, g.kc, ldcol, 1.0f, dyc + gi * g.mg * ldcol,
              ldcol, col + gi * g.kc * ldcol, ldcol, 1.0f,
              dw + gi * g.mg * g.kc, g.kc);
      }
      if (dx) {
        for (int64_t gi = 0; gi < g.group; gi++)
          dlnn_sgemm (1, 0, g.kc, ldcol, g.mg, 1.0f, w + gi * g.mg * g.kc,
              g.kc, dyc + gi * g.mg * ldcol, ldcol, 0.0f,
              col + gi * g.kc * ldcol, ldcol);
        dlnn_conv_col2im_chunk (&g, col, nbc, ldcol, dx + n0 * g.c * g.hw);
      }
    }
  }
  return DLNN_OK;
}

const dlnn_op dlnn_op_conv = {
  .type = "Conv",
  .min_inputs = 2,.max_inputs = 3,
  .min_outputs = 1,.max_outputs = 1,
  .init = conv_init,
  .shape = conv_shape,
  .workspace = conv_workspace,
  .forward = conv_forward,
  .backward = conv_backward,
};
