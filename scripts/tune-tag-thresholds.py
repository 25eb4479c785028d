#!/usr/bin/python3
"""Choose an audio tag model's per-tag thresholds on a validation stream.

The trainer (`dltrain fit --task tag`) picks dl.thresholds on the val
clips, 1 s clips that are mostly generator-made mixtures; a stream of real
recordings with transitions is scored differently (a threshold that is
right for an isolated clip flags the noise next to the music). This
script composes the validation stream of scripts/make-tag-corpus.py
(CORPUS/valstream.tsv: the val split's music tracks, applause, effects,
generated noise and speech, never the bench's) exactly as
bench/bench-tags.py composes the bench stream, for several seeds (other
excerpts and orders), computes the probabilities of the windows dltag
takes every --hop ms (bench-tags.py's offline path: torchaudio log-mel,
`dltrain run`), and picks each tag's threshold that maximises that tag's
F1 at 1 s resolution over all seeds (with --tolerance T, the one nearest
0.5 of those within T of that F1). It prints the figures of the
trainer's thresholds and of the chosen ones, and writes the chosen ones
into dl.thresholds and the stream figures into dl.metrics
(valstream_macro_f1, valstream_boundary_error_s) of --output.

--into MODEL2 writes the thresholds chosen for --model (and its stream
figures, as valstream_*_of with its name) into another model of the same
labels instead: the model trained on train + val
(scripts/train-audio-tags.sh with TRAINVAL=1), whose own figures on the
validation stream would be figures on its training data, gets the
thresholds chosen on validation for the train-only model of its recipe
(its trainer's val_* figures in dl.metrics become seen_val_*).

--try-smoothing also reports a median over N windows (centred) of the
probabilities before the decision, as dltag's smoothing=N computes it
(bench-tags.py's median_filter), to see whether temporal smoothing would
pay; --smoothing is the setting the written thresholds are for, which
dltag's smoothing property must match (its default, 1: no smoothing).

  /usr/bin/python3 scripts/tune-tag-thresholds.py --model M.onnx \\
      --build build --corpus build/tag-corpus [--output M.onnx]
      [--into M2.onnx]
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

# includes every threshold the trainer chooses (0.05 .. 0.95 by 0.01)
GRID = [round (0.01 * i, 2) for i in range (1, 100)]


def smooth (p, n):
  """The median over @n consecutive windows, standing for the middle one
  (fewer at the ends of the stream): dltag's smoothing=@n."""
  return bt.median_filter (p, n)


def pick (cands, f1s, tolerance=0.0):
  """The threshold of @cands (their F1 @f1s) nearest 0.5 among those
  whose F1 is within @tolerance of the best one (the first of them on
  ties): with a tolerance, a threshold far from 0.5 only when it pays
  more than that on the validation stream, whose F1 curves are flat or
  spiky where it has few seconds of a tag."""
  top = max (f1s)
  ok = [i for i, f in enumerate (f1s) if f >= top - tolerance - 1e-9]
  return cands[min (ok, key=lambda i: abs (cands[i] - 0.5))]


def evaluate (streams, labels, thresholds, hop):
  """Pooled per-tag F1, macro F1 and mean boundary error over @streams
  [(probs, centres, ref, duration)]."""
  tp = {t: 0 for t in labels}
  fp = dict (tp)
  fn = dict (tp)
  errs = []
  for p, centres, ref, dur in streams:
    segs = bt.decide (p, centres, labels, thresholds, hop, dur)
    res, _, mbe, n = bt.score (ref, [(t, a, b) for t, a, b, _ in segs],
                               labels, dur)
    for t in labels:
      tp[t] += res[t]["tp"]
      fp[t] += res[t]["fp"]
      fn[t] += res[t]["fn"]
    errs += [mbe] * n
  f1 = {t: (2 * tp[t] / (2 * tp[t] + fp[t] + fn[t])
            if 2 * tp[t] + fp[t] + fn[t] else 1.0) for t in labels}
  return f1, float (np.mean (list (f1.values ()))), \
      float (np.mean (errs)) if errs else 0.0


