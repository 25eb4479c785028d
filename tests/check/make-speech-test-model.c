/* gst-dl
 * Copyright (C) 2026 gst-dl contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
/* make-speech-test-model OUTDIR: writes the hand-weighted ONNX speech
 * models the dlspeech tests use, built with the libdlnn graph API, plus
 * bad ones.
 *
 * speech.onnx: dl.task=speech, dl.audio SPEECH_TEST_AUDIO, dl.ctc blank=0,
 *   labels ["<blank>", " ", "a", "b"]; input "features" [1, T, 40] (T
 *   dynamic), MatMul by W [40, 4] + bias [4], LogSoftmax over the last
 *   axis: output [1, T, 4].  Label k in {" ", "a", "b"} reads the mel band
 *   nearest its tone (SPEECH_TONE_SPACE, _A, _B on the htk mel scale of
 *   the dl.audio): score = GAIN * (x[band k] - mean of the other two
 *   labels' bands) - MARGIN; blank scores 0 (speech-test-model.h).
 * speech-stride2.onnx: the same followed by Slice(axis 1, step 2):
 *   T' = ceil(T / 2), a model with time stride 2.
 * speech-wrongtask.onnx: speech.onnx with dl.task=classify.
 * speech-noaudio.onnx: speech.onnx without dl.audio.
 * speech-badlabels.onnx: speech.onnx with 3 labels for 4 outputs.
 * speech-prior.onnx: speech.onnx with dl.ctc_prior [0, 0, -40, 0].
 * speech-badprior.onnx: speech.onnx with a dl.ctc_prior of 3 numbers.
 * speech-truncated.onnx: the first half of speech.onnx. */
#include <dlnn/dlnn.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "speech-test-model.h"

#define N_MELS 40
#define N_CLASSES 4

static const char *out_dir;

static char *
out_path (const char *name)
{
  static char buf[4096];

  snprintf (buf, sizeof (buf), "%s/%s", out_dir, name);
  return buf;
}

static double
hz_to_mel (double f)
{
  return 2595.0 * log10 (1.0 + f / 700.0);
}

/* the band (0-based) whose triangle peaks nearest @f: band m peaks at
 * point m + 1 of n_mels + 2 points equally spaced in mel */
static int
band_of (double f, double fmin, double fmax)
{
  double step = (hz_to_mel (fmax) - hz_to_mel (fmin)) / (N_MELS + 1);
  int m = (int) lround ((hz_to_mel (f) - hz_to_mel (fmin)) / step) - 1;

  return m < 0 ? 0 : m >= N_MELS ? N_MELS - 1 : m;
}

typedef struct
{
  const char *file;
  int stride2;
  const char *task;
  int audio;
  int n_labels;
  const char *prior;            /* dl.ctc_prior or NULL */
} Spec;

