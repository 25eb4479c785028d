// Runs an ONNX model with ONNX Runtime (onnxruntime-node) for
// tests/nn/onnx_reference.py.
//   node onnx_reference_ort.js MODEL INPUT.bin OUTDIR D0 D1 ...
// Feeds INPUT.bin (float32 little-endian, shape D0 D1 ...) to the model's
// first input, writes output i to OUTDIR/ort<i>.bin and prints
// {"outputs": [{"name": ..., "dims": [...]}, ...]} on stdout.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

async function main() {
  const [model, input, outdir, ...dimArgs] = process.argv.slice(2);
  const dims = dimArgs.map(Number);
  const buf = fs.readFileSync(input);
  const data = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'disabled',
  });
  const feeds = {};
  feeds[session.inputNames[0]] = new ort.Tensor('float32', data, dims);
  const results = await session.run(feeds);
  const outputs = [];
  session.outputNames.forEach((name, i) => {
    const t = results[name];
    fs.writeFileSync(path.join(outdir, `ort${i}.bin`),
        Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    outputs.push({ name, dims: t.dims.map(Number) });
  });
  process.stdout.write(JSON.stringify({ outputs }) + '\n');
}

main().catch((e) => { console.error(String(e)); process.exit(1); });
