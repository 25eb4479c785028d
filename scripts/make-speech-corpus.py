#!/usr/bin/python3
"""Build a labelled English speech corpus with the synthesisers in Debian main.

Voices: espeak-ng (English accents x variants), flite (kal16, awb, rms,
slt) and festival (festvox-kallpc16k, festvox-kdlpc16k,
festvox-us-slt-hts). Text: the fortune cookie files of Debian's
fortunes-min and fortunes packages (/usr/share/games/fortunes, about 24k
sentences), which no evaluation in this project uses; sentences sharing
four words in a row with a benchmark reference (bench/speech-refs.tsv)
are dropped as well. Text is normalised to
the model alphabet (lowercase a-z, apostrophe, space): digits are spelled
out, other characters dropped.

Every utterance is converted to 16 kHz mono 16-bit FLAC and, unless
--no-augment, augmented: tempo and pitch (sox), reverberation (sox reverb),
band-limiting (sox sinc), gain, and additive noise (generated white, pink,
brown, mains hum) or music (warzone2100-music opus tracks decoded with
gst-launch-1.0) at a random SNR.

The split is fixed by voice and by text: validation voices (one espeak-ng
accent with all its variants, one flite voice, one festival voice) never
appear in train.tsv, and validation sentences never appear in train.tsv.
Each utterance draws its parameters from its own seeded generator, so the
output depends only on --seed and the count, not on --jobs.

Output in --out: wav/{train,val}/NNNNNN.flac, train.tsv and val.tsv
(path relative to the manifest's directory <TAB> transcript, no header),
corpus.json (counts, hours, voices per split, seed, source, augmentation).

  /usr/bin/python3 scripts/make-speech-corpus.py --out corpus --hours 10
"""

import argparse
import glob
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

RATE = 16000
FORTUNE_DIR = "/usr/share/games/fortunes"
# every English fortune file of Debian's fortunes-min and fortunes packages
# except pictures and the list of untranslated strings
FORTUNE_SKIP = {"ascii-art", "translate-me"}
TEXT_SOURCE = ("Debian packages fortunes-min and fortunes (fortune-mod "
               "1.99.1): every file of /usr/share/games/fortunes except "
               "ascii-art and translate-me; sentences sharing 4 words in a "
               "row with an evaluation reference (bench/speech-refs.tsv) "
               "are dropped")
EVAL_REFS = os.path.join (os.path.dirname (os.path.abspath (__file__)),
                          os.pardir, "bench", "speech-refs.tsv")


def text_files ():
  files = []
  for f in sorted (os.listdir (FORTUNE_DIR)):
    path = os.path.join (FORTUNE_DIR, f)
    if ("." in f or f in FORTUNE_SKIP or not os.path.isfile (path)):
      continue
    files.append (path)
  return files


def eval_ngrams (n=4):
  """4-grams of every evaluation reference: no training text may hold one."""
  grams = set ()
  if not os.path.exists (EVAL_REFS):
    return grams
  with open (EVAL_REFS) as f:
    for line in f:
      if line.startswith ("#") or "\t" not in line:
        continue
      w = line.rstrip ("\n").split ("\t")[-1].split ()
      grams.update (tuple (w[i:i + n]) for i in range (len (w) - n + 1))
  return grams
MUSIC_GLOB = "/usr/share/games/warzone2100/music/**/*.opus"
MUSIC_SOURCE = "Debian package warzone2100-music (opus), via gst-launch-1.0"

ESPEAK_ACCENTS = ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp",
                  "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-029", "en-us-nyc"]
ESPEAK_VARIANTS = ["", "+f1", "+f2", "+f3", "+f4", "+m1", "+m3", "+m5",
                   "+m7", "+klatt", "+klatt2", "+klatt4", "+whisper",
                   "+croak"]
FLITE_VOICES = ["kal16", "awb", "rms", "slt"]
FESTIVAL_VOICES = ["kal_diphone", "ked_diphone", "cmu_us_slt_arctic_hts"]

# espeak-ng has most of the voices: half of the utterances
ENGINE_CYCLE = ["espeak-ng", "flite", "espeak-ng", "festival"]

VAL_ESPEAK_ACCENT = "en-029"
VAL_FLITE = "awb"
VAL_FESTIVAL = "ked_diphone"
VAL_TEXT_PERCENT = 10     # share of sentences kept for validation
VAL_UTT_EVERY = 10        # utterance i is validation when i % 10 == 0

