#!/usr/bin/python3
"""Keeps bench/bench-models.py and bench/dlnn_bench honest (suite 'bench').

  test_bench_models.py DLNN_BENCH

- conv_flops() on a hand-made grouped, strided, padded Conv equals the
  formula evaluated here from the attributes;
- dlnn_bench --input/--output on that model gives numpy's convolution
  (independent loops here), and its JSON has ordered latencies and memory;
- dlnn_bench --sgemm reports a positive rate;
- record() adds its section once, replaces it on a second run and keeps the
  rest of the file.
Exit 77 (skip) when numpy or onnx are missing.
"""
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper, TensorProto
except ImportError as e:
    print("SKIP: needs python3-numpy and python3-onnx (%s)" % e)
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "bench_models", os.path.join(HERE, "bench-models.py"))
bm = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bm)

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL: " + msg)


def make_conv(path, rng):
    n, cin, h, w = 1, 4, 9, 11
    cout, group, kh, kw, stride, pad = 6, 2, 3, 2, 2, 1
    wt = rng.standard_normal((cout, cin // group, kh, kw)).astype(np.float32)
    b = rng.standard_normal(cout).astype(np.float32)
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], group=group,
                            strides=[stride, stride],
                            pads=[pad, pad, pad, pad],
                            kernel_shape=[kh, kw])
    ho = (h + 2 * pad - kh) // stride + 1
    wo = (w + 2 * pad - kw) // stride + 1
    graph = helper.make_graph(
        [node], "conv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [n, cin, h, w])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                       [n, cout, ho, wo])],
        [numpy_helper.from_array(wt, "w"), numpy_helper.from_array(b, "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, path)
    x = rng.uniform(-1, 1, (n, cin, h, w)).astype(np.float32)
    # reference: explicit loops
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    y = np.zeros((n, cout, ho, wo))
    cg = cin // group
    for o in range(cout):
        g = o // (cout // group)
        for i in range(ho):
            for j in range(wo):
                patch = xp[0, g * cg:(g + 1) * cg, i * stride:i * stride + kh,
                           j * stride:j * stride + kw]
                y[0, o, i, j] = np.sum(patch * wt[o]) + b[o]
    flops = 2 * n * cout * ho * wo * cg * kh * kw
    return x, y, flops


def main():
    if len(sys.argv) != 2:
        print("usage: test_bench_models.py DLNN_BENCH")
        return 2
    tool = sys.argv[1]
    rng = np.random.default_rng(7)
    with tempfile.TemporaryDirectory() as d:
        model = os.path.join(d, "conv.onnx")
        x, yref, flops = make_conv(model, rng)
        check(bm.conv_flops(model) == flops,
              "conv_flops %r != %d" % (bm.conv_flops(model), flops))

        xin, yout = os.path.join(d, "x.bin"), os.path.join(d, "y.bin")
        x.astype("<f4").tofile(xin)
        r = subprocess.run([tool, model, "--input", xin, "--output", yout,
                            "--warmup", "1", "--reps", "5", "--min-time", "0"],
                           capture_output=True, text=True)
        check(r.returncode == 0, "dlnn_bench exit %d: %s" % (r.returncode,
                                                              r.stdout))
        res = json.loads(r.stdout.strip().splitlines()[-1])
        y = np.fromfile(yout, dtype="<f4")
        check(y.size == yref.size, "output size %d != %d" % (y.size,
                                                             yref.size))
        if y.size == yref.size:
            err = np.max(np.abs(y - yref.ravel())) / np.max(np.abs(yref))
            check(err < 1e-5, "dlnn_bench output differs: rel err %g" % err)
        check(res.get("reps") == 5, "reps %r" % res.get("reps"))
        check(0 < res["min_ms"] <= res["median_ms"] <= res["p90_ms"],
              "latencies not ordered: %r" % res)
        check(res["weight_bytes"] == 4 * (6 * 2 * 3 * 2 + 6),
              "weight_bytes %r" % res["weight_bytes"])
        check(res["planned_bytes"] >= 4 * (x.size + yref.size),
              "planned_bytes %r" % res["planned_bytes"])
        check(res["hwm_after_run_kb"] >= res["hwm_after_load_kb"] > 0,
              "VmHWM figures %r" % res)

        r = subprocess.run([tool, model, "--input", os.path.join(d, "nope")],
                           capture_output=True, text=True)
        check(r.returncode == 1 and "error" in json.loads(r.stdout),
              "missing input file not reported: %r" % r.stdout)

        r = subprocess.run([tool, "--sgemm", "32,48,16", "--reps", "3",
                            "--min-time", "0"], capture_output=True, text=True)
        s = json.loads(r.stdout)
        check(r.returncode == 0 and s["gflops_median"] > 0,
              "sgemm: %r" % r.stdout)

        results = os.path.join(d, "RESULTS.md")
        with open(results, "w") as f:
            f.write("# Benchmark results\n\nold section\n")
        bm.record("table one\n", results)
        bm.record("table two\n", results)
        with open(results) as f:
            text = f.read()
        check(text.startswith("# Benchmark results\n\nold section\n"),
              "record() changed the existing section")
        check(text.count(bm.BEGIN) == 1 and "table two" in text
              and "table one" not in text,
              "record() did not replace its section: %r" % text)
    check(abs(bm.geomean([2, 8]) - 4) < 1e-12, "geomean")
    check(bm.geomean([None, float("inf")]) is None, "geomean of nothing")
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
