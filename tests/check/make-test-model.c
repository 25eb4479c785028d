/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/* make-test-model OUTDIR: writes the small ONNX models the dlclassify tests
 * use, built with the libdlnn graph API, plus corrupt files.
 *
 * bands.onnx: gray 16x16 input, Flatten + Gemm + Softmax, 4 classes
 *   "band0".."band3". Class k's weight row averages the 4 pixel rows of
 *   horizontal band k (rows 4k..4k+3) minus the average of the other 12
 *   rows, times BANDS_GAIN, so logit_k = GAIN * (mean(band k) -
 *   mean(other bands)) with pixels scaled to 0..1: a picture whose band k
 *   is brightest is classified k.
 * bands-logits.onnx: the same without Softmax, dynamic batch dimension.
 * bands-flat.onnx: the same taking a flat [1,256] vector.
 * bands-nometa.onnx: no dl.* metadata (preprocessing derived from the
 *   input shape, labels "class N").
 * colors.onnx: rgb 16x16 input, classes "red", "green", "blue": logit_c =
 *   GAIN * (mean(channel c) - mean(other channels)).
 * colors-norm.onnx: the same network with the dl.image of an imported
 *   model (TEST_NORM_IMAGE: bgr, crop, bilinear, per-channel mean and std)
 *   and labels "red", "green", "blue".
 * colors-nometa.onnx: the same network without any dl.* metadata.
 * colors-flat-nometa.onnx: the same taking a flat [1,768] vector, without
 *   metadata: only element properties can say how to feed it.
 * many.onnx: 64 classes whose logits ignore the picture (zero weights,
 *   bias TEST_MANY_LOGIT (j)), no labels: for top-k ordering.
 * bad-channels.onnx: dl.image says rgb but the input has 1 channel.
 * bad-layout.onnx: NHWC input [1,16,16,1] with dl.image color=gray.
 * bad-output.onnx: a single output value.
 * truncated.onnx: the first half of bands.onnx.
 * garbage.onnx: text, not protobuf.
 *
 * The sizes and the gain are in test-model.h, shared with the tests. */
#include <dlnn/dlnn.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-model.h"

#define N_PIXELS (TEST_MODEL_SIZE * TEST_MODEL_SIZE)

static const char *out_dir;

static char *
out_path (const char *name)
{
  static char buf[4096];

  snprintf (buf, sizeof (buf), "%s/%s", out_dir, name);
  return buf;
}

static int
check (dlnn_code code, const dlnn_status * st, const char *what)
{
  if (code != DLNN_OK) {
    fprintf (stderr, "make-test-model: %s: %s\n", what, st->message);
    return 0;
  }
  return 1;
}

typedef enum
{
  KIND_BANDS,
  KIND_COLORS,
  KIND_MANY,
  KIND_SINGLE,
} ModelKind;

typedef struct
{
  const char *file;
  ModelKind kind;
  int channels;                 /* of the declared input */
  int ndim;
  int64_t dims[4];
  int softmax;
  const char *image;            /* dl.image or NULL */
  int labels;                   /* add dl.labels */
} ModelSpec;

/* Weight row of class @k for pixel element @i of the flattened input. */
static float
weight (ModelKind kind, int k, int64_t i)
{
  if (kind == KIND_BANDS) {
    int row = (int) (i / TEST_MODEL_SIZE);
    int band = row / (TEST_MODEL_SIZE / TEST_BANDS);
    int in_band = N_PIXELS / TEST_BANDS;
    int out_band = N_PIXELS - in_band;

    return band == k ? TEST_MODEL_GAIN / in_band :
        -TEST_MODEL_GAIN / out_band;
  }
  if (kind == KIND_COLORS) {
    int c = (int) (i / N_PIXELS);

    return c == k ? TEST_MODEL_GAIN / N_PIXELS :
        -TEST_MODEL_GAIN / (2.0f * N_PIXELS);
  }
  if (kind == KIND_MANY)
    return 0.0f;
  return 1.0f / N_PIXELS;
}