AUGMENT = {
  "probability": 0.8,
  "tempo": [0.8, 1.25],
  "pitch_cents": [-300, 300],
  "reverb_probability": 0.3, "reverb": [10, 60],
  "bandlimit_probability": 0.3, "lowpass_hz": [2500, 7000],
  "highpass_hz": [50, 300],
  "noise_probability": 0.6, "music_share": 0.4,
  "snr_db": [5, 30],
  "noise_kinds": ["white", "pink", "brown", "hum"],
  "gain_db": [-12, 3],
}

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven",
        "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen",
        "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy",
        "eighty", "ninety"]


def number_words (n):
  if n < 20:
    return ONES[n]
  if n < 100:
    return TENS[n // 10] + ("" if n % 10 == 0 else " " + ONES[n % 10])
  if n < 1000:
    rest = n % 100
    return ONES[n // 100] + " hundred" + \
        ("" if rest == 0 else " and " + number_words (rest))
  for size, name in ((10 ** 9, "billion"), (10 ** 6, "million"),
                     (1000, "thousand")):
    if n >= size:
      rest = n % size
      return number_words (n // size) + " " + name + \
          ("" if rest == 0 else
           (" and " if rest < 100 else " ") + number_words (rest))
  raise ValueError (n)


ORDINALS = {"one": "first", "two": "second", "three": "third",
            "five": "fifth", "eight": "eighth", "nine": "ninth",
            "twelve": "twelfth"}


def ordinal_words (n):
  words = number_words (n).split ()
  last = words[-1]
  if last in ORDINALS:
    last = ORDINALS[last]
  elif last.endswith ("y"):
    last = last[:-1] + "ieth"
  else:
    last += "th"
  return " ".join (words[:-1] + [last])


def spell_ordinal (m):
  return " " + ordinal_words (int (m.group (1))) + " "


def spell_digits (m):
  s = m.group (0)
  n = int (s)
  if len (s) == 4 and 1100 <= n <= 1999 and n % 100 != 0:
    # years: nineteen eighty four
    return " %s %s " % (number_words (n // 100),
                        number_words (n % 100) if n % 100 >= 10 else
                        "oh " + ONES[n % 100])
  if len (s) > 9 or (len (s) > 1 and s[0] == "0"):
    return " " + " ".join (ONES[int (c)] for c in s) + " "
  return " " + number_words (int (s)) + " "


def normalise (text):
  """Lowercase a-z, apostrophe and single spaces; digits spelled out."""
  t = text.lower ().replace ("\u2019", "'").replace ("&", " and ")
  t = re.sub (r"(?<=[0-9]),(?=[0-9]{3})", "", t)
  t = re.sub (r"\b([0-9]+)(?:st|nd|rd|th)\b", spell_ordinal, t)
  t = re.sub (r"[0-9]+", spell_digits, t)
  t = re.sub (r"[^a-z' ]+", " ", t)
  t = re.sub (r"(^|\s)'+|'+(\s|$)", " ", t)   # quotes, not apostrophes
  return " ".join (t.split ())


def load_sentences ():
  sentences = set ()
  banned = eval_ngrams ()
  for path in text_files ():
    with open (path, encoding="utf-8", errors="replace") as f:
      cookies = f.read ().split ("\n%\n")
    for cookie in cookies:
      # drop attributions ("-- Author") and join wrapped lines
      # and the "Q:" / "A:" of riddles
      body = re.split (r"\n\s*--\s", cookie)[0]
      body = re.sub (r"(?m)^\s*[QA]:\s*", "", body).replace ("\n", " ")
      for s in re.split (r"(?<=[.!?])\s+", body):
        n = normalise (s)
        w = n.split ()
        if (3 <= len (w) <= 25 and re.search ("[a-z]", n) and
            not any (tuple (w[i:i + 4]) in banned
                     for i in range (len (w) - 3))):
          sentences.add (n)
  return sorted (sentences)


def text_is_val (s):
  h = int (hashlib.sha1 (s.encode ()).hexdigest ()[:8], 16)
  return h % 100 < VAL_TEXT_PERCENT


def all_voices ():
  voices = []
  for a in ESPEAK_ACCENTS:
    for v in ESPEAK_VARIANTS:
      voices.append (("espeak-ng", a + v))
  voices += [("flite", v) for v in FLITE_VOICES]
  voices += [("festival", v) for v in FESTIVAL_VOICES]
  return voices


def voice_is_val (voice):
  engine, name = voice
  if engine == "espeak-ng":
    return name.split ("+")[0] == VAL_ESPEAK_ACCENT
  if engine == "flite":
    return name == VAL_FLITE
  return name == VAL_FESTIVAL


def missing_tools ():
  missing = [t for t in ("espeak-ng", "flite", "text2wave", "sox",
                         "gst-launch-1.0") if shutil.which (t) is None]
  for v in FESTIVAL_VOICES:
    if not glob.glob ("/usr/share/festival/voices/*/" + v):
      missing.append ("festival voice " + v)
  return missing


# --- synthesis -------------------------------------------------------------

def synthesise (voice, text, rate, pitch, wav):
  engine, name = voice
  if engine == "espeak-ng":
    cmd = ["espeak-ng", "-v", name, "-s", str (rate), "-p", str (pitch),
           "-w", wav, text]
  elif engine == "flite":
    cmd = ["flite", "-voice", name, "--setf",
           "duration_stretch=%.3f" % (175.0 / rate), "-t", text, "-o", wav]
  else:
    cmd = ["text2wave", "-eval", "(voice_%s)" % name, "-o", wav]
  subprocess.run (cmd, input=(text.encode () if engine == "festival"
                              else None),
                  check=True, stdout=subprocess.DEVNULL,
                  stderr=subprocess.PIPE)


def sox_to_array (wav, effects):
  out = subprocess.run (["sox", "-V1", wav, "-t", "raw", "-e", "float",
                         "-b", "32", "-c", "1", "-r", str (RATE), "-"]
                        + effects, check=True, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE).stdout
  return np.frombuffer (out, dtype=np.float32).astype (np.float64)


def write_flac (x, path):
  """Writes atomically (a temporary name, then rename): a file at @path is
  always complete, which resuming relies on."""
  pcm = np.clip (np.round (x * 32767.0), -32768, 32767).astype ("<i2")
  tmp = path + ".part.flac"
  subprocess.run (["sox", "-V1", "-t", "raw", "-e", "signed", "-b", "16",
                   "-c", "1", "-r", str (RATE), "-", tmp],
                  input=pcm.tobytes (), check=True,
                  stderr=subprocess.PIPE)
  os.replace (tmp, path)


def flac_seconds (path):
  """Duration from a FLAC file's STREAMINFO (None if it is not a complete
  16 kHz mono FLAC file with a sample count)."""
  try:
    with open (path, "rb") as f:
      h = f.read (42)
  except OSError:
    return None
  if len (h) < 42 or h[:4] != b"fLaC" or (h[4] & 0x7f) != 0:
    return None
  v = int.from_bytes (h[18:26], "big")
  rate, channels = v >> 44, ((v >> 41) & 7) + 1
  total = v & ((1 << 36) - 1)
  if rate != RATE or channels != 1 or total == 0:
    return None
  return total / RATE


def mix_at_snr (x, power, nz, snr_db):
  """x plus the noise nz scaled to snr_db below the signal power"""
  pn = np.mean (nz ** 2) + 1e-12
  return x + nz * np.sqrt (power / pn / 10 ** (snr_db / 10))


def random_gain (x, rng, desc):
  """a gain drawn from AUGMENT's range, recorded in desc"""
  gain = rng.uniform (*AUGMENT["gain_db"])
  desc["gain_db"] = round (gain, 1)
  return x * 10 ** (gain / 20)


def limit_peak (x, peak_max=0.99):
  """scaled down to peak_max when it peaks above it"""
  peak = np.max (np.abs (x)) if len (x) else 0.0
  return x * (peak_max / peak) if peak > peak_max else x


def make_noise (kind, n, rng):
  if kind == "hum":
    t = np.arange (n) / RATE
    f0 = rng.choice ([50.0, 60.0])
    y = sum (np.sin (2 * np.pi * f0 * k * t + rng.uniform (0, 6.3)) / k
             for k in range (1, 6))
    return y + 0.05 * rng.standard_normal (n)
  w = rng.standard_normal (n)
  if kind == "white":
    return w
  spec = np.fft.rfft (w)
  f = np.maximum (np.fft.rfftfreq (n, 1.0 / RATE), 20.0)
  spec /= np.sqrt (f) if kind == "pink" else f
  return np.fft.irfft (spec, n)


def music_segment (music, n, rng):
  track = music[rng.integers (len (music))]
  if len (track) <= n:
    return np.resize (track, n)
  start = rng.integers (len (track) - n)
  return track[start:start + n].astype (np.float64)


_MUSIC = []


def _init_worker (music_files):
  _MUSIC.clear ()
  for p in music_files:
    _MUSIC.append (np.fromfile (p, dtype="<i2").astype (np.float32) /
                   32768.0)


def make_utterance (job):
  """job: dict with index, seed, voice, text, path, augment. Returns
  (index, path, text, seconds, augmentation description); path is None
  when the utterance could not be made (the synthesiser produced nothing
  sox can read, for instance), which the caller skips. An utterance whose
  file is already there (an interrupted run started again with the same
  options) is reused: every utterance's text and voice depend only on the
  seed and its index, and files are written atomically."""
  side = job["path"] + ".json"
  secs = flac_seconds (job["path"])
  if secs is not None:
    try:
      with open (side) as f:
        desc = json.load (f)
    except (OSError, ValueError):
      desc = {"voice": "%s:%s" % tuple (job["voice"]),
              "note": "reused from an interrupted run"}
    return job["index"], job["path"], job["text"], secs, desc
  try:
    res = _make_utterance (job, job["augment"])
  except subprocess.CalledProcessError:
    try:
      res = _make_utterance (job, False)
    except subprocess.CalledProcessError as e:
      err = (e.stderr or b"").decode (errors="replace").strip ()
      return job["index"], None, job["text"], 0.0, {
          "voice": "%s:%s" % tuple (job["voice"]),
          "error": "%s failed: %s" % (e.cmd[0], err[:200])}
  with open (side + ".tmp", "w") as f:
    json.dump (res[4], f, sort_keys=True)
  os.replace (side + ".tmp", side)
  return res


def _make_utterance (job, aug):
  rng = np.random.default_rng ([job["seed"], job["index"]])
  voice, text = tuple (job["voice"]), job["text"]
  rate = int (rng.integers (130, 211))
  pitch = int (rng.integers (25, 76))
  desc = {"voice": "%s:%s" % voice}
  if voice[0] == "espeak-ng":
    desc.update (rate=rate, pitch=pitch)
  elif voice[0] == "flite":
    desc["rate"] = rate
  with tempfile.TemporaryDirectory () as tmp:
    wav = os.path.join (tmp, "s.wav")
    synthesise (voice, text, rate, pitch, wav)
    effects = []
    if aug and rng.random () < AUGMENT["probability"]:
      tempo = rng.uniform (*AUGMENT["tempo"])
      cents = int (rng.integers (AUGMENT["pitch_cents"][0],
                                 AUGMENT["pitch_cents"][1] + 1))
      effects += ["tempo", "-s", "%.3f" % tempo, "pitch", str (cents)]
      desc.update (tempo=round (tempo, 3), pitch_cents=cents)
      if rng.random () < AUGMENT["reverb_probability"]:
        rv = int (rng.integers (*AUGMENT["reverb"]))
        effects += ["reverb", str (rv)]
        desc["reverb"] = rv
      if rng.random () < AUGMENT["bandlimit_probability"]:
        hp = int (rng.integers (*AUGMENT["highpass_hz"]))
        lp = int (rng.integers (*AUGMENT["lowpass_hz"]))
        effects += ["sinc", "%d-%d" % (hp, lp)]
        desc["band_hz"] = [hp, lp]
      effects += ["channels", "1", "rate", str (RATE)]
    else:
      aug = False
    x = sox_to_array (wav, effects)
  if aug:
    # sox's reverb and sinc may leave a silent tail; the energy is measured
    # on the speech only
    p = np.mean (x ** 2) + 1e-12
    if rng.random () < AUGMENT["noise_probability"]:
      snr = rng.uniform (*AUGMENT["snr_db"])
      if _MUSIC and rng.random () < AUGMENT["music_share"]:
        kind = "music"
        nz = music_segment (_MUSIC, len (x), rng)
      else:
        kind = str (rng.choice (AUGMENT["noise_kinds"]))
        nz = make_noise (kind, len (x), rng)
      x = mix_at_snr (x, p, nz, snr)
      desc.update (noise=kind, snr_db=round (snr, 1))
    x = random_gain (x, rng, desc)
  write_flac (limit_peak (x), job["path"])
  return job["index"], job["path"], text, len (x) / RATE, desc


def decode_music (files, cache, rng, count):
  """Decodes the first ~40 s of `count` random tracks to 16 kHz mono
  S16LE raw files in `cache`."""
  os.makedirs (cache, exist_ok=True)
  out = []
  for f in rng.sample (files, min (count, len (files))):
    raw = os.path.join (cache, hashlib.sha1 (f.encode ()).hexdigest ()[:12]
                        + ".s16")
    if not os.path.exists (raw) or os.path.getsize (raw) == 0:
      # the first 256 KiB (about 40 s of music), pushed through a pipe so
      # that the demuxer does not need the end of the file
      with open (f, "rb") as src:
        head = src.read (256 * 1024)
      subprocess.run (["gst-launch-1.0", "-q", "fdsrc", "fd=0", "!",
                       "decodebin", "!", "audioconvert", "!", "audioresample",
                       "!", "audio/x-raw,format=S16LE,rate=16000,channels=1",
                       "!", "filesink", "location=" + raw],
                      input=head, check=True, stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL)
    if os.path.getsize (raw) > RATE * 2:
      out.append (raw)
  return out


README = """# Synthetic English speech corpus

Made by `%(cmd)s`
(gst-dl scripts/make-speech-corpus.py), seed %(seed)d.

- %(n)d utterances, %(hours).3f hours: %(train)d in train.tsv, %(val)d in
  val.tsv. Audio: wav/{train,val}/NNNNNN.flac, 16 kHz mono 16 bit.
- Manifests: `path<TAB>transcript`, path relative to this directory, no
  header. Transcripts use lowercase a-z, apostrophe and space only.
- augment.tsv: voice, rate, pitch and augmentation of every file.
- Voices: espeak-ng (Debian espeak-ng), flite (Debian flite), festival
  (Debian festival, festvox-kallpc16k, festvox-kdlpc16k,
  festvox-us-slt-hts). Validation voices, never used in train:
  %(val_voices)s.
- Text: %(source)s. Sentences are split by a hash of their normalised text;
  validation sentences never appear in train. No evaluation of gst-dl uses
  this text.
- Music for mixing: %(music)s. Noise is generated (white, pink, brown, hum).
- Augmentation: %(augment)s.

See corpus.json for the counts, hours and voices per split.
"""


def main ():
  ap = argparse.ArgumentParser (description=__doc__.split ("\n")[0])
  ap.add_argument ("--out", required=True, help="output directory")
  g = ap.add_mutually_exclusive_group ()
  g.add_argument ("--hours", type=float,
                  help="approximate total hours (about 3.5 s/utterance)")
  g.add_argument ("--utterances", type=int, help="number of utterances")
  ap.add_argument ("--seed", type=int, default=1)
  ap.add_argument ("--jobs", type=int, default=os.cpu_count () or 1)
  ap.add_argument ("--no-augment", action="store_true")
  ap.add_argument ("--music-tracks", type=int, default=8,
                   help="music tracks to decode for mixing (0: none)")
  args = ap.parse_args ()

  missing = missing_tools ()
  if missing:
    sys.exit ("make-speech-corpus: missing %s (run scripts/install-deps.sh)"
              % ", ".join (missing))
  if args.utterances is not None:
    n = args.utterances
  elif args.hours is not None:
    n = max (1, int (args.hours * 3600 / 3.5))
  else:
    n = 1000
  augment = not args.no_augment

  sentences = load_sentences ()
  texts = {"train": [s for s in sentences if not text_is_val (s)],
           "val": [s for s in sentences if text_is_val (s)]}
  voices = {"train": [v for v in all_voices () if not voice_is_val (v)],
            "val": [v for v in all_voices () if voice_is_val (v)]}

  rnd = random.Random (args.seed)
  music_files = []
  if augment and args.music_tracks > 0:
    files = sorted (glob.glob (MUSIC_GLOB, recursive=True))
    if files:
      music_files = decode_music (files, os.path.join (args.out, "_music"),
                                  rnd, args.music_tracks)

  jobs = []
  count = {"train": 0, "val": 0}
  for i in range (n):
    split = "val" if i % VAL_UTT_EVERY == 0 else "train"
    r = random.Random ("%d:%d" % (args.seed, i))
    d = os.path.join (args.out, "wav", split)
    os.makedirs (d, exist_ok=True)
    # engines in a fixed cycle, so that even a tiny corpus has them all
    engine = ENGINE_CYCLE[count[split] % len (ENGINE_CYCLE)]
    count[split] += 1
    jobs.append ({"index": i, "seed": args.seed, "split": split,
                  "voice": r.choice ([v for v in voices[split]
                                      if v[0] == engine]),
                  "text": r.choice (texts[split]),
                  "path": os.path.join (d, "%06d.flac" % i),
                  "augment": augment})

  results = [None] * n
  t0 = time.time ()
  done = 0
  with ProcessPoolExecutor (max_workers=max (1, args.jobs),
                            initializer=_init_worker,
                            initargs=(music_files,)) as pool:
    for res in pool.map (make_utterance, jobs, chunksize=4):
      results[res[0]] = res
      if res[1] is None:
        print ("make-speech-corpus: skipped utterance %d (%s): %s"
               % (res[0], res[4]["voice"], res[4]["error"]), flush=True)
      done += 1
      if done % 100 == 0 or done == n:
        el = time.time () - t0
        rate = done / el if el > 0 else 0.0
        print ("make-speech-corpus: %d/%d utterances, %.1f utt/s, ETA %.0f s"
               % (done, n, rate, (n - done) / rate if rate else 0.0),
               flush=True)

  skipped = [r for r in results if r[1] is None]
  results = [r for r in results if r[1] is not None]
  split_of = {j["index"]: j["split"] for j in jobs}
  stats = {}
  for split in ("train", "val"):
    rows = [r for r in results if split_of[r[0]] == split]
    with open (os.path.join (args.out, split + ".tsv"), "w") as f:
      for _, path, text, _, _ in rows:
        f.write ("%s\t%s\n" % (os.path.relpath (path, args.out), text))
    stats[split] = {
      "utterances": len (rows),
      "hours": round (sum (r[3] for r in rows) / 3600, 4),
      "voices_used": sorted ({r[4]["voice"] for r in rows}),
      "voices": ["%s:%s" % v for v in voices[split]],
      "sentences_available": len (texts[split]),
    }
  with open (os.path.join (args.out, "augment.tsv"), "w") as f:
    for r in results:
      f.write ("%s\t%s\n" % (os.path.relpath (r[1], args.out),
                             json.dumps (r[4], sort_keys=True)))
  meta = {
    "seed": args.seed, "utterances": len (results),
    "skipped": [{"index": r[0], "text": r[2], **r[4]} for r in skipped],
    "sample_rate": RATE,
    "format": "flac, mono, 16 bit",
    "hours": round (sum (r[3] for r in results) / 3600, 4),
    "splits": stats,
    "engine_cycle": ENGINE_CYCLE,
    "split_rule": {"val_every": VAL_UTT_EVERY,
                   "val_text_percent": VAL_TEXT_PERCENT,
                   "val_voices": {"espeak-ng accent": VAL_ESPEAK_ACCENT,
                                  "flite": VAL_FLITE,
                                  "festival": VAL_FESTIVAL}},
    "text_source": TEXT_SOURCE,
    "alphabet": "a-z ' space",
    "augment": AUGMENT if augment else None,
    "music_source": MUSIC_SOURCE if music_files else None,
    "music_tracks": len (music_files),
    "elapsed_s": round (time.time () - t0, 1),
  }
  with open (os.path.join (args.out, "corpus.json"), "w") as f:
    json.dump (meta, f, indent=2, sort_keys=True)
    f.write ("\n")
  with open (os.path.join (args.out, "README.md"), "w") as f:
    f.write (README % {
      "n": len (results), "hours": meta["hours"], "seed": args.seed,
      "train": stats["train"]["utterances"],
      "val": stats["val"]["utterances"],
      "source": TEXT_SOURCE,
      "music": MUSIC_SOURCE if music_files else "none",
      "augment": ("none (--no-augment)" if not augment else
                  json.dumps (AUGMENT, sort_keys=True)),
      "val_voices": ", ".join (stats["val"]["voices"]),
      "cmd": " ".join (["/usr/bin/python3", "scripts/make-speech-corpus.py"]
                       + sys.argv[1:])})
  print ("make-speech-corpus: %d utterances, %.2f h in %s%s" %
         (len (results), meta["hours"], args.out,
          " (%d skipped, see corpus.json)" % len (skipped) if skipped
          else ""))


if __name__ == "__main__":
  main ()
