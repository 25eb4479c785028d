#!/bin/bash
# dltrain fit --task tag / eval on a tag model: a tiny corpus from
# scripts/make-tag-corpus.py, 2 epochs, the exported model (onnx.checker,
# dl.* metadata), eval's per-tag table, and manifest errors.
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

C=$WORK/corpus
run corpus $PY "$SOURCE_ROOT/scripts/make-tag-corpus.py" --out "$C" \
  --clips 80 --jobs 2
[ $rc = 0 ] || fail "make-tag-corpus failed"
for f in train.tsv val.tsv bench.tsv corpus.json; do
  [ -s "$C/$f" ] || fail "corpus has no $f"
done
$PY - "$C" <<'PYEOF' || fail "corpus.json does not match the manifests"
import json, os, sys, wave
c = sys.argv[1]
meta = json.load (open (os.path.join (c, "corpus.json")))
for split in ("train", "val"):
  rows = [l.rstrip ("\n").split ("\t") for l in open (os.path.join (c, split + ".tsv"))]
  assert len (rows) == meta["splits"][split]["clips"], split
  for tag, n in meta["splits"][split]["per_tag"].items ():
    assert n == sum (tag in r[1].split (",") for r in rows), (split, tag)
  assert all (len (r[1].split (",")) >= 1 for r in rows)
  w = wave.open (os.path.join (c, rows[0][0]))
  assert (w.getframerate (), w.getnchannels (), w.getnframes ()) == (16000, 1, 16000)
  assert meta["splits"][split]["multi_label"] > 0
# no source file in two splits
seen = {}
for split, src in meta["sources"].items ():
  for kind, files in src.items ():
    for f in files:
      assert seen.setdefault (f, split) == split, (f, split, seen[f])
PYEOF

# checkpoints: --stop-after 1 then --resume ends with the same weights as
# an uninterrupted run (data, dropout and optimizer state restored); other
# options are refused
TC=(--task tag --data "$C/train.tsv" --val-data "$C/val.tsv" --epochs 2
  --batch-size 16 --augment shift --arch vgg --width 8 --threads 1)
run ta "$DLTRAIN" fit "${TC[@]}" --output "$WORK/ta.onnx"
[ $rc = 0 ] || fail "uninterrupted tag fit failed"
run tb1 "$DLTRAIN" fit "${TC[@]}" --output "$WORK/tb.onnx" --stop-after 1
[ $rc = 0 ] || fail "tag fit --stop-after failed"
[ ! -e "$WORK/tb.onnx" ] || fail "--stop-after wrote the final model"
[ "$(cat "$WORK/tb.ckpt/latest")" = epoch-0001 ] || fail "no epoch-1 checkpoint"
run tb2 "$DLTRAIN" fit "${TC[@]}" --output "$WORK/tb.onnx" --resume
[ $rc = 0 ] || fail "tag fit --resume failed"
grep -q "^resumed from '$WORK/tb.ckpt' after epoch 1" "$WORK/tb2.out" ||
  fail "tag resume did not start after epoch 1"
grep -q '^epoch 1/2' "$WORK/tb2.out" && fail "tag resume repeated epoch 1"
[ -n "$(checksum "$WORK/ta.onnx")" ] &&
  [ "$(checksum "$WORK/ta.onnx")" = "$(checksum "$WORK/tb.onnx")" ] ||
  fail "resumed tag model differs from the uninterrupted one"
run tb3 "$DLTRAIN" fit "${TC[@]}" --output "$WORK/tb.onnx" --resume --lr 0.5
[ $rc = 1 ] && grep -q 'cannot resume' "$WORK/tb3.err" ||
  fail "tag resume with other options was not refused"

M=$WORK/tag.onnx
run fit "$DLTRAIN" fit --task tag --data "$C/train.tsv" --val-data "$C/val.tsv" \
  --output "$M" --epochs 2 --batch-size 16 --augment shift --threads 2
[ $rc = 0 ] || fail "fit --task tag failed"
[ "$(grep -c '^epoch [12]/2 .*val_macro_f1 [0-9.]*' "$WORK/fit.out")" = 2 ] ||
  fail "no per-epoch lines with val_macro_f1"
[ -s "$M" ] && [ -s "$WORK/tag-curve.png" ] || fail "no model or curve"