static dlnn_graph *
build (const ModelSpec * spec, dlnn_status * st)
{
  static const char *const band_labels[] = { "band0", "band1", "band2",
    "band3"
  };
  static const char *const color_labels[] = { "red", "green", "blue" };
  dlnn_graph *g;
  dlnn_tensor *w, *b;
  int n_classes, node;
  int64_t n_in = (int64_t) spec->channels * N_PIXELS, i;
  const char *flatten_in[] = { "image" };
  const char *flatten_out[] = { "flat" };
  const char *gemm_in[] = { "flat", "weight", "bias" };
  const char *gemm_out[] = { "logits" };
  const char *softmax_in[] = { "logits" };
  const char *softmax_out[] = { "probabilities" };

  switch (spec->kind) {
    case KIND_BANDS:
      n_classes = TEST_BANDS;
      break;
    case KIND_COLORS:
      n_classes = 3;
      break;
    case KIND_MANY:
      n_classes = TEST_MANY_CLASSES;
      break;
    default:
      n_classes = 1;
      break;
  }

  g = dlnn_graph_new (spec->file);
  if (!g) {
    dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    return NULL;
  }
  g->opset = 13;

  if (dlnn_graph_add_input (g, "image", spec->ndim, spec->dims, st) < 0)
    goto fail;

  w = dlnn_tensor_new4 (2, n_classes, n_in, 0, 0);
  b = dlnn_tensor_new4 (1, n_classes, 0, 0, 0);
  if (!w || !b) {
    dlnn_tensor_free (w);
    dlnn_tensor_free (b);
    dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    goto fail;
  }
  for (int k = 0; k < n_classes; k++) {
    for (i = 0; i < n_in; i++)
      w->data[k * n_in + i] = weight (spec->kind, k, i);
    if (spec->kind == KIND_MANY)
      b->data[k] = TEST_MANY_LOGIT (k);
  }
  if (dlnn_graph_add_param (g, "weight", w, 1, st) < 0) {
    dlnn_tensor_free (b);
    goto fail;
  }
  if (dlnn_graph_add_param (g, "bias", b, 1, st) < 0)
    goto fail;

  if (spec->ndim == 2) {
    gemm_in[0] = "image";
  } else {
    node = dlnn_graph_add_node (g, "Flatten", "flatten", 1, flatten_in, 1,
        flatten_out, st);
    if (node < 0 || dlnn_node_set_int (g, node, "axis", 1) != DLNN_OK)
      goto fail;
  }

  node = dlnn_graph_add_node (g, "Gemm", "classifier", 3, gemm_in, 1,
      gemm_out, st);
  if (node < 0 || dlnn_node_set_int (g, node, "transB", 1) != DLNN_OK)
    goto fail;

  if (spec->softmax) {
    node = dlnn_graph_add_node (g, "Softmax", "softmax", 1, softmax_in, 1,
        softmax_out, st);
    if (node < 0 || dlnn_node_set_int (g, node, "axis", 1) != DLNN_OK)
      goto fail;
    if (dlnn_graph_add_output (g, "probabilities", st) != DLNN_OK)
      goto fail;
  } else {
    if (dlnn_graph_add_output (g, "logits", st) != DLNN_OK)
      goto fail;
  }

  if (spec->image) {
    dlnn_graph_set_meta (g, "dl.task", "classify");
    dlnn_graph_set_meta (g, "dl.image", spec->image);
  }
  if (spec->labels) {
    char *json = spec->kind == KIND_COLORS ?
        dlnn_json_format_string_array (color_labels, 3) :
        dlnn_json_format_string_array (band_labels, TEST_BANDS);

    if (!json) {
      dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
      goto fail;
    }
    dlnn_graph_set_meta (g, "dl.labels", json);
    free (json);
  }
  dlnn_graph_set_meta (g, "dl.provenance",
      "gst-dl tests/check/make-test-model.c");

  if (dlnn_graph_finalize (g, st) != DLNN_OK)
    goto fail;
  return g;

fail:
  dlnn_graph_free (g);
  return NULL;
}

