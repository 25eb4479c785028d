/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/* make-tag-test-model OUTDIR: writes the small hand-weighted ONNX tag
 * models (dl.task=tag) the dltag tests use, built with the libdlnn graph
 * API, plus bad ones.
 *
 * tag-audio.onnx: input [1,1,T,40] log-mel frames (T = TEST_TAG_T, the
 *   dl.audio of TEST_TAG_AUDIO: 16 kHz, 40 HTK mels 0..8000 Hz, 10 ms hop)
 *   -> ReduceMean over time -> Flatten -> MatMul + Add -> Sigmoid, tags
 *   "low" and "high". logit_low = GAIN * (mean of the bands whose centre
 *   lies in 200..450 Hz - mean of all 40 bands) - BIAS, and "high" the
 *   same with the bands in 2500..3600 Hz: a loud 300 Hz tone is "low", a
 *   3 kHz tone "high", silence neither (every band at ln(1e-6), a
 *   difference of 0, the probability sigmoid(-BIAS)).
 * tag-audio-dyn.onnx: the same with a dynamic T (the window property
 *   chooses it).
 * tag-audio-logits.onnx: tag-audio without the final Sigmoid (the element
 *   applies one).
 * tag-audio-early.onnx: tag-audio hearing only the oldest
 *   TEST_TAG_EARLY_FRAMES frames of its window (a MatMul with time weights
 *   1/TEST_TAG_EARLY_FRAMES there, 0 elsewhere, instead of the mean), as a
 *   model that weighs its window unevenly; dl.tag_centre says so
 *   (TEST_TAG_EARLY_CENTRE, the centre of those frames).
 * tag-audio-early-nocentre.onnx: the same without dl.tag_centre.
 * tag-bad-centre.onnx: tag-audio with dl.tag_centre "1.5".
 * tag-video.onnx: gray 16x16 input (pixels scaled to 0..1) -> Flatten ->
 *   Gemm -> Sigmoid, tags "bright" (GAIN * (mean - 0.5)) and "dark"
 *   (GAIN * (0.5 - mean)).
 * tag-bad-task.onnx: tag-audio with dl.task=classify.
 * tag-bad-labels.onnx: tag-audio with three labels for two outputs.
 * tag-bad-input.onnx: tag-audio without dl.audio (and no dl.image).
 * tag-truncated.onnx: the first half of tag-audio.onnx.
 *
 * The constants are in test-tag-model.h, shared with the tests. */
#include <dlnn/dlnn.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-tag-model.h"

#define N_MELS 40
#define N_PIXELS 256

static const char *out_dir;

static char *
out_path (const char *name)
{
  static char buf[4096];

  snprintf (buf, sizeof (buf), "%s/%s", out_dir, name);
  return buf;
}

typedef enum
{
  KIND_AUDIO,
  KIND_VIDEO,
} ModelKind;

typedef struct
{
  const char *file;
  ModelKind kind;
  int64_t t;                    /* audio: frames, -1 dynamic */
  const char *task;
  const char *labels;           /* JSON */
  int with_input_meta;          /* dl.audio / dl.image */
  int logits;                   /* no final Sigmoid */
  int early;                    /* audio: the oldest frames only */
  const char *centre;           /* dl.tag_centre or NULL */
} ModelSpec;

static double
hz_to_mel (double hz)
{
  return 2595.0 * log10 (1.0 + hz / 700.0);
}

static double
mel_to_hz (double mel)
{
  return 700.0 * (pow (10.0, mel / 2595.0) - 1.0);
}

/* centre frequency of HTK mel band @m of N_MELS over 0..8000 Hz */
static double
band_centre (int m)
{
  double top = hz_to_mel (8000.0);

  return mel_to_hz (top * (m + 1) / (N_MELS + 1));
}

/* Fills column @k of the [N_MELS, 2] weight matrix @w: GAIN * (mean of the
 * bands in lo..hi Hz - mean of all bands). */
static void
band_weights (float *w, int k, double lo, double hi)
{
  int m, n_in = 0;

  for (m = 0; m < N_MELS; m++)
    if (band_centre (m) >= lo && band_centre (m) <= hi)
      n_in++;
  for (m = 0; m < N_MELS; m++) {
    double in = band_centre (m) >= lo && band_centre (m) <= hi;

    w[m * 2 + k] = (float) (TEST_TAG_GAIN * ((in ? 1.0 / n_in : 0.0) -
            1.0 / N_MELS));
  }
}

static int
add_param (dlnn_graph * g, const char *name, dlnn_tensor * t,
    dlnn_status * st)
{
  if (!t) {
    dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    return 0;
  }
  return dlnn_graph_add_param (g, name, t, 1, st) >= 0;
}

