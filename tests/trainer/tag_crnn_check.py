#!/usr/bin/python3
"""dltrain fit --task tag --arch crnn: a tag model with a CNN + GRU over a
longer window. Makes a tiny corpus of generated 2 s clips (tones = music,
noise, digital silence, tones + noise), fits 2 epochs with --image-size
40x200, and checks the exported model: onnx.checker, input [N, 1, 200, 40],
output [N, K] with Sigmoid last, and its probabilities from `dltrain run`
(libdlnn) against an independent PyTorch / NumPy implementation of the
documented architecture read from the ONNX initializers (per-band Sub /
Div, five Conv3x3 + BatchNorm + Relu blocks with two 2x2 max pools, GRU of
ONNX equations over time, mean over time, Gemm, Sigmoid).

usage: tag_crnn_check.py DLTRAIN WORKDIR   (exit 77 without torch)"""
import json
import os
import subprocess
import sys
import wave

import numpy as np
import onnx
from onnx import numpy_helper

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    print("SKIP: /usr/bin/python3 without torch (python3-torch)")
    sys.exit(77)

dltrain, work = sys.argv[1:3]
os.makedirs(work, exist_ok=True)
RATE = 16000
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def write_wav(x, path):
    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())


rng = np.random.default_rng(3)
t = np.arange(2 * RATE) / RATE
rows = []
for split, n in (("train", 48), ("val", 16)):
    for i in range(n):
        kind = ["music", "noise", "silence", "music,noise"][i % 4]
        x = np.zeros_like(t)
        if "music" in kind:
            for f in rng.uniform(200, 1500, 3):
                x += np.sin(2 * np.pi * f * t) * (np.sin(2 * np.pi * 2 * t) > 0)
        if "noise" in kind:
            x += rng.standard_normal(len(t))
        if kind != "silence":
            x = 0.1 * x / np.sqrt(np.mean(x ** 2))
        p = os.path.join(work, "%s%02d.wav" % (split, i))
        write_wav(x, p)
        rows.append((split, p, kind))
for split in ("train", "val"):
    with open(os.path.join(work, split + ".tsv"), "w") as f:
        for s, p, k in rows:
            if s == split:
                f.write("%s\t%s\n" % (p, k))

model = os.path.join(work, "crnn.onnx")
subprocess.run([dltrain, "fit", "--task", "tag",
                "--data", os.path.join(work, "train.tsv"),
                "--val-data", os.path.join(work, "val.tsv"),
                "--arch", "crnn", "--width", "4", "--image-size", "40x200",
                "--epochs", "2", "--batch-size", "16", "--threads", "1",
                "--quiet", "--output", model], check=True)

m = onnx.load(model)
try:
    onnx.checker.check_model(m, full_check=True)
    check(True, "onnx.checker full_check")
except Exception as e:  # noqa: BLE001
    check(False, "onnx.checker: %s" % e)
meta = {p.key: p.value for p in m.metadata_props}
labels = json.loads(meta.get("dl.labels", "[]"))
check(meta.get("dl.task") == "tag" and labels == ["music", "noise", "silence"],
      "dl.task tag, dl.labels %s" % labels)
check("--arch crnn" in json.loads(meta.get("dl.provenance", "{}")).get(
    "command", ""), "dl.provenance names --arch crnn")
dims = [d.dim_value or d.dim_param for d in
        m.graph.input[0].type.tensor_type.shape.dim]
check(dims[1:] == [1, 200, 40], "input [N, 1, 200, 40]: %s" % dims)
check(m.graph.node[-1].op_type == "Sigmoid", "Sigmoid last")
ops = {n.op_type for n in m.graph.node}
check({"GRU", "ReduceMean", "Conv"} <= ops and "Flatten" not in ops,
      "CNN + GRU + mean over time: %s" % sorted(ops))

W = {i.name: numpy_helper.to_array(i).astype(np.float64)
     for i in m.graph.initializer}


def gru(x, Wt, Rt, Bt):                    # x [T, N, I], ONNX z r h, lbr=1
    Wz, Wr, Wh = np.split(Wt[0], 3)
    Rz, Rr, Rh = np.split(Rt[0], 3)
    wbz, wbr, wbh, rbz, rbr, rbh = np.split(Bt[0], 6)
    h = np.zeros((x.shape[1], Rt.shape[2]))
    sig = lambda v: 1 / (1 + np.exp(-v))   # noqa: E731
    ys = []
    for xt in x:
        z = sig(xt @ Wz.T + h @ Rz.T + wbz + rbz)
        r = sig(xt @ Wr.T + h @ Rr.T + wbr + rbr)
        hh = np.tanh(xt @ Wh.T + r * (h @ Rh.T + rbh) + wbh)
        h = (1 - z) * hh + z * h
        ys.append(h)
    return np.stack(ys)


def reference(x):                          # x [N, 1, T, 40]
    y = torch.tensor((x - W["input_norm.mean"]) / W["input_norm.std"])
    for i in range(1, 6):
        y = F.conv2d(y, torch.tensor(W["conv%d.weight" % i]), padding=1)
        y = F.batch_norm(y, torch.tensor(W["bn%d.running_mean" % i]),
                         torch.tensor(W["bn%d.running_var" % i]),
                         torch.tensor(W["bn%d.weight" % i]),
                         torch.tensor(W["bn%d.bias" % i]), False, 0.0, 1e-5)
        y = F.relu(y)
        if i in (2, 4):
            y = F.max_pool2d(y, 2)
    y = y.numpy()                          # [N, C, T', F']
    y = y.transpose(2, 0, 1, 3).reshape(y.shape[2], y.shape[0], -1)
    y = gru(y, W["gru.W"], W["gru.R"], W["gru.B"]).mean(0)
    y = y @ W["logits.weight"].T + W["logits.bias"]
    return 1 / (1 + np.exp(-y))


x = np.random.default_rng(5).normal(-8, 3, (3, 1, 200, 40))
xi, yo = os.path.join(work, "x.npy"), os.path.join(work, "y.npy")
np.save(xi, x.astype("<f4"))
subprocess.run([dltrain, "run", model, "--input", xi, "--output", yo],
               check=True)
got = np.load(yo).astype(np.float64)
want = reference(x)
err = float(np.max(np.abs(got - want))) if got.shape == want.shape else 1e9
check(got.shape == (3, 3) and err < 1e-4,
      "dltrain run vs reference: shape %s, max |diff| %.2g" % (got.shape, err))
check(float(np.std(want)) > 1e-3, "outputs differ between inputs and tags")

if failures:
    print("%d checks failed" % len(failures))
    sys.exit(1)
print("PASS")
