#!/bin/bash
# scripts/make-real-speech.py: the transcript normaliser on hand cases
# (--self-test); with warzone2100-data installed, the real-speech manifests
# (and the other sources' families when their packages are installed):
# hand-checked transcripts of known clips, only a-z ' and space, validation
# and training transcripts disjoint, nothing from pocketsphinx-testdata,
# clips spoken too fast for their text skipped, 16 kHz mono WAV, augmented
# copies listed; dltrain eval reads real-val.tsv.
. "$(dirname "$0")/common.sh"
PY=/usr/bin/python3
S="$SOURCE_ROOT/scripts/make-real-speech.py"

run selftest "$PY" "$S" --self-test
[ $rc -eq 0 ] || { cat "$WORK/selftest.out"; fail "normaliser self-test"; }

WZ=/usr/share/games/warzone2100/base.wz
if [ ! -f "$WZ" ] || ! command -v sox >/dev/null 2>&1; then
  echo "SKIP: $WZ or sox missing (apt-get install warzone2100-data sox" \
    "libsox-fmt-all)"
  exit 77
fi

O="$WORK/real"
run build "$PY" "$S" --out "$O" --augment 2 --sources all
[ $rc -eq 0 ] || { cat "$WORK/build.err"; fail "make-real-speech failed"; }
for f in real-all.tsv real-val.tsv real-train.tsv real-train-aug.tsv \
    real.json; do
  [ -s "$O/$f" ] || fail "no $f"
done
nall=$(wc -l < "$O/real-all.tsv")
nval=$(wc -l < "$O/real-val.tsv")
ntr=$(wc -l < "$O/real-train.tsv")
[ "$nall" -ge 150 ] || fail "only $nall clips"
[ $((nval + ntr)) -eq "$nall" ] || fail "val $nval + train $ntr != $nall"
[ "$nval" -gt 0 ] && [ "$ntr" -gt "$nval" ] || fail "split $nval / $ntr"
[ "$(wc -l < "$O/real-train-aug.tsv")" -eq $((2 * ntr)) ] ||
  fail "real-train-aug.tsv is not 2 x real-train.tsv"

# hand-checked rows: tutorial.js / audio.cfg / file names
want () {
  grep -qxF "$1	$2" "$O/real-all.tsv" || fail "missing row: $1 -> $2"
}
want wav/wz-tutorial/tut1.wav \
  "in this training session you'll learn how to build an effective base"
want wav/wz-tutorial/tut42.wav \
  "the delivery point is indicated by the number one"
want wav/wz-voice/pcv420.wav "fire at will"
want wav/wz-voice/pcv463.wav "ten minutes remaining"
want wav/wz-voice/pcv352.wav "artifact recovered"
want wav/wz-digits/8.wav "eight"
if [ -f /usr/share/sounds/alsa/Front_Left.wav ]; then
  want wav/alsa/Front_Left.wav "front left"
fi
# undefined messages, acronyms, digit-only labels and too-fast clips
for p in tut6 tut5 tut50 pcv397 t-grnli4 0; do
  ! grep -q "/$p.wav	" "$O/real-all.tsv" || fail "$p.wav should be skipped"
done
grep -q '"reason": "43.9 characters/s"' "$O/real.json" ||
  fail "tut5 not reported as too fast"

# the other families, when their packages are installed: rows checked by
# hand against the package data (core-sounds-en.txt.gz, sounds.xml,
# en.soundtheme, male1.voice, voice.cfg, the stamps' .txt)
skipped () {
  for p in "$@"; do
    ! grep -q "/$p.wav	" "$O/real-all.tsv" || fail "$p.wav should be skipped"
  done
}
if [ -f /usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz ] &&
    [ -f /usr/share/asterisk/sounds/en_US_f_Allison/agent-loginok.wav ]; then
  want wav/asterisk/agent-loginok.wav "agent logged in"
  want wav/asterisk/dictate_forhelp.wav "press zero for help"
  want wav/asterisk/phonetic_x_p.wav "xray"
  want wav/asterisk/digits_h-40.wav "fortieth"
  want wav/asterisk/followme_sorry.wav \
    "i'm sorry but i was unable to locate the person you are calling"
  # [tones], symbols, 500 / 28.8, PBX / A.M., spelled and lone letters
  skipped beep dictate_both_help demo-instruct demo-thanks digits_a-m \
    spy-misdn dir-intro letters_a letters_at
