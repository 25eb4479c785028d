#!/bin/bash
# dltrain fit --task speech / eval on a tiny synthesized corpus (espeak-ng
# and friends through scripts/make-speech-corpus.py): training lowers the
# CTC loss, the model passes onnx.checker with the dl.* speech metadata and
# computes what an independent NumPy implementation computes (causally);
# eval prints WER/CER matching a Levenshtein count of its own REF/HYP
# lines; --stop-after + --resume equals an uninterrupted run; missing or
# corrupt audio fails naming the file; a LibriSpeech tree is read; a
# diverging run stops with a clear error; eval --grammar keeps to the
# grammar; eval --lm keeps to the LM's words; fit --init starts from a
# model's parameters.
. "$(dirname "$0")/common.sh"
PY=/usr/bin/python3
if ! command -v espeak-ng >/dev/null 2>&1; then
  echo "SKIP: espeak-ng missing (apt-get install espeak-ng)"
  exit 77
fi
"$PY" -c 'import numpy, onnx' 2>/dev/null ||
  fail "/usr/bin/python3 lacks numpy or onnx (scripts/install-deps.sh)"

C="$WORK/corpus"
run corpus "$PY" "$SOURCE_ROOT/scripts/make-speech-corpus.py" --out "$C" \
  --utterances 30 --jobs 2 --music-tracks 0
[ $rc -eq 0 ] || fail "corpus builder failed"
[ "$(wc -l < "$C/train.tsv")" -ge 20 ] || fail "too few training utterances"
[ -s "$C/val.tsv" ] || fail "no validation manifest"

COMMON=(--task speech --data "$C/train.tsv" --val-data "$C/val.tsv"
  --epochs 3 --width 64 --layers 2 --batch-size 4 --lr 0.003 --threads 1)

# 1. three epochs: the loss goes down
run fit "$DLTRAIN" fit "${COMMON[@]}" --output "$WORK/a.onnx"
[ $rc -eq 0 ] || fail "fit failed"
loss () { sed -n "s/^epoch $2\/3  loss \([0-9.]*\) .*/\1/p" "$1"; }
l1=$(loss "$WORK/fit.out" 1); l3=$(loss "$WORK/fit.out" 3)
[ -n "$l1" ] && [ -n "$l3" ] || fail "no per-epoch loss lines"
gt "$l1" "$l3" || fail "loss did not decrease: $l1 -> $l3"
grep -q '^epoch 3/3 .* val_cer [0-9.]*  val_wer [0-9.]*' "$WORK/fit.out" ||
  fail "no val_cer/val_wer in the epoch line"
[ -s "$WORK/a-curve.png" ] || fail "no training curve"
"$DLTRAIN" info "$WORK/a.onnx" | grep -q 'dl.task: speech' ||
  fail "dltrain info does not show dl.task"

# 2. the model: checker, metadata, NumPy reference, causality
"$PY" "$(dirname "$0")/speech_model_check.py" "$DLTRAIN" "$WORK/a.onnx" \
  "$WORK" || fail "model checks failed"

# 3. fitting the three validation utterances alone shows that the whole
# chain learns (CER well below 1 on them), and gives eval non-empty
# hypotheses to score
run overfit "$DLTRAIN" fit --task speech --data "$C/val.tsv" --val-data "$C/val.tsv" \
  --output "$WORK/o.onnx" --epochs 70 --width 128 --layers 2 --batch-size 4 --threads 1 \
  --lr 0.003 --weight-decay 0 --schedule constant --quiet
[ $rc -eq 0 ] || fail "overfit fit failed"
cer=$("$PY" -c 'import onnx, json, sys; m = onnx.load(sys.argv[1]); print(json.loads({p.key: p.value for p in m.metadata_props}["dl.metrics"])["val_cer"])' "$WORK/o.onnx")
gt 0.5 "$cer" || fail "70 epochs on 3 utterances left their CER at $cer"

# eval: WER/CER, and the figures agree with its REF/HYP lines
run eval "$DLTRAIN" eval "$WORK/o.onnx" --data "$C/val.tsv" --verbose
[ $rc -eq 0 ] || fail "eval failed"
grep -q '^WER: [0-9.]* (' "$WORK/eval.out" || fail "eval prints no WER"
grep -q '^CER: [0-9.]* (' "$WORK/eval.out" || fail "eval prints no CER"
[ "$(grep -c '^REF: ' "$WORK/eval.out")" -eq "$(wc -l < "$C/val.tsv")" ] ||
  fail "eval --verbose does not list every utterance"