static int
write_file (const char *name, const void *data, size_t len)
{
  FILE *f = fopen (out_path (name), "wb");

  if (!f || fwrite (data, 1, len, f) != len) {
    fprintf (stderr, "make-test-model: cannot write %s\n", out_path (name));
    if (f)
      fclose (f);
    return 0;
  }
  return fclose (f) == 0;
}

int
main (int argc, char **argv)
{
#define GRAY_IMAGE "color=gray;width=16;height=16;resize=stretch;" \
    "scale=0.003921569;mean=0;std=1"
#define RGB_IMAGE "color=rgb;width=16;height=16;resize=stretch;" \
    "scale=0.003921569;mean=0,0,0;std=1,1,1"
  static const ModelSpec specs[] = {
    {"bands.onnx", KIND_BANDS, 1, 4, {1, 1, 16, 16}, 1, GRAY_IMAGE, 1},
    {"bands-logits.onnx", KIND_BANDS, 1, 4, {-1, 1, 16, 16}, 0, GRAY_IMAGE,
        1},
    {"bands-flat.onnx", KIND_BANDS, 1, 2, {1, 256}, 1, GRAY_IMAGE, 1},
    {"bands-nometa.onnx", KIND_BANDS, 1, 4, {1, 1, 16, 16}, 1, NULL, 0},
    {"colors.onnx", KIND_COLORS, 3, 4, {1, 3, 16, 16}, 1, RGB_IMAGE, 1},
    {"colors-norm.onnx", KIND_COLORS, 3, 4, {1, 3, 16, 16}, 1,
        TEST_NORM_IMAGE, 1},
    {"colors-nometa.onnx", KIND_COLORS, 3, 4, {1, 3, 16, 16}, 1, NULL, 0},
    {"colors-flat-nometa.onnx", KIND_COLORS, 3, 2, {1, 768}, 1, NULL, 0},
    {"many.onnx", KIND_MANY, 1, 4, {1, 1, 16, 16}, 1, GRAY_IMAGE, 0},
    {"bad-channels.onnx", KIND_BANDS, 1, 4, {1, 1, 16, 16}, 1, RGB_IMAGE, 1},
    {"bad-layout.onnx", KIND_BANDS, 1, 4, {1, 16, 16, 1}, 1, GRAY_IMAGE, 1},
    {"bad-output.onnx", KIND_SINGLE, 1, 4, {1, 1, 16, 16}, 0, GRAY_IMAGE, 0},
  };
  static const char garbage[] =
      "This is not an ONNX model, just text in a file named .onnx.\n";
  dlnn_status st;
  void *data = NULL;
  size_t len = 0;
  size_t s;

  if (argc != 2) {
    fprintf (stderr, "usage: %s OUTDIR\n", argv[0]);
    return 2;
  }
  out_dir = argv[1];
  dlnn_status_clear (&st);

  for (s = 0; s < sizeof (specs) / sizeof (specs[0]); s++) {
    dlnn_graph *g = build (&specs[s], &st);

    if (!g) {
      fprintf (stderr, "make-test-model: %s: %s\n", specs[s].file,
          st.message);
      return 1;
    }
    if (!check (dlnn_onnx_save_file (g, out_path (specs[s].file), &st), &st,
            specs[s].file)) {
      dlnn_graph_free (g);
      return 1;
    }
    if (s == 0 && !check (dlnn_onnx_save_memory (g, &data, &len, &st), &st,
            "serialise")) {
      dlnn_graph_free (g);
      return 1;
    }
    dlnn_graph_free (g);
  }

  /* half of a valid model */
  if (!write_file ("truncated.onnx", data, len / 2))
    return 1;
  free (data);

  if (!write_file ("garbage.onnx", garbage, sizeof (garbage) - 1))
    return 1;

  return 0;
}
