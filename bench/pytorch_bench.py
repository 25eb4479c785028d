#!/usr/bin/python3
"""PyTorch side of the dltrain benchmark: a training epoch, batch-1 inference.

  /usr/bin/python3 bench/pytorch_bench.py --threads 1 [--limit 6400]

Builds dltrain's 'vgg' architecture (width W):
  [Conv3x3 W, pad 1, no bias; BatchNorm2d; ReLU] x 2; MaxPool 2
  [Conv3x3 2W, pad 1, no bias; BatchNorm2d; ReLU] x 2; MaxPool 2
  Conv3x3 4W, pad 1, no bias; BatchNorm2d; ReLU
  Flatten; Dropout 0.3; Linear 4W*7*7 -> 10
on [N, 1, 28, 28] Fashion-MNIST train images scaled to 0..1 and normalised
with mean 0.2860, std 0.3530 (the dl.image of the shipped model), and trains
it for one epoch (or --limit images) with mini-batches of --batch-size,
shuffled with --seed, the last partial batch included.  The timed region is
the training loop only (forward, loss, backward, optimizer step); decoding
the IDX files and building the tensors come before it.

Inference: batch 1, eval mode, torch.no_grad(), on test images; --warmup
untimed calls, then --reps timed calls; images/s = 1 / median call time.
Two variants are timed: "eager" (the trained nn.Module as is, BatchNorm
separate) and "fused" (BatchNorm folded into the convolutions with
torch.nn.utils.fusion.fuse_conv_bn_eval, as libdlnn folds it at load).

Prints one JSON line on stdout; progress goes to stderr.
"""

import argparse
import gzip
import json
import os
import statistics
import struct
import sys
import time

import numpy as np

MEAN = 0.2860
STD = 0.3530


def log(msg):
    sys.stderr.write("pytorch_bench: %s\n" % msg)
    sys.stderr.flush()


def read_idx(path, magic, ndims):
    with gzip.open(path, "rb") as f:
        data = f.read()
    header = 4 + 4 * ndims
    if len(data) < header or struct.unpack(">I", data[:4])[0] != magic:
        raise SystemExit("pytorch_bench: %s: not an IDX file of the "
                         "expected kind" % path)
    dims = struct.unpack(">" + "I" * ndims, data[4:header])
    if len(data) - header != int(np.prod(dims)):
        raise SystemExit("pytorch_bench: %s: size does not match header"
                         % path)
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def load_split(data_dir, split):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(data_dir, prefix + "-images-idx3-ubyte.gz"),
                 0x803, 3)
    y = read_idx(os.path.join(data_dir, prefix + "-labels-idx1-ubyte.gz"),
                 0x801, 1)
    if x.shape[0] != y.shape[0] or x.shape[1:] != (28, 28):
        raise SystemExit("pytorch_bench: %s split: bad shapes" % split)
    x = (x.astype(np.float32) / 255.0 - MEAN) / STD
    return x.reshape(-1, 1, 28, 28), y.astype(np.int64)


