#!/usr/bin/env node
// tinybench micro benchmarks for the frame codec and the batch parser:
// TypeScript encodeFrame / FrameParser (dist/) vs a hand-inlined baseline,
// and the native addon's parse entry when it is built.
//
//   node bench/micro/codec.mjs [--time MS]
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Bench } from 'tinybench';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ti = process.argv.indexOf('--time');
const TIME = ti > 0 ? Number(process.argv[ti + 1]) : 500;

const { encodeFrame } = await import(path.join(ROOT, 'dist/protocol/frame.js'));
const { FrameParser } = await import(path.join(ROOT, 'dist/protocol/parser.js'));

// ---------------------------------------------------------------- inputs
const SMALL = Buffer.from('xu');
const KB = Buffer.alloc(1024, 0x61);
const N = 1000; // frames per chunk
function chunkOf(n, payload) {
  const parts = [];
  for (let i = 0; i < n; i++) parts.push(encodeFrame(BigInt(2 * i + 3), 8, 0, payload));
  return Buffer.concat(parts);
}
const CHUNK_SMALL = chunkOf(N, SMALL); // 18 KB: 1000 frames of 18 bytes
const CHUNK_KB = chunkOf(N, KB);       // ~1 MB: 1000 frames of 1040 bytes
// the same 1000 small frames delivered as 64-byte reads that cut frames apart
const SPLIT = [];
for (let o = 0; o < CHUNK_SMALL.length; o += 64) SPLIT.push(CHUNK_SMALL.subarray(o, o + 64));

// hand-inlined encoder as written in bench/contenders/node-net (number ids)
function inlineEncode(id, flags, cmd, payload) {
  const b = Buffer.allocUnsafe(16 + payload.length);
  b.writeUInt32BE(12 + payload.length, 0);
  b.writeUInt32BE(Math.floor(id / 4294967296), 4);
  b.writeUInt32BE(id >>> 0, 8);
  b.writeUInt32BE(((flags << 24) | cmd) >>> 0, 12);
  payload.copy(b, 16);
  return b;
}

// ---------------------------------------------------------------- native
let native = null, nativeWhy = '';
try { // the library's own loader first (same path and error reporting as the backend)
  const { loadNativeAddon } = await import(path.join(ROOT, 'dist/transport/native/load.js'));
  const r = loadNativeAddon();
  if (r.addon && typeof r.addon.parseForTest === 'function') native = r.addon;
  else nativeWhy = r.addon ? 'addon has no parse entry (parseForTest)' : r.error;
} catch {}
for (const rel of ['build/Release/qrpc_native.node', 'build/Debug/qrpc_native.node']) {
  const f = path.join(ROOT, rel);
  if (native || !existsSync(f)) continue;
  try {
    const addon = createRequire(import.meta.url)(f);
    if (typeof addon.parseForTest === 'function') { native = addon; break; }
    nativeWhy = `${rel} has no parse entry (parseForTest)`;
  } catch (e) {
    nativeWhy = `${rel} does not load: ${e.message.split('\n')[0]}`;
  }
}
if (!native && !nativeWhy) nativeWhy = 'addon not built (build/Release/qrpc_native.node missing)';
if (native) {
  const r = native.parseForTest([CHUNK_SMALL], 10 * 1024 * 1024);
  if (r.error || r.frames.length !== N) { nativeWhy = `parseForTest gave ${r.frames.length} frames, error ${r.error}`; native = null; }
}

// ---------------------------------------------------------------- benches
let sink = 0;
const countFrames = () => { sink++; };
const tsParse = (chunks) => () => {
  const p = new FrameParser();
  for (const c of chunks) p.push(c, countFrames);
};
// checks: each parser sees all frames
sink = 0; tsParse([CHUNK_SMALL])(); if (sink !== N) throw new Error(`FrameParser saw ${sink} frames`);
sink = 0; tsParse(SPLIT)(); if (sink !== N) throw new Error(`FrameParser (split) saw ${sink} frames`);

const bench = new Bench({ time: TIME, warmupIterations: 50 });
const framesPerOp = new Map();
const add = (name, frames, fn) => { bench.add(name, fn); framesPerOp.set(name, frames); };
let id = 1;
add('encode: ts encodeFrame "xu"', 1, () => encodeFrame(BigInt(id += 2), 8, 0, SMALL));
add('encode: inline (node-net) "xu"', 1, () => inlineEncode(id += 2, 8, 0, SMALL));
add('encode: ts encodeFrame 1 KB', 1, () => encodeFrame(BigInt(id += 2), 8, 0, KB));
add('encode: inline (node-net) 1 KB', 1, () => inlineEncode(id += 2, 8, 0, KB));
add(`parse: ts FrameParser ${N} x 18 B in one chunk`, N, tsParse([CHUNK_SMALL]));
add(`parse: ts FrameParser ${N} x 18 B in 64 B reads`, N, tsParse(SPLIT));
add(`parse: ts FrameParser ${N} x 1 KB in one chunk`, N, tsParse([CHUNK_KB]));
if (native) {
  const MAX = 10 * 1024 * 1024;
  add(`parse: native parseForTest ${N} x 18 B in one chunk`, N, () => native.parseForTest([CHUNK_SMALL], MAX));
  add(`parse: native parseForTest ${N} x 18 B in 64 B reads`, N, () => native.parseForTest(SPLIT, MAX));
  add(`parse: native parseForTest ${N} x 1 KB in one chunk`, N, () => native.parseForTest([CHUNK_KB], MAX));
}

await bench.run();

const rows = bench.tasks.map((t) => {
  const r = t.result;
  const hz = r?.throughput?.mean ?? r?.hz ?? 0;
  const meanMs = r?.latency?.mean ?? r?.mean ?? 0;
  const rme = r?.latency?.rme ?? r?.rme ?? 0;
  return {
    task: t.name,
    'ops/s': Math.round(hz).toLocaleString('en-US'),
    'mean µs': (meanMs * 1000).toFixed(3),
    '±%': rme.toFixed(1),
    'frames/s': Math.round(hz * framesPerOp.get(t.name)).toLocaleString('en-US'),
    samples: r?.latency?.samples?.length ?? r?.samples?.length ?? '',
  };
});
console.table(rows);
if (!native) console.log(`native parse: skipped (${nativeWhy})`);
else console.log('note: native parseForTest is the addon\'s test entry; it builds a JS array and copies the payload per frame, so it measures parse + JS object creation, not the parser alone.');
console.log(`node ${process.version}, tinybench, time ${TIME} ms per task; sink ${sink > 0 ? 'ok' : ''}`);