static dlnn_graph *
build_audio (const ModelSpec * spec, dlnn_status * st)
{
  const int64_t dims[4] = { 1, 1, spec->t, N_MELS };
  const int64_t axes[1] = { 2 };
  const char *mean_in[] = { "logmel" }, *mean_out[] = { "mean" };
  const char *flat_in[] = { "mean" }, *flat_out[] = { "flat" };
  const char *mm_in[] = { "flat", "weight" }, *mm_out[] = { "mm" };
  const char *add_in[] = { "mm", "bias" }, *add_out[] = { "logits" };
  const char *early_in[] = { "time_weight", "logmel" };
  const char *sig_in[] = { "logits" }, *sig_out[] = { "probabilities" };
  dlnn_graph *g = dlnn_graph_new (spec->file);
  dlnn_tensor *w, *b;
  int node;

  if (!g) {
    dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    return NULL;
  }
  g->opset = 13;
  if (dlnn_graph_add_input (g, "logmel", 4, dims, st) < 0)
    goto fail;

  w = dlnn_tensor_new4 (2, N_MELS, 2, 0, 0);
  if (w) {
    band_weights (w->data, 0, TEST_TAG_LOW_BAND_LO, TEST_TAG_LOW_BAND_HI);
    band_weights (w->data, 1, TEST_TAG_HIGH_BAND_LO, TEST_TAG_HIGH_BAND_HI);
  }
  if (!add_param (g, "weight", w, st))
    goto fail;
  b = dlnn_tensor_new4 (1, 2, 0, 0, 0);
  if (b)
    b->data[0] = b->data[1] = -TEST_TAG_BIAS;
  if (!add_param (g, "bias", b, st))
    goto fail;

  if (spec->early) {
    /* [1, T] x [1, 1, T, 40] -> [1, 1, 1, 40]: the mean of the oldest
     * frames */
    dlnn_tensor *tw = dlnn_tensor_new4 (2, 1, spec->t, 0, 0);
    int64_t k;

    if (tw)
      for (k = 0; k < spec->t; k++)
        tw->data[k] = k < TEST_TAG_EARLY_FRAMES ?
            1.0f / TEST_TAG_EARLY_FRAMES : 0.0f;
    if (!add_param (g, "time_weight", tw, st) ||
        dlnn_graph_add_node (g, "MatMul", "time_early", 2, early_in, 1,
            mean_out, st) < 0)
      goto fail;
  } else {
    node = dlnn_graph_add_node (g, "ReduceMean", "time_mean", 1, mean_in, 1,
        mean_out, st);
    if (node < 0 || dlnn_node_set_ints (g, node, "axes", 1, axes) != DLNN_OK
        || dlnn_node_set_int (g, node, "keepdims", 0) != DLNN_OK)
      goto fail;
  }
  node = dlnn_graph_add_node (g, "Flatten", "flatten", 1, flat_in, 1,
      flat_out, st);
  if (node < 0 || dlnn_node_set_int (g, node, "axis", 1) != DLNN_OK)
    goto fail;
  if (dlnn_graph_add_node (g, "MatMul", "bands", 2, mm_in, 1, mm_out,
          st) < 0)
    goto fail;
  if (dlnn_graph_add_node (g, "Add", "bias_add", 2, add_in, 1, add_out,
          st) < 0)
    goto fail;
  if (spec->logits) {
    if (dlnn_graph_add_output (g, "logits", st) != DLNN_OK)
      goto fail;
  } else if (dlnn_graph_add_node (g, "Sigmoid", "sigmoid", 1, sig_in, 1,
          sig_out, st) < 0 ||
      dlnn_graph_add_output (g, "probabilities", st) != DLNN_OK) {
    goto fail;
  }

  if (spec->with_input_meta)
    dlnn_graph_set_meta (g, "dl.audio", TEST_TAG_AUDIO);
  return g;

fail:
  dlnn_graph_free (g);
  return NULL;
}

static dlnn_graph *
build_video (const ModelSpec * spec, dlnn_status * st)
{
  const int64_t dims[4] = { 1, 1, 16, 16 };
  const char *flat_in[] = { "image" }, *flat_out[] = { "flat" };
  const char *gemm_in[] = { "flat", "weight", "bias" };
  const char *gemm_out[] = { "logits" };
  const char *sig_in[] = { "logits" }, *sig_out[] = { "probabilities" };
  dlnn_graph *g = dlnn_graph_new (spec->file);
  dlnn_tensor *w, *b;
  int node, i;

  if (!g) {
    dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    return NULL;
  }
  g->opset = 13;
  if (dlnn_graph_add_input (g, "image", 4, dims, st) < 0)
    goto fail;
  w = dlnn_tensor_new4 (2, 2, N_PIXELS, 0, 0);
  if (w)
    for (i = 0; i < N_PIXELS; i++) {
      w->data[i] = TEST_TAG_VIDEO_GAIN / N_PIXELS;
      w->data[N_PIXELS + i] = -TEST_TAG_VIDEO_GAIN / N_PIXELS;
    }
  if (!add_param (g, "weight", w, st))
    goto fail;
  b = dlnn_tensor_new4 (1, 2, 0, 0, 0);
  if (b) {
    b->data[0] = -0.5f * TEST_TAG_VIDEO_GAIN;
    b->data[1] = 0.5f * TEST_TAG_VIDEO_GAIN;
  }
  if (!add_param (g, "bias", b, st))
    goto fail;

  node = dlnn_graph_add_node (g, "Flatten", "flatten", 1, flat_in, 1,
      flat_out, st);
  if (node < 0 || dlnn_node_set_int (g, node, "axis", 1) != DLNN_OK)
    goto fail;
  node = dlnn_graph_add_node (g, "Gemm", "brightness", 3, gemm_in, 1,
      gemm_out, st);
  if (node < 0 || dlnn_node_set_int (g, node, "transB", 1) != DLNN_OK)
    goto fail;
  if (dlnn_graph_add_node (g, "Sigmoid", "sigmoid", 1, sig_in, 1, sig_out,
          st) < 0)
    goto fail;
  if (dlnn_graph_add_output (g, "probabilities", st) != DLNN_OK)
    goto fail;

  if (spec->with_input_meta)
    dlnn_graph_set_meta (g, "dl.image", TEST_TAG_IMAGE);
  return g;

fail:
  dlnn_graph_free (g);
  return NULL;
}

