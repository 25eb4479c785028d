#!/usr/bin/python3
"""dlspeech vs the pocketsphinx GStreamer element on real recordings.

  /usr/bin/python3 bench/bench-speech.py [--build build]
      [--model samples/models/speech-en.onnx] [--engines dlspeech,pocketsphinx]
      [--verbose] [--record]

In one run, on the real human recordings of Debian's pocketsphinx-testdata
listed in bench/speech-refs.tsv (LibriVox dictation for open vocabulary;
playing-card and "go forward" commands):
  1. every recording is decoded once (Python's wave module or the raw
     16 kHz S16LE layout) to 16-bit mono PCM;
  2. for each engine and configuration, one GStreamer pipeline per
     recording, in this process:
        appsrc ! audioconvert ! audioresample ! ENGINE ! fakesink
     with ENGINE
        dlspeech      model=MODEL threads=1 (open vocabulary)
        dlspeech      ... lm=<pocketsphinx's en-us trigram LM as ARPA, made
                      by scripts/make-lm.sh> (open vocabulary + LM, the
                      same LM pocketsphinx uses)
        dlspeech      ... vocabulary=<the grammar's words>  (commands)
        dlspeech      ... grammar=<the same JSGF file pocketsphinx gets>
                      (commands; row "dlspeech grammar")
        pocketsphinx  its default en-us acoustic model, dictionary and
                      language model (open vocabulary)
        pocketsphinx  fsg=<the grammar converted by sphinx_jsgf2fsg>
                      (commands)
     The pipeline goes to PLAYING before any audio is pushed (the element
     loads its model then); the clock starts when the first sample is
     pushed and stops at EOS on the bus, so the real-time factor is the
     element's processing time (plus audioconvert/audioresample, the same
     for both) over the audio duration.  OPENBLAS_NUM_THREADS=1;
     pocketsphinx is single-threaded.
  3. final hypotheses (element messages "dlspeech" / "pocketsphinx" with
     final=TRUE) are joined per recording and scored against the reference:
     word error rate = word-level Levenshtein distance / reference words,
     summed over the set; both sides are normalised alike (lowercase,
     "mr" -> "mister", hyphens -> spaces, other punctuation dropped).
--record adds or replaces the section of bench/RESULTS.md between the
bench-speech markers.
"""

import argparse
import datetime
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DATA = "/usr/share/pocketsphinx/test/data"
REFS = os.path.join(HERE, "speech-refs.tsv")
GRAMMARS = {"cards/": os.path.join(DATA, "cards/cards.gram"),
            "goforward": os.path.join(DATA, "goforward.gram")}
BEGIN = "<!-- bench-speech: begin (bench/bench-speech.py --record) -->"
END = "<!-- bench-speech: end -->"


def normalise(text):
  t = text.lower().replace("-", " ")
  t = re.sub(r"[^a-z' ]+", " ", t)
  words = [("mister" if w == "mr" else w) for w in t.split()]
  return words


def edit_distance(a, b):
  prev = list(range(len(b) + 1))
  for i, x in enumerate(a, 1):
    cur = [i] + [0] * len(b)
    for j, y in enumerate(b, 1):
      cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y))
    prev = cur
  return prev[-1]


def read_refs():
  items = []
  with open(REFS) as f:
    for line in f:
      if not line.strip() or line.startswith("#"):
        continue
      s, path, ref = line.rstrip("\n").split("\t")
      items.append({"set": s, "path": os.path.join(DATA, path),
                    "name": path, "ref": ref})
  return items


def load_pcm(path):
  """16-bit mono PCM bytes and rate of a wav or a 16 kHz S16LE raw file."""
  if path.endswith(".raw"):
    with open(path, "rb") as f:
      return f.read(), 16000
  with wave.open(path, "rb") as w:
    if w.getsampwidth() != 2 or w.getnchannels() != 1:
      raise SystemExit("%s: expected 16-bit mono" % path)
    return w.readframes(w.getnframes()), w.getframerate()


def grammar_for(name):
  for prefix, gram in GRAMMARS.items():
    if name.startswith(prefix):
      return gram
  return None


def grammar_words(gram):
  """Terminal words of a JSGF grammar (what dlspeech's vocabulary gets)."""
  with open(gram) as f:
    text = f.read()
  text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
  text = re.sub(r"//[^\n]*", " ", text)
  words = set()
  for stmt in text.split(";"):
    if "=" not in stmt:
      continue
    rhs = stmt.split("=", 1)[1]
    rhs = re.sub(r"<[^>]*>", " ", rhs)
    for w in re.findall(r"[A-Za-z']+", rhs):
      words.add(w.lower())
  return sorted(words)


def jsgf_to_fsg(gram, tmp):
  out = os.path.join(tmp, os.path.basename(gram) + ".fsg")
  subprocess.run(["sphinx_jsgf2fsg", "-jsgf", gram, "-fsg", out],
                 check=True, stdout=subprocess.DEVNULL,
                 stderr=subprocess.DEVNULL)
  return out


