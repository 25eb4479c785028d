#!/usr/bin/python3
"""Measure where in its window an audio tag model's result stands.

dltag maps the result of a window to the hop around a point of the window:
its centre, unless the model's dl.tag_centre metadata names another point
(a fraction of the window from its oldest frame's start). A model that
weighs its window evenly stands for its centre; the crnn of dltrain (a
forward GRU over the window and the mean of its outputs over time) does
not: a frame is heard by the GRU outputs from its own to the last, so the
older frames count more, and its results move when a change reaches the
older part of the window rather than its middle. dltag then reports
changes late (on the validation stream by about 0.1 s, onsets and offsets
alike).

This script measures that point from the model alone, without segment
boundaries: for windows of the validation stream (bench/bench-tags.py
--stream valstream, seeds --seeds) it replaces one block of --block frames
at a time by the same frames of another window of the stream, and takes
the mean |change of each tag's logit| per block position; the centroid of
that sensitivity over the window (all tags together) is the point, as a
fraction of the window. It prints the per-tag profiles and centroids and,
with --write, stores the point as dl.tag_centre in the model (each
network gets its own: scripts/train-audio-tags.sh measures the model
trained on train + val on itself, the sensitivity being no score).

  /usr/bin/python3 scripts/measure-tag-centre.py --model M.onnx \\
      --build build --corpus build/tag-corpus [--write]
"""

import argparse
import importlib.util
import json
import os
import sys

import numpy as np

HERE = os.path.dirname (os.path.abspath (__file__))
_spec = importlib.util.spec_from_file_location (
    "bench_tags", os.path.join (HERE, "..", "bench", "bench-tags.py"))
bt = importlib.util.module_from_spec (_spec)
_spec.loader.exec_module (bt)


def sensitivity (model, build, corpus, seeds, n_windows, block):
  """Mean |logit change| [blocks, tags] when a block of frames of a window
  is replaced by the same frames of another window, and the blocks'
  centres as fractions of the window."""
  meta, dims = bt.model_meta (model)
  t = dims[2]
  if t <= 0:
    sys.exit ("measure-tag-centre: %s has no fixed window length" % model)
  edges = list (range (0, t, block)) + [t]
  total, count = None, 0
  for seed in seeds:
    x, _ = bt.compose (corpus, seed, "valstream")
    feats, _ = bt.offline_feats (x, meta)
    rng = np.random.default_rng (seed)
    a = rng.integers (0, len (feats) - t + 1, n_windows)
    b = rng.integers (0, len (feats) - t + 1, n_windows)
    w = []
    for s, o in zip (a, b):
      base = feats[s:s + t]
      w.append (base)
      for lo, hi in zip (edges[:-1], edges[1:]):
        v = base.copy ()
        v[lo:hi] = feats[o + lo:o + hi]
        w.append (v)
    p, _ = bt.run_windows (model, build, np.stack (w)[:, None])
    p = np.clip (p.reshape (n_windows, len (edges), -1), 1e-6, 1 - 1e-6)
    lg = np.log (p / (1 - p))
    d = np.abs (lg[:, 1:] - lg[:, :1]).sum (axis=0)
    total = d if total is None else total + d
    count += n_windows
  centres = [(lo + hi) / 2 / t for lo, hi in zip (edges[:-1], edges[1:])]
  return total / count, np.array (centres), meta


def main ():
  ap = argparse.ArgumentParser (description=__doc__.split ("\n")[0])
  ap.add_argument ("--model", required=True)
  ap.add_argument ("--build", required=True)
  ap.add_argument ("--corpus", required=True)
  ap.add_argument ("--seeds", default="1,2,3,4")
  ap.add_argument ("--windows", type=int, default=150,
                   help="windows per seed")
  ap.add_argument ("--block", type=int, default=4,
                   help="frames replaced at a time (4: a GRU step of crnn)")
  ap.add_argument ("--write", action="store_true",
                   help="store the point as dl.tag_centre in --model")
  args = ap.parse_args ()
  if not os.path.exists (os.path.join (args.corpus, "valstream.tsv")):
    sys.exit ("measure-tag-centre: no %s/valstream.tsv (run "
              "scripts/make-tag-corpus.py)" % args.corpus)
  d, centres, meta = sensitivity (args.model, args.build, args.corpus,
                                  [int (s) for s in args.seeds.split (",")],
                                  args.windows, args.block)
  labels = json.loads (meta["dl.labels"])
  window_s = bt.model_meta (args.model)[1][2] * \
      bt.offline_feats (np.zeros (bt.RATE), meta)[1]
  for j, tag in enumerate (labels + ["all"]):
    v = d[:, j] if j < len (labels) else d.sum (axis=1)
    c = float ((v * centres).sum () / v.sum ())
    print ("%-9s centre %.3f of the window (%+.3f s from its middle); "
           "sensitivity %s" % (tag, c, (c - 0.5) * window_s,
                              " ".join ("%.2f" % x for x in v / v.max ())))
  v = d.sum (axis=1)
  centre = float ((v * centres).sum () / v.sum ())
  print ("dl.tag_centre: %.3f" % centre)
  if not args.write:
    return
  import onnx
  m = onnx.load (args.model)
  props = {p.key: p for p in m.metadata_props}
  if "dl.tag_centre" in props:
    props["dl.tag_centre"].value = "%.3f" % centre
  else:
    m.metadata_props.add (key="dl.tag_centre", value="%.3f" % centre)
  tmp = args.model + ".tmp"
  onnx.save (m, tmp)
  os.replace (tmp, args.model)
  print ("measure-tag-centre: wrote dl.tag_centre=%.3f into %s" % (
      centre, args.model))


if __name__ == "__main__":
  main ()