static dlnn_graph *
build (const ModelSpec * spec, dlnn_status * st)
{
  dlnn_graph *g = spec->kind == KIND_AUDIO ? build_audio (spec, st) :
      build_video (spec, st);

  if (!g)
    return NULL;
  dlnn_graph_set_meta (g, "dl.task", spec->task);
  dlnn_graph_set_meta (g, "dl.labels", spec->labels);
  dlnn_graph_set_meta (g, "dl.thresholds", spec->kind == KIND_AUDIO ?
      TEST_TAG_AUDIO_THRESHOLDS : TEST_TAG_VIDEO_THRESHOLDS);
  if (spec->centre)
    dlnn_graph_set_meta (g, "dl.tag_centre", spec->centre);
  dlnn_graph_set_meta (g, "dl.provenance",
      "gst-dl tests/check/make-tag-test-model.c");
  if (dlnn_graph_finalize (g, st) != DLNN_OK) {
    dlnn_graph_free (g);
    return NULL;
  }
  return g;
}

static int
write_file (const char *name, const void *data, size_t len)
{
  FILE *f = fopen (out_path (name), "wb");

  if (!f || fwrite (data, 1, len, f) != len) {
    fprintf (stderr, "make-tag-test-model: cannot write %s\n",
        out_path (name));
    if (f)
      fclose (f);
    return 0;
  }
  return fclose (f) == 0;
}

int
main (int argc, char **argv)
{
#define AUDIO_LABELS "[\"low\", \"high\"]"
  static const ModelSpec specs[] = {
    {"tag-audio.onnx", KIND_AUDIO, TEST_TAG_T, "tag", AUDIO_LABELS, 1},
    {"tag-audio-dyn.onnx", KIND_AUDIO, -1, "tag", AUDIO_LABELS, 1},
    {"tag-audio-logits.onnx", KIND_AUDIO, TEST_TAG_T, "tag", AUDIO_LABELS, 1,
        1},
    {"tag-video.onnx", KIND_VIDEO, 0, "tag", "[\"bright\", \"dark\"]", 1},
    {"tag-bad-task.onnx", KIND_AUDIO, TEST_TAG_T, "classify", AUDIO_LABELS,
        1},
    {"tag-bad-labels.onnx", KIND_AUDIO, TEST_TAG_T, "tag",
        "[\"low\", \"high\", \"extra\"]", 1},
    {"tag-bad-input.onnx", KIND_AUDIO, TEST_TAG_T, "tag", AUDIO_LABELS, 0},
    {"tag-audio-early.onnx", KIND_AUDIO, TEST_TAG_T, "tag", AUDIO_LABELS, 1,
        0, 1, TEST_TAG_EARLY_CENTRE},
    {"tag-audio-early-nocentre.onnx", KIND_AUDIO, TEST_TAG_T, "tag",
        AUDIO_LABELS, 1, 0, 1, NULL},
    {"tag-bad-centre.onnx", KIND_AUDIO, TEST_TAG_T, "tag", AUDIO_LABELS, 1,
        0, 0, "1.5"},
  };
  dlnn_status st;
  void *data = NULL;
  size_t len = 0, s;

  if (argc != 2) {
    fprintf (stderr, "usage: %s OUTDIR\n", argv[0]);
    return 2;
  }
  out_dir = argv[1];
  dlnn_status_clear (&st);

  for (s = 0; s < sizeof (specs) / sizeof (specs[0]); s++) {
    dlnn_graph *g = build (&specs[s], &st);

    if (!g || dlnn_onnx_save_file (g, out_path (specs[s].file), &st)
        != DLNN_OK || (s == 0 && dlnn_onnx_save_memory (g, &data, &len,
                &st) != DLNN_OK)) {
      fprintf (stderr, "make-tag-test-model: %s: %s\n", specs[s].file,
          st.message);
      dlnn_graph_free (g);
      return 1;
    }
    dlnn_graph_free (g);
  }

  if (!write_file ("tag-truncated.onnx", data, len / 2))
    return 1;
  free (data);
  return 0;
}
