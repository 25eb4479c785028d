#!/usr/bin/python3
"""Extract real, transcribed human speech from Debian main packages.

Sources (every transcript is taken from the package's own data files, never
guessed; clips without a transcript in the data are skipped):

  wz-tutorial  warzone2100 (base.wz): script/tutorial.js pairs each
               audio/tutorial/tutN.ogg with its on-screen text
               ({"audio": "tutN.ogg", ..., "message": _("...")}); entries
               whose message is `undefined` or holds "(s)"-style text are
               skipped.
  wz-voice     warzone2100 (base.wz): audio/audio.cfg names every voice
               line with a comment (`audio "pcv335.ogg" ... /*Construction
               Started*/`): the game's female, commander, transport pilot,
               VTOL pilot and Collective voices. Comments that are only a
               digit or hold an acronym the alphabet cannot spell (LZ, VTOL)
               are skipped.
  wz-digits    warzone2100: the commander voice's 1.ogg .. 9.ogg
               (audio/memressp/cmndrvoc, played as "group N reporting");
               0.ogg is skipped ("zero" or "oh" is not in the data).
  alsa         alsa-utils: /usr/share/sounds/alsa/*.wav, the speaker-test
               voice saying its file name ("Front_Left" -> "front left");
               Noise.wav is skipped.
  asterisk     asterisk-core-sounds-en (+ -en-wav): the prompts of Allison
               Smith's voice (/usr/share/asterisk/sounds/en_US_f_Allison,
               8 kHz telephone band, upsampled) with their text from the
               package's core-sounds-en.txt.gz ("name: text"). Skipped:
               texts holding brackets or symbols ([ascending tones],
               "press * ...", "at [@]"), numbers of 3 or more digits or
               with a point or letters (500, 28.8, 3D: how they are read is
               not in the data), acronyms and dotted abbreviations (PBX,
               A.M., www.asterisk.org), and texts with a letter other than
               "a" and "I" standing alone (letters/b, "M I S D N", "the 7 key
               for Q": the letter's name is not spelled). Five typos of the
               text file are spelled right ("fourtieth", "umute",
               "indentified", "witheld", "represenatives": every word was
               checked against wamerican/wbritish; the others missing there,
               niner, xray, rerecord, unistim ..., are what is said).
  klettres     klettres-data: the <syllables> of en/sounds.xml and
               en_GB/sounds.xml (<sound name="CAR" file="en/syllab/car.ogg">),
               two speakers; the letter sounds aw, ch, th (not words) and the
               <alphabet> (single letters) are skipped.
  oa-voice     openarena-data: missionpack/mp-pak0.pk3 scripts/*.voice pair
               voice chat clips with their text (sound\voices\rott\
               coverme.ogg "Cover me."); kept when the clip exists and its
               file name spells the text (letters of the text, lowercase,
               = the file name: "coverme" <- "Cover me.", but not
               "gopatrol" <- "Go patrol the area"). Only RottKing's voice
               (sound/voices/rott); festivoxmale is a Festival synthetic
               voice and is not read.
  re-voice     redeclipse-data + redeclipse-common: config/voice.cfg pairs
               chat text with a voice clip (addvoice "nice shot"
               "voice/niceshot" 2: two takes, niceshot.ogg niceshot2.ogg);
               kept when the text without spaces and "~" is the file name
               ("damn" -> damnit is not); argh, haha, pzap (noises, a laugh)
               are skipped.
  ktuberling   ktuberling-data: sounds/en.soundtheme pairs each clip with a
               sound name (<sound name="hat" file="en/hat.ogg" />); the names
               without a theme prefix are the object's word (ball, eyebrow,
               sunglasses) and are kept; themed ids (egypt_palmtree,
               moon_fallingstar, pizzeria_broccolli) join or misspell words
               and are skipped.
  tuxpaint     tuxpaint-stamps-default: a stamp's NAME_desc.ogg (spoken
               English description) with the first line of NAME.txt (the
               English description); kept when that line is "A NAME." or
               "An NAME." (the article English gives the word: "an" before
               a vowel letter), so the text names the same thing as the
               file ("A brown hen." for hen, "A rhea." for nandou, "An
               hippopotamus." are skipped); mountaingoat is skipped (a
               compound written as one word).

A family whose package is not installed is skipped with a message.
--sources picks the groups read: wz (the three wz-* families), alsa,
asterisk, klettres, ktuberling, oa-voice, re-voice, tuxpaint, or all; the
default, wz,alsa, is what the shipped speech model was fine-tuned on (all
of them lowered the CER on their own validation clips, whose speakers
are in training, but not on held-out voices: README, "The speech
model").

Nothing of pocketsphinx-testdata (the benchmark) is read.

Transcripts are normalised like the benchmark references
(bench/bench-speech.py: lowercase, hyphens -> spaces, "mr" -> "mister",
punctuation dropped) with the numbers spelled out by the synthetic corpus
builder's normaliser (scripts/make-speech-corpus.py), and British
"artefact" spelled "artifact" as the tutorial does.

Clips are decoded with sox to 16 kHz mono 16-bit WAV; identical audio is
kept once. A clip whose transcript would be spoken faster than
MAX_CHARS_PER_S (23 characters a second; the fastest voice line is 22.7)
cannot be what the audio says (some tutorial texts are longer than their
clip: the on-screen text is not the recording's script) and is skipped.
The split is by transcript: a clip is validation when the sha1
of its normalised transcript is 0 mod --val-every (default 4), so the same
sentence said by two voices never straddles the split.

Output in --out: wav/FAMILY/NAME.wav (NAME: the clip's file name, with
asterisk's sub-directory, digits_1, and klettres' language, en_GB-car),
real-all.tsv, real-val.tsv, real-train.tsv (path relative to --out <TAB>
transcript, dltrain's TSV format) and, with --augment K > 1,
real-train-aug.tsv: every training clip once as it is plus K-1 augmented
copies (wav/aug/FAMILY-NAME-K.wav), tempo, pitch, gain and generated noise
at a random SNR with the synthetic corpus' ranges; real.json with counts
and seconds per family and split.

  /usr/bin/python3 scripts/make-real-speech.py --out build/real-speech \
      [--augment 4] [--sources all]
"""

