#!/bin/bash
# dlspeech's grammar property on speech: espeak-ng says four robot commands
# with 1.5 s pauses (made at test time, SSML breaks), the shipped model
# samples/models/speech-en.onnx decodes them through
# pipelines/speech-transcribe.py with grammar=<a JSGF file written here>.
# Checks: exactly the four spoken commands come out, in order (each one a
# sentence of the grammar); a vocabulary set at the same time is ignored;
# a grammar with a syntax error or a word the labels cannot spell fails
# with a message naming the file and the line.
#
#   speech-grammar-test.sh SOURCE_ROOT WORK_DIR
#
# Exits 77 (skip) when espeak-ng or the shipped model is missing.
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 SOURCE_ROOT WORK_DIR" >&2
  exit 2
fi
src=$1
work=$2
model=$src/samples/models/speech-en.onnx
transcribe="/usr/bin/python3 $src/pipelines/speech-transcribe.py"

if ! command -v espeak-ng > /dev/null; then
  echo "SKIP: espeak-ng is not installed" >&2
  exit 77
fi
if [ ! -f "$model" ]; then
  echo "SKIP: $model is missing (scripts/train-speech-en.sh makes it)" >&2
  exit 77
fi

rm -rf "$work"
mkdir -p "$work"
log="$work/log.txt"
: > "$log"

fail () {
  echo "FAIL: $*" >&2
  echo "--- $log (last 30 lines):" >&2
  tail -n 30 "$log" >&2
  exit 1
}

cat > "$work/robot.gram" <<'EOF'
#JSGF V1.0;

/* commands for a toy robot */
grammar robot;

public <command> = <move> | <turn> | stop | halt;

<move> = go (forward | backward) <number> [meter | meters];
<turn> = turn (left | right) [<number> degrees];
<number> = one | two | three | four | five | six | seven | eight | nine
         | ten | twenty | ninety;
EOF

spoken=("go backward seven meters" "turn right ninety degrees" "stop"
        "go forward two meter")
ssml="<speak>${spoken[0]} <break time=\"1500ms\"/> ${spoken[1]}"
ssml+=" <break time=\"1500ms\"/> ${spoken[2]} <break time=\"1500ms\"/>"
ssml+=" ${spoken[3]}</speak>"
espeak-ng -m -w "$work/say.wav" "$ssml" 2>> "$log"

# START END TEXT per utterance -> TEXT lines
texts () {
  sed -n 's/^[0-9.]* [0-9.]* //p' "$1"
}

check_commands () {
  local out=$1 i=0
  mapfile -t got < <(texts "$out")
  [ "${#got[@]}" -eq 4 ] || fail "$out: ${#got[@]} utterances, expected 4"
  for i in 0 1 2 3; do
    [ "${got[$i]}" = "${spoken[$i]}" ] ||
      fail "$out: utterance $i is \"${got[$i]}\", expected \"${spoken[$i]}\""
  done
}

$transcribe "$work/say.wav" "$model" grammar="$work/robot.gram" \
  > "$work/grammar.txt" 2>> "$log" || fail "transcription with grammar"
cat "$work/grammar.txt" >> "$log"
check_commands "$work/grammar.txt"

# grammar overrides vocabulary
$transcribe "$work/say.wav" "$model" grammar="$work/robot.gram" \
  vocabulary=halt > "$work/both.txt" 2>> "$log" ||
  fail "transcription with grammar and vocabulary"
check_commands "$work/both.txt"

# bad grammars: non-zero exit, the file and the line named
printf '#JSGF V1.0;\ngrammar bad;\npublic <a> = go (left | right;\n' \
  > "$work/syntax.gram"
if $transcribe "$work/say.wav" "$model" grammar="$work/syntax.gram" \
    > "$work/syntax.txt" 2>&1; then
  fail "a grammar with a syntax error was accepted"
fi
cat "$work/syntax.txt" >> "$log"
grep -q "syntax.gram:3: expected ')'" "$work/syntax.txt" ||
  fail "syntax error message: $(cat "$work/syntax.txt")"

printf '#JSGF V1.0;\ngrammar bad;\npublic <a> = go\n | go 42;\n' \
  > "$work/digits.gram"
if $transcribe "$work/say.wav" "$model" grammar="$work/digits.gram" \
    > "$work/digits.txt" 2>&1; then
  fail "a grammar with an unspellable word was accepted"
fi
cat "$work/digits.txt" >> "$log"
grep -q 'digits.gram: 1 word cannot be written.*"42" (line 4)' \
  "$work/digits.txt" || fail "spelling error message: $(cat "$work/digits.txt")"

echo "ok: grammar decoding of 4 espeak-ng commands, bad grammars rejected"
