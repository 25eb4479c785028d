#!/usr/bin/python3
"""dltrain vs PyTorch 1.13: one training epoch and batch-1 inference.

  /usr/bin/python3 bench/bench-train.py [--dltrain build/nn/trainer/dltrain]
      [--threads 1,2] [--batch-size 64] [--limit N] [--record]

For each thread count T it runs, one after the other:
  1. dltrain fit --data D --arch vgg --epochs 1 --batch-size B --threads T
       --optimizer sgd --val-split 0 --output TMP/dltrain-T.onnx
       [--dltrain-arg ...]
     train images/s = the rate on dltrain's "epoch 1/1 ... (N img/s)" line
     (else the last "N images/s" or JSON "train_images_per_s" it prints),
     else train images / wall-clock time of the whole command ("wall").
     Not --quiet: that would hide the epoch line.
  2. per-image inference of that model, the first of these that works:
     a. dltrain bench MODEL --threads T --batch-size 1 (rate it prints);
     b. gst-launch-1.0 ... GRAY8 28x28 frames ! dlclassify model=MODEL
        threads=T ! fakesink: FRAMES / (wall time - wall time of the same
        pipeline without dlclassify), best of 3 each (marked "gst");
     c. dltrain eval MODEL --data D --threads T: 10000 / wall time (marked
        "eval"; batched, so not comparable to batch 1; printed as a warning).
  3. bench/pytorch_bench.py --threads T --batch-size B on the same data
     (same architecture, one epoch, timed training loop; batch-1 eager
     inference, median of --reps calls).
and prints a Markdown table with the ratios dltrain / PyTorch (> 1 means
dltrain is faster).  --record writes the table, the command line and the
machine to bench/RESULTS.md.

--limit N trains both on the first N training images (a gzipped IDX copy in
the temporary folder) instead of the full 60000.
"""

import argparse
import gzip
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") \
    else sys.executable

# dltrain fit's per-epoch line: "epoch 1/1  loss ...  time 70.1s  (856 img/s)"
EPOCH_RE = re.compile(r"^epoch \d+/\d+ .*\(([0-9]+(?:\.[0-9]+)?) img/s\)",
                      re.M)
RATE_RE = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(?:images/s|img/s|images/sec)")


