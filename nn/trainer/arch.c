/* dltrain - the architectures, built with the dlnn_graph builder API as
 * ONNX ops on NCHW input "input":
 *   mlp:       Flatten, Gemm D->256, Relu, Gemm 256->K
 *   cnn-small: Conv5x5 C->16 pad 2, Relu, MaxPool 2, Conv5x5 16->32 pad 2,
 *              Relu, MaxPool 2, Flatten, Gemm ->K
 *   vgg (W):   [Conv3x3 W pad 1 (no bias), BN, Relu] x2, MaxPool 2,
 *              [Conv3x3 2W, BN, Relu] x2, MaxPool 2, Conv3x3 4W, BN, Relu,
 *              Flatten, Dropout 0.3, Gemm ->K
 *   crnn (W):  vgg's five convolution blocks and two pools on [N, 1, T, F]
 *              (T time frames, F bands) -> [N, 4W, T/4, F/4], Transpose
 *              -> [T/4, N, 4W, F/4], Reshape -> [T/4, N, W F], GRU hidden
 *              4W (forward, linear_before_reset 1) over time, ReduceMean
 *              of its outputs over time -> [N, 4W], Dropout 0.3, Gemm ->K:
 *              the whole window's context, independent of where in the
 *              window a sound is; GRU weights uniform in +-1/sqrt(4W)
 * The training graph ends in "logits"; the export graph adds Softmax
 * "probabilities". Convolutions and hidden Gemms: He normal; the last Gemm:
 * Xavier uniform; biases 0; BN scale 1, shift 0, running mean 0, var 1. */
#include "dltrain.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const arch_names[] = { "mlp", "cnn-small", "vgg",
  "crnn"
};

#define N_ARCHS ((int) (sizeof (arch_names) / sizeof (arch_names[0])))

int
dt_arch_parse (const char *s, dt_arch * a)
{
  for (int i = 0; i < N_ARCHS; i++)
    if (strcmp (s, arch_names[i]) == 0) {
      *a = (dt_arch) i;
      return 1;
    }
  return 0;
}

const char *
dt_arch_name (dt_arch a)
{
  return (int) a >= 0 && (int) a < N_ARCHS ? arch_names[a] : "?";
}

typedef struct
{
  dlnn_graph *g;
  dlnn_rng *rng;
  dlnn_status *st;
  int failed;
  char cur[64];                 /* name of the current activation */
  int c, h, w;                  /* its shape (per sample) */
} builder;

static int
add_param (builder * b, const char *node, const char *what, int ndim,
    const int64_t * dims, dlnn_init_kind init, int64_t fan_in,
    int64_t fan_out, int trainable, char *name_out)
{
  char name[96];
  dlnn_tensor *t;

  snprintf (name, sizeof (name), "%s.%s", node, what);
  if (name_out)
    strcpy (name_out, name);
  if (b->failed)
    return -1;
  t = dlnn_tensor_new (DLNN_FLOAT32, ndim, dims, b->st);
  if (!t) {
    b->failed = 1;
    return -1;
  }
  if (b->rng || init == DLNN_INIT_ONE)
    dlnn_init_tensor (t, init, fan_in, fan_out, b->rng);
  if (dlnn_graph_add_param (b->g, name, t, trainable, b->st) < 0) {
    b->failed = 1;
    return -1;
  }
  return 0;
}

static int
add_node (builder * b, const char *op, const char *name, int n_in,
    const char *const *in)
{
  const char *out[1] = { name };
  int node;

  if (b->failed)
    return -1;
  node = dlnn_graph_add_node (b->g, op, name, n_in, in, 1, out, b->st);
  if (node < 0) {
    b->failed = 1;
    return -1;
  }
  snprintf (b->cur, sizeof (b->cur), "%s", name);
  return node;
}