import argparse
import glob
import gzip
import hashlib
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

HERE = os.path.dirname (os.path.abspath (__file__))
WZ = "/usr/share/games/warzone2100/base.wz"
ALSA_DIR = "/usr/share/sounds/alsa"
ASTERISK_DIR = "/usr/share/asterisk/sounds/en_US_f_Allison"
ASTERISK_TEXT = "/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz"
KLETTRES_DIR = "/usr/share/klettres"
OA_PK3 = "/usr/share/games/openarena/missionpack/mp-pak0.pk3"
RE_DIR = "/usr/share/games/redeclipse"
KTUBERLING_THEME = "/usr/share/ktuberling/sounds/en.soundtheme"
TUXPAINT_STAMPS = "/usr/share/tuxpaint/stamps"
RATE = 16000
BENCH_DATA = "/usr/share/pocketsphinx"

_spec = importlib.util.spec_from_file_location (
    "make_speech_corpus", os.path.join (HERE, "make-speech-corpus.py"))
corpus = importlib.util.module_from_spec (_spec)
_spec.loader.exec_module (corpus)

MAX_CHARS_PER_S = 23.0
SKIP_WORDS = {"lz", "vtol", "vtols"}
SPELLING = {"artefact": "artifact", "artefacts": "artifacts",
            # typos of asterisk's core-sounds-en.txt
            "fourtieth": "fortieth", "umute": "unmute",
            "indentified": "identified", "witheld": "withheld",
            "represenatives": "representatives"}