def log(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


def run(cmd, env=None, timeout=None):
    log("$ " + " ".join(shlex.quote(c) for c in cmd))
    t0 = time.perf_counter()
    try:
        res = subprocess.run(cmd, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, env=env,
                             timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        log("  failed: %s" % e)
        return None, "", time.perf_counter() - t0
    wall = time.perf_counter() - t0
    out = res.stdout.decode("utf-8", errors="replace")
    if res.returncode != 0:
        log("  exit status %d; last output:\n%s"
            % (res.returncode, "\n".join(out.splitlines()[-10:])))
    return res.returncode, out, wall


def parse_rate(out, json_key):
    """Last JSON value of json_key, else the last 'N images/s' in out."""
    rate = None
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                obj = json.loads(line)
            except ValueError:
                obj = None
            if isinstance(obj, dict) and json_key in obj:
                rate = float(obj[json_key])
    if rate is not None:
        return rate
    # a progress bar rewrites its line with \r; take the last rate printed
    found = RATE_RE.findall(out.replace("\r", "\n"))
    return float(found[-1]) if found else None


def thread_env(threads):
    env = dict(os.environ)
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[k] = str(threads)
    return env


def make_subset(data, limit, tmp):
    """Gzipped IDX copy of the first `limit` train images (test: links)."""
    sub = os.path.join(tmp, "data-%d" % limit)
    os.makedirs(sub, exist_ok=True)
    for name, rec in (("train-images-idx3-ubyte.gz", 28 * 28),
                      ("train-labels-idx1-ubyte.gz", 1)):
        with gzip.open(os.path.join(data, name), "rb") as f:
            raw = f.read()
        header = 16 if rec > 1 else 8
        count = int.from_bytes(raw[4:8], "big")
        if limit > count:
            raise SystemExit("bench: --limit %d > %d training images"
                             % (limit, count))
        out = bytearray(raw[:header])
        out[4:8] = limit.to_bytes(4, "big")
        out += raw[header:header + limit * rec]
        with gzip.open(os.path.join(sub, name), "wb", compresslevel=1) as f:
            f.write(bytes(out))
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        dst = os.path.join(sub, name)
        if not os.path.exists(dst):
            os.symlink(os.path.join(data, name), dst)
    return sub


def dltrain_fit(args, data, threads, model, n_train):
    cmd = [args.dltrain, "fit", "--data", data, "--arch", "vgg",
           "--epochs", "1", "--batch-size", str(args.batch_size),
           "--threads", str(threads), "--optimizer", "sgd",
           "--val-split", "0", "--output", model]
    cmd += args.dltrain_arg
    rc, out, wall = run(cmd, env=thread_env(threads))
    if rc != 0:
        return None, None, None
    m = re.search(r"^test_accuracy ([0-9.]+)", out, re.M)
    test_acc = m.group(1) if m else None
    epochs = EPOCH_RE.findall(out)
    if epochs:
        return float(epochs[-1]), "reported", test_acc
    rate = parse_rate(out, "train_images_per_s")
    if rate is not None:
        return rate, "reported", test_acc
    return n_train / wall, "wall", test_acc


def dltrain_infer(args, data, threads, model):
    env = thread_env(threads)
    rc, out, _ = run([args.dltrain, "bench", model, "--threads", str(threads),
                      "--batch-size", "1"], env=env)
    if rc == 0:
        rate = parse_rate(out, "infer_images_per_s")
        if rate is not None:
            return rate, "bench"
    if shutil.which("gst-launch-1.0"):
        rate = gst_infer(args, threads, model, env)
        if rate is not None:
            return rate, "gst"
    rc, out, wall = run([args.dltrain, "eval", model, "--data", data,
                         "--threads", str(threads)], env=env)
    if rc == 0:
        log("warning: per-image inference timed with `dltrain eval` "
            "(batched), not comparable to batch 1")
        return 10000 / wall, "eval"
    return None, None


def gst_infer(args, threads, model, env):
    """Frames/s of dlclassify on 28x28 GRAY8 frames, pipeline cost removed."""
    build = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(args.dltrain))))
    plugdir = os.path.join(build, "gst-plugin")
    env = dict(env)
    if os.path.isdir(plugdir):
        env["GST_PLUGIN_PATH_1_0"] = plugdir + (
            ":" + env["GST_PLUGIN_PATH_1_0"]
            if env.get("GST_PLUGIN_PATH_1_0") else "")
    src = ["gst-launch-1.0", "-q", "videotestsrc", "pattern=snow",
           "num-buffers=%d" % args.gst_frames, "!",
           "video/x-raw,format=GRAY8,width=28,height=28,framerate=1000/1",
           "!"]
    sink = ["fakesink", "sync=false"]
    base = wall = None
    for _ in range(3):  # best of three of each, to damp start-up noise
        rc, _, t = run(src + sink, env=env)
        if rc != 0:
            return None
        base = t if base is None else min(base, t)
        rc, _, t = run(src + ["dlclassify", "model=%s" % model,
                              "threads=%d" % threads, "!"] + sink, env=env)
        if rc != 0:
            return None
        wall = t if wall is None else min(wall, t)
    if wall <= base:
        return None
    return args.gst_frames / (wall - base)