static void
conv (builder * b, const char *name, int cout, int k, int pad, int bias)
{
  char wname[96], bname[96];
  const int64_t wd[4] = { cout, b->c, k, k };
  const int64_t bd[1] = { cout };
  const int64_t ks[2] = { k, k }, pads[4] = { pad, pad, pad, pad };
  const int64_t strides[2] = { 1, 1 };
  const char *in[3] = { b->cur, wname, bname };
  int node;

  add_param (b, name, "weight", 4, wd, DLNN_INIT_HE_NORMAL,
      (int64_t) b->c * k * k, (int64_t) cout * k * k, 1, wname);
  if (bias)
    add_param (b, name, "bias", 1, bd, DLNN_INIT_ZERO, 1, 1, 1, bname);
  node = add_node (b, "Conv", name, bias ? 3 : 2, in);
  if (node >= 0) {
    dlnn_node_set_ints (b->g, node, "kernel_shape", 2, ks);
    dlnn_node_set_ints (b->g, node, "pads", 4, pads);
    dlnn_node_set_ints (b->g, node, "strides", 2, strides);
  }
  b->c = cout;
  b->h = b->h + 2 * pad - k + 1;
  b->w = b->w + 2 * pad - k + 1;
}

static void
batchnorm (builder * b, const char *name)
{
  char s[96], sh[96], m[96], v[96];
  const int64_t d[1] = { b->c };
  const char *in[5] = { b->cur, s, sh, m, v };
  int node;

  add_param (b, name, "weight", 1, d, DLNN_INIT_ONE, 1, 1, 1, s);
  add_param (b, name, "bias", 1, d, DLNN_INIT_ZERO, 1, 1, 1, sh);
  add_param (b, name, "running_mean", 1, d, DLNN_INIT_ZERO, 1, 1, 0, m);
  add_param (b, name, "running_var", 1, d, DLNN_INIT_ONE, 1, 1, 0, v);
  node = add_node (b, "BatchNormalization", name, 5, in);
  if (node >= 0) {
    dlnn_node_set_float (b->g, node, "epsilon", 1e-5f);
    dlnn_node_set_float (b->g, node, "momentum", 0.9f);
  }
}

static void
unary (builder * b, const char *op, const char *name)
{
  const char *in[1] = { b->cur };
  add_node (b, op, name, 1, in);
}

static void
maxpool (builder * b, const char *name)
{
  const char *in[1] = { b->cur };
  const int64_t k[2] = { 2, 2 };
  int node = add_node (b, "MaxPool", name, 1, in);
  if (node >= 0) {
    dlnn_node_set_ints (b->g, node, "kernel_shape", 2, k);
    dlnn_node_set_ints (b->g, node, "strides", 2, k);
  }
  b->h /= 2;
  b->w /= 2;
}

static void
flatten (builder * b, const char *name)
{
  const char *in[1] = { b->cur };
  int node = add_node (b, "Flatten", name, 1, in);
  if (node >= 0)
    dlnn_node_set_int (b->g, node, "axis", 1);
  b->c = b->c * b->h * b->w;
  b->h = b->w = 1;
}

static void
dropout (builder * b, const char *name, float ratio)
{
  char rname[96];
  const char *in[2] = { b->cur, rname };

  add_param (b, name, "ratio", 0, NULL, DLNN_INIT_ZERO, 1, 1, 0, rname);
  if (!b->failed) {
    int v = dlnn_graph_find_value (b->g, rname);
    b->g->values[v].init->data[0] = ratio;
  }
  add_node (b, "Dropout", name, 2, in);
}

static void
gemm (builder * b, const char *name, int out, int last)
{
  char wname[96], bname[96];
  const int64_t wd[2] = { out, b->c };
  const int64_t bd[1] = { out };
  const char *in[3] = { b->cur, wname, bname };
  int node;

  add_param (b, name, "weight", 2, wd,
      last ? DLNN_INIT_XAVIER_UNIFORM : DLNN_INIT_HE_NORMAL, b->c, out, 1,
      wname);
  add_param (b, name, "bias", 1, bd, DLNN_INIT_ZERO, 1, 1, 1, bname);
  node = add_node (b, "Gemm", name, 3, in);
  if (node >= 0)
    dlnn_node_set_int (b->g, node, "transB", 1);
  b->c = out;
}

static void
conv_bn_relu (builder * b, int i, int cout)
{
  char n[32];
  snprintf (n, sizeof (n), "conv%d", i);
  conv (b, n, cout, 3, 1, 0);
  snprintf (n, sizeof (n), "bn%d", i);
  batchnorm (b, n);
  snprintf (n, sizeof (n), "relu%d", i);
  unary (b, "Relu", n);
}