"$PY" - "$WORK/eval.out" <<'PYEOF' || fail "eval's WER/CER do not match its REF/HYP lines"
import sys
def lev(a, b):
    d = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(b) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] != b[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(b)]
lines = open(sys.argv[1]).read().split("\n")
refs = [l[5:] for l in lines if l.startswith("REF: ")]
hyps = [l[5:] for l in lines if l.startswith("HYP: ")]
we = sum(lev(r.split(), h.split()) for r, h in zip(refs, hyps))
ce = sum(lev(r, h) for r, h in zip(refs, hyps))
wer = we / sum(len(r.split()) for r in refs)
cer = ce / sum(len(r) for r in refs)
got = {l.split(":")[0]: float(l.split()[1]) for l in lines
       if l.startswith(("WER:", "CER:"))}
print("WER %.4f / %.4f, CER %.4f / %.4f" % (got["WER"], wer, got["CER"], cer))
sys.exit(0 if abs(got["WER"] - wer) < 1e-4 and abs(got["CER"] - cer) < 1e-4 else 1)
PYEOF
run beam "$DLTRAIN" eval "$WORK/o.onnx" --data "$C/val.tsv" --beam 4
[ $rc -eq 0 ] && grep -q '^WER: ' "$WORK/beam.out" || fail "eval --beam failed"

# --grammar: the beam search keeps to the grammar's sentences (here the
# three references), and the overfitted model finds them at least as well
# as unconstrained decoding does
{ echo '#JSGF V1.0;'; echo 'grammar val;'
  printf 'public <s> = %s;\n' "$(cut -f 2 "$C/val.tsv" | paste -sd '|' | sed 's/|/ | /g')"; } \
  > "$WORK/val.gram"
run gram "$DLTRAIN" eval "$WORK/o.onnx" --data "$C/val.tsv" --grammar "$WORK/val.gram" --verbose
[ $rc -eq 0 ] || fail "eval --grammar failed"
while IFS= read -r h; do
  [ -z "$h" ] || cut -f 2 "$C/val.tsv" | grep -qxF "$h" ||
    fail "eval --grammar wrote '$h', not a sentence of the grammar"
done < <(sed -n 's/^HYP: //p' "$WORK/gram.out")
wg=$(sed -n 's/^WER: \([0-9.]*\) .*/\1/p' "$WORK/gram.out")
we=$(sed -n 's/^WER: \([0-9.]*\) .*/\1/p' "$WORK/eval.out")
gt "$we" "$wg" || [ "$we" = "$wg" ] || fail "grammar WER $wg above greedy $we"
# class priors (dl.ctc_prior): fit stores them from its validation set,
# eval --write-prior from CORPUS; each is 29 logs of mean posteriors, so
# their exponentials sum to 1; eval --grammar then divides by them (weight
# 1, blank penalty 0.5) unless told otherwise
run prior "$DLTRAIN" eval "$WORK/o.onnx" --data "$C/val.tsv" --write-prior "$WORK/p.onnx"
[ $rc -eq 0 ] && [ -s "$WORK/p.onnx" ] || fail "eval --write-prior failed"
"$PY" - "$WORK/o.onnx" "$WORK/p.onnx" <<'PYEOF' || fail "bad dl.ctc_prior"
import json, math, sys
import onnx
for path in sys.argv[1:]:
    meta = {p.key: p.value for p in onnx.load(path).metadata_props}
    v = json.loads(meta["dl.ctc_prior"])
    assert len(v) == 29, (path, len(v))
    assert abs(sum(math.exp(x) for x in v) - 1) < 1e-3, (path, v)
PYEOF
run gramp "$DLTRAIN" eval "$WORK/p.onnx" --data "$C/val.tsv" --grammar "$WORK/val.gram"
grep -q 'prior weight 1, blank penalty 0.5)' "$WORK/gramp.out" ||
  fail "eval --grammar did not use the priors"
run gramn "$DLTRAIN" eval "$WORK/p.onnx" --data "$C/val.tsv" --grammar "$WORK/val.gram" --prior-weight 0
grep -q 'prior weight 0, blank penalty 2)' "$WORK/gramn.out" ||
  fail "eval --prior-weight 0 did not turn the priors off"
run badgram "$DLTRAIN" eval "$WORK/o.onnx" --data "$C/val.tsv" --grammar "$WORK/nope.gram"
[ $rc -eq 1 ] && grep -q "nope.gram" "$WORK/badgram.err" ||
  fail "a missing grammar did not fail naming it"

