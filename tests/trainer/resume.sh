#!/bin/bash
# A run stopped after epoch 1 and resumed with --resume gives exactly the
# same weights (parameter checksum) and epoch lines as an uninterrupted run.
# vgg (BatchNormalization running stats, Dropout RNG) with augmentation
# (data RNG) and a cosine schedule with warm-up (step count).
. "$(dirname "$0")/common.sh"
need_fmnist

common=(--data "$FMNIST" --arch vgg --width 4 --epochs 3 --limit 600
  --batch-size 32 --augment shift,flip --warmup-epochs 0.5 --seed 7
  --threads 1 --optimizer adamw)
run full "$DLTRAIN" fit "${common[@]}" --output "$WORK/full.onnx"
[ $rc -eq 0 ] || fail "uninterrupted fit exited with $rc"
run part1 "$DLTRAIN" fit "${common[@]}" --output "$WORK/part.onnx" --stop-after 1
[ $rc -eq 0 ] || fail "fit --stop-after 1 exited with $rc"
[ ! -e "$WORK/part.onnx" ] || fail "a stopped run wrote the final model"
[ "$(cat "$WORK/part.ckpt/latest")" = epoch-0001 ] || fail "no epoch-1 checkpoint"
run part2 "$DLTRAIN" fit "${common[@]}" --output "$WORK/part.onnx" --resume
[ $rc -eq 0 ] || fail "fit --resume exited with $rc"
grep -q 'resumed from .* after epoch 1' "$WORK/part2.out" || fail "did not resume"
grep -q '^epoch 1/3' "$WORK/part2.out" && fail "resumed run repeated epoch 1"

a=$(checksum "$WORK/full.onnx")
b=$(checksum "$WORK/part.onnx")
echo "checksums: uninterrupted $a, resumed $b"
[ -n "$a" ] && [ "$a" = "$b" ] || fail "resumed weights differ from the uninterrupted run"
# same losses and accuracies epoch by epoch (times differ)
strip () { sed -n 's/^\(epoch [0-9/]*  loss .*  lr [0-9.]*\)  time.*/\1/p' "$1"; }
diff <(strip "$WORK/full.out" | tail -n 2) <(strip "$WORK/part2.out") ||
  fail "epoch lines differ"
diff <(strip "$WORK/full.out" | head -n 1) <(strip "$WORK/part1.out") ||
  fail "epoch 1 differs"
# a checkpoint from other options is refused
run other "$DLTRAIN" fit "${common[@]}" --lr 0.01 --output "$WORK/part.onnx" --resume
[ $rc -eq 1 ] || fail "resume with other options exited with $rc"
grep -q 'other options' "$WORK/other.err" || fail "no clear error for mismatched resume"
# reproducible for a seed and thread count: two 2-thread runs agree
r2=(--data "$FMNIST" --arch vgg --width 4 --epochs 1 --limit 600
  --batch-size 32 --augment shift,flip --seed 9 --threads 2 --quiet)
run t2a "$DLTRAIN" fit "${r2[@]}" --output "$WORK/t2a.onnx"
run t2b "$DLTRAIN" fit "${r2[@]}" --output "$WORK/t2b.onnx"
[ "$(checksum "$WORK/t2a.onnx")" = "$(checksum "$WORK/t2b.onnx")" ] ||
  fail "two runs with the same seed and --threads 2 differ"
echo PASS