/* vgg's and crnn's convolution blocks: two of @width channels, pool, two
 * of 2 @width, pool, one of 4 @width */
static void
vgg_blocks (builder * b, int width)
{
  conv_bn_relu (b, 1, width);
  conv_bn_relu (b, 2, width);
  maxpool (b, "pool1");
  conv_bn_relu (b, 3, 2 * width);
  conv_bn_relu (b, 4, 2 * width);
  maxpool (b, "pool2");
  conv_bn_relu (b, 5, 4 * width);
}

/* a constant int64 vector parameter */
static void
ints_param (builder * b, const char *node, const char *what, int n,
    const int64_t * v, char *name_out)
{
  const int64_t d[1] = { n };
  dlnn_tensor *t;

  snprintf (name_out, 96, "%s.%s", node, what);
  if (b->failed)
    return;
  t = dlnn_tensor_new (DLNN_INT64, 1, d, b->st);
  if (!t) {
    b->failed = 1;
    return;
  }
  memcpy (t->idata, v, (size_t) n * sizeof (int64_t));
  if (dlnn_graph_add_param (b->g, name_out, t, 0, b->st) < 0)
    b->failed = 1;
}

static void
uniform_param (builder * b, const char *name, float a)
{
  dlnn_tensor *t;
  int v;

  if (b->failed || !b->rng)
    return;
  v = dlnn_graph_find_value (b->g, name);
  t = v >= 0 ? b->g->values[v].init : NULL;
  for (int64_t i = 0; t && i < t->size; i++)
    t->data[i] = a * (2 * dlnn_rng_uniform (b->rng) - 1);
}

/* [N, C, T, F] -> GRU over T -> mean over time [N, H] */
static void
gru_time_mean (builder * b, int hidden)
{
  const int64_t perm[4] = { 2, 0, 1, 3 }, shape[3] = { 0, 0, -1 };
  const int64_t axes[2] = { 0, 1 };
  const int din = b->c * b->w;
  const int64_t wd[3] = { 1, 3 * (int64_t) hidden, din };
  const int64_t rd[3] = { 1, 3 * (int64_t) hidden, hidden };
  const int64_t bd[2] = { 1, 6 * (int64_t) hidden };
  const float a = 1.0f / sqrtf ((float) hidden);
  char sn[96], wn[96], rn[96], bn[96];
  const char *rin[2] = { "to_tncf", sn };
  const char *gin[4] = { "to_tnd", wn, rn, bn };
  int node;

  node = add_node (b, "Transpose", "to_tncf", 1, (const char *[]) { b->cur });
  if (node >= 0)
    dlnn_node_set_ints (b->g, node, "perm", 4, perm);
  ints_param (b, "to_tnd", "shape", 3, shape, sn);
  add_node (b, "Reshape", "to_tnd", 2, rin);
  add_param (b, "gru", "W", 3, wd, DLNN_INIT_ZERO, 1, 1, 1, wn);
  add_param (b, "gru", "R", 3, rd, DLNN_INIT_ZERO, 1, 1, 1, rn);
  add_param (b, "gru", "B", 2, bd, DLNN_INIT_ZERO, 1, 1, 1, bn);
  uniform_param (b, wn, a);
  uniform_param (b, rn, a);
  uniform_param (b, bn, a);
  node = add_node (b, "GRU", "gru.Y", 4, gin);
  if (node >= 0) {
    dlnn_node_set_int (b->g, node, "hidden_size", hidden);
    dlnn_node_set_string (b->g, node, "direction", "forward");
    dlnn_node_set_int (b->g, node, "linear_before_reset", 1);
  }
  node = add_node (b, "ReduceMean", "time_mean", 1,
      (const char *[]) { b->cur });
  if (node >= 0) {
    dlnn_node_set_ints (b->g, node, "axes", 2, axes);
    dlnn_node_set_int (b->g, node, "keepdims", 0);
  }
  b->c = hidden;
  b->h = b->w = 1;
}

