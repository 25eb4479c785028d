#!/bin/bash
# The audio tagger's streams: scripts/make-tag-corpus.py keeps the bench
# split fixed (the sources it had before EXTRA_NOISE / EXTRA_MUSIC_GLOBS
# were added, exactly) and writes a validation stream of val sources only;
# bench/bench-tags.py's decision and scoring functions against hand-worked
# values; scripts/tune-tag-thresholds.py on a 1-epoch model: thresholds on
# its grid, metrics written, per-tag F1 never below the trainer's
# thresholds' on the same stream.
. "$(dirname "$0")/common.sh"
PY=/usr/bin/python3

for t in espeak-ng flite text2wave sox gst-launch-1.0; do
  command -v $t >/dev/null || { echo "SKIP: $t missing (scripts/install-deps.sh)"; exit 77; }
done
for d in /usr/share/games/wesnoth/1.16/data/core/music \
    /usr/share/games/lincity-ng/sounds /usr/share/sonic-pi/samples; do
  [ -d "$d" ] || { echo "SKIP: $d missing (scripts/install-deps.sh)"; exit 77; }
done
$PY -c 'import numpy, onnx' 2>/dev/null ||
  { echo "SKIP: /usr/bin/python3 without numpy/onnx"; exit 77; }

# scoring: hand-worked cases (1 s resolution, boundaries)
$PY - "$SOURCE_ROOT" <<'PYEOF' || fail "bench-tags decide/score disagree with hand values"
import importlib.util, os, sys
import numpy as np
spec = importlib.util.spec_from_file_location (
    "bt", os.path.join (sys.argv[1], "bench", "bench-tags.py"))
bt = importlib.util.module_from_spec (spec)
spec.loader.exec_module (bt)
# one decision per 1000 ms hop at centres 0.5, 1.5, 2.5: on, off, on
segs = bt.decide (np.array ([[0.9], [0.2], [0.8]]), [0.5, 1.5, 2.5],
                  ["music"], [0.5], 1000, 4.0)
assert [(t, a, b) for t, a, b, _ in segs] == [("music", 0.0, 1.0),
                                              ("music", 2.0, 4.0)], segs
assert abs (segs[0][3] - 0.9) < 1e-9 and abs (segs[1][3] - 0.8) < 1e-9
ref = [(0.0, 2.0, {"music"}), (2.0, 4.0, {"speech"})]
out = [("music", 0.0, 2.2), ("speech", 2.2, 4.0), ("noise", 1.0, 3.0)]
res, macro, mbe, n = bt.score (ref, out, ["music", "noise", "speech"], 4.0)
# music: seconds 0, 1 both; speech: 2, 3 both (2.2-3 covers 0.8 of
# second 2); noise: seconds 1, 2 false positives, no support
assert (res["music"]["tp"], res["music"]["fp"], res["music"]["fn"]) == (2, 0, 0)
assert (res["speech"]["tp"], res["speech"]["fp"], res["speech"]["fn"]) == (2, 0, 0)
assert (res["noise"]["tp"], res["noise"]["fp"], res["noise"]["fn"]) == (0, 2, 0)
assert res["noise"]["f1"] == 0.0 and abs (macro - 2 / 3) < 1e-9, macro
# boundaries: music ends at 2 (out 2.2), speech starts at 2 (out 2.2)
assert n == 2 and abs (mbe - 0.2) < 1e-9, (n, mbe)
# tune-tag-thresholds' choice: the best F1 (ties nearest 0.5), or with a
# tolerance the threshold nearest 0.5 within it of the best
spec = importlib.util.spec_from_file_location (
    "tt", os.path.join (sys.argv[1], "scripts", "tune-tag-thresholds.py"))
tt = importlib.util.module_from_spec (spec)
spec.loader.exec_module (tt)
c = [0.3, 0.1, 0.4, 0.6, 0.97]
f = [0.70, 0.80, 0.79, 0.80, 0.801]
assert tt.pick (c, f) == 0.97
assert tt.pick (c, f, 0.002) == 0.6         # 0.4 is 0.011 below
assert tt.pick (c, f, 0.02) == 0.4          # 0.4 and 0.6 tie: the first
assert tt.pick (c, [0.5, 0.8, 0.8, 0.8, 0.7]) == 0.4
PYEOF

