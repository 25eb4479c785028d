#!/usr/bin/python3
"""libdlnn vs ONNX Runtime, PyTorch and OpenCV DNN on exported models.

  /usr/bin/python3 bench/bench-models.py [--build build] [--threads 1,2]
      [--models resnet18,...] [--reps 50] [--min-time 2] [--record]

In one run:
  1. exports every model with torch.onnx.export (bench/bench_models_torch.py:
     torch 1.13, torchvision 0.14, weights=None, seeded, eval, opset 13,
     batch 1) with a seeded input and PyTorch's output on it;
  2. for each thread count T and each model, one process per tool and run:
       libdlnn       BUILD/bench/dlnn_bench (bench/dlnn_bench.c)
       ONNX Runtime  node bench/ort_bench.js (onnxruntime-node, intra-op T,
                     inter-op 1, graphOptimizationLevel all)
       PyTorch       bench_models_torch.py time (eager, no_grad,
                     set_num_threads T, one inter-op thread; --torch-jit:
                     jit.trace + freeze)
       OpenCV DNN    opencv_bench (bench/opencv_bench.cpp compiled here with
                     g++ -O2 `pkg-config --cflags --libs opencv4`)
     each with warm-up calls then timed calls until --reps calls and
     --min-time seconds; median and p90 latency; libdlnn and ONNX Runtime
     run --rounds times (3) in alternation and keep their median round (a
     burst of load on this shared machine then hits both);
     OMP_NUM_THREADS and OPENBLAS_NUM_THREADS = T in every child; the
     1-minute load average is read before each model's row;
  3. checks every tool's output against PyTorch's (max |a - b| / max |b|);
  4. times sgemm on conv-like shapes (OpenBLAS as configured, OpenBLAS
     with its own kernel choice, libdlnn's own kernel) and computes the GFLOP/s of libdlnn's convolutions: Conv FLOPs from the
     ONNX graph (2 * Cout * Hout * Wout * Cin/group * kH * kW) over the time
     in Conv nodes measured by a DLNN_PROFILE=1 run of dlnn_bench;
  5. prints peak RSS (VmHWM) of loading and running resnet18 in dlnn_bench
     against its weight bytes plus dlnn_exec_planned_bytes.
A model libdlnn (or a peer) cannot load is a row with "unsupported: <the
message>". --record adds or replaces the section of bench/RESULTS.md
between the bench-models markers, with the command, date, machine and load.
"""

import argparse
import datetime
import json
import math
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") \
    else sys.executable
TORCH_HELPER = os.path.join(HERE, "bench_models_torch.py")
DEFAULT_MODELS = ["resnet18", "mobilenet_v2", "squeezenet1_1",
                  "efficientnet_b0", "shufflenet_v2_x1_0", "gru", "lstm",
                  "cnn1d"]
SGEMM_SHAPES = [(64, 3136, 576), (128, 3136, 1152), (256, 3136, 2304),
                (512, 3136, 4608)]
BEGIN = "<!-- bench-models: begin (bench/bench-models.py --record) -->"
END = "<!-- bench-models: end -->"
TOOLS = ["dlnn", "ort", "torch", "opencv"]


def log(msg):
    sys.stderr.write("bench-models: %s\n" % msg)
    sys.stderr.flush()