fi
if [ -f /usr/share/klettres/en_GB/sounds.xml ]; then
  want wav/klettres/en_GB-ball.wav "ball"
  want wav/klettres/en-car.wav "car"
  skipped en-th en-ch en-aw en_GB-a
fi
if [ -f /usr/share/ktuberling/sounds/en.soundtheme ]; then
  want wav/ktuberling/sunglasses.wav "sunglasses"
  skipped egypt_palmtree moon_fallingstar
fi
if [ -f /usr/share/games/openarena/missionpack/mp-pak0.pk3 ]; then
  want wav/oa-voice/coverme.wav "cover me"
  want wav/oa-voice/imtheleader.wav "i'm the leader"
  skipped gopatrol youreonoffense
  grep -q festivox "$O/real-all.tsv" "$O/real.json" &&
    fail "OpenArena's synthetic festivoxmale voice used"
fi
if [ -f /usr/share/games/redeclipse/config/voice.cfg ]; then
  want wav/re-voice/luckyshot2.wav "lucky shot"
  want wav/re-voice/noproblem.wav "no problem"
  skipped damnit haha argh
fi
if [ -d /usr/share/tuxpaint/stamps ]; then
  want wav/tuxpaint/owl.wav "an owl"
  want wav/tuxpaint/crow.wav "a crow"
  skipped hen nandou hippopotamus mountaingoat
fi

cut -f2 "$O/real-all.tsv" | grep -v "^[a-z' ]*[a-z]$" &&
  fail "transcript outside a-z ' space"
grep -q pocketsphinx "$O/real-all.tsv" && fail "bench data used"
comm -12 <(cut -f2 "$O/real-val.tsv" | sort -u) \
  <(cut -f2 "$O/real-train.tsv" | sort -u) | grep -q . &&
  fail "a transcript is in both splits"
fmt=$(soxi "$O/wav/wz-tutorial/tut1.wav" | grep -E "Channels|Sample Rate" |
  tr -s ' ' | tr '\n' ' ')
case "$fmt" in
  *"Channels : 1"*"Sample Rate : 16000"*) ;;
  *) fail "tut1.wav is not 16 kHz mono: $fmt" ;;
esac

M="$SOURCE_ROOT/samples/models/speech-en.onnx"
if [ -f "$M" ]; then
  run eval "$DLTRAIN" eval "$M" --data "$O/real-val.tsv" --threads 1
  [ $rc -eq 0 ] || { cat "$WORK/eval.err"; fail "eval on real-val.tsv"; }
  grep -q "^utterances: $nval " "$WORK/eval.out" "$WORK/eval.err" ||
    fail "eval did not read $nval utterances"
fi

# the default sources are the shipped model's (wz-*, alsa): a subset of
# the rows above, nothing of the other families; unknown groups are an
# error
run default "$PY" "$S" --out "$O"
[ $rc -eq 0 ] || { cat "$WORK/default.err"; fail "default sources failed"; }
cut -f1 "$O/real-all.tsv" | cut -d/ -f2 | sort -u | grep -vxE "wz-(tutorial|voice|digits)|alsa" &&
  fail "default sources read another family"
[ "$(wc -l < "$O/real-all.tsv")" -lt "$nall" ] || fail "default not smaller"
run badsrc "$PY" "$S" --out "$O" --sources wz,nosuch
[ $rc -ne 0 ] && grep -q "unknown nosuch" "$WORK/badsrc.err" ||
  fail "unknown source group accepted"
echo "PASS"
