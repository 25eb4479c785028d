#!/bin/sh
# dltrain vs PyTorch benchmark; see bench/bench-train.py --help.
exec /usr/bin/python3 "$(dirname "$0")/bench-train.py" "$@"
