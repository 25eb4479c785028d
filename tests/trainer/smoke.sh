#!/bin/bash
# dltrain fit on a 3000-image subset of Fashion-MNIST (cnn-small, 2 epochs),
# then eval on the 10k test split must beat chance (0.1) by far (> 0.6);
# info shows the labels and the graph; the model passes onnx.checker.
. "$(dirname "$0")/common.sh"
need_fmnist

M="$WORK/fm.onnx"
run fit "$DLTRAIN" fit --data "$FMNIST" --output "$M" --arch cnn-small \
  --epochs 2 --limit 3000 --batch-size 64 --optimizer adam --lr 0.002 \
  --threads 1 --labels "$LABELS" --seed 3
[ $rc -eq 0 ] || fail "fit exited with $rc"
[ -s "$M" ] || fail "no model written"
grep -q '^epoch 1/2  loss [0-9.]*  acc [0-9.]*  val_acc [0-9.]*  lr [0-9.]*  time [0-9.]*s' \
  "$WORK/fit.out" || fail "no per-epoch line in the expected format"
grep -q '^epoch 2/2 ' "$WORK/fit.out" || fail "no line for epoch 2"
grep -q '^test_accuracy 0\.[0-9]*' "$WORK/fit.out" || fail "fit did not print the test accuracy"
# the training curve is a real PNG next to the model
[ "$(head -c 8 "$WORK/fm-curve.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
  fail "fm-curve.png is not a PNG"
[ -f "$WORK/fm.ckpt/latest" ] || fail "no checkpoint written"

run eval "$DLTRAIN" eval "$M" --data "$FMNIST"
[ $rc -eq 0 ] || fail "eval exited with $rc"
acc=$(accuracy "$WORK/eval.out")
[ -n "$acc" ] || fail "eval printed no accuracy line"
gt "$acc" 0.6 || fail "test accuracy $acc is not above 0.6"
grep -q '^images: 10000$' "$WORK/eval.out" || fail "eval did not use the 10k test split"
grep -q 'Ankle boot' "$WORK/eval.out" || fail "confusion matrix lacks label names"
# eval's accuracy equals what fit stored in dl.metrics
fitacc=$(sed -n 's/^test_accuracy \([0-9.]*\).*/\1/p' "$WORK/fit.out")
[ "$fitacc" = "$acc" ] || fail "fit test_accuracy $fitacc != eval accuracy $acc"

run info "$DLTRAIN" info "$M"
[ $rc -eq 0 ] || fail "info exited with $rc"
for s in 'dl.task: classify' 'T-shirt/top' 'Ankle boot' 'dl.image: color=gray;width=28;height=28' \
    'dl.provenance: {"trainer": "dltrain' '"test_accuracy": '"$acc" \
    'input \[N, 1, 28, 28\]' 'probabilities \[N, 10\]' \
    'Conv  *conv1  *\[N, 16, 28, 28\]  *416' 'Softmax' 'total parameters: '; do
  grep -q -- "$s" "$WORK/info.out" || fail "info output lacks '$s'"
done

if /usr/bin/python3 -c 'import onnx' 2>/dev/null; then
  run checker /usr/bin/python3 -c "import onnx, sys; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print('opset', m.opset_import[0].version)" "$M"
  [ $rc -eq 0 ] || fail "onnx.checker rejects the model"
fi
echo PASS
