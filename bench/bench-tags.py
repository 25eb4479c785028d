#!/usr/bin/python3
"""Benchmark an audio tag model on a stream of held-out recordings.

The stream is composed from the bench split of scripts/make-tag-corpus.py
(bench.tsv: game music tracks, applause and effects never used in training
or validation, generated noise), the real recorded speech of
pocketsphinx-testdata (goforward.raw, numbers.raw, something.raw,
librivox/*.wav; none of it is in the corpus) and silence (digital zero and
-70 dBFS noise), in seeded random order, with known segment boundaries
(plus two speech-over-music segments for the multi-label case).

It is played through
  gst-launch-1.0 -m filesrc ! wavparse ! audioconvert ! dltag model=M
      threads=1 ! fakesink
and the `dltag` segment messages (tag, start, end, confidence) are scored
at 1 s resolution: second i of the stream counts as tag t in the reference
when t covers more than half of it, and in the output likewise. Printed:
per-tag precision, recall, F1 and the macro F1; the mean boundary error
(for every reference boundary of a tag, the distance to the nearest
output boundary of the same tag, capped at 5 s); and the real-time factor
(wall-clock time of the pipeline / stream duration; one math thread).

--offline computes the same windows without GStreamer (log-mel by
torchaudio with the model's dl.audio, `dltrain run` on the windows, the
model's thresholds, one decision per hop), to test the scoring when no
dltag element is built; its real-time factor is not comparable.

--stream valstream composes the same kind of stream from the val split's
recordings (CORPUS/valstream.tsv: its speech files are used instead of
pocketsphinx-testdata's), for choosing settings without the bench; the
default, bench, is the held-out stream.

--record adds or replaces the section of bench/RESULTS.md between the
markers "<!-- bench-tags: begin ... -->" and "<!-- bench-tags: end -->"
with the table (command, date, machine, figures).

  /usr/bin/python3 bench/bench-tags.py --model samples/models/audio-tags.onnx \\
      --build build [--corpus build/tag-corpus] [--record]
"""

import argparse
import datetime
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
import wave

import numpy as np

RATE = 16000
HERE = os.path.dirname (os.path.abspath (__file__))
BEGIN = "<!-- bench-tags: begin (bench/bench-tags.py --record) -->"
END = "<!-- bench-tags: end -->"
GOALS = {"macro_f1": 0.95, "boundary_error_s": 0.5, "rtf": 0.01}
PS = "/usr/share/pocketsphinx/test/data/"
SPEECH = [PS + "goforward.raw", PS + "numbers.raw", PS + "something.raw"] + \
    sorted (PS + "librivox/" + f for f in os.listdir (PS + "librivox")
            if f.endswith (".wav")) if os.path.isdir (PS + "librivox") else []


def read_wav (path):
  if path.endswith (".raw"):
    return np.fromfile (path, dtype="<i2").astype (np.float64) / 32768.0
  with wave.open (path) as w:
    assert w.getframerate () == RATE and w.getnchannels () == 1, path
    return np.frombuffer (w.readframes (w.getnframes ()), dtype="<i2") \
        .astype (np.float64) / 32768.0


def rms (x):
  return float (np.sqrt (np.mean (x ** 2) + 1e-20))


def model_figure (metrics):
  """What the model's dl.metrics say of it on validation: its clip macro
  F1, or for a model trained on train + val (tune-tag-thresholds.py
  --into) the validation stream figures of the train-only model that
  chose its thresholds."""
  if "val_macro_f1" in metrics:
    return "validation macro F1 %.3f" % metrics["val_macro_f1"]
  if "valstream_macro_f1_of" in metrics:
    return ("trained on train + val; its thresholds' train-only model %s: "
            "validation stream macro F1 %.3f, boundary error %.3f s" % (
                metrics.get ("thresholds_of", "?"),
                metrics["valstream_macro_f1_of"],
                metrics.get ("valstream_boundary_error_s_of", float ("nan"))))
  return "validation macro F1 n/a"