KLETTRES_SOUNDS = {"aw", "ch", "th"}
RE_NOISES = {"argh", "haha", "pzap"}
TUXPAINT_SKIP = {"mountaingoat"}
# --sources groups, in the order their clips are read (wz: wz-tutorial,
# wz-voice, wz-digits); the default is the set the shipped model was
# fine-tuned on (README: the larger set is not the default)
ALL_SOURCES = ["wz", "alsa", "asterisk", "klettres", "ktuberling",
               "oa-voice", "re-voice", "tuxpaint"]
DEFAULT_SOURCES = "wz,alsa"


def normalise (text):
  """Benchmark normalisation (bench/bench-speech.py) with the numbers
  spelled out: lowercase a-z, apostrophe, single spaces."""
  t = text.replace ("-", " ")
  t = corpus.normalise (t)
  words = [("mister" if w == "mr" else SPELLING.get (w, w))
           for w in t.split ()]
  return " ".join (words)


def tutorial_clips (z):
  js = z.read ("script/tutorial.js").decode ("utf-8")
  out = []
  pat = re.compile (r'"audio"\s*:\s*"(tut[0-9]+\.ogg)"[^}]*?"message"\s*:'
                    r'\s*(undefined|_\("((?:[^"\\]|\\.)*)"\))')
  for m in pat.finditer (js):
    if m.group (3) is None or "(" in m.group (3):
      continue
    out.append (("wz-tutorial", "audio/tutorial/" + m.group (1),
                 m.group (3)))
  return out


def voice_clips (z, names):
  cfg = z.read ("audio/audio.cfg").decode ("latin-1")
  by_base = {}
  for n in names:
    if n.startswith ("audio/") and n.endswith (".ogg"):
      by_base.setdefault (os.path.basename (n), []).append (n)
  out = []
  pat = re.compile (r'^\s*audio\s+"([^"]+\.ogg)"\s+\w+\s+[0-9]+\s+[0-9]+'
                    r'\s*/\*(.*?)\*/', re.M)
  voice_dirs = ("audio/memressp/", "audio/trnsppil/", "audio/vtoltalk/",
                "audio/coltive/")
  for m in pat.finditer (cfg):
    base, label = m.group (1), m.group (2).strip ()
    paths = [p for p in by_base.get (base, [])
             if p.startswith (voice_dirs)]
    if len (paths) != 1:
      continue
    n = normalise (label)
    if (not n or re.fullmatch (r"[0-9 ]+", label) or
        SKIP_WORDS & set (n.split ())):
      continue
    out.append (("wz-voice", paths[0], label))
  for d in range (1, 10):
    p = "audio/memressp/cmndrvoc/%d.ogg" % d
    if p in names:
      out.append (("wz-digits", p, str (d)))
  return out


def alsa_clips ():
  out = []
  for p in sorted (glob.glob (os.path.join (ALSA_DIR, "*.wav"))):
    name = os.path.splitext (os.path.basename (p))[0]
    if name.lower () == "noise":
      continue
    out.append (("alsa", p, name.replace ("_", " ")))
  return out


def skipping (family, missing, packages):
  """says why a source family is left out; [] (no clips)"""
  print ("make-real-speech: skipping %s: no %s (apt-get install %s)"
         % (family, missing, packages))
  return []


def asterisk_clips (root=ASTERISK_DIR, index=ASTERISK_TEXT):
  if not os.path.exists (index) or not os.path.isdir (root):
    return skipping ("asterisk", "%s or %s" % (index, root),
                     "asterisk-core-sounds-en asterisk-core-sounds-en-wav")
  out = []
  with gzip.open (index, "rt", encoding="utf-8", errors="replace") as f:
    for line in f:
      m = re.match (r"^([A-Za-z0-9_/.-]+):\s*(.*?)\s*$", line)
      if not m or not m.group (2):
        continue
      name, text = m.group (1), m.group (2)
      wav = os.path.join (root, name + ".wav")
      if not os.path.isfile (wav):
        continue
      if (re.search (r"[^A-Za-z0-9 .,!?;:'\"-]", text) or
          re.search (r"[0-9]{3}|[0-9][.,][0-9]|[0-9][A-Za-z]|[A-Za-z][0-9]",
                     text) or
          re.search (r"[A-Z][A-Za-z]*[A-Z]|[A-Za-z]\.[A-Za-z]", text)):
        continue
      words = normalise (text).split ()
      if (not words or len ("".join (words)) < 2 or
          any (len (w) == 1 and w not in ("a", "i") for w in words)):
        continue
      out.append (("asterisk", wav, text))
  return out


