#!/bin/bash
# A learning rate of 1e6 makes training diverge: dltrain stops with one
# clear error line naming the epoch and batch, exit status 1, and writes no
# model.
. "$(dirname "$0")/common.sh"
need_fmnist

run fit "$DLTRAIN" fit --data "$FMNIST" --output "$WORK/nan.onnx" --arch mlp \
  --epochs 2 --limit 2000 --optimizer sgd --lr 1e6 --quiet
[ $rc -eq 1 ] || fail "diverging fit exited with $rc, expected 1"
grep -q '^dltrain: training diverged at epoch 1/2, batch [0-9]*/[0-9]*' "$WORK/fit.err" ||
  fail "no clear divergence error"
[ "$(wc -l < "$WORK/fit.err")" -le 2 ] || fail "error is not short"
[ ! -e "$WORK/nan.onnx" ] || fail "a diverged run wrote a model"
[ ! -e "$WORK/nan.ckpt/latest" ] || fail "a diverged first epoch left a checkpoint"
echo PASS