C=$WORK/corpus
run corpus $PY "$SOURCE_ROOT/scripts/make-tag-corpus.py" --out "$C" \
  --clips 40 --jobs 2
[ $rc = 0 ] || fail "make-tag-corpus failed"
$PY - "$C" "$SOURCE_ROOT" <<'PYEOF' || fail "bench split changed or valstream not from val"
import importlib.util, json, os, sys, wave
c, root = sys.argv[1], sys.argv[2]
spec = importlib.util.spec_from_file_location (
    "mtc", os.path.join (root, "scripts", "make-tag-corpus.py"))
mtc = importlib.util.module_from_spec (spec)
spec.loader.exec_module (mtc)
meta = json.load (open (os.path.join (c, "corpus.json")))
src = meta["sources"]
G = "/usr/share/games/"
# the bench's sources as they were when its figures were first measured
bench = {
  "music": [G + "warzone2100/music/albums/legacy_soundtrack/track13.opus",
            G + "warzone2100/music/albums/legacy_soundtrack/track16.opus"] +
           [G + "wesnoth/1.16/data/core/music/%s.ogg" % f for f in (
               "battle", "casualties_of_war", "into_the_shadows",
               "northern_mountains", "victory")],
  "applause": [G + "lincity-ng/sounds/SportsCroud3.wav",
               G + "frozen-bubble/snd/applause.ogg"],
  "noise": [G + "lincity-ng/sounds/%s.wav" % f for f in (
               "Blacksmith1", "Build2", "IndustryHigh1", "IndustryHigh2",
               "OreMine1", "PowerCoalFull", "RailTrain1", "Raze3", "Rocket1",
               "RocketTakeoff1", "Tip3", "TraficHigh1", "TraficLow3",
               "Water1", "Water2", "Water5", "WindMill3")] +
           ["/usr/share/sonic-pi/samples/vinyl_hiss.flac"] +
           ["opensfx:%d" % i for i in (14, 24, 52, 56, 57, 59, 61)] +
           [G + "etr/sounds/leaves_slide.wav"]}
have_all = all (mtc.source_exists (f) for k in bench for f in bench[k])
for k in bench:
  if have_all:
    assert src["bench"][k] == bench[k], (k, src["bench"][k])
  assert not set (src["bench"][k]) - set (bench[k]), k
extra = set (mtc.EXTRA_NOISE)
assert not extra & set (src["bench"]["noise"])
for split in ("train", "val"):
  for f in src[split]["noise"]:
    if f in extra:
      assert mtc.split_trainval (f, mtc.EXTRA_NOISE) == split, f
# numbered variants of one recording share a split
fam = {}
for f in mtc.EXTRA_NOISE:
  fam.setdefault (mtc._family (f), set ()).add (mtc.split_trainval (
      f, mtc.EXTRA_NOISE))
assert all (len (s) == 1 for s in fam.values ())
assert {mtc.split_trainval (f, mtc.EXTRA_NOISE) for f in mtc.EXTRA_NOISE} \
    == {"train", "val"}
# validation holds out whole families of effects (never a sibling of a
# training file) and a crowd of another package than training's
fams = {s: {mtc.effect_family (f) for f in src[s]["noise"] if f not in extra}
        for s in ("train", "val")}
assert fams["val"] and not fams["train"] & fams["val"], fams
assert mtc.effect_family (mtc.LINCITY + "Water3.wav") == \
    mtc.effect_family (mtc.LINCITY + "Water1.wav") == "lincity:Water"
assert mtc.effect_family (mtc.LINCITY + "TraficLow1.wav") == "lincity:Trafic"
pkg = lambda f: f.split (":")[0] if ":" in f else os.path.dirname (f)
assert not {pkg (f) for f in src["val"]["applause"]} & \
    {pkg (f) for f in src["train"]["applause"]}, src["val"]["applause"]
# the validation stream: val recordings, all five-tag vocabulary but
# silence (made by the composer), whole speech files
rows = [l.rstrip ("\n").split ("\t") for l in
        open (os.path.join (c, "valstream.tsv"))]