def klettres_clips (root=KLETTRES_DIR):
  out = []
  for lang in ("en", "en_GB"):
    xml = os.path.join (root, lang, "sounds.xml")
    if not os.path.exists (xml):
      skipping ("klettres " + lang, xml, "klettres-data")
      continue
    doc = open (xml, encoding="utf-8").read ()
    m = re.search (r"<syllables>(.*?)</syllables>", doc, re.S)
    for name, f in re.findall (r'<sound\s+name="([^"]+)"\s+file="([^"]+)"',
                               m.group (1) if m else ""):
      p = os.path.join (root, f)
      if name.lower () in KLETTRES_SOUNDS or not os.path.isfile (p):
        continue
      out.append (("klettres", p, name))
  return out


def oa_clips (pk3=OA_PK3):
  if not os.path.exists (pk3):
    return skipping ("oa-voice", pk3, "openarena-data")
  z = zipfile.ZipFile (pk3)
  names = set (z.namelist ())
  out = []
  seen = set ()
  for v in sorted (n for n in names if re.fullmatch (r"scripts/[^/]+\.voice",
                                                     n)):
    txt = z.read (v).decode ("latin-1")
    for snd, text in re.findall (r'^\s*(sound\S+\.ogg)\s+"([^"]*)"', txt,
                                 re.M):
      path = snd.replace ("\\", "/")
      if not path.startswith ("sound/voices/rott/") or path not in names:
        continue
      base = os.path.splitext (os.path.basename (path))[0]
      if re.sub (r"[^a-z]", "", text.lower ()) != base or path in seen:
        continue
      seen.add (path)
      out.append (("oa-voice", pk3 + "!" + path, text))
  return out


def re_clips (root=RE_DIR):
  cfg = os.path.join (root, "config", "voice.cfg")
  snd = os.path.join (root, "data", "sounds")
  if not os.path.exists (cfg) or not os.path.isdir (snd):
    return skipping ("re-voice", "%s or %s" % (cfg, snd),
                     "redeclipse-data redeclipse-common")
  out = []
  seen = set ()
  for text, f, n in re.findall (
      r'^\s*addvoice\s+"([^"]+)"\s+"([^"]+)"\s+([0-9]+)',
      open (cfg, encoding="utf-8").read (), re.M):
    text = text.replace ("~", "").strip ()
    base = os.path.basename (f)
    if (text.replace (" ", "") != base or base in RE_NOISES or
        f in seen):
      continue
    seen.add (f)
    for k in range (int (n)):
      p = os.path.join (snd, f + (str (k + 1) if k else "") + ".ogg")
      if os.path.isfile (p):
        out.append (("re-voice", p, text))
  return out


def ktuberling_clips (theme=KTUBERLING_THEME):
  if not os.path.exists (theme):
    return skipping ("ktuberling", theme, "ktuberling-data")
  out = []
  root = os.path.dirname (theme)
  for name, f in re.findall (r'<sound\s+name="([^"]+)"\s+file="([^"]+)"',
                             open (theme, encoding="utf-8").read ()):
    p = os.path.join (root, f)
    if "_" in name or not re.fullmatch (r"[a-z]+", name) or \
       not os.path.isfile (p):
      continue
    out.append (("ktuberling", p, name))
  return out


