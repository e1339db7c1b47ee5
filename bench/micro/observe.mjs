#!/usr/bin/env node
// What the metrics hooks cost: pipelined calls over loopback (server and client in this process) for
//   before  — another build of the library (--before DIR: e.g. main's tree, built), hooks unset
//   off     — this build, hooks unset (must match `before` within noise); off-b: the same again (noise floor)
//   noop    — this build, every hook an empty function (the engine's own cost of reporting)
//   prom    — this build, the prom-client adapter on both sides (what a user pays)
// All cells live in one process and take turns in short batches, the order rotating each round, so
// the load of a shared machine falls on every cell alike (separate runs minutes apart did not compare).
// Note: the cells of this build share one module instance, so the hooked cells' feedback reaches the
// unhooked ones; bench/micro/pipelined.mjs gives every cell its own copy of its build.
//
//   node bench/micro/observe.mjs --before /tmp/observe-before [--rounds 30] [--batch 10000] [--window 128]
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Registry } from 'prom-client';
import { interleave, startEchoPair } from './echo-pair.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const before = arg('--before');
const rounds = Number(arg('--rounds', 30));
const batch = Number(arg('--batch', 10_000));
const window = Number(arg('--window', 128));

async function cell(name, dist, mode) {
  const q = await import(path.join(dist, 'index.js'));
  let serverHooks = null;
  let clientHooks = null;
  if (mode === 'noop') {
    const noop = () => {};
    const all = { request: noop, reset: noop, push: noop, bytes: noop, connectionOpened: noop, connectionClosed: noop, kick: noop };
    serverHooks = { ...all };
    clientHooks = { ...all };
  } else if (mode === 'prom') {
    const { prometheusMetrics } = await import(path.join(dist, 'metrics', 'prometheus.js'));
    const metrics = prometheusMetrics({ registry: new Registry() });
    serverHooks = metrics.server();
    clientHooks = metrics.client();
  }
  const { run, close } = await startEchoPair(q, { serverHooks, clientHooks, window });
  return {
    name,
    backend: q.backend().name,
    run,
    rates: [],
    ns: 0,
    close,
  };
}

const cells = [];
if (before) cells.push(await cell('before', path.join(path.resolve(before), 'dist'), 'off'));
cells.push(await cell('off', path.join(ROOT, 'dist'), 'off'));
// A second identical cell: the spread between 'off' and 'off-b' is the noise floor of this run.
cells.push(await cell('off-b', path.join(ROOT, 'dist'), 'off'));
cells.push(await cell('noop', path.join(ROOT, 'dist'), 'noop'));
cells.push(await cell('prom', path.join(ROOT, 'dist'), 'prom'));
await interleave(cells, rounds, batch);
for (const c of cells) await c.close();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = cells[0];
console.log(`backend ${base.backend}; ${rounds} rounds × ${batch} pipelined calls (window ${window}) per cell, 16-byte payloads, cells interleaved in one process`);
for (const c of cells) {
  const m = median(c.rates);
  const overall = (rounds * batch) / (c.ns / 1e9);
  console.log(
    `${c.name.padEnd(7)} median ${Math.round(m).toString().padStart(7)} calls/s (${((m / median(base.rates) - 1) * 100).toFixed(1).padStart(5)}% vs ${base.name})` +
      `  overall ${Math.round(overall).toString().padStart(7)} calls/s (${((overall / ((rounds * batch) / (base.ns / 1e9)) - 1) * 100).toFixed(1).padStart(5)}%)`,
  );
}