kinds = {t for _, t in rows}
assert kinds == {"music", "noise", "applause", "speech", "applause,music",
                 "speech,noise"}, kinds
# utterances with pauses inside and the multi-label excerpts
assert sum (p.startswith ("valstream/speech-pauses") and t == "speech"
            for p, t in rows) == 6
assert sum (t == "applause,music" for _, t in rows) == 1
assert sum (t == "speech,noise" for _, t in rows) == 3
n_music = sum (t == "music" for _, t in rows)
assert n_music == len (src["val"]["music"]), (n_music, len (src["val"]["music"]))
# its noise: every val effect, 4 generated noises, 6 sequences of the
# val split's short effects (EVENT_NOISE) when it has any
assert sum (t == "noise" for _, t in rows) == len (src["val"]["noise"]) + 4 \
    + (6 if src["val"]["events"] else 0)
# short effects: never in the bench, train or val by split_trainval
events = set (mtc.EVENT_NOISE)
assert not events & set (src["bench"]["noise"]) and not src["bench"]["events"]
for split in ("train", "val"):
  for f in src[split]["events"]:
    assert f in events and mtc.split_trainval (f, mtc.EVENT_NOISE) == split, f
assert meta["splits"]["valstream"]["files"] == len (rows)
for p, _ in rows:
  w = wave.open (os.path.join (c, p))
  assert (w.getframerate (), w.getnchannels ()) == (16000, 1) and \
      w.getnframes () >= 1600, p
PYEOF

# the bench files of corpus $2 (bench.tsv and every file it lists) are
# byte-identical to those of corpus $1
same_bench () {
  cmp -s "$1/bench.tsv" "$2/bench.tsv" || return 1
  local f
  while IFS=$'\t' read -r f _; do
    cmp -s "$1/$f" "$2/$f" || return 1
  done < "$1/bench.tsv"
}

# --more-sources (T9, issue 5): MIDI songs (fluidsynth), more real applause
# and effects, for train / val only: the bench files stay byte-identical,
# each new pool is split by split_trainval, val's crowds are of other
# packages than training's
if command -v fluidsynth >/dev/null && [ -f /usr/share/games/tennix/tennix.tnx ] &&
   [ -d /usr/share/games/tuxfootball ] && [ -d /usr/share/games/foobillardplus ] &&
   [ -d /usr/share/games/openttd/baseset/openmsx ]; then
  C2=$WORK/corpus-more
  run corpus-more $PY "$SOURCE_ROOT/scripts/make-tag-corpus.py" --out "$C2" \
    --clips 40 --jobs 2 --more-sources
  [ $rc = 0 ] || fail "make-tag-corpus --more-sources failed"
  same_bench "$C" "$C2" || fail "make-tag-corpus --more-sources changed the bench files"
  $PY - "$C" "$C2" "$SOURCE_ROOT" <<'PYEOF' || fail "--more-sources changed the bench or mixed splits"
import importlib.util, json, os, sys
c, c2, root = sys.argv[1:4]
spec = importlib.util.spec_from_file_location (
    "mtc", os.path.join (root, "scripts", "make-tag-corpus.py"))
mtc = importlib.util.module_from_spec (spec)
spec.loader.exec_module (mtc)
src, src2 = (json.load (open (os.path.join (d, "corpus.json")))["sources"]
             for d in (c, c2))
assert src["bench"] == src2["bench"]
midi = ["midi:" + f for f in mtc.MIDI_MUSIC]
for split in ("train", "val"):
  new = [f for f in src2[split]["music"] if f.startswith ("midi:")]
  assert new and all (mtc.split_trainval (f, midi) == split for f in new)
  assert len (new) == sum (mtc.split_trainval (f, midi) == split
                           for f in midi), split
  for f in src2[split]["events"]:
    pool = mtc.EVENT_NOISE2 if f in mtc.EVENT_NOISE2 else mtc.EVENT_NOISE
    assert mtc.split_trainval (f, pool) == split, f
  assert src2[split]["applause"] == src[split]["applause"] + \
      mtc.APPLAUSE2[split], src2[split]["applause"]
  # the sources of the default corpus are kept, in their order
  for k in ("music", "noise", "events"):
    assert src2[split][k][:len (src[split][k])] == src[split][k], (split, k)
