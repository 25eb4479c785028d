# Shared helpers for the dltrain tests (sourced by each test script).
# Environment (set by tests/trainer/meson.build): DLTRAIN, MAKE_SHAPES,
# SOURCE_ROOT; FMNIST may point at another Fashion-MNIST directory.
set -u
FMNIST=${FMNIST:-/usr/share/datasets/fashion-mnist}
LABELS="$SOURCE_ROOT/samples/fashion-mnist-labels.txt"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dltrain-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

fail () {
  echo "FAIL: $*" >&2
  exit 1
}

need_fmnist () {
  if [ ! -f "$FMNIST/train-images-idx3-ubyte.gz" ] ||
     [ ! -f "$FMNIST/t10k-images-idx3-ubyte.gz" ]; then
    echo "SKIP: Fashion-MNIST not found in $FMNIST (apt-get install dataset-fashion-mnist)"
    exit 77
  fi
}

# run NAME CMD...: runs CMD, keeping stdout/stderr in $WORK/NAME.{out,err}
# and the exit status in $rc; never exits.
run () {
  local name=$1
  shift
  "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
  rc=$?
  echo "\$ $*  -> exit $rc"
  sed 's/^/  | /' "$WORK/$name.out" | tail -n 25
  sed 's/^/  ! /' "$WORK/$name.err" | tail -n 10
}

# accuracy FILE: the value of the "accuracy: X" line
accuracy () {
  sed -n 's/^accuracy: \([0-9.]*\)$/\1/p' "$1"
}

# checksum MODEL: the parameter checksum printed by dltrain info
checksum () {
  "$DLTRAIN" info "$1" | sed -n 's/^parameter checksum: //p'
}

# gt A B: A > B for decimal numbers
gt () {
  awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'
}