def pytorch(args, data, threads):
    cmd = [PYTHON, os.path.join(HERE, "pytorch_bench.py"), "--data", data,
           "--threads", str(threads), "--batch-size", str(args.batch_size),
           "--reps", str(args.reps)]
    rc, out, _ = run(cmd, env=thread_env(threads))
    if rc != 0:
        return None
    for line in reversed(out.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return None


def fmt(v):
    return "n/a" if v is None else "%.0f" % v


def ratio(a, b):
    return "n/a" if a is None or b is None or b == 0 else "%.2f" % (a / b)


def machine():
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d logical CPUs, %s" % (cpu, os.cpu_count() or 0,
                                        platform.platform())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dltrain",
                    default=os.path.join(REPO, "build", "nn", "trainer",
                                         "dltrain"))
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--threads", default="1,2",
                    help="comma-separated thread counts (default 1,2)")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--limit", type=int, default=0,
                    help="train on the first N images only (0 = all 60000)")
    ap.add_argument("--reps", type=int, default=2000,
                    help="timed batch-1 inference calls (PyTorch)")
    ap.add_argument("--gst-frames", type=int, default=5000)
    ap.add_argument("--dltrain-arg", action="append", default=[],
                    help="extra argument for `dltrain fit` (repeatable)")
    ap.add_argument("--skip-dltrain", action="store_true")
    ap.add_argument("--skip-pytorch", action="store_true")
    ap.add_argument("--record", action="store_true",
                    help="write the result to bench/RESULTS.md")
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",") if t.strip()]
    if not threads or min(threads) < 1:
        raise SystemExit("bench: bad --threads")
    if not args.skip_dltrain and not os.access(args.dltrain, os.X_OK):
        raise SystemExit("bench: %s is not an executable (build first, or "
                         "pass --dltrain PATH or --skip-dltrain)"
                         % args.dltrain)

    tmp = tempfile.mkdtemp(prefix="gst-dl-bench-")
    try:
        data = args.data
        n_train = 60000
        if args.limit > 0:
            data = make_subset(args.data, args.limit, tmp)
            n_train = args.limit
        rows = []
        for t in threads:
            d_train = d_train_how = d_inf = d_inf_how = d_acc = None
            if not args.skip_dltrain:
                model = os.path.join(tmp, "dltrain-%d.onnx" % t)
                d_train, d_train_how, d_acc = dltrain_fit(args, data, t,
                                                          model, n_train)
                if os.path.exists(model):
                    d_inf, d_inf_how = dltrain_infer(args, data, t, model)
            pt = None if args.skip_pytorch else pytorch(args, data, t)
            rows.append((t, d_train, d_train_how, d_inf, d_inf_how, pt,
                         d_acc))
            log("threads %d: dltrain train %s (%s) infer %s (%s); pytorch %s"
                % (t, fmt(d_train), d_train_how, fmt(d_inf), d_inf_how,
                   json.dumps(pt)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    lines = [
        "| threads | dltrain train img/s | PyTorch train img/s | ratio "
        "| dltrain infer img/s | PyTorch infer img/s | ratio |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    notes = []
    for t, dtr, dtr_how, dinf, dinf_how, pt, dacc in rows:
        ptr = pt["train_images_per_s"] if pt else None
        pinf = pt["infer_images_per_s"] if pt else None
        dtr_s = fmt(dtr) + (" (wall)" if dtr_how == "wall" else "")
        dinf_s = fmt(dinf) + (" (%s)" % dinf_how
                              if dinf_how in ("gst", "eval") else "")
        lines.append("| %d | %s | %s | %s | %s | %s | %s |"
                     % (t, dtr_s, fmt(ptr), ratio(dtr, ptr), dinf_s,
                        fmt(pinf),
                        "n/c" if dinf_how == "eval" else ratio(dinf, pinf)))
        if pt:
            notes.append("threads %d: PyTorch with BatchNorm folded "
                         "(fuse_conv_bn_eval) %.0f img/s at batch 1; "
                         "test accuracy after the epoch: PyTorch %s, "
                         "dltrain %s"
                         % (t, pt["infer_fused_images_per_s"],
                            pt.get("test_accuracy", "n/a"), dacc or "n/a"))
    table = "\n".join(lines)
    header = ("vgg width 32, batch %d, %d training images, 1 epoch; "
              "inference batch 1" % (args.batch_size, n_train))
    print(header)
    print()
    print(table)
    print()
    for n in notes:
        print("- " + n)
    legend = ("(wall) = images / wall-clock time of `dltrain fit` (dltrain "
              "printed no rate); (gst) = frames/s through dlclassify in "
              "gst-launch-1.0 minus the same pipeline without it; (eval) = "
              "`dltrain eval` over 10000 test images, batched (ratio n/c: "
              "not comparable).")
    print()
    print(legend)
    if args.record:
        path = os.path.join(HERE, "RESULTS.md")
        # keep the section bench/bench-models.py --record maintains
        kept = ""
        try:
            with open(path) as f:
                old = f.read()
            mark = old.find("<!-- bench-models: begin")
            if mark >= 0:
                kept = old[mark:]
        except OSError:
            pass
        with open(path, "w") as f:
            f.write("# Benchmark results\n\n")
            f.write("Command: `/usr/bin/python3 bench/bench-train.py %s`\n\n"
                    % " ".join(shlex.quote(a) for a in sys.argv[1:]))
            f.write("Date: %s  \nMachine: %s\n\n"
                    % (time.strftime("%Y-%m-%d %H:%M %Z"), machine()))
            f.write(header + ".\n\n" + table + "\n\n")
            for n in notes:
                f.write("- " + n + "\n")
            f.write("\nRatios are dltrain / PyTorch (> 1: dltrain faster). "
                    + legend + "\n")
            if kept:
                f.write("\n" + kept)
        log("wrote %s" % path)


if __name__ == "__main__":
    main()