def run_json(cmd, env=None, timeout=900):
    """Runs cmd; returns the last JSON object line of stdout, or
    {"error": ...}."""
    log("$ " + " ".join(shlex.quote(c) for c in cmd))
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=env, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        return {"error": str(e)}
    out = r.stdout.decode("utf-8", "replace")
    for line in reversed(out.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                break
    err = r.stderr.decode("utf-8", "replace").strip().splitlines()
    return {"error": "exit status %d: %s" % (r.returncode,
                                             err[-1] if err else out[-200:])}


def child_env(threads, extra=None):
    env = dict(os.environ)
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[k] = str(threads)
    env.pop("DLNN_PROFILE", None)
    env.update(extra or {})
    return env


def loadavg():
    try:
        return os.getloadavg()
    except OSError:
        return (float("nan"),) * 3


# ---- tools ----

def find_ort(args):
    node = shutil.which("node")
    if not node:
        return None, None, "node not found"
    cands = [args.ort_dir, os.environ.get("DLNN_ORT_NODE_DIR"),
             os.path.join(args.build, "node"), REPO]
    for c in cands:
        if c and os.path.isfile(os.path.join(c, "node_modules",
                                             "onnxruntime-node",
                                             "package.json")):
            args.ort_version = read_version(os.path.join(
                c, "node_modules", "onnxruntime-node", "package.json"))
            return node, os.path.join(c, "node_modules"), None
    return node, None, ("onnxruntime-node not found (scripts/"
                        "install-onnxruntime-node.sh [DIR], --ort-dir DIR)")


def read_version(package_json):
    try:
        with open(package_json) as f:
            return json.load(f).get("version")
    except (OSError, ValueError):
        return None


def build_opencv(workdir):
    exe = os.path.join(workdir, "opencv_bench")
    try:
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "opencv4"],
                               capture_output=True, text=True, check=True)
        flags = flags.stdout.split()
    except (OSError, subprocess.CalledProcessError):
        # opencv4.pc is in libopencv-dev, which pulls every OpenCV -dev
        # package; libopencv-dnn-dev alone has the headers and libraries
        if not os.path.isdir("/usr/include/opencv4/opencv2/dnn"):
            return None, ("OpenCV DNN headers not found "
                          "(scripts/install-bench-deps.sh)")
        flags = ["-I/usr/include/opencv4", "-lopencv_dnn", "-lopencv_core"]
    cmd = ["g++", "-O2", "-std=c++17", "-o", exe,
           os.path.join(HERE, "opencv_bench.cpp")] + flags
    log("$ " + " ".join(shlex.quote(c) for c in cmd))
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return None, "g++ failed: " + r.stderr.strip()[-300:]
    return exe, None


def timing_args(args):
    return [str(args.warmup), str(args.reps), str(args.min_time)]


def run_tool(tool, args, ctx, m, threads, out):
    x = m["input"]
    dims = [str(d) for d in m["shape"]]
    env = child_env(threads)
    if tool == "dlnn":
        return run_json([ctx["dlnn"], m["onnx"], "--threads", str(threads),
                         "--warmup", str(args.warmup), "--reps",
                         str(args.reps), "--min-time", str(args.min_time),
                         "--input", x, "--output", out], env=env)
    if tool == "ort":
        if ctx["ort_error"]:
            return {"error": ctx["ort_error"], "skipped": True}
        env["NODE_PATH"] = ctx["node_path"]
        return run_json([ctx["node"], os.path.join(HERE, "ort_bench.js"),
                         m["onnx"], x, out, str(threads)] + timing_args(args)
                        + dims, env=env)
    if tool == "torch":
        cmd = [PYTHON, TORCH_HELPER, "time", m["name"], x, out, "--threads",
               str(threads), "--warmup", str(args.warmup), "--reps",
               str(args.reps), "--min-time", str(args.min_time)]
        return run_json(cmd + (["--jit"] if args.torch_jit else []), env=env)
    if ctx["opencv_error"]:
        return {"error": ctx["opencv_error"], "skipped": True}
    return run_json([ctx["opencv"], m["opencv_onnx"], x, out, str(threads)]
                    + timing_args(args) + dims, env=env)


# ---- numbers ----

def rel_err(path, ref):
    import numpy as np
    try:
        a = np.fromfile(path, dtype="<f4")
    except OSError:
        return None
    if a.size != ref.size:
        return float("inf")
    return float(np.max(np.abs(a - ref)) / max(float(np.max(np.abs(ref))),
                                               1e-30))