def main ():
  ap = argparse.ArgumentParser (description=__doc__.split ("\n")[0])
  ap.add_argument ("--model", required=True)
  ap.add_argument ("--build", required=True)
  ap.add_argument ("--corpus", required=True)
  ap.add_argument ("--output", help="model to write (default: --model)")
  ap.add_argument ("--into", help="write the thresholds into this model "
                   "(same labels) instead of --model / --output")
  ap.add_argument ("--seeds", default="1,2,3,4")
  ap.add_argument ("--hop", type=int, default=250)
  ap.add_argument ("--smoothing", type=int, default=1,
                   help="smoothing (windows) the written thresholds are for "
                   "(1: dltag's decision per window)")
  ap.add_argument ("--tolerance", type=float, default=0.0,
                   help="F1 a threshold nearer 0.5 may lose against the best "
                   "one (per tag; 0: the best, ties nearest 0.5)")
  ap.add_argument ("--try-smoothing", default="1,3,5",
                   help="smoothing settings to report")
  args = ap.parse_args ()
  if not os.path.exists (os.path.join (args.corpus, "valstream.tsv")):
    sys.exit ("tune-tag-thresholds: no %s/valstream.tsv (run "
              "scripts/make-tag-corpus.py)" % args.corpus)
  meta, dims = bt.model_meta (args.model)
  labels = json.loads (meta["dl.labels"])
  old = json.loads (meta.get ("dl.thresholds", "{}"))
  raw = []
  for seed in [int (s) for s in args.seeds.split (",")]:
    x, ref = bt.compose (args.corpus, seed, "valstream")
    p, centres, _ = bt.offline_probs (args.model, args.build, x, meta, dims,
                                      args.hop)
    raw.append ((p, centres, ref, len (x) / bt.RATE))
  print ("validation stream: %d seeds, %.0f s" % (
      len (raw), sum (r[3] for r in raw)))

  def line (name, f1, macro, mbe):
    print ("%-34s %s  macro %.3f  boundary %.3f s" % (
        name, " ".join ("%s %.3f" % (t, f1[t]) for t in labels), macro, mbe))

  chosen = {}
  tries = sorted (set ([int (s) for s in args.try_smoothing.split (",")] +
                       [args.smoothing]))
  for n in tries:
    streams = [(smooth (p, n), c, r, d) for p, c, r, d in raw]
    base = [old.get (t, 0.5) for t in labels]
    line ("smoothing %d, trainer thresholds" % n,
          *evaluate (streams, labels, base, args.hop))
    thr = []
    for j, t in enumerate (labels):
      cands = [base[j]] + GRID
      f1s = [evaluate ([(p[:, j:j + 1], c, r, d) for p, c, r, d in streams],
                       [t], [g], args.hop)[0][t] for g in cands]
      thr.append (pick (cands, f1s, args.tolerance))
    f1, macro, mbe = evaluate (streams, labels, thr, args.hop)
    line ("smoothing %d, chosen %s" % (n, ",".join ("%.2f" % v
                                                    for v in thr)),
          f1, macro, mbe)
    chosen[n] = (thr, macro, mbe)

  import onnx
  thr, macro, mbe = chosen[args.smoothing]
  m = onnx.load (args.into or args.model)
  props = {p.key: p for p in m.metadata_props}
  if args.into and json.loads (props["dl.labels"].value) != labels:
    sys.exit ("tune-tag-thresholds: %s has other labels than %s" % (
        args.into, args.model))
  props["dl.thresholds"].value = json.dumps (
      {t: thr[j] for j, t in enumerate (labels)}, sort_keys=True)
  metrics = json.loads (props["dl.metrics"].value) \
      if "dl.metrics" in props else {}
  of = "_of" if args.into else ""
  metrics["valstream_macro_f1" + of] = round (macro, 4)
  metrics["valstream_boundary_error_s" + of] = round (mbe, 4)
  metrics["valstream_smoothing"] = args.smoothing
  if args.into:
    metrics["thresholds_of"] = os.path.basename (args.model)
    # the trainer's val_* figures of a model trained on val are figures on
    # its training data: kept as seen_val_*
    for k in [k for k in metrics if k.startswith ("val_")]:
      metrics["seen_" + k] = metrics.pop (k)
  if "dl.metrics" in props:
    props["dl.metrics"].value = json.dumps (metrics, sort_keys=True)
  else:
    m.metadata_props.add (key="dl.metrics", value=json.dumps (metrics))
  out = args.into or args.output or args.model
  tmp = out + ".tmp"
  onnx.save (m, tmp)
  os.replace (tmp, out)
  print ("tune-tag-thresholds: wrote %s (smoothing %d: thresholds %s, "
         "validation stream macro F1 %.3f, boundary error %.3f s)" % (
             out, args.smoothing, json.dumps (dict (zip (labels, thr))),
             macro, mbe))


if __name__ == "__main__":
  main ()