def compose (corpus, seed, stream="bench"):
  """The stream of STREAM.tsv's recordings: a random 4-8 s excerpt of
  every file (a row's tag may be several, "applause,music"), its speech
  files whole (the bench's have none: its speech is
  pocketsphinx-testdata's SPEECH), silences and speech over music, in
  seeded random order. Returns the signal and [(start, end, tags)]."""
  rng = random.Random (seed)
  nrng = np.random.default_rng (seed)
  segs = []                     # (signal, tags)
  rows = [l.rstrip ("\n").split ("\t") for l in
          open (os.path.join (corpus, stream + ".tsv")) if l.strip ()]
  speech = [os.path.join (corpus, path) for path, tag in rows
            if tag == "speech"] or SPEECH
  rows = [r for r in rows if r[1] != "speech"]
  music = []
  for path, tag in rows:
    x = read_wav (os.path.join (corpus, path))
    n = min (len (x), int (rng.uniform (4, 8) * RATE))
    s = rng.randrange (0, len (x) - n + 1)
    segs.append ((x[s:s + n] / rms (x[s:s + n]) * 0.1,
                  set (tag.split (","))))
    if tag == "music":
      music.append (x)
  for p in speech:
    x = read_wav (p)
    segs.append ((x / rms (x) * 0.1, {"speech"}))
  for i in range (6):
    n = int (rng.uniform (2, 4) * RATE)
    x = np.zeros (n) if i % 2 == 0 else nrng.standard_normal (n) * 3e-4
    segs.append ((x, {"silence"}))
  # speech over music (multi-label)
  for i, p in enumerate (speech[:2]):
    sp = read_wav (p)
    m = music[i % len (music)][: len (sp)]
    m = np.resize (m, len (sp))
    x = sp / rms (sp) * 0.1 + m / rms (m) * 0.05
    segs.append ((x, {"speech", "music"}))
  rng.shuffle (segs)
  x = np.concatenate ([s for s, _ in segs])
  bounds, t = [], 0
  for s, tags in segs:
    bounds.append ((t / RATE, (t + len (s)) / RATE, tags))
    t += len (s)
  return x, bounds


def write_wav (x, path):
  pcm = np.clip (np.round (x * 32767.0), -32768, 32767).astype ("<i2")
  with wave.open (path, "wb") as w:
    w.setnchannels (1)
    w.setsampwidth (2)
    w.setframerate (RATE)
    w.writeframes (pcm.tobytes ())


def model_meta (model):
  import onnx
  m = onnx.load (model)
  meta = {p.key: p.value for p in m.metadata_props}
  dims = [d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim]
  return meta, dims


MSG = re.compile (r"dltag, .*?tag=\(string\)\"?([A-Za-z0-9_-]+)\"?, "
                  r"start=\(guint64\)(\d+), end=\(guint64\)(\d+), "
                  r"confidence=\(double\)([0-9.eE+-]+)")


def run_gst (model, build, wav, hop, min_duration, smoothing=1):
  env = dict (os.environ)
  env["GST_PLUGIN_PATH_1_0"] = os.path.join (build, "gst-plugin")
  env["GST_REGISTRY"] = os.path.join (tempfile.gettempdir (),
                                      "bench-tags-registry.bin")
  cmd = ["gst-launch-1.0", "-m", "filesrc", "location=" + wav, "!",
         "wavparse", "!", "audioconvert", "!", "dltag", "model=" + model,
         "threads=1", "hop=%d" % hop, "min-duration=%d" % min_duration] + \
      (["smoothing=%d" % smoothing] if smoothing > 1 else []) + \
      ["!", "fakesink", "sync=false"]
  t0 = time.time ()
  p = subprocess.run (cmd, env=env, stdout=subprocess.PIPE,
                      stderr=subprocess.PIPE, text=True)
  wall = time.time () - t0
  if p.returncode != 0:
    sys.exit ("bench-tags: pipeline failed:\n" + p.stdout[-2000:] +
              p.stderr[-2000:])
  segs = []
  for m in MSG.finditer (p.stdout):
    segs.append ((m.group (1), int (m.group (2)) / 1e9,
                  int (m.group (3)) / 1e9, float (m.group (4))))
  return segs, wall