$PY - "$M" > "$WORK/meta.out" <<'PYEOF' || fail "bad exported model"
import json, sys, onnx
m = onnx.load (sys.argv[1])
onnx.checker.check_model (m, full_check=True)
meta = {p.key: p.value for p in m.metadata_props}
tags = ["applause", "music", "noise", "silence", "speech"]
assert meta["dl.task"] == "tag"
assert json.loads (meta["dl.labels"]) == tags, meta["dl.labels"]
thr = json.loads (meta["dl.thresholds"])
assert sorted (thr) == tags and all (0.05 <= v <= 0.95 for v in thr.values ()), thr
assert meta["dl.audio"].startswith ("rate=16000;features=logmel;n_mels=40;")
met = json.loads (meta["dl.metrics"])
assert 0 <= met["val_macro_f1"] <= 1 and all ("val_f1_" + t in met for t in tags)
dims = [d.dim_value or d.dim_param for d in m.graph.input[0].type.tensor_type.shape.dim]
assert dims[1:] == [1, 100, 40], dims
assert [o.name for o in m.graph.output] == ["probabilities"]
ops = [n.op_type for n in m.graph.node]
assert ops[:2] == ["Sub", "Div"] and ops[-1] == "Sigmoid", ops
print (met["val_macro_f1"])
PYEOF
f1_meta=$(cat "$WORK/meta.out")

run eval "$DLTRAIN" eval "$M" --data "$C/val.tsv"
[ $rc = 0 ] || fail "eval on the tag model failed"
for t in applause music noise silence speech; do
  grep -Eq "^$t +0\.[0-9]{2} +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9]+$" "$WORK/eval.out" ||
    fail "eval prints no precision/recall/F1 row for $t"
done
f1_eval=$(sed -n 's/^macro_f1: //p' "$WORK/eval.out")
# the same validation clips at the thresholds chosen on them
awk -v a="$f1_eval" -v b="$f1_meta" 'BEGIN { d = a - b; exit !(a != "" && d < 1e-4 && d > -1e-4) }' ||
  fail "eval macro F1 $f1_eval != dl.metrics $f1_meta"

# manifest errors
first=$(head -n 1 "$C/train.tsv" | cut -f 1)
printf '%s\tspeech\n%s\tSpeech,music\n' "$first" "$first" > "$C/bad-syntax.tsv"
run bad1 "$DLTRAIN" fit --task tag --data "$C/bad-syntax.tsv" --output "$WORK/x.onnx" --epochs 1
[ $rc = 1 ] && grep -q "bad-syntax.tsv:2: bad tag 'Speech'" "$WORK/bad1.err" ||
  fail "bad tag syntax not reported with file and line"
printf '%s\tspeech;music\n' "$first" > "$C/bad-sep.tsv"
run bad2 "$DLTRAIN" fit --task tag --data "$C/bad-sep.tsv" --output "$WORK/x.onnx" --epochs 1
[ $rc = 1 ] && grep -q "bad-sep.tsv:1: bad tag 'speech;music'" "$WORK/bad2.err" ||
  fail "a ';' separator not reported"
printf '%s\tspeech\nclips/nothere.wav\tmusic\n' "$first" > "$C/missing.tsv"
run bad3 "$DLTRAIN" fit --task tag --data "$C/missing.tsv" --output "$WORK/x.onnx" --epochs 1
[ $rc = 1 ] && grep -q "missing.tsv:2" "$WORK/bad3.err" &&
  grep -q "nothere.wav" "$WORK/bad3.err" || fail "missing clip not named"
printf '%s speech\n' "$first" > "$C/notab.tsv"
run bad4 "$DLTRAIN" fit --task tag --data "$C/notab.tsv" --output "$WORK/x.onnx" --epochs 1
[ $rc = 1 ] && grep -q "notab.tsv:1: expected 'path<TAB>tag1,tag2'" "$WORK/bad4.err" ||
  fail "line without a tab not reported"
printf '%s\tspeech,laughter\n' "$first" > "$C/unknown.tsv"
run bad5 "$DLTRAIN" eval "$M" --data "$C/unknown.tsv"
[ $rc = 1 ] && grep -q "unknown.tsv:1: unknown tag 'laughter'" "$WORK/bad5.err" ||
  fail "a tag the model does not know not reported"
[ ! -e "$WORK/x.onnx" ] || fail "a failed fit wrote a model"
echo "PASS"
