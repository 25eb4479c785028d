#!/bin/bash
# Bad input gives one clear error line on stderr and exit status 1:
# corrupt, truncated and inconsistent IDX files, bad options, missing
# files, corrupt models. Needs no downloaded data (synthetic IDX files).
. "$(dirname "$0")/common.sh"

# expect_error NAME PATTERN CMD...: exit 1 and stderr matching PATTERN
expect_error () {
  local name=$1 pat=$2
  shift 2
  run "$name" "$@"
  [ $rc -eq 1 ] || fail "$name: exit status $rc, expected 1"
  grep -q -- "$pat" "$WORK/$name.err" || fail "$name: stderr does not match '$pat'"
  [ "$(wc -l < "$WORK/$name.err")" -eq 1 ] || fail "$name: error is not one line"
  grep -q '^dltrain: ' "$WORK/$name.err" || fail "$name: error lacks the dltrain: prefix"
}

# synthetic IDX: N images of 28x28 (pixel = label * 25 + noise) and labels
mkidx () {  # DIR N [IMAGES_CLAIMED]
  local dir=$1 n=$2 claim=${3:-$2}
  mkdir -p "$dir"
  /usr/bin/python3 - "$dir" "$n" "$claim" <<'PY'
import random, struct, sys
d, n, claim = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(5)
labels = [i % 10 for i in range(n)]
with open(d + "/train-images-idx3-ubyte", "wb") as f:
    f.write(struct.pack(">IIII", 0x803, claim, 28, 28))
    for l in labels:
        f.write(bytes(min(255, l * 25 + random.randrange(20)) for _ in range(784)))
with open(d + "/train-labels-idx1-ubyte", "wb") as f:
    f.write(struct.pack(">II", 0x801, n) + bytes(labels))
PY
}

# a good synthetic set trains (plain, uncompressed IDX)
mkidx "$WORK/good" 300
run good "$DLTRAIN" fit --data "$WORK/good" --output "$WORK/good.onnx" --arch mlp \
  --epochs 2 --quiet --val-split 0
[ $rc -eq 0 ] || fail "fit on a valid uncompressed IDX set exited with $rc"

# truncated pixels (header claims 300 images, 100 present)
mkidx "$WORK/trunc" 100 300
expect_error trunc "truncated file: the pixels take 235200 bytes, only 78400 present" \
  "$DLTRAIN" fit --data "$WORK/trunc" --output "$WORK/x.onnx"
grep -q "$WORK/trunc/train-images-idx3-ubyte" "$WORK/trunc.err" || fail "trunc: path not named"

# truncated gzip stream
mkidx "$WORK/gz" 300
gzip -9 "$WORK/gz/train-images-idx3-ubyte" "$WORK/gz/train-labels-idx1-ubyte"
head -c 20000 "$WORK/gz/train-images-idx3-ubyte.gz" > "$WORK/gz/t.gz"
mv "$WORK/gz/t.gz" "$WORK/gz/train-images-idx3-ubyte.gz"
expect_error truncgz "train-images-idx3-ubyte.gz': truncated file" \
  "$DLTRAIN" fit --data "$WORK/gz" --output "$WORK/x.onnx"

# corrupt gzip data (bytes flipped in the middle of the deflate stream)
mkidx "$WORK/gz2" 300
gzip -9 "$WORK/gz2/train-images-idx3-ubyte"
/usr/bin/python3 -c "
import sys; p = sys.argv[1]; b = bytearray(open(p, 'rb').read())
for i in range(200, 260): b[i] ^= 0x5a
open(p, 'wb').write(b)" "$WORK/gz2/train-images-idx3-ubyte.gz"
expect_error corruptgz "train-images-idx3-ubyte.gz': \(corrupt gzip\|truncated\)" \
  "$DLTRAIN" fit --data "$WORK/gz2" --output "$WORK/x.onnx"

# wrong magic: a label file where images are expected
mkidx "$WORK/magic" 50
cp "$WORK/magic/train-labels-idx1-ubyte" "$WORK/magic/train-images-idx3-ubyte"
expect_error magic "not an IDX image file (magic 0x00000801, expected 0x00000803)" \
  "$DLTRAIN" fit --data "$WORK/magic" --output "$WORK/x.onnx"

# label count differs from image count
mkidx "$WORK/count" 50
mkidx "$WORK/count2" 60
cp "$WORK/count2/train-labels-idx1-ubyte" "$WORK/count/"
expect_error count "holds 60 labels but .* 50 images" \
  "$DLTRAIN" fit --data "$WORK/count" --output "$WORK/x.onnx"

# trailing garbage after the last image
mkidx "$WORK/trail" 50
echo junk >> "$WORK/trail/train-images-idx3-ubyte"
expect_error trail "unexpected data after the last item" \
  "$DLTRAIN" fit --data "$WORK/trail" --output "$WORK/x.onnx"

# options and paths
expect_error nodata "does not exist" "$DLTRAIN" fit --data "$WORK/nope" --output "$WORK/x.onnx"
expect_error badopt "unknown option '--bogus'" "$DLTRAIN" fit --bogus
expect_error badint "--epochs: 'ten' is not an integer" "$DLTRAIN" fit --epochs ten --data x --output y
expect_error badarch "--arch must be mlp, cnn-small, vgg or crnn" "$DLTRAIN" fit --arch resnet
expect_error noout "--output MODEL.onnx is required" "$DLTRAIN" fit --data "$WORK/good"
expect_error novalue "option '--data' needs a value" "$DLTRAIN" fit --data
expect_error badcmd "unknown command 'train'" "$DLTRAIN" train
expect_error nomodel "cannot load model: .*$WORK/missing.onnx.*No such file" "$DLTRAIN" info "$WORK/missing.onnx"
head -c 3000 "$WORK/good.onnx" > "$WORK/cut.onnx"
expect_error cutmodel "cannot load model: .*$WORK/cut.onnx.*\(truncated\|corrupt\)" "$DLTRAIN" info "$WORK/cut.onnx"
head -c 5000 /dev/urandom > "$WORK/noise.onnx"
expect_error noisemodel "cannot load model: .*$WORK/noise.onnx.*\(truncated\|corrupt\)" \
  "$DLTRAIN" eval "$WORK/noise.onnx" --data "$WORK/good"
expect_error evalnodata "--data PATH is required" "$DLTRAIN" eval "$WORK/good.onnx"

# help texts
for c in "" fit eval info; do
  run help "$DLTRAIN" $c --help
  [ $rc -eq 0 ] || fail "dltrain $c --help exited with $rc"
  grep -q '^Usage: dltrain' "$WORK/help.out" || fail "dltrain $c --help prints no usage"
done
echo PASS
