/* dltrain - the speech recogniser, built with the dlnn_graph API as ONNX
 * (opset 13) ops on input "input" [N, T, n_mels] (raw log-mel frames):
 *
 *   Sub mean, Mul inv_std          per-band normalisation from the
 *                                  training features (constants)
 *   Transpose -> [N, n_mels, T]
 *   Conv 1-D k=5 stride 3 -> W, Relu      causal: pads (4, 0), so
 *   Conv 1-D k=5 stride 1 -> W, Relu      T' = ceil (T / 3) and output t'
 *                                         sees input frames <= 3 t' only
 *   Transpose -> [T', N, W]
 *   L x { GRU (or LSTM) hidden W, forward, linear_before_reset=1 (GRU),
 *         Squeeze axis 1 }               unidirectional (causal)
 *   Transpose -> [N, T', W], MatMul [W, C] + Add bias -> "logits"
 *   (export) LogSoftmax axis 2 -> "log_probs"
 *
 * so outputs for a prefix of the audio do not depend on later audio.
 * Initialisation: convolutions He normal, recurrent weights and biases
 * uniform in +-1/sqrt(W) (PyTorch's), output layer Xavier uniform. */
#include "speech.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CONV_K 5

typedef struct
{
  dlnn_graph *g;
  dlnn_rng *rng;
  dlnn_status *st;
  int failed;
  char cur[128];
} builder;

static dlnn_tensor *
param (builder * b, const char *name, dlnn_dtype dt, int ndim,
    const int64_t * dims, int trainable)
{
  dlnn_tensor *t;
  int v;

  if (b->failed)
    return NULL;
  t = dlnn_tensor_new (dt, ndim, dims, b->st);
  if (!t) {
    b->failed = 1;
    return NULL;
  }
  v = dlnn_graph_add_param (b->g, name, t, trainable, b->st);
  if (v < 0) {
    b->failed = 1;
    return NULL;
  }
  return b->g->values[v].init;
}

static int
node (builder * b, const char *op, const char *name, int n_in,
    const char *const *in)
{
  const char *out[1] = { name };
  int k;

  if (b->failed)
    return -1;
  k = dlnn_graph_add_node (b->g, op, name, n_in, in, 1, out, b->st);
  if (k < 0) {
    b->failed = 1;
    return -1;
  }
  snprintf (b->cur, sizeof (b->cur), "%s", name);
  return k;
}

static void
uniform (builder * b, dlnn_tensor * t, float a)
{
  if (!t || !b->rng)
    return;
  for (int64_t i = 0; i < t->size; i++)
    t->data[i] = a * (2 * dlnn_rng_uniform (b->rng) - 1);
}

static void
transpose (builder * b, const char *name, int64_t p0, int64_t p1, int64_t p2)
{
  const char *in[1] = { b->cur };
  const int64_t perm[3] = { p0, p1, p2 };
  int k = node (b, "Transpose", name, 1, in);
  if (k >= 0)
    dlnn_node_set_ints (b->g, k, "perm", 3, perm);
}

static void
conv1d (builder * b, const char *name, int cin, int cout, int stride)
{
  char wn[96], bn[96];
  const int64_t wd[3] = { cout, cin, CONV_K }, bd[1] = { cout };
  const int64_t ks[1] = { CONV_K }, st[1] = { stride };
  const int64_t pads[2] = { CONV_K - 1, 0 };
  const char *in[3] = { b->cur, wn, bn };
  dlnn_tensor *w;
  int k;

  snprintf (wn, sizeof (wn), "%s.weight", name);
  snprintf (bn, sizeof (bn), "%s.bias", name);
  w = param (b, wn, DLNN_FLOAT32, 3, wd, 1);
  if (w && b->rng)
    dlnn_init_tensor (w, DLNN_INIT_HE_NORMAL, (int64_t) cin * CONV_K,
        (int64_t) cout * CONV_K, b->rng);
  param (b, bn, DLNN_FLOAT32, 1, bd, 1);
  k = node (b, "Conv", name, 3, in);
  if (k >= 0) {
    dlnn_node_set_ints (b->g, k, "kernel_shape", 1, ks);
    dlnn_node_set_ints (b->g, k, "strides", 1, st);
    dlnn_node_set_ints (b->g, k, "pads", 2, pads);
  }
}

static void
relu (builder * b, const char *name)
{
  const char *in[1] = { b->cur };
  node (b, "Relu", name, 1, in);
}