def build_vgg(torch, width, classes=10, dropout=0.3):
    nn = torch.nn

    def block(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

    w = width
    layers = (block(1, w) + block(w, w) + [nn.MaxPool2d(2)]
              + block(w, 2 * w) + block(2 * w, 2 * w) + [nn.MaxPool2d(2)]
              + block(2 * w, 4 * w)
              + [nn.Flatten(), nn.Dropout(dropout),
                 nn.Linear(4 * w * 7 * 7, classes)])
    return nn.Sequential(*layers)


def fuse_bn(torch, model):
    """Copy of an eval-mode model with every Conv2d+BatchNorm2d folded."""
    import copy
    from torch.nn.utils.fusion import fuse_conv_bn_eval
    mods = list(copy.deepcopy(model).eval())
    out = []
    i = 0
    while i < len(mods):
        m = mods[i]
        if (isinstance(m, torch.nn.Conv2d) and i + 1 < len(mods)
                and isinstance(mods[i + 1], torch.nn.BatchNorm2d)):
            out.append(fuse_conv_bn_eval(m, mods[i + 1]))
            i += 2
        else:
            out.append(m)
            i += 1
    return torch.nn.Sequential(*out).eval()


def time_inference(torch, model, images, warmup, reps):
    times = []
    n = images.shape[0]
    with torch.no_grad():
        for i in range(warmup):
            model(images[i % n:i % n + 1])
        for i in range(reps):
            x = images[i % n:i % n + 1]
            t0 = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    return {"images_per_s": 1.0 / med, "ms_median": med * 1e3,
            "ms_p90": sorted(times)[int(0.9 * (len(times) - 1))] * 1e3}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--limit", type=int, default=0,
                    help="train on the first N shuffled images (0 = all)")
    ap.add_argument("--optimizer", choices=["sgd", "adamw"], default="sgd")
    ap.add_argument("--lr", type=float, default=None,
                    help="default 0.01 (sgd) or 0.002 (adamw)")
    ap.add_argument("--weight-decay", type=float, default=5e-4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--no-test", dest="test", action="store_false",
                    help="skip the (untimed) test-set accuracy")
    args = ap.parse_args()
    if args.threads < 1 or args.batch_size < 1 or args.width < 1:
        raise SystemExit("pytorch_bench: threads, batch size and width "
                         "must be positive")

    import torch
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)

    xtr, ytr = load_split(args.data, "train")
    xte, yte = load_split(args.data, "test")
    xtr, ytr = torch.from_numpy(xtr), torch.from_numpy(ytr)
    xte, yte = torch.from_numpy(xte), torch.from_numpy(yte)

    model = build_vgg(torch, args.width)
    params = sum(p.numel() for p in model.parameters())
    if args.optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=args.lr or 0.01,
                              momentum=0.9, weight_decay=args.weight_decay)
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=args.lr or 0.002,
                                weight_decay=args.weight_decay)
    loss_fn = torch.nn.CrossEntropyLoss()

    gen = torch.Generator().manual_seed(args.seed)
    order = torch.randperm(xtr.shape[0], generator=gen)
    if args.limit > 0:
        order = order[:args.limit]
    n = order.shape[0]
    bs = args.batch_size
    steps = (n + bs - 1) // bs
    log("torch %s, %d threads, vgg width %d (%d parameters), %d images, "
        "batch %d, %s" % (torch.__version__, torch.get_num_threads(),
                          args.width, params, n, bs, args.optimizer))

    model.train()
    loss_sum = 0.0
    correct = 0
    t0 = time.perf_counter()
    for s in range(steps):
        idx = order[s * bs:(s + 1) * bs]
        x, y = xtr[idx], ytr[idx]
        opt.zero_grad(set_to_none=True)
        out = model(x)
        loss = loss_fn(out, y)
        loss.backward()
        opt.step()
        loss_sum += loss.item() * idx.shape[0]
        correct += int((out.argmax(1) == y).sum())
        if (s + 1) % 100 == 0:
            el = time.perf_counter() - t0
            log("step %d/%d, %.0f images/s, loss %.4f"
                % (s + 1, steps, (s + 1) * bs / el, loss_sum / ((s + 1) * bs)))
    train_s = time.perf_counter() - t0

    model.eval()
    result = {
        "framework": "pytorch", "version": torch.__version__,
        "arch": "vgg", "width": args.width, "parameters": params,
        "threads": args.threads, "batch_size": bs,
        "optimizer": args.optimizer, "train_images": n,
        "train_seconds": round(train_s, 3),
        "train_images_per_s": round(n / train_s, 1),
        "train_loss": round(loss_sum / n, 4),
        "train_accuracy": round(correct / n, 4),
    }
    if args.test:
        with torch.no_grad():
            hits = 0
            for i in range(0, xte.shape[0], 500):
                hits += int((model(xte[i:i + 500]).argmax(1)
                             == yte[i:i + 500]).sum())
        result["test_accuracy"] = round(hits / xte.shape[0], 4)

    eager = time_inference(torch, model, xte, args.warmup, args.reps)
    fused = time_inference(torch, fuse_bn(torch, model), xte, args.warmup,
                           args.reps)
    result.update({
        "infer_batch": 1, "infer_reps": args.reps,
        "infer_images_per_s": round(eager["images_per_s"], 1),
        "infer_ms_median": round(eager["ms_median"], 4),
        "infer_ms_p90": round(eager["ms_p90"], 4),
        "infer_fused_images_per_s": round(fused["images_per_s"], 1),
        "infer_fused_ms_median": round(fused["ms_median"], 4),
    })
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