def median_filter (p, n):
  """dltag's smoothing=@n: per tag the median of windows i - n/2 ..
  i + (n-1)/2 (those there are at the ends) stands for window i."""
  if n <= 1:
    return p
  out = np.empty_like (p)
  for i in range (len (p)):
    out[i] = np.median (p[max (0, i - n // 2):i + (n - 1) // 2 + 1], axis=0)
  return out


def run_offline (model, build, x, meta, dims, hop, smoothing=1):
  """Windows of T frames every hop ms, as dltag takes them, run by
  `dltrain run` (and dltag's median over @smoothing windows); a tag is on
  from half a hop before to half a hop after each window centre where its
  probability reaches its threshold."""
  p, centres, wall = offline_probs (model, build, x, meta, dims, hop)
  p = median_filter (p, smoothing)
  labels = json.loads (meta["dl.labels"])
  thr = json.loads (meta.get ("dl.thresholds", "{}"))
  return decide (p, centres, labels, [thr.get (t, 0.5) for t in labels],
                 hop, len (x) / RATE), wall


def decide (p, centres, labels, thresholds, hop, duration):
  """Segments [(tag, start, end, confidence)] of probabilities @p
  [windows, tags] at window centres @centres (s), one decision per hop."""
  segs = []
  for j, tag in enumerate (labels):
    on = None
    for i, c in enumerate (centres):
      hit = p[i, j] >= thresholds[j]
      if hit and on is None:
        on = (max (0.0, c - hop / 2000), [])
      if hit:
        on[1].append (float (p[i, j]))
      if not hit and on is not None:
        segs.append ((tag, on[0], c - hop / 2000, float (np.mean (on[1]))))
        on = None
    if on is not None:
      segs.append ((tag, on[0], duration, float (np.mean (on[1]))))
  return segs


def offline_feats (x, meta):
  """Log-mel frames [frames, n_mels] of signal @x by torchaudio with the
  model's dl.audio, and the frame hop in s."""
  import torch
  import torchaudio
  cfg = dict (kv.split ("=") for kv in meta["dl.audio"].split (";"))
  n_fft = int (cfg["n_fft"])
  win = int (round (RATE * float (cfg["win_ms"]) / 1000))
  hop_s = int (round (RATE * float (cfg["hop_ms"]) / 1000))
  mel = torchaudio.transforms.MelSpectrogram (
      sample_rate=RATE, n_fft=n_fft, win_length=win, hop_length=hop_s,
      f_min=float (cfg["fmin"]), f_max=float (cfg["fmax"]),
      n_mels=int (cfg["n_mels"]), power=float (cfg["power"]))
  feats = torch.log (mel (torch.tensor (x, dtype=torch.float32)) +
                     float (cfg["log_offset"])).T.numpy ()
  return feats, float (cfg["hop_ms"]) / 1000


def run_windows (model, build, w):
  """`dltrain run` (one thread) of @model on windows @w [N, 1, T, n_mels]:
  its outputs and the time it took."""
  with tempfile.TemporaryDirectory () as tmp:
    np.save (os.path.join (tmp, "x.npy"), w.astype ("<f4"))
    t0 = time.time ()
    subprocess.run ([os.path.join (build, "nn", "trainer", "dltrain"), "run",
                     model, "--input", os.path.join (tmp, "x.npy"),
                     "--output", os.path.join (tmp, "y.npy"), "--threads",
                     "1"], check=True, stdout=subprocess.DEVNULL)
    wall = time.time () - t0
    return np.load (os.path.join (tmp, "y.npy")), wall


def offline_probs (model, build, x, meta, dims, hop):
  """Probabilities [windows, tags] of the windows dltag would take every
  @hop ms (log-mel by torchaudio with the model's dl.audio, the model run
  by `dltrain run`), the times they stand for in s (the window centres,
  or the point dl.tag_centre names, as dltag maps them) and the time of
  the run."""
  feats, fr = offline_feats (x, meta)
  t = dims[2]
  step = max (1, int (round (hop * 0.001 / fr)))
  starts = list (range (0, max (1, len (feats) - t + 1), step))
  w = np.stack ([feats[s:s + t] for s in starts])[:, None]
  p, wall = run_windows (model, build, w)
  c = float (meta.get ("dl.tag_centre", 0.5))
  return p, [(s + c * t) * fr for s in starts], wall


def per_second (intervals, n_sec, tags):
  """{tag: bool array}: second i is on when the tag covers > 0.5 s of it."""
  out = {t: np.zeros (n_sec, bool) for t in tags}
  cover = {t: np.zeros (n_sec) for t in tags}
  for tag, a, b in intervals:
    if tag not in cover:
      continue
    for i in range (int (a), min (n_sec, int (np.ceil (b)))):
      cover[tag][i] += max (0.0, min (b, i + 1) - max (a, i))
  for t in tags:
    out[t] = cover[t] > 0.5
  return out


def boundaries (intervals, tag):
  b = []
  for t, a, e in intervals:
    if t == tag:
      b += [a, e]
  return b


def score (ref, out_iv, labels, dur):
  """Per-tag precision / recall / F1 at 1 s resolution, macro F1, mean
  boundary error and its boundary count of output intervals @out_iv
  [(tag, start, end)] against the reference segments @ref."""
  n_sec = int (dur)
  ref_iv = [(t, a, b) for a, b, tags in ref for t in tags]
  # a tag split over adjacent reference segments is one interval
  merged = []
  for t in labels:
    iv = sorted ((a, b) for tt, a, b in ref_iv if tt == t)
    for a, b in iv:
      if merged and merged[-1][0] == t and abs (merged[-1][2] - a) < 1e-6:
        merged[-1] = (t, merged[-1][1], b)
      else:
        merged.append ((t, a, b))
  ref_iv = merged
  R = per_second (ref_iv, n_sec, labels)
  O = per_second (out_iv, n_sec, labels)
  f1s, res = [], {}
  for t in labels:
    tp = int (np.sum (R[t] & O[t]))
    fp = int (np.sum (~R[t] & O[t]))
    fn = int (np.sum (R[t] & ~O[t]))
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else 1.0
    f1s.append (f)
    res[t] = {"precision": p, "recall": r, "f1": f,
              "seconds": int (R[t].sum ()), "tp": tp, "fp": fp, "fn": fn}
  errs = []
  for t in labels:
    ob = boundaries (out_iv, t)
    for b in boundaries (ref_iv, t):
      if b <= 0.0 or b >= dur - 1e-6:
        continue                # stream start / end are not boundaries
      errs.append (min ([abs (b - o) for o in ob] + [5.0]))
  mbe = float (np.mean (errs)) if errs else 0.0
  return res, float (np.mean (f1s)), mbe, len (errs)


def merged_ref (ref, labels):
  """The reference intervals [(tag, start, end)] of @ref, a tag split over
  adjacent segments as one interval (as score() merges them)."""
  ref_iv = [(t, a, b) for a, b, tags in ref for t in tags]
  merged = []
  for t in labels:
    for a, b in sorted ((a, b) for tt, a, b in ref_iv if tt == t):
      if merged and merged[-1][0] == t and abs (merged[-1][2] - a) < 1e-6:
        merged[-1] = (t, merged[-1][1], b)
      else:
        merged.append ((t, a, b))
  return merged


def signed_errors (ref, out_iv, labels, dur, cap=2.0):
  """[(tag, kind, error)]: for every reference onset (start) and offset
  (end) of a tag inside the stream, output minus reference time of the
  nearest output boundary of the same tag and kind (an output start for
  an onset, an end for an offset), or None when there is none within
  @cap s (a missed boundary, left out of the bias)."""
  out = []
  for t, a, b in merged_ref (ref, labels):
    for kind, r, idx in (("onset", a, 1), ("offset", b, 2)):
      if r <= 0.0 or r >= dur - 1e-6:
        continue
      d = [o[idx] - r for o in out_iv if o[0] == t]
      d = [x for x in d if abs (x) <= cap]
      out.append ((t, kind, min (d, key=abs) if d else None))
  return out


def print_signed (errs, labels):
  """Per tag and boundary kind: matched count / all, mean and median
  signed error (output - reference, s; > 0: late), mean |error|."""
  print ("signed boundary errors (output - reference, s; same tag and "
         "kind, within 2 s):")
  print ("%-10s %-7s %7s %8s %8s %8s" % ("tag", "kind", "n", "mean",
                                          "median", "mean|e|"))
  for t in labels + ["all"]:
    for kind in ("onset", "offset", "both"):
      e = [x for tt, k, x in errs if (t == "all" or tt == t) and
           (kind == "both" or k == kind)]
      m = [x for x in e if x is not None]
      if not e:
        continue
      print ("%-10s %-7s %3d/%-3d %8.3f %8.3f %8.3f" % (
          t, kind, len (m), len (e), np.mean (m) if m else float ("nan"),
          np.median (m) if m else float ("nan"),
          np.mean (np.abs (m)) if m else float ("nan")))


def record (text, path=None):
  """Puts @text between BEGIN and END in bench/RESULTS.md (replacing an
  older section, else appending one)."""
  path = path or os.path.join (HERE, "RESULTS.md")
  old = open (path).read () if os.path.exists (path) else \
      "# Benchmark results\n"
  section = "%s\n## Audio tagger on a held-out stream\n\n%s\n%s\n" % (
      BEGIN, text.rstrip (), END)
  if BEGIN in old and END in old:
    a, b = old.index (BEGIN), old.index (END) + len (END)
    new = old[:a] + section.rstrip ("\n") + old[b:]
  else:
    new = old.rstrip ("\n") + "\n\n" + section
  tmp = path + ".tmp.%d" % os.getpid ()
  with open (tmp, "w") as f:
    f.write (new)
  os.replace (tmp, path)
  print ("bench-tags: recorded in %s" % path)


def markdown (args, meta, stream_line, res, macro, mbe, n_err, wall, dur):
  cpu = platform.processor () or "unknown CPU"
  try:
    with open ("/proc/cpuinfo") as f:
      for line in f:
        if line.startswith ("model name"):
          cpu = line.split (":", 1)[1].strip ()
          break
  except OSError:
    pass
  metrics = json.loads (meta.get ("dl.metrics", "{}") or "{}")
  now = datetime.datetime.now (datetime.timezone.utc)
  cmd = " ".join (["/usr/bin/python3", "bench/bench-tags.py"] +
                  sys.argv[1:])
  la = os.getloadavg ()
  L = ["Command: `%s`" % cmd, "",
       "Date: %s  " % now.strftime ("%Y-%m-%d %H:%M UTC"),
       "Machine: %s, %d logical CPUs, %s  " % (cpu, os.cpu_count () or 0,
                                                platform.platform ()),
       "Load average at the end: %.2f %.2f %.2f (shared machine)  " % la,
       "Model: `%s` (%s)  " % (
           os.path.relpath (os.path.abspath (args.model), os.getcwd ()),
           model_figure (metrics)),
       "Stream: %s" % stream_line, "",
       "| tag | precision | recall | F1 | seconds |",
       "| --- | ---: | ---: | ---: | ---: |"]
  for t, r in res.items ():
    L.append ("| %s | %.3f | %.3f | %.3f | %d |" % (
        t, r["precision"], r["recall"], r["f1"], r["seconds"]))
  L += ["",
        "| figure | value | goal |", "| --- | ---: | ---: |",
        "| macro F1 (1 s resolution) | %.3f | >= %.2f |" % (
            macro, GOALS["macro_f1"]),
        "| mean boundary error (%d boundaries, capped at 5 s) | %.3f s | "
        "<= %.1f s |" % (n_err, mbe, GOALS["boundary_error_s"]),
        "| real-time factor (%s) | %.4f | <= %.2f |" % (
            "dltrain run only" if args.offline else
            "whole pipeline, 1 thread", wall / dur, GOALS["rtf"])]
  return "\n".join (L)


def main ():
  ap = argparse.ArgumentParser (description=__doc__.split ("\n")[0])
  ap.add_argument ("--model", required=True)
  ap.add_argument ("--build", required=True)
  ap.add_argument ("--corpus", help="make-tag-corpus output with bench.tsv "
                   "(default BUILD/tag-corpus)")
  ap.add_argument ("--seed", type=int, default=1)
  ap.add_argument ("--stream", default="bench",
                   help="recordings of CORPUS/STREAM.tsv: bench (held out, "
                   "the default) or valstream (the val split's, on which "
                   "scripts/tune-tag-thresholds.py chooses thresholds)")
  ap.add_argument ("--hop", type=int, default=250,
                   help="dltag hop in ms (250: dltag's default)")
  ap.add_argument ("--min-duration", type=int, default=0,
                   help="dltag min-duration in ms (0: dltag's default)")
  ap.add_argument ("--smoothing", type=int, default=1,
                   help="dltag smoothing (median over N windows; 1: dltag's "
                   "default, none)")
  ap.add_argument ("--offline", action="store_true")
  ap.add_argument ("--json", help="write the figures here too")
  ap.add_argument ("--signed", action="store_true",
                   help="also print the signed boundary errors per tag and "
                   "kind (onset / offset): is the timing early or late?")
  ap.add_argument ("--record", action="store_true",
                   help="write the table into bench/RESULTS.md")
  args = ap.parse_args ()
  corpus = args.corpus or os.path.join (args.build, "tag-corpus")
  if not os.path.exists (os.path.join (corpus, args.stream + ".tsv")):
    sys.exit ("bench-tags: no %s/%s.tsv (run scripts/make-tag-corpus.py "
              "or scripts/train-audio-tags.sh)" % (corpus, args.stream))
  meta, dims = model_meta (args.model)
  labels = json.loads (meta["dl.labels"])
  x, ref = compose (corpus, args.seed, args.stream)
  dur = len (x) / RATE
  with tempfile.TemporaryDirectory () as tmp:
    wav = os.path.join (tmp, "stream.wav")
    write_wav (x, wav)
    if args.offline:
      out, wall = run_offline (args.model, args.build, x, meta, dims,
                               args.hop, args.smoothing)
    else:
      out, wall = run_gst (os.path.abspath (args.model), args.build, wav,
                           args.hop, args.min_duration, args.smoothing)
  res, macro, mbe, n_err = score (ref, [(t, a, b) for t, a, b, _ in out],
                                  labels, dur)
  stream_line = "%s%.1f s, %d segments (%s), %s" % (
      "" if args.stream == "bench" else args.stream + ": ", dur, len (ref), ", ".join ("%s %d" % (t, sum (t in s for _, _, s in ref))
                                 for t in labels),
      "offline windows (dltrain run)" if args.offline else
      "gst-launch-1.0 ... ! dltag threads=1 hop=%d min-duration=%d%s" % (
          args.hop, args.min_duration, " smoothing=%d" % args.smoothing
          if args.smoothing > 1 else ""))
  print ("stream: " + stream_line)
  print ("%-10s %9s %9s %9s %8s" % ("tag", "precision", "recall", "f1",
                                    "seconds"))
  for t, r in res.items ():
    print ("%-10s %9.3f %9.3f %9.3f %8d" % (t, r["precision"], r["recall"],
                                            r["f1"], r["seconds"]))
  print ("macro_f1: %.3f" % macro)
  print ("mean_boundary_error: %.3f s (%d boundaries, capped at 5 s)" %
         (mbe, n_err))
  print ("real_time_factor: %.4f (%.2f s for %.1f s%s)" % (
      wall / dur, wall, dur, ", dltrain run only" if args.offline else
      ", whole pipeline, 1 thread"))
  serr = signed_errors (ref, out, labels, dur)
  if args.signed:
    print_signed (serr, labels)
  if args.json:
    with open (args.json, "w") as f:
      json.dump ({"tags": res, "macro_f1": macro,
                  "mean_boundary_error_s": mbe, "rtf": wall / dur,
                  "duration_s": dur, "offline": args.offline,
                  "signed_errors": serr}, f, indent=2)
  if args.record:
    record (markdown (args, meta, stream_line, res, macro, mbe, n_err,
                      wall, dur))


if __name__ == "__main__":
  main ()
