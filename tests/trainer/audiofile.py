#!/usr/bin/python3
"""dt_audio_load (nn/trainer/audiofile.c): a stereo 44.1 kHz file, channels
0.6 sin(2 pi 300 t) and 0.2 sin(2 pi 300 t), written here with Python's wave
module (WAV) and converted by sox (FLAC), must load at 16 kHz as mono
0.4 sin(2 pi 300 t) (the mean of the channels) of round(n * 16000 / 44100)
samples (+-1); a missing, a non-audio and a truncated file fail naming the
file."""
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import wave

import numpy as np

helper = os.environ["AUDIO_LOAD"]
work = tempfile.mkdtemp(prefix="audiofile-test.")
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def load(path, rate=16000):
    out = os.path.join(work, "out.f32")
    p = subprocess.run([helper, path, str(rate), out], capture_output=True,
                       text=True)
    if p.returncode != 0:
        return None, p.stderr.strip()
    return np.fromfile(out, dtype=np.float32), ""


try:
    sr_in, n_in, f0 = 44100, 44100 * 3 // 2, 300.0
    t = np.arange(n_in) / sr_in
    left = 0.6 * np.sin(2 * math.pi * f0 * t)
    right = 0.2 * np.sin(2 * math.pi * f0 * t)
    inter = np.stack([left, right], 1).reshape(-1)
    wav = os.path.join(work, "stereo.wav")
    with wave.open(wav, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(sr_in)
        w.writeframes(np.round(inter * 32767).astype("<i2").tobytes())
    files = [("wav", wav)]
    if shutil.which("sox"):
        flac = os.path.join(work, "stereo.flac")
        subprocess.run(["sox", wav, flac], check=True)
        files.append(("flac", flac))
    else:
        print("note: sox missing, FLAC case skipped")
    expect_n = round(n_in * 16000 / sr_in)
    for kind, path in files:
        x, err = load(path)
        check(x is not None, f"{kind}: loads ({err})")
        if x is None:
            continue
        check(abs(len(x) - expect_n) <= 1,
              f"{kind}: {len(x)} samples at 16 kHz, expected {expect_n} +-1")
        ref = 0.4 * np.sin(2 * math.pi * f0 * np.arange(len(x)) / 16000)
        mid = slice(200, len(x) - 200)   # away from the resampler's edges
        err_max = float(np.max(np.abs(x[mid] - ref[mid])))
        check(err_max < 2e-3,
              f"{kind}: mono mean of the channels, max error {err_max:.2e}")
    # 8 kHz too (another ratio)
    x, err = load(wav, 8000)
    check(x is not None and abs(len(x) - round(n_in * 8000 / sr_in)) <= 1,
          f"wav at 8 kHz: length {None if x is None else len(x)}")

    # errors name the file
    missing = os.path.join(work, "nope.flac")
    x, err = load(missing)
    check(x is None and missing in err and "exist" in err,
          f"missing file: '{err}'")
    junk = os.path.join(work, "junk.flac")
    with open(junk, "wb") as f:
        f.write(bytes((i * 37 + 11) % 256 for i in range(5000)))
    x, err = load(junk)
    check(x is None and junk in err, f"not audio: '{err}'")
    if len(files) > 1:
        data = open(files[1][1], "rb").read()
        trunc = os.path.join(work, "trunc.flac")
        with open(trunc, "wb") as f:
            f.write(data[:60])        # inside the header: nothing decodes
        x, err = load(trunc)
        check(x is None and trunc in err, f"truncated: '{err}'")
    empty = os.path.join(work, "empty.wav")
    with wave.open(empty, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
    x, err = load(empty)
    check(x is None and empty in err, f"no samples: '{err}'")
finally:
    shutil.rmtree(work)

if failures:
    sys.exit(1)
