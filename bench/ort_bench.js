// ONNX Runtime (onnxruntime-node) side of bench/bench-models.py: batch-1
// latency of one model at one thread count.
//   NODE_PATH=.../node_modules node bench/ort_bench.js MODEL INPUT.bin
//       OUTPUT.bin THREADS WARMUP REPS MIN_TIME D0 D1 ...
// Session options: CPU execution provider, intraOpNumThreads = THREADS,
// interOpNumThreads = 1, sequential execution, graphOptimizationLevel
// 'all'. Feeds INPUT.bin (float32 little-endian, shape D0 D1 ...) to the
// first input, runs WARMUP calls, then timed calls until REPS calls and
// MIN_TIME seconds are done; writes output 0 to OUTPUT.bin and prints one
// JSON line {"median_ms", "p90_ms", "min_ms", "mean_ms", "reps",
// "load_ms", "ort_version"} (or {"error": ...} and exit status 1).
// Each timed call is `await session.run(feeds)` (onnxruntime-node runs it
// off the JS thread; that hop is included, some tens of microseconds).
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

function stats(t) {
  t.sort((a, b) => a - b);
  const n = t.length;
  const med = n % 2 ? t[(n - 1) / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
  const p90 = t[Math.round(0.9 * (n - 1))];
  const mean = t.reduce((a, b) => a + b, 0) / n;
  return { reps: n, median_ms: med, p90_ms: p90, min_ms: t[0], mean_ms: mean };
}

async function main() {
  const a = process.argv.slice(2);
  if (a.length < 8)
    throw new Error('usage: ort_bench.js MODEL INPUT.bin OUTPUT.bin THREADS ' +
        'WARMUP REPS MIN_TIME D0 D1 ...');
  const [model, input, output] = a;
  const threads = Number(a[3]), warmup = Number(a[4]), reps = Number(a[5]);
  const minTime = Number(a[6]);
  const dims = a.slice(7).map(Number);
  const buf = fs.readFileSync(input);
  const data = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  const t0 = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const feeds = {};
  feeds[session.inputNames[0]] = new ort.Tensor('float32', data, dims);
  let res;
  for (let i = 0; i < warmup; i++)
    res = await session.run(feeds);
  const times = [];
  const start = process.hrtime.bigint();
  while (times.length < 100000 && (times.length < reps ||
      Number(process.hrtime.bigint() - start) / 1e9 < minTime)) {
    const s = process.hrtime.bigint();
    res = await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  const out = res[session.outputNames[0]];
  fs.writeFileSync(output,
      Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength));
  let version = null;
  try {
    version = require('onnxruntime-node/package.json').version;
  } catch (e) { /* keep null */ }
  const r = stats(times);
  r.load_ms = loadMs;
  r.threads = threads;
  r.ort_version = version;
  process.stdout.write(JSON.stringify(r) + '\n');
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ error: String(e && e.message || e) }) + '\n');
  process.exit(1);
});