/* [T, N, I] -> [T, N, H] */
static void
recurrent (builder * b, dt_speech_rnn rnn, int i, int cin, int h)
{
  const int gates = rnn == DT_SPEECH_LSTM ? 4 : 3;
  char name[32], wn[96], rn[96], bn[96], yn[96], sq[96], an[96];
  const int64_t wd[3] = { 1, (int64_t) gates * h, cin };
  const int64_t rd[3] = { 1, (int64_t) gates * h, h };
  const int64_t bd[2] = { 1, (int64_t) 2 * gates * h };
  const int64_t ad[1] = { 1 };
  const char *rin[4] = { b->cur, wn, rn, bn };
  const char *sin_[2] = { yn, an };
  const float a = 1.0f / sqrtf ((float) h);
  dlnn_tensor *t;
  int k;

  snprintf (name, sizeof (name), "%s%d", rnn == DT_SPEECH_LSTM ? "lstm" :
      "gru", i);
  snprintf (wn, sizeof (wn), "%s.W", name);
  snprintf (rn, sizeof (rn), "%s.R", name);
  snprintf (bn, sizeof (bn), "%s.B", name);
  snprintf (yn, sizeof (yn), "%s.Y", name);
  snprintf (sq, sizeof (sq), "%s.out", name);
  snprintf (an, sizeof (an), "%s.axes", name);
  uniform (b, param (b, wn, DLNN_FLOAT32, 3, wd, 1), a);
  uniform (b, param (b, rn, DLNN_FLOAT32, 3, rd, 1), a);
  uniform (b, param (b, bn, DLNN_FLOAT32, 2, bd, 1), a);
  if (b->failed)
    return;
  {
    const char *out[1] = { yn };
    k = dlnn_graph_add_node (b->g, rnn == DT_SPEECH_LSTM ? "LSTM" : "GRU",
        name, 4, rin, 1, out, b->st);
    if (k < 0) {
      b->failed = 1;
      return;
    }
  }
  dlnn_node_set_int (b->g, k, "hidden_size", h);
  dlnn_node_set_string (b->g, k, "direction", "forward");
  if (rnn == DT_SPEECH_GRU)
    dlnn_node_set_int (b->g, k, "linear_before_reset", 1);
  t = param (b, an, DLNN_INT64, 1, ad, 0);
  if (t)
    t->idata[0] = 1;
  node (b, "Squeeze", sq, 2, sin_);
}

int64_t
dt_speech_out_frames (int64_t frames)
{
  return (frames + DT_SPEECH_STRIDE - 1) / DT_SPEECH_STRIDE;
}

dlnn_graph *
dt_speech_build (dt_speech_rnn rnn, int layers, int width, int n_mels,
    int classes, const float *mean, const float *inv_std, int export_graph,
    dlnn_rng * rng, dlnn_status * st)
{
  builder b = { 0 };
  const int64_t in_dims[3] = { -1, -1, n_mels };
  const int64_t md[1] = { n_mels };
  dlnn_tensor *t;

  if (layers < 1 || width < 1 || n_mels < 1 || classes < 2) {
    dlnn_status_set (st, DLNN_ERR_INVALID, "bad speech model shape: %d "
        "layers of %d, %d mel bands, %d classes", layers, width, n_mels,
        classes);
    return NULL;
  }
  b.g = dlnn_graph_new (rnn == DT_SPEECH_LSTM ? "speech-lstm" :
      "speech-gru");
  if (!b.g) {
    dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    return NULL;
  }
  b.rng = rng;
  b.st = st;
  if (dlnn_graph_add_input (b.g, "input", 3, in_dims, st) < 0)
    b.failed = 1;
  /* normalisation */
  if ((t = param (&b, "norm.mean", DLNN_FLOAT32, 1, md, 0)))
    memcpy (t->data, mean, (size_t) n_mels * sizeof (float));
  if ((t = param (&b, "norm.inv_std", DLNN_FLOAT32, 1, md, 0)))
    memcpy (t->data, inv_std, (size_t) n_mels * sizeof (float));
  {
    const char *in1[2] = { "input", "norm.mean" };
    const char *in2[2] = { "norm.centered", "norm.inv_std" };
    node (&b, "Sub", "norm.centered", 2, in1);
    node (&b, "Mul", "norm.out", 2, in2);
  }
  transpose (&b, "to_nct", 0, 2, 1);
  conv1d (&b, "conv1", n_mels, width, DT_SPEECH_STRIDE);
  relu (&b, "relu1");
  conv1d (&b, "conv2", width, width, 1);
  relu (&b, "relu2");
  transpose (&b, "to_tnc", 2, 0, 1);
  for (int i = 0; i < layers; i++)
    recurrent (&b, rnn, i + 1, width, width);
  transpose (&b, "to_ntc", 1, 0, 2);
  {
    const int64_t wd[2] = { width, classes }, bd[1] = { classes };
    const char *in1[2] = { b.cur, "fc.weight" };
    const char *in2[2] = { "fc.matmul", "fc.bias" };
    dlnn_tensor *w = param (&b, "fc.weight", DLNN_FLOAT32, 2, wd, 1);
    if (w && rng)
      dlnn_init_tensor (w, DLNN_INIT_XAVIER_UNIFORM, width, classes, rng);
    param (&b, "fc.bias", DLNN_FLOAT32, 1, bd, 1);
    node (&b, "MatMul", "fc.matmul", 2, in1);
    node (&b, "Add", "logits", 2, in2);
  }
  if (export_graph) {
    const char *in[1] = { "logits" };
    int k = node (&b, "LogSoftmax", "log_probs", 1, in);
    if (k >= 0)
      dlnn_node_set_int (b.g, k, "axis", 2);
  }
  if (!b.failed && dlnn_graph_add_output (b.g, export_graph ? "log_probs" :
          "logits", st) != DLNN_OK)
    b.failed = 1;
  if (b.failed) {
    dlnn_graph_free (b.g);
    return NULL;
  }
  b.g->opset = 13;
  return b.g;
}