assert len (src2["val"]["applause"]) == 3
pkg = lambda f: f.split (":")[0] if ":" in f else os.path.dirname (f)
assert not {pkg (f) for f in src2["val"]["applause"]} & \
    {pkg (f) for f in src2["train"]["applause"]}
# tennix.tnx members: Ogg data; an unknown name is refused
ogg = mtc.tennix_member ("applause.ogg")
assert ogg[:4] == b"OggS" and len (ogg) > 10000
x = mtc.decode ("tennix:applause.ogg")
assert 6.0 < len (x) / mtc.RATE < 7.0, len (x)
try:
  mtc.tennix_member ("nothing.ogg")
  assert False, "unknown member accepted"
except ValueError:
  pass
# a rendered song: MIDI_SEC seconds from its first sound, not silent
y = mtc.decode (midi[0])
assert len (y) == mtc.MIDI_SEC * mtc.RATE and abs (y[0]) > 1e-3 and \
    mtc.rms (y) > 0.01, (len (y), mtc.rms (y))
rows = [l.rstrip ("\n").split ("\t") for l in
        open (os.path.join (c2, "valstream.tsv"))]
assert sum (t == "applause" and "claps" not in p for p, t in rows) == 3
assert sum (t == "music" for _, t in rows) == len (src2["val"]["music"])
PYEOF
else
  echo "note: --more-sources not checked (fluidsynth, openttd-openmsx, tennix, tuxfootball or foobillardplus-data missing)"
fi

# --real-speech (T11, issue 5): make-real-speech.py's real recorded voices
# for train / val only, whole families per split (val: REAL_WORDS_VAL),
# never the bench's pocketsphinx recordings; the bench files stay
# byte-identical; the validation stream gets two 5 s utterances of each
# val family; real_utterance says one family's clips in a row with pauses
if [ -f /usr/share/games/warzone2100/base.wz ] && [ -d /usr/share/sounds/alsa ] &&
   [ -d /usr/share/asterisk/sounds/en_US_f_Allison ] && [ -d /usr/share/klettres ]; then
  C3=$WORK/corpus-rs
  run corpus-rs $PY "$SOURCE_ROOT/scripts/make-tag-corpus.py" --out "$C3" \
    --clips 40 --jobs 2 --real-speech
  [ $rc = 0 ] || fail "make-tag-corpus --real-speech failed"
  same_bench "$C" "$C3" || fail "make-tag-corpus --real-speech changed the bench files"
  $PY - "$C" "$C3" "$SOURCE_ROOT" <<'PYEOF' || fail "--real-speech changed the bench or mixed splits"
import importlib.util, json, os, sys, wave
import numpy as np
c, c3, root = sys.argv[1:4]
spec = importlib.util.spec_from_file_location (
    "mtc", os.path.join (root, "scripts", "make-tag-corpus.py"))
mtc = importlib.util.module_from_spec (spec)
spec.loader.exec_module (mtc)
src, src3 = (json.load (open (os.path.join (d, "corpus.json")))["sources"]
             for d in (c, c3))
assert "real_words" not in src["train"] and "real_words" not in src3["bench"]
tr, va = src3["train"]["real_words"], src3["val"]["real_words"]
# whole families per split, the val ones named in REAL_WORDS_VAL
assert tr and va and not set (tr) & set (va), (sorted (tr), sorted (va))
assert set (va) <= mtc.REAL_WORDS_VAL and not set (tr) & mtc.REAL_WORDS_VAL
for fam in list (tr.values ()) + list (va.values ()):
  for f in fam:
    assert not f.split (":")[-1].startswith (mtc.msr.BENCH_DATA) and \
        "pocketsphinx" not in f, f
# the other sources are those of the default corpus
for split in ("train", "val", "bench"):
  for k in ("music", "noise", "applause", "events"):
    assert src3[split][k] == src[split][k], (split, k)
rows = [l.rstrip ("\n").split ("\t") for l in
        open (os.path.join (c3, "valstream.tsv"))]
