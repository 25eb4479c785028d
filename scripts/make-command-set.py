#!/usr/bin/python3
"""Synthesise spoken-command validation sets for dlspeech's grammar decoding.

Random sentences of the two JSGF grammars of Debian's pocketsphinx-testdata
(cards/cards.gram: playing cards; goforward.gram: turtle moves), read by the
*validation* voices of scripts/make-speech-corpus.py only (espeak-ng's
en-029 accent and its variants, flite awb, festival ked_diphone: never in a
training corpus), half of them with that script's augmentation (tempo,
pitch, reverberation, band-limiting, generated noise, gain). Only the
grammar files are read from pocketsphinx-testdata, never its recordings.

  scripts/make-command-set.py --out DIR [--per-grammar N] [--seed S]

writes DIR/cards.tsv and DIR/goforward.tsv (`path<TAB>transcript`) and the
FLAC files under DIR/wav/; score a model with

  dltrain eval MODEL --data DIR/cards.tsv \\
    --grammar /usr/share/pocketsphinx/test/data/cards/cards.gram
"""
import argparse
import importlib.util
import os
import sys

import numpy as np

HERE = os.path.dirname (os.path.abspath (__file__))
DATA = "/usr/share/pocketsphinx/test/data"
GRAMMARS = {"cards": os.path.join (DATA, "cards/cards.gram"),
            "goforward": os.path.join (DATA, "goforward.gram")}

RANKS = ["ace", "two", "three", "four", "five", "six", "seven", "eight",
         "nine", "ten", "jack", "queen", "king", "lady"]
SUITS = ["clubs", "hearts", "diamonds", "spades"]
NUMBERS = ["one", "two", "three", "four", "five", "six", "seven", "eight",
           "nine", "ten"]


def card (rng):
  of = ["of"] if rng.random () < 0.8 else []
  return [str (rng.choice (RANKS))] + of + [str (rng.choice (SUITS))]


def cards_sentence (rng):
  """One sentence of cards.gram: <cards_3> | <cards_2> | <card> |
  <cards_same_suit> | <cards_no_suit>."""
  k = int (rng.integers (5))
  if k == 0:
    w = card (rng) + card (rng) + card (rng)
  elif k == 1:
    w = card (rng) + card (rng)
  elif k == 2:
    w = card (rng)
  elif k == 3:
    w = [str (rng.choice (RANKS))] + card (rng)
  else:
    w = [str (rng.choice (RANKS)), str (rng.choice (RANKS))]
  return " ".join (w)


def goforward_sentence (rng):
  """One sentence of goforward.gram: go forward ten meters | go
  <direction> <distance> [meter | meters]."""
  if rng.random () < 0.15:
    return "go forward ten meters"
  w = ["go", str (rng.choice (["forward", "backward"])),
       str (rng.choice (NUMBERS))]
  u = int (rng.integers (3))
  if u:
    w.append ("meter" if u == 1 else "meters")
  return " ".join (w)


def main ():
  ap = argparse.ArgumentParser (description=__doc__.split ("\n")[0])
  ap.add_argument ("--out", required=True)
  ap.add_argument ("--per-grammar", type=int, default=80)
  ap.add_argument ("--seed", type=int, default=7)
  args = ap.parse_args ()

  spec = importlib.util.spec_from_file_location (
      "corpus", os.path.join (HERE, "make-speech-corpus.py"))
  corpus = importlib.util.module_from_spec (spec)
  spec.loader.exec_module (corpus)
  missing = corpus.missing_tools ()
  if missing:
    sys.exit ("missing: " + ", ".join (missing))
  voices = [v for v in corpus.all_voices () if corpus.voice_is_val (v)]
  corpus._init_worker ([])
  rng = np.random.default_rng (args.seed)
  os.makedirs (os.path.join (args.out, "wav"), exist_ok=True)
  index = 0
  for name, gen in (("cards", cards_sentence),
                    ("goforward", goforward_sentence)):
    rows = []
    for i in range (args.per_grammar):
      # the flite and festival voices as often as all espeak-ng ones
      k = i % 4
      if k < 2:
        espeak = [v for v in voices if v[0] == "espeak-ng"]
        voice = espeak[int (rng.integers (len (espeak)))]
      else:
        voice = [v for v in voices if v[0] == ("flite", "festival")[k - 2]][0]
      rel = os.path.join ("wav", "%s-%03d.flac" % (name, i))
      job = {"index": 100000 + index, "seed": args.seed, "voice": voice,
             "text": gen (rng), "path": os.path.join (args.out, rel),
             "augment": i % 2 == 1}
      index += 1
      _, path, text, secs, desc = corpus.make_utterance (job)
      if path is None:
        print ("skipped: %s" % desc, file=sys.stderr)
        continue
      rows.append ("%s\t%s\n" % (rel, text))
    with open (os.path.join (args.out, name + ".tsv"), "w") as f:
      f.writelines (rows)
    print ("%s: %d utterances (grammar %s)" % (name, len (rows),
                                               GRAMMARS[name]))


if __name__ == "__main__":
  main ()