# --lm: an LM of the three references (scripts/make-lm.sh TEXTFILE);
# with its lexicon (the default, beam 32) every hypothesis word is one of
# the LM's words; --no-lm-lexicon lets any word through; a missing LM
# fails naming it
cut -f 2 "$C/val.tsv" > "$WORK/val.txt"
"$SOURCE_ROOT/scripts/make-lm.sh" "$WORK/val.arpa" "$WORK/val.txt" 2 >/dev/null ||
  fail "make-lm.sh TEXTFILE failed"
run lm "$DLTRAIN" eval "$WORK/o.onnx" --data "$C/val.tsv" --lm "$WORK/val.arpa" --verbose
[ $rc -eq 0 ] || fail "eval --lm failed"
grep -q 'beam 32,' "$WORK/lm.out" && grep -q 'lm weight 0.5, word bonus 1, words restricted to its lexicon' "$WORK/lm.out" ||
  fail "eval --lm did not report beam 32, the default weights and the lexicon"
words=" $(tr '\n' ' ' < "$WORK/val.txt") "
for w in $(sed -n 's/^HYP: //p' "$WORK/lm.out"); do
  case "$words" in *" $w "*) ;; *) fail "eval --lm wrote '$w', not a word of the LM" ;; esac
done
[ -n "$(sed -n 's/^HYP: //p' "$WORK/lm.out" | tr -d ' \n')" ] || fail "eval --lm wrote nothing"
run lmany "$DLTRAIN" eval "$WORK/o.onnx" --data "$C/val.tsv" --lm "$WORK/val.arpa" \
  --no-lm-lexicon --lm-weight 0.8 --word-bonus 0
[ $rc -eq 0 ] && grep -q 'beam 8,' "$WORK/lmany.out" && grep -q 'lm weight 0.8, word bonus 0, any word' "$WORK/lmany.out" ||
  fail "eval --no-lm-lexicon --lm-weight --word-bonus not taken"
run lmbad "$DLTRAIN" eval "$WORK/o.onnx" --data "$C/val.tsv" --lm "$WORK/nope.arpa"
[ $rc -eq 1 ] && grep -q "nope.arpa" "$WORK/lmbad.err" ||
  fail "a missing LM did not fail naming it"

# --init: a run started from o.onnx at a negligible learning rate scores
# what o.onnx scores (its parameters and normalisation were taken over),
# and a model of another shape is refused naming the option
run init "$DLTRAIN" fit --task speech --data "$C/val.tsv" --val-data "$C/val.tsv" \
  --output "$WORK/i.onnx" --epochs 1 --width 128 --layers 2 --batch-size 4 --threads 1 \
  --lr 1e-12 --weight-decay 0 --schedule constant --init "$WORK/o.onnx"
[ $rc -eq 0 ] || fail "fit --init failed"
ci=$(sed -n 's/^epoch 1\/1 .* val_cer \([0-9.]*\) .*/\1/p' "$WORK/init.out")
co=$(sed -n 's/^CER: \([0-9.]*\) .*/\1/p' "$WORK/eval.out")
[ -n "$ci" ] && [ "$ci" = "$co" ] || fail "--init model scores CER '$ci', o.onnx $co"
"$DLTRAIN" info "$WORK/i.onnx" | grep -q '"init": ' || fail "no init in dl.provenance"
run initbad "$DLTRAIN" fit --task speech --data "$C/val.tsv" --output "$WORK/j.onnx" \
  --epochs 1 --width 64 --layers 2 --threads 1 --init "$WORK/o.onnx" --quiet
[ $rc -eq 1 ] && grep -q -- "--init '$WORK/o.onnx'" "$WORK/initbad.err" ||
  fail "--init with another shape was not refused"

# 4. --stop-after 1, then --resume: continues at epoch 2 and ends with the
# same weights as the uninterrupted run (one thread: deterministic)
run stop "$DLTRAIN" fit "${COMMON[@]}" --output "$WORK/b.onnx" --stop-after 1
[ $rc -eq 0 ] || fail "fit --stop-after failed"
[ ! -e "$WORK/b.onnx" ] || fail "--stop-after wrote the final model"
[ "$(cat "$WORK/b.ckpt/latest")" = epoch-0001 ] || fail "no epoch-1 checkpoint"
run resume "$DLTRAIN" fit "${COMMON[@]}" --output "$WORK/b.onnx" --resume
[ $rc -eq 0 ] || fail "fit --resume failed"
grep -q "^resumed from '$WORK/b.ckpt' after epoch 1" "$WORK/resume.out" ||
  fail "resume did not start after epoch 1"