for fam in va:
  got = [p for p, t in rows if p.startswith ("valstream/speech-%s" % fam)]
  assert len (got) == 2, (fam, got)
  for p in got:
    w = wave.open (os.path.join (c3, p))
    assert w.getnframes () >= 5 * 16000, p
assert len (rows) == sum (1 for _ in open (os.path.join (c, "valstream.tsv"))) \
    + 2 * len (va)
# real_utterance: clips of a known level said in a row, each at the
# level of the others within 3 dB, 0.05-0.4 s pauses over a quiet room
# tone, at least n samples
rng = np.random.default_rng (3)
tone = lambda hz, s: 0.3 * np.sin (2 * np.pi * hz *
                                    np.arange (int (s * 16000)) / 16000)
y = mtc.real_utterance ([tone (200, 0.3), 0.01 * tone (300, 0.5)], 48000, rng)
assert len (y) >= 48000
env = np.array ([mtc.rms (y[i:i + 160]) for i in range (0, len (y) - 160, 160)])
# (the clips' levels differ by 30 dB; the 5th / 95th percentiles leave
# out the frames across a clip's edges)
loud = env[env > 0.1 * env.max ()]
spread = 20 * np.log10 (np.percentile (loud, 95) / np.percentile (loud, 5))
assert spread < 10, spread
quiet = env[env < 0.1 * np.median (loud)]
assert len (quiet) >= 5 and quiet.min () > 0, len (quiet)
PYEOF
else
  echo "note: --real-speech not checked (warzone2100-data, alsa-utils, asterisk-core-sounds-en or klettres-data missing)"
fi

# scripts/train-audio-tags.sh keeps a built corpus only when it was made
# with the settings asked for (REAL_SPEECH=1 must not train on a default
# corpus)
mkdir -p "$WORK/kept"
cp "$C/corpus.json" "$WORK/kept/"
run kept env CLIPS=40 REAL_SPEECH=1 CORPUS_DIR="$WORK/kept" \
  bash "$SOURCE_ROOT/scripts/train-audio-tags.sh" "$WORK/no-build" "$WORK/kept/m.onnx"
[ $rc = 1 ] && grep -q "kept/corpus.json was made with --clips 40, these settings want .* --real-speech --seed 1: set CORPUS_DIR" \
  "$WORK/kept.err" || fail "train-audio-tags kept a corpus of other settings"

# --image-size N_MELSxFRAMES: another window; a wrong band count is refused
W=$WORK/w50.onnx
run fit50 "$DLTRAIN" fit --task tag --data "$C/train.tsv" --val-data "$C/val.tsv" \
  --output "$W" --epochs 1 --batch-size 16 --image-size 40x50 \
  --augment shift --spec-augment 2 --threads 2
[ $rc = 0 ] || fail "fit --task tag --image-size 40x50 failed"
$PY - "$W" <<'PYEOF' || fail "--image-size 40x50 did not give a 50-frame window"
import sys, onnx
m = onnx.load (sys.argv[1])
dims = [d.dim_value or d.dim_param for d in m.graph.input[0].type.tensor_type.shape.dim]
assert dims[1:] == [1, 50, 40], dims
PYEOF
run badsize "$DLTRAIN" fit --task tag --data "$C/train.tsv" --output "$WORK/x.onnx" \
  --epochs 1 --image-size 30x100
[ $rc = 1 ] && grep -q "image-size 30x100: a tag patch is N_MELSxFRAMES with N_MELS = 40" \
  "$WORK/badsize.err" || fail "a patch with the wrong band count not refused"

$PY -c 'import torch, torchaudio' 2>/dev/null ||
  { echo "SKIP: tuning needs torchaudio (/usr/bin/python3)"; exit 77; }
M=$WORK/tag.onnx
run fit "$DLTRAIN" fit --task tag --data "$C/train.tsv" --val-data "$C/val.tsv" \
  --output "$M" --epochs 1 --batch-size 16 --threads 2
[ $rc = 0 ] || fail "fit --task tag failed"
T=$WORK/tuned.onnx
run tune $PY "$SOURCE_ROOT/scripts/tune-tag-thresholds.py" --model "$M" \
  --build "$(dirname "$(dirname "$(dirname "$DLTRAIN")")")" --corpus "$C" \
  --output "$T" --seeds 1,2 --try-smoothing 1,3
