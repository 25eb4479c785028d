#!/usr/bin/python3
"""Builds a tiny corpus with scripts/make-speech-corpus.py twice with the
same seed and checks the audio (decoded by sox, independently of the
builder's own code), the manifests, the alphabet, the voice and text split,
and reproducibility. Exits 77 when a synthesiser is missing."""

import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np

N = 12


def skip (msg):
  print ("SKIP: " + msg)
  sys.exit (77)


def main ():
  script, work = sys.argv[1], sys.argv[2]
  for tool, pkg in (("espeak-ng", "espeak-ng"), ("flite", "flite"),
                    ("text2wave", "festival"), ("sox", "sox"),
                    ("gst-launch-1.0", "gstreamer1.0-tools")):
    if shutil.which (tool) is None:
      skip ("%s not found (apt-get install %s)" % (tool, pkg))
  for v, pkg in (("english/kal_diphone", "festvox-kallpc16k"),
                 ("english/ked_diphone", "festvox-kdlpc16k"),
                 ("us/cmu_us_slt_arctic_hts", "festvox-us-slt-hts")):
    if not os.path.isdir ("/usr/share/festival/voices/" + v):
      skip ("festival voice %s missing (apt-get install %s)" % (v, pkg))
  if not os.path.exists ("/usr/share/games/fortunes/fortunes"):
    skip ("text source missing (apt-get install fortunes-min)")

  outs = [os.path.join (work, "corpus-a"), os.path.join (work, "corpus-b")]
  for i, out in enumerate (outs):
    shutil.rmtree (out, ignore_errors=True)
    # second run: other job count, must not change the output
    subprocess.run ([sys.executable, script, "--out", out, "--utterances",
                     str (N), "--seed", "7", "--jobs", str (2 - i),
                     "--music-tracks", "1"], check=True)

  fails = []

  def check (cond, msg):
    if not cond:
      fails.append (msg)
      print ("FAIL: " + msg)

  out = outs[0]
  rows = {}
  for split in ("train", "val"):
    rows[split] = []
    with open (os.path.join (out, split + ".tsv")) as f:
      for ln, line in enumerate (f, 1):
        cols = line.rstrip ("\n").split ("\t")
        check (len (cols) == 2, "%s.tsv:%d: %d columns" % (split, ln,
                                                            len (cols)))
        if len (cols) == 2:
          rows[split].append (cols)
  check (len (rows["train"]) + len (rows["val"]) == N, "total count")
  check (len (rows["val"]) >= 1 and len (rows["train"]) >= 1, "both splits")

  meta = json.load (open (os.path.join (out, "corpus.json")))
  check (meta["utterances"] == N, "corpus.json utterances")
  for split in ("train", "val"):
    check (meta["splits"][split]["utterances"] == len (rows[split]),
           "corpus.json %s count" % split)
  check (meta["seed"] == 7, "corpus.json seed")
  check ("fortunes-min" in meta["text_source"], "corpus.json text source")
  check (meta["augment"] is not None, "corpus.json augmentation")

  alphabet = re.compile (r"^[a-z']+( [a-z']+)*$")
  hours = 0.0
  for split in ("train", "val"):
    for path, text in rows[split]:
      check (alphabet.match (text) is not None,
             "transcript outside alphabet: %r" % text)
      full = os.path.join (out, path)
      info = subprocess.run (["soxi", full], capture_output=True,
                             text=True).stdout
      check ("Sample Rate    : 16000" in info, "%s: rate" % path)
      check ("Channels       : 1" in info, "%s: channels" % path)
      pcm = subprocess.run (["sox", full, "-t", "raw", "-e", "signed",
                             "-b", "16", "-"], capture_output=True,
                            check=True).stdout
      x = np.frombuffer (pcm, dtype="<i2").astype (np.float64) / 32768.0
      rms = float (np.sqrt (np.mean (x ** 2))) if len (x) else 0.0
      check (len (x) > 16000 * 0.3, "%s: too short (%d)" % (path, len (x)))
      check (rms > 1e-3, "%s: silent (rms %.2g)" % (path, rms))
      hours += len (x) / 16000 / 3600
  check (abs (hours - meta["hours"]) < 1e-3, "corpus.json hours %.4f vs %.4f"
         % (meta["hours"], hours))

  # voice split: the manifests carry no voice, augment.tsv does
  voice_of = {}
  with open (os.path.join (out, "augment.tsv")) as f:
    for line in f:
      path, desc = line.rstrip ("\n").split ("\t")
      voice_of[path] = json.loads (desc)["voice"]
  used = {s: {voice_of[p] for p, _ in rows[s]} for s in rows}
  check (not (used["train"] & used["val"]), "voices in both splits: %s"
         % (used["train"] & used["val"]))
  allowed = {s: set (meta["splits"][s]["voices"]) for s in rows}
  check (not (allowed["train"] & allowed["val"]), "voice lists overlap")
  for s in rows:
    check (used[s] <= allowed[s], "%s uses voices outside its list" % s)
  engines = {v.split (":")[0] for v in used["train"]}
  check (engines == {"espeak-ng", "flite", "festival"},
         "train engines %s" % engines)
  accents = {v.split (":")[1].split ("+")[0] for v in allowed["val"]
             if v.startswith ("espeak-ng:")}
  check (len (accents) == 1, "one held-out espeak accent: %s" % accents)
  check (not any (v.startswith ("espeak-ng:%s" % a) for a in accents
                  for v in allowed["train"]), "held-out accent in train")
  train_texts = {t for _, t in rows["train"]}
  check (not any (t in train_texts for _, t in rows["val"]),
         "a validation text is in train")

  for name in ("train.tsv", "val.tsv", "augment.tsv"):
    a = open (os.path.join (outs[0], name)).read ()
    b = open (os.path.join (outs[1], name)).read ()
    check (a == b, "%s differs between two runs with the same seed" % name)

  for split in ("train", "val"):
    for path, _ in rows[split]:
      a = open (os.path.join (outs[0], path), "rb").read ()
      b = open (os.path.join (outs[1], path), "rb").read ()
      check (a == b, "%s differs between two runs with the same seed" % path)
  check (os.path.exists (os.path.join (out, "README.md")), "README.md")

  if fails:
    print ("%d failure(s)" % len (fails))
    sys.exit (1)
  print ("corpus: %d train, %d val, %.1f s of audio, voices %s | %s: OK"
         % (len (rows["train"]), len (rows["val"]), hours * 3600,
            sorted (used["train"]), sorted (used["val"])))


if __name__ == "__main__":
  main ()