static dlnn_graph *
build (const Spec * spec, dlnn_status * st)
{
  static const char *const labels[] = { "<blank>", " ", "a", "b" };
  static const double tones[] = { 0, SPEECH_TONE_SPACE, SPEECH_TONE_A,
    SPEECH_TONE_B
  };
  const char *mm_in[] = { "features", "weight" };
  const char *mm_out[] = { "frame_scores" };
  const char *add_in[] = { "frame_scores", "bias" };
  const char *add_out[] = { "scores" };
  const char *slice_in[] = { "scores", "starts", "ends", "axes", "steps" };
  const char *slice_out[] = { "strided" };
  const char *lsm_in[] = { "scores" };
  const char *lsm_out[] = { "log_probs" };
  int64_t in_dims[3] = { 1, -1, N_MELS };
  int64_t one = 1;
  int band[N_CLASSES];
  dlnn_audio_cfg cfg;
  dlnn_graph *g;
  dlnn_tensor *w, *b;
  char *json, *audio;
  int node, k, j;

  if (dlnn_audio_cfg_parse (SPEECH_TEST_AUDIO, &cfg, st) != DLNN_OK)
    return NULL;
  for (k = 1; k < N_CLASSES; k++)
    band[k] = band_of (tones[k], cfg.fmin, cfg.fmax);

  g = dlnn_graph_new (spec->file);
  if (!g) {
    dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    return NULL;
  }
  g->opset = 13;
  if (dlnn_graph_add_input (g, "features", 3, in_dims, st) < 0)
    goto fail;

  w = dlnn_tensor_new4 (2, N_MELS, N_CLASSES, 0, 0);
  b = dlnn_tensor_new4 (1, N_CLASSES, 0, 0, 0);
  if (!w || !b) {
    dlnn_tensor_free (w);
    dlnn_tensor_free (b);
    dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    goto fail;
  }
  for (k = 1; k < N_CLASSES; k++) {
    for (j = 1; j < N_CLASSES; j++)
      w->data[band[j] * N_CLASSES + k] += j == k ? SPEECH_TEST_GAIN :
          -SPEECH_TEST_GAIN / 2;
    b->data[k] = -SPEECH_TEST_MARGIN;
  }
  if (dlnn_graph_add_param (g, "weight", w, 1, st) < 0) {
    dlnn_tensor_free (b);
    goto fail;
  }
  if (dlnn_graph_add_param (g, "bias", b, 1, st) < 0)
    goto fail;

  if (dlnn_graph_add_node (g, "MatMul", "frames", 2, mm_in, 1, mm_out,
          st) < 0)
    goto fail;
  if (dlnn_graph_add_node (g, "Add", "bias_add", 2, add_in, 1, add_out,
          st) < 0)
    goto fail;

  if (spec->stride2) {
    static const int64_t vals[4] = { 0, INT64_MAX, 1, 2 };
    static const char *const names[4] = { "starts", "ends", "axes",
      "steps"
    };
    for (k = 0; k < 4; k++) {
      dlnn_tensor *t = dlnn_tensor_new (DLNN_INT64, 1, &one, st);

      if (!t)
        goto fail;
      t->idata[0] = vals[k];
      if (dlnn_graph_add_param (g, names[k], t, 0, st) < 0)
        goto fail;
    }
    if (dlnn_graph_add_node (g, "Slice", "stride", 5, slice_in, 1,
            slice_out, st) < 0)
      goto fail;
    lsm_in[0] = "strided";
  }

  node = dlnn_graph_add_node (g, "LogSoftmax", "log_softmax", 1, lsm_in, 1,
      lsm_out, st);
  if (node < 0 || dlnn_node_set_int (g, node, "axis", -1) != DLNN_OK)
    goto fail;
  if (dlnn_graph_add_output (g, "log_probs", st) != DLNN_OK)
    goto fail;

  dlnn_graph_set_meta (g, "dl.task", spec->task);
  if (spec->audio) {
    audio = dlnn_audio_cfg_format (&cfg);
    if (!audio) {
      dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
      goto fail;
    }
    dlnn_graph_set_meta (g, "dl.audio", audio);
    free (audio);
  }
  json = dlnn_json_format_string_array (labels, spec->n_labels);
  if (!json) {
    dlnn_status_set (st, DLNN_ERR_NOMEM, "out of memory");
    goto fail;
  }
  dlnn_graph_set_meta (g, "dl.labels", json);
  free (json);
  dlnn_graph_set_meta (g, "dl.ctc", "blank=0");
  if (spec->prior)
    dlnn_graph_set_meta (g, "dl.ctc_prior", spec->prior);
  dlnn_graph_set_meta (g, "dl.provenance",
      "gst-dl tests/check/make-speech-test-model.c");

  if (dlnn_graph_finalize (g, st) != DLNN_OK)
    goto fail;
  return g;

fail:
  dlnn_graph_free (g);
  return NULL;
}

int
main (int argc, char **argv)
{
  static const Spec specs[] = {
    {"speech.onnx", 0, "speech", 1, N_CLASSES, NULL},
    {"speech-stride2.onnx", 1, "speech", 1, N_CLASSES, NULL},
    {"speech-wrongtask.onnx", 0, "classify", 1, N_CLASSES, NULL},
    {"speech-noaudio.onnx", 0, "speech", 0, N_CLASSES, NULL},
    {"speech-badlabels.onnx", 0, "speech", 1, N_CLASSES - 1, NULL},
    /* "a" very rare: prior division raises it by 40 per frame */
    {"speech-prior.onnx", 0, "speech", 1, N_CLASSES, "[0, 0, -40, 0]"},
    {"speech-badprior.onnx", 0, "speech", 1, N_CLASSES, "[0, 0, -40]"},
  };
  dlnn_status st;
  void *data = NULL;
  size_t len = 0, s;
  FILE *f;

  if (argc != 2) {
    fprintf (stderr, "usage: %s OUTDIR\n", argv[0]);
    return 2;
  }
  out_dir = argv[1];
  dlnn_status_clear (&st);

  for (s = 0; s < sizeof (specs) / sizeof (specs[0]); s++) {
    dlnn_graph *g = build (&specs[s], &st);

    if (!g || dlnn_onnx_save_file (g, out_path (specs[s].file),
            &st) != DLNN_OK || (s == 0
            && dlnn_onnx_save_memory (g, &data, &len, &st) != DLNN_OK)) {
      fprintf (stderr, "make-speech-test-model: %s: %s\n", specs[s].file,
          st.message);
      dlnn_graph_free (g);
      return 1;
    }
    dlnn_graph_free (g);
  }

  f = fopen (out_path ("speech-truncated.onnx"), "wb");
  if (!f || fwrite (data, 1, len / 2, f) != len / 2 || fclose (f) != 0) {
    fprintf (stderr, "make-speech-test-model: cannot write %s\n",
        out_path ("speech-truncated.onnx"));
    return 1;
  }
  free (data);
  return 0;
}