grep -q '^epoch 1/3' "$WORK/resume.out" && fail "resume repeated epoch 1"
grep -q '^epoch 2/3' "$WORK/resume.out" || fail "resume did not run epoch 2"
[ "$(checksum "$WORK/a.onnx")" = "$(checksum "$WORK/b.onnx")" ] ||
  fail "resumed run differs from the uninterrupted one"
run refuse "$DLTRAIN" fit "${COMMON[@]}" --output "$WORK/b.onnx" --resume --width 32
[ $rc -eq 1 ] && grep -q 'cannot resume' "$WORK/refuse.err" ||
  fail "resume with other options was not refused"

# 5. missing and corrupt audio name the file
first=$(head -n 1 "$C/train.tsv" | cut -f 2)
printf 'wav/train/nope.flac\t%s\n' "$first" > "$C/missing.tsv"
cat "$C/train.tsv" >> "$C/missing.tsv"
run missing "$DLTRAIN" fit --task speech --data "$C/missing.tsv" \
  --output "$WORK/m.onnx" --epochs 1 --quiet
[ $rc -eq 1 ] || fail "a missing audio file did not fail"
grep -q "$C/wav/train/nope.flac" "$WORK/missing.err" ||
  fail "the error does not name the missing file"
head -c 3000 /dev/urandom > "$C/wav/junk.flac"
printf 'wav/junk.flac\t%s\n' "$first" > "$C/corrupt.tsv"
run corrupt "$DLTRAIN" eval "$WORK/a.onnx" --data "$C/corrupt.tsv"
[ $rc -eq 1 ] && grep -q "$C/wav/junk.flac" "$WORK/corrupt.err" ||
  fail "a corrupt audio file did not fail naming it"
printf 'no tab here\n' > "$C/bad.tsv"
run badline "$DLTRAIN" fit --task speech --data "$C/bad.tsv" \
  --output "$WORK/m.onnx" --quiet
[ $rc -eq 1 ] && grep -q "$C/bad.tsv:1" "$WORK/badline.err" ||
  fail "a bad manifest line is not named"

# 6. LibriSpeech layout: SPEAKER/CHAPTER/SPEAKER-CHAPTER.trans.txt with
# upper-case transcripts and ID.flac next to it
LS="$WORK/LibriSpeech/dev"
n=0
while IFS=$'\t' read -r p text; do
  spk=$((19 + n % 2)); ch=198
  d="$LS/$spk/$ch"; mkdir -p "$d"
  id=$(printf '%d-%d-%04d' $spk $ch $n)
  cp "$C/$p" "$d/$id.flac"
  echo "$id $(echo "$text" | tr a-z A-Z)" >> "$d/$spk-$ch.trans.txt"
  n=$((n + 1))
done < "$C/val.tsv"
run ls "$DLTRAIN" eval "$WORK/o.onnx" --data "$WORK/LibriSpeech"
[ $rc -eq 0 ] || fail "eval on a LibriSpeech tree failed"
grep -q "^utterances: $n " "$WORK/ls.out" || fail "LibriSpeech: not $n utterances"
grep -v '^utterances' "$WORK/ls.out" > "$WORK/ls.rates"
grep -v '^utterances\|^REF\|^HYP' "$WORK/eval.out" > "$WORK/tsv.rates"
cmp -s "$WORK/ls.rates" "$WORK/tsv.rates" ||
  fail "LibriSpeech copy of val.tsv scores differently"
run lsfit "$DLTRAIN" fit --task speech --data "$WORK/LibriSpeech" \
  --output "$WORK/ls.onnx" --epochs 1 --width 16 --layers 1 --val-split 0
[ $rc -eq 0 ] && grep -q "^data: .*, $n training + 0 validation" "$WORK/lsfit.out" ||
  fail "fit on a LibriSpeech tree failed"

# 7. a diverging run: one clear error line naming epoch and step, no model
run nan "$DLTRAIN" fit "${COMMON[@]}" --output "$WORK/nan.onnx" --lr 1e6 --quiet
[ $rc -eq 1 ] || fail "diverging fit exited with $rc"
grep -q '^dltrain: training diverged at epoch 1/3, step [0-9]*/[0-9]*' "$WORK/nan.err" ||
  fail "no clear divergence error"
[ ! -e "$WORK/nan.onnx" ] || fail "a diverged run wrote a model"
echo PASS
