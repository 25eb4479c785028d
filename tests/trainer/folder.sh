#!/bin/bash
# A folder dataset (class sub-folders of PNG images written by cairo's PNG
# encoder; some test images re-encoded as JPEG by GStreamer's jpegenc when
# available) trains with the folder reader (libavformat/libavcodec) and
# evaluates well above chance on freshly drawn images; info shows the
# sub-folder names as labels; a corrupt image is a clear error.
. "$(dirname "$0")/common.sh"

"$MAKE_SHAPES" "$WORK/train" 60 32 1 || fail "make_shapes failed"
"$MAKE_SHAPES" "$WORK/test" 20 32 2 || fail "make_shapes failed"
if command -v gst-launch-1.0 >/dev/null &&
   gst-inspect-1.0 jpegenc >/dev/null 2>&1 && gst-inspect-1.0 pngdec >/dev/null 2>&1; then
  for c in disc grid stripes; do
    for i in 000 001 002 003 004; do
      gst-launch-1.0 -q filesrc location="$WORK/test/$c/$i.png" ! pngdec ! \
        videoconvert ! jpegenc quality=95 ! filesink location="$WORK/test/$c/$i.jpg" ||
        fail "jpegenc failed"
      rm "$WORK/test/$c/$i.png"
    done
  done
  echo "re-encoded 15 test images as JPEG"
fi

M="$WORK/shapes.onnx"
run fit "$DLTRAIN" fit --data "$WORK/train" --output "$M" --arch cnn-small \
  --epochs 6 --batch-size 16 --optimizer adam --lr 0.003 --threads 1 --val-split 0.2
[ $rc -eq 0 ] || fail "fit on a folder exited with $rc"
grep -q '^data: .*(folder), 144 training + 36 validation images, 3 classes' "$WORK/fit.out" ||
  fail "unexpected data summary"

run eval "$DLTRAIN" eval "$M" --data "$WORK/test"
[ $rc -eq 0 ] || fail "eval on a folder exited with $rc"
grep -q '^images: 60$' "$WORK/eval.out" || fail "eval did not read all 60 test images"
acc=$(accuracy "$WORK/eval.out")
gt "$acc" 0.8 || fail "folder accuracy $acc is not above 0.8"

run info "$DLTRAIN" info "$M"
for s in 'dl.labels: 3 labels' '0  disc' '1  grid' '2  stripes' \
    'dl.image: color=rgb;width=32;height=32' 'input \[N, 3, 32, 32\]'; do
  grep -q -- "$s" "$WORK/info.out" || fail "info output lacks '$s'"
done

# a class folder the model does not know
mkdir "$WORK/test/triangle" && cp "$WORK/test/disc/010.png" "$WORK/test/triangle/"
run evalbad "$DLTRAIN" eval "$M" --data "$WORK/test"
[ $rc -eq 1 ] && grep -q "class folder 'triangle' is not one of the model's labels" "$WORK/evalbad.err" ||
  fail "unknown class folder not reported"
# a corrupt image names the file
head -c 100 /dev/urandom > "$WORK/train/grid/bad.png"
run bad "$DLTRAIN" fit --data "$WORK/train" --output "$WORK/bad.onnx" --arch mlp --epochs 1
[ $rc -eq 1 ] && grep -q "cannot decode '$WORK/train/grid/bad.png'" "$WORK/bad.err" ||
  fail "corrupt image not reported"
echo PASS
