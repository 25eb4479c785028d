#!/usr/bin/python3
"""Checks a dl.task=speech model written by `dltrain fit --task speech`:
onnx.checker (full_check), the dl.* metadata, and its output computed by
`dltrain run` (libdlnn) against an independent NumPy implementation of the
documented architecture read from the ONNX initializers (normalisation,
causal strided Conv 1-D, GRU with ONNX equations, linear, LogSoftmax), and
causality: the outputs for a prefix of the input equal the first outputs
for the whole input.

usage: speech_model_check.py DLTRAIN MODEL.onnx WORKDIR"""
import json
import math
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import numpy_helper

dltrain, path, work = sys.argv[1:4]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


m = onnx.load(path)
try:
    onnx.checker.check_model(m, full_check=True)
    check(True, "onnx.checker full_check")
except Exception as e:  # noqa: BLE001
    check(False, "onnx.checker: %s" % e)

meta = {p.key: p.value for p in m.metadata_props}
check(meta.get("dl.task") == "speech", "dl.task speech")
labels = json.loads(meta.get("dl.labels", "[]"))
expect = ["<blank>", " ", "'"] + [chr(c) for c in range(ord("a"), ord("z") + 1)]
check(labels == expect, "dl.labels %s" % labels[:5])
check(meta.get("dl.ctc") == "blank=0", "dl.ctc %r" % meta.get("dl.ctc"))
audio = dict(kv.split("=") for kv in meta.get("dl.audio", "").split(";") if kv)
check(audio.get("rate") == "16000" and audio.get("n_mels") == "40"
      and audio.get("features") == "logmel", "dl.audio %r" % meta.get("dl.audio"))
metrics = json.loads(meta.get("dl.metrics", "{}"))
check(all(k in metrics and 0 <= metrics[k] <= 5 for k in ("val_wer", "val_cer")),
      "dl.metrics %s" % metrics)
prov = json.loads(meta.get("dl.provenance", "{}"))
check("--task speech" in prov.get("command", "") and prov.get("train_utterances", 0) > 0,
      "dl.provenance command and counts")
inp = m.graph.input[0].type.tensor_type.shape.dim
check(len(inp) == 3 and inp[2].dim_value == 40 and inp[1].dim_param != "",
      "input [N, T (dynamic), 40]")
out = m.graph.output[0].type.tensor_type.shape.dim
check(len(out) == 3 and out[1].dim_param != "" and out[2].dim_value == len(labels),
      "output [N, T' (dynamic), C]")
check(m.graph.node[-1].op_type == "LogSoftmax", "LogSoftmax last")

# --- independent NumPy forward -------------------------------------------
W = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in m.graph.initializer}


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def conv1d_causal(x, w, b, stride):        # x [N, C, T]
    k = w.shape[2]
    xp = np.concatenate([np.zeros(x.shape[:2] + (k - 1,)), x], 2)
    t_out = (xp.shape[2] - k) // stride + 1
    y = np.empty((x.shape[0], w.shape[0], t_out))
    for t in range(t_out):
        seg = xp[:, :, t * stride:t * stride + k]       # [N, C, k]
        y[:, :, t] = np.einsum("nck,ock->no", seg, w) + b
    return y


def gru(x, Wt, Rt, Bt):                    # x [T, N, I], ONNX z r h, lbr=1
    H = Rt.shape[2]
    Wz, Wr, Wh = np.split(Wt[0], 3)
    Rz, Rr, Rh = np.split(Rt[0], 3)
    wbz, wbr, wbh, rbz, rbr, rbh = np.split(Bt[0], 6)
    h = np.zeros((x.shape[1], H))
    ys = []
    for t in range(x.shape[0]):
        xt = x[t]
        z = sigmoid(xt @ Wz.T + h @ Rz.T + wbz + rbz)
        r = sigmoid(xt @ Wr.T + h @ Rr.T + wbr + rbr)
        hh = np.tanh(xt @ Wh.T + r * (h @ Rh.T + rbh) + wbh)
        h = (1 - z) * hh + z * h
        ys.append(h)
    return np.stack(ys)


def reference(x):                          # x [N, T, 40]
    y = (x - W["norm.mean"]) * W["norm.inv_std"]
    y = y.transpose(0, 2, 1)
    y = np.maximum(conv1d_causal(y, W["conv1.weight"], W["conv1.bias"], 3), 0)
    y = np.maximum(conv1d_causal(y, W["conv2.weight"], W["conv2.bias"], 1), 0)
    y = y.transpose(2, 0, 1)
    i = 1
    while "gru%d.W" % i in W:
        y = gru(y, W["gru%d.W" % i], W["gru%d.R" % i], W["gru%d.B" % i])
        i += 1
    y = y.transpose(1, 0, 2) @ W["fc.weight"] + W["fc.bias"]
    y = y - y.max(2, keepdims=True)
    return y - np.log(np.exp(y).sum(2, keepdims=True))


def run(x, name):
    xi = os.path.join(work, name + "-x.npy")
    yo = os.path.join(work, name + "-y.npy")
    np.save(xi, x.astype("<f4"))
    subprocess.run([dltrain, "run", path, "--input", xi, "--output", yo],
                   check=True)
    return np.load(yo).astype(np.float64)


rng = np.random.default_rng(7)
mean = W["norm.mean"]
x = mean + rng.normal(0, 2.0, (2, 50, 40))
y = run(x, "full")
ref = reference(x)
check(y.shape == (2, math.ceil(50 / 3), len(labels)),
      "output shape %s for T=50 (T' = ceil(T/3))" % (y.shape,))
if y.shape == ref.shape:
    err = float(np.max(np.abs(y - ref)))
    check(err < 2e-4, "dltrain run vs NumPy reference: max error %.2e" % err)
yp = run(x[:, :31], "prefix")
n = math.ceil(31 / 3)
check(yp.shape[1] == n, "prefix output frames %d" % yp.shape[1])
err = float(np.max(np.abs(yp - y[:, :n])))
check(err < 1e-5, "causal: prefix outputs equal the full run's (max diff %.2e)" % err)

sys.exit(1 if failures else 0)
