#!/usr/bin/python3
"""libdlnn log-mel features (nn/src/audio) against
torchaudio.transforms.MelSpectrogram on real audio.

Signals: real recorded speech from pocketsphinx-testdata (16 kHz WAV) and an
espeak-ng utterance rendered now (22050 Hz, resampled to 16 kHz with
torchaudio.functional.resample).  For each dl.audio config:
  power:  max|ours - ref| / max|ref| <= 1e-4 on the mel power spectrogram
          (before log, log=none);
  log:    |ours - ln(ref + 1e-6)| <= 5e-4 where ref >= 1e-6 * max(ref)
          (the default log=ln, log_offset=1e-6; 60 dB below the peak the
          float32 FFT noise of either side is no longer small);
  stream: the same signal pushed in pseudo-random chunks gives exactly
          (bit for bit) the frames of the whole-signal call.
Skips (77) when torch/torchaudio or every signal source is missing.

usage: compare_torchaudio.py AUDIO_TOOL
"""
import os
import subprocess
import sys
import tempfile
import warnings
import wave

try:
    import numpy as np
    import torch
    import torchaudio
except ImportError as e:
    print("SKIP: needs python3-torch and python3-torchaudio (%s)" % e)
    sys.exit(77)

# torchaudio's own defaults (n_mels=128, n_fft=400) leave filter 0 empty,
# which it warns about; so do we (an all-zero filter), silently.
warnings.filterwarnings("ignore", message="At least one mel filterbank")

TOOL = sys.argv[1]
TESTDATA = "/usr/share/pocketsphinx/test/data"
REAL = ["librivox/sense_and_sensibility_01_austen_64kb-0870.wav",
        "cards/001.wav"]
TEXT = ("Open the pod bay doors, please. Seven hundred and forty two "
        "quick brown foxes jump over the lazy dog.")

POWER_TOL = 1e-4
LOG_TOL = 5e-4


def read_wav(path):
    with wave.open(path) as w:
        assert w.getsampwidth() == 2, path
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        data = data.reshape(-1, w.getnchannels()).mean(axis=1)
        return (data / 32768.0).astype(np.float32), w.getframerate()


def signals(tmp):
    out = []
    for rel in REAL:
        p = os.path.join(TESTDATA, rel)
        if os.path.exists(p):
            x, rate = read_wav(p)
            out.append(("real:" + os.path.basename(rel), x, rate))
    if not out:
        print("note: pocketsphinx-testdata missing, real speech not tested")
    wav = os.path.join(tmp, "espeak.wav")
    try:
        subprocess.run(["espeak-ng", "-w", wav, TEXT], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        x, rate = read_wav(wav)
        out.append(("espeak-ng", x, rate))
    except (OSError, subprocess.CalledProcessError):
        print("note: espeak-ng missing, synthetic speech not tested")
    return out


def resample(x, rate, to):
    if rate == to:
        return x
    t = torchaudio.functional.resample(torch.from_numpy(x), rate, to)
    return t.numpy().astype(np.float32)


# (dl.audio, MelSpectrogram kwargs); log=none gives the power spectrogram.
HANN = torch.hann_window
CONFIGS = [
    ("log=none",
     dict(sample_rate=16000, n_fft=512, win_length=400, hop_length=160,
          n_mels=40, f_min=0.0, f_max=8000.0)),
    ("fmin=20;fmax=7600;log=none",
     dict(sample_rate=16000, n_fft=512, win_length=400, hop_length=160,
          n_mels=40, f_min=20.0, f_max=7600.0)),
    # torchaudio.transforms.MelSpectrogram(sample_rate=16000) as it is
    ("n_mels=128;hop_ms=12.5;n_fft=400;log=none",
     dict(sample_rate=16000)),
    ("n_mels=64;mel_scale=slaney;norm=slaney;center=0;power=1;"
     "window=hamming;log=none",
     dict(sample_rate=16000, n_fft=512, win_length=400, hop_length=160,
          n_mels=64, center=False, power=1.0, norm="slaney",
          mel_scale="slaney", window_fn=torch.hamming_window)),
    ("rate=8000;n_mels=23;win_ms=32;hop_ms=16;fmin=60;log=none",
     dict(sample_rate=8000, n_fft=256, win_length=256, hop_length=128,
          n_mels=23, f_min=60.0, f_max=4000.0)),
]


def ours(tmp, spec, x, stream=False):
    src = os.path.join(tmp, "in.f32")
    dst = os.path.join(tmp, "out.f32")
    x.astype("<f4").tofile(src)
    args = [TOOL, spec, src, dst] + (["stream"] if stream else [])
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(args), r.stderr))
    nf, nm = map(int, r.stdout.split())
    return np.fromfile(dst, dtype="<f4").reshape(nf, nm)


def reference(kwargs, x):
    mel = torchaudio.transforms.MelSpectrogram(**kwargs)
    with torch.no_grad():
        return mel(torch.from_numpy(x)).numpy().T    # frames x n_mels


def main():
    failures = 0
    checks = 0
    with tempfile.TemporaryDirectory() as tmp:
        sigs = signals(tmp)
        if not sigs:
            print("SKIP: no signal (pocketsphinx-testdata, espeak-ng)")
            return 77
        for name, x0, rate0 in sigs:
            for spec, kw in CONFIGS:
                x = resample(x0, rate0, kw["sample_rate"])
                ref = reference(kw, x)
                got = ours(tmp, spec, x)
                checks += 1
                if got.shape != ref.shape:
                    print("FAIL %s [%s]: shape %s, torchaudio %s"
                          % (name, spec, got.shape, ref.shape))
                    failures += 1
                    continue
                rel = np.abs(got - ref).max() / np.abs(ref).max()
                ok = rel <= POWER_TOL
                failures += not ok
                print("%s %s [%s] %d frames: power rel err %.2e"
                      % ("ok  " if ok else "FAIL", name, spec,
                         got.shape[0], rel))
            # log values, default config (log=ln, log_offset=1e-6)
            x = resample(x0, rate0, 16000)
            ref = reference(CONFIGS[0][1], x).astype(np.float64)
            got = ours(tmp, "", x)
            mask = ref >= 1e-6 * ref.max()
            err = np.abs(got - np.log(ref + 1e-6))[mask].max()
            ok = got.shape == ref.shape and err <= LOG_TOL
            failures += not ok
            checks += 1
            print("%s %s [default log=ln]: max |log diff| %.2e over %d of "
                  "%d values" % ("ok  " if ok else "FAIL", name, err,
                                  mask.sum(), mask.size))
            # streaming in random chunks == whole signal, bit for bit
            for spec in ("", "center=0;n_fft=400;log=log10"):
                whole = ours(tmp, spec, x)
                st = ours(tmp, spec, x, stream=True)
                ok = whole.shape == st.shape and np.array_equal(whole, st)
                failures += not ok
                checks += 1
                print("%s %s [%s] streaming == whole (%d frames)"
                      % ("ok  " if ok else "FAIL", name, spec,
                         whole.shape[0]))
    print("%d checks, %d failed" % (checks, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
