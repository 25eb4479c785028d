#!/bin/bash
# Makes an ARPA n-gram language model for dlspeech's `lm` property
# (libdlnn dlnn_ctc_lm_load).
#   scripts/make-lm.sh OUT.arpa
#     converts pocketsphinx-en-us's trigram LM
#     (/usr/share/pocketsphinx/model/en-us/en-us.lm.bin, 72547 words) with
#     sphinxbase-utils' sphinx_lm_convert.
#   scripts/make-lm.sh OUT.arpa TEXTFILE [ORDER]
#     estimates a small LM (default order 3) from TEXTFILE, one sentence a
#     line, with scripts/text-to-arpa.py (lower-cased words, absolute
#     discounting with interpolated back-off).
# Debian 12's sphinx_lm_convert aborts on en-us.lm.bin (its header counts
# 6 bigrams more than its trie holds, cmusphinx/pocketsphinx#502): the
# LD_PRELOAD shim scripts/lm-convert-shim.c lets it write the n-grams that
# exist, and the `ngram N=` lines are corrected from what the shim reports.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: make-lm.sh OUT.arpa [TEXTFILE [ORDER]]}

if [ $# -ge 2 ]; then
  exec /usr/bin/python3 "$here/text-to-arpa.py" "$2" "$out" "${3:-3}"
fi

bin=${DLNN_EN_US_LM_BIN:-/usr/share/pocketsphinx/model/en-us/en-us.lm.bin}
command -v sphinx_lm_convert >/dev/null || {
  echo "make-lm.sh: sphinx_lm_convert not found (apt-get install sphinxbase-utils)" >&2
  exit 77
}
[ -r "$bin" ] || {
  echo "make-lm.sh: $bin not found (apt-get install pocketsphinx-en-us)" >&2
  exit 77
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -shared -fPIC -O2 -o "$tmp/shim.so" "$here/lm-convert-shim.c" -ldl
LD_PRELOAD="$tmp/shim.so" sphinx_lm_convert -i "$bin" -ofmt arpa \
  -o "$tmp/lm.arpa" 2>"$tmp/log" || {
  cat "$tmp/log" >&2
  exit 1
}
# lm-convert-shim: ngram N=ACTUAL (header said DECLARED)
sed_args=()
while read -r n actual; do
  sed_args+=(-e "0,/^ngram $n=[0-9]*\$/s//ngram $n=$actual/")
done < <(sed -n 's/^lm-convert-shim: ngram \([0-9]*\)=\([0-9]*\) (header said [0-9]*)$/\1 \2/p' "$tmp/log")
if [ ${#sed_args[@]} -gt 0 ]; then
  sed -i "${sed_args[@]}" "$tmp/lm.arpa"
fi
mv "$tmp/lm.arpa" "$out"
echo "make-lm.sh: wrote $out"