class Runner:
  def __init__(self, Gst, GLib):
    self.Gst = Gst
    self.GLib = GLib

  def run(self, engine, props, pcm, rate):
    Gst = self.Gst
    pipe = Gst.parse_launch(
        "appsrc name=src format=time ! audioconvert ! audioresample ! "
        "%s name=engine ! fakesink sync=false" % engine)
    eng = pipe.get_by_name("engine")
    for k, v in props.items():
      eng.set_property(k, v)
    src = pipe.get_by_name("src")
    src.set_property("caps", Gst.Caps.from_string(
        "audio/x-raw,format=S16LE,layout=interleaved,channels=1,rate=%d"
        % rate))
    bus = pipe.get_bus()
    if pipe.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
      msg = bus.timed_pop_filtered(0, Gst.MessageType.ERROR)
      err = msg.parse_error()[0].message if msg else "state change failed"
      pipe.set_state(Gst.State.NULL)
      raise RuntimeError("%s: %s" % (engine, err))
    t0 = time.perf_counter()
    chunk = rate // 10 * 2
    n = len(pcm) // 2
    for off in range(0, len(pcm), chunk):
      data = pcm[off:off + chunk]
      buf = Gst.Buffer.new_wrapped(data)
      buf.pts = Gst.util_uint64_scale(off // 2, Gst.SECOND, rate)
      buf.duration = Gst.util_uint64_scale(len(data) // 2, Gst.SECOND, rate)
      src.emit("push-buffer", buf)
    src.emit("end-of-stream")
    texts, error = [], None
    while True:
      msg = bus.timed_pop_filtered(
          120 * Gst.SECOND,
          Gst.MessageType.EOS | Gst.MessageType.ERROR |
          Gst.MessageType.ELEMENT)
      if msg is None:
        error = "timeout"
        break
      if msg.type == Gst.MessageType.EOS:
        break
      if msg.type == Gst.MessageType.ERROR:
        error = msg.parse_error()[0].message
        break
      s = msg.get_structure()
      if s and s.get_name() in ("dlspeech", "pocketsphinx"):
        ok, final = s.get_boolean("final")
        if ok and final:
          t = s.get_string("text") or s.get_string("hypothesis") or ""
          texts.append(t)
    elapsed = time.perf_counter() - t0
    pipe.set_state(Gst.State.NULL)
    if error:
      raise RuntimeError("%s: %s" % (engine, error))
    return " ".join(texts), elapsed, n / rate


def main():
  ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  ap.add_argument("--build", default="build")
  ap.add_argument("--model",
                  default=os.path.join(REPO, "samples/models/speech-en.onnx"))
  ap.add_argument("--engines", default="dlspeech,pocketsphinx")
  ap.add_argument("--lm", help="ARPA LM for the dlspeech+lm rows (default: "
                  "made once by scripts/make-lm.sh in the temp dir); "
                  "'none' skips them")
  ap.add_argument("--verbose", action="store_true")
  ap.add_argument("--record", action="store_true")
  args = ap.parse_args()

  engines = args.engines.split(",")
  plugin_dir = os.path.join(os.path.abspath(args.build), "gst-plugin")
  os.environ["OPENBLAS_NUM_THREADS"] = "1"
  os.environ["OMP_NUM_THREADS"] = "1"
  os.environ["GST_PLUGIN_PATH_1_0"] = plugin_dir
  os.environ["GST_REGISTRY_1_0"] = os.path.join(
      tempfile.gettempdir(), "bench-speech-registry-%d.bin" % os.getuid())
  import gi
  gi.require_version("Gst", "1.0")
  from gi.repository import Gst, GLib
  Gst.init(None)
  runner = Runner(Gst, GLib)
  if "dlspeech" in engines:
    if not Gst.ElementFactory.find("dlspeech"):
      raise SystemExit("dlspeech not found in %s (build first)" % plugin_dir)
    if not os.path.exists(args.model):
      raise SystemExit("model %s not found (scripts/train-speech-en.sh "
                       "makes it)" % args.model)
  if "pocketsphinx" in engines and not Gst.ElementFactory.find("pocketsphinx"):
    raise SystemExit("pocketsphinx element missing: apt-get install "
                     "gstreamer1.0-pocketsphinx pocketsphinx-en-us")

  items = read_refs()
  tmp = tempfile.mkdtemp(prefix="bench-speech-")
  lm = args.lm
  if "dlspeech" in engines and lm != "none" and not lm:
    lm = os.path.join(tempfile.gettempdir(), "bench-speech-en-us.arpa")
    if not os.path.exists(lm):
      print("converting pocketsphinx's en-us LM to %s ..." % lm, flush=True)
      subprocess.run([os.path.join(REPO, "scripts/make-lm.sh"), lm],
                     check=True)
  configs = []
  for e in engines:
    configs.append((e, "open", None, None))
    if e == "dlspeech" and lm and lm != "none":
      configs.append((e, "open", lm, None))
    configs.append((e, "commands", None, None))
    if e == "dlspeech":
      configs.append((e, "commands", None, "grammar"))
  rows = []
  for engine, mode, cfg_lm, kind in configs:
    label = engine + ("+lm" if cfg_lm else "") + (" " + kind if kind else "")
    errs = words = 0
    proc = dur = 0.0
    n_items = 0
    failure = None
    for it in items:
      if it["set"] != mode:
        continue
      pcm, rate = load_pcm(it["path"])
      props = {}
      if engine == "dlspeech":
        props["model"] = args.model
        props["threads"] = 1
        if cfg_lm:
          props["lm"] = cfg_lm
      gram = grammar_for(it["name"])
      if mode == "commands" and gram:
        if engine == "dlspeech" and kind == "grammar":
          props["grammar"] = gram
        elif engine == "dlspeech":
          props["vocabulary"] = ",".join(grammar_words(gram))
        else:
          props["fsg"] = jsgf_to_fsg(gram, tmp)
      # pocketsphinx prints its whole configuration on stderr per decoder
      saved = os.dup(2)
      quiet = os.open(os.devnull, os.O_WRONLY)
      if not args.verbose:
        os.dup2(quiet, 2)
      try:
        hyp, el, d = runner.run(engine, props, pcm, rate)
      except RuntimeError as ex:
        failure = str(ex)
      finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(quiet)
      if failure:
        break
      ref_w, hyp_w = normalise(it["ref"]), normalise(hyp)
      e = edit_distance(ref_w, hyp_w)
      errs += e
      words += len(ref_w)
      proc += el
      dur += d
      n_items += 1
      if args.verbose:
        print("%-12s %-8s %-50s ref: %s\n%73s hyp: %s" %
              (label, mode, it["name"], " ".join(ref_w), "",
               " ".join(hyp_w)))
    rows.append({"engine": label,
                 "mode": mode, "n": n_items,
                 "words": words, "errors": errs,
                 "wer": errs / words if words else float("nan"),
                 "rtf": proc / dur if dur else float("nan"),
                 "audio": dur, "failure": failure})

  lines = []
  lines.append("| engine | set | recordings | audio (s) | ref words | "
               "WER | real-time factor (1 thread) |")
  lines.append("| --- | --- | --- | --- | --- | --- | --- |")
  for r in rows:
    if r["failure"]:
      lines.append("| %s | %s | failed: %s | | | | |" %
                   (r["engine"], r["mode"], r["failure"]))
      continue
    lines.append("| %s | %s | %d | %.1f | %d | %.1f%% | %.3f |" %
                 (r["engine"], r["mode"], r["n"], r["audio"], r["words"],
                  100 * r["wer"], r["rtf"]))
  by = {(r["engine"], r["mode"]): r for r in rows}
  ratios = []
  for eng, mode in (("dlspeech", "open"), ("dlspeech+lm", "open"),
                    ("dlspeech", "commands"), ("dlspeech grammar", "commands")):
    a, b = by.get((eng, mode)), by.get(("pocketsphinx", mode))
    if a and b and not a["failure"] and not b["failure"]:
      ratios.append("%s %s: RTF %s/pocketsphinx %.3f, WER %.1f%% vs "
                    "%.1f%%" % (eng, mode, eng, a["rtf"] / b["rtf"],
                                100 * a["wer"], 100 * b["wer"]))
  table = "\n".join(lines)
  print(table)
  for r in ratios:
    print(r)

  if args.record:
    cmd = "/usr/bin/python3 bench/bench-speech.py --build %s --record" % \
        args.build
    with open("/proc/loadavg") as f:
      load = f.read().split()[0]
    section = "\n".join([
        BEGIN, "## Speech recognition: dlspeech vs pocketsphinx", "",
        "Command: `%s` (%s UTC, %s, load average %s before the run)." %
        (cmd, datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"),
         platform.processor() or platform.machine(), load), "",
        "Model: `%s`. Recordings: bench/speech-refs.tsv (Debian's "
        "pocketsphinx-testdata, real human speech)." %
        os.path.relpath(args.model, REPO), "", table, ""] +
        ["- " + r for r in ratios] + ["", END])
    path = os.path.join(HERE, "RESULTS.md")
    old = open(path).read() if os.path.exists(path) else ""
    if BEGIN in old and END in old:
      new = old[:old.index(BEGIN)] + section + old[old.index(END) + len(END):]
    else:
      new = old.rstrip("\n") + "\n\n" + section + "\n"
    with open(path, "w") as f:
      f.write(new)
    print("recorded in bench/RESULTS.md")


if __name__ == "__main__":
  main()