def conv_flops(path):
    """Sum over Conv nodes of 2 * N * Cout * prod(out spatial) * Cin/group *
    prod(kernel), shapes from onnx.shape_inference."""
    import onnx
    from onnx import shape_inference
    model = shape_inference.infer_shapes(onnx.load(path))
    g = model.graph
    shapes = {}
    for vi in list(g.value_info) + list(g.output) + list(g.input):
        dims = [d.dim_value for d in vi.type.tensor_type.shape.dim]
        shapes[vi.name] = dims
    for init in g.initializer:
        shapes[init.name] = list(init.dims)
    total = 0
    for n in g.node:
        if n.op_type != "Conv":
            continue
        w = shapes.get(n.input[1])
        y = shapes.get(n.output[0])
        if not w or not y or 0 in y:
            return None
        cin_g = w[1]            # the weight is [Cout, Cin / group, k...]
        total += 2 * y[0] * y[1] * math.prod(y[2:]) * cin_g * math.prod(w[2:])
    return total


def opencv_copy(src, dst):
    """Copy of the model for OpenCV 4.6, whose importer rejects Identity
    nodes on initializers (torch.onnx.export makes them when it shares equal
    initializers, e.g. squeezenet's zero biases): each such node becomes a
    copy of the initializer. Returns how many nodes were replaced."""
    import onnx
    m = onnx.load(src)
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    keep, n = [], 0
    for node in g.node:
        if node.op_type == "Identity" and node.input[0] in inits:
            t = onnx.TensorProto()
            t.CopyFrom(inits[node.input[0]])
            t.name = node.output[0]
            g.initializer.append(t)
            n += 1
        else:
            keep.append(node)
    del g.node[:]
    g.node.extend(keep)
    onnx.save(m, dst)
    return n


def geomean(xs):
    xs = [x for x in xs if x and x > 0 and math.isfinite(x)]
    if not xs:
        return None
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


WORKDIR = [""]


def fmt_ms(r):
    if r is None:
        return "-"
    if "error" in r:
        msg = r["error"].replace(WORKDIR[0] + "/", "").replace("|", "\\|")
        msg = " ".join(msg.split())
        if len(msg) > 110:
            msg = msg[:110] + "... (below)"
        return "n/a (%s)" % msg if r.get("skipped") else "unsupported: " + msg
    return "%.2f (p90 %.2f)" % (r["median_ms"], r["p90_ms"])


def ok(r):
    return r is not None and "error" not in r


def ratio(a, b):
    if ok(a) and ok(b):
        return a["median_ms"] / b["median_ms"]
    return None


def fmt_ratio(x):
    return "-" if x is None else "%.2f" % x


# ---- the run ----

def export_models(args, workdir):
    models = []
    for name in args.models:
        m = {"name": name, "onnx": os.path.join(workdir, name + ".onnx"),
             "input": os.path.join(workdir, name + ".in.bin"),
             "ref": os.path.join(workdir, name + ".ref.bin")}
        r = run_json([PYTHON, TORCH_HELPER, "export", name, m["onnx"],
                      m["input"], m["ref"], "--opset", str(args.opset)])
        if "error" in r:
            m["export_error"] = r["error"]
        else:
            m["shape"] = r["input_shape"]
            m["opencv_onnx"] = os.path.join(workdir, name + ".opencv.onnx")
            try:
                m["opencv_identities"] = opencv_copy(m["onnx"],
                                                     m["opencv_onnx"])
            except Exception as e:  # noqa: BLE001 - falls back to the file
                log("OpenCV copy of %s: %s" % (name, e))
                m["opencv_onnx"] = m["onnx"]
            try:
                m["conv_flops"] = conv_flops(m["onnx"])
            except Exception as e:  # noqa: BLE001 - reported, not fatal
                log("conv FLOPs of %s: %s" % (name, e))
                m["conv_flops"] = None
        models.append(m)
    return models


# libdlnn and ONNX Runtime, whose ratio is the goal, run in alternation
INTERLEAVED = ["dlnn", "ort"]