def tuxpaint_clips (root=TUXPAINT_STAMPS):
  if not os.path.isdir (root):
    return skipping ("tuxpaint", root, "tuxpaint-stamps-default")
  out = []
  for p in sorted (glob.glob (os.path.join (root, "**", "*_desc.ogg"),
                              recursive=True)):
    name = os.path.basename (p)[:-len ("_desc.ogg")]
    txt = p[:-len ("_desc.ogg")] + ".txt"
    if name in TUXPAINT_SKIP or not os.path.isfile (txt):
      continue
    with open (txt, encoding="utf-8", errors="replace") as f:
      line = f.readline ().strip ()
    art = "an" if name[:1] in "aeiou" else "a"
    if line.lower () != "%s %s." % (art, name):
      continue
    out.append (("tuxpaint", p, line))
  return out


def read_source (family, src, z):
  if family.startswith ("wz"):
    return z.read (src)
  if "!" in src:
    archive, member = src.split ("!", 1)
    with zipfile.ZipFile (archive) as a:
      return a.read (member)
  with open (src, "rb") as f:
    return f.read ()


def wav_name (family, src):
  """Unique within the family: the file name, with asterisk's
  sub-directory (digits/1 -> digits_1) and klettres' language
  (en_GB/syllab/car.ogg -> en_GB-car)."""
  base = os.path.splitext (os.path.basename (src))[0]
  if family == "tuxpaint":
    return base[:-len ("_desc")]
  if family == "asterisk":
    rel = os.path.relpath (os.path.splitext (src)[0], ASTERISK_DIR)
    return rel.replace ("/", "_")
  if family == "klettres":
    return os.path.basename (os.path.dirname (os.path.dirname (src))) + \
        "-" + base
  return base


def decode (data, wav):
  """Any format sox reads (ogg vorbis, wav) -> 16 kHz mono S16 WAV."""
  with tempfile.NamedTemporaryFile (suffix=".ogg" if data[:4] == b"OggS"
                                    else ".wav") as f:
    f.write (data)
    f.flush ()
    # -D: no dither, so that the output is the same on every run
    subprocess.run (["sox", "-V1", "-D", f.name, "-r", str (RATE), "-c",
                     "1", "-b", "16", "-e", "signed", wav + ".part.wav"],
                    check=True, stderr=subprocess.PIPE)
  os.replace (wav + ".part.wav", wav)


def wav_seconds (path):
  out = subprocess.run (["soxi", "-D", path], check=True,
                        stdout=subprocess.PIPE).stdout
  return float (out)


def is_val (text, every):
  return int (hashlib.sha1 (text.encode ()).hexdigest ()[:8], 16) % every == 0


def augment_clip (src, dst, seed, pitch_cents):
  """tempo, pitch, gain and generated noise (white, pink, brown, hum) at a
  random SNR, ranges of the synthetic corpus (AUGMENT)."""
  rng = np.random.default_rng (seed)
  a = corpus.AUGMENT
  tempo = rng.uniform (*a["tempo"])
  cents = int (rng.integers (-pitch_cents, pitch_cents + 1))
  x = corpus.sox_to_array (src, ["tempo", "-s", "%.3f" % tempo, "pitch",
                                 str (cents), "rate", str (RATE)])
  desc = {"tempo": round (tempo, 3), "pitch_cents": cents}
  if rng.random () < a["noise_probability"] and len (x):
    p = np.mean (x ** 2) + 1e-12
    snr = rng.uniform (*a["snr_db"])
    kind = str (rng.choice (a["noise_kinds"]))
    x = corpus.mix_at_snr (x, p, corpus.make_noise (kind, len (x), rng), snr)
    desc.update (noise=kind, snr_db=round (snr, 1))
  x = corpus.limit_peak (corpus.random_gain (x, rng, desc))
  pcm = np.clip (np.round (x * 32767.0), -32768, 32767).astype ("<i2")
  subprocess.run (["sox", "-V1", "-D", "-t", "raw", "-e", "signed", "-b",
                   "16", "-c", "1", "-r", str (RATE), "-", dst + ".part.wav"],
                  input=pcm.tobytes (), check=True, stderr=subprocess.PIPE)
  os.replace (dst + ".part.wav", dst)
  return desc