[ $rc = 0 ] && [ -s "$T" ] || fail "tune-tag-thresholds failed"
$PY - "$M" "$T" "$WORK/tune.out" <<'PYEOF' || fail "bad tuned model"
import json, re, sys, onnx
a, b = onnx.load (sys.argv[1]), onnx.load (sys.argv[2])
onnx.checker.check_model (b, full_check=True)
assert a.graph == b.graph
ma = {p.key: p.value for p in a.metadata_props}
mb = {p.key: p.value for p in b.metadata_props}
assert set (ma) == set (mb)
for k in ma:
  if k not in ("dl.thresholds", "dl.metrics"):
    assert ma[k] == mb[k], k
thr = json.loads (mb["dl.thresholds"])
tags = json.loads (mb["dl.labels"])
assert sorted (thr) == sorted (tags)
assert all (abs (v * 100 - round (v * 100)) < 1e-6 and 0.01 <= v <= 0.99
            for v in thr.values ()), thr
met = json.loads (mb["dl.metrics"])
assert met["val_macro_f1"] == json.loads (ma["dl.metrics"])["val_macro_f1"]
assert 0 <= met["valstream_macro_f1"] <= 1 and met["valstream_smoothing"] == 1
# per smoothing setting: each tag's F1 at the chosen thresholds >= at the
# trainer's (the chosen one maximises it over a grid that the search
# holds the trainer's value)
text = open (sys.argv[3]).read ()
lines = re.findall (r"^smoothing (\d+), (trainer thresholds|chosen \S+) +(.*)"
                    r"macro ([0-9.]+)", text, re.M)
assert len (lines) == 4, text
for i in (0, 2):
  fa = dict (re.findall (r"(\w+) ([0-9.]+)", lines[i][2]))
  fb = dict (re.findall (r"(\w+) ([0-9.]+)", lines[i + 1][2]))
  for t in tags:
    assert float (fb[t]) >= float (fa[t]) - 1e-3, (t, fa, fb)
  assert float (lines[i + 1][3]) >= float (lines[i][3]) - 1e-3
m1 = [l for l in lines if l[0] == "1" and l[1].startswith ("chosen")][0]
assert abs (float (m1[3]) - met["valstream_macro_f1"]) < 1e-3
PYEOF

# --into: the thresholds chosen for M (as in tuned.onnx) go into another
# model of the same labels (the train + val one of TRAINVAL=1), whose
# graph is kept and whose trainer val_* figures become seen_val_*
M2=$WORK/tag2.onnx
run fit2 "$DLTRAIN" fit --task tag --data "$C/train.tsv" --val-data "$C/val.tsv" \
  --output "$M2" --epochs 1 --batch-size 16 --threads 2 --seed 2
[ $rc = 0 ] || fail "second fit --task tag failed"
cp "$M2" "$WORK/tag2-orig.onnx"
run into $PY "$SOURCE_ROOT/scripts/tune-tag-thresholds.py" --model "$M" \
  --build "$(dirname "$(dirname "$(dirname "$DLTRAIN")")")" --corpus "$C" \
  --into "$M2" --seeds 1,2 --try-smoothing 1
[ $rc = 0 ] || fail "tune-tag-thresholds --into failed"
$PY - "$T" "$WORK/tag2-orig.onnx" "$M2" <<'PYEOF' || fail "bad --into model"
import json, sys, onnx
t, o, b = (onnx.load (f) for f in sys.argv[1:4])
assert b.graph == o.graph and b.graph != t.graph
mt, mo, mb = ({p.key: p.value for p in m.metadata_props} for m in (t, o, b))
assert mb["dl.thresholds"] == mt["dl.thresholds"], (mb["dl.thresholds"],
                                                    mt["dl.thresholds"])
met, orig, tun = (json.loads (m["dl.metrics"]) for m in (mb, mo, mt))
assert met["thresholds_of"] == "tag.onnx"
assert met["valstream_macro_f1_of"] == tun["valstream_macro_f1"]
assert "val_macro_f1" not in met and "valstream_macro_f1" not in met
assert met["seen_val_macro_f1"] == orig["val_macro_f1"]
PYEOF
echo "PASS"