dlnn_graph *
dt_arch_build (dt_arch a, int width, int c, int h, int w, int classes,
    int softmax, dlnn_rng * rng, dlnn_status * st)
{
  builder b = { 0 };
  const int64_t in_dims[4] = { -1, c, h, w };

  if (c < 1 || h < 1 || w < 1 || classes < 2 || width < 1) {
    dlnn_status_set (st, DLNN_ERR_INVALID,
        "bad model shape: %d x %d x %d input, %d classes, width %d", c, h, w,
        classes, width);
    return NULL;
  }
  if (a != DT_ARCH_MLP && (h < 4 || w < 4)) {
    dlnn_status_set (st, DLNN_ERR_INVALID,
        "%s needs images of at least 4x4, not %dx%d", dt_arch_name (a), w, h);
    return NULL;
  }
  b.g = dlnn_graph_new (dt_arch_name (a));
  if (!b.g) {
    dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    return NULL;
  }
  b.rng = rng;
  b.st = st;
  b.c = c;
  b.h = h;
  b.w = w;
  if (dlnn_graph_add_input (b.g, "input", 4, in_dims, st) < 0)
    b.failed = 1;
  strcpy (b.cur, "input");
  switch (a) {
    case DT_ARCH_MLP:
      flatten (&b, "flatten");
      gemm (&b, "fc1", 256, 0);
      unary (&b, "Relu", "relu1");
      gemm (&b, "logits", classes, 1);
      break;
    case DT_ARCH_CNN_SMALL:
      conv (&b, "conv1", 16, 5, 2, 1);
      unary (&b, "Relu", "relu1");
      maxpool (&b, "pool1");
      conv (&b, "conv2", 32, 5, 2, 1);
      unary (&b, "Relu", "relu2");
      maxpool (&b, "pool2");
      flatten (&b, "flatten");
      gemm (&b, "logits", classes, 1);
      break;
    case DT_ARCH_VGG:
      vgg_blocks (&b, width);
      flatten (&b, "flatten");
      dropout (&b, "dropout", 0.3f);
      gemm (&b, "logits", classes, 1);
      break;
    case DT_ARCH_CRNN:
      vgg_blocks (&b, width);
      gru_time_mean (&b, 4 * width);
      dropout (&b, "dropout", 0.3f);
      gemm (&b, "logits", classes, 1);
      break;
  }
  if (softmax) {
    const char *in[1] = { "logits" };
    const char *out[1] = { "probabilities" };
    int node = b.failed ? -1 : dlnn_graph_add_node (b.g, "Softmax",
        "softmax", 1, in, 1, out, st);
    if (node < 0)
      b.failed = 1;
    else
      dlnn_node_set_int (b.g, node, "axis", 1);
  }
  if (!b.failed && dlnn_graph_add_output (b.g, softmax ? "probabilities" :
          "logits", st) != DLNN_OK)
    b.failed = 1;
  if (b.failed) {
    dlnn_graph_free (b.g);
    return NULL;
  }
  b.g->opset = 13;
  return b.g;
}

dlnn_code
dt_graph_copy_params (dlnn_graph * dst, const dlnn_graph * src,
    dlnn_status * st)
{
  for (int i = 0; i < dst->n_values; i++) {
    dlnn_value *d = &dst->values[i];
    const dlnn_value *s;
    int j;
    if (d->kind != DLNN_VALUE_PARAM || !d->init)
      continue;
    j = dlnn_graph_find_value (src, d->name);
    s = j >= 0 ? &src->values[j] : NULL;
    if (!s || s->kind != DLNN_VALUE_PARAM || !s->init)
      return dlnn_status_set (st, DLNN_ERR_FORMAT,
          "parameter '%s' is missing", d->name);
    if (!dlnn_shape_equal (d->init, s->init) || d->init->dtype !=
        s->init->dtype) {
      char a[128], b[128];
      return dlnn_status_set (st, DLNN_ERR_SHAPE,
          "parameter '%s' has shape %s, expected %s", d->name,
          dlnn_shape_str (s->init->ndim, s->init->dims, a, sizeof (a)),
          dlnn_shape_str (d->init->ndim, d->init->dims, b, sizeof (b)));
    }
    if (d->init->data && s->init->data)
      memcpy (d->init->data, s->init->data,
          (size_t) d->init->size * sizeof (float));
    else if (d->init->idata && s->init->idata)
      memcpy (d->init->idata, s->init->idata,
          (size_t) d->init->size * sizeof (int64_t));
  }
  return DLNN_OK;
}