def self_test ():
  cases = [
    ("Fire-At-Will", "fire at will"),
    ("10 Minutes Remaining", "ten minutes remaining"),
    ("Warning! System Failure Imminent", "warning system failure imminent"),
    ("In this training session you'll learn how to build an effective base",
     "in this training session you'll learn how to build an effective base"),
    ("Mr. Dashwood's 2nd 'estate'", "mister dashwood's second estate"),
    ("Artefact Recovered", "artifact recovered"),
    ("Re-arming", "re arming"),
    ("Front_Left".replace ("_", " "), "front left"),
    ("The delivery point is indicated by the number 1",
     "the delivery point is indicated by the number one"),
    ("Call-Forward on No Answer.", "call forward on no answer"),
    ("fourtieth", "fortieth"),
    ("I'm goin' in", "i'm goin in"),
    ("press 0 for help", "press zero for help"),
  ]
  bad = 0
  for src, want in cases:
    got = normalise (src)
    if got != want:
      print ("FAIL normalise (%r) = %r, want %r" % (src, got, want))
      bad += 1
  print ("make-real-speech self-test: %d of %d cases ok"
         % (len (cases) - bad, len (cases)))
  return 1 if bad else 0


def main ():
  ap = argparse.ArgumentParser (description=__doc__.split ("\n")[0])
  ap.add_argument ("--out", help="output directory")
  ap.add_argument ("--wz", default=WZ, help="warzone2100 base.wz")
  ap.add_argument ("--val-every", type=int, default=4)
  ap.add_argument ("--augment", type=int, default=1,
                   help="copies of each training clip in "
                   "real-train-aug.tsv (1 = no augmentation file)")
  ap.add_argument ("--seed", type=int, default=1)
  ap.add_argument ("--sources", default=DEFAULT_SOURCES,
                   help="comma-separated source groups (%s) or all; "
                   "default %s" % (", ".join (ALL_SOURCES), DEFAULT_SOURCES))
  ap.add_argument ("--pitch-cents", type=int,
                   default=corpus.AUGMENT["pitch_cents"][1],
                   help="pitch shift range of the augmented copies, +-cents "
                   "(default: the synthetic corpus' 300)")
  ap.add_argument ("--self-test", action="store_true",
                   help="check the transcript normaliser and exit")
  args = ap.parse_args ()
  if args.self_test:
    sys.exit (self_test ())
  if not args.out:
    ap.error ("--out is required")
  groups = ALL_SOURCES if args.sources == "all" else [
      g.strip () for g in args.sources.split (",") if g.strip ()]
  bad = [g for g in groups if g not in ALL_SOURCES]
  if bad or not groups:
    ap.error ("--sources: unknown %s (known: %s, or all)"
              % (", ".join (bad) or "(none)", ", ".join (ALL_SOURCES)))
  clips = []
  z = None
  if "wz" in groups:
    if os.path.exists (args.wz):
      z = zipfile.ZipFile (args.wz)
      names = set (z.namelist ())
      clips += tutorial_clips (z) + voice_clips (z, names)
    else:
      skipping ("wz-*", args.wz, "warzone2100-data")
  if "alsa" in groups:
    if os.path.isdir (ALSA_DIR):
      clips += alsa_clips ()
    else:
      skipping ("alsa", ALSA_DIR, "alsa-utils")
  more = {"asterisk": asterisk_clips, "klettres": klettres_clips,
          "ktuberling": ktuberling_clips, "oa-voice": oa_clips,
          "re-voice": re_clips, "tuxpaint": tuxpaint_clips}
  for g in ALL_SOURCES[2:]:
    if g in groups:
      clips += more[g] ()
  if not clips:
    sys.exit ("make-real-speech: no source installed")

  seen = set ()
  rows = []
  skipped = []
  for family, src, raw in clips:
    if src.startswith (BENCH_DATA):
      continue
    data = read_source (family, src, z)
    digest = hashlib.sha1 (data).hexdigest ()
    text = normalise (raw)
    if digest in seen or not text:
      skipped.append ({"source": src, "reason": "duplicate audio"
                       if digest in seen else "empty transcript"})
      continue
    seen.add (digest)
    d = os.path.join (args.out, "wav", family)
    os.makedirs (d, exist_ok=True)
    wav = os.path.join (d, wav_name (family, src) + ".wav")
    if not os.path.exists (wav):
      decode (data, wav)
    secs = wav_seconds (wav)
    if len (text) > MAX_CHARS_PER_S * secs:
      skipped.append ({"source": src, "text": text, "seconds": secs,
                       "reason": "%.1f characters/s" % (len (text) / secs)})
      continue
    split = "val" if is_val (text, args.val_every) else "train"
    rows.append ({"family": family, "source": src, "raw": raw, "text": text,
                  "path": os.path.relpath (wav, args.out), "split": split,
                  "seconds": secs})

  def write (name, sel):
    with open (os.path.join (args.out, name), "w") as f:
      for r in sel:
        f.write ("%s\t%s\n" % (r["path"], r["text"]))

  write ("real-all.tsv", rows)
  write ("real-val.tsv", [r for r in rows if r["split"] == "val"])
  write ("real-train.tsv", [r for r in rows if r["split"] == "train"])

  aug = []
  if args.augment > 1:
    d = os.path.join (args.out, "wav", "aug")
    os.makedirs (d, exist_ok=True)
    for i, r in enumerate (x for x in rows if x["split"] == "train"):
      aug.append ((r["path"], r["text"]))
      for k in range (1, args.augment):
        dst = os.path.join (d, "%s-%s-%d.wav" % (r["family"],
            os.path.splitext (os.path.basename (r["path"]))[0], k))
        if not os.path.exists (dst):
          augment_clip (os.path.join (args.out, r["path"]), dst,
                        [args.seed, i, k], args.pitch_cents)
        aug.append ((os.path.relpath (dst, args.out), r["text"]))
    with open (os.path.join (args.out, "real-train-aug.tsv"), "w") as f:
      for p, t in aug:
        f.write ("%s\t%s\n" % (p, t))

  stats = {}
  for r in rows:
    for key in (r["family"], "all"):
      s = stats.setdefault (key, {}).setdefault (
          r["split"], {"clips": 0, "seconds": 0.0})
      s["clips"] += 1
      s["seconds"] = round (s["seconds"] + r["seconds"], 2)
  meta = {"sources": {"wz": args.wz, "alsa": ALSA_DIR,
                      "asterisk": ASTERISK_DIR, "klettres": KLETTRES_DIR,
                      "oa-voice": OA_PK3, "re-voice": RE_DIR,
                      "ktuberling": KTUBERLING_THEME,
                      "tuxpaint": TUXPAINT_STAMPS},
          "val_every": args.val_every, "augment": args.augment,
          "augmented_rows": len (aug), "stats": stats,
          "skipped": skipped, "clips": rows}
  with open (os.path.join (args.out, "real.json"), "w") as f:
    json.dump (meta, f, indent=1, sort_keys=True)
    f.write ("\n")
  for fam in sorted (stats):
    print ("%-12s %s" % (fam, "  ".join (
        "%s %d clips %.1f s" % (sp, v["clips"], v["seconds"])
        for sp, v in sorted (stats[fam].items ()))))
  print ("skipped %d clips (see real.json): %s" % (len (skipped), ", ".join (
      "%s (%s)" % (os.path.basename (k["source"]), k["reason"])
      for k in skipped)))
  if aug:
    print ("real-train-aug.tsv: %d rows (%d copies per clip)"
           % (len (aug), args.augment))


if __name__ == "__main__":
  main ()