def interleaved_rounds(args, ctx, m, t, workdir):
    """libdlnn and ONNX Runtime --rounds times each, alternating (A B A B
    ...), so that a burst of load from other processes on this shared
    machine falls on both; each tool's figure is its round with the median
    median (its p90 with it), the other rounds' medians kept in
    "rounds_ms"."""
    runs = {}
    for _ in range(max(1, args.rounds)):
        for tool in INTERLEAVED:
            if tool in args.skip:
                continue
            prev = runs.get(tool)
            if prev and not ok(prev[-1]):
                continue
            out = os.path.join(workdir, "%s.%s.%d.out.bin"
                               % (m["name"], tool, t))
            runs.setdefault(tool, []).append(run_tool(tool, args, ctx, m, t,
                                                      out))
    res = {}
    for tool, rs in runs.items():
        good = [r for r in rs if ok(r)]
        if len(good) < len(rs):
            res[tool] = rs[-1]
            continue
        good.sort(key=lambda r: r["median_ms"])
        pick = dict(good[(len(good) - 1) // 2])
        pick["rounds_ms"] = [r["median_ms"] for r in rs]
        res[tool] = pick
    return res


def measure(args, ctx, models, workdir, sgemm):
    import numpy as np
    rows = []
    for t in args.threads:
        if sgemm is not None:
            measure_sgemm(args, ctx, [t], sgemm)
        for m in models:
            row = {"model": m["name"], "threads": t, "load": loadavg()[0],
                   "res": {}, "err": {}}
            if "export_error" in m:
                row["res"] = {k: {"error": "export failed: "
                                  + m["export_error"]} for k in TOOLS}
                rows.append(row)
                continue
            ref = np.fromfile(m["ref"], dtype="<f4")
            rounds = interleaved_rounds(args, ctx, m, t, workdir)
            for tool in TOOLS:
                if tool in args.skip:
                    continue
                out = os.path.join(workdir, "%s.%s.%d.out.bin"
                                   % (m["name"], tool, t))
                r = rounds[tool] if tool in rounds else run_tool(
                    tool, args, ctx, m, t, out)
                row["res"][tool] = r
                if ok(r):
                    row["err"][tool] = rel_err(out, ref)
                log("%s %s T=%d: %s" % (m["name"], tool, t,
                                        fmt_ms(r)[:160]))
            if ok(row["res"].get("dlnn")):
                prof = run_json([ctx["dlnn"], m["onnx"], "--threads", str(t),
                                 "--warmup", "3", "--reps", "10",
                                 "--min-time", "1", "--input", m["input"]],
                                env=child_env(t, {"DLNN_PROFILE": "1"}))
                row["profile"] = prof if ok(prof) else None
            rows.append(row)
    return rows


def sgemm_variants():
    """(name, extra env, removed env keys) of the sgemm measurements:
    OpenBLAS as this environment configures it, OpenBLAS choosing its own
    kernels (when OPENBLAS_CORETYPE forces a core type), libdlnn's own."""
    v = [("openblas", {"DLNN_SGEMM": "openblas"}, ())]
    if os.environ.get("OPENBLAS_CORETYPE"):
        v.append(("openblas-auto", {"DLNN_SGEMM": "openblas"},
                  ("OPENBLAS_CORETYPE",)))
    v.append(("dlnn", {}, ()))
    return v


def measure_sgemm(args, ctx, threads, res):
    """Adds to res[(variant, t, M, N, K)] the GFLOP/s of this measurement
    (and res[("core", variant)] the kernel and OpenBLAS core type); the
    report uses the best of the measurements (before each thread block and
    at the end), the least disturbed by other load."""
    for t in threads:
        for name, extra, drop in sgemm_variants():
            env = child_env(t, extra)
            for k in drop:
                env.pop(k, None)
            for (mm, nn, kk) in SGEMM_SHAPES:
                r = run_json([ctx["dlnn"], "--sgemm", "%d,%d,%d" % (mm, nn, kk),
                              "--threads", str(t), "--warmup", "2", "--reps",
                              "5", "--min-time", "1"], env=env)
                if ok(r):
                    res.setdefault((name, t, mm, nn, kk), []).append(
                        r["gflops_median"])
                    res[("core", name)] = "%s, OpenBLAS core %s" % (
                        r.get("kernel", "?"), r.get("openblas_core", "?"))


def report(args, models, rows, sgemm, cmdline):
    lines = []
    now = datetime.datetime.now(datetime.timezone.utc)
    la = loadavg()
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    ver = {"ort": getattr(args, "ort_version", None)}
    keys = {"ort": ("ort_version", "ort"), "opencv": ("opencv_version",
                                                       "opencv"),
            "torch": ("torch", "torch"), "mode": ("mode", "torch_mode")}
    for r in rows:
        for tool, v in r["res"].items():
            if not ok(v):
                continue
            for src, dst in keys.values():
                if v.get(src) and not ver.get(dst):
                    ver[dst] = v[src]
    lines.append("Command: `%s`" % cmdline)
    lines.append("")
    lines.append("Date: %s  " % now.strftime("%Y-%m-%d %H:%M UTC"))
    lines.append("Machine: %s, %d logical CPUs, %s  " % (
        cpu, os.cpu_count() or 0, platform.platform()))
    lines.append("Load average at the end: %.2f %.2f %.2f (other engineers "
                 "compile on this machine; the load column is the 1-minute "
                 "load before each row)  " % la)
    lines.append("Peers: ONNX Runtime %s (onnxruntime-node), PyTorch %s "
                 "(%s), OpenCV %s; batch 1, opset %d, warm-up %d, then at "
                 "least %d calls and %.1f s per figure; libdlnn and ONNX "
                 "Runtime %d times each, alternating, and the median of "
                 "their medians kept." % (
                     ver.get("ort") or "?", ver.get("torch") or "?",
                     ver.get("torch_mode") or "eager",
                     ver.get("opencv") or "?", args.opset, args.warmup,
                     args.reps, args.min_time, max(1, args.rounds)))
    lines.append("")
    lines.append("Median latency in ms (p90 in brackets); ratios are "
                 "libdlnn / peer (< 1: libdlnn faster). libdlnn: "
                 "bench/dlnn_bench (load, BatchNorm folding as dlclassify "
                 "does). OpenCV gets a copy of each file with "
                 "Identity-of-initializer nodes replaced by initializers "
                 "(its 4.6 importer rejects them).")
    lines.append("")
    lines.append("| model | threads | libdlnn ms | ORT ms | ratio dlnn/ORT "
                 "| PyTorch ms | ratio | OpenCV ms | ratio | load |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
                 "| ---: | ---: |")
    for r in rows:
        d = r["res"].get("dlnn")
        cells = [r["model"], str(r["threads"]), fmt_ms(d)]
        for tool in ("ort", "torch", "opencv"):
            p = r["res"].get(tool)
            cells += [fmt_ms(p), fmt_ratio(ratio(d, p))]
        cells.append("%.2f" % r["load"])
        lines.append("| " + " | ".join(cells) + " |")
    for t in args.threads:
        sub = [r for r in rows if r["threads"] == t]
        cells = ["**geometric mean**", str(t)]
        allok = [r for r in sub if all(ok(r["res"].get(k)) for k in TOOLS
                                       if k not in args.skip)]
        gm = geomean([r["res"]["dlnn"]["median_ms"] for r in allok])
        cells.append("%.2f" % gm if gm else "-")
        for tool in ("ort", "torch", "opencv"):
            g = geomean([r["res"][tool]["median_ms"] for r in allok]) \
                if tool not in args.skip else None
            cells.append("%.2f" % g if g else "-")
            gr = geomean([ratio(r["res"].get("dlnn"), r["res"].get(tool))
                          for r in sub])
            cells.append("**%.2f**" % gr if gr else "-")
        cells.append("")
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Geometric means: ms columns over the models every tool "
                 "ran (%s); ratio columns over the models both tools ran." %
                 ", ".join(sorted({r["model"] for r in rows if all(
                     ok(r["res"].get(k)) for k in TOOLS
                     if k not in args.skip)})))
    lines.append("")

    # full load errors
    errs = {}
    for r in rows:
        for tool, v in r["res"].items():
            if v and "error" in v and not v.get("skipped"):
                msg = " ".join(v["error"].replace(WORKDIR[0] + "/", "")
                               .split())
                if len(msg) > 110:
                    errs.setdefault((r["model"], tool), msg[:600])
    if errs:
        lines.append("Load errors in full:")
        lines.append("")
        for (model, tool), msg in errs.items():
            lines.append("- %s, %s: `%s`" % (model, tool,
                                              msg.replace("`", "'")))
        lines.append("")

    # accuracy
    lines.append("Outputs against PyTorch on the same input "
                 "(max |y - y_torch| / max |y_torch|):")
    lines.append("")
    seen = set()
    for r in rows:
        if r["model"] in seen or not r["err"]:
            continue
        seen.add(r["model"])
        lines.append("- %s: " % r["model"] + ", ".join(
            "%s %.1e" % (k, v) for k, v in r["err"].items() if v is not None))
    lines.append("")

    # convolutions vs sgemm
    lines.append("Convolutions: libdlnn's Conv GFLOP/s (conv FLOPs from the "
                 "ONNX shapes, counted as a direct convolution, so an "
                 "effective rate where a Winograd kernel runs / time in Conv "
                 "nodes, DLNN_PROFILE=1 run; Conv "
                 "includes the folded BatchNorm, bias and fused activation; "
                 "ms are means per "
                 "run of that profiled run) against OpenBLAS sgemm (M x K "
                 "times K x N, `dlnn_bench --sgemm` with DLNN_SGEMM=openblas; "
                 "openblas-auto: with OPENBLAS_CORETYPE=%s removed from the "
                 "environment, so that OpenBLAS picks its kernels for this "
                 "CPU) and libdlnn's own sgemm (dlnn), measured in this run; "
                 "the percentages are of the best OpenBLAS figure:"
                 % os.environ.get("OPENBLAS_CORETYPE", "(unset)"))
    lines.append("")
    for t in args.threads:
        best = 0.0
        for name, _, _ in sgemm_variants():
            runs = {s_: sgemm.get((name, t) + s_) or [] for s_ in SGEMM_SHAPES}
            rates = {s_: max(v) if v else None for s_, v in runs.items()}
            top = max([v for v in rates.values() if v] or [0])
            if name.startswith("openblas"):
                best = max(best, top)
            lines.append("- threads %d, sgemm %s (%s): GFLOP/s, best of %d "
                         "measurements (%s): %s; max %.1f" % (
                             t, name, sgemm.get(("core", name), "?"),
                             max([len(v) for v in runs.values()] or [0]),
                             "; ".join("/".join("%.0f" % x for x in v)
                                       for v in runs.values()),
                             ", ".join("%dx%dx%d %.1f" % (s_ + (v,)) if v
                                       else "%dx%dx%d -" % s_
                                       for s_, v in rates.items()), top))
        for r in rows:
            if r["threads"] != t or not r.get("profile"):
                continue
            m = next(mm for mm in models if mm["name"] == r["model"])
            conv_ms = r["profile"].get("op_ms_per_run", {}).get("Conv")
            if not m.get("conv_flops") or not conv_ms:
                continue
            rate = m["conv_flops"] / (conv_ms * 1e-3) * 1e-9
            tot = r["profile"]["mean_ms"]
            lines.append("  - %s: %.2f GFLOP conv, %.2f ms in Conv of %.2f ms "
                         "(%.0f%%): %.1f GFLOP/s = %.0f%% of the OpenBLAS "
                         "sgemm max"
                         % (r["model"], m["conv_flops"] * 1e-9, conv_ms, tot,
                            100 * conv_ms / tot, rate,
                            100 * rate / best if best else float("nan")))
            top = sorted(r["profile"]["op_ms_per_run"].items(),
                         key=lambda kv: -kv[1])[:4]
            lines.append("    time per op type (ms): " + ", ".join(
                "%s %.2f" % kv for kv in top))
    lines.append("")

    # memory
    for r in rows:
        d = r["res"].get("dlnn")
        if r["model"] != "resnet18" or not ok(d):
            continue
        need = d["weight_bytes"] + d["planned_bytes"]
        hwm = d["hwm_after_run_kb"] * 1024
        lines.append("Memory, resnet18 in dlnn_bench at %d thread(s): "
                     "weights %.1f MB + planned %.1f MB = %.1f MB; VmHWM "
                     "after load %.1f MB, after planning %.1f MB, after the "
                     "runs %.1f MB (process at start %.1f MB): peak / "
                     "(weights + planned) = **%.2f** (%.2f without the "
                     "start-up RSS)." % (
                         r["threads"], d["weight_bytes"] / 1e6,
                         d["planned_bytes"] / 1e6, need / 1e6,
                         d["hwm_after_load_kb"] * 1024 / 1e6,
                         d["hwm_after_plan_kb"] * 1024 / 1e6, hwm / 1e6,
                         d["rss_start_kb"] * 1024 / 1e6, hwm / need,
                         (hwm - d["rss_start_kb"] * 1024) / need))
        lines.append("")
    return "\n".join(lines)


def record(text, path=None):
    path = path or os.path.join(HERE, "RESULTS.md")
    with open(path) as f:
        old = f.read()
    section = ("%s\n## Model inference: libdlnn vs ONNX Runtime, PyTorch, "
               "OpenCV DNN\n\n%s\n%s\n" % (BEGIN, text.rstrip(), END))
    if BEGIN in old and END in old:
        a = old.index(BEGIN)
        b = old.index(END) + len(END)
        new = old[:a] + section.rstrip("\n") + old[b:]
    else:
        new = old.rstrip("\n") + "\n\n" + section
    tmp = path + ".tmp.%d" % os.getpid()
    with open(tmp, "w") as f:
        f.write(new)
    os.replace(tmp, path)
    log("recorded in %s" % path)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--build", default=os.path.join(REPO, "build"),
                   help="meson build dir holding bench/dlnn_bench")
    p.add_argument("--dlnn-bench", help="path of dlnn_bench (default: "
                   "BUILD/bench/dlnn_bench)")
    p.add_argument("--models", default=",".join(DEFAULT_MODELS))
    p.add_argument("--threads", default="1,2")
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--reps", type=int, default=50)
    p.add_argument("--min-time", type=float, default=2.0)
    p.add_argument("--rounds", type=int, default=3,
                   help="alternating runs of libdlnn and ONNX Runtime per "
                   "figure (median of their medians)")
    p.add_argument("--opset", type=int, default=13)
    p.add_argument("--ort-dir", help="directory whose node_modules holds "
                   "onnxruntime-node")
    p.add_argument("--skip", default="", help="comma list of ort,torch,opencv")
    p.add_argument("--torch-jit", action="store_true",
                   help="PyTorch: jit.trace + freeze instead of eager")
    p.add_argument("--no-sgemm", action="store_true")
    p.add_argument("--workdir", help="keep exported models here "
                   "(default: a temporary directory)")
    p.add_argument("--record", action="store_true",
                   help="write the table into bench/RESULTS.md")
    args = p.parse_args()
    args.models = [m for m in args.models.split(",") if m]
    args.threads = [int(t) for t in args.threads.split(",") if t]
    args.skip = [s for s in args.skip.split(",") if s]
    args.build = os.path.abspath(args.build)
    cmdline = " ".join(["/usr/bin/python3", "bench/bench-models.py"]
                       + [shlex.quote(a) for a in sys.argv[1:]])

    ctx = {"dlnn": args.dlnn_bench or os.path.join(args.build, "bench",
                                                   "dlnn_bench")}
    if not os.access(ctx["dlnn"], os.X_OK):
        log("%s not found: build first (ninja -C BUILD)" % ctx["dlnn"])
        return 2
    ctx["node"], ctx["node_path"], ctx["ort_error"] = find_ort(args)
    tmp = None
    if args.workdir:
        workdir = os.path.abspath(args.workdir)
        os.makedirs(workdir, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="bench-models-")
        workdir = tmp.name
    WORKDIR[0] = workdir
    ctx["opencv"], ctx["opencv_error"] = build_opencv(workdir)
    for k in ("ort_error", "opencv_error"):
        if ctx[k]:
            log("warning: " + ctx[k])

    models = export_models(args, workdir)
    sgemm = None if args.no_sgemm else {}
    rows = measure(args, ctx, models, workdir, sgemm)
    if sgemm is not None:
        measure_sgemm(args, ctx, args.threads, sgemm)
    text = report(args, models, rows, sgemm or {}, cmdline)
    print(text)
    if args.record:
        record(text)
    if tmp:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
